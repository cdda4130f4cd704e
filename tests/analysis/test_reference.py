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
from dataclasses import dataclass, replace
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
    "case_id",
    "kind",
    "description",
    "data_file",
    "items",
    "reverse_keyed",
    "scale_min",
    "scale_max",
    "settings",
    "coding",
    "dimensions_definition",
    "model",
    "nfactors",
    "peer",
    "peer_call",
    "tolerance_abs",
    "note",
    "tolerance_abs_se",
    "tolerance_abs_ci",
    "tolerance_rel",
}
# Keys inside a block that describe how it was produced rather than what came out.
META_KEYS = {
    "peer_call",
    "note",
    "tolerance_abs",
    "seed",
    "n_iter",
    "tolerance_abs_se",
    "tolerance_abs_ci",
    "tolerance_rel",
}
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
            params.append(
                pytest.param(case["case_id"], None, id=case["case_id"], marks=pytest.mark.skip(reason=reason))
            )
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


@dataclass(frozen=True)
class Tolerance:
    """How close a number must be: |got − expected| ≤ tol + rel·|expected|.

    ``tol`` is ``tolerance_abs`` for estimates; a case may declare ``tolerance_abs_se`` for every
    ``se``/``se_*`` field, ``tolerance_abs_ci`` for CI bounds (``ci``, ``ci_95``...) and
    ``tolerance_rel`` (WEIGHTING.md, "Tolerances"); a case that declares none of them is
    compared with ``tolerance_abs`` alone, as before.
    """

    abs: float
    se: float | None = None
    ci: float | None = None
    rel: float = 0.0

    @classmethod
    def of(cls, case: dict[str, Any]) -> Tolerance:
        return cls(
            case.get("tolerance_abs", 1e-8),
            case.get("tolerance_abs_se"),
            case.get("tolerance_abs_ci"),
            case.get("tolerance_rel", 0.0),
        )

    def for_key(self, key: str) -> Tolerance:
        """The tolerance of the field ``key``: its SE or CI bound tolerance when the case gives one."""
        if self.se is not None and (key == "se" or key.startswith("se_")):
            return replace(self, abs=self.se)
        if self.ci is not None and key.startswith("ci"):
            return replace(self, abs=self.ci)
        return self

    def allows(self, expected: float, actual: float) -> bool:
        return abs(actual - expected) <= self.abs + self.rel * abs(expected)


def _compare(expected: Any, actual: Any, tol: Tolerance, path: str, block: str, errors: list[str]) -> None:
    if isinstance(expected, dict):
        if "tolerance_abs" in expected:
            tol = replace(tol, abs=expected["tolerance_abs"])
        if not isinstance(actual, dict):
            errors.append(f"{path}: expected a mapping, got {actual!r}")
            return
        for key, value in expected.items():
            if key in META_KEYS or ((block, key) in NOT_TO_MATCH and path == block):
                continue
            if key not in actual:
                errors.append(f"{path}.{key}: not computed")
                continue
            _compare(value, actual[key], tol.for_key(key), f"{path}.{key}", block, errors)
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
            ok = tol.allows(float(expected), float(actual))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            spread = f"{tol.abs:g}" + (f" + {tol.rel:g}·|expected|" if tol.rel else "")
            errors.append(f"{path}: expected {expected!r} ± {spread}, got {actual!r}")


@pytest.mark.parametrize(("case_id", "block"), _params())
def test_reference(case_id: str, block: str) -> None:
    case = _case(case_id)
    computed = _computed(case_id)
    assert block in computed, f"{case_id}: block {block!r} not computed"
    errors: list[str] = []
    _compare(case[block], computed[block], Tolerance.of(case).for_key(block), block, block, errors)
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


def test_declared_se_ci_and_relative_tolerances_are_applied() -> None:
    """A case's tolerance_abs_se, tolerance_abs_ci and tolerance_rel are inputs applied to its SEs, CI
    bounds and large numbers, not output blocks; without them every number gets tolerance_abs."""
    case = {"tolerance_abs": 1e-8, "tolerance_abs_se": 1e-6, "tolerance_abs_ci": 2e-6, "tolerance_rel": 1e-10}
    expected = {"mean": 3.0, "se": 0.05, "se_na_rm": 0.05, "ci_95": [2.9, 3.1], "sum": 1e6}

    def errors(actual: dict[str, Any], declared: dict[str, Any]) -> list[str]:
        found: list[str] = []
        _compare(expected, actual, Tolerance.of(declared), "means", "means", found)
        return found

    close = {
        "mean": 3.0 + 5e-9,
        "se": 0.05 + 9e-7,
        "se_na_rm": 0.05 - 9e-7,
        "ci_95": [2.9 + 1.9e-6, 3.1],
        "sum": 1e6 + 9e-5,
    }
    assert errors(close, case) == []
    assert len(errors(close, {"tolerance_abs": 1e-8})) == 4  # the same numbers fail without the declared tolerances
    far = {"mean": 3.0 + 2e-8, "se": 0.05 + 2e-6, "se_na_rm": 0.05, "ci_95": [2.9 + 3e-6, 3.1], "sum": 1e6 + 2e-4}
    assert [e.split(":")[0] for e in errors(far, case)] == ["means.mean", "means.se", "means.ci_95[0]", "means.sum"]
    assert all(not _is_input(k, None) for k in ("weights", "means")) and all(
        _is_input(k, 1e-6) for k in ("tolerance_abs_se", "tolerance_abs_ci", "tolerance_rel")
    )
