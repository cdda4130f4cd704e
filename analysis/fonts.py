"""Fonts for charts with Chinese text: find an installed CJK font and build the rc settings.

matplotlib's default font, DejaVu Sans, has no CJK glyphs, so a Chinese chart otherwise shows
boxes and warns ``Glyph ... missing from font(s) DejaVu Sans``. :func:`cjk_family` looks for a
CJK family that matplotlib already knows and, failing that, registers the system's CJK font files
with ``fontManager.addfont`` (which needs no rebuild of a font cache that may predate the font's
installation). :func:`rc_params` puts DejaVu Sans first and the CJK family second in
``font.family``: matplotlib (>= 3.6) falls back glyph by glyph, so Latin letters and digits keep
their usual look and Chinese characters come from the CJK font. Nothing happens at import time;
the first chart that needs the font triggers the search, once per process.
"""

from __future__ import annotations

import os
import threading
import unicodedata
import warnings
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from matplotlib import font_manager

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = ["CJK_FAMILIES", "INSTALL_HINT", "MissingCJKFontWarning", "cjk_family", "needs_cjk", "rc_params"]

# Simplified-Chinese faces first; a TC/JP face still has every hanzi, in regional glyph shapes.
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK TC",
    "Noto Sans CJK JP",
)
# Lower-case pieces of the file names of the fonts above (Debian fonts-noto-cjk, fonts-wqy-*).
_FILE_MARKERS = ("notosanscjk", "sourcehansans", "notosanssc", "wqy-microhei", "wqy-zenhei")
INSTALL_HINT = "apt-get install fonts-noto-cjk (or the smaller fonts-wqy-microhei)"
LATIN_FAMILY = "DejaVu Sans"


class MissingCJKFontWarning(UserWarning):
    """No CJK font was found, so Chinese text in charts will show as boxes."""


class _FontRegistry:
    """The CJK family found on this machine, searched for once; warns once if there is none."""

    def __init__(self, families: Sequence[str] = CJK_FAMILIES, markers: Sequence[str] = _FILE_MARKERS) -> None:
        self.families = tuple(families)
        self.markers = tuple(markers)
        self._lock = threading.Lock()
        self._searched = False
        self._family: str | None = None
        self._warned = False

    def family(self) -> str | None:
        with self._lock:
            if not self._searched:
                self._family = self._search()
                self._searched = True
            return self._family

    def warn_missing(self) -> None:
        with self._lock:
            if self._warned:
                return
            self._warned = True
        warnings.warn(
            f"no CJK font found (looked for {', '.join(self.families)}): Chinese text in charts "
            f"will show as boxes; install one with `{INSTALL_HINT}`",
            MissingCJKFontWarning,
            stacklevel=2,
        )

    def _known(self) -> str | None:
        names = {entry.name for entry in font_manager.fontManager.ttflist}
        return next((f for f in self.families if f in names), None)

    def _search(self) -> str | None:
        found = self._known()
        if found is not None or not self.markers:
            return found
        # A font cache built before the fonts were installed hides them: register the files directly.
        for path in font_manager.findSystemFonts():
            if any(m in os.path.basename(path).lower() for m in self.markers):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue  # an unreadable font file is simply not used
        return self._known()


_registry = _FontRegistry()


def cjk_family() -> str | None:
    """Name of an installed CJK font family matplotlib can use, or None.

    The first call looks at the families matplotlib knows, then registers the system's CJK font
    files (Noto Sans CJK, Source Han Sans, WenQuanYi) with ``fontManager.addfont``; the answer is
    kept for the life of the process.

    Examples
    --------
    >>> cjk_family() in CJK_FAMILIES + (None,)
    True
    """
    return _registry.family()


def needs_cjk(texts: Iterable[object]) -> bool:
    """True if any text holds an East Asian wide or full-width character (hanzi, kana, full-width ``（``)."""
    return any(unicodedata.east_asian_width(ch) in "WF" for text in texts for ch in str(text))


def rc_params(*, require_cjk: bool) -> dict[RcKeyType, Any]:
    """rc settings for a chart: DejaVu Sans then the CJK family, ``axes.unicode_minus`` off.

    Parameters
    ----------
    require_cjk : bool
        The chart holds CJK text. If no CJK font is installed, one :class:`MissingCJKFontWarning`
        per process says so and names ``apt-get install fonts-noto-cjk``.

    Returns
    -------
    dict
        For ``matplotlib.rc_context``; never applied globally.

    Notes
    -----
    ``axes.unicode_minus`` is off because CJK fonts lack U+2212; with DejaVu Sans first a minus
    sign formatted outside these settings (a notebook redrawing the figure) still has a glyph.
    ``text.parse_math`` is off so that a ``$`` in a caller's label is printed, not parsed as
    mathtext.
    """
    family = cjk_family()
    if family is None and require_cjk:
        _registry.warn_missing()
    return {
        "font.family": [LATIN_FAMILY] + ([family] if family else []),
        "axes.unicode_minus": False,
        "text.parse_math": False,
    }
