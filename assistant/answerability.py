"""Answerability: are the retrieved paragraphs on the question's topic at all, and do they state
what it asks or only speak of its topic?

Two decisions, in order:
- `SimilarityGate`: anything retrieved similar enough to the question to answer from (else the
  answer is `refused`), and no name in a Chinese question that the corpus never mentions.
- `SimilarityAnswerability`: among what passes the gate, the paragraphs that state the asked
  fact and those that only come close ("How many IAEA inspectors are there?" finds paragraphs on
safeguards that never give the number). The second kind is answered as `related`: the closest
passages, introduced as such, never framed as the answer.

The evidence, cheapest first:
- the best sentence's cosine similarity to the question (EmbeddingGemma, the embedder search
  already loaded): above the band's top the paragraphs answer, below its bottom they only come
  close;
- inside the band, an LLM asked "do these passages answer the question?" decides from its yes/no
  logits (`ChatLLM.yes_probability`) where one is configured or installed; without one, the
  band counts as answered (similarity alone cannot separate the two there without refusing
  answerable questions).

Bands depend on whether question and text share a language (a cross-lingual pair scores lower for
the same meaning), as the retriever's thresholds do. They were read off `benchmarks/refusal.py`
on the dev suite (eval/npt), never on the held-out one; the README gives the measured trade-off.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from vectorstore.embedder import Embedder
from vectorstore.paragraphs import mostly_han, split_sentences

import prompts
from vectorstore.lexical import quiet_jieba
from vectorstore.search import Retriever, SearchResult

from .answers import language_of
from .llm import ChatLLM
from .states import State, states_named

# --- the gate: on the topic at all? ---------------------------------------------------------------

# "Nothing here is relevant" below these similarities. A question over text in its own language
# scores higher than one over text in another (the demo's English questions over Chinese text),
# so each has its own threshold. Calibrated on eval/npt by benchmarks/retrieval.py: the highest
# threshold that refuses no answerable question there (midway between the lowest answerable
# question and the unanswerable one just below it). Unanswerable questions on neighbouring
# topics still score above them; `unknown_names` catches some of those.
RELEVANCE_THRESHOLD = {"same": 0.446, "cross": 0.362}
# A name printed in more than this share of the paragraphs is who speaks ("缔约国", 99 % of the demo
# corpus's), not a topic a question looks up.
SPEAKER_SHARE = 0.5
_NAME_TAGS = frozenset({"ns", "nr", "nt", "nz", "nrt", "nrfg"})
_ASKING = re.compile(r"^(?:哪|什么|多少|谁|何(?!塞)|几(?!内亚))")  # not 几内亚湾, 何塞
# What a Chinese topic lookup may hold besides the name and the words naming a document (its
# year, its title): "documents", and "what do they say about".
_TOPIC_LOOKUP_FILLER = re.compile(
    r"文件|报告|两份|这份|那份|对于?|关于|有关|就|针对|说了?|讲了?|提到了?|提及|谈到了?|怎么|怎样|如何|什么|有何|"
    r"哪些|看法|评价|描述|论述|表述|表示|态度|问题|议题|主席|是|情况|内容|立场|的|了|呢|中|里|在|和|与|年|"
    r"[\s，,。？?！!：:“”\"《》]"
)


class SimilarityGate:
    """Refuses questions on topics the documents do not cover."""

    def __init__(self, retriever: Retriever) -> None:
        self.retriever = retriever
        # One question asks for its lookup names three times (search, gate, sentence choice): the
        # last question's, keyed by the index they were read from. A tuple swapped whole is
        # safe across the server's threads; at worst a thread reads them again.
        self._last_lookup: tuple[tuple[str, str], tuple[str, ...]] | None = None

    @staticmethod
    def threshold(query: str, result: SearchResult) -> float:
        same = (language_of(query) == "zh") == mostly_han(result.text)
        return RELEVANCE_THRESHOLD["same" if same else "cross"]

    def relevant(self, query: str, results: list[SearchResult]) -> list[SearchResult]:
        """The results similar enough to the question to be worth answering from.

        Below the thresholds, a Chinese topic lookup ("福岛", "2024年的总结对福岛说了什么？": a
        name and nothing else the question asks) still has its answer in the paragraphs that
        print the name: a bare name is a short query, and short queries score low. A question
        asking for a fact about the name ("《佩林达巴条约》是在哪一年生效的？") gets no such pass.
        """
        similar = [r for r in results if r.named or r.similarity >= self.threshold(query, r)]
        if language_of(query) != "zh" and (names := self.lookup_names(query)):
            # "What does the 2007 paper say about the ABM Treaty?": across languages ¶19, which
            # prints 《反弹道导弹条约》, reads 0.26, below the gate; the name is the answer's evidence
            # (not a name most paragraphs print: "States parties" names who speaks).
            printing = [r for r in results if r not in similar and any(name in re.sub(r"\s+", "", r.text) for name in names)]
            similar = [*similar, *printing]
        if similar:
            return similar
        names = _topic_lookup_names(query, self.retriever.document_words())
        return [r for r in results if any(name in re.sub(r"\s+", "", r.text) for name in names)]

    def is_relevant(self, query: str, results: list[SearchResult]) -> bool:
        return bool(self.relevant(query, results))

    def is_lookup(self, query: str, relevant: list[SearchResult]) -> bool:
        """Whether the question only looks a topic up: it passed as a topic lookup (none above
        its threshold), or it asks what the documents say of a name they print
        ("2024年总结对伊朗说了什么？"), so that whatever they say of it answers."""
        if not any(r.named or r.similarity >= self.threshold(query, r) for r in relevant):
            return True
        return bool(self.names_looked_up(query, relevant))

    def names_looked_up(self, query: str, relevant: list[SearchResult]) -> list[str]:
        """The names a question asks what the documents say of ("2024年总结对伊朗说了什么？":
        伊朗; "What does the 2007 paper say about the DPRK?": the glossary's Chinese names of the
        DPRK), where the paragraphs print them; [] for any other question."""
        return [name for name in self.lookup_names(query) if any(name in re.sub(r"\s+", "", r.text) for r in relevant)]

    def lookup_names(self, query: str) -> list[str]:
        """The names a question only looks up (see `names_looked_up`), wherever the corpus prints them."""
        lexical = self.retriever.lexical()
        key = (query, lexical.fingerprint)
        if (last := self._last_lookup) is not None and last[0] == key:
            return list(last[1])
        document_words = self.retriever.document_words()
        names = _topic_lookup_names(query, document_words) + _english_lookup_names(query, document_words, self.retriever.terms)
        # "What did States parties say about nuclear security?": 缔约国, printed in most paragraphs,
        # names who speaks, not the topic looked up (¶25's every sentence prints it).
        names = [name for name in names if 0 < lexical.share_printing(name) <= SPEAKER_SHARE]
        self._last_lookup = (key, tuple(names))
        return names

    def unknown_names(self, query: str, turn: str | None = None) -> list[str]:
        """Names in a question that the corpus never mentions, even in part: a question about
        them cannot be answered from it. States in either language (`unknown_states`); in a
        Chinese question also places, people, organisations and titles in 《》.

        Those are read in Chinese only: jieba tags the names, and an English question over Chinese
        text shares no words with it anyway. Short names (two characters) are left out: jieba tags
        too many common words as names at that length. A word in Latin letters ("AUKUS") is a name too,
        known when the corpus prints it or when the glossary gives it a name the corpus prints
        ("IAEA": 原子能机构). `turn`: the asker's own words, where `query` also holds the earlier
        questions it follows; Latin words are read from them only (an earlier English question
        is not a name).
        """
        text = self.retriever.corpus_text()
        states = self.unknown_states(query if turn is None else turn)
        if language_of(query) != "zh":
            return states
        # jieba tags a question word's phrase as a name now and then ("哪些项目": nz); it names nothing
        names = [w for w, flag in quiet_jieba().posseg.lcut(query)
                 if flag in _NAME_TAGS and len(w) >= 3 and not _ASKING.search(w)]
        names += re.findall(r"《([^》]+)》", query)
        unknown = []
        for name in dict.fromkeys(names):
            if re.sub(r"\s+", "", name) in text:
                continue
            parts = [t for t in quiet_jieba().lcut_for_search(name) if len(t) >= 2 and t != name]
            if parts and all(t in text for t in parts):
                continue  # "中亚地区": every part is known
            unknown.append(name)
        latin = self._unknown_latin(query if turn is None else turn, text)
        return list(dict.fromkeys(unknown + states + latin))

    def unknown_states(self, question: str) -> list[str]:
        """The States a question names (ISO's names, English or Chinese: "Germany", 德国) that the
        corpus prints by none of their names, nor by a name the glossary gives them; as the
        question writes them. Two-character Chinese names are read here, as jieba's tags are not."""
        text = self.retriever.corpus_text()
        return [said for said, state in states_named(question) if not self.prints_state(state, text)]

    def prints_state(self, state: State, text: str) -> bool:
        """Whether a text prints a State by one of its names or by one the glossary gives it (the
        United Kingdom is 联合王国 in UN Chinese, not ISO's 英国)."""
        bare = re.sub(r"\s+", "", text)
        return state.printed_in(bare) or any(self._glossary_names(name, bare) for name in state.en)

    def _unknown_latin(self, own: str, text: str) -> list[str]:
        if language_of(own) != "zh" or not re.search(r"[A-Za-z]", own):
            return []
        # A citation marker or a document's id or title words ("[npt-2024-chair-summary ¶142]",
        # "summary") name a document, not a topic.
        words = re.sub(r"\[[^\]]*¶\s*\d+\]", " ", own)
        naming = {info.doc_id for info in self.retriever.store.documents()} | self.retriever.document_words()
        for name in sorted(naming, key=len, reverse=True):
            words = re.sub(re.escape(name), " ", words, flags=re.IGNORECASE)
        latin = re.findall(r"[A-Za-z][A-Za-z'-]*[A-Za-z]", words)
        lowered = text.lower()
        return [w for w in dict.fromkeys(latin) if w.lower() not in lowered and not self._glossary_names(w, text)]

    def _glossary_names(self, word: str, text: str) -> bool:
        """Whether the glossary renders `word` by a name the corpus prints ("IAEA": 原子能机构;
        "United Kingdom": 联合王国, a term that shares the rendering)."""
        terms = self.retriever.terms
        return terms is not None and any(name in text for names in terms.names_of(word) for name in names)


def _topic_lookup_names(query: str, document_words: set[str]) -> list[str]:
    """The names a Chinese question is only a lookup of (see `SimilarityGate.relevant`); []
    otherwise. `document_words`: the years and title phrases by which questions name the documents."""
    if language_of(query) != "zh":
        return []
    names = [w for w, flag in quiet_jieba().posseg.lcut(query) if flag in _NAME_TAGS and len(w) >= 2]
    names += re.findall(r"《([^》]+)》", query)
    if not names:
        return []
    rest = query.lower()
    for word in sorted(set(names) | document_words, key=len, reverse=True):
        rest = rest.replace(word.lower(), "")
    return names if not _TOPIC_LOOKUP_FILLER.sub("", rest) else []


# What an English topic lookup may hold besides the terms it names and the words naming a
# document: "What does the 2007 paper say about the DPRK?"
_TOPIC_LOOKUP_FILLER_EN = re.compile(
    r"\b(what|does|did|do|is|are|was|were|has|have|the|a|an|it|they|its|their|say|says|said|about|on|of|"
    r"regarding|concerning|documents?|papers?|reports?|summary|working|anything|mention|mentions|mentioned|"
    r"tell|me|us|according|to)\b|[\W_\d]", re.IGNORECASE)


def _english_lookup_names(query: str, document_words: set[str], terms) -> list[str]:
    """The Chinese names of the glossary term an English question is only a lookup of, [] otherwise."""
    if terms is None or language_of(query) == "zh":
        return []
    found = terms.in_text(query, "en")
    if not found:
        return []
    rest = query.lower()
    for words in sorted({e.lower() for term in found for e in term.en} | {w.lower() for w in document_words},
                        key=len, reverse=True):
        rest = re.sub(rf"(?<![a-z]){re.escape(words)}(?![a-z])", " ", rest)
    if _TOPIC_LOOKUP_FILLER_EN.sub("", rest):
        return []
    return sorted(set().union(*terms.names_of(query)), key=len, reverse=True)


# --- answered or only close? ----------------------------------------------------------------------

# (bottom, top) of the unsure band of best-sentence similarity, by whether the question and the
# best sentence are in one language ("same") or not ("cross"). Top: just above the highest
# unanswerable question of eval/npt (0.629 same, 0.474 cross), so that about 60 % of questions
# need no readout. Bottom: just below the lowest answerable one (0.469, 0.360): similarity alone
# cannot tell the two apart in between (AUC 0.80 there, no unanswerable question caught at 5 %
# false refusals), so without an LLM the band counts as answered.
BANDS = {"same": (0.45, 0.63), "cross": (0.35, 0.48)}
# P(yes) below which the readout counts as "only close": on eval/npt it catches 4 of the 9
# unanswerable questions the gate lets through and marks 3 of 152 answerable ones related.
LLM_YES = 0.30
LLM_PASSAGES = 4  # the best sentences the LLM reads: what an answer would quote


@dataclass(frozen=True)
class Verdict:
    answers: bool  # False: the paragraphs only come close ("related")
    similarity: float  # the best sentence's, or the named paragraph's where the question names one
    llm_yes: float | None = None  # the LLM's P(yes), where it was asked
    reason: str = ""  # which evidence decided


class Answerability(Protocol):
    def judge(self, question: str, paragraphs: list[SearchResult], lookup: bool = False) -> Verdict:
        """Whether `paragraphs` state what `question` asks. `lookup`: the question only names a
        topic ("福岛"), so any paragraph on it answers."""
        ...


class SimilarityAnswerability:
    """Best-sentence similarity, with an LLM's yes/no readout for the unsure band when one is given."""

    def __init__(
        self,
        embedder: Embedder,
        llm: ChatLLM | Callable[[], ChatLLM | None] | None = None,
        bands: dict[str, tuple[float, float]] = BANDS,
    ) -> None:
        self.embedder = embedder
        self._llm = llm
        self._loading = threading.Lock()
        self.bands = bands

    def judge(self, question: str, paragraphs: list[SearchResult], lookup: bool = False) -> Verdict:
        named = [p.similarity for p in paragraphs if p.named]
        if named:  # "第144段说了什么": the paragraph is the answer
            return Verdict(True, max(named), reason="named paragraph")
        if lookup:
            return Verdict(True, 0.0, reason="topic lookup")
        ranked = ranked_sentences(self.embedder, question, paragraphs)
        if not ranked:
            return Verdict(False, 0.0, reason="no sentences")
        best, sentence = ranked[0]
        if claims_all(question) and speaks_for_some(sentence):
            return Verdict(False, best, reason="the question says all; the closest passage speaks for some")
        if claims_praise(question) and censures(sentence):
            return Verdict(False, best, reason="the question says praised; the closest passage censures")
        bottom, top = self.bands[pairing(question, sentence)]
        if best >= top:
            return Verdict(True, best, reason="similar")
        if best < bottom:
            return Verdict(False, best, reason="dissimilar")
        llm = self.llm()
        if llm is None:
            return Verdict(True, best, reason="unsure, no LLM")
        yes = llm_readout(llm, question, ranked)
        return Verdict(yes >= LLM_YES, best, yes, reason="llm")

    def llm(self) -> ChatLLM | None:
        # Loaded on the first unsure question, not at start; once, though a server's answer
        # threads all meet their first unsure question at the same moment (each load is 1 GB).
        with self._loading:
            if callable(self._llm) and not hasattr(self._llm, "yes_probability"):
                self._llm = self._llm()
        return self._llm


def ranked_sentences(embedder: Embedder, question: str, paragraphs: list[SearchResult]) -> list[tuple[float, str]]:
    """Every sentence of the paragraphs with its similarity to the question, best first."""
    sentences = [s for p in paragraphs for s in split_sentences(p.text)]
    if not sentences:
        return []
    scores = embedder.embed_documents(sentences) @ embedder.embed_queries([question])[0]
    return sorted(zip(map(float, scores), sentences), key=lambda pair: -pair[0])


def pairing(question: str, text: str) -> str:
    """"same" when question and text are in one language (by script), else "cross"."""
    return "same" if mostly_han(question) == mostly_han(text) else "cross"


def llm_readout(llm: ChatLLM, question: str, ranked: list[tuple[float, str]]) -> float:
    """The LLM's P(yes) that the best sentences answer the question."""
    passages = "\n".join(sentence for _, sentence in ranked[:LLM_PASSAGES])
    return llm.yes_probability(
        prompts.messages("answerable", language_of(question), passages=passages, question=question))


# --- premises: what a question takes as given -----------------------------------------------------


def unstated_numbers(question: str, paragraphs: list[SearchResult], naming: set[str] = frozenset()) -> list[str]:
    """The numbers a question states (a year, a count, a resolution) that none of the paragraphs
    does: "The TPNW entered into force in 2017, didn't it?" over a paragraph giving 2021. Quotes
    that answer such a question would read as agreeing with it, so it is answered as `related`.
    `naming`: numbers that name a document ("the 2024 summary"), not a fact. The paragraphs'
    Chinese numerals count ("六次" states 6); the question's digits only, since a Chinese
    question's 一些 is no number."""
    from .metrics import numbers_in
    from .translation import chinese_numerals

    asked = numbers_in(question) - set(naming)
    if not asked or not paragraphs:
        return []
    stated: set[str] = set()
    for paragraph in paragraphs:
        stated |= numbers_in(paragraph.text)
        if mostly_han(paragraph.text):
            stated |= chinese_numerals(paragraph.text)
    return sorted(asked - stated, key=lambda n: (len(n), n))


# "All States parties welcomed…" asked of a summary that says "许多缔约国" (many): quoting that
# passage as the answer would confirm the "all".
_ALL = re.compile(r"(所有|全体|全部)(的)?(缔约国|国家)|一致(同意|认为|欢迎|支持|通过)|"
                  r"\b(all|every)\s+(the\s+)?(States?|countries|parties)\b|\bunanimous", re.IGNORECASE)
_SOME = re.compile(r"^(?:[^，,。]{0,10}[，,])?\s*(一些|许多|有些|若干|少数|一个|几个|多个|部分|某些)(核武器|无核武器)?(缔约国|国家)|"
                   r"^(Some|Many|Several|A number of|A few|One|Certain)\b[^.]{0,40}?\bStates?\b")


# "Which State party claimed …?" asks who did something: the asked State is the subject. Not
# "Which country was welcomed …?", "Which country's …", "要求哪些国家…", "把哪些国家作为…",
# "哪些国家被要求…": there the asked State is what the passage's subject acts on.
_ASKS_ACTOR_EN = re.compile(r"\b(which|what) (States?|countries|country|nations?)( parties| party)?\s+"
                            r"(?!(was|were|is|are|has been|have been|had been)\b)[a-z]", re.IGNORECASE)
_ASKS_ACTOR_ZH = re.compile(r"(?<![把对向将让令使])(?<!要求|促请|敦促|呼吁|欢迎|批评|谴责|鼓励)"
                            r"(哪些|哪个|哪一个|哪几个|哪一)(国家|缔约国|核武器国家|国)(?!家?被)")


def asks_for_actor(question: str) -> bool:
    """Whether the question asks which State did something (the State is its subject), and does
    not itself say that an unnamed State did it ("有一个缔约国呼吁…不要把哪些国家…")."""
    if re.search(r"(有|某)(一个|一些|个|些)?(核武器国家|缔约国|国家)|\b(one|a) (State|country)\b", question, re.IGNORECASE):
        return False
    pattern = _ASKS_ACTOR_ZH if language_of(question) == "zh" else _ASKS_ACTOR_EN
    return pattern.search(question) is not None


def claims_all(question: str) -> bool:
    """Whether the question says all States (or all of them agreed) did something."""
    return _ALL.search(question) is not None


def speaks_for_some(sentence: str) -> bool:
    """Whether a passage attributes what it says to some States only ("一些缔约国", "Many States")."""
    return _SOME.search(sentence.strip()) is not None


# "Why did the 2007 working paper praise Iran…?" asked of a paragraph that expresses serious
# concern: quoting it as the answer would read as the praise. Welcoming is left out of the
# question's side: the documents welcome many things, and a question about that is ordinary.
_PRAISE_CLAIM = re.compile(r"称赞|赞扬|表扬|褒扬|夸奖|\b(praise[sd]?|praising|commend(s|ed|ing)?|applaud(s|ed|ing)?|laud(s|ed|ing)?)\b",
                           re.IGNORECASE)
# Whole words: "the States concerned", "concerning", "urgent" censure nothing.
_CENSURE = re.compile(r"谴责|关切|遗憾|敦促|促请|\b(condemn\w*|deplor\w*|regret\w*|urg(e|es|ed|ing)\b|"
                      r"(express\w*|voic\w*|rais\w*|serious|grave|deep\w*)\s+(\w+\s+){0,2}concerns?\b)", re.IGNORECASE)
_PRAISE = re.compile(r"称赞|赞扬|赞赏|欢迎|表扬|\b(commend|welcom|appreciat|prais)", re.IGNORECASE)


def claims_praise(question: str) -> bool:
    """Whether the question says someone praised something ("称赞", "praise", "commend")."""
    return _PRAISE_CLAIM.search(question) is not None


def censures(sentence: str) -> bool:
    """Whether a passage condemns, regrets, is concerned or urges, and praises nothing."""
    return _CENSURE.search(sentence) is not None and _PRAISE.search(sentence) is None


# --- the asked fact: its kind, and whether quotes state one ---------------------------------------

# A question for a count or an amount ("How many…", "what percentage", "the budget", "多少", "几个").
_COUNT = re.compile(r"\bhow (many|much|long|high)\b|多高|多久|多长时间|"
                    r"\b(that|this|the same|the) (count|figure|total)\b|(这个|这一|该)(数字|数目)|\bnumber of\b|\b(what|which) (percentage|proportion|share|amount|sum|figure)\b|"
                    r"\b(budget|cost)\b|多少|几(个|项|次|份|座|届|名|枚|吨|国)|百分之|百分比|比例|预算|金额|费用|经费",
                    re.IGNORECASE)
# A question for a date ("When was…", "in what year", "哪一年", "何时"). "when" only where it asks:
# "standards suppliers apply when exporting" asks for none.
_WHEN = re.compile(r"(^|[,;:?]\s*|\band\s+)when\b|\bwhen (is|was|were|will|did|does|do|has|have|had|can|should)\b|"
                   r"\b(what|which) (years?|dates?|months?|days?)\b|\bthe dates? of\b|\bsince when\b|"
                   r"哪一?年|何年|何时|什么时候|哪一?天|几月|几号|日期", re.IGNORECASE)
# A date, or the session or meeting that dates an event ("at its sixty-first session", "第十一届会议").
_DATE = re.compile(r"(?<!\d)(1[89]|20)\d\d(?!\d)|\d+\s*月|\b(January|February|March|April|May|June|July|August|"
                   r"September|October|November|December)\b|第[\d零〇一二三四五六七八九十百]+(届|次)|"
                   r"\b\w+(th|st|nd|rd|ieth) (session|meeting|Review Conference)\b")


# A count in Chinese numerals is a numeral before a measure word ("六次", "九个", "百分之三十"):
# "一致认为" and "一些" hold a numeral and state no count.
_CHINESE_COUNT = re.compile(r"百分之[零〇一二两三四五六七八九十百]+|[零〇一二两三四五六七八九十百千万亿]+"
                            r"(?=个|项|次|名|枚|座|届|份|国|吨|位|条|点|种|类|所|家|年|月|日|亿|万|周年|倍|人|艘)")


# A question for States by name ("Which State…", "哪些国家") or for a place ("Where…", "哪座城市").
_WHICH_STATE = re.compile(r"哪些国家|哪个国家|哪一?国|哪几个国家|哪一个国家|哪些缔约国|哪个缔约国|哪一个缔约国|"
                          r"\b(which|what) (States?|countries|country|nations?)( parties| party)?\b", re.IGNORECASE)
_WHERE = re.compile(r"(^|[,;:?]\s*|\band\s+)where\b|\bwhere (is|was|were|will|did|does|do|has|have|had)\b|"
                    r"\b(in|at) (which|what) (city|place|country|venue|location)\b|\bwhich (city|venue)\b|"
                    r"哪座城市|哪个城市|哪一城市|在哪里|在哪儿|在何处|何地|什么地方|哪个地方", re.IGNORECASE)
# jieba's tags for the names of States and places; an organisation ("nt") names a State when it
# is one ("朝鲜民主主义人民共和国", "联合王国"), a place when it holds one ("纽约联合国总部").
# A question for an article of a treaty or charter ("Which articles…", "第几条", "哪些条款"), and
# the article numbers a text states ("第五十一条", "第二条第四项", "Article VI"; not "条约").
_WHICH_ARTICLE = re.compile(r"\b(which|what) (articles?|provisions?)\b|\barticle numbers?\b|哪一?条(?!约)|第几条|"
                            r"哪些条款|哪个条款|哪项条款|哪一条款|哪几条", re.IGNORECASE)
_ARTICLE = re.compile(r"第[\d零〇一二三四五六七八九十百]+条(?!约)(?:第\s*[\d零〇一二三四五六七八九十]+\s*(?:款|项))?|"
                      r"\bArticles?\s+(?:[IVXLC]+|\d+)\b")
# A question for the outcome of a review, a discussion or a meeting ("最终得出了什么结论", "what
# did the Board decide"), and the words by which a passage states one. A passage that notes the
# review or the discussion ("表示注意到…的讨论") states none.
# Whether something was adopted asks for an outcome too ("是否通过了…最后文件？", "Did the Conference
# adopt…?"): "缔约国一致认为，2026 年审议大会取得圆满成功非常重要" hopes for one and states none.
_ASKS_OUTCOME = re.compile(r"(得出|作出|做出|通过|达成)了?(什么|何种|哪些|怎样的)(结论|决定|决议|结果|协议)|"
                           r"(结论|结果|决定)是什么|\bwhat ((was|were) the )?(conclusions?|decisions?|outcomes?|results?)\b|"
                           r"\bwhat did\b.{0,80}\b(conclude|decide)\b|"
                           r"(是否|有没有|有无)(最终|最后|已经)*(通过|达成|商定)|(通过|达成|商定)了?(吗|没有)\s*[？?]?$|"
                           r"^\s*(did|has|have|had|was|were)\b.{0,100}\b(adopt(ed)?|agree(d)? (on|to|upon)|"
                           r"reach(ed)? (an? )?(consensus|agreement)|approve(d)?)\b", re.IGNORECASE)
_OUTCOME = re.compile(r"结论|决定|决议|通过|得出|商定|同意|达成|\b(conclu\w*|decid\w*|decision\w*|adopt\w*|agreed|"
                      r"outcomes?|results?)\b", re.IGNORECASE)
_NAME_OF_PLACE = frozenset({"ns", "nr", "nrt"})
_STATE_ORGANISATION = re.compile(r"(国|共和国|王国|联邦)$")


# Numbers that date or rank something, and count nothing: "2025 年 3 月 3 日至 7 日", "第十九届会议",
# "21 June 2022", the year of "1737（2006）". "How many warheads…" is not answered by a paragraph
# whose only numbers are the date of a meeting. A resolution's number counts nothing either, unless
# the question asks of resolutions: "哪几项决议" asks for it (`_RESOLUTION_NUMBER`).
_NOT_A_COUNT = re.compile(
    r"(?<!\d)(1[89]|20)\d\d\s*年(\s*\d{1,2}\s*月)?(\s*\d{1,2}\s*日)?|\d{1,2}\s*月(\s*\d{1,2}\s*日)?|\d{1,2}\s*日|"
    r"[（(]\s*\d{4}\s*[）)]|第\s*[零〇一二三四五六七八九十百]+\s*(届|次|条|段|款|项)|"
    r"\b\d{1,2}(\s*(-|–|to|and)\s*\d{1,2})?\s+(January|February|March|April|May|June|July|August|September|"
    r"October|November|December)(\s+\d{4})?\b|\b(January|February|March|April|May|June|July|August|September|"
    r"October|November|December)\s+\d{4}\b|\b(in|of|since|by|from|until|before|after)\s+(19|20)\d\d\b|"
    r"\b(paragraph|article)s?\s+\d+", re.IGNORECASE)
_RESOLUTION_NUMBER = re.compile(r"第\s*\d+\s*[（(]\s*\d{4}\s*[）)]\s*号|\bresolutions?\s+\d+\s*\(\d{4}\)", re.IGNORECASE)
_ASKS_RESOLUTION = re.compile(r"决议|\bresolutions?\b", re.IGNORECASE)
# "Who chaired the session?", "主席是谁？", "Who is the Director General of the IAEA?": a person
# answers, named with a title ("…大使", "Mr. …"); "六位主席的主持下" (six presidents of another body)
# and "原子能机构总干事" (the office) name none. Only who holds an office or presided: "who
# proposed it" is answered by "一些缔约国" as often as by a name.
_WHO_HOLDS_OFFICE = re.compile(r"\bwho\s+(chaired|chairs|presided|presides|was|is|were)\b[^?]{0,40}\b(chair|chairman|chairperson|"
                               r"chairwoman|president|director[- ]general|secretary[- ]general|high representative|"
                               r"executive secretary|minister|head)\b(?!'s)|\bwho\s+(chaired|chairs|presided over|presides over)\b|"
                               r"\b(chair|chairman|chairperson|chairwoman|president)\b(\s+of\b[^?]{0,40})?\s+(was|is)\s+who\b|"
                               r"(主席|总干事|秘书长|高级代表|执行秘书|负责人)是谁|谁(担任|是|出任)了?[^？?，,。]{0,16}(主席(?!国)|总干事|秘书长|高级代表|执行秘书)|"
                               r"由?谁主持|主持人是谁|哪位[^？?，,。]{0,6}(主席|主持|总干事|秘书长)",
                               re.IGNORECASE)
# "Which Security Council resolution…", "哪几项决议": a resolution's number answers ("第 1540(2004)号决议",
# "第 78/240 号决议", "1887(2009)"), not a passage on its topic that cites none.
_WHICH_RESOLUTION = re.compile(r"\b(which|what) ((UN|UNSC|United Nations|Security Council|General Assembly|IAEA|"
                               r"Board( of Governors)?)\s+){0,3}resolutions?\b|"
                               r"哪(一|个|项|一项|几项|些)?(安全理事会|安理会|大会|理事会)?决议|什么决议|第几号决议", re.IGNORECASE)
# A resolution named by its title rather than its number ("关于中东的决议(1995 年决议)", "the
# resolution on the Middle East").
_RESOLUTION_TITLE = re.compile(r"关于[^，。；、]{1,20}?的决议|\d{4}\s*年决议|\bresolution on (the )?[A-Z][\w-]*( [A-Z][\w-]*)*")
_RESOLUTION = re.compile(r"第\s*(\d[\d/]*)\s*(?:[（(]\s*\d{4}\s*[）)])?\s*号|\bresolutions?\s+(\d[\d/]*)|"
                         r"(?<![\d/])(\d{3,4})\s*[（(]\s*\d{4}\s*[）)]", re.IGNORECASE)
_TITLED_PERSON = re.compile(r"先生(?!们)|女士(?!们)|大使(?![馆级])|阁下|博士|\b(Mr|Mrs|Ms|Dr|H\.\s?E)\.?\s+[A-Z]|"
                            r"\b(Ambassador|Professor|Minister)\s+(?!The\b)[A-Z]")
# "What percentage of…", "多大比例": a share answers, a count ("105 个国家") does not.
_ASKS_SHARE = re.compile(r"\b(what|which) (percentage|proportion|share)\b|\bper ?cent\b|百分之几|百分比|比例", re.IGNORECASE)
_SHARE = re.compile(r"\d\s*(%|％|per ?cent\b)|百分之|[一二三四五六七八九十]分之[一二三四五六七八九十]|"
                    r"\b(one|two)[- ]thirds?\b|\b(one|three)[- ]quarters?\b|\bhalf\b|半数", re.IGNORECASE)
_ROUGHLY = re.compile(r"\b(roughly|approximately|about|around|some|estimated)\b|大约|大概|约|左右|估计", re.IGNORECASE)


def asked_fact(question: str) -> str | None:
    """What kind of fact the question asks for, where the quotes can be checked for it: "date"
    ("When…", "哪一年"), "count" ("How many…", "多少", "the budget"), "place" ("Where…", "哪座
    城市"), "state" ("Which State…", "哪些国家"), "article" ("Which article…", "第几条"), "outcome"
    ("最终得出了什么结论", "What did the Board decide?"), "person" ("Who chaired…", "主席是谁"),
    "resolution" ("Which Security Council resolution…", "哪几项决议"), else None."""
    for kind, pattern in (("date", _WHEN), ("count", _COUNT), ("person", _WHO_HOLDS_OFFICE), ("resolution", _WHICH_RESOLUTION),
                          ("place", _WHERE), ("state", _WHICH_STATE),
                          ("article", _WHICH_ARTICLE), ("outcome", _ASKS_OUTCOME)):
        if pattern.search(question):
            return kind
    return None


# "In which city…", "哪座城市": a city answers, a region ("中东", "中亚", "南太平洋") does not.
_ASKS_CITY = re.compile(r"\b(which|what) city\b|哪座城市|哪个城市|哪一城市|哪一座城市", re.IGNORECASE)
_REGION = re.compile(r"(东|西|南|北|亚|洲|欧|美|非|地区|区域|半岛|洋|海|湾)$")
_SEAT = re.compile(r"(总部|市)$")  # an organisation names a city where it is a seat ("纽约联合国总部"); "联合国" is none


def asks_city(question: str) -> bool:
    return _ASKS_CITY.search(question) is not None


# "Where will the 2026 Review Conference be held?", "Where is the CTBTO headquartered?", "在哪里召开":
# where a meeting meets or a body sits, which a place answers. Not any "Where…": "Where did States
# raise the issue?" is answered by a forum, and cooperation "takes place" in fields.
_ASKS_VENUE = re.compile(r"\b(held|hosted|located|headquartered|based|convened|seated|situated)\b|"
                         r"举行|举办|召开|开会|(?:哪里|哪儿|何处)开(?![展始发放])|位于|设在|坐落|总部", re.IGNORECASE)


def asks_venue(question: str) -> bool:
    """Whether a "where" question asks for a place by name: a city, or a venue that names one."""
    return asks_city(question) or (_WHERE.search(question) is not None and _ASKS_VENUE.search(question) is not None)


def names_city(text: str, question: str = "") -> bool:
    """Whether a Chinese text names a place that may be a city (not a region, not one the
    question names itself); any English text counts as naming one (jieba reads Chinese only)."""
    if not mostly_han(text):
        return True
    return any(name not in question and ((flag in _NAME_OF_PLACE and not _REGION.search(name)) or
                                         (flag == "nt" and _SEAT.search(name)))
               for name, flag in quiet_jieba().posseg.lcut(text) if len(name) >= 2)


# A region or a body by name, which names no State ("中东", "南亚", "联合国"); not by its last character,
# as `_REGION` reads a city's: 叙利亚, 冈比亚 and 南非 are States.
_NOT_A_STATE = re.compile(r"(地区|区域|半岛|大洋|海域)$|^(中东|中亚|南亚|东亚|西亚|东南亚|东北亚|非洲|欧洲|亚洲|美洲|拉丁美洲|"
                          r"北美|南美|加勒比|太平洋|南太平洋|大西洋|印度洋|地中海|海湾|北极|南极|南半球|北半球|联合国)$")


def names_one(text: str, kind: str, question: str = "") -> bool:
    """Whether a Chinese text names a State or place ("state", "place") other than a region and
    other than the question's own: "印度和巴基斯坦" does, "中东" (a region) does not."""
    return any(name not in question and not _NOT_A_STATE.search(name) for name in names_in(text, kind))


def names_in(text: str, kind: str) -> set[str]:
    """The States ("state") or places ("place") a Chinese text names, as jieba tags them."""
    names = set()
    for word, flag in quiet_jieba().posseg.lcut(text):
        if len(word) < 2:
            continue
        if flag in _NAME_OF_PLACE or (flag == "nt" and (kind == "place" or _STATE_ORGANISATION.search(word))):
            names.add(word)
    return names


def articles_in(text: str) -> set[str]:
    """The article numbers a text states, whitespace removed ("第二条第四项", "ArticleVI")."""
    return {re.sub(r"\s+", "", m.group(0)) for m in _ARTICLE.finditer(text)}


def states_fact(kind: str, text: str, question: str = "") -> bool:
    """Whether `text` states a fact of the `kind` asked, other than the numbers the question
    itself gives ("When will the 2026 Review Conference be held?" is not answered by "2026")."""
    from .metrics import numbers_in
    from .translation import chinese_numerals

    if kind in ("state", "place"):
        # Chinese text only (jieba's tags); what the question names itself is no answer to it
        return not mostly_han(text) or any(name not in question for name in names_in(text, kind))
    if kind == "article":
        return bool(articles_in(text) - articles_in(question))
    if kind == "outcome":
        return _OUTCOME.search(text) is not None
    if kind == "person":
        return _TITLED_PERSON.search(text) is not None
    if kind == "resolution":
        cited = {next(g for g in m.groups() if g) for m in _RESOLUTION.finditer(text)}
        if cited - {next(g for g in m.groups() if g) for m in _RESOLUTION.finditer(question)} - numbers_in(question):
            return True
        return any(re.sub(r"\s+", "", m.group(0)) not in re.sub(r"\s+", "", question) for m in _RESOLUTION_TITLE.finditer(text))
    given = numbers_in(question)
    if kind == "count" and _ASKS_SHARE.search(question):
        return _SHARE.search(text) is not None
    if kind == "date":
        return any(m.group(0) not in given for m in _DATE.finditer(text))
    if not _ASKS_RESOLUTION.search(question):
        text = _RESOLUTION_NUMBER.sub(" ", text)
    text = _NOT_A_COUNT.sub(" ", text)
    numbers = numbers_in(text)
    for match in _CHINESE_COUNT.finditer(text) if mostly_han(text) else ():
        if text[max(match.start() - 1, 0):match.start()] in ("几", "数") and not _ROUGHLY.search(question):
            continue  # "几千枚" (several thousand) answers "roughly how many", not "how many"
        if match.group(0) == "一":
            continue  # "一项后续条约" is "a follow-on treaty": Chinese says "a" with "one"
        numbers |= chinese_numerals(match.group(0)) or {match.group(0)}  # cn2an reads no "两"
    return bool(numbers - given)
