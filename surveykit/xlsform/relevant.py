"""XLSForm ``relevant`` expressions <-> surveykit conditions (:mod:`surveykit.expressions`).

XLSForm writes a display condition in XPath with ``${name}`` references; surveykit has a small
language of its own.  The part of XPath that has the same meaning in both is translated:

==================================  =====================================
XLSForm                             surveykit
==================================  =====================================
``${q} = 'x'``, ``!=``              ``q == 'x'``, ``q != 'x'``
``${n} >= 3`` (``<  <=  >  >=``)    ``n >= 3``
``selected(${m}, 'a')``             ``'a' in m`` (``m == 'a'`` for a select_one)
``not(selected(${m}, 'a'))``        ``'a' not in m``
``${q} != ''``, a bare ``${q}``     answered: ``q == q`` (a number), ``q == 'a' or q == 'b'``
                                    (a code: one of the options), ``'a' in m or …``, ``t != ''``
``and``, ``or``, ``not( )``, ``( )``  ``and``, ``or``, ``not``, ``( )``
``date('2024-01-31')``              ``'2024-01-31'`` (dates compare as ISO text)
==================================  =====================================

``string-length(${t}) > 0`` and ``count-selected(${m}) >= 1`` (or ``> 0``, ``!= 0``) are
"answered" too.  Everything else is refused with the reason, never approximated: arithmetic,
other functions and other counts (``count-selected(${m}) > 1``, ``string-length``, ``today()``, ``if()``, ``jr:choice-name``…), ``.``,
paths, and ``${q} = ''`` (a missing answer makes a surveykit condition unknown, so "is empty"
cannot be written; see :mod:`surveykit.expressions`).  Literals are brought to the answer's type:
a code compared with ``1`` is the code ``'1'``, a rating compared with ``'4'`` the number 4, and
a choice name the import renamed is renamed in the condition too.

The other direction (:func:`to_xpath`) is total: every surveykit condition has an XPath form.
:func:`canonical` writes a condition in one spelling, so that two conditions with the same tree
compare equal as text (the round-trip test relies on it).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from surveykit.expressions import And, Compare, Condition, Contains, Literal, Name, Node, Not, Or, parse

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<ref>\$\{\s*[^}\s]+\s*\})
      | (?P<string>'[^']*'|"[^"]*")
      | (?P<number>\d+(?:\.\d*)?|\.\d+)
      | (?P<op>!=|<=|>=|=|<|>|\(|\)|,|\+|-|\*|\||/|\.\.|\.)
      | (?P<name>[A-Za-z_][A-Za-z0-9_.:-]*)
    )""",
    re.VERBOSE,
)
_FLIP = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_NUMBER = re.compile(r"-?\d+(\.\d+)?\Z")


class Untranslatable(ValueError):
    """An expression (or part of one) with no equivalent; the message says which part and why."""


@dataclass(frozen=True, slots=True)
class Target:
    """What a ``${name}`` refers to: the surveykit id, the kind of answer and the renamed codes.

    ``kind`` is ``number`` (likert, nps, number, matrix row), ``code`` (choice, a segment
    field), ``multi``, ``text`` or ``date``.
    """

    id: str
    kind: str
    codes: Mapping[str, str] = field(default_factory=dict)


# ---- XLSForm -> surveykit -------------------------------------------------------------


def to_condition(xpath: str, targets: Mapping[str, Target]) -> str:
    """The surveykit condition (canonical text) of a ``relevant`` expression, or :class:`Untranslatable`."""
    parser = _XPath(xpath)
    tree = parser.expression()
    if parser.pos < len(parser.tokens):
        raise Untranslatable(f"unexpected {parser.tokens[parser.pos][1]!r} in {xpath!r}")
    text = _Translator(targets).boolean(tree)
    return canonical(parse(text))


class _XPath:
    """A recursive-descent parser of the XPath subset; the tree is tuples ``(kind, ...)``."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = self._tokenize(source)
        self.pos = 0
        self.depth = 0

    @staticmethod
    def _tokenize(source: str) -> list[tuple[str, str]]:
        tokens, pos = [], 0
        while pos < len(source) and source[pos:].strip():
            match = _TOKEN.match(source, pos)
            if not match or match.end() == pos:
                raise Untranslatable(f"cannot read {source[pos:].strip()[:20]!r}")
            kind = match.lastgroup or ""
            tokens.append((kind, match.group(kind)))
            pos = match.end()
        if not tokens:
            raise Untranslatable("the expression is empty")
        return tokens

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise Untranslatable(f"{self.source!r} ends too early")
        self.pos += 1
        return token

    def accept(self, text: str) -> bool:
        token = self.peek()
        if token is not None and token[1] == text and token[0] in ("op", "name"):
            self.pos += 1
            return True
        return False

    def expression(self) -> tuple:
        self.depth += 1
        if self.depth > 50:
            raise Untranslatable("the expression is nested too deeply")
        parts = [self.conjunction()]
        while self.accept("or"):
            parts.append(self.conjunction())
        self.depth -= 1
        return parts[0] if len(parts) == 1 else ("or", parts)

    def conjunction(self) -> tuple:
        parts = [self.comparison()]
        while self.accept("and"):
            parts.append(self.comparison())
        return parts[0] if len(parts) == 1 else ("and", parts)

    def comparison(self) -> tuple:
        left = self.arithmetic()
        token = self.peek()
        if token and token[0] == "op" and token[1] in _FLIP:
            self.pos += 1
            right = self.arithmetic()
            nxt = self.peek()
            if nxt and nxt[0] == "op" and nxt[1] in _FLIP:
                raise Untranslatable("a chained comparison (a = b = c) has no equivalent")
            return ("cmp", token[1], left, right)
        return left

    def arithmetic(self) -> tuple:
        left = self.unary()
        token = self.peek()
        if token and (token[1] in ("+", "-", "*", "|", "/") or (token[0] == "name" and token[1] in ("div", "mod"))):
            raise Untranslatable(f"arithmetic ({token[1]!r}) has no equivalent in surveykit conditions")
        return left

    def unary(self) -> tuple:
        if self.accept("-"):
            kind, text = self.take()
            if kind != "number":
                raise Untranslatable("arithmetic ('-') has no equivalent in surveykit conditions")
            return ("num", -float(text))
        return self.primary()

    def primary(self) -> tuple:
        kind, text = self.take()
        if kind == "ref":
            return ("ref", text[2:-1].strip())
        if kind == "string":
            return ("str", text[1:-1])
        if kind == "number":
            return ("num", float(text))
        if text == "(":
            node = self.expression()
            if not self.accept(")"):
                raise Untranslatable(f"a '(' is not closed in {self.source!r}")
            return node
        if text in (".", ".."):
            raise Untranslatable(f"{text!r} (the current answer) has no meaning in a display condition")
        if text == "/":
            raise Untranslatable("an XPath path (/data/...) has no equivalent; refer to answers as ${name}")
        if kind == "name" and self.accept("("):
            args = []
            if not self.accept(")"):
                args.append(self.expression())
                while self.accept(","):
                    args.append(self.expression())
                if not self.accept(")"):
                    raise Untranslatable(f"the call of {text}() is not closed")
            return ("call", text, args)
        if kind == "name":
            raise Untranslatable(f"{text!r} is not a ${{name}} reference, a number or a quoted text")
        raise Untranslatable(f"unexpected {text!r}")


class _Translator:
    def __init__(self, targets: Mapping[str, Target]) -> None:
        self.targets = targets

    def target(self, name: str) -> Target:
        if name not in self.targets:
            raise Untranslatable(f"${{{name}}} is not an earlier question of the form")
        return self.targets[name]

    def boolean(self, node: tuple) -> str:
        kind = node[0]
        if kind in ("or", "and"):
            return f" {kind} ".join(f"({self.boolean(part)})" for part in node[1])
        if kind == "cmp":
            return self.compare(node[1], node[2], node[3])
        if kind == "ref":
            return _answered(self.target(node[1]))
        if kind == "call":
            return self.call(node[1], node[2])
        raise Untranslatable(f"a constant ({node[1]!r}) used as a condition has no equivalent")

    def call(self, name: str, args: list[tuple]) -> str:
        if name == "not" and len(args) == 1:
            inner = args[0]
            if inner[0] == "call" and inner[1] == "selected":
                target, code = self.selected(inner[2])
                if target.kind == "multi":
                    return f"{_quote(code)} not in {target.id}"
            return f"not ({self.boolean(inner)})"
        if name == "selected":
            target, code = self.selected(args)
            if target.kind == "multi":
                return f"{_quote(code)} in {target.id}"
            return f"{target.id} == {_quote(code)}"
        raise _function_error(name)

    def selected(self, args: list[tuple]) -> tuple[Target, str]:
        if len(args) != 2 or args[0][0] != "ref" or args[1][0] not in ("str", "num"):
            raise Untranslatable("selected() is translated only as selected(${question}, 'option')")
        target = self.target(args[0][1])
        if target.kind not in ("multi", "code"):
            raise Untranslatable(f"selected() on ${{{args[0][1]}}}, which is not a select question")
        return target, self.code(target, args[1], args[0][1])

    def code(self, target: Target, literal: tuple, name: str) -> str:
        raw = _number_text(literal[1]) if literal[0] == "num" else literal[1]
        if target.codes:
            if raw not in target.codes:
                raise Untranslatable(f"{raw!r} is not an option of ${{{name}}}")
            return target.codes[raw]
        return raw

    def answered_test(self, op: str, left: tuple, right: tuple) -> str | None:
        """``string-length(${t}) > 0`` and ``count-selected(${m}) >= 1``: "answered", which has a translation."""
        if left[0] != "call" and right[0] == "call":
            left, right, op = right, left, _FLIP[op]
        if left[0] != "call" or left[1] not in ("string-length", "count-selected") or right[0] != "num":
            return None
        args = left[2]
        if len(args) != 1 or args[0][0] != "ref" or (op, right[1]) not in ((">", 0), ("!=", 0), (">=", 1)):
            return None
        target = self.target(args[0][1])
        if left[1] == "count-selected" and target.kind != "multi":
            raise Untranslatable(f"count-selected() on ${{{args[0][1]}}}, which is not a select_multiple")
        return _answered(target)

    def compare(self, op: str, left: tuple, right: tuple) -> str:
        if answered := self.answered_test(op, left, right):
            return answered
        for side in (left, right):
            if side[0] == "call" and side[1] != "date":
                raise _function_error(side[1])
        if left[0] != "ref" and right[0] == "ref":
            left, right, op = right, left, _FLIP[op]
        if left[0] != "ref":
            raise Untranslatable("a comparison needs a ${name} on one side")
        target = self.target(left[1])
        sk_op = "==" if op == "=" else op
        if right[0] == "ref":
            other = self.target(right[1])
            if target.kind == other.kind == "number" or (
                op in ("=", "!=") and {target.kind, other.kind} <= {"code", "text"}
            ):
                return f"{target.id} {sk_op} {other.id}"
            raise Untranslatable(f"${{{left[1]}}} and ${{{right[1]}}} cannot be compared with {op!r}")
        if right[0] == "call" and right[1] == "date" and len(right[2]) == 1 and right[2][0][0] == "str":
            right = right[2][0]
        if right[0] not in ("str", "num"):
            raise Untranslatable(f"${{{left[1]}}} is compared with something that is not a number or a quoted text")
        if right[0] == "str" and right[1] == "":
            if op == "!=":
                return _answered(target)
            raise Untranslatable(
                f"${{{left[1]}}} {op} '' (not answered) cannot be expressed: an unanswered question makes "
                "a surveykit condition unknown"
            )
        if target.kind == "number":
            value = right[1] if right[0] == "num" else right[1].strip()
            if right[0] == "str" and not _NUMBER.match(value):
                raise Untranslatable(f"${{{left[1]}}} is a number; it cannot be compared with {value!r}")
            return f"{target.id} {sk_op} {_number_text(float(value))}"
        if target.kind == "multi":
            raise Untranslatable(f"${{{left[1]}}} is a select_multiple: test its options with selected()")
        if target.kind == "date":
            if right[0] != "str" or not _ISO_DATE.match(right[1]):
                raise Untranslatable(f"${{{left[1]}}} is a date; compare it with 'YYYY-MM-DD'")
            return f"{target.id} {sk_op} {_quote(right[1])}"
        if op not in ("=", "!="):
            raise Untranslatable(f"{op!r} on ${{{left[1]}}}, whose answers are codes or text, has no equivalent")
        value = self.code(target, right, left[1]) if target.kind == "code" else _literal_text(right)
        return f"{target.id} {sk_op} {_quote(value)}"


def _answered(target: Target) -> str:
    """ "Answered" (XPath ``${q} != ''``) in words the loader accepts for the answer's kind.

    An unanswered question makes every comparison unknown, so a comparison that is true for any
    answer holds exactly when the question was answered: a number equals itself, a code is one
    of the options, a multiple choice has one of its options ticked.
    """
    if target.kind in ("number", "date"):
        return f"{target.id} == {target.id}"
    if target.kind == "code" and target.codes:
        return " or ".join(f"{target.id} == {_quote(code)}" for code in dict.fromkeys(target.codes.values()))
    if target.kind == "multi" and target.codes:
        return " or ".join(f"{_quote(code)} in {target.id}" for code in dict.fromkeys(target.codes.values()))
    return f"{target.id} != ''"


def _function_error(name: str) -> Untranslatable:
    if name == "count-selected":
        return Untranslatable(
            "count-selected() has no equivalent in surveykit conditions (test single options with selected())"
        )
    if name in ("true", "false"):
        return Untranslatable(f"{name}() has no equivalent; a surveykit condition compares answers")
    return Untranslatable(f"the function {name}() has no equivalent in surveykit conditions")


def _literal_text(literal: tuple) -> str:
    return _number_text(literal[1]) if literal[0] == "num" else str(literal[1])


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _quote(text: str) -> str:
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    raise Untranslatable(f"{text!r} holds both kinds of quote, which a surveykit condition cannot")


# ---- surveykit -> XLSForm, and the canonical spelling --------------------------------------


def canonical(condition: Condition) -> str:
    """The condition in one spelling: minimal parentheses, ``'`` quotes, ``3`` for ``3.0``."""
    return _render(condition.tree, 0)


def _render(node: Node, parent: int) -> str:
    if isinstance(node, Or):
        text, level = " or ".join(_render(p, 1) for p in node.parts), 1
    elif isinstance(node, And):
        text, level = " and ".join(_render(p, 2) for p in node.parts), 2
    elif isinstance(node, Not):
        text, level = "not " + _render(node.part, 3), 3
    elif isinstance(node, Compare):
        text, level = f"{_render(node.left, 5)} {node.op} {_render(node.right, 5)}", 4
    elif isinstance(node, Contains):
        text, level = f"{_quote(node.code)} {'not in' if node.negate else 'in'} {node.name.name}", 4
    elif isinstance(node, Name):
        text, level = node.name, 5
    elif isinstance(node, Literal):
        value = node.value
        text, level = (_number_text(value) if isinstance(value, float) else _quote(value)), 5
    else:  # the text operators of alerts (has_theme, contains_any), never in visible_if
        raise Untranslatable(f"{type(node).__name__} has no XLSForm equivalent")
    return f"({text})" if level < parent else text


def to_xpath(condition: Condition) -> str:
    """The ``relevant`` expression of a surveykit condition (every condition has one)."""
    return _xpath_bool(condition.tree, 0)


def _xpath_bool(node: Node, parent: int) -> str:
    if isinstance(node, Or):
        text, level = " or ".join(_xpath_bool(p, 1) for p in node.parts), 1
    elif isinstance(node, And):
        text, level = " and ".join(_xpath_bool(p, 2) for p in node.parts), 2
    elif isinstance(node, Not):
        return f"not({_xpath_bool(node.part, 0)})"
    elif isinstance(node, Contains):
        test = f"selected(${{{node.name.name}}}, {_quote(node.code)})"
        return f"not({test})" if node.negate else test
    elif isinstance(node, Compare):
        op = "=" if node.op == "==" else node.op
        text, level = f"{_xpath_value(node.left)} {op} {_xpath_value(node.right)}", 3
    elif isinstance(node, Name):
        # surveykit: true when answered and not zero
        text, level = f"${{{node.name}}} != '' and ${{{node.name}}} != 0", 2
    elif isinstance(node, Literal):
        text, level = _xpath_value(node), 4
    else:  # the text operators of alerts (has_theme, contains_any), never in visible_if
        raise Untranslatable(f"{type(node).__name__} has no XLSForm equivalent")
    return f"({text})" if level < parent else text


def _xpath_value(node: Node) -> str:
    if isinstance(node, Name):
        return f"${{{node.name}}}"
    if isinstance(node, Literal):
        return _number_text(node.value) if isinstance(node.value, float) else _quote(node.value)
    return f"({_xpath_bool(node, 0)})"
