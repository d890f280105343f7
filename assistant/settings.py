"""All configuration in one typed place: environment variables with the PARACITE_ prefix.

One data directory (the embedded Chroma store and everything derived from it) and one cache
directory (pulled models) hold all state; both move with an environment variable, which is also
how the tests point Paracite at a temporary directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# This machine's own names. A server listening on one of them is for this machine alone: the
# server's Host guard (against DNS rebinding) and the UI's corpus policy both go by this one set.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


# The names a user can choose, in one place: the settings' types, the CLI's checks and help, the
# UI's choices and the judge factory all derive from these.
GeneratorName = Literal["extractive", "openai", "llamacpp"]
JudgeName = Literal["quote", "embedding", "llm"]
TranslatorName = Literal["auto", "none", "openai", "llamacpp"]
GENERATORS: tuple[str, ...] = get_args(GeneratorName)
TRANSLATORS: tuple[str, ...] = get_args(TranslatorName)
JUDGES: tuple[str, ...] = get_args(JudgeName)


def one_of(names: tuple[str, ...]) -> str:
    """"a, b or c": for help texts and error messages."""
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def url_host(host: str) -> str:
    """A host as it stands in a URL or a Host header: an IPv6 address goes in brackets (RFC 3986)."""
    return f"[{host}]" if ":" in host else host


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARACITE_", extra="forbid")

    data_dir: Path = Field(default_factory=lambda: platformdirs.user_data_path("paracite"))
    cache_dir: Path = Field(default_factory=lambda: platformdirs.user_cache_path("paracite"))
    chroma_url: str | None = Field(
        default=None, description="A Chroma server (http://host:port); embedded store when unset."
    )
    collection_prefix: str = "paracite"
    redis_url: str | None = Field(
        default=None, description="A Redis server (redis://host:port/db) that keeps the answer budgets, shared by "
        "every replica, the shared answer cache and the chat UI's conversation key; in each process when unset.",
    )
    answer_cache: Literal["auto", "memory", "redis", "off"] = Field(
        default="auto", description="Where answers are cached (by question, history, documents and the store's "
        "version): auto: in Redis when PARACITE_REDIS_URL is set, so every replica reuses an answer any of them "
        "gave, else in this process's memory; off: every question is answered afresh.",
    )
    feedback_url: str | None = Field(
        default=None, description="Database for the chat UI's thumbs up and down, as a SQLAlchemy URL "
        "(sqlite:///path, postgresql+psycopg://user:pass@host/db); DATA_DIR/feedback.sqlite when unset.",
    )
    embedding_model: str | None = Field(
        default=None,
        description="A sentence-transformers model directory; the pulled EmbeddingGemma when unset.",
    )
    embedding_dtype: Literal["auto", "bfloat16", "float32"] = "auto"

    generator: GeneratorName = "extractive"
    top_k: int = Field(default=5, ge=1, le=50, description="Paragraphs retrieved for an answer.")
    llm_url: str | None = Field(
        default=None, description="OpenAI-compatible server for the openai generator, e.g. http://127.0.0.1:8080/v1."
    )
    llm_model: str = Field(default="paracite-llm", description="Model name sent to the openai server.")
    llm_api_key: SecretStr = SecretStr("")
    llm_model_path: str | None = Field(
        default=None, description="GGUF file for the llamacpp generator; the pulled Qwen when unset."
    )
    llm_threads: int | None = Field(default=None, ge=1, description="CPU threads for llamacpp.")
    judge: Literal[Literal["auto"], JudgeName] = Field(
        default="auto", description="Support check for LLM answers; auto: llm for LLM generators."
    )
    judge_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    answerability: Literal["auto", "similarity", "llm"] = Field(
        default="auto", description="What decides 'answered' from 'related' when the similarity is unsure: "
        "auto: an LLM's yes/no readout where one is configured or installed, else the similarity alone."
    )
    verifier_mode: Literal["remove", "flag"] = "remove"
    translator: TranslatorName = Field(
        default="auto", description="Renders quotes into the question's language, each checked before it is shown. "
        "auto: the LLM generator's own model, else the server at PARACITE_LLM_URL, else the local GGUF where "
        "`make llm` installed it, else none.",
    )
    rendering_judge: Literal["embedding", "llm"] = Field(
        default="embedding", description="What judges that a rendering says what its quote says, after the checks "
        "(numbers, script, terms): the embedding model's cross-lingual similarity, or the translator's P(yes).",
    )
    rendering_threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    terms_file: Path | None = Field(
        default=None, description="A glossary (Chinese term, tab, English renderings separated by |) added to the "
        "built-in UN terms that every rendering must carry.",
    )

    # paracite serve: the chat UI, the HTTP API and the widget in one process
    host: str = "127.0.0.1"
    port: int = Field(default=7860, ge=1, le=65535)
    serve_ui: bool = Field(default=True, description="Serve the chat UI at / (false: API and widget only).")
    admin_key: SecretStr = Field(
        default=SecretStr(""), description="Bearer key for the admin API (ingest, delete); disabled when empty."
    )
    sites_file: Path | None = Field(
        default=None, description="TOML file of widget site keys and their origins; DATA_DIR/sites.toml when unset."
    )
    rate_limit_ip: str = Field(default="30/minute", description="Answers per client IP (limits syntax).")
    rate_limit_site: str = Field(default="300/minute", description="Answers per widget site key, unless the site sets its own.")
    max_concurrent_answers: int | None = Field(
        default=None, ge=1, description="Answers computed at once by the server; the CPU count when unset "
        "(raise it when the LLM is a remote server)."
    )
    max_request_bytes: int = Field(default=64 * 1024, ge=1024, description="Largest JSON body the API reads.")
    examples: str = Field(
        default="", description="Example questions the chat UI and the widget offer a new visitor, separated by |; "
        "unset: the demo corpus's own when its documents are in the library, else none.",
    )

    @property
    def local_only(self) -> bool:
        return self.host in LOOPBACK_HOSTS

    @property
    def url(self) -> str:
        return f"http://{url_host(self.host)}:{self.port}/"

    @property
    def sites_path(self) -> Path:
        return self.sites_file or self.data_dir / "sites.toml"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"
