"""Checks of chart inputs: numbers, labels, matching lengths; each error names the argument."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def _floats(name: str, values: Any, *, allow_nan: bool = False) -> np.ndarray:
    try:
        if isinstance(values, (pd.Series, pd.Index)):
            arr = values.to_numpy(dtype=float, na_value=np.nan)
        else:
            arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must hold numbers, got {str(list(np.ravel(values)))[:80]}") from None
    arr = np.atleast_1d(arr)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    bad = ~np.isfinite(arr) if not allow_nan else np.isinf(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{name}[{i}] is {arr[i]}: every value must be a finite number")
    return arr


def _strings(name: str, values: Any) -> list[str]:
    if values is None or isinstance(values, (str, bytes)):
        raise ValueError(f"{name} must be a sequence of labels, got {values!r}")
    out = ["" if v is None else str(v) for v in list(values)]
    if not out:
        raise ValueError(f"{name} is empty")
    return out


Sized = Sequence[Any] | np.ndarray


def _same_length(**named: Sized) -> None:
    lengths = {k: len(v) for k, v in named.items()}
    first, n = next(iter(lengths.items()))
    for k, m in lengths.items():
        if m != n:
            raise ValueError(f"{first} ({n}) and {k} ({m}) differ in length")
