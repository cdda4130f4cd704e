"""Minimum-n suppression of an anonymous survey on every path that shows a unit (surveykit.anonymity):
the dashboard (tiles, unit table, trend, overview, comments, download), the admin page's counts, the
admin's raw export, the weekly digest and the API feed.

North has D3 (3 answers), D6 (6) and D9 (9); South has D7 (7).  The survey's min_n is 5, the
dashboard's own 2, so 5 holds: D3 is withheld (primary), and D6 with it (complementary: North's
total minus D6 and D9 would give D3 back), on North's table and on D6's own page.  South's D7 is
shown, and a dashboard minimum of 8 above the survey's hides it."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pandas as pd
import pytest

from surveykit import org, storage
from surveykit.apitokens import create_token
from surveykit.database import utcnow
from surveykit.orgfile import apply_org, read_org_file
from tests.support.formclient import engine_of
from tests.webform.test_admin import PASSWORD, _csrf, _login
from tests.webform.test_api import _visible
from webform import digest
from webform.dashboard import figures
from webform.dashboard.periods import Period
from webform.dashboard.units import Selection

SURVEY = """\
survey: es
version: 1
title: {zh: 员工满意度, en: Employee satisfaction}
languages: [zh, en]
anonymous: {min_n: 5}
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
  department: {label: {zh: 部门, en: Department}}
scales:
  s5: {points: 5}
pages:
  - id: p
    title: {zh: 页, en: Page}
    questions:
      - {id: sat, type: likert, scale: s5, text: {zh: 满意吗, en: Satisfied?}}
      - {id: comment, type: text, required: false, text: {zh: 意见, en: Comment}}
"""
TREE = """\
id,parent,level,name_zh,name_en
R-N,,region,华北,North
R-S,,region,华南,South
D3,R-N,dealer,三人店,Three
D6,R-N,dealer,六人店,Six
D9,R-N,dealer,九人店,Nine
D7,R-S,dealer,七人店,Seven
"""
PLAN = {"D3": 3, "D6": 6, "D9": 9, "D7": 7}
SAT = {"D3": 1, "D6": 3, "D9": 5, "D7": 4}  # each dealer answers alike: a leaked mean names the dealer's answer


@pytest.fixture
def es(make_app: Any, db_url: str) -> Any:
    """The app on SQLite, then on PostgreSQL."""
    app = make_app(SURVEY, DASHBOARD_MIN_N=2, DASHBOARD_PRIORITIES=False, DATABASE_URL=db_url)
    engine = engine_of(app)
    apply_org(engine, read_org_file("org.csv", data=TREE.encode("utf-8")))
    storage.create_user(engine, "alice", PASSWORD)
    q = app.extensions["surveykit"].survey("es")[0]
    now = utcnow()
    for dealer, n in PLAN.items():
        for i in range(n):
            storage.save_response(
                engine,
                q,
                {"sat": SAT[dealer], "comment": f"words of {dealer} #{i}"},
                key=f"{dealer}-{i}",
                language="en",
                fields={"dealer": dealer, "department": "sales" if i < 3 else "service"},
                submitted_at=now - dt.timedelta(days=2, hours=i),
            )
    app.q, app.now = q, now
    return app


def _client(app: Any) -> Any:
    client = app.test_client()
    assert _login(client, "alice").status_code == 303
    return client


def _row(html: str, name: str) -> str:
    found = re.search(rf">{name}</a></th>\s*(.*?)</tr>", html, re.S)
    assert found, name
    return found.group(1)


def _index(sat: float) -> str:
    return f"{100 * (sat - 1) / 4:.1f}"


def test_dashboard_withholds_the_small_unit_and_its_complement(es: Any) -> None:
    client = _client(es)
    north = client.get("/admin/dashboard/s/es?unit=R-N").get_data(as_text=True)
    assert "Not enough responses" in _row(north, "Three")
    six = _row(north, "Six")
    assert "Withheld to protect anonymity" in six and "<td>6</td>" not in six and _index(3) not in six
    assert f"<td>9</td><td>{_index(5)}</td>" in _row(north, "Nine")
    assert "Anonymous survey" in north
    # comments of a selection over min_n: the words, without a date, a unit or a score
    assert "words of D9" in north and '<p class="meta">' not in north
    # D6 on its own page would give D3 back from North's total: withheld there too, comments included
    six_page = client.get("/admin/dashboard/s/es?unit=D6").get_data(as_text=True)
    assert _index(3) not in six_page and "words of D6" not in six_page and "Satisfaction index" in six_page
    overview = client.get("/admin/dashboard/?unit=D6").get_data(as_text=True)
    assert _index(3) not in overview
    nine_page = client.get("/admin/dashboard/s/es?unit=D9").get_data(as_text=True)
    assert _index(5) in nine_page
    # the download says the same
    text = client.get("/admin/dashboard/s/es/units.csv?unit=R-N").get_data().decode("utf-8-sig")
    table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False).set_index("Unit")
    assert table.loc["D3", "Satisfaction index"] == table.loc["D6", "Satisfaction index"] == ""
    assert table.loc["D6", "Responses"] == "" and table.loc["D9", "Satisfaction index"] == _index(5)
    # South: D7 alone is the region, and 7 >= 5; the dashboard's own minimum wins when larger
    south = client.get("/admin/dashboard/s/es?unit=R-S").get_data(as_text=True)
    assert f"<td>7</td><td>{_index(4)}</td>" in _row(south, "Seven")
    es.config["DASHBOARD_MIN_N"] = 8
    south = client.get("/admin/dashboard/s/es?unit=R-S").get_data(as_text=True)
    assert "Not enough responses" in _row(south, "Seven") and _index(4) not in south


def test_admin_counts_and_raw_export_hide_small_units(es: Any) -> None:
    client = _client(es)
    html = client.get("/admin/s/es").get_data(as_text=True)
    counts = dict(re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td></tr>", html))
    assert counts["Three"] == counts["Six"] == "Withheld to protect anonymity"
    assert counts["Nine"] == "9" and counts["Seven"] == "7" and counts["sales"] == "12"
    raw = client.get("/admin/s/es/responses.csv").get_data().decode("utf-8-sig")
    df = pd.read_csv(io.StringIO(raw), dtype=str, keep_default_na=False)
    assert len(df) == 25  # nothing lost: the rows stay, only their unit goes
    assert not df["dealer"].isin(["D3", "D6"]).any() and (df["dealer"] == "").sum() == 9
    assert set(df.loc[df["dealer"] == "", "sat"]) == {"1", "3"}  # D3's and D6's rows, unattributed
    # departments: 3 'sales' and 6 'service' in D9, 3 and 4 in D7: each dealer's small one pools with the other
    assert (df["department"] != "").sum() == 0
    assert df["submitted_at"].str.endswith(" 00:00:00").all()  # the day only; they were sent at many hours
    # the download with contacts is no way around it: an anonymous survey has none
    token = _csrf(html)
    data = {"csrf_token": token, "format": "csv", "include_contacts": "1"}
    assert client.post("/admin/s/es/responses-with-contacts", data=data).status_code == 404


def test_digest_uses_the_survey_minimum_and_the_complement(es: Any) -> None:
    engine = engine_of(es)
    monday = es.now.date() - dt.timedelta(days=es.now.weekday())
    tree = org.load_tree(engine)
    with engine.connect() as conn:
        text = digest.compose(conn, tree, ["R-N", "D6", "D9"], [es.q], monday, min_n=2, now=es.now)
    assert text is not None
    sections = {s.split("\n")[0].split(" — ")[1]: s for s in text.split("\n\n")[1:]}
    assert "withheld to protect a smaller unit" in sections["六人店 / Six"]
    assert _index(3) not in sections["六人店 / Six"]
    assert _index(5) in sections["九人店 / Nine"]
    assert "Three" not in sections["华北 / North"] and "Six" not in sections["华北 / North"]


def test_api_feed_of_an_anonymous_survey_names_no_unit(es: Any) -> None:
    token = create_token(engine_of(es), "bi")
    _visible(engine_of(es), 25)  # PostgreSQL: an older writer elsewhere holds the feed back, by design
    client = es.test_client()
    got = client.get("/api/v1/responses?survey=es&limit=100", headers={"Authorization": f"Bearer {token}"})
    records = got.get_json()["records"]
    assert len(records) == 25
    assert all("dealer" not in r and "department" not in r for r in records)
    assert all(len(r["submitted_at"]) == 10 for r in records)
    refused = client.get("/api/v1/responses?survey=es&contact=1", headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403


def test_trend_points_follow_the_table_of_their_period(es: Any) -> None:
    """Three weeks back, Nine had 5 answers and Six 3: Nine's point of that week is withheld on its own
    page, as its row would be in North's table then (North's point, 8 answers, stays)."""
    engine = engine_of(es)
    old = es.now - dt.timedelta(days=21)
    for dealer, n in (("D9", 5), ("D6", 3)):
        for i in range(n):
            storage.save_response(
                engine,
                es.q,
                {"sat": 2},
                key=f"old-{dealer}-{i}",
                language="en",
                fields={"dealer": dealer, "department": "sales"},
                submitted_at=old,
            )
    monday = es.now.date() - dt.timedelta(days=es.now.weekday())
    week = Period("week", monday, monday + dt.timedelta(days=7), monday - dt.timedelta(days=7))
    tree = org.load_tree(engine)

    def trend(unit: str) -> dict[dt.date, Any]:
        sel = Selection(
            unit, unit, frozenset(tree.subtree(unit)), [(c, c, frozenset(tree.subtree(c))) for c in tree.children(unit)]
        )
        with engine.connect() as conn:
            return dict(figures.survey_figures(conn, es.q, sel, week, 5, es.now).trend)

    bucket = next(d for d in trend("R-N") if d <= old.date() < d + dt.timedelta(days=7))
    assert trend("R-N")[bucket] is not None and trend("R-N")[bucket].n == 8
    assert trend("D9")[bucket] is None
    with engine.connect() as conn:
        masked = figures.withheld_trend(conn, es.q, "D9", week, 5)
    assert masked[list(trend("D9")).index(bucket)] is True and not masked[0]  # nobody answered 12 weeks ago
