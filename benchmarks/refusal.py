"""Refusal benchmark: which signals tell an answerable question from one the documents do not answer.

Prints numbers, asserts nothing. The retriever's similarity gate already refuses questions on
topics the documents do not cover; what is left are questions on a topic they do cover, asking
for a fact they do not hold (the IAEA's 2023 budget, the dates of a meeting). For the questions
of eval/npt that the gate lets through, per question language, each signal's AUC (answerable
against unanswerable) and how many unanswerable questions it would refuse at 0 %, 2.5 % and
5 % false refusals of the answerable ones (the issue's budget). Signals:

- top: the best retrieved paragraph's similarity (what the gate uses);
- margin: how far it stands above the second;
- sentence / sentence-qa: the quoted sentences' similarity to the question, with the embedding
  model's search prompt and its question-answering prompt;
- llm (with --llm for the local Qwen, or --llm-url URL for an OpenAI-compatible server): the
  model's probability of "yes" to "do these passages answer the question?"
  (prompts/answerable.*.txt) over the quoted sentences.

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

import prompts  # noqa: E402
from assistant import services  # noqa: E402
from assistant.answers import language_of  # noqa: E402
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
    args = parser.parse_args()
    questions = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]

    with tempfile.TemporaryDirectory() as data:
        settings = Settings(data_dir=Path(data), llm_url=args.llm_url, llm_model=args.llm_model)
        ingest(read_all(CORPUS), services.store(settings), services.embedder(settings))
        assistant = services.assistant(settings, "extractive")
        llm = services.llm(settings, "openai" if args.llm_url else "llamacpp") if args.llm or args.llm_url else None
        embedder = assistant.retriever.embedder
        model = getattr(getattr(embedder, "_embedder", None), "_model", None)  # for the QA prompt

        rows, gated, llm_seconds = [], {"answerable": 0, "unanswerable": 0}, 0.0
        for q in questions:
            answer = assistant.ask(q["question"], q.get("history"))
            kind = "answerable" if q["gold"] else "unanswerable"
            if answer.refused:
                gated[kind] += 1
                continue
            question = answer.standalone_question
            quoted = [s.text for s in answer.sentences]
            top = [r.similarity for r in answer.retrieved]
            signals = {"top": top[0], "margin": top[0] - (top[1] if len(top) > 1 else 0.0)}
            vectors = embedder.embed_documents(quoted)
            signals["sentence"] = float((vectors @ embedder.embed_queries([question])[0]).max())
            if model is not None and model.prompts.get("query", "").startswith("task: "):  # EmbeddingGemma's
                qa = unit_rows(model.encode([question], prompt=QA_PROMPT))[0]
                signals["sentence-qa"] = float((vectors @ qa).max())
            if llm is not None:
                start = time.perf_counter()
                signals["llm"] = llm.yes_probability(prompts.messages(
                    "answerable", language_of(question), passages="\n".join(quoted), question=question))
                llm_seconds += time.perf_counter() - start
            rows.append((language_of(q["question"]), kind, signals))

    print(f"eval/npt: the similarity gate refused {gated['unanswerable']} unanswerable and "
          f"{gated['answerable']} answerable questions; the rest, by what could refuse them:")
    for lang in ("zh", "en"):
        subset = [r for r in rows if r[0] == lang]
        answerable = [r[2] for r in subset if r[1] == "answerable"]
        unanswerable = [r[2] for r in subset if r[1] == "unanswerable"]
        print(f"  {lang}: {len(answerable)} answerable, {len(unanswerable)} unanswerable")
        for name in answerable[0] if answerable else []:
            positives = [s[name] for s in answerable]
            negatives = [s[name] for s in unanswerable]
            caught = ", ".join(
                f"{caught_within_budget(positives, negatives, budget)[1]} at {budget:.1%}" for budget in BUDGETS)
            print(f"    {name:<12} AUC {roc_auc(positives, negatives):.3f}   unanswerable refused: {caught}")
    if llm is not None:
        print(f"  llm: {llm_seconds / max(len(rows), 1):.2f} s a question")


if __name__ == "__main__":
    main()
