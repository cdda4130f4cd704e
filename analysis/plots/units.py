"""Unit-level scatter: one point per dealer or department, for the links between two surveys."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from analysis.plots.checks import _floats, _same_length, _strings
from analysis.plots.style import COLORS, _chart, _decorate
from analysis.plots.text import _words

__all__ = ["unit_scatter"]


def unit_scatter(
    units: Sequence[str],
    x: Sequence[float],
    y: Sequence[float],
    *,
    lang: str = "zh",
    xlabel: str = "",
    ylabel: str = "",
    title: str | None = None,
    note: str | None = None,
) -> Figure:
    """One labelled point per unit with the least-squares line, e.g. step compliance against CSI.

    Parameters
    ----------
    units : sequence of str
        The unit codes or names, printed beside their points.
    x, y : sequence of float
        The two unit means.
    lang : {"zh", "en"}
        Only decides whether a CJK font is needed; the caller supplies every text.
    xlabel, ylabel, title, note : str
        The caller's wording (the note carries r, its CI and the number of units).

    Notes
    -----
    The line is the ordinary least-squares fit of y on x, drawn only with 3 or more units and
    some spread in x; it shows the direction, the report's table gives r and its interval.
    """
    _words(lang)
    names = _strings("units", units)
    xs, ys = _floats("x", x), _floats("y", y)
    _same_length(units=names, x=xs, y=ys)
    with _chart(lang, [*names, xlabel, ylabel, title or "", note or ""], (6.0, 4.4)) as (fig, ax):
        ax.scatter(xs, ys, s=28, color=COLORS["blue"], zorder=3)
        for name, a, b in zip(names, xs, ys, strict=True):
            ax.annotate(name, (a, b), xytext=(4, 3), textcoords="offset points", fontsize=8, color="0.25")
        if len(xs) >= 3 and np.ptp(xs) > 0:
            slope, intercept = np.polyfit(xs, ys, 1)
            line = np.array([xs.min(), xs.max()])
            ax.plot(line, intercept + slope * line, color=COLORS["vermillion"], lw=1.2, zorder=2)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(True)
        ax.set_axisbelow(True)
        ax.margins(0.12)
        _decorate(fig, title, "", note)
    return fig
