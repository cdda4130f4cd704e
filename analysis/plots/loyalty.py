"""Loyalty charts: NPS groups as stacked bars, and the satisfaction-loyalty matrix."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from analysis.plots.checks import _floats, _same_length, _strings
from analysis.plots.style import COLORS, _chart, _decorate, _legend
from analysis.plots.text import _words, _wrap

__all__ = ["loyalty_matrix", "nps_bars"]


def nps_bars(
    promoters: Sequence[float] | float,
    passives: Sequence[float] | float,
    detractors: Sequence[float] | float,
    labels: Sequence[str] | None = None,
    *,
    lang: str = "zh",
    title: str | None = None,
    note: str | None = None,
) -> Figure:
    """Stacked 100 % bars of detractors, passives and promoters, with the NPS and n of each bar.

    Parameters
    ----------
    promoters, passives, detractors : int or sequence of int
        Counts overall (scalars) or per segment, e.g. the columns of
        ``NpsSegmentsResult.counts`` or ``NpsResult.n_promoters`` etc.
    labels : sequence of str, optional
        Segment labels; needed for more than one bar (one bar is labelled "overall").
    lang : {"zh", "en"}
    title, note : str, optional

    Notes
    -----
    NPS = % promoters (9-10) - % detractors (0-6), from -100 to 100 (Reichheld 2003, The one
    number you need to grow. Harvard Business Review, 81(12), 46-54).
    """
    t = _words(lang)
    pro = _floats("promoters", promoters)
    pas = _floats("passives", passives)
    det = _floats("detractors", detractors)
    _same_length(promoters=pro, passives=pas, detractors=det)
    if labels is None:
        if len(pro) > 1:
            raise ValueError(f"labels are needed for {len(pro)} segments")
        names = [t["overall"]]
    else:
        names = _strings("labels", labels)
        _same_length(promoters=pro, labels=names)
    counts = np.column_stack([det, pas, pro])
    if (counts < 0).any():
        raise ValueError("counts must not be negative")
    n = counts.sum(axis=1)
    if (n == 0).any():
        raise ValueError(f"segment {names[int(np.flatnonzero(n == 0)[0])]!r} has no answers")
    pct = 100 * counts / n[:, None]
    score = pct[:, 2] - pct[:, 0]
    wrapped = [_wrap(s, 20) for s in names]
    with _chart(lang, wrapped, (6.4, 1.7 + 0.5 * len(names))) as (fig, ax):
        y = np.arange(len(names))
        left = np.zeros(len(names))
        for j, (key, color) in enumerate(
            (("detractors", COLORS["vermillion"]), ("passives", "#C8C8C8"), ("promoters", COLORS["green"]))
        ):
            ax.barh(y, pct[:, j], left=left, color=color, height=0.6, label=t[key], edgecolor="white", lw=0.6)
            for yi, start, v in zip(y, left, pct[:, j], strict=True):
                if v >= 7:
                    ax.text(
                        float(start + v / 2),
                        float(yi),
                        f"{v:.0f}%",
                        ha="center",
                        va="center",
                        fontsize=8.5,
                        color="0.05",
                    )
            left += pct[:, j]
        for yi, s, k in zip(y, score, n, strict=True):
            ax.text(101.5, float(yi), f"NPS {s:+.0f}\nn={int(k)}", va="center", ha="left", fontsize=9)
        ax.set_xlim(0, 100)
        ax.set_yticks(y, labels=wrapped)
        ax.set_ylim(len(names) - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(t["share"])
        _legend(fig, ax, ncols=3, fontsize=9)
        _decorate(fig, title, t["nps_title"], note)
    return fig


def loyalty_matrix(
    loyalists: int,
    mercenaries: int,
    hostages: int,
    defectors: int,
    *,
    lang: str = "zh",
    thresholds: tuple[float, float] | None = None,
    title: str | None = None,
    note: str | None = None,
) -> Figure:
    """Jones & Sasser's satisfaction-loyalty matrix: four cells with their count and share.

    Parameters
    ----------
    loyalists, mercenaries, hostages, defectors : int
        Counts, e.g. the fields of ``LoyaltyMatrixResult``.
    lang : {"zh", "en"}
    thresholds : (satisfied_if_ge, loyal_if_ge), optional
        Shown on the axes, e.g. ``(r.satisfied_if_ge, r.loyal_if_ge)``.
    title, note : str, optional

    Notes
    -----
    Satisfaction on the x axis, loyalty on the y axis: loyalists top right, mercenaries bottom
    right, hostages top left, defectors bottom left. Cells are shaded by their share.
    Jones, T. O., & Sasser, W. E. (1995). Why satisfied customers defect. Harvard Business
    Review, 73(6), 88-99.
    """
    t = _words(lang)
    counts = _floats("counts", [loyalists, mercenaries, hostages, defectors])
    if (counts < 0).any():
        raise ValueError("counts must not be negative")
    total = counts.sum()
    if total == 0:
        raise ValueError("the matrix is empty: all four counts are 0")
    cells = {"loyalists": (1, 1), "mercenaries": (1, 0), "hostages": (0, 1), "defectors": (0, 0)}
    cmap = mpl.colormaps["Blues"]
    with _chart(lang, [], (5.6, 5.0)) as (fig, ax):
        for (key, (cx, cy)), k in zip(cells.items(), counts, strict=True):
            share = k / total
            ax.add_patch(Rectangle((cx, cy), 1, 1, facecolor=cmap(0.12 + 0.7 * share), edgecolor="white", lw=3))
            ink = "white" if 0.12 + 0.7 * share > 0.55 else "0.1"
            ax.text(cx + 0.5, cy + 0.62, t[key], ha="center", va="center", fontsize=13, fontweight="bold", color=ink)
            ax.text(cx + 0.5, cy + 0.42, t[f"{key}_sub"], ha="center", va="center", fontsize=9, color=ink)
            ax.text(
                cx + 0.5,
                cy + 0.2,
                f"{100 * share:.1f}%  (n={int(k)})",
                ha="center",
                va="center",
                fontsize=11,
                color=ink,
            )
        ax.set_xlim(0, 2)
        ax.set_ylim(0, 2)
        ax.set_aspect("equal")
        ticks = [t["lo"], t["hi"]]
        xt, yt = ticks, ticks
        if thresholds is not None:
            sat_cut, loyal_cut = _floats("thresholds", thresholds)
            xt = [f"{t['lo']} (< {sat_cut:g})", f"{t['hi']} (≥ {sat_cut:g})"]
            yt = [f"{t['lo']} (< {loyal_cut:g})", f"{t['hi']} (≥ {loyal_cut:g})"]
        ax.set_xticks([0.5, 1.5], labels=xt)
        ax.set_yticks([0.5, 1.5], labels=yt, rotation=90, va="center")
        ax.tick_params(length=0)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.set_xlabel(t["satisfaction"])
        ax.set_ylabel(t["loyalty"])
        _decorate(fig, title, t["loyalty_title"], note)
    return fig
