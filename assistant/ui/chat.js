// The conversation's behaviour in the browser (Gradio runs this once, as the chat component's
// js_on_load: `element` is the component, `trigger` sends a custom event to Python, `watch` calls
// back when Python sends a new value).
const scroller = () => element.querySelector('.pc-scroll');
// One column (a phone): the page is the only scrolling surface, and the paragraph opens as an
// overlay with a control that returns to the chip (chat.css switches at the same width).
const oneColumn = () => window.matchMedia('(max-width: 799px)').matches;
let lastSig = null;
let openedFrom = null;  // the chip whose paragraph the overlay shows
const follow = () => {
  const s = scroller();
  if (!s || s.dataset.sig === lastSig) return;
  const grew = lastSig !== null;
  lastSig = s.dataset.sig;
  if (!oneColumn()) { s.scrollTop = s.scrollHeight; return; }
  // A new or growing answer: its question at the top of the screen, the answer below it.
  const turns = s.querySelectorAll('.pc-turn');
  if (grew && turns.length) turns[turns.length - 1].scrollIntoView({block: 'start'});
};
const closePanel = () => {
  if (!document.body.classList.contains('pc-panel-open')) return;
  document.body.classList.remove('pc-panel-open');
  const chip = openedFrom;
  openedFrom = null;
  if (chip && chip.isConnected) {
    chip.scrollIntoView({block: 'center'});
    chip.focus({preventScroll: true});
  }
};
element.addEventListener('click', (event) => {
  const t = event.target.closest('[data-cite],[data-src],[data-fb],[data-example]');
  if (!t || !element.contains(t)) return;
  event.preventDefault();
  event.stopPropagation();
  const d = t.dataset;
  if (d.cite !== undefined || d.src !== undefined) {
    element.querySelectorAll('.pc-active').forEach((x) => x.classList.remove('pc-active'));
    t.classList.add('pc-active');
    if (d.cite !== undefined) {
      trigger('cite', {turn: Number(d.turn), sentence: Number(d.s), citation: Number(d.c)});
    } else {
      trigger('cite', {turn: Number(d.turn), doc: d.doc, paragraph: Number(d.p)});
    }
    if (oneColumn()) {
      openedFrom = t;
      document.body.classList.add('pc-panel-open');
      document.getElementById('pc-side')?.scrollTo(0, 0);
    }
  } else if (d.fb) {
    trigger('rate', {turn: Number(d.turn), rating: d.fb});
  } else if (d.example) {
    trigger('example', {question: d.example});
  }
}, true);
// What the question box held when it was sent (Enter, or a click on Ask): the answering event
// reads it (app.py, TAKE_QUESTION), as Gradio reads the box only a moment later.
const noteSent = () => {
  const box = document.querySelector('#pc-question textarea');
  if (box) box.dataset.sent = box.value;
};
document.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && event.keyCode !== 229
      && event.target.closest && event.target.closest('#pc-question')) noteSent();
}, true);
document.addEventListener('click', (event) => {
  if (event.target.closest && event.target.closest('#pc-ask')) noteSent();
}, true);
// The overlay's close control is in the panel, outside this component.
document.addEventListener('click', (event) => {
  if (event.target.closest('[data-close]')) { event.preventDefault(); closePanel(); }
});
document.addEventListener('keydown', (event) => { if (event.key === 'Escape') closePanel(); });
window.matchMedia('(max-width: 799px)').addEventListener('change', (m) => { if (!m.matches) closePanel(); });
// The conversation is re-rendered whole on every update: disclosures the reader opened stay open.
const opened = new Set();
element.addEventListener('toggle', (event) => {
  const key = event.target.dataset && event.target.dataset.key;
  if (key) event.target.open ? opened.add(key) : opened.delete(key);
}, true);
const reopen = () => element.querySelectorAll('details[data-key]').forEach((d) => {
  if (opened.has(d.dataset.key)) d.open = true;
});
watch('value', () => { reopen(); follow(); });
follow();
