"""A bounded load test of `paracite serve` on 127.0.0.1: concurrent clients asking questions.

    .venv/bin/python benchmarks/load.py [--clients 50] [--requests 1000] [--distinct 20]
                                        [--endpoint ask|chat] [--url http://127.0.0.1:7860]

Without --url it starts its own server (extractive generator) on a free port over a temporary
copy of the demo corpus, with budgets high enough not to throttle itself. Questions come from
eval/npt/questions.jsonl: --distinct N cycles through the first N of them, which is how a widget
is used (its greeting's suggestions and common questions come again and again: answers are
cached per corpus version); --distinct 0 uses every question once before any repeats.
Prints throughput, latency percentiles and errors; exits 1 when any request failed.

--upload-mb N instead uploads one N MB text file (numbered paragraphs of demo sentences, as
`benchmarks/ingest.py` makes them) through the admin API and, for --upload-watch seconds, times
/healthz and /api/ask every half second: whether the server stays responsive while it parses and
embeds such a file. The upload is not waited for (50 MB embeds for hours on a CPU); stopping the
server leaves the store as it was, since a document is written whole or not at all.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import free_port, running  # noqa: E402


def questions(distinct: int) -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "eval/npt/questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    pool = [r["question"] for r in rows if not r.get("history")]
    return pool[:distinct] if distinct else pool


async def one(client: httpx.AsyncClient, endpoint: str, question: str) -> tuple[float, str | None]:
    started = time.perf_counter()
    try:
        if endpoint == "ask":
            response = await client.post("/api/ask", json={"question": question})
            ok = response.status_code == 200 and "answer" in response.json()
        else:
            async with client.stream("POST", "/api/chat", json={"question": question}) as response:
                body = b"".join([chunk async for chunk in response.aiter_bytes()])
            ok = response.status_code == 200 and b"event: done" in body
        return time.perf_counter() - started, None if ok else f"HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        return time.perf_counter() - started, type(exc).__name__


async def load(url: str, clients: int, requests: int, pool: list[str], endpoint: str) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(pool[i % len(pool)])
    results: list[tuple[float, str | None]] = []

    async def client_loop(client: httpx.AsyncClient) -> None:
        while True:
            try:
                question = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            results.append(await one(client, endpoint, question))

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        elapsed = time.perf_counter() - started

    latencies = sorted(t for t, _ in results)
    errors = [e for _, e in results if e]
    cut = statistics.quantiles(latencies, n=100)
    print(f"endpoint /api/{endpoint}: {clients} clients, {len(results)} requests, {len(pool)} distinct questions")
    print(f"  throughput {len(results) / elapsed:.1f} requests/s over {elapsed:.1f} s")
    print(f"  latency p50 {cut[49] * 1000:.0f} ms, p95 {cut[94] * 1000:.0f} ms, p99 {cut[98] * 1000:.0f} ms, "
          f"max {latencies[-1] * 1000:.0f} ms")
    print(f"  errors {len(errors)}" + (f": {sorted(set(errors))}" if errors else ""))
    if errors:
        raise SystemExit(1)


def watch_during_upload(url: str, megabytes: float, watch_s: float, work: Path, admin_key: str) -> None:
    import threading

    from benchmarks.ingest import big_file

    path = big_file(megabytes, work / f"big-{megabytes:g}mb.txt")
    uploaded: dict[str, object] = {}

    def upload() -> None:
        started = time.perf_counter()
        try:
            with path.open("rb") as f:
                response = httpx.post(f"{url}/api/admin/documents", files=[("files", (path.name, f, "text/plain"))],
                                      headers={"Authorization": f"Bearer {admin_key}"}, timeout=None)
            uploaded["status"] = response.status_code
        except httpx.HTTPError as exc:
            uploaded["status"] = type(exc).__name__
        uploaded["seconds"] = time.perf_counter() - started

    threading.Thread(target=upload, daemon=True).start()
    pool = questions(0)  # each asked once: an answer from the cache would say nothing about the load
    timings: dict[str, list[float]] = {"healthz": [], "ask": []}
    failures: list[str] = []
    deadline = time.monotonic() + watch_s
    with httpx.Client(base_url=url, timeout=60) as client:
        while time.monotonic() < deadline and "status" not in uploaded:
            for name, call in (("healthz", lambda: client.get("/healthz")),
                               ("ask", lambda: client.post("/api/ask", json={"question": pool[len(timings["ask"]) % len(pool)]}))):
                started = time.perf_counter()
                try:
                    response = call()
                    if response.status_code != 200:
                        failures.append(f"{name} HTTP {response.status_code}")
                except httpx.HTTPError as exc:
                    failures.append(f"{name} {type(exc).__name__}")
                timings[name].append(time.perf_counter() - started)
            time.sleep(0.5)
    print(f"during an admin upload of one {path.stat().st_size / 2**20:.1f} MB text file, watched for "
          f"{watch_s:.0f} s" + (f" (upload finished: {uploaded['status']} after {uploaded['seconds']:.0f} s)"
                                if "status" in uploaded else " (upload still running)"))
    for name, values in timings.items():
        values.sort()
        if values:
            p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
            print(f"  {name}: {len(values)} requests, p50 {statistics.median(values) * 1000:.0f} ms, "
                  f"p95 {p95 * 1000:.0f} ms, max {values[-1] * 1000:.0f} ms")
    print(f"  failures {len(failures)}" + (f": {sorted(set(failures))}" if failures else ""))
    if failures:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--distinct", type=int, default=20, help="distinct questions (0: all of the dev suite)")
    parser.add_argument("--endpoint", choices=["ask", "chat"], default="ask")
    parser.add_argument("--url", help="a running server; default: start one on the demo corpus")
    parser.add_argument("--rounds", type=int, default=1,
                        help="run the load this many times against the same server (the first from a cold cache)")
    parser.add_argument("--upload-mb", type=float, help="time the server during an admin upload of this size instead")
    parser.add_argument("--upload-watch", type=float, default=120, help="seconds to watch the upload for")
    args = parser.parse_args()
    pool = questions(args.distinct)
    if args.url and args.upload_mb:
        parser.error("--upload-mb starts its own server; leave out --url")
    if args.url:
        rounds(args.url, args, pool)
        return
    with tempfile.TemporaryDirectory(prefix="paracite-load-") as tmp:
        admin_key = "benchmark-admin-key"
        # Renderings of English answers (seconds each on the local model) are measured by
        # benchmarks/renderings.py; here they are off unless asked for.
        env = dict(os.environ, PARACITE_DATA_DIR=str(Path(tmp) / "data"), PARACITE_GENERATOR="extractive",
                   PARACITE_RATE_LIMIT_IP="1000000/minute", PARACITE_ADMIN_KEY=admin_key,
                   PARACITE_TRANSLATOR=os.environ.get("PARACITE_TRANSLATOR", "none"))
        paracite = [sys.executable, "-m", "assistant"]
        subprocess.run([*paracite, "ingest", *map(str, sorted((ROOT / "corpus").glob("*.txt")))], env=env,
                       check=True, capture_output=True)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with running([*paracite, "serve", "--port", str(port)], f"{url}/healthz", Path(tmp) / "serve.log",
                     timeout=180, env=env) as server:
            if args.upload_mb:
                watch_during_upload(url, args.upload_mb, args.upload_watch, Path(tmp), admin_key)
            else:
                rounds(url, args, pool, server.pid)


def rss_mib(pid: int) -> float:
    """The server's resident memory now (Linux), to tell bounded growth from a leak across rounds."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rounds(url: str, args, pool: list[str], pid: int | None = None) -> None:
    if pid:
        print(f"server RSS after start: {rss_mib(pid):.0f} MiB")
    for number in range(1, args.rounds + 1):
        print(f"round {number} of {args.rounds}" + (" (answers cached by earlier rounds)" if number > 1 else ""))
        asyncio.run(load(url, args.clients, args.requests, pool, args.endpoint))
        if pid:
            print(f"  server RSS after the round: {rss_mib(pid):.0f} MiB")


if __name__ == "__main__":
    main()
