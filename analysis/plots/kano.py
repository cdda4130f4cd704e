"""The Kano Better-Worse scatter (Berger et al. 1993)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from analysis.plots.checks import _floats, _same_length, _strings
from analysis.plots.placement import _place_labels
from analysis.plots.style import _KANO_MARKERS, KANO_COLORS, _chart, _decorate, _ink, _legend
from analysis.plots.text import _words, _wrap

__all__ = ["kano_scatter"]


def kano_scatter(
    better: Sequence[float],
    worse: Sequence[float],
    labels: Sequence[str],
    categories: Sequence[str],
    *,
    lang: str = "zh",
    title: str | None = None,
    note: str | None = None,
) -> Figure:
    """Better vs |Worse| scatter of Kano attributes, coloured by their category.

    Parameters
    ----------
    better, worse : sequence of float
        Berger et al.'s customer-satisfaction coefficients per attribute, e.g.
        ``KanoResult.to_frame()`` columns ``better`` and ``worse``. Worse may be given as it is
        defined (<= 0) or as its absolute value; NaN (no A, O, M or I answer) is listed in a note.
    labels : sequence of str
        Attribute labels in the reader's language.
    categories : sequence of str
        Category per attribute, one of A O M I R Q (e.g. the ``dominant`` column).
    lang : {"zh", "en"}
    title, note : str, optional

    Notes
    -----
    Better = (A + O)/(A + O + M + I), Worse = -(O + M)/(A + O + M + I). The lines at 0.5 split the
    plane into attractive (top left), one-dimensional (top right), must-be (bottom right) and
    indifferent (bottom left).
    Berger, C., et al. (1993). Kano's methods for understanding customer-defined quality. Center
    for Quality Management Journal, 2(4), 3-36.
    """
    t = _words(lang)
    b = _floats("better", better, allow_nan=True)
    w = _floats("worse", worse, allow_nan=True)
    names = _strings("labels", labels)
    cats = _strings("categories", categories)
    _same_length(better=b, worse=w, labels=names, categories=cats)
    unknown = sorted({c for c in cats if c not in KANO_COLORS})
    if unknown:
        raise ValueError(f"categories must be A, O, M, I, R or Q, got {', '.join(map(repr, unknown))}")
    if np.nanmin(w, initial=0.0) < 0 and np.nanmax(w, initial=0.0) > 0:
        raise ValueError("worse mixes signs: give Berger's Worse (all <= 0) or its absolute value (all >= 0)")
    w = np.abs(w)
    for name, values in (("better", b), ("worse", w)):
        if (values[~np.isnan(values)] > 1 + 1e-9).any():
            raise ValueError(f"{name} must lie between -1 and 1 (a share of answers), got {np.nanmax(values):g}")
    shown = ~(np.isnan(b) | np.isnan(w))
    wrapped = [_wrap(n, 18) for n in names]
    with _chart(lang, wrapped, (6.4, 5.6)) as (fig, ax):
        ax.set_xlim(-0.03, 1.03)
        ax.set_ylim(-0.03, 1.03)
        ax.axvline(0.5, color="0.4", lw=1, ls="--")
        ax.axhline(0.5, color="0.4", lw=1, ls="--")
        corners = [
            ax.text(
                x,
                y,
                t[c],
                transform=ax.transAxes,
                ha=ha,
                va=va,
                fontsize=10,
                fontweight="bold",
                color=_ink(KANO_COLORS[c]),
            )
            for c, x, y, ha, va in (
                ("A", 0.02, 0.98, "left", "top"),
                ("O", 0.98, 0.98, "right", "top"),
                ("M", 0.98, 0.02, "right", "bottom"),
                ("I", 0.02, 0.02, "left", "bottom"),
            )
        ]
        for c in "AOMIRQ":
            mask = shown & (np.asarray(cats) == c)
            if mask.any():
                ax.scatter(
                    w[mask],
                    b[mask],
                    s=50,
                    color=KANO_COLORS[c],
                    marker=_KANO_MARKERS[c],
                    edgecolor="white",
                    linewidth=0.6,
                    zorder=3,
                    label=f"{c} {t[c]}",
                )
        ax.set_xlabel(t["kano_x"])
        ax.set_ylabel(t["kano_y"])
        _legend(fig, ax, ncols=4, fontsize=9)
        missing = [n for n, s in zip(names, shown, strict=True) if not s]
        extra = t["not_plotted"].format(items=", ".join(missing)) if missing else None
        _decorate(fig, title, t["kano_title"], "\n".join(x for x in (note, extra) if x) or None)
        _place_labels(ax, w[shown], b[shown], [n for n, s in zip(wrapped, shown, strict=True) if s], avoid=corners)
    return fig
