"""The ``model:`` section: a satisfaction-index path model read, resolved and checked.

A construct is measured by the rating items of a dimension (``dimension: quality``) or by
items named one by one (``items: [sat_overall, sat_ideal]``, a single item too); ``paths``
maps each construct to the constructs with a path into it. The checks are those the
estimator (:func:`analysis.pls.fit`, through ``analysis.pls.spec.specify``) would make,
mirrored here because the core does not import the analysis: each is reported where it is
written, as ``file:line:col``, with a did-you-mean, so that a model that loads also fits
(data permitting).

Indicators are numeric rating variables with a scale: likert questions, matrix rows, NPS
and the perception or performance half of a paired block. A dimension gives its items
outside the passive roles (expectation, importance, Kano halves), as the reliability
analysis does. Reverse-keyed items stay reverse-keyed here; the analysis recodes them
(min + max - x) before fitting.
"""

from __future__ import annotations

import difflib
from typing import Any

from surveykit.model import Construct, Dimension, PathModel, Variable
from surveykit.reader import BAD, Obj, Reader

PASSIVE_ROLES = frozenset({"expectation", "importance", "functional", "dysfunctional", "self_importance"})
MAX_BOOTSTRAP = 100_000


def indicator_variables(variables: tuple[Variable, ...]) -> dict[str, Variable]:
    """name -> variable for every answer that can measure a construct: numeric, with known min and max."""
    return {
        v.name: v
        for v in variables
        if v.type not in ("metadata", "field", "multi", "constant_sum")
        and v.kind == "numeric"
        and v.min is not None
        and v.max is not None
        and v.level in ("ordinal", "scale")
    }


def build_model(
    reader: Reader, obj: Obj | None, variables: tuple[Variable, ...], dimensions: dict[str, Dimension]
) -> PathModel | None:
    """The checked :class:`~surveykit.model.PathModel`, or ``None`` (every problem reported through ``reader``)."""
    if obj is None:
        return None
    before = len(reader.problems)
    rating = indicator_variables(variables)
    constructs = _constructs(reader, obj, rating, dimensions)
    paths = _paths(reader, obj, constructs)
    names = list(constructs)
    if len(reader.problems) == before and paths:
        cycle = _cycle(names, paths)
        if cycle:
            reader.problem(
                obj.at("paths"),
                obj.sub("paths"),
                f"the paths form a cycle {' -> '.join(cycle)}; a path model must be recursive",
            )
        linked = {end for path in paths for end in path}
        for name in names:
            if name not in linked:
                reader.problem(obj.at("constructs"), obj.sub("constructs"), f"construct {name!r} is on no path")
    target = obj.get("target")
    if target is not None and constructs:
        if target not in constructs:
            reader.problem(
                obj.at("target"), obj.sub("target"), f"target {target!r} is no construct{_hint(target, names)}"
            )
        elif paths and not any(to == target for _, to in paths):
            reader.problem(
                obj.at("target"),
                obj.sub("target"),
                f"target {target!r} has no path into it; the importance-performance map needs an endogenous construct",
            )
    n_boot = obj.get("bootstrap", 1000)
    if isinstance(n_boot, int) and not 0 <= n_boot <= MAX_BOOTSTRAP:
        reader.problem(obj.at("bootstrap"), obj.sub("bootstrap"), f"bootstrap is 0 to {MAX_BOOTSTRAP}, got {n_boot}")
    seed = obj.get("seed", 1)
    if isinstance(seed, int) and seed < 0:
        reader.problem(obj.at("seed"), obj.sub("seed"), f"seed must be 0 or more, got {seed}")
    if len(reader.problems) > before:
        return None
    return PathModel(tuple(constructs.values()), tuple(paths), obj.get("scheme", "path"), n_boot, seed, target)


def _constructs(
    reader: Reader, obj: Obj, rating: dict[str, Variable], dimensions: dict[str, Dimension]
) -> dict[str, Construct]:
    out: dict[str, Construct] = {}
    owner: dict[str, str] = {}
    entries = obj.get("constructs", []) or []
    for cid, cobj, key_node in entries:
        if cid is BAD or cobj is BAD or cobj is None:
            continue
        path = obj.sub(f"constructs.{cid}")
        did, listed = cobj.get("dimension"), cobj.get("items")
        if (did is None) == ("items" not in cobj.nodes):
            reader.problem(key_node, path, "give exactly one of dimension: or items: (the construct's indicators)")
            continue
        items: list[str] = []
        if did is not None:
            if did not in dimensions:
                reader.problem(
                    cobj.at("dimension"),
                    cobj.sub("dimension"),
                    f"dimension {did!r} is not defined{_hint(did, list(dimensions))}",
                )
                continue
            items = [v.name for v in rating.values() if v.dimension == did and v.role not in PASSIVE_ROLES]
            if not items:
                reader.problem(
                    cobj.at("dimension"),
                    cobj.sub("dimension"),
                    f"construct {cid!r} has no indicators: dimension {did!r} has no rating item",
                )
                continue
        else:
            for item, node in listed or []:
                if item is BAD:
                    continue
                if item not in rating:
                    reader.problem(node, cobj.sub("items"), f"{item!r} is no rating item{_hint(item, list(rating))}")
                    continue
                items.append(item)
            if not listed and listed is not BAD:
                reader.problem(cobj.at("items"), cobj.sub("items"), f"construct {cid!r} has no indicators")
                continue
        for item in items:
            if item in owner:
                reader.problem(
                    key_node,
                    path,
                    f"item {item!r} is already an indicator of {owner[item]!r}; an item measures one construct",
                )
            owner.setdefault(item, cid)
        out[cid] = Construct(cid, tuple(items), cobj.get("mode", "A"), cobj.get("label"), did)
    if entries and len(entries) < 2:
        reader.problem(obj.at("constructs"), obj.sub("constructs"), "a path model needs at least two constructs")
    return out


def _paths(reader: Reader, obj: Obj, constructs: dict[str, Construct]) -> list[tuple[str, str]]:
    """(from, to) pairs from ``to: [from, ...]``, each end a construct, none twice or onto itself."""
    names = list(constructs)
    out: list[tuple[str, str]] = []
    declared = {cid for cid, _, _ in obj.get("constructs", []) or [] if cid is not BAD}
    entries = obj.get("paths", []) or []
    for target, sources, key_node in entries:
        if target is BAD or sources is BAD:
            continue
        path = obj.sub(f"paths.{target}")
        if target not in declared:
            reader.problem(key_node, path, f"path to unknown construct {target!r}{_hint(target, sorted(declared))}")
            continue
        if not sources:
            reader.problem(key_node, path, f"construct {target!r} lists no construct with a path into it")
        for source, node in sources or []:
            if source is BAD:
                continue
            if source not in declared:
                reader.problem(node, path, f"path from unknown construct {source!r}{_hint(source, sorted(declared))}")
            elif source == target:
                reader.problem(node, path, f"construct {target!r} has a path onto itself")
            elif (source, target) in out:
                reader.problem(node, path, f"the path {source} -> {target} is listed twice")
            elif source in constructs and target in constructs:
                out.append((source, target))
    if "paths" in obj.nodes and obj.values.get("paths") is not BAD and not entries:
        reader.problem(obj.at("paths"), obj.sub("paths"), "a path model needs at least one path")
    return out if names else []


def _cycle(names: list[str], paths: list[tuple[str, str]]) -> list[str] | None:
    """One directed cycle as names (the first repeated at the end), or None: depth-first search."""
    successors: dict[str, list[str]] = {name: [] for name in names}
    for source, target in paths:
        successors[source].append(target)
    state = dict.fromkeys(names, 0)  # 0 new, 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in successors[node]:
            if state[nxt] == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if state[nxt] == 0 and (found := visit(nxt)) is not None:
                return found
        stack.pop()
        state[node] = 2
        return None

    for name in names:
        if state[name] == 0 and (found := visit(name)) is not None:
            return found
    return None


def _hint(name: str, known: list[Any]) -> str:
    close = difflib.get_close_matches(name, [str(k) for k in known], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""
