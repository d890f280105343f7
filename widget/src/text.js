// Pure text helpers: citation markers, answer layout, quote marks. No DOM here; nothing here
// matches answer text or quotes (the server's JSON carries the layout and the spans).

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
 * The final answer's sentences as the server laid them out: each with `before` (the text between
 * it and what precedes it, after the lead) and its citations, once per paragraph. Null when there
 * are no sentences (then the caller renders the text with its markers instead).
 */
export function answerLayout(answer) {
  const sentences = answer.sentences || [];
  if (!sentences.length) return null;
  return sentences.map((s) => ({
    before: typeof s.before === "string" ? s.before : "", text: s.text, citations: uniqueCitations(s.citations || []),
    rendering: s.rendering || null,
  }));
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
 * What to mark in a paragraph: the citations' own spans ([start, end) in code points, as the
 * server found them in the paragraph as printed), sorted and merged, as UTF-16 ranges into `text`.
 * A span that no longer prints its quote (the paragraph was re-ingested since) is not marked.
 */
export function quoteRanges(text, citations) {
  const points = Array.from(text);
  const offsets = [0]; // offsets[i]: where code point i starts in the UTF-16 string
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
