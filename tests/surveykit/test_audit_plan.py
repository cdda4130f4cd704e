"""The audit planner (surveykit.audit_plan, `surveykit audit`): plans checked whole, scoped, sampled at random
by region with a seed, and their status planned -> done through the plan's own invitation, overdue, cancelled."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter

import pytest
from click.testing import CliRunner

from surveykit import audit_plan, load_questionnaire, storage
from surveykit.cli import main
from surveykit.orgfile import apply_org, read_org_file

AUDIT = """\
survey: mini_audit
version: 1
title: {zh: 流程检查, en: Process audit}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
pages:
  - id: visit
    questions:
      - id: audit_mode
        type: choice
        text: {zh: 方式, en: Mode}
        options: {covert: {zh: 暗访, en: Covert}, open: {zh: 抽查, en: Open}}
  - id: steps
    questions:
      - id: reception
        type: checklist
        text: {zh: 接待, en: Reception}
        items:
          - {id: greet, critical: true, text: {zh: 出门迎接, en: Walks out to greet}}
          - {id: door, text: {zh: 开车门, en: Opens the door}}
"""
# two regions of 6 and 3 dealers
ORG = (
    "id,parent,level,name_zh,name_en\nNET,,network,全国,Network\nR-N,NET,region,北区,North\nR-S,NET,region,南区,South\n"
    + "".join(f"DE{i:02d},{'R-N' if i <= 6 else 'R-S'},dealer,经销商{i},Dealer {i}\n" for i in range(1, 10))
)
TODAY = dt.date(2026, 3, 10)


@pytest.fixture
def store(engine, tmp_path):
    q = load_questionnaire(AUDIT)
    storage.register_version(engine, q, AUDIT)
    apply_org(engine, read_org_file("org.csv", data=ORG.encode()))
    storage.create_user(engine, "olga", "a long enough passphrase 42", role="auditor", units=["R-N"])
    storage.create_user(engine, "mona", "a long enough passphrase 42", role="manager", units=["R-N"])
    return engine, q


def _request(unit: str = "DE01", **kw):
    values = dict(survey="mini_audit", unit=unit, kind="covert", due=dt.date(2026, 3, 31))
    values.update(kw)
    return audit_plan.PlanRequest(**values)


def test_a_plan_is_planned_then_overdue_then_done_through_its_invitation(store):
    engine, q = store
    (plan_id,) = audit_plan.create_plans(
        engine, [_request(auditor="olga", wave="2026-Q1")], created_by="mona", instruments={"mini_audit"}
    )
    (plan,) = audit_plan.list_plans(engine, today=TODAY)
    assert (plan.id, plan.status, plan.auditor, plan.wave) == (plan_id, "planned", "olga", "2026-Q1")
    assert audit_plan.list_plans(engine, today=dt.date(2026, 4, 1))[0].status == "overdue"

    token = audit_plan.open_plan(engine, plan, q, language="zh")
    state = storage.lookup_invitation(engine, token)
    assert state.open and state.fields == {"dealer": "DE01"}
    draft = storage.load_draft(engine, invitation_id=state.id)
    assert draft is not None and draft.answers == {"audit_mode": "covert"} and draft.fields == {"dealer": "DE01"}
    again = audit_plan.open_plan(engine, plan, q, language="zh")  # a new token; the old one no longer works
    assert storage.lookup_invitation(engine, token).status == "unknown"
    assert storage.lookup_invitation(engine, again).id == state.id

    saved = storage.save_response(
        engine,
        q,
        {"audit_mode": "covert", "greet": "no", "door": "yes"},
        key=uuid.uuid4().hex,
        language="zh",
        invitation_id=state.id,
    )
    (done,) = audit_plan.list_plans(engine, today=dt.date(2026, 4, 1))
    assert (done.status, done.response_id) == ("done", saved.response_id)
    assert not audit_plan.cancel_plan(engine, plan_id)  # done stays done
    with pytest.raises(audit_plan.PlanError, match="done"):
        audit_plan.open_plan(engine, done, q, language="zh")
    assert audit_plan.recently_audited(engine, "mini_audit", since=dt.datetime(2000, 1, 1), today=TODAY) == {"DE01"}


def test_a_branch_audit_carries_the_branch_and_its_dealer(store):
    engine, _ = store
    text = AUDIT.replace("fields:\n", "fields:\n  branch: {label: {zh: 门店, en: Branch}}\n")
    q = load_questionnaire(text)
    storage.register_version(engine, q, text)
    apply_org(engine, read_org_file("org.csv", data=(ORG + "BR11,DE01,branch,东门店,East branch\n").encode()))
    (plan_id,) = audit_plan.create_plans(engine, [_request("BR11")], created_by="mona", instruments={"mini_audit"})
    (plan,) = audit_plan.list_plans(engine, today=TODAY, plan_id=plan_id)
    token = audit_plan.open_plan(engine, plan, q, language="en")
    assert storage.lookup_invitation(engine, token).fields == {"branch": "BR11", "dealer": "DE01"}


def test_cancelled_plans_and_completion_by_unit(store):
    engine, _ = store
    ids = audit_plan.create_plans(
        engine,
        [_request("DE01"), _request("DE01", due=dt.date(2026, 3, 1)), _request("DE02")],
        created_by="mona",
        instruments={"mini_audit"},
    )
    assert audit_plan.cancel_plan(engine, ids[2]) and not audit_plan.cancel_plan(engine, ids[2])
    rows = {c.unit: c for c in audit_plan.completion(audit_plan.list_plans(engine, today=TODAY))}
    assert (rows["DE01"].planned, rows["DE01"].overdue, rows["DE01"].rate) == (1, 1, 0.0)
    assert (rows["DE02"].cancelled, rows["DE02"].rate) == (1, None)
    # an auditor's assignments: theirs and the unassigned ones, within the units asked for
    assert [p.unit for p in audit_plan.list_plans(engine, today=TODAY, auditor="otto", units={"DE02"})] == ["DE02"]


def test_every_problem_is_refused_at_once_and_nothing_is_stored(store):
    engine, _ = store
    bad = [
        _request("DE08"),  # outside the manager's region
        _request("DE01", kind="secret", due=dt.date(2026, 3, 1), window_from=dt.date(2026, 3, 5)),
        _request("DE02", survey="csi", auditor="mona"),  # no audit instrument; mona is no auditor
        _request("DE03", auditor="nobody"),
    ]
    north = {f"DE0{i}" for i in range(1, 7)}
    with pytest.raises(audit_plan.PlanError) as caught:
        audit_plan.create_plans(engine, bad, created_by="mona", instruments={"mini_audit"}, units=north)
    assert {(i, name) for i, name, _ in caught.value.problems} == {
        (0, "unit"),
        (1, "kind"),
        (1, "from"),
        (2, "survey"),
        (2, "auditor"),
        (3, "auditor"),
    }
    with pytest.raises(audit_plan.PlanError, match="'olga' does not audit 'DE08'"):
        audit_plan.create_plans(engine, [_request("DE08", auditor="olga")], created_by="a", instruments={"mini_audit"})
    assert audit_plan.list_plans(engine, today=TODAY) == []


def test_the_spot_check_draw_is_stratified_seeded_and_leaves_out_recent_audits(store):
    engine, _ = store
    strata = audit_plan.unit_strata(audit_plan.org.load_tree(engine), None)
    assert len(strata) == 9 and Counter(strata.values()) == {"R-N": 6, "R-S": 3}
    picked = audit_plan.sample_units(strata, 3, seed=11)
    assert Counter(strata[u] for u in picked) == {"R-N": 2, "R-S": 1}  # 3 x 6/9 and 3 x 3/9
    assert picked == audit_plan.sample_units(strata, 3, seed=11)
    draws = {tuple(audit_plan.sample_units(strata, 3, seed=s)) for s in range(40)}
    assert len(draws) > 10  # a seed changes the draw
    # every unit drawn about equally often over many seeds (n / N = 1/3 each)
    counts = Counter(u for s in range(600) for u in audit_plan.sample_units(strata, 3, seed=s))
    assert all(150 <= counts[u] <= 250 for u in strata), counts
    assert "DE07" not in audit_plan.sample_units(strata, 8, seed=1, exclude={"DE07"})
    assert audit_plan.sample_units(strata, 20, seed=1, exclude={"DE07"}) == sorted(set(strata) - {"DE07"})


def test_the_cli_plans_a_quarter_from_a_csv_draws_spot_checks_and_reports_completion(store, db_url, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "survey,unit,kind,due,auditor\nmini_audit,DE01,covert,2026-03-31,olga\nmini_audit,DE02,open,31.3.2026,\nmini_audit,DE99,open,2026-03-31,\n"
    )
    result = CliRunner().invoke(main, ["audit", "plan", str(bad), "--db", db_url])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"error: {bad}:3:4: due: '31.3.2026' is not a date (YYYY-MM-DD)"]
    bad.write_text(
        "survey,unit,kind,due,auditor\nmini_audit,DE01,covert,2026-03-31,olga\nmini_audit,DE99,open,2026-03-31,\n"
    )
    result = CliRunner().invoke(main, ["audit", "plan", str(bad), "--db", db_url])
    assert result.exit_code == 1 and f"{bad}:3:2: unit: 'DE99' is not a unit of the organisation" in result.output
    good = tmp_path / "q1.csv"
    good.write_text(
        "survey,unit,kind,from,due,auditor,wave\nmini_audit,DE01,covert,2026-03-01,2026-03-31,olga,2026-Q1\n"
    )
    result = CliRunner().invoke(main, ["audit", "plan", str(good), "--db", db_url, "--by", "mona"])
    assert result.exit_code == 0 and "1 audit(s) planned" in result.output
    args = [
        "audit",
        "sample",
        "--db",
        db_url,
        "--survey",
        "mini_audit",
        "-n",
        "2",
        "--seed",
        "5",
        "--due",
        "2026-04-30",
    ]
    result = CliRunner().invoke(main, [*args, "--unit", "R-N"])
    assert result.exit_code == 0, result.output
    drawn = result.output.splitlines()[0].split(": ")[1].split(", ")
    assert "drew 2 of 5 eligible" in result.output and "DE01" not in drawn  # DE01 has a plan to do
    assert all(u in {f"DE0{i}" for i in range(2, 7)} for u in drawn)
    status = CliRunner().invoke(main, ["audit", "status", "--db", db_url]).output.splitlines()
    assert status[0].startswith("unit\tplanned") and len(status) == 4
