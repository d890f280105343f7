"""The chat widget in a real browser, on real host pages, against the real `paracite serve`.

Host pages come from their own static HTTP servers, so the widget runs cross-origin as it does on
a customer's site: origin B is a registered site, origin C is not. Each test gets a fresh browser
context (its own sessionStorage). Screenshots go to test-artifacts/widget/.
"""

from __future__ import annotations

import functools
import json
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from vectorstore.paragraphs import mostly_han

from . import axe
from .conftest import DEMO_FILES, DOC_2007, DOC_2024, ROOT
from .servers import free_port, running

pytestmark = pytest.mark.slow

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts" / "widget"
SITE = "widget-test"
DEMO_DOCS = (DOC_2007, DOC_2024)
ANSWER_TIMEOUT = 60_000  # ms; the first answer loads the model
QUESTION = "2024年缔约国对扎波罗热核电厂提出了什么要求？"
XSS_DOC = (
    '1. 关于蓝鲸保护区的规定：<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2"> '
    "蓝鲸保护区设在北冰洋。\n\n2. 其他内容……\n"
)
HOSTILE_CSS = """
* { color: red !important; font-size: 40px; }
button { display: inline; width: 10px !important; height: 10px; background: lime; border: 9px dashed blue; }
div, section, form { background: black; padding: 30px; margin: 20px; }
textarea { display: none; }
p { line-height: 4; }
"""
# Records each server event the widget handled, with what the page showed at that moment.
EVENT_RECORDER = """
window.__events = [];
document.addEventListener('paracite-event', (e) => {
  const host = document.querySelector('paracite-chat');
  const streaming = host && host.shadowRoot.querySelector('.msg[data-index="streaming"]');
  window.__events.push({type: e.detail.type, shown: streaming ? streaming.textContent : null,
                        chips: streaming ? streaming.querySelectorAll('.chip').length : 0});
});
"""


# A document that prints marker-shaped text (as tests/test_api.py's).
INJECTED_DOC = "injected-notes"
INJECTED_TEXT = ("1. 蓝鲸保护区设在北冰洋，由海洋委员会管理，详见[npt-2024-chair-summary ¶999]和[2024-summary ¶7]。\n\n"
                 "2. 保护区每年开放三个月供科学考察。\n")
INJECTED_QUESTION = "海洋委员会管理的蓝鲸保护区在哪里？"


def page_html(title: str, script: str, extra_head: str = "", body: str = "") -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>{extra_head}</head>
<body><h1>{title}</h1><p>A page of a site that embeds the Paracite widget. <a href="page2.html">Next page</a></p>
{body}{script}</body></html>"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def static_server(directory: Path) -> tuple[http.server.ThreadingHTTPServer, int]:
    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(QuietHandler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, port


@pytest.fixture(scope="module")
def servers(tmp_path_factory, settings):
    """`paracite serve` on port A with the demo corpus and an XSS document; host pages on B and C."""
    tmp = tmp_path_factory.mktemp("widget")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARACITE_")}
    env |= {
        "PARACITE_DATA_DIR": str(tmp / "data"),
        "PARACITE_CACHE_DIR": str(settings.cache_dir),
        "PARACITE_GENERATOR": "extractive",
        "PARACITE_RATE_LIMIT_IP": "600/minute",
        # No renderings here (the default, auto, would load the local LLM for every English
        # question): the renderer has its own server below.
        "PARACITE_TRANSLATOR": "none",
    }
    xss = tmp / "xss-test.txt"
    xss.write_text(XSS_DOC, encoding="utf-8")
    injected = tmp / f"{INJECTED_DOC}.txt"
    injected.write_text(INJECTED_TEXT, encoding="utf-8")
    paracite = [sys.executable, "-m", "assistant"]
    subprocess.run([*paracite, "ingest", *map(str, DEMO_FILES), str(xss), str(injected)], env=env, check=True,
                   capture_output=True)

    pages = tmp / "pages"
    pages.mkdir()
    site_b, port_b = static_server(pages)
    site_c, port_c = static_server(pages)
    subprocess.run([*paracite, "sites", "add", SITE, "--origin", f"http://127.0.0.1:{port_b}"],
                   env=env, check=True, capture_output=True)

    port_a = free_port()
    api = f"http://127.0.0.1:{port_a}"
    script = f'<script src="{api}/widget.js" data-site="{SITE}" defer></script>'
    zh_script = (f'<script src="{api}/widget.js" data-site="{SITE}" data-lang="zh" data-title="文件助手" '
                 f'data-greeting="您好！请就文件提问。" data-color="#0f766e" defer></script>')
    (pages / "index.html").write_text(page_html("Host page", zh_script), encoding="utf-8")
    (pages / "page2.html").write_text(page_html("Host page 2", zh_script), encoding="utf-8")
    (pages / "en.html").write_text(page_html("English host page", script), encoding="utf-8")
    (pages / "plain.html").write_text(page_html("Host page", ""), encoding="utf-8")
    (pages / "left.html").write_text(page_html("Host page", script.replace(
        " defer", ' data-position="bottom-left" data-color="#fde047" data-title="Yellow" defer')), encoding="utf-8")
    (pages / "pale-oklch.html").write_text(page_html("Host page", script.replace(
        " defer", ' data-color="oklch(0.93 0.12 95)" defer')), encoding="utf-8")
    (pages / "hostile.html").write_text(
        page_html("Hostile host page", script, f"<style>{HOSTILE_CSS}</style>"), encoding="utf-8")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    command = [*paracite, "serve", "--port", str(port_a)]
    try:
        with running(command, f"{api}/healthz", tmp / "serve.log", timeout=180, env=env):
            yield {"api": api, "b": f"http://127.0.0.1:{port_b}", "c": f"http://127.0.0.1:{port_c}", "pages": pages}
    finally:
        site_b.shutdown()
        site_c.shutdown()


@pytest.fixture(scope="module")
def browser():
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def context(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 760})
    context.add_init_script(EVENT_RECORDER)
    yield context
    context.close()


def ask(page, question: str) -> None:
    page.locator("paracite-chat textarea").fill(question)
    page.locator("paracite-chat textarea").press("Enter")


def final_answer(page):
    """The last finished answer (a streaming one has data-index="streaming")."""
    answer = page.locator('paracite-chat .msg.assistant[data-index]:not([data-index="streaming"])').last
    answer.wait_for(timeout=ANSWER_TIMEOUT)
    return answer


def shadow_focus(page) -> str:
    """The class of the focused element inside the widget, or the light DOM's focused tag."""
    return page.evaluate("""() => {
        const host = document.querySelector('paracite-chat');
        const inner = host && host.shadowRoot.activeElement;
        return inner ? (inner.className || inner.tagName.toLowerCase()) : document.activeElement.tagName.toLowerCase();
    }""")


def test_streams_an_answer_with_chips_and_opens_the_paragraph(servers, context):
    page = context.new_page()
    responses = []
    page.on("response", lambda r: responses.append(r) if r.url.endswith("/api/chat") else None)
    page.goto(f"{servers['b']}/index.html")
    page.locator("paracite-chat .launcher").click()
    panel = page.locator("paracite-chat .panel")
    assert panel.is_visible()
    assert panel.locator("h2").text_content() == "文件助手"
    assert panel.locator(".greeting").text_content() == "您好！请就文件提问。"
    assert shadow_focus(page) == "textarea"

    ask(page, QUESTION)
    answer = final_answer(page)
    chip = answer.locator(".chip", has_text="¶142").first
    chip.wait_for()
    assert chip.get_attribute("title") == "主席的总结"
    assert "扎波罗热核电厂" in answer.text_content()
    assert "[npt-2024-chair-summary" not in answer.text_content()  # markers are chips, not text

    # The answer streamed: the response was an event stream, and token events were rendered
    # (with their chips) before the done event arrived.
    assert responses and responses[0].headers["content-type"].startswith("text/event-stream")
    events = page.evaluate("window.__events")
    types = [e["type"] for e in events]
    assert types[0] == "standalone" and types[-1] == "done" and "retrieved" in types and "sentence" in types
    tokens = [e for e in events[: types.index("done")] if e["type"] == "token"]
    assert len(tokens) >= 2
    assert tokens[0]["shown"] and "¶142" in tokens[-1]["shown"] and tokens[-1]["chips"] >= 1
    page.screenshot(path=ARTIFACTS / "1-answer.png")

    chip.click()
    view = page.locator("paracite-chat .paragraph")
    view.wait_for()
    assert "主席的总结" in view.locator("h3").text_content() and "第142段" in view.locator("h3").text_content()
    mark = view.locator("mark").first
    assert mark.is_visible() and "扎波罗热核电厂" in mark.text_content()
    assert mark.text_content() in view.locator(".text").text_content()
    assert shadow_focus(page) == "icon-button back"
    page.screenshot(path=ARTIFACTS / "1-paragraph.png")

    page.keyboard.press("Escape")  # closes the paragraph, back to the chip
    assert view.is_hidden() and panel.is_visible()
    assert shadow_focus(page) == "chip"


def test_the_conversation_survives_a_navigation(servers, context):
    page = context.new_page()
    page.goto(f"{servers['b']}/index.html")
    page.locator("paracite-chat .launcher").click()
    ask(page, QUESTION)
    final_answer(page).locator(".chip", has_text="¶142").first.wait_for()

    page.goto(f"{servers['b']}/page2.html")
    panel = page.locator("paracite-chat .panel")
    panel.wait_for()  # it was open, so it opens again (once the server has said this page may use it)
    assert page.locator("paracite-chat .msg.user").text_content().endswith(QUESTION)
    chip = page.locator("paracite-chat .msg.assistant .chip", has_text="¶142").first
    chip.click()
    assert "扎波罗热核电厂" in page.locator("paracite-chat .paragraph mark").first.text_content()
    page.screenshot(path=ARTIFACTS / "2-after-navigation.png")
    page.keyboard.press("Escape")

    # A follow-up sends the conversation so far as its history.
    with page.expect_request(lambda r: r.url.endswith("/api/chat")) as request:
        ask(page, "第二句说了什么？")
    body = request.value.post_data_json
    assert request.value.headers["x-paracite-site"] == SITE
    assert [t["role"] for t in body["history"]] == ["user", "assistant"]
    assert body["history"][0]["content"] == QUESTION and "¶142]" in body["history"][1]["content"]
    final_answer(page)
    assert page.locator("paracite-chat .msg.assistant[data-index]").count() == 2

    # "New conversation" clears it, here and on the next page.
    page.locator("paracite-chat .text-button").click()
    assert page.locator("paracite-chat .msg.user").count() == 0
    page.reload()
    page.locator("paracite-chat .greeting").wait_for()  # the panel was open: it opens again
    assert page.locator("paracite-chat .msg.user").count() == 0


def test_an_origin_that_is_not_a_site_shows_no_launcher_and_tells_the_console_why(servers, context):
    """The widget asks the server once when it loads; on a page the site key does not cover it
    shows nothing (a launcher that opens a useless panel would look like it works), and the
    console says what the site owner must do."""
    page = context.new_page()
    messages = []
    page.on("console", lambda m: messages.append((m.type, m.text)))
    page.goto(f"{servers['c']}/index.html")
    page.wait_for_function("() => !document.querySelector('paracite-chat')", timeout=ANSWER_TIMEOUT)
    warnings = [text for kind, text in messages if kind == "warning" and text.startswith("Paracite:")]
    assert len(warnings) == 1, messages
    assert servers["c"] in warnings[0] and f"paracite sites add {SITE} --origin {servers['c']}" in warnings[0]
    assert page.locator("paracite-chat").count() == 0
    page.screenshot(path=ARTIFACTS / "3-not-registered.png")
    # A listed origin with a mistyped key: the server's own reason reaches the console.
    (servers["pages"] / "wrong-key.html").write_text(page_html("Host page", (
        f'<script src="{servers["api"]}/widget.js" data-site="no-such-site" defer></script>')), encoding="utf-8")
    messages.clear()
    page.goto(f"{servers['b']}/wrong-key.html")
    page.wait_for_function("() => !document.querySelector('paracite-chat')", timeout=ANSWER_TIMEOUT)
    assert any("no site has the key 'no-such-site'" in text for _, text in messages), messages


def test_it_opens_with_a_greeting_and_example_questions_that_answer(servers, context):
    page = context.new_page()
    page.goto(f"{servers['b']}/en.html")
    page.locator("paracite-chat .launcher").click()
    greeting = page.locator("paracite-chat .greeting")
    # Four documents, one titled by its long opening words: counted, not named.
    assert greeting.text_content() == ("Hello! Ask a question about the 4 documents: every answer cites the "
                                       "paragraph it comes from.")
    examples = page.locator("paracite-chat .example")
    assert 2 <= examples.count() <= 3
    assert examples.first.text_content() == "What did the 2007 working paper say about Iran?"  # its language first
    page.screenshot(path=ARTIFACTS / "10-greeting.png")
    examples.first.click()
    answer = final_answer(page)
    assert answer.get_attribute("data-status") == "answered" and answer.locator(".chip").count() >= 1
    assert page.locator("paracite-chat .example").count() == 0  # offered to a new conversation only
    assert shadow_focus(page) == "textarea"
    # The site's own examples (data-examples) replace the server's.
    (servers["pages"] / "examples.html").write_text(page_html("Host page", (
        f'<script src="{servers["api"]}/widget.js" data-site="{SITE}" data-lang="zh" '
        f'data-examples="缔约国对福岛处理水排海有何看法？|{QUESTION}" data-docs="{",".join(DEMO_DOCS)}" '
        'defer></script>')), encoding="utf-8")
    page = context.new_page()  # a new tab: a new conversation
    page.goto(f"{servers['b']}/examples.html")
    page.locator("paracite-chat .launcher").click()
    assert page.locator("paracite-chat .example").all_text_contents() == ["缔约国对福岛处理水排海有何看法？", QUESTION]
    # The documents it answers from, named by their titles.
    assert page.locator("paracite-chat .greeting").text_content() == "您好！请就《主席的工作文件》和《主席的总结》提问：每个回答都注明出处段落。"


def test_a_question_sent_during_an_answer_is_asked_after_it(servers, context):
    page = context.new_page()
    page.goto(f"{servers['b']}/index.html")
    page.locator("paracite-chat .launcher").click()
    box = page.locator("paracite-chat textarea")
    ask(page, QUESTION)
    box.press_sequentially("缔约国对福岛处理水排海有何看法？", delay=5)
    box.press("Enter")
    page.locator('paracite-chat .msg.assistant[data-index="3"]').wait_for(timeout=ANSWER_TIMEOUT)
    users = page.locator("paracite-chat .msg.user").all_text_contents()
    assert [u.split(": ", 1)[-1] for u in users] == [QUESTION, "缔约国对福岛处理水排海有何看法？"]
    assert box.input_value() == "" and shadow_focus(page) == "textarea"
    # Typed and not sent: left in the box.
    ask(page, QUESTION)
    box.press_sequentially("还有", delay=5)
    page.locator('paracite-chat .msg.assistant[data-index="5"]').wait_for(timeout=ANSWER_TIMEOUT)
    assert box.input_value() == "还有" and shadow_focus(page) == "textarea"
    page.screenshot(path=ARTIFACTS / "11-typed-during-an-answer.png")


def test_document_text_is_shown_as_text_never_as_html(servers, context):
    page = context.new_page()
    page.goto(f"{servers['b']}/index.html")
    page.locator("paracite-chat .launcher").click()
    ask(page, "蓝鲸保护区设在哪里？")
    answer = final_answer(page)
    assert '<img src=x onerror="window.__pwned=2">' in answer.text_content()
    assert "<script>window.__pwned=1</script>" in answer.text_content()
    answer.locator(".chip", has_text="¶1").first.click()
    view = page.locator("paracite-chat .paragraph")
    assert "<img src=x onerror" in view.locator(".text").text_content()
    assert "<script>" in view.locator("mark").first.text_content()
    page.screenshot(path=ARTIFACTS / "4-xss-as-text.png")
    page.wait_for_timeout(300)  # time for an onerror to have fired, had an <img> been made
    assert page.evaluate("typeof window.__pwned") == "undefined"
    counts = page.evaluate("""() => {
        const root = document.querySelector('paracite-chat').shadowRoot;
        return [root.querySelectorAll('img, script').length, document.querySelectorAll('img').length];
    }""")
    assert counts == [0, 0]


def test_the_demo_page_embeds_it_same_origin_without_a_key(servers, context):
    page = context.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r) if r.url.endswith("/api/chat") else None)
    page.goto(f"{servers['api']}/widget-demo")
    page.locator("paracite-chat .launcher").click()
    ask(page, QUESTION)
    final_answer(page).locator(".chip", has_text="¶142").first.wait_for()
    assert "x-paracite-site" not in requests[0].headers
    page.screenshot(path=ARTIFACTS / "0-demo-page.png")


def test_a_question_the_documents_do_not_answer_is_refused_plainly(servers, context):
    page = context.new_page()
    page.goto(f"{servers['b']}/index.html")
    page.locator("paracite-chat .launcher").click()
    ask(page, "如何烤制法式面包？")
    answer = final_answer(page)
    assert "refused" in answer.get_attribute("class")
    assert answer.text_content().endswith("文件没有涉及这个问题。")
    assert answer.locator(".chip").count() == 0


@pytest.mark.llm
def test_an_answer_that_only_comes_close_is_marked_so(servers, context):
    page = context.new_page()
    page.goto(f"{servers['b']}/index.html")
    page.locator("paracite-chat .launcher").click()
    ask(page, "How many IAEA inspectors are deployed worldwide?")
    answer = final_answer(page)
    assert "related" in answer.get_attribute("class") and answer.get_attribute("data-status") == "related"
    assert answer.locator(".lead").text_content().startswith("The documents do not state this directly.")
    assert answer.locator(".chip").count() >= 1


def test_marker_shaped_document_text_gets_no_chip(servers, context):
    """A paragraph that prints "[npt-2024-chair-summary ¶999]" showed a chip for a paragraph that
    does not exist; it is text now, in fullwidth brackets, and only the real citation is a chip."""
    page = context.new_page()
    page.goto(f"{servers['b']}/index.html")
    page.locator("paracite-chat .launcher").click()
    ask(page, INJECTED_QUESTION)
    answer = final_answer(page)
    chips = answer.locator(".chip")
    assert chips.count() >= 1
    assert all("999" not in chips.nth(i).text_content() for i in range(chips.count()))
    assert "［npt-2024-chair-summary ¶999］" in answer.text_content()


def test_position_and_colour(servers, context):
    page = context.new_page()
    page.goto(f"{servers['b']}/left.html")
    launcher = page.locator("paracite-chat .launcher")
    assert launcher.bounding_box()["x"] == 20
    # A light accent gets dark text on it.
    assert launcher.evaluate("e => [getComputedStyle(e).backgroundColor, getComputedStyle(e).color]") == [
        "rgb(253, 224, 71)", "rgb(17, 17, 17)"]
    launcher.click()
    assert page.locator("paracite-chat .panel").bounding_box()["x"] == 20
    assert page.locator("paracite-chat h2").text_content() == "Yellow"


def test_phone_sized_viewport(servers, browser):
    # reduced motion: the panel's rise animation would shift it by a fraction of a pixel when the
    # machine is slow enough for the measurement to catch it mid-way
    context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True,
                                  device_scale_factor=2, reduced_motion="reduce")
    try:
        page = context.new_page()
        page.goto(f"{servers['b']}/index.html")
        page.locator("paracite-chat .launcher").tap()
        ask(page, QUESTION)
        final_answer(page).locator(".chip").first.wait_for()
        panel = page.locator("paracite-chat .panel").bounding_box()
        assert panel == pytest.approx({"x": 0, "y": 0, "width": 375, "height": 667}, abs=0.5)
        for part in ("textarea", ".send", ".close"):
            box = page.locator(f"paracite-chat {part}").bounding_box()
            assert box and box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= 375
            assert box["y"] + box["height"] <= 667 and box["height"] >= 30, part
        page.screenshot(path=ARTIFACTS / "5-phone.png")
        # The full-screen panel keeps Tab inside it: the page behind is covered.
        page.locator("paracite-chat textarea").focus()
        inside = "e => e.shadowRoot.querySelector('.panel').contains(e.shadowRoot.activeElement)"
        for step in ("Tab",) * 12 + ("Shift+Tab",) * 12:
            page.keyboard.press(step)
            assert page.locator("paracite-chat").evaluate(inside), step
        page.locator("paracite-chat .chip").first.tap()
        assert page.locator("paracite-chat .paragraph").bounding_box()["width"] == 375
        page.screenshot(path=ARTIFACTS / "5-phone-paragraph.png")
    finally:
        context.close()


def test_a_hostile_host_stylesheet_does_not_break_it(servers, context):
    page = context.new_page()
    page.goto(f"{servers['b']}/hostile.html")
    assert page.locator("h1").evaluate("e => getComputedStyle(e).color") == "rgb(255, 0, 0)"  # the CSS is live
    launcher = page.locator("paracite-chat .launcher")
    launcher.wait_for()
    assert launcher.bounding_box()["width"] == 56
    launcher.click()
    ask(page, QUESTION)
    answer = final_answer(page)
    answer.locator(".chip").first.wait_for()
    styles = answer.evaluate("e => { const s = getComputedStyle(e); return [s.color, s.fontSize]; }")
    assert styles[0] != "rgb(255, 0, 0)" and styles[1] == "15px"
    textarea = page.locator("paracite-chat textarea")
    assert textarea.is_visible() and textarea.evaluate("e => getComputedStyle(e).fontSize") == "15px"
    assert page.locator("paracite-chat .panel").bounding_box()["width"] == 400
    page.screenshot(path=ARTIFACTS / "6-hostile-css.png")


def test_it_adds_nothing_to_the_page_but_its_element(servers, context):
    page = context.new_page()
    globals_of = "() => Object.getOwnPropertyNames(window).sort()"
    page.goto(f"{servers['b']}/plain.html")
    before = set(page.evaluate(globals_of))
    page.goto(f"{servers['b']}/en.html")
    page.locator("paracite-chat .launcher").wait_for()
    assert set(page.evaluate(globals_of)) - before == set()
    assert page.evaluate("document.styleSheets.length") == 0
    assert page.evaluate("document.querySelectorAll('paracite-chat').length") == 1
    assert page.evaluate("document.querySelector('paracite-chat').shadowRoot.mode") == "open"


def test_keyboard_only(servers, context):
    page = context.new_page()
    page.goto(f"{servers['b']}/en.html")
    page.locator("paracite-chat .launcher").wait_for()
    for _ in range(5):  # past the page's own link
        page.keyboard.press("Tab")
        if shadow_focus(page) == "launcher":
            break
    assert shadow_focus(page) == "launcher"
    assert page.locator("paracite-chat .launcher").get_attribute("aria-label").startswith("Open the assistant")
    page.keyboard.press("Enter")
    assert page.locator("paracite-chat .panel").is_visible()
    assert shadow_focus(page) == "textarea"
    page.keyboard.type(QUESTION)
    page.keyboard.press("Enter")
    final_answer(page).locator(".chip").first.wait_for()
    assert page.locator("paracite-chat .log").get_attribute("aria-live") == "polite"
    assert shadow_focus(page) == "textarea"
    page.keyboard.press("Shift+Tab")  # back from the input: the last chip of the answer
    assert shadow_focus(page) == "chip"
    page.keyboard.press("Enter")
    assert page.locator("paracite-chat .paragraph").is_visible()
    page.screenshot(path=ARTIFACTS / "7-keyboard-paragraph.png")
    page.keyboard.press("Escape")
    assert page.locator("paracite-chat .paragraph").is_hidden() and shadow_focus(page) == "chip"
    page.keyboard.press("Escape")
    assert page.locator("paracite-chat .panel").is_hidden()
    assert shadow_focus(page) == "launcher"


def test_rate_limit_and_bad_question_messages(servers, context):
    """The server's 4xx bodies as the widget shows them (answers stubbed: no budget is spent)."""
    page = context.new_page()
    cors = {"Access-Control-Allow-Origin": servers["b"], "Access-Control-Expose-Headers": "Retry-After",
            "Content-Type": "application/json"}
    replies = [
        (429, {"Retry-After": "17"}, '{"error": {"code": "rate_limited", "message": "too many questions; try again in 17 s"}}'),
        (400, {}, '{"error": {"code": "invalid_input", "message": "the question is 1200 characters long; the limit is 1000"}}'),
    ]

    def reply(route):
        if route.request.method == "OPTIONS":
            route.fulfill(status=204, headers=cors | {"Access-Control-Allow-Headers": "Content-Type, X-Paracite-Site",
                                                      "Access-Control-Allow-Methods": "POST"})
            return
        posts.append(route.request.post_data_json["question"])
        status, headers, body = replies[len(posts) - 1] if len(posts) <= len(replies) else replies[-1]
        route.fulfill(status=status, headers=cors | headers, body=body)

    posts = []
    page.route("**/api/chat", reply)
    page.goto(f"{servers['b']}/en.html")
    page.locator("paracite-chat .launcher").click()
    ask(page, "anything")
    error = page.locator("paracite-chat .msg.error").last
    error.wait_for()
    assert error.text_content() == "Too many questions: please try again in 17 s."
    ask(page, "anything again")
    page.locator("paracite-chat .msg.error").nth(1).wait_for()
    assert "the limit is 1000" in page.locator("paracite-chat .msg.error").nth(1).text_content()
    # Longer than the limit: said at once, nothing sent, and the text kept whole to shorten
    long_question = "What does the summary say? " * 40
    ask(page, long_question)
    page.locator("paracite-chat .msg.error").nth(2).wait_for()
    assert page.locator("paracite-chat .msg.error").nth(2).text_content() == (
        f"The question is {len(long_question.strip())} characters long; the limit is 1000. Please shorten it.")
    assert page.locator("paracite-chat textarea").input_value() == long_question
    assert posts == ["anything", "anything again"]  # the long one was never sent
    page.screenshot(path=ARTIFACTS / "8-errors.png")


def test_removals_and_a_fallback_are_said_plainly(servers, context):
    """What the verifier removed from an LLM's answer, and an LLM answer replaced by quotes, as the
    widget shows them. No LLM runs in the widget tests: a real stream from the server is replayed
    with a removal and a fallback added to its `done` event (stubbed)."""
    import httpx

    real = httpx.post(f"{servers['api']}/api/chat", json={"question": QUESTION}, timeout=120).text
    events = [block for block in real.replace("\r\n", "\n").split("\n\n") if block.strip()]
    done_at = next(i for i, block in enumerate(events) if block.startswith("event: done"))
    done = json.loads(events[done_at].split("data: ", 1)[1])
    done["removed"] = [
        {"what": "sentence", "text": "The plant was returned in 2023.", "reason": "not supported"},
        {"what": "citation", "text": "[npt-2024-chair-summary ¶141]", "reason": "¶141 does not support it"},
    ]
    done["fallback"] = "the generator found no answer in the paragraphs"
    events[done_at] = "event: done\ndata: " + json.dumps(done, ensure_ascii=False)
    cors = {"Access-Control-Allow-Origin": servers["b"]}

    def reply(route):
        if route.request.method == "OPTIONS":
            route.fulfill(status=204, headers=cors | {"Access-Control-Allow-Headers": "Content-Type, X-Paracite-Site",
                                                      "Access-Control-Allow-Methods": "POST"})
            return
        route.fulfill(status=200, headers=cors | {"Content-Type": "text/event-stream"}, body="\n\n".join(events) + "\n\n")

    page = context.new_page()
    page.route("**/api/chat", reply)
    page.goto(f"{servers['b']}/index.html")
    page.locator("paracite-chat .launcher").click()
    ask(page, QUESTION)
    answer = final_answer(page)
    notes = answer.locator(".removed").all_text_contents()
    assert notes == ["有1句话因没有段落支持而被删去。", "有1处引用因段落不支持该句而被删去。", "未能采用生成的回答，以下是段落原文的摘录。"]
    assert answer.locator(".chip", has_text="¶142").count() >= 1  # the answer itself is intact
    page.screenshot(path=ARTIFACTS / "9-removals.png")


@axe.needs_axe
@pytest.mark.parametrize("page_name", ["index.html", "left.html", "pale-oklch.html"])
def test_the_widget_passes_an_accessibility_audit(servers, context, page_name):
    """axe-core, WCAG 2.1 AA, inside the widget's shadow root (the host page is not ours): closed,
    open with an answer, and showing a paragraph; with a dark colour, a pale hex one and a pale
    oklch() one."""
    page = context.new_page()
    page.emulate_media(reduced_motion="reduce")  # no panel animation to catch half-way
    page.goto(f"{servers['b']}/{page_name}")
    page.locator("paracite-chat .launcher").wait_for()
    assert axe.violations(page, "paracite-chat") == []
    page.locator("paracite-chat .launcher").click()
    ask(page, QUESTION)
    final_answer(page).locator(".chip").first.wait_for()
    assert axe.violations(page, "paracite-chat") == []
    final_answer(page).locator(".chip").first.click()
    page.locator("paracite-chat .paragraph mark").first.wait_for()
    assert axe.violations(page, "paracite-chat") == []


RENDERED_QUESTION = "What did the 2007 working paper say about Iran?"
RENDERING_TIMEOUT = 600  # s; the LLM loads, then renders each quote (5-10 s each on two cores)


@pytest.fixture(scope="module")
def rendering_server(tmp_path_factory, settings):
    """`paracite serve` with the demo corpus and the local LLM rendering foreign quotes; the
    widget on its own /widget-demo page (an English page, same origin)."""
    tmp = tmp_path_factory.mktemp("widget-renderings")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARACITE_")}
    env |= {
        "PARACITE_DATA_DIR": str(tmp / "data"),
        "PARACITE_CACHE_DIR": str(settings.cache_dir),  # renderings.sqlite: a second run is quick
        "PARACITE_GENERATOR": "extractive",
        "PARACITE_TRANSLATOR": "llamacpp",
        "PARACITE_RATE_LIMIT_IP": "600/minute",
        "OMP_WAIT_POLICY": "PASSIVE",  # llama.cpp's idle OpenMP threads would spin on the cores
    }
    paracite = [sys.executable, "-m", "assistant"]
    subprocess.run([*paracite, "ingest", *map(str, DEMO_FILES)], env=env, check=True, capture_output=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    api = f"http://127.0.0.1:{free_port()}"
    command = [*paracite, "serve", "--port", api.rsplit(":", 1)[1]]
    with running(command, f"{api}/healthz", tmp / "serve.log", timeout=180, env=env):
        yield api


SHOWN_RENDERINGS = """answer => [...answer.querySelectorAll('.sentence')].map((sentence) => {
    let node = sentence.nextElementSibling;
    while (node && node.classList.contains('chip')) node = node.nextElementSibling;
    const rendering = node && node.classList.contains('rendering') ? node : null;
    const part = (name) => rendering && rendering.querySelector(name);
    return {
        text: sentence.textContent, lang: sentence.lang,
        rendering: rendering && {
            label: part('.rendering-label') && part('.rendering-label').textContent,
            text: part('.rendering-text') && part('.rendering-text').textContent,
            lang: part('.rendering-text') && part('.rendering-text').lang,
            note: part('.rendering-note') && part('.rendering-note').textContent,
            title: rendering.title,
            visible: rendering.getClientRects().length > 0,
        },
    };
})"""


@pytest.mark.llm
def test_machine_translations_of_quotes_are_shown_under_them(rendering_server, context):
    """An English question over the Chinese corpus: each quote is shown verbatim, in Chinese and
    marked so, and under it the server's rendering with its label, or a note that none passed the
    checks, exactly as /api/ask says; the plain-text trailer of the answer is not shown again."""
    import httpx

    truth = httpx.post(f"{rendering_server}/api/ask", json={"question": RENDERED_QUESTION},
                       timeout=RENDERING_TIMEOUT).json()
    assert truth["status"] == "answered" and truth["translation"]["translator"], truth
    rendered = [s for s in truth["sentences"] if s.get("rendering")]
    assert rendered, truth["sentences"]

    page = context.new_page()
    page.emulate_media(reduced_motion="reduce")  # for the audit below
    page.goto(f"{rendering_server}/widget-demo")
    page.locator("paracite-chat .launcher").click()
    ask(page, RENDERED_QUESTION)
    answer = page.locator('paracite-chat .msg.assistant[data-index]:not([data-index="streaming"])').last
    answer.wait_for(timeout=RENDERING_TIMEOUT * 1000)
    answer.locator(".chip").first.wait_for()

    assert answer.locator(".lead").text_content() == truth["lead"]
    shown = answer.evaluate(SHOWN_RENDERINGS)
    assert [s["text"] for s in shown] == [s["text"] for s in truth["sentences"]]  # verbatim, in order
    for sentence, on_page in zip(truth["sentences"], shown):
        assert on_page["lang"] == ("zh" if mostly_han(sentence["text"]) else "en")
        rendering = sentence.get("rendering")
        if rendering is None:
            assert on_page["rendering"] is None
            continue
        assert on_page["rendering"] and on_page["rendering"]["visible"], on_page
        if rendering["text"] is not None:
            assert on_page["rendering"]["label"] == "Machine translation"
            assert on_page["rendering"]["text"] == rendering["text"]
            assert on_page["rendering"]["lang"] == rendering["language"] == "en"
            assert on_page["rendering"]["note"] is None
        else:  # no rendering passed the checks: said so, and the rejected draft is not shown
            assert on_page["rendering"]["note"] == "No verified translation"
            assert on_page["rendering"]["text"] is None and on_page["rendering"]["label"] is None
            assert on_page["rendering"]["title"] == rendering.get("rejected", "")
            if rendering.get("draft"):
                assert rendering["draft"] not in answer.text_content()
    # The answer text's trailer ("Machine translation: ...[doc ¶N]") is not shown a second time.
    text = answer.text_content()
    assert "Machine translation:" not in text and "(no verified translation)" not in text
    for sentence in rendered:
        if sentence["rendering"]["text"]:
            assert text.count(sentence["rendering"]["text"]) == 1
    page.screenshot(path=ARTIFACTS / "12-machine-translations.png")
    if axe.AXE.is_file():
        assert axe.violations(page, "paracite-chat") == []

    # A rendering that failed its checks (the real stream replayed, its renderings rejected):
    # a note says so, with the reason as its title, and the translator's draft is not shown.
    real = httpx.post(f"{rendering_server}/api/chat", json={"question": RENDERED_QUESTION},
                      timeout=RENDERING_TIMEOUT).text
    events = [block for block in real.replace("\r\n", "\n").split("\n\n") if block.strip()]
    rejection = {"text": None, "rejected": "the number 1737 is missing", "draft": "A DRAFT NOT TO BE SHOWN"}
    for i, block in enumerate(events):
        kind, data = block.split("\n", 1)
        if kind in ("event: done", "event: rendering"):
            data = json.loads(data.split("data: ", 1)[1])
            for target in data.get("sentences", [data]):
                if kind == "event: rendering" or target.get("rendering"):
                    (target if kind == "event: rendering" else target["rendering"]).update(rejection)
            events[i] = f"{kind}\ndata: " + json.dumps(data, ensure_ascii=False)
    page.route("**/api/chat", lambda route: route.fulfill(
        status=200, headers={"Content-Type": "text/event-stream"}, body="\n\n".join(events) + "\n\n"))
    ask(page, RENDERED_QUESTION)
    page.locator('paracite-chat .msg.assistant[data-index="3"]').wait_for(timeout=ANSWER_TIMEOUT)
    shown = page.locator('paracite-chat .msg.assistant[data-index="3"]').evaluate(SHOWN_RENDERINGS)
    assert [s["text"] for s in shown] == [s["text"] for s in truth["sentences"]]
    for sentence, on_page in zip(truth["sentences"], shown):
        if sentence.get("rendering"):
            assert on_page["rendering"]["note"] == "No verified translation" and on_page["rendering"]["text"] is None
            assert on_page["rendering"]["title"] == rejection["rejected"]
    assert rejection["draft"] not in page.locator("paracite-chat .log").text_content()
    page.screenshot(path=ARTIFACTS / "12-machine-translation-rejected.png")


NEEDS_NODE_MODULES = pytest.mark.skipif(
    not shutil.which("node") or not (ROOT / "widget" / "node_modules").is_dir(), reason="needs node and `npm ci` in widget/")
OPENAI_PAGE_SCRIPT = """
import OpenAI from "openai";
window.askWithOpenAI = async (baseURL, site, question) => {
  const client = new OpenAI({ baseURL, apiKey: "unused", dangerouslyAllowBrowser: true, maxRetries: 0,
                              defaultHeaders: { "X-Paracite-Site": site } });
  try {
    const reply = await client.chat.completions.create({ model: "paracite", messages: [{ role: "user", content: question }] });
    return { content: reply.choices[0].message.content, citations: reply.citations };
  } catch (error) {
    return { error: String(error) };
  }
};
"""


@NEEDS_NODE_MODULES
def test_the_openai_sdk_works_from_a_listed_sites_page(servers, context, tmp_path):
    """The official OpenAI JS SDK (a dev dependency in widget/), bundled into a page: its preflight
    asks for Authorization and its own x-stainless-* headers, and a listed site gets answers."""
    entry = tmp_path / "openai-page.mjs"
    entry.write_text(OPENAI_PAGE_SCRIPT, encoding="utf-8")
    bundle = servers["pages"] / "openai-client.js"
    build = (f"require('esbuild').buildSync({{entryPoints: [{str(entry)!r}], bundle: true, format: 'iife', "
             f"platform: 'browser', outfile: {str(bundle)!r}, nodePaths: ['node_modules'], logLevel: 'error'}})")
    subprocess.run(["node", "-e", build], cwd=ROOT / "widget", check=True)
    (servers["pages"] / "openai.html").write_text(
        page_html("A page with the OpenAI SDK", '<script src="openai-client.js"></script>'), encoding="utf-8")

    sent = []
    for origin, expect_answer in ((servers["b"], True), (servers["c"], False)):
        page = context.new_page()
        page.on("request", lambda r: sent.append(r.headers) if r.url.endswith("/chat/completions") else None)
        page.goto(f"{origin}/openai.html")
        reply = page.evaluate("([api, site, q]) => window.askWithOpenAI(api, site, q)",
                              [f"{servers['api']}/v1", SITE, QUESTION])
        if expect_answer:
            assert "¶142]" in reply["content"], reply
            assert {"doc": "npt-2024-chair-summary", "paragraph": 142} in [
                {"doc": c["doc"], "paragraph": c["paragraph"]} for c in reply["citations"]]
        else:  # not a listed origin: the browser is not allowed to read anything
            assert "error" in reply and "content" not in reply
    # Headers that need a preflight's consent: the browser sent them, so the preflight allowed them.
    assert "authorization" in sent[0] and any(h.startswith("x-stainless") for h in sent[0])


@NEEDS_NODE_MODULES
def test_the_committed_build_is_up_to_date():
    result = subprocess.run(["node", "build.mjs", "--check"], cwd=ROOT / "widget", capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(not shutil.which("node"), reason="needs node")
def test_the_widget_marks_the_spans_the_server_found_even_past_astral_characters():
    """Spans are code points (Python's offsets); JavaScript strings count UTF-16 units, so a
    character outside the BMP (𠀀, CJK extension B) before a quote shifts them by one."""
    from vectorstore.quotes import spans

    text = "前文𠀀。伊朗 必须遵守。后文伊朗必须遵守。"
    quote = "伊朗必须遵守。"
    cited = [{"quote": quote, "spans": spans(quote, text)}, {"quote": "别的", "spans": [[0, 2]]}]
    script = ('import { quoteRanges } from "./src/text.js";'
              f"const text = {json.dumps(text)};"
              f"console.log(JSON.stringify(quoteRanges(text, {json.dumps(cited)}).map(([a, b]) => text.slice(a, b))));")
    result = subprocess.run(["node", "--input-type=module", "-e", script], cwd=ROOT / "widget",
                            capture_output=True, text=True, check=True)
    # Both places that print the quote, whitespace and all; a span that no longer prints its quote is not marked.
    assert json.loads(result.stdout) == ["伊朗 必须遵守。", "伊朗必须遵守。"]
