"""The request-size limit Werkzeug leaves out: the number of fields of a url-encoded body.

The other limits are Flask's own settings (``MAX_CONTENT_LENGTH``, ``MAX_FORM_MEMORY_SIZE``,
``MAX_FORM_PARTS`` for multipart bodies; defaults in :mod:`webform.settings`).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

__all__ = ["limit_form_parts"]

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def limit_form_parts(*_args: Any) -> None:
    """413 for a url-encoded body with more fields than MAX_FORM_PARTS.

    Werkzeug applies ``MAX_FORM_PARTS`` to multipart bodies only; a url-encoded body is
    bounded by ``MAX_CONTENT_LENGTH`` alone, so the fields are counted here.
    """
    req = request._get_current_object()  # type: ignore[attr-defined]  # the proxy resolved once
    if req.method in _BODY_METHODS and req.mimetype == "application/x-www-form-urlencoded":
        limit = current_app.config.get("MAX_FORM_PARTS")
        # the body is already capped by MAX_CONTENT_LENGTH, so parsing it first costs little
        if limit and sum(map(len, req.form.listvalues())) > int(limit):
            raise RequestEntityTooLarge()
