"""Charts for the satisfaction report, each a function returning a matplotlib ``Figure``.

Every function takes the numbers (plain sequences, Series, or columns of a result's
``to_frame()``), the item or dimension labels in the reader's language, and ``lang="zh"|"en"``
for its own fixed wording (titles, axis titles, legends, quadrant names). ``title`` replaces the
default title (``""`` drops it) and ``note`` adds a footnote, e.g. the base and the test.

The figures are built on ``matplotlib.figure.Figure`` with an Agg canvas, never through pyplot,
so no global figure state is touched and the functions can run in a web server; they work in a
notebook as they are. Chinese text uses an installed CJK font (:mod:`analysis.fonts`).

One module per chart family, and the helpers they share:

=============  ==========================================================================
``servqual``   :func:`radar` (expectation vs perception), :func:`gap_bars`
``ipa``        :func:`ipa_grid`
``kano``       :func:`kano_scatter`
``loyalty``    :func:`nps_bars`, :func:`loyalty_matrix`
``segments``   :func:`funnel` (dealers, branches), :func:`waves_line`
``selftest``   :func:`profile_bars`
``recovery``   :func:`pareto` (why customers left or complained)
``planning``   :func:`power_curve` (power of planted effects against n)
``pls``        :func:`path_diagram`, :func:`ipma_map` (the satisfaction-index path model)
``generic``    :func:`bar`, :func:`line` (no fixed wording)
``embed``      :func:`to_svg`, :func:`to_png_base64` for a self-contained HTML page
``style``      palette (:data:`COLORS`, :data:`KANO_COLORS`), rc settings, figure set-up, legend
``text``       the charts' wording (domain terms from :mod:`surveykit.terms`), label wrapping,
               :func:`quadrant_name`, :func:`kano_category_name`
``checks``     input checks that name the argument
``placement``  point labels that avoid markers and each other
=============  ==========================================================================

The helpers' names start with ``_``: they are shared inside this package only. Every public
name is importable from ``analysis.plots`` as before the split.
"""

from __future__ import annotations

from analysis.plots.embed import to_png_base64, to_svg
from analysis.plots.generic import bar, line
from analysis.plots.ipa import ipa_grid
from analysis.plots.kano import kano_scatter
from analysis.plots.loyalty import loyalty_matrix, nps_bars
from analysis.plots.planning import power_curve
from analysis.plots.pls import ipma_map, path_diagram
from analysis.plots.recovery import pareto
from analysis.plots.segments import funnel, waves_line
from analysis.plots.selftest import profile_bars
from analysis.plots.servqual import gap_bars, radar
from analysis.plots.style import COLORS, KANO_COLORS
from analysis.plots.text import kano_category_name, quadrant_name

__all__ = [
    "COLORS",
    "KANO_COLORS",
    "bar",
    "funnel",
    "gap_bars",
    "ipa_grid",
    "ipma_map",
    "kano_category_name",
    "kano_scatter",
    "line",
    "loyalty_matrix",
    "nps_bars",
    "pareto",
    "path_diagram",
    "power_curve",
    "profile_bars",
    "quadrant_name",
    "radar",
    "to_png_base64",
    "to_svg",
    "waves_line",
]
