"""Renderings benchmark: how well quotes are rendered into the reader's language, and at what cost.

Prints numbers, asserts nothing. Two parts:

1. The checks on eval/renderings/pairs.jsonl (hand-written renderings of demo sentences, each
   labelled faithful or not, the unfaithful ones with the fault planted): which faults the checks
   that need no model catch (script, numbers, glossary terms), and the judge's P(yes) on the rest:
   AUC faithful against unfaithful, and the threshold that rejects no faithful pair.
2. The translator on real answers: the English questions of a suite (default eval/npt and
   eval/npt-heldout) are answered over the Chinese demo corpus; each quoted sentence is rendered
   and checked as the assistant does. How many renderings pass, why the others fail, how many
   answers are fully readable (language_match), and the seconds added per sentence and per answer.

Model: the local GGUF in process (default), or an OpenAI-compatible server (--llm-url).

    .venv/bin/python benchmarks/renderings.py [--llm-url http://127.0.0.1:8080/v1] [--limit N] [--pairs-only]
"""

from __future__ import annotations

import argparse
import collections
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import services  # noqa: E402
from assistant.metrics import reads_as, roc_auc, threshold_without_false_rejections  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.translation import RenderingCache, check, default_glossary, embedding_faithfulness, llm_faithfulness  # noqa: E402
from vectorstore.ingest import ingest, read_all  # noqa: E402
from vectorstore.paragraphs import language_of  # noqa: E402

CORPUS = sorted((ROOT / "corpus").glob("*.txt"))
PAIRS = ROOT / "eval" / "renderings" / "pairs.jsonl"
SUITES = [ROOT / "eval" / "npt" / "questions.jsonl", ROOT / "eval" / "npt-heldout" / "questions.jsonl"]


def pairs_part(faithful) -> None:
    glossary = default_glossary()
    pairs = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line.strip()]
    good, bad = [p for p in pairs if p["faithful"]], [p for p in pairs if not p["faithful"]]
    print(f"== checks on {PAIRS.relative_to(ROOT)}: {len(good)} faithful, {len(bad)} unfaithful renderings")
    caught, left = [], []
    for p in pairs:
        p["check"] = check(p["original"], p["rendering"], "zh", "en", glossary)
    false_rejections = [p for p in good if p["check"]]
    for p in bad:
        (caught if p["check"] else left).append(p)
    print(f"checks without a model: catch {len(caught)} of {len(bad)} unfaithful, reject {len(false_rejections)} of {len(good)} faithful")
    for p in false_rejections:
        print(f"  false rejection {p['id']}: {p['check']}")
    for p in caught:
        print(f"  caught {p['id']} ({p['fault']}): {p['check']}")
    started = time.perf_counter()
    for p in pairs:
        p["judge"] = faithful(p["original"], p["rendering"], "en")
    per_pair = (time.perf_counter() - started) / len(pairs)
    scores_good = [p["judge"] for p in good]
    scores_left = [p["judge"] for p in left]
    print(f"judge score ({per_pair:.2f} s a pair): AUC faithful vs all unfaithful "
          f"{roc_auc(scores_good, [p['judge'] for p in bad]):.3f}; vs those the checks let through "
          f"{roc_auc(scores_good, scores_left):.3f}")
    for threshold in (0.3, 0.4, 0.5, 0.6, threshold_without_false_rejections(scores_good, scores_left)):
        rejected_good = sum(s < threshold for s in scores_good)
        caught_left = sum(s < threshold for s in scores_left)
        print(f"  at {threshold:.2f}: the judge catches {caught_left} of the {len(left)} the checks let through, "
              f"rejects {rejected_good} of {len(good)} faithful")
    for p in sorted(pairs, key=lambda p: p["judge"]):
        print(f"  {p['judge']:.2f} {'faithful  ' if p['faithful'] else 'UNFAITHFUL'} {p['id']} {p.get('fault', '')}")


def answers_part(settings: Settings, suites: list[Path], limit: int | None) -> None:
    questions = []
    for suite in suites:
        for line in suite.read_text(encoding="utf-8").splitlines():
            item = json.loads(line) if line.strip() else None
            if item and language_of(item["question"]) == "en" and not item.get("history"):
                questions.append(item)
    questions = questions[:limit] if limit else questions
    with tempfile.TemporaryDirectory() as data:
        local = settings.model_copy(update={"data_dir": Path(data), "cache_dir": settings.cache_dir})
        ingest(read_all(CORPUS), services.store(local), services.embedder(local))
        assistant = services.assistant(local, "extractive")
        renderer = assistant.renderer
        if renderer is None:
            sys.exit("no translator: install the local LLM (`make llm`) or give --llm-url")
        renderer.cache = RenderingCache(None)  # measure the model, not an earlier run's cache
        assistant.renderer = None  # the answers alone; each quote is rendered once, below, and timed
        print(f"\n== renderings of the quotes in answers to {len(questions)} English questions "
              f"({', '.join(s.parent.name for s in suites)}), translator {renderer.name}")
        per_sentence, per_answer, reasons = [], [], collections.Counter()
        shown = attempted = readable = answered = 0
        for item in questions:
            answer = assistant.ask(item["question"])
            if answer.refused:
                continue
            answered += 1
            started = time.perf_counter()
            rendered = []
            for sentence in answer.sentences:
                if reads_as(sentence.text, "en"):
                    continue
                renderer.cache = RenderingCache(None)
                t0 = time.perf_counter()
                rendering = renderer.render(sentence.text, "en")
                per_sentence.append(time.perf_counter() - t0)
                rendered.append(rendering)
            per_answer.append(time.perf_counter() - started)
            attempted += len(rendered)
            shown += sum(1 for r in rendered if r.text)
            readable += all(r.text for r in rendered)
            for r in rendered:
                if r.rejected:
                    reasons[_kind(r.rejected)] += 1
            print(f"  {item['id']}: {sum(1 for r in rendered if r.text)}/{len(rendered)} shown "
                  f"({per_answer[-1]:.1f} s)" + "".join(f"\n      rejected: {r.rejected} | {r.draft}" for r in rendered if r.rejected),
                  flush=True)
        print(f"renderings shown: {shown} of {attempted} ({shown / max(attempted, 1):.0%}); answers whose every "
              f"quote has a rendering (language_match 1): {readable} of {answered}")
        print("rejected, by check: " + ", ".join(f"{k} {v}" for k, v in reasons.most_common()))
        if per_sentence:
            print(f"seconds per rendering (translate + judge): p50 {statistics.median(per_sentence):.1f}, "
                  f"p95 {sorted(per_sentence)[int(0.95 * (len(per_sentence) - 1))]:.1f}; "
                  f"added per answer: p50 {statistics.median(per_answer):.1f}, "
                  f"p95 {sorted(per_answer)[int(0.95 * (len(per_answer) - 1))]:.1f}")


def _kind(reason: str) -> str:
    for word, kind in (("not all in", "script"), ("leaves out", "numbers"), ("adds", "numbers"),
                       ("name", "terms"), ("judge", "judge"), ("nothing", "empty")):
        if word in reason:
            return kind
    return reason


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llm-url", help="an OpenAI-compatible server (default: the local GGUF in process)")
    parser.add_argument("--llm-model", default="paracite-llm")
    parser.add_argument("--suite", type=Path, action="append", help="questions.jsonl (repeatable)")
    parser.add_argument("--limit", type=int, help="only the first N English questions")
    parser.add_argument("--pairs-only", action="store_true")
    args = parser.parse_args()
    settings = Settings(translator="openai" if args.llm_url else "llamacpp", llm_url=args.llm_url,
                        llm_model=args.llm_model, answerability="similarity")
    llm = services.llm(settings, "openai" if args.llm_url else "llamacpp")
    for name, judge in (("embedding", embedding_faithfulness(services.embedder(settings))), ("llm", llm_faithfulness(llm))):
        print(f"\n-- judge: {name}")
        pairs_part(judge)
    if not args.pairs_only:
        answers_part(settings, args.suite or SUITES, args.limit)


if __name__ == "__main__":
    main()
