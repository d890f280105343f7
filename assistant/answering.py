"""Answering a question: rewrite, retrieve, refuse or generate, verify, fall back.

`Assistant.stream` yields events as the answer takes shape (the standalone question, the
retrieved paragraphs, each verified sentence, each removal, then the whole answer); `ask`
returns the final `Answer`. Nothing a generator drafts is yielded before the verifier passed it.

The promises kept here, whatever the question or the documents say:
- nothing relevant retrieved, or a question about a name the corpus never mentions: a refusal
  in the question's language, with no citations;
- relevant paragraphs that do not state what was asked (`assistant.answerability`): the closest
  passages, quoted and cited, under a lead that says the documents do not state it ("related"),
  whatever the generator;
- a draft of which nothing survives verification, or an LLM that declines although relevant
  paragraphs were found: the extractive answer (itself verified), or a refusal when that is
  empty too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from vectorstore.errors import InputError, NotFoundError
from vectorstore.search import Retriever, SearchResult

from . import metrics
from .answerability import (
    Answerability,
    SimilarityAnswerability,
    SimilarityGate,
    asked_fact,
    asks_venue,
    asks_for_actor,
    names_city,
    ranked_sentences,
    speaks_for_some,
    states_fact,
    unstated_numbers,
)
from .answers import Answer, AnswerSentence, Removal, language_of
from .states import states_named
from .followup import (
    MAX_QUESTION_CHARS,
    Context,
    Rewriter,
    asks_of_cited_paragraph,
    asks_of_other_document,
    changes_topic,
    picks_from_last,
    points_back,
    context_of,
    previous_questions,
)
from .generators import (DECLINE, ORDINAL_EVENT, DraftSentence, ExtractiveGenerator, Generator, asked_ordinal, subject_names,
                         with_renderings)
from .judges import QuoteJudge
from .translation import Renderer
from .verifier import Verifier

MAX_HISTORY_TURNS = 20
# A related answer shows the closest passages, not a pile: what a reader checks before asking again.
RELATED_SENTENCES = 3
# The paragraphs that print a name looked up, put first where the search found none of them.
LOOKUP_PARAGRAPHS = 2
# Why quotes that hold no fact of the asked kind are only related (`Verdict.reason`).
_UNSTATED = {"count": "asks how many; the passages state no number",
             "date": "asks when; the passages state no date",
             "outcome": "asks what was decided; the passages state no outcome",
             "person": "asks who holds an office; the passages name no one",
             "resolution": "asks which resolution; the passages cite none"}
_ELSEWHERE = {"count": "asks how many; the numbers quoted are in passages about something else",
              "date": "asks when; the dates quoted are in passages about something else",
              "city": "asks where; the cities quoted are in passages about something else"}
_OTHER_SUBJECT = {"count": "asks how many; the passages that state a number do not name what it asks about",
                  "date": "asks when; the passages that state a date do not name what it asks about",
                  "city": "asks where; the passages that name a city do not name what it asks about"}
# How much less alike than the closest sentence the one stating the asked number, date or city may read.
# On eval/npt every answerable question's reads within 0.011 of it (on some reading of the question);
# unanswerable n009 and n013 quoted a number 0.07 below (a count of something else).
FACT_NEAR_BEST = 0.05
# Not for "Which States…" or "Where…": their answers are as often a category ("the three
# depositary States") or a forum ("raised in all discussions of the review process") as a name
# (dev: four answerable questions made related for one unanswerable one caught).


@dataclass(frozen=True)
class Standalone:
    question: str


@dataclass(frozen=True)
class Retrieved:
    results: list[SearchResult]


@dataclass(frozen=True)
class Lead:
    """The words that introduce the sentences; comes just before the first of them."""

    text: str


@dataclass(frozen=True)
class SentenceReady:
    sentence: AnswerSentence


@dataclass(frozen=True)
class RenderingReady:
    """The sentence at `index` in its reader's language (or why none is shown); after the sentences."""

    index: int
    rendering: object  # assistant.translation.Rendering


@dataclass(frozen=True)
class Removed:
    removal: Removal


@dataclass(frozen=True)
class Done:
    answer: Answer


Event = Standalone | Retrieved | Lead | SentenceReady | RenderingReady | Removed | Done


def check_question(question: str, history: list[dict] | None = None) -> None:
    if not isinstance(question, str) or not question.strip():
        raise InputError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"the question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}")
    for turn in history or []:
        if not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant") or not isinstance(turn.get("content"), str):
            raise InputError('history must be a list of {"role": "user"|"assistant", "content": str}')
    if history and len(history) > 2 * MAX_HISTORY_TURNS:
        raise InputError(f"the history has {len(history)} messages; the limit is {2 * MAX_HISTORY_TURNS}")


class Assistant:
    def __init__(
        self,
        retriever: Retriever,
        generator: Generator,
        verifier: Verifier,
        rewriter: Rewriter,
        extractive: ExtractiveGenerator,
        k: int = 5,
        answerability: Answerability | None = None,
        renderer: Renderer | None = None,
        translation_hint: str = "",
    ) -> None:
        self.retriever = retriever
        self.generator = generator
        self.verifier = verifier
        self.rewriter = rewriter
        self.extractive = extractive
        self.k = k
        self.gate = SimilarityGate(retriever)
        self.answerability = answerability or SimilarityAnswerability(retriever.embedder)
        self._extractive_verifier = Verifier(QuoteJudge())
        # Quotes in another language than the question's get a verified rendering from the
        # renderer; without one, the answer says how to get them (`translation_hint`).
        self.renderer = renderer
        self.translation_hint = translation_hint

    def ask(self, question: str, history: list[dict] | None = None, doc_ids: list[str] | None = None) -> Answer:
        for event in self.stream(question, history, doc_ids):
            if isinstance(event, Done):
                return event.answer
        raise AssertionError("stream ended without an answer")

    def stream(
        self, question: str, history: list[dict] | None = None, doc_ids: list[str] | None = None
    ) -> Iterator[Event]:
        """The answer's events. A question `check_question` refuses raises here, at the call,
        not at the first `next()`: a caller needs no check of its own."""
        check_question(question, history)
        return self._events(question, history, doc_ids)

    def _events(self, question: str, history: list[dict] | None, doc_ids: list[str] | None) -> Iterator[Event]:
        for event in self._answer(question, history, doc_ids):
            if isinstance(event, Lead) and self.renderer is not None:
                event = Lead(with_renderings(event.text))
            if isinstance(event, Done) and not event.answer.refused:
                event.answer.lead = with_renderings(event.answer.lead) if self.renderer else event.answer.lead
                yield from self._render(event.answer)
            yield event

    def _render(self, answer: Answer) -> Iterator[RenderingReady]:
        """Each quoted sentence its reader cannot read, rendered and checked, in order; after all
        the sentences, so that the quotes are shown at once and the renderings as they come."""
        reader = language_of(answer.question)
        foreign = [i for i, s in enumerate(answer.sentences) if not metrics.reads_as(s.text, reader)]
        if not foreign:
            return
        if self.renderer is None:
            answer.translation = {"translator": None, "language": reader, "hint": self.translation_hint}
            return
        for i in foreign:
            rendering = self.renderer.render(answer.sentences[i].text, reader)
            answer.sentences[i].rendering = rendering
            yield RenderingReady(i, rendering)
        shown = sum(1 for i in foreign if answer.sentences[i].rendering.text)
        answer.translation = {"translator": self.renderer.name, "language": reader, "shown": shown,
                              "unavailable": len(foreign) - shown}

    def _answer(
        self, question: str, history: list[dict] | None = None, doc_ids: list[str] | None = None
    ) -> Iterator[Event]:
        question = question.strip()
        standalone = self.rewriter.rewrite(question, history or [])
        context = context_of(history or [])
        earlier = previous_questions(history or [])
        # It points back at the conversation and no rule resolved what it points at (a rule
        # that only put the previous question before it resolved nothing either).
        unresolved = bool(earlier) and (standalone == question or standalone.endswith(question)) and (
            asks_of_cited_paragraph(question) or asks_of_other_document(question) or points_back(question))
        # The sentences that answer are chosen for what the follow-up asks, not for the earlier
        # questions put before it (here or by the rewriter) only to find the paragraphs.
        wanted = question if unresolved else standalone
        if unresolved and standalone == question:
            # searched, and judged, with the (at most two) questions it follows
            standalone = " ".join([*earlier[-2:], question])
        yield Standalone(standalone)
        asked = standalone  # as the reader asked it, for the names it holds
        retrieved = self._retrieve(question, standalone, context, doc_ids, unresolved)
        if not retrieved and not self.retriever.store.documents():
            raise NotFoundError("no documents have been ingested yet; run `paracite ingest FILE...` first")
        relevant = self.gate.relevant(standalone, retrieved)
        named = self.retriever.documents_named(question) if context.cited else set()
        if picks_from_last(question) and (cited := [r for r in relevant if (r.doc, r.paragraph) in context.cited
                                                    and (not named or r.doc in named)]):
            # "And which one is in Africa?" picks from the list just quoted (¶99), not from ¶29's
            # missiles in the Asia-Pacific that read like it too; "2007年那份文件对其中的中亚条约…"
            # picks from the list, and from the paper it names
            relevant = cited
        yield Retrieved(retrieved)
        answer = Answer(question, asked, [], refused=False, retrieved=retrieved, generator=self.generator.name)
        language = language_of(question)
        unknown = self.gate.unknown_names(asked, question) if relevant else []
        if not relevant or unknown:
            yield Done(self._refusal(answer, language, unknown))
            return
        # A follow-up a rule made into a question of its own on the same topic ("Which resolution
        # endorsed it?" → "…endorsed the JCPOA?") is answered as that question would be, though
        # the last answer quoted the sentence that answers it. One on another topic ("那布鲁塞尔
        # …峰会呢？") or still read with the earlier questions is kept from repeating them.
        rewritten = not standalone.endswith(question) and not changes_topic(question)
        said = (context.already_said if history and not (context.came_close or picks_from_last(question) or rewritten)
                else None)
        # judged on what it asks, not on which document it names: the retriever has found that one
        verdict = self.answerability.judge(self.retriever.topic_of(standalone), relevant,
                                           lookup=self.gate.is_lookup(standalone, relevant))
        looked_up = self.gate.names_looked_up(standalone, relevant)
        compared = self.retriever.documents_compared(question)  # the asker's own words, not earlier turns'
        unstated = unstated_numbers(asked, relevant, self._document_numbers()) if verdict.answers else []
        if unstated and verdict.reason != "named paragraph":
            verdict = replace(verdict, answers=False, reason=f"the paragraphs do not state {', '.join(unstated)}")
        chosen = None  # the extractive sentences, when the count check below already chose them
        fact = asked_fact(wanted)  # what the follow-up asks, not the earlier questions put before it
        if verdict.answers and self.generator is self.extractive and fact in _UNSTATED:
            chosen = list(self.extractive.sentences(wanted, relevant, said, documents=compared))
            stating = [d.text for d in chosen if states_fact(fact, d.text, asked)]
            if not stating:
                # "How many IAEA inspectors…?" answered with quotes that hold no number at all,
                # "When will the 2026 Review Conference be held?" with quotes that give no date.
                verdict = replace(verdict, answers=False, reason=_UNSTATED[fact])
            elif uncounted := _uncounted(wanted, stating):
                # "朝鲜的第六次核试验是在哪一年进行的？" answered with the date of its 2006 test (2007 ¶38)
                verdict = replace(verdict, answers=False, reason=f"asks of the {uncounted}; the passages that state a {fact} do not count it")
            elif fact in _ELSEWHERE and not self._near_best(stating, relevant, {asked, wanted, question}):
                # "How many IMS stations have been certified?" answered by quotes on the IMS
                # that give no number, and by a count of safeguards agreements quoted after them.
                verdict = replace(verdict, answers=False, reason=_ELSEWHERE[fact])
            elif fact in _ELSEWHERE and self._of_another_subject(stating, relevant, wanted):
                # "When will the next Review Conference be held?" answered with the dates of the
                # TPNW's third meeting (¶33), which says nothing of a Review Conference.
                verdict = replace(verdict, answers=False, reason=_OTHER_SUBJECT[fact])
        elif verdict.answers and self.generator is self.extractive and fact == "place" and asks_venue(wanted):
            chosen = list(self.extractive.sentences(wanted, relevant, said, documents=compared))
            stating = [d.text for d in chosen if names_city(d.text, asked)]
            if not stating:
                # "In which city was the 1995 Conference held?" answered by passages on its
                # resolution on the Middle East: a region, not the city asked for.
                verdict = replace(verdict, answers=False, reason="asks where; the passages name no city")
            elif uncounted := _uncounted(wanted, stating):
                # "第二次会议在哪里开的？" answered with a city of the first meeting
                verdict = replace(verdict, answers=False, reason=f"asks of the {uncounted}; the passages that name a city do not count it")
            elif not self._near_best(stating, relevant, {asked, wanted, question}):
                # …and by the city of another meeting, quoted after them
                verdict = replace(verdict, answers=False, reason=_ELSEWHERE["city"])
            elif self._of_another_subject(stating, relevant, wanted):
                # "In which city was the 2024 International Conference on Nuclear Security held?"
                # answered with the city of the IAEA's ministerial conference (¶133)
                verdict = replace(verdict, answers=False, reason=_OTHER_SUBJECT["city"])
        elif verdict.answers and self.generator is self.extractive and fact == "state" and asks_for_actor(wanted):
            chosen = list(self.extractive.sentences(wanted, relevant, said, documents=compared))
            if chosen and speaks_for_some(chosen[0].text):
                # "Which State party claimed …?" answered by "一个缔约国认为…": the documents
                # do not name it, and quoting the passage as the answer would pass it off as one.
                verdict = replace(verdict, answers=False, reason="asks which State; the passage does not name it")
        if verdict.answers and self.generator is self.extractive and verdict.reason != "named paragraph" and (
                named := [state for _, state in states_named(question)]):
            if chosen is None:
                chosen = list(self.extractive.sentences(wanted, relevant, said, looked_up, compared))
            quoted = {(r.doc, r.paragraph) for draft in chosen for r in draft.references}
            if chosen and not any(self.gate.prints_state(state, p.text) for state in named
                                  for p in relevant if (p.doc, p.paragraph) in quoted):
                # "What did India say about the CTBT?" answered with what many States said (¶37,
                # ¶38): the documents print India elsewhere, never in what is quoted for it. The
                # asker's own words: a State an earlier question named is not this one's (f023).
                verdict = replace(verdict, answers=False,
                                  reason=f"names {', '.join(state.name for state in named)}; the passages quoted do not")
        answer.verdict = verdict
        if not verdict.answers:
            answer.related = True
            yield from self._extractive_into(answer, question, wanted, relevant, related=True, said=said,
                                             looked_up=looked_up, documents=compared)
            if not answer.sentences:
                answer = self._refusal(answer, language)
            yield Done(answer)
            return

        declined = False
        if chosen is not None:
            drafts = chosen
        elif self.generator is self.extractive:
            drafts = self.extractive.sentences(wanted, relevant, said, looked_up, compared)
        else:
            drafts = self.generator.sentences(asked, relevant)
        for draft in drafts:
            if _is_decline(draft):
                declined = True
                continue
            checked = self.verifier.check(draft, relevant)
            for removal in checked.removed:
                answer.removed.append(removal)
                yield Removed(removal)
            if checked.sentence:
                if not answer.sentences:
                    answer.lead = self.generator.lead(question, _quoted(checked.sentence, relevant))
                    yield Lead(answer.lead)
                answer.sentences.append(checked.sentence)
                yield SentenceReady(checked.sentence)

        if not answer.sentences and self.generator is not self.extractive:
            # The retriever found relevant paragraphs; a small model declines far more often
            # than it should (5 of 8 answerable questions on a dev sample), so its "no answer"
            # gets the extractive answer, which only quotes, rather than a refusal.
            answer.fallback = ("the generator found no answer in the paragraphs" if declined
                               else "nothing the generator wrote passed verification")
            yield from self._extractive_into(answer, question, wanted, relevant, said=said, looked_up=looked_up,
                                             documents=compared)
            if not answer.sentences:
                answer = self._refusal(answer, language)
        elif not answer.sentences:
            answer = self._refusal(answer, language)
        yield Done(answer)

    def _near_best(self, stating: list[str], relevant: list[SearchResult], readings: set[str]) -> bool:
        """Whether a sentence that states the asked fact reads nearly as close to the question as
        the closest sentence of the paragraphs does, on any reading of it: the asker's words
        ("那布鲁塞尔召开的首届核能峰会呢？"), or the standalone question they were rewritten into."""
        for reading in readings:
            ranked = ranked_sentences(self.retriever.embedder, reading, relevant)
            scores = dict((sentence, score) for score, sentence in reversed(ranked))
            if ranked and max(scores.get(s, -1.0) for s in stating) >= ranked[0][0] - FACT_NEAR_BEST:
                return True
        return False

    def _of_another_subject(self, stating: list[str], relevant: list[SearchResult], question: str) -> bool:
        """Whether an English question names its subject by a glossary term the corpus prints in
        some but not most of its paragraphs ("the Review Conference": 审议大会), and no paragraph
        quoted for the asked fact prints any of the term's Chinese names: the fact it states is
        another subject's. English only: a Chinese question's subject is held to its quotes by
        the words they share (`generators._anchors`)."""
        subjects = subject_names(question, self.retriever.terms, self.retriever.lexical().share_printing)
        if not subjects:
            return False
        texts = [re.sub(r"\s+", "", p.text) for p in relevant]
        quoted = [re.sub(r"\s+", "", s) for s in stating]
        quoting = [text for text in texts if any(s in text for s in quoted)]
        return not any(name in text for names in subjects for name in names for text in quoting)

    def _document_numbers(self) -> set[str]:
        """Numbers that name a document ("the 2024 summary"), from the ids and titles."""
        return metrics.numbers_in(" ".join(f"{d.doc_id} {d.title}" for d in self.retriever.store.documents()))

    def _retrieve(self, question: str, standalone: str, context: Context, doc_ids: list[str] | None,
                  unresolved: bool = False):
        """The search, with what the conversation holds: a follow-up about "the other document"
        searches the documents the last answer did not cite; one that asks more of the paragraph
        just cited ("第三项呢？", "what else does that paragraph say?"), or points back at it with
        a word no rule resolved (`unresolved`: "有没有国家不赞成这样做？"), has that paragraph first."""
        if context.cited and asks_of_other_document(question):
            cited_documents = {doc for doc, _ in context.cited}
            known = [d.doc_id for d in self.retriever.store.documents()]
            others = [d for d in (doc_ids or known) if d not in cited_documents]
            doc_ids = others or doc_ids
        retrieved = self.retriever.search(standalone, k=self.k, doc_ids=doc_ids)
        if (names := self.gate.lookup_names(standalone)) and not any(
                name in re.sub(r"\s+", "", r.text) for r in retrieved for name in names):
            # "What do the documents say about the Paris Agreement?": across languages ¶120, which
            # prints 《巴黎协定》, ranks seventh; a lookup is answered by the paragraphs that print the name.
            retrieved = self.retriever.with_paragraphs_first(standalone, retrieved, self._printing(names, doc_ids), self.k)
        if context.cited and (asks_of_cited_paragraph(question) or (unresolved and not asks_of_other_document(question))):
            # not the paragraph just cited when the follow-up names another document
            named = self.retriever.documents_named(question)
            cited = [key for key in context.cited if (not doc_ids or key[0] in doc_ids) and (not named or key[0] in named)]
            retrieved = self.retriever.with_paragraphs_first(standalone, retrieved, cited, self.k)
        return retrieved

    def _printing(self, names: list[str], doc_ids: list[str] | None) -> list[tuple[str, int]]:
        """The paragraphs that print the names most often (at most LOOKUP_PARAGRAPHS)."""
        lexical = self.retriever.lexical()
        counts = {(row.doc_id, row.number): sum(text.count(name) for name in names)
                  for row, text in zip(lexical.rows, lexical.paragraph_texts) if not doc_ids or row.doc_id in doc_ids}
        return sorted((key for key, n in counts.items() if n), key=lambda key: -counts[key])[:LOOKUP_PARAGRAPHS]

    def _extractive_into(self, answer: Answer, question: str, standalone: str, relevant: list[SearchResult],
                         related: bool = False, said=None, looked_up: list[str] = (), documents: list[str] = ()):
        drafts = list(self.extractive.sentences(standalone, relevant, said, looked_up, documents))
        for draft in drafts[:RELATED_SENTENCES] if related else drafts:
            checked = self._extractive_verifier.check(draft, relevant)
            if checked.sentence:
                if not answer.sentences:
                    quoted = _quoted(checked.sentence, relevant)
                    answer.lead = (self.extractive.related_lead if related else self.extractive.lead)(question, quoted)
                    yield Lead(answer.lead)
                answer.sentences.append(checked.sentence)
                yield SentenceReady(checked.sentence)

    @staticmethod
    def _refusal(answer: Answer, language: str, unknown_names: list[str] | None = None) -> Answer:
        answer.sentences = []
        answer.related = False
        answer.lead = DECLINE[language]
        if unknown_names:
            if language == "zh":
                names = "、".join(f"“{n}”" for n in unknown_names)
                answer.lead = answer.lead.rstrip("。") + f"（文件中没有提到{names}）。"
            else:  # a name in Chinese script stays out of an English reader's sentence
                names = ", ".join(f"“{n}”" for n in unknown_names if metrics.reads_as(n, "en"))
                answer.lead = answer.lead.rstrip(".") + (f" (they do not mention {names})." if names else ".")
        answer.refused = True
        return answer


def _uncounted(question: str, stating: list[str]) -> str | None:
    """The meeting, session or test a question counts by its ordinal ("第五届", "the third
    meeting"), where no sentence stating the asked fact prints that ordinal; None otherwise."""
    ordinal = asked_ordinal(question)
    if ordinal is None or any(ordinal.search(sentence) for sentence in stating):
        return None
    return ORDINAL_EVENT.search(question).group(0)


def _is_decline(draft: DraftSentence) -> bool:
    """The generator's own "the documents do not say" (an LLM told to reply with it)."""
    text = draft.text.strip().rstrip("。.!！")
    return not draft.references and any(
        phrase.rstrip("。.") in text for phrase in (*DECLINE.values(), "文件未涉及", "do not address")
    )


def _quoted(sentence, paragraphs: list[SearchResult]) -> list[SearchResult]:
    """The paragraphs a sentence quotes: what its lead-in speaks for."""
    cited = {c.key for c in sentence.citations}
    return [p for p in paragraphs if (p.doc, p.paragraph) in cited]
