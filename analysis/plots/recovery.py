"""Service recovery: the Pareto chart of why customers left or complained."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from analysis.plots.checks import _floats, _same_length, _strings
from analysis.plots.style import COLORS, _chart, _decorate, _legend
from analysis.plots.text import _fits, _words, _wrap

__all__ = ["pareto"]


def pareto(
    reasons: Sequence[str],
    counts: Sequence[float],
    *,
    lang: str = "zh",
    cutoff: float = 80.0,
    title: str | None = None,
    note: str | None = None,
) -> Figure:
    """Pareto chart: reasons sorted by count with the cumulative percent and a reference line.

    Parameters
    ----------
    reasons : sequence of str
        Reason labels in the reader's language (e.g. why customers left).
    counts : sequence of float
        How often each was given; the percent base is their sum (for a multiple-choice question
        that is mentions, not respondents: say so in ``note``).
    lang : {"zh", "en"}
    cutoff : float
        The reference line, 80 % by the usual 80/20 rule; bars up to the first that reaches it are
        dark ("the vital few").
    title, note : str, optional
    """
    t = _words(lang)
    names = _strings("reasons", reasons)
    c = _floats("counts", counts)
    _same_length(reasons=names, counts=c)
    if (c < 0).any():
        raise ValueError("counts must not be negative")
    if c.sum() == 0:
        raise ValueError("counts are all 0")
    if not 0 < cutoff < 100:
        raise ValueError(f"cutoff must lie between 0 and 100, got {cutoff!r}")
    order = np.argsort(-c, kind="stable")
    c = c[order]
    names = [names[i] for i in order]
    cum = 100 * np.cumsum(c) / c.sum()
    vital = int(np.searchsorted(cum, cutoff - 1e-9)) + 1
    # about 60 columns of 10-point text fit under the bars; rotate the labels only if they cannot wrap into a slot
    slot = 60 // len(names)
    rotate = slot < 6 or not all(_fits(s, slot, 3) for s in names)
    ticks = [_wrap(s, 16 if rotate else slot) for s in names]
    with _chart(lang, ticks, (6.4, 4.4)) as (fig, ax):
        x = np.arange(len(names))
        colors = [COLORS["blue"] if i < vital else COLORS["sky"] for i in range(len(names))]
        bars = ax.bar(x, c, color=colors, width=0.65, label=t["count"])
        ax.bar_label(bars, labels=[f"{v:g}" for v in c], fontsize=8.5, padding=2)
        ax.set_xticks(x, labels=ticks)
        if rotate:
            ax.tick_params(axis="x", labelrotation=35)
            for lab in ax.get_xticklabels():
                lab.set_horizontalalignment("right")
                lab.set_rotation_mode("anchor")
        ax.set_ylabel(t["count"])
        ax.set_ylim(0, c.max() * 1.15)
        cum_ax = ax.twinx()
        cum_ax.plot(x, cum, color=COLORS["vermillion"], marker="o", ms=5, lw=1.8, label=t["cumulative"])
        cum_ax.axhline(cutoff, color="0.4", ls="--", lw=1)
        cum_ax.text(x[-1] + 0.45, cutoff, f"{cutoff:g}%", va="bottom", ha="right", fontsize=8.5, color="0.3")
        cum_ax.set_ylim(0, 105)
        cum_ax.set_ylabel(t["cumulative"])
        cum_ax.spines["right"].set_visible(True)
        cum_ax.spines["top"].set_visible(False)
        _legend(fig, cum_ax, [bars, *cum_ax.get_lines()[:1]], ncols=2)
        _decorate(fig, title, t["pareto_title"], note)
    return fig
