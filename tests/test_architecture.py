"""ARCHITECTURE.md stays true: every path it names exists, and every name its seams table gives
is defined where the table says."""

from __future__ import annotations

import importlib
import re

from .conftest import ROOT

PAGE = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
PATH = re.compile(r"\b(?:assistant|vectorstore|prompts|widget|tests)/[\w./-]*")
CODE = re.compile(r"`([^`]+)`")


def module_of(path: str):
    return importlib.import_module(path.removesuffix(".py").replace("/", "."))


def test_every_path_the_page_names_exists():
    paths = set(PATH.findall(PAGE))
    assert len(paths) >= 20
    missing = sorted(p for p in paths if not (ROOT / p.rstrip(".")).exists())
    assert missing == []


def test_the_seams_table_names_what_each_module_defines():
    rows = [line for line in PAGE.splitlines() if line.startswith("| ") and ".py` `" in line]
    assert len(rows) == 8  # embedder, store, retriever, rewriter, generator, judge, answerability, translator
    for row in rows:
        seam, interface, implementations, registry = [cell.strip() for cell in row.strip("|").split("|")]
        path, name = CODE.findall(interface)
        module = module_of(path)
        assert hasattr(module, name), (seam, path, name)
        for implementation in CODE.findall(implementations):
            if re.fullmatch(r"[A-Z][a-z]\w+", implementation):  # a class name, not a setting
                assert hasattr(module, implementation), (seam, implementation)
        registry_path, registry_name = CODE.findall(registry)
        assert hasattr(module_of(registry_path), registry_name), (seam, registry_path, registry_name)
