"""Lexical evidence: BM25 over Chinese-aware tokens, sentence by sentence.

Tokens come from jieba's search mode (overlapping words, so "扎波罗热核电厂" matches both
"扎波罗热" and "核电厂"), lower-cased, without punctuation and stop words. The BM25 index (bm25s)
has one row per sentence, and a paragraph's lexical score is that of its best sentence: an answer
often sits in one clause of a long paragraph, and on the dev set whole-paragraph BM25 added
nothing once sentence BM25 and dense search were fused.

The index is derived data: it is rebuilt from the store whenever the store's fingerprint (its
live documents and their generations) differs from the one the index was built for, and written
beside the store in one rename. So it cannot drift from the store, whoever changed the store.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .paragraphs import split_sentences
from .store import ParagraphStore, StoredParagraph

_PUNCT_OR_SPACE = re.compile(r"^[\W_]+$")
_STOP = frozenset(
    "的 了 和 与 及 或 在 对 是 为 将 把 被 其 这 那 之 于 以 而 也 都 就 并 等 中 上 下 有 个 什么 哪些 哪个 如何 怎样 "
    "吗 呢 吧 啊 说 提出 表示 方面 关于 第 段 号 年 月 日 "
    "a an the of to in on for and or is are was were be been by with as at from that this these those "
    "what which who whom how did do does say said about any there their its it they them has have had "
    "not no than into over under".split()
)


@functools.cache
def quiet_jieba():
    """jieba, with its word tagger, and quiet: at import it sets its own logger to DEBUG with a
    handler of its own, so its "Building prefix dict…" lines went to the CLI's stderr from
    whichever caller loaded the dictionary first."""
    import jieba
    import jieba.posseg  # noqa: F401 (jieba.posseg is then an attribute of jieba)

    jieba.setLogLevel(logging.WARNING)
    return jieba


def tokenize(text: str) -> list[str]:
    return [
        token
        for token in (t.strip().lower() for t in quiet_jieba().lcut_for_search(text))
        if token and not _PUNCT_OR_SPACE.match(token) and token not in _STOP
    ]


@dataclass
class LexicalScores:
    sentence_best: np.ndarray  # per paragraph row: the best BM25 score among its sentences
    coverage: float  # share of the query's idf mass that the corpus vocabulary knows (0..1)


class LexicalIndex:
    def __init__(self, rows: list[StoredParagraph], record_ids: list[str], fingerprint: str) -> None:
        import bm25s

        self.rows = rows
        self.record_ids = record_ids
        self.fingerprint = fingerprint
        sentence_rows: list[int] = []
        sentence_tokens: list[list[str]] = []
        self.document_frequency: Counter[str] = Counter()
        for i, row in enumerate(rows):
            vocabulary: set[str] = set()
            for sentence in split_sentences(row.text):
                sentence_rows.append(i)
                sentence_tokens.append(tokenize(sentence))
                vocabulary.update(sentence_tokens[-1])
            self.document_frequency.update(vocabulary)
        self.sentence_rows = np.asarray(sentence_rows, dtype=np.int64)
        self._sentences = bm25s.BM25()
        if rows:
            self._sentences.index([t or ["\u2205"] for t in sentence_tokens], show_progress=False)

    @functools.cached_property
    def row_of(self) -> dict[str, int]:
        """Row number by paragraph record id."""
        return {record_id: row for row, record_id in enumerate(self.record_ids)}

    @functools.cached_property
    def _shares(self) -> dict[str, float]:
        # a property, not set in __init__: an index read back from disk is not built by it
        return {}

    @functools.cached_property
    def paragraph_texts(self) -> list[str]:
        """Each row's text, whitespace removed, in row order."""
        return self.corpus_text.split("\n") if self.rows else []

    def share_printing(self, name: str) -> float:
        """The share of the paragraphs that print `name` (whitespace ignored). Remembered per
        index, so an index replaced after an ingest is not kept alive by the memo."""
        if name not in self._shares:
            texts = self.paragraph_texts
            self._shares[name] = sum(name in text for text in texts) / len(texts) if texts else 0.0
        return self._shares[name]

    @functools.cached_property
    def corpus_text(self) -> str:
        """All paragraphs, whitespace removed: to ask whether the corpus mentions a name at all."""
        return "\n".join(re.sub(r"\s+", "", row.text) for row in self.rows)

    @functools.cached_property
    def row_documents(self) -> np.ndarray:
        return np.array([row.doc_id for row in self.rows], dtype=object)

    def idf(self, token: str) -> float:
        n = max(len(self.rows), 1)
        df = self.document_frequency.get(token, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def coverage(self, query: str) -> float:
        """The share of the query's idf mass that the corpus vocabulary knows (0..1)."""
        tokens = tokenize(query)
        total = sum(self.idf(t) for t in tokens)
        known = sum(self.idf(t) for t in tokens if t in self.document_frequency)
        return known / total if total else 0.0

    def scores(self, query: str) -> LexicalScores:
        tokens = tokenize(query)
        empty = np.zeros(len(self.rows), dtype=np.float32)
        if not tokens or not self.rows:
            return LexicalScores(empty, 0.0)
        per_sentence = self._sentences.get_scores(tokens).astype(np.float32)
        best = np.zeros(len(self.rows), dtype=np.float32)
        np.maximum.at(best, self.sentence_rows, per_sentence)
        return LexicalScores(best, self.coverage(query))

    # --- persistence -------------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".lexical-", dir=directory.parent))
        meta = {
            "fingerprint": self.fingerprint,
            "rows": [[r.doc_id, r.number, r.title, r.text, r.titles] for r in self.rows],
            "record_ids": self.record_ids,
            "sentence_rows": self.sentence_rows.tolist(),
            "document_frequency": self.document_frequency,
        }
        (staging / "index.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        if self.rows:
            self._sentences.save(staging / "sentences", show_progress=False)
        # Swap in the new index. Another process may be doing the same: whoever loses the race
        # leaves its copy behind, and the index on disk is still a whole one.
        old = Path(tempfile.mkdtemp(prefix=".lexical-old-", dir=directory.parent))
        try:
            if directory.exists():
                directory.rename(old / "index")
            staging.rename(directory)
        except OSError:
            pass
        finally:
            shutil.rmtree(old, ignore_errors=True)
            shutil.rmtree(staging, ignore_errors=True)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex | None:
        import bm25s

        try:
            meta = json.loads((directory / "index.json").read_text(encoding="utf-8"))
            index = cls.__new__(cls)
            index.fingerprint = meta["fingerprint"]
            index.rows = [StoredParagraph(*row) for row in meta["rows"]]
            index.record_ids = meta["record_ids"]
            index.sentence_rows = np.asarray(meta["sentence_rows"], dtype=np.int64)
            index.document_frequency = Counter(meta["document_frequency"])
            index._sentences = bm25s.BM25()
            if index.rows:
                index._sentences = bm25s.BM25.load(directory / "sentences", show_progress=False)
            return index
        except (OSError, ValueError, KeyError):
            return None


def current_index(store: ParagraphStore, directory: Path) -> LexicalIndex:
    """The lexical index for the store as it is now: loaded if still current, else rebuilt."""
    index = LexicalIndex.load(directory)
    if index is not None and index.fingerprint == store.fingerprint():
        return index
    rows, record_ids, fingerprint = store.all_paragraphs()
    index = LexicalIndex(rows, record_ids, fingerprint)
    index.save(directory)
    return index
