"""A response table brought to the dtypes its codebook declares, for writing and for reading back.

:func:`prepare_frame` gives :func:`surveykit.export.export` the frame in codebook order with codebook
dtypes (extra columns last) and refuses values that do not fit their variable's kind;
:func:`coerce_column` does it for one column, also for :func:`surveykit.export.read_table`.
It is apart from the writers because every format shares it and it changes with the codebook's
kinds, not with any file format; :mod:`surveykit.export` and :mod:`surveykit.statfiles` import it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveykit.codebook import ExportError
from surveykit.model import Questionnaire, Variable
from surveykit.weights import WEIGHT_COLUMN, weight_variable

__all__ = ["coerce_column", "is_text", "prepare_frame"]


def is_text(series: pd.Series) -> bool:
    return bool(pd.api.types.is_string_dtype(series) or series.dtype == object)


def prepare_frame(df: pd.DataFrame, q: Questionnaire, notes: list[str]) -> tuple[pd.DataFrame, dict[str, Variable]]:
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
    columns = {name: coerce_column(df[name], v) for name, v in variables.items()}
    for name in extra:
        columns[str(name)] = _coerce_extra(df[name])
    return pd.DataFrame(columns, index=pd.RangeIndex(len(df))), variables


def coerce_column(series: pd.Series, v: Variable) -> pd.Series:
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
