"""JSON Schemas (2020-12, as OpenAPI 3.1 uses them) of what the API takes and gives.

They document the API in ``/api/v1/openapi.json``; the checks themselves are
:func:`surveykit.events.ingest` (per item, so that a batch answers 422 item by item).
"""

from __future__ import annotations

from typing import Any

from surveykit.events import CHANNELS, MAX_BATCH
from surveykit.response_feed import MAX_LIMIT

STATUSES = ["scheduled", "suppressed", "sent", "failed", "opened", "started", "completed", "opted_out", "expired"]

_nullable_time: dict[str, Any] = {"type": ["string", "null"], "format": "date-time"}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Contact": {
        "type": "object",
        "additionalProperties": False,
        "required": ["customer_id"],
        "properties": {
            "customer_id": {"type": "string", "minLength": 1, "maxLength": 200, "description": "the DMS's id"},
            "name": {"type": ["string", "null"], "maxLength": 200},
            "email": {"type": ["string", "null"], "format": "email"},
            "phone": {"type": ["string", "null"], "description": "any common notation; CN when no country code"},
            "language": {"type": ["string", "null"], "description": "one of the survey's languages"},
        },
    },
    "InvitationIn": {
        "type": "object",
        "additionalProperties": False,
        "required": ["survey", "event_id", "contact"],
        "properties": {
            "survey": {"type": "string", "description": "the id of a survey served here"},
            "event_id": {"type": "string", "minLength": 1, "maxLength": 200, "description": "idempotency key"},
            "contact": {"$ref": "#/components/schemas/Contact"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
            "send_at": {"type": "string", "format": "date-time", "description": "with its UTC offset"},
            "channel": {"enum": list(CHANNELS), "description": "default: email if given, else sms"},
        },
    },
    "InvitationOut": {
        "type": "object",
        "required": ["invitation_id", "status"],
        "properties": {
            "invitation_id": {"type": "integer"},
            "status": {"enum": ["scheduled", "suppressed"]},
            "reason": {
                "type": ["string", "null"],
                "description": "why it was suppressed: opted_out, contact_erased, quota_full, "
                "contact_rule:max_invitations, contact_rule:max_messages",
            },
        },
    },
    "BatchItem": {
        "type": "object",
        "required": ["index", "code"],
        "properties": {
            "index": {"type": "integer", "description": "position in the posted list"},
            "code": {"type": "integer", "description": "201 stored, 200 repeat, 403, 409, 422"},
            "invitation_id": {"type": ["integer", "null"]},
            "status": {"type": ["string", "null"]},
            "reason": {"type": ["string", "null"]},
            "field": {"type": ["string", "null"], "description": "the member that is wrong"},
            "hashes": {"type": "object", "properties": {"stored": {"type": "string"}, "posted": {"type": "string"}}},
        },
    },
    "Batch": {
        "type": "object",
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/BatchItem"}},
            "stored": {"type": "integer"},
            "repeated": {"type": "integer"},
            "refused": {"type": "integer"},
        },
    },
    "Invitation": {
        "type": "object",
        "properties": {
            "invitation_id": {"type": "integer"},
            "survey": {"type": "string"},
            "event_id": {"type": ["string", "null"]},
            "channel": {"enum": ["email", "sms", "link"]},
            "status": {"enum": STATUSES},
            "suppression_reason": {"type": ["string", "null"]},
            "fields": {"type": "object"},
            **{
                name: _nullable_time
                for name in (
                    "created_at",
                    "send_at",
                    "sent_at",
                    "opened_at",
                    "started_at",
                    "completed_at",
                    "opted_out_at",
                    "failed_at",
                    "expires_at",
                )
            },
        },
    },
    "ResponsePage": {
        "type": "object",
        "required": ["records", "next"],
        "properties": {
            "records": {
                "type": "array",
                "items": {"type": "object", "description": "codebook variables of the survey, and over_quota"},
            },
            "next": {"type": "string", "description": "pass as since= to get what came after"},
            "more": {"type": "boolean", "description": "a full page: ask again at once"},
        },
    },
    "Erasure": {
        "type": "object",
        "properties": {
            "found": {"type": "boolean"},
            "already": {"type": "boolean", "description": "erased by an earlier request"},
            "invitations": {"type": "integer"},
            "unlinked": {"type": "integer"},
            "removed": {"type": "integer"},
        },
    },
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "field": {"type": "string"},
            "reference": {"type": "string"},
        },
    },
}

INVITATIONS_BODY = {
    "oneOf": [
        {"$ref": "#/components/schemas/InvitationIn"},
        {"type": "array", "maxItems": MAX_BATCH, "items": {"$ref": "#/components/schemas/InvitationIn"}},
    ]
}
LIMIT = {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 100}
