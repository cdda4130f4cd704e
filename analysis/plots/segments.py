"""Units and waves: the funnel plot of dealers or branches, and an index over survey waves."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.plots.checks import _floats, _same_length, _strings
from analysis.plots.placement import _place_labels
from analysis.plots.style import COLORS, _chart, _decorate, _legend
from analysis.plots.text import _level, _words, _wrap

__all__ = ["funnel", "waves_line"]


def funnel(
    values: Sequence[float],
    n: Sequence[float],
    centre: float,
    limits: Callable[[np.ndarray], pd.DataFrame],
    labels: Sequence[str],
    *,
    lang: str = "zh",
    ylabel: str | None = None,
    title: str | None = None,
    note: str | None = None,
) -> Figure:
    """Funnel plot of unit means (dealers, branches) against their size, with control limits.

    Parameters
    ----------
    values, n : sequence of float
        Mean and number of responses per unit, e.g. ``FunnelResult.units[["mean", "n"]]``.
    centre : float
        The target line, e.g. ``FunnelResult.target``.
    limits : callable
        ``limits(n_array)`` returns a DataFrame with columns ``lower_<c>`` and ``upper_<c>`` per
        coverage (``lower_95``, ``upper_99_8``), as ``FunnelResult.limits`` does.
    labels : sequence of str
        Unit names; units outside the limits are labelled.
    lang : {"zh", "en"}
    ylabel : str, optional
        What the mean is of, e.g. "Satisfaction (1-7)".
    title, note : str, optional

    Notes
    -----
    Units beyond the inner limits (95 %: "alert") are orange triangles, beyond the outer
    (99.8 %: "alarm") vermillion squares; units inside are not ranked.
    Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
    Statistics in Medicine, 24(8), 1185-1202. https://doi.org/10.1002/sim.1970
    """
    t = _words(lang)
    y = _floats("values", values)
    size = _floats("n", n)
    names = _strings("labels", labels)
    _same_length(values=y, n=size, labels=names)
    if (size <= 0).any():
        raise ValueError(f"n must be positive, got {size.min():g}")
    target = float(_floats("centre", [centre])[0])
    grid = np.geomspace(max(size.min() * 0.8, 1.0), size.max() * 1.08, 200)
    curves = _limit_table(limits, grid)
    at_units = _limit_table(limits, size)
    levels = list(curves)
    outside = np.zeros(len(y), dtype=int)  # how many limit pairs, innermost first, a unit lies beyond
    for level in levels:
        lo, hi = at_units[level]
        outside += (y < lo) | (y > hi)
    with _chart(lang, names, (6.4, 4.8)) as (fig, ax):
        ax.axhline(target, color="0.15", lw=1.2, label=f"{t['centre']} {target:.2f}")
        styles = ["--", ":", "-."]
        for level, ls in zip(levels, styles[: len(levels)], strict=True):  # at most three levels are drawn
            lo, hi = curves[level]
            ax.plot(grid, lo, color=COLORS["blue"], ls=ls, lw=1.3, label=t["limits"].format(level=level))
            ax.plot(grid, hi, color=COLORS["blue"], ls=ls, lw=1.3)
        kinds = [(0, COLORS["grey"], "o", t["within"])]
        kinds += [
            (
                k + 1,
                COLORS["orange"] if k + 1 < len(levels) else COLORS["vermillion"],
                "^" if k + 1 < len(levels) else "s",
                t["outside"].format(level=levels[k]),
            )
            for k in range(len(levels))
        ]
        for k, color, marker, label in kinds:
            mask = outside == k
            if mask.any():
                ax.scatter(
                    size[mask],
                    y[mask],
                    s=40,
                    color=color,
                    marker=marker,
                    edgecolor="white",
                    linewidth=0.5,
                    zorder=3,
                    label=label,
                )
        outer_lo, outer_hi = curves[levels[-1]]
        low = min(y.min(), float(np.nanmin(outer_lo)))
        high = max(y.max(), float(np.nanmax(outer_hi)))
        pad = 0.06 * (high - low or 1.0)
        ax.set_ylim(low - pad, high + pad)
        ax.set_xlim(0, grid[-1])
        ax.set_xlabel(t["funnel_x"])
        ax.set_ylabel(ylabel or t["mean"])
        ax.grid(axis="y")
        ax.set_axisbelow(True)
        _legend(fig, ax, ncols=3, fontsize=8.5)
        _decorate(fig, title, t["funnel_title"], note)
        flagged = outside > 0
        if flagged.any():
            _place_labels(
                ax, size[flagged], y[flagged], [_wrap(s, 16) for s, f in zip(names, flagged, strict=True) if f]
            )
    return fig


def _limit_table(
    limits: Callable[[np.ndarray], pd.DataFrame], n: np.ndarray
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Limits by coverage label ("95", "99.8"), innermost first, from ``limits(n)``."""
    if not callable(limits):
        raise ValueError("limits must be a function of n returning lower_/upper_ columns, e.g. FunnelResult.limits")
    table = limits(n)
    if not isinstance(table, pd.DataFrame) or len(table) != len(n):
        raise ValueError(f"limits(n) must return a DataFrame with one row per n ({len(n)})")
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for col in table.columns:
        if str(col).startswith("lower_") and f"upper_{str(col)[6:]}" in table.columns:
            key = str(col)[6:]
            out[key.replace("_", ".")] = (_floats(str(col), table[col]), _floats(f"upper_{key}", table[f"upper_{key}"]))
    if not out:
        raise ValueError(
            f"limits(n) has no lower_<coverage>/upper_<coverage> column pair (columns: "
            f"{', '.join(map(str, table.columns))})"
        )
    return dict(sorted(out.items(), key=lambda kv: float(np.mean(kv[1][1] - kv[1][0]))))


def waves_line(
    waves: Sequence[str],
    index: Sequence[float],
    ci_low: Sequence[float],
    ci_high: Sequence[float],
    *,
    lang: str = "zh",
    n: Sequence[float] | None = None,
    conf_level: float = 0.95,
    ylabel: str | None = None,
    title: str | None = None,
    note: str | None = None,
) -> Figure:
    """Line of an index (or mean) over survey waves with its confidence band.

    Parameters
    ----------
    waves : sequence of str
        Wave labels in time order.
    index, ci_low, ci_high : sequence of float
        Per wave, e.g. ``WaveResult.to_frame()`` columns ``mean``, ``ci_low``, ``ci_high``. NaN
        interval bounds leave a gap in the band.
    lang : {"zh", "en"}
    n : sequence of int, optional
        Base per wave, shown under the wave label.
    conf_level : float
        Level of the band, for the legend.
    ylabel, title, note : str, optional
    """
    t = _words(lang)
    level = _level(conf_level)
    names = _strings("waves", waves)
    v = _floats("index", index)
    lo = _floats("ci_low", ci_low, allow_nan=True)
    hi = _floats("ci_high", ci_high, allow_nan=True)
    _same_length(waves=names, index=v, ci_low=lo, ci_high=hi)
    ticks = [_wrap(s, 12) for s in names]
    if n is not None:
        base = _floats("n", n)
        _same_length(waves=names, n=base)
        ticks = [f"{s}\nn={int(k)}" for s, k in zip(ticks, base, strict=True)]
    with _chart(lang, ticks, (6.4, 4.0)) as (fig, ax):
        x = np.arange(len(names))
        ax.fill_between(x, lo, hi, color=COLORS["blue"], alpha=0.16, lw=0, label=t["ci"].format(level=level))
        ax.plot(x, v, color=COLORS["blue"], marker="o", ms=6, label=ylabel or t["index"])
        for xi, vi in zip(x, v, strict=True):
            ax.annotate(
                f"{vi:.1f}", (xi, vi), xytext=(0, 8), textcoords="offset points", ha="center", fontsize=9, color="0.15"
            )
        ax.set_xticks(x, labels=ticks)
        ax.set_xlim(-0.4, len(names) - 0.6)
        bounds = np.concatenate([v, lo[~np.isnan(lo)], hi[~np.isnan(hi)]])
        pad = 0.15 * (np.ptp(bounds) or abs(bounds.mean()) or 1.0)
        ax.set_ylim(bounds.min() - pad, bounds.max() + pad)
        ax.set_ylabel(ylabel or t["index"])
        ax.grid(axis="y")
        ax.set_axisbelow(True)
        _legend(fig, ax, ncols=2)
        _decorate(fig, title, t["waves_title"], note)
    return fig
