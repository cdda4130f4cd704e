r"""Bootstrap of a PLS path model, vectorised over resamples: :func:`bootstrap` -> :class:`PlsBootstrapResult`.

A resample is summarised by its moment matrix (engine module), so B resamples are one
matrix product (resample counts times the rows' cross-products) followed by the batched
PLS iteration: 5,000 resamples of 800 respondents by 17 items take seconds, not minutes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from analysis.pls.engine import Estimates, estimate
from analysis.pls.model import PlsResult, _scaled_array
from analysis.pls.spec import Spec

__all__ = ["PlsBootstrapResult", "bootstrap"]

# Resamples are drawn and summarised in chunks of at most this many respondent draws, which
# bounds the memory of a bootstrap (8 MB of counts per chunk) whatever n and B are.
CHUNK_DRAWS = 1_000_000


@dataclass(frozen=True, slots=True)
class PlsBootstrapResult:
    """Bootstrap distribution of a PLS path model's estimates.

    ``estimates`` has one row per parameter: ``kind`` (path, indirect, total, weight, loading,
    r2), ``name`` ("FROM->TO", an item or a construct), the full-sample ``estimate``, the
    bootstrap mean and standard error, t and two p-values, the percentile and the BCa
    interval. ``draws`` holds the estimates of every resample that converged (one column per
    parameter, ``kind:name``). ``n_failed`` resamples (a constant item in the resample, no
    convergence) are left out.
    """

    n_boot: int
    n_failed: int
    seed: int | None
    conf_level: float
    estimates: pd.DataFrame = field(compare=False)
    draws: pd.DataFrame = field(compare=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per parameter: estimate, SE, t, p-values, percentile and BCa intervals."""
        return self.estimates.copy()

    def summary(self) -> str:
        """Paths and indirect effects with their SE, p-value and percentile interval."""
        level = f"{100 * self.conf_level:g}%"
        head = (
            f"PLS bootstrap: {self.n_boot - self.n_failed} of {self.n_boot} resamples used, "
            f"seed {self.seed}, {level} intervals"
        )
        shown = self.estimates[self.estimates["kind"].isin(["path", "indirect"])]
        cols = ["kind", "name", "estimate", "se", "p_value", "ci_low", "ci_high", "bca_low", "bca_high"]
        return f"{head}\n{shown[cols].round(4).to_string(index=False)}"


def _labels(spec: Spec) -> tuple[list[tuple[str, str]], dict[str, np.ndarray]]:
    """Parameter (kind, name) labels and, per kind, how to pick them out of the estimates."""
    names = spec.constructs
    index = {c: k for k, c in enumerate(names)}
    reach = spec.reach()
    two_step = (spec.adjacency @ spec.adjacency) > 0
    # indirect effects exist where a path of length >= 2 leads from -> to
    longer = (two_step.astype(int) @ (np.eye(len(names)) + reach).astype(int)) > 0
    pairs = [(c, a) for a in range(len(names)) for c in range(len(names)) if reach[c, a]]
    indirect = [(c, a) for c, a in pairs if longer[c, a]]
    endogenous = np.flatnonzero(spec.adjacency.any(axis=1))
    labels = (
        [("path", f"{f}->{t}") for f, t in spec.paths]
        + [("indirect", f"{names[a]}->{names[c]}") for c, a in indirect]
        + [("total", f"{names[a]}->{names[c]}") for c, a in pairs]
        + [("weight", item) for item in spec.items]
        + [("loading", item) for item in spec.items]
        + [("r2", names[k]) for k in endogenous]
    )
    picks = {
        "path": np.array([(index[t], index[f]) for f, t in spec.paths]).reshape(-1, 2),
        "indirect": np.array(indirect, dtype=int).reshape(-1, 2),
        "total": np.array(pairs, dtype=int).reshape(-1, 2),
        "endogenous": endogenous,
    }
    return labels, picks


def _parameters(est: Estimates, spec: Spec, picks: dict[str, np.ndarray], weight_factor: float) -> np.ndarray:
    """The parameter vector of every sample in the stack, in the order of :func:`_labels`."""
    direct = est.paths[:, picks["path"][:, 0], picks["path"][:, 1]]
    ind = est.total - est.paths
    indirect = ind[:, picks["indirect"][:, 0], picks["indirect"][:, 1]]
    total = est.total[:, picks["total"][:, 0], picks["total"][:, 1]]
    loadings = (est.loadings * spec.membership).sum(axis=2)
    return np.hstack([direct, indirect, total, est.weights * weight_factor, loadings, est.r2[:, picks["endogenous"]]])


def _moments(x: np.ndarray, cross: np.ndarray, counts: np.ndarray, scaled: bool) -> tuple[np.ndarray, np.ndarray]:
    """Moment matrices of weighted samples of the rows of x (weights = counts), and which are usable.

    cov = sum_r c_r x_r x_r' / m - mean mean' with m = sum_r c_r (divisor m, plspm's); the
    correlation matrix when ``scaled``. A sample in which an item does not vary is unusable.
    """
    m = counts.sum(axis=1)
    p = x.shape[1]
    upper = np.triu_indices(p)
    mean = counts @ x / m[:, None]
    flat = counts @ cross / m[:, None]
    cov = np.empty((counts.shape[0], p, p))
    cov[:, upper[0], upper[1]] = flat
    cov[:, upper[1], upper[0]] = flat
    cov -= mean[:, :, None] * mean[:, None, :]
    var = np.einsum("bpp->bp", cov)
    usable = (var > 1e-12 * (x**2).mean(axis=0)).all(axis=1)
    if scaled:
        with np.errstate(invalid="ignore", divide="ignore"):
            sd = np.sqrt(var)
            cov = cov / (sd[:, :, None] * sd[:, None, :])
    return cov, usable


def _chunks(total: int, n: int) -> Iterator[int]:
    size = max(1, CHUNK_DRAWS // n)
    done = 0
    while done < total:
        step = min(size, total - done)
        yield step
        done += step


def _fit_stack(
    result: PlsResult, s: np.ndarray, usable: np.ndarray, n_obs: int, picks: dict[str, np.ndarray], n_par: int
) -> np.ndarray:
    out = np.full((s.shape[0], n_par), np.nan)
    if usable.any():
        est = estimate(s[usable], result.spec, result.scheme, result.tol, result.maxiter, n_obs)
        factor = 1.0 if result.scaled else np.sqrt((n_obs - 1) / n_obs)
        values = _parameters(est, result.spec, picks, factor)
        values[~est.ok] = np.nan
        out[usable] = values
    return out


def _jackknife(
    result: PlsResult, x: np.ndarray, cross: np.ndarray, picks: dict[str, np.ndarray], n_par: int
) -> np.ndarray:
    """Leave-one-out estimates, from the full cross-products minus one row at a time."""
    n, p = x.shape
    upper = np.triu_indices(p)
    out = np.empty((n, n_par))
    total_cross = cross.sum(axis=0)
    total_sum = x.sum(axis=0)
    start = 0
    for size in _chunks(n, p * p):
        rows = slice(start, start + size)
        flat = (total_cross - cross[rows]) / (n - 1)
        mean = (total_sum - x[rows]) / (n - 1)
        cov = np.empty((size, p, p))
        cov[:, upper[0], upper[1]] = flat
        cov[:, upper[1], upper[0]] = flat
        cov -= mean[:, :, None] * mean[:, None, :]
        var = np.einsum("bpp->bp", cov)
        usable = (var > 1e-12 * (x**2).mean(axis=0)).all(axis=1)
        if result.scaled:
            with np.errstate(invalid="ignore", divide="ignore"):
                sd = np.sqrt(var)
                cov = cov / (sd[:, :, None] * sd[:, None, :])
        out[rows] = _fit_stack(result, cov, usable, n - 1, picks, n_par)
        start += size
    return out


def _bca(draws: np.ndarray, theta: np.ndarray, jack: np.ndarray, conf_level: float) -> tuple[np.ndarray, np.ndarray]:
    r"""BCa interval ends (Efron 1987; Efron & Tibshirani 1993, ch. 14).

    z_0 = \Phi^{-1}(\#\{\theta^*_b < \hat\theta\}/B); acceleration from the jackknife,
    a = \sum(\bar\theta_{(.)} - \theta_{(i)})^3 / (6 [\sum(\bar\theta_{(.)} - \theta_{(i)})^2]^{3/2});
    ends are the bootstrap quantiles at \Phi(z_0 + (z_0 + z_\alpha)/(1 - a(z_0 + z_\alpha))) for
    z_\alpha = \Phi^{-1}((1 \mp level)/2). NaN where z_0 is infinite (every draw on one side) or
    the jackknife is degenerate.
    """
    share = (draws < theta).mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z0 = stats.norm.ppf(share)
        dev = jack.mean(axis=0) - jack
        accel = (dev**3).sum(axis=0) / (6.0 * ((dev**2).sum(axis=0)) ** 1.5)
        ends = []
        for q in ((1 - conf_level) / 2, (1 + conf_level) / 2):
            z = stats.norm.ppf(q)
            level = stats.norm.cdf(z0 + (z0 + z) / (1 - accel * (z0 + z)))
            ends.append(level)
    low, high = np.full(theta.shape, np.nan), np.full(theta.shape, np.nan)
    for j in np.flatnonzero(np.isfinite(ends[0]) & np.isfinite(ends[1])):
        low[j], high[j] = np.quantile(draws[:, j], [ends[0][j], ends[1][j]])
    return low, high


def bootstrap(
    result: PlsResult, *, n_boot: int = 5000, seed: int | None = None, conf_level: float = 0.95, bca: bool = True
) -> PlsBootstrapResult:
    r"""Nonparametric bootstrap of a fitted PLS path model.

    Parameters
    ----------
    result : PlsResult
        The model fitted by :func:`analysis.pls.fit`; its settings (scheme, scaling, stopping
        rule) are reused for every resample.
    n_boot : int
        Number of resamples (rows drawn with replacement, n of n).
    seed : int, optional
        Seed of ``numpy.random.default_rng``: the same seed gives the same result. The draws
        are ``rng.integers(0, n, size=(chunk, n))`` for successive chunks of resamples, chunk =
        max(1, 1,000,000 // n), so a seed's resamples do not depend on anything else.
    conf_level : float
        Level of the percentile and BCa intervals.
    bca : bool
        Compute the BCa interval; it needs a jackknife (n more fits, vectorised the same way).

    Returns
    -------
    PlsBootstrapResult

    Notes
    -----
    Each resample is estimated like the full sample, including plspm's sign rule, which keeps
    every resample's constructs oriented by their own items (Tenenhaus et al. 2005, sec. 3.5).
    SE = the standard deviation of the B estimates (divisor B - 1); t = \hat\theta / SE and
    ``p_value`` two-sided from Student's t with n - 1 degrees of freedom, the bootstrap t test
    of PLS-SEM practice (Chin 1998); ``p_percentile`` = min(1, 2 min(share of draws <= 0, share
    >= 0)), the p-value dual to the percentile interval, better suited to the skewed
    distribution of an indirect effect. Percentile interval: the (1 -/+ level)/2 quantiles of
    the draws (R's type 7); BCa: Efron (1987). Indirect effects are reported for every pair
    joined by a chain of two or more paths, totals for every pair joined at all.

    A model fitted with survey weights is resampled by respondent, each drawn row carrying
    its weight into the resample's weighted moments (the weighted bootstrap of a calibrated
    sample without re-calibrating each resample, which ignores the margins' own variance:
    Rao & Wu 1988 re-weight as well); the BCa jackknife is then not offered.

    References
    ----------
    .. [1] Efron, B. (1987). Better bootstrap confidence intervals. Journal of the American
           Statistical Association, 82(397), 171-185. https://doi.org/10.1080/01621459.1987.10478410
    .. [2] Efron, B., & Tibshirani, R. J. (1993). An introduction to the bootstrap. Chapman & Hall.
    .. [3] Chin, W. W. (1998). The partial least squares approach to structural equation modeling.
           In G. A. Marcoulides (Ed.), Modern methods for business research (pp. 295-336). Erlbaum.
    .. [4] Tenenhaus, M., Esposito Vinzi, V., Chatelin, Y.-M., & Lauro, C. (2005). PLS path
           modeling. Computational Statistics & Data Analysis, 48(1), 159-205.
           https://doi.org/10.1016/j.csda.2004.03.005
    .. [5] Rao, J. N. K., & Wu, C. F. J. (1988). Resampling inference with complex survey data.
           Journal of the American Statistical Association, 83(401), 231-241.
           https://doi.org/10.1080/01621459.1988.10478591

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from analysis import pls
    >>> rng = np.random.default_rng(1)
    >>> f = rng.normal(size=(300, 1))
    >>> g = 0.6 * f + 0.8 * rng.normal(size=(300, 1))
    >>> df = pd.DataFrame(np.hstack([f + rng.normal(size=(300, 3)), g + rng.normal(size=(300, 3))]),
    ...                   columns=["a1", "a2", "a3", "b1", "b2", "b3"])
    >>> res = pls.fit(df, {"A": ["a1", "a2", "a3"], "B": ["b1", "b2", "b3"]}, [("A", "B")])
    >>> boot = bootstrap(res, n_boot=500, seed=7)
    >>> row = boot.estimates.set_index(["kind", "name"]).loc[("path", "A->B")]
    >>> bool(row["ci_low"] < row["estimate"] < row["ci_high"]) and bool(row["p_value"] < 0.001)
    True
    """
    if int(n_boot) < 2:
        raise ValueError(f"n_boot must be at least 2 (got {n_boot!r})")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be between 0 and 1 (got {conf_level!r})")
    n_boot = int(n_boot)
    spec = result.spec
    labels, picks = _labels(spec)
    n_par = len(labels)
    if result.weights is not None and bca:
        raise ValueError("the BCa interval's jackknife is not defined for survey weights here: give bca=False")
    x, s_full = _scaled_array(result.data.to_numpy(), result.scaled, result.weights)
    n, p = x.shape
    upper = np.triu_indices(p)
    cross = x[:, upper[0]] * x[:, upper[1]]
    full = _fit_stack(result, s_full[None], np.array([True]), n, picks, n_par)[0]
    rng = np.random.default_rng(seed)
    draws = np.empty((n_boot, n_par))
    start = 0
    for size in _chunks(n_boot, n):
        idx = rng.integers(0, n, size=(size, n))
        idx += (np.arange(size) * n)[:, None]  # row b counts into its own n bins
        counts = np.bincount(idx.ravel(), minlength=size * n).reshape(size, n).astype(float)
        del idx
        if result.weights is not None:
            counts *= result.weights  # a drawn respondent carries its survey weight
        s, usable = _moments(x, cross, counts, result.scaled)
        draws[start : start + size] = _fit_stack(result, s, usable, n, picks, n_par)
        start += size
    good = np.isfinite(draws).all(axis=1)
    if good.sum() < 2:
        raise ValueError(
            f"only {int(good.sum())} of {n_boot} resamples could be estimated; the bootstrap is not defined"
        )
    kept = draws[good]
    se = kept.std(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = full / se
    p_value = 2 * stats.t.sf(np.abs(t), df=n - 1)
    p_pct = np.minimum(1.0, 2 * np.minimum((kept <= 0).mean(axis=0), (kept >= 0).mean(axis=0)))
    ci = np.quantile(kept, [(1 - conf_level) / 2, (1 + conf_level) / 2], axis=0)
    if bca:
        bca_low, bca_high = _bca(kept, full, _jackknife(result, x, cross, picks, n_par), conf_level)
    else:
        bca_low = bca_high = np.full(n_par, np.nan)
    table = pd.DataFrame(
        {
            "kind": [k for k, _ in labels],
            "name": [nm for _, nm in labels],
            "estimate": full,
            "boot_mean": kept.mean(axis=0),
            "se": se,
            "t": t,
            "p_value": p_value,
            "p_percentile": p_pct,
            "ci_low": ci[0],
            "ci_high": ci[1],
            "bca_low": bca_low,
            "bca_high": bca_high,
        }
    )
    return PlsBootstrapResult(
        n_boot=n_boot,
        n_failed=int((~good).sum()),
        seed=seed,
        conf_level=conf_level,
        estimates=table,
        draws=pd.DataFrame(kept, columns=[f"{k}:{nm}" for k, nm in labels]),
    )
