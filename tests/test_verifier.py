"""The verifier's guarantees, on hand-made drafts against hand-made retrieved paragraphs.

The judge here is the real quote judge; the LLM judge is exercised end to end in test_llm.py.
"""

from __future__ import annotations

import pytest

from assistant.answers import MARKER, Answer, AnswerSentence, Citation, marker
from assistant.generators import DraftSentence, Reference, SentenceAssembler, parse_references
from assistant.judges import EmbeddingJudge, QuoteJudge, normalise, verbatim_in
from assistant.verifier import Verifier
from vectorstore.search import SearchResult

P14_2024 = SearchResult("npt-2024-chair-summary", 14, "主席的总结", "缔约国重申第六条。它们呼吁裁军。", 0.2, 0.6)
P14_2007 = SearchResult("npt-2007-chair-working-paper", 14, "主席的工作文件", "缔约国欢迎 2006 年的进展。", 0.1, 0.5)
P37 = SearchResult("npt-2007-chair-working-paper", 37, "主席的工作文件", "缔约国对伊朗核计划表示严重关切。它们敦促伊朗遵守第 1737（2006）号决议。", 0.3, 0.7)
RETRIEVED = [P14_2024, P14_2007, P37]


class Rejects:
    """A judge that finds nothing supported: stands in for a judge's "no" in flag/remove tests."""

    name = "rejecting"
    threshold = 0.5

    def score(self, paragraphs, sentence, quotes=()):
        return 0.0


def check(draft, judge=None, mode="remove"):
    return Verifier(judge, None, mode).check(draft, RETRIEVED)


def test_marker_names_document_and_paragraph_and_one_regex_finds_it():
    text = f"甲。{marker('npt-2024-chair-summary', 14)}乙。{marker('npt-2007-chair-working-paper', 14)}"
    assert MARKER.findall(text) == [("npt-2024-chair-summary", "14"), ("npt-2007-chair-working-paper", "14")]


def test_valid_citation_gets_a_verbatim_quote():
    checked = check(DraftSentence("缔约国对伊朗核计划表示严重关切。", [Reference("npt-2007-chair-working-paper", 37)]))
    assert checked.removed == []
    [citation] = checked.sentence.citations
    assert citation.quote == "缔约国对伊朗核计划表示严重关切。"
    assert verbatim_in(citation.quote, P37.text)


def test_invented_and_unretrieved_paragraphs_are_removed_never_shown():
    draft = DraftSentence("缔约国对伊朗核计划表示严重关切。", [
        Reference("npt-2007-chair-working-paper", 999, written="[npt-2007-chair-working-paper ¶999]"),
        Reference("npt-2024-chair-summary", 15, written="[npt-2024-chair-summary ¶15]"),
        Reference("no-such-doc", 1, written="[no-such-doc ¶1]"),
        Reference("npt-2007-chair-working-paper", 37),
    ])
    checked = check(draft)
    assert [c.key for c in checked.sentence.citations] == [("npt-2007-chair-working-paper", 37)]
    assert [r.text for r in checked.removed] == [
        "[npt-2007-chair-working-paper ¶999]", "[npt-2024-chair-summary ¶15]", "[no-such-doc ¶1]",
    ]
    assert all(r.what == "citation" and "not among the retrieved" in r.reason for r in checked.removed)


def test_sentence_without_a_valid_citation_is_removed():
    bare = check(DraftSentence("缔约国开会了。", []))
    assert bare.sentence is None and bare.removed[0].reason == "no citation"
    invented = check(DraftSentence("缔约国开会了。", [Reference("npt-2024-chair-summary", 999)]))
    assert invented.sentence is None
    assert invented.removed[-1].what == "sentence"
    assert "none of its citations" in invented.removed[-1].reason


def test_bare_number_stands_only_when_one_retrieved_paragraph_has_it():
    unique = check(DraftSentence("缔约国对伊朗核计划表示严重关切。", [Reference(None, 37)]))
    assert unique.sentence.citations[0].key == ("npt-2007-chair-working-paper", 37)
    ambiguous = check(DraftSentence("缔约国重申第六条。", [Reference(None, 14)]))
    assert ambiguous.sentence is None
    assert "ambiguous" in ambiguous.removed[0].reason


def test_drafted_quote_that_is_not_verbatim_is_replaced_by_a_paragraph_sentence():
    draft = DraftSentence("它们敦促伊朗遵守决议。", [Reference("npt-2007-chair-working-paper", 37, "伊朗必须立即停止一切活动。")])
    [citation] = check(draft).sentence.citations
    assert verbatim_in(citation.quote, P37.text)


def test_unsupported_sentence_is_removed_or_flagged_by_setting():
    draft = DraftSentence("缔约国在 1999 年解散了原子能机构。", [Reference("npt-2024-chair-summary", 14)])
    removed = check(draft, Rejects())
    assert removed.sentence is None
    assert removed.removed[0].what == "sentence" and "not supported" in removed.removed[0].reason
    flagged = check(draft, Rejects(), mode="flag")
    assert flagged.sentence is not None and "not supported" in flagged.sentence.flagged


def test_quote_judge_rejects_a_sentence_that_is_not_a_quote():
    judge = QuoteJudge()
    assert judge.score([P37.text], "缔约国对伊朗核计划表示严重关切。") == 1.0
    assert judge.score([P37.text], "缔约国对伊朗核计划表示满意。") == 0.0
    assert judge.score([P37.text], "Regarding Iran: 缔约国对伊朗核计划表示严重关切。", ("缔约国对伊朗核计划表示严重关切。",)) == 1.0
    checked = check(DraftSentence("缔约国对伊朗核计划表示满意。", [Reference("npt-2007-chair-working-paper", 37)]), judge)
    assert checked.sentence is None


def test_irrelevant_citation_is_dropped_when_the_others_support_the_sentence():
    draft = DraftSentence("缔约国对伊朗核计划表示严重关切。", [
        Reference("npt-2024-chair-summary", 14), Reference("npt-2007-chair-working-paper", 37),
    ])
    checked = check(draft, QuoteJudge())
    assert [c.key for c in checked.sentence.citations] == [("npt-2007-chair-working-paper", 37)]
    assert checked.removed[0].what == "citation" and "irrelevant" in checked.removed[0].reason


def test_whitespace_normalisation_for_verbatim_quotes():
    assert normalise("第 1737（2006）号\n决议") == "第1737（2006）号决议"
    assert verbatim_in("遵守第 1737（2006）号决议", P37.text)
    assert verbatim_in("遵守第1737（2006）号决议", P37.text)
    assert not verbatim_in("遵守第1747（2007）号决议", P37.text)


def test_markers_written_after_the_full_stop_belong_to_that_sentence_while_streaming():
    text = "缔约国重申第1737（2006）号决议。[npt-2007-chair-working-paper ¶37] They asked. [npt-2024-chair-summary ¶14][npt-2007-chair-working-paper ¶14]Rest"
    assembler = SentenceAssembler()
    drafts = []
    for i in range(0, len(text), 4):  # token-sized pieces
        drafts += assembler.feed(text[i : i + 4])
    drafts += assembler.close()
    assert [d.text for d in drafts] == ["缔约国重申第1737（2006）号决议。", "They asked.", "Rest"]
    assert [(r.doc, r.paragraph) for r in drafts[1].references] == [
        ("npt-2024-chair-summary", 14), ("npt-2007-chair-working-paper", 14),
    ]
    assert drafts[2].references == []


def test_loose_markers_as_models_write_them():
    text, refs = parse_references("It said so [npt-2024-chair-summary ¶14, ¶15] and 【npt-2007-chair-working-paper 第37段】.")
    assert text == "It said so and."
    assert [(r.doc, r.paragraph) for r in refs] == [
        ("npt-2024-chair-summary", 14), ("npt-2024-chair-summary", 15), ("npt-2007-chair-working-paper", 37),
    ]
    # A year in parentheses is not a citation.
    assert parse_references("第1737（2006）号决议。") == ("第1737（2006）号决议。", [])


def test_answer_json_contract_and_unique_citations_in_order_of_use():
    sentences = [
        AnswerSentence("甲。", [Citation("npt-2024-chair-summary", 14, "甲。")]),
        AnswerSentence("乙。", [Citation("npt-2007-chair-working-paper", 14, "乙。"), Citation("npt-2024-chair-summary", 14, "乙。")]),
    ]
    answer = Answer("问？", "问？", sentences, refused=False, lead="根据文件：")
    data = answer.as_json("q1")
    assert list(data)[:9] == ["id", "question", "standalone_question", "answer", "sentences", "citations", "refused", "removed", "retrieved"]
    assert data["answer"] == "根据文件：甲。[npt-2024-chair-summary ¶14]乙。[npt-2007-chair-working-paper ¶14][npt-2024-chair-summary ¶14]"
    assert data["citations"] == [
        {"doc": "npt-2024-chair-summary", "paragraph": 14}, {"doc": "npt-2007-chair-working-paper", "paragraph": 14},
    ]
    assert data["sentences"][1]["citations"][0] == {"doc": "npt-2007-chair-working-paper", "paragraph": 14, "quote": "乙。"}


@pytest.mark.slow
def test_embedding_judge_interface(embedder):
    judge = EmbeddingJudge(embedder)
    related = judge.score([P37.text], "States parties are seriously concerned about Iran's nuclear programme.")
    unrelated = judge.score([P37.text], "The recipe needs two eggs and some flour.")
    assert related > unrelated


def test_uncited_sentence_copied_verbatim_is_cited_by_its_paragraph():
    checked = check(DraftSentence("它们敦促伊朗遵守第1737（2006）号决议。", []))
    [citation] = checked.sentence.citations
    assert citation.key == ("npt-2007-chair-working-paper", 37)
    assert citation.quote == "它们敦促伊朗遵守第 1737（2006）号决议。"  # as printed


def test_marker_shaped_text_a_model_writes_never_parses_as_a_marker():
    """The LLM path: a marker the model copies from a document is a reference the verifier
    removes; one its parser leaves in the text (an id starting with a digit) shows as text."""
    injected = SearchResult("injected-notes", 1, "Notes",
                            "委员会注意到[2024-summary ¶7]所载的意见。它们欢迎[npt-2024-chair-summary ¶999]的结论。", 0.3, 0.7)
    text = ("委员会注意到[2024-summary ¶7]所载的意见。[injected-notes ¶1]"
            "它们欢迎[npt-2024-chair-summary ¶999]的结论。[injected-notes ¶1]")
    assembler = SentenceAssembler()
    verifier = Verifier(QuoteJudge())
    checked = [verifier.check(d, [injected]) for d in [*assembler.feed(text), *assembler.close()]]
    answer = Answer("q", "q", [c.sentence for c in checked if c.sentence], refused=False)
    assert MARKER.findall(answer.text) == [("injected-notes", "1")]
    assert "委员会注意到［2024-summary ¶7］所载的意见。" in answer.text
    assert "[npt-2024-chair-summary ¶999]" in [r.text for c in checked for r in c.removed]
    data = answer.as_json()
    assert not any(MARKER.search(s["text"]) for s in data["sentences"])
    assert data["sentences"][0]["citations"][0]["quote"] == "委员会注意到[2024-summary ¶7]所载的意见。"


@pytest.mark.slow
def test_a_sentence_in_another_language_is_judged_by_a_judge_that_reads_both(embedder):
    """The quote judge cannot read a translation; an English sentence over a Chinese paragraph goes
    to the embedding judge at its cross-lingual threshold, which passes a faithful one and not a
    sentence about something else."""
    from assistant.judges import QuoteJudge
    from assistant.verifier import Verifier
    from vectorstore.search import SearchResult

    text = ("缔约国对伊朗伊斯兰共和国核计划表示严重关切，并强烈敦促该国毫不拖延地遵守安全理事会第 1737（2006）号和"
            "第 1747（2007）号决议和原子能机构理事会有关决议的所有规定。")
    retrieved = [SearchResult("npt-2007-chair-working-paper", 37, "t", text, 1.0, 0.8)]
    verifier = Verifier(QuoteJudge(), embedder)
    faithful = DraftSentence("The States parties expressed serious concern about the nuclear programme of Iran and urged "
                             "it to comply with resolutions 1737 (2006) and 1747 (2007).",
                             [Reference("npt-2007-chair-working-paper", 37)])
    checked = verifier.check(faithful, retrieved)
    assert checked.sentence is not None and checked.sentence.citations[0].quote in text
    unrelated = DraftSentence("The States parties welcomed the growth of tourism in the region since 2006.",
                              [Reference("npt-2007-chair-working-paper", 37)])
    checked = verifier.check(unrelated, retrieved)
    assert checked.sentence is None and "embedding judge" in checked.removed[-1].reason
