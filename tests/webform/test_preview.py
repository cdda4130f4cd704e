"""surveykit preview: the form from the file as saved, the navigator, conditions, simulated answers, errors."""

from __future__ import annotations

import re
import textwrap

import pytest

from surveykit import storage
from webform.preview import create_preview_app

SURVEY = textwrap.dedent("""\
    survey: pv
    version: 1
    title: {zh: 预览, en: Preview test}
    languages: [en, zh]
    fields:
      dealer: {label: {zh: 经销商, en: Dealer}}
    scales:
      a5: {points: 5, labels: {1: {zh: 差, en: Bad}, 5: {zh: 好, en: Good}}}
    pages:
      - id: visit
        title: {zh: 来店, en: Your visit}
        questions:
          - id: kind
            type: choice
            text: {zh: 类型, en: What was it?}
            options: {repair: {zh: 维修, en: Repair}, service: {zh: 保养, en: Service}}
          - {id: sat, type: likert, scale: a5, text: {zh: 满意, en: Satisfied?}}
      - id: more
        title: {zh: 更多, en: More}
        visible_if: sat <= 4
        questions:
          - {id: why, type: text, required: false, text: {zh: "为什么{answer:kind}", en: "Why, about the {answer:kind}?"}}
          - {id: fix, type: text, required: false, visible_if: kind == 'repair', text: {zh: 修好了吗, en: Was it fixed?}}
    """)


@pytest.fixture
def preview(tmp_path):
    path = tmp_path / "pv.yaml"
    path.write_text(SURVEY, encoding="utf-8")
    app = create_preview_app(str(path), {"TESTING": True})
    yield app, app.test_client(), path
    app.extensions["surveykit"].engine.dispose()


def _csrf(text: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)


def test_the_navigator_lists_every_page_with_its_condition(preview):
    _, client, _ = preview
    assert client.get("/").headers["Location"].endswith("/preview/")  # the bare address leads to the preview
    response = client.get("/preview/")
    assert response.status_code == 303 and response.headers["Location"].endswith("/preview/p/visit")
    page = client.get("/preview/p/visit").get_data(as_text=True)
    assert 'aria-current="page">Your visit</a>' in page and ">More</a>" in page
    assert "Ask if sat &lt;= 4" in page  # the page condition, in the navigator
    assert "What was it?" in page and 'role="switch" aria-checked="false"' in page


def test_the_switch_shows_every_conditional_question_with_its_condition(preview):
    _, client, _ = preview
    hidden = client.get("/preview/p/more").get_data(as_text=True)
    assert "Was it fixed?" not in hidden  # kind is not known: the question does not apply
    shown = client.get("/preview/p/more?all=1").get_data(as_text=True)
    assert "Was it fixed?" in shown and "Ask if kind == &#39;repair&#39;" in shown
    assert "Page asked if sat &lt;= 4" in shown and 'aria-checked="true"' in shown
    assert "语言" not in shown and "修好了吗" in client.get("/preview/p/more?all=1&lang=zh").get_data(as_text=True)


def test_simulated_answers_fill_the_pages_and_are_stored(preview):
    app, client, _ = preview
    page = client.get("/preview/p/visit").get_data(as_text=True)
    response = client.post("/preview/simulate", data={"csrf_token": _csrf(page), "back": "/preview/p/visit"})
    assert response.status_code == 303
    page = client.get("/preview/p/visit").get_data(as_text=True)
    assert len(re.findall(r"\schecked", page)) == 2  # kind and sat ticked
    watched = app.extensions["surveykit_preview"]
    kind = watched.answers["kind"]
    label = {"repair": "Repair", "service": "Service"}[kind]
    more = client.get("/preview/p/more?all=1").get_data(as_text=True)
    assert f"Why, about the {label}?" in more  # piped from the simulated answer
    q = watched.q
    assert len(storage.responses_frame(app.extensions["surveykit"].engine, q)) == 1
    assert client.post("/preview/simulate", data={"back": "/"}).status_code == 400  # no CSRF token


def test_every_save_shows_and_a_broken_file_shows_its_problems_quoted(preview):
    _, client, path = preview
    first = client.get("/preview/state").get_json()["generation"]
    assert client.get("/preview/state").get_json()["generation"] == first  # nothing changed
    path.write_text(SURVEY.replace("What was it?", "What brought you in?"), encoding="utf-8")
    assert client.get("/preview/state").get_json()["generation"] == first + 1
    assert "What brought you in?" in client.get("/preview/p/visit").get_data(as_text=True)
    path.write_text(SURVEY.replace("scale: a5, text: {zh: 满意", "scale: a7, text: {zh: 满意"), encoding="utf-8")
    broken = client.get("/preview/p/visit").get_data(as_text=True)
    assert "does not load (1 problem)" in broken and "What brought you in?" not in broken
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if "a7" in text)
    assert f"pv.yaml:{line}:" in broken and "scale &#39;a7&#39; is not defined" in broken
    quoted = re.search(r'<pre class="quote">(.*?)</pre>', broken, re.S).group(1).splitlines()
    assert "a7" in quoted[0] and quoted[1].strip() == "^"
    # the form still serves the last version that loaded
    assert "What brought you in?" in client.get("/s/pv", headers={"Accept-Language": "en"}).get_data(as_text=True)
    path.write_text(SURVEY, encoding="utf-8")
    assert "What was it?" in client.get("/preview/p/visit").get_data(as_text=True)
    path.unlink()
    assert "cannot read the file" in client.get("/preview/p/visit").get_data(as_text=True)


def test_the_form_itself_runs_on_the_in_memory_store(preview):
    app, client, _ = preview
    page = client.get("/s/pv", headers={"Accept-Language": "en"}).get_data(as_text=True)
    data = {"csrf_token": _csrf(page), "k": re.search(r'name="k" value="([^"]+)"', page).group(1)}
    data.update({"q_kind": "repair", "q_sat": "5", "action": "next"})
    response = client.post("/s/pv/p/visit", data=data)
    assert response.status_code == 303 and response.headers["Location"].endswith("/s/pv/thanks")
    assert len(storage.responses_frame(app.extensions["surveykit"].engine, app.extensions["surveykit_preview"].q)) == 1


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "example.org"])
def test_the_preview_refuses_to_serve_beyond_this_machine(tmp_path, host):
    from click.testing import CliRunner

    from surveykit.cli import main

    path = tmp_path / "pv.yaml"
    path.write_text(SURVEY, encoding="utf-8")
    result = CliRunner().invoke(main, ["preview", str(path), "--host", host])
    assert result.exit_code == 2 and "loopback address only" in result.output
