"""The feedback store and its export to eval-suite questions, on SQLite and on a real PostgreSQL.

The store's tests run on both databases; the PostgreSQL ones start Debian's server (`make test`
installs it) and are skipped without it. Replicas are stores with data directories of their own
on one shared database URL.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, make_url, text

from assistant import suites
from assistant.feedback import (
    FeedbackStore,
    export_questions,
    feedback_path,
    questions_from_feedback,
)
from assistant.settings import Settings
from vectorstore.errors import InputError

from .servers import postgres_bindir, postgres_server

CITES = [
    {"doc": "npt-2024-chair-summary", "paragraph": 142, "quote": "紧急撤出"},
    {"doc": "npt-2024-chair-summary", "paragraph": 80, "quote": "军事活动"},
    {"doc": "npt-2024-chair-summary", "paragraph": 142, "quote": "交还乌克兰"},
]
HISTORY = [{"role": "user", "content": "2007年的工作文件对伊朗核计划表示了什么？"},
           {"role": "assistant", "content": "缔约国表示严重关切。[npt-2007-chair-working-paper ¶37]"}]


needs_postgres = pytest.mark.skipif(postgres_bindir() is None,
                                    reason="needs Debian's postgresql (`make test` installs it)")
BACKENDS = ["sqlite", pytest.param("postgres", marks=[pytest.mark.slow, needs_postgres])]


@pytest.fixture(scope="module")
def postgres(tmp_path_factory) -> Iterator[str]:
    with postgres_server(tmp_path_factory.mktemp("postgres")) as url:
        yield url


@pytest.fixture()
def postgres_url(postgres) -> str:
    """A new, empty database of this test's own on the module's server."""
    name = f"feedback_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")  # CREATE DATABASE runs outside a transaction
    with admin.connect() as db:
        db.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return make_url(postgres).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> str:
    """A URL every replica of a test shares: a SQLite file outside their data directories, or PostgreSQL."""
    if request.param == "postgres":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'shared' / 'feedback.sqlite'}"


@pytest.fixture(params=BACKENDS)
def feedback(request, tmp_path) -> Iterator[FeedbackStore]:
    if request.param == "postgres":
        store = FeedbackStore.from_url(request.getfixturevalue("postgres_url"))
    else:
        store = FeedbackStore(tmp_path / "data" / "feedback.sqlite")
    yield store
    store.close()


def test_add_and_read_back(feedback):
    first = feedback.add("up", "扎波罗热核电厂？", "扎波罗热核电厂？", "答案。[npt-2024-chair-summary ¶142]", CITES,
                         "extractive", created_at="2025-01-02T03:04:05+00:00")
    second = feedback.add("down", "那朝鲜呢？", "2007年的工作文件对朝鲜核计划表示了什么？", "不对", [], "openai",
                          history=HISTORY, comment="  wrong paragraph  ")
    rows = feedback.all()
    assert [r.id for r in rows] == [first, second]
    assert rows[0].rating == "up" and rows[0].citations == CITES and rows[0].generator == "extractive"
    assert rows[0].created_at == "2025-01-02T03:04:05+00:00" and rows[0].history == [] and not rows[0].refused
    assert rows[1].history == HISTORY and rows[1].comment == "wrong paragraph"
    assert rows[1].standalone_question == "2007年的工作文件对朝鲜核计划表示了什么？"
    assert rows[1].created_at.endswith("+00:00")


def test_comment_and_rating_can_change_later(feedback):
    row_id = feedback.add("up", "q", "q", "a", CITES, "extractive")
    feedback.comment(row_id, "good")
    feedback.rate(row_id, "down")
    (row,) = feedback.all()
    assert (row.rating, row.comment) == ("down", "good")
    with pytest.raises(InputError):
        feedback.comment(row_id + 1, "nope")


def test_survives_reopening(tmp_path):
    path = tmp_path / "feedback.sqlite"
    FeedbackStore(path).add("up", "q", "q", "a", CITES, "extractive")
    assert len(FeedbackStore(path).all()) == 1


@pytest.mark.parametrize("args", [("meh", "q"), ("up", "  "), ("up", "q", "x" * 3000)])
def test_bad_feedback_is_an_input_error(feedback, args):
    rating, question, *comment = args
    with pytest.raises(InputError):
        feedback.add(rating, question, question, "a", [], "extractive", comment=comment[0] if comment else "")


def test_path_is_under_the_data_dir(tmp_path):
    assert feedback_path(Settings(data_dir=tmp_path)) == tmp_path / "feedback.sqlite"
    assert FeedbackStore.for_settings(Settings(data_dir=tmp_path)).path == tmp_path / "feedback.sqlite"


def test_questions_from_feedback(feedback):
    feedback.add("up", "扎波罗热核电厂？", "扎波罗热核电厂？", "a", CITES, "extractive")
    feedback.add("down", "那朝鲜呢？", "s", "wrong answer", CITES[:1], "extractive", history=HISTORY, comment="no")
    feedback.add("up", "How do you bake bread?", "How do you bake bread?", "The documents do not address this.",
                 [], "extractive", refused=True)
    feedback.add("up", "那朝鲜呢？", "s", "a", CITES[1:2], "extractive", history=HISTORY)
    up, down, refusal, followup = questions_from_feedback(feedback.all())
    assert up == {"id": "fb-1", "question": "扎波罗热核电厂？", "lang": "zh", "kind": "single",
                  "gold": [{"doc": "npt-2024-chair-summary", "paragraph": 142},
                           {"doc": "npt-2024-chair-summary", "paragraph": 80}]}
    assert down == {"id": "fb-2", "question": "那朝鲜呢？", "history": HISTORY, "lang": "zh", "kind": "followup",
                    "gold": [], "feedback": "down", "comment": "no", "answer": "wrong answer"}
    assert refusal["kind"] == "unanswerable" and refusal["gold"] == [] and refusal["lang"] == "en"
    assert followup["kind"] == "followup" and followup["gold"] == [{"doc": "npt-2024-chair-summary", "paragraph": 80}]


def test_export_writes_a_suite_the_evaluator_reads(feedback, tmp_path):
    feedback.add("up", "扎波罗热核电厂？", "扎波罗热核电厂？", "a", CITES, "extractive")
    feedback.add("down", "那朝鲜呢？", "s", "a", [], "extractive", history=HISTORY, comment="needs ¶38")
    out = tmp_path / "out" / "feedback.jsonl"
    assert export_questions(feedback, out) == 2
    lines = out.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["fb-1", "fb-2"]
    assert "needs ¶38" in lines[1]  # not \u-escaped: a person reads this file
    assert [q["id"] for q in suites._questions(out)] == ["fb-1", "fb-2"]


def test_export_of_nothing_is_an_empty_file(feedback, tmp_path):
    out = tmp_path / "empty.jsonl"
    assert export_questions(feedback, out) == 0
    assert out.read_text() == ""


def test_the_export_command(tmp_path):
    store = FeedbackStore(tmp_path / "data" / "feedback.sqlite")
    store.add("up", "扎波罗热核电厂", "扎波罗热核电厂", "……[npt-2024-chair-summary ¶142]", CITES, "extractive")
    store.add("down", "朝鲜呢？", "2007年的工作文件对朝鲜表示了什么？", "……", [], "extractive",
              history=HISTORY, comment="wrong paragraph")
    out = tmp_path / "suite" / "questions.jsonl"
    env = dict(os.environ, PARACITE_DATA_DIR=str(tmp_path / "data"))
    env.pop("PARACITE_FEEDBACK_URL", None)
    result = subprocess.run([sys.executable, "-m", "assistant", "feedback", "export", str(out)], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "2 questions written" in result.stdout
    up, down = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert up["gold"] == [{"doc": "npt-2024-chair-summary", "paragraph": 142},
                          {"doc": "npt-2024-chair-summary", "paragraph": 80}]
    assert down["gold"] == [] and down["kind"] == "followup" and down["comment"] == "wrong paragraph"


def test_a_file_written_before_the_database_url_still_opens(tmp_path):
    path = tmp_path / "feedback.sqlite"
    with sqlite3.connect(path) as db:  # the table as the SQLite-only store created it
        db.execute("CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, rating TEXT NOT NULL,"
                   " question TEXT NOT NULL, standalone_question TEXT NOT NULL, history TEXT NOT NULL,"
                   " answer TEXT NOT NULL, citations TEXT NOT NULL, refused INTEGER NOT NULL,"
                   " generator TEXT NOT NULL, comment TEXT NOT NULL, created_at TEXT NOT NULL)")
        db.execute("INSERT INTO feedback VALUES (7, 'up', 'q', 'q', '[]', 'a', ?, 1, 'extractive', '', "
                   "'2025-01-02T03:04:05+00:00')", (json.dumps(CITES, ensure_ascii=False),))
    db.close()
    store = FeedbackStore(path)
    (old,) = store.all()
    assert (old.id, old.citations, old.refused, old.created_at) == (7, CITES, True, "2025-01-02T03:04:05+00:00")
    assert store.add("down", "q2", "q2", "a", [], "extractive") == 8
    store.close()


def test_the_url_setting_names_the_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere' / 'ratings.db'}"
    (tmp_path / "elsewhere").mkdir()
    store = FeedbackStore.for_settings(Settings(data_dir=tmp_path / "data", feedback_url=url))
    store.add("up", "q", "q", "a", CITES, "extractive")
    assert store.path == tmp_path / "elsewhere" / "ratings.db" and store.path.exists()
    assert not feedback_path(Settings(data_dir=tmp_path / "data")).exists()
    store.close()


def test_two_replicas_on_one_url_share_the_feedback(database_url, tmp_path):
    one, two = (FeedbackStore.for_settings(Settings(data_dir=tmp_path / name, feedback_url=database_url))
                for name in ("replica-1", "replica-2"))
    row_id = one.add("up", "扎波罗热核电厂？", "扎波罗热核电厂？", "a", CITES, "extractive")
    two.comment(row_id, "引用正确")
    assert two.add("down", "那朝鲜呢？", "s", "a", [], "extractive", history=HISTORY) == row_id + 1
    out = tmp_path / "suite.jsonl"
    assert export_questions(two, out) == 2
    up, down = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert up["gold"] == [{"doc": "npt-2024-chair-summary", "paragraph": 142},
                          {"doc": "npt-2024-chair-summary", "paragraph": 80}]
    assert down["kind"] == "followup"
    assert [r.comment for r in one.all()] == ["引用正确", ""]
    assert not list(tmp_path.glob("replica-*/feedback.sqlite"))
    one.close()
    two.close()


def test_replicas_that_start_together_on_a_new_database_all_start(database_url):
    # Each sees no table and creates it; all but one lose that race, and must still start.
    start = threading.Barrier(6)
    stores, errors = [], []

    def replica() -> None:
        start.wait()
        try:
            stores.append(FeedbackStore.from_url(database_url))
        except Exception as exc:  # noqa: BLE001 (reported below, with the others)
            errors.append(exc)

    threads = [threading.Thread(target=replica) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stores[0].add("up", "q", "q", "a", CITES, "extractive")
    assert [len(store.all()) for store in stores] == [1] * 6
    for store in stores:
        store.close()


@pytest.mark.slow
@needs_postgres
def test_the_export_command_reads_what_another_process_wrote_to_postgres(postgres_url, tmp_path):
    writer = FeedbackStore.for_settings(Settings(data_dir=tmp_path / "server", feedback_url=postgres_url))
    writer.add("up", "扎波罗热核电厂", "扎波罗热核电厂", "……[npt-2024-chair-summary ¶142]", CITES, "extractive")
    writer.close()
    out = tmp_path / "suite" / "questions.jsonl"
    env = dict(os.environ, PARACITE_DATA_DIR=str(tmp_path / "exporter"), PARACITE_FEEDBACK_URL=postgres_url)
    result = subprocess.run([sys.executable, "-m", "assistant", "feedback", "export", str(out)], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "1 questions written" in result.stdout
    (question,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert question["question"] == "扎波罗热核电厂" and question["gold"][0]["paragraph"] == 142
    assert not (tmp_path / "exporter" / "feedback.sqlite").exists()


@pytest.mark.parametrize(("url", "exit_code", "message"), [
    ("nosuchdb://paracite:s3cret@127.0.0.1/feedback", 2,
     "error: PARACITE_FEEDBACK_URL names no database SQLAlchemy knows: nosuchdb://paracite:***@127.0.0.1/feedback; "
     "use sqlite:////absolute/path.sqlite or postgresql+psycopg://user:password@host:port/database"),
    ("paracite:s3cret@127.0.0.1/feedback", 2,
     "error: PARACITE_FEEDBACK_URL is not a database URL; use sqlite:////absolute/path.sqlite or "
     "postgresql+psycopg://user:password@host:port/database"),
    ("postgresql+psycopg://paracite:s3cret@127.0.0.1:9/feedback", 5,
     "error: cannot use the feedback database at postgresql+psycopg://paracite:***@127.0.0.1:9/feedback "
     "(PARACITE_FEEDBACK_URL): connection failed: connection to server at \"127.0.0.1\", port 9 failed: "
     "Connection refused Is the server running on that host and accepting TCP/IP connections?"),
    pytest.param("postgresql+pg8000://paracite:s3cret@127.0.0.1:9/feedback", 5,
                 "error: the database driver for postgresql+pg8000://paracite:***@127.0.0.1:9/feedback is not "
                 "installed (No module named 'pg8000'); for PostgreSQL, install psycopg (the `postgres` extra of "
                 "paracite) and use a postgresql+psycopg:// URL",
                 marks=pytest.mark.skipif(importlib.util.find_spec("pg8000") is not None,
                                          reason="pg8000 is installed")),
    ("postgresql+psycopg://paracite:s3c@ret@127.0.0.1:9/feedback", 2,
     "error: PARACITE_FEEDBACK_URL has an @ in its password or user name; write it as %40"),
])
def test_a_wrong_url_is_a_one_line_error_without_the_password(tmp_path, url, exit_code, message):
    env = dict(os.environ, PARACITE_DATA_DIR=str(tmp_path / "data"), PARACITE_FEEDBACK_URL=url)
    result = subprocess.run([sys.executable, "-m", "assistant", "feedback", "export", str(tmp_path / "out.jsonl")],
                            env=env, capture_output=True, text=True)
    assert result.returncode == exit_code
    assert result.stderr.strip().splitlines() == [message]
    assert "s3c" not in result.stderr + result.stdout and not (tmp_path / "out.jsonl").exists()
