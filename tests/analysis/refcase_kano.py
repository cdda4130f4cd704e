"""Reference-case adapter for kind = kano (README: columns F<j>, D<j>, SI<j>; attributes attr<j>).

The answer coding, evaluation table, DuMouchel scores and tie order are read from the case's
``coding`` block and handed to :func:`analysis.kano.evaluate_pairs`; attributes are found from the
data's F<j>/D<j> columns, so other attribute counts need no change here.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import kano


def _plain(value: Any) -> Any:
    value = value.item() if hasattr(value, "item") else value
    return None if isinstance(value, float) and math.isnan(value) else value


def _surveykit_code(label: str) -> str:
    # The peer writes "must-be"/"live-with"; surveykit stores must_be/live_with.
    return label.replace("-", "_")


def compute(case: dict[str, Any], reference_dir: Path) -> dict[str, Any]:
    df = pd.read_csv(reference_dir / case["data_file"])
    coding = case["coding"]
    codes = {int(number): _surveykit_code(label) for number, label in coding["answers"].items()}
    order = [codes[number] for number in sorted(codes)]
    table = {
        f: dict(zip(order, row, strict=True))
        for f, row in zip(order, coding["rows_functional_cols_dysfunctional"], strict=True)
    }
    f_scores = {_surveykit_code(k): v for k, v in coding["dumouchel_functional"].items()}
    d_scores = {_surveykit_code(k): v for k, v in coding["dumouchel_dysfunctional"].items()}

    numbers = sorted(int(m.group(1)) for c in df.columns if (m := re.fullmatch(r"F(\d+)", c)))
    attributes = {f"attr{j}": (f"F{j}", f"D{j}", f"SI{j}" if f"SI{j}" in df.columns else None) for j in numbers}
    answers = df.copy()
    for f_col, d_col, _ in attributes.values():
        answers[f_col] = df[f_col].map(codes)
        answers[d_col] = df[d_col].map(codes)
    result = kano.evaluate_pairs(
        answers,
        attributes,
        table=table,
        tie_order=coding["tie_break_order"],
        functional_scores=f_scores,
        dysfunctional_scores=d_scores,
    )

    out = {}
    for attr, r in result.attributes.iterrows():
        out[attr] = {
            "n_valid": _plain(r["n_valid"]),
            "counts": {c: _plain(r[c]) for c in kano.CATEGORIES},
            "percent": {c: _plain(r[f"pct_{c}"]) for c in kano.CATEGORIES},
            "dominant": r["dominant"],
            "second": r["second"],
            "tie_at_top": bool(r["tie_at_top"]),
            "better": _plain(r["better"]),
            "worse": _plain(r["worse"]),
            "fong": {
                "a": _plain(r["fong_a"]),
                "b": _plain(r["fong_b"]),
                "abs_diff": _plain(r["fong_abs_diff"]),
                "critical": _plain(r["fong_critical"]),
                "significant": bool(r["fong_significant"]),
            },
        } | {
            key: _plain(r[key])
            for key in (
                "category_strength_pct",
                "total_strength_pct",
                "dumouchel_functional_mean",
                "dumouchel_dysfunctional_mean",
                "self_stated_importance_mean",
            )
        }
    return {"attributes": out}
