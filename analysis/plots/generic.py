"""Charts with no fixed wording: a plain bar chart and lines over categories."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from analysis.plots.checks import _floats, _same_length, _strings
from analysis.plots.style import _SERIES_STYLES, COLORS, _chart, _decorate, _legend
from analysis.plots.text import _words, _wrap

__all__ = ["bar", "line"]


def bar(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    lang: str = "zh",
    title: str | None = None,
    axis_label: str | None = None,
    horizontal: bool = True,
    sort: bool = False,
    fmt: str = "{:.1f}",
    note: str | None = None,
) -> Figure:
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
    with _chart(lang, [*ticks, title or "", axis_label or ""], (6.4, height)) as (fig, ax):
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


def line(
    x: Sequence[Any],
    series: Mapping[str, Sequence[float]],
    *,
    lang: str = "zh",
    title: str | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    note: str | None = None,
) -> Figure:
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
        for (name, v), (color, marker, ls) in zip(data.items(), _SERIES_STYLES[: len(data)], strict=True):
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
