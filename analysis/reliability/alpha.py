"""Cronbach's alpha with its intervals (Feldt, Duhachek, bootstrap) and item statistics.

Also the statistics of the item covariance matrix C and its correlation matrix R that the SPSS
tables and the split-half coefficients share (:func:`_alpha_stats`, alpha if an item is deleted,
corrected item-total r), so that every module computes them one way. Definitions follow
psych 2.2.9 ``alpha``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from analysis import factor
from analysis.covariance import ItemBlock, Missing, Moments, check_missing, cov2cor, moments, prepare, weighted_moments

__all__ = ["ReliabilityResult", "cronbach_alpha"]


# --------------------------------------------------------------------------- statistics of C and R


def _signal_noise(k: int, average_r: float) -> float:
    return k * average_r / (1.0 - average_r) if average_r < 1.0 else math.inf


@dataclass(frozen=True, slots=True)
class _AlphaStats:
    raw: float
    std: float
    g6: float
    average_r: float
    median_r: float
    signal_noise: float
    q: float  # Duhachek's asymptotic variance times N


def _alpha_stats(c: np.ndarray) -> _AlphaStats:
    k = c.shape[0]
    total, trace = float(c.sum()), float(np.trace(c))
    r = cov2cor(c)
    sum_r = float(r.sum())
    average_r = (sum_r - k) / (k * (k - 1))
    cc = c @ c
    q = (2 * k**2 / ((k - 1) ** 2 * total**3)) * (total * (np.trace(cc) + trace**2) - 2 * trace * cc.sum())
    return _AlphaStats(
        raw=k / (k - 1) * (1 - trace / total),
        std=k / (k - 1) * (1 - k / sum_r),
        g6=1 - (k - float(factor.smc(r).sum())) / sum_r,
        average_r=average_r,
        median_r=float(np.median(r[np.tril_indices(k, -1)])),
        signal_noise=_signal_noise(k, average_r),
        q=float(q),
    )


def _check_total_variance(c: np.ndarray, names: Sequence[str]) -> None:
    if c.sum() <= 1e-12 * np.trace(c):
        raise ValueError(
            f"the items {list(names)} cancel out: their sum has no variance; check which items are reverse-keyed"
        )


def _drop_one(c: np.ndarray, i: int) -> np.ndarray:
    keep = np.arange(c.shape[0]) != i
    return c[np.ix_(keep, keep)]


def _if_deleted(c: np.ndarray, n_rows: float) -> dict[str, np.ndarray]:
    """psych's alpha.drop for all items at once: the statistics of C and R without item i."""
    k = c.shape[0]
    if k == 2:  # one item left: no alpha
        return {key: np.full(2, np.nan) for key in ("alpha", "std_alpha", "g6_smc", "average_r", "ase")}
    r = cov2cor(c)
    j = k - 1
    diag, col = np.diag(c), c.sum(axis=0)
    total = c.sum() - 2 * col + diag
    trace = np.trace(c) - diag
    sum_r = r.sum() - 2 * r.sum(axis=0) + 1
    # Duhachek's Q of C without i: tr(C_i^2) = sum of squares; sum(C_i C_i) = |C_i 1|^2.
    squares = np.sum(c**2) - 2 * np.sum(c**2, axis=0) + diag**2
    row_sums = col[None, :] - c  # [i, l]: sum over m != i of C[l, m]
    product_sum = np.sum(row_sums**2, axis=1) - (col - diag) ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        # A remaining set whose items cancel out has no alpha: NaN, documented as undefined.
        q = 2 * j**2 / ((j - 1) ** 2 * total**3) * (total * (squares + trace**2) - 2 * trace * product_sum)
        return {
            "alpha": j / (j - 1) * (1 - trace / total),
            "std_alpha": j / (j - 1) * (1 - j / sum_r),
            "g6_smc": np.array([1 - (j - factor.smc(_drop_one(r, i)).sum()) / sum_r[i] for i in range(k)]),
            "average_r": (sum_r - j) / (j * (j - 1)),
            "ase": np.sqrt(q / n_rows),
        }


def _rest_variance(c: np.ndarray) -> np.ndarray:
    """Variance of the sum of the other items, for each item."""
    return c.sum() - 2 * c.sum(axis=0) + np.diag(c)


def _r_drop(c: np.ndarray) -> np.ndarray:
    """Corrected item-total r: covariance with the other items' sum over both standard deviations."""
    with np.errstate(divide="ignore", invalid="ignore"):
        # A pairwise C that is not positive definite can leave the rest with no variance: NaN.
        return (c.sum(axis=0) - np.diag(c)) / np.sqrt(np.diag(c) * _rest_variance(c))


def _item_table(m: Moments, names: Sequence[str], reversed_items: Sequence[str], n_ci: float) -> pd.DataFrame:
    c = m.cov
    r = cov2cor(c)
    r_smc = r.copy()
    np.fill_diagonal(r_smc, factor.smc(r))
    dropped = _if_deleted(c, n_ci)
    with np.errstate(divide="ignore", invalid="ignore"):
        # A total that is not positive (unrelated or opposed items) leaves these undefined: NaN, as in psych.
        std_r = r.sum(axis=0) / np.sqrt(r.sum())
        r_cor = r_smc.sum(axis=0) / np.sqrt(r_smc.sum())
    return pd.DataFrame(
        {
            "n": np.diagonal(m.pair_n).astype(np.int64),
            "raw_r": m.raw_r,
            "std_r": std_r,
            "r_cor": r_cor,
            "r_drop": _r_drop(c),
            "mean": m.means,
            "sd": np.sqrt(np.diag(c)),
            **{f"{key}_if_deleted": value for key, value in dropped.items()},
            "reversed": [name in reversed_items for name in names],
        },
        index=pd.Index(list(names), name="item"),
    )


def _feldt(alpha: float, n: float, k: int, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2
    df1, df2 = n - 1, (n - 1) * (k - 1)
    return (
        1 - (1 - alpha) * float(stats.f.ppf(1 - tail, df1, df2)),
        1 - (1 - alpha) * float(stats.f.ppf(tail, df1, df2)),
    )


def _check_level(ci: float) -> None:
    if not 0 < ci < 1:
        raise ValueError(f"ci must be a confidence level between 0 and 1, got {ci!r}")


# --------------------------------------------------------------------------- bootstrap


def _bootstrap_alphas(
    data: ItemBlock, missing: Missing, n_boot: int, seed: int | np.random.Generator | None
) -> np.ndarray:
    x = data.x
    if missing == "listwise":
        x = x[~np.isnan(x).any(axis=1)]
    answered = ~np.isnan(x)
    m = answered.astype(np.float64)
    x0 = np.where(answered, x - np.nanmean(x, axis=0), 0.0)
    rng = np.random.default_rng(seed)
    n = x.shape[0]
    k = x.shape[1]
    a = data.sign
    out = np.empty(n_boot)
    with np.errstate(divide="ignore", invalid="ignore"):
        for b in range(n_boot):
            w = np.bincount(rng.integers(0, n, size=n), minlength=n).astype(np.float64)
            xw = x0 * w[:, None]
            counts = m.T @ (m * w[:, None])
            sums = xw.T @ m
            c = (x0.T @ xw - sums * sums.T / counts) / (counts - 1) * np.outer(a, a)
            out[b] = k / (k - 1) * (1 - np.trace(c) / c.sum())
    # A resample can leave an item constant or a pair unobserved: it has no alpha.
    return out[np.isfinite(out)]


# --------------------------------------------------------------------------- Cronbach's alpha


@dataclass(frozen=True, slots=True)
class ReliabilityResult:
    """Cronbach's alpha with psych::alpha's companion statistics.

    ``ci`` is Feldt's interval; ``ci_duhachek`` uses the asymptotic standard error ``ase``;
    ``ci_bootstrap`` and ``bootstrap_median`` are None unless ``n_boot`` > 0.
    """

    alpha: float
    std_alpha: float
    ci: tuple[float, float]
    ci_duhachek: tuple[float, float]
    ci_bootstrap: tuple[float, float] | None
    bootstrap_median: float | None
    n_boot_used: int
    ase: float
    g6_smc: float
    average_r: float
    median_r: float
    signal_noise: float
    scale_mean: float
    scale_sd: float
    n_rows: int
    k: int
    level: float
    missing: str
    reversed: tuple[str, ...]
    items: pd.DataFrame = field(compare=False)
    n_eff: float | None = None  # Kish's effective n when computed with survey weights (the intervals' n)

    def to_frame(self) -> pd.DataFrame:
        """One row per item: n, raw_r, std_r, r_cor, r_drop, mean, sd and the if-deleted statistics."""
        return self.items.reset_index()

    def summary(self) -> str:
        """The scale statistics and the item table, rounded for reading."""
        pct = f"{self.level:.0%}"
        keyed = f"; reverse-keyed: {', '.join(self.reversed)}" if self.reversed else ""
        weighted = "" if self.n_eff is None else f"weighted, effective n {self.n_eff:.1f}, "
        lines = [
            f"Cronbach's alpha ({weighted}{self.missing}, N = {self.n_rows}, k = {self.k}{keyed})",
            f"  alpha {self.alpha:.3f}  Feldt {pct} CI [{self.ci[0]:.3f}, {self.ci[1]:.3f}]"
            f"  Duhachek {pct} CI [{self.ci_duhachek[0]:.3f}, {self.ci_duhachek[1]:.3f}]",
            f"  standardized {self.std_alpha:.3f}  G6(smc) {self.g6_smc:.3f}  average r {self.average_r:.3f}"
            f"  median r {self.median_r:.3f}  S/N {self.signal_noise:.2f}",
            f"  person score (mean of answered items): mean {self.scale_mean:.3f}, sd {self.scale_sd:.3f}",
        ]
        if self.ci_bootstrap is not None:
            lines.append(
                f"  bootstrap percentile {pct} CI [{self.ci_bootstrap[0]:.3f}, {self.ci_bootstrap[1]:.3f}]"
                f" over {self.n_boot_used} resamples"
            )
        lines.append(self.items.drop(columns="reversed").round(3).to_string())
        return "\n".join(lines)


def cronbach_alpha(
    items: pd.DataFrame,
    *,
    reverse: str | Iterable[str] = (),
    scale: tuple[float, float] | None = None,
    missing: Missing = "pairwise",
    ci: float = 0.95,
    n_boot: int = 0,
    seed: int | np.random.Generator | None = None,
    weights: pd.Series | np.ndarray | None = None,
) -> ReliabilityResult:
    r"""Cronbach's alpha for items that measure one construct, with psych::alpha's statistics.

    Parameters
    ----------
    items : DataFrame
        One numeric column per item, one row per respondent, NaN for a missing answer.
    reverse : str or iterable of str
        Reverse-keyed items, recoded :math:`x' = \min + \max - x` before anything else.
    scale : (min, max), optional
        The response scale. Without it, reverse keying uses the smallest and largest value of
        the rows analysed, as psych does (this changes means and scores, never alpha).
    missing : {"pairwise", "listwise"}
        ``"pairwise"`` (psych's default): C from pairwise-complete covariances and N = every
        row. ``"listwise"`` (SPSS): only rows that answer every item.
    ci : float
        Confidence level of the intervals.
    n_boot : int
        Bootstrap resamples of rows (0 = none); each recomputes C and alpha.
    seed : int or Generator, optional
        Seed of the bootstrap, for a reproducible interval.
    weights : Series or array, optional
        Survey weights, one per row (e.g. ``analyze()``'s calibrated ``weight``). C, the means,
        the person score and the item correlations become weighted
        (:func:`analysis.covariance.weighted_moments`, pairwise only), and Feldt's and
        Duhachek's intervals use Kish's effective n instead of N; no bootstrap.

    Returns
    -------
    ReliabilityResult

    Notes
    -----
    With C the covariance matrix of the keyed items (pairwise or listwise), R = cov2cor(C),
    k items and N rows:

    .. math::

        \alpha = \frac{k}{k-1}\Bigl(1 - \frac{\mathrm{tr}\,C}{\Sigma C}\Bigr), \quad
        \alpha_{std} = \frac{k}{k-1}\Bigl(1 - \frac{k}{\Sigma R}\Bigr), \quad
        G6 = 1 - \frac{k - \sum_i \mathrm{smc}_i}{\Sigma R}

    average r :math:`\bar r = (\Sigma R - k)/(k(k-1))`, S/N :math:`= k\bar r/(1-\bar r)`.
    Feldt's interval: :math:`1 - (1-\hat\alpha)F_{1-p/2}` to :math:`1 - (1-\hat\alpha)F_{p/2}`
    with :math:`F(N-1, (N-1)(k-1))`. Duhachek's :math:`\hat\alpha \pm z\,\sqrt{Q/N}` with
    :math:`Q = \frac{2k^2}{(k-1)^2(\Sigma C)^3}[\Sigma C(\mathrm{tr}\,C^2 + (\mathrm{tr}\,C)^2)
    - 2\,\mathrm{tr}\,C\,\Sigma(C^2)]` (psych prints z = 1.96; here z is exact). Per item:
    ``raw_r`` = r with the person score (mean of the answered keyed items), ``std_r`` =
    :math:`\sum_j R_{ij}/\sqrt{\Sigma R}`, ``r_cor`` the same with smc on the diagonal,
    ``r_drop`` = :math:`(\sum_j C_{ij} - C_{ii})/\sqrt{C_{ii}\sum_{j,l\ne i}C_{jl}}`, and the
    statistics above without item i (undefined, NaN, for two items). The bootstrap resamples
    rows ``n_boot`` times and recomputes C (pairwise or listwise) and alpha each time, as
    ``psych::alpha(x, n.iter = n_boot)``; the interval is the percentile one and the median
    is reported too. Bad input (non-numeric, constant, empty or unknown items, fewer than 3
    rows) raises ValueError naming the column.

    With survey weights alpha is the same function of the weighted covariance matrix: the
    population alpha that a weighted sample estimates (the plug-in estimator of a function of
    the population covariance matrix, as R survey's ``svyfactanal`` uses the weighted
    covariance matrix, Lumley 2010; Kish 1965, section 11.7 for the effective n). Equal weights give the unweighted result; integer weights the result of the
    respondents repeated that many times (up to the intervals' n).

    References
    ----------
    .. [1] Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
           Psychometrika, 16(3), 297-334. https://doi.org/10.1007/BF02310555
    .. [2] Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for
           coefficient alpha. Applied Psychological Measurement, 11(1), 93-103.
           https://doi.org/10.1177/014662168701100107
    .. [3] Duhachek, A., & Iacobucci, D. (2004). Alpha's standard error (ASE): An accurate and
           precise confidence interval estimate. Journal of Applied Psychology, 89(5), 792-808.
           https://doi.org/10.1037/0021-9010.89.5.792
    .. [4] Revelle, W. (2022). psych: Procedures for psychological, psychometric, and
           personality research (R package version 2.2.9), function ``alpha``.
    .. [5] Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley.
    .. [6] Kish, L. (1965). *Survey Sampling*. Wiley.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [5, 4, 3, 2, 2]})
    >>> round(cronbach_alpha(df, reverse=["c"], scale=(1, 5)).alpha, 3)
    0.979
    """
    check_missing(missing)
    _check_level(ci)
    if n_boot < 0:
        raise ValueError(f"n_boot must be 0 or a positive number of resamples, got {n_boot!r}")
    if weights is not None and (n_boot or missing != "pairwise"):
        raise ValueError("weighted alpha is pairwise and has no bootstrap: give n_boot=0, missing='pairwise'")
    data = prepare(items, reverse, scale, missing)
    if weights is None:
        m = moments(data, missing)
        n_ci: float = m.n_rows
    else:
        m, n_ci = weighted_moments(data, np.asarray(weights, dtype=np.float64))
    _check_total_variance(m.cov, data.names)
    s = _alpha_stats(m.cov)
    # Q is a variance for a positive definite C; a pairwise C that is not can make it negative.
    ase = math.sqrt(s.q / n_ci) if s.q >= 0 else math.nan
    z = float(stats.norm.ppf(1 - (1 - ci) / 2))
    boot_ci, boot_median, boot_used = None, None, 0
    if n_boot:
        alphas = _bootstrap_alphas(data, missing, n_boot, seed)
        if alphas.size == 0:
            raise ValueError("no bootstrap resample had a defined alpha; the sample is too small to bootstrap")
        low, mid, high = np.quantile(alphas, [(1 - ci) / 2, 0.5, 1 - (1 - ci) / 2])
        boot_ci, boot_median, boot_used = (float(low), float(high)), float(mid), int(alphas.size)
    return ReliabilityResult(
        alpha=s.raw,
        std_alpha=s.std,
        ci=_feldt(s.raw, n_ci, len(data.names), ci),
        ci_duhachek=(s.raw - z * ase, s.raw + z * ase),
        ci_bootstrap=boot_ci,
        bootstrap_median=boot_median,
        n_boot_used=boot_used,
        ase=ase,
        g6_smc=s.g6,
        average_r=s.average_r,
        median_r=s.median_r,
        signal_noise=s.signal_noise,
        scale_mean=m.score_mean,
        scale_sd=m.score_sd,
        n_rows=m.n_rows,
        k=len(data.names),
        level=ci,
        missing=missing,
        reversed=data.reversed,
        items=_item_table(m, data.names, data.reversed, n_ci),
        n_eff=None if weights is None else n_ci,
    )
