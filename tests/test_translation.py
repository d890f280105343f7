"""Renderings of quotes in the reader's language (assistant.translation): the checks on planted bad
renderings, the cache, the running text, titles per language, and the whole path on the real
local model behind llama-cpp-python's OpenAI-compatible server (CLI, API stream, OpenAI endpoint).

`PlantedTranslator` is not a model: it returns renderings written here, each with a known fault
(or none), so that the checks are tested on exactly the faults the issue names. The real model is
tested on its own output below.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant import services
from assistant.answers import Answer, AnswerSentence, Citation, compose_text
from assistant.translation import (
    Glossary,
    Renderer,
    RenderingCache,
    Term,
    check,
    clean_reply,
    default_glossary,
    embedding_faithfulness,
    numbers_kept,
)
from vectorstore.readers import load_document

from .conftest import DEMO_FILES, DOC_2007, DOC_2024
from .servers import llama_server

ROOT = Path(__file__).resolve().parent.parent
IRAN = ("缔约国对伊朗伊斯兰共和国核计划表示严重关切，并强烈敦促该国毫不拖延地遵守安全理事会第 1737（2006）号和"
        "第 1747（2007）号决议和原子能机构理事会有关决议的所有规定。")
ZAPORIZHZHIA = "一些缔约国呼吁将所有未经授权的军事人员和其他人员紧急撤出该国的扎波罗热核电厂，并立即将该厂交还乌克兰主管当局完全控制。"
TPNW = "一些缔约国欢迎《禁止核武器条约》于2021年1月22日生效。"
SESSION = "缔约国注意到于2023 年 11 月 27 日至 12 月 1 日举行的第二届会议。"


class PlantedTranslator:
    """Returns the rendering planted for each sentence (not a model; see the module docstring)."""

    name = "planted"

    def __init__(self, renderings: dict[str, str]) -> None:
        self.renderings = renderings
        self.calls = 0
        self.retried = 0  # attempts told why the one before was rejected

    def translate(self, text, source, target, terms, rejected=None):
        self.calls += 1
        self.retried += 1 if rejected else 0
        return self.renderings[text]


# --- the checks, on the faults the issue names ------------------------------------------------------

PLANTED = [
    # what the local Qwen wrote, measured by the issue
    (ZAPORIZHZHIA, "Some缔约国 urged the withdrawal of all unauthorized military personnel from the plant.", "not all in English"),
    (TPNW, "Some States parties welcomed the entry into force of the Treaty on the Non-Proliferation of Nuclear "
           "Weapons on 22 January 2021.", "禁止核武器条约"),
    (SESSION, "The States parties noted the second session, held from 27 to 12 December 2023.", "leaves out 1, 11"),
    # a dropped number, a changed name
    (IRAN, "The States parties expressed serious concern about the nuclear programme of the Islamic Republic of Iran "
           "and urged it to comply with Security Council resolution 1737 (2006).", "leaves out 1747, 2007"),
    (IRAN, "The States parties expressed serious concern about the nuclear programme of the Islamic Republic of Iraq "
           "and strongly urged it to comply with Security Council resolutions 1737 (2006) and 1747 (2007) and the "
           "relevant IAEA resolutions.", "伊朗伊斯兰共和国"),
    # a term rendered as another one (安全保证 are security assurances, not safeguards), read in a real rendering
    ("缔约国促请所有核武器国家重申并执行现有的安全保证。",
     "The States parties urged all nuclear-weapon States to reaffirm and implement the existing safeguards.", "安全保证"),
    # an actor the original does not name
    ("核武器国家概述了过去几十年为削弱核武器在其安全理论中的作用所作的努力。",
     "The Secretary-General outlined the efforts of the nuclear-weapon States over past decades to reduce the role "
     "of nuclear weapons in their security doctrines.", "Secretary-General"),
]


@pytest.mark.parametrize("original, rendering, reason", PLANTED)
def test_each_planted_fault_is_caught_by_the_checks(original, rendering, reason):
    found = check(original, rendering, "zh", "en", default_glossary())
    assert found is not None and reason in found


FAITHFUL = [
    (IRAN, "The States parties expressed serious concern about the nuclear programme of the Islamic Republic of Iran "
           "and strongly urged it to comply without delay with all the provisions of Security Council resolutions "
           "1737 (2006) and 1747 (2007) and the relevant resolutions of the IAEA Board of Governors."),
    (TPNW, "Some States parties welcomed the entry into force of the Treaty on the Prohibition of Nuclear Weapons "
           "on 22 January 2021."),
    (SESSION, "The States parties noted the second session, held from 27 November to 1 December 2023."),
    (ZAPORIZHZHIA, "Some States parties called for the urgent withdrawal of all unauthorized military and other "
                   "personnel from the country's Zaporizhzhia Nuclear Power Plant and for the plant to be returned "
                   "immediately to the full control of the competent Ukrainian authorities."),
]


@pytest.mark.parametrize("original, rendering", FAITHFUL)
def test_a_faithful_rendering_passes_the_checks(original, rendering):
    assert check(original, rendering, "zh", "en", default_glossary()) is None


def test_no_faithful_labelled_pair_is_rejected_by_the_checks():
    pairs = [json.loads(line) for line in (ROOT / "eval" / "renderings" / "pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    glossary = default_glossary()
    assert len(pairs) >= 30
    for pair in pairs:
        if pair["faithful"]:
            assert check(pair["original"], pair["rendering"], "zh", "en", glossary) is None, pair["id"]


def test_numbers_and_months_both_ways():
    assert numbers_kept("2006年 10月的核试验", "the nuclear test of October 2006", "zh", "en") is None
    assert "leaves out 10" in numbers_kept("2006年 10月的核试验", "the nuclear test of 2006", "zh", "en")
    assert "adds 2008" in numbers_kept("第1737（2006）号决议", "resolution 1737 (2006) and 2008", "zh", "en")
    assert numbers_kept("第十一届会议", "the 11th session", "zh", "en") is None  # a numeral in characters
    assert numbers_kept("the test of October 2006", "2006年10月的试验", "en", "zh") is None
    assert numbers_kept("此类攻击可能需要采取适当行动。", "Such attacks may require appropriate action.", "zh", "en") is None
    assert "leaves out 10" in numbers_kept("the test of October 2006", "2006年的试验", "en", "zh")


def test_english_to_chinese_keeps_terms_and_script():
    glossary = default_glossary()
    original = "The States parties welcomed the entry into force of the Treaty on the Prohibition of Nuclear Weapons."
    assert check(original, "缔约国欢迎《禁止核武器条约》生效。", "en", "zh", glossary) is None
    assert "禁止核武器条约" in check(original, "缔约国欢迎《不扩散核武器条约》生效。", "en", "zh", glossary)
    assert "not all in Chinese" in check(original, "The 缔约国 welcomed it.", "en", "zh", glossary)


def test_a_longer_term_is_matched_before_the_shorter_one_inside_it():
    glossary = Glossary([Term("核武器国家", ("nuclear-weapon State",)), Term("无核武器国家", ("non-nuclear-weapon State",))])
    assert [t.zh for t in glossary.in_text("无核武器国家关切", "zh")] == ["无核武器国家"]


def test_a_model_reply_is_cleaned_of_labels_and_quotes():
    assert clean_reply('English translation: "The States parties agreed."\n\nNote: literal.') == "The States parties agreed."


@pytest.mark.slow
def test_the_renderer_shows_only_what_passes_and_caches_every_outcome(embedder, tmp_path):
    planted = PlantedTranslator({original: rendering for original, rendering, _ in PLANTED[:3]} | dict(FAITHFUL[:1]))
    cache_file = tmp_path / "renderings.sqlite"
    renderer = Renderer(planted, default_glossary(), RenderingCache(cache_file), embedding_faithfulness(embedder))
    shown = renderer.render(IRAN, "en")
    assert shown.text == FAITHFUL[0][1] and shown.rejected is None
    for original, rendering, reason in PLANTED[:3]:
        rejected = renderer.render(original, "en")
        assert rejected.text is None and reason in rejected.rejected and rejected.draft == rendering
        assert rejected.as_json()["machine_translation"] is True and rejected.as_json()["text"] is None
    assert planted.retried == 3  # each rejected draft was sent back once with its reason
    calls = planted.calls
    again = Renderer(planted, default_glossary(), RenderingCache(cache_file), embedding_faithfulness(embedder))
    assert again.render(IRAN, "en") == shown and again.render(TPNW, "en").text is None
    assert planted.calls == calls  # from the file: the translator was not asked again


@pytest.mark.slow
def test_the_judge_rejects_a_changed_position_the_checks_cannot_see(embedder):
    original = "许多缔约国对日本从福岛第一核电站排放经处理的水表示关切。"
    support = "Many States parties expressed support for Japan's discharge of treated water from the Fukushima Daiichi nuclear power plant."
    concern = "Many States parties expressed concern about Japan's discharge of treated water from the Fukushima Daiichi nuclear power plant."
    planted = PlantedTranslator({original: support})
    renderer = Renderer(planted, default_glossary(), RenderingCache(None), embedding_faithfulness(embedder))
    assert check(original, support, "zh", "en", default_glossary()) is None
    assert renderer.render(original, "en").rejected.startswith("the judge doubts")
    planted.renderings[original] = concern
    assert Renderer(planted, default_glossary(), RenderingCache(None), embedding_faithfulness(embedder)).render(original, "en").text == concern


# --- the running text -------------------------------------------------------------------------------


def test_renderings_follow_the_sentences_in_the_text_and_each_step_extends_it():
    from assistant.translation import Rendering

    first = AnswerSentence(IRAN, [Citation(DOC_2007, 37, IRAN)])
    second = AnswerSentence(TPNW, [Citation(DOC_2024, 9, TPNW)])
    answer = Answer("What about Iran?", "What about Iran?", [first, second], refused=False, lead="The documents say:")
    before = answer.text
    first.rendering = Rendering("en", "m", "The States parties were concerned.")
    middle = answer.text
    second.rendering = Rendering("en", "m", None, "the rendering leaves out 22")
    after = answer.text
    assert middle.startswith(before) and after.startswith(middle)
    assert after == (f"The documents say: {IRAN}[{DOC_2007} ¶37]{TPNW}[{DOC_2024} ¶9]\n\nMachine translation: "
                     f"The States parties were concerned.[{DOC_2007} ¶37] (no verified translation)[{DOC_2024} ¶9]")
    data = answer.as_json()
    assert data["sentences"][0]["rendering"]["text"] == "The States parties were concerned."
    assert data["sentences"][1]["rendering"] == {"language": "en", "translator": "m", "text": None,
                                                 "rejected": "the rendering leaves out 22", "machine_translation": True}
    assert compose_text("", [(IRAN, [(DOC_2007, 37)])], [("渲染", [(DOC_2007, 37)], "zh")]).endswith("\n\n机器翻译：渲染[" + DOC_2007 + " ¶37]")


# --- titles per language ----------------------------------------------------------------------------


def test_a_document_has_a_title_per_language_from_its_sidecar_and_the_command_line(tmp_path):
    demo = load_document(DEMO_FILES[0])
    assert demo.metadata["title_zh"] == "主席的工作文件" and demo.metadata["title_en"] == "Chair's working paper"
    source = tmp_path / "policy.txt"
    source.write_text("政策\n\n1. 每名员工每天可以免费喝两杯咖啡。\n", encoding="utf-8")
    plain = load_document(source)
    assert plain.metadata.get("title_zh") == "政策" and "title_en" not in plain.metadata
    titled = load_document(source, {"en": "  Coffee   policy "})
    assert titled.metadata["title_en"] == "Coffee policy" and titled.source_hash != plain.source_hash
    (tmp_path / "policy.titles.toml").write_text('en = "Office policy"\n', encoding="utf-8")
    assert load_document(source).metadata["title_en"] == "Office policy"
    from vectorstore.errors import InputError

    with pytest.raises(InputError, match="languages are en, zh"):
        load_document(source, {"fr": "Politique"})
    (tmp_path / "policy.titles.toml").write_text('en = "unclosed\n', encoding="utf-8")
    with pytest.raises(InputError, match="cannot read the titles"):
        load_document(source)


@pytest.mark.slow
def test_titles_follow_the_question_language_in_retrieval(demo_store, embedder, tmp_path):
    from vectorstore.search import Retriever

    retriever = Retriever(demo_store, embedder, tmp_path / "lexical")
    english = retriever.search("What did the 2007 working paper say about Iran?", k=1)[0]
    chinese = retriever.search("2007年的工作文件对伊朗说了什么？", k=1)[0]
    assert (english.doc, english.title) == (DOC_2007, "Chair's working paper")
    assert (chinese.doc, chinese.title) == (DOC_2007, "主席的工作文件")


@pytest.mark.slow
def test_ingest_takes_a_title_for_one_file_only(cli_env, tmp_path):
    from .test_answering import paracite

    source = tmp_path / "policy.txt"
    source.write_text("政策\n\n1. 每名员工每天可以免费喝两杯咖啡。\n", encoding="utf-8")
    result = paracite(cli_env, "ingest", str(source), "--title-en", "Coffee policy", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["title_en"] == "Coffee policy"
    both = paracite(cli_env, "ingest", str(source), *map(str, DEMO_FILES), "--title-en", "X")
    assert both.returncode != 0 and "one file" in both.stderr and "Traceback" not in both.stderr


# --- the real local model behind its OpenAI-compatible server --------------------------------------


@pytest.fixture(scope="module")
def llm_url(settings, tmp_path_factory):
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        pytest.fail("llama-cpp-python is not installed: run `make llm`")
    with llama_server(services.llm_model_path(settings), tmp_path_factory.mktemp("llm") / "server.log") as url:
        yield url


@pytest.fixture(scope="module")
def rendering_env(llm_url, settings, tmp_path_factory) -> dict[str, str]:
    from .test_answering import paracite

    env = dict(os.environ, PARACITE_DATA_DIR=str(tmp_path_factory.mktemp("data")),
               PARACITE_CACHE_DIR=str(settings.cache_dir), PARACITE_TRANSLATOR="auto", PARACITE_LLM_URL=llm_url,
               PARACITE_ANSWERABILITY="similarity")
    assert paracite(env, "ingest", *map(str, DEMO_FILES)).returncode == 0
    return env




@pytest.mark.slow
@pytest.mark.llm
def test_an_english_question_gets_verified_renderings_from_the_configured_server(rendering_env):
    """PARACITE_LLM_URL alone (translator auto) renders the Chinese quotes for an English reader."""
    from .test_answering import paracite

    result = paracite(rendering_env, "ask", "What did the 2007 working paper say about Iran?", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["lead"] == "The documents say (quoted in their original language, with machine translations):"
    assert data["translation"]["translator"] == "paracite-llm"
    sentence = data["sentences"][0]
    assert sentence["citations"][0]["quote"] in sentence["text"]  # the quote stays the evidence, verbatim
    rendering = sentence["rendering"]
    assert rendering["language"] == "en" and rendering["machine_translation"] is True
    glossary = default_glossary()
    if rendering["text"] is not None:  # whatever the model wrote, what is shown passed every check
        assert check(sentence["text"], rendering["text"], "zh", "en", glossary) is None
        assert "Machine translation: " + rendering["text"] in data["answer"]
    else:
        assert rendering["rejected"] and "(no verified translation)" in data["answer"]
    assert data["retrieved"][0]["title"] == "Chair's working paper"
    # A Chinese question over Chinese text needs none.
    chinese = json.loads(paracite(rendering_env, "ask", "2007年的工作文件对伊朗核计划表示了什么？", "--json").stdout)
    assert "translation" not in chinese and all("rendering" not in s for s in chinese["sentences"])


@pytest.mark.slow
@pytest.mark.llm
def test_the_stream_and_the_openai_endpoint_carry_the_renderings(rendering_env, settings):
    from fastapi.testclient import TestClient

    from assistant.server import create_app
    from assistant.settings import Settings
    from assistant.workspace import Workspace

    local = Settings(data_dir=Path(rendering_env["PARACITE_DATA_DIR"]), cache_dir=settings.cache_dir,
                     translator="auto", llm_url=rendering_env["PARACITE_LLM_URL"], answerability="similarity")
    question = "What did the 2007 working paper say about Iran?"
    with TestClient(create_app(Workspace(local), ui=False), base_url="http://127.0.0.1") as client:
        events = []
        with client.stream("POST", "/api/chat", json={"question": question}) as response:
            name = None
            for line in response.iter_lines():
                if line.startswith("event:"):
                    name = line.split(":", 1)[1].strip()
                elif line.startswith("data:"):
                    events.append((name, json.loads(line.split(":", 1)[1])))
        names = [n for n, _ in events]
        assert "rendering" in names and names.index("rendering") > max(i for i, n in enumerate(names) if n == "sentence")
        done = events[-1][1]
        assert events[-1][0] == "done"
        rendering = next(d for n, d in events if n == "rendering")
        assert rendering["index"] == 0 and {k: v for k, v in rendering.items() if k != "index"} == done["sentences"][0]["rendering"]
        assert "".join(d["text"] for n, d in events if n == "token") == done["answer"]
        completion = client.post("/v1/chat/completions", json={"model": "paracite", "messages": [
            {"role": "user", "content": question}]}).json()
        assert completion["choices"][0]["message"]["content"] == done["answer"]


def test_a_translator_that_fails_leaves_the_quote_standing_and_is_asked_again_next_time():
    from vectorstore.errors import ModelError

    class UnreachableServer:
        """Raises as the OpenAI-compatible translator does when its server is down (not a model)."""

        name = "down"
        calls = 0

        def translate(self, text, source, target, terms, rejected=None):
            self.calls += 1
            raise ModelError("the LLM server failed: ConnectError: connection refused")

    server = UnreachableServer()
    renderer = Renderer(server, default_glossary(), RenderingCache(None))
    failed = renderer.render(IRAN, "en")
    assert failed.text is None and "connection refused" in failed.rejected
    renderer.render(IRAN, "en")
    assert server.calls == 2  # a failure is not an outcome: it is not cached


def test_numerals_in_characters_are_read_quietly(recwarn):
    from assistant.translation import chinese_numerals

    assert "11" in chinese_numerals("数以千计的核武器，第十一届会议")
    assert not [w for w in recwarn if "cn2an" in str(w.filename)]  # cn2an's own warnings reach no terminal


@pytest.mark.parametrize("question, language, annotated", [
    ("The TPNW entered into force in 2017, didn't it?", "en", "The TPNW (禁止核武器条约) entered into force in 2017, didn't it?"),
    ("What did non-nuclear-weapon States ask of nuclear-weapon States?", "en",
     "What did non-nuclear-weapon States (无核武器国家) ask of nuclear-weapon States (核武器国家)?"),
    ("无核武器国家对核武器国家提出了什么要求？", "zh",
     "无核武器国家（non-nuclear-weapon State）对核武器国家（nuclear-weapon State）提出了什么要求？"),
    ("What did the paper say about Fukushima?", "en", "What did the paper say about Fukushima (福岛)?"),
    ("Who chaired the meeting?", "en", "Who chaired the meeting?"),
])
def test_a_question_is_annotated_with_its_terms_in_the_other_language(question, language, annotated):
    # A longer term is annotated once, and the shorter term inside it is not annotated again.
    assert default_glossary().annotated(question, language) == annotated
