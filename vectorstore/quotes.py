"""Quotes and where they lie in a paragraph as printed: the one place that says when a quote is
verbatim and which characters of the paragraph it covers.

A quote is verbatim when its words are the paragraph's with whitespace aside: printed text breaks
lines and spaces CJK characters where a writer (or a model) does not ("第 1737（2006）号" and
"第1737（2006）号" are the same words). Spans are character offsets (code points) into the
paragraph's text exactly as stored and served, so every client can mark them without matching
anything itself.
"""

from __future__ import annotations

import re

__all__ = ["marks", "merged", "normalise", "printed_span", "same_words", "spans", "squashed", "verbatim_in"]

_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """For verbatim comparison: whitespace runs are one space, and none next to a CJK character."""
    text = _SPACE.sub(" ", text).strip()
    return re.sub(r" (?=[^\x00-\x7f])|(?<=[^\x00-\x7f]) ", "", text)


def squashed(text: str) -> str:
    """The text with no whitespace at all: how a quote is looked for in a printed paragraph."""
    return "".join(str(text).split())


def verbatim_in(quote: str, paragraph: str) -> bool:
    quote = normalise(quote)
    return bool(quote) and quote in normalise(paragraph)


def same_words(a: str, b: str) -> bool:
    return squashed(a) == squashed(b)


def _pattern(quote: str) -> re.Pattern | None:
    chars = squashed(quote)
    return re.compile(r"\s*".join(re.escape(c) for c in chars)) if chars else None


def spans(quote: str, paragraph: str) -> list[tuple[int, int]]:
    """Every [start, end) of the paragraph that prints the quote, whitespace aside, in order."""
    pattern = _pattern(quote)
    return [(m.start(), m.end()) for m in pattern.finditer(paragraph)] if pattern else []


def printed_span(quote: str, paragraph: str) -> str:
    """The quote as the paragraph prints it (its own spacing); the quote itself when it is not there."""
    found = spans(quote, paragraph)
    return paragraph[found[0][0]:found[0][1]] if found else quote


def merged(ranges) -> list[tuple[int, int]]:
    """Sorted ranges with the overlapping and touching ones joined: what a reader sees marked."""
    out: list[list[int]] = []
    for start, end in sorted(ranges):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(start, end) for start, end in out]


def marks(paragraph: str, quote: str, given=()) -> list[tuple[int, int]]:
    """What to mark for a citation: its recorded spans while each still prints the quote, else
    (a paragraph re-ingested since, an answer saved without spans) where the paragraph prints it now."""
    held = [(int(start), int(end)) for start, end in given
            if 0 <= int(start) < int(end) <= len(paragraph) and same_words(paragraph[int(start):int(end)], quote)]
    return held if held and len(held) == len(list(given)) else spans(quote, paragraph)
