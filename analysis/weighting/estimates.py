r"""Weighted estimates with linearisation standard errors that account for the calibration.

Every function takes the frame that was weighted and its :class:`WeightingResult`, uses the
rows that answered the variable (domain estimation: the others stay in the sample with no
contribution before the calibration residual, as R's ``svymean(..., na.rm = TRUE)``), and
returns a frozen result with ``to_frame()`` and ``summary()``.

The standard error (Deville & Särndal 1992; Lumley 2010, sections 2.3 and 7.2-7.4), for the
rows D that answered, δ_i = 1 on D, final weights w, calibrated weights w° (w° = w unless the
weights were trimmed), base weights d and the cell indicators x_i of the calibration:

1. z_i = δ_i (y_i − ȳ) for a mean ȳ = Σ_D w y / Σ_D w; z_i = δ_i y_i for a total.
2. r_i = (w_i / w°_i)·z_i / Σ_D w (Σ_D w replaced by 1 for a total).
3. B = the d-weighted least-squares fit of r on x (any generalised inverse: overlapping
   margins make X rank-deficient, the residual stays unique); u_i = w°_i (r_i − x_iᵀB).
   Without calibration u_i = w_i z_i / Σ_D w.
4. var = the design variance of Σ u_i (:func:`.design.design_variance`); se = √var, and the
   interval is estimate ∓ z_{1−α/2}·se (normal, no degrees of freedom).

This is what R survey 4.1-1 computes after ``calibrate()``, ``postStratify()`` and
``trimWeights()`` (its ``svyrecvar``: ``qr.resid`` of the scaled influence values).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from analysis.quality import numeric_columns, require_columns
from analysis.weighting.calibration import WeightingResult
from analysis.weighting.design import design_covariance, design_df, design_variance

__all__ = [
    "WeightedDifferenceResult",
    "WeightedEstimateResult",
    "WeightedNpsResult",
    "WeightedProportionsResult",
    "WeightedSegmentsResult",
    "weighted_mean",
    "weighted_mean_difference",
    "weighted_means_by",
    "weighted_nps",
    "weighted_proportions",
    "weighted_ratio",
    "weighted_total",
]


def _check(df: pd.DataFrame, weighting: WeightingResult, columns: Sequence[str]) -> None:
    if not isinstance(weighting, WeightingResult):
        raise TypeError(f"expected a WeightingResult, got {type(weighting).__name__}")
    require_columns(df, columns)
    if len(df) != len(weighting.weights) or not df.index.equals(weighting.weights.index):
        raise ValueError(
            f"the frame ({len(df)} rows) is not the one that was weighted ({len(weighting.weights)} rows, "
            "same index); estimates need every weighted row, answered or not"
        )


def _z(ci: float) -> float:
    if not 0 < ci < 1:
        raise ValueError(f"ci must be between 0 and 1, got {ci!r}")
    return float(stats.norm.ppf(0.5 + ci / 2))


def _influence(
    weighting: WeightingResult, num: np.ndarray, den: np.ndarray, total: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimates, influence values u (n × k) and Σ w·den for k ratios Σ w·num / Σ w·den at once.

    A domain mean is the ratio with num = δ·y and den = δ; a total has no denominator
    (``total=True``: estimate Σ w·num, z = num). Linearisation as in the module docstring,
    with z_i = num_i − R̂·den_i for a ratio R̂; the variance of a contrast Σ c_j R̂_j is the
    design variance of Σ_j c_j u_j (:func:`.design.design_covariance`).
    """
    w = weighting.weights.to_numpy()
    sum_den = (w[:, None] * den).sum(axis=0)
    weighted = (w[:, None] * num).sum(axis=0)
    if total:
        estimate, z, scale = weighted, num, np.ones_like(sum_den)
    else:
        if (sum_den <= 0).any():
            raise ValueError("a domain has no respondent with a positive weight; its estimate is not defined")
        estimate = weighted / sum_den
        z, scale = num - estimate * den, sum_den
    model = weighting.model
    if model is None:
        return estimate, w[:, None] * z / scale, sum_den
    w_cal = weighting.calibrated_weights
    r = (w / w_cal)[:, None] * z / scale
    base = weighting.arrays.base
    k = len(model.cells)
    sums = np.column_stack([np.bincount(model.profile, weights=base * r[:, j], minlength=k) for j in range(r.shape[1])])
    root = np.sqrt(model.base_total)[:, None]
    x = model.indicators()
    coef = np.linalg.lstsq(x * root, sums / root, rcond=None)[0]
    return estimate, w_cal[:, None] * (r - (x @ coef)[model.profile]), sum_den


def _ratio(
    weighting: WeightingResult, num: np.ndarray, den: np.ndarray, total: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimates, SEs and Σ w·den for k ratios (:func:`_influence`, :func:`.design.design_variance`)."""
    estimate, u, sum_den = _influence(weighting, num, den, total)
    return estimate, np.sqrt(design_variance(u, weighting.arrays)), sum_den


def _domain(
    weighting: WeightingResult, y: np.ndarray, answered: np.ndarray, total: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Means (or totals) of ``y`` over the domains ``answered`` (n × k): ratios of δ·y to δ."""
    return _ratio(weighting, np.where(answered, y, 0.0), answered.astype(float), total)


@dataclass(frozen=True, slots=True)
class WeightedEstimateResult:
    """A weighted mean or total over the respondents who answered (see :func:`weighted_mean`)."""

    variable: str
    statistic: str
    n: int
    sum_weights: float
    estimate: float
    se: float
    ci: tuple[float, float]
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "variable": self.variable,
                    "statistic": self.statistic,
                    "n": self.n,
                    "sum_weights": self.sum_weights,
                    "estimate": self.estimate,
                    "se": self.se,
                    "ci_low": self.ci[0],
                    "ci_high": self.ci[1],
                }
            ]
        )

    def summary(self) -> str:
        return (
            f"weighted {self.statistic} of {self.variable}: {self.estimate:.4g} (SE {self.se:.3g}, "
            f"{self.conf_level:.0%} CI {self.ci[0]:.4g} to {self.ci[1]:.4g}), n = {self.n}"
        )


def _numeric(df: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    y = numeric_columns(df, [column])[column].to_numpy()
    return y, ~np.isnan(y)


def _single(
    df: pd.DataFrame, column: str, weighting: WeightingResult, ci: float, total: bool
) -> WeightedEstimateResult:
    _check(df, weighting, [column])
    z = _z(ci)
    y, answered = _numeric(df, column)
    est, se, sum_w = _domain(weighting, y[:, None], answered[:, None], total)
    e, s = float(est[0]), float(se[0])
    return WeightedEstimateResult(
        column, "total" if total else "mean", int(answered.sum()), float(sum_w[0]), e, s, (e - z * s, e + z * s), ci
    )


def weighted_mean(
    df: pd.DataFrame, column: str, weighting: WeightingResult, *, ci: float = 0.95
) -> WeightedEstimateResult:
    r"""Weighted mean of a numeric column over those who answered, with a calibration-aware SE.

    Parameters
    ----------
    df : DataFrame
        The frame that was weighted (same rows, same index).
    column : str
        Numeric column; missing values mark respondents who did not answer.
    weighting : WeightingResult
        From :func:`rake`, :func:`poststratify`, :func:`trim_weights` or :func:`design_weights`.
    ci : float
        Confidence level of the normal interval.

    Returns
    -------
    WeightedEstimateResult

    Notes
    -----
    .. math:: \bar y_w = \frac{\sum_{i\in D} w_i y_i}{\sum_{i\in D} w_i}

    SE as in the module docstring (R: ``svymean(~y, design, na.rm = TRUE)``).

    References
    ----------
    .. [1] Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley.
    .. [2] Deville, J.-C., & Särndal, C.-E. (1992). Calibration estimators in survey sampling.
           *JASA*, 87(418), 376-382. https://doi.org/10.1080/01621459.1992.10475217

    Examples
    --------
    >>> from analysis.weighting import design_weights
    >>> df = pd.DataFrame({"y": [1.0, 2.0, None, 4.0]})
    >>> weighted_mean(df, "y", design_weights(df)).estimate
    2.3333333333333335
    """
    return _single(df, column, weighting, ci, total=False)


def weighted_total(
    df: pd.DataFrame, column: str, weighting: WeightingResult, *, ci: float = 0.95
) -> WeightedEstimateResult:
    r"""Weighted population total Σ_D w_i y_i of a numeric column (R ``svytotal(na.rm = TRUE)``).

    The SE uses z_i = δ_i y_i without centring; with weights calibrated to counts it is the
    SE of the estimated population total (Lumley 2010, section 2.3). See :func:`weighted_mean`.

    Examples
    --------
    >>> from analysis.weighting import design_weights
    >>> df = pd.DataFrame({"y": [1.0, 2.0, None, 4.0]})
    >>> weighted_total(df, "y", design_weights(df)).estimate
    7.0
    """
    return _single(df, column, weighting, ci, total=True)


def weighted_ratio(
    df: pd.DataFrame, numerator: str, denominator: str, weighting: WeightingResult, *, ci: float = 0.95
) -> WeightedEstimateResult:
    r"""Ratio of weighted totals R̂ = Σ w_i y_i / Σ w_i x_i over the rows where both are present.

    Notes
    -----
    Linearised with z_i = (y_i − R̂ x_i) / Σ w x and the calibration residual of the module
    docstring (R ``svyratio(~y, ~x, design)``; Lumley 2010, section 2.4). A domain mean is
    the ratio of δ·y to the domain indicator δ, so both give the same SE.

    Examples
    --------
    >>> from analysis.weighting import design_weights
    >>> df = pd.DataFrame({"spend": [10.0, 30.0], "visits": [1.0, 3.0]})
    >>> weighted_ratio(df, "spend", "visits", design_weights(df)).estimate
    10.0
    """
    _check(df, weighting, [numerator, denominator])
    z = _z(ci)
    y, y_ok = _numeric(df, numerator)
    x, x_ok = _numeric(df, denominator)
    both = y_ok & x_ok
    est, se, sum_den = _ratio(weighting, np.where(both, y, 0.0)[:, None], np.where(both, x, 0.0)[:, None], False)
    e, s = float(est[0]), float(se[0])
    return WeightedEstimateResult(
        f"{numerator}/{denominator}", "ratio", int(both.sum()), float(sum_den[0]), e, s, (e - z * s, e + z * s), ci
    )


@dataclass(frozen=True, slots=True)
class WeightedProportionsResult:
    """Weighted shares of every category that occurs among those who answered."""

    variable: str
    n: int
    categories: tuple[Any, ...]
    p: tuple[float, ...]
    se: tuple[float, ...]
    ci: tuple[tuple[float, float], ...]
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "variable": self.variable,
                "category": list(self.categories),
                "p": list(self.p),
                "se": list(self.se),
                "ci_low": [c[0] for c in self.ci],
                "ci_high": [c[1] for c in self.ci],
            }
        )

    def summary(self) -> str:
        parts = [f"{c}: {p:.1%} (SE {s:.3g})" for c, p, s in zip(self.categories, self.p, self.se, strict=True)]
        return f"weighted shares of {self.variable} (n = {self.n}): " + "; ".join(parts)


def weighted_proportions(
    df: pd.DataFrame, column: str, weighting: WeightingResult, *, ci: float = 0.95
) -> WeightedProportionsResult:
    """Weighted proportion of each category among those who answered (R ``svymean(~factor(v))``).

    Each share is the weighted mean of the category's 0/1 indicator over D, with the SE of
    :func:`weighted_mean`. Categories are sorted; a calibrated margin's shares equal the
    population shares with SE ≈ 0. A top-2-box share is the sum of two categories, or
    :func:`weighted_mean` of a 0/1 column.

    Examples
    --------
    >>> from analysis.weighting import design_weights
    >>> df = pd.DataFrame({"v": ["a", "b", "b", None]})
    >>> weighted_proportions(df, "v", design_weights(df)).p
    (0.3333333333333333, 0.6666666666666666)
    """
    _check(df, weighting, [column])
    z = _z(ci)
    codes, uniques = pd.factorize(df[column], sort=True, use_na_sentinel=True)
    answered = codes >= 0
    if not answered.any():
        raise ValueError(f"column {column!r} has no answers")
    y = (codes[:, None] == np.arange(len(uniques))[None, :]).astype(float)
    est, se, _ = _domain(weighting, y, np.repeat(answered[:, None], len(uniques), axis=1), total=False)
    cats = tuple(u.item() if hasattr(u, "item") else u for u in uniques)
    return WeightedProportionsResult(
        column,
        int(answered.sum()),
        cats,
        tuple(map(float, est)),
        tuple(map(float, se)),
        tuple((float(e - z * s), float(e + z * s)) for e, s in zip(est, se, strict=True)),
        ci,
    )


@dataclass(frozen=True, slots=True)
class WeightedNpsResult:
    """Weighted Net Promoter Score in points, with the weighted promoter and detractor shares."""

    variable: str
    n: int
    nps: float
    se: float
    ci: tuple[float, float]
    promoters_share: float
    detractors_share: float
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "variable": self.variable,
                    "n": self.n,
                    "nps": self.nps,
                    "se": self.se,
                    "ci_low": self.ci[0],
                    "ci_high": self.ci[1],
                    "promoters_share": self.promoters_share,
                    "detractors_share": self.detractors_share,
                }
            ]
        )

    def summary(self) -> str:
        return (
            f"weighted NPS of {self.variable}: {self.nps:.1f} (SE {self.se:.2f}, {self.conf_level:.0%} CI "
            f"{self.ci[0]:.1f} to {self.ci[1]:.1f}); promoters {self.promoters_share:.1%}, detractors "
            f"{self.detractors_share:.1%}, n = {self.n}"
        )


def weighted_nps(
    df: pd.DataFrame,
    column: str,
    weighting: WeightingResult,
    *,
    promoter_min: int = 9,
    detractor_max: int = 6,
    ci: float = 0.95,
) -> WeightedNpsResult:
    r"""Weighted NPS: the weighted mean of +100 (promoters), 0 (passives), −100 (detractors).

    Notes
    -----
    .. math:: \mathrm{NPS}_w = 100\,(\hat p_w - \hat d_w) = \frac{\sum_D w_i s_i}{\sum_D w_i}

    with s_i = 100 for answers ≥ ``promoter_min`` (9), −100 for answers ≤ ``detractor_max``
    (6) and 0 between, on the 0-10 likelihood-to-recommend question (Reichheld 2003). The SE
    is that of the weighted mean of s (R ``svymean(~nps_score, na.rm = TRUE)``), which is the
    linearisation of p̂ − d̂ under the weights and the calibration.

    References
    ----------
    .. [1] Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business Review*,
           81(12), 46-54.

    Examples
    --------
    >>> from analysis.weighting import design_weights
    >>> df = pd.DataFrame({"ltr": [10, 9, 7, 3]})
    >>> weighted_nps(df, "ltr", design_weights(df)).nps
    25.0
    """
    _check(df, weighting, [column])
    z = _z(ci)
    x, answered = _numeric(df, column)
    xs = x[answered]
    if ((xs < 0) | (xs > 10) | (xs != np.round(xs))).any():
        raise ValueError(
            f"column {column!r} holds {xs[(xs < 0) | (xs > 10) | (xs != np.round(xs))][0]:g}; "
            "likelihood to recommend is a whole number 0-10"
        )
    score = np.where(x >= promoter_min, 100.0, np.where(x <= detractor_max, -100.0, 0.0))
    est, se, sum_w = _domain(weighting, score[:, None], answered[:, None], total=False)
    w = weighting.weights.to_numpy()
    e, s = float(est[0]), float(se[0])
    return WeightedNpsResult(
        column,
        int(answered.sum()),
        e,
        s,
        (e - z * s, e + z * s),
        float(w[answered & (x >= promoter_min)].sum() / sum_w[0]),
        float(w[answered & (x <= detractor_max)].sum() / sum_w[0]),
        ci,
    )


@dataclass(frozen=True, slots=True)
class WeightedSegmentsResult:
    """Weighted means of one variable per segment (see :func:`weighted_means_by`).

    ``covariance``: the linearisation covariance matrix of the segment means (levels × levels,
    NaN rows and columns for a level where nobody answered); ``df``: the design degrees of
    freedom of those who answered in any segment (:func:`.design.design_df`).
    """

    variable: str
    segment: str
    rows: tuple[WeightedEstimateResult, ...] = field(compare=False)
    levels: tuple[Any, ...]
    covariance: np.ndarray = field(default_factory=lambda: np.empty((0, 0)), compare=False, repr=False)
    df: int = 0

    def to_frame(self) -> pd.DataFrame:
        frame = pd.concat([r.to_frame() for r in self.rows], ignore_index=True)
        frame.insert(0, self.segment, list(self.levels))
        return frame

    def summary(self) -> str:
        return "\n".join(f"{self.segment} = {lv}: {r.summary()}" for lv, r in zip(self.levels, self.rows, strict=True))


def weighted_means_by(
    df: pd.DataFrame, column: str, by: str, weighting: WeightingResult, *, ci: float = 0.95
) -> WeightedSegmentsResult:
    """Weighted mean of ``column`` in every segment of ``by`` (R ``svyby(~y, ~by, svymean, na.rm = TRUE)``).

    Each segment is a domain: D = answered and in the segment, and every other row stays in
    the variance with zero contribution before the calibration residual, so n in the
    variance is the full sample. Rows with a missing segment belong to no segment; a segment
    in which nobody answered gets n = 0 and NaN estimates. The covariance of the means
    (``covariance``, R ``vcov(svyby(..., covmat = TRUE))``) is the design covariance of their
    influence values (:func:`.design.design_covariance`): calibration to margins that cross the
    segments makes the means of disjoint segments dependent.

    Examples
    --------
    >>> from analysis.weighting import design_weights
    >>> df = pd.DataFrame({"y": [1.0, 3.0, 5.0, 7.0], "g": ["a", "a", "b", "b"]})
    >>> [r.estimate for r in weighted_means_by(df, "y", "g", design_weights(df)).rows]
    [2.0, 6.0]
    """
    _check(df, weighting, [column, by])
    z = _z(ci)
    y, answered = _numeric(df, column)
    codes, uniques = pd.factorize(df[by], sort=True, use_na_sentinel=True)
    if len(uniques) == 0:
        raise ValueError(f"column {by!r} has no segments")
    member = (codes[:, None] == np.arange(len(uniques))[None, :]) & answered[:, None]
    g = len(uniques)
    est, se, sum_w, cov = np.full(g, np.nan), np.full(g, np.nan), np.zeros(g), np.full((g, g), np.nan)
    live = member.any(axis=0)  # a segment where nobody answered gets NaN, not an error
    if live.any():
        d = member[:, live].astype(float)
        est[live], u, sum_w[live] = _influence(weighting, d * np.where(answered, y, 0.0)[:, None], d, total=False)
        cov[np.ix_(live, live)] = design_covariance(u, weighting.arrays)
        se[live] = np.sqrt(np.diag(cov)[live])
    rows = tuple(
        WeightedEstimateResult(
            column,
            "mean",
            int(member[:, j].sum()),
            float(sum_w[j]),
            float(est[j]),
            float(se[j]),
            (float(est[j] - z * se[j]), float(est[j] + z * se[j])),
            ci,
        )
        for j in range(len(uniques))
    )
    levels = tuple(u.item() if hasattr(u, "item") else u for u in uniques)
    return WeightedSegmentsResult(column, by, rows, levels, cov, design_df(weighting.arrays, member.any(axis=1)))


@dataclass(frozen=True, slots=True)
class WeightedDifferenceResult:
    """The difference of the weighted means of one variable in two disjoint domains (:func:`weighted_mean_difference`)."""

    variable: str
    n: tuple[int, int]  # respondents in the first and the second domain
    means: tuple[float, float]
    diff: float
    se: float
    t: float
    df: int
    p: float


def weighted_mean_difference(
    df: pd.DataFrame, column: str, group: str, weighting: WeightingResult
) -> WeightedDifferenceResult:
    r"""Difference ȳ₁ − ȳ₀ of the weighted means of ``column`` where ``group`` is true and false.

    Rows where ``group`` or ``column`` is missing are in neither domain (they stay in the
    variance with zero contribution). Both means are domain means of the module docstring.

    Notes
    -----
    The difference is linearised by the difference of the two means' influence values,
    u = u₁ − u₀ (calibration residual included), so its variance carries their covariance:
    SE = √V̂(Σ (u₁ − u₀)) (:func:`.design.design_variance`). t = (ȳ₁ − ȳ₀)/SE on the design
    degrees of freedom of the rows in either domain minus 1, two-sided p. This is R survey's
    ``svyttest(y ~ g, design)`` (a regression on the group indicator, whose coefficient is
    the difference of the domain means, df ``degf − 1``), the same SE as
    ``svycontrast(svyby(~y, ~g, design, svymean, covmat = TRUE), c(1, -1))`` (Lumley 2010,
    sections 2.4 and 5.2; Deville & Särndal 1992 for the calibration).

    Examples
    --------
    >>> from analysis.weighting import design_weights
    >>> df = pd.DataFrame({"y": [1.0, 3.0, 5.0, 7.0], "g": [True, True, False, False]})
    >>> weighted_mean_difference(df, "y", "g", design_weights(df)).diff
    -4.0
    """
    _check(df, weighting, [column, group])
    y, answered = _numeric(df, column)
    g = df[group]
    known = answered & g.notna().to_numpy()
    in_group = g.astype("boolean").fillna(False).to_numpy(bool)
    d = np.column_stack([known & in_group, known & ~in_group]).astype(float)
    n1, n0 = (int(x) for x in d.sum(axis=0))
    if n1 == 0 or n0 == 0:
        raise ValueError(
            f"{group!r} splits the respondents who answered {column!r} into {n1} and {n0}: nothing to compare"
        )
    est, u, _ = _influence(weighting, d * np.where(answered, y, 0.0)[:, None], d, total=False)
    diff = float(est[0] - est[1])
    se = float(np.sqrt(design_variance(u[:, :1] - u[:, 1:], weighting.arrays))[0])
    dof = design_df(weighting.arrays, known) - 1
    t = diff / se if se > 0 else np.nan
    p = float(2 * stats.t.sf(abs(t), dof)) if se > 0 and dof > 0 else np.nan
    return WeightedDifferenceResult(column, (n1, n0), (float(est[0]), float(est[1])), diff, se, t, dof, p)
