"""Every format gives the same paragraphs for the same document; bad input gets a clear error."""

import re

import pytest

from vectorstore.errors import InputError
from vectorstore.readers import MAX_FILE_BYTES, decode_text, load_document

from .conftest import CORPUS, DOC_2007, DOC_2024
from .fixtures import write_docx, write_html, write_markdown, write_pdf


@pytest.fixture(scope="module", params=[DOC_2007, DOC_2024])
def golden(request):
    return load_document(CORPUS / f"{request.param}.txt")


def pairs(document):
    return [(p.number, p.text) for p in document.paragraphs]


def test_docx_with_automatic_numbering_gives_the_same_paragraphs(golden, tmp_path):
    loaded = load_document(write_docx(golden, tmp_path / f"{golden.doc_id}.docx"))
    assert loaded.doc_id == golden.doc_id
    assert loaded.numbering == "printed"
    assert loaded.title == golden.title
    assert pairs(loaded) == pairs(golden)


def test_pdf_gives_the_same_paragraphs(golden, tmp_path):
    loaded = load_document(write_pdf(golden, tmp_path / f"{golden.doc_id}.pdf"))
    assert [p.number for p in loaded.paragraphs] == [p.number for p in golden.paragraphs]
    # The PDF wraps lines anywhere, also inside a Latin word or a number; spacing aside the
    # text must be the same.
    def squeeze(text):
        return re.sub(r"\s+", "", text)

    assert [squeeze(t) for _, t in pairs(loaded)] == [squeeze(t) for _, t in pairs(golden)]
    same = sum(a == b for a, b in zip(pairs(loaded), pairs(golden)))
    assert same / len(golden.paragraphs) > 0.8


def test_html_ordered_list_gives_the_same_paragraphs(golden, tmp_path):
    loaded = load_document(write_html(golden, tmp_path / f"{golden.doc_id}.html"))
    assert pairs(loaded) == pairs(golden)
    assert "Home" not in " ".join(t for _, t in pairs(loaded))


def test_markdown_gives_the_same_paragraphs(golden, tmp_path):
    loaded = load_document(write_markdown(golden, tmp_path / f"{golden.doc_id}.md"))
    assert pairs(loaded) == pairs(golden)
    assert loaded.title == golden.title


def test_html_without_numbers_is_numbered_in_order(tmp_path):
    path = tmp_path / "policy.html"
    path.write_text("<html><head><title>Policy</title></head><body><h1>Policy</h1>"
                    "<p>We keep data for <b>30 days</b>.</p><p>Then we delete it.</p></body></html>")
    loaded = load_document(path)
    assert loaded.numbering == "inferred"
    assert loaded.title == "Policy"
    assert pairs(loaded) == [(1, "We keep data for 30 days."), (2, "Then we delete it.")]


def test_html_blocks_in_containers_tables_and_bare_text(tmp_path):
    """Each paragraph once, as printed, in order: a quoted paragraph is not repeated by its
    blockquote, text standing in a div is a paragraph, and a table row that prints its number in
    one cell and its text in the next is that numbered paragraph."""
    path = tmp_path / "report.html"
    path.write_text(
        "<html><head><title>Report</title></head><body><h1>Report</h1>"
        "<div>1. An opening paragraph in a bare <i>div</i>.</div>"
        "<blockquote><p>2. A quoted paragraph.</p></blockquote>"
        "<div><p>3. A paragraph in a div.</p>4. Then text in the div after it.<br></div>"
        "<table><tr><td>5.</td><td>A paragraph in a table row.</td></tr>"
        "<tr><td>6.</td><td>Another,<br>with a line break.</td></tr></table>"
        "<!-- 7. a comment is not text --></body></html>", encoding="utf-8")
    loaded = load_document(path)
    assert loaded.numbering == "printed"
    assert pairs(loaded) == [
        (1, "An opening paragraph in a bare div."),
        (2, "A quoted paragraph."),
        (3, "A paragraph in a div."),
        (4, "Then text in the div after it."),
        (5, "A paragraph in a table row."),
        (6, "Another, with a line break."),
    ]


def test_gb18030_text_is_decoded(tmp_path):
    golden = load_document(CORPUS / f"{DOC_2007}.txt")
    path = tmp_path / "gbk.txt"
    path.write_bytes((CORPUS / f"{DOC_2007}.txt").read_text(encoding="utf-8").replace("\uf02a", "").encode("gb18030"))
    assert [p.number for p in load_document(path).paragraphs] == [p.number for p in golden.paragraphs]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.rtf", b"{\\rtf1 hello}", "unsupported file type .rtf"),
        ("empty.txt", b"  \n\n ", "the file is empty"),
        ("binary.txt", bytes(range(256)) * 10, "looks like a binary file"),
        ("broken.pdf", b"%PDF-1.7\n1 0 obj <<>> garbage", "cannot read this PDF"),
        ("broken.docx", b"PK\x03\x04 not really a zip", "cannot read this DOCX"),
        ("blank.html", b"<html><body><script>x()</script></body></html>", "no paragraphs found"),
    ],
)
def test_bad_input_gets_a_one_line_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=re.escape(message)) as info:
        load_document(path)
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        load_document(tmp_path / "nope.txt")


def test_undecodable_text_is_refused():
    # Valid in neither UTF-8 nor GB18030: 0x80 alone, and 0xFF lead bytes.
    with pytest.raises(InputError, match="cannot decode"):
        decode_text(b"abc \x80\xff\xff\xff def " * 50, "x.txt")


def test_html_list_items_with_the_same_text_keep_their_own_numbers(tmp_path):
    path = tmp_path / "minutes.html"
    path.write_text('<ol start="x"><li>Opened.</li><li>[Deleted]</li><li>[Deleted]</li><li>Closed.</li></ol>')
    assert [(p.number, p.text) for p in load_document(path).paragraphs] == [
        (1, "Opened."), (2, "[Deleted]"), (3, "[Deleted]"), (4, "Closed."),
    ]


def _word_numbering(word, abstract_id: str, instances: dict[str, int | None]) -> None:
    """A decimal list definition ("%1.") and its instances: numId -> start override (or None)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    def element(tag, **attributes):
        node = OxmlElement(tag)
        for name, value in attributes.items():
            node.set(qn(f"w:{name}"), value)
        return node

    numbering = word.part.numbering_part.element
    abstract = element("w:abstractNum", abstractNumId=abstract_id)
    level = element("w:lvl", ilvl="0")
    for tag, value in (("w:start", "1"), ("w:numFmt", "decimal"), ("w:lvlText", "%1.")):
        level.append(element(tag, val=value))
    abstract.append(level)
    numbering.insert(0, abstract)
    for num_id, start in instances.items():
        num = element("w:num", numId=num_id)
        num.append(element("w:abstractNumId", val=abstract_id))
        if start is not None:
            override = element("w:lvlOverride", ilvl="0")
            override.append(element("w:startOverride", val=str(start)))
            num.append(override)
        numbering.append(num)


def _numbered(paragraph, num_id: str):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    num_pr = OxmlElement("w:numPr")
    for tag, value in (("w:ilvl", "0"), ("w:numId", num_id)):
        child = OxmlElement(tag)
        child.set(qn("w:val"), value)
        num_pr.append(child)
    paragraph._p.get_or_add_pPr().append(num_pr)
    return paragraph


def test_docx_numbering_counts_as_word_does(tmp_path):
    """Instances of one list definition continue one sequence; a start override restarts it where
    its instance is first used; an empty numbered paragraph takes its number (Word prints it)."""
    import docx

    word = docx.Document()
    word.add_paragraph("Report of the meeting")
    _word_numbering(word, "70", {"71": None, "72": None, "73": 1})
    for text, num_id in [("First.", "71"), ("Second.", "71"), ("", "71"), ("Fourth, another instance.", "72"),
                         ("Fifth.", "71")]:
        _numbered(word.add_paragraph(text), num_id)
    path = tmp_path / "meeting.docx"
    word.save(str(path))
    assert pairs(load_document(path)) == [
        (1, "First."), (2, "Second."), (4, "Fourth, another instance."), (5, "Fifth."),
    ]

    word = docx.Document()
    _word_numbering(word, "80", {"81": None, "82": 1})
    for text, num_id in [("One.", "81"), ("Two.", "81"), ("One again: a restarted list.", "82"),
                         ("Two again.", "82"), ("Three: the restart carries on.", "81")]:
        _numbered(word.add_paragraph(text), num_id)
    path = tmp_path / "annex.docx"
    word.save(str(path))
    numbers = [p.number for p in load_document(path).paragraphs]
    assert numbers == [1, 2, 1, 2, 3]


def test_docx_tables_are_read_row_by_row(tmp_path):
    """A row that prints the number in one cell and the text in the next is that paragraph; a
    numbered paragraph inside a cell keeps its number."""
    import docx

    word = docx.Document()
    word.add_paragraph("1. A paragraph before the table.")
    table = word.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "2.", "A paragraph in a table row."
    table.cell(1, 0).text, table.cell(1, 1).text = "3.", "Another row."
    layout = word.add_table(rows=2, cols=2)  # paragraphs laid out in cells, one spanning two rows
    merged = layout.cell(0, 0).merge(layout.cell(1, 0))
    merged.text = "4. In a merged cell."
    merged.add_paragraph("5. Its second paragraph.")
    layout.cell(0, 1).text = "6. Beside it."
    layout.cell(1, 1).text = "7. Below that."
    word.add_paragraph("8. After the tables.")
    path = tmp_path / "tabled.docx"
    word.save(str(path))
    assert pairs(load_document(path)) == [
        (1, "A paragraph before the table."), (2, "A paragraph in a table row."), (3, "Another row."),
        (4, "In a merged cell."), (5, "Its second paragraph."), (6, "Beside it."), (7, "Below that."),
        (8, "After the tables."),
    ]


def test_html_layout_tables_line_breaks_and_the_head_title(tmp_path):
    layout = tmp_path / "layout.html"
    layout.write_text("<html><head><title>Layout</title></head><body><table><tr><td><p>1. Alpha.</p><p>2. Beta.</p>"
                      "</td><td><p>3. Gamma.</p></td></tr></table></body></html>", encoding="utf-8")
    loaded = load_document(layout)
    assert pairs(loaded) == [(1, "Alpha."), (2, "Beta."), (3, "Gamma.")]
    assert loaded.title == "Layout"  # from <head>, the page having no <h1>

    breaks = tmp_path / "notice.html"
    breaks.write_text("<title>Notice</title><div>One sentence,<br>broken by a line.<br><br>Another paragraph.</div>",
                      encoding="utf-8")
    loaded = load_document(breaks)
    assert loaded.title == "Notice"
    assert [p.text for p in loaded.paragraphs] == ["One sentence, broken by a line.", "Another paragraph."]


def test_markdown_paragraphs_read_as_printed_without_their_markup(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text("# Notes\n\n1. **Glacier moss** is protected: see [the accord](https://x.org/a) and `rule 7`.\n\n"
                    "2. Second *point*, with an ![image](m.png) and a \\*literal star\\*.\n", encoding="utf-8")
    document = load_document(path)
    assert document.title == "Notes"
    assert [p.text for p in document.paragraphs] == [
        "Glacier moss is protected: see the accord and rule 7.",
        "Second point, with an image and a *literal star*.",
    ]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_text_with_a_unicode_byte_order_mark_is_read(tmp_path, encoding):
    """What Windows Notepad saves as "Unicode": refused as binary before (its NUL bytes)."""
    path = tmp_path / "notepad.txt"
    text = "标题\n\n1. 第一段。\n\n2. Second paragraph.\n"
    data = text.encode(encoding)
    path.write_bytes(data if data.startswith((b"\xff\xfe", b"\xfe\xff")) else "\ufeff".encode(encoding) + data)
    document = load_document(path)
    assert pairs(document) == [(1, "第一段。"), (2, "Second paragraph.")] and document.title == "标题"


def test_a_truncated_pdf_is_one_line_on_stderr(golden, tmp_path, capsys):
    """pypdf's own warning ("EOF marker not found") went to stderr before the error."""
    data = write_pdf(golden, tmp_path / "full.pdf").read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=re.escape("cannot read this PDF")) as info:
        load_document(path)
    assert "\n" not in str(info.value) and "EOF marker not found" in str(info.value)
    assert capsys.readouterr().err == ""


def test_a_name_of_dots_does_not_become_a_path_like_id(tmp_path):
    path = tmp_path / "...txt"
    path.write_text("1. One.\n\n2. Two.\n", encoding="utf-8")
    assert load_document(path).doc_id == "document"
    hidden = tmp_path / ".notes.md"
    hidden.write_text("1. One.\n\n2. Two.\n", encoding="utf-8")
    assert load_document(hidden).doc_id == "notes"


def test_the_limits_are_clear_errors(tmp_path):
    big = tmp_path / "big.txt"
    with big.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: the size is refused before anything is read
    with pytest.raises(InputError, match=re.escape(f"big.txt: {MAX_FILE_BYTES + 1} bytes, over the limit of 50 MB")):
        load_document(big)
    unbroken = tmp_path / "unbroken.txt"
    unbroken.write_text("Title\n\n" + "\n".join(["one line of a paragraph that never ends"] * 3000), encoding="utf-8")
    with pytest.raises(InputError, match="paragraph 1 has 119999 characters, over the limit of 100000"):
        load_document(unbroken)
    numbered = tmp_path / "numbered.txt"
    numbered.write_text("1. One.\n\n2. Two.\n\n1000000. A million.\n", encoding="utf-8")
    with pytest.raises(InputError, match="paragraph 1000000: numbers of up to 999999 are supported"):
        load_document(numbered)


def test_a_document_that_prints_no_title_gets_its_stated_title_or_its_opening_words(tmp_path):
    """Not its id twice ("harbour-water-policy · harbour-water-policy") in every list."""
    import docx

    word = docx.Document()
    word.add_paragraph("1. The Harbour Authority keeps the water of the harbour clean at all times. It tests it weekly.")
    word.add_paragraph("2. Ships may not discharge ballast water inside the breakwater.")
    bare = tmp_path / "harbour-water-policy.docx"
    word.save(bare)
    assert load_document(bare).title == "The Harbour Authority keeps the water of the harbour clean at all times"
    word.core_properties.title = "Harbour Water Policy"
    titled = tmp_path / "titled.docx"
    word.save(titled)
    assert load_document(titled).title == "Harbour Water Policy"
    long = tmp_path / "long.txt"
    long.write_text("1. " + "港务局应当始终保持港区水质清洁并且每周检测" * 6 + "。\n\n2. 第二段。\n", encoding="utf-8")
    title = load_document(long).title
    assert title.startswith("港务局应当始终保持港区水质清洁") and title.endswith("…") and len(title) == 80
