"""Answer benchmark: what the answering pipeline does on the dev set, and how fast.

Prints numbers, asserts nothing:
- on eval/npt: gold hit rate (the answer cites a gold paragraph) on answerable questions,
  refusal accuracy on unanswerable ones, false refusals on answerable ones, per language;
- extractive answer latency p50/p95, warm, on the demo corpus;
- with --llm-url URL (an OpenAI-compatible server, e.g. `python -m llama_cpp.server` with the
  pulled Qwen): time to the first verified sentence and total time of the openai generator on
  --llm-questions questions.

    .venv/bin/python benchmarks/answers.py [--misses] [--llm-url http://127.0.0.1:8080/v1]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import services  # noqa: E402
from assistant.answering import Done, SentenceReady  # noqa: E402
from assistant.metrics import mean  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from vectorstore.ingest import ingest, read_all  # noqa: E402

CORPUS = sorted((ROOT / "corpus").glob("*.txt"))


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))] * 1000
    return f"p50 {p50:.0f} ms, p95 {p95:.0f} ms over {len(samples)}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "npt" / "questions.jsonl")
    parser.add_argument("--misses", action="store_true")
    parser.add_argument("--llm-url")
    parser.add_argument("--llm-questions", type=int, default=8)
    args = parser.parse_args()
    questions = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]

    data = tempfile.mkdtemp(prefix="paracite-bench-")
    os.environ["PARACITE_DATA_DIR"] = data
    settings = Settings()
    ingest(read_all(CORPUS), services.store(settings), services.embedder(settings))
    assistant = services.assistant(settings, "extractive")
    assistant.ask("热身")  # load the model and the lexical index before timing

    timings, outcomes = [], {}
    for q in questions:
        start = time.perf_counter()
        answer = assistant.ask(q["question"], q.get("history"))
        timings.append(time.perf_counter() - start)
        outcomes[q["id"]] = answer
    print("extractive generator on", args.questions.relative_to(ROOT))

    def ok(q) -> bool:
        answer = outcomes[q["id"]]
        gold = {(g["doc"], g["paragraph"]) for g in q["gold"]}
        return answer.refused if not gold else any(c in gold for c in answer.citations)

    for lang in ("zh", "en"):
        answerable = [q for q in questions if q["lang"] == lang and q["gold"]]
        unanswerable = [q for q in questions if q["lang"] == lang and not q["gold"]]
        false_refusal = mean(outcomes[q["id"]].refused for q in answerable)
        print(f"  {lang}: gold hit {mean(ok(q) for q in answerable):.3f} (n={len(answerable)})  "
              f"false refusals {false_refusal:.3f}  refusal accuracy "
              f"{mean(ok(q) for q in unanswerable):.3f} (n={len(unanswerable)})")
    kinds = sorted({q["kind"] for q in questions})
    print("  by kind (gold hit; refusal for questions without gold): " + ", ".join(
        f"{kind} {mean(ok(q) for q in questions if q['kind'] == kind):.3f} "
        f"(n={sum(q['kind'] == kind for q in questions)})" for kind in kinds))
    if args.misses:
        for q in questions:
            if not ok(q):
                answer = outcomes[q["id"]]
                print(f"    miss {q['id']} {q['kind']} {q['question']}\n      standalone: {answer.standalone_question}"
                      f"\n      cited {answer.citations} refused={answer.refused} gold "
                      f"{sorted((g['doc'], g['paragraph']) for g in q['gold'])}"
                      f"\n      top similarity {max((r.similarity for r in answer.retrieved), default=0):.3f}")
    print(f"  latency (warm, demo corpus): {percentiles(timings)}")

    if args.llm_url:
        os.environ["PARACITE_LLM_URL"] = args.llm_url
        llm_assistant = services.assistant(Settings(), "openai")
        first, total = [], []
        for q in [q for q in questions if q["gold"]][: args.llm_questions]:
            start = time.perf_counter()
            seen_first = None
            for event in llm_assistant.stream(q["question"]):
                if isinstance(event, SentenceReady) and seen_first is None:
                    seen_first = time.perf_counter() - start
                if isinstance(event, Done):
                    total.append(time.perf_counter() - start)
            first.append(seen_first if seen_first is not None else total[-1])
        print(f"openai generator at {args.llm_url}")
        print(f"  first verified sentence: {percentiles(first)}")
        print(f"  whole answer:            {percentiles(total)}")


if __name__ == "__main__":
    main()
