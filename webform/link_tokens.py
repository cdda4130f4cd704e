"""The tokens in respondent links (invitation ``?t=``, resume ``/r/``): lookup under a guessing limit.

Unknown tokens are counted per client address (``TOKEN_RATE_LIMIT``, in the store, so
every worker sees the same count); an address over the limit gets 429 for every token.
"""

from __future__ import annotations

from flask import current_app, request

from surveykit import storage
from surveykit.model import Questionnaire
from surveykit.unit_links import PREFIX as UNIT_PREFIX
from webform import db
from webform.errors import fail
from webform.unit_links import open_unit_link

__all__ = ["open_invitation", "rate_limited"]


def rate_limited(kind: str, count: bool = True) -> bool:
    """True when this address is over the limit for ``kind`` ("token", "resume"); ``count`` adds this request."""
    limit, window = current_app.config["TOKEN_RATE_LIMIT"]
    return storage.hit_rate_limit(
        db.engine(), f"{kind}:{request.remote_addr or 'unknown'}", limit=int(limit), window_s=int(window), count=count
    )


def open_invitation(q: Questionnaire, token: str) -> storage.InvitationState:
    """An open invitation of this survey, or an error page (404 unknown, 410 used/expired, 429).

    Once an address is over the guessing limit every token is 429, a real one too: otherwise a
    guesser would still tell a hit (200) from a miss (429).
    """
    if token.startswith(UNIT_PREFIX):  # a unit's open link of an anonymous survey (surveykit.unit_links)
        return open_unit_link(q, token, rate_limited)
    state = storage.lookup_invitation(db.engine(), token)
    if state.status == "unknown" or state.survey != q.survey:
        if rate_limited("token"):
            fail(429)
        fail(404, "err_404", "invitation_unknown")
    if rate_limited("token", count=False):
        fail(429)
    if state.status == "used":
        fail(410, "err_410", "invitation_used")
    if state.status == "expired":
        fail(410, "err_410", "invitation_expired")
    return state
