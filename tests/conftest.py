"""Shared fixtures: the real embedding model (loaded once per test session) and real Chroma stores.

The model must have been pulled (`make test` does it); the cache directory is the user's, or
PARACITE_CACHE_DIR. Every store lives in a temporary directory.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant import services
from assistant.settings import Settings
from vectorstore.ingest import ingest, read_all
from vectorstore.store import ParagraphStore, open_client

# Renderings of foreign quotes (assistant.translation) load the local LLM for every English
# question over the Chinese corpus; the tests that are about them turn them on themselves.
os.environ.setdefault("PARACITE_TRANSLATOR", "none")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
DEMO_FILES = sorted(CORPUS.glob("*.txt"))
DOC_2007 = "npt-2007-chair-working-paper"
DOC_2024 = "npt-2024-chair-summary"


@pytest.fixture(scope="session")
def settings(tmp_path_factory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="session")
def embedder(settings):
    return services.embedder(settings)


@pytest.fixture(scope="session")
def query_embedder(settings):
    """The embedder questions are read with, as the assistant builds it (acronyms spelled out)."""
    return services.query_embedder(settings)


@pytest.fixture()
def store(tmp_path, settings) -> ParagraphStore:
    client = open_client(path=tmp_path / "chroma")
    return ParagraphStore(client, embedding_model=services.embedding_model_name(settings))


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory, settings, embedder) -> ParagraphStore:
    client = open_client(path=tmp_path_factory.mktemp("demo") / "chroma")
    store = ParagraphStore(client, embedding_model=services.embedding_model_name(settings))
    ingest(read_all(DEMO_FILES), store, embedder)
    return store


@pytest.fixture()
def cli_env(tmp_path, settings) -> dict[str, str]:
    """Environment for running the real `paracite` command against a fresh data directory."""
    env = dict(os.environ)
    env["PARACITE_DATA_DIR"] = str(tmp_path / "cli-data")
    env["PARACITE_CACHE_DIR"] = str(settings.cache_dir)
    return env
