r"""The dashboard's figures, computed exactly from additive sums (:mod:`surveykit.aggregates`).

Every estimate here needs only counts, sums and sums of squares, so a region, a quarter or a whole
programme is read from the aggregate table without touching a raw answer.  The tests of a change
against the previous period are the large-sample tests those sums allow:

* satisfaction index (0-100): Welch's t test of two means with the Welch-Satterthwaite degrees of
  freedom (Welch 1947), from :math:`n`, :math:`\sum y` and :math:`\sum y^2`;
* top-2-box and response rate: the pooled two-proportion z test (Agresti 2013, sec. 2.1.3);
* NPS: the Wald z test of the difference of two independent NPS, each with the trinomial variance
  :math:`100^2 (p + d - (p - d)^2)/n` (Rocks 2016), as :func:`analysis.loyalty.nps_difference`.

The p-values of the tiles of one page are Holm-adjusted together (:func:`analysis.segments.holm`,
Holm 1979) before a change is marked.  ``tests/analysis/test_tiles.py`` checks each against its
peer on raw data: :func:`scipy.stats.ttest_ind` (``equal_var=False``),
:func:`statsmodels.stats.proportion.proportions_ztest`, :func:`analysis.loyalty.nps` and
:func:`analysis.loyalty.nps_difference`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special, stats

from analysis.segments import holm

__all__ = [
    "Change",
    "IndexSums",
    "NpsCounts",
    "Proportion",
    "changes_holm",
    "funnel_position",
    "index_sums",
    "nps_change",
    "nps_counts",
    "proportion_change",
    "top2_counts",
    "welch_change",
]

Z95 = float(stats.norm.ppf(0.975))
Z998 = float(stats.norm.ppf(1 - (1 - 0.998) / 2))  # analysis.segments' funnel limit: z of the 99.8 % band

# The p-values below come from scipy.special's ufuncs (stdtr, ndtr), the functions scipy.stats.t.sf and
# scipy.stats.norm.sf evaluate, without the distribution objects' argument checks: a page with a hundred
# units tests a hundred changes, and those checks cost ~0.3 ms each.


@dataclass(frozen=True, slots=True)
class IndexSums:
    r"""The satisfaction index :math:`y = 100 (x - 1)/(k - 1)` of answers x on 1..k, as n, :math:`\sum y`, :math:`\sum y^2`."""

    n: int
    s1: float
    s2: float

    @property
    def mean(self) -> float:
        return self.s1 / self.n if self.n else math.nan

    @property
    def var(self) -> float:
        """Sample variance :math:`(\\sum y^2 - (\\sum y)^2/n)/(n - 1)` (NaN below 2 answers)."""
        if self.n < 2:
            return math.nan
        return max(0.0, (self.s2 - self.s1 * self.s1 / self.n) / (self.n - 1))

    @property
    def se(self) -> float:
        return math.sqrt(self.var / self.n) if self.n >= 2 else math.nan

    @property
    def ci(self) -> tuple[float, float]:
        """Normal 95 % interval :math:`\\bar y \\pm 1.96\\,s/\\sqrt n`."""
        return (self.mean - Z95 * self.se, self.mean + Z95 * self.se)


def index_sums(rows: Iterable[Mapping[str, Any]]) -> IndexSums:
    r"""Aggregate rows of a likert variable (``points``, ``n``, ``total``, ``total_sq``) as index sums.

    With :math:`a = 100/(k - 1)`, :math:`y = a(x - 1)`, so per row
    :math:`\sum y = a(\sum x - n)` and :math:`\sum y^2 = a^2(\sum x^2 - 2\sum x + n)`; rows of
    versions on different scales add exactly.
    """
    n, s1, s2 = 0, 0.0, 0.0
    for r in rows:
        a = 100.0 / (int(r["points"]) - 1)
        rn, total, total_sq = int(r["n"]), int(r["total"]), int(r["total_sq"])  # PostgreSQL's SUM(bigint) is numeric
        n += rn
        s1 += a * (total - rn)
        s2 += a * a * (total_sq - 2 * total + rn)
    return IndexSums(n, s1, s2)


@dataclass(frozen=True, slots=True)
class Proportion:
    """``count`` of ``n`` (top-2-box answers, responses of invitations)."""

    count: int
    n: int

    @property
    def pct(self) -> float:
        return 100 * self.count / self.n if self.n else math.nan


def top2_counts(rows: Iterable[Mapping[str, Any]]) -> Proportion:
    """Top-2-box answers of all answers, summed over aggregate rows."""
    count = n = 0
    for r in rows:
        count += int(r["top2"])
        n += int(r["n"])
    return Proportion(count, n)


@dataclass(frozen=True, slots=True)
class NpsCounts:
    r"""Promoters (9-10), passives and detractors (0-6) of n answers.

    :math:`NPS = 100(p - d)`; ``ci`` is the adjusted Wald interval of Rocks (2016), which
    :func:`analysis.loyalty.nps` recommends for small n: :math:`n' = n + 3`,
    :math:`p' = (n_P + 0.75)/n'`, :math:`d' = (n_D + 0.75)/n'`, centred on :math:`100(p' - d')`
    with :math:`SE' = 100\sqrt{(p' + d' - (p' - d')^2)/n'}`.
    """

    promoters: int
    passives: int
    detractors: int

    @property
    def n(self) -> int:
        return self.promoters + self.passives + self.detractors

    @property
    def nps(self) -> float:
        return 100 * (self.promoters - self.detractors) / self.n if self.n else math.nan

    @property
    def wald_var(self) -> float:
        """:math:`100^2 (p + d - (p - d)^2)/n`, the variance of the NPS (Rocks 2016)."""
        if not self.n:
            return math.nan
        p, d = self.promoters / self.n, self.detractors / self.n
        return 1e4 * max(0.0, p + d - (p - d) ** 2) / self.n

    @property
    def ci(self) -> tuple[float, float]:
        if not self.n:
            return (math.nan, math.nan)
        n2 = self.n + 3
        p2, d2 = (self.promoters + 0.75) / n2, (self.detractors + 0.75) / n2
        centre, se = 100 * (p2 - d2), 100 * math.sqrt(max(0.0, p2 + d2 - (p2 - d2) ** 2) / n2)
        return (centre - Z95 * se, centre + Z95 * se)


def nps_counts(rows: Iterable[Mapping[str, Any]]) -> NpsCounts:
    """NPS counts summed over aggregate rows of an NPS variable."""
    p = pa = d = 0
    for r in rows:
        p += int(r["promoters"])
        pa += int(r["passives"])
        d += int(r["detractors"])
    return NpsCounts(p, pa, d)


@dataclass(frozen=True, slots=True)
class Change:
    """A tile's change against the previous period: ``diff`` now - before, its test's p, Holm's p, the test's name."""

    diff: float
    p: float
    test: str
    p_holm: float = math.nan

    @property
    def significant(self) -> bool:
        return not math.isnan(self.p_holm) and self.p_holm < 0.05


def welch_change(now: IndexSums, before: IndexSums) -> Change:
    r"""Welch's t test of two independent means from their sums (Welch 1947).

    :math:`t = (\bar y_1 - \bar y_2)/\sqrt{s_1^2/n_1 + s_2^2/n_2}`, degrees of freedom
    :math:`(s_1^2/n_1 + s_2^2/n_2)^2 / \sum_i (s_i^2/n_i)^2/(n_i - 1)`, two-sided p.
    NaN p below two answers in either period or with no variance at all.
    """
    diff = now.mean - before.mean
    if now.n < 2 or before.n < 2:
        return Change(diff, math.nan, "welch_t")
    a, b = now.var / now.n, before.var / before.n
    if a + b <= 0:
        return Change(diff, math.nan, "welch_t")
    t = diff / math.sqrt(a + b)
    df = (a + b) ** 2 / (a * a / (now.n - 1) + b * b / (before.n - 1))
    return Change(diff, float(2 * special.stdtr(df, -abs(t))), "welch_t")  # = 2 * stats.t.sf(|t|, df)


def proportion_change(now: Proportion, before: Proportion) -> Change:
    r"""Pooled two-proportion z test (Agresti 2013, *Categorical Data Analysis*, 3rd ed., sec. 2.1.3).

    :math:`\hat p = (x_1 + x_2)/(n_1 + n_2)`, :math:`z = (\hat p_1 - \hat p_2)/
    \sqrt{\hat p(1 - \hat p)(1/n_1 + 1/n_2)}`, two-sided p; ``diff`` in percentage points.
    """
    diff = now.pct - before.pct
    if not now.n or not before.n:
        return Change(diff, math.nan, "two_proportion_z")
    pooled = (now.count + before.count) / (now.n + before.n)
    se = math.sqrt(pooled * (1 - pooled) * (1 / now.n + 1 / before.n))
    if se == 0:
        return Change(diff, math.nan, "two_proportion_z")
    z = (now.count / now.n - before.count / before.n) / se
    return Change(diff, _two_sided_z(z), "two_proportion_z")


def nps_change(now: NpsCounts, before: NpsCounts) -> Change:
    r"""Wald z test of two independent NPS (Rocks 2016; :func:`analysis.loyalty.nps_difference`).

    :math:`z = (NPS_1 - NPS_2)/\sqrt{V_1 + V_2}` with :math:`V_i = 100^2(p_i + d_i - (p_i - d_i)^2)/n_i`.
    """
    diff = now.nps - before.nps
    if not now.n or not before.n:
        return Change(diff, math.nan, "nps_wald_z")
    se = math.sqrt(now.wald_var + before.wald_var)
    if se == 0:
        return Change(diff, math.nan, "nps_wald_z")
    return Change(diff, _two_sided_z(diff / se), "nps_wald_z")


def _two_sided_z(z: float) -> float:
    """:math:`2(1 - \\Phi(|z|))`, as ``2 * stats.norm.sf(abs(z))``."""
    return float(2 * special.ndtr(-abs(z)))


def changes_holm(changes: Sequence[Change | None]) -> list[Change | None]:
    """The same changes with ``p_holm``: Holm's adjustment over the tested tiles of one page (Holm 1979)."""
    tested = [c for c in changes if c is not None]
    adjusted = holm([c.p for c in tested]) if tested else np.array([])
    out: list[Change | None] = []
    i = 0
    for c in changes:
        if c is None:
            out.append(None)
            continue
        out.append(Change(c.diff, c.p, c.test, float(adjusted[i])))
        i += 1
    return out


def funnel_position(unit: IndexSums, overall: IndexSums) -> str:
    r"""Where a unit's mean index lies in the report's funnel plot: ``above``, ``within`` or ``below``.

    The limits are :meth:`analysis.segments.FunnelResult.limits` (Spiegelhalter 2005) around the
    overall mean with the overall SD, :math:`\theta_0 \pm z_{0.998}\,s/\sqrt{n_i}`, the
    99.8 % limit the report's improvement priorities use; ``""`` when undefined.
    """
    if unit.n < 1 or overall.n < 2 or not overall.var > 0:
        return ""
    # FunnelResult.limits' arithmetic for one unit, without building its frame (a page has a hundred)
    half = Z998 * math.sqrt(overall.var) / float(np.sqrt(float(unit.n)))
    if unit.mean > overall.mean + half:
        return "above"
    if unit.mean < overall.mean - half:
        return "below"
    return "within"
