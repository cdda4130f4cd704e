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
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from surveykit.cells import escape_formulas, unescape_formulas
from surveykit.codebook import (
    MISSING_NOTE,
    NOT_ANSWERED,
    NOT_ANSWERED_DTA,
    NOT_ANSWERED_SAV,
    SKIPPED,
    SKIPPED_DTA,
    SKIPPED_SAV,
    ExportError,
    builtin,
    codebook,
    conditions,
    format_names,
    has_missing_codes,
    integer_codes,
    is_coded,
    language,
    sav_missing_codes,
)
from surveykit.model import Questionnaire, Variable
from surveykit.weights import WEIGHT_COLUMN, weight_variable
from surveykit.xlsx import XLSX_MAX_ROWS, write_xlsx

__all__ = ["FORMATS", "ExportError", "ExportWarning", "export", "read_table"]

FORMATS = ("csv", "xlsx", "sav", "dta", "parquet")
# Limits measured with pyreadstat 1.3.7 (labels past them are cut silently, or fail):
SAV_VARIABLE_LABEL_BYTES = 256
SAV_VALUE_LABEL_BYTES = 120
SAV_FILE_LABEL_BYTES = 64
DTA_VARIABLE_LABEL_CHARS = 80  # longer raises "A provided label is too long"
DTA_VALUE_LABEL_BYTES = 32000  # cut mid-character by ReadStat, which then cannot read it back
DTA_FILE_LABEL_CHARS = 80


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
    frame, variables = _prepare(df, q, notes)
    writer: Callable[..., None] = {
        "csv": _write_csv,
        "xlsx": _write_xlsx,
        "sav": _write_sav,
        "dta": _write_dta,
        "parquet": _write_parquet,
    }[format]
    if format in ("sav", "dta"):
        _via_path(lambda path: writer(frame, variables, q, lang, path, notes), path_or_buffer, format)
    else:
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
        series = _coerce(raw[name], known[name]) if name in known else raw[name]
        if unescape and _is_text(series):
            series = unescape_formulas(series)
        columns[name] = series
    order = [c for c in q.columns() if c in columns] + [c for c in raw.columns if c not in known]
    return pd.DataFrame({c: columns[c] for c in order}, index=pd.RangeIndex(len(raw)))


# -- preparing the frame -------------------------------------------------------------------------


def _is_text(series: pd.Series) -> bool:
    return bool(pd.api.types.is_string_dtype(series) or series.dtype == object)


def _prepare(df: pd.DataFrame, q: Questionnaire, notes: list[str]) -> tuple[pd.DataFrame, dict[str, Variable]]:
    """The frame in codebook order with codebook dtypes; unknown columns last."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"export needs a pandas DataFrame, not {type(df).__name__}")
    if df.columns.duplicated().any():
        raise ExportError(f"duplicate column names: {', '.join(map(str, df.columns[df.columns.duplicated()]))}")
    variables = {v.name: v for v in q.variables()}
    lacking = [name for name in variables if name not in df.columns]
    if WEIGHT_COLUMN in df.columns and WEIGHT_COLUMN not in variables:  # survey weights: labelled, not "extra"
        variables[WEIGHT_COLUMN] = weight_variable()
    if lacking:
        raise ExportError(f"the frame lacks {len(lacking)} column(s) of {q.survey} v{q.version}: {', '.join(lacking)}")
    extra = [c for c in df.columns if c not in variables]
    if extra:
        notes.append(
            f"{len(extra)} column(s) not in the codebook are exported without labels: {', '.join(map(str, extra))}"
        )
    columns = {name: _coerce(df[name], v) for name, v in variables.items()}
    for name in extra:
        columns[str(name)] = _coerce_extra(df[name])
    return pd.DataFrame(columns, index=pd.RangeIndex(len(df))), variables


def _coerce(series: pd.Series, v: Variable) -> pd.Series:
    """One column with the dtype its codebook entry declares; missing stays missing."""
    series = series.reset_index(drop=True)
    if v.kind == "numeric":
        if pd.api.types.is_bool_dtype(series):
            return series.astype("float64")
        values = pd.to_numeric(series, errors="coerce")
        bad = values.isna() & series.notna()
        if bad.any():
            raise ExportError(
                f"column {v.name!r} is numeric but holds {series[bad].iloc[0]!r} ({int(bad.sum())} value(s) in all)"
            )
        return values.astype("float64")
    if v.kind == "datetime":
        if pd.api.types.is_datetime64_any_dtype(series):
            values = series
        else:
            values = pd.to_datetime(
                series.where(series.notna() & (series.astype(str) != "")), errors="coerce", format="ISO8601"
            )
            bad = values.isna() & series.notna() & (series.astype(str) != "")
            if bad.any():
                raise ExportError(f"column {v.name!r} holds {series[bad].iloc[0]!r}, which is not an ISO date-time")
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert("UTC").dt.tz_localize(None)
        return values.astype("datetime64[us]")  # pyreadstat writes datetime64[s] as 1970-01-01
    if v.kind == "date" and pd.api.types.is_datetime64_any_dtype(series):
        return series.dt.strftime("%Y-%m-%d").astype("str")
    if pd.api.types.is_float_dtype(series):  # codes read as numbers: 1.0 -> "1"
        whole = series.notna() & (series == np.floor(series))
        text = series.astype(object).where(~whole, series.where(whole).astype("Int64").astype(object))
        series = text.where(series.notna())
    values = series.astype("str")
    return values.mask(values == "")


def _coerce_extra(series: pd.Series) -> pd.Series:
    series = series.reset_index(drop=True)
    if pd.api.types.is_bool_dtype(series):
        return series.astype("float64")
    if pd.api.types.is_numeric_dtype(series):
        return series.astype("float64")
    if pd.api.types.is_datetime64_any_dtype(series):
        if getattr(series.dt, "tz", None) is not None:
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        return series.astype("datetime64[us]")
    values = series.astype("str")
    return values.mask(values == "")


def _shown(frame: pd.DataFrame, q: Questionnaire) -> dict[str, np.ndarray]:
    """Answer column -> rows in which its question was shown (only for conditional questions)."""
    out: dict[str, np.ndarray] = {}
    cache: dict[int, np.ndarray] = {}

    def holds(cond: Any) -> np.ndarray:
        if id(cond) not in cache:
            cache[id(cond)] = np.asarray(cond.evaluate_frame(frame), bool)
        return cache[id(cond)]

    for name, (screen_if, question_if, _) in conditions(q).items():
        if screen_if is None and question_if is None:
            continue
        shown = np.ones(len(frame), bool)
        for cond in (screen_if, question_if):
            if cond is not None:
                shown = shown & holds(cond)
        out[name] = shown
    return out


# -- labels and names ------------------------------------------------------------------------------


def _cut_bytes(text: str, limit: int) -> tuple[str, bool]:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text, False
    return data[: limit - 3].decode("utf-8", "ignore") + "…", True


def _cut_chars(text: str, limit: int) -> tuple[str, bool]:
    return (text, False) if len(text) <= limit else (text[: limit - 1] + "…", True)


def _names(columns: list[str], fmt: str, notes: list[str]) -> dict[str, str]:
    """Column -> the name written to a ``sav``/``dta`` file; changes are reported."""
    out = format_names(columns, fmt)
    changed = [f"{name} -> {new}" for name, new in out.items() if new != name]
    if changed:
        notes.append(
            f"{fmt}: {len(changed)} variable name(s) changed to fit the format "
            f"(the codebook lists both): {', '.join(changed)}"
        )
    return out


class _Labels:
    """Variable and value labels cut to a format's limits, with the cuts recorded per variable."""

    def __init__(
        self,
        fmt: str,
        variable_cut: Callable[[str], tuple[str, bool]],
        value_cut: Callable[[str], tuple[str, bool]],
        variable_limit: str,
        value_limit: str,
    ) -> None:
        self.fmt, self.variable_cut, self.value_cut = fmt, variable_cut, value_cut
        self.variable_limit, self.value_limit = variable_limit, value_limit
        self.cut_variables: list[str] = []
        self.cut_values: list[str] = []

    def variable(self, name: str, text: str) -> str:
        text, cut = self.variable_cut(text)
        if cut:
            self.cut_variables.append(name)
        return text

    def values(self, name: str, labels: dict[Any, str]) -> dict[Any, str]:
        out, cut = {}, 0
        for code, text in labels.items():
            out[code], was_cut = self.value_cut(text)
            cut += was_cut
        if cut:
            self.cut_values.append(f"{name} ({cut})")
        return out

    def report(self, notes: list[str]) -> None:
        if self.cut_variables:
            notes.append(
                f"{self.fmt}: variable labels cut to {self.variable_limit} for {len(self.cut_variables)} "
                f"variable(s): {', '.join(self.cut_variables)} (the codebook keeps the full text)"
            )
        if self.cut_values:
            notes.append(
                f"{self.fmt}: value labels cut to {self.value_limit} for {len(self.cut_values)} "
                f"variable(s) (number of labels): {', '.join(self.cut_values)} (the codebook keeps the full text)"
            )


def _integers(series: pd.Series, v: Variable, fmt: str, notes: list[str]) -> tuple[np.ndarray, dict[int, str]]:
    """Codes -> 1..n in declared order (float, NaN where missing); undeclared codes numbered after them."""
    codes = list(integer_codes(v))
    positions = pd.Index(codes, dtype=object).get_indexer(series.astype(object))
    unknown = (positions == -1) & series.notna().to_numpy()
    extra: dict[int, str] = {}
    if unknown.any():
        new = sorted(set(series[unknown]))
        extra = {len(codes) + i: str(code) for i, code in enumerate(new, start=1)}
        positions = pd.Index(codes + new, dtype=object).get_indexer(series.astype(object))
        notes.append(
            f"{fmt}: {v.name}: code(s) not declared in the questionnaire numbered after the declared ones: "
            + ", ".join(f"{code!r} = {i}" for i, code in extra.items())
        )
    numbers = positions.astype("float64") + 1
    numbers[positions == -1] = np.nan
    return numbers, extra


def _dates(series: pd.Series, name: str, fmt: str, notes: list[str]) -> pd.Series:
    """ISO date strings -> ``datetime.date`` objects (pyreadstat writes them as SPSS DATE / Stata %td)."""
    parsed = pd.to_datetime(series, format="%Y-%m-%d", errors="coerce")
    bad = parsed.isna() & series.notna()
    if bad.any():
        notes.append(
            f"{fmt}: {name}: {int(bad.sum())} value(s) that are not ISO dates written as missing, "
            f"e.g. {series[bad].iloc[0]!r}"
        )
    return pd.Series(np.where(parsed.isna(), None, parsed.dt.date.to_numpy(dtype=object)), dtype=object)


# -- SPSS and Stata ----------------------------------------------------------------------------------


def _plain(series: pd.Series, missing: str | None = None) -> pd.Series:
    """Text as a NumPy object column: pyreadstat walks cells one by one, and Arrow-backed ones are slow to walk."""
    if not _is_text(series):
        return series
    return pd.Series(series.to_numpy(dtype=object, na_value=missing), dtype=object)


def _via_path(write: Callable[[str], None], target: Any, fmt: str) -> None:
    """pyreadstat writes to paths only: go through a temporary file for a buffer."""
    if not hasattr(target, "write"):
        write(os.fspath(target))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, f"export.{fmt}")
        write(path)
        with open(path, "rb") as fh:
            shutil.copyfileobj(fh, target)


def _write_sav(
    frame: pd.DataFrame, variables: dict[str, Variable], q: Questionnaire, lang: str, path: str, notes: list[str]
) -> None:
    import pyreadstat

    labels = _Labels(
        "sav",
        lambda t: _cut_bytes(t, SAV_VARIABLE_LABEL_BYTES),
        lambda t: _cut_bytes(t, SAV_VALUE_LABEL_BYTES),
        f"{SAV_VARIABLE_LABEL_BYTES} bytes",
        f"{SAV_VALUE_LABEL_BYTES} bytes",
    )
    names = _names(list(frame.columns), "sav", notes)
    shown = _shown(frame, q)
    skipped_label, not_answered_label = builtin(SKIPPED, lang), builtin(NOT_ANSWERED, lang)
    data: dict[str, Any] = {}
    column_labels: dict[str, str | None] = {}
    value_labels: dict[str, dict[Any, str]] = {}
    missing_ranges: dict[str, list[Any]] = {}
    measure: dict[str, str] = {}
    formats: dict[str, str] = {}
    for column in frame.columns:
        name, series, v = names[column], frame[column], variables.get(column)
        if v is None:
            data[name] = _plain(series)
            measure[name] = "scale" if pd.api.types.is_numeric_dtype(series) else "nominal"
            continue
        column_labels[name] = labels.variable(name, v.label.best(lang))
        measure[name] = v.level if v.kind != "string" or is_coded(v) else "nominal"
        value_map: dict[Any, str] = {}
        if is_coded(v):
            values, extra = _integers(series, v, "sav", notes)
            value_map = {i: text.best(lang) for i, (_, text) in enumerate(v.value_labels, start=1)} | extra
        elif v.kind == "numeric":
            values = series.to_numpy(dtype="float64", copy=True)
            value_map = {code: text.best(lang) for code, text in v.value_labels}
        elif v.kind == "date":
            data[name] = _dates(series, name, "sav", notes)
            continue
        else:
            data[name] = _plain(series)
            continue
        if sav_missing_codes(v):
            missing = np.isnan(values)
            seen = shown.get(column)
            values[missing] = NOT_ANSWERED_SAV
            if seen is not None:
                values[missing & ~seen] = SKIPPED_SAV
            value_map |= {SKIPPED_SAV: skipped_label, NOT_ANSWERED_SAV: not_answered_label}
            missing_ranges[name] = [SKIPPED_SAV, NOT_ANSWERED_SAV]
        finite = values[~np.isnan(values)]
        if np.array_equal(finite, np.floor(finite)):
            formats[name] = "F8.0"
        data[name] = values
        if value_map:
            value_labels[name] = labels.values(name, value_map)
    title, cut = _cut_bytes(q.title.best(lang), SAV_FILE_LABEL_BYTES)
    if cut:
        notes.append(f"sav: the file label (survey title) was cut to {SAV_FILE_LABEL_BYTES} bytes: {title!r}")
    labels.report(notes)
    note = [
        _cut_bytes(line, 80)[0]
        for line in (  # SPSS document lines hold 80 bytes
            f"surveykit {q.survey} v{q.version}",
            f"sha256 {q.sha256}",
            f"missing: {SKIPPED_SAV} = not shown (skip logic), {NOT_ANSWERED_SAV} = not answered",
        )
    ]
    pyreadstat.write_sav(
        pd.DataFrame(data),
        path,
        file_label=title,
        column_labels=column_labels,
        variable_value_labels=value_labels,
        missing_ranges=missing_ranges,
        variable_measure=measure,
        variable_format=formats,
        note=note,
        row_compress=True,
    )  # SPSS's own default: a third of the size, any SPSS reads it


def _write_dta(
    frame: pd.DataFrame, variables: dict[str, Variable], q: Questionnaire, lang: str, path: str, notes: list[str]
) -> None:
    import pyreadstat

    labels = _Labels(
        "dta",
        lambda t: _cut_chars(t, DTA_VARIABLE_LABEL_CHARS),
        lambda t: _cut_bytes(t, DTA_VALUE_LABEL_BYTES),
        f"{DTA_VARIABLE_LABEL_CHARS} characters",
        f"{DTA_VALUE_LABEL_BYTES} bytes",
    )
    names = _names(list(frame.columns), "dta", notes)
    shown = _shown(frame, q)
    skipped_label, not_answered_label = builtin(SKIPPED, lang), builtin(NOT_ANSWERED, lang)
    data: dict[str, Any] = {}
    column_labels: dict[str, str | None] = {}
    value_labels: dict[str, dict[Any, str]] = {}
    missing_user: dict[str, list[str]] = {}
    for column in frame.columns:
        name, series, v = names[column], frame[column], variables.get(column)
        if v is None:
            data[name] = _plain(series, "")
            continue
        column_labels[name] = labels.variable(name, v.label.best(lang))
        value_map: dict[Any, str] = {}
        if is_coded(v):
            values, extra = _integers(series, v, "dta", notes)
            value_map = {i: text.best(lang) for i, (_, text) in enumerate(v.value_labels, start=1)} | extra
        elif v.kind == "numeric":
            values = series.to_numpy(dtype="float64")
            value_map = {code: text.best(lang) for code, text in v.value_labels}
        elif v.kind == "date":
            data[name] = _dates(series, name, "dta", notes)
            continue
        elif v.kind == "datetime":
            data[name] = series
            continue
        else:  # Stata has no missing string; and pyreadstat fails on missing cells of strL columns
            data[name] = _plain(series, "")
            continue
        if has_missing_codes(v):
            missing = np.isnan(values)
            value_map |= {SKIPPED_DTA: skipped_label, NOT_ANSWERED_DTA: not_answered_label}
            missing_user[name] = [SKIPPED_DTA, NOT_ANSWERED_DTA]
            if missing.any():
                seen = shown.get(column)
                cells = values.astype(object)
                cells[missing] = NOT_ANSWERED_DTA
                if seen is not None:
                    cells[missing & ~seen] = SKIPPED_DTA
                values = cells
        data[name] = values
        if value_map:
            value_labels[name] = labels.values(name, value_map)
    title, cut = _cut_chars(q.title.best(lang), DTA_FILE_LABEL_CHARS)
    if cut:
        notes.append(f"dta: the data label (survey title) was cut to {DTA_FILE_LABEL_CHARS} characters: {title!r}")
    labels.report(notes)
    pyreadstat.write_dta(
        pd.DataFrame(data),
        path,
        version=14,
        file_label=title,
        column_labels=column_labels,
        variable_value_labels=value_labels,
        missing_user_values=missing_user,
    )


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
    for field, column in zip(table.schema, table.columns):
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
