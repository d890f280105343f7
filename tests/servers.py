"""Start real servers for tests: on 127.0.0.1, on a free port, and gone when the test run ends.

Each server gets PR_SET_PDEATHSIG, so it dies with the test process even when pytest itself is
killed and never reaches its teardown.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:
    ctypes.CDLL("libc.so.6").prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def wait_for(url: str, timeout: float, process: subprocess.Popen | None = None) -> None:
    """Until `url` answers; a server process that exits meanwhile fails at once, not at the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"the server exited with {process.returncode} before {url} answered") from None
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing answered at {url} within {timeout:.0f}s") from None
            time.sleep(0.3)


@contextlib.contextmanager
def running(command: list[str], health_url: str, log: Path, timeout: float = 60,
            env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent, env=env)
    try:
        try:
            wait_for(health_url, timeout, process)
        except RuntimeError as exc:  # say why: the last lines it logged
            raise RuntimeError(f"{exc}; {log} ends:\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:])) from None
        yield process
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


@contextlib.contextmanager
def chroma_server(path: Path) -> Iterator[str]:
    import shutil
    import sys

    chroma = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    with running(command, f"{url}/api/v2/heartbeat", path.parent / "chroma-server.log"):
        yield url


@contextlib.contextmanager
def redis_server(path: Path) -> Iterator[str]:
    """A real `redis-server` (Debian's package) on 127.0.0.1, persisting nothing; its URL."""
    import shutil

    import redis

    port = free_port()
    path.mkdir(parents=True, exist_ok=True)
    command = [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1",
               "--save", "", "--appendonly", "no", "--dir", str(path)]
    with open(path / "redis.log", "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
    try:
        client = redis.Redis(host="127.0.0.1", port=port)
        deadline = time.monotonic() + 30
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start; {path / 'redis.log'}") from None
                time.sleep(0.1)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        _stop(process)


@contextlib.contextmanager
def llama_server(gguf: Path, log: Path) -> Iterator[str]:
    """llama-cpp-python's own OpenAI-compatible server on the GGUF, as the README starts it; its /v1 URL."""
    import os
    import sys

    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1",
               "--port", str(port), "--n_ctx", "4096", "--model_alias", "paracite-llm"]
    # OMP_WAIT_POLICY=PASSIVE: llama.cpp's idle OpenMP threads otherwise spin on the cores.
    with running(command, f"{url}/models", log, timeout=120, env=dict(os.environ, OMP_WAIT_POLICY="PASSIVE")):
        yield url


def postgres_bindir() -> Path | None:
    """The newest of Debian's PostgreSQL server packages (its bin/ is off the PATH), or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


@contextlib.contextmanager
def postgres_server(path: Path) -> Iterator[str]:
    """A real PostgreSQL (Debian's package) on 127.0.0.1 in a fresh cluster, trusting every local
    client; the URL of its `postgres` database. The log is `path / "postgres.log"`."""
    import os
    import shutil
    import tempfile

    import psycopg

    bindir = postgres_bindir()
    if bindir is None:
        raise RuntimeError("no PostgreSQL under /usr/lib/postgresql (Debian's `postgresql` package)")
    path.mkdir(parents=True, exist_ok=True)
    # PostgreSQL refuses to run as root: then it runs as Debian's `postgres` user, and its data
    # directory cannot be under pytest's (mode 0700, root's own), so it is a fresh one in /tmp.
    user = "postgres" if os.getuid() == 0 else None
    data = Path(tempfile.mkdtemp(prefix="paracite-postgres-"))
    if user:
        shutil.chown(data, user, user)
    as_user = {"user": user, "group": user, "extra_groups": []} if user else {}
    port = free_port()
    log = path / "postgres.log"
    try:
        with open(log, "wb") as out:
            subprocess.run([str(bindir / "initdb"), "-D", str(data / "cluster"), "--auth=trust", "--username=paracite",
                            "--encoding=UTF8", "--no-locale", "--no-sync"],
                           stdout=out, stderr=subprocess.STDOUT, cwd=data, check=True, **as_user)
            # No Unix socket (its default directory may not be writable); fsync off: a test cluster.
            command = [str(bindir / "postgres"), "-D", str(data / "cluster"), "-p", str(port),
                       "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=off"]
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=data,
                                       preexec_fn=_die_with_parent, **as_user)
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    psycopg.connect(host="127.0.0.1", port=port, user="paracite", dbname="postgres").close()
                    break
                except psycopg.OperationalError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"postgres did not start; {log}") from None
                    time.sleep(0.1)
            yield f"postgresql+psycopg://paracite@127.0.0.1:{port}/postgres"
        finally:
            process.send_signal(signal.SIGINT)  # a fast shutdown: SIGTERM would wait for every client to leave
            _stop(process)
    finally:
        shutil.rmtree(data, ignore_errors=True)
