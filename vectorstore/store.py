"""The store seam: paragraphs and their vectors in Chroma, embedded or on a server.

Three collections: one record per paragraph (vector, text, metadata), one per sentence of a
paragraph that has several (vector and the paragraph it belongs to: an answer often sits in one
clause of a long paragraph), and a registry with one record per document. The registry names the *generation* (the source hash) of each document that is live,
and every read is filtered to live generations. That makes ingest atomic without transactions:

1. the new generation's paragraphs and sentences are written (invisible: no registry record
   points at them);
2. the registry record is upserted (one write: the new generation becomes visible at once);
3. the old generation's paragraphs and sentences are deleted.

A crash or kill -9 at any point leaves either the old document or the new one visible, never a mix;
records left over from an interrupted run are swept at the next write. Record ids are stable:
document id, paragraph number and generation.

Chroma's default embedding function downloads a model at run time, so it is never used: every
vector comes from our embedder.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import NotFoundError, StoreError
from .quotes import spans
from .readers import Document, title_in

_BATCH = 1000  # well under Chroma's maximum batch size, which varies by backend


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    title: str
    paragraphs: int
    numbering: str
    source_hash: str
    ingested_at: str
    metadata: dict[str, Any]

    @property
    def generation(self) -> str:
        return self.source_hash[:16]

    def title_in(self, language: str) -> str:
        """The title a reader of `language` is shown (see `readers.title_in`)."""
        return title_in(self.title, self.metadata, language)

    def as_json(self) -> dict[str, Any]:
        return {
            "doc": self.doc_id,
            "title": self.title,
            "paragraphs": self.paragraphs,
            "numbering": self.numbering,
            "source_hash": self.source_hash,
            "ingested_at": self.ingested_at,
            # Chroma hands metadata back in no fixed order: sorted, the JSON is the same every run.
            **{k: v for k, v in sorted(self.metadata.items()) if k not in ("header",)},
        }


@dataclass(frozen=True)
class StoredParagraph:
    doc_id: str
    number: int
    title: str
    text: str
    titles: dict[str, str] = field(default_factory=dict, compare=False)  # per language, when given

    def title_in(self, language: str) -> str:
        return self.titles.get(language) or self.title


def _stored(meta: dict[str, Any], text: str) -> StoredParagraph:
    titles = {k[6:]: v for k, v in meta.items() if k.startswith("title_")}
    return StoredParagraph(meta["doc"], meta["paragraph"], meta["title"], text, titles)


@dataclass(frozen=True)
class SentenceRecord:
    """A sentence of a paragraph, by the paragraph's position in its document."""

    position: int
    text: str


@dataclass(frozen=True)
class DenseHit:
    record_id: str
    paragraph: StoredParagraph
    similarity: float  # cosine similarity, -1..1


def open_client(*, path: Path | str | None = None, url: str | None = None):
    """A Chroma client: a server when `url` is given, else an embedded store at `path`."""
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    try:
        if url:
            from urllib.parse import urlparse

            parsed = urlparse(url)
            client = chromadb.HttpClient(
                host=parsed.hostname or "localhost",
                port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                ssl=parsed.scheme == "https",
                settings=settings,
            )
            client.heartbeat()
            return client
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=settings)
    except StoreError:
        raise
    except Exception as exc:  # chromadb raises bare Exceptions for connection problems
        where = url or str(path)
        raise StoreError(f"cannot open the Chroma store at {where}: {exc}") from None


class _Guarded:
    """A Chroma collection whose errors arrive as StoreError, with what Chroma said."""

    def __init__(self, collection, where: str) -> None:
        self._collection = collection
        self._where = where

    @property
    def metadata(self):
        return self._collection.metadata

    def __getattr__(self, name: str):
        method = getattr(self._collection, name)

        def call(*args, **kwargs):
            from chromadb.errors import ChromaError

            try:
                return method(*args, **kwargs)
            except ChromaError as exc:
                raise StoreError(f"the Chroma store at {self._where} failed: {exc}") from None

        return call


class ParagraphStore:
    def __init__(self, client, *, embedding_model: str, prefix: str = "paracite") -> None:
        self._client = client
        self.embedding_model = embedding_model
        self._paragraphs = client.get_or_create_collection(
            f"{prefix}_paragraphs",
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedding_model": embedding_model},
            embedding_function=None,
        )
        stored_model = (self._paragraphs.metadata or {}).get("embedding_model")
        if stored_model and stored_model != embedding_model:
            raise StoreError(
                f"this store was built with the embedding model {stored_model!r}, not {embedding_model!r}; "
                "use that model, or point PARACITE_DATA_DIR (or the collection prefix) at a new store"
            )
        self._sentences = client.get_or_create_collection(
            f"{prefix}_sentences",
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedding_model": embedding_model},
            embedding_function=None,
        )
        self._registry = client.get_or_create_collection(
            f"{prefix}_documents", embedding_function=None
        )
        where = getattr(client, "_identifier", "") or "the configured location"
        self._paragraphs = _Guarded(self._paragraphs, where)
        self._sentences = _Guarded(self._sentences, where)
        self._registry = _Guarded(self._registry, where)

    # --- reading -----------------------------------------------------------------------------

    def documents(self) -> list[DocumentInfo]:
        got = self._registry.get(include=["metadatas"])
        infos = [_info(doc_id, meta) for doc_id, meta in zip(got["ids"], got["metadatas"])]
        return sorted(infos, key=lambda info: info.doc_id)

    def document(self, doc_id: str) -> DocumentInfo:
        got = self._registry.get(ids=[doc_id], include=["metadatas"])
        if not got["ids"]:
            known = ", ".join(info.doc_id for info in self.documents()) or "none"
            raise NotFoundError(f"no document {doc_id!r} in the store (documents: {known})")
        return _info(doc_id, got["metadatas"][0])

    def paragraphs(self, doc_id: str) -> list[StoredParagraph]:
        info = self.document(doc_id)
        got = self._paragraphs.get(
            where={"$and": [{"doc": doc_id}, {"generation": info.generation}]},
            include=["metadatas", "documents"],
        )
        rows = sorted(zip(got["metadatas"], got["documents"]), key=lambda row: row[0]["position"])
        return [_stored(m, text) for m, text in rows]

    def paragraph(self, doc_id: str, number: int, quote: str = "") -> StoredParagraph:
        """The paragraph printed with this number. Where the numbering repeats (ingested with a
        warning), several are; `quote`, a citation's, picks the one it was taken from."""
        found = [p for p in self.paragraphs(doc_id) if p.number == number]
        if not found:
            raise NotFoundError(f"{doc_id} has no paragraph {number}")
        return next((p for p in found if spans(quote, p.text)), found[0])

    def _live(self, doc_ids: list[str] | None, infos: list[DocumentInfo] | None) -> set[tuple[str, str]]:
        """The live (document, generation) pairs; a pair, since identical files share a generation."""
        infos = self.documents() if infos is None else infos
        if doc_ids:
            known = {info.doc_id for info in infos}
            missing = [d for d in doc_ids if d not in known]
            if missing:
                raise NotFoundError(f"no document {missing[0]!r} in the store")
            infos = [info for info in infos if info.doc_id in doc_ids]
        return {(info.doc_id, info.generation) for info in infos}

    def _nearest(self, collection, query_vector: np.ndarray, k: int, doc_ids: list[str] | None,
                 include: list[str], infos: list[DocumentInfo] | None = None):
        """The k nearest live records as (id, metadata, document, similarity) rows.

        Filtering on generation inside Chroma makes a query some 25x slower (130 ms against 5 ms
        on 20,000 paragraphs), and records that are not live exist only during a write or after
        a crash. So the query runs unfiltered (or on documents only), live records are kept here,
        and only when that leaves too few does the filtered query run.
        """
        live = self._live(doc_ids, infos)
        if not live:
            return []
        vector = [np.asarray(query_vector, dtype=np.float32)]
        include = list(dict.fromkeys([*include, "metadatas", "distances"]))
        asked = k + 20
        where = {"doc": {"$in": list(doc_ids)}} if doc_ids else None
        result = collection.query(query_embeddings=vector, n_results=asked, where=where, include=include)
        rows = self._rows(result, live)
        if len(rows) < k and len(result["ids"][0]) == asked:
            where = {"generation": {"$in": sorted({generation for _, generation in live})}}
            if doc_ids:
                where = {"$and": [where, {"doc": {"$in": list(doc_ids)}}]}
            rows = self._rows(collection.query(query_embeddings=vector, n_results=k, where=where, include=include), live)
        return rows[:k]

    @staticmethod
    def _rows(result, live: set[tuple[str, str]]):
        documents = (result.get("documents") or [None])[0] or [None] * len(result["ids"][0])
        return [
            (record_id, meta, text, 1.0 - float(distance))
            for record_id, meta, text, distance in zip(
                result["ids"][0], result["metadatas"][0], documents, result["distances"][0]
            )
            if (meta["doc"], meta["generation"]) in live
        ]

    def dense_search(
        self, query_vector: np.ndarray, k: int, doc_ids: list[str] | None = None,
        infos: list[DocumentInfo] | None = None,
    ) -> list[DenseHit]:
        """The k nearest live paragraphs. `infos`: the documents, when the caller has just read them."""
        return [
            DenseHit(record_id, _stored(m, text), similarity)
            for record_id, m, text, similarity in self._nearest(
                self._paragraphs, query_vector, k, doc_ids, ["documents"], infos
            )
        ]

    def dense_sentence_search(
        self, query_vector: np.ndarray, k: int, doc_ids: list[str] | None = None,
        infos: list[DocumentInfo] | None = None,
    ) -> dict[str, float]:
        """The best sentence similarity per paragraph record id, over the k nearest sentences."""
        best: dict[str, float] = {}
        for _, meta, _, similarity in self._nearest(self._sentences, query_vector, k, doc_ids, [], infos):
            record_id = meta["paragraph_record"]
            best[record_id] = max(best.get(record_id, -1.0), similarity)
        return best

    def all_paragraphs(self) -> tuple[list[StoredParagraph], list[str], str]:
        """Every live paragraph in document order, their record ids, and the store's fingerprint."""
        infos = self.documents()
        fingerprint = documents_fingerprint(infos)
        if not infos:
            return [], [], fingerprint
        got = self._paragraphs.get(
            where={"generation": {"$in": [info.generation for info in infos]}},
            include=["metadatas", "documents"],
        )
        live = {(info.doc_id, info.generation) for info in infos}
        rows = sorted(
            (row for row in zip(got["ids"], got["metadatas"], got["documents"])
             if (row[1]["doc"], row[1]["generation"]) in live),
            key=lambda row: (row[1]["doc"], row[1]["position"]),
        )
        paragraphs = [_stored(m, text) for _, m, text in rows]
        return paragraphs, [record_id for record_id, _, _ in rows], fingerprint

    def embeddings(self, record_ids: list[str]) -> dict[str, np.ndarray]:
        if not record_ids:
            return {}
        got = self._paragraphs.get(ids=record_ids, include=["embeddings"])
        return {record_id: np.asarray(e, dtype=np.float32) for record_id, e in zip(got["ids"], got["embeddings"])}

    def count(self) -> int:
        return sum(info.paragraphs for info in self.documents())

    # --- writing -----------------------------------------------------------------------------

    def is_current(self, document: Document) -> bool:
        try:
            return self.document(document.doc_id).source_hash == document.source_hash
        except NotFoundError:
            return False

    def write(
        self,
        document: Document,
        vectors: np.ndarray,
        sentences: list[SentenceRecord] = (),
        sentence_vectors: np.ndarray | None = None,
    ) -> DocumentInfo:
        """Make `document` the live version of its id.

        `vectors` holds one unit vector per paragraph; `sentence_vectors` one per sentence record.
        """
        if len(vectors) != len(document.paragraphs):
            raise StoreError("internal: one vector per paragraph is required")
        generation = document.source_hash[:16]
        self._sweep(document.doc_id)
        self.write_generation(document, vectors, sentences, sentence_vectors)
        info = DocumentInfo(
            doc_id=document.doc_id,
            title=document.title,
            paragraphs=len(document.paragraphs),
            numbering=document.numbering,
            source_hash=document.source_hash,
            ingested_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            metadata=dict(document.metadata),
        )
        self._registry.upsert(
            ids=[document.doc_id],
            embeddings=[[1.0]],
            metadatas=[_registry_metadata(info)],
        )
        stale = {"$and": [{"doc": document.doc_id}, {"generation": {"$ne": generation}}]}
        self._paragraphs.delete(where=stale)
        self._sentences.delete(where=stale)
        return info

    def write_generation(
        self,
        document: Document,
        vectors: np.ndarray,
        sentences: list[SentenceRecord] = (),
        sentence_vectors: np.ndarray | None = None,
    ) -> None:
        """Step 1 of a write alone: paragraphs and sentences, not yet visible. Public for crash tests."""
        generation = document.source_hash[:16]
        records = [
            (
                f"{document.doc_id}#{p.number}@{generation}",
                p.text,
                {
                    "doc": document.doc_id,
                    "paragraph": p.number,
                    "position": position,
                    "title": document.title,
                    **{k: v for k, v in document.metadata.items() if k.startswith("title_")},
                    "numbering": document.numbering,
                    "source_hash": document.source_hash,
                    "generation": generation,
                },
            )
            for position, p in enumerate(document.paragraphs)
        ]
        # Paragraph numbers can repeat in a document that numbers badly; ids must not.
        seen: dict[str, int] = {}
        for i, (record_id, text, meta) in enumerate(records):
            seen[record_id] = seen.get(record_id, 0) + 1
            if seen[record_id] > 1:
                records[i] = (f"{record_id}.{seen[record_id]}", text, meta)
        self._upsert(self._paragraphs, records, vectors)
        sentence_records = [
            (
                f"{records[s.position][0]}/s{j}",
                s.text,
                {"doc": document.doc_id, "generation": generation, "paragraph_record": records[s.position][0]},
            )
            for j, s in enumerate(sentences)
        ]
        if sentence_records:
            self._upsert(self._sentences, sentence_records, sentence_vectors)

    @staticmethod
    def _upsert(collection, records, vectors) -> None:
        for start in range(0, len(records), _BATCH):
            batch = records[start : start + _BATCH]
            collection.upsert(
                ids=[r[0] for r in batch],
                documents=[r[1] for r in batch],
                metadatas=[r[2] for r in batch],
                embeddings=np.asarray(vectors[start : start + _BATCH], dtype=np.float32),
            )

    def delete(self, doc_id: str) -> None:
        self.document(doc_id)  # raises NotFoundError
        self._registry.delete(ids=[doc_id])  # invisible from here on
        self._paragraphs.delete(where={"doc": doc_id})
        self._sentences.delete(where={"doc": doc_id})

    def _sweep(self, doc_id: str) -> None:
        """Remove what an interrupted write of this document left: records of a generation that
        its registry record does not point at. Only this document's, so that a concurrent writer
        of another document keeps its records until it registers them."""
        try:
            live = self.document(doc_id).generation
        except NotFoundError:
            live = "(none)"
        leftovers = {"$and": [{"doc": doc_id}, {"generation": {"$ne": live}}]}
        self._paragraphs.delete(where=leftovers)
        self._sentences.delete(where=leftovers)

    def fingerprint(self) -> str:
        """Changes whenever the live set of documents changes; keys caches built from the store."""
        return documents_fingerprint(self.documents())


def documents_fingerprint(infos: list[DocumentInfo]) -> str:
    return "|".join(f"{i.doc_id}@{i.generation}" for i in infos)


def _registry_metadata(info: DocumentInfo) -> dict[str, Any]:
    meta = {
        "title": info.title,
        "paragraphs": info.paragraphs,
        "numbering": info.numbering,
        "source_hash": info.source_hash,
        "ingested_at": info.ingested_at,
    }
    meta.update({f"meta_{k}": v for k, v in info.metadata.items() if v not in (None, "")})
    return meta


def _info(doc_id: str, meta: dict[str, Any]) -> DocumentInfo:
    return DocumentInfo(
        doc_id=doc_id,
        title=meta["title"],
        paragraphs=int(meta["paragraphs"]),
        numbering=meta["numbering"],
        source_hash=meta["source_hash"],
        ingested_at=meta["ingested_at"],
        metadata={k[5:]: v for k, v in meta.items() if k.startswith("meta_")},
    )
