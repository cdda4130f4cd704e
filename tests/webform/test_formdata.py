"""The app's url-encoded form parse (webform/formdata.py): Werkzeug's pairs, split directly when nothing is escaped."""

from __future__ import annotations

from typing import Any
from unittest import mock

import flask
import pytest
from hypothesis import given
from hypothesis import strategies as st
from werkzeug import formparser
from werkzeug.datastructures import EnvironHeaders
from werkzeug.test import EnvironBuilder

from webform.formdata import Request

FORM = "application/x-www-form-urlencoded"


def _parsed(request_class: type[flask.Request], body: bytes) -> Any:
    environ = EnvironBuilder(method="POST", data=body, content_type=FORM).get_environ()
    request = request_class(environ)
    return list(request.form.items(multi=True)), list(request.files.items(multi=True))


# pieces a body is made of: separators, escapes, plus signs, letters, non-ASCII text
_BODY = st.lists(st.sampled_from(["&", "=", "%", "%2", "%20", "%e4%b8%ad", "+", "a", "q_i01", "7", "", "中", " "])).map(
    "".join
)


@given(_BODY)
def test_same_pairs_as_werkzeug(text: str) -> None:
    assert _parsed(Request, text.encode()) == _parsed(flask.Request, text.encode())


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"&",
        b"a",
        b"a=",
        b"=b",
        b"a=b=c",
        b"a=1&a=2&&b",
        b"a=%zz",
        b"a=x+y",
        b"a=%E4%B8%AD",
        b"c=\xe4\xb8\xad",
        b"a=\xff",
    ],
)
def test_edge_cases_as_werkzeug(body: bytes) -> None:
    """Blank pieces, repeated names, a bad escape, and a body that is not UTF-8 (Werkzeug's silent empty form)."""
    assert _parsed(Request, body) == _parsed(flask.Request, body)


def test_a_plain_body_is_split_without_parse_qsl(client: Any) -> None:
    """The app's requests use it: a radio-button post does not go through parse_qsl (fails on the old code)."""
    with mock.patch.object(formparser, "parse_qsl", side_effect=AssertionError("parse_qsl called")):
        with client.application.test_request_context("/", method="POST", data={"q_a": "3", "action": "next"}):
            assert type(flask.request._get_current_object()) is Request  # type: ignore[attr-defined]
            assert flask.request.form.to_dict() == {"q_a": "3", "action": "next"}


@pytest.mark.parametrize(
    "cookie", [None, "", "session=abc.def", "a=1; b=2; a=3", 'q="x y"; broken', "中=文".encode().decode("latin-1")]
)
def test_cookies_as_werkzeug(cookie: str | None) -> None:
    environ = EnvironBuilder(headers=[("X-Other", "1")]).get_environ()
    if cookie is not None:
        environ["HTTP_COOKIE"] = cookie
    assert list(Request(environ).cookies.items(multi=True)) == list(flask.Request(environ).cookies.items(multi=True))


def test_the_cookie_header_is_read_without_walking_the_environ() -> None:
    """Werkzeug walked every environ key to find it (fails on the old code)."""
    environ = EnvironBuilder(headers=[("Cookie", "session=abc")]).get_environ()
    with mock.patch.object(EnvironHeaders, "__iter__", side_effect=AssertionError("environ walked")):
        assert Request(environ).cookies.to_dict() == {"session": "abc"}
