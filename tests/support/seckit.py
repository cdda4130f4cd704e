"""Kit for the security and reliability tests (RELIABILITY.md §6): one request catalogue, two transports.

:func:`populate` fills an empty database with the every-type survey, the one-screen survey, an
admin user and three invitations (open, used, expired).  The fixtures of tests/security/conftest.py
serve that data through the Flask test client (``site``) and behind ``surveykit serve``
(``live_site``, :class:`~tests.support.liveserver.LiveServer`).  Both speak through a
:class:`Transport`, so one request catalogue runs against the test client and the real server alike.
"""

from __future__ import annotations

import datetime as dt
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from surveykit import load_questionnaire, storage
from surveykit.database import drafts, invitations, responses, users
from tests.support import liveserver
from tests.support.formclient import ALL_TYPES, ONE_PAGE, write

SECRET = liveserver.SECRET
PASSWORD = "correct horse battery staple 42"
# Strings no response body may contain: stack traces, internal names, secrets.
LEAKS = (
    "Traceback",
    'File "',
    "sqlalchemy",
    "werkzeug",
    "jinja2",
    "psycopg",
    "postgresql://",
    "sqlite:///",
    SECRET,
    PASSWORD,
)
CSP_PARTS = ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'")


@dataclass
class Reply:
    status: int
    headers: Any  # case-insensitive .get()
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
        status, msg, data = liveserver.request(self.port, method, path, body=body or None, headers=headers)
        return Reply(status, msg, data.decode("utf-8", "replace"))


@dataclass
class Site:
    """What the tests need to know about a running web form."""

    db_url: str
    engine: Any
    tokens: dict[str, str]  # open / used / expired invitation tokens of "quick"
    transport: Transport | None = None
    app: Any = None
    server: Any = None
    logs: list[str] = field(default_factory=list)

    def rows(self) -> tuple[int, ...]:
        """Everything a refused request must leave alone."""
        with self.engine.connect() as conn:
            counts = [
                conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one() for t in (responses, drafts, users)
            ]
            used = conn.execute(
                sa.select(sa.func.count()).select_from(invitations).where(invitations.c.used_at.is_not(None))
            ).scalar_one()
            return (*counts, used)


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
    open_, used, expired = storage.create_invitations(
        engine, quick, [{"branch": "B1"}, {"branch": "B2"}, {"branch": "B3"}]
    )
    storage.save_response(engine, quick, {"sat": 4}, key="used-invitation", language="en", invitation_id=used.id)
    with storage.write_transaction(engine) as conn:
        conn.execute(
            sa.update(invitations).where(invitations.c.id == expired.id).values(expires_at=dt.datetime(2001, 1, 1))
        )
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
