"""The aggregates rolled up the organisation: one row per unit of the tree, not per dealer code.

A response counts for its unit (:meth:`surveykit.org.OrgTree.unit_of`: its branch, else its dealer)
and every unit above it, by :data:`surveykit.org.DEFAULT_ATTRIBUTION`: ``current`` (the tree as it
is now: a region is the sum of the dealers listed under it, its trend like for like across a
reorganisation) or ``response_time`` (the tree at the start of the response's UTC day).  These rows (``unit_field = "org"``) make a region a single key of the aggregate table: the whole
network's page reads ten regions' days instead of a thousand dealers'.

They are written with the others in each submit's transaction (:func:`org_rows`) and subtracted by
erasure.  An import that changes the organisation changes the attribution of earlier responses
(under ``current`` every move does; under ``response_time`` a new unit is valid since always), so the
rows are trusted only while the organisation is the one they were last rebuilt for: :func:`ready` compares the marker row :func:`surveykit.aggregates.rebuild_org` writes with
the current version (:func:`org_version`); the dashboard reads by dealer codes until then and
starts the rebuild in the background.
"""

from __future__ import annotations

import bisect
import datetime as dt
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from surveykit.database import org_units, response_aggregates
from surveykit.org import DEFAULT_ATTRIBUTION

__all__ = ["MARKER", "ORG", "RECHECK_S", "OrgChains", "chains", "forget", "org_version", "ready"]

ORG = "org"  # the unit_field of these rows
RECHECK_S = 1.0  # how often a process checks whether the organisation changed
MARKER = "_org_version"  # the variable of the marker row (unit = the version it was built for)


def org_version(conn: Connection) -> str:
    """Changes whenever an import adds, moves, renames or closes a unit (rows, newest id, closed rows)."""
    o = org_units.c
    count, newest, closed = conn.execute(sa.select(sa.func.count(), sa.func.max(o.id), sa.func.count(o.valid_to))).one()
    return f"{int(count)}:{newest or 0}:{int(closed)}"


@dataclass
class OrgChains:
    """The unit chain (root first) of a response's fields at a time, one tree per stretch of the history."""

    version: str
    history: Any  # surveykit.org.OrgHistory
    checked: float = 0.0  # time.monotonic() of the last version check
    trees: dict[int, Any] = field(default_factory=dict)

    def chain(self, fields: Mapping[str, Any], at: dt.datetime) -> list[str]:
        """The chain of ``fields`` under the attribution: in the current tree, or in the tree at ``at``."""
        if not self.history.versions:
            return []
        current = DEFAULT_ATTRIBUTION == "current"
        stretch = -1 if current else bisect.bisect_right(self.history.changes, at)
        tree = self.trees.get(stretch)
        if tree is None:
            tree = self.trees[stretch] = self.history.at(None if current else at)
        unit = tree.unit_of(fields)
        return [] if unit is None else [*tree.ancestors(unit), unit]


_cache: weakref.WeakKeyDictionary[Engine, OrgChains] = weakref.WeakKeyDictionary()


def chains(conn: Connection) -> OrgChains:
    """The organisation's chains for this engine, reloaded when :func:`org_version` moved.

    The version is checked at most every :data:`RECHECK_S` seconds (the check scans the
    organisation, most of a submit's extra cost otherwise).  A submit in the second after an import
    may so use the tree before it; that import has made the rows' marker stale anyway, and the
    rebuild it calls for (which reloads first) rewrites them.
    """
    from surveykit.org import OrgHistory, _versions

    now = time.monotonic()
    found = _cache.get(conn.engine)
    if found is not None and now - found.checked < RECHECK_S:
        return found
    version = f"{DEFAULT_ATTRIBUTION}:{org_version(conn)}"
    if found is None or found.version != version:
        versions = _versions(conn)
        changes = sorted({t for v in versions for t in (v.valid_from, v.valid_to) if t is not None})
        found = _cache[conn.engine] = OrgChains(version, OrgHistory(versions, tuple(changes)))
    found.checked = now
    return found


def ready(conn: Connection, survey: str) -> bool:
    """True when the survey's org rows were rebuilt for the organisation as it is now."""
    a = response_aggregates.c
    marker = conn.execute(
        sa.select(a.unit).where(a.survey == survey, a.unit_field == ORG, a.variable == MARKER)
    ).scalar()
    return marker is not None and marker == f"{DEFAULT_ATTRIBUTION}:{org_version(conn)}"


def forget(engine: Engine) -> None:
    """Drop the cached organisation of ``engine``, so the next :func:`chains` reads it as it is now."""
    _cache.pop(engine, None)
