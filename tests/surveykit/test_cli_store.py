"""The store's commands: invite, admin create-user / end-sessions, simulate --db, serve."""

from __future__ import annotations

import csv
import http.client
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from surveykit import storage
from surveykit.cli import main


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/cli.sqlite3"


def _run(*args: str, env: dict[str, str] | None = None, input: str | None = None):
    return CliRunner().invoke(main, list(args), env=env, input=input, catch_exceptions=False)


def _contacts(path: Path, text: str) -> str:
    path.write_text(text, encoding="utf-8")
    return str(path)


# -- invite ------------------------------------------------------------------------------------


def test_invite_writes_links_and_qr_codes(survey, survey_path, sqlite_url, tmp_path):
    contacts = _contacts(tmp_path / "c.csv", "dealer,advisor,name\nD1,=HYPERLINK(1),Wang\nD2,,Zhang\n")
    links, qr = tmp_path / "links.csv", tmp_path / "qr"
    result = _run(
        "invite",
        str(survey_path),
        "--contacts",
        contacts,
        "--db",
        sqlite_url,
        "--keep",
        "name",
        "--base-url",
        "https://survey.example.com/",
        "-o",
        str(links),
        "--qr-dir",
        str(qr),
    )
    assert result.exit_code == 0, result.output
    assert "created 2 invitations" in result.output
    assert stat.S_IMODE(links.stat().st_mode) == 0o600  # the links are credentials
    with links.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["name"] for r in rows] == ["Wang", "Zhang"]
    assert rows[0]["advisor"] == "'=HYPERLINK(1)"  # neutralised for spreadsheets
    engine = storage.make_engine(sqlite_url)
    for row, fields in zip(rows, [{"dealer": "D1", "advisor": "=HYPERLINK(1)"}, {"dealer": "D2"}], strict=True):
        prefix = "https://survey.example.com/s/dealer_service?t="
        assert row["link"].startswith(prefix)
        state = storage.lookup_invitation(engine, row["link"][len(prefix) :])
        assert state.status == "open" and state.fields == fields  # 'name' was not stored
        assert Path(row["qr"]).read_text(encoding="utf-8").lstrip().startswith(("<?xml", "<svg"))
    engine.dispose()


def test_invite_never_overwrites_links(survey_path, sqlite_url, tmp_path):
    contacts = _contacts(tmp_path / "c.csv", "dealer\nD1\n")
    links = tmp_path / "links.csv"
    links.write_text("old links\n", encoding="utf-8")
    result = _run("invite", str(survey_path), "--contacts", contacts, "--db", sqlite_url, "-o", str(links))
    assert result.exit_code == 1 and "never overwritten" in result.output
    assert links.read_text(encoding="utf-8") == "old links\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("dealr\nD1\n", "column 'dealr' is no segment field of dealer_service (did you mean 'dealer'?)"),
        ("dealer\n", "no contacts"),
        ("dealer\n" + "x" * 300 + "\n", "longer than 200"),
    ],
)
def test_invite_checks_the_contacts(survey_path, sqlite_url, tmp_path, text, message):
    result = _run(
        "invite",
        str(survey_path),
        "--contacts",
        _contacts(tmp_path / "c.csv", text),
        "--db",
        sqlite_url,
        "-o",
        str(tmp_path / "links.csv"),
    )
    assert result.exit_code == 1 and message in result.output
    assert not (tmp_path / "links.csv").exists()


# -- admin ---------------------------------------------------------------------------------------


def test_create_user_takes_the_password_from_the_environment(sqlite_url):
    result = _run(
        "admin", "create-user", "alice", "--db", sqlite_url, env={"SURVEYKIT_ADMIN_PASSWORD": "tea kettle on the hill"}
    )
    assert result.exit_code == 0, result.output
    assert storage.verify_login(storage.make_engine(sqlite_url), "alice", "tea kettle on the hill")


def test_create_user_prompts_for_a_department_user(sqlite_url):
    result = _run(
        "admin",
        "create-user",
        "wang",
        "--role",
        "department",
        "--department",
        "service",
        "--db",
        sqlite_url,
        env={"SURVEYKIT_ADMIN_PASSWORD": ""},
        input="a long passphrase\na long passphrase\n",
    )
    assert result.exit_code == 0, result.output
    assert storage.verify_login(storage.make_engine(sqlite_url), "wang", "a long passphrase").department == "service"


def test_create_user_refuses_weak_passwords_and_password_arguments(sqlite_url):
    weak = _run("admin", "create-user", "alice", "--db", sqlite_url, env={"SURVEYKIT_ADMIN_PASSWORD": "password123"})
    assert weak.exit_code == 1 and "too easy to guess" in weak.output
    as_argument = _run("admin", "create-user", "alice", "--db", sqlite_url, "--password", "tea kettle on the hill")
    assert as_argument.exit_code == 2


def test_end_sessions(sqlite_url):
    _run(
        "admin", "create-user", "alice", "--db", sqlite_url, env={"SURVEYKIT_ADMIN_PASSWORD": "tea kettle on the hill"}
    )
    assert _run("admin", "end-sessions", "alice", "--db", sqlite_url).exit_code == 0
    assert (
        storage.verify_login(storage.make_engine(sqlite_url), "alice", "tea kettle on the hill").session_generation == 1
    )
    assert _run("admin", "end-sessions", "nobody", "--db", sqlite_url).exit_code == 1


# -- simulate --db -------------------------------------------------------------------------------


def test_simulate_stores_through_the_submission_path(survey, survey_path, sqlite_url):
    first = _run("simulate", str(survey_path), "-n", "40", "--seed", "4", "--db", sqlite_url)
    assert first.exit_code == 0, first.output
    assert "stored 40 simulated responses" in first.output
    again = _run("simulate", str(survey_path), "-n", "40", "--seed", "4", "--db", sqlite_url)
    assert "stored 0 simulated responses" in again.output and "40 were there already" in again.output
    df = storage.responses_frame(storage.make_engine(sqlite_url), survey)
    assert len(df) == 40 and list(df.columns) == list(survey.columns())


# -- serve ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "secret", "message"),
    [
        ("0.0.0.0", None, "non-loopback address, without SURVEYKIT_SECRET_KEY"),
        ("192.0.2.10", None, "non-loopback address"),
        ("127.0.0.1", "changeme", "too short or a placeholder"),
        ("0.0.0.0", "a" * 40, "too short or a placeholder"),
    ],
)
def test_serve_refuses_without_a_real_secret_off_loopback(survey_path, sqlite_url, host, secret, message):
    env = {"SURVEYKIT_SECRET_KEY": secret} if secret else {"SURVEYKIT_SECRET_KEY": ""}
    result = _run("serve", str(survey_path), "--db", sqlite_url, "--host", host, env=env)
    assert result.exit_code == 1 and message in result.output


@pytest.mark.server
def test_serve_runs_gunicorn_and_keeps_tokens_out_of_the_log(survey_path, sqlite_url, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / "serve.log"
    env = {**os.environ, "SURVEYKIT_SECRET_KEY": ""}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from surveykit.cli import main; main()",
                "serve",
                str(survey_path),
                "--db",
                sqlite_url,
                "--port",
                str(port),
                "--workers",
                "2",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=tmp_path,
        )
    try:
        deadline, status = time.monotonic() + 60, None
        while time.monotonic() < deadline and status != 200:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                conn.request("GET", "/healthz")
                status = conn.getresponse().status
            except OSError:  # not listening yet, or a worker still booting dropped the connection
                time.sleep(0.2)
            finally:
                conn.close()
            assert proc.poll() is None, log.read_text()
        assert status == 200, log.read_text()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/s/dealer_service?t=SECRETTOKENxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
        assert conn.getresponse().status < 500
        conn.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    text = log.read_text()
    assert "gunicorn" in text and '"GET /healthz" 200' in text
    assert "SECRETTOKEN" not in text
