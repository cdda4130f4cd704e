"""Order effects in randomised lists: does an item's mean depend on where it was shown?

A questionnaire that randomises a page, a matrix or a paired block
(``randomize: true``) shows each respondent the items in an order drawn from
the response's ``order_seed`` (:mod:`surveykit.randomize`), so every item was
seen at every position by a random share of the respondents.  An item whose
ratings differ by position shows an order effect (primacy, recency, fatigue or
a context effect of the items before it; Schuman & Presser 1981; Krosnick &
Alwin 1987); with randomisation it averages out of the overall mean, but it
widens the variance and may deserve a look.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from surveykit.model import Questionnaire
from surveykit.randomize import ORDER_SEED, item_positions

__all__ = ["OrderEffectResult", "holm", "order_effects", "positions_frame"]

MIN_PER_POSITION = 5  # fewer answers at a position: the item is not tested


@dataclass(frozen=True, slots=True)
class OrderEffectResult:
    """Per randomised item: n, mean by position, the Kruskal-Wallis test and Holm's adjusted p.

    ``items`` has one row per item: ``list`` (screen or matrix id), ``item``, ``n``,
    ``positions`` (how many positions it was seen at), ``mean_<k>`` for each position k,
    ``spread`` (largest minus smallest position mean), ``h``, ``df``, ``p`` and ``p_holm``.
    """

    items: pd.DataFrame = field(compare=False)
    alpha: float = 0.05

    @property
    def flagged(self) -> list[str]:
        """Items whose Holm-adjusted p is below ``alpha``."""
        return [str(item) for item in self.items.loc[self.items["p_holm"] < self.alpha, "item"]]

    def to_frame(self) -> pd.DataFrame:
        return self.items.copy()

    def summary(self) -> str:
        lines = [f"Order effects (Kruskal-Wallis by position, Holm-adjusted, alpha {self.alpha:g}):"]
        for row in self.items.itertuples():
            mark = " *" if row.p_holm < self.alpha else ""
            lines.append(
                f"  {row.item} ({row.list}): n={row.n}, spread {row.spread:.2f}, "
                f"H={row.h:.2f} df={row.df}, p={row.p:.3g}, p(Holm)={row.p_holm:.3g}{mark}"
            )
        if len(self.items) == 0:
            lines.append("  no randomised item had enough answers at two or more positions")
        return "\n".join(lines)


def positions_frame(q: Questionnaire, seeds: pd.Series) -> pd.DataFrame:
    """The position (1-based) each respondent saw each randomised rating item at.

    One row per response (the index of ``seeds``), one column per item of a randomised
    page, paired block or matrix; recomputed from the ``order_seed`` column exactly as
    the web form drew it.
    """
    rows: list[dict[str, int]] = []
    for seed in seeds:
        if pd.isna(seed):
            rows.append({})
            continue
        rows.append({name: pos for name, (_, pos) in item_positions(q, int(seed)).items()})
    return pd.DataFrame(rows, index=seeds.index)


def order_effects(q: Questionnaire, df: pd.DataFrame, *, alpha: float = 0.05) -> OrderEffectResult:
    r"""Test each randomised rating item for a difference in its answers by the position it was shown at.

    Parameters
    ----------
    q
        A questionnaire with randomised lists (``order_seed`` in its codebook).
    df
        The response table with ``order_seed`` and the item columns.
    alpha
        Level of the Holm-adjusted tests that :attr:`OrderEffectResult.flagged` uses.

    Notes
    -----
    For each item with answers at k >= 2 positions (each with at least
    :data:`MIN_PER_POSITION` answers), the Kruskal-Wallis statistic over the groups
    of answers by position,

    .. math:: H = \frac{\frac{12}{N(N+1)} \sum_{j=1}^{k} \frac{R_j^2}{n_j} - 3(N+1)}
              {1 - \sum_t (t^3 - t) / (N^3 - N)}

    (R_j the rank sum of position j, n_j its answers, N = sum n_j, t the sizes of the
    groups of tied ranks), is referred to chi-square with k - 1 degrees of freedom.
    A rank test, because ratings are ordinal and heavily tied; ``scipy.stats.kruskal``
    computes it, as R's ``kruskal.test``.  The p-values of all items are adjusted by
    Holm's step-down method (:func:`holm`), since a randomised page tests many items
    at once.  Answers missing (skipped or not answered) are left out item by item.

    Only items are tested, not option order (a choice question has no mean).

    References
    ----------
    .. [1] Kruskal, W. H., & Wallis, W. A. (1952). Use of ranks in one-criterion variance
           analysis. Journal of the American Statistical Association, 47(260), 583-621.
           https://doi.org/10.1080/01621459.1952.10483441
    .. [2] Holm, S. (1979). A simple sequentially rejective multiple test procedure.
           Scandinavian Journal of Statistics, 6(2), 65-70.
    .. [3] Krosnick, J. A., & Alwin, D. F. (1987). An evaluation of a cognitive theory of
           response-order effects in survey measurement. Public Opinion Quarterly, 51(2),
           201-219. https://doi.org/10.1086/269029
    """
    if ORDER_SEED not in df.columns:
        raise ValueError(f"the table has no {ORDER_SEED!r} column; is the questionnaire randomised?")
    positions = positions_frame(q, df[ORDER_SEED])
    lists = {name: where for name, (where, _) in item_positions(q, 0).items()}
    records = []
    for item in (v.name for v in q.variables() if v.kind == "numeric" and v.name in positions.columns):
        if item not in df.columns:
            continue
        values = pd.to_numeric(df[item], errors="coerce")
        pos = positions[item]
        ok = values.notna() & pos.notna()
        groups = {int(k): values[ok & (pos == k)].to_numpy(dtype=float) for k in sorted(pos[ok].unique())}
        groups = {k: g for k, g in groups.items() if len(g) >= MIN_PER_POSITION}
        pooled = np.concatenate(list(groups.values())) if groups else np.array([])
        if len(groups) < 2 or np.ptp(pooled) == 0:
            continue
        h, p = stats.kruskal(*groups.values())
        means = {f"mean_{k}": float(g.mean()) for k, g in groups.items()}
        records.append(
            {
                "list": lists[item],
                "item": item,
                "n": int(sum(len(g) for g in groups.values())),
                "positions": len(groups),
                "spread": max(means.values()) - min(means.values()),
                "h": float(h),
                "df": len(groups) - 1,
                "p": float(p),
                **means,
            }
        )
    items = pd.DataFrame(records)
    if len(items):
        items["p_holm"] = holm(items["p"].to_numpy())
        mean_cols = sorted((c for c in items.columns if c.startswith("mean_")), key=lambda c: int(c[5:]))
        items = items[["list", "item", "n", "positions", *mean_cols, "spread", "h", "df", "p", "p_holm"]]
    else:
        items = pd.DataFrame(columns=["list", "item", "n", "positions", "spread", "h", "df", "p", "p_holm"])
    return OrderEffectResult(items, alpha)


def holm(p: np.ndarray) -> np.ndarray:
    r"""Holm's step-down adjusted p-values, in the order given.

    Notes
    -----
    With the m p-values sorted ascending, :math:`p_{(1)} \le \dots \le p_{(m)}`,
    :math:`\tilde p_{(i)} = \min\{1, \max_{j \le i} (m - j + 1)\, p_{(j)}\}`,
    as R's ``p.adjust(p, "holm")``.

    References
    ----------
    .. [1] Holm, S. (1979). A simple sequentially rejective multiple test procedure.
           Scandinavian Journal of Statistics, 6(2), 65-70.
    """
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p)
    scaled = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    out = np.empty(m)
    out[order] = scaled
    return out
