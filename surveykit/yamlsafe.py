"""Compose YAML into position-carrying nodes, refusing what can hurt us.

We build the node tree ourselves from libyaml's event stream instead of calling
``yaml.compose``: libyaml's composer recurses in C and crashed this interpreter
(a segfault, not an exception) on 100,000 nested brackets, and it accepts alias
bombs as shared references that explode later.  Walking events with an explicit
stack lets us stop at a depth limit, count the nodes an alias expands to,
reject tags that build objects, merge keys and duplicate keys (compared as
YAML values, see :func:`key_identity`), all before any Python object is
constructed.  :func:`forbidden_characters` runs first and places every
character we refuse at its own line and column.  Only ``yaml.CSafeLoader``'s parser is used
(``SafeLoader`` where libyaml is missing): nothing here can run code.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader

MAX_DEPTH = 20
MAX_NODES = 1_000_000  # after alias expansion
ALLOWED_TAGS = {None, "!", "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}

# Refused anywhere in the file, before libyaml sees it (libyaml refuses most of them
# too, but reports them at 1:1): C0 controls except tab, LF and CR; DEL and the C1
# controls (U+0085 included: libyaml reads it as a line break, so every later
# position would disagree with the editor's); the line and paragraph separators
# (the same reason); a byte-order mark after the start; lone surrogates, which
# are not text; and the non-characters U+FFFE and U+FFFF.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")
MAX_REPORTED_CHARACTERS = 10

_resolver = Resolver()
_constructor = SafeConstructor()


class YamlProblem(Exception):
    """A problem found while composing: 1-based ``line``/``column`` and a message.

    ``more`` holds the problems found along with it (every duplicate key of the
    file is reported in one run, not one per run).
    """

    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line, self.column, self.message = line, column, message
        self.more: tuple[YamlProblem, ...] = ()


class Node:
    __slots__ = ("column", "line", "size")
    kind = "node"

    def __init__(self, line: int, column: int) -> None:
        self.line, self.column, self.size = line, column, 1


class Scalar(Node):
    """A scalar: ``value`` as written, ``plain`` if unquoted and untagged."""

    __slots__ = ("plain", "style", "value")
    kind = "scalar"

    def __init__(self, line: int, column: int, value: str, plain: bool, style: str | None) -> None:
        super().__init__(line, column)
        self.value, self.plain, self.style = value, plain, style

    def resolved(self) -> object:
        """The value YAML 1.1 would give an unquoted scalar (str when quoted)."""
        if not self.plain:
            return self.value
        tag = _resolver.resolve(yaml.ScalarNode, self.value, (True, False))
        if tag == "tag:yaml.org,2002:str":
            return self.value
        node = yaml.ScalarNode(tag, self.value)
        try:
            if tag == "tag:yaml.org,2002:null":
                return None
            if tag == "tag:yaml.org,2002:bool":
                return _constructor.construct_yaml_bool(node)
            if tag == "tag:yaml.org,2002:int":
                return _constructor.construct_yaml_int(node)
            if tag == "tag:yaml.org,2002:float":
                return _constructor.construct_yaml_float(node)
            if tag == "tag:yaml.org,2002:timestamp":
                return _constructor.construct_yaml_timestamp(node)
        except (ValueError, OverflowError, TypeError):
            return self.value  # e.g. 2001-13-45: not a valid date, keep the text
        return self.value


class Mapping(Node):
    __slots__ = ("pairs",)
    kind = "mapping"

    def __init__(self, line: int, column: int) -> None:
        super().__init__(line, column)
        self.pairs: list[tuple[Scalar, Node]] = []


class Sequence(Node):
    __slots__ = ("items",)
    kind = "sequence"

    def __init__(self, line: int, column: int) -> None:
        super().__init__(line, column)
        self.items: list[Node] = []


@dataclass
class _Open:
    node: Node
    anchor: str | None
    pending_key: Scalar | None = None
    keys: dict | None = None
    duplicate: bool = False  # the pending key repeats an earlier one: its value is dropped


def forbidden_characters(text: str) -> list[YamlProblem]:
    """Every character a questionnaire may not contain, each at its 1-based line and column.

    Lines break at LF, CR and CR LF, as libyaml and editors count them; columns
    count code points, as libyaml's marks do.  A file full of binary garbage
    gets the first :data:`MAX_REPORTED_CHARACTERS` and one line saying how many
    more there are, not a screenful.
    """
    found = [m.start() for m in _FORBIDDEN.finditer(text)]
    problems = []
    for index in found[:MAX_REPORTED_CHARACTERS]:
        line, column = position(text, index)
        problems.append(YamlProblem(line, column, _character_message(text[index])))
    if len(found) > MAX_REPORTED_CHARACTERS:
        line, column = position(text, found[MAX_REPORTED_CHARACTERS])
        problems.append(
            YamlProblem(
                line,
                column,
                f"{len(found) - MAX_REPORTED_CHARACTERS} more characters like these follow; is this a text file?",
            )
        )
    return problems


def position(text: str, index: int) -> tuple[int, int]:
    """The 1-based (line, column) of ``text[index]``; LF, CR and CR LF each end a line."""
    line = text.count("\n", 0, index) + text.count("\r", 0, index) - text.count("\r\n", 0, index) + 1
    start = max(text.rfind("\n", 0, index), text.rfind("\r", 0, index)) + 1
    return line, index - start + 1


def _character_message(char: str) -> str:
    code = f"U+{ord(char):04X}"
    if char == "\ufeff":
        return f"a byte-order mark ({code}) is only allowed at the very start of the file"
    if char in "\u2028\u2029":
        return f"the Unicode line separator {code} is not allowed; use an ordinary line break"
    if "\ud800" <= char <= "\udfff":
        return f"a lone surrogate ({code}) is not valid text; save the file as UTF-8"
    if char in "\ufffe\uffff":
        return f"{code} is not a character; save the file as UTF-8"
    return f"control characters are not allowed (found {code}); only tab and line breaks are"


def compose(text: str) -> Node | None:
    """Compose exactly one YAML document into :class:`Node` objects.

    Raises :class:`YamlProblem` for syntax errors, disallowed tags, merge keys,
    duplicate or non-scalar keys, aliases that refer to their own ancestor or
    expand past ``MAX_NODES``, nesting deeper than ``MAX_DEPTH``, and a second
    document.  Returns ``None`` for an empty document.  Duplicate keys do not
    stop composing, so that all of them are reported at once (in ``more``),
    together with whatever else stops it.
    """
    duplicates: list[YamlProblem] = []
    try:
        root = _compose(text, duplicates)
    except YamlProblem as exc:
        raise _together([*duplicates, exc]) from None
    if duplicates:
        raise _together(duplicates)
    return root


def _together(problems: list[YamlProblem]) -> YamlProblem:
    first = problems[0]
    first.more = tuple(problems[1:])
    return first


def _compose(text: str, duplicates: list[YamlProblem]) -> Node | None:
    anchors: dict[str, Node] = {}
    stack: list[_Open] = []
    root: Node | None = None
    node: Node | None
    documents = 0
    total = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise _problem(event, "a questionnaire file holds one YAML document; remove the second '---'")
                continue
            if isinstance(event, (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent)):
                continue
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                done = stack.pop()
                if done.anchor is not None:
                    anchors[done.anchor] = done.node
                node = done.node
            else:
                node = _leaf(event, anchors, stack)
                if node is None:
                    continue
                if isinstance(node, (Mapping, Sequence)) and not isinstance(event, yaml.AliasEvent):
                    if len(stack) >= MAX_DEPTH:
                        raise _problem(event, f"nesting deeper than {MAX_DEPTH} levels is not allowed")
                    stack.append(
                        _Open(node, getattr(event, "anchor", None), keys={} if isinstance(node, Mapping) else None)
                    )
                    continue
                if isinstance(event, yaml.ScalarEvent) and event.anchor is not None:
                    anchors[event.anchor] = node
            total += node.size if isinstance(event, yaml.AliasEvent) else 1
            if total > MAX_NODES:
                raise _problem(event, f"the document expands to more than {MAX_NODES:,} nodes (an alias bomb?)")
            if not stack:
                root = node
            else:
                _attach(stack[-1], node, event, duplicates)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
        raise YamlProblem(
            mark.line + 1 if mark else 1, mark.column + 1 if mark else 1, f"YAML syntax error: {message}"
        ) from None
    except yaml.YAMLError as exc:
        # one line, as every problem is: PyYAML's unmarked errors append "in <unicode string>, position N" below
        raise YamlProblem(1, 1, f"YAML error: {' '.join(str(exc).split())}") from None
    return root


def _leaf(event: yaml.Event, anchors: dict[str, Node], stack: list[_Open]) -> Node | None:
    line, column = event.start_mark.line + 1, event.start_mark.column + 1
    if isinstance(event, yaml.AliasEvent):
        target = anchors.get(event.anchor)
        if target is None:
            if any(o.anchor == event.anchor for o in stack):
                raise _problem(event, f"alias *{event.anchor} refers to a node that contains it (a cycle)")
            raise _problem(event, f"alias *{event.anchor} refers to an undefined anchor")
        return target
    tag = getattr(event, "tag", None)
    if tag not in ALLOWED_TAGS:
        raise _problem(
            event,
            f"YAML tag {tag!r} is not allowed; a questionnaire holds only plain text, numbers, lists and mappings",
        )
    if isinstance(event, yaml.ScalarEvent):
        plain = bool(event.implicit[0]) and not event.style
        return Scalar(line, column, event.value, plain, event.style)
    if isinstance(event, yaml.MappingStartEvent):
        return Mapping(line, column)
    if isinstance(event, yaml.SequenceStartEvent):
        return Sequence(line, column)
    return None


def _attach(parent: _Open, node: Node, event: yaml.Event, duplicates: list[YamlProblem]) -> None:
    container = parent.node
    container.size += node.size
    if isinstance(container, Sequence):
        container.items.append(node)
        return
    assert isinstance(container, Mapping) and parent.keys is not None
    if parent.pending_key is None:
        if not isinstance(node, Scalar):
            raise _problem(event, "a mapping key must be plain text, not a list or mapping")
        if node.plain and node.value == "<<":
            raise _problem(event, "merge keys ('<<') are not allowed; write the keys out or use a plain alias")
        identity = key_identity(node)
        first = parent.keys.get(identity)
        if first is not None:
            if first.value == node.value or isinstance(identity, str):
                message = f"duplicate key {node.value!r} (first at line {first.line})"
            else:
                message = (
                    f"duplicate key {node.value!r}: YAML reads it as {_reading(identity)}, "
                    f"the same key as {first.value!r} (line {first.line})"
                )
            duplicates.append(YamlProblem(node.line, node.column, message))
            parent.duplicate = True
        else:
            parent.keys[identity] = node
        parent.pending_key = node
    else:
        if not parent.duplicate:
            container.pairs.append((parent.pending_key, node))
        parent.pending_key, parent.duplicate = None, False


def key_identity(key: Scalar) -> str | tuple[str, object]:
    """What makes two mapping keys the same key: the text, or (type family, resolved value).

    Keys are compared as the YAML values the safe loader resolves them to, not
    as text, so ``1`` and ``01``, ``0x1``, ``+1`` and ``1.0`` are one key (the
    number 1), and so are ``yes`` and ``true``, or ``~`` and ``null``.  A
    quoted key is text and never equals a plain number: ``'1'`` and ``1`` are two
    keys.

    The family keeps apart what Python's ``1 == 1.0 == True`` would merge.  The
    YAML 1.1 types say a boolean is not a number, so ``true`` and ``1`` are two
    different keys here, though ``yaml.safe_load`` would fold them into one
    dict entry; wherever the format wants a number or a code as a key, the
    boolean is refused on its own ("quote it"), so neither key passes silently.
    Integers and floats are one family: both spell a number, and
    ``yaml.safe_load`` (like anything else that builds a dict from the file)
    keeps only one of ``1`` and ``1.0``, so a reader who wrote both meant one
    key twice, whatever the tags say.  Every NaN is one value.

    A key that is text is its own identity (most keys: ``id``, ``scale``,
    ``zh``; no tuple to build), anything else a (family, value) pair.
    """
    text = key.value
    if not key.plain or (text and text[0] not in _MAY_RESOLVE):
        return text
    identity = _IDENTITIES.get(text)
    if identity is None:
        identity = _resolve_identity(text)
        if len(text) <= 64 and len(_IDENTITIES) < 4096:  # keys repeat; a long one is not worth keeping
            _IDENTITIES[text] = identity
    return identity


# the first characters with which a plain scalar can resolve to anything but text
_MAY_RESOLVE = frozenset(k for k in Resolver.yaml_implicit_resolvers if k)
_IDENTITIES: dict[str, str | tuple[str, object]] = {}


def _resolve_identity(text: str) -> str | tuple[str, object]:
    value = Scalar(0, 0, text, True, None).resolved()
    if value is None:
        return ("null", None)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", "nan" if value != value else value)
    if isinstance(value, (dt.date, dt.datetime)):
        return ("timestamp", value)
    return text


def _reading(identity: tuple[str, object]) -> str:
    """A key's resolved value as an error message shows it: ``the number 1``."""
    family, value = identity
    if family == "null":
        return "the YAML null"
    if family == "bool":
        return f"the YAML boolean {'true' if value else 'false'}"
    if family == "number":
        return f"the number {'.nan' if value == 'nan' else value}"
    if family == "timestamp":
        return f"the YAML date {value}"
    return f"the text {value!r}"


def _problem(event: yaml.Event, message: str) -> YamlProblem:
    return YamlProblem(event.start_mark.line + 1, event.start_mark.column + 1, message)


def describe(value: object) -> str:
    """How a resolved YAML 1.1 value reads in an error message."""
    if isinstance(value, bool):
        return "the YAML boolean"
    if value is None:
        return "the YAML null"
    if isinstance(value, (int, float)):
        return "the number"
    if isinstance(value, (dt.date, dt.datetime)):
        return "the YAML date"
    return "the text"
