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
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from analysis import cfa, factor

__all__ = [
    "CompositeReliabilityResult", "GuttmanResult", "ItemTotalResult", "OmegaResult",
    "ReliabilityResult", "SpssSplitHalfResult", "SplitHalfResult", "composite_reliability",
    "cronbach_alpha", "guttman", "omega", "spss_item_total", "spss_split_half", "split_half",
]

Missing = Literal["pairwise", "listwise"]

# Rows per block in the single pass over the data: big enough for BLAS to run at full
# speed, small enough that the per-block copies stay in cache and add no real memory.
_BLOCK_ROWS = 16_384
# A column whose mean square exceeds its variance by this factor loses digits in
# sum-of-squares formulas; the pass is then repeated on data shifted by the column means.
_CONDITION_LIMIT = 1e6
# psych::splitHalf enumerates splits only up to n.sample = 10,000 of them.
_PSYCH_MAX_SPLITS = 10_000


# --------------------------------------------------------------------------- input checks

@dataclass(frozen=True, slots=True)
class _Items:
    """Validated item block; keyed value = sign * x + offset."""

    names: tuple[str, ...]
    x: np.ndarray
    sign: np.ndarray
    offset: np.ndarray
    reversed: tuple[str, ...]


def _as_names(reverse: str | Iterable[str]) -> tuple[str, ...]:
    return (reverse,) if isinstance(reverse, str) else tuple(reverse)


def _check_columns(items: pd.DataFrame) -> None:
    if not isinstance(items, pd.DataFrame):
        raise TypeError(f"items must be a pandas DataFrame with one column per item, got {type(items).__name__}")
    names = list(items.columns)
    duplicated = sorted({str(n) for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"item columns must be unique; repeated: {', '.join(map(repr, duplicated))}")
    if len(names) < 2:
        raise ValueError(f"reliability needs at least two items, got {len(names)}: {names}")
    for name, dtype in items.dtypes.items():
        if not pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_complex_dtype(dtype):
            raise ValueError(f"item {name!r} is not numeric (dtype {dtype}); recode its answers as numbers")


def _to_array(items: pd.DataFrame) -> np.ndarray:
    if all(dtype == np.float64 for dtype in items.dtypes):
        return items.to_numpy()  # a view when the frame holds one float block: no copy
    return items.to_numpy(dtype=np.float64, na_value=np.nan)


def _column_range(x: np.ndarray, j: int) -> tuple[float, float]:
    column = x[:, j]
    return float(np.fmin.reduce(column)), float(np.fmax.reduce(column))


def _keying(x: np.ndarray, names: tuple[str, ...], reverse: tuple[str, ...],
            scale: tuple[float, float] | None) -> tuple[np.ndarray, np.ndarray]:
    sign = np.ones(len(names))
    offset = np.zeros(len(names))
    if not reverse:
        return sign, offset
    if scale is None:
        # psych::alpha reflects with the smallest and largest value of the whole block.
        low, high = float(np.fmin.reduce(x, axis=None)), float(np.fmax.reduce(x, axis=None))
        if math.isnan(low):
            raise ValueError(f"item {names[0]!r} has no answers (every value is missing)")
    else:
        low, high = scale
    for name in reverse:
        j = names.index(name)
        lo, hi = _column_range(x, j)
        if lo < low or hi > high:
            raise ValueError(f"reverse-keyed item {name!r} has values outside the scale {low:g}..{high:g} "
                             f"(observed {lo:g}..{hi:g}); pass the right scale=(min, max)")
        sign[j], offset[j] = -1.0, low + high
    return sign, offset


def _prepare(items: pd.DataFrame, reverse: str | Iterable[str], scale: tuple[float, float] | None) -> _Items:
    _check_columns(items)
    names = tuple(str(c) for c in items.columns)
    if len(items) < 3:
        raise ValueError(f"reliability needs at least 3 rows (respondents), got {len(items)}")
    reverse = _as_names(reverse)
    for name in reverse:
        if name not in names:
            raise ValueError(f"reverse-keyed item {name!r} is not one of the items {list(names)}")
    if scale is not None:
        low, high = scale
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError(f"scale must be (min, max) with finite min < max, got {scale!r}")
        scale = (float(low), float(high))
    x = _to_array(items)
    sign, offset = _keying(x, names, tuple(dict.fromkeys(reverse)), scale)
    return _Items(names, x, sign, offset, tuple(n for n in names if n in reverse))


# --------------------------------------------------------------------------- one pass over the data

@dataclass(frozen=True, slots=True)
class _Moments:
    """Keyed item moments, pairwise or listwise."""

    n_rows: int                # N of psych: every row (pairwise) or the complete rows (listwise)
    pair_n: np.ndarray         # rows answering both items
    cov: np.ndarray            # keyed covariance matrix C
    means: np.ndarray
    raw_r: np.ndarray          # r of each item with the person score (row mean of keyed items)
    score_mean: float
    score_sd: float


class _Accumulator:
    """Sums over row blocks for pairwise covariances and item-score correlations.

    Blocks without missing values only add to one Gram matrix and the column sums; blocks
    with missing values use the three products X0'X0, X0'M, M'M (X0 = data with 0 for NaN,
    M = answered indicator) and the row means of the keyed items.
    """

    def __init__(self, k: int, sign: np.ndarray, keyed_shift: np.ndarray) -> None:
        self.k, self.sign = k, sign
        self.keyed_shift = keyed_shift                       # b' = sign * shift + offset
        self.score_shift = float(keyed_shift.sum()) / k       # centres the person score
        self.gram_full, self.sum_full, self.n_full = np.zeros((k, k)), np.zeros(k), 0
        self.gram, self.sums, self.counts = np.zeros((k, k)), np.zeros((k, k)), np.zeros((k, k))
        self.xt, self.t, self.tt = np.zeros(k), np.zeros(k), np.zeros(k)
        self.score = np.zeros(3)  # n, sum, sum of squares of the centred person score

    def add_complete(self, block: np.ndarray, gram: np.ndarray) -> None:
        self.gram_full += gram
        self.sum_full += block.sum(axis=0)
        self.n_full += block.shape[0]

    def add_incomplete(self, block: np.ndarray) -> None:
        answered = ~np.isnan(block)
        x0 = np.where(answered, block, 0.0)
        m = answered.astype(np.float64)
        self.gram += x0.T @ x0
        self.sums += x0.T @ m
        self.counts += m.T @ m
        count = m.sum(axis=1)
        valid = count > 0
        t = np.zeros(block.shape[0])
        t[valid] = (x0[valid] @ self.sign + m[valid] @ self.keyed_shift) / count[valid] - self.score_shift
        self.xt += x0.T @ t
        self.t += m.T @ t
        self.tt += m.T @ (t * t)
        self.score += (valid.sum(), t.sum(), t @ t)

    def finish(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        # Complete rows: person score t = x.sign / k (centred), so its sums follow from the Gram matrix.
        g, s, a, k = self.gram_full, self.sum_full, self.sign, self.k
        gram = self.gram + g
        sums = self.sums + s[:, None]
        counts = self.counts + self.n_full
        xt = self.xt + g @ a / k
        t = self.t + s @ a / k
        tt = self.tt + a @ g @ a / k**2
        score = self.score + (self.n_full, s @ a / k, a @ g @ a / k**2)
        return gram, sums, counts, xt, t, tt, score


def _accumulate(x: np.ndarray, sign: np.ndarray, offset: np.ndarray, shift: np.ndarray,
                listwise: bool) -> _Accumulator:
    k = x.shape[1]
    acc = _Accumulator(k, sign, sign * shift + offset)
    shifted = bool(np.any(shift))
    for start in range(0, x.shape[0], _BLOCK_ROWS):
        block = x[start:start + _BLOCK_ROWS]
        if shifted:
            block = block - shift
        gram = block.T @ block
        if np.isfinite(np.diagonal(gram)).all():  # NaN or inf anywhere in a column shows on its diagonal
            acc.add_complete(block, gram)
            continue
        if listwise:
            block = block[~np.isnan(block).any(axis=1)]
            acc.add_complete(block, block.T @ block)
        else:
            acc.add_incomplete(block)
    return acc


def _check_finite(x: np.ndarray, names: Sequence[str]) -> None:
    for j, name in enumerate(names):
        lo, hi = _column_range(x, j)
        if math.isinf(lo) or math.isinf(hi):
            raise ValueError(f"item {name!r} contains an infinite value")


def _moments(data: _Items, missing: Missing) -> _Moments:
    shift = np.zeros(len(data.names))
    acc = _accumulate(data.x, data.sign, data.offset, shift, missing == "listwise")
    sums = _checked_sums(acc, data, missing)
    gram, _, counts = sums[:3]
    n_item = np.diagonal(counts)
    mean_square = np.diagonal(gram) / n_item
    variance = np.diagonal((gram - sums[1] * sums[1].T / counts) / (counts - 1))
    if np.any(variance * _CONDITION_LIMIT < mean_square):
        # Means far from zero relative to the spread cost digits in the sums of squares:
        # repeat the pass on data centred at the means of the first one.
        shift = np.diagonal(sums[1]) / n_item
        acc = _accumulate(data.x, data.sign, data.offset, shift, missing == "listwise")
        sums = _checked_sums(acc, data, missing)
    return _finish(acc, sums, data, missing, shift)


def _checked_sums(acc: _Accumulator, data: _Items, missing: Missing) -> tuple[np.ndarray, ...]:
    sums = acc.finish()
    gram, counts = sums[0], sums[2]
    if not np.isfinite(gram).all():
        _check_finite(data.x, data.names)
    empty = np.nonzero(np.diagonal(counts) == 0)[0]
    if missing == "pairwise" and empty.size:
        raise ValueError(f"item {data.names[empty[0]]!r} has no answers (every value is missing)")
    if missing == "listwise" and acc.n_full < 3:
        raise ValueError(f"only {acc.n_full} rows answer every item; listwise deletion needs at least 3")
    _check_pairs(counts, data.names)
    return sums


def _finish(acc: _Accumulator, sums: tuple[np.ndarray, ...], data: _Items, missing: Missing,
            shift: np.ndarray) -> _Moments:
    gram, item_sums, counts, xt, t, tt, score = sums
    n_item = np.diagonal(counts)
    cov = (gram - item_sums * item_sums.T / counts) / (counts - 1)
    variance = np.diagonal(cov)
    _check_constant(data.names, variance, np.diagonal(gram) / n_item, missing)
    a = data.sign
    item_sum = np.diagonal(item_sums)
    raw_r = a * (xt - item_sum * t / n_item) / np.sqrt(variance * (n_item - 1) * (tt - t * t / n_item))
    n_score, s1, s2 = score
    return _Moments(
        n_rows=data.x.shape[0] if missing == "pairwise" else acc.n_full,
        pair_n=counts, cov=cov * np.outer(a, a),
        means=a * (item_sum / n_item + shift) + data.offset,
        raw_r=raw_r,
        score_mean=float(s1 / n_score + acc.score_shift),
        score_sd=math.sqrt((s2 - s1 * s1 / n_score) / (n_score - 1)),
    )


def _check_pairs(counts: np.ndarray, names: Sequence[str]) -> None:
    low = np.argwhere(np.tril(counts < 2))
    if low.size:
        i, j = low[0]
        if i == j:
            raise ValueError(f"item {names[i]!r} has only {int(counts[i, i])} answer; a variance needs at least 2")
        raise ValueError(f"items {names[j]!r} and {names[i]!r} are answered together by only "
                         f"{int(counts[i, j])} rows; a covariance needs at least 2")


def _check_constant(names: Sequence[str], variance: np.ndarray, mean_square: np.ndarray, missing: Missing) -> None:
    # After centring (when needed) a real item has variance close to its mean square.
    constant = np.nonzero(variance <= 1e-10 * mean_square)[0]
    if constant.size:
        where = " among the rows that answer every item" if missing == "listwise" else ""
        raise ValueError(f"item {names[constant[0]]!r} is constant{where} (no variance); drop it from the scale")


# --------------------------------------------------------------------------- statistics of C and R

def _cov2cor(c: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diag(c))
    r = c / np.outer(sd, sd)
    np.fill_diagonal(r, 1.0)
    return r


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
    r = _cov2cor(c)
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


def _item_table(m: _Moments, names: Sequence[str], reversed_items: Sequence[str]) -> pd.DataFrame:
    c = m.cov
    k = c.shape[0]
    r = _cov2cor(c)
    smc = factor.smc(r)
    r_smc = r.copy()
    np.fill_diagonal(r_smc, smc)
    col_c = c.sum(axis=0)
    rest_var = c.sum() - 2 * col_c + np.diag(c)
    with np.errstate(divide="ignore", invalid="ignore"):
        # A dropped set whose items cancel out has no alpha: NaN, documented as undefined.
        drops = [_alpha_stats(_drop_one(c, i)) for i in range(k)] if k > 2 else []
    undefined = np.full(k, np.nan)
    return pd.DataFrame({
        "n": np.diagonal(m.pair_n).astype(np.int64),
        "raw_r": m.raw_r,
        "std_r": r.sum(axis=0) / math.sqrt(r.sum()),
        "r_cor": r_smc.sum(axis=0) / math.sqrt(r_smc.sum()),
        "r_drop": (col_c - np.diag(c)) / np.sqrt(np.diag(c) * rest_var),
        "mean": m.means,
        "sd": np.sqrt(np.diag(c)),
        "alpha_if_deleted": [d.raw for d in drops] if drops else undefined,
        "std_alpha_if_deleted": [d.std for d in drops] if drops else undefined,
        "g6_smc_if_deleted": [d.g6 for d in drops] if drops else undefined,
        "average_r_if_deleted": [d.average_r for d in drops] if drops else undefined,
        "ase_if_deleted": [math.sqrt(d.q / m.n_rows) for d in drops] if drops else undefined,
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


def _check_missing(missing: str) -> None:
    if missing not in ("pairwise", "listwise"):
        raise ValueError(f"missing must be 'pairwise' or 'listwise', got {missing!r}")


# --------------------------------------------------------------------------- bootstrap

def _bootstrap_alphas(data: _Items, missing: Missing, n_boot: int, seed: int | np.random.Generator | None) -> np.ndarray:
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
        the whole item block, as psych does (this changes means and scores, never alpha).
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
    statistics above without item i (undefined, NaN, for two items). Bad input (non-numeric,
    constant, empty or unknown items, fewer than 3 rows) raises ValueError naming the column.

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
    0.97
    """
    _check_missing(missing)
    _check_level(ci)
    if n_boot < 0:
        raise ValueError(f"n_boot must be 0 or a positive number of resamples, got {n_boot!r}")
    data = _prepare(items, reverse, scale)
    m = _moments(data, missing)
    _check_total_variance(m.cov, data.names)
    s = _alpha_stats(m.cov)
    ase = math.sqrt(s.q / m.n_rows)
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
