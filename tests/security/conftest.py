"""Fixtures of the security and reliability tests; the kit itself is seckit.py."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from seckit import live_site, site  # noqa: E402,F401
