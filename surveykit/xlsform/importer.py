"""XLSForm (``survey``, ``choices``, ``settings`` sheets) -> a surveykit questionnaire in YAML.

The mapping, one row at a time (``docs/XLSFORM.md`` has it in full):

* ``select_one L`` -> ``choice`` with L's options; -> ``likert`` on a scale named L when L's
  names are 1..n (2 to 11 points) and L is declared ordered, by a ``likert`` appearance on any
  question that uses it (or the ``surveykit`` column's ``likert``);  ``or_other`` adds the
  option ``other`` and a text question ``<name>_other`` shown when it is chosen;
* ``select_multiple L`` -> ``multi`` (``count-selected(.)`` bounds -> ``min``/``max``);
* ``integer``/``decimal`` -> ``number`` (a simple constraint -> ``min``/``max``); ``range`` ->
  ``number`` with its start and end (``nps`` when the ``surveykit`` column says so);
* ``text``, ``date`` -> ``text``, ``date``; ``hidden`` -> a segment field (``fields:``);
* ``note`` -> the intro of the page it opens, else the help text of the question after it;
  one marked ``description`` or ``thanks`` in the ``surveykit`` column -> that text of the survey;
* a group -> a page (title = its label, ``visible_if`` = its ``relevant``); a group inside a
  ``field-list`` group -> a section of that page (its condition joins each of its questions'
  own, its label becomes help text); a group inside any other group -> a page of its own;
  questions outside any group -> pages of their own; a ``table-list`` group of ``select_one``
  rows on one list whose names are 1..n -> a ``matrix``;
* ``relevant`` -> ``visible_if`` through :mod:`surveykit.xlsform.relevant`;
* ``${name}`` in a text -> ``{answer:id}`` piping when asked on an earlier page;
  ``parameters`` ``randomize=true`` -> ``randomize: true``.

The sheets are read and checked first (:class:`~surveykit.xlsform.form.FormSheets`); this
module maps the checked tree.

What has no equivalent is never dropped in silence.  A type with no equivalent, a ``relevant``
or ``constraint`` that cannot be translated, a ``choice_filter``, ``default``, ``calculation``
or ``read_only`` are *unsupported*: each is listed as ``FILE:sheet:row: …`` and the import
fails, or, with ``skip_unsupported``, the line becomes a warning and the row (or the
condition, the bound) is left out.  What the XLSForm specification itself rejects (no name, a
duplicate name or column, an unknown type, an undefined choice list, an unclosed group) is an
error in any case.  Presentation-only columns (messages, media, ``guidance_hint``) give one
warning per column.

Names become surveykit ids (lower case, ``-`` and ``.`` as ``_``) and choice names become codes
the same way; every rename is a warning, and conditions follow the new names.  Columns named
``surveykit``, ``dimension``, ``reverse`` and ``report_label::…``, a ``dimensions`` sheet and
``surveykit_title::…`` settings are this project's own: the export writes them so that paired blocks,
matrices, NPS and constant-sum questions, dimensions, short labels and randomisation come back as they were;
ODK tools ignore them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from surveykit.errors import QuestionnaireError
from surveykit.expressions import parse
from surveykit.loader import DEFAULT_MAX_BYTES, loads
from surveykit.model import KANO_CODES, Questionnaire
from surveykit.xlsform.errors import SheetProblem, XLSFormError
from surveykit.xlsform.form import LOSSES, FormSheets, Node, as_code, identifier, read_marker, walk_all
from surveykit.xlsform.limits import parse_limits
from surveykit.xlsform.relevant import Target, Untranslatable, canonical, to_condition
from surveykit.xlsform.workbook import Row, Workbook, read_workbook

# libyaml's emitter where PyYAML has it: the same text, and the dump of a 5,000-question form took
# 0.42 of the pure-Python emitter's time (one run each on a loaded machine); the pure-Python one otherwise
_DUMPER: type = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_TRUE = {"yes", "true", "true()", "1", "y"}
_FALSE = {"no", "false", "false()", "0", "n", ""}
_OTHER = {"zh": "其他", "en": "Other", "zh-Hant": "其他", "ja": "その他"}
_ROLES = {
    "servqual": (("_e", "expectation"), ("_p", "perception")),
    "importance_performance": (("_i", "importance"), ("_p", "performance")),
    "kano": (("_f", "functional"), ("_d", "dysfunctional"), ("_si", "importance")),
}


@dataclass(frozen=True, slots=True)
class ImportResult:
    """The questionnaire's YAML text, the loaded model, and the warnings (what was left out or renamed)."""

    yaml: str
    questionnaire: Questionnaire
    warnings: tuple[SheetProblem, ...]


def import_xlsform(
    path: str | Path,
    *,
    skip_unsupported: bool = False,
    language: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ImportResult:
    """Read an XLSForm and build the questionnaire; :class:`XLSFormError` lists every problem.

    ``language`` is the language of unlabelled text columns (``label`` with no ``::``) when the
    ``settings`` sheet names no ``default_language``.  The YAML is loaded with the project's
    loader before it is returned, with the loader's own size cap ``max_bytes``.
    """
    workbook = read_workbook(path)
    importer = _Importer(workbook, skip_unsupported, language)
    doc = importer.build()
    text = f"# Imported from {Path(path).name} by surveykit xlsform import\n" + yaml.dump(
        doc, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=120
    )
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        message = (
            f"the questionnaire is {size:,} bytes of YAML, over the loader's limit of {max_bytes:,}; "
            "raise it with --max-bytes (and give surveykit validate the same)"
        )
        raise XLSFormError([SheetProblem(workbook.path, "", 0, message)])
    try:
        q = loads(text.encode("utf-8"), name=f"{Path(path).stem}.yaml", max_bytes=max_bytes)
    except QuestionnaireError as exc:
        problems = [
            SheetProblem(workbook.path, "", 0, f"the imported questionnaire does not load: {p}") for p in exc.problems
        ]
        raise XLSFormError(problems) from None
    return ImportResult(text, q, tuple(importer.warnings))


@dataclass
class _Context:
    """An open group that makes pages: its id, title and page-level condition."""

    id: str
    title: dict[str, str] | None
    visible_if: str | None
    field_list: bool
    pages: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Page:
    doc: dict[str, Any]
    context: _Context | None


class _Importer(FormSheets):
    """Maps the checked sheets (:class:`FormSheets`) to the questionnaire document."""

    def __init__(self, workbook: Workbook, skip_unsupported: bool, language: str | None) -> None:
        super().__init__(workbook, skip_unsupported, language)
        self.scales: dict[str, dict[str, Any]] = {}
        self.targets: dict[str, Target] = {}
        self.fields: dict[str, dict[str, Any]] = {}
        self.pages: list[dict[str, Any]] = []
        self.page: _Page | None = None
        self.notes: list[tuple[Row, dict[str, str]]] = []
        self.loose_pages = 0
        self.other_text: dict[str, Any] | None = None
        self.texts_of_survey: dict[str, dict[str, str]] = {}

    # ---- the whole form ---------------------------------------------------------------------

    def build(self) -> dict[str, Any]:
        tree = self.check()
        self._walk(tree, None, None)
        self._close_page()
        for row, _ in self.notes:
            self.warn(self.survey.name, row.number, "a note with no question after it is not carried over")
        if not self.pages:
            self.error(self.survey.name, 1, "the form has no question that can be imported")
        self._missing_translations()
        if self.errors:
            raise XLSFormError(self.errors)
        self._pipes()
        return self._document()

    def _document(self) -> dict[str, Any]:
        survey_id, version = self._survey_id(), self._version()
        doc: dict[str, Any] = {"survey": survey_id, "version": version, "title": self._title(survey_id)}
        doc.update(self.texts_of_survey)
        doc["languages"] = list(self.languages)
        if self.fields:
            doc["fields"] = self.fields
        if self.scales:
            doc["scales"] = self.scales
        used = {d for d in self._used_dimensions()}
        if used:
            doc["dimensions"] = {d: self.dimensions.get(d) or self._same(d) for d in sorted(used, key=self._dim_order)}
        doc["pages"] = self.pages
        return doc

    def _used_dimensions(self) -> Iterator[str]:
        for page in self.pages:
            for entry in page.get("questions", page.get("items", page.get("attributes", []))):
                if "dimension" in entry:
                    yield entry["dimension"]
                for row in entry.get("rows", []):
                    if "dimension" in row:
                        yield row["dimension"]

    def _dim_order(self, dim: str) -> tuple[int, str]:
        order = list(self.dimensions)
        return (order.index(dim) if dim in order else len(order), dim)

    # ---- walking groups into pages ----------------------------------------------------------

    def _walk(self, nodes: list[Node], context: _Context | None, section_if: str | None) -> None:
        for node in nodes:
            kind, row = node.type.kind, node.row
            if kind == "unsupported":
                self.unsupported(self.survey.name, row.number, f"type {node.type.base} has no equivalent")
            elif kind == "repeat":
                inner = sum(1 for _ in walk_all(node.children))
                self.unsupported(
                    self.survey.name,
                    row.number,
                    f"type begin_repeat has no equivalent (a repeat {node.name!r}; its {inner} rows are left out)",
                )
            elif kind == "metadata":
                self.warn(
                    self.survey.name,
                    row.number,
                    f"{node.type.base}: surveykit records this itself "
                    f"({'started_at' if node.type.base == 'start' else 'submitted_at'})",
                )
            elif kind == "hidden":
                self._field(node)
            elif kind == "note":
                self._note(node)
            elif kind == "group":
                self._group(node, context, section_if)
            else:
                question = self._question(node, section_if)
                if question is not None:
                    self._add(question, context)
                if self.other_text is not None:
                    self._add(self.other_text, context)
                    self.other_text = None

    def _note(self, node: Node) -> None:
        text = self.text(self.survey, node.row, "label")
        if text is None:
            return
        marker = read_marker(node.row)[0]
        if marker in ("description", "thanks"):  # the export's first and last notes
            self.texts_of_survey[marker] = text
            return
        if node.row.get("relevant"):
            self.warn(
                self.survey.name, node.row.number, "the note's relevant is not carried over (its text is shown always)"
            )
        self.notes.append((node.row, text))

    def _take_notes(self) -> dict[str, str] | None:
        if not self.notes:
            return None
        joined = {lang: "\n\n".join(text[lang] for _, text in self.notes) for lang in self.languages}
        self.notes = []
        return joined

    def _add(self, question: dict[str, Any], context: _Context | None) -> None:
        if self.page is None or self.page.context is not context:
            self._close_page()
            if context is None:
                self.loose_pages += 1
                page_id = self._unique(f"page_{self.loose_pages}")
                self.page = _Page({"id": page_id, "questions": []}, None)
            else:
                context.pages += 1
                page_id = context.id if context.pages == 1 else self._unique(f"{context.id}_{context.pages}")
                doc: dict[str, Any] = {"id": page_id}
                if context.title:
                    doc["title"] = context.title
                if context.visible_if:
                    doc["visible_if"] = context.visible_if
                if context.pages == 1:
                    doc.update(context.extra)
                doc["questions"] = []
                self.page = _Page(doc, context)
            intro = self._take_notes()
            if intro:
                self.page.doc["intro"] = intro
                self.page.doc = _reorder(self.page.doc, "questions")
        else:
            notes = self._take_notes()
            if notes:
                question["help"] = {
                    lang: f"{notes[lang]}\n\n{question['help'][lang]}" if "help" in question else notes[lang]
                    for lang in self.languages
                }
                question = _reorder(question, *[k for k in question if k not in ("id", "type", "text", "help")])
        self.page.doc["questions"].append(question)

    def _close_page(self) -> None:
        if self.page is not None and self.page.doc["questions"]:
            self.pages.append(self.page.doc)
        self.page = None

    def _group(self, node: Node, context: _Context | None, section_if: str | None) -> None:
        row = node.row
        marker, options = read_marker(row)
        appearance = row.get("appearance").lower().split()
        if marker in _ROLES:
            if context is not None:
                self.error(self.survey.name, row.number, f"a {marker} block must not be inside another group")
                return
            self._close_page()
            block = self._block(node, marker)
            if block is not None:
                self.pages.append(block)
            return
        if marker == "constant_sum":
            question = self._constant_sum(node, options, section_if)
            if question is not None:
                self._add(question, context)
            return
        if marker == "matrix" or "table-list" in appearance:
            question = self._matrix(node, section_if, strict=marker == "matrix")
            if question is not None:
                self._add(question, context)
                return
        condition = self._condition(row)
        if context is not None and context.field_list:
            label = self.text(self.survey, row, "label")
            if label:
                self.notes.append((row, label))
            self._walk(node.children, context, _and(section_if, condition))
            return
        page_if = _and(context.visible_if if context else None, _and(section_if, condition))
        title = self.text(self.survey, row, "label")
        inner = _Context(self.ids.get(node.name, node.name), title, page_if, "field-list" in appearance)
        inner.extra = self._shuffle(row, options, self.ids)
        self._close_page()
        self._walk(node.children, inner, None)
        self._close_page()

    def _shuffle(self, row: Row, options: dict[str, str], names: dict[str, str]) -> dict[str, Any]:
        """``randomize``, ``fixed`` and ``randomize_group`` from the marker, or ODK's ``randomize=true``."""
        native = "randomize=true" in row.get("parameters").lower().replace(" ", "")
        if "randomize" not in options and not native:
            return {}
        out: dict[str, Any] = {"randomize": True}
        if options.get("fixed"):
            out["fixed"] = [names.get(name, name) for name in options["fixed"].split(",") if name]
        if options.get("group"):
            out["randomize_group"] = identifier(options["group"])
        return out

    # ---- piping -----------------------------------------------------------------------------

    def _pipes(self) -> None:
        """``${name}`` in a text -> ``{answer:id}`` (asked on an earlier page) or ``{field:id}``.

        XLSForm shows an earlier answer in a label by ``${name}``; surveykit pipes it with
        ``{answer:id}`` (:mod:`surveykit.piping`), which must come from an earlier screen.
        A reference to the same page or a later one stays as written, with a warning.
        """
        asked = {}
        for index, section in enumerate(self.pages):
            for answer in _answers(section):
                asked[answer] = index
        for index, section in enumerate(self.pages):

            def pipe(match: re.Match[str], index: int = index) -> str:
                name = match.group(1)
                new = self.ids.get(name, "")
                if new in self.fields:
                    return f"{{field:{new}}}"
                if new in asked and asked[new] < index:
                    return f"{{answer:{new}}}"
                self.warnings.append(
                    SheetProblem(
                        self.path,
                        self.survey.name,
                        self.used_ids.get(new, 0) or 1,
                        f"a text refers to ${{{name}}}, which is not asked on an earlier page; "
                        "it is not piped (the text keeps it as written)",
                    )
                )
                return match.group(0)

            self.pages[index] = _map_texts(section, lambda text: {k: _REF.sub(pipe, v) for k, v in text.items()})

    # ---- questions --------------------------------------------------------------------------

    def _condition(self, row: Row) -> str | None:
        relevant = row.get("relevant")
        if not relevant:
            return None
        try:
            return to_condition(relevant, self.targets)
        except Untranslatable as exc:
            self.unsupported(self.survey.name, row.number, f"relevant {relevant!r} cannot be translated: {exc}")
            return None

    def _common(self, node: Node, qtype: str, section_if: str | None) -> dict[str, Any] | None:
        row = node.row
        text = self.text(self.survey, row, "label")
        if text is None:
            self.error(self.survey.name, row.number, f"question {node.name!r} has no label")
            return None
        question: dict[str, Any] = {"id": self.ids[node.name], "type": qtype, "text": text}
        hint = self.text(self.survey, row, "hint")
        if hint:
            question["help"] = hint
        label = self.text(self.survey, row, "report_label")
        if label:
            question["label"] = label
        required = row.get("required").strip().lower()
        if required not in _TRUE:
            question["required"] = False
            if required not in _FALSE:
                self.unsupported(
                    self.survey.name,
                    row.number,
                    f"required {row.get('required')!r} is an expression; "
                    "surveykit's required is yes or no (the question is imported as not required)",
                )
        condition = _and(section_if, self._condition(row))
        if condition:
            question["visible_if"] = condition
        if row.get("dimension"):
            question["dimension"] = identifier(row.get("dimension"))
        if row.get("reverse").strip().lower() in _TRUE:
            question["reverse"] = True
        for column in LOSSES:
            value = row.get(column)
            if value and not (column == "read_only" and value.lower() in _FALSE):
                self.unsupported(self.survey.name, row.number, f"{column} {value!r} has no equivalent")
        return question

    def _limits(self, node: Node, kind: str, question: dict[str, Any]) -> None:
        constraint = node.row.get("constraint")
        if not constraint:
            return
        try:
            question.update(parse_limits(constraint, kind))
        except Untranslatable as exc:
            self.unsupported(
                self.survey.name, node.row.number, f"constraint {constraint!r} cannot be translated: {exc}"
            )

    def _parameter_losses(self, node: Node) -> None:
        """A warning for each ``parameters`` entry the question does not carry over (never dropped in silence)."""
        base, kept = node.type.base, {"range": ("start", "end"), "select_one": ("randomize",)}
        for part in re.split(r"[\s;,]+", node.row.get("parameters").strip()):
            key = part.partition("=")[0].strip().lower()
            if not key or key in kept.get(base, ()) or (base == "select_multiple" and key == "randomize"):
                continue
            if key == "step" and base == "range" and _parameters(part).get("step") == 1:
                continue
            why = {
                "seed": "each respondent's order is drawn from the response's own seed (order_seed)",
                "step": "any number between start and end is accepted",
            }.get(key, "surveykit has no such setting")
            self.warn(self.survey.name, node.row.number, f"parameter {part!r} is not carried over: {why}")

    def _question(self, node: Node, section_if: str | None) -> dict[str, Any] | None:
        base, row = node.type.base, node.row
        marker, _ = read_marker(row)
        qid = self.ids.get(node.name)
        if qid is None:
            return None
        self._parameter_losses(node)
        if base in ("select_one", "select_multiple"):
            return self._select(node, section_if)
        if base in ("integer", "decimal"):
            question = self._common(node, "number", section_if)
            if question is None:
                return None
            if base == "decimal":
                question["integer"] = False
            self._limits(node, base, question)
            self.targets[node.name] = Target(qid, "number")
            return question
        if base == "range":
            params = _parameters(row.get("parameters"))
            start, end, step = params.get("start", 1.0), params.get("end", 10.0), params.get("step", 1.0)
            if marker == "nps" and (start, end, step) == (0, 10, 1):
                question = self._common(node, "nps", section_if)
            else:
                question = self._common(node, "number", section_if)
                if question is not None:
                    question.update({"min": _num(min(start, end)), "max": _num(max(start, end))})
                    if not (float(step).is_integer() and float(start).is_integer()):
                        question["integer"] = False
            if question is not None:
                self.targets[node.name] = Target(qid, "number")
            return question
        if base in ("text", "date"):
            question = self._common(node, base, section_if)
            if question is None:
                return None
            self._limits(node, base, question)
            self.targets[node.name] = Target(qid, base)
            return question
        return None

    def _select(self, node: Node, section_if: str | None) -> dict[str, Any] | None:
        row, list_name = node.row, node.type.list_name or ""
        qid = self.ids[node.name]
        choices = self.lists.get(list_name, [])
        if node.type.base == "select_one" and list_name in self.ordered_lists:
            scale = self._scale(list_name)
            if scale is not None:
                question = self._common(node, "likert", section_if)
                if question is None:
                    return None
                question["scale"] = scale
                self.targets[node.name] = Target(qid, "number")
                return question
            self.warn(
                self.survey.name,
                row.number,
                f"list {list_name!r} is declared likert but its names are not "
                "1..n (2 to 11 points); imported as a choice question",
            )
        qtype = "choice" if node.type.base == "select_one" else "multi"
        question = self._common(node, qtype, section_if)
        if question is None:
            return None
        options = {c.code: c.label for c in choices}
        codes = dict(self.list_codes.get(list_name, {}))
        if node.type.or_other and "other" not in options:
            options["other"] = {lang: _OTHER.get(lang, "Other") for lang in self.languages}
            codes["other"] = "other"
        question["options"] = options
        question.update(self._shuffle(row, read_marker(row)[1], codes))
        if qtype == "multi":
            self._limits(node, "multi", question)
        elif row.get("constraint"):
            self.unsupported(
                self.survey.name, row.number, f"constraint {row.get('constraint')!r} on a select_one has no equivalent"
            )
        self.targets[node.name] = Target(qid, "code" if qtype == "choice" else "multi", codes)
        if node.type.or_other:
            self._other_text(node, question)
        return question

    def _other_text(self, node: Node, question: dict[str, Any]) -> None:
        """ODK's or_other asks for the other answer in a text box; here it is a text question after it."""
        qid = question["id"]
        other_id = self._unique(f"{qid}_other" if question["type"] == "choice" else f"{qid}_other_text")
        condition = f"{qid} == 'other'" if question["type"] == "choice" else f"'other' in {qid}"
        self.other_text = {
            "id": other_id,
            "type": "text",
            "text": {lang: _OTHER.get(lang, "Other") + ":" for lang in self.languages},
            "required": False,
            "visible_if": canonical(parse(condition)),
        }
        self.targets[other_id] = Target(other_id, "text")
        self.warn(
            self.survey.name, node.row.number, f"or_other: option 'other' and the text question {other_id!r} added"
        )

    def _scale(self, list_name: str) -> str | None:
        """The scale of an ordered list whose names are 1..n; its id is the list's name as an id."""
        scale_id = identifier(list_name)
        if scale_id in self.scales:
            return scale_id
        choices = self.lists.get(list_name, [])
        points = len(choices)
        if not 2 <= points <= 11 or [c.code for c in choices] != [str(i) for i in range(1, points + 1)]:
            return None
        labels = {int(c.code): c.label for c in choices if any(text != c.code for text in c.label.values())}
        self.scales[scale_id] = {"points": points, **({"labels": labels} if labels else {})}
        return scale_id

    # ---- matrix, constant sum, paired blocks, fields ----------------------------------------

    def _matrix(self, node: Node, section_if: str | None, strict: bool) -> dict[str, Any] | None:
        rows = [c for c in node.children if c.type.kind == "question"]
        others = [c for c in node.children if c.type.kind not in ("question", "note")]
        lists = {c.type.list_name for c in rows}
        scale = None
        if rows and not others and all(c.type.base == "select_one" for c in rows) and len(lists) == 1:
            list_name = lists.pop() or ""
            if all(not c.row.get("relevant") for c in rows):
                scale = self._scale(list_name)
        if scale is None:
            if strict:
                self.error(
                    self.survey.name,
                    node.row.number,
                    "a matrix group holds select_one rows on one list whose names are 1..n, and nothing else",
                )
            return None
        question = self._common(node, "matrix", section_if)
        if question is None:
            return None
        question.pop("required", None)
        if any(c.row.get("required").strip().lower() not in _TRUE for c in rows):
            question["required"] = False
        question["scale"] = scale
        out_rows = []
        for child in rows:
            entry: dict[str, Any] = {"id": self.ids[child.name], "text": self.text(self.survey, child.row, "label")}
            if entry["text"] is None:
                self.error(self.survey.name, child.row.number, f"matrix row {child.name!r} has no label")
                continue
            label = self.text(self.survey, child.row, "report_label")
            if label:
                entry["label"] = label
            if child.row.get("dimension"):
                entry["dimension"] = identifier(child.row.get("dimension"))
            if child.row.get("reverse").strip().lower() in _TRUE:
                entry["reverse"] = True
            out_rows.append(entry)
            self.targets[child.name] = Target(entry["id"], "number")
        question["rows"] = out_rows
        question.update(self._shuffle(node.row, read_marker(node.row)[1], self.ids))
        return question

    def _constant_sum(self, node: Node, options: dict[str, str], section_if: str | None) -> dict[str, Any] | None:
        parts = [c for c in node.children if c.type.kind == "question"]
        try:
            total = float(options.get("total", ""))
        except ValueError:
            total = float("nan")
        prefix = f"{node.name}_"
        if not parts or total != total or any(not c.name.startswith(prefix) for c in parts):
            self.error(
                self.survey.name,
                node.row.number,
                f"a constant_sum group needs total=N and integer questions named {prefix}<option>",
            )
            return None
        question = self._common(node, "constant_sum", section_if)
        if question is None:
            return None
        question["options"] = {}
        for child in parts:
            text = self.text(self.survey, child.row, "label")
            question["options"][as_code(child.name[len(prefix) :])] = text
        question["total"] = _num(total)
        if any(c.row.get("required").strip().lower() not in _TRUE for c in parts):
            question["required"] = False
        else:
            question.pop("required", None)
        return question

    def _block(self, node: Node, kind: str) -> dict[str, Any] | None:
        row = node.row
        block: dict[str, Any] = {"type": kind, "id": self.ids[node.name]}
        title = self.text(self.survey, row, "label")
        if title:
            block["title"] = title
        intro_notes = [c for c in node.children if c.type.kind == "note"]
        pending = self._take_notes()
        intro = self.text(self.survey, intro_notes[0].row, "label") if intro_notes else pending
        if intro:
            block["intro"] = intro
        condition = self._condition(row)
        if condition:
            block["visible_if"] = condition
        block.update(self._shuffle(row, read_marker(row)[1], self.ids))
        roles = _ROLES[kind]
        items: list[dict[str, Any]] = []
        scales: dict[str, set[str]] = {}
        for child in node.children:
            if child.type.kind == "note":
                continue
            if child.type.kind != "group":
                self.error(self.survey.name, child.row.number, f"a {kind} block holds one group per item")
                continue
            item_id = self.ids[child.name]
            item: dict[str, Any] = {"id": item_id}
            by_suffix = {}
            for question in child.children:
                for suffix, role in roles:
                    if question.name == f"{child.name}{suffix}":
                        by_suffix[role] = question
            needed = [role for _, role in roles[:2]]
            if any(role not in by_suffix for role in needed) or len(by_suffix) != len(child.children):
                names = ", ".join(f"{child.name}{s}" for s, _ in roles)
                self.error(
                    self.survey.name,
                    child.row.number,
                    f"item {child.name!r} of the {kind} block holds the "
                    f"questions {names} (the last one optional for kano), and nothing else",
                )
                continue
            first = by_suffix[needed[0]]
            if first.row.get("dimension"):
                item["dimension"] = identifier(first.row.get("dimension"))
            for role, question in by_suffix.items():
                text = self.text(self.survey, question.row, "label")
                item[role] = text
                list_name = question.type.list_name or ""
                scales.setdefault(role, set()).add(list_name)
                variable = self.ids[question.name]
                if kind == "kano" and role != "importance":
                    codes = self.list_codes.get(list_name, {})
                    self.targets[question.name] = Target(variable, "code", codes)
                else:
                    self.targets[question.name] = Target(variable, "number")
            for key, column in (("label", "report_label"), ("help", "hint")):
                text = self.text(self.survey, first.row, column)
                if text:
                    item[key] = text
            if kind == "servqual" and first.row.get("reverse").strip().lower() in _TRUE:
                item["reverse"] = True
            items.append(item)
        if kind == "kano":
            for role in ("functional", "dysfunctional"):
                for list_name in scales.get(role, ()):
                    if [c.code for c in self.lists.get(list_name, [])] != list(KANO_CODES):
                        self.error(
                            self.survey.name,
                            row.number,
                            f"the kano questions' list {list_name!r} must have the choices {', '.join(KANO_CODES)}",
                        )
            if scales.get("importance"):
                block["importance_scale"] = self._block_scale(row, scales["importance"])
            block["attributes"] = items
        elif kind == "servqual":
            block["scale"] = self._block_scale(row, scales.get("expectation", set()) | scales.get("perception", set()))
            block["items"] = items
        else:
            first_scale = self._block_scale(row, scales.get("importance", set()))
            second_scale = self._block_scale(row, scales.get("performance", set()))
            if first_scale == second_scale:
                block["scale"] = first_scale
            else:
                block["importance_scale"], block["performance_scale"] = first_scale, second_scale
            block["items"] = items
        return block

    def _block_scale(self, row: Row, lists: set[str]) -> str:
        if len(lists) != 1:
            self.error(self.survey.name, row.number, "the questions of one role in a block share one choice list")
            return ""
        list_name = next(iter(lists))
        scale = self._scale(list_name)
        if scale is None:
            self.error(
                self.survey.name, row.number, f"list {list_name!r} of a block's ratings must have the names 1..n"
            )
            return ""
        return scale

    def _field(self, node: Node) -> None:
        row = node.row
        if row.get("calculation") or row.get("default"):
            self.unsupported(
                self.survey.name,
                row.number,
                "a hidden value with a calculation or default has no "
                "equivalent (hidden values here are segment fields set by invitations)",
            )
            return
        field_id = self.ids[node.name]
        label = self.text(self.survey, row, "label") or self._same(node.name)
        entry: dict[str, Any] = {"label": label}
        _, options = read_marker(row)
        if options.get("values"):
            choices = self.lists.get(options["values"])
            if choices is None:
                self.error(self.survey.name, row.number, f"choice list {options['values']!r} is not defined")
                return
            entry["values"] = {c.code: c.label for c in choices}
        self.fields[field_id] = entry
        self.targets[node.name] = Target(field_id, "code", self.list_codes.get(options.get("values", ""), {}))


def _parameters(text: str) -> dict[str, float]:
    out = {}
    for part in re.split(r"[\s;,]+", text.strip()):
        key, _, value = part.partition("=")
        try:
            out[key.strip().lower()] = float(value)
        except ValueError:
            continue
    return out


def _and(first: str | None, second: str | None) -> str | None:
    if first and second:
        return canonical(parse(f"({first}) and ({second})"))
    return first or second


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _reorder(mapping: dict[str, Any], *last: str) -> dict[str, Any]:
    """The mapping with the keys ``last`` moved to the end (YAML reads better that way)."""
    return {**{k: v for k, v in mapping.items() if k not in last}, **{k: mapping[k] for k in last if k in mapping}}


_REF = re.compile(r"\$\{\s*([^}\s]+)\s*\}")
_TEXT_KEYS = (
    "title",
    "intro",
    "text",
    "help",
    "expectation",
    "perception",
    "importance",
    "performance",
    "functional",
    "dysfunctional",
)


def _answers(section: dict[str, Any]) -> Iterator[str]:
    """The answer ids a page or block of the document asks."""
    kind = section.get("type")
    if kind in _ROLES:
        for item in section.get("items", section.get("attributes", [])):
            for suffix, _ in _ROLES[kind]:
                yield f"{item['id']}{suffix}"
        return
    for question in section.get("questions", []):
        yield question["id"]
        for row in question.get("rows", []):
            yield row["id"]


def _map_texts(value: Any, change: Any) -> Any:
    """The document part with ``change`` applied to every text (a language -> string mapping) in it."""
    if isinstance(value, list):
        return [_map_texts(v, change) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key in _TEXT_KEYS and isinstance(item, dict):
            out[key] = change(item)
        elif key == "options" and isinstance(item, dict):
            out[key] = {code: change(text) for code, text in item.items()}
        else:
            out[key] = _map_texts(item, change)
    return out
