"""An XLSForm's sheets, read and checked as the specification says, before anything is mapped.

:class:`FormSheets` holds what every later step needs and checks what the XLSForm
specification itself requires, collecting every problem with its sheet and row:

* the languages of the text columns, mapped to the project's codes (:mod:`.languages`), and
  each row's text in every language (a missing translation borrows another's, with a warning);
* the choice lists of the ``choices`` sheet (a list and a name on every row, no name twice in a
  list, names made codes);
* the ``survey`` sheet as a tree of groups (every group closed, every end matched), each row's
  type (:mod:`.typemap`; an unknown type is an error), and each name checked (present, an XML
  name, not used twice) and made a surveykit id;
* which lists are declared ordered (a ``likert`` appearance), the ``dimensions`` sheet and the
  ``settings`` row.

:mod:`.importer` maps the tree to a questionnaire on top of it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from surveykit.model import METADATA_COLUMNS
from surveykit.piping import PIPE
from surveykit.xlsform.errors import SheetProblem, XLSFormError
from surveykit.xlsform.languages import column_language, language_code
from surveykit.xlsform.typemap import TypeCell, is_select_without_list, parse_type
from surveykit.xlsform.workbook import Row, Sheet, Workbook

_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
_ID_CHARS = re.compile(r"[^a-z0-9_]+")
_MAX_ID = 63
_TEXT_COLUMNS = ("label", "hint", "report_label")
_OUR_COLUMNS = {"surveykit", "dimension", "reverse", "report_label"}
_SETTINGS_KEPT = {"form_id", "form_title", "version", "default_language", "surveykit_title"}
_HANDLED = {"type", "name", "label", "hint", "required", "relevant", "constraint", "appearance", "parameters"}
# Columns whose content changes what is asked or recorded: left out only as unsupported
LOSSES = ("choice_filter", "default", "calculation", "read_only", "trigger", "repeat_count")
_COSMETIC = {
    "constraint_message",
    "required_message",
    "guidance_hint",
    "image",
    "audio",
    "video",
    "big-image",
    "media",
    "autoplay",
    "body",
    "instance",
    "bind",
    "intent",
    "note",
    "sms_field",
    "label_language",
}


@dataclass
class Node:
    """A row of the survey sheet, with the rows of a group or repeat as its children."""

    row: Row
    type: TypeCell
    name: str
    children: list[Node] = field(default_factory=list)


@dataclass
class Choice:
    row: Row
    code: str
    label: dict[str, str]


class FormSheets:
    """The checked sheets of one XLSForm; problems go to ``errors`` and ``warnings``.

    ``unsupported`` problems (something with no equivalent) are errors, or warnings when the
    import was asked to skip them.
    """

    def __init__(self, workbook: Workbook, skip_unsupported: bool, language: str | None) -> None:
        self.book = workbook
        self.path = workbook.path
        self.skip = skip_unsupported
        self.language_option = language
        self.errors: list[SheetProblem] = []
        self.warnings: list[SheetProblem] = []
        self.survey = workbook.sheets.get("survey", Sheet("survey", (), ()))
        self.choices = workbook.sheets.get("choices", Sheet("choices", (), ()))
        settings = workbook.sheets.get("settings")
        self.settings: Row | None = settings.rows[0] if settings and settings.rows else None
        self.settings_sheet = settings
        self.languages: list[str] = []
        self.bare_language = ""
        self.columns: dict[tuple[str, str], dict[str, str]] = {}  # (sheet, base) -> {column key: lang}
        self.missing: dict[tuple[str, str, str], list[int]] = {}
        self.ids: dict[str, str] = {}  # XLSForm name -> surveykit id
        self.used_ids: dict[str, int] = {}
        self.lists: dict[str, list[Choice]] = {}
        self.list_codes: dict[str, dict[str, str]] = {}
        self.ordered_lists: set[str] = set()
        self.dimensions: dict[str, dict[str, str]] = {}
        self.literal_pipes: set[tuple[str, int, str]] = set()

    def check(self) -> list[Node]:
        """Read and check every sheet; the survey sheet's tree, or XLSFormError with every problem."""
        if "survey" not in self.book.sheets:
            found = ", ".join(repr(s.name) for s in self.book.sheets.values()) or "none"
            self.error("survey", 1, f"an XLSForm needs a sheet named 'survey' (found: {found})")
            raise XLSFormError(self.errors)
        for key in ("type", "name"):
            if not self.survey.has(key):
                self.error(self.survey.name, 1, f"the survey sheet has no {key!r} column")
        if self.errors:
            raise XLSFormError(self.errors)
        self._languages()
        self._columns()
        self._settings_losses()
        self._choices()
        tree = self._tree()
        self._names(tree)
        self._declare_ordered(tree)
        if self.errors:
            raise XLSFormError(self.errors)
        self._dimensions()
        return tree

    def _settings_losses(self) -> None:
        """A warning for each settings value that is not carried over (instance_name, style, public_key...)."""
        if self.settings is None or self.settings_sheet is None:
            return
        why = {
            "public_key": "ODK encrypts each submission with it; surveykit keeps answers in its own store",
            "submission_url": "answers go to the surveykit server that serves the form",
            "style": "surveykit shows each group as a page, as the import maps them",
        }
        for column in self.settings_sheet.columns:
            value = self.settings.get(column.key)
            if value and column.base not in _SETTINGS_KEPT:
                reason = why.get(column.base, "surveykit has no such setting")
                self.warn(self.settings_sheet.name, 2, f"{column.key} {value[:40]!r} is not carried over: {reason}")

    def error(self, sheet: str, row: int, message: str) -> None:
        self.errors.append(SheetProblem(self.path, sheet, row, message))

    def unsupported(self, sheet: str, row: int, message: str) -> None:
        problem = SheetProblem(self.path, sheet, row, message, unsupported=True)
        (self.warnings if self.skip else self.errors).append(problem)

    def warn(self, sheet: str, row: int, message: str) -> None:
        self.warnings.append(SheetProblem(self.path, sheet, row, message))

    def _languages(self) -> None:
        """Every language of the text columns, mapped to the project's codes; the default one first."""
        default = None
        if self.settings is not None and self.settings.get("default_language"):
            raw = self.settings.get("default_language")
            default = language_code(raw)
            if default is None:
                self.error(
                    self.settings_sheet.name if self.settings_sheet else "settings",
                    2,
                    f"default_language {raw!r} names no language (write it as Name (code), e.g. Chinese (zh))",
                )
        found: list[str] = []
        bare = False
        for sheet in (self.survey, self.choices):
            for column in sheet.columns:
                if column.base not in (*_TEXT_COLUMNS, "guidance_hint", "constraint_message", "required_message"):
                    continue
                if column.language is None:
                    bare = bare or column.base in _TEXT_COLUMNS
                    continue
                code = language_code(column.language)
                if code is None:
                    if column.base in _TEXT_COLUMNS:
                        self.unsupported(
                            sheet.name,
                            1,
                            f"column {column.key!r}: {column.language!r} names no language "
                            "(write it as Name (code), e.g. Japanese (ja))",
                        )
                    continue
                if code not in found:
                    found.append(code)
        if bare:
            lang = default or (language_code(self.language_option) if self.language_option else None)
            if lang is None:
                lang = self._guess_language()
            default = default or lang
            if lang not in found:
                found.insert(0, lang)
        if default and default in found:
            found.remove(default)
            found.insert(0, default)
        if not found:
            found = [self._guess_language()]
        self.languages = found
        self.bare_language = default or found[0]

    def _guess_language(self) -> str:
        labels = [row.get("label") for row in self.survey.rows if row.get("label")]
        han = sum(1 for text in labels if any(unicodedata.name(ch, "").startswith("CJK") for ch in text))
        lang = "zh" if labels and han * 2 >= len(labels) else "en"
        self.warn(
            self.survey.name,
            1,
            f"the label column names no language; it is taken as {lang!r} "
            "(say otherwise with --language or the settings sheet's default_language)",
        )
        return lang

    def _columns(self) -> None:
        """Which column holds which language, per sheet and text kind; notes on columns we cannot keep."""
        dimensions = self.book.sheets.get("dimensions")
        for sheet in (self.survey, self.choices, *([dimensions] if dimensions else [])):
            for column in sheet.columns:
                if column.base in _TEXT_COLUMNS:
                    lang = self.bare_language if column.language is None else language_code(column.language)
                    if lang is None:
                        continue
                    slot = self.columns.setdefault((sheet.name, column.base), {})
                    if lang in slot.values():
                        other = next(k for k, v in slot.items() if v == lang)
                        if "::" in other and "::" in column.key:
                            self.error(
                                sheet.name, 1, f"columns {other!r} and {column.key!r} are both language {lang!r}"
                            )
                        else:  # pyxform's "default" language beside the named ones: the named column wins
                            bare, named = (other, column.key) if "::" not in other else (column.key, other)
                            self.warn(
                                sheet.name,
                                1,
                                f"column {bare!r} names no language and {named!r} is language {lang!r} too: "
                                f"{bare!r} is not carried over (--language names the language of {bare!r})",
                            )
                            slot.pop(bare, None)
                            slot[named] = lang
                        continue
                    slot[column.key] = lang
                elif sheet is self.survey and column.base not in (*_HANDLED, *_OUR_COLUMNS, *LOSSES):
                    used = [r.number for r in sheet.rows if r.get(column.key)]
                    if not used:
                        continue
                    if column.base in _COSMETIC:
                        self.warn(
                            sheet.name,
                            1,
                            f"column {column.key!r} (presentation only) is not carried over ({len(used)} rows)",
                        )
                    else:
                        self.warn(
                            sheet.name,
                            1,
                            f"column {column.key!r} is not an XLSForm column surveykit knows; "
                            f"ignored ({len(used)} rows)",
                        )

    def text(self, sheet: Sheet, row: Row, base: str) -> dict[str, str] | None:
        """The text of a row in every language, or None; a missing translation borrows another's."""
        slot = self.columns.get((sheet.name, base), {})
        values = {lang: row.get(key) for key, lang in slot.items() if row.get(key)}
        if not values:
            return None
        for lang, value in values.items():
            if PIPE.search(value):
                values[lang] = self._literal_pipes(sheet, row, base, value)
        out = {}
        for lang in self.languages:
            if lang in values:
                out[lang] = values[lang]
            else:
                out[lang] = next(iter(values.values()))
                self.missing.setdefault((sheet.name, base, lang), []).append(row.number)
        return out

    def _literal_pipes(self, sheet: Sheet, row: Row, base: str, value: str) -> str:
        """``{answer:q}`` written in an XLSForm text is plain text there, but piping here, which the format
        cannot escape: unsupported, and with --skip-unsupported its braces become brackets."""
        if (sheet.name, row.number, base) not in self.literal_pipes:
            self.literal_pipes.add((sheet.name, row.number, base))
            self.unsupported(
                sheet.name,
                row.number,
                f"{base} {value[:60]!r}: {{answer:…}} and {{field:…}} are surveykit's piping and cannot be plain "
                "text (an XLSForm pipes an earlier answer as ${name}); with --skip-unsupported they are written "
                "with ( ) for { }",
            )
        return PIPE.sub(lambda m: f"({m.group(1)}:{m.group(2)})", value)

    def _missing_translations(self) -> None:
        for (sheet, base, lang), rows in self.missing.items():
            shown = ", ".join(str(r) for r in rows[:10]) + (f" and {len(rows) - 10} more" if len(rows) > 10 else "")
            self.warn(sheet, rows[0], f"{base} has no {lang!r} text on rows {shown}; another language's text is used")

    def _same(self, text: str) -> dict[str, str]:
        return {lang: text for lang in self.languages}

    def _choices(self) -> None:
        sheet = self.choices
        if sheet.rows and not (sheet.has("list_name") and sheet.has("name")):
            self.error(sheet.name, 1, "the choices sheet needs the columns list_name and name")
            return
        for row in sheet.rows:
            list_name, name = row.get("list_name"), row.get("name")
            if not list_name or not name:
                self.error(sheet.name, row.number, "a choice needs both a list_name and a name")
                continue
            label = self.text(sheet, row, "label")
            if label is None:
                self.error(sheet.name, row.number, f"choice {name!r} of list {list_name!r} has no label")
                continue
            choices = self.lists.setdefault(list_name, [])
            if any(c.row.get("name") == name for c in choices):
                first = next(c.row.number for c in choices if c.row.get("name") == name)
                self.error(
                    sheet.name,
                    row.number,
                    f"list {list_name!r} has the choice {name!r} twice (rows {first} and {row.number})",
                )
                continue
            codes = self.list_codes.setdefault(list_name, {})
            code = as_code(name)
            if code in codes.values():
                other = next(k for k, v in codes.items() if v == code)
                self.error(
                    sheet.name,
                    row.number,
                    f"choices {other!r} and {name!r} of list {list_name!r} are both "
                    f"code {code!r} here (codes are lower-case letters, digits and _)",
                )
                continue
            if code != name:
                self.warn(sheet.name, row.number, f"choice {name!r} of list {list_name!r} becomes code {code!r}")
            codes[name] = code
            choices.append(Choice(row, code, label))

    def _tree(self) -> list[Node]:
        root: list[Node] = []
        stack: list[Node] = []
        for row in self.survey.rows:
            cell = row.get("type")
            if not cell:
                if any(k in row.cells for k in ("name", "label")) or any(k.startswith("label::") for k in row.cells):
                    self.error(self.survey.name, row.number, "this row has no type")
                continue
            parsed = parse_type(cell)
            node = Node(row, parsed, row.get("name"))
            if parsed.kind in ("end_group", "end_repeat"):
                opening = "group" if parsed.kind == "end_group" else "repeat"
                if not stack:
                    self.error(self.survey.name, row.number, f"end {opening} without a begin {opening}")
                elif stack[-1].type.kind != opening:
                    top = stack[-1]
                    self.error(
                        self.survey.name,
                        row.number,
                        f"end {opening} closes begin {top.type.kind} {top.name!r} (row {top.row.number})",
                    )
                    stack.pop()
                else:
                    stack.pop()
                continue
            if parsed.kind == "unknown":
                if is_select_without_list(cell):
                    self.error(self.survey.name, row.number, f"type {cell!r} needs the name of a choice list")
                else:
                    self.error(self.survey.name, row.number, f"unknown type {cell!r}")
                continue
            (stack[-1].children if stack else root).append(node)
            if parsed.kind in ("group", "repeat"):
                stack.append(node)
        for node in stack:
            self.error(self.survey.name, node.row.number, f"begin {node.type.kind} {node.name!r} is never closed")
        return root

    def _names(self, nodes: list[Node]) -> None:
        """Check every name as XLSForm does, and give each its surveykit id."""
        for node in walk_all(nodes):
            row, name = node.row, node.name
            if node.type.kind in ("note",) and not name:
                continue
            if not name:
                self.error(self.survey.name, row.number, f"a row of type {node.type.base} needs a name")
                continue
            if not _XML_NAME.match(name):
                self.error(
                    self.survey.name,
                    row.number,
                    f"name {name!r} is not valid: start with a letter or _, then letters, digits, _, - or .",
                )
                continue
            if name in self.ids:
                self.error(
                    self.survey.name,
                    row.number,
                    f"name {name!r} is used twice (rows {self.used_ids[self.ids[name]]} and {row.number})",
                )
                continue
            new = identifier(name)
            if new in METADATA_COLUMNS:
                new = f"{new}_q"
            if len(new) > _MAX_ID:
                self.error(self.survey.name, row.number, f"name {name!r} is longer than {_MAX_ID} characters")
                continue
            if new in self.used_ids:
                other = next(k for k, v in self.ids.items() if v == new)
                self.error(
                    self.survey.name,
                    row.number,
                    f"names {other!r} and {name!r} both become {new!r} (ids are lower-case letters, digits and _)",
                )
                continue
            if new != name:
                self.warn(self.survey.name, row.number, f"name {name!r} becomes {new!r}")
            self.ids[name] = new
            self.used_ids[new] = row.number
            if node.type.kind == "question" and node.type.list_name and node.type.list_name not in self.lists:
                self.error(
                    self.survey.name,
                    row.number,
                    f"choice list {node.type.list_name!r} is not defined on the choices sheet",
                )
        self._option_columns(nodes)

    def _option_columns(self, nodes: list[Node]) -> None:
        """A name equal to an option column of a select_multiple (``improve_other``) gets ``_text`` added.

        ODK's habit is to name the "other, please say" box after the option; here the ticked
        option already is the column ``improve_other``, and the loader would refuse the clash.
        """
        columns = {}
        for node in walk_all(nodes):
            if node.type.base == "select_multiple" and node.name in self.ids:
                for code in self.list_codes.get(node.type.list_name or "", {}).values():
                    columns[f"{self.ids[node.name]}_{code}"] = node.name
        for node in walk_all(nodes):
            new = self.ids.get(node.name)
            if new in columns and columns[new] != node.name:
                renamed = self._unique(f"{new}_text")
                self.ids[node.name] = renamed
                self.warn(
                    self.survey.name,
                    node.row.number,
                    f"name {node.name!r} becomes {renamed!r}: {new!r} is the column of an option of {columns[new]!r}",
                )

    def _declare_ordered(self, nodes: list[Node]) -> None:
        """A list used with the likert appearance (or ``surveykit: likert``) anywhere is ordered everywhere."""
        for node in walk_all(nodes):
            appearance = node.row.get("appearance").lower().split()
            if node.type.base == "select_one" and ("likert" in appearance or read_marker(node.row)[0] == "likert"):
                self.ordered_lists.add(node.type.list_name or "")

    def _dimensions(self) -> None:
        sheet = self.book.sheets.get("dimensions")
        if sheet is None:
            return
        for row in sheet.rows:
            name = row.get("name")
            if name:
                self.dimensions[identifier(name)] = self.text(sheet, row, "label") or self._same(name)

    def _unique(self, wanted: str) -> str:
        new, n = wanted, 1
        while new in self.used_ids:
            n += 1
            new = f"{wanted}_{n}"
        self.used_ids[new] = 0
        return new

    def _survey_id(self) -> str:
        raw = (self.settings.get("form_id") if self.settings else "") or Path(self.path).stem
        new = re.sub(r"[^a-z0-9_-]+", "_", raw.lower()).strip("_-")
        if not new or not new[0].isalpha():
            new = f"form_{new}" if new else "form"
        if new != raw:
            self.warn("settings", 2, f"form_id {raw!r} becomes the survey id {new!r}")
        return new[:_MAX_ID]

    def _version(self) -> int:
        raw = self.settings.get("version") if self.settings else ""
        if raw.isdigit() and 0 < int(raw) < 2**31:
            return int(raw)
        if raw:
            self.warn("settings", 2, f"version {raw!r} is not a whole number; the questionnaire is version 1")
        return 1

    def _title(self, survey_id: str) -> dict[str, str]:
        title = {}
        if self.settings is not None and self.settings_sheet is not None:
            for column in self.settings_sheet.columns:
                if column.base == "surveykit_title" and column.language:
                    lang = language_code(column.language)
                    if lang in self.languages and self.settings.get(column.key):
                        title[lang] = self.settings.get(column.key)
            plain = self.settings.get("form_title")
            if plain:
                # form_title has no language: the others get the same words, which validate cannot
                # tell from a translation, so the author hears of it here.
                for lang in self.languages:
                    if lang in title:
                        continue
                    title[lang] = plain
                    if lang != self.bare_language:
                        self.warn(
                            "settings",
                            2,
                            f"form_title {plain!r} is also the title in {lang!r}; a settings column "
                            f"surveykit_title::{column_language(lang)} gives that language its own",
                        )
        for lang in self.languages:
            title.setdefault(lang, survey_id)
            if PIPE.search(title[lang]):  # a title cannot pipe, nor hold the words as plain text
                self.warn(
                    "settings", 2, f"the title {title[lang]!r} is written with ( ) for {{ }}: piping is no title's"
                )
                title[lang] = PIPE.sub(lambda m: f"({m.group(1)}:{m.group(2)})", title[lang])
        return {lang: title[lang] for lang in self.languages}


def walk_all(nodes: list[Node]) -> Iterator[Node]:
    for node in nodes:
        yield node
        yield from walk_all(node.children)


def read_marker(row: Row) -> tuple[str, dict[str, str]]:
    """The ``surveykit`` column: a kind, then flags and ``key=value`` options.

    ``constant_sum total=100``, ``matrix randomize fixed=dk group=g1``: the flags are options
    with an empty value.
    """
    words = row.get("surveykit").split()
    if not words:
        return "", {}
    options = {}
    for word in words:
        key, _, value = word.partition("=")
        options[key.lower()] = value
    return ("" if "=" in words[0] else words[0].lower()), options


def identifier(name: str) -> str:
    new = _ID_CHARS.sub("_", name.lower()).strip("_")
    if not new or not new[0].isalpha():
        new = f"q_{new}" if new else "q"
    return new


def as_code(name: str) -> str:
    new = _ID_CHARS.sub("_", name.lower()).strip("_")
    return new or "code"
