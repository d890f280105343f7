"""The metrics on hand-made cases."""

import math

import pytest

from assistant.metrics import best_threshold, caught_within_budget, mean, recall_at_k, reciprocal_rank, roc_auc

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


def test_caught_within_budget():
    answerable = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]
    unanswerable = [0.55, 0.25, 0.15, 0.02]
    # No false refusal allowed: the threshold sits between 0.05 and the 0.02 below it.
    assert caught_within_budget(answerable, unanswerable, 0.0) == (pytest.approx(0.035), 1)
    # 20 % of 10: two answerable may be refused (0.05, 0.1); then 0.15 and 0.02 are caught.
    threshold, caught = caught_within_budget(answerable, unanswerable, 0.2)
    assert threshold == pytest.approx(0.175) and caught == 2
    # A budget under one question is no budget.
    assert caught_within_budget(answerable, unanswerable, 0.05)[1] == 1
    # Everything may be refused: everything is caught.
    assert caught_within_budget([0.5], [0.9, 0.1], 1.0)[1] == 2
    with pytest.raises(ValueError):
        caught_within_budget([], [0.1], 0.1)


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


# --- citation metrics: ALCE's rules on hand-made judge verdicts -----------------------------------

from assistant.metrics import (  # noqa: E402
    alce_answer, alce_sentence, citation_validity, cited_sentence_share, false_refusal_rate, gold_hit,
    refusal_accuracy,
)


def verdicts(*supporting_sets):
    """A judge that says "supported" exactly for these sets of paragraphs (and their supersets)."""
    sets = [frozenset(s) for s in supporting_sets]
    return lambda keys: any(s <= frozenset(keys) for s in sets)


def test_alce_sentence_without_citations_has_recall_zero():
    assert alce_sentence([], verdicts({A})) == (0.0, [])


def test_alce_unsupported_sentence_zeroes_every_citation():
    assert alce_sentence([A, B], verdicts({C})) == (0.0, [0.0, 0.0])


def test_alce_single_supporting_citation():
    assert alce_sentence([A], verdicts({A})) == (1.0, [1.0])


def test_alce_irrelevant_citation_gets_precision_zero():
    # B alone does not support it, and A without B still does: B is irrelevant.
    assert alce_sentence([A, B], verdicts({A})) == (1.0, [1.0, 0.0])


def test_alce_citations_needed_together_are_both_precise():
    # Neither alone supports it; together they do: neither is irrelevant.
    assert alce_sentence([A, B], verdicts({A, B})) == (1.0, [1.0, 1.0])


def test_alce_redundant_citations_that_each_support_are_both_precise():
    # Each alone supports it: neither fails the "alone does not support" condition.
    assert alce_sentence([A, B], verdicts({A}, {B})) == (1.0, [1.0, 1.0])


def test_alce_third_citation_irrelevant_among_a_needed_pair():
    assert alce_sentence([A, B, C], verdicts({A, B})) == (1.0, [1.0, 1.0, 0.0])


def test_alce_answer_scores_every_sentence_not_only_the_first():
    sentences = [[A], [B], []]
    per_sentence = [verdicts({A}), verdicts({C}), verdicts({A})]
    recall, precision = alce_answer(sentences, lambda i: per_sentence[i])
    assert recall == pytest.approx(1 / 3)  # the second is unsupported, the third uncited
    assert precision == pytest.approx(1 / 2)  # two citations, one precise
    with pytest.raises(ValueError):
        alce_answer([], lambda i: verdicts())


def test_citation_validity_and_cited_sentences():
    existing = {A, B, C}
    assert citation_validity([A, B], existing, retrieved={A, B}) == 1.0
    assert citation_validity([A, ("d", 999)], existing, retrieved={A}) == 0.5  # does not exist
    assert citation_validity([A, C], existing, retrieved={A}) == 0.5  # exists, not retrieved
    assert citation_validity([], existing, retrieved=set()) == 1.0
    assert cited_sentence_share([[A], [], [B, C]]) == pytest.approx(2 / 3)


def test_answer_level_metrics():
    assert gold_hit([B, C], [C, D]) == 1.0
    assert gold_hit([B], [C]) == 0.0
    with pytest.raises(ValueError):
        gold_hit([A], [])
    assert refusal_accuracy([True, True, False, True]) == 0.75
    assert false_refusal_rate([False] * 19 + [True]) == 0.05
    assert math.isnan(refusal_accuracy([]))


def test_threshold_without_false_rejections():
    from assistant.metrics import threshold_without_false_rejections

    assert threshold_without_false_rejections([0.5, 0.7], [0.2, 0.4, 0.6]) == pytest.approx(0.45)
    assert threshold_without_false_rejections([0.5], [0.6]) == pytest.approx(0.5 - 1e-6)
    with pytest.raises(ValueError):
        threshold_without_false_rejections([], [0.1])


# --- answer quality ------------------------------------------------------------------------------

from assistant.answers import compose_text  # noqa: E402
from assistant.metrics import (  # noqa: E402
    answer_complete,
    fact_precision,
    fact_recall,
    language_match,
    numbers_in,
    numbers_supported,
    reads_as,
    text_consistent,
    unanswered_as_answer,
)

CHINA, FRANCE, YEAR = ("d", 1, "中国"), ("d", 1, "法国"), ("d", 2, "2024年")


def test_fact_recall_counts_each_group_once():
    stated = {CHINA}.__contains__
    assert fact_recall([[CHINA], [FRANCE]], stated) == 0.5
    assert fact_recall([[CHINA, FRANCE]], stated) == 1.0  # any one span of a group states it
    assert fact_recall([[FRANCE, YEAR]], stated) == 0.0
    assert fact_recall([[CHINA], [FRANCE, CHINA]], stated) == 1.0
    with pytest.raises(ValueError):
        fact_recall([], stated)


def test_answer_complete_needs_every_fact():
    assert answer_complete([[CHINA], [YEAR]], {CHINA, YEAR}.__contains__) == 1.0
    assert answer_complete([[CHINA], [YEAR]], {CHINA}.__contains__) == 0.0
    assert answer_complete([[FRANCE, CHINA]], {CHINA}.__contains__) == 1.0


def test_fact_precision_is_the_share_of_useful_sentences():
    assert fact_precision([True, False, False, True]) == 0.5
    assert fact_precision([True]) == 1.0
    with pytest.raises(ValueError):
        fact_precision([])


@pytest.mark.parametrize(("text", "lang", "expected"), [
    ("缔约国表示严重关切。", "zh", True),
    ("安理会第1737（2006）号决议", "zh", True),  # numbers and Latin names inside Chinese are Chinese text
    ("States parties expressed concern.", "en", True),
    ("Resolution 2231 (2015) was endorsed.", "en", True),
    ("缔约国表示严重关切。", "en", False),
    ("Some缔约国 urged restraint.", "en", False),  # one Han word left makes it unreadable to its reader
    ("The IAEA report on Fukushima.", "zh", False),
])
def test_reads_as(text, lang, expected):
    assert reads_as(text, lang) is expected


def test_language_match_needs_the_lead_and_every_sentence_or_its_rendering():
    en_lead = "The documents say:"
    zh = "缔约国对伊朗伊斯兰共和国核计划表示严重关切。"
    assert language_match("en", en_lead, [("States parties were concerned.", None)]) == 1.0
    assert language_match("en", en_lead, [(zh, None)]) == 0.0  # quoted in Chinese only
    assert language_match("en", en_lead, [(zh, "States parties expressed serious concern.")]) == 1.0
    assert language_match("en", en_lead, [(zh, "Some缔约国 expressed concern.")]) == 0.0  # the rendering must read too
    assert language_match("en", "根据文件：", [("States parties were concerned.", None)]) == 0.0
    assert language_match("zh", "根据文件：", [(zh, None)]) == 1.0
    assert language_match("zh", "", []) == 1.0  # nothing shown in another language
    assert language_match("en", "The documents do not address this question（文件中没有提到“X”）。", []) == 0.0


def test_unanswered_as_answer_counts_only_what_is_presented_as_an_answer():
    assert unanswered_as_answer("answered") == 1.0
    assert unanswered_as_answer("related") == 0.0
    assert unanswered_as_answer("refused") == 0.0


def test_text_consistent_compares_with_the_composed_text():
    sentences = [("缔约国表示关切。", [("d", 1)]), ("Second sentence.", [("d", 2), ("d", 2)])]
    composed = compose_text("根据文件：", sentences)
    assert composed == "根据文件：缔约国表示关切。[d ¶1]Second sentence.[d ¶2]"
    assert text_consistent(composed, composed) == 1.0
    assert text_consistent(composed.replace("¶1", "¶7"), composed) == 0.0  # a marker edited in the text only
    assert text_consistent(composed + " ", composed) == 0.0
    assert compose_text("The documents say:", [("One.", [("d", 1)]), ("Two.", [("d", 2)])]) == \
        "The documents say: One.[d ¶1] Two.[d ¶2]"
    assert compose_text("文件没有涉及这个问题。", []) == "文件没有涉及这个问题。"


@pytest.mark.parametrize(("text", "expected"), [
    ("安理会第1737（2006）号决议", {"1737", "2006"}),
    ("２０２４年", {"2024"}),  # full-width digits
    ("1,000 inspectors and 2.5 per cent", {"1000", "2.5"}),
    ("resolutions 1737, 1747 and 1803", {"1737", "1747", "1803"}),
    ("as paragraph 14 says, ¶15 and 第16段 agree: 2023 年 11 月 27 日", {"2023", "11", "27"}),
    ("no numbers here", set()),
])
def test_numbers_in(text, expected):
    assert numbers_in(text) == expected


def test_numbers_supported_fails_a_changed_or_added_number():
    paragraph = "安全理事会第1737（2006）号决议，缔约国于2023 年 11 月 27 日举行会议。"
    assert numbers_supported("第1737（2006）号决议", [paragraph])
    assert not numbers_supported("第1737（2007）号决议", [paragraph])  # a year changed
    assert not numbers_supported("Resolution 1738 (2006).", [paragraph])
    assert numbers_supported("The meeting began on 27 November 2023.", [paragraph])
    assert not numbers_supported("from 27 to 12 December 2023", [paragraph])  # 12 is printed nowhere
    assert numbers_supported("No number at all.", [])
    assert not numbers_supported("In 2024.", [])
    assert numbers_supported("In 2024.", ["无关段落", "2024年"])  # any of the cited paragraphs
