"""Point labels that avoid the markers, each other and the quadrant names."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text


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


def _place_labels(
    ax: Axes,
    x: np.ndarray,
    y: np.ndarray,
    labels: Sequence[str],
    *,
    size: float = 9,
    avoid: Sequence[Text] = (),
    color: str = "0.15",
) -> None:
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
    for (X, Y), x_data, y_data, label in zip(pts, x, y, labels, strict=True):
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
        ann = ax.annotate(
            label,
            (float(x_data), float(y_data)),
            xytext=((cx - X) / px, (cy - Y) / px),
            textcoords="offset points",
            ha="center",
            va="center",
            fontsize=size,
            color=color,
            arrowprops=arrow,
            annotation_clip=False,
            bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "edgecolor": "none", "alpha": 0.75},
        )
        ann.set_in_layout(False)
        taken.append((cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
