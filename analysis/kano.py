"""Kano evaluation: classify functional/dysfunctional answer pairs and aggregate per attribute.

:func:`classify` looks one pair up in the evaluation table, :func:`categories` does it for whole
columns, and :func:`evaluate_pairs` gives per attribute the category counts, the dominant category
with the documented tie order, Better/Worse, Fong's test, category strength and the DuMouchel
continuous scores.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from analysis.quality import numeric_columns, require_columns
from surveykit.model import KanoBlock, Questionnaire

__all__ = [
    "ANSWERS",
    "CATEGORIES",
    "DUMOUCHEL_DYSFUNCTIONAL",
    "DUMOUCHEL_FUNCTIONAL",
    "KANO_TABLE",
    "TIE_ORDER",
    "KanoResult",
    "categories",
    "classify",
    "evaluate_pairs",
]

# The answer codes as surveykit stores them, in the order 1..5 of the classic questionnaire.
ANSWERS = ("like", "must_be", "neutral", "live_with", "dislike")
CATEGORIES = ("A", "O", "M", "I", "R", "Q")
# "If in doubt, M > O > A > I": the category with the larger effect on product decisions wins.
TIE_ORDER = ("M", "O", "A", "I", "R", "Q")


def _table(rows: Sequence[str]) -> Mapping[str, Mapping[str, str]]:
    return MappingProxyType(
        {
            f: MappingProxyType(dict(zip(ANSWERS, row.split(), strict=True)))
            for f, row in zip(ANSWERS, rows, strict=True)
        }
    )


# Berger et al. (1993), Matzler & Hinterhuber (1998): rows functional, columns dysfunctional.
KANO_TABLE: Mapping[str, Mapping[str, str]] = _table(
    [
        "Q A A A O",  # like
        "R I I I M",  # must_be
        "R I I I M",  # neutral
        "R I I I M",  # live_with
        "R R R R Q",  # dislike
    ]
)
DUMOUCHEL_FUNCTIONAL: Mapping[str, float] = MappingProxyType(dict(zip(ANSWERS, (4, 2, 0, -1, -2), strict=True)))
DUMOUCHEL_DYSFUNCTIONAL: Mapping[str, float] = MappingProxyType(dict(zip(ANSWERS, (-2, -1, 0, 2, 4), strict=True)))


def _code(value: Any, where: str) -> str:
    """One answer as its surveykit code; 1-5 (also 1.0-5.0) map to the codes in order."""
    if isinstance(value, str):
        if value in ANSWERS:
            return value
        raise ValueError(f"{where}: unknown Kano answer {value!r} (allowed: {', '.join(ANSWERS)} or 1-5)")
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{where}: Kano answer {value!r} is a boolean, not a code")
    if (
        isinstance(value, (int, float, np.integer, np.floating))
        and float(value).is_integer()
        and 1 <= value <= len(ANSWERS)
    ):
        return ANSWERS[int(value) - 1]
    raise ValueError(f"{where}: unknown Kano answer {value!r} (allowed: {', '.join(ANSWERS)} or 1-5)")


def _check_table(table: Mapping[str, Mapping[str, str]]) -> None:
    for f in ANSWERS:
        row = table.get(f)
        if row is None:
            raise ValueError(f"Kano table has no row for functional answer {f!r}")
        for d in ANSWERS:
            if row.get(d) not in CATEGORIES:
                raise ValueError(f"Kano table cell ({f!r}, {d!r}) is {row.get(d)!r}; allowed: {', '.join(CATEGORIES)}")


def classify(functional: Any, dysfunctional: Any, *, table: Mapping[str, Mapping[str, str]] = KANO_TABLE) -> str:
    """Kano category of one functional/dysfunctional answer pair.

    Parameters
    ----------
    functional, dysfunctional : str or int
        ``like``, ``must_be``, ``neutral``, ``live_with``, ``dislike`` (as surveykit stores them) or
        the numbers 1-5 in that order.
    table : mapping
        Evaluation table ``table[functional][dysfunctional]``; default :data:`KANO_TABLE`.

    Returns
    -------
    str
        ``A`` attractive, ``O`` one-dimensional, ``M`` must-be, ``I`` indifferent, ``R`` reverse,
        ``Q`` questionable.

    Notes
    -----
    The default table is the one of Berger et al. (1993), Matzler & Hinterhuber (1998) and
    Sauerwein et al. (1996)::

                    like  must  neut  live  disl
        like         Q     A     A     A     O
        must-be      R     I     I     I     M
        neutral      R     I     I     I     M
        live-with    R     I     I     I     M
        dislike      R     R     R     R     Q

    References
    ----------
    .. [1] Kano, N., Seraku, N., Takahashi, F., & Tsuji, S. (1984). Attractive quality and must-be
           quality. Hinshitsu (Quality), 14(2), 147-156. https://doi.org/10.20684/quality.14.2_147
    .. [2] Berger, C., Blauth, R., Boger, D., et al. (1993). Kano's methods for understanding
           customer-defined quality. Center for Quality of Management Journal, 2(4), 3-36.
    .. [3] Matzler, K., & Hinterhuber, H. H. (1998). How to make product development projects more
           successful by integrating Kano's model of customer satisfaction into quality function
           deployment. Technovation, 18(1), 25-38. https://doi.org/10.1016/S0166-4972(97)00072-2

    Examples
    --------
    >>> classify("like", "dislike"), classify(3, 5), classify("dislike", "like")
    ('O', 'M', 'R')
    """
    if table is not KANO_TABLE:
        _check_table(table)
    return table[_code(functional, "functional")][_code(dysfunctional, "dysfunctional")]


def _codes(column: pd.Series, name: str) -> pd.Series:
    """A column of answers as codes (NaN stays missing); raises naming the column on a bad value."""
    present = column.notna()
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        values = numeric_columns(column.to_frame(name), [name])[name] if present.any() else column
        bad = present & ~values.isin(range(1, len(ANSWERS) + 1))
        if bad.any():
            row = bad.idxmax()
            _code(column[row].item(), f"column {name!r} (row {row!r})")  # raises with the standard message
        mapped = values.map(lambda v: ANSWERS[int(v) - 1], na_action="ignore")
        return mapped.astype(object).where(present, None)
    out = {}
    for row, value in column[present].items():
        out[row] = _code(value, f"column {name!r} (row {row!r})")
    return pd.Series(out, index=column.index, dtype=object).where(present, None)


def categories(
    functional: pd.Series, dysfunctional: pd.Series, *, table: Mapping[str, Mapping[str, str]] = KANO_TABLE
) -> pd.Series:
    """Vectorised :func:`classify`: the category per respondent, ``None`` where either answer is missing.

    Examples
    --------
    >>> categories(pd.Series(["like", 3, None]), pd.Series(["dislike", 5, "like"])).tolist()
    ['O', 'M', None]
    """
    if len(functional) != len(dysfunctional):
        raise ValueError(f"functional ({len(functional)}) and dysfunctional ({len(dysfunctional)}) differ in length")
    _check_table(table)
    f = _codes(functional, str(functional.name) if functional.name is not None else "functional")
    d = _codes(dysfunctional, str(dysfunctional.name) if dysfunctional.name is not None else "dysfunctional")
    return _categorise(f, d, table)


def _categorise(f: pd.Series, d: pd.Series, table: Mapping[str, Mapping[str, str]]) -> pd.Series:
    result = [
        table[a][b] if a is not None and b is not None else None
        for a, b in zip(f.to_numpy(), d.to_numpy(), strict=True)
    ]
    return pd.Series(result, index=f.index, dtype=object, name="kano")


@dataclass(frozen=True, slots=True)
class KanoResult:
    """Kano evaluation per attribute (see :func:`evaluate_pairs`)."""

    attributes: pd.DataFrame = field(compare=False)  # per attribute: counts, percents, dominant, better, ...
    categories: pd.DataFrame = field(compare=False)  # per respondent and attribute: category or None
    tie_order: tuple[str, ...]
    fong_z: float

    def to_frame(self) -> pd.DataFrame:
        return self.attributes.reset_index()

    def summary(self) -> str:
        lines = [
            "Kano evaluation",
            "  attribute          n    A    O    M    I    R    Q  dominant  better   worse  Fong",
        ]
        for attr, r in self.attributes.iterrows():
            counts = " ".join(f"{int(r[c]):>4}" for c in CATEGORIES)
            dominant = f"{r['dominant']}{'*' if r['tie_at_top'] else ' '}/{r['second']}"
            fong = "sig." if r["fong_significant"] else "mixed"
            lines.append(
                f"  {attr!s:<14} {int(r['n_valid']):>5} {counts}  {dominant:<8} {r['better']:7.3f} "
                f"{r['worse']:7.3f}  {fong}"
            )
        if self.attributes["tie_at_top"].any():
            lines.append(f"  * tie at the top, broken by {' > '.join(self.tie_order)}")
        return "\n".join(lines)


def _ranked(counts: Mapping[str, float], tie_order: Sequence[str]) -> list[str]:
    return sorted(CATEGORIES, key=lambda c: (-counts[c], tie_order.index(c)))


def _attribute_row(
    cats: pd.Series,
    f: pd.Series,
    d: pd.Series,
    si: pd.Series | None,
    *,
    tie_order: Sequence[str],
    fong_z: float,
    f_scores: Mapping[str, float],
    d_scores: Mapping[str, float],
    weights: pd.Series | None = None,
) -> dict[str, Any]:
    valid = cats.notna()
    n = int(valid.sum())
    counts = {c: int((cats[valid] == c).sum()) for c in CATEGORIES}
    w = pd.Series(1.0, index=cats.index) if weights is None else weights
    wv = w[valid]
    # The weighted mass of each category; with equal weights these are the counts, so every figure below
    # is computed exactly as the unweighted one.
    mass: dict[str, float] = (
        dict(counts) if weights is None else {c: float(wv[cats[valid] == c].sum()) for c in CATEGORIES}
    )
    total = float(sum(mass.values()))
    n_eff = float(n) if weights is None else float(wv.sum() ** 2 / (wv * wv).sum())  # Kish
    top, second = _ranked(mass, tie_order)[:2]
    a, b = mass[top] * n_eff / total, mass[second] * n_eff / total
    aomi = mass["A"] + mass["O"] + mass["M"] + mass["I"]
    with np.errstate(divide="ignore", invalid="ignore"):
        # Better/Worse are not defined when every answer is R or Q (A + O + M + I = 0).
        better = (mass["A"] + mass["O"]) / aomi if aomi else np.nan
        worse = -(mass["O"] + mass["M"]) / aomi if aomi else np.nan
    critical = fong_z * math.sqrt((a + b) * (2 * n_eff - a - b) / (2 * n_eff))
    func_scores = f[valid].map(f_scores).astype(float)
    dys_scores = d[valid].map(d_scores).astype(float)
    row: dict[str, Any] = (
        {"n_valid": n}
        | counts
        | {f"pct_{c}": 100 * mass[c] / total for c in CATEGORIES}
        | {
            "dominant": top,
            "second": second,
            "tie_at_top": sum(v == mass[top] for v in mass.values()) > 1,
            "better": better,
            "worse": worse,
            "fong_a": a,
            "fong_b": b,
            "fong_abs_diff": abs(a - b),
            "fong_critical": critical,
            "fong_significant": abs(a - b) >= critical,
            "category_strength_pct": 100 * (a - b) / n_eff,
            "total_strength_pct": 100 * (mass["A"] + mass["O"] + mass["M"]) / total,
            "dumouchel_functional_mean": _mean(func_scores, wv),
            "dumouchel_functional_sd": _sd(func_scores, wv) if n > 1 else np.nan,
            "dumouchel_dysfunctional_mean": _mean(dys_scores, wv),
            "dumouchel_dysfunctional_sd": _sd(dys_scores, wv) if n > 1 else np.nan,
        }
    )
    si_valid = si[valid].dropna() if si is not None else pd.Series(dtype=float)
    row["self_stated_importance_mean"] = _mean(si_valid, wv[si_valid.index]) if len(si_valid) else np.nan
    if weights is not None:
        row["n_eff"] = n_eff
    return row


def _mean(x: pd.Series, w: pd.Series) -> float:
    return float((x * w).sum() / w.sum())


def _sd(x: pd.Series, w: pd.Series) -> float:
    """Weighted SD with the reliability-weights denominator V1 - V2/V1 (the sample SD for equal weights)."""
    v1, v2 = float(w.sum()), float((w * w).sum())
    return math.sqrt(float((w * (x - _mean(x, w)) ** 2).sum()) / (v1 - v2 / v1))


def evaluate_pairs(
    df: pd.DataFrame,
    attributes: Mapping[str, tuple[str, str] | tuple[str, str, str | None]],
    *,
    table: Mapping[str, Mapping[str, str]] = KANO_TABLE,
    tie_order: Sequence[str] = TIE_ORDER,
    fong_z: float = 1.65,
    functional_scores: Mapping[str, float] = DUMOUCHEL_FUNCTIONAL,
    dysfunctional_scores: Mapping[str, float] = DUMOUCHEL_DYSFUNCTIONAL,
    weights: pd.Series | None = None,
) -> KanoResult:
    r"""Kano evaluation of several attributes from their functional/dysfunctional columns.

    Parameters
    ----------
    df : DataFrame
        One row per respondent.
    attributes : mapping of attribute -> (functional column, dysfunctional column[, importance column])
        E.g. ``{"courtesy_car": ("courtesy_car_f", "courtesy_car_d", "courtesy_car_si")}``; the
        self-stated importance column (1-9) may be ``None`` or left out.
    table : mapping
        Evaluation table, default :data:`KANO_TABLE` (Berger et al. 1993).
    tie_order : sequence of str
        Order that breaks ties between equally frequent categories; default M > O > A > I > R > Q.
    fong_z : float
        Normal quantile of Fong's test (1.65, about 10 % two-sided, as Fong 1996).
    functional_scores, dysfunctional_scores : mapping of answer code -> score
        DuMouchel's asymmetric scores; default like 4, must-be 2, neutral 0, live-with -1,
        dislike -2 (functional) and like -2, must-be -1, neutral 0, live-with 2, dislike 4.
    weights : Series, optional
        Survey weights on ``df``'s index (``analyze()``'s ``weight``): see Notes.

    Returns
    -------
    KanoResult
        ``attributes`` has per attribute ``n_valid``, counts ``A O M I R Q``, ``pct_<c>``,
        ``dominant``, ``second``, ``tie_at_top``, ``better``, ``worse``, ``fong_a``, ``fong_b``,
        ``fong_abs_diff``, ``fong_critical``, ``fong_significant``, ``category_strength_pct``,
        ``total_strength_pct``, DuMouchel means and SDs and ``self_stated_importance_mean``.

    Notes
    -----
    A respondent counts for an attribute only if both answers are present (``n_valid``); percents
    are of ``n_valid`` (R and Q included). Categories are ranked by count, ties by ``tie_order``;
    ``dominant`` and ``second`` are the first two of that ranking and ``tie_at_top`` says the top
    count is shared.

    * Customer-satisfaction coefficients (Timko, in Berger et al. 1993):
      :math:`Better = (A + O)/(A + O + M + I)`, :math:`Worse = -(O + M)/(A + O + M + I)`; NaN
      (not defined) if every answer is R or Q.
    * Fong (1996), with a, b the counts of the first two categories and n = ``n_valid``: the
      difference is significant iff :math:`|a - b| \ge z\sqrt{(a + b)(2n - a - b)/(2n)}`.
    * Category strength :math:`100(a - b)/n` and total strength :math:`100(A + O + M)/n`
      (Lee & Newcomb 1997).
    * DuMouchel (in Berger et al. 1993): the means over valid respondents of the functional and
      dysfunctional scores. Self-stated importance: the mean over valid respondents who answered it.

    With survey weights every share is a weighted share, p_c = Σ_valid w·1[category = c] / Σ_valid w
    (the Horvitz-Thompson ratio estimator of the population share, as R survey's ``svymean`` of
    a factor; Lumley 2010): ``pct_<c>``, the ranking (``dominant``, ``second``), Better/Worse,
    the strengths, DuMouchel's means and SDs and the self-stated importance mean are weighted;
    Fong's test takes n = Kish's effective n_eff = (Σw)²/Σw² (``n_eff``) and a, b = n_eff·p, so that
    equal weights give the unweighted test. The counts ``A O M I R Q`` and ``n_valid`` stay
    counts of respondents.

    References
    ----------
    .. [1] Berger, C., Blauth, R., Boger, D., et al. (1993). Kano's methods for understanding
           customer-defined quality. Center for Quality of Management Journal, 2(4), 3-36.
    .. [2] Fong, D. (1996). Using the self-stated importance questionnaire to interpret Kano
           questionnaire results. Center for Quality of Management Journal, 5(3), 21-23.
    .. [3] Lee, M. C., & Newcomb, J. F. (1997). Applying the Kano methodology to meet customer
           requirements: NASA's microgravity science program. Quality Management Journal, 4(3),
           95-110.
    .. [4] Sauerwein, E., Bailom, F., Matzler, K., & Hinterhuber, H. H. (1996). The Kano model: how
           to delight your customers. Preprints of the IX International Working Seminar on
           Production Economics, Innsbruck, 313-327.
    .. [5] Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley.

    Examples
    --------
    >>> d = pd.DataFrame({"f": ["like", "like", "neutral"], "d": ["dislike", "neutral", "dislike"]})
    >>> row = evaluate_pairs(d, {"car": ("f", "d")}).attributes.loc["car"]
    >>> [int(row[c]) for c in ("O", "A", "M")], row["dominant"], bool(row["tie_at_top"])
    ([1, 1, 1], 'M', True)
    """
    _check_table(table)
    if sorted(tie_order) != sorted(CATEGORIES):
        raise ValueError(f"tie_order must list each of {', '.join(CATEGORIES)} once, got {list(tie_order)!r}")
    if not attributes:
        raise ValueError("attributes is empty: give at least one attribute -> (functional, dysfunctional) columns")
    for scores, what in ((functional_scores, "functional_scores"), (dysfunctional_scores, "dysfunctional_scores")):
        if set(scores) != set(ANSWERS):
            raise ValueError(f"{what} must give a score for each of {', '.join(ANSWERS)}")
    rows, cats = {}, {}
    for attr, columns in attributes.items():
        if len(columns) not in (2, 3):
            raise ValueError(f"attribute {attr!r}: expected (functional, dysfunctional[, importance]) columns")
        f_col, d_col = columns[0], columns[1]
        si_col = columns[2] if len(columns) == 3 else None
        require_columns(df, [f_col, d_col] + ([si_col] if si_col else []))
        f, d = _codes(df[f_col], f_col), _codes(df[d_col], d_col)
        cats[attr] = _categorise(f, d, table)
        if cats[attr].notna().sum() == 0:
            raise ValueError(f"attribute {attr!r}: no respondent answered both {f_col!r} and {d_col!r}")
        si = numeric_columns(df, [si_col])[si_col] if si_col else None
        rows[attr] = _attribute_row(
            cats[attr],
            f,
            d,
            si,
            tie_order=tuple(tie_order),
            fong_z=fong_z,
            f_scores=functional_scores,
            d_scores=dysfunctional_scores,
            weights=None if weights is None else weights.reindex(df.index).astype(float),
        )
    table_out = pd.DataFrame.from_dict(rows, orient="index")
    table_out.index.name = "attribute"
    return KanoResult(
        attributes=table_out, categories=pd.DataFrame(cats, index=df.index), tie_order=tuple(tie_order), fong_z=fong_z
    )


def evaluate(
    q: Questionnaire, df: pd.DataFrame, *, block: str | None = None, weights: pd.Series | None = None
) -> KanoResult:
    """:func:`evaluate_pairs` for a questionnaire's Kano block, read from the model.

    Attributes are the block's (``<id>_f``, ``<id>_d`` and ``<id>_si`` when the
    block asks self-stated importance); answers are the stored codes; ``weights`` as there.
    """
    chosen = [b for b in q.blocks("kano") if isinstance(b, KanoBlock) and (block is None or b.id == block)]
    if not chosen:
        raise ValueError(f"{q.survey!r} has no Kano block{f' {block!r}' if block else ''}")
    kano_block = chosen[0]
    with_si = kano_block.importance_scale is not None
    attributes = {a.id: (f"{a.id}_f", f"{a.id}_d", f"{a.id}_si" if with_si else None) for a in kano_block.attributes}
    return evaluate_pairs(df, attributes, weights=weights)
