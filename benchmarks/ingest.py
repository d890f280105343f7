"""Ingestion benchmark: prints numbers, asserts nothing.

1. The demo corpus, end to end: a fresh `paracite ingest corpus/*.txt` process (model already
   pulled), its wall time, paragraphs per second and peak memory.
2. A synthetic corpus (default 20,000 paragraphs, sentences of the demo corpus recombined with a
   fixed seed): ingest throughput and store size on disk. `--keep DIR` keeps that store, which the
   retrieval benchmark reuses.
3. Parsing one big text file (default 20 MB and 50 MB, the file size limit; demo sentences in
   numbered paragraphs wrapped at 40 characters a line, as PDF text is): read and split time and
   MB/s, which should stay the same from one size to the next (parsing is linear).

    .venv/bin/python benchmarks/ingest.py [--synthetic 20000] [--keep DIR] [--parse-mb 20 50]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vectorstore.readers import load_document  # noqa: E402


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def demo_corpus() -> None:
    files = sorted((ROOT / "corpus").glob("*.txt"))
    paragraphs = sum(len(load_document(f).paragraphs) for f in files)
    from assistant import services
    from assistant.settings import Settings

    model = services.embedding_model_path(Settings())
    with tempfile.TemporaryDirectory() as data:
        # A fresh cache directory, so that no vector comes from the cache of an earlier run.
        env = dict(os.environ, PARACITE_DATA_DIR=data, PARACITE_CACHE_DIR=str(Path(data) / "cache"),
                   PARACITE_EMBEDDING_MODEL=str(model))
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "assistant", "ingest", *map(str, files)],
                                env=env, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if result.returncode != 0:
            sys.exit(result.stderr)
        peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"demo corpus ingest, end to end (new process, model pulled, no cached vectors): {elapsed:.1f} s for "
              f"{paragraphs} paragraphs, {paragraphs / elapsed:.1f} paragraphs/s, peak RSS {peak_mib:.0f} MiB, "
              f"store {du(Path(data) / 'chroma') / 2**20:.1f} MiB")


def synthetic_documents(total: int, per_document: int, directory: Path) -> list[Path]:
    sentences = [s for f in sorted((ROOT / "corpus").glob("*.txt"))
                 for p in load_document(f).paragraphs for s in re.findall(r"[^。]+。", p.text)]
    rng = random.Random(7)
    paths = []
    for d in range(0, total, per_document):
        count = min(per_document, total - d)
        lines = [f"Synthetic document {d // per_document + 1}", ""]
        for n in range(1, count + 1):
            lines += [f"{n}. " + "".join(rng.sample(sentences, rng.randint(1, 4))), ""]
        path = directory / f"synthetic-{d // per_document + 1:04d}.txt"
        path.write_text("\n".join(lines), encoding="utf-8")
        paths.append(path)
    return paths


def big_file(megabytes: float, path: Path) -> Path:
    sentences = [s for f in sorted((ROOT / "corpus").glob("*.txt"))
                 for p in load_document(f).paragraphs for s in re.findall(r"[^。]+。", p.text)]
    rng = random.Random(11)
    target = megabytes * 2**20
    size, n = 0, 0
    with path.open("w", encoding="utf-8") as out:
        out.write("Big document\n\n")
        while True:
            text = f"{n + 1}. " + "".join(rng.sample(sentences, rng.randint(1, 4)))
            lines = "\n".join(text[i : i + 40] for i in range(0, len(text), 40)) + "\n\n"
            size += len(lines.encode("utf-8"))
            if size > target:  # the last size is the limit itself
                break
            out.write(lines)
            n += 1
    return path


def parse_big_files(sizes: list[float]) -> None:
    with tempfile.TemporaryDirectory() as work:
        for megabytes in sizes:
            path = big_file(megabytes, Path(work) / f"big-{megabytes:g}mb.txt")
            start = time.perf_counter()
            document = load_document(path)
            elapsed = time.perf_counter() - start
            mb = path.stat().st_size / 2**20
            print(f"parse one {mb:.1f} MB text file: {elapsed:.2f} s ({mb / elapsed:.1f} MB/s), "
                  f"{len(document.paragraphs)} paragraphs")


def synthetic_corpus(total: int, keep: Path | None) -> None:
    from assistant import services
    from assistant.settings import Settings
    from vectorstore.embedder import CachedEmbedder
    from vectorstore.ingest import ingest, read_all, work_units

    work = Path(tempfile.mkdtemp())
    data = keep or work / "data"
    files = synthetic_documents(total, 500, work)
    settings = Settings(data_dir=data)
    # A fresh vector cache: the synthetic sentences repeat the demo corpus's, so after their first
    # occurrence they are served from it, while every paragraph (a new combination) is embedded.
    embedder = CachedEmbedder(services.embedding_model(settings), work / "vectors.sqlite")
    store = services.store(settings)
    documents = read_all(files)
    start = time.perf_counter()
    ingest(documents, store, embedder)
    services.refresh_lexical(settings)
    elapsed = time.perf_counter() - start
    texts = work_units(documents)
    print(f"synthetic corpus: {total} paragraphs in {len(files)} documents ingested in {elapsed:.0f} s, "
          f"{total / elapsed:.1f} paragraphs/s ({texts} paragraph and sentence texts, "
          f"{texts - embedder.hits} embedded, {embedder.hits} from the cache), "
          f"store {du(data) / 2**20:.0f} MiB on disk" + (f" (kept in {data})" if keep else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--synthetic", type=int, default=20000, help="paragraphs; 0 skips this part")
    parser.add_argument("--keep", type=Path, help="data directory to keep the synthetic store in")
    parser.add_argument("--parse-mb", type=float, nargs="*", default=[20, 50],
                        help="sizes of the big text files to parse; none skips this part")
    args = parser.parse_args()
    parse_big_files(args.parse_mb)
    demo_corpus()
    if args.synthetic:
        synthetic_corpus(args.synthetic, args.keep)


if __name__ == "__main__":
    main()
