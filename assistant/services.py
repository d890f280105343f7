"""Builds the components from the settings, once per process.

The embedding model takes seconds to load, so it is loaded on first use and kept; every
command and request that needs it shares the one instance.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from vectorstore.embedder import CachedEmbedder, Embedder, RewrittenQueries, SentenceTransformerEmbedder
from vectorstore.errors import InputError, ModelError, StoreError
from vectorstore.models import EMBEDDING_GEMMA, is_pulled
from vectorstore.search import Retriever
from vectorstore.store import ParagraphStore, open_client

from .settings import GENERATORS, JUDGES, Settings, one_of


def embedding_model_path(settings: Settings) -> Path:
    if settings.embedding_model:
        return Path(settings.embedding_model).expanduser()
    if not is_pulled(EMBEDDING_GEMMA, settings.cache_dir):
        raise ModelError(
            f"the embedding model is not in {settings.cache_dir}; run `paracite models pull` first"
        )
    return EMBEDDING_GEMMA.location(settings.cache_dir)


def embedding_model_name(settings: Settings) -> str:
    """The name a store records for its vectors; reading a store needs no model on disk."""
    if settings.embedding_model:
        return Path(settings.embedding_model).expanduser().name
    return EMBEDDING_GEMMA.name


@lru_cache(maxsize=4)
def _model(path: Path, dtype: str) -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(path, dtype=dtype)


def embedding_model(settings: Settings) -> SentenceTransformerEmbedder:
    """The embedding model itself, loaded once per process."""
    return _model(embedding_model_path(settings), settings.embedding_dtype)


@lru_cache(maxsize=4)
def _cached(path: Path, dtype: str, cache_dir: Path) -> CachedEmbedder:
    model = _model(path, dtype)
    return CachedEmbedder(model, cache_dir / "embeddings" / f"{path.name}-{model.dtype}.sqlite")


def embedder(settings: Settings) -> CachedEmbedder:
    """The embedding model behind the document-vector cache: what ingestion and search use."""
    return _cached(embedding_model_path(settings), settings.embedding_dtype, settings.cache_dir)


def query_embedder(settings: Settings) -> Embedder:
    """The embedder that questions are read with: acronyms spelled out by the glossary."""
    from vectorstore.search import spelled_out

    from .translation import default_glossary

    glossary = default_glossary(settings.terms_file)
    return RewrittenQueries(embedder(settings), lambda query: spelled_out(query, glossary))


def store(settings: Settings) -> ParagraphStore:
    client = open_client(path=settings.chroma_path, url=settings.chroma_url)
    return ParagraphStore(
        client, embedding_model=embedding_model_name(settings), prefix=settings.collection_prefix
    )


@contextlib.contextmanager
def owning_the_store(settings: Settings) -> Iterator[None]:
    """This process alone changes the embedded store while the block runs (`serve` for its
    lifetime, `ingest` and `delete` while they write).

    An embedded Chroma keeps its vector index in the memory of each process that opened it: a
    server whose store another process changed went on searching its stale index (deleted ids,
    500s) until restarted. A Chroma server takes writes from many processes, so this is only
    for the embedded store. The lock is the operating system's, released if the process dies.
    """
    if settings.chroma_url:
        yield
        return
    from filelock import FileLock, Timeout

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(settings.data_dir / "store.lock")
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise StoreError(
            f"another Paracite process is using the store in {settings.data_dir} (a running `paracite serve`, "
            "or an ingest that is still writing); add or delete documents through the running server (its "
            "Documents tab, or POST /api/admin/documents), or stop it first"
        ) from None
    try:
        yield
    finally:
        lock.release()


def lexical_dir(settings: Settings) -> Path:
    """The lexical index lives beside the store it was built from; one per store and prefix."""
    where = "embedded"
    if settings.chroma_url:
        where = "server-" + "".join(c if c.isalnum() else "_" for c in settings.chroma_url)
    return settings.data_dir / "lexical" / where / settings.collection_prefix


def retriever(settings: Settings) -> Retriever:
    """The retriever; the embedding model loads on its first search."""
    from .translation import default_glossary

    return Retriever(store(settings), query_embedder(settings), lexical_dir(settings), default_glossary(settings.terms_file))


def refresh_lexical(settings: Settings) -> None:
    """Rebuild the lexical index for the store as it is now (needs no embedding model)."""
    from vectorstore.lexical import current_index

    current_index(store(settings), lexical_dir(settings))


def ingest_documents(settings: Settings, documents, on_embedded=None, the_store: ParagraphStore | None = None):
    """The one way documents go in: written (the model loaded only when something needs
    embedding), then the lexical index beside the store rebuilt, so that search sees them at once."""
    from vectorstore.ingest import ingest, needs_embedding

    the_store = the_store or store(settings)
    the_embedder = embedder(settings) if needs_embedding(documents, the_store) else None
    results = ingest(documents, the_store, the_embedder, on_embedded)
    refresh_lexical(settings)
    return results


def delete_document(settings: Settings, doc_id: str, the_store: ParagraphStore | None = None) -> None:
    """Remove a document, and its words from the lexical index."""
    (the_store or store(settings)).delete(doc_id)
    refresh_lexical(settings)


# --- answering -----------------------------------------------------------------------------------


def llm_model_path(settings: Settings) -> Path:
    from vectorstore.models import QWEN_GGUF

    if settings.llm_model_path:
        return Path(settings.llm_model_path).expanduser()
    if not is_pulled(QWEN_GGUF, settings.cache_dir):
        raise ModelError(f"the local LLM is not in {settings.cache_dir}; run `paracite models pull --llm` first")
    return QWEN_GGUF.location(settings.cache_dir) / QWEN_GGUF.verify_path


_LLAMA_LOADING = threading.Lock()


def _llamacpp(path: Path, threads: int | None):
    # One model per process however many threads ask for it at once: lru_cache alone lets
    # concurrent first calls each load their own copy (a gigabyte each).
    with _LLAMA_LOADING:
        return _loaded_llamacpp(path, threads)


@lru_cache(maxsize=2)
def _loaded_llamacpp(path: Path, threads: int | None):
    from .llm import LlamaCppLLM

    return LlamaCppLLM(path, n_threads=threads)


def llm(settings: Settings, generator: str | None = None):
    """The chat model behind an LLM generator (and the llm judge), or None for extractive."""
    from .llm import OpenAICompatibleLLM

    kind = generator or settings.generator
    if kind == "llamacpp":
        return _llamacpp(llm_model_path(settings), settings.llm_threads)
    if kind == "openai":
        api_key = settings.llm_api_key.get_secret_value()
        if not settings.llm_url and not api_key:
            raise ModelError("the openai generator needs PARACITE_LLM_URL (an OpenAI-compatible server) or PARACITE_LLM_API_KEY")
        return OpenAICompatibleLLM(settings.llm_url, settings.llm_model, api_key)
    return None


def judge(settings: Settings, name: str, chat_llm=None):
    # A threshold the user sets holds for every sentence, in its paragraphs' language or not.
    threshold = ({} if settings.judge_threshold is None
                 else {"threshold": settings.judge_threshold, "cross_threshold": settings.judge_threshold})
    if name not in JUDGE_FACTORIES:  # a misspelt name was the LLM judge, silently
        raise InputError(f"unknown judge {name!r}: use {one_of(JUDGES)}")
    return JUDGE_FACTORIES[name](settings, chat_llm, threshold)


def _quote_judge(settings: Settings, chat_llm, threshold: dict):
    from .judges import QuoteJudge

    return QuoteJudge(**threshold)


def _embedding_judge(settings: Settings, chat_llm, threshold: dict):
    from .judges import EmbeddingJudge

    return EmbeddingJudge(embedder(settings), **threshold)


def _llm_judge(settings: Settings, chat_llm, threshold: dict):
    from .judges import LLMJudge

    if chat_llm is None:  # the configured server if there is one, else the local GGUF
        chat_llm = llm(settings, "openai" if settings.llm_url else "llamacpp")
    return LLMJudge(chat_llm, **threshold)


# The judges by the name settings, the CLI and the UI offer (settings.JUDGES; a test holds them equal).
JUDGE_FACTORIES = {"quote": _quote_judge, "embedding": _embedding_judge, "llm": _llm_judge}


def assistant(settings: Settings, generator: str | None = None):
    """The answering pipeline for the configured (or the given) generator."""
    from .answering import Assistant
    from .followup import LLMRewriter, RuleRewriter
    from .generators import ExtractiveGenerator, LLMGenerator
    from .translation import default_glossary
    from .verifier import Verifier

    kind = generator or settings.generator
    if kind not in GENERATORS:
        raise InputError(f"unknown generator {kind!r}: use {one_of(GENERATORS)}")
    the_embedder = embedder(settings)
    the_retriever = retriever(settings)
    extractive = ExtractiveGenerator(query_embedder(settings), default_glossary(settings.terms_file),
                                     lambda name: the_retriever.lexical().share_printing(name))
    chat_llm = llm(settings, kind)
    if chat_llm is None:
        the_generator, rewriter = extractive, RuleRewriter()
        judge_name = "quote" if settings.judge == "auto" else settings.judge
    else:
        the_generator, rewriter = LLMGenerator(chat_llm, kind), LLMRewriter(chat_llm)
        judge_name = "llm" if settings.judge == "auto" else settings.judge
    verifier = Verifier(judge(settings, judge_name, chat_llm), the_embedder, settings.verifier_mode)
    return Assistant(the_retriever, the_generator, verifier, rewriter, extractive, k=settings.top_k,
                     answerability=answerability(settings, chat_llm), renderer=renderer(settings, chat_llm),
                     translation_hint=TRANSLATION_HINTS["off" if settings.translator == "none" else "missing"])


TRANSLATION_HINTS = {
    "missing": "Quotes are shown in their original language. For a verified machine translation beside each, set "
               "PARACITE_LLM_URL to an OpenAI-compatible server, or run `make llm` for the local model.",
    "off": "Quotes are shown in their original language: machine translation is off (PARACITE_TRANSLATOR=none).",
}


def renderer(settings: Settings, chat_llm=None):
    """What renders quotes into the reader's language (assistant.translation), or None.

    auto: the generator's own model, else the configured server, else the local GGUF where it is
    installed and pulled (loaded on the first quote that needs a rendering).
    """
    from .translation import (
        RENDERING_THRESHOLDS,
        LLMTranslator,
        Renderer,
        RenderingCache,
        default_glossary,
        embedding_faithfulness,
        llm_faithfulness,
    )

    kind = settings.translator
    if kind == "none":
        return None
    if kind == "openai" or (kind == "auto" and chat_llm is None and settings.llm_url):
        chat_llm = llm(settings, "openai")
    elif kind == "llamacpp" or (kind == "auto" and chat_llm is None):
        if kind == "auto" and not _local_llm_installed(settings):
            return None
        path = llm_model_path(settings)
        chat_llm = _LazyLLM(path.parent.name if path.stem == "model" else path.stem, lambda: llm(settings, "llamacpp"))
    judge_name = settings.rendering_judge
    faithful = llm_faithfulness(chat_llm) if judge_name == "llm" else embedding_faithfulness(embedder(settings))
    return Renderer(LLMTranslator(chat_llm), default_glossary(settings.terms_file),
                    RenderingCache(settings.cache_dir / "renderings.sqlite"), faithful,
                    settings.rendering_threshold if settings.rendering_threshold is not None
                    else RENDERING_THRESHOLDS[judge_name], judge_name)


class _LazyLLM:
    """A chat model loaded on its first use: a process that never meets a foreign quote loads none."""

    def __init__(self, name: str, load) -> None:
        self.name = name
        self._load = load

    def stream(self, messages, max_tokens: int = 400):
        return self._load().stream(messages, max_tokens)

    def yes_probability(self, messages) -> float:
        return self._load().yes_probability(messages)


def _local_llm_installed(settings: Settings) -> bool:
    import importlib.util

    from vectorstore.models import QWEN_GGUF

    if importlib.util.find_spec("llama_cpp") is None:
        return False
    return bool(settings.llm_model_path) or is_pulled(QWEN_GGUF, settings.cache_dir)


def answerability(settings: Settings, chat_llm=None):
    """Similarity, with the LLM's readout for unsure questions: the generator's own model, else a
    configured server, else the local GGUF where it is installed (loaded on first need)."""
    from .answerability import SimilarityAnswerability

    if settings.answerability == "similarity":
        return SimilarityAnswerability(query_embedder(settings))
    if chat_llm is None and settings.llm_url:
        chat_llm = llm(settings, "openai")
    if chat_llm is None:
        if settings.answerability == "llm":
            llm_model_path(settings)  # says what to pull, now rather than on the first question
            return SimilarityAnswerability(query_embedder(settings), lambda: llm(settings, "llamacpp"))
        return SimilarityAnswerability(query_embedder(settings), lambda: _installed_llm(settings))
    return SimilarityAnswerability(query_embedder(settings), chat_llm)


def _installed_llm(settings: Settings):
    """The local GGUF where `make llm` installed it; None where it did not."""
    import importlib.util

    if importlib.util.find_spec("llama_cpp") is None:
        return None
    try:
        return llm(settings, "llamacpp")
    except ModelError:  # not pulled
        return None


def redis_client(url: str, purpose: str):
    """A client of the Redis server at `url`, checked now, so that a wrong URL stops a server at
    start rather than at its first question. `purpose` names what it keeps, for the message."""
    import redis

    from .sites import without_password

    where = without_password(url)
    try:
        client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        client.ping()
    except (ValueError, redis.RedisError) as exc:
        raise StoreError(f"cannot reach Redis at {where} for {purpose} (PARACITE_REDIS_URL): {exc}") from None
    return client


def answer_cache(settings: Settings):
    """The cache PARACITE_ANSWER_CACHE names; auto: Redis where PARACITE_REDIS_URL is set."""
    from .answer_cache import MemoryAnswerCache, NoAnswerCache, RedisAnswerCache

    kind = settings.answer_cache
    if kind == "off":
        return NoAnswerCache()
    if kind == "memory" or (kind == "auto" and not settings.redis_url):
        return MemoryAnswerCache()
    if not settings.redis_url:
        raise InputError("PARACITE_ANSWER_CACHE=redis needs PARACITE_REDIS_URL")
    return RedisAnswerCache(redis_client(settings.redis_url, "the answer cache"))
