"""The citation-faithfulness eval: run a suite, score every answer, hold the thresholds.

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

Answers come from the configured generator, or from a file (`--answers`, the `ask --jsonl`
output, matched by "id") so that production logs or another system can be scored the same way.
The corpus is read from the suite's own files, so an answer that cites a paragraph the corpus
does not have is caught even when nothing was retrieved here. Generated answers run against the
suite's own collections (prefix `eval_<suite>`), never the user's store.
"""

from __future__ import annotations

import glob
import math
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from vectorstore.errors import InputError

from vectorstore.paragraphs import language_of, split_sentences

from . import jsonl, metrics
from .answers import compose_text
from .judges import Judge, normalise, threshold_for, verbatim_in

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

    def check_facts(self, paragraphs: dict[tuple[str, int], str]) -> None:
        """Every key fact is verbatim in its paragraph, inside one sentence (what a quote can hold)."""
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


# --- scoring ------------------------------------------------------------------------------------


@dataclass
class QuestionResult:
    question: dict
    answer: dict | None
    scores: dict[str, float] = field(default_factory=dict)  # this question's share of each metric
    failures: list[str] = field(default_factory=list)  # "metric: why"
    supported: list[bool] = field(default_factory=list)  # per sentence, the judge's verdict
    facts: list[tuple[tuple, bool]] = field(default_factory=list)  # (fact, stated) per key fact
    useful: list[bool] = field(default_factory=list)  # per sentence: states a key fact

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass
class Report:
    suite: str
    generator: str
    judge: str
    results: list[QuestionResult]
    metrics: dict[str, float]
    breakdown: dict[str, dict[str, float]]  # "lang=zh" / "kind=single" -> metric -> value
    thresholds: dict[str, tuple[str, float]]

    def holds(self, name: str) -> bool | None:
        if name not in self.thresholds or name not in self.metrics:
            return None
        direction, value = self.thresholds[name]
        measured = self.metrics[name]
        if measured != measured:  # NaN: nothing to measure it on
            return None
        return measured >= value - 1e-9 if direction == "min" else measured <= value + 1e-9

    @property
    def failed_thresholds(self) -> list[str]:
        return [name for name in self.thresholds if self.holds(name) is False]

    def as_json(self) -> dict:
        return {
            "suite": self.suite, "generator": self.generator, "judge": self.judge,
            "metrics": self.metrics,
            "thresholds": {n: {"direction": d, "value": v, "holds": self.holds(n)} for n, (d, v) in self.thresholds.items()},
            "breakdown": self.breakdown,
            "questions": [
                {"id": r.question["id"], "kind": r.question.get("kind"), "lang": r.question.get("lang"),
                 "passed": r.passed, "failures": r.failures, "scores": r.scores, "answer": r.answer}
                for r in self.results
            ],
        }


def score(
    questions: list[dict],
    answers: dict[str, dict],
    paragraphs: dict[tuple[str, int], str],
    judge: Judge,
) -> list[QuestionResult]:
    """Score each question's answer; `paragraphs` is the suite corpus, by (doc, number)."""
    results = []
    verdicts: dict[tuple, bool] = {}

    def supports_for(sentence: dict):
        text = sentence.get("text", "")
        quote_of = {(c["doc"], c["paragraph"]): c.get("quote") or "" for c in sentence.get("citations", [])}

        def supports(keys) -> bool:
            key = (text, tuple(sorted(keys)))
            if key not in verdicts:
                texts = [paragraphs[k] for k in keys if k in paragraphs]
                quotes = tuple(quote_of[k] for k in keys if quote_of.get(k))
                verdicts[key] = bool(texts) and judge.score(texts, text, quotes) >= threshold_for(judge, text, texts)
            return verdicts[key]

        return supports

    for question in questions:
        answer = answers.get(question["id"])
        result = QuestionResult(question, answer)
        results.append(result)
        gold = [(g["doc"], g["paragraph"]) for g in question.get("gold", [])]
        result.scores["answered"] = float(answer is not None)
        if answer is None:
            result.failures.append("answered: no answer with this id")
            continue
        refused = bool(answer.get("refused"))
        sentences = answer.get("sentences") or []
        retrieved_list = [(r["doc"], r["paragraph"]) for r in answer.get("retrieved") or []]
        # Answers from elsewhere may not say what was retrieved: then existence is all we check.
        retrieved = set(retrieved_list) if "retrieved" in answer else set(paragraphs)
        if gold and retrieved_list:
            result.scores["recall_at_1"] = metrics.recall_at_k(retrieved_list, gold, 1)
            result.scores["recall_at_5"] = metrics.recall_at_k(retrieved_list, gold, 5)
            result.scores["mrr"] = metrics.reciprocal_rank(retrieved_list, gold)
        cited = [(c["doc"], c["paragraph"]) for s in sentences for c in s.get("citations", [])]
        result.scores["citation_validity"] = metrics.citation_validity(cited, set(paragraphs), retrieved)
        for key in cited:
            if key not in paragraphs:
                result.failures.append(f"citation_validity: [{key[0]} ¶{key[1]}] does not exist in the corpus")
            elif key not in retrieved:
                result.failures.append(f"citation_validity: [{key[0]} ¶{key[1]}] was not among the retrieved paragraphs")
        if sentences:
            per_sentence = [[(c["doc"], c["paragraph"]) for c in s.get("citations", [])] for s in sentences]
            result.scores["cited_sentences"] = metrics.cited_sentence_share(per_sentence)
            for i, cites in enumerate(per_sentence):
                if not cites:
                    result.failures.append(f"cited_sentences: sentence {i + 1} has no citation: {sentences[i].get('text', '')[:80]}")
            quotes = [(c, paragraphs.get((c["doc"], c["paragraph"]), "")) for s in sentences for c in s.get("citations", [])]
            if quotes:
                matches = [bool(c.get("quote")) and verbatim_in(c["quote"], text) for c, text in quotes]
                result.scores["quote_match"] = metrics.mean(1.0 if m else 0.0 for m in matches)
                for (c, _), ok in zip(quotes, matches):
                    if not ok:
                        result.failures.append(f"quote_match: the quote for [{c['doc']} ¶{c['paragraph']}] is not in that paragraph")
            checks = [supports_for(s) for s in sentences]
            recall, precision = metrics.alce_answer(per_sentence, lambda i: checks[i])
            result.scores["alce_recall"], result.scores["alce_precision"] = recall, precision
            result.supported = [bool(cites) and checks[i](cites) for i, cites in enumerate(per_sentence)]
            for i, ok in enumerate(result.supported):
                if per_sentence[i] and not ok:
                    result.failures.append(f"alce_recall: sentence {i + 1} is not supported by its citations ({judge.name} judge): {sentences[i].get('text', '')[:80]}")
            if recall == 1.0 and precision < 1.0:
                result.failures.append("alce_precision: a citation is irrelevant (the others support the sentence without it)")
        if not refused or answer.get("fallback"):  # a fallback that then refused too still counts
            result.scores["fallback_rate"] = 1.0 if answer.get("fallback") else 0.0
        _score_quality(result, question, answer, paragraphs, judge)
        if gold:
            answered = status_of(answer) == "answered"
            result.scores["false_refusal_rate"] = 0.0 if answered else 1.0
            if refused:
                result.failures.append("false_refusal_rate: refused an answerable question")
            elif not answered:
                result.failures.append(f"false_refusal_rate: answered as {status_of(answer)!r}, not as an answer")
            else:
                result.scores["gold_hit"] = metrics.gold_hit(cited, gold)
                if not result.scores["gold_hit"]:
                    result.failures.append(
                        f"gold_hit: cites {_keys(cited) or 'nothing'}, none of the gold {_keys(gold)}")
        else:
            result.scores["refusal_accuracy"] = 1.0 if refused else 0.0
            if not refused:
                result.failures.append(f"refusal_accuracy: answered an unanswerable question (cites {_keys(cited) or 'nothing'})")
    return results


def fact_groups(question: dict) -> list[list[tuple[str, int, str]]]:
    """The question's key facts, each a group of spans any one of which states it."""
    def key(fact: dict) -> tuple[str, int, str]:
        return (fact["doc"], fact["paragraph"], fact["text"])

    return [[key(f)] for f in question.get("facts", [])] + [[key(f) for f in g] for g in question.get("facts_any", [])]


def status_of(answer: dict) -> str:
    """How the answer is presented: its own "status", or, for answers from before the field
    existed, "refused" or "answered"."""
    status = answer.get("status")
    if isinstance(status, str) and status:
        return status
    return "refused" if answer.get("refused") else "answered"


def _rendering(sentence: dict) -> str | None:
    rendering = sentence.get("rendering")
    if isinstance(rendering, dict):
        rendering = rendering.get("text")
    return rendering if isinstance(rendering, str) and rendering.strip() else None


def _score_quality(result: QuestionResult, question: dict, answer: dict, paragraphs: dict, judge: Judge) -> None:
    """The answer-quality metrics of one answer (see METRICS)."""
    sentences = [s for s in answer.get("sentences") or [] if isinstance(s, dict)]
    status = status_of(answer)
    lang = question.get("lang") or language_of(question["question"])
    lead = answer.get("lead")
    displayed = answer.get("answer", "")

    keys = [[(c["doc"], c["paragraph"]) for c in s.get("citations", [])] for s in sentences]
    texts = [(s.get("text", ""), k) for s, k in zip(sentences, keys)]
    renderings = [(r.get("text"), k, r.get("language") or lang)
                  for s, k in zip(sentences, keys) if isinstance(r := s.get("rendering"), dict)]
    composed = compose_text(lead or "", texts, renderings)
    if lead is None:  # answers from elsewhere may not give their lead-in: the sentences end the text
        consistent = displayed.endswith(compose_text("", texts, renderings))
    else:
        consistent = bool(metrics.text_consistent(displayed, composed))
    result.scores["text_consistent"] = 1.0 if consistent else 0.0
    if not consistent:
        at = next((i for i, (a, b) in enumerate(zip(displayed, composed)) if a != b), min(len(displayed), len(composed)))
        result.failures.append(f"text_consistent: the shown text differs from its sentences and markers at character {at}: "
                               f"{displayed[max(0, at - 20):at + 30]!r} shown, {composed[max(0, at - 20):at + 30]!r} composed")

    shown_lead = lead if lead is not None else (displayed if not sentences else "")
    result.scores["language_match"] = metrics.language_match(lang, shown_lead, [(s.get("text", ""), _rendering(s)) for s in sentences])
    if not result.scores["language_match"]:
        reader = {"zh": "Chinese", "en": "English"}.get(lang, lang)
        if shown_lead and not metrics.reads_as(shown_lead, lang):
            result.failures.append(f"language_match: the lead-in is not in {reader}: {shown_lead[:80]}")
        for i, s in enumerate(sentences):
            rendering = _rendering(s)
            if not metrics.reads_as(s.get("text", ""), lang) and not (rendering and metrics.reads_as(rendering, lang)):
                result.failures.append(f"language_match: sentence {i + 1} is not in {reader} and has no {reader} rendering: {s.get('text', '')[:60]}")

    if not question.get("gold") or question.get("false_premise"):
        result.scores["unanswered_as_answer"] = metrics.unanswered_as_answer(status)
        if result.scores["unanswered_as_answer"]:
            why = "its premise is contradicted by the documents" if question.get("false_premise") else "the documents do not answer it"
            result.failures.append(f"unanswered_as_answer: presented as an answer, but {why}")

    groups = fact_groups(question)
    if not groups:
        return
    verdicts: dict[tuple, bool] = {}

    def states(i: int, fact: tuple[str, int, str]) -> bool:
        doc, number, span = fact
        sentence = sentences[i]
        if (i, fact) not in verdicts:
            cited = [c for c in sentence.get("citations", []) if (c["doc"], c["paragraph"]) == (doc, number)]
            text = sentence.get("text", "")
            if not cited:
                verdicts[(i, fact)] = False
            elif _is_quote(sentence):  # the quote is what it states
                verdicts[(i, fact)] = any(verbatim_in(span, c.get("quote") or "") for c in cited)
            else:  # other words or another language: the judge reads it against the paragraph
                verdicts[(i, fact)] = judge.states(paragraphs.get((doc, number), ""), span, text)
        return verdicts[(i, fact)]

    answered = status == "answered"

    def stated(fact) -> bool:
        return answered and any(states(i, fact) for i in range(len(sentences)))

    result.scores["fact_recall"] = metrics.fact_recall(groups, stated)
    result.scores["answer_complete"] = metrics.answer_complete(groups, stated)
    result.facts = [(fact, stated(fact)) for group in groups for fact in group]
    for group in groups:
        if not any(stated(f) for f in group):
            spans = " or ".join(f"«{span}» [{doc} ¶{number}]" for doc, number, span in group)
            result.failures.append(f"fact_recall: missed fact {spans}")
    if answered and sentences:
        every = [f for group in groups for f in group]
        result.useful = [any(states(i, f) for f in every) for i in range(len(sentences))]
        result.scores["fact_precision"] = metrics.fact_precision(result.useful)
        for i, useful in enumerate(result.useful):
            if not useful:
                result.failures.append(f"fact_precision: sentence {i + 1} states no key fact (filler): {sentences[i].get('text', '')[:60]}")


def _is_quote(sentence: dict) -> bool:
    """A sentence that is (or contains) one of its verbatim quotes."""
    text = normalise(sentence.get("text", ""))
    return any(c.get("quote") and normalise(c["quote"]) in text for c in sentence.get("citations", []))


def aggregate(results: list[QuestionResult]) -> dict[str, float]:
    """Each metric: the mean of the questions' own values (ALCE: the mean of per-answer scores)."""
    totals = {}
    for name in METRICS:
        values = [r.scores[name] for r in results if name in r.scores]
        totals[name] = round(metrics.mean(values), 4) if values else float("nan")
    return totals


def breakdown(results: list[QuestionResult]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[QuestionResult]] = defaultdict(list)
    for r in results:
        groups[f"lang={r.question.get('lang', '?')}"].append(r)
        groups[f"kind={r.question.get('kind', '?')}"].append(r)
    return {group: {k: v for k, v in aggregate(members).items() if v == v} | {"questions": len(members)}
            for group, members in sorted(groups.items())}


def _keys(keys) -> str:
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


# --- judge calibration --------------------------------------------------------------------------


@dataclass
class Calibration:
    judge: str
    pairs: int
    auc: float
    threshold: float  # the most accurate threshold on the labelled set
    accuracy: float  # at that threshold
    default_threshold: float
    default_accuracy: float


def read_pairs(path: Path, paragraphs: dict[tuple[str, int], str]) -> list[tuple[list[str], str, bool, str]]:
    """The labelled set: (paragraph texts, sentence, supported, lang)."""
    pairs = []
    for line_no, item in jsonl.objects(path):
        keys = [(p["doc"], p["paragraph"]) for p in item["paragraphs"]]
        missing = [k for k in keys if k not in paragraphs]
        if missing:
            raise InputError(f"{path}:{line_no}: {_keys(missing)} not in the suite corpus")
        pairs.append(([paragraphs[k] for k in keys], item["sentence"], bool(item["supported"]), item.get("lang", "?")))
    return pairs


def calibrate(judge: Judge, pairs: list[tuple[list[str], str, bool, str]]) -> Calibration:
    scored = [(judge.score(texts, sentence), supported, threshold_for(judge, sentence, texts))
              for texts, sentence, supported, _ in pairs]
    positives = [s for s, ok, _ in scored if ok]
    negatives = [s for s, ok, _ in scored if not ok]
    threshold, accuracy = metrics.best_threshold(positives, negatives)
    at_default = metrics.mean(1.0 if (s >= default) == ok else 0.0 for s, ok, default in scored)
    defaults = sorted({default for _, _, default in scored})
    return Calibration(judge.name, len(scored), metrics.roc_auc(positives, negatives), threshold, accuracy,
                       defaults[0] if len(defaults) == 1 else judge.threshold, at_default)
