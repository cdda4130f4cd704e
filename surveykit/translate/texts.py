"""Every translatable text of a questionnaire, found by the format's key table.

A value is text where :mod:`surveykit.spec` says its kind is ``text`` (directly,
as the values of a map such as ``options`` or scale ``labels``, or inside lists
and nested objects).  The walk follows the key table, not the look of the data,
so an option code that happens to be ``en`` is never taken for a language.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from surveykit import spec
from surveykit.errors import Problem, QuestionnaireError
from surveykit.loader import DEFAULT_MAX_BYTES
from surveykit.source import read_source

__all__ = ["Entry", "export_texts", "load_roundtrip", "missing_by_language", "text_nodes"]

_MISSING = re.compile(r"text is missing the declared language\(s\) (.+)$")


@dataclass(frozen=True, slots=True)
class Entry:
    """One text to translate: where it is (``pages[0].questions[2].text``), its source and its translation."""

    key: str
    source: str
    translation: str


def load_roundtrip(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> tuple[Any, YAML, str]:
    """The questionnaire as ruamel.yaml round-trip data, the YAML instance to dump it, and the text.

    The file goes through the project's reader first (size cap, encoding, forbidden
    characters, tags, merge keys, alias bombs: a QuestionnaireError at file:line:col),
    so ruamel.yaml only ever sees what the loader would compose.
    """
    source = read_source(path, max_bytes=max_bytes, name=str(path), as_file=True)
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 100_000  # never re-wrap a long line
    yaml.indent(mapping=2, sequence=4, offset=2)  # the shipped files' layout: "  - " under a key
    data = yaml.load(source.text)
    if not isinstance(data, dict):
        raise QuestionnaireError([Problem(str(path), 1, 1, "", "a questionnaire is a mapping of keys")])
    return data, yaml, source.text


def text_nodes(data: dict[str, Any]) -> Iterator[tuple[str, Any, Any, Any]]:
    """(key path, container, key, value) of every text, in file order."""
    yield from _object(data, spec.OBJECT_KEYS["questionnaire"], "")


def _object(value: Any, keys: Sequence[spec.Key], path: str) -> Iterator[tuple[str, Any, Any, Any]]:
    if not isinstance(value, dict):
        return
    table = {key.name: key for key in keys}
    for name, item in value.items():
        key = table.get(name)
        if key is not None:
            yield from _walk(value, name, item, key.kind, f"{path}.{name}" if path else str(name))


def _walk(container: Any, slot: Any, value: Any, kind: Any, path: str) -> Iterator[tuple[str, Any, Any, Any]]:
    if kind == "text":
        yield path, container, slot, value
        return
    if isinstance(kind, str):
        return
    head = kind[0]
    if head == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(value, index, item, kind[1], f"{path}[{index}]")
    elif head == "map" and isinstance(value, dict):
        for name, item in value.items():
            yield from _walk(value, name, item, kind[2], f"{path}.{name}")
    elif head == "object":
        yield from _object(value, spec.keys_of(kind[1]), path)
    elif head == "section" and isinstance(value, dict):
        yield from _object(value, spec.SECTION_KEYS.get(value.get("type") or "page", ()), path)
    elif head == "question" and isinstance(value, dict):
        yield from _object(value, spec.QUESTION_KEYS.get(str(value.get("type")), ()), path)


def languages_of(data: dict[str, Any]) -> list[str]:
    langs = data.get("languages")
    return [str(lang) for lang in langs] if isinstance(langs, list) else []


def export_texts(path: str | Path, target: str, *, source: str | None = None) -> tuple[str, list[Entry]]:
    """(source language, every text with its source and its ``target`` translation so far).

    ``source`` defaults to the questionnaire's first language.  A one-language survey's
    plain strings are its source texts.
    """
    data, _, _ = load_roundtrip(path)
    langs = languages_of(data)
    src = source or (langs[0] if langs else "")
    if not src:
        raise QuestionnaireError([Problem(str(path), 1, 1, "languages", "the questionnaire declares no language")])
    if target == src:
        raise QuestionnaireError([Problem(str(path), 1, 1, "languages", f"{target!r} is the source language")])
    entries = []
    for key, _container, _slot, value in text_nodes(data):
        if isinstance(value, dict):
            text, done = value.get(src), value.get(target)
        else:
            text, done = value, None
        if isinstance(text, str):
            entries.append(Entry(key, text, done if isinstance(done, str) else ""))
    return src, entries


def missing_by_language(problems: Sequence[Problem]) -> dict[str, int]:
    """How many texts lack each declared language, from the loader's problems (for ``surveykit validate``)."""
    counts: dict[str, int] = {}
    for problem in problems:
        found = _MISSING.search(problem.message)
        if found:
            for lang in re.findall(r"'([^']+)'", found.group(1)):
                counts[lang] = counts.get(lang, 0) + 1
    return counts
