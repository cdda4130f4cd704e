"""T10: double taps and replays through the web form (RELIABILITY.md §3.1).

The store-level 200-pair test and its guard (the same harness stores 400 rows
without the unique constraint) are tests/surveykit/test_storage.py.  Here the
same through the real server: 200 respondents each tap Submit twice at once
(two concurrent POSTs, same cookie, same signed key) -> 200 rows, and both taps
of a pair are acknowledged with the same response id.  The same key with other
answers is 422 and stores nothing; after success, refresh and back never post
again (POST/redirect/GET).
"""

from __future__ import annotations

import threading
import urllib.parse

import sqlalchemy as sa

from surveykit.database import responses
from tests.support.liveserver import acknowledged_id, fetch_form, post_form
from tests.support.seckit import fetch

URLENC = {"Content-Type": "application/x-www-form-urlencoded"}
PAIRS = 200


def _count(site):
    with site.engine.connect() as conn:
        return conn.execute(
            sa.select(sa.func.count()).select_from(responses).where(responses.c.survey == "quick")
        ).scalar_one()


def test_200_concurrent_double_taps_through_the_server_store_200_rows(live_site):
    port = live_site.server.port
    forms = [fetch_form(port, "quick") for _ in range(PAIRS)]
    before = _count(live_site)
    acks: list[list[str | None]] = [[] for _ in range(PAIRS)]
    lock = threading.Lock()

    def tap(i: int) -> None:
        form = forms[i]
        data = {"q_sat": str(1 + i % 5), "q_note": f"pair {i}"}
        status, headers, _ = post_form(port, form, data)
        with lock:
            acks[i].append(acknowledged_id(status, headers, "quick"))

    def pair_runner(chunk: range) -> None:
        for i in chunk:  # the two taps of a pair race each other; 8 pairs at a time
            a = threading.Thread(target=tap, args=(i,))
            b = threading.Thread(target=tap, args=(i,))
            a.start()
            b.start()
            a.join()
            b.join()

    runners = [threading.Thread(target=pair_runner, args=(range(j, PAIRS, 8),)) for j in range(8)]
    for t in runners:
        t.start()
    for t in runners:
        t.join(timeout=120)
    assert all(len(a) == 2 and a[0] is not None and a[0] == a[1] for a in acks), [
        a for a in acks if len(a) != 2 or a[0] != a[1] or a[0] is None
    ][:5]
    assert len({a[0] for a in acks}) == PAIRS
    assert _count(live_site) == before + PAIRS


def test_same_key_with_other_answers_is_422_and_refresh_never_posts_again(site):
    t = site.transport
    form = fetch(t)
    body = {**form.hidden, "q_sat": "4", "action": "next"}
    first = t.send("POST", "/s/quick/p/only", urllib.parse.urlencode(body), {**URLENC, "Cookie": form.cookie})
    assert first.status == 303 and first.headers["Location"].endswith("/s/quick/thanks")
    before = _count(site)
    # the very same request again (a retry): the same thanks, nothing new
    again = t.send("POST", "/s/quick/p/only", urllib.parse.urlencode(body), {**URLENC, "Cookie": form.cookie})
    assert again.status == 303 and again.headers["Location"] == first.headers["Location"]
    # the same key with other answers (an edited or tampered form under the pre-submit cookie)
    changed = t.send(
        "POST", "/s/quick/p/only", urllib.parse.urlencode({**body, "q_sat": "1"}), {**URLENC, "Cookie": form.cookie}
    )
    assert changed.status == 422 and "Traceback" not in changed.text
    assert _count(site) == before
    # PRG: the browser now holds the thanks page; refresh and back are GETs, a finished respondent stays there
    cookie = first.headers["Set-Cookie"].split(";", 1)[0]
    for _ in range(2):
        assert t.send("GET", "/s/quick/thanks", headers={"Cookie": cookie}).status == 200
    start = t.send("GET", "/s/quick", headers={"Cookie": cookie})
    assert start.status == 303 and start.headers["Location"].endswith("/s/quick/thanks")
    resubmit = t.send(
        "POST", "/s/quick/p/only", urllib.parse.urlencode({**body, "q_sat": "2"}), {**URLENC, "Cookie": cookie}
    )
    assert resubmit.status == 303 and resubmit.headers["Location"].endswith("/s/quick/thanks")
    assert _count(site) == before
