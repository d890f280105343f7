"""Who may do what from the chat UI, and the visitor's choices as the workspace reads them.

The UI is served beside the widget's API, possibly to the public: changing the corpus and
exporting feedback are guarded here (`corpus_refusal`), and an LLM endpoint typed into Settings
is only honoured on a server that listens on this machine alone (see `build_ui`).
"""

from __future__ import annotations

import logging
import secrets

from ..settings import GENERATORS, JUDGES, Settings
from ..workspace import Choice

log = logging.getLogger(__name__)

MAX_K = 20
JUDGE_CHOICES = ("auto", *JUDGES)


def choice_for(settings: Settings, generator: str | None, k: float | None, judge: str | None,
               llm_url: str | None, llm_model: str | None) -> Choice:
    """The user's settings as a Choice; what equals the configuration is left None, so that the
    UI shares its pipelines and cached answers with the HTTP API."""
    generator = generator if generator in GENERATORS else settings.generator
    k = min(max(int(k), 1), MAX_K) if k else settings.top_k  # every k is a pipeline kept in memory
    judge = judge if judge in JUDGE_CHOICES else settings.judge
    url = (llm_url or "").strip() or None
    model = (llm_model or "").strip() or None
    openai = generator == "openai"
    return Choice(
        generator=None if generator == settings.generator else generator,
        k=None if k == settings.top_k else k,
        judge=None if judge == settings.judge else judge,
        llm_url=url if openai and url != settings.llm_url else None,
        llm_model=model if openai and model and model != settings.llm_model else None,
    )


def corpus_refusal(settings: Settings, given_key: str | None) -> str | None:
    """Why this visitor may not add or delete documents here, or None when they may.

    The UI is served beside the widget's API, possibly to the public: with an admin key set,
    changing the corpus takes that key; without one, only a server that listens on this
    machine alone lets its UI change the corpus."""
    key = settings.admin_key.get_secret_value()
    if key:
        if given_key and secrets.compare_digest(given_key.encode(), key.encode()):
            return None
        return "Adding and deleting documents needs the admin key (PARACITE_ADMIN_KEY): enter it in the Documents tab."
    if settings.local_only:
        return None
    return (f"Adding and deleting documents is off here: the server listens on {settings.host}, not only on "
            "this machine. Set PARACITE_ADMIN_KEY to allow it with that key.")


SHARED_SECRET_KEY = "paracite:ui-secret"


def browser_secret(settings: Settings) -> str:
    """The key that encrypts the conversation in localStorage, kept in the data directory so that
    a conversation outlives a server restart, or in Redis where one is configured, so that every
    replica reads a visitor's conversation whichever one the proxy sends them to."""
    if settings.redis_url:
        from ..services import redis_client

        client = redis_client(settings.redis_url, "the chat UI's conversation key")
        client.set(SHARED_SECRET_KEY, secrets.token_urlsafe(24), nx=True)  # the first replica's stays
        return client.get(SHARED_SECRET_KEY).decode("ascii")
    path = settings.data_dir / "ui-secret"
    try:
        secret = path.read_text(encoding="ascii").strip()
        if secret:
            return secret
    except OSError:
        pass
    secret = secrets.token_urlsafe(24)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secret, encoding="ascii")
        path.chmod(0o600)
    except OSError:  # a read-only data directory: conversations last as long as the server
        log.warning("cannot write %s; conversations will not survive a server restart", path)
    return secret
