"""A bounded load test of `paracite serve` on 127.0.0.1: concurrent clients asking questions,
against one replica and against two, side by side, from a cold answer cache and a warm one.

    .venv/bin/python benchmarks/load.py [--clients 50] [--requests 1000] [--replicas 1 2]
                                        [--max-concurrent N] [--endpoint ask|chat]
    .venv/bin/python benchmarks/load.py --url http://127.0.0.1:7860 [--distinct 20] [--rounds 2]
    .venv/bin/python benchmarks/load.py --upload-mb 50

Without --url it starts one real `chroma run` and one real `redis-server`, ingests the demo
corpus into that Chroma once, and then, for each count of --replicas in turn, that many
`paracite serve` (extractive generator, budgets high enough not to throttle itself), each with
its own data directory and all sharing PARACITE_CHROMA_URL and PARACITE_REDIS_URL, as on
separate machines. A single replica runs over the same Chroma and Redis, so the replica count is
the only difference between the configurations. One client pool spreads its requests over the
replicas round-robin, as a proxy in front of them would. The answer cache is left at
PARACITE_ANSWER_CACHE=auto, which is Redis here: an answer one replica gave is reused by the other.

Each configuration starts with Redis flushed and runs --rounds passes (default 2): the first,
"cold", asks every question of eval/npt/questions.jsonl once (--distinct N: the first N; at most
--requests), so every answer is computed; each later one, "warm", makes --requests requests over
the same questions, now all in the cache. Prints one table, configuration by phase: requests,
errors, throughput, latency percentiles, the answers cached in Redis and the replicas' resident
memory; exits 1 when any request failed. The replicas share this machine's cores, so two
replicas on one machine measure the shared cache and the split of work, not added capacity.
Other PARACITE_ settings of this environment reach the servers (PARACITE_ANSWERABILITY=similarity:
no local LLM for unsure questions).

--url measures a server already running instead (--distinct N cycles through the first N
questions, default 20, which is how a widget is used: its suggestions come again and again).

--upload-mb N instead starts one server over a temporary copy of the demo corpus (embedded
store), uploads one N MB text file (numbered paragraphs of demo sentences, as
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
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import chroma_server, free_port, redis_server, running  # noqa: E402

PARACITE = [sys.executable, "-m", "assistant"]
ADMIN_KEY = "benchmark-admin-key"


def questions(distinct: int) -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "eval/npt/questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    pool = [r["question"] for r in rows if not r.get("history")]
    return pool[:distinct] if distinct else pool


def server_env(**paracite: str) -> dict[str, str]:
    """This environment with the benchmark's settings: `paracite` maps setting names to values."""
    # Renderings of English answers (seconds each on the local model) are measured by
    # benchmarks/renderings.py; here they are off unless asked for.
    return dict(os.environ, PARACITE_GENERATOR="extractive", PARACITE_RATE_LIMIT_IP="1000000/minute",
                PARACITE_ADMIN_KEY=ADMIN_KEY, PARACITE_TRANSLATOR=os.environ.get("PARACITE_TRANSLATOR", "none"),
                **{f"PARACITE_{name.upper()}": value for name, value in paracite.items()})


@dataclass
class Result:
    latencies: list[float]  # sorted, seconds
    errors: list[str]
    elapsed: float

    def percentile(self, p: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else float("nan")
        # inclusive: within the latencies measured; the default extrapolates past the slowest
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]


async def one(client: httpx.AsyncClient, url: str, endpoint: str, question: str) -> tuple[float, str | None]:
    started = time.perf_counter()
    try:
        if endpoint == "ask":
            response = await client.post(f"{url}/api/ask", json={"question": question})
            ok = response.status_code == 200 and "answer" in response.json()
        else:
            async with client.stream("POST", f"{url}/api/chat", json={"question": question}) as response:
                body = b"".join([chunk async for chunk in response.aiter_bytes()])
            ok = response.status_code == 200 and b"event: done" in body
        return time.perf_counter() - started, None if ok else f"HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        return time.perf_counter() - started, type(exc).__name__


async def load(urls: list[str], clients: int, asks: list[str], endpoint: str, first: int = 0) -> Result:
    """`asks` by `clients` concurrent clients; request i goes to replica (first + i) mod len(urls)."""
    queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
    for item in enumerate(asks):
        queue.put_nowait(item)
    results: list[tuple[float, str | None]] = []

    async def client_loop(client: httpx.AsyncClient) -> None:
        while True:
            try:
                i, question = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            results.append(await one(client, urls[(first + i) % len(urls)], endpoint, question))

    # A connection per client and replica: the wait measured is the servers', not the pool's.
    size = clients * len(urls)
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=size, max_keepalive_connections=size)) as client:
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return Result(sorted(t for t, _ in results), [e for _, e in results if e], elapsed)


def report(result: Result, endpoint: str, clients: int, distinct: int) -> None:
    print(f"endpoint /api/{endpoint}: {clients} clients, {len(result.latencies)} requests, {distinct} distinct questions")
    print(f"  throughput {len(result.latencies) / result.elapsed:.1f} requests/s over {result.elapsed:.1f} s")
    print(f"  latency p50 {result.percentile(50) * 1000:.0f} ms, p95 {result.percentile(95) * 1000:.0f} ms, "
          f"p99 {result.percentile(99) * 1000:.0f} ms, max {result.latencies[-1] * 1000:.0f} ms")
    print(f"  errors {len(result.errors)}" + (f": {sorted(set(result.errors))}" if result.errors else ""))


def compare_replicas(args, pool: list[str]) -> None:
    import redis

    from assistant.answer_cache import REDIS_PREFIX

    cold = pool[:args.requests]
    warm = [cold[i % len(cold)] for i in range(args.requests)]
    phases = [("cold", cold)] + [("warm" if n == 2 else f"warm {n - 1}", warm) for n in range(2, args.rounds + 1)]
    rows: list[tuple[str, str, Result, int, str]] = []
    busy = os.getloadavg()[0]  # other work on the machine skews every number
    with tempfile.TemporaryDirectory(prefix="paracite-load-") as tmp, ExitStack() as stack:
        root = Path(tmp)
        (root / "chroma").mkdir()
        chroma = stack.enter_context(chroma_server(root / "chroma" / "data"))
        redis_url = stack.enter_context(redis_server(root / "redis"))
        shared = server_env(chroma_url=chroma, redis_url=redis_url, data_dir=str(root / "ingest"))
        if args.max_concurrent:
            shared["PARACITE_MAX_CONCURRENT_ANSWERS"] = str(args.max_concurrent)
        subprocess.run([*PARACITE, "ingest", *map(str, sorted((ROOT / "corpus").glob("*.txt")))], env=shared,
                       check=True, capture_output=True)
        cache = redis.Redis.from_url(redis_url)
        for count in args.replicas:
            configuration = f"{count} replica" + ("s" if count > 1 else "")
            cache.flushdb()  # each configuration starts cold: no answers from the one before
            with ExitStack() as replicas:
                urls, pids = [], []
                for n in range(count):
                    port = free_port()
                    url = f"http://127.0.0.1:{port}"
                    env = shared | {"PARACITE_DATA_DIR": str(root / f"replica-{count}-{n}")}
                    server = replicas.enter_context(running([*PARACITE, "serve", "--port", str(port)], f"{url}/healthz",
                                                            root / f"serve-{count}-{n}.log", timeout=180, env=env))
                    urls.append(url)
                    pids.append(server.pid)
                for number, (phase, asks) in enumerate(phases):
                    # A warm pass starts the round-robin one replica on, so with two replicas each
                    # question first comes back to the replica that did not answer it cold: fast
                    # only when the cache is shared.
                    result = asyncio.run(load(urls, args.clients, asks, args.endpoint, first=number))
                    cached = sum(1 for _ in cache.scan_iter(match=f"{REDIS_PREFIX}*", count=1000))
                    rss = "/".join(f"{rss_mib(pid):.0f}" for pid in pids)
                    rows.append((configuration, phase, result, cached, rss))
                    print(f"{configuration}, {phase}: {len(result.latencies)} requests in {result.elapsed:.1f} s, "
                          f"{len(result.errors)} errors", flush=True)
    table(rows, args, len(cold), busy)
    if any(result.errors for _, _, result, _, _ in rows):
        raise SystemExit(1)


def table(rows, args, distinct: int, busy: float) -> None:
    concurrent = (f"{args.max_concurrent} (--max-concurrent)" if args.max_concurrent
                  else f"{os.cpu_count()} (the CPU count, PARACITE_MAX_CONCURRENT_ANSWERS unset)")
    print(f"\n/api/{args.endpoint}, {args.clients} clients; cold: {distinct} distinct questions, each asked once; "
          f"warm: {args.requests} requests over the same questions")
    print("replicas over one `chroma run` and one redis-server (answer cache auto: Redis), round-robin per request")
    print(f"answers computed at once per replica: {concurrent}; answerability "
          f"{os.environ.get('PARACITE_ANSWERABILITY', 'auto')}; {os.cpu_count()} cores, load average {busy:.1f} before the start")
    header = ("configuration", "phase", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms",
              "cached", "RSS MiB")
    lines = [header] + [
        (configuration, phase, str(len(r.latencies)), str(len(r.errors)), f"{len(r.latencies) / r.elapsed:.1f}",
         *(f"{r.percentile(p) * 1000:.0f}" for p in (50, 95, 99)), f"{r.latencies[-1] * 1000:.0f}", str(cached), rss)
        for configuration, phase, r, cached, rss in rows
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print("  ".join(cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths))))
    for configuration, phase, r, _, _ in rows:
        if r.errors:
            print(f"errors in {configuration}, {phase}: {sorted(set(r.errors))}")


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


def upload_test(args) -> None:
    with tempfile.TemporaryDirectory(prefix="paracite-load-") as tmp:
        env = server_env(data_dir=str(Path(tmp) / "data"))
        if args.max_concurrent:
            env["PARACITE_MAX_CONCURRENT_ANSWERS"] = str(args.max_concurrent)
        subprocess.run([*PARACITE, "ingest", *map(str, sorted((ROOT / "corpus").glob("*.txt")))], env=env,
                       check=True, capture_output=True)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        with running([*PARACITE, "serve", "--port", str(port)], f"{url}/healthz", Path(tmp) / "serve.log",
                     timeout=180, env=env):
            watch_during_upload(url, args.upload_mb, args.upload_watch, Path(tmp), ADMIN_KEY)


def rss_mib(pid: int) -> float:
    """A server's resident memory now (Linux), to tell bounded growth from a leak across rounds."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rounds(url: str, args, pool: list[str]) -> None:
    asks = [pool[i % len(pool)] for i in range(args.requests)]
    failed = False
    for number in range(1, args.rounds + 1):
        print(f"round {number} of {args.rounds}" + (" (answers cached by earlier rounds)" if number > 1 else ""))
        result = asyncio.run(load([url], args.clients, asks, args.endpoint))
        report(result, args.endpoint, args.clients, len(pool))
        failed = failed or bool(result.errors)
    if failed:
        raise SystemExit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=1000,
                        help="requests per round (the cold round: at most this many distinct questions)")
    parser.add_argument("--distinct", type=int,
                        help="distinct questions, 0: all of the dev suite (default: all; with --url, 20)")
    parser.add_argument("--endpoint", choices=["ask", "chat"], default="ask")
    parser.add_argument("--url", help="a running server; default: start the replicas on the demo corpus")
    parser.add_argument("--replicas", type=int, nargs="+", metavar="N",
                        help="replica counts to compare, each in turn (default: 1 2)")
    parser.add_argument("--max-concurrent", type=int, metavar="N",
                        help="PARACITE_MAX_CONCURRENT_ANSWERS of each started server (default: its CPU count)")
    parser.add_argument("--rounds", type=int,
                        help="run the load this many times against the same servers, the first from a cold cache "
                             "(default: 2 on started replicas, 1 with --url)")
    parser.add_argument("--upload-mb", type=float, help="time the server during an admin upload of this size instead")
    parser.add_argument("--upload-watch", type=float, default=120, help="seconds to watch the upload for")
    args = parser.parse_args()
    if args.url and (args.upload_mb or args.replicas or args.max_concurrent):
        parser.error("--upload-mb, --replicas and --max-concurrent start their own servers; leave out --url")
    if args.upload_mb and args.replicas:
        parser.error("--upload-mb starts one server; leave out --replicas")
    if args.replicas and min(args.replicas) < 1:
        parser.error("--replicas: each count is at least 1")
    if args.url:
        args.rounds = args.rounds or 1
        rounds(args.url, args, questions(20 if args.distinct is None else args.distinct))
    elif args.upload_mb:
        upload_test(args)
    else:
        args.replicas = args.replicas or [1, 2]
        args.rounds = args.rounds or 2
        compare_replicas(args, questions(args.distinct or 0))


if __name__ == "__main__":
    main()
