"""Kit for the security and reliability tests (RELIABILITY.md §6): an app and a real server per backend.

``site`` is the web form with the every-type survey, the one-screen survey, an
admin user and three invitations (open, used, expired), on a SQLite file and
on PostgreSQL (``db_url`` from tests/conftest.py).  ``live_site`` is the same
data behind ``surveykit serve`` (gunicorn, 2 sync workers) on 127.0.0.1, once per
test session and backend.  Both speak through a :class:`Transport`, so one request
catalogue runs against the test client and the real server alike.

The server kit (``LiveServer``, the form client) lives in ``benchmarks/soak.py``.
"""
from __future__ import annotations

import datetime as dt
import re
import sys
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
for _folder in (HERE.parent.parent / "benchmarks", HERE.parent / "webform"):
    if str(_folder) not in sys.path:
        sys.path.insert(0, str(_folder))

import soak  # noqa: E402
from formclient import ALL_TYPES, ONE_PAGE, write  # noqa: E402

from surveykit import load_questionnaire, storage  # noqa: E402
from surveykit.database import drafts, invitations, responses, users  # noqa: E402

SECRET = soak.SECRET
PASSWORD = "correct horse battery staple 42"
# Strings no response body may contain: stack traces, internal names, secrets.
LEAKS = ("Traceback", 'File "', "sqlalchemy", "werkzeug", "jinja2", "psycopg", "postgresql://", "sqlite:///",
         SECRET, PASSWORD)
CSP_PARTS = ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'")


@dataclass
class Reply:
    status: int
    headers: Any          # case-insensitive .get()
    text: str


class Transport:
    """Raw requests (method, path, body, headers, no cookie jar) to the app or to a live server."""

    def send(self, method: str, path: str, body: bytes | str = b"", headers: dict[str, str] | None = None) -> Reply:
        raise NotImplementedError


class ClientTransport(Transport):
    def __init__(self, app: Any) -> None:
        self.client = app.test_client(use_cookies=False)

    def send(self, method: str, path: str, body: bytes | str = b"", headers: dict[str, str] | None = None) -> Reply:
        headers = dict(headers or {})
        content_type = headers.pop("Content-Type", None)
        response = self.client.open(path, method=method, data=body, headers=headers, content_type=content_type)
        return Reply(response.status_code, response.headers, response.get_data(as_text=True))


class LiveTransport(Transport):
    def __init__(self, port: int) -> None:
        self.port = port

    def send(self, method: str, path: str, body: bytes | str = b"", headers: dict[str, str] | None = None) -> Reply:
        # a browser sends spaces and quotes percent-encoded; http.client refuses them raw
        path = urllib.parse.quote(path, safe="/?=&%:;@!$()*+,~#[]")
        status, msg, data = soak.request(self.port, method, path, body=body or None, headers=headers)
        return Reply(status, msg, data.decode("utf-8", "replace"))


@dataclass
class Site:
    """What the tests need to know about a running web form."""

    db_url: str
    engine: Any
    tokens: dict[str, str]                     # open / used / expired invitation tokens of "quick"
    transport: Transport | None = None
    app: Any = None
    server: Any = None
    logs: list[str] = field(default_factory=list)

    def rows(self) -> tuple[int, ...]:
        """Everything a refused request must leave alone."""
        with self.engine.connect() as conn:
            return tuple(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                         for t in (responses, drafts, users)) + (
                conn.execute(sa.select(sa.func.count()).select_from(invitations)
                             .where(invitations.c.used_at.is_not(None))).scalar_one(),)


HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
COOKIE = re.compile(r"^((?:__Host-)?session)=([^;]*)")


@dataclass
class Form:
    """A respondent's page: the session cookie and the hidden fields (CSRF token, signed key)."""

    cookie: str
    hidden: dict[str, str]


def fetch(t: Transport, path: str = "/s/quick") -> Form:
    """GET a page as a new respondent (no cookie)."""
    reply = t.send("GET", path)
    assert reply.status == 200, (path, reply.status)
    cookie = COOKIE.match(reply.headers.get("Set-Cookie") or "")
    assert cookie is not None
    return Form(f"{cookie.group(1)}={cookie.group(2)}", dict(HIDDEN.findall(reply.text)))


def populate(db_url: str, directory: Path) -> tuple[list[str], dict[str, str]]:
    """The two questionnaires, an admin user and three invitations in an empty database."""
    paths = [write(directory, "alltypes.yaml", ALL_TYPES), write(directory, "quick.yaml", ONE_PAGE)]
    engine = storage.make_engine(db_url)
    storage.init_db(engine)
    quick = load_questionnaire(Path(paths[1]))
    for path in paths:
        storage.register_version(engine, load_questionnaire(Path(path)), Path(path).read_text(encoding="utf-8"))
    storage.create_user(engine, "alice", PASSWORD)
    open_, used, expired = storage.create_invitations(engine, quick, [{"branch": "B1"}, {"branch": "B2"},
                                                                      {"branch": "B3"}])
    storage.save_response(engine, quick, {"sat": 4}, key="used-invitation", language="en",
                          invitation_id=used.id)
    with storage.write_transaction(engine) as conn:
        conn.execute(sa.update(invitations).where(invitations.c.id == expired.id)
                     .values(expires_at=dt.datetime(2001, 1, 1)))
    engine.dispose()
    return paths, {"open": open_.token, "used": used.token, "expired": expired.token}


def secure_headers(reply: Reply, *, cache: bool = True) -> list[str]:
    """What is missing from the security headers of a response (empty: all there)."""
    h = reply.headers
    missing = []
    csp = h.get("Content-Security-Policy") or ""
    missing += [part for part in CSP_PARTS if part not in csp]
    script = next((d for d in csp.split(";") if d.strip().startswith(("script-src", "default-src"))), "")
    if "unsafe-inline" in script or "unsafe-eval" in script or not csp:
        missing.append("a CSP without unsafe-inline script")
    if h.get("X-Content-Type-Options") != "nosniff":
        missing.append("nosniff")
    if h.get("Referrer-Policy") not in ("same-origin", "no-referrer", "strict-origin"):
        missing.append("Referrer-Policy")
    if cache and "no-store" not in (h.get("Cache-Control") or ""):
        missing.append("Cache-Control: no-store")
    return missing


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [word for word in LEAKS if word.lower() in lowered]


@pytest.fixture
def site(db_url: str, tmp_path: Path) -> Iterator[Site]:
    """The web form through the Flask test client on ``db_url`` (SQLite, then PostgreSQL)."""
    from webform import create_app

    paths, tokens = populate(db_url, tmp_path)
    app = create_app({"TESTING": False, "DATABASE_URL": db_url, "QUESTIONNAIRES": paths, "SECRET_KEY": SECRET,
                      "TOKEN_RATE_LIMIT": [100_000, 60], "LOGIN_RATE_LIMIT": [100_000, 60]})
    engine = app.extensions["surveykit"].engine
    yield Site(db_url, engine, tokens, ClientTransport(app), app=app)
    engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def live_site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The same data behind ``surveykit serve`` (2 workers) on 127.0.0.1, once per test session and backend."""
    directory = tmp_path_factory.mktemp(f"live-{request.param}")
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{directory}/live.sqlite3"
    else:
        schema = soak.PostgresSchema(request.getfixturevalue("postgres_server"))
        url = schema.url
    paths, tokens = populate(url, directory)
    env = {"SURVEYKIT_TOKEN_RATE_LIMIT": "[100000, 60]", "SURVEYKIT_LOGIN_RATE_LIMIT": "[100000, 60]"}
    server = soak.LiveServer(directory, paths, url, workers=2, env=env)
    server.start()
    engine = storage.make_engine(url)
    try:
        yield Site(url, engine, tokens, LiveTransport(server.port), server=server)
    finally:
        server.stop()
        engine.dispose()
        if schema is not None:
            schema.drop()

