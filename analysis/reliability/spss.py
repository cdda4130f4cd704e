"""SPSS RELIABILITY's tables: item-total statistics (/SUMMARY=TOTAL) and the split-half model.

Complete cases and sum scores, as SPSS computes them; the statistics of C come from
:mod:`analysis.reliability.alpha`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis import factor
from analysis.covariance import cov2cor, moments, prepare
from analysis.reliability.alpha import _alpha_stats, _check_total_variance, _if_deleted, _r_drop, _rest_variance

__all__ = ["ItemTotalResult", "SpssSplitHalfResult", "spss_item_total", "spss_split_half"]


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
        head = (
            f"Item-total statistics (listwise, N = {self.n}, k = {self.k}): alpha {self.alpha:.3f}, "
            f"based on standardized items {self.std_alpha:.3f}, mean inter-item r {self.mean_inter_item_r:.3f}\n"
            f"Scale (sum): mean {self.scale_mean:.3f}, variance {self.scale_variance:.3f}, sd {self.scale_sd:.3f}"
        )
        return f"{head}\n{self.items.round(3).to_string()}"


def spss_item_total(
    items: pd.DataFrame, *, reverse: str | Iterable[str] = (), scale: tuple[float, float] | None = None
) -> ItemTotalResult:
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
    table = pd.DataFrame(
        {
            "scale_mean_if_deleted": m.means.sum() - m.means,
            "scale_variance_if_deleted": _rest_variance(c),
            "corrected_item_total_r": _r_drop(c),
            "squared_multiple_correlation": factor.smc(cov2cor(c)),
            "alpha_if_deleted": _if_deleted(c, m.n_rows)["alpha"],
        },
        index=pd.Index(list(data.names), name="item"),
    )
    s = _alpha_stats(c)
    return ItemTotalResult(
        n=m.n_rows,
        k=c.shape[0],
        scale_mean=float(m.means.sum()),
        scale_variance=float(c.sum()),
        scale_sd=math.sqrt(c.sum()),
        alpha=s.raw,
        std_alpha=s.std,
        mean_inter_item_r=s.average_r,
        reversed=data.reversed,
        items=table,
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
        return pd.DataFrame(
            {
                "part": [1, 2],
                "items": [", ".join(self.part1), ", ".join(self.part2)],
                "k": [len(self.part1), len(self.part2)],
                "alpha": [self.alpha_part1, self.alpha_part2],
            }
        )

    def summary(self) -> str:
        """The SPSS split-half table as plain text."""

        def fmt(a: float | None) -> str:
            return "n/a" if a is None else f"{a:.3f}"

        return (
            f"Split-half (SPSS, listwise, N = {self.n}): part 1 = {', '.join(self.part1)} "
            f"(alpha {fmt(self.alpha_part1)}), part 2 = {', '.join(self.part2)} (alpha {fmt(self.alpha_part2)})\n"
            f"  correlation between forms {self.correlation_between_forms:.3f}; Spearman-Brown equal "
            f"{self.spearman_brown_equal:.3f}, unequal {self.spearman_brown_unequal:.3f}; "
            f"Guttman split-half {self.guttman_split_half:.3f}"
        )


def spss_split_half(
    items: pd.DataFrame,
    *,
    reverse: str | Iterable[str] = (),
    scale: tuple[float, float] | None = None,
    first: int | None = None,
) -> SpssSplitHalfResult:
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
        n=m.n_rows,
        part1=data.names[a],
        part2=data.names[b],
        alpha_part1=_alpha_of(c[a, a]),
        alpha_part2=_alpha_of(c[b, b]),
        correlation_between_forms=r,
        spearman_brown_equal=equal,
        spearman_brown_unequal=(math.sqrt(r**4 + 4 * r**2 * t) - r**2) / (2 * t) if t > 0 else equal,
        guttman_split_half=4 * c12 / (v1 + v2 + 2 * c12),
    )
