"""Renderings: a quoted sentence in the reader's language, shown beside the verbatim quote.

An English question over Chinese paragraphs is answered with Chinese quotes: they are the
evidence, and they stay (citation, panel, JSON). A `Translator` (any OpenAI-compatible server,
or the local GGUF) renders each quote into the question's language, and a `Renderer` checks the
rendering before anyone sees it, like every answer sentence:

1. it is in the reader's script: no character of the source script is left ("Some缔约国 urged…");
2. every number of the original is in it, and it adds none (a month may be a name: "11 月" is
   "November"); "from 27 to 12 December 2023" for "2023 年 11 月 27 日至 12 月 1 日" fails;
3. every term of the glossary the original holds has an accepted rendering in it (UN usage:
   《禁止核武器条约》 must be the TPNW, not "the Treaty on the Non-Proliferation of Nuclear
   Weapons"; 伊朗 must be Iran);
4. a judge says the rendering says what the original says: by default EmbeddingGemma's
   cross-lingual cosine of the two (it moves with a changed position, a negation, a dropped
   clause), or an LLM's P(yes) to "is the translation faithful?" (`prompts/rendering.*`); the
   local 1.5B model is a weaker judge here than the embedding (see RENDERING_THRESHOLDS).

A rendering that fails is not shown; the reader gets the original with a note that no verified
translation is available, and the JSON says why. Outcomes, rejections included, are cached by
(sentence, reader's language, translator), so a repeated quote costs nothing.

Deliberate simplification: two languages, Chinese and English, as everywhere in Paracite.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Protocol

import prompts
from vectorstore.errors import ParaciteError
from vectorstore.paragraphs import mostly_han

from .llm import ChatLLM, complete
from .metrics import numbers_in, reads_as

# Bumped whenever a check changes, so that cached outcomes of the old checks are not reused.
CHECKS_VERSION = 1
# The judges of a rendering that passed the checks, and the score at or above which it is shown,
# read off `benchmarks/renderings.py` on eval/renderings/pairs.jsonl (17 faithful renderings of demo
# sentences, 19 with a planted fault): the highest threshold that rejects none of the faithful.
# embedding: EmbeddingGemma's cosine of original and rendering, AUC 0.90 on the 8 faults the checks
# let through (catches 5); llm: the local Qwen's P(yes) to "is it faithful?", AUC 0.69 (catches 1).
RENDERING_THRESHOLDS = {"embedding": 0.68, "llm": 0.36}
# A draft that fails is sent back once with the reason ("the rendering leaves out 141"): a small
# model often fixes what it is told. Each attempt costs a translation.
ATTEMPTS = 2
MACHINE_TRANSLATION = {"en": "machine translation", "zh": "机器翻译"}
LANGUAGE_NAMES = {"zh": {"zh": "中文", "en": "英文"}, "en": {"zh": "Chinese", "en": "English"}}


@dataclass(frozen=True)
class Rendering:
    """A quote rendered into its reader's language, or why no rendering is shown."""

    language: str  # the reader's
    translator: str
    text: str | None  # None: no rendering passed the checks
    rejected: str | None = None  # why the draft was not shown
    draft: str | None = None  # what the translator wrote, when rejected (never shown as an answer)

    def as_json(self) -> dict:
        data = {k: v for k, v in asdict(self).items() if v is not None}
        data["text"] = self.text
        data["machine_translation"] = True
        return data


class Translator(Protocol):
    name: str

    def translate(self, text: str, source: str, target: str, terms: list[tuple[str, str]],
                  rejected: tuple[str, str] | None = None) -> str:
        """`text` (in `source`) in `target`; `terms`: (source term, target term) to use;
        `rejected`: an earlier rendering and why it was not shown, to do better."""
        ...


class LLMTranslator:
    """A chat model translates, told the glossary terms the sentence holds."""

    def __init__(self, llm: ChatLLM) -> None:
        self.llm = llm
        self.name = llm.name

    def translate(self, text: str, source: str, target: str, terms: list[tuple[str, str]],
                  rejected: tuple[str, str] | None = None) -> str:
        listed = "\n".join(f"{a} = {b}" for a, b in terms) or "-"
        messages = prompts.messages("translate", target, text=text, terms=listed)
        if rejected:  # one more try, told what was wrong (the checks' reason is in English)
            messages += [{"role": "assistant", "content": rejected[0]},
                         {"role": "user", "content": prompts.template("retranslate", target)[1].format(reason=rejected[1])}]
        reply = complete(self.llm, messages, max_tokens=min(600, 40 + 3 * len(text)))
        return clean_reply(reply)


def clean_reply(reply: str) -> str:
    """The translation out of a model's reply: its first paragraph, without a label or quotes."""
    reply = reply.strip().split("\n\n")[0].strip()
    reply = re.sub(r"^(?:English translation|Translation|中文译文|译文)\s*[:：]\s*", "", reply, flags=re.IGNORECASE)
    if len(reply) > 1 and reply[0] + reply[-1] in ('""', "“”", "''", "「」"):
        reply = reply[1:-1].strip()
    return " ".join(reply.split()) if not mostly_han(reply) else reply.replace("\n", "")


# --- the glossary ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    zh: str
    en: tuple[str, ...]  # accepted renderings; the first is the one the translator is given


class Glossary:
    """Terms a rendering must carry (prompts/terms.zh-en.tsv, plus a user's own file)."""

    def __init__(self, terms: list[Term]) -> None:
        # Longest first: 无核武器国家 is matched before the 核武器国家 inside it.
        self.terms = sorted(terms, key=lambda t: -len(t.zh))

    @classmethod
    def load(cls, extra: Path | None = None) -> Glossary:
        text = resources.files(prompts).joinpath("terms.zh-en.tsv").read_text(encoding="utf-8")
        if extra:
            text += "\n" + Path(extra).read_text(encoding="utf-8")
        terms = []
        for line in text.splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            zh, _, en = line.partition("\t")
            renderings = tuple(e.strip() for e in en.split("|") if e.strip())
            if zh.strip() and renderings:
                terms.append(Term(zh.strip(), renderings))
        return cls(terms)

    def in_text(self, text: str, language: str) -> list[Term]:
        """The terms a text holds, each once; a term inside a longer one found is not counted."""
        found = []
        if language == "zh":
            rest = text
            for term in self.terms:
                if term.zh in rest:
                    found.append(term)
                    rest = rest.replace(term.zh, "\0")
            return found
        rest = text.lower()
        for term in sorted(self.terms, key=lambda t: -max(len(e) for e in t.en)):
            for rendering in sorted(term.en, key=len, reverse=True):
                if _word_in(rendering.lower(), rest):
                    found.append(term)
                    rest = rest.replace(rendering.lower(), "\0")
                    break
        return found

    def names_of(self, text: str) -> list[set[str]]:
        """For each term an English text gives, every Chinese name the glossary has for it ("the
        IAEA": 国际原子能机构, 原子能机构: the terms that share a rendering)."""
        named = []
        for term in self.in_text(text, "en"):
            renderings = {e.lower() for e in term.en}
            named.append({other.zh for other in self.terms if renderings & {e.lower() for e in other.en}})
        return named

    def annotated(self, text: str, language: str) -> str:
        """`text` with each term it holds followed by the term in the other language, in
        brackets: "The TPNW (禁止核武器条约) entered into force". A question annotated so finds
        paragraphs in the other language that the embedding model alone ranks low (an acronym
        against the Chinese name), and gives the lexical index words it can match."""
        taken: list[tuple[int, int]] = []  # a term inside a longer one found is not annotated again
        insertions: list[tuple[int, str]] = []
        for term in self.terms:  # longest Chinese first
            if language == "zh":
                patterns, other = [re.escape(term.zh)], f"（{term.en[0]}）"
            else:
                patterns = [rf"(?<![\w-]){re.escape(e)}(?:e?s)?(?![\w-])" for e in sorted(term.en, key=len, reverse=True)]
                other = f" ({term.zh})"
            for pattern in patterns:
                found = next((m for m in re.finditer(pattern, text, re.IGNORECASE)
                              if not any(m.start() < end and start < m.end() for start, end in taken)), None)
                if found:
                    taken.append(found.span())
                    insertions.append((found.end(), other))
                    break
        for position, other in sorted(insertions, reverse=True):
            text = text[:position] + other + text[position:]
        return text

    def pairs(self, text: str, source: str) -> list[tuple[str, str]]:
        """(source term, target term) for the translator's prompt."""
        if source == "zh":
            return [(t.zh, t.en[0]) for t in self.in_text(text, "zh")]
        return [(t.en[0], t.zh) for t in self.in_text(text, "en")]


def _word_in(needle: str, haystack: str) -> bool:
    return re.search(rf"(?<![a-z]){re.escape(needle)}(?![a-z])", haystack) is not None


# --- the checks ---------------------------------------------------------------------------------

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december")
_ZH_MONTH = re.compile(r"(\d{1,2})\s*月")


_EN_MONTH = re.compile(rf"(?:\d{{1,2}}\s+)({'|'.join(m.capitalize() for m in _MONTHS)})\b"
                       rf"|\b({'|'.join(m.capitalize() for m in _MONTHS)})(?=\s+\d)")


def _months(text: str, language: str) -> set[str]:
    """The months a text names in a date, as numbers: "11 月" in Chinese, "November" next to a
    day or a year in English (so that "may require" is no month)."""
    if language == "zh":
        return {m.lstrip("0") for m in _ZH_MONTH.findall(unicodedata.normalize("NFKC", text)) if 1 <= int(m) <= 12}
    return {str(_MONTHS.index((a or b).lower()) + 1) for a, b in _EN_MONTH.findall(text)}


def chinese_numerals(text: str) -> set[str]:
    """Numbers a Chinese text writes in characters ("第十一届" is 11), which a rendering may give in digits."""
    import warnings

    import cn2an

    try:
        with warnings.catch_warnings():  # it warns on stderr about characters it cannot read ("千" alone)
            warnings.simplefilter("ignore")
            return numbers_in(cn2an.transform(text, "cn2an"))
    except Exception:  # noqa: BLE001 (cn2an fails on some mixed strings; then no extra numbers are allowed)
        return set()


def numbers_kept(original: str, rendering: str, source: str, target: str) -> str | None:
    """None when the rendering states exactly the original's numbers (months as names or numbers),
    else what is wrong."""
    wanted, given = numbers_in(original), numbers_in(rendering)
    months_wanted, months_given = _months(original, source), _months(rendering, target)
    missing = sorted(n for n in wanted - given if not (n in months_wanted and n in months_given))
    missing += sorted(m for m in months_wanted - months_given - given if m not in wanted)
    allowed = wanted | months_wanted | (chinese_numerals(original) if source == "zh" else set())
    added = sorted((given | months_given) - allowed)
    if missing:
        return f"the rendering leaves out {', '.join(missing)}"
    if added:
        return f"the rendering adds {', '.join(added)}"
    return None


def script_kept(rendering: str, target: str) -> str | None:
    if not rendering.strip():
        return "the translator returned nothing"
    if not reads_as(rendering, target):
        return "the rendering is not all in " + LANGUAGE_NAMES["en"][target]
    return None


def terms_kept(original: str, rendering: str, source: str, target: str, glossary: Glossary) -> str | None:
    """Every glossary term of the original has an accepted rendering, and the rendering names no
    term the original does not ("The Secretary-General outlined…" for what States said)."""
    lowered = rendering.lower()
    held = glossary.in_text(original, source)
    for term in held:
        accepted = term.en if source == "zh" else (term.zh,)
        if not any((a.lower() in lowered) if source == "zh" else (a in rendering) for a in accepted):
            expected = term.en[0] if source == "zh" else term.zh
            given = term.zh if source == "zh" else term.en[0]
            return f"the rendering does not name {given} as {expected}"
    for term in glossary.in_text(rendering, target):
        # The same thing under another of its names (不扩散条约 and 不扩散核武器条约 are both the NPT).
        if not any(term.zh in t.zh or t.zh in term.zh or set(term.en) & set(t.en) for t in held):
            return f"the rendering names {term.en[0] if target == 'en' else term.zh}, which the original does not"
    return None


def check(original: str, rendering: str, source: str, target: str, glossary: Glossary) -> str | None:
    """The checks that need no model: script, numbers, glossary terms. None when all pass."""
    return (script_kept(rendering, target) or numbers_kept(original, rendering, source, target)
            or terms_kept(original, rendering, source, target, glossary))


# --- the renderer ---------------------------------------------------------------------------------


class RenderingCache:
    """Outcomes by (sentence, reader's language, translator), in a SQLite file; rejections too."""

    def __init__(self, path: Path | None) -> None:
        self._db = None
        self._lock = threading.Lock()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False)
            self._db.execute("CREATE TABLE IF NOT EXISTS renderings (key TEXT PRIMARY KEY, text TEXT, "
                             "rejected TEXT, draft TEXT)")
        self._memory: dict[str, tuple] = {}

    @staticmethod
    def key(sentence: str, target: str, translator: str) -> str:
        return hashlib.sha256(f"{CHECKS_VERSION}\0{translator}\0{target}\0{sentence}".encode()).hexdigest()

    def get(self, key: str) -> tuple | None:
        with self._lock:
            if self._db is None:
                return self._memory.get(key)
            return self._db.execute("SELECT text, rejected, draft FROM renderings WHERE key = ?", (key,)).fetchone()

    def put(self, key: str, row: tuple) -> None:
        with self._lock:
            if self._db is None:  # in memory only when there is no file: a server's memory does not grow with it
                self._memory[key] = row
                return
            with self._db:
                self._db.execute("INSERT OR REPLACE INTO renderings VALUES (?, ?, ?, ?)", (key, *row))


class Renderer:
    """Renders quotes into the reader's language and shows only what passes every check."""

    def __init__(self, translator: Translator, glossary: Glossary, cache: RenderingCache,
                 faithful: Callable[[str, str, str], float] | None = None,
                 threshold: float = RENDERING_THRESHOLDS["embedding"], judge: str = "embedding") -> None:
        self.translator = translator
        self.glossary = glossary
        self.cache = cache
        self.faithful = faithful  # (original, rendering, target) -> P(faithful); None: no judge
        self.threshold = threshold
        self.judge = judge  # its name, part of the cache key with the threshold

    @property
    def name(self) -> str:
        return self.translator.name

    def render(self, sentence: str, reader: str) -> Rendering:
        key = self.cache.key(sentence, reader, f"{self.name}\0{self.judge}\0{self.threshold}")
        found = self.cache.get(key)
        if found is not None:
            return Rendering(reader, self.name, *found)
        source = "zh" if mostly_han(sentence) else "en"
        terms = self.glossary.pairs(sentence, source)
        rejected = None
        for _ in range(ATTEMPTS):
            try:
                draft = self.translator.translate(sentence, source, reader, terms, rejected)
            except ParaciteError as exc:  # the server is down, say: the quote still stands; not cached
                return Rendering(reader, self.name, None, f"the translator failed: {exc}")
            reason = self._checked(sentence, draft, source, reader)
            if reason is None:
                break
            rejected = (draft, reason)
        row = (draft, None, None) if reason is None else (None, reason, draft)
        self.cache.put(key, row)
        return Rendering(reader, self.name, *row)

    def _checked(self, sentence: str, draft: str, source: str, reader: str) -> str | None:
        """Why the draft may not be shown, or None."""
        reason = check(sentence, draft, source, reader, self.glossary)
        if reason is None and self.faithful is not None:
            score = self.faithful(sentence, draft, reader)
            if score < self.threshold:
                reason = f"the judge doubts it is faithful ({self.judge} {score:.2f} < {self.threshold:.2f})"
        return reason


def embedding_faithfulness(embedder) -> Callable[[str, str, str], float]:
    """Cosine similarity of the original and its rendering in EmbeddingGemma's space, which holds
    Chinese and English together: a changed position, a negation or a dropped clause moves it."""

    def faithful(original: str, rendering: str, target: str) -> float:
        vectors = embedder.embed_documents([original, rendering])
        return float(vectors[0] @ vectors[1])

    return faithful


def llm_faithfulness(llm: ChatLLM) -> Callable[[str, str, str], float]:
    """P(yes) of the model asked whether a rendering says what its original says."""

    def faithful(original: str, rendering: str, target: str) -> float:
        return llm.yes_probability(prompts.messages("rendering", target, original=original, rendering=rendering))

    return faithful


@cache
def default_glossary(extra: Path | None = None) -> Glossary:
    return Glossary.load(extra)
