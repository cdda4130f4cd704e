"""The importance-performance grid (Martilla & James 1977)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from analysis.plots.checks import _floats, _same_length, _strings
from analysis.plots.placement import _place_labels
from analysis.plots.style import COLORS, _chart, _decorate, _ink
from analysis.plots.text import _words, _wrap

__all__ = ["ipa_grid"]


def ipa_grid(
    importance: Sequence[float],
    performance: Sequence[float],
    labels: Sequence[str],
    crosshair: tuple[float, float],
    *,
    lang: str = "zh",
    importance_label: str | None = None,
    performance_label: str | None = None,
    title: str | None = None,
    note: str | None = None,
) -> Figure:
    """Importance-performance grid with Martilla & James's four quadrants.

    Parameters
    ----------
    importance, performance : sequence of float
        Per attribute, e.g. ``IPAResult.to_frame()`` columns ``mean_importance`` and
        ``mean_performance``, or derived importance.
    labels : sequence of str
        Attribute labels in the reader's language.
    crosshair : (importance, performance)
        Where the quadrant lines cross, e.g. ``IPAResult.crosshair``.
    lang : {"zh", "en"}
    importance_label, performance_label : str, optional
        Axis titles, e.g. when importance is derived from a regression.
    title, note : str, optional

    Notes
    -----
    Performance on the x axis, importance on the y axis; a point on a line counts as high, as in
    :func:`analysis.ipa.quadrants`. Points and quadrant names share a colour: vermillion
    "Concentrate here" (high importance, low performance), green "Keep up the good work", grey
    "Low priority", orange "Possible overkill".
    Martilla, J. A., & James, J. C. (1977). Importance-performance analysis. Journal of
    Marketing, 41(1), 77-79. https://doi.org/10.1177/002224297704100112
    """
    t = _words(lang)
    imp = _floats("importance", importance)
    perf = _floats("performance", performance)
    names = _strings("labels", labels)
    _same_length(importance=imp, performance=perf, labels=names)
    if len(crosshair) != 2:
        raise ValueError(f"crosshair must be (importance, performance), got {crosshair!r}")
    c_imp, c_perf = _floats("crosshair", crosshair)
    quadrant_style = {
        (True, False): ("concentrate", COLORS["vermillion"], "s"),
        (True, True): ("keep", COLORS["green"], "o"),
        (False, False): ("low", COLORS["grey"], "D"),
        (False, True): ("overkill", COLORS["orange"], "^"),
    }
    wrapped = [_wrap(n, 18) for n in names]
    with _chart(lang, wrapped, (6.4, 5.4)) as (fig, ax):
        xs = np.append(perf, c_perf)
        ys = np.append(imp, c_imp)
        xpad = 0.12 * (np.ptp(xs) or 1.0)
        ypad = 0.12 * (np.ptp(ys) or 1.0)
        x0, x1, y0, y1 = xs.min() - xpad, xs.max() + xpad, ys.min() - ypad, ys.max() + ypad
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.add_patch(Rectangle((x0, c_imp), c_perf - x0, y1 - c_imp, color=COLORS["vermillion"], alpha=0.06, lw=0))
        ax.axvline(c_perf, color="0.4", lw=1, ls="--")
        ax.axhline(c_imp, color="0.4", lw=1, ls="--")
        for (high_imp, high_perf), (key, color, marker) in quadrant_style.items():
            mask = (imp >= c_imp) == high_imp
            mask &= (perf >= c_perf) == high_perf
            if mask.any():
                ax.scatter(
                    perf[mask],
                    imp[mask],
                    s=46,
                    color=color,
                    marker=marker,
                    edgecolor="white",
                    linewidth=0.6,
                    zorder=3,
                    label=t[key],
                )
        corners = []
        for (high_imp, high_perf), (key, color, _) in quadrant_style.items():
            corners.append(
                ax.text(
                    0.98 if high_perf else 0.02,
                    0.98 if high_imp else 0.02,
                    t[key],
                    transform=ax.transAxes,
                    ha="right" if high_perf else "left",
                    va="top" if high_imp else "bottom",
                    fontsize=10,
                    fontweight="bold",
                    color=_ink(color),
                )
            )
        ax.set_xlabel(performance_label or t["performance"])
        ax.set_ylabel(importance_label or t["importance"])
        _decorate(fig, title, t["ipa_title"], note)
        _place_labels(ax, perf, imp, wrapped, avoid=corners)
    return fig
