"""Two `paracite serve` replicas behaving as one service: a real `chroma run` holds the
documents, a real `redis-server` the answer budgets, and the widget sites file is shared; each
replica has its own data directory, as on two machines."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from contextlib import ExitStack

import httpx
import pytest

from .conftest import CORPUS, DOC_2007
from .servers import chroma_server, free_port, redis_server, running

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs Debian's redis-server (`make test` installs it)"),
]

ADMIN_KEY = "replica-admin-key"
SITE = "shared-site"
ORIGIN = "http://127.0.0.1:9"  # only its name matters
PARACITE = [sys.executable, "-m", "assistant"]


@pytest.fixture(scope="module")
def replicas(tmp_path_factory, settings):
    """(URL of replica A, URL of replica B, the environment they share but their data directories)."""
    root = tmp_path_factory.mktemp("replicas")
    with ExitStack() as stack:
        (root / "chroma").mkdir()
        chroma = stack.enter_context(chroma_server(root / "chroma" / "data"))
        redis = stack.enter_context(redis_server(root / "redis"))
        shared = {k: v for k, v in os.environ.items() if not k.startswith("PARACITE_")} | {
            "PARACITE_CACHE_DIR": str(settings.cache_dir), "PARACITE_CHROMA_URL": chroma,
            "PARACITE_REDIS_URL": redis, "PARACITE_SITES_FILE": str(root / "sites.toml"),
            "PARACITE_ADMIN_KEY": ADMIN_KEY, "PARACITE_SERVE_UI": "false",
            "PARACITE_RATE_LIMIT_IP": "1000/minute", "PARACITE_DATA_DIR": str(root / "ingest"),
        }
        subprocess.run([*PARACITE, "ingest", str(CORPUS / f"{DOC_2007}.txt")], env=shared, check=True,
                       capture_output=True)
        subprocess.run([*PARACITE, "sites", "add", SITE, "--origin", ORIGIN, "--rate", "3/minute"], env=shared,
                       check=True, capture_output=True)
        urls = []
        for name in ("a", "b"):
            port = free_port()
            env = shared | {"PARACITE_DATA_DIR": str(root / name)}
            url = f"http://127.0.0.1:{port}"
            stack.enter_context(running([*PARACITE, "serve", "--port", str(port)], f"{url}/healthz",
                                        root / f"serve-{name}.log", timeout=180, env=env))
            urls.append(url)
        yield urls[0], urls[1], shared


def test_a_sites_budget_is_one_budget_across_replicas(replicas):
    a, b, _ = replicas
    headers = {"Origin": ORIGIN, "X-Paracite-Site": SITE}
    body = {"question": "2007年的工作文件对伊朗核计划表示了什么？"}
    with httpx.Client(timeout=120) as client:
        statuses = [client.post(f"{url}/api/ask", json=body, headers=headers).status_code for url in (a, b, a)]
        assert statuses == [200, 200, 200]
        for url in (b, a):  # spent: on either replica
            refused = client.post(f"{url}/api/ask", json=body, headers=headers)
            assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
            assert refused.json()["error"]["code"] == "rate_limited"


def test_a_document_added_on_one_replica_is_answered_from_by_the_other_and_deleted_from_both(replicas):
    a, b, _ = replicas
    question = {"question": "蓝鲸保护区设在哪里？"}
    auth = {"Authorization": f"Bearer {ADMIN_KEY}"}
    text = "1. 蓝鲸保护区设在北冰洋，由海洋委员会管理。\n\n2. 保护区每年开放三个月供科学考察。\n".encode()
    with httpx.Client(timeout=180) as client:
        assert client.post(f"{b}/api/ask", json=question).json()["refused"]  # B, before: not in the documents
        added = client.post(f"{a}/api/admin/documents", headers=auth,
                            files={"files": ("blue-whale-act.txt", text, "text/plain")})
        assert added.status_code == 200, added.text
        answer = client.post(f"{b}/api/ask", json=question).json()
        assert ("blue-whale-act", 1) in {(c["doc"], c["paragraph"]) for c in answer["citations"]}
        assert "blue-whale-act" in {d["doc"] for d in client.get(f"{b}/api/docs").json()}
        assert client.delete(f"{a}/api/admin/documents/blue-whale-act", headers=auth).status_code == 200
        for url in (a, b):
            after = client.post(f"{url}/api/ask", json=question).json()
            assert after["refused"] and not after["citations"], url


def test_a_redis_that_cannot_be_reached_stops_the_server_with_a_clear_message(replicas):
    _, _, shared = replicas
    env = shared | {"PARACITE_REDIS_URL": "redis://127.0.0.1:9/0"}
    result = subprocess.run([*PARACITE, "serve", "--port", str(free_port())], env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 5
    assert "cannot reach Redis at redis://127.0.0.1:9/0 for the answer budgets" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_replica_killed_mid_answer_leaves_the_others_answering(replicas, tmp_path):
    _, b, shared = replicas
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = shared | {"PARACITE_DATA_DIR": str(tmp_path / "c")}
    body = {"question": "2007年的工作文件对朝鲜核计划表示了什么？"}
    with running([*PARACITE, "serve", "--port", str(port)], f"{url}/healthz", tmp_path / "serve-c.log",
                 timeout=180, env=env) as replica:
        with httpx.Client(timeout=120) as client, client.stream("POST", f"{url}/api/chat", json=body) as stream:
            assert stream.status_code == 200
            lines = stream.iter_lines()
            assert next(lines).startswith("event:")  # the answer is on its way
            replica.kill()
            try:
                for _ in lines:  # cut short, unless the answer was all sent already
                    pass
            except httpx.HTTPError:
                pass
            replica.wait(10)
            assert replica.returncode is not None
    with httpx.Client(timeout=120) as client:
        answer = client.post(f"{b}/api/ask", json=body).json()
    assert (DOC_2007, 38) in {(c["doc"], c["paragraph"]) for c in answer["citations"]}


def test_an_answer_given_by_one_replica_is_replayed_by_the_other_from_redis(replicas):
    import redis

    a, b, shared = replicas
    client = redis.Redis.from_url(shared["PARACITE_REDIS_URL"])
    body = {"question": "What did the 2007 working paper say about the DPRK?"}
    with httpx.Client(timeout=120) as http:
        first = http.post(f"{a}/api/ask", json=body).json()
        assert first["status"] == "answered"
        keys = [k for k in client.keys("paracite:answer:*") if json.loads(client.get(k))["question"] == body["question"]]
        assert len(keys) == 1
        # A value planted in the shared entry shows that B read A's answer rather than answering anew.
        planted = json.loads(client.get(keys[0]))
        planted["lead"] = "Planted lead:"
        client.set(keys[0], json.dumps(planted, ensure_ascii=False))
        second = http.post(f"{b}/api/ask", json=body).json()
        assert second["lead"] == "Planted lead:" and second["answer"].startswith("Planted lead: ")
        assert second["citations"] == first["citations"] and second["sentences"] == first["sentences"]
        client.delete(keys[0])


def test_the_chat_uis_conversation_key_is_one_key_across_replicas(replicas, tmp_path):
    from assistant.settings import Settings
    from assistant.ui.access import browser_secret

    _, _, shared = replicas
    keys = {browser_secret(Settings(data_dir=tmp_path / name, redis_url=shared["PARACITE_REDIS_URL"]))
            for name in ("a", "b")}
    assert len(keys) == 1 and len(keys.pop()) >= 32
    assert not (tmp_path / "a" / "ui-secret").exists()  # not one per data directory
