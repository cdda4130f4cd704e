"""gzip for pages (webform/compression.py): what is compressed, and what is let through untouched."""

from __future__ import annotations

import gzip
from unittest import mock

import flask
import pytest
from werkzeug.wrappers import Response

from webform import compression

GZIP = {"Accept-Encoding": "gzip, deflate"}


@pytest.fixture
def ctx():
    with flask.Flask("gzip-test").test_request_context("/", method="POST", headers=GZIP):
        yield


@pytest.mark.usefixtures("ctx")
def test_a_page_is_compressed_and_a_redirect_or_small_reply_is_not():
    page = Response("<p>" + "x" * 5000, mimetype="text/html")
    assert compression.compress_html(page) is page
    assert page.headers["Content-Encoding"] == "gzip" and page.headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(page.get_data()) == b"<p>" + b"x" * 5000
    for reply in (flask.redirect("/s/x/thanks", 303), Response("<p>short", mimetype="text/html"), Response("")):
        before = (reply.get_data(), sorted(reply.headers.items()))
        assert compression.compress_html(reply) is reply
        assert (reply.get_data(), sorted(reply.headers.items())) == before


@pytest.mark.usefixtures("ctx")
def test_a_short_reply_is_let_through_before_its_type_is_parsed():
    """A redirect ends most POSTs: its declared length decides, without parsing Content-Type."""
    reply = flask.redirect("/s/x/thanks", 303)
    with mock.patch.object(Response, "mimetype", new_callable=mock.PropertyMock) as mimetype:
        mimetype.side_effect = AssertionError("Content-Type parsed")
        assert compression.compress_html(reply) is reply
    assert "Content-Encoding" not in reply.headers
