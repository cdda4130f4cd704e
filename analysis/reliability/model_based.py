"""Model-based reliability: coefficients from a fitted factor model.

McDonald's omega from an exploratory solution with a Schmid-Leiman general factor (as
psych 2.2.9 ``omega``), and composite reliability with the average variance extracted from a
confirmatory one (as lavaan 0.6 / semTools 0.5-6).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis import cfa, factor
from analysis.covariance import moments, pairwise_pearson, prepare, weighted_pearson

__all__ = ["CompositeReliabilityResult", "OmegaResult", "composite_reliability", "omega"]


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
        head = (
            f"Omega ({self.nfactors} group factor{'s' * (self.nfactors > 1)}, minres + oblimin + "
            f"Schmid-Leiman, N = {self.n_rows}{flipped})\n"
            f"  omega_h {self.omega_h:.3f}  omega_total {self.omega_total:.3f}  omega_limit "
            f"{self.omega_limit:.3f}  model-based {self.omega_model_based:.3f}  alpha {self.alpha_std:.3f}"
            f"  G6 {self.g6:.3f}  ECV {self.ecv:.3f}"
        )
        return f"{head}\n{self.loadings.round(3).to_string()}\n{self.groups.round(3).to_string()}"


def _check_nfactors(nfactors: int, k: int) -> None:
    # Ledermann bound: the factor model has no degrees of freedom left beyond it.
    if not isinstance(nfactors, (int, np.integer)) or nfactors < 1 or (k - nfactors) ** 2 < k + nfactors:
        raise ValueError(
            f"nfactors={nfactors!r} cannot be identified from {k} items "
            f"(need (k - nfactors)^2 >= k + nfactors, e.g. 3 items per factor)"
        )


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


def omega(
    items: pd.DataFrame,
    *,
    nfactors: int = 1,
    reverse: str | Iterable[str] = (),
    scale: tuple[float, float] | None = None,
    flip: bool = True,
    weights: pd.Series | np.ndarray | None = None,
) -> OmegaResult:
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
    weights : Series or array, optional
        Survey weights, one per row: R becomes the matrix of weighted pairwise Pearson
        correlations (:func:`analysis.covariance.weighted_pearson`), the plug-in estimate of the
        population correlation matrix (as R survey's ``svyfactanal``; Lumley 2010); everything
        after R is unchanged.

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
    .. [5] Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley.

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
    r = pairwise_pearson(data) if weights is None else weighted_pearson(data, np.asarray(weights, dtype=np.float64))
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
    loadings = pd.DataFrame(
        np.column_stack([general, group, sl.h2, sl.u2]),
        index=pd.Index(list(data.names), name="item"),
        columns=["g", *(f"F{f + 1}*" for f in range(nfactors)), "h2", "u2"],
    )
    return OmegaResult(
        omega_h=gsq / total,
        omega_total=omega_total,
        omega_limit=gsq / (total - unique),
        omega_model_based=explained / (explained + unique),
        alpha_std=k / (k - 1) * (1 - k / total),
        g6=(total - k + float(factor.smc(r).sum())) / total,
        ecv=float(np.sum(general**2) / (np.sum(general**2) + np.sum(group**2))),
        nfactors=nfactors,
        n_rows=data.x.shape[0],
        flipped=tuple(n for n, s in zip(data.names, key, strict=True) if s < 0),
        loadings=loadings,
        groups=_omega_groups(r, general, group, omega_total),
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
        head = (
            f"Composite reliability (ML CFA, std.lv, listwise N = {self.n_used}): chi2({self.df}) = "
            f"{self.chisq:.3f}, CFI {self.cfi:.3f}, TLI {self.tli:.3f}, RMSEA {self.rmsea:.3f}, "
            f"SRMR {self.srmr:.3f}"
        )
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
        raise ValueError(
            f"the model has {parameters} free parameters but its {p} items give only "
            f"{p * (p + 1) // 2} variances and covariances; it is not identified (add items)"
        )
    return items


def _check_proper(fit: cfa.CfaResult) -> None:
    negative = fit.std_residual_var[fit.std_residual_var < 0]
    if not negative.empty:
        raise ValueError(
            f"the CFA solution is improper: item {negative.index[0]!r} has a negative residual "
            "variance (a Heywood case); CR and AVE would be meaningless; check the model and the item"
        )
    phi = fit.factor_correlations
    over = np.argwhere(np.triu(np.abs(phi.to_numpy()) >= 1, 1))
    if over.size:
        a, b = phi.index[over[0][0]], phi.index[over[0][1]]
        raise ValueError(
            f"the CFA solution is improper: factors {a!r} and {b!r} correlate at 1 or beyond; "
            "they are not distinct, or the model is not identified by these data"
        )
    if not fit.converged:
        raise ValueError("the ML estimation of the CFA did not converge; the model may not be identified by these data")


def composite_reliability(
    data: pd.DataFrame,
    model: Mapping[str, Sequence[str]],
    *,
    reverse: str | Iterable[str] = (),
    scale: tuple[float, float] | None = None,
) -> CompositeReliabilityResult:
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
        raise ValueError(
            f"only {complete} rows answer every item of the model; a CFA of {len(items)} items "
            f"needs more than {len(items)}"
        )
    moments(block, "listwise")  # refuses items that are constant among the complete rows
    keyed = pd.DataFrame(block.x * block.sign + block.offset, columns=list(block.names))
    model = {
        name: [indicators] if isinstance(indicators, str) else list(indicators) for name, indicators in model.items()
    }
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
        n_used=fit.n_used,
        chisq=fit.chisq,
        df=fit.df,
        pvalue=fit.pvalue,
        cfi=fit.cfi,
        tli=fit.tli,
        rmsea=fit.rmsea,
        srmr=fit.srmr,
        factors=pd.DataFrame.from_dict(factors, orient="index").rename_axis("factor"),
        loadings=fit.to_frame(),
        factor_correlations=fit.factor_correlations,
    )
