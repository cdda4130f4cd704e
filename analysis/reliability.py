"""Reliability of multi-item scales: alpha, Guttman's lambdas, split-half, omega, composite reliability.

Every statistic follows the definitions of R's psych 2.2.9 (alpha, splitHalf, omega),
lavaan 0.6 / semTools 0.5-6 (composite reliability) and SPSS RELIABILITY (item-total and
split-half tables); ``../shared/STATISTICS.md`` section 1 explains the choices. Items are
columns of a DataFrame, one row per respondent, NaN for a missing answer.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from analysis import cfa, factor
from analysis.covariance import ItemBlock, Missing, Moments, check_missing, cov2cor, moments, pairwise_pearson, prepare

__all__ = [
    "CompositeReliabilityResult", "GuttmanResult", "ItemTotalResult", "OmegaResult",
    "ReliabilityResult", "SpssSplitHalfResult", "SplitHalfResult", "composite_reliability",
    "cronbach_alpha", "guttman", "omega", "spss_item_total", "spss_split_half", "split_half",
]

# psych::splitHalf enumerates splits only up to n.sample = 10,000 of them.
_PSYCH_MAX_SPLITS = 10_000


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
        raise ValueError(f"the items {list(names)} cancel out: their sum has no variance; "
                         "check which items are reverse-keyed")


def _drop_one(c: np.ndarray, i: int) -> np.ndarray:
    keep = np.arange(c.shape[0]) != i
    return c[np.ix_(keep, keep)]


def _if_deleted(c: np.ndarray, n_rows: int) -> dict[str, np.ndarray]:
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


def _item_table(m: Moments, names: Sequence[str], reversed_items: Sequence[str]) -> pd.DataFrame:
    c = m.cov
    r = cov2cor(c)
    r_smc = r.copy()
    np.fill_diagonal(r_smc, factor.smc(r))
    dropped = _if_deleted(c, m.n_rows)
    with np.errstate(divide="ignore", invalid="ignore"):
        # A total that is not positive (unrelated or opposed items) leaves these undefined: NaN, as in psych.
        std_r = r.sum(axis=0) / np.sqrt(r.sum())
        r_cor = r_smc.sum(axis=0) / np.sqrt(r_smc.sum())
    return pd.DataFrame({
        "n": np.diagonal(m.pair_n).astype(np.int64),
        "raw_r": m.raw_r,
        "std_r": std_r,
        "r_cor": r_cor,
        "r_drop": _r_drop(c),
        "mean": m.means,
        "sd": np.sqrt(np.diag(c)),
        **{f"{key}_if_deleted": value for key, value in dropped.items()},
        "reversed": [name in reversed_items for name in names],
    }, index=pd.Index(list(names), name="item"))


def _feldt(alpha: float, n: int, k: int, level: float) -> tuple[float, float]:
    tail = (1 - level) / 2
    df1, df2 = n - 1, (n - 1) * (k - 1)
    return (1 - (1 - alpha) * float(stats.f.ppf(1 - tail, df1, df2)),
            1 - (1 - alpha) * float(stats.f.ppf(tail, df1, df2)))


def _check_level(ci: float) -> None:
    if not 0 < ci < 1:
        raise ValueError(f"ci must be a confidence level between 0 and 1, got {ci!r}")


# --------------------------------------------------------------------------- bootstrap

def _bootstrap_alphas(data: ItemBlock, missing: Missing, n_boot: int, seed: int | np.random.Generator | None) -> np.ndarray:
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

    def to_frame(self) -> pd.DataFrame:
        """One row per item: n, raw_r, std_r, r_cor, r_drop, mean, sd and the if-deleted statistics."""
        return self.items.reset_index()

    def summary(self) -> str:
        """The scale statistics and the item table, rounded for reading."""
        pct = f"{self.level:.0%}"
        keyed = f"; reverse-keyed: {', '.join(self.reversed)}" if self.reversed else ""
        lines = [
            f"Cronbach's alpha ({self.missing}, N = {self.n_rows}, k = {self.k}{keyed})",
            f"  alpha {self.alpha:.3f}  Feldt {pct} CI [{self.ci[0]:.3f}, {self.ci[1]:.3f}]"
            f"  Duhachek {pct} CI [{self.ci_duhachek[0]:.3f}, {self.ci_duhachek[1]:.3f}]",
            f"  standardized {self.std_alpha:.3f}  G6(smc) {self.g6_smc:.3f}  average r {self.average_r:.3f}"
            f"  median r {self.median_r:.3f}  S/N {self.signal_noise:.2f}",
            f"  person score (mean of answered items): mean {self.scale_mean:.3f}, sd {self.scale_sd:.3f}",
        ]
        if self.ci_bootstrap is not None:
            lines.append(f"  bootstrap percentile {pct} CI [{self.ci_bootstrap[0]:.3f}, {self.ci_bootstrap[1]:.3f}]"
                         f" over {self.n_boot_used} resamples")
        lines.append(self.items.drop(columns="reversed").round(3).to_string())
        return "\n".join(lines)


def cronbach_alpha(items: pd.DataFrame, *, reverse: str | Iterable[str] = (),
                   scale: tuple[float, float] | None = None, missing: Missing = "pairwise",
                   ci: float = 0.95, n_boot: int = 0,
                   seed: int | np.random.Generator | None = None) -> ReliabilityResult:
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
    data = prepare(items, reverse, scale, missing)
    m = moments(data, missing)
    _check_total_variance(m.cov, data.names)
    s = _alpha_stats(m.cov)
    # Q is a variance for a positive definite C; a pairwise C that is not can make it negative.
    ase = math.sqrt(s.q / m.n_rows) if s.q >= 0 else math.nan
    z = float(stats.norm.ppf(1 - (1 - ci) / 2))
    boot_ci, boot_median, boot_used = None, None, 0
    if n_boot:
        alphas = _bootstrap_alphas(data, missing, n_boot, seed)
        if alphas.size == 0:
            raise ValueError("no bootstrap resample had a defined alpha; the sample is too small to bootstrap")
        low, mid, high = np.quantile(alphas, [(1 - ci) / 2, 0.5, 1 - (1 - ci) / 2])
        boot_ci, boot_median, boot_used = (float(low), float(high)), float(mid), int(alphas.size)
    return ReliabilityResult(
        alpha=s.raw, std_alpha=s.std, ci=_feldt(s.raw, m.n_rows, len(data.names), ci),
        ci_duhachek=(s.raw - z * ase, s.raw + z * ase),
        ci_bootstrap=boot_ci, bootstrap_median=boot_median, n_boot_used=boot_used,
        ase=ase, g6_smc=s.g6, average_r=s.average_r, median_r=s.median_r, signal_noise=s.signal_noise,
        scale_mean=m.score_mean, scale_sd=m.score_sd, n_rows=m.n_rows, k=len(data.names),
        level=ci, missing=missing, reversed=data.reversed,
        items=_item_table(m, data.names, data.reversed),
    )


# --------------------------------------------------------------------------- SPSS RELIABILITY tables

def _alpha_of(c: np.ndarray) -> float | None:
    k = c.shape[0]
    return k / (k - 1) * (1 - float(np.trace(c)) / float(c.sum())) if k > 1 else None


@dataclass(frozen=True, slots=True)
class ItemTotalResult:
    """SPSS "Scale Statistics" and "Item-Total Statistics" on complete cases with sum scores."""

    n: int
    k: int
    scale_mean: float
    scale_variance: float
    scale_sd: float
    alpha: float
    std_alpha: float
    mean_inter_item_r: float
    reversed: tuple[str, ...]
    items: pd.DataFrame = field(compare=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per item: scale mean and variance if deleted, corrected item-total r, SMC, alpha if deleted."""
        return self.items.reset_index()

    def summary(self) -> str:
        """The SPSS tables as plain text."""
        head = (f"Item-total statistics (listwise, N = {self.n}, k = {self.k}): alpha {self.alpha:.3f}, "
                f"based on standardized items {self.std_alpha:.3f}, mean inter-item r {self.mean_inter_item_r:.3f}\n"
                f"Scale (sum): mean {self.scale_mean:.3f}, variance {self.scale_variance:.3f}, sd {self.scale_sd:.3f}")
        return f"{head}\n{self.items.round(3).to_string()}"


def spss_item_total(items: pd.DataFrame, *, reverse: str | Iterable[str] = (),
                    scale: tuple[float, float] | None = None) -> ItemTotalResult:
    r"""SPSS RELIABILITY /MODEL=ALPHA /SUMMARY=TOTAL: the item-total table on complete cases.

    Parameters
    ----------
    items, reverse, scale
        As in :func:`cronbach_alpha`.

    Returns
    -------
    ItemTotalResult

    Notes
    -----
    SPSS deletes every row with a missing item (/MISSING=EXCLUDE) and scores the scale as the
    sum :math:`X = \sum_i x_i`. Per item: scale mean and variance of :math:`X - x_i`,
    corrected item-total r = r(:math:`x_i, X - x_i`), squared multiple correlation
    :math:`1 - 1/(R^{-1})_{ii}` and alpha without item i.

    References
    ----------
    .. [1] IBM Corp. (2021). IBM SPSS Statistics 28 Algorithms: RELIABILITY. Armonk, NY: IBM Corp.
    .. [2] Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
           Psychometrika, 16(3), 297-334. https://doi.org/10.1007/BF02310555

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5, 2, 4, 3], "b": [2, 2, 3, 5, 5, 1, 4, 3],
    ...                    "c": [1, 3, 3, 4, 4, 2, 5, 2], "d": [2, 1, 4, 5, 4, 2, 3, 3]})
    >>> spss_item_total(df).items["corrected_item_total_r"].round(3).tolist()
    [0.929, 0.923, 0.74, 0.74]
    """
    data = prepare(items, reverse, scale, "listwise")
    m = moments(data, "listwise")
    c = m.cov
    _check_total_variance(c, data.names)
    table = pd.DataFrame({
        "scale_mean_if_deleted": m.means.sum() - m.means,
        "scale_variance_if_deleted": _rest_variance(c),
        "corrected_item_total_r": _r_drop(c),
        "squared_multiple_correlation": factor.smc(cov2cor(c)),
        "alpha_if_deleted": _if_deleted(c, m.n_rows)["alpha"],
    }, index=pd.Index(list(data.names), name="item"))
    s = _alpha_stats(c)
    return ItemTotalResult(
        n=m.n_rows, k=c.shape[0], scale_mean=float(m.means.sum()), scale_variance=float(c.sum()),
        scale_sd=math.sqrt(c.sum()), alpha=s.raw, std_alpha=s.std, mean_inter_item_r=s.average_r,
        reversed=data.reversed, items=table,
    )


@dataclass(frozen=True, slots=True)
class SpssSplitHalfResult:
    """SPSS RELIABILITY /MODEL=SPLIT on complete cases. ``alpha_part2`` is None for a one-item part."""

    n: int
    part1: tuple[str, ...]
    part2: tuple[str, ...]
    alpha_part1: float | None
    alpha_part2: float | None
    correlation_between_forms: float
    spearman_brown_equal: float
    spearman_brown_unequal: float
    guttman_split_half: float

    def to_frame(self) -> pd.DataFrame:
        """One row per part: items, number of items and alpha."""
        return pd.DataFrame({"part": [1, 2], "items": [", ".join(self.part1), ", ".join(self.part2)],
                             "k": [len(self.part1), len(self.part2)],
                             "alpha": [self.alpha_part1, self.alpha_part2]})

    def summary(self) -> str:
        """The SPSS split-half table as plain text."""
        def fmt(a: float | None) -> str:
            return "n/a" if a is None else f"{a:.3f}"
        return (f"Split-half (SPSS, listwise, N = {self.n}): part 1 = {', '.join(self.part1)} "
                f"(alpha {fmt(self.alpha_part1)}), part 2 = {', '.join(self.part2)} (alpha {fmt(self.alpha_part2)})\n"
                f"  correlation between forms {self.correlation_between_forms:.3f}; Spearman-Brown equal "
                f"{self.spearman_brown_equal:.3f}, unequal {self.spearman_brown_unequal:.3f}; "
                f"Guttman split-half {self.guttman_split_half:.3f}")


def spss_split_half(items: pd.DataFrame, *, reverse: str | Iterable[str] = (),
                    scale: tuple[float, float] | None = None, first: int | None = None) -> SpssSplitHalfResult:
    r"""SPSS RELIABILITY /MODEL=SPLIT: the two halves in the order the items are listed.

    Parameters
    ----------
    items, reverse, scale
        As in :func:`cronbach_alpha`.
    first : int, optional
        Items in part 1 (SPSS ``SPLIT(n)``); by default the first :math:`\lceil k/2\rceil`.

    Returns
    -------
    SpssSplitHalfResult

    Notes
    -----
    Complete cases; part sums :math:`S_1, S_2`, :math:`r = \mathrm{cor}(S_1, S_2)`.
    Spearman-Brown :math:`2r/(1+r)`; unequal length (Horst 1951)
    :math:`(\sqrt{r^4 + 4r^2t} - r^2)/(2t)` with :math:`t = (1-r^2)k_1k_2/k^2`; Guttman
    :math:`4\,\mathrm{cov}(S_1,S_2)/\mathrm{var}(S_1+S_2)`.

    References
    ----------
    .. [1] Spearman, C. (1910). Correlation calculated from faulty data. British Journal of
           Psychology, 3(3), 271-295. https://doi.org/10.1111/j.2044-8295.1910.tb00206.x
    .. [2] Horst, P. (1951). Estimating total test reliability from parts of unequal length.
           Educational and Psychological Measurement, 11(3), 368-371.
           https://doi.org/10.1177/001316445101100306
    .. [3] Guttman, L. (1945). A basis for analyzing test-retest reliability. Psychometrika,
           10(4), 255-282. https://doi.org/10.1007/BF02288892

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5, 2, 4, 3], "b": [2, 2, 3, 5, 5, 1, 4, 3],
    ...                    "c": [1, 3, 3, 4, 4, 2, 5, 2], "d": [2, 1, 4, 5, 4, 2, 3, 3]})
    >>> res = spss_split_half(df)
    >>> res.part1, round(res.spearman_brown_equal, 3)
    (('a', 'b'), 0.966)
    """
    data = prepare(items, reverse, scale, "listwise")
    k = len(data.names)
    k1 = math.ceil(k / 2) if first is None else first
    if not 1 <= k1 < k:
        raise ValueError(f"first must leave at least one item in each part (1..{k - 1}), got {first!r}")
    m = moments(data, "listwise")
    c = m.cov
    a, b = slice(0, k1), slice(k1, k)
    v1, v2, c12 = float(c[a, a].sum()), float(c[b, b].sum()), float(c[a, b].sum())
    r = c12 / math.sqrt(v1 * v2)
    t = (1 - r**2) * k1 * (k - k1) / k**2
    # Forms that correlate perfectly: Horst's formula tends to Spearman-Brown's (1 for r = 1,
    # undefined for r = -1).
    equal = 2 * r / (1 + r) if r > -1 else math.nan
    return SpssSplitHalfResult(
        n=m.n_rows, part1=data.names[a], part2=data.names[b],
        alpha_part1=_alpha_of(c[a, a]), alpha_part2=_alpha_of(c[b, b]),
        correlation_between_forms=r, spearman_brown_equal=equal,
        spearman_brown_unequal=(math.sqrt(r**4 + 4 * r**2 * t) - r**2) / (2 * t) if t > 0 else equal,
        guttman_split_half=4 * c12 / (v1 + v2 + 2 * c12),
    )


# --------------------------------------------------------------------------- split halves

@dataclass(frozen=True, slots=True)
class _Splits:
    count: int
    exhaustive: bool
    max: float
    min: float
    mean: float
    best: np.ndarray   # 0/1 membership of half A at the maximum
    worst: np.ndarray


def _combination_batches(k: int, m: int, limit: int | None, batch: int = 65_536) -> Iterable[np.ndarray]:
    combos = itertools.islice(itertools.combinations(range(k), m), limit)
    while chunk := list(itertools.islice(combos, batch)):
        idx = np.array(chunk, dtype=np.intp).reshape(len(chunk), m)
        masks = np.zeros((len(chunk), k))
        np.put_along_axis(masks, idx, 1.0, axis=1)
        yield masks


def _random_batches(k: int, m: int, count: int, rng: np.random.Generator, batch: int = 65_536) -> Iterable[np.ndarray]:
    done = 0
    while done < count:
        size = min(batch, count - done)
        order = rng.permuted(np.tile(np.arange(k), (size, 1)), axis=1)[:, :m]
        masks = np.zeros((size, k))
        np.put_along_axis(masks, order, 1.0, axis=1)
        done += size
        yield masks


def _scan_splits(c: np.ndarray, batches: Iterable[np.ndarray], exhaustive: bool) -> _Splits:
    # Split coefficient 4 a'C b / sum(C) with b = 1 - a: 4 (a'C1 - a'Ca) / sum(C).
    total, row = float(c.sum()), c.sum(axis=1)
    count, acc = 0, 0.0
    best = worst = np.empty(0)
    hi, lo = -math.inf, math.inf
    for masks in batches:
        coef = 4 * (masks @ row - np.einsum("sk,sk->s", masks @ c, masks)) / total
        count, acc = count + coef.size, acc + float(coef.sum())
        i, j = int(np.argmax(coef)), int(np.argmin(coef))
        if coef[i] > hi:
            hi, best = float(coef[i]), masks[i]
        if coef[j] < lo:
            lo, worst = float(coef[j]), masks[j]
    return _Splits(count, exhaustive, hi, lo, acc / count, best, worst)


def _all_splits(c: np.ndarray, max_splits: int, seed: int | np.random.Generator | None) -> _Splits:
    """Every distinct split into halves of floor(k/2) and ceil(k/2) items, or a random sample."""
    k = c.shape[0]
    m = k // 2
    distinct = math.comb(k, m) // (2 if k % 2 == 0 else 1)
    if distinct > max_splits:
        return _scan_splits(c, _random_batches(k, m, max_splits, np.random.default_rng(seed)), False)
    # With k even each split appears twice among the combinations; the first half of them
    # in lexicographic order (those holding item 1) lists each once.
    return _scan_splits(c, _combination_batches(k, m, distinct), True)


def _psych_splits(r: np.ndarray) -> _Splits | None:
    """The splits psych::splitHalf 2.2.9 examines: the first ceil(choose(k, k/2)/2) combinations."""
    k = r.shape[0]
    count = math.ceil(math.comb(k, k // 2) / 2)
    if count > _PSYCH_MAX_SPLITS:
        return None  # psych samples random splits there: not reproducible
    return _scan_splits(r, _combination_batches(k, k // 2, count), True)


def _lambda2(c: np.ndarray) -> float:
    k = c.shape[0]
    total = float(c.sum())
    off = c - np.diag(np.diag(c))
    return 1 - float(np.trace(c)) / total + math.sqrt(k / (k - 1) * float(np.sum(off**2))) / total


@dataclass(frozen=True, slots=True)
class SplitHalfResult:
    """Split-half reliabilities (standardized Flanagan-Rulon) over all distinct splits.

    ``max_split`` is Guttman's lambda4 and ``min_split`` Revelle's beta on the correlation
    matrix. ``psych_lambda4``/``psych_beta`` repeat psych::splitHalf, which sees only about
    half the splits when k is odd; they are None when psych would sample (k > 16).
    """

    n_splits: int
    exhaustive: bool
    max_split: float
    min_split: float
    mean_split: float
    best_half: tuple[str, ...]
    worst_half: tuple[str, ...]
    psych_lambda4: float | None
    psych_beta: float | None
    psych_n_splits: int | None
    alpha_std: float
    lambda2_std: float
    lambda6_std: float
    n_rows: int
    missing: str

    def to_frame(self) -> pd.DataFrame:
        """One row per statistic."""
        names = ["max_split", "min_split", "mean_split", "psych_lambda4", "psych_beta",
                 "alpha_std", "lambda2_std", "lambda6_std"]
        return pd.DataFrame({"statistic": names, "value": [getattr(self, n) for n in names]})

    def summary(self) -> str:
        """Max, min and mean over the splits, with the best and worst halves."""
        how = "all" if self.exhaustive else "a random sample of"
        return (f"Split-half reliability ({self.missing}, N = {self.n_rows}; {how} {self.n_splits} splits, "
                f"standardized): max (lambda4) {self.max_split:.3f}, min (beta) {self.min_split:.3f}, "
                f"mean {self.mean_split:.3f}\n  best half: {', '.join(self.best_half)}; worst half: "
                f"{', '.join(self.worst_half)}\n  alpha {self.alpha_std:.3f}, lambda2 {self.lambda2_std:.3f}, "
                f"lambda6 (smc) {self.lambda6_std:.3f}")


def split_half(items: pd.DataFrame, *, reverse: str | Iterable[str] = (), scale: tuple[float, float] | None = None,
               missing: Missing = "pairwise", max_splits: int = 1_000_000,
               seed: int | np.random.Generator | None = None) -> SplitHalfResult:
    r"""Split-half reliability over every split of the items into two halves.

    Parameters
    ----------
    items, reverse, scale, missing
        As in :func:`cronbach_alpha`.
    max_splits : int
        Above this many distinct splits, a random sample of ``max_splits`` splits is used.
    seed : int or Generator, optional
        Seed for that sample.

    Returns
    -------
    SplitHalfResult

    Notes
    -----
    On R = cov2cor(C) (C pairwise or listwise), each split into halves A and B of
    :math:`\lfloor k/2\rfloor` and :math:`\lceil k/2\rceil` items gives
    :math:`4\,1_A^\top R\,1_B/\Sigma R` (Flanagan-Rulon on standardized items). Also
    :math:`\lambda_2` on R and G6(smc) = :math:`1 - (k - \sum\mathrm{smc})/\Sigma R`.
    psych::splitHalf 2.2.9 examines only the first :math:`\lceil\binom{k}{\lfloor k/2\rfloor}/2\rceil`
    combinations in lexicographic order, which for odd k is about half of the distinct splits
    (2 of 3 for k = 3), and divides their sum by :math:`\binom{k}{\lfloor k/2\rfloor}/2`;
    ``psych_lambda4`` and ``psych_beta`` reproduce its maximum and minimum over that set,
    while ``max_split``, ``min_split`` and ``mean_split`` cover every split.

    References
    ----------
    .. [1] Guttman, L. (1945). A basis for analyzing test-retest reliability. Psychometrika,
           10(4), 255-282. https://doi.org/10.1007/BF02288892
    .. [2] Revelle, W. (1979). Hierarchical cluster analysis and the internal structure of
           tests. Multivariate Behavioral Research, 14(1), 57-74.
           https://doi.org/10.1207/s15327906mbr1401_4
    .. [3] Revelle, W. (2022). psych (R package version 2.2.9), function ``splitHalf``.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5, 2, 4, 3], "b": [2, 2, 3, 5, 5, 1, 4, 3],
    ...                    "c": [1, 3, 3, 4, 4, 2, 5, 2], "d": [2, 1, 4, 5, 4, 2, 3, 3]})
    >>> res = split_half(df)
    >>> res.n_splits, round(res.max_split, 3), res.best_half
    (3, 0.963, ('a', 'b'))
    """
    check_missing(missing)
    if max_splits < 1:
        raise ValueError(f"max_splits must be positive, got {max_splits!r}")
    data = prepare(items, reverse, scale, missing)
    m = moments(data, missing)
    _check_total_variance(m.cov, data.names)
    r = cov2cor(m.cov)
    splits = _all_splits(r, max_splits, seed)
    psych = _psych_splits(r)
    s = _alpha_stats(m.cov)
    return SplitHalfResult(
        n_splits=splits.count, exhaustive=splits.exhaustive, max_split=splits.max,
        min_split=splits.min, mean_split=splits.mean,
        best_half=tuple(n for n, inside in zip(data.names, splits.best) if inside),
        worst_half=tuple(n for n, inside in zip(data.names, splits.worst) if inside),
        psych_lambda4=None if psych is None else psych.max, psych_beta=None if psych is None else psych.min,
        psych_n_splits=None if psych is None else psych.count,
        alpha_std=s.std, lambda2_std=_lambda2(r), lambda6_std=s.g6, n_rows=m.n_rows, missing=missing,
    )


# --------------------------------------------------------------------------- Guttman's lambdas

@dataclass(frozen=True, slots=True)
class GuttmanResult:
    """Guttman's six lower bounds in the covariance metric; ``lambda6_std`` is psych's G6(smc)."""

    lambda1: float
    lambda2: float
    lambda3: float
    lambda4: float
    lambda5: float
    lambda6: float
    lambda6_std: float
    lambda4_exhaustive: bool
    n_rows: int
    missing: str

    def to_frame(self) -> pd.DataFrame:
        """One row per coefficient."""
        names = ["lambda1", "lambda2", "lambda3", "lambda4", "lambda5", "lambda6", "lambda6_std"]
        return pd.DataFrame({"coefficient": names, "value": [getattr(self, n) for n in names]})

    def summary(self) -> str:
        """The six lambdas on one line."""
        values = ", ".join(f"{row.coefficient} {row.value:.3f}" for row in self.to_frame().itertuples())
        return f"Guttman's lower bounds ({self.missing}, N = {self.n_rows}, covariance metric): {values}"


def guttman(items: pd.DataFrame, *, reverse: str | Iterable[str] = (), scale: tuple[float, float] | None = None,
            missing: Missing = "pairwise", max_splits: int = 1_000_000,
            seed: int | np.random.Generator | None = None) -> GuttmanResult:
    r"""Guttman's (1945) lower bounds :math:`\lambda_1`-:math:`\lambda_6` of reliability.

    Parameters
    ----------
    items, reverse, scale, missing
        As in :func:`cronbach_alpha`.
    max_splits, seed
        As in :func:`split_half`, for :math:`\lambda_4`.

    Returns
    -------
    GuttmanResult

    Notes
    -----
    With :math:`V = \Sigma C`: :math:`\lambda_1 = 1 - \mathrm{tr}\,C/V`;
    :math:`\lambda_2 = \lambda_1 + \sqrt{\tfrac{k}{k-1}\sum_{i\ne j}C_{ij}^2}/V`;
    :math:`\lambda_3 = \tfrac{k}{k-1}\lambda_1` (alpha); :math:`\lambda_4` = the largest
    :math:`4\,1_A^\top C 1_B/V` over the splits; :math:`\lambda_5 = \lambda_1 +
    2\sqrt{\max_i\sum_{j\ne i}C_{ij}^2}/V`; :math:`\lambda_6 = 1 - \sum_i C_{ii}(1 -
    \mathrm{smc}_i)/V`.

    References
    ----------
    .. [1] Guttman, L. (1945). A basis for analyzing test-retest reliability. Psychometrika,
           10(4), 255-282. https://doi.org/10.1007/BF02288892

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5, 2, 4, 3], "b": [2, 2, 3, 5, 5, 1, 4, 3],
    ...                    "c": [1, 3, 3, 4, 4, 2, 5, 2], "d": [2, 1, 4, 5, 4, 2, 3, 3]})
    >>> res = guttman(df)
    >>> round(res.lambda3, 3), round(res.lambda4, 3)
    (0.927, 0.959)
    """
    check_missing(missing)
    data = prepare(items, reverse, scale, missing)
    m = moments(data, missing)
    c = m.cov
    _check_total_variance(c, data.names)
    k = c.shape[0]
    total, trace = float(c.sum()), float(np.trace(c))
    off = c - np.diag(np.diag(c))
    lambda1 = 1 - trace / total
    smc = factor.smc(cov2cor(c))
    splits = _all_splits(c, max_splits, seed)
    return GuttmanResult(
        lambda1=lambda1, lambda2=_lambda2(c), lambda3=k / (k - 1) * lambda1, lambda4=splits.max,
        lambda5=lambda1 + 2 * math.sqrt(float(np.max(np.sum(off**2, axis=0)))) / total,
        lambda6=1 - float(np.sum(np.diag(c) * (1 - smc))) / total,
        lambda6_std=_alpha_stats(c).g6, lambda4_exhaustive=splits.exhaustive, n_rows=m.n_rows, missing=missing,
    )


# --------------------------------------------------------------------------- omega

@dataclass(frozen=True, slots=True)
class OmegaResult:
    """McDonald's omega from a Schmid-Leiman solution, as psych::omega.

    ``loadings``: per item g, F1* ... (group factors), h2, u2. ``groups``: rows g, F1* ...
    with omega total, general and group share of each subscale (NaN for a group factor
    that is no item's largest loading).
    """

    omega_h: float
    omega_total: float
    omega_limit: float
    omega_model_based: float
    alpha_std: float
    g6: float
    ecv: float
    nfactors: int
    n_rows: int
    flipped: tuple[str, ...]
    loadings: pd.DataFrame = field(compare=False)
    groups: pd.DataFrame = field(compare=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per item: general and group loadings, h2, u2."""
        return self.loadings.reset_index()

    def summary(self) -> str:
        """The omega coefficients, the loadings and the subscale table."""
        flipped = f"; reflected: {', '.join(self.flipped)}" if self.flipped else ""
        head = (f"Omega ({self.nfactors} group factor{'s' * (self.nfactors > 1)}, minres + oblimin + "
                f"Schmid-Leiman, N = {self.n_rows}{flipped})\n"
                f"  omega_h {self.omega_h:.3f}  omega_total {self.omega_total:.3f}  omega_limit "
                f"{self.omega_limit:.3f}  model-based {self.omega_model_based:.3f}  alpha {self.alpha_std:.3f}"
                f"  G6 {self.g6:.3f}  ECV {self.ecv:.3f}")
        return f"{head}\n{self.loadings.round(3).to_string()}\n{self.groups.round(3).to_string()}"


def _check_nfactors(nfactors: int, k: int) -> None:
    # Ledermann bound: the factor model has no degrees of freedom left beyond it.
    if not isinstance(nfactors, (int, np.integer)) or nfactors < 1 or (k - nfactors) ** 2 < k + nfactors:
        raise ValueError(f"nfactors={nfactors!r} cannot be identified from {k} items "
                         f"(need (k - nfactors)^2 >= k + nfactors, e.g. 3 items per factor)")


def _omega_groups(r: np.ndarray, general: np.ndarray, group: np.ndarray, omega_total: float) -> pd.DataFrame:
    home = np.argmax(np.abs(group), axis=1)  # each item's group factor: its largest |loading|, as psych
    rows: dict[str, tuple[float, float, float]] = {}
    group_sq = 0.0
    for f in range(group.shape[1]):
        idx = np.nonzero(home == f)[0]
        if idx.size == 0:
            rows[f"F{f + 1}*"] = (math.nan, math.nan, math.nan)
            continue
        v = r[np.ix_(idx, idx)].sum()
        gr, gg = group[idx, f].sum(), general[idx].sum()
        group_sq += gr**2
        rows[f"F{f + 1}*"] = ((gr**2 + gg**2) / v, gg**2 / v, gr**2 / v)
    total = r.sum()
    rows = {"g": (omega_total, general.sum() ** 2 / total, group_sq / total), **rows}
    return pd.DataFrame.from_dict(rows, orient="index", columns=["total", "general", "group"])


def omega(items: pd.DataFrame, *, nfactors: int = 1, reverse: str | Iterable[str] = (),
          scale: tuple[float, float] | None = None, flip: bool = True) -> OmegaResult:
    r"""McDonald's omega (total, hierarchical, limit) following psych::omega.

    Parameters
    ----------
    items, reverse, scale
        As in :func:`cronbach_alpha`.
    nfactors : int
        Group factors. 1 (the default) is the congeneric one-factor omega of a scale; psych's
        default is 3. With 2, the general loadings of the two group factors are set equal
        (psych's ``option = "equal"``), a convention rather than an estimate.
    flip : bool
        Reflect items whose general loading is negative before anything is summed.

    Returns
    -------
    OmegaResult

    Notes
    -----
    R is the matrix of pairwise Pearson correlations (psych::omega's choice, not cov2cor of
    the pairwise covariances); minres, varimax, oblimin and Schmid-Leiman as
    :func:`analysis.factor.schmid_leiman`. With g the general loadings, s the group loadings,
    :math:`u^2` the uniquenesses and :math:`V = \Sigma R` of the reflected matrix:

    .. math::

        \omega_h = \frac{(\sum g)^2}{V}, \quad \omega_t = \frac{V - \sum u^2}{V}, \quad
        \omega_{lim} = \frac{(\sum g)^2}{V - \sum u^2}, \quad
        \omega_{model} = \frac{(\sum g)^2 + \sum_f(\sum s_f)^2}{(\sum g)^2 + \sum_f(\sum s_f)^2 + \sum u^2}

    ECV :math:`= \sum g^2 / (\sum g^2 + \sum s^2)`, G6 :math:`= (V - k + \sum\mathrm{smc})/V`,
    standardized alpha on R. With one factor :math:`\omega_h = (\sum\lambda)^2/\Sigma R` is
    semTools' observed-variance omega and :math:`\omega_{model}` McDonald's model-based one.

    References
    ----------
    .. [1] McDonald, R. P. (1999). Test theory: A unified treatment. Mahwah, NJ: Erlbaum.
           https://doi.org/10.4324/9781410601087
    .. [2] Zinbarg, R. E., Revelle, W., Yovel, I., & Li, W. (2005). Cronbach's alpha,
           Revelle's beta, and McDonald's omega_h. Psychometrika, 70(1), 123-133.
           https://doi.org/10.1007/s11336-003-0974-7
    .. [3] Revelle, W., & Zinbarg, R. E. (2009). Coefficients alpha, beta, omega, and the glb.
           Psychometrika, 74(1), 145-154. https://doi.org/10.1007/s11336-008-9102-z
    .. [4] Schmid, J., & Leiman, J. M. (1957). The development of hierarchical factor
           solutions. Psychometrika, 22(1), 53-61. https://doi.org/10.1007/BF02289209

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5, 2, 4, 3], "b": [2, 2, 3, 5, 5, 1, 4, 3],
    ...                    "c": [1, 3, 3, 4, 4, 2, 5, 2], "d": [2, 1, 4, 5, 4, 2, 3, 3]})
    >>> res = omega(df)
    >>> round(res.omega_total, 3), round(res.omega_h, 3)
    (0.931, 0.932)
    """
    data = prepare(items, reverse, scale)
    k = len(data.names)
    _check_nfactors(nfactors, k)
    r = pairwise_pearson(data)
    sl = factor.schmid_leiman(r, nfactors)
    general, group = sl.general, sl.group
    key = np.where(general < 0, -1.0, 1.0) if flip else np.ones(k)
    r = r * np.outer(key, key)
    general, group = general * key, group * key[:, None]
    total = float(r.sum())
    unique = float(sl.u2.sum())
    gsq = float(general.sum() ** 2)
    explained = gsq + float(np.sum(group.sum(axis=0) ** 2))
    omega_total = (total - unique) / total
    loadings = pd.DataFrame(np.column_stack([general, group, sl.h2, sl.u2]), index=pd.Index(list(data.names), name="item"),
                            columns=["g", *(f"F{f + 1}*" for f in range(nfactors)), "h2", "u2"])
    return OmegaResult(
        omega_h=gsq / total, omega_total=omega_total, omega_limit=gsq / (total - unique),
        omega_model_based=explained / (explained + unique),
        alpha_std=k / (k - 1) * (1 - k / total),
        g6=(total - k + float(factor.smc(r).sum())) / total,
        ecv=float(np.sum(general**2) / (np.sum(general**2) + np.sum(group**2))),
        nfactors=nfactors, n_rows=data.x.shape[0],
        flipped=tuple(n for n, s in zip(data.names, key) if s < 0),
        loadings=loadings, groups=_omega_groups(r, general, group, omega_total),
    )


# --------------------------------------------------------------------------- composite reliability

@dataclass(frozen=True, slots=True)
class CompositeReliabilityResult:
    """Composite reliability and AVE per factor from an ML CFA, with the model's fit.

    ``factors``: per factor n_items, cr (Fornell-Larcker), ave, cr_semtools, ave_semtools
    (observed-variance denominators), sqrt_ave and max_r (largest correlation with another
    factor; the Fornell-Larcker criterion asks sqrt_ave > max_r). ``loadings``: per item.
    """

    n_used: int
    chisq: float
    df: int
    pvalue: float
    cfi: float
    tli: float
    rmsea: float
    srmr: float
    factors: pd.DataFrame = field(compare=False)
    loadings: pd.DataFrame = field(compare=False)
    factor_correlations: pd.DataFrame = field(compare=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per factor: CR, AVE (both definitions), sqrt(AVE) and the largest factor correlation."""
        return self.factors.reset_index()

    def summary(self) -> str:
        """Fit line, the factor table and the standardized loadings."""
        head = (f"Composite reliability (ML CFA, std.lv, listwise N = {self.n_used}): chi2({self.df}) = "
                f"{self.chisq:.3f}, CFI {self.cfi:.3f}, TLI {self.tli:.3f}, RMSEA {self.rmsea:.3f}, SRMR {self.srmr:.3f}")
        return f"{head}\n{self.factors.round(3).to_string()}\n{self.loadings.round(3).to_string(index=False)}"


def _check_model(model: Mapping[str, Sequence[str]], columns: Sequence[str]) -> list[str]:
    if not isinstance(model, Mapping) or not model:
        raise ValueError("model must map each factor name to its items, e.g. {'quality': ['q1', 'q2', 'q3']}")
    items: list[str] = []
    for name, indicators in model.items():
        indicators = [indicators] if isinstance(indicators, str) else list(indicators)
        if len(indicators) < 2:
            raise ValueError(f"factor {name!r} needs at least two items, got {indicators}")
        for item in indicators:
            if item not in columns:
                raise ValueError(f"item {item!r} of factor {name!r} is not a column of the data")
        items.extend(i for i in indicators if i not in items)
    p, m = len(items), len(model)
    parameters = sum(len(v) for v in model.values()) + m * (m - 1) // 2 + p
    if parameters > p * (p + 1) // 2:
        raise ValueError(f"the model has {parameters} free parameters but its {p} items give only "
                         f"{p * (p + 1) // 2} variances and covariances; it is not identified (add items)")
    return items


def _check_proper(fit: cfa.CfaResult) -> None:
    negative = fit.std_residual_var[fit.std_residual_var < 0]
    if not negative.empty:
        raise ValueError(f"the CFA solution is improper: item {negative.index[0]!r} has a negative residual "
                         "variance (a Heywood case); CR and AVE would be meaningless; check the model and the item")
    phi = fit.factor_correlations
    over = np.argwhere(np.triu(np.abs(phi.to_numpy()) >= 1, 1))
    if over.size:
        a, b = phi.index[over[0][0]], phi.index[over[0][1]]
        raise ValueError(f"the CFA solution is improper: factors {a!r} and {b!r} correlate at 1 or beyond; "
                         "they are not distinct, or the model is not identified by these data")
    if not fit.converged:
        raise ValueError("the ML estimation of the CFA did not converge; the model may not be identified by these data")


def composite_reliability(data: pd.DataFrame, model: Mapping[str, Sequence[str]], *,
                          reverse: str | Iterable[str] = (),
                          scale: tuple[float, float] | None = None) -> CompositeReliabilityResult:
    r"""Composite reliability (CR) and average variance extracted (AVE) from an ML CFA.

    Parameters
    ----------
    data : DataFrame
        Respondents in rows; the model's items as numeric columns.
    model : mapping
        Factor name -> its items, e.g. ``{"visual": ["x1", "x2", "x3"], ...}``.
    reverse, scale
        As in :func:`cronbach_alpha`; reverse-keyed items are recoded before fitting.

    Returns
    -------
    CompositeReliabilityResult

    Notes
    -----
    lavaan's ``cfa(model, std.lv = TRUE)``: maximum likelihood, listwise deletion, factor
    variances 1 (:func:`analysis.cfa.fit`). From the completely standardized loadings
    :math:`\lambda` and residual variances :math:`\theta = 1 - \lambda^2`:
    :math:`CR = (\sum\lambda)^2/((\sum\lambda)^2 + \sum\theta)`,
    :math:`AVE = \sum\lambda^2/k`. semTools 0.5-6 ``compRelSEM``/``AVE`` (``obs.var = TRUE``)
    divide the raw loadings by the observed ML (co)variances instead:
    :math:`(\sum\lambda_{raw})^2/\Sigma S` and :math:`\sum\lambda_{raw}^2/\mathrm{tr}\,S`.
    An improper solution (a negative residual variance, factors correlating at 1 or beyond)
    or an estimation that does not converge raises ValueError: lavaan only warns, but CR and
    AVE from such a solution mean nothing.

    References
    ----------
    .. [1] Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with
           unobservable variables and measurement error. Journal of Marketing Research, 18(1),
           39-50. https://doi.org/10.1177/002224378101800104
    .. [2] Joreskog, K. G. (1971). Statistical analysis of sets of congeneric tests.
           Psychometrika, 36(2), 109-133. https://doi.org/10.1007/BF02291393
    .. [3] Jorgensen, T. D., Pornprasertmanit, S., Schoemann, A. M., & Rosseel, Y. (2022).
           semTools: Useful tools for structural equation modeling (R package version 0.5-6).

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5, 2, 4, 3], "b": [2, 2, 3, 5, 5, 1, 4, 3],
    ...                    "c": [1, 3, 3, 4, 4, 2, 5, 2], "d": [2, 1, 4, 5, 4, 2, 3, 3]})
    >>> res = composite_reliability(df, {"f": ["a", "b", "c", "d"]})
    >>> res.factors.loc["f", ["cr", "ave"]].round(3).tolist()
    [0.934, 0.78]
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    items = _check_model(model, [str(c) for c in data.columns])
    block = prepare(data[items], reverse, scale, "listwise")
    complete = int((~np.isnan(block.x)).all(axis=1).sum())
    if complete <= len(items):
        raise ValueError(f"only {complete} rows answer every item of the model; a CFA of {len(items)} items "
                         f"needs more than {len(items)}")
    moments(block, "listwise")  # refuses items that are constant among the complete rows
    keyed = pd.DataFrame(block.x * block.sign + block.offset, columns=list(block.names))
    model = {name: [indicators] if isinstance(indicators, str) else list(indicators) for name, indicators in model.items()}
    s = np.cov(keyed.dropna().to_numpy(), rowvar=False, bias=True)
    if np.linalg.eigvalsh(s)[0] <= 1e-12 * np.trace(s):
        raise ValueError(f"the items {items} are linearly dependent among the complete rows; drop a redundant item")
    fit = cfa.fit(keyed, model)
    _check_proper(fit)
    factors = {}
    phi = fit.factor_correlations.to_numpy()
    for f, (name, indicators) in enumerate(model.items()):
        lam = fit.std_loadings.loc[indicators, name].to_numpy()
        theta = fit.std_residual_var[indicators].to_numpy()
        raw = fit.loadings.loc[indicators, name].to_numpy()
        block_cov = fit.sample_cov.loc[indicators, indicators].to_numpy()
        others = np.delete(phi[f], f)
        factors[name] = {
            "n_items": len(indicators),
            "cr": lam.sum() ** 2 / (lam.sum() ** 2 + theta.sum()),
            "ave": float(np.mean(lam**2)),
            "cr_semtools": raw.sum() ** 2 / block_cov.sum(),
            "ave_semtools": float(np.sum(raw**2) / np.trace(block_cov)),
            "sqrt_ave": math.sqrt(float(np.mean(lam**2))),
            "max_r": float(np.max(np.abs(others))) if others.size else math.nan,
        }
    return CompositeReliabilityResult(
        n_used=fit.n_used, chisq=fit.chisq, df=fit.df, pvalue=fit.pvalue, cfi=fit.cfi, tli=fit.tli,
        rmsea=fit.rmsea, srmr=fit.srmr,
        factors=pd.DataFrame.from_dict(factors, orient="index").rename_axis("factor"),
        loadings=fit.to_frame(), factor_correlations=fit.factor_correlations,
    )
