"""Study planning: the power curve of each planted effect against the responses per dealer."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from analysis.plots.style import _SERIES_STYLES, _chart, _decorate, _legend

__all__ = ["power_curve"]

_TEXT = {
    "zh": {
        "title": "检验功效与样本量",
        "x": "每个经销商的样本量",
        "y": "检出率（%）",
        "target": "80% 功效",
        "dealer": "经销商差异",
        "change": "波次变化",
        "servqual_gap": "SERVQUAL 差距",
        "kano_mix": "Kano 类别",
    },
    "en": {
        "title": "Power against sample size",
        "x": "Responses per dealer",
        "y": "Detected (%)",
        "target": "80 % power",
        "dealer": "Dealer difference",
        "change": "Change between waves",
        "servqual_gap": "SERVQUAL gap",
        "kano_mix": "Kano category",
    },
}
_COLUMNS = ("effect", "subject", "n_per_dealer", "power", "ci_low", "ci_high")


def power_curve(
    table: pd.DataFrame, *, lang: str = "zh", target: float = 0.8, title: str | None = None, note: str | None = None
) -> Figure:
    """Power (share of replicates in which the report finds the effect) against n per dealer.

    Parameters
    ----------
    table : DataFrame
        ``PowerResult.to_frame()`` of :func:`analysis.planning.power`: one row per effect and n
        with ``effect``, ``subject``, ``n_per_dealer``, ``power``, ``ci_low`` and ``ci_high``.
    lang : {"zh", "en"}
    target : float
        The reference line, 0.8 by Cohen's (1988) convention.
    title, note : str, optional

    Notes
    -----
    One line per effect with its Wilson interval as a band: the Monte Carlo error of the
    estimate, which more replicates narrow; the effect's subject is in the legend.
    """
    if lang not in _TEXT:
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    missing = [c for c in _COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"table lacks column(s) {', '.join(missing)}: pass PowerResult.to_frame()")
    if table.empty:
        raise ValueError("table is empty: the scenario planted no effect")
    if not 0 < target < 1:
        raise ValueError(f"target must lie between 0 and 1, got {target!r}")
    t = _TEXT[lang]
    effects = list(dict.fromkeys(zip(table["effect"], table["subject"], strict=True)))
    names = [f"{t.get(e, e)}: {s}" for e, s in effects]
    with _chart(lang, names, (6.4, 4.4)) as (fig, ax):
        for (effect, subject), name, (color, marker, style) in zip(effects, names, _SERIES_STYLES * 2, strict=False):
            rows = table[(table["effect"] == effect) & (table["subject"] == subject)].sort_values("n_per_dealer")
            x = rows["n_per_dealer"].to_numpy(dtype=float)
            ax.fill_between(
                x,
                100 * rows["ci_low"].to_numpy(dtype=float),
                100 * rows["ci_high"].to_numpy(dtype=float),
                color=color,
                alpha=0.15,
                lw=0,
            )
            ax.plot(
                x, 100 * rows["power"].to_numpy(dtype=float), color=color, marker=marker, ls=style, ms=5, label=name
            )
        ax.axhline(100 * target, color="0.4", ls="--", lw=1)
        ax.text(
            float(np.nanmax(table["n_per_dealer"])),
            100 * target,
            t["target"],
            va="bottom",
            ha="right",
            fontsize=8.5,
            color="0.3",
        )
        ax.set_ylim(0, 102)
        ax.set_xlabel(t["x"])
        ax.set_ylabel(t["y"])
        ax.grid(True, axis="y")
        _legend(fig, ax, ncols=2)
        _decorate(fig, title, t["title"], note)
    return fig
