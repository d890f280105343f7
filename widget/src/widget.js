// The Paracite chat widget: one script tag on any page adds a launcher and a chat panel whose
// answers cite, sentence by sentence, the numbered paragraph they come from.
//
//   <script src="https://HOST/widget.js" data-site="SITE_KEY" defer></script>
//
// It is the custom element <paracite-chat>, rendered into its own shadow root: the host page's
// CSS cannot reach it and it adds no CSS or globals to the page. Answers stream from POST
// /api/chat (server-sent events read from fetch(), since EventSource cannot POST or send the site
// header). Everything from an answer or a document reaches the page as text (textContent, text
// nodes): never as HTML.

import { createParser } from "eventsource-parser";

import { STRINGS, pickLanguage } from "./strings.js";
import { STYLES } from "./styles.js";
import { answerLayout, paragraphKey, quoteRanges, splitMarkers, textLanguage } from "./text.js";

const TAG = "paracite-chat";
const SITE_HEADER = "X-Paracite-Site";
const MAX_HISTORY_TURNS = 20; // the server's limit (assistant.answering.MAX_HISTORY_TURNS)
const MAX_HISTORY_BYTES = 48 * 1024; // under PARACITE_MAX_REQUEST_BYTES (64 KB) with the question
const MAX_QUESTION_CHARS = 1000; // assistant.followup.MAX_QUESTION_CHARS
const MAX_STORED_MESSAGES = 200;
// A conversation saved by an older widget is not restored: its answers lack the `before` and
// `spans` this one lays out and marks from.
const STORAGE_VERSION = 2;
const CONFIG = ["site", "api", "title", "color", "lang", "position", "greeting", "docs", "examples"];
const MAX_EXAMPLES = 3;
const NOT_ALLOWED = new Set(["origin_not_allowed", "site_key_required", "unknown_site"]);

// Only a classic script being run has a currentScript; read it now, it is gone later.
const script = document.currentScript;
const scriptOrigin = script && script.src ? new URL(script.src, location.href).origin : "";

/** A DOM element: props are attributes (`text` is its textContent, `on*` listeners). */
function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key === "class") el.className = value;
    else if (key === "text") el.textContent = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) if (child != null) el.append(child); // strings become text nodes
  return el;
}

function chatIcon() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("d", "M21 12a8 8 0 0 1-11.6 7.1L4 20.5l1.4-4.9A8 8 0 1 1 21 12z");
  svg.append(path);
  return svg;
}


/** A CSS colour as 8-bit sRGB, whatever syntax it was given in (hex, rgb(), hsl(), oklch()...):
 * painted on one opaque pixel and read back. Null where there is no canvas. */
function srgbOf(color) {
  const context = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
  if (!context) return null;
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, 1, 1);
  context.fillStyle = color;
  context.fillRect(0, 0, 1, 1);
  return Array.from(context.getImageData(0, 0, 1, 1).data.slice(0, 3));
}

class ParaciteChat extends HTMLElement {
  connectedCallback() {
    if (this.shadowRoot) return;
    const data = this.dataset;
    this.site = (data.site || "").trim();
    this.api = (data.api || scriptOrigin || location.origin).replace(/\/+$/, "");
    this.language = pickLanguage(data.lang);
    this.t = STRINGS[this.language];
    this.docs = (data.docs || "").split(",").map((d) => d.trim()).filter(Boolean);
    this.storageKey = `paracite-chat:${this.api}|${this.site}`;
    this.messages = [];
    this.isOpen = false;
    this.controller = null; // the answer being streamed
    this.streaming = null; // its state, for chips clicked before it is done
    this.queued = false; // a question sent while an answer was on its way: asked when it is done
    this.examples = examplesOf(data.examples);
    this.build();
    // Nothing shows until the server says this page may use the assistant (see check()).
    this.root.hidden = true;
    this.restore();
    this.check();
  }

  /** One cheap request when the page loads: is this origin allowed for this site key? If not,
   *  the launcher is shown nowhere, and the console tells the site owner why; if so, the greeting
   *  names the documents and offers the server's example questions (unless data-examples
   *  names its own). */
  async check() {
    let verdict = "unreachable";
    let welcome = {};
    try {
      const response = await fetch(`${this.api}/api/welcome?lang=${this.language}`, {
        headers: this.site ? { [SITE_HEADER]: this.site } : {}, credentials: "omit", mode: "cors", cache: "no-store",
      });
      if (response.ok) {
        verdict = "allowed";
        welcome = await response.json().catch(() => ({}));
      } else {
        const error = await response.json().then((body) => body.error || {}).catch(() => ({}));
        verdict = response.status === 403 && NOT_ALLOWED.has(error.code) ? "refused" : "allowed";
        if (verdict === "refused") this.refusedBecause = error.message;
      }
    } catch {
      // A refused origin gets no CORS headers, so the browser hides the 403 (as in ask()).
      verdict = (await this.reachable()) ? "refused" : "unreachable";
    }
    if (verdict === "refused") {
      console.warn(`Paracite: the assistant is not shown on ${location.origin}: ${this.refusedBecause
        || "this origin is not allowed for the site key"} (site key ${JSON.stringify(this.site)}). `
        + `Its owner adds the origin with \`paracite sites add ${this.site || "SITE"} --origin ${location.origin}\`.`);
      this.remove();
      return;
    }
    const docs = Array.isArray(welcome.documents) ? welcome.documents : [];
    this.titles = (this.docs.length ? docs.filter((d) => this.docs.includes(d.doc)) : docs)
      .map((d) => String(d.title || d.doc));
    if (!this.examples.length && Array.isArray(welcome.examples)) {
      this.examples = welcome.examples.map(String).slice(0, MAX_EXAMPLES);
    }
    if (!this.messages.length) this.renderLog();
    this.root.hidden = false;
    this.dispatchEvent(new CustomEvent("paracite-event", { detail: { type: "ready", data: { verdict } } }));
  }

  // --- the DOM ------------------------------------------------------------------------------

  build() {
    const t = this.t;
    const shadow = this.attachShadow({ mode: "open" });
    const title = this.dataset.title || t.title;
    const left = this.dataset.position === "bottom-left";

    this.launcher = h("button", {
      type: "button", class: "launcher", "aria-label": `${t.open}: ${title}`, title,
      "aria-expanded": "false", "aria-controls": "paracite-panel", onclick: () => this.open(),
    }, chatIcon());

    this.log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": title, tabindex: "-1" });
    this.log.addEventListener("click", (event) => {
      const chip = event.target.closest && event.target.closest(".chip");
      if (chip) this.openChip(chip);
    });

    this.view = h("div", { class: "paragraph", role: "dialog", "aria-labelledby": "paracite-paragraph-title", hidden: true });

    this.input = h("textarea", {
      rows: 1, placeholder: t.placeholder, "aria-label": t.placeholder, enterkeyhint: "send",
    });
    this.input.addEventListener("keydown", (event) => {
      // Enter sends; Shift+Enter is a new line; Enter that confirms an IME composition is not a send.
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
        event.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener("input", () => this.fitInput());
    this.sendButton = h("button", { type: "submit", class: "send", text: t.send });

    this.panel = h("section", {
      class: "panel", id: "paracite-panel", role: "dialog", "aria-label": title, hidden: true,
    },
      h("header", {},
        h("h2", { text: title }),
        h("button", { type: "button", class: "text-button", text: t.newConversation, onclick: () => this.reset() }),
        h("button", { type: "button", class: "icon-button close", "aria-label": t.close, title: t.close, text: "×",
          onclick: () => this.close() }),
      ),
      h("div", { class: "body" }, this.log, this.view),
      h("form", { onsubmit: (event) => { event.preventDefault(); this.submit(); } }, this.input, this.sendButton),
      h("div", { class: "note", text: t.sourcesNote }),
    );

    this.root = h("div", { class: `root${left ? " left" : ""}`, lang: this.language === "zh" ? "zh-CN" : "en" },
      this.launcher, this.panel);
    this.root.addEventListener("keydown", (event) => {
      if (event.key === "Tab") {
        this.keepFocusInside(event);
        return;
      }
      if (event.key !== "Escape") return;
      if (!this.view.hidden) this.closeParagraph();
      else if (this.isOpen) this.close();
      else return;
      event.stopPropagation();
    });
    shadow.append(h("style", { text: STYLES }), this.root);
    this.applyColor(this.dataset.color);
  }

  // Full screen on a phone, the panel covers the page: Tab must not wander to what is hidden
  // behind it. On a larger screen the panel sits beside the page, which stays reachable.
  keepFocusInside(event) {
    if (!this.isOpen || !window.matchMedia("(max-width: 480px)").matches) return;
    const focusable = [...this.panel.querySelectorAll("button, textarea, input, [href], [tabindex]:not([tabindex='-1'])")]
      .filter((node) => !node.disabled && !node.closest("[hidden]") && node.getClientRects().length);
    if (!focusable.length) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    const active = this.shadowRoot.activeElement;
    if (event.shiftKey && (active === first || !this.panel.contains(active))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !this.panel.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  }

  applyColor(color) {
    if (!color || !CSS.supports("color", color)) return;
    this.root.style.setProperty("--accent", color);
    this.root.style.setProperty("--accent-ink", color);
    const rgb = srgbOf(color);
    if (!rgb) return;
    // WCAG relative luminance, and contrast ratios against white (1.0) and the near black #111 (0.0056).
    const linear = rgb.map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    const luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
    // Text on the accent: white or near black, whichever contrasts more.
    const onWhite = 1.05 / (luminance + 0.05);
    const onBlack = (luminance + 0.05) / 0.0556;
    this.root.style.setProperty("--on-accent", onBlack > onWhite ? "#111111" : "#ffffff");
    // The accent as text on the white panel (chips, focus rings) needs 4.5:1: a pale brand colour
    // is darkened, keeping its hue, until it reads.
    if (onWhite < 4.5) {
      const scale = 0.16 / luminance;  // luminance 0.16: 5:1 against white, with room for rounding
      const ink = linear.map((c) => {
        const v = c * scale;
        return Math.round(255 * (v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055));
      });
      this.root.style.setProperty("--accent-ink", `rgb(${ink.join(", ")})`);
    }
  }

  fitInput() {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight + 2, 120)}px`;
  }

  open() {
    this.isOpen = true;
    this.panel.hidden = false;
    this.launcher.hidden = true;
    this.launcher.setAttribute("aria-expanded", "true");
    this.scrollToEnd();
    this.input.focus();
    this.save();
  }

  close() {
    this.closeParagraph(false);
    this.isOpen = false;
    this.panel.hidden = true;
    this.launcher.hidden = false;
    this.launcher.setAttribute("aria-expanded", "false");
    this.launcher.focus();
    this.save();
  }

  reset() {
    if (this.controller) this.controller.abort();
    this.messages = [];
    this.closeParagraph(false);
    this.save();
    this.renderLog();
    this.input.focus();
  }

  scrollToEnd() {
    this.log.scrollTop = this.log.scrollHeight;
  }

  // --- messages -----------------------------------------------------------------------------

  renderLog() {
    this.log.replaceChildren();
    this.log.append(h("div", { class: "msg assistant greeting", text: this.dataset.greeting || this.t.greeting(this.titles || []) }));
    if (!this.messages.length && this.examples.length) {
      this.log.append(h("div", { class: "examples", role: "group", "aria-label": this.t.examplesLabel },
        ...this.examples.map((question) => h("button", {
          type: "button", class: "example", text: question, onclick: () => this.askExample(question),
        }))));
    }
    this.messages.forEach((message, index) => this.log.append(this.messageNode(message, index)));
    this.scrollToEnd();
  }

  messageNode(message, index) {
    if (message.role === "user") return h("div", { class: "msg user" }, h("span", { class: "sr-only", text: `${this.t.you}: ` }), message.text);
    if (message.role === "assistant") return this.answerNode(message.answer, index);
    return h("div", { class: `msg ${message.role}`, role: message.role === "error" ? "alert" : null, text: message.text });
  }

  /** The final answer: its lead and sentences, each followed by a chip per cited paragraph. */
  answerNode(answer, index) {
    // A related answer is only the closest passages: it must not read as an answer.
    const status = answer.status || (answer.refused ? "refused" : "answered");
    const state = status === "answered" ? "" : ` ${status}`;
    const node = h("div", { class: `msg assistant${state}`, "data-index": index, "data-status": status },
      h("span", { class: "sr-only", text: `${this.t.assistant}: ` }));
    const layout = answer.refused ? null : answerLayout(answer);
    if (layout) {
      let afterBlock = false;
      if (answer.lead) node.append(h("span", { class: "lead", text: answer.lead }));
      layout.forEach((sentence, i) => {
        node.append(afterBlock ? sentence.before.replace(/^ +/, "") : sentence.before); // no indent under a rendering
        // Quotes keep their own language (a Chinese quote in an English answer): screen readers
        // read each in its own voice.
        node.append(h("span", { class: "sentence", lang: textLanguage(sentence.text), text: sentence.text }));
        for (const c of sentence.citations) node.append(this.chip(c.doc, c.paragraph, answer.titles, i));
        afterBlock = Boolean(sentence.rendering);
        if (sentence.rendering) node.append(this.renderingNode(sentence.rendering));
      });
    } else {
      this.appendMarked(node, answer.answer || "", answer.titles);
    }
    // What the verifier took out, and a writer's answer that was not used, are said plainly.
    const removed = answer.removed || [];
    const sentences = removed.filter((r) => r.what === "sentence").length;
    const citations = removed.filter((r) => r.what === "citation").length;
    if (sentences) node.append(h("small", { class: "removed", text: this.t.removed(sentences) }));
    if (citations) node.append(h("small", { class: "removed", text: this.t.removedCitations(citations) }));
    if (answer.fallback && !answer.refused) node.append(h("small", { class: "removed", text: this.t.fallback }));
    return node;
  }

  /** A quote's machine translation, labelled as one; or, when none passed the server's checks,
   *  a note saying so (the translator's rejected draft is never shown). */
  renderingNode(rendering) {
    const t = this.t;
    if (rendering.text == null) {
      return h("span", { class: "rendering rejected", title: rendering.rejected || null },
        h("span", { class: "rendering-note", text: t.noTranslation }));
    }
    return h("span", { class: "rendering", title: rendering.translator ? `${t.machineTranslation}: ${rendering.translator}` : null },
      h("span", { class: "rendering-label", text: t.machineTranslation }), " ",
      h("span", { class: "rendering-text", lang: rendering.language || textLanguage(rendering.text), text: rendering.text }));
  }

  /** Text whose citation markers become chips. */
  appendMarked(node, text, titles) {
    for (const part of splitMarkers(text)) {
      node.append(part.text != null ? part.text : this.chip(part.doc, part.paragraph, titles, null));
    }
  }

  chip(doc, paragraph, titles, sentence) {
    const title = (titles && titles[doc]) || doc;
    return h("button", {
      type: "button", class: "chip", title, "aria-label": this.t.paragraphLabel(title, paragraph),
      "data-doc": doc, "data-paragraph": paragraph, "data-sentence": sentence,
    }, `¶${paragraph}`);
  }

  history() {
    // Prior questions with their answers; a question that got no answer is left out.
    const turns = [];
    this.messages.forEach((message, i) => {
      const next = this.messages[i + 1];
      if (message.role === "user" && next && next.role === "assistant") {
        turns.push({ role: "user", content: message.text }, { role: "assistant", content: next.answer.answer || "" });
      }
    });
    const kept = turns.slice(-2 * MAX_HISTORY_TURNS);
    // The server reads at most 64 KB of JSON: long answers drop the oldest turns, a pair at a time.
    const encoder = new TextEncoder();
    while (kept.length && encoder.encode(JSON.stringify(kept)).length > MAX_HISTORY_BYTES) kept.splice(0, 2);
    return kept;
  }

  push(message, node) {
    this.messages.push(message);
    if (this.messages.length > MAX_STORED_MESSAGES) this.messages.splice(0, this.messages.length - MAX_STORED_MESSAGES);
    const fresh = node || this.messageNode(message, this.messages.length - 1);
    this.log.append(fresh);
    this.scrollToEnd();
    this.save();
    return fresh;
  }

  // --- asking -------------------------------------------------------------------------------

  askExample(question) {
    if (this.controller) return;
    this.input.value = question;
    this.submit();
  }

  submit() {
    const question = this.input.value.trim();
    if (!question) return;
    if (this.controller) {
      // Kept in the box and asked when the answer on its way is done, on a history that has it.
      this.queued = true;
      return;
    }
    const length = [...question].length; // code points, as the server counts
    if (length > MAX_QUESTION_CHARS) {
      // Said, and left in the box to shorten: a maxlength would cut a long paste without a word.
      this.push({ role: "error", text: this.t.tooLong(length, MAX_QUESTION_CHARS) });
      return;
    }
    this.input.value = "";
    this.fitInput();
    this.ask(question);
  }

  headers() {
    const headers = { "Content-Type": "application/json", Accept: "text/event-stream" };
    if (this.site) headers[SITE_HEADER] = this.site;
    return headers;
  }

  async ask(question) {
    const history = this.history();
    this.log.querySelector(".examples")?.remove(); // offered to a new conversation only
    this.push({ role: "user", text: question });
    const bubble = h("div", { class: "msg assistant pending", "aria-busy": "true", "data-index": "streaming" }, this.t.thinking);
    this.log.append(bubble);
    this.scrollToEnd();
    const controller = new AbortController();
    this.controller = controller;
    this.sendButton.disabled = true;
    const state = {
      text: "", titles: {}, paragraphs: {}, sentences: [], renderings: {}, removed: [], done: null, error: null, bubble,
    };
    this.streaming = state;
    try {
      const body = { question, history };
      if (this.docs.length) body.docs = this.docs;
      let response;
      try {
        response = await fetch(`${this.api}/api/chat`, {
          method: "POST", headers: this.headers(), body: JSON.stringify(body), signal: controller.signal,
          credentials: "omit", mode: "cors",
        });
      } catch (error) {
        if (controller.signal.aborted) return;
        // A refused origin gets no CORS headers, so the browser hides the 403 itself: if the
        // server answers a request that needs no CORS, it is up and this page is not allowed.
        this.fail(bubble, (await this.reachable()) ? this.t.notAllowed : this.t.unreachable);
        return;
      }
      if (!response.ok) {
        this.fail(bubble, await this.refusal(response));
        return;
      }
      await this.read(response, state);
      if (controller.signal.aborted) return;
      if (state.done) this.finish(state);
      else this.fail(bubble, state.error ? state.error.message || this.t.failed : this.t.interrupted);
    } catch (error) {
      if (!controller.signal.aborted) this.fail(bubble, this.t.interrupted);
    } finally {
      if (this.controller === controller) {
        this.controller = null;
        this.streaming = null;
        this.sendButton.disabled = false;
        if (this.isOpen) this.input.focus({ preventScroll: true });
        if (this.queued) {
          this.queued = false;
          this.submit();
        }
      }
      if (controller.signal.aborted) bubble.remove();
    }
  }

  async reachable() {
    try {
      await fetch(`${this.api}/healthz`, { mode: "no-cors", cache: "no-store", credentials: "omit" });
      return true;
    } catch {
      return false;
    }
  }

  async refusal(response) {
    let error = {};
    try {
      error = (await response.json()).error || {};
    } catch {
      // not JSON: the status says enough
    }
    if (response.status === 429) {
      const wait = parseInt(response.headers.get("Retry-After") || "", 10);
      return Number.isFinite(wait) ? this.t.rateLimited(wait) : error.message || this.t.failed;
    }
    if (response.status === 403 && NOT_ALLOWED.has(error.code)) return this.t.notAllowed;
    return error.message || `${this.t.failed} (HTTP ${response.status})`;
  }

  async read(response, state) {
    const parser = createParser({
      onEvent: (event) => {
        let data = null;
        try {
          data = JSON.parse(event.data);
        } catch {
          return; // not one of ours
        }
        this.onEvent(event.event, data, state);
        this.dispatchEvent(new CustomEvent("paracite-event", { bubbles: true, composed: true, detail: { type: event.event, data } }));
      },
    });
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
    parser.feed(decoder.decode());
  }

  onEvent(type, data, state) {
    if (type === "retrieved") {
      for (const r of data.retrieved || []) {
        state.titles[r.doc] = r.title;
        state.paragraphs[paragraphKey(r.doc, r.paragraph)] = { title: r.title, text: r.text };
      }
    } else if (type === "citation") {
      state.titles[data.doc] = data.title;
    } else if (type === "sentence") {
      state.sentences.push(data);
    } else if (type === "rendering") {
      // Shown under its sentence once the answer is done; until then the token text holds it.
      state.renderings[data.index] = data;
    } else if (type === "removed") {
      state.removed.push(data);
    } else if (type === "token") {
      // The text so far, its markers as chips: the pieces are final (verified) text.
      state.text += data.text || "";
      const { bubble } = state;
      bubble.classList.remove("pending");
      bubble.replaceChildren(h("span", { class: "sr-only", text: `${this.t.assistant}: ` }));
      this.appendMarked(bubble, state.text, state.titles);
      this.scrollToEnd();
    } else if (type === "done") {
      state.done = data;
    } else if (type === "error") {
      state.error = data;
    }
  }

  finish(state) {
    const done = state.done;
    const titles = { ...state.titles };
    const paragraphs = {};
    for (const r of done.retrieved || []) titles[r.doc] = r.title;
    for (const c of done.citations || []) {
      titles[c.doc] = c.title || titles[c.doc];
      const key = paragraphKey(c.doc, c.paragraph);
      const found = (done.retrieved || []).find((r) => r.doc === c.doc && r.paragraph === c.paragraph);
      if (found) paragraphs[key] = { title: found.title, text: found.text };
      else if (state.paragraphs[key]) paragraphs[key] = state.paragraphs[key];
    }
    const answer = {
      answer: done.answer || "", refused: Boolean(done.refused), status: done.status || null, lead: done.lead || "",
      sentences: (done.sentences || []).map((s, i) => (s.rendering || !state.renderings[i] ? s
        : { ...s, rendering: withoutIndex(state.renderings[i]) })),
      removed: done.removed || [], fallback: done.fallback || null, titles, paragraphs,
    };
    this.messages.push({ role: "assistant", answer });
    const node = this.answerNode(answer, this.messages.length - 1);
    const hadFocus = this.shadowRoot.activeElement && state.bubble.contains(this.shadowRoot.activeElement);
    state.bubble.replaceWith(node);
    if (hadFocus) this.input.focus();
    this.scrollToEnd();
    this.save();
  }

  fail(bubble, text) {
    bubble.remove();
    this.push({ role: "error", text });
  }

  // --- paragraphs ---------------------------------------------------------------------------

  openChip(chip) {
    const doc = chip.dataset.doc;
    const paragraph = Number(chip.dataset.paragraph);
    const holder = chip.closest(".msg");
    let answer = null;
    if (holder && holder.dataset.index === "streaming" && this.streaming) {
      answer = { sentences: this.streaming.sentences, paragraphs: this.streaming.paragraphs, titles: this.streaming.titles };
    } else if (holder) {
      const message = this.messages[Number(holder.dataset.index)];
      answer = message && message.answer;
    }
    const sentences = (answer && answer.sentences) || [];
    // The quote that this sentence cites; a chip outside a sentence shows every quote of its paragraph.
    const chosen = chip.dataset.sentence != null ? [sentences[Number(chip.dataset.sentence)]] : sentences;
    const cited = chosen.filter(Boolean).flatMap((s) =>
      (s.citations || []).filter((c) => c.doc === doc && c.paragraph === paragraph));
    const known = answer && answer.paragraphs && answer.paragraphs[paragraphKey(doc, paragraph)];
    this.returnFocus = chip;
    this.showParagraph(doc, paragraph, (answer && answer.titles && answer.titles[doc]) || doc, known, cited);
  }

  async showParagraph(doc, paragraph, title, known, cited) {
    const t = this.t;
    const heading = h("h3", { id: "paracite-paragraph-title" });
    const text = h("p", { class: "text", tabindex: "0" });
    const back = h("button", { type: "button", class: "icon-button back", "aria-label": t.back, title: t.back, text: "←",
      onclick: () => this.closeParagraph() });
    const fill = (docTitle, body) => {
      heading.replaceChildren(docTitle, h("span", { class: "meta", text: `${t.paragraphTitle(paragraph)} · ${doc}` }));
      text.replaceChildren(highlighted(body, cited));
    };
    this.view.replaceChildren(h("div", { class: "bar" }, back, heading), text);
    this.view.hidden = false;
    back.focus();
    if (known) {
      fill(known.title || title, known.text);
      return;
    }
    heading.replaceChildren(title, h("span", { class: "meta", text: t.paragraphTitle(paragraph) }));
    text.textContent = t.loading;
    try {
      const response = await fetch(`${this.api}/api/paragraphs/${encodeURIComponent(doc)}/${paragraph}`, {
        headers: this.site ? { [SITE_HEADER]: this.site } : {}, credentials: "omit",
      });
      const data = await response.json();
      if (!response.ok) throw new Error((data.error && data.error.message) || t.failed);
      fill(data.title || title, data.text || "");
    } catch (error) {
      text.textContent = error instanceof TypeError ? t.unreachable : error.message;
    }
  }

  closeParagraph(refocus = true) {
    if (this.view.hidden) return;
    this.view.hidden = true;
    this.view.replaceChildren();
    if (!refocus) return;
    const chip = this.returnFocus;
    if (chip && chip.isConnected) chip.focus();
    else this.input.focus();
  }

  // --- surviving a page navigation ------------------------------------------------------------

  save() {
    try {
      sessionStorage.setItem(this.storageKey, JSON.stringify({ v: STORAGE_VERSION, open: this.isOpen, messages: this.messages }));
    } catch {
      // storage full or disabled: the conversation lives as long as the page
    }
  }

  restore() {
    let saved = null;
    try {
      saved = JSON.parse(sessionStorage.getItem(this.storageKey) || "null");
    } catch {
      saved = null;
    }
    if (saved && saved.v === STORAGE_VERSION && Array.isArray(saved.messages)) {
      this.messages = saved.messages.filter((m) => m && typeof m === "object" && typeof m.role === "string");
      const last = this.messages[this.messages.length - 1];
      if (last && last.role === "user") this.messages.push({ role: "notice", text: this.t.interrupted });
    }
    this.renderLog();
    if (saved && saved.open) {
      this.isOpen = true;
      this.panel.hidden = false;
      this.launcher.hidden = true;
      this.launcher.setAttribute("aria-expanded", "true");
      this.scrollToEnd();
    }
  }
}

/** A rendering event's data as the rendering a sentence carries. */
function withoutIndex({ index, ...rendering }) {
  return rendering;
}

/** data-examples: questions separated by "|". */
function examplesOf(value) {
  return (value || "").split("|").map((q) => q.trim()).filter(Boolean).slice(0, MAX_EXAMPLES);
}

/** The paragraph's text with its cited parts in <mark>, built from text nodes only. */
function highlighted(text, citations) {
  const fragment = document.createDocumentFragment();
  let at = 0;
  for (const [start, end] of quoteRanges(text, citations)) {
    if (start > at) fragment.append(text.slice(at, start));
    fragment.append(h("mark", { text: text.slice(start, end) }));
    at = end;
  }
  if (at < text.length) fragment.append(text.slice(at));
  return fragment;
}

function mount() {
  // A page that placed its own <paracite-chat> configures that one instead.
  if (document.querySelector(TAG)) return;
  const element = document.createElement(TAG);
  for (const name of CONFIG) {
    const value = script.getAttribute(`data-${name}`);
    if (value != null) element.setAttribute(`data-${name}`, value);
  }
  document.body.append(element);
}

if (!customElements.get(TAG)) {
  customElements.define(TAG, ParaciteChat);
  if (script) {
    if (document.body) mount();
    else document.addEventListener("DOMContentLoaded", mount, { once: true });
  }
}
