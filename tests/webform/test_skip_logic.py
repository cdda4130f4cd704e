"""Skip logic on the server (webform/skip_logic.py)."""
from __future__ import annotations

import json

from tests.support.formclient import ALL_TYPES

from surveykit import load_questionnaire
from webform.skip_logic import (
    clean_answers, condition_json, missing_required, plan, question_variables, visible_screens,
)


def _q():
    return load_questionnaire(ALL_TYPES)


def test_question_variables_follow_the_codebook():
    q = _q()
    names = [v for question in q.questions() for v in question_variables(question)]
    assert names == [v.name for v in q.answer_variables()]


def test_dynamic_questions_are_those_with_a_same_page_condition():
    assert plan(_q()).dynamic == frozenset({"why_young"})


def test_visible_screens_follow_answers():
    q = _q()
    ids = [s.id for s in q.screens()]
    assert [ids[i] for i in visible_screens(q, {}, {})] == ["p1", "p2", "kano"]
    assert [ids[i] for i in visible_screens(q, {"sat": 2}, {})] == ["p1", "p2", "p3", "kano"]


def test_clean_answers_drops_what_no_longer_applies():
    q = _q()
    answers = {"sat": 5, "channel": "phone", "why_app": "x", "fix": "y", "age": 40, "why_young": "z", "unknown": 1}
    assert clean_answers(q, answers, {}) == {"sat": 5, "channel": "phone", "age": 40}
    answers.update(sat=1, channel="app", age=20)
    kept = clean_answers(q, answers, {})
    assert kept["why_app"] == "x" and kept["fix"] == "y" and kept["why_young"] == "z"


def test_missing_required_finds_the_first_incomplete_screen():
    q = _q()
    ids = [s.id for s in q.screens()]
    full = {"sat": 4, "mood": 1, "g1": 1, "g2": 1, "channel": "phone", "extras_wifi": 1, "extras_coffee": 0,
            "extras_tv": 0, "rec": 3, "age": 40, "visit": "2024-01-01", "weights_speed": 50, "weights_price": 50,
            "wifi_kano_f": "like", "wifi_kano_d": "like"}
    assert missing_required(q, full, {}) is None
    assert ids[missing_required(q, {**full, "sat": 1}, {})] == "p3"
    partial = dict(full)
    del partial["g2"]
    assert ids[missing_required(q, partial, {})] == "p1"


def test_condition_json_carries_earlier_answers():
    q = _q()
    question = q.question("why_young")
    data = json.loads(condition_json(question.visible_if, {"sat": 3, "age": 20, "extras_wifi": 1}))
    assert data == {"t": ["c", "<", {"n": "age"}, {"l": 30.0}], "v": {"age": 20}}
