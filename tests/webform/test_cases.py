"""The case board and case pages (webform/cases.py): roles, department isolation by every route, moving a
case on with CSRF, refusals in the admin's language, the win-back link, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from typing import Any

import pytest

from surveykit import cases, storage
from surveykit.database import utcnow
from tests.support.accounts import add_users, csrf_token, login
from tests.support.formclient import Respondent, engine_of, no_traceback, questionnaire

SURVEY = """\
survey: aftersales
version: 1
title: {zh: 售后回访, en: After-sales follow-up}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
  department: {label: {zh: 部门, en: Department}}
scales:
  sat5: {points: 5, labels: {1: {zh: 很不满意, en: Very dissatisfied}, 5: {zh: 很满意, en: Very satisfied}}}
pages:
  - id: p
    title: {zh: 问题, en: Questions}
    questions:
      - {id: sat, type: likert, scale: sat5, label: {zh: 满意度, en: Satisfaction}, text: {zh: 满意吗, en: Satisfied?}}
      - {id: comment, type: text, required: false, label: {zh: 意见, en: Comment}, text: {zh: 意见, en: Comment}}
alerts:
  - id: unhappy
    label: {zh: 不满意的客户, en: Unhappy customer}
    when: sat <= 2
    department: {field: department}
    priority: high
    first_contact_hours: 24
"""


def submit(app: Any, department: str, dealer: str = "D01", comment: str = "Still noisy <b>after</b> the repair") -> int:
    q = questionnaire(app, "aftersales")
    storage.save_response(
        engine_of(app),
        q,
        {"sat": 1, "comment": comment},
        key=uuid.uuid4().hex,
        language="en",
        fields={"dealer": dealer, "department": department},
    )
    return max(c.id for c in cases.list_cases(engine_of(app)))


def _with_users(app: Any) -> Any:
    """alice (admin), dora (department service), sam (department sales)."""
    add_users(
        engine_of(app),
        {
            "alice": ("admin", {}),
            "dora": ("department", {"department": "service"}),
            "sam": ("department", {"department": "sales"}),
        },
    )
    return app


@pytest.fixture
def case_app(make_app: Any) -> Any:
    """The web layer on SQLite (the store's behaviour is tested on both backends in tests/surveykit)."""
    return _with_users(make_app(SURVEY))


@pytest.fixture
def both_app(make_app: Any, db_url: str) -> Any:
    """The same on SQLite and PostgreSQL, for department isolation and a walk through every step."""
    return _with_users(make_app(SURVEY, DATABASE_URL=db_url))


def post(client: Any, url: str, data: dict[str, str]) -> Any:
    page = client.get(url.rsplit("/", 1)[0] if url.endswith(("/move", "/note", "/recovery")) else url)
    return client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data})


# -- access ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/admin/cases/", "/admin/cases/1", "/admin/cases/1.json", "/admin/cases/export.csv"])
def test_every_case_page_needs_a_login(case_app, url):
    response = case_app.test_client().get(url)
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/login")


def test_the_board_is_in_the_admin_navigation(case_app):
    text = login(case_app, "alice").get("/admin/").get_data(as_text=True)
    assert '<a href="/admin/cases/">Cases</a>' in text


def test_the_recovery_survey_is_served_when_a_survey_has_alerts(case_app):
    assert "recovery" in case_app.extensions["surveykit"].current
    assert case_app.test_client().get("/s/recovery").status_code == 200


# -- department isolation -----------------------------------------------------------------------------------

ROUTES = [
    ("GET", "/admin/cases/{id}", None),
    ("GET", "/admin/cases/{id}.json", None),
    ("POST", "/admin/cases/{id}/move", {"to": "verified", "expected": "open"}),
    ("POST", "/admin/cases/{id}/move", {"to": "closed_without_action", "note": "not ours"}),
    ("POST", "/admin/cases/{id}/note", {"note": "peek", "contact": "1"}),
    ("POST", "/admin/cases/{id}/recovery", {}),
]


@pytest.mark.parametrize(("method", "route", "data"), ROUTES, ids=lambda x: str(x))
def test_a_department_user_cannot_reach_another_departments_case(both_app, method, route, data):
    theirs = submit(both_app, "sales")
    ours = submit(both_app, "service")
    client = login(both_app, "dora")
    token = csrf_token(client.get(f"/admin/cases/{ours}").get_data(as_text=True))
    for case_id, expected in ((theirs, 404), (9999, 404)):
        url = route.format(id=case_id)
        if method == "GET":
            response = client.get(url)
        else:
            response = client.post(url, data={"csrf_token": token, **data})
        assert response.status_code == expected, (url, response.status_code)
        assert "Still noisy" not in response.get_data(as_text=True)
    untouched = cases.get_case(engine_of(both_app), theirs)
    assert untouched.state == "open" and len(cases.events_of(engine_of(both_app), theirs)) == 1
    assert untouched.first_contact_at is None and untouched.recovery_sent_at is None


def test_a_department_user_lists_and_downloads_its_own_cases_only(both_app):
    theirs = submit(both_app, "sales", dealer="D02")
    ours = submit(both_app, "service")
    client = login(both_app, "dora")
    board = client.get("/admin/cases/?department=sales&state=").get_data(as_text=True)
    assert f'href="/admin/cases/{ours}"' in board and f'href="/admin/cases/{theirs}"' not in board
    assert 'id="f-department"' not in board and "D02" not in board  # not even in the filters
    exported = client.get("/admin/cases/export.csv?department=sales&state=")
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["case_id"] for r in rows] == [str(ours)]
    listed = json.loads(client.get("/admin/cases/export.json?state=").get_data(as_text=True))
    assert [c["id"] for c in listed] == [ours]
    admin = login(both_app, "alice")
    assert {c["id"] for c in json.loads(admin.get("/admin/cases/export.json").get_data(as_text=True))} == {ours, theirs}


def test_a_department_user_cannot_reach_survey_answers(case_app):
    client = login(case_app, "dora")
    assert client.get("/admin/s/aftersales").status_code == 403
    assert client.get("/admin/s/aftersales/responses.csv").status_code == 403


# -- the board --------------------------------------------------------------------------------------------------


def test_the_board_filters_by_dealer_department_state_and_overdue(case_app):
    a = submit(case_app, "service", dealer="D01")
    b = submit(case_app, "sales", dealer="D02")
    c = submit(case_app, "sales", dealer="D01")
    engine = engine_of(case_app)
    cases.move(engine, c, "closed_without_action", actor="alice", note="duplicate")
    from sqlalchemy import update

    from surveykit.database import cases as table

    with engine.begin() as conn:  # make case a overdue
        conn.execute(update(table).where(table.c.id == a).values(first_contact_due=utcnow()))
    client = login(case_app, "alice")

    def shown(query: str) -> set[int]:
        text = client.get(f"/admin/cases/?{query}").get_data(as_text=True)
        return {int(n) for n in re.findall(r'href="/admin/cases/(\d+)"', text)}

    assert shown("") == {a, b}  # active by default
    assert shown("state=") == {a, b, c}
    assert shown("state=closed") == {c} == shown("state=closed_without_action")
    assert shown("state=&dealer=D01") == {a, c}
    assert shown("state=&department=sales") == {b, c}
    assert shown("overdue=yes") == {a}
    assert shown("overdue=no&state=") == {b, c}
    assert client.get("/admin/cases/?state=limbo").status_code == 400
    text = client.get("/admin/cases/").get_data(as_text=True)
    assert text.index(f'href="/admin/cases/{a}"') < text.index(f'href="/admin/cases/{b}"')
    assert '<strong class="flag">Overdue</strong>' in text


# -- the case page ------------------------------------------------------------------------------------------------


def test_the_case_page_shows_the_response_and_history(case_app):
    case_id = submit(case_app, "service")
    text = login(case_app, "alice").get(f"/admin/cases/{case_id}").get_data(as_text=True)
    assert f"Case #{case_id}: Unhappy customer" in text
    assert "Still noisy &lt;b&gt;after&lt;/b&gt; the repair" in text and "<b>after" not in text
    assert "1 – Very dissatisfied" in text
    assert "Opened by the rule" in text and "unhappy: sat &lt;= 2" in text
    assert "Move to: Verified" in text and "Close without action" in text
    assert "New case: waiting to be sent" in text


def test_the_case_page_in_chinese(case_app):
    case_id = submit(case_app, "service")
    client = login(case_app, "alice")
    client.get("/admin/cases/?lang=zh")
    text = client.get(f"/admin/cases/{case_id}").get_data(as_text=True)
    assert f"案件 #{case_id}: 不满意的客户" in text and '<html lang="zh-Hans">' in text
    assert "推进到：已核实" in text and "由规则创建" in text


def walk(client: Any, case_id: int, to: str, **data: str) -> Any:
    state = cases.get_case(client.application.extensions["surveykit"].engine, case_id).state
    return post(client, f"/admin/cases/{case_id}/move", {"to": to, "expected": state, **data})


def test_moving_a_case_through_every_step(both_app):
    case_id = submit(both_app, "service")
    client = login(both_app, "dora")
    for to, data in (
        ("verified", {"note": "called the customer"}),
        ("assigned", {}),
        ("root_cause_found", {"root_cause": "repair_quality", "note": "bearing not replaced"}),
        ("solution_agreed", {"note": "replace the bearing free of charge"}),
        ("done_evaluated", {"note": "customer confirmed it is quiet now"}),
    ):
        response = walk(client, case_id, to, **data)
        assert response.status_code == 303, response.get_data(as_text=True)[:300]
    case = cases.get_case(engine_of(both_app), case_id)
    assert (case.state, case.root_cause, case.department) == ("done_evaluated", "repair_quality", "service")
    history = cases.events_of(engine_of(both_app), case_id)
    assert [(e.actor, e.to_state) for e in history[1:]] == [("dora", s) for s in cases.STATES[1:6]]
    text = client.get(f"/admin/cases/{case_id}").get_data(as_text=True)
    assert "This case is closed." in text and "Create the recovery survey link" in text
    assert "Move to:" not in text


@pytest.mark.parametrize(
    ("to", "data", "message"),
    [
        ("closed_without_action", {"note": " "}, "Give the reason for closing the case without action."),
        ("assigned", {}, "That step is not possible from the case"),
        ("done_evaluated", {"note": "x"}, "That step is not possible from the case"),
        ("paused", {}, "Choose a step that exists."),
    ],
)
def test_a_refused_move_is_explained_and_changes_nothing(case_app, to, data, message):
    case_id = submit(case_app, "service")
    response = walk(login(case_app, "alice"), case_id, to, **data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True) and no_traceback(response.get_data(as_text=True))
    assert cases.get_case(engine_of(case_app), case_id).state == "open"


def test_a_refused_move_keeps_what_was_typed(case_app):
    case_id = submit(case_app, "service")
    client = login(case_app, "alice")
    for to in ("verified", "assigned"):
        walk(client, case_id, to)
    response = walk(client, case_id, "root_cause_found", root_cause="", note="the bearing was never replaced")
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "Choose the root-cause category." in text
    assert '<textarea id="note" name="note">the bearing was never replaced</textarea>' in text
    response = walk(client, case_id, "root_cause_found", root_cause="parts")
    response = walk(client, case_id, "solution_agreed", note="")
    assert response.status_code == 422 and "Write the note." in response.get_data(as_text=True)


def test_a_stale_form_is_a_conflict(case_app):
    case_id = submit(case_app, "service")
    client = login(case_app, "alice")
    assert post(client, f"/admin/cases/{case_id}/move", {"to": "verified", "expected": "open"}).status_code == 303
    response = post(client, f"/admin/cases/{case_id}/move", {"to": "verified", "expected": "open"})
    assert response.status_code == 409 and "Someone changed this case meanwhile" in response.get_data(as_text=True)
    assert len(cases.events_of(engine_of(case_app), case_id)) == 2


def test_moving_needs_the_csrf_token(case_app):
    case_id = submit(case_app, "service")
    client = login(case_app, "alice")
    response = client.post(f"/admin/cases/{case_id}/move", data={"to": "verified"})
    assert response.status_code == 400 and cases.get_case(engine_of(case_app), case_id).state == "open"


def test_only_an_admin_hands_a_case_to_another_department(case_app):
    case_id = submit(case_app, "service")
    dora = login(case_app, "dora")
    walk(dora, case_id, "verified")
    assert walk(dora, case_id, "assigned", department="sales").status_code == 303  # the field is ignored
    assert cases.get_case(engine_of(case_app), case_id).department == "service"
    other = submit(case_app, "service")
    alice = login(case_app, "alice")
    walk(alice, other, "verified")
    page = alice.get(f"/admin/cases/{other}").get_data(as_text=True)
    assert 'id="department"' in page and 'name="department" value="service"' in page
    assert walk(alice, other, "assigned", department="body_paint").status_code == 303
    assert cases.get_case(engine_of(case_app), other).department == "body_paint"
    assert dora.get(f"/admin/cases/{other}").status_code == 404  # no longer hers


def test_a_contact_note_records_the_first_contact(case_app):
    case_id = submit(case_app, "service")
    client = login(case_app, "dora")
    assert post(client, f"/admin/cases/{case_id}/note", {"note": ""}).status_code == 422
    assert post(client, f"/admin/cases/{case_id}/note", {"note": "internal remark"}).status_code == 303
    assert cases.get_case(engine_of(case_app), case_id).first_contact_at is None
    assert post(client, f"/admin/cases/{case_id}/note", {"note": "called", "contact": "1"}).status_code == 303
    assert cases.get_case(engine_of(case_app), case_id).first_contact_at is not None
    text = client.get(f"/admin/cases/{case_id}").get_data(as_text=True)
    assert "Contact with the customer" in text and "internal remark" in text


def test_win_back_link_and_answer(case_app):
    case_id = submit(case_app, "service")
    client = login(case_app, "alice")
    response = post(client, f"/admin/cases/{case_id}/recovery", {})
    assert response.status_code == 409  # still open
    walk(client, case_id, "closed_without_action", note="customer asked not to be called")
    response = post(client, f"/admin/cases/{case_id}/recovery", {})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "It is shown only this once" in text
    link = re.search(r'id="recovery-link">([^<]+)<', text).group(1)
    assert link.startswith("http://localhost/s/recovery?t=")
    respondent = Respondent(case_app.test_client())
    page = respondent.get(link.replace("http://localhost", ""))
    assert page.status == 200
    done = respondent.post(page, {"q_recovery_sat": "5"})
    assert "/thanks" in done.url
    case = cases.get_case(engine_of(case_app), case_id)
    assert (case.recovery_score, case.recovered) == (5.0, True)
    text = client.get(f"/admin/cases/{case_id}").get_data(as_text=True)
    assert "Recovery survey answered: 5 of 5, recovered." in text
    assert "Recovery survey answered" in text and "Create the recovery survey link" not in text


def test_case_json_download(case_app):
    case_id = submit(case_app, "service")
    response = login(case_app, "dora").get(f"/admin/cases/{case_id}.json")
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment")
    body = json.loads(response.get_data(as_text=True))
    assert body["id"] == case_id and body["response"]["answers"]["sat"] == 1
    assert [e["kind"] for e in body["events"]] == ["opened"]
