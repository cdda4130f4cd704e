"""Additive aggregates of the submitted responses, kept in the submit transaction.

The dashboard reads every tile, table and trend from the table
``response_aggregates`` instead of the raw answers: per survey, unit field
(``dealer``, ``branch``... every declared segment field, plus ``""`` for all
responses), unit code, tracked variable, scale points (so that a version
that changes the scale stays apart) and day it holds

* ``n`` (answers given), ``total`` and ``total_sq`` (sum and sum of squares of
  the values), from which a mean, a variance and Welch's test follow;
* ``top2`` (answers in the top two points of the scale);
* ``promoters``, ``passives``, ``detractors`` (NPS questions: 9-10, 7-8, 0-6).

Every column is a count or a sum of whole numbers (likert points, 0-10), so
the table is exactly additive: a region is the sum of its dealers, a quarter
the sum of its days, and a deletion subtracts what its submit added.

Tracked variables (:func:`tracked_variables`): the satisfaction question (the
same rule the report uses to choose it), every NPS question and ``_responses``
(one per response, whatever was answered).  Few on purpose: each submit
upserts ``len(tracked) x (1 + fields)`` rows, and the submit path must stay
close to a bare insert.

The day is the UTC calendar day of ``submitted_at`` as days since 1970-01-01
(an integer, so that periods are integer ranges on both backends).

Three writers, one arithmetic: :func:`add_response` (called by
:func:`surveykit.storage.save_response` inside the submission's transaction),
:func:`remove_response` (for erasure, in the deleting transaction) and
:func:`rebuild` (``surveykit aggregates rebuild --db URL``: recomputed in SQL
from the raw answers, one ``INSERT ... SELECT ... GROUP BY``).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection, Engine

from surveykit import aggregates_org
from surveykit.database import response_aggregates, responses, survey_versions, write_transaction
from surveykit.model import Question, Questionnaire

__all__ = [
    "COUNTS",
    "RESPONSES",
    "TOTAL",
    "Tracked",
    "add_response",
    "day_number",
    "day_of",
    "in_units",
    "rebuild",
    "rebuild_org",
    "rebuild_org_in",
    "remove_response",
    "satisfaction_question",
    "sums",
    "tracked_variables",
]

RESPONSES = "_responses"  # the pseudo-variable counting responses
TOTAL = ""  # unit_field and unit of the rows over all responses
COUNTS = ("n", "total", "total_sq", "top2", "promoters", "passives", "detractors")
_EPOCH = dt.date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class Tracked:
    """A variable the aggregates keep: ``kind`` is likert, nps or count; ``points`` the scale's top."""

    name: str
    kind: str
    points: int


def satisfaction_question(q: Questionnaire) -> Question | None:
    """The overall-satisfaction question, chosen as the report chooses it.

    A likert question outside the paired blocks whose id starts with ``sat``,
    else the first one without a dimension (``analysis.analyze`` uses the same
    rule; ``tests/surveykit/test_aggregates.py`` checks both agree on every
    shipped questionnaire).
    """
    plain = [x for x in q.questions() if x.type == "likert" and x.block is None]
    named = [x for x in plain if x.id.startswith("sat")]
    undimensioned = [x for x in plain if x.dimension is None]
    candidates = named or undimensioned
    return candidates[0] if candidates else None


def tracked_variables(q: Questionnaire) -> tuple[Tracked, ...]:
    """What the aggregates keep for ``q``: responses, the satisfaction question, the NPS questions."""
    found = _tracked_cache.get((q.survey, q.sha256))
    if found is None:
        found = _tracked_cache[q.survey, q.sha256] = _tracked(q)
    return found


_tracked_cache: dict[tuple[str, str], tuple[Tracked, ...]] = {}  # by (survey, sha256): one per file


def _tracked(q: Questionnaire) -> tuple[Tracked, ...]:
    out = [Tracked(RESPONSES, "count", 1)]
    sat = satisfaction_question(q)
    if sat is not None:
        out.append(Tracked(sat.id, "likert", sat.scale.points if sat.scale else 5))
    out += [Tracked(x.id, "nps", 10) for x in q.questions() if x.type == "nps"]
    return tuple(out)


def day_number(day: dt.date) -> int:
    """Days since 1970-01-01 (the ``day`` column)."""
    return (day - _EPOCH).days


def day_of(number: int) -> dt.date:
    """The date of a ``day`` column value."""
    return _EPOCH + dt.timedelta(days=int(number))


def _contribution(t: Tracked, value: Any) -> dict[str, int] | None:
    """What one answer adds to its rows; None for a missing answer (it adds nothing)."""
    if t.kind == "count":
        return dict(n=1, total=1, total_sq=1, top2=0, promoters=0, passives=0, detractors=0)
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    x = int(value)
    if t.kind == "nps":
        p, d = int(x >= 9), int(x <= 6)
        return dict(n=1, total=x, total_sq=x * x, top2=p, promoters=p, passives=1 - p - d, detractors=d)
    return dict(n=1, total=x, total_sq=x * x, top2=int(x >= t.points - 1), promoters=0, passives=0, detractors=0)


def _rows(
    conn: Connection, tracked: Sequence[Tracked], survey: str, row: Mapping[str, Any], sign: int
) -> list[dict[str, Any]]:
    """The upsert parameters of one response: every tracked answer x (all responses, each unit field,
    and each unit of its organisation chain, :mod:`surveykit.aggregates_org`)."""
    date = row["submitted_at"].date()
    day = day_number(date)
    fields = row.get("fields") or {}
    units = [(TOTAL, TOTAL)] + [(f, str(v)) for f, v in sorted(fields.items()) if v is not None and v != ""]
    # by the organisation's attribution (under response_time, the tree at the start of the response's UTC
    # day, as rebuild_org attributes its day groups)
    chain = aggregates_org.chains(conn).chain(fields, dt.datetime.combine(date, dt.time())) if fields else []
    units += [(aggregates_org.ORG, unit) for unit in chain]
    answers = row.get("answers") or {}
    out = []
    for t in tracked:
        c = _contribution(t, answers.get(t.name))
        if c is None:
            continue
        delta = {k: sign * v for k, v in c.items()}
        for field, unit in units:
            out.append(
                dict(survey=survey, unit_field=field, unit=unit, variable=t.name, points=t.points, day=day, **delta)
            )
    return out


_KEY = ("survey", "unit_field", "unit", "variable", "points", "day")
_COLUMNS = (*_KEY, *COUNTS)


def _on_conflict(stmt: Any) -> Any:
    a = response_aggregates.c
    return stmt.on_conflict_do_update(
        index_elements=[a.survey, a.unit_field, a.variable, a.unit, a.day, a.points],
        set_={k: a[k] + stmt.excluded[k] for k in COUNTS},
    )


@functools.cache
def _upsert_pg() -> Any:
    """PostgreSQL: ``INSERT ... SELECT ... FROM jsonb_to_recordset(<the rows as one JSON parameter>)
    ON CONFLICT (key) DO UPDATE SET c = c + excluded.c``, built once.

    A submit's dozen rows are so one statement and one round trip; as an ``executemany`` they were
    a dozen statements, pipelined by psycopg but still +2.9 ms a submit.
    """
    types = {"survey": sa.Text, "unit_field": sa.Text, "unit": sa.Text, "variable": sa.Text}
    cols = [sa.column(name, types.get(name, sa.BigInteger)) for name in _COLUMNS]
    doc = sa.cast(sa.bindparam("rows", type_=sa.String), JSONB)
    source = sa.func.jsonb_to_recordset(doc).table_valued(*cols).render_derived("x", with_types=True)
    a = response_aggregates.c
    select = sa.select(*(source.c[name] for name in _COLUMNS))
    return _on_conflict(postgresql.insert(response_aggregates).from_select([a[n] for n in _COLUMNS], select))


@functools.cache
def _upsert_sqlite(dialect: Any) -> tuple[str, tuple[str, ...]]:
    """SQLite: the ``INSERT ... ON CONFLICT DO UPDATE`` of one row as the driver's SQL and its
    parameters' order, compiled once.

    Run as the driver's ``executemany`` of plain tuples: SQLite has no round trip to save, and
    SQLAlchemy's per-row parameter processing was most of the cost (a JSON parameter unpacked by
    ``json_each`` was slower still).
    """
    compiled = _on_conflict(sqlite.insert(response_aggregates)).compile(dialect=dialect, column_keys=list(_COLUMNS))
    return str(compiled), tuple(compiled.positiontup or ())


def _apply(conn: Connection, params: list[dict[str, Any]]) -> None:
    """Upsert the rows in key order (concurrent submits lock rows in the same order)."""
    if not params:
        return
    params.sort(key=lambda p: tuple(p[k] for k in _KEY))
    if conn.dialect.name == "postgresql":
        conn.execute(_upsert_pg(), {"rows": json.dumps(params, ensure_ascii=False)})
    else:
        sql, order = _upsert_sqlite(conn.dialect)
        conn.exec_driver_sql(sql, [tuple(p[k] for k in order) for p in params])


def add_response(conn: Connection, q: Questionnaire, row: Mapping[str, Any]) -> None:
    """Add a just-inserted response (``survey``, ``submitted_at``, ``fields``, canonical ``answers``).

    Call it inside the transaction that inserts the response, so that both
    commit or neither does.  A response stored over its quota (``over_quota``) is not counted,
    as :func:`surveykit.response_table.responses_frame` leaves it out.
    """
    if row.get("over_quota"):
        return
    _apply(conn, _rows(conn, tracked_variables(q), q.survey, row, +1))


# tracked variables by engine and survey version id: versions are never changed
_by_version: weakref.WeakKeyDictionary[Engine, dict[int, tuple[Tracked, ...]]] = weakref.WeakKeyDictionary()


def _tracked_of_version(conn: Connection, version_id: int) -> tuple[Tracked, ...]:
    known = _by_version.setdefault(conn.engine, {})
    if version_id not in known:
        from surveykit.loader import load_questionnaire

        text = conn.execute(sa.select(survey_versions.c.yaml_text).where(survey_versions.c.id == version_id)).scalar()
        if text is None:
            raise LookupError(f"survey version {version_id} is not stored")
        known[version_id] = tracked_variables(load_questionnaire(text))
    return known[version_id]


def remove_response(conn: Connection, row: Mapping[str, Any]) -> None:
    """Subtract a stored response (a row of ``responses``: ``survey``, ``version_id``, ``submitted_at``,
    ``fields``, ``answers``) from the aggregates, in the transaction that deletes it.

    The erasure of a response calls this with the row as it was read before the
    ``DELETE``; the tracked variables are those of the response's own version.
    """
    if row.get("over_quota"):
        return
    _apply(conn, _rows(conn, _tracked_of_version(conn, int(row["version_id"])), row["survey"], row, -1))


def lock(conn: Connection) -> None:
    """Hold off submits and erasures while a rebuild deletes and rewrites rows (PostgreSQL; SQLite's
    ``BEGIN IMMEDIATE`` already serialises writers).  Reads go on."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("LOCK TABLE response_aggregates IN SHARE ROW EXCLUSIVE MODE"))


def day_expr(dialect: str) -> Any:
    """The UTC day number of ``submitted_at`` in SQL (exact: from the date part only)."""
    r = responses.c
    if dialect == "postgresql":
        return sa.cast(sa.cast(r.submitted_at, sa.Date) - sa.cast(sa.literal("1970-01-01"), sa.Date), sa.Integer)
    # SQLite stores 'YYYY-MM-DD HH:MM:SS.ffffff'; julianday of the date alone is exactly n + 0.5
    return sa.cast(sa.func.julianday(sa.func.substr(r.submitted_at, 1, 10)) - 2440587.5, sa.Integer)


def rebuild(engine: Engine, survey: str | None = None) -> int:
    """Recompute the aggregates of one survey (or all) from the raw responses; returns the rows written.

    One transaction: the survey's rows are deleted and written again by a
    single ``INSERT ... SELECT ... GROUP BY`` over the union of (version x
    tracked variable x unit field) branches, so the database does the work and
    a million responses take seconds, not a Python loop; the organisation's rows follow
    (:func:`rebuild_org_in`).  On PostgreSQL the table is analysed after.
    """
    written = _rebuild(engine, survey)
    if engine.dialect.name == "postgresql":  # fresh statistics, or the planner guesses on millions of new rows
        with engine.connect() as conn:
            conn.execute(sa.text("ANALYZE response_aggregates"))
            conn.commit()
    return written


def _rebuild(engine: Engine, survey: str | None) -> int:
    r, v = responses.c, survey_versions.c
    with write_transaction(engine) as conn:
        stmt = sa.select(v.id, v.survey, v.yaml_text)
        if survey is not None:
            stmt = stmt.where(v.survey == survey)
        versions = conn.execute(stmt).all()
        lock(conn)
        if survey is not None:
            conn.execute(sa.delete(response_aggregates).where(response_aggregates.c.survey == survey))
        else:
            conn.execute(sa.delete(response_aggregates))
        day = day_expr(conn.dialect.name)
        branches = []
        for version in versions:
            from surveykit.loader import load_questionnaire

            q = load_questionnaire(version.yaml_text)
            units: list[tuple[str, Any]] = [(TOTAL, sa.literal(TOTAL))]
            units += [(f.id, r.fields[f.id].as_string()) for f in q.fields]
            for t in tracked_variables(q):
                for field, unit in units:
                    branches.append(_branch(t, version.id, field, unit, day))
        if not branches:
            return 0
        u = sa.union_all(*branches).subquery("u")
        keys = [u.c.survey, u.c.unit_field, u.c.unit, u.c.variable, u.c.points, u.c.day]
        select = sa.select(
            *keys,
            sa.func.count(u.c.x),
            sa.func.sum(u.c.x),
            sa.func.sum(u.c.x * u.c.x),
            *(sa.func.sum(u.c[k]) for k in ("top2", "promoters", "passives", "detractors")),
        ).group_by(*keys)
        a = response_aggregates.c
        into = [a.survey, a.unit_field, a.unit, a.variable, a.points, a.day, *(a[k] for k in COUNTS)]
        conn.execute(sa.insert(response_aggregates).from_select(into, select))
        for name in sorted({x.survey for x in versions}):
            rebuild_org_in(conn, name)
        # counted (psycopg reports no rowcount here), the organisation's marker rows left out
        count = sa.select(sa.func.count()).where(response_aggregates.c.variable != aggregates_org.MARKER)
        if survey is not None:
            count = count.where(response_aggregates.c.survey == survey)
        return int(conn.execute(count).scalar_one())


def branch_select(t: Tracked, version_id: int, keys: Sequence[Any], day: Any) -> sa.Select[Any]:
    """The counts of tracked variable ``t`` in one version's responses, summed by ``keys`` and day."""
    groups = [*keys, day]
    r = responses.c
    x = _x(t)
    zero = sa.literal(0, sa.Integer)
    nps = t.kind == "nps"
    top2 = zero if t.kind == "count" else _flag(x >= (9 if nps else t.points - 1))
    return (
        sa.select(
            *keys,
            day.label("day"),
            sa.func.count(x).label("n"),
            sa.func.sum(x).label("total"),
            sa.func.sum(x * x).label("total_sq"),
            sa.func.sum(top2).label("top2"),
            sa.func.sum(_flag(x >= 9) if nps else zero).label("promoters"),
            sa.func.sum(_flag(x.between(7, 8)) if nps else zero).label("passives"),
            sa.func.sum(_flag(x <= 6) if nps else zero).label("detractors"),
        )
        .where(r.version_id == version_id, x.is_not(None), r.over_quota.is_not(True))
        .group_by(*groups)
    )


def _x(t: Tracked) -> Any:
    if t.kind == "count":
        return sa.literal(1, sa.BigInteger)
    return sa.cast(responses.c.answers[t.name].as_float(), sa.BigInteger)


def _flag(cond: Any) -> Any:
    return sa.case((cond, 1), else_=0)


def _branch(t: Tracked, version_id: int, field: str, unit: Any, day: Any) -> sa.Select[Any]:
    r = responses.c
    if t.kind == "count":
        x: Any = sa.literal(1, sa.BigInteger)
    else:
        x = sa.cast(r.answers[t.name].as_float(), sa.BigInteger)
    zero = sa.literal(0, sa.Integer)

    def flag(cond: Any) -> Any:
        return sa.case((cond, 1), else_=0)

    top2 = zero if t.kind == "count" else flag(x >= (9 if t.kind == "nps" else t.points - 1))
    nps = t.kind == "nps"
    stmt = sa.select(
        r.survey.label("survey"),
        sa.literal(field).label("unit_field"),
        unit.label("unit"),
        sa.literal(t.name).label("variable"),
        sa.literal(t.points, sa.SmallInteger).label("points"),
        day.label("day"),
        x.label("x"),
        top2.label("top2"),
        (flag(x >= 9) if nps else zero).label("promoters"),
        (flag(x.between(7, 8)) if nps else zero).label("passives"),
        (flag(x <= 6) if nps else zero).label("detractors"),
    ).where(r.version_id == version_id, x.is_not(None), r.over_quota.is_not(True))
    if field != TOTAL:
        stmt = stmt.where(unit.is_not(None), unit != "")
    return stmt


def in_units(dialect: str, units: Iterable[str]) -> Any:
    """``unit IN (the codes)`` with the codes as one JSON parameter.

    One bound parameter however many codes (a region's thousand dealers): the statement compiles
    once and is cached, and the database seeks each code in the primary key
    ``(survey, unit_field, variable, unit, day, points)``.
    """
    doc = sa.literal(json.dumps(sorted(units), ensure_ascii=False))
    if dialect == "postgresql":
        codes = sa.select(sa.func.jsonb_array_elements_text(sa.cast(doc, JSONB)).table_valued("value").c.value)
    else:
        codes = sa.select(sa.func.json_each(doc).table_valued("value").c.value)
    return response_aggregates.c.unit.in_(codes.scalar_subquery())


def sums(
    conn: Connection,
    survey: str,
    *,
    unit_field: str = TOTAL,
    units: Iterable[str] | None = None,
    days: tuple[int, int] | None = None,
    variables: Iterable[str] | None = None,
    by: Sequence[str] = ("variable", "points"),
) -> list[dict[str, Any]]:
    """The aggregates summed over a selection, grouped by ``by`` (columns of the table).

    ``units`` None means every unit of ``unit_field``; ``days`` is a half-open
    range ``[first, end)`` of day numbers.  Returns one dict per group with the
    ``by`` columns and every count of :data:`COUNTS`.
    """
    a = response_aggregates.c
    cols = [a[k] for k in by]
    stmt = sa.select(*cols, *(sa.func.sum(a[k]).label(k) for k in COUNTS)).where(
        a.survey == survey, a.unit_field == unit_field
    )
    if variables is not None:
        stmt = stmt.where(a.variable.in_(list(variables)))
    if units is not None:
        stmt = stmt.where(in_units(conn.dialect.name, units))
    if days is not None:
        stmt = stmt.where(a.day >= days[0], a.day < days[1])
    stmt = stmt.group_by(*cols)
    result = conn.execute(stmt)
    keys, width = list(result.keys()), len(by)
    # plain tuples: building Row mappings costs more than the query for a few thousand groups
    return [dict(zip(keys, (*t[:width], *map(int, t[width:])), strict=True)) for t in result]


def rebuild_org(engine: Engine, survey: str) -> int:
    """Recompute the survey's org rows from its responses and write the marker; returns the rows written.

    The database sums per (dealer, branch, day, variable); each group is attributed here to its
    chain as :func:`add_response` attributes a response (under
    ``response_time``, in the tree at the start of its UTC day: an import dated within a day
    applies from the next day on).
    """
    with write_transaction(engine) as conn:
        lock(conn)
        return rebuild_org_in(conn, survey)


def rebuild_org_in(conn: Connection, survey: str) -> int:
    """:func:`rebuild_org` inside the caller's write transaction (which holds the lock)."""
    from surveykit.loader import load_questionnaire

    r, v, a = responses.c, survey_versions.c, response_aggregates.c
    conn.execute(sa.delete(response_aggregates).where(a.survey == survey, a.unit_field == aggregates_org.ORG))
    aggregates_org.forget(conn.engine)  # the organisation as it is now, not as last checked
    org = aggregates_org.chains(conn)
    day = day_expr(conn.dialect.name)
    totals: dict[tuple[str, str, int, int], list[int]] = {}
    for version_id, text in conn.execute(sa.select(v.id, v.yaml_text).where(v.survey == survey)).all():
        q = load_questionnaire(text)
        keys = [r.fields[name].as_string().label(name) for name in ("dealer", "branch")]
        for t in tracked_variables(q):
            stmt = branch_select(t, version_id, keys, day)
            for row in conn.execute(stmt):
                m = row._mapping
                fields = {"dealer": m["dealer"], "branch": m["branch"]}
                at = dt.datetime.combine(day_of(int(m["day"])), dt.time())
                for unit in org.chain(fields, at):
                    key = (unit, t.name, t.points, int(m["day"]))
                    counts = totals.setdefault(key, [0] * len(COUNTS))
                    for i, name in enumerate(COUNTS):
                        counts[i] += int(m[name])
    params = [
        dict(
            survey=survey,
            unit_field=aggregates_org.ORG,
            unit=u,
            variable=var,
            points=p,
            day=d,
            **dict(zip(COUNTS, c, strict=True)),
        )
        for (u, var, p, d), c in totals.items()
    ]
    zero = dict.fromkeys(COUNTS, 0)
    params.append(
        dict(
            survey=survey,
            unit_field=aggregates_org.ORG,
            unit=org.version,
            variable=aggregates_org.MARKER,
            points=0,
            day=0,
            **zero,
        )
    )
    conn.execute(sa.insert(response_aggregates), params)
    return len(params) - 1
