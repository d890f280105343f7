"""Golden tests: the demo corpus splits into its printed paragraphs with every PDF artifact undone."""

import re

import pytest

from vectorstore.paragraphs import join_lines, parse_lines, tidy
from vectorstore.readers import load_document

from .conftest import CORPUS, DOC_2007, DOC_2024


@pytest.fixture(scope="module")
def doc2007():
    return load_document(CORPUS / f"{DOC_2007}.txt")


@pytest.fixture(scope="module")
def doc2024():
    return load_document(CORPUS / f"{DOC_2024}.txt")


def text(document, number):
    return next(p.text for p in document.paragraphs if p.number == number)


def test_all_paragraphs_found_with_their_printed_numbers(doc2007, doc2024):
    assert [p.number for p in doc2007.paragraphs] == list(range(1, 52))
    assert [p.number for p in doc2024.paragraphs] == list(range(1, 153))
    assert doc2007.numbering == doc2024.numbering == "printed"
    assert doc2007.warnings == doc2024.warnings == []


def test_title_session_and_date_are_metadata_not_paragraphs(doc2007, doc2024):
    assert doc2024.title == "主席的总结"
    assert doc2024.metadata["session"] == "第二届会议"
    assert doc2024.metadata["date"] == "2024 年 7 月 22 日至 8 月 2 日，日内瓦"
    assert doc2007.title == "主席的工作文件"
    assert text(doc2024, 1).startswith("本文件是不扩散核武器条约缔约国")


def test_2024_paragraph_144_reads_across_its_footnote(doc2024):
    p144 = text(doc2024, 144)
    assert "特别是在履行第六条及其相关承诺方面。与此同时" in p144
    assert "http" not in p144 and "见" not in p144 and "_" not in p144
    assert p144.endswith("特别是履行裁军义务和缺乏相关进展。")


def test_2007_paragraph_1_has_no_footnote_marker_or_text(doc2007):
    p1 = text(doc2007, 1)
    assert p1.startswith("缔约国重申，《不扩散核武器条约》是全球不扩散机制的基石")
    assert "\uf02a" not in p1 and not re.search(r"\d", p1)
    assert "本摘要中提及" not in " ".join(p.text for p in doc2007.paragraphs)


def test_2007_paragraph_6_continues_across_the_page_after_the_footnote(doc2007):
    assert "缔约国还呼吁这些国家执行必要的全面保障监督协定及其附加议定书" in text(doc2007, 6)


def test_2024_paragraph_140_loses_its_bare_footnote_marker_but_keeps_real_numbers(doc2024):
    assert "综合报告”的报告，并表示支持" in text(doc2024, 140)
    assert "第三条第 1 款" in text(doc2024, 68)


def test_2007_paragraph_37_found_without_a_space_after_its_number(doc2007):
    assert text(doc2007, 37).startswith("缔约国对伊朗伊斯兰共和国核计划表示严重关切")


def test_2024_paragraph_151_keeps_its_items(doc2024):
    p151 = text(doc2024, 151)
    positions = [p151.index(f"({letter})") for letter in "abcdefghi"]
    assert positions == sorted(positions)
    assert "(i) 可用于军事目的的裂变材料的数量。" in p151


def test_last_paragraphs_end_with_their_own_last_sentence(doc2007, doc2024):
    assert text(doc2007, 51).endswith("就加强非政府组织参与问题提出了实质性建议。")
    assert text(doc2024, 152).endswith("并回顾了第十次审议大会上发表的性别问题联合声明。")


def test_url_lines_inside_paragraphs_are_removed(doc2024):
    for p in doc2024.paragraphs:
        assert "undocs.org" not in p.text and "https" not in p.text
    assert "1994 年签署的" in text(doc2024, 28)


def test_wrapped_lines_join_without_stray_spaces(doc2007, doc2024):
    for document in (doc2007, doc2024):
        for p in document.paragraphs:
            assert not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", p.text), p.number
            assert "  " not in p.text and "\n" not in p.text
    assert "2007 年在继任人主持下" in " ".join(p.text for p in doc2007.paragraphs)


@pytest.mark.parametrize(
    ("left", "right", "joined"),
    [
        ("谋求实", "现核裁军", "谋求实现核裁军"),
        ("the Treaty", "was signed", "the Treaty was signed"),
        ("欢迎 2007", "年 2 月", "欢迎 2007 年 2 月"),
        ("and 2010", "Review", "and 2010 Review"),
        ("包括：", "(a) 核弹头", "包括：(a) 核弹头"),
    ],
)
def test_join_lines(left, right, joined):
    assert join_lines(left, right) == joined


def test_tidy_removes_private_use_markers_only_where_they_are():
    assert tidy("缔约国 \uf02a1 重申第 1 款", {1}) == "缔约国重申第 1 款"


def test_jumps_and_repeats_are_reported_with_their_line():
    lines = ["1. First.", "2. Second.", "", "4. Fourth.", "4. Again."]
    parsed = parse_lines(lines)
    assert [p.number for p in parsed.paragraphs] == [1, 2, 4, 4]
    assert parsed.warnings == [
        "paragraph numbering jumps from 2 to 4 (line 4)",
        "paragraph numbering repeats from 4 to 4 (line 5)",
    ]


def test_a_number_inside_a_wrapped_sentence_is_not_a_paragraph():
    parsed = parse_lines(["1. The parties recalled resolution", "1887. They agreed.", "2. Next."])
    assert [p.number for p in parsed.paragraphs] == [1, 2]
    assert parsed.paragraphs[0].text == "The parties recalled resolution 1887. They agreed."


def test_documents_without_printed_numbers_are_numbered_in_order():
    parsed = parse_lines(["Annual policy", "", "First point here.", "", "Second point,", "wrapped."])
    assert parsed.numbering == "inferred"
    assert parsed.header == ["Annual policy"]
    assert [(p.number, p.text) for p in parsed.paragraphs] == [
        (1, "First point here."), (2, "Second point, wrapped."),
    ]


def test_an_unfinished_footnote_does_not_swallow_the_next_paragraph():
    lines = ["1. One.", "2. Two runs on", "__________", "1 A/HRC/40/3", "continued", "3. Third starts.", "4. Fourth."]
    parsed = parse_lines(lines)
    assert [p.number for p in parsed.paragraphs] == [1, 2, 3, 4]
    assert parsed.warnings == []


def test_a_numbered_list_after_prose_is_not_printed_numbering():
    lines = ["Privacy policy", "", "We collect data.", "", "To delete your data:", "", "1. Log in.", "", "2. Click delete."]
    parsed = parse_lines(lines)
    assert parsed.numbering == "inferred"
    assert [p.text for p in parsed.paragraphs][:2] == ["We collect data.", "To delete your data:"]


def test_the_next_number_in_lower_case_mid_sentence_is_not_a_paragraph():
    parsed = parse_lines(["1. The vote was 12 to", "2. abstentions were noted.", "2. Next."])
    assert [(p.number, p.text) for p in parsed.paragraphs] == [
        (1, "The vote was 12 to 2. abstentions were noted."), (2, "Next."),
    ]


def test_a_footnote_marker_is_dropped_only_on_its_own_page():
    lines = ["1. 缔约国欢迎三项倡议，1 并呼吁各国加入。", "__________", "1 见 A/61/1。",
             "2. 缔约国指出，1 个国家尚未批准。"]
    parsed = parse_lines(lines)
    assert [(p.number, p.text) for p in parsed.paragraphs] == [
        (1, "缔约国欢迎三项倡议，并呼吁各国加入。"), (2, "缔约国指出，1 个国家尚未批准。"),
    ]


def test_body_text_that_starts_with_a_number_is_not_taken_for_the_next_footnote():
    lines = ["1. 缔约国指出，已有", "__________", "1 见 A/61/1。", "15 个国家批准了该议定书。", "2. 第二段。"]
    parsed = parse_lines(lines)
    assert [(p.number, p.text) for p in parsed.paragraphs] == [
        (1, "缔约国指出，已有 15 个国家批准了该议定书。"), (2, "第二段。"),
    ]


def test_footnotes_that_restart_or_do_not_end_a_sentence_stay_footnotes():
    # Numbering restarts on each page; a footnote that is only a symbol does not end a sentence.
    lines = ["1. 第一段，1 内容。", "__________", "1 A/61/1", "2 A/62/2", "3 见第三个文件。",
             "2. 第二段，1 内容。", "__________", "1 另一页的注。", "3. 第三段。"]
    parsed = parse_lines(lines)
    assert [(p.number, p.text) for p in parsed.paragraphs] == [
        (1, "第一段，内容。"), (2, "第二段，内容。"), (3, "第三段。"),
    ]


def test_paragraph_numbers_of_five_and_six_digits_are_paragraphs():
    """`\\d{1,4}` took 10000 onwards for text: a document of 100,000 paragraphs ingested as 9,999."""
    lines = ["1. First.", "2. Second.", *(f"{n}. Paragraph {n}." for n in range(99998, 100003))]
    parsed = parse_lines(lines)
    assert [(p.number, p.text) for p in parsed.paragraphs][-3:] == [
        (100000, "Paragraph 100000."), (100001, "Paragraph 100001."), (100002, "Paragraph 100002."),
    ]
    assert [p.number for p in parsed.paragraphs] == [1, 2, 99998, 99999, 100000, 100001, 100002]
    assert parsed.warnings == ["paragraph numbering jumps from 2 to 99998 (line 3)"]


def test_lower_case_numbered_items_are_not_merged_into_one_paragraph():
    lines = ["1. alpha beta", "2. gamma delta", "3. epsilon zeta", "4. eta theta", "5. iota kappa"]
    parsed = parse_lines(lines)
    assert [(p.number, p.text) for p in parsed.paragraphs] == [
        (1, "alpha beta"), (2, "gamma delta"), (3, "epsilon zeta"), (4, "eta theta"), (5, "iota kappa"),
    ]
    assert parsed.warnings == ["4 numbered lines would have continued the sentence before them; "
                               "each is taken as a paragraph of its own"]


def test_a_big_document_parses_whole():
    """Joined once per paragraph, not line by line: the same paragraphs, with no time going
    quadratic in a long one (`benchmarks/ingest.py` prints the time)."""
    words = ["alpha", "beta", "缔约国", "2007", "审议大会", "gamma"]
    lines, expected = ["Big", ""], []
    for n in range(1, 20_001):
        pieces = [f"{words[(n + i) % 6]}{n}" for i in range(6)]
        lines += [f"{n}. {pieces[0]}", *pieces[1:-1], f"{pieces[-1]}.", ""]
        expected.append(join_lines(join_lines(join_lines(join_lines(join_lines(
            pieces[0], pieces[1]), pieces[2]), pieces[3]), pieces[4]), f"{pieces[5]}."))
    long_one = [f"line {i} of the long one" for i in range(5_000)]
    lines += ["20001. It starts", *long_one, "and ends."]
    parsed = parse_lines(lines)
    assert [p.text for p in parsed.paragraphs[:-1]] == expected
    assert parsed.paragraphs[-1].text == " ".join(["It starts", *long_one, "and ends."])
    assert len(parsed.paragraphs) == 20_001 and parsed.warnings == []


@pytest.mark.timeout(10)
def test_one_paragraph_of_a_hundred_thousand_lines_parses_in_one_pass():
    """Each line was joined onto the text so far (quadratic): 100,000 wrapped lines took about
    25 s before, and a 50 MB file stalled for minutes; once through, it is well under a second."""
    lines = ["Title", "", "1. Short.", "", "2. It starts", *(f"line {i} of the long one" for i in range(100_000)),
             "and ends."]
    parsed = parse_lines(lines)
    assert [p.number for p in parsed.paragraphs] == [1, 2]
    assert parsed.paragraphs[1].text.startswith("It starts line 0 of") and parsed.paragraphs[1].text.endswith("and ends.")


@pytest.mark.parametrize("question, language", [
    ("What is the IAEA?", "en"),
    ("原子能机构(IAEA)怎么说？", "zh"),  # Latin names in a Chinese question
    ("2024年的总结", "zh"),
    ("The TPNW (禁止核武器条约) entered into force in 2017?", "en"),  # a term annotated in brackets
])
def test_the_language_of_a_question(question, language):
    from vectorstore.paragraphs import language_of

    assert language_of(question) == language
