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
import prompts  # noqa: E402
from assistant.answers import language_of, marker  # noqa: E402
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
    # The answerability readout (assistant/answerability.py) asks an LLM about unsure questions
    # only: its cost is reported apart from the questions that need none. Read from whether it ran
    # (`llm_yes`), not from the verdict's reason: a rule that decides after it (a count the quotes
    # do not state) replaces the reason, and its question still paid for the readout.
    def read_out(q) -> bool:
        return getattr(outcomes[q["id"]].verdict, "llm_yes", None) is not None

    readout = [t for t, q in zip(timings, questions) if read_out(q)]
    plain = [t for t, q in zip(timings, questions) if not read_out(q)]
    print(f"  latency (warm, demo corpus): {percentiles(timings)}")
    print(f"    questions that need no LLM readout: {percentiles(plain)}")
    if readout:
        print(f"    questions with the LLM readout ({len(readout)} of {len(timings)}): {percentiles(readout)}")

    if args.llm_url:
        os.environ["PARACITE_LLM_URL"] = args.llm_url
        llm_assistant = services.assistant(Settings(), "openai")
        llm = llm_assistant.generator.llm
        first_token, raw_total, first, total, fallbacks, removed = [], [], [], [], 0, 0
        singles = [q for q in questions if q["kind"] == "single"]
        # Different questions for the two measurements: llama.cpp's server reuses the cached
        # prompt of a repeated request, which would flatter whichever ran second.
        for q, raw_q in zip(singles[: args.llm_questions], singles[args.llm_questions : 2 * args.llm_questions]):
            # The raw stream: what the server gives before any checking.
            paragraphs = assistant.retriever.search(raw_q["question"], k=5)
            listing = "\n\n".join(f"{marker(p.doc, p.paragraph)} {p.text}" for p in paragraphs)
            messages = prompts.messages("answer", language_of(raw_q["question"]), paragraphs=listing, question=raw_q["question"],
                                        example_marker=marker(paragraphs[0].doc, paragraphs[0].paragraph))
            start = time.perf_counter()
            seen = None
            for _ in llm.stream(messages):
                seen = seen or time.perf_counter() - start
            raw_total.append(time.perf_counter() - start)
            first_token.append(seen or raw_total[-1])
            # The whole pipeline: rewrite, retrieve, generate, verify (judge calls included).
            start = time.perf_counter()
            seen = None
            for event in llm_assistant.stream(q["question"]):
                if isinstance(event, SentenceReady) and seen is None:
                    seen = time.perf_counter() - start
                if isinstance(event, Done):
                    total.append(time.perf_counter() - start)
                    fallbacks += bool(event.answer.fallback)
                    removed += sum(r.what == "sentence" for r in event.answer.removed)
            first.append(seen if seen is not None else total[-1])
        print(f"openai generator at {args.llm_url} ({len(total)} single-paragraph questions)")
        print(f"  raw stream, first token:  {percentiles(first_token)}")
        print(f"  raw stream, whole answer: {percentiles(raw_total)}")
        print(f"  verified, first sentence: {percentiles(first)}")
        print(f"  verified, whole answer:   {percentiles(total)}")
        print(f"  sentences removed by the verifier: {removed}; answers that fell back to extractive: {fallbacks}")

if __name__ == "__main__":
    main()
