"""The retriever: dense search fused with lexical evidence, document hints and paragraph references.

How a question is answered with paragraphs, in order:

1. A question that names a paragraph ("第144段", "paragraph 37 of the 2007 paper") gets that
   paragraph first.
2. Dense: a paragraph's similarity to the question is the better of its own vector's and its best
   sentence's (an answer often sits in one clause of a long paragraph, where a neighbouring
   paragraph wins on the whole-paragraph vector). On the dev set this took recall@1 from 0.85 to
   0.94 (Chinese) and 0.86 to 0.99 (English).
3. Lexical: BM25 over the sentences, fused with the dense ranking by reciprocal rank, weighted by
   how much of the question's vocabulary the corpus knows (idf-weighted). An English question
   over Chinese text shares no words with it, and fusing its lexical noise anyway costs recall;
   numbers and names it shares ("1737") still count. The years and titles that name documents
   ("2007", "working paper") are left out of the lexical query: they matched the wrong paragraphs.
4. A question that names a document by year or title ("2007年的工作文件", "the 2024 summary")
   prefers that document's paragraphs.

Each result carries `score` (the fused score, which orders the results) and `similarity` (the
dense similarity above, comparable across questions). Whether they are worth answering from is
`assistant.answerability`'s to decide: this module knows nothing of answers.

The weights were chosen on eval/npt (benchmarks/retrieval.py prints the figures).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from .embedder import Embedder
from .lexical import LexicalIndex, LexicalScores, current_index
from .paragraphs import language_of
from .store import DocumentInfo, ParagraphStore, documents_fingerprint

RRF_K = 10
CANDIDATES = 50
SENTENCE_CANDIDATES = 100
WEIGHT_LEXICAL = 0.3
DOCUMENT_HINT_BONUS = 1.5 / RRF_K  # lifts the named document's match over near-ties, not more
OTHER_TITLE_PENALTY = 0.5 / RRF_K  # drops a paragraph about another treaty below near-ties
TITLE = re.compile(r"《([^》]+)》")
ACRONYM = re.compile(r"[A-Z][A-Z.]*[A-Z]\.?")

PARAGRAPH_REF = re.compile(
    r"第\s*(\d{1,6})\s*段|(?:paragraph|para\.?|¶)\s*(\d{1,6})\b", re.IGNORECASE
)
_YEAR = re.compile(r"(?<!\d)(19\d{2}|20\d{2})(?!\d)")


class Term(Protocol):
    zh: str
    en: tuple[str, ...]


class Terms(Protocol):
    """A bilingual glossary (assistant.translation.Glossary): the terms a text holds."""

    def in_text(self, text: str, language: str) -> list[Term]: ...

    def names_of(self, text: str) -> list[set[str]]: ...


@dataclass(frozen=True)
class SearchResult:
    doc: str
    paragraph: int
    title: str
    text: str
    score: float  # fused: what orders the results
    similarity: float  # dense: comparable across questions
    named: bool = False  # the question names this paragraph by number ("第144段")
    lexical: float = 0.0  # the lexical share of `score`

    def as_json(self) -> dict:
        data = asdict(self)
        data["score"] = round(self.score, 6)
        data["similarity"] = round(self.similarity, 6)
        return data


def document_hints(infos: list[DocumentInfo]) -> dict[str, set[str]]:
    """Per document, the years and phrases by which a question may name it among the others.

    Phrases, not single words ("working" alone would match "Working Group"): the document id's
    words and its title, each less what most of the documents share ("npt", "chair" in
    `npt-2007-chair-working-paper` beside `npt-2024-chair-summary`; the title prefix "主席的" of
    "主席的工作文件" beside "主席的总结"), which names none of them, and the title's head after a
    possessive ("主席的总结" → "总结", "Chair's summary" → "summary"), which a lone document is
    named by too. No word list: what a set of documents shares is read off the set. What is left
    must still name something (two Chinese characters or four letters), else the whole phrase
    stays: `report-a` beside `report-b` keeps "report a", never "a".
    """
    id_words = {i.doc_id: [w for w in re.split(r"[-_\s]+", i.doc_id.lower()) if w and not _YEAR.fullmatch(w)]
                for i in infos}
    common = {w for w in set().union(*map(set, id_words.values()))
              if len(infos) >= 2 and sum(w in words for words in id_words.values()) * 2 > len(infos)}
    shared_prefix = _word_prefix([i.title for i in infos]) if len(infos) >= 2 else ""
    hints = {}
    for info in infos:
        years = set(_YEAR.findall(" ".join([info.doc_id, info.title, info.metadata.get("date", "")])))
        whole = " ".join(id_words[info.doc_id])
        distinct = " ".join(w for w in id_words[info.doc_id] if w not in common)
        title = info.title.strip().lower()
        phrases = {_naming_part(distinct, whole if _names_something(whole) else ""),
                   _naming_part(title[len(shared_prefix):].strip(), title),
                   _naming_part(re.split(r"的|'s\s", title)[-1].strip(), title)}
        hints[info.doc_id] = years | {p for p in phrases if p}
    return hints


_NAMED_BY_ZH = r"(?:根据|依据|按照|据|在)?"
_NAMED_IN_ZH = r"(?:中|里面|里|内|上面|上(?![述面]))?的?"
_NAMED_BY_EN_PREPOSITION = r"(?:according to|compared with|in|from|of|by|with|than|and|to|for|on|at|between)\s"
_NAMED_BY_EN = rf"(?:\b{_NAMED_BY_EN_PREPOSITION}+)?"
_GENERIC_ZH = r"文件|文档"
_GENERIC_EN = r"document|paper|report"


def _unnamed(match: re.Match) -> str:
    """A phrase naming a document, gone; in English, "it" where it was no prepositional phrase
    ("What did the 2007 paper say about X?": "What did it say about X?"): an English question
    without its subject reads farther from every sentence, not closer."""
    phrase = match.group(0).strip()
    if not re.match(r"[a-z]", phrase, re.IGNORECASE) or re.match(_NAMED_BY_EN_PREPOSITION, phrase, re.IGNORECASE):
        return " "
    return " it "


def _matched_documents(query: str, infos: list[DocumentInfo]) -> dict[str, int]:
    """Of two or more documents, those the question names, each with how many of its hints it
    holds (hints every document shares name none)."""
    if len(infos) < 2:
        return {}
    lowered = query.lower()
    hints = document_hints(infos)
    shared = set.intersection(*hints.values())
    matched: dict[str, int] = {}
    for doc_id, words in hints.items():
        found = [w for w in words - shared if w in lowered]
        if found:
            matched[doc_id] = len(found)
    return matched


# A question that sets documents side by side ("…, and how many according to…", "2007年和2024年的文件
# 分别…", "compared with").
_COMPARES = re.compile(r",?\s+and\s+(?:how|what|which|when|where|who|according to|in the)\b|\bcompared\b|\bversus\b|"
                       r"\bvs\b|\bboth\b|\beach\b|\bwhile\b|分别|相比|比较|对比|各自|[和与及跟]\s*(?:19|20)\d\d", re.IGNORECASE)
# "Both documents…", "the two documents", "两份文件": each of them is asked of.
_EACH_DOCUMENT = re.compile(r"\bboth (?:documents|texts|papers)\b|\b(?:the|these) two (?:documents|texts|papers)\b|"
                            r"\beach (?:of the )?documents?\b|两份文件|两个文件|两份文档|这两份", re.IGNORECASE)


def without_document_names(query: str, infos: list[DocumentInfo]) -> str:
    """The question less the phrases by which it names a document ("2007年工作文件中", "according
    to the 2024 summary", "the 2007 paper").

    Which document is asked about is the retriever's filter; to the embedding model those words
    are a topic that no sentence shares: "2007年工作文件中提到了哪些出口管制安排？" reads 0.44 to
    the sentence that names them, "提到了哪些出口管制安排？" 0.56. A year alone stays ("the
    programme in 2006" may ask about that year); a year before a document's name or before
    "文件", "paper", "report" names the document. The question as it was when nothing else is left.
    """
    hints = document_hints(infos)
    years = sorted({h for words in hints.values() for h in words if _YEAR.fullmatch(h)})
    names = {h for words in hints.values() for h in words if not _YEAR.fullmatch(h)}
    for info in infos:
        for title in {info.title, *(v for k, v in info.metadata.items() if k.startswith("title_"))}:
            title = " ".join(str(title).lower().split())
            if _names_something(title):
                names |= {title, title.replace("的", ""), title.replace("'s ", " ")}
    if not names and not years:
        return query
    year = rf"(?:(?:{'|'.join(years)})\s*年?\s*的?\s*)" if years else ""
    ordered = sorted(names, key=len, reverse=True)
    chinese = "|".join(re.escape(n) for n in ordered if not re.search(r"[a-z]", n))
    english = "|".join(re.escape(n) for n in ordered if re.search(r"[a-z]", n))
    patterns = []
    if chinese:
        patterns.append(rf"{_NAMED_BY_ZH}{year}?(?:{chinese}){_NAMED_IN_ZH}")
    if english:
        # in English a title word names the document after "the" or its year: "a summary of…" does not
        article = rf"(?:the\s+{year}?|{year})" if year else r"the\s+"
        patterns.append(rf"{_NAMED_BY_EN}{article}(?:{english})\b")
    if year:
        # A corpus of session records: "the 2024 session" is the session a document records; not
        # "its 2024 session" or "the 2024 session of the General Conference", another body's.
        patterns += [rf"{_NAMED_BY_ZH}{year}(?:{_GENERIC_ZH}){_NAMED_IN_ZH}", rf"{_NAMED_BY_EN}(?:the\s+)?{year}(?:{_GENERIC_EN})\b",
                     rf"{_NAMED_BY_EN}the\s+{year}session\b(?!\s+of\b)"]
    left = re.sub("|".join(patterns), _unnamed, query, flags=re.IGNORECASE)
    left = re.sub(r"\s*[,，]\s*(?=[?？.。]|$)", "", re.sub(r"\s+", " ", left))  # "…in force , ?"
    left = re.sub(r"\s+(?=[?？.。,，])", "", left).strip(" ,，:：")
    return left if len(re.sub(r"\W", "", left)) >= 4 else query


def spelled_out(query: str, terms: Terms | None) -> str:
    """An English question with its acronyms spelled out by the glossary ("TPNW": "Treaty on the
    Prohibition of Nuclear Weapons"), for the embedding model, which reads an acronym as a string
    of letters: "Which city hosted the first meeting of States parties to the TPNW?" scores 0.21
    against the paragraph that answers it, spelled out 0.50. On eval/npt, recall@1 of the
    standalone questions 0.958 -> 0.964; held-out unchanged (0.863)."""
    if terms is None or language_of(query) == "zh":
        return query
    for term in terms.in_text(query, "en"):
        full = term.en[0]
        for rendering in term.en:
            if ACRONYM.fullmatch(rendering) and not ACRONYM.fullmatch(full):
                query = re.sub(rf"(?<![A-Za-z]){re.escape(rendering)}(?![A-Za-z])", full, query)
    return query


def _word_prefix(titles: list[str]) -> str:
    """What all the titles begin with, cut back to a whole word where it ends inside one."""
    prefix = os.path.commonprefix([t.strip().lower() for t in titles])
    if re.search(r"[a-z0-9]$", prefix) and any(re.match(r"[a-z0-9]", t.strip().lower()[len(prefix):]) for t in titles):
        prefix = prefix[:prefix.rfind(" ") + 1]
    return prefix


def _naming_part(part: str, whole: str) -> str:
    return part if _names_something(part) else whole


def _names_something(text: str) -> bool:
    """Long enough to name a document: two Chinese characters, or four letters."""
    return len(re.findall(r"[\u4e00-\u9fff]", text)) >= 2 or len(re.findall(r"[A-Za-z]", text)) >= 4


@dataclass
class Candidates:
    """What the stages of one search know and score, by record id."""

    query: str
    vector: np.ndarray
    infos: list[DocumentInfo]
    index: LexicalIndex
    allowed: set[str]  # the documents searched
    preferred: set[str]  # the documents the question names
    doc_ids: list[str] | None
    similarity: dict[str, float] = field(default_factory=dict)  # dense
    lexical: dict[str, float] = field(default_factory=dict)  # the lexical share of `fused`
    fused: dict[str, float] = field(default_factory=dict)  # the order of the results
    named: list[str] = field(default_factory=list)  # paragraphs the question names by number, first

    def results(self) -> list[SearchResult]:
        reader = language_of(self.query)  # titles in the asker's language where the document has one
        first = {record_id: i for i, record_id in enumerate(self.named)}
        ranked = sorted(self.fused, key=lambda r: (first.get(r, len(first)), -self.fused[r]))
        return [SearchResult(p.doc_id, p.number, p.title_in(reader), p.text, self.fused[r], self.similarity.get(r, 0.0),
                             named=r in self.named, lexical=self.lexical.get(r, 0.0))
                for r in ranked for p in [self.index.rows[self.index.row_of[r]]]]


class Retriever:
    def __init__(self, store: ParagraphStore, embedder: Embedder, lexical_dir: Path, terms: Terms | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.lexical_dir = lexical_dir
        self.terms = terms
        self._lexical: LexicalIndex | None = None

    def lexical(self, infos: list[DocumentInfo] | None = None) -> LexicalIndex:
        """The lexical index for the store as it is; `infos`: its documents, if just read."""
        infos = self.store.documents() if infos is None else infos
        if self._lexical is None or self._lexical.fingerprint != documents_fingerprint(infos):
            self._lexical = current_index(self.store, self.lexical_dir)
        return self._lexical

    def search(self, query: str, k: int = 5, doc_ids: list[str] | None = None) -> list[SearchResult]:
        query = query.strip()
        if not query:
            return []
        infos = self.store.documents()  # read once: every stage below needs it
        lexical = self.lexical(infos)
        allowed = set(doc_ids) if doc_ids else {row.doc_id for row in lexical.rows}
        # Dense similarity reads what the question asks: the words that name its document are the
        # `_prefer_named_documents` stage's, and to the model they are a topic ("What concern did the
        # 2007 working paper raise about…" read ¶37 on Iran's "serious concern" 0.379, the answer 0.379;
        # without them the answer reads 0.455, first).
        topic = without_document_names(query, infos)
        found = Candidates(query, self.embedder.embed_queries([topic])[0], infos, lexical, allowed,
                           self._named_documents(query, allowed, infos), doc_ids)
        for stage in self.stages:
            stage(found, k)
        return found.results()[:k]

    @property
    def stages(self) -> list[Callable[[Candidates, int], None]]:
        """In order; a new scorer (a reranker) is one more stage, and every caller of `search`
        (`paracite retrieve`, the LangChain retriever, the assistant) gets it."""
        return [self._score_dense, self._score_lexical, self._prefer_named_documents, self._demote_other_titles,
                self._put_named_paragraphs_first]

    def _score_dense(self, found: Candidates, k: int) -> None:
        """Dense similarity (paragraph vector or best sentence, the better), ranked into `fused`."""
        dense = self.store.dense_search(found.vector, max(CANDIDATES, k), found.doc_ids, found.infos)
        similarity = {hit.record_id: hit.similarity for hit in dense}
        best_sentence = self.store.dense_sentence_search(found.vector, SENTENCE_CANDIDATES, found.doc_ids, found.infos)
        self._add_paragraph_similarity(similarity, best_sentence, found.vector)
        for record_id, sentence_similarity in best_sentence.items():
            similarity[record_id] = max(similarity.get(record_id, -1.0), sentence_similarity)
        found.similarity = {r: s for r, s in similarity.items() if r in found.index.row_of}  # live rows only
        for rank, record_id in enumerate(sorted(found.similarity, key=lambda r: -found.similarity[r])):
            found.fused[record_id] = 1.0 / (RRF_K + rank)

    def _score_lexical(self, found: Candidates, k: int) -> None:
        """BM25 over sentences, fused by rank and weighted by how much of the query the corpus knows."""
        index = found.index
        query = self._without_document_names(found.query, found.infos)
        scores = index.scores(query)
        if names := self._names_in_other_language(query):
            # "What is the TPNW…" over Chinese text: its English words are unknown to the index
            # (coverage near 0, so the lexical evidence was dropped), but the glossary's Chinese
            # name of the term is exact evidence. BM25 scores nothing for unknown tokens, so the
            # question's own known words (numbers, names) still count beside the names.
            coverage = index.coverage(" ".join(names))
            if coverage > scores.coverage:
                scores = LexicalScores(index.scores(" ".join(names) + " " + query).sentence_best, coverage)
        if scores.coverage > 0 and len(scores.sentence_best):
            values = np.where(np.isin(index.row_documents, list(found.allowed)), scores.sentence_best, 0.0)
            for rank, row in enumerate(np.argsort(-values, kind="stable")[:CANDIDATES]):
                if values[row] <= 0:
                    break
                record_id = index.record_ids[row]
                found.lexical[record_id] = WEIGHT_LEXICAL * scores.coverage / (RRF_K + rank)
                found.fused[record_id] = found.fused.get(record_id, 0.0) + found.lexical[record_id]
        self._add_paragraph_similarity(found.similarity, found.fused, found.vector)

    def _names_in_other_language(self, query: str) -> list[str]:
        """The glossary's other-language names of the terms the question holds."""
        if self.terms is None:
            return []
        if language_of(query) == "zh":
            return [term.en[0] for term in self.terms.in_text(query, "zh")]
        return [term.zh for term in self.terms.in_text(query, "en")]

    def _prefer_named_documents(self, found: Candidates, k: int) -> None:
        for record_id in found.fused:
            if found.index.rows[found.index.row_of[record_id]].doc_id in found.preferred:
                found.fused[record_id] += DOCUMENT_HINT_BONUS

    def _demote_other_titles(self, found: Candidates, k: int) -> None:
        """A paragraph about another treaty ranks below those about the one the question names.

        "What did the summary say about the CTBT entering into force?" is as close, to the
        embedding model, to a paragraph on the TPNW's entry into force as to the CTBT's: the
        titles differ in a word or two. A paragraph that prints titles (《…》), none of them the
        one the question names or another name of it (不扩散条约 for 不扩散核武器条约), speaks of
        something else. Short titles are back-references: "《条约》" is the Treaty under review."""
        asked = self._asked_titles(found.query, found.index.corpus_text)
        if not asked:
            return
        names = {name for name, _ in asked}
        renderings = set().union(*(english for _, english in asked))
        for record_id in found.fused:
            text = re.sub(r"\s+", "", found.index.rows[found.index.row_of[record_id]].text)
            titles = [title for title in TITLE.findall(text) if len(title) > 4]
            if titles and not any(name in text for name in names) and not any(
                    renderings & self._renderings(title) for title in titles):
                found.fused[record_id] -= OTHER_TITLE_PENALTY

    def _asked_titles(self, query: str, corpus_text: str) -> list[tuple[str, set[str]]]:
        """The titles the question names that the corpus prints as a title (《…》), each with
        its English renderings."""
        asked = [(re.sub(r"\s+", "", title), self._renderings(title)) for title in TITLE.findall(query)]
        if self.terms is not None:
            asked += [(term.zh, {e.lower() for e in term.en}) for term in self.terms.in_text(query, language_of(query))]
        return [(name, english) for name, english in asked if f"《{name}》" in corpus_text]

    def _renderings(self, title: str) -> set[str]:
        terms = self.terms.in_text(title, "zh") if self.terms is not None else []
        return {e.lower() for term in terms if term.zh == title for e in term.en}

    def _put_named_paragraphs_first(self, found: Candidates, k: int) -> None:
        """A paragraph the question names by number comes first, whatever its vector says."""
        ids = self._referenced_paragraphs(found.query, found.allowed, found.preferred, found.index)
        if not ids:
            return
        top = max(found.fused.values(), default=0.0) + 1.0 / RRF_K
        self._add_paragraph_similarity(found.similarity, ids, found.vector)
        for record_id in ids:
            found.fused[record_id] = top
        found.named = ids

    def with_paragraphs_first(self, query: str, results: list[SearchResult], keys: list[tuple[str, int]],
                              k: int) -> list[SearchResult]:
        """`results` with the paragraphs `keys` (document, number) put first, each scored by its own
        similarity to `query`: the evidence a conversation already holds ("what else does that
        paragraph say?"), ranked above what the search found, but judged like it."""
        lexical = self.lexical()
        wanted = set(keys)
        ids = [rid for rid, row in zip(lexical.record_ids, lexical.rows) if (row.doc_id, row.number) in wanted]
        if not ids:
            return results
        vector = self.embedder.embed_queries([query])[0]
        embeddings = self.store.embeddings(ids)
        top = max((r.score for r in results), default=0.0) + 1.0 / RRF_K
        row_of = lexical.row_of
        reader = language_of(query)
        first = [SearchResult(p.doc_id, p.number, p.title_in(reader), p.text, top, float(embeddings[rid] @ vector))
                 for rid in ids if rid in embeddings for p in [lexical.rows[row_of[rid]]]]
        known = {(r.doc, r.paragraph) for r in first}
        return (first + [r for r in results if (r.doc, r.paragraph) not in known])[:k]

    def _add_paragraph_similarity(self, similarity: dict[str, float], record_ids, vector: np.ndarray) -> None:
        """Fill in the paragraph-vector similarity of candidates that did not come from dense search."""
        missing = [record_id for record_id in record_ids if record_id not in similarity]
        for record_id, embedding in self.store.embeddings(missing).items():
            similarity[record_id] = float(embedding @ vector)

    def _without_document_names(self, query: str, infos: list[DocumentInfo]) -> str:
        """The question less the years and titles that name documents, for lexical matching."""
        for hint in sorted(set().union(*document_hints(infos).values()), key=len, reverse=True):
            query = re.sub(re.escape(hint), " ", query, flags=re.IGNORECASE)
        return query

    def topic_of(self, query: str) -> str:
        """The question less the words that name a document (`without_document_names`)."""
        return without_document_names(query, self.store.documents())

    def documents_named(self, query: str) -> set[str]:
        """The documents the question names ("the 2024 summary"), if it names some and not all."""
        infos = self.store.documents()
        return self._named_documents(query, {info.doc_id for info in infos}, infos)

    def documents_compared(self, query: str) -> list[str]:
        """The documents a question asks each of: every one it names, where it names two or more
        ("according to the 2007 paper, and how many according to the 2024 summary"), or both of
        a corpus of two where it says "both documents" or "两份文件". [] for any other question."""
        infos = self.store.documents()
        matched = _matched_documents(query, infos)
        if len(matched) >= 2 and (_COMPARES.search(query) or len(set(matched.values())) == 1):
            # "the 2007 paper, and how many according to the 2024 summary"; not "the 2024 summary
            # on the 2007 decision", which names one document and a year
            return sorted(matched)
        return [info.doc_id for info in infos] if len(infos) == 2 and _EACH_DOCUMENT.search(query) else []

    def _named_documents(self, query: str, allowed: set[str], infos: list[DocumentInfo]) -> set[str]:
        infos = [info for info in infos if info.doc_id in allowed]
        matched = _matched_documents(query, infos)
        if not matched or len(matched) == len(infos):
            return set()
        best = max(matched.values())
        return {doc_id for doc_id, n in matched.items() if n == best}

    def _referenced_paragraphs(self, query: str, allowed: set[str], preferred: set[str], index: LexicalIndex) -> list[str]:
        """The record ids of the paragraphs the question names by number. Without a document
        named, a number that several documents have is ambiguous: all of them."""
        numbers = [int(a or b) for a, b in PARAGRAPH_REF.findall(query)]
        if not numbers:
            return []
        candidates = preferred or allowed
        return [record_id for record_id, row in zip(index.record_ids, index.rows)
                if row.doc_id in candidates and row.number in numbers]

    def corpus_text(self) -> str:
        """Every paragraph's text, whitespace removed: what a name can be looked up in. The index
        the question's search just brought up to date: no second registry read."""
        return (self._lexical or self.lexical()).corpus_text

    def document_words(self) -> set[str]:
        """The years and title phrases by which questions name the documents."""
        return set().union(*document_hints(self.store.documents()).values())
