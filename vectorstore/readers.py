"""Read a file (text, Markdown, PDF, DOCX, HTML) into a Document of numbered paragraphs.

Each reader only turns its format into lines; `paragraphs.parse_lines` does the rest, so every
format gives the same paragraphs for the same document. DOCX and HTML lists carry their numbers in
markup rather than text (Word's automatic numbering, `<ol>`), so those readers write the number
back in front of the item, where a printed document has it. Word documents are read in `word.py`.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import hashlib
import logging
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .paragraphs import SENTENCE_END, Numbering, Paragraph, ParsedText, parse_lines
from .word import docx_lines, docx_title

# The limits of what is read. A file over MAX_FILE_BYTES is refused before it is parsed; a
# paragraph over MAX_PARAGRAPH_CHARS is a document whose paragraphs were not found (no numbers,
# no blank lines), and one that is would be cut by the embedding model at a few thousand
# characters anyway. A citation marker carries at most six digits.
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_PARAGRAPH_CHARS = 100_000
MAX_PARAGRAPH_NUMBER = 999_999
_SESSION = re.compile(r"会议|届|[Ss]ession|[Cc]onference|[Cc]ommittee")
_DATE = re.compile(r"\d{4}\s*年|\b(19|20)\d{2}\b")


@dataclass
class Document:
    doc_id: str
    title: str
    numbering: Numbering
    paragraphs: list[Paragraph]
    source_hash: str
    metadata: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


TITLE_LANGUAGES = ("en", "zh")


def load_document(path: Path | str, titles: dict[str, str] | None = None) -> Document:
    """Read and split one file; raise InputError with a one-line reason when it cannot be used.

    `titles`: the document's title per language ("en", "zh"), over those of its sidecar file
    (`NAME.titles.toml` beside it: `en = "…"`) and of the file itself.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if not path.is_file():
        raise InputError(f"{path}: not a file")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(
            f"{path}: unsupported file type {suffix or '(none)'}; use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError(f"{path}: {size} bytes, over the limit of {MAX_FILE_BYTES // 2**20} MB; "
                             "split the document")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror})") from None
    if not data.strip():
        raise InputError(f"{path}: the file is empty")
    lines, blank_line_separates = READERS[suffix](path, data)
    parsed = parse_lines(lines, blank_line_separates=blank_line_separates)
    if not parsed.paragraphs:
        raise InputError(f"{path}: no paragraphs found (the document has no text)")
    _check_limits(path, parsed.paragraphs)
    stated = docx_title(data) if suffix == ".docx" else ""
    document = _document(document_id(path), data, parsed, suffix.lstrip("."), stated)
    return with_titles(document, {**_sidecar_titles(path), **(titles or {})}, stated)


def with_titles(document: Document, given: dict[str, str], stated: str = "") -> Document:
    """The document with its title per language in `metadata` (`title_en`, `title_zh`): the
    printed (or stated) title in its own language, the given ones over it. Given titles are part
    of the source hash, so that a new title is a change to ingest."""
    from .paragraphs import mostly_han

    found = {}
    for title in (stated, document.title):
        if title and title != document.doc_id:
            found["zh" if mostly_han(title) else "en"] = title
    for language, title in given.items():
        if language not in TITLE_LANGUAGES:
            raise InputError(f"{document.doc_id}: a title in {language!r}: languages are {', '.join(TITLE_LANGUAGES)}")
        if not isinstance(title, str) or not " ".join(title.split()):
            raise InputError(f"{document.doc_id}: the {language} title is empty")
        found[language] = " ".join(title.split())
    document.metadata.update({f"title_{language}": title for language, title in sorted(found.items())})
    if given:
        stamp = "".join(f"\0{k}={v}" for k, v in sorted(given.items()))
        document.source_hash = hashlib.sha256((document.source_hash + stamp).encode("utf-8")).hexdigest()
    return document


def _sidecar_titles(path: Path) -> dict[str, str]:
    """Titles from `NAME.titles.toml` beside the file, if there is one."""
    import tomllib

    sidecar = path.with_name(path.stem + ".titles.toml")
    if not sidecar.is_file():
        return {}
    try:
        data = tomllib.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{sidecar}: cannot read the titles ({exc})") from None
    return {str(k): v for k, v in data.items()}


def title_in(title: str, metadata: dict, language: str) -> str:
    """The title a reader of `language` is shown: theirs when the document has one, else the printed one."""
    return metadata.get(f"title_{language}") or title


TITLE_CHARS = 80


def _opening(text: str) -> str:
    """A title for a document that prints none: its first paragraph's first sentence, cut at a
    word (or, in Chinese, anywhere) to TITLE_CHARS."""
    text = " ".join(text.split())
    sentence = re.split(r"(?<=[。！？；])|(?<=[.!?;])\s+", text, maxsplit=1)[0]
    if len(sentence) <= TITLE_CHARS:
        return sentence.rstrip(".;；。")
    cut = sentence[: TITLE_CHARS - 1]
    if " " in cut[TITLE_CHARS // 2:]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,，、") + "…"


def _check_limits(path: Path, paragraphs: list[Paragraph]) -> None:
    if (last := max(p.number for p in paragraphs)) > MAX_PARAGRAPH_NUMBER:
        raise InputError(f"{path}: paragraph {last}: numbers of up to {MAX_PARAGRAPH_NUMBER} are supported")
    longest = max(paragraphs, key=lambda p: len(p.text))
    if len(longest.text) > MAX_PARAGRAPH_CHARS:
        raise InputError(
            f"{path}: paragraph {longest.number} has {len(longest.text)} characters, over the limit of "
            f"{MAX_PARAGRAPH_CHARS}; separate the paragraphs by blank lines or number them"
        )


def document_id(path: Path) -> str:
    """The file stem, with whitespace, brackets and ¶ replaced: a citation marker must parse.
    Leading and trailing dots go too: "...txt" must not name the document "..", a path."""
    return re.sub(r"[\s\[\]¶]+", "-", path.stem).strip("-.") or "document"


def _document(doc_id: str, data: bytes, parsed: ParsedText, fmt: str, stated_title: str = "") -> Document:
    """`stated_title`: the title the file's own metadata gives, used when no title is printed
    above the first paragraph (a printed one is what the reader sees; metadata is often stale)."""
    session = next((h for h in parsed.header if _SESSION.search(h)), "")
    date = next((h for h in parsed.header if _DATE.search(h) and h != session), "")
    title_lines = [h for h in parsed.header if h not in (session, date)]
    title = (" ".join(title_lines) or stated_title or session or _opening(parsed.paragraphs[0].text)
             or doc_id)
    metadata = {"format": fmt, "session": session, "date": date, "header": "\n".join(parsed.header)}
    return Document(
        doc_id=doc_id,
        title=title,
        numbering=parsed.numbering,
        paragraphs=parsed.paragraphs,
        source_hash=hashlib.sha256(data).hexdigest(),
        metadata=metadata,
        warnings=parsed.warnings,
    )


def decode_text(data: bytes, name: str = "input") -> str:
    """UTF-8 first, then GB18030 (the Chinese national superset of GBK); UTF-16 and UTF-32 with
    a byte order mark (what Windows Notepad saves as "Unicode"); binary is refused."""
    # UTF-32's little-endian mark begins with UTF-16's, so it is tried first.
    for bom, encoding in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                          (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise InputError(f"{name}: cannot decode the text as {encoding.upper()} (its byte order mark "
                                 "says it is)") from None
    head = data[:8192]
    if b"\x00" in head or sum(b < 9 or 13 < b < 32 for b in head) > len(head) // 100 + 1:
        raise InputError(f"{name}: this looks like a binary file, not text")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(f"{name}: cannot decode the text (tried UTF-8 and GB18030)")


def _text_lines(path: Path, data: bytes) -> tuple[list[str], bool]:
    text = decode_text(data, str(path))
    lines = text.splitlines()
    if path.suffix.lower() == ".md":
        lines = [_markdown_text(re.sub(r"^\s{0,3}#{1,6}\s+", "", line)) for line in lines]
    return lines, True


def _markdown_text(line: str) -> str:
    """A Markdown line as it reads: "**Bold** [link](url)" is "Bold link", as the page prints it.

    Line by line, inline markup only: the paragraph finder works on lines, and a numbered line
    ("12. ...") must keep its number rather than become a list item.
    """
    indent = line[: len(line) - len(line.lstrip())]  # a continuation line keeps its leading space
    pieces = []
    for token in _markdown_parser().parseInline(line.strip())[0].children or []:
        if token.type in ("text", "code_inline", "image"):  # an image reads as its alt text
            pieces.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            pieces.append(" ")
    return indent + "".join(pieces) if line.strip() else line


@functools.cache
def _markdown_parser():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")


def _pdf_lines(path: Path, data: bytes) -> tuple[list[str], bool]:
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    with _pypdf_warnings() as warned:
        try:
            reader = PdfReader(io.BytesIO(data))
            pages = [(page.extract_text() or "").splitlines() for page in reader.pages]
        except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
            said = "".join(f"; pypdf: {w}" for w in dict.fromkeys(warned))
            raise InputError(f"{path}: cannot read this PDF ({exc.__class__.__name__}: {exc}{said})") from None
    running = _running_lines(pages)
    lines = [line for page in pages for line in page if _shape(line) not in running]
    if not any(line.strip() for line in lines):
        raise InputError(f"{path}: the PDF has no extractable text (a scan needs OCR first)")
    return _mark_paragraph_ends(lines), True


class _PdfWarnings(logging.Handler):
    """pypdf logs what it repairs ("EOF marker not found") and, with no logging set up, Python
    prints it on stderr: a second line before the one error the user should see. Each reading
    thread collects its own instead."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        collected = getattr(self.local, "messages", None)
        if collected is not None:
            collected.append(" ".join(record.getMessage().split()))


@functools.cache
def _pdf_warnings_handler() -> _PdfWarnings:
    handler = _PdfWarnings()
    pypdf_log = logging.getLogger("pypdf")
    pypdf_log.addHandler(handler)
    pypdf_log.propagate = False
    return handler


@contextlib.contextmanager
def _pypdf_warnings() -> Iterator[list[str]]:
    handler = _pdf_warnings_handler()
    handler.local.messages = []
    try:
        yield handler.local.messages
    finally:
        handler.local.messages = None


def _mark_paragraph_ends(lines: list[str]) -> list[str]:
    """PDF text has no blank lines: a short line that ends a sentence is taken to end a paragraph.

    This matters only for documents without printed numbers, where blank lines separate them.
    """
    lengths = sorted(len(line.strip()) for line in lines if line.strip())
    typical = lengths[len(lengths) * 3 // 4] if lengths else 0
    marked: list[str] = []
    for line in lines:
        marked.append(line)
        if SENTENCE_END.search(line) and len(line.strip()) < 0.8 * typical:
            marked.append("")
    return marked


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", line.strip())


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Page headers and footers: the same line, numbers aside, at the edge of most pages."""
    if len(pages) < 3:
        return set()
    counts: dict[str, int] = {}
    for page in pages:
        edges = [line for line in page if line.strip()]
        for shape in {_shape(line) for line in edges[:2] + edges[-2:]}:
            counts[shape] = counts.get(shape, 0) + 1
    return {shape for shape, n in counts.items() if shape and n > len(pages) / 2}


# Blocks whose whole text is one paragraph. A table row is one, so a row that prints its number
# in one cell and its text in the next reads as the numbered paragraph it is; but a row, a
# definition or a caption that holds paragraphs of its own (a layout table) is walked instead.
# Any other element that holds blocks (a blockquote, a div, a table) is a container: the text
# standing directly in it is a paragraph between its blocks, in the order printed.
_TEXT_BLOCKS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "pre", "tr", "dt", "dd", "caption",
                          "figcaption"})
_HOLDS_PARAGRAPHS = ["p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "pre", "table", "div", "blockquote"]
_BREAKS = frozenset({"div", "blockquote", "section", "article", "main", "aside", "td", "th", "hr",
                     "ul", "ol", "dl", "table", "figure", "form", "fieldset", "address", "body", "html"})


def _html_lines(path: Path, data: bytes) -> tuple[list[str], bool]:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_text(data, str(path)), "html.parser")
    title_tag = soup.find("title")
    title = " ".join(title_tag.get_text(" ").split()) if title_tag else ""
    for tag in soup(["script", "style", "noscript", "template", "nav", "header", "footer", "head", "title"]):
        tag.extract()
    page = _HtmlLines()
    try:
        page.walk(soup)
    except RecursionError:
        raise InputError(f"{path}: the HTML is nested too deeply to read") from None
    page.flush()
    if title and not soup.find("h1"):
        page.lines.insert(0, title)
    return page.lines, False


class _HtmlLines:
    """The lines of a page, in the order printed: a text block each, and each run of text standing
    directly in a container (between its blocks, or ended by two line breaks)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._run: list[str] = []

    def flush(self) -> None:
        text = " ".join("".join(self._run).split())
        self._run.clear()
        if text:
            self.lines.append(text)

    def walk(self, node) -> None:
        from bs4 import NavigableString
        from bs4.element import PreformattedString

        after_break = False  # two line breaks in a row end a paragraph; one is a space
        for child in node.children:
            if isinstance(child, NavigableString):
                if not isinstance(child, PreformattedString):  # comments, doctypes, CDATA
                    self._run.append(str(child))
                    after_break = after_break and not str(child).strip()
                continue
            if child.name == "br":
                if after_break:
                    self.flush()
                else:
                    self._run.append(" ")
                after_break = not after_break
                continue
            after_break = False
            if child.name in _TEXT_BLOCKS and (child.name == "li" or child.find(_HOLDS_PARAGRAPHS) is None):
                self.flush()
                if text := _block_text(child):
                    self.lines.append(text)
            elif child.name in _BREAKS or child.find([*_TEXT_BLOCKS, *_BREAKS]) is not None:
                self.flush()
                self.walk(child)
                self.flush()
            else:  # inline markup (b, a, span...) inside running text
                self._run.append(_printed_text(child))


def _block_text(block) -> str:
    """A text block as one line; an item of an ordered list with its number in front, as printed."""
    text = " ".join(_printed_text(block).split())
    if text and block.name == "li" and block.parent is not None and block.parent.name == "ol":
        items = block.parent.find_all("li", recursive=False)
        position = next(i for i, item in enumerate(items) if item is block)  # not ==: equal items repeat
        start = str(block.parent.get("start", "1")).strip()
        text = f"{(int(start) if start.isdigit() else 1) + position}. {text}"
    return text


def _printed_text(element) -> str:
    """Its text as printed: inline markup adds no space ("<b>30 days</b>."), blocks, cells and
    line breaks inside it do."""
    from bs4 import NavigableString
    from bs4.element import PreformattedString

    parts = []
    for node in element.descendants:
        if isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString):  # comments, doctypes, CDATA
                parts.append(str(node))
        elif node.name in _TEXT_BLOCKS or node.name in _BREAKS or node.name == "br":
            parts.append(" ")
    return "".join(parts)


# The readers by file suffix, each turning a file's bytes into lines (see "A reader" in
# ARCHITECTURE.md). Defined last, after the readers; the suffixes it names are what the upload
# check, the CLI's help and the UI's upload label offer.
READERS = {".txt": _text_lines, ".md": _text_lines, ".pdf": _pdf_lines, ".docx": docx_lines,
           ".html": _html_lines, ".htm": _html_lines}
SUPPORTED_SUFFIXES = tuple(READERS)
