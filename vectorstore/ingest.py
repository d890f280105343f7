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
from .paragraphs import split_sentences
from .store import ParagraphStore, SentenceRecord


@dataclass(frozen=True)
class IngestResult:
    document: Document
    status: str  # "ingested", "replaced" or "unchanged"

    def as_json(self) -> dict:
        """What `paracite ingest --json` prints and `POST /api/admin/documents` returns, per document."""
        d = self.document
        return {"doc": d.doc_id, "title": d.title, "paragraphs": len(d.paragraphs),
                **{k: v for k, v in d.metadata.items() if k.startswith("title_")},
                "numbering": d.numbering, "status": self.status, "warnings": d.warnings}


def read_all(paths: Iterable[Path | str], on_reading: Callable[[Path], None] | None = None,
             titles: dict[str, str] | None = None) -> list[Document]:
    """Read and split every file; `on_reading(path)` is called as each one is started. `titles`:
    per language, for a single file."""
    # One file named twice (overlapping shell globs) is read once.
    paths = list({Path(p).resolve(): Path(p) for p in paths}.values())
    documents = []
    for path in paths:
        if on_reading:
            on_reading(path)
        documents.append(load_document(path, titles))
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
    embedder: Embedder | None,
    on_embedded: Callable[[int], None] | None = None,
) -> list[IngestResult]:
    """Write each document; `on_embedded(n)` is called as n more texts (paragraphs and their
    sentences) are embedded. `embedder` may be None when every document is current (see
    `needs_embedding`): loading the model costs seconds and gigabytes for nothing to do."""
    results = []
    for document in documents:
        if store.is_current(document):
            results.append(IngestResult(document, "unchanged"))
            if on_embedded:
                on_embedded(len(document.paragraphs) + len(sentence_records(document)))
            continue
        if embedder is None:
            raise ValueError(f"{document.doc_id} changed but no embedder was given")
        existed = document.doc_id in {info.doc_id for info in store.documents()}
        sentences = sentence_records(document)
        texts = [p.text for p in document.paragraphs] + [s.text for s in sentences]
        vectors = _embed_in_steps(embedder, texts, on_embedded)
        count = len(document.paragraphs)
        store.write(document, vectors[:count], sentences, vectors[count:])
        results.append(IngestResult(document, "replaced" if existed else "ingested"))
    return results


def needs_embedding(documents: list[Document], store: ParagraphStore) -> bool:
    """Whether any of these documents differs from its live version."""
    return not all(store.is_current(document) for document in documents)


def sentence_records(document: Document) -> list[SentenceRecord]:
    """The sentences of every paragraph that has more than one (a lone sentence is its paragraph)."""
    records = []
    for position, paragraph in enumerate(document.paragraphs):
        sentences = split_sentences(paragraph.text)
        if len(sentences) > 1:
            records.extend(SentenceRecord(position, sentence) for sentence in sentences)
    return records


def work_units(documents: list[Document]) -> int:
    """How many texts `ingest` embeds for these documents: the size of its progress bar."""
    return sum(len(d.paragraphs) + len(sentence_records(d)) for d in documents)


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
