"""Follow-up questions ("那伊朗呢？", "and what about Iran?") rewritten into standalone ones.

Two rewriters behind one signature, `rewrite(question, history) -> standalone question`:
- `RuleRewriter`, for the offline default: deterministic patterns. An elliptical follow-up
  ("那X呢", "what about X", "and X?") takes the previous question and puts X where its topic
  was (the phrase after 对/关于/就 or about/on/regarding; else the last place name; a document
  named by year replaces the document named before); a follow-up with a pronoun ("它", "该决议",
  "it", "they") gets the previous topic in the pronoun's place; "2007年的工作文件怎么说？" asks
  about the previous topic. A deliberate simplification: it handles the common shapes, not every
  one; anything else, and any question that reads as complete, passes unchanged.
- `LLMRewriter`: asks the configured LLM, and keeps the rule result when the model's output is
  not a usable question.

History is a list of {"role": "user"|"assistant", "content"}; only the user turns matter, each
rewritten in turn so that a follow-up to a follow-up works.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

import prompts

from vectorstore.lexical import quiet_jieba
from vectorstore.quotes import squashed
from vectorstore.search import PARAGRAPH_REF

from .answers import MARKER, language_of
from .generators import RELATED
from .llm import ChatLLM, complete

MAX_QUESTION_CHARS = 1000


class Rewriter(Protocol):
    def rewrite(self, question: str, history: list[dict]) -> str: ...


# "X呢" and "X又如何" are follow-ups on their own; "X如何" and "X怎么样" only after 那/还有/而:
# "扎波罗热核电厂的情况如何？" is a question of its own, not a change of topic.
# The openers are atomic: "那么如何？" must not leave "么" as the new topic.
_ZH_ELLIPSIS = re.compile(
    r"^(?>那关于|那么|那|还有|而|关于)?\s*(?P<x>.{1,30}?)\s*(?:的情况)?(?:呢|又如何|又怎么样)\s*[？?。]?$"
    r"|^(?>那么|那|还有|而)\s*(?P<y>.{1,30}?)\s*(?:的情况)?(?:怎么样|如何)\s*[？?。]?$"
)
# A "topic" that asks something ("伊朗遵守了哪些决议呢？") makes a question of its own.
_ZH_ASKS = re.compile(r"什么|哪|几|多少|吗|是否|谁|为何|为什么|怎么|如何|应该|可以|能否")
_EN_ELLIPSIS = re.compile(
    r"^(?:and|but|so|ok|okay)?[\s,]*(?:what|how)\s+about\s+(?P<x>.+?)\s*\??$"
    # "And Syria?", but not "And what did the 2024 summary say?", which asks on its own
    r"|^(?:and|but)\s+(?!(?:what|which|who|whom|whose|when|where|why|how|did|does|do|is|are|was|were|can|could|"
    r"has|have|had|will|would|should)\b)(?P<y>[^?]{1,60}?)\s*\?$",
    re.IGNORECASE,
)
_ZH_TOPIC = re.compile(r"(?:对于?|关于|就|针对)(?P<t>.+?)(?=提出|表示|采取|作出|发表|有何|有什么|有哪些|怎么说|如何说|怎样说|说了|说|的[^的]{0,6}[？?]|[，,。？?]|$)")
_EN_TOPIC = re.compile(
    r"\b(?:about|on|regarding|concerning|towards?)\s+(?P<t>(?:the\s+)?[^?,]+?)(?=\s+(?:in|according\s+to|from)\s+the\b|\s+say\b|[?,.]|$)",
    re.IGNORECASE,
)
_ZH_SAY = re.compile(r"(?P<v>怎么说|如何说|说了什么|怎么讲|有何论述|如何描述|也这么说|也这样说|也是这样|也如此)(吗|呢)?\s*[？?]?$")
_EN_SAY = re.compile(r"\b(?P<v>say|said|mention)(?:\s+(?:the same|so|likewise|anything similar|something similar))?\s*\??$",
                     re.IGNORECASE)
_EN_NAME = re.compile(r"(?:the\s+)?(?P<name>(?:[A-Z][\w-]*)(?:\s+[A-Z][\w-]*)*)")
_ZH_QUANTITY = re.compile(r"(?:这个|这一|该|此)(?:数字|数目|数量|数)")
_EN_QUANTITY = re.compile(r"\b(?:that|this|the same) (?:number|figure|count|total)\b", re.IGNORECASE)
_ZH_PRONOUN = re.compile(r"该决议|该条约|该协定|该机构|该国|它们|他们|它|其|这一点|此事|(?<=[为对就])此|那里|那儿|该地|当地")
_EN_PRONOUN = re.compile(r"\b(?:it|they|them|this|that|its|their)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Context:
    """What the conversation so far holds as evidence for a follow-up: the paragraphs the last
    answer cited, and what it said (so that a follow-up is not answered with the same quote)."""

    cited: tuple[tuple[str, int], ...] = ()
    said: str = ""  # the last answer's text, whitespace removed
    # The last answer only came close ("related"): its quotes did not answer its question, and may
    # answer this one ("Did any State condemn them?" after the count of tests it did not state).
    came_close: bool = False

    def already_said(self, sentence: str) -> bool:
        words = squashed(sentence)
        return bool(self.said) and len(words) >= 8 and words in self.said


def context_of(history: list[dict]) -> Context:
    answers = [str(t.get("content", "")) for t in history if t.get("role") == "assistant"]
    for text in reversed(answers):
        cited = tuple(dict.fromkeys((doc, int(n)) for doc, n in MARKER.findall(text)))
        if cited:
            close = any(squashed(lead.rstrip("：:")) in squashed(text) for lead in RELATED.values())
            return Context(cited, squashed(MARKER.sub("", text)), came_close=close)
    return Context(said=squashed(answers[-1]) if answers else "")


# A follow-up that asks more of the paragraph just cited: "这一段还说了什么？", "第三项呢？",
# "最后一项呢？", "And item (h)?", "And the last item?", "What else does that paragraph say?".
_SAME_PARAGRAPH = re.compile(
    r"这一?段|该段|那一?段|同一段|此段|上一段|前面提到的那|第[一二三四五六七八九十\d]+项|最后一?项|[（(][a-zA-Z][)）]"
    r"|\b(?:that|this|the same) paragraph\b|\bitem\s+(?:\([a-z0-9]{1,2}\)|[a-z0-9]\b)|\bitem\s*\([a-z0-9]{1,2}\)"
    r"|\b(?:last|final) item\b"
    r"|\bwhat else\b|\belse does\b",
    re.IGNORECASE,
)
# A follow-up about the document the last answer did not cite: "另一份文件怎么说？", "the other document".
_OTHER_DOCUMENT = re.compile(
    r"另一份|另一个文件|另一文件|另外一份|其他文件|\bthe other (?:document|paper|one|summary|report|text)\b",
    re.IGNORECASE,
)


# A follow-up that points back with a word no rule resolved ("有没有国家不赞成这样做？", "Did he
# also set out anything for the plant?"): what it points at is in the paragraphs just cited.
# So does a reason, a date or a number asked of nothing named ("What was the reason given?", "理由是什么？"):
# "the reason for the delay" names its own.
_ZH_POINTER = re.compile(r"这样|这些|这项|这一|这个|这种|那些|那项|那里|那儿|(?<!应)该|它|(?<!其)他|(?<![因如彼])此|其(?![他它余实])|"
                         r"^(?:那么?)?(?:给出的|提出的|所说的)?(?:理由|原因|依据|目的)(?:是什么|何在|呢)")
# "And which one is in Africa?" picks from what was just listed; "which one of the treaties" names its set.
_EN_POINTER = re.compile(r"\b(?:it|its|he|his|she|her|they|them|their|that|those|these|this)\b|"
                         r"\b(?:which|what) ones?\b(?!\s+of\b)|"
                         r"\bthe (?:reasons?|purpose|cause|rationale|date|year|number|figure|outcome|result)\b"
                         r"(?!\s+(?:of|for|behind|why|that|in|on|documents?)\b|\s+\d)", re.IGNORECASE)


# A follow-up that picks from what the last answer quoted ("其中哪个条约在非洲？" after the list of
# zones, "Which of them…") is answered from those quotes again; any other passes over them.
_PICKS = re.compile(r"其中|当中|\b(?:which|who|what|how many|one|any|some|none|each) of (?:them|these|those)\b|"
                    r"\bamong (?:them|these|those)\b|\bwhich ones?\b(?!\s+of\b)", re.IGNORECASE)


def changes_topic(question: str) -> bool:
    """"那朝鲜呢？", "And what about Fukushima?": the same question of another topic."""
    return bool((_ZH_ELLIPSIS if language_of(question) == "zh" else _EN_ELLIPSIS).match(question.strip()))


def picks_from_last(question: str) -> bool:
    return bool(_PICKS.search(question))


def points_back(question: str) -> bool:
    return bool((_ZH_POINTER if language_of(question) == "zh" else _EN_POINTER).search(question))


def asks_of_cited_paragraph(question: str) -> bool:
    return bool(_SAME_PARAGRAPH.search(question))


def asks_of_other_document(question: str) -> bool:
    return bool(_OTHER_DOCUMENT.search(question))


def previous_questions(history: list[dict]) -> list[str]:
    return [str(turn.get("content", "")).strip() for turn in history if turn.get("role") == "user" and str(turn.get("content", "")).strip()]


class RuleRewriter:
    def rewrite(self, question: str, history: list[dict]) -> str:
        question = question.strip()
        standalone_before = ""
        for earlier in previous_questions(history):
            standalone_before = self._one(earlier, standalone_before)
        return self._one(question, standalone_before)

    def _one(self, question: str, previous: str) -> str:
        if not previous or PARAGRAPH_REF.search(question):  # "第144段说了什么" stands alone
            return question
        zh = language_of(question) == "zh"
        ellipsis = (_ZH_ELLIPSIS if zh else _EN_ELLIPSIS).match(question)
        if ellipsis:
            new_topic = (ellipsis.group("x") or ellipsis.groupdict().get("y") or "").strip()
            # "what about X" changes the topic whatever X is; a bare "And X?" only when X is a name
            checked = zh or not ellipsis.group("x")
            if new_topic and len(question) <= (20 if zh else 60) and (not checked or _is_topic(new_topic, zh)):
                return self._replace_topic(previous, new_topic)
        topic = self._topic(previous)
        say = (_ZH_SAY if zh else _EN_SAY).search(question)
        if topic and say and not self._topic(question):
            # "2007年的工作文件怎么说？": the same topic, another document.
            if zh:
                return f"{question[: say.start()]}关于{topic}{question[say.start():]}"
            return f"{question[: say.start('v')]}{say.group('v')} about {topic}?"
        if (_ZH_QUANTITY if zh else _EN_QUANTITY).search(question):
            # "这个数字在2024年的总结里是多少？": the quantity the previous question asked, of the
            # document this one names.
            document = _DOCUMENT_PHRASE["zh" if zh else "en"]
            named_now = document.search(question)
            named_before = list(document.finditer(previous))
            if named_now and named_before and language_of(previous) == language_of(question):
                last = named_before[-1]
                return previous[: last.start()] + named_now.group(0) + previous[last.end():]
            return f"{previous} {question}"
        pronoun = (_ZH_PRONOUN if zh else _EN_PRONOUN).search(question)
        if pronoun and len(question) <= (30 if zh else 100):
            # "And what did it ask Iran to do?" after "…about Iran": the question names the topic
            # already, so "it" is something else (the document); the previous question gives it.
            if topic and topic.lower() not in question.lower():
                return question[: pronoun.start()] + topic + question[pronoun.end():]
            # No topic phrase to put in its place: the previous question gives the context.
            return f"{previous} {question}"
        return question

    @staticmethod
    def _topic(question: str) -> str:
        pattern = _ZH_TOPIC if language_of(question) == "zh" else _EN_TOPIC
        matches = list(pattern.finditer(question))
        return matches[-1].group("t").strip() if matches else ""

    def _replace_topic(self, previous: str, new_topic: str) -> str:
        # "那2024年的总结呢？": the same question of another document, not about a new topic.
        document = _DOCUMENT_PHRASE[language_of(previous)]
        year = _YEAR_ONLY.fullmatch(new_topic)
        if year:
            # "那在2007年呢？": a year names the document of that year, not a topic to ask about
            named = list(document.finditer(previous))
            if named:
                # the document of that year, not "the 2007 summary": the summary is 2024's, and a
                # phrase that names two documents names neither
                last = named[-1]
                the = "the " if last.group(0).lower().startswith("the") else ""  # "the Chair's 2024 summary"
                phrase = f"{year.group('year')}年的文件" if language_of(previous) == "zh" else f"{the}{year.group('year')} document"
                return previous[: last.start()] + phrase + previous[last.end():]
            if language_of(previous) == "zh":
                return f"{year.group('year')}年的文件中，{previous}"
            return f"{previous.rstrip(' ?？')} in the {year.group('year')} document?"
        if language_of(new_topic) == language_of(previous) and document.fullmatch(new_topic):
            named = list(document.finditer(previous))
            if named:
                return previous[: named[-1].start()] + new_topic + previous[named[-1].end():]
        pattern = _ZH_TOPIC if language_of(previous) == "zh" else _EN_TOPIC
        matches = list(pattern.finditer(previous))
        if matches:
            last = matches[-1]
            old_topic = last.group("t")
            names = list(_EN_NAME.finditer(old_topic))
            if language_of(previous) == "en" and names and _EN_NAME.fullmatch(new_topic):
                # "about the safeguards issues of Iran" + "Syria": only the name changes.
                # ... wherever it stands: "on Iran's programme … urge Iran" names Iran twice.
                old_name, new_name = names[-1].group("name"), _EN_NAME.fullmatch(new_topic).group("name")
                new_topic = re.sub(rf"\b{re.escape(old_name)}\b", new_name, old_topic)
            return previous[: last.start("t")] + new_topic + previous[last.end("t"):]
        swapped = _swap_name(previous, new_topic)
        if swapped:
            return swapped
        if language_of(previous) == "zh":
            return f"关于{new_topic}，{previous}"
        return f"{previous} (about {new_topic})"


def _is_topic(phrase: str, zh: bool) -> bool:
    """A noun phrase to ask the previous question about, not a question of its own."""
    if zh:
        return phrase not in ("那", "那么", "还有", "而") and not _ZH_ASKS.search(phrase)
    # "And Syria?", "and the DPRK?"; not "And then?", "And didn't it comply?"
    return "'" not in phrase and bool(re.match(r"(?:the\s+)?[A-Z0-9]", phrase)) and not phrase.lower().startswith("then")


# How a question names a document by its year: "2007年的工作文件", "the 2024 summary".
_DOCUMENT_PHRASE = {
    "zh": re.compile(r"(?:19|20)\d{2}\s*年?的?[^，,。？?\s]{0,6}?(?:工作文件|文件|总结|报告)"),
    "en": re.compile(r"(?:the\s+)?(?:19|20)\d{2}\s+(?:[\w'-]+\s+){0,2}?(?:working\s+paper|paper|summary|report|document)\b",
                     re.IGNORECASE),
}
# A year alone, as a follow-up gives it ("那在2007年呢？", "What about 2007?").
_YEAR_ONLY = re.compile(r"(?:在|于|in\s+)?\s*(?P<year>(?:19|20)\d{2})\s*年?(?:的时候|时|里|中|的)?", re.IGNORECASE)
# Multi-word names of institutions are what a question asks about, rarely the topic it changes.
_INSTITUTION = re.compile(r"\b(?:Council|Agency|Committee|Conference|Treaty|Nations|Assembly|Convention|Group)\b")


def _swap_name(previous: str, new_topic: str) -> str:
    """With no topic phrase to replace, a place name follows a place name: "2007年的工作文件要求伊朗
    遵守哪几项决议？" + "那朝鲜呢？" asks the same of 朝鲜. A heuristic: the previous question's only
    name of that kind (jieba's place tag in Chinese; a capitalised word, not the first, not an
    acronym and not an institution's, in English); "" when there is not exactly one, or the new
    topic is not such a name."""
    if language_of(previous) != language_of(new_topic):
        return ""
    if language_of(previous) == "zh":
        posseg = quiet_jieba().posseg
        if [flag for _, flag in posseg.lcut(new_topic)] != ["ns"]:
            return ""
        places, position = [], 0
        for word, flag in posseg.lcut(previous):
            if flag == "ns":
                places.append((position, position + len(word)))
            position += len(word)
        if len(places) != 1:  # "伊朗在日内瓦会议上…": which place the topic is, the rules cannot tell
            return ""
        start, end = places[0]
        return previous[:start] + new_topic + previous[end:]
    if not _EN_NAME.fullmatch(new_topic):
        return ""
    names = [m for m in _EN_NAME.finditer(previous)
             if m.start("name") > 0 and not _INSTITUTION.search(m.group("name")) and not m.group("name").isupper()]
    if len(names) != 1:  # "…ask Iran to comply with under the NPT?": one name, or no guess
        return ""
    return _splice_name(previous, names[0], new_topic)


def _splice_name(text: str, old: re.Match, new_topic: str) -> str:
    """`text` with the name `old` found in it replaced by the name in `new_topic` ("the DPRK" → "DPRK")."""
    return text[: old.start("name")] + _EN_NAME.fullmatch(new_topic).group("name") + text[old.end("name"):]


class LLMRewriter:
    def __init__(self, llm: ChatLLM) -> None:
        self.llm = llm
        self.rules = RuleRewriter()

    def rewrite(self, question: str, history: list[dict]) -> str:
        fallback = self.rules.rewrite(question, history)
        if not previous_questions(history):
            return question.strip()
        lines = [f"{'用户' if language_of(question) == 'zh' else 'User'}: {q}" for q in previous_questions(history)[-3:]]
        rewritten = complete(
            self.llm,
            prompts.messages("rewrite", language_of(question), history="\n".join(lines), question=question),
            max_tokens=80,
        ).splitlines()
        candidate = rewritten[0].strip().strip('"“”') if rewritten else ""
        unusable = (
            not candidate or len(candidate) > MAX_QUESTION_CHARS
            or language_of(candidate) != language_of(question)
            or (candidate == question.strip() and fallback != question.strip())  # it only copied
        )
        if unusable:
            return fallback
        return candidate
