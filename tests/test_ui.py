"""The chat UI in a real browser (Playwright driving Debian's chromium) against a real
`paracite serve` over the demo corpus, and its API through gradio_client.

Screenshots go to test-artifacts/ui/ for a person to look at.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time

import pytest

from . import axe
from .conftest import CORPUS, DOC_2007, DOC_2024, ROOT
from .servers import free_port, running

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts" / "ui"
TIMEOUT_MS = 60_000
ZH_QUESTION = "2024年缔约国对扎波罗热核电厂提出了什么要求？"
EN_QUESTION = "What did the 2007 working paper say about Iran?"
PAYLOAD = '<script>window.__pwned = 1</script><img src="x" onerror="alert(2)">'
UPLOADED = """Zorblat Accord on Glacier Moss <img src=x onerror="alert(1)">

1. The Zorblat Accord requires every signatory to protect glacier moss meadows above 3,000 metres.

2. Under the Zorblat Accord, moss keepers must count the blue lichen colonies each spring and report the count to the Secretariat.

3. The Secretariat of the Zorblat Accord publishes its annual moss census in the following markup: {payload}
"""


@contextlib.contextmanager
def serving(tmp_path_factory, settings, name: str = "ui", **extra_env: str):
    """A `paracite serve` over the demo corpus, with `extra_env` on top of this process's:
    (base URL, its data directory)."""
    root = tmp_path_factory.mktemp(name)
    data = root / "data"
    env = dict(os.environ, PARACITE_DATA_DIR=str(data), PARACITE_CACHE_DIR=str(settings.cache_dir),
               GRADIO_ANALYTICS_ENABLED="False", PARACITE_RATE_LIMIT_IP="300/minute", **extra_env)
    paracite = [sys.executable, "-m", "assistant"]
    subprocess.run([*paracite, "ingest", *map(str, sorted(CORPUS.glob("*.txt")))], env=env, check=True,
                   capture_output=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with running([*paracite, "serve", "--port", str(port)], f"{url}/healthz", root / "serve.log",
                 timeout=180, env=env):
        yield url, data


@pytest.fixture(scope="module")
def served(tmp_path_factory, settings):
    """A `paracite serve` over the demo corpus (no machine translations): (base URL, its data directory)."""
    with serving(tmp_path_factory, settings) as server:
        yield server


@pytest.fixture(scope="module")
def served_with_renderings(tmp_path_factory, settings):
    """The same server with the local model rendering foreign quotes (PARACITE_TRANSLATOR=llamacpp;
    tests/conftest.py turns renderings off for everything else)."""
    try:  # fails rather than skips, like the other LLM tests: a missing install step must not pass unseen
        import llama_cpp  # noqa: F401
    except ImportError:
        pytest.fail("llama-cpp-python is not installed: run `make llm`")
    with serving(tmp_path_factory, settings, "ui-renderings", PARACITE_TRANSLATOR="llamacpp",
                 OMP_WAIT_POLICY="PASSIVE") as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def page(served, browser):
    """A fresh browser profile (empty localStorage) on the chat UI; `page.dialogs` records any
    alert() that fires."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.dialogs = []

    def on_dialog(dialog):
        page.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    open_ui(page, served[0])
    yield page
    context.close()


def open_ui(page, url: str) -> None:
    page.goto(url + "/")
    page.wait_for_selector("#pc-chat .pc-scroll")
    page.wait_for_selector("#pc-scope .pc-scope[data-loaded]")  # demo.load has run


def ask(page, question: str, turn: int):
    """Ask, wait for the answer to be finished (its feedback buttons appear), return the turn."""
    page.fill("#pc-question textarea", question)
    page.click("#pc-ask")
    done = page.locator(f'#pc-chat .pc-turn[data-turn="{turn}"]:not(.pc-pending)')
    done.locator(".pc-actions").wait_for()
    return done


def chip(turn, doc: str, paragraph: int):
    return turn.locator(f'.pc-chip[data-doc="{doc}"][data-p="{paragraph}"]').first


def open_chip(page, chip_locator, doc: str, paragraph: int, turn: int):
    chip_locator.click()
    panel = page.locator(f'#pc-panel .pc-panel[data-doc="{doc}"][data-paragraph="{paragraph}"][data-turn="{turn}"]')
    panel.wait_for()
    return panel


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_chinese_question_cites_its_paragraph_and_the_chip_opens_it(page):
    page.locator(".pc-example", has_text=ZH_QUESTION).click()  # an example question asks itself
    turn = page.locator('#pc-chat .pc-turn[data-turn="0"]:not(.pc-pending)')
    turn.locator(".pc-actions").wait_for()
    assert turn.locator(".pc-bubble").inner_text() == ZH_QUESTION
    assert "扎波罗热核电厂" in turn.locator(".pc-answer").inner_text()
    citation = chip(turn, DOC_2024, 142)
    assert citation.inner_text() == "¶142"
    assert "主席的总结" in citation.get_attribute("title")
    panel = open_chip(page, citation, DOC_2024, 142, 0)
    assert panel.locator(".pc-panel-title").inner_text() == "主席的总结"
    assert panel.locator(".pc-panel-doc").inner_text() == DOC_2024
    paragraph = panel.locator(".pc-para").inner_text()
    marked = panel.locator(".pc-para mark").first.inner_text()
    assert "扎波罗热核电厂" in marked and marked in paragraph and len(marked) < len(paragraph)
    # An extractive sentence is its quote: the panel marks it and does not repeat it as "cited for".
    assert panel.locator(".pc-cited-for").count() == 0
    assert panel.locator(".pc-panel-note").inner_text() == "高亮部分是支持该句的引文。"  # the turn's language
    # the retrieved paragraphs are listed, with scores
    turn.locator(".pc-retrieved summary").click()
    assert turn.locator(".pc-retrieved li").count() == 5
    assert f"{DOC_2024} ¶142" in turn.locator(".pc-retrieved").inner_text()
    assert turn.locator(".pc-retrieved summary").inner_text().startswith("检索到的 5 个段落")
    # The page's labels follow the browser (zh-CN here); each turn follows its question.
    assert page.locator("#pc-ask").inner_text() == "提问"
    assert page.locator("#pc-tab-documents-button").inner_text() == "文件"
    english = ask(page, EN_QUESTION, 1)
    assert english.locator(".pc-retrieved summary").inner_text().startswith("5 retrieved paragraphs")
    assert english.locator(".pc-fb").first.get_attribute("aria-label") == "Good answer"
    assert turn.locator(".pc-fb").first.get_attribute("aria-label") == "回答得好"
    shot(page, "chinese-answer-and-paragraph")


@axe.needs_axe
def test_the_page_passes_an_accessibility_audit(page):
    """axe-core, WCAG 2.1 AA: the empty page, an answer with its chips, details and paragraph
    panel, and each tab."""
    assert axe.violations(page) == []
    turn = ask(page, ZH_QUESTION, 0)
    turn.locator(".pc-retrieved summary").click()
    open_chip(page, chip(turn, DOC_2024, 142), DOC_2024, 142, 0)
    # The chip's colours are still in transition: audit what the reader sees once they settle.
    page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")
    assert axe.violations(page) == []
    for tab, panel in (("documents", "#pc-doc-table"), ("settings", "#pc-generator"), ("feedback", "#pc-tab-feedback")):
        page.click(f"#pc-tab-{tab}-button")
        page.locator(panel).wait_for()
        page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")
        # Gradio's own upload zone shows its words in the browser's language but names itself in
        # English (WCAG 2.5.3, label in name): Gradio's markup, not ours.
        found = axe.violations(page, skip=("label-content-name-mismatch",) if tab == "documents" else ())
        assert found == [], (tab, found)


def test_english_question_a_follow_up_and_the_history_after_a_reload(page, served):
    first = ask(page, EN_QUESTION, 0)
    assert first.locator(".pc-answer").inner_text().startswith("The documents say")
    assert chip(first, DOC_2007, 37).count() == 1
    # No translator on this server (tests/conftest.py): a quiet note says how to get machine translations.
    assert "PARACITE_TRANSLATOR=none" in first.locator(".pc-translation-hint").inner_text()
    assert first.locator(".pc-rendering").count() == 0
    first.locator(".pc-retrieved summary").click()
    assert first.locator(".pc-retrieved").get_attribute("open") is not None
    second = ask(page, "And what about the Democratic People's Republic of Korea?", 1)
    assert second.locator(".pc-chip").count() >= 1
    # The conversation was rendered again for the second answer: what the reader opened stays open.
    first = page.locator('#pc-chat .pc-turn[data-turn="0"]')
    assert first.locator(".pc-retrieved").get_attribute("open") is not None
    assert first.locator(".pc-retrieved .pc-src").first.is_visible()
    standalone = second.locator(".pc-standalone")
    standalone.locator("summary").click()
    assert "2007" in standalone.inner_text()  # the follow-up was searched with the earlier question's document
    second_panel = open_chip(page, second.locator(".pc-chip").first, second.locator(".pc-chip").first.get_attribute(
        "data-doc"), int(second.locator(".pc-chip").first.get_attribute("data-p")), 1)
    second_marked = second_panel.locator(".pc-para mark").first.inner_text()
    shot(page, "english-answer-and-follow-up")

    page.reload()
    page.wait_for_selector('#pc-chat .pc-turn[data-turn="1"] .pc-chip')
    turns = page.locator("#pc-chat .pc-turn")
    assert turns.count() == 2
    first = page.locator('#pc-chat .pc-turn[data-turn="0"]')
    assert EN_QUESTION in first.locator(".pc-bubble").inner_text()
    panel = open_chip(page, chip(first, DOC_2007, 37), DOC_2007, 37, 0)
    marked = panel.locator(".pc-para mark").first.inner_text()
    assert marked != second_marked  # the first answer's quote, not the second's
    first_sentence = first.locator(".pc-sentence").first.inner_text().replace("¶37", "").strip()
    assert "".join(first_sentence.split())[:20] in "".join(marked.split())
    assert "伊朗" in marked
    shot(page, "history-after-reload")

    page.click("#pc-new")
    page.wait_for_selector("#pc-chat .pc-empty")
    page.reload()
    page.wait_for_selector("#pc-chat .pc-empty")
    assert page.locator("#pc-chat .pc-turn").count() == 0


def listed_paragraphs(page, doc_id: str) -> int:
    """The paragraph count the Documents tab lists for a document."""
    row = page.locator("#pc-doc-table tr", has=page.locator(f"td.pc-doc-id:text-is('{doc_id}')"))
    return int(row.locator("td.pc-num").inner_text())


def test_an_uploaded_document_is_cited_and_its_markup_stays_text(page, tmp_path):
    document = tmp_path / "zorblat-accord.txt"
    document.write_text(UPLOADED.format(payload=PAYLOAD), encoding="utf-8")
    page.click("#pc-tab-documents-button")
    page.set_input_files("#pc-upload input[type=file]", str(document))
    page.wait_for_selector("#pc-upload-note .pc-note-ok")
    assert "已添加 zorblat-accord" in page.locator("#pc-upload-note").inner_text()  # the page's language
    assert "3 个段落" in page.locator("#pc-upload-note").inner_text()
    table = page.locator("#pc-doc-table").inner_text()
    assert "zorblat-accord" in table and '<img src=x onerror="alert(1)">' in table  # the title, as text
    shot(page, "upload")

    turn = ask(page, "What does the Zorblat Accord say about glacier moss?", 0)
    assert chip(turn, "zorblat-accord", 1).count() == 1
    turn = ask(page, "In what markup does the Secretariat of the Zorblat Accord publish its annual moss census?", 1)
    assert PAYLOAD in turn.locator(".pc-answer").inner_text()
    panel = open_chip(page, chip(turn, "zorblat-accord", 3), "zorblat-accord", 3, 1)
    assert PAYLOAD in panel.locator(".pc-para").inner_text()
    time.sleep(0.5)  # an onerror handler would have fired by now
    assert page.dialogs == []
    assert page.evaluate("window.__pwned") is None
    assert page.locator('img[src="x"]').count() == 0 and page.locator("#pc-chat script, #pc-panel script").count() == 0
    shot(page, "upload-answer-escaped")

    # The same name again replaces the document: asked first, and cancelling keeps it whole.
    page.click("#pc-tab-documents-button")
    shorter = tmp_path / "upload-again" / "zorblat-accord.txt"
    shorter.parent.mkdir()
    shorter.write_text("Zorblat Accord, short version\n\n1. Moss is protected.\n", encoding="utf-8")
    page.set_input_files("#pc-upload input[type=file]", str(shorter))
    page.wait_for_selector("#pc-replace-text:has-text('用上传的文件替换 zorblat-accord')")
    assert "(3 个段落)" in page.locator("#pc-replace-text").inner_text()
    shot(page, "replace-confirmation")
    page.click("#pc-cancel-replace")
    page.wait_for_selector("#pc-upload-note:has-text('没有添加或替换任何文件')")
    page.locator("#pc-replace-row").wait_for(state="hidden")
    assert listed_paragraphs(page, "zorblat-accord") == 3
    page.set_input_files("#pc-upload input[type=file]", str(shorter))
    page.click("#pc-confirm-replace")
    page.wait_for_selector("#pc-upload-note .pc-note-ok:has-text('已替换 zorblat-accord')")
    assert listed_paragraphs(page, "zorblat-accord") == 1

    page.locator("#pc-delete-choice input").click()
    page.locator('li[data-testid="dropdown-option"][aria-label="zorblat-accord"]').click()
    page.click("#pc-delete")  # asks first; cancelling keeps the document
    page.wait_for_selector("#pc-confirm-text:has-text('删除 zorblat-accord')")
    assert "无法撤销" in page.locator("#pc-confirm-text").inner_text()
    shot(page, "delete-confirmation")
    page.click("#pc-cancel-delete")
    page.locator("#pc-confirm-row").wait_for(state="hidden")
    assert "zorblat-accord" in page.locator("#pc-doc-table").inner_text()
    page.click("#pc-delete")
    page.click("#pc-confirm-delete")
    page.wait_for_selector("#pc-upload-note .pc-note-ok:has-text('已删除 zorblat-accord')")
    assert "zorblat-accord" not in page.locator("#pc-doc-table").inner_text()
    assert not page.locator("#pc-confirm-row").is_visible()


def test_bad_questions_and_uploads_get_a_clear_message(page, tmp_path):
    page.click("#pc-ask")
    page.wait_for_selector("#pc-notice .pc-note-error")
    assert page.locator("#pc-notice").inner_text().strip() == "问题是空的。"
    page.fill("#pc-question textarea", "核" * 1001)
    page.click("#pc-ask")
    page.wait_for_selector("#pc-notice .pc-note-error:has-text('1001')")
    assert "上限是 1000" in page.locator("#pc-notice").inner_text()
    assert page.locator("#pc-chat .pc-turn").count() == 0
    shot(page, "long-question")

    page.click("#pc-tab-documents-button")
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ\x90\x00" + bytes(200))
    page.set_input_files("#pc-upload input[type=file]", str(program))
    page.wait_for_selector("#pc-upload-note .pc-note-error")
    message = page.locator("#pc-upload-note").inner_text()
    assert "setup.exe" in message and "unsupported file type .exe" in message and "Traceback" not in message

    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\nthis is not really a pdf\n")
    page.set_input_files("#pc-upload input[type=file]", str(broken))
    page.wait_for_selector("#pc-upload-note .pc-note-error:has-text('broken.pdf')")
    message = page.locator("#pc-upload-note").inner_text()
    assert message.startswith("broken.pdf: cannot read this PDF") and "Traceback" not in message
    shot(page, "bad-upload")


def test_thumbs_up_is_stored_with_the_answer(page, served):
    from assistant.feedback import FeedbackStore

    turn = ask(page, ZH_QUESTION, 0)
    turn.locator('.pc-fb[data-fb="up"]').click()
    page.wait_for_selector('#pc-chat .pc-turn[data-turn="0"] .pc-fb.pc-on[data-fb="up"]')
    page.fill("#pc-comment textarea", "正确，引用了第142段")
    page.click("#pc-comment-save")
    page.wait_for_selector("#pc-notice .pc-note-ok")
    shot(page, "feedback")
    rows = [r for r in FeedbackStore(served[1] / "feedback.sqlite").all() if r.comment == "正确，引用了第142段"]
    assert len(rows) == 1
    row = rows[0]
    assert (row.rating, row.question, row.generator) == ("up", ZH_QUESTION, "extractive")
    assert row.standalone_question and "[npt-2024-chair-summary ¶142]" in row.answer
    assert any(c["doc"] == DOC_2024 and c["paragraph"] == 142 and c["quote"] for c in row.citations)

    page.click("#pc-tab-feedback-button")
    page.click("#pc-export")
    page.wait_for_selector("#pc-export-note .pc-note-ok")
    assert "已导出 1 条" in page.locator("#pc-export-note").inner_text()


CLIENT_SCRIPT = """
import json, sys
from gradio_client import Client
client = Client(sys.argv[1], verbose=False)
first = client.predict(question=sys.argv[2], api_name="/ask")
history = [{"role": "user", "content": sys.argv[2]}, {"role": "assistant", "content": first["answer"]}]
followup = client.predict(question="那伊朗呢？", history=history, api_name="/ask")
try:
    client.predict(question="  ", api_name="/ask")
    error = None
except Exception as exc:
    error = str(exc)
print(json.dumps({"first": first, "followup": followup, "error": error}))
"""


def test_gradio_client_asks_through_the_named_endpoint(served):
    # In a process of its own: the client's heartbeat stream would otherwise stay open and hold
    # up the server's shutdown.
    done = subprocess.run([sys.executable, "-c", CLIENT_SCRIPT, served[0] + "/", ZH_QUESTION], capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    answer = result["first"]
    assert {"doc": DOC_2024, "paragraph": 142} in answer["citations"]
    assert all(s["citations"] for s in answer["sentences"]) and not answer["refused"]
    assert result["followup"]["standalone_question"] != "那伊朗呢？"
    assert "empty" in result["error"]


def test_a_refusal_is_a_plain_message_without_chips(page):
    turn = ask(page, "如何烤制法式面包？", 0)
    assert turn.locator(".pc-refused").inner_text().startswith("文件没有涉及")
    assert turn.locator(".pc-chip").count() == 0
    # It answers from no paragraph: no "5 retrieved paragraphs" under it either.
    assert turn.locator(".pc-retrieved").count() == 0
    shot(page, "refusal")


def focused_in(page, selector: str) -> bool:
    return page.evaluate("(s) => !!document.activeElement && !!document.activeElement.closest(s)", selector)


def test_the_question_box_keeps_focus_and_what_is_typed_during_an_answer(page):
    """Typed while an answer is on its way: sent, it is asked after that answer, on a history that
    has it; not sent, it stays in the box. Focus is back in the box after each answer."""
    box = page.locator("#pc-question textarea")
    # A slow page (as on a loaded phone): Gradio reads the box well after the key press, while the
    # reader types on. What was sent and what was typed after it must not mix.
    page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 8})
    box.fill(EN_QUESTION)
    box.press("Enter")
    # At once, before the first answer can have come back: the second question, sent.
    box.press_sequentially(ZH_QUESTION, delay=5)
    box.press("Enter")
    first = page.locator('#pc-chat .pc-turn[data-turn="0"]:not(.pc-pending)')
    second = page.locator('#pc-chat .pc-turn[data-turn="1"]:not(.pc-pending)')
    second.locator(".pc-actions").wait_for()
    assert first.locator(".pc-bubble").inner_text() == EN_QUESTION
    assert second.locator(".pc-bubble").inner_text() == ZH_QUESTION  # every character of it
    assert "扎波罗热核电厂" in second.locator(".pc-answer").inner_text()
    page.wait_for_function("!document.querySelector('#pc-ask').disabled")
    page.wait_for_function("document.activeElement === document.querySelector('#pc-question textarea')")
    assert box.input_value() == ""
    # Typed during an answer and not sent: still in the box when the answer is done.
    box.fill("缔约国对福岛处理水排海有何看法？")
    box.press("Enter")
    box.press_sequentially("And what did the", delay=5)
    page.locator('#pc-chat .pc-turn[data-turn="2"]:not(.pc-pending) .pc-actions').wait_for()
    page.wait_for_function("!document.querySelector('#pc-ask').disabled")
    assert box.input_value() == "And what did the"
    assert focused_in(page, "#pc-question")
    # An example question and a new conversation give the focus back too.
    page.click("#pc-new")
    page.locator(".pc-example").first.wait_for()
    page.locator(".pc-example").first.click()
    page.locator('#pc-chat .pc-turn[data-turn="0"]:not(.pc-pending) .pc-actions').wait_for()
    page.wait_for_function("document.activeElement === document.querySelector('#pc-question textarea')")
    shot(page, "focus-after-answers")


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2,
         "reduced_motion": "reduce"}


def in_view(page, locator) -> bool:
    box = locator.bounding_box()
    # a turn scrolled to the top of the screen may sit a fraction of a pixel above it (-0.09)
    return bool(box) and box["y"] >= -1 and box["y"] + min(box["height"], 40) <= page.viewport_size["height"]


def test_a_phone_gets_one_scrolling_page_and_the_paragraph_as_an_overlay(served, browser):
    context = browser.new_context(locale="zh-CN", **PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        open_ui(page, served[0])
        box = page.locator("#pc-question textarea")
        ask_button = page.locator("#pc-ask")
        # The box takes the width, Ask is sized to it, and the placeholder fits in the box.
        width, button = box.bounding_box()["width"], ask_button.bounding_box()
        assert width >= 0.55 * 390 and button["width"] <= 100 and button["x"] + button["width"] <= 390
        fits = box.evaluate("""(b) => { const c = document.createElement('canvas').getContext('2d');
            const s = getComputedStyle(b); c.font = `${s.fontSize} ${s.fontFamily}`;
            return c.measureText(b.placeholder).width <= b.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight); }""")
        assert fits, box.get_attribute("placeholder")
        # Every tab is a tab, not hidden behind an overflow menu.
        for tab in ("paragraph", "documents", "settings", "feedback"):
            assert page.locator(f"#pc-tab-{tab}-button").is_visible(), tab
        shot(page, "phone-empty")
        # The box grows with what is typed.
        height = box.bounding_box()["height"]
        box.fill("一" * 90)
        assert box.bounding_box()["height"] > 1.5 * height
        box.fill("")
        first = ask(page, ZH_QUESTION, 0)
        second = ask(page, EN_QUESTION, 1)
        # One scrolling surface: the conversation does not scroll inside the page.
        scroll = page.locator("#pc-chat .pc-scroll")
        assert scroll.evaluate("(s) => s.scrollHeight <= s.clientHeight + 1")
        assert page.evaluate("document.scrollingElement.scrollHeight > innerHeight")
        # The new answer was brought into view, and the question box stays on screen.
        assert in_view(page, second.locator(".pc-bubble"))
        assert in_view(page, box)
        shot(page, "phone-answers")
        # A chip opens its paragraph over the page; its control returns to the chip.
        citation = chip(first, DOC_2024, 142)
        citation.scroll_into_view_if_needed()
        citation.tap()
        panel = page.locator(f'#pc-panel .pc-panel[data-doc="{DOC_2024}"][data-paragraph="142"]')
        panel.wait_for()
        side = page.locator("#pc-side").bounding_box()
        assert side == pytest.approx({"x": 0, "y": 0, "width": 390, "height": 844}, abs=1)
        close = panel.locator(".pc-panel-close")
        assert close.is_visible() and close.inner_text() == "返回答案" and in_view(page, close)
        assert panel.locator(".pc-para mark").count() >= 1
        page.screenshot(path=str(ARTIFACTS / "phone-paragraph.png"))
        close.tap()
        assert not close.is_visible()
        assert page.locator("#pc-side").bounding_box()["y"] > 844 / 2 or not in_view(page, page.locator("#pc-side"))
        assert in_view(page, citation)
        assert page.evaluate("document.activeElement.classList.contains('pc-chip')")
        page.screenshot(path=str(ARTIFACTS / "phone-back-at-the-chip.png"))
        # A question asked from there is answered in view.
        third = ask(page, "缔约国对福岛处理水排海有何看法？", 2)
        assert in_view(page, third.locator(".pc-bubble"))
    finally:
        context.close()


def test_one_interface_language_per_page(served, browser):
    """The page speaks the browser's language, every label included (or ?lang=); each turn speaks
    its question's."""
    han = "[\u4e00-\u9fff]"
    context = browser.new_context(locale="en-US", viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        open_ui(page, served[0])
        chrome = ["#pc-header", "#pc-scope", "#pc-panel", "#pc-ask", "#pc-new", "#pc-tabs .tab-wrapper",
                  ".pc-empty p"]
        for selector in chrome:
            text = page.locator(selector).first.inner_text()
            assert not re.search(han, text), (selector, text)
        placeholder = page.locator("#pc-question textarea").get_attribute("placeholder")
        assert placeholder == "Ask about the documents"
        assert re.fullmatch(r"Searching all \d+ documents", page.locator("#pc-scope").inner_text())
        shot(page, "english-page")
        # A Chinese question on an English page: its turn reads in Chinese.
        turn = ask(page, ZH_QUESTION, 0)
        assert turn.locator(".pc-retrieved summary").inner_text().startswith("检索到的")
        for tab in ("documents", "settings", "feedback"):
            page.click(f"#pc-tab-{tab}-button")
            text = page.locator(f"#pc-tab-{tab}").inner_text()
            assert not re.search(han, text.replace("主席的工作文件", "").replace("主席的总结", "")), (tab, text)
        # ?lang=zh on the same English browser: the whole page in Chinese.
        page.goto(served[0] + "/?lang=zh")
        page.wait_for_selector("#pc-scope .pc-scope[data-loaded]")
        assert page.locator("#pc-ask").inner_text() == "提问"
        assert page.locator("#pc-tab-documents-button").inner_text() == "文件"
        assert re.fullmatch(r"检索全部 \d+ 个文件", page.locator("#pc-scope").inner_text())
        assert "编号段落" in page.locator("#pc-header").inner_text()
        assert page.locator("#pc-question textarea").get_attribute("placeholder") == "就这些文件提问"
        shot(page, "chinese-page-by-lang")
    finally:
        context.close()


def test_the_documents_tab_shows_the_library_and_delete_without_scrolling(page):
    page.click("#pc-tab-documents-button")
    page.locator("#pc-doc-table .pc-docs").wait_for()
    for part in ("#pc-doc-table .pc-docs", "#pc-delete"):
        box = page.locator(part).bounding_box()
        assert box["y"] + box["height"] <= 900, part
    # Gradio's "Use via API" footer is not shown to readers (the API is documented at /docs).
    assert page.locator("footer").filter(has_text="API").count() == 0
    shot(page, "documents-tab")


@axe.needs_axe
def test_the_phone_and_english_pages_pass_an_accessibility_audit(served, browser):
    for options in ({"locale": "zh-CN", **PHONE}, {"locale": "en-US", "viewport": {"width": 1400, "height": 900}}):
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        try:
            page = context.new_page()
            open_ui(page, served[0])
            turn = ask(page, ZH_QUESTION, 0)
            assert axe.violations(page) == [], options
            citation = chip(turn, DOC_2024, 142)
            citation.click()
            page.locator('#pc-panel .pc-panel[data-paragraph="142"]').wait_for()
            page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")
            assert axe.violations(page) == [], options
        finally:
            context.close()


@pytest.mark.llm
def test_an_answer_that_only_comes_close_says_so_before_its_passages(page):
    """The documents never give the number of IAEA inspectors; the server's answerability reads
    the local LLM's yes/no for this unsure question (tests/test_answerability.py)."""
    turn = ask(page, "How many IAEA inspectors are deployed worldwide?", 0)
    related = turn.locator('.pc-answer.pc-related[data-status="related"]')
    assert related.locator(".pc-lead").inner_text().startswith("The documents do not state this directly.")
    assert related.locator(".pc-chip").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "related-answer.png"), full_page=True)


def test_checked_documents_restrict_the_search(page):
    page.click("#pc-tab-documents-button")
    page.locator("#pc-doc-filter label", has_text=DOC_2007).click()
    page.wait_for_selector(f"#pc-scope :text('只检索：{DOC_2007}')")
    turn = ask(page, ZH_QUESTION, 0)
    turn.locator(".pc-retrieved summary").click()
    sources = turn.locator(".pc-src")
    assert sources.count() >= 1
    assert {sources.nth(i).get_attribute("data-doc") for i in range(sources.count())} == {DOC_2007}
    chips = turn.locator(".pc-chip")
    assert all(chips.nth(i).get_attribute("data-doc") == DOC_2007 for i in range(chips.count()))
    page.reload()  # the choice is kept, like the conversation
    page.wait_for_selector(f"#pc-scope :text('只检索：{DOC_2007}')")
    page.click("#pc-tab-documents-button")
    assert page.locator("#pc-doc-filter label", has_text=DOC_2007).locator("input").is_checked()
    page.locator("#pc-doc-filter label", has_text=DOC_2007).click()
    page.wait_for_selector("#pc-scope :text('检索全部')")


# --- rendering, without a browser ---------------------------------------------------------------

def _answer(**changes) -> dict:
    answer = {
        "question": "q", "standalone_question": "q", "answer": "a", "lead": "The documents say:",
        "sentences": [{"text": "Moss <b>grows</b> & spreads.",
                       "citations": [{"doc": "moss", "paragraph": 2, "quote": "Moss <b>grows</b>"},
                                     {"doc": "moss", "paragraph": 2, "quote": "spreads"},
                                     {"doc": "other", "paragraph": 7, "quote": "x"}]}],
        "refused": False, "removed": [], "generator": "openai",
        "retrieved": [{"doc": "moss", "paragraph": 2, "title": "<i>Moss</i>", "text": "<svg onload=alert(1)>",
                       "score": 0.5, "similarity": 0.7}],
    }
    return answer | changes


def test_rendering_escapes_everything_and_names_each_citation_by_index():
    from assistant.ui import render_conversation

    html = render_conversation([{"question": "<script>alert(1)</script>", "answer": _answer()}])
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>" not in html and "Moss &lt;b&gt;grows&lt;/b&gt; &amp; spreads." in html
    assert "<svg onload" not in html and "&lt;svg onload=alert(1)&gt;" in html
    assert 'title="&lt;i&gt;Moss&lt;/i&gt; · moss ¶2"' in html
    # one chip per cited paragraph, each naming its turn, sentence and citation
    assert html.count('class="pc-chip"') == 2
    assert 'data-turn="0" data-s="0" data-c="0" data-doc="moss" data-p="2"' in html
    assert 'data-turn="0" data-s="0" data-c="2" data-doc="other" data-p="7"' in html


def test_removals_fallbacks_and_refusals_are_shown():
    from assistant.ui import render_conversation

    removed = [{"what": "sentence", "text": "Moss is <blue>.", "reason": "not supported by moss ¶2"},
               {"what": "citation", "text": "[moss ¶9]", "reason": "¶9 was not retrieved"}]
    html = render_conversation([{"question": "q", "answer": _answer(removed=removed, fallback="nothing passed")}])
    assert "The verifier removed 1 sentence and 1 citation" in html
    assert "Moss is &lt;blue&gt;." in html and "¶9 was not retrieved" in html
    assert "nothing passed" in html
    refusal = render_conversation([{"question": "q", "answer": _answer(refused=True, lead="文件没有涉及这个问题。",
                                                                       sentences=[])}])
    assert "文件没有涉及这个问题。" in refusal and "pc-chip" not in refusal
    assert "pc-retrieved" not in refusal  # it answers from no paragraph: what was retrieved is not listed


def test_the_quote_is_marked_whitespace_aside():
    from assistant.ui import highlight, render_paragraph

    text = "Intro. Moss  <b>grows</b>\nfast & far. End."
    assert highlight(text, ["Moss <b>grows</b> fast"]) == (
        "Intro. <mark>Moss  &lt;b&gt;grows&lt;/b&gt;\nfast</mark> &amp; far. End.")
    assert highlight(text, ["not there"]) == html_escape(text)
    assert highlight(text, ["Intro.", "Intro. Moss", "End."]).count("<mark>") == 2  # overlaps merge
    panel = render_paragraph("moss", "<i>t</i>", 2, text, ["far"], cited_for="<b>s</b>", turn=3)
    assert 'data-doc="moss" data-paragraph="2" data-turn="3"' in panel and "<i>" not in panel and "<b>s" not in panel
    assert "pc-cited-for" in panel  # a sentence in other words than its quote says what it was cited for
    # ... and an extractive sentence, which is its quote, does not repeat it
    assert "pc-cited-for" not in render_paragraph("moss", "t", 2, text, ["fast & far."], cited_for="fast &  far.")


def html_escape(text: str) -> str:
    import html

    return html.escape(text, quote=True)


def test_choices_equal_to_the_configuration_are_left_unset(tmp_path):
    from assistant.settings import Settings
    from assistant.ui import choice_for, history_of, valid_turns
    from assistant.workspace import Choice

    settings = Settings(data_dir=tmp_path)
    assert choice_for(settings, "extractive", 5, "auto", "", "paracite-llm") == Choice()
    assert choice_for(settings, "openai", 8, "llm", "http://h/v1", "m") == Choice("openai", 8, "llm", "http://h/v1", "m")
    assert choice_for(settings, "extractive", 5, "auto", "http://h/v1", "m") == Choice()  # URL only for openai
    turns = valid_turns([{"question": "a", "answer": {"answer": "A", "sentences": []}}, "junk", {"question": 1}])
    assert history_of(turns) == [{"role": "user", "content": "a"}, {"role": "assistant", "content": "A"}]
    assert valid_turns(None) == [] and valid_turns({"x": 1}) == []


def test_only_a_local_server_or_the_admin_key_changes_the_corpus(tmp_path):
    from assistant.settings import Settings
    from assistant.ui import corpus_refusal

    assert corpus_refusal(Settings(data_dir=tmp_path), None) is None  # 127.0.0.1: this machine's user
    assert corpus_refusal(Settings(data_dir=tmp_path, host="::1"), None) is None  # the loopback set the Host guard uses
    public = Settings(data_dir=tmp_path, host="0.0.0.0")
    assert "PARACITE_ADMIN_KEY" in corpus_refusal(public, None)
    keyed = Settings(data_dir=tmp_path, host="0.0.0.0", admin_key="s3cret")
    assert "needs the admin key" in corpus_refusal(keyed, None)
    assert "needs the admin key" in corpus_refusal(keyed, "guess")
    assert corpus_refusal(keyed, "s3cret") is None


@pytest.mark.llm
def test_the_local_llm_chosen_in_settings_answers_with_verified_citations(page):
    """The llamacpp generator (the pulled Qwen, in the server process) picked in the Settings tab:
    its answer cites retrieved paragraphs, each chip opens its paragraph with the quote marked, and
    whatever the verifier removed or replaced is said under the answer."""
    pytest.importorskip("llama_cpp", reason="needs `make llm`")
    page.click("#pc-tab-settings-button")
    page.locator("#pc-generator label", has_text="llamacpp").click()
    page.fill("#pc-question textarea", EN_QUESTION)
    page.click("#pc-ask")
    # While it writes: the wait is announced, Ask is off, and the box stays the reader's (a question
    # sent from it now is asked after this answer).
    page.wait_for_selector("#pc-chat .pc-pending:has-text('about a minute')", timeout=60_000)
    assert page.locator("#pc-ask").is_disabled()
    assert page.locator("#pc-question textarea").is_enabled()
    turn = page.locator('#pc-chat .pc-turn[data-turn="0"]:not(.pc-pending)')
    turn.locator(".pc-actions").wait_for(timeout=300_000)  # loads the model, writes, judges each sentence
    page.wait_for_function("!document.querySelector('#pc-ask').disabled", timeout=10_000)
    assert page.locator("#pc-question textarea").is_enabled()
    assert "llamacpp" in turn.locator(".pc-retrieved summary").inner_text()
    chips = turn.locator(".pc-chip")
    assert chips.count() >= 1
    retrieved = set(turn.locator(".pc-retrieved .pc-src").all_text_contents())
    for i in range(chips.count()):
        c = chips.nth(i)
        assert f"{c.get_attribute('data-doc')} ¶{c.get_attribute('data-p')}" in retrieved
    first = chips.first
    panel = open_chip(page, first, first.get_attribute("data-doc"), int(first.get_attribute("data-p")), 0)
    assert panel.locator(".pc-para mark").count() >= 1
    answer = turn.inner_text()
    # The model's own words, or quotes with a note saying its answer was not used.
    assert not answer.startswith("The documents say") or turn.locator(".pc-fallback").count() == 1
    shot(page, "llamacpp-answer")


def test_chips_name_their_document_when_an_answer_cites_two():
    from assistant.ui import render_conversation

    def cite(doc, paragraph):
        return {"doc": doc, "paragraph": paragraph, "quote": "甲"}

    retrieved = [{"doc": DOC_2007, "paragraph": 38, "title": "主席的工作文件", "text": "甲。"},
                 {"doc": DOC_2024, "paragraph": 38, "title": "主席的总结", "text": "甲。"}]
    one = {"sentences": [{"text": "甲。", "citations": [cite(DOC_2024, 38)]}], "retrieved": retrieved, "lead": ""}
    two = {"sentences": [{"text": "甲。", "citations": [cite(DOC_2007, 38)]},
                         {"text": "乙。", "citations": [cite(DOC_2024, 38)]}], "retrieved": retrieved, "lead": ""}
    html = render_conversation([{"question": "问？", "answer": one, "feedback": None}])
    assert '">¶38</a>' in html
    html = render_conversation([{"question": "问？", "answer": two, "feedback": None}])
    assert '">主席的工作文件 ¶38</a>' in html and '">主席的总结 ¶38</a>' in html


def test_renderings_follow_their_sentences_and_a_hint_says_how_to_get_them():
    """A quote's machine translation after its sentence and chips, labelled in the turn's language;
    a rejected one is a quiet note (its reason as the title, its draft never shown); the answer's
    plain-text trailer is not shown; without a translator, the server's hint."""
    from assistant.ui import render_conversation, render_paragraph

    rendered = {"language": "en", "translator": "qwen", "text": "Iran <must> comply & report.",
                "machine_translation": True}
    rejected = {"language": "en", "translator": "qwen", "text": None, "rejected": "the number 1737 is missing",
                "draft": "DRAFT-NEVER-SHOWN", "machine_translation": True}
    sentences = [{"text": "伊朗必须遵守。", "citations": [{"doc": DOC_2007, "paragraph": 37, "quote": "伊朗必须遵守。"}],
                  "rendering": rendered},
                 {"text": "第1737号决议。", "citations": [{"doc": DOC_2007, "paragraph": 38, "quote": "第1737号决议。"}],
                  "rendering": rejected}]
    answer = {"lead": "The documents say (quoted in their original language, with machine translations):",
              "answer": "TRAILER Machine translation: Iran", "sentences": sentences, "retrieved": [],
              "translation": {"translator": "qwen", "language": "en", "shown": 1, "unavailable": 1}}
    html = render_conversation([{"question": "What about Iran?", "answer": answer}])
    assert ('<span class="pc-sentence" lang="zh">伊朗必须遵守。<a href="#" role="button" class="pc-chip"' in html)
    assert ('¶37</a></span><span class="pc-rendering" lang="en"><span class="pc-rendering-label">Machine translation'
            '</span> <span class="pc-rendering-text" lang="en">Iran &lt;must&gt; comply &amp; report.</span></span>'
            in html)
    assert ('¶38</a></span><span class="pc-rendering pc-rendering-none" lang="en" '
            'title="the number 1737 is missing">No verified translation</span>' in html)
    assert "DRAFT-NEVER-SHOWN" not in html and "TRAILER" not in html
    assert "pc-translation-hint" not in html
    # A Chinese question's turn labels them in Chinese.
    zh = render_conversation([{"question": "伊朗？", "answer": answer | {
        "sentences": [s | {"rendering": r | {"language": "zh"}} for s, r in zip(sentences, (
            rendered | {"text": "伊朗必须遵守。"}, rejected))]}}])
    assert '<span class="pc-rendering-label">机器翻译</span>' in zh and ">没有通过核实的译文</span>" in zh
    # No translator configured: the server's hint, quietly, under the answer.
    hint = "Quotes are shown in their original language: machine translation is off (PARACITE_TRANSLATOR=none)."
    plain = [{k: v for k, v in s.items() if k != "rendering"} for s in sentences]
    html = render_conversation([{"question": "What about Iran?", "answer": answer | {
        "sentences": plain, "translation": {"translator": None, "language": "en", "hint": hint}}}])
    assert f'<div class="pc-translation-hint" role="note" lang="en">{html_escape(hint)}</div>' in html
    assert "pc-rendering" not in html
    # The paragraph panel: the verbatim paragraph, then the cited quote's rendering, marked as such.
    panel = render_paragraph(DOC_2007, "t", 37, "前文。伊朗必须遵守。后文。", ["伊朗必须遵守。"], cited_for="伊朗必须遵守。",
                             turn=0, rendering=rendered)
    assert '<div class="pc-para" lang="zh">前文。<mark>伊朗必须遵守。</mark>后文。</div>' in panel
    assert ('<div class="pc-panel-rendering"><span class="pc-rendering" lang="en"><span class="pc-rendering-label">'
            'Machine translation of the highlighted quote</span>') in panel
    assert "Iran &lt;must&gt; comply &amp; report." in panel
    assert "No verified translation" in render_paragraph(DOC_2007, "t", 38, "第1737号决议。", ["第1737号决议。"],
                                                         rendering=rejected)
    assert "pc-panel-rendering" not in render_paragraph(DOC_2007, "t", 37, "甲。", ["甲。"])


def ask_api(url: str, question: str) -> dict:
    import urllib.request

    request = urllib.request.Request(f"{url}/api/ask", data=json.dumps({"question": question}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.load(response)


# Each sentence of an answer as the reader sees it: its quote (the text before its chips), the
# quote's language, and what comes right after the sentence (a rendering, a note, or nothing).
SENTENCES_SEEN = """(answer) => [...answer.querySelectorAll('.pc-sentence')].map((s) => {
  const next = s.nextElementSibling;
  const rendering = next && next.classList.contains('pc-rendering') ? next : null;
  return {
    quote: s.firstChild.textContent, lang: s.lang,
    rendering: rendering && {
      none: rendering.classList.contains('pc-rendering-none'), lang: rendering.lang,
      label: rendering.querySelector('.pc-rendering-label')?.textContent ?? null,
      text: rendering.querySelector('.pc-rendering-text')?.textContent ?? null,
      note: rendering.classList.contains('pc-rendering-none') ? rendering.textContent : null,
      title: rendering.getAttribute('title'), visible: rendering.checkVisibility(),
    },
  };
})"""


@pytest.mark.llm
def test_an_english_question_over_chinese_quotes_shows_their_machine_translations(served_with_renderings, browser):
    """With the local model as translator, each Chinese quote keeps its verbatim text (marked
    lang="zh") and is followed by its English rendering with a "Machine translation" label, or by
    a note when no rendering passed the checks, exactly as the server's /api/ask JSON says; the
    plain-text trailer of renderings is not shown; the chip's panel shows the rendering under the
    paragraph; and the page passes the accessibility audit."""
    url = served_with_renderings[0]
    truth = ask_api(url, EN_QUESTION)  # renders every quote (~5-10 s each); the UI then gets the cached answer
    assert truth["translation"]["translator"], truth.get("translation")
    assert truth["lead"] == "The documents say (quoted in their original language, with machine translations):"
    expected = []
    for sentence in truth["sentences"]:
        rendering = sentence.get("rendering")
        if rendering is None:
            expected.append({"quote": sentence["text"], "rendering": None})
        elif rendering["text"]:
            expected.append({"quote": sentence["text"], "rendering": {
                "label": "Machine translation", "text": rendering["text"], "note": None, "title": None}})
        else:
            expected.append({"quote": sentence["text"], "rendering": {
                "label": None, "text": None, "note": "No verified translation", "title": rendering["rejected"]}})
    assert any(e["rendering"] for e in expected), truth["sentences"]

    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-US")
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        open_ui(page, url)
        turn = ask(page, EN_QUESTION, 0)
        answer = turn.locator(".pc-answer")
        assert answer.locator(".pc-lead").inner_text() == truth["lead"]
        seen = answer.evaluate(SENTENCES_SEEN)
        assert [{"quote": s["quote"], "rendering": s["rendering"] and {k: s["rendering"][k] for k in (
            "label", "text", "note", "title")}} for s in seen] == expected
        for s in seen:
            assert s["lang"] == "zh"  # the verbatim Chinese quote, named as Chinese for screen readers
            if s["rendering"]:
                assert s["rendering"]["lang"] == "en" and s["rendering"]["visible"]
        assert "Machine translation:" not in answer.inner_text()  # the trailer is for plain-text clients
        assert "pc-translation-hint" not in turn.inner_html()
        # The paragraph panel: the verbatim paragraph with the quote marked, then its rendering.
        first = next(i for i, e in enumerate(expected) if e["rendering"])
        citation = truth["sentences"][first]["citations"][0]
        panel = open_chip(page, answer.locator(f'.pc-chip[data-s="{first}"]').first, citation["doc"],
                          citation["paragraph"], 0)
        assert panel.locator(".pc-para mark").first.inner_text().strip()
        if expected[first]["rendering"]["text"]:
            assert panel.locator(".pc-panel-rendering .pc-rendering-label").inner_text() == \
                "Machine translation of the highlighted quote"
            assert panel.locator(".pc-panel-rendering .pc-rendering-text").inner_text() == \
                expected[first]["rendering"]["text"]
        else:
            assert panel.locator(".pc-panel-rendering").inner_text() == "No verified translation"
        page.wait_for_function("() => document.getAnimations().every((a) => a.playState !== 'running')")
        if axe.AXE.is_file():
            assert axe.violations(page) == []
        shot(page, "english-answer-with-machine-translations")
    finally:
        context.close()
