"""The generic reader: YAML nodes against the key table of :mod:`surveykit.spec`.

Every object of the format is read the same way: a mapping whose keys are
checked against its table (unknown keys with a did-you-mean, missing required
keys), and whose values are converted by kind (ids, codes, numbers, booleans,
dates, conditions, text in every declared language) with the "quote it" hint
where YAML 1.1 turned text into a number, a boolean or a null.  Nothing here
knows what a scale or a page means; :mod:`surveykit.builder` does.  Problems
are collected, not raised, so that one run shows them all.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from surveykit import expressions, spec
from surveykit.errors import Problem
from surveykit.languages import LANGUAGE_TAG
from surveykit.model import BLOCK_TYPES, QUESTION_TYPES, Text
from surveykit.yamlsafe import Mapping, Node, Scalar, Sequence, describe

MAX_TEXT = 2000
MAX_ID = 63
_ID = re.compile(r"[a-z][a-z0-9_]*\Z")
_SURVEY_ID = re.compile(r"[a-z][a-z0-9_-]*\Z")
_CODE = re.compile(r"[a-z0-9][a-z0-9_]*\Z")
# what an escape in a double-quoted scalar ("\\0", "\\x85", "\\uFEFF") can still put into text;
# raw characters of these kinds never get this far (yamlsafe.forbidden_characters)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")
BAD = object()
"""The value of anything that failed to read; its problem is already reported."""


@dataclass
class Obj:
    """A mapping read against its key table: converted values and their nodes.

    ``get`` gives ``default`` for a missing key and for one that failed to read
    (:data:`BAD`), so that building goes on and later problems are found too.
    """

    node: Node
    path: str
    values: dict[str, Any]
    nodes: dict[str, Node]

    def get(self, key: str, default: Any = None) -> Any:
        value = self.values.get(key, default)
        return default if value is BAD else value

    def at(self, key: str) -> Node:
        return self.nodes.get(key, self.node)

    def sub(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key


class Reader:
    """Reads nodes against key tables and collects :class:`~surveykit.errors.Problem` objects.

    ``languages`` are those the text of this file must have; the loader sets
    them from the top-level ``languages:`` before anything else is read.
    """

    def __init__(self, name: str, text: str = "") -> None:
        self.name = name
        self.text = text  # the source, to place a character inside a quoted scalar
        self.problems: list[Problem] = []
        self.languages: tuple[str, ...] = spec.LANGUAGES

    # -- reporting -------------------------------------------------------
    def problem(self, node: Node | None, path: str, message: str, offset: int = 0) -> None:
        line, column = (node.line, node.column + offset) if node is not None else (1, 1)
        self.problems.append(Problem(self.name, line, column, path, message))

    # -- generic reading --------------------------------------------------
    def read(self, node: Node, name: str, path: str, keys: tuple[spec.Key, ...] | None = None) -> Obj | None:
        keys = keys if keys is not None else spec.keys_of(name)
        if not isinstance(node, Mapping):
            self.problem(node, path, f"expected a mapping of keys ({_allowed(keys)}), got {_what(node)}")
            return None
        allowed = {k.name: k for k in keys}
        obj = Obj(node, path, {}, {})
        for key_node, value_node in node.pairs:
            key = key_node.value
            sub = f"{path}.{key}" if path else key
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.problem(key_node, sub, f"unknown key {key!r}{hint} (allowed: {_allowed(keys)})")
                continue
            obj.nodes[key] = value_node
            obj.values[key] = self.convert(value_node, allowed[key].kind, sub)
        for expected in keys:
            if expected.required and expected.name not in obj.nodes:
                self.problem(node, path, f"missing required key {expected.name!r}")
        return obj

    def convert(self, node: Node, kind: Any, path: str) -> Any:
        if isinstance(kind, str):
            return getattr(self, f"_scalar_{kind}")(node, path)
        head = kind[0]
        if head == "enum":
            value = self._scalar_string(node, path)
            if value is not BAD and value not in kind[1]:
                self.problem(node, path, f"{value!r} is not allowed (allowed: {', '.join(map(repr, kind[1]))})")
                return BAD
            return value
        if head == "list":
            if not isinstance(node, Sequence):
                self.problem(node, path, f"expected a list, got {_what(node)}")
                return BAD
            return [(self.convert(item, kind[1], f"{path}[{i}]"), item) for i, item in enumerate(node.items)]
        if head == "map":
            if not isinstance(node, Mapping):
                self.problem(node, path, f"expected a mapping, got {_what(node)}")
                return BAD
            out = []
            for key_node, value_node in node.pairs:
                sub = f"{path}.{key_node.value}"
                key = self.convert(key_node, kind[1], sub)
                out.append((key, self.convert(value_node, kind[2], sub), key_node))
            return out
        if head == "object":
            return self.read(node, kind[1], path) or BAD
        if head == "question":
            return self._typed(node, path, spec.QUESTION_KEYS, "question", QUESTION_TYPES)
        if head == "section":
            return self._section(node, path)
        raise AssertionError(kind)

    def _typed(self, node: Node, path: str, table: dict, what: str, types: Iterable[str]) -> Obj | None:
        if not isinstance(node, Mapping):
            self.problem(node, path, f"expected a {what} (a mapping with id, type, ...), got {_what(node)}")
            return None
        type_node = next((v for k, v in node.pairs if k.value == "type"), None)
        if type_node is None:
            self.problem(node, path, f"missing required key 'type' (one of {', '.join(types)})")
            return None
        qtype = self._scalar_string(type_node, f"{path}.type")
        if qtype is BAD:
            return None
        if qtype not in table:
            close = difflib.get_close_matches(qtype, list(table), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            extra = " (paired blocks go directly under pages:)" if qtype in BLOCK_TYPES else ""
            self.problem(
                type_node, f"{path}.type", f"unknown {what} type {qtype!r}{hint}{extra} (allowed: {', '.join(types)})"
            )
            return None
        return self.read(node, qtype, path, table[qtype])

    def _section(self, node: Node, path: str) -> Obj | None:
        if isinstance(node, Mapping) and any(k.value == "type" for k, _ in node.pairs):
            type_node = next(v for k, v in node.pairs if k.value == "type")
            if isinstance(type_node, Scalar) and type_node.value in QUESTION_TYPES:
                self.problem(
                    type_node,
                    f"{path}.type",
                    "a question cannot stand directly under pages:; put it in a page's questions: list",
                )
                return None
            blocks = {k: v for k, v in spec.SECTION_KEYS.items() if k != "page"}
            return self._typed(node, path, blocks, "paired block", BLOCK_TYPES)
        return self.read(node, "page", path)

    # -- scalar kinds -----------------------------------------------------
    def _scalar(self, node: Node, path: str, what: str) -> Any:
        if not isinstance(node, Scalar):
            self.problem(node, path, f"expected {what}, got {_what(node)}")
            return BAD
        return node.resolved()

    def _scalar_string(self, node: Node, path: str, what: str = "text") -> Any:
        value = self._scalar(node, path, what)
        if value is BAD:
            return BAD
        if not isinstance(value, str):
            assert isinstance(node, Scalar)
            self.problem(node, path, f"expected {what}, got {describe(value)} {node.value!r}; quote it: '{node.value}'")
            return BAD
        if control := _CONTROL.search(value):
            self.problem(
                node,
                path,
                f"control characters are not allowed in text (found U+{ord(control.group()):04X})",
                self._escape_offset(node, control.start()),
            )
            return BAD
        return value

    def _escape_offset(self, node: Node, index: int) -> int:
        """How far right of the scalar's start ``value[index]`` is written, for a one-line double-quoted scalar.

        Only an escape (``"\\0"``, ``"\\x85"``) can put such a character into a
        value, and only in double quotes; walking the escapes (``\\xXX`` is four
        characters, ``\\uXXXX`` six, ``\\UXXXXXXXX`` ten, the rest two) maps
        the value's index to the source column.  A scalar that spans lines
        folds them, so it keeps its start.
        """
        if not isinstance(node, Scalar) or node.style != '"' or not self.text:
            return 0
        source = _line(self.text, node.line)
        at = node.column  # 1-based column of the quote: the value's first character is at this 0-based index
        starts = []  # where each character of the value is written
        while at < len(source) and source[at] != '"':
            starts.append(at)
            at += {"x": 4, "u": 6, "U": 10}.get(source[at + 1 : at + 2], 2) if source[at] == "\\" else 1
        if at >= len(source) or index >= len(starts):
            return 0  # no closing quote on this line: the scalar goes on
        return starts[index] - node.column + 1

    def _scalar_id(self, node: Node, path: str) -> Any:
        value = self._scalar_string(node, path, "an id")
        if value is BAD:
            return BAD
        if not _ID.match(value):
            self.problem(node, path, f"{value!r} is not a valid id: {spec.SCALAR_KINDS['id']}")
            return BAD
        if len(value) > MAX_ID:
            self.problem(node, path, f"{value[:20]!r}... is {len(value)} characters long; ids have at most {MAX_ID}")
            return BAD
        return value

    def _scalar_survey_id(self, node: Node, path: str) -> Any:
        return self._matching(node, path, "survey id", _SURVEY_ID, "survey_id")

    def _scalar_code(self, node: Node, path: str) -> Any:
        return self._matching(node, path, "option code", _CODE, "code")

    def _matching(self, node: Node, path: str, what: str, pattern: re.Pattern[str], kind: str) -> Any:
        """Text that matches ``pattern`` and fits in MAX_ID characters."""
        value = self._scalar_string(node, path, f"an {what}" if what[0] in "aeiou" else f"a {what}")
        if value is not BAD and (not pattern.match(value) or len(value) > MAX_ID):
            self.problem(node, path, f"{value!r} is not a valid {what}: {spec.SCALAR_KINDS[kind]}")
            return BAD
        return value

    def _scalar_language(self, node: Node, path: str) -> Any:
        value = self._scalar_string(node, path, "a language code")
        if value is not BAD and not LANGUAGE_TAG.match(value):
            self.problem(
                node,
                path,
                f"language {value!r} is not a language tag such as zh, en, zh-Hant or ja "
                "(lower-case language, then script, region or variant)",
            )
            return BAD
        return value

    def _scalar_int(self, node: Node, path: str) -> Any:
        value = self._scalar(node, path, "a whole number")
        if value is BAD:
            return BAD
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(node, path, f"expected a whole number, got {describe(value)} {getattr(node, 'value', '')!r}")
            return BAD
        return value

    def _scalar_number(self, node: Node, path: str) -> Any:
        value = self._scalar(node, path, "a number")
        if value is BAD:
            return BAD
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or value != value
            or abs(value) == float("inf")
        ):
            self.problem(node, path, f"expected a number, got {describe(value)} {getattr(node, 'value', '')!r}")
            return BAD
        return value

    def _scalar_bool(self, node: Node, path: str) -> Any:
        value = self._scalar(node, path, "true or false")
        if value is BAD:
            return BAD
        if not isinstance(value, bool):
            self.problem(node, path, f"expected true or false, got {describe(value)} {getattr(node, 'value', '')!r}")
            return BAD
        return value

    def _scalar_date(self, node: Node, path: str) -> Any:
        value = self._scalar(node, path, "a date")
        if value is BAD:
            return BAD
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                pass
        if not isinstance(value, dt.date):
            self.problem(node, path, f"expected a date written YYYY-MM-DD, got {getattr(node, 'value', '')!r}")
            return BAD
        return value

    def _scalar_condition(self, node: Node, path: str) -> Any:
        value = self._scalar_string(node, path, "a condition")
        if value is BAD:
            return BAD
        try:
            return expressions.parse(value)
        except expressions.ExpressionError as exc:
            quote = 1 if isinstance(node, Scalar) and node.style in ("'", '"') else 0
            single_line = "\n" not in value
            self.problem(node, path, f"invalid condition {value!r}: {exc}", exc.offset + quote if single_line else 0)
            return BAD

    def _scalar_text(self, node: Node, path: str) -> Any:
        if isinstance(node, Scalar):
            value = self._scalar_string(node, path)
            if value is BAD:
                return BAD
            if len(self.languages) > 1:
                self.problem(
                    node,
                    path,
                    f"text needs every declared language ({', '.join(self.languages)}), "
                    f"e.g. {{{', '.join(f'{lang}: ...' for lang in self.languages)}}}",
                )
                return BAD
            return self._check_text(node, path, Text(((self.languages[0], value),)))
        if not isinstance(node, Mapping):
            self.problem(node, path, f"expected text ({spec.SCALAR_KINDS['text']}), got {_what(node)}")
            return BAD
        values: dict[str, str] = {}
        ok = True
        for key_node, value_node in node.pairs:
            lang = key_node.value
            if lang not in self.languages:
                self.problem(
                    key_node,
                    f"{path}.{lang}",
                    f"language {lang!r} is not declared (languages: {', '.join(self.languages)})",
                )
                ok = False
                continue
            value = self._scalar_string(value_node, f"{path}.{lang}")
            if value is BAD:
                ok = False
            else:
                values[lang] = value
        missing = [
            lang for lang in self.languages if lang not in values and lang not in {k.value for k, _ in node.pairs}
        ]
        if missing:
            self.problem(node, path, f"text is missing the declared language(s) {', '.join(map(repr, missing))}")
            ok = False
        if not ok:
            return BAD
        return self._check_text(node, path, Text(tuple((lang, values[lang]) for lang in self.languages)))

    def _check_text(self, node: Node, path: str, text: Text) -> Any:
        for lang, value in text.values:
            if not value.strip():
                self.problem(node, path, f"text in {lang!r} is empty")
                return BAD
            if len(value) > MAX_TEXT:
                self.problem(node, path, f"text in {lang!r} has {len(value)} characters; at most {MAX_TEXT}")
                return BAD
        return Text(tuple((lang, unicodedata.normalize("NFC", value)) for lang, value in text.values))


def _line(text: str, number: int) -> str:
    """Line ``number`` (1-based) of ``text``, lines ending at LF, CR or CR LF as libyaml counts them."""
    return re.split(r"\r\n|\r|\n", text, maxsplit=number)[number - 1] if number >= 1 else ""


def _allowed(keys: tuple[spec.Key, ...]) -> str:
    return ", ".join(k.name for k in keys)


def _what(node: Node) -> str:
    if isinstance(node, Scalar):
        return f"{describe(node.resolved())} {node.value!r}"
    return "a list" if isinstance(node, Sequence) else "a mapping"
