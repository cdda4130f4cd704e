"""Reference-case adapter for kind ``pls_pm`` (PLS path models, PLS.md of the reference folder).

Reads the case's data and ``settings`` (blocks, modes, paths, scheme, scaled, tol, maxiter,
scale_min/scale_max, ipma_target, id_column), calls the public ``analysis.pls`` API and
returns every output block under the peer's field names. Nothing here knows a particular
file, construct or value.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis import pls

# PLS.md: `fully_converged` is the same model iterated to its fixed point; plspm's rule with
# tol 1e-14 lands within 2e-9 of it.
FIXED_POINT_TOL = 1e-14


def _num(value: float) -> float | None:
    return None if value != value else float(value)


def _plain(value: Any) -> Any:
    # an id read by pandas is a numpy scalar; the JSON holds plain numbers or strings
    return value.item() if isinstance(value, np.generic) else value


def _scale(settings: dict[str, Any], items: tuple[str, ...]) -> tuple[float, float] | dict[str, tuple[float, float]]:
    """The IPMA scale ends: one pair for every item, or per item where the case gives mappings."""
    low, high = settings["scale_min"], settings["scale_max"]
    if isinstance(low, dict) or isinstance(high, dict):

        def end(value: Any, item: str) -> float:
            return float(value[item] if isinstance(value, dict) else value)

        return {item: (end(low, item), end(high, item)) for item in items}
    return (float(low), float(high))


def _by_name(series: pd.Series) -> dict[str, float | None]:
    return {str(k): _num(v) for k, v in series.items()}


def _signif6(value: float) -> float:
    # the peer writes the convergence trace with 6 significant digits (R's signif(x, 6))
    return float(f"{value:.6g}")


def _effects(res: pls.PlsResult, column: str) -> dict[str, float]:
    return {f"{row['from']}->{row['to']}": float(row[column]) for _, row in res.effects.iterrows()}


def _paths(res: pls.PlsResult) -> dict[str, float]:
    return {f"{row['from']}->{row['to']}": float(row["estimate"]) for _, row in res.paths.iterrows()}


def _ipma_block(ip: pls.IpmaResult) -> dict[str, dict[str, float]]:
    return {
        str(name): {"importance": float(row["importance"]), "performance": float(row["performance"])}
        for name, row in ip.table.iterrows()
    }


def _scores_head(res: pls.PlsResult) -> dict[str, list[float]]:
    return {str(c): [float(v) for v in res.scores[c].iloc[:10]] for c in res.scores.columns}


def _gaps(main: pls.PlsResult, tight: pls.PlsResult, ip: pls.IpmaResult, ipx: pls.IpmaResult) -> dict[str, float]:
    def gap(a: pd.Series | pd.DataFrame, b: pd.Series | pd.DataFrame) -> float:
        return float(np.nanmax(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))))

    return {
        "weights": gap(main.outer["weight"], tight.outer["weight"]),
        "loadings": gap(main.outer["loading"], tight.outer["loading"]),
        "paths": gap(main.path_matrix, tight.path_matrix),
        "r2": gap(main.constructs["r2"], tight.constructs["r2"]),
        "scores": gap(main.scores, tight.scores),
        "ipma_importance": gap(ip.table["importance"], ipx.table["importance"]),
        "ipma_performance": gap(ip.performance, ipx.performance),
    }


def compute(case: dict[str, Any], reference_dir: Path) -> dict[str, Any]:
    settings = case["settings"]
    data = pd.read_csv(Path(reference_dir) / case["data_file"])
    model = {
        "blocks": settings["blocks"],
        "paths": settings["paths"],
        "modes": settings["modes"],
        "scheme": settings["scheme"],
        "scaled": settings["scaled"],
    }
    res = pls.fit(data, **model, tol=settings["tol"], maxiter=settings["maxiter"])
    tight = pls.fit(data, **model, tol=FIXED_POINT_TOL, maxiter=10_000)
    scale = _scale(settings, res.spec.items)
    ip = pls.ipma(res, settings["ipma_target"], scale)
    ipx = pls.ipma(tight, settings["ipma_target"], scale)
    endogenous = res.constructs.index[res.spec.adjacency.any(axis=1)]
    table = res.constructs
    return {
        "n_rows_raw": res.n_rows_raw,
        "n_rows_used": res.n_rows_used,
        "iterations": res.iterations,
        "convergence_trace": [_signif6(v) for v in res.convergence_trace],
        "sign_flipped": list(res.sign_flipped),
        "outer_weights": _by_name(res.outer["weight"]),
        "loadings": _by_name(res.outer["loading"]),
        "communality": _by_name(res.outer["communality"]),
        "paths": _paths(res),
        "r2": _by_name(table.loc[endogenous, "r2"]),
        "r2_adj": _by_name(table.loc[endogenous, "r2_adj"]),
        "total_effects": _effects(res, "total"),
        "indirect_effects": _effects(res, "indirect"),
        "ave": _by_name(table["ave"]),
        "rho_c": _by_name(table["rho_c"]),
        "alpha": _by_name(table["alpha"]),
        "dg_rho_pca": _by_name(table["dg_rho"]),
        "gof": res.gof,
        "lv_scores_head": _scores_head(res),
        "lv_scores_head_ids": [_plain(v) for v in data.loc[res.scores.index[:10], settings["id_column"]]],
        "ipma": _ipma_block(ip),
        "ipma_target_performance": ip.target_performance,
        "ipma_rescaled_weights": _by_name(ip.rescaled_weights),
        "fully_converged": {
            "max_abs_gap": _gaps(res, tight, ip, ipx),
            "outer_weights": _by_name(tight.outer["weight"]),
            "paths": _paths(tight),
            "r2": _by_name(tight.constructs.loc[endogenous, "r2"]),
            "lv_scores_head": _scores_head(tight),
            "ipma": _ipma_block(ipx),
            "ipma_target_performance": ipx.target_performance,
        },
    }
