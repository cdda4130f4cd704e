"""Penalty-reward contrast analysis (Brandt 1987, 1988) with impact asymmetry and Brandt's labels.

:func:`penalty_reward` regresses overall satisfaction on low and high dummies of every attribute and
:func:`brandt_label` names the factor (basic, performance, excitement) from the penalty and the
reward. It is apart from :mod:`analysis.ipa` and :mod:`analysis.importance` because it changes with
the three-factor theory of satisfaction (cut points, labels, asymmetry), not with the grid or the
R² decompositions; it reuses the complete-case selection and the OLS of :mod:`analysis.importance`.
The names are re-exported by :mod:`analysis.ipa`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.importance import complete_cases, ols_fit
from analysis.quality import require_variance

__all__ = ["PenaltyRewardResult", "brandt_label", "penalty_reward"]


@dataclass(frozen=True, slots=True)
class PenaltyRewardResult:
    """Penalty-reward contrast analysis (see :func:`penalty_reward`)."""

    target: str
    n: int
    low_if_le: float
    high_if_ge: float
    r_squared: float
    intercept: float
    attributes: pd.DataFrame = field(compare=False)  # n_low, n_high, penalty(_p), reward(_p), range, asymmetry, label
    alpha: float = 0.05  # significance level of the labels

    def to_frame(self) -> pd.DataFrame:
        return self.attributes.reset_index()

    def summary(self) -> str:
        lines = [
            f"Penalty-reward contrast analysis of {self.target} (low <= {self.low_if_le:g}, "
            f"high >= {self.high_if_ge:g}), n = {self.n}, R² = {self.r_squared:.3f}; labels at p < {self.alpha:g}"
        ]
        for attr, r in self.attributes.iterrows():
            lines.append(
                f"  {attr!s:<16} penalty {r['penalty']:+.3f} (p {r['penalty_p']:.3f})  reward "
                f"{r['reward']:+.3f} (p {r['reward_p']:.3f})  asymmetry {r['impact_asymmetry']:+.2f}  "
                f"{r['label']}"
            )
        return "\n".join(lines)


def brandt_label(penalty: float, penalty_p: float, reward: float, reward_p: float, *, alpha: float = 0.05) -> str:
    """Brandt's factor label of an attribute from its penalty and reward.

    Parameters
    ----------
    penalty, penalty_p : float
        Coefficient of the low dummy and its p-value (NaN when no respondent rated it low).
    reward, reward_p : float
        Coefficient of the high dummy and its p-value.
    alpha : float
        Significance level; the threshold is p < ``alpha`` (0.05 in Brandt 1987 and Matzler &
        Sauerwein 2002), so p equal to ``alpha`` is not significant.

    Returns
    -------
    str
        ``basic`` (a significant penalty < 0, no significant reward: low performance
        dissatisfies, high performance adds nothing; Brandt's "minimum requirement"),
        ``excitement`` (a significant reward > 0, no significant penalty; Brandt's "value
        enhancing"), ``performance`` (both: Brandt's "hybrid", the linear case) or
        ``unclassified`` (neither: no asymmetric or linear impact was shown at this n).

    Notes
    -----
    A coefficient counts only with its expected sign: a significant positive penalty or negative
    reward is evidence of neither factor. Matzler & Sauerwein (2002) named the three factors so.

    References
    ----------
    .. [1] Brandt, D. R. (1987). A procedure for identifying value-enhancing service components using
           customer satisfaction survey data. In C. Surprenant (Ed.), Add Value to Your Service
           (pp. 61-65). American Marketing Association.
    .. [2] Matzler, K., & Sauerwein, E. (2002). The factor structure of customer satisfaction: an
           empirical test of the importance grid and the penalty-reward-contrast analysis.
           International Journal of Service Industry Management, 13(4), 314-332.
           https://doi.org/10.1108/09564230210445078

    Examples
    --------
    >>> brandt_label(-0.8, 0.001, 0.1, 0.6), brandt_label(-0.1, 0.5, 0.7, 0.01)
    ('basic', 'excitement')
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must lie between 0 and 1, got {alpha!r}")
    penalised = bool(penalty < 0 and penalty_p < alpha)
    rewarded = bool(reward > 0 and reward_p < alpha)
    if penalised and rewarded:
        return "performance"
    if penalised:
        return "basic"
    if rewarded:
        return "excitement"
    return "unclassified"


def penalty_reward(
    df: pd.DataFrame,
    target: str,
    attributes: Sequence[str],
    *,
    low_if_le: float,
    high_if_ge: float,
    alpha: float = 0.05,
    weights: pd.Series | None = None,
) -> PenaltyRewardResult:
    r"""Penalty-reward contrast analysis (Brandt 1987, 1988) with impact asymmetry.

    Parameters
    ----------
    df : DataFrame
    target : str
        Overall satisfaction column.
    attributes : sequence of str
        Attribute performance columns.
    low_if_le, high_if_ge : float
        Cut points: a rating <= ``low_if_le`` sets the low dummy, >= ``high_if_ge`` the high dummy;
        the middle range is the reference. There is no universal convention; results depend on them.
    alpha : float
        Significance level of the labels (p < ``alpha``; 0.05 as Brandt 1987).
    weights : Series, optional
        Survey weights on ``df``'s index: the regression is weighted least squares (the point
        estimate of R survey's ``svyglm``; Lumley 2010) with ``lm``'s model-based p-values, and
        ``n_low``/``n_high`` stay counts of respondents.

    Returns
    -------
    PenaltyRewardResult
        Per attribute ``n_low``, ``n_high``, ``penalty``, ``penalty_p``, ``reward``, ``reward_p``,
        ``range_of_impact``, ``impact_asymmetry`` and ``label``: basic, performance, excitement
        or unclassified by Brandt's rule (:func:`brandt_label`).

    Notes
    -----
    Complete cases; the target is regressed on all 2k dummies in one OLS. Penalty = coefficient of
    the low dummy, reward = that of the high dummy; range of impact = reward - penalty (signed);
    impact asymmetry :math:`IA = SGP - DGP = (reward + penalty)/(reward - penalty)` with
    SGP = reward/(reward + |penalty|), DGP = |penalty|/(reward + |penalty|) (Mikulić & Prebežac
    2008), defined only when reward > 0 and penalty < 0 (NaN otherwise). A dummy that no respondent
    triggers has no coefficient: it is left out of the regression and its penalty or reward is NaN.

    Labels (Brandt 1987, 1988; Matzler & Sauerwein 2002): a significant penalty (< 0, p < alpha)
    alone marks a basic factor, a significant reward (> 0, p < alpha) alone an excitement factor,
    both a performance factor, neither "unclassified" (see :func:`brandt_label`).

    References
    ----------
    .. [1] Brandt, D. R. (1987). A procedure for identifying value-enhancing service components using
           customer satisfaction survey data. In C. Surprenant (Ed.), Add Value to Your Service
           (pp. 61-65). American Marketing Association.
    .. [2] Brandt, D. R. (1988). How service marketers can identify value-enhancing service elements.
           Journal of Services Marketing, 2(3), 35-41.
    .. [3] Mikulić, J., & Prebežac, D. (2008). Prioritizing improvement of service attributes using
           impact range-performance analysis and impact-asymmetry analysis. Managing Service
           Quality, 18(6), 559-576.
    .. [4] Matzler, K., & Sauerwein, E. (2002). The factor structure of customer satisfaction: an
           empirical test of the importance grid and the penalty-reward-contrast analysis.
           International Journal of Service Industry Management, 13(4), 314-332.
           https://doi.org/10.1108/09564230210445078
    .. [5] Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley.
    """
    if not low_if_le < high_if_ge:
        raise ValueError(f"low_if_le ({low_if_le!r}) must be below high_if_ge ({high_if_ge!r})")
    attributes = list(attributes)
    data = complete_cases(df, target, attributes, min_extra=len(attributes) + 1)
    require_variance(data[[target]], "a regression")
    dummies = {}
    for a in attributes:
        dummies[("low", a)] = (data[a] <= low_if_le).astype(float)
        dummies[("high", a)] = (data[a] >= high_if_ge).astype(float)
    used = [key for key, d in dummies.items() if d.sum() > 0]
    w = None if weights is None else weights.reindex(data.index).to_numpy(dtype=np.float64)
    if w is not None and (not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0):
        raise ValueError(f"the weights of the complete rows of {target!r} must be finite, non-negative, not all 0")
    fit = ols_fit(
        np.column_stack([dummies[key] for key in used]),
        data[target].to_numpy(),
        [f"{kind} dummy of {a}" for kind, a in used],
        w,
    )
    coef = {key: (fit.coef[i + 1], fit.p[i + 1]) for i, key in enumerate(used)}
    rows = {}
    for a in attributes:
        pen, pen_p = coef.get(("low", a), (np.nan, np.nan))
        rew, rew_p = coef.get(("high", a), (np.nan, np.nan))
        asym = (rew + pen) / (rew - pen) if rew > 0 and pen < 0 else np.nan
        rows[a] = {
            "n_low": int(dummies[("low", a)].sum()),
            "n_high": int(dummies[("high", a)].sum()),
            "penalty": pen,
            "penalty_p": pen_p,
            "reward": rew,
            "reward_p": rew_p,
            "range_of_impact": rew - pen,
            "impact_asymmetry": asym,
            "label": brandt_label(pen, pen_p, rew, rew_p, alpha=alpha),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "attribute"
    return PenaltyRewardResult(
        target=target,
        n=len(data),
        low_if_le=low_if_le,
        high_if_ge=high_if_ge,
        r_squared=float(fit.r_squared),
        intercept=float(fit.coef[0]),
        attributes=table,
        alpha=alpha,
    )
