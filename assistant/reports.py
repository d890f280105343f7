"""Eval reports: a console table, JSON, JUnit XML (one test case per question) and an HTML page.

Everything in the HTML comes from answers and documents, so all of it is escaped (Jinja2
autoescape); the only markup is the template's own.
"""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from rich.console import Console
from rich.table import Table

from vectorstore.quotes import printed_span

from .answers import MARKER
from .evaluation import METRICS, Report


def _fmt(value: float) -> str:
    return "n/a" if value != value else f"{value:.3f}"


def threshold_text(report: Report, name: str) -> str:
    if name not in report.thresholds:
        return ""
    direction, value = report.thresholds[name]
    return f"{'≥' if direction == 'min' else '≤'} {value:g}"


def console(report: Report, out: Console) -> None:
    table = Table("metric", "measured", "threshold", "status", title=f"{report.suite}: {report.generator} generator, {report.judge} judge")
    for name in METRICS:
        holds = report.holds(name)
        status = {True: "[green]pass[/]", False: "[red]FAIL[/]", None: "[dim]-[/]"}[holds]
        table.add_row(name, _fmt(report.metrics.get(name, float("nan"))), threshold_text(report, name), status)
    out.print(table)
    columns = {"recall@1": "recall_at_1", "gold hit": "gold_hit", "complete": "answer_complete",
               "fact recall": "fact_recall", "fact prec.": "fact_precision", "language": "language_match",
               "refusal": "refusal_accuracy", "false refusal": "false_refusal_rate",
               "unanswered as answer": "unanswered_as_answer", "ALCE recall": "alce_recall"}
    groups = Table("group", "questions", *columns, title="by language and kind")
    for group, values in report.breakdown.items():
        groups.add_row(group, str(values["questions"]), *(_fmt(values.get(k, float("nan"))) for k in columns.values()))
    out.print(groups)
    missed = [(r.question["id"], f.removeprefix("fact_recall: missed fact ")) for r in report.results
              for f in r.failures if f.startswith("fact_recall: ")]
    if missed:
        out.print(f"Missed key facts ({len(missed)}):", highlight=False)
        for qid, fact in missed:
            out.print(f"  {qid}  {fact}", highlight=False, markup=False)
    failed = [r for r in report.results if not r.passed]
    out.print(f"{len(report.results) - len(failed)} of {len(report.results)} questions passed every check.", highlight=False)


def write_json(report: Report, path: Path) -> None:
    path.write_text(json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_junit(report: Report, path: Path) -> None:
    """One test case per question; a failure names the metric and why. The thresholds are a
    test case of their own, so a CI page shows a missed threshold even when every question passed."""
    suite = ET.Element("testsuite", name=f"paracite-eval-{report.suite}", tests=str(len(report.results) + 1))
    failures = 0
    for result in report.results:
        q = result.question
        case = ET.SubElement(suite, "testcase", classname=f"{report.suite}.{q.get('kind', 'question')}", name=str(q["id"]))
        if result.failures:
            failures += 1
            failure = ET.SubElement(case, "failure", message=result.failures[0][:200], type=result.failures[0].split(":")[0])
            failure.text = f"question: {q['question']}\n" + "\n".join(result.failures)
        ET.SubElement(case, "system-out").text = json.dumps(result.answer, ensure_ascii=False)[:20000] if result.answer else ""
    case = ET.SubElement(suite, "testcase", classname=f"{report.suite}.thresholds", name="thresholds")
    missed = report.failed_thresholds
    if missed:
        failures += 1
        failure = ET.SubElement(case, "failure", message=f"missed: {', '.join(missed)}", type="threshold")
        failure.text = "\n".join(
            f"{name}: measured {_fmt(report.metrics[name])}, threshold {threshold_text(report, name)}" for name in missed)
    suite.set("failures", str(failures))
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)


def write_html(report: Report, path: Path, paragraphs: dict[tuple[str, int], str], titles: dict[str, str]) -> None:
    env = Environment(loader=PackageLoader("assistant", "templates"), autoescape=select_autoescape(["html", "j2"]))
    summary, chart = [], []
    for name in METRICS:
        measured = report.metrics.get(name, float("nan"))
        holds = report.holds(name)
        summary.append({"name": name, "measured": _fmt(measured), "threshold": threshold_text(report, name), "holds": holds})
        if measured == measured:
            threshold = report.thresholds.get(name, (None, None))[1]
            chart.append({"name": name, "value": max(0.0, min(1.0, measured)), "holds": holds,
                          "threshold": None if threshold is None else max(0.0, min(1.0, threshold))})
    questions = [_question_view(r, paragraphs, titles) for r in report.results]
    html = env.get_template("report.html.j2").render(
        report=report, summary=summary, chart=chart, questions=questions,
        passed=sum(r.passed for r in report.results),
        created=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        breakdown_metrics=["recall_at_1", "recall_at_5", "gold_hit", "answer_complete", "fact_recall", "fact_precision",
                           "language_match", "refusal_accuracy", "false_refusal_rate", "unanswered_as_answer",
                           "text_consistent", "citation_validity", "quote_match", "alce_recall", "alce_precision"],
    )
    path.write_text(html, encoding="utf-8")


def _question_view(result, paragraphs, titles) -> dict:
    q, answer = result.question, result.answer or {}
    text = answer.get("answer", "")
    parts, position = [], 0
    for match in MARKER.finditer(text):
        parts += [{"text": text[position:match.start()], "chip": False}, {"text": match.group(0)[1:-1], "chip": True}]
        position = match.end()
    parts.append({"text": text[position:], "chip": False})
    citations = []
    for sentence in answer.get("sentences") or []:
        for c in sentence.get("citations", []):
            key = (c["doc"], c["paragraph"])
            paragraph = paragraphs.get(key, "")
            quote = c.get("quote") or ""
            span = printed_span(quote, paragraph) if quote else ""
            at = paragraph.find(span) if span else -1
            before, quoted, after = (paragraph[:at], span, paragraph[at + len(span):]) if at >= 0 else (paragraph or "(no such paragraph in the corpus)", "", "")
            citations.append({"marker": f"{c['doc']} ¶{c['paragraph']}", "title": titles.get(c["doc"], ""),
                              "before": before, "quoted": quoted, "after": after})
    sentences = []
    for i, sentence in enumerate(answer.get("sentences") or []):
        rendering = sentence.get("rendering")
        sentences.append({
            "text": sentence.get("text", ""),
            "markers": list(dict.fromkeys(f"{c['doc']} ¶{c['paragraph']}" for c in sentence.get("citations", []))),
            "filler": bool(result.useful) and i < len(result.useful) and not result.useful[i],
            "rendering": rendering.get("text") if isinstance(rendering, dict) else rendering,
        })
    facts = [{"text": span, "marker": f"{doc} ¶{number}", "stated": stated} for (doc, number, span), stated in result.facts]
    return {
        "id": q["id"], "kind": q.get("kind"), "lang": q.get("lang"), "question": q["question"],
        "status": answer.get("status") or ("refused" if answer.get("refused") else "answered"),
        "lead": answer.get("lead", ""), "sentences": sentences, "facts": facts,
        "standalone": answer.get("standalone_question"), "refused": answer.get("refused"),
        "answer_text": text, "answer_parts": parts, "citations": citations, "failures": result.failures,
        "gold": [f"{g['doc']} ¶{g['paragraph']}" for g in q.get("gold", [])],
    }
