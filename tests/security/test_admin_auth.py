"""T14: admin authentication on both backends (RELIABILITY.md §2, ASVS 6, 7 and 8).

argon2id hashes (asserted on the stored row), the password rules, failed logins
limited per account and per client address (429, shared in the database), the
session rotated at login and dead after logout (a copied cookie too), survey
data only for a logged-in admin (a department user, who works on cases, gets
403), and a spoofed Host header refused once ``TRUSTED_HOSTS`` is configured.
There are no password-reset links: the CLI sets passwords (``surveykit admin``).
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from surveykit import accounts, storage
from surveykit.database import users
from tests.support.seckit import PASSWORD

FORMATS = ("csv", "xlsx", "sav", "dta", "parquet")


def _csrf(text: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


def _login(client, username="alice", password=PASSWORD, ip="192.0.2.1", **kw):
    env = {"REMOTE_ADDR": ip}
    page = client.get("/admin/login", environ_base=env, **kw)
    return client.post(
        "/admin/login",
        data={"csrf_token": _csrf(page.get_data(as_text=True)), "username": username, "password": password},
        environ_base=env,
        **kw,
    )


def test_passwords_are_stored_as_argon2id(site):
    storage.create_user(site.engine, "bob", "another long passphrase 7")
    with site.engine.connect() as conn:
        stored = dict(conn.execute(sa.select(users.c.username, users.c.password_hash)).all())
    assert all(h.startswith("$argon2id$v=19$") for h in stored.values()), stored
    assert "another long passphrase 7" not in str(stored) and PASSWORD not in str(stored)


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short1234", False),  # 9 characters
        ("password1234", False),
        ("qwertyuiop", False),
        ("Administrator", False),
        ("carol-is-my-name-42", False),  # contains the user name
        ("aaaaaaaaaaaaaaaa", False),  # fewer than 3 distinct characters
        ("ten chars!", True),
        ("x" * 20 + "yz", True),
        ("p" * 63 + "q!", True),
        ("長い合言葉ですよね、本当に", True),
        ("a" * 1023 + "bc", False),  # over 1 024
    ],
)
def test_password_rules(password, ok):
    if ok:
        accounts.check_password(password, "carol")
    else:
        with pytest.raises(accounts.PasswordRejected):
            accounts.check_password(password, "carol")


def test_password_is_compared_exactly_as_typed(site):
    client = site.app.test_client()
    assert _login(client, password=" " + PASSWORD).status_code == 422
    assert _login(client, password=PASSWORD.upper()).status_code == 422
    assert _login(client, password=PASSWORD).status_code == 303


def test_nul_in_a_login_name_is_a_failed_login(site):
    """On PostgreSQL a NUL in the name used to fail the rate-limit insert: a 500 instead of a refused login."""
    client = site.app.test_client()
    assert _login(client, username="\x00alice").status_code == 422
    assert _login(client, username="ali\x00ce", password="\x00").status_code == 422
    assert _login(client).status_code == 303


def test_failed_logins_are_limited_per_account_and_per_address(make_app_on):
    app = make_app_on(LOGIN_RATE_LIMIT=[10, 60])
    client = app.test_client()
    # one account, a different address for every try: the account's bucket fills
    statuses = [_login(client, password="wrong password here", ip=f"198.51.100.{i}").status_code for i in range(12)]
    assert statuses[:10] == [422] * 10 and statuses[10:] == [429, 429], statuses
    assert _login(client, ip="198.51.100.99").status_code == 429  # even the right password waits
    # one address, a different (unknown) account every try: the address's bucket fills
    statuses = [
        _login(client, username=f"user{i}", password="wrong password", ip="203.0.113.7").status_code for i in range(12)
    ]
    assert statuses[:10] == [422] * 10 and statuses[-1] == 429, statuses


def test_session_is_rotated_at_login_and_dead_after_logout(site):
    client = site.app.test_client()
    client.get("/admin/login")
    before = client.get_cookie("session").value
    assert _login(client).status_code == 303
    after = client.get_cookie("session").value
    assert after != before and _csrf(client.get("/admin/").get_data(as_text=True))
    thief = site.app.test_client()
    thief.set_cookie("session", after)
    assert thief.get("/admin/s/quick/responses.csv").status_code == 200
    client.post("/admin/logout", data={"csrf_token": _csrf(client.get("/admin/").get_data(as_text=True))})
    assert client.get("/admin/").status_code == 303
    for url in ("/admin/", "/admin/s/quick/responses.csv"):
        response = thief.get(url)
        assert response.status_code == 303 and response.headers["Location"].endswith("/admin/login"), url


@pytest.mark.parametrize("url", ["/admin/s/quick/report", *(f"/admin/s/quick/responses.{f}" for f in FORMATS)])
def test_exports_and_report_need_a_session(site, url):
    response = site.app.test_client().get(url)
    assert response.status_code == 303 and response.headers["Location"].endswith("/admin/login")
    assert b"sat" not in response.data


def test_a_department_user_reaches_no_survey_data(site):
    storage.create_user(site.engine, "dana", "department passphrase 9", role="department", department="service")
    client = site.app.test_client()
    assert _login(client, username="dana", password="department passphrase 9").status_code == 303
    assert client.get("/admin/").status_code == 200
    for url in ("/admin/s/quick", "/admin/s/quick/report", *(f"/admin/s/quick/responses.{f}" for f in FORMATS)):
        assert client.get(url).status_code == 403, url
    admin = site.app.test_client()
    _login(admin)
    assert admin.get("/admin/s/quick/responses.csv").status_code == 200


def test_spoofed_host_is_refused_with_trusted_hosts(make_app_on):
    app = make_app_on(TRUSTED_HOSTS=["survey.example.org"])
    client = app.test_client()
    assert client.get("/s/quick", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/admin/login", headers={"Host": "evil.example"}).status_code == 400
    page = client.get("/s/alltypes", base_url="https://survey.example.org")
    assert page.status_code == 200


@pytest.fixture
def make_app_on(db_url, tmp_path):
    from tests.support.seckit import SECRET, populate
    from webform import create_app

    made = []

    def make(**config):
        paths, _ = populate(db_url, tmp_path)
        app = create_app(
            {"TESTING": True, "DATABASE_URL": db_url, "QUESTIONNAIRES": paths, "SECRET_KEY": SECRET, **config}
        )
        made.append(app)
        return app

    yield make
    for app in made:
        app.extensions["surveykit"].engine.dispose()
