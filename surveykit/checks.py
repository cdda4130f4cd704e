"""Checks that span objects: the one id namespace, screen ids, and conditions.

Reading (:mod:`surveykit.reader`) sees one object at a time; these checks
need the whole questionnaire: an id may clash with a metadata column, a field,
or a variable that a paired block derives from another id (``rel1`` gives
``rel1_e`` and ``rel1_p``); a condition may use only answers asked before it,
never its own, and only with values of their type.  Each check reports
through the reader, at the node where the offending text is written.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import Any

from surveykit import expressions
from surveykit.model import METADATA_COLUMNS, Field, Question, Screen
from surveykit.reader import Reader
from surveykit.yamlsafe import Node, Scalar


class IdSpace:
    """The one namespace of answer ids, page and block ids, fields and derived variables.

    Every name a questionnaire defines becomes a column, a URL or both, so two
    things may not share one; the metadata columns are taken from the start.
    """

    def __init__(self, reader: Reader, top: Node) -> None:
        self.reader = reader
        # order_seed is the metadata column of randomised questionnaires (surveykit.randomize)
        self.owners: dict[str, tuple[str, Node]] = {
            name: ("a metadata column", top) for name in (*METADATA_COLUMNS, "order_seed")
        }

    def __contains__(self, name: str) -> bool:
        return name in self.owners

    def claim(self, name: str, what: str, node: Node, path: str) -> None:
        """Take ``name`` for ``what``, or report the clash with whatever took it first."""
        if name in self.owners:
            other, other_node = self.owners[name]
            where = f" (line {other_node.line})" if other != "a metadata column" else ""
            self.reader.problem(node, path, f"id {name!r} clashes with {other}{where}")
        else:
            self.owners[name] = (what, node)


def check_screen_ids(reader: Reader, screens: tuple[Screen, ...], ids: IdSpace, pages: Node) -> None:
    """Every screen has questions, and no screen id is used twice.

    A paired block's screens are named after it (``sq_expectation``,
    ``kano_2``); those names are URLs too, so they may clash neither with each
    other nor with an id of the questionnaire.
    """
    seen: set[str] = set()
    for screen in screens:
        if screen.id is None:
            continue  # its missing id is reported where the page is written
        if not screen.questions:
            reader.problem(pages, "pages", f"page {screen.id!r} has no questions")
        # two pages with one id are already an id clash; a block's derived screen names are not ids
        if screen.block and screen.id != screen.block and (screen.id in seen or screen.id in ids):
            reader.problem(
                pages,
                "pages",
                f"page id {screen.id!r} is also the name of a page of block {screen.block!r}; rename one",
            )
        seen.add(screen.id)


def check_conditions(
    reader: Reader,
    screens: tuple[Screen, ...],
    fields: dict[str, Field],
    conditions: dict[str, tuple[str, Node]],
    top: Node,
) -> None:
    """Every ``visible_if`` uses only fields and answers asked before it, with values of their type.

    ``conditions`` maps a question, page or block id to the key path and node
    of its condition, so a problem is reported where the condition is written.
    A paired block's condition is checked once, on its first screen.
    """
    kinds = variable_kinds(screens, fields)
    seen: dict[str, int] = {name: -1 for name in fields}
    order = 0
    for screen in screens:
        if screen.visible_if is not None and screen.role in (None, "expectation", "importance"):
            path, node = conditions.get(screen.block or screen.id, ("pages", top))
            check_condition(reader, screen.visible_if, path, node, seen, kinds, None)
            _refuse_text_operators(reader, screen.visible_if, path, node)
        for question in screen.questions:
            if question.visible_if is not None:
                path, node = conditions.get(question.id, ("pages", top))
                check_condition(reader, question.visible_if, path, node, seen, kinds, question)
                _refuse_text_operators(reader, question.visible_if, path, node)
            for name in names_of(question):
                seen[name] = order
            order += 1


def check_condition(
    reader: Reader,
    cond: expressions.Condition,
    path: str,
    node: Node,
    seen: dict[str, int],
    kinds: dict[str, tuple[str, tuple[str, ...]]],
    question: Question | None,
) -> None:
    """One condition: no name of its own question, none unknown (with a did-you-mean), none not yet ``seen``.

    The column points at the name inside the condition when the condition is
    on one line (one further for the opening quote of a quoted scalar).
    """
    own = set(names_of(question)) if question else set()
    quote = 1 if isinstance(node, Scalar) and node.style in ("'", '"') else 0
    for ref in cond.names():
        name = ref.name
        offset = ref.offset + quote if "\n" not in cond.source else 0
        if name in own:
            reader.problem(node, path, f"the condition {cond.source!r} refers to its own question {name!r}", offset)
        elif name not in kinds:
            close = difflib.get_close_matches(name, list(kinds), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            reader.problem(
                node,
                path,
                f"the condition {cond.source!r} refers to {name!r}, which is no answer or field{hint}",
                offset,
            )
        elif name not in seen:
            reader.problem(
                node,
                path,
                f"the condition {cond.source!r} refers to {name!r}, which comes later; "
                "conditions may only use earlier answers",
                offset,
            )
    _check_types(reader, cond.tree, cond.source, path, node, kinds)


def _check_types(
    reader: Reader, tree: Any, source: str, path: str, node: Node, kinds: dict[str, tuple[str, tuple[str, ...]]]
) -> None:
    """Comparisons that can never hold: a number with text, a code with a number or an unknown code, ..."""
    if isinstance(tree, expressions.Compare):
        sides = (tree.left, tree.right)
        for name, other in ((sides[0], sides[1]), (sides[1], sides[0])):
            if not isinstance(name, expressions.Name) or name.name not in kinds:
                continue
            kind, codes = kinds[name.name]
            if not isinstance(other, expressions.Literal):
                continue
            if kind == "number" and isinstance(other.value, str):
                reader.problem(
                    node,
                    path,
                    f"in {source!r}, {name.name!r} is a number; compare it with a number, not {other.value!r}",
                )
            elif kind == "code" and isinstance(other.value, float):
                reader.problem(
                    node, path, f"in {source!r}, {name.name!r} holds option codes; quote the code: '{other.value:g}'"
                )
            elif kind == "code" and codes and other.value not in codes:
                reader.problem(
                    node,
                    path,
                    f"in {source!r}, {other.value!r} is not an option of {name.name!r} "
                    f"(options: {', '.join(map(repr, codes))})",
                )
            elif kind == "code" and tree.op not in ("==", "!="):
                reader.problem(node, path, f"in {source!r}, option codes can only be compared with == or !=")
            elif kind == "set":
                reader.problem(
                    node, path, f"in {source!r}, {name.name!r} is a multiple-choice question; use 'code' in {name.name}"
                )
    elif isinstance(tree, expressions.Contains):
        kind, codes = kinds.get(tree.name.name, ("", ()))
        if tree.name.name in kinds and kind != "set":
            reader.problem(
                node, path, f"in {source!r}, 'in' needs a multiple-choice question; {tree.name.name!r} is not one"
            )
        elif kind == "set" and tree.code not in codes:
            reader.problem(
                node,
                path,
                f"in {source!r}, {tree.code!r} is not an option of {tree.name.name!r} "
                f"(options: {', '.join(map(repr, codes))})",
            )
    elif isinstance(tree, (expressions.HasTheme, expressions.ContainsAny)):
        _check_text_operator(reader, tree, source, path, node, kinds)
    elif isinstance(tree, (expressions.And, expressions.Or)):
        for part in tree.parts:
            _check_types(reader, part, source, path, node, kinds)
    elif isinstance(tree, expressions.Not):
        _check_types(reader, tree.part, source, path, node, kinds)


def _refuse_text_operators(reader: Reader, cond: expressions.Condition, path: str, node: Node) -> None:
    """``has_theme`` and ``contains_any`` are for alerts: the form also evaluates ``visible_if`` in the browser."""
    for test in cond.text_operators():
        operator = "has_theme" if isinstance(test, expressions.HasTheme) else "contains_any"
        reader.problem(node, path, f"in {cond.source!r}, {operator!r} may only be used in alerts, not in visible_if")


def _check_text_operator(
    reader: Reader,
    tree: expressions.HasTheme | expressions.ContainsAny,
    source: str,
    path: str,
    node: Node,
    kinds: dict[str, tuple[str, tuple[str, ...]]],
) -> None:
    """``has_theme`` needs a text question with a codeframe that has the theme; ``contains_any`` a text question."""
    name = tree.name.name
    if name not in kinds:
        return  # reported as an unknown name
    operator = "has_theme" if isinstance(tree, expressions.HasTheme) else "contains_any"
    kind, themes = kinds[name]
    if kind != "text":
        reader.problem(node, path, f"in {source!r}, {operator!r} needs a text question; {name!r} is not one")
    elif isinstance(tree, expressions.HasTheme) and not themes:
        reader.problem(
            node, path, f"in {source!r}, {name!r} has no codeframe; give the question codeframe: default (or a file)"
        )
    elif isinstance(tree, expressions.HasTheme) and tree.theme not in themes:
        close = difflib.get_close_matches(tree.theme, themes, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else f" (themes: {', '.join(themes)})"
        offset = tree.offset + (1 if isinstance(node, Scalar) and node.style in ("'", '"') else 0)
        reader.problem(
            node,
            path,
            f"in {source!r}, {tree.theme!r} is not a theme of the codeframe of {name!r}{hint}",
            offset if "\n" not in source else 0,
        )


def all_questions(screens: tuple[Screen, ...]) -> Iterator[Question]:
    """Every question of every screen, in the order respondents meet them."""
    for screen in screens:
        yield from screen.questions


def names_of(question: Question | None) -> list[str]:
    """The names a condition may use for a question's answers."""
    if question is None:
        return []
    if question.type in ("matrix", "checklist"):
        return [row.id for row in question.rows]
    if question.type == "constant_sum":
        return [f"{question.id}_{o.code}" for o in question.options]
    if question.type == "multi":
        return [question.id] + [f"{question.id}_{o.code}" for o in question.options]
    return [question.id]


def variable_kinds(screens: tuple[Screen, ...], fields: dict[str, Field]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """name -> (number | code | text | set, option codes) for type-checking conditions."""
    kinds: dict[str, tuple[str, tuple[str, ...]]] = {f: ("code", tuple(c for c, _ in fields[f].values)) for f in fields}
    for question in all_questions(screens):
        codes = tuple(o.code for o in question.options)
        if question.type in ("likert", "nps", "number"):
            kinds[question.id] = ("number", ())
        elif question.type == "matrix":
            kinds.update({row.id: ("number", ()) for row in question.rows})
        elif question.type == "checklist":
            kinds.update({row.id: ("code", codes) for row in question.rows})
        elif question.type in ("choice", "kano"):
            kinds[question.id] = ("code", codes)
        elif question.type == "multi":
            kinds[question.id] = ("set", codes)
            kinds.update({f"{question.id}_{c}": ("number", ()) for c in codes})
        elif question.type == "constant_sum":
            kinds.update({f"{question.id}_{c}": ("number", ()) for c in codes})
        else:
            codeframe = question.codeframe if question.type == "text" else None
            kinds[question.id] = ("text", codeframe.theme_ids() if codeframe is not None else ())
    return kinds
