"""T3 (the web half): random answer dicts through the form are stored canonically or refused, never a 5xx.

Hypothesis draws, for every input of a screen, nothing, a valid value, a near
miss (``"03"``, ``" 3 "``, ``"3.0"``, ``"٣"``...), arbitrary text or several values, plus
stray field names, and posts them with a genuine CSRF token and submission key.
The answer is a 303 (then the stored row holds exactly the canonical values: an
int from the scale, a code from the options, the text NFC-normalised), a 422 or
a 400 - never a 5xx, never a row after a refusal.  The store-level properties
(round trips, skip graphs) are tests/surveykit/test_properties.py.
"""

from __future__ import annotations

import unicodedata
import urllib.parse

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from surveykit.database import drafts, responses
from tests.support.seckit import SECRET, fetch, populate

NEAR = ["0", "6", "-1", "03", " 3 ", "3.0", "+3", "٣", "３", "1e0", "3_0", "", "\x00", "3\n", "9" * 400]
TEXT = st.text(st.characters(codec="utf-8"), max_size=60)


def _wrong() -> st.SearchStrategy[list[str]]:
    one = st.one_of(st.sampled_from(NEAR), TEXT)
    return st.one_of(st.just([]), one.map(lambda v: [v]), st.lists(one, min_size=2, max_size=3))


QUICK = {"q_sat": ["1", "2", "3", "4", "5"], "q_note": ["fine", "很好", "<b>ok</b>", "a\r\nb"]}
P1 = {
    "q_sat": [str(i) for i in range(1, 6)],
    "q_mood": [str(i) for i in range(1, 5)],
    "q_g1": [str(i) for i in range(1, 6)],
    "q_g2": [str(i) for i in range(1, 6)],
    "q_channel": ["phone", "app"],
    "q_extras": ["wifi", "coffee", "tv"],
    "q_rec": [str(i) for i in range(11)],
}  # every canonical value


def _answers(fields: dict[str, list[str]]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """A valid screen with up to three inputs changed (wrong, missing, repeated) and maybe a stray field."""

    def valid(name: str, values: list[str]) -> st.SearchStrategy[list[str]]:
        if name == "q_extras":
            return st.lists(st.sampled_from(values), min_size=1, max_size=2, unique=True)
        return st.sampled_from(values).map(lambda v: [v])

    base = st.fixed_dictionaries({name: valid(name, values) for name, values in fields.items()})
    changes = st.dictionaries(st.sampled_from(sorted(fields)), _wrong(), max_size=3)
    stray = st.lists(st.tuples(st.sampled_from(["q_other", "q_sat_x", "survey", "q_weights-speed"]), TEXT), max_size=1)
    return st.tuples(base, changes, stray).map(
        lambda t: [(name, v) for name, vs in {**t[0], **t[1]}.items() for v in vs] + t[2]
    )


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    from tests.support.seckit import ClientTransport
    from webform import create_app

    folder = tmp_path_factory.mktemp("props")
    url = f"sqlite:///{folder}/p.sqlite3"
    paths, _ = populate(url, folder)
    app = create_app({"DATABASE_URL": url, "QUESTIONNAIRES": paths, "SECRET_KEY": SECRET})
    yield app, ClientTransport(app)
    app.extensions["surveykit"].engine.dispose()


def _rows(app) -> tuple[int, int]:
    with app.extensions["surveykit"].engine.connect() as conn:
        return (
            conn.execute(sa.select(sa.func.count()).select_from(responses)).scalar_one(),
            conn.execute(sa.select(sa.func.count()).select_from(drafts)).scalar_one(),
        )


def _post(web, survey: str, screen: str, pairs: list[tuple[str, str]]):
    app, transport = web
    form = fetch(transport, f"/s/{survey}")
    body = urllib.parse.urlencode([*form.hidden.items(), *pairs, ("action", "next")])
    before = _rows(app)
    reply = transport.send(
        "POST",
        f"/s/{survey}/p/{screen}",
        body,
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": form.cookie},
    )
    assert reply.status in (303, 400, 422), (reply.status, pairs)
    event(f"HTTP {reply.status}")
    if reply.status != 303:
        assert _rows(app) == before, pairs
    return reply, before


@settings(
    max_examples=500, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pairs=_answers(QUICK))
def test_one_screen_answers_are_stored_canonically_or_refused(web, pairs):
    reply, before = _post(web, "quick", "only", pairs)
    if reply.status != 303:
        return
    posted = dict(pairs)
    assert len([v for k, v in pairs if k == "q_sat"]) == 1 and posted["q_sat"] in QUICK["q_sat"], pairs
    app = web[0]
    with app.extensions["surveykit"].engine.connect() as conn:
        row = conn.execute(sa.select(responses.c.answers).order_by(responses.c.id.desc()).limit(1)).scalar_one()
    assert row["sat"] == int(posted["q_sat"]) and isinstance(row["sat"], int)
    note = posted.get("q_note", "")
    if note.strip():
        assert row["note"] == unicodedata.normalize("NFC", note.replace("\r\n", "\n"))
    else:
        assert row.get("note") is None
    assert _rows(app)[0] == before[0] + 1


@settings(
    max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pairs=_answers(P1))
def test_every_type_screen_is_accepted_canonically_or_refused(web, pairs):
    reply, before = _post(web, "alltypes", "p1", pairs)
    if reply.status != 303:
        return
    posted: dict[str, list[str]] = {}
    for name, value in pairs:
        posted.setdefault(name, []).append(value)
    for name in ("q_sat", "q_mood", "q_g1", "q_g2", "q_channel", "q_rec"):
        assert len(posted.get(name, [])) == 1 and posted[name][0] in P1[name], (name, pairs)
    extras = posted.get("q_extras", [])
    assert 1 <= len(extras) <= 2 and set(extras) <= set(P1["q_extras"]) and len(set(extras)) == len(extras), pairs
    assert _rows(web[0])[1] == before[1] + 1  # a valid first screen starts one draft
