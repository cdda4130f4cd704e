"""Branch, dealer and wave comparisons of a metric outcome.

:func:`compare` is the comparison block used across surveykit (SERVQUAL score by segment, overall
satisfaction by branch): group descriptives, one-way ANOVA, Welch's ANOVA, Kruskal-Wallis, pairwise
Welch t with Holm adjustment and Tukey HSD. :func:`funnel_limits` puts control limits around the
overall mean so that small dealers are not ranked on noise, and :func:`over_waves` tracks a score
or 0-100 index over survey waves.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.integrate import IntegrationWarning

from analysis.quality import numeric_columns, require_variance

__all__ = [
    "ComparisonResult",
    "FunnelResult",
    "WaveResult",
    "compare",
    "funnel_limits",
    "holm",
    "over_waves",
]

# Rank tests judge ties after rounding, so that averages computed in a different order tie alike.
RANK_DECIMALS = 10


def holm(p: Sequence[float] | np.ndarray) -> np.ndarray:
    r"""Holm's step-down adjustment of a family of p-values (R ``p.adjust(p, "holm")``).

    Notes
    -----
    With the m p-values sorted ascending, :math:`\tilde p_{(i)} = \max_{j \le i}
    \min\{1, (m - j + 1) p_{(j)}\}`. NaN p-values are left out of the family and stay NaN.

    References
    ----------
    .. [1] Holm, S. (1979). A simple sequentially rejective multiple test procedure.
           Scandinavian Journal of Statistics, 6(2), 65-70.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(2).tolist()
    [0.03, 0.06, 0.06]
    """
    p = np.asarray(p, dtype=float)
    out = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    values = p[ok]
    m = len(values)
    order = np.argsort(values, kind="stable")
    adjusted = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * values[order]))
    result = np.empty(m)
    result[order] = adjusted
    out[ok] = result
    return out


def _grouped(values: pd.Series, groups: pd.Series) -> tuple[str, dict[Any, np.ndarray]]:
    """Validate, drop rows missing either, and split ``values`` by group in level order."""
    if not isinstance(values, pd.Series) or not isinstance(groups, pd.Series):
        raise TypeError("values and groups must be pandas Series")
    if len(values) != len(groups):
        raise ValueError(f"values ({len(values)}) and groups ({len(groups)}) differ in length")
    name = str(values.name) if values.name is not None else "values"
    y = numeric_columns(values.to_frame(name), [name])[name].to_numpy()
    g = groups.to_numpy()
    ok = ~np.isnan(y) & pd.notna(groups).to_numpy()
    if isinstance(groups.dtype, pd.CategoricalDtype):
        levels = [c for c in groups.cat.categories if (g[ok] == c).any()]
    else:
        levels = sorted(pd.unique(g[ok]).tolist())
    return name, {level: y[ok & (g == level)] for level in levels}


def _welch_anova(parts: list[np.ndarray]) -> tuple[float, float, float, float]:
    # Welch (1951), as R oneway.test(var.equal = FALSE).
    k = len(parts)
    n = np.array([len(x) for x in parts], dtype=float)
    mean = np.array([x.mean() for x in parts])
    var = np.array([x.var(ddof=1) for x in parts])
    if (var == 0).any():
        return (np.nan, float(k - 1), np.nan, np.nan)
    w = n / var
    grand = (w * mean).sum() / w.sum()
    tmp = ((1 - w / w.sum()) ** 2 / (n - 1)).sum() / (k * k - 1)
    f = ((w * (mean - grand) ** 2).sum() / (k - 1)) / (1 + 2 * (k - 2) * tmp)
    df2 = 1 / (3 * tmp)
    return float(f), float(k - 1), float(df2), float(stats.f.sf(f, k - 1, df2))


def _welch_t_p(a: np.ndarray, b: np.ndarray) -> float:
    r"""Two-sided p of Welch's t for the means of ``a`` and ``b`` (R ``t.test(a, b)``).

    :math:`t = (\bar a - \bar b)/\sqrt{s_a^2/n_a + s_b^2/n_b}` on the Welch-Satterthwaite df
    :math:`(s_a^2/n_a + s_b^2/n_b)^2 / \bigl(\frac{(s_a^2/n_a)^2}{n_a-1} + \frac{(s_b^2/n_b)^2}{n_b-1}\bigr)`
    (Welch 1947), computed by ``scipy.stats.ttest_ind_from_stats(..., equal_var=False)``.  Not
    ``ttest_ind`` on the raw values: that warns of "precision loss" whenever a group is constant,
    which a small dealer's answers on a 5-point scale often are, and the result is exact there.
    Two constant groups leave t undefined (R stops with "data are essentially constant"): NaN.
    """
    if a.var(ddof=1) + b.var(ddof=1) == 0:
        return np.nan
    result = stats.ttest_ind_from_stats(
        a.mean(), a.std(ddof=1), len(a), b.mean(), b.std(ddof=1), len(b), equal_var=False
    )
    return float(result.pvalue)


@dataclass(frozen=True, slots=True)
class ComparisonResult:
    """Comparison of one metric outcome across groups (see :func:`compare`)."""

    outcome: str
    groups: pd.DataFrame = field(compare=False)  # per level: n, mean, sd
    anova_F: float
    anova_df1: float
    anova_df2: float
    anova_p: float
    eta_squared: float
    omega_squared: float
    welch_F: float
    welch_df1: float
    welch_df2: float
    welch_p: float
    kruskal_H: float
    kruskal_df: float
    kruskal_p: float
    pairs: pd.DataFrame = field(compare=False)  # per "later-earlier": diff, welch_p, welch_p_holm, tukey_*

    def to_frame(self) -> pd.DataFrame:
        """One row per test: the three omnibus tests, then each pair (Welch-Holm and Tukey)."""
        rows = [
            {
                "test": "anova",
                "comparison": "all",
                "statistic": self.anova_F,
                "df1": self.anova_df1,
                "df2": self.anova_df2,
                "p": self.anova_p,
            },
            {
                "test": "welch_anova",
                "comparison": "all",
                "statistic": self.welch_F,
                "df1": self.welch_df1,
                "df2": self.welch_df2,
                "p": self.welch_p,
            },
            {
                "test": "kruskal_wallis",
                "comparison": "all",
                "statistic": self.kruskal_H,
                "df1": self.kruskal_df,
                "df2": np.nan,
                "p": self.kruskal_p,
            },
        ]
        for pair, r in self.pairs.iterrows():
            rows.append({"test": "welch_t_holm", "comparison": pair, "diff": r["diff"], "p": r["welch_p_holm"]})
            rows.append(
                {
                    "test": "tukey_hsd",
                    "comparison": pair,
                    "diff": r["diff"],
                    "lwr": r["tukey_lwr"],
                    "upr": r["tukey_upr"],
                    "p": r["tukey_p_adj"],
                }
            )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """Nested plain dict with R's names (as in the reference cases): groups, anova, welch, ..."""
        return {
            "groups": {
                str(level): {"n": int(r["n"]), "mean": r["mean"], "sd": r["sd"]} for level, r in self.groups.iterrows()
            },
            "anova": {"F": self.anova_F, "df1": self.anova_df1, "df2": self.anova_df2, "p": self.anova_p},
            "welch": {"F": self.welch_F, "df1": self.welch_df1, "df2": self.welch_df2, "p": self.welch_p},
            "kruskal": {"H": self.kruskal_H, "df": self.kruskal_df, "p": self.kruskal_p},
            "pairwise_welch_holm_p": {pair: r["welch_p_holm"] for pair, r in self.pairs.iterrows()},
            "tukey_hsd": {
                pair: {"diff": r["diff"], "lwr": r["tukey_lwr"], "upr": r["tukey_upr"], "p_adj": r["tukey_p_adj"]}
                for pair, r in self.pairs.iterrows()
            },
        }

    def summary(self) -> str:
        lines = [f"{self.outcome} by group"]
        for level, r in self.groups.iterrows():
            lines.append(f"  {level!s:<20} n={int(r['n']):>5}  mean={r['mean']:.3f}  sd={r['sd']:.3f}")
        lines.append(
            f"  ANOVA F({self.anova_df1:.0f}, {self.anova_df2:.0f}) = {self.anova_F:.3f}, "
            f"p = {self.anova_p:.4f}, eta^2 = {self.eta_squared:.3f}"
        )
        lines.append(
            f"  Welch F({self.welch_df1:.0f}, {self.welch_df2:.1f}) = {self.welch_F:.3f}, p = {self.welch_p:.4f}"
        )
        lines.append(f"  Kruskal-Wallis H({self.kruskal_df:.0f}) = {self.kruskal_H:.3f}, p = {self.kruskal_p:.4f}")
        for pair, r in self.pairs.iterrows():
            lines.append(
                f"  {pair:<24} diff={r['diff']:+.3f}  Welch-Holm p={r['welch_p_holm']:.4f}  "
                f"Tukey [{r['tukey_lwr']:+.3f}, {r['tukey_upr']:+.3f}] p={r['tukey_p_adj']:.4f}"
            )
        return "\n".join(lines)


def compare(
    values: pd.Series, groups: pd.Series, *, conf_level: float = 0.95, pairwise: bool = True
) -> ComparisonResult:
    r"""Compare a metric outcome across two or more groups.

    Parameters
    ----------
    values : Series
        The outcome (a scale score, a gap, overall satisfaction), numeric.
    groups : Series
        Group labels, aligned with ``values``. Levels are sorted (categorical order if categorical;
        Python sorts text by code point, R by locale, which agree for labels in one letter case);
        pairs are named ``"later-earlier"`` and their difference is later minus earlier.
    conf_level : float
        Family-wise confidence level of the Tukey intervals.
    pairwise : bool
        Compute the pairwise tests. With many groups (30 dealers are 435 pairs) they cost seconds
        of numerical integration each run and say little that a funnel plot does not; ``False``
        leaves ``pairs`` empty.

    Returns
    -------
    ComparisonResult

    Notes
    -----
    Rows missing the outcome or the group are dropped. With g groups, N values, group sizes
    :math:`n_i`, means :math:`\bar y_i` and variances :math:`s_i^2`:

    * one-way ANOVA: :math:`F = \frac{SS_B/(g-1)}{SS_W/(N-g)}`; :math:`\eta^2 = SS_B/SS_T`,
      :math:`\omega^2 = (SS_B - (g-1)MS_W)/(SS_T + MS_W)`;
    * Welch's ANOVA with :math:`w_i = n_i/s_i^2`: :math:`F = \frac{\sum w_i(\bar y_i - \tilde y)^2/(g-1)}
      {1 + 2(g-2)\Lambda}`, :math:`\Lambda = \sum (1 - w_i/W)^2/(n_i-1)/(g^2-1)`, df
      :math:`(g-1, 1/(3\Lambda))` (R ``oneway.test``); not defined (NaN) if a group has zero variance;
    * Kruskal-Wallis H with tie correction, on values rounded to 10 decimals (R ``kruskal.test``);
    * pairwise Welch t, Holm-adjusted over all pairs (R ``pairwise.t.test(pool.sd = FALSE,
      p.adjust.method = "holm")``);
    * Tukey HSD (Tukey-Kramer for unequal n): :math:`\bar y_j - \bar y_i \pm
      q_{1-\alpha; g, N-g}\sqrt{MS_W/2\,(1/n_i + 1/n_j)}`, p from the studentized range (R
      ``TukeyHSD``), by ``scipy.stats.tukey_hsd``.

    References
    ----------
    .. [1] Welch, B. L. (1951). On the comparison of several mean values: an alternative approach.
           Biometrika, 38(3/4), 330-336. https://doi.org/10.2307/2332579
    .. [2] Kruskal, W. H., & Wallis, W. A. (1952). Use of ranks in one-criterion variance analysis.
           Journal of the American Statistical Association, 47(260), 583-621.
           https://doi.org/10.1080/01621459.1952.10483441
    .. [3] Kramer, C. Y. (1956). Extension of multiple range tests to group means with unequal
           numbers of replications. Biometrics, 12(3), 307-310. https://doi.org/10.2307/3001469
    .. [4] Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian
           Journal of Statistics, 6(2), 65-70.

    Examples
    --------
    >>> y = pd.Series([1.0, 2, 3, 4, 5, 6], name="score")
    >>> g = pd.Series(["a", "a", "a", "b", "b", "b"])
    >>> round(compare(y, g).anova_F, 3)
    13.5
    """
    name, by_level = _grouped(values, groups)
    if len(by_level) < 2:
        raise ValueError(f"column {name!r}: comparing groups needs at least 2 groups with values, got {len(by_level)}")
    for level, x in by_level.items():
        if len(x) < 2:
            raise ValueError(f"column {name!r}: group {level!r} has {len(x)} value(s); each group needs at least 2")
    parts = list(by_level.values())
    y = np.concatenate(parts)
    require_variance(pd.DataFrame({name: y}), "a group comparison")
    g, n_total = len(parts), len(y)
    ss_total = float(((y - y.mean()) ** 2).sum())
    ss_within = float(sum(((x - x.mean()) ** 2).sum() for x in parts))
    ss_between = ss_total - ss_within
    ms_within = ss_within / (n_total - g)
    with np.errstate(divide="ignore", invalid="ignore"):
        # All groups constant but different: F is infinite, p = 0, which is the right limit.
        anova_f = (ss_between / (g - 1)) / ms_within if ms_within > 0 else np.inf
    kruskal = stats.kruskal(*[np.round(x, RANK_DECIMALS) for x in parts])
    welch = _welch_anova(parts)
    groups_frame = pd.DataFrame(
        {"n": [len(x) for x in parts], "mean": [x.mean() for x in parts], "sd": [x.std(ddof=1) for x in parts]},
        index=pd.Index(list(by_level), name="group"),
    )
    return ComparisonResult(
        outcome=name,
        groups=groups_frame,
        anova_F=float(anova_f),
        anova_df1=float(g - 1),
        anova_df2=float(n_total - g),
        anova_p=float(stats.f.sf(anova_f, g - 1, n_total - g)),
        eta_squared=ss_between / ss_total,
        omega_squared=(ss_between - (g - 1) * ms_within) / (ss_total + ms_within),
        welch_F=welch[0],
        welch_df1=welch[1],
        welch_df2=welch[2],
        welch_p=welch[3],
        kruskal_H=float(kruskal.statistic),
        kruskal_df=float(g - 1),
        kruskal_p=float(kruskal.pvalue),
        pairs=_pairs(by_level, conf_level) if pairwise else _NO_PAIRS.copy(),
    )


_NO_PAIRS = pd.DataFrame(
    columns=["diff", "welch_p", "welch_p_holm", "tukey_lwr", "tukey_upr", "tukey_p_adj"],
    index=pd.Index([], name="pair"),
    dtype=float,
)


def _pairs(by_level: dict[Any, np.ndarray], conf_level: float) -> pd.DataFrame:
    """Every pair of levels: difference, Welch t p (raw and Holm-adjusted) and Tukey-Kramer HSD.

    Tukey comes from ``scipy.stats.tukey_hsd`` (equal_var=True: Tukey-Kramer on the pooled
    :math:`MS_W`), checked against R ``TukeyHSD`` on the reference cases (max |difference| 1.7e-10,
    tolerance 1e-8).  scipy fills the whole g x g matrix, twice the studentized-range integrals
    of one triangle: about 1.5 times the former hand-written loop at 10 groups, which is why
    :func:`analysis.analyze.analyze` still leaves pairwise tests out beyond 10 groups.
    """
    levels = list(by_level)
    parts = list(by_level.values())
    with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        # scipy's quadrature warns of slow convergence far in the tail, where p is ~0 anyway.
        # Every group constant: the standard error is 0, so a pair that differs has q = inf
        # (p = 0, an interval of width 0) and a pair that does not has q = 0/0 (p NaN, as R).
        warnings.simplefilter("ignore", IntegrationWarning)
        tukey = stats.tukey_hsd(*parts)
        ci = tukey.confidence_interval(conf_level)
    rows = []
    for i, j in combinations(range(len(levels)), 2):
        rows.append(
            {
                "pair": f"{levels[j]}-{levels[i]}",
                "diff": float(tukey.statistic[j, i]),
                "welch_p": _welch_t_p(parts[j], parts[i]),
                "tukey_lwr": float(ci.low[j, i]),
                "tukey_upr": float(ci.high[j, i]),
                "tukey_p_adj": float(tukey.pvalue[j, i]),
            }
        )
    frame = pd.DataFrame(rows).set_index("pair")
    frame.insert(2, "welch_p_holm", holm(frame["welch_p"].to_numpy()))
    return frame


@dataclass(frozen=True, slots=True)
class FunnelResult:
    """Funnel-plot control limits per unit (dealer, branch) around a target (see :func:`funnel_limits`)."""

    outcome: str
    target: float
    sd: float
    coverage: tuple[float, ...]
    units: pd.DataFrame = field(compare=False)  # per unit: n, mean, z, lower_/upper_<coverage>, position

    def limits(self, n: Sequence[float] | np.ndarray) -> pd.DataFrame:
        """Limits as a function of the unit size ``n``, for drawing the funnel."""
        n = np.asarray(n, dtype=float)
        out = {"n": n}
        for c in self.coverage:
            half = _z(c) * self.sd / np.sqrt(n)
            out[f"lower_{_label(c)}"] = self.target - half
            out[f"upper_{_label(c)}"] = self.target + half
        return pd.DataFrame(out)

    def to_frame(self) -> pd.DataFrame:
        return self.units.reset_index()

    def summary(self) -> str:
        lines = [f"{self.outcome}: funnel limits around {self.target:.3f} (sd {self.sd:.3f})"]
        for unit, r in self.units.iterrows():
            lines.append(f"  {unit!s:<20} n={int(r['n']):>5}  mean={r['mean']:.3f}  z={r['z']:+.2f}  {r['position']}")
        return "\n".join(lines)


def _z(coverage: float) -> float:
    return float(stats.norm.ppf(1 - (1 - coverage) / 2))


def _label(coverage: float) -> str:
    return f"{100 * coverage:g}".replace(".", "_")


def funnel_limits(
    values: pd.Series,
    groups: pd.Series,
    *,
    target: float | None = None,
    coverage: tuple[float, ...] = (0.95, 0.998),
) -> FunnelResult:
    r"""Funnel-plot control limits for unit means (dealers, branches, advisors).

    Parameters
    ----------
    values : Series
        Respondent-level outcome, numeric.
    groups : Series
        The unit of each respondent.
    target : float, optional
        Centre line; default the overall mean of all respondents.
    coverage : tuple of float
        Two-sided coverage of the limits; default 95 % and 99.8 % (Spiegelhalter's 2 and 3 sigma
        approximations).

    Returns
    -------
    FunnelResult
        Per unit: n, mean, :math:`z = (\bar y_i - \theta_0)/(s/\sqrt{n_i})`, the limits and
        ``position`` ("above 99.8 %", "above 95 %", "within", "below 95 %", "below 99.8 %").

    Notes
    -----
    Under the null that every unit has the target mean, a unit mean is approximately normal with
    standard error :math:`s/\sqrt{n_i}`, s the SD of all respondents. The limits
    :math:`\theta_0 \pm z_{p}\,s/\sqrt{n_i}` narrow as :math:`n_i` grows, so a small dealer needs a
    much larger deviation before it stands out: units inside the funnel are not ranked.

    References
    ----------
    .. [1] Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
           Statistics in Medicine, 24(8), 1185-1202. https://doi.org/10.1002/sim.1970
    """
    if not coverage or any(not 0 < c < 1 for c in coverage):
        raise ValueError(f"coverage values must be between 0 and 1, got {coverage!r}")
    coverage = tuple(sorted(coverage))
    name, by_level = _grouped(values, groups)
    if not by_level:
        raise ValueError(f"column {name!r}: no rows with both a value and a group")
    y = np.concatenate(list(by_level.values()))
    if len(y) < 2:
        raise ValueError(f"column {name!r}: a funnel plot needs at least 2 values, got {len(y)}")
    require_variance(pd.DataFrame({name: y}), "a funnel plot")
    centre = float(y.mean()) if target is None else float(target)
    sd = float(y.std(ddof=1))
    rows = []
    for unit, x in by_level.items():
        se = sd / np.sqrt(len(x))
        row: dict[str, Any] = {"unit": unit, "n": len(x), "mean": float(x.mean()), "z": (x.mean() - centre) / se}
        for c in coverage:
            row[f"lower_{_label(c)}"] = centre - _z(c) * se
            row[f"upper_{_label(c)}"] = centre + _z(c) * se
        row["position"] = _position(row["z"], coverage)
        rows.append(row)
    return FunnelResult(
        outcome=name, target=centre, sd=sd, coverage=coverage, units=pd.DataFrame(rows).set_index("unit")
    )


def _position(z: float, coverage: tuple[float, ...]) -> str:
    for c in reversed(coverage):  # widest limit first
        if z > _z(c):
            return f"above {100 * c:g} %"
        if z < -_z(c):
            return f"below {100 * c:g} %"
    return "within"


@dataclass(frozen=True, slots=True)
class WaveResult:
    """A score tracked over survey waves (see :func:`over_waves`)."""

    outcome: str
    conf_level: float
    scale: tuple[float, float] | None
    waves: pd.DataFrame = field(compare=False)  # per wave: n, mean, sd, se, ci_low, ci_high, change, change_p

    def to_frame(self) -> pd.DataFrame:
        return self.waves.reset_index()

    def summary(self) -> str:
        what = "index (0-100)" if self.scale is not None else "mean"
        lines = [f"{self.outcome}: {what} by wave, {100 * self.conf_level:g} % CI"]
        for wave, r in self.waves.iterrows():
            change = "" if np.isnan(r["change"]) else f"  change {r['change']:+.2f} (p = {r['change_p']:.4f})"
            lines.append(
                f"  {wave!s:<12} n={int(r['n']):>5}  {r['mean']:.2f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}]{change}"
            )
        return "\n".join(lines)


def over_waves(
    values: pd.Series,
    waves: pd.Series,
    *,
    scale: tuple[float, float] | None = None,
    conf_level: float = 0.95,
) -> WaveResult:
    r"""Mean (or 0-100 index) per survey wave with t confidence intervals and wave-to-wave change.

    Parameters
    ----------
    values : Series
        Respondent-level score.
    waves : Series
        Wave of each respondent; waves are sorted (categorical order if categorical).
    scale : (low, high), optional
        If given, each value is first rescaled to an index :math:`100(x - a)/(b - a)`, the
        ACSI-style 0-100 metric (Fornell et al. 1996).
    conf_level : float
        Confidence level of the per-wave intervals.

    Returns
    -------
    WaveResult
        Per wave: n, mean, sd, se, ``ci_low``/``ci_high`` (:math:`\bar y \pm t_{n-1} s/\sqrt n`),
        ``change`` from the previous wave and its Welch two-sample p (``change_p``; NaN for the
        first wave, where no change is defined).

    References
    ----------
    .. [1] Fornell, C., Johnson, M. D., Anderson, E. W., Cha, J., & Bryant, B. E. (1996). The
           American Customer Satisfaction Index: nature, purpose, and findings. Journal of
           Marketing, 60(4), 7-18. https://doi.org/10.1177/002224299606000403
    .. [2] Welch, B. L. (1947). The generalization of "Student's" problem when several different
           population variances are involved. Biometrika, 34(1/2), 28-35.
           https://doi.org/10.2307/2332510
    """
    name, by_wave = _grouped(values, waves)
    if not by_wave:
        raise ValueError(f"column {name!r}: no rows with both a value and a wave")
    if scale is not None:
        low, high = scale
        if not high > low:
            raise ValueError(f"scale must be (low, high) with high > low, got {scale!r}")
        by_wave = {w: 100 * (x - low) / (high - low) for w, x in by_wave.items()}
    rows = []
    previous = None
    for wave, x in by_wave.items():
        if len(x) < 2:
            raise ValueError(f"column {name!r}: wave {wave!r} has {len(x)} value(s); a CI needs at least 2")
        se = x.std(ddof=1) / np.sqrt(len(x))
        half = stats.t.ppf(1 - (1 - conf_level) / 2, len(x) - 1) * se
        rows.append(
            {
                "wave": wave,
                "n": len(x),
                "mean": x.mean(),
                "sd": x.std(ddof=1),
                "se": se,
                "ci_low": x.mean() - half,
                "ci_high": x.mean() + half,
                "change": np.nan if previous is None else x.mean() - previous.mean(),
                "change_p": np.nan if previous is None else _welch_t_p(x, previous),
            }
        )
        previous = x
    return WaveResult(outcome=name, conf_level=conf_level, scale=scale, waves=pd.DataFrame(rows).set_index("wave"))
