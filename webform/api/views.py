"""The API's endpoints; each carries its OpenAPI operation (:func:`operation`) next to its code."""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import Any

import orjson
import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, request, url_for
from werkzeug.wrappers import Response

from surveykit import anonymity, contacts, events, response_feed
from surveykit.apitokens import in_scope
from surveykit.database import contacts as contacts_table
from surveykit.database import invitations, responses, utcnow, write_transaction
from surveykit.model import Questionnaire
from webform import db, form_photos
from webform.api.auth import before_request, current_token
from webform.api.openapi import document, operation
from webform.api.problems import fail, problem
from webform.api.schemas import INVITATIONS_BODY, LIMIT

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(before_request)  # every endpoint needs a token, except the OpenAPI document


def _json(body: dict[str, Any]) -> Response:
    """A large JSON answer (a batch's outcomes, a page of responses) in its own key order.

    ``jsonify`` sorts every object's keys (about 15 ms of a page of 1,000 records, profiled); the
    records keep the codebook's order instead, and non-ASCII text is sent as UTF-8, not escaped,
    written by orjson: the bytes of ``json.dumps(body, ensure_ascii=False, separators=(",", ":"))``
    in a fraction of its CPU.  A lone surrogate has no UTF-8 (a key a client sent, echoed back as
    the wrong field): such an answer is written in ASCII with it escaped, instead of failing whole.
    """
    try:
        data = orjson.dumps(body)
    except orjson.JSONEncodeError:
        data = json.dumps(body, separators=(",", ":")).encode("ascii")
    return current_app.response_class(data, mimetype="application/json")


def _survey(survey_id: str) -> Questionnaire | None:
    found = db.registry().survey(survey_id)
    return found[0] if found else None


def _json_body() -> Any:
    if not request.is_json:
        fail(415, "send the body as application/json")
    data = request.get_json(silent=True)
    if data is None:
        fail(400, "the body is not valid JSON")
    return data


@bp.post("/invitations")
@operation(
    summary="Invite customers: one event or a list of up to 1,000",
    request=INVITATIONS_BODY,
    responses={
        201: ("InvitationOut", "stored (a single object posted)"),
        200: ("Batch", "a list: each item's outcome; a single object: the invitation this event_id made before"),
        400: ("Problem", "the body is not JSON"),
        409: ("Problem", "this event_id was posted before with other content (both hashes given)"),
        413: ("Problem", "more than 1,000 items, or a body over the size limit"),
        422: ("Problem", "the item is wrong (unknown survey, field or value, bad e-mail or phone...)"),
    },
)
def post_invitations() -> Response:
    data = _json_body()
    single = isinstance(data, dict)
    if not single and not isinstance(data, list):
        fail(422, "post an invitation object or a list of them")
    items = [data] if single else data
    if len(items) > events.MAX_BATCH:
        fail(413, f"at most {events.MAX_BATCH} invitations a request; got {len(items)}", limit=events.MAX_BATCH)
    if not items:
        fail(422, "the list is empty")
    token = current_token()
    outcomes = events.ingest(
        db.engine(),
        items,
        functools.cache(_survey),  # a batch names a few surveys: each looked up once in this request
        allowed=functools.partial(in_scope, token),
        wave=current_app.config.get("WAVE"),
    )
    if single:
        o = outcomes[0]
        if o.status in (200, 201):
            response = jsonify(invitation_id=o.invitation_id, status=o.state, reason=o.reason)
            response.status_code = o.status
            response.headers["Location"] = url_for("api.get_invitation", invitation_id=o.invitation_id)
            return response
        return problem(o.status, o.reason, field=o.field, hashes=o.hashes, invitation_id=o.invitation_id)
    body = [
        {
            k: v
            for k, v in dict(
                index=o.index,
                code=o.status,
                invitation_id=o.invitation_id,
                status=o.state,
                reason=o.reason,
                field=o.field,
                hashes=o.hashes,
            ).items()
            if v is not None
        }
        for o in outcomes
    ]
    codes = [o.status for o in outcomes]
    return _json(
        dict(
            items=body,
            stored=codes.count(201),
            repeated=codes.count(200),
            refused=len(codes) - codes.count(201) - codes.count(200),
        )
    )


@bp.get("/invitations/<int:invitation_id>")
@operation(
    summary="An invitation: its status, timestamps and suppression reason",
    responses={
        200: ("Invitation", "the invitation"),
        403: ("Problem", "outside the token's scope"),
        404: ("Problem", ""),
    },
)
def get_invitation(invitation_id: int) -> Response:
    i = invitations.c
    with db.engine().connect() as conn:
        row = conn.execute(sa.select(invitations).where(i.id == invitation_id)).mappings().first()
    if row is None:
        fail(404, f"no invitation {invitation_id}")
    if not in_scope(current_token(), row["fields"]):
        fail(403, "this invitation is outside the token's scope")
    return jsonify(invitation_record(row, utcnow()))


def invitation_record(row: Any, now: dt.datetime) -> dict[str, Any]:
    """An invitation as the API shows it; a ``surveykit invite`` link (status NULL) reads as ``sent``."""
    status = row["status"] or "sent"
    if row["used_at"] is not None:
        status = "completed"
    elif status in ("sent", "opened", "started") and row["expires_at"] is not None and row["expires_at"] <= now:
        status = "expired"
    times = ("created_at", "send_at", "sent_at", "opened_at", "started_at", "opted_out_at", "failed_at", "expires_at")
    record = dict(
        invitation_id=row["id"],
        survey=row["survey"],
        event_id=row["event_id"],
        channel=row["channel"] or "link",
        status=status,
        suppression_reason=row["suppression_reason"],
        fields=row["fields"],
        completed_at=_iso(row["completed_at"] or row["used_at"]),
    )
    record.update({name: _iso(row[name]) for name in times})
    return record


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() + "Z" if value is not None else None


@bp.get("/responses")
@operation(
    summary="Completed responses in commit order, paged by cursor (each exactly once)",
    parameters=[
        dict(name="survey", schema={"type": "string"}, required=True),
        dict(
            name="since", schema={"type": "string"}, description="the next of the previous page; none: from the start"
        ),
        dict(name="limit", schema=LIMIT),
        dict(name="contact", schema={"type": "boolean"}, description="admin tokens only: add contact data (audited)"),
    ],
    responses={
        200: ("ResponsePage", "a page"),
        400: ("Problem", "a bad cursor or limit"),
        403: ("Problem", "contact data asked for without an admin token"),
        404: ("Problem", "no such survey"),
    },
)
def get_responses() -> Response:
    survey_id = request.args.get("survey", "")
    q = _survey(survey_id)
    if q is None:
        fail(404, f"no survey {survey_id[:100]!r} is served here", field="survey")
    raw_limit = request.args.get("limit", "100")
    if not raw_limit.isdigit() or not 1 <= int(raw_limit) <= response_feed.MAX_LIMIT:
        fail(400, f"limit must be a whole number from 1 to {response_feed.MAX_LIMIT}", field="limit")
    with_contact = request.args.get("contact", "").lower() in ("1", "true", "yes")
    token = current_token()
    if with_contact and not token.admin:
        fail(403, "contact data is for admin tokens only", field="contact")
    if with_contact and q.anonymous is not None:
        fail(403, "an anonymous survey has no contact data", field="contact")
    engine = db.engine()
    try:
        page = response_feed.read_page(
            engine, q, request.args.get("since"), int(raw_limit), allowed=functools.partial(in_scope, token)
        )
    except ValueError as exc:
        fail(400, str(exc), field="since")
    if with_contact and page.records:
        _add_contacts(page.records, token.name)
    records = page.records
    if q.anonymous is not None:  # no unit, dated times: a stream cannot know a unit's final count
        records = [anonymity.feed_record(rec, q) for rec in records]
    return jsonify(records=records, next=page.next_cursor, more=page.more)


def _add_contacts(records: list[dict[str, Any]], token_name: str) -> None:
    """Each record's contact (when it came through an invitation), and one audit row for the export."""
    r, i, c = responses.c, invitations.c, contacts_table.c
    ids = [rec["response_id"] for rec in records]
    with write_transaction(db.engine()) as conn:
        found = {
            row.response_id: dict(customer_id=row.customer_id, name=row.name, email=row.email, phone=row.phone)
            for row in conn.execute(
                sa.select(r.response_id, c.customer_id, c.name, c.email, c.phone)
                .join(invitations, i.id == r.invitation_id)
                .join(contacts_table, c.id == i.contact_id)
                .where(r.response_id.in_(ids), c.erased_at.is_(None))
            )
        }
        contacts.audit(
            conn,
            f"token:{token_name}",
            "export_contacts",
            dict(via="api", survey=records[0]["survey"], responses=len(ids), with_contact=len(found)),
        )
    for rec in records:
        rec["contact"] = found.get(rec["response_id"])


@bp.delete("/contacts/<path:customer_id>")
@operation(
    summary="Erase a customer's contact data; answers unlinked or removed as the survey's privacy: says",
    responses={200: ("Erasure", "done (also when done before: idempotent)"), 403: ("Problem", "admin tokens only")},
)
def delete_contact(customer_id: str) -> Response:
    token = current_token()
    if not token.admin:
        fail(403, "erasure is for admin tokens (created without --scope)")
    if len(customer_id) > 200:
        fail(404, "no such customer id")
    result = contacts.erase(
        db.engine(), customer_id, actor=f"token:{token.name}", evidence_dir=str(form_photos.folder())
    )
    return jsonify(
        found=result.found,
        already=result.already,
        invitations=result.invitations,
        unlinked=result.unlinked,
        removed=result.removed,
    )


@bp.get("/openapi.json")
def openapi() -> Response:
    """The OpenAPI 3.1 description of this API (no token needed)."""
    return jsonify(document())
