"""The management dashboard (webform/dashboard): figures equal to the raw answers, drill-down, scope, suppression,
downloads and the background report, in English and Chinese."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
from typing import Any

import pandas as pd
import pytest

from surveykit import storage
from surveykit.database import utcnow
from surveykit.orgfile import apply_org, read_org_file
from tests.support.formclient import engine_of
from tests.support.reports import open_report
from tests.webform.test_admin import PASSWORD, _csrf, _login

SURVEY = """\
survey: csi
version: 1
title: {zh: 售后满意度, en: After-sales CSI}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
  branch: {label: {zh: 网点, en: Branch}}
scales:
  s5: {points: 5}
pages:
  - id: p
    title: {zh: 页, en: Page}
    questions:
      - {id: sat, type: likert, scale: s5, text: {zh: 满意吗, en: Satisfied?}}
      - {id: recommend, type: nps, text: {zh: 推荐吗, en: Recommend?}}
      - {id: comment, type: text, required: false, text: {zh: 意见, en: Comment}}
"""
TREE = """\
id,parent,level,name_zh,name_en
R-N,,region,华北,North
R-S,,region,华南,South
DE01,R-N,dealer,北京一店,Beijing One
DE02,R-N,dealer,天津店,Tianjin
DE03,R-S,dealer,广州店,Guangzhou
BR1,DE01,branch,朝阳门店,Chaoyang
"""
# dealer -> (responses in the last 30 days, responses in the 30 days before)
PLAN = {"DE01": (30, 20), "DE02": (5, 4), "DE03": (25, 25), "ZZ9": (3, 0)}


def _answers(dealer: str, i: int, current: bool) -> dict[str, Any]:
    low = dealer == "DE03" and current  # Guangzhou drops this period
    return {
        "sat": 1 + (i % 2) if low else 3 + (i % 3),
        "recommend": (i * 7) % 11,
        "comment": f"=SUM(A1) comment {dealer} {i}" if i % 4 == 0 else None,
    }


def seed(app: Any) -> None:
    """The organisation, an admin, a manager of North and the responses of :data:`PLAN` (kept on ``app``)."""
    engine = engine_of(app)
    apply_org(engine, read_org_file("org.csv", data=TREE.encode("utf-8")))
    storage.create_user(engine, "alice", PASSWORD)
    storage.create_user(engine, "north", PASSWORD, role="manager", units=["R-N"])
    q = app.extensions["surveykit"].survey("csi")[0]
    now = utcnow()
    for dealer, (n_now, n_before) in PLAN.items():
        for i in range(n_now + n_before):
            current = i < n_now
            days = 1 + (i % 28) if current else 31 + (i % 28)
            fields = {"dealer": dealer}
            if dealer == "DE01" and i % 2 == 0:
                fields["branch"] = "BR1"
            storage.save_response(
                engine,
                q,
                _answers(dealer, i, current),
                key=f"{dealer}-{i}",
                language="en",
                fields=fields,
                submitted_at=now - dt.timedelta(days=days, hours=1),
            )
    app.raw = storage.responses_frame(engine, q)
    app.now = now


@pytest.fixture
def dash(db_url: str, make_app: Any) -> Any:
    """The app on SQLite, then on PostgreSQL (its SUM(bigint) is numeric: a difference that once broke every page).

    ``db_url`` comes first so that it is torn down last: the app's job pool and engine end before
    the PostgreSQL schema is dropped (the other way round, a DROP SCHEMA once deadlocked with them).
    """
    app = make_app(SURVEY, DASHBOARD_JOB_THREADS=1, DATABASE_URL=db_url)
    seed(app)
    return app


def _client(app: Any, user: str = "alice", lang: str = "en") -> Any:
    client = app.test_client()
    assert _login(client, user).status_code == 303
    if lang != "en":
        client.get(f"/admin/dashboard/?lang={lang}")
    return client


def _tile(html: str, label: str) -> str:
    found = re.search(rf"<dt>{re.escape(label)}</dt>\s*<dd class=\"(value|none)\">([^<]+)</dd>", html)
    assert found, label
    return found.group(2).strip()


def _expected_index(raw: pd.DataFrame, now: dt.datetime, dealers: list[str] | None) -> float:
    start = pd.Timestamp(now.date() - dt.timedelta(days=29))
    part = raw[raw["submitted_at"] >= start]
    if dealers is not None:
        part = part[part["dealer"].isin(dealers)]
    return float((100 * (part["sat"] - 1) / 4).mean())


def test_tiles_equal_the_raw_answers_and_children_drill_down(dash: Any) -> None:
    client = _client(dash)
    html = client.get("/admin/dashboard/s/csi").get_data(as_text=True)
    # every response of the programme, the unknown code ZZ9 included
    assert _tile(html, "Satisfaction index") == f"{_expected_index(dash.raw, dash.now, None):.1f}"
    assert _tile(html, "Responses") == str(sum(n for n, _ in PLAN.values()))
    assert "3 responses carry a unit code the organisation does not know" in html
    assert "North" in html and "South" in html and 'href="/admin/dashboard/s/csi?period=30d&amp;unit=R-N' in html
    # South is Guangzhou alone: its index fell, significantly, after Holm over the tiles
    south = client.get("/admin/dashboard/s/csi?unit=R-S").get_data(as_text=True)
    assert _tile(south, "Satisfaction index") == f"{_expected_index(dash.raw, dash.now, ['DE03']):.1f}"
    assert re.search(r"Satisfaction index</dt>.*?significant change: down", south, re.S)
    # drill into North: Beijing One is shown, Tianjin has too few responses
    north = client.get("/admin/dashboard/s/csi?unit=R-N").get_data(as_text=True)
    assert _tile(north, "Satisfaction index") == f"{_expected_index(dash.raw, dash.now, ['DE01', 'DE02']):.1f}"
    row = re.search(r">Tianjin</a></th>\s*(.*?)</tr>", north, re.S).group(1)
    assert "Not enough responses" in row and not re.search(r"<td>\d", row.split("Not enough")[0])
    # breadcrumbs lead back up from a branch
    branch = client.get("/admin/dashboard/s/csi?unit=BR1").get_data(as_text=True)
    crumbs = re.search(r'<nav class="crumbs".*?</nav>', branch, re.S).group(0)
    assert ">All units</a>" in crumbs and ">North</a>" in crumbs and ">Beijing One</a>" in crumbs
    assert _tile(branch, "Responses") == "15"  # every second of DE01's 30 carries the branch
    # CSP unchanged, nothing external
    response = client.get("/admin/dashboard/s/csi")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html


def test_minimum_n_suppresses_tiles_and_downloads(dash: Any) -> None:
    client = _client(dash)
    html = client.get("/admin/dashboard/s/csi?unit=DE02").get_data(as_text=True)
    assert _tile(html, "Satisfaction index") == "Not enough responses"
    assert "Latest comments" in html and "comment DE02" not in html
    csv_text = client.get("/admin/dashboard/s/csi/units.csv?unit=R-N").get_data().decode("utf-8-sig")
    table = pd.read_csv(io.StringIO(csv_text), dtype=str, keep_default_na=False)
    tianjin = table[table["Unit"] == "DE02"].iloc[0]
    assert tianjin["Not enough responses"] == "Not enough responses" and tianjin["Satisfaction index"] == ""
    beijing = table[table["Unit"] == "DE01"].iloc[0]
    assert float(beijing["Satisfaction index"]) == pytest.approx(
        _expected_index(dash.raw, dash.now, ["DE01"]), abs=0.01
    )
    xlsx = client.get("/admin/dashboard/s/csi/units.xlsx?unit=R-N")
    assert xlsx.status_code == 200
    sheet = pd.read_excel(io.BytesIO(xlsx.get_data()))
    assert set(sheet["Unit"]) == {"DE01", "DE02"}
    # a lower minimum shows Tianjin
    dash.config["DASHBOARD_MIN_N"] = 3
    html = client.get("/admin/dashboard/s/csi?unit=DE02").get_data(as_text=True)
    assert _tile(html, "Responses") == "5"


def test_comments_are_escaped_and_scoped(dash: Any) -> None:
    client = _client(dash)
    html = client.get("/admin/dashboard/s/csi?unit=DE01").get_data(as_text=True)
    assert "=SUM(A1) comment DE01" in html and "comment DE03" not in html


def test_a_manager_sees_only_their_units(dash: Any) -> None:
    client = _client(dash, "north")
    html = client.get("/admin/dashboard/s/csi").get_data(as_text=True)
    assert "<h1>After-sales CSI · North</h1>" in html
    assert _tile(html, "Satisfaction index") == f"{_expected_index(dash.raw, dash.now, ['DE01', 'DE02']):.1f}"
    assert "Guangzhou" not in html and "South" not in html
    for url in (
        "/admin/dashboard/s/csi?unit=R-S",
        "/admin/dashboard/s/csi?unit=DE03",
        "/admin/dashboard/s/csi?unit=ZZ9",
        "/admin/dashboard/s/csi/units.csv?unit=R-S",
        "/admin/dashboard/?unit=DE03",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get("/admin/dashboard/s/csi?unit=BR1").status_code == 200
    assert client.get("/admin/dashboard/s/csi/report").status_code == 403


def test_overview_and_chinese(dash: Any) -> None:
    client = _client(dash, lang="zh")
    html = client.get("/admin/dashboard/").get_data(as_text=True)
    assert 'lang="zh-Hans"' in html and "项目总览" in html and "满意度指数" in html and "售后满意度" in html
    html = client.get("/admin/dashboard/s/csi?unit=R-N").get_data(as_text=True)
    assert "北京一店" in html and "回复数不足" in html and "华北" in html


@pytest.mark.parametrize(
    ("args", "start", "days"),
    [
        ("period=month&m=2026-02", "2026-02-01", 28),
        ("period=quarter&q=2026-Q1", "2026-01-01", 90),
        ("period=custom&from=2026-03-10&to=2026-03-19", "2026-03-10", 10),
    ],
)
def test_periods(dash: Any, args: str, start: str, days: int) -> None:
    html = _client(dash).get(f"/admin/dashboard/s/csi?{args}").get_data(as_text=True)
    last = (dt.date.fromisoformat(start) + dt.timedelta(days=days - 1)).isoformat()
    assert f"{start} to {last}" in html


def test_full_report_runs_in_the_background(dash: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import analysis.report

    release = threading.Event()
    real = analysis.report.report_from_store

    def held(*args: Any, **kwargs: Any) -> Any:  # the report cannot finish until the test lets it
        assert release.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(analysis.report, "report_from_store", held)
    client = _client(dash)
    page = client.get("/admin/dashboard/s/csi").get_data(as_text=True)
    response = client.post("/admin/dashboard/s/csi/report", data={"csrf_token": _csrf(page)})
    assert response.status_code == 303  # answered while the report cannot have been made
    waiting = client.get("/admin/dashboard/s/csi/report").get_data(as_text=True)
    assert "The report is" in waiting and '<meta http-equiv="refresh"' in waiting and "is ready" not in waiting
    release.set()
    for _ in range(600):
        state = client.get("/admin/dashboard/s/csi/report").get_data(as_text=True)
        if "The report is ready" in state or "could not be prepared" in state:
            break
        assert "The report is" in state  # waiting or being prepared
        time.sleep(0.2)
    link = re.search(r'href="(/admin/dashboard/s/csi/report/r[0-9a-f]{31})"', state)
    assert link, state
    report = client.get(link.group(1))
    assert report.status_code == 200 and "<html" in report.get_data(as_text=True)
    assert report.headers["Content-Security-Policy"].startswith("default-src 'none'")
    # the same data again: the cached report, no second run
    again = client.post("/admin/dashboard/s/csi/report", data={"csrf_token": _csrf(page)})
    assert again.status_code == 303
    assert link.group(1) in client.get("/admin/dashboard/s/csi/report").get_data(as_text=True)
    assert client.get("/admin/dashboard/s/csi/report/p" + "0" * 31).status_code == 404


def _priorities(client: Any, url: str) -> str:
    for _ in range(300):
        html = client.get(url).get_data(as_text=True)
        if "are being computed" not in html:
            return re.search(r"<h2>Improvement priorities</h2>\s*(.*?)<h2>", html, re.S).group(1)  # type: ignore[union-attr]
        time.sleep(0.2)
    raise AssertionError("the priorities never finished")


def test_priorities_of_the_selection_come_from_its_rows(dash: Any) -> None:
    """The report's priorities for the selection: at the top Guangzhou's funnel flag; in North none of it."""
    top = _priorities(_client(dash), "/admin/dashboard/s/csi")
    assert "<li>Guangzhou</li>" in top
    north = _priorities(_client(dash, "north"), "/admin/dashboard/s/csi")
    assert "Guangzhou" not in north and "could not be computed" not in north


def test_response_rate_tile_from_invitations(dash: Any) -> None:
    """Invitations created this period and answered: the rate tile appears, per selection."""
    engine = engine_of(dash)
    q = dash.extensions["surveykit"].survey("csi")[0]
    made = storage.create_invitations(engine, q, [{"dealer": "DE01"}] * 20 + [{"dealer": "DE03"}] * 10)
    for invitation in made[:12]:  # 12 of DE01's 20 answer
        storage.save_response(
            engine,
            q,
            {"sat": 4, "recommend": 9},
            key=f"inv-{invitation.id}",
            language="en",
            invitation_id=invitation.id,
        )
    client = _client(dash)
    assert _tile(client.get("/admin/dashboard/s/csi?unit=DE01").get_data(as_text=True), "Response rate") == "60.0 %"
    assert _tile(client.get("/admin/dashboard/s/csi").get_data(as_text=True), "Response rate") == "40.0 %"
    assert _tile(client.get("/admin/dashboard/s/csi?unit=DE03").get_data(as_text=True), "Response rate") == "0.0 %"


def test_organisation_rows_give_the_same_figures_as_dealer_codes(dash: Any) -> None:
    """The organisation's rows (rebuilt in the background after the first view) and the dealer codes agree."""
    from surveykit import aggregates_org
    from webform.dashboard import figures
    from webform.dashboard.periods import parse_period
    from webform.dashboard.units import select_unit

    client = _client(dash)
    client.get("/admin/dashboard/s/csi")  # starts the rebuild of the organisation's rows
    engine = engine_of(dash)
    for _ in range(200):
        with engine.connect() as conn:
            if aggregates_org.ready(conn, "csi"):
                break
        time.sleep(0.05)
    else:
        raise AssertionError("the organisation's rows were never rebuilt")
    q = dash.extensions["surveykit"].survey("csi")[0]
    admin = type("U", (), {"id": 1, "role": "admin"})()
    for unit in ("", "R-N", "R-S", "DE01", "BR1"):
        sel = select_unit(engine, admin, unit, "en", "All units", list)
        period = parse_period({"period": "30d"}, utcnow().date())
        with engine.connect() as conn:
            by_org = figures.survey_figures(conn, q, sel, period, 10, utcnow(), org=True)
            by_code = figures.survey_figures(conn, q, sel, period, 10, utcnow(), org=False)
        assert [(t.key, t.value, t.n) for t in by_org.headline] == [(t.key, t.value, t.n) for t in by_code.headline]
        assert [(r.unit, r.n, r.index, r.spark) for r in by_org.rows] == [
            (r.unit, r.n, r.index, r.spark) for r in by_code.rows
        ]
        assert by_org.trend == by_code.trend and by_org.unknown == by_code.unknown
    page = client.get("/admin/dashboard/s/csi?unit=R-N").get_data(as_text=True)  # now read from the org rows
    assert _tile(page, "Satisfaction index") == f"{_expected_index(dash.raw, dash.now, ['DE01', 'DE02']):.1f}"


def test_admin_page_report_is_made_in_the_background_and_cached(dash: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """``/admin/s/<survey>/report`` (the survey page's button, a manager's report of their units) never makes
    the report in the request: while it cannot finish the click answers with the progress page, which
    refreshes itself; once made, the same click serves it without a second run, until the data moves."""
    import threading

    import analysis.report
    from webform import admin

    assert admin.MIN_RESPONSES == analysis.report.MIN_RESPONSES
    release, calls = threading.Event(), []
    real = analysis.report.report_from_store

    def held(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs.get("units"))
        assert release.wait(60)
        return real(*args, **kwargs)

    monkeypatch.setattr(analysis.report, "report_from_store", held)
    dash.config["REPORT_WAIT_S"] = 0  # answer at once: the progress page
    client = _client(dash, "north")
    waiting = client.get("/admin/s/csi/report")
    text = waiting.get_data(as_text=True)
    assert waiting.status_code == 200 and '<meta http-equiv="refresh"' in text and "The report is" in text
    assert 'href="/admin/s/csi/report"' in text and "<html" in text and 'id="methods"' not in text
    release.set()
    report = open_report(client, "/admin/s/csi/report")
    html = report.get_data(as_text=True)
    assert report.status_code == 200 and 'id="methods"' in html and "North" in html and "Guangzhou" not in html
    assert report.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert calls == [{"R-N", "DE01", "DE02", "BR1"}]
    # the same click again: the made report at once, no second run (the cache hit)
    again = client.get("/admin/s/csi/report")
    assert again.status_code == 200 and again.get_data(as_text=True) == html and len(calls) == 1
    # an admin's report covers every unit: another key, another run
    assert 'id="methods"' in open_report(_client(dash), "/admin/s/csi/report").get_data(as_text=True)
    assert len(calls) == 2 and calls[1] is None
    # a new response moves the data: the next click makes the manager's report again
    q = dash.extensions["surveykit"].survey("csi")[0]
    storage.save_response(
        engine_of(dash), q, {"sat": 5, "recommend": 10}, key="late", language="en", fields={"dealer": "DE02"}
    )
    assert 'id="methods"' in open_report(client, "/admin/s/csi/report").get_data(as_text=True)
    assert len(calls) == 3


@pytest.mark.parametrize("org", [False, True])
def test_child_rows_now_and_before_equal_the_raw_answers(dash: Any, org: bool) -> None:
    """Each child's index in the period and in the one before (read from the sparkline's buckets when the two
    periods have the same length, by its own query for a calendar month) equals the raw answers' mean."""
    from webform.dashboard import figures
    from webform.dashboard.periods import parse_period
    from webform.dashboard.units import Selection

    if org:
        from surveykit import aggregates

        aggregates.rebuild_org(engine_of(dash), "csi")
    q = dash.extensions["surveykit"].survey("csi")[0]
    today = dash.now.date()
    children = [
        ("R-N", "North", frozenset({"R-N", "DE01", "DE02", "BR1"})),
        ("R-S", "South", frozenset({"R-S", "DE03"})),
    ]
    sel = Selection("", "All", None, children)
    raw = dash.raw.assign(day=dash.raw["submitted_at"].dt.date)
    month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    for args in ({}, {"period": "month", "m": month}):
        period = parse_period(args, today)
        with engine_of(dash).connect() as conn:
            figs = figures.survey_figures(conn, q, sel, period, 1, dash.now, org=org)
        for row, (_unit, _name, codes) in zip(figs.rows, children, strict=True):
            for sums, first, end in (
                (row.index, period.start, period.end),
                (row.index_before, period.prev_start, period.start),
            ):
                part = raw[(raw["day"] >= first) & (raw["day"] < end) & raw["dealer"].isin(codes)]
                assert sums.n == len(part), (args, row.unit)
                if len(part):
                    assert sums.mean == pytest.approx(float((100 * (part["sat"] - 1) / 4).mean())), (args, row.unit)
