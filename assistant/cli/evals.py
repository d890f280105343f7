"""`paracite eval`: run a suite, print and write its report, exit 100 when a threshold does not hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from vectorstore.errors import ParaciteError

from .. import services
from ..settings import JUDGES, TRANSLATORS, Settings, one_of
from .app import Generator, Translator, app, err, out, output_file, progress_bar

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

    from .. import evaluation, reports, suites

    if judge is not None and judge not in JUDGES:
        raise InputError(f"unknown judge {judge!r}: use {one_of(JUDGES)}")
    # Checked now: the files are written after every question has run, which can take an hour.
    for option, path in (("--junit", junit), ("--json", json_out), ("--report", report), ("--save-answers", save_answers)):
        output_file(option, path)
    the_suite = suites.load_suite(suite)
    thresholds = suites.override_thresholds(the_suite.thresholds, threshold or [])
    the_suite.check_facts()
    settings = Settings()
    if translator is not None:
        if translator not in TRANSLATORS:
            raise InputError(f"unknown translator {translator!r}: use {one_of(TRANSLATORS)}")
        settings = settings.model_copy(update={"translator": translator})
    if calibrate_judge:
        _calibrate(the_suite, settings, judge, json_out)
        return

    questions = the_suite.questions if sample_n is None else suites.sample(the_suite.questions, sample_n)
    produced = suites.read_answers(answers) if answers is not None else None
    with progress_bar("answering", as_json=produced is not None) as progress:
        task = progress.add_task("answer", total=len(questions))
        the_report = evaluation.run_suite(the_suite, questions, settings, judge, generator, produced, thresholds,
                                          on_answer=lambda: progress.advance(task))
    if save_answers and produced is None:
        save_answers.write_text("".join(json.dumps(r.answer, ensure_ascii=False) + "\n"
                                        for r in the_report.results if r.answer is not None), encoding="utf-8")
    reports.console(the_report, out)
    if json_out:
        reports.write_json(the_report, json_out)
    if junit:
        reports.write_junit(the_report, junit)
    if report:
        reports.write_html(the_report, report, the_suite.paragraphs(), the_suite.titles())
    missed = the_report.failed_thresholds
    if missed:
        for name in missed:
            err.print(f"[red]threshold missed[/]: {name} = {the_report.metrics[name]:.3f}, "
                      f"needs {reports.threshold_text(the_report, name)}", highlight=False)
        raise typer.Exit(EXIT_THRESHOLD_MISSED)


def _calibrate(suite, settings, judge_name, json_out) -> None:
    from vectorstore.errors import InputError

    from .. import evaluation, suites

    if suite.judge_pairs is None:
        raise InputError(f"{suite.root / 'suite.toml'}: no judge_pairs to calibrate on")
    pairs = suites.read_pairs(suite.judge_pairs, suite.paragraphs())
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
