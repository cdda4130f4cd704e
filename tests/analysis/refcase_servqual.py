"""Reference-case adapter for kind = servqual (README: columns E<j>/P<j>, items Q<j>, W_<dim>, segment).

Reads the case's data, calls :func:`analysis.servqual.gap_scores` and returns every output block
under the peer's field names.  Everything is taken from the case (dimensions_definition) and the
data's columns, so other item counts, dimensions or segments need no change here.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import servqual

TEST_KEYS = ("n", "mean", "sd", "se", "t", "df", "p_two_sided", "cohen_dz", "wilcoxon_V", "wilcoxon_p")


def _plain(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


def _test_block(row: pd.Series) -> dict[str, Any]:
    block = {key: _plain(row[key]) for key in TEST_KEYS}
    block["ci_95"] = [_plain(row["ci_low"]), _plain(row["ci_high"])]
    return block


def _pair_columns(item: str) -> tuple[str, str]:
    # README: item Q<j> is the pair E<j> / P<j>.
    number = re.fullmatch(r"Q(\d+)", item)
    if number is None:
        raise ValueError(f"item {item!r} does not follow the Q<j> convention")
    return (f"E{number.group(1)}", f"P{number.group(1)}")


def _alpha(raw: float, std: float) -> dict[str, Any]:
    return {"raw_alpha": _plain(raw), "std_alpha": _plain(std)}


def compute(case: dict[str, Any], reference_dir: Path) -> dict[str, Any]:
    df = pd.read_csv(reference_dir / case["data_file"])
    dimensions = case["dimensions_definition"]
    pairs = {item: _pair_columns(item) for members in dimensions.values() for item in members}
    weight_cols = {d: f"W_{d}" for d in dimensions}
    weights = weight_cols if all(c in df.columns for c in weight_cols.values()) else None
    segment = "segment" if "segment" in df.columns else None
    result = servqual.gap_scores(df, pairs, dimensions, weights=weights, segment=segment)

    items = {
        item: {
            key: _plain(row[key])
            for key in ("dimension", "n_E", "mean_E", "sd_E", "n_P", "mean_P", "sd_P", "mean_E_paired", "mean_P_paired")
        }
        | {"gap": _test_block(row)}
        for item, row in result.items.iterrows()
    }
    dims = {
        d: {
            "items": list(row["items"]),
            "mean_E_score": _plain(row["mean_E_score"]),
            "mean_P_score": _plain(row["mean_P_score"]),
            "gap_from_item_means": _plain(row["gap_from_item_means"]),
            "gap": _test_block(row),
            "alpha_E": _alpha(row["alpha_E"], row["std_alpha_E"]),
            "alpha_P": _alpha(row["alpha_P"], row["std_alpha_P"]),
            "alpha_gap": _alpha(row["alpha_gap"], row["std_alpha_gap"]),
        }
        for d, row in result.dimensions.iterrows()
    }
    overall: dict[str, Any] = {
        score: {
            "n": int(row["n"]),
            "mean": _plain(row["mean"]),
            "sd": _plain(row["sd"]),
            "definition": row["definition"],
        }
        for score, row in result.overall.iterrows()
    }
    if result.mean_weights is not None:
        overall["mean_weights"] = {weight_cols[d]: w for d, w in result.mean_weights.items()}
        overall["aggregate_weighted_servqual"] = result.aggregate_weighted_servqual
    k = len(pairs)
    overall[f"alpha_P_all{k}"] = _alpha(*result.alpha_all.loc["P"])
    overall[f"alpha_E_all{k}"] = _alpha(*result.alpha_all.loc["E"])
    out = {"items": items, "dimensions": dims, "overall": overall}
    if result.segments is not None:
        out["segments_unweighted_servqual"] = result.segments.to_dict()
    return out
