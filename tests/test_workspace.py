"""The serving process's workspace: uploads under their own names, the answer cache and its
invalidation, and one computation for a question asked by many at once."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from assistant.answering import Done, Lead, Retrieved, SentenceReady, Standalone
from assistant.workspace import Upload, Workspace, replay
from vectorstore.errors import InputError

from .conftest import DEMO_FILES, DOC_2024

pytestmark = pytest.mark.slow

QUESTION = "2024年缔约国对扎波罗热核电厂提出了什么要求？"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, settings, embedder):
    workspace = Workspace(settings.model_copy(update={"data_dir": tmp_path_factory.mktemp("workspace")}))
    workspace.ingest([Upload(path.name, path) for path in DEMO_FILES])
    return workspace


def test_an_identical_question_asked_at_once_is_answered_once(workspace, monkeypatch):
    assistant = workspace.assistant()
    calls = []
    original = assistant.stream

    def counted(*args, **kwargs):
        calls.append(args[0])
        time.sleep(0.5)  # hold the question long enough for the others to arrive
        yield from original(*args, **kwargs)

    monkeypatch.setattr(assistant, "stream", counted)
    question = "What did the 2007 working paper say about Iran?"
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: workspace.ask(question), range(8)))
    assert calls == [question]
    assert len({a.text for a in answers}) == 1 and not answers[0].refused


def test_a_cached_answer_replays_the_whole_stream(workspace):
    first = [type(e) for e in workspace.stream(QUESTION)]
    again = list(workspace.stream(QUESTION))
    assert [type(e) for e in again] == first
    assert [Standalone, Retrieved, Lead, SentenceReady] == [type(e) for e in again][:4]
    assert isinstance(again[-1], Done) and f"[{DOC_2024} ¶142]" in again[-1].answer.text


def test_a_changed_corpus_is_answered_anew(workspace, tmp_path):
    question = "蓝鲸保护区设在哪里？"
    assert workspace.ask(question).refused
    doc = tmp_path / "whales.txt"
    doc.write_text("1. 蓝鲸保护区设在北冰洋，由海洋委员会管理。\n\n2. 保护区每年开放三个月。\n", encoding="utf-8")
    workspace.ingest([Upload("blue-whales.txt", doc)])  # the name the client gave is the id
    assert ("blue-whales", 1) in workspace.ask(question).citations
    workspace.delete("blue-whales")
    assert workspace.ask(question).refused


def test_a_bad_upload_is_named_as_the_client_named_it(workspace, tmp_path):
    corrupt = tmp_path / "x.bin"
    corrupt.write_bytes(b"%PDF-1.7 not really")
    with pytest.raises(InputError) as raised:
        workspace.ingest([Upload("report.pdf", corrupt)])
    assert str(raised.value).startswith("report.pdf") and "paracite-upload-" not in str(raised.value)
    with pytest.raises(InputError, match="unsupported file type .exe"):
        workspace.ingest([Upload("../../setup.exe", corrupt)])
    assert "report" not in {d.doc_id for d in workspace.documents()}


@pytest.mark.parametrize("question, status", [
    (QUESTION, "answered"),
    ("Did the five nuclear-weapon States sign the TPNW in 2017?", "related"),
    ("What was the explosive yield of India's 1998 nuclear tests?", "refused"),
])
def test_an_answer_read_back_from_its_json_is_the_same_answer(workspace, question, status):
    # How a replica reads an answer another one put in the shared (Redis) cache.
    from assistant.answer_cache import answer_from_json

    answer = workspace.assistant().ask(question)
    assert answer.status == status
    again = answer_from_json(answer.as_json())
    assert again.as_json() == answer.as_json()
    assert again.text == answer.text and again.status == status
    assert [type(e) for e in replay(again)] == [type(e) for e in replay(answer)]


def test_with_the_cache_off_every_question_is_answered_afresh(workspace, monkeypatch):
    uncached = Workspace(workspace.settings.model_copy(update={"answer_cache": "off"}))
    calls = []
    original = uncached.assistant().stream
    monkeypatch.setattr(uncached.assistant(), "stream", lambda *a, **k: calls.append(a[0]) or original(*a, **k))
    for _ in range(2):
        assert not uncached.ask(QUESTION).refused
    assert calls == [QUESTION, QUESTION]


def test_renderings_shown_and_rejected_are_read_back_from_the_json(workspace):
    from assistant.answer_cache import answer_from_json
    from assistant.translation import Rendering

    answer = workspace.assistant().ask("Which IAEA programmes are cited for improving the representation of women "
                                       "in the nuclear field?")
    assert len(answer.sentences) >= 2
    answer.sentences[0].rendering = Rendering("en", "llamacpp", "States parties urged Iran to comply.")
    answer.sentences[1].rendering = Rendering("en", "llamacpp", None, rejected="numbers changed: 2006",
                                              draft="In 2007 States parties urged…")
    again = answer_from_json(answer.as_json())
    assert [s.rendering for s in again.sentences[:2]] == [s.rendering for s in answer.sentences[:2]]
    assert again.text == answer.text and "Machine translation:" in again.text
