"""Open the admin page's report (``/admin/s/<survey>/report``) as a browser does: it is made in the
background (webform/dashboard/jobs.py), and until it is ready the page says so and refreshes itself."""

from __future__ import annotations

import time
from typing import Any

REFRESH = '<meta http-equiv="refresh"'


def open_report(client: Any, url: str, timeout: float = 120.0, **kwargs: Any) -> Any:
    """The response once it is no longer the self-refreshing progress page (the report, a 409 or an error)."""
    deadline = time.monotonic() + timeout
    while True:
        response = client.get(url, **kwargs)
        if REFRESH not in response.get_data(as_text=True) or time.monotonic() > deadline:
            return response
        time.sleep(0.1)
