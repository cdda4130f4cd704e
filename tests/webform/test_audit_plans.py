"""The audit planner on the web (webform/audits.py): a regional manager plans and draws spot checks for their
dealers only, the auditor opens an assignment into the audit form with the dealer and the kind filled in, the
response completes the plan, and every unit or plan outside a user's scope is a 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from surveykit import audit_plan, storage
from surveykit.orgfile import apply_org, read_org_file
from tests.support.accounts import PASSWORD, add_users, csrf_token, login
from tests.support.formclient import Respondent, engine_of

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
        text: {zh: 检查方式, en: Audit type}
        options: {covert: {zh: 暗访, en: Mystery shop}, open: {zh: 抽查, en: Spot check}}
      - id: visit_time
        type: text
        visible_if: audit_mode == 'covert'
        text: {zh: 到店时间, en: Time of the visit}
  - id: steps
    questions:
      - id: reception
        type: checklist
        text: {zh: 接待, en: Reception}
        items:
          - {id: greet, critical: true, text: {zh: 出门迎接, en: Walks out to greet}}
          - {id: door, text: {zh: 开车门, en: Opens the door}}
"""
ORG = """\
id,parent,level,name_zh,name_en
NET,,network,全国网络,National network
R-N,NET,region,华北大区,North region
R-S,NET,region,华南大区,South region
DE01,R-N,dealer,北京安达,Anda Beijing
DE02,R-N,dealer,天津顺通,Shuntong Tianjin
DE04,R-N,dealer,石家庄恒信,Hengxin Shijiazhuang
DE03,R-S,dealer,广州华南,Huanan Guangzhou
"""
USERS = {
    "mona": ("manager", {"units": ["R-N"]}),
    "olga": ("auditor", {"units": ["R-N"]}),
    "otto": ("auditor", {"units": ["DE03"]}),
    "ann": ("analyst", {}),
    "sam": ("manager", {"units": ["R-S"]}),
}


@pytest.fixture
def plan_app(make_app: Any, db_url: str) -> Any:
    app = make_app(AUDIT, DATABASE_URL=db_url)
    engine = engine_of(app)
    apply_org(engine, read_org_file("org.csv", data=ORG.encode("utf-8")))
    add_users(engine, USERS)
    return app


def _post(client: Any, url: str, data: dict[str, str]) -> Any:
    token = csrf_token(client.get("/admin/plans/").get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def test_a_manager_plans_the_auditor_does_it_and_the_plan_is_done(plan_app):
    engine = engine_of(plan_app)
    mona, olga, otto = (login(plan_app, name) for name in ("mona", "olga", "otto"))
    due = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    plan = {"survey": "mini_audit", "unit": "DE01", "kind": "covert", "due": due, "auditor": "olga", "wave": "W1"}

    refused = _post(mona, "/admin/plans/", {**plan, "due": "next week"})  # the field to fix, the rest kept
    body = refused.get_data(as_text=True)
    assert refused.status_code == 400 and 'id="p-due-err"' in body and 'value="W1"' in body
    assert _post(mona, "/admin/plans/", {**plan, "unit": "DE03"}).status_code == 404  # another region's dealer
    assert audit_plan.list_plans(engine, today=dt.date.today()) == []
    assert _post(mona, "/admin/plans/", plan).status_code == 303
    (stored,) = audit_plan.list_plans(engine, today=dt.date.today())

    mine = olga.get("/admin/plans/?lang=zh", follow_redirects=True).get_data(as_text=True)
    assert "我的检查任务" in mine and "北京安达" in mine and "待检查" in mine
    assert "北京安达" not in otto.get("/admin/plans/").get_data(as_text=True)
    assert _post(otto, f"/admin/plans/{stored.id}/start", {}).status_code == 404  # not their dealer
    assert _post(mona, f"/admin/plans/{stored.id}/start", {}).status_code == 403  # managers plan, auditors audit

    opened = _post(olga, f"/admin/plans/{stored.id}/start", {})
    assert opened.status_code == 303 and opened.headers["Location"].startswith("/s/mini_audit?t=")
    respondent = Respondent(olga)
    page = respondent.get(opened.headers["Location"])
    assert page.checked.get("q_audit_mode") == ["covert"]  # the kind is answered, so the visit's time is asked
    assert "q_visit_time" in page.inputs
    page = respondent.post(page, {"q_audit_mode": "covert", "q_visit_time": "14:30"})
    page = respondent.post(page, {"q_greet": "no", "q_door": "yes"})
    assert page.status == 200 and "/thanks" in page.url

    (done,) = audit_plan.list_plans(engine, today=dt.date.today())
    assert done.status == "done" and done.response_id is not None
    with engine.connect() as conn:
        fields = conn.execute(
            storage.sa.select(storage.responses.c.fields).where(storage.responses.c.response_id == done.response_id)
        ).scalar()
    assert fields == {"dealer": "DE01"}
    board = mona.get("/admin/plans/").get_data(as_text=True)
    assert '<th scope="row">Anda Beijing</th><td>0</td><td>1</td><td>0</td><td>0</td><td>100%</td>' in board
    assert f"/admin/audits/mini_audit/{done.response_id}" in board
    assert _post(olga, f"/admin/plans/{stored.id}/start", {}).status_code == 409
    # the next assignment in the same browser session: a fresh form, not the thanks page of the first
    _post(mona, "/admin/plans/", {**plan, "unit": "DE02", "kind": "open"})
    second = max(p.id for p in audit_plan.list_plans(engine, today=dt.date.today()))
    page = respondent.get(_post(olga, f"/admin/plans/{second}/start", {}).headers["Location"])
    assert page.checked.get("q_audit_mode") == ["open"]
    page = respondent.post(respondent.post(page, {"q_audit_mode": "open"}), {"q_greet": "yes", "q_door": "yes"})
    assert "/thanks" in page.url
    assert [p.status for p in audit_plan.list_plans(engine, today=dt.date.today())] == ["done", "done"]


def test_random_spot_checks_stay_in_the_managers_region_and_can_be_cancelled(plan_app):
    engine = engine_of(plan_app)
    mona = login(plan_app, "mona")
    draw = {"survey": "mini_audit", "region": "", "count": "2", "seed": "3", "exclude": "90", "kind": "open"}
    assert _post(mona, "/admin/plans/draw", {**draw, "due": "x"}).status_code == 400
    assert _post(mona, "/admin/plans/draw", {**draw, "region": "R-S", "due": "2030-01-31"}).status_code == 404
    answer = _post(mona, "/admin/plans/draw", {**draw, "due": "2030-01-31"})
    assert answer.status_code == 200 and "Dealers drawn and planned" in answer.get_data(as_text=True)
    plans = audit_plan.list_plans(engine, today=dt.date.today())
    assert len(plans) == 2 and {p.unit for p in plans} <= {"DE01", "DE02", "DE04"}
    assert {(p.kind, p.status, p.created_by) for p in plans} == {("open", "planned", "mona")}
    # a second draw leaves out the dealers with a plan still to do: one is left
    _post(mona, "/admin/plans/draw", {**draw, "due": "2030-01-31"})
    assert len({p.unit for p in audit_plan.list_plans(engine, today=dt.date.today())}) == 3
    assert _post(login(plan_app, "ann"), f"/admin/plans/{plans[0].id}/cancel", {}).status_code == 403
    assert _post(login(plan_app, "sam"), f"/admin/plans/{plans[0].id}/cancel", {}).status_code == 404  # not his
    assert "Anda Beijing" not in login(plan_app, "sam").get("/admin/plans/").get_data(as_text=True)
    assert _post(mona, f"/admin/plans/{plans[0].id}/cancel", {}).status_code == 303
    assert audit_plan.list_plans(engine, today=dt.date.today(), plan_id=plans[0].id)[0].status == "cancelled"
    assert _post(mona, "/admin/plans/abc/cancel", {}).status_code == 404


def test_without_an_organisation_an_admin_types_the_dealer_code(make_app):
    app = make_app(AUDIT)
    storage.create_user(engine_of(app), "alice", PASSWORD, role="admin")
    alice = login(app, "alice")
    assert 'type="text" id="p-unit"' in alice.get("/admin/plans/").get_data(as_text=True)
    data = {"survey": "mini_audit", "unit": "DE09", "kind": "open", "due": "2030-01-01"}
    assert _post(alice, "/admin/plans/", data).status_code == 303
    assert [p.unit for p in audit_plan.list_plans(engine_of(app), today=dt.date.today())] == ["DE09"]
