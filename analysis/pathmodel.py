"""The questionnaire's satisfaction-index model (``model:``) fitted on its responses.

:func:`fit_model` turns the declared model into the call of :func:`analysis.pls.fit` (PLS
path modelling as R plspm computes it), resamples it with :func:`analysis.pls.bootstrap`
for the significance of the paths, and maps the target construct's drivers with
:func:`analysis.pls.ipma`, each item on its own scale ends from the questionnaire (not the
observed range), as Ringle & Sarstedt (2016) prescribe. Reverse-keyed items are recoded
min + max - x first, so that every indicator points the same way as its construct. The
result keeps only the tables that :func:`analysis.analyze` and the report show (not the
scores or the bootstrap draws), so that ``to_dict`` stays small.

The measurement-quality thresholds are those of PLS-SEM practice (Hair, Hult, Ringle &
Sarstedt 2022, ch. 4): AVE >= .50 (Fornell & Larcker 1981); composite reliability rho_c
and rho_A between .70 and .95 (above .95 items are near-duplicates); HTMT below .85 for
conceptually distinct constructs, .90 for similar ones (Henseler, Ringle & Sarstedt 2015).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis import pls
from surveykit.model import Questionnaire

AVE_MIN = 0.5
RELIABILITY_RANGE = (0.7, 0.95)
HTMT_STRICT = 0.85
HTMT_LENIENT = 0.90


@dataclass(frozen=True, slots=True)
class PathModelResult:
    """A fitted path model: its tables and the settings that produced them.

    ``constructs`` per construct (mode, items, R², adjusted R², AVE, rho_c, rho_A, alpha);
    ``outer`` per item (construct, weight, loading); ``paths`` per declared path (estimate and,
    with a bootstrap, SE, p-value and percentile interval); ``effects`` per pair joined by a
    path (direct, indirect, total); ``htmt`` the heterotrait-monotrait ratios; ``ipma`` per
    construct leading to the target (importance, performance on 0-100).
    """

    n_rows: int
    scheme: str
    n_boot: int
    seed: int
    gof: float
    iterations: int
    reversed_items: tuple[str, ...]
    target: str | None
    target_performance: float
    constructs: pd.DataFrame = field(compare=False)
    outer: pd.DataFrame = field(compare=False)
    paths: pd.DataFrame = field(compare=False)
    effects: pd.DataFrame = field(compare=False)
    htmt: pd.DataFrame = field(compare=False)
    ipma: pd.DataFrame | None = field(default=None, compare=False)
    n_eff: float | None = None  # Kish's effective n of the rows, when fitted with survey weights

    def summary(self) -> str:
        """Paths (with bootstrap p-values), R² and the IPMA as plain text."""
        boot = f", {self.n_boot} bootstrap resamples (seed {self.seed})" if self.n_boot else ""
        weighted = "" if self.n_eff is None else f" (weighted, effective n {self.n_eff:.1f})"
        lines = [f"Path model ({self.scheme} scheme), n = {self.n_rows}{weighted}, GoF = {self.gof:.3f}{boot}"]
        lines.append(self.paths.round(3).to_string(index=False))
        lines.append(self.constructs.drop(columns=["items"]).round(3).to_string())
        if self.ipma is not None:
            lines.append(f"IPMA for {self.target} (performance {self.target_performance:.1f})")
            lines.append(self.ipma.round(3).to_string())
        return "\n".join(lines)

    def quality_flags(self) -> pd.DataFrame:
        """Per reflective construct of two or more items: whether AVE, rho_c and rho_A meet the thresholds."""
        c = self.constructs[(self.constructs["mode"] == "A") & self.constructs["ave"].notna()]
        low, high = RELIABILITY_RANGE
        return pd.DataFrame(
            {
                "ave_ok": c["ave"] >= AVE_MIN,
                "rho_c_ok": c["rho_c"].between(low, high),
                "rho_a_ok": c["rho_a"].between(low, high),
            }
        )


def fit_model(
    q: Questionnaire,
    df: pd.DataFrame,
    *,
    n_boot: int | None = None,
    seed: int | None = None,
    conf_level: float = 0.95,
    weights: pd.Series | None = None,
) -> PathModelResult:
    """Fit ``q.model`` on ``df``: PLS estimates, bootstrap significance and the IPMA of the target.

    ``n_boot`` and ``seed`` default to the model's ``bootstrap`` and ``seed``. With survey
    ``weights`` (``analyze()``'s) the fit, the bootstrap and the IPMA are weighted
    (:func:`analysis.pls.fit`). A model that
    cannot be estimated (too few complete rows, a constant item, no convergence) raises
    ``ValueError``, which :func:`analysis.analyze` records as a note.
    """
    model = q.model
    if model is None:
        raise ValueError(f"{q.survey!r} declares no model")
    items = [item for construct in model.constructs for item in construct.items]
    data = df[items].apply(pd.to_numeric, errors="coerce").astype(float)
    scales: dict[str, tuple[float, float]] = {}
    reversed_items = []
    for item in items:
        variable = q.variable(item)
        if variable.min is None or variable.max is None:  # the loader admits only indicators with both
            raise ValueError(f"item {item!r} has no scale ends")
        low, high = float(variable.min), float(variable.max)
        scales[item] = (low, high)
        if variable.reverse:
            data[item] = low + high - data[item]
            reversed_items.append(item)
    fit = pls.fit(
        data,
        {c.id: list(c.items) for c in model.constructs},
        model.paths,
        modes={c.id: c.mode for c in model.constructs},
        scheme=model.scheme,
        weights=weights,
    )
    n_boot = model.bootstrap if n_boot is None else n_boot
    seed = model.seed if seed is None else seed
    paths = fit.paths.copy()
    if n_boot:
        boot = pls.bootstrap(fit, n_boot=n_boot, seed=seed, conf_level=conf_level, bca=False)
        est = boot.estimates
        est = est[est["kind"] == "path"].set_index("name")
        keys = paths["from"] + "->" + paths["to"]
        for column in ("se", "p_value", "ci_low", "ci_high"):
            paths[column] = est.loc[keys, column].to_numpy()
    ipma_table, target_performance = None, math.nan
    if model.target is not None:
        mapped = pls.ipma(fit, model.target, scales)
        ipma_table, target_performance = mapped.table.copy(), mapped.target_performance
    constructs = fit.constructs[["mode", "items", "r2", "r2_adj", "ave", "rho_c", "rho_a", "alpha"]].copy()
    constructs["items"] = constructs["items"].map(lambda block: ", ".join(block))
    # a single item is its own composite: its reliabilities are 1 by construction, not evidence
    constructs.loc[fit.constructs["n_items"] == 1, ["ave", "rho_c", "rho_a", "alpha"]] = np.nan
    endogenous = {t for _, t in model.paths}
    constructs.loc[[c not in endogenous for c in constructs.index], "r2"] = np.nan
    return PathModelResult(
        n_rows=fit.n_rows_used,
        scheme=model.scheme,
        n_boot=n_boot,
        seed=seed,
        gof=fit.gof,
        iterations=fit.iterations,
        reversed_items=tuple(reversed_items),
        target=model.target,
        target_performance=float(target_performance),
        constructs=constructs,
        outer=fit.outer[["construct", "weight", "loading"]].copy(),
        paths=paths,
        effects=fit.effects.copy(),
        htmt=fit.htmt.copy(),
        ipma=ipma_table,
        n_eff=None if fit.weights is None else float(fit.weights.sum() ** 2 / (fit.weights @ fit.weights)),
    )
