"""Compose YAML into position-carrying nodes, refusing what can hurt us.

We build the node tree ourselves from libyaml's event stream instead of calling
``yaml.compose``: libyaml's composer recurses in C and crashed this interpreter
(a segfault, not an exception) on 100,000 nested brackets, and it accepts alias
bombs as shared references that explode later.  Walking events with an explicit
stack lets us stop at a depth limit, count the nodes an alias expands to,
reject tags that build objects, merge keys and duplicate keys, all before any
Python object is constructed.  Only ``yaml.CSafeLoader``'s parser is used
(``SafeLoader`` where libyaml is missing): nothing here can run code.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    _Loader = yaml.SafeLoader

MAX_DEPTH = 20
MAX_NODES = 1_000_000          # after alias expansion
ALLOWED_TAGS = {None, "!", "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}

_resolver = Resolver()
_constructor = SafeConstructor()


class YamlProblem(Exception):
    """A problem found while composing: 1-based ``line``/``column`` and a message."""

    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line, self.column, self.message = line, column, message


class Node:
    __slots__ = ("line", "column", "size")
    kind = "node"

    def __init__(self, line: int, column: int) -> None:
        self.line, self.column, self.size = line, column, 1


class Scalar(Node):
    """A scalar: ``value`` as written, ``plain`` if unquoted and untagged."""

    __slots__ = ("value", "plain", "style")
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


def compose(text: str) -> Node | None:
    """Compose exactly one YAML document into :class:`Node` objects.

    Raises :class:`YamlProblem` for syntax errors, disallowed tags, merge keys,
    duplicate or non-scalar keys, aliases that refer to their own ancestor or
    expand past ``MAX_NODES``, nesting deeper than ``MAX_DEPTH``, and a second
    document.  Returns ``None`` for an empty document.
    """
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
                    stack.append(_Open(node, getattr(event, "anchor", None), keys={} if isinstance(node, Mapping) else None))
                    continue
                if isinstance(event, yaml.ScalarEvent) and event.anchor is not None:
                    anchors[event.anchor] = node
            total += node.size if isinstance(event, yaml.AliasEvent) else 1
            if total > MAX_NODES:
                raise _problem(event, f"the document expands to more than {MAX_NODES:,} nodes (an alias bomb?)")
            if not stack:
                root = node
            else:
                _attach(stack[-1], node, event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = " ".join(part for part in (exc.context, exc.problem) if part) or "invalid YAML"
        raise YamlProblem(mark.line + 1 if mark else 1, mark.column + 1 if mark else 1, f"YAML syntax error: {message}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1, 1, f"YAML error: {exc}") from None
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
        raise _problem(event, f"YAML tag {tag!r} is not allowed; a questionnaire holds only plain text, numbers, lists and mappings")
    if isinstance(event, yaml.ScalarEvent):
        plain = bool(event.implicit[0]) and not event.style
        return Scalar(line, column, event.value, plain, event.style)
    if isinstance(event, yaml.MappingStartEvent):
        return Mapping(line, column)
    if isinstance(event, yaml.SequenceStartEvent):
        return Sequence(line, column)
    return None


def _attach(parent: _Open, node: Node, event: yaml.Event) -> None:
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
        if node.value in parent.keys:
            first = parent.keys[node.value]
            raise YamlProblem(node.line, node.column, f"duplicate key {node.value!r} (first at line {first})")
        parent.keys[node.value] = node.line
        parent.pending_key = node
    else:
        container.pairs.append((parent.pending_key, node))
        parent.pending_key = None


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
