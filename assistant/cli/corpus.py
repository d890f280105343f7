"""`paracite ingest`, `docs`, `show` and `delete`: the documents in the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import DownloadColumn
from rich.table import Table

from vectorstore.readers import SUPPORTED_SUFFIXES

from .. import services
from ..settings import Settings
from .app import app, err, out, print_json, progress_bar

@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(help="Documents: " + " ".join(SUPPORTED_SUFFIXES))],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    title_en: Annotated[Optional[str], typer.Option("--title-en", help="The document's English title (one file).")] = None,
    title_zh: Annotated[Optional[str], typer.Option("--title-zh", help="The document's Chinese title (one file).")] = None,
) -> None:
    """Split documents into their numbered paragraphs, embed them, and store them.

    A title per language comes from --title-en/--title-zh, or from NAME.titles.toml beside the file
    (en = "…"); answers show the title in the question's language."""
    from vectorstore.errors import InputError
    from vectorstore.ingest import read_all, work_units

    titles = {language: title for language, title in (("en", title_en), ("zh", title_zh)) if title is not None}
    if titles and len(files) != 1:
        raise InputError("--title-en and --title-zh name the title of one file; give one file, or a NAME.titles.toml "
                         "beside each")
    settings = Settings()
    with progress_bar("{task.description}", as_json, DownloadColumn()) as progress:
        # A big file takes seconds to parse, as long as a small one takes to embed: the bar names
        # the file being read and moves by bytes, so a 50 MB file is not a frozen "0/1".
        sizes = {path: _size(path) for path in files}
        task = progress.add_task("reading", total=sum(sizes.values()) or None)
        read_bytes = 0

        def reading(path: Path) -> None:
            nonlocal read_bytes
            progress.update(task, completed=read_bytes, description=f"reading {path.name}")
            read_bytes += sizes.get(path, 0)

        documents = read_all(files, reading, titles)  # all checked before anything is written
    for document in documents:
        for warning in document.warnings:
            err.print(f"[yellow]warning[/]: {document.doc_id}: {warning}")
    with services.owning_the_store(settings):
        total = work_units(documents)
        with progress_bar("embedding", as_json) as progress:
            task = progress.add_task("embed", total=total)
            results = services.ingest_documents(settings, documents, lambda n: progress.advance(task, n))
    if as_json:
        print_json([r.as_json() for r in results])
        return
    for r in results:
        count = len(r.document.paragraphs)
        out.print(
            f"{r.document.doc_id}  {r.document.title}  {count} paragraph{'s' if count != 1 else ''} "
            f"({r.document.numbering})  {r.status}",
            highlight=False,
        )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # reading it will say what is wrong
        return 0


@app.command()
def docs(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the documents in the store."""
    infos = services.store(Settings()).documents()
    if as_json:
        print_json([info.as_json() for info in infos])
        return
    table = Table("id", "title", "paragraphs", "numbering", "source hash", "ingested at")
    for info in infos:
        table.add_row(info.doc_id, info.title, str(info.paragraphs), info.numbering,
                      info.source_hash[:12], info.ingested_at)
    out.print(table)


@app.command()
def show(
    doc: Annotated[str, typer.Argument(help="Document id (the file name without extension).")],
    paragraph: Annotated[Optional[int], typer.Argument(help="Paragraph number; all when omitted.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Print a paragraph, or a whole document, as printed."""
    from vectorstore.errors import NotFoundError

    store = services.store(Settings())
    info = store.document(doc)
    paragraphs = store.paragraphs(doc)
    if paragraph is not None:  # every paragraph printed with that number: a document may repeat one
        paragraphs = [p for p in paragraphs if p.number == paragraph]
        if not paragraphs:
            raise NotFoundError(f"{doc} has no paragraph {paragraph}")
    if as_json:
        print_json({
            "doc": info.doc_id, "title": info.title, "numbering": info.numbering,
            "paragraphs": [{"paragraph": p.number, "text": p.text} for p in paragraphs],
        })
        return
    for p in paragraphs:
        out.print(f"{p.number}. {p.text}", highlight=False, markup=False)


@app.command()
def delete(doc: Annotated[str, typer.Argument(help="Document id.")]) -> None:
    """Remove a document and all its paragraphs from the store."""
    settings = Settings()
    with services.owning_the_store(settings):
        services.delete_document(settings, doc)
    out.print(f"deleted {doc}", highlight=False)
