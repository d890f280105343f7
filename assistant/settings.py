"""All configuration in one typed place: environment variables with the PARACITE_ prefix.

One data directory (the embedded Chroma store and everything derived from it) and one cache
directory (pulled models) hold all state; both move with an environment variable, which is also
how the tests point Paracite at a temporary directory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARACITE_", extra="forbid")

    data_dir: Path = Field(default_factory=lambda: platformdirs.user_data_path("paracite"))
    cache_dir: Path = Field(default_factory=lambda: platformdirs.user_cache_path("paracite"))
    chroma_url: str | None = Field(
        default=None, description="A Chroma server (http://host:port); embedded store when unset."
    )
    collection_prefix: str = "paracite"
    embedding_model: str | None = Field(
        default=None,
        description="A sentence-transformers model directory; the pulled EmbeddingGemma when unset.",
    )
    embedding_dtype: Literal["auto", "bfloat16", "float32"] = "auto"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"
