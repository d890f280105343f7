"""Answers kept for the next asker of the same question: in this process, or in Redis for every replica.

A key names everything an answer depends on (question, history, documents, the user's choices
and the store's fingerprint), so an ingest or a delete makes every cached answer stale at once
without a purge: stale entries are never asked for again and age out.

In Redis an answer is stored as its JSON contract (`Answer.as_json`) and read back with
`answer_from_json`, never pickled: a value in a shared server is data, not code. The JSON rounds
scores to six digits, which the replayed answer then shows, as any client of the API sees them.
A Redis that stops answering mid-way costs the cache, not the answer: a failed read is a miss
and a failed write is dropped, with one log line per outage.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from typing import Protocol

from vectorstore.search import SearchResult

from .answerability import Verdict
from .answers import Answer, AnswerSentence, Citation, Removal
from .translation import Rendering

log = logging.getLogger(__name__)

MEMORY_ANSWERS = 512
# Long enough for a widget's suggested questions to stay warm through a quiet night; a stale
# corpus version's answers are never read again, so this only bounds what they occupy.
REDIS_TTL_S = 7 * 24 * 3600
# The contract's version is in the key: an answer stored before citations carried their spans
# and sentences their `before` is not replayed to clients that lay out from them.
REDIS_PREFIX = "paracite:answer:v2:"


class AnswerCache(Protocol):
    def get(self, key: tuple) -> Answer | None: ...

    def put(self, key: tuple, answer: Answer) -> None: ...


class MemoryAnswerCache:
    """The most recently used answers of this process."""

    def __init__(self, size: int = MEMORY_ANSWERS) -> None:
        self._answers: OrderedDict[tuple, Answer] = OrderedDict()
        self._lock = threading.Lock()
        self.size = size

    def get(self, key: tuple) -> Answer | None:
        with self._lock:
            answer = self._answers.get(key)
            if answer is not None:
                self._answers.move_to_end(key)
            return answer

    def put(self, key: tuple, answer: Answer) -> None:
        with self._lock:
            self._answers[key] = answer
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)


class NoAnswerCache:
    """Every question answered afresh (PARACITE_ANSWER_CACHE=off: benchmarks of cold answers)."""

    def get(self, key: tuple) -> Answer | None:
        return None

    def put(self, key: tuple, answer: Answer) -> None:
        return None


class RedisAnswerCache:
    """Answers shared by every replica that uses the same Redis database."""

    def __init__(self, client, ttl_s: int = REDIS_TTL_S) -> None:
        self._redis = client
        self.ttl_s = ttl_s
        self._down = False  # logged once per outage, not once per question

    @staticmethod
    def redis_key(key: tuple) -> str:
        return REDIS_PREFIX + hashlib.sha256(repr(key).encode("utf-8")).hexdigest()

    def get(self, key: tuple) -> Answer | None:
        try:
            raw = self._redis.get(self.redis_key(key))
        except Exception as exc:  # noqa: BLE001 (the driver's connection errors vary)
            self._failed(exc)
            return None
        self._down = False
        if raw is None:
            return None
        try:
            return answer_from_json(json.loads(raw))
        except (ValueError, KeyError, TypeError) as exc:  # written by another version: a miss
            log.warning("a cached answer could not be read (%s); answering afresh", exc)
            return None

    def put(self, key: tuple, answer: Answer) -> None:
        try:
            self._redis.set(self.redis_key(key), json.dumps(answer.as_json(), ensure_ascii=False), ex=self.ttl_s)
        except Exception as exc:  # noqa: BLE001
            self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        if not self._down:
            log.warning("the answer cache in Redis is unavailable (%s); answering without it", exc)
        self._down = True


def answer_from_json(data: dict) -> Answer:
    """The answer `Answer.as_json` describes, as the assistant made it."""
    sentences = [
        AnswerSentence(
            text=s["text"],
            citations=[Citation(c["doc"], int(c["paragraph"]), c["quote"], tuple(tuple(span) for span in c.get("spans", ())))
                       for c in s["citations"]],
            flagged=s.get("flagged"),
            rendering=_rendering(s["rendering"]) if "rendering" in s else None,
        )
        for s in data["sentences"]
    ]
    verdict = data.get("answerability")
    return Answer(
        question=data["question"],
        standalone_question=data["standalone_question"],
        sentences=sentences,
        refused=bool(data["refused"]),
        lead=data.get("lead", ""),
        removed=[Removal(r["what"], r["text"], r["reason"]) for r in data["removed"]],
        retrieved=[SearchResult(**r) for r in data["retrieved"]],
        generator=data["generator"],
        fallback=data.get("fallback"),
        related=data.get("status") == "related",
        verdict=Verdict(**verdict) if verdict is not None else None,
        translation=data.get("translation"),
    )


def _rendering(data: dict) -> Rendering:
    return Rendering(language=data["language"], translator=data["translator"], text=data.get("text"),
                     rejected=data.get("rejected"), draft=data.get("draft"))
