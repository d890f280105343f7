"""The embedder seam: texts in, unit-length float32 vectors out.

The default is EmbeddingGemma-300m through sentence-transformers, with the model's own query and
document prompts. It runs in bfloat16 on CPUs that have native bf16 (about twice as fast, same
rankings), but its bf16 output is only roughly normalised, and Chroma then reorders near-ties; so
every vector is cast to float32 and re-normalised here, before anything else sees it.
"""

from __future__ import annotations

import os
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
