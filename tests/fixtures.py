"""Render a parsed demo document into PDF, DOCX, HTML and Markdown test fixtures.

The fixtures are made from the demo documents at test time, so each format is checked against
the same paragraphs. The DOCX uses Word's automatic numbering (numbering.xml), so the paragraph
numbers are not in its text runs at all; the PDF prints them, with a CJK font that needs no file.
"""

from __future__ import annotations

import html
from pathlib import Path

from vectorstore.readers import Document


def header_lines(document: Document) -> list[str]:
    return document.metadata["header"].split("\n") if document.metadata.get("header") else []


def write_pdf(document: Document, path: Path) -> Path:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle("zh", fontName="STSong-Light", fontSize=11, leading=16, wordWrap="CJK")
    story = [Paragraph(html.escape(line), style) for line in header_lines(document)]
    story.append(Spacer(1, 12))
    for p in document.paragraphs:
        story.append(Paragraph(html.escape(f"{p.number}. {p.text}"), style))
        story.append(Spacer(1, 6))
    SimpleDocTemplate(str(path), pagesize=A4).build(story)
    return path


def write_docx(document: Document, path: Path) -> Path:
    import docx
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    word = docx.Document()
    for line in header_lines(document):
        word.add_paragraph(line, style="Title" if line == document.title else None)
    numbering = word.part.numbering_part.element
    abstract = OxmlElement("w:abstractNum")
    abstract.set(qn("w:abstractNumId"), "90")
    level = OxmlElement("w:lvl")
    level.set(qn("w:ilvl"), "0")
    for tag, value in (("w:start", "1"), ("w:numFmt", "decimal"), ("w:lvlText", "%1.")):
        child = OxmlElement(tag)
        child.set(qn("w:val"), value)
        level.append(child)
    abstract.append(level)
    numbering.insert(0, abstract)
    num = OxmlElement("w:num")
    num.set(qn("w:numId"), "90")
    ref = OxmlElement("w:abstractNumId")
    ref.set(qn("w:val"), "90")
    num.append(ref)
    numbering.append(num)
    for p in document.paragraphs:
        paragraph = word.add_paragraph(p.text)
        num_pr = OxmlElement("w:numPr")
        for tag, value in (("w:ilvl", "0"), ("w:numId", "90")):
            child = OxmlElement(tag)
            child.set(qn("w:val"), value)
            num_pr.append(child)
        paragraph._p.get_or_add_pPr().append(num_pr)
    word.save(str(path))
    return path


def write_html(document: Document, path: Path) -> Path:
    head = "".join(f"<h1>{html.escape(line)}</h1>" for line in header_lines(document))
    items = "".join(f"<li><p>{html.escape(p.text)}</p></li>" for p in document.paragraphs)
    path.write_text(
        f"<!doctype html><html><head><title>{html.escape(document.title)}</title>"
        f"<style>p{{color:red}}</style><script>var x = '1. not a paragraph';</script></head>"
        f"<body><nav>Home | About</nav>{head}<ol>{items}</ol><footer>© UN</footer></body></html>",
        encoding="utf-8",
    )
    return path


def write_markdown(document: Document, path: Path) -> Path:
    lines = [f"# {line}" for line in header_lines(document)]
    lines += [f"{p.number}. {p.text}" for p in document.paragraphs]
    path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    return path
