"""The chat UI (`paracite serve` mounts it at "/"), in parts: `labels` (every word, in both
languages), `render` (pure HTML renderers), `state` (the conversation the browser keeps),
`access` (who may change the corpus; the visitor's choices), `theme` (theme, chat.css, chat.js),
`app` (the Gradio layout and its handlers) and `library` (the Documents tab, its layout and handlers)."""

from .access import JUDGE_CHOICES, MAX_K, choice_for, corpus_refusal
from .app import build_ui
from .labels import I18N, LANGUAGE_SCRIPT, page_language
from .render import highlight, render_conversation, render_paragraph
from .state import history_of, stored_answer, valid_turns
from .theme import CSS, THEME, head
from ..settings import GENERATORS

__all__ = [
    "CSS", "GENERATORS", "I18N", "JUDGE_CHOICES", "LANGUAGE_SCRIPT", "MAX_K", "THEME", "build_ui", "choice_for",
    "corpus_refusal", "head", "highlight", "history_of", "page_language", "render_conversation", "render_paragraph",
    "stored_answer", "valid_turns",
]
