"""Reading JSON Lines files (questions, answers, labelled pairs) with errors that name the line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from vectorstore.errors import InputError
from vectorstore.readers import decode_text


def objects(path: Path) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-blank line; a missing file, undecodable text, bad JSON
    or a line that is not an object is an InputError naming the file and line."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    for line_no, line in enumerate(decode_text(path.read_bytes(), str(path)).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{line_no}: not valid JSON ({exc.msg})") from None
        except RecursionError:
            raise InputError(f"{path}:{line_no}: JSON nested too deeply") from None
        if not isinstance(item, dict):
            raise InputError(f"{path}:{line_no}: each line must be a JSON object")
        yield line_no, item
