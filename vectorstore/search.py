"""The retriever: dense search fused with lexical evidence, document hints and paragraph references.

How a question is answered with paragraphs, in order:

1. A question that names a paragraph ("第144段", "paragraph 37 of the 2007 paper") gets that
   paragraph first.
2. Dense candidates from Chroma (cosine similarity of unit vectors) and lexical candidates from
   BM25 over paragraphs and over single sentences are fused by reciprocal rank.
3. The lexical ranks are weighted by how much of the question's vocabulary the corpus knows
   (idf-weighted): an English question over Chinese text shares no words with it, and fusing its
   lexical noise anyway costs recall; numbers and names it shares ("1737") still count.
4. A question that names a document by year or title words ("2007年的工作文件", "the 2024
   summary") prefers that document's paragraphs.

Each result carries `score` (the fused score, which orders the results) and `similarity` (the
cosine similarity of paragraph and question, comparable across questions). `is_relevant` decides
"nothing here answers this" from the similarity and the lexical evidence against thresholds
calibrated on the dev set.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .embedder import Embedder
from .lexical import LexicalIndex, current_index
from .store import DocumentInfo, ParagraphStore, StoredParagraph

RRF_K = 60
CANDIDATES = 50
WEIGHT_DENSE = 1.0
WEIGHT_PARAGRAPH_LEXICAL = 0.5
WEIGHT_SENTENCE_LEXICAL = 0.5
DOCUMENT_HINT_BONUS = 1.5 / RRF_K  # enough to lift the named document's match over near-ties
# Calibrated on eval/npt (see benchmarks/retrieval.py --calibrate): a question is taken to be
# answered by the documents when its best paragraph is at least this similar.
RELEVANCE_THRESHOLD = 0.40

_PARAGRAPH_REF = re.compile(
    r"第\s*(\d{1,4})\s*段|(?:paragraph|para\.?|¶)\s*(\d{1,4})\b", re.IGNORECASE
)
_YEAR = re.compile(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)")
_HINT_WORD = re.compile(r"[a-z]{3,}|[\u4e00-\u9fff]{2,}")
_GENERIC_HINTS = frozenset({"npt", "the", "and", "主席的"})


@dataclass(frozen=True)
class SearchResult:
    doc: str
    paragraph: int
    title: str
    text: str
    score: float
    similarity: float

    def as_json(self) -> dict:
        data = asdict(self)
        data["score"] = round(self.score, 6)
        data["similarity"] = round(self.similarity, 6)
        return data


def document_hints(info: DocumentInfo) -> set[str]:
    """Years and title words by which a question may name this document."""
    text = " ".join([info.doc_id.replace("-", " "), info.title, *info.metadata.values()]).lower()
    hints = set(_YEAR.findall(text)) | set(_HINT_WORD.findall(text))
    title = re.sub(r"^主席的", "", info.title)
    if title:
        hints.add(title)
    return hints - _GENERIC_HINTS


class Retriever:
    def __init__(self, store: ParagraphStore, embedder: Embedder, lexical_dir: Path) -> None:
        self.store = store
        self.embedder = embedder
        self.lexical_dir = lexical_dir
        self._lexical: LexicalIndex | None = None

    def lexical(self) -> LexicalIndex:
        if self._lexical is None or self._lexical.fingerprint != self.store.fingerprint():
            self._lexical = current_index(self.store, self.lexical_dir)
        return self._lexical

    def refresh(self) -> None:
        """Bring the lexical index up to date now (after an ingest or delete) rather than later."""
        self.lexical()

    def search(self, query: str, k: int = 5, doc_ids: list[str] | None = None) -> list[SearchResult]:
        query = query.strip()
        if not query:
            return []
        lexical = self.lexical()
        allowed = set(doc_ids) if doc_ids else {row.doc_id for row in lexical.rows}
        preferred = self._named_documents(query, allowed)
        vector = self.embedder.embed_queries([query])[0]
        dense = self.store.dense_search(vector, max(CANDIDATES, k), doc_ids=doc_ids)

        fused: dict[str, float] = {}
        similarity: dict[str, float] = {}
        paragraph_of: dict[str, StoredParagraph] = {}
        for rank, hit in enumerate(dense):
            fused[hit.record_id] = WEIGHT_DENSE / (RRF_K + rank)
            similarity[hit.record_id] = hit.similarity
            paragraph_of[hit.record_id] = hit.paragraph

        scores = lexical.scores(query)
        mask = np.array([row.doc_id in allowed for row in lexical.rows], dtype=bool)
        for weight, values in ((WEIGHT_PARAGRAPH_LEXICAL, scores.paragraph), (WEIGHT_SENTENCE_LEXICAL, scores.sentence_best)):
            if scores.coverage <= 0 or not len(values):
                continue
            values = np.where(mask, values, 0.0)
            order = np.argsort(-values, kind="stable")[:CANDIDATES]
            for rank, row in enumerate(order):
                if values[row] <= 0:
                    break
                record_id = lexical.record_ids[row]
                fused[record_id] = fused.get(record_id, 0.0) + weight * scores.coverage / (RRF_K + rank)
                paragraph_of.setdefault(record_id, lexical.rows[row])

        for record_id, paragraph in paragraph_of.items():
            if paragraph.doc_id in preferred:
                fused[record_id] += DOCUMENT_HINT_BONUS

        missing = [record_id for record_id in fused if record_id not in similarity]
        for record_id, embedding in self.store.embeddings(missing).items():
            similarity[record_id] = float(embedding @ vector)

        ranked = sorted(fused, key=lambda record_id: -fused[record_id])
        results = [
            SearchResult(p.doc_id, p.number, p.title, p.text, fused[r], similarity.get(r, 0.0))
            for r in ranked
            for p in [paragraph_of[r]]
        ]
        referenced = self._referenced_paragraphs(query, allowed, preferred)
        if referenced:
            top = max((r.score for r in results), default=0.0) + 1.0 / RRF_K
            named = [SearchResult(p.doc_id, p.number, p.title, p.text, top, 1.0) for p in referenced]
            keys = {(p.doc, p.paragraph) for p in named}
            results = named + [r for r in results if (r.doc, r.paragraph) not in keys]
        return results[:k]

    def _named_documents(self, query: str, allowed: set[str]) -> set[str]:
        lowered = query.lower()
        infos = [info for info in self.store.documents() if info.doc_id in allowed]
        if len(infos) < 2:
            return set()
        hints = {info.doc_id: document_hints(info) for info in infos}
        shared = set.intersection(*hints.values())
        matched: dict[str, int] = {}
        for doc_id, words in hints.items():
            found = [w for w in words - shared if w in lowered]
            if found:
                matched[doc_id] = len(found)
        if not matched or len(matched) == len(infos):
            return set()
        best = max(matched.values())
        return {doc_id for doc_id, n in matched.items() if n == best}

    def _referenced_paragraphs(self, query: str, allowed: set[str], preferred: set[str]) -> list[StoredParagraph]:
        numbers = [int(a or b) for a, b in _PARAGRAPH_REF.findall(query)]
        if not numbers:
            return []
        candidates = preferred or allowed
        found = []
        for row in self.lexical().rows:
            if row.doc_id in candidates and row.number in numbers:
                found.append(row)
        # Without a document named, a number that several documents have is ambiguous: keep all.
        return found

    def is_relevant(self, results: list[SearchResult]) -> bool:
        return bool(results) and max(r.similarity for r in results) >= RELEVANCE_THRESHOLD
