"""Skip logic on the server (webform/skip_logic.py)."""

from __future__ import annotations

import json

from surveykit import load_questionnaire
from tests.support.formclient import ALL_TYPES
from webform.skip_logic import (
    applying_questions,
    clean_answers,
    condition_json,
    first_screen,
    missing_required,
    next_screen,
    plan,
    previous_screen,
    question_variables,
    resume_screen,
    shown_questions,
    visible_screens,
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
    full = {
        "sat": 4,
        "mood": 1,
        "g1": 1,
        "g2": 1,
        "channel": "phone",
        "extras_wifi": 1,
        "extras_coffee": 0,
        "extras_tv": 0,
        "rec": 3,
        "age": 40,
        "visit": "2024-01-01",
        "weights_speed": 50,
        "weights_price": 50,
        "wifi_kano_f": "like",
        "wifi_kano_d": "like",
    }
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


def test_neighbouring_screens_skip_those_that_do_not_apply():
    q = _q()
    ids = [s.id for s in q.screens()]
    assert ids[first_screen(q, {})] == "p1"
    assert ids[next_screen(q, 1, {"sat": 4}, {})] == "kano"
    assert ids[next_screen(q, 1, {"sat": 2}, {})] == "p3"
    assert next_screen(q, 3, {}, {}) is None
    assert ids[previous_screen(q, 3, {"sat": 4}, {})] == "p2"
    assert ids[previous_screen(q, 3, {"sat": 2}, {})] == "p3"
    assert previous_screen(q, 0, {}, {}) is None


def test_resume_screen_is_the_one_reached_or_the_next_that_applies():
    q = _q()
    ids = [s.id for s in q.screens()]
    assert ids[resume_screen(q, {"sat": 2}, {}, 2)] == "p3"
    assert ids[resume_screen(q, {"sat": 4}, {}, 2)] == "kano"  # p3 was reached, then hidden by a new answer
    assert ids[resume_screen(q, {}, {}, 9)] == "kano"  # past the end: the last that applies


def test_first_screen_is_none_when_no_screen_applies():
    q = load_questionnaire(
        ALL_TYPES.replace("  - id: p1\n", "  - id: p1\n    visible_if: \"dealer == 'x'\"\n")
        .replace("  - id: p2\n", "  - id: p2\n    visible_if: \"dealer == 'x'\"\n")
        .replace("  - type: kano\n", "  - type: kano\n    visible_if: \"dealer == 'x'\"\n")
    )
    assert first_screen(q, {"dealer": "y"}) is None
    assert first_screen(q, {"dealer": "x"}) == 0


def test_applying_questions_see_the_answers_posted_before_them_on_the_screen():
    q = _q()
    p2 = q.screens()[1]
    posted = {"age": {"age": 20}}
    applying = applying_questions(p2, {"channel": "phone"}, lambda qid: posted.get(qid, {}))
    assert "why_young" in applying and "why_app" not in applying
    older = {"age": {"age": 40}}
    assert "why_young" not in applying_questions(p2, {"channel": "app"}, lambda qid: older.get(qid, {}))
    assert "why_app" in applying_questions(p2, {"channel": "app"}, lambda qid: {})


def test_shown_questions_render_dynamic_ones_with_their_condition():
    q = _q()
    p2 = q.screens()[1]
    shown, conds = shown_questions(q, p2, {"channel": "phone", "age": 40})
    assert "why_young" in shown and "why_app" not in shown  # dynamic: shown, hidden by the script
    assert list(conds) == ["why_young"]
    assert json.loads(conds["why_young"])["v"] == {"age": 40}
