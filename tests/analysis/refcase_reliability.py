"""Reference-case adapter for kinds ``reliability``, ``omega`` and ``cfa_reliability``.

Reads a case's data and inputs (``data_file``, ``items``, ``reverse_keyed``, ``scale_min``/
``scale_max``, ``nfactors``, ``model``), calls the public ``analysis.reliability`` API and
returns every output block under the peer's field names (README.md of the reference folder).
Nothing here knows a particular file, item count or value.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import reliability


def _scale(case: dict[str, Any]) -> tuple[float, float] | None:
    low, high = case.get("scale_min"), case.get("scale_max")
    return None if low is None or high is None else (low, high)


def _by_item(series: pd.Series) -> dict[str, float]:
    return {str(k): float(v) for k, v in series.items()}


def _none_if_nan(value: float | None) -> float | None:
    return None if value is None or value != value else float(value)


# peer field -> column of ReliabilityResult.items
_ITEM_FIELDS = {
    "raw_r": "raw_r",
    "std_r": "std_r",
    "r_cor": "r_cor",
    "r_drop": "r_drop",
    "mean": "mean",
    "sd": "sd",
    "alpha_if_deleted": "alpha_if_deleted",
    "std_alpha_if_deleted": "std_alpha_if_deleted",
    "G6_smc_if_deleted": "g6_smc_if_deleted",
    "average_r_if_deleted": "average_r_if_deleted",
    "ase_if_deleted": "ase_if_deleted",
}


def _alpha_block(res: reliability.ReliabilityResult) -> dict[str, Any]:
    # psych prints Duhachek's interval with z = 1.96 (README); the library's uses the exact quantile.
    return {
        "n_rows": res.n_rows,
        "k": res.k,
        "raw_alpha": res.alpha,
        "std_alpha": res.std_alpha,
        "G6_smc": res.g6_smc,
        "average_r": res.average_r,
        "median_r": res.median_r,
        "signal_noise": res.signal_noise,
        "ase_duhachek": res.ase,
        "scale_score_mean": res.scale_mean,
        "scale_score_sd": res.scale_sd,
        "feldt_ci_95": list(res.ci),
        "duhachek_ci_95": [res.alpha - 1.96 * res.ase, res.alpha + 1.96 * res.ase],
        "items": {
            str(name): {"n": int(row["n"]), **{peer: _none_if_nan(row[col]) for peer, col in _ITEM_FIELDS.items()}}
            for name, row in res.items.iterrows()
        },
    }


def _guttman_block(res: reliability.GuttmanResult) -> dict[str, float]:
    return {f"lambda{i}": getattr(res, f"lambda{i}") for i in (1, 2, 3, 4, 5, 6)}


def _reliability(case: dict[str, Any], x: pd.DataFrame) -> dict[str, Any]:
    keys = {"reverse": case.get("reverse_keyed") or (), "scale": _scale(case)}
    # The psych::alpha blocks are psych::alpha(x, keys): it reflects with the range of the data
    # it is given (scale=None here); the other blocks use the keyed data x' = min + max - x.
    psych_keys = {"reverse": keys["reverse"], "scale": None}
    boot = case.get("bootstrap", {})
    with_boot = reliability.cronbach_alpha(x, **psych_keys, n_boot=boot.get("n_iter", 1000), seed=boot.get("seed"))
    halves = reliability.split_half(x, **keys)
    spss_split = reliability.spss_split_half(x, **keys)
    spss = reliability.spss_item_total(x, **keys)
    om1 = reliability.omega(x, nfactors=1, flip=False, **keys)
    return {
        "pairwise": _alpha_block(with_boot),
        "listwise": _alpha_block(reliability.cronbach_alpha(x, **psych_keys, missing="listwise")),
        "bootstrap": {"ci_95_percentile": list(with_boot.ci_bootstrap or ()), "median": with_boot.bootstrap_median},
        "guttman_raw_pairwise": _guttman_block(reliability.guttman(x, **keys)),
        "guttman_raw_listwise": _guttman_block(reliability.guttman(x, **keys, missing="listwise")),
        "split_half_psych": {
            "lambda4_max": halves.psych_lambda4,
            "beta_min": halves.psych_beta,
            "n_splits_examined": halves.psych_n_splits,
            "lambda2_std": halves.lambda2_std,
            "lambda6_std": halves.lambda6_std,
            "alpha_std": halves.alpha_std,
        },
        "split_half_all_std": {
            "n_splits": halves.n_splits,
            "max": halves.max_split,
            "min": halves.min_split,
            "mean": halves.mean_split,
        },
        "split_half_spss_listwise": {
            "k_part1": len(spss_split.part1),
            "k_part2": len(spss_split.part2),
            "n": spss_split.n,
            "alpha_part1": spss_split.alpha_part1,
            "alpha_part2": spss_split.alpha_part2,
            "correlation_between_forms": spss_split.correlation_between_forms,
            "spearman_brown_equal": spss_split.spearman_brown_equal,
            "spearman_brown_unequal": spss_split.spearman_brown_unequal,
            "guttman_split_half": spss_split.guttman_split_half,
        },
        "spss_item_total_listwise": {
            "n": spss.n,
            "n_items": spss.k,
            "scale_mean": spss.scale_mean,
            "scale_variance": spss.scale_variance,
            "scale_sd": spss.scale_sd,
            "cronbach_alpha": spss.alpha,
            "alpha_standardized": spss.std_alpha,
            "mean_inter_item_r": spss.mean_inter_item_r,
            "items": {
                str(name): {col: _none_if_nan(v) for col, v in row.items()} for name, row in spss.items.iterrows()
            },
        },
        "omega_1factor": {
            "omega_total_psych": om1.omega_total,
            "omega_h_psych": om1.omega_h,
            "omega_model_based": om1.omega_model_based,
            "loadings": _by_item(om1.loadings["g"]),
            "uniquenesses": _by_item(om1.loadings["u2"]),
        },
    }


def _omega(case: dict[str, Any], x: pd.DataFrame) -> dict[str, Any]:
    res = reliability.omega(x, nfactors=case["nfactors"], reverse=case.get("reverse_keyed") or (), scale=_scale(case))
    groups = res.groups
    return {
        "omega_h": res.omega_h,
        "omega_total": res.omega_total,
        "omega_limit": res.omega_limit,
        "alpha_std": res.alpha_std,
        "G6": res.g6,
        "ECV": res.ecv,
        "flipped_items": list(res.flipped),
        "g_loadings": _by_item(res.loadings["g"]),
        "u2": _by_item(res.loadings["u2"]),
        "omega_group": {col: {str(k): _none_if_nan(v) for k, v in groups[col].items()} for col in groups.columns},
    }


def parse_lavaan(syntax: str) -> dict[str, list[str]]:
    """``f =~ a + b`` lines of lavaan model syntax -> {factor: [items]}; anything else is refused."""
    model: dict[str, list[str]] = {}
    for line in syntax.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"(\w+)\s*=~\s*(\w+(?:\s*\+\s*\w+)*)", line)
        if match is None:
            raise ValueError(f"unsupported lavaan model line: {line!r}")
        model.setdefault(match[1], []).extend(re.split(r"\s*\+\s*", match[2]))
    return model


def _cfa(case: dict[str, Any], data: pd.DataFrame) -> dict[str, Any]:
    model = parse_lavaan(case["model"])
    res = reliability.composite_reliability(data, model, reverse=case.get("reverse_keyed") or (), scale=_scale(case))
    loadings = res.loadings
    factors = {}
    for name, items in model.items():
        rows = loadings[loadings["factor"] == name].set_index("item").loc[items]
        factors[name] = {
            "items": list(items),
            "std_loadings": _by_item(rows["std_loading"]),
            "std_residual_var": _by_item(rows["std_residual_var"]),
            "CR_fornell_larcker": float(res.factors.at[name, "cr"]),
            "AVE": float(res.factors.at[name, "ave"]),
        }
    return {
        "n_used": res.n_used,
        "factors": factors,
        "semTools_compRelSEM": _by_item(res.factors["cr_semtools"]),
        "semTools_AVE": _by_item(res.factors["ave_semtools"]),
        "fit": {"chisq": res.chisq, "df": res.df, "cfi": res.cfi, "tli": res.tli, "rmsea": res.rmsea, "srmr": res.srmr},
    }


def compute(case: dict[str, Any], reference_dir: Path) -> dict[str, Any]:
    data = pd.read_csv(Path(reference_dir) / case["data_file"])
    if case["kind"] == "cfa_reliability":
        return _cfa(case, data)
    x = data[case["items"]]
    if case["kind"] == "omega":
        return _omega(case, x)
    return _reliability(case, x)
