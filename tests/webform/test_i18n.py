"""Language negotiation and the UI catalogue (webform/i18n.py)."""

from __future__ import annotations

from unittest import mock

import pytest

from tests.support.formclient import P1, Respondent
from webform.i18n import MESSAGES, negotiate


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),  # Werkzeug's best_match gives en here
        ("zh-CN", "zh"),
        ("zh", "zh"),
        ("zh-SG", "zh"),
        ("zh-Hans", "zh"),
        ("zh-Hans-CN", "zh"),
        ("zh_CN", "zh"),
        ("ZH-cn", "zh"),
        ("en;q=0.5,zh-CN;q=0.6", "zh"),
        ("en-US,en;q=0.9", "en"),
        ("en-GB", "en"),
        ("zh-TW", "zh"),  # same language, other script: second pass
        ("zh-TW,en;q=0.8", "en"),  # ... but an exact match wins
        ("fr-FR,fr;q=0.9", "zh"),
        ("", "zh"),
        (None, "zh"),
        ("*", "zh"),
        ("zh;q=0", "zh"),
        ("xx-invalid-tag-123456789, ;;;,,", "zh"),
        ("en" + ",zh" * 5000, "en"),
        ("\x00", "zh"),
    ],
)
def test_negotiate(header, expected):
    assert negotiate(header, ("zh", "en"), "zh") == expected


def test_negotiate_only_offers_what_the_survey_has():
    assert negotiate("zh-CN", ("en",), "en") == "en"


def test_catalogue_has_every_key_in_both_languages():
    assert MESSAGES["zh"].keys() == MESSAGES["en"].keys()


def test_page_language_follows_accept_language(client):
    zh = Respondent(client, "zh-CN,zh;q=0.9,en;q=0.8").get("/s/alltypes")
    assert '<html lang="zh-Hans">' in zh.text and "我很满意。" in zh.text and "下一页" in zh.text
    assert 'lang="en" hreflang="en">English</a>' in zh.text
    en = Respondent(client, "en-US").get("/s/alltypes")
    assert '<html lang="en">' in en.text and "I am satisfied." in en.text
    assert 'lang="zh-Hans" hreflang="zh-Hans">中文</a>' in en.text


def test_language_switch_overrides_and_is_remembered(client):
    r = Respondent(client, "en-US")
    response = client.get("/s/alltypes?lang=zh", headers=r.headers)
    assert response.status_code == 303 and response.headers["Location"].endswith("/s/alltypes")
    page = r.get("/s/alltypes")
    assert '<html lang="zh-Hans">' in page.text
    page = r.post(page, P1)
    assert '<html lang="zh-Hans">' in page.text and "第 2 页，共 3 页" in page.text


def test_switch_keeps_the_invitation_token(client):
    response = client.get("/s/quick?t=abc&lang=en")
    assert response.status_code == 303 and response.headers["Location"].endswith("/s/quick?t=abc")


def test_unknown_language_is_ignored(client):
    response = client.get("/s/alltypes?lang=fr")
    assert response.status_code == 303
    assert '<html lang="zh-Hans">' in client.get("/s/alltypes").get_data(as_text=True)


def test_error_pages_use_the_respondent_language(client):
    page = client.get("/s/nope", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 404 and "此地址没有问卷" in page.get_data(as_text=True)
    page = client.get("/s/nope", headers={"Accept-Language": "en"})
    assert "There is no survey at this address" in page.get_data(as_text=True)


def test_a_repeated_accept_language_header_is_parsed_once() -> None:
    """choose_language keeps the choice per header (browsers repeat theirs): the same answer, one parse."""
    import flask

    from webform import i18n

    app = flask.Flask("i18n-test")
    app.config.update(SECRET_KEY="i18n-test-secret-key-0123456789ab")
    header = "fr-CH,zh-Hans-SG;q=0.8,en;q=0.5"  # a header no other test sends
    expected = negotiate(header, ("zh", "en"), "zh")
    parses = []
    real = i18n.parse_accept_header

    def counted(*args: object) -> object:
        parses.append(args)
        return real(*args)  # type: ignore[call-overload]

    with mock.patch.object(i18n, "parse_accept_header", side_effect=counted):
        for _ in range(3):
            with app.test_request_context("/", headers={"Accept-Language": header}):
                assert i18n.choose_language(("zh", "en"), "zh") == expected == "zh"
    assert len(parses) == 1
