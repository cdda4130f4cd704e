"""The look shared by every chart: palette, rc settings, the figure set-up, title, legend.

Colours are the Okabe-Ito palette, which colour-blind readers can tell apart, and each category
also differs by marker or line style so that a grey print stays readable. Settings apply through
``rc_context`` inside each call, under :data:`_LOCK` because rcParams are global.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
from matplotlib import colors as mcolors
from matplotlib import transforms as mtransforms
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from analysis import fonts

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType


# Okabe & Ito (2008), "Color universal design": distinguishable with every common colour-vision deficiency.
COLORS = {
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "green": "#009E73",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "grey": "#8C8C8C",
    "black": "#000000",
}
KANO_COLORS = {
    "A": COLORS["blue"],
    "O": COLORS["green"],
    "M": COLORS["vermillion"],
    "I": COLORS["grey"],
    "R": COLORS["purple"],
    "Q": COLORS["orange"],
}
_KANO_MARKERS = {"A": "^", "O": "o", "M": "s", "I": "D", "R": "v", "Q": "X"}
_SERIES_STYLES = [
    (COLORS["blue"], "o", "-"),
    (COLORS["vermillion"], "s", "--"),
    (COLORS["green"], "^", "-."),
    (COLORS["orange"], "D", ":"),
    (COLORS["purple"], "v", "-"),
    (COLORS["sky"], "P", "--"),
    (COLORS["black"], "X", "-."),
]

_STYLE: dict[RcKeyType, Any] = {
    "font.size": 10.5,
    "axes.titlesize": 11.5,
    "axes.labelsize": 10.5,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 9.5,
    "figure.titlesize": 13,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "0.35",
    "axes.labelcolor": "0.15",
    "xtick.color": "0.3",
    "ytick.color": "0.3",
    "text.color": "0.1",
    "legend.frameon": False,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "figure.dpi": 100,
    "lines.linewidth": 2,
    "grid.color": "0.88",
    "grid.linewidth": 0.8,
}
# rcParams are global: charts built (or saved) in parallel threads take turns.
_LOCK = threading.RLock()


@contextmanager
def _chart(
    lang: str, texts: Sequence[str], size: tuple[float, float], *, polar: bool = False
) -> Iterator[tuple[Figure, Axes]]:
    """A new figure with one axes, built under the chart rc settings.

    On exit the figure is laid out once inside the same settings, so that tick labels, which
    matplotlib creates lazily, get the CJK font list as well.
    """
    needs = lang == "zh" or fonts.needs_cjk(texts)
    with _LOCK, mpl.rc_context(_STYLE | fonts.rc_params(require_cjk=needs)):
        fig = Figure(figsize=size, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot(projection="polar" if polar else None)
        yield fig, ax
        fig.draw_without_rendering()


def _decorate(fig: Figure, title: str | None, default: str, note: str | None) -> None:
    text = default if title is None else title
    if text:
        fig.suptitle(text, x=0.01, ha="left")
    if note:
        fig.supxlabel(note, x=0.01, ha="left", fontsize=8.5, color="0.35")


def _legend(
    fig: Figure, ax: Axes, handles: Sequence[Any] | None = None, *, ncols: int = 3, fontsize: float | None = None
) -> None:
    """Legend in rows above the axes, from the figure's left edge, below the title.

    An axes legend, unlike a figure legend placed "outside", is part of the axes' layout box, so
    constrained layout stacks it under the suptitle instead of on top of it.
    """
    if handles is None:
        handles = ax.get_legend_handles_labels()[0]
    handles = list(handles)
    ncols = max(1, min(ncols, len(handles)))
    rows = math.ceil(len(handles) / ncols)
    # matplotlib fills legend columns first; reorder so that entries read across rows.
    ordered = [handles[i * ncols + j] for j in range(ncols) for i in range(rows) if i * ncols + j < len(handles)]
    anchor = mtransforms.blended_transform_factory(fig.transFigure, ax.transAxes)
    ax.legend(
        handles=ordered,
        loc="lower left",
        bbox_to_anchor=(0.01, 1.02),
        bbox_transform=anchor,
        ncols=ncols,
        borderaxespad=0,
        fontsize=fontsize,
        handlelength=1.6,
        columnspacing=1.4,
    )


def _ink(color: str) -> tuple[float, float, float]:
    """A darker shade of a palette colour, for text: the light Okabe-Ito hues are too faint on white."""
    r, g, b = mcolors.to_rgb(color)
    return (0.7 * r, 0.7 * g, 0.7 * b)
