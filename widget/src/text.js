// Pure text helpers: citation markers, answer layout, quote highlighting. No DOM here.

// The server's marker, `[npt-2024-chair-summary ¶142]` (assistant.answers.MARKER).
const MARKER = /\[([^\[\]\s¶]+) ¶(\d{1,6})\]/g;

/** Text and markers in order: {text} or {doc, paragraph}. An unfinished marker stays text. */
export function splitMarkers(text) {
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

export const paragraphKey = (doc, paragraph) => `${doc} ¶${paragraph}`;

/**
 * The final answer as the lead and its sentences, each with the text that precedes it
 * (a separator) and its citations, read off the answer text so that the layout is the
 * server's own. Null when the text does not hold the sentences in order (then the caller
 * renders the text with its markers instead). What follows the last sentence (the plain-text
 * "Machine translation: ..." trailer, for readers of the text alone) is left out: the caller
 * shows each sentence's rendering under it.
 */
export function answerLayout(answer) {
  const text = answer.answer || "";
  const sentences = answer.sentences || [];
  if (!sentences.length) return null;
  const plain = text.replace(MARKER, "");
  let cursor = 0;
  const laid = [];
  for (const s of sentences) {
    const at = plain.indexOf(s.text, cursor);
    if (at < 0) return null;
    laid.push({
      before: plain.slice(cursor, at), text: s.text, citations: uniqueCitations(s.citations || []),
      rendering: s.rendering || null,
    });
    cursor = at + s.text.length;
  }
  return laid;
}

/**
 * The language a text is written in, as a lang attribute: "zh" when it has at least as many Han
 * characters as Latin letters (assistant's mostly_han), "en" otherwise.
 */
export function textLanguage(text) {
  const han = (text.match(/\p{Script=Han}/gu) || []).length;
  const latin = (text.match(/\p{Script=Latin}/gu) || []).length;
  return han >= latin ? "zh" : "en";
}

function uniqueCitations(citations) {
  const seen = new Set();
  return citations.filter((c) => {
    const key = paragraphKey(c.doc, c.paragraph);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Where the quotes lie in a paragraph: sorted, merged [start, end) ranges. A quote matches
 * verbatim with whitespace aside, as the verifier checks it.
 */
export function quoteRanges(text, quotes) {
  const chars = [];
  const positions = [];
  for (let i = 0; i < text.length; i++) {
    if (!/\s/.test(text[i])) {
      chars.push(text[i]);
      positions.push(i);
    }
  }
  const squeezed = chars.join("");
  const ranges = [];
  for (const quote of quotes) {
    const needle = (quote || "").replace(/\s+/g, "");
    if (!needle) continue;
    let from = 0;
    for (;;) {
      const at = squeezed.indexOf(needle, from);
      if (at < 0) break;
      ranges.push([positions[at], positions[at + needle.length - 1] + 1]);
      from = at + needle.length;
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
