"""Every case in the peer's reference folder, every block, every field.

The folder comes from ``SURVEYKIT_REFERENCE_DIR`` (default ``../shared/reference``
beside the project).  Cases are discovered by their ``kind``; a new folder in the
same layout is checked with no code change.  Each kind has an adapter module
(``refcase_<family>.py`` beside this file) that reads the case's data, calls the
public ``analysis`` API and returns, per block, a nested dict under the peer's
field names.  This module compares every expected leaf with it.
"""
from __future__ import annotations

import functools
import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import refcase_ipa  # noqa: E402
import refcase_kano  # noqa: E402
import refcase_reliability  # noqa: E402
import refcase_servqual  # noqa: E402

ADAPTERS = {
    "reliability": refcase_reliability,
    "omega": refcase_reliability,
    "cfa_reliability": refcase_reliability,
    "servqual": refcase_servqual,
    "kano": refcase_kano,
    "ipa": refcase_ipa,
}

# Top-level keys that are inputs or provenance, not expected output (README: "Inputs
# are data_file, items, reverse_keyed, scale_min/scale_max, settings, coding,
# dimensions_definition and model; everything else is expected output").
INPUT_KEYS = {
    "case_id", "kind", "description", "data_file", "items", "reverse_keyed", "scale_min",
    "scale_max", "settings", "coding", "dimensions_definition", "model", "nfactors",
    "peer", "peer_call", "tolerance_abs", "note",
}
# Keys inside a block that describe how it was produced rather than what came out.
META_KEYS = {"peer_call", "note", "tolerance_abs", "seed", "n_iter"}
# The README says not to match these: psych's split-half mean divides by the wrong
# count for odd k (for k = 3 it even exceeds the max); split_half_all_std is the target.
NOT_TO_MATCH = {("split_half_psych", "mean"), ("split_half_psych", "n_splits_examined")}


def _is_input(key: str, value: Any) -> bool:
    # `items` is an input (the item names) in reliability cases and an output
    # block (per-item statistics) in SERVQUAL cases.
    if key == "items":
        return isinstance(value, list)
    return key in INPUT_KEYS


def reference_dir() -> Path:
    """``SURVEYKIT_REFERENCE_DIR``, else ``../shared/reference`` beside the checkout.

    A checkout nested deeper (a CI work folder) finds the nearest ``shared/reference``
    above it.
    """
    if "SURVEYKIT_REFERENCE_DIR" in os.environ:
        return Path(os.environ["SURVEYKIT_REFERENCE_DIR"])
    root = Path(__file__).resolve().parents[2]
    for folder in root.parents:
        if (folder / "shared" / "reference" / "expected").is_dir():
            return folder / "shared" / "reference"
    return root.parent / "shared" / "reference"


def _cases() -> list[dict[str, Any]]:
    folder = reference_dir() / "expected"
    if not folder.is_dir():
        raise RuntimeError(f"reference folder {folder} not found; set SURVEYKIT_REFERENCE_DIR")
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


def _params() -> list[Any]:
    params = []
    for case in _cases():
        if case["kind"] not in ADAPTERS:
            raise RuntimeError(f"{case['case_id']}: no adapter for kind {case['kind']!r}")
        for block in case:
            if not _is_input(block, case[block]):
                params.append(pytest.param(case["case_id"], block, id=f"{case['case_id']}-{block}"))
    return params


@functools.cache
def _case(case_id: str) -> dict[str, Any]:
    path = reference_dir() / "expected" / f"{case_id}.json"
    return json.loads(path.read_text(encoding="utf-8"))


@functools.cache
def _computed(case_id: str) -> dict[str, Any]:
    case = _case(case_id)
    return ADAPTERS[case["kind"]].compute(case, reference_dir())


def _compare(expected: Any, actual: Any, tol: float, path: str, block: str, errors: list[str]) -> None:
    if isinstance(expected, dict):
        tol = expected.get("tolerance_abs", tol)
        if not isinstance(actual, dict):
            errors.append(f"{path}: expected a mapping, got {actual!r}")
            return
        for key, value in expected.items():
            if key in META_KEYS or (block, key) in NOT_TO_MATCH and path == block:
                continue
            if key not in actual:
                errors.append(f"{path}.{key}: not computed")
                continue
            _compare(value, actual[key], tol, f"{path}.{key}", block, errors)
    elif isinstance(expected, list):
        if not isinstance(actual, (list, tuple)) or len(actual) != len(expected):
            errors.append(f"{path}: expected {expected!r}, got {actual!r}")
            return
        for i, (e, a) in enumerate(zip(expected, actual)):
            _compare(e, a, tol, f"{path}[{i}]", block, errors)
    elif expected is None:
        if not (actual is None or (isinstance(actual, float) and math.isnan(actual))):
            errors.append(f"{path}: expected null (not defined), got {actual!r}")
    elif isinstance(expected, bool) or isinstance(expected, str):
        if actual != expected:
            errors.append(f"{path}: expected {expected!r}, got {actual!r}")
    else:
        try:
            ok = abs(float(actual) - float(expected)) <= tol
        except (TypeError, ValueError):
            ok = False
        if not ok:
            errors.append(f"{path}: expected {expected!r} ± {tol:g}, got {actual!r}")


@pytest.mark.parametrize(("case_id", "block"), _params())
def test_reference(case_id: str, block: str) -> None:
    case = _case(case_id)
    computed = _computed(case_id)
    assert block in computed, f"{case_id}: block {block!r} not computed"
    errors: list[str] = []
    _compare(case[block], computed[block], case.get("tolerance_abs", 1e-8), block, block, errors)
    assert not errors, f"{case_id}: {len(errors)} field(s) differ:\n" + "\n".join(errors[:40])


def test_every_kind_has_cases() -> None:
    kinds = {case["kind"] for case in _cases()}
    assert kinds <= set(ADAPTERS), kinds - set(ADAPTERS)
