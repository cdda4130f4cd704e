"""The geometry of the dashboard's inline SVG: a sparkline per unit, the index trend with its 95 % band.

Only coordinates are computed here; ``dashboard/_charts.html`` writes the markup, so every text
is escaped by Jinja like the rest of the page.  Inline SVG needs no request, no script and nothing
the page's CSP has to allow (colours come from classes in ``dashboard.css``, never a ``style``
attribute), and its text uses the page's fonts, so Chinese renders wherever the page does.  Each
chart is ``role="img"`` with a label that says what it shows; a suppressed period (too few
responses) is a gap in the line.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from analysis.tiles import IndexSums

__all__ = ["Chart", "sparkline", "trend_chart"]


@dataclass(frozen=True, slots=True)
class Chart:
    """What the chart macros draw: polylines and polygons as SVG ``points`` strings, dots, labels."""

    width: int
    height: int
    label: str
    lines: list[str]
    dots: list[tuple[float, float]]
    bands: list[str] = field(default_factory=list)
    grid: list[tuple[float, str]] = field(default_factory=list)  # (y, label)
    ticks: list[tuple[float, str, str]] = field(default_factory=list)  # (x, anchor, label)
    left: int = 0
    right: int = 0


def _runs(points: Sequence[tuple[float, ...] | None]) -> list[list[tuple[float, ...]]]:
    """Runs of consecutive defined points (a None breaks the line)."""
    runs: list[list[tuple[float, ...]]] = [[]]
    for p in points:
        if p is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append(p)
    return [r for r in runs if r]


def _points(run: Sequence[tuple[float, ...]], a: int = 0, b: int = 1) -> str:
    return " ".join(f"{p[a]:.1f},{p[b]:.1f}" for p in run)


def sparkline(values: Sequence[float | None], label: str, width: int = 96, height: int = 24) -> Chart | None:
    """The index (0-100) over the last periods as a small line; None when no period has enough responses."""
    if not any(v is not None for v in values):
        return None
    step = (width - 4) / max(1, len(values) - 1)
    pts = [None if v is None else (2 + i * step, height - 2 - (height - 4) * v / 100) for i, v in enumerate(values)]
    last = next((p for p in reversed(pts) if p is not None), None)
    return Chart(width, height, label, [_points(r) for r in _runs(pts)], [last] if last else [])


def trend_chart(
    points: Sequence[tuple[dt.date, IndexSums | None]], label: str, width: int = 600, height: int = 220
) -> Chart:
    """The index per period with its 95 % confidence band (mean +- 1.96 SE), on a fixed 0-100 axis."""
    left, right, top, bottom = 32, 8, 8, 28
    w, h = width - left - right, height - top - bottom
    step = w / max(1, len(points) - 1)

    def y(v: float) -> float:
        return top + h * (1 - min(100.0, max(0.0, v)) / 100)

    centre: list[tuple[float, ...] | None] = []
    for i, (_day, s) in enumerate(points):
        if s is None:
            centre.append(None)
            continue
        low, high = s.ci if s.n >= 2 else (s.mean, s.mean)
        centre.append((left + i * step, y(s.mean), y(low), y(high)))
    runs = _runs(centre)
    bands = [f"{_points(r, 0, 3)} {_points(r[::-1], 0, 2)}" for r in runs if len(r) >= 2]
    ticks = []
    for i, (day, _s) in enumerate(points):
        if i in (0, len(points) - 1) or (len(points) > 6 and i == len(points) // 2):
            anchor = "start" if i == 0 else "end" if i == len(points) - 1 else "middle"
            ticks.append((left + i * step, anchor, day.isoformat()))
    return Chart(
        width,
        height,
        label,
        [_points(r) for r in runs],
        [(p[0], p[1]) for r in runs for p in r],
        bands,
        [(y(v), str(v)) for v in (0, 50, 100)],
        ticks,
        left,
        left + w,
    )
