"""The codebook: one row per column of the response table, in every language.

The codebook is what an analyst reads next to an exported file: variable
names, labels and full question texts (never truncated, unlike the labels
inside SPSS and Stata files), the answer codes with their labels, the integer
each code becomes in ``.sav``/``.dta`` files, the missing-value codes, the
measurement level and the display condition.  It is derived from
:meth:`Questionnaire.variables` alone, so the same questionnaire always gives
the same codebook.

The rules shared with :mod:`surveykit.export` live here too: which variables
are coded (a string answer with declared codes becomes the integers 1..n in
declared order), which carry the skip/not-answered missing codes, and the
display condition of each answer variable.
"""

from __future__ import annotations

import html
import os
import re
from typing import IO

import pandas as pd

from surveykit import languages
from surveykit.cells import escape_formula
from surveykit.errors import SurveykitError
from surveykit.expressions import Condition
from surveykit.model import Question, Questionnaire, Text, Variable, text_of
from surveykit.randomize import ORDER_NOTE, is_randomised, randomisation_notes
from surveykit.weights import weight_variable

SKIPPED_SAV, NOT_ANSWERED_SAV = -1, -2
SKIPPED_DTA, NOT_ANSWERED_DTA = "a", "b"
SKIPPED = text_of(zh="未显示（跳题）", en="Not shown (skip logic)")
NOT_ANSWERED = text_of(zh="未作答", en="Not answered")
MISSING_NOTE = (
    "Skipped by logic (the question was not shown) and not answered are told apart in SPSS "
    f"(user-missing {SKIPPED_SAV} and {NOT_ANSWERED_SAV}) and Stata (extended missing .{SKIPPED_DTA} and "
    f".{NOT_ANSWERED_DTA}); CSV, XLSX and Parquet keep both as an empty cell (null). A number that may be "
    "negative keeps system-missing in SPSS. Text carries no missing codes: it is an empty string in SPSS and "
    "Stata, which have no missing text, and null elsewhere."
)
SAV_NAME_BYTES = 64
# Stata allows 32 characters, but pyreadstat names a variable's value-label set after it, plus a
# counter (``q1`` -> ``q10``, ``q11``...), and that name has the same limit: 4 characters stay free.
DTA_NAME_CHARS = 28
_SPSS_RESERVED = {"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with"}
_STATA_RESERVED = {
    "byte",
    "double",
    "float",
    "if",
    "in",
    "int",
    "long",
    "using",
    "with",
    "_all",
    "_b",
    "_coef",
    "_cons",
    "_n",
    "_pi",
    "_pred",
    "_rc",
    "_skip",
    "strL",
}


class ExportError(SurveykitError, ValueError):
    """A frame or an option that cannot be exported (missing columns, unknown language or format...)."""


def builtin(text: Text, lang: str) -> str:
    """Built-in wording in ``lang``, or in its nearest built-in language (:func:`surveykit.languages.builtin`)."""
    return languages.builtin(text, lang)


def language(q: Questionnaire, lang: str | None) -> str:
    """The label language: ``lang`` if the survey has it, its first language if None."""
    if lang is None:
        return q.languages[0]
    if lang not in q.languages:
        raise ExportError(f"language {lang!r} is not one of the survey's languages ({', '.join(q.languages)})")
    return lang


def is_coded(v: Variable) -> bool:
    """A string variable with declared codes (choice, Kano, segment field with values)."""
    return v.kind == "string" and bool(v.value_labels)


def integer_codes(v: Variable) -> dict[str, int]:
    """Code -> the integer it becomes in SPSS and Stata: 1..n in declared order."""
    return {str(code): i for i, (code, _) in enumerate(v.value_labels, start=1)}


def has_missing_codes(v: Variable) -> bool:
    """Whether skipped and not answered get distinct codes in SPSS and Stata.

    Answer variables that are numeric or coded do; text and dates cannot hold
    them, and metadata, segment fields and survey weights are never "skipped".  A number whose
    declared minimum is -1 or lower (or undeclared) could collide with -1 and
    -2, so it keeps plain system-missing in SPSS; Stata's ``.a``/``.b`` never collide.
    """
    if v.type in ("metadata", "field", "weight") or not (v.kind == "numeric" or is_coded(v)):
        return False
    return True


def sav_missing_codes(v: Variable) -> bool:
    """Whether SPSS gets the -1/-2 user-missing codes (see :func:`has_missing_codes`)."""
    if not has_missing_codes(v):
        return False
    if v.kind == "numeric" and not is_coded(v) and (v.min is None or v.min <= SKIPPED_SAV):
        return False
    return True


def format_names(columns: list[str] | tuple[str, ...], fmt: str) -> dict[str, str]:
    """Column -> a name SPSS (``sav``: 64 bytes) or Stata (``dta``: 28 characters) accepts, unique.

    Our ids already are lower-case ASCII; what changes is a name past the
    length limit (cut, then numbered ``_2``, ``_3``... if that clashes), a
    reserved word (``to``, ``by``... in SPSS; ``if``, ``in``, ``int``... in
    Stata: ``_`` appended) and, for columns from elsewhere, any other character.
    """
    limit = SAV_NAME_BYTES if fmt == "sav" else DTA_NAME_CHARS
    out: dict[str, str] = {}
    taken: set[str] = set()
    for name in columns:
        new = re.sub(r"[^A-Za-z0-9_]", "_", name)
        if not new or not new[0].isalpha():
            new = "v" + new
        if (fmt == "sav" and new.lower() in _SPSS_RESERVED) or (
            fmt != "sav" and (new in _STATA_RESERVED or re.fullmatch(r"str\d+", new))
        ):
            new += "_"
        new = base = new[:limit]
        number = 1
        while new.lower() in taken:
            number += 1
            new = base[: limit - len(f"_{number}")] + f"_{number}"
        taken.add(new.lower())
        out[name] = new
    return out


def question_columns(question: Question) -> list[str]:
    """The columns one question fills."""
    if question.type in ("matrix", "checklist"):
        return [row.id for row in question.rows]
    if question.type in ("multi", "constant_sum"):
        return [f"{question.id}_{o.code}" for o in question.options]
    return [question.id]


def conditions(q: Questionnaire) -> dict[str, tuple[Condition | None, Condition | None, Question]]:
    """Answer column -> (screen condition, question condition, question)."""
    out: dict[str, tuple[Condition | None, Condition | None, Question]] = {}
    for screen in q.screens():
        for question in screen.questions:
            for name in question_columns(question):
                out[name] = (screen.visible_if, question.visible_if, question)
    return out


def display_condition(screen_if: Condition | None, question_if: Condition | None) -> str:
    """The condition under which an answer was asked, screen and question combined."""
    if screen_if is not None and question_if is not None:
        return f"({screen_if.source}) and ({question_if.source})"
    cond = screen_if or question_if
    return cond.source if cond is not None else ""


def _values(v: Variable, lang: str) -> str:
    return "; ".join(f"{code} = {text.best(lang)}" for code, text in v.value_labels)


def _missing(v: Variable) -> str:
    if v.type in ("metadata", "field"):
        return "empty"
    if v.kind == "string" and not is_coded(v):
        return "empty (text)"
    if not has_missing_codes(v):
        return "empty / system-missing"
    sav = f"SPSS {SKIPPED_SAV} / {NOT_ANSWERED_SAV}" if sav_missing_codes(v) else "SPSS system-missing"
    return f"skipped / not answered: {sav}, Stata .{SKIPPED_DTA} / .{NOT_ANSWERED_DTA}; empty in CSV, XLSX, Parquet"


def _number(value: float | None) -> float | None:
    return None if value is None else float(value)


def codebook(q: Questionnaire, lang: str | None = None, *, weighted: bool = False) -> pd.DataFrame:
    """The codebook of ``q``: one row per column of the response table, in order.

    Parameters
    ----------
    q
        The questionnaire.
    lang
        Only this language's labels, texts and value labels; by default every
        language of the survey (columns ``label_zh``, ``label_en``...).
    weighted
        The table carries survey weights: add the ``weight`` column's entry
        (:func:`surveykit.weights.weight_variable`) after the questionnaire's.

    Returns
    -------
    pandas.DataFrame
        Columns: ``variable``, ``question``, ``block``, ``dimension``, ``role``,
        ``label_<lang>``..., ``question_text_<lang>``..., ``type`` (question
        type, ``field`` or ``metadata``), ``kind`` (numeric, string, date,
        datetime), ``measure`` (nominal, ordinal, scale), ``values_<lang>``...
        (``code = label``, original codes), ``integer_codes`` (``1 = code``:
        what a code becomes in SPSS and Stata), ``missing``, ``reverse``,
        ``required``, ``visible_if`` (screen and question condition
        combined), ``min``, ``max``, ``scale``, ``survey``, ``version`` and
        ``sha256`` (of the questionnaire file); ``sav_name`` and ``dta_name``
        when a name is too long or reserved in SPSS or Stata; ``randomised``
        (how a position or option order was drawn, see :mod:`surveykit.randomize`)
        when anything is randomised.

    Notes
    -----
    Labels and texts are complete here; the ones inside ``.sav`` and ``.dta``
    files may be cut at the formats' byte limits.  Missing values: see
    :data:`MISSING_NOTE`.
    """
    langs = q.languages if lang is None else (language(q, lang),)
    conds = conditions(q)
    randomised = randomisation_notes(q)  # empty unless something is randomised
    rows = []
    for v in (*q.variables(), *((weight_variable(),) if weighted else ())):
        screen_if, question_if, question = conds.get(v.name, (None, None, None))
        row: dict[str, object] = {
            "variable": v.name,
            "question": v.question or "",
            "block": v.block or "",
            "dimension": v.dimension or "",
            "role": v.role or "",
        }
        for lg in langs:
            row[f"label_{lg}"] = v.label.best(lg)
        for lg in langs:
            row[f"question_text_{lg}"] = question.text.best(lg) if question is not None else ""
        row.update({"type": v.type, "kind": v.kind, "measure": v.level})
        for lg in langs:
            row[f"values_{lg}"] = _values(v, lg)
        row["integer_codes"] = "; ".join(f"{i} = {code}" for code, i in integer_codes(v).items()) if is_coded(v) else ""
        row.update(
            {
                "missing": _missing(v),
                "reverse": v.reverse,
                "required": v.required,
                "visible_if": display_condition(screen_if, question_if),
                "min": _number(v.min),
                "max": _number(v.max),
                "scale": v.scale or "",
                "survey": q.survey,
                "version": q.version,
                "sha256": q.sha256,
            }
        )
        if randomised:
            row["randomised"] = randomised.get(v.name, "")
        rows.append(row)
    frame = pd.DataFrame(rows)
    for fmt in ("sav", "dta"):  # only when a name had to change
        names = format_names(list(frame["variable"]), fmt)
        if any(new != name for name, new in names.items()):
            frame.insert(1, f"{fmt}_name", [names[name] for name in frame["variable"]])
    return frame


def write_codebook(
    q: Questionnaire,
    path: str | os.PathLike[str] | IO[bytes],
    *,
    format: str = "csv",
    lang: str | None = None,
    weighted: bool = False,
) -> None:
    """Write :func:`codebook` as CSV (UTF-8 with BOM, for Excel) or as one self-contained HTML page.

    Text cells of the CSV that start with ``=``, ``+``, ``-``, ``@``, tab or CR
    get a leading ``'``, as in :func:`surveykit.export.export`.

    Parameters
    ----------
    q
        The questionnaire.
    path
        A file path or a binary buffer.
    format
        ``csv`` or ``html``.
    lang
        One language only; by default all of the survey's languages.  The
        HTML page is in this language (default: the survey's first).
    weighted
        Include the ``weight`` column's entry, as :func:`codebook`.
    """
    frame = codebook(q, lang, weighted=weighted)
    if format == "csv":
        text = frame.select_dtypes(
            exclude="number"
        ).columns  # as in data exports: no cell a spreadsheet takes for a formula
        frame[text] = frame[text].map(lambda v: escape_formula(v) if isinstance(v, str) else v)
        data = frame.to_csv(index=False).encode("utf-8-sig")
    elif format == "html":
        data = _html(q, frame, language(q, lang)).encode("utf-8")
    else:
        raise ExportError(f"codebook format {format!r} is not supported (supported: csv, html)")
    if hasattr(path, "write"):
        path.write(data)  # type: ignore[union-attr]
    else:
        with open(path, "wb") as fh:  # type: ignore[arg-type]
            fh.write(data)


_HTML_LANG = {"zh": "zh-Hans"}
_CSS = """body{font-family:system-ui,-apple-system,"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:1rem;color:#1a1a1a}
table{border-collapse:collapse;font-size:.85rem}th,td{border:1px solid #767676;padding:.25rem .4rem;vertical-align:top;text-align:left}
th{background:#f0f0f0;position:sticky;top:0}td.values{white-space:pre-line}code{font-size:.85rem}"""


def _html(q: Questionnaire, frame: pd.DataFrame, lang: str) -> str:
    esc = html.escape
    head = "".join(
        f'<th scope="col">{esc(str(c))}</th>' for c in frame.columns if c not in ("survey", "version", "sha256")
    )
    body = []
    for record in frame.to_dict("records"):
        cells = []
        for column, value in record.items():
            if column in ("survey", "version", "sha256"):
                continue
            text = "" if value is None or (isinstance(value, float) and value != value) else str(value)
            if column.startswith("values_") or column == "integer_codes":
                cells.append(f'<td class="values">{esc(text.replace("; ", chr(10)))}</td>')
            else:
                cells.append(f"<td>{esc(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    title = q.title.best(lang)
    return (
        f'<!DOCTYPE html>\n<html lang="{_HTML_LANG.get(lang, lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)} – codebook</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{esc(title)}</h1>\n<p>Codebook of <code>{esc(q.survey)}</code> version {q.version}, "
        f"questionnaire sha256 <code>{esc(q.sha256)}</code>, {len(frame)} variables.</p>\n"
        f"<p>Missing values: {esc(MISSING_NOTE)} {SKIPPED_SAV} / .{SKIPPED_DTA} = {esc(builtin(SKIPPED, lang))}; "
        f"{NOT_ANSWERED_SAV} / .{NOT_ANSWERED_DTA} = {esc(builtin(NOT_ANSWERED, lang))}.</p>\n"
        + (f"<p>Randomisation: {esc(ORDER_NOTE)}</p>\n" if is_randomised(q) else "")
        + f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(body)
        + "\n</tbody>\n</table>\n</body>\n</html>\n"
    )
