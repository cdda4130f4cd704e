"""A small survey for the tests of continuous fielding (API, quotas, feed, erasure, rates)."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy.engine import Engine

from surveykit import load_questionnaire, storage
from surveykit.model import Questionnaire

FIELDING_YAML = """\
survey: visit_csi
version: 1
title: {zh: 售后满意度, en: After-sales satisfaction}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}, values: {de01: {zh: 一店, en: One}, de02: {zh: 二店, en: Two}}}
  advisor: {label: {zh: 顾问, en: Advisor}}
scales:
  agree5: {points: 5, labels: {1: {zh: 很差, en: Poor}, 5: {zh: 很好, en: Good}}}
pages:
  - id: p1
    title: {zh: 第一页, en: Page one}
    questions:
      - {id: sat, type: likert, scale: agree5, text: {zh: 满意吗, en: Satisfied?}}
  - id: p2
    title: {zh: 第二页, en: Page two}
    questions:
      - {id: comment, type: text, required: false, text: {zh: 意见, en: Comments}}
"""

QUOTAS = """\
quotas:
  - {id: per_dealer, fields: [dealer], max: 10}
"""

PRIVACY_REMOVE = """\
privacy: {answers_on_erasure: remove, retention: 30d, consent: {zh: 我同意, en: I agree}}
"""


def survey(extra: str = "") -> tuple[Questionnaire, str]:
    text = FIELDING_YAML + extra
    return load_questionnaire(text), text


def registered(engine: Engine, extra: str = "") -> Questionnaire:
    q, text = survey(extra)
    storage.register_version(engine, q, text)
    return q


def submit(
    engine: Engine, q: Questionnaire, *, dealer: str = "de01", invitation_id: int | None = None, **kw: Any
) -> str:
    """One completed response; returns its response id."""
    fields = None if invitation_id is not None else {"dealer": dealer}
    saved = storage.save_response(
        engine,
        q,
        {"sat": kw.pop("sat", 4), "comment": kw.pop("comment", None)},
        key=secrets.token_urlsafe(16),
        language="zh",
        fields=fields,
        invitation_id=invitation_id,
        **kw,
    )
    return saved.response_id


def item(event_id: str, customer: str = "C1", dealer: str = "de01", **extra: Any) -> dict[str, Any]:
    """A posted invitation."""
    body: dict[str, Any] = {
        "survey": "visit_csi",
        "event_id": event_id,
        "contact": {"customer_id": customer, "name": "王先生", "phone": "13812345678", "language": "zh"},
        "fields": {"dealer": dealer},
    }
    body.update(extra)
    return body
