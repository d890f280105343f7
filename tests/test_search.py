"""Retrieval on the real model and a real Chroma: dense, lexical, fused, by number, filters."""

import json
import subprocess
import sys

import numpy as np
import pytest

from assistant.translation import default_glossary
from vectorstore.ingest import ingest
from vectorstore.lexical import LexicalIndex, current_index, tokenize
from vectorstore.langchain import ParagraphRetriever
from vectorstore.embedder import RewrittenQueries
from vectorstore.search import Retriever, document_hints, spelled_out, without_document_names
from vectorstore.store import DocumentInfo

from .conftest import DEMO_FILES, DOC_2007, DOC_2024
from .test_store import small_document

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def retriever(demo_store, embedder, tmp_path_factory):
    return Retriever(demo_store, embedder, tmp_path_factory.mktemp("lexical") / "index")


def test_glossary_names_give_an_english_question_lexical_evidence_over_chinese_text(retriever, demo_store, embedder,
                                                                                      tmp_path):
    # English words are unknown to a Chinese index, so its lexical evidence counted for nothing;
    # the glossary's Chinese name of the Treaty is exact evidence, and ¶33 (which prints it) now
    # ranks above ¶18 (the CTBT, "该条约"), which reads closer to the embedding model.
    question = "What is the Treaty on the Prohibition of Nuclear Weapons and how do States view it?"
    assert keys(retriever.search(question, k=5))[0] == (DOC_2007, 18)
    with_terms = Retriever(demo_store, embedder, tmp_path / "index", default_glossary())
    found = with_terms.search(question, k=5)
    assert keys(found)[0] == (DOC_2024, 33) and found[0].lexical > 0
    # A Chinese question over Chinese text keeps its own words' evidence (¶33 first either way);
    # with the glossary, the paragraphs on another treaty (the CTBT: ¶18 of 2007, ¶37, ¶38) drop.
    chinese = "禁止核武器条约何时生效？"
    plain, named = keys(retriever.search(chinese, k=3)), keys(with_terms.search(chinese, k=3))
    assert plain[0] == named[0] == (DOC_2024, 33)
    assert (DOC_2007, 18) in plain and not {(DOC_2007, 18), (DOC_2024, 37), (DOC_2024, 38)} & set(named)


def keys(results):
    return [(r.doc, r.paragraph) for r in results]


@pytest.mark.parametrize("question, spelled", [
    ("Who chairs the TPNW meetings?", "Who chairs the Treaty on the Prohibition of Nuclear Weapons meetings?"),
    ("Did the IAEA verify the DPRK's NPT safeguards?", "Did the International Atomic Energy Agency verify the "
     "Democratic People's Republic of Korea's Treaty on the Non-Proliferation of Nuclear Weapons safeguards?"),
    ("What about New START?", "What about New START?"),  # no acronym of a longer name
    ("Is NPTREC staff counted?", "Is NPTREC staff counted?"),  # a word that only starts like one
    ("Is CTBTO staff counted?", "Is Comprehensive Nuclear-Test-Ban Treaty Organization staff counted?"),  # its own term
    ("原子能机构和IAEA", "原子能机构和IAEA"),  # a Chinese question is read as written
])
def test_acronyms_are_spelled_out_for_the_embedding_model(question, spelled):
    assert spelled_out(question, default_glossary()) == spelled


def test_an_acronym_finds_the_paragraph_its_full_name_finds(demo_store, embedder, tmp_path):
    # EmbeddingGemma reads "TPNW" as four letters: 0.21 to ¶33, which answers; spelled out 0.50.
    question = "Which city hosted the first meeting of States parties to the TPNW?"
    glossary = default_glossary()
    spelling = Retriever(demo_store, RewrittenQueries(embedder, lambda q: spelled_out(q, glossary)),
                         tmp_path / "index", glossary)
    found = spelling.search(question, k=5)
    assert keys(found)[0] == (DOC_2024, 33) and found[0].similarity > 0.45
    assert Retriever(demo_store, embedder, tmp_path / "plain", glossary).search(question, k=1)[0].similarity < 0.3


@pytest.mark.parametrize("question, first, not_first", [
    # ¶33 is the TPNW's entry into force; the CTBT's is ¶37, ¶38 and ¶41
    ("What did the 2024 summary say about the Comprehensive Nuclear-Test-Ban Treaty entering into force?",
     None, (DOC_2024, 33)),
    ("缔约国如何看待禁止核武器条约？", (DOC_2024, 33), None),  # ¶15 (nuclear threats) ranked first before
])
def test_a_paragraph_about_another_treaty_ranks_below_the_named_one(demo_store, embedder, tmp_path, question, first,
                                                                      not_first):
    found = keys(Retriever(demo_store, embedder, tmp_path / "index", default_glossary()).search(question, k=5))
    assert (first is None or found[0] == first) and found[0] != not_first


def test_document_hints_leave_out_what_most_documents_share():
    def info(doc_id, title, date=""):
        return DocumentInfo(doc_id, title, 10, "printed", "0" * 64, "", {"date": date})

    two = document_hints([info("npt-2007-chair-working-paper", "主席的工作文件"), info("npt-2024-chair-summary", "主席的总结")])
    assert two == {"npt-2007-chair-working-paper": {"2007", "working paper", "工作文件"},
                   "npt-2024-chair-summary": {"2024", "summary", "总结"}}
    three = document_hints([info("npt-2007-chair-working-paper", "主席的工作文件"),
                            info("npt-2024-chair-summary", "主席的总结", "2024 年 7 月"),
                            info("un-2023-sg-report", "Report of the Secretary-General")])
    assert three["npt-2007-chair-working-paper"] == {"2007", "working paper", "主席的工作文件", "工作文件"}
    assert three["un-2023-sg-report"] == {"2023", "un sg report", "report of the secretary-general"}
    # A lone document is named by its title's head too ("2024年的总结对福岛说了什么？").
    assert document_hints([info("npt-2024-chair-summary", "主席的总结")])["npt-2024-chair-summary"] == {
        "2024", "npt chair summary", "主席的总结", "总结"}
    # What is left must still name something: never a letter or a digit that any question holds.
    assert document_hints([info("a", "Annual report A"), info("b", "Annual report B")]) == {
        "a": {"annual report a"}, "b": {"annual report b"}}
    volumes = document_hints([info("final-document-vol-1", "Final Document Volume I"),
                              info("final-document-vol-2", "Final Document Volume II")])
    assert volumes["final-document-vol-1"] == {"final document vol 1", "final document volume i"}
    # A shared start that ends inside a word is cut back to the word.
    drafts = document_hints([info("report-a", "Draft decision on x"), info("report-b", "Draft declaration")])
    assert drafts["report-b"] == {"report b", "declaration", "draft declaration"}


def test_the_words_that_name_a_document_are_taken_out_of_the_question():
    infos = [DocumentInfo("npt-2007-chair-working-paper", "主席的工作文件", 51, "printed", "0" * 64, "",
                          {"title_en": "Chair's working paper"}),
             DocumentInfo("npt-2024-chair-summary", "主席的总结", 152, "printed", "1" * 64, "",
                          {"title_en": "Chair's summary"})]
    cases = {
        "2007年工作文件中提到了哪些出口管制安排？": "提到了哪些出口管制安排？",
        "根据2024年的主席总结，缔约国如何看待福岛？": "缔约国如何看待福岛？",
        "主席的工作文件对以色列有什么要求？": "对以色列有什么要求？",
        "According to the Chair's summary, how many States ratified the CTBT?": "how many States ratified the CTBT?",
        "What did the 2007 paper say about Israel?": "What did it say about Israel?",
        "In the 2024 summary, what is said about export controls?": "what is said about export controls?",
        # the session a document records; not another body's session of that year
        "What did States parties say about nuclear security at the 2024 session?":
            "What did States parties say about nuclear security?",
        "What was decided at the 2024 session of the IAEA General Conference?":
            "What was decided at the 2024 session of the IAEA General Conference?",
        "What did the IAEA General Conference decide at its 2024 session?":
            "What did the IAEA General Conference decide at its 2024 session?",
        "2024年总结上述的建议是什么？": "上述的建议是什么？",  # "上" after a name, not "上述"
        # a year alone may be what is asked about; a word that names no document stays
        "What did States parties say about the nuclear test in 2006?":
            "What did States parties say about the nuclear test in 2006?",
        "Which report of the Director General was welcomed?": "Which report of the Director General was welcomed?",
        "Give me a summary of the debate on Iran.": "Give me a summary of the debate on Iran.",
        # nothing left to read: the question as it was
        "2024年的总结": "2024年的总结",
    }
    assert {q: without_document_names(q, infos) for q in cases} == cases


def test_tokenize_is_chinese_aware_and_drops_noise():
    tokens = tokenize("缔约国对扎波罗热核电厂的安全表示关切。Security Council resolution 1737!")
    assert {"扎波罗热", "核电厂", "security", "1737"} <= set(tokens)
    assert "的" not in tokens and "。" not in tokens and " " not in tokens


def test_chinese_question_finds_its_paragraph(retriever):
    results = retriever.search("哪些缔约国呼吁撤出扎波罗热核电站的军事人员？", k=5)
    assert keys(results)[0] == (DOC_2024, 142)
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)


def test_a_paragraph_counts_by_its_best_sentence(retriever, embedder, demo_store):
    # The answer is one clause of 2024 ¶111; on whole-paragraph vectors 2007 ¶37 (Iran) wins.
    question = "Which country's long-outstanding safeguards issues is the IAEA Director General trying to resolve?"
    vector = embedder.embed_queries([question])[0]
    paragraph_hits = demo_store.dense_search(vector, 203)
    assert (paragraph_hits[0].paragraph.doc_id, paragraph_hits[0].paragraph.number) != (DOC_2024, 111)
    best = demo_store.dense_sentence_search(vector, 20)
    record = next(r for r in best if r.startswith(f"{DOC_2024}#111@"))
    assert best[record] > next(h.similarity for h in paragraph_hits if h.record_id == record)
    top = retriever.search(question, k=1)[0]
    assert (top.doc, top.paragraph) == (DOC_2024, 111)
    assert top.similarity == pytest.approx(best[record], abs=1e-5)


def test_english_question_over_chinese_text_uses_dense_search(retriever):
    lexical = retriever.lexical().scores("Which states were urged to stop developing nuclear weapons?")
    assert lexical.coverage == 0.0  # no English word is in the Chinese corpus
    results = retriever.search("What did the states say about the IAEA low enriched uranium bank in Kazakhstan?", k=5)
    assert (DOC_2024, 136) in keys(results)[:2]


def test_lexical_evidence_counts_for_shared_numbers(retriever):
    scores = retriever.lexical().scores("Security Council resolution 1737")
    assert 0 < scores.coverage < 1
    row = int(np.argmax(scores.sentence_best))
    assert (retriever.lexical().rows[row].doc_id, retriever.lexical().rows[row].number) == (DOC_2007, 37)


def test_sentence_level_lexical_evidence(retriever):
    scores = retriever.lexical().scores("布鲁塞尔 核能峰会")
    row = int(np.argmax(scores.sentence_best))
    assert retriever.lexical().rows[row].number == 123


def test_paragraph_named_by_number(retriever):
    assert keys(retriever.search("2024年总结第144段说了什么？", k=3))[0] == (DOC_2024, 144)
    assert keys(retriever.search("What does paragraph 37 of the 2007 working paper say?", k=3))[0] == (DOC_2007, 37)
    # Both documents have a paragraph 14: without a document named, both come first.
    assert set(keys(retriever.search("第14段", k=2))) == {(DOC_2007, 14), (DOC_2024, 14)}


def test_a_named_document_is_preferred(retriever):
    results = retriever.search("2007年的工作文件对伊朗核计划怎么说？", k=3)
    assert results[0].doc == DOC_2007
    results = retriever.search("What does the 2024 summary say about Iran's nuclear programme?", k=3)
    assert results[0].doc == DOC_2024


@pytest.mark.parametrize("question, compared", [
    ("How many States had yet to ratify the CTBT according to the 2007 paper, and according to the 2024 summary?",
     ["npt-2007-chair-working-paper", "npt-2024-chair-summary"]),
    ("What do both documents say about export controls?", ["npt-2007-chair-working-paper", "npt-2024-chair-summary"]),
    ("两份文件对核试验暂停怎么说？", ["npt-2007-chair-working-paper", "npt-2024-chair-summary"]),
    ("2007年和2024年的文件分别怎么看待朝鲜的核试验？", ["npt-2007-chair-working-paper", "npt-2024-chair-summary"]),
    ("What does the 2024 summary say about export controls?", []), ("缔约国对出口管制怎么说？", []),
    # a year the question gives is not the document of that year
    ("What did the 2024 summary say about the 2007 decision?", []),
    ("What did the two reports of the Director General say?", []),
])
def test_the_documents_a_question_asks_each_of(retriever, question, compared):
    assert retriever.documents_compared(question) == compared


def test_the_words_that_name_the_document_do_not_pull_dense_similarity(retriever):
    # "the 2007 working paper … concern" read ¶37 on Iran's "serious concern" as close as the
    # answer; the dense search reads the question without the document's name, the named-document
    # stage still picks the document
    question = "What concern did the 2007 working paper raise about the IAEA technical cooperation programme being misused?"
    results = retriever.search(question, k=3)
    assert (results[0].doc, results[0].paragraph) == (DOC_2007, 41)
    assert results[0].similarity > 0.42  # 0.379 with the document's name read as topic


def test_the_share_of_paragraphs_that_print_a_name(retriever):
    index = retriever.lexical()
    assert index.share_printing("缔约国") > 0.5  # nearly every paragraph: names no subject
    assert 0 < index.share_printing("审议大会") < 0.5
    assert index.share_printing("AUKUS") == 0.0


def test_filter_by_document(retriever):
    results = retriever.search("伊朗核计划", k=10, doc_ids=[DOC_2024])
    assert len(results) == 10 and {r.doc for r in results} == {DOC_2024}


def test_langchain_retriever(retriever):
    docs = ParagraphRetriever(retriever=retriever, k=3).invoke("扎波罗热核电厂")
    assert len(docs) == 3
    assert (docs[0].metadata["doc"], docs[0].metadata["paragraph"]) == (DOC_2024, 142)
    assert docs[0].page_content.startswith("许多缔约国对持续武装冲突背景下乌克兰的核安全")


def test_lexical_index_follows_ingest_and_delete(store, embedder, tmp_path):
    directory = tmp_path / "lexical"
    ingest([small_document("alpha", ["鲸鱼保护条约。"], "a" * 64)], store, embedder)
    index = current_index(store, directory)
    assert [r.doc_id for r in index.rows] == ["alpha"]
    assert LexicalIndex.load(directory).fingerprint == store.fingerprint()
    ingest([small_document("alpha", ["企鹅保护条约。"], "b" * 64)], store, embedder)
    retriever = Retriever(store, embedder, directory)
    assert [r.text for r in retriever.search("企鹅", k=1)] == ["企鹅保护条约。"]
    assert retriever.lexical().scores("鲸鱼").sentence_best.max() == 0
    store.delete("alpha")
    assert retriever.search("企鹅", k=1) == []


def test_cli_retrieve_jsonl_contract(tmp_path, cli_env):
    ingest_run = subprocess.run([sys.executable, "-m", "assistant", "ingest", str(DEMO_FILES[0])],
                                env=cli_env, capture_output=True, text=True)
    assert ingest_run.returncode == 0, ingest_run.stderr
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": 7, "question": "伊朗核计划", "extra": 1}\n{"question": "缔约国重申三大支柱"}\n',
                         encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "assistant", "retrieve", "--jsonl", str(questions), "-k", "2"],
                         env=cli_env, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert lines[0]["id"] == 7 and "id" not in lines[1]
    assert lines[0]["query"] == "伊朗核计划" and len(lines[0]["results"]) == 2
    first = lines[0]["results"][0]
    assert set(first) >= {"doc", "paragraph", "title", "text", "score"}
    assert (first["doc"], first["paragraph"]) == (DOC_2007, 37)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n', encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "assistant", "retrieve", "--jsonl", str(bad)],
                         env=cli_env, capture_output=True, text=True)
    assert run.returncode == 2 and 'needs a non-empty "question"' in run.stderr


def test_recent_queries_are_embedded_once(embedder, tmp_path):
    calls = []
    model = embedder._embedder

    class Counting:
        name = model.name

        def embed_documents(self, texts):
            return model.embed_documents(texts)

        def embed_queries(self, texts):
            calls.append(list(texts))
            return model.embed_queries(texts)

    from vectorstore.embedder import CachedEmbedder

    cached = CachedEmbedder(Counting(), tmp_path / "vectors.sqlite")
    first = cached.embed_queries(["扎波罗热核电厂", "福岛"])
    again = cached.embed_queries(["福岛", "扎波罗热核电厂"])
    assert calls == [["扎波罗热核电厂", "福岛"]]
    assert np.allclose(first[0], again[1]) and np.allclose(first[1], again[0])


def test_a_paragraph_of_five_digits_is_found_by_its_number(store, embedder, tmp_path):
    path = tmp_path / "long-register.txt"
    path.write_text("Register\n\n1. 第一条记录。\n\n2. 第二条记录。\n\n" +
                    "".join(f"{n}. 第{n}条记录涉及鲸鱼保护。\n\n" for n in range(99998, 100003)), encoding="utf-8")
    from vectorstore.ingest import read_all

    ingest(read_all([path]), store, embedder)
    retriever = Retriever(store, embedder, tmp_path / "lexical")
    assert keys(retriever.search("第100001段说了什么？", k=3))[0] == ("long-register", 100001)
    assert keys(retriever.search("What does paragraph 100002 say?", k=3))[0] == ("long-register", 100002)
