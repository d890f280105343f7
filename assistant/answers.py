"""What an answer is: sentences, each with its citations, and the markers that show them in text.

A citation marker names the document and the paragraph, `[npt-2024-chair-summary ¶14]`: both
demo documents have a paragraph 14, so a number alone would be ambiguous, and a document id is
stable across sessions and reloads where a per-answer footnote number ([1], [2]) is not. One
regex (`MARKER`) finds them; the chat UI and the widget render each as a chip.

Document ids are file stems; whitespace and brackets in them are replaced at ingest so that a
marker always parses (see `vectorstore.readers`).

Only the markers Paracite adds after a verified sentence may parse: text that merely looks like a
marker (a document that prints "[npt-2024-chair-summary ¶999]", a model that copies it) is shown
with fullwidth brackets, ［…］, in every sentence's text and in the answer's running text.
Citation quotes stay verbatim, since they are checked against the paragraph.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from vectorstore.paragraphs import language_of, mostly_han
from vectorstore.quotes import spans

__all__ = ["MARKER", "Answer", "AnswerSentence", "Citation", "Removal", "compose_text", "language_of", "marker",
           "neutralise_markers"]

MARKER = re.compile(r"\[([^\[\]\s¶]+) ¶(\d{1,6})\]")


def marker(doc: str, paragraph: int) -> str:
    return f"[{doc} ¶{paragraph}]"


def neutralise_markers(text: str) -> str:
    """The text with nothing in it that MARKER would take for a citation."""
    return MARKER.sub(lambda m: f"［{m.group(0)[1:-1]}］", text)


@dataclass(frozen=True)
class Citation:
    doc: str
    paragraph: int
    quote: str  # verbatim from the paragraph: the part that supports the sentence
    # Where the paragraph prints the quote: [start, end) offsets into its text, every occurrence,
    # so that a client marks them without matching text itself (vectorstore.quotes).
    spans: tuple[tuple[int, int], ...] = ()

    @classmethod
    def of(cls, doc: str, paragraph: int, quote: str, paragraph_text: str) -> Citation:
        return cls(doc, paragraph, quote, tuple(spans(quote, paragraph_text)))

    @property
    def key(self) -> tuple[str, int]:
        return (self.doc, self.paragraph)

    def as_json(self) -> dict:
        data = {"doc": self.doc, "paragraph": self.paragraph, "quote": self.quote}
        if self.spans:  # a citation the verifier made always has them
            data["spans"] = [list(span) for span in self.spans]
        return data


@dataclass
class AnswerSentence:
    text: str  # without its markers
    citations: list[Citation]
    flagged: str | None = None  # why the verifier doubts it, when set to flag instead of remove
    # assistant.translation.Rendering: the sentence in the reader's language, when it is in another
    # one and a translator is configured (its text None when no rendering passed the checks).
    rendering: object | None = None

    def as_json(self) -> dict:
        data = {"text": neutralise_markers(self.text), "citations": [c.as_json() for c in self.citations]}
        if self.flagged:
            data["flagged"] = self.flagged
        if self.rendering is not None:
            data["rendering"] = self.rendering.as_json()
            if self.rendering.text:
                data["rendering"]["text"] = neutralise_markers(self.rendering.text)
        return data


@dataclass(frozen=True)
class Removal:
    """Something the verifier took out of a draft before anyone saw it."""

    what: str  # "sentence" or "citation"
    text: str  # the sentence, or the marker of the citation
    reason: str

    def as_json(self) -> dict:
        return asdict(self)


@dataclass
class Answer:
    question: str
    standalone_question: str
    sentences: list[AnswerSentence]
    refused: bool
    lead: str = ""  # a sentence that introduces the cited ones; it claims nothing about the documents
    removed: list[Removal] = field(default_factory=list)
    retrieved: list = field(default_factory=list)  # SearchResult, as the retriever returned them
    generator: str = "extractive"
    fallback: str | None = None  # why the answer is not the generator's own, when it is not
    # The documents speak of the topic but do not state what was asked: the sentences are the
    # closest passages, and the lead says so.
    related: bool = False
    verdict: object | None = None  # assistant.answerability.Verdict: the evidence for the status
    # Quotes its reader cannot read: {"translator", "language", "shown", "unavailable"}, or with no
    # translator configured {"translator": None, "language", "hint"} (how to get renderings).
    translation: dict | None = None

    @property
    def text(self) -> str:
        """The answer as running text with a marker after each sentence, then the renderings."""
        return compose_text(self.lead, [(s.text, [c.key for c in s.citations]) for s in self.sentences],
                            [(s.rendering.text, [c.key for c in s.citations], s.rendering.language)
                             for s in self.sentences if s.rendering is not None])

    @property
    def status(self) -> str:
        """How the answer is presented to its reader: "answered", "related" (only the closest
        passages) or "refused"."""
        return "refused" if self.refused else "related" if self.related else "answered"

    @property
    def citations(self) -> list[tuple[str, int]]:
        """Each cited paragraph once, in order of first use."""
        return [c.key for c in _unique(c for s in self.sentences for c in s.citations)]

    def _sentences_json(self) -> list[dict]:
        """Each sentence with `before`, the text that precedes it in `answer` after the lead (a
        space or nothing): a client lays out lead and sentences as the text does, parsing nothing."""
        out, previous = [], self.lead
        for sentence in self.sentences:
            out.append({**sentence.as_json(), "before": separator(previous) if previous else ""})
            previous = sentence.text
        return out

    def as_json(self, question_id=None) -> dict:
        data = {"id": question_id} if question_id is not None else {}
        data |= {
            "question": self.question,
            "standalone_question": self.standalone_question,
            "answer": self.text,
            "sentences": self._sentences_json(),
            "citations": [{"doc": d, "paragraph": p} for d, p in self.citations],
            "refused": self.refused,
            "removed": [r.as_json() for r in self.removed],
            "retrieved": [r.as_json() for r in self.retrieved],
            "generator": self.generator,
            # After the keys clients already read, so that their order stays the contract's.
            "status": self.status,
            "lead": self.lead,
        }
        if self.verdict is not None:
            data["answerability"] = asdict(self.verdict)
        if self.translation is not None:
            data["translation"] = self.translation
        if self.fallback:
            data["fallback"] = self.fallback
        return data


# Before the renderings in an answer's running text, and in place of one that failed its checks.
RENDERINGS_HEADER = {"en": "Machine translation:", "zh": "机器翻译："}
NO_RENDERING = {"en": "(no verified translation)", "zh": "（没有通过核实的译文）"}


def compose_text(lead: str, sentences: list[tuple[str, list[tuple[str, int]]]],
                 renderings: list[tuple[str | None, list[tuple[str, int]], str]] = ()) -> str:
    """The running text of an answer: the lead-in, then each sentence with a marker for each of
    its cited paragraphs (once each). `sentences`: (text without markers, cited keys).
    `renderings`: the sentences in the reader's language, in order, as (text or None when none
    passed the checks, the sentence's cited keys, the reader's language); after a blank line
    and a header, for a reader of the text alone (the OpenAI endpoint, a terminal).

    Each separator depends only on the piece before it, so the text of the first n sentences
    (and then of the first n renderings) is a prefix of the whole: a stream can send it piece by
    piece.
    """
    text = _joined([(neutralise_markers(sentence), keys) for sentence, keys in sentences])
    if renderings:
        reader = renderings[0][2]
        shown = [(neutralise_markers(r) if r else NO_RENDERING[reader], keys) for r, keys, _ in renderings]
        text += "\n\n" + RENDERINGS_HEADER[reader] + ("" if reader == "zh" else " ") + _joined(shown)
    if not lead:
        return text
    if not text:
        return lead
    return lead + separator(lead) + text


def separator(before: str) -> str:
    """What follows a piece of an answer before the next one: nothing after Chinese, a space
    after anything else (the markers between are Latin: the script is the piece's own)."""
    return "" if mostly_han(before) else " "


def _joined(pieces: list[tuple[str, list[tuple[str, int]]]]) -> str:
    text = ""
    for i, (piece, keys) in enumerate(pieces):
        markers = "".join(marker(doc, paragraph) for doc, paragraph in dict.fromkeys(keys))
        if i:
            text += separator(pieces[i - 1][0])
        text += f"{piece}{markers}"
    return text


def _unique(citations) -> list[Citation]:
    seen: set[tuple[str, int]] = set()
    kept = []
    for citation in citations:
        if citation.key not in seen:
            seen.add(citation.key)
            kept.append(citation)
    return kept
