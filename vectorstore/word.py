"""Word documents (.docx) as printed lines: each paragraph with the number Word computes for it.

Word keeps automatic list numbering in numbering.xml, not in the text, and computes the numbers
only when it lays out the page: a paragraph printed as "12. The Committee…" holds only "The
Committee…". `docx_lines` counts as Word does and puts each number back in front of its item, so
that a Word document gives the same paragraphs as the same document printed to PDF.

Deliberate simplifications: the number formats rendered are decimal, letters and Roman numerals
(any other, such as Chinese counting, prints as a decimal number); a level restarts after any
shallower level, as it does by default (`w:lvlRestart` and `w:isLgl` are not read); a bulleted
item has no number.
"""

from __future__ import annotations

import re
from pathlib import Path

from .errors import InputError


def docx_lines(path: Path, data: bytes) -> tuple[list[str], bool]:
    """A line per paragraph (so blank lines separate nothing), with its automatic number in front."""
    import io
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(f"{path}: cannot read this DOCX ({exc.__class__.__name__})") from None
    numbering = _WordNumbering(document)
    return list(_docx_blocks(document, numbering)), False


def _docx_blocks(container, numbering: _WordNumbering):
    """The lines of a document body or a table cell, in order: a paragraph each, with its
    automatic number in front. A table row whose cells hold one paragraph each is one line (a row
    that prints the number in one cell and the text in the next is one numbered paragraph); a row
    whose cells hold several (a layout table) gives each its own line."""
    from docx.table import Table

    for item in container.iter_inner_content():
        if isinstance(item, Table):
            # A merged cell comes once per row and grid column it spans. Its XML element is the
            # same each time; holding on to them keeps lxml handing out the same Python object.
            seen: list = []
            for row in item.rows:
                cells = []
                for cell in row.cells:
                    if not any(cell._tc is element for element in seen):
                        seen.append(cell._tc)
                        cells.append(list(_docx_blocks(cell, numbering)))
                if all(len(lines) <= 1 for lines in cells):
                    text = " ".join(line for lines in cells for line in lines)
                    if text:
                        yield text
                else:
                    yield from (line for lines in cells for line in lines)
        else:
            label = numbering.label(item)  # counted even when empty: Word prints its number
            text = item.text.strip()
            if text:
                yield f"{label} {text}" if label else text


class _WordNumbering:
    """Word's automatic numbering, which lives in numbering.xml and not in the text runs.

    As Word counts (ECMA-376 §17.9): the running count belongs to the abstract list definition
    and its level, so every numbering instance (`w:num`) of one definition continues the same
    sequence, and an instance with a start override restarts it where that instance is first
    used. Level text patterns ("%1.", "(%2)") are rendered for the common number formats.
    """

    def __init__(self, document) -> None:
        from docx.oxml.ns import qn

        self._qn = qn
        self._counters: dict[tuple[str, int], int] = {}  # by (abstract definition, level)
        self._levels: dict[tuple[str, int], tuple[int, str, str]] = {}  # by (instance, level)
        self._abstract_of: dict[str, str] = {}
        self._restarts: dict[str, set[int]] = {}  # levels an instance restarts on first use
        self._used: set[tuple[str, int]] = set()
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError):
            return
        abstract, style_links = {}, {}
        for node in root.findall(qn("w:abstractNum")):
            levels = {}
            for lvl in node.findall(qn("w:lvl")):
                levels[int(lvl.get(qn("w:ilvl")))] = (
                    int(self._val(lvl, "w:start") or 1),
                    self._val(lvl, "w:numFmt") or "decimal",
                    self._val(lvl, "w:lvlText") or "",
                )
            abstract_id = node.get(qn("w:abstractNumId"))
            abstract[abstract_id] = levels
            if link := self._val(node, "w:numStyleLink"):
                style_links[abstract_id] = link
        instances = {num.get(qn("w:numId")): num for num in root.findall(qn("w:num"))}
        for num_id, num in instances.items():
            abstract_id = self._val(num, "w:abstractNumId")
            # A definition that only links to a numbering style takes that style's list.
            if abstract_id in style_links:
                abstract_id = self._style_list(document, style_links[abstract_id], instances) or abstract_id
            self._abstract_of[num_id] = abstract_id
            levels = dict(abstract.get(abstract_id, {}))
            for override in num.findall(qn("w:lvlOverride")):
                ilvl = int(override.get(qn("w:ilvl")))
                start = override.find(qn("w:startOverride"))
                if start is not None and ilvl in levels:
                    _, fmt, text = levels[ilvl]
                    levels[ilvl] = (int(start.get(qn("w:val"))), fmt, text)
                    self._restarts.setdefault(num_id, set()).add(ilvl)
            for ilvl, level in levels.items():
                self._levels[(num_id, ilvl)] = level

    def _style_list(self, document, style_id: str, instances: dict) -> str | None:
        try:
            style = document.styles.element.get_by_id(style_id)
            num_id = self._val(style.pPr.find(self._qn("w:numPr")), "w:numId")
            return self._val(instances[num_id], "w:abstractNumId")
        except (AttributeError, KeyError, TypeError):
            return None

    def _val(self, node, tag: str) -> str | None:
        child = node.find(self._qn(tag))
        return None if child is None else child.get(self._qn("w:val"))

    def _num_pr(self, paragraph):
        qn = self._qn
        ppr = paragraph._p.pPr
        num_pr = ppr.find(qn("w:numPr")) if ppr is not None else None
        style = paragraph.style
        while num_pr is None and style is not None:
            spp = style.element.pPr
            num_pr = spp.find(qn("w:numPr")) if spp is not None else None
            style = style.base_style
        return num_pr

    def label(self, paragraph) -> str:
        num_pr = self._num_pr(paragraph)
        if num_pr is None:
            return ""
        num_id = self._val(num_pr, "w:numId")
        ilvl = int(self._val(num_pr, "w:ilvl") or 0)
        if num_id in (None, "0") or (num_id, ilvl) not in self._levels:
            return ""
        abstract_id = self._abstract_of[num_id]
        start, fmt, pattern = self._levels[(num_id, ilvl)]
        key = (abstract_id, ilvl)
        if ilvl in self._restarts.get(num_id, ()) and (num_id, ilvl) not in self._used:
            self._counters.pop(key, None)
        self._used.add((num_id, ilvl))
        self._counters[key] = self._counters.get(key, start - 1) + 1
        for deeper in [k for k in self._counters if k[0] == abstract_id and k[1] > ilvl]:
            del self._counters[deeper]
        if fmt == "bullet":
            return ""

        def render(match: re.Match[str]) -> str:
            level = int(match.group(1)) - 1
            start, fmt, _ = self._levels.get((num_id, level), (1, "decimal", ""))
            return _format_number(self._counters.get((abstract_id, level), start), fmt)

        return re.sub(r"%(\d)", render, pattern).strip()


def _format_number(value: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        letters = ""
        while value > 0:
            value, rest = divmod(value - 1, 26)
            letters = chr(ord("a") + rest) + letters
        return letters if fmt == "lowerLetter" else letters.upper()
    if fmt in ("lowerRoman", "upperRoman"):
        numerals = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                    (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]
        roman = ""
        for amount, numeral in numerals:
            count, value = divmod(value, amount)
            roman += numeral * count
        return roman if fmt == "lowerRoman" else roman.upper()
    return str(value)


def docx_title(data: bytes) -> str:
    """The title in the file's properties, "" when it has none (or they cannot be read)."""
    import io

    import docx

    try:
        return " ".join((docx.Document(io.BytesIO(data)).core_properties.title or "").split())
    except Exception:  # noqa: BLE001 (the body was read already; a bad property only loses the title)
        return ""
