"""The checklist question type: format, loader refusals at their lines, codebook, simulator, exports."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from surveykit import QuestionnaireError, load_questionnaire
from surveykit.export import export
from surveykit.simulate import simulate

ROOT = Path(__file__).resolve().parents[2] / "questionnaires"

HEAD = """\
survey: audit
version: 1
title: {zh: 检查, en: Audit}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
pages:
  - id: step1
    questions:
"""  # 9 lines

STEP = """\
      - id: reception
        type: checklist
        text: {zh: 接待, en: Reception}
        source: {zh: 手册, en: Manual}
        cap: 50
        items:
          - {id: greet, weight: 2, critical: true, text: {zh: 问候, en: Greets}}
          - {id: door, text: {zh: 开门, en: Opens the door}, source: {zh: 品牌标准, en: Brand standard}}
      - id: note
        type: text
        required: false
        visible_if: greet == 'no'
        text: {zh: 说明, en: Why not?}
"""


def load(step: str = STEP):
    return load_questionnaire(HEAD + step)


def problems(step: str) -> list[tuple[int, str]]:
    with pytest.raises(QuestionnaireError) as info:
        load(step)
    return [(p.line, str(p)) for p in info.value.problems]


def test_checklist_loads_with_its_scoring_and_variables():
    q = load()
    question = q.question("reception")
    assert question.type == "checklist" and question.checklist is not None
    greet, door = question.checklist.items
    assert (greet.id, greet.weight, greet.critical) == ("greet", 2.0, True)
    assert (door.weight, door.critical) == (1.0, False)
    assert question.checklist.cap == 50
    assert greet.source["en"] == "Manual" and door.source["en"] == "Brand standard"  # the item's own wins
    v = q.variable("greet")
    assert (v.kind, v.level, v.type, v.question) == ("string", "nominal", "checklist", "reception")
    assert v.codes == ("yes", "no", "na")
    assert [t["zh"] for _, t in v.value_labels] == ["符合", "不符合", "不适用"]
    assert "reception" not in q.columns()  # like a matrix, the checklist itself is no column


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("weight: 2,", "weight: 0,", 16, "a weight is positive, got 0"),
        ("cap: 50", "cap: 120", 14, "cap is a percent of the step's score (0 to 100), got 120"),
        ("critical: true", "critcal: true", 16, "unknown key 'critcal'; did you mean 'critical'?"),
        ("id: door", "id: note", 18, "id 'note' clashes with a checklist item (line 17)"),
        ("greet == 'no'", "greet == 'maybe'", 21, "'maybe'"),
        ("weight: 2,", "weight: two,", 16, "weight"),
    ],
)
def test_bad_checklist_is_reported_at_its_line(old, new, line, message):
    assert old in STEP
    found = problems(STEP.replace(old, new))
    assert any(ln == line and message in text for ln, text in found), found


def test_checklist_without_items_is_refused():
    step = STEP.split("        items:")[0] + "        items: []\n"
    found = problems(step)
    assert [(ln, "a checklist needs at least one item" in t) for ln, t in found] == [(15, True)]


@pytest.mark.parametrize(
    ("name", "steps"),
    [
        ("process_audit_sales.yaml", ["greeting", "vehicle_display", "test_drive", "handover", "phone_enquiry"]),
        (
            "process_audit_aftersales.yaml",
            [
                "appointment",
                "reception",
                "diagnosis",
                "repair_order",
                "cost_discussion",
                "in_progress",
                "work_quality",
                "delivery",
                "follow_up",
            ],
        ),
    ],
)
def test_shipped_audits_have_the_issue_steps_with_sources(name, steps):
    q = load_questionnaire(ROOT / name)
    found = [x for x in q.questions() if x.type == "checklist"]
    assert [x.id for x in found] == steps
    for step in found:
        assert step.checklist is not None and step.checklist.items
        assert all(item.source is not None and item.source["zh"] and item.source["en"] for item in step.checklist.items)
    assert q.question("visit_time").visible_if is not None  # the time of a mystery shop, covert only
    assert q.question("audit_mode").options[0].code == "covert"


def test_simulated_checklists_hold_codes_and_planted_times():
    q = load_questionnaire(ROOT / "process_audit_aftersales.yaml")
    df = simulate(q, 300, seed=2)
    for item in q.question("appointment").checklist.items:
        assert set(df[item.id].dropna()) <= {"yes", "no", "na"}
    assert (df["ap_reminder"] == "na").mean() < 0.15
    covert = df["audit_mode"] == "covert"
    assert df.loc[covert, "visit_time"].str.fullmatch(r"([01][0-9]|2[0-3]):[0-5][0-9]").all()
    assert df.loc[~covert, "visit_time"].isna().all()


def test_unit_shift_plants_dealer_levels_in_compliance():
    q = load_questionnaire(ROOT / "process_audit_sales.yaml")
    df = simulate(q, 2000, seed=4, fields={"dealer": ["good", "bad"]}, unit_shift={"good": 1.0, "bad": -1.0})
    met = (df["gr_walk_out"] == "yes").groupby(df["dealer"]).mean()
    assert met["good"] > met["bad"] + 0.15


def test_sav_export_labels_checklist_answers(tmp_path):
    q = load_questionnaire(ROOT / "process_audit_sales.yaml")
    df = simulate(q, 40, seed=1)
    export(df, q, tmp_path / "a.sav", format="sav", lang="en")
    data, meta = pyreadstat.read_sav(tmp_path / "a.sav")
    labels = meta.variable_value_labels["gr_walk_out"]
    assert {"No, not met", "Not applicable", "Yes, met"} <= set(labels.values())
    assert meta.column_names_to_labels["gr_walk_out"] == "Consultant walks out to greet"
    codes = {v: k for k, v in labels.items()}
    expected = df["gr_walk_out"].map(
        {"yes": codes["Yes, met"], "no": codes["No, not met"], "na": codes["Not applicable"]}
    )
    assert data["gr_walk_out"].tolist() == pd.Series(expected, dtype=float).tolist()


def test_csv_export_round_trips_checklist_codes(tmp_path):
    from surveykit.export import read_table

    q = load_questionnaire(ROOT / "process_audit_aftersales.yaml")
    df = simulate(q, 30, seed=3)
    export(df, q, tmp_path / "a.csv", format="csv")
    back = read_table(tmp_path / "a.csv", q)
    assert back["cd_approval"].tolist() == df["cd_approval"].tolist()
