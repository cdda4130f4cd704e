"""Names instead of codes on every admin page: a unit's name from the organisation, a field value's label.

People read ``北京安达汽车服务`` or ``Body and paint``, not ``DE01`` or ``body_paint``.  A unit
field (``dealer``, ``branch``) takes the unit's name from the current organisation
(:func:`surveykit.org.load_tree`, read once per request); any other segment field takes the
label its questionnaire declares for the value (``fields: department: values:``).  A code that
neither knows is shown as it is, never an error.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import g

from surveykit import org
from surveykit.model import Questionnaire
from webform import db

__all__ = ["field_label", "tree", "unit_name"]


def tree() -> org.OrgTree:
    """The current organisation, loaded once per request."""
    found: org.OrgTree | None = g.get("org_tree")
    if found is None:
        found = g.org_tree = org.load_tree(db.engine())
    return found


def unit_name(code: str | None, lang: str) -> str:
    """The unit's name in ``lang`` (the code when the organisation does not know it); "" for no code."""
    return tree().name(code, lang) if code else ""


def field_label(field: str, code: str | None, lang: str, surveys: Iterable[Questionnaire] | None = None) -> str:
    """What to show for ``code`` in segment field ``field``: a unit's name, else the value label a survey declares.

    ``surveys`` are the questionnaires whose declared values are looked up (default: every
    survey the app serves, the first that declares the value wins); "" for no code.
    """
    if not code:
        return ""
    if field in org.UNIT_FIELDS and code in tree():
        return tree().name(code, lang)
    if surveys is None:
        surveys = [q for q, _ in db.registry().current.values()]
    for q in surveys:
        for f in q.fields:
            if f.id == field:
                for value, text in f.values:
                    if value == code:
                        return text.best(lang)
    return code
