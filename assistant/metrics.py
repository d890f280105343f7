"""Evaluation metrics as pure functions over plain data, unit-tested on hand-made cases.

A paragraph is identified by (doc, paragraph); a ranking is a list of them, best first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

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
