"""Thumbs up or down on an answer, kept so that it can grow the eval suite.

Each rating is stored with what is needed to ask the question again and to judge the answer:
the question and its history, the standalone question it became, the answer's text and every
citation (doc, paragraph, quote), the generator and the time. One SQLite file under the data
directory (`feedback.sqlite`); the chat UI writes to it, `paracite feedback export` reads it.

`questions_from_feedback` turns ratings into eval-suite questions (the `questions.jsonl` format
of `assistant.evaluation`): a thumbs-up makes the paragraphs the answer cited its gold (a thumbs-up
refusal makes it an unanswerable question); a thumbs-down has no gold and carries the comment,
for a person to label. A deliberate simplification: the answer's citations are taken as gold
as they stand, with no attempt to tell which of several cited paragraphs the user approved of.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from vectorstore.errors import InputError

from .answers import language_of
from .settings import Settings

RATINGS = ("up", "down")
MAX_COMMENT_CHARS = 2000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rating TEXT NOT NULL,
    question TEXT NOT NULL,
    standalone_question TEXT NOT NULL,
    history TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL,
    refused INTEGER NOT NULL,
    generator TEXT NOT NULL,
    comment TEXT NOT NULL,
    created_at TEXT NOT NULL
)
"""


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
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(_SCHEMA)

    @classmethod
    def for_settings(cls, settings: Settings) -> FeedbackStore:
        return cls(feedback_path(settings))

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """A connection that commits on success and is closed either way."""
        db = sqlite3.connect(self.path, timeout=10)
        try:
            with db:
                yield db
        finally:
            db.close()

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
        with self._lock, self._connect() as db:
            cursor = db.execute(
                "INSERT INTO feedback (rating, question, standalone_question, history, answer, citations, refused,"
                " generator, comment, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (rating, question, standalone_question, json.dumps(turns, ensure_ascii=False), answer,
                 json.dumps(cites, ensure_ascii=False), int(refused), generator, comment, created_at),
            )
            return int(cursor.lastrowid)

    def comment(self, feedback_id: int, comment: str) -> None:
        """Set the comment of a stored rating (a user may add one after clicking the thumb)."""
        with self._lock, self._connect() as db:
            cursor = db.execute("UPDATE feedback SET comment = ? WHERE id = ?", (_comment(comment), feedback_id))
            if cursor.rowcount == 0:
                raise InputError(f"no feedback with id {feedback_id}")

    def rate(self, feedback_id: int, rating: str) -> None:
        """Change a stored rating (a user who clicked the other thumb)."""
        if rating not in RATINGS:
            raise InputError(f"rating must be one of {', '.join(RATINGS)}, not {rating!r}")
        with self._lock, self._connect() as db:
            cursor = db.execute("UPDATE feedback SET rating = ? WHERE id = ?", (rating, feedback_id))
            if cursor.rowcount == 0:
                raise InputError(f"no feedback with id {feedback_id}")

    def all(self) -> list[Feedback]:
        """Every rating, oldest first."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, rating, question, standalone_question, history, answer, citations, refused, generator,"
                " comment, created_at FROM feedback ORDER BY id"
            ).fetchall()
        return [
            Feedback(id=row[0], rating=row[1], question=row[2], standalone_question=row[3],
                     history=json.loads(row[4]), answer=row[5], citations=json.loads(row[6]),
                     refused=bool(row[7]), generator=row[8], comment=row[9], created_at=row[10])
            for row in rows
        ]


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
