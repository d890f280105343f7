"""The conversation as the browser keeps it: its shape, its checks, and what the answering
pipeline reads back from it.

The browser's copy (localStorage, through gr.BrowserState) may hold anything: an older version's
data, a hand-edited value, or nothing; every handler reads it through `valid_turns`.
"""

from __future__ import annotations

from typing import Any

from ..answering import MAX_HISTORY_TURNS
from .render import SNIPPET_CHARS, short

STORAGE_KEY = "paracite-conversation"
SCOPE_STORAGE_KEY = "paracite-searched-in"
MAX_STORED_TURNS = 50  # the oldest turns are dropped from the browser's copy beyond this


def stored_answer(answer) -> dict:
    """What the browser keeps of an answer: all of it, with retrieved texts cut to a snippet."""
    data = answer.as_json()
    for result in data["retrieved"]:
        result["text"] = short(result["text"], SNIPPET_CHARS)
    return data


def valid_turns(value: Any) -> list[dict]:
    """The turns of a stored conversation that have the expected shape (localStorage may hold
    anything: an older version's data, or nothing)."""
    if not isinstance(value, list):
        return []
    turns = []
    for turn in value:
        if (isinstance(turn, dict) and isinstance(turn.get("question"), str) and isinstance(turn.get("answer"), dict)
                and isinstance(turn["answer"].get("sentences", []), list)):
            turns.append(turn)
    return turns[-MAX_STORED_TURNS:]


def history_of(turns: list[dict]) -> list[dict]:
    history = []
    for turn in turns[-MAX_HISTORY_TURNS:]:
        history.append({"role": "user", "content": turn["question"]})
        history.append({"role": "assistant", "content": str(turn["answer"].get("answer", ""))})
    return history
