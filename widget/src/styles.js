// Every style lives in the shadow root. Sizes are in px (a host page's root font size must not
// scale the widget), and .root resets every inherited property, since inheritance is the one way
// a host page's CSS still reaches into a shadow tree.

export const STYLES = `
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
