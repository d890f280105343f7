"""Eval suites as files: the questions, the thresholds, the corpus, and answers and judge pairs read
for scoring. Everything here is reading and checking input; `assistant.evaluation` scores.

A suite is a folder in eval/:
- `questions.jsonl`: the `ask --jsonl` input plus `"gold": [{"doc", "paragraph"}]`, `"kind"`
  (single, multi, unanswerable, followup, adversarial) and `"lang"`; per answerable question
  `"facts"`, the key facts an answer must state (`{"doc", "paragraph", "text"}`, a short verbatim
  span of a gold paragraph, within one of its sentences), optionally `"facts_any"` (groups of
  spans of which any one states the fact) and `"false_premise": true` (the documents contradict
  the question's premise: confirming it is presenting an answer where there is none);
- `thresholds.toml`: `[min]` values a metric must reach, `[max]` values it may not exceed;
- `suite.toml`: `corpus` (globs relative to the suite folder) and optionally `judge_pairs`, the
  labelled (paragraphs, sentence, supported) set for `--calibrate-judge`.

Answers to score may come from a file (`--answers`, the `ask --jsonl` output, matched by "id"),
so that production logs or another system can be scored the same way.
"""

from __future__ import annotations

import glob
import math
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from vectorstore.errors import InputError
from vectorstore.paragraphs import split_sentences
from vectorstore.quotes import verbatim_in

from . import jsonl

KINDS = ("single", "multi", "unanswerable", "followup", "adversarial")

# Which way each metric must go; a threshold file names each in [min] or [max].
METRICS = {
    "recall_at_1": "min", "recall_at_5": "min", "mrr": "min",
    "citation_validity": "min", "cited_sentences": "min", "quote_match": "min",
    "alce_recall": "min", "alce_precision": "min",
    "gold_hit": "min", "refusal_accuracy": "min", "false_refusal_rate": "max",
    # Answers where an LLM generator's own answer was not used and its extractive fallback was
    # shown instead: still verified, but a sign the model is not doing the answering.
    "fallback_rate": "max",
    # Whether the answer answers (the citation metrics above are saturated by quoting): the key
    # facts stated, the sentences that state none, the reader's language, an answer presented
    # where the documents give none, and the shown text against the structured answer.
    "fact_recall": "min", "answer_complete": "min", "fact_precision": "min",
    "language_match": "min", "unanswered_as_answer": "max", "text_consistent": "min",
    # Questions of the suite with an answer to score: below 1.0 only with --answers from elsewhere,
    # and always guarded (1.0 unless a threshold says otherwise), so missing answers fail the run.
    "answered": "min",
}
ALWAYS = {"answered": ("min", 1.0)}


@dataclass
class Suite:
    name: str
    root: Path
    questions: list[dict]
    thresholds: dict[str, tuple[str, float]]  # name -> ("min" | "max", value)
    corpus: list[Path]
    judge_pairs: Path | None
    lines: dict[str, int] = field(default_factory=dict)  # question id -> line of questions.jsonl

    @cached_property
    def _documents(self) -> list:
        from vectorstore.ingest import read_all

        return read_all(self.corpus)

    def documents(self) -> list:
        """The suite's corpus, read from its own files (vectorstore.readers.Document)."""
        return self._documents

    def paragraphs(self) -> dict[tuple[str, int], str]:
        """Every paragraph of the corpus by (document, number)."""
        return {(d.doc_id, p.number): p.text for d in self.documents() for p in d.paragraphs}

    def titles(self) -> dict[str, str]:
        return {d.doc_id: d.title for d in self.documents()}

    def check_facts(self) -> None:
        """Every key fact is verbatim in its paragraph, inside one sentence (what a quote can hold)."""
        paragraphs = self.paragraphs()
        where = self.root / "questions.jsonl"
        for q in self.questions:
            for doc, number, text in (f for group in fact_groups(q) for f in group):
                paragraph = paragraphs.get((doc, number))
                at = f"{where}:{self.lines.get(q['id'], '?')}"
                if paragraph is None:
                    raise InputError(f"{at}: fact {text!r}: [{doc} ¶{number}] is not in the suite corpus")
                if not verbatim_in(text, paragraph):
                    raise InputError(f"{at}: fact {text!r} is not verbatim in [{doc} ¶{number}]")
                if not any(verbatim_in(text, sentence) for sentence in split_sentences(paragraph)):
                    raise InputError(f"{at}: fact {text!r} crosses a sentence boundary of [{doc} ¶{number}]")


def load_suite(path: Path) -> Suite:
    root = Path(path)
    if not root.is_dir():
        raise InputError(f"{root}: not a suite folder")
    for required in ("questions.jsonl", "thresholds.toml", "suite.toml"):
        if not (root / required).is_file():
            raise InputError(f"{root}: the suite has no {required}")
    config = _toml(root / "suite.toml")
    questions, lines = _read_questions(root / "questions.jsonl")
    # Relative to the suite folder, or absolute.
    corpus = sorted({Path(p) for pattern in config.get("corpus", []) for p in glob.glob(str(root / pattern))})
    if not corpus:
        raise InputError(f"{root / 'suite.toml'}: `corpus` matches no files")
    pairs = root / config["judge_pairs"] if config.get("judge_pairs") else None
    return Suite(
        name=config.get("name", root.name),
        root=root,
        questions=questions,
        thresholds=parse_thresholds(_toml(root / "thresholds.toml"), root / "thresholds.toml"),
        corpus=corpus,
        judge_pairs=pairs,
        lines=lines,
    )


def parse_thresholds(data: dict, where: Path | str) -> dict[str, tuple[str, float]]:
    thresholds = {}
    for direction in ("min", "max"):
        for name, value in data.get(direction, {}).items():
            if METRICS.get(name) != direction:
                raise InputError(f"{where}: {name!r} is not a metric with a {direction}imum; known: {', '.join(METRICS)}")
            if not isinstance(value, (int, float)) or not math.isfinite(value):
                raise InputError(f"{where}: {name} must be a number")
            thresholds[name] = (direction, float(value))
    return ALWAYS | thresholds


def override_thresholds(thresholds: dict, overrides: list[str]) -> dict:
    """`NAME=VALUE` from the command line; the direction is the metric's own."""
    merged = dict(thresholds)
    for item in overrides:
        name, equals, value = item.partition("=")
        name = name.strip()
        if not equals:
            raise InputError(f"--threshold {item!r}: expected NAME=VALUE, e.g. gold_hit=0.9")
        if name not in METRICS:
            raise InputError(f"--threshold {item!r}: unknown metric {name!r}; known: {', '.join(METRICS)}")
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not math.isfinite(number):
            raise InputError(f"--threshold {item!r}: the value must be a number, e.g. gold_hit=0.9")
        merged[name] = (METRICS[name], number)
    return merged


def sample(questions: list[dict], n: int) -> list[dict]:
    """n questions spread over the kinds (round robin, in file order): a subset for slow runs."""
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for q in questions:
        by_kind[q["kind"]].append(q)
    picked: list[dict] = []
    while len(picked) < min(n, len(questions)):
        for kind in KINDS:
            if by_kind.get(kind) and len(picked) < n:
                picked.append(by_kind[kind].pop(0))
    return picked


def fact_groups(question: dict) -> list[list[tuple[str, int, str]]]:
    """The question's key facts, each a group of spans any one of which states it."""
    def key(fact: dict) -> tuple[str, int, str]:
        return (fact["doc"], fact["paragraph"], fact["text"])

    return [[key(f)] for f in question.get("facts", [])] + [[key(f) for f in g] for g in question.get("facts_any", [])]


def keys_text(keys) -> str:
    """Paragraph keys as the markers a reader knows."""
    return ", ".join(f"[{d} ¶{p}]" for d, p in dict.fromkeys(keys))


# --- reading ------------------------------------------------------------------------------------


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None


def _questions(path: Path) -> list[dict]:
    return _read_questions(path)[0]


def _read_questions(path: Path) -> tuple[list[dict], dict[str, int]]:
    """The questions, and the line each is on (for errors found once the corpus is read)."""
    questions = []
    seen: dict = {}
    for line_no, item in jsonl.objects(path):
        if not isinstance(item.get("question"), str) or "id" not in item:
            raise InputError(f'{path}:{line_no}: each line needs "id" and "question"')
        if item["id"] in seen:
            raise InputError(f"{path}:{line_no}: duplicate id {item['id']!r}")
        if item.get("kind") not in KINDS:
            raise InputError(f"{path}:{line_no}: kind must be one of {', '.join(KINDS)}")
        if not isinstance(item.get("gold", []), list):
            raise InputError(f'{path}:{line_no}: "gold" must be a list of {{"doc", "paragraph"}}')
        _check_facts_shape(item, f"{path}:{line_no}")
        seen[item["id"]] = line_no
        questions.append(item)
    if not questions:
        raise InputError(f"{path}: no questions")
    return questions, seen


def _check_facts_shape(item: dict, at: str) -> None:
    def fact_ok(fact) -> bool:
        return (isinstance(fact, dict) and isinstance(fact.get("doc"), str) and fact["doc"]
                and isinstance(fact.get("paragraph"), int) and not isinstance(fact["paragraph"], bool)
                and isinstance(fact.get("text"), str) and bool(fact["text"].strip()))

    shape = '{"doc": str, "paragraph": int, "text": str}'
    facts, any_of = item.get("facts", []), item.get("facts_any", [])
    if not isinstance(facts, list) or not all(fact_ok(f) for f in facts):
        raise InputError(f'{at}: "facts" must be a list of {shape}')
    if not isinstance(any_of, list) or not all(isinstance(g, list) and g and all(fact_ok(f) for f in g) for g in any_of):
        raise InputError(f'{at}: "facts_any" must be a list of non-empty lists of {shape}')
    if not isinstance(item.get("false_premise", False), bool):
        raise InputError(f'{at}: "false_premise" must be true or false')
    gold = {(g.get("doc"), g.get("paragraph")) for g in item.get("gold", []) if isinstance(g, dict)}
    for fact in [*facts, *(f for g in any_of for f in g)]:
        if (fact["doc"], fact["paragraph"]) not in gold:
            raise InputError(f"{at}: fact {fact['text']!r} is in [{fact['doc']} ¶{fact['paragraph']}], which is not a gold paragraph")
    if (facts or any_of) and not gold:
        raise InputError(f"{at}: a question with facts needs gold paragraphs")


def read_answers(path: Path) -> dict[str, dict]:
    """Answers in the `ask --jsonl` output format, by "id"."""
    answers = {}
    for line_no, item in jsonl.objects(path):
        if "id" not in item:
            raise InputError(f'{path}:{line_no}: each answer needs an "id"')
        try:
            for sentence in item.get("sentences") or []:
                for citation in sentence.get("citations", []):
                    citation["paragraph"] = int(citation["paragraph"])
                    str(citation["doc"])
        except (KeyError, TypeError, ValueError, AttributeError):
            raise InputError(f'{path}:{line_no}: each citation needs "doc" and a numeric "paragraph"') from None
        answers[item["id"]] = item
    return answers


def read_pairs(path: Path, paragraphs: dict[tuple[str, int], str]) -> list[tuple[list[str], str, bool, str]]:
    """The labelled set: (paragraph texts, sentence, supported, lang)."""
    pairs = []
    for line_no, item in jsonl.objects(path):
        keys = [(p["doc"], p["paragraph"]) for p in item["paragraphs"]]
        missing = [k for k in keys if k not in paragraphs]
        if missing:
            raise InputError(f"{path}:{line_no}: {keys_text(missing)} not in the suite corpus")
        pairs.append(([paragraphs[k] for k in keys], item["sentence"], bool(item["supported"]), item.get("lang", "?")))
    return pairs
