"""The States a question names, in English or Chinese: to tell a question about a State the
documents never name ("德国对核共享安排有何看法？", "What did Germany say about nuclear sharing?")
from one they answer.

The names are ISO 3166's (pycountry), in English and in the Chinese of its zh_CN translation:
short and official names ("Germany", "Federal Republic of Germany"; 德国, 德意志联邦共和国). A
State is known to the documents when they print any of its names (UN usage is covered where it is
ISO's long form: 朝鲜民主主义人民共和国) or its one-character name beside another State's (法德).
Deliberately simple: no aliases beyond ISO's ("Russia", "Turkey" are not found; the glossary covers
the first), so a State left unfound is treated as before, never as unknown.
"""

from __future__ import annotations

import functools
import gettext
import re
from dataclasses import dataclass

from vectorstore.lexical import quiet_jieba


# The one-character names Chinese gives some States beside another's ("法德联合核裁军核查演练", the
# French-German exercise; "美俄", "中美"): a State so named is printed, though none of ISO's names is.
_ABBREVIATIONS = {"US": "美", "CN": "中", "RU": "俄", "GB": "英", "FR": "法", "DE": "德", "JP": "日", "KR": "韩",
                  "KP": "朝", "IN": "印", "PK": "巴", "IL": "以", "IR": "伊"}


# Not States, and named in part by what the documents print: Antarctica (南极洲) by 《南极条约》.
_NOT_STATES = frozenset({"AQ"})
# English names that are ordinary words too: read in a question only as written, capitalised.
_ALSO_WORDS = frozenset({"Chad", "Jordan", "Georgia", "Guinea", "Niger", "Jersey", "China", "Japan",
                         "Guernsey"})


@dataclass(frozen=True)
class State:
    en: tuple[str, ...]  # ISO's English names, longest first
    zh: tuple[str, ...]  # their Chinese, longest first
    abbreviation: str = ""  # one character, beside another State's ("法德")

    @property
    def name(self) -> str:
        return self.en[-1]

    def printed_in(self, text: str) -> bool:
        """Whether a text prints any of the names (whitespace ignored, as `corpus_text` has none),
        or the State's one-character name beside another State's."""
        bare = re.sub(r"\s+", "", text)
        lowered = bare.lower()
        english = (re.sub(r"\s+", "", name.lower()) for name in self.en)
        if any(name in bare for name in self.zh) or any(
                re.search(rf"(?<![a-z]){re.escape(name)}(?![a-z])", lowered) for name in english):
            return True
        if not self.abbreviation:
            return False
        others = "".join(a for a in _ABBREVIATIONS.values() if a != self.abbreviation)
        return re.search(rf"{self.abbreviation}[{others}]|[{others}]{self.abbreviation}", text) is not None


@functools.cache
def _states() -> tuple[State, ...]:
    import pycountry

    zh = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"], fallback=True)
    states = []
    for country in pycountry.countries:
        if country.alpha_2 in _NOT_STATES:
            continue
        iso = {getattr(country, a) for a in ("name", "common_name", "official_name") if hasattr(country, a)}
        # "Korea, Republic of" is written "Republic of Korea"
        en = {re.sub(r"^The ", "", " ".join(reversed(name.split(", ", 1)))) for name in iso}
        if not en:
            continue
        chinese = {zh.gettext(name) for name in iso} - iso  # 大韩民国 is "Korea, Republic of"'s
        states.append(State(tuple(sorted(en, key=len, reverse=True)), tuple(sorted(chinese, key=len, reverse=True)),
                            _ABBREVIATIONS.get(country.alpha_2, "")))
    return tuple(states)


@functools.cache
def _english_pattern() -> tuple[re.Pattern, dict[str, State]]:
    """Names as written in any case ("what did germany say"), those that are words too
    ("Chad", "Jordan", "china") only capitalised."""
    by_name = {name.lower(): state for state in _states() for name in state.en}
    names = sorted({name for state in _states() for name in state.en}, key=len, reverse=True)  # "Papua New Guinea" before "Guinea"
    alternatives = [re.escape(name) if name in _ALSO_WORDS else f"(?i:{re.escape(name)})" for name in names]
    return re.compile(r"(?<![\w-])(" + "|".join(alternatives) + r")(?![\w-])"), by_name


@functools.cache
def _chinese_names() -> dict[str, State]:
    return {name: state for state in _states() for name in state.zh}


def states_named(question: str) -> list[tuple[str, State]]:
    """The States a question names, each with the name it gives. English names as whole words;
    Chinese ones where jieba reads them as a word of their own or they are longer than two
    characters ("其中国家" holds 中国 and names no State)."""
    found: dict[str, tuple[str, State]] = {}
    pattern, by_name = _english_pattern()
    for match in pattern.finditer(question):
        state = by_name[match.group(1).lower()]
        found.setdefault(state.name, (match.group(1), state))
    chinese = _chinese_names()
    if re.search(r"[\u4e00-\u9fff]", question):
        words = set(quiet_jieba().lcut(question))
        rest = question
        for name in sorted(chinese, key=len, reverse=True):  # "南苏丹" before "苏丹"
            if name in rest and (len(name) > 2 or name in words):
                found.setdefault(chinese[name].name, (name, chinese[name]))
                rest = rest.replace(name, " ")
    return list(found.values())
