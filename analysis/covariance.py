"""Validated item blocks and their covariance matrices, pairwise or listwise, in one pass.

The reliability functions take a DataFrame of items (one row per respondent, NaN for a
missing answer), check it once (:func:`prepare`) and reduce it to the moments every
statistic needs (:func:`moments`): pairwise-complete covariances as R's
``cov(x, use = "pairwise")``, item means, and the correlation of each item with the person
score (the mean of the answered keyed items) as psych::alpha computes them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

__all__ = [
    "ItemBlock",
    "Missing",
    "Moments",
    "check_missing",
    "check_weights",
    "cov2cor",
    "moments",
    "pairwise_pearson",
    "prepare",
    "weighted_moments",
    "weighted_pearson",
]

Missing = Literal["pairwise", "listwise"]

# Rows per block in the single pass over the data: big enough for BLAS to run at full
# speed, small enough that the per-block copies stay in cache and add no real memory
# (a block is at most an eighth of the data, so the copies stay below a third of it).
_BLOCK_ROWS = 16_384
_MIN_BLOCK_ROWS = 1_024
# A column whose mean square exceeds its variance by this factor loses digits in
# sum-of-squares formulas; the pass is then repeated on data shifted by the column means.
_CONDITION_LIMIT = 1e6


@dataclass(frozen=True, slots=True)
class ItemBlock:
    """Validated item block: raw values x (n x k, NaN = missing); keyed value = sign * x + offset."""

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


def _keying(
    x: np.ndarray, names: tuple[str, ...], reverse: tuple[str, ...], scale: tuple[float, float] | None, listwise: bool
) -> tuple[np.ndarray, np.ndarray]:
    sign = np.ones(len(names))
    offset = np.zeros(len(names))
    if not reverse:
        return sign, offset
    if scale is None:
        # psych::alpha reflects with the smallest and largest value of the block it is given:
        # under listwise deletion that is the complete rows.
        block = x[~np.isnan(x).any(axis=1)] if listwise else x
        low, high = float(np.fmin.reduce(block, axis=None)), float(np.fmax.reduce(block, axis=None))
        if math.isnan(low):
            what = "no row answers every item" if listwise else "every value is missing"
            raise ValueError(f"reverse keying needs the range of the answers, but {what}; pass scale=(min, max)")
    else:
        low, high = scale
    for name in reverse:
        j = names.index(name)
        lo, hi = _column_range(x, j)
        if lo < low or hi > high:
            raise ValueError(
                f"reverse-keyed item {name!r} has values outside the scale {low:g}..{high:g} "
                f"(observed {lo:g}..{hi:g}); pass the right scale=(min, max)"
            )
        sign[j], offset[j] = -1.0, low + high
    return sign, offset


def prepare(
    items: pd.DataFrame, reverse: str | Iterable[str], scale: tuple[float, float] | None, missing: Missing = "pairwise"
) -> ItemBlock:
    """Check an item frame and its keying; the values are not copied when they are float64.

    Refuses, with ValueError naming the column: non-numeric or repeated columns, fewer than
    two items or three rows, unknown reverse-keyed items, a bad ``scale`` and reverse-keyed
    values outside it. Without ``scale``, reverse keying uses the minimum and maximum of the
    rows analysed (every row, or the complete rows for ``missing="listwise"``), as psych::alpha
    does with the data it is given.
    """
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
    sign, offset = _keying(x, names, tuple(dict.fromkeys(reverse)), scale, missing == "listwise")
    return ItemBlock(names, x, sign, offset, tuple(n for n in names if n in reverse))


@dataclass(frozen=True, slots=True)
class Moments:
    """Keyed item moments, pairwise or listwise."""

    n_rows: int  # N of psych: every row (pairwise) or the complete rows (listwise)
    pair_n: np.ndarray  # rows answering both items
    cov: np.ndarray  # keyed covariance matrix C
    means: np.ndarray
    raw_r: np.ndarray  # r of each item with the person score (row mean of keyed items)
    score_mean: float
    score_sd: float


@dataclass(frozen=True, slots=True)
class _Sums:
    """Raw sums of one pass, on the shifted data: all k x k or k vectors unless stated."""

    gram: np.ndarray  # sum of x_i x_j over the rows answering both
    sums: np.ndarray  # [i, j]: sum of x_i over the rows answering both
    counts: np.ndarray  # rows answering both
    xt: np.ndarray  # sum of x_i t over the rows answering i (t = centred person score)
    t: np.ndarray  # sum of t over the rows answering i
    tt: np.ndarray  # sum of t^2 over the rows answering i
    score: np.ndarray  # rows with a score, sum of t, sum of t^2


class _Accumulator:
    """Sums over row blocks for pairwise covariances and item-score correlations.

    Blocks without missing values only add to one Gram matrix and the column sums. A block
    with missing values is laid out as Z = [X0 | M] (X0 = data with 0 for NaN, M = answered
    indicator), so that one product Z'Z yields X0'X0, X0'M and M'M, one product Z'[t, t^2]
    the sums involving the person scores t, and one mat-vec the scores themselves.
    """

    def __init__(self, k: int, sign: np.ndarray, keyed_shift: np.ndarray) -> None:
        self.k, self.sign = k, sign
        self.weights = np.concatenate([sign, keyed_shift])  # Z @ weights = keyed row sums
        self.score_shift = float(keyed_shift.sum()) / k  # centres the person score
        self.gram_full, self.sum_full, self.n_full = np.zeros((k, k)), np.zeros(k), 0
        self.zz = np.zeros((2 * k, 2 * k))
        self.zt = np.zeros((2 * k, 2))
        self.score = np.zeros(3)  # n, sum, sum of squares of the centred person score
        self.buffer = np.empty((0, 2 * k), order="F")

    def add_complete(self, block: np.ndarray, gram: np.ndarray) -> None:
        self.gram_full += gram
        self.sum_full += block.sum(axis=0)
        self.n_full += block.shape[0]

    def add_incomplete(self, block: np.ndarray) -> None:
        rows, k = block.shape
        if self.buffer.shape[0] < rows:
            self.buffer = np.empty((rows, 2 * k), order="F")
        z = self.buffer[:rows]
        answered = ~np.isnan(block)
        z[:, :k] = 0.0
        np.copyto(z[:, :k], block, where=answered)
        np.copyto(z[:, k:], answered)
        self.zz += z.T @ z
        count = np.count_nonzero(answered, axis=1)
        valid = count > 0
        t = np.where(valid, (z @ self.weights) / np.maximum(count, 1) - self.score_shift, 0.0)
        self.zt += z.T @ np.column_stack([t, t * t])
        self.score += (np.count_nonzero(valid), t.sum(), t @ t)

    def finish(self) -> _Sums:
        # Complete rows: person score t = x.sign / k (centred), so its sums follow from the Gram matrix.
        g, s, a, k = self.gram_full, self.sum_full, self.sign, self.k
        zz, zt = self.zz, self.zt
        return _Sums(
            gram=zz[:k, :k] + g,
            sums=zz[:k, k:] + s[:, None],
            counts=zz[k:, k:] + self.n_full,
            xt=zt[:k, 0] + g @ a / k,
            t=zt[k:, 0] + s @ a / k,
            tt=zt[k:, 1] + a @ g @ a / k**2,
            score=self.score + np.array([self.n_full, s @ a / k, a @ g @ a / k**2]),
        )


def _accumulate(x: np.ndarray, sign: np.ndarray, offset: np.ndarray, shift: np.ndarray, listwise: bool) -> _Accumulator:
    # Infinite or huge values make the products overflow; they are reported by column name
    # once the sums are in (_checked_sums), so the floating-point warnings add nothing.
    with np.errstate(invalid="ignore", over="ignore"):
        return _blocks(x, sign, offset, shift, listwise)


def _blocks(x: np.ndarray, sign: np.ndarray, offset: np.ndarray, shift: np.ndarray, listwise: bool) -> _Accumulator:
    k = x.shape[1]
    acc = _Accumulator(k, sign, sign * shift + offset)
    shifted = bool(np.any(shift))
    seen_missing = False
    rows = min(_BLOCK_ROWS, max(_MIN_BLOCK_ROWS, -(-x.shape[0] // 8)))
    for start in range(0, x.shape[0], rows):
        block = x[start : start + rows]
        if shifted:
            block = block - shift
        if not seen_missing:
            gram = block.T @ block
            if np.isfinite(np.diagonal(gram)).all():  # a NaN or inf in a column shows on its diagonal
                acc.add_complete(block, gram)
                continue
            # Missing values are rarely confined to one block: skip the trial product from now on.
            seen_missing = True
        if listwise:
            block = block[~np.isnan(block).any(axis=1)]
            acc.add_complete(block, block.T @ block)
        else:
            acc.add_incomplete(block)
    return acc


def _check_finite(x: np.ndarray, gram: np.ndarray, names: Sequence[str]) -> None:
    for j, name in enumerate(names):
        lo, hi = _column_range(x, j)
        if math.isinf(lo) or math.isinf(hi):
            raise ValueError(f"item {name!r} contains an infinite value")
    worst = int(np.argmin(np.isfinite(np.diagonal(gram))))
    raise ValueError(f"item {names[worst]!r} has values too large to square in floating point; rescale it")


def _check_empty(x: np.ndarray, names: Sequence[str]) -> None:
    for j, name in enumerate(names):
        if math.isnan(_column_range(x, j)[0]):
            raise ValueError(f"item {name!r} has no answers (every value is missing)")


def moments(data: ItemBlock, missing: Missing) -> Moments:
    """Keyed covariances, means and item-score correlations in one pass over the rows.

    ``"pairwise"``: each covariance on the rows answering both items, each variance and mean on
    every answer of the item (R's ``cov(x, use = "pairwise")``), N = every row.
    ``"listwise"``: only the rows answering every item. Empty, constant or infinite items and
    pairs answered together by fewer than 2 rows raise ValueError naming them.
    """
    shift = np.zeros(len(data.names))
    acc = _accumulate(data.x, data.sign, data.offset, shift, missing == "listwise")
    sums = _checked_sums(acc, data, missing)
    n_item = np.diagonal(sums.counts)
    mean_square = np.diagonal(sums.gram) / n_item
    variance = np.diagonal((sums.gram - sums.sums * sums.sums.T / sums.counts) / (sums.counts - 1))
    if np.any(variance * _CONDITION_LIMIT < mean_square):
        # Means far from zero relative to the spread cost digits in the sums of squares:
        # repeat the pass on data centred at the means of the first one.
        shift = np.diagonal(sums.sums) / n_item
        acc = _accumulate(data.x, data.sign, data.offset, shift, missing == "listwise")
        sums = _checked_sums(acc, data, missing)
    return _finish(acc, sums, data, missing, shift)


def _checked_sums(acc: _Accumulator, data: ItemBlock, missing: Missing) -> _Sums:
    sums = acc.finish()
    if not np.isfinite(sums.gram).all():
        _check_finite(data.x, sums.gram, data.names)
    if missing == "listwise" and acc.n_full < 3:
        _check_empty(data.x, data.names)
        raise ValueError(f"only {acc.n_full} rows answer every item; listwise deletion needs at least 3")
    empty = np.nonzero(np.diagonal(sums.counts) == 0)[0]
    if empty.size:
        raise ValueError(f"item {data.names[empty[0]]!r} has no answers (every value is missing)")
    _check_pairs(sums.counts, data.names)
    return sums


def _finish(acc: _Accumulator, sums: _Sums, data: ItemBlock, missing: Missing, shift: np.ndarray) -> Moments:
    counts = sums.counts
    n_item = np.diagonal(counts)
    cov = (sums.gram - sums.sums * sums.sums.T / counts) / (counts - 1)
    variance = np.diagonal(cov)
    _check_constant(data.names, variance, np.diagonal(sums.gram) / n_item, missing)
    a = data.sign
    item_sum = np.diagonal(sums.sums)
    t = sums.t
    with np.errstate(divide="ignore", invalid="ignore"):
        # Undefined (NaN) where the person score does not vary among an item's respondents,
        # as when the items cancel out; the reliability functions refuse that case by name.
        raw_r = a * (sums.xt - item_sum * t / n_item) / np.sqrt(variance * (n_item - 1) * (sums.tt - t * t / n_item))
    n_score, s1, s2 = sums.score
    return Moments(
        n_rows=data.x.shape[0] if missing == "pairwise" else acc.n_full,
        pair_n=counts,
        cov=cov * np.outer(a, a),
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
        raise ValueError(
            f"items {names[j]!r} and {names[i]!r} are answered together by only "
            f"{int(counts[i, j])} rows; a covariance needs at least 2"
        )


def _check_constant(names: Sequence[str], variance: np.ndarray, mean_square: np.ndarray, missing: Missing) -> None:
    # After centring (when needed) a real item has variance close to its mean square.
    constant = np.nonzero(variance <= 1e-10 * mean_square)[0]
    if constant.size:
        where = " among the rows that answer every item" if missing == "listwise" else ""
        raise ValueError(f"item {names[constant[0]]!r} is constant{where} (no variance); drop it from the scale")


def check_missing(missing: str) -> None:
    """Refuse anything but the two deletion rules."""
    if missing not in ("pairwise", "listwise"):
        raise ValueError(f"missing must be 'pairwise' or 'listwise', got {missing!r}")


def cov2cor(c: np.ndarray) -> np.ndarray:
    """R's cov2cor: scale a covariance matrix to unit diagonal (set exactly to 1)."""
    sd = np.sqrt(np.diag(c))
    r = c / np.outer(sd, sd)
    np.fill_diagonal(r, 1.0)
    return r


def pairwise_pearson(data: ItemBlock) -> np.ndarray:
    """Pearson correlations of the keyed items, each pair on the rows answering both (R ``cor(x, use = "pairwise")``).

    Unlike cov2cor of the pairwise covariances, means and standard deviations are taken over
    each pair's common rows; psych::omega uses this matrix.
    """
    return _pearson(data, np.ones(data.x.shape[0]), "")


def check_weights(weights: pd.Series | np.ndarray, n_rows: int) -> np.ndarray:
    """Survey weights as a float array of ``n_rows`` finite, non-negative values with a positive total."""
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.shape[0] != n_rows:
        raise ValueError(f"weights has {w.shape[0]} values for {n_rows} rows")
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be finite, non-negative and not all zero")
    return w


def weighted_moments(data: ItemBlock, weights: np.ndarray) -> tuple[Moments, float]:
    r"""Weighted pairwise moments of the keyed items, and Kish's effective n of the answering rows.

    Each covariance uses the rows answering both items, with their weighted means:

    .. math::

        C_{ij} = \frac{\sum_{D_{ij}} w (x_i - \bar x_{i,w})(x_j - \bar x_{j,w})}{V_1 - V_2/V_1},
        \quad V_1 = \sum_{D_{ij}} w, \; V_2 = \sum_{D_{ij}} w^2

    the "reliability weights" estimator of a weighted covariance matrix (numpy's
    ``cov(aweights=w)``; the GSL manual's weighted variance), which equals the unweighted
    pairwise covariance of :func:`moments` when the weights are equal and does not change when every weight is
    multiplied by one constant. Means, the person score's mean and SD and each item's
    correlation with the person score (``raw_r``) are weighted the same way. The covariance
    matrix of a weighted sample estimates the population one (Kish 1965, section 11.7), as R
    survey's ``svyfactanal`` fits a factor model to the weighted covariance matrix (Lumley 2010).
    ``n_rows`` and ``pair_n`` stay counts of respondents; the returned n_eff = (Σw)²/Σw² over the
    rows answering any item is the n that the intervals use.

    References
    ----------
    .. [1] Galassi, M., et al. (2009). *GNU Scientific Library Reference Manual* (3rd ed.),
           section 21.7 "Weighted Samples" (``gsl_stats_wvariance``, ``gsl_stats_wcovariance``).
    .. [2] Kish, L. (1965). *Survey Sampling*. Wiley, section 11.7.
    .. [3] Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley.
    """
    names = data.names
    moments(data, "pairwise")  # refuses empty, constant or infinite items and unpaired items, by name
    w = check_weights(weights, data.x.shape[0])
    x = data.x * data.sign + data.offset  # keyed; NaN stays NaN
    answered = ~np.isnan(x)
    m = answered.astype(np.float64)
    mw = m * w[:, None]
    centre = (np.where(answered, x, 0.0) * w[:, None]).sum(axis=0) / mw.sum(axis=0)
    x0 = np.where(answered, x - centre, 0.0)
    v1 = m.T @ mw
    v2 = m.T @ (mw * w[:, None])
    sums = x0.T @ mw  # [i, j]: Σ w x_i over the rows answering both
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = (x0.T @ (x0 * w[:, None]) - sums * sums.T / v1) / (v1 - v2 / v1)
    if not np.isfinite(cov).all() or (np.diagonal(cov) <= 0).any():
        bad = int(np.argmin(np.where(np.isfinite(np.diagonal(cov)), np.diagonal(cov), -1.0)))
        raise ValueError(f"item {names[bad]!r} has no weighted variance (too few weighted answers)")
    count = answered.sum(axis=1)
    scored = count > 0
    t = np.where(scored, np.where(answered, x, 0.0).sum(axis=1) / np.maximum(count, 1), 0.0)  # person score
    ws, ts = w[scored], t[scored]
    t_mean = float(ws @ ts / ws.sum())
    t_var = float(ws @ (ts - t_mean) ** 2 / (ws.sum() - (ws @ ws) / ws.sum()))
    raw_r = np.empty(len(names))
    for i in range(len(names)):
        rows = answered[:, i]
        wi, xi, ti = w[rows], x0[rows, i], t[rows]
        xc, tc = xi - wi @ xi / wi.sum(), ti - wi @ ti / wi.sum()
        raw_r[i] = (wi @ (xc * tc)) / np.sqrt((wi @ (xc * xc)) * (wi @ (tc * tc)))
    moments_w = Moments(
        n_rows=data.x.shape[0],
        pair_n=(m.T @ m).astype(np.int64),
        cov=cov,
        means=centre,
        raw_r=raw_r,
        score_mean=t_mean,
        score_sd=math.sqrt(t_var),
    )
    return moments_w, float(ws.sum() ** 2 / (ws @ ws))


def weighted_pearson(data: ItemBlock, weights: np.ndarray) -> np.ndarray:
    r"""Weighted Pearson correlations of the keyed items, each pair on the rows answering both.

    :func:`pairwise_pearson` with weights: for items i, j on their common rows D_ij,
    r_ij = Σ w (x_i − x̄_i)(x_j − x̄_j) / √(Σ w (x_i − x̄_i)² Σ w (x_j − x̄_j)²) with the
    weighted means of D_ij (the weighted correlation; the covariance's denominator cancels).
    Equal weights give :func:`pairwise_pearson`.
    """
    return _pearson(data, check_weights(weights, data.x.shape[0]), " (weighted)")


def _pearson(data: ItemBlock, w: np.ndarray, label: str) -> np.ndarray:
    """The pairwise (weighted) correlations of :func:`weighted_pearson`; unit weights give :func:`pairwise_pearson`."""
    names = data.names
    moments(data, "pairwise")  # refuses empty, constant or infinite items and unpaired items, by name
    answered = ~np.isnan(data.x)
    m = answered.astype(np.float64)
    mw = m * w[:, None]
    x0 = np.where(answered, data.x - np.nanmean(data.x, axis=0), 0.0)
    v1 = m.T @ mw
    sums = x0.T @ mw  # [i, j]: Σ w x_i over the rows that answer j
    squares = (x0 * x0).T @ mw
    cross = x0.T @ (x0 * w[:, None]) - sums * sums.T / v1
    spread = squares - sums * sums / v1
    flat = np.argwhere(~(spread > 1e-12 * squares))
    if flat.size:
        i, j = flat[0]
        raise ValueError(f"item {names[i]!r} does not vary{label} among the rows that also answer {names[j]!r}")
    r = cross / np.sqrt(spread * spread.T) * np.outer(data.sign, data.sign)
    np.fill_diagonal(r, 1.0)
    return r
