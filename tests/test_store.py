"""The store on the real embedding model and a real embedded Chroma: ingest, replace, delete, crash."""

import dataclasses
import hashlib
import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from vectorstore.errors import NotFoundError
from vectorstore.ingest import ingest
from vectorstore.paragraphs import Paragraph
from vectorstore.readers import load_document
from vectorstore.store import ParagraphStore, open_client

from .conftest import CORPUS, DEMO_FILES, DOC_2007, DOC_2024, ROOT

pytestmark = pytest.mark.slow


def test_demo_corpus_is_stored_paragraph_by_paragraph(demo_store):
    infos = {info.doc_id: info for info in demo_store.documents()}
    assert {d: i.paragraphs for d, i in infos.items()} == {DOC_2007: 51, DOC_2024: 152}
    assert infos[DOC_2024].numbering == "printed"
    assert infos[DOC_2024].metadata["session"] == "第二届会议"
    paragraphs = demo_store.paragraphs(DOC_2024)
    assert [p.number for p in paragraphs] == list(range(1, 153))
    golden = load_document(CORPUS / f"{DOC_2024}.txt")
    assert demo_store.paragraph(DOC_2024, 144).text == golden.paragraphs[143].text


def test_stored_vectors_are_unit_length_float32(demo_store, embedder):
    vector = embedder.embed_queries(["扎波罗热核电厂"])[0]
    assert vector.dtype == np.float32
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
    hits = demo_store.dense_search(vector, 5)
    similarities = [hit.similarity for hit in hits]
    assert similarities == sorted(similarities, reverse=True)
    assert hits[0].paragraph.doc_id == DOC_2024


def test_dense_search_filters_by_document(demo_store, embedder):
    vector = embedder.embed_queries(["伊朗核计划"])[0]
    hits = demo_store.dense_search(vector, 10, doc_ids=[DOC_2007])
    assert len(hits) == 10 and {h.paragraph.doc_id for h in hits} == {DOC_2007}
    with pytest.raises(NotFoundError):
        demo_store.dense_search(vector, 3, doc_ids=["no-such-doc"])


def small_document(doc_id, texts, source_hash):
    return dataclasses.replace(
        load_document(CORPUS / f"{DOC_2007}.txt"),
        doc_id=doc_id,
        paragraphs=[Paragraph(i, t) for i, t in enumerate(texts, start=1)],
        source_hash=source_hash,
    )


def test_unchanged_file_is_skipped_and_changed_file_replaced_completely(store, embedder):
    v1 = small_document("policy", ["Alpha one.", "Beta two.", "Gamma three."], "a" * 64)
    assert [r.status for r in ingest([v1], store, embedder)] == ["ingested"]
    assert [r.status for r in ingest([v1], store, embedder)] == ["unchanged"]
    v2 = small_document("policy", ["Alpha revised."], "b" * 64)
    assert [r.status for r in ingest([v2], store, embedder)] == ["replaced"]
    assert [(p.number, p.text) for p in store.paragraphs("policy")] == [(1, "Alpha revised.")]
    # No stale paragraph or sentence left anywhere, not only hidden by the filter.
    raw = store._paragraphs.get(where={"doc": "policy"})
    assert len(raw["ids"]) == 1
    assert store._sentences.count() == 0
    hits = store.dense_search(embedder.embed_queries(["Gamma three"])[0], 5)
    assert [h.paragraph.text for h in hits] == ["Alpha revised."]


def test_sentences_of_long_paragraphs_are_stored_and_replaced(store, embedder):
    ingest([small_document("two", ["First sentence. Second sentence.", "Alone."], "2" * 64)], store, embedder)
    got = store._sentences.get(include=["documents", "metadatas"])
    assert sorted(got["documents"]) == ["First sentence.", "Second sentence."]
    assert {m["paragraph_record"] for m in got["metadatas"]} == {f"two#1@{'2' * 16}"}
    ingest([small_document("two", ["Only. Two now."], "3" * 64)], store, embedder)
    assert sorted(store._sentences.get()["documents"]) == ["Only.", "Two now."]


def test_delete_removes_document_and_paragraphs(store, embedder):
    ingest([small_document("gone", ["Some text. More text."], "c" * 64)], store, embedder)
    store.delete("gone")
    assert store.documents() == []
    assert store._paragraphs.count() == 0
    assert store._sentences.count() == 0
    with pytest.raises(NotFoundError):
        store.delete("gone")


def test_an_interrupted_write_is_invisible_and_swept(store, embedder):
    v1 = small_document("doc", ["Old paragraph."], "d" * 64)
    ingest([v1], store, embedder)
    # What a crash between writing the new paragraphs and switching the registry leaves behind:
    v2 = small_document("doc", ["New paragraph one.", "New paragraph two."], "e" * 64)
    store.write_generation(v2, embedder.embed_documents([p.text for p in v2.paragraphs]))
    orphan = small_document("never-registered", ["Orphan text."], "f" * 64)
    store.write_generation(orphan, embedder.embed_documents(["Orphan text."]))
    assert [p.text for p in store.paragraphs("doc")] == ["Old paragraph."]
    hits = store.dense_search(embedder.embed_queries(["New paragraph"])[0], 10)
    assert [h.paragraph.text for h in hits] == ["Old paragraph."]
    assert [info.doc_id for info in store.documents()] == ["doc"]
    # The next write of a document sweeps that document's leftovers, and only those: another
    # writer's records, not yet registered, are not this writer's to remove.
    ingest([small_document("doc", ["Old paragraph.", "Second."], "9" * 64)], store, embedder)
    assert sorted(store._paragraphs.get(where={"doc": "doc"})["documents"]) == ["Old paragraph.", "Second."]
    assert len(store._paragraphs.get(where={"doc": "never-registered"})["ids"]) == 1


VICTIM = """
import sys, dataclasses, hashlib, numpy as np
from vectorstore.paragraphs import Paragraph
from vectorstore.readers import load_document
from vectorstore.store import ParagraphStore, open_client
store = ParagraphStore(open_client(path=sys.argv[1]), embedding_model="random")
base = load_document(sys.argv[2])
rng = np.random.default_rng(0)
version = 0
while True:
    version += 1
    doc = dataclasses.replace(base, doc_id="big", source_hash=hashlib.sha256(str(version).encode()).hexdigest(),
        paragraphs=[Paragraph(n, f"version {version} paragraph {n}") for n in range(1, 1501)])
    vectors = rng.normal(size=(1500, 64)).astype("float32")
    store.write(doc, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    print(version, flush=True)
"""


# What survives the kill, read as a restarted server would: by a fresh process. Not by the test
# process itself: when embedded Chroma cannot replay its log after a kill (below), the failed load
# can leave the reading process holding so much memory that every later test that starts a
# server fails to fork (ENOMEM, seen in CI).
SURVIVOR = """
import hashlib, json, sys, numpy as np
from vectorstore.errors import StoreError
from vectorstore.store import ParagraphStore, open_client
store = ParagraphStore(open_client(path=sys.argv[1]), embedding_model="random")
[info] = store.documents()
try:
    paragraphs = store.paragraphs("big")
    hits = store.dense_search(np.ones(64, dtype=np.float32) / 8.0, 50)
except StoreError as exc:
    if "hnsw" not in str(exc):
        raise
    print(json.dumps({"hnsw_error": str(exc)}))
    sys.exit()
print(json.dumps({"texts": [p.text for p in paragraphs], "hits": [h.paragraph.text for h in hits],
                  "source_hash": info.source_hash}))
"""


@pytest.mark.parametrize("delay", [1.5, 2.7, 4.1])
def test_kill_9_during_writes_leaves_one_whole_version_visible(tmp_path, delay):
    """Kill a process that rewrites a 1,500-paragraph document in a loop, at an arbitrary moment."""
    victim = subprocess.Popen(
        [sys.executable, "-c", VICTIM, str(tmp_path / "chroma"), str(DEMO_FILES[0])],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    assert victim.stdout.readline().strip() == "1"  # one version is committed
    time.sleep(delay)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    reader = subprocess.run([sys.executable, "-c", SURVIVOR, str(tmp_path / "chroma")],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert reader.returncode == 0, reader.stderr[-3000:]
    seen = json.loads(reader.stdout.strip().splitlines()[-1])
    if "hnsw_error" in seen:
        # Seen about once in 20 kills: embedded Chroma itself cannot replay its log into the HNSW
        # index after the kill. Our protocol is not at fault, and the error is a clear one; any
        # other failure (a mix of versions, a half-written document) still fails this test.
        pytest.xfail(f"embedded Chroma could not reopen after kill -9: {seen['hnsw_error']}")
    versions = {text.split()[1] for text in seen["texts"]}
    assert len(seen["texts"]) == 1500 and len(versions) == 1
    assert {hashlib.sha256(v.encode()).hexdigest() for v in versions} == {seen["source_hash"]}
    assert {text.split()[1] for text in seen["hits"]} == versions


def test_reingesting_an_edited_document_embeds_only_the_changed_paragraph(store, embedder, tmp_path):
    from vectorstore.embedder import CachedEmbedder

    class Counting:
        name = embedder.name

        def __init__(self):
            self.embedded = []

        def embed_documents(self, texts):
            self.embedded.extend(texts)
            return embedder.embed_documents(texts)

        def embed_queries(self, texts):
            return embedder.embed_queries(texts)

    counting = Counting()
    cached = CachedEmbedder(counting, tmp_path / "cache.sqlite")
    texts = [f"第{n}段的内容。" for n in range(1, 6)]
    ingest([small_document("report", texts, "4" * 64)], store, cached)
    assert len(counting.embedded) == 5
    edited = texts[:2] + ["第3段改过了。"] + texts[3:]
    ingest([small_document("report", edited, "5" * 64)], store, cached)
    assert counting.embedded[5:] == ["第3段改过了。"]
    vector = cached.embed_documents(["第1段的内容。"])[0]
    assert np.allclose(vector, embedder.embed_documents(["第1段的内容。"])[0], atol=1e-6)


def test_uncommitted_records_nearest_to_the_query_never_crowd_out_live_ones(tmp_path):
    """Search runs unfiltered for speed; when the nearest records are not live it must filter."""
    store = ParagraphStore(open_client(path=tmp_path / "chroma"), embedding_model="random")
    rng = np.random.default_rng(1)
    query = np.ones(16, dtype=np.float32) / 4.0
    live = small_document("live", ["One.", "Two.", "Three."], "6" * 64)
    vectors = rng.normal(size=(3, 16)).astype(np.float32)
    store.write(live, vectors / np.linalg.norm(vectors, axis=1, keepdims=True))
    pending = small_document("pending", [f"Pending {n}." for n in range(1, 41)], "7" * 64)
    store.write_generation(pending, np.tile(query, (40, 1)))  # a write that has not committed yet
    hits = store.dense_search(query, 3)
    assert sorted(h.paragraph.text for h in hits) == ["One.", "Three.", "Two."]


def test_a_repeated_number_is_told_apart_by_the_citation_quote(store, embedder, tmp_path):
    path = tmp_path / "repeats.txt"
    path.write_text("Repeats\n\n1. One about lichen.\n\n2. Two about moss.\n\n2. Again two, about glaciers.\n",
                    encoding="utf-8")
    document = load_document(path)
    assert [p.number for p in document.paragraphs] == [1, 2, 2] and document.warnings
    ingest([document], store, embedder)
    assert store.paragraph("repeats", 2).text == "Two about moss."
    assert store.paragraph("repeats", 2, quote="about  glaciers").text == "Again two, about glaciers."
    assert store.paragraph("repeats", 2, quote="not in either").text == "Two about moss."

