"""The figures of a dashboard page, read from the aggregates (:mod:`surveykit.aggregates`), never the raw answers.

:func:`survey_figures` gives, for a selection (:mod:`webform.dashboard.units`) and a period
(:mod:`webform.dashboard.periods`): the headline tiles with their change against the previous
period (tested and Holm-adjusted, :mod:`analysis.tiles`), the child units' table with the same
figures, a sparkline of the last periods and the funnel position, and the trend of the index.
Open and overdue cases come from the case table, the response rate from the invitations.

Minimum-n suppression: a figure resting on fewer than ``min_n`` answers is None, and the page
and the downloads say "not enough responses" instead; a child row below ``min_n`` responses
shows no figure at all.  For an anonymous survey (``anonymous:``) the child rows also get
complementary suppression (:func:`surveykit.anonymity.hidden_cells`, in this period and in the
previous one the change is measured against), so the selection's total minus the shown rows never
gives back a small unit, and no sparklines (six periods a child multiply the cells to protect).
Since every unit has a page of its own, a unit withheld in its parent's table, or below a unit
withheld in its own parent's, is withheld on its own page and in the overview too
(:func:`withheld`): otherwise its page would give back what its parent's table hides.

The sums of a set of codes are read from the ``dealer`` rows; a unit none of whose codes occurs
as a dealer (a branch) is read from the ``branch`` rows.  A region is so exactly the sum of its
dealers, and no response is counted twice.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from analysis import tiles
from surveykit import aggregates, anonymity, cases, org
from surveykit.aggregates import RESPONSES, TOTAL
from surveykit.aggregates_org import ORG
from surveykit.database import cases as cases_table
from surveykit.database import field_code, invitations, response_aggregates, responses
from surveykit.model import Questionnaire
from surveykit.text import mask_personal_data
from webform.dashboard.periods import Period
from webform.dashboard.units import Selection

__all__ = [
    "SPARK_PERIODS",
    "TREND_PERIODS",
    "Figures",
    "Tile",
    "org_units",
    "survey_figures",
    "tile_figures",
    "unit_fields",
]

SPARK_PERIODS = 6
TREND_PERIODS = 12
_DEALER_FIRST = ("dealer", "branch")


@dataclass(frozen=True, slots=True)
class Tile:
    """One headline figure: ``value`` None when suppressed or undefined; ``change`` against the previous period."""

    key: str
    value: float | None
    n: int
    ci: tuple[float, float] | None = None
    change: tiles.Change | None = None
    suppressed: bool = False


@dataclass(slots=True)
class Row:
    """A child unit in the table."""

    unit: str
    name: str
    n: int
    index: tiles.IndexSums
    index_before: tiles.IndexSums
    nps: tiles.NpsCounts
    top2: tiles.Proportion
    suppressed: bool
    change: tiles.Change | None = None
    spark: list[float | None] = field(default_factory=list)
    funnel: str = ""
    open_cases: int = 0
    overdue_cases: int = 0


@dataclass(slots=True)
class Figures:
    headline: list[Tile]
    rows: list[Row]
    trend: list[tuple[dt.date, tiles.IndexSums | None]]  # per period start; None when suppressed
    unknown: int  # responses in the period whose code no child holds (top of the programme only)
    sat: str | None
    nps: str | None


def unit_fields(q: Questionnaire) -> list[str]:
    """The survey's unit fields, dealer first (see the module docstring)."""
    ids = {f.id for f in q.fields}
    return [f for f in _DEALER_FIRST if f in ids]


def _variables(q: Questionnaire) -> tuple[str | None, str | None]:
    tracked = aggregates.tracked_variables(q)
    sat = next((t.name for t in tracked if t.kind == "likert"), None)
    nps = next((t.name for t in tracked if t.kind == "nps"), None)
    return sat, nps


def _grouped(
    conn: Connection,
    q: Questionnaire,
    codes: frozenset[str] | None,
    days: tuple[int, int],
    by: Sequence[str],
    variables: Iterable[str] | None = None,
    org_units: Sequence[str] | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """The summed rows of the codes' unit field (``TOTAL`` for None), or of the organisation's rows of
    ``org_units`` when given; which field answered."""
    if org_units is not None:
        rows = aggregates.sums(conn, q.survey, unit_field=ORG, units=org_units, days=days, variables=variables, by=by)
        return ORG, rows
    if codes is None:
        return TOTAL, aggregates.sums(conn, q.survey, days=days, variables=variables, by=by)
    fields = unit_fields(q)
    for name in fields:
        rows = aggregates.sums(conn, q.survey, unit_field=name, units=codes, days=days, variables=variables, by=by)
        if rows:
            return name, rows
    return (fields[0] if fields else TOTAL), []


def _by(rows: Iterable[dict[str, Any]], variable: str | None) -> list[dict[str, Any]]:
    return [r for r in rows if r["variable"] == variable]


def _count(rows: Iterable[dict[str, Any]]) -> int:
    return sum(int(r["n"]) for r in rows if r["variable"] == RESPONSES)


def tile_figures(
    conn: Connection,
    q: Questionnaire,
    codes: frozenset[str] | None,
    period: Period,
    min_n: int,
    now: dt.datetime,
    org_units: Sequence[str] | None = None,
    hidden: tuple[bool, bool] = (False, False),
) -> list[Tile]:
    """The headline tiles of a selection: index, NPS, top-2-box, responses, response rate, open and overdue cases.

    ``org_units``: read the figures from the organisation's rows of these units (disjoint subtrees)
    instead of summing the selection's dealer codes; cases and invitations are counted by code.
    ``hidden``: the selection is withheld in this period, in the previous one (:func:`withheld`):
    its answer figures are suppressed, or their change.
    """
    sat, nps = _variables(q)
    variables = [v for v in (RESPONSES, sat, nps) if v]
    _f, cur = _grouped(conn, q, codes, period.days, ("variable", "points"), variables, org_units)
    _f, prev = _grouped(conn, q, codes, period.prev_days, ("variable", "points"), variables, org_units)
    n_now, n_prev = _count(cur), _count(prev)
    if hidden[1]:
        prev = []  # no change is tested against a withheld period
    out: list[Tile] = []
    changes: list[tiles.Change | None] = []
    if sat is not None:
        a, b = tiles.index_sums(_by(cur, sat)), tiles.index_sums(_by(prev, sat))
        ok = a.n >= min_n
        change = tiles.welch_change(a, b) if ok and b.n >= min_n else None
        out.append(Tile("index", a.mean if ok else None, a.n, a.ci if ok else None, change, not ok))
        changes.append(change)
        t2a, t2b = tiles.top2_counts(_by(cur, sat)), tiles.top2_counts(_by(prev, sat))
        change = tiles.proportion_change(t2a, t2b) if ok and t2b.n >= min_n else None
        out.append(Tile("top2", t2a.pct if ok else None, t2a.n, None, change, not ok))
        changes.append(change)
    if nps is not None:
        pa, pb = tiles.nps_counts(_by(cur, nps)), tiles.nps_counts(_by(prev, nps))
        ok = pa.n >= min_n
        change = tiles.nps_change(pa, pb) if ok and pb.n >= min_n else None
        out.append(Tile("nps", pa.nps if ok else None, pa.n, pa.ci if ok else None, change, not ok))
        changes.append(change)
    ok = n_now >= min_n
    diff = tiles.Change(float(n_now - n_prev), float("nan"), "count") if ok and n_prev >= min_n else None
    out.append(Tile("responses", float(n_now) if ok else None, n_now, None, diff, not ok))
    changes.append(None)  # a count: shown, not tested
    rate = _response_rate(conn, q.survey, codes, period)
    if rate is not None:
        ra, rb = rate
        ok = ra.n >= min_n
        change = tiles.proportion_change(ra, rb) if ok and rb.n >= min_n else None
        out.append(Tile("response_rate", ra.pct if ok else None, ra.n, None, change, not ok))
        changes.append(change)
    adjusted = tiles.changes_holm(changes)
    out = [
        Tile(t.key, t.value, t.n, t.ci, adjusted[i] if adjusted[i] is not None else t.change, t.suppressed)
        for i, t in enumerate(out)
    ]
    if hidden[0]:
        out = [Tile(t.key, None, t.n, None, None, True) for t in out]
    open_n, overdue_n = _cases(conn, q.survey, codes, now).get(None, (0, 0))
    out.append(Tile("open_cases", float(open_n), open_n))
    out.append(Tile("overdue_cases", float(overdue_n), overdue_n))
    return out


def _response_rate(
    conn: Connection, survey: str, codes: frozenset[str] | None, period: Period
) -> tuple[tiles.Proportion, tiles.Proportion] | None:
    """Responses of the invitations created in the period / those invitations (None when there are none)."""
    i = invitations.c
    out = []
    for first, end in ((period.start, period.end), (period.prev_start, period.start)):
        stmt = sa.select(sa.func.count(), sa.func.count(i.response_id)).where(
            i.survey == survey, i.created_at >= _midnight(first), i.created_at < _midnight(end)
        )
        if codes is not None:
            stmt = stmt.where(i.fields["dealer"].as_string().in_(sorted(codes)))
        total, answered = conn.execute(stmt).one()
        out.append(tiles.Proportion(int(answered), int(total)))
    if not out[0].n and not out[1].n:
        return None
    return out[0], out[1]


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def _cases(
    conn: Connection, survey: str, codes: frozenset[str] | None, now: dt.datetime, by_dealer: bool = False
) -> dict[str | None, tuple[int, int]]:
    """Open (not in a final state) and overdue cases now, in all or by dealer code."""
    c = cases_table.c
    active = c.state.not_in(sorted(cases.FINAL_STATES))
    overdue = sa.and_(c.first_contact_at.is_(None), c.first_contact_due <= now)
    cols: list[Any] = [c.dealer] if by_dealer else []
    stmt = sa.select(*cols, sa.func.count(), sa.func.sum(sa.case((overdue, 1), else_=0))).where(
        c.survey == survey, active
    )
    if codes is not None:
        stmt = stmt.where(c.dealer.in_(sorted(codes)))
    if by_dealer:
        stmt = stmt.group_by(c.dealer)
        return {row[0]: (int(row[1]), int(row[2] or 0)) for row in conn.execute(stmt)}
    found = conn.execute(stmt).one()
    return {None: (int(found[0]), int(found[1] or 0))}


def _by_child(
    conn: Connection,
    q: Questionnaire,
    sel: Selection,
    days: tuple[int, int],
    variables: list[str],
    bucket: int | None = None,
    org: bool = False,
) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """Sums per child unit (and per bucket of ``bucket`` days from ``days[0]``).

    The database sums per unit code (the codes as one parameter, :func:`surveykit.aggregates.in_units`);
    the codes are added up per child here.  A child is read from the dealer rows, or, when it has
    none, from the branch rows (see the module docstring).
    """
    if org:  # the organisation's rows: a child is one key
        child_of = {child: child for child, _name, _codes in sel.children}
        fields = [ORG]
    else:
        child_of = {code: child for child, _name, codes in sel.children for code in codes}
        fields = unit_fields(q)
    a = response_aggregates.c
    cols: list[Any] = [a.unit]
    if bucket is not None:
        cols.append(((a.day - days[0]) // bucket).label("bucket"))
    out: dict[tuple[str, int], dict[tuple[str, int], dict[str, Any]]] = {}
    for name in fields:
        if not child_of:
            break
        stmt = (
            sa.select(*cols, a.variable, a.points, *(sa.func.sum(a[k]).label(k) for k in aggregates.COUNTS))
            .where(
                a.survey == q.survey,
                a.unit_field == name,
                a.variable.in_(variables),
                a.day >= days[0],
                a.day < days[1],
                aggregates.in_units(conn.dialect.name, child_of),
            )
            .group_by(*cols, a.variable, a.points)
        )
        result = conn.execute(stmt)
        keys = list(result.keys())
        found: set[str] = set()
        for t in result:
            row = dict(zip(keys, t, strict=True))
            child = child_of[row["unit"]]
            found.add(child)
            groups = out.setdefault((child, int(row.get("bucket", 0))), {})
            total = groups.get((row["variable"], row["points"]))
            if total is None:
                groups[row["variable"], row["points"]] = row
            else:
                for k in aggregates.COUNTS:
                    total[k] += row[k]
        child_of = {code: child for code, child in child_of.items() if child not in found}
    return {key: list(groups.values()) for key, groups in out.items()}


def _buckets(
    conn: Connection,
    q: Questionnaire,
    field_name: str,
    codes: frozenset[str] | None,
    variable: str,
    period: Period,
    count: int,
) -> dict[int, list[dict[str, Any]]]:
    """The selection's sums of ``variable`` in ``count`` periods of the period's length ending with it (0 = oldest)."""
    a = response_aggregates.c
    length = period.length
    first = period.days[1] - count * length
    bucket = ((a.day - first) // length).label("bucket")
    stmt = (
        sa.select(bucket, a.points, *(sa.func.sum(a[k]).label(k) for k in ("n", "total", "total_sq")))
        .where(
            a.survey == q.survey,
            a.unit_field == field_name,
            a.variable == variable,
            a.day >= first,
            a.day < period.days[1],
        )
        .group_by(bucket, a.points)
    )
    if codes is not None:
        stmt = stmt.where(aggregates.in_units(conn.dialect.name, codes))
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    result = conn.execute(stmt)
    keys = list(result.keys())
    for t in result:
        row = dict(zip(keys, t, strict=True))
        out[int(row["bucket"])].append(row)
    return out


def org_units(sel: Selection) -> list[str] | None:
    """The units of the organisation whose rows stand for the selection (None: the whole network,
    read from the rows of all responses): the unit, or a manager's top units."""
    if sel.codes is None:
        return None
    return [sel.unit] if sel.unit else [child for child, _name, _codes in sel.children]


def survey_figures(
    conn: Connection,
    q: Questionnaire,
    sel: Selection,
    period: Period,
    min_n: int,
    now: dt.datetime,
    org: bool = False,
) -> Figures:
    """Everything the survey page shows but the priorities and the comments (see the module docstring).

    ``org``: read from the organisation's rows (:mod:`surveykit.aggregates_org`, when they are
    current) instead of summing dealer codes: a region is one key.
    """
    sat, nps = _variables(q)
    variables = [v for v in (RESPONSES, sat, nps) if v]
    units = org_units(sel) if org else None
    hidden = withheld(conn, q, sel.unit, period, min_n)
    tiles_now = tile_figures(conn, q, sel.codes, period, min_n, now, units, hidden)
    cur = _by_child(conn, q, sel, period.days, variables, org=org)
    spark: dict[tuple[str, int], list[dict[str, Any]]] = {}
    prev: dict[tuple[str, int], list[dict[str, Any]]] = {}
    if sat:
        end = period.days[1]
        days = (end - SPARK_PERIODS * period.length, end)
        spark = _by_child(conn, q, sel, days, [sat], bucket=period.length, org=org)
        if period.prev_days == (period.days[0] - period.length, period.days[0]):
            # the previous period is the sparkline's second-last bucket (one query fewer; not so for a
            # calendar month or quarter after a longer or shorter one)
            prev = {(child, 0): got for (child, b), got in spark.items() if b == SPARK_PERIODS - 2}
        else:
            prev = _by_child(conn, q, sel, period.prev_days, [sat], org=org)
    by_dealer = _cases(conn, q.survey, sel.codes, now, by_dealer=True)
    overall = tiles.index_sums(r for rows in cur.values() for r in _by(rows, sat))
    rows: list[Row] = []
    for child, name, codes in sel.children:
        got = cur.get((child, 0), [])
        n = _count(got)
        ok = n >= min_n
        index, before = tiles.index_sums(_by(got, sat)), tiles.index_sums(_by(prev.get((child, 0), []), sat))
        row = Row(
            child, name, n, index, before, tiles.nps_counts(_by(got, nps)), tiles.top2_counts(_by(got, sat)), not ok
        )
        if ok and sat:
            row.change = tiles.welch_change(index, before) if before.n >= min_n else None
            row.funnel = tiles.funnel_position(index, overall)
            row.spark = _spark(spark, child, min_n)
        row.open_cases = sum(by_dealer.get(code, (0, 0))[0] for code in codes)
        row.overdue_cases = sum(by_dealer.get(code, (0, 0))[1] for code in codes)
        rows.append(row)
    total = next(t.n for t in tiles_now if t.key == "responses")
    if q.anonymous is not None and sat:
        _protect(conn, q, sel, period, rows, total, min_n, units)
        for row in rows if hidden[0] else []:
            row.suppressed, row.change, row.funnel = True, None, ""
    adjusted = tiles.changes_holm([r.change for r in rows])
    for row, change in zip(rows, adjusted, strict=True):
        row.change = change
    trend = _trend(conn, q, sel, sat, period, min_n, units) if sat else []
    if hidden[0]:  # the latest periods are the ones withheld; the unit's past is not worth the risk
        trend = [(day, None) for day, _s in trend]
    elif q.anonymous is not None and sel.unit and any(s is not None for _d, s in trend):
        masked = withheld_trend(conn, q, sel.unit, period, min_n)
        trend = [(day, None if out else s) for (day, s), out in zip(trend, masked, strict=True)]
    # at the top, the responses no child holds (a code the organisation does not know, or none)
    unknown = total - sum(r.n for r in rows) if sel.codes is None and sel.children and not sel.flat else 0
    return Figures(tiles_now, rows, trend, unknown, sat, nps)


def _protect(
    conn: Connection,
    q: Questionnaire,
    sel: Selection,
    period: Period,
    rows: list[Row],
    total: int,
    min_n: int,
    units: Sequence[str] | None,
) -> None:
    """Complementary suppression of an anonymous survey's child rows (see the module docstring).

    The responses of the selection that no child holds (a dealer's own rows above its branches, an
    unknown code) are a cell that is never shown.  The previous period is protected the same way,
    since a shown change gives the child's previous index, and the tile's the selection's.
    """
    cells = {r.unit: r.n for r in rows}
    hidden = anonymity.hidden_cells({**cells, "": total - sum(cells.values())}, min_n, [""])
    for r in rows:
        if r.unit in hidden:
            r.suppressed, r.change, r.funnel = True, None, ""
        r.spark = []
    sat, _nps = _variables(q)
    if sat is None:  # no index, no change to protect
        return
    _f, prev = _grouped(conn, q, sel.codes, period.prev_days, ("variable", "points"), [sat], units)
    before = {r.unit: r.index_before.n for r in rows}
    unshown = [r.unit for r in rows if r.change is None]  # their previous index is not shown either
    prev_rest = tiles.index_sums(_by(prev, sat)).n - sum(before.values())
    hidden = anonymity.hidden_cells({**before, "": prev_rest}, min_n, ["", *unshown])
    for r in rows:
        if r.unit in hidden:
            r.change = None


def withheld(conn: Connection, q: Questionnaire, unit: str, period: Period, min_n: int) -> tuple[bool, bool]:
    """Whether an anonymous survey's ``unit`` is withheld in this period and in the previous one.

    It is when it, or a unit above it, is among the :func:`surveykit.anonymity.hidden_cells` of
    its parent's children (the top's children are the roots, or the dealer codes met without an
    organisation), counted by responses.  Always (False, False) for a survey that is not
    anonymous or for the top.
    """
    if q.anonymous is None or not unit:
        return (False, False)
    tree = org.load_tree(conn.engine)
    return _withheld_in(conn, q, tree, unit, period.days, min_n), _withheld_in(
        conn, q, tree, unit, period.prev_days, min_n
    )


def withheld_trend(conn: Connection, q: Questionnaire, unit: str, period: Period, min_n: int) -> list[bool]:
    """:func:`withheld` for each of the :data:`TREND_PERIODS` periods of the trend (oldest first): a unit's
    trend point is withheld in a period where its table row is, so its page's trend and its parent's
    never give a small unit's point back."""
    if q.anonymous is None or not unit:
        return [False] * TREND_PERIODS
    tree = org.load_tree(conn.engine)
    end = period.days[1]
    return [
        _withheld_in(
            conn,
            q,
            tree,
            unit,
            (end - (TREND_PERIODS - b) * period.length, end - (TREND_PERIODS - b - 1) * period.length),
            min_n,
        )
        for b in range(TREND_PERIODS)
    ]


def _withheld_in(
    conn: Connection, q: Questionnaire, tree: org.OrgTree, unit: str, days: tuple[int, int], min_n: int
) -> bool:
    chain = [unit, *reversed(tree.ancestors(unit))] if unit in tree else [unit]
    for child in chain:
        up = tree.ancestors(child)
        if up:
            parent, codes = up[-1], frozenset(tree.subtree(up[-1]))
            siblings = [(c, c, frozenset(tree.subtree(c))) for c in tree.children(parent)]
        elif len(tree):
            parent, codes = "", None
            siblings = [(c, c, frozenset(tree.subtree(c))) for c in tree.roots()]
        else:
            parent, codes, siblings = "", None, _codes_met(conn, q, days)
        found = _by_child(conn, q, Selection(parent, parent, codes, siblings), days, [RESPONSES])
        cells = {c: _count(found.get((c, 0), [])) for c, _n, _codes in siblings}
        _f, rows = _grouped(conn, q, codes, days, ("variable",), [RESPONSES])
        rest = _count(rows) - sum(cells.values())
        if child in anonymity.hidden_cells({**cells, "": rest}, min_n, [""]):
            return True
    return False


def _codes_met(conn: Connection, q: Questionnaire, days: tuple[int, int]) -> list[tuple[str, str, frozenset[str]]]:
    """The dealer codes with responses in ``days``, as the flat children of the top (no organisation)."""
    fields = unit_fields(q)[:1]
    rows = [
        r
        for f in fields
        for r in aggregates.sums(conn, q.survey, unit_field=f, days=days, variables=[RESPONSES], by=("unit",))
    ]
    return [(c, c, frozenset({c})) for c in sorted({r["unit"] for r in rows})]


def _spark(buckets: dict[tuple[str, int], list[dict[str, Any]]], child: str, min_n: int) -> list[float | None]:
    """The child's index in each of the last periods (None below ``min_n``)."""
    out: list[float | None] = []
    for b in range(SPARK_PERIODS):
        s = tiles.index_sums(buckets.get((child, b), ()))
        out.append(s.mean if s.n >= min_n else None)
    return out


def _trend(
    conn: Connection,
    q: Questionnaire,
    sel: Selection,
    sat: str,
    period: Period,
    min_n: int,
    units: Sequence[str] | None = None,
) -> list[tuple[dt.date, tiles.IndexSums | None]]:
    """The selection's index in the last :data:`TREND_PERIODS` periods of the period's length."""
    buckets: dict[int, list[dict[str, Any]]] = {}
    if units is not None:
        buckets = _buckets(conn, q, ORG, frozenset(units), sat, period, TREND_PERIODS)
    for field_name in [] if units is not None else [TOTAL] if sel.codes is None else unit_fields(q):
        buckets = _buckets(conn, q, field_name, sel.codes, sat, period, TREND_PERIODS)
        if buckets:
            break
    out: list[tuple[dt.date, tiles.IndexSums | None]] = []
    first = period.end - dt.timedelta(days=TREND_PERIODS * period.length)
    for b in range(TREND_PERIODS):
        s = tiles.index_sums(buckets.get(b, ()))
        out.append((first + dt.timedelta(days=b * period.length), s if s.n >= min_n else None))
    return out


def latest_comments(
    conn: Connection, q: Questionnaire, codes: frozenset[str] | None, period: Period, limit: int = 8
) -> list[dict[str, Any]]:
    """The latest non-empty text answers of the selection in the period, with the response's scores."""
    texts = [x.id for x in q.questions() if x.type == "text"]
    if not texts:
        return []
    sat, nps = _variables(q)
    r = responses.c
    has_text = sa.or_(*(sa.func.coalesce(r.answers[t].as_string(), "") != "" for t in texts))
    stmt = (
        sa.select(r.submitted_at, r.fields, r.answers)
        .where(
            r.survey == q.survey,
            r.submitted_at >= _midnight(period.start),
            r.submitted_at < _midnight(period.end),
            has_text,
        )
        .order_by(r.submitted_at.desc())
        .limit(limit)
    )
    if codes is not None:
        fields = unit_fields(q)
        # written as the index on (survey, dealer, submitted_at) is, so a dealer's latest rows are read by it
        codes_in = [field_code(conn.dialect.name, f).in_(sorted(codes)) for f in fields]
        stmt = stmt.where(sa.or_(*codes_in) if fields else sa.false())
    out = []
    for row in conn.execute(stmt):
        answers = row.answers or {}
        out.append(
            {
                "at": row.submitted_at,
                "fields": row.fields or {},
                "sat": answers.get(sat) if sat else None,
                "nps": answers.get(nps) if nps else None,
                # masked: the dashboard is read by managers, not by the case handler
                "texts": [(t, mask_personal_data(answers[t])) for t in texts if answers.get(t)],
            }
        )
    return out
