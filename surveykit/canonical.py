"""Answers in canonical form: checked against the codebook, and hashed.

:func:`canonical_answers` turns what a form or a table gives into the one form the store keeps
(missing dropped, whole numbers as ``int``, ISO dates, no NUL or lone surrogates) and refuses what
the codebook does not allow; :func:`answers_hash` is what tells a retried submission from a
conflicting one. It is apart from :mod:`surveykit.storage` because it changes with the questionnaire's
value rules, not with tables or transactions, and needs no database; :mod:`surveykit.storage`
re-exports both names.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import numbers
from collections.abc import Mapping
from typing import Any

from surveykit.database import check_text
from surveykit.model import Questionnaire, Variable

__all__ = ["answers_hash", "canonical_answers"]


def canonical_answers(q: Questionnaire, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Answers checked against the codebook and in canonical form.

    Missing answers (None or NaN) are dropped; integral numbers become ``int``
    (``3.0`` -> ``3``); dates are ISO ``YYYY-MM-DD`` strings.

    Raises
    ------
    ValueError
        For a name that is no answer variable of ``q``, a value of the wrong
        type, an option code that does not exist, a number outside the
        variable's range, or text with NUL characters or lone surrogates.
    """
    spec = {v.name: v for v in q.answer_variables()}
    unknown = sorted(set(answers) - spec.keys())
    if unknown:
        raise ValueError(f"unknown answer variables for survey {q.survey!r}: {', '.join(map(repr, unknown))}")
    out: dict[str, Any] = {}
    for name, value in answers.items():
        if value is None or (isinstance(value, float) and math.isnan(value)):
            continue
        out[name] = _canonical_value(spec[name], value)
    return out


def _canonical_value(var: Variable, value: Any) -> Any:
    if var.kind == "numeric":
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"{var.name}: expected a number, got {value!r}")
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"{var.name}: {value!r} is not a finite number")
        if number.is_integer():
            value = int(number)
        elif var.type in ("likert", "matrix", "nps", "multi"):
            raise ValueError(f"{var.name}: expected a whole number, got {value!r}")
        else:
            value = number
        if (var.min is not None and value < var.min) or (var.max is not None and value > var.max):
            raise ValueError(
                f"{var.name}: {value!r} is outside {var.min:g}..{var.max:g}"
                if var.min is not None and var.max is not None
                else f"{var.name}: {value!r} is out of range"
            )
        return value
    if var.kind == "date":
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value.isoformat()
        if not isinstance(value, str) or len(value) != 10:
            raise ValueError(f"{var.name}: expected a date as YYYY-MM-DD, got {value!r}")
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{var.name}: {value!r} is not a valid date (YYYY-MM-DD)") from None
        return value
    if not isinstance(value, str):
        raise ValueError(f"{var.name}: expected text, got {value!r}")
    check_text(var.name, value)
    if var.value_labels and value not in var.codes:
        raise ValueError(f"{var.name}: {value!r} is not an option (options: {', '.join(map(repr, var.codes))})")
    return value


def answers_hash(canonical: Mapping[str, Any]) -> str:
    """SHA-256 of canonical answers (sorted keys, compact JSON): equal answers, equal hash."""
    text = json.dumps(canonical, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
