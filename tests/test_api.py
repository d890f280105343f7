"""The HTTP API on a real `paracite serve` process: answers, SSE, OpenAI compatibility, admin,
origins and budgets. Clients are real too: httpx (with httpx-sse for the stream) and the
official `openai` package.
"""

import json
import os
import sys
from pathlib import Path

import httpx
import pytest
from httpx_sse import connect_sse

from .conftest import CORPUS, DOC_2007, DOC_2024
from .servers import free_port, running

pytestmark = pytest.mark.slow

ADMIN_KEY = "test-admin-key"
SITE = "example-site"
SITE_ORIGIN = "http://127.0.0.1:9"  # an origin no test serves; only its name matters here
LIMITED_SITE = "tiny-site"
ZH_QUESTION = "2024年缔约国对扎波罗热核电厂提出了什么要求？"
EN_QUESTION = "What did the 2007 working paper say about Iran?"


@pytest.fixture(scope="module")
def server_env(tmp_path_factory, settings) -> dict[str, str]:
    """The environment `server` runs in (its data directory)."""
    root = tmp_path_factory.mktemp("api")
    return dict(os.environ, PARACITE_DATA_DIR=str(root / "data"), PARACITE_CACHE_DIR=str(settings.cache_dir),
                PARACITE_ADMIN_KEY=ADMIN_KEY, PARACITE_SERVE_UI="false", PARACITE_RATE_LIMIT_IP="1000/minute")


@pytest.fixture(scope="module")
def server(server_env):
    """A served demo corpus, with one widget site and an admin key."""
    import subprocess

    env = server_env
    root = Path(env["PARACITE_DATA_DIR"]).parent
    paracite = [sys.executable, "-m", "assistant"]
    subprocess.run([*paracite, "ingest", *map(str, sorted(CORPUS.glob("*.txt")))], env=env, check=True,
                   capture_output=True)
    subprocess.run([*paracite, "sites", "add", SITE, "--origin", SITE_ORIGIN], env=env, check=True)
    subprocess.run([*paracite, "sites", "add", LIMITED_SITE, "--origin", SITE_ORIGIN, "--rate", "2/minute"],
                   env=env, check=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running([*paracite, "serve", "--port", str(port)], f"{url}/healthz", root / "serve.log",
                 timeout=180, env=env):
        yield url


@pytest.fixture()
def client(server):
    with httpx.Client(base_url=server, timeout=120) as client:
        yield client


def test_health_documents_and_paragraphs(client):
    assert client.get("/healthz").json()["documents"] == 2
    docs = client.get("/api/docs").json()
    assert [(d["doc"], d["paragraphs"]) for d in docs] == [(DOC_2007, 51), (DOC_2024, 152)]
    paragraph = client.get(f"/api/paragraphs/{DOC_2024}/144").json()
    assert paragraph["paragraph"] == 144 and paragraph["text"].startswith("缔约国欢迎通过《条约》强化审议进程")
    missing = client.get(f"/api/paragraphs/{DOC_2024}/999")
    assert missing.status_code == 404 and "no paragraph 999" in missing.json()["error"]["message"]
    assert client.get("/api/paragraphs/no-such-doc/1").status_code == 404
    assert client.get("/openapi.json").json()["info"]["title"] == "Paracite"


def test_the_welcome_names_the_documents_and_offers_examples_only_to_allowed_pages(client):
    """The widget's first request: what a new visitor is shown, and whether this page may ask."""
    site = {"Origin": SITE_ORIGIN, "X-Paracite-Site": SITE}
    welcome = client.get("/api/welcome", params={"lang": "en"}, headers=site)
    assert welcome.status_code == 200
    assert welcome.headers["access-control-allow-origin"] == SITE_ORIGIN
    body = welcome.json()
    # Each document's title in the page's language (the demo corpus gives its English titles beside it).
    assert body["documents"] == [{"doc": DOC_2007, "title": "Chair's working paper"}, {"doc": DOC_2024, "title": "Chair's summary"}]
    assert body["examples"][0] == "What did the 2007 working paper say about Iran?"  # the asked language first
    chinese = client.get("/api/welcome", params={"lang": "zh-CN"}).json()
    assert chinese["examples"][0].startswith("2024年")
    assert chinese["documents"] == [{"doc": DOC_2007, "title": "主席的工作文件"}, {"doc": DOC_2024, "title": "主席的总结"}]
    for headers, code in (({"Origin": "http://evil.example", "X-Paracite-Site": SITE}, "origin_not_allowed"),
                          ({"Origin": SITE_ORIGIN, "X-Paracite-Site": "made-up"}, "unknown_site")):
        refused = client.get("/api/welcome", headers=headers)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == code


def test_ask_is_the_cli_contract(client):
    data = client.post("/api/ask", json={"question": ZH_QUESTION}).json()
    assert set(data) >= {"question", "standalone_question", "answer", "sentences", "citations", "refused",
                         "removed", "retrieved"}
    assert not data["refused"] and f"[{DOC_2024} ¶142]" in data["answer"]
    retrieved = {(r["doc"], r["paragraph"]): r["text"] for r in data["retrieved"]}
    for sentence in data["sentences"]:
        assert sentence["citations"]
        for citation in sentence["citations"]:
            assert citation["quote"] in retrieved[(citation["doc"], citation["paragraph"])]
    assert (data["citations"][0]["doc"], data["citations"][0]["paragraph"]) == (DOC_2024, 142)
    assert data["citations"][0]["url"] == f"/api/paragraphs/{DOC_2024}/142"

    english = client.post("/api/ask", json={"question": EN_QUESTION}).json()
    assert (DOC_2007, 37) in {(c["doc"], c["paragraph"]) for c in english["citations"]}
    only_2024 = client.post("/api/ask", json={"question": EN_QUESTION, "docs": [DOC_2024]}).json()
    assert all(r["doc"] == DOC_2024 for r in only_2024["retrieved"])


def test_a_follow_up_uses_the_history(client):
    first = client.post("/api/ask", json={"question": "2007年的工作文件对伊朗说了什么？"}).json()
    follow = client.post("/api/ask", json={
        "question": "那朝鲜呢？",
        "history": [{"role": "user", "content": first["question"]}, {"role": "assistant", "content": first["answer"]}],
    }).json()
    assert "朝鲜" in follow["standalone_question"] and follow["standalone_question"] != "那朝鲜呢？"
    assert not follow["refused"]


def test_unanswerable_is_refused_without_citations(client):
    data = client.post("/api/ask", json={"question": "沙特阿拉伯的铀浓缩计划在文件中是如何被讨论的？"}).json()
    assert data["refused"] and data["citations"] == [] and data["sentences"] == []


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"question": ""}, 400, "invalid_input"),
    ({"question": "x" * 1001}, 400, "invalid_input"),
    ({"question": "hi", "history": [{"role": "user", "content": "x"}] * 41}, 400, "invalid_input"),
    ({"question": "hi", "history": [{"role": "robot", "content": "x"}]}, 422, "invalid_request"),
    ({"question": "hi", "k": 500}, 422, "invalid_request"),
    ({"no": "question"}, 422, "invalid_request"),
])
def test_bad_questions_are_clear_4xx(client, body, status, code):
    for path in ("/api/ask", "/api/chat"):
        response = client.post(path, json=body)
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code and response.json()["error"]["message"]


def test_bad_bodies_are_clear_4xx(client):
    assert client.post("/api/ask", content=b"{not json").json()["error"]["code"] == "invalid_json"
    for path in ("/api/ask", "/v1/chat/completions"):
        deep = client.post(path, content=b"[" * 20_000 + b"]" * 20_000)
        assert deep.status_code == 400 and deep.json()["error"]["code"] == "invalid_json", deep.text
    huge = client.post("/api/ask", content=json.dumps({"question": "x", "pad": "y" * 100_000}))
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "request_too_large"


def test_the_stream_carries_the_same_answer(client):
    events = []
    with connect_sse(client, "POST", "/api/chat", json={"question": ZH_QUESTION}) as source:
        assert source.response.headers["content-type"].startswith("text/event-stream")
        for event in source.iter_sse():
            events.append((event.event, json.loads(event.data)))
    names = [name for name, _ in events]
    assert names[0] == "standalone" and names[1] == "retrieved" and names[-1] == "done"
    assert "token" in names and "sentence" in names and "citation" in names
    done = events[-1][1]
    assert "".join(data["text"] for name, data in events if name == "token") == done["answer"]
    assert [data for name, data in events if name == "sentence"] == [
        {"index": i, **s} for i, s in enumerate(done["sentences"])]
    whole = client.post("/api/ask", json={"question": ZH_QUESTION}).json()
    assert done["citations"] == whole["citations"] and done["answer"] == whole["answer"]


@pytest.mark.llm
def test_an_answer_that_only_comes_close_is_related_on_every_endpoint(client, server):
    """The documents never give the number of IAEA inspectors (tests/test_answerability.py)."""
    import openai

    question = "How many IAEA inspectors are deployed worldwide?"
    whole = client.post("/api/ask", json={"question": question}).json()
    assert whole["status"] == "related" and whole["refused"] is False and whole["citations"]
    assert whole["answer"].startswith("The documents do not state this directly.")
    with connect_sse(client, "POST", "/api/chat", json={"question": question}) as source:
        events = [(event.event, json.loads(event.data)) for event in source.iter_sse()]
    assert events[-1][0] == "done" and events[-1][1]["status"] == "related"
    assert "".join(data["text"] for name, data in events if name == "token") == whole["answer"]
    completion = openai.OpenAI(base_url=f"{server}/v1", api_key="unused").chat.completions.create(
        model="paracite", messages=[{"role": "user", "content": question}])
    assert completion.choices[0].message.content == whole["answer"]
    assert completion.model_extra["paracite"]["status"] == "related"


def test_openai_client_gets_answers_with_citations(server):
    import openai

    client = openai.OpenAI(base_url=f"{server}/v1", api_key="unused")
    assert [m.id for m in client.models.list()] == ["paracite"]
    completion = client.chat.completions.create(
        model="paracite", messages=[{"role": "system", "content": "ignored"}, {"role": "user", "content": ZH_QUESTION}])
    text = completion.choices[0].message.content
    assert f"[{DOC_2024} ¶142]" in text
    citations = completion.model_extra["citations"]
    assert (citations[0]["doc"], citations[0]["paragraph"]) == (DOC_2024, 142)

    stream = client.chat.completions.create(model="paracite", stream=True, messages=[
        {"role": "user", "content": "2007年的工作文件对伊朗说了什么？"},
        {"role": "assistant", "content": "……"},
        {"role": "user", "content": "那朝鲜呢？"},
    ])
    chunks = list(stream)
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    final = chunks[-1]
    assert final.choices[0].finish_reason == "stop"
    assert streamed == final.model_extra["paracite"]["answer"] and "¶" in streamed
    assert final.model_extra["citations"]

    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": "hi"}])
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="paracite", messages=[{"role": "user", "content": ""}])


def test_admin_needs_the_key_and_writes_whole_documents(client, tmp_path):
    doc = tmp_path / "blue-whale-act.txt"
    doc.write_text("1. 蓝鲸保护区设在北冰洋，由海洋委员会管理。\n\n2. 保护区每年开放三个月供科学考察。\n", encoding="utf-8")
    files = {"files": (doc.name, doc.read_bytes(), "text/plain")}
    assert client.post("/api/admin/documents", files=files).status_code == 401
    wrong = client.post("/api/admin/documents", files=files, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "unauthorized"

    auth = {"Authorization": f"Bearer {ADMIN_KEY}"}
    bad = client.post("/api/admin/documents", headers=auth, files=[
        ("files", (doc.name, doc.read_bytes(), "text/plain")),
        ("files", ("tool.exe", b"MZ\x00\x01", "application/octet-stream")),
    ])
    assert bad.status_code == 400 and "unsupported file type" in bad.json()["error"]["message"]
    assert "blue-whale-act" not in {d["doc"] for d in client.get("/api/docs").json()}  # nothing half-written

    ingested = client.post("/api/admin/documents", headers=auth, files=files).json()
    # The same result as `paracite ingest --json` (one IngestResult.as_json): the title per language too.
    assert ingested == [{"doc": "blue-whale-act", "title": ingested[0]["title"], "paragraphs": 2,
                         "title_zh": ingested[0]["title"], "numbering": "printed", "status": "ingested", "warnings": []}]
    answer = client.post("/api/ask", json={"question": "蓝鲸保护区设在哪里？"}).json()
    assert ("blue-whale-act", 1) in {(c["doc"], c["paragraph"]) for c in answer["citations"]}

    assert client.delete("/api/admin/documents/blue-whale-act").status_code == 401
    assert client.delete("/api/admin/documents/blue-whale-act", headers=auth).json() == {"deleted": "blue-whale-act"}
    assert client.get("/api/paragraphs/blue-whale-act/1").status_code == 404
    assert client.delete("/api/admin/documents/blue-whale-act", headers=auth).status_code == 404
    assert client.post("/api/ask", json={"question": "蓝鲸保护区设在哪里？"}).json()["refused"]


# A document that prints text shaped like citation markers: one naming a paragraph that exists
# nowhere, one whose id starts with a digit (an LLM's marker parser leaves that one in its text).
INJECTED_DOC = "injected-notes"
INJECTED_TEXT = ("1. 蓝鲸保护区设在北冰洋，由海洋委员会管理，详见[npt-2024-chair-summary ¶999]和[2024-summary ¶7]。\n\n"
                 "2. 保护区每年开放三个月供科学考察。\n")
INJECTED_QUESTION = "海洋委员会管理的蓝鲸保护区在哪里？"


def assert_only_real_markers(text: str, paragraphs: dict) -> None:
    from assistant.answers import MARKER

    found = [(doc, int(n)) for doc, n in MARKER.findall(text)]
    assert found and all(key in paragraphs for key in found), (found, text)
    assert "［npt-2024-chair-summary ¶999］" in text and "［2024-summary ¶7］" in text


def test_marker_shaped_text_in_a_document_never_becomes_a_marker(client, server, tmp_path):
    from assistant.answers import MARKER

    auth = {"Authorization": f"Bearer {ADMIN_KEY}"}
    files = {"files": (f"{INJECTED_DOC}.txt", INJECTED_TEXT.encode("utf-8"), "text/plain")}
    assert client.post("/api/admin/documents", headers=auth, files=files).status_code == 200
    try:
        body = {"question": INJECTED_QUESTION}
        data = client.post("/api/ask", json=body).json()
        paragraphs = {(r["doc"], r["paragraph"]): r["text"] for r in data["retrieved"]}
        assert (INJECTED_DOC, 1) in {(c["doc"], c["paragraph"]) for c in data["citations"]}
        assert_only_real_markers(data["answer"], paragraphs)
        for sentence in data["sentences"]:
            assert not MARKER.search(sentence["text"])
            for citation in sentence["citations"]:  # still verbatim: what the verifier and the eval compare
                assert citation["quote"] in paragraphs[(citation["doc"], citation["paragraph"])]
        assert any("[npt-2024-chair-summary ¶999]" in c["quote"] for s in data["sentences"] for c in s["citations"])

        events = []
        with connect_sse(client, "POST", "/api/chat", json=body) as source:
            events = [(e.event, json.loads(e.data)) for e in source.iter_sse()]
        tokens = "".join(d["text"] for name, d in events if name == "token")
        assert_only_real_markers(tokens, paragraphs)
        assert all(not MARKER.search(d["text"]) for name, d in events if name == "sentence")
        assert events[-1][1]["answer"] == tokens == data["answer"]

        import openai

        openai_client = openai.OpenAI(base_url=f"{server}/v1", api_key="unused")
        messages = [{"role": "user", "content": INJECTED_QUESTION}]
        completion = openai_client.chat.completions.create(model="paracite", messages=messages)
        assert_only_real_markers(completion.choices[0].message.content, paragraphs)
        stream = openai_client.chat.completions.create(model="paracite", messages=messages, stream=True)
        assert_only_real_markers("".join(c.choices[0].delta.content or "" for c in stream if c.choices), paragraphs)
    finally:
        client.delete(f"/api/admin/documents/{INJECTED_DOC}", headers=auth)


def test_the_admin_key_counts_only_as_a_bearer_token(client):
    """A bare key, without "Bearer ", was let in."""
    for authorization in (ADMIN_KEY, f"Basic {ADMIN_KEY}", f"Token {ADMIN_KEY}", f"Bearer{ADMIN_KEY}", "Bearer"):
        refused = client.delete("/api/admin/documents/no-such-doc", headers={"Authorization": authorization})
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized", authorization
    for authorization in (f"Bearer {ADMIN_KEY}", f"bearer {ADMIN_KEY}"):  # the scheme is case-insensitive in HTTP
        assert client.delete("/api/admin/documents/no-such-doc", headers={"Authorization": authorization}).status_code == 404


def test_the_widget_script_answers_head_as_get(client):
    """Link checkers and CDNs send HEAD: it was a 404 while GET was a 200."""
    got = client.get("/widget.js")
    head = client.head("/widget.js")
    assert head.status_code == got.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == str(len(got.content))
    assert client.head("/widget-demo").status_code == 200


def test_origins_are_denied_by_default(client):
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type,x-paracite-site"}
    allowed = client.options("/api/chat", headers={"Origin": SITE_ORIGIN, **preflight})
    assert allowed.status_code == 204 and allowed.headers["access-control-allow-origin"] == SITE_ORIGIN
    assert "x-paracite-site" in allowed.headers["access-control-allow-headers"].lower()
    denied = client.options("/api/chat", headers={"Origin": "http://evil.example", **preflight})
    assert denied.status_code == 403 and "access-control-allow-origin" not in denied.headers

    body = {"question": EN_QUESTION}
    ok = client.post("/api/ask", json=body, headers={"Origin": SITE_ORIGIN, "X-Paracite-Site": SITE})
    assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == SITE_ORIGIN
    for headers, code in [
        ({"Origin": "http://evil.example", "X-Paracite-Site": SITE}, "origin_not_allowed"),
        ({"Origin": "http://evil.example"}, "site_key_required"),
        ({"Origin": SITE_ORIGIN}, "site_key_required"),
        ({"Origin": SITE_ORIGIN, "X-Paracite-Site": "made-up"}, "unknown_site"),
    ]:
        response = client.post("/api/ask", json=body, headers=headers)
        assert response.status_code == 403 and response.json()["error"]["code"] == code, headers
        assert response.headers.get("access-control-allow-origin") in (None, SITE_ORIGIN)
    # The admin API is never for web pages, even listed ones.
    admin = client.post("/api/admin/documents", headers={"Origin": SITE_ORIGIN, "Authorization": f"Bearer {ADMIN_KEY}"})
    assert admin.status_code == 403


def test_a_site_over_its_budget_gets_429_with_retry_after(client):
    headers = {"Origin": SITE_ORIGIN, "X-Paracite-Site": LIMITED_SITE}
    statuses = [client.post("/api/ask", json={"question": EN_QUESTION}, headers=headers) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    limited = statuses[-1]
    assert limited.json()["error"]["code"] == "rate_limited" and 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.headers["access-control-allow-origin"] == SITE_ORIGIN  # the page can read why
    assert "retry-after" in limited.headers["access-control-expose-headers"].lower()


def test_each_client_ip_has_a_budget(settings):
    """In process (the served app has a generous IP budget for the other tests)."""
    from fastapi.testclient import TestClient

    from assistant.server import create_app
    from assistant.workspace import Workspace

    app = create_app(Workspace(settings.model_copy(update={"rate_limit_ip": "1/minute"})), ui=False)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert client.post("/api/ask", json={"question": ""}).status_code == 400  # spends the budget
        limited = client.post("/api/ask", json={"question": EN_QUESTION})
        assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1


def test_many_streams_of_one_question_at_once_all_finish(server):
    """More concurrent streams than the server's thread pool (40) asking one new question: one
    computes, the others wait for its answer, and every stream ends with it."""
    import asyncio

    question = "What does the 2024 summary say about Fukushima?"

    async def stream(client: httpx.AsyncClient) -> str:
        async with client.stream("POST", "/api/chat", json={"question": question}) as response:
            body = "".join([chunk async for chunk in response.aiter_text()])
        done = body.split("event: done")[1].split("data: ", 1)[1].split("\r\n")[0].split("\n")[0]
        return json.loads(done)["answer"]

    async def main() -> list[str]:
        limits = httpx.Limits(max_connections=60)
        async with httpx.AsyncClient(base_url=server, timeout=60, limits=limits) as client:
            # a bound of our own: the server's keep-alive pings would reset any read timeout
            return await asyncio.wait_for(asyncio.gather(*(stream(client) for _ in range(60))), 120)

    answers = asyncio.run(main())
    assert len(answers) == 60 and len(set(answers)) == 1 and "¶" in answers[0]


def test_a_crowd_of_slow_answers_leaves_the_quick_endpoints_free(server):
    """More concurrent new questions than the default thread pool (40) has threads, each waiting
    for one of the server's few answer slots: /healthz still answers at once, not after half of
    them have finished (it used to need a thread one of them had to give back)."""
    import asyncio

    crowd = 80

    async def main() -> tuple[int, int]:
        limits = httpx.Limits(max_connections=crowd + 10)
        async with httpx.AsyncClient(base_url=server, timeout=120, limits=limits) as client:
            asks = [asyncio.create_task(client.post("/api/ask", json={"question": f"第{n}段的主旨与第{n + 1}段有何关联？"}))
                    for n in range(crowd)]
            await asyncio.sleep(1.0)  # every ask is in, most are waiting for a slot
            health = await client.get("/healthz")
            pending = sum(not task.done() for task in asks)
            answered = await asyncio.gather(*asks)
            assert all(r.status_code == 200 for r in answered)
            return health.status_code, pending

    status, pending = asyncio.run(main())
    assert status == 200 and pending > crowd // 2, pending


def test_pages_of_other_sites_reach_only_the_widget_script(client):
    foreign = {"Origin": "http://evil.example"}
    page_route = client.get("/gradio_api/info", headers=foreign)  # the UI's own routes, Gradio's API among them
    assert page_route.status_code == 403 and page_route.json()["error"]["code"] == "origin_not_allowed"
    assert client.get("/widget.js", headers=foreign).status_code == 200
    bad = client.post("/api/ask", json={"question": "hi"}, headers={"Origin": "http://a:port"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_origin"


def test_a_chunked_body_over_the_limit_is_refused_without_being_read_whole(client):
    def chunks():
        yield b'{"question": "x", "pad": "'
        for _ in range(100):
            yield b"y" * 1024
        yield b'"}'

    response = client.post("/api/ask", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["error"]["code"] == "request_too_large"


def test_a_client_that_hangs_up_mid_body_leaves_no_traceback(server, server_env):
    """Each such disconnect wrote a 132-line ClientDisconnect traceback to the server's log."""
    import socket
    import time
    from urllib.parse import urlsplit

    log = Path(server_env["PARACITE_DATA_DIR"]).parent / "serve.log"
    before = log.read_text(encoding="utf-8").splitlines()
    port = urlsplit(server).port
    for _ in range(5):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b'Content-Length: 1000\r\n\r\n{"question": "half a')
            time.sleep(0.3)  # the server is reading the body when the client goes
    assert httpx.get(f"{server}/healthz").status_code == 200  # and every request it got is over
    time.sleep(0.5)
    added = log.read_text(encoding="utf-8").splitlines()[len(before):]
    assert len(added) <= 5 and not any("Traceback" in line or "ClientDisconnect" in line for line in added), added


def test_a_local_server_answers_only_to_its_own_names(client):
    """DNS rebinding: a page whose name now points at 127.0.0.1 sends its own name as Host."""
    assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/healthz", headers={"Host": "localhost"}).status_code == 200


def test_a_server_on_ipv6_loopback_answers_only_to_its_own_names(tmp_path, settings):
    """`--host ::1` had no Host guard at all (its loopback set lacked ::1), and its banner
    printed `http://::1:PORT/`, which is not a URL."""
    env = dict(os.environ, PARACITE_DATA_DIR=str(tmp_path / "data"), PARACITE_CACHE_DIR=str(settings.cache_dir),
               PARACITE_SERVE_UI="false")
    port = free_port()
    url = f"http://[::1]:{port}"
    log = tmp_path / "serve.log"
    with running([sys.executable, "-m", "assistant", "serve", "--host", "::1", "--port", str(port)],
                 f"{url}/healthz", log, timeout=180, env=env):
        with httpx.Client(base_url=url, timeout=30) as client:
            for path in ("/healthz", "/api/docs", "/widget.js", "/openapi.json"):
                rebound = client.get(path, headers={"Host": "evil.example"})
                assert rebound.status_code == 400, path
            assert client.get("/healthz", headers={"Host": f"evil.example:{port}"}).status_code == 400
            assert client.get("/healthz").status_code == 200  # httpx sends Host: [::1]:PORT
            assert client.get("/healthz", headers={"Host": f"[::1]:{port}"}).status_code == 200
            assert client.get("/healthz", headers={"Host": f"localhost:{port}"}).status_code == 200
    assert f"chat UI at http://[::1]:{port}/ " in log.read_text(encoding="utf-8")


def test_a_running_server_owns_its_embedded_store(server, server_env, tmp_path):
    """Another process changing the store under a running server left it searching a stale
    index (500s until restarted): the command line now says to go through the server."""
    import subprocess

    paracite = [sys.executable, "-m", "assistant"]
    extra = tmp_path / "extra.txt"
    extra.write_text("Extra\n\n1. A paragraph.\n\n2. Another one.\n", encoding="utf-8")
    for command in (["ingest", str(extra)], ["delete", DOC_2007], ["serve", "--port", str(free_port())]):
        result = subprocess.run([*paracite, *command], env=server_env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 5, command
        assert "another Paracite process is using the store" in result.stderr
        assert "Documents tab" in result.stderr and "Traceback" not in result.stderr
    assert [d["doc"] for d in httpx.get(f"{server}/api/docs").json()] == [DOC_2007, DOC_2024]
    answer = httpx.post(f"{server}/api/ask", json={"question": "扎波罗热核电厂"}, timeout=120)
    assert answer.status_code == 200 and answer.json()["citations"]


def test_unknown_endpoints_and_methods_get_the_api_error_body(client):
    missing = client.get("/api/nope")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    for method, path, allowed in (("GET", "/api/ask", "POST"), ("POST", "/api/docs", "GET"),
                                  ("GET", "/v1/chat/completions", "POST")):
        wrong = client.request(method, path)
        assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed", path
        assert wrong.headers["allow"] == allowed


def test_an_unknown_document_filter_is_a_404_before_any_stream(client):
    for path in ("/api/ask", "/api/chat"):
        response = client.post(path, json={"question": "扎波罗热核电厂", "docs": ["nope"]})
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found", path
        assert "nope" in response.json()["error"]["message"]


def test_with_the_ui_mounted_unknown_api_paths_still_get_the_api_error_body(tmp_path, settings):
    """The UI is mounted at "/": without the API's own catch-all, these fell through to it."""
    from fastapi.testclient import TestClient

    from assistant.server import create_app
    from assistant.workspace import Workspace

    local = settings.model_copy(update={"data_dir": tmp_path / "data"})
    with TestClient(create_app(Workspace(local), ui=True), base_url="http://127.0.0.1:7860") as client:
        missing = client.get("/api/nope")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
        wrong = client.get("/api/ask")
        assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"
        assert client.get("/").status_code == 200  # the UI itself is still there
