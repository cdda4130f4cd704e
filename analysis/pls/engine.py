r"""The Wold-Lohmöller iteration on moment matrices, for one sample or thousands at once.

Every step of PLS path modelling with standardized (or centred) indicators depends on the
data only through their covariance matrix S, so the algorithm is written on S: with outer
weights W (items x constructs, zero outside a block) the construct proxies Y = XW have
covariances W'SW, the covariances of items and proxies are SW, and so on. Written this way
a bootstrap is a stack of S matrices, one per resample, run through the same code with
numpy's batched linear algebra: no Python loop over resamples.

With S the correlation matrix (``scaled``) or the divisor-n covariance matrix (centred
only) the raw outer weights of every iteration are exactly R plspm's, which computes them
from data with divisor n throughout (Sanchez 2013, ch. 2; PLS.md of the reference cases).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from analysis.pls.spec import Spec


@dataclass(frozen=True, slots=True)
class Estimates:
    """Estimates for a stack of b samples (leading axis); NaN where a sample failed.

    ``weights`` give proxies of variance 1 in the metric of S; ``loadings`` are the
    correlations of every item with every construct (cross-loadings); ``paths`` and
    ``total`` are indexed [to, from].
    """

    weights: np.ndarray  # (b, p)
    loadings: np.ndarray  # (b, p, J)
    lv_cor: np.ndarray  # (b, J, J)
    paths: np.ndarray  # (b, J, J)
    r2: np.ndarray  # (b, J), NaN for exogenous constructs
    total: np.ndarray  # (b, J, J)
    flipped: np.ndarray  # (b, J) bool
    iterations: np.ndarray  # (b,) int, 0 where the iteration did not converge
    trace: np.ndarray  # (iterations run, b): the stopping criterion per iteration

    @property
    def ok(self) -> np.ndarray:
        """Samples that converged to finite estimates."""
        return (self.iterations > 0) & np.isfinite(self.paths).all(axis=(1, 2)) & np.isfinite(self.weights).all(axis=1)


def solve(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Batched solve of a x = b for vectors b; NaN for the members whose a is singular."""
    try:
        return np.linalg.solve(a, b[..., None])[..., 0]
    except np.linalg.LinAlgError:
        out = np.full(b.shape, np.nan)
        for i in range(a.shape[0]):
            try:
                out[i] = np.linalg.solve(a[i], b[i])
            except np.linalg.LinAlgError:
                continue
        return out


def _normalise(s: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Rescale each construct's weights so that its proxy has variance 1: w / sqrt(diag(W'SW))."""
    var = np.einsum("bpj,bpq,bqj->bj", w, s, w)
    with np.errstate(invalid="ignore", divide="ignore"):
        return w / np.sqrt(var)[:, None, :]


def _inner_weights(c: np.ndarray, adjacency: np.ndarray, scheme: str) -> np.ndarray:
    r"""Inner weights e_jk (weight of Y_j in the inner proxy Z_k) from the proxies' correlations C.

    centroid (Wold 1982): e_jk = sign(c_jk); factorial (Lohmöller 1989): e_jk = c_jk;
    path (Lohmöller 1989): e_jk = the coefficient of Y_j in the regression of Y_k on its
    predecessors for j in P(k), and c_jk for successors j in S(k). Zero for j, k not joined.
    """
    linked = adjacency + adjacency.T
    if scheme == "centroid":
        return np.sign(c) * linked
    if scheme == "factorial":
        return c * linked
    e = c * adjacency  # successors j of k: adjacency[j, k] = 1 (j is affected by k)
    for k in range(adjacency.shape[0]):
        pred = np.flatnonzero(adjacency[k])
        if pred.size:
            e[:, pred, k] = solve(c[:, pred][:, :, pred], c[:, pred, k])
    return e


def _iterate(
    s: np.ndarray, spec: Spec, scheme: str, tol: float, maxiter: int, n_obs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Outer weights at plspm's stopping point for every sample, the iteration reached, the trace.

    Start w(0) = 1 per item, normalised; then for t = 1, 2, ...: Y = XW standardized,
    inner weights E from cor(Y), inner proxies Z = YE (not standardized again), and raw
    weights w~(t) = cov(x_i, Z_k) (Mode A) or the OLS coefficients of Z_k on the block
    (Mode B). Stop at the first t with \sum_i (|w~_i(t-1)| - |w~_i(t)|)^2 < tol, w~(0) = w(0)
    (R plspm's rule, Sanchez 2013). plspm standardizes the outer proxies as
    ``scale(XW) * sqrt((n-1)/n)``, which leaves them with divisor-n variance ((n-1)/n)^2, so
    its raw weights carry a factor (n-1)/n; it is kept here (``n_obs`` = n) because the
    criterion, and so the iteration at which plspm stops, depends on it. The normalised
    weights do not. Samples still moving at ``maxiter`` get NaN weights and
    iteration 0. Converged samples leave the active set, so a stack costs the iterations its
    slowest member needs, on a shrinking set.
    """
    b, p, _ = s.shape
    member = spec.membership.astype(float)
    mode_b = [np.flatnonzero(spec.membership[:, k]) for k in np.flatnonzero(spec.mode_b)]
    mode_b_cols = np.flatnonzero(spec.mode_b)
    plspm_factor = (n_obs - 1) / n_obs
    w = _normalise(s, np.broadcast_to(member, (b, p, member.shape[1])).copy())
    w_old = w.sum(axis=2)
    final = np.full((b, p), np.nan)
    reached = np.zeros(b, dtype=int)
    active = np.arange(b)
    s_act = s
    trace = np.full((maxiter, b), np.nan)
    for t in range(1, maxiter + 1):
        sw = s_act @ w
        v = np.einsum("bpj,bpk->bjk", w, sw)
        with np.errstate(invalid="ignore", divide="ignore"):
            d = np.sqrt(np.einsum("bjj->bj", v))
            c = v / (d[:, :, None] * d[:, None, :])
            cov_xy = sw / d[:, None, :]
        g = cov_xy @ _inner_weights(c, spec.adjacency, scheme)
        w_new = (g * member).sum(axis=2)
        for k, idx in zip(mode_b_cols, mode_b, strict=True):
            w_new[:, idx] = solve(s_act[:, idx][:, :, idx], g[:, idx, k])
        w_new *= plspm_factor
        delta = ((np.abs(w_old) - np.abs(w_new)) ** 2).sum(axis=1)
        trace[t - 1, active] = delta
        done = delta < tol
        final[active[done]] = w_new[done]
        reached[active[done]] = t
        keep = ~done & np.isfinite(delta)
        if not keep.any():
            break
        if not keep.all():
            active, s_act, w_new = active[keep], s_act[keep], w_new[keep]
        w = w_new[:, :, None] * member
        w_old = w_new
    return final, reached, trace[:t]


def estimate(s: np.ndarray, spec: Spec, scheme: str, tol: float, maxiter: int, n_obs: int) -> Estimates:
    r"""Outer and inner model for a stack of moment matrices S (b, p, p) of samples of n_obs rows.

    After the iteration the weights are normalised (Var(Y_k) = 1 in the metric of S) and a
    construct is reflected when its own items' correlations with it are not mostly positive
    (plspm's majority rule, a tie reflects; here the weights are reflected with the scores).
    Loadings are cor(x_i, Y_k) = (SW)_ik / sqrt(S_ii). Paths: for each endogenous k the OLS
    of Y_k on Y_P(k), beta = C_PP^{-1} C_Pk with C = W'SW, R^2 = beta' C_Pk (every Y has
    variance 1, so these are the standardized coefficients). Total effects
    T = B + B^2 + ... = (I - B)^{-1} - I, exact because B is nilpotent in a recursive model.
    """
    b = s.shape[0]
    j = len(spec.constructs)
    member = spec.membership.astype(float)
    raw, reached, trace = _iterate(s, spec, scheme, tol, maxiter, n_obs)
    w = _normalise(s, raw[:, :, None] * member)
    with np.errstate(invalid="ignore", divide="ignore"):
        loadings = (s @ w) / np.sqrt(np.einsum("bpp->bp", s))[:, :, None]
    own = loadings * member
    flipped = ((own < 0).sum(axis=1) >= (own > 0).sum(axis=1)) & np.isfinite(own).all(axis=1)
    sign = np.where(flipped, -1.0, 1.0)
    w = w * sign[:, None, :]
    loadings = loadings * sign[:, None, :]
    c = np.einsum("bpj,bpq,bqk->bjk", w, s, w)
    paths = np.zeros((b, j, j))
    r2 = np.full((b, j), np.nan)
    for k in range(j):
        pred = np.flatnonzero(spec.adjacency[k])
        if pred.size:
            beta = solve(c[:, pred][:, :, pred], c[:, pred, k])
            paths[:, k, pred] = beta
            r2[:, k] = (beta * c[:, pred, k]).sum(axis=1)
    eye = np.eye(j)
    total = solve_matrix(eye - paths) - eye
    return Estimates(w.sum(axis=2), loadings, c, paths, r2, total, flipped, reached, trace)


def solve_matrix(a: np.ndarray) -> np.ndarray:
    """Batched inverse; NaN for singular members (a NaN path matrix stays NaN)."""
    out = np.full(a.shape, np.nan)
    finite = np.isfinite(a).all(axis=(1, 2))
    if finite.any():
        out[finite] = np.linalg.inv(a[finite])
    return out
