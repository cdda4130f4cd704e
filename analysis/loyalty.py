"""Loyalty measured from answers: NPS with intervals, top boxes, the satisfaction-loyalty matrix,
a 0-100 index and repurchase-probability bands.

What a kept customer is worth (customer lifetime value, the gain from a retention programme) is
arithmetic on margins and churn rates, not on answers: it lives in :mod:`analysis.lifetime_value`
and is re-exported here under its former names.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

from analysis.lifetime_value import ClvResult, RetentionProgrammeResult, customer_lifetime_value, retention_programme
from analysis.quality import numeric_columns

__all__ = [
    "ClvResult",
    "IndexResult",
    "LoyaltyMatrixResult",
    "NpsDifferenceResult",
    "NpsResult",
    "NpsSegmentsResult",
    "RepurchaseBandsResult",
    "RetentionProgrammeResult",
    "TopBoxResult",
    "acsi_index",
    "customer_lifetime_value",
    "nps",
    "nps_by_segment",
    "nps_difference",
    "repurchase_bands",
    "retention_programme",
    "satisfaction_loyalty_matrix",
    "top_box",
]

NPS_CATEGORIES = ("detractor", "passive", "promoter")


def _series(values: pd.Series, default_name: str) -> tuple[str, pd.Series]:
    if not isinstance(values, pd.Series):
        raise TypeError(f"expected a pandas Series, got {type(values).__name__}")
    name = str(values.name) if values.name is not None else default_name
    return name, numeric_columns(values.to_frame(name), [name])[name]


def _ltr(values: pd.Series) -> tuple[str, np.ndarray]:
    name, s = _series(values, "ltr")
    x = s.dropna().to_numpy()
    bad = (x < 0) | (x > 10) | (x != np.round(x))
    if bad.any():
        raise ValueError(f"column {name!r} holds {x[bad][0]:g}; likelihood to recommend is a whole number 0-10")
    return name, x


@dataclass(frozen=True, slots=True)
class NpsResult:
    """Net Promoter Score with three intervals (see :func:`nps`)."""

    n: int
    n_promoters: int
    n_passives: int
    n_detractors: int
    pct_promoters: float
    pct_passives: float
    pct_detractors: float
    nps: float
    mean_ltr: float
    conf_level: float
    z: float
    wald_se: float
    wald_ci: tuple[float, float]
    adjusted_nps: float
    adjusted_se: float
    adjusted_ci: tuple[float, float]
    trinomial_se: float
    trinomial_ci: tuple[float, float]

    def to_frame(self) -> pd.DataFrame:
        """One row per interval method."""
        return pd.DataFrame(
            {
                "method": ["wald", "adjusted_wald", "trinomial_mean"],
                "estimate": [self.nps, self.adjusted_nps, self.nps],
                "se": [self.wald_se, self.adjusted_se, self.trinomial_se],
                "ci_low": [self.wald_ci[0], self.adjusted_ci[0], self.trinomial_ci[0]],
                "ci_high": [self.wald_ci[1], self.adjusted_ci[1], self.trinomial_ci[1]],
            }
        )

    def summary(self) -> str:
        return (
            f"NPS {self.nps:+.1f} (n = {self.n}: {self.pct_promoters:.1f} % promoters, "
            f"{self.pct_passives:.1f} % passives, {self.pct_detractors:.1f} % detractors); "
            f"{100 * self.conf_level:g} % CI adjusted Wald "
            f"[{self.adjusted_ci[0]:+.1f}, {self.adjusted_ci[1]:+.1f}], "
            f"Wald [{self.wald_ci[0]:+.1f}, {self.wald_ci[1]:+.1f}]"
        )


def _net_se(p: float, d: float, n: float) -> float:
    # Var(p - d) of a trinomial; max() guards against a rounding -0.0 when every answer is alike.
    return 100 * math.sqrt(max(0.0, p + d - (p - d) ** 2) / n)


def nps(values: pd.Series, *, conf_level: float = 0.95) -> NpsResult:
    r"""Net Promoter Score with Wald, adjusted-Wald and trinomial-mean intervals.

    Parameters
    ----------
    values : Series
        Likelihood to recommend, whole numbers 0-10; missing answers are dropped.
    conf_level : float
        Two-sided level of the intervals (z = the normal quantile).

    Returns
    -------
    NpsResult

    Notes
    -----
    Promoters answer 9-10, passives 7-8, detractors 0-6; with proportions p and d,
    :math:`NPS = 100(p - d)`.

    * Wald: :math:`SE = 100\sqrt{(p + d - (p - d)^2)/n}`, CI :math:`NPS \pm z\,SE`.
    * Adjusted Wald (Rocks 2016): n' = n + 3, p' = (n_P + 0.75)/n', d' = (n_D + 0.75)/n', the same
      formula on p', d', n', centred on :math:`NPS' = 100(p' - d')`. Recommended for small n.
    * Trinomial mean: the SD (n - 1) of the scores +1/0/-1 over :math:`\sqrt n`, centred on NPS;
      not defined (NaN) for n = 1.

    References
    ----------
    .. [1] Reichheld, F. F. (2003). The one number you need to grow. Harvard Business Review,
           81(12), 46-54.
    .. [2] Rocks, B. (2016). Interval estimation for the "net promoter score". The American
           Statistician, 70(4), 365-372. arXiv:1601.07235.

    Examples
    --------
    >>> nps(pd.Series([10, 9, 8, 3])).nps
    25.0
    """
    _, x = _ltr(values)
    n = len(x)
    n_p, n_d = int((x >= 9).sum()), int((x <= 6).sum())
    p, d = n_p / n, n_d / n
    z = float(stats.norm.ppf(1 - (1 - conf_level) / 2))
    score = 100 * (p - d)
    se = _net_se(p, d, n)
    n2 = n + 3
    p2, d2 = (n_p + 0.75) / n2, (n_d + 0.75) / n2
    adj, se2 = 100 * (p2 - d2), _net_se(p2, d2, n2)
    scores = np.where(x >= 9, 1.0, np.where(x <= 6, -1.0, 0.0))
    se3 = 100 * float(scores.std(ddof=1)) / math.sqrt(n) if n > 1 else np.nan
    return NpsResult(
        n=n,
        n_promoters=n_p,
        n_passives=n - n_p - n_d,
        n_detractors=n_d,
        pct_promoters=100 * p,
        pct_passives=100 * (n - n_p - n_d) / n,
        pct_detractors=100 * d,
        nps=score,
        mean_ltr=float(x.mean()),
        conf_level=conf_level,
        z=z,
        wald_se=se,
        wald_ci=(score - z * se, score + z * se),
        adjusted_nps=adj,
        adjusted_se=se2,
        adjusted_ci=(adj - z * se2, adj + z * se2),
        trinomial_se=se3,
        trinomial_ci=(score - z * se3, score + z * se3),
    )


@dataclass(frozen=True, slots=True)
class NpsDifferenceResult:
    """Difference of two independent NPS (see :func:`nps_difference`)."""

    diff: float
    se: float
    z: float
    p_two_sided: float
    ci: tuple[float, float]
    conf_level: float

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "diff": self.diff,
                    "se": self.se,
                    "z": self.z,
                    "p_two_sided": self.p_two_sided,
                    "ci_low": self.ci[0],
                    "ci_high": self.ci[1],
                }
            ]
        )

    def summary(self) -> str:
        return (
            f"NPS difference {self.diff:+.1f} (SE {self.se:.1f}), z = {self.z:.2f}, p = {self.p_two_sided:.4f}, "
            f"{100 * self.conf_level:g} % CI [{self.ci[0]:+.1f}, {self.ci[1]:+.1f}]"
        )


def nps_difference(first: NpsResult, second: NpsResult) -> NpsDifferenceResult:
    r"""Difference first - second of two NPS from independent samples, with a Wald z test.

    Notes
    -----
    :math:`SE = \sqrt{SE_1^2 + SE_2^2}` with the Wald SEs, :math:`z = (NPS_1 - NPS_2)/SE`, two-sided
    normal p; CI at the level of ``first``. Not defined (NaN) when both SEs are 0.

    References
    ----------
    .. [1] Rocks, B. (2016). Interval estimation for the "net promoter score". The American
           Statistician, 70(4), 365-372. arXiv:1601.07235.
    """
    diff = first.nps - second.nps
    se = math.hypot(first.wald_se, second.wald_se)
    z = diff / se if se > 0 else np.nan
    p = float(2 * stats.norm.sf(abs(z))) if se > 0 else np.nan
    return NpsDifferenceResult(
        diff=diff, se=se, z=z, p_two_sided=p, ci=(diff - first.z * se, diff + first.z * se), conf_level=first.conf_level
    )


@dataclass(frozen=True, slots=True)
class NpsSegmentsResult:
    """NPS per segment and the chi-square test of segment x NPS category (see :func:`nps_by_segment`)."""

    segments: Mapping[str, NpsResult] = field(compare=False)
    counts: pd.DataFrame = field(compare=False)  # segment x (detractor, passive, promoter)
    chi2: float
    chi2_df: int
    chi2_p: float
    correction: bool

    def to_frame(self) -> pd.DataFrame:
        rows = [
            {
                "segment": s,
                "n": r.n,
                "nps": r.nps,
                "adjusted_ci_low": r.adjusted_ci[0],
                "adjusted_ci_high": r.adjusted_ci[1],
            }
            for s, r in self.segments.items()
        ]
        return pd.DataFrame(rows)

    def summary(self) -> str:
        lines = ["NPS by segment"] + [f"  {s:<16} {r.summary()}" for s, r in self.segments.items()]
        lines.append(f"  chi-square({self.chi2_df}) = {self.chi2:.3f}, p = {self.chi2_p:.4f}")
        return "\n".join(lines)


def nps_by_segment(
    values: pd.Series,
    segments: pd.Series,
    *,
    conf_level: float = 0.95,
    correction: bool = False,
    weights: pd.Series | None = None,
) -> NpsSegmentsResult:
    """NPS per segment (sorted) and Pearson's chi-square test of segment x NPS category.

    Parameters
    ----------
    values : Series
        Likelihood to recommend 0-10.
    segments : Series
        Segment labels; rows missing either are dropped.
    conf_level : float
    correction : bool
        Yates continuity correction; it applies only when the table is 2 x 2 (R ``chisq.test`` and
        scipy apply it to 2 x 2 tables by default, so say what you want).
    weights : Series, optional
        Survey weights on the same index: see Notes.

    Notes
    -----
    Categories nobody chose are left out of the table (their expected counts would be 0); with
    fewer than two categories left the test is not defined (NaN).

    With survey weights each segment's shares are weighted, p = Σ w·1[promoter]/Σ w and d alike,
    NPS = 100 (p − d), its SE √((p + d − (p − d)²)/n_eff)·100 with Kish's n_eff of the segment
    (all three intervals become this one), and ``counts`` holds the weighted counts scaled to the
    segment's respondents (n·share), so that bars drawn from it show the weighted shares. Pearson's
    test does not hold for weighted counts (it needs Rao & Scott's correction, not computed here):
    ``chi2`` and ``chi2_p`` are NaN.

    References
    ----------
    .. [1] Pearson, K. (1900). On the criterion that a given system of deviations from the probable
           in the case of a correlated system of variables is such that it can be reasonably supposed
           to have arisen from random sampling. Philosophical Magazine, 50(302), 157-175.
           https://doi.org/10.1080/14786440009463897
    """
    if len(values) != len(segments):
        raise ValueError(f"values ({len(values)}) and segments ({len(segments)}) differ in length")
    name, x = _series(values, "ltr")
    keep = x.notna() & segments.notna()
    _ltr(x[keep])
    levels = sorted(pd.unique(segments[keep]).tolist())
    if len(levels) < 2:
        raise ValueError(f"column {name!r}: comparing NPS needs at least 2 segments with answers, got {len(levels)}")
    by_segment = {str(s): nps(x[keep & (segments == s)], conf_level=conf_level) for s in levels}
    if weights is not None:
        w = weights.reindex(x.index).astype(float)
        by_segment = {
            str(s): _weighted_nps(by_segment[str(s)], x[keep & (segments == s)], w[keep & (segments == s)])
            for s in levels
        }
    counts = pd.DataFrame(
        {  # weighted: n x the weighted share (the n_* of each NpsResult stay respondents)
            "detractor": [
                r.n_detractors if weights is None else r.n * r.pct_detractors / 100 for r in by_segment.values()
            ],
            "passive": [r.n_passives if weights is None else r.n * r.pct_passives / 100 for r in by_segment.values()],
            "promoter": [
                r.n_promoters if weights is None else r.n * r.pct_promoters / 100 for r in by_segment.values()
            ],
        },
        index=pd.Index(list(by_segment), name="segment"),
    )
    used = counts.loc[:, counts.sum() > 0]
    if weights is not None or used.shape[1] < 2:
        chi2, dof, p = np.nan, 0, np.nan
    else:
        test = stats.chi2_contingency(used.to_numpy(), correction=correction)
        chi2, dof, p = float(test.statistic), int(test.dof), float(test.pvalue)
    return NpsSegmentsResult(
        segments=by_segment, counts=counts, chi2=chi2, chi2_df=dof, chi2_p=p, correction=correction
    )


def _weighted_nps(r: NpsResult, x: pd.Series, w: pd.Series) -> NpsResult:
    """``r`` (one segment's unweighted NPS) with weighted shares and the n_eff-based SE (nps_by_segment's Notes)."""
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be finite, non-negative and not all zero in every segment")
    total = float(w.sum())
    p, d = float(w[x >= 9].sum()) / total, float(w[x <= 6].sum()) / total
    n_eff = total**2 / float((w * w).sum())
    se = 100 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n_eff)
    score = 100 * (p - d)
    ci = (score - r.z * se, score + r.z * se)
    return replace(
        r,
        pct_promoters=100 * p,
        pct_passives=100 * (1 - p - d),
        pct_detractors=100 * d,
        nps=score,
        mean_ltr=float((w * x).sum()) / total,
        wald_se=se,
        wald_ci=ci,
        adjusted_nps=score,
        adjusted_se=se,
        adjusted_ci=ci,
        trinomial_se=se,
        trinomial_ci=ci,
    )


@dataclass(frozen=True, slots=True)
class TopBoxResult:
    """Share of answers in the top box(es) of a scale (see :func:`top_box`)."""

    n: int
    count: int
    pct: float
    threshold: float

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{"n": self.n, "count": self.count, "pct": self.pct, "threshold": self.threshold}])

    def summary(self) -> str:
        return f"{self.pct:.1f} % answered >= {self.threshold:g} ({self.count} of {self.n})"


def top_box(values: pd.Series, *, scale_max: int, boxes: int = 2) -> TopBoxResult:
    """Percent of answers in the top ``boxes`` points of a scale ending at ``scale_max``.

    Top-2-box on a 1-10 scale is the share answering 9 or 10. Missing answers are dropped; an
    answer above ``scale_max`` is an error.

    Examples
    --------
    >>> top_box(pd.Series([10, 9, 5, 7]), scale_max=10).pct
    50.0
    """
    if boxes < 1:
        raise ValueError(f"boxes must be at least 1, got {boxes!r}")
    name, s = _series(values, "values")
    x = s.dropna().to_numpy()
    if (x > scale_max).any():
        raise ValueError(f"column {name!r} holds {x[x > scale_max][0]:g}, above the scale maximum {scale_max:g}")
    threshold = scale_max - boxes + 1
    count = int((x >= threshold).sum())
    return TopBoxResult(n=len(x), count=count, pct=100 * count / len(x), threshold=float(threshold))


@dataclass(frozen=True, slots=True)
class LoyaltyMatrixResult:
    """Satisfaction-loyalty matrix counts (see :func:`satisfaction_loyalty_matrix`)."""

    loyalists: int
    mercenaries: int
    hostages: int
    defectors: int
    satisfied_if_ge: float
    loyal_if_ge: float
    # with survey weights: the weighted percent of loyalists, mercenaries, hostages and defectors
    weighted_pct: tuple[float, float, float, float] | None = None

    @property
    def n(self) -> int:
        return self.loyalists + self.mercenaries + self.hostages + self.defectors

    @property
    def pct(self) -> tuple[float, float, float, float]:
        """Percent of each type (loyalists, mercenaries, hostages, defectors): weighted when weights were given."""
        if self.weighted_pct is not None:
            return self.weighted_pct
        cells = (self.loyalists, self.mercenaries, self.hostages, self.defectors)
        return tuple(100 * v / self.n if self.n else np.nan for v in cells)  # type: ignore[return-value]

    def to_frame(self) -> pd.DataFrame:
        cells = {
            "loyalists": self.loyalists,
            "mercenaries": self.mercenaries,
            "hostages": self.hostages,
            "defectors": self.defectors,
        }
        return pd.DataFrame({"segment": list(cells), "n": list(cells.values()), "pct": list(self.pct)})

    def summary(self) -> str:
        lines = [f"Satisfaction-loyalty matrix (satisfied >= {self.satisfied_if_ge:g}, loyal >= {self.loyal_if_ge:g})"]
        lines += [f"  {r.segment:<12} {r.n:>6}  {r.pct:5.1f} %" for r in self.to_frame().itertuples()]
        return "\n".join(lines)


def satisfaction_loyalty_matrix(
    satisfaction: pd.Series,
    loyalty: pd.Series,
    *,
    satisfied_if_ge: float,
    loyal_if_ge: float,
    weights: pd.Series | None = None,
) -> LoyaltyMatrixResult:
    """Jones & Sasser's four customer types from satisfaction and loyalty thresholds.

    Notes
    -----
    Satisfied if satisfaction >= ``satisfied_if_ge``, loyal if loyalty (recommend or repurchase)
    >= ``loyal_if_ge``. Loyalists (apostles): satisfied and loyal; mercenaries: satisfied, not
    loyal; hostages: loyal, not satisfied; defectors (terrorists): neither. Rows missing either
    answer are left out.

    References
    ----------
    .. [1] Jones, T. O., & Sasser, W. E. (1995). Why satisfied customers defect. Harvard Business
           Review, 73(6), 88-99.
    .. [2] Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley.
    """
    if len(satisfaction) != len(loyalty):
        raise ValueError(f"satisfaction ({len(satisfaction)}) and loyalty ({len(loyalty)}) differ in length")
    _, sat_values = _series(satisfaction, "satisfaction")
    _, loy_values = _series(loyalty, "loyalty")
    ok = sat_values.notna().to_numpy() & loy_values.notna().to_numpy()
    sat = sat_values.to_numpy()[ok] >= satisfied_if_ge
    loy = loy_values.to_numpy()[ok] >= loyal_if_ge
    shares = None
    if weights is not None:
        w = weights.reindex(satisfaction.index).to_numpy(dtype=np.float64)[ok]
        if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise ValueError("the weights of the rows with both answers must be finite, non-negative, not all 0")
        cells = (sat & loy, sat & ~loy, ~sat & loy, ~sat & ~loy)
        shares = tuple(float(100 * w[c].sum() / w.sum()) for c in cells)
    return LoyaltyMatrixResult(
        loyalists=int((sat & loy).sum()),
        mercenaries=int((sat & ~loy).sum()),
        hostages=int((~sat & loy).sum()),
        defectors=int((~sat & ~loy).sum()),
        satisfied_if_ge=satisfied_if_ge,
        loyal_if_ge=loyal_if_ge,
        weighted_pct=shares,  # type: ignore[arg-type]
    )


@dataclass(frozen=True, slots=True)
class IndexResult:
    """ACSI-style 0-100 index (see :func:`acsi_index`)."""

    item_index: pd.Series = field(compare=False)  # per item: 100 (mean - a)/(b - a)
    weights: pd.Series = field(compare=False)  # normalised to sum 1
    weighted_index: float
    respondent_mean_index: float  # equal weights, per respondent, then averaged
    n_complete: int

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {"item": self.item_index.index, "index": self.item_index.to_numpy(), "weight": self.weights.to_numpy()}
        )

    def summary(self) -> str:
        items = ", ".join(f"{k} {v:.1f}" for k, v in self.item_index.items())
        return (
            f"Satisfaction index (0-100): {self.weighted_index:.1f} weighted; {self.respondent_mean_index:.1f} "
            f"mean of {self.n_complete} respondents; items: {items}"
        )


def acsi_index(
    df: pd.DataFrame,
    items: Sequence[str],
    *,
    scale: tuple[float, float] = (1, 10),
    weights: Sequence[float] | Mapping[str, float] | None = None,
) -> IndexResult:
    r"""ACSI-style satisfaction index on 0-100 from satisfaction items on a common scale.

    Parameters
    ----------
    df : DataFrame
    items : sequence of str
        E.g. overall satisfaction, confirmation of expectations, comparison with the ideal.
    scale : (a, b)
        The items' scale, (1, 10) in the ACSI.
    weights : sequence or mapping, optional
        Item weights, normalised to sum 1; default equal. (The ACSI estimates them by PLS;
        surveykit uses equal or user weights and says so.)

    Notes
    -----
    Item index :math:`100(\bar x_j - a)/(b - a)` on every available answer; weighted index
    :math:`\sum_j w_j \cdot index_j`; respondent index :math:`100(\bar x_i - a)/(b - a)` with
    :math:`\bar x_i` the respondent's mean of the items, averaged over respondents who answered all.

    References
    ----------
    .. [1] Fornell, C., Johnson, M. D., Anderson, E. W., Cha, J., & Bryant, B. E. (1996). The
           American Customer Satisfaction Index: nature, purpose, and findings. Journal of
           Marketing, 60(4), 7-18. https://doi.org/10.1177/002224299606000403
    """
    low, high = scale
    if not high > low:
        raise ValueError(f"scale must be (low, high) with high > low, got {scale!r}")
    values = numeric_columns(df, list(items))
    outside = (values < low) | (values > high)
    if outside.any().any():
        col = outside.any().idxmax()
        raise ValueError(f"column {col!r} holds {values[col][outside[col]].iloc[0]:g}, outside the scale {scale!r}")
    if weights is None:
        w = pd.Series(1.0, index=list(items))
    elif isinstance(weights, Mapping):
        missing = [i for i in items if i not in weights]
        if missing:
            raise ValueError(f"no weight for item {missing[0]!r}")
        w = pd.Series({i: float(weights[i]) for i in items})
    else:
        if len(weights) != len(items):
            raise ValueError(f"{len(weights)} weights for {len(items)} items")
        w = pd.Series([float(v) for v in weights], index=list(items))
    if (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"weights must be non-negative with a positive sum, got {w.tolist()!r}")
    w = w / w.sum()
    item_index = 100 * (values.mean() - low) / (high - low)
    complete = values.dropna()
    if complete.empty:
        raise ValueError(f"no respondent answered all of {list(items)!r}")
    respondent = 100 * (complete.mean(axis=1) - low) / (high - low)
    return IndexResult(
        item_index=item_index,
        weights=w,
        weighted_index=float((w * item_index).sum()),
        respondent_mean_index=float(respondent.mean()),
        n_complete=len(complete),
    )


@dataclass(frozen=True, slots=True)
class RepurchaseBandsResult:
    """Respondents per repurchase-probability band (see :func:`repurchase_bands`)."""

    n: int
    high: int  # > 70 %
    medium: int  # 30-70 %
    low: int  # < 30 %

    def to_frame(self) -> pd.DataFrame:
        counts = {"high (>70 %)": self.high, "medium (30-70 %)": self.medium, "low (<30 %)": self.low}
        return pd.DataFrame(
            {"band": list(counts), "n": list(counts.values()), "pct": [100 * v / self.n for v in counts.values()]}
        )

    def summary(self) -> str:
        return "Repurchase probability: " + ", ".join(f"{r.band} {r.pct:.1f} %" for r in self.to_frame().itertuples())


def repurchase_bands(values: pd.Series, *, maximum: float = 100) -> RepurchaseBandsResult:
    """Count respondents by stated repurchase probability: above 70 %, 30-70 %, below 30 %.

    Parameters
    ----------
    values : Series
        Stated probability on 0..``maximum`` (percent by default; use ``maximum=1`` for
        proportions). Exactly 30 % and 70 % fall in the middle band. Missing answers are dropped.

    Examples
    --------
    >>> repurchase_bands(pd.Series([90, 70, 50, 10])).high
    1
    """
    name, s = _series(values, "repurchase")
    share = s.dropna().to_numpy() / maximum
    if ((share < 0) | (share > 1)).any():
        raise ValueError(f"column {name!r} holds a value outside 0-{maximum:g}")
    return RepurchaseBandsResult(
        n=len(share),
        high=int((share > 0.7).sum()),
        medium=int(((share >= 0.3) & (share <= 0.7)).sum()),
        low=int((share < 0.3).sum()),
    )
