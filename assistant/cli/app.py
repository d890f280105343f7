"""What every `paracite` command shares: the Typer apps, the consoles, progress bars and the
options several commands take."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn

from ..settings import GENERATORS, TRANSLATORS, one_of

app = typer.Typer(
    name="paracite",
    help="Answers questions about documents and cites the numbered paragraph for every statement.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
models_app = typer.Typer(help="The local models (embedding model, optional LLM).", no_args_is_help=True)
app.add_typer(models_app, name="models")
sites_app = typer.Typer(help="Websites that embed the chat widget.", no_args_is_help=True)
app.add_typer(sites_app, name="sites")
feedback_app = typer.Typer(help="Thumbs up and down given in the chat UI.", no_args_is_help=True)
app.add_typer(feedback_app, name="feedback")

out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, soft_wrap=True)


def print_json(value) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def progress_bar(what: str, as_json: bool, count: ProgressColumn | None = None) -> Progress:
    return Progress(TextColumn(what), BarColumn(), count or MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=True, disable=as_json or not err.is_terminal)


def read_questions(path: Path) -> list[dict]:
    from vectorstore.errors import InputError

    from .. import jsonl

    questions = []
    for line_no, item in jsonl.objects(path):
        if not isinstance(item.get("question"), str) or not item["question"].strip():
            raise InputError(f'{path}:{line_no}: each line needs a non-empty "question" string')
        questions.append(item)
    return questions


Generator = Annotated[
    Optional[str],
    typer.Option("--generator", "-g", help=f"{one_of(GENERATORS)} (default: extractive, offline)."),
]


Translator = Annotated[
    Optional[str],
    typer.Option("--translator", "-t", help=f"Renders quotes into the question's language: {one_of(TRANSLATORS)} "
                 "(default: auto, or PARACITE_TRANSLATOR)."),
]


def output_file(option: str, path: Path | None) -> None:
    """A file we can write later: its folder is made now; a folder in its place is refused."""
    from vectorstore.errors import InputError

    if path is None:
        return
    if path.is_dir():
        raise InputError(f"{option} {path}: is a folder; give a file name")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{option} {path}: cannot make its folder ({exc.strerror})") from None
