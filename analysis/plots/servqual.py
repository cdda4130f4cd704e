"""SERVQUAL charts: expectation against perception per dimension, and the gaps with their intervals."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.projections.polar import PolarAxes

from analysis.plots.checks import _floats, _same_length, _strings
from analysis.plots.style import COLORS, _chart, _decorate, _legend
from analysis.plots.text import _level, _words, _wrap

__all__ = ["gap_bars", "radar"]


def radar(
    dimensions: Sequence[str],
    expectation: Sequence[float],
    perception: Sequence[float],
    *,
    lang: str = "zh",
    scale: tuple[float, float] | None = None,
    title: str | None = None,
    note: str | None = None,
) -> Figure:
    """Radar chart of SERVQUAL dimension scores: expectation (dashed) vs perception (solid).

    Parameters
    ----------
    dimensions : sequence of str
        Dimension labels in the reader's language (at least 3).
    expectation, perception : sequence of float
        Mean scores per dimension, e.g. ``ServqualResult.dimensions[["mean_E_score", "mean_P_score"]]``.
    lang : {"zh", "en"}
    scale : (low, high), optional
        Radial range, e.g. (1, 7). Default: from one below the lowest score, which magnifies the
        differences; pass the scale to show them at their true size.
    title, note : str, optional

    Notes
    -----
    Each dimension label carries its gap P - E. Parasuraman, Zeithaml & Berry (1988),
    SERVQUAL: a multiple-item scale for measuring consumer perceptions of service quality.
    Journal of Retailing, 64(1), 12-40.

    Examples
    --------
    >>> fig = radar(["Tangibles", "Reliability", "Empathy"], [6.1, 6.5, 5.9], [5.5, 5.2, 5.8], lang="en")
    >>> len(fig.axes[0].lines)
    2
    """
    t = _words(lang)
    names = _strings("dimensions", dimensions)
    e = _floats("expectation", expectation)
    p = _floats("perception", perception)
    _same_length(dimensions=names, expectation=e, perception=p)
    if len(names) < 3:
        raise ValueError(f"a radar chart needs at least 3 dimensions, got {len(names)}")
    if scale is not None:
        low, high = map(float, scale)
        if not high > low:
            raise ValueError(f"scale must be (low, high) with high > low, got {scale!r}")
    else:
        low, high = max(0.0, math.floor(min(e.min(), p.min())) - 1.0), float(math.ceil(max(e.max(), p.max())))
    angles = np.linspace(0, 2 * np.pi, len(names), endpoint=False)
    closed = np.append(angles, angles[0])
    with _chart(lang, names, (5.6, 5.8), polar=True) as (fig, axes):
        ax = cast(PolarAxes, axes)
        ax.set_theta_offset(np.pi / 2)
        ax.set_theta_direction(-1)
        ax.plot(
            closed, np.append(e, e[0]), color=COLORS["black"], ls="--", lw=1.6, marker="o", ms=5, label=t["expectation"]
        )
        ax.plot(closed, np.append(p, p[0]), color=COLORS["blue"], lw=2.2, marker="s", ms=5, label=t["perception"])
        ax.fill(closed, np.append(p, p[0]), color=COLORS["blue"], alpha=0.12)
        ax.set_ylim(low, high)
        step = 1.0 if high - low <= 8 else float(math.ceil((high - low) / 6))
        ax.set_yticks(np.arange(math.ceil(low), high + 1e-9, step))
        ax.tick_params(axis="y", labelsize=8.5, labelcolor="0.45")
        ax.set_rlabel_position(180 / len(names))
        ax.set_xticks(angles, labels=[f"{_wrap(n, 16)}\n{g:+.2f}" for n, g in zip(names, p - e, strict=True)])
        for lab, a in zip(ax.get_xticklabels(), angles, strict=True):
            s = math.sin(a)
            lab.set_horizontalalignment("center" if abs(s) < 0.2 else ("left" if s > 0 else "right"))
        ax.tick_params(axis="x", pad=8)
        ax.grid(color="0.85")
        ax.spines["polar"].set_color("0.7")
        fig.legend(loc="outside lower center", ncols=2)
        _decorate(fig, title, t["radar_title"], note)
    return fig


def gap_bars(
    frame: pd.DataFrame,
    *,
    lang: str = "zh",
    labels: Mapping[str, str] | None = None,
    id_column: str | None = None,
    gap_column: str = "mean",
    conf_level: float = 0.95,
    title: str | None = None,
    note: str | None = None,
    axis_label: str | None = None,
    sign_labels: tuple[str, str] | None = None,
) -> Figure:
    """Horizontal bars of SERVQUAL gaps with confidence intervals, negative gaps highlighted.

    Parameters
    ----------
    frame : DataFrame
        ``ServqualResult.to_frame()`` (per item: ``item``, ``dimension``, ``mean``, ``ci_low``,
        ``ci_high``) or ``ServqualResult.dimensions.reset_index()`` (per dimension). Items are
        grouped under their dimension, in the order given.
    lang : {"zh", "en"}
    labels : mapping of id -> text, optional
        Display text for item and dimension ids; ids not in it are shown as they are.
    id_column : str, optional
        Default ``item`` if present, else ``dimension``.
    gap_column : str
        Column of the mean gap P - E; ``mean`` in the SERVQUAL tables.
    conf_level : float
        Level of the intervals, for the legend.
    title, note : str, optional
    axis_label, sign_labels : optional
        The x axis title and the legend's (negative, positive) entries, for a gap other than
        P - E (gap 1: staff belief - customer expectation).

    Notes
    -----
    Vermillion bars are negative gaps (perception below expectation). A lighter bar has an
    interval that includes 0. An interval that is NaN (all gaps equal) is left out.
    """
    t = _words(lang)
    level = _level(conf_level)
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame must be a pandas DataFrame, got {type(frame).__name__}")
    if id_column is None:
        id_column = "item" if "item" in frame.columns else "dimension"
    missing = [c for c in (id_column, gap_column, "ci_low", "ci_high") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"frame lacks column(s) {', '.join(map(repr, missing))} (has {', '.join(map(str, frame.columns))})"
        )
    if frame.empty:
        raise ValueError("frame is empty")
    names = labels or {}
    ids = [str(v) for v in frame[id_column]]
    gap = _floats(gap_column, frame[gap_column])
    low = _floats("ci_low", frame["ci_low"], allow_nan=True)
    high = _floats("ci_high", frame["ci_high"], allow_nan=True)
    for i, item in enumerate(ids):
        if (not np.isnan(low[i]) and low[i] > gap[i] + 1e-12) or (not np.isnan(high[i]) and high[i] < gap[i] - 1e-12):
            raise ValueError(
                f"{id_column} {item!r}: the interval [{low[i]:g}, {high[i]:g}] does not contain the gap {gap[i]:g}"
            )
    groups: list[str | None] = [None] * len(ids)
    if id_column != "dimension" and "dimension" in frame.columns:
        groups = [None if pd.isna(d) else str(d) for d in frame["dimension"]]
    rows: list[tuple[str, int | None]] = []  # (tick text, index into the data or None for a heading)
    previous: object = object()
    for i, group in enumerate(groups):
        if group is not None and group != previous:
            rows.append((_wrap(names.get(group, group), 34), None))
        previous = group
        rows.append((_wrap(names.get(ids[i], ids[i]), 34), i))
    lines = sum(text.count("\n") + 1 for text, _ in rows)
    texts = [text for text, _ in rows]
    with _chart(lang, texts, (6.4, 1.6 + 0.2 * lines + 0.12 * len(rows))) as (fig, ax):
        ypos = np.arange(len(rows))
        at = [float(y) for y, (_, i) in zip(ypos, rows, strict=True) if i is not None]
        idx = [i for _, i in rows if i is not None]
        g = gap[idx]
        lo, hi = low[idx], high[idx]
        uncertain = ~((lo > 0) | (hi < 0))
        colors = [COLORS["vermillion"] if v < 0 else COLORS["blue"] for v in g]
        bars = ax.barh(at, g, color=colors, height=0.62)
        for patch, u in zip(bars.patches, uncertain, strict=True):
            if u:
                patch.set_alpha(0.45)
        ok = ~(np.isnan(lo) | np.isnan(hi))
        if ok.any():
            ax.errorbar(
                g[ok],
                np.asarray(at)[ok],
                xerr=[g[ok] - lo[ok], hi[ok] - g[ok]],
                fmt="none",
                ecolor="0.15",
                elinewidth=1,
                capsize=2.5,
            )
        ends = np.column_stack([g, np.where(np.isnan(lo), g, lo), np.where(np.isnan(hi), g, hi)])
        left, right = min(0.0, float(ends.min())), max(0.0, float(ends.max()))
        pad = 0.03 * (right - left or 1.0)
        for y, v, row in zip(at, g, ends, strict=True):
            x = row.max() + pad if v >= 0 else row.min() - pad
            ax.text(float(x), y, f"{v:+.2f}", va="center", ha="left" if v >= 0 else "right", fontsize=8.5, color="0.2")
        span = right - left or 1.0
        ax.set_xlim(left - 0.16 * span, right + 0.16 * span)
        ax.axvline(0, color="0.2", lw=0.9)
        ax.set_yticks(ypos, labels=texts)
        for lab, (_, where) in zip(ax.get_yticklabels(), rows, strict=True):
            if where is None:
                lab.set_fontweight("bold")
        ax.set_ylim(len(rows) - 0.4, -0.6)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x")
        ax.set_axisbelow(True)
        ax.set_xlabel(axis_label or t["gap_axis"])
        negative, positive = sign_labels or (t["gap_negative"], t["gap_positive"])
        handles: list[Any] = [
            Patch(color=COLORS["vermillion"], label=negative),
            Patch(color=COLORS["blue"], label=positive),
            Line2D([], [], color="0.15", lw=1, marker="|", ms=8, label=t["ci"].format(level=level)),
        ]
        if uncertain.any():
            handles.append(Patch(color="0.6", alpha=0.45, label=t["ci_zero"]))
        _legend(fig, ax, handles, ncols=2, fontsize=8.5)
        _decorate(fig, title, t["gap_title"], note)
    return fig
