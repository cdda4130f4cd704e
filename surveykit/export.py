"""Export the response table to CSV, XLSX, SPSS, Stata and Parquet, with labels.

One entry point, :func:`export`, writes a response frame (columns
``q.columns()``, as :func:`surveykit.simulate.simulate`, ``surveykit simulate``
and :func:`surveykit.storage.responses_frame` give it) in the format an
analyst asks for, with variable and value labels in one language taken from
:meth:`Questionnaire.variables`.  :func:`read_table` reads a CSV or Parquet
response file back with the dtypes the codebook declares.

What each format gets:

* ``csv`` – UTF-8 with a byte-order mark (Excel then opens Chinese correctly),
  codes as written in the questionnaire, missing as an empty field.
* ``xlsx`` – a ``data`` sheet (codes) with a frozen header and a ``codebook``
  sheet.  The workbook is written by this module rather than cell by cell
  through openpyxl: openpyxl's write-only mode measured about 350 s for a
  million rows of 46 columns, the column-wise writer here a few seconds;
  openpyxl and pandas read the result.
* ``sav`` (SPSS, Unicode) and ``dta`` (Stata 14+, format 118) – through
  pyreadstat.  Codes become the integers 1..n in declared order with value
  labels (pyreadstat loses value labels of long string values); measurement
  levels in ``.sav``; skipped-by-logic and not-answered become user-missing
  -1/-2 (SPSS) or extended missing ``.a``/``.b`` (Stata), both labelled.
* ``parquet`` – the table as it is, labels as per-field metadata and the
  whole codebook under the file-level key ``surveykit``.

Nothing is cut or renamed silently: labels past a format's limit are cut on
a character boundary and every such change is reported as an
:class:`ExportWarning` naming the variables; the codebook keeps the full text.

This module holds the entry points and the CSV, XLSX and Parquet writers.
Bringing a frame to the codebook's dtypes, which every format and
:func:`read_table` share, is in :mod:`surveykit.coercion`; the SPSS and
Stata writers, with their labels, names and missing codes cut to each
format's limits, are in :mod:`surveykit.statfiles`.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from surveykit.cells import escape_formulas, unescape_formulas
from surveykit.codebook import MISSING_NOTE, ExportError, codebook, language
from surveykit.coercion import coerce_column, is_text, prepare_frame
from surveykit.model import Questionnaire, Variable
from surveykit.statfiles import write_dta, write_sav
from surveykit.weights import WEIGHT_COLUMN
from surveykit.xlsx import XLSX_MAX_ROWS, write_xlsx

__all__ = ["FORMATS", "ExportError", "ExportWarning", "export", "read_table"]

FORMATS = ("csv", "xlsx", "sav", "dta", "parquet")


class ExportWarning(UserWarning):
    """A change an export had to make: a cut label, a renamed variable, an undeclared code..."""


def export(
    df: pd.DataFrame,
    q: Questionnaire,
    path_or_buffer: str | os.PathLike[str] | IO[bytes],
    *,
    format: str,
    lang: str | None = None,
) -> list[str]:
    """Write responses in an analyst's format, with labels from the questionnaire.

    Parameters
    ----------
    df
        The response table: every column of ``q.columns()``; further columns
        are exported after them without labels (with a warning).
    q
        The questionnaire the responses answer.
    path_or_buffer
        A file path or a binary buffer.
    format
        ``csv``, ``xlsx``, ``sav``, ``dta`` or ``parquet``.
    lang
        Language of the variable and value labels (default: the survey's first).

    Returns
    -------
    list of str
        The warnings, also emitted as :class:`ExportWarning`.

    Raises
    ------
    ExportError
        Unknown format or language, columns of ``q`` missing from ``df``, a
        value that does not fit its variable's kind, more rows than XLSX holds.

    Notes
    -----
    Missing answers stay missing, never 0 or "".  For SPSS and Stata an answer
    missing because the question was not shown — its ``visible_if`` or its
    screen's ``visible_if`` is not known to hold for that row
    (:meth:`Condition.evaluate_frame`) — is told apart from one that was
    shown and not answered; see :data:`surveykit.codebook.MISSING_NOTE`.
    Strings beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return get a leading ``'`` in CSV and XLSX (spreadsheet formula
    injection); the other formats keep text verbatim.

    Examples
    --------
    >>> from surveykit import load_questionnaire
    >>> from surveykit.simulate import simulate
    >>> q = load_questionnaire("questionnaires/servqual.yaml")  # doctest: +SKIP
    >>> export(simulate(q, 100), q, "survey.sav", format="sav", lang="en")  # doctest: +SKIP
    []
    """
    if format not in FORMATS:
        raise ExportError(f"export format {format!r} is not supported (supported: {', '.join(FORMATS)})")
    lang = language(q, lang)
    notes: list[str] = []
    frame, variables = prepare_frame(df, q, notes)
    writer: Callable[..., None] = {
        "csv": _write_csv,
        "xlsx": _write_xlsx,
        "sav": write_sav,
        "dta": write_dta,
        "parquet": _write_parquet,
    }[format]
    writer(frame, variables, q, lang, path_or_buffer, notes)
    for message in notes:
        warnings.warn(message, ExportWarning, stacklevel=2)
    return notes


def read_table(path: str | os.PathLike[str], q: Questionnaire, *, unescape: bool = False) -> pd.DataFrame:
    """Read a CSV or Parquet response file with the dtypes of the codebook.

    Codes stay strings even when they look numeric (``"01"`` stays ``"01"``),
    numeric variables are float64, datetimes naive datetime64, dates ISO
    strings, and only an empty field is missing (``NA`` is text).

    Parameters
    ----------
    path
        ``.csv`` (UTF-8, with or without a byte-order mark) or ``.parquet``.
    q
        The questionnaire; columns it does not know are kept as read.
    unescape
        Remove the ``'`` that :func:`export` puts before ``=``, ``+``, ``-``,
        ``@``, tab and CR in CSV files, so that such an export reads back equal.
    """
    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        raw = pd.read_parquet(path)
    elif suffix in (".csv", ".txt"):
        raw = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False, na_values=[""])
    else:
        raise ExportError(f"{path}: read a .csv or .parquet file")
    known = {v.name: v for v in q.variables()}
    columns = {}
    for name in raw.columns:
        series = coerce_column(raw[name], known[name]) if name in known else raw[name]
        if unescape and is_text(series):
            series = unescape_formulas(series)
        columns[name] = series
    order = [c for c in q.columns() if c in columns] + [c for c in raw.columns if c not in known]
    return pd.DataFrame({c: columns[c] for c in order}, index=pd.RangeIndex(len(raw)))


# -- Parquet and CSV ---------------------------------------------------------------------------------


def _field_metadata(v: Variable, lang: str) -> dict[bytes, bytes]:
    values = {str(code): text.best(lang) for code, text in v.value_labels}
    return {
        b"label": v.label.best(lang).encode(),
        b"measure": v.level.encode(),
        b"kind": v.kind.encode(),
        b"value_labels": json.dumps(values, ensure_ascii=False).encode(),
    }


def _survey_metadata(q: Questionnaire, lang: str, weighted: bool = False) -> bytes:
    book = codebook(q, weighted=weighted)
    book = book.astype(object).where(book.notna(), None)
    return json.dumps(
        {
            "survey": q.survey,
            "version": q.version,
            "sha256": q.sha256,
            "title": q.title.as_dict(),
            "languages": list(q.languages),
            "label_language": lang,
            "missing": MISSING_NOTE,
            "codebook": book.to_dict("records"),
        },
        ensure_ascii=False,
        default=lambda value: value.item() if hasattr(value, "item") else str(value),
    ).encode()


def _write_parquet(
    frame: pd.DataFrame, variables: dict[str, Variable], q: Questionnaire, lang: str, target: Any, notes: list[str]
) -> None:
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    fields = [
        f.with_metadata(_field_metadata(variables[f.name], lang)) if f.name in variables else f for f in table.schema
    ]
    metadata = dict(table.schema.metadata or {})
    metadata[b"surveykit"] = _survey_metadata(q, lang, WEIGHT_COLUMN in variables)
    pq.write_table(pa.Table.from_arrays(table.columns, schema=pa.schema(fields, metadata=metadata)), target)


def _timestamp_text(array: pa.Array) -> pa.Array:
    """ISO text, with fractions of a second only where there are any."""
    seconds = array.cast(pa.timestamp("s"), safe=False)
    exact = pc.all(pc.equal(seconds.cast(array.type), array)).as_py() is not False
    return pc.strftime(seconds if exact else array, format="%Y-%m-%d %H:%M:%S")


def _write_csv(
    frame: pd.DataFrame, variables: dict[str, Variable], q: Questionnaire, lang: str, target: Any, notes: list[str]
) -> None:
    import pyarrow.csv as pcsv

    table = pa.Table.from_pandas(frame, preserve_index=False)
    arrays = []
    for field, column in zip(table.schema, table.columns, strict=True):
        if pa.types.is_string(field.type) or pa.types.is_large_string(field.type):
            column = escape_formulas(column.combine_chunks())
        elif pa.types.is_timestamp(field.type):
            column = _timestamp_text(column.combine_chunks())
        arrays.append(column)
    table = pa.Table.from_arrays(arrays, names=table.column_names)
    if hasattr(target, "write"):
        target.write(b"\xef\xbb\xbf")
        pcsv.write_csv(table, target)
    else:
        with open(target, "wb") as fh:
            fh.write(b"\xef\xbb\xbf")
            pcsv.write_csv(table, fh)


def _write_xlsx(
    frame: pd.DataFrame, variables: dict[str, Variable], q: Questionnaire, lang: str, target: Any, notes: list[str]
) -> None:
    if len(frame) + 1 > XLSX_MAX_ROWS:
        raise ExportError(
            f"XLSX holds at most {XLSX_MAX_ROWS - 1:,} data rows; this table has {len(frame):,} "
            "(export csv, sav, dta or parquet instead)"
        )
    book = codebook(q, weighted=WEIGHT_COLUMN in variables)
    dates = {name for name, v in variables.items() if v.kind == "date"}
    write_xlsx(
        target,
        [("data", frame, dates, True), ("codebook", book.astype({"reverse": str, "required": str}), set(), True)],
        notes,
    )
