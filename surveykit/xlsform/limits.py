"""Simple XLSForm ``constraint`` expressions <-> the min/max/pattern keys of a question.

A constraint is read when it is a conjunction (``and``) of bounds on the answer, ``.``:

=========================================  ============================================
XLSForm                                    surveykit
=========================================  ============================================
``. >= 0 and . <= 120`` (integer/decimal)  ``min: 0``, ``max: 120``
``. > 0`` on an integer                    ``min: 1`` (strict bounds only on whole numbers)
``string-length(.) <= 200`` (text)         ``max: 200`` (characters; ``>=`` gives ``min``)
``regex(., '^[0-9]{11}$')`` (text)         ``pattern: '[0-9]{11}'`` (an anchored pattern)
``. >= date('2024-01-01')`` (date)         ``min: '2024-01-01'``
``count-selected(.) <= 3`` (multi)         ``max: 3``
=========================================  ============================================

Anything else (a reference to another answer, ``today()``, ``or``…) is refused with
:class:`~surveykit.xlsform.relevant.Untranslatable`: a bound we cannot keep is reported, never
dropped quietly.  :func:`to_constraint` writes the same forms for the export.
"""

from __future__ import annotations

import re
from typing import Any

from surveykit.xlsform.relevant import Untranslatable

_NUM = r"-?\d+(?:\.\d+)?"
_BOUND = re.compile(rf"\.\s*(<=|>=|<|>)\s*({_NUM})\Z")
_BOUND_REVERSED = re.compile(rf"({_NUM})\s*(<=|>=|<|>)\s*\.\Z")
_LENGTH = re.compile(r"string-length\(\s*\.\s*\)\s*(<=|>=|<|>)\s*(\d+)\Z")
_COUNT = re.compile(r"count-selected\(\s*\.\s*\)\s*(<=|>=|<|>)\s*(\d+)\Z")
_REGEX = re.compile(r"regex\(\s*\.\s*,\s*(?:'([^']*)'|\"([^\"]*)\")\s*\)\Z")
_DATE = re.compile(r"\.\s*(<=|>=|<|>)\s*date\(\s*'(\d{4}-\d{2}-\d{2})'\s*\)\Z")
_AND = re.compile(r"\s+and\s+")
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def parse_limits(constraint: str, kind: str) -> dict[str, Any]:
    """The min/max/pattern keys a constraint gives a question of ``kind``.

    ``kind`` is ``integer``, ``decimal``, ``text``, ``date`` or ``multi``.
    """
    limits: dict[str, Any] = {}
    for raw in _AND.split(constraint.strip()):
        part = raw.strip()
        while part.startswith("(") and part.endswith(")"):
            part = part[1:-1].strip()
        op, value = _bound(part, kind)
        if op is None:
            limits["pattern"] = value
            continue
        key = "min" if op in (">=", ">") else "max"
        if op in ("<", ">"):
            if kind not in ("integer", "text", "multi"):
                raise Untranslatable(f"the strict bound {part!r} has no equivalent on a {kind} answer (use <= or >=)")
            value = value + 1 if op == ">" else value - 1
        if key in limits:
            raise Untranslatable(f"two {key} bounds in {constraint!r}")
        limits[key] = value
    return limits


def _bound(part: str, kind: str) -> tuple[str | None, Any]:
    if kind in ("integer", "decimal"):
        match = _BOUND.match(part)
        if match:
            op, number = match.group(1), match.group(2)
        elif match := _BOUND_REVERSED.match(part):
            op, number = _FLIP[match.group(2)], match.group(1)
        else:
            raise Untranslatable(f"{part!r} is not a bound such as . >= 0 or . <= 120")
        value = float(number)
        return op, int(value) if kind == "integer" or value.is_integer() else value
    if kind == "text":
        if match := _LENGTH.match(part):
            return match.group(1), int(match.group(2))
        if match := _REGEX.match(part):
            pattern = match.group(1) if match.group(1) is not None else match.group(2)
            if pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$"):
                inner = pattern[1:-1]
                return None, inner[3:-1] if inner.startswith("(?:") and inner.endswith(")") else inner
            return None, f".*(?:{pattern}).*"
        raise Untranslatable(f"{part!r} is not string-length(.) <= n or regex(., '...')")
    if kind == "date":
        if match := _DATE.match(part):
            return match.group(1), match.group(2)
        raise Untranslatable(f"{part!r} is not a bound such as . >= date('2024-01-01')")
    if kind == "multi":
        if match := _COUNT.match(part):
            return match.group(1), int(match.group(2))
        raise Untranslatable(f"{part!r} is not a bound such as count-selected(.) <= 3")
    raise Untranslatable(f"a constraint on a {kind} question has no equivalent")


def to_constraint(kind: str, minimum: Any = None, maximum: Any = None, pattern: str | None = None) -> str:
    """The constraint of a question's bounds (``kind`` as in :func:`parse_limits`), or ``''``."""
    parts = []
    for op, value in ((">=", minimum), ("<=", maximum)):
        if value is None:
            continue
        if kind in ("integer", "decimal"):
            number = float(value)
            parts.append(f". {op} {int(number) if number.is_integer() else number!r}")
        elif kind == "text":
            parts.append(f"string-length(.) {op} {int(value)}")
        elif kind == "date":
            parts.append(f". {op} date('{value}')")
        elif kind == "multi":
            parts.append(f"count-selected(.) {op} {int(value)}")
    if pattern is not None:
        quote = "'" if "'" not in pattern else '"'
        parts.append(f"regex(., {quote}^(?:{pattern})${quote})")
    return " and ".join(parts)
