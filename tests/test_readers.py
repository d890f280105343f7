"""Every format gives the same paragraphs for the same document; bad input gets a clear error."""

import re

import pytest

from vectorstore.errors import InputError
from vectorstore.readers import decode_text, load_document

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
