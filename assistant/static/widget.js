// Paracite chat widget. Built from widget/src by `npm run build` in widget/; do not edit.
(() => {
  // node_modules/eventsource-parser/dist/errors.js
  var ParseError = class extends Error {
    constructor(message, options) {
      super(message);
      this.name = "ParseError";
      this.type = options.type;
      this.field = options.field;
      this.value = options.value;
      this.line = options.line;
    }
  };

  // node_modules/eventsource-parser/dist/parse.js
  var LF = 10;
  var CR = 13;
  var SPACE = 32;
  var MAX_FIELD_PREFIX_LENGTH = 6;
  function createParser(config) {
    if (typeof config === "function") {
      throw new TypeError("`config` must be an object, got a function instead. Did you mean `createParser({onEvent: fn})`?");
    }
    const { maxBufferSize, onComment, onError, onEvent, onId, onRetry } = config;
    const pendingFragments = [];
    let pendingFragmentsLength = 0;
    let bomPrefix = "";
    let id;
    let data = "";
    let dataLines = 0;
    let eventType;
    let terminated = false;
    let skippingLine = false;
    let skipNextLineFeed = false;
    function feed(chunk) {
      if (terminated) {
        throw new Error("Cannot feed parser: it was terminated after exceeding the configured max buffer size. Call `reset()` to resume parsing.");
      }
      if (bomPrefix !== void 0) {
        chunk = bomPrefix + chunk;
        if (chunk === "" || chunk === "ï" || chunk === "ï»") {
          bomPrefix = chunk;
          return;
        }
        bomPrefix = void 0;
        chunk = chunk.replace(/^(?:\uFEFF|\xEF\xBB\xBF)/, "");
      }
      if (skippingLine || skipNextLineFeed) {
        chunk = resumeAfterSkip(chunk);
        if (!chunk) {
          return;
        }
      }
      if (!pendingFragments.length) {
        const trailing = processLines(chunk);
        if (trailing !== "") {
          storeTrailing(trailing);
        }
        checkForBufferOverflow();
        return;
      }
      if (chunk.indexOf("\n") === -1 && chunk.indexOf("\r") === -1) {
        if (pendingFragmentsLength < MAX_FIELD_PREFIX_LENGTH) {
          const head = pendingFragments.join("") + chunk.slice(0, MAX_FIELD_PREFIX_LENGTH - pendingFragmentsLength);
          if (!shouldBufferTrailing(head)) {
            pendingFragments.length = 0;
            pendingFragmentsLength = 0;
            skippingLine = true;
            return;
          }
        }
        pendingFragments.push(chunk);
        pendingFragmentsLength += chunk.length;
        checkForBufferOverflow();
        return;
      }
      pendingFragments.push(chunk);
      const input = pendingFragments.join("");
      pendingFragments.length = 0;
      pendingFragmentsLength = 0;
      storeTrailing(processLines(input));
      checkForBufferOverflow();
    }
    function resumeAfterSkip(chunk) {
      if (chunk.length === 0) {
        return chunk;
      }
      if (skipNextLineFeed) {
        skipNextLineFeed = false;
        return chunk.charCodeAt(0) === LF ? chunk.slice(1) : chunk;
      }
      const crIndex = chunk.indexOf("\r");
      const lfIndex = chunk.indexOf("\n");
      const lineEnd = crIndex === -1 ? lfIndex : lfIndex === -1 ? crIndex : crIndex < lfIndex ? crIndex : lfIndex;
      if (lineEnd === -1) {
        return "";
      }
      if (lineEnd === chunk.length - 1 && chunk.charCodeAt(lineEnd) === CR) {
        skippingLine = false;
        skipNextLineFeed = true;
        return "";
      }
      skippingLine = false;
      return chunk.slice(lineEnd + (chunk.charCodeAt(lineEnd) === CR && chunk.charCodeAt(lineEnd + 1) === LF ? 2 : 1));
    }
    function storeTrailing(trailing) {
      if (!trailing)
        return;
      if (trailing.charCodeAt(trailing.length - 1) === CR) {
        parseLine(trailing, 0, trailing.length - 1);
        if (checkForBufferOverflow())
          return;
        skipNextLineFeed = true;
        return;
      }
      if (shouldBufferTrailing(trailing)) {
        pendingFragments.push(trailing);
        pendingFragmentsLength = trailing.length;
        return;
      }
      skippingLine = true;
    }
    function shouldBufferTrailing(trailing) {
      const firstCharCode = trailing.charCodeAt(0);
      return firstCharCode === 58 && !!onComment || firstCharCode === 100 && isPotentialField(trailing, "data") || firstCharCode === 101 && isPotentialField(trailing, "event") || firstCharCode === 105 && isPotentialField(trailing, "id") || firstCharCode === 114 && isPotentialField(trailing, "retry");
    }
    function checkForBufferOverflow() {
      if (terminated)
        return true;
      if (maxBufferSize === void 0)
        return false;
      if (pendingFragmentsLength + data.length <= maxBufferSize)
        return false;
      terminated = true;
      pendingFragments.length = 0;
      pendingFragmentsLength = 0;
      id = void 0;
      data = "";
      dataLines = 0;
      eventType = void 0;
      skippingLine = false;
      skipNextLineFeed = false;
      onError === null || onError === void 0 ? void 0 : onError(new ParseError(`Buffered data exceeded max buffer size of ${maxBufferSize} characters`, {
        type: "max-buffer-size-exceeded"
      }));
      return true;
    }
    function processLines(chunk) {
      let searchIndex = 0;
      if (chunk.indexOf("\r") === -1) {
        let lfIndex2 = chunk.indexOf("\n", searchIndex);
        while (lfIndex2 !== -1) {
          if (searchIndex === lfIndex2) {
            if (id !== void 0) {
              onId === null || onId === void 0 ? void 0 : onId(id);
            }
            if (dataLines > 0) {
              onEvent === null || onEvent === void 0 ? void 0 : onEvent({ id, event: eventType, data });
            }
            id = void 0;
            data = "";
            dataLines = 0;
            eventType = void 0;
            searchIndex = lfIndex2 + 1;
            lfIndex2 = chunk.indexOf("\n", searchIndex);
            continue;
          }
          const firstCharCode = chunk.charCodeAt(searchIndex);
          if (isDataPrefix(chunk, searchIndex, firstCharCode)) {
            const valueStart = chunk.charCodeAt(searchIndex + 5) === SPACE ? searchIndex + 6 : searchIndex + 5;
            const value = chunk.slice(valueStart, lfIndex2);
            if (dataLines === 0 && chunk.charCodeAt(lfIndex2 + 1) === LF) {
              if (id !== void 0) {
                onId === null || onId === void 0 ? void 0 : onId(id);
              }
              onEvent === null || onEvent === void 0 ? void 0 : onEvent({ id, event: eventType, data: value });
              id = void 0;
              data = "";
              eventType = void 0;
              searchIndex = lfIndex2 + 2;
              lfIndex2 = chunk.indexOf("\n", searchIndex);
              continue;
            }
            data = dataLines === 0 ? value : `${data}
${value}`;
            dataLines++;
          } else if (isEventPrefix(chunk, searchIndex, firstCharCode)) {
            eventType = chunk.slice(chunk.charCodeAt(searchIndex + 6) === SPACE ? searchIndex + 7 : searchIndex + 6, lfIndex2) || void 0;
          } else {
            parseLine(chunk, searchIndex, lfIndex2);
          }
          if (checkForBufferOverflow())
            return "";
          searchIndex = lfIndex2 + 1;
          lfIndex2 = chunk.indexOf("\n", searchIndex);
        }
        return chunk.slice(searchIndex);
      }
      let crIndex = chunk.indexOf("\r", searchIndex);
      let lfIndex = chunk.indexOf("\n", searchIndex);
      while (searchIndex < chunk.length) {
        let lineEnd = -1;
        if (crIndex !== -1 && lfIndex !== -1) {
          lineEnd = crIndex < lfIndex ? crIndex : lfIndex;
        } else if (crIndex !== -1) {
          if (crIndex === chunk.length - 1) {
            lineEnd = -1;
          } else {
            lineEnd = crIndex;
          }
        } else if (lfIndex !== -1) {
          lineEnd = lfIndex;
        }
        if (lineEnd === -1) {
          break;
        }
        parseLine(chunk, searchIndex, lineEnd);
        if (checkForBufferOverflow())
          return "";
        searchIndex = lineEnd + 1;
        if (chunk.charCodeAt(searchIndex - 1) === CR && chunk.charCodeAt(searchIndex) === LF) {
          searchIndex++;
        }
        if (crIndex !== -1 && crIndex < searchIndex) {
          crIndex = chunk.indexOf("\r", searchIndex);
        }
        if (lfIndex !== -1 && lfIndex < searchIndex) {
          lfIndex = chunk.indexOf("\n", searchIndex);
        }
      }
      return chunk.slice(searchIndex);
    }
    function parseLine(chunk, start, end) {
      if (start === end) {
        dispatchEvent();
        return;
      }
      const firstCharCode = chunk.charCodeAt(start);
      if (isDataPrefix(chunk, start, firstCharCode)) {
        const valueStart = chunk.charCodeAt(start + 5) === SPACE ? start + 6 : start + 5;
        const value2 = chunk.slice(valueStart, end);
        data = dataLines === 0 ? value2 : `${data}
${value2}`;
        dataLines++;
        return;
      }
      if (isEventPrefix(chunk, start, firstCharCode)) {
        eventType = chunk.slice(chunk.charCodeAt(start + 6) === SPACE ? start + 7 : start + 6, end) || void 0;
        return;
      }
      if (firstCharCode === 105 && chunk.charCodeAt(start + 1) === 100 && chunk.charCodeAt(start + 2) === 58) {
        const value2 = chunk.slice(chunk.charCodeAt(start + 3) === SPACE ? start + 4 : start + 3, end);
        if (!value2.includes("\0"))
          id = value2;
        return;
      }
      if (firstCharCode === 58) {
        if (onComment) {
          const line2 = chunk.slice(start, end);
          onComment(line2.slice(chunk.charCodeAt(start + 1) === SPACE ? 2 : 1));
        }
        return;
      }
      const line = chunk.slice(start, end);
      const fieldSeparatorIndex = line.indexOf(":");
      if (fieldSeparatorIndex === -1) {
        processField(line, "", line);
        return;
      }
      const field = line.slice(0, fieldSeparatorIndex);
      const offset = line.charCodeAt(fieldSeparatorIndex + 1) === SPACE ? 2 : 1;
      const value = line.slice(fieldSeparatorIndex + offset);
      processField(field, value, line);
    }
    function processField(field, value, line) {
      switch (field) {
        case "event":
          eventType = value || void 0;
          break;
        case "data":
          data = dataLines === 0 ? value : `${data}
${value}`;
          dataLines++;
          break;
        case "id":
          if (!value.includes("\0"))
            id = value;
          break;
        case "retry":
          if (/^\d+$/.test(value)) {
            onRetry === null || onRetry === void 0 ? void 0 : onRetry(parseInt(value, 10));
          } else {
            onError === null || onError === void 0 ? void 0 : onError(new ParseError(`Invalid \`retry\` value: "${value}"`, {
              type: "invalid-retry",
              value,
              line
            }));
          }
          break;
        default:
          onError === null || onError === void 0 ? void 0 : onError(new ParseError(`Unknown field "${field.length > 20 ? `${field.slice(0, 20)}…` : field}"`, { type: "unknown-field", field, value, line }));
          break;
      }
    }
    function dispatchEvent() {
      if (id !== void 0) {
        onId === null || onId === void 0 ? void 0 : onId(id);
      }
      if (dataLines > 0) {
        onEvent === null || onEvent === void 0 ? void 0 : onEvent({
          id,
          event: eventType,
          data
        });
      }
      id = void 0;
      data = "";
      dataLines = 0;
      eventType = void 0;
    }
    function reset(options = {}) {
      if (options.consume && pendingFragments.length > 0) {
        const incompleteLine = pendingFragments.join("");
        parseLine(incompleteLine, 0, incompleteLine.length);
      }
      bomPrefix = "";
      id = void 0;
      data = "";
      dataLines = 0;
      eventType = void 0;
      pendingFragments.length = 0;
      pendingFragmentsLength = 0;
      terminated = false;
      skippingLine = false;
      skipNextLineFeed = false;
    }
    return { feed, reset };
  }
  function isDataPrefix(chunk, i, firstCharCode) {
    return firstCharCode === 100 && chunk.charCodeAt(i + 1) === 97 && chunk.charCodeAt(i + 2) === 116 && chunk.charCodeAt(i + 3) === 97 && chunk.charCodeAt(i + 4) === 58;
  }
  function isEventPrefix(chunk, i, firstCharCode) {
    return firstCharCode === 101 && chunk.charCodeAt(i + 1) === 118 && chunk.charCodeAt(i + 2) === 101 && chunk.charCodeAt(i + 3) === 110 && chunk.charCodeAt(i + 4) === 116 && chunk.charCodeAt(i + 5) === 58;
  }
  function isPotentialField(line, field) {
    let i = 1;
    while (i < line.length && i < field.length) {
      if (line.charCodeAt(i) !== field.charCodeAt(i)) {
        return false;
      }
      i++;
    }
    return line.length <= field.length || line.charCodeAt(field.length) === 58;
  }

  // src/strings.js
  var STRINGS = {
    en: {
      title: "Ask the documents",
      open: "Open the assistant",
      close: "Close the assistant",
      newConversation: "New conversation",
      placeholder: "Ask a question…",
      send: "Send",
      you: "You",
      assistant: "Assistant",
      thinking: "Searching the documents…",
      back: "Back to the conversation",
      paragraphLabel: (title, n) => `${title}, paragraph ${n}`,
      paragraphTitle: (n) => `Paragraph ${n}`,
      loading: "Loading the paragraph…",
      removed: (n) => n === 1 ? "1 statement was left out: no paragraph supports it." : `${n} statements were left out: no paragraph supports them.`,
      removedCitations: (n) => n === 1 ? "1 citation was removed: its paragraph does not support the sentence." : `${n} citations were removed: their paragraphs do not support the sentences.`,
      fallback: "The writer's answer could not be used; these are quotes from the paragraphs.",
      notAllowed: "This site is not allowed to use this assistant. (Its owner must add this page's origin to the site's allowed origins.)",
      unreachable: "The assistant cannot be reached right now. Please try again later.",
      rateLimited: (s) => `Too many questions: please try again in ${s} s.`,
      interrupted: "The answer was interrupted. Please ask again.",
      tooLong: (n, max) => `The question is ${n} characters long; the limit is ${max}. Please shorten it.`,
      failed: "Something went wrong while answering.",
      sourcesNote: "Every sentence cites the paragraph it comes from: select ¶ to read it.",
      greeting: (titles) => `Hello! Ask a question about ${nameable(titles) ? named(titles, (t) => `“${t}”`, ", ", " and ") : titles.length > 1 ? `the ${titles.length} documents` : "the documents"}: every answer cites the paragraph it comes from.`,
      examplesLabel: "Example questions",
      machineTranslation: "Machine translation",
      noTranslation: "No verified translation"
    },
    zh: {
      title: "文档问答",
      open: "打开问答助手",
      close: "关闭问答助手",
      newConversation: "新对话",
      placeholder: "请输入问题…",
      send: "发送",
      you: "你",
      assistant: "助手",
      thinking: "正在检索文件…",
      back: "返回对话",
      paragraphLabel: (title, n) => `${title} 第${n}段`,
      paragraphTitle: (n) => `第${n}段`,
      loading: "正在加载段落…",
      removed: (n) => `有${n}句话因没有段落支持而被删去。`,
      removedCitations: (n) => `有${n}处引用因段落不支持该句而被删去。`,
      fallback: "未能采用生成的回答，以下是段落原文的摘录。",
      notAllowed: "本网站未获准使用此问答助手。（网站所有者需要把本页面的来源加入该站点允许的来源。）",
      unreachable: "暂时无法连接问答助手，请稍后再试。",
      rateLimited: (s) => `提问太频繁，请在 ${s} 秒后再试。`,
      interrupted: "回答被中断了，请重新提问。",
      tooLong: (n, max) => `问题有 ${n} 个字符，上限是 ${max} 个，请缩短后再问。`,
      failed: "回答时出错了。",
      sourcesNote: "每句话都注明了出处段落：点击 ¶ 查看原文。",
      greeting: (titles) => `您好！请就${nameable(titles) ? named(titles, (t) => `《${t}》`, "、", "和") : titles.length > 1 ? `这 ${titles.length} 个文件` : "文件"}提问：每个回答都注明出处段落。`,
      examplesLabel: "示例问题",
      machineTranslation: "机器翻译",
      noTranslation: "没有通过核实的译文"
    }
  };
  var NAMED_TITLES = 3;
  var TITLE_CHARS = 24;
  function nameable(titles) {
    return titles.length > 0 && titles.length <= NAMED_TITLES && titles.every((t) => [...t].length <= TITLE_CHARS);
  }
  function named(titles, quote, comma, and) {
    const shown = titles.map(quote);
    return shown.length > 1 ? `${shown.slice(0, -1).join(comma)}${and}${shown[shown.length - 1]}` : shown[0];
  }
  function pickLanguage(requested) {
    const lang = (requested || document.documentElement.lang || navigator.language || "en").toLowerCase();
    return lang.startsWith("zh") ? "zh" : "en";
  }

  // src/styles.js
  var STYLES = `
:host { all: initial; }
.root {
  all: initial;
  --accent: #1d4ed8;
  --on-accent: #ffffff;
  --accent-ink: #1d4ed8; /* the accent as text and lines on the white panel, darkened if too pale */
  --fg: #1f2328;
  --muted: #59636e;
  --bg: #ffffff;
  --soft: #f3f5f8;
  --line: #d8dee4;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans CJK SC", "Noto Sans SC",
    "PingFang SC", "Microsoft YaHei", sans-serif;
  font-size: 15px;
  font-weight: 400;
  font-style: normal;
  line-height: 1.55;
  color: var(--fg);
  letter-spacing: normal;
  text-align: left;
  text-transform: none;
  text-decoration: none;
  white-space: normal;
  word-spacing: normal;
  direction: ltr;
  visibility: visible;
  cursor: auto;
  -webkit-tap-highlight-color: transparent;
}
.root * { box-sizing: border-box; }
:where(button, textarea) { font: inherit; color: inherit; letter-spacing: inherit; }
[hidden] { display: none !important; }

.launcher {
  position: fixed; bottom: 20px; right: 20px; z-index: 2147483000;
  width: 56px; height: 56px; border-radius: 50%; border: 0; padding: 0; margin: 0;
  background: var(--accent); color: var(--on-accent);
  display: flex; align-items: center; justify-content: center;
  box-shadow: 0 4px 14px rgba(0, 0, 0, 0.25); cursor: pointer;
}
.launcher svg { width: 28px; height: 28px; fill: none; stroke: currentColor; stroke-width: 2;
  stroke-linecap: round; stroke-linejoin: round; }
.left .launcher { right: auto; left: 20px; }

.panel {
  position: fixed; bottom: 20px; right: 20px; z-index: 2147483001;
  width: 400px; height: min(640px, calc(100vh - 40px));
  display: flex; flex-direction: column; overflow: hidden;
  background: var(--bg); border: 1px solid var(--line); border-radius: 14px;
  box-shadow: 0 12px 40px rgba(0, 0, 0, 0.22);
}
.left .panel { right: auto; left: 20px; }

header {
  display: flex; align-items: center; gap: 6px; padding: 10px 10px 10px 16px;
  background: var(--accent); color: var(--on-accent); flex: none;
}
header h2 { margin: 0; flex: 1; font-size: 16px; font-weight: 600; line-height: 1.3;
  overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.icon-button, .text-button {
  border: 0; margin: 0; background: transparent; color: inherit; cursor: pointer;
  border-radius: 8px; display: inline-flex; align-items: center; justify-content: center;
}
.icon-button { width: 36px; height: 36px; padding: 0; font-size: 22px; line-height: 1; }
.text-button { height: 32px; padding: 0 10px; font-size: 13px; border: 1px solid currentColor; opacity: 0.92; }
.icon-button:hover, .text-button:hover { background: rgba(255, 255, 255, 0.16); }

.body { position: relative; flex: 1; min-height: 0; display: flex; flex-direction: column; }
.log { flex: 1; overflow-y: auto; padding: 14px; display: flex; flex-direction: column; gap: 10px;
  overscroll-behavior: contain; }
.msg { max-width: 88%; padding: 9px 12px; border-radius: 12px; overflow-wrap: anywhere; white-space: pre-wrap; }
.msg.user { align-self: flex-end; background: var(--accent); color: var(--on-accent); border-bottom-right-radius: 4px; }
.msg.assistant { align-self: flex-start; background: var(--soft); border-bottom-left-radius: 4px; }
.msg.notice { align-self: stretch; max-width: 100%; background: #fff4e5; border: 1px solid #f0c27b; color: #5c3b00; }
.msg.error { align-self: stretch; max-width: 100%; background: #fdecec; border: 1px solid #e8a3a3; color: #7a1c1c; }
.msg.refused { color: var(--muted); }
.msg.related { border-left: 3px solid #d4a017; }
.msg.related .lead { display: block; font-weight: 600; }
.msg.related .sentence { color: var(--muted); }
.msg.pending { color: var(--muted); }
.examples { display: flex; flex-direction: column; align-items: flex-start; gap: 6px; }
.example { font: inherit; font-size: 13px; text-align: left; padding: 6px 10px; border-radius: 10px; cursor: pointer;
  border: 1px solid var(--border, #d0d4dc); background: transparent; color: var(--accent-ink); max-width: 100%; }
.example:hover { background: var(--soft); }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.removed { display: block; margin-top: 6px; font-size: 12px; color: var(--muted); }
/* A quote's machine translation: under its sentence, set apart from the quote itself. */
.rendering { display: block; margin: 4px 0 8px; padding: 1px 0 1px 9px; border-left: 3px solid var(--line);
  font-style: italic; color: var(--fg); }
.rendering-label, .rendering-note { font-style: normal; font-size: 11.5px; font-weight: 600; color: var(--muted); }
.rendering.rejected { font-style: normal; }
.rendering.rejected .rendering-note { font-weight: 400; }

.chip {
  display: inline-block; vertical-align: baseline; margin: 0 3px; padding: 0 6px;
  border: 1px solid var(--accent-ink); border-radius: 999px; background: var(--bg); color: var(--accent-ink);
  font-size: 12px; line-height: 18px; font-weight: 600; cursor: pointer; white-space: nowrap;
}
.chip:hover { background: var(--accent); color: var(--on-accent); }

.paragraph {
  position: absolute; inset: 0; background: var(--bg); display: flex; flex-direction: column; z-index: 1;
}
.paragraph .bar { display: flex; align-items: center; gap: 10px; padding: 8px 10px; border-bottom: 1px solid var(--line); flex: none; }
.paragraph .bar .icon-button { color: var(--fg); }
.paragraph .bar .icon-button:hover { background: var(--soft); }
.paragraph h3 { margin: 0; font-size: 15px; font-weight: 600; flex: 1; line-height: 1.3; }
.paragraph .meta { display: block; font-size: 12px; font-weight: 400; color: var(--muted); }
.paragraph .text { flex: 1; overflow-y: auto; padding: 14px 16px; margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.paragraph mark { background: #fde68a; color: #1f2328; padding: 1px 0; border-radius: 2px; }

form { display: flex; gap: 8px; align-items: flex-end; padding: 10px; border-top: 1px solid var(--line); flex: none; margin: 0; background: var(--bg); }
textarea {
  flex: 1; resize: none; min-height: 42px; max-height: 120px; margin: 0;
  padding: 10px 12px; border: 1px solid var(--line); border-radius: 10px; background: var(--bg);
  font-size: 15px; line-height: 20px;
}
textarea::placeholder { color: var(--muted); opacity: 1; }
.send {
  flex: none; height: 42px; padding: 0 16px; border: 0; border-radius: 10px; margin: 0;
  background: var(--accent); color: var(--on-accent); font-weight: 600; cursor: pointer;
}
.send:disabled { opacity: 0.55; cursor: default; }
.note { padding: 0 12px 8px; font-size: 11.5px; color: var(--muted); background: var(--bg); flex: none; }

:focus-visible { outline: 3px solid var(--accent-ink); outline-offset: 2px; }
header :focus-visible, .msg.user :focus-visible { outline-color: var(--on-accent); }
textarea:focus-visible { outline-offset: 0; }

@media (max-width: 480px) {
  .panel, .left .panel { inset: 0; width: 100%; height: 100%; border-radius: 0; border: 0; }
  textarea { font-size: 16px; }  /* phones zoom into smaller inputs */
}
@media (prefers-reduced-motion: no-preference) {
  .panel { animation: rise 0.16s ease-out; }
  @keyframes rise { from { opacity: 0; transform: translateY(8px); } }
}
`;

  // src/text.js
  var MARKER = /\[([^\[\]\s¶]+) ¶(\d{1,6})\]/g;
  function splitMarkers(text) {
    const parts = [];
    let last = 0;
    for (const m of text.matchAll(MARKER)) {
      if (m.index > last) parts.push({ text: text.slice(last, m.index) });
      parts.push({ doc: m[1], paragraph: Number(m[2]) });
      last = m.index + m[0].length;
    }
    if (last < text.length) parts.push({ text: text.slice(last) });
    return parts;
  }
  var paragraphKey = (doc, paragraph) => `${doc} ¶${paragraph}`;
  function answerLayout(answer) {
    const sentences = answer.sentences || [];
    if (!sentences.length) return null;
    return sentences.map((s) => ({
      before: typeof s.before === "string" ? s.before : "",
      text: s.text,
      citations: uniqueCitations(s.citations || []),
      rendering: s.rendering || null
    }));
  }
  function textLanguage(text) {
    const han = (text.match(/\p{Script=Han}/gu) || []).length;
    const latin = (text.match(/\p{Script=Latin}/gu) || []).length;
    return han >= latin ? "zh" : "en";
  }
  function uniqueCitations(citations) {
    const seen = /* @__PURE__ */ new Set();
    return citations.filter((c) => {
      const key = paragraphKey(c.doc, c.paragraph);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
  function quoteRanges(text, citations) {
    const points = Array.from(text);
    const offsets = [0];
    for (const point of points) offsets.push(offsets[offsets.length - 1] + point.length);
    const squash = (value) => (value || "").replace(/\s+/g, "");
    const ranges = [];
    for (const citation of citations) {
      for (const [start, end] of citation.spans || []) {
        if (!(start >= 0 && start < end && end <= points.length)) continue;
        if (squash(points.slice(start, end).join("")) !== squash(citation.quote)) continue;
        ranges.push([offsets[start], offsets[end]]);
      }
    }
    ranges.sort((a, b) => a[0] - b[0]);
    const merged = [];
    for (const r of ranges) {
      const prev = merged[merged.length - 1];
      if (prev && r[0] <= prev[1]) prev[1] = Math.max(prev[1], r[1]);
      else merged.push([...r]);
    }
    return merged;
  }

  // src/widget.js
  var TAG = "paracite-chat";
  var SITE_HEADER = "X-Paracite-Site";
  var MAX_HISTORY_TURNS = 20;
  var MAX_HISTORY_BYTES = 48 * 1024;
  var MAX_QUESTION_CHARS = 1e3;
  var MAX_STORED_MESSAGES = 200;
  var STORAGE_VERSION = 2;
  var CONFIG = ["site", "api", "title", "color", "lang", "position", "greeting", "docs", "examples"];
  var MAX_EXAMPLES = 3;
  var NOT_ALLOWED = /* @__PURE__ */ new Set(["origin_not_allowed", "site_key_required", "unknown_site"]);
  var script = document.currentScript;
  var scriptOrigin = script && script.src ? new URL(script.src, location.href).origin : "";
  function h(tag, props = {}, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (value == null || value === false) continue;
      if (key === "class") el.className = value;
      else if (key === "text") el.textContent = value;
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children) if (child != null) el.append(child);
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
  function srgbOf(color) {
    const context = document.createElement("canvas").getContext("2d", { willReadFrequently: true });
    if (!context) return null;
    context.fillStyle = "#ffffff";
    context.fillRect(0, 0, 1, 1);
    context.fillStyle = color;
    context.fillRect(0, 0, 1, 1);
    return Array.from(context.getImageData(0, 0, 1, 1).data.slice(0, 3));
  }
  var ParaciteChat = class extends HTMLElement {
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
      this.controller = null;
      this.streaming = null;
      this.queued = false;
      this.examples = examplesOf(data.examples);
      this.build();
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
          headers: this.site ? { [SITE_HEADER]: this.site } : {},
          credentials: "omit",
          mode: "cors",
          cache: "no-store"
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
        verdict = await this.reachable() ? "refused" : "unreachable";
      }
      if (verdict === "refused") {
        console.warn(`Paracite: the assistant is not shown on ${location.origin}: ${this.refusedBecause || "this origin is not allowed for the site key"} (site key ${JSON.stringify(this.site)}). Its owner adds the origin with \`paracite sites add ${this.site || "SITE"} --origin ${location.origin}\`.`);
        this.remove();
        return;
      }
      const docs = Array.isArray(welcome.documents) ? welcome.documents : [];
      this.titles = (this.docs.length ? docs.filter((d) => this.docs.includes(d.doc)) : docs).map((d) => String(d.title || d.doc));
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
        type: "button",
        class: "launcher",
        "aria-label": `${t.open}: ${title}`,
        title,
        "aria-expanded": "false",
        "aria-controls": "paracite-panel",
        onclick: () => this.open()
      }, chatIcon());
      this.log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": title, tabindex: "-1" });
      this.log.addEventListener("click", (event) => {
        const chip = event.target.closest && event.target.closest(".chip");
        if (chip) this.openChip(chip);
      });
      this.view = h("div", { class: "paragraph", role: "dialog", "aria-labelledby": "paracite-paragraph-title", hidden: true });
      this.input = h("textarea", {
        rows: 1,
        placeholder: t.placeholder,
        "aria-label": t.placeholder,
        enterkeyhint: "send"
      });
      this.input.addEventListener("keydown", (event) => {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) {
          event.preventDefault();
          this.submit();
        }
      });
      this.input.addEventListener("input", () => this.fitInput());
      this.sendButton = h("button", { type: "submit", class: "send", text: t.send });
      this.panel = h(
        "section",
        {
          class: "panel",
          id: "paracite-panel",
          role: "dialog",
          "aria-label": title,
          hidden: true
        },
        h(
          "header",
          {},
          h("h2", { text: title }),
          h("button", { type: "button", class: "text-button", text: t.newConversation, onclick: () => this.reset() }),
          h("button", {
            type: "button",
            class: "icon-button close",
            "aria-label": t.close,
            title: t.close,
            text: "×",
            onclick: () => this.close()
          })
        ),
        h("div", { class: "body" }, this.log, this.view),
        h("form", { onsubmit: (event) => {
          event.preventDefault();
          this.submit();
        } }, this.input, this.sendButton),
        h("div", { class: "note", text: t.sourcesNote })
      );
      this.root = h(
        "div",
        { class: `root${left ? " left" : ""}`, lang: this.language === "zh" ? "zh-CN" : "en" },
        this.launcher,
        this.panel
      );
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
      const focusable = [...this.panel.querySelectorAll("button, textarea, input, [href], [tabindex]:not([tabindex='-1'])")].filter((node) => !node.disabled && !node.closest("[hidden]") && node.getClientRects().length);
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
      const linear = rgb.map((v) => {
        const c = Number(v) / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      const luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
      const onWhite = 1.05 / (luminance + 0.05);
      const onBlack = (luminance + 0.05) / 0.0556;
      this.root.style.setProperty("--on-accent", onBlack > onWhite ? "#111111" : "#ffffff");
      if (onWhite < 4.5) {
        const scale = 0.16 / luminance;
        const ink = linear.map((c) => {
          const v = c * scale;
          return Math.round(255 * (v <= 31308e-7 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055));
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
        this.log.append(h(
          "div",
          { class: "examples", role: "group", "aria-label": this.t.examplesLabel },
          ...this.examples.map((question) => h("button", {
            type: "button",
            class: "example",
            text: question,
            onclick: () => this.askExample(question)
          }))
        ));
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
      const status = answer.status || (answer.refused ? "refused" : "answered");
      const state = status === "answered" ? "" : ` ${status}`;
      const node = h(
        "div",
        { class: `msg assistant${state}`, "data-index": index, "data-status": status },
        h("span", { class: "sr-only", text: `${this.t.assistant}: ` })
      );
      const layout = answer.refused ? null : answerLayout(answer);
      if (layout) {
        let afterBlock = false;
        if (answer.lead) node.append(h("span", { class: "lead", text: answer.lead }));
        layout.forEach((sentence, i) => {
          node.append(afterBlock ? sentence.before.replace(/^ +/, "") : sentence.before);
          node.append(h("span", { class: "sentence", lang: textLanguage(sentence.text), text: sentence.text }));
          for (const c of sentence.citations) node.append(this.chip(c.doc, c.paragraph, answer.titles, i));
          afterBlock = Boolean(sentence.rendering);
          if (sentence.rendering) node.append(this.renderingNode(sentence.rendering));
        });
      } else {
        this.appendMarked(node, answer.answer || "", answer.titles);
      }
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
        return h(
          "span",
          { class: "rendering rejected", title: rendering.rejected || null },
          h("span", { class: "rendering-note", text: t.noTranslation })
        );
      }
      return h(
        "span",
        { class: "rendering", title: rendering.translator ? `${t.machineTranslation}: ${rendering.translator}` : null },
        h("span", { class: "rendering-label", text: t.machineTranslation }),
        " ",
        h("span", { class: "rendering-text", lang: rendering.language || textLanguage(rendering.text), text: rendering.text })
      );
    }
    /** Text whose citation markers become chips. */
    appendMarked(node, text, titles) {
      for (const part of splitMarkers(text)) {
        node.append(part.text != null ? part.text : this.chip(part.doc, part.paragraph, titles, null));
      }
    }
    chip(doc, paragraph, titles, sentence) {
      const title = titles && titles[doc] || doc;
      return h("button", {
        type: "button",
        class: "chip",
        title,
        "aria-label": this.t.paragraphLabel(title, paragraph),
        "data-doc": doc,
        "data-paragraph": paragraph,
        "data-sentence": sentence
      }, `¶${paragraph}`);
    }
    history() {
      const turns = [];
      this.messages.forEach((message, i) => {
        const next = this.messages[i + 1];
        if (message.role === "user" && next && next.role === "assistant") {
          turns.push({ role: "user", content: message.text }, { role: "assistant", content: next.answer.answer || "" });
        }
      });
      const kept = turns.slice(-2 * MAX_HISTORY_TURNS);
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
        this.queued = true;
        return;
      }
      const length = [...question].length;
      if (length > MAX_QUESTION_CHARS) {
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
      this.log.querySelector(".examples")?.remove();
      this.push({ role: "user", text: question });
      const bubble = h("div", { class: "msg assistant pending", "aria-busy": "true", "data-index": "streaming" }, this.t.thinking);
      this.log.append(bubble);
      this.scrollToEnd();
      const controller = new AbortController();
      this.controller = controller;
      this.sendButton.disabled = true;
      const state = {
        text: "",
        titles: {},
        paragraphs: {},
        sentences: [],
        renderings: {},
        removed: [],
        done: null,
        error: null,
        bubble
      };
      this.streaming = state;
      try {
        const body = { question, history };
        if (this.docs.length) body.docs = this.docs;
        let response;
        try {
          response = await fetch(`${this.api}/api/chat`, {
            method: "POST",
            headers: this.headers(),
            body: JSON.stringify(body),
            signal: controller.signal,
            credentials: "omit",
            mode: "cors"
          });
        } catch (error) {
          if (controller.signal.aborted) return;
          this.fail(bubble, await this.reachable() ? this.t.notAllowed : this.t.unreachable);
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
            return;
          }
          this.onEvent(event.event, data, state);
          this.dispatchEvent(new CustomEvent("paracite-event", { bubbles: true, composed: true, detail: { type: event.event, data } }));
        }
      });
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      for (; ; ) {
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
        state.renderings[data.index] = data;
      } else if (type === "removed") {
        state.removed.push(data);
      } else if (type === "token") {
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
        answer: done.answer || "",
        refused: Boolean(done.refused),
        status: done.status || null,
        lead: done.lead || "",
        sentences: (done.sentences || []).map((s, i) => s.rendering || !state.renderings[i] ? s : { ...s, rendering: withoutIndex(state.renderings[i]) }),
        removed: done.removed || [],
        fallback: done.fallback || null,
        titles,
        paragraphs
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
      const sentences = answer && answer.sentences || [];
      const chosen = chip.dataset.sentence != null ? [sentences[Number(chip.dataset.sentence)]] : sentences;
      const cited = chosen.filter(Boolean).flatMap((s) => (s.citations || []).filter((c) => c.doc === doc && c.paragraph === paragraph));
      const known = answer && answer.paragraphs && answer.paragraphs[paragraphKey(doc, paragraph)];
      this.returnFocus = chip;
      this.showParagraph(doc, paragraph, answer && answer.titles && answer.titles[doc] || doc, known, cited);
    }
    async showParagraph(doc, paragraph, title, known, cited) {
      const t = this.t;
      const heading = h("h3", { id: "paracite-paragraph-title" });
      const text = h("p", { class: "text", tabindex: "0" });
      const back = h("button", {
        type: "button",
        class: "icon-button back",
        "aria-label": t.back,
        title: t.back,
        text: "←",
        onclick: () => this.closeParagraph()
      });
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
          headers: this.site ? { [SITE_HEADER]: this.site } : {},
          credentials: "omit"
        });
        const data = await response.json();
        if (!response.ok) throw new Error(data.error && data.error.message || t.failed);
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
  };
  function withoutIndex({ index, ...rendering }) {
    return rendering;
  }
  function examplesOf(value) {
    return (value || "").split("|").map((q) => q.trim()).filter(Boolean).slice(0, MAX_EXAMPLES);
  }
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
})();
