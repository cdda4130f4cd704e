"""Response rates of invitations: the funnel and AAPOR's RR1, RR2 and COOP1.

Source: The American Association for Public Opinion Research (2023), *Standard Definitions:
Final Dispositions of Case Codes and Outcome Rates for Surveys*, 10th edition, AAPOR —
the dispositions of internet surveys of specifically named persons and the formulas of
section "Response rates" and "Cooperation rates".

Each invitation gets one final disposition (the AAPOR code in brackets):

* ``I`` complete (1.1): the response was submitted and counted;
* ``P`` partial (1.2): started, not submitted, broke off after answering at least half of the
  screens (the threshold is the researcher's to set and to state; half the screens here);
* ``R`` refusal and break-off (2.10): opted out (2.111 explicit refusal), opened the link
  without answering anything (2.112 implicit refusal: "logged on, completed no items"), or
  broke off before half the screens (2.12);
* ``NC`` non-contact (2.20) and ``O`` other (2.30): no signal of ours tells these apart for
  e-mail and SMS, so they are zero and the cases fall under unknown eligibility;
* ``U`` unknown eligibility (3.0, AAPOR's UH + UO): sent and nothing ever returned (3.19), or
  returned undelivered (3.20, the delivery failed);
* ``NE`` not eligible (4.80 quota filled): suppressed because its quota cell was full, or
  submitted after the cell had filled (stored, marked ``over_quota``, not counted).

Invitations not released (still scheduled, or suppressed by a contact rule or an opt-out
before anything was sent) are counted in the funnel but in no rate: a rate is about the sample
that was actually fielded.  Then

    RR1   = I / ((I + P) + (R + NC + O) + U)
    RR2   = (I + P) / ((I + P) + (R + NC + O) + U)
    COOP1 = I / ((I + P) + R + O)

An invitation of ``surveykit invite`` (a link handed over, status NULL) counts as sent.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from surveykit.database import drafts, invitations, responses
from surveykit.model import Questionnaire

__all__ = ["FUNNEL", "RateRow", "disposition", "format_rates", "rates", "response_rates"]

FUNNEL = ("invited", "suppressed", "scheduled", "sent", "failed", "opened", "started", "completed", "opted_out")


@dataclass(frozen=True, slots=True)
class RateRow:
    """The funnel, the dispositions and the rates of one group (all invitations, or one dealer...)."""

    group: dict[str, str]
    funnel: dict[str, int]
    suppressed_by: dict[str, int]
    dispositions: dict[str, int] = field(default_factory=dict)

    @property
    def rr1(self) -> float:
        """AAPOR RR1 = I / ((I + P) + (R + NC + O) + (UH + UO)); NaN with no released invitation."""
        d = self.dispositions
        return _ratio(d["I"], d["I"] + d["P"] + d["R"] + d["NC"] + d["O"] + d["U"])

    @property
    def rr2(self) -> float:
        """AAPOR RR2 = (I + P) / ((I + P) + (R + NC + O) + (UH + UO)): partials count as responses."""
        d = self.dispositions
        return _ratio(d["I"] + d["P"], d["I"] + d["P"] + d["R"] + d["NC"] + d["O"] + d["U"])

    @property
    def coop1(self) -> float:
        """AAPOR COOP1 = I / ((I + P) + R + O): completes among the eligible cases contacted."""
        d = self.dispositions
        return _ratio(d["I"], d["I"] + d["P"] + d["R"] + d["O"])

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.group)
        out.update(self.funnel)
        out.update({f"suppressed_{k}": v for k, v in sorted(self.suppressed_by.items())})
        out.update(self.dispositions)
        out.update(rr1=_round(self.rr1), rr2=_round(self.rr2), coop1=_round(self.coop1))
        return out


def _ratio(num: int, den: int) -> float:
    return num / den if den else math.nan


def _round(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 4)


def disposition(inv: dict[str, Any], screens: int) -> str:
    """The final disposition of one invitation (see the module docstring): I P R NC O U NE or none.

    ``inv`` has ``status``, ``suppression_reason``, ``completed`` (a response exists),
    ``over_quota``, ``opened``, ``started``, ``page`` (the furthest screen its draft reached, 0-based),
    ``opted_out`` and ``failed``; ``screens`` is the questionnaire's number of screens.
    Returns ``"none"`` for an invitation not (yet) released.
    """
    if inv["completed"]:
        return "NE" if inv["over_quota"] else "I"
    status = inv["status"]
    if status == "suppressed":
        return "NE" if inv["suppression_reason"] == "quota_full" else "none"
    if status == "scheduled":
        return "none"
    if inv["started"]:
        # a draft on screen k (0-based) has the k screens before it answered
        return "P" if inv["page"] is not None and inv["page"] >= math.ceil(screens / 2) else "R"
    if inv["opted_out"] or inv["opened"]:
        return "R"
    return "U"


def rates(
    engine: Engine,
    q: Questionnaire,
    *,
    by: Sequence[str] = (),
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[RateRow]:
    """One :class:`RateRow` for all invitations of ``q`` and, with ``by``, one per group.

    ``by`` names segment fields of ``q`` (e.g. ``dealer``) and/or ``month`` (of the
    invitation's creation, UTC).  ``since``/``until`` bound the creation time.
    """
    known = {f.id for f in q.fields} | {"month"}
    for name in by:
        if name not in known:
            raise ValueError(
                f"cannot group by {name!r}: not a field of {q.survey} (fields: {', '.join(sorted(known))})"
            )
    screens = len(q.screens())
    i, r, d = invitations.c, responses.c, drafts.c
    furthest = sa.select(d.invitation_id, sa.func.max(d.page).label("page")).group_by(d.invitation_id).subquery()
    stmt = (
        sa.select(
            i.status,
            i.suppression_reason,
            i.fields,
            i.created_at,
            i.sent_at,
            i.opened_at,
            i.started_at,
            i.opted_out_at,
            i.failed_at,
            i.used_at,
            r.id.label("response"),
            r.over_quota,
            furthest.c.page,
        )
        .outerjoin(responses, r.invitation_id == i.id)
        .outerjoin(furthest, furthest.c.invitation_id == i.id)
        .where(i.survey == q.survey)
    )
    if since is not None:
        stmt = stmt.where(i.created_at >= since)
    if until is not None:
        stmt = stmt.where(i.created_at < until)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    with engine.connect() as conn:
        for row in conn.execute(stmt):
            inv = dict(
                status=row.status or "sent",
                suppression_reason=row.suppression_reason,
                completed=row.response is not None or row.used_at is not None,
                over_quota=bool(row.over_quota),
                opened=row.opened_at is not None,
                started=row.started_at is not None or row.page is not None,
                page=row.page,
                opted_out=row.opted_out_at is not None or row.status == "opted_out",
                failed=row.failed_at is not None or row.status == "failed",
            )
            groups[()].append(inv)
            if by:
                key = tuple(
                    row.created_at.strftime("%Y-%m") if name == "month" else str(row.fields.get(name) or "")
                    for name in by
                )
                groups[key].append(inv)
    out = [_row({}, groups.get((), []), screens)]
    for key in sorted(k for k in groups if k):
        out.append(_row(dict(zip(by, key, strict=True)), groups[key], screens))
    return out


def _row(group: dict[str, str], invs: Iterable[dict[str, Any]], screens: int) -> RateRow:
    funnel: Counter[str] = Counter({k: 0 for k in FUNNEL})
    suppressed_by: Counter[str] = Counter()
    dispositions: Counter[str] = Counter({k: 0 for k in ("I", "P", "R", "NC", "O", "U", "NE")})
    for inv in invs:
        funnel["invited"] += 1
        if inv["status"] == "suppressed":
            funnel["suppressed"] += 1
            suppressed_by[inv["suppression_reason"] or "unknown"] += 1
        elif inv["status"] == "scheduled":
            funnel["scheduled"] += 1
        else:
            funnel["sent"] += 1
            funnel["failed"] += inv["failed"]
            funnel["opened"] += inv["opened"] or inv["started"] or inv["completed"]
            funnel["started"] += inv["started"] or inv["completed"]
            funnel["completed"] += inv["completed"]
            funnel["opted_out"] += inv["opted_out"]
        code = disposition(inv, screens)
        if code != "none":
            dispositions[code] += 1
    return RateRow(group, dict(funnel), dict(suppressed_by), dict(dispositions))


def response_rates(rows: Sequence[RateRow]) -> list[dict[str, Any]]:
    """The rows as plain dicts (for JSON, CSV and templates)."""
    return [row.as_dict() for row in rows]


def format_rates(rows: Sequence[RateRow], fmt: str) -> str:
    """``text`` (a table), ``json`` or ``csv``; rates as fractions in json/csv, percentages in text."""
    records = response_rates(rows)
    if fmt == "json":
        return json.dumps(records, ensure_ascii=False, indent=2)
    columns: list[str] = []
    for row in rows:  # the grouping columns first
        columns += [k for k in row.group if k not in columns]
    for record in records:
        columns += [k for k in record if k not in columns]
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
        return buf.getvalue()
    lines = []
    for row in rows:
        name = ", ".join(f"{k}={v}" for k, v in row.group.items()) or "all invitations"
        f, d = row.funnel, row.dispositions
        lines.append(name)
        lines.append("  " + "  ".join(f"{k} {f[k]}" for k in FUNNEL))
        if row.suppressed_by:
            lines.append("  suppressed by: " + ", ".join(f"{k} {v}" for k, v in sorted(row.suppressed_by.items())))
        lines.append("  AAPOR dispositions: " + "  ".join(f"{k} {d[k]}" for k in ("I", "P", "R", "NC", "O", "U", "NE")))
        lines.append(f"  RR1 {_pct(row.rr1)}  RR2 {_pct(row.rr2)}  COOP1 {_pct(row.coop1)}")
    return "\n".join(lines) + "\n"


def _pct(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{100 * x:.1f} %"
