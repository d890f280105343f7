"""Ingest files: read them all, then embed and write each document that changed.

Every file is read and split before anything is written, so one bad file in a batch leaves the
store exactly as it was. An unchanged file (same sha256 as the live version) is skipped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .embedder import Embedder
from .errors import InputError
from .readers import Document, load_document
from .store import ParagraphStore


@dataclass(frozen=True)
class IngestResult:
    document: Document
    status: str  # "ingested", "replaced" or "unchanged"


def read_all(paths: Iterable[Path | str]) -> list[Document]:
    paths = list(paths)
    documents = [load_document(path) for path in paths]
    seen: dict[str, str] = {}
    for path, document in zip(paths, documents):
        if document.doc_id in seen:
            raise InputError(
                f"{path}: document id {document.doc_id!r} is also the id of {seen[document.doc_id]} "
                "(the file name without its extension is the id)"
            )
        seen[document.doc_id] = str(path)
    if not documents:
        raise InputError("no files given")
    return documents


def ingest(
    documents: list[Document],
    store: ParagraphStore,
    embedder: Embedder,
    on_embedded: Callable[[int], None] | None = None,
) -> list[IngestResult]:
    """Write each document; `on_embedded(n)` is called as batches of n paragraphs are embedded."""
    results = []
    for document in documents:
        if store.is_current(document):
            results.append(IngestResult(document, "unchanged"))
            if on_embedded:
                on_embedded(len(document.paragraphs))
            continue
        existed = document.doc_id in {info.doc_id for info in store.documents()}
        vectors = _embed_in_steps(embedder, [p.text for p in document.paragraphs], on_embedded)
        store.write(document, vectors)
        results.append(IngestResult(document, "replaced" if existed else "ingested"))
    return results


def _embed_in_steps(embedder: Embedder, texts: list[str], on_step: Callable[[int], None] | None) -> np.ndarray:
    """Embed in steps for a progress bar, longest texts first so that batches pad little."""
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    vectors = np.zeros((len(texts), 0), dtype=np.float32)
    step = 64
    for start in range(0, len(order), step):
        chunk = order[start : start + step]
        embedded = embedder.embed_documents([texts[i] for i in chunk])
        if vectors.shape[1] == 0:
            vectors = np.zeros((len(texts), embedded.shape[1]), dtype=np.float32)
        vectors[chunk] = embedded
        if on_step:
            on_step(len(chunk))
    return vectors
