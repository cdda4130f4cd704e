"""Codeframes: the themes open comments are coded into, read from YAML.

A codeframe names its themes, a label per language for each, and the rules that put a
comment into a theme::

    codeframe: dealer_service
    languages: [zh, en]
    themes:
      parts:
        label: {zh: 配件, en: Parts}
        zh: [配件, 缺货, 原厂]                 # a rule: any of these words
        en: ["part|parts", "out of stock", genuine]
        exclude: {zh: [配件费], en: [parts price]}   # a clause with one of these is not coded here
      waiting_time:
        label: {zh: 等待时间, en: Waiting time}
        zh:
          - 排队
          - 等了|花了 + 小时|分钟|半天       # every part (+) in one clause; | separates alternatives
          - {match: 要等, unless: [parts]}    # not when the comment is coded parts by another rule
        en:
          - "wait*"                           # * ends an English word: wait, waited, waiting
          - {match: "complain*", skip_negated: true}   # "no complaints" is not a complaint
      other:
        label: {zh: 其他, en: Other}          # given when no rule applies; takes no rules

Comments and rules are compared in normal form (:func:`surveykit.text.normalise.normalise`):
simplified Chinese, half-width, lower case.  A Chinese alternative matches anywhere in a
clause (one of a single character only as a whole word of the segmenter); an English one
matches whole words.  ``other`` is given when no rule applies and never with another theme.

The file is read through :func:`surveykit.source.read_source`, like a questionnaire, and
every problem is reported at once as ``file:line:column: key: message``: unknown keys (with
a did-you-mean), a theme without rules, labels missing a declared language, rules for an
undeclared language, and a rule that can never match (written in a form comments never take
after normalisation, with an empty alternative, or containing one of its own theme's
exclusions, which then removes every clause it matches).
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from surveykit.errors import Problem, QuestionnaireError
from surveykit.source import read_source
from surveykit.text.normalise import normalise
from surveykit.yamlsafe import Mapping, Node, Scalar, Sequence

__all__ = ["DEFAULT_CODEFRAME", "MAX_BYTES", "Codeframe", "Rule", "Theme", "default_codeframe", "load_codeframe"]

MAX_BYTES = 512 * 1024
DEFAULT_CODEFRAME = Path(__file__).with_name("dealer_codeframe.yaml")
OTHER = "other"
RULE_LANGUAGES = ("zh", "en")
_ID = re.compile(r"[a-z][a-z0-9_]{0,62}\Z")
_TOP_KEYS = ("codeframe", "languages", "themes")
_THEME_KEYS = ("label", "zh", "en", "exclude")
_RULE_KEYS = ("match", "unless", "skip_negated")


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule: every part must occur in one clause; a part is a tuple of alternatives.

    An English alternative ending in ``*`` matches any word that starts with it.
    ``unless`` lists themes that cancel this rule when another rule codes the comment with
    one of them; with ``skip_negated`` a match inside a negation's scope does not count.
    """

    lang: str
    text: str
    parts: tuple[tuple[str, ...], ...]
    unless: tuple[str, ...] = ()
    skip_negated: bool = False
    line: int = 0


@dataclass(frozen=True, slots=True)
class Theme:
    """A theme: its id, labels as (language, text) pairs, rules, and exclusions per language."""

    id: str
    labels: tuple[tuple[str, str], ...]
    rules: tuple[Rule, ...] = ()
    exclude: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def label(self, lang: str) -> str:
        """The label in ``lang``, else the first one declared."""
        return dict(self.labels).get(lang, self.labels[0][1] if self.labels else self.id)

    def exclusions(self) -> tuple[str, ...]:
        """Every exclusion phrase, whatever its language."""
        return tuple(phrase for _, phrases in self.exclude for phrase in phrases)


@dataclass(frozen=True, slots=True)
class Codeframe:
    """A checked codeframe; ``themes`` keeps the file's order and always ends with ``other``."""

    name: str
    languages: tuple[str, ...]
    themes: tuple[Theme, ...]
    source: str = "<string>"

    def theme_ids(self) -> tuple[str, ...]:
        return tuple(theme.id for theme in self.themes)

    def theme(self, theme_id: str) -> Theme:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise KeyError(theme_id)


def load_codeframe(source: str | os.PathLike[str]) -> Codeframe:
    """Read and check a codeframe file (a path, or a one-line name ending ``.yaml``) or YAML text.

    Raises :class:`~surveykit.errors.QuestionnaireError` listing every problem as
    ``file:line:column: key: message``.
    """
    read = read_source(source, max_bytes=MAX_BYTES)
    reader = _Reader(read.name)
    codeframe = reader.codeframe(read.root)
    if reader.problems:
        raise QuestionnaireError(reader.problems)
    return codeframe


_default: Codeframe | None = None


def default_codeframe() -> Codeframe:
    """The shipped codeframe for car-dealer service and sales (zh and en), read once."""
    global _default
    if _default is None:
        _default = load_codeframe(DEFAULT_CODEFRAME)
    return _default


class _Reader:
    """Reads the composed nodes, collecting every problem instead of stopping at the first."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[Problem] = []

    def problem(self, node: Node | None, key: str, message: str) -> None:
        line, column = (node.line, node.column) if node is not None else (1, 1)
        self.problems.append(Problem(self.name, line, column, key, message))

    def mapping(self, node: Node, key: str, allowed: tuple[str, ...]) -> dict[str, tuple[Scalar, Node]]:
        if not isinstance(node, Mapping):
            self.problem(node, key, f"expected a mapping with keys {', '.join(allowed)}")
            return {}
        out = {}
        for k, value in node.pairs:
            if k.value not in allowed:
                close = difflib.get_close_matches(k.value, allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f" (allowed: {', '.join(allowed)})"
                self.problem(k, f"{key}.{k.value}" if key else k.value, f"unknown key {k.value!r}{hint}")
                continue
            out[k.value] = (k, value)
        return out

    def string(self, node: Node, key: str) -> str | None:
        if isinstance(node, Scalar) and node.value.strip():
            if node.plain and not isinstance(node.resolved(), str):
                self.problem(node, key, f"{node.value!r} reads as a YAML {type(node.resolved()).__name__}; quote it")
                return None
            return node.value
        shown = "an empty text" if isinstance(node, Scalar) else f"a {node.kind}"
        self.problem(node, key, f"expected a non-empty text, got {shown}")
        return None

    def strings(self, node: Node, key: str) -> list[tuple[Node, str]]:
        if not isinstance(node, Sequence):
            self.problem(node, key, "expected a list")
            return []
        out = []
        for i, item in enumerate(node.items):
            value = self.string(item, f"{key}[{i}]")
            if value is not None:
                out.append((item, value))
        return out

    def codeframe(self, root: Node | None) -> Codeframe:
        if root is None:
            self.problem(None, "", "the file is empty; a codeframe needs codeframe, languages and themes")
            return Codeframe("", (), ())
        top = self.mapping(root, "", _TOP_KEYS)
        for key in _TOP_KEYS:
            if key not in top and isinstance(root, Mapping):
                self.problem(root, key, f"missing: a codeframe needs {key}")
        name = ""
        if "codeframe" in top:
            node = top["codeframe"][1]
            name = self.string(node, "codeframe") or ""
            if name and not _ID.match(name):
                self.problem(node, "codeframe", f"{name!r} is not an id: a lower-case letter, then letters, digits, _")
        languages = self.languages(top["languages"][1]) if "languages" in top else ()
        themes = self.themes(top["themes"][1], languages) if "themes" in top else ()
        return Codeframe(name, languages, themes, self.name)

    def languages(self, node: Node) -> tuple[str, ...]:
        out = []
        for item, value in self.strings(node, "languages"):
            if value not in RULE_LANGUAGES:
                self.problem(item, "languages", f"language {value!r} has no segmenter here (known: zh, en)")
            elif value in out:
                self.problem(item, "languages", f"{value!r} is listed twice")
            else:
                out.append(value)
        if isinstance(node, Sequence) and not node.items:
            self.problem(node, "languages", "expected at least one language: zh, en")
        return tuple(out)

    def themes(self, node: Node, languages: tuple[str, ...]) -> tuple[Theme, ...]:
        if not isinstance(node, Mapping) or not node.pairs:
            self.problem(node, "themes", "expected a mapping of theme id -> theme with at least one theme")
            return ()
        ids = [k.value for k, _ in node.pairs]
        themes = []
        for k, value in node.pairs:
            if not _ID.match(k.value):
                self.problem(k, f"themes.{k.value}", "a theme id is a lower-case letter, then letters, digits, _")
                continue
            theme = self.theme(k, value, languages, ids)
            if theme is not None:
                themes.append(theme)
        if OTHER not in ids:
            themes.append(Theme(OTHER, tuple((lang, "其他" if lang == "zh" else "Other") for lang in languages)))
        else:  # other goes last, whatever the file's order
            themes.sort(key=lambda theme: theme.id == OTHER)
        return tuple(themes)

    def theme(self, key: Scalar, node: Node, languages: tuple[str, ...], ids: list[str]) -> Theme | None:
        where = f"themes.{key.value}"
        fields = self.mapping(node, where, _THEME_KEYS)
        labels: list[tuple[str, str]] = []
        if "label" not in fields:
            self.problem(key, f"{where}.label", "missing: a theme needs a label in every declared language")
        else:
            label_node = fields["label"][1]
            got = self.mapping(label_node, f"{where}.label", languages or RULE_LANGUAGES)
            for lang in languages:
                if lang not in got:
                    self.problem(label_node, f"{where}.label", f"missing the {lang!r} label")
                else:
                    text = self.string(got[lang][1], f"{where}.label.{lang}")
                    if text is not None:
                        labels.append((lang, text))
        exclude: dict[str, list[tuple[Node, str]]] = {}
        if "exclude" in fields:
            for lang, (k, value) in self.mapping(fields["exclude"][1], f"{where}.exclude", RULE_LANGUAGES).items():
                self.declared(k, f"{where}.exclude.{lang}", lang, languages)
                exclude[lang] = [(n, v) for n, v in self.strings(value, f"{where}.exclude.{lang}") if self.phrase(n, v)]
        excluded = [(n, v) for phrases in exclude.values() for n, v in phrases]
        rules: list[Rule] = []
        for lang in RULE_LANGUAGES:
            if lang in fields:
                k, value = fields[lang]
                self.declared(k, f"{where}.{lang}", lang, languages)
                rules.extend(self.rules(value, f"{where}.{lang}", lang, key.value, ids, excluded))
        if key.value == OTHER:
            if rules or exclude:
                self.problem(key, where, "'other' is given to comments no rule codes; it takes no rules or exclusions")
        elif not rules and not any(lang in fields for lang in RULE_LANGUAGES):
            self.problem(
                key,
                where,
                f"theme {key.value!r} has no rules, so no comment can be coded with it; add zh: or en: rules",
            )
        elif not rules:
            self.problem(key, where, f"theme {key.value!r} has no usable rule")
        return Theme(
            key.value,
            tuple(labels),
            tuple(rules),
            tuple((lang, tuple(v for _, v in ps)) for lang, ps in exclude.items()),
        )

    def declared(self, node: Node, key: str, lang: str, languages: tuple[str, ...]) -> None:
        if languages and lang not in languages:
            self.problem(
                node,
                key,
                f"rules in {lang!r}, which the codeframe does not declare (languages: {', '.join(languages)})",
            )

    def phrase(self, node: Node, value: str) -> bool:
        if normalise(value) != value:
            self.problem(
                node, "", f"{value!r} never matches: comments are normalised first; write {normalise(value)!r}"
            )
            return False
        return True

    def rules(
        self, node: Node, key: str, lang: str, theme: str, ids: list[str], excluded: list[tuple[Node, str]]
    ) -> list[Rule]:
        if not isinstance(node, Sequence):
            self.problem(node, key, "expected a list of rules")
            return []
        if not node.items:
            self.problem(node, key, "an empty list of rules")
        out = []
        for i, item in enumerate(node.items):
            where = f"{key}[{i}]"
            unless: tuple[str, ...] = ()
            skip_negated = False
            text_node: Node = item
            if isinstance(item, Mapping):
                fields = self.mapping(item, where, _RULE_KEYS)
                if "match" not in fields:
                    self.problem(item, f"{where}.match", "missing: the words the rule matches")
                    continue
                text_node = fields["match"][1]
                if "unless" in fields:
                    unless = tuple(self.unless(fields["unless"][1], f"{where}.unless", theme, ids))
                if "skip_negated" in fields:
                    flag = fields["skip_negated"][1]
                    value = flag.resolved() if isinstance(flag, Scalar) else None
                    if not isinstance(value, bool):
                        self.problem(flag, f"{where}.skip_negated", "expected true or false")
                    skip_negated = value is True
            text = self.string(text_node, where)
            if text is None:
                continue
            parts = self.parts(text_node, where, text, lang, excluded)
            if parts:
                out.append(Rule(lang, text, parts, unless, skip_negated, text_node.line))
        return out

    def unless(self, node: Node, key: str, theme: str, ids: list[str]) -> list[str]:
        out = []
        for item, value in self.strings(node, key):
            if value == theme or value == OTHER or value not in ids:
                close = difflib.get_close_matches(value, [i for i in ids if i not in (theme, OTHER)], n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.problem(item, key, f"{value!r} is not another theme of this codeframe{hint}")
            else:
                out.append(value)
        return out

    def parts(
        self, node: Node, key: str, text: str, lang: str, excluded: list[tuple[Node, str]]
    ) -> tuple[tuple[str, ...], ...]:
        parts = []
        for part in text.split("+"):
            alternatives = tuple(a.strip() for a in part.split("|"))
            for alt in alternatives:
                word = alt[:-1] if alt.endswith("*") and lang == "en" else alt
                if not word:
                    self.problem(node, key, f"{text!r} never matches: it has an empty alternative or part")
                    return ()
                if "*" in word:
                    self.problem(node, key, f"{text!r}: * may only end an English word")
                    return ()
                if normalise(word) != word:
                    self.problem(
                        node, key, f"{alt!r} never matches: comments are normalised first; write {normalise(word)!r}"
                    )
                    return ()
                for ex_node, phrase in excluded:
                    if phrase in word:
                        self.problem(
                            node,
                            key,
                            f"{alt!r} never matches: every clause it occurs in holds the exclusion {phrase!r} "
                            f"(line {ex_node.line})",
                        )
                        return ()
            parts.append(alternatives)
        return tuple(parts)
