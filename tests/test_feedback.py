"""The feedback store and its export to eval-suite questions."""

from __future__ import annotations

import json

import pytest

from assistant import evaluation
from assistant.feedback import (
    FeedbackStore,
    export_questions,
    feedback_path,
    questions_from_feedback,
)
from assistant.settings import Settings
from vectorstore.errors import InputError

CITES = [
    {"doc": "npt-2024-chair-summary", "paragraph": 142, "quote": "紧急撤出"},
    {"doc": "npt-2024-chair-summary", "paragraph": 80, "quote": "军事活动"},
    {"doc": "npt-2024-chair-summary", "paragraph": 142, "quote": "交还乌克兰"},
]
HISTORY = [{"role": "user", "content": "2007年的工作文件对伊朗核计划表示了什么？"},
           {"role": "assistant", "content": "缔约国表示严重关切。[npt-2007-chair-working-paper ¶37]"}]


@pytest.fixture()
def feedback(tmp_path) -> FeedbackStore:
    return FeedbackStore(tmp_path / "data" / "feedback.sqlite")


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
    assert [q["id"] for q in evaluation._questions(out)] == ["fb-1", "fb-2"]


def test_export_of_nothing_is_an_empty_file(feedback, tmp_path):
    out = tmp_path / "empty.jsonl"
    assert export_questions(feedback, out) == 0
    assert out.read_text() == ""


def test_the_export_command(tmp_path):
    import os
    import subprocess
    import sys

    store = FeedbackStore(tmp_path / "data" / "feedback.sqlite")
    store.add("up", "扎波罗热核电厂", "扎波罗热核电厂", "……[npt-2024-chair-summary ¶142]", CITES, "extractive")
    store.add("down", "朝鲜呢？", "2007年的工作文件对朝鲜表示了什么？", "……", [], "extractive",
              history=HISTORY, comment="wrong paragraph")
    out = tmp_path / "suite" / "questions.jsonl"
    env = dict(os.environ, PARACITE_DATA_DIR=str(tmp_path / "data"))
    result = subprocess.run([sys.executable, "-m", "assistant", "feedback", "export", str(out)], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "2 questions written" in result.stdout
    up, down = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert up["gold"] == [{"doc": "npt-2024-chair-summary", "paragraph": 142},
                          {"doc": "npt-2024-chair-summary", "paragraph": 80}]
    assert down["gold"] == [] and down["kind"] == "followup" and down["comment"] == "wrong paragraph"
