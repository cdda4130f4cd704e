"""`surveykit cases list | show | export | recovery` on SQLite and PostgreSQL, and cases from `simulate --db`."""

from __future__ import annotations

import csv
import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from surveykit import cases, load_questionnaire, storage
from surveykit.cli import main

ROOT = Path(__file__).resolve().parents[2]
CSI = ROOT / "questionnaires" / "dealer_aftersales_csi.yaml"
UNHAPPY = {"sat_overall": 1, "recommend": 3, "complaint": '=HYPERLINK("http://evil") the car is still noisy'}


def run(*args: str) -> Any:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result


@pytest.fixture
def csi(engine: Any) -> Any:
    q = load_questionnaire(CSI)
    storage.register_version(engine, q, CSI.read_text(encoding="utf-8"))
    return q


def submit(engine: Any, q: Any, department: str = "mechanical", dealer: str = "D01") -> None:
    storage.save_response(
        engine, q, UNHAPPY, key=uuid.uuid4().hex, language="zh", fields={"dealer": dealer, "department": department}
    )


def test_list_show_and_export(db_url, engine, csi):
    submit(engine, csi)
    submit(engine, csi, department="body_paint", dealer="D02")
    cases.move(engine, 2, "verified", actor="alice", note="called the customer")
    out = run("cases", "list", "--db", db_url)
    assert out.exit_code == 0
    assert "#1  open" in out.output and "#2  verified" in out.output and "2 case(s)" in out.output
    listed = json.loads(run("cases", "list", "--db", db_url, "--department", "body_paint", "--format", "json").output)
    assert [(c["id"], c["state"], c["dealer"]) for c in listed] == [(2, "verified", "D02")]
    assert listed[0]["first_contact_at"].endswith("Z") and listed[0]["overdue"] is False
    assert run("cases", "list", "--db", db_url, "--state", "closed").output == "no cases\n"
    assert run("cases", "list", "--db", db_url, "--overdue").output == "no cases\n"

    shown = run("cases", "show", "2", "--db", db_url).output
    assert "case #2: Dissatisfied or detractor  [verified – Verified]" in shown
    assert "Overall satisfaction: 1 – Very dissatisfied" in shown and "the car is still noisy" in shown
    assert "alice        open → verified: called the customer" in shown
    detail = json.loads(run("cases", "show", "2", "--db", db_url, "--format", "json").output)
    assert detail["response"]["answers"]["sat_overall"] == 1 and detail["response"]["fields"]["dealer"] == "D02"
    assert [e["kind"] for e in detail["events"]] == ["opened", "moved"]
    assert [(m["kind"], m["status"]) for m in detail["messages"]] == [("new_case", "pending")]
    history = list(csv.DictReader(io.StringIO(run("cases", "show", "2", "--db", db_url, "--format", "csv").output)))
    assert [h["to_state"] for h in history] == ["open", "verified"]

    exported = list(csv.DictReader(io.StringIO(run("cases", "export", "--db", db_url).output)))
    assert [r["case_id"] for r in exported] == ["2", "1"] or [r["case_id"] for r in exported] == ["1", "2"]
    assert list(exported[0]) == list(cases.CASE_COLUMNS)
    full = json.loads(run("cases", "export", "--db", db_url, "--format", "json", "--dealer", "D01").output)
    assert [c["id"] for c in full] == [1] and full[0]["events"][0]["kind"] == "opened"


def test_unknown_case_and_state(db_url, engine, csi):
    result = CliRunner().invoke(main, ["cases", "show", "7", "--db", db_url])
    assert result.exit_code == 1 and "error: no case #7" in result.output
    result = CliRunner().invoke(main, ["cases", "list", "--db", db_url, "--state", "limbo"])
    assert result.exit_code == 2 and "unknown state 'limbo'" in result.output


def test_export_to_a_file_defuses_formulas(db_url, engine, csi, tmp_path):
    submit(engine, csi, department="=cmd|' /C calc'!A0")
    target = tmp_path / "cases.csv"
    result = run("cases", "export", "--db", db_url, "-o", str(target))
    assert result.exit_code == 0
    row = next(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert row["department"] == "'=cmd|' /C calc'!A0"


def test_recovery_link_for_a_closed_case(db_url, engine, csi):
    submit(engine, csi)
    result = CliRunner().invoke(main, ["cases", "recovery", "1", "--db", db_url, "--by", "alice"])
    assert result.exit_code == 1 and "still 'open'" in result.output
    cases.move(engine, 1, "closed_without_action", actor="alice", note="customer could not be reached")
    result = CliRunner().invoke(
        main, ["cases", "recovery", "1", "--db", db_url, "--by", "alice", "--base-url", "https://cx.example.com/"]
    )
    assert result.exit_code == 0
    link = result.stdout.strip()
    assert link.startswith("https://cx.example.com/s/recovery?t=")
    state = storage.lookup_invitation(engine, link.split("t=")[1])
    assert state.open and state.fields == {"case_id": "1", "dealer": "D01", "department": "mechanical"}
    assert cases.events_of(engine, 1)[-1].actor == "alice"


def test_simulate_into_the_database_opens_cases(tmp_path):
    # SQLite only: the simulate command leaves its engine to the garbage collector, which psycopg
    # would report; save_frame's path is the one save_response takes, tested on both backends
    db_url = f"sqlite:///{tmp_path}/sim.sqlite3"
    result = run(
        "simulate",
        str(CSI),
        "-n",
        "40",
        "--seed",
        "5",
        "--db",
        db_url,
        "--field",
        "dealer=D1,D2",
        "--field",
        "department=mechanical,express",
    )
    assert result.exit_code == 0
    listed = json.loads(run("cases", "list", "--db", db_url, "--format", "json").output)
    assert listed and {c["survey"] for c in listed} == {"dealer_aftersales_csi"}
    assert {c["department"] for c in listed if c["alert"] == "unhappy"} <= {"mechanical", "express"}
    again = run(
        "simulate",
        str(CSI),
        "-n",
        "40",
        "--seed",
        "5",
        "--db",
        db_url,
        "--field",
        "dealer=D1,D2",
        "--field",
        "department=mechanical,express",
    )
    assert "were there already" in again.output
    assert len(json.loads(run("cases", "list", "--db", db_url, "--format", "json").output)) == len(listed)


def test_report_from_the_database_has_the_recovery_section(tmp_path):
    db_url = f"sqlite:///{tmp_path}/rep.sqlite3"
    run("simulate", str(CSI), "-n", "30", "--seed", "5", "--db", db_url, "--field", "department=mechanical")
    engine = storage.make_engine(db_url)
    first = cases.list_cases(engine)[0]
    cases.move(engine, first.id, "verified", actor="alice")
    engine.dispose()
    target = tmp_path / "report.html"
    result = run("report", str(CSI), "--db", db_url, "-o", str(target), "--lang", "en")
    assert result.exit_code == 0, result.output
    html = target.read_text(encoding="utf-8")
    assert '<section id="recovery">' in html and "Time to first contact" in html
