"""The organisation file (``surveykit org import | export``): a CSV of units, checked whole, stored as a new version.

Columns ``id, parent, level, name_zh, name_en`` (any order; UTF-8 with or without a BOM), one
row per unit; ``parent`` is empty for a top unit.  The file is the whole tree: a unit that was
imported before and is missing now is closed.  :func:`read_org_file` reports every problem at
once, each as ``file:line: message`` (the line the row starts on, the header being line 1):
a missing or unknown column, a bad or duplicate id, an unknown parent, a cycle, a bad level
(not a lower-case id, the same as its parent's, or levels that nest both ways: a region under a
dealer here and a dealer under a region there).  :func:`apply_org` then writes the changes in
one transaction, so a file with a problem changes nothing and an import that fails half-way
leaves the previous tree as it was.

Versions: an import compares each unit with its current version; a changed parent, level or
name ends the current row at ``effective`` and starts a new one there (the history
:mod:`surveykit.org` rebuilds).  A unit's first version is valid since always (``valid_from``
NULL), so the responses collected before the first import are attributed too.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from surveykit.cells import FORMULA_START, escape_formula
from surveykit.database import check_text, org_units, utcnow, write_transaction
from surveykit.errors import SurveykitError
from surveykit.org import OrgTree, Unit, load_tree

__all__ = ["COLUMNS", "MAX_BYTES", "ImportSummary", "OrgFileError", "apply_org", "org_csv", "read_org_file"]

COLUMNS = ("id", "parent", "level", "name_zh", "name_en")
LANGUAGES = ("zh", "en")
MAX_BYTES = 20 * 1024 * 1024  # some 200,000 units
MAX_NAME = 200
# A unit id is the code the responses carry: letters, digits, then also _ . - (no spaces).
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}")
_LEVEL = re.compile(r"[a-z][a-z0-9_]{0,62}")
_UNESCAPE = re.compile("^'(?=" + FORMULA_START[1:] + ")")


class OrgFileError(SurveykitError, ValueError):
    """An organisation file that cannot be imported; ``problems`` lists every one, as ``file:line: message``."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import changed: unit ids added, changed (moved, renamed, new level), closed; and unchanged."""

    added: tuple[str, ...]
    changed: tuple[str, ...]
    closed: tuple[str, ...]
    unchanged: int

    def __str__(self) -> str:
        return (
            f"{len(self.added)} unit(s) added, {len(self.changed)} changed, "
            f"{len(self.closed)} closed, {self.unchanged} unchanged"
        )


def _decode(data: bytes, name: str) -> str:
    body = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise OrgFileError([f"{name}:{line}: the file is not valid UTF-8; save it as UTF-8"]) from None


def read_org_file(path: str, *, data: bytes | None = None) -> list[Unit]:
    """The units of an organisation file, checked as a whole (see the module docstring).

    ``data`` is the file's content when it is not to be read from ``path`` (``path`` then only
    names it in messages).

    Raises
    ------
    OrgFileError
        With every problem found, each ``path:line: message``.
    """
    if data is None:
        try:
            with open(path, "rb") as fh:
                data = fh.read(MAX_BYTES + 1)
        except OSError as exc:
            raise OrgFileError([f"{path}:1: cannot read the file: {exc.strerror or exc}"]) from None
    if len(data) > MAX_BYTES:
        raise OrgFileError([f"{path}:1: the file has more than {MAX_BYTES:,} bytes"])
    text = _decode(data, path)
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[str] = []
    try:
        header = [c.strip() for c in next(reader)]
    except StopIteration:
        raise OrgFileError([f"{path}:1: the file is empty; it needs the header {','.join(COLUMNS)}"]) from None
    except csv.Error as exc:
        raise OrgFileError([f"{path}:1: {exc}"]) from None
    for column in header:
        if column not in COLUMNS:
            hint = difflib.get_close_matches(column, COLUMNS, 1)
            problems.append(f"{path}:1: unknown column {column!r}" + (f" (did you mean {hint[0]!r}?)" if hint else ""))
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        problems.append(f"{path}:1: missing column(s) {', '.join(missing)}; the header is {','.join(COLUMNS)}")
    dupes = {c for c in header if header.count(c) > 1}
    if dupes:
        problems.append(f"{path}:1: column(s) {', '.join(sorted(dupes))} given twice")
    if problems:
        raise OrgFileError(problems)
    index = {c: header.index(c) for c in COLUMNS}
    units: list[Unit] = []
    lines: dict[str, int] = {}
    line = reader.line_num
    try:
        for row in reader:
            line_of_row, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            unit = _row(path, line_of_row, row, header, index, problems)
            if unit is None:
                continue
            if unit.id in lines:
                problems.append(f"{path}:{line_of_row}: duplicate id {unit.id!r} (first on line {lines[unit.id]})")
                continue
            lines[unit.id] = line_of_row
            units.append(unit)
    except csv.Error as exc:
        problems.append(f"{path}:{reader.line_num}: {exc}")
    if not units and not problems:
        problems.append(f"{path}:2: no units: the file has a header and no rows")
    problems += _tree_problems(path, units, lines)
    if problems:
        raise OrgFileError(problems)
    return units


def _row(
    path: str, line: int, row: list[str], header: list[str], index: dict[str, int], problems: list[str]
) -> Unit | None:
    if len(row) != len(header):
        problems.append(f"{path}:{line}: {len(row)} cell(s) where the header has {len(header)}")
        return None
    cell = {c: _UNESCAPE.sub("", row[i].strip()) for c, i in index.items()}
    ok = True
    for name, value in cell.items():
        try:
            check_text(name, value)
        except ValueError as exc:
            problems.append(f"{path}:{line}: {exc}")
            ok = False
    if not _ID.fullmatch(cell["id"]):
        problems.append(
            f"{path}:{line}: id {cell['id']!r} is not a unit code (1..100 letters, digits, _ . -, starting "
            "with a letter or digit)"
        )
        ok = False
    if not _LEVEL.fullmatch(cell["level"]):
        problems.append(
            f"{path}:{line}: level {cell['level']!r} is not a level name (a lower-case letter, then letters, "
            "digits, _; e.g. region, dealer, branch)"
        )
        ok = False
    for lang in LANGUAGES:
        if len(cell[f"name_{lang}"]) > MAX_NAME:
            problems.append(f"{path}:{line}: name_{lang} has more than {MAX_NAME} characters")
            ok = False
    if not ok:
        return None
    names = {lang: cell[f"name_{lang}"] for lang in LANGUAGES if cell[f"name_{lang}"]}
    return Unit(cell["id"], cell["parent"] or None, cell["level"], names)


def _tree_problems(path: str, units: list[Unit], lines: dict[str, int]) -> list[str]:
    """Unknown parents, cycles, and levels that do not nest one way (a level under itself or both ways)."""
    problems: list[str] = []
    by_id = {u.id: u for u in units}
    for u in units:
        if u.parent is not None and u.parent not in by_id:
            hint = difflib.get_close_matches(u.parent, list(by_id), 1)
            problems.append(
                f"{path}:{lines[u.id]}: parent {u.parent!r} of {u.id!r} is no unit of the file"
                + (f" (did you mean {hint[0]!r}?)" if hint else "")
            )
    reported: set[str] = set()
    in_cycle: set[str] = set()
    for u in units:
        chain: list[str] = []
        current: Unit | None = u
        while current is not None and current.id not in chain and current.id not in reported:
            chain.append(current.id)
            current = by_id.get(current.parent) if current.parent else None
        if current is not None and current.id in chain:
            cycle = chain[chain.index(current.id) :]
            in_cycle |= set(cycle)
            where = ", ".join(f"{c} (line {lines[c]})" for c in cycle)
            problems.append(f"{path}:{lines[cycle[0]]}: the parents form a cycle: {where}")
        reported |= set(chain)
    # levels: each parent->child pair says "parent level above child level"; taken in file order,
    # a pair that contradicts the order the earlier rows set is reported at its own line
    first_line: dict[tuple[str, str], int] = {}
    for u in units:
        parent = by_id.get(u.parent) if u.parent else None
        if parent is None or u.id in in_cycle:
            continue
        if parent.level == u.level:
            problems.append(
                f"{path}:{lines[u.id]}: {u.id!r} has the level {u.level!r} of its parent {parent.id!r}; "
                "a unit's level is below its parent's"
            )
            continue
        first_line.setdefault((parent.level, u.level), lines[u.id])
    above: dict[str, set[str]] = {}
    for (high, low), line in sorted(first_line.items(), key=lambda item: item[1]):
        if high in _reachable(above, low):
            where = f"line {first_line[(low, high)]}" if (low, high) in first_line else "further up the file"
            problems.append(
                f"{path}:{line}: level {low!r} is under {high!r} here and above it elsewhere ({where}); "
                "levels nest one way"
            )
        else:
            above.setdefault(high, set()).add(low)
    return problems


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    stack = [start]
    while stack:
        for nxt in graph.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def apply_org(engine: Engine, units: Sequence[Unit], *, effective: dt.datetime | None = None) -> ImportSummary:
    """Make ``units`` (a whole, checked tree: :func:`read_org_file`) the current organisation, in one transaction.

    A new unit starts now (since always if it never existed before); a changed one ends its
    current version at ``effective`` (default now, naive UTC) and starts a new one; a current
    unit missing from ``units`` is closed.  ``effective`` may not precede the latest change
    already stored: history is appended to, never rewritten.
    """
    when = effective or utcnow()
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    o = org_units.c
    added: list[str] = []
    changed: list[str] = []
    unchanged = 0
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(4242013)"))  # one import at a time
        latest = conn.execute(sa.select(sa.func.max(sa.func.coalesce(o.valid_to, o.valid_from)))).scalar()
        if latest is not None and when < latest:
            raise SurveykitError(
                f"the organisation last changed at {latest:%Y-%m-%d %H:%M:%S} UTC; a change cannot take effect "
                f"before that ({when:%Y-%m-%d %H:%M:%S})"
            )
        current = {
            r.unit: r
            for r in conn.execute(sa.select(o.id, o.unit, o.parent, o.level, o.names).where(o.valid_to.is_(None)))
        }
        ever = set(conn.execute(sa.select(o.unit).distinct()).scalars())
        rows = []
        for u in units:
            old = current.get(u.id)
            if old is not None and (old.parent, old.level, dict(old.names or {})) == (u.parent, u.level, dict(u.names)):
                unchanged += 1
                continue
            if old is not None:
                conn.execute(sa.update(org_units).where(o.id == old.id).values(valid_to=when))
                changed.append(u.id)
            else:
                added.append(u.id)
            rows.append(
                {
                    "unit": u.id,
                    "parent": u.parent,
                    "level": u.level,
                    "names": dict(u.names),
                    "valid_from": when if u.id in ever else None,
                    "valid_to": None,
                }
            )
        wanted = {u.id for u in units}
        closed = sorted(set(current) - wanted)
        if closed:
            conn.execute(sa.update(org_units).where(o.valid_to.is_(None), o.unit.in_(closed)).values(valid_to=when))
        if rows:
            conn.execute(sa.insert(org_units), rows)
    return ImportSummary(tuple(added), tuple(changed), tuple(closed), unchanged)


def org_csv(tree: OrgTree) -> str:
    """The organisation file of ``tree`` (parents before children), readable by :func:`read_org_file`.

    Names are escaped against spreadsheet formulas (:mod:`surveykit.cells`); the reader removes
    exactly that escape, so export and import round-trip.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for u in tree:
        writer.writerow([u.id, u.parent or "", u.level, *(escape_formula(u.names.get(lang, "")) for lang in LANGUAGES)])
    return out.getvalue()


def export_tree(engine: Engine) -> str:
    """The current organisation as an organisation file."""
    return org_csv(load_tree(engine))
