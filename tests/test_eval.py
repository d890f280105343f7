"""`paracite eval` as a team runs it in CI: real answers from the real pipeline, planted faults
caught by the metrics, thresholds that fail the run with exit code 100, and the reports."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from assistant import evaluation
from assistant.answers import compose_text
from vectorstore.paragraphs import split_sentences

from .conftest import CORPUS, DOC_2007, ROOT

pytestmark = pytest.mark.slow

QUESTION_IDS = ["q029", "q037", "q003", "q002", "q001", "q009", "q135", "f002"]


def paracite(env, *args):
    return subprocess.run([sys.executable, "-m", "assistant", *args], env=env, capture_output=True,
                          text=True, timeout=900)


@pytest.fixture(scope="module")
def env(tmp_path_factory, settings):
    return dict(os.environ, PARACITE_DATA_DIR=str(tmp_path_factory.mktemp("eval-data")),
                PARACITE_CACHE_DIR=str(settings.cache_dir))


@pytest.fixture(scope="module")
def suite(tmp_path_factory) -> Path:
    """A small suite: eight questions of eval/npt (Chinese, English, multi, unanswerable, follow-up)."""
    folder = tmp_path_factory.mktemp("suite")
    lines = (ROOT / "eval" / "npt" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    wanted = [line for line in lines if json.loads(line)["id"] in QUESTION_IDS]
    (folder / "questions.jsonl").write_text("\n".join(wanted) + "\n", encoding="utf-8")
    (folder / "suite.toml").write_text(f'name = "mini"\ncorpus = ["{CORPUS.as_posix()}/*.txt"]\n', encoding="utf-8")
    (folder / "thresholds.toml").write_text(
        "[min]\ncitation_validity = 1.0\ncited_sentences = 1.0\nquote_match = 1.0\nalce_recall = 0.95\n"
        "alce_precision = 0.95\ngold_hit = 0.8\n[max]\nfalse_refusal_rate = 0.2\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def generated(env, suite, tmp_path_factory):
    out = tmp_path_factory.mktemp("generated")
    result = paracite(env, "eval", str(suite), "--save-answers", str(out / "answers.jsonl"),
                      "--json", str(out / "report.json"), "--junit", str(out / "junit.xml"), "--report", str(out / "report.html"))
    return result, out


def test_the_extractive_answers_hold_the_thresholds(generated):
    result, out = generated
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["generator"] == "extractive" and report["judge"] == "quote"
    metrics = report["metrics"]
    assert metrics["citation_validity"] == 1.0 and metrics["quote_match"] == 1.0
    assert metrics["alce_recall"] == 1.0 and metrics["alce_precision"] == 1.0
    assert metrics["gold_hit"] >= 0.8
    assert metrics["fallback_rate"] == 0.0  # the extractive generator is its own answer
    assert {"lang=zh", "lang=en", "kind=single", "kind=followup"} <= set(report["breakdown"])
    assert len((out / "answers.jsonl").read_text(encoding="utf-8").splitlines()) == len(QUESTION_IDS)


def test_junit_has_one_case_per_question_and_one_for_the_thresholds(generated):
    _, out = generated
    cases = ET.parse(out / "junit.xml").getroot().findall("testcase")
    assert [c.get("name") for c in cases][:-1] == QUESTION_IDS_IN_FILE_ORDER()
    assert cases[-1].get("name") == "thresholds" and cases[-1].find("failure") is None


def QUESTION_IDS_IN_FILE_ORDER():
    lines = (ROOT / "eval" / "npt" / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["id"] for line in lines if json.loads(line)["id"] in QUESTION_IDS]


def test_html_report_shows_the_quoted_part_of_the_cited_paragraph(generated):
    _, out = generated
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<svg" in html and "alce_recall" in html
    assert f'<span class="chip">{DOC_2007} ¶37</span>' in html
    assert "<mark>" in html and "缔约国对伊朗伊斯兰共和国核计划表示严重关切" in html


def test_a_threshold_above_the_measured_value_fails_with_exit_100(env, suite, generated):
    _, out = generated
    result = paracite(env, "eval", str(suite), "--answers", str(out / "answers.jsonl"),
                      "--threshold", "gold_hit=1.01", "--junit", str(out / "strict.xml"))
    assert result.returncode == 100, result.stdout + result.stderr
    assert "threshold missed: gold_hit" in result.stderr
    thresholds = ET.parse(out / "strict.xml").getroot().findall("testcase")[-1]
    assert "gold_hit" in thresholds.find("failure").get("message")


def plant_faults(answers: list[dict]) -> dict[str, str]:
    """Four faults, one per answer, as a buggy system would make them; returns id -> fault."""
    planted = {}
    answerable = [a for a in answers if a["sentences"]]
    moved, year, uncited, invented = answerable[:4]
    citation = moved["sentences"][0]["citations"][0]
    citation["paragraph"] += 1  # moved to the neighbouring paragraph
    planted[moved["id"]] = "moved"
    sentence = year["sentences"][0]
    changed = re.sub(r"(19|20)\d\d", lambda m: str(int(m.group(0)) + 1), sentence["text"], count=1)
    if changed == sentence["text"]:
        changed = sentence["text"].replace("缔约国", "所有缔约国一致", 1)  # no year: another fact changed
    sentence["text"] = changed
    planted[year["id"]] = "year"
    uncited["sentences"][0]["citations"] = []
    planted[uncited["id"]] = "uncited"
    invented["sentences"][0]["citations"][0]["paragraph"] = 999
    planted[invented["id"]] = "invented"
    return planted


def test_planted_faults_in_answers_from_elsewhere_are_caught(env, suite, generated, tmp_path):
    _, out = generated
    answers = [json.loads(line) for line in (out / "answers.jsonl").read_text(encoding="utf-8").splitlines()]
    for answer in answers:
        answer.pop("retrieved")  # another system's log need not say what it retrieved
    planted = plant_faults(answers)
    answered = [a for a in answers if not a["refused"]]
    answered[-1]["fallback"] = "the generator found no answer in the paragraphs"  # an LLM's answer replaced
    faulty = tmp_path / "faulty.jsonl"
    faulty.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in answers), encoding="utf-8")
    result = paracite(env, "eval", str(suite), "--answers", str(faulty), "--json", str(tmp_path / "r.json"))
    assert result.returncode == 100
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    failures = {q["id"]: " | ".join(q["failures"]) for q in report["questions"]}
    by_fault = {fault: failures[qid] for qid, fault in planted.items()}
    assert "quote_match" in by_fault["moved"] and "alce_recall" in by_fault["moved"]
    assert "alce_recall" in by_fault["year"]
    assert "cited_sentences" in by_fault["uncited"]
    assert "does not exist" in by_fault["invented"] and "citation_validity" in by_fault["invented"]
    metrics = report["metrics"]
    assert metrics["citation_validity"] < 1.0 and metrics["cited_sentences"] < 1.0
    assert metrics["quote_match"] < 1.0 and metrics["alce_recall"] < 0.95
    assert metrics["fallback_rate"] == pytest.approx(1 / len(answered), abs=1e-4)  # reported to 4 places


def test_bad_suite_and_bad_threshold_are_errors_not_threshold_failures(env, suite, tmp_path):
    missing = paracite(env, "eval", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "not a suite folder" in missing.stderr
    unknown = paracite(env, "eval", str(suite), "--answers", str(tmp_path / "none.jsonl"), "--threshold", "speed=1")
    assert unknown.returncode == 2 and "unknown metric" in unknown.stderr
    broken = tmp_path / "broken"
    shutil.copytree(suite, broken)
    (broken / "thresholds.toml").write_text("[min]\nfalse_refusal_rate = 0.1\n", encoding="utf-8")
    wrong_way = paracite(env, "eval", str(broken))
    assert wrong_way.returncode == 2 and "false_refusal_rate" in wrong_way.stderr
    for bad in ("gold_hit=nan", "gold_hit=inf", "gold_hit=high", "gold_hit"):
        result = paracite(env, "eval", str(suite), "--answers", str(tmp_path / "none.jsonl"), "--threshold", bad)
        assert result.returncode == 2 and "Traceback" not in result.stderr, bad
        assert ("NAME=VALUE" if bad == "gold_hit" else "must be a number") in result.stderr
    # Report files that could not be written are refused before any question runs, not after.
    folder = paracite(env, "eval", str(suite), "--report", str(tmp_path))
    assert folder.returncode == 2 and "is a folder" in folder.stderr


def test_answers_missing_from_the_file_fail_the_run(env, suite, generated, tmp_path):
    _, out = generated
    lines = (out / "answers.jsonl").read_text(encoding="utf-8").splitlines()
    few = tmp_path / "few.jsonl"
    few.write_text(lines[0] + "\n", encoding="utf-8")
    report = tmp_path / "deep" / "er" / "r.json"  # its folders are made
    result = paracite(env, "eval", str(suite), "--answers", str(few), "--json", str(report))
    assert result.returncode == 100
    assert f"answered = {1 / len(lines):.3f}, needs ≥ 1" in result.stderr
    data = json.loads(report.read_text(encoding="utf-8"))
    assert sum("answered: no answer with this id" in q["failures"] for q in data["questions"]) == len(lines) - 1
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    assert paracite(env, "eval", str(suite), "--answers", str(empty)).returncode == 100


def test_json_nested_too_deeply_is_a_clear_error(env, suite, tmp_path):
    deep = tmp_path / "deep.jsonl"
    deep.write_text('{"id": "x", "question": ' + "[" * 100_000 + "]" * 100_000 + "}\n", encoding="utf-8")
    result = paracite(env, "eval", str(suite), "--answers", str(deep))
    assert result.returncode == 2 and "nested too deeply" in result.stderr and "Traceback" not in result.stderr


def test_calibrate_the_quote_and_embedding_judges(env):
    result = paracite(env, "eval", str(ROOT / "eval" / "npt"), "--calibrate-judge", "--judge", "embedding")
    assert result.returncode == 0, result.stderr
    assert re.search(r"embedding\s+│\s+all\s+│\s+86\s+│\s+0\.\d{3}", result.stdout)
    # English sentences over Chinese paragraphs are measured apart: they are judged with their own threshold.
    assert re.search(r"embedding\s+│\s+en\s+│\s+43\s+│\s+0\.\d{3}", result.stdout)


@pytest.mark.parametrize("payload", ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>'])
def test_html_report_escapes_what_answers_contain(env, suite, generated, tmp_path, payload):
    _, out = generated
    answers = [json.loads(line) for line in (out / "answers.jsonl").read_text(encoding="utf-8").splitlines()]
    answers[0]["answer"] = payload + answers[0]["answer"]
    answers[0]["sentences"][0]["text"] = payload
    path = tmp_path / "xss.jsonl"
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in answers), encoding="utf-8")
    paracite(env, "eval", str(suite), "--answers", str(path), "--report", str(tmp_path / "r.html"))
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert payload not in html
    assert payload.replace("<", "&lt;").replace(">", "&gt;") in html


def _recompose(answer: dict) -> None:
    """The shown text for edited sentences, as the system composes it (a consistent fault)."""
    answer["answer"] = compose_text(answer["lead"], [
        (s["text"], [(c["doc"], c["paragraph"]) for c in s["citations"]]) for s in answer["sentences"]])


def _filler(answer: dict, question: dict) -> dict:
    """A verbatim, cited sentence of a retrieved paragraph that states none of the question's facts."""
    spans = [f["text"].replace(" ", "") for f in question.get("facts", [])]
    for r in answer["retrieved"]:
        for sentence in split_sentences(r["text"]):
            if not any(span in sentence.replace(" ", "") for span in spans):
                return {"text": sentence, "citations": [{"doc": r["doc"], "paragraph": r["paragraph"], "quote": sentence}]}
    raise AssertionError("no filler sentence among the retrieved paragraphs")


def _write(path: Path, answers: list[dict]) -> Path:
    path.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in answers), encoding="utf-8")
    return path


def test_planted_answer_quality_faults_are_each_caught_by_the_metric_named_for_them(env, suite, generated, tmp_path):
    _, out = generated
    answers = {a["id"]: a for a in map(json.loads, (out / "answers.jsonl").read_text(encoding="utf-8").splitlines())}
    questions = {q["id"]: q for q in map(json.loads, (suite / "questions.jsonl").read_text(encoding="utf-8").splitlines())}
    before = {q["id"]: q for q in json.loads((out / "report.json").read_text(encoding="utf-8"))["questions"]}
    assert before["q029"]["scores"]["answer_complete"] == 1.0 and before["q037"]["scores"]["answer_complete"] == 1.0
    assert before["q003"]["scores"]["text_consistent"] == 1.0

    dropped, padded, edited, rendered = answers["q029"], answers["q037"], answers["q003"], answers["q001"]
    dropped["sentences"] = [_filler(dropped, questions["q029"])]  # the sentence naming the resolutions is gone
    _recompose(dropped)
    padded["sentences"].append(_filler(padded, questions["q037"]))
    _recompose(padded)
    first = edited["sentences"][0]["citations"][0]
    edited["answer"] = edited["answer"].replace(f"¶{first['paragraph']}]", f"¶{first['paragraph'] + 1}]", 1)  # shown text only
    for sentence in rendered["sentences"]:  # what a verified translation would add beside each quote
        sentence["rendering"] = {"text": "States parties said so (machine translation).", "lang": "en"}
    result = paracite(env, "eval", str(suite), "--answers", str(_write(tmp_path / "planted.jsonl", list(answers.values()))),
                      "--json", str(tmp_path / "r.json"), "--junit", str(tmp_path / "r.xml"))
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    after = {q["id"]: q for q in report["questions"]}

    assert after["q029"]["scores"]["answer_complete"] == 0.0 and after["q029"]["scores"]["fact_recall"] == 0.0
    assert any(f.startswith("fact_recall: missed fact «第 1737（2006）号»") for f in after["q029"]["failures"])
    assert after["q029"]["scores"]["alce_recall"] == 1.0  # still a cited, faithful quote: only the fact metric sees it
    assert after["q037"]["scores"]["answer_complete"] == 1.0
    assert after["q037"]["scores"]["fact_precision"] < before["q037"]["scores"]["fact_precision"]
    assert any(f.startswith(f"fact_precision: sentence {len(padded['sentences'])} states no key fact") for f in after["q037"]["failures"])
    assert after["q003"]["scores"]["text_consistent"] == 0.0
    assert after["q003"]["scores"]["alce_recall"] == before["q003"]["scores"]["alce_recall"]  # the structured answer is intact
    assert any(f.startswith("text_consistent:") for f in after["q003"]["failures"])
    # An English question answered only with Chinese quotes is not readable to its reader; with an
    # English rendering beside each quote it is.
    assert after["q002"]["scores"]["language_match"] == 0.0
    assert any(f.startswith("language_match: sentence 1 is not in English") for f in after["q002"]["failures"])
    assert before["q001"]["scores"]["language_match"] == 0.0 and after["q001"]["scores"]["language_match"] == 1.0
    assert report["metrics"]["text_consistent"] < 1.0
    junit = (tmp_path / "r.xml").read_text(encoding="utf-8")
    assert "missed fact «第 1737（2006）号»" in junit  # CI's page names the missed fact


def test_a_changed_number_fails_under_the_embedding_judge(env, suite, generated, tmp_path):
    _, out = generated
    answers = [json.loads(line) for line in (out / "answers.jsonl").read_text(encoding="utf-8").splitlines()]
    clean = paracite(env, "eval", str(suite), "--answers", str(out / "answers.jsonl"), "--judge", "embedding",
                     "--json", str(tmp_path / "clean.json"))
    changed = next(a for a in answers if a["id"] == "q029")
    sentence = next(s for s in changed["sentences"] if "1737" in s["text"])
    sentence["text"] = sentence["text"].replace("1737", "1738")  # one digit: the cosine barely moves
    _recompose(changed)
    result = paracite(env, "eval", str(suite), "--answers", str(_write(tmp_path / "changed.jsonl", answers)),
                      "--judge", "embedding", "--json", str(tmp_path / "changed.json"))
    assert clean.returncode == 0 or "alce_recall" not in clean.stderr, clean.stderr
    before = {q["id"]: q for q in json.loads((tmp_path / "clean.json").read_text(encoding="utf-8"))["questions"]}
    after = {q["id"]: q for q in json.loads((tmp_path / "changed.json").read_text(encoding="utf-8"))["questions"]}
    assert before["q029"]["scores"]["alce_recall"] == 1.0
    assert after["q029"]["scores"]["alce_recall"] < 1.0
    assert any("not supported by its citations (embedding judge)" in f for f in after["q029"]["failures"])


def test_a_suite_with_a_bad_fact_is_refused_naming_the_line(env, suite, tmp_path):
    broken = tmp_path / "facts"
    shutil.copytree(suite, broken)
    lines = (broken / "questions.jsonl").read_text(encoding="utf-8").splitlines()

    at = next(i for i, line in enumerate(lines) if json.loads(line)["id"] == "q029")  # facts in 2007 ¶37

    def run_with(edit):
        question = json.loads(lines[at])
        edit(question)
        edited = [*lines[:at], json.dumps(question, ensure_ascii=False), *lines[at + 1:]]
        (broken / "questions.jsonl").write_text("\n".join(edited) + "\n", encoding="utf-8")
        return paracite(env, "eval", str(broken), "--answers", str(tmp_path / "none.jsonl"))

    cases = [
        (lambda q: q["facts"][0].update(text="这句话不在段落里"), f"questions.jsonl:{at + 1}: fact '这句话不在段落里' is not verbatim"),
        (lambda q: q["facts"][0].update(paragraph=38), "which is not a gold paragraph"),
        (lambda q: q.update(facts=[{"doc": DOC_2007, "paragraph": "37", "text": "x"}]), f'questions.jsonl:{at + 1}: "facts" must be a list'),
        (lambda q: q.update(facts_any=[[]]), '"facts_any" must be a list of non-empty lists'),
        (lambda q: q.update(false_premise="yes"), '"false_premise" must be true or false'),
    ]
    for edit, message in cases:
        result = run_with(edit)
        assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr, (message, result.stderr)
    # A span that runs across two sentences cannot be inside one quote.
    crossing = run_with(lambda q: q["facts"][0].update(text="有关决议的所有规定。缔约国指出"))
    assert crossing.returncode == 2 and "crosses a sentence boundary of" in crossing.stderr, crossing.stderr


def test_related_is_the_right_state_for_a_question_whose_premise_the_documents_contradict():
    """Issue 16, item 5: a false premise gets `related` (the closest passages, under "not stated
    directly"), which is neither a false refusal nor an answer presented where there is none, and
    its quotes state what the documents do say. Any other answerable question shown as `related`
    is a false refusal."""
    from assistant.judges import QuoteJudge

    paragraph = "缔约国谴责该国进行的六次核试验。缔约国重申其承诺。"
    fact = {"doc": "d", "paragraph": 1, "text": "谴责该国进行的六次核试验"}
    base = {"lang": "zh", "kind": "adversarial", "gold": [{"doc": "d", "paragraph": 1}], "facts": [fact]}
    premise = base | {"id": "p", "question": "为什么总结称赞该国的核试验？", "false_premise": True}
    ordinary = base | {"id": "o", "question": "总结对该国的核试验说了什么？"}
    quote = {"doc": "d", "paragraph": 1, "quote": "缔约国谴责该国进行的六次核试验。"}

    def answer(qid, status):
        lead = "文件没有直接说明这一点。最接近的段落：" if status == "related" else "根据文件："
        return {"id": qid, "status": status, "refused": False, "lead": lead,
                "answer": lead + quote["quote"] + "[d ¶1]", "sentences": [{"text": quote["quote"], "citations": [quote]}],
                "retrieved": [{"doc": "d", "paragraph": 1}]}

    def scores(question, status):
        [result] = evaluation.score([question], {question["id"]: answer(question["id"], status)},
                                    {("d", 1): paragraph}, QuoteJudge())
        return result.scores

    related = scores(premise, "related")
    assert (related["false_refusal_rate"], related["unanswered_as_answer"], related["answer_complete"]) == (0.0, 0.0, 1.0)
    confirmed = scores(premise, "answered")
    assert (confirmed["false_refusal_rate"], confirmed["unanswered_as_answer"], confirmed["answer_complete"]) == (0.0, 1.0, 1.0)
    hedged = scores(ordinary, "related")
    assert (hedged["false_refusal_rate"], hedged["answer_complete"]) == (1.0, 0.0) and "unanswered_as_answer" not in hedged
