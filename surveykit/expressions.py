"""The condition language of ``visible_if`` and ``alerts``: parse, check, evaluate.

A condition is parsed into a small tree and evaluated by our own code, never by
``eval``.  The grammar (lowest precedence first)::

    expr    := and ('or' and)*
    and     := not ('and' not)*
    not     := 'not' not | compare
    compare := value (('==' | '!=' | '<' | '<=' | '>' | '>=') value)?
             | STRING ('in' | 'not' 'in') NAME
             | NAME 'has_theme' NAME
             | NAME 'contains_any' '[' STRING (',' STRING)* ']'
    value   := NUMBER | STRING | NAME | '(' expr ')'

Names are answer variables (or segment fields).  ``'code' in q`` asks whether the
option ``code`` was ticked in the ``multi`` question ``q``.

Two operators read a text answer, in alerts only (the loader refuses them in
``visible_if``, which the form also evaluates in the browser): ``comment has_theme
repair_quality`` holds when the comment is coded with that theme of the question's
codeframe (:mod:`surveykit.text`; the loader binds the codeframe to the condition), and
``comment contains_any ['投诉', '12315', 'lawyer']`` when the comment, normalised as the
coder reads it (simplified, half-width, lower case), contains one of the words.

Missing answers make a comparison *unknown*; ``and``, ``or`` and ``not`` follow
Kleene's three-valued logic, and a condition holds only when it is known to be
true.  So ``not (x > 3)`` is unknown, and the item it guards stays hidden, while
``x`` is unanswered.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

MAX_LENGTH = 1000
_COMPARE = ("==", "!=", "<=", ">=", "<", ">")
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>-?\d+(?:\.\d+)?)
      | (?P<string>'[^'\\\n]*'|"[^"\\\n]*")
      | (?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "has_theme", "contains_any"}
TEXT_OPERATORS = ("has_theme", "contains_any")


class ExpressionError(ValueError):
    """A condition that cannot be parsed; ``offset`` is the 0-based character position."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    offset: int


@dataclass(frozen=True, slots=True)
class Literal:
    value: float | str
    offset: int


@dataclass(frozen=True, slots=True)
class Compare:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Contains:
    code: str
    name: Name
    negate: bool


@dataclass(frozen=True, slots=True)
class HasTheme:
    """``name has_theme theme``; ``codeframe`` is bound by the loader (:meth:`Condition.bind_codeframes`)."""

    name: Name
    theme: str
    offset: int
    codeframe: Any = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ContainsAny:
    """``name contains_any ['w1', 'w2']``; ``words`` are kept normalised."""

    name: Name
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class And:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    part: Node


Node = Name | Literal | Compare | Contains | HasTheme | ContainsAny | And | Or | Not


@dataclass(frozen=True, slots=True)
class Condition:
    """A parsed condition together with its source text."""

    source: str
    tree: Node

    def names(self) -> tuple[Name, ...]:
        """Every name the condition refers to, in order of appearance."""
        found: list[Name] = []
        _collect(self.tree, found)
        return tuple(found)

    def evaluate(self, answers: Mapping[str, Any]) -> bool:
        """True only if the condition is known to hold for one response."""
        return _eval(self.tree, answers) is True

    def evaluate_frame(self, df: pd.DataFrame) -> np.ndarray:
        """Vectorised :meth:`evaluate` over the rows of an analysis table."""
        value, known = _eval_frame(self.tree, df)
        return value & known

    def text_operators(self) -> tuple[HasTheme | ContainsAny, ...]:
        """The ``has_theme`` and ``contains_any`` tests of the condition, in order."""
        return tuple(_walk_text(self.tree))

    def bind_codeframes(self, codeframes: Mapping[str, Any]) -> Condition:
        """The condition with each ``has_theme`` bound to the codeframe of its question (id -> codeframe)."""
        if not self.text_operators():
            return self
        return Condition(self.source, _bind(self.tree, codeframes))

    def __str__(self) -> str:
        return self.source


def parse(source: str) -> Condition:
    """Parse a condition; raise :class:`ExpressionError` with the offending offset."""
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("a condition cannot be empty", 0)
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"a condition may have at most {MAX_LENGTH} characters (got {len(source)})", 0)
    parser = _Parser(source)
    tree = parser.expression()
    if (token := parser.peek()) is not None:
        _, text, offset = token
        raise ExpressionError(f"unexpected {text!r}; expected 'and', 'or' or the end", offset)
    return Condition(source, tree)


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = _tokenize(source)
        self.pos = 0
        self.end = len(source)
        self.depth = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise ExpressionError("the condition ends too early", self.end)
        self.pos += 1
        return token

    def accept(self, text: str) -> bool:
        token = self.peek()
        if token is not None and token[1] == text and token[0] in ("op", "keyword"):
            self.pos += 1
            return True
        return False

    def expression(self) -> Node:
        self.depth += 1
        if self.depth > 50:
            token = self.peek()
            raise ExpressionError("the condition is nested too deeply", token[2] if token else self.end)
        parts = [self.conjunction()]
        while self.accept("or"):
            parts.append(self.conjunction())
        self.depth -= 1
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def conjunction(self) -> Node:
        parts = [self.negation()]
        while self.accept("and"):
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def negation(self) -> Node:
        if self.accept("not"):
            self.depth += 1
            if self.depth > 50:
                raise ExpressionError("the condition is nested too deeply", self.end)
            node = Not(self.negation())
            self.depth -= 1
            return node
        return self.comparison()

    def comparison(self) -> Node:
        left = self.value()
        token = self.peek()
        if token is None:
            return left
        kind, text, offset = token
        if kind == "op" and text in _COMPARE:
            self.pos += 1
            return Compare(text, left, self.value())
        negate = False
        if (
            kind == "keyword"
            and text == "not"
            and self.pos + 1 < len(self.tokens)
            and self.tokens[self.pos + 1][1] == "in"
        ):
            self.pos += 1
            negate = True
            kind, text, offset = self.tokens[self.pos]
        if kind == "keyword" and text in TEXT_OPERATORS:
            self.pos += 1
            if not isinstance(left, Name):
                raise ExpressionError(f"{text!r} needs the id of a text question on its left", offset)
            return self.has_theme(left) if text == "has_theme" else self.contains_any(left)
        if kind == "keyword" and text == "in":
            self.pos += 1
            if not (isinstance(left, Literal) and isinstance(left.value, str)):
                raise ExpressionError("'in' needs a quoted option code on its left, e.g. 'app' in channels", offset)
            token = self.peek()
            target = self.value()
            if not isinstance(target, Name):
                raise ExpressionError(
                    "'in' needs the id of a multiple-choice question on its right", token[2] if token else self.end
                )
            return Contains(left.value, target, negate)
        return left

    def has_theme(self, left: Name) -> HasTheme:
        token = self.peek()
        if token is None or token[0] != "name":
            raise ExpressionError("'has_theme' needs a theme id on its right", token[2] if token else self.end)
        self.pos += 1
        return HasTheme(left, token[1], token[2])

    def contains_any(self, left: Name) -> ContainsAny:
        from surveykit.text.normalise import normalise

        token = self.peek()
        if not self.accept("["):
            raise ExpressionError(
                "'contains_any' needs a list of quoted words, e.g. ['投诉', 'lawyer']", token[2] if token else self.end
            )
        words = []
        while True:
            kind, text, offset = self.take()
            if kind != "string" or not normalise(text[1:-1]):
                raise ExpressionError("expected a quoted, non-empty word", offset)
            words.append(normalise(text[1:-1]))
            if self.accept("]"):
                return ContainsAny(left, tuple(words))
            if not self.accept(","):
                token = self.peek()
                raise ExpressionError("expected ',' or ']' in the list of words", token[2] if token else self.end)

    def value(self) -> Node:
        kind, text, offset = self.take()
        if kind == "number":
            number = float(text)
            return Literal(number, offset)
        if kind == "string":
            return Literal(text[1:-1], offset)
        if kind == "name":
            return Name(text, offset)
        if text == "(":
            node = self.expression()
            if not self.accept(")"):
                token = self.peek()
                raise ExpressionError("a '(' is not closed", token[2] if token else self.end)
            return node
        raise ExpressionError(f"unexpected {text!r}; expected an answer id, a number or a quoted text", offset)


def _tokenize(source: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(source):
        if source[pos:].strip() == "":
            break
        match = _TOKEN.match(source, pos)
        if not match or match.end() == pos:
            offset = pos + len(source[pos:]) - len(source[pos:].lstrip())
            char = source[offset]
            hint = " (use == to compare)" if char == "=" else ""
            raise ExpressionError(f"unexpected character {char!r}{hint}", offset)
        kind = match.lastgroup or ""
        text = match.group(kind)
        offset = match.start(kind)
        if kind == "name" and text in _KEYWORDS:
            kind = "keyword"
        elif kind == "name" and text in ("True", "False", "true", "false", "None", "null"):
            raise ExpressionError(
                f"{text!r} is not part of the language; compare answers with numbers or quoted codes", offset
            )
        tokens.append((kind, text, offset))
        pos = match.end()
    return tokens


def _collect(node: Node, found: list[Name]) -> None:
    if isinstance(node, Name):
        found.append(node)
    elif isinstance(node, Compare):
        _collect(node.left, found)
        _collect(node.right, found)
    elif isinstance(node, (Contains, HasTheme, ContainsAny)):
        found.append(node.name)
    elif isinstance(node, (And, Or)):
        for part in node.parts:
            _collect(part, found)
    elif isinstance(node, Not):
        _collect(node.part, found)


def _walk_text(node: Node) -> list[HasTheme | ContainsAny]:
    if isinstance(node, (HasTheme, ContainsAny)):
        return [node]
    if isinstance(node, (And, Or)):
        return [found for part in node.parts for found in _walk_text(part)]
    if isinstance(node, Not):
        return _walk_text(node.part)
    if isinstance(node, Compare):
        return _walk_text(node.left) + _walk_text(node.right)
    return []


def _bind(node: Node, codeframes: Mapping[str, Any]) -> Node:
    if isinstance(node, HasTheme):
        return HasTheme(node.name, node.theme, node.offset, codeframes.get(node.name.name))
    if isinstance(node, And):
        return And(tuple(_bind(p, codeframes) for p in node.parts))
    if isinstance(node, Or):
        return Or(tuple(_bind(p, codeframes) for p in node.parts))
    if isinstance(node, Not):
        return Not(_bind(node.part, codeframes))
    if isinstance(node, Compare):
        return Compare(node.op, _bind(node.left, codeframes), _bind(node.right, codeframes))
    return node


def _text_test(node: HasTheme | ContainsAny, value: Any) -> bool | None:
    """A text operator on one answer: unknown when unanswered (or, for has_theme, with no codeframe bound)."""
    if _missing(value) or not isinstance(value, str) or not value.strip():
        return None
    if isinstance(node, ContainsAny):
        from surveykit.text.normalise import normalise

        text = normalise(value)
        return any(word in text for word in node.words)
    if node.codeframe is None:
        return None
    from surveykit.text.coder import coder_for

    return node.theme in coder_for(node.codeframe).code(value).themes


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def _operand(node: Node, answers: Mapping[str, Any]) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Name):
        value = answers.get(node.name)
        return None if _missing(value) else value
    return _eval(node, answers)


def _compare(op: str, a: Any, b: Any) -> bool | None:
    if a is None or b is None:
        return None
    if isinstance(a, bool) or isinstance(b, bool):
        return None
    numeric = isinstance(a, (int, float, np.number)) and isinstance(b, (int, float, np.number))
    if not numeric:
        if isinstance(a, (int, float, np.number)) or isinstance(b, (int, float, np.number)):
            # a code compared with a number: never equal, and not ordered
            return {"==": False, "!=": True}.get(op)
        a, b = str(a), str(b)
    if op == "==":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if op == "<":
        return bool(a < b)
    if op == "<=":
        return bool(a <= b)
    if op == ">":
        return bool(a > b)
    return bool(a >= b)


def _eval(node: Node, answers: Mapping[str, Any]) -> bool | None:
    if isinstance(node, Compare):
        return _compare(node.op, _operand(node.left, answers), _operand(node.right, answers))
    if isinstance(node, Contains):
        ticked = answers.get(f"{node.name.name}_{node.code}")
        if _missing(ticked):
            chosen = answers.get(node.name.name)
            if isinstance(chosen, (list, tuple, set, frozenset)):
                ticked = node.code in chosen
            else:
                return None
        result = bool(ticked)
        return not result if node.negate else result
    if isinstance(node, (HasTheme, ContainsAny)):
        return _text_test(node, answers.get(node.name.name))
    if isinstance(node, And):
        values = [_eval(p, answers) for p in node.parts]
        if any(v is False for v in values):
            return False
        return True if all(v is True for v in values) else None
    if isinstance(node, Or):
        values = [_eval(p, answers) for p in node.parts]
        if any(v is True for v in values):
            return True
        return False if all(v is False for v in values) else None
    if isinstance(node, Not):
        value = _eval(node.part, answers)
        return None if value is None else not value
    # a bare name or literal used as a condition: true when answered and non-zero
    value = _operand(node, answers)
    if value is None:
        return None
    return bool(value)


def _frame_operand(node: Node, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, bool]:
    """Values, known-mask and whether the values are numeric."""
    n = len(df)
    if isinstance(node, Literal):
        return np.full(n, node.value, dtype=object), np.ones(n, bool), isinstance(node.value, float)
    if isinstance(node, Name):
        if node.name not in df.columns:
            return np.full(n, None, dtype=object), np.zeros(n, bool), False
        column = df[node.name]
        known = column.notna().to_numpy()
        if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
            return column.to_numpy(dtype=float, na_value=np.nan), known, True
        return column.astype(object).to_numpy(), known, False
    value, known = _eval_frame(node, df)
    return value.astype(object), known, False


def _eval_frame(node: Node, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    n = len(df)
    if isinstance(node, Compare):
        a, ka, num_a = _frame_operand(node.left, df)
        b, kb, num_b = _frame_operand(node.right, df)
        known = ka & kb
        result = np.zeros(n, bool)
        if num_a and num_b:
            a_f, b_f = np.asarray(a, float), np.asarray(b, float)
            with np.errstate(invalid="ignore"):
                result = {
                    "==": np.equal,
                    "!=": np.not_equal,
                    "<": np.less,
                    "<=": np.less_equal,
                    ">": np.greater,
                    ">=": np.greater_equal,
                }[node.op](a_f, b_f)
            return np.asarray(result, bool) & known, known
        for i in np.flatnonzero(known):
            outcome = _compare(node.op, a[i], b[i])
            if outcome is None:
                known[i] = False
            else:
                result[i] = outcome
        return result, known
    if isinstance(node, Contains):
        column = f"{node.name.name}_{node.code}"
        if column not in df.columns:
            return np.zeros(n, bool), np.zeros(n, bool)
        values = df[column]
        known = values.notna().to_numpy()
        ticked = values.fillna(0).to_numpy(dtype=float) != 0
        return (~ticked if node.negate else ticked) & known, known
    if isinstance(node, (HasTheme, ContainsAny)):
        column = df[node.name.name] if node.name.name in df.columns else pd.Series([None] * n, dtype=object)
        outcomes = [_text_test(node, value) for value in column.tolist()]
        known = np.array([o is not None for o in outcomes], bool)
        return np.array([o is True for o in outcomes], bool), known
    if isinstance(node, (And, Or)):
        parts = [_eval_frame(p, df) for p in node.parts]
        if isinstance(node, And):
            false_any = np.logical_or.reduce([k & ~v for v, k in parts])
            true_all = np.logical_and.reduce([k & v for v, k in parts])
            return true_all, true_all | false_any
        true_any = np.logical_or.reduce([k & v for v, k in parts])
        false_all = np.logical_and.reduce([k & ~v for v, k in parts])
        return true_any, true_any | false_all
    if isinstance(node, Not):
        value, known = _eval_frame(node.part, df)
        return ~value & known, known
    values, known, _ = _frame_operand(node, df)
    truth = np.zeros(n, bool)
    for i in np.flatnonzero(known):
        truth[i] = bool(values[i])
    return truth, known
