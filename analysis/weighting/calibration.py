"""Weights: raking, post-stratification, trimming, design weights as given; Kish's design effect.

Raking and post-stratification are calibration to population cell counts (Deville & Särndal
1992) with the raking (multiplicative) distance: w_i = d_i·exp(x_iᵀλ) with Σ_{i∈cell} w_i = N_cell
for every cell of every margin (Deville, Särndal & Sautory 1993). Iterative proportional
fitting reaches that solution (Deming & Stephan 1940; Battaglia, Hoaglin & Frankel 2009), and
post-stratification is its one-margin case, w_i = d_i·N_h/Σ_{j∈h} d_j. Because every factor
depends only on a row's cells, IPF runs on the profiles of :mod:`.margins` (a few dozen
numbers) instead of the rows, and the weights are the base weights times the profile's factor.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

from analysis.weighting.design import DesignArrays, SurveyDesign, design_arrays
from analysis.weighting.margins import CellModel, Margin, cell_model, population_targets

__all__ = [
    "KishResult",
    "TrimInfo",
    "WeightingResult",
    "design_weights",
    "kish_design_effect",
    "poststratify",
    "rake",
    "trim_weights",
]

MAX_TRIM_PASSES = 100_000


@dataclass(frozen=True, slots=True)
class KishResult:
    """Kish's design effect due to unequal weights (see :func:`kish_design_effect`)."""

    n: int
    sum: float
    mean: float
    min: float
    max: float
    cv: float
    deff: float
    n_eff: float
    efficiency_pct: float

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([{f: getattr(self, f) for f in self.__dataclass_fields__}])

    def summary(self) -> str:
        return (
            f"n = {self.n}, weights {self.min:.4g} to {self.max:.4g} (sum {self.sum:.6g}, CV {self.cv:.3f}); "
            f"Kish deff = {self.deff:.3f}, effective n = {self.n_eff:.1f}, efficiency = {self.efficiency_pct:.1f}%"
        )


def kish_design_effect(weights: Sequence[float] | np.ndarray | pd.Series) -> KishResult:
    r"""Kish's design effect due to weighting, the effective sample size and the efficiency.

    Parameters
    ----------
    weights : sequence of float
        One weight per respondent, all rows whatever is missing in the answers.

    Returns
    -------
    KishResult

    Notes
    -----
    .. math:: \mathrm{deff} = \frac{n\sum w_i^2}{(\sum w_i)^2} = 1 + \mathrm{CV}^2,\quad
              n_\mathrm{eff} = \frac{(\sum w_i)^2}{\sum w_i^2} = n/\mathrm{deff},\quad
              \mathrm{efficiency} = 100/\mathrm{deff}

    with CV = sd(w)/mean(w), sd with divisor n. It is the variance inflation of a mean from
    weighting alone, for a variable unrelated to the weights; the SEs of the estimates
    themselves come from linearisation.

    References
    ----------
    .. [1] Kish, L. (1965). *Survey Sampling*. Wiley, section 11.7.
    .. [2] Kish, L. (1992). Weighting for unequal P_i. *Journal of Official Statistics*, 8(2), 183-200.

    Examples
    --------
    >>> round(kish_design_effect([1, 1, 2, 2]).deff, 6)
    1.111111
    """
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or len(w) == 0 or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
        raise ValueError("weights must be a non-empty list of finite numbers >= 0 with a positive sum")
    n, total, squares = len(w), float(w.sum()), float((w**2).sum())
    deff = n * squares / total**2
    cv = float(np.sqrt(deff - 1)) if deff > 1 else 0.0
    return KishResult(n, total, total / n, float(w.min()), float(w.max()), cv, deff, n / deff, 100 / deff)


@dataclass(frozen=True, slots=True)
class TrimInfo:
    """What :func:`trim_weights` did; counts and amounts are those of the first pass."""

    upper: float
    lower: float
    strict: bool
    n_trimmed: int
    trimmed_excess: float
    added_to_each_untrimmed: float
    passes: int


@dataclass(frozen=True, slots=True)
class WeightingResult:
    """Final weights with what the variance of every estimate needs to know about them.

    ``weights`` is a Series aligned with the frame that was weighted. ``calibrated_weights``
    are the weights the calibration produced (before any trimming): R survey keeps them to
    scale the calibration residuals, and so does :mod:`.estimates`. ``model`` is None for
    design weights taken as given.
    """

    method: str
    weights: pd.Series = field(compare=False)
    margins: tuple[Margin, ...]
    population_total: float
    design: SurveyDesign
    iterations: int
    max_rel_error: float
    kish: KishResult
    trim: TrimInfo | None
    calibrated_weights: np.ndarray = field(compare=False, repr=False)
    model: CellModel | None = field(compare=False, repr=False)
    arrays: DesignArrays = field(compare=False, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per margin cell: target, respondents, base and weighted totals and shares."""
        w = self.weights.to_numpy()
        rows = []
        if self.model is not None:
            n_profile = np.bincount(self.model.profile, minlength=len(self.model.cells))
            w_profile = np.bincount(self.model.profile, weights=w, minlength=len(self.model.cells))
            targets = population_targets(self.margins, self.population_total, float(self.arrays.base.sum()))
            for j, m in enumerate(self.margins):
                cells = self.model.cells[:, j]
                n_cell = np.bincount(cells, weights=n_profile, minlength=len(m.levels))
                base_cell = np.bincount(cells, weights=self.model.base_total, minlength=len(m.levels))
                w_cell = np.bincount(cells, weights=w_profile, minlength=len(m.levels))
                for c in range(len(m.levels)):
                    rows.append(
                        {
                            "margin": m.name,
                            "cell": m.cell_label(c),
                            "target": targets[j][c],
                            "n": int(n_cell[c]),
                            "base_total": base_cell[c],
                            "weighted_total": w_cell[c],
                            "target_share": targets[j][c] / self.population_total,
                            "unweighted_share": n_cell[c] / len(w),
                            "weighted_share": w_cell[c] / w.sum(),
                            "mean_weight": w_cell[c] / n_cell[c] if n_cell[c] else math.nan,
                        }
                    )
        return pd.DataFrame(
            rows,
            columns=[
                "margin",
                "cell",
                "target",
                "n",
                "base_total",
                "weighted_total",
                "target_share",
                "unweighted_share",
                "weighted_share",
                "mean_weight",
            ],
        )

    def summary(self) -> str:
        lines = [f"Weighting: {self.method}; design: {self.design.describe()}"]
        for m in self.margins:
            lines.append(f"  {m.summary()}")
        if self.model is not None:
            lines.append(
                f"  population total {self.population_total:.6g}; {self.iterations} sweep(s), "
                f"largest relative cell error {self.max_rel_error:.2g}"
            )
        if self.trim is not None:
            t = self.trim
            lines.append(
                f"  trimmed to [{t.lower:g}, {t.upper:g}]: {t.n_trimmed} weight(s), {t.trimmed_excess:.6g} "
                f"redistributed, +{t.added_to_each_untrimmed:.6g} to each other weight ({t.passes} pass(es))"
            )
        lines.append("  " + self.kish.summary())
        return "\n".join(lines)


def _frame(df: pd.DataFrame) -> None:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(df).__name__}")


def _cell_errors(model: CellModel, factor: np.ndarray, targets: list[np.ndarray]) -> list[np.ndarray]:
    """Relative error |Σ_cell w - N_cell| / N_cell of every cell (0 for empty target-0 cells)."""
    achieved = model.base_total * factor
    errors = []
    for j, target in enumerate(targets):
        got = np.bincount(model.cells[:, j], weights=achieved, minlength=len(target))
        errors.append(np.abs(got - target) / np.where(target > 0, target, 1.0))
    return errors


def _ipf(
    model: CellModel, targets: list[np.ndarray], *, tol: float, max_iter: int, criterion: str
) -> tuple[np.ndarray, int, bool]:
    """Raking factor per profile by iterative proportional fitting, margin after margin.

    criterion "margins": stop when every cell of every margin is within ``tol`` relative of its
    target. "change": R ``rake()``'s rule, stop once no cell of the crossing of all raking
    variables (a profile) changed by ``tol`` or more in a sweep (``tol`` < 1 is a fraction of
    the total base weight).
    """
    factor = np.ones(len(model.cells))
    epsilon = tol * float(model.base_total.sum()) if (criterion == "change" and tol < 1) else tol
    table = model.base_total.copy()
    for sweep in range(1, max_iter + 1):
        for j, target in enumerate(targets):
            got = np.bincount(model.cells[:, j], weights=model.base_total * factor, minlength=len(target))
            ratio = np.divide(target, got, out=np.ones_like(target), where=got > 0)
            factor *= ratio[model.cells[:, j]]
        if criterion == "change":
            new = model.base_total * factor
            done = float(np.max(np.abs(new - table))) < epsilon
            table = new
        else:
            done = max(float(e.max()) for e in _cell_errors(model, factor, targets)) < tol
        if done:
            return factor, sweep, True
    return factor, max_iter, False


def _calibrate(
    df: pd.DataFrame,
    margins: Sequence[Margin],
    method: str,
    design: SurveyDesign,
    population_total: float | None,
    tol: float,
    max_iter: int,
    criterion: str,
) -> WeightingResult:
    _frame(df)
    if not (tol > 0 and math.isfinite(tol)) or int(max_iter) < 1:
        raise ValueError(f"tol must be a positive number and max_iter at least 1, got {tol!r} and {max_iter!r}")
    if criterion not in ("margins", "change"):
        raise ValueError(f"criterion must be 'margins' or 'change', got {criterion!r}")
    arrays = design_arrays(df, design)
    model = cell_model(df, margins, arrays.base)
    targets = population_targets(margins, population_total, float(arrays.base.sum()))
    factor, sweeps, converged = _ipf(model, targets, tol=tol, max_iter=int(max_iter), criterion=criterion)
    errors = _cell_errors(model, factor, targets)
    if not converged:
        j = int(np.argmax([e.max() for e in errors]))
        c = int(np.argmax(errors[j]))
        got = np.bincount(model.cells[:, j], weights=model.base_total * factor, minlength=len(targets[j]))[c]
        raise ValueError(
            f"raking did not converge in {sweeps} sweeps: margin {margins[j].name!r}, cell {margins[j].cell_label(c)} "
            f"stays {errors[j][c]:.3g} (relative) away from its target {targets[j][c]:.6g} (weighted total {got:.6g}); "
            "the margins cannot all be met with the cells that have respondents (e.g. a joint cell whose "
            "respondents are needed elsewhere); merge cells or drop a margin, or raise max_iter"
        )
    w = arrays.base * factor[model.profile]
    return WeightingResult(
        method=method,
        weights=pd.Series(w, index=df.index, name="weight"),
        margins=tuple(margins),
        population_total=float(sum(targets[0])),
        design=design,
        iterations=sweeps,
        max_rel_error=max(float(e.max()) for e in errors),
        kish=kish_design_effect(w),
        trim=None,
        calibrated_weights=w,
        model=model,
        arrays=arrays,
    )


def rake(
    df: pd.DataFrame,
    margins: Sequence[Margin],
    *,
    design: SurveyDesign | None = None,
    population_total: float | None = None,
    tol: float = 1e-12,
    max_iter: int = 10_000,
    criterion: Literal["margins", "change"] = "margins",
) -> WeightingResult:
    r"""Rake the base weights to population margins (iterative proportional fitting).

    Parameters
    ----------
    df : DataFrame
        One row per respondent; every row is weighted, whatever it left unanswered.
    margins : sequence of Margin
        From :func:`margin`; one column or a crossing each. Margins may overlap (a dealer
        margin and a region × age margin with dealers nested in regions): IPF does not mind.
    design : SurveyDesign, optional
        Base weights, clusters, strata and fpc of the sample (default: equal weights of 1).
    population_total : float, optional
        N, for share margins; must agree with the count margins if both are given.
    tol : float
        Convergence: largest relative cell error |Σ_cell w − N_cell|/N_cell (criterion
        "margins"), or R ``rake()``'s largest change of a crossed cell in a sweep ("change").
    max_iter : int
        Cap on the number of sweeps over all margins.
    criterion : {"margins", "change"}
        See ``tol``. "change" with ``tol=1, max_iter=10`` reproduces R's ``rake()`` defaults,
        which stop early (weights about 1e-5 off in relative terms).

    Returns
    -------
    WeightingResult

    Raises
    ------
    ValueError
        An impossible margin, named with its cell (see :mod:`.margins`), or no convergence
        within ``max_iter``, naming the margin and cell that stay furthest from their target.

    Notes
    -----
    Each sweep multiplies, margin by margin, the weights of every cell by N_cell/Σ_cell w. The
    fixed point is the raking-ratio calibration estimator w_i = d_i exp(x_iᵀλ), which R survey's
    ``calibrate(calfun = "raking")`` finds by Newton's method; linearisation SEs of estimates
    use the calibration residuals (see :mod:`.estimates`).

    References
    ----------
    .. [1] Deming, W. E., & Stephan, F. F. (1940). On a least squares adjustment of a sampled
           frequency table when the expected marginal totals are known. *Annals of Mathematical
           Statistics*, 11(4), 427-444. https://doi.org/10.1214/aoms/1177731829
    .. [2] Deville, J.-C., & Särndal, C.-E. (1992). Calibration estimators in survey sampling.
           *JASA*, 87(418), 376-382. https://doi.org/10.1080/01621459.1992.10475217
    .. [3] Deville, J.-C., Särndal, C.-E., & Sautory, O. (1993). Generalized raking procedures in
           survey sampling. *JASA*, 88(423), 1013-1020. https://doi.org/10.1080/01621459.1993.10476369
    .. [4] Battaglia, M. P., Hoaglin, D. C., & Frankel, M. R. (2009). Practical considerations in
           raking survey data. *Survey Practice*, 2(5). https://doi.org/10.29115/SP-2009-0019
    .. [5] Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, ch. 7.

    Examples
    --------
    >>> from analysis.weighting import margin
    >>> df = pd.DataFrame({"sex": ["f", "f", "m", "m"], "age": ["y", "o", "y", "o"]})
    >>> r = rake(df, [margin("sex", {"f": 60, "m": 40}), margin("age", {"y": 50, "o": 50})])
    >>> [round(v, 6) for v in r.weights]
    [30.0, 30.0, 20.0, 20.0]
    """
    return _calibrate(df, margins, "raking", design or SurveyDesign(), population_total, tol, max_iter, criterion)


def poststratify(
    df: pd.DataFrame,
    poststrata: Margin,
    *,
    design: SurveyDesign | None = None,
    population_total: float | None = None,
) -> WeightingResult:
    r"""Post-stratify: every row of cell h gets d_i·N_h/Σ_{j∈h} d_j.

    Parameters
    ----------
    df : DataFrame
        One row per respondent.
    poststrata : Margin
        One column or a crossed cell (a joint margin); every level that occurs needs a cell.
    design, population_total
        As for :func:`rake`.

    Returns
    -------
    WeightingResult

    Notes
    -----
    The calibration estimator for cell indicators: the weighted cell totals equal the
    population counts exactly, and the SE of a mean uses residuals from the cell means of
    the base-weighted sample, as R survey's ``postStratify`` (Holt & Smith 1979; Lumley 2010,
    section 7.2).

    References
    ----------
    .. [1] Holt, D., & Smith, T. M. F. (1979). Post stratification. *JRSS A*, 142(1), 33-46.
           https://doi.org/10.2307/2344652
    .. [2] Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, section 7.2.

    Examples
    --------
    >>> from analysis.weighting import margin
    >>> df = pd.DataFrame({"dealer": ["A", "A", "B"]})
    >>> list(poststratify(df, margin("dealer", {"A": 10, "B": 20})).weights)
    [5.0, 5.0, 20.0]
    """
    if not isinstance(poststrata, Margin):
        raise TypeError("poststrata must be one Margin (see weighting.margin)")
    return _calibrate(
        df, [poststrata], "poststratification", design or SurveyDesign(), population_total, 1e-12, 1, "margins"
    )


def design_weights(df: pd.DataFrame, design: SurveyDesign | None = None) -> WeightingResult:
    """The design's base weights taken as given, with no calibration (R ``svydesign``).

    Estimates then have the plain linearisation SE of a design-weighted estimator, which
    treats the weights as fixed. Examples: a file that arrives with weights, or a comparison
    of what calibration gains.

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1.0, 3.0]})
    >>> design_weights(df, SurveyDesign(weights="w")).kish.deff
    1.25
    """
    _frame(df)
    design = design or SurveyDesign()
    arrays = design_arrays(df, design)
    w = arrays.base
    return WeightingResult(
        method="design weights",
        weights=pd.Series(w, index=df.index, name="weight"),
        margins=(),
        population_total=float(w.sum()),
        design=design,
        iterations=0,
        max_rel_error=0.0,
        kish=kish_design_effect(w),
        trim=None,
        calibrated_weights=w,
        model=None,
        arrays=arrays,
    )


def trim_weights(
    weighting: WeightingResult, *, upper: float = math.inf, lower: float = -math.inf, strict: bool = False
) -> WeightingResult:
    r"""Cap the weights and share what was cut off equally among the others, as R's ``trimWeights``.

    Parameters
    ----------
    weighting : WeightingResult
        From :func:`rake`, :func:`poststratify`, :func:`design_weights` or an earlier trim.
    upper, lower : float
        Bounds; weights outside are set to the bound.
    strict : bool
        False: one pass, so a weight the redistribution pushes past a bound stays there (R's
        default). True: repeat until no weight is outside.

    Returns
    -------
    WeightingResult
        Same sum of weights. ``trim`` reports the first pass: weights outside, the amount cut
        off, and what each weight inside received.

    Notes
    -----
    One pass: w'_i = clip(w_i, lower, upper); E = Σ (w_i − w'_i); every weight that was inside
    the bounds gets + E / #inside. This is survey 4.1-1's ``trimWeights.survey.design2``, an
    equal (not proportional) redistribution; trimmed weights no longer meet the margins
    exactly. The SE of an estimate keeps the calibration residuals fitted before trimming,
    scaled by w'/w, as R does (see :mod:`.estimates`). Trimming trades bias for variance
    (Potter 1990; Lumley 2010, section 7.5).

    References
    ----------
    .. [1] Potter, F. J. (1990). A study of procedures to identify and trim extreme sampling
           weights. *Proceedings of the Survey Research Methods Section, ASA*, 225-230.
    .. [2] Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, section 7.5.

    Examples
    --------
    >>> df = pd.DataFrame({"w": [1.0, 1.0, 1.0, 9.0]})
    >>> list(trim_weights(design_weights(df, SurveyDesign(weights="w")), upper=5).weights)
    [2.333333333333333, 2.333333333333333, 2.333333333333333, 5.0]
    """
    if not isinstance(weighting, WeightingResult):
        raise TypeError(f"expected a WeightingResult, got {type(weighting).__name__}")
    upper, lower = float(upper), float(lower)
    w = weighting.weights.to_numpy().copy()
    n, total = len(w), float(w.sum())
    if not lower < upper:
        raise ValueError(f"trimming needs lower < upper, got lower={lower:g}, upper={upper:g}")
    if n * upper < total or n * lower > total:
        raise ValueError(f"no {n} weights in [{lower:g}, {upper:g}] can sum to {total:.6g}; widen the bounds")
    first: tuple[int, float, float] | None = None
    passes = 0
    while True:
        outside = (w < lower) | (w > upper)
        if not outside.any():
            break
        if outside.all():
            raise ValueError(f"every weight is outside [{lower:g}, {upper:g}]; nothing can take the trimmed amount")
        passes += 1
        if passes > MAX_TRIM_PASSES:
            raise ValueError(f"trimming to [{lower:g}, {upper:g}] did not settle in {MAX_TRIM_PASSES} passes")
        clipped = np.clip(w, lower, upper)
        excess = float((w - clipped).sum())
        added = excess / int((~outside).sum())
        clipped[~outside] += added
        if first is None:
            first = (int(outside.sum()), excess, added)
        w = clipped
        if not strict:
            break
    n_trimmed, excess, added = first if first is not None else (0, 0.0, 0.0)
    info = TrimInfo(upper, lower, bool(strict), n_trimmed, excess, added, passes)
    return replace(
        weighting,
        method=f"{weighting.method}, trimmed",
        weights=pd.Series(w, index=weighting.weights.index, name="weight"),
        kish=kish_design_effect(w),
        trim=info,
    )
