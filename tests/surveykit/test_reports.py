"""What a report of a stored survey reads from the store (surveykit/reports.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from surveykit import cases, load_questionnaire, storage
from surveykit.database import invitations, metadata, responses, survey_versions, write_transaction
from surveykit.reports import LOST_SURVEY, report_data
from surveykit.simulate import simulate

FOLLOW_UP_YAML = """\
survey: follow_up
version: 1
title: {zh: 回访, en: Follow-up}
languages: [zh, en]
fields:
  department: {label: {zh: 部门, en: Department}}
scales:
  sat5: {points: 5, labels: {1: {zh: 很不满意, en: Very dissatisfied}, 5: {zh: 很满意, en: Very satisfied}}}
pages:
  - id: p
    title: {zh: 问题, en: Questions}
    questions:
      - {id: sat, type: likert, scale: sat5, text: {zh: 满意吗, en: Satisfied}}
alerts:
  - id: unhappy
    when: sat <= 2
    department: {field: department}
    priority: high
    first_contact_hours: 24
"""


@pytest.fixture
def follow_up(tmp_path: Path) -> Any:
    path = tmp_path / "follow_up.yaml"
    path.write_text(FOLLOW_UP_YAML, encoding="utf-8")
    return load_questionnaire(path)


def _submit(engine: Any, q: Any, sat: int) -> None:
    storage.save_response(
        engine, q, {"sat": sat}, key=uuid.uuid4().hex, language="en", fields={"department": "service"}
    )


def test_report_data_reads_responses_cases_and_the_lost_customers(engine, follow_up):
    storage.register_version(engine, follow_up, FOLLOW_UP_YAML)
    for sat in (1, 4, 5):
        _submit(engine, follow_up, sat)
    cases.move(engine, cases.list_cases(engine)[0].id, "verified", actor="alice")
    got = report_data(engine, follow_up)
    assert got.responses["sat"].tolist() == [1.0, 4.0, 5.0]
    assert got.cases["state"].tolist() == ["verified"] and got.lost is None
    lost_path = cases.recovery_questionnaire_path().parent / f"{LOST_SURVEY}.yaml"
    lost = load_questionnaire(lost_path)
    storage.register_version(engine, lost, lost_path.read_text(encoding="utf-8"))
    storage.save_frame(engine, lost, simulate(lost, 12, seed=1))
    got = report_data(engine, follow_up)
    assert got.lost[0].survey == LOST_SURVEY and len(got.lost[1]) == 12
    own = report_data(engine, lost)
    assert len(own.responses) == 12 and own.lost is None  # its own report draws the reasons
    assert set(own.cases["survey"]) <= {LOST_SURVEY}  # only its own cases


def test_report_data_of_a_store_from_before_cases(tmp_path, follow_up):
    engine = storage.make_engine(f"sqlite:///{tmp_path}/old.sqlite3")
    with write_transaction(engine) as conn:
        metadata.create_all(conn, tables=[survey_versions, invitations, responses])
    storage.register_version(engine, follow_up, FOLLOW_UP_YAML)
    got = report_data(engine, follow_up)
    assert got.responses.empty and list(got.responses.columns) == list(follow_up.columns())
    assert got.cases is None and got.lost is None
    engine.dispose()
