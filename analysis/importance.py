"""Derived importance: OLS of overall satisfaction on attribute ratings and its R² decompositions.

:func:`regression` regresses overall satisfaction on the attribute ratings and decomposes R²
(standardized betas, Pratt, Johnson's relative weights, exact LMG/Shapley); :func:`derived_importance`
returns one of these measures as an attribute's importance. It is apart from the grid of
:mod:`analysis.ipa` because it changes with the regression and its decompositions, not with how
attributes are placed on the grid; :mod:`analysis.penalty_reward` reuses its complete-case
selection and its OLS. The names are re-exported by :mod:`analysis.ipa`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import combinations
from math import factorial

import numpy as np
import pandas as pd
from scipy import stats

from analysis.quality import numeric_columns, require_variance

__all__ = [
    "IMPORTANCE_METHODS",
    "LMG_MAX_ATTRIBUTES",
    "ImportanceResult",
    "RegressionResult",
    "derived_importance",
    "regression",
]

# Exact LMG evaluates 2^p subset regressions; 2^15 = 32,768 is still well under a second.
LMG_MAX_ATTRIBUTES = 15
# Column order of RegressionResult.attributes.
TABLE_ORDER = (
    "r",
    "b",
    "b_se",
    "b_t",
    "b_p",
    "beta_std",
    "pratt",
    "vif",
    "relative_weight",
    "relative_weight_pct",
    "lmg",
    "lmg_pct",
)


def complete_cases(df: pd.DataFrame, target: str, attributes: Sequence[str], min_extra: int) -> pd.DataFrame:
    """Complete cases of target and attributes, validated for a regression.

    Shared with :mod:`analysis.penalty_reward` (as :func:`ols_fit` is), which regresses on dummies
    of the same complete cases; neither is part of the analysis API, so neither is in ``__all__``.
    """
    if not attributes:
        raise ValueError("attributes is empty: give at least one attribute column")
    if target in attributes:
        raise ValueError(f"column {target!r} is both the target and an attribute")
    if len(set(attributes)) != len(attributes):
        raise ValueError(f"attribute columns are repeated: {list(attributes)!r}")
    data = numeric_columns(df, [target, *attributes]).dropna()
    needed = len(attributes) + 1 + min_extra
    if len(data) < needed:
        raise ValueError(
            f"{len(data)} complete rows of {target!r} and the attributes; at least {needed} are needed "
            f"for {len(attributes)} attributes"
        )
    return data


@dataclass(frozen=True, slots=True)
class OLSFit:
    coef: np.ndarray  # intercept first
    se: np.ndarray
    t: np.ndarray
    p: np.ndarray
    r_squared: float
    df_resid: int


def ols_fit(x: np.ndarray, y: np.ndarray, names: Sequence[str], weights: np.ndarray | None = None) -> OLSFit:
    """OLS with intercept via QR: coefficients, standard errors, t, p, R², residual df.

    With ``weights`` it is weighted least squares, OLS of √w·y on √w·[1, x], minimising
    Σ w (y − ŷ)²; R² = 1 − Σ w e² / Σ w (y − ȳ_w)² (R ``lm(..., weights = w)``). Its SEs are the
    model-based ones of ``lm``, not design-based ones (R survey's ``svyglm`` gives those).
    """
    root = np.ones(len(y)) if weights is None else np.sqrt(weights)
    design = np.column_stack([np.ones(len(y)), x]) * root[:, None]
    y = y * root
    q, r = np.linalg.qr(design)
    rank = np.linalg.matrix_rank(design)
    if rank < design.shape[1]:
        for j in range(1, design.shape[1]):
            if np.linalg.matrix_rank(design[:, : j + 1]) <= j:
                raise ValueError(
                    f"column {names[j - 1]!r} is a linear combination of the columns before it "
                    "(perfect collinearity); drop it or combine the attributes"
                )
    coef = np.linalg.solve(r, q.T @ y)
    resid = y - design @ coef
    df_resid = len(y) - design.shape[1]
    sigma2 = float(resid @ resid) / df_resid
    r_inv = np.linalg.inv(r)
    se = np.sqrt(sigma2 * (r_inv**2).sum(axis=1))
    t = coef / se
    y_mean = float(root @ y / (root @ root))  # the weighted mean of the unscaled y
    tss = float(((y - y_mean * root) ** 2).sum())
    return OLSFit(
        coef=coef,
        se=se,
        t=t,
        p=2 * stats.t.sf(np.abs(t), df_resid),
        r_squared=1 - float(resid @ resid) / tss,
        df_resid=df_resid,
    )


def _relative_weights(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    # Johnson (2000): L = V Λ^½ Vᵀ is the correlation of X with its closest orthonormal Z.
    eigval, eigvec = np.linalg.eigh(rxx)
    lam = eigvec @ np.diag(np.sqrt(np.clip(eigval, 0, None))) @ eigvec.T
    beta_z = np.linalg.solve(lam, rxy)
    return (lam**2) @ (beta_z**2)


def _subset_r2(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """R² of every subset of predictors, indexed by bitmask (bit j = predictor j)."""
    p = len(rxy)
    r2 = np.zeros(2**p)
    for size in range(1, p + 1):
        subsets = np.array(list(combinations(range(p), size)))
        blocks = rxx[subsets[:, :, None], subsets[:, None, :]]
        rhs = rxy[subsets]
        solved = np.linalg.solve(blocks, rhs[..., None])[..., 0]
        masks = (1 << subsets).sum(axis=1)
        r2[masks] = (rhs * solved).sum(axis=1)
    return r2


def _lmg(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    p = len(rxy)
    if p > LMG_MAX_ATTRIBUTES:
        raise ValueError(
            f"exact LMG enumerates 2^p subsets and is limited to {LMG_MAX_ATTRIBUTES} attributes, "
            f"got {p}; use method='relative_weights' (Johnson 2000), which approximates it closely"
        )
    r2 = _subset_r2(rxx, rxy)
    masks = np.arange(2**p)
    sizes = np.bitwise_count(masks)
    weight = np.array([factorial(m) * factorial(p - m - 1) / factorial(p) if m < p else 0.0 for m in range(p + 1)])
    out = np.empty(p)
    for j in range(p):
        without = masks[(masks >> j) & 1 == 0]
        out[j] = (weight[sizes[without]] * (r2[without | (1 << j)] - r2[without])).sum()
    return out


@dataclass(frozen=True, slots=True)
class RegressionResult:
    """OLS of overall satisfaction on attribute ratings with importance decompositions (see :func:`regression`)."""

    target: str
    n: int
    r_squared: float
    adj_r_squared: float
    F: float
    df1: int
    df2: int
    F_p: float
    intercept: float
    intercept_se: float
    attributes: pd.DataFrame = field(compare=False)  # r, b, b_se, b_t, b_p, beta_std, pratt, vif, rw, lmg ...

    def to_frame(self) -> pd.DataFrame:
        return self.attributes.reset_index()

    def summary(self) -> str:
        lines = [
            f"OLS of {self.target} on {len(self.attributes)} attributes, n = {self.n}: R² = {self.r_squared:.3f} "
            f"(adj. {self.adj_r_squared:.3f}), F({self.df1}, {self.df2}) = {self.F:.2f}, p = {self.F_p:.4g}",
            "  attribute             b      p   beta      r   RW %  LMG %   VIF",
        ]
        for attr, r in self.attributes.iterrows():
            lines.append(
                f"  {attr!s:<14} {r['b']:+7.3f} {r['b_p']:6.4f} {r['beta_std']:+6.3f} {r['r']:+6.3f} "
                f"{r['relative_weight_pct']:6.1f} {r['lmg_pct']:6.1f} {r['vif']:5.2f}"
            )
        return "\n".join(lines)


def regression(
    df: pd.DataFrame,
    target: str,
    attributes: Sequence[str],
    *,
    lmg: bool = True,
    weights: pd.Series | None = None,
) -> RegressionResult:
    r"""Regress overall satisfaction on attribute performance and decompose R².

    Parameters
    ----------
    df : DataFrame
    target : str
        Overall satisfaction column.
    attributes : sequence of str
        Attribute performance columns.
    lmg : bool
        Compute exact LMG shares (at most :data:`LMG_MAX_ATTRIBUTES` attributes); with ``False``
        the ``lmg`` columns are left out.
    weights : Series, optional
        Survey weights on ``df``'s index (``analyze()``'s ``weight``): see Notes.

    Returns
    -------
    RegressionResult
        Per attribute: ``r`` (Pearson with the target), ``b``, ``b_se``, ``b_t``, ``b_p``,
        ``beta_std``, ``pratt``, ``vif``, ``relative_weight``, ``relative_weight_pct``, ``lmg``,
        ``lmg_pct``.

    Notes
    -----
    Complete cases of the target and all attributes (``n``). OLS by QR as R ``lm``;
    :math:`\beta_j = b_j s_{x_j}/s_y`; Pratt :math:`\beta_j r_j` (sums to R²);
    VIF = :math:`\mathrm{diag}(R_{xx}^{-1})`.

    Johnson's relative weights: :math:`R_{xx} = V\Lambda V^T`, :math:`L = V\Lambda^{1/2}V^T`,
    :math:`\beta^* = L^{-1}r_{xy}`, :math:`\varepsilon = (L\circ L)(\beta^*\circ\beta^*)`; the weights
    sum to R² and ``relative_weight_pct`` = :math:`100\varepsilon_j/\sum\varepsilon`.

    LMG (Shapley value of R²): :math:`\mathrm{LMG}_j = \sum_{S \not\ni j} \frac{|S|!\,(p-|S|-1)!}{p!}
    [R^2(S\cup j) - R^2(S)]` over all subsets, :math:`R^2(S) = r_S^T R_{SS}^{-1} r_S`; this is
    relaimpo's ``lmg`` (``lmg_pct`` as ``rela = TRUE``).

    Raises a ValueError for a constant column, perfectly collinear attributes, or fewer complete
    rows than attributes + 2.

    With survey weights the correlations are weighted (R_w = cov2cor of the weighted covariance
    matrix, numpy's ``cov(aweights=w)``), the fit is weighted least squares (the point estimate
    of R survey's ``svyglm``; Lumley 2010, chapter on regression), β, Pratt, VIF, relative
    weights and LMG are computed from R_w exactly as above, and the SDs in β are weighted: each
    is the population figure the weighted sample estimates. Equal weights give the unweighted
    result, integer weights that of the respondents repeated that many times. ``n`` stays the
    number of complete rows; the SEs, t and p are ``lm``'s model-based ones (no design-based SE).

    References
    ----------
    .. [1] Johnson, J. W. (2000). A heuristic method for estimating the relative weight of predictor
           variables in multiple regression. Multivariate Behavioral Research, 35(1), 1-19.
           https://doi.org/10.1207/S15327906MBR3501_1
    .. [2] Lindeman, R. H., Merenda, P. F., & Gold, R. Z. (1980). Introduction to Bivariate and
           Multivariate Analysis. Scott, Foresman.
    .. [3] Grömping, U. (2006). Relative importance for linear regression in R: the package relaimpo.
           Journal of Statistical Software, 17(1), 1-27. https://doi.org/10.18637/jss.v017.i01
    .. [4] Matzler, K., Bailom, F., Hinterhuber, H. H., Renzl, B., & Pichler, J. (2004). The
           asymmetric relationship between attribute-level performance and overall customer
           satisfaction: a reconsideration of the importance-performance analysis. Industrial
           Marketing Management, 33(4), 271-277. https://doi.org/10.1016/S0019-8501(03)00055-5
    .. [5] Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley.
    """
    attributes = list(attributes)
    data = complete_cases(df, target, attributes, min_extra=1)
    require_variance(data, "a regression")
    x, y = data[attributes].to_numpy(), data[target].to_numpy()
    w = None if weights is None else weights.reindex(data.index).to_numpy(dtype=np.float64)
    if w is not None and (not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0):
        raise ValueError(f"the weights of the complete rows of {target!r} must be finite, non-negative, not all 0")
    fit = ols_fit(x, y, attributes, w)
    cov = np.cov(np.column_stack([x, y]), rowvar=False, aweights=w)
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    rxx, rxy = corr[:-1, :-1], corr[:-1, -1]
    k, n = len(attributes), len(y)
    r2 = float(fit.r_squared)
    b = fit.coef[1:]
    beta = b * sd[:-1] / sd[-1]
    rw = _relative_weights(rxx, rxy)
    table = pd.DataFrame(
        {
            "r": rxy,
            "b": b,
            "b_se": fit.se[1:],
            "b_t": fit.t[1:],
            "b_p": fit.p[1:],
            "beta_std": beta,
            "pratt": beta * rxy,
            "vif": np.diag(np.linalg.inv(rxx)),
            "relative_weight": rw,
        },
        index=pd.Index(attributes, name="attribute"),
    )
    if lmg:
        table["lmg"] = _lmg(rxx, rxy)
    with np.errstate(divide="ignore", invalid="ignore"):
        # With R² = 0 there is nothing to share out: the percentages are NaN, not a warning.
        for raw in ["relative_weight"] + (["lmg"] if lmg else []):
            table[f"{raw}_pct"] = 100 * table[raw] / table[raw].sum()
    table = table[[c for c in TABLE_ORDER if c in table.columns]]
    f = (r2 / k) / ((1 - r2) / (n - k - 1)) if r2 < 1 else np.inf
    return RegressionResult(
        target=target,
        n=n,
        r_squared=r2,
        adj_r_squared=1 - (1 - r2) * (n - 1) / (n - k - 1),
        F=float(f),
        df1=k,
        df2=n - k - 1,
        F_p=float(stats.f.sf(f, k, n - k - 1)),
        intercept=float(fit.coef[0]),
        intercept_se=float(fit.se[0]),
        attributes=table,
    )


@dataclass(frozen=True, slots=True)
class ImportanceResult:
    """One derived-importance measure per attribute (see :func:`derived_importance`)."""

    method: str
    target: str
    n: int
    r_squared: float
    importance: pd.Series = field(compare=False)  # raw measure
    pct: pd.Series = field(compare=False)  # share in percent

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "attribute": self.importance.index,
                "importance": self.importance.to_numpy(),
                "pct": self.pct.to_numpy(),
                "rank": self.importance.rank(ascending=False).to_numpy(),
            }
        )

    def summary(self) -> str:
        lines = [f"Derived importance ({self.method}) for {self.target}, n = {self.n}, R² = {self.r_squared:.3f}"]
        for attr in self.importance.sort_values(ascending=False).index:
            lines.append(f"  {attr!s:<16} {self.importance[attr]:+.4f}  {self.pct[attr]:5.1f} %")
        return "\n".join(lines)


IMPORTANCE_METHODS = {
    "correlation": "r",
    "beta": "beta_std",
    "pratt": "pratt",
    "relative_weights": "relative_weight",
    "lmg": "lmg",
}


def derived_importance(
    df: pd.DataFrame,
    *,
    target: str,
    attributes: Sequence[str],
    method: str = "lmg",
    weights: pd.Series | None = None,
) -> ImportanceResult:
    r"""Derived (implicit) importance of attributes for overall satisfaction.

    Parameters
    ----------
    df : DataFrame
    target : str
        Overall satisfaction column.
    attributes : sequence of str
        Attribute performance columns.
    method : {"lmg", "relative_weights", "pratt", "beta", "correlation"}
        LMG/Shapley (default, exact up to 15 attributes), Johnson's relative weights, Pratt's
        :math:`\beta_j r_j`, standardized betas, or Pearson r with the target.

    Returns
    -------
    ImportanceResult
        ``importance`` is the raw measure; ``pct`` its share in percent: of R² for LMG, relative
        weights and Pratt (which sum to R²), and of :math:`\sum|x|` for betas and correlations, which
        do not decompose R² (their shares are for display only).

    Notes
    -----
    All methods use the complete cases of :func:`regression`, whose notes give the formulas
    (and, with survey ``weights``, the weighted correlations they are computed from).

    References
    ----------
    .. [1] Johnson, J. W. (2000). A heuristic method for estimating the relative weight of predictor
           variables in multiple regression. Multivariate Behavioral Research, 35(1), 1-19.
           https://doi.org/10.1207/S15327906MBR3501_1
    .. [2] Grömping, U. (2007). Estimators of relative importance in linear regression based on
           variance decomposition. The American Statistician, 61(2), 139-147.
           https://doi.org/10.1198/000313007X188252
    .. [3] Matzler, K., Bailom, F., Hinterhuber, H. H., Renzl, B., & Pichler, J. (2004). The
           asymmetric relationship between attribute-level performance and overall customer
           satisfaction: a reconsideration of the importance-performance analysis. Industrial
           Marketing Management, 33(4), 271-277. https://doi.org/10.1016/S0019-8501(03)00055-5

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame(rng.normal(size=(50, 2)), columns=["a", "b"])
    >>> d["os"] = d["a"] + 0.5 * d["b"] + rng.normal(size=50)
    >>> r = derived_importance(d, target="os", attributes=["a", "b"], method="lmg")
    >>> bool(abs(r.importance.sum() - r.r_squared) < 1e-12)
    True
    """
    if method not in IMPORTANCE_METHODS:
        raise ValueError(f"method must be one of {', '.join(IMPORTANCE_METHODS)}, got {method!r}")
    fit = regression(df, target, attributes, lmg=method == "lmg", weights=weights)
    raw = fit.attributes[IMPORTANCE_METHODS[method]].rename("importance")
    total = raw.sum() if method in ("lmg", "relative_weights", "pratt") else raw.abs().sum()
    return ImportanceResult(
        method=method,
        target=target,
        n=fit.n,
        r_squared=fit.r_squared,
        importance=raw,
        pct=(100 * (raw if method in ("lmg", "relative_weights", "pratt") else raw.abs()) / total).rename("pct"),
    )
