"""The chat UI: a Gradio Blocks app over one `Workspace` (`paracite serve` mounts it at "/").

State: the conversation lives in the browser (gr.BrowserState, localStorage, encrypted with a key
kept in the data directory), and so do the documents ticked under "Search only in", so both
survive a page reload and a server restart; the server holds no per-user state except the page's
language, the feedback comment being written and uploads waiting for "Yes, replace".

Clicks inside the rendered HTML (a chip, a retrieved paragraph, a thumb, an example question)
are caught by one listener on the conversation component (chat.js) and sent to Python as custom
events ("cite", "rate", "example") with the indexes as data.

While an answer is on its way only Ask is off: the question box stays usable, and a question
sent from it meanwhile waits for the answer (trigger_mode "always_last") and then runs on the
conversation that includes it, so nothing typed is lost and no turn is dropped.

`build_ui` lays the page out (`_layout`, one function per column or tab; the Documents tab is in
`library`) and then wires it, one function per concern.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import gradio as gr

from vectorstore.errors import InputError, NotFoundError, ParaciteError
from vectorstore.paragraphs import language_of

from ..answering import (
    MAX_QUESTION_CHARS,
    Done,
    Lead,
    RenderingReady,
    Retrieved,
    SentenceReady,
    Standalone,
    check_question,
)
from ..answering import Removed as RemovedEvent
from ..answers import neutralise_markers
from ..feedback import FeedbackStore, export_questions
from ..settings import GENERATORS, Settings
from ..workspace import Workspace
from .access import JUDGE_CHOICES, browser_secret, choice_for, corpus_refusal
from .labels import L, page_language, page_text, turn_text
from .library import Library, library_handlers, library_tab, library_updates, shown
from .render import _e, as_sentence, note, panel_message, render_conversation, render_paragraph, scope_text
from .state import SCOPE_STORAGE_KEY, STORAGE_KEY, history_of, stored_answer, valid_turns
from .theme import CHAT_JS

log = logging.getLogger(__name__)

Budget = Callable[[str], float | None]

FOCUS_QUESTION = "() => { document.querySelector('#pc-question textarea')?.focus({preventScroll: true}); }"
# The question is taken out of the box in the browser as it is sent. Gradio reads the box a moment
# after Enter or Ask, when the reader may have typed on: chat.js notes the box's text at the key
# press or click (data-sent), and this sends that text and leaves in the box whatever came after it.
TAKE_QUESTION = """(...inputs) => {
  const box = document.querySelector('#pc-question textarea');
  if (!box) return inputs;
  const noted = box.dataset.sent;
  delete box.dataset.sent;
  const sent = typeof noted === 'string' ? noted : (typeof inputs[0] === 'string' ? inputs[0] : '');
  inputs[0] = sent;
  box.value = box.value.startsWith(sent) ? box.value.slice(sent.length).replace(/^\\s+/, '') : box.value;
  box.dispatchEvent(new Event('input', {bubbles: true}));
  return inputs;
}"""


def header(language: str) -> str:
    return (f'<div class="pc-header"><div class="pc-brand"><span class="pc-logo" aria-hidden="true">¶</span>'
            f'<h1 class="pc-name">Paracite</h1></div>'
            f'<div class="pc-tagline">{_e(page_text(language, "tagline"))}</div></div>')


def build_ui(workspace: Workspace, budget: Budget | None = None) -> gr.Blocks:
    settings = workspace.settings
    feedback = FeedbackStore.for_settings(settings)
    with gr.Blocks(title="Paracite", analytics_enabled=False) as demo:
        ui = _layout(settings)
        _ask_handlers(ui, workspace, budget)
        _citation_handlers(ui, workspace)
        _feedback_handlers(ui, settings, feedback)
        _conversation_handlers(demo, ui, workspace)
        library_handlers(workspace, ui.library, chat=ui.chat, scope=ui.scope, conversation=ui.conversation,
                         searched_in=ui.searched_in, lang=ui.lang)
        _settings_handlers(ui)
        _api(workspace, budget)
    # Gradio answers one event at a time by default, across all visitors; the workspace already
    # bounds how many answers are computed at once, so the queue need not serialise them too.
    demo.queue(default_concurrency_limit=settings.max_concurrent_answers or os.cpu_count() or 2)
    return demo


# --- the layout ----------------------------------------------------------------------------------

class Components:
    """The page's components that the handlers wire; `_layout` makes them all."""

    page_header: gr.HTML
    lang: gr.State
    conversation: gr.BrowserState
    comment_for: gr.State
    searched_in: gr.BrowserState
    # the conversation's column
    chat: gr.HTML
    notice: gr.HTML
    question: gr.Textbox
    ask: gr.Button
    scope: gr.HTML
    new_chat: gr.Button
    comment_row: gr.Row
    comment: gr.Textbox
    comment_save: gr.Button
    # the side column's tabs
    tabs: gr.Tabs
    panel: gr.HTML
    library: Library
    generator: gr.Radio
    llm_url: gr.Textbox
    llm_model: gr.Textbox
    top_k: gr.Slider
    judge: gr.Radio
    feedback_help: gr.HTML
    export: gr.Button
    export_note: gr.HTML
    export_file: gr.File

    def settings_inputs(self) -> list:
        return [self.generator, self.top_k, self.judge, self.llm_url, self.llm_model]


def _layout(settings: Settings) -> Components:
    ui = Components()
    ui.page_header = gr.HTML(header("en"), elem_id="pc-header", js_on_load=None)
    ui.lang = gr.State("en")  # the page's language, set when the page loads (labels.page_language)
    ui.conversation = gr.BrowserState([], storage_key=STORAGE_KEY, secret=browser_secret(settings))
    ui.comment_for = gr.State(None)
    # The ticked documents, kept like the chat (with its key: a random one would not outlive a restart).
    ui.searched_in = gr.BrowserState([], storage_key=SCOPE_STORAGE_KEY, secret=browser_secret(settings))

    with gr.Row(equal_height=False, elem_id="pc-main"):
        with gr.Column(scale=7, min_width=420, elem_id="pc-chat-column"):
            _chat_column(ui)

        with gr.Column(scale=5, min_width=340, elem_id="pc-side"):
            with gr.Tabs(selected="paragraph", elem_id="pc-tabs") as ui.tabs:
                with gr.Tab(L("tab_paragraph"), id="paragraph", elem_id="pc-tab-paragraph"):
                    ui.panel = gr.HTML(panel_message(page_text("en", "panel_empty")), elem_id="pc-panel",
                                       js_on_load=None)
                with gr.Tab(L("tab_documents"), id="documents", elem_id="pc-tab-documents"):
                    ui.library = library_tab(settings)
                with gr.Tab(L("tab_settings"), id="settings", elem_id="pc-tab-settings"):
                    _settings_tab(ui, settings)
                with gr.Tab(L("tab_feedback"), id="feedback", elem_id="pc-tab-feedback"):
                    _feedback_tab(ui)
    return ui


def _chat_column(ui: Components) -> None:
    ui.chat = gr.HTML(render_conversation([], documents=[]), js_on_load=CHAT_JS, elem_id="pc-chat",
                      padding=False)
    ui.notice = gr.HTML("", elem_id="pc-notice", js_on_load=None)
    with gr.Row(elem_id="pc-ask-row", equal_height=True):
        ui.question = gr.Textbox(show_label=False, lines=1, max_lines=6, scale=8, autofocus=True,
                                 placeholder=L("placeholder"), elem_id="pc-question")
        ui.ask = gr.Button(L("ask"), variant="primary", scale=0, min_width=88, elem_id="pc-ask")
    with gr.Row(elem_id="pc-under-row"):
        ui.scope = gr.HTML(scope_text([], 0, loaded=False), elem_id="pc-scope", js_on_load=None)
        ui.new_chat = gr.Button(L("new"), size="sm", scale=0, min_width=150, elem_id="pc-new")
    with gr.Row(visible=False, elem_id="pc-comment-row") as ui.comment_row:
        ui.comment = gr.Textbox(label=L("comment"), scale=8, max_lines=4, elem_id="pc-comment",
                                placeholder=L("comment_placeholder"))
        ui.comment_save = gr.Button(L("save_comment"), scale=0, min_width=130, elem_id="pc-comment-save")


def _settings_tab(ui: Components, settings: Settings) -> None:
    ui.generator = gr.Radio(list(GENERATORS), value=settings.generator, label=L("generator"),
                            info=L("generator_info"),
                            elem_id="pc-generator")
    ui.llm_url = gr.Textbox(label=L("endpoint"), value=settings.llm_url or "",
                            placeholder="http://127.0.0.1:8080/v1",
                            visible=settings.generator == "openai", elem_id="pc-llm-url",
                            interactive=settings.local_only)
    ui.llm_model = gr.Textbox(label=L("model_name"), value=settings.llm_model,
                              visible=settings.generator == "openai", elem_id="pc-llm-model")
    ui.top_k = gr.Slider(1, 20, value=settings.top_k, step=1, label=L("top_k"),
                         elem_id="pc-top-k")
    ui.judge = gr.Radio(list(JUDGE_CHOICES), value=settings.judge, label=L("judge"),
                        info=L("judge_info"),
                        elem_id="pc-judge")


def _feedback_tab(ui: Components) -> None:
    ui.feedback_help = gr.HTML(_help("en"), js_on_load=None, elem_id="pc-feedback-help")
    ui.export = gr.Button(L("export"), elem_id="pc-export")
    ui.export_note = gr.HTML("", js_on_load=None, elem_id="pc-export-note")
    ui.export_file = gr.File(label=L("export_file"), visible=False, interactive=False,
                             elem_id="pc-export-file")


def _help(language: str) -> str:
    return f'<div class="pc-help">{_e(page_text(language, "feedback_help"))}</div>'


# --- asking --------------------------------------------------------------------------------------

def _over_budget(budget: Budget | None, request: gr.Request | None) -> str | None:
    """The same per-IP budget as the HTTP API's answers (`budget` is the server's)."""
    if budget is None or request is None or request.client is None:
        return None
    wait = budget(request.client.host)
    return None if wait is None else f"Too many questions; try again in {int(wait + 0.999)} s."


def _ask_handlers(ui: Components, workspace: Workspace, budget: Budget | None) -> None:
    """Ask, Enter and a click on an example question; each gives the question box back its focus."""
    ask_inputs = [ui.question, ui.conversation, ui.library.doc_filter, ui.lang, *ui.settings_inputs()]
    ask_outputs = [ui.chat, ui.conversation, ui.question, ui.notice]

    def answer_one_at_a_time(*inputs, request: gr.Request = None):
        # Ask is off while an answer is on its way; the box stays on (see the module's docstring).
        yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.Button(interactive=False)
        for update in _answer(workspace, budget, *inputs, request=request):
            yield *update, gr.skip()
        yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.Button(interactive=True)

    def answering(event):
        return event.then(None, None, None, js=FOCUS_QUESTION, api_visibility="private")

    answering(gr.on([ui.ask.click, ui.question.submit], answer_one_at_a_time, ask_inputs, [*ask_outputs, ui.ask],
                    js=TAKE_QUESTION, api_visibility="private", show_progress="hidden",
                    trigger_mode="always_last"))

    def fill(evt: gr.EventData):
        return str((evt._data or {}).get("question", ""))

    answering(ui.chat.example(fill, None, ui.question, api_visibility="private", show_progress="hidden").then(
        answer_one_at_a_time, ask_inputs, [*ask_outputs, ui.ask], api_visibility="private", show_progress="hidden"))


def _answer(workspace: Workspace, budget: Budget | None, text, turns, doc_ids, page, gen, k, jdg, url, model,
            request: gr.Request = None):
    """Yields updates for the conversation, its stored copy, the question box and the notice.
    The browser emptied the box when the question was sent (TAKE_QUESTION); it is only
    written to give back a question that could not be answered."""
    settings = workspace.settings
    turns = valid_turns(turns)
    text = text if isinstance(text, str) else ""
    try:
        # The reader's mistakes in the page's language; check_question stays the rule.
        if not text.strip():
            raise InputError(page_text(page, "empty_question"))
        if len(text) > MAX_QUESTION_CHARS:
            raise InputError(page_text(page, "long_question", n=len(text), limit=MAX_QUESTION_CHARS))
        check_question(text)
        if why := _over_budget(budget, request):
            raise InputError(why)
    except InputError as exc:
        yield (shown(workspace, turns, page), gr.skip(), text,
               note(as_sentence(str(exc))))
        return
    if not settings.local_only:
        # a public page must not point this server at any URL it likes
        url, model = settings.llm_url or "", settings.llm_model
    choice = choice_for(settings, gen, k, jdg, url, model)
    language = language_of(text)
    pending = {"question": text.strip(), "answer": {"sentences": [], "lead": ""},
               "status": turn_text(language, "searching")}
    yield render_conversation(turns, pending), gr.skip(), gr.skip(), ""
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
            elif isinstance(event, RenderingReady):
                # A quote's machine translation, after all the sentences: shown as it comes,
                # as the answer's JSON will carry it (AnswerSentence.as_json).
                sentences = pending["answer"]["sentences"]
                if 0 <= event.index < len(sentences):
                    rendering = event.rendering.as_json()
                    if rendering.get("text"):
                        rendering["text"] = neutralise_markers(rendering["text"])
                    sentences[event.index]["rendering"] = rendering
                    pending["status"] = turn_text(language, "translating")
                    yield render_conversation(turns, pending), gr.skip(), gr.skip(), gr.skip()
            elif isinstance(event, RemovedEvent):
                pending["status"] = turn_text(language, "checking")
            elif isinstance(event, Done):
                turns = valid_turns(turns + [{"question": text.strip(), "answer": stored_answer(event.answer),
                                              "feedback": None}])
                yield render_conversation(turns), turns, gr.skip(), ""
    except ParaciteError as exc:
        message = as_sentence(str(exc))
        if gen == "openai" and not (url or "").strip():
            message += page_text(page, "or_endpoint")
        # The question goes back into the box, so that it can be sent again as it was.
        yield shown(workspace, turns, page), gr.skip(), text, note(message)
    except Exception:  # a bug: logged with its traceback, shown as one line
        log.exception("answering %r failed", text)
        yield (shown(workspace, turns, page), gr.skip(), text,
               note(page_text(page, "answer_failed")))


# --- citations, feedback, the conversation, settings ---------------------------------------------

def _citation_handlers(ui: Components, workspace: Workspace) -> None:
    """A click on a chip or a retrieved paragraph opens the paragraph in the side panel."""

    def open_citation(turns, page, evt: gr.EventData):
        turns = valid_turns(turns)
        data = evt._data or {}
        paragraph_tab = gr.Tabs(selected="paragraph")
        try:
            turn_index = int(data.get("turn", -1))
            if not 0 <= turn_index < len(turns):
                return panel_message(page_text(page, "gone_answer")), paragraph_tab
            answer_data = turns[turn_index]["answer"]
            if data.get("doc") and "sentence" not in data:  # a retrieved paragraph, no quote
                doc, number, quotes, cited_for = str(data["doc"]), int(data["paragraph"]), [], ""
                rendering, spans = None, []
            else:
                sentence = answer_data["sentences"][int(data["sentence"])]
                citation = sentence["citations"][int(data["citation"])]
                doc, number = citation["doc"], int(citation["paragraph"])
                cited = [c for c in sentence["citations"] if c["doc"] == doc and int(c["paragraph"]) == number]
                quotes = [c.get("quote", "") for c in cited]
                spans = [c.get("spans") or () for c in cited]
                cited_for = sentence["text"]
                rendering = sentence.get("rendering")
        except (KeyError, IndexError, TypeError, ValueError):
            return panel_message(page_text(page, "unreadable_citation")), paragraph_tab
        try:
            paragraph = workspace.paragraph(doc, number, next(iter(quotes), ""))
        except NotFoundError:
            return panel_message(page_text(page, "gone_paragraph", doc=doc, n=number)), paragraph_tab
        except ParaciteError as exc:
            return panel_message(str(exc)), paragraph_tab
        title = paragraph.title_in(language_of(turns[turn_index]["question"])) or doc
        return (render_paragraph(doc, title, number, paragraph.text, quotes, cited_for, turn_index,
                                 language_of(turns[turn_index]["question"]), page,
                                 rendering if isinstance(rendering, dict) else None, spans),
                paragraph_tab)

    ui.chat.cite(open_citation, [ui.conversation, ui.lang], [ui.panel, ui.tabs], api_visibility="private",
                 show_progress="hidden")


def _feedback_handlers(ui: Components, settings: Settings, feedback: FeedbackStore) -> None:
    """The thumbs, the comment on them, and exporting them as evaluation questions."""

    def rate(turns, page, evt: gr.EventData):
        turns = valid_turns(turns)
        data = evt._data or {}
        rating = data.get("rating")
        try:
            index = int(data.get("turn", -1))
            turn = turns[index]
            if index < 0 or rating not in ("up", "down"):
                raise ValueError
        except (IndexError, TypeError, ValueError):
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip(), note(page_text(page, "gone_rated"))
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
        thumb = page_text(page, "thumbs_up" if rating == "up" else "thumbs_down")
        return (render_conversation(turns), turns, gr.Row(visible=True),
                gr.Textbox(value="", label=page_text(page, "comment_on", thumb=thumb, n=index + 1)),
                {"id": feedback_id, "turn": index}, "")

    ui.chat.rate(rate, [ui.conversation, ui.lang],
                 [ui.chat, ui.conversation, ui.comment_row, ui.comment, ui.comment_for, ui.notice],
                 api_visibility="private", show_progress="hidden")

    def save_comment(text, target, page):
        if not target:
            return gr.Row(visible=False), note(page_text(page, "rate_first"))
        try:
            feedback.comment(int(target["id"]), text or "")
        except ParaciteError as exc:
            return gr.skip(), note(str(exc))
        return gr.Row(visible=False), note(page_text(page, "comment_saved"), "ok")

    comment_inputs = [ui.comment, ui.comment_for, ui.lang]
    ui.comment_save.click(save_comment, comment_inputs, [ui.comment_row, ui.notice], api_visibility="private")
    ui.comment.submit(save_comment, comment_inputs, [ui.comment_row, ui.notice], api_visibility="private")

    def export_feedback(key, page):
        if why := corpus_refusal(settings, key):  # everyone's questions and comments: not for any visitor
            return gr.File(visible=False), note(why.replace("Adding and deleting documents", "Exporting feedback"))
        folder = Path(tempfile.mkdtemp(prefix="paracite-feedback-"))
        path = folder / "paracite-feedback.jsonl"
        count = export_questions(feedback, path)
        if not count:
            return gr.File(visible=False), note(page_text(page, "no_feedback"), "info")
        return gr.File(value=str(path), visible=True), note(page_text(page, "exported", n=count), "ok")

    ui.export.click(export_feedback, [ui.library.admin_key, ui.lang], [ui.export_file, ui.export_note],
                    api_visibility="private")


def _conversation_handlers(demo: gr.Blocks, ui: Components, workspace: Workspace) -> None:
    """A new conversation, and the page as it loads: the stored conversation, the library and the
    page's language."""

    def new_conversation(page):
        return (shown(workspace, [], page), [], "", gr.Row(visible=False),
                None, panel_message(page_text(page, "panel_empty")))

    ui.new_chat.click(new_conversation, [ui.lang],
                      [ui.chat, ui.conversation, ui.notice, ui.comment_row, ui.comment_for, ui.panel],
                      api_visibility="private").then(None, None, None, js=FOCUS_QUESTION, api_visibility="private")

    def restore(turns, selected, request: gr.Request):
        page = page_language(dict(request.query_params) if request else None,
                             request.headers.get("accept-language") if request else None)
        turns = valid_turns(turns)
        table, checks, dropdown, docs = library_updates(workspace, selected, page)
        return (shown(workspace, turns, page, docs), table, checks, dropdown,
                scope_text(selected, len(docs), page), page, header(page),
                panel_message(page_text(page, "panel_empty")), _help(page))

    demo.load(restore, [ui.conversation, ui.searched_in],
              [ui.chat, *ui.library.listing(), ui.scope, ui.lang, ui.page_header, ui.panel, ui.feedback_help],
              api_visibility="private")


def _settings_handlers(ui: Components) -> None:
    """The endpoint and model name are shown only for the generator that uses them."""

    def generator_changed(value):
        return gr.Textbox(visible=value == "openai"), gr.Textbox(visible=value == "openai")

    ui.generator.change(generator_changed, [ui.generator], [ui.llm_url, ui.llm_model], api_visibility="private",
                        show_progress="hidden")


def _api(workspace: Workspace, budget: Budget | None) -> None:
    """The API for programs (gradio_client)."""
    settings = workspace.settings

    def ask_api(question: str, history: list | None = None, doc_ids: list | None = None,
                generator: str = "", k: int = 0, request: gr.Request = None) -> dict:
        """Answer a question; returns the answer as JSON (as `paracite ask --json` prints it)."""
        if why := _over_budget(budget, request):
            raise gr.Error(why, print_exception=False)
        try:
            choice = choice_for(settings, generator or None, k or None, None, None, None)
            result = workspace.ask(question, list(history or []) or None, list(doc_ids or []) or None, choice)
        except ParaciteError as exc:
            raise gr.Error(str(exc), print_exception=False) from None
        return result.as_json()

    gr.api(ask_api, api_name="ask")
