"""Thumbs up or down on an answer, kept so that it can grow the eval suite.

Each rating is stored with what is needed to ask the question again and to judge the answer:
the question and its history, the standalone question it became, the answer's text and every
citation (doc, paragraph, quote), the generator and the time. The chat UI writes them and
`paracite feedback export` reads them, from one table in a database named by a SQLAlchemy URL
(PARACITE_FEEDBACK_URL): by default one SQLite file under the data directory (`feedback.sqlite`);
replicas behind a proxy share one PostgreSQL database (`postgresql+psycopg://...`). SQLite and
PostgreSQL go through the same SQLAlchemy Core statements.

`questions_from_feedback` turns ratings into eval-suite questions (the `questions.jsonl` format
of `assistant.evaluation`): a thumbs-up makes the paragraphs the answer cited its gold (a thumbs-up
refusal makes it an unanswerable question); a thumbs-down has no gold and carries the comment,
for a person to label. A deliberate simplification: the answer's citations are taken as gold
as they stand, with no attempt to tell which of several cited paragraphs the user approved of.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Engine,
    Integer,
    MetaData,
    Table,
    Text,
    create_engine,
    insert,
    select,
    update,
)
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError

from vectorstore.errors import InputError, StoreError

from .answers import language_of
from .settings import Settings

RATINGS = ("up", "down")
MAX_COMMENT_CHARS = 2000
URL_FORMS = "sqlite:////absolute/path.sqlite or postgresql+psycopg://user:password@host:port/database"

_metadata = MetaData()
# The table the SQLite-only store created (`INTEGER PRIMARY KEY AUTOINCREMENT`, so ids are never
# reused), column for column: its files open as they are. Citations and history are JSON text.
_feedback = Table(
    "feedback", _metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("rating", Text, nullable=False),
    Column("question", Text, nullable=False),
    Column("standalone_question", Text, nullable=False),
    Column("history", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("citations", Text, nullable=False),
    Column("refused", Boolean, nullable=False),  # SQLite keeps it as the 0 or 1 the old files hold
    Column("generator", Text, nullable=False),
    Column("comment", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    sqlite_autoincrement=True,
)


@dataclass(frozen=True)
class Feedback:
    id: int
    rating: str  # "up" or "down"
    question: str
    standalone_question: str
    answer: str  # the answer's text, markers included
    citations: list[dict]  # {"doc", "paragraph", "quote"}, in the answer's order
    generator: str
    created_at: str  # ISO 8601, UTC
    history: list[dict] = field(default_factory=list)  # the turns before the question
    refused: bool = False
    comment: str = ""


def feedback_path(settings: Settings) -> Path:
    return settings.data_dir / "feedback.sqlite"


class FeedbackStore:
    def __init__(self, path: Path | str | None = None, *, url: str | None = None) -> None:
        """The store in the SQLite file at `path`, or in the database at `url`, a SQLAlchemy URL
        (see URL_FORMS). The database is reached and the table created now, so that a wrong URL
        stops the server at start, not at the first thumb."""
        if (path is None) == (url is None):
            raise TypeError("FeedbackStore takes a path or a url")
        self.url = URL.create("sqlite", database=str(path)) if path is not None else _parse(url)
        #: the SQLite file, when the database is one
        self.path = (Path(self.url.database) if self.url.get_backend_name() == "sqlite"
                     and self.url.database not in (None, "", ":memory:") else None)
        self._where = self.url.render_as_string(hide_password=True)
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"cannot create {self.path.parent} for the feedback database: "
                                 f"{exc.strerror}") from None
        self._engine = _engine(self.url, self._where)
        try:
            _create_table(self._engine)
        except DBAPIError as exc:
            self._engine.dispose()
            setting = " (PARACITE_FEEDBACK_URL)" if url is not None else ""
            raise StoreError(f"cannot use the feedback database at {self._where}{setting}: "
                             f"{_reason(exc, self.url)}") from None

    @classmethod
    def from_url(cls, url: str) -> FeedbackStore:
        return cls(url=url)

    @classmethod
    def for_settings(cls, settings: Settings) -> FeedbackStore:
        if settings.feedback_url:
            return cls.from_url(settings.feedback_url)
        return cls(feedback_path(settings))

    def close(self) -> None:
        """Close the pooled connections (a store that lives as long as its process needs not)."""
        self._engine.dispose()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Connection]:
        """A connection in a transaction that commits on success; a database gone since the start
        is a StoreError, not a traceback."""
        try:
            with self._engine.begin() as db:
                yield db
        except OperationalError as exc:
            raise StoreError(f"the feedback database at {self._where} failed: {_reason(exc, self.url)}") from None

    def add(self, rating: str, question: str, standalone_question: str, answer: str, citations: list[dict],
            generator: str, *, history: list[dict] | None = None, refused: bool = False, comment: str = "",
            created_at: str | None = None) -> int:
        """Store one rating; returns its id."""
        if rating not in RATINGS:
            raise InputError(f"rating must be one of {', '.join(RATINGS)}, not {rating!r}")
        if not isinstance(question, str) or not question.strip():
            raise InputError("feedback needs the question it rates")
        comment = _comment(comment)
        cites = [{"doc": str(c["doc"]), "paragraph": int(c["paragraph"]), "quote": str(c.get("quote", ""))}
                 for c in citations]
        turns = [{"role": t["role"], "content": t["content"]} for t in history or []]
        created_at = created_at or datetime.now(UTC).isoformat(timespec="seconds")
        with self._transaction() as db:
            result = db.execute(insert(_feedback).values(
                rating=rating, question=question, standalone_question=standalone_question,
                history=json.dumps(turns, ensure_ascii=False), answer=answer,
                citations=json.dumps(cites, ensure_ascii=False), refused=bool(refused), generator=generator,
                comment=comment, created_at=created_at,
            ))
            return int(result.inserted_primary_key[0])

    def comment(self, feedback_id: int, comment: str) -> None:
        """Set the comment of a stored rating (a user may add one after clicking the thumb)."""
        self._update(feedback_id, comment=_comment(comment))

    def rate(self, feedback_id: int, rating: str) -> None:
        """Change a stored rating (a user who clicked the other thumb)."""
        if rating not in RATINGS:
            raise InputError(f"rating must be one of {', '.join(RATINGS)}, not {rating!r}")
        self._update(feedback_id, rating=rating)

    def _update(self, feedback_id: int, **values: str) -> None:
        with self._transaction() as db:
            result = db.execute(update(_feedback).where(_feedback.c.id == feedback_id).values(**values))
            if result.rowcount == 0:
                raise InputError(f"no feedback with id {feedback_id}")

    def all(self) -> list[Feedback]:
        """Every rating, oldest first."""
        with self._transaction() as db:
            rows = db.execute(select(_feedback).order_by(_feedback.c.id)).all()
        return [
            Feedback(id=row.id, rating=row.rating, question=row.question, standalone_question=row.standalone_question,
                     history=json.loads(row.history), answer=row.answer, citations=json.loads(row.citations),
                     refused=bool(row.refused), generator=row.generator, comment=row.comment,
                     created_at=row.created_at)
            for row in rows
        ]


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError):  # ValueError: a port that is not a number
        # The text is not repeated: it may hold a password.
        raise InputError(f"PARACITE_FEEDBACK_URL is not a database URL; use {URL_FORMS}") from None
    if parsed.host and "@" in parsed.host:  # the password's own @ split it: its tail would show as the host
        raise InputError("PARACITE_FEEDBACK_URL has an @ in its password or user name; write it as %40")
    return parsed


def _engine(url: URL, where: str) -> Engine:
    try:
        # pool_pre_ping: a replica outlives restarts of its PostgreSQL; a stale pooled connection
        # is replaced instead of failing the next thumb.
        return create_engine(url, pool_pre_ping=True)
    except ArgumentError:  # NoSuchModuleError among them: no dialect of that name
        raise InputError(f"PARACITE_FEEDBACK_URL names no database SQLAlchemy knows: {where}; "
                         f"use {URL_FORMS}") from None
    except ImportError as exc:
        # No [brackets] in the message: the CLI prints it as Rich markup, which would swallow them.
        raise StoreError(f"the database driver for {where} is not installed ({exc}); for PostgreSQL, install "
                         "psycopg (the `postgres` extra of paracite) and use a postgresql+psycopg:// URL") from None


def _create_table(engine: Engine) -> None:
    with engine.connect():  # a database that cannot be reached fails here, and is not tried twice
        pass
    try:
        _metadata.create_all(engine)
    except DBAPIError:
        # Replicas started together on a new database: each saw no table, and all but one lost
        # the race to create it (PostgreSQL: a unique violation; SQLite: "already exists").
        # It exists now; checking again finds it.
        _metadata.create_all(engine)


def _reason(exc: DBAPIError, url: URL) -> str:
    """The driver's own message on one line (SQLAlchemy's adds the statement and a link), without the password."""
    reason = " ".join(str(exc.orig).split())
    return reason.replace(url.password, "***") if url.password else reason


def _comment(comment: str | None) -> str:
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT_CHARS:
        raise InputError(f"the comment is {len(comment)} characters long; the limit is {MAX_COMMENT_CHARS}")
    return comment


def questions_from_feedback(rows: list[Feedback]) -> list[dict]:
    """Eval-suite questions from ratings, one per rating, in the order given."""
    questions = []
    for row in rows:
        item: dict = {"id": f"fb-{row.id}", "question": row.question}
        if row.history:
            item["history"] = row.history
        item["lang"] = language_of(row.question)
        if row.history:
            item["kind"] = "followup"
        elif row.rating == "up" and row.refused:
            item["kind"] = "unanswerable"
        else:
            item["kind"] = "single"
        if row.rating == "up":
            item["gold"] = _unique_paragraphs(row.citations)
        else:
            item["gold"] = []
            item["feedback"] = "down"
            item["comment"] = row.comment
            item["answer"] = row.answer  # what the user disagreed with, for whoever labels it
        questions.append(item)
    return questions


def _unique_paragraphs(citations: list[dict]) -> list[dict]:
    seen: set[tuple[str, int]] = set()
    gold = []
    for citation in citations:
        key = (citation["doc"], int(citation["paragraph"]))
        if key not in seen:
            seen.add(key)
            gold.append({"doc": key[0], "paragraph": key[1]})
    return gold


def export_questions(store: FeedbackStore, path: Path) -> int:
    """Write every rating as an eval-suite question, one JSON object per line; returns how many."""
    questions = questions_from_feedback(store.all())
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        out.writelines(json.dumps(question, ensure_ascii=False) + "\n" for question in questions)
    return len(questions)
