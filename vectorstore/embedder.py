"""The embedder seam: texts in, unit-length float32 vectors out.

The default is EmbeddingGemma-300m through sentence-transformers, with the model's own query and
document prompts. It runs in bfloat16 on CPUs that have native bf16 (about twice as fast, same
rankings), but its bf16 output is only roughly normalised, and Chroma then reorders near-ties; so
every vector is cast to float32 and re-normalised here, before anything else sees it.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import numpy as np

from .errors import ModelError


class Embedder(Protocol):
    name: str

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_queries(self, texts: list[str]) -> np.ndarray: ...


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


def cpu_has_native_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


class SentenceTransformerEmbedder:
    """Any sentence-transformers model directory; loaded once, when the object is made."""

    def __init__(self, model_path: Path | str, *, dtype: str = "auto", batch_size: int = 16) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach for a hub at run time
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.disable_progress_bar()
        transformers.logging.set_verbosity_error()

        if dtype == "auto":
            dtype = "bfloat16" if cpu_has_native_bf16() else "float32"
        self.name = Path(str(model_path)).name
        self.dtype = dtype
        self.batch_size = batch_size
        try:
            self._model = SentenceTransformer(
                str(model_path), device="cpu", model_kwargs={"dtype": getattr(torch, dtype)}
            )
        except (OSError, ValueError) as exc:
            raise ModelError(
                f"cannot load the embedding model from {model_path} ({exc.__class__.__name__}); "
                "run `paracite models pull` or set PARACITE_EMBEDDING_MODEL to a model directory"
            ) from None
        self._has_prompts = {"query", "document"} <= set(self._model.prompts)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        if self._has_prompts:
            vectors = self._model.encode_document(texts, batch_size=self.batch_size)
        else:
            vectors = self._model.encode(texts, batch_size=self.batch_size)
        return unit_rows(vectors)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        if self._has_prompts:
            vectors = self._model.encode_query(texts, batch_size=self.batch_size)
        else:
            vectors = self._model.encode(texts, batch_size=self.batch_size)
        return unit_rows(vectors)


RECENT_QUERIES = 64


class CachedEmbedder:
    """Remembers document vectors by text, so re-ingesting an edited document embeds only what changed.

    A SQLite file per model under the cache directory. Queries are kept only in memory, for the
    last few: answering a question embeds it once for retrieval and again to pick sentences.
    The cache holds vectors exactly as the wrapped embedder returned them.
    """

    def __init__(self, embedder: Embedder, path: Path) -> None:
        import sqlite3

        self._embedder = embedder
        self.name = embedder.name
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        self.hits = 0
        self._recent_queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(text: str) -> str:
        import hashlib

        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        found: dict[str, np.ndarray] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            rows = self._db.execute(
                f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(chunk))})", chunk
            )
            found.update((key, np.frombuffer(blob, dtype=np.float32)) for key, blob in rows)
        todo = sorted({k: t for k, t in zip(keys, texts) if k not in found}.items())
        self.hits += len(texts) - sum(1 for k in keys if k not in found)
        if todo:
            fresh = self._embedder.embed_documents([t for _, t in todo])
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                    [(k, v.astype(np.float32).tobytes()) for (k, _), v in zip(todo, fresh)],
                )
            found.update((k, v) for (k, _), v in zip(todo, fresh))
        return np.stack([found[k] for k in keys]) if keys else np.zeros((0, 0), dtype=np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            known = {t: self._recent_queries[t] for t in texts if t in self._recent_queries}
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            known.update(zip(missing, self._embedder.embed_queries(missing)))
            with self._lock:
                for text in missing:
                    self._recent_queries[text] = known[text]
                while len(self._recent_queries) > RECENT_QUERIES:
                    self._recent_queries.popitem(last=False)
        return np.stack([known[t] for t in texts]) if texts else np.zeros((0, 0), dtype=np.float32)


class RewrittenQueries:
    """An embedder whose queries are rewritten before they are embedded (acronyms spelled out:
    `vectorstore.search.spelled_out`); documents go through as they are. One wrapper, so that the
    retriever, the sentence choice and the answerability judgement read a question alike."""

    def __init__(self, embedder: Embedder, rewrite: Callable[[str], str]) -> None:
        self.inner = embedder
        self.rewrite = rewrite
        self.name = getattr(embedder, "name", "")

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed_documents(texts)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self.inner.embed_queries([self.rewrite(t) for t in texts])
