"""A segment field's values by name in the report: ``Anda Motors Beijing`` and ``Body and paint``, not ``DE01``.

The names come from the questionnaire: the values a field declares (``fields: department: values:``)
and, for the unit fields, the organisation's unit names that :func:`surveykit.org.with_unit_names`
puts there before a report is made from the store.  A code nothing names is shown as it is.
"""

from __future__ import annotations

from surveykit.model import Questionnaire

__all__ = ["field_label", "unit_label", "value_label", "value_labels"]


def value_labels(q: Questionnaire, field_id: str, lang: str) -> dict[str, str]:
    """Code -> name in ``lang`` for the values of segment field ``field_id`` that the questionnaire names."""
    return {str(code): text.best(lang) for f in q.fields if f.id == field_id for code, text in f.values}


def value_label(q: Questionnaire, field_id: str, code: object, lang: str) -> str:
    """The name of ``code`` in segment field ``field_id``, or the code as text."""
    return value_labels(q, field_id, lang).get(str(code), str(code))


def unit_label(q: Questionnaire, code: object, lang: str) -> str:
    """The name of ``code`` in the first segment field that names it (for a table of units whose field it does
    not carry), or the code as text."""
    for f in q.fields:
        names = value_labels(q, f.id, lang)
        if str(code) in names:
            return names[str(code)]
    return str(code)


def field_label(q: Questionnaire, field_id: str, lang: str) -> str:
    """The segment field's own label (``Dealer``, ``经销商``), or its id."""
    return next((f.label.best(lang) for f in q.fields if f.id == field_id and f.label), field_id)
