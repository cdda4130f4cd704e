"""What the session keeps for a respondent, and the signed submission key (webform/respondent_session.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from flask import session

from webform import respondent_session as rs


@pytest.fixture
def ctx(app: Any) -> Any:
    with app.test_request_context("/s/quick"):
        yield


def test_a_draft_is_remembered_and_forgotten_per_survey(ctx):
    rs.remember("quick", "d1", "/s/quick/r/abc")
    rs.remember("alltypes", "d2", "/s/alltypes?t=xyz")
    assert rs.draft_entry("quick") == ("d1", "/s/quick/r/abc")
    rs.forget("quick")
    assert rs.draft_entry("quick") is None and rs.draft_entry("alltypes") == ("d2", "/s/alltypes?t=xyz")


@pytest.mark.parametrize("entry", [["d1"], ["d1", 5], "d1", ["x" * 65, "/s/quick"], {"d": 1}])
def test_a_malformed_entry_is_no_draft(ctx, entry):
    session["d"] = {"quick": entry}
    assert rs.draft_entry("quick") is None


def test_done_forgets_the_draft_and_keeps_the_response(ctx):
    rs.remember("quick", "d1", "/s/quick/r/abc")
    rs.mark_done("quick", "r1")
    assert rs.done("quick") == "r1" and rs.draft_entry("quick") is None
    rs.clear_done("quick")
    assert rs.done("quick") is None


def test_a_signed_key_gives_back_its_key_and_render_time(ctx):
    before = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    signed = rs.new_signed_key()
    assert rs.valid_signed_key(signed) == signed
    key, rendered = rs.submission_key(signed)
    assert len(key) == 32 and rendered.tzinfo is None and before <= rendered <= before + dt.timedelta(seconds=5)


@pytest.mark.parametrize("signed", [None, "", "not.a.key", "x" * 201])
def test_anything_else_is_no_key(ctx, signed):
    assert rs.valid_signed_key(signed) is None and rs.submission_key(signed) is None


def test_a_key_signed_with_another_secret_is_refused(ctx):
    forged = rs.key_serializer("another-secret").dumps("k" * 32)
    assert rs.submission_key(forged) is None
    signed = rs.new_signed_key()
    tampered = ("A" if signed[0] != "A" else "B") + signed[1:]  # another payload under the same signature
    assert rs.valid_signed_key(tampered) is None
