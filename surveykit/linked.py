"""Dealer levels shared by simulated surveys of the same dealers, so that their relations can be planted.

A customer survey, an employee survey and a process audit of the same dealers are simulated
separately; to plant "better dealers comply more, have happier staff and happier customers", each
is given the same shift of its latent satisfaction per dealer (``simulate(unit_shift=...)``). The
level of a dealer code depends only on the seed and the code, not on which other dealers are
simulated or in which order, so ``surveykit simulate --linked SEED`` run for each survey plants one
set of levels across all of them; the unit-level analyses (:mod:`analysis.audit`,
:mod:`analysis.employee`) should then recover a positive correlation.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence

import numpy as np

from surveykit.model import Questionnaire

__all__ = ["LEVEL_SD", "cell_levels", "dealer_levels", "linked_shifts"]

LEVEL_SD = 0.6  # sd of the dealer shift on the latent satisfaction (whose within-dealer sd is 1)


def cell_levels(
    dealers: Iterable[str], values: Iterable[str], *, seed: int, sd: float = LEVEL_SD
) -> dict[tuple[str, str], float]:
    """A normal shift N(0, sd) per dealer and value of a second field (a department), fixed by ``seed``
    and the pair alone: the department's level within its dealer (``simulate(cell_shift=...)``)."""
    return {
        (d, v): float(sd * np.random.default_rng([seed, zlib.crc32(f"{d}\x00{v}".encode())]).standard_normal())
        for d in dealers
        for v in values
    }


def dealer_levels(codes: Iterable[str], *, seed: int, sd: float = LEVEL_SD) -> dict[str, float]:
    """A normal shift N(0, sd) per dealer code, fixed by ``seed`` and the code alone."""
    return {
        code: float(sd * np.random.default_rng([seed, zlib.crc32(code.encode("utf-8"))]).standard_normal())
        for code in codes
    }


def linked_shifts(
    q: Questionnaire, dealers: Sequence[str], *, seed: int, staff: Questionnaire | None = None
) -> tuple[dict[str, float], tuple[str, dict[tuple[str, str], float]] | None]:
    """``unit_shift`` and ``cell_shift`` of :func:`surveykit.simulate.simulate` for ``q``'s dealers, by ``seed``.

    Every survey gets the dealers' levels. A survey with a field that declares ``links:`` (the
    employee survey's department) also gets its values' levels within each dealer
    (:func:`cell_levels` on that field). A customer survey that such a survey ``staff`` links gets
    the level of the department that serves each response: by the value of the linked field, or,
    for ``all: <department>``, added to the dealer's level. So simulated staff and customers share
    levels by dealer and by dealer and department.
    """
    levels = dealer_levels(dealers, seed=seed)
    own = next((f for f in q.fields if f.links), None)
    if own is not None:
        return levels, (own.id, cell_levels(dealers, [c for c, _ in own.values], seed=seed))
    department = next((f for f in staff.fields if f.links), None) if staff is not None else None
    link = next((k for k in department.links if k.survey == q.survey), None) if department is not None else None
    if department is None or link is None:
        return levels, None
    by_department = cell_levels(dealers, [c for c, _ in department.values], seed=seed)
    if link.field is None:
        ours = link.values[0][1]
        return {d: levels[d] + by_department.get((d, ours), 0.0) for d in dealers}, None
    cells = {(d, theirs): by_department.get((d, ours), 0.0) for d in dealers for theirs, ours in link.values}
    return levels, (link.field, cells)
