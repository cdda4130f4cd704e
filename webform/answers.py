"""What a posted screen does to a respondent's answers, and where the respondent goes next.

Flask-free on purpose: the respondent views (:mod:`webform.survey`) read the request
and the session, and hand these functions plain dicts, so the rules can be tested
without an app or a request.

* :func:`merge_answers` - the answers after a screen is posted: the earlier screens'
  answers, this screen's valid answers, and only those of questions that still apply;
* :func:`next_step` - back, the same screen again (invalid), the next screen, an
  earlier screen that lacks a required answer, or the final submit;
* :func:`known_answers`, :func:`declared_fields` - what a draft started on another
  version keeps; :func:`draft_delta` - what a draft save must change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from surveykit import storage
from surveykit.model import Questionnaire
from webform.skip_logic import clean_answers, missing_required, next_screen, plan, previous_screen

__all__ = ["Step", "answers_before", "declared_fields", "draft_delta", "known_answers", "merge_answers", "next_step"]


@dataclass(frozen=True, slots=True)
class Step:
    """Where a posted screen leads.

    ``kind`` is ``"back"`` (to ``screen``, or to the start when it is None), ``"invalid"``
    (the same screen again, with its errors), ``"next"`` (to ``screen``), ``"earlier"`` (to
    ``screen``, an earlier one that lacks a required answer) or ``"submit"`` (store the response).
    """

    kind: Literal["back", "invalid", "next", "earlier", "submit"]
    screen: int | None = None


def answers_before(q: Questionnaire, index: int, answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers that do not belong to screen ``index``: what its conditions may refer to."""
    own = plan(q).screen_variables[index]
    return {k: v for k, v in answers.items() if k not in own}


def merge_answers(
    q: Questionnaire, index: int, answers: Mapping[str, Any], page_answers: Mapping[str, Any], fields: Mapping[str, Any]
) -> dict[str, Any]:
    """The answers after screen ``index`` is posted with ``page_answers``.

    This screen's earlier answers are replaced as a whole (an answer left out now is removed),
    and the answers of every question that no longer applies are dropped, in questionnaire order.
    """
    return clean_answers(q, {**answers_before(q, index, answers), **page_answers}, fields)


def next_step(
    q: Questionnaire, index: int, answers: Mapping[str, Any], fields: Mapping[str, Any], *, action: str, valid: bool
) -> Step:
    """Where the respondent goes after posting screen ``index`` (``answers``: after :func:`merge_answers`).

    Back needs no valid answers (what is valid is kept); forward needs them.  The last screen
    that applies submits, unless an earlier screen lacks a required answer, which only a
    crafted request can cause: the respondent is sent there instead.
    """
    if action == "back":
        return Step("back", previous_screen(q, index, answers, fields))
    if not valid:
        return Step("invalid")
    following = next_screen(q, index, answers, fields)
    if following is not None:
        return Step("next", following)
    incomplete = missing_required(q, answers, fields)
    if incomplete is not None and incomplete != index:
        return Step("earlier", incomplete)
    return Step("submit")


def known_answers(q: Questionnaire, answers: Mapping[str, Any], *, other_version: bool) -> dict[str, Any]:
    """Draft answers restricted to the variables of ``q``.

    A draft whose own version is no longer loaded (``other_version``) finishes on the current
    one: its answers are kept only where they still fit (same variable, a value the new version
    accepts).
    """
    names = _answer_names(q)
    kept = {k: v for k, v in answers.items() if k in names}
    if not other_version:
        return kept
    fitting = {}
    for name, value in kept.items():
        try:
            fitting.update(storage.canonical_answers(q, {name: value}))
        except ValueError:
            continue
    return fitting


def declared_fields(q: Questionnaire, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Segment fields restricted to those ``q`` declares (an invitation may predate a version)."""
    declared = {f.id for f in q.fields}
    return {k: v for k, v in fields.items() if k in declared}


def draft_delta(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """What :func:`storage.save_draft` must merge to turn ``old`` into ``new`` (None removes)."""
    delta: dict[str, Any] = {k: v for k, v in new.items() if old.get(k) != v or type(old.get(k)) is not type(v)}
    delta.update({k: None for k in old if k not in new})
    return delta


_NAMES: dict[int, tuple[Questionnaire, frozenset[str]]] = {}


def _answer_names(q: Questionnaire) -> frozenset[str]:
    """The answer variables of ``q``, cached by identity (the cache keeps ``q``, so its id stays unique)."""
    hit = _NAMES.get(id(q))
    if hit is None or hit[0] is not q:
        hit = (q, frozenset(v.name for v in q.answer_variables()))
        _NAMES[id(q)] = hit
    return hit[1]
