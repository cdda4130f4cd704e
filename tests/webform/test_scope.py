"""Roles scoped to units (webform/scope.py): every route of the app walked as every role and as a manager of
another unit, on SQLite and PostgreSQL; names instead of codes on the case board, case page and survey page.

The walk fails when a route has no rule in ``webform.scope.RULES`` (a new page must say who may open it),
when a role gets a status its rule does not give, and when a manager's page, download or case shows a
unit outside their scope, by code, by name or by a comment written there.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from typing import Any

import pytest
from flask import url_for

from surveykit import cases, storage
from surveykit.orgfile import apply_org, read_org_file
from tests.support.accounts import PASSWORD, add_users, csrf_token, login
from tests.support.formclient import engine_of, questionnaire
from tests.support.reports import open_report
from webform import scope

SURVEY = """\
survey: aftersales
version: 1
title: {zh: 售后回访, en: After-sales follow-up}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
  branch: {label: {zh: 门店, en: Branch}}
  department:
    label: {zh: 部门, en: Department}
    values:
      body_paint: {zh: 钣金喷漆, en: Body and paint}
      customer_care: {zh: 客户关怀, en: Customer care}
scales:
  sat5: {points: 5, labels: {1: {zh: 很不满意, en: Very dissatisfied}, 5: {zh: 很满意, en: Very satisfied}}}
pages:
  - id: p
    title: {zh: 问题, en: Questions}
    questions:
      - {id: sat, type: likert, scale: sat5, label: {zh: 满意度, en: Satisfaction}, text: {zh: 满意吗, en: Satisfied?}}
      - {id: recommend, type: nps, label: {zh: 推荐, en: Recommend}, text: {zh: 推荐吗, en: Recommend us?}}
      - {id: comment, type: text, required: false, label: {zh: 意见, en: Comment}, text: {zh: 意见, en: Comment}}
alerts:
  - id: unhappy
    label: {zh: 不满意的客户, en: Unhappy customer}
    when: sat <= 2
    department: {field: department}
    priority: high
    first_contact_hours: 24
"""
ORG = """\
id,parent,level,name_zh,name_en
NET,,network,全国网络,National network
R-N,NET,region,华北大区,North region
R-S,NET,region,华南大区,South region
DE01,R-N,dealer,北京安达,Anda Beijing
DE02,R-N,dealer,天津顺通,Shuntong Tianjin
DE03,R-S,dealer,广州华南,Huanan Guangzhou
BR31,DE03,branch,天河门店,Tianhe branch
"""
# Everything that would betray the south region to the north's manager (and the north to the south's).
SOUTH = ("DE03", "BR31", "R-S", "广州华南", "Huanan Guangzhou", "天河门店", "华南大区", "South region", "note-south")
NORTH = ("DE01", "DE02", "R-N", "北京安达", "Anda Beijing", "天津顺通", "华北大区", "North region", "note-north")
USERS = {
    "alice": ("admin", {}),
    "ann": ("analyst", {}),
    "dora": ("department", {"department": "body_paint"}),
    "nora": ("manager", {"units": ["R-N"]}),  # the north region: DE01, DE02
    "sid": ("manager", {"units": ["DE03"]}),  # a manager of another unit: DE03 and its branch
}


@pytest.fixture
def scoped_app(make_app: Any, db_url: str) -> Any:
    """Twelve responses a dealer (a third of them unhappy, opening cases), the organisation, five users."""
    app = make_app(SURVEY, DATABASE_URL=db_url)
    engine = engine_of(app)
    apply_org(engine, read_org_file("org.csv", data=ORG.encode("utf-8")))
    add_users(engine, USERS)
    q = questionnaire(app, "aftersales")
    for d, (dealer, branch, where) in enumerate(
        (("DE01", "", "north"), ("DE02", "", "north"), ("DE03", "BR31", "south"))
    ):
        for i in range(12):
            k = 12 * d + i  # no two responses answer alike (the report leaves duplicates out)
            storage.save_response(
                engine,
                q,
                {"sat": 1 + k % 5, "recommend": k % 11, "comment": f"note-{where} {dealer} {i}"},
                key=uuid.uuid4().hex,
                language="en",
                fields={
                    "dealer": dealer,
                    "branch": branch or None,
                    "department": ("body_paint", "customer_care")[i % 2],
                },
            )
    return app


def _case_of(app: Any, dealer: str) -> int:
    """A case of ``dealer`` in dora's department (the department user sees it; the managers by its dealer)."""
    return min(c.id for c in cases.list_cases(engine_of(app)) if c.dealer == dealer and c.department == "body_paint")


def _url(app: Any, rule: Any, case_id: int) -> str:
    examples = {"survey_id": "aftersales", "case_id": case_id, "fmt": "csv", "unit": "DE01", "key": "r" + "0" * 31}
    values = {name: examples.get(name, "x") for name in rule.arguments if name not in (rule.defaults or {})}
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def _expected(role: str, endpoint: str, method: str, out_of_scope: bool) -> set[int]:
    rule = scope.rule_for(endpoint)
    assert rule is not None and rule.roles is not None
    if role not in rule.roles or (role == "analyst" and method == "POST" and endpoint != "admin.logout"):
        return {403}
    if out_of_scope:
        return {404}
    if method == "POST":  # the forms are posted empty: refused with the fields to fix, or done and redirected
        return {303, 400, 409, 422}
    return {200, 409}  # 409: a report on too few responses


def test_every_route_has_a_scope_rule(scoped_app):
    missing = sorted({r.endpoint for r in scoped_app.url_map.iter_rules() if scope.rule_for(r.endpoint) is None})
    assert not missing, f"routes without a rule in webform.scope.RULES: {missing}"


def test_every_route_as_every_role_and_as_a_manager_of_another_unit(scoped_app):
    app = scoped_app
    north_case, south_case = _case_of(app, "DE01"), _case_of(app, "DE03")
    clients = {name: login(app, name) for name in USERS}
    tokens: dict[str, str] = {}  # a session's CSRF token holds until it logs out
    anonymous = app.test_client()
    walked: set[str] = set()
    for rule in app.url_map.iter_rules():
        found = scope.rule_for(rule.endpoint)
        if found is None or found.roles is None:
            continue  # public (respondent pages, the API with its own tokens); a rule-less route fails above
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            url = _url(app, rule, north_case)
            response = anonymous.open(url, method=method)
            if not (method == "POST" and response.status_code == 400):  # a POST without its CSRF token: 400
                assert response.status_code == 303 and response.headers["Location"].endswith("/admin/login"), url
            for name, (role, _) in USERS.items():
                # each manager is also sent to a case of the other's region: the manager of another unit
                for case_id, foreign in ((north_case, name == "sid"), (south_case, name == "nora")):
                    if "case_id" not in rule.arguments and case_id == south_case:
                        continue
                    target = _url(app, rule, case_id)
                    client = clients[name]
                    if name not in tokens:
                        tokens[name] = csrf_token(client.get("/admin/").get_data(as_text=True))
                    data = {"csrf_token": tokens[name]}
                    response = client.open(target, method=method, data=data if method == "POST" else None)
                    wanted = _expected(role, rule.endpoint, method, foreign and "case_id" in rule.arguments)
                    if set(rule.arguments) - {"survey_id", "case_id", "fmt"}:
                        wanted |= {404}  # a made-up key or unit code: nothing there
                    assert response.status_code in wanted, (name, method, target, response.status_code)
                    if rule.endpoint == "admin.logout" and response.status_code == 303:
                        clients[name] = login(app, name)
                        tokens.pop(name)
                    if response.status_code < 400 and role == "manager":
                        body = response.get_data(as_text=True)
                        for word in SOUTH if name == "nora" else NORTH:
                            assert word not in body, (name, target, word)
                    walked.add(rule.endpoint)
    assert {"admin.index", "admin.survey", "admin.responses_file", "cases.board", "cases.case", "cases.move"} <= walked


def test_a_unit_outside_the_scope_is_a_404_wherever_it_is_named(scoped_app):
    nora = login(scoped_app, "nora")
    assert nora.get("/admin/cases/?dealer=DE01").status_code == 200
    assert nora.get("/admin/cases/?dealer=DE03").status_code == 404
    assert nora.get("/admin/cases/?dealer=NOPE").status_code == 404  # unknown and foreign look the same
    assert nora.get(f"/admin/cases/{_case_of(scoped_app, 'DE03')}.json").status_code == 404
    assert login(scoped_app, "alice").get("/admin/cases/?dealer=DE03").status_code == 200


def test_a_manager_sees_their_units_counts_and_rows_only(scoped_app):
    nora, alice = login(scoped_app, "nora"), login(scoped_app, "alice")
    index = nora.get("/admin/").get_data(as_text=True)
    assert re.search(r"<td>24</td>", index) and not re.search(r"<td>36</td>", index)
    assert re.search(r"<td>36</td>", alice.get("/admin/").get_data(as_text=True))
    rows = list(csv.DictReader(io.StringIO(nora.get("/admin/s/aftersales/responses.csv").get_data(as_text=True))))
    assert len(rows) == 24 and {r["dealer"] for r in rows} == {"DE01", "DE02"}
    board = nora.get("/admin/cases/?state=").get_data(as_text=True)
    assert board.count('class="case"') == len(
        [c for c in cases.list_cases(engine_of(scoped_app)) if c.dealer != "DE03"]
    )
    sid_cases = login(scoped_app, "sid").get("/admin/cases/export.json?state=").get_json()
    assert sid_cases and {c["dealer"] for c in sid_cases} == {"DE03"}


def test_a_branch_manager_sees_the_cases_of_their_branch(scoped_app):
    storage.create_user(engine_of(scoped_app), "bea", PASSWORD, role="manager", units=["BR31"])
    found = login(scoped_app, "bea").get("/admin/cases/export.json?state=").get_json()
    assert found and all(c["dealer"] == "DE03" for c in found)
    assert len(found) == len([c for c in cases.list_cases(engine_of(scoped_app)) if c.dealer == "DE03"])


def test_an_analyst_reads_everything_and_changes_nothing(scoped_app):
    ann = login(scoped_app, "ann")
    case_id = _case_of(scoped_app, "DE03")
    assert ann.get(f"/admin/cases/{case_id}").status_code == 200
    assert ann.get("/admin/s/aftersales/responses.csv").status_code == 200
    page = ann.get(f"/admin/cases/{case_id}").get_data(as_text=True)
    response = ann.post(f"/admin/cases/{case_id}/note", data={"csrf_token": csrf_token(page), "note": "hello"})
    assert response.status_code == 403
    assert [e.kind for e in cases.events_of(engine_of(scoped_app), case_id)] == ["opened"]


@pytest.mark.parametrize(
    ("lang", "dealer", "department"), [("en", "Anda Beijing", "Body and paint"), ("zh", "北京安达", "钣金喷漆")]
)
def test_codes_are_shown_as_names_in_the_readers_language(scoped_app, lang, dealer, department):
    alice = login(scoped_app, "alice")
    alice.get(f"/admin/?lang={lang}")
    case_id = _case_of(scoped_app, "DE01")
    board = alice.get("/admin/cases/?state=").get_data(as_text=True)
    page = alice.get(f"/admin/cases/{case_id}").get_data(as_text=True)
    survey = alice.get("/admin/s/aftersales").get_data(as_text=True)
    for text in (board, page, survey):
        assert dealer in text and department in text
    for text in (board, page):  # a code stays only in form values (the filters), never as shown text
        assert ">body_paint<" not in text and ">DE01<" not in text and ">customer_care<" not in text
    assert ">DE01<" not in survey and ">body_paint<" not in survey
    rows = list(
        csv.DictReader(io.StringIO(alice.get("/admin/cases/export.csv?state=").get_data(as_text=True).lstrip("\ufeff")))
    )
    assert {(r["dealer"], r["dealer_name"]) for r in rows if r["dealer"] == "DE01"} == {("DE01", dealer)}


def test_the_report_and_the_downloads_name_the_units(scoped_app, tmp_path):
    import pyreadstat

    alice = login(scoped_app, "alice")
    html = open_report(alice, "/admin/s/aftersales/report").get_data(as_text=True)
    segments = html[html.index('id="segments"') :]
    segments = segments[: segments.index("</section>")]
    assert "<th>Dealer</th>" in segments and "<td>Anda Beijing</td>" in segments and "<td>DE01</td>" not in segments
    sav = alice.get("/admin/s/aftersales/responses.sav").get_data()
    path = tmp_path / "r.sav"  # not beside the app's instance folder, which is the checkout's root
    path.write_bytes(sav)
    _, meta = pyreadstat.read_sav(path)
    assert set(meta.variable_value_labels["dealer"].values()) == {
        "Anda Beijing",
        "Shuntong Tianjin",
        "Huanan Guangzhou",
    }
    assert meta.variable_value_labels["department"] == {1: "Body and paint", 2: "Customer care"}


def test_codes_the_organisation_does_not_know_are_listed_on_the_survey_page(scoped_app):
    q = questionnaire(scoped_app, "aftersales")
    for i in range(2):
        storage.save_response(
            engine_of(scoped_app),
            q,
            {"sat": 3, "recommend": i, "comment": "unknown dealer"},
            key=uuid.uuid4().hex,
            language="en",
            fields={"dealer": "DE77", "department": "body_paint"},
        )
    page = login(scoped_app, "alice").get("/admin/s/aftersales").get_data(as_text=True)
    assert "Codes the organisation does not know" in page
    assert re.search(r"Dealer: <code>DE77</code></td><td>2</td>", page)
    assert "DE77" not in login(scoped_app, "nora").get("/admin/s/aftersales").get_data(as_text=True)


def test_a_route_without_a_rule_is_closed_to_scoped_roles(make_app):
    app = make_app(SURVEY)
    app.add_url_rule("/admin/new-page", "new_page", lambda: "new page")
    engine = engine_of(app)
    apply_org(engine, read_org_file("org.csv", data=ORG.encode("utf-8")))
    add_users(engine, USERS)
    assert scope.rule_for("new_page") is None
    assert login(app, "nora").get("/admin/new-page").status_code == 404
    assert login(app, "ann").get("/admin/new-page").status_code == 404
    assert login(app, "alice").get("/admin/new-page").status_code == 200  # the view's own checks, as before


def test_a_managers_report_holds_their_units_only(scoped_app):
    html = open_report(login(scoped_app, "nora"), "/admin/s/aftersales/report").get_data(as_text=True)
    assert "units North region (R-N)" in html  # the footer says whose report it is
    segments = html[html.index('id="segments"') :]
    segments = segments[: segments.index("</section>")]
    assert "<td>Anda Beijing</td>" in segments and "<td>Shuntong Tianjin</td>" in segments
    assert not any(word in html for word in SOUTH)
