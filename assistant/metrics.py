"""Evaluation metrics as pure functions over plain data, unit-tested on hand-made cases.

A paragraph is identified by (doc, paragraph); a ranking is a list of them, best first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from vectorstore.paragraphs import mostly_han

ParagraphKey = tuple[str, int]


def recall_at_k(ranked: Sequence[ParagraphKey], gold: Iterable[ParagraphKey], k: int) -> float:
    """1.0 when any gold paragraph is among the first k, else 0.0 (a hit, as in recall@k for QA)."""
    gold = set(gold)
    if not gold:
        raise ValueError("recall needs at least one gold paragraph")
    return 1.0 if gold & set(ranked[:k]) else 0.0


def reciprocal_rank(ranked: Sequence[ParagraphKey], gold: Iterable[ParagraphKey]) -> float:
    gold = set(gold)
    if not gold:
        raise ValueError("reciprocal rank needs at least one gold paragraph")
    for position, key in enumerate(ranked, start=1):
        if key in gold:
            return 1.0 / position
    return 0.0


def mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else float("nan")


def roc_auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    if not positives or not negatives:
        return float("nan")
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def best_threshold(positives: Sequence[float], negatives: Sequence[float]) -> tuple[float, float]:
    """The threshold (accept when score >= t) with the best accuracy, and that accuracy.

    Among equally accurate thresholds, the midpoint between neighbouring scores is taken, so the
    threshold does not sit on a calibration example.
    """
    scores = sorted(set(positives) | set(negatives))
    if not scores:
        raise ValueError("no scores to calibrate on")
    candidates = [scores[0] - 1e-6] + [(a + b) / 2 for a, b in zip(scores, scores[1:])] + [scores[-1] + 1e-6]
    total = len(positives) + len(negatives)

    def accuracy(t: float) -> float:
        return (sum(p >= t for p in positives) + sum(n < t for n in negatives)) / total

    best = max(candidates, key=lambda t: (accuracy(t), -abs(t - 0.5)))
    return best, accuracy(best)


def caught_within_budget(positives: Sequence[float], negatives: Sequence[float], budget: float) -> tuple[float, int]:
    """The highest threshold (accept when score >= t) that rejects at most `budget` of the
    positives, and how many negatives it rejects: what a refusal signal buys for a given share
    of false refusals. Thresholds sit midway between neighbouring scores."""
    if not positives:
        raise ValueError("no positive scores to calibrate on")
    budget = min(max(budget, 0.0), 1.0)
    allowed = int(budget * len(positives) + 1e-9)  # positives that may fall below the threshold
    ordered = sorted(positives)
    if allowed >= len(ordered):
        threshold = max([*positives, *negatives]) + 1e-6
    else:
        above = ordered[allowed]  # the lowest positive that must still be accepted
        below = [s for s in [*ordered[:allowed], *negatives] if s < above]
        threshold = (above + max(below)) / 2 if below else above - 1e-6
    return threshold, sum(n < threshold for n in negatives)


def threshold_without_false_rejections(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """The highest threshold (accept when score >= t) that accepts every positive: midway between
    the lowest positive and the highest negative below it (or just under the lowest positive).

    For "nothing relevant here": refusing an answerable question costs more than answering an
    unanswerable one, whose answer still only quotes the documents.
    """
    if not positives:
        raise ValueError("no positive scores to calibrate on")
    lowest = min(positives)
    below = [n for n in negatives if n < lowest]
    return (lowest + max(below)) / 2 if below else lowest - 1e-6


# --- citations and answers ----------------------------------------------------------------------
#
# An answer's sentences are given as lists of cited paragraph keys; the judge's verdicts come in
# as a function `supports(keys) -> bool` (do these paragraphs together support this sentence?),
# so that the metrics stay pure and are tested with hand-made verdicts.


def citation_validity(cited: Sequence[ParagraphKey], existing: set[ParagraphKey], retrieved: set[ParagraphKey]) -> float:
    """Share of citations that point to a paragraph that exists and was retrieved (1.0 for none)."""
    if not cited:
        return 1.0
    return sum(key in existing and key in retrieved for key in cited) / len(cited)


def cited_sentence_share(sentence_citations: Sequence[Sequence[ParagraphKey]]) -> float:
    """Share of sentences with at least one citation (1.0 for an answer with no sentences)."""
    if not sentence_citations:
        return 1.0
    return sum(bool(c) for c in sentence_citations) / len(sentence_citations)


def alce_sentence(citations: Sequence[ParagraphKey], supports) -> tuple[float, list[float]]:
    """ALCE citation recall of one sentence, and the precision of each of its citations.

    Recall is 1 iff the sentence has citations and all of them together support it. A citation's
    precision is 0 if the sentence's recall is 0, or if the citation is irrelevant: alone it does
    not support the sentence, while the other citations together still do. (Gao et al. 2023.)
    """
    citations = list(dict.fromkeys(citations))
    if not citations or not supports(citations):
        return 0.0, [0.0] * len(citations)
    precisions = []
    for citation in citations:
        others = [c for c in citations if c != citation]
        irrelevant = not supports([citation]) and bool(others) and supports(others)
        precisions.append(0.0 if irrelevant else 1.0)
    return 1.0, precisions


def alce_answer(sentence_citations: Sequence[Sequence[ParagraphKey]], supports_for) -> tuple[float, float]:
    """ALCE citation recall and precision of a whole answer: every sentence is scored, not only
    the first (ALCE's own script scores only the first line).

    `supports_for(i)` is the `supports` function of sentence i. Recall is the mean over
    sentences; precision the mean over all citations of all sentences (0 when there are none).
    """
    if not sentence_citations:
        raise ValueError("ALCE scores need at least one sentence")
    recalls, precisions = [], []
    for i, citations in enumerate(sentence_citations):
        recall, per_citation = alce_sentence(citations, supports_for(i))
        recalls.append(recall)
        precisions.extend(per_citation)
    return mean(recalls), (mean(precisions) if precisions else 0.0)


def gold_hit(cited: Iterable[ParagraphKey], gold: Iterable[ParagraphKey]) -> float:
    """1.0 when the answer cites at least one gold paragraph."""
    gold = set(gold)
    if not gold:
        raise ValueError("gold hit needs at least one gold paragraph")
    return 1.0 if gold & set(cited) else 0.0


def refusal_accuracy(refused_on_unanswerable: Sequence[bool]) -> float:
    """Share of unanswerable questions that were refused."""
    return mean(1.0 if r else 0.0 for r in refused_on_unanswerable)


def false_refusal_rate(refused_on_answerable: Sequence[bool]) -> float:
    """Share of answerable questions that were refused."""
    return mean(1.0 if r else 0.0 for r in refused_on_answerable)


# --- answer quality -----------------------------------------------------------------------------
#
# The citation metrics above are saturated by an extractive answer (its sentences are quotes).
# These measure whether the answer answers: the key facts a suite annotates per question (short
# verbatim spans of gold paragraphs), the sentences that carry none of them, the language the
# reader meets, and whether an answer is presented where the documents do not answer. As above,
# what needs a judge comes in as a function, so the rules are tested with hand-made verdicts.

FactKey = tuple[str, int, str]  # (doc, paragraph, verbatim span)


def fact_recall(groups: Sequence[Sequence[FactKey]], stated) -> float:
    """Share of key facts the answer states. Each group is one fact; any of its spans states it
    (a required fact is a group of one). `stated(fact) -> bool`."""
    if not groups:
        raise ValueError("fact recall needs at least one fact")
    return mean(1.0 if any(stated(f) for f in group) else 0.0 for group in groups)


def answer_complete(groups: Sequence[Sequence[FactKey]], stated) -> float:
    """1.0 when the answer states every key fact."""
    return 1.0 if fact_recall(groups, stated) == 1.0 else 0.0


def fact_precision(useful: Sequence[bool]) -> float:
    """Share of answer sentences that state a key fact or are needed for one (1 - filler rate)."""
    if not useful:
        raise ValueError("fact precision needs at least one sentence")
    return mean(1.0 if u else 0.0 for u in useful)


def reads_as(text: str, lang: str) -> bool:
    """Whether a reader of `lang` can read the text: Chinese is mostly Han characters; English
    holds none (a Chinese name left in an English sentence is not readable to its reader)."""
    if lang == "zh":
        return mostly_han(text)
    return not _HAN.search(text)


def language_match(lang: str, lead: str, sentences: Sequence[tuple[str, str | None]]) -> float:
    """1.0 when every reader-facing piece of the answer is in the question's language: the lead-in
    and each sentence, where a sentence in another language counts only with a rendering in the
    question's language beside it. `sentences`: (text, rendering or None)."""
    if lead and not reads_as(lead, lang):
        return 0.0
    for text, rendering in sentences:
        if not reads_as(text, lang) and not (rendering and reads_as(rendering, lang)):
            return 0.0
    return 1.0


def unanswered_as_answer(status: str) -> float:
    """For a question the documents do not answer (or whose premise they contradict): 1.0 when the
    answer is presented as an answer, neither refused nor marked as only close ("related")."""
    return 1.0 if status == "answered" else 0.0


def text_consistent(displayed: str, composed: str) -> float:
    """1.0 when the text a reader sees is the answer's sentences with their markers, as composed
    from the structured answer (`assistant.answers.compose_text`): an edit of the shown text
    alone (a marker, a year) leaves the structured fields, which the other metrics score, intact."""
    return 1.0 if displayed == composed else 0.0


_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# A reference to a paragraph by number is about the citation, not a fact of the sentence.
_PARAGRAPH_REFERENCE = re.compile(r"¶\s*\d+|\bparagraphs?\s+\d+|第\s*\d+\s*段")


def numbers_in(text: str) -> set[str]:
    """The numbers a text states (years, counts, resolution numbers, days), as digit strings:
    full-width digits read as ASCII, thousands separators dropped ("1,000" is "1000")."""
    text = _PARAGRAPH_REFERENCE.sub(" ", unicodedata.normalize("NFKC", text))
    found = set()
    for match in _NUMBER.finditer(text):
        number = match.group(0)
        if "," in number and all(len(part) == 3 for part in number.split(",")[1:]):
            number = number.replace(",", "")
        for part in number.split(","):  # "1737, 1747" is two numbers
            found.add(part.rstrip(".").lstrip("0") or "0")
    return found


def numbers_supported(sentence: str, paragraphs: Sequence[str]) -> bool:
    """Every number the sentence states appears as a number in the paragraphs: a changed year,
    count or resolution number fails whatever the judge's score."""
    return numbers_in(sentence) <= set().union(*(numbers_in(p) for p in paragraphs)) if paragraphs else not numbers_in(sentence)
