"""Exploratory factor analysis as psych::omega needs it: minres, varimax, oblimin, Schmid-Leiman.

Each function works on a correlation matrix and follows the psych 2.2.9 / GPArotation
2022.10-2 algorithms step by step (start values, convergence rules, sign and order
conventions), so that omega computed from them matches psych::omega.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

__all__ = ["MinresFit", "ObliqueRotation", "SchmidLeiman", "minres", "oblimin", "schmid_leiman", "smc", "varimax"]

# psych bounds every uniqueness to [0.005, 1] while fitting (fa.R, `fit`).
_PSI_BOUNDS = (0.005, 1.0)


@dataclass(frozen=True, slots=True)
class MinresFit:
    """Unrotated minres solution: loadings (k x nfactors), uniquenesses 1 - h2, convergence flag."""

    loadings: np.ndarray
    uniquenesses: np.ndarray
    converged: bool


@dataclass(frozen=True, slots=True)
class ObliqueRotation:
    """Oblique pattern matrix and factor correlations."""

    pattern: np.ndarray
    phi: np.ndarray
    converged: bool


@dataclass(frozen=True, slots=True)
class SchmidLeiman:
    """Schmid-Leiman solution: general and group loadings, communalities and uniquenesses."""

    general: np.ndarray
    group: np.ndarray
    h2: np.ndarray
    u2: np.ndarray
    pattern: np.ndarray
    phi: np.ndarray
    gamma: np.ndarray


def smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations 1 - 1/diag(R^-1), as psych::smc.

    A computationally singular R gives 1 for every item and values above 1 are cut to
    1, which is what psych does (``smc`` returns 1s when ``solve`` fails).
    """
    k = r.shape[0]
    try:
        inverse = np.linalg.inv(r)
    except np.linalg.LinAlgError:
        return np.ones(k)
    # R's solve() refuses a reciprocal condition number below machine epsilon.
    if np.linalg.norm(r, 1) * np.linalg.norm(inverse, 1) > 1.0 / np.finfo(float).eps:
        return np.ones(k)
    return np.minimum(1.0 - 1.0 / np.diag(inverse), 1.0)


def _top_eigen(a: np.ndarray, nfactors: int) -> tuple[np.ndarray, np.ndarray]:
    values, vectors = np.linalg.eigh(a)
    order = np.argsort(values)[::-1][:nfactors]
    return values[order], vectors[:, order]


def _uls_objective(psi: np.ndarray, r: np.ndarray, nfactors: int) -> tuple[float, np.ndarray]:
    # min over L of ||R - Psi - LL'||^2 for fixed Psi; by the envelope theorem its gradient is
    # -2 diag(R - Psi - LL'), which is twice the gradient psych uses for minres.
    a = r - np.diag(psi)
    values, vectors = _top_eigen(a, nfactors)
    loadings = vectors * np.sqrt(np.maximum(values, 0.0))
    residual = a - loadings @ loadings.T
    return float(np.sum(residual**2)), -2.0 * np.diag(residual)


def minres(r: np.ndarray, nfactors: int) -> MinresFit:
    r"""Minimum-residual (unweighted least squares) factor analysis of a correlation matrix.

    Parameters
    ----------
    r : ndarray
        k x k correlation matrix.
    nfactors : int
        Number of factors.

    Returns
    -------
    MinresFit
        Unrotated loadings, each column signed so that its sum is positive (psych's rule),
        and uniquenesses :math:`1 - h^2`.

    Notes
    -----
    Minimises the sum of squared off-diagonal residuals :math:`\sum_{i<j}(r_{ij} -
    (\Lambda\Lambda^\top)_{ij})^2` over the uniquenesses :math:`\psi \in [0.005, 1]^k`
    (L-BFGS-B from :math:`\psi = 1 - \mathrm{smc}`), with :math:`\Lambda` the first
    ``nfactors`` eigenvectors of :math:`R - \Psi` scaled by the root eigenvalues. Letting
    :math:`\psi` absorb the diagonal makes this the ULS solution, whose gradient psych uses;
    we minimise the ULS form to full precision instead of psych's default tolerance.

    References
    ----------
    .. [1] Harman, H. H., & Jones, W. H. (1966). Factor analysis by minimizing residuals
           (minres). Psychometrika, 31(3), 351-368. https://doi.org/10.1007/BF02289468
    .. [2] Revelle, W. (2022). psych: Procedures for psychological, psychometric, and
           personality research (R package version 2.2.9), function ``fa``.
    """
    start = 1.0 - smc(r)
    result = optimize.minimize(
        _uls_objective,
        np.clip(start, *_PSI_BOUNDS),
        args=(r, nfactors),
        jac=True,
        method="L-BFGS-B",
        bounds=[_PSI_BOUNDS] * r.shape[0],
        options={"ftol": 1e-15, "gtol": 1e-11, "maxiter": 10_000},
    )
    reduced = r.copy()
    np.fill_diagonal(reduced, 1.0 - result.x)
    values, vectors = _top_eigen(reduced, nfactors)
    loadings = vectors * np.sqrt(np.maximum(values, 0.0))
    signs = np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)
    loadings = loadings * signs
    return MinresFit(loadings, 1.0 - np.sum(loadings**2, axis=1), bool(result.success))


def varimax(loadings: np.ndarray, eps: float = 1e-5) -> np.ndarray:
    """Kaiser-normalised varimax rotation, step for step as R's ``stats::varimax``.

    References
    ----------
    .. [1] Kaiser, H. F. (1958). The varimax criterion for analytic rotation in factor
           analysis. Psychometrika, 23(3), 187-200. https://doi.org/10.1007/BF02289233
    """
    row_norm = np.sqrt(np.sum(loadings**2, axis=1))
    x = loadings / row_norm[:, None]
    p, nf = x.shape
    rotation = np.eye(nf)
    criterion = 0.0
    for _ in range(1000):
        z = x @ rotation
        b = x.T @ (z**3 - z * np.sum(z**2, axis=0) / p)
        u, s, vt = np.linalg.svd(b)
        rotation = u @ vt
        previous, criterion = criterion, float(np.sum(s))
        if criterion < previous * (1 + eps):
            break
    return (x @ rotation) * row_norm[:, None]


def _quartimin(lam: np.ndarray) -> tuple[np.ndarray, float]:
    # GPArotation vgQ.oblimin with gam = 0: f = sum(L^2 * (L^2 N)) / 4, N = 1 - I.
    off = (lam**2) @ (1.0 - np.eye(lam.shape[1]))
    return lam * off, float(np.sum(lam**2 * off)) / 4.0


def oblimin(loadings: np.ndarray, eps: float = 1e-5, maxit: int = 1000) -> ObliqueRotation:
    r"""Direct oblimin rotation with :math:`\gamma = 0` (quartimin) by gradient projection.

    Notes
    -----
    GPArotation's ``GPFoblq`` as ``GPArotation::oblimin(A)`` calls it from psych::schmid:
    start at the identity, no Kaiser normalisation, convergence when the norm of the
    projected gradient is below ``eps`` = 1e-5, step halving up to ten times.
    :math:`\Lambda = A (T^\top)^{-1}`, :math:`\Phi = T^\top T`.

    References
    ----------
    .. [1] Jennrich, R. I. (2002). A simple general method for oblique rotation.
           Psychometrika, 67(1), 7-19. https://doi.org/10.1007/BF02294706
    .. [2] Bernaards, C. A., & Jennrich, R. I. (2005). Gradient projection algorithms and
           software for arbitrary rotation criteria in factor analysis. Educational and
           Psychological Measurement, 65(5), 676-696. https://doi.org/10.1177/0013164404272507
    """
    t = np.eye(loadings.shape[1])
    lam = loadings @ np.linalg.inv(t).T
    gq, f = _quartimin(lam)
    gradient = -(lam.T @ gq @ np.linalg.inv(t)).T
    step = 1.0
    converged = False
    for _ in range(maxit + 1):
        projected = gradient - t * np.sum(t * gradient, axis=0)
        s = float(np.sqrt(np.sum(projected**2)))
        if s < eps:
            converged = True
            break
        step *= 2.0
        for _ in range(11):
            x = t - step * projected
            t_new = x / np.sqrt(np.sum(x**2, axis=0))
            lam = loadings @ np.linalg.inv(t_new).T
            gq_new, f_new = _quartimin(lam)
            if f - f_new > 0.5 * s**2 * step:
                break
            step /= 2.0
        t, f = t_new, f_new
        gradient = -(lam.T @ gq_new @ np.linalg.inv(t)).T
    return ObliqueRotation(lam, t.T @ t, converged)


def _sort_signed(loadings: np.ndarray) -> np.ndarray:
    # psych::fa after rotation: columns with positive sums, ordered by sum of squares.
    signs = np.where(loadings.sum(axis=0) < 0, -1.0, 1.0)
    loadings = loadings * signs
    order = np.argsort(-np.sum(loadings**2, axis=0), kind="stable")
    return loadings[:, order]


def _general_loadings(phi: np.ndarray) -> np.ndarray:
    nf = phi.shape[0]
    if nf == 1:
        return np.ones(1)
    if nf == 2:
        # psych's option = "equal": the two group factors load equally on g.
        root = np.sqrt(abs(phi[0, 1]))
        return np.array([root, np.sign(phi[0, 1]) * root])
    return minres(phi, 1).loadings[:, 0]


def schmid_leiman(r: np.ndarray, nfactors: int) -> SchmidLeiman:
    r"""Schmid-Leiman orthogonalisation of an oblimin solution, as psych::schmid.

    Notes
    -----
    1. minres with ``nfactors`` factors, varimax, columns signed and sorted (psych::fa);
    2. oblimin (:func:`oblimin`) gives the pattern P and factor correlations :math:`\Phi`;
    3. the loadings :math:`\gamma` of the group factors on g: one-factor minres of
       :math:`\Phi` for three or more factors, :math:`\sqrt{|\phi_{12}|}` for two
       (psych's ``option = "equal"``), 1 for one factor;
    4. :math:`g = P\gamma`, group loadings
       :math:`s_{if} = \mathrm{sign}(P_{if})\sqrt{\max(0, P_{if}^2(1 - \gamma_f^2))}`,
       :math:`h^2` from the orthogonal solution, :math:`u^2 = 1 - h^2`.

    References
    ----------
    .. [1] Schmid, J., & Leiman, J. M. (1957). The development of hierarchical factor
           solutions. Psychometrika, 22(1), 53-61. https://doi.org/10.1007/BF02289209
    """
    orthogonal = minres(r, nfactors).loadings
    if nfactors > 1:
        orthogonal = _sort_signed(varimax(orthogonal))
        rotation = oblimin(orthogonal)
        pattern, phi = rotation.pattern, rotation.phi
    else:
        pattern, phi = orthogonal, np.ones((1, 1))
    gamma = _general_loadings(phi)
    general = pattern @ gamma
    h2 = np.sum(orthogonal**2, axis=1)
    group_var = np.maximum(pattern**2 - (pattern * gamma) ** 2, 0.0)
    group = np.sign(pattern) * np.sqrt(group_var)
    return SchmidLeiman(general, group, h2, np.diag(r) - h2, pattern, phi, gamma)
