"""T7: CSRF, origin, invitation tokens, replay and the shared guessing limit (RELIABILITY.md §2, §3.1).

No or a bad CSRF token, a cross-site origin or a non-form body: refused, nothing
stored.  A link scanner's GET leaves an invitation usable; a used one answers
410 and stores nothing new.  Unknown tokens from one address reach 429 within 20
guesses with the default limit, and the count lives in the database: still 429
after every gunicorn worker was killed and replaced.  Tokens carry 256 random
bits and only their SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
import urllib.parse

import pytest
import sqlalchemy as sa

from surveykit import storage
from surveykit.database import drafts, invitations, responses
from tests.support import liveserver
from tests.support.pgschema import PostgresSchema
from tests.support.seckit import fetch, populate

URLENC = {"Content-Type": "application/x-www-form-urlencoded"}


def _post(site, form, fields=None, headers=None, raw=""):
    body = urllib.parse.urlencode({**form.hidden, "q_sat": "3", "action": "next", **(fields or {})}) + raw
    return site.transport.send("POST", "/s/quick/p/only", body, {**URLENC, "Cookie": form.cookie, **(headers or {})})


def _responses(site):
    with site.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(responses)).scalar_one()


@pytest.mark.parametrize(
    "change",
    [
        {"fields": {"csrf_token": ""}},
        {"fields": {"csrf_token": "x" * 40}},
        {"headers": {"Origin": "https://evil.example"}},
        {"headers": {"Sec-Fetch-Site": "cross-site"}},
        {"headers": {"Origin": "null"}},
        {"headers": {"Origin": "https://localhost.evil.example"}},
        {"headers": {"Origin": "http://localhost", "Sec-Fetch-Site": "cross-site"}},
    ],
)
def test_bad_csrf_or_cross_site_post_is_400_and_stores_nothing(site, change):
    before = _responses(site)
    assert _post(site, fetch(site.transport), **change).status == 400
    assert _responses(site) == before


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
        {"Origin": "http://localhost"},
        {"Origin": "https://localhost"},  # TLS ended at a proxy: the app sees http
        {"Origin": "https://survey.example.org", "Sec-Fetch-Site": "same-origin"},  # a proxy that rewrote Host
    ],
)
def test_same_origin_post_is_accepted(site, headers):
    before = _responses(site)
    reply = _post(site, fetch(site.transport), headers=headers)
    assert reply.status == 303 and _responses(site) == before + 1


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"q_sat": 3}', "application/json"),
        ('{"q_sat": ', "application/json"),
        ("q_sat=3", "text/plain"),
    ],
)
def test_a_non_form_body_is_415(site, body, content_type):
    form = fetch(site.transport)
    reply = site.transport.send(
        "POST",
        "/s/quick/p/only",
        body,
        {"Content-Type": content_type, "Cookie": form.cookie, "X-CSRFToken": form.hidden["csrf_token"]},
    )
    assert reply.status == 415 and "Traceback" not in reply.text


@pytest.mark.parametrize("name", ["k", "action", "csrf_token", "t"])
def test_a_repeated_form_field_is_400(site, name):
    form = fetch(site.transport)
    before = _responses(site)
    value = form.hidden.get(name, "next" if name == "action" else site.tokens["open"])
    raw = f"&{name}={urllib.parse.quote(value)}" * (1 if name in form.hidden or name == "action" else 2)
    reply = _post(site, form, raw=raw)
    assert reply.status == 400 and _responses(site) == before


def test_link_scanner_get_leaves_the_invitation_usable_and_replay_is_410(site):
    token = site.tokens["open"]
    for _ in range(3):  # scanners, previews, the respondent
        assert site.transport.send("GET", f"/s/quick?t={token}").status == 200
    assert storage.lookup_invitation(site.engine, token).status == "open"
    form = fetch(site.transport, f"/s/quick?t={token}")
    assert _post(site, form).status == 303
    before = _responses(site)
    assert _post(site, form, {"q_sat": "5"}).status in (303, 410)  # the same form again: replay or gone
    assert site.transport.send("GET", f"/s/quick?t={token}").status == 410
    assert _post(site, fetch(site.transport), {"t": token}).status == 410
    assert _responses(site) == before


def test_tokens_carry_256_bits_and_are_stored_hashed(site):
    with site.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(invitations))]
    hashes = {r["token_hash"] for r in rows}
    for token in site.tokens.values():
        assert len(token) >= 43  # token_urlsafe(32): 256 bits
        assert hashlib.sha256(token.encode()).hexdigest() in hashes
        assert token not in json.dumps(rows, default=str)
    page = fetch(site.transport, "/s/alltypes")  # a draft's resume token, hashed too
    answers = {
        "q_sat": "4",
        "q_mood": "3",
        "q_g1": "5",
        "q_g2": "2",
        "q_channel": "app",
        "q_extras": "wifi",
        "q_rec": "9",
        "action": "next",
    }
    site.transport.send(
        "POST",
        "/s/alltypes/p/p1",
        urllib.parse.urlencode({**page.hidden, **answers}),
        {**URLENC, "Cookie": page.cookie},
    )
    with site.engine.connect() as conn:
        draft = conn.execute(sa.select(drafts)).one()._mapping
    assert len(draft["resume_hash"]) == 64 and len(storage.new_submission_key()) >= 32  # 192-bit keys


def test_twenty_bad_tokens_in_a_minute_are_429_with_the_defaults(tmp_path):
    from tests.support.formclient import Respondent
    from webform import create_app

    paths, _ = populate(f"sqlite:///{tmp_path}/t.sqlite3", tmp_path)
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/t.sqlite3", "QUESTIONNAIRES": paths})
    respondent = Respondent(app.test_client())
    statuses = [respondent.get(f"/s/quick?t={'G' * 42}{i % 10}").status for i in range(20)]
    app.extensions["surveykit"].engine.dispose()
    assert statuses[0] == 404 and statuses[-1] == 429, statuses


def test_over_the_limit_a_real_token_is_429_too(site):
    """Else a guesser past the limit would still tell a hit (200) from a miss (429)."""
    site.app.config["TOKEN_RATE_LIMIT"] = [5, 60]
    client = site.app.test_client()
    guesser, other = {"REMOTE_ADDR": "198.51.100.20"}, {"REMOTE_ADDR": "198.51.100.21"}
    good = f"/s/quick?t={site.tokens['open']}"
    assert client.get(good, environ_base=guesser).status_code == 200
    statuses = [client.get(f"/s/quick?t={'K' * 43}", environ_base=guesser).status_code for _ in range(7)]
    assert statuses[-1] == 429, statuses
    assert client.get(good, environ_base=guesser).status_code == 429
    assert client.get(good, environ_base=other).status_code == 200  # another address is not affected
    assert storage.lookup_invitation(site.engine, site.tokens["open"]).status == "open"


@pytest.mark.server
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_the_guessing_limit_is_shared_by_workers_and_survives_them(backend, tmp_path, request):
    """Two gunicorn workers; after the limit, kill -9 both (fresh processes, empty memory): still 429."""
    schema = PostgresSchema(request.getfixturevalue("postgres_server")) if backend == "postgresql" else None
    url = schema.url if schema else f"sqlite:///{tmp_path}/limit.sqlite3"
    try:
        paths, _ = populate(url, tmp_path)
        with liveserver.LiveServer(tmp_path, paths, url, workers=2) as server:
            statuses = [liveserver.request(server.port, "GET", f"/s/quick?t={'H' * 42}{i % 10}")[0] for i in range(20)]
            assert statuses[0] == 404 and statuses[-1] == 429, statuses
            first = set(server.worker_pids())
            for pid in first:
                os.kill(pid, signal.SIGKILL)
            deadline = time.monotonic() + 30
            while len(set(server.worker_pids()) - first) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            # a new worker answers once it has imported the app, which on a loaded machine (two suite
            # workers on two cores) can take longer than a request's usual 10 s
            again = [liveserver.request(server.port, "GET", f"/s/quick?t={'J' * 43}", timeout=90)[0] for _ in range(4)]
            assert again == [429] * 4, again
            assert liveserver.request(server.port, "GET", "/s/quick")[0] == 200  # respondents are not blocked
    finally:
        if schema:
            schema.drop()
