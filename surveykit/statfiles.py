"""SPSS (``.sav``) and Stata (``.dta``) files of a response table, written through pyreadstat.

:func:`write_sav` and :func:`write_dta` turn a frame prepared by
:func:`surveykit.coercion.prepare_frame` into a labelled file: codes numbered 1..n in declared order
with value labels, labels and names cut or changed to each format's limits (every change reported),
and skipped-by-logic told apart from not-answered as user-missing (SPSS) or extended missing
(Stata) values. These are apart from :mod:`surveykit.export` because they change with pyreadstat
and the two formats' limits, which CSV, XLSX and Parquet do not have; :func:`surveykit.export.export`
is the one entry point and calls them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from surveykit.codebook import (
    NOT_ANSWERED,
    NOT_ANSWERED_DTA,
    NOT_ANSWERED_SAV,
    SKIPPED,
    SKIPPED_DTA,
    SKIPPED_SAV,
    builtin,
    conditions,
    format_names,
    has_missing_codes,
    integer_codes,
    is_coded,
    sav_missing_codes,
)
from surveykit.coercion import is_text
from surveykit.model import Questionnaire, Variable

__all__ = ["write_dta", "write_sav"]

# Limits measured with pyreadstat 1.3.7 (labels past them are cut silently, or fail):
SAV_VARIABLE_LABEL_BYTES = 256
SAV_VALUE_LABEL_BYTES = 120
SAV_FILE_LABEL_BYTES = 64
DTA_VARIABLE_LABEL_CHARS = 80  # longer raises "A provided label is too long"
DTA_VALUE_LABEL_BYTES = 32000  # cut mid-character by ReadStat, which then cannot read it back
DTA_FILE_LABEL_CHARS = 80


def write_sav(
    frame: pd.DataFrame, variables: dict[str, Variable], q: Questionnaire, lang: str, target: Any, notes: list[str]
) -> None:
    """SPSS ``.sav`` (Unicode) of a prepared frame to a path or a binary buffer; changes go to ``notes``."""
    _via_path(lambda path: _write_sav(frame, variables, q, lang, path, notes), target, "sav")


def write_dta(
    frame: pd.DataFrame, variables: dict[str, Variable], q: Questionnaire, lang: str, target: Any, notes: list[str]
) -> None:
    """Stata ``.dta`` (format 118) of a prepared frame to a path or a binary buffer; changes go to ``notes``."""
    _via_path(lambda path: _write_dta(frame, variables, q, lang, path, notes), target, "dta")


# -- which answers were shown ------------------------------------------------------------------------


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
    if not is_text(series):
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
