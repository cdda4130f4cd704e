"""The Flask-free rules of a posted screen (webform/answers.py): no app, no request context."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import webform
from surveykit import load_questionnaire
from tests.support.formclient import ALL_TYPES
from webform.answers import (
    Step,
    answers_before,
    declared_fields,
    draft_delta,
    known_answers,
    merge_answers,
    next_step,
)

P1 = {
    "sat": 4,
    "mood": 1,
    "g1": 1,
    "g2": 1,
    "channel": "phone",
    "extras_wifi": 1,
    "extras_coffee": 0,
    "extras_tv": 0,
    "rec": 3,
}
P2 = {"age": 40, "visit": "2024-01-01", "weights_speed": 50, "weights_price": 50}
KANO = {"wifi_kano_f": "like", "wifi_kano_d": "like"}
P1_, P2_, P3_, KANO_ = 0, 1, 2, 3  # screen indexes of ALL_TYPES


@pytest.fixture(scope="module")
def q():
    return load_questionnaire(ALL_TYPES)


@pytest.mark.parametrize("module", ["answers.py", "skip_logic.py"])
def test_the_rules_import_no_flask(module):
    """These modules must stay usable without Flask: they import neither flask nor a webform module that does."""
    tree = ast.parse((Path(webform.__file__).parent / module).read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {name for name in imported if name.split(".")[0] in ("flask", "flask_wtf", "werkzeug")}
    assert {name for name in imported if name.startswith("webform")} <= {"webform.skip_logic"}


def test_answers_before_leaves_out_the_screens_own_variables(q):
    answers = {**P1, "age": 40, "why_app": "x"}
    assert answers_before(q, P2_, answers) == P1
    assert answers_before(q, P1_, answers) == {"age": 40, "why_app": "x"}


def test_merge_replaces_the_screen_and_drops_what_no_longer_applies(q):
    earlier = {**P1, "channel": "app", **P2, "why_app": "quick", "comment": "fine"}
    # p1 posted again with another channel: why_app (on p2, shown for the app only) goes; comment (p2) stays
    merged = merge_answers(q, P1_, earlier, {**P1, "channel": "phone"}, {})
    assert merged == {**P1, **P2, "comment": "fine"}
    assert list(merged) == [*P1, "age", "comment", "visit", "weights_speed", "weights_price"]  # questionnaire order
    # p2 posted without the comment: the earlier comment is removed, not kept
    assert "comment" not in merge_answers(q, P2_, earlier, {**P2, "why_app": "quick"}, {})


def test_merge_keeps_a_dynamic_answer_only_while_its_condition_holds(q):
    young = merge_answers(q, P2_, P1, {**P2, "age": 20, "why_young": "cheap"}, {})
    assert young["why_young"] == "cheap"
    old = merge_answers(q, P2_, P1, {**P2, "age": 40, "why_young": "cheap"}, {})
    assert "why_young" not in old


@pytest.mark.parametrize(
    ("index", "answers", "action", "valid", "step"),
    [
        (P2_, {**P1, **P2}, "back", False, Step("back", P1_)),  # back needs no valid answers
        (P1_, P1, "back", True, Step("back", None)),  # back from the first screen: the start
        (P2_, {**P1, **P2}, "next", False, Step("invalid")),
        (P1_, P1, "next", True, Step("next", P2_)),
        (P2_, {**P1, **P2}, "next", True, Step("next", KANO_)),  # p3 does not apply (sat 4)
        (P2_, {**P1, "sat": 1, **P2}, "next", True, Step("next", P3_)),  # p3 applies (sat 1)
        (KANO_, {**P1, **P2, **KANO}, "next", True, Step("submit")),
        (KANO_, {**P1, "sat": 1, **P2, **KANO}, "next", True, Step("earlier", P3_)),  # p3 skipped by a crafted post
        (KANO_, {**P2, **KANO}, "next", True, Step("earlier", P1_)),
    ],
)
def test_next_step(q, index, answers, action, valid, step):
    assert next_step(q, index, answers, {}, action=action, valid=valid) == step


def test_known_answers_of_the_same_version_are_restricted_to_its_variables(q):
    assert known_answers(q, {**P1, "gone": 1}, other_version=False) == P1


def test_known_answers_of_another_version_keep_only_values_that_fit(q):
    # rec is 0..10 and channel one of phone/app in this version: the draft's 12 and 'email' no longer fit
    kept = known_answers(q, {"sat": 4, "rec": 12, "channel": "email", "age": 40, "gone": 1}, other_version=True)
    assert kept == {"sat": 4, "age": 40}


def test_declared_fields_drop_fields_the_version_does_not_declare(q):
    assert declared_fields(q, {"dealer": "D01", "branch": "north"}) == {"dealer": "D01"}


def test_draft_delta_sets_changes_and_removes_with_none():
    old = {"sat": 4, "age": 40, "comment": "x"}
    assert draft_delta(old, {"sat": 4, "age": 41, "rec": 9}) == {"age": 41, "rec": 9, "comment": None}
    assert draft_delta(old, dict(old)) == {}
    assert draft_delta({"spend": 1}, {"spend": 1.0}) == {"spend": 1.0}  # a type change is a change
