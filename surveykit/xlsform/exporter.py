"""A surveykit questionnaire -> an XLSForm workbook that pyxform converts to an XForm.

The mapping (the reverse of :mod:`surveykit.xlsform.importer`; ``docs/XLSFORM.md``):

* a page -> a ``field-list`` group (its ``intro`` a note at its top);
* ``likert`` -> ``select_one <scale>`` with the ``likert`` appearance, the scale's points as the
  choices 1..n (a point without a label is labelled with its number);
* ``choice``/``multi`` -> ``select_one``/``select_multiple`` on a list named after the question;
* ``nps`` -> ``range`` 0..10; ``number`` -> ``integer``/``decimal``; ``text``, ``date`` -> the
  same; bounds -> ``constraint`` (:mod:`surveykit.xlsform.limits`);
* ``matrix`` -> a ``table-list`` group of ``select_one`` rows (ODK's grid);
* ``constant_sum`` -> a group of ``integer`` questions ``<id>_<option>``;
* a SERVQUAL, Kano or importance-performance block -> a group with one ``field-list`` group per
  item holding both of its questions (``rel1_e`` and ``rel1_p``…), so ODK shows each pair on
  one screen;
* segment fields -> ``hidden`` rows; ``visible_if`` -> ``relevant``
  (:func:`surveykit.xlsform.relevant.to_xpath`); every language -> ``label::Name (code)``
  columns, the first as ``default_language``.

What XLSForm cannot say rides in columns and sheets ODK tools ignore (``surveykit``,
``dimension``, ``reverse``, ``report_label::…``, the ``dimensions`` sheet, ``title::…`` in
settings), so that an import brings back the same questionnaire; the description and the thanks
are notes before the first and after the last page, marked in the ``surveykit`` column.  What is
not exported at all (alerts, scoring, the path model, weighting) is returned as a list of notes
for the command to print.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from surveykit.model import (
    IPABlock,
    KanoBlock,
    Page,
    PairedItem,
    Question,
    Questionnaire,
    Scale,
    ServqualBlock,
    Shuffle,
    Text,
)
from surveykit.piping import PIPE as _PIPE
from surveykit.screens import KANO_OPTIONS
from surveykit.xlsform.errors import SheetProblem, XLSFormError
from surveykit.xlsform.languages import column_language
from surveykit.xlsform.limits import to_constraint
from surveykit.xlsform.relevant import to_xpath

_SINGLE = (
    "type",
    "name",
    "required",
    "relevant",
    "constraint",
    "appearance",
    "parameters",
    "surveykit",
    "dimension",
    "reverse",
)


def export_xlsform(q: Questionnaire, path: str | Path) -> list[str]:
    """Write ``q`` as an XLSForm ``.xlsx`` at ``path``; return what could not be carried over."""
    import openpyxl

    writer = _Writer(q)
    writer.write()
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "survey"
    _fill(sheet, writer.survey_columns(), writer.survey)
    _fill(book.create_sheet("choices"), writer.choice_columns(), writer.choices)
    _fill(book.create_sheet("settings"), *writer.settings())
    if q.dimensions:
        columns = ["name", *(f"label::{column_language(lang)}" for lang in q.languages)]
        rows = [{"name": d.id, **writer.texts("label", d.label)} for d in q.dimensions]
        _fill(book.create_sheet("dimensions"), columns, rows)
    book.save(path)
    return writer.left_out()


def _fill(sheet: Any, columns: list[str], rows: Iterable[dict[str, Any]]) -> None:
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(c, "") for c in columns])
    # openpyxl stores a string that starts with "=" as a formula: a label "=SUM(1,2)" would be
    # computed by Excel (or a DDE payload run), and read back as an empty cell.  Text stays text.
    for cells in sheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    sheet.freeze_panes = "A2"


class _Writer:
    def __init__(self, q: Questionnaire) -> None:
        self.q = q
        self.survey: list[dict[str, Any]] = []
        self.choices: list[dict[str, Any]] = []
        self.lists: set[str] = set()
        self.grids: list[tuple[str, str]] = []
        self.names: set[str] = {v.name for v in q.variables()} | {s.id for s in q.pages}

    def survey_columns(self) -> list[str]:
        langs = [column_language(lang) for lang in self.q.languages]
        return [
            "type",
            "name",
            *(f"label::{lang}" for lang in langs),
            *(f"hint::{lang}" for lang in langs),
            "required",
            "relevant",
            "constraint",
            "appearance",
            "parameters",
            "surveykit",
            "dimension",
            "reverse",
            *(f"report_label::{lang}" for lang in langs),
        ]

    def choice_columns(self) -> list[str]:
        return ["list_name", "name", *(f"label::{column_language(lang)}" for lang in self.q.languages)]

    def settings(self) -> tuple[list[str], list[dict[str, Any]]]:
        q = self.q
        row = {
            "form_title": q.title.best(q.languages[0]),
            "form_id": q.survey,
            "version": str(q.version),
            "default_language": column_language(q.languages[0]),
            **self.texts("surveykit_title", q.title),
        }
        return list(row), [row]

    def texts(self, column: str, text: Text | None) -> dict[str, str]:
        """The columns of a text, one per language; ``{answer:q}`` and ``{field:f}`` as XLSForm's ``${q}``."""
        if text is None:
            return {}
        return {f"{column}::{column_language(lang)}": _PIPE.sub(r"${\2}", text.best(lang)) for lang in self.q.languages}

    def left_out(self) -> list[str]:
        q, notes = self.q, []
        for what, present in (
            ("alerts", bool(q.alerts)),
            ("scoring", q.scoring is not None),
            ("the path model (model:)", q.model is not None),
            ("weighting", q.weighting is not None),
        ):
            if present:
                notes.append(f"{what} has no XLSForm equivalent and is not exported")
        notes += [
            f"{qid}: a {qtype} is exported as a table-list of select_one rows; what else it declares "
            "(weights, critical items…) is not, and it imports back as choice questions"
            for qid, qtype in self.grids
        ]
        return notes

    # ---- rows -------------------------------------------------------------------------------

    def row(self, type_: str, name: str, **cells: Any) -> None:
        self.survey.append({"type": type_, "name": name, **{k: v for k, v in cells.items() if v not in (None, "")}})

    def unique(self, wanted: str) -> str:
        name, n = wanted, 1
        while name in self.names:
            n += 1
            name = f"{wanted}_{n}"
        self.names.add(name)
        return name

    def write(self) -> None:
        for f in self.q.fields:
            marker = None
            if f.values:
                list_name = self.choice_list(f"{f.id}_values", ((code, text) for code, text in f.values))
                marker = f"field values={list_name}"
            self.row("hidden", f.id, surveykit=marker, **self.texts("label", f.label))
        # the survey's description and thanks: a note before the first page and one after the last,
        # where ODK shows them too; the marker brings them back as they were
        if self.q.description is not None:
            name = self.unique("survey_description")
            self.row("note", name, surveykit="description", **self.texts("label", self.q.description))
        for section in self.q.pages:
            if isinstance(section, Page):
                self.page(section)
            else:
                self.block(section)
        if self.q.thanks is not None:
            self.row("note", self.unique("survey_thanks"), surveykit="thanks", **self.texts("label", self.q.thanks))

    def page(self, page: Page) -> None:
        self.row(
            "begin_group",
            page.id,
            appearance="field-list",
            surveykit=_marker("page", page.shuffle),
            relevant=to_xpath(page.visible_if) if page.visible_if else None,
            **self.texts("label", page.title),
        )
        if page.intro is not None:
            self.row("note", self.unique(f"{page.id}_intro"), **self.texts("label", page.intro))
        for question in page.questions:
            self.question(question)
        self.row("end_group", "")

    def common(self, q: Question) -> dict[str, Any]:
        return {
            "required": "yes" if q.required else None,
            "relevant": to_xpath(q.visible_if) if q.visible_if else None,
            "dimension": q.dimension,
            "reverse": "yes" if q.reverse else None,
            **self.texts("label", q.text),
            **self.texts("hint", q.help),
            **self.texts("report_label", q.label),
        }

    def question(self, q: Question) -> None:
        common = self.common(q)
        if q.type == "likert" and q.scale is not None:
            self.row(f"select_one {self.scale(q.scale)}", q.id, appearance="likert", **common)
        elif q.type in ("choice", "multi"):
            list_name = self.choice_list(q.id, ((o.code, o.text) for o in q.options))
            kind = "select_one" if q.type == "choice" else "select_multiple"
            constraint = to_constraint("multi", q.min, q.max) if q.type == "multi" else None
            self.row(
                f"{kind} {list_name}",
                q.id,
                constraint=constraint,
                parameters="randomize=true" if q.shuffle else None,
                surveykit=_marker("", q.shuffle),
                **common,
            )
        elif q.type == "nps":
            self.row("range", q.id, parameters="start=0 end=10 step=1", surveykit="nps", **common)
        elif q.type == "number":
            kind = "integer" if q.integer else "decimal"
            self.row(kind, q.id, constraint=to_constraint(kind, q.min, q.max), **common)
        elif q.type in ("text", "date"):
            low, high = (q.min, q.max) if q.type == "date" else (_int(q.min), _int(q.max))
            self.row(q.type, q.id, constraint=to_constraint(q.type, low, high, q.pattern), **common)
        elif q.type == "matrix" and q.scale is not None:
            self.matrix(q, common)
        elif q.type == "constant_sum":
            self.constant_sum(q, common)
        elif q.rows and q.options:
            self.grid(q, common)
        else:
            raise XLSFormError(
                [SheetProblem(self.q.source, "", 0, f"question {q.id!r}: the type {q.type!r} has no XLSForm mapping")]
            )

    def matrix(self, q: Question, common: dict[str, Any]) -> None:
        assert q.scale is not None
        required = common.pop("required")
        self.row("begin_group", q.id, appearance="table-list", surveykit=_marker("matrix", q.shuffle), **common)
        list_name = self.scale(q.scale)
        for row in q.rows:
            self.row(
                f"select_one {list_name}",
                row.id,
                required=required,
                dimension=row.dimension,
                reverse="yes" if row.reverse else None,
                **self.texts("label", row.text),
                **self.texts("report_label", row.label),
            )
        self.row("end_group", "")

    def grid(self, q: Question, common: dict[str, Any]) -> None:
        """Rows answered on one set of coded options (a ``checklist``): a table-list of select_one rows."""
        required = common.pop("required")
        self.grids.append((q.id, q.type))
        self.row("begin_group", q.id, appearance="table-list", surveykit=q.type, **common)
        list_name = self.choice_list(q.id, ((o.code, o.text) for o in q.options))
        for row in q.rows:
            self.row(
                f"select_one {list_name}",
                row.id,
                required=required,
                **self.texts("label", row.text),
                **self.texts("report_label", row.label),
            )
        self.row("end_group", "")

    def constant_sum(self, q: Question, common: dict[str, Any]) -> None:
        required = common.pop("required")
        total = int(q.total) if q.total is not None and float(q.total).is_integer() else q.total
        self.row("begin_group", q.id, surveykit=f"constant_sum total={total}", **common)
        for option in q.options:
            self.row(
                "integer",
                f"{q.id}_{option.code}",
                required=required,
                constraint=to_constraint("integer", 0, q.total),
                **self.texts("label", option.text),
            )
        self.row("end_group", "")

    def block(self, block: ServqualBlock | KanoBlock | IPABlock) -> None:
        self.row(
            "begin_group",
            block.id,
            surveykit=_marker(block.type, getattr(block, "shuffle", None)),  # kano blocks have no order
            relevant=to_xpath(block.visible_if) if block.visible_if else None,
            **self.texts("label", block.title),
        )
        if block.intro is not None:
            self.row("note", self.unique(f"{block.id}_intro"), **self.texts("label", block.intro))
        if isinstance(block, ServqualBlock):
            scale = self.scale(block.scale)
            for item in block.items:
                self.pair(item, (("_e", item.first, scale), ("_p", item.second, scale)))
        elif isinstance(block, IPABlock):
            first, second = self.scale(block.importance_scale), self.scale(block.performance_scale)
            for item in block.items:
                self.pair(item, (("_i", item.first, first), ("_p", item.second, second)))
        else:
            kano = self.choice_list("kano", ((o.code, o.text) for o in KANO_OPTIONS), exact=True)
            importance = self.scale(block.importance_scale) if block.importance_scale else None
            for item in block.attributes:
                parts = [("_f", item.first, kano), ("_d", item.second, kano)]
                if importance and item.importance is not None:
                    parts.append(("_si", item.importance, importance))
                self.pair(item, parts, likert=False)
        self.row("end_group", "")

    def pair(self, item: PairedItem, parts: Iterable[tuple[str, Text, str]], likert: bool = True) -> None:
        self.row("begin_group", item.id, appearance="field-list")
        for suffix, text, list_name in parts:
            is_rating = likert or suffix == "_si"
            self.row(
                f"select_one {list_name}",
                f"{item.id}{suffix}",
                required="yes",
                appearance="likert" if is_rating else None,
                dimension=item.dimension,
                reverse="yes" if item.reverse else None,
                **self.texts("label", text),
                **self.texts("hint", item.help),
                **self.texts("report_label", item.label),
            )
        self.row("end_group", "")

    # ---- choice lists -----------------------------------------------------------------------

    def scale(self, scale: Scale) -> str:
        if scale.id in self.lists:
            return scale.id
        points = []
        for point in range(1, scale.points + 1):
            label = scale.label(point)
            points.append(
                (
                    str(point),
                    label if label is not None else Text(tuple((lang, str(point)) for lang in self.q.languages)),
                )
            )
        return self.choice_list(scale.id, points, exact=True)

    def choice_list(self, wanted: str, options: Iterable[tuple[str, Text]], exact: bool = False) -> str:
        name = wanted
        if name in self.lists and not exact:
            n = 1
            while name in self.lists:
                n += 1
                name = f"{wanted}_{n}"
        if name in self.lists:
            return name
        self.lists.add(name)
        for code, text in options:
            self.choices.append({"list_name": name, "name": str(code), **self.texts("label", text)})
        return name


def _marker(kind: str, shuffle: Shuffle | None) -> str | None:
    """The ``surveykit`` column: the kind, and ``randomize fixed=… group=…`` for a shuffled list."""
    words = [kind] if kind else []
    if shuffle is not None:
        words.append("randomize")
        if shuffle.fixed:
            words.append("fixed=" + ",".join(shuffle.fixed))
        if shuffle.key.startswith("group:"):
            words.append("group=" + shuffle.key.removeprefix("group:"))
    return " ".join(words) or None


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)
