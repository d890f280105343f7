"""Server mode: the same store and CLI against a real `chroma run` on 127.0.0.1."""

import json
import os
import subprocess
import sys

import pytest

from vectorstore.ingest import ingest, read_all
from vectorstore.store import ParagraphStore, open_client

from .conftest import CORPUS, DOC_2007
from .servers import chroma_server

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    with chroma_server(tmp_path_factory.mktemp("chroma-server") / "data") as url:
        yield url


def test_ingest_and_search_through_a_chroma_server(chroma_url, settings, embedder):
    from assistant.services import embedding_model_name

    store = ParagraphStore(open_client(url=chroma_url), embedding_model=embedding_model_name(settings))
    ingest(read_all([CORPUS / f"{DOC_2007}.txt"]), store, embedder)
    assert [(i.doc_id, i.paragraphs) for i in store.documents()] == [(DOC_2007, 51)]
    hits = store.dense_search(embedder.embed_queries(["伊朗伊斯兰共和国核计划"])[0], 3)
    assert hits[0].paragraph.number == 37
    # The CLI, configured only by the URL, sees the same store.
    env = dict(os.environ, PARACITE_CHROMA_URL=chroma_url, PARACITE_CACHE_DIR=str(settings.cache_dir))
    result = subprocess.run([sys.executable, "-m", "assistant", "docs", "--json"], env=env,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert [d["doc"] for d in json.loads(result.stdout)] == [DOC_2007]


def test_unreachable_server_is_a_clear_error(settings):
    env = dict(os.environ, PARACITE_CHROMA_URL="http://127.0.0.1:9", PARACITE_CACHE_DIR=str(settings.cache_dir))
    result = subprocess.run([sys.executable, "-m", "assistant", "docs"], env=env, capture_output=True, text=True)
    assert result.returncode == 5
    assert "cannot open the Chroma store at http://127.0.0.1:9" in result.stderr
    assert "Traceback" not in result.stderr
