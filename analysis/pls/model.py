r"""PLS path modelling (Wold-Lohmöller), as R plspm computes it: :func:`fit` -> :class:`PlsResult`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.pls import quality
from analysis.pls.engine import Estimates, estimate
from analysis.pls.spec import SCHEMES, Spec, indicators, specify

__all__ = ["PlsResult", "fit"]


@dataclass(frozen=True, slots=True)
class PlsResult:
    """A fitted PLS path model.

    ``constructs`` has one row per construct (mode, items, R², adjusted R², AVE, rho_c,
    rho_A, standardized alpha, DG rho; reliabilities NaN for Mode B); ``outer`` one row per
    item (construct, weight, loading, communality); ``paths`` one row per declared path;
    ``effects`` one row per ordered pair joined by a directed path (direct, indirect,
    total). ``scores`` are the construct scores (mean 0, sd 1 with divisor n - 1) on the
    rows used, with the caller's index; ``data`` keeps those rows of the items, which
    :func:`analysis.pls.bootstrap` and :func:`analysis.pls.ipma` need.
    """

    spec: Spec = field(repr=False, compare=False)
    scheme: str
    scaled: bool
    tol: float
    maxiter: int
    n_rows_raw: int
    n_rows_used: int
    iterations: int
    convergence_trace: tuple[float, ...]
    sign_flipped: tuple[str, ...]
    gof: float
    constructs: pd.DataFrame = field(compare=False)
    outer: pd.DataFrame = field(compare=False)
    cross_loadings: pd.DataFrame = field(compare=False)
    paths: pd.DataFrame = field(compare=False)
    path_matrix: pd.DataFrame = field(compare=False)  # [to, from]
    effects: pd.DataFrame = field(compare=False)
    lv_correlations: pd.DataFrame = field(compare=False)
    htmt: pd.DataFrame = field(compare=False)
    scores: pd.DataFrame = field(compare=False)
    data: pd.DataFrame = field(compare=False)
    weights: np.ndarray | None = field(default=None, compare=False, repr=False)  # survey weights of the rows of data

    def to_frame(self) -> pd.DataFrame:
        """One row per construct: mode, number of items, R², adjusted R² and the reliabilities."""
        return self.constructs.reset_index()

    def summary(self) -> str:
        """Paths, R² and measurement quality as plain text."""
        head = (
            f"PLS path model ({self.scheme} scheme, {'standardized' if self.scaled else 'centred'} "
            f"indicators), n = {self.n_rows_used}, {self.iterations} iterations, GoF = {self.gof:.3f}"
        )
        paths = self.paths.round(3).to_string(index=False)
        table = self.to_frame().drop(columns=["items"]).round(3).to_string(index=False)
        return f"{head}\n\nPaths\n{paths}\n\nConstructs\n{table}"


def _scaled_array(values: np.ndarray, scaled: bool, weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Centred (and, if ``scaled``, standardized with divisor n - 1) indicators and the moment matrix.

    The moment matrix is the correlation matrix when scaled and the divisor-n covariance
    matrix when only centred, the metrics in which plspm's raw weights and stopping rule
    are defined (engine module). With survey ``weights`` the means, SDs and moments are weighted:
    divisor V1 − V2/V1 in place of n − 1 and V1 = Σw in place of n (V2 = Σw²), so that equal
    weights give the unweighted arrays.
    """
    if weights is not None:
        v1, v2 = float(weights.sum()), float(weights @ weights)
        x = values - weights @ values / v1
        if scaled:
            x = x / np.sqrt(weights @ (x * x) / (v1 - v2 / v1))
            return x, (x * weights[:, None]).T @ x / (v1 - v2 / v1)
        return x, (x * weights[:, None]).T @ x / v1
    n = values.shape[0]
    x = values - values.mean(axis=0)
    if scaled:
        x = x / x.std(axis=0, ddof=1)
        return x, x.T @ x / (n - 1)
    return x, x.T @ x / n


def _check_mode_b(spec: Spec, s: np.ndarray) -> None:
    for k in np.flatnonzero(spec.mode_b):
        idx = np.flatnonzero(spec.membership[:, k])
        sub = s[np.ix_(idx, idx)]
        if np.linalg.matrix_rank(sub / np.sqrt(np.outer(np.diag(sub), np.diag(sub)))) < idx.size:
            raise ValueError(
                f"construct {spec.constructs[k]!r} (Mode B): its indicators are linearly dependent, "
                "so the regression weights are not defined"
            )


def fit(
    data: pd.DataFrame,
    blocks: Mapping[str, Sequence[str]],
    paths: Sequence[Sequence[str]],
    *,
    modes: Mapping[str, str] | None = None,
    scheme: str = "centroid",
    scaled: bool = True,
    tol: float = 1e-6,
    maxiter: int = 100,
    weights: pd.Series | None = None,
) -> PlsResult:
    r"""Fit a PLS path model by the Wold-Lohmöller algorithm, matching R plspm.

    Parameters
    ----------
    data : DataFrame
        One row per respondent; the items named in ``blocks`` must be numeric columns.
        Rows with a missing item are dropped (listwise deletion).
    blocks : mapping
        ``{construct: [items]}``, each item in one block.
    paths : sequence of (from, to)
        The structural model; it must be recursive (no cycle) and touch every construct.
    modes : mapping, optional
        ``{construct: "A" | "B"}``; A (reflective, correlation weights) by default.
    scheme : {"centroid", "factorial", "path"}
        Inner weighting scheme.
    scaled : bool
        Standardize the indicators (default) or only centre them.
    tol, maxiter : float, int
        plspm's stopping rule (Notes); not converging in ``maxiter`` iterations is an error.
    weights : Series, optional
        Survey weights on ``data``'s index (``analyze()``'s calibrated ``weight``): see Notes.

    Returns
    -------
    PlsResult

    Notes
    -----
    Outer estimation (Wold 1982; Lohmöller 1989): from unit weights, alternate outer proxies
    Y_k = \sum_{i \in b_k} w_i z_i (standardized) and inner proxies Z_k = \sum_j e_{jk} Y_j with
    the scheme's inner weights (centroid: sign of cor(Y_j, Y_k); factorial: cor(Y_j, Y_k);
    path: regression coefficients for predecessors, correlations for successors), and update
    w_i = cov(z_i, Z_k) for Mode A or the OLS coefficients of Z_k on the block for Mode B.
    Stop at the first iteration t with \sum_i (|w_i(t-1)| - |w_i(t)|)^2 < tol on the raw
    weights, w(0) the normalised start (plspm's rule; Sanchez 2013). Then weights are scaled
    so that sd(Y_k) = 1 (divisor n - 1), and a construct is reflected when its own items'
    loadings are not mostly positive (plspm's rule; a tie reflects).

    Inner model: for each endogenous k the OLS of Y_k on Y_P(k) gives the (standardized) path
    coefficients and R^2; R^2_adj = 1 - (1 - R^2)(n - 1)/(n - |P(k)| - 1). Effects:
    total T = B + B^2 + ..., indirect = T - B. Loadings \lambda_i = cor(x_i, Y_k),
    communality \lambda_i^2; cross-loadings are the correlations with every construct.
    Measurement quality and GoF: :mod:`analysis.pls.quality`.

    With survey weights the indicators are centred and scaled by their weighted means and SDs
    and the algorithm runs on the weighted correlation (or covariance) matrix S_w = Σ w z zᵀ /
    (V1 − V2/V1); paths, R², loadings, effects, HTMT and ρA follow from it, so each estimates
    its population value (the plug-in principle of survey estimation, as R survey's
    ``svyfactanal`` works on the weighted covariance matrix; Lumley 2010). Equal weights give
    the unweighted fit; integer weights the fit of the respondents repeated that many times.
    :func:`analysis.pls.bootstrap` resamples respondents with their weights. ``n_rows_used``
    stays the number of respondents.

    References
    ----------
    .. [1] Wold, H. (1982). Soft modeling: the basic design and some extensions. In K. G.
           Jöreskog & H. Wold (Eds.), Systems under indirect observation, Part II (pp. 1-54).
           North-Holland.
    .. [2] Lohmöller, J.-B. (1989). Latent variable path modeling with partial least squares.
           Physica. https://doi.org/10.1007/978-3-642-52512-4
    .. [3] Tenenhaus, M., Esposito Vinzi, V., Chatelin, Y.-M., & Lauro, C. (2005). PLS path
           modeling. Computational Statistics & Data Analysis, 48(1), 159-205.
           https://doi.org/10.1016/j.csda.2004.03.005
    .. [4] Sanchez, G. (2013). PLS path modeling with R. Trowchez Editions.
           https://www.gastonsanchez.com/PLS_Path_Modeling_with_R.pdf
    .. [5] Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 1))
    >>> g = 0.6 * f + 0.8 * rng.normal(size=(300, 1))
    >>> df = pd.DataFrame(np.hstack([f + rng.normal(size=(300, 3)), g + rng.normal(size=(300, 3))]),
    ...                   columns=["a1", "a2", "a3", "b1", "b2", "b3"])
    >>> res = fit(df, {"A": ["a1", "a2", "a3"], "B": ["b1", "b2", "b3"]}, [("A", "B")])
    >>> bool(0.4 < res.path_matrix.loc["B", "A"] < 0.7)
    True
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme {scheme!r} is not known (allowed: {', '.join(map(repr, SCHEMES))})")
    if not (tol > 0 and int(maxiter) >= 1):
        raise ValueError(f"tol must be positive and maxiter at least 1 (got tol={tol!r}, maxiter={maxiter!r})")
    spec = specify(blocks, paths, modes)
    frame = indicators(data, spec)
    w = None
    if weights is not None:
        w = weights.reindex(frame.index).to_numpy(dtype=np.float64)
        if not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            raise ValueError("weights must be finite, non-negative and not all zero on the rows of the model")
    x, s = _scaled_array(frame.to_numpy(), scaled, w)
    _check_mode_b(spec, s)
    est = estimate(s[None], spec, scheme, tol, int(maxiter), len(frame))
    if est.iterations[0] == 0:
        last = est.trace[-1, 0]
        raise ValueError(
            f"the PLS algorithm did not converge in {maxiter} iterations (last change {last:.3g} "
            f">= tol {tol:g}); raise maxiter or check the model"
        )
    n = len(frame)
    # weights for sd(Y) = 1 with divisor n - 1; the moment matrix of centred data has divisor n
    # (survey weights: V1 - V2/V1 and V1)
    ratio = (n - 1) / n if w is None else 1 - float(w @ w) / float(w.sum()) ** 2
    outer_weights = est.weights[0] * (1.0 if scaled else np.sqrt(ratio))
    w_matrix = outer_weights[:, None] * spec.membership
    return _result(spec, frame, x, w_matrix, est, len(data), scheme, scaled, tol, int(maxiter), w)


def _result(
    spec: Spec,
    frame: pd.DataFrame,
    x: np.ndarray,
    w_matrix: np.ndarray,
    est: Estimates,
    n_raw: int,
    scheme: str,
    scaled: bool,
    tol: float,
    maxiter: int,
    survey_weights: np.ndarray | None = None,
) -> PlsResult:
    names, items = list(spec.constructs), list(spec.items)
    n, j = len(frame), len(names)
    scores = pd.DataFrame(x @ w_matrix, index=frame.index, columns=names)
    values = frame.to_numpy()
    item_cov = np.cov(values, rowvar=False, aweights=survey_weights)
    item_sd = np.sqrt(np.diag(item_cov))
    r_items = item_cov / np.outer(item_sd, item_sd)
    cross = est.loadings[0]
    membership = spec.membership
    block_idx = [np.flatnonzero(membership[:, k]) for k in range(j)]
    loadings = (cross * membership).sum(axis=1)
    weights = w_matrix.sum(axis=1)
    b = est.paths[0]
    r2 = est.r2[0]
    n_pred = spec.adjacency.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r2_adj = 1.0 - (1.0 - r2) * (n - 1) / (n - n_pred - 1)
    rows = []
    for k, name in enumerate(names):
        idx = block_idx[k]
        reflective = not spec.mode_b[k]
        r_block = r_items[np.ix_(idx, idx)]
        # rho_A needs weights of standardized items: w_i sd_i when the items were only centred
        w_std = weights[idx] * (1.0 if scaled else item_sd[idx])
        rows.append(
            {
                "construct": name,
                "mode": spec.modes[name],
                "items": spec.blocks[name],
                "n_items": idx.size,
                "r2": r2[k],
                "r2_adj": r2_adj[k] if n_pred[k] else np.nan,
                "ave": quality.ave(loadings[idx]) if reflective else np.nan,
                "rho_c": quality.rho_c(loadings[idx]) if reflective else np.nan,
                "rho_a": quality.rho_a(r_block, w_std) if reflective else np.nan,
                "alpha": quality.alpha_std(r_block) if reflective else np.nan,
                "dg_rho": quality.dg_rho(r_block) if reflective else np.nan,
            }
        )
    constructs = pd.DataFrame(rows).set_index("construct")
    outer = pd.DataFrame(
        {
            "construct": [names[k] for k in spec.block_of],
            "weight": weights,
            "loading": loadings,
            "communality": loadings**2,
        },
        index=pd.Index(items, name="item"),
    )
    reach = spec.reach()
    total = est.total[0]
    effects = pd.DataFrame(
        [
            {
                "from": names[a],
                "to": names[c],
                "direct": b[c, a],
                "indirect": total[c, a] - b[c, a],
                "total": total[c, a],
            }
            for a in range(j)
            for c in range(j)
            if reach[c, a]
        ],
        columns=["from", "to", "direct", "indirect", "total"],
    )
    index = {name: k for k, name in enumerate(names)}
    path_rows = pd.DataFrame([{"from": f, "to": t, "estimate": b[index[t], index[f]]} for f, t in spec.paths])
    multi = np.array([len(spec.blocks[names[k]]) > 1 for k in spec.block_of])
    return PlsResult(
        spec=spec,
        scheme=scheme,
        scaled=scaled,
        tol=tol,
        maxiter=maxiter,
        n_rows_raw=n_raw,
        n_rows_used=n,
        iterations=int(est.iterations[0]),
        convergence_trace=tuple(float(v) for v in est.trace[:, 0]),
        sign_flipped=tuple(name for k, name in enumerate(names) if est.flipped[0, k]),
        gof=quality.gof(loadings**2, multi, r2[n_pred > 0]),
        constructs=constructs,
        outer=outer,
        cross_loadings=pd.DataFrame(cross, index=pd.Index(items, name="item"), columns=names),
        paths=path_rows,
        path_matrix=pd.DataFrame(b, index=names, columns=names),
        effects=effects,
        lv_correlations=pd.DataFrame(est.lv_cor[0], index=names, columns=names),
        htmt=pd.DataFrame(quality.htmt(r_items, block_idx), index=names, columns=names),
        scores=scores,
        data=frame,
        weights=survey_weights,
    )
