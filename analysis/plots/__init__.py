"""Charts for the satisfaction report, each a function returning a matplotlib ``Figure``.

Every function takes the numbers (plain sequences, Series, or columns of a result's
``to_frame()``), the item or dimension labels in the reader's language, and ``lang="zh"|"en"``
for its own fixed wording (titles, axis titles, legends, quadrant names). ``title`` replaces the
default title (``""`` drops it) and ``note`` adds a footnote, e.g. the base and the test.

The figures are built on ``matplotlib.figure.Figure`` with an Agg canvas, never through pyplot,
so no global figure state is touched and the functions can run in a web server; they work in a
notebook as they are. Settings (fonts, sizes) apply through ``rc_context`` inside each call,
under a lock because rcParams are global. Chinese text uses an installed CJK font
(:mod:`analysis.fonts`). Colours are the Okabe-Ito palette, which colour-blind readers can tell
apart, and each category also differs by marker or line style so that a grey print stays
readable.

For a self-contained HTML report, :func:`to_png_base64` (150 dpi, a 128-colour palette: about
20-50 KB of base64 a chart, sharp on a phone) is the smaller choice; :func:`to_svg` (vector, text
drawn as paths so no font is needed: 25-140 KB, the Chinese glyph outlines being most of it)
zooms and prints sharper. Neither refers to anything outside itself.
"""
from __future__ import annotations

import base64
import html
import io
import math
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

import matplotlib as mpl
from matplotlib import colors as mcolors
from matplotlib import transforms as mtransforms
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.projections.polar import PolarAxes
from matplotlib.text import Text
from PIL import Image

from analysis import fonts

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = [
    "COLORS",
    "KANO_COLORS",
    "bar",
    "funnel",
    "gap_bars",
    "ipa_grid",
    "kano_category_name",
    "kano_scatter",
    "line",
    "loyalty_matrix",
    "nps_bars",
    "pareto",
    "profile_bars",
    "quadrant_name",
    "radar",
    "to_png_base64",
    "to_svg",
    "waves_line",
]

# Okabe & Ito (2008), "Color universal design": distinguishable with every common colour-vision deficiency.
COLORS = {
    "blue": "#0072B2", "vermillion": "#D55E00", "green": "#009E73", "orange": "#E69F00",
    "sky": "#56B4E9", "purple": "#CC79A7", "yellow": "#F0E442", "grey": "#8C8C8C", "black": "#000000",
}
KANO_COLORS = {"A": COLORS["blue"], "O": COLORS["green"], "M": COLORS["vermillion"], "I": COLORS["grey"],
               "R": COLORS["purple"], "Q": COLORS["orange"]}
_KANO_MARKERS = {"A": "^", "O": "o", "M": "s", "I": "D", "R": "v", "Q": "X"}
_SERIES_STYLES = [(COLORS["blue"], "o", "-"), (COLORS["vermillion"], "s", "--"), (COLORS["green"], "^", "-."),
                  (COLORS["orange"], "D", ":"), (COLORS["purple"], "v", "-"), (COLORS["sky"], "P", "--"),
                  (COLORS["black"], "X", "-.")]

_STYLE: dict[RcKeyType, Any] = {
    "font.size": 10.5, "axes.titlesize": 11.5, "axes.labelsize": 10.5, "xtick.labelsize": 10,
    "ytick.labelsize": 10, "legend.fontsize": 9.5, "figure.titlesize": 13, "figure.titleweight": "bold",
    "axes.spines.top": False, "axes.spines.right": False, "axes.edgecolor": "0.35", "axes.labelcolor": "0.15",
    "xtick.color": "0.3", "ytick.color": "0.3", "text.color": "0.1", "legend.frameon": False,
    "figure.facecolor": "white", "savefig.facecolor": "white", "figure.dpi": 100, "lines.linewidth": 2,
    "grid.color": "0.88", "grid.linewidth": 0.8,
}
# rcParams are global: charts built (or saved) in parallel threads take turns.
_LOCK = threading.RLock()
_LANGS = ("zh", "en")
_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "radar_title": "SERVQUAL: expectation vs perception", "expectation": "Expectation", "perception": "Perception",
        "gap_title": "SERVQUAL gaps (perception − expectation)", "gap_axis": "Gap (perception − expectation)",
        "gap_negative": "Negative gap: perception below expectation", "gap_positive": "Gap of zero or above",
        "ci": "{level}% CI", "ci_zero": "CI includes 0 (lighter)",
        "ipa_title": "Importance–performance analysis", "importance": "Importance (mean)",
        "performance": "Performance (mean)", "concentrate": "Concentrate here", "keep": "Keep up the good work",
        "low": "Low priority", "overkill": "Possible overkill",
        "kano_title": "Kano: Better vs |Worse|", "kano_x": "|Worse|: dissatisfaction if absent",
        "kano_y": "Better: satisfaction if present", "A": "Attractive", "O": "One-dimensional", "M": "Must-be",
        "I": "Indifferent", "R": "Reverse", "Q": "Questionable", "not_plotted": "Not plotted (no A, O, M or I answer): {items}",
        "nps_title": "Net Promoter Score", "detractors": "Detractors (0–6)", "passives": "Passives (7–8)",
        "promoters": "Promoters (9–10)", "overall": "Overall", "share": "Share of respondents (%)",
        "loyalty_title": "Satisfaction–loyalty matrix", "loyalists": "Loyalists", "mercenaries": "Mercenaries",
        "hostages": "Hostages", "defectors": "Defectors", "loyalists_sub": "satisfied and loyal",
        "mercenaries_sub": "satisfied, not loyal", "hostages_sub": "loyal, not satisfied",
        "defectors_sub": "neither", "satisfaction": "Satisfaction", "loyalty": "Loyalty (recommend / return)",
        "lo": "low", "hi": "high",
        "funnel_title": "Comparison of units (funnel plot)", "funnel_x": "Number of responses (n)",
        "mean": "Mean", "centre": "Centre line", "limits": "{level}% limits", "within": "Within limits",
        "outside": "Outside {level}%",
        "waves_title": "Index over waves", "index": "Index", "wave": "Wave",
        "profile_title": "Self-assessment profile", "pct_max": "Percent of the maximum score",
        "pareto_title": "Reasons for leaving (Pareto)", "count": "Count", "cumulative": "Cumulative %",
    },
    "zh": {
        "radar_title": "SERVQUAL：期望与感知", "expectation": "期望", "perception": "感知",
        "gap_title": "SERVQUAL 差距（感知 − 期望）", "gap_axis": "差距（感知 − 期望）",
        "gap_negative": "负差距：感知低于期望", "gap_positive": "差距为零或正",
        "ci": "{level}% 置信区间", "ci_zero": "置信区间含 0（浅色）",
        "ipa_title": "重要性–绩效分析（IPA）", "importance": "重要性（均值）", "performance": "绩效表现（均值）",
        "concentrate": "重点改进", "keep": "继续保持", "low": "低优先级", "overkill": "可能过度投入",
        "kano_title": "Kano 模型：Better–Worse 系数", "kano_x": "|Worse|：不具备时的不满意影响",
        "kano_y": "Better：具备时的满意提升", "A": "魅力属性", "O": "期望属性", "M": "必备属性",
        "I": "无差异属性", "R": "反向属性", "Q": "可疑结果", "not_plotted": "未绘出（无 A、O、M、I 回答）：{items}",
        "nps_title": "净推荐值（NPS）", "detractors": "贬损者（0–6）", "passives": "被动者（7–8）",
        "promoters": "推荐者（9–10）", "overall": "总体", "share": "受访者占比（%）",
        "loyalty_title": "满意度–忠诚度矩阵", "loyalists": "忠诚者", "mercenaries": "图利者",
        "hostages": "人质", "defectors": "叛离者", "loyalists_sub": "满意且忠诚",
        "mercenaries_sub": "满意但不忠诚", "hostages_sub": "忠诚但不满意", "defectors_sub": "既不满意也不忠诚",
        "satisfaction": "满意度", "loyalty": "忠诚度（推荐/再次光顾）", "lo": "低", "hi": "高",
        "funnel_title": "网点比较（漏斗图）", "funnel_x": "回答数（n）", "mean": "均值", "centre": "中心线",
        "limits": "{level}% 控制限", "within": "在控制限内", "outside": "超出 {level}% 控制限",
        "waves_title": "各期指数变化", "index": "指数", "wave": "调查期",
        "profile_title": "自评得分概况", "pct_max": "占满分的百分比",
        "pareto_title": "客户流失原因（帕累托图）", "count": "次数", "cumulative": "累计百分比",
    },
}
_NO_LINE_START = set("，。、；：！？）》」』”’%")  # CJK punctuation that may not begin a wrapped line


# ---------------------------------------------------------------------------------------------------------------
# input checks and text

_QUADRANT_KEYS = {"Concentrate here": "concentrate", "Keep up the good work": "keep", "Low priority": "low",
                  "Possible overkill": "overkill"}


def quadrant_name(quadrant: str, lang: str) -> str:
    """An IPA quadrant (as :func:`analysis.ipa.quadrants` names it) in ``lang``, worded as on the grid."""
    return _words(lang)[_QUADRANT_KEYS[quadrant]]


def kano_category_name(category: str, lang: str) -> str:
    """A Kano category letter (A O M I R Q) in ``lang``, worded as on the scatter."""
    return _words(lang)[category]


def _words(lang: str) -> dict[str, str]:
    if lang not in _LANGS:
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    return _TEXT[lang]


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


def _width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def _wrap(text: str, width: int) -> str:
    """Wrap at ``width`` columns, a CJK character counting 2; Latin words are never split."""
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        tokens: list[str] = []
        word = ""
        for ch in paragraph:
            if ch.isspace() or _width(ch) == 2:
                if word:
                    tokens.append(word)
                    word = ""
                tokens.append(" " if ch.isspace() else ch)
            else:
                word += ch
        if word:
            tokens.append(word)
        line, used = "", 0
        for tok in tokens:
            w = sum(_width(c) for c in tok)
            if line and used + w > width and tok != " " and tok not in _NO_LINE_START:
                lines.append(line.rstrip())
                line, used = "", 0
            if not line and tok == " ":
                continue
            line, used = line + tok, used + w
        lines.append(line.rstrip())
    return "\n".join(lines)


def _fits(text: str, width: int, max_lines: int) -> bool:
    """``text`` wraps at ``width`` into at most ``max_lines`` lines, no word sticking out."""
    lines = _wrap(text, width).split("\n")
    return len(lines) <= max_lines and all(sum(_width(c) for c in line) <= width for line in lines)


def _level(conf_level: float) -> str:
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be between 0 and 1, got {conf_level!r}")
    return f"{100 * conf_level:g}"


# ---------------------------------------------------------------------------------------------------------------
# figure set-up

@contextmanager
def _chart(lang: str, texts: Sequence[str], size: tuple[float, float], *,
           polar: bool = False) -> Iterator[tuple[Figure, Axes]]:
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


def _legend(fig: Figure, ax: Axes, handles: Sequence[Any] | None = None, *, ncols: int = 3,
            fontsize: float | None = None) -> None:
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
    ax.legend(handles=ordered, loc="lower left", bbox_to_anchor=(0.01, 1.02), bbox_transform=anchor, ncols=ncols,
              borderaxespad=0, fontsize=fontsize, handlelength=1.6, columnspacing=1.4)


def _ink(color: str) -> tuple[float, float, float]:
    """A darker shade of a palette colour, for text: the light Okabe-Ito hues are too faint on white."""
    r, g, b = mcolors.to_rgb(color)
    return (0.7 * r, 0.7 * g, 0.7 * b)


def _boxes(artists: Sequence[Text], renderer: Any) -> list[tuple[float, float, float, float]]:
    out = []
    for a in artists:
        bb = a.get_window_extent(renderer)
        out.append((bb.x0, bb.y0, bb.x1, bb.y1))
    return out


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _place_labels(ax: Axes, x: np.ndarray, y: np.ndarray, labels: Sequence[str], *, size: float = 9,
                  avoid: Sequence[Text] = (), color: str = "0.15") -> None:
    """Label points, each at the nearest of 24 spots around it that collides least.

    Spots lie at three distances in eight directions; a label is compared with the markers and
    the labels already placed and with ``avoid`` (e.g. quadrant names), and must stay inside the
    axes. Labels set away from their point get a thin leader line. Call this last: it needs the
    final layout.
    """
    fig = ax.get_figure()
    assert isinstance(fig, Figure)  # an axes made by _chart always has its figure
    fig.draw_without_rendering()
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    px = fig.dpi / 72
    pts = ax.transData.transform(np.column_stack([x, y]))
    frame = ax.get_window_extent(renderer)
    r_mark = 4.5 * px
    taken = [(X - r_mark, Y - r_mark, X + r_mark, Y + r_mark) for X, Y in pts] + _boxes(avoid, renderer)
    steps = [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1)]
    for (X, Y), x_data, y_data, label in zip(pts, x, y, labels):
        probe = Text(0, 0, label, fontsize=size)
        probe.set_figure(fig)
        bb = probe.get_window_extent(renderer)
        w, h = bb.width, bb.height
        best: tuple[float, float, float, int] | None = None
        for ring, gap in enumerate((2.0, 9.0, 18.0)):
            for dx, dy in steps:
                cx = X + dx * (w / 2 + r_mark + gap * px)
                cy = Y + dy * (h / 2 + r_mark * 0.6 + gap * px)
                box = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
                inside = _overlap(box, (frame.x0, frame.y0, frame.x1, frame.y1))
                cost = sum(_overlap(box, t) for t in taken) + 3 * (w * h - inside) + ring * 0.08 * w * h
                if best is None or cost < best[0]:
                    best = (cost, cx, cy, ring)
            if best is not None and best[0] == ring * 0.08 * w * h:
                break  # a free spot at this distance: nothing further out can be better
        assert best is not None
        _, cx, cy, ring = best
        arrow = {"arrowstyle": "-", "color": "0.55", "lw": 0.6, "shrinkA": 0, "shrinkB": 4} if ring else None
        ann = ax.annotate(label, (float(x_data), float(y_data)), xytext=((cx - X) / px, (cy - Y) / px),
                          textcoords="offset points", ha="center", va="center", fontsize=size, color=color,
                          arrowprops=arrow, annotation_clip=False,
                          bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "edgecolor": "none", "alpha": 0.75})
        ann.set_in_layout(False)
        taken.append((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))


# ---------------------------------------------------------------------------------------------------------------
# SERVQUAL

def radar(dimensions: Sequence[str], expectation: Sequence[float], perception: Sequence[float], *,
          lang: str = "zh", scale: tuple[float, float] | None = None, title: str | None = None,
          note: str | None = None) -> Figure:
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
        ax.plot(closed, np.append(e, e[0]), color=COLORS["black"], ls="--", lw=1.6, marker="o", ms=5,
                label=t["expectation"])
        ax.plot(closed, np.append(p, p[0]), color=COLORS["blue"], lw=2.2, marker="s", ms=5,
                label=t["perception"])
        ax.fill(closed, np.append(p, p[0]), color=COLORS["blue"], alpha=0.12)
        ax.set_ylim(low, high)
        step = 1.0 if high - low <= 8 else float(math.ceil((high - low) / 6))
        ax.set_yticks(np.arange(math.ceil(low), high + 1e-9, step))
        ax.tick_params(axis="y", labelsize=8.5, labelcolor="0.45")
        ax.set_rlabel_position(180 / len(names))
        ax.set_xticks(angles, labels=[f"{_wrap(n, 16)}\n{g:+.2f}" for n, g in zip(names, p - e)])
        for lab, a in zip(ax.get_xticklabels(), angles):
            s = math.sin(a)
            lab.set_horizontalalignment("center" if abs(s) < 0.2 else ("left" if s > 0 else "right"))
        ax.tick_params(axis="x", pad=8)
        ax.grid(color="0.85")
        ax.spines["polar"].set_color("0.7")
        fig.legend(loc="outside lower center", ncols=2)
        _decorate(fig, title, t["radar_title"], note)
    return fig


def gap_bars(frame: pd.DataFrame, *, lang: str = "zh", labels: Mapping[str, str] | None = None,
             id_column: str | None = None, gap_column: str = "mean", conf_level: float = 0.95,
             title: str | None = None, note: str | None = None) -> Figure:
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
        raise ValueError(f"frame lacks column(s) {', '.join(map(repr, missing))} (has {', '.join(map(str, frame.columns))})")
    if frame.empty:
        raise ValueError("frame is empty")
    names = labels or {}
    ids = [str(v) for v in frame[id_column]]
    gap = _floats(gap_column, frame[gap_column])
    low = _floats("ci_low", frame["ci_low"], allow_nan=True)
    high = _floats("ci_high", frame["ci_high"], allow_nan=True)
    for i, item in enumerate(ids):
        if (not np.isnan(low[i]) and low[i] > gap[i] + 1e-12) or (not np.isnan(high[i]) and high[i] < gap[i] - 1e-12):
            raise ValueError(f"{id_column} {item!r}: the interval [{low[i]:g}, {high[i]:g}] does not contain the gap {gap[i]:g}")
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
        at = [float(y) for y, (_, i) in zip(ypos, rows) if i is not None]
        idx = [i for _, i in rows if i is not None]
        g = gap[idx]
        lo, hi = low[idx], high[idx]
        uncertain = ~((lo > 0) | (hi < 0))
        colors = [COLORS["vermillion"] if v < 0 else COLORS["blue"] for v in g]
        bars = ax.barh(at, g, color=colors, height=0.62)
        for patch, u in zip(bars.patches, uncertain):
            if u:
                patch.set_alpha(0.45)
        ok = ~(np.isnan(lo) | np.isnan(hi))
        if ok.any():
            ax.errorbar(g[ok], np.asarray(at)[ok], xerr=[g[ok] - lo[ok], hi[ok] - g[ok]], fmt="none",
                        ecolor="0.15", elinewidth=1, capsize=2.5)
        ends = np.column_stack([g, np.where(np.isnan(lo), g, lo), np.where(np.isnan(hi), g, hi)])
        left, right = min(0.0, float(ends.min())), max(0.0, float(ends.max()))
        pad = 0.03 * (right - left or 1.0)
        for y, v, row in zip(at, g, ends):
            x = row.max() + pad if v >= 0 else row.min() - pad
            ax.text(float(x), y, f"{v:+.2f}", va="center", ha="left" if v >= 0 else "right", fontsize=8.5, color="0.2")
        span = right - left or 1.0
        ax.set_xlim(left - 0.16 * span, right + 0.16 * span)
        ax.axvline(0, color="0.2", lw=0.9)
        ax.set_yticks(ypos, labels=texts)
        for lab, (_, where) in zip(ax.get_yticklabels(), rows):
            if where is None:
                lab.set_fontweight("bold")
        ax.set_ylim(len(rows) - 0.4, -0.6)
        ax.tick_params(axis="y", length=0)
        ax.grid(axis="x")
        ax.set_axisbelow(True)
        ax.set_xlabel(t["gap_axis"])
        handles: list[Any] = [Patch(color=COLORS["vermillion"], label=t["gap_negative"]),
                              Patch(color=COLORS["blue"], label=t["gap_positive"]),
                              Line2D([], [], color="0.15", lw=1, marker="|", ms=8, label=t["ci"].format(level=level))]
        if uncertain.any():
            handles.append(Patch(color="0.6", alpha=0.45, label=t["ci_zero"]))
        _legend(fig, ax, handles, ncols=2, fontsize=8.5)
        _decorate(fig, title, t["gap_title"], note)
    return fig


# ---------------------------------------------------------------------------------------------------------------
# priorities: IPA and Kano

def ipa_grid(importance: Sequence[float], performance: Sequence[float], labels: Sequence[str],
             crosshair: tuple[float, float], *, lang: str = "zh", importance_label: str | None = None,
             performance_label: str | None = None, title: str | None = None, note: str | None = None) -> Figure:
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
        (True, False): ("concentrate", COLORS["vermillion"], "s"), (True, True): ("keep", COLORS["green"], "o"),
        (False, False): ("low", COLORS["grey"], "D"), (False, True): ("overkill", COLORS["orange"], "^"),
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
                ax.scatter(perf[mask], imp[mask], s=46, color=color, marker=marker, edgecolor="white",
                           linewidth=0.6, zorder=3, label=t[key])
        corners = []
        for (high_imp, high_perf), (key, color, _) in quadrant_style.items():
            corners.append(ax.text(0.98 if high_perf else 0.02, 0.98 if high_imp else 0.02, t[key],
                                   transform=ax.transAxes, ha="right" if high_perf else "left",
                                   va="top" if high_imp else "bottom", fontsize=10, fontweight="bold", color=_ink(color)))
        ax.set_xlabel(performance_label or t["performance"])
        ax.set_ylabel(importance_label or t["importance"])
        _decorate(fig, title, t["ipa_title"], note)
        _place_labels(ax, perf, imp, wrapped, avoid=corners)
    return fig


def kano_scatter(better: Sequence[float], worse: Sequence[float], labels: Sequence[str],
                 categories: Sequence[str], *, lang: str = "zh", title: str | None = None,
                 note: str | None = None) -> Figure:
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
        corners = [ax.text(x, y, t[c], transform=ax.transAxes, ha=ha, va=va, fontsize=10, fontweight="bold",
                           color=_ink(KANO_COLORS[c]))
                   for c, x, y, ha, va in (("A", 0.02, 0.98, "left", "top"), ("O", 0.98, 0.98, "right", "top"),
                                           ("M", 0.98, 0.02, "right", "bottom"), ("I", 0.02, 0.02, "left", "bottom"))]
        for c in "AOMIRQ":
            mask = shown & (np.asarray(cats) == c)
            if mask.any():
                ax.scatter(w[mask], b[mask], s=50, color=KANO_COLORS[c], marker=_KANO_MARKERS[c], edgecolor="white",
                           linewidth=0.6, zorder=3, label=f"{c} {t[c]}")
        ax.set_xlabel(t["kano_x"])
        ax.set_ylabel(t["kano_y"])
        _legend(fig, ax, ncols=4, fontsize=9)
        missing = [n for n, s in zip(names, shown) if not s]
        extra = t["not_plotted"].format(items=", ".join(missing)) if missing else None
        _decorate(fig, title, t["kano_title"], "\n".join(x for x in (note, extra) if x) or None)
        _place_labels(ax, w[shown], b[shown], [n for n, s in zip(wrapped, shown) if s], avoid=corners)
    return fig


# ---------------------------------------------------------------------------------------------------------------
# loyalty

def nps_bars(promoters: Sequence[float] | float, passives: Sequence[float] | float,
             detractors: Sequence[float] | float, labels: Sequence[str] | None = None, *, lang: str = "zh",
             title: str | None = None, note: str | None = None) -> Figure:
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
        for j, (key, color) in enumerate((("detractors", COLORS["vermillion"]), ("passives", "#C8C8C8"),
                                          ("promoters", COLORS["green"]))):
            ax.barh(y, pct[:, j], left=left, color=color, height=0.6, label=t[key], edgecolor="white", lw=0.6)
            for yi, l, v in zip(y, left, pct[:, j]):
                if v >= 7:
                    ax.text(float(l + v / 2), float(yi), f"{v:.0f}%", ha="center", va="center", fontsize=8.5, color="0.05")
            left += pct[:, j]
        for yi, s, k in zip(y, score, n):
            ax.text(101.5, float(yi), f"NPS {s:+.0f}\nn={int(k)}", va="center", ha="left", fontsize=9)
        ax.set_xlim(0, 100)
        ax.set_yticks(y, labels=wrapped)
        ax.set_ylim(len(names) - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(t["share"])
        _legend(fig, ax, ncols=3, fontsize=9)
        _decorate(fig, title, t["nps_title"], note)
    return fig


def loyalty_matrix(loyalists: int, mercenaries: int, hostages: int, defectors: int, *, lang: str = "zh",
                   thresholds: tuple[float, float] | None = None, title: str | None = None,
                   note: str | None = None) -> Figure:
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
        for (key, (cx, cy)), k in zip(cells.items(), counts):
            share = k / total
            ax.add_patch(Rectangle((cx, cy), 1, 1, facecolor=cmap(0.12 + 0.7 * share), edgecolor="white", lw=3))
            ink = "white" if 0.12 + 0.7 * share > 0.55 else "0.1"
            ax.text(cx + 0.5, cy + 0.62, t[key], ha="center", va="center", fontsize=13, fontweight="bold", color=ink)
            ax.text(cx + 0.5, cy + 0.42, t[f"{key}_sub"], ha="center", va="center", fontsize=9, color=ink)
            ax.text(cx + 0.5, cy + 0.2, f"{100 * share:.1f}%  (n={int(k)})", ha="center", va="center",
                    fontsize=11, color=ink)
        ax.set_xlim(0, 2)
        ax.set_ylim(0, 2)
        ax.set_aspect("equal")
        ticks = [t["lo"], t["hi"]]
        xt, yt = ticks, ticks
        if thresholds is not None:
            s, l = _floats("thresholds", thresholds)
            xt = [f"{t['lo']} (< {s:g})", f"{t['hi']} (≥ {s:g})"]
            yt = [f"{t['lo']} (< {l:g})", f"{t['hi']} (≥ {l:g})"]
        ax.set_xticks([0.5, 1.5], labels=xt)
        ax.set_yticks([0.5, 1.5], labels=yt, rotation=90, va="center")
        ax.tick_params(length=0)
        for side in ("left", "bottom"):
            ax.spines[side].set_visible(False)
        ax.set_xlabel(t["satisfaction"])
        ax.set_ylabel(t["loyalty"])
        _decorate(fig, title, t["loyalty_title"], note)
    return fig


# ---------------------------------------------------------------------------------------------------------------
# units and waves

def funnel(values: Sequence[float], n: Sequence[float], centre: float,
           limits: Callable[[np.ndarray], pd.DataFrame], labels: Sequence[str], *, lang: str = "zh",
           ylabel: str | None = None, title: str | None = None, note: str | None = None) -> Figure:
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
        for level, ls in zip(levels, styles):
            lo, hi = curves[level]
            ax.plot(grid, lo, color=COLORS["blue"], ls=ls, lw=1.3, label=t["limits"].format(level=level))
            ax.plot(grid, hi, color=COLORS["blue"], ls=ls, lw=1.3)
        kinds = [(0, COLORS["grey"], "o", t["within"])]
        kinds += [(k + 1, COLORS["orange"] if k + 1 < len(levels) else COLORS["vermillion"],
                   "^" if k + 1 < len(levels) else "s", t["outside"].format(level=levels[k])) for k in range(len(levels))]
        for k, color, marker, label in kinds:
            mask = outside == k
            if mask.any():
                ax.scatter(size[mask], y[mask], s=40, color=color, marker=marker, edgecolor="white",
                           linewidth=0.5, zorder=3, label=label)
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
            _place_labels(ax, size[flagged], y[flagged], [_wrap(s, 16) for s, f in zip(names, flagged) if f])
    return fig


def _limit_table(limits: Callable[[np.ndarray], pd.DataFrame], n: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
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
        raise ValueError(f"limits(n) has no lower_<coverage>/upper_<coverage> column pair (columns: "
                         f"{', '.join(map(str, table.columns))})")
    return dict(sorted(out.items(), key=lambda kv: float(np.mean(kv[1][1] - kv[1][0]))))


def waves_line(waves: Sequence[str], index: Sequence[float], ci_low: Sequence[float], ci_high: Sequence[float], *,
               lang: str = "zh", n: Sequence[float] | None = None, conf_level: float = 0.95,
               ylabel: str | None = None, title: str | None = None, note: str | None = None) -> Figure:
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
        ticks = [f"{s}\nn={int(k)}" for s, k in zip(ticks, base)]
    with _chart(lang, ticks, (6.4, 4.0)) as (fig, ax):
        x = np.arange(len(names))
        ax.fill_between(x, lo, hi, color=COLORS["blue"], alpha=0.16, lw=0, label=t["ci"].format(level=level))
        ax.plot(x, v, color=COLORS["blue"], marker="o", ms=6, label=ylabel or t["index"])
        for xi, vi in zip(x, v):
            ax.annotate(f"{vi:.1f}", (xi, vi), xytext=(0, 8), textcoords="offset points", ha="center",
                        fontsize=9, color="0.15")
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


# ---------------------------------------------------------------------------------------------------------------
# self-test profile, lost customers, generic charts

def profile_bars(categories: Sequence[str], percent: Sequence[float], bands: Sequence[tuple[float, str]], *,
                 lang: str = "zh", title: str | None = None, note: str | None = None) -> Figure:
    """Scored self-test profile: percent of the maximum per category against the band thresholds.

    Parameters
    ----------
    categories : sequence of str
        Category labels in the reader's language.
    percent : sequence of float
        Score as a percent of the category's maximum (0-100).
    bands : sequence of (minimum percent, label)
        E.g. ``[(80, "Excellent"), (60, "Good"), (0, "Needs work")]``, in any order; the YAML
        ``scoring.bands``. Each bar's text names its band.
    lang : {"zh", "en"}
    title, note : str, optional
    """
    t = _words(lang)
    names = _strings("categories", categories)
    pct = _floats("percent", percent)
    _same_length(categories=names, percent=pct)
    if ((pct < 0) | (pct > 100)).any():
        raise ValueError(f"percent must lie between 0 and 100, got {pct[(pct < 0) | (pct > 100)][0]:g}")
    if not bands:
        raise ValueError("bands is empty: give at least one (minimum percent, label)")
    try:
        steps = sorted((float(m), str(label)) for m, label in bands)
    except (TypeError, ValueError):
        raise ValueError(f"bands must be (minimum percent, label) pairs, got {list(bands)!r}") from None
    if steps[0][0] < 0 or steps[-1][0] > 100:
        raise ValueError("band minima must lie between 0 and 100")
    band_of = [next(label for m, label in reversed(steps) if p >= m) if p >= steps[0][0] else "" for p in pct]
    wrapped = [_wrap(s, 22) for s in names]
    with _chart(lang, wrapped + [label for _, label in steps], (6.4, 1.7 + 0.45 * len(names))) as (fig, ax):
        edges = [m for m, _ in steps] + [100.0]
        for k, (m, label) in enumerate(steps):
            ax.axvspan(m, edges[k + 1], color="0.5", alpha=0.05 if k % 2 else 0.12, lw=0)
            if m > 0:
                ax.axvline(m, color="0.35", lw=1, ls="--")
            ax.text((m + edges[k + 1]) / 2, 1.01, label, transform=ax.get_xaxis_transform(), ha="center",
                    va="bottom", fontsize=9, color="0.3")
        y = np.arange(len(names))
        ax.barh(y, pct, color=COLORS["blue"], height=0.6)
        for yi, p, band in zip(y, pct, band_of):
            ax.text(float(p + 1), float(yi), f"{p:.0f}%" + (f"  {band}" if band else ""), va="center", ha="left", fontsize=9)
        ax.set_xlim(0, 100)
        ax.set_yticks(y, labels=wrapped)
        ax.set_ylim(len(names) - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(t["pct_max"])
        _decorate(fig, title, t["profile_title"], note)
    return fig


def pareto(reasons: Sequence[str], counts: Sequence[float], *, lang: str = "zh", cutoff: float = 80.0,
           title: str | None = None, note: str | None = None) -> Figure:
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


def bar(labels: Sequence[str], values: Sequence[float], *, lang: str = "zh", title: str | None = None,
        axis_label: str | None = None, horizontal: bool = True, sort: bool = False, fmt: str = "{:.1f}",
        note: str | None = None) -> Figure:
    """A plain bar chart with the value at each bar (e.g. answer shares of one question).

    Parameters
    ----------
    labels : sequence of str
    values : sequence of float
    lang : {"zh", "en"}
        Only decides whether a CJK font is needed; the caller supplies every text.
    title, axis_label : str, optional
        Chart title (none by default) and the title of the value axis.
    horizontal : bool
        Horizontal bars (default), which leave room for long labels.
    sort : bool
        Largest first.
    fmt : str
        Format of the value labels, e.g. ``"{:.0f}%"``.
    note : str, optional
    """
    _words(lang)
    names = _strings("labels", labels)
    v = _floats("values", values)
    _same_length(labels=names, values=v)
    if sort:
        order = np.argsort(-v, kind="stable")
        v, names = v[order], [names[i] for i in order]
    ticks = [_wrap(s, 24 if horizontal else 12) for s in names]
    height = 1.5 + 0.42 * len(names) if horizontal else 4.2
    with _chart(lang, ticks + [title or "", axis_label or ""], (6.4, height)) as (fig, ax):
        pos = np.arange(len(names))
        colors = [COLORS["vermillion"] if x < 0 else COLORS["blue"] for x in v]
        if horizontal:
            bars = ax.barh(pos, v, color=colors, height=0.62)
            ax.set_yticks(pos, labels=ticks)
            ax.set_ylim(len(names) - 0.5, -0.5)
            ax.tick_params(axis="y", length=0)
            if axis_label:
                ax.set_xlabel(axis_label)
            ax.grid(axis="x")
        else:
            bars = ax.bar(pos, v, color=colors, width=0.62)
            ax.set_xticks(pos, labels=ticks)
            if axis_label:
                ax.set_ylabel(axis_label)
            ax.grid(axis="y")
        ax.set_axisbelow(True)
        ax.bar_label(bars, labels=[fmt.format(x) for x in v], fontsize=8.5, padding=3)
        if (v < 0).any() and (v > 0).any():
            (ax.axvline if horizontal else ax.axhline)(0, color="0.2", lw=0.9)
        if horizontal:
            ax.margins(x=0.12)
        else:
            ax.margins(y=0.12)
        _decorate(fig, title, "", note)
    return fig


def line(x: Sequence[Any], series: Mapping[str, Sequence[float]], *, lang: str = "zh", title: str | None = None,
         xlabel: str | None = None, ylabel: str | None = None, note: str | None = None) -> Figure:
    """Lines of one or more series over categories (waves, months), each with its own colour and dash.

    Parameters
    ----------
    x : sequence
        Category labels in order.
    series : mapping of name -> sequence of float
        One line per entry, each as long as ``x``; NaN leaves a gap.
    lang : {"zh", "en"}
    title, xlabel, ylabel, note : str, optional
    """
    _words(lang)
    ticks = [_wrap(s, 12) for s in _strings("x", x)]
    if not series:
        raise ValueError("series is empty: give at least one name -> values")
    data = {str(k): _floats(f"series[{k!r}]", v, allow_nan=True) for k, v in series.items()}
    for k, v in data.items():
        _same_length(x=ticks, **{f"series[{k!r}]": v})
    if len(data) > len(_SERIES_STYLES):
        raise ValueError(f"at most {len(_SERIES_STYLES)} series can be told apart, got {len(data)}")
    with _chart(lang, ticks + list(data) + [title or "", xlabel or "", ylabel or ""], (6.4, 4.0)) as (fig, ax):
        pos = np.arange(len(ticks))
        for (name, v), (color, marker, ls) in zip(data.items(), _SERIES_STYLES):
            ax.plot(pos, v, color=color, marker=marker, ls=ls, ms=5, label=name)
        ax.set_xticks(pos, labels=ticks)
        if xlabel:
            ax.set_xlabel(xlabel)
        if ylabel:
            ax.set_ylabel(ylabel)
        ax.grid(axis="y")
        ax.set_axisbelow(True)
        if len(data) > 1:
            _legend(fig, ax, ncols=4)
        _decorate(fig, title, "", note)
    return fig


# ---------------------------------------------------------------------------------------------------------------
# embedding

def to_svg(fig: Figure) -> str:
    """The figure as an ``<svg>`` element to inline in HTML, its text drawn as paths.

    Returns
    -------
    str
        ``<svg role="img" aria-label="<title>" ...>...</svg>``: no XML declaration, no DOCTYPE
        (which names an external DTD) and no metadata, so it can go straight into an HTML page;
        it refers to nothing outside itself.

    Notes
    -----
    With ``svg.fonttype = "path"`` each glyph is defined once as a path and reused, so the chart
    looks the same where no CJK font is installed; Chinese glyph outlines make a chart about
    40-140 KB (an English one 25-90 KB). The element keeps its ``viewBox``, so the CSS
    ``svg {max-width: 100%; height: auto}`` scales it to a phone, and it prints sharp on A4.
    Element IDs are hashed with a fixed salt, so the same figure gives the same text, and equal
    IDs in two charts of one page name equal definitions.
    """
    buf = io.StringIO()
    settings = fonts.rc_params(require_cjk=False)
    settings.update({"svg.fonttype": "path", "svg.hashsalt": "surveykit"})
    with _LOCK, mpl.rc_context(settings):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buf.getvalue()
    text = text[text.index("<svg"):].strip()
    label = fig.get_suptitle()
    attrs = 'role="img"' + (f' aria-label="{html.escape(label, quote=True)}"' if label else "")
    return f"<svg {attrs}{text[4:]}"


def to_png_base64(fig: Figure, dpi: int = 150, *, colors: int | None = 128) -> str:
    """The figure as base64 PNG text, for ``<img src="data:image/png;base64,...">``.

    Parameters
    ----------
    fig : Figure
    dpi : int
        150 (default) gives 960 px across a 6.4-inch chart: sharp on a phone and in print.
    colors : int or None
        Reduce the image to this many colours (a palette PNG, no dithering), which makes a chart
        about a third of its full-colour size (typically 30-60 KB of base64 at 150 dpi) with no
        visible change, since charts use few colours. None keeps full colour.
    """
    if not 30 <= dpi <= 600:
        raise ValueError(f"dpi must lie between 30 and 600, got {dpi!r}")
    if colors is not None and not 2 <= colors <= 256:
        raise ValueError(f"colors must lie between 2 and 256 (or be None), got {colors!r}")
    buf = io.BytesIO()
    with _LOCK, mpl.rc_context(fonts.rc_params(require_cjk=False)):
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    data = buf.getvalue()
    if colors is not None:
        with Image.open(io.BytesIO(data)) as image:
            palette = image.convert("RGB").quantize(colors=colors, method=Image.Quantize.MEDIANCUT,
                                                    dither=Image.Dither.NONE)
        out = io.BytesIO()
        palette.save(out, format="png", optimize=True)
        data = out.getvalue()
    return base64.b64encode(data).decode("ascii")
