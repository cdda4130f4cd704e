"""webform/server.py without starting gunicorn: the secret-key rules and the access log's escaping
(the running server is tested through `surveykit serve` in tests/surveykit/test_cli_store.py)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from surveykit.errors import SurveykitError
from webform import DEV_SECRET_KEY, server

REAL = "k3Y-9fQ2_xV7pL0sT4wZ8mB1nC6dR5hJ"  # 32 characters, 30 distinct


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.0.2.10", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_is_loopback(host, loopback):
    assert server.is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("host", "secret", "message"),
    [
        ("0.0.0.0", "", "non-loopback address, without SURVEYKIT_SECRET_KEY"),
        ("127.0.0.1", "changeme", "too short or a placeholder"),
        ("127.0.0.1", "a" * 40, "too short or a placeholder"),  # long, but ten distinct characters at least
        ("127.0.0.1", DEV_SECRET_KEY, "too short or a placeholder"),
    ],
)
def test_check_secret_refuses(host, secret, message):
    with pytest.raises(SurveykitError, match=message):
        server.check_secret(host, secret)


@pytest.mark.parametrize(("host", "secret"), [("127.0.0.1", ""), ("0.0.0.0", REAL), ("::1", REAL)])
def test_check_secret_accepts(host, secret):
    server.check_secret(host, secret)


def test_access_log_escapes_control_characters():
    from gunicorn.config import Config

    logger = server.access_logger()(Config())
    request = SimpleNamespace(
        headers=[], method="GET", uri="/s/x\nFORGED", path="/s/x\nFORGED\x1b[31m", query="", version=(1, 1)
    )
    response = SimpleNamespace(status="404 Not Found", headers=[], sent=0, response_length=0)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/s/x%0AFORGED",
        "PATH_INFO": "/s/x\nFORGED\x1b[31m",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    atoms = logger.atoms(response, request, environ, dt.timedelta(seconds=0.01))
    assert atoms["U"] == "/s/x\\x0aFORGED\\x1b[31m"
    assert not any("\n" in v or "\x1b" in v for v in atoms.values() if isinstance(v, str))


def test_shown_host_names_localhost_for_the_all_addresses_binds():
    assert server.shown_host("0.0.0.0") == "localhost" and server.shown_host("::") == "localhost"
    assert server.shown_host("10.0.0.5") == "10.0.0.5"
