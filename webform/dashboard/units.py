"""Which units a dashboard page shows: the selected unit, its children, its breadcrumbs, within the user's scope.

Built on :mod:`surveykit.org` (engineer 13a): the current tree (:func:`surveykit.org.load_tree`)
and the user's scope (:func:`surveykit.org.scope_units`).  The figures of a unit are those of every
response whose unit-field code is in its subtree, so a region is the sum of its dealers; the
dashboard counts by the current tree (``attribution="current"`` of :mod:`surveykit.org`).

* Without an imported organisation the units are the dealer codes found in the period, flat.
* The top of an unscoped user (admin, analyst) is the whole programme, every response, also
  those whose code the tree does not know.  A manager's top is their unit, or "my units" when
  they were given several.
* A unit outside the user's scope, or unknown, is a 404: its existence does not leak.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from surveykit import aggregates_org, org
from webform.errors import fail

__all__ = ["Selection", "select_unit"]


@dataclass(frozen=True, slots=True)
class Selection:
    """A selected unit: ``codes`` None means every response (the whole programme)."""

    unit: str  # "" for the top
    name: str
    codes: frozenset[str] | None
    children: list[tuple[str, str, frozenset[str]]] = field(default_factory=list)  # (id, name, codes)
    crumbs: list[tuple[str, str]] = field(default_factory=list)  # (id, name) from the top, self excluded
    flat: bool = False  # no organisation imported: children are the codes met


def select_unit(
    engine: Engine, user: org.ScopedUser, unit: str, lang: str, top_name: str, codes_met: Callable[[], list[str]]
) -> Selection:
    """The selection for ``unit`` ("" for the user's top) as ``user`` may see it; 404 out of scope.

    ``codes_met`` lists the dealer codes with responses in the period (asked only without an
    organisation, for the flat list).
    """
    tree = current_tree(engine)
    allowed = org.scope_units(engine, user, tree)
    if allowed is not None:
        mine = [u for u in org.user_unit_ids(engine, user.id) if u in allowed]
        if not unit and len(mine) == 1:
            unit = mine[0]
        if unit and unit not in allowed:
            fail(404)
        top = [u for u in mine if not any(a in allowed for a in tree.ancestors(u))]
        if not unit:
            codes = frozenset(allowed)
            return Selection("", top_name, codes, _children(tree, top, lang), [])
        crumbs_from = [a for a in tree.ancestors(unit) if a in allowed]
        crumbs = ([("", top_name)] if len(top) > 1 else []) + [(a, tree.name(a, lang)) for a in crumbs_from]
        return _unit(tree, unit, lang, crumbs)
    if len(tree) == 0:
        met = codes_met()
        if not unit:
            return Selection("", top_name, None, [(c, c, frozenset({c})) for c in met], [], flat=True)
        if unit not in met:
            fail(404)
        return Selection(unit, unit, frozenset({unit}), [], [("", top_name)], flat=True)
    if not unit:
        return Selection("", top_name, None, _children(tree, tree.roots(), lang), [])
    if unit not in tree:
        fail(404)
    return _unit(tree, unit, lang, [("", top_name)] + [(a, tree.name(a, lang)) for a in tree.ancestors(unit)])


_trees: weakref.WeakKeyDictionary[Engine, tuple[str, org.OrgTree]] = weakref.WeakKeyDictionary()
_trees_lock = threading.Lock()


def current_tree(engine: Engine) -> org.OrgTree:
    """:func:`surveykit.org.load_tree` now, kept per process while the organisation's version stays.

    A page used to read and decode the thousand units of a national network on every click; the
    version (:func:`surveykit.aggregates_org.org_version`: rows, newest id, closed rows) is one
    small aggregate query, and any import changes it.  The pages only navigate the tree (names,
    children, subtrees), never :meth:`~surveykit.org.OrgTree.unit_of`, whose record of unknown
    codes would otherwise be shared.
    """
    with engine.connect() as conn:
        version = aggregates_org.org_version(conn)
    with _trees_lock:
        found = _trees.get(engine)
    if found is not None and found[0] == version:
        return found[1]
    tree = org.load_tree(engine)
    with _trees_lock:
        _trees[engine] = (version, tree)
    return tree


def _children(tree: org.OrgTree, ids: list[str], lang: str) -> list[tuple[str, str, frozenset[str]]]:
    return [(u, tree.name(u, lang), frozenset(tree.subtree(u))) for u in ids]


def _unit(tree: org.OrgTree, unit: str, lang: str, crumbs: list[tuple[str, str]]) -> Selection:
    return Selection(
        unit, tree.name(unit, lang), frozenset(tree.subtree(unit)), _children(tree, tree.children(unit), lang), crumbs
    )
