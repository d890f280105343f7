"""The metrics on hand-made cases."""

import math

import pytest

from assistant.metrics import best_threshold, mean, recall_at_k, reciprocal_rank, roc_auc

A, B, C, D = ("d", 1), ("d", 2), ("e", 1), ("e", 2)


@pytest.mark.parametrize(
    ("ranked", "gold", "k", "expected"),
    [
        ([A, B, C], [A], 1, 1.0),
        ([B, A, C], [A], 1, 0.0),
        ([B, A, C], [A], 2, 1.0),
        ([B, C], [A], 5, 0.0),
        ([B, C, D], [A, D], 3, 1.0),  # any gold paragraph is a hit
        ([], [A], 5, 0.0),
    ],
)
def test_recall_at_k(ranked, gold, k, expected):
    assert recall_at_k(ranked, gold, k) == expected


def test_reciprocal_rank():
    assert reciprocal_rank([A, B, C], [C]) == pytest.approx(1 / 3)
    assert reciprocal_rank([A, B, C], [B, C]) == 0.5  # the first gold paragraph counts
    assert reciprocal_rank([A], [D]) == 0.0


def test_no_gold_is_an_error_not_a_score():
    with pytest.raises(ValueError):
        recall_at_k([A], [], 1)
    with pytest.raises(ValueError):
        reciprocal_rank([A], [])


def test_mean_of_nothing_is_nan():
    assert math.isnan(mean([]))
    assert mean([1.0, 0.0, 0.5]) == 0.5


def test_roc_auc():
    assert roc_auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert roc_auc([0.1], [0.9]) == 0.0
    assert roc_auc([0.5], [0.5]) == 0.5


def test_best_threshold_separates_and_sits_between_examples():
    threshold, accuracy = best_threshold([0.6, 0.7, 0.9], [0.2, 0.3, 0.5])
    assert accuracy == 1.0
    assert threshold == pytest.approx(0.55)
    threshold, accuracy = best_threshold([0.6, 0.4], [0.5])
    assert accuracy == pytest.approx(2 / 3)
