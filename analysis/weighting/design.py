"""The sampling design behind the base weights, and the linearisation variance it implies.

:class:`SurveyDesign` names the columns (R ``svydesign(ids, weights, strata, fpc)``);
:func:`design_arrays` reads them once; :func:`design_variance` (and :func:`design_covariance` for
several estimates at once) turns per-row influence values into the variance of an estimate, as
R survey's ``svyrecvar`` does for a one-stage design (with-replacement approximation of the
ultimate clusters, finite-population correction from the first stage); :func:`design_df` gives
the degrees of freedom of a domain.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.quality import numeric_columns, require_columns
from surveykit.model import Weighting

__all__ = ["SurveyDesign", "design_of"]


@dataclass(frozen=True, slots=True)
class SurveyDesign:
    """Columns that describe how the respondents were sampled; all None is R's ``ids = ~1``.

    ids : column of primary sampling unit (cluster) ids, or None when every row is its own PSU.
    weights : column of base (design) weights d_i > 0; None means 1, or the inverse first-stage
        sampling fraction M_h / m_h when ``fpc`` is given (as R's ``svydesign`` does).
    strata : column of design strata (PSU ids are taken within strata), or None.
    fpc : column holding, per row, the population number of PSUs of its stratum (values > 1) or
        the first-stage sampling fraction (all values <= 1), or None for no correction.
    """

    ids: str | None = None
    weights: str | None = None
    strata: str | None = None
    fpc: str | None = None

    def describe(self) -> str:
        parts = [f"{k}={getattr(self, k)}" for k in ("ids", "weights", "strata", "fpc") if getattr(self, k)]
        return "one stage, " + (", ".join(parts) if parts else "no clusters, equal base weights, no fpc")


def design_of(spec: Weighting) -> SurveyDesign:
    """The design a questionnaire's ``weighting.design:`` (or a ``--weights`` file) declares.

    The same four settings (:class:`surveykit.model.WeightingDesign`), checked against the
    questionnaire when it was read; no ``design:`` is R's ``ids = ~1`` with equal base weights.
    """
    d = spec.design
    return SurveyDesign(ids=d.ids, weights=d.weights, strata=d.strata, fpc=d.fpc)


@dataclass(frozen=True, slots=True)
class DesignArrays:
    """The design read from one frame: base weights per row, and PSU / stratum structure.

    ``psu[i]`` is row i's PSU (0..m-1), ``psu[i] = i`` without clusters; ``psu_stratum[c]``
    PSU c's stratum (0..H-1); ``fraction[h]`` the first-stage sampling fraction m_h / M_h of
    stratum h (0 without fpc).
    """

    base: np.ndarray
    clustered: bool
    psu: np.ndarray
    psu_stratum: np.ndarray
    fraction: np.ndarray
    stratum_labels: tuple[str, ...]


def design_arrays(df: pd.DataFrame, design: SurveyDesign) -> DesignArrays:
    """Read ``design`` from ``df``; every check names its column."""
    if not isinstance(design, SurveyDesign):
        raise TypeError(f"design must be a SurveyDesign, got {type(design).__name__}")
    named = [c for c in (design.ids, design.weights, design.strata, design.fpc) if c is not None]
    require_columns(df, named)
    n = len(df)
    if n < 2:
        raise ValueError(f"weighting needs at least 2 rows, got {n}")
    for col in (design.ids, design.strata):
        if col is not None and df[col].isna().any():
            raise ValueError(f"design column {col!r} is missing in {int(df[col].isna().sum())} row(s)")
    if design.strata is not None:
        stratum, strata_u = pd.factorize(df[design.strata])
        stratum_labels = tuple(str(s) for s in strata_u)
    else:
        stratum, stratum_labels = np.zeros(n, dtype=np.int64), ("all",)
    if design.ids is not None:
        # PSU ids are nested in strata: the same id in two strata is two PSUs (R's nest = TRUE).
        psu, psu_keys = pd.factorize(pd.MultiIndex.from_arrays([stratum, df[design.ids].to_numpy()]))
        psu_stratum = np.asarray([k[0] for k in psu_keys], dtype=np.int64)
    else:
        psu, psu_stratum = np.arange(n), np.asarray(stratum, dtype=np.int64)
    m_h = np.bincount(psu_stratum, minlength=len(stratum_labels)).astype(float)
    fraction = np.zeros(len(stratum_labels))
    if design.fpc is not None:
        fpc = numeric_columns(df, [design.fpc])[design.fpc].to_numpy()
        if np.isnan(fpc).any() or (fpc <= 0).any():
            raise ValueError(f"design column {design.fpc!r} must be positive in every row")
        for h in range(len(stratum_labels)):
            values = np.unique(fpc[stratum == h])
            if len(values) != 1:
                raise ValueError(f"design column {design.fpc!r} varies within stratum {stratum_labels[h]!r}")
            population = values[0] if (fpc > 1).any() else m_h[h] / values[0]
            if population < m_h[h]:
                raise ValueError(
                    f"design column {design.fpc!r}: stratum {stratum_labels[h]!r} has {int(m_h[h])} sampled PSUs "
                    f"but a population of {values[0]:g}"
                )
            fraction[h] = m_h[h] / population
    if design.weights is not None:
        base = numeric_columns(df, [design.weights])[design.weights].to_numpy()
        if np.isnan(base).any() or not (base > 0).all() or not np.isfinite(base).all():
            raise ValueError(f"base weights in column {design.weights!r} must be positive numbers in every row")
    elif design.fpc is not None:
        base = 1.0 / fraction[np.asarray(stratum)]
    else:
        base = np.ones(n)
    return DesignArrays(
        np.asarray(base, dtype=float),
        design.ids is not None,
        np.asarray(psu, dtype=np.int64),
        psu_stratum,
        fraction,
        stratum_labels,
    )


def _psu_totals(u: np.ndarray, arrays: DesignArrays) -> np.ndarray:
    """U_c = Σ_{i∈c} u_i per PSU (rows are PSUs without clusters), one column per column of ``u``."""
    if not arrays.clustered:
        return u
    return np.column_stack(
        [np.bincount(arrays.psu, weights=u[:, j], minlength=len(arrays.psu_stratum)) for j in range(u.shape[1])]
    )


def _strata(arrays: DesignArrays, totals: np.ndarray) -> Iterator[tuple[float, np.ndarray]]:
    """(the stratum's factor (1 − f_h)·m_h/(m_h − 1), its centred PSU totals U_c − Ū_h) per stratum."""
    for h, label in enumerate(arrays.stratum_labels):
        block = totals[arrays.psu_stratum == h]
        m = len(block)
        if m < 2:
            raise ValueError(f"stratum {label!r} has only {m} PSU; its variance cannot be estimated")
        yield (1 - arrays.fraction[h]) * m / (m - 1), block - block.mean(axis=0)


def design_variance(u: np.ndarray, arrays: DesignArrays) -> np.ndarray:
    r"""Variance of Σ_i u_i under the design, one value per column of ``u`` (n × k).

    Notes
    -----
    With U_c = Σ_{i∈c} u_i the PSU totals, m_h sampled PSUs in stratum h and f_h = m_h/M_h,

    .. math:: \hat V = \sum_h (1 - f_h)\,\frac{m_h}{m_h-1}\sum_{c\in h}(U_c - \bar U_h)^2

    Without ``ids`` every row is a PSU (n/(n-1) Σ (u_i - ū)² for a simple random sample). This
    is R survey's ``svyrecvar`` / ``onestage`` for the first stage (Lumley 2010, ch. 2-3); a
    stratum with one PSU is an error, as with survey's default ``lonely.psu = "fail"``.
    """
    var = np.zeros(u.shape[1])
    for factor, centred in _strata(arrays, _psu_totals(u, arrays)):
        var += factor * (centred**2).sum(axis=0)
    return var


def design_covariance(u: np.ndarray, arrays: DesignArrays) -> np.ndarray:
    r"""Covariance matrix (k × k) of the k sums Σ_i u_ij under the design (``u`` is n × k).

    Notes
    -----
    The matrix form of :func:`design_variance`, whose diagonal it is:

    .. math:: \hat V = \sum_h (1 - f_h)\,\frac{m_h}{m_h-1}\sum_{c\in h}(U_c - \bar U_h)(U_c - \bar U_h)^\top

    With the influence values of k estimates (one column each) it is their linearisation
    covariance, as R survey's ``svyrecvar`` returns it (``vcov(svyby(..., covmat = TRUE))``;
    Lumley 2010, sections 2.3 and 5.2); the variance of a contrast cᵀθ̂ is cᵀV̂c.
    """
    cov = np.zeros((u.shape[1], u.shape[1]))
    for factor, centred in _strata(arrays, _psu_totals(u, arrays)):
        cov += factor * centred.T @ centred
    return cov


def design_df(arrays: DesignArrays, rows: np.ndarray) -> int:
    """The design's degrees of freedom in the rows ``rows`` (a boolean mask): PSUs minus strata among them.

    R survey's ``degf()`` of a subset (a domain): the number of distinct PSUs with a row in the
    domain minus the number of strata they fall in (n − 1 for a simple random sample of n rows;
    Lumley 2010, section 2.2; Korn & Graubard 1999, section 5.2).
    """
    psu = np.unique(arrays.psu[rows])
    return int(len(psu) - len(np.unique(arrays.psu_stratum[psu])))
