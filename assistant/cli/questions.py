"""`paracite retrieve`, `ask` and `chat`: questions answered in the terminal or as JSON lines."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from vectorstore.errors import ParaciteError

from .. import services
from ..answers import compose_text, marker
from ..settings import GENERATORS, TRANSLATORS, Settings, one_of
from ..translation import MACHINE_TRANSLATION
from .app import Generator, Translator, app, err, out, read_questions

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

    from ..answering import check_question

    if (query is None) == (jsonl is None):
        raise InputError("give either a question or --jsonl FILE")
    questions = [{"question": query}] if query is not None else read_questions(jsonl)
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

    from ..answering import check_question

    if (question is None) == (jsonl is None):
        raise InputError("give either a question or --jsonl FILE")
    items = [{"question": question}] if question is not None else read_questions(jsonl)
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
    from ..answering import Done, Lead, Removed, RenderingReady, SentenceReady, Standalone

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
