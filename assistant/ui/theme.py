"""How the chat UI looks and behaves in the browser: the Gradio theme, the stylesheet
(chat.css, scoped by Gradio inside its container; page.css, for the page around it) and the
conversation's script (chat.js), kept as files so that they read as CSS and JavaScript; the server
passes them to Gradio once, at mount (`head()` is the page's <head> addition).
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

_HERE = Path(__file__).parent
CSS = (_HERE / "chat.css").read_text(encoding="utf-8")
CHAT_JS = (_HERE / "chat.js").read_text(encoding="utf-8")
PAGE_CSS = (_HERE / "page.css").read_text(encoding="utf-8")

# Local fonts only: the default theme asks Google Fonts for Inter, which an offline server cannot reach.
_SANS = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Noto Sans CJK SC", "Noto Sans SC",
         "PingFang SC", "Microsoft YaHei", "sans-serif"]
# Text and accents at WCAG AA contrast (4.5:1 and more; an axe audit in tests/test_ui.py checks
# it): the default theme's subdued grey (#bbbbc2) and blue-500 buttons and tabs fall short.
THEME = gr.themes.Default(
    primary_hue="blue", font=_SANS, font_mono=["ui-monospace", "Menlo", "Consolas", "monospace"],
).set(
    body_text_color_subdued="#5b6170", body_text_color_subdued_dark="#a3a9b6",
    color_accent="#2f5bd3", color_accent_soft="#e8eefc",
    button_primary_background_fill="#2f5bd3", button_primary_background_fill_hover="#2749b0",
    button_primary_background_fill_dark="#2f5bd3", button_primary_background_fill_hover_dark="#3d68de",
    button_primary_text_color="#ffffff", button_primary_text_color_dark="#ffffff",
    button_cancel_background_fill="#c81e1e", button_cancel_background_fill_hover="#a61b1b",
    button_cancel_background_fill_dark="#c81e1e", button_cancel_background_fill_hover_dark="#dc2626",
    button_cancel_text_color="#ffffff", button_cancel_text_color_dark="#ffffff",
)


def head() -> str:
    """What Gradio adds to the page's <head> once its config is read (chat.css is given apart)."""
    return f"<style>{PAGE_CSS}</style>"
