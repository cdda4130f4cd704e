"""The web form's side of :mod:`surveykit.unit_links`: a unit's open link opens the survey for that unit."""

from __future__ import annotations

from flask import current_app

from surveykit import storage
from surveykit.model import Questionnaire
from surveykit.unit_links import read_unit_token
from webform.errors import fail

__all__ = ["open_unit_link"]


def open_unit_link(q: Questionnaire, token: str, rate_limited: object) -> storage.InvitationState:
    """An open state with the link's unit fields and no invitation, or the unknown-invitation 404.

    A link is accepted only for an anonymous survey, with a genuine signature, for this survey,
    and with declared fields only (each a declared value where the field lists its values).
    Anything else is treated as an unknown token, counted against the guessing limit.
    """
    read = read_unit_token(str(current_app.config.get("SECRET_KEY") or ""), token)
    declared = {f.id: {code for code, _ in f.values} for f in q.fields}
    valid = (
        read is not None
        and q.anonymous is not None
        and read[0] == q.survey
        and all(k in declared and (not declared[k] or v in declared[k]) for k, v in read[1].items())
    )
    if not valid or read is None:
        if callable(rate_limited) and rate_limited("token"):
            fail(429)
        fail(404, "err_404", "invitation_unknown")
    return storage.InvitationState("open", None, q.survey, dict(read[1]))
