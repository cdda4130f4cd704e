"""The ``weighting:`` section of a questionnaire, and the same margins as a file of their own.

A questionnaire may declare the population its responses are weighted to::

    weighting:
      method: raking                  # or poststratification (one margin)
      population_total: 12000         # N; needed only when every margin gives shares
      trim: {upper: 5, lower: 0.2}    # optional bounds, as R survey's trimWeights
      margins:
        - fields: [dealer]
          counts: {dealer_1: 2600, dealer_2: 3400}
        - fields: [department, visit_type]      # crossed cells
          cells:
            - {values: [mechanical, repair], share: 0.4}
            - ...

``surveykit analyze|report|export --weights margins.yaml`` reads a file with the same keys (its top
level is what ``weighting:`` holds) through the same reader, so every problem in either place is
reported as ``file:line:column: key.path: message`` with a did-you-mean. The checks here need the
questionnaire: a margin's fields must be segment fields or single-choice questions, a cell's values
among the field's declared values when it declares them, shares must sum to 1, no cell twice, count
margins must agree on the population total. The weights themselves are computed by
``analysis.weighted`` with :mod:`analysis.weighting`.
"""

from __future__ import annotations

import difflib
import math
import os
from typing import Any

from surveykit.errors import Problem, QuestionnaireError
from surveykit.model import METADATA_COLUMNS, Questionnaire, Variable, Weighting, WeightingDesign, WeightingMargin
from surveykit.reader import BAD, Obj, Reader
from surveykit.source import read_source
from surveykit.terms import TERMS

__all__ = [
    "WEIGHT_COLUMN",
    "build_weighting",
    "design_columns",
    "load_weights",
    "weight_variable",
    "weighting_targets",
]

WEIGHT_COLUMN = "weight"
GROUP_METADATA = ("survey", "version", "wave", "language")  # metadata that can name a PSU or stratum

MAX_BYTES = 256 * 1024
SHARE_SUM_TOL = 1e-6  # as analysis.weighting.margins: shares must sum to 1 within this
TOTAL_REL_TOL = 1e-9  # count margins must agree on N within this relative difference


def weight_variable() -> Variable:
    """The codebook entry of the ``weight`` column that weighted analyses and exports add.

    Its label is the vocabulary's word for a weight (:data:`surveykit.terms.TERMS`), in every language.
    """
    return Variable(WEIGHT_COLUMN, TERMS["weight"], "numeric", "scale", "weight")


def weighting_targets(q_fields: Any, questions: Any) -> dict[str, tuple[str, ...] | None]:
    """What a margin may weight on: segment fields and single-choice questions, with their declared
    values (``None`` for a field that declares none, whose values are then taken as they come)."""
    targets: dict[str, tuple[str, ...] | None] = {}
    for f in q_fields:
        targets[f.id] = tuple(code for code, _ in f.values) or None
    for question in questions:
        if question.type == "choice":
            targets[question.id] = tuple(o.code for o in question.options)
    return targets


def design_columns(q_fields: Any, questions: Any) -> dict[str, str]:
    """What ``weighting.design`` may name, each as ``"group"`` or ``"number"``.

    Groups (for ``ids`` and ``strata``) are segment fields, single-choice questions and the
    metadata columns (a wave, say); numbers (for ``weights`` and ``fpc``) are segment fields,
    which carry what the invitation link gives, and number questions.
    """
    columns = {name: "group" for name in METADATA_COLUMNS if name in GROUP_METADATA}
    for f in q_fields:
        columns[f.id] = "both"
    for question in questions:
        if question.type == "choice":
            columns[question.id] = "group"
        elif question.type == "number":
            columns[question.id] = "number"
    return columns


def build_weighting(
    reader: Reader,
    obj: Obj | None,
    targets: dict[str, tuple[str, ...] | None],
    columns: dict[str, str],
) -> Weighting | None:
    """The :class:`~surveykit.model.Weighting` of a read ``weighting`` object; problems go to ``reader``.

    ``targets`` is what a margin may weight on (:func:`weighting_targets`), ``columns`` what
    ``design:`` may name (:func:`design_columns`).
    """
    if obj is None or obj is BAD:
        return None
    margins: list[WeightingMargin] = []
    totals: list[tuple[float, Any, str]] = []  # (sum of counts, node, path) of each count margin
    names: set[str] = set()
    for index, (m, node) in enumerate(obj.get("margins", []) or []):
        if m in (BAD, None):
            continue
        built = _margin(reader, m, targets)
        if built is None:
            continue
        if built.name in names:
            reader.problem(node, m.path, f"two margins are called {built.name!r}; give them distinct names")
            continue
        names.add(built.name)
        margins.append(built)
        if not built.shares:
            totals.append((sum(v for _, v in built.cells), node, f"{obj.sub('margins')}[{index}]"))
    if "margins" in obj.nodes and obj.get("margins") is not None and not obj.get("margins"):
        reader.problem(obj.at("margins"), obj.sub("margins"), "give at least one margin")
    method = obj.get("method", "raking")
    if method == "poststratification" and len(margins) > 1:
        reader.problem(
            obj.at("margins"),
            obj.sub("margins"),
            f"poststratification uses one margin (cross the fields in it), got {len(margins)}; or use raking",
        )
    total = obj.get("population_total")
    if total is not None and not (isinstance(total, (int, float)) and math.isfinite(total) and total > 0):
        reader.problem(obj.at("population_total"), obj.sub("population_total"), "the population total must be > 0")
        total = None
    reference = (float(total), obj.at("population_total"), "population_total") if total is not None else None
    for s, node, path in totals:
        if reference is None:
            reference = (s, node, path)
        elif abs(s - reference[0]) > TOTAL_REL_TOL * max(abs(reference[0]), 1.0):
            reader.problem(
                node,
                path,
                f"the counts sum to {s:g} but {reference[2]} to {reference[0]:g}; every margin describes the same "
                "population (give shares to weight to proportions only)",
            )
    trim = obj.get("trim")
    upper = lower = None
    strict = False
    if trim is not None:
        upper, lower, strict = trim.get("upper"), trim.get("lower"), bool(trim.get("strict", False))
        if upper is None and lower is None:
            reader.problem(obj.at("trim"), obj.sub("trim"), "give upper:, lower: or both")
        for key, value in (("upper", upper), ("lower", lower)):
            if value is not None and value < 0:
                reader.problem(trim.at(key), trim.sub(key), f"a weight bound is >= 0, got {value:g}")
        if upper is not None and lower is not None and lower >= upper:
            reader.problem(trim.at("lower"), trim.sub("lower"), f"lower ({lower:g}) must be below upper ({upper:g})")
    tolerance = obj.get("tolerance", 1e-10)
    if not 0 < tolerance < 1:
        reader.problem(
            obj.at("tolerance"), obj.sub("tolerance"), f"the tolerance is between 0 and 1, got {tolerance:g}"
        )
    iterations = obj.get("max_iterations", 1000)
    if iterations < 1:
        reader.problem(obj.at("max_iterations"), obj.sub("max_iterations"), "max_iterations must be at least 1")
    return Weighting(
        method=method,
        margins=tuple(margins),
        population_total=float(total) if total is not None else None,
        trim_upper=float(upper) if upper is not None else None,
        trim_lower=float(lower) if lower is not None else None,
        trim_strict=strict,
        tolerance=float(tolerance),
        max_iterations=int(iterations),
        source=reader.name,
        design=_design(reader, obj.get("design"), columns),
    )


def _design(reader: Reader, obj: Obj | None, columns: dict[str, str]) -> WeightingDesign:
    """``weighting.design``: each setting names a column of the right kind; ``fpc`` needs ``ids``.

    A cluster design is R's ``svydesign(ids = ~dealer, fpc = ~n_dealers)``: the fpc counts PSUs,
    so without ids it has nothing to count here (a sample of single responses is described by
    the margins' population total instead).
    """
    if obj is None or obj is BAD:
        return WeightingDesign()
    kinds = {"ids": "group", "strata": "group", "weights": "number", "fpc": "number"}
    settings: dict[str, str | None] = {}
    for key, kind in kinds.items():
        name = obj.get(key)
        settings[key] = None
        if name is None or name is BAD:
            continue
        allowed = [c for c, k in columns.items() if k in (kind, "both")]
        if name not in allowed:
            close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            what = (
                "segment field, choice question or metadata column"
                if kind == "group"
                else "segment field or number question"
            )
            if name in columns:
                message = f"{name!r} is not a {what}{hint}"
            else:
                message = f"{name!r} is no {what}{hint} (possible: {', '.join(map(repr, allowed)) or 'none'})"
            reader.problem(obj.at(key), obj.sub(key), message)
            continue
        settings[key] = name
    if obj.get("fpc") not in (None, BAD) and obj.get("ids") in (None, BAD):
        reader.problem(
            obj.at("fpc"),
            obj.sub("fpc"),
            "fpc: counts the sampled units (PSUs) of the population; name them with ids: (e.g. ids: dealer)",
        )
    if settings["ids"] is not None and settings["ids"] == settings["strata"]:
        reader.problem(obj.at("strata"), obj.sub("strata"), f"ids: and strata: both name {settings['ids']!r}")
    return WeightingDesign(**settings)


def _margin(reader: Reader, m: Obj, targets: dict[str, tuple[str, ...] | None]) -> WeightingMargin | None:
    fields = [(f, node) for f, node in m.get("fields", []) or [] if f is not BAD]
    ok = bool(fields)
    if not fields and "fields" in m.nodes:
        reader.problem(m.at("fields"), m.sub("fields"), "give at least one field")
    for f, node in fields:
        if f not in targets:
            close = difflib.get_close_matches(f, list(targets), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(map(repr, targets)) or "none is declared"
            reader.problem(
                node, m.sub("fields"), f"{f!r} is no segment field or choice question{hint} (weightable: {known})"
            )
            ok = False
    names = [f for f, _ in fields]
    if len(set(names)) != len(names):
        reader.problem(m.at("fields"), m.sub("fields"), "a field is named twice")
        ok = False
    given = [key for key in ("counts", "shares", "cells") if key in m.nodes]
    if len(given) != 1:
        reader.problem(m.node, m.path, "give exactly one of counts:, shares: or cells:")
        return None
    key = given[0]
    cells: list[tuple[tuple[str, ...], float, Any, str]] = []  # values, target, node, path
    if key in ("counts", "shares"):
        if len(names) > 1:
            reader.problem(m.at(key), m.sub(key), f"{key}: maps the values of one field; cross fields with cells:")
            return None
        for code, value, node in m.get(key, []) or []:
            if code is not BAD and value is not BAD:
                cells.append(((code,), value, node, f"{m.sub(key)}.{code}"))
        shares = key == "shares"
    else:
        kinds = set()
        for cell, node in m.get("cells", []) or []:
            if cell in (BAD, None):
                continue
            given_cell = [k for k in ("count", "share") if k in cell.nodes]
            if len(given_cell) != 1:
                reader.problem(cell.node, cell.path, "give exactly one of count: or share:")
                continue
            kinds.add(given_cell[0])
            values = [v for v, _ in cell.get("values", []) or []]
            if BAD in values or cell.get(given_cell[0]) is None:
                continue
            if len(values) != len(names):
                reader.problem(cell.at("values"), cell.sub("values"), f"give one value for each of the fields {names}")
                continue
            cells.append((tuple(values), cell.get(given_cell[0]), node, cell.path))
        if len(kinds) > 1:
            reader.problem(m.at("cells"), m.sub("cells"), "give every cell a count: or every cell a share:, not both")
            return None
        shares = kinds == {"share"}
    if not cells:
        if m.get(key) == []:  # an empty list or mapping; cells that failed to read are reported already
            reader.problem(m.at(key), m.sub(key), "a margin needs at least one cell")
        return None
    seen: set[tuple[str, ...]] = set()
    for cell_values, target, node, path in cells:
        if cell_values in seen:
            reader.problem(node, path, f"the cell {' × '.join(cell_values)} is given twice")
            ok = False
        seen.add(cell_values)
        if not math.isfinite(target) or target < 0:
            reader.problem(node, path, f"a population {'share' if shares else 'count'} is >= 0, got {target!r}")
            ok = False
        for (f, _), value in zip(fields, cell_values, strict=False):
            declared = targets.get(f)
            if declared is not None and value not in declared:
                close = difflib.get_close_matches(value, declared, n=1, cutoff=0.6)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                reader.problem(
                    node, path, f"{value!r} is not a value of {f!r}{hint} (values: {', '.join(map(repr, declared))})"
                )
                ok = False
    if shares:
        total = sum(t for _, t, _, _ in cells)
        if abs(total - 1) > SHARE_SUM_TOL:
            reader.problem(m.at(key), m.sub(key), f"the shares sum to {total:.10g}, not 1")
            ok = False
    if not ok:
        return None
    name = m.get("name") or "_x_".join(names)
    return WeightingMargin(name, tuple(names), tuple((v, float(t)) for v, t, _, _ in cells), shares)


def load_weights(source: str | os.PathLike[str], q: Questionnaire) -> Weighting:
    """Read a margins file (the keys of ``weighting:`` at its top level) for questionnaire ``q``.

    Read as a questionnaire is: UTF-8, no tags, no aliases that explode, no duplicate keys;
    every problem is reported at once by a :class:`~surveykit.errors.QuestionnaireError` as
    ``file:line:column: key.path: message``.
    """
    read = read_source(source, max_bytes=MAX_BYTES, as_file=True)
    name, text, root = read.name, read.text, read.root
    reader = Reader(name, text)
    reader.languages = q.languages
    if root is None:
        raise QuestionnaireError([Problem(name, 1, 1, "", "the file is empty; it needs margins:")])
    obj = reader.read(root, "weighting", "weighting")
    weighting = build_weighting(
        reader, obj, weighting_targets(q.fields, q.questions()), design_columns(q.fields, q.questions())
    )
    if reader.problems or weighting is None:
        raise QuestionnaireError(reader.problems or [Problem(name, 1, 1, "", "no weighting read")])
    return weighting
