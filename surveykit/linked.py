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
from collections.abc import Iterable

import numpy as np

__all__ = ["LEVEL_SD", "cell_levels", "dealer_levels"]

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
