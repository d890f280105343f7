"""Answerability: do the retrieved paragraphs state what the question asks, or only speak of its topic?

The retriever's gate (`Retriever.relevant`) refuses questions on topics the documents do not
cover. What passes it is on the documents' topic, and either answered by a sentence of the
paragraphs or only close to them ("How many IAEA inspectors are there?" finds paragraphs on
safeguards that never give the number). The second kind is answered as `related`: the closest
passages, introduced as such, never framed as the answer.

The evidence, cheapest first:
- the best sentence's cosine similarity to the question (EmbeddingGemma, the embedder search
  already loaded): above the band's top the paragraphs answer, below its bottom they only come
  close;
- inside the band, an LLM asked "do these passages answer the question?" decides from its yes/no
  logits (`ChatLLM.yes_probability`) where one is configured or installed; without one, the
  band counts as answered (similarity alone cannot separate the two there without refusing
  answerable questions).

Bands depend on whether question and text share a language (a cross-lingual pair scores lower for
the same meaning), as the retriever's thresholds do. They were read off `benchmarks/refusal.py`
on the dev suite (eval/npt), never on the held-out one; the README gives the measured trade-off.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from vectorstore.embedder import Embedder
from vectorstore.paragraphs import mostly_han, split_sentences
from vectorstore.search import SearchResult

import prompts

from .answers import language_of
from .llm import ChatLLM

# (bottom, top) of the unsure band of best-sentence similarity, by whether the question and the
# best sentence are in one language ("same") or not ("cross"). Top: just above the highest
# unanswerable question of eval/npt (0.629 same, 0.474 cross), so that about 60 % of questions
# need no readout. Bottom: just below the lowest answerable one (0.469, 0.360): similarity alone
# cannot tell the two apart in between (AUC 0.80 there, no unanswerable question caught at 5 %
# false refusals), so without an LLM the band counts as answered.
BANDS = {"same": (0.45, 0.63), "cross": (0.35, 0.48)}
# P(yes) below which the readout counts as "only close": on eval/npt it catches 4 of the 9
# unanswerable questions the gate lets through and marks 3 of 152 answerable ones related.
LLM_YES = 0.30
LLM_PASSAGES = 4  # the best sentences the LLM reads: what an answer would quote


@dataclass(frozen=True)
class Verdict:
    answers: bool  # False: the paragraphs only come close ("related")
    similarity: float  # the best sentence's, or 1.0 where the question names the paragraph
    llm_yes: float | None = None  # the LLM's P(yes), where it was asked
    reason: str = ""  # which evidence decided


class Answerability(Protocol):
    def judge(self, question: str, paragraphs: list[SearchResult], lookup: bool = False) -> Verdict:
        """Whether `paragraphs` state what `question` asks. `lookup`: the question only names a
        topic ("福岛"), so any paragraph on it answers."""
        ...


class SimilarityAnswerability:
    """Best-sentence similarity, with an LLM's yes/no readout for the unsure band when one is given."""

    def __init__(
        self,
        embedder: Embedder,
        llm: ChatLLM | Callable[[], ChatLLM | None] | None = None,
        bands: dict[str, tuple[float, float]] = BANDS,
    ) -> None:
        self.embedder = embedder
        self._llm = llm
        self._loading = threading.Lock()
        self.bands = bands

    def judge(self, question: str, paragraphs: list[SearchResult], lookup: bool = False) -> Verdict:
        if any(p.similarity >= 1.0 for p in paragraphs):  # "第144段说了什么": the paragraph is the answer
            return Verdict(True, 1.0, reason="named paragraph")
        if lookup:
            return Verdict(True, 0.0, reason="topic lookup")
        ranked = ranked_sentences(self.embedder, question, paragraphs)
        if not ranked:
            return Verdict(False, 0.0, reason="no sentences")
        best, sentence = ranked[0]
        bottom, top = self.bands[pairing(question, sentence)]
        if best >= top:
            return Verdict(True, best, reason="similar")
        if best < bottom:
            return Verdict(False, best, reason="dissimilar")
        llm = self.llm()
        if llm is None:
            return Verdict(True, best, reason="unsure, no LLM")
        yes = llm_readout(llm, question, ranked)
        return Verdict(yes >= LLM_YES, best, yes, reason="llm")

    def llm(self) -> ChatLLM | None:
        # Loaded on the first unsure question, not at start; once, though a server's answer
        # threads all meet their first unsure question at the same moment (each load is 1 GB).
        with self._loading:
            if callable(self._llm) and not hasattr(self._llm, "yes_probability"):
                self._llm = self._llm()
        return self._llm


def ranked_sentences(embedder: Embedder, question: str, paragraphs: list[SearchResult]) -> list[tuple[float, str]]:
    """Every sentence of the paragraphs with its similarity to the question, best first."""
    sentences = [s for p in paragraphs for s in split_sentences(p.text)]
    if not sentences:
        return []
    scores = embedder.embed_documents(sentences) @ embedder.embed_queries([question])[0]
    return sorted(zip(map(float, scores), sentences), key=lambda pair: -pair[0])


def pairing(question: str, text: str) -> str:
    """"same" when question and text are in one language (by script), else "cross"."""
    return "same" if mostly_han(question) == mostly_han(text) else "cross"


def llm_readout(llm: ChatLLM, question: str, ranked: list[tuple[float, str]]) -> float:
    """The LLM's P(yes) that the best sentences answer the question."""
    passages = "\n".join(sentence for _, sentence in ranked[:LLM_PASSAGES])
    return llm.yes_probability(
        prompts.messages("answerable", language_of(question), passages=passages, question=question))
