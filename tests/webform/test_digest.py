"""The weekly digest of a manager (webform/digest.py) on SQLite and PostgreSQL, mailed to a real SMTP server
(aiosmtpd on 127.0.0.1): last week's tiles of their units against the week before, the biggest changes
below them by name, minimum-n suppression, written once per week, nothing of another region, retries."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from surveykit import load_questionnaire, notify, storage
from surveykit.cli import main
from surveykit.database import digests, users
from surveykit.orgfile import apply_org, read_org_file
from tests.webform.test_scope import ORG, PASSWORD, SURVEY
from webform import digest

MONDAY = dt.date(2026, 11, 23)  # the week the digest covers (ISO 2026-W48)
TODAY = dt.date(2026, 12, 2)  # a Wednesday of the week after


class _Keep:
    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[_Keep, notify.SmtpSettings]]:
    keep, port = _Keep(), _free_port()
    controller = Controller(keep, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield keep, notify.SmtpSettings("127.0.0.1", port, "none", sender="digest@surveykit.invalid", timeout=10)
    finally:
        controller.stop()


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Any:
    """The scope test's survey and organisation; DE01 drops from 5 to 2 points of 5 between the weeks, DE02 has
    five responses a week (under the minimum of 10), DE03 in the south holds steady."""
    engine = storage.make_engine(db_url)
    storage.init_db(engine)
    path = tmp_path / "aftersales.yaml"
    path.write_text(SURVEY, encoding="utf-8")
    q = load_questionnaire(path)
    storage.register_version(engine, q, SURVEY)
    apply_org(engine, read_org_file("org.csv", data=ORG.encode("utf-8")))
    storage.create_user(engine, "nora", PASSWORD, role="manager", units=["R-N"], email="nora@north.example")
    storage.create_user(engine, "dan", PASSWORD, role="manager", units=["DE02"], email="dan@north.example")
    storage.create_user(engine, "sid", PASSWORD, role="manager", units=["DE03"])  # no address: no digest
    plan = {("DE01", 0): (5, 20), ("DE01", 1): (2, 20), ("DE02", 0): (3, 5), ("DE02", 1): (3, 5), ("DE03", 1): (4, 12)}
    for (dealer, week), (sat, count) in plan.items():
        start = dt.datetime.combine(MONDAY - dt.timedelta(days=7 * (1 - week)), dt.time(9))
        for i in range(count):
            storage.save_response(
                engine,
                q,
                {
                    "sat": max(1, min(5, sat + (i % 3) - 1)),
                    "recommend": min(10, 10 - 3 * (5 - sat) + i % 2),
                    "comment": "x",
                },
                key=uuid.uuid4().hex,
                language="en",
                fields={"dealer": dealer, "department": "body_paint"},
                submitted_at=start + dt.timedelta(hours=i),
            )
    yield engine
    engine.dispose()


def test_a_regional_managers_digest_names_the_dealer_that_fell(store):
    assert digest.last_week(TODAY) == MONDAY and digest.week_label(MONDAY) == "2026-W48"
    assert digest.queue(store, today=TODAY) == 2  # nora and dan; sid has no address
    assert digest.queue(store, today=TODAY) == 0  # once a week
    with store.connect() as conn:
        rows = {r.recipient: r for r in conn.execute(sa.select(digests))}
    nora = rows["nora@north.example"]
    assert (
        nora.week == "2026-W48" and "北京安达 / Anda Beijing" in nora.body and "华北大区 / North region" in nora.subject
    )
    # the region's index fell (DE01's drop, DE02's steady 50): a significant change, marked
    index_line = next(line for line in nora.body.splitlines() if line.startswith("  满意度指数 Satisfaction index"))
    assert "上周 last week" in index_line and index_line.endswith("*)")
    biggest = nora.body.split("Biggest changes")[1].splitlines()
    # DE01 moved most: answers 1, 2, 3 (7, 7, 6 times; index 100 (mean - 1) / 4 = 23.75) after 4, 5, 5
    # (91.25 the week before); DE02 (5 responses a week) is under the minimum and has no change to show
    assert biggest[1] == "    北京安达 / Anda Beijing: 23.8 (-67.5 *, n = 20)", biggest
    assert not any("天津顺通" in line for line in biggest[1:])
    for word in ("DE03", "广州华南", "Huanan Guangzhou", "South region"):  # another region never appears
        assert word not in nora.body and word not in nora.subject
    dan = rows["dan@north.example"].body
    assert "not enough responses (n = 5 < 10)" in dan and "上周 last week" not in dan


def test_digests_are_mailed_once_and_retried_after_an_smtp_failure(store, smtp):
    keep, settings = smtp
    digest.queue(store, today=TODAY)
    closed = notify.SmtpSettings("127.0.0.1", _free_port(), "none", timeout=2)
    first = digest.send_pending(store, closed, worker="w1")
    assert (first.sent, first.retried, first.failed) == (0, 2, 0)
    with store.connect() as conn:
        assert {r.status for r in conn.execute(sa.select(digests))} == {"pending"}
        assert all(r.last_error for r in conn.execute(sa.select(digests)))
    stats = digest.send_pending(store, settings, worker="w1")
    assert (stats.sent, stats.retried, stats.failed) == (2, 0, 0)
    assert digest.send_pending(store, settings, worker="w1").sent == 0
    assert sorted(str(m["To"]) for m in keep.messages) == ["dan@north.example", "nora@north.example"]
    with store.connect() as conn:
        ids = {r.recipient: r.message_id for r in conn.execute(sa.select(digests))}
    mail = next(m for m in keep.messages if str(m["To"]) == "nora@north.example")
    assert mail["Message-ID"] == ids["nora@north.example"] and "Anda Beijing" in mail.get_content()
    assert mail["Subject"].startswith("[surveykit] 每周简报 Weekly digest 2026-W48")


def test_the_digest_command_writes_and_mails(store, smtp):
    keep, settings = smtp
    db = store.url.render_as_string(hide_password=False)
    without = CliRunner().invoke(main, ["org", "digest", "--db", db, "--today", TODAY.isoformat()])
    assert without.exit_code == 0, without.output
    assert "2 digest(s) written" in without.output and "nothing mailed" in without.output
    args = ["org", "digest", "--db", db, "--today", TODAY.isoformat(), "--smtp-host", "127.0.0.1"]
    result = CliRunner().invoke(main, [*args, "--smtp-port", str(settings.port), "--smtp-security", "none"])
    assert result.exit_code == 0, result.output
    assert "0 digest(s) written" in result.output and "sent 2, to retry 0, failed 0" in result.output
    assert len(keep.messages) == 2


@pytest.mark.parametrize("address", ["nora", "a b@c.example", "a@b.example, c@d.example", "x@y.example\nBcc: z@w"])
def test_a_managers_address_is_one_address(store, address):
    with pytest.raises(ValueError, match="is not an e-mail address"):
        storage.create_user(store, "mia", PASSWORD, role="manager", units=["DE01"], email=address)


def test_create_user_takes_a_managers_address(store):
    db = store.url.render_as_string(hide_password=False)
    runner = CliRunner(env={"SURVEYKIT_ADMIN_PASSWORD": PASSWORD})
    args = ["admin", "create-user", "ola", "--db", db, "--role", "manager", "--unit", "DE01"]
    assert runner.invoke(main, [*args, "--email", "ola@north.example"]).exit_code == 0
    with store.connect() as conn:
        assert conn.execute(sa.select(users.c.email).where(users.c.username == "ola")).scalar() == ("ola@north.example")
    bad = runner.invoke(
        main, ["admin", "create-user", "olb", "--db", db, "--role", "manager", "--unit", "DE01", "--email", "x"]
    )
    assert bad.exit_code == 1 and "'x' is not an e-mail address" in bad.output
