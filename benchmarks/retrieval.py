"""Retrieval benchmark: quality on the dev set, latency, and the pipeline a user would build first.

Prints numbers, asserts nothing:
- recall@1, recall@5 and MRR per language on the answerable questions of eval/npt, with misses;
- the relevance threshold calibrated on answerable vs unanswerable questions (accuracy, AUC);
- warm query latency p50/p95 on the demo corpus (and on a kept synthetic store, if given);
- side by side: LangChain RecursiveCharacterTextSplitter (1000/200) chunks of the raw text files
  + Chroma + the same embedding model; a chunk counts as finding a gold paragraph when it holds
  most (over half) of that paragraph's sentences.

    .venv/bin/python benchmarks/retrieval.py [--synthetic-data DIR] [--misses]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant import services  # noqa: E402
from assistant.metrics import (  # noqa: E402
    best_threshold, mean, recall_at_k, reciprocal_rank, roc_auc, threshold_without_false_rejections,
)
from assistant.settings import Settings  # noqa: E402
from vectorstore.ingest import ingest, read_all  # noqa: E402
from vectorstore.paragraphs import split_sentences  # noqa: E402

CORPUS = sorted((ROOT / "corpus").glob("*.txt"))


def load_questions(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))] * 1000
    return f"p50 {p50:.0f} ms, p95 {p95:.0f} ms over {len(samples)} queries"


def quality(rankings: dict[str, list[tuple[str, int]]], questions: list[dict], label: str, show_misses: bool) -> None:
    for lang in ("zh", "en"):
        subset = [q for q in questions if q["lang"] == lang and q["gold"] and q["kind"] in ("single", "multi")]
        if not subset:
            continue
        gold = {q["id"]: [(g["doc"], g["paragraph"]) for g in q["gold"]] for q in subset}
        r1 = mean(recall_at_k(rankings[q["id"]], gold[q["id"]], 1) for q in subset)
        r5 = mean(recall_at_k(rankings[q["id"]], gold[q["id"]], 5) for q in subset)
        mrr = mean(reciprocal_rank(rankings[q["id"]], gold[q["id"]]) for q in subset)
        print(f"  {label:<28} {lang}: recall@1 {r1:.3f}  recall@5 {r5:.3f}  MRR {mrr:.3f}  (n={len(subset)})")
        if show_misses:
            for q in subset:
                if not recall_at_k(rankings[q["id"]], gold[q["id"]], 1):
                    print(f"      miss {q['id']}: {q['question']}  gold {gold[q['id']]}  got {rankings[q['id']][:3]}")


def ours(questions: list[dict], settings: Settings, show_misses: bool) -> None:
    retriever = services.retriever(settings)
    rankings, best_similarity, latencies = {}, {}, []
    retriever.search("warm up", k=5)
    for q in questions:
        start = time.perf_counter()
        results = retriever.search(q["question"], k=10)
        latencies.append(time.perf_counter() - start)
        rankings[q["id"]] = [(r.doc, r.paragraph) for r in results]
        best_similarity[q["id"]] = max((r.similarity for r in results[:5]), default=0.0)
    print("Paracite (dense over paragraphs and sentences, BM25 over sentences, fused):")
    quality(rankings, questions, "paracite", show_misses)
    print(f"  warm query latency, demo corpus: {percentiles(latencies)}")
    # The demo corpus is Chinese: Chinese questions are over text in their own language ("same"),
    # English ones across languages ("cross").
    for pair, lang in (("same", "zh"), ("cross", "en")):
        answerable = [best_similarity[q["id"]] for q in questions if q["gold"] and q["lang"] == lang]
        unanswerable = [best_similarity[q["id"]] for q in questions if not q["gold"] and q["lang"] == lang]
        if not unanswerable:
            continue
        threshold = threshold_without_false_rejections(answerable, unanswerable)
        caught = sum(s < threshold for s in unanswerable)
        best, accuracy = best_threshold(answerable, unanswerable)
        print(f"  relevance threshold ({pair} language, {lang} questions): {threshold:.3f}, refuses no answerable "
              f"question and {caught} of {len(unanswerable)} unanswerable (most accurate would be {best:.3f} at "
              f"{accuracy:.3f}; AUC {roc_auc(answerable, unanswerable):.3f})")
        print(f"    unanswerable: {sorted(round(s, 3) for s in unanswerable)}")
        print(f"    lowest answerable: {sorted(round(s, 3) for s in answerable)[:6]}")


def baseline(questions: list[dict], settings: Settings) -> None:
    from langchain_chroma import Chroma
    from langchain_core.embeddings import Embeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from vectorstore.readers import load_document

    embedder = services.embedder(settings)

    class SameModel(Embeddings):
        def embed_documents(self, texts):
            return embedder.embed_documents(texts).tolist()

        def embed_query(self, text):
            return embedder.embed_queries([text])[0].tolist()

    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    texts, metadatas = [], []
    for path in CORPUS:
        for chunk in splitter.split_text(path.read_text(encoding="utf-8")):
            texts.append(chunk)
            metadatas.append({"doc": path.stem})
    with tempfile.TemporaryDirectory() as directory:
        store = Chroma(collection_name="baseline", embedding_function=SameModel(), persist_directory=directory)
        store.add_texts(texts, metadatas=metadatas)
        paragraphs = {(path.stem, p.number): p.text for path in CORPUS for p in load_document(path).paragraphs}

        def squeeze(text: str) -> str:
            return re.sub(r"\s+", "", text)

        def holds(chunk: str, doc: str, key: tuple[str, int]) -> bool:
            if key[0] != doc:
                return False
            sentences = [squeeze(s) for s in split_sentences(paragraphs[key])]
            return sum(s in squeeze(chunk) for s in sentences) * 2 > len(sentences)

        latencies, r1, r5 = {"zh": [], "en": []}, {"zh": [], "en": []}, {"zh": [], "en": []}
        store.similarity_search("warm up", k=5)
        for q in questions:
            if not q["gold"]:
                continue
            start = time.perf_counter()
            chunks = store.similarity_search(q["question"], k=5)
            latencies[q["lang"]].append(time.perf_counter() - start)
            gold = [(g["doc"], g["paragraph"]) for g in q["gold"]]
            found = [any(holds(c.page_content, c.metadata["doc"], key) for key in gold) for c in chunks]
            r1[q["lang"]].append(float(found[0]) if found else 0.0)
            r5[q["lang"]].append(float(any(found)))
    print(f"Baseline (LangChain RecursiveCharacterTextSplitter 1000/200 + Chroma + same model; {len(texts)} chunks):")
    for lang in ("zh", "en"):
        print(f"  {'baseline':<28} {lang}: recall@1 {mean(r1[lang]):.3f}  recall@5 {mean(r5[lang]):.3f}  "
              "(chunk holds most of a gold paragraph)")
    print(f"  warm query latency: {percentiles(latencies['zh'] + latencies['en'])}")


def synthetic(questions: list[dict], data_dir: Path) -> None:
    settings = Settings(data_dir=data_dir)
    retriever = services.retriever(settings)
    retriever.search("warm up", k=5)
    latencies = []
    for q in questions:
        start = time.perf_counter()
        retriever.search(q["question"], k=5)
        latencies.append(time.perf_counter() - start)
    print(f"Synthetic store ({retriever.store.count()} paragraphs): warm query latency {percentiles(latencies)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=ROOT / "eval" / "npt" / "questions.jsonl")
    parser.add_argument("--synthetic-data", type=Path, help="a data dir kept by benchmarks/ingest.py --keep")
    parser.add_argument("--misses", action="store_true", help="list the rank-1 misses")
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args()
    # Follow-ups need the answering step's rewriting; adversarial questions count for the relevance
    # thresholds only (recall is over single and multi).
    questions = [q for q in load_questions(args.questions) if q.get("kind") in ("single", "multi", "unanswerable", "adversarial")]
    with tempfile.TemporaryDirectory() as data:
        settings = Settings(data_dir=Path(data))
        ingest(read_all(CORPUS), services.store(settings), services.embedder(settings))
        ours(questions, settings, args.misses)
        if not args.no_baseline:
            baseline(questions, settings)
    if args.synthetic_data:
        synthetic(questions, args.synthetic_data)


if __name__ == "__main__":
    main()
