"""Turn the lines of a document into its own numbered paragraphs.

Every reader (text, PDF, DOCX, HTML) reduces its file to a list of lines; this module finds the
printed paragraph numbers in them and undoes what PDF extraction leaves behind, so that the text a
citation points to reads as the printed paragraph and nothing more:

- wrapped lines are joined (no space between CJK characters, one space between Latin words or
  numbers, and one between a number and a CJK character, as these documents print it);
- footnote blocks (a separator line of underscores, the footnote's number and its text) and bare
  URL lines (hyperlink targets) are dropped, and the paragraph they interrupt reads on;
- inline footnote markers are dropped: U+F02A followed by digits always, and a bare number only
  where that footnote's marker can be (in a paragraph printed on the page the footnote ends, after
  CJK punctuation or followed by two spaces), since "第 1 款" is a number, not a marker;
- the lines before paragraph 1 (title, session, date) become metadata.

Deliberate simplifications: a footnote's text ends at its first line that ends a sentence, and a
paragraph start is only believed when its number is the next one expected, or when it stands at
the start of an unindented line right after a finished sentence (then the jump or repeat is
reported as a warning, with the line where it happened). The next number in lower case after an
unfinished sentence continues that sentence, unless most numbered lines would: then the document
numbers items that do not end their sentences, and every numbered line is a paragraph (with a
warning).

Parsing takes time linear in the document's length: a paragraph's lines are collected and joined
once, never re-copied line by line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Numbering = Literal["printed", "inferred"]

# A paragraph number at the start of a line: "12. ", "143.  ", and "37." glued to its text. Any
# number of digits: a document may print paragraph 100000.
PARAGRAPH_START = re.compile(r"^(?P<indent>\s*)(?P<number>\d+)\.(?!\d)\s*(?P<rest>\S.*)$")
FOOTNOTE_SEPARATOR = re.compile(r"^\s*_{5,}\s*$")
FOOTNOTE_NUMBER_ALONE = re.compile(r"^\s*(\d{1,3})\s*$")
FOOTNOTE_START = re.compile(r"^\s*(\d{1,3})\s+(\S.*)$")
URL_LINE = re.compile(r"^\s*(https?://|www\.)\S+\s*$")
PRIVATE_USE_MARKER = re.compile(r"\s*\uf02a\d{1,3}\s*")
# A footnote's text runs to the end of its sentence, but never past a paragraph start or this
# many lines: an unfinished footnote must not swallow the body text after it.
_MAX_FOOTNOTE_LINES = 3
# Footnote numbers run on through a document; one may be missing from the extracted text.
_MAX_FOOTNOTE_GAP = 2
_MAX_HEADER_LINES = 8
SENTENCE_END = re.compile(r"[。．.!?！？:：;；)）”\"']\s*$")

_CJK = "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef\u201c\u201d\u2018\u2019\u2014\u2026"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_IDEOGRAPH = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD_CHAR = re.compile(r"[A-Za-z0-9]")
_SPACE_BETWEEN_CJK = re.compile(f"(?<=[{_CJK}])[ \t\u3000]+(?=[{_CJK}])")
_RUNS_OF_SPACE = re.compile(r"[ \t\u00a0\u3000]{2,}")


@dataclass(frozen=True)
class Paragraph:
    number: int
    text: str


@dataclass
class ParsedText:
    """What a document's lines hold: its paragraphs, and the lines that stood before them."""

    paragraphs: list[Paragraph]
    numbering: Numbering
    header: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def join_lines(left: str, right: str) -> str:
    """Join a wrapped line to the next, the way the printed page would read."""
    left, right = left.rstrip(), right.lstrip()
    if not left or not right:
        return left + right
    return left + _line_break(left[-1], right[0]) + right


def _line_break(a: str, b: str) -> str:
    """What a line break between these two characters stood for: a space, or nothing."""
    if _WORD_CHAR.match(a) and _WORD_CHAR.match(b):
        return " "
    # These documents print "2007 年", "ALPS 处理水": a space between a Latin word or number and
    # an ideograph. A line break there has eaten that space.
    if (_WORD_CHAR.match(a) and _IDEOGRAPH.match(b)) or (_IDEOGRAPH.match(a) and _WORD_CHAR.match(b)):
        return " "
    if _CJK_CHAR.match(a) or _CJK_CHAR.match(b):
        return ""
    return " "


class _Lines:
    """A paragraph's lines as they arrive, joined as `join_lines` joins them, but once, at the
    end: joining line by line re-copies the paragraph for every line (a paragraph that runs for
    megabytes took minutes)."""

    def __init__(self, first: str, page: int) -> None:
        self.pieces = [first.strip()]
        self.pages = {page}

    def add(self, line: str, page: int) -> None:
        self.pages.add(page)
        line = line.strip()
        if line:
            self.pieces += [_line_break(self.pieces[-1][-1], line[0]), line]

    @property
    def last_line(self) -> str:
        return self.pieces[-1]

    def text(self) -> str:
        return "".join(self.pieces)


def tidy(text: str, footnote_numbers: set[int] = frozenset()) -> str:
    """Drop inline footnote markers and spacing artifacts from a joined paragraph."""
    had_private_markers = bool(PRIVATE_USE_MARKER.search(text))
    text = PRIVATE_USE_MARKER.sub(" ", text)
    if not had_private_markers:
        for number in sorted(footnote_numbers):
            marker = re.compile(
                rf"(?:(?<=[，。；、：”）)])\s*{number}\s+|(?<=\S) {number} {{2,}}(?=\S))"
            )
            text = marker.sub(" ", text, count=1)
    text = _RUNS_OF_SPACE.sub(" ", text)
    text = _SPACE_BETWEEN_CJK.sub("", text)
    return text.strip()


@dataclass(frozen=True)
class _Line:
    number: int  # in the file, for warnings
    text: str
    page: int  # footnote blocks before it: a marker only refers to the block that ends its page


def _strip_footnotes(lines: list[str]) -> tuple[list[_Line], dict[int, set[int]]]:
    """Remove footnote blocks and URL lines.

    Returns the body lines, and for each footnote number the pages whose body it annotates (the
    body lines before its block). A block's first footnote may have any number (numbering may
    restart by page or annex, an excerpt may start anywhere); after it, footnotes run on in
    order, so a line in the block that starts with any other number is the body resuming
    ("15 个国家…").
    """
    body: list[_Line] = []
    pages: dict[int, set[int]] = {}
    page = 0
    last = 0  # the last footnote number seen
    first_in_block = False
    in_footnotes = False
    footnote_open = False  # inside a footnote's text, which runs to the end of a sentence
    footnote_lines = 0
    expecting_text = False  # saw a footnote number on a line of its own

    def footnote_number(line: str) -> tuple[int, bool] | None:
        """A footnote's number at the start of the line, and whether it stands alone."""
        if PARAGRAPH_START.match(line):
            return None
        if m := FOOTNOTE_NUMBER_ALONE.match(line):
            return int(m.group(1)), True
        if m := FOOTNOTE_START.match(line):
            return int(m.group(1)), False
        return None

    for line_no, line in enumerate(lines, start=1):
        if URL_LINE.match(line):
            continue
        if FOOTNOTE_SEPARATOR.match(line):
            if not in_footnotes:
                page += 1
            in_footnotes, footnote_open, expecting_text, first_in_block = True, False, False, True
            continue
        if not in_footnotes:
            body.append(_Line(line_no, line, page))
            continue
        if not line.strip():
            continue
        found = footnote_number(line)
        if found and (first_in_block or last < found[0] <= last + _MAX_FOOTNOTE_GAP):
            last, alone = found
            first_in_block = False
            pages.setdefault(last, set()).add(page - 1)
            expecting_text = alone
            footnote_open, footnote_lines = (False, 0) if alone else (not SENTENCE_END.search(line), 1)
            continue
        if expecting_text and not PARAGRAPH_START.match(line):
            expecting_text = False
            footnote_open, footnote_lines = not SENTENCE_END.search(line), 1
            continue
        expecting_text = False
        if footnote_open and not PARAGRAPH_START.match(line) and footnote_lines < _MAX_FOOTNOTE_LINES:
            footnote_lines += 1
            footnote_open = not SENTENCE_END.search(line)
            continue
        in_footnotes = False
        body.append(_Line(line_no, line, page))
    return body, pages


def _markers_in(pages_of_text: set[int], footnote_pages: dict[int, set[int]]) -> set[int]:
    """The footnote numbers whose markers may stand in text printed on these pages."""
    return {number for number, pages in footnote_pages.items() if pages & pages_of_text}


def _numbered_starts(lines: list[str]) -> int:
    return sum(1 for line in lines if PARAGRAPH_START.match(line))


def parse_lines(lines: list[str], *, blank_line_separates: bool = True) -> ParsedText:
    """Find the paragraphs in a document's lines.

    `blank_line_separates` says whether a blank line ends a paragraph when the document has no
    printed numbers (true for text; readers whose lines are already paragraphs pass either).
    """
    body, footnote_pages = _strip_footnotes([line.rstrip("\r\n") for line in lines])
    text_lines = [line.text for line in body if line.text.strip()]
    first = next(
        (i for i, line in enumerate(text_lines)
         if (m := PARAGRAPH_START.match(line)) and m.group("number") == "1"),
        None,
    )
    # Printed numbering: paragraph 1 comes after a few title lines at most, none of them a
    # sentence. A "1." after prose is a list inside a document whose paragraphs are not numbered.
    has_printed = (
        first is not None
        and first <= _MAX_HEADER_LINES
        and not any(SENTENCE_END.search(line) for line in text_lines[:first])
        and _numbered_starts(text_lines) >= 2
    )
    if has_printed:
        return _parse_printed(body, footnote_pages)
    return _parse_inferred(body, footnote_pages, blank_line_separates)


def _parse_printed(body: list[_Line], footnote_pages: dict[int, set[int]]) -> ParsedText:
    parsed, merged = _printed(body, footnote_pages, lower_case_continues=True)
    if merged <= len(parsed.paragraphs):
        return parsed
    # Most numbered lines went into the paragraph before them: this document numbers items that
    # do not end their sentences ("1. alpha beta" / "2. gamma delta"), and one lower-case item
    # continuing the last leaves every later number out of sequence, merged too.
    parsed, _ = _printed(body, footnote_pages, lower_case_continues=False)
    parsed.warnings.insert(0, f"{merged} numbered lines would have continued the sentence before them; "
                              "each is taken as a paragraph of its own")
    return parsed


def _printed(body: list[_Line], footnote_pages: dict[int, set[int]],
             lower_case_continues: bool) -> tuple[ParsedText, int]:
    """The paragraphs, and how many numbered lines were taken for text, once the next number
    had continued a sentence (0 when it never did)."""
    header: list[str] = []
    numbers: list[int] = []
    paragraphs: list[_Lines] = []
    warnings: list[str] = []
    merged = 0
    continued = False
    for line in body:
        if not line.text.strip():
            continue
        m = PARAGRAPH_START.match(line.text)
        start = m is not None and _is_paragraph_start(m, numbers, paragraphs, lower_case_continues)
        if m and not start and numbers:
            merged += 1
            continued = continued or int(m.group("number")) == numbers[-1] + 1
        if start:
            number = int(m.group("number"))
            if numbers and number != numbers[-1] + 1:
                kind = "repeats" if number <= numbers[-1] else "jumps"
                warnings.append(
                    f"paragraph numbering {kind} from {numbers[-1]} to {number} (line {line.number})"
                )
            numbers.append(number)
            paragraphs.append(_Lines(m.group("rest"), line.page))
        elif not numbers:
            header.append(line.text.strip())
        else:
            paragraphs[-1].add(line.text, line.page)
    tidied = [Paragraph(n, tidy(p.text(), _markers_in(p.pages, footnote_pages))) for n, p in zip(numbers, paragraphs)]
    return ParsedText([p for p in tidied if p.text], "printed", header, warnings), merged if continued else 0


def _is_paragraph_start(m: re.Match[str], numbers: list[int], paragraphs: list[_Lines],
                        lower_case_continues: bool = True) -> bool:
    number = int(m.group("number"))
    if not numbers:
        return number == 1
    ended = bool(SENTENCE_END.search(paragraphs[-1].last_line))
    if number == numbers[-1] + 1:
        # The next number is a paragraph unless it continues a sentence in lower case
        # ("by a vote of 12 to / 5. abstentions").
        return ended or not (lower_case_continues and m.group("rest")[0].islower())
    # A number out of sequence is a new paragraph only where nothing else could be: an unindented
    # line after a finished sentence. Mid-sentence it is text that wrapped onto a new line.
    return not m.group("indent") and ended


def _parse_inferred(body: list[_Line], footnote_pages: dict[int, set[int]], blank_line_separates: bool) -> ParsedText:
    blocks: list[_Lines] = []
    current: _Lines | None = None
    for line in body:
        if not line.text.strip():
            if blank_line_separates and current is not None:
                blocks.append(current)
                current = None
            continue
        if not blank_line_separates:
            blocks.append(_Lines(line.text, line.page))
            continue
        if current is None:
            current = _Lines(line.text, line.page)
        else:
            current.add(line.text, line.page)
    if current is not None:
        blocks.append(current)
    texts = [tidy(block.text(), _markers_in(block.pages, footnote_pages)) for block in blocks]
    texts = [t for t in texts if t]
    header: list[str] = []
    # A short first block without a sentence end is the document's title, not a paragraph.
    if len(texts) > 1 and len(texts[0]) <= 120 and not SENTENCE_END.search(texts[0]):
        header.append(texts.pop(0))
    paragraphs = [Paragraph(i, t) for i, t in enumerate(texts, start=1)]
    return ParsedText(paragraphs, "inferred", header)


_SENTENCE = re.compile(r".+?(?:[。！？!?；;]+[”’」』)]*|\.(?=\s|$)[”’\"')]*|$)", re.S)


def split_sentences(text: str) -> list[str]:
    """Split a paragraph into sentences: after 。！？； (Chinese) and after . ! ? before a space."""
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


_ASCII_BRACKETED = re.compile(r"\([^()]*\)")


def language_of(question: str) -> str:
    """"zh" or "en" for a question: any Han character makes it Chinese, since Chinese questions
    often carry Latin names and numbers ("IAEA", "1737号决议"); except in ASCII brackets, where an
    English question carries a term's Chinese name ("the TPNW (禁止核武器条约)")."""
    return "zh" if _HAN.search(_ASCII_BRACKETED.sub("", question)) else "en"


def mostly_han(text: str) -> bool:
    """For running text (a paragraph, an answer): more Han characters than Latin letters."""
    return len(_HAN.findall(text)) >= len(_LATIN_LETTER.findall(text))
