"""The HTTP API: answers (whole, streamed over SSE, and OpenAI-compatible), the corpus, admin.

Every error a client can cause is a 4xx with one JSON body shape,
`{"error": {"code": ..., "message": ...}}` (OpenAI clients also find `type` there). The
answering endpoints take the same question, history and documents as `paracite ask`, and
return, or stream, the same answer JSON, so a streamed answer's citations are exactly the
non-streamed ones.

The stream sends an answer's text as it becomes final: a sentence is sent once the verifier
has passed it, never a token the verifier might still take back. Its `token` events are those
pieces of text; together they are the answer's `answer` field.
"""


import asyncio
import json
import logging
import secrets
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import quote
from typing import Annotated, Any, Literal

import anyio
import anyio.to_thread
from fastapi import APIRouter, Depends, File, Header, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse
from starlette.concurrency import run_in_threadpool

from vectorstore.errors import InputError, NotFoundError, ParaciteError

from .answering import Done, Lead, Removed, RenderingReady, Retrieved, SentenceReady, Standalone
from .answers import Answer, AnswerSentence, compose_text, separator
from .workspace import Choice, Upload, Workspace

MODEL_NAME = "paracite"
log = logging.getLogger(__name__)


class ApiError(Exception):
    """An HTTP-level refusal (auth, origin, budget, size) with its status and code."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "type": code, "message": message}}


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


def domain_error_response(exc: ParaciteError) -> JSONResponse:
    status, code = {
        InputError: (400, "invalid_input"),
        NotFoundError: (404, "not_found"),
    }.get(type(exc), (503, "unavailable"))
    return error_response(status, code, str(exc))


class Turn(BaseModel):
    role: Literal["user", "assistant"]
    content: str


class AskRequest(BaseModel):
    question: str
    history: list[Turn] = Field(default_factory=list)
    docs: list[str] | None = Field(default=None, description="Only these document ids.")
    k: int | None = Field(default=None, ge=1, le=20, description="Paragraphs retrieved.")


class ChatMessage(BaseModel):
    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatCompletionRequest(BaseModel):
    model: str = MODEL_NAME
    messages: list[ChatMessage]
    stream: bool = False


def citations_json(answer: Answer) -> list[dict]:
    """Each cited paragraph once, in order of use, with its title and the quotes cited from it."""
    titles = {r.doc: r.title for r in answer.retrieved}
    quotes: dict[tuple[str, int], list[str]] = {}
    for sentence in answer.sentences:
        for c in sentence.citations:
            quotes.setdefault(c.key, [])
            if c.quote not in quotes[c.key]:
                quotes[c.key].append(c.quote)
    return [
        {"doc": doc, "paragraph": n, "title": titles.get(doc, doc), "quotes": quotes[(doc, n)],
         "url": paragraph_url(doc, n)}
        for doc, n in answer.citations
    ]


def paragraph_url(doc: str, number: int) -> str:
    return f"/api/paragraphs/{quote(doc, safe='')}/{number}"


def answer_json(answer: Answer) -> dict:
    data = answer.as_json()
    data["citations"] = citations_json(answer)
    return data


class TextSoFar:
    """The answer's text as its pieces arrive: each call returns the new piece to send. The text
    is `answers.compose_text` of what has arrived, which is a prefix of the final answer's."""

    def __init__(self) -> None:
        self._lead = ""
        self._sentences: list[tuple[str, list[tuple[str, int]]]] = []
        self._renderings: dict[int, tuple[str | None, list[tuple[str, int]], str]] = {}
        self.sent = ""

    def lead(self, text: str) -> str:
        self._lead = text
        return self._advance(self._composed())

    def sentence(self, sentence: AnswerSentence) -> str:
        # A replayed answer's sentences carry their renderings already; in the text, renderings
        # follow all the sentences, so each is added by `rendering`.
        self._sentences.append((sentence.text, [c.key for c in sentence.citations]))
        return self._advance(self._composed())

    def before_next(self) -> str:
        """What precedes the next sentence in the text, as each sentence's `before` in the JSON."""
        previous = self._sentences[-1][0] if self._sentences else self._lead
        return separator(previous) if previous else ""

    def rendering(self, index: int, rendering) -> str:
        self._renderings[index] = (rendering.text, self._sentences[index][1], rendering.language)
        return self._advance(self._composed())

    def finish(self, answer: Answer) -> str:
        return self._advance(answer.text)

    def _composed(self) -> str:
        return compose_text(self._lead, self._sentences, [self._renderings[i] for i in sorted(self._renderings)])

    def _advance(self, text: str) -> str:
        # The final text extends what was sent (answers.Answer.text is built so); if it ever did
        # not, the rest is sent and the done event's answer is the one to trust.
        piece = text[len(self.sent):] if text.startswith(self.sent) else ""
        self.sent = text if text.startswith(self.sent) else self.sent
        return piece


def answer_events(workspace: Workspace, request: AskRequest, choice: Choice) -> Iterator[tuple[str, dict]]:
    """(event, data) pairs of one streamed answer; an error becomes an `error` event."""
    history = [t.model_dump() for t in request.history]
    text = TextSoFar()
    cited: set[tuple[str, int]] = set()
    titles: dict[str, str] = {}
    index = 0
    try:
        for event in workspace.stream(request.question, history, request.docs, choice):
            if isinstance(event, Standalone):
                yield "standalone", {"question": event.question}
            elif isinstance(event, Retrieved):
                titles = {r.doc: r.title for r in event.results}
                yield "retrieved", {"retrieved": [r.as_json() for r in event.results]}
            elif isinstance(event, Lead):
                if piece := text.lead(event.text):
                    yield "token", {"text": piece}
            elif isinstance(event, SentenceReady):
                for c in event.sentence.citations:
                    if c.key not in cited:
                        cited.add(c.key)
                        yield "citation", {"doc": c.doc, "paragraph": c.paragraph, "title": titles.get(c.doc, c.doc),
                                           "url": paragraph_url(c.doc, c.paragraph)}
                before = text.before_next()
                if piece := text.sentence(event.sentence):
                    yield "token", {"text": piece}
                yield "sentence", {"index": index, **event.sentence.as_json(), "before": before}
                index += 1
            elif isinstance(event, RenderingReady):
                if piece := text.rendering(event.index, event.rendering):
                    yield "token", {"text": piece}
                yield "rendering", {"index": event.index, **event.rendering.as_json()}
            elif isinstance(event, Removed):
                yield "removed", event.removal.as_json()
            elif isinstance(event, Done):
                if piece := text.finish(event.answer):
                    yield "token", {"text": piece}
                yield "done", answer_json(event.answer)
    except ParaciteError as exc:
        response = domain_error_response(exc)
        yield "error", json.loads(response.body)["error"] | {"status": response.status_code}
    except Exception:  # a bug: the stream still ends with an event a client understands
        log.exception("answering %r failed", request.question)
        yield "error", error_body("internal_error", "something went wrong on the server; its log has the details")[
            "error"] | {"status": 500}


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


_END = object()


async def on_own_thread(events: Iterator) -> AsyncIterator:
    """A blocking iterator, run to its end on a thread of its own, as an async iterator.

    Not the shared thread pool, step by step (starlette's iterate_in_threadpool): a stream may
    wait for another stream's answer to the same question, and with every pool thread taken by
    waiters the answers they wait for could never take their next step.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue = asyncio.Queue()
    stop = threading.Event()

    def put(item) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:  # the loop is gone (server shutting down): nobody is listening
            stop.set()

    def produce() -> None:
        try:
            for item in events:
                if stop.is_set():  # the client went away
                    break
                put(item)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(_Failed(exc))
        finally:
            close = getattr(events, "close", None)
            if close:
                close()
            put(_END)

    threading.Thread(target=produce, name="paracite-stream", daemon=True).start()
    try:
        while (item := await queue.get()) is not _END:
            if isinstance(item, _Failed):
                raise item.exc
            yield item
    finally:
        stop.set()


def admin_check(key: str):
    """Raises the admin API's refusal for a missing or wrong Bearer key."""
    def check(authorization: str | None) -> None:
        if not key:
            raise ApiError(403, "admin_disabled", "the admin API is disabled; set PARACITE_ADMIN_KEY to enable it")
        # Exactly "Bearer <key>" (the scheme's case aside, as HTTP has it): a bare key worked too,
        # and so would any scheme a proxy might log or forward in the clear.
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not given or not secrets.compare_digest(given.encode(), key.encode()):
            raise ApiError(401, "unauthorized", "admin endpoints need 'Authorization: Bearer <PARACITE_ADMIN_KEY>'",
                           {"WWW-Authenticate": "Bearer"})

    return check


# Threads for answers, apart from the default pool that /healthz and /api/docs run on: an answer
# may wait (for a slot to compute, or for another request's answer to the same question), and a
# crowd of waiting answers must not hold every thread the quick endpoints need.
ANSWER_THREADS = 64


def build_router(workspace: Workspace, guard) -> APIRouter:
    """`guard` is the dependency that checks origin, site key and budget of an answering call."""
    router = APIRouter()
    answer_threads = anyio.CapacityLimiter(ANSWER_THREADS)

    async def ask_on_answer_thread(question: str, history: list[dict], docs: list[str] | None, choice: Choice):
        return await anyio.to_thread.run_sync(workspace.ask, question, history, docs, choice, limiter=answer_threads)

    json_body = json_body_reader(workspace.settings)
    # Registration order is the OpenAPI page's order.
    _add_health_route(router, workspace)
    _add_answer_routes(router, workspace, guard, json_body, ask_on_answer_thread)
    _add_corpus_routes(router, workspace)
    _add_admin_routes(router, workspace)
    _add_openai_routes(router, workspace, guard, json_body, ask_on_answer_thread)
    return router


def json_body_reader(settings):
    """The dependency that reads a JSON body, refusing one over `settings.max_request_bytes`."""
    async def json_body(request: Request) -> Any:
        limit = settings.max_request_bytes
        too_large = ApiError(413, "request_too_large", f"the request body is over the limit of {limit} bytes")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        body = bytearray()
        async for chunk in request.stream():  # a chunked body has no length to check first
            body += chunk
            if len(body) > limit:
                raise too_large
        try:
            return json.loads(bytes(body) or b"null")
        except ValueError:
            raise ApiError(400, "invalid_json", "the request body is not valid JSON") from None
        except RecursionError:  # "[[[[…" a few thousand deep: the parser's stack, not a bug of ours
            raise ApiError(400, "invalid_json", "the request body is nested too deeply") from None

    return json_body


def parse(model: type[BaseModel], data: Any) -> Any:
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors())
        raise ApiError(422, "invalid_request", problems) from None


def _add_health_route(router: APIRouter, workspace: Workspace) -> None:
    settings = workspace.settings

    @router.get("/healthz", tags=["meta"])
    def healthz() -> dict:
        return {"status": "ok", "documents": len(workspace.documents()), "generator": settings.generator}


def _add_answer_routes(router: APIRouter, workspace: Workspace, guard, json_body, ask_on_answer_thread) -> None:
    settings = workspace.settings

    def choice_of(request: AskRequest) -> Choice:
        # the configured k is the default pipeline (and its cached answers), however it is asked for
        return Choice(k=None if request.k == settings.top_k else request.k)

    @router.post("/api/ask", tags=["answers"], dependencies=[Depends(guard)],
                 summary="Answer a question, with a citation on every sentence (the `paracite ask --json` contract)")
    async def ask(body: Annotated[Any, Depends(json_body)]) -> JSONResponse:
        request = parse(AskRequest, body)
        history = [t.model_dump() for t in request.history]
        answer = await ask_on_answer_thread(request.question, history, request.docs, choice_of(request))
        return JSONResponse(answer_json(answer))

    @router.post("/api/chat", tags=["answers"], dependencies=[Depends(guard)],
                 summary="The same answer streamed over server-sent events",
                 description="Events: standalone, retrieved, token, citation, sentence, rendering, removed, done (the "
                             "/api/ask JSON), error.")
    async def chat(body: Annotated[Any, Depends(json_body)]) -> EventSourceResponse:
        request = parse(AskRequest, body)
        from .answering import check_question

        try:  # a bad question or an unknown document is a 4xx before the stream starts, not an event in it
            check_question(request.question, [t.model_dump() for t in request.history])
            for doc in request.docs or []:
                workspace.document(doc)
        except ParaciteError as exc:
            return domain_error_response(exc)
        events = answer_events(workspace, request, choice_of(request))
        return EventSourceResponse(
            ({"event": name, "data": json.dumps(data, ensure_ascii=False)}
             async for name, data in on_own_thread(events)),
            ping=15,
        )


def _add_corpus_routes(router: APIRouter, workspace: Workspace) -> None:
    @router.get("/api/docs", tags=["corpus"], summary="The documents (the `paracite docs --json` contract)")
    def docs() -> list[dict]:
        return [info.as_json() for info in workspace.documents()]

    @router.get("/api/welcome", tags=["corpus"], summary="What a new visitor is shown: the documents' titles and "
                "example questions")
    def welcome(lang: str = "en") -> dict:
        """The widget asks this once when its page loads: a refusal here (an origin that is not a
        site's) hides it; an answer gives its greeting."""
        language = "zh" if lang.lower().startswith("zh") else "en"
        return {"documents": [{"doc": d.doc_id, "title": d.title_in(language)} for d in workspace.documents()],
                "examples": workspace.examples(language)}

    @router.get("/api/paragraphs/{doc}/{number}", tags=["corpus"], summary="One paragraph as printed")
    def paragraph(doc: str, number: int, quote: str = "") -> dict:
        """`quote`: a citation's quote, which picks the paragraph where a document repeats a number."""
        info = workspace.document(doc)
        p = workspace.paragraph(doc, number, quote)
        return {"doc": info.doc_id, "title": info.title, "paragraph": p.number, "text": p.text}


def _add_admin_routes(router: APIRouter, workspace: Workspace) -> None:
    check_admin = admin_check(workspace.settings.admin_key.get_secret_value())

    async def admin(authorization: Annotated[str | None, Header()] = None) -> None:
        check_admin(authorization)  # the server's middleware checks first, before a body is read

    @router.post("/api/admin/documents", tags=["admin"], dependencies=[Depends(admin)],
                 summary="Ingest uploaded documents (the file name without extension is the document id)")
    async def ingest(files: Annotated[list[UploadFile], File()]) -> list[dict]:
        with tempfile.TemporaryDirectory(prefix="paracite-api-") as tmp:
            uploads = []
            for i, file in enumerate(files):
                path = Path(tmp) / f"{i}.upload"
                path.write_bytes(await file.read())
                uploads.append(Upload(file.filename or "", path))
            results = await run_in_threadpool(workspace.ingest, uploads)
        return [r.as_json() for r in results]

    @router.delete("/api/admin/documents/{doc}", tags=["admin"], dependencies=[Depends(admin)])
    def delete(doc: str) -> dict:
        workspace.document(doc)  # 404 for an unknown id rather than a silent no-op
        workspace.delete(doc)
        return {"deleted": doc}


def _add_openai_routes(router: APIRouter, workspace: Workspace, guard, json_body, ask_on_answer_thread) -> None:
    @router.get("/v1/models", tags=["openai"])
    def models() -> dict:
        return {"object": "list", "data": [{"id": MODEL_NAME, "object": "model", "created": 0, "owned_by": "paracite"}]}

    @router.post("/v1/chat/completions", tags=["openai"], dependencies=[Depends(guard)],
                 summary="OpenAI-compatible chat completions (model `paracite`, streamed or not)",
                 description="The last user message is the question, earlier user and assistant messages its "
                             "history. Citations are markers in the text and structured in `citations`.")
    async def chat_completions(body: Annotated[Any, Depends(json_body)]):
        request = parse(ChatCompletionRequest, body)
        if request.model != MODEL_NAME:
            raise ApiError(404, "model_not_found", f"the model {request.model!r} does not exist; use {MODEL_NAME!r}")
        question, history = _question_and_history(request.messages)
        ask_request = AskRequest(question=question, history=[Turn(**t) for t in history])
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        if not request.stream:
            answer = await ask_on_answer_thread(question, history, None, Choice())
            data = answer_json(answer)
            return {
                "id": completion_id, "object": "chat.completion", "created": created, "model": MODEL_NAME,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": answer.text},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "citations": data["citations"], "paracite": data,
            }
        from .answering import check_question

        try:
            check_question(question, history)
        except ParaciteError as exc:
            return domain_error_response(exc)

        def chunk(delta: dict, finish: str | None = None, **extra) -> str:
            return json.dumps({"id": completion_id, "object": "chat.completion.chunk", "created": created,
                               "model": MODEL_NAME,
                               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra},
                              ensure_ascii=False)

        async def chunks():
            yield {"data": chunk({"role": "assistant", "content": ""})}
            async for name, data in on_own_thread(answer_events(workspace, ask_request, Choice())):
                if name == "token":
                    yield {"data": chunk({"content": data["text"]})}
                elif name == "done":
                    yield {"data": chunk({}, "stop", citations=data["citations"], paracite=data)}
                elif name == "error":
                    yield {"data": json.dumps({"error": data}, ensure_ascii=False)}
            yield {"data": "[DONE]"}

        return EventSourceResponse(chunks(), ping=15)


def _question_and_history(messages: list[ChatMessage]) -> tuple[str, list[dict]]:
    turns = []
    for m in messages:
        if m.role not in ("user", "assistant"):
            continue  # a client's system prompt: Paracite's own rules are not negotiable
        content = m.content if isinstance(m.content, str) else "".join(
            part.get("text", "") for part in m.content or [] if part.get("type") == "text")
        turns.append({"role": m.role, "content": content})
    if not turns or turns[-1]["role"] != "user":
        raise ApiError(422, "invalid_request", "the last message must be the user's question")
    return turns[-1]["content"], turns[:-1]
