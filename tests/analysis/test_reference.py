"""Every case in the peer's reference folder, every block, every field.

The folder is ``tests/reference`` in the repository (its README names the peer that
computed the values and how to regenerate them); ``SURVEYKIT_REFERENCE_DIR`` points the
same harness at another folder in the same layout (``data/``, ``expected/``).  Cases are
discovered by their ``kind``; a new folder in the same layout is checked with no code
change.  Each kind has an adapter module (``refcase_<family>.py`` beside this file) that
reads the case's data, calls the public ``analysis`` API and returns, per block, a nested
dict under the peer's field names.  This module compares every expected leaf with it.
In the repository's folder every case must have an adapter; in another folder a case of
a kind without one (a later issue's) is skipped with its kind named.
"""
from __future__ import annotations

import functools
import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

from tests.analysis import (
    refcase_ipa,
    refcase_kano,
    refcase_pls,
    refcase_reliability,
    refcase_servqual,
    refcase_weighting,
)

REPOSITORY = Path(__file__).resolve().parents[2]
DEFAULT_DIR = REPOSITORY / "tests" / "reference"

ADAPTERS = {
    "reliability": refcase_reliability,
    "omega": refcase_reliability,
    "cfa_reliability": refcase_reliability,
    "servqual": refcase_servqual,
    "kano": refcase_kano,
    "ipa": refcase_ipa,
    "pls_pm": refcase_pls,
    "weighting": refcase_weighting,
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
    """``SURVEYKIT_REFERENCE_DIR`` if set, else the repository's ``tests/reference``."""
    return Path(os.environ.get("SURVEYKIT_REFERENCE_DIR") or DEFAULT_DIR)


def _cases(root: Path) -> list[dict[str, Any]]:
    folder = root / "expected"
    if not folder.is_dir():
        raise RuntimeError(f"reference folder {folder} not found (SURVEYKIT_REFERENCE_DIR names another one)")
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


def _params() -> list[Any]:
    params = []
    root = reference_dir()
    for case in _cases(root):
        if case["kind"] not in ADAPTERS:
            if root.resolve() == DEFAULT_DIR:
                raise RuntimeError(f"{case['case_id']}: no adapter for kind {case['kind']!r}")
            reason = f"kind {case['kind']!r} has no adapter yet (it lands with its issue)"
            params.append(pytest.param(case["case_id"], None, id=case["case_id"], marks=pytest.mark.skip(reason=reason)))
            continue
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
            if key in META_KEYS or ((block, key) in NOT_TO_MATCH and path == block):
                continue
            if key not in actual:
                errors.append(f"{path}.{key}: not computed")
                continue
            _compare(value, actual[key], tol, f"{path}.{key}", block, errors)
    elif isinstance(expected, list):
        if not isinstance(actual, (list, tuple)) or len(actual) != len(expected):
            errors.append(f"{path}: expected {expected!r}, got {actual!r}")
            return
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
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


def test_the_shipped_cases_are_in_the_repository_and_cover_every_kind() -> None:
    """The default folder is part of the checkout and has a case of every kind the harness checks.

    A deleted or emptied ``tests/reference`` fails here (and at collection) rather than
    leaving the statistics unchecked; the environment variable plays no part in this test.
    """
    assert DEFAULT_DIR.is_relative_to(REPOSITORY) and (DEFAULT_DIR / "README.md").is_file()
    cases = _cases(DEFAULT_DIR)
    assert {case["kind"] for case in cases} == set(ADAPTERS)
    for case in cases:
        assert (DEFAULT_DIR / case["data_file"]).is_file(), case["case_id"]
