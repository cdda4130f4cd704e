"""The OpenAPI 3.1 document of ``/api/v1/``, built from the code.

Paths and methods come from Flask's URL map (every rule of the ``api`` blueprint), each
operation from the :func:`operation` declaration on its view, and the components from the JSON
Schemas of :mod:`webform.api.schemas`; apispec assembles them (and checks the parts fit:
a reference to a schema that is not declared fails when the document is built).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from apispec import APISpec
from flask import current_app

from surveykit import __version__
from webform.api.schemas import SCHEMAS

F = TypeVar("F", bound=Callable[..., Any])
_ARG = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


def operation(
    *,
    summary: str,
    responses: dict[int, tuple[str, str]],
    request: dict[str, Any] | None = None,
    parameters: list[dict[str, Any]] | None = None,
) -> Callable[[F], F]:
    """Declare a view's OpenAPI operation: ``responses`` maps a status to (schema name, description)."""

    def mark(view: F) -> F:
        op: dict[str, Any] = {"summary": summary, "description": (view.__doc__ or "").strip() or summary}
        if parameters:
            op["parameters"] = [dict(p, **{"in": "query"}) for p in parameters]
        if request:
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": request}}}
        op["responses"] = {
            str(code): {
                "description": text or name,
                "content": {
                    ("application/problem+json" if name == "Problem" else "application/json"): {
                        "schema": {"$ref": f"#/components/schemas/{name}"}
                    }
                },
            }
            for code, (name, text) in responses.items()
        }
        for code, text in ((401, "no token, or an unknown, expired or revoked one"), (429, "rate limited")):
            op["responses"].setdefault(str(code), _problem(text))
        view._openapi = op  # type: ignore[attr-defined]
        return view

    return mark


def _problem(text: str) -> dict[str, Any]:
    return {
        "description": text,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def document() -> dict[str, Any]:
    """The document for the running app (built once per app)."""
    cached = current_app.extensions.get("surveykit_openapi")
    if cached is None:
        cached = current_app.extensions["surveykit_openapi"] = _build()
    return cached  # type: ignore[no-any-return]


def _build() -> dict[str, Any]:
    spec = APISpec(
        title="surveykit API",
        version=__version__,
        openapi_version="3.1.0",
        info={"description": "Invitations from dealer systems, the responses feed and erasure."},
        servers=[{"url": "/"}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name, schema in SCHEMAS.items():
        spec.components.schema(name, schema)
    paths: dict[str, dict[str, Any]] = {}
    for rule in current_app.url_map.iter_rules():
        if not rule.endpoint.startswith("api."):
            continue
        view = current_app.view_functions[rule.endpoint]
        op = getattr(view, "_openapi", None)
        if op is None:
            continue
        path = _ARG.sub(r"{\1}", rule.rule)
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "integer" if conv == "int" else "string"}}
            for conv, name in re.findall(r"<(?:([a-z]+):)?([a-z_]+)>", rule.rule)
        ]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            entry = dict(op, security=[{"bearer": []}], operationId=rule.endpoint.removeprefix("api."))
            if params:
                entry["parameters"] = params + list(op.get("parameters", []))
            paths.setdefault(path, {})[method.lower()] = entry
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
