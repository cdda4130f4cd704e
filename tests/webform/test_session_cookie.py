"""The session's signer (webform/session_cookie.py): itsdangerous' tokens and checks, with its keys kept."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from flask import Flask, Response
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature, SignatureExpired, Signer, URLSafeTimedSerializer

from webform.session_cookie import COMPRESS_ABOVE, PlainJSON, SessionInterface, SignedSerializer

SECRET = "test-secret-key-0123456789abcdef"


SMALL = ["k" * 22, {"csrf_token": "a" * 40, "done": {"s": "r" * 32}}, [1, "二"]]


@pytest.mark.parametrize("value", [*SMALL, {"d": {f"s{n}": ["d" * 32, "/s/x/r/" + "t" * 40] for n in range(8)}}])
def test_tokens_itsdangerous_reads_and_writes(value):
    ours, theirs = SignedSerializer(SECRET, salt="x"), URLSafeTimedSerializer(SECRET, salt="x")
    with mock.patch("time.time", return_value=1_700_000_000):
        token = ours.dumps(value)
        assert ours.dumps(value) == token  # the kept signer signs alike the second time
        if len(json.dumps(value)) > COMPRESS_ABOVE:
            assert token == theirs.dumps(value) and token.startswith(".")  # zlib as itsdangerous does
        else:
            assert not token.startswith(".")  # a small payload is not run through zlib
    assert ours.loads(token) == theirs.loads(token) == value
    assert ours.loads(theirs.dumps(value)) == value


def test_each_key_is_derived_once():
    ours = SignedSerializer([SECRET + "-old", SECRET], salt="x")
    old_token = SignedSerializer(SECRET + "-old", salt="x").dumps("b")
    with mock.patch.object(Signer, "derive_key", autospec=True, side_effect=Signer.derive_key) as derive:
        for _ in range(3):
            assert ours.loads(ours.dumps("a")) == "a"
            assert ours.loads(old_token) == "b"
    # each key is derived once, for its kept HMAC, which signing and checking both copy
    assert sorted(str(call.args[1]) for call in derive.call_args_list) == sorted(
        [str(SECRET.encode()), str((SECRET + "-old").encode())]
    )


def test_tampered_other_salt_and_expired_tokens_are_refused():
    ours = SignedSerializer(SECRET, salt="x")
    token = ours.dumps("key")
    assert ours.loads(token) == "key"
    with pytest.raises(BadSignature):
        ours.loads(("A" if token[0] != "A" else "B") + token[1:])  # the payload (a signature's last
        # character may differ in padding bits only)
    with pytest.raises(BadSignature):
        SignedSerializer(SECRET, salt="y").loads(token)
    with pytest.raises(BadSignature):
        SignedSerializer(SECRET + "!", salt="x").loads(token)
    with mock.patch("time.time", return_value=10**10), pytest.raises(SignatureExpired):
        ours.loads(token, max_age=60)


def test_session_cookie_is_flasks_and_follows_the_key_and_its_fallbacks():
    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET, SECRET_KEY_FALLBACKS=["old-secret-key-0123456789abcdef"])
    flask_default = SecureCookieSessionInterface()
    flask_default.serializer = PlainJSON()  # type: ignore[assignment]
    interface = SessionInterface()
    ours, theirs = interface.get_signing_serializer(app), flask_default.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is ours  # built once
    with mock.patch("time.time", return_value=1_700_000_000):
        assert ours.dumps({"a": 1}) == theirs.dumps({"a": 1})  # too short for zlib either way
    old = Flask(__name__)
    old.config.update(SECRET_KEY="old-secret-key-0123456789abcdef")
    assert ours.loads(flask_default.get_signing_serializer(old).dumps({"b": 2})) == {"b": 2}  # a fallback key
    app.config["SECRET_KEY"] = "new-secret-key-0123456789abcdef"
    assert interface.get_signing_serializer(app) is not ours  # a new key: a new signer
    with pytest.raises(BadSignature):
        interface.get_signing_serializer(app).loads(ours.dumps({"a": 1}))
    app.config["SECRET_KEY"] = ""
    assert interface.get_signing_serializer(app) is None


@pytest.mark.parametrize(
    ("before", "change", "vary", "written"),
    [
        ({}, {"lang": "en"}, None, True),  # a new session
        ({"csrf_token": "t"}, {"done": {"s": "r"}}, "Accept-Encoding", True),  # written, after gzip's Vary
        ({"csrf_token": "t"}, {}, None, False),  # read only
        ({"csrf_token": "t"}, {}, "Accept-Encoding", False),  # read only, after gzip's Vary
        ({"csrf_token": "t"}, {}, "Cookie", False),  # read only, Vary: Cookie already there
        ({"csrf_token": "t"}, None, None, True),  # emptied: the cookie is deleted
        ({}, {}, None, False),  # never used
    ],
)
def test_session_written_as_flask_writes_it(before, change, vary, written):
    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET, SESSION_COOKIE_SECURE=True, SESSION_COOKIE_SAMESITE="Lax")
    flask_default = SecureCookieSessionInterface()
    flask_default.serializer = PlainJSON()  # type: ignore[assignment]
    replies = []
    for interface in (SessionInterface(), flask_default):
        session = interface.session_class(before)
        if change is None:
            session.clear()
        elif change:
            session.update(change)
        if before:
            session.accessed = True  # read (Flask marks it so through the request context)
        response = Response("")
        if vary:
            response.vary.add(vary)
        with mock.patch("time.time", return_value=1_700_000_000), app.test_request_context():
            interface.save_session(app, session, response)
        replies.append(sorted(response.headers.items()))
    assert replies[0] == replies[1]
    assert any(name == "Set-Cookie" for name, _value in replies[0]) is written


def test_a_session_read_but_unchanged_looks_up_no_cookie_setting():
    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET)
    interface = SessionInterface()
    session = interface.session_class({"csrf_token": "t"})
    session.accessed = True  # read through the request context
    response = Response("")
    with mock.patch.object(SessionInterface, "get_cookie_domain", side_effect=AssertionError("looked up")):
        interface.save_session(app, session, response)
    assert response.headers.getlist("Vary") == ["Cookie"] and "Set-Cookie" not in response.headers
    untouched = interface.session_class({"csrf_token": "t"})  # never read: no Vary, as Flask
    interface.save_session(app, untouched, response := Response(""))
    assert "Vary" not in response.headers


def _outcome(serializer, token, **kwargs):
    """What ``loads`` gives: ("ok", value) or (error class, message)."""
    try:
        return ("ok", serializer.loads(token, **kwargs))
    except BadSignature as e:
        return (type(e).__name__, str(e))


def _variants(token: str, other: str) -> list[str]:
    value, stamp, sig = token.rsplit(".", 2)
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    return [
        token,
        other,  # an older key's token (a fallback)
        f"{value}.{stamp}.{flipped}",  # another signature
        f"{value}.{stamp}.{sig}!",  # a character base64 ignores, as itsdangerous does
        f"{value}.{stamp}",  # no signature
        value,  # no separator at all
        f"{value}.{sig}",  # no timestamp
        f"{value}.{stamp}x.{sig}",  # a timestamp that does not match its signature
        "",
        "a.b.c",
    ]


@pytest.mark.parametrize("max_age", [None, 60, 10**9])
@pytest.mark.parametrize("now", [1_700_000_000, 1_700_000_000 + 3600, 1_600_000_000])
def test_check_refuses_and_accepts_as_itsdangerous(max_age, now):
    ours = SignedSerializer([SECRET + "-old", SECRET], salt="x")
    theirs = URLSafeTimedSerializer([SECRET + "-old", SECRET], salt="x")
    with mock.patch("time.time", return_value=1_700_000_000):
        token = theirs.dumps({"k": "v"})
        other = URLSafeTimedSerializer(SECRET + "-old", salt="x").dumps([1, 2])
    with mock.patch("time.time", return_value=now):
        for variant in _variants(token, other):
            assert _outcome(ours, variant, max_age=max_age) == _outcome(theirs, variant, max_age=max_age), variant
            assert _outcome(ours, variant, max_age=max_age, return_timestamp=True) == _outcome(
                theirs, variant, max_age=max_age, return_timestamp=True
            )


def test_a_valid_token_is_checked_without_a_new_hmac():
    ours = SignedSerializer(SECRET, salt="x")
    token = ours.dumps("key")
    ours.loads(token)  # the kept HMAC is set up on first use
    with mock.patch("hmac.new", side_effect=AssertionError("a new HMAC per check")):
        assert ours.loads(token, max_age=60) == "key"
        assert ours.loads(ours.dumps("other")) == "other"
