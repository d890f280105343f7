"""One long-lived process's view of Paracite: the corpus, the answering pipelines, a small cache.

The chat UI and the HTTP API (`paracite serve`) share one `Workspace`: documents are ingested
and deleted here (one writer at a time, so two uploads cannot interleave their generation
flips), and answers come from pipelines that are built once per configuration and reused,
because building one loads models.

Answers are cached by question, history, documents, generator and the store's fingerprint, so an
ingest or a delete makes every cached answer stale at once. A widget greeting's suggested
questions are asked again and again; the cache makes them cost one retrieval each. With
PARACITE_REDIS_URL the cache is in Redis (`assistant.answer_cache`), shared by every replica;
the wait for a question already being answered stays within one process.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from vectorstore.errors import InputError
from vectorstore.paragraphs import language_of
from vectorstore.readers import MAX_FILE_BYTES, SUPPORTED_SUFFIXES
from vectorstore.store import DocumentInfo, StoredParagraph

from . import services
from .answering import (
    Assistant,
    Done,
    Event,
    Lead,
    Removed,
    RenderingReady,
    Retrieved,
    SentenceReady,
    Standalone,
    check_question,
)
from .answers import Answer
from .settings import Settings

IN_FLIGHT_WAIT_S = 60
MAX_UPLOAD_BYTES = MAX_FILE_BYTES  # an upload is a file like any other


@dataclass(frozen=True)
class Choice:
    """What a user may choose per conversation; everything else comes from the settings."""

    generator: str | None = None  # None: the configured one
    k: int | None = None
    judge: str | None = None
    llm_url: str | None = None
    llm_model: str | None = None


@dataclass(frozen=True)
class _Claim:
    owner: object  # the stream answering it
    done: threading.Event


@dataclass(frozen=True)
class Upload:
    """A document as a client sent it: the name it had and where its bytes are now."""

    name: str
    path: Path


# The demo corpus's example questions (corpus/), by the document each is answered from; each is
# answered with its fact first (checked by tests/test_ui.py and tests/test_widget.py).
DEMO_EXAMPLES = {
    "npt-2024-chair-summary": (
        "2024年缔约国对扎波罗热核电厂提出了什么要求？",
        "缔约国对福岛处理水排海有何看法？",
    ),
    "npt-2007-chair-working-paper": ("What did the 2007 working paper say about Iran?",),
}


class Workspace:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        self._write_lock = threading.Lock()
        self._build_lock = threading.Lock()
        self._assistants: dict[Choice, Assistant] = {}
        self._answers_lock = threading.Lock()  # guards the claims of questions being answered
        self._store = None
        self._in_flight: dict[tuple, _Claim] = {}
        self._computing = threading.BoundedSemaphore(self.settings.max_concurrent_answers or os.cpu_count() or 2)

    @functools.cached_property
    def _answers(self):
        # Built on first use: a Redis that cannot be reached is reported by the budgets, which
        # `paracite serve` checks first, with the same URL.
        return services.answer_cache(self.settings)

    # --- the corpus ------------------------------------------------------------------------------

    def documents(self) -> list[DocumentInfo]:
        return self.store().documents()

    def document(self, doc_id: str) -> DocumentInfo:
        return self.store().document(doc_id)

    def examples(self, language: str = "en") -> list[str]:
        """The questions offered to a new visitor (PARACITE_EXAMPLES, or the demo corpus's own),
        those in `language` first. Titles are not turned into questions: "what does <title>
        say?" asks for a summary, which quotes cannot give, and a first impression must answer."""
        configured = [q.strip() for q in self.settings.examples.split("|") if q.strip()]
        if configured:
            questions = configured
        elif {d.doc_id for d in self.documents()} >= set(DEMO_EXAMPLES):
            questions = [q for doc in DEMO_EXAMPLES for q in DEMO_EXAMPLES[doc]]
        else:
            return []
        return sorted(questions, key=lambda q: language_of(q) != language)

    def paragraph(self, doc_id: str, number: int, quote: str = "") -> StoredParagraph:
        return self.store().paragraph(doc_id, number, quote)

    def store(self):
        if self._store is None:  # one client per process: opening one costs a registry read
            self._store = services.store(self.settings)
        return self._store

    def ingest(self, uploads: list[Upload], on_progress: Callable[[int, int], None] | None = None):
        """Ingest uploaded files under their own names (the name is the document id). Every file
        is read and checked before anything is written. `on_progress(done, total)` as texts
        are embedded."""
        from vectorstore.ingest import read_all, work_units

        if not uploads:
            raise InputError("no files given")
        with tempfile.TemporaryDirectory(prefix="paracite-upload-") as tmp:
            paths = [self._place(upload, Path(tmp)) for upload in uploads]
            try:
                documents = read_all(paths)
            except InputError as exc:  # name the file as the client did, not where we put it
                raise InputError(str(exc).replace(f"{tmp}/", "")) from None
            total = work_units(documents)
            done = 0

            def advance(n: int) -> None:
                nonlocal done
                done += n
                if on_progress:
                    on_progress(done, total)

            with self._write_lock:
                results = services.ingest_documents(self.settings, documents, advance, self.store())
        return results

    def delete(self, doc_id: str) -> None:
        with self._write_lock:
            services.delete_document(self.settings, doc_id, self.store())

    @staticmethod
    def _place(upload: Upload, folder: Path) -> Path:
        name = Path(upload.name).name  # never a path from the client
        suffix = Path(name).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            raise InputError(
                f"{name}: unsupported file type {suffix or '(none)'}; use one of {', '.join(SUPPORTED_SUFFIXES)}"
            )
        if not re.sub(r"[\s.]", "", Path(name).stem):
            raise InputError(f"{name!r} is not a usable file name")
        size = upload.path.stat().st_size
        if size > MAX_UPLOAD_BYTES:
            raise InputError(f"{name}: {size} bytes; the limit is {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
        target = folder / name
        shutil.copyfile(upload.path, target)
        return target

    # --- answering -------------------------------------------------------------------------------

    def assistant(self, choice: Choice = Choice()) -> Assistant:
        with self._build_lock:
            if choice not in self._assistants:
                self._assistants[choice] = services.assistant(self._settings_for(choice), choice.generator)
            return self._assistants[choice]

    def _settings_for(self, choice: Choice) -> Settings:
        changes = {}
        if choice.k is not None:
            changes["top_k"] = choice.k
        if choice.judge is not None:
            changes["judge"] = choice.judge
        if choice.llm_url is not None:
            changes["llm_url"] = choice.llm_url or None
        if choice.llm_model is not None:
            changes["llm_model"] = choice.llm_model
        if not changes:
            return self.settings
        return self.settings.model_copy(update=changes)

    def warm_up(self) -> None:
        """Load the model and the lexical index now, so that the first question does not wait."""
        services.embedder(self.settings).embed_queries(["warm-up"])
        if self.documents():
            self.assistant().retriever.search("warm-up", k=1)

    def ask(self, question: str, history: list[dict] | None = None, doc_ids: list[str] | None = None,
            choice: Choice = Choice()) -> Answer:
        with closing(self.stream(question, history, doc_ids, choice)) as events:  # releases its claim now
            for event in events:
                if isinstance(event, Done):
                    return event.answer
        raise AssertionError("stream ended without an answer")

    def stream(self, question: str, history: list[dict] | None = None, doc_ids: list[str] | None = None,
               choice: Choice = Choice()) -> Iterator[Event]:
        """The assistant's events; a cached answer is replayed as the same events. A question
        `check_question` refuses raises here, at the call, before any event."""
        check_question(question, history)
        return self._events(question, history, doc_ids, choice)

    def _events(self, question: str, history: list[dict] | None, doc_ids: list[str] | None,
                choice: Choice) -> Iterator[Event]:
        key = self._cache_key(question, history, doc_ids, choice)
        me = object()  # a stream's steps may run on different threads: claims name the stream
        cached, in_flight = self._cached_or_claim(key, me)
        if in_flight is not None:
            # The same question is being answered for someone else right now (a widget's
            # suggested question, clicked on many pages at once): wait for that answer rather
            # than compute it again in parallel.
            in_flight.wait(IN_FLIGHT_WAIT_S)
            cached, in_flight = self._cached_or_claim(key, me)  # still in flight: answer it unclaimed
        if cached is not None:
            yield from replay(cached)
            return
        try:
            # Answers are CPU-bound here: a few at a time finish sooner, each and on average,
            # than all at once sharing the cores (measured: cold-cache p95 2.7 s -> 1.3 s).
            with self._computing:
                for event in self.assistant(choice).stream(question, history, doc_ids):
                    if isinstance(event, Done):
                        self._answers.put(key, event.answer)
                    yield event
        finally:
            with self._answers_lock:
                claim = self._in_flight.get(key)
                if claim is not None and claim.owner is me:
                    del self._in_flight[key]
                    claim.done.set()

    def _cached_or_claim(self, key: tuple, me: object) -> tuple[Answer | None, threading.Event | None]:
        """The cached answer; else the event to wait on when another stream is answering it;
        else (None, None) with the question claimed by `me`."""
        cached = self._answers.get(key)
        if cached is not None:
            return cached, None
        with self._answers_lock:
            claim = self._in_flight.get(key)
            if claim is not None and claim.owner is not me:
                return None, claim.done
            cached = self._answers.get(key)  # answered and released since the first look
            if cached is not None:
                return cached, None
            self._in_flight[key] = _Claim(me, threading.Event())
            return None, None

    def _cache_key(self, question, history, doc_ids, choice) -> tuple:
        turns = tuple((t["role"], t["content"]) for t in history or [])
        return (question.strip(), turns, tuple(sorted(doc_ids or [])), choice, self.store().fingerprint())


def replay(answer: Answer) -> Iterator[Event]:
    """The events that produced an answer, for clients that render the stream, not the end."""
    yield Standalone(answer.standalone_question)
    yield Retrieved(answer.retrieved)
    for removal in answer.removed:
        yield Removed(removal)
    if answer.sentences:
        yield Lead(answer.lead)
    for sentence in answer.sentences:
        yield SentenceReady(sentence)
    for index, sentence in enumerate(answer.sentences):
        if sentence.rendering is not None:
            yield RenderingReady(index, sentence.rendering)
    yield Done(answer)
