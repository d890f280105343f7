"""The chat UI: a Gradio Blocks app over one `Workspace` (`paracite serve` mounts it at "/").

The conversation is rendered here, as HTML, rather than by gr.Chatbot: every answer keeps its
structure (sentences, citations with their quotes, removals, retrieved paragraphs), and a
citation chip names its own message, sentence and citation by index, so that after a reload a
chip in the first answer still opens the first answer's paragraph with the first answer's
quote. Everything that comes from a question, an answer or a document is HTML-escaped here, in
one place (`_e`); nothing else builds markup from text.

State: the conversation lives in the browser (gr.BrowserState, localStorage, encrypted with a key
kept in the data directory), and so do the documents ticked under "Search only in", so both
survive a page reload and a server restart; the server holds no per-user state except the
feedback comment being written and uploads waiting for "Yes, replace".

Clicks inside the rendered HTML (a chip, a retrieved paragraph, a thumb, an example question)
are caught by one listener on the conversation component and sent to Python as custom events
("cite", "rate", "example") with the indexes as data.
"""

from __future__ import annotations

import html
import logging
import os
import re
import secrets
import tempfile
import zlib
from pathlib import Path
from collections.abc import Callable
from typing import Any

import gradio as gr

from vectorstore.errors import InputError, NotFoundError, ParaciteError
from vectorstore.paragraphs import language_of, mostly_han
from vectorstore.readers import SUPPORTED_SUFFIXES, document_id

from .answering import (
    MAX_HISTORY_TURNS,
    Done,
    Lead,
    Retrieved,
    SentenceReady,
    Standalone,
    check_question,
)
from .answering import Removed as RemovedEvent
from .feedback import FeedbackStore, export_questions
from .settings import GENERATORS, JUDGES, Settings
from .workspace import Choice, Upload, Workspace

log = logging.getLogger(__name__)

STORAGE_KEY = "paracite-conversation"
SCOPE_STORAGE_KEY = "paracite-searched-in"
MAX_STORED_TURNS = 50  # the oldest turns are dropped from the browser's copy beyond this
SNIPPET_CHARS = 160
CHIP_TITLE_CHARS = 12  # a chip names its document (when an answer cites several) in this many
MAX_K = 20
JUDGE_CHOICES = ("auto", *JUDGES)
DEMO_DOCS = ("npt-2007-chair-working-paper", "npt-2024-chair-summary")
EXAMPLES = (
    "2024年缔约国对扎波罗热核电厂提出了什么要求？",
    "What did the 2007 working paper say about Iran?",
    "缔约国对福岛处理水排海有何看法？",
)


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


# The page's own labels in the browser's language (Gradio picks the locale; other languages get
# English). The conversation follows each question's language instead (TURN_TEXT).
LABELS = {
    "ask": ("Ask", "提问"),
    "placeholder": ("Ask about the documents · 用中文或英文提问", "用中文或英文提问 · Ask in Chinese or English"),
    "new": ("New conversation", "新对话"),
    "comment": ("Comment (optional)", "意见（可选）"),
    "comment_placeholder": ("What was right or wrong? · 哪里对、哪里不对？", "哪里对、哪里不对？"),
    "save_comment": ("Save comment", "保存意见"),
    "tab_paragraph": ("Paragraph", "段落"),
    "tab_documents": ("Documents", "文件"),
    "tab_settings": ("Settings", "设置"),
    "tab_feedback": ("Feedback", "反馈"),
    "search_only": ("Search only in", "只在这些文件中检索"),
    "search_only_info": ("Nothing checked: all documents", "不勾选：检索全部文件"),
    "admin_key": ("Admin key", "管理员密钥"),
    "admin_key_info": ("Needed to add or delete documents on this server", "在此服务器上添加或删除文件时需要"),
    "add_documents": (
        "Add documents: " + " ".join(SUPPORTED_SUFFIXES[:5]),
        "添加文件：" + " ".join(SUPPORTED_SUFFIXES[:5]),
    ),
    "yes_replace": ("Yes, replace", "替换"),
    "cancel": ("Cancel", "取消"),
    "remove_document": ("Remove a document", "删除文件"),
    "delete": ("Delete", "删除"),
    "yes_delete": ("Yes, delete", "确认删除"),
    "generator": ("Generator", "生成器"),
    "generator_info": (
        "extractive quotes the paragraphs; openai and llamacpp write with an LLM",
        "extractive 直接引用段落；openai 和 llamacpp 由大语言模型撰写",
    ),
    "endpoint": ("OpenAI-compatible endpoint", "OpenAI 兼容接口地址"),
    "model_name": ("Model name", "模型名称"),
    "top_k": ("Paragraphs retrieved (top-k)", "检索段落数（top-k）"),
    "judge": ("Support check (judge)", "支持度核查（judge）"),
    "judge_info": (
        "auto: the LLM judge for LLM generators, quotes otherwise",
        "auto：LLM 生成器用 LLM 核查，否则核对引文",
    ),
    "export": ("Export feedback", "导出反馈"),
    "export_file": ("Feedback as eval questions", "反馈（评测问题格式）"),
}
I18N = gr.I18n(en={k: v[0] for k, v in LABELS.items()}, zh={k: v[1] for k, v in LABELS.items()})
L = I18N  # L("ask"): a label's key, translated in the browser


# What the conversation says around an answer, in the language of the question it answers: a
# Chinese question's turn reads in Chinese throughout, whatever the browser's language.
TURN_TEXT = {
    "en": {
        "searching": "Searching the documents…",
        "reading": "Reading {n} paragraph{s}…",
        "local_model": " The local model takes about a minute on a CPU.",
        "writing": "Writing…",
        "checking": "Checking the citations…",
        "standalone": "Searched as a standalone question",
        "retrieved": "{n} retrieved paragraph{s}",
        "scores": "score {score} · similarity {similarity}",
        "good": "Good answer",
        "bad": "Bad answer",
        "thanks": "Thanks for the feedback",
        "removed": "The verifier removed {counts} from the draft before showing it:",
        "sentences": "{n} sentence{s}",
        "citations": "{n} citation{s}",
        "and": " and ",
        "fallback": "The {generator} generator’s answer was not used ({why}); these are quotes from the paragraphs.",
        "cited_for": "Cited for",
        "quote_marked": "The highlighted words are the quote that supports the sentence.",
        "retrieved_only": "Retrieved for this question.",
    },
    "zh": {
        "searching": "正在检索文件…",
        "reading": "正在阅读 {n} 个段落…",
        "local_model": "本地模型在 CPU 上大约需要一分钟。",
        "writing": "正在撰写…",
        "checking": "正在核对引用…",
        "standalone": "作为独立问题检索的内容",
        "retrieved": "检索到的 {n} 个段落",
        "scores": "得分 {score} · 相似度 {similarity}",
        "good": "回答得好",
        "bad": "回答得不好",
        "thanks": "感谢反馈",
        "removed": "核查在显示前从草稿中删去了{counts}：",
        "sentences": " {n} 个句子",
        "citations": " {n} 处引用",
        "and": "和",
        "fallback": "{generator} 生成器的回答未被采用（{why}）；以下是段落原文的引文。",
        "cited_for": "引用于",
        "quote_marked": "高亮部分是支持该句的引文。",
        "retrieved_only": "为此问题检索到的段落。",
    },
}


def turn_text(language: str, key: str, **values: Any) -> str:
    values.setdefault("s", "s" if values.get("n", 1) != 1 else "")
    return TURN_TEXT.get(language, TURN_TEXT["en"])[key].format(**values)


# --- rendering: pure functions from the stored conversation to HTML -----------------------------

def render_conversation(turns: list[dict], pending: dict | None = None, documents: list | None = None) -> str:
    """The whole conversation; `pending` is the turn being answered, `documents` the library
    (for the empty state)."""
    parts = [_render_turn(i, turn) for i, turn in enumerate(turns)]
    if pending is not None:
        parts.append(_render_turn(len(turns), pending, pending=True))
    if not parts:
        parts.append(_render_empty(documents or []))
    signature = f"{len(turns)}-{'p' if pending else ''}{len((pending or {}).get('answer', {}).get('sentences', []))}"
    return f'<div class="pc-scroll" data-sig="{signature}"><div class="pc-log">{"".join(parts)}</div></div>'


def _render_empty(documents: list) -> str:
    if not documents:
        body = ('<p>No documents yet. Add some in the <b>Documents</b> tab, then ask about them.</p>'
                '<p lang="zh">还没有文件。请先在“Documents”中添加文件。</p>')
    else:
        count = len(documents)
        body = (f"<p>Ask about the {count} document{'s' if count != 1 else ''} in the library, in Chinese or English. "
                "Every sentence of the answer cites the numbered paragraph it comes from.</p>"
                "<p lang=\"zh\">用中文或英文提问；答案的每一句都注明出处段落。</p>")
        if {d.doc_id for d in documents} >= set(DEMO_DOCS):
            examples = "".join(
                f'<button type="button" class="pc-example" data-example="{_e(q)}">{_e(q)}</button>' for q in EXAMPLES
            )
            body += f'<div class="pc-examples">{examples}</div>'
    return f'<div class="pc-empty"><div class="pc-empty-title">Paracite</div>{body}</div>'


def _render_turn(index: int, turn: dict, pending: bool = False) -> str:
    question = f'<div class="pc-q"><div class="pc-bubble">{_e(turn["question"])}</div></div>'
    language = language_of(turn["question"])
    answer = turn.get("answer") or {}
    body = _render_answer(index, answer)
    if pending:
        status = turn.get("status") or turn_text(language, "searching")
        status = f'<div class="pc-status"><span class="pc-dots"></span>{_e(status)}</div>'
        return f'<div class="pc-turn pc-pending" data-turn="{index}">{question}<div class="pc-a">{body}{status}</div></div>'
    extras = (_render_removed(answer, language) + _render_fallback(answer, language)
              + _render_details(index, turn["question"], answer, language))
    actions = _render_actions(index, turn.get("feedback"), language)
    return (f'<div class="pc-turn" data-turn="{index}">{question}'
            f'<div class="pc-a">{body}{extras}{actions}</div></div>')


def _render_answer(index: int, answer: dict) -> str:
    sentences = answer.get("sentences") or []
    lead = answer.get("lead") or ""
    if answer.get("refused"):
        return f'<div class="pc-answer pc-refused">{_e(lead or answer.get("answer", ""))}</div>'
    if not sentences and not lead:
        return ""
    cjk = mostly_han(" ".join(s["text"] for s in sentences)) if sentences else True
    titles = {r["doc"]: r.get("title") or r["doc"] for r in answer.get("retrieved") or []}
    # Documents share paragraph numbers: when an answer cites several, each chip names its own.
    cited = {c["doc"] for s in sentences for c in s.get("citations") or []}
    pieces = []
    for j, sentence in enumerate(sentences):
        chips = []
        seen = set()
        for k, citation in enumerate(sentence.get("citations") or []):
            key = (citation["doc"], citation["paragraph"])
            if key in seen:
                continue
            seen.add(key)
            title = titles.get(citation["doc"], citation["doc"])
            hover = f"{title} · {citation['doc']} ¶{citation['paragraph']}"
            chips.append(
                f'<a href="#" role="button" class="pc-chip" data-cite="1" data-turn="{index}" data-s="{j}" data-c="{k}" '
                f'data-doc="{_e(citation["doc"])}" data-p="{int(citation["paragraph"])}" title="{_e(hover)}">'
                f'{_e(_short(title, CHIP_TITLE_CHARS)) + " " if len(cited) > 1 else ""}¶{int(citation["paragraph"])}</a>'
            )
        flagged = sentence.get("flagged")
        text = _e(sentence["text"])
        if flagged:
            text = f'<span class="pc-flagged" title="{_e(flagged)}">⚠ {text}</span>'
        pieces.append(f'<span class="pc-sentence">{text}{"".join(chips)}</span>')
    glue = "" if cjk else " "
    after_lead = "" if mostly_han(lead) else " "  # as Answer.text joins them
    lead_html = f'<span class="pc-lead">{_e(lead)}</span>{after_lead if sentences else ""}' if lead else ""
    # A related answer is the closest passages, not an answer: it must not read as one.
    state = " pc-related" if answer.get("status") == "related" else ""
    return f'<div class="pc-answer{state}" data-status="{_e(answer.get("status") or "answered")}">{lead_html}{glue.join(pieces)}</div>'


def _render_removed(answer: dict, language: str = "en") -> str:
    removed = answer.get("removed") or []
    if not removed:
        return ""
    sentences = sum(1 for r in removed if r["what"] == "sentence")
    citations = len(removed) - sentences
    counts = turn_text(language, "and").join(
        turn_text(language, what, n=n) for n, what in ((sentences, "sentences"), (citations, "citations")) if n
    )
    items = "".join(
        f'<li><span class="pc-removed-what">{_e(r["what"])}</span> “{_e(_short(r["text"], 200))}” '
        f'<span class="pc-removed-why">— {_e(r["reason"])}</span></li>'
        for r in removed
    )
    head = _e(turn_text(language, "removed", counts=counts))
    return f'<div class="pc-removed" role="note"><div class="pc-removed-head">{head}</div><ul>{items}</ul></div>'


def _render_fallback(answer: dict, language: str = "en") -> str:
    if not answer.get("fallback"):
        return ""
    text = turn_text(language, "fallback", generator=answer.get("generator", ""), why=answer["fallback"])
    return f'<div class="pc-fallback" role="note">{_e(text)}</div>'


def _details_key(index: int, kind: str, question: str) -> str:
    """Names a disclosure across re-renders, so the page can keep it open (a new conversation's
    first turn is another question, so another key)."""
    return f"{index}-{kind}-{zlib.crc32(question.encode('utf-8')):08x}"


def _render_details(index: int, question: str, answer: dict, language: str = "en") -> str:
    parts = []
    standalone = answer.get("standalone_question") or ""
    if standalone and standalone.strip() != question.strip():
        parts.append(
            f'<details class="pc-details pc-standalone" data-key="{_details_key(index, "standalone", question)}">'
            f'<summary>{_e(turn_text(language, "standalone"))}</summary>'
            f'<div class="pc-standalone-text">{_e(standalone)}</div></details>'
        )
    retrieved = answer.get("retrieved") or []
    if retrieved:
        rows = "".join(
            f'<li><a href="#" role="button" class="pc-src" data-src="1" data-turn="{index}" data-doc="{_e(r["doc"])}" '
            f'data-p="{int(r["paragraph"])}" title="{_e(r.get("title") or r["doc"])}">{_e(r["doc"])} ¶{int(r["paragraph"])}</a>'
            f'<span class="pc-score">{_e(_scores(r, language))}</span>'
            f'<div class="pc-snip">{_e(_short(r.get("text", ""), SNIPPET_CHARS))}</div></li>'
            for r in retrieved
        )
        count = len(retrieved)
        parts.append(
            f'<details class="pc-details pc-retrieved" data-key="{_details_key(index, "retrieved", question)}">'
            f'<summary>{_e(turn_text(language, "retrieved", n=count))}'
            f' · {_e(answer.get("generator", ""))}</summary><ol>{rows}</ol></details>'
        )
    return f'<div class="pc-meta">{"".join(parts)}</div>' if parts else ""


def _scores(result: dict, language: str) -> str:
    return turn_text(language, "scores", score=f"{float(result.get('score', 0)):.3f}",
                     similarity=f"{float(result.get('similarity', 0)):.2f}")


def _render_actions(index: int, feedback: dict | None, language: str = "en") -> str:
    rating = (feedback or {}).get("rating")
    buttons = "".join(
        f'<button type="button" class="pc-fb{" pc-on" if rating == value else ""}" data-fb="{value}" '
        f'data-turn="{index}" title="{label}" aria-label="{label}" aria-pressed="{str(rating == value).lower()}">'
        f'{_icon(THUMBS[value])}</button>'
        for value, label in (("up", turn_text(language, "good")), ("down", turn_text(language, "bad")))
    )
    thanks = f'<span class="pc-thanks">{_e(turn_text(language, "thanks"))}</span>' if rating else ""
    return f'<div class="pc-actions">{buttons}{thanks}</div>'


# Thumb icons (Feather, MIT): inline SVG, since not every machine has an emoji font.
THUMBS = {
    "up": "M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.28a2 2 0 0 0 2-1.7l1.38-9a2 2 0 0 0-2-2.3zM7 22H4a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2h3",
    "down": "M10 15v4a3 3 0 0 0 3 3l4-9V2H5.72a2 2 0 0 0-2 1.7l-1.38 9a2 2 0 0 0 2 2.3zm7-13h2.67A2.31 2.31 0 0 1 22 4v7a2.31 2.31 0 0 1-2.33 2H17",
}


def _icon(path: str) -> str:
    return (f'<svg viewBox="0 0 24 24" width="15" height="15" fill="none" stroke="currentColor" stroke-width="2" '
            f'stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="{path}"/></svg>')


def render_paragraph(doc: str, title: str, number: int, text: str, quotes: list[str], cited_for: str = "",
                     turn: int | None = None, language: str = "en") -> str:
    """The side panel: one paragraph, whole, with the quoted parts marked."""
    marked = highlight(text, quotes)
    turn_attr = f' data-turn="{turn}"' if turn is not None else ""
    context = ""
    if cited_for:
        context = (f'<div class="pc-cited-for"><span>{_e(turn_text(language, "cited_for"))}</span> “{_e(cited_for)}”</div>')
    note = (turn_text(language, "quote_marked") if quotes and "<mark>" in marked
            else turn_text(language, "retrieved_only") if not quotes else "")
    return (
        f'<div class="pc-panel" data-doc="{_e(doc)}" data-paragraph="{number}"{turn_attr}>'
        f'<div class="pc-panel-head"><span class="pc-panel-num">¶{number}</span>'
        f'<div><div class="pc-panel-title">{_e(title)}</div><div class="pc-panel-doc">{_e(doc)}</div></div></div>'
        f'{context}<div class="pc-para">{marked}</div>'
        f'{f"<div class=pc-panel-note>{_e(note)}</div>" if note else ""}</div>'
    )


def panel_message(text: str) -> str:
    return f'<div class="pc-panel pc-panel-empty">{_e(text)}</div>'


PANEL_EMPTY = ("Click a ¶ citation in an answer to read the whole paragraph here, with the quoted words highlighted. "
               "点击答案中的 ¶ 标记，可在此查看整段原文。")


def highlight(text: str, quotes: list[str]) -> str:
    """`text` escaped, with each quote (verbatim in it, whitespace aside) wrapped in <mark>."""
    spans = []
    for quote in quotes:
        chars = [c for c in quote or "" if not c.isspace()]
        if not chars:
            continue
        match = re.search(r"\s*".join(re.escape(c) for c in chars), text)
        if match:
            spans.append((match.start(), match.end()))
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, position = [], 0
    for start, end in merged:
        out.append(_e(text[position:start]))
        out.append(f"<mark>{_e(text[start:end])}</mark>")
        position = end
    out.append(_e(text[position:]))
    return "".join(out)


def render_documents(documents: list) -> str:
    if not documents:
        return '<div class="pc-docs-empty">The library is empty.</div>'
    rows = "".join(
        f'<tr><td class="pc-doc-id">{_e(d.doc_id)}</td><td>{_e(d.title)}</td><td class="pc-num">{d.paragraphs}</td></tr>'
        for d in documents
    )
    return (f'<table class="pc-docs"><thead><tr><th>Document</th><th>Title</th><th class="pc-num">¶</th></tr></thead>'
            f'<tbody>{rows}</tbody></table>')


def note(text: str, kind: str = "error") -> str:
    return f'<div class="pc-note pc-note-{kind}" role="{"alert" if kind == "error" else "status"}">{_e(text)}</div>'


def _short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# --- the stored conversation ---------------------------------------------------------------------

def stored_answer(answer) -> dict:
    """What the browser keeps of an answer: all of it, with retrieved texts cut to a snippet."""
    data = answer.as_json()
    data["lead"] = answer.lead
    for result in data["retrieved"]:
        result["text"] = _short(result["text"], SNIPPET_CHARS)
    return data


def valid_turns(value: Any) -> list[dict]:
    """The turns of a stored conversation that have the expected shape (localStorage may hold
    anything: an older version's data, or nothing)."""
    if not isinstance(value, list):
        return []
    turns = []
    for turn in value:
        if (isinstance(turn, dict) and isinstance(turn.get("question"), str) and isinstance(turn.get("answer"), dict)
                and isinstance(turn["answer"].get("sentences", []), list)):
            turns.append(turn)
    return turns[-MAX_STORED_TURNS:]


def history_of(turns: list[dict]) -> list[dict]:
    history = []
    for turn in turns[-MAX_HISTORY_TURNS:]:
        history.append({"role": "user", "content": turn["question"]})
        history.append({"role": "assistant", "content": str(turn["answer"].get("answer", ""))})
    return history


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


def _browser_secret(settings: Settings) -> str:
    """The key that encrypts the conversation in localStorage, kept in the data directory so that
    a conversation outlives a server restart."""
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


# --- the app -------------------------------------------------------------------------------------

def build_ui(workspace: Workspace, budget: Callable[[str], float | None] | None = None) -> gr.Blocks:
    settings = workspace.settings
    feedback = FeedbackStore.for_settings(settings)

    def documents() -> list:
        try:
            return workspace.documents()
        except ParaciteError:
            log.exception("cannot list the documents")
            return []

    def library_updates(selected: list[str] | None = None):
        docs = documents()
        ids = {d.doc_id for d in docs}
        choices = [(f"{d.doc_id} · {d.title}", d.doc_id) for d in docs]
        return (
            render_documents(docs),
            gr.CheckboxGroup(choices=choices, value=[d for d in selected or [] if d in ids]),
            gr.Dropdown(choices=[d.doc_id for d in docs], value=None),
            docs,
        )

    with gr.Blocks(title="Paracite", analytics_enabled=False) as demo:
        gr.HTML(f"<style>{CSS}</style>{HEADER}", elem_id="pc-header", js_on_load=None)
        conversation = gr.BrowserState([], storage_key=STORAGE_KEY, secret=_browser_secret(settings))
        comment_for = gr.State(None)
        # The ticked documents, kept like the chat (with its key: a random one would not outlive a restart).
        searched_in = gr.BrowserState([], storage_key=SCOPE_STORAGE_KEY, secret=_browser_secret(settings))

        with gr.Row(equal_height=False, elem_id="pc-main"):
            with gr.Column(scale=7, min_width=420, elem_id="pc-chat-column"):
                chat = gr.HTML(render_conversation([], documents=[]), js_on_load=CHAT_JS, elem_id="pc-chat",
                               padding=False)
                notice = gr.HTML("", elem_id="pc-notice", js_on_load=None)
                with gr.Row(elem_id="pc-ask-row", equal_height=True):
                    question = gr.Textbox(show_label=False, lines=1, max_lines=6, scale=8, autofocus=True,
                                          placeholder=L("placeholder"), elem_id="pc-question")
                    ask = gr.Button(L("ask"), variant="primary", scale=0, min_width=88, elem_id="pc-ask")
                with gr.Row(elem_id="pc-under-row"):
                    scope = gr.HTML(_scope_text([], 0), elem_id="pc-scope", js_on_load=None)
                    new_chat = gr.Button(L("new"), size="sm", scale=0, min_width=150, elem_id="pc-new")
                with gr.Row(visible=False, elem_id="pc-comment-row") as comment_row:
                    comment = gr.Textbox(label=L("comment"), scale=8, max_lines=4, elem_id="pc-comment",
                                         placeholder=L("comment_placeholder"))
                    comment_save = gr.Button(L("save_comment"), scale=0, min_width=130, elem_id="pc-comment-save")

            with gr.Column(scale=5, min_width=340, elem_id="pc-side"):
                with gr.Tabs(selected="paragraph", elem_id="pc-tabs") as tabs:
                    with gr.Tab(L("tab_paragraph"), id="paragraph", elem_id="pc-tab-paragraph"):
                        panel = gr.HTML(panel_message(PANEL_EMPTY), elem_id="pc-panel", js_on_load=None)
                    with gr.Tab(L("tab_documents"), id="documents", elem_id="pc-tab-documents"):
                        doc_filter = gr.CheckboxGroup(label=L("search_only"), info=L("search_only_info"),
                                                      choices=[], elem_id="pc-doc-filter")
                        admin_key = gr.Textbox(label=L("admin_key"), type="password", elem_id="pc-admin-key",
                                               info=L("admin_key_info"),
                                               visible=bool(settings.admin_key.get_secret_value()))
                        upload = gr.File(label=L("add_documents"),
                                         file_count="multiple", type="filepath", elem_id="pc-upload")
                        upload_note = gr.HTML("", elem_id="pc-upload-note", js_on_load=None)
                        # Uploading under a stored document's name replaces it: as final as deleting, so
                        # that asks first too. The files wait in `pending` until the answer.
                        pending = gr.State([])
                        with gr.Column(visible=False, elem_id="pc-replace-row") as replace_row:
                            replace_text = gr.HTML("", elem_id="pc-replace-text", js_on_load=None)
                            with gr.Row():
                                replace_yes = gr.Button(L("yes_replace"), variant="stop", min_width=90, size="md",
                                                        elem_id="pc-confirm-replace")
                                replace_no = gr.Button(L("cancel"), variant="secondary", min_width=90, size="md",
                                                       elem_id="pc-cancel-replace")
                        doc_table = gr.HTML(render_documents([]), elem_id="pc-doc-table", js_on_load=None)
                        with gr.Row(equal_height=False, elem_id="pc-delete-row"):
                            doomed = gr.Dropdown(label=L("remove_document"), choices=[], value=None, scale=3,
                                                 elem_id="pc-delete-choice")
                            delete = gr.Button(L("delete"), variant="stop", scale=1, min_width=90, size="md",
                                               elem_id="pc-delete")
                        # Deleting cannot be undone: the first click only asks.
                        with gr.Column(visible=False, elem_id="pc-confirm-row") as confirm_row:
                            confirm_text = gr.HTML("", elem_id="pc-confirm-text", js_on_load=None)
                            with gr.Row():
                                confirm = gr.Button(L("yes_delete"), variant="stop", min_width=90, size="md",
                                                    elem_id="pc-confirm-delete")
                                cancel = gr.Button(L("cancel"), variant="secondary", min_width=90, size="md",
                                                   elem_id="pc-cancel-delete")
                    with gr.Tab(L("tab_settings"), id="settings", elem_id="pc-tab-settings"):
                        generator = gr.Radio(list(GENERATORS), value=settings.generator, label=L("generator"),
                                             info=L("generator_info"),
                                             elem_id="pc-generator")
                        llm_url = gr.Textbox(label=L("endpoint"), value=settings.llm_url or "",
                                             placeholder="http://127.0.0.1:8080/v1",
                                             visible=settings.generator == "openai", elem_id="pc-llm-url",
                                             interactive=settings.local_only)
                        llm_model = gr.Textbox(label=L("model_name"), value=settings.llm_model,
                                               visible=settings.generator == "openai", elem_id="pc-llm-model")
                        top_k = gr.Slider(1, 20, value=settings.top_k, step=1, label=L("top_k"),
                                          elem_id="pc-top-k")
                        judge = gr.Radio(list(JUDGE_CHOICES), value=settings.judge, label=L("judge"),
                                         info=L("judge_info"),
                                         elem_id="pc-judge")
                    with gr.Tab(L("tab_feedback"), id="feedback", elem_id="pc-tab-feedback"):
                        gr.HTML('<div class="pc-help">Every thumbs-up and thumbs-down is kept with the question, the '
                                'answer and its citations. Export them as eval-suite questions (JSONL): a thumbs-up '
                                'answer’s citations become its gold paragraphs; a thumbs-down one waits for a person '
                                'to label it.</div>',
                                js_on_load=None)
                        export = gr.Button(L("export"), elem_id="pc-export")
                        export_note = gr.HTML("", js_on_load=None, elem_id="pc-export-note")
                        export_file = gr.File(label=L("export_file"), visible=False, interactive=False,
                                              elem_id="pc-export-file")

        settings_inputs = [generator, top_k, judge, llm_url, llm_model]

        # --- asking ------------------------------------------------------------------------------

        def over_budget(request: gr.Request | None) -> str | None:
            """The same per-IP budget as the HTTP API's answers (`budget` is the server's)."""
            if budget is None or request is None or request.client is None:
                return None
            wait = budget(request.client.host)
            return None if wait is None else f"Too many questions; try again in {int(wait + 0.999)} s."

        def answer(text, turns, doc_ids, gen, k, jdg, url, model, request: gr.Request = None):
            turns = valid_turns(turns)
            text = text if isinstance(text, str) else ""
            try:
                check_question(text)
                if why := over_budget(request):
                    raise InputError(why)
            except InputError as exc:
                yield render_conversation(turns, documents=documents()), gr.skip(), text, note(_sentence(str(exc)))
                return
            if not settings.local_only:
                # a public page must not point this server at any URL it likes
                url, model = settings.llm_url or "", settings.llm_model
            choice = choice_for(settings, gen, k, jdg, url, model)
            language = language_of(text)
            pending = {"question": text.strip(), "answer": {"sentences": [], "lead": ""},
                       "status": turn_text(language, "searching")}
            yield render_conversation(turns, pending), gr.skip(), "", ""
            try:
                for event in workspace.stream(text, history_of(turns), list(doc_ids or []) or None, choice):
                    if isinstance(event, Standalone):
                        pending["answer"]["standalone_question"] = event.question
                    elif isinstance(event, Retrieved):
                        n = len(event.results)
                        pending["status"] = turn_text(language, "reading", n=n)
                        if (choice.generator or settings.generator) == "llamacpp":
                            pending["status"] += turn_text(language, "local_model")
                        yield render_conversation(turns, pending), gr.skip(), gr.skip(), gr.skip()
                    elif isinstance(event, Lead):
                        pending["answer"]["lead"] = event.text
                    elif isinstance(event, SentenceReady):
                        pending["answer"]["sentences"].append(event.sentence.as_json())
                        pending["status"] = turn_text(language, "writing")
                        yield render_conversation(turns, pending), gr.skip(), gr.skip(), gr.skip()
                    elif isinstance(event, RemovedEvent):
                        pending["status"] = turn_text(language, "checking")
                    elif isinstance(event, Done):
                        turns = valid_turns(turns + [{"question": text.strip(), "answer": stored_answer(event.answer),
                                                      "feedback": None}])
                        yield render_conversation(turns), turns, "", ""
            except ParaciteError as exc:
                message = _sentence(str(exc))
                if gen == "openai" and not (url or "").strip():
                    message += " Or enter an endpoint under Settings."
                yield render_conversation(turns, documents=documents()), gr.skip(), text, note(message)
            except Exception:  # a bug: logged with its traceback, shown as one line
                log.exception("answering %r failed", text)
                yield (render_conversation(turns, documents=documents()), gr.skip(), text,
                       note("Something went wrong while answering; the server log has the details."))

        ask_inputs = [question, conversation, doc_filter, *settings_inputs]
        ask_outputs = [chat, conversation, question, notice]
        # The question box and Ask are off while an answer is on its way: a second question sent
        # meanwhile would run on the conversation as it was before the first answer, and the
        # turn it saved would drop the first one.
        def answer_one_at_a_time(text, turns, doc_ids, gen, k, jdg, url, model, request: gr.Request = None):
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.Button(interactive=False)
            for update in answer(text, turns, doc_ids, gen, k, jdg, url, model, request):
                box = gr.Textbox(value="", interactive=False) if update[2] == "" else update[2]
                yield update[0], update[1], box, update[3], gr.skip()
            yield gr.skip(), gr.skip(), gr.Textbox(interactive=True), gr.skip(), gr.Button(interactive=True)

        def answering(*triggers):
            return gr.on(list(triggers), answer_one_at_a_time, ask_inputs, [*ask_outputs, ask],
                         api_visibility="private", show_progress="hidden", trigger_mode="once")

        answering(ask.click, question.submit)
        _wire_example(chat, question, lambda filled: filled.then(
            answer_one_at_a_time, ask_inputs, [*ask_outputs, ask], api_visibility="private", show_progress="hidden"))

        # --- citations ---------------------------------------------------------------------------

        def open_citation(turns, evt: gr.EventData):
            turns = valid_turns(turns)
            data = evt._data or {}
            try:
                turn_index = int(data.get("turn", -1))
                if not 0 <= turn_index < len(turns):
                    return panel_message("This answer is no longer in the conversation."), gr.Tabs(selected="paragraph")
                answer_data = turns[turn_index]["answer"]
                if data.get("doc") and "sentence" not in data:  # a retrieved paragraph, no quote
                    doc, number, quotes, cited_for = str(data["doc"]), int(data["paragraph"]), [], ""
                else:
                    sentence = answer_data["sentences"][int(data["sentence"])]
                    citation = sentence["citations"][int(data["citation"])]
                    doc, number = citation["doc"], int(citation["paragraph"])
                    quotes = [c.get("quote", "") for c in sentence["citations"]
                              if c["doc"] == doc and int(c["paragraph"]) == number]
                    cited_for = sentence["text"]
            except (KeyError, IndexError, TypeError, ValueError):
                return panel_message("That citation could not be read."), gr.Tabs(selected="paragraph")
            try:
                paragraph = workspace.paragraph(doc, number, next(iter(quotes), ""))
            except NotFoundError:
                return (panel_message(f"{doc} ¶{number} is no longer in the library (the document was deleted or "
                                      "replaced)."), gr.Tabs(selected="paragraph"))
            except ParaciteError as exc:
                return panel_message(str(exc)), gr.Tabs(selected="paragraph")
            title = paragraph.title or doc
            return (render_paragraph(doc, title, number, paragraph.text, quotes, cited_for, turn_index,
                                     language_of(turns[turn_index]["question"])),
                    gr.Tabs(selected="paragraph"))

        chat.cite(open_citation, [conversation], [panel, tabs], api_visibility="private", show_progress="hidden")

        # --- feedback ----------------------------------------------------------------------------

        def rate(turns, evt: gr.EventData):
            turns = valid_turns(turns)
            data = evt._data or {}
            rating = data.get("rating")
            try:
                index = int(data.get("turn", -1))
                turn = turns[index]
                if index < 0 or rating not in ("up", "down"):
                    raise ValueError
            except (IndexError, TypeError, ValueError):
                return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), note("That answer is no longer here.")
            answer_data = turn["answer"]
            previous = turn.get("feedback") or {}
            try:
                if previous.get("id"):
                    feedback.rate(int(previous["id"]), rating)
                    feedback_id = int(previous["id"])
                else:
                    citations = [c for s in answer_data.get("sentences", []) for c in s.get("citations", [])]
                    feedback_id = feedback.add(
                        rating, turn["question"], answer_data.get("standalone_question") or turn["question"],
                        str(answer_data.get("answer", "")), citations, str(answer_data.get("generator", "")),
                        history=history_of(turns[:index]), refused=bool(answer_data.get("refused")),
                    )
            except ParaciteError as exc:
                return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), note(str(exc))
            turn["feedback"] = {"id": feedback_id, "rating": rating}
            thumb = "thumbs-up" if rating == "up" else "thumbs-down"
            return (render_conversation(turns), turns, gr.Row(visible=True),
                    gr.Textbox(value="", label=f"Comment on your {thumb} for answer {index + 1} (optional)"),
                    {"id": feedback_id, "turn": index}, "")

        chat.rate(rate, [conversation], [chat, conversation, comment_row, comment, comment_for, notice],
                  api_visibility="private", show_progress="hidden")

        def save_comment(text, target):
            if not target:
                return gr.Row(visible=False), note("Rate an answer first.")
            try:
                feedback.comment(int(target["id"]), text or "")
            except ParaciteError as exc:
                return gr.skip(), note(str(exc))
            return gr.Row(visible=False), note("Comment saved. Thank you.", "ok")

        comment_save.click(save_comment, [comment, comment_for], [comment_row, notice], api_visibility="private")
        comment.submit(save_comment, [comment, comment_for], [comment_row, notice], api_visibility="private")

        def export_feedback(key):
            if why := corpus_refusal(settings, key):  # everyone's questions and comments: not for any visitor
                return gr.File(visible=False), note(why.replace("Adding and deleting documents", "Exporting feedback"))
            folder = Path(tempfile.mkdtemp(prefix="paracite-feedback-"))
            path = folder / "paracite-feedback.jsonl"
            count = export_questions(feedback, path)
            if not count:
                return gr.File(visible=False), note("No feedback yet: rate an answer with a thumb first.", "info")
            return (gr.File(value=str(path), visible=True),
                    note(f"{count} rated answer{'s' if count != 1 else ''} exported.", "ok"))

        export.click(export_feedback, [admin_key], [export_file, export_note], api_visibility="private")

        # --- the conversation and the library ----------------------------------------------------

        def new_conversation():
            return (render_conversation([], documents=documents()), [], "", gr.Row(visible=False), None,
                    panel_message(PANEL_EMPTY))

        new_chat.click(new_conversation, None, [chat, conversation, notice, comment_row, comment_for, panel],
                       api_visibility="private")

        def restore(turns, selected):
            turns = valid_turns(turns)
            table, checks, dropdown, docs = library_updates(selected)
            return render_conversation(turns, documents=docs), table, checks, dropdown, _scope_text(selected, len(docs))

        library_outputs = [doc_table, doc_filter, doomed]
        demo.load(restore, [conversation, searched_in], [chat, *library_outputs, scope], api_visibility="private")

        def ingest_paths(paths, turns, selected, key, progress):
            """Returns the updates for upload, upload_note, the library, chat and scope."""
            if why := corpus_refusal(settings, key):
                table, checks, dropdown, docs = library_updates(selected)
                return None, note(why), table, checks, dropdown, gr.skip(), _scope_text(selected, len(docs))
            uploads = [Upload(Path(p).name, Path(p)) for p in paths]
            progress(0, desc="Reading")

            def on_progress(done: int, total: int) -> None:
                progress((done, total) if total else None, desc="Embedding paragraphs", unit="texts")

            try:
                results = workspace.ingest(uploads, on_progress=on_progress)
            except ParaciteError as exc:
                message = note(_sentence(str(exc)))
                table, checks, dropdown, docs = library_updates(selected)
                return None, message, table, checks, dropdown, gr.skip(), _scope_text(selected, len(docs))
            except Exception:
                log.exception("ingesting %s failed", [u.name for u in uploads])
                table, checks, dropdown, docs = library_updates(selected)
                return (None, note("Something went wrong while adding the documents; the server log has the details."),
                        table, checks, dropdown, gr.skip(), _scope_text(selected, len(docs)))
            table, checks, dropdown, docs = library_updates(selected)
            chat_html = render_conversation([], documents=docs) if not valid_turns(turns) else gr.skip()
            return (None, note(" ".join(_ingested(r) for r in results), "ok"), table, checks, dropdown, chat_html,
                    _scope_text(selected, len(docs)))

        def add_documents(files, turns, selected, key, progress=gr.Progress()):  # noqa: B008 (how Gradio injects it)
            paths = [files] if isinstance(files, str) else list(files or [])
            hide = gr.Column(visible=False)
            if not paths:
                return (gr.skip(),) * 7 + ([], hide, gr.skip())
            stored = {d.doc_id: d for d in documents()}
            replaced = [stored[i] for i in dict.fromkeys(document_id(Path(p)) for p in paths) if i in stored]
            if replaced and not corpus_refusal(settings, key):
                listing = "; ".join(f"<b>{_e(d.doc_id)}</b> · {_e(d.title)} ({_paragraphs(d.paragraphs)})"
                                    for d in replaced)
                question = (f'<div class="pc-confirm" role="alert">Replace {listing} with the uploaded file? The '
                            f'stored paragraphs cannot be brought back; citations of them in earlier answers will '
                            f'open the new text.</div>')
                return (None, "") + (gr.skip(),) * 5 + (paths, gr.Column(visible=True), question)
            return ingest_paths(paths, turns, selected, key, progress) + ([], hide, gr.skip())

        upload_outputs = [upload, upload_note, *library_outputs, chat, scope]
        upload.upload(add_documents, [upload, conversation, doc_filter, admin_key],
                      [*upload_outputs, pending, replace_row, replace_text], api_visibility="private",
                      show_progress="full", show_progress_on=[upload])

        def replace_documents(paths, turns, selected, key, progress=gr.Progress()):  # noqa: B008
            if not paths:
                return (gr.skip(),) * 7 + ([],)
            return ingest_paths(paths, turns, selected, key, progress) + ([],)

        replace_yes.click(lambda: gr.Column(visible=False), None, [replace_row], api_visibility="private").then(
            replace_documents, [pending, conversation, doc_filter, admin_key], [*upload_outputs, pending],
            api_visibility="private", show_progress="full", show_progress_on=[upload_note])
        replace_no.click(lambda: ([], gr.Column(visible=False), note("Nothing was added or replaced.", "ok")), None,
                         [pending, replace_row, upload_note], api_visibility="private")

        def ask_to_delete(doc, key):
            if not doc:
                return note("Choose a document to delete."), gr.Column(visible=False), gr.skip()
            if why := corpus_refusal(settings, key):
                return note(why), gr.Column(visible=False), gr.skip()
            try:
                info = workspace.document(doc)
            except ParaciteError as exc:
                return note(str(exc)), gr.Column(visible=False), gr.skip()
            question = (f'<div class="pc-confirm" role="alert">Delete <b>{_e(info.doc_id)}</b> · {_e(info.title)} '
                        f'({_paragraphs(info.paragraphs)})? This cannot be undone; citations of it in earlier '
                        f'answers will no longer open their paragraphs.</div>')
            return "", gr.Column(visible=True), question

        delete.click(ask_to_delete, [doomed, admin_key], [upload_note, confirm_row, confirm_text],
                     api_visibility="private")
        cancel.click(lambda: gr.Column(visible=False), None, [confirm_row], api_visibility="private")
        doomed.change(lambda: gr.Column(visible=False), None, [confirm_row], api_visibility="private",
                      show_progress="hidden")

        def remove_document(doc, turns, selected, key):
            if not doc:
                table, checks, dropdown, docs = library_updates(selected)
                return note("Choose a document to delete."), table, checks, dropdown, gr.skip(), gr.skip()
            if why := corpus_refusal(settings, key):
                table, checks, dropdown, docs = library_updates(selected)
                return note(why), table, checks, dropdown, gr.skip(), gr.skip()
            try:
                workspace.delete(doc)
                message = note(f"Deleted {doc}.", "ok")
            except ParaciteError as exc:
                message = note(str(exc))
            selected = [d for d in selected or [] if d != doc]
            table, checks, dropdown, docs = library_updates(selected)
            chat_html = render_conversation([], documents=docs) if not valid_turns(turns) else gr.skip()
            return message, table, checks, dropdown, chat_html, _scope_text(selected, len(docs))

        confirm.click(lambda: gr.Column(visible=False), None, [confirm_row], api_visibility="private").then(
            remove_document, [doomed, conversation, doc_filter, admin_key],
            [upload_note, *library_outputs, chat, scope], api_visibility="private")

        def scope_changed(selected):
            return _scope_text(selected, len(documents())), list(selected or [])

        doc_filter.change(scope_changed, [doc_filter], [scope, searched_in], api_visibility="private",
                          show_progress="hidden")

        def generator_changed(value):
            return gr.Textbox(visible=value == "openai"), gr.Textbox(visible=value == "openai")

        generator.change(generator_changed, [generator], [llm_url, llm_model], api_visibility="private",
                         show_progress="hidden")

        # --- the API for programs (gradio_client) ------------------------------------------------

        def ask_api(question: str, history: list | None = None, doc_ids: list | None = None,
                    generator: str = "", k: int = 0, request: gr.Request = None) -> dict:
            """Answer a question; returns the answer as JSON (as `paracite ask --json` prints it)."""
            if why := over_budget(request):
                raise gr.Error(why, print_exception=False)
            try:
                choice = choice_for(settings, generator or None, k or None, None, None, None)
                result = workspace.ask(question, list(history or []) or None, list(doc_ids or []) or None, choice)
            except ParaciteError as exc:
                raise gr.Error(str(exc), print_exception=False) from None
            return result.as_json()

        gr.api(ask_api, api_name="ask")

    # Gradio answers one event at a time by default, across all visitors; the workspace already
    # bounds how many answers are computed at once, so the queue need not serialise them too.
    demo.queue(default_concurrency_limit=settings.max_concurrent_answers or os.cpu_count() or 2)
    return demo


def _wire_example(chat, question, then_answer) -> None:
    def fill(evt: gr.EventData):
        return str((evt._data or {}).get("question", ""))

    then_answer(chat.example(fill, None, question, api_visibility="private", show_progress="hidden"))


def _scope_text(selected: list[str] | None, total: int) -> str:
    selected = list(selected or [])
    # Both languages: the line is rendered by the server, which does not know the reader's.
    if not selected:
        text = (f"Searching all {total} document{'s' if total != 1 else ''} · 检索全部 {total} 个文件" if total
                else "No documents yet · 还没有文件")
    else:
        text = "Searching only " + ", ".join(selected) + f" · 只检索 {len(selected)} 个文件"
    return f'<div class="pc-scope">{_e(text)}</div>'


def _paragraphs(count: int) -> str:
    return f"{count} paragraph{'s' if count != 1 else ''}"


def _ingested(result) -> str:
    document = result.document
    verb = {"ingested": "Added", "replaced": "Replaced"}.get(result.status, "Already in the library:")
    count = len(document.paragraphs)
    text = f"{verb} {document.doc_id} “{document.title}”, {count} paragraph{'s' if count != 1 else ''}."
    return " ".join([text, *(f"Note: {w}" for w in document.warnings)])


def _sentence(message: str) -> str:
    """A domain error's message as a sentence: "the question is empty" → "The question is empty."
    (a message that starts with a file name keeps it as it is)."""
    message = message.strip()
    if message.split(" ", 1)[0].isalpha():
        message = message[:1].upper() + message[1:]
    return message + ("" if message.endswith((".", "。", "!", "?", "！", "？")) else ".")


HEADER = """
<div class="pc-header">
  <div class="pc-brand"><span class="pc-logo" aria-hidden="true">¶</span><h1 class="pc-name">Paracite</h1></div>
  <div class="pc-tagline">Answers that cite, for every sentence, the numbered paragraph it comes from
  <span class="pc-tagline-zh" lang="zh">· 每一句都注明出处段落</span></div>
</div>
"""

CHAT_JS = """
const scroller = () => element.querySelector('.pc-scroll');
let lastSig = null;
const follow = () => {
  const s = scroller();
  if (!s) return;
  if (s.dataset.sig !== lastSig) { lastSig = s.dataset.sig; s.scrollTop = s.scrollHeight; }
};
element.addEventListener('click', (event) => {
  const t = event.target.closest('[data-cite],[data-src],[data-fb],[data-example]');
  if (!t || !element.contains(t)) return;
  event.preventDefault();
  event.stopPropagation();
  const d = t.dataset;
  if (d.cite !== undefined || d.src !== undefined) {
    element.querySelectorAll('.pc-active').forEach((x) => x.classList.remove('pc-active'));
    t.classList.add('pc-active');
    if (d.cite !== undefined) {
      trigger('cite', {turn: Number(d.turn), sentence: Number(d.s), citation: Number(d.c)});
    } else {
      trigger('cite', {turn: Number(d.turn), doc: d.doc, paragraph: Number(d.p)});
    }
    if (window.innerWidth < 900) {  // one column: the panel is below the chat
      setTimeout(() => document.getElementById('pc-side')?.scrollIntoView({behavior: 'smooth'}), 400);
    }
  } else if (d.fb) {
    trigger('rate', {turn: Number(d.turn), rating: d.fb});
  } else if (d.example) {
    trigger('example', {question: d.example});
  }
}, true);
// The conversation is re-rendered whole on every update: disclosures the reader opened stay open.
const opened = new Set();
element.addEventListener('toggle', (event) => {
  const key = event.target.dataset && event.target.dataset.key;
  if (key) event.target.open ? opened.add(key) : opened.delete(key);
}, true);
const reopen = () => element.querySelectorAll('details[data-key]').forEach((d) => {
  if (opened.has(d.dataset.key)) d.open = true;
});
watch('value', () => { reopen(); follow(); });
follow();
"""

CSS = """
:root { --pc-accent: #2f5bd3; --pc-accent-soft: rgba(47, 91, 211, 0.10); --pc-on-accent: #fff; --pc-bubble: #2f5bd3;
  --pc-mark: #ffe58a; }
.dark { --pc-accent: #8fb0ff; --pc-accent-soft: rgba(143, 176, 255, 0.14); --pc-on-accent: #0b1020; --pc-bubble: #2b4db0;
  --pc-mark: #7a6313; }
.gradio-container { font-family: ui-sans-serif, system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC",
  "Noto Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif !important; }
.pc-header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; padding: 4px 2px 2px; }
.pc-brand { display: flex; align-items: center; gap: 8px; }
.pc-logo { display: inline-flex; align-items: center; justify-content: center; width: 32px; height: 32px;
  border-radius: 8px; background: var(--pc-accent); color: #fff; font-weight: 700; font-size: 20px; }
.pc-name { font-size: 24px; font-weight: 700; letter-spacing: -0.01em; color: var(--body-text-color); margin: 0;
  line-height: 1.2; }
.pc-tagline { color: var(--body-text-color-subdued); font-size: 14px; }
#pc-chat { border: 1px solid var(--border-color-primary); border-radius: 12px; background: var(--background-fill-primary); }
.pc-scroll { height: calc(100vh - 330px); min-height: 380px; overflow-y: auto; padding: 18px 18px 8px; }
.pc-log { display: flex; flex-direction: column; gap: 22px; }
.pc-turn { display: flex; flex-direction: column; gap: 8px; }
.pc-q { display: flex; justify-content: flex-end; }
.pc-bubble { max-width: 80%; background: var(--pc-bubble); color: #fff; padding: 9px 14px; border-radius: 16px 16px 4px 16px;
  line-height: 1.6; white-space: pre-wrap; overflow-wrap: anywhere; }
.pc-a { max-width: 94%; display: flex; flex-direction: column; gap: 8px; }
.pc-answer { line-height: 1.8; font-size: 15.5px; color: var(--body-text-color); overflow-wrap: anywhere; }
.pc-refused { color: var(--body-text-color-subdued); font-style: italic; }
.pc-lead { color: var(--body-text-color-subdued); }
.pc-related { border-left: 3px solid #d4a017; padding-left: 10px; }
.pc-related .pc-lead { display: block; font-weight: 600; color: var(--body-text-color); margin-bottom: 2px; }
.pc-related .pc-sentence { color: var(--body-text-color-subdued); }
.pc-chip { display: inline-block; margin: 0 1px 0 3px; padding: 0 7px; border-radius: 999px; font-size: 12px;
  line-height: 20px; vertical-align: 1px; font-weight: 600; text-decoration: none !important;
  color: var(--pc-accent) !important; background: var(--pc-accent-soft); border: 1px solid transparent; cursor: pointer;
  font-variant-numeric: tabular-nums; white-space: nowrap; }
.pc-chip:hover, .pc-chip.pc-active { border-color: var(--pc-accent); }
.pc-chip.pc-active { background: var(--pc-accent); color: var(--pc-on-accent) !important; }
.pc-flagged { text-decoration: underline dotted #c77700; }
.pc-status { color: var(--body-text-color-subdued); font-size: 13px; display: flex; align-items: center; gap: 8px; }
.pc-dots { width: 8px; height: 8px; border-radius: 50%; background: var(--pc-accent); animation: pc-pulse 1s infinite ease-in-out; }
@keyframes pc-pulse { 0%, 100% { opacity: .25; transform: scale(.8); } 50% { opacity: 1; transform: scale(1.1); } }
.pc-removed, .pc-fallback { font-size: 13px; border-left: 3px solid #d08a00; background: rgba(208, 138, 0, 0.08);
  padding: 6px 10px; border-radius: 0 6px 6px 0; color: var(--body-text-color); }
.pc-removed ul { margin: 4px 0 0 18px; padding: 0; list-style: disc; }
.pc-removed li { margin: 2px 0; }
.pc-removed-what { font-weight: 600; }
.pc-removed-why { color: var(--body-text-color-subdued); }
.pc-meta { display: flex; flex-direction: column; gap: 4px; }
.pc-details { font-size: 13px; color: var(--body-text-color-subdued); }
.pc-details summary { cursor: pointer; user-select: none; width: fit-content; }
.pc-details summary:hover { color: var(--body-text-color); }
.pc-standalone-text { margin: 4px 0 2px 16px; color: var(--body-text-color); }
.pc-retrieved ol { margin: 6px 0 0 0; padding-left: 22px; list-style: decimal; }
.pc-retrieved li { margin: 0 0 6px; }
.pc-src { font-weight: 600; color: var(--pc-accent) !important; text-decoration: none !important; margin-right: 8px; }
.pc-score { font-size: 12px; font-variant-numeric: tabular-nums; }
.pc-snip { color: var(--body-text-color); opacity: .8; line-height: 1.55; }
.pc-actions { display: flex; align-items: center; gap: 4px; }
.pc-fb { border: 1px solid var(--border-color-primary); background: transparent; border-radius: 8px; padding: 3px 8px;
  cursor: pointer; opacity: .6; color: var(--body-text-color); display: inline-flex; align-items: center; }
.pc-fb:hover { opacity: 1; }
.pc-fb.pc-on { opacity: 1; color: var(--pc-accent); background: var(--pc-accent-soft); border-color: var(--pc-accent); }
.pc-thanks { font-size: 12px; color: var(--body-text-color-subdued); margin-left: 6px; }
.pc-empty { max-width: 560px; margin: 8vh auto 0; text-align: center; color: var(--body-text-color-subdued); line-height: 1.7; }
.pc-empty-title { font-size: 22px; font-weight: 700; color: var(--body-text-color); margin-bottom: 6px; }
.pc-examples { display: flex; flex-direction: column; gap: 8px; margin-top: 16px; align-items: center; }
.pc-example { border: 1px solid var(--border-color-primary); background: var(--background-fill-secondary);
  border-radius: 10px; padding: 8px 14px; cursor: pointer; color: var(--body-text-color); font-size: 14px; }
.pc-example:hover { border-color: var(--pc-accent); }
.pc-note { padding: 8px 12px; border-radius: 8px; font-size: 14px; margin-top: 4px; }
.pc-note-error { background: rgba(220, 38, 38, 0.09); border: 1px solid rgba(220, 38, 38, 0.45); color: var(--body-text-color); }
.pc-note-ok { background: rgba(22, 163, 74, 0.09); border: 1px solid rgba(22, 163, 74, 0.4); color: var(--body-text-color); }
.pc-note-info { background: var(--background-fill-secondary); border: 1px solid var(--border-color-primary); }
.pc-scope { font-size: 12.5px; color: var(--body-text-color-subdued); padding-top: 6px; }
#pc-under-row { align-items: center; }
#pc-notice:not(:has(.pc-note)), #pc-export-note:not(:has(.pc-note)), #pc-upload-note:not(:has(.pc-note)) { display: none; }
.pc-panel { padding: 4px 2px; }
.pc-panel-empty { color: var(--body-text-color-subdued); line-height: 1.7; padding: 16px 4px; }
.pc-panel-head { display: flex; gap: 12px; align-items: center; margin-bottom: 10px; }
.pc-panel-num { font-size: 22px; font-weight: 700; color: var(--pc-accent); font-variant-numeric: tabular-nums; }
.pc-panel-title { font-weight: 600; font-size: 16px; color: var(--body-text-color); }
.pc-panel-doc { font-size: 12.5px; color: var(--body-text-color-subdued); font-family: ui-monospace, monospace; }
.pc-cited-for { font-size: 13px; color: var(--body-text-color-subdued); margin-bottom: 8px; line-height: 1.6; }
.pc-cited-for span { font-weight: 600; margin-right: 4px; }
.pc-para { white-space: pre-wrap; line-height: 1.9; font-size: 15.5px; color: var(--body-text-color);
  max-height: calc(100vh - 330px); overflow-y: auto; overflow-wrap: anywhere; padding-right: 4px; }
.pc-para mark { background: var(--pc-mark); color: inherit; padding: 1px 0; border-radius: 2px; }
.pc-panel-note { font-size: 12px; color: var(--body-text-color-subdued); margin-top: 10px; }
.pc-docs { width: 100%; border-collapse: collapse; font-size: 13.5px; margin-top: 6px; border: none !important; }
.pc-docs tr { border: none !important; }
.pc-docs th, .pc-docs td { text-align: left; padding: 6px 8px; border: none !important;
  border-bottom: 1px solid var(--border-color-primary) !important; background: transparent !important; }
#pc-delete-row { align-items: flex-end; }
#pc-delete { align-self: flex-end; margin-bottom: 10px; }
.pc-docs th { color: var(--body-text-color-subdued); font-weight: 600; }
.pc-doc-id { font-family: ui-monospace, monospace; font-size: 12.5px; overflow-wrap: anywhere; }
.pc-num { text-align: right !important; font-variant-numeric: tabular-nums; }
.pc-docs-empty, .pc-help { color: var(--body-text-color-subdued); font-size: 13.5px; line-height: 1.6; }
"""

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
