"""The chat UI's Documents tab: the library's table, "Search only in" (the documents questions are
searched in), and adding, replacing and deleting documents, the last two asked about first since
neither can be undone. Also the conversation's welcome (`shown`), which lists the library.
"""

from __future__ import annotations

import logging
from pathlib import Path

import gradio as gr

from vectorstore.errors import ParaciteError
from vectorstore.readers import document_id

from ..settings import Settings
from ..workspace import Upload, Workspace
from .access import corpus_refusal
from .labels import L, page_text
from .render import _e, as_sentence, ingested_text, note, paragraphs_text, render_conversation, render_documents, scope_text
from .state import valid_turns

log = logging.getLogger(__name__)


def documents(workspace: Workspace) -> list:
    try:
        return workspace.documents()
    except ParaciteError:
        log.exception("cannot list the documents")
        return []


def shown(workspace: Workspace, turns: list[dict], page: str, docs: list | None = None) -> str:
    """The conversation; when it is empty, the welcome, with the library and the examples."""
    if turns:
        return render_conversation(turns)
    return render_conversation([], documents=documents(workspace) if docs is None else docs, language=page,
                               examples=workspace.examples(page))


def library_updates(workspace: Workspace, selected: list[str] | None = None, lang: str = "en"):
    """The updates for `Library.listing()`, and the documents."""
    docs = documents(workspace)
    ids = {d.doc_id for d in docs}
    choices = [(f"{d.doc_id} · {d.title_in(lang)}", d.doc_id) for d in docs]
    return (
        render_documents(docs, lang),
        gr.CheckboxGroup(choices=choices, value=[d for d in selected or [] if d in ids]),
        gr.Dropdown(choices=[d.doc_id for d in docs], value=None),
        docs,
    )


class Library:
    """The Documents tab's components; `library_tab` makes them all."""

    doc_filter: gr.CheckboxGroup
    admin_key: gr.Textbox
    doc_table: gr.HTML
    doomed: gr.Dropdown
    delete: gr.Button
    confirm_row: gr.Column
    confirm_text: gr.HTML
    confirm: gr.Button
    cancel: gr.Button
    upload: gr.File
    upload_note: gr.HTML
    pending: gr.State
    replace_row: gr.Column
    replace_text: gr.HTML
    replace_yes: gr.Button
    replace_no: gr.Button

    def listing(self) -> list:
        """The components that show the library: its table, the checks and the dropdown."""
        return [self.doc_table, self.doc_filter, self.doomed]


def library_tab(settings: Settings) -> Library:
    """The Documents tab's contents (made inside its gr.Tab)."""
    lib = Library()
    lib.doc_filter = gr.CheckboxGroup(label=L("search_only"), info=L("search_only_info"),
                                      choices=[], elem_id="pc-doc-filter")
    lib.admin_key = gr.Textbox(label=L("admin_key"), type="password", elem_id="pc-admin-key",
                               info=L("admin_key_info"),
                               visible=bool(settings.admin_key.get_secret_value()))
    lib.doc_table = gr.HTML(render_documents([]), elem_id="pc-doc-table", js_on_load=None)
    with gr.Row(equal_height=False, elem_id="pc-delete-row"):
        lib.doomed = gr.Dropdown(label=L("remove_document"), choices=[], value=None, scale=3,
                                 elem_id="pc-delete-choice")
        lib.delete = gr.Button(L("delete"), variant="stop", scale=1, min_width=90, size="md",
                               elem_id="pc-delete")
    # Deleting cannot be undone: the first click only asks.
    lib.confirm_row, lib.confirm_text, lib.confirm, lib.cancel = _confirmation("confirm", "delete", "yes_delete")
    lib.upload = gr.File(label=L("add_documents"),
                         file_count="multiple", type="filepath", elem_id="pc-upload")
    lib.upload_note = gr.HTML("", elem_id="pc-upload-note", js_on_load=None)
    # Uploading under a stored document's name replaces it: as final as deleting, so
    # that asks first too. The files wait in `pending` until the answer.
    lib.pending = gr.State([])
    lib.replace_row, lib.replace_text, lib.replace_yes, lib.replace_no = _confirmation("replace", "replace",
                                                                                       "yes_replace")
    return lib


def _confirmation(row: str, action: str, yes: str):
    """A hidden question with its two answers (for what cannot be undone): the column, its text,
    the button that does it and the one that does not."""
    with gr.Column(visible=False, elem_id=f"pc-{row}-row") as column:
        text = gr.HTML("", elem_id=f"pc-{row}-text", js_on_load=None)
        with gr.Row():
            do = gr.Button(L(yes), variant="stop", min_width=90, size="md", elem_id=f"pc-confirm-{action}")
            dont = gr.Button(L("cancel"), variant="secondary", min_width=90, size="md", elem_id=f"pc-cancel-{action}")
    return column, text, do, dont


def library_handlers(workspace: Workspace, lib: Library, *, chat: gr.HTML, scope: gr.HTML,
                     conversation: gr.BrowserState, searched_in: gr.BrowserState, lang: gr.State) -> None:
    """Wires the Documents tab; a change to the library also updates the welcome (`chat`, when the
    conversation is empty) and the line under the question box (`scope`)."""
    _upload_handlers(workspace, lib, chat, scope, conversation, lang)
    _delete_handlers(workspace, lib, chat, scope, conversation, lang)

    def scope_changed(selected, page):
        return scope_text(selected, len(documents(workspace)), page), list(selected or [])

    lib.doc_filter.change(scope_changed, [lib.doc_filter, lang], [scope, searched_in], api_visibility="private",
                          show_progress="hidden")


def _refresh(workspace: Workspace, selected, page, message):
    """The updates after a change to the library: upload note, table, checks, dropdown, scope."""
    table, checks, dropdown, docs = library_updates(workspace, selected, page)
    return message, table, checks, dropdown, scope_text(selected, len(docs), page), docs


def _ingest(workspace: Workspace, paths, turns, selected, key, page, progress):
    """Returns the updates for upload, upload_note, the library, chat and scope."""
    if why := corpus_refusal(workspace.settings, key):
        message, table, checks, dropdown, scope_html, _ = _refresh(workspace, selected, page, note(why))
        return None, message, table, checks, dropdown, gr.skip(), scope_html
    uploads = [Upload(Path(p).name, Path(p)) for p in paths]
    progress(0, desc="Reading")

    def on_progress(done: int, total: int) -> None:
        progress((done, total) if total else None, desc="Embedding paragraphs", unit="texts")

    try:
        results = workspace.ingest(uploads, on_progress=on_progress)
    except ParaciteError as exc:
        message, table, checks, dropdown, scope_html, _ = _refresh(
            workspace, selected, page, note(as_sentence(str(exc))))
        return None, message, table, checks, dropdown, gr.skip(), scope_html
    except Exception:
        log.exception("ingesting %s failed", [u.name for u in uploads])
        message, table, checks, dropdown, scope_html, _ = _refresh(
            workspace, selected, page, note(page_text(page, "add_failed")))
        return None, message, table, checks, dropdown, gr.skip(), scope_html
    message, table, checks, dropdown, scope_html, docs = _refresh(
        workspace, selected, page, note(" ".join(ingested_text(r, page) for r in results), "ok"))
    chat_html = shown(workspace, [], page, docs) if not valid_turns(turns) else gr.skip()
    return None, message, table, checks, dropdown, chat_html, scope_html


def _upload_handlers(workspace: Workspace, lib: Library, chat, scope, conversation, lang) -> None:
    settings = workspace.settings

    def add_documents(files, turns, selected, key, page, progress=gr.Progress()):  # noqa: B008 (how Gradio injects it)
        paths = [files] if isinstance(files, str) else list(files or [])
        hide = gr.Column(visible=False)
        if not paths:
            return (gr.skip(),) * 7 + ([], hide, gr.skip())
        stored = {d.doc_id: d for d in documents(workspace)}
        replaced = [stored[i] for i in dict.fromkeys(document_id(Path(p)) for p in paths) if i in stored]
        if replaced and not corpus_refusal(settings, key):
            listing = "; ".join(f"<b>{_e(d.doc_id)}</b> · {_e(d.title_in(page))} ({_e(paragraphs_text(d.paragraphs, page))})"
                                for d in replaced)
            question = (f'<div class="pc-confirm" role="alert">'
                        f'{page_text(page, "confirm_replace", listing=listing)}</div>')
            return (None, "") + (gr.skip(),) * 5 + (paths, gr.Column(visible=True), question)
        return _ingest(workspace, paths, turns, selected, key, page, progress) + ([], hide, gr.skip())

    upload_outputs = [lib.upload, lib.upload_note, *lib.listing(), chat, scope]
    lib.upload.upload(add_documents, [lib.upload, conversation, lib.doc_filter, lib.admin_key, lang],
                      [*upload_outputs, lib.pending, lib.replace_row, lib.replace_text], api_visibility="private",
                      show_progress="full", show_progress_on=[lib.upload])

    def replace_documents(paths, turns, selected, key, page, progress=gr.Progress()):  # noqa: B008
        if not paths:
            return (gr.skip(),) * 7 + ([],)
        return _ingest(workspace, paths, turns, selected, key, page, progress) + ([],)

    lib.replace_yes.click(lambda: gr.Column(visible=False), None, [lib.replace_row], api_visibility="private").then(
        replace_documents, [lib.pending, conversation, lib.doc_filter, lib.admin_key, lang],
        [*upload_outputs, lib.pending], api_visibility="private", show_progress="full",
        show_progress_on=[lib.upload_note])
    lib.replace_no.click(lambda page: ([], gr.Column(visible=False), note(page_text(page, "nothing_added"), "ok")),
                         [lang], [lib.pending, lib.replace_row, lib.upload_note], api_visibility="private")


def _delete_handlers(workspace: Workspace, lib: Library, chat, scope, conversation, lang) -> None:
    settings = workspace.settings

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

    lib.delete.click(ask_to_delete, [lib.doomed, lib.admin_key, lang], [lib.upload_note, lib.confirm_row,
                                                                        lib.confirm_text], api_visibility="private")
    lib.cancel.click(lambda: gr.Column(visible=False), None, [lib.confirm_row], api_visibility="private")
    lib.doomed.change(lambda: gr.Column(visible=False), None, [lib.confirm_row], api_visibility="private",
                      show_progress="hidden")

    def remove_document(doc, turns, selected, key, page):
        if not doc:
            message, table, checks, dropdown, scope_html, _ = _refresh(
                workspace, selected, page, note(page_text(page, "choose_delete")))
            return message, table, checks, dropdown, gr.skip(), gr.skip()
        if why := corpus_refusal(settings, key):
            message, table, checks, dropdown, scope_html, _ = _refresh(workspace, selected, page, note(why))
            return message, table, checks, dropdown, gr.skip(), gr.skip()
        try:
            workspace.delete(doc)
            message = note(page_text(page, "deleted", doc=doc), "ok")
        except ParaciteError as exc:
            message = note(str(exc))
        selected = [d for d in selected or [] if d != doc]
        message, table, checks, dropdown, scope_html, docs = _refresh(workspace, selected, page, message)
        chat_html = shown(workspace, [], page, docs) if not valid_turns(turns) else gr.skip()
        return message, table, checks, dropdown, chat_html, scope_html

    lib.confirm.click(lambda: gr.Column(visible=False), None, [lib.confirm_row], api_visibility="private").then(
        remove_document, [lib.doomed, conversation, lib.doc_filter, lib.admin_key, lang],
        [lib.upload_note, *lib.listing(), chat, scope], api_visibility="private")
