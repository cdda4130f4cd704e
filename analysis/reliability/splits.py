"""Split-half reliability over every split of the items, and Guttman's six lower bounds.

Both scan the splits of the items into two halves (:func:`_all_splits`): split-half on R,
Guttman's lambda4 on C. Definitions follow psych 2.2.9 ``splitHalf`` and ``guttman``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import factor
from analysis.covariance import Missing, check_missing, cov2cor, moments, prepare
from analysis.reliability.alpha import _alpha_stats, _check_total_variance

__all__ = ["GuttmanResult", "SplitHalfResult", "guttman", "split_half"]

# psych::splitHalf enumerates splits only up to n.sample = 10,000 of them.
_PSYCH_MAX_SPLITS = 10_000


# --------------------------------------------------------------------------- split halves


@dataclass(frozen=True, slots=True)
class _Splits:
    count: int
    exhaustive: bool
    max: float
    min: float
    mean: float
    best: np.ndarray  # 0/1 membership of half A at the maximum
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
        names = [
            "max_split",
            "min_split",
            "mean_split",
            "psych_lambda4",
            "psych_beta",
            "alpha_std",
            "lambda2_std",
            "lambda6_std",
        ]
        return pd.DataFrame({"statistic": names, "value": [getattr(self, n) for n in names]})

    def summary(self) -> str:
        """Max, min and mean over the splits, with the best and worst halves."""
        how = "all" if self.exhaustive else "a random sample of"
        return (
            f"Split-half reliability ({self.missing}, N = {self.n_rows}; {how} {self.n_splits} splits, "
            f"standardized): max (lambda4) {self.max_split:.3f}, min (beta) {self.min_split:.3f}, "
            f"mean {self.mean_split:.3f}\n  best half: {', '.join(self.best_half)}; worst half: "
            f"{', '.join(self.worst_half)}\n  alpha {self.alpha_std:.3f}, lambda2 {self.lambda2_std:.3f}, "
            f"lambda6 (smc) {self.lambda6_std:.3f}"
        )


def split_half(
    items: pd.DataFrame,
    *,
    reverse: str | Iterable[str] = (),
    scale: tuple[float, float] | None = None,
    missing: Missing = "pairwise",
    max_splits: int = 1_000_000,
    seed: int | np.random.Generator | None = None,
) -> SplitHalfResult:
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
        n_splits=splits.count,
        exhaustive=splits.exhaustive,
        max_split=splits.max,
        min_split=splits.min,
        mean_split=splits.mean,
        best_half=tuple(n for n, inside in zip(data.names, splits.best, strict=True) if inside),
        worst_half=tuple(n for n, inside in zip(data.names, splits.worst, strict=True) if inside),
        psych_lambda4=None if psych is None else psych.max,
        psych_beta=None if psych is None else psych.min,
        psych_n_splits=None if psych is None else psych.count,
        alpha_std=s.std,
        lambda2_std=_lambda2(r),
        lambda6_std=s.g6,
        n_rows=m.n_rows,
        missing=missing,
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


def guttman(
    items: pd.DataFrame,
    *,
    reverse: str | Iterable[str] = (),
    scale: tuple[float, float] | None = None,
    missing: Missing = "pairwise",
    max_splits: int = 1_000_000,
    seed: int | np.random.Generator | None = None,
) -> GuttmanResult:
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
        lambda1=lambda1,
        lambda2=_lambda2(c),
        lambda3=k / (k - 1) * lambda1,
        lambda4=splits.max,
        lambda5=lambda1 + 2 * math.sqrt(float(np.max(np.sum(off**2, axis=0)))) / total,
        lambda6=1 - float(np.sum(np.diag(c) * (1 - smc))) / total,
        lambda6_std=_alpha_stats(c).g6,
        lambda4_exhaustive=splits.exhaustive,
        n_rows=m.n_rows,
        missing=missing,
    )
