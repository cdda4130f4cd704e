"""The satisfaction-index path model: its path diagram and its importance-performance map."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from analysis.plots.checks import _floats, _same_length, _strings
from analysis.plots.ipa import ipa_grid
from analysis.plots.style import COLORS, _chart, _decorate, _ink
from analysis.plots.text import _wrap
from surveykit.terms import term

__all__ = ["ipma_map", "path_diagram", "stars"]

_OWN = {
    "zh": {
        "stars": "* p < .05　** p < .01　*** p < .001（自助法 {n_boot} 次）",
        "no_boot": "未做自助法检验，路径未标显著性",
        "ns": "虚线：不显著",
        "importance": "重要性（对 {target} 的总效应）",
        "performance": "表现（0–100）",
        "target": "目标：{target}",
    },
    "en": {
        "stars": "* p < .05   ** p < .01   *** p < .001 (bootstrap, {n_boot} resamples)",
        "no_boot": "No bootstrap: paths carry no significance",
        "ns": "dashed: not significant",
        "importance": "Importance (total effect on {target})",
        "performance": "Performance (0–100)",
        "target": "target: {target}",
    },
}
_COL = 2.4  # horizontal distance between columns of constructs
_ROW = 1.35  # vertical distance between rows
_BOX = (1.7, 0.78)  # node width and height


def stars(p: float) -> str:
    """``***`` for p < .001, ``**`` for p < .01, ``*`` for p < .05, else nothing (NaN: nothing)."""
    if not math.isfinite(p):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def _depths(names: list[str], paths: list[tuple[str, str]]) -> dict[str, int]:
    """Each construct's column: the length of the longest path that reaches it (0 for exogenous ones)."""
    depth = dict.fromkeys(names, 0)
    for _ in names:  # longest-path relaxation; a recursive model settles in at most J rounds
        for source, target in paths:
            depth[target] = max(depth[target], depth[source] + 1)
    return depth


def _layout(names: list[str], paths: list[tuple[str, str]]) -> dict[str, tuple[float, float]]:
    """Node centres: a column per depth; rows chosen so that straight arrows miss the other nodes.

    A column of several constructs is spread symmetrically around 0. A lone construct may sit
    at -1, 0 or +1 row; the choice over all lone constructs minimises (10 x the number of
    arrows that pass within a node's half-height of a node they do not join) + the total
    distance from the middle row, by exhaustive search when there are at most 8 lone columns.
    """
    depth = _depths(names, paths)
    columns: dict[int, list[str]] = {}
    for name in names:
        columns.setdefault(depth[name], []).append(name)
    fixed: dict[str, tuple[float, float]] = {}
    lone: list[str] = []
    for d, members in columns.items():
        if len(members) == 1:
            lone.append(members[0])
        for i, name in enumerate(members):
            fixed[name] = (d * _COL, (i - (len(members) - 1) / 2) * _ROW)

    def collisions(pos: dict[str, tuple[float, float]]) -> int:
        hits = 0
        for source, target in paths:
            a, b = np.array(pos[source]), np.array(pos[target])
            for name in names:
                if name in (source, target):
                    continue
                c = np.array(pos[name])
                t = np.clip(np.dot(c - a, b - a) / np.dot(b - a, b - a), 0, 1)
                if np.linalg.norm(a + t * (b - a) - c) < 0.6 * _BOX[1] + 0.1 and abs(c[0] - a[0]) > 0:
                    hits += 1
        return hits

    best, best_score = dict(fixed), math.inf
    choices = itertools.product((0, 1, -1), repeat=len(lone)) if len(lone) <= 8 else [(0,) * len(lone)]
    for rows in choices:
        pos = dict(fixed)
        for name, row in zip(lone, rows, strict=True):
            pos[name] = (pos[name][0], row * _ROW)
        score = 10 * collisions(pos) + sum(abs(r) for r in rows)
        if score < best_score:
            best, best_score = pos, score
    return best


def _label_spot(
    a: tuple[float, float], b: tuple[float, float], placed: list[tuple[float, float]]
) -> tuple[float, float]:
    """Where an arrow's coefficient goes: its midpoint, else the nearest point along it clear of other labels.

    Two arrows that cross at their midpoints (an ACSI diagram has such a pair) would put their
    labels on top of each other; positions at 50, 35, 65, 25 and 75 % of the arrow are tried in
    turn, and the first at least 0.45 x 0.3 units from every placed label is taken.
    """
    for t in (0.5, 0.35, 0.65, 0.25, 0.75):
        x, y = a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])
        if all(abs(x - px) > 0.45 or abs(y - py) > 0.3 for px, py in placed):
            return x, y
    return 0.5 * (a[0] + b[0]), 0.5 * (a[1] + b[1])


def path_diagram(
    constructs: Sequence[str],
    labels: Sequence[str],
    r2: Sequence[float],
    paths: Sequence[tuple[str, str]],
    coefficients: Sequence[float],
    p_values: Sequence[float] | None = None,
    *,
    n_boot: int = 0,
    lang: str = "zh",
    title: str | None = None,
    note: str | None = None,
) -> Figure:
    """The path diagram of a PLS path model: constructs with their R², arrows with coefficients.

    Parameters
    ----------
    constructs : sequence of str
        Construct ids, e.g. ``PathModelResult.constructs.index``.
    labels : sequence of str
        Their names in the reader's language.
    r2 : sequence of float
        R² of each construct (NaN for an exogenous one, which shows none).
    paths : sequence of (from, to)
        The structural paths, by construct id.
    coefficients : sequence of float
        The standardised path coefficient of each path.
    p_values : sequence of float, optional
        Bootstrap p-values of the paths: stars on the arrows (:func:`stars`), and a dashed grey
        arrow for p >= .05. Without them the arrows carry the coefficients only.
    n_boot : int
        Number of resamples behind ``p_values``, for the footnote.
    lang : {"zh", "en"}
    title, note : str, optional

    Notes
    -----
    Columns follow the longest path into each construct, exogenous constructs on the left (the
    usual reading of an ACSI diagram, Fornell et al. 1996, Figure 1); rows are chosen so that
    straight arrows do not cross the boxes they do not join (:func:`_layout`).
    """
    names = _strings("constructs", constructs)
    shown = _strings("labels", labels)
    r2s = _floats("r2", r2, allow_nan=True)
    _same_length(constructs=names, labels=shown, r2=r2s)
    edges = [(str(f), str(t)) for f, t in paths]
    unknown = sorted({end for edge in edges for end in edge} - set(names))
    if unknown:
        raise ValueError(f"paths: unknown construct {unknown[0]!r}")
    coefs = _floats("coefficients", coefficients)
    _same_length(paths=edges, coefficients=coefs)
    ps = _floats("p_values", p_values, allow_nan=True) if p_values is not None else None
    if ps is not None:
        _same_length(paths=edges, p_values=ps)
    own = _OWN[lang]
    pos = _layout(names, edges)
    r2_word = term("r_squared", lang)
    texts = [_wrap(s, 12) for s in shown]
    depth = max(x for x, _ in pos.values()) / _COL
    rows = [y for _, y in pos.values()]
    size = (max(6.4, 2.0 + 2.1 * (depth + 1)), max(3.6, 1.8 + 1.5 * (max(rows) - min(rows)) / _ROW + 1.4))
    with _chart(lang, [*texts, r2_word, own["stars"]], size) as (fig, ax):
        boxes = {}
        for name, text, value in zip(names, texts, r2s, strict=True):
            x, y = pos[name]
            box = FancyBboxPatch(
                (x - _BOX[0] / 2, y - _BOX[1] / 2),
                *_BOX,
                boxstyle="round,pad=0.02,rounding_size=0.18",
                facecolor="#eef4fa",
                edgecolor=COLORS["blue"],
                lw=1.4,
                zorder=3,
            )
            ax.add_patch(box)
            boxes[name] = box
            body = text if not math.isfinite(value) else f"{text}\n{r2_word} = {value:.2f}"
            ax.text(x, y, body, ha="center", va="center", fontsize=9, zorder=4, linespacing=1.25)
        placed: list[tuple[float, float]] = []
        for k, ((source, target), coef) in enumerate(zip(edges, coefs, strict=True)):
            p = ps[k] if ps is not None else math.nan
            weak = ps is not None and not p < 0.05
            color = "0.55" if weak else _ink(COLORS["blue"])
            arrow = FancyArrowPatch(
                pos[source],
                pos[target],
                patchA=boxes[source],
                patchB=boxes[target],
                arrowstyle="-|>",
                mutation_scale=13,
                lw=1.3 + 2.2 * min(abs(coef), 1.0),
                color=color,
                linestyle="--" if weak else "-",
                zorder=2,
            )
            ax.add_patch(arrow)
            lx, ly = _label_spot(pos[source], pos[target], placed)
            placed.append((lx, ly))
            ax.text(
                lx,
                ly,
                f"{coef:.2f}{stars(p)}",
                ha="center",
                va="center",
                fontsize=8.5,
                color=color,
                zorder=5,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.9},
            )
        xs = [x for x, _ in pos.values()]
        ax.set_xlim(min(xs) - _BOX[0] / 2 - 0.2, max(xs) + _BOX[0] / 2 + 0.2)
        ax.set_ylim(min(rows) - _BOX[1] / 2 - 0.3, max(rows) + _BOX[1] / 2 + 0.3)
        ax.set_aspect("equal")
        ax.axis("off")
        if note is None:
            note = (
                own["stars"].format(n_boot=n_boot) + ("; " if lang == "en" else "；") + own["ns"]
                if ps is not None
                else own["no_boot"]
            )
        _decorate(fig, title, term("path_model", lang), note)
    return fig


def ipma_map(
    importance: Sequence[float],
    performance: Sequence[float],
    labels: Sequence[str],
    target: str,
    *,
    lang: str = "zh",
    title: str | None = None,
    note: str | None = None,
) -> Figure:
    """The importance-performance map of a target construct, read as the IPA grid.

    Importance is each driver's unstandardised total effect on the target, performance its mean
    score on 0-100 (:func:`analysis.pls.ipma`); the quadrant lines cross at the means of both,
    as Ringle & Sarstedt (2016) draw them, so the quadrants carry Martilla & James's reading
    (:func:`analysis.plots.ipa_grid`): high importance and low performance is where to act.
    """
    imp = _floats("importance", importance)
    perf = _floats("performance", performance)
    own = _OWN[lang]
    return ipa_grid(
        imp.tolist(),
        perf.tolist(),
        labels,
        (float(np.mean(imp)), float(np.mean(perf))),
        lang=lang,
        importance_label=own["importance"].format(target=target),
        performance_label=own["performance"],
        title=title if title is not None else f"{term('ipma', lang)} — {own['target'].format(target=target)}",
        note=note,
    )
