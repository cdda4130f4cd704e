"""Unit-level links between two surveys of the same dealers: correlation with a CI, and its caution.

Process compliance against the customers' rating of the step (:mod:`analysis.audit`), employee
satisfaction against customer satisfaction (:mod:`analysis.employee`): both are measured on
different people, so they meet only at the unit (dealer, department). :func:`unit_correlation`
correlates the unit means; :data:`CAUTION` is the warning every report of such a link carries,
because a correlation across units says nothing certain about individuals (Robinson 1950) and
nothing about which way causation runs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["CAUTION", "MIN_UNITS", "unit_correlation", "unit_means"]

MIN_UNITS = 4  # Fisher's z interval needs n - 3 > 0

CAUTION = {
    "zh": "注意：这是单位（经销商/部门）层面的相关，不是个人层面的因果。单位均值之间的相关可能远强于或弱于"
    "个人之间的关系（生态谬误，Robinson 1950），也可能来自两者共同的原因（如门店规模、客户结构）；"
    "它提示值得关注的方向，不证明改进一方就会带动另一方。",
    "en": "Caution: this is a correlation across units (dealers, departments), not individual causation. "
    "A correlation of unit means can be much stronger or weaker than the relation between individuals "
    "(the ecological fallacy, Robinson 1950), and both may follow a common cause (size, customer mix); "
    "it points where to look, it does not show that improving one will move the other.",
}


def unit_means(values: pd.Series, units: pd.Series, *, min_n: int = 1) -> pd.DataFrame:
    """Per unit: ``n`` (non-missing values) and ``mean``; units with fewer than ``min_n`` values left out."""
    frame = pd.DataFrame({"unit": units.astype("string"), "value": pd.to_numeric(values, errors="coerce")})
    frame = frame.dropna()
    grouped = frame.groupby("unit", sort=True)["value"].agg(["count", "mean"]).rename(columns={"count": "n"})
    return grouped[grouped["n"] >= min_n]


def unit_correlation(x: pd.Series, y: pd.Series, *, conf_level: float = 0.95) -> dict[str, float]:
    r"""Pearson's r between two unit-level series (aligned on their index), with Fisher's z interval.

    Parameters
    ----------
    x, y : Series
        One value per unit (e.g. mean compliance and mean CSI rating per dealer), indexed by unit;
        only units present and non-missing in both count.
    conf_level : float
        Level of the interval.

    Returns
    -------
    dict
        ``n_units, r, ci_low, ci_high, p`` (NaN r and CI when either series is constant; the
        interval needs at least :data:`MIN_UNITS` units).

    Notes
    -----
    .. math::
        r = \frac{\sum (x_i - \bar x)(y_i - \bar y)}{\sqrt{\sum (x_i - \bar x)^2 \sum (y_i - \bar y)^2}},
        \quad z = \operatorname{artanh} r,\quad CI = \tanh\bigl(z \pm z_{1-\alpha/2}/\sqrt{n - 3}\bigr),

    p two-sided from :math:`t = r\sqrt{(n-2)/(1-r^2)}` on n − 2 df. n is the number of units, not
    of respondents: with 10 dealers the interval is wide, whatever the number of customers.

    References
    ----------
    .. [1] Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation deduced
           from a small sample. Metron, 1, 3-32.
    .. [2] Robinson, W. S. (1950). Ecological correlations and the behavior of individuals.
           American Sociological Review, 15(3), 351-357. https://doi.org/10.2307/2087176

    Examples
    --------
    >>> x = pd.Series([60.0, 70, 80, 90, 95], index=list("abcde"))
    >>> y = pd.Series([3.1, 3.4, 3.9, 4.0, 4.4], index=list("abcde"))
    >>> round(unit_correlation(x, y)["r"], 3)
    0.981
    """
    both = pd.concat([pd.to_numeric(x, errors="coerce"), pd.to_numeric(y, errors="coerce")], axis=1, join="inner")
    both = both.dropna()
    n = len(both)
    out = {"n_units": n, "r": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p": np.nan}
    if n < 3:
        return out
    a, b = both.iloc[:, 0].to_numpy(float), both.iloc[:, 1].to_numpy(float)
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return out
    r = float(np.corrcoef(a, b)[0, 1])
    r = max(-1.0, min(1.0, r))
    out["r"] = r
    if abs(r) < 1:
        t = r * np.sqrt((n - 2) / (1 - r * r))
        out["p"] = float(2 * stats.t.sf(abs(t), n - 2))
    else:
        out["p"] = 0.0
    if n >= MIN_UNITS and abs(r) < 1:
        half = float(stats.norm.ppf(1 - (1 - conf_level) / 2)) / np.sqrt(n - 3)
        z = np.arctanh(r)
        out["ci_low"], out["ci_high"] = float(np.tanh(z - half)), float(np.tanh(z + half))
    return out
