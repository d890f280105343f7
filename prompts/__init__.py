"""Prompt templates, one file per prompt and language, shipped inside the wheel.

A template file holds the system message, a line `---`, then the user message. Placeholders
are `{name}` (str.format); a literal brace is doubled. Documents and questions are put inside
the user message between clear delimiters, never into the system message, so that instructions
inside them read as data.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

SEPARATOR = "\n---\n"


@cache
def template(name: str, language: str) -> tuple[str, str]:
    text = resources.files(__package__).joinpath(f"{name}.{language}.txt").read_text(encoding="utf-8")
    system, user = text.split(SEPARATOR, 1)
    return system.strip(), user.strip()


def messages(name: str, language: str, **values: str) -> list[dict[str, str]]:
    """The chat messages of a template, filled in."""
    system, user = template(name, language)
    return [
        {"role": "system", "content": system.format(**values)},
        {"role": "user", "content": user.format(**values)},
    ]
