"""Contact data leaves the store only on an admin's explicit request, and each such export is audited.

``surveykit export --db`` (SQLite and PostgreSQL): no name, e-mail or phone by default; with
``--include-contacts --by NAME`` the contact columns are joined and one audit row says who,
when, survey, columns, rows, format and destination; an erased contact never reappears;
``surveykit audit-log`` prints the records.  The webhooks of completed responses carry none either.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from surveykit import events
from surveykit.cli import main
from surveykit.contact_export import CONTACT_COLUMNS
from surveykit.contacts import erase
from surveykit.database import audit_log
from surveykit.export import read_table
from tests.support.fielding import item, registered, submit, survey

PERSONAL = ("王先生", "8613812345678", "13812345678", "li.wei@example.com")


def _cli(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def fielded(engine: sa.Engine, db_url: str, tmp_path: Path) -> tuple[str, Path, dict[str, str]]:
    """visit_csi with three responses: C1's (contact on file), C2's (contact erased), one without invitation."""
    q = registered(engine)
    posted = [item("e1", "C1"), item("e2", "C2")]
    posted[0]["contact"]["email"] = "li.wei@example.com"
    ids = {}
    for body in posted:
        (out,) = events.ingest(engine, [body], {q.survey: q}.get)
        ids[body["contact"]["customer_id"]] = submit(engine, q, invitation_id=out.invitation_id)
    ids["none"] = submit(engine, q, dealer="de02")
    erase(engine, "C2", actor="cli")
    path = tmp_path / "visit_csi.yaml"
    path.write_text(survey()[1], encoding="utf-8")
    return db_url, path, ids


def _audit(engine: sa.Engine) -> list[tuple[str, str, dict]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.select(audit_log.c.actor, audit_log.c.action, audit_log.c.detail))]


def test_export_leaves_contacts_out_unless_asked_and_audits_when_asked(engine, fielded, tmp_path) -> None:
    db_url, path, ids = fielded
    plain = tmp_path / "plain.csv"
    result = _cli("export", str(path), "--db", db_url, "-o", str(plain))
    assert result.exit_code == 0, result.output
    text = plain.read_text(encoding="utf-8-sig")
    assert not [word for word in PERSONAL if word in text]
    assert not set(CONTACT_COLUMNS) & set(pd.read_csv(plain).columns)
    assert [action for _, action, _ in _audit(engine)] == ["erase"]  # a plain export is not recorded

    out = tmp_path / "with.csv"
    result = _cli("export", str(path), "--db", db_url, "-o", str(out), "--include-contacts", "--by", "张三")
    assert result.exit_code == 0, result.output
    assert "contact data of 1 response(s) included" in result.output
    table = read_table(out, survey()[0], unescape=True).set_index("response_id")  # '+86... in the CSV
    assert list(table.columns[-4:]) == list(CONTACT_COLUMNS)
    assert table.loc[ids["C1"], ["contact_customer_id", "contact_name", "contact_email", "contact_phone"]].tolist() == [
        "C1",
        "王先生",
        "li.wei@example.com",
        "+8613812345678",
    ]
    for erased_or_none in (ids["C2"], ids["none"]):  # the erased contact never reappears
        assert table.loc[erased_or_none, list(CONTACT_COLUMNS)].isna().all()
    actor, action, detail = _audit(engine)[-1]
    assert (actor, action) == ("cli:张三", "export_contacts")
    assert detail["os_user"]
    del detail["os_user"]
    assert detail == dict(
        via="cli",
        survey="visit_csi",
        columns=list(CONTACT_COLUMNS),
        rows=3,
        with_contact=1,
        format="csv",
        destination=str(out.resolve()),
    )

    shown = _cli("audit-log", "--db", db_url)
    assert shown.exit_code == 0
    lines = shown.output.splitlines()
    assert [line.split("  ")[1:3] for line in lines] == [["cli", "erase"], ["cli:张三", "export_contacts"]]
    records = json.loads(_cli("audit-log", "--db", db_url, "--action", "export_contacts", "--format", "json").output)
    assert [(r["actor"], r["detail"]["rows"]) for r in records] == [("cli:张三", 3)]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--include-contacts"], "needs --by NAME"),
        (["--include-contacts", "--by", " "], "needs --by NAME"),
        (["--by", "张三"], "use it with --include-contacts"),
    ],
)
def test_contact_flags_are_checked_before_anything_is_read(tmp_path, extra, message) -> None:
    path = tmp_path / "visit_csi.yaml"
    path.write_text(survey()[1], encoding="utf-8")
    db = f"sqlite:///{tmp_path}/none.sqlite3"
    result = _cli("export", str(path), "--db", db, "-o", str(tmp_path / "x.csv"), *extra)
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "x.csv").exists()


def test_audit_log_of_a_database_without_one_is_an_error(tmp_path) -> None:
    result = _cli("audit-log", "--db", f"sqlite:///{tmp_path}/typo.sqlite3")
    assert result.exit_code == 1 and "not a surveykit store with an audit log" in result.output


def test_include_contacts_needs_the_store(tmp_path) -> None:
    path = tmp_path / "visit_csi.yaml"
    path.write_text(survey()[1], encoding="utf-8")
    data = tmp_path / "in.csv"
    data.write_text("x\n", encoding="utf-8")
    result = _cli("export", str(path), str(data), "-o", str(tmp_path / "x.csv"), "--include-contacts", "--by", "a")
    assert result.exit_code == 2
    assert "give --db URL" in result.output


def test_webhook_payloads_carry_no_contact_data(engine: sa.Engine) -> None:
    """The dealer's systems hear of a completed response by its invitation id, never by name or phone."""
    from surveykit.database import webhook_deliveries

    hook = "webhooks:\n  - {url: 'https://dms.example/hooks', events: [response.completed], secret_env: SK_HOOK}\n"
    q = registered(engine, hook)
    body = item("e1", "C1")
    body["contact"]["email"] = "li.wei@example.com"
    (out,) = events.ingest(engine, [body], {q.survey: q}.get)
    response_id = submit(engine, q, invitation_id=out.invitation_id)
    with engine.connect() as conn:
        (payload,) = conn.execute(sa.select(webhook_deliveries.c.payload)).scalars()
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    assert response_id in text and str(out.invitation_id) in text
    assert not [word for word in PERSONAL if word in text]
