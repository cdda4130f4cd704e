"""Quotas: at most so many completes per cell of one or more segment fields (``quotas:``).

A questionnaire may cap the completes it collects per cell::

    quotas:
      - id: per_dealer
        fields: [dealer]            # one field: a cell per value; several: crossed cells
        max: 80                     # counted completes per cell
        per: wave                   # per wave (default: over the whole fielding - a target count)
        closed: {zh: ..., en: ...}  # the closing page's text (a polite default otherwise)

What a full cell does:

* a new invitation for it is stored ``suppressed`` with reason ``quota_full`` (never dropped);
* opening a link of it shows the closing page in the respondent's language;
* a response submitted after it filled (the link was opened before) is stored all the same,
  marked ``over_quota``, and left out of the analysis by default like other flagged responses.

The count lives in ``quota_counts`` and moves only inside the submission's transaction
(:func:`on_submit`): each cell row is locked (``FOR UPDATE`` on PostgreSQL; SQLite has one
writer at a time), read, and incremented only when every cell the response falls in still has
room, so concurrent submits can never push a cell past ``max``.  Cells are locked in one sorted
order so two submits never wait on each other in a cycle.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from surveykit.database import quota_counts, responses
from surveykit.model import Questionnaire, Text
from surveykit.reader import BAD, Obj, Reader

__all__ = ["CLOSED", "CLOSED_TITLE", "Quota", "build_quotas", "cell_counts", "full_cells", "full_quota", "on_submit"]

CLOSED_TITLE = Text((("zh", "调查已结束"), ("en", "This survey is closed")))
CLOSED = Text(
    (
        ("zh", "感谢您的关注！本次调查在您所属的类别中已收到足够的回答，因此现已关闭。"),
        (
            "en",
            "Thank you for your interest. This survey has received all the answers it needs "
            "from your group, so it is now closed.",
        ),
    )
)


@dataclass(frozen=True, slots=True)
class Quota:
    """One ``quotas:`` entry: at most ``max`` counted completes per cell of ``fields``."""

    id: str
    fields: tuple[str, ...]
    max: int
    per: Literal["fielding", "wave"] = "fielding"
    closed: Text | None = None

    def cell(self, fields: Mapping[str, Any]) -> str | None:
        """The cell a record falls in (its values of ``fields``, as JSON); None if it lacks one."""
        values = [fields.get(name) for name in self.fields]
        if any(v is None or v == "" for v in values):
            return None
        return json.dumps(values, ensure_ascii=False)

    def period(self, wave: str | None) -> str:
        return (wave or "") if self.per == "wave" else ""


def build_quotas(reader: Reader, top: Obj, fields: Iterable[str]) -> tuple[Quota, ...]:
    """The quotas of a read questionnaire, each problem reported at its line and column."""
    known = list(fields)
    out: list[Quota] = []
    seen: set[str] = set()
    for obj, _node in top.get("quotas", []) or []:
        if obj in (BAD, None):
            continue
        qid = obj.get("id")
        if qid in seen:
            reader.problem(obj.at("id"), obj.sub("id"), f"quota {qid!r} is declared twice")
        seen.add(qid)
        names = [name for name, _ in obj.get("fields", []) or [] if name is not BAD]
        ok = bool(names)
        for i, (name, node) in enumerate(obj.get("fields", []) or []):
            if name is not BAD and name not in known:
                hint = _closest(name, known)
                reader.problem(
                    node,
                    f"{obj.sub('fields')}[{i}]",
                    f"{name!r} is no declared field{hint} (fields: {', '.join(known) or 'none declared'})",
                )
                ok = False
        if len(set(names)) != len(names):
            reader.problem(obj.at("fields"), obj.sub("fields"), "a field is named twice")
            ok = False
        if "fields" in obj.nodes and not names and obj.values.get("fields") is not BAD:
            reader.problem(obj.at("fields"), obj.sub("fields"), "a quota needs at least one field")
        limit = obj.get("max")
        if isinstance(limit, int) and limit < 1:
            reader.problem(obj.at("max"), obj.sub("max"), f"max must be at least 1, got {limit}")
            ok = False
        if ok and qid and isinstance(limit, int):
            out.append(Quota(qid, tuple(names), limit, obj.get("per") or "fielding", obj.get("closed")))
    return tuple(out)


def _closest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _cells(q: Questionnaire, fields: Mapping[str, Any], wave: str | None) -> list[tuple[Quota, str, str]]:
    """(quota, cell, period) for every quota the record falls under, in lock order."""
    found = []
    for quota in q.quotas:
        cell = quota.cell(fields)
        if cell is not None:
            found.append((quota, cell, quota.period(wave)))
    return sorted(found, key=lambda x: (x[0].id, x[1], x[2]))


def _insert(conn: Connection) -> Any:
    return (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(quota_counts)


def on_submit(conn: Connection, q: Questionnaire, row: dict[str, Any]) -> bool:
    """Count a newly stored response in its quota cells, inside the submission's transaction.

    Returns True when it was counted (or falls under no quota).  When one of
    its cells is already full nothing is counted, the response is marked
    ``over_quota`` in the table and ``row["over_quota"]`` is set, so the code
    after this in the same transaction (the dashboard sums) can leave it out.
    """
    cells = _cells(q, row.get("fields") or {}, row.get("wave"))
    if not cells:
        return True
    c = quota_counts.c
    keys = [dict(survey=q.survey, quota=quota.id, cell=cell, period=period, count=0) for quota, cell, period in cells]
    conn.execute(_insert(conn).on_conflict_do_nothing(), keys)
    counts = []
    for (quota, cell, period), key in zip(cells, keys, strict=True):
        where = (c.survey == key["survey"], c.quota == quota.id, c.cell == cell, c.period == period)
        stmt = sa.select(c.count).where(*where)
        if conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        counts.append((conn.execute(stmt).scalar_one(), quota, where))
    if all(count < quota.max for count, quota, _ in counts):
        for _count, _quota, where in counts:
            conn.execute(sa.update(quota_counts).where(*where).values(count=c.count + 1))
        return True
    row["over_quota"] = True
    conn.execute(sa.update(responses).where(responses.c.response_id == row["response_id"]).values(over_quota=True))
    return False


def full_quota(conn: Connection, q: Questionnaire, fields: Mapping[str, Any], wave: str | None = None) -> Quota | None:
    """The first quota whose cell for these fields is full (None while every cell has room)."""
    c = quota_counts.c
    for quota, cell, period in _cells(q, fields, wave):
        count = conn.execute(
            sa.select(c.count).where(c.survey == q.survey, c.quota == quota.id, c.cell == cell, c.period == period)
        ).scalar()
        if count is not None and count >= quota.max:
            return quota
    return None


def full_cells(conn: Connection, q: Questionnaire, wave: str | None = None) -> dict[str, set[str | None]]:
    """The full cells of each of ``q``'s quotas (by quota id), read in one query."""
    c = quota_counts.c
    out: dict[str, set[str | None]] = {quota.id: set() for quota in q.quotas}
    limits = {quota.id: quota for quota in q.quotas}
    for r in conn.execute(sa.select(c.quota, c.cell, c.period, c.count.label("n")).where(c.survey == q.survey)):
        quota = limits.get(r.quota)
        if quota is not None and r.period == quota.period(wave) and r.n >= quota.max:
            out[quota.id].add(r.cell)
    return out


def cell_counts(conn: Connection, q: Questionnaire) -> list[dict[str, Any]]:
    """Every counted cell of ``q``'s quotas: quota, values, period, count and max (for the admin page)."""
    c = quota_counts.c
    limits = {quota.id: quota for quota in q.quotas}
    rows = conn.execute(
        sa.select(c.quota, c.cell, c.period, c.count.label("n"))
        .where(c.survey == q.survey)
        .order_by(c.quota, c.cell, c.period)
    ).all()
    return [
        dict(
            quota=r.quota,
            fields=dict(zip(limits[r.quota].fields, json.loads(r.cell), strict=True)),
            period=r.period,
            count=r.n,
            max=limits[r.quota].max,
        )
        for r in rows
        if r.quota in limits and len(json.loads(r.cell)) == len(limits[r.quota].fields)
    ]
