r"""Measurement quality of a fitted PLS path model: AVE, rho_c, rho_A, alpha, DG rho, HTMT, GoF.

Each function takes the item correlation matrix of a block (or of the model) and the PLS
loadings or weights, so that the definitions stay side by side with their sources. They
are reported for reflective (Mode A) blocks only, as R plspm does (it prints 0 or NA for
Mode B); a single-item block has every reliability equal to 1 (plspm's and seminr's
convention).
"""

from __future__ import annotations

import numpy as np


def ave(loadings: np.ndarray) -> float:
    r"""Average variance extracted, AVE = \sum_i \lambda_i^2 / p (Fornell & Larcker 1981).

    With standardized items this equals plspm's \sum\lambda^2 / (\sum\lambda^2 + \sum(1 - \lambda^2)).
    """
    return float(np.mean(loadings**2))


def rho_c(loadings: np.ndarray) -> float:
    r"""Composite reliability from the PLS loadings (Werts, Linn & Jöreskog 1974; as SmartPLS, seminr).

    .. math:: \rho_c = (\sum\lambda)^2 / ((\sum\lambda)^2 + \sum(1 - \lambda^2))
    """
    top = loadings.sum() ** 2
    return float(top / (top + (1.0 - loadings**2).sum()))


def dg_rho(r: np.ndarray) -> float:
    r"""Dillon-Goldstein's rho as R plspm's ``unidim`` computes it: rho_c with the loadings
    replaced by the items' correlations with the first principal component of R,
    \lambda = \sqrt{ev_1} v_1 (sign chosen so that \sum\lambda > 0) (Sanchez 2013, sec. 4.3).
    """
    if r.shape[0] == 1:
        return 1.0
    values, vectors = np.linalg.eigh(r)
    lam = np.sqrt(values[-1]) * vectors[:, -1]
    if lam.sum() < 0:
        lam = -lam
    return rho_c(lam)


def alpha_std(r: np.ndarray) -> float:
    r"""Standardized Cronbach's alpha, \alpha = p/(p-1) (1 - p / \sum_{ij} R_ij), truncated at 0.

    This is plspm's ``unidim`` alpha (psych's ``std.alpha``), not the covariance alpha
    (Cronbach 1951; Sanchez 2013, sec. 4.3).
    """
    p = r.shape[0]
    if p == 1:
        return 1.0
    return float(max(0.0, p / (p - 1) * (1.0 - p / r.sum())))


def rho_a(r: np.ndarray, weights: np.ndarray) -> float:
    r"""Dijkstra-Henseler's consistent reliability rho_A (Dijkstra & Henseler 2015, eq. 22).

    .. math:: \rho_A = (\hat w'\hat w)^2 \, \frac{\hat w'(S - \mathrm{diag}\, S)\hat w}
              {\hat w'(\hat w\hat w' - \mathrm{diag}(\hat w\hat w'))\hat w}

    with S the block's item correlation matrix and \hat w its outer weights for standardized
    items, scaled so that the composite has variance 1 (\hat w' S \hat w = 1), as seminr
    computes it.
    """
    if r.shape[0] == 1:
        return 1.0
    w = weights / np.sqrt(weights @ r @ weights)
    outer = np.outer(w, w)
    num = w @ (r - np.diag(np.diag(r))) @ w
    den = w @ (outer - np.diag(np.diag(outer))) @ w
    return float((w @ w) ** 2 * num / den)


def htmt(r: np.ndarray, blocks: list[np.ndarray]) -> np.ndarray:
    r"""Heterotrait-monotrait ratio for every pair of blocks (Henseler, Ringle & Sarstedt 2015, eq. 6).

    .. math:: HTMT_{ij} = \frac{\overline{r}_{ij}}{\sqrt{\overline{r}_{ii}\,\overline{r}_{jj}}}

    \overline{r}_{ij} is the mean absolute correlation between the items of block i and those
    of block j (heterotrait-heteromethod), \overline{r}_{ii} the mean absolute correlation
    among the items of block i off the diagonal (monotrait-heteromethod). The original
    definition assumes items keyed in one direction; absolute values (as semTools' ``htmt``
    and cSEM do by default) give the same number then and keep a reverse-keyed item from
    cancelling its block's correlations otherwise. NaN on the diagonal and for a block of one
    item (no monotrait correlation).
    """
    r = np.abs(r)
    j = len(blocks)
    mono = np.full(j, np.nan)
    for k, idx in enumerate(blocks):
        if idx.size > 1:
            sub = r[np.ix_(idx, idx)]
            mono[k] = (sub.sum() - np.trace(sub)) / (idx.size * (idx.size - 1))
    out = np.full((j, j), np.nan)
    for a in range(j):
        for b in range(a + 1, j):
            hetero = r[np.ix_(blocks[a], blocks[b])].mean()
            out[a, b] = out[b, a] = hetero / np.sqrt(mono[a] * mono[b])
    return out


def gof(communality: np.ndarray, multi_item: np.ndarray, r2: np.ndarray) -> float:
    r"""Goodness of fit as R plspm defines it (Tenenhaus et al. 2005, sec. 4.1):

    .. math:: GoF = \sqrt{\overline{\lambda^2} \times \overline{R^2}}

    the mean communality over the items of blocks with more than one item (any mode) times
    the mean R^2 over the endogenous constructs.
    """
    return float(np.sqrt(communality[multi_item].mean() * np.nanmean(r2)))
