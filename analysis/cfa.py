"""Maximum-likelihood confirmatory factor analysis for simple measurement models, as lavaan.

Only what composite reliability needs: factors measured by listed items, factor variances
fixed to 1 (lavaan's ``std.lv = TRUE``), free factor correlations, free residual variances,
no residual covariances and no mean structure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["CfaResult", "fit"]


@dataclass(frozen=True, slots=True)
class CfaResult:
    """ML CFA estimates (std.lv) with the completely standardized solution and fit indices.

    For a saturated model (df = 0) ``pvalue`` is NaN (no test), CFI and TLI are 1 and RMSEA 0,
    as lavaan reports them.
    """

    model: dict[str, tuple[str, ...]]
    n_used: int
    chisq: float
    df: int
    pvalue: float
    cfi: float
    tli: float
    rmsea: float
    srmr: float
    baseline_chisq: float
    baseline_df: int
    converged: bool
    loadings: pd.DataFrame = field(compare=False)  # item x factor, raw metric (factor variance 1)
    std_loadings: pd.DataFrame = field(compare=False)  # item x factor, std.all
    residual_var: pd.Series = field(compare=False)
    std_residual_var: pd.Series = field(compare=False)
    factor_correlations: pd.DataFrame = field(compare=False)
    sample_cov: pd.DataFrame = field(compare=False)  # ML covariance (divisor n) of the items used

    def to_frame(self) -> pd.DataFrame:
        """One row per (factor, item) loading: raw and standardized loading, residual variances."""
        rows = []
        for factor, indicators in self.model.items():
            for item in indicators:
                rows.append(
                    {
                        "factor": factor,
                        "item": item,
                        "loading": self.loadings.at[item, factor],
                        "std_loading": self.std_loadings.at[item, factor],
                        "residual_var": self.residual_var[item],
                        "std_residual_var": self.std_residual_var[item],
                    }
                )
        return pd.DataFrame(rows)

    def summary(self) -> str:
        """Fit indices and standardized loadings as plain text."""
        head = (
            f"ML CFA (std.lv), n = {self.n_used}: chi2({self.df}) = {self.chisq:.3f}, "
            f"p = {self.pvalue:.4f}, CFI = {self.cfi:.3f}, TLI = {self.tli:.3f}, "
            f"RMSEA = {self.rmsea:.3f}, SRMR = {self.srmr:.3f}"
        )
        body = self.to_frame().round(3).to_string(index=False)
        return f"{head}\n{body}"


def _pattern(model: Mapping[str, Sequence[str]], items: list[str]) -> np.ndarray:
    pattern = np.zeros((len(items), len(model)), dtype=bool)
    for f, indicators in enumerate(model.values()):
        for item in indicators:
            pattern[items.index(item), f] = True
    return pattern


class _Model:
    """Sigma(theta) = Lambda Phi Lambda' + Theta with its derivatives."""

    def __init__(self, pattern: np.ndarray) -> None:
        self.pattern = pattern
        self.p, self.m = pattern.shape
        self.n_load = int(pattern.sum())
        self.tri = np.tril_indices(self.m, -1)
        self.n_par = self.n_load + len(self.tri[0]) + self.p

    def unpack(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lam = np.zeros((self.p, self.m))
        lam[self.pattern] = theta[: self.n_load]
        phi = np.eye(self.m)
        phi[self.tri] = theta[self.n_load : self.n_load + len(self.tri[0])]
        phi = np.tril(phi) + np.tril(phi, -1).T
        return lam, phi, theta[self.n_load + len(self.tri[0]) :]

    def sigma(self, theta: np.ndarray) -> np.ndarray:
        lam, phi, psi = self.unpack(theta)
        return lam @ phi @ lam.T + np.diag(psi)

    def jacobian(self, theta: np.ndarray) -> np.ndarray:
        """d Sigma / d theta as a (q, p, p) stack."""
        lam, phi, _ = self.unpack(theta)
        lam_phi = lam @ phi
        out = np.zeros((self.n_par, self.p, self.p))
        for a, (i, f) in enumerate(zip(*np.nonzero(self.pattern), strict=True)):
            out[a, i, :] += lam_phi[:, f]
            out[a, :, i] += lam_phi[:, f]
        for b, (f, g) in enumerate(zip(*self.tri, strict=True)):
            outer = np.outer(lam[:, f], lam[:, g])
            out[self.n_load + b] = outer + outer.T
        start = self.n_load + len(self.tri[0])
        out[start + np.arange(self.p), np.arange(self.p), np.arange(self.p)] = 1.0
        return out


def _discrepancy(sigma: np.ndarray, s: np.ndarray, logdet_s: float) -> float:
    sign, logdet = np.linalg.slogdet(sigma)
    if sign <= 0:
        return np.inf
    return float(logdet + np.trace(np.linalg.solve(sigma, s)) - logdet_s - s.shape[0])


def _fisher_scoring(model: _Model, s: np.ndarray, theta: np.ndarray) -> tuple[np.ndarray, float, bool]:
    logdet_s = np.linalg.slogdet(s)[1]
    f = _discrepancy(model.sigma(theta), s, logdet_s)
    for _ in range(200):
        sigma = model.sigma(theta)
        inv = np.linalg.inv(sigma)
        w = inv - inv @ s @ inv
        jac = model.jacobian(theta)
        grad = np.einsum("ij,aji->a", w, jac)
        left = np.einsum("ij,ajk->aik", inv, jac)
        info = np.einsum("aij,bji->ab", left, left)
        try:
            direction = -np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:  # singular information: the model is not identified here
            return theta, f, False
        # The Newton decrement predicts the remaining fall of F whatever the units of the items.
        decrement = float(-grad @ direction)
        if decrement < 1e-16:
            return theta, f, True
        step = 1.0
        while step > 1e-10:
            candidate = theta + step * direction
            f_new = _discrepancy(model.sigma(candidate), s, logdet_s)
            if f_new <= f:
                break
            step /= 2.0
        else:
            return theta, f, decrement < 1e-12  # no fall left within rounding
        theta, f = candidate, f_new
    return theta, f, False


def _start(model: _Model, s: np.ndarray) -> np.ndarray:
    # Half of each variance to the factor, half to the residual; factors uncorrelated.
    variances = np.diag(s)
    rows = np.nonzero(model.pattern)[0]
    return np.concatenate([np.sqrt(variances[rows] / 2.0), np.zeros(len(model.tri[0])), variances / 2.0])


def _srmr(s: np.ndarray, sigma: np.ndarray) -> float:
    # Bentler's SRMR (lavaan "srmr"): residuals scaled by the observed standard deviations.
    sd = np.sqrt(np.diag(s))
    scaled = (s - sigma) / np.outer(sd, sd)
    lower = np.tril_indices(s.shape[0])
    return float(np.sqrt(np.mean(scaled[lower] ** 2)))


def fit(data: pd.DataFrame, model: Mapping[str, Sequence[str]]) -> CfaResult:
    r"""Fit a CFA by maximum likelihood with factor variances fixed to 1 (lavaan ``std.lv = TRUE``).

    Parameters
    ----------
    data : DataFrame
        Numeric item columns; rows with any missing item of the model are dropped (listwise,
        lavaan's default).
    model : mapping
        Factor name -> item names, e.g. ``{"visual": ["x1", "x2", "x3"]}``.

    Returns
    -------
    CfaResult

    Notes
    -----
    Minimises :math:`F = \log|\Sigma| + \mathrm{tr}(S\Sigma^{-1}) - \log|S| - p` with
    :math:`\Sigma = \Lambda\Phi\Lambda^\top + \Theta` and :math:`S` the ML covariance (divisor
    n) by Fisher scoring (step halving; converged when the Newton decrement is below 1e-16).
    :math:`\chi^2 = nF_{min}` (lavaan's N), baseline = independence model,
    CFI and TLI (Bentler 1990), RMSEA :math:`\sqrt{\max(0, \chi^2 - df)/(df\,n)}`, SRMR over
    the lower triangle with the observed standard deviations. Completely standardized
    loadings :math:`\lambda_{if}\sqrt{\phi_{ff}}/\sqrt{\sigma_{ii}}`. Each factor is signed so
    that its first item loads positively. The caller validates the input.

    References
    ----------
    .. [1] Joreskog, K. G. (1969). A general approach to confirmatory maximum likelihood factor
           analysis. Psychometrika, 34(2), 183-202. https://doi.org/10.1007/BF02289343
    .. [2] Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal
           of Statistical Software, 48(2), 1-36. https://doi.org/10.18637/jss.v048.i02
    .. [3] Bentler, P. M. (1990). Comparative fit indexes in structural models. Psychological
           Bulletin, 107(2), 238-246. https://doi.org/10.1037/0033-2909.107.2.238
    """
    items = list(dict.fromkeys(item for indicators in model.values() for item in indicators))
    x = data[items].dropna().to_numpy(dtype=np.float64)
    n, p = x.shape
    s = np.cov(x, rowvar=False, bias=True)
    pattern = _pattern(model, items)
    spec = _Model(pattern)
    # F is invariant to rescaling the items: fit the correlation matrix, then scale back, so
    # that items in very different units do not spoil the conditioning.
    scale = np.sqrt(np.diag(s))
    r = s / np.outer(scale, scale)
    theta, f_min, converged = _fisher_scoring(spec, r, _start(spec, r))
    lam, phi, psi = spec.unpack(theta)
    lam, psi = lam * scale[:, None], psi * scale**2
    # std.lv leaves each factor's sign free: orient it by its first item.
    first = np.array([lam[np.nonzero(pattern[:, f])[0][0], f] for f in range(spec.m)])
    flip = np.where(first < 0, -1.0, 1.0)
    lam, phi = lam * flip, phi * np.outer(flip, flip)
    sigma = lam @ phi @ lam.T + np.diag(psi)
    sd = np.sqrt(np.diag(sigma))

    df = p * (p + 1) // 2 - spec.n_par
    chisq = n * f_min
    baseline = n * float(np.sum(np.log(np.diag(s))) - np.linalg.slogdet(s)[1])
    baseline_df = p * (p - 1) // 2
    excess, baseline_excess = max(chisq - df, 0.0), max(baseline - baseline_df, 0.0)
    denominator = max(excess, baseline_excess)
    cfi = 1.0 - excess / denominator if denominator > 0 else 1.0
    tli = ((baseline / baseline_df) - (chisq / df)) / ((baseline / baseline_df) - 1.0) if df > 0 else 1.0
    rmsea = float(np.sqrt(excess / (df * n))) if df > 0 else 0.0

    factors = list(model)
    return CfaResult(
        model={name: tuple(indicators) for name, indicators in model.items()},
        n_used=n,
        chisq=chisq,
        df=df,
        pvalue=float(stats.chi2.sf(chisq, df)) if df > 0 else float("nan"),
        cfi=cfi,
        tli=tli,
        rmsea=rmsea,
        srmr=_srmr(s, sigma),
        baseline_chisq=baseline,
        baseline_df=baseline_df,
        converged=converged,
        loadings=pd.DataFrame(lam, index=items, columns=factors),
        std_loadings=pd.DataFrame(lam * np.sqrt(np.diag(phi)) / sd[:, None], index=items, columns=factors),
        residual_var=pd.Series(psi, index=items),
        std_residual_var=pd.Series(psi / sd**2, index=items),
        factor_correlations=pd.DataFrame(phi, index=factors, columns=factors),
        sample_cov=pd.DataFrame(s, index=items, columns=items),
    )
