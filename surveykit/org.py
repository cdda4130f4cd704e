"""The dealer organisation: units (region → dealer → branch, any depth), their versions, and who sees what.

A unit has an id (the code the responses carry in their ``dealer`` or ``branch`` field, e.g.
``DE01``), a parent, a level (``region``, ``dealer``…) and a name per language.  The tree is
imported from a CSV file (:mod:`surveykit.orgfile`, ``surveykit org import``) and kept with its
history in :data:`surveykit.database.org_units`: each import that changes a unit (a dealer moves
to another region, is renamed, closes) ends its current row (``valid_to``) and starts a new one
(``valid_from``), so the tree of any past moment can be rebuilt (:func:`load_tree` with ``at``).

Attribution (:data:`ATTRIBUTIONS`): a response is counted under the units above its dealer
either in the **current tree** (``current``, the default) or in the tree **at the time of the
response** (``response_time``).  The default answers the question a manager asks of a dashboard,
"how are my dealers doing, and how have they been doing": a region's trend is that of the dealers
it has now, so this month compares like for like with last month even across a reorganisation,
and the region's figures always add up from the dealers listed under it.  ``response_time``
keeps history instead (the figures a region was given last quarter stay what they were when a
dealer moves today), for reproducing a published report; :meth:`OrgHistory.codes_below` gives
the dealer codes of a unit per stretch of time under either.

Scope: a ``manager`` user is given units (:data:`surveykit.database.user_units`) and sees those
and everything below them in the current tree (:func:`scope_units`); every other role sees every
unit (None).  Who may see which unit is who manages it now, whatever the attribution.

Responses are tied to units by their field values (:data:`UNIT_FIELDS`, the most specific
first): :meth:`OrgTree.unit_of`.  A code the tree does not know is reported (collected in
:attr:`OrgTree.unknown`, and listed by :func:`unknown_codes`), never raised: a page shows it as
it is rather than fail.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Protocol

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from surveykit.database import org_units, responses, user_units
from surveykit.model import Questionnaire, Text

__all__ = [
    "ATTRIBUTIONS",
    "DEFAULT_ATTRIBUTION",
    "UNIT_FIELDS",
    "OrgHistory",
    "OrgTree",
    "Unit",
    "codes_in_scope",
    "expand_units",
    "load_history",
    "load_tree",
    "named_in_store",
    "rows_in_units",
    "scope_units",
    "unit_names",
    "unknown_codes",
    "user_unit_ids",
    "with_unit_names",
]

# The response fields that carry a unit's code, the most specific first: a response's unit is
# its branch when the tree knows that branch, else its dealer.
UNIT_FIELDS = ("branch", "dealer")
ATTRIBUTIONS = ("response_time", "current")
DEFAULT_ATTRIBUTION = "current"
# Roles that see every unit; a manager sees their units and what is below them.
UNSCOPED_ROLES = frozenset({"admin", "analyst", "department"})


@dataclass(frozen=True, slots=True)
class Unit:
    """One unit of the organisation as one version of the tree has it."""

    id: str
    parent: str | None
    level: str
    names: Mapping[str, str]


class OrgTree:
    """The organisation at one moment: units by id, navigable up and down.

    Built by :func:`load_tree` (or :meth:`OrgHistory.at`); an empty tree (nothing imported)
    knows no unit, and every lookup falls back gracefully (names are the codes, ``unit_of``
    is None).
    """

    def __init__(self, units: Iterable[Unit]) -> None:
        self.units: dict[str, Unit] = {u.id: u for u in units}
        self._children: dict[str | None, list[str]] = {}
        for u in sorted(self.units.values(), key=lambda u: u.id):
            parent = u.parent if u.parent in self.units else None
            self._children.setdefault(parent, []).append(u.id)
        # (field, code) pairs that unit_of met and the tree does not know, for reporting
        self.unknown: set[tuple[str, str]] = set()

    def __contains__(self, unit_id: object) -> bool:
        return unit_id in self.units

    def __len__(self) -> int:
        return len(self.units)

    def __iter__(self) -> Iterator[Unit]:
        """Every unit, parents before their children (the order of an export)."""
        stack = list(reversed(self.roots()))
        while stack:
            unit_id = stack.pop()
            yield self.units[unit_id]
            stack.extend(reversed(self.children(unit_id)))

    def roots(self) -> list[str]:
        """The units without a parent, by id."""
        return list(self._children.get(None, []))

    def children(self, unit_id: str) -> list[str]:
        """The units directly below ``unit_id``, by id (empty for a leaf or an unknown id)."""
        return list(self._children.get(unit_id, [])) if unit_id in self.units else []

    def ancestors(self, unit_id: str) -> list[str]:
        """The units above ``unit_id`` from the root down to its parent (the breadcrumbs); empty for a root
        or an unknown id."""
        chain: list[str] = []
        unit = self.units.get(unit_id)
        while unit is not None and unit.parent in self.units and unit.parent not in chain:
            chain.append(unit.parent)
            unit = self.units[unit.parent]
        return chain[::-1]

    def descendants(self, unit_id: str) -> set[str]:
        """Every unit below ``unit_id`` at any depth, not ``unit_id`` itself."""
        found: set[str] = set()
        stack = self.children(unit_id)
        while stack:
            child = stack.pop()
            if child not in found:
                found.add(child)
                stack.extend(self.children(child))
        return found

    def subtree(self, unit_id: str) -> set[str]:
        """``unit_id`` and everything below it (empty when the tree does not know it)."""
        return {unit_id, *self.descendants(unit_id)} if unit_id in self.units else set()

    def level(self, unit_id: str) -> str | None:
        unit = self.units.get(unit_id)
        return unit.level if unit else None

    def name(self, unit_id: str, lang: str | None = None) -> str:
        """The unit's name in ``lang``, else in another language it has (zh, en, then any), else the code itself."""
        unit = self.units.get(unit_id)
        if unit is None:
            return unit_id
        for key in (lang, "zh", "en", *unit.names):
            if key and unit.names.get(key):
                return unit.names[key]
        return unit_id

    def unit_of(self, fields: Mapping[str, Any]) -> str | None:
        """The unit a response belongs to, from its field values (:data:`UNIT_FIELDS`, most specific first).

        None when no field holds a code the tree knows; every unknown code met is added to
        :attr:`unknown` as ``(field, code)`` so that a page can say so, never raised.
        """
        found = None
        for name in UNIT_FIELDS:
            code = fields.get(name)
            if code is None or code == "":
                continue
            code = str(code)
            if code in self.units:
                found = found or code
            else:
                self.unknown.add((name, code))
        return found


@dataclass(frozen=True, slots=True)
class _Version:
    unit: Unit
    valid_from: dt.datetime | None
    valid_to: dt.datetime | None

    def valid_at(self, at: dt.datetime) -> bool:
        return (self.valid_from is None or self.valid_from <= at) and (self.valid_to is None or at < self.valid_to)


@dataclass(frozen=True, slots=True)
class OrgHistory:
    """Every version of every unit: the tree at any moment, and where it changed."""

    versions: tuple[_Version, ...]
    changes: tuple[dt.datetime, ...] = field(default=())

    def at(self, when: dt.datetime | None = None) -> OrgTree:
        """The tree at ``when`` (naive UTC), or the current tree for None."""
        if when is None:
            return OrgTree(v.unit for v in self.versions if v.valid_to is None)
        return OrgTree(v.unit for v in self.versions if v.valid_at(when))

    def codes_below(
        self,
        unit_id: str,
        start: dt.datetime,
        end: dt.datetime,
        *,
        attribution: str = DEFAULT_ATTRIBUTION,
    ) -> list[tuple[dt.datetime, dt.datetime, frozenset[str]]]:
        """The unit codes counted under ``unit_id`` between ``start`` and ``end`` (naive UTC, end excluded).

        One ``(from, to, codes)`` per stretch in which the tree did not change (``codes`` is
        ``unit_id`` and everything below it then): a response with unit code ``c`` submitted at
        ``t`` counts for ``unit_id`` when ``c in codes`` of the stretch holding ``t``.  With
        ``attribution="current"`` there is one stretch, the current tree's.  Stretches in which
        the unit did not exist are left out.
        """
        if attribution not in ATTRIBUTIONS:
            raise ValueError(f"attribution is one of {', '.join(ATTRIBUTIONS)}, not {attribution!r}")
        if end <= start:
            return []
        if attribution == "current":
            codes = frozenset(self.at(None).subtree(unit_id))
            return [(start, end, codes)] if codes else []
        cuts = [start, *(c for c in self.changes if start < c < end), end]
        stretches: list[tuple[dt.datetime, dt.datetime, frozenset[str]]] = []
        for a, b in pairwise(cuts):
            codes = frozenset(self.at(a).subtree(unit_id))
            if not codes:
                continue
            if stretches and stretches[-1][2] == codes and stretches[-1][1] == a:
                stretches[-1] = (stretches[-1][0], b, codes)
            else:
                stretches.append((a, b, codes))
        return stretches


def with_unit_names(q: Questionnaire, tree: OrgTree) -> Questionnaire:
    """``q`` with the unit names as the value labels of its unit fields (:data:`UNIT_FIELDS`), for showing.

    Everything that labels a segment field's values from the questionnaire (the report's tables
    and charts, the SPSS and Stata value labels, the codebook) then shows ``北京安达汽车服务``
    instead of ``DE01``.  A field gets the units of the level named like it (``dealer`` → the
    units of level ``dealer``) when the tree has that level, else every unit; values the
    questionnaire declares itself keep its labels.  Only for display: a questionnaire with
    declared values refuses other codes in invitations, so the served one is never replaced.
    """
    if not len(tree):
        return q
    levels = {u.level for u in tree.units.values()}
    fields = []
    for f in q.fields:
        if f.id in UNIT_FIELDS:
            declared = {code for code, _ in f.values}
            units = [u for u in tree if (u.level == f.id or f.id not in levels) and u.id not in declared and u.names]
            extra = tuple((u.id, Text(tuple(u.names.items()))) for u in units)
            f = dataclasses.replace(f, values=f.values + extra)
        fields.append(f)
    by_id = {f.id: f for f in fields}
    variables = tuple(
        dataclasses.replace(v, value_labels=by_id[v.name].values)
        if v.type == "field" and v.name in by_id and v.name in UNIT_FIELDS
        else v
        for v in q.variables()
    )
    return dataclasses.replace(q, fields=tuple(fields), _variables=variables)


def named_in_store(engine: Engine, q: Questionnaire) -> Questionnaire:
    """:func:`with_unit_names` with the store's current organisation; ``q`` itself when the store has none
    (nothing imported, or a store from before organisations)."""
    if not sa.inspect(engine).has_table(org_units.name):
        return q
    return with_unit_names(q, load_tree(engine))


def unit_names(conn: Connection, unit_id: str) -> dict[str, str]:
    """One unit's current names by language, read in ``conn``'s transaction ({} when the organisation does not know it)."""
    o = org_units.c
    found = conn.execute(sa.select(o.names).where(o.unit == unit_id, o.valid_to.is_(None))).scalar()
    return dict(found or {})


def _versions(conn: Connection) -> tuple[_Version, ...]:
    o = org_units.c
    rows = conn.execute(
        sa.select(o.unit, o.parent, o.level, o.names, o.valid_from, o.valid_to).order_by(o.unit, o.id)
    ).all()
    return tuple(_Version(Unit(r.unit, r.parent, r.level, dict(r.names or {})), r.valid_from, r.valid_to) for r in rows)


def load_history(engine: Engine) -> OrgHistory:
    """Every stored version of the organisation (see :class:`OrgHistory`)."""
    with engine.connect() as conn:
        versions = _versions(conn)
    changes = sorted({t for v in versions for t in (v.valid_from, v.valid_to) if t is not None})
    return OrgHistory(versions, tuple(changes))


def load_tree(engine: Engine, at: dt.datetime | None = None) -> OrgTree:
    """The organisation now (``at`` None), or as it was at ``at`` (naive UTC, or aware and converted).

    An empty tree when nothing has been imported: every name is then the code itself.
    """
    o = org_units.c
    stmt = sa.select(o.unit, o.parent, o.level, o.names)
    if at is None:
        stmt = stmt.where(o.valid_to.is_(None))
    else:
        if at.tzinfo is not None:
            at = at.astimezone(dt.UTC).replace(tzinfo=None)
        stmt = stmt.where(
            sa.or_(o.valid_from.is_(None), o.valid_from <= at), sa.or_(o.valid_to.is_(None), o.valid_to > at)
        )
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    return OrgTree(Unit(r.unit, r.parent, r.level, dict(r.names or {})) for r in rows)


class ScopedUser(Protocol):
    """What scoping needs of a user: :class:`surveykit.accounts.User` and :class:`webform.auth.User` have it."""

    @property
    def id(self) -> int: ...

    @property
    def role(self) -> str: ...


def user_unit_ids(engine: Engine, user_id: int) -> list[str]:
    """The units a user was given (``create-user --unit``), as stored, sorted."""
    uu = user_units.c
    with engine.connect() as conn:
        return sorted(conn.execute(sa.select(uu.unit).where(uu.user_id == user_id)).scalars())


def scope_units(engine: Engine, user: ScopedUser, tree: OrgTree | None = None) -> set[str] | None:
    """The units ``user`` may see: None (everything) for every role but ``manager``; for a manager,
    the units they were given and everything below them in the current tree (or ``tree``).

    A manager whose units are all gone from the tree sees nothing (an empty set), never everything.
    """
    if user.role in UNSCOPED_ROLES:
        return None
    tree = tree if tree is not None else load_tree(engine)
    seen: set[str] = set()
    for unit_id in user_unit_ids(engine, user.id):
        seen |= tree.subtree(unit_id)
    return seen


def expand_units(engine: Engine, units: Iterable[str], tree: OrgTree | None = None) -> frozenset[str]:
    """``units`` and everything below them in the current tree (or ``tree``).

    A code the tree does not know stays as it is, so a scope written before the organisation
    was imported (an API token's dealer codes) means what it meant then.
    """
    units = list(units)
    if not units:
        return frozenset()
    if tree is None:
        tree = load_tree(engine) if sa.inspect(engine).has_table(org_units.name) else OrgTree([])
    found: set[str] = set()
    for unit in units:
        found |= tree.subtree(unit) or {unit}
    return frozenset(found)


def codes_in_scope(engine: Engine, user: ScopedUser, field: str, tree: OrgTree | None = None) -> set[str] | None:
    """The values of the response field ``field`` (``dealer``, ``branch``) that ``user`` may see, or None for all.

    For a manager: the codes of the units in :func:`scope_units`; a field value is one of those
    codes (unit ids are the codes the responses carry), so a query filters ``field IN codes``.
    ``field`` is one of :data:`UNIT_FIELDS`; any other field is not a unit field and is refused.
    """
    if field not in UNIT_FIELDS:
        raise ValueError(f"{field!r} is not a unit field ({', '.join(UNIT_FIELDS)})")
    return scope_units(engine, user, tree)


def rows_in_units(df: pd.DataFrame, units: Collection[str] | None) -> pd.DataFrame:
    """The rows of a responses table whose dealer or branch (:data:`UNIT_FIELDS`) is one of ``units``; every row for None."""
    if units is None:
        return df
    keep = pd.Series(False, index=df.index)
    for name in UNIT_FIELDS:
        if name in df.columns:
            keep |= df[name].isin(list(units))
    return df.loc[keep].reset_index(drop=True)


def unknown_codes(engine: Engine, survey: str | None = None, tree: OrgTree | None = None) -> dict[str, dict[str, int]]:
    """The unit-field values of the stored responses that the current tree does not know, with their counts.

    ``{field: {code: responses}}``, for the fields of :data:`UNIT_FIELDS`; only ``survey``'s
    responses when given.  Empty when nothing has been imported is not an error: then every code
    is unknown and listed.
    """
    tree = tree if tree is not None else load_tree(engine)
    r = responses.c
    found: dict[str, dict[str, int]] = {}
    with engine.connect() as conn:
        for name in UNIT_FIELDS:
            value = r.fields[name].as_string()
            stmt = sa.select(value.label("code"), sa.func.count()).where(value.is_not(None)).group_by(value)
            if survey is not None:
                stmt = stmt.where(r.survey == survey)
            for code, count in conn.execute(stmt):
                if code and code not in tree:
                    found.setdefault(name, {})[code] = int(count)
    return found
