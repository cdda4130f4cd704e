"""Text questions with a codeframe: the loader's checks, ``has_theme`` / ``contains_any`` in alerts,
and a complaint threat opening a case at submit time (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from surveykit import cases, load_questionnaire, storage
from surveykit.errors import QuestionnaireError
from surveykit.expressions import ExpressionError, parse
from surveykit.text import default_codeframe

SURVEY = """\
survey: comments
version: 1
title: {zh: 意见, en: Comments}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
scales:
  a5: {points: 5}
pages:
  - id: p1
    title: {zh: 第一页, en: First}
    questions:
      - {id: sat_overall, type: likert, scale: a5, text: {zh: 满意吗, en: Satisfied?}}
      - {id: comment, type: text, required: false, codeframe: default, text: {zh: 意见, en: Comments}}
      - {id: note, type: text, required: false, text: {zh: 备注, en: Note}}
alerts:
  - id: threat
    when: "comment contains_any ['投诉', '12315', 'lawyer', '律师']"
    priority: urgent
    first_contact_hours: 8
  - id: bad_repair
    when: comment has_theme repair_quality and sat_overall <= 2
"""


def _load(tmp_path: Path, text: str = SURVEY, name: str = "survey.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return load_questionnaire(path)


def _problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(QuestionnaireError) as caught:
        _load(tmp_path, text)
    return [str(p) for p in caught.value.problems]


def test_parse_and_evaluate_text_operators():
    cond = parse("comment contains_any ['投訴', 'LAWYER'] or comment has_theme price")
    bound = cond.bind_codeframes({"comment": default_codeframe()})
    assert bound.evaluate({"comment": "我要去消协投诉"})  # traditional 投訴 matches simplified text
    assert bound.evaluate({"comment": "My lawyer will be in touch"})
    assert bound.evaluate({"comment": "工时费太贵"})
    assert not bound.evaluate({"comment": "服务很好"})
    assert not bound.evaluate({})  # unanswered: unknown, so not true
    assert not cond.evaluate({"comment": "工时费太贵"})  # has_theme without a codeframe is unknown
    assert cond.names()[0].name == "comment"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("comment has_theme", "'has_theme' needs a theme id on its right"),
        ("comment contains_any 'x'", "'contains_any' needs a list of quoted words"),
        ("comment contains_any ['a' 'b']", "expected ',' or ']'"),
        ("comment contains_any ['']", "expected a quoted, non-empty word"),
        ("'x' has_theme price", "needs the id of a text question on its left"),
    ],
)
def test_text_operator_syntax_errors(source, message):
    with pytest.raises(ExpressionError, match=message):
        parse(source)


def test_codeframe_is_loaded_with_the_questionnaire(tmp_path):
    q = _load(tmp_path)
    comment = next(question for question in q.questions() if question.id == "comment")
    assert comment.codeframe == default_codeframe()
    note = next(question for question in q.questions() if question.id == "note")
    assert note.codeframe is None


def test_codeframe_file_beside_the_questionnaire(tmp_path):
    (tmp_path / "frame.yaml").write_text(
        "codeframe: ev\nlanguages: [zh, en]\nthemes:\n  charging:\n    label: {zh: 充电, en: Charging}\n    zh: [充电桩]\n",
        encoding="utf-8",
    )
    text = SURVEY.replace("codeframe: default", "codeframe: frame.yaml").replace("repair_quality", "charging")
    q = _load(tmp_path, text)
    assert q.alerts[1].when.evaluate({"comment": "充电桩坏了", "sat_overall": 1})


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        (
            "codeframe: default",
            "codeframe: ../frame.yaml",
            "survey.yaml:14:63: pages[0].questions[1].codeframe: codeframe '../frame.yaml': give 'default' or a .yaml file inside",
        ),
        (
            "codeframe: default",
            "codeframe: /etc/passwd",
            "give 'default' or a .yaml file inside the questionnaire's folder",
        ),
        ("codeframe: default", "codeframe: none.yaml", "codeframe file 'none.yaml' not found"),
        (
            "has_theme repair_quality",
            "has_theme repair_qualty",
            "survey.yaml:22:29: alerts[1].when: in 'comment has_theme repair_qualty and sat_overall <= 2', 'repair_qualty' is not a theme of the codeframe of 'comment'; did you mean 'repair_quality'?",
        ),
        (
            "comment has_theme repair_quality",
            "note has_theme price",
            "'note' has no codeframe; give the question codeframe: default",
        ),
        (
            "comment contains_any",
            "sat_overall contains_any",
            "'contains_any' needs a text question; 'sat_overall' is not one",
        ),
        (
            "required: false, text: {zh: 备注",
            "required: false, visible_if: comment has_theme price, text: {zh: 备注",
            "'has_theme' may only be used in alerts, not in visible_if",
        ),
        ("id: note, type: text,", "id: note, type: likert, scale: a5, codeframe: default,", "unknown key 'codeframe'"),
    ],
)
def test_loader_checks_text_operators_and_codeframes(tmp_path, replace, by, message):
    assert replace in SURVEY
    problems = _problems(tmp_path, SURVEY.replace(replace, by))
    assert any(message in p for p in problems), problems


def test_bad_codeframe_file_is_reported_at_its_own_lines(tmp_path):
    (tmp_path / "frame.yaml").write_text(
        "codeframe: ev\nlanguages: [zh]\nthemes:\n  price:\n    label: {zh: 价格}\n    zh: [價格]\n", encoding="utf-8"
    )
    problems = _problems(tmp_path, SURVEY.replace("codeframe: default", "codeframe: frame.yaml"))
    assert any(
        p.startswith(f"{tmp_path / 'frame.yaml'}:6:10: themes.price.zh[0]: '價格' never matches") for p in problems
    )


def test_complaint_threat_opens_a_case_the_same_day(tmp_path, engine):
    q = _load(tmp_path)
    storage.register_version(engine, q, SURVEY)

    def submit(answers):
        storage.save_response(engine, q, answers, key=uuid.uuid4().hex, language="zh", fields={"dealer": "D01"})

    submit({"sat_overall": 4, "comment": "再这样我就打12315投诉"})
    submit({"sat_overall": 1, "comment": "刹车修完还是有异响"})
    submit({"sat_overall": 4, "comment": "刹车修完还是有异响"})  # has the theme, but satisfied
    submit({"sat_overall": 1, "comment": "等太久了"})  # unhappy, but not about the repair
    opened = sorted((c.alert, c.priority) for c in cases.list_cases(engine))
    assert opened == [("bad_repair", "normal"), ("threat", "urgent")]
    threat = next(c for c in cases.list_cases(engine) if c.alert == "threat")
    assert (threat.first_contact_due - threat.created_at).total_seconds() == 8 * 3600


def test_dump_keeps_the_codeframe(tmp_path):
    from surveykit.dump import dump_questionnaire

    q = _load(tmp_path)
    again = _load(tmp_path, dump_questionnaire(q), "again.yaml")
    assert next(x for x in again.questions() if x.id == "comment").codeframe == default_codeframe()
    assert again.alerts[1].when.evaluate({"comment": "刹车修完还是有异响", "sat_overall": 1})
