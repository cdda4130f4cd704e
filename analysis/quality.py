"""Response quality: straight-lining, long strings, speeders, duplicates; input checks.

Two jobs that both guard the analysis against bad data: per-respondent flags for careless or
repeated responses (:func:`flags` and its parts), and :func:`numeric_columns`, the check every
analysis function runs on the columns it is given so that bad input fails with a message that
names the column instead of producing NaN further down.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "QualityResult",
    "duplicates",
    "flags",
    "long_string",
    "numeric_columns",
    "require_columns",
    "require_variance",
    "speeders",
    "straightlining",
]


def require_columns(df: pd.DataFrame, columns: Sequence[str]) -> None:
    """Raise a TypeError if ``df`` is no DataFrame, a ValueError naming the first unknown column."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")
    for col in columns:
        if col not in df.columns:
            close = difflib.get_close_matches(str(col), [str(c) for c in df.columns], n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"column {col!r} not found in the data{hint}")


def numeric_columns(df: pd.DataFrame, columns: Sequence[str], *, min_rows: int = 1) -> pd.DataFrame:
    """Return the named columns as float64, or raise a ValueError naming the bad column.

    Parameters
    ----------
    df : DataFrame
        One row per response.
    columns : sequence of str
        Columns that must hold numbers. Missing values (NaN/None) are allowed.
    min_rows : int
        Each column needs at least this many non-missing values.

    Returns
    -------
    DataFrame
        The columns converted to float64, same index as ``df``.

    Raises
    ------
    ValueError
        Unknown column (with the closest name as a hint), a non-numeric entry (the value and its
        row label are quoted), a boolean column, an all-missing column, or fewer than ``min_rows``
        values.

    Examples
    --------
    >>> numeric_columns(pd.DataFrame({"a": [1, 2, None]}), ["a"])["a"].tolist()
    [1.0, 2.0, nan]
    """
    require_columns(df, columns)
    out = {}
    for col in columns:
        s = df[col]
        if pd.api.types.is_bool_dtype(s):
            raise ValueError(f"column {col!r} holds True/False values, not numbers")
        if not pd.api.types.is_numeric_dtype(s):
            converted = pd.to_numeric(s, errors="coerce")
            bad = converted.isna() & s.notna()
            if bad.any():
                row = bad.idxmax()
                raise ValueError(f"column {col!r} holds a non-numeric value {s[row]!r} (row {row!r})")
            s = converted
        s = s.astype("float64")
        if np.isinf(s.to_numpy()).any():
            raise ValueError(f"column {col!r} holds an infinite value")
        n = int(s.notna().sum())
        if n == 0:
            raise ValueError(f"column {col!r} has no values (all missing)")
        if n < min_rows:
            raise ValueError(f"column {col!r} has {n} value(s); at least {min_rows} are needed")
        out[col] = s
    return pd.DataFrame(out, index=df.index)


def require_variance(frame: pd.DataFrame, what: str) -> None:
    """Raise a ValueError naming the first column of ``frame`` whose non-missing values are all equal.

    ``what`` says why variance is needed (e.g. "a regression predictor") and goes into the message.
    """
    for col in frame.columns:
        values = frame[col].dropna()
        if values.nunique() < 2:
            shown = f"every value is {values.iloc[0]:g}" if len(values) else "no values"
            raise ValueError(f"column {col!r} is constant ({shown}); {what} needs at least two distinct values")


def straightlining(df: pd.DataFrame, columns: Sequence[str], *, min_answered: int = 2) -> pd.Series:
    """Flag respondents who gave the identical answer to every answered item of a battery.

    Parameters
    ----------
    df : DataFrame
    columns : sequence of str
        The battery (e.g. the rows of one matrix question).
    min_answered : int
        A respondent is judged only if they answered at least this many items; fewer never flags.

    Returns
    -------
    Series of bool
        True where all answered items are equal.

    Notes
    -----
    Non-differentiation across a grid is the classic satisficing signature (Krosnick 1991).
    Answers are compared as given, so codes and numbers both work.

    References
    ----------
    .. [1] Krosnick, J. A. (1991). Response strategies for coping with the cognitive demands of
           attitude measures in surveys. Applied Cognitive Psychology, 5(3), 213-236.
           https://doi.org/10.1002/acp.2350050305
    """
    require_columns(df, columns)
    block = df[list(columns)]
    present = block.notna().to_numpy()
    numeric = all(pd.api.types.is_numeric_dtype(t) for t in block.dtypes)
    values = block.to_numpy(dtype=float if numeric else object)
    # every answered item equals the respondent's first answered item (vectorised, no row loop)
    first = values[np.arange(len(block)), present.argmax(axis=1)]
    same = ((values == first[:, None]) | ~present).all(axis=1)
    flag = same & (present.sum(axis=1) >= min_answered)
    return pd.Series(flag, index=df.index, name="straightlining")


def long_string(df: pd.DataFrame, columns: Sequence[str]) -> pd.Series:
    """Longest run of identical consecutive answers across ``columns`` (in the order given).

    Returns
    -------
    Series of int
        Per respondent; a missing answer breaks a run and counts as no run.

    Notes
    -----
    The long-string index of Johnson (2005), see also Curran (2016).

    References
    ----------
    .. [1] Johnson, J. A. (2005). Ascertaining the validity of individual protocols from Web-based
           personality inventories. Journal of Research in Personality, 39(1), 103-129.
           https://doi.org/10.1016/j.jrp.2004.09.009
    .. [2] Curran, P. G. (2016). Methods for the detection of carelessly invalid responses in survey
           data. Journal of Experimental Social Psychology, 66, 4-19.
           https://doi.org/10.1016/j.jesp.2015.07.006
    """
    require_columns(df, columns)
    block = df[list(columns)]
    longest = np.zeros(len(block), dtype=int)
    run = np.zeros(len(block), dtype=int)
    previous = None
    for col in block.columns:
        current = block[col]
        present = current.notna().to_numpy()
        if previous is None:
            same = np.zeros(len(block), dtype=bool)
        else:
            same = (current.to_numpy() == previous.to_numpy()) & present & previous.notna().to_numpy()
        run = np.where(same, run + 1, np.where(present, 1, 0))
        longest = np.maximum(longest, run)
        previous = current
    return pd.Series(longest, index=df.index, name="long_string")


def speeders(duration: pd.Series, *, fraction: float = 1 / 3) -> pd.Series:
    """Flag respondents whose duration is under ``fraction`` of the median duration.

    Missing durations are never flagged. The median is taken over the non-missing durations.
    A common rule in online panels flags completes faster than a third (or half) of the median
    (Greszki, Meyer & Schoen 2015).

    References
    ----------
    .. [1] Greszki, R., Meyer, M., & Schoen, H. (2015). Exploring the effects of removing "too fast"
           responses and respondents from web surveys. Public Opinion Quarterly, 79(2), 471-503.
           https://doi.org/10.1093/poq/nfu058
    """
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must be between 0 and 1, got {fraction!r}")
    name = duration.name if duration.name is not None else "duration"
    values = numeric_columns(duration.to_frame(name), [name])[name]
    if (values < 0).any():
        raise ValueError(f"column {name!r} holds a negative duration")
    cutoff = fraction * float(values.median())
    return (values < cutoff).rename("speeder")


def duplicates(df: pd.DataFrame, columns: Sequence[str], *, min_answered: int = 1) -> pd.Series:
    """Flag every repeat of an earlier row with the same values in ``columns`` (first one kept).

    Rows with fewer than ``min_answered`` values in ``columns`` are never flagged: empty
    responses are not copies of each other, and on a few answers honest respondents agree by
    chance (two customers who both rate a follow-up call 5), so an exact match is evidence of a
    copy only over many answers (Kuriakose & Robbins 2016 check matches over whole
    questionnaires).  With a single key column (an e-mail, an invitation token) this finds a
    respondent who answered twice.

    References
    ----------
    .. [1] Kuriakose, N., & Robbins, M. (2016). Don't get duped: Fraud through duplication in
           public opinion surveys. Statistical Journal of the IAOS, 32(3), 283-291.
           https://doi.org/10.3233/SJI-160978
    """
    require_columns(df, columns)
    block = df[list(columns)]
    few = block.notna().sum(axis=1) < max(1, min_answered)
    return (block.duplicated(keep="first") & ~few).rename("duplicate")


@dataclass(frozen=True, slots=True)
class QualityResult:
    """Boolean flags per respondent and how many respondents each flag marks."""

    flags: pd.DataFrame = field(compare=False)
    long_strings: pd.DataFrame = field(compare=False)
    long_string_min: Mapping[str, int]
    speed_cutoff_s: float | None

    def counts(self) -> pd.Series:
        """Number of flagged respondents per flag (and ``any``)."""
        return self.flags.sum().astype(int)

    def to_frame(self) -> pd.DataFrame:
        n = len(self.flags)
        counts = self.counts()
        pct = counts / n * 100 if n else counts * np.nan
        return pd.DataFrame({"flag": counts.index, "n_flagged": counts.to_numpy(), "pct": pct.to_numpy()})

    def summary(self) -> str:
        n = len(self.flags)
        lines = [f"Response quality: {n} responses"]
        for row in self.to_frame().itertuples(index=False):
            lines.append(f"  {row.flag:<32} {row.n_flagged:>6}  ({row.pct:.1f} %)")
        if self.speed_cutoff_s is not None:
            lines.append(f"  speeder cut-off: {self.speed_cutoff_s:.1f} s")
        return "\n".join(lines)


def _default_long_string_min(k: int) -> int:
    # Half the battery, but at least 5 in a row, and never more than the battery holds.
    return min(k, max(5, math.ceil(k / 2)))


def flags(
    df: pd.DataFrame,
    *,
    batteries: Mapping[str, Sequence[str]] | None = None,
    duration: str | None = None,
    answers: Sequence[str] | None = None,
    key: str | None = None,
    speed_fraction: float = 1 / 3,
    long_string_min: int | Mapping[str, int] | None = None,
    duplicate_min_answers: int = 1,
) -> QualityResult:
    """All response-quality flags in one frame.

    Parameters
    ----------
    df : DataFrame
        One row per response.
    batteries : mapping of name to columns, optional
        Item batteries checked for straight-lining (``straightlining_<name>``) and long strings
        (``long_string_<name>``).
    duration : str, optional
        Column with the completion time in seconds (``duration_s`` in surveykit data) for
        ``speeder``.
    answers : sequence of str, optional
        Answer columns compared for ``duplicate_answers``.
    duplicate_min_answers : int
        A row with fewer answers than this is never a ``duplicate_answers`` (:func:`duplicates`).
    key : str, optional
        Respondent key column for ``duplicate_key``.
    speed_fraction : float
        Speeders finish faster than this fraction of the median duration (default 1/3).
    long_string_min : int or mapping, optional
        A run of at least this many identical answers flags a long string; per battery if a
        mapping. Default: half the battery, at least 5, at most the battery length.

    Returns
    -------
    QualityResult
        ``flags`` holds one boolean column per check plus ``any``; ``long_strings`` the run
        lengths.

    Notes
    -----
    See :func:`straightlining`, :func:`long_string`, :func:`speeders` and :func:`duplicates` for
    the definitions and sources. Flags identify responses to inspect, not to drop automatically.

    Examples
    --------
    >>> d = pd.DataFrame({"a": [1, 3, 2], "b": [1, 4, 5], "duration_s": [300, 20, 280]})
    >>> flags(d, batteries={"grid": ["a", "b"]}, duration="duration_s").flags["any"].tolist()
    [True, True, False]
    """
    columns: dict[str, pd.Series] = {}
    runs: dict[str, pd.Series] = {}
    thresholds: dict[str, int] = {}
    for name, items in (batteries or {}).items():
        if len(items) < 2:
            raise ValueError(f"battery {name!r} needs at least 2 columns, got {len(items)}")
        columns[f"straightlining_{name}"] = straightlining(df, items)
        runs[name] = long_string(df, items)
        if isinstance(long_string_min, Mapping):
            threshold = long_string_min.get(name, _default_long_string_min(len(items)))
        else:
            threshold = long_string_min or _default_long_string_min(len(items))
        thresholds[name] = int(threshold)
        columns[f"long_string_{name}"] = runs[name] >= threshold
    cutoff = None
    if duration is not None:
        columns["speeder"] = speeders(numeric_columns(df, [duration])[duration], fraction=speed_fraction)
        cutoff = speed_fraction * float(pd.to_numeric(df[duration]).median())
    if answers is not None:
        columns["duplicate_answers"] = duplicates(df, answers, min_answered=duplicate_min_answers)
    if key is not None:
        columns["duplicate_key"] = duplicates(df, [key])
    frame = pd.DataFrame(columns, index=df.index).astype(bool)
    frame["any"] = frame.any(axis=1)
    return QualityResult(
        flags=frame, long_strings=pd.DataFrame(runs, index=df.index), long_string_min=thresholds, speed_cutoff_s=cutoff
    )
