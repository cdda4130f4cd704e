"""Population margins and the cell model that raking and post-stratification calibrate to.

A margin is a set of population cells over one column or a crossing of columns (a *joint*
margin such as region × visit type), each with a count or a share. :func:`cell_model` matches
the data to the margins once and keeps only what calibration needs: every row's *profile*
(its combination of cells over all margins) and the base-weight total of each profile. Raking
factors, calibration residuals and the raking of a million rows all work on the profiles, of
which there are at most the product of the margins' cell counts, never on the rows.

Impossible margins fail here, before any iteration, with the margin and the cell named: a
population cell with no respondents, a respondent whose level has no population cell, a
missing value in a weighting column, a cell with respondents but a population count of 0,
and margins whose totals disagree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.quality import require_columns

__all__ = ["Margin", "margin"]

# Share margins must sum to 1 within this; count margins must agree on the total within this
# relative difference (population counts are usually exact integers, shares often rounded).
SHARE_SUM_TOL = 1e-6
TOTAL_REL_TOL = 1e-9


@dataclass(frozen=True, slots=True)
class Margin:
    """Population cells over one column or a crossing of columns (built by :func:`margin`).

    ``levels[c]`` holds cell c's value of every column in ``variables`` (as text, so that the
    data's 1, 1.0 and "1" all match a cell written as 1), ``targets[c]`` its population count
    or share.
    """

    name: str
    variables: tuple[str, ...]
    levels: tuple[tuple[str, ...], ...]
    targets: tuple[float, ...]
    shares: bool

    def cell_label(self, cell: int) -> str:
        """``column=value`` pairs of one cell, joined by ' × ' for a joint margin."""
        return " × ".join(f"{v}={lv}" for v, lv in zip(self.variables, self.levels[cell], strict=True))

    def to_frame(self) -> pd.DataFrame:
        """One row per cell: the level of every variable and the target."""
        frame = pd.DataFrame(list(self.levels), columns=list(self.variables))
        frame["share" if self.shares else "count"] = self.targets
        return frame

    def summary(self) -> str:
        kind = "shares" if self.shares else f"counts (total {sum(self.targets):g})"
        return f"margin {self.name!r} over {' × '.join(self.variables)}: {len(self.targets)} cells, {kind}"


def level_label(value: Any) -> str:
    """Text form of a level: whole floats as integers (1.0 -> '1'), everything else ``str``."""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def margin(
    variables: str | Sequence[str],
    targets: Mapping[Any, float] | pd.Series,
    *,
    shares: bool = False,
    name: str | None = None,
) -> Margin:
    """A population margin: counts (or shares) of the cells of one column or of a crossing.

    Parameters
    ----------
    variables : str or sequence of str
        The column, or the columns whose crossing forms the cells (a joint margin).
    targets : mapping or Series
        Cell -> population count (or share). For a joint margin the keys are tuples of levels
        in the order of ``variables`` (a Series may carry them as a MultiIndex).
    shares : bool
        The targets are shares of the population and must sum to 1; the weights are then
        scaled to the population total given to :func:`rake`, to the total of the count
        margins, or else to the sum of the base weights (n with equal base weights).
    name : str, optional
        How messages and tables call the margin; default the variables joined by ``_x_``.

    Returns
    -------
    Margin

    Raises
    ------
    ValueError
        No cells, a key that does not fit the variables, a repeated cell, a target that is
        negative or not finite, or shares that do not sum to 1.

    Examples
    --------
    >>> margin("dealer", {"D1": 2600, "D2": 3400}).targets
    (2600.0, 3400.0)
    >>> margin(["region", "age"], {("north", "18-34"): 0.4, ("south", "18-34"): 0.6}, shares=True).cell_label(1)
    'region=south × age=18-34'
    """
    cols = (variables,) if isinstance(variables, str) else tuple(variables)
    if not cols or not all(isinstance(c, str) for c in cols):
        raise ValueError(f"a margin needs one or more column names, got {variables!r}")
    label = name if name is not None else "_x_".join(cols)
    items = list(targets.items())
    if not items:
        raise ValueError(f"margin {label!r} has no cells")
    levels: list[tuple[str, ...]] = []
    values: list[float] = []
    for key, target in items:
        key_t = tuple(key) if isinstance(key, tuple) else (key,)
        if len(key_t) != len(cols):
            raise ValueError(f"margin {label!r}: cell {key!r} does not give one level for each of {list(cols)}")
        cell = tuple(level_label(k) for k in key_t)
        if cell in levels:
            raise ValueError(f"margin {label!r}: cell {cell!r} is given twice")
        value = float(target)
        if not math.isfinite(value) or value < 0:
            raise ValueError(
                f"margin {label!r}: cell {cell!r} has target {target!r}; targets are counts or shares >= 0"
            )
        levels.append(cell)
        values.append(value)
    if shares and abs(sum(values) - 1) > SHARE_SUM_TOL:
        raise ValueError(f"margin {label!r}: the shares sum to {sum(values):.10g}, not 1")
    return Margin(label, cols, tuple(levels), tuple(values), shares)


def population_targets(
    margins: Sequence[Margin], population_total: float | None, base_total: float
) -> list[np.ndarray]:
    """The count every cell must reach, with shares turned into counts.

    N is ``population_total`` if given, else the common total of the count margins, else the
    sum of the base weights. Count margins must agree with each other and with N.
    """
    counts = [m for m in margins if not m.shares]
    total = population_total
    for m in counts:
        s = float(sum(m.targets))
        if total is None:
            total = s
        elif abs(s - total) > TOTAL_REL_TOL * max(abs(total), 1.0):
            first = "population_total" if population_total is not None else repr(counts[0].name)
            raise ValueError(
                f"margin totals disagree: margin {m.name!r} sums to {s:.10g}, {first} to {total:.10g}; "
                "every margin must describe the same population"
            )
    if total is None:
        total = base_total
    if not math.isfinite(total) or total <= 0:
        raise ValueError(f"the population total must be a positive number, got {total!r}")
    return [np.asarray(m.targets, dtype=float) * (total if m.shares else 1.0) for m in margins]


@dataclass(frozen=True, slots=True)
class CellModel:
    """The data matched to the margins, reduced to profiles (see the module docstring).

    ``profile[i]`` is row i's profile; ``cells[k, j]`` the cell of margin j that profile k
    falls in; ``columns[k, j]`` the same as a column of the stacked indicator matrix X
    (``offsets[j] + cells[k, j]``); ``base_total[k]`` the sum of the base weights of the
    profile's rows.
    """

    profile: np.ndarray
    cells: np.ndarray
    columns: np.ndarray
    n_columns: int
    base_total: np.ndarray

    def indicators(self) -> np.ndarray:
        """X on the profiles: one row per profile, one 0/1 column per cell of every margin."""
        x = np.zeros((len(self.cells), self.n_columns))
        rows = np.repeat(np.arange(len(self.cells)), self.cells.shape[1])
        x[rows, self.columns.ravel()] = 1.0
        return x


def _compact(key: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Renumber integer keys in [0, size) to 0..k-1: (id per row, key per id), keys ascending.

    A count over the key range when it is small (one pass, no hashing), else a hash table.
    """
    if size <= max(4 * len(key), 1 << 20):
        present = np.flatnonzero(np.bincount(key, minlength=size))
        ids = np.zeros(size, dtype=np.int64)
        ids[present] = np.arange(len(present))
        return ids[key], present
    inverse, uniques = pd.factorize(key, sort=True)
    return np.asarray(inverse, dtype=np.int64), np.asarray(uniques, dtype=np.int64)


def _row_cells(df: pd.DataFrame, m: Margin, base: np.ndarray) -> np.ndarray:
    """Cell index of margin ``m`` for every row; raises on missing or unknown levels."""
    codes = np.zeros(len(df), dtype=np.int64)
    size = 1
    labels: list[list[str]] = []
    for col in m.variables:
        c, uniques = pd.factorize(df[col], use_na_sentinel=True)
        missing = int((c < 0).sum())
        if missing:
            raise ValueError(
                f"margin {m.name!r}: column {col!r} is missing in {missing} row(s); every row needs a level "
                "of every weighting column (recode the missing answers to a level that has a population cell)"
            )
        codes = codes * len(uniques) + c
        size *= len(uniques)
        labels.append([level_label(u) for u in uniques])
    inverse, combos = _compact(codes, size)
    lookup = {lv: i for i, lv in enumerate(m.levels)}
    combo_cell = np.empty(len(combos), dtype=np.int64)
    for j, code in enumerate(combos):
        parts = []
        for lab in reversed(labels):
            code, k = divmod(int(code), len(lab))
            parts.append(lab[k])
        cell = tuple(reversed(parts))
        if cell not in lookup:
            count = int((inverse == j).sum())
            shown = " × ".join(f"{v}={lv}" for v, lv in zip(m.variables, cell, strict=True))
            raise ValueError(
                f"margin {m.name!r}: {shown} occurs in the data ({count} respondent(s)) but the margin has no "
                "population cell for it; add the cell or merge the level into another"
            )
        combo_cell[j] = lookup[cell]
    rows = combo_cell[inverse]
    base_in_cell = np.bincount(rows, weights=base, minlength=len(m.levels))
    for index, target in enumerate(m.targets):
        if target > 0 and base_in_cell[index] == 0:
            raise ValueError(
                f"margin {m.name!r}: population cell {m.cell_label(index)} has a target of {target:g} but no "
                "respondents, so no weights can reach it; merge it with a neighbouring cell"
            )
        if target == 0 and base_in_cell[index] > 0:
            raise ValueError(
                f"margin {m.name!r}: cell {m.cell_label(index)} has respondents but a population target of 0; "
                "drop those respondents or correct the target"
            )
    return rows


def cell_model(df: pd.DataFrame, margins: Sequence[Margin], base: np.ndarray) -> CellModel:
    """Match the rows of ``df`` to the cells of ``margins`` (checks in the module docstring)."""
    if not margins or not all(isinstance(m, Margin) for m in margins):
        raise TypeError("margins must be a non-empty sequence of Margin objects (see weighting.margin)")
    names = [m.name for m in margins]
    if len(set(names)) != len(names):
        raise ValueError(f"two margins share a name: {names}; give them distinct names")
    require_columns(df, [v for m in margins for v in m.variables])
    per_margin = [_row_cells(df, m, base) for m in margins]
    sizes = np.array([len(m.levels) for m in margins], dtype=np.int64)
    if float(np.prod(sizes.astype(float))) < 2**62:
        key = per_margin[0]
        for j in range(1, len(margins)):
            key = key * sizes[j] + per_margin[j]
        profile, uniques = _compact(key, int(np.prod(sizes)))
        cells = np.zeros((len(uniques), len(margins)), dtype=np.int64)
        rest = uniques
        for j in range(len(margins) - 1, -1, -1):
            rest, cells[:, j] = np.divmod(rest, sizes[j])
    else:
        cells, profile = np.unique(np.column_stack(per_margin), axis=0, return_inverse=True)
        profile = profile.ravel()
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    return CellModel(
        profile=np.asarray(profile, dtype=np.int64),
        cells=cells,
        columns=cells + offsets,
        n_columns=int(sizes.sum()),
        base_total=np.bincount(profile, weights=base, minlength=len(cells)),
    )
