"""Open links per unit of an anonymous survey: the unit travels signed, nobody is named, tampering is refused."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from surveykit.cli import main
from surveykit.unit_links import read_unit_token, unit_token
from tests.support.formclient import Respondent, frame, write

SECRET = "test-secret-key-0123456789"
ES = """\
survey: staff_pulse
version: 1
title: {zh: 员工调查, en: Staff pulse}
languages: [zh, en]
anonymous: {min_n: 5}
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
  department:
    label: {zh: 部门, en: Department}
    values: {sales: {zh: 销售, en: Sales}, service: {zh: 售后, en: Service}}
scales:
  a5: {points: 5}
pages:
  - id: p
    questions:
      - {id: sat_job, type: likert, scale: a5, text: {zh: 满意吗, en: Satisfied?}}
"""
CUSTOMERS = ES.replace("survey: staff_pulse", "survey: customers").replace("anonymous: {min_n: 5}\n", "")


@pytest.fixture
def unit_app(make_app):
    return make_app(ES, CUSTOMERS, SECRET_KEY=SECRET)


def test_a_unit_link_stores_the_unit_and_no_invitation(unit_app):
    token = unit_token(SECRET, "staff_pulse", {"dealer": "DE01", "department": "sales"})
    for _ in range(2):  # the same link serves everyone in the unit
        who = Respondent(unit_app.test_client())
        page = who.get(f"/s/staff_pulse?t={token}")
        assert page.status == 200
        done = who.post(page, {"q_sat_job": "4"})
        assert done.status == 200 and "/thanks" in done.url
    df = frame(unit_app, "staff_pulse")
    assert len(df) == 2 and set(df["dealer"]) == {"DE01"} and set(df["department"]) == {"sales"}


@pytest.mark.parametrize(
    "token",
    [
        unit_token(SECRET, "staff_pulse", {"dealer": "DE01"})[:-3] + "AAA",  # signature tampered
        unit_token("another-secret-key-987654", "staff_pulse", {"dealer": "DE01"}),  # not our key
        unit_token(SECRET, "customers", {"dealer": "DE01"}),  # another survey's link
        unit_token(SECRET, "staff_pulse", {"dealer": "DE01", "department": "hr"}),  # an undeclared value
        unit_token(SECRET, "staff_pulse", {"branch": "BR1"}),  # an undeclared field
        "u.not-a-token",
    ],
    ids=["tampered", "other-key", "other-survey", "bad-value", "bad-field", "garbage"],
)
def test_bad_unit_links_are_unknown_invitations(unit_app, token):
    page = Respondent(unit_app.test_client()).get(f"/s/staff_pulse?t={token}")
    assert page.status == 404 and "Traceback" not in page.text


def test_a_survey_that_is_not_anonymous_takes_no_unit_link(unit_app):
    token = unit_token(SECRET, "customers", {"dealer": "DE01"})
    assert Respondent(unit_app.test_client()).get(f"/s/customers?t={token}").status == 404


def test_editing_the_payload_breaks_the_signature():
    token = unit_token(SECRET, "staff_pulse", {"dealer": "DE01"})
    assert read_unit_token(SECRET, token) == ("staff_pulse", {"dealer": "DE01"})
    forged = token.replace(token.split(".")[1], unit_token(SECRET, "staff_pulse", {"dealer": "DE02"}).split(".")[1])
    assert read_unit_token(SECRET, forged) is None


def test_cli_prints_a_link_per_unit(tmp_path, unit_app):
    path = write(tmp_path, "es.yaml", ES)
    result = CliRunner().invoke(
        main,
        ["unit-links", path, "--base-url", "https://s.example", "--field", "dealer=DE01,DE02"],
        env={"SURVEYKIT_SECRET_KEY": SECRET},
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 4  # 2 dealers x the 2 declared departments
    unit, url = lines[0].split("\t")
    assert unit == "dealer=DE01 department=sales"
    assert read_unit_token(SECRET, url.split("?t=")[1]) == ("staff_pulse", {"dealer": "DE01", "department": "sales"})
    refused = CliRunner().invoke(
        main,
        ["unit-links", write(tmp_path, "c.yaml", CUSTOMERS), "--base-url", "x"],
        env={"SURVEYKIT_SECRET_KEY": SECRET},
    )
    assert refused.exit_code == 1 and "not anonymous" in refused.output
