"""Refusal benchmark: which signals tell an answerable question from one the documents do not answer.

Prints numbers, asserts nothing. The retriever's similarity gate already refuses questions on
topics the documents do not cover; what is left are questions on a topic they do cover, asking
for a fact they do not hold (the IAEA's 2023 budget, the dates of a meeting). For the questions
of eval/npt that the gate lets through, per question language, each signal's AUC (answerable
against unanswerable) and how many unanswerable questions it would refuse at 0 %, 2.5 % and
5 % false refusals of the answerable ones (the issue's budget). Signals:

- top: the best retrieved paragraph's similarity (what the gate uses);
- margin: how far it stands above the second;
- best / best-qa: the best sentence's similarity to the question, with the embedding model's
  search prompt (what `assistant.answerability` uses) and its question-answering prompt;
- llm (with --llm for the local Qwen, or --llm-url URL for an OpenAI-compatible server): the
  model's probability of "yes" to "do these passages answer the question?"
  (prompts/answerable.*.txt) over the best sentences, as `assistant.answerability` asks it.

Grouped by whether the question and the best sentence share a language, as the bands are.

    .venv/bin/python benchmarks/refusal.py [--llm | --llm-url http://127.0.0.1:8080/v1 --llm-model NAME]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import services  # noqa: E402
from assistant.answerability import LLM_PASSAGES, llm_readout, pairing, ranked_sentences  # noqa: E402
from assistant.metrics import caught_within_budget, roc_auc  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from vectorstore.embedder import unit_rows  # noqa: E402
from vectorstore.ingest import ingest, read_all  # noqa: E402

CORPUS = sorted((ROOT / "corpus").glob("*.txt"))
QA_PROMPT = "task: question answering | query: "
BUDGETS = (0.0, 0.025, 0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "npt" / "questions.jsonl")
    parser.add_argument("--llm", action="store_true", help="score with the local GGUF model (llamacpp)")
    parser.add_argument("--llm-url", help="score with an OpenAI-compatible server")
    parser.add_argument("--llm-model", default="paracite-llm")
    parser.add_argument("--dump", type=Path, help="write each question's signals here (JSON lines)")
    args = parser.parse_args()
    questions = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]

    with tempfile.TemporaryDirectory() as data:
        settings = Settings(data_dir=Path(data), llm_url=args.llm_url, llm_model=args.llm_model)
        ingest(read_all(CORPUS), services.store(settings), services.embedder(settings))
        assistant = services.assistant(settings, "extractive")
        llm = services.llm(settings, "openai" if args.llm_url else "llamacpp") if args.llm or args.llm_url else None
        embedder = assistant.retriever.embedder
        model = getattr(getattr(embedder, "_embedder", None), "_model", None)  # for the QA prompt

        rows, gated, llm_seconds, dumped = [], {"answerable": 0, "unanswerable": 0}, 0.0, []
        retriever, gate = assistant.retriever, assistant.gate
        for q in questions:
            # What `Assistant.stream` does before it judges answerability.
            question = assistant.rewriter.rewrite(q["question"], q.get("history") or [])
            retrieved = retriever.search(question, k=assistant.k)
            relevant = gate.relevant(question, retrieved)
            kind = "answerable" if q["gold"] else "unanswerable"
            if not relevant or gate.unknown_names(question):
                gated[kind] += 1
                continue
            if any(r.named for r in relevant) or gate.is_lookup(question, relevant):
                gated["named or lookup"] = gated.get("named or lookup", 0) + 1
                continue  # a named paragraph or a topic lookup: answered whatever the signals say
            ranked = ranked_sentences(embedder, question, relevant)
            top = [r.similarity for r in relevant]
            signals = {"top": top[0], "margin": top[0] - (top[1] if len(top) > 1 else 0.0), "best": ranked[0][0]}
            quoted = [s for _, s in ranked[:LLM_PASSAGES]]
            if model is not None and model.prompts.get("query", "").startswith("task: "):  # EmbeddingGemma's
                qa = unit_rows(model.encode([question], prompt=QA_PROMPT))[0]
                signals["best-qa"] = float((embedder.embed_documents(quoted) @ qa).max())
            if llm is not None:
                start = time.perf_counter()
                signals["llm"] = llm_readout(llm, question, ranked)
                llm_seconds += time.perf_counter() - start
            group = pairing(question, ranked[0][1])
            rows.append((group, kind, signals))
            if args.dump:
                dumped.append({"id": q["id"], "question": q["question"], "kind": kind, "group": group,
                               "signals": signals})

    print(f"{args.questions.parent.name}: the similarity gate refused {gated['unanswerable']} unanswerable and "
          f"{gated['answerable']} answerable questions; {gated.get('named or lookup', 0)} named a paragraph or "
          "looked up a topic; the rest, by what could tell them apart:")
    for group in ("same", "cross"):
        subset = [r for r in rows if r[0] == group]
        answerable = [r[2] for r in subset if r[1] == "answerable"]
        unanswerable = [r[2] for r in subset if r[1] == "unanswerable"]
        print(f"  {group} language: {len(answerable)} answerable, {len(unanswerable)} unanswerable")
        for name in answerable[0] if answerable else []:
            positives = [s[name] for s in answerable]
            negatives = [s[name] for s in unanswerable]
            caught = ", ".join(
                f"{caught_within_budget(positives, negatives, budget)[1]} at {budget:.1%}" for budget in BUDGETS)
            print(f"    {name:<12} AUC {roc_auc(positives, negatives):.3f}   unanswerable caught: {caught}")
            if negatives:
                print(f"    {'':<12} answerable below the highest unanswerable ({max(negatives):.3f}): "
                      f"{sum(p < max(negatives) for p in positives)}; unanswerable: {sorted(round(n, 3) for n in negatives)}")
    if args.dump:
        args.dump.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in dumped), encoding="utf-8")
    if llm is not None:
        print(f"  llm: {llm_seconds / max(len(rows), 1):.2f} s a question")


if __name__ == "__main__":
    main()
