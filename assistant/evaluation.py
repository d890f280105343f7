"""The citation-faithfulness eval: answer a suite's questions, score every answer, hold the thresholds.

`run_suite` is what the CLI and the benchmarks call. Answers come from the configured generator,
or from a file (`--answers`; see `assistant.suites`). The corpus is read from the suite's own
files, so an answer that cites a paragraph the corpus does not have is caught even when nothing
was retrieved here. Generated answers run against the suite's own collections (prefix
`eval_<suite>`), never the user's store.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from vectorstore.errors import InputError
from vectorstore.paragraphs import language_of
from vectorstore.quotes import normalise, verbatim_in

from . import metrics
from .answers import compose_text
from .judges import Judge, threshold_for
from .suites import METRICS, Suite, fact_groups, keys_text

__all__ = ["METRICS", "Calibration", "QuestionResult", "Report", "aggregate", "breakdown", "calibrate", "generate",
           "run_suite", "score", "status_of"]


def run_suite(suite: Suite, questions: list[dict], settings, judge_name: str | None = None,
              generator: str | None = None, answers: dict[str, dict] | None = None,
              thresholds: dict | None = None, on_answer: Callable[[], None] | None = None) -> Report:
    """Answer `questions` of the suite with `generator` (or score `answers` read from a file),
    judge them with `judge_name` (by default quote for extractive answers, else llm), and report
    against `thresholds` (by default the suite's). `on_answer` is called after each question."""
    from . import services

    paragraphs = suite.paragraphs()
    if answers is None:
        answers = generate(suite, questions, settings, generator, on_answer)
        generator_name = generator or settings.generator
    else:
        generator_name = ",".join(sorted({a.get("generator", "unknown") for a in answers.values()})) or "unknown"
    judge = services.judge(settings, judge_name or ("quote" if generator_name == "extractive" else "llm"))
    results = score(questions, answers, paragraphs, judge)
    return Report(suite.name, generator_name, judge.name, results, aggregate(results), breakdown(results),
                  suite.thresholds if thresholds is None else thresholds)


def generate(suite: Suite, questions: list[dict], settings, generator: str | None = None,
             on_answer: Callable[[], None] | None = None) -> dict[str, dict]:
    """Answer the questions against the suite's own collections, as `Answer.as_json` by id. A
    question the assistant would not take (too long, a malformed history) gets no answer: it is
    scored as "no answer"."""
    from . import services
    from .answering import Done

    prefix = "eval_" + re.sub(r"[^A-Za-z0-9]+", "_", suite.name)
    settings = settings.model_copy(update={"collection_prefix": prefix})
    services.ingest_documents(settings, suite.documents())
    assistant = services.assistant(settings, generator)
    produced = {}
    for q in questions:
        try:
            events = assistant.stream(q["question"], q.get("history"))  # checks the question first
        except InputError:
            pass
        else:
            done = [e for e in events if isinstance(e, Done)]
            produced[q["id"]] = done[-1].answer.as_json(q["id"])
        if on_answer:
            on_answer()
    return produced


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
    supports_for = _support_checker(paragraphs, judge)
    for question in questions:
        answer = answers.get(question["id"])
        result = QuestionResult(question, answer)
        results.append(result)
        result.scores["answered"] = float(answer is not None)
        if answer is None:
            result.failures.append("answered: no answer with this id")
            continue
        cited = _score_citations(result, answer, paragraphs, judge, supports_for)
        if not answer.get("refused") or answer.get("fallback"):  # a fallback that then refused too still counts
            result.scores["fallback_rate"] = 1.0 if answer.get("fallback") else 0.0
        _score_quality(result, question, answer, paragraphs, judge)
        _score_refusal(result, question, answer, cited)
    return results


def _support_checker(paragraphs: dict[tuple[str, int], str], judge: Judge):
    """`supports_for(sentence)(keys)`: whether those cited paragraphs support the sentence, each
    (sentence, paragraphs) judged once across the suite."""
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

    return supports_for


def _score_citations(result: QuestionResult, answer: dict, paragraphs: dict, judge: Judge, supports_for) -> list:
    """Retrieval and citation metrics of one answer; returns the paragraphs it cites."""
    gold = [(g["doc"], g["paragraph"]) for g in result.question.get("gold", [])]
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
    if not sentences:
        return cited
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
            result.failures.append(f"alce_recall: sentence {i + 1} is not supported by its citations ({judge.name} judge): "
                                   f"{sentences[i].get('text', '')[:80]}")
    if recall == 1.0 and precision < 1.0:
        result.failures.append("alce_precision: a citation is irrelevant (the others support the sentence without it)")
    return cited


def _score_refusal(result: QuestionResult, question: dict, answer: dict, cited: list) -> None:
    """An answerable question answered (and from a gold paragraph); an unanswerable one refused."""
    gold = [(g["doc"], g["paragraph"]) for g in question.get("gold", [])]
    refused = bool(answer.get("refused"))
    if not gold:
        result.scores["refusal_accuracy"] = metrics.refusal_accuracy([refused])
        if not refused:
            result.failures.append(f"refusal_accuracy: answered an unanswerable question (cites {keys_text(cited) or 'nothing'})")
        return
    answered = gives_the_facts(question, answer)
    result.scores["false_refusal_rate"] = metrics.false_refusal_rate([not answered])
    if refused:
        result.failures.append("false_refusal_rate: refused an answerable question")
    elif not answered:
        result.failures.append(f"false_refusal_rate: answered as {status_of(answer)!r}, not as an answer")
    else:
        result.scores["gold_hit"] = metrics.gold_hit(cited, gold)
        if not result.scores["gold_hit"]:
            result.failures.append(f"gold_hit: cites {keys_text(cited) or 'nothing'}, none of the gold {keys_text(gold)}")


def gives_the_facts(question: dict, answer: dict) -> bool:
    """Whether the answer is shown as what the documents say on the question: `answered`; for a
    question whose premise they contradict also `related`, which is the right state for it (its
    quotes say what the documents do say, under "they do not state this directly")."""
    status = status_of(answer)
    return status == "answered" or (bool(question.get("false_premise")) and status == "related")


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

    answered = gives_the_facts(question, answer)

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
