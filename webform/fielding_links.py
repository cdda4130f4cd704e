"""The links in fielding messages: ``/i/<code>`` (the short survey link) and ``/optout/<token>``.

``GET /i/<code>`` looks the short code up by its hash (:mod:`surveykit.fielding.links`),
records the invitation as opened, and sends the respondent on to the survey with
the code as the invitation token, so the survey's own single-use rules apply
(:func:`surveykit.invitations.lookup_invitation` takes a short code too).  An
expired or answered link gets a polite page in the survey's language; unknown
codes count against the address's guessing limit like any token.

Which fetch of the link is an *open* (:func:`counts_as_open`): e-mail link scanners
(Outlook Safe Links, Mimecast, Proofpoint, Barracuda, a corporate gateway) and chat
previews (WeChat, Slack) fetch every link of a message the moment it arrives, so counting
any GET would mark most e-mail invitations opened and make the funnel's "opened" say
"delivered".  An open is counted only for a GET that a person's browser makes when it
navigates: a HEAD never (a browser never navigates with HEAD, scanners probe with it), and
a GET only when it asks for an HTML page (``Accept`` names ``text/html``; libraries and most
scanners send ``*/*``) from a User-Agent that is present and not a known scanner, preview,
bot or HTTP library (:data:`SCANNER_AGENTS`).  Every request still gets the same answer
(the redirect to the survey), so nothing tells a scanner apart from a person.  A scanner that
imitates a browser in every header still counts: "opened" stays an upper bound on the people
who saw the page, and "started" (the first page submitted, which no scanner does) is the
measure of engagement that AAPOR's rates use.

``/optout/<token>``: GET shows one button, POST records the opt-out (RFC 8058:
mail providers POST ``List-Unsubscribe=One-Click`` to the same URL, with no
session).  The signed token is the only credential, so the route is exempt
from the CSRF token; an attacker who could forge a request would need the token,
which already lets anyone opt that contact out.  The opt-out stamps the
channel it came by on the contact, moves their open invitations to
``opted_out`` and cancels every message still waiting to go to them.  The page
says the same whoever the token names, whether or not the contact is still on
file, so it reveals nothing about an address.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from surveykit.database import contacts, invitation_messages, invitations, utcnow, write_transaction
from surveykit.errors import SurveykitError
from surveykit.fielding import links, tracking
from webform import db
from webform.errors import fail
from webform.i18n import BCP47, choose_language, current_language
from webform.link_tokens import rate_limited

__all__ = ["SCANNER_AGENTS", "bp", "counts_as_open", "init_app"]

# User-Agent words of link scanners, previewers, crawlers and HTTP libraries (case-insensitive);
# the mail gateways' own names, and the generic words their products put in their agents
SCANNER_AGENTS = re.compile(
    r"\bbot\b|bot/|bot-|robot|spider|crawl|preview|scanner|scan/|safelinks|barracuda|mimecast|proofpoint|"
    r"fireeye|forcepoint|trendmicro|symantec|sophos|messagelabs|cisco|ironport|"
    r"google-safety|headlesschrome|phantomjs|"
    r"curl/|wget/|python-|go-http-client|java/|okhttp|libwww|httpclient|axios/|node-fetch|"
    r"facebookexternalhit|whatsapp|telegrambot|slackbot|skypeuripreview|ms office|microsoft office",
    re.IGNORECASE,
)

bp = Blueprint("fielding_links", __name__)

_TEXT = {
    "zh": {
        "optout_title": "退订",
        "optout_ask": "点击下面的按钮后，我们将不再向您发送调查邀请或提醒。",
        "optout_button": "退订",
        "optout_done_title": "已退订",
        "optout_done": "我们不会再向您发送调查邀请或提醒。谢谢！",
        "expired_title": "调查已结束",
        "expired": "此调查链接已过期，感谢您的关注。",
        "used_title": "您已完成调查",
        "used": "您已经提交过此调查的答卷。谢谢！",
    },
    "en": {
        "optout_title": "Unsubscribe",
        "optout_ask": "Press the button below and we will send you no more survey invitations or reminders.",
        "optout_button": "Unsubscribe",
        "optout_done_title": "Unsubscribed",
        "optout_done": "We will send you no more survey invitations or reminders. Thank you.",
        "expired_title": "This survey has closed",
        "expired": "This survey link has expired. Thank you for your interest.",
        "used_title": "Already answered",
        "used": "You have already answered this survey. Thank you!",
    },
}


def _page(lang: str, title: str, text: str, status: int = 200, button: str | None = None) -> Response:
    body = render_template(
        "fielding/message.html",
        lang=lang,
        lang_tag=BCP47.get(lang, lang),
        title=_TEXT[lang][title],
        text=_TEXT[lang][text],
        button=_TEXT[lang][button] if button else None,
    )
    return Response(body, status=status, mimetype="text/html", headers={"Cache-Control": "no-store"})


@bp.get("/i/<code>")
def short_link(code: str) -> BaseResponse:
    i = invitations.c
    found = None
    if links.SHORT_CODE.fullmatch(code):
        with db.engine().connect() as conn:
            found = conn.execute(
                sa.select(i.id, i.survey, i.status, i.expires_at, i.used_at).where(
                    i.short_code_hash == links.code_hash(code)
                )
            ).first()
    if found is None:
        if rate_limited("token"):
            fail(429)
        fail(404, "err_404", "invitation_unknown")
    if rate_limited("token", count=False):
        fail(429)
    entry = db.registry().survey(found.survey)
    languages = entry[0].languages if entry is not None else ("zh", "en")
    lang = choose_language(languages, languages[0])
    lang = lang if lang in _TEXT else "en"
    if found.used_at is not None or found.status == "completed":
        return _page(lang, "used_title", "used", 410)
    if found.status == "expired" or (found.expires_at is not None and found.expires_at <= utcnow()):
        return _page(lang, "expired_title", "expired", 410)
    if entry is None:
        fail(404, "err_404", "survey_unknown")
    if counts_as_open():
        with write_transaction(db.engine()) as conn:
            tracking.advance(conn, found.id, "opened", utcnow())
    return redirect(url_for("survey.start", survey_id=found.survey, t=code), 303)


def counts_as_open() -> bool:
    """Whether this fetch of a short link is a person's browser opening it (the rule: the module docstring)."""
    if request.method != "GET":
        return False
    agent = request.headers.get("User-Agent", "")
    accept = request.headers.get("Accept", "")
    return bool(agent) and "text/html" in accept.lower() and not SCANNER_AGENTS.search(agent)


def _secret() -> bytes | None:
    try:
        return links.link_secret(current_app.config.get("LINK_SECRET"))
    except SurveykitError:
        return None


def _optout_target(token: str) -> tuple[int, str]:
    secret = _secret()
    target = links.read_optout(secret, token) if secret is not None and len(token) <= 40 else None
    if target is None:
        if rate_limited("optout"):
            fail(429)
        fail(404)
    return target


@bp.get("/optout/<token>")
def optout(token: str) -> BaseResponse:
    _optout_target(token)
    lang = current_language()
    return _page(lang if lang in _TEXT else "en", "optout_title", "optout_ask", button="optout_button")


@bp.post("/optout/<token>")
def optout_post(token: str) -> BaseResponse:
    contact_id, channel = _optout_target(token)
    now = utcnow()
    c, i, m = contacts.c, invitations.c, invitation_messages.c
    with write_transaction(db.engine()) as conn:
        stamp = c.optout_email_at if channel == "email" else c.optout_sms_at
        conn.execute(sa.update(contacts).where(c.id == contact_id, stamp.is_(None)).values({stamp.key: now}))
        open_ids = list(
            conn.execute(
                sa.select(i.id).where(i.contact_id == contact_id, i.status.not_in(("completed", "suppressed")))
            ).scalars()
        )
        for invitation_id in open_ids:
            tracking.advance(conn, invitation_id, "opted_out", now)
        if open_ids:
            conn.execute(
                sa.update(invitation_messages)
                .where(m.invitation_id.in_(open_ids), m.status == "pending")
                .values(status="cancelled", reason="opted_out", lease_until=None)
            )
    lang = current_language()
    return _page(lang if lang in _TEXT else "en", "optout_done_title", "optout_done")


def init_app(app: Flask) -> None:
    """Register the routes; the opt-out POST is exempt from the CSRF token (see the module docstring)."""
    app.register_blueprint(bp)
    app.extensions["csrf"].exempt(optout_post)
