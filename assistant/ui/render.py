"""The conversation, the paragraph panel and the library as HTML: pure functions of the stored
data and a language.

Everything that comes from a question, an answer or a document is HTML-escaped here, in one place
(`_e`); nothing else builds markup from text. The conversation is rendered here rather than by
gr.Chatbot so that every answer keeps its structure (sentences, citations with their quotes,
removals, retrieved paragraphs), and a citation chip names its own turn, sentence and citation by
index: after a reload, a chip in the first answer still opens the first answer's paragraph with
the first answer's quote.
"""

from __future__ import annotations

import html
import zlib
from typing import Any

from vectorstore.paragraphs import language_of, mostly_han
from vectorstore.quotes import marks, merged, same_words

from ..answers import separator
from .labels import page_text, turn_text

SNIPPET_CHARS = 160
CHIP_TITLE_CHARS = 12  # a chip names its document (when an answer cites several) in this many


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def render_conversation(turns: list[dict], pending: dict | None = None, documents: list | None = None,
                        language: str = "en", examples: list[str] | None = None) -> str:
    """The whole conversation; `pending` is the turn being answered; `documents` (the library)
    and `examples` (questions to offer) are for the empty state, in the page's `language`."""
    parts = [_render_turn(i, turn) for i, turn in enumerate(turns)]
    if pending is not None:
        parts.append(_render_turn(len(turns), pending, pending=True))
    if not parts:
        parts.append(_render_empty(documents or [], language, examples or []))
    sentences = (pending or {}).get("answer", {}).get("sentences", [])
    rendered = sum(1 for s in sentences if isinstance(s, dict) and s.get("rendering"))
    signature = f"{len(turns)}-{'p' if pending else ''}{len(sentences)}-{rendered}"
    return f'<div class="pc-scroll" data-sig="{signature}"><div class="pc-log">{"".join(parts)}</div></div>'


def _render_empty(documents: list, language: str, examples: list[str]) -> str:
    if not documents:
        body = f"<p>{_e(page_text(language, 'empty_none'))}</p>"
    else:
        body = f"<p>{_e(page_text(language, 'empty_some', n=len(documents)))}</p>"
        if examples:
            buttons = "".join(
                f'<button type="button" class="pc-example" data-example="{_e(q)}">{_e(q)}</button>' for q in examples
            )
            body += f'<div class="pc-examples" role="group" aria-label="{_e(page_text(language, "try"))}">{buttons}</div>'
    return f'<div class="pc-empty"><div class="pc-empty-title">Paracite</div>{body}</div>'


def _render_turn(index: int, turn: dict, pending: bool = False) -> str:
    question = f'<div class="pc-q"><div class="pc-bubble">{_e(turn["question"])}</div></div>'
    language = language_of(turn["question"])
    answer = turn.get("answer") or {}
    body = _render_answer(index, answer, language)
    if pending:
        status = turn.get("status") or turn_text(language, "searching")
        status = f'<div class="pc-status"><span class="pc-dots"></span>{_e(status)}</div>'
        return f'<div class="pc-turn pc-pending" data-turn="{index}">{question}<div class="pc-a">{body}{status}</div></div>'
    extras = _render_hint(answer) + _render_removed(answer, language) + _render_fallback(answer, language)
    if not answer.get("refused"):  # a refusal answers from no paragraph: listing what was retrieved misleads
        extras += _render_details(index, turn["question"], answer, language)
    actions = _render_actions(index, turn.get("feedback"), language)
    return (f'<div class="pc-turn" data-turn="{index}">{question}'
            f'<div class="pc-a">{body}{extras}{actions}</div></div>')


def _render_answer(index: int, answer: dict, language: str = "en") -> str:
    """The lead and the sentences with their chips; after a sentence in a language its reader
    (of the turn's `language`) may not read, its machine translation ("rendering"), or a note
    that none passed the checks. The trailer of renderings in `answer["answer"]` (for plain-text
    clients) is not shown: the structured sentences are."""
    sentences = answer.get("sentences") or []
    lead = answer.get("lead") or ""
    if answer.get("refused"):
        return f'<div class="pc-answer pc-refused">{_e(lead or answer.get("answer", ""))}</div>'
    if not sentences and not lead:
        return ""
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
                f'{_e(short(title, CHIP_TITLE_CHARS)) + " " if len(cited) > 1 else ""}¶{int(citation["paragraph"])}</a>'
            )
        flagged = sentence.get("flagged")
        text = _e(sentence["text"])
        if flagged:
            text = f'<span class="pc-flagged" title="{_e(flagged)}">⚠ {text}</span>'
        # `before` is the answer's own spacing; a turn saved before it existed is spaced by the same rule.
        before = sentence.get("before", separator(sentences[j - 1]["text"] if j else lead) if j or lead else "")
        pieces.append(f'{_e(before)}<span class="pc-sentence" lang="{_script(sentence["text"])}">{text}{"".join(chips)}</span>'
                      + _render_rendering(sentence.get("rendering"), language))
    lead_html = f'<span class="pc-lead">{_e(lead)}</span>' if lead else ""
    # A related answer is the closest passages, not an answer: it must not read as one.
    state = " pc-related" if answer.get("status") == "related" else ""
    return f'<div class="pc-answer{state}" data-status="{_e(answer.get("status") or "answered")}">{lead_html}{"".join(pieces)}</div>'


def _script(text: str) -> str:
    """The language of running text, for `lang` (screen readers read a quote in its own)."""
    return "zh" if mostly_han(text) else "en"


def _render_rendering(rendering: Any, language: str = "en", label: str | None = None) -> str:
    """A sentence's machine translation after a small label (by default "Machine translation"), in
    the turn's `language`; when no rendering passed the checks, a quiet note with the reason as its
    title. The rejected draft is never shown."""
    if not isinstance(rendering, dict):
        return ""
    text = rendering.get("text")
    if isinstance(text, str) and text.strip():
        target = rendering.get("language") if rendering.get("language") in ("en", "zh") else _script(text)
        label = turn_text(language, "machine_translation") if label is None else label
        return (f'<span class="pc-rendering" lang="{_e(language)}">'
                f'<span class="pc-rendering-label">{_e(label)}</span> '
                f'<span class="pc-rendering-text" lang="{_e(target)}">{_e(text)}</span></span>')
    why = rendering.get("rejected") or ""
    title = f' title="{_e(why)}"' if why else ""
    return (f'<span class="pc-rendering pc-rendering-none" lang="{_e(language)}"{title}>'
            f'{_e(turn_text(language, "no_rendering"))}</span>')


def _render_hint(answer: dict) -> str:
    """How the server's operator can turn on machine translations of the quotes, when none is
    configured (the server's words, as it sends them)."""
    translation = answer.get("translation")
    hint = translation.get("hint") if isinstance(translation, dict) else None
    if not isinstance(hint, str) or not hint.strip():
        return ""
    return f'<div class="pc-translation-hint" role="note" lang="{_script(hint)}">{_e(hint)}</div>'


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
        f'<li><span class="pc-removed-what">{_e(r["what"])}</span> “{_e(short(r["text"], 200))}” '
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
            f'<div class="pc-snip">{_e(short(r.get("text", ""), SNIPPET_CHARS))}</div></li>'
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
                     turn: int | None = None, language: str = "en", page_language: str = "en",
                     rendering: dict | None = None, spans: list | None = None) -> str:
    """The side panel: one paragraph, whole, with the quoted parts marked; its words around the
    paragraph are in the `language` of the question it was cited for, its close control in the
    page's. `rendering`: the cited sentence's machine translation (as in the answer's JSON), shown
    under the verbatim paragraph."""
    marked = highlight(text, quotes, spans)
    turn_attr = f' data-turn="{turn}"' if turn is not None else ""
    context = ""
    # An extractive sentence is its quote: saying it was "cited for" the highlighted words repeats them.
    is_quote = any(same_words(cited_for, q) for q in quotes)
    if cited_for and not is_quote:
        context = (f'<div class="pc-cited-for"><span>{_e(turn_text(language, "cited_for"))}</span> “{_e(cited_for)}”</div>')
    note = (turn_text(language, "quote_marked") if quotes and "<mark>" in marked
            else turn_text(language, "retrieved_only") if not quotes else "")
    return (
        f'<div class="pc-panel" data-doc="{_e(doc)}" data-paragraph="{number}"{turn_attr}>'
        f'<div class="pc-panel-head"><span class="pc-panel-num">¶{number}</span>'
        f'<div><div class="pc-panel-title">{_e(title)}</div><div class="pc-panel-doc">{_e(doc)}</div></div>'
        f'<button type="button" class="pc-panel-close" data-close="1">{_e(page_text(page_language, "close"))}</button>'
        f'</div>'
        f'{context}<div class="pc-para" lang="{_script(text)}">{marked}</div>'
        f'{f"<div class=pc-panel-note>{_e(note)}</div>" if note else ""}'
        f'{_render_panel_rendering(rendering, language, is_quote)}</div>'
    )


def _render_panel_rendering(rendering: Any, language: str, is_quote: bool) -> str:
    """Under the paragraph: the cited sentence's machine translation, labelled as what it
    translates (the highlighted quote, when the sentence is its quote)."""
    label = turn_text(language, "rendering_of_quote" if is_quote else "rendering_of_sentence")
    body = _render_rendering(rendering, language, label)
    return f'<div class="pc-panel-rendering">{body}</div>' if body else ""


def panel_message(text: str) -> str:
    return f'<div class="pc-panel pc-panel-empty">{_e(text)}</div>'


def highlight(text: str, quotes: list[str], spans: list | None = None) -> str:
    """`text` escaped, with each quote wrapped in <mark> where it is printed: at its citation's
    `spans` (one list per quote) while they hold, else wherever the paragraph prints it."""
    given = spans or [()] * len(quotes)
    ranges = [r for quote, held in zip(quotes, given) for r in marks(text, quote or "", held or ())]
    merged_ranges = merged(ranges)
    out, position = [], 0
    for start, end in merged_ranges:
        out.append(_e(text[position:start]))
        out.append(f"<mark>{_e(text[start:end])}</mark>")
        position = end
    out.append(_e(text[position:]))
    return "".join(out)


def render_documents(documents: list, language: str = "en") -> str:
    if not documents:
        return f'<div class="pc-docs-empty">{_e(page_text(language, "library_empty"))}</div>'
    rows = "".join(
        f'<tr><td class="pc-doc-id">{_e(d.doc_id)}</td><td>{_e(d.title_in(language))}</td><td class="pc-num">{d.paragraphs}</td></tr>'
        for d in documents
    )
    return (f'<table class="pc-docs"><thead><tr><th>{_e(page_text(language, "col_document"))}</th>'
            f'<th>{_e(page_text(language, "col_title"))}</th><th class="pc-num">¶</th></tr></thead>'
            f'<tbody>{rows}</tbody></table>')


def note(text: str, kind: str = "error") -> str:
    return f'<div class="pc-note pc-note-{kind}" role="{"alert" if kind == "error" else "status"}">{_e(text)}</div>'


def short(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def scope_text(selected: list[str] | None, total: int, language: str = "en", loaded: bool = True) -> str:
    """The line under the question box; `loaded` is false only for the placeholder the page is
    built with, before it knows the library and the reader's language."""
    selected = list(selected or [])
    if not selected:
        text = page_text(language, "scope_all", n=total) if total else page_text(language, "scope_none")
    else:
        text = page_text(language, "scope_some", names=", ".join(selected))
    marker = f' data-loaded="1" lang="{_e(language)}"' if loaded else ""
    return f'<div class="pc-scope"{marker}>{_e(text)}</div>'


def paragraphs_text(count: int, language: str = "en") -> str:
    return page_text(language, "paragraphs", n=count)


def ingested_text(result, language: str = "en") -> str:
    document = result.document
    key = {"ingested": "added", "replaced": "replaced"}.get(result.status, "unchanged")
    text = page_text(language, key, doc=document.doc_id, title=document.title, n=len(document.paragraphs))
    return " ".join([text, *(page_text(language, "warning", text=w) for w in document.warnings)])


def as_sentence(message: str) -> str:
    """A domain error's message as a sentence: "the question is empty" → "The question is empty."
    (a message that starts with a file name keeps it as it is)."""
    message = message.strip()
    if message.split(" ", 1)[0].isalpha():
        message = message[:1].upper() + message[1:]
    return message + ("" if message.endswith((".", "。", "!", "?", "！", "？")) else ".")
