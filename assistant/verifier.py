"""The verifier: every generator's draft passes it, sentence by sentence, before a user sees it.

For each drafted sentence:
1. A citation must name a paragraph among the retrieved ones (an invented, out-of-range or
   unretrieved number is removed, never shown). A bare number ("[¶14]") stands only when exactly
   one retrieved paragraph has it.
2. Each citation gets a quote: verbatim from its paragraph. A drafted quote that is not verbatim
   is replaced by the paragraph sentence closest to the answer sentence.
3. A sentence left with no citation is removed, unless it was drafted with none and is a verbatim
   copy of a retrieved paragraph's text: that paragraph is then its citation.
4. The judge must find the sentence supported by its cited paragraphs together; a citation whose
   paragraph alone does not support it, while the others do, is dropped (ALCE's "irrelevant
   citation"). An unsupported sentence is removed, or kept and flagged when so configured.

Sentences are checked one at a time so that an answer can stream: each sentence is shown as soon
as it has passed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vectorstore.embedder import Embedder
from vectorstore.paragraphs import split_sentences
from vectorstore.quotes import normalise, printed_span, verbatim_in
from vectorstore.search import SearchResult

from .answers import AnswerSentence, Citation, Removal, marker
from .generators import DraftSentence, Reference
from .judges import EmbeddingJudge, Judge, crosses_languages, threshold_for


# Pruning irrelevant citations costs two judge calls per citation, each on another set of
# paragraphs; beyond a few citations that is slower than it is worth.
MAX_CITATIONS_TO_PRUNE = 3


@dataclass
class Checked:
    sentence: AnswerSentence | None  # None when removed
    removed: list[Removal]


class Verifier:
    def __init__(self, judge: Judge | None, embedder: Embedder | None = None, mode: str = "remove") -> None:
        self.judge = judge
        self.embedder = embedder
        self.mode = mode  # "remove" or "flag"

    def check(self, draft: DraftSentence, retrieved: list[SearchResult]) -> Checked:
        by_key = {(r.doc, r.paragraph): r for r in retrieved}
        removed: list[Removal] = []
        citations: list[Citation] = []
        for reference in draft.references:
            found = self._resolve(reference, retrieved, by_key)
            if isinstance(found, str):
                removed.append(Removal("citation", reference.written or _written(reference), found))
                continue
            if any(c.key == (found.doc, found.paragraph) for c in citations):
                continue
            citations.append(Citation.of(found.doc, found.paragraph, self._quote(draft.text, reference.quote, found.text),
                                         found.text))
        if not draft.references:
            # A sentence copied word for word from a retrieved paragraph (small models often drop
            # the marker) is cited by that paragraph: a verbatim quote supports itself.
            citations = [Citation.of(r.doc, r.paragraph, printed_span(draft.text, r.text), r.text)
                         for r in retrieved if verbatim_in(draft.text, r.text)][:1]
        if not citations:
            reason = "no citation" if not draft.references else "none of its citations is a retrieved paragraph"
            removed.append(Removal("sentence", draft.text, reason))
            return Checked(None, removed)
        sentence = AnswerSentence(draft.text, citations)
        if self.judge is None:
            return Checked(sentence, removed)
        return self._judge(sentence, by_key, removed)

    def _judge_for(self, sentence: str, texts: list[str]) -> Judge:
        """The judge that can read the sentence against its paragraphs: the quote judge cannot
        read across languages, so a sentence in another language goes to the embedding judge."""
        if self.judge.name == "quote" and self.embedder is not None and crosses_languages(sentence, texts):
            return EmbeddingJudge(self.embedder)
        return self.judge

    def _judge(self, sentence: AnswerSentence, by_key: dict, removed: list[Removal]) -> Checked:
        texts = [by_key[c.key].text for c in sentence.citations]
        judge = self._judge_for(sentence.text, texts)
        threshold = threshold_for(judge, sentence.text, texts)
        quotes = tuple(c.quote for c in sentence.citations)
        score = judge.score(texts, sentence.text, quotes)
        if score < threshold:
            reason = f"not supported by its cited paragraphs ({judge.name} judge {score:.2f} < {threshold:.2f})"
            if self.mode == "flag":
                sentence.flagged = reason
                return Checked(sentence, removed)
            removed.append(Removal("sentence", sentence.text, reason))
            return Checked(None, removed)
        if 1 < len(sentence.citations) <= MAX_CITATIONS_TO_PRUNE:
            kept = []
            for citation in sentence.citations:
                alone = judge.score([by_key[citation.key].text], sentence.text, (citation.quote,))
                others = [c for c in sentence.citations if c is not citation]
                if alone < threshold and others and judge.score(
                    [by_key[c.key].text for c in others], sentence.text, tuple(c.quote for c in others)
                ) >= threshold:
                    removed.append(Removal("citation", marker(*citation.key), "irrelevant: the other citations support the sentence without it"))
                    continue
                kept.append(citation)
            sentence.citations = kept
        return Checked(sentence, removed)

    @staticmethod
    def _resolve(reference: Reference, retrieved: list[SearchResult], by_key: dict) -> SearchResult | str:
        if reference.doc is None:
            matches = [r for r in retrieved if r.paragraph == reference.paragraph]
            if len(matches) == 1:
                return matches[0]
            if not matches:
                return f"paragraph {reference.paragraph} was not retrieved"
            return f"paragraph {reference.paragraph} is ambiguous without a document"
        found = by_key.get((reference.doc, reference.paragraph))
        if found is None:
            return f"{marker(reference.doc, reference.paragraph)} was not among the retrieved paragraphs"
        return found

    def _quote(self, sentence: str, drafted: str | None, paragraph: str) -> str:
        """Verbatim from the paragraph: the drafted quote if it is, else the closest sentence."""
        if drafted and verbatim_in(drafted, paragraph):
            return printed_span(drafted, paragraph)
        pieces = split_sentences(paragraph) or [paragraph]
        for piece in pieces:
            if normalise(piece) in normalise(sentence) or normalise(sentence) in normalise(piece):
                return piece
        if self.embedder is None or len(pieces) == 1:
            return pieces[0]
        vectors = self.embedder.embed_documents([sentence, *pieces])
        return pieces[int(np.argmax(vectors[1:] @ vectors[0]))]


def _written(reference: Reference) -> str:
    return marker(reference.doc, reference.paragraph) if reference.doc else f"[¶{reference.paragraph}]"
