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
from vectorstore.readers import document_id

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
from ..settings import GENERATORS
from ..workspace import Upload, Workspace
from .access import JUDGE_CHOICES, browser_secret, choice_for, corpus_refusal
from .labels import L, page_language, page_text, turn_text
from .render import (
    _e,
    as_sentence,
    ingested_text,
    note,
    panel_message,
    paragraphs_text,
    render_conversation,
    render_documents,
    render_paragraph,
    scope_text,
)
from .state import SCOPE_STORAGE_KEY, STORAGE_KEY, history_of, stored_answer, valid_turns
from .theme import CHAT_JS

log = logging.getLogger(__name__)

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


def build_ui(workspace: Workspace, budget: Callable[[str], float | None] | None = None) -> gr.Blocks:
    settings = workspace.settings
    feedback = FeedbackStore.for_settings(settings)

    def documents() -> list:
        try:
            return workspace.documents()
        except ParaciteError:
            log.exception("cannot list the documents")
            return []

    def shown(turns: list[dict], page: str, docs: list | None = None) -> str:
        """The conversation; when it is empty, the welcome, with the library and the examples."""
        if turns:
            return render_conversation(turns)
        return render_conversation([], documents=documents() if docs is None else docs, language=page,
                                   examples=workspace.examples(page))

    def library_updates(selected: list[str] | None = None, lang: str = "en"):
        docs = documents()
        ids = {d.doc_id for d in docs}
        choices = [(f"{d.doc_id} · {d.title_in(lang)}", d.doc_id) for d in docs]
        return (
            render_documents(docs, lang),
            gr.CheckboxGroup(choices=choices, value=[d for d in selected or [] if d in ids]),
            gr.Dropdown(choices=[d.doc_id for d in docs], value=None),
            docs,
        )

    with gr.Blocks(title="Paracite", analytics_enabled=False) as demo:
        page_header = gr.HTML(header("en"), elem_id="pc-header", js_on_load=None)
        lang = gr.State("en")  # the page's language, set when the page loads (labels.page_language)
        conversation = gr.BrowserState([], storage_key=STORAGE_KEY, secret=browser_secret(settings))
        comment_for = gr.State(None)
        # The ticked documents, kept like the chat (with its key: a random one would not outlive a restart).
        searched_in = gr.BrowserState([], storage_key=SCOPE_STORAGE_KEY, secret=browser_secret(settings))

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
                    scope = gr.HTML(scope_text([], 0, loaded=False), elem_id="pc-scope", js_on_load=None)
                    new_chat = gr.Button(L("new"), size="sm", scale=0, min_width=150, elem_id="pc-new")
                with gr.Row(visible=False, elem_id="pc-comment-row") as comment_row:
                    comment = gr.Textbox(label=L("comment"), scale=8, max_lines=4, elem_id="pc-comment",
                                         placeholder=L("comment_placeholder"))
                    comment_save = gr.Button(L("save_comment"), scale=0, min_width=130, elem_id="pc-comment-save")

            with gr.Column(scale=5, min_width=340, elem_id="pc-side"):
                with gr.Tabs(selected="paragraph", elem_id="pc-tabs") as tabs:
                    with gr.Tab(L("tab_paragraph"), id="paragraph", elem_id="pc-tab-paragraph"):
                        panel = gr.HTML(panel_message(page_text("en", "panel_empty")), elem_id="pc-panel",
                                        js_on_load=None)
                    with gr.Tab(L("tab_documents"), id="documents", elem_id="pc-tab-documents"):
                        doc_filter = gr.CheckboxGroup(label=L("search_only"), info=L("search_only_info"),
                                                      choices=[], elem_id="pc-doc-filter")
                        admin_key = gr.Textbox(label=L("admin_key"), type="password", elem_id="pc-admin-key",
                                               info=L("admin_key_info"),
                                               visible=bool(settings.admin_key.get_secret_value()))
                        doc_table = gr.HTML(render_documents([]), elem_id="pc-doc-table", js_on_load=None)
                        with gr.Row(equal_height=False, elem_id="pc-delete-row"):
                            doomed = gr.Dropdown(label=L("remove_document"), choices=[], value=None, scale=3,
                                                 elem_id="pc-delete-choice")
                            delete = gr.Button(L("delete"), variant="stop", scale=1, min_width=90, size="md",
                                               elem_id="pc-delete")
                        # Deleting cannot be undone: the first click only asks.
                        confirm_row, confirm_text, confirm, cancel = _confirmation("confirm", "delete", "yes_delete")
                        upload = gr.File(label=L("add_documents"),
                                         file_count="multiple", type="filepath", elem_id="pc-upload")
                        upload_note = gr.HTML("", elem_id="pc-upload-note", js_on_load=None)
                        # Uploading under a stored document's name replaces it: as final as deleting, so
                        # that asks first too. The files wait in `pending` until the answer.
                        pending = gr.State([])
                        replace_row, replace_text, replace_yes, replace_no = _confirmation("replace", "replace",
                                                                                           "yes_replace")
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
                        feedback_help = gr.HTML(_help("en"), js_on_load=None, elem_id="pc-feedback-help")
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

        def answer(text, turns, doc_ids, page, gen, k, jdg, url, model, request: gr.Request = None):
            """Yields updates for the conversation, its stored copy, the question box and the notice.
            The browser emptied the box when the question was sent (TAKE_QUESTION); it is only
            written to give back a question that could not be answered."""
            turns = valid_turns(turns)
            text = text if isinstance(text, str) else ""
            try:
                # The reader's mistakes in the page's language; check_question stays the rule.
                if not text.strip():
                    raise InputError(page_text(page, "empty_question"))
                if len(text) > MAX_QUESTION_CHARS:
                    raise InputError(page_text(page, "long_question", n=len(text), limit=MAX_QUESTION_CHARS))
                check_question(text)
                if why := over_budget(request):
                    raise InputError(why)
            except InputError as exc:
                yield (shown(turns, page), gr.skip(), text,
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
                yield shown(turns, page), gr.skip(), text, note(message)
            except Exception:  # a bug: logged with its traceback, shown as one line
                log.exception("answering %r failed", text)
                yield (shown(turns, page), gr.skip(), text,
                       note(page_text(page, "answer_failed")))

        ask_inputs = [question, conversation, doc_filter, lang, *settings_inputs]
        ask_outputs = [chat, conversation, question, notice]

        def answer_one_at_a_time(*inputs, request: gr.Request = None):
            # Ask is off while an answer is on its way; the box stays on (see the module's docstring).
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.Button(interactive=False)
            for update in answer(*inputs, request=request):
                yield *update, gr.skip()
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.Button(interactive=True)

        def answering(event):
            return event.then(None, None, None, js=FOCUS_QUESTION, api_visibility="private")

        answering(gr.on([ask.click, question.submit], answer_one_at_a_time, ask_inputs, [*ask_outputs, ask],
                        js=TAKE_QUESTION, api_visibility="private", show_progress="hidden",
                        trigger_mode="always_last"))

        def fill(evt: gr.EventData):
            return str((evt._data or {}).get("question", ""))

        answering(chat.example(fill, None, question, api_visibility="private", show_progress="hidden").then(
            answer_one_at_a_time, ask_inputs, [*ask_outputs, ask], api_visibility="private", show_progress="hidden"))

        # --- citations ---------------------------------------------------------------------------

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
                    rendering = None
                else:
                    sentence = answer_data["sentences"][int(data["sentence"])]
                    citation = sentence["citations"][int(data["citation"])]
                    doc, number = citation["doc"], int(citation["paragraph"])
                    quotes = [c.get("quote", "") for c in sentence["citations"]
                              if c["doc"] == doc and int(c["paragraph"]) == number]
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
                                     rendering if isinstance(rendering, dict) else None),
                    paragraph_tab)

        chat.cite(open_citation, [conversation, lang], [panel, tabs], api_visibility="private",
                  show_progress="hidden")

        # --- feedback ----------------------------------------------------------------------------

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

        chat.rate(rate, [conversation, lang], [chat, conversation, comment_row, comment, comment_for, notice],
                  api_visibility="private", show_progress="hidden")

        def save_comment(text, target, page):
            if not target:
                return gr.Row(visible=False), note(page_text(page, "rate_first"))
            try:
                feedback.comment(int(target["id"]), text or "")
            except ParaciteError as exc:
                return gr.skip(), note(str(exc))
            return gr.Row(visible=False), note(page_text(page, "comment_saved"), "ok")

        comment_save.click(save_comment, [comment, comment_for, lang], [comment_row, notice], api_visibility="private")
        comment.submit(save_comment, [comment, comment_for, lang], [comment_row, notice], api_visibility="private")

        def export_feedback(key, page):
            if why := corpus_refusal(settings, key):  # everyone's questions and comments: not for any visitor
                return gr.File(visible=False), note(why.replace("Adding and deleting documents", "Exporting feedback"))
            folder = Path(tempfile.mkdtemp(prefix="paracite-feedback-"))
            path = folder / "paracite-feedback.jsonl"
            count = export_questions(feedback, path)
            if not count:
                return gr.File(visible=False), note(page_text(page, "no_feedback"), "info")
            return gr.File(value=str(path), visible=True), note(page_text(page, "exported", n=count), "ok")

        export.click(export_feedback, [admin_key, lang], [export_file, export_note], api_visibility="private")

        # --- the conversation and the library ----------------------------------------------------

        def new_conversation(page):
            return (shown([], page), [], "", gr.Row(visible=False),
                    None, panel_message(page_text(page, "panel_empty")))

        new_chat.click(new_conversation, [lang], [chat, conversation, notice, comment_row, comment_for, panel],
                       api_visibility="private").then(None, None, None, js=FOCUS_QUESTION, api_visibility="private")

        def restore(turns, selected, request: gr.Request):
            page = page_language(dict(request.query_params) if request else None,
                                 request.headers.get("accept-language") if request else None)
            turns = valid_turns(turns)
            table, checks, dropdown, docs = library_updates(selected, page)
            return (shown(turns, page, docs), table, checks, dropdown,
                    scope_text(selected, len(docs), page), page, header(page),
                    panel_message(page_text(page, "panel_empty")), _help(page))

        library_outputs = [doc_table, doc_filter, doomed]
        demo.load(restore, [conversation, searched_in],
                  [chat, *library_outputs, scope, lang, page_header, panel, feedback_help], api_visibility="private")

        def library_refresh(selected, page, message):
            """The updates after a change to the library: upload note, table, checks, dropdown, scope."""
            table, checks, dropdown, docs = library_updates(selected, page)
            return message, table, checks, dropdown, scope_text(selected, len(docs), page), docs

        def ingest_paths(paths, turns, selected, key, page, progress):
            """Returns the updates for upload, upload_note, the library, chat and scope."""
            if why := corpus_refusal(settings, key):
                message, table, checks, dropdown, scope_html, _ = library_refresh(selected, page, note(why))
                return None, message, table, checks, dropdown, gr.skip(), scope_html
            uploads = [Upload(Path(p).name, Path(p)) for p in paths]
            progress(0, desc="Reading")

            def on_progress(done: int, total: int) -> None:
                progress((done, total) if total else None, desc="Embedding paragraphs", unit="texts")

            try:
                results = workspace.ingest(uploads, on_progress=on_progress)
            except ParaciteError as exc:
                message, table, checks, dropdown, scope_html, _ = library_refresh(
                    selected, page, note(as_sentence(str(exc))))
                return None, message, table, checks, dropdown, gr.skip(), scope_html
            except Exception:
                log.exception("ingesting %s failed", [u.name for u in uploads])
                message, table, checks, dropdown, scope_html, _ = library_refresh(
                    selected, page, note(page_text(page, "add_failed")))
                return None, message, table, checks, dropdown, gr.skip(), scope_html
            message, table, checks, dropdown, scope_html, docs = library_refresh(
                selected, page, note(" ".join(ingested_text(r, page) for r in results), "ok"))
            chat_html = shown([], page, docs) if not valid_turns(turns) else gr.skip()
            return None, message, table, checks, dropdown, chat_html, scope_html

        def add_documents(files, turns, selected, key, page, progress=gr.Progress()):  # noqa: B008 (how Gradio injects it)
            paths = [files] if isinstance(files, str) else list(files or [])
            hide = gr.Column(visible=False)
            if not paths:
                return (gr.skip(),) * 7 + ([], hide, gr.skip())
            stored = {d.doc_id: d for d in documents()}
            replaced = [stored[i] for i in dict.fromkeys(document_id(Path(p)) for p in paths) if i in stored]
            if replaced and not corpus_refusal(settings, key):
                listing = "; ".join(f"<b>{_e(d.doc_id)}</b> · {_e(d.title_in(page))} ({_e(paragraphs_text(d.paragraphs, page))})"
                                    for d in replaced)
                question = (f'<div class="pc-confirm" role="alert">'
                            f'{page_text(page, "confirm_replace", listing=listing)}</div>')
                return (None, "") + (gr.skip(),) * 5 + (paths, gr.Column(visible=True), question)
            return ingest_paths(paths, turns, selected, key, page, progress) + ([], hide, gr.skip())

        upload_outputs = [upload, upload_note, *library_outputs, chat, scope]
        upload.upload(add_documents, [upload, conversation, doc_filter, admin_key, lang],
                      [*upload_outputs, pending, replace_row, replace_text], api_visibility="private",
                      show_progress="full", show_progress_on=[upload])

        def replace_documents(paths, turns, selected, key, page, progress=gr.Progress()):  # noqa: B008
            if not paths:
                return (gr.skip(),) * 7 + ([],)
            return ingest_paths(paths, turns, selected, key, page, progress) + ([],)

        replace_yes.click(lambda: gr.Column(visible=False), None, [replace_row], api_visibility="private").then(
            replace_documents, [pending, conversation, doc_filter, admin_key, lang], [*upload_outputs, pending],
            api_visibility="private", show_progress="full", show_progress_on=[upload_note])
        replace_no.click(lambda page: ([], gr.Column(visible=False), note(page_text(page, "nothing_added"), "ok")),
                         [lang], [pending, replace_row, upload_note], api_visibility="private")

        def ask_to_delete(doc, key, page):
            if not doc:
                return note(page_text(page, "choose_delete")), gr.Column(visible=False), gr.skip()
            if why := corpus_refusal(settings, key):
                return note(why), gr.Column(visible=False), gr.skip()
            try:
                info = workspace.document(doc)
            except ParaciteError as exc:
                return note(str(exc)), gr.Column(visible=False), gr.skip()
            listing = f"<b>{_e(info.doc_id)}</b> · {_e(info.title_in(page))} ({_e(paragraphs_text(info.paragraphs, page))})"
            question = f'<div class="pc-confirm" role="alert">{page_text(page, "confirm_delete", listing=listing)}</div>'
            return "", gr.Column(visible=True), question

        delete.click(ask_to_delete, [doomed, admin_key, lang], [upload_note, confirm_row, confirm_text],
                     api_visibility="private")
        cancel.click(lambda: gr.Column(visible=False), None, [confirm_row], api_visibility="private")
        doomed.change(lambda: gr.Column(visible=False), None, [confirm_row], api_visibility="private",
                      show_progress="hidden")

        def remove_document(doc, turns, selected, key, page):
            if not doc:
                message, table, checks, dropdown, scope_html, _ = library_refresh(
                    selected, page, note(page_text(page, "choose_delete")))
                return message, table, checks, dropdown, gr.skip(), gr.skip()
            if why := corpus_refusal(settings, key):
                message, table, checks, dropdown, scope_html, _ = library_refresh(selected, page, note(why))
                return message, table, checks, dropdown, gr.skip(), gr.skip()
            try:
                workspace.delete(doc)
                message = note(page_text(page, "deleted", doc=doc), "ok")
            except ParaciteError as exc:
                message = note(str(exc))
            selected = [d for d in selected or [] if d != doc]
            message, table, checks, dropdown, scope_html, docs = library_refresh(selected, page, message)
            chat_html = shown([], page, docs) if not valid_turns(turns) else gr.skip()
            return message, table, checks, dropdown, chat_html, scope_html

        confirm.click(lambda: gr.Column(visible=False), None, [confirm_row], api_visibility="private").then(
            remove_document, [doomed, conversation, doc_filter, admin_key, lang],
            [upload_note, *library_outputs, chat, scope], api_visibility="private")

        def scope_changed(selected, page):
            return scope_text(selected, len(documents()), page), list(selected or [])

        doc_filter.change(scope_changed, [doc_filter, lang], [scope, searched_in], api_visibility="private",
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


def _confirmation(row: str, action: str, yes: str):
    """A hidden question with its two answers (for what cannot be undone): the column, its text,
    the button that does it and the one that does not."""
    with gr.Column(visible=False, elem_id=f"pc-{row}-row") as column:
        text = gr.HTML("", elem_id=f"pc-{row}-text", js_on_load=None)
        with gr.Row():
            do = gr.Button(L(yes), variant="stop", min_width=90, size="md", elem_id=f"pc-confirm-{action}")
            dont = gr.Button(L("cancel"), variant="secondary", min_width=90, size="md", elem_id=f"pc-cancel-{action}")
    return column, text, do, dont


def _help(language: str) -> str:
    return f'<div class="pc-help">{_e(page_text(language, "feedback_help"))}</div>'
