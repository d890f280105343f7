"""Answer states on the real model and store: "refused" (the similarity gate), "answered" and
"related" (the documents only come close), and the evidence that decides between them."""

from __future__ import annotations

import json

import pytest

from assistant import services
from assistant.answerability import BANDS, LLM_YES, SimilarityAnswerability, SimilarityGate
from assistant.answering import Assistant, Done, Lead, SentenceReady
from assistant.followup import RuleRewriter
from assistant.generators import RELATED, ExtractiveGenerator
from assistant.judges import QuoteJudge
from assistant.verifier import Verifier
from assistant.translation import default_glossary
from vectorstore.search import Retriever

from .conftest import DOC_2007, DOC_2024
from .test_answering import assert_faithful


def assert_state(answer, status: str, reason: str | None = None) -> None:
    """The answer has `status`, every quote verified; a `related` one opens by saying the documents
    do not state it, and, where given, names the rule that decided (`reason`)."""
    assert answer.status == status, answer.verdict
    assert_faithful(answer)
    if status == "related":
        assert answer.text.startswith((RELATED["en"].split(". ")[0], RELATED["zh"].split("。")[0])), answer.text
        assert reason is None or answer.verdict.reason == reason


pytestmark = pytest.mark.slow

# On the demo corpus: the documents speak of IAEA safeguards and inspections but never give the
# number of inspectors (eval/npt q134); the best sentence is in the unsure band, where the
# LLM's readout says "no".
NOT_STATED = "How many IAEA inspectors are deployed worldwide?"
# In the same band, stated in ¶142 of the 2024 summary (eval/npt q037).
STATED_IN_BAND = "有国家要求将哪座核电站交还给乌方主管部门？"


def build(demo_store, embedder, tmp_path_factory, answerability) -> Assistant:
    """The assistant as services builds it; `embedder`: the one questions are read with."""
    retriever = Retriever(demo_store, embedder, tmp_path_factory.mktemp("lexical") / "index", default_glossary())
    extractive = ExtractiveGenerator(embedder, default_glossary(), lambda name: retriever.lexical().share_printing(name))
    return Assistant(retriever, extractive, Verifier(QuoteJudge()), RuleRewriter(), extractive,
                     answerability=answerability)


@pytest.fixture(scope="module")
def gate(demo_store, embedder, tmp_path_factory) -> SimilarityGate:
    return SimilarityGate(Retriever(demo_store, embedder, tmp_path_factory.mktemp("lexical") / "index", default_glossary()))


# --- the gate -----------------------------------------------------------------------------------

def test_latin_names_are_known_when_printed_or_named_by_the_glossary(gate):
    gate.retriever.search("核安全", k=1)
    assert gate.unknown_names("哪些国家对AUKUS表示关切？") == ["AUKUS"]
    assert gate.unknown_names("IAEA和NPT在文件中出现了吗？") == []  # 原子能机构, 不扩散条约
    assert gate.unknown_names("INFCIRC/540是什么？") == []  # printed as it is
    assert gate.unknown_names("What about AUKUS?") == []  # English questions: see the docstring
    assert gate.unknown_names("核武器国家应报告哪些项目？") == []  # jieba tags "哪些项目" a name
    # A citation marker or a document id names a document (a test planting a quote failed on "chair")
    assert gate.unknown_names("扎波罗热核电厂的情况？请引用[npt-2024-chair-summary ¶142]") == []
    assert gate.unknown_names("npt-2007-chair-working-paper对伊朗说了什么？") == []


def test_states_are_unknown_when_the_corpus_prints_none_of_their_names(gate):
    gate.retriever.search("核安全", k=1)
    assert gate.unknown_names("韩国对核共享安排有何看法？") == ["韩国"]  # two characters: ISO's name
    assert gate.unknown_names("What did South Korea say about nuclear sharing?") == ["South Korea"]
    # France and Germany are printed by their one-character names only: ¶43's 法德联合核裁军核查演练
    assert gate.unknown_names("Which initiatives are named, including one involving France and Germany?") == []
    assert gate.unknown_names("What did China say about the Bangkok Treaty?") == []  # 中国, ¶100
    # 英国 is printed as 联合王国 (2007 ¶12), which the glossary names the United Kingdom
    assert gate.unknown_names("英国对核裁军作了什么澄清？") == []
    assert gate.unknown_names("How did the Democratic People's Republic of Korea respond?") == []
    assert gate.unknown_names("What did the United Kingdom clarify?") == []


@pytest.mark.parametrize("question, names", [
    ("What did Niger and Nigeria say?", ["Niger", "Nigeria"]), ("Papua New Guinea ratified it", ["Papua New Guinea"]),
    ("Dominica, not the Dominican Republic", ["Dominica", "Dominican Republic"]),
    ("缔约国还促请南苏丹尽快加入", ["South Sudan"]), ("what did germany say?", ["Germany"]),
    ("What did the Republic of Korea say?", ["South Korea"]), ("大韩民国的立场", ["South Korea"]),
    ("其中国家有哪些义务？", []),  # 其中 + 国家: no 中国
    ("Which treaty made Antarctica nuclear-free?", []),  # not a State; 《南极条约》 names it in part
    ("Did Jordan or Chad speak? on the jordan river in china", ["Jordan", "Chad"]),  # words too: capitalised only
])
def test_the_states_a_question_names(question, names):
    from assistant.states import states_named

    assert sorted(state.name for _, state in states_named(question)) == sorted(names)


def test_relevance_separates_an_unrelated_question(gate):
    assert gate.is_relevant("扎波罗热核电厂", gate.retriever.search("扎波罗热核电厂", k=5))
    cake = "What is the best recipe for chocolate cake?"
    assert not gate.is_relevant(cake, gate.retriever.search(cake, k=5))


@pytest.mark.parametrize("lookup", ["福岛", "2024年的总结对福岛说了什么？"])
def test_a_lookup_of_a_name_the_documents_print_is_answered_from_them(gate, lookup):
    results = gate.retriever.search(lookup, k=5)
    if lookup == "福岛":
        # Short: it scores under the similarity threshold, and was refused before. (So did the
        # question, until the search read it without "2024年的总结": ¶140 0.456.)
        assert all(r.similarity < gate.threshold(lookup, r) for r in results)
    assert [(r.doc, r.paragraph) for r in gate.relevant(lookup, results)] == [(DOC_2024, 140)]


@pytest.mark.parametrize("question, paragraph", [
    # across languages the paragraphs that print the name read under the gate (ABM: 0.26),
    # or below others (Paris: seventh); the name looked up is what answers
    ("What does the 2007 paper say about the ABM Treaty?", (DOC_2007, 19)),
    ("What do the documents say about the Paris Agreement?", (DOC_2024, 120)),
    ("What did the 2024 summary say about artificial intelligence?", (DOC_2024, 23)),
])
def test_an_english_lookup_of_a_glossary_name_quotes_the_paragraph_that_prints_it(without_llm, question, paragraph):
    answer = without_llm.ask(question)
    assert_state(answer, "answered")
    assert answer.citations[0] == paragraph


@pytest.mark.parametrize("question", [
    "《佩林达巴条约》是在哪一年生效的？",  # the year is in neither document
    "巴西是缔约国吗？",  # ¶77 names Brazil, and says nothing of this
])
def test_a_question_for_a_fact_about_a_known_name_gets_no_such_pass(gate, question):
    results = gate.retriever.search(question, k=5)
    assert all(r.similarity < gate.threshold(question, r) for r in results)
    assert not gate.relevant(question, results)


# --- answered or related ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def without_llm(demo_store, query_embedder, tmp_path_factory):
    return build(demo_store, query_embedder, tmp_path_factory, SimilarityAnswerability(query_embedder))


@pytest.fixture(scope="module")
def with_llm(demo_store, query_embedder, settings, tmp_path_factory):
    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed: run `make llm`")
    llm = services.llm(settings, "llamacpp")
    return build(demo_store, query_embedder, tmp_path_factory, SimilarityAnswerability(query_embedder, llm))


def test_both_questions_are_in_the_unsure_band(without_llm):
    """The premise of the tests below: similarity alone cannot decide these two."""
    for question, pairing in ((NOT_STATED, "cross"), (STATED_IN_BAND, "same")):
        verdict = without_llm.ask(question).verdict
        bottom, top = BANDS[pairing]
        assert bottom <= verdict.similarity < top, (question, verdict)


def test_without_an_llm_the_unsure_band_is_answered(without_llm):
    answer = without_llm.ask(NOT_STATED)
    assert answer.status == "answered" and answer.verdict.reason == "unsure, no LLM"
    assert answer.as_json()["answerability"] == {"answers": True, "similarity": answer.verdict.similarity,
                                                 "llm_yes": None, "reason": "unsure, no LLM"}


def test_the_document_a_question_names_is_no_part_of_what_it_asks(without_llm):
    # "2007年工作文件中" is the retriever's filter; read as topic it put ¶31, which names the
    # Zangger Committee and the Nuclear Suppliers Group, below the band (0.44; 0.56 without it).
    answer = without_llm.ask("2007年工作文件中提到了哪些出口管制安排？")
    assert answer.status == "answered" and answer.verdict.similarity >= BANDS["same"][0], answer.verdict
    assert answer.citations[0] == ("npt-2007-chair-working-paper", 31) and "核供应国集团" in answer.sentences[0].text


def test_a_named_paragraph_needs_no_judgement(without_llm):
    answer = without_llm.ask("2024年主席总结第142段说了什么？")
    assert answer.status == "answered" and answer.verdict.reason == "named paragraph"


@pytest.mark.llm
def test_a_fact_the_documents_do_not_state_is_related_not_answered(with_llm):
    answer = with_llm.ask(NOT_STATED)
    assert answer.status == "related" and not answer.refused and answer.related
    assert answer.verdict.reason == "llm" and answer.verdict.llm_yes < LLM_YES
    # Says so first, in the question's language; then the closest passages, cited and verbatim.
    assert answer.lead.startswith(RELATED["en"][:-1])
    assert answer.text.startswith("The documents do not state this directly.")
    assert 1 <= len(answer.sentences) <= 3
    assert_faithful(answer)
    data = json.loads(json.dumps(answer.as_json(), ensure_ascii=False))
    assert data["status"] == "related" and data["refused"] is False and data["citations"]


@pytest.mark.llm
def test_a_stated_fact_in_the_band_is_answered(with_llm):
    answer = with_llm.ask(STATED_IN_BAND)
    assert answer.status == "answered" and answer.verdict.reason == "llm" and answer.verdict.llm_yes >= LLM_YES
    assert answer.lead == "根据文件："
    assert ("npt-2024-chair-summary", 142) in answer.citations


@pytest.mark.llm
def test_a_related_answer_streams_its_own_lead_before_its_quotes(with_llm):
    events = list(with_llm.stream(NOT_STATED))
    kinds = [type(e).__name__ for e in events]
    assert kinds.index("Lead") < kinds.index("SentenceReady")
    lead = next(e for e in events if isinstance(e, Lead))
    assert lead.text.startswith("The documents do not state this directly.")
    assert isinstance(events[-1], Done) and events[-1].answer.status == "related"
    assert sum(isinstance(e, SentenceReady) for e in events) == len(events[-1].answer.sentences)


@pytest.mark.llm
def test_threads_that_meet_their_first_unsure_question_together_load_one_model(settings):
    """A server's answer threads all reached the lazy load at once, and each loaded its own copy
    of the GGUF (the server grew to 5.3 GB instead of 3.5 GB under load)."""
    from concurrent.futures import ThreadPoolExecutor

    pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed: run `make llm`")
    services._loaded_llamacpp.cache_clear()
    answerability = services.answerability(settings)
    with ThreadPoolExecutor(4) as pool:
        loaded = list(pool.map(lambda _: answerability.llm(), range(4)))
    assert loaded[0] is not None and all(model is loaded[0] for model in loaded)


# --- premises -----------------------------------------------------------------------------------


def _paragraph(text: str):
    from vectorstore.search import SearchResult

    return SearchResult(DOC_2024, 33, "", text, 0.5, 0.5)


@pytest.mark.parametrize("question, text, unstated", [
    ("The TPNW entered into force in 2017, didn't it?", "《禁止核武器条约》于 2021 年 1月 22 日生效", ["2017"]),
    ("The TPNW entered into force in 2021, didn't it?", "《禁止核武器条约》于 2021 年 1月 22 日生效", []),
    ("Did the DPRK conduct 6 nuclear tests?", "谴责该国进行的六次核试验", []),  # Chinese numerals count
    ("Did the DPRK conduct 7 nuclear tests?", "谴责该国进行的六次核试验", ["7"]),
    ("What did the 2024 summary say about Fukushima?", "福岛第一核电站 ALPS 处理水", []),  # names a document
    ("2024年主席总结第33段说了什么？", "《禁止核武器条约》于 2021 年生效", []),  # names a paragraph
])
def test_numbers_a_question_takes_as_given_must_be_stated(question, text, unstated):
    from assistant.answerability import unstated_numbers

    assert unstated_numbers(question, [_paragraph(text)], naming={"2024", "2007"}) == unstated


@pytest.mark.parametrize("question, sentence, contradicts", [
    ("2024年的总结说所有缔约国都欢迎《禁止核武器条约》生效，对吗？", "许多缔约国注意到《禁止核武器条约》于 2021 年生效。", True),
    ("Did all States parties welcome the TPNW?", "在这方面，一些缔约国强调了该条约的重要性。", True),
    ("What capacities should all States parties strengthen?", "缔约国应加强打击非法贩运的能力。", False),
    ("一些缔约国对《禁止核武器条约》说了什么？", "一些缔约国强调了该条约的重要性。", False),
])
def test_all_asked_of_a_passage_for_some_is_not_confirmed(question, sentence, contradicts):
    from assistant.answerability import claims_all, speaks_for_some

    assert (claims_all(question) and speaks_for_some(sentence)) is contradicts


@pytest.mark.parametrize("question, sentence, contradicts", [
    ("2024年的总结为什么表扬朝鲜的核试验？", "缔约国谴责该国进行的六次核试验。", True),
    ("Why did the working paper commend Iran's compliance?", "缔约国对伊朗核计划表示严重关切，并强烈敦促该国遵守决议。", True),
    ("Which efforts of the IAEA in Ukraine did States parties praise?", "许多缔约国表示赞赏原子能机构在乌克兰所作的努力，并对局势表示关切。", False),
    ("缔约国对伊朗的核计划表示了什么？", "缔约国对伊朗核计划表示严重关切。", False),  # asks, claims nothing
    ("Why did the States parties welcome the DPRK's tests?", "缔约国谴责该国进行的六次核试验。", False),  # welcoming is ordinary
    ("Did the conference praise the IAEA safeguards?",
     "The Conference reaffirmed its decisions concerning the IAEA safeguards system.", False),  # "concerning" is no concern
    ("Why did the report praise the States concerned?", "It notes the urgent need for the States concerned to act.", False),
    ("Why did the report praise Iran?", "States parties expressed serious concern about Iran's programme.", True),
    ("Why did the report commend the tests?", "States parties condemned the tests and urged restraint.", True),
])
def test_praise_asked_of_a_passage_that_censures_is_not_confirmed(question, sentence, contradicts):
    from assistant.answerability import censures, claims_praise

    assert (claims_praise(question) and censures(sentence)) is contradicts


@pytest.mark.parametrize("question, status", [
    ("2024年的总结为什么表扬朝鲜的核试验？", "related"),  # it condemns them
    ("Which efforts of the IAEA in Ukraine did many States parties express appreciation for?", "answered"),
])
def test_praise_the_documents_do_not_give_is_answered_with_the_closest_passages(without_llm, question, status):
    assert_state(without_llm.ask(question), status, "the question says praised; the closest passage censures")


@pytest.mark.parametrize("question, status", [
    ("The Treaty on the Prohibition of Nuclear Weapons entered into force in 2017, didn't it?", "related"),  # 2021
    ("2024年的总结说所有缔约国都欢迎《禁止核武器条约》生效，对吗？", "related"),  # many, not all
    ("The Treaty on the Prohibition of Nuclear Weapons entered into force in 2021, didn't it?", "answered"),
])
def test_a_false_premise_is_answered_with_the_closest_passages_never_as_agreement(without_llm, question, status):
    answer = without_llm.ask(question)
    assert_state(answer, status)
    assert (DOC_2024, 33) in answer.citations


@pytest.mark.parametrize("question, fact", [
    ("How many IAEA inspectors are deployed worldwide?", "count"), ("美国目前拥有多少枚已部署的核弹头？", "count"),
    ("朝鲜进行的核试验一共被谴责了几次？", "count"), ("What percentage of the world's electricity is nuclear?", "count"),
    ("What is the budget of the IAEA technical cooperation fund?", "count"), ("技术合作基金的预算是多少？", "count"),
    ("When will the 2026 Review Conference be held?", "date"), ("《佩林达巴条约》是在哪一年生效的？", "date"),
    ("Which resolution endorsed the JCPOA, and in what year?", "date"), ("裁谈会主席的建议是何时提出的？", "date"),
    ("What were the dates of the working group's sessions?", "date"), ("Which years did it name?", "date"),
    ("How high is the enrichment Iran has reached?", "count"),
    # a level is as often a degree as a number: "有限程度的保证" (limited assurance, eval/npt q092)
    ("What level of assurance do comprehensive safeguards agreements give?", None),
    ("Is that still the count in the 2024 summary?", "count"), ("这个数字在2024年的总结里是多少？", "count"),
    ("How long did the working group meet?", "count"), ("审议周期持续多久？", "count"),  # a duration is a number
    # "when" as a conjunction asks for no date
    ("Which IAEA document describes the standards suppliers apply when exporting equipment?", None),
    ("What did the 2007 paper say about Iran?", None), ("2007年的工作文件对伊朗表示了什么？", None),
    ("Which articles of the UN Charter are invoked?", "article"), ("退出权依据的是《条约》哪一条？", "article"),
    ("哪个条约在非洲？", None),  # a treaty is no article
    ("专家组的审查最后得出了什么结论？", "outcome"), ("What did the Board decide on the new standard text?", "outcome"),
    ("What was the outcome of the 2010 Conference?", "outcome"), ("缔约国就此作出了哪些决定？", "outcome"),
    ("Who chaired the second session?", "person"), ("筹备委员会第二届会议的主席是谁？", "person"),
    # whether something was adopted asks for an outcome; when it was asks for a date
    ("2026年审议大会最终是否通过了协商一致的最后文件？", "outcome"), ("Did the 2010 Conference adopt a final document?", "outcome"),
    ("When was it adopted?", "date"),
    ("Who was the President of the Conference?", "person"), ("谁主持了这次会议？", "person"),
    ("Who is the current Director General of the IAEA?", "person"), ("联合国秘书长是谁？", "person"),
    ("谁担任原子能机构总干事？", "person"), ("谁是第二届筹备委员会会议的主席？", "person"),
    # who said or proposed it is answered by "一些缔约国" as often as by a name; a chairing State is a State
    ("Who proposed an ad hoc committee?", None), ("谁提出了这个建议？", None), ("谁是主席国？", None),
    ("According to the Chair's summary, who proposed an ad hoc committee?", None),
    ("Which Security Council resolution addresses non-State actors?", "resolution"),
    ("大会通过了哪项决议？", "resolution"), ("What resolutions did the General Assembly adopt on it?", "resolution"),
    ("What was the resolution's effect?", None),
])
def test_the_kind_of_fact_a_question_asks_for(question, fact):
    from assistant.answerability import asked_fact

    assert asked_fact(question) == fact


@pytest.mark.parametrize("kind, sentence, question, states", [
    ("count", "谴责该国进行的六次核试验。", "", True), ("count", "缔约国欢迎182个缔约国的协定生效。", "", True),
    ("count", "核武器国家在每个审议周期提交两次国家报告。", "", True),
    # "several thousand" answers "roughly how many", not "how many"
    ("count", "已部署和储存的核武器总数仍有达几千枚之多。", "Roughly how many nuclear weapons are there?", True),
    ("count", "已部署和储存的核武器总数仍有达几千枚之多。", "美国目前拥有多少枚已部署的核弹头？", False),
    ("count", "缔约国祝贺原子能机构成立五十周年。", "", True),
    ("count", "缔约国对以色列的核计划表示关切。", "", False), ("count", "States parties expressed concern.", "", False),
    # the question's own numbers are no answer to it
    ("count", "缔约国一致认为，2026 年审议大会取得圆满成功非常重要。", "How many States attended the 2026 Conference?", False),
    ("date", "国际法院于 1996 年 7 月 8 日发表咨询意见。", "When did the Court deliver its opinion?", True),
    ("date", "缔约国一致认为，2026 年审议大会取得圆满成功非常重要。", "When will the 2026 Review Conference be held?", False),
    ("date", "缔约国欢迎182个缔约国的协定生效。", "When did the agreements enter into force?", False),
    ("date", "大会在第七十届会议上通过了该决议。", "When was the resolution adopted?", True),  # a session dates it
    ("date", "The Board adopted it at its sixty-first session.", "When was it adopted?", True),
    ("article", "一些国家指出，此类承诺不影响《宪章》第五十一条。", "Which articles are cited?", True),
    ("article", "The right is set out in Article X of the Treaty.", "", True),
    ("article", "缔约国促请各国批准该条约。", "", False),  # "条约" is a treaty, not an article
    ("article", "根据第十条第 1 款缔约国拥有退出的权利。", "第十条第 1 款之外还依据哪一条？", False),
    # dates, ordinals and resolution numbers count nothing
    ("count", "第三次缔约国会议将于 2025 年 3 月 3 日至 7 日在纽约举行。", "How many States attended?", False),
    ("count", "缔约国注意到筹备委员会第十九届会议核定的准则。", "How many stations?", False),
    ("count", "The meeting was held from 21 to 23 June 2022 in Vienna.", "How many States attended?", False),
    # "哪几项决议" asks for a resolution's number
    ("count", "缔约国敦促该国遵守安全理事会第 1737（2006）号决议。", "该国须遵守哪几项决议？", True),
    ("count", "第三次会议有 83 个国家出席。", "How many States attended?", True),
    # a resolution's number counts nothing unless resolutions are asked of
    ("count", "缔约国敦促该国遵守安全理事会第 1737（2006）号和第 1747（2007）号决议。", "How many centrifuges does Iran operate?", False),
    ("count", "The Council adopted resolution 2231 (2015).", "How many centrifuges does Iran operate?", False),
    ("count", "The Council adopted resolution 2231 (2015).", "How many resolutions were adopted, and which?", True),
    # "一项" alone is Chinese for "a"; a number that holds 一 still counts
    ("count", "缔约国鼓励俄罗斯联邦和美国谈判一项后续条约。", "How many warheads does Russia have?", False),
    ("count", "已有十一个国家批准了一项议定书。", "How many States have ratified it?", True),
    ("count", "已有一百个国家批准了议定书。", "How many States have ratified it?", True),
    # noting a review or a discussion states no outcome of it
    ("outcome", "缔约国表示注意到理事会就这一主题进行的讨论。", "理事会最后作出了什么决定？", False),
    ("outcome", "理事会 2005 年决定核准订正标准文本。", "理事会最后作出了什么决定？", True),
    ("outcome", "The Board took note of the report.", "What did the Board conclude?", False),
    # a share is asked: a count of States is no percentage
    ("count", "缔约国指出，在无核武器区内的国家目前已超过 105 个。", "What percentage of States are in such zones?", False),
    ("count", "无核武器区内的国家目前已超过 105 个。", "无核武器区内的国家占多大比例？", False),
    ("count", "Some 40 per cent of States are in such zones.", "What share of States are in such zones?", True),
    ("count", "其中百分之六十来自发展中国家。", "发展中国家占百分之几？", True),
    # a chair is named with a title; "six presidents" name no one
    ("person", "缔约国欢迎裁军谈判会议在 2006 年六位主席的主持下建立的势头。", "谁主持了会议？", False),
    ("person", "会议由阿根廷的古斯塔沃·苏尼加大使主持。", "谁主持了会议？", True),
    ("person", "The session was chaired by Ambassador Akan Rakhmetullin.", "Who chaired it?", True),
    ("person", "原子能机构向大使馆通报了情况。", "谁主持了会议？", False),
    ("person", "缔约国赞扬原子能机构总干事的努力。", "Who is the Director General of the IAEA?", False),
    ("outcome", "缔约国一致认为，2026 年审议大会取得圆满成功非常重要。", "2026年审议大会最终是否通过了最后文件？", False),
    ("outcome", "1995 年审议和延期大会通过了关于中东的决议。", "Did the 1995 Conference adopt a resolution on the Middle East?", True),
    # a resolution is cited by its number, one the question does not give itself
    ("resolution", "缔约国强调了包括第1540(2004)号决议在内的安全理事会相关决议的作用。", "Which resolution?", True),
    ("resolution", "并在第 1887(2009)和 2310(2016)号决议中回顾了这些保证。", "哪项决议？", True),
    ("resolution", "请其他缔约国注意大会第 78/240 号决议。", "Which resolution?", True),
    ("resolution", "The Council adopted resolution 2231 (2015).", "Which resolution?", True),
    ("resolution", "缔约国对非国家行动者有可能获得大规模毁灭性武器表示关切。", "Which resolution?", False),
    ("resolution", "缔约国强调了第1540(2004)号决议的作用。", "Was it resolution 1540 (2004) or another resolution?", False),
    # or by its title, one the question does not give
    ("resolution", "缔约国重申支持执行 1995 年审议和延期大会通过的关于中东的决议(1995 年决议)。", "1995年大会通过了哪项决议？", True),
    ("resolution", "缔约国重申支持执行关于中东的决议。", "关于中东的决议是哪一年通过的哪项决议？", False),
])
def test_a_sentence_that_states_the_asked_fact(kind, sentence, question, states):
    from assistant.answerability import states_fact

    assert states_fact(kind, sentence, question) is states


@pytest.mark.parametrize("text, named", [
    ("缔约国呼吁印度和巴基斯坦继续暂停试验。", True), ("缔约国还促请南苏丹尽快加入《条约》。", True),
    ("缔约国重申支持执行 1995 年审议和延期大会通过的关于中东的决议。", False),  # a region names no State
    ("缔约国回顾，五个核武器国家在 2010 年审议大会上重申承诺。", False),  # a category, not a name
    ("缔约国欢迎叙利亚与原子能机构合作。", True), ("南非放弃了核武器。", True),  # not regions for their last character
])
def test_a_passage_that_names_a_state(text, named):
    from assistant.answerability import names_one

    assert names_one(text, "state") is named


@pytest.mark.parametrize("text, city", [
    ("缔约国重申支持执行 1995 年审议和延期大会通过的关于中东的决议。", False),  # a region
    ("缔约国欢迎中亚无核武器区条约的签署。", False), ("会议于 2022 年 6 月在维也纳召开。", True),
    ("首次核能峰会在布鲁塞尔举行。", True), ("The Conference was held in New York.", True),
    ("会议在纽约联合国总部召开。", True), ("缔约国向联合国秘书长报告促进中东无核武器区的步骤。", False),
])
def test_a_passage_that_names_a_city(text, city):
    from assistant.answerability import asks_city, names_city

    assert names_city(text) is city
    assert asks_city("In which city was it held?") and asks_city("会议在哪座城市举行？") and not asks_city("Where was it held?")


@pytest.mark.parametrize("question, status", [
    # ¶102 and ¶34 speak of the 1995 Conference's resolution on the Middle East, never of its city
    ("1995年审议和延期大会是在哪个城市召开的？", "related"),
    ("禁止核武器条约第二次缔约国会议是在哪座城市举行的？", "answered"),  # ¶33: New York
])
def test_which_city_answered_by_passages_that_name_only_regions_is_related(without_llm, question, status):
    assert_state(without_llm.ask(question), status, "asks where; the passages name no city")


@pytest.mark.parametrize("question, venue", [
    ("2026年审议大会在哪里举行？", True), ("Where is the CTBTO headquartered?", True),
    ("第二次会议在哪里开的？", True), ("Where will the next meeting be held?", True),
    ("Where did States raise the issue of gender?", False),  # a forum answers, not a city
    ("在哪些领域开展合作？", False), ("Where should cooperation take place?", False), ("应该在哪里开展合作？", False),
])
def test_where_a_meeting_meets_or_a_body_sits_asks_for_a_place(question, venue):
    from assistant.answerability import asks_venue

    assert asks_venue(question) is venue


@pytest.mark.parametrize("question, status, reason", [
    # ¶5 and ¶27 speak of the 2026 Review Conference and never say where it meets
    ("2026年审议大会在哪里举行？", "related", "asks where; the passages name no city"),
    # ¶130 names the cities of the IAEA's laboratories, and nothing of the CTBTO
    ("Where is the CTBTO headquartered?", "related", "asks where; the passages that name a city do not name what it asks about"),
    ("禁止核武器条约第一次缔约国会议在哪里举行？", "answered", None),  # ¶33: Vienna
])
def test_where_a_meeting_meets_is_answered_by_a_city(without_llm, question, status, reason):
    assert_state(without_llm.ask(question), status, reason)


@pytest.mark.parametrize("question, status, reason", [
    # 2007 ¶38 dates the DPRK's 2006 test; 2024 ¶113 counts six tests and dates none
    ("朝鲜的第六次核试验是在哪一年进行的？", "related", "asks of the 第六次; the passages that state a date do not count it"),
    # ¶109 dates the first four sessions
    ("When was the fifth session of the conference on a Middle East zone free of weapons of mass destruction held?",
     "related", "asks of the fifth session; the passages that state a date do not count it"),
    ("Where were the first four sessions of the Middle East zone conference held?", "answered", None),
])
def test_a_fact_of_a_meeting_counted_by_its_ordinal_is_stated_of_that_one(without_llm, question, status, reason):
    assert_state(without_llm.ask(question), status, reason)


def test_an_outcome_stated_beside_the_closest_sentence_is_quoted(without_llm):
    # ¶13's first sentence names the 1996 advisory opinion; its next one states what the Court
    # concluded, and the answer was `related` without it
    answer = without_llm.ask("What did the International Court of Justice conclude in its 1996 advisory opinion?")
    assert_state(answer, "answered")
    assert answer.citations[0] == (DOC_2024, 13)
    assert any("结论" in sentence.text for sentence in answer.sentences)


def test_an_outcome_the_passages_only_note_is_related(without_llm):
    # ¶140 notes the IAEA's comprehensive report on the treated water and supports its work; it
    # never says what the report concluded.
    answer = without_llm.ask("What did the IAEA's comprehensive safety review of the Fukushima water discharge conclude?")
    assert_state(answer, "related", "asks what was decided; the passages state no outcome")


def test_a_count_quoted_only_from_a_passage_about_something_else_is_related(without_llm):
    # The closest passages (¶18, ¶41) are on the International Monitoring System and give no
    # number; the count quoted after them ("182个缔约国", ¶69) counts safeguards agreements.
    question = "How many certified International Monitoring System stations does the CTBT verification regime have?"
    answer = without_llm.ask(question)
    # Since an English question's sentences from other paragraphs are held to a narrower margin,
    # ¶69's count is no longer quoted at all: the quotes state no number.
    assert_state(answer, "related", "asks how many; the passages state no number")
    assert not any("182" in s.text for s in answer.sentences)
    # The rule itself, on the same passages: ¶69's count reads 0.07 below the closest sentence.
    relevant = without_llm.gate.relevant(question, answer.retrieved + [without_llm.retriever.with_paragraphs_first(
        question, [], [(DOC_2024, 69)], 1)[0]])
    count = "缔约国欢迎182个缔约国与原子能机构的全面保障监督协定已经生效。"
    closest = "缔约国注意到全面禁止核试验条约组织筹备委员会在建立国际监测系统方面取得的进展。"
    assert any(count in r.text for r in relevant) and any(closest in r.text for r in relevant)
    assert not without_llm._near_best([count], relevant, {question})
    assert without_llm._near_best([closest], relevant, {question})


def test_a_count_answered_by_quotes_without_any_number_is_related(without_llm):
    answer = without_llm.ask("How many nuclear warheads does Israel possess, according to the 2007 working paper?")
    assert answer.status == "related" and answer.verdict.reason == "asks how many; the passages state no number"
    assert_faithful(answer)


@pytest.mark.parametrize("question, status", [
    # the summary names the 2026 Conference but never its dates
    ("When will the 2026 Review Conference be held?", "related"),
    ("On what date did the International Court of Justice deliver its advisory opinion on nuclear weapons?", "answered"),
])
def test_a_date_answered_by_quotes_without_any_date_is_related(without_llm, question, status):
    assert_state(without_llm.ask(question), status, "asks when; the passages state no date")


@pytest.mark.parametrize("question, status", [
    # ¶33 dates the TPNW's third meeting of States parties (2025, New York); it names no Review
    # Conference, which other paragraphs do (审议大会)
    ("When will the next Review Conference be held?", "related"),
    ("When did the Treaty on the Prohibition of Nuclear Weapons enter into force?", "answered"),  # ¶33: 2021
])
def test_a_date_stated_of_another_subject_is_related(without_llm, question, status):
    assert_state(without_llm.ask(question), status, "asks when; the passages that state a date do not name what it asks about")


def test_the_chinese_names_of_the_terms_an_english_question_gives():
    names = default_glossary().names_of("When did the IAEA hold the International Conference on Nuclear Security?")
    assert {"国际原子能机构", "原子能机构"} in names and {"核安保"} in names
    assert default_glossary().names_of("2024年的总结") == []


def test_an_english_lookup_quotes_the_paragraph_that_prints_the_name_most(without_llm):
    # ¶18 (the DPRK's test shows the CTBT is needed) ranks above ¶38 (what States parties said
    # of the DPRK), and names it once; ¶38 is about it
    answer = without_llm.ask("What does the 2007 paper say about the DPRK?")
    assert answer.status == "answered" and answer.verdict.reason == "topic lookup", answer.verdict
    assert set(answer.citations) == {(DOC_2007, 38)}


def test_who_speaks_is_not_the_topic_an_english_lookup_looks_up(without_llm):
    # "States parties" is a glossary term too (缔约国), printed in nearly every paragraph: ¶25 of
    # the 2007 paper, on security assurances (安全保证), printed it in every sentence and led
    answer = without_llm.ask("What did States parties say about nuclear security?")
    assert_faithful(answer)
    assert answer.citations[0] == (DOC_2024, 137), answer.text
    assert all("核安保" in s.text or "安保" in s.text for s in answer.sentences[:2]), [s.text for s in answer.sentences]


def test_a_name_one_paragraph_mentions_in_passing_is_quoted_where_it_is_printed(without_llm):
    # ¶33 of the 2007 paper is on nuclear-weapon-free zones; one of its six sentences names the
    # Treaty of Tlatelolco, and that sentence is what it says of it (not the other five)
    answer = without_llm.ask("What is said about the Treaty of Tlatelolco?")
    assert answer.status == "answered" and answer.verdict.reason == "topic lookup", answer.verdict
    assert_faithful(answer)
    assert all("特拉特洛尔科条约" in s.text for s in answer.sentences), [s.text for s in answer.sentences]
    assert (DOC_2007, 33) in answer.citations


@pytest.mark.parametrize("question", ["2024年筹备委员会第二届会议的主席是谁？",
                                      "Who presided over the second session of the Preparatory Committee?",
                                      "Who is the Director General of the IAEA?", "原子能机构总干事是谁？"])
def test_who_holds_an_office_answered_by_passages_that_name_no_one_is_related(without_llm, question):
    # ¶1 ("…第二届会议主席为反映…所作的最大尝试") speaks of the Chair and never names one; ¶62 and
    # ¶142 speak of the IAEA and its Director General, never by name
    assert_state(without_llm.ask(question), "related", "asks who holds an office; the passages name no one")


def test_a_count_asked_of_passages_that_only_say_a_or_one_is_related(without_llm):
    # ¶30 encourages "一项后续条约" (a follow-on treaty) on Russian and US warheads: "一项" is
    # Chinese for "a", not a count of warheads
    answer = without_llm.ask("How many nuclear warheads does Russia have?")
    assert_state(answer, "related", "asks how many; the passages state no number")


def test_a_question_for_a_share_answered_by_a_count_is_related(without_llm):
    # ¶32: "more than 105 States" are in nuclear-weapon-free zones; no share of anything is printed
    answer = without_llm.ask("What percentage of the world's States lie in nuclear-weapon-free zones?")
    assert_state(answer, "related")
    assert (DOC_2007, 32) in answer.citations


@pytest.mark.parametrize("question, names", [
    ("What does the 2007 paper say about the DPRK?", ["朝鲜民主主义人民共和国", "朝鲜"]),
    ("What about the IAEA?", ["国际原子能机构", "原子能机构"]),
    # a fact about the name is asked, not what is said of it
    ("What did the 2024 summary say about the DPRK's nuclear tests?", []), ("When did the TPNW enter into force?", []),
    ("2024年总结对伊朗说了什么？", []),  # Chinese lookups are read by jieba
])
def test_an_english_question_that_only_looks_a_glossary_term_up(question, names):
    from assistant.answerability import _english_lookup_names

    assert _english_lookup_names(question, {"2007", "2024", "working paper"}, default_glossary()) == names


@pytest.mark.parametrize("question, actor", [
    ("Which State party claimed that the Zaporizhzhia plant belongs to it?", True),
    ("哪个国家重申了其不率先动用核武器的政策承诺？", True), ("1995年中东决议是由哪些国家共同提出的？", True),
    ("…强调不率先动用核武器这一政策之重要性的那个核国家是哪一国？", True),
    # the asked State is what the subject acts on
    ("Which country was welcomed for giving up its programme?", False), ("Which country's safeguards issues remain?", False),
    ("哪些国家被要求维持核试验暂停？", False), ("还有哪个国家被促请尽早加入不扩散条约？", False),
    ("有一个缔约国呼吁核武器国家不要把哪些国家作为核攻击对象？", False),  # it says itself that one State did
    ("What did the 2007 paper say about Iran?", False),
])
def test_a_question_that_asks_which_state_did_something(question, actor):
    from assistant.answerability import asks_for_actor

    assert asks_for_actor(question) is actor


@pytest.mark.parametrize("question, status", [
    # ¶142: "一个缔约国认为，扎波罗热核电厂不存在未经授权的军事力量…" names no State
    ("Which State party claimed that the Zaporizhzhia nuclear power plant belongs to it?", "related"),
    ("哪些国家批评美国退出《联合全面行动计划》？", "related"),  # ¶110: 一些缔约国
    ("Which country said it was willing to be the first to sign the Protocol to the Bangkok Treaty?", "answered"),  # China
])
def test_which_state_answered_by_a_passage_that_names_none_is_related(without_llm, question, status):
    assert_state(without_llm.ask(question), status, "asks which State; the passage does not name it")


@pytest.mark.parametrize("question", ["2024年总结对伊朗说了什么？", "2024年主席总结对伊朗问题是怎么说的？",
                                      "What did the 2024 summary say about Iran?"])
def test_what_the_documents_say_of_a_name_they_print_is_answered(without_llm, question):
    # Whatever ¶110 says of Iran answers; an LLM asked whether it "answers" says no (P(yes) 0.12).
    answer = without_llm.ask(question)
    assert answer.status == "answered" and answer.verdict.reason == "topic lookup", answer.verdict
    assert_faithful(answer)
    assert (DOC_2024, 110) in answer.citations


def test_a_state_the_quoted_passages_never_print_is_related(without_llm):
    # ¶37-¶41 say what many States said of the CTBT; the documents print India (¶106), never there
    answer = without_llm.ask("What did India say about the CTBT?")
    assert_state(answer, "related", "names India; the passages quoted do not")
    # where the quoted paragraph prints the State, it answers: 中国, ¶100
    answer = without_llm.ask("What did China say about the Bangkok Treaty protocol?")
    assert answer.status == "answered" and answer.citations[0] == (DOC_2024, 100)
    # the United Kingdom is 联合王国 in 2007 ¶12, by the glossary's name, not ISO's 英国
    answer = without_llm.ask("英国和美国对核裁军方面的努力作了什么澄清？")
    assert answer.verdict.reason != "names United Kingdom, United States; the passages quoted do not", answer.verdict
    assert (DOC_2007, 12) in answer.citations
    # Germany is printed once, as 德 in ¶43's French-German exercise, and not in ¶18 on sharing
    assert_state(without_llm.ask("德国对核共享安排有何看法？"), "related", "names Germany; the passages quoted do not")


def test_a_state_an_earlier_question_named_is_not_the_follow_ups(without_llm):
    # "那布鲁塞尔召开的首届核能峰会呢？" is rewritten into the question about Kazakhstan's LEU bank;
    # ¶123 on the summit never names Kazakhstan, and answers it (eval/npt f023)
    history = [{"role": "user", "content": "2024年总结提到，原子能机构在哈萨克斯坦运营的低浓缩铀库是哪一年全面运转的？"},
               {"role": "assistant", "content": "根据文件：缔约国欢迎在哈萨克斯坦建立一个原子能机构拥有和运营的低浓缩铀库以及该铀库于 "
                                                "2019 年全面投入运作，并欢迎成员国为此提供自愿捐款。[npt-2024-chair-summary ¶136]"}]
    answer = without_llm.ask("那布鲁塞尔召开的首届核能峰会呢？", history)
    assert answer.status == "answered" and answer.citations[0] == (DOC_2024, 123)


def test_which_resolution_answered_by_passages_that_cite_none_is_related(without_llm):
    # 2007 ¶5 on non-State actors cites no resolution; 1540 (2004) is in paragraphs not retrieved
    answer = without_llm.ask("Which Security Council resolution addresses non-State actors and weapons of mass destruction?")
    assert_state(answer, "related", "asks which resolution; the passages cite none")
    answer = without_llm.ask("Which resolution did the General Assembly adopt on victim assistance and environmental remediation?")
    assert answer.status == "answered" and "78/240" in answer.sentences[0].text
    assert len(answer.sentences) == 1  # ¶32, on the same topic, cites no resolution
