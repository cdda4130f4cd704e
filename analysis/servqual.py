"""SERVQUAL gap scores: item and dimension gaps with paired tests, weighted scores, SERVPERF.

The column-level entry point is :func:`gap_scores`; an instrument-aware wrapper only has to read
the expectation/perception column pairs, the dimensions and the 100-point allocation from the
questionnaire and pass them on.

Everything here weighs respondents equally. With survey weights (a ``weighting:``), ``analyze()``
adds :func:`analysis.weighted.servqual_weighted`: weighted means of E, P and P − E, and the paired
t test becomes the test of the weighted mean difference against its linearisation SE, which
accounts for the calibration (Lumley 2010, sections 2.3 and 7.4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.quality import numeric_columns, require_columns
from analysis.segments import RANK_DECIMALS, ComparisonResult, compare, holm
from surveykit.model import Questionnaire

__all__ = ["ServqualResult", "gap_scores", "gap_test"]

# Wording of the per-respondent scores; kept with the result so reports say which score is meant.
DEFINITIONS = {
    "unweighted_servqual": "per respondent: mean of the {k} dimension gaps (NA if any dimension has no complete "
    "pair); then averaged",
    "item_average_gap": "per respondent: mean of all available item gaps (P_j - E_j)",
    "weighted_servqual": "per respondent: sum_d (W_d/100) * dimension gap_d; respondents with missing weights or "
    "any missing dimension excluded",
    "servperf": "per respondent: mean of available P items",
}

TEST_FIELDS = (
    "n",
    "mean",
    "sd",
    "se",
    "t",
    "df",
    "p_two_sided",
    "ci_low",
    "ci_high",
    "cohen_dz",
    "wilcoxon_V",
    "wilcoxon_p",
)


def _wilcoxon_signed_rank(g: np.ndarray) -> tuple[float, float]:
    # R wilcox.test(g, exact = FALSE, correct = TRUE): zeros dropped, normal approximation with
    # tie-corrected variance and continuity correction; ties judged after rounding.
    x = np.round(g, RANK_DECIMALS)
    x = x[x != 0]
    n = len(x)
    if n == 0:
        return (np.nan, np.nan)
    ranks = stats.rankdata(np.abs(x))
    v = float(ranks[x > 0].sum())
    _, ties = np.unique(np.abs(x), return_counts=True)
    sigma = np.sqrt(n * (n + 1) * (2 * n + 1) / 24 - (ties**3 - ties).sum() / 48)
    if sigma == 0:
        return (v, np.nan)
    centred = v - n * (n + 1) / 4
    z = (centred - np.sign(centred) * 0.5) / sigma
    return (v, float(2 * min(stats.norm.cdf(z), stats.norm.sf(z))))


def gap_test(gaps: np.ndarray | pd.Series, *, conf_level: float = 0.95) -> dict[str, float]:
    r"""One-sample tests of gaps against 0: t (= paired t of P vs E), CI, Cohen's dz, Wilcoxon.

    Parameters
    ----------
    gaps : array or Series
        Gap values; NaN are dropped (only complete pairs count).
    conf_level : float
        Level of the t interval.

    Returns
    -------
    dict
        ``n, mean, sd, se, t, df, p_two_sided, ci_low, ci_high, cohen_dz, wilcoxon_V, wilcoxon_p``.

    Notes
    -----
    :math:`t = \bar G/(s_G/\sqrt n)`, df = n - 1, CI :math:`\bar G \pm t_{n-1} s_G/\sqrt n`,
    :math:`d_z = \bar G/s_G`. Wilcoxon signed-rank as R ``wilcox.test(g, exact = FALSE,
    correct = TRUE)``: values rounded to 10 decimals, zeros dropped, V = sum of the ranks of the
    positive gaps, :math:`z = (V - n(n+1)/4 \mp 1/2)/\sigma` with
    :math:`\sigma^2 = n(n+1)(2n+1)/24 - \sum(t^3 - t)/48`. When every gap is equal (sd = 0) t, p,
    CI and dz are not defined and are NaN; with no non-zero gap the Wilcoxon test is NaN.

    References
    ----------
    .. [1] Wilcoxon, F. (1945). Individual comparisons by ranking methods. Biometrics Bulletin,
           1(6), 80-83. https://doi.org/10.2307/3001968
    .. [2] Cohen, J. (1988). Statistical Power Analysis for the Behavioral Sciences (2nd ed.).
           Erlbaum.
    """
    g = np.asarray(gaps, dtype=float)
    g = g[~np.isnan(g)]
    n = len(g)
    if n < 2:
        raise ValueError(f"a gap test needs at least 2 complete pairs, got {n}")
    mean, sd = float(g.mean()), float(g.std(ddof=1))
    se = sd / np.sqrt(n)
    v, w_p = _wilcoxon_signed_rank(g)
    out = {"n": n, "mean": mean, "sd": sd, "se": se, "df": n - 1, "wilcoxon_V": v, "wilcoxon_p": w_p}
    if sd == 0:
        return out | {"t": np.nan, "p_two_sided": np.nan, "ci_low": np.nan, "ci_high": np.nan, "cohen_dz": np.nan}
    t = mean / se
    half = float(stats.t.ppf(1 - (1 - conf_level) / 2, n - 1)) * se
    return out | {
        "t": t,
        "p_two_sided": float(2 * stats.t.sf(abs(t), n - 1)),
        "ci_low": mean - half,
        "ci_high": mean + half,
        "cohen_dz": mean / sd,
    }


def _pairwise_alpha(items: pd.DataFrame) -> tuple[float, float]:
    r"""Raw and standardized Cronbach's alpha from pairwise covariances (psych::alpha's default).

    :func:`analysis.reliability.cronbach_alpha` is the full treatment and refuses a constant item;
    here a battery of expectations at the ceiling must not stop the gap analysis, so such an alpha
    is NaN instead.

    Notes
    -----
    C = covariance matrix with pairwise-complete observations, R = cov2cor(C);
    :math:`\alpha = \frac{k}{k-1}(1 - \mathrm{tr}\,C/\Sigma C)`,
    :math:`\alpha_{std} = \frac{k}{k-1}(1 - k/\Sigma R)`. Not defined (NaN) for fewer than two items,
    and the standardized alpha is NaN if an item has zero variance.

    References
    ----------
    .. [1] Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
           Psychometrika, 16(3), 297-334. https://doi.org/10.1007/BF02310555
    """
    k = items.shape[1]
    if k < 2:
        return (np.nan, np.nan)
    c = items.cov().to_numpy()
    if np.isnan(c).any():
        return (np.nan, np.nan)  # a pair of items never answered together
    d = np.sqrt(np.diag(c))
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = k / (k - 1) * (1 - np.trace(c) / c.sum()) if c.sum() != 0 else np.nan
        std = k / (k - 1) * (1 - k / (c / np.outer(d, d)).sum()) if (d > 0).all() else np.nan
    return (float(raw), float(std))


def _row_mean(frame: pd.DataFrame) -> pd.Series:
    # Mean of the available values; NA (not a warning) for a row with none.
    counts = frame.notna().sum(axis=1)
    return (frame.sum(axis=1, min_count=1) / counts.where(counts > 0)).astype(float)


def _describe(values: pd.Series) -> dict[str, float]:
    v = values.dropna()
    return {
        "n": len(v),
        "mean": float(v.mean()) if len(v) else np.nan,
        "sd": float(v.std(ddof=1)) if len(v) > 1 else np.nan,
    }


@dataclass(frozen=True, slots=True)
class ServqualResult:
    """Gap scores per item, per dimension and overall (see :func:`gap_scores`)."""

    items: pd.DataFrame = field(compare=False)  # per item: dimension, E/P descriptives, gap test, p_holm
    dimensions: pd.DataFrame = field(compare=False)  # per dimension: E/P scores, gap test, alphas
    scores: pd.DataFrame = field(compare=False)  # per respondent: dimension gaps, overall scores
    overall: pd.DataFrame = field(compare=False)  # per score: n, mean, sd, definition
    alpha_all: pd.DataFrame = field(compare=False)  # rows E, P, gap over all items: raw_alpha, std_alpha
    mean_weights: Mapping[str, float] | None
    aggregate_weighted_servqual: float | None
    segments: ComparisonResult | None

    def to_frame(self) -> pd.DataFrame:
        """One row per item: dimension, means, gap test, Holm-adjusted p."""
        return self.items.reset_index()

    def summary(self) -> str:
        lines = [
            "SERVQUAL gaps (P - E)",
            "  dimension            n    mean E  mean P     gap       t        p   alpha gap",
        ]
        for dim, r in self.dimensions.iterrows():
            lines.append(
                f"  {dim!s:<16} {int(r['n']):>5}  {r['mean_E_score']:7.3f} {r['mean_P_score']:7.3f} "
                f"{r['mean']:+7.3f} {r['t']:+7.2f} {r['p_two_sided']:8.4f}  {r['alpha_gap']:7.3f}"
            )
        for score, r in self.overall.iterrows():
            lines.append(f"  {score:<28} n={int(r['n']):>5}  mean={r['mean']:+.3f}  sd={r['sd']:.3f}")
        if self.aggregate_weighted_servqual is not None:
            lines.append(f"  aggregate weighted SERVQUAL   {self.aggregate_weighted_servqual:+.3f}")
        if self.segments is not None:
            lines.append(self.segments.summary())
        return "\n".join(lines)


def _validate_structure(
    pairs: Mapping[str, tuple[str, str]], dimensions: Mapping[str, Sequence[str]], weights: Mapping[str, str] | None
) -> None:
    if not pairs:
        raise ValueError("pairs is empty: give at least one item -> (expectation column, perception column)")
    if not dimensions:
        raise ValueError("dimensions is empty: give at least one dimension -> [items]")
    seen: dict[str, str] = {}
    for dim, members in dimensions.items():
        if not members:
            raise ValueError(f"dimension {dim!r} has no items")
        for item in members:
            if item not in pairs:
                raise ValueError(f"dimension {dim!r}: item {item!r} has no (expectation, perception) pair")
            if item in seen:
                raise ValueError(f"item {item!r} is in two dimensions: {seen[item]!r} and {dim!r}")
            seen[item] = dim
    if weights is not None and set(weights) != set(dimensions):
        missing = sorted(set(dimensions) - set(weights)) or sorted(set(weights) - set(dimensions))
        raise ValueError(f"weights must name exactly the dimensions; mismatch: {missing!r}")


def gap_scores(
    df: pd.DataFrame,
    pairs: Mapping[str, tuple[str, str]],
    dimensions: Mapping[str, Sequence[str]],
    *,
    weights: Mapping[str, str] | None = None,
    weight_total: float = 100.0,
    segment: str | None = None,
    conf_level: float = 0.95,
    pairwise: bool = True,
) -> ServqualResult:
    r"""SERVQUAL gap analysis from expectation and perception columns.

    Parameters
    ----------
    df : DataFrame
        One row per respondent.
    pairs : mapping of item -> (expectation column, perception column)
        E.g. ``{"rel1": ("rel1_e", "rel1_p")}`` (surveykit names) or ``{"Q1": ("E1", "P1")}``.
    dimensions : mapping of dimension -> list of items
        Each item in at most one dimension. Items in no dimension get item gaps only.
    weights : mapping of dimension -> column, optional
        The importance allocation (e.g. ``weights_<dimension>`` of a ``constant_sum`` question).
    weight_total : float
        Points allocated in total (100 in PZB's procedure); weights are divided by it.
    segment : str, optional
        Column whose levels are compared on the unweighted SERVQUAL score
        (:func:`analysis.segments.compare`).
    conf_level : float
        Level of the t intervals.
    pairwise : bool
        Run the pairwise tests of the segment comparison (see :func:`analysis.segments.compare`).

    Returns
    -------
    ServqualResult

    Notes
    -----
    Item gap :math:`G_{ij} = P_{ij} - E_{ij}`, defined only when both are present. Per item: E and
    P descriptives on every available value, E and P means on the complete pairs, and
    :func:`gap_test` on the gaps; ``p_holm`` adjusts the t p-values over the items (Holm 1979).

    Dimension gap of a respondent: the mean of their available item gaps in the dimension (NA if
    none); ``mean_E_score``/``mean_P_score`` the mean over respondents of the per-respondent mean of
    the available E (P) items (the latter is SERVPERF per dimension); ``gap_from_item_means`` the
    mean of the item mean gaps. Alphas (raw and standardized, pairwise covariances as psych::alpha)
    of the dimension's E, P and gap items.

    Overall, per respondent: unweighted SERVQUAL = mean of the dimension gaps (NA if any is NA);
    item-average gap = mean of all available item gaps; weighted SERVQUAL
    :math:`\sum_d (W_d/W)\,\mathrm{gap}_d` (NA if a weight or a dimension is missing);
    SERVPERF = mean of the available P items (Cronin & Taylor 1992). The aggregate weighted score is
    :math:`\sum_d (\bar W_d/W)\,\overline{\mathrm{gap}}_d` from the mean weights and mean dimension
    gaps; it differs from the mean of the per-respondent weighted scores.

    References
    ----------
    .. [1] Parasuraman, A., Zeithaml, V. A., & Berry, L. L. (1988). SERVQUAL: a multiple-item scale
           for measuring consumer perceptions of service quality. Journal of Retailing, 64(1), 12-40.
    .. [2] Parasuraman, A., Berry, L. L., & Zeithaml, V. A. (1991). Refinement and reassessment of
           the SERVQUAL scale. Journal of Retailing, 67(4), 420-450.
    .. [3] Zeithaml, V. A., Parasuraman, A., & Berry, L. L. (1990). Delivering Quality Service:
           Balancing Customer Perceptions and Expectations. Free Press.
    .. [4] Cronin, J. J., & Taylor, S. A. (1992). Measuring service quality: a reexamination and
           extension. Journal of Marketing, 56(3), 55-68. https://doi.org/10.1177/002224299205600304

    Examples
    --------
    >>> d = pd.DataFrame({"E1": [6, 7, 5], "P1": [5, 7, 6], "E2": [7, 6, 6], "P2": [5, 5, 6]})
    >>> r = gap_scores(d, {"q1": ("E1", "P1"), "q2": ("E2", "P2")}, {"all": ["q1", "q2"]})
    >>> float(r.dimensions.loc["all", "mean"])
    -0.5
    """
    _validate_structure(pairs, dimensions, weights)
    e_cols = [e for e, _ in pairs.values()]
    p_cols = [p for _, p in pairs.values()]
    values = numeric_columns(df, e_cols + p_cols)
    e = values[e_cols].set_axis(list(pairs), axis=1)
    p = values[p_cols].set_axis(list(pairs), axis=1)
    g = p - e

    items = _item_table(e, p, g, dimensions, conf_level)
    dim_gaps = pd.DataFrame({d: _row_mean(g[list(m)]) for d, m in dimensions.items()})
    dims = _dimension_table(e, p, g, dim_gaps, dimensions, conf_level)

    scores = dim_gaps.copy()
    scores["unweighted_servqual"] = dim_gaps.mean(axis=1, skipna=False)
    scores["item_average_gap"] = _row_mean(g)
    scores["servperf"] = _row_mean(p)
    mean_weights = aggregate = None
    if weights is not None:
        w = numeric_columns(df, [weights[d] for d in dimensions]).set_axis(list(dimensions), axis=1)
        if (w < 0).any().any():
            raise ValueError(f"column {weights[str((w < 0).any().idxmax())]!r} holds a negative weight")
        scores["weighted_servqual"] = (w / weight_total * dim_gaps).sum(axis=1, skipna=False)
        mean_weights = {d: float(w[d].mean()) for d in dimensions}
        aggregate = float(sum(mean_weights[d] / weight_total * dims.loc[d, "mean"] for d in dimensions))

    overall = pd.DataFrame(
        {
            score: _describe(scores[score]) | {"definition": DEFINITIONS[score].format(k=len(dimensions))}
            for score in ("unweighted_servqual", "item_average_gap", "weighted_servqual", "servperf")
            if score in scores
        }
    ).T
    alpha_all = pd.DataFrame(
        {
            name: dict(zip(("raw_alpha", "std_alpha"), _pairwise_alpha(block), strict=True))
            for name, block in (("E", e), ("P", p), ("gap", g))
        }
    ).T
    comparison = None
    if segment is not None:
        require_columns(df, [segment])
        comparison = compare(
            scores["unweighted_servqual"].rename("unweighted_servqual"),
            df[segment],
            conf_level=conf_level,
            pairwise=pairwise,
        )
    return ServqualResult(
        items=items,
        dimensions=dims,
        scores=scores,
        overall=overall,
        alpha_all=alpha_all,
        mean_weights=mean_weights,
        aggregate_weighted_servqual=aggregate,
        segments=comparison,
    )


def _item_table(
    e: pd.DataFrame, p: pd.DataFrame, g: pd.DataFrame, dimensions: Mapping[str, Sequence[str]], conf_level: float
) -> pd.DataFrame:
    dimension_of = {item: d for d, members in dimensions.items() for item in members}
    rows: dict[str, dict[str, Any]] = {}
    for item in g.columns:
        complete = g[item].notna()
        if complete.sum() < 2:
            raise ValueError(
                f"item {item!r}: {int(complete.sum())} complete (expectation, perception) pair(s); "
                "at least 2 are needed"
            )
        rows[item] = {
            "dimension": dimension_of.get(item),
            "n_E": int(e[item].notna().sum()),
            "mean_E": e[item].mean(),
            "sd_E": e[item].std(),
            "n_P": int(p[item].notna().sum()),
            "mean_P": p[item].mean(),
            "sd_P": p[item].std(),
            "mean_E_paired": e[item][complete].mean(),
            "mean_P_paired": p[item][complete].mean(),
        } | gap_test(g[item], conf_level=conf_level)
    table = pd.DataFrame.from_dict(rows, orient="index")
    table["p_holm"] = holm(table["p_two_sided"].to_numpy(dtype=float))
    table["wilcoxon_p_holm"] = holm(table["wilcoxon_p"].to_numpy(dtype=float))
    table.index.name = "item"
    return table


def _dimension_table(
    e: pd.DataFrame,
    p: pd.DataFrame,
    g: pd.DataFrame,
    dim_gaps: pd.DataFrame,
    dimensions: Mapping[str, Sequence[str]],
    conf_level: float,
) -> pd.DataFrame:
    rows: dict[str, dict[str, Any]] = {}
    for d, members in dimensions.items():
        m = list(members)
        alphas = {
            f"{kind}_{name}": value
            for name, block in (("E", e[m]), ("P", p[m]), ("gap", g[m]))
            for kind, value in zip(("alpha", "std_alpha"), _pairwise_alpha(block), strict=True)
        }
        rows[d] = (
            {
                "items": m,
                "mean_E_score": _row_mean(e[m]).mean(),
                "mean_P_score": _row_mean(p[m]).mean(),
                "gap_from_item_means": float(np.mean([g[i].mean() for i in m])),
            }
            | gap_test(dim_gaps[d], conf_level=conf_level)
            | alphas
        )
    table = pd.DataFrame.from_dict(rows, orient="index")
    table["p_holm"] = holm(table["p_two_sided"].to_numpy(dtype=float))
    table.index.name = "dimension"
    return table


def gaps(
    q: Questionnaire,
    df: pd.DataFrame,
    *,
    block: str | None = None,
    segment: str | None = None,
    conf_level: float = 0.95,
    pairwise: bool = True,
) -> ServqualResult:
    """:func:`gap_scores` for a questionnaire's SERVQUAL block, read from the model.

    The pairs are the block's items (``<id>_e``, ``<id>_p``), the dimensions those
    the items declare, and the weights a ``constant_sum`` question whose option
    codes name every dimension of the block (``weights_<dimension>``), if there is one.

    Examples
    --------
    >>> from surveykit import load_questionnaire
    >>> from surveykit.simulate import simulate
    >>> q = load_questionnaire("questionnaires/servqual.yaml")
    >>> result = gaps(q, simulate(q, 200, seed=1))
    >>> bool(result.dimensions.loc["reliability", "mean"] < 0)  # perceptions fall short of expectations
    True
    """
    blocks = q.blocks("servqual")
    chosen = [b for b in blocks if block is None or b.id == block]
    if not chosen:
        raise ValueError(f"{q.survey!r} has no SERVQUAL block{f' {block!r}' if block else ''}")
    items = chosen[0].items
    pairs = {item.id: (f"{item.id}_e", f"{item.id}_p") for item in items}
    dimensions: dict[str, list[str]] = {}
    for item in items:
        if item.dimension:
            dimensions.setdefault(item.dimension, []).append(item.id)
    weights, total = None, 100.0
    for question in q.questions():
        if question.type == "constant_sum" and dimensions and set(dimensions) <= {o.code for o in question.options}:
            weights = {d: f"{question.id}_{d}" for d in dimensions}
            total = float(question.total or 100.0)
            break
    return gap_scores(
        df,
        pairs,
        dimensions,
        weights=weights,
        weight_total=total,
        segment=segment,
        conf_level=conf_level,
        pairwise=pairwise,
    )
