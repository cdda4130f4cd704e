"""YAML questionnaire -> :class:`~surveykit.model.Questionnaire`, or every problem at once.

Reading happens in three passes over position-carrying nodes
(:mod:`surveykit.yamlsafe`): compose safely; read every object against the key
table of :mod:`surveykit.spec` (unknown, missing and mistyped keys); then check
what spans objects (references, id clashes after role suffixes, conditions that
look forward or at unknown answers, scoring and alerts).  Problems are
collected rather than raised, so that a researcher sees all of them in one run,
each as ``file:line:column: key.path: message``.
"""
from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from surveykit import expressions, spec
from surveykit.errors import Problem, QuestionnaireError
from surveykit.model import (
    BLOCK_TYPES, METADATA_COLUMNS, QUESTION_TYPES, Alert, Band, Dimension, Field, IPABlock,
    KanoBlock, Option, Page, PairedItem, Question, Questionnaire, Row, Scale, Scoring,
    ScoringCategory, Section, ServqualBlock, Text,
)
from surveykit.screens import build_screens, build_variables
from surveykit.yamlsafe import (
    Mapping, Node, Scalar, Sequence, YamlProblem, compose, describe, forbidden_characters, position,
)

DEFAULT_MAX_BYTES = 512 * 1024
MAX_TEXT = 2000
MAX_OPTIONS = 100
MAX_ID = 63
_ID = re.compile(r"[a-z][a-z0-9_]*\Z")
_SURVEY_ID = re.compile(r"[a-z][a-z0-9_-]*\Z")
_CODE = re.compile(r"[a-z0-9][a-z0-9_]*\Z")
# what an escape in a double-quoted scalar ("\\0", "\\x85", "\\uFEFF") can still put into text
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")
_BAD = object()


def load_questionnaire(source: str | os.PathLike[str], *, max_bytes: int = DEFAULT_MAX_BYTES) -> Questionnaire:
    """Load and validate a questionnaire from a path or from YAML text.

    A ``Path`` (or a one-line string ending in ``.yaml``/``.yml``) is read as a
    file; any other string is the YAML itself.  Raises
    :class:`~surveykit.errors.QuestionnaireError` listing every problem.
    """
    if isinstance(source, os.PathLike) or (isinstance(source, str) and "\n" not in source
                                           and source.strip().endswith((".yaml", ".yml"))):
        path = Path(source)
        name = str(source)
        try:
            size = path.stat().st_size
            if size > max_bytes:
                raise QuestionnaireError([Problem(name, 1, 1, "", f"the file has {size:,} bytes; the limit is {max_bytes:,}")])
            data = path.read_bytes()
        except OSError as exc:
            raise QuestionnaireError([Problem(name, 1, 1, "", f"cannot read the file: {exc.strerror or exc}")]) from None
    else:
        name = "<string>"
        data = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else bytes(source)
    return loads(data, name=name, max_bytes=max_bytes)


def load_directory(directory: str | os.PathLike[str], **kwargs: Any) -> dict[str, Questionnaire]:
    """Every ``*.yaml`` questionnaire in a folder, keyed by survey id."""
    loaded: dict[str, Questionnaire] = {}
    for path in sorted(Path(directory).glob("*.y*ml")):
        q = load_questionnaire(path, **kwargs)
        loaded[q.survey] = q
    return loaded


def loads(data: bytes, *, name: str = "<string>", max_bytes: int = DEFAULT_MAX_BYTES) -> Questionnaire:
    """Load a questionnaire from bytes (UTF-8, with or without a BOM)."""
    if len(data) > max_bytes:
        raise QuestionnaireError([Problem(name, 1, 1, "", f"the file has {len(data):,} bytes; the limit is {max_bytes:,}")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # everything before the bad byte decoded, so the column counts characters as an editor does
        good = data[: exc.start].decode("utf-8-sig")
        line, column = position(good + "?", len(good))
        raise QuestionnaireError([Problem(name, line, column, "", "the file is not valid UTF-8; save it as UTF-8")]) from None
    if refused := forbidden_characters(text):
        raise QuestionnaireError([Problem(name, p.line, p.column, "", p.message) for p in refused])
    try:
        root = compose(text)
    except YamlProblem as exc:
        raise QuestionnaireError([Problem(name, exc.line, exc.column, "", exc.message)]) from None
    except RecursionError:  # pragma: no cover - compose is iterative; kept as a last guard
        raise QuestionnaireError([Problem(name, 1, 1, "", "the document is nested too deeply")]) from None
    reader = _Reader(name)
    q = reader.questionnaire(root, hashlib.sha256(data).hexdigest())
    if reader.problems or q is None:
        raise QuestionnaireError(reader.problems or [Problem(name, 1, 1, "", "empty questionnaire")])
    return q


@dataclass
class _Obj:
    """A mapping read against its key table: converted values and their nodes."""

    node: Node
    path: str
    values: dict[str, Any]
    nodes: dict[str, Node]

    def get(self, key: str, default: Any = None) -> Any:
        value = self.values.get(key, default)
        return default if value is _BAD else value

    def at(self, key: str) -> Node:
        return self.nodes.get(key, self.node)

    def sub(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key


class _Reader:
    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[Problem] = []
        self.languages: tuple[str, ...] = spec.LANGUAGES

    # -- reporting -------------------------------------------------------
    def problem(self, node: Node | None, path: str, message: str, offset: int = 0) -> None:
        line, column = (node.line, node.column + offset) if node is not None else (1, 1)
        self.problems.append(Problem(self.name, line, column, path, message))

    # -- generic reading --------------------------------------------------
    def read(self, node: Node, name: str, path: str, keys: tuple[spec.Key, ...] | None = None) -> _Obj | None:
        keys = keys if keys is not None else spec.keys_of(name)
        if not isinstance(node, Mapping):
            self.problem(node, path, f"expected a mapping of keys ({_allowed(keys)}), got {_what(node)}")
            return None
        allowed = {k.name: k for k in keys}
        obj = _Obj(node, path, {}, {})
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
            if value is not _BAD and value not in kind[1]:
                self.problem(node, path, f"{value!r} is not allowed (allowed: {', '.join(map(repr, kind[1]))})")
                return _BAD
            return value
        if head == "list":
            if not isinstance(node, Sequence):
                self.problem(node, path, f"expected a list, got {_what(node)}")
                return _BAD
            return [(self.convert(item, kind[1], f"{path}[{i}]"), item) for i, item in enumerate(node.items)]
        if head == "map":
            if not isinstance(node, Mapping):
                self.problem(node, path, f"expected a mapping, got {_what(node)}")
                return _BAD
            out = []
            for key_node, value_node in node.pairs:
                sub = f"{path}.{key_node.value}"
                key = self.convert(key_node, kind[1], sub)
                out.append((key, self.convert(value_node, kind[2], sub), key_node))
            return out
        if head == "object":
            return self.read(node, kind[1], path) or _BAD
        if head == "question":
            return self._typed(node, path, spec.QUESTION_KEYS, "question", QUESTION_TYPES)
        if head == "section":
            return self._section(node, path)
        raise AssertionError(kind)

    def _typed(self, node: Node, path: str, table: dict, what: str, types: Iterable[str]) -> _Obj | None:
        if not isinstance(node, Mapping):
            self.problem(node, path, f"expected a {what} (a mapping with id, type, ...), got {_what(node)}")
            return None
        type_node = next((v for k, v in node.pairs if k.value == "type"), None)
        if type_node is None:
            self.problem(node, path, f"missing required key 'type' (one of {', '.join(types)})")
            return None
        qtype = self._scalar_string(type_node, f"{path}.type")
        if qtype is _BAD:
            return None
        if qtype not in table:
            close = difflib.get_close_matches(qtype, list(table), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            extra = " (paired blocks go directly under pages:)" if qtype in BLOCK_TYPES else ""
            self.problem(type_node, f"{path}.type", f"unknown {what} type {qtype!r}{hint}{extra} (allowed: {', '.join(types)})")
            return None
        return self.read(node, qtype, path, table[qtype])

    def _section(self, node: Node, path: str) -> _Obj | None:
        if isinstance(node, Mapping) and any(k.value == "type" for k, _ in node.pairs):
            type_node = next(v for k, v in node.pairs if k.value == "type")
            if isinstance(type_node, Scalar) and type_node.value in QUESTION_TYPES:
                self.problem(type_node, f"{path}.type", "a question cannot stand directly under pages:; put it in a page's questions: list")
                return None
            blocks = {k: v for k, v in spec.SECTION_KEYS.items() if k != "page"}
            return self._typed(node, path, blocks, "paired block", BLOCK_TYPES)
        return self.read(node, "page", path)

    # -- scalar kinds -----------------------------------------------------
    def _scalar(self, node: Node, path: str, what: str) -> Any:
        if not isinstance(node, Scalar):
            self.problem(node, path, f"expected {what}, got {_what(node)}")
            return _BAD
        return node.resolved()

    def _scalar_string(self, node: Node, path: str, what: str = "text") -> Any:
        value = self._scalar(node, path, what)
        if value is _BAD:
            return _BAD
        if not isinstance(value, str):
            assert isinstance(node, Scalar)
            self.problem(node, path, f"expected {what}, got {describe(value)} {node.value!r}; quote it: '{node.value}'")
            return _BAD
        if control := _CONTROL.search(value):
            self.problem(node, path, f"control characters are not allowed in text (found U+{ord(control.group()):04X})")
            return _BAD
        return value

    def _scalar_id(self, node: Node, path: str) -> Any:
        value = self._scalar_string(node, path, "an id")
        if value is _BAD:
            return _BAD
        if not _ID.match(value):
            self.problem(node, path, f"{value!r} is not a valid id: {spec.SCALAR_KINDS['id']}")
            return _BAD
        if len(value) > MAX_ID:
            self.problem(node, path, f"{value[:20]!r}... is {len(value)} characters long; ids have at most {MAX_ID}")
            return _BAD
        return value

    def _scalar_survey_id(self, node: Node, path: str) -> Any:
        return self._matching(node, path, "survey id", _SURVEY_ID, "survey_id")

    def _scalar_code(self, node: Node, path: str) -> Any:
        return self._matching(node, path, "option code", _CODE, "code")

    def _matching(self, node: Node, path: str, what: str, pattern: re.Pattern[str], kind: str) -> Any:
        """Text that matches ``pattern`` and fits in MAX_ID characters."""
        value = self._scalar_string(node, path, f"an {what}" if what[0] in "aeiou" else f"a {what}")
        if value is not _BAD and (not pattern.match(value) or len(value) > MAX_ID):
            self.problem(node, path, f"{value!r} is not a valid {what}: {spec.SCALAR_KINDS[kind]}")
            return _BAD
        return value

    def _scalar_language(self, node: Node, path: str) -> Any:
        value = self._scalar_string(node, path, "a language code")
        if value is not _BAD and value not in spec.LANGUAGES:
            self.problem(node, path, f"language {value!r} is not supported (supported: {', '.join(spec.LANGUAGES)})")
            return _BAD
        return value

    def _scalar_int(self, node: Node, path: str) -> Any:
        value = self._scalar(node, path, "a whole number")
        if value is _BAD:
            return _BAD
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem(node, path, f"expected a whole number, got {describe(value)} {getattr(node, 'value', '')!r}")
            return _BAD
        return value

    def _scalar_number(self, node: Node, path: str) -> Any:
        value = self._scalar(node, path, "a number")
        if value is _BAD:
            return _BAD
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or abs(value) == float("inf"):
            self.problem(node, path, f"expected a number, got {describe(value)} {getattr(node, 'value', '')!r}")
            return _BAD
        return value

    def _scalar_bool(self, node: Node, path: str) -> Any:
        value = self._scalar(node, path, "true or false")
        if value is _BAD:
            return _BAD
        if not isinstance(value, bool):
            self.problem(node, path, f"expected true or false, got {describe(value)} {getattr(node, 'value', '')!r}")
            return _BAD
        return value

    def _scalar_date(self, node: Node, path: str) -> Any:
        value = self._scalar(node, path, "a date")
        if value is _BAD:
            return _BAD
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                pass
        if not isinstance(value, dt.date):
            self.problem(node, path, f"expected a date written YYYY-MM-DD, got {getattr(node, 'value', '')!r}")
            return _BAD
        return value

    def _scalar_condition(self, node: Node, path: str) -> Any:
        value = self._scalar_string(node, path, "a condition")
        if value is _BAD:
            return _BAD
        try:
            return expressions.parse(value)
        except expressions.ExpressionError as exc:
            quote = 1 if isinstance(node, Scalar) and node.style in ("'", '"') else 0
            single_line = "\n" not in value
            self.problem(node, path, f"invalid condition {value!r}: {exc}", exc.offset + quote if single_line else 0)
            return _BAD

    def _scalar_text(self, node: Node, path: str) -> Any:
        if isinstance(node, Scalar):
            value = self._scalar_string(node, path)
            if value is _BAD:
                return _BAD
            if len(self.languages) > 1:
                self.problem(node, path, f"text needs every declared language ({', '.join(self.languages)}), "
                                         f"e.g. {{{', '.join(f'{lang}: ...' for lang in self.languages)}}}")
                return _BAD
            return self._check_text(node, path, Text(((self.languages[0], value),)))
        if not isinstance(node, Mapping):
            self.problem(node, path, f"expected text ({spec.SCALAR_KINDS['text']}), got {_what(node)}")
            return _BAD
        values: dict[str, str] = {}
        ok = True
        for key_node, value_node in node.pairs:
            lang = key_node.value
            if lang not in self.languages:
                self.problem(key_node, f"{path}.{lang}", f"language {lang!r} is not declared (languages: {', '.join(self.languages)})")
                ok = False
                continue
            value = self._scalar_string(value_node, f"{path}.{lang}")
            if value is _BAD:
                ok = False
            else:
                values[lang] = value
        missing = [lang for lang in self.languages if lang not in values and lang not in {k.value for k, _ in node.pairs}]
        if missing:
            self.problem(node, path, f"text is missing the declared language(s) {', '.join(map(repr, missing))}")
            ok = False
        if not ok:
            return _BAD
        return self._check_text(node, path, Text(tuple((lang, values[lang]) for lang in self.languages)))

    def _check_text(self, node: Node, path: str, text: Text) -> Any:
        for lang, value in text.values:
            if not value.strip():
                self.problem(node, path, f"text in {lang!r} is empty")
                return _BAD
            if len(value) > MAX_TEXT:
                self.problem(node, path, f"text in {lang!r} has {len(value)} characters; at most {MAX_TEXT}")
                return _BAD
        return Text(tuple((lang, unicodedata.normalize("NFC", value)) for lang, value in text.values))

    # -- the questionnaire --------------------------------------------------
    def questionnaire(self, root: Node | None, sha256: str) -> Questionnaire | None:
        if root is None:
            self.problem(None, "", "the file is empty; a questionnaire needs survey, version, title, languages and pages")
            return None
        if isinstance(root, Mapping):
            lang_node = next((v for k, v in root.pairs if k.value == "languages"), None)
            if lang_node is not None:
                langs = self.convert(lang_node, ("list", "language"), "languages")
                if langs is not _BAD:
                    declared = [lang for lang, _ in langs if lang is not _BAD]
                    if not declared:
                        self.problem(lang_node, "languages", "declare at least one language (zh, en)")
                    elif len(set(declared)) != len(declared):
                        self.problem(lang_node, "languages", "a language is declared twice")
                    else:
                        self.languages = tuple(declared)
        top = self.read(root, "questionnaire", "")
        if top is None:
            return None
        return _Builder(self, top).build(sha256)


class _Builder:
    """Turns the read objects into the model and checks what spans objects."""

    def __init__(self, reader: _Reader, top: _Obj) -> None:
        self.r = reader
        self.top = top
        self.scales: dict[str, Scale] = {}
        self.dimensions: dict[str, Dimension] = {}
        self.fields: dict[str, Field] = {}
        self.ids: dict[str, tuple[str, Node]] = {}   # every name in the one id namespace -> (what, node)
        self.conditions: dict[str, tuple[str, Node]] = {}  # question/page id -> (key path, node) of visible_if

    def build(self, sha256: str) -> Questionnaire | None:
        top = self.top
        version = top.get("version")
        if isinstance(version, int) and version < 1:
            self.r.problem(top.at("version"), "version", f"version must be 1 or more, got {version}")
        for name in METADATA_COLUMNS:
            self.ids[name] = ("a metadata column", top.node)
        self._fields()
        self._scales()
        self._dimensions()
        sections = self._sections()
        draft = Questionnaire(
            survey=top.get("survey"), version=version, title=top.get("title"),
            languages=self.r.languages, fields=tuple(self.fields.values()),
            scales=tuple(self.scales.values()), dimensions=tuple(self.dimensions.values()),
            pages=tuple(sections), description=top.get("description"), thanks=top.get("thanks"),
            sha256=sha256, source=self.r.name,
        )
        screens = build_screens(draft)
        self._check_variables(screens)
        self._check_conditions(screens)
        scoring = self._scoring(screens)
        alerts = self._alerts(screens)
        if self.r.problems:
            return None
        variables = build_variables(draft, screens)
        return Questionnaire(
            **{name: getattr(draft, name) for name in (
                "survey", "version", "title", "languages", "fields", "scales", "dimensions", "pages",
                "description", "thanks", "sha256", "source")},
            scoring=scoring, alerts=alerts, _screens=screens, _variables=variables,
        )

    # -- declarations -------------------------------------------------------
    def _fields(self) -> None:
        for fid, obj, key_node in self.top.get("fields", []) or []:
            if fid is _BAD or obj is _BAD:
                continue
            values = tuple((c, t) for c, t, _ in obj.get("values", []) or [] if c is not _BAD and t is not _BAD)
            self.fields[fid] = Field(fid, obj.get("label"), values)
            self._claim(fid, "a segment field", key_node, f"fields.{fid}")

    def _scales(self) -> None:
        for sid, obj, key_node in self.top.get("scales", []) or []:
            if sid is _BAD or obj is _BAD:
                continue
            points = obj.get("points")
            if isinstance(points, int) and not 2 <= points <= 11:
                self.r.problem(obj.at("points"), obj.sub("points"), f"a scale has 2 to 11 points, got {points}")
                continue
            labels = []
            for point, text, node in obj.get("labels", []) or []:
                if point is _BAD or text is _BAD:
                    continue
                if isinstance(points, int) and not 1 <= point <= points:
                    self.r.problem(node, f"scales.{sid}.labels.{point}", f"point {point} is outside the scale 1..{points}")
                    continue
                labels.append((point, text))
            if isinstance(points, int):
                self.scales[sid] = Scale(sid, points, tuple(sorted(labels, key=lambda label: label[0])))

    def _dimensions(self) -> None:
        for did, label, _ in self.top.get("dimensions", []) or []:
            if did is not _BAD and label is not _BAD:
                self.dimensions[did] = Dimension(did, label)

    def _scale(self, obj: _Obj, key: str) -> Scale | None:
        sid = obj.get(key)
        if sid is None:
            return None
        if sid not in self.scales:
            self.r.problem(obj.at(key), obj.sub(key), f"scale {sid!r} is not defined{_defined(self.scales)}")
            return None
        return self.scales[sid]

    def _dimension(self, obj: _Obj) -> str | None:
        did = obj.get("dimension")
        if did is not None and did not in self.dimensions:
            self.r.problem(obj.at("dimension"), obj.sub("dimension"), f"dimension {did!r} is not defined{_defined(self.dimensions)}")
        return did

    def _claim(self, name: str, what: str, node: Node, path: str) -> None:
        if name in self.ids:
            other, other_node = self.ids[name]
            where = f" (line {other_node.line})" if other != "a metadata column" else ""
            self.r.problem(node, path, f"id {name!r} clashes with {other}{where}")
        else:
            self.ids[name] = (what, node)

    # -- pages and blocks -----------------------------------------------------
    def _sections(self) -> list[Section]:
        sections: list[Section] = []
        for obj, node in self.top.get("pages", []) or []:
            if obj is _BAD or obj is None:
                continue
            qtype = obj.get("type")
            sid = obj.get("id")
            if sid:
                self._claim(sid, "a page or block id", obj.at("id"), obj.sub("id"))
            common = dict(id=sid, title=obj.get("title"), intro=obj.get("intro"), visible_if=obj.get("visible_if"))
            if sid:
                self.conditions[sid] = (obj.sub("visible_if"), obj.at("visible_if"))
            if qtype is None:
                questions = [q for q in (self._question(o) for o, _ in obj.get("questions", []) or [] if o not in (_BAD, None)) if q]
                if not obj.get("questions") and "questions" in obj.nodes:
                    self.r.problem(obj.at("questions"), obj.sub("questions"), "a page needs at least one question")
                sections.append(Page(questions=tuple(questions), **common))
            elif qtype == "servqual":
                items = self._paired(obj, "items", "expectation", "perception", ("_e", "_p"))
                scale = self._scale(obj, "scale")
                if scale:
                    sections.append(ServqualBlock(scale=scale, items=items, **common))
            elif qtype == "kano":
                items = self._paired(obj, "attributes", "functional", "dysfunctional", ("_f", "_d"))
                scale = self._scale(obj, "importance_scale")
                for item in items:
                    if scale is not None and item.importance is None:
                        self.r.problem(obj.at("attributes"), obj.sub("attributes"),
                                       f"attribute {item.id!r} needs an importance: question, because the block sets importance_scale")
                    elif scale is None and item.importance is not None:
                        self.r.problem(obj.at("attributes"), obj.sub("attributes"),
                                       f"attribute {item.id!r} has an importance: question but the block sets no importance_scale")
                    if scale is not None:
                        self._claim(f"{item.id}_si", f"the self-stated importance variable of {item.id!r}", obj.at("attributes"), obj.sub("attributes"))
                sections.append(KanoBlock(attributes=items, importance_scale=scale, **common))
            elif qtype == "importance_performance":
                items = self._paired(obj, "items", "importance", "performance", ("_i", "_p"))
                both = self._scale(obj, "scale")
                imp, perf = self._scale(obj, "importance_scale"), self._scale(obj, "performance_scale")
                if both and (imp or perf):
                    self.r.problem(obj.at("scale"), obj.sub("scale"), "give either scale or importance_scale and performance_scale, not both")
                imp, perf = imp or both, perf or both
                if not (imp and perf) and not self.r.problems:
                    self.r.problem(obj.node, obj.path, "an importance_performance block needs scale (or importance_scale and performance_scale)")
                if imp and perf:
                    sections.append(IPABlock(importance_scale=imp, performance_scale=perf, items=items, **common))
        if not sections and not self.r.problems:
            self.r.problem(self.top.at("pages"), "pages", "a questionnaire needs at least one page")
        return sections

    def _paired(self, obj: _Obj, key: str, first: str, second: str, suffixes: tuple[str, str]) -> tuple[PairedItem, ...]:
        items = []
        roles = {"_e": "expectation", "_p": "perception", "_f": "functional", "_d": "dysfunctional", "_i": "importance"}
        for item, node in obj.get(key, []) or []:
            if item in (_BAD, None):
                continue
            iid = item.get("id")
            if iid is None:
                continue
            self._claim(iid, "a paired item", item.at("id"), item.sub("id"))
            for suffix in suffixes:
                role = "performance" if suffix == "_p" and first == "importance" else roles[suffix]
                self._claim(f"{iid}{suffix}", f"the {role} variable of {iid!r}", item.at("id"), item.sub("id"))
            items.append(PairedItem(
                id=iid, first=item.get(first), second=item.get(second), dimension=self._dimension(item),
                reverse=bool(item.get("reverse", False)), label=item.get("label"), help=item.get("help"),
                importance=item.get("importance"),
            ))
        if not items and key in obj.nodes:
            self.r.problem(obj.at(key), obj.sub(key), f"a block needs at least one item under {key}:")
        return tuple(items)

    def _question(self, obj: _Obj) -> Question | None:
        qid, qtype = obj.get("id"), obj.get("type")
        if qid is None or qtype is None:
            return None
        self._claim(qid, "a question", obj.at("id"), obj.sub("id"))
        self.conditions[qid] = (obj.sub("visible_if"), obj.at("visible_if"))
        scale = self._scale(obj, "scale") if "scale" in obj.nodes else None
        options: tuple[Option, ...] = ()
        if "options" in obj.nodes and obj.get("options"):
            raw = obj.get("options")
            if len(raw) > MAX_OPTIONS:
                self.r.problem(obj.at("options"), obj.sub("options"), f"{len(raw)} options; at most {MAX_OPTIONS}")
            seen: set[str] = set()
            for code, text, node in raw:
                if code is _BAD or text is _BAD:
                    continue
                if code in seen:
                    self.r.problem(node, f"{obj.sub('options')}.{code}", f"option {code!r} appears twice")
                seen.add(code)
                options += (Option(code, text),)
                if qtype in ("multi", "constant_sum"):
                    self._claim(f"{qid}_{code}", f"the variable of option {code!r} of {qid!r}", node, f"{obj.sub('options')}.{code}")
        elif "options" in obj.nodes and obj.values.get("options") is not _BAD:
            self.r.problem(obj.at("options"), obj.sub("options"), "give at least one option")
        rows: tuple[Row, ...] = ()
        for row, _ in obj.get("rows", []) or []:
            if row in (_BAD, None) or row.get("id") is None:
                continue
            self._claim(row.get("id"), "a matrix row", row.at("id"), row.sub("id"))
            rows += (Row(row.get("id"), row.get("text"), self._dimension(row), bool(row.get("reverse", False)), row.get("label")),)
        if qtype == "matrix" and not rows and obj.values.get("rows") not in (_BAD, None):
            self.r.problem(obj.at("rows"), obj.sub("rows"), "a matrix needs at least one row")
        low, high = obj.get("min"), obj.get("max")
        if low is not None and high is not None and low > high:
            self.r.problem(obj.at("min"), obj.sub("min"), f"min ({low}) is greater than max ({high})")
        if qtype == "multi" and options and high is not None and high > len(options):
            self.r.problem(obj.at("max"), obj.sub("max"), f"max ({high}) is more than the {len(options)} options")
        pattern = obj.get("pattern")
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                self.r.problem(obj.at("pattern"), obj.sub("pattern"), f"invalid regular expression {pattern!r}: {exc}")
            if len(pattern) > 200:
                self.r.problem(obj.at("pattern"), obj.sub("pattern"), "a pattern has at most 200 characters")
        if qtype == "text" and high is not None and high > 10000:
            self.r.problem(obj.at("max"), obj.sub("max"), "text answers are capped at 10000 characters")
        if qtype == "constant_sum" and isinstance(obj.get("total"), (int, float)) and obj.get("total") <= 0:
            self.r.problem(obj.at("total"), obj.sub("total"), "total must be positive")
        if qtype in ("date",):
            low = low.isoformat() if isinstance(low, dt.date) else low
            high = high.isoformat() if isinstance(high, dt.date) else high
        return Question(
            id=qid, type=qtype, text=obj.get("text"), required=obj.get("required", True),
            help=obj.get("help"), label=obj.get("label"), visible_if=obj.get("visible_if"),
            dimension=self._dimension(obj), reverse=bool(obj.get("reverse", False)), scale=scale,
            options=options, rows=rows, min=low, max=high, integer=obj.get("integer", True),
            pattern=pattern, total=obj.get("total"),
        )

    # -- checks across objects ----------------------------------------------------
    def _check_variables(self, screens: tuple) -> None:
        seen: set[str] = set()
        for screen in screens:
            if not screen.questions:
                self.r.problem(self.top.at("pages"), "pages", f"page {screen.id!r} has no questions")
            # a paired block's screens are named after it (sq_expectation, kano_2): they name URLs too
            if screen.id in seen or (screen.block and screen.id != screen.block and screen.id in self.ids):
                self.r.problem(self.top.at("pages"), "pages", f"page id {screen.id!r} is also the name of a page of "
                                                              f"block {screen.block!r}; rename one")
            seen.add(screen.id)

    def _check_conditions(self, screens: tuple) -> None:
        kinds = _variable_kinds(screens, self.fields)
        seen: dict[str, int] = {name: -1 for name in self.fields}
        order = 0
        for screen in screens:
            if screen.visible_if is not None and screen.role in (None, "expectation", "importance"):
                path, node = self.conditions.get(screen.block or screen.id, ("pages", self.top.node))
                self._condition(screen.visible_if, path, node, seen, kinds, None)
            for question in screen.questions:
                if question.visible_if is not None:
                    path, node = self.conditions.get(question.id, ("pages", self.top.node))
                    self._condition(question.visible_if, path, node, seen, kinds, question)
                for name in _names_of(question):
                    seen[name] = order
                order += 1

    def _condition(self, cond: expressions.Condition, path: str, node: Node, seen: dict[str, int],
                   kinds: dict[str, Any], question: Question | None) -> None:
        own = set(_names_of(question)) if question else set()
        quote = 1 if isinstance(node, Scalar) and node.style in ("'", '"') else 0
        for ref in cond.names():
            name = ref.name
            offset = ref.offset + quote if "\n" not in cond.source else 0
            if name in own:
                self.r.problem(node, path, f"the condition {cond.source!r} refers to its own question {name!r}", offset)
            elif name not in kinds:
                close = difflib.get_close_matches(name, list(kinds), n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                self.r.problem(node, path, f"the condition {cond.source!r} refers to {name!r}, which is no answer or field{hint}", offset)
            elif name not in seen:
                self.r.problem(node, path, f"the condition {cond.source!r} refers to {name!r}, which comes later; "
                                           "conditions may only use earlier answers", offset)
        self._check_types(cond.tree, cond.source, path, node, kinds)

    def _check_types(self, tree: Any, source: str, path: str, node: Node, kinds: dict[str, Any]) -> None:
        if isinstance(tree, expressions.Compare):
            sides = (tree.left, tree.right)
            for name, other in ((sides[0], sides[1]), (sides[1], sides[0])):
                if not isinstance(name, expressions.Name) or name.name not in kinds:
                    continue
                kind, codes = kinds[name.name]
                if not isinstance(other, expressions.Literal):
                    continue
                if kind == "number" and isinstance(other.value, str):
                    self.r.problem(node, path, f"in {source!r}, {name.name!r} is a number; compare it with a number, not {other.value!r}")
                elif kind == "code" and isinstance(other.value, float):
                    self.r.problem(node, path, f"in {source!r}, {name.name!r} holds option codes; quote the code: '{other.value:g}'")
                elif kind == "code" and codes and other.value not in codes:
                    self.r.problem(node, path, f"in {source!r}, {other.value!r} is not an option of {name.name!r} "
                                               f"(options: {', '.join(map(repr, codes))})")
                elif kind == "code" and tree.op not in ("==", "!="):
                    self.r.problem(node, path, f"in {source!r}, option codes can only be compared with == or !=")
                elif kind == "set":
                    self.r.problem(node, path, f"in {source!r}, {name.name!r} is a multiple-choice question; use 'code' in {name.name}")
        elif isinstance(tree, expressions.Contains):
            kind, codes = kinds.get(tree.name.name, (None, ()))
            if tree.name.name in kinds and kind != "set":
                self.r.problem(node, path, f"in {source!r}, 'in' needs a multiple-choice question; {tree.name.name!r} is not one")
            elif kind == "set" and tree.code not in codes:
                self.r.problem(node, path, f"in {source!r}, {tree.code!r} is not an option of {tree.name.name!r} "
                                           f"(options: {', '.join(map(repr, codes))})")
        elif isinstance(tree, (expressions.And, expressions.Or)):
            for part in tree.parts:
                self._check_types(part, source, path, node, kinds)
        elif isinstance(tree, expressions.Not):
            self._check_types(tree.part, source, path, node, kinds)

    def _scoring(self, screens: tuple) -> Scoring | None:
        obj = self.top.get("scoring")
        if obj is None:
            return None
        numeric = {}
        for screen in screens:
            for question in screen.questions:
                if question.type == "matrix":
                    for row in question.rows:
                        numeric[row.id] = question.scale.points if question.scale else None
                elif question.type == "likert":
                    numeric[question.id] = question.scale.points if question.scale else None
                elif question.type == "nps":
                    numeric[question.id] = 10
        categories = []
        for cid, cat, key_node in obj.get("categories", []) or []:
            if cid is _BAD or cat is _BAD:
                continue
            items = [i for i, _ in cat.get("items", []) or [] if i is not _BAD]
            lo = hi = 0.0
            for item_id, item_node in cat.get("items", []) or []:
                if item_id is _BAD:
                    continue
                if item_id not in numeric:
                    close = difflib.get_close_matches(item_id, list(numeric), n=1, cutoff=0.6)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    self.r.problem(item_node, f"scoring.categories.{cid}.items", f"{item_id!r} is no rating question{hint}")
                    continue
                hi += numeric[item_id] or 0
                lo += 0 if numeric[item_id] == 10 and item_id in {q.id for q in _all_questions(screens) if q.type == "nps"} else 1
            if not items:
                self.r.problem(cat.at("items"), f"scoring.categories.{cid}.items", "a category needs at least one item")
                continue
            method = cat.get("method", "sum")
            if method == "mean":
                hi, lo = hi / len(items), lo / len(items)
            categories.append(ScoringCategory(cid, cat.get("label"), tuple(items), method, hi, lo))
        bands = []
        previous = None
        for band, node in obj.get("bands", []) or []:
            if band in (_BAD, None):
                continue
            low = band.get("min")
            if isinstance(low, (int, float)):
                if not 0 <= low <= 100:
                    self.r.problem(band.at("min"), band.sub("min"), f"a band minimum is a percent (0 to 100), got {low}")
                if previous is not None and low >= previous:
                    self.r.problem(band.at("min"), band.sub("min"), f"bands go from the highest minimum down; {low} follows {previous}")
                previous = low
                bands.append(Band(float(low), band.get("label")))
        return Scoring(tuple(categories), tuple(bands))

    def _alerts(self, screens: tuple) -> tuple[Alert, ...]:
        kinds = _variable_kinds(screens, self.fields)
        everything = {name: 0 for name in kinds}
        alerts = []
        seen_ids: set[str] = set()
        for obj, node in self.top.get("alerts", []) or []:
            if obj in (_BAD, None) or obj.get("id") is None or obj.get("when") is None:
                continue
            aid = obj.get("id")
            if aid in seen_ids:
                self.r.problem(obj.at("id"), obj.sub("id"), f"alert id {aid!r} is used twice")
            seen_ids.add(aid)
            self._condition(obj.get("when"), obj.sub("when"), obj.at("when"), everything, kinds, None)
            dept = obj.get("department")
            field_id = value = None
            if dept is not None:
                field_id, value = dept.get("field"), dept.get("value")
                if (field_id is None) == (value is None):
                    self.r.problem(obj.at("department"), obj.sub("department"), "give exactly one of field: or value:")
                elif field_id is not None and field_id not in self.fields:
                    self.r.problem(dept.at("field"), dept.sub("field"), f"field {field_id!r} is not defined{_defined(self.fields)}")
            hours = obj.get("first_contact_hours", 24)
            if isinstance(hours, (int, float)) and hours <= 0:
                self.r.problem(obj.at("first_contact_hours"), obj.sub("first_contact_hours"), "first_contact_hours must be positive")
            alerts.append(Alert(aid, obj.get("when"), field_id, value, obj.get("priority", "normal"), float(hours), obj.get("label")))
        return tuple(alerts)


def _all_questions(screens: tuple) -> Iterable[Question]:
    for screen in screens:
        yield from screen.questions


def _names_of(question: Question | None) -> list[str]:
    """The names a condition may use for a question's answers."""
    if question is None:
        return []
    if question.type == "matrix":
        return [row.id for row in question.rows]
    if question.type == "constant_sum":
        return [f"{question.id}_{o.code}" for o in question.options]
    if question.type == "multi":
        return [question.id] + [f"{question.id}_{o.code}" for o in question.options]
    return [question.id]


def _variable_kinds(screens: tuple, fields: dict[str, Field]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """name -> (number | code | text | set, option codes) for type-checking conditions."""
    kinds: dict[str, tuple[str, tuple[str, ...]]] = {f: ("code", tuple(c for c, _ in fields[f].values)) for f in fields}
    for question in _all_questions(screens):
        codes = tuple(o.code for o in question.options)
        if question.type in ("likert", "nps", "number"):
            kinds[question.id] = ("number", ())
        elif question.type == "matrix":
            kinds.update({row.id: ("number", ()) for row in question.rows})
        elif question.type in ("choice", "kano"):
            kinds[question.id] = ("code", codes)
        elif question.type == "multi":
            kinds[question.id] = ("set", codes)
            kinds.update({f"{question.id}_{c}": ("number", ()) for c in codes})
        elif question.type == "constant_sum":
            kinds.update({f"{question.id}_{c}": ("number", ()) for c in codes})
        else:
            kinds[question.id] = ("text", ())
    return kinds


def _allowed(keys: tuple[spec.Key, ...]) -> str:
    return ", ".join(k.name for k in keys)


def _defined(table: dict[str, Any]) -> str:
    return f" (defined: {', '.join(map(repr, table))})" if table else " (none is defined)"


def _what(node: Node) -> str:
    if isinstance(node, Scalar):
        return f"{describe(node.resolved())} {node.value!r}"
    return "a list" if isinstance(node, Sequence) else "a mapping"
