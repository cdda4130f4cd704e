"""A chart as text for a self-contained HTML page: inline SVG or base64 PNG.

:func:`to_png_base64` (150 dpi, a 128-colour palette: about 20-50 KB of base64 a chart, sharp on
a phone) is the smaller choice; :func:`to_svg` (vector, text drawn as paths so no font is needed:
25-140 KB, the Chinese glyph outlines being most of it) zooms and prints sharper. Neither refers
to anything outside itself.
"""

from __future__ import annotations

import base64
import html
import io

import matplotlib as mpl
from matplotlib.figure import Figure
from PIL import Image

from analysis import fonts
from analysis.plots.style import _LOCK

__all__ = ["to_png_base64", "to_svg"]


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
    text = text[text.index("<svg") :].strip()
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
            palette = image.convert("RGB").quantize(
                colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
            )
        out = io.BytesIO()
        palette.save(out, format="png", optimize=True)
        data = out.getvalue()
    return base64.b64encode(data).decode("ascii")
