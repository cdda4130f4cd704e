"""Piping: an earlier answer or a segment field inside later wording.

``{answer:visit_type}`` in a question, option, row, help, page title or intro
is replaced, for each respondent, by the label of their answer in the language
they answer in (the option's text, the scale point's label, the number or text
as given); ``{field:dealer}`` by the value of the invitation's field (its label
when ``values:`` names it).  An answer not given becomes empty text.

The replacement is plain text: the page templates escape it like every other
text, so an answer such as ``<script>`` shows as typed and runs nothing.

The loader checks each pipe where it is written (:func:`check_pipes`): the
answer must exist and be asked on an earlier screen (an answer of the same
screen is not known when the screen is drawn), the field must be declared, and
a pipe outside the pages (the description, the thanks, a report label) is
refused rather than shown as written.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from surveykit.checks import names_of
from surveykit.model import Field, Option, Question, Questionnaire, Screen, Text
from surveykit.reader import BAD, Obj, Reader
from surveykit.screens import KANO_PER_SCREEN
from surveykit.yamlsafe import Mapping as MappingNode
from surveykit.yamlsafe import Node, Scalar, Sequence

__all__ = ["PIPE", "check_pipes", "has_pipes", "pipe_screen", "pipe_text", "pipes_in"]

PIPE = re.compile(r"\{(answer|field):([a-z][a-z0-9_]*)\}")
_LIST_SEP = {"zh": "、", "zh-Hant": "、", "ja": "、"}


def pipes_in(text: Text | None) -> list[tuple[str, str]]:
    """The (kind, name) pairs piped into ``text``, in every language."""
    if text is None:
        return []
    return [(m.group(1), m.group(2)) for _, value in text.values for m in PIPE.finditer(value)]


def has_pipes(screen: Screen) -> bool:
    """Whether anything on ``screen`` pipes an answer or a field."""
    return any(pipes_in(text) for text in _screen_texts(screen))


def _screen_texts(screen: Screen) -> Iterator[Text | None]:
    yield screen.title
    yield screen.intro
    for question in screen.questions:
        yield question.text
        yield question.help
        for option in question.options:
            yield option.text
        for row in question.rows:
            yield row.text


def pipe_text(text: Text, q: Questionnaire, answers: Mapping[str, Any], fields: Mapping[str, Any]) -> Text:
    """``text`` with every pipe replaced, language by language, by the answer's or field's label."""
    if not any(PIPE.search(value) for _, value in text.values):
        return text
    out = []
    for lang, value in text.values:

        def label(match: re.Match[str], lang: str = lang) -> str:
            kind, name = match.group(1), match.group(2)
            if kind == "field":
                return _field_label(q, name, fields.get(name), lang)
            return _answer_label(q, name, answers, lang)

        out.append((lang, PIPE.sub(label, value)))
    return Text(tuple(out))


def pipe_screen(screen: Screen, q: Questionnaire, answers: Mapping[str, Any], fields: Mapping[str, Any]) -> Screen:
    """``screen`` with its texts piped for one respondent (ids, order and rules unchanged)."""

    def pipe(text: Text | None) -> Text | None:
        return pipe_text(text, q, answers, fields) if text is not None else None

    questions = tuple(
        replace(
            x,
            text=pipe_text(x.text, q, answers, fields),
            help=pipe(x.help),
            options=tuple(Option(o.code, pipe_text(o.text, q, answers, fields)) for o in x.options),
            rows=tuple(replace(r, text=pipe_text(r.text, q, answers, fields)) for r in x.rows),
        )
        if _question_pipes(x)
        else x  # unchanged, so the web form keeps its ready-made view
        for x in screen.questions
    )
    return replace(screen, title=pipe(screen.title), intro=pipe(screen.intro), questions=questions)


def _question_pipes(question: Question) -> bool:
    texts = [question.text, question.help, *(o.text for o in question.options), *(r.text for r in question.rows)]
    return any(pipes_in(text) for text in texts)


def _field_label(q: Questionnaire, name: str, value: Any, lang: str) -> str:
    if value is None:
        return ""
    for field in q.fields:
        if field.id == name:
            for code, text in field.values:
                if code == value:
                    return text.best(lang)
    return str(value)


def _answer_label(q: Questionnaire, name: str, answers: Mapping[str, Any], lang: str) -> str:
    for question in q.questions():
        if question.type == "matrix":
            for row in question.rows:
                if row.id == name:
                    return _point_label(question, answers.get(name), lang)
        if question.type in ("multi", "constant_sum") and name.startswith(f"{question.id}_"):
            # one option's variable: the option's text when ticked, or the points given to it
            for option in question.options:
                if name == f"{question.id}_{option.code}":
                    value = answers.get(name)
                    if question.type == "multi":
                        return option.text.best(lang) if value == 1 else ""
                    return "" if value is None else _number(value)
        if question.id != name:
            continue
        value = answers.get(name)
        if question.type in ("choice", "kano"):
            return next((o.text.best(lang) for o in question.options if o.code == value), "")
        if question.type == "multi":
            ticked = [o.text.best(lang) for o in question.options if answers.get(f"{name}_{o.code}") == 1]
            return _LIST_SEP.get(lang, ", ").join(ticked)
        if question.type in ("likert", "nps"):
            return _point_label(question, value, lang)
        return "" if value is None else _number(value)
    return ""


def _number(value: Any) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def _point_label(question: Question, value: Any, lang: str) -> str:
    if value is None:
        return ""
    label = question.scale.label(int(value)) if question.scale is not None else None
    return label.best(lang) if label is not None else str(int(value))


# -- the loader's check ------------------------------------------------------------------------------


def check_pipes(reader: Reader, top: Obj, screens: tuple[Screen, ...], fields: dict[str, Field]) -> None:
    """Every pipe on a page names a declared field, or an answer asked on an earlier screen.

    Pipes are found in the YAML as written (so each is reported at its own line and
    column); each text belongs to the screen that shows it: a page's, a paired
    block's first or second half, a Kano block's screen of that attribute.
    """
    first_screen: dict[str, int] = {}
    for index, screen in enumerate(screens):
        if screen.id is not None:
            first_screen.setdefault(screen.block or screen.id, index)
    asked: dict[str, int] = {}
    for index, screen in enumerate(screens):
        for question in screen.questions:
            for name in names_of(question):
                asked.setdefault(name, index)
    for key, node in top.nodes.items():
        if key != "pages":
            for sub, scalar in _scalars(node, key):
                for match in PIPE.finditer(scalar.value):
                    reader.problem(
                        scalar,
                        sub,
                        f"{match.group(0)}: piping works in what a page shows (titles, intros, questions, help, "
                        f"options, rows), not in {key}:",
                        match.start() + (1 if scalar.style in ("'", '"') else 0) if "\n" not in scalar.value else 0,
                    )
    for page, _node in top.get("pages", []) or []:
        if page in (BAD, None) or page.get("id") not in first_screen:
            continue
        start = first_screen[page.get("id")]
        for key, node in page.nodes.items():
            if key in ("items", "attributes"):
                for number, item in enumerate(node.items if isinstance(node, Sequence) else []):
                    prefix = f"{page.sub(key)}[{number}]"
                    for sub, scalar in _scalars(item, prefix):
                        role = sub[len(prefix) + 1 :].split(".")[0]
                        where = start + _offset(page.get("type"), role, number)
                        _check(reader, scalar, sub, where, asked, fields)
            else:
                for sub, scalar in _scalars(node, page.sub(key)):
                    _check(reader, scalar, sub, start, asked, fields)


def _offset(block_type: str | None, role: str, number: int) -> int:
    """Which screen of a block shows the text of an item's ``role`` (its key)."""
    if block_type == "kano":
        return number // KANO_PER_SCREEN
    return 1 if role in ("perception", "performance") else 0


def _scalars(node: Node, path: str) -> Iterator[tuple[str, Scalar]]:
    if isinstance(node, Scalar):
        if "{" in node.value:
            yield path, node
    elif isinstance(node, MappingNode):
        for key, value in node.pairs:
            yield from _scalars(value, f"{path}.{key.value}")
    elif isinstance(node, Sequence):
        for index, item in enumerate(node.items):
            yield from _scalars(item, f"{path}[{index}]")


def _check(
    reader: Reader, node: Scalar, path: str, screen: int, asked: dict[str, int], fields: dict[str, Field]
) -> None:
    quote = 1 if node.style in ("'", '"') else 0
    for match in PIPE.finditer(node.value):
        kind, name = match.group(1), match.group(2)
        offset = match.start() + quote if "\n" not in node.value else 0
        if kind == "field":
            if name not in fields:
                reader.problem(
                    node, path, f"{match.group(0)} pipes {name!r}, which is no field{_hint(name, fields)}", offset
                )
        elif name not in asked:
            reader.problem(
                node, path, f"{match.group(0)} pipes {name!r}, which is no answer{_hint(name, asked)}", offset
            )
        elif asked[name] >= screen:
            reader.problem(
                node,
                path,
                f"{match.group(0)} pipes {name!r}, which is not asked on an earlier page; "
                "piping may only use answers of earlier pages",
                offset,
            )


def _hint(name: str, known: Mapping[str, Any]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
