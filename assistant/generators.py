"""Generators: turn a question and its retrieved paragraphs into draft sentences with citations.

One interface (`Generator`), three implementations:
- `ExtractiveGenerator` (the offline default): picks the sentences of the retrieved paragraphs
  that answer the question and quotes them, each citing its own paragraph. Faithful by
  construction and instant; an English question over Chinese text gets an English lead-in and
  the Chinese quotes (a deliberate simplification: no translation without a model).
- `LLMGenerator`: a chat model (`assistant.llm`: an OpenAI-compatible server, or a local GGUF
  through llama-cpp-python) writes the answer with citation markers; its text is cut into
  sentences once written (the judge then uses the same model), and each is verified and shown
  in turn.

Nothing a generator drafts reaches a user before `assistant.verifier` has checked it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

import prompts
from vectorstore.embedder import Embedder
from vectorstore.lexical import quiet_jieba, tokenize
from vectorstore.paragraphs import mostly_han, split_sentences
from vectorstore.search import TITLE, SearchResult, Terms

from .answerability import articles_in, asked_fact, names_one, states_fact
from .answers import language_of, marker
from .metrics import numbers_in
from .llm import ChatLLM


@dataclass(frozen=True)
class Reference:
    """A citation as drafted: it may name a paragraph that does not exist or was not retrieved."""

    doc: str | None  # None when the draft gave a number only
    paragraph: int
    quote: str | None = None
    written: str = ""  # as it appeared in the draft


@dataclass
class DraftSentence:
    text: str
    references: list[Reference] = field(default_factory=list)


class Generator(Protocol):
    name: str

    def lead(self, question: str, paragraphs: list[SearchResult]) -> str:
        """A sentence before the cited ones that claims nothing about the documents ("" for none)."""
        ...

    def sentences(self, question: str, paragraphs: list[SearchResult]) -> Iterator[DraftSentence]: ...


DECLINE = {
    "zh": "文件没有涉及这个问题。",
    "en": "The documents do not address this question.",
}
# Before the closest passages of an answer the documents do not give ("related").
RELATED = {
    "zh": "文件没有直接说明这一点。最接近的段落：",
    "en": "The documents do not state this directly. The closest passages:",
}

# A lead that says the quotes are in their original language, when a renderer gives each a
# verified rendering in the reader's.
_WITH_RENDERINGS = {
    "(quoted in their original language):": "(quoted in their original language, with machine translations):",
    "（引文为原文）：": "（引文为原文，附机器翻译）：",
}


def with_renderings(lead: str) -> str:
    for original, rendered in _WITH_RENDERINGS.items():
        if lead.endswith(original):
            return lead[: -len(original)] + rendered
    return lead


# --- extractive ---------------------------------------------------------------------------------

# Which sentences answer, chosen on eval/npt (`paracite eval`'s answer_complete and fact_precision,
# measured on every combination; the README gives both suites' figures): the top paragraph's best
# sentence always; a second sentence of that paragraph within SAME_PARAGRAPH_MARGIN of it; one
# sentence of another paragraph within OTHER_PARAGRAPH_MARGIN of the best sentence anywhere (a
# question over two paragraphs gets both halves). Against four sentences within 0.08 of the best,
# as before: as complete (0.855), and a fifth fewer sentences that state no key fact.
MAX_SENTENCES = 4
MAX_FROM_TOP_PARAGRAPH = 2
MAX_FROM_OTHER_PARAGRAPH = 1
SAME_PARAGRAPH_MARGIN = 0.06
OTHER_PARAGRAPH_MARGIN = 0.07
# Across languages the similarities spread less: the answerability bands are 0.13 wide for an
# English question over Chinese text against 0.18 within one language (BANDS), and the margin for
# another paragraph's sentence narrows alike (dev: fact_precision of English questions up; a
# second sentence of the same paragraph keeps its margin, it was the rest of an answer).
CROSS_LANGUAGE_MARGINS = 0.72
# Shared rare words (names, numbers, resolution symbols) break near-ties in the dense similarity.
OVERLAP_WEIGHT = 0.15
# "What does paragraph 25 say?": the paragraph is the answer, all of it up to eight sentences; a
# long list is given by its first items, and what the paragraph says after the list is kept
# (¶151's closing remark on the reporting format came after nine items, and was cut).
NAMED_PARAGRAPH_SENTENCES = 8
LISTED_ITEMS = 3
# A question for what was said ("What views…", "怎么说", "持何种态度") gets more of its paragraph:
# a third sentence within 0.10 (dev: one more question complete, fact_precision 0.780 to 0.775).
_OPEN = re.compile(
    r"怎么说|怎样说|说了什么|说了些什么|讲了什么|提到了什么|表示了什么|有何看法|什么看法|哪些看法|有何立场|什么立场|"
    r"持何种态度|什么态度|如何看待|怎样看待|怎么看|如何描述|怎样描述|如何评价|怎样评价|"
    r"\bwhat (did|does|do)\b.{0,80}\b(say|state|note)\b|\bwhat\b.{0,40}\b(views?|positions?|stance)\b|"
    r"\bhow (did|does|do)\b.{0,80}\b(describe|view|characteri[sz]e|treat|assess)\b|\bwhat is said\b", re.IGNORECASE)
OPEN_FROM_TOP_PARAGRAPH = 3
OPEN_SAME_PARAGRAPH_MARGIN = 0.10
_ASKS_TWO = re.compile(r"\band\s+(?:what|which|when|where|who|how|why|in what)\b|"
                       r"(?:什么|哪|何时|多少|几|谁)[^，,；;]*[，,；;][^，,；;？?]{0,12}?(?:什么|哪|何时|多少|几|谁)",
                       re.IGNORECASE)  # not "2024年的总结中，哪些国家…": one question after the document's name
# A question for one number, date, place, resolution or person, once the lead states one: another
# paragraph's sentence stating such a fact is another thing's, unless it reads at least as close to
# the question as the lead (chosen in the first paragraph, or near it for the asked fact, however
# close the others read). "Which resolutions…" too: the other paragraph's are mostly on another
# topic (q105 quoted ¶91's 1540 (2004) after ¶28's resolutions on security assurances).
_ONE_FACT = frozenset({"count", "date", "place", "resolution", "person"})
# How much less similar a sentence stating the asked kind of fact (a date, a number, a State) may
# be than the best one and still lead in its place.
FACT_LEAD_MARGIN = 0.05
# A word of the question held by at most this share of the candidate sentences names the subject.
ANCHOR_SHARE = 1 / 3
# A glossary term printed in more of the corpus's paragraphs than this names no subject ("States
# parties": 缔约国 is in nearly all of them); one printed in fewer does ("the Review Conference": 审议
# 大会, 13 % of the demo corpus's; the IAEA, 原子能机构, 31 %).
SUBJECT_SHARE = 0.5
_YEAR = re.compile(r"(19|20)\d\d")  # years name the documents ("the 2007 paper") as often as facts

# A list item asked for by its letter or rank ("item (h)", "第三项", "the third category", "最后一项",
# "the last item"): the sentence scorer cannot see a letter, so the item that carries the label leads.
_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
_ASKED_ITEM = re.compile(
    r"[(（](?P<letter>[a-j])[)）]|\bitem\s+(?P<bare>[a-j])\b|第(?P<rank>[一二三四五六七八九十])(?:项|类|点)"
    rf"|\b(?P<ordinal>{'|'.join(_ORDINALS)})\s+(?:item|point|category|element)"
    r"|(?P<last>最后(?:一|的)?(?:项|类|点)|\b(?:last|final)\s+(?:item|point|category|element)\b)",
    re.IGNORECASE,
)
LAST_ITEM = "last"
_LABEL = re.compile(r"\s*[(（]([a-z])[)）]")
_OPENS_LIST = re.compile(r"[:：]\s*[(（]a[)）]")


# A sentence that opens with "but" or "therefore" is the other half of the one before it: "Some
# States suggested X. But other States noted Y." The lead comes with the sentence after it that
# opens so, and a lead that objects ("But …") comes after what it objects to ("Therefore …" can
# open an answer: it states the fact asked, the reason is context).
_CONTINUES = re.compile(r"^\s*(?:但|然而|不过|因此|(?:However|But|Therefore|Nevertheless)\b)", re.IGNORECASE)
_OBJECTS = re.compile(r"^\s*(?:但|然而|不过|(?:However|But|Nevertheless)\b)", re.IGNORECASE)


# A sentence that points back at the one before it ("违反该安全保证备忘录的行为…", "接受这一新标准",
# "此类设施", "他们认为这些事项…") says more of what that one says: it follows the lead of an open
# question ("What views…", "怎样看待"), where what more was said is what is asked. Not of any other:
# dev fact_precision 0.775 -> 0.719 for every question, where it is mostly context.
_REFERS_BACK = re.compile(r"这一|这些|此类|这类|这种|上述|该(?=[\u4e00-\u9fff]{2})|^\s*(?:他们|它们)|"
                          r"^\s*(?:They|These|This|Such|It|Its|Their)\b", re.IGNORECASE)

# What a "which X" question asks for, in its own words: "哪项倡议很重要" asks for an initiative
# (倡议, 重要), "怎样的审查和监测" for a kind of review and monitoring.
_ASKS_WHICH = re.compile(r"(?:哪[一二两三四五六七八九十几]?(?:项|个|些|种|类|份|部|方面)?|怎样的|什么样的|何种)(?P<asked>[\u4e00-\u9fff、和]{2,12})")
_FUNCTION_WORDS = frozenset({"的", "和", "是", "在", "被", "由", "了", "与", "及", "很", "最", "都", "也"})


def asked_words(question: str) -> tuple[str, list[str]]:
    """What a Chinese "which X" question asks for: the noun that qualifies it ("联合国哪个机构":
    联合国, else "") and the words that name it, head noun first ("哪项倡议很重要": 倡议, 重要);
    ("", []) for any other question."""
    match = _ASKS_WHICH.search(question)
    if not match:
        return "", []
    words = [w for w in tokenize(match.group("asked")) if len(w) >= 2 and w not in _FUNCTION_WORDS]
    before = quiet_jieba().posseg.lcut(question[: match.start()])
    qualifier = before[-1].word if before and before[-1].flag.startswith("n") and len(before[-1].word) >= 2 else ""
    return (qualifier, words) if words else ("", [])


def _holding_asked_words(question: str, candidates, order: list[int], lead: int) -> int | None:
    """A sentence of the lead's paragraph that holds what a "which X" question asks for where the
    lead does not; None when the lead holds it or none does."""
    qualifier, words = asked_words(question)
    if not words:
        return None
    head = words[0]
    # a sentence that answers holds the qualifier too: "原子能机构" is no UN body (eval/npt f032)
    same = [i for i in order if _key(candidates[i][0]) == _key(candidates[lead][0])
            and qualifier in candidates[i][2]]
    if head not in candidates[lead][2] and sum(head in c[2] for c in candidates) <= ANCHOR_SHARE * len(candidates):
        # "哪项倡议…": the one sentence that names an initiative; not a word most sentences hold
        return next((i for i in same if head in candidates[i][2]), None)
    held = lambda i: sum(w in candidates[i][2] for w in words)  # noqa: E731
    # "怎样的审查和监测": the sentence that says both, where the lead says one
    needed = max(held(lead) + 1, min(2, len(words)))
    return next((i for i in same if head in candidates[i][2] and held(i) >= needed), None)


# Who said it: a chair's summary gives every view its speakers ("一个缔约国认为…", "Some States
# noted…"). A question that asks what one State said ("What objection did one State raise…",
# "有一个缔约国…") is answered by that State's sentence of the paragraph, however less alike it
# reads than the views of "some" or "many" on the same topic (a cross-language question reads
# 0.13 closer to those in eval/npt q109). "Some" and "many" speak in most sentences: no rule.
_SPEAKERS = {
    # "该缔约国还指出…" goes on with what one State said (eval/npt q046)
    "one": re.compile(r"\bone (?:State|country|delegation|nuclear-weapon State)(?: party)?\b|\ba State party\b|"
                      r"\b(?:this|that|the same) State(?: party)?\b|一个(?:缔约国|国家|核武器国家|代表团)|该缔约国",
                      re.IGNORECASE),
    "some": re.compile(r"\bsome (?:States|countries|delegations|nuclear-weapon States)\b|一些(?:缔约国|国家|代表团|核武器国家)|"
                       r"有些(?:缔约国|国家)|有的缔约国", re.IGNORECASE),
    "many": re.compile(r"\bmany (?:States|countries|delegations)\b|许多(?:缔约国|国家|代表团)|很多(?:缔约国|国家)", re.IGNORECASE),
}


def speaker_of(text: str) -> str | None:
    """Which speakers a question names or a sentence quotes ("one", "some", "many"), the first
    named; None when it names none (or "States parties" as a whole)."""
    found = [(m.start(), name) for name, pattern in _SPEAKERS.items() if (m := pattern.search(text))]
    return min(found)[1] if found else None


# A meeting or session counted by its ordinal ("the third meeting of States parties", "第三次缔约国
# 会议"): the sentence that counts the same one answers, not the one on the first and second
# meetings that reads closer (2024 ¶33).
ORDINAL_EVENT = re.compile(rf"\b(?P<ordinal>{'|'.join(_ORDINALS)})\s+(?:[\w-]+\s+){{0,2}}?"
                           r"(?:meeting|session|conference|summit|test)s?\b|"
                           # 第一次 is "for the first time" as often: "第一次提出" counts no meeting
                           r"第(?P<rank>[一二三四五六七八九十]+)(?:次|届)(?=[^，。？?]{0,12}?(?:会|试验|峰会)|"
                           r"是|在|于|何|什么|哪|呢|[？?，,])", re.IGNORECASE)
_RANKS = "一二三四五六七八九十"
_COUNTS = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def asked_ordinal(question: str) -> re.Pattern | None:
    """What a sentence prints for the meeting, session or test a question counts by its ordinal
    ("third meeting": 第三次, 第三届, "third"; also the first few that include it, 前四届 and
    "first four" for the third), or None."""
    match = ORDINAL_EVENT.search(question)
    if not match:
        return None
    rank = match.group("rank") or _RANKS[_ORDINALS.index(match.group("ordinal").lower())]
    if len(rank) > 1:  # 第十九届: no English word, and no "first nineteen" to print it
        return re.compile(rf"第{rank}(?:次|届)")
    at_least = _RANKS.index(rank)
    # 前一届 is "the previous session", never "the first one"; the first is 首次 or 首届 as often
    first = "|首次|首届" if at_least == 0 else ""
    before = ("两" if at_least <= 1 else "") + _RANKS[max(at_least, 1):]  # 前两届 as often as 前二届
    return re.compile(rf"第{rank}(?:次|届){first}|前[{before}](?:次|届)|\b{_ORDINALS[at_least]}\b|"
                      rf"\bfirst (?:{'|'.join(_COUNTS[max(at_least, 1):])})\b", re.IGNORECASE)


def asked_item(question: str) -> str | None:
    """The letter of the list item a question asks for (its last mention), LAST_ITEM for the
    list's last one, or None."""
    matches = list(_ASKED_ITEM.finditer(question))
    if not matches:
        return None
    last = matches[-1]
    if last.group("last"):
        return LAST_ITEM
    if last.group("letter") or last.group("bare"):
        return (last.group("letter") or last.group("bare")).lower()
    rank = "一二三四五六七八九十".index(last.group("rank")) if last.group("rank") else \
        _ORDINALS.index(last.group("ordinal").lower())
    return "abcdefghij"[rank]


class ExtractiveGenerator:
    name = "extractive"

    def __init__(self, embedder: Embedder, terms: Terms | None = None,
                 subject_share: Callable[[str], float] | None = None) -> None:
        self.embedder = embedder
        self.terms = terms  # a glossary: the names an English question gives, in Chinese
        self.subject_share = subject_share  # the share of the corpus's paragraphs that print a name

    def lead(self, question: str, paragraphs: list[SearchResult]) -> str:
        # Quotes are verbatim: say so when they are not in the question's language.
        zh = language_of(question) == "zh"
        translated = any(mostly_han(p.text) != zh for p in paragraphs)
        if zh:
            return "根据文件（引文为原文）：" if translated else "根据文件："
        return "The documents say (quoted in their original language):" if translated else "The documents say:"

    def related_lead(self, question: str, paragraphs: list[SearchResult]) -> str:
        zh = language_of(question) == "zh"
        translated = any(mostly_han(p.text) != zh for p in paragraphs)
        lead = RELATED["zh" if zh else "en"]
        if not translated:
            return lead
        return lead[:-1] + ("（引文为原文）：" if zh else " (quoted in their original language):")

    def sentences(self, question: str, paragraphs: list[SearchResult],
                  already_said: Callable[[str], bool] | None = None,
                  looked_up: Sequence[str] = (), documents: Sequence[str] = ()) -> Iterator[DraftSentence]:
        """`already_said`: what the conversation's last answer quoted; a follow-up asks for
        something new, so those sentences are passed over while others remain. `looked_up`: the
        names the question asks what the documents say of (`SimilarityGate.names_looked_up`).
        `documents`: those the question asks each of (`Retriever.documents_compared`)."""
        if not paragraphs:
            return
        named = [p for p in paragraphs if p.named]
        if named:  # "第144段说了什么": the paragraph itself is the answer
            for p in named:
                for sentence in _named_paragraph_sentences(p.text):
                    yield DraftSentence(sentence, [Reference(p.doc, p.paragraph, sentence)])
            return
        # the paragraph on the name: the one that prints it most, the retriever's first of those
        printing = sorted((p for p in paragraphs if any(name in _signature(p.text) for name in looked_up)),
                          key=lambda p: -sum(_signature(p.text).count(name) for name in looked_up))
        if printing and not (already_said and already_said(printing[0].text)):
            if _mentions_in_passing(printing[0].text, looked_up):
                # "What is said about the Treaty of Tlatelolco?": ¶33, on zones in general, names
                # it in one of its six sentences. No paragraph is on the name; what is said of it
                # is the sentence that prints it, in each paragraph that does.
                quotes = [(p, sentence) for p in printing[:MAX_SENTENCES] for sentence in _printing_sentences(p.text, looked_up)[:1]]
            else:
                # "2024年总结对伊朗说了什么？": what they say of a name is the paragraph on it, all
                # of it (¶110: the Plan, the withdrawal, the joint statement, the objection), not
                # the one sentence of it that reads closest to the name.
                quotes = [(printing[0], sentence) for sentence in _named_paragraph_sentences(printing[0].text)]
            for p, sentence in quotes:
                yield DraftSentence(sentence, [Reference(p.doc, p.paragraph, sentence)])
            return
        candidates = [(p, i, s) for p in paragraphs for i, s in enumerate(split_sentences(p.text))]
        if already_said and not asked_item(question):  # "What is the last item?" of a list quoted whole
            candidates = [c for c in candidates if not already_said(c[2])] or candidates
        scores = self._relevance(question, [s for _, _, s in candidates])
        best = float(scores.max())
        # The top paragraph always answers (it is what the retriever ranks first), unless all
        # it says was said already.
        top = (paragraphs[0].doc, paragraphs[0].paragraph)
        order = sorted(range(len(candidates)), key=lambda i: -scores[i])
        lead = next((i for i in order if _key(candidates[i][0]) == top), order[0])
        fact = asked_fact(question)
        if item := asked_item(question):
            labelled = {i: m.group(1) for i in order if (m := _LABEL.match(candidates[i][2]))}
            if item == LAST_ITEM and labelled:
                # the last item of the list that reads closest to the question, not of any list
                listing = _key(candidates[next(iter(labelled))][0])
                item = max(letter for i, letter in labelled.items() if _key(candidates[i][0]) == listing)
            lead = next((i for i in labelled if labelled[i] == item), lead)
            if labelled.get(lead) == item and not _OPEN.search(question):
                # "最后一项是什么？": the item is the answer; the list's other sentences and
                # paragraphs only read like the question (eval/npt q017 went on with three)
                p, _, sentence = candidates[lead]
                yield DraftSentence(sentence, [Reference(p.doc, p.paragraph, sentence)])
                return
        elif fact and not states_fact(fact, candidates[lead][2], question):
            # "哪些国家批准了《全面禁止核试验条约》？": the sentence that names them leads, not the
            # one on the Treaty's organisation that reads closer.
            lead = next((i for i in order if scores[i] >= scores[lead] - FACT_LEAD_MARGIN
                         and states_fact(fact, candidates[i][2], question)), lead)
        if not item and (ordinal := asked_ordinal(question)) and not ordinal.search(candidates[lead][2]) \
                and ORDINAL_EVENT.search(candidates[lead][2]):
            # only where the lead counts another meeting: "the second PrepCom session" names the
            # document a question asks of, and ¶1's sentence that names it answers nothing (q059)
            counted = _in_lead_paragraph(candidates, order, lead, lambda i: ordinal.search(candidates[i][2]))
            lead = lead if counted is None else counted
        # "除印度、以色列、巴基斯坦外，还有哪个国家被促请…": the lead holds only the names the
        # question gives; the paragraph's sentence that names another State or place ("缔约国还
        # 促请南苏丹…") follows it, however less alike it reads. It does not lead: a sentence
        # chosen for naming some State is not thereby about the asked one (eval/npt n019 was
        # answered so), and the lead is what the unnamed-State rule reads. So for an outcome: "What did
        # the ICJ conclude in 1996?" leads with ¶13's sentence on the opinion, and its next one
        # states the conclusion ("国际法院的一致结论，即…"). Not for a date or a count: a
        # paragraph's other dates are mostly other events', and quotes that state none are what
        # marks a "when" the documents do not answer (eval/npt n001, n007 were answered with one).
        stating = None
        if fact in ("state", "place", "outcome") and not item and not states_fact(fact, candidates[lead][2], question):
            stating = _in_lead_paragraph(candidates, order, lead, lambda i: states_fact(fact, candidates[i][2], question))
        elif fact == "article" and not item:
            # "Which articles of the Charter…": the paragraph's other sentence that cites another
            # article ("此类承诺不影响《宪章》第五十一条") is the rest of the answer.
            given = articles_in(candidates[lead][2]) | articles_in(question)
            stating = _in_lead_paragraph(candidates, order, lead, lambda i: i != lead and articles_in(candidates[i][2]) - given)
        elif not fact and not item and (holding := _holding_asked_words(question, candidates, order, lead)) is not None:
            # "2007年文件认为哪项倡议很重要？": the sentence that holds what is asked for ("三方倡议是
            # 一项重要措施") leads, not the one that reads closest to the question's topic.
            lead = holding
        if not fact and not item and (titles := _asked_titles(question, [c[2] for c in candidates])) and not any(
                t in _signature(candidates[lead][2]) for t in titles):
            # "缔约国对伊朗核问题联合全面行动计划有何看法？": the sentence on the Plan leads, not the
            # one on Iran's joint statement with the IAEA that reads 0.10 closer.
            titled = _in_lead_paragraph(candidates, order, lead, lambda i: any(t in _signature(candidates[i][2]) for t in titles))
            lead = lead if titled is None else titled
        if not item and speaker_of(question) == "one" and speaker_of(candidates[lead][2]) != "one":
            speaking = _in_lead_paragraph(candidates, order, lead, lambda i: speaker_of(candidates[i][2]) == "one")
            lead = lead if speaking is None else speaking
        if not item and _OPENS_LIST.search(candidates[lead][2]):
            # "核武器国家应该报告哪些内容？": the lead opens a list ("包括但不限于：(a) …"); the
            # list is the answer, every item of it, and nothing else.
            following = [i for i, (p, n, _) in enumerate(candidates) if p is candidates[lead][0] and n > candidates[lead][1]]
            listing = [lead, *itertools.takewhile(lambda i: _LABEL.match(candidates[i][2]), following)]
            for i in listing:
                p, _, sentence = candidates[i]
                yield DraftSentence(sentence, [Reference(p.doc, p.paragraph, sentence)])
            return
        top = _key(candidates[lead][0])
        # "最近哪些国家批准了全面禁试条约？": once the lead names them, a sentence that states no
        # fact of the asked kind adds nothing asked for (eval/npt q125 went on with ¶38's call on
        # the nuclear-weapon States to ratify). An "outcome" is read from words, not checkable so;
        # a lead that names only a region ("中东") has not named the States asked for, which are
        # as often a category ("五个核武器国家", eval/npt f022) as names.
        # A question that asks two things ("Which resolutions…, and what agreement…?") wants the
        # second's sentence too, whatever kind of fact the first asks for (q050); one that asks
        # the same of each document ("…, and how many according to the 2024 summary?") does not.
        kind_wanted = fact if fact and fact != "outcome" and (documents or not _ASKS_TWO.search(question)) \
            and states_fact(fact, candidates[lead][2], question) and (
            fact not in ("state", "place") or not mostly_han(candidates[lead][2])
            or names_one(candidates[lead][2], fact, question)) else None
        anchors = _anchors(question, [c[2] for c in candidates], lead)
        named = self._names_across_languages(question, [c[2] for c in candidates], lead)
        subjects = self._subjects(question, candidates[lead][0].text)
        # "What views…", "怎么说": the paragraph's other sentences are the views asked for
        open_question = _OPEN.search(question) is not None and not fact
        # An English question reads every Chinese sentence alike: a sentence of another paragraph
        # is held to a margin narrowed as the spread is, unless it shares a number with the question
        # ("resolution 1540 (2004)"), the one word a question and a text in two languages share.
        scale = CROSS_LANGUAGE_MARGINS if mostly_han(question) != mostly_han(candidates[lead][2]) else 1.0
        same_margin = OPEN_SAME_PARAGRAPH_MARGIN if open_question else SAME_PARAGRAPH_MARGIN
        asked_numbers = {n for n in numbers_in(question) if not _YEAR.fullmatch(n)}
        from_top = OPEN_FROM_TOP_PARAGRAPH if open_question else MAX_FROM_TOP_PARAGRAPH
        chosen = [lead] if stating is None else [lead, stating]
        per_paragraph = {top: len(chosen)}
        seen = {_signature(candidates[i][2]) for i in chosen}
        for i in order:
            p, _, sentence = candidates[i]
            key = _key(p)
            if i == lead or _signature(sentence) in seen:
                continue
            if key == top:
                if scores[i] < scores[lead] - same_margin or per_paragraph[top] >= from_top:
                    continue
            elif kind_wanted in _ONE_FACT and scores[i] < scores[lead]:
                continue  # "Where is the LEU bank?" answered by ¶136's Kazakhstan: ¶130's Vienna is another thing's
            elif scores[i] < best - OTHER_PARAGRAPH_MARGIN * (
                    1.0 if asked_numbers & numbers_in(sentence) else scale) or per_paragraph.get(key, 0) >= MAX_FROM_OTHER_PARAGRAPH:
                continue
            elif anchors and not anchors & set(tokenize(sentence)):
                continue  # about something else than what the question and its answer name
            elif named and not any(name in _signature(sentence) for name in named):
                continue
            elif subjects and not any(name in _signature(p.text) for name in subjects):
                continue  # "How many States have ratified the CTBT?": not ¶69's 182 safeguards agreements
            if kind_wanted and not states_fact(kind_wanted, sentence, question):
                continue
            chosen.append(i)
            per_paragraph[key] = per_paragraph.get(key, 0) + 1
            seen.add(_signature(sentence))
            if len(chosen) == MAX_SENTENCES:
                break
        for doc in documents:
            # "How many … according to the 2007 paper, and how many according to the 2024
            # summary?": each document's closest sentence (stating the asked kind of fact, where
            # one does), however far below the best it reads (eval/npt q132 quoted 2024's alone).
            if any(candidates[i][0].doc == doc for i in chosen):
                continue
            of_doc = [i for i in order if candidates[i][0].doc == doc and _signature(candidates[i][2]) not in seen]
            of_doc = [i for i in of_doc if kind_wanted and states_fact(kind_wanted, candidates[i][2], question)] or of_doc
            if of_doc:
                chosen.append(of_doc[0])
                seen.add(_signature(candidates[of_doc[0]][2]))
        # The answering sentence first; the others in reading order (paragraphs as ranked,
        # sentences within a paragraph as printed).
        rank = {_key(p): r for r, p in enumerate(paragraphs)}
        rest = sorted(chosen[1:], key=lambda i: (rank[_key(candidates[i][0])], candidates[i][1]))
        opening = [lead]
        before, after = (next((i for i, (p, n, _) in enumerate(candidates)
                               if p is candidates[lead][0] and n == candidates[lead][1] + step), None) for step in (-1, 1))
        if _OBJECTS.match(candidates[lead][2]) and before is not None:
            opening = [before, lead]  # "But …" does not open an answer: what it objects to does
        elif after is not None and (_CONTINUES.match(candidates[after][2])
                                    or (open_question and _REFERS_BACK.search(candidates[after][2]))):
            opening = [lead, after]
        rest = [i for i in rest if i not in opening]
        for i in [*opening, *rest]:
            p, _, sentence = candidates[i]
            yield DraftSentence(sentence, [Reference(p.doc, p.paragraph, sentence)])

    def _names_across_languages(self, question: str, sentences: list[str], lead: int) -> set[str]:
        """`_anchors` for an English question over Chinese text: the Chinese names of the glossary
        terms it gives ("the Democratic People's Republic of Korea": 朝鲜民主主义人民共和国, 朝鲜)
        that the answering sentence prints and few candidate sentences do. A sentence of another
        paragraph that prints none is about something else: "What did States parties say about the
        DPRK's nuclear programme in 2007?" quoted ¶37's on Iran, 0.02 below the answer."""
        if self.terms is None or mostly_han(question) == mostly_han(sentences[lead]) or mostly_han(question):
            return set()
        names = set().union(*self.terms.names_of(question))
        printed = [_signature(s) for s in sentences]
        return {name for name in names if name in printed[lead]
                and sum(name in text for text in printed) <= ANCHOR_SHARE * len(printed)}

    def _subjects(self, question: str, lead_paragraph: str) -> set[str]:
        """For an English question over Chinese text, the Chinese names of the glossary terms it
        gives that name a subject (printed in some but not most of the corpus's paragraphs: the
        CTBT, not "States parties") and that the answering paragraph prints. A paragraph that
        prints none of them is about something else, however many candidate sentences print them
        (which `_names_across_languages` asks of its names)."""
        if self.subject_share is None or not mostly_han(lead_paragraph):
            return set()
        printed = _signature(lead_paragraph)
        return {name for names in subject_names(question, self.terms, self.subject_share) for name in names if name in printed}

    def _relevance(self, question: str, sentences: list[str]) -> np.ndarray:
        """Dense similarity to the question, plus a little for shared rare words (names, numbers)."""
        query = self.embedder.embed_queries([question])[0]
        dense = self.embedder.embed_documents(sentences) @ query
        asked = set(tokenize(question))
        overlap = np.array([len(asked & set(tokenize(s))) / (len(asked) or 1) for s in sentences])
        return dense + OVERLAP_WEIGHT * overlap


def subject_names(question: str, terms: Terms | None, share: Callable[[str], float]) -> list[set[str]]:
    """The Chinese names of each glossary term an English question gives that names a subject:
    printed in some but not most of the corpus's paragraphs (`share`: the share that print a
    name). [] for a Chinese question or without a glossary."""
    if terms is None or mostly_han(question):
        return []
    return [names for names in terms.names_of(question) if any(0 < share(n) <= SUBJECT_SHARE for n in names)]


def _anchors(question: str, sentences: list[str], lead: int) -> set[str]:
    """The question's distinctive words that its answering sentence holds ("以色列" in "2007年工作文
    件对以色列有什么要求？"): words that few of the candidate sentences hold. A sentence from
    another paragraph that holds none of them is about another subject (Iran, the Conference on
    Disarmament) however close its wording. Empty where question and text share no words (an
    English question over Chinese text)."""
    if mostly_han(question) != mostly_han(sentences[lead]):
        return set()  # a shared token across languages is a number or an acronym, not the subject
    tokens = [set(tokenize(s)) for s in sentences]
    shared = set(tokenize(question)) & tokens[lead]
    return {t for t in shared if len(t) >= 2 and not _YEAR.fullmatch(t)
            and sum(t in ts for ts in tokens) <= ANCHOR_SHARE * len(tokens)}


def _asked_titles(question: str, sentences: list[str]) -> set[str]:
    """The titles the sentences print (《…》) that the question names, with or without the
    brackets; whitespace removed. Short titles are back-references ("《条约》"), not names."""
    asked = _signature(question)
    return {title for sentence in sentences for title in map(_signature, TITLE.findall(sentence))
            if len(title) > 4 and title in asked}


def _named_paragraph_sentences(text: str) -> list[str]:
    sentences = split_sentences(text)
    if len(sentences) > NAMED_PARAGRAPH_SENTENCES:
        items = [i for i, sentence in enumerate(sentences) if _LABEL.match(sentence)]
        sentences = [sentence for i, sentence in enumerate(sentences) if i not in items[LISTED_ITEMS:]]
    return sentences[:NAMED_PARAGRAPH_SENTENCES]


def _printing_sentences(text: str, names: Sequence[str]) -> list[str]:
    return [sentence for sentence in split_sentences(text) if any(name in _signature(sentence) for name in names)]


def _mentions_in_passing(text: str, names: Sequence[str]) -> bool:
    """Whether a paragraph of more than two sentences prints the names once (¶110 of the 2024
    summary prints 伊朗 twice in one sentence, and the rest of it is on the Iran deal too)."""
    return len(split_sentences(text)) > 2 and sum(_signature(text).count(name) for name in names) == 1


def _key(paragraph: SearchResult) -> tuple[str, int]:
    return (paragraph.doc, paragraph.paragraph)


def _signature(sentence: str) -> str:
    return re.sub(r"\W+", "", sentence)


# --- LLM ----------------------------------------------------------------------------------------


MAX_LLM_SENTENCES = 6


class LLMGenerator:
    """An LLM writes the answer with markers; its sentences are drafted once it has finished."""

    def __init__(self, llm: ChatLLM, name: str, max_tokens: int = 400) -> None:
        self.llm = llm
        self.name = name
        self.max_tokens = max_tokens

    def lead(self, question: str, paragraphs: list[SearchResult]) -> str:
        return ""

    def sentences(self, question: str, paragraphs: list[SearchResult]) -> Iterator[DraftSentence]:
        listing = "\n\n".join(f"{marker(p.doc, p.paragraph)} {p.text}" for p in paragraphs)
        messages = prompts.messages("answer", language_of(question), paragraphs=listing, question=question,
                                    example_marker=marker(paragraphs[0].doc, paragraphs[0].paragraph))
        # The whole text first, then the sentences: the verifier's judge asks the same model,
        # and a one-slot server (llama.cpp's) or the one in-process context cannot judge while
        # it is still generating (it would wait on itself, or lose its place).
        text = "".join(self.llm.stream(messages, self.max_tokens))
        assembler = SentenceAssembler()
        drafts = [*assembler.feed(text), *assembler.close()]
        yield from drafts[:MAX_LLM_SENTENCES]  # a model that rambles is cut off, not verified forever


# Markers as models write them: "[doc ¶14]", "[doc ¶14, ¶15]", "[doc, paragraph 14]", "[¶14]",
# "【doc ¶14】", "(doc ¶14)". Each becomes a Reference; the verifier decides what stands.
_NUMBERS = r"(?:(?:¶|第|paragraphs?|paras?\.?)\s*\d{1,6}\s*段?\s*[,，、;；]?\s*(?:和|and)?\s*)+"
_NUMBERS_BARE = r"(?:(?:¶|第|paragraphs?|paras?\.?)?\s*\d{1,6}\s*段?\s*[,，、;；]?\s*(?:和|and)?\s*)+"
_DOC = r"(?P<doc>[^\d\[\]【】()（）\s,，¶][^\[\]【】()（）\s,，¶]*?)?\s*[,，:：]?\s*"
# In brackets the paragraph sign is optional ("[doc 14]"); in parentheses it is required, since
# "（2006）" in "第1737（2006）号决议" is a year, not a citation.
_LOOSE_MARKER = re.compile(
    rf"[\[【]\s*{_DOC}(?P<nums>{_NUMBERS_BARE})[\]】]|[(（]\s*{_DOC.replace('doc', 'doc2')}(?P<nums2>{_NUMBERS})[)）]",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d{1,6}")
_TERMINATOR = re.compile(r"[。！？!?；;]|\.(?=\s|$)")


def parse_references(text: str) -> tuple[str, list[Reference]]:
    """The sentence without its markers, and the references the markers name."""
    references = []
    for match in _LOOSE_MARKER.finditer(text):
        doc = match.group("doc") or match.group("doc2")
        for number in _NUMBER.findall(match.group("nums") or match.group("nums2")):
            references.append(Reference(doc, int(number), None, match.group(0)))
    stripped = _LOOSE_MARKER.sub("", text)
    stripped = re.sub(r"[ \t]{2,}", " ", stripped)
    return re.sub(r"\s+([。！？!?；;.,，])", r"\1", stripped).strip(), references


class SentenceAssembler:
    """Cuts streamed text into sentences; markers written after a sentence's full stop
    ("…要求。[doc ¶14]") belong to that sentence, not to the next."""

    def __init__(self) -> None:
        self._buffer = ""

    def feed(self, piece: str) -> Iterator[DraftSentence]:
        self._buffer += piece
        while True:
            end = self._complete_sentence_end()
            if end is None:
                return
            sentence, self._buffer = self._buffer[:end], self._buffer[end:]
            draft = _draft(sentence)
            if draft:
                yield draft

    def close(self) -> Iterator[DraftSentence]:
        draft = _draft(self._buffer)
        self._buffer = ""
        if draft:
            yield draft

    def _complete_sentence_end(self) -> int | None:
        """Where the first sentence ends, markers included, once text after it shows it is over."""
        text = self._buffer
        position = 0
        while True:
            match = _TERMINATOR.search(text, position)
            if match is None:
                return None
            end = match.end()
            # Take the markers (and the spaces) that follow the terminator.
            while True:
                rest = text[end:]
                stripped = rest.lstrip()
                follow = _LOOSE_MARKER.match(stripped)
                if follow:
                    end += len(rest) - len(stripped) + follow.end()
                    continue
                break
            rest = text[end:]
            if not rest.strip():
                return None  # a marker may still be on its way
            if rest.lstrip()[0] in "[【(（" and not _LOOSE_MARKER.match(rest.lstrip()):
                # Could be the start of a marker not yet complete; wait unless it is clearly long.
                if len(rest) < 80:
                    return None
            if text[:end].strip():
                return end
            position = end


def _draft(text: str) -> DraftSentence | None:
    sentence, references = parse_references(text)
    if not re.search(r"\w", sentence):
        return None
    return DraftSentence(sentence, references)


def _in_lead_paragraph(candidates: list, order: list[int], lead: int, wanted: Callable[[int], object]) -> int | None:
    """The closest candidate of the lead's paragraph for which `wanted` holds, if any."""
    return next((i for i in order if _key(candidates[i][0]) == _key(candidates[lead][0]) and wanted(i)), None)
