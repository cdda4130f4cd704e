"""The scored self-test profile against its bands."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from analysis.plots.checks import _floats, _same_length, _strings
from analysis.plots.style import COLORS, _chart, _decorate
from analysis.plots.text import _words, _wrap

__all__ = ["profile_bars"]


def profile_bars(
    categories: Sequence[str],
    percent: Sequence[float],
    bands: Sequence[tuple[float, str]],
    *,
    lang: str = "zh",
    title: str | None = None,
    note: str | None = None,
) -> Figure:
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
            ax.text(
                (m + edges[k + 1]) / 2,
                1.01,
                label,
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=9,
                color="0.3",
            )
        y = np.arange(len(names))
        ax.barh(y, pct, color=COLORS["blue"], height=0.6)
        for yi, p, band in zip(y, pct, band_of, strict=True):
            ax.text(
                float(p + 1), float(yi), f"{p:.0f}%" + (f"  {band}" if band else ""), va="center", ha="left", fontsize=9
            )
        ax.set_xlim(0, 100)
        ax.set_yticks(y, labels=wrapped)
        ax.set_ylim(len(names) - 0.5, -0.5)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel(t["pct_max"])
        _decorate(fig, title, t["profile_title"], note)
    return fig
