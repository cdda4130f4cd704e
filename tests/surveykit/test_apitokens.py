"""API tokens: shown once, stored hashed, scoped, revoked, expired; the admin commands and erase."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from surveykit.apitokens import ApiToken, authenticate, create_token, in_scope, revoke_token, token_hash
from surveykit.cli import main
from surveykit.database import api_tokens, audit_log, utcnow
from surveykit.errors import SurveykitError


def test_token_stored_as_hash_only(engine: sa.Engine) -> None:
    token = create_token(engine, "dms", scopes=["de02", "de01", "de01"])
    with engine.connect() as conn:
        row = conn.execute(sa.select(api_tokens)).mappings().one()
    assert token.startswith("skt_") and token not in str(dict(row))
    assert row["token_hash"] == token_hash(token) and row["scopes"] == ["de01", "de02"]
    check = authenticate(engine, token)
    assert check.status == "ok" and check.token == ApiToken(row["id"], "dms", frozenset({"de01", "de02"}))
    assert not check.token.admin
    with pytest.raises(SurveykitError, match="exists already"):
        create_token(engine, "dms")
    with pytest.raises(SurveykitError, match="token name"):
        create_token(engine, "two words")


def test_revoked_expired_unknown(engine: sa.Engine) -> None:
    token = create_token(engine, "t", expires_days=2)
    assert authenticate(engine, token, now=utcnow() + dt.timedelta(days=1)).status == "ok"
    assert authenticate(engine, token, now=utcnow() + dt.timedelta(days=3)).status == "expired"
    assert revoke_token(engine, "t") is True
    assert revoke_token(engine, "t") is False
    assert authenticate(engine, token).status == "revoked"
    assert authenticate(engine, "skt_" + "x" * 43).status == "unknown"
    assert authenticate(engine, "' OR 1=1 --").status == "unknown"
    with pytest.raises(SurveykitError, match="no token named"):
        revoke_token(engine, "nope")


def test_in_scope() -> None:
    admin = ApiToken(1, "a", None)
    scoped = ApiToken(2, "s", frozenset({"de01", "br7"}))
    assert in_scope(admin, {}) and in_scope(admin, {"dealer": "de09"})
    assert in_scope(scoped, {"dealer": "de01"}) and not in_scope(scoped, {"dealer": "de02"})
    assert in_scope(scoped, {"branch": "br7", "dealer": "de02"})  # the most specific unit decides
    assert not in_scope(scoped, {"advisor": "li"})  # no unit: outside every scope


def test_admin_commands(db_url: str, engine: sa.Engine) -> None:
    runner = CliRunner()
    made = runner.invoke(main, ["admin", "create-token", "dms", "--db", db_url, "--scope", "de01"])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[-1]
    assert authenticate(engine, token).token.scopes == frozenset({"de01"})
    again = runner.invoke(main, ["admin", "create-token", "dms", "--db", db_url])
    assert again.exit_code == 1 and "exists already" in again.output
    revoked = runner.invoke(main, ["admin", "revoke-token", "dms", "--db", db_url])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    assert authenticate(engine, token).status == "revoked"
    erased = runner.invoke(main, ["erase", "--customer-id", "C404", "--db", db_url])
    assert erased.exit_code == 0 and "no contact" in erased.output
    with engine.connect() as conn:
        assert conn.execute(sa.select(audit_log.c.actor, audit_log.c.action)).all() == [("cli", "erase")]


def test_a_revocation_elsewhere_takes_at_most_the_cache_time(engine: sa.Engine, monkeypatch) -> None:
    """Another process (the CLI) revoking: a process that just accepted the token accepts it at most CACHE_S more."""
    from surveykit import apitokens

    clock = [500.0]
    monkeypatch.setattr(apitokens.time, "monotonic", lambda: clock[0])
    token = create_token(engine, "cached")
    assert authenticate(engine, token).status == "ok"
    with engine.begin() as conn:  # what revoke-token in another process writes
        conn.execute(sa.update(api_tokens).where(api_tokens.c.name == "cached").values(revoked_at=utcnow()))
    clock[0] += apitokens.CACHE_S / 2
    assert authenticate(engine, token).status == "ok"
    clock[0] += apitokens.CACHE_S / 2
    assert authenticate(engine, token).status == "revoked"
