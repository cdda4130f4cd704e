"""Reference-case adapter for kind = ipa.

README conventions: ``OS`` overall satisfaction (1-10), ``CSI<j>`` further satisfaction items for
the ACSI-style index, ``LTR`` likelihood to recommend, ``X<j>`` attribute performance, ``I<j>``
stated importance, ``segment``; every parameter comes from the case's ``settings``.  Attributes and
index items are found from the data's columns, so other counts or segments need no change here.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import ipa, loyalty, segments

TARGET, LTR, SEGMENT = "OS", "LTR", "segment"
# README: OS and the CSI items are on 1-10; a case may say otherwise in its settings.
SATISFACTION_SCALE = (1, 10)


def _plain(value: Any) -> Any:
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


def _numbered(columns: pd.Index, prefix: str) -> list[str]:
    found = [(int(m.group(1)), c) for c in columns if (m := re.fullmatch(rf"{prefix}(\d+)", c))]
    return [c for _, c in sorted(found)]


def _nps_block(r: loyalty.NpsResult) -> dict[str, Any]:
    return {
        "n": r.n,
        "n_promoters": r.n_promoters,
        "n_passives": r.n_passives,
        "n_detractors": r.n_detractors,
        "pct_promoters": r.pct_promoters,
        "pct_passives": r.pct_passives,
        "pct_detractors": r.pct_detractors,
        "nps": r.nps,
        "mean_ltr": r.mean_ltr,
        "wald": {"se": r.wald_se, "ci_95": list(r.wald_ci)},
        "adjusted_wald": {"nps_adj": r.adjusted_nps, "se": r.adjusted_se, "ci_95": list(r.adjusted_ci)},
        "trinomial_mean": {"se": _plain(r.trinomial_se), "ci_95": [_plain(v) for v in r.trinomial_ci]},
        "z": r.z,
    }


def _importance_blocks(df: pd.DataFrame, settings: dict[str, Any], xs: list[str], imps: list[str]) -> dict[str, Any]:
    fit = ipa.regression(df, TARGET, xs)
    pairs = dict(zip(xs, zip(xs, imps, strict=True), strict=True))
    scale_grid = ipa.grid(
        df,
        pairs,
        crosshair="scale",
        performance_scale=tuple(settings["performance_scale"]),
        importance_scale=tuple(settings["importance_scale"]),
    )
    data_grid = ipa.grid(df, pairs, crosshair="data_mean")
    rw_crosshair = (100 / len(xs), data_grid.data_crosshair[1])
    rw_quadrant = ipa.quadrants(
        fit.attributes["relative_weight_pct"], data_grid.attributes["mean_performance"], rw_crosshair
    )
    attributes = {}
    for x in xs:
        a, g = fit.attributes.loc[x], data_grid.attributes.loc[x]
        attributes[x] = {
            "mean_performance": g["mean_performance"],
            "sd_performance": g["sd_performance"],
            "mean_stated_importance": g["mean_importance"],
            "r_with_OS": a["r"],
            "b": a["b"],
            "b_se": a["b_se"],
            "b_t": a["b_t"],
            "b_p": a["b_p"],
            "beta_std": a["beta_std"],
            "pratt": a["pratt"],
            "vif": a["vif"],
            "relative_weight_raw": a["relative_weight"],
            "relative_weight_pct": a["relative_weight_pct"],
            "lmg_raw": a["lmg"],
            "lmg_pct": a["lmg_pct"],
            "quadrant_stated_scale_centred": scale_grid.attributes.loc[x, "quadrant"],
            "quadrant_stated_data_centred": g["quadrant"],
            "quadrant_rw_data_centred": rw_quadrant[x],
        }
    return {
        "n_complete_regression": fit.n,
        "crosshairs": {
            "scale_centred": dict(zip(("imp", "perf"), scale_grid.crosshair, strict=True)),
            "data_centred": dict(zip(("imp", "perf"), data_grid.crosshair, strict=True)),
            "derived_rw_pct": rw_crosshair[0],
        },
        "regression": {
            "r_squared": fit.r_squared,
            "adj_r_squared": fit.adj_r_squared,
            "F": fit.F,
            "df1": fit.df1,
            "df2": fit.df2,
            "intercept": fit.intercept,
            "sum_relative_weights": fit.attributes["relative_weight"].sum(),
            "sum_lmg": fit.attributes["lmg"].sum(),
        },
        "attributes": {x: {k: _plain(v) for k, v in block.items()} for x, block in attributes.items()},
    }


def _prca_block(df: pd.DataFrame, settings: dict[str, Any], xs: list[str]) -> dict[str, Any]:
    prca = ipa.penalty_reward(
        df, TARGET, xs, low_if_le=settings["prca_low_if_le"], high_if_ge=settings["prca_high_if_ge"]
    )
    block: dict[str, Any] = {x: {k: _plain(v) for k, v in prca.attributes.loc[x].items()} for x in xs}
    return block | {"r_squared": prca.r_squared, "intercept": prca.intercept}


def _loyalty_blocks(df: pd.DataFrame, settings: dict[str, Any]) -> dict[str, Any]:
    by_segment = loyalty.nps_by_segment(df[LTR], df[SEGMENT])
    first, second = list(by_segment.segments)[:2]
    diff = loyalty.nps_difference(by_segment.segments[first], by_segment.segments[second])
    matrix = loyalty.satisfaction_loyalty_matrix(
        df[TARGET], df[LTR], satisfied_if_ge=settings["satisfied_if_OS_ge"], loyal_if_ge=settings["loyal_if_LTR_ge"]
    )
    scale = tuple(settings.get("satisfaction_scale", SATISFACTION_SCALE))
    index = loyalty.acsi_index(
        df, [TARGET, *_numbered(df.columns, "CSI")], scale=scale, weights=settings["acsi_weights"]
    )
    return {
        "nps": _nps_block(loyalty.nps(df[LTR])),
        "nps_by_segment": {s: _nps_block(r) for s, r in by_segment.segments.items()},
        "nps_segment_chisq": {"X2": by_segment.chi2, "df": by_segment.chi2_df, "p": by_segment.chi2_p},
        "nps_difference": {
            "segments": [first, second],
            "diff": diff.diff,
            "se": diff.se,
            "z": diff.z,
            "p_two_sided": diff.p_two_sided,
        },
        "satisfaction_loyalty_matrix": {
            "loyalists": matrix.loyalists,
            "mercenaries": matrix.mercenaries,
            "hostages": matrix.hostages,
            "defectors": matrix.defectors,
        },
        "acsi_style": {
            "item_index": {k: float(v) for k, v in index.item_index.items()},
            "equal_weight_index_mean_of_respondents": index.respondent_mean_index,
            "weighted_index": index.weighted_index,
            "OS_top2box_pct": loyalty.top_box(df[TARGET], scale_max=int(scale[1]), boxes=2).pct,
            "OS_topbox_pct": loyalty.top_box(df[TARGET], scale_max=int(scale[1]), boxes=1).pct,
        },
    }


def compute(case: dict[str, Any], reference_dir: Path) -> dict[str, Any]:
    df = pd.read_csv(reference_dir / case["data_file"])
    settings = case["settings"]
    xs = _numbered(df.columns, "X")
    imps = [f"I{x[1:]}" for x in xs]
    return (
        _importance_blocks(df, settings, xs, imps)
        | {"prca": _prca_block(df, settings, xs)}
        | _loyalty_blocks(df, settings)
        | {"segments_OS": segments.compare(df[TARGET], df[SEGMENT]).to_dict()}
    )
