"""Judges: does this text (one or more cited paragraphs) support this sentence?

One interface, `score(paragraphs, sentence, quotes) -> 0..1`, and a threshold at or above which
a score counts as support. The verifier asks one of them about every sentence of an LLM answer;
the eval suite uses them for ALCE citation recall and precision.

- `quote`: exact. The quote is verbatim in a paragraph and the sentence is, or contains, it.
  Right for the extractive generator, whose sentences are quotes.
- `embedding`: cosine similarity of the sentence to the paragraphs and their sentences. Cheap,
  and blind to a changed year or number.
- `llm`: a yes/no question to a language model, scored by the probability of "yes".

Whatever the judge, a sentence stating a number (a year, a count, a resolution number, a day)
that its cited paragraphs do not print scores 0: the embedding judge cannot see a changed year
at all, and a small model often misses one.

The eval also asks a judge whether a sentence states a key fact (`states`): verbatim for the
quote and embedding judges (the fact's span is in the sentence), a yes/no question for the LLM,
which can read a paraphrase or another language.

The default thresholds are the ones `paracite eval eval/npt --calibrate-judge` picks on the
labelled set eval/judge/pairs.jsonl (86 pairs; most accurate threshold): embedding 0.65 (AUC
0.79, accuracy 0.77), llm 0.69 with the local Qwen (AUC 0.91, accuracy 0.90).

A sentence in another language than its paragraphs (an LLM's English answer over Chinese text)
is judged apart, on the 43 English sentences of those pairs: the llm judge at 0.43 there (AUC
0.93, accuracy 0.91, against 0.88 at 0.69), the embedding judge at 0.65 (AUC 0.83); and the
quote judge, which cannot read across languages (every translation scores 0), hands such a
sentence to the embedding judge (`for_sentence`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

import prompts
from vectorstore.embedder import Embedder
from vectorstore.paragraphs import mostly_han, split_sentences
from vectorstore.quotes import normalise, verbatim_in

from .answers import language_of
from .llm import ChatLLM
from .metrics import numbers_supported


class Judge(Protocol):
    name: str
    threshold: float  # for a sentence in its paragraphs' language
    cross_threshold: float  # for a sentence in another language than its paragraphs

    def score(self, paragraphs: list[str], sentence: str, quotes: tuple[str, ...] = ()) -> float: ...

    def states(self, paragraph: str, fact: str, sentence: str) -> bool:
        """Does the sentence state the fact (a span of the paragraph)?"""
        ...


def crosses_languages(sentence: str, paragraphs: list[str]) -> bool:
    """Whether the sentence is written in another language than its paragraphs."""
    return bool(paragraphs) and mostly_han(sentence) != mostly_han(" ".join(paragraphs))


def threshold_for(judge: Judge, sentence: str, paragraphs: list[str]) -> float:
    return judge.cross_threshold if crosses_languages(sentence, paragraphs) else judge.threshold


@dataclass
class QuoteJudge:
    name: str = "quote"
    threshold: float = 1.0
    cross_threshold: float = 1.0

    def score(self, paragraphs: list[str], sentence: str, quotes: tuple[str, ...] = ()) -> float:
        if not numbers_supported(sentence, paragraphs):
            return 0.0
        claimed = quotes or (sentence,)
        sentence = normalise(sentence)
        for quote in claimed:
            if normalise(quote) in sentence and any(verbatim_in(quote, p) for p in paragraphs):
                return 1.0
        return 0.0

    def states(self, paragraph: str, fact: str, sentence: str) -> bool:
        return verbatim_in(fact, sentence)


class EmbeddingJudge:
    name = "embedding"

    def __init__(self, embedder: Embedder, threshold: float = 0.65, cross_threshold: float | None = None) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.cross_threshold = 0.65 if cross_threshold is None else cross_threshold

    def score(self, paragraphs: list[str], sentence: str, quotes: tuple[str, ...] = ()) -> float:
        pieces = list(dict.fromkeys([*paragraphs, *(s for p in paragraphs for s in split_sentences(p))]))
        if not pieces or not numbers_supported(sentence, paragraphs):
            return 0.0
        claim = self.embedder.embed_documents([sentence])[0]
        return float(np.max(self.embedder.embed_documents(pieces) @ claim))

    def states(self, paragraph: str, fact: str, sentence: str) -> bool:
        # A cosine cannot tell "states this span" from "is about the same thing".
        return verbatim_in(fact, sentence)


class LLMJudge:
    name = "llm"

    def __init__(self, llm: ChatLLM, threshold: float = 0.69, cross_threshold: float | None = None) -> None:
        self.llm = llm
        self.threshold = threshold
        self.cross_threshold = 0.43 if cross_threshold is None else cross_threshold

    def score(self, paragraphs: list[str], sentence: str, quotes: tuple[str, ...] = ()) -> float:
        if not numbers_supported(sentence, paragraphs):
            return 0.0
        joined = "\n\n".join(paragraphs)
        return self.llm.yes_probability(
            prompts.messages("judge", language_of(sentence), paragraphs=joined, sentence=sentence)
        )

    def states(self, paragraph: str, fact: str, sentence: str) -> bool:
        if verbatim_in(fact, sentence):
            return True
        probability = self.llm.yes_probability(
            prompts.messages("fact", language_of(sentence), paragraph=paragraph, fact=fact, sentence=sentence)
        )
        return probability >= self.threshold
