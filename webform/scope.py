"""Who may open which page, and which units they see on it: the one place the web app decides access.

:data:`RULES` names, for every endpoint of the app (or every endpoint of a blueprint, ``"bp.*"``),
the roles that may open it, or :data:`PUBLIC` for the respondent pages, the login, the static
files and the bearer-token API (which checks its own tokens, :mod:`webform.api.auth`).
:func:`enforce` runs before every request of the app (the admin blueprint installs it with
``before_app_request``, so every app that has the admin pages has the check) and:

* lets a public endpoint through;
* sends a visitor without a valid session to the login page (303), as before;
* refuses a role the rule does not name with 403 (a department user on the survey pages, as
  before), and an ``analyst`` any state change (an analyst reads everything and changes nothing);
* for a ``manager``, answers 404, exactly as for something that does not exist, when the request
  names a unit outside their scope: a view argument or query parameter ``unit``, ``dealer`` or
  ``branch``, or a case (``case_id``) whose dealer and branch are both outside it;
* refuses a logged-in manager or analyst an endpoint that has no rule (404, logged): a new page
  is closed to scoped users until it is given one (``tests/webform/test_scope.py`` fails on it).

The data on a page is narrowed by the same scope: :func:`units` (None: every unit),
:func:`visible`, :func:`filter_frame` for a responses table and :func:`case_scope` for the case
queries (:class:`surveykit.cases.UnitScope`).  A response belongs to a manager's scope when its
``dealer`` or its ``branch`` is one of the units they were given or below them in the current
organisation (:func:`surveykit.org.scope_units`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa
from flask import current_app, g, redirect, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from surveykit import cases, org
from surveykit.accounts import ROLES
from surveykit.database import drafts, responses
from webform import auth, db
from webform.errors import fail

__all__ = [
    "PUBLIC",
    "RULES",
    "Rule",
    "case_scope",
    "draft_counts",
    "enforce",
    "filter_frame",
    "response_counts",
    "rule_for",
    "units",
    "visible",
]


@dataclass(frozen=True, slots=True)
class Rule:
    """The roles that may open an endpoint; None: anyone, without a login."""

    roles: frozenset[str] | None


PUBLIC = Rule(None)
_ANYONE = Rule(frozenset(ROLES))
_SURVEY_DATA = Rule(frozenset({"admin", "analyst", "manager"}))  # answers, downloads, reports, dashboards
_READ_ALL = Rule(frozenset({"admin", "analyst"}))  # everything, every unit
_CASE_READERS = Rule(frozenset({"admin", "department", "analyst", "manager"}))
_CASE_WORKERS = Rule(frozenset({"admin", "department", "manager"}))
_AUDIT_READERS = Rule(frozenset({"admin", "analyst", "manager", "auditor"}))

RULES: dict[str, Rule] = {
    "static": PUBLIC,
    "healthz": PUBLIC,
    "survey.*": PUBLIC,  # the respondent pages
    "fielding_links.*": PUBLIC,  # a respondent's short link and opt-out page (a signed token each)
    "api.*": PUBLIC,  # bearer tokens, checked and scoped by webform.api.auth and surveykit.apitokens
    "admin.login": PUBLIC,
    "admin.login_post": PUBLIC,
    "admin.logout": _ANYONE,
    "admin.index": _ANYONE,
    "admin.survey": _SURVEY_DATA,
    "admin.responses_file": _SURVEY_DATA,
    "admin.responses_with_contacts": Rule(frozenset({"admin"})),  # contact data: admins only, audited
    "admin.report": _SURVEY_DATA,  # a manager's report holds their units only
    "dashboard.*": _SURVEY_DATA,  # the management dashboard (issue 13b), narrowed to the unit chosen
    "dashboard.report_start": _READ_ALL,
    "dashboard.report_state": _READ_ALL,
    "dashboard.report_view": _READ_ALL,
    "cases.board": _CASE_READERS,
    "cases.export": _CASE_READERS,
    "cases.case": _CASE_READERS,
    "cases.case_json": _CASE_READERS,
    "cases.move": _CASE_WORKERS,
    "cases.note": _CASE_WORKERS,
    "cases.recovery": _CASE_WORKERS,
    "evidence.audits": _AUDIT_READERS,  # audits and their photos (webform.evidence), within the user's units
    "evidence.audit": _AUDIT_READERS,
    "evidence.photo": _AUDIT_READERS,
    "evidence.upload": Rule(frozenset({"admin", "auditor"})),
    "audits.index": _AUDIT_READERS,  # the audit planner (webform.audits): plans and assignments of the user's units
    "audits.create": Rule(frozenset({"admin", "manager"})),
    "audits.draw": Rule(frozenset({"admin", "manager"})),
    "audits.cancel": Rule(frozenset({"admin", "manager"})),
    "audits.start": Rule(frozenset({"admin", "auditor"})),
}

# Roles whose view is narrowed: never let them reach a page that has no rule.
_SCOPED_ROLES = frozenset({"manager", "analyst", "auditor"})
# Request arguments that name a unit: a manager naming one outside their scope gets 404.
UNIT_ARGS = ("unit", "dealer", "branch")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_ALWAYS_ALLOWED_WRITES = frozenset({"admin.logout"})


def rule_for(endpoint: str) -> Rule | None:
    """The rule of ``endpoint``: its own, else its blueprint's (``"bp.*"``), else None."""
    found = RULES.get(endpoint)
    if found is None and "." in endpoint:
        found = RULES.get(endpoint.rsplit(".", 1)[0] + ".*")
    return found


def enforce() -> BaseResponse | None:
    """Decide the request (see the module docstring); sets ``g.admin`` and ``g.units`` for a logged-in user."""
    endpoint = request.endpoint
    if endpoint is None:  # no route: the 404 (or 405) comes from routing
        return None
    rule = rule_for(endpoint)
    if rule is PUBLIC:
        return None
    user = auth.current_user()
    if rule is None:
        if user is not None and user.role in _SCOPED_ROLES:
            current_app.logger.error("no scope rule for endpoint %s: refused to a %s user", endpoint, user.role)
            fail(404)
        return None
    if user is None:
        return redirect(url_for("admin.login"), 303)
    g.admin = user
    if user.role not in (rule.roles or ()):
        fail(403)
    if user.role == "analyst" and request.method not in _SAFE_METHODS and endpoint not in _ALWAYS_ALLOWED_WRITES:
        fail(403)
    g.units = org.scope_units(db.engine(), user)
    if g.units is None:
        return None
    for name in UNIT_ARGS:
        for value in ((request.view_args or {}).get(name), request.args.get(name)):
            if value and value not in g.units:
                fail(404)
    case_id = (request.view_args or {}).get("case_id")
    if case_id is not None:
        try:
            cases.get_case(db.engine(), case_id, scope=case_scope())
        except cases.CaseNotFound:
            fail(404)
    return None


def units() -> set[str] | None:
    """The units the logged-in user sees (None: every unit); set by :func:`enforce`."""
    found: set[str] | None = g.get("units")
    return found


def visible(fields: Mapping[str, Any]) -> bool:
    """Whether a record with these segment fields is in the user's scope (its dealer or its branch is)."""
    scope = units()
    return scope is None or any(fields.get(name) in scope for name in org.UNIT_FIELDS)


def filter_frame(df: pd.DataFrame) -> pd.DataFrame:
    """The rows of a responses table (:func:`surveykit.storage.responses_frame`) in the user's scope."""
    return org.rows_in_units(df, units())


def case_scope() -> cases.Scope:
    """What the case queries take as ``scope``: a department user's department, a manager's units, else None."""
    user = g.admin
    if user.role == "department":
        return str(user.department or "")
    scope = units()
    return None if scope is None else cases.UnitScope(frozenset(scope))


def _inside(table: sa.Table, scope: set[str]) -> Any:
    codes = sorted(scope)
    return sa.or_(*(table.c.fields[name].as_string().in_(codes) for name in org.UNIT_FIELDS))


def response_counts(survey: str) -> dict[int, int] | None:
    """``survey``'s stored responses in the user's scope by survey version id, or None when the scope is everything."""
    scope = units()
    if scope is None:
        return None
    r = responses.c
    stmt = sa.select(r.version_id, sa.func.count()).where(r.survey == survey, _inside(responses, scope))
    with db.engine().connect() as conn:
        return {int(v): int(n) for v, n in conn.execute(stmt.group_by(r.version_id))}


def draft_counts(survey: str) -> tuple[int, int] | None:
    """(drafts started, drafts submitted) of ``survey`` in the user's scope, or None when the scope is everything."""
    scope = units()
    if scope is None:
        return None
    d = drafts.c
    stmt = sa.select(sa.func.count(), sa.func.count(d.response_id)).where(d.survey == survey, _inside(drafts, scope))
    with db.engine().connect() as conn:
        started, submitted = conn.execute(stmt).one()
    return int(started), int(submitted)
