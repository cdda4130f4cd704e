"""The fielding keys of the format (templates, reminders, expiry, contact rules, webhooks), SMS length,
durations and quiet hours, and the links' codes and tokens."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path

import pytest

from surveykit import load_questionnaire
from surveykit.errors import QuestionnaireError
from surveykit.fielding import links, schedule
from surveykit.fielding.declared import SmsLengthWarning
from surveykit.fielding.installation import load_installation
from surveykit.fielding.templates import TemplateError, placeholders, render, sms_length
from tests.surveykit.fielding_support import FIELDING_YAML

HEAD = """\
survey: svc
version: 1
title: {zh: 调查, en: Survey}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}}
pages:
  - id: p1
    questions:
      - {id: sat, type: nps, text: {zh: 推荐, en: Recommend}}
"""


def load(extra: str) -> object:
    return load_questionnaire(HEAD + extra)


def test_every_fielding_key_is_read():
    q = load_questionnaire(FIELDING_YAML)
    f = q.fielding
    assert f is not None
    assert f.timezone == "Asia/Shanghai"
    assert f.expires == dt.timedelta(days=14)
    assert [r.after for r in f.reminders] == [dt.timedelta(days=2), dt.timedelta(days=5)]
    assert f.invitation.email.subject["en"] == "{dealer} asks about your visit"
    assert f.contact_rules.max_invitations.count == 1
    assert f.contact_rules.max_messages.per == dt.timedelta(days=30)
    assert f.contact_rules.quiet_hours.start == dt.time(21) and f.contact_rules.quiet_hours.channels == ("sms",)
    # the second reminder has its own SMS and falls back to the invitation's e-mail
    assert f.messages(2).sms["en"].startswith("{dealer}: last reminder")
    assert f.messages(2).email == f.invitation.email
    assert f.messages(1) == f.invitation


def test_a_survey_without_fielding_keys_has_none():
    assert load("").fielding is None


@pytest.mark.parametrize(
    ("extra", "where", "message"),
    [
        # the placeholder's own column: line 12, the quote at column 43, {colour} 5 characters into the text
        (
            'invitation:\n  sms: {zh: "请评价 {link} 退订 {optout}", en: "Rate {colour} {link} {optout}"}\n',
            "12:49",
            "unknown placeholder {colour} (allowed: {name}, {link}, {optout}, {dealer})",
        ),
        ('invitation:\n  sms: {zh: "请评价 {link}", en: "Rate {link} {optout}"}\n', "12:13", "must carry {optout}"),
        (
            'invitation:\n  sms: {zh: "请评价 {link.x} {optout}", en: "Rate {link} {optout}"}\n',
            "12:18",
            "{link.x} is not a placeholder",
        ),
        ('invitation:\n  sms: {zh: "请评价 { {link} {optout}", en: "x {link} {optout}"}\n', "12:18", "a lone '{'"),
        ("invitation: {}\n", "11:13", "needs an email: or an sms: template"),
        ("expires: 14 days\n", "11:10", "'14 days' is not a duration"),
        ("reminders: [{after: 0d}]\n", "11:21", "longer than zero"),
        ("timezone: Mars/Olympus\n", "11:11", "'Mars/Olympus' is not a time zone"),
        ("contact_rules: {quiet_hours: {start: '21:00', end: '9'}}\n", "11:52", "'9' is not a time of day"),
        ("contact_rules: {max_messages: {count: 0, per: 30d}}\n", "11:39", "count must be 1 or more"),
        ("contact_rules: {max_mesages: {count: 1, per: 30d}}\n", "11:17", "did you mean 'max_messages'?"),
        (
            "webhooks: [{url: 'ftp://x', events: [response.completed], secret_env: S}]\n",
            "11:18",
            "is not an http(s) URL",
        ),
        (
            "webhooks: [{url: 'https://x', events: [response.opened], secret_env: S}]\n",
            "11:40",
            "'response.opened' is not allowed",
        ),
        ("webhooks: [{url: 'https://x', events: [case.opened], secret_env: lower}]\n", "11:66", "environment variable"),
    ],
)
def test_bad_fielding_keys_are_reported_at_their_position(extra, where, message):
    with pytest.raises(QuestionnaireError) as err:
        load(extra)
    text = str(err.value)
    assert f"<string>:{where}:" in text and message in text, text


def test_reminders_must_come_in_order():
    extra = (
        'invitation:\n  sms: {zh: "{link} {optout}", en: "{link} {optout}"}\nreminders: [{after: 5d}, {after: 2d}]\n'
    )
    with pytest.raises(QuestionnaireError, match="each after the one before"):
        load(extra)


def test_a_long_sms_warns_with_its_parts(tmp_path: Path):
    long_zh = "尊敬的客户" * 20  # 100 Chinese characters, plus the links: 3 UCS-2 parts
    path = tmp_path / "s.yaml"
    path.write_text(
        HEAD + f'invitation:\n  sms: {{zh: "{long_zh} {{link}} {{optout}}", en: "Rate us {{link}} {{optout}}"}}\n',
        encoding="utf-8",
    )
    with pytest.warns(SmsLengthWarning, match=r"s.yaml:12:13: invitation.sms.zh: the SMS takes 3 parts \(.*UCS-2"):
        load_questionnaire(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_questionnaire(FIELDING_YAML)  # the shipped-style templates fit in two parts


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),  # 153 a part once concatenated
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # an extension character costs two septets
        ("中" * 70, "UCS-2", 70, 1),
        ("中" * 71, "UCS-2", 71, 2),  # 67 a part once concatenated
        ("中" * 134, "UCS-2", 134, 2),
        ("中" * 135, "UCS-2", 135, 3),
        ("a" * 69 + "😀", "UCS-2", 71, 2),  # outside the BMP: a surrogate pair
    ],
)
def test_sms_length_follows_3gpp(text, encoding, units, segments):
    got = sms_length(text)
    assert (got.encoding, got.units, got.segments) == (encoding, units, segments)


def test_templates_render_only_bare_names():
    assert placeholders("Hi {name}, {{not}} {link}") == [("name", 3), ("link", 19)]
    assert render("Hi {name}, {{x}} {link}", {"name": "A", "link": "L"}) == "Hi A, {x} L"
    assert render("<b>{name}</b>", {"name": "<i>&"}, escape_html=True) == "<b>&lt;i&gt;&amp;</b>"
    for bad in ("{0}", "{name!r}", "{name:>10}", "{__class__}", "{a[0]}"):
        with pytest.raises(TemplateError):
            placeholders(bad)
    with pytest.raises(KeyError):
        render("{dealer}", {})


def test_durations_and_clocks():
    assert schedule.parse_duration("1d12h") == dt.timedelta(days=1, hours=12)
    assert schedule.parse_duration("2w") == dt.timedelta(days=14)
    assert schedule.parse_duration("90m") == dt.timedelta(minutes=90)
    for bad in ("", "d", "14", "-1d", "1.5d", "0m"):
        with pytest.raises(ValueError, match="duration"):
            schedule.parse_duration(bad)
    assert schedule.parse_clock("09:00") == dt.time(9)
    with pytest.raises(ValueError, match="not a time of day"):
        schedule.parse_clock("24:00")


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        # Shanghai is UTC+8 all year: quiet 21:00-09:00 local is 13:00-01:00 UTC
        (dt.datetime(2026, 3, 2, 12, 59), dt.datetime(2026, 3, 2, 12, 59)),  # 20:59 local: not quiet
        (dt.datetime(2026, 3, 2, 13, 0), dt.datetime(2026, 3, 3, 1, 0)),  # 21:00 local -> 09:00 next day
        (dt.datetime(2026, 3, 2, 18, 30), dt.datetime(2026, 3, 3, 1, 0)),  # 02:30 local -> 09:00 same day
        (dt.datetime(2026, 3, 3, 0, 59), dt.datetime(2026, 3, 3, 1, 0)),  # 08:59 local
        (dt.datetime(2026, 3, 3, 1, 0), dt.datetime(2026, 3, 3, 1, 0)),  # 09:00 local: open
    ],
)
def test_quiet_hours_wait_for_the_window_to_open(utc, expected):
    tz = schedule.zone("Asia/Shanghai")
    assert schedule.quiet_until(utc, dt.time(21), dt.time(9), tz) == expected


def test_quiet_hours_follow_daylight_saving():
    tz = schedule.zone("Europe/Berlin")  # UTC+2 in summer, UTC+1 in winter
    assert schedule.quiet_until(dt.datetime(2026, 7, 1, 20, 0), dt.time(21), dt.time(9), tz) == dt.datetime(
        2026, 7, 2, 7, 0
    )
    assert schedule.quiet_until(dt.datetime(2026, 1, 1, 21, 0), dt.time(21), dt.time(9), tz) == dt.datetime(
        2026, 1, 2, 8, 0
    )


def test_short_codes_are_stable_distinct_and_keyed():
    codes = {links.short_code(b"k" * 16, n) for n in range(1, 5001)}
    assert len(codes) == 5000 and all(links.SHORT_CODE.fullmatch(c) for c in codes)
    assert links.short_code(b"k" * 16, 7) == links.short_code(b"k" * 16, 7)
    assert links.short_code(b"k" * 16, 7) != links.short_code(b"j" * 16, 7)


def test_optout_tokens_are_signed():
    secret = b"s" * 16
    token = links.optout_token(secret, 42, "sms")
    assert links.read_optout(secret, token) == (42, "sms")
    assert links.read_optout(b"t" * 16, token) is None
    forged = "43" + token[2:]
    assert links.read_optout(secret, forged) is None
    assert links.read_optout(secret, token.replace("s.", "e.")) is None
    assert links.read_optout(secret, "garbage") is None


def test_the_link_secret_must_be_long_enough(monkeypatch):
    monkeypatch.setenv("SURVEYKIT_LINK_SECRET", "short")
    with pytest.raises(Exception, match="at least 16"):
        links.link_secret()
    monkeypatch.setenv("SURVEYKIT_LINK_SECRET", "x" * 16)
    assert links.link_secret() == b"x" * 16


def test_the_installation_file(tmp_path: Path):
    path = tmp_path / "installation.yaml"
    path.write_text(
        "contact_rules:\n  max_invitations: {count: 1, per: 30d}\n"
        "webhooks:\n  - {url: 'https://dms.example/h', events: [case.opened], secret_env: DMS_SECRET}\n",
        encoding="utf-8",
    )
    inst = load_installation(path)
    assert inst.contact_rules.max_invitations.count == 1
    assert inst.webhooks[0].events == ("case.opened",)
    path.write_text("contact_rules:\n  max_invitations: {count: 1, per: 30 days}\n", encoding="utf-8")
    with pytest.raises(QuestionnaireError, match=r"installation.yaml:2:36: contact_rules.max_invitations.per"):
        load_installation(path)
