"""The PLS path model as arrays: blocks, modes and paths checked, and the indicators prepared.

Everything the user states about a model is checked here, once, with an error that names
the construct, the path or the column at fault; the estimation modules then work on plain
arrays and never see a name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

SCHEMES = ("centroid", "factorial", "path")
MODES = ("A", "B")


@dataclass(frozen=True, slots=True)
class Spec:
    """A checked model: constructs in the user's order, items block by block.

    ``membership[i, k]`` is true when item i belongs to construct k; ``adjacency[to, from]``
    is 1 for a path from -> to (plspm's convention: the row is the affected construct).
    """

    constructs: tuple[str, ...]
    blocks: dict[str, tuple[str, ...]]
    modes: dict[str, str]
    paths: tuple[tuple[str, str], ...]
    items: tuple[str, ...]
    membership: np.ndarray  # (p, J) bool
    adjacency: np.ndarray  # (J, J) float, [to, from]
    mode_b: np.ndarray  # (J,) bool

    @property
    def block_of(self) -> np.ndarray:
        """Index of each item's construct."""
        return np.argmax(self.membership, axis=1)

    def reach(self) -> np.ndarray:
        """reach[to, from] is true when a directed path (of any length) leads from -> to."""
        j = len(self.constructs)
        reach = np.zeros((j, j), dtype=bool)
        step = self.adjacency.astype(bool)
        power = step.copy()
        for _ in range(j):
            reach |= power
            power = (power.astype(int) @ step.astype(int)) > 0
        return reach


def _cycle(constructs: Sequence[str], adjacency: np.ndarray) -> list[str] | None:
    """One directed cycle as a list of names (first name repeated at the end), or None."""
    state = dict.fromkeys(range(len(constructs)), 0)  # 0 new, 1 on the stack, 2 done
    stack: list[int] = []

    def visit(k: int) -> list[int] | None:
        state[k] = 1
        stack.append(k)
        for succ in map(int, np.flatnonzero(adjacency[:, k])):
            if state[succ] == 1:
                return [*stack[stack.index(succ) :], succ]
            if state[succ] == 0 and (found := visit(succ)) is not None:
                return found
        stack.pop()
        state[k] = 2
        return None

    for k in range(len(constructs)):
        if state[k] == 0 and (found := visit(k)) is not None:
            return [constructs[i] for i in found]
    return None


def specify(
    blocks: Mapping[str, Sequence[str]], paths: Sequence[Sequence[str]], modes: Mapping[str, str] | None = None
) -> Spec:
    """Check a model and return it as arrays; every problem is a ``ValueError`` that names it."""
    if not isinstance(blocks, Mapping) or len(blocks) < 2:
        raise ValueError("blocks: a PLS path model needs at least two constructs, given as {construct: [items]}")
    constructs = tuple(str(c) for c in blocks)
    items: list[str] = []
    owner: dict[str, str] = {}
    clean_blocks: dict[str, tuple[str, ...]] = {}
    for construct, block in blocks.items():
        if isinstance(block, str):
            block = [block]
        block = tuple(str(i) for i in block)
        if not block:
            raise ValueError(f"blocks: construct {construct!r} has no indicators")
        for item in block:
            if item in owner:
                raise ValueError(f"blocks: item {item!r} is listed under both {owner[item]!r} and {construct!r}")
            owner[item] = str(construct)
            items.append(item)
        clean_blocks[str(construct)] = block
    modes = dict(modes or {})
    unknown = sorted(set(modes) - set(constructs))
    if unknown:
        raise ValueError(f"modes: unknown construct {unknown[0]!r} (constructs: {', '.join(map(repr, constructs))})")
    clean_modes = {c: str(modes.get(c, "A")) for c in constructs}
    for construct, mode in clean_modes.items():
        if mode not in MODES:
            raise ValueError(f"modes: construct {construct!r} has mode {mode!r} (allowed: 'A', 'B')")
    j = len(constructs)
    index = {c: k for k, c in enumerate(constructs)}
    adjacency = np.zeros((j, j))
    clean_paths: list[tuple[str, str]] = []
    for path in paths:
        if isinstance(path, str) or len(path) != 2:
            raise ValueError(f"paths: {path!r} is not a (from, to) pair")
        source, target = str(path[0]), str(path[1])
        for end in (source, target):
            if end not in index:
                raise ValueError(
                    f"paths: {source!r} -> {target!r}: unknown construct {end!r} "
                    f"(constructs: {', '.join(map(repr, constructs))})"
                )
        if source == target:
            raise ValueError(f"paths: {source!r} -> {target!r} points a construct at itself")
        if adjacency[index[target], index[source]]:
            raise ValueError(f"paths: {source!r} -> {target!r} is listed twice")
        adjacency[index[target], index[source]] = 1.0
        clean_paths.append((source, target))
    if not clean_paths:
        raise ValueError("paths: the model has no structural path")
    cycle = _cycle(constructs, adjacency)
    if cycle is not None:
        raise ValueError(f"paths: the paths form a cycle {' -> '.join(cycle)} (a PLS path model must be recursive)")
    linked = adjacency.any(axis=0) | adjacency.any(axis=1)
    if not linked.all():
        lone = constructs[int(np.flatnonzero(~linked)[0])]
        raise ValueError(f"paths: construct {lone!r} is on no path (its inner proxy would be empty)")
    membership = np.zeros((len(items), j), dtype=bool)
    for k, construct in enumerate(constructs):
        for item in clean_blocks[construct]:
            membership[items.index(item), k] = True
    return Spec(
        constructs,
        clean_blocks,
        clean_modes,
        tuple(clean_paths),
        tuple(items),
        membership,
        adjacency,
        np.array([clean_modes[c] == "B" for c in constructs]),
    )


def indicators(data: pd.DataFrame, spec: Spec) -> pd.DataFrame:
    """The model's items as float columns, rows with any missing item dropped (listwise).

    Listwise deletion is R plspm's rule for its metric algorithm (it refuses missing values);
    the rows kept keep their index so that scores line up with the caller's frame.
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    missing = [item for item in spec.items if item not in data.columns]
    if missing:
        raise ValueError(f"column {missing[0]!r} is not in the data (blocks name {len(missing)} unknown column(s))")
    frame = data.loc[:, list(spec.items)]
    for item in spec.items:
        column = frame[item]
        if not (pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)):
            raise ValueError(f"column {item!r} is not numeric (dtype {column.dtype})")
    frame = frame.astype(float).dropna(how="any")
    values = frame.to_numpy()
    if not np.isfinite(values).all():
        bad = spec.items[int(np.flatnonzero(~np.isfinite(values).all(axis=0))[0])]
        raise ValueError(f"column {bad!r} has an infinite value")
    if len(frame) < len(spec.constructs) + 2:
        raise ValueError(f"only {len(frame)} complete row(s) on the model's items; too few to estimate the model")
    spread = np.ptp(values, axis=0)
    if (spread == 0).any():
        bad = spec.items[int(np.flatnonzero(spread == 0)[0])]
        raise ValueError(
            f"column {bad!r} is constant over the {len(frame)} complete rows; "
            "a constant indicator carries no information and cannot be standardized"
        )
    return frame
