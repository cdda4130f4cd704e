"""Test kit for the web form: inline questionnaires, an HTML form parser and a respondent that fills pages in."""

from __future__ import annotations

import html.parser
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from surveykit import storage

ALL_TYPES = textwrap.dedent("""\
    survey: alltypes
    version: 1
    title: {zh: 全部题型, en: Every question type}
    description: {zh: 测试问卷。, en: A test survey.}
    thanks: {zh: 多谢参与！, en: Thanks a lot!}
    languages: [zh, en]
    fields:
      dealer: {label: {zh: 经销商, en: Dealer}}
    scales:
      agree5:
        points: 5
        labels:
          1: {zh: 非常不同意, en: Strongly disagree}
          5: {zh: 非常同意, en: Strongly agree}
      sat4:
        points: 4
        labels:
          1: {zh: 很不满意, en: Very dissatisfied}
          2: {zh: 不满意, en: Dissatisfied}
          3: {zh: 满意, en: Satisfied}
          4: {zh: 很满意, en: Very satisfied}
    pages:
      - id: p1
        title: {zh: 第一部分, en: Part one}
        questions:
          - {id: sat, type: likert, scale: agree5, text: {zh: 我很满意。, en: I am satisfied.}}
          - {id: mood, type: likert, scale: sat4, text: {zh: 您的心情？, en: How do you feel?}}
          - id: grid
            type: matrix
            scale: agree5
            text: {zh: 请评价。, en: Please rate.}
            rows:
              - {id: g1, text: {zh: 干净, en: Clean}}
              - {id: g2, text: {zh: 安静, en: Quiet}}
          - id: channel
            type: choice
            text: {zh: 预约方式？, en: How did you book?}
            options: {phone: {zh: 电话, en: By phone}, app: {zh: 应用, en: In the app}}
          - id: extras
            type: multi
            min: 1
            max: 2
            text: {zh: 您用了哪些？, en: What did you use?}
            options: {wifi: {zh: 无线网络, en: Wi-Fi}, coffee: {zh: 咖啡, en: Coffee}, tv: {zh: 电视, en: TV}}
          - {id: rec, type: nps, text: {zh: 推荐的可能性？, en: How likely are you to recommend us?}}
      - id: p2
        title: {zh: 第二部分, en: Part two}
        questions:
          - {id: age, type: number, min: 18, max: 99, text: {zh: 您的年龄？, en: Your age?}}
          - {id: spend, type: number, integer: false, min: 0, required: false, text: {zh: 花费？, en: Amount spent?}}
          - {id: comment, type: text, max: 50, required: false, text: {zh: 意见？, en: Any comment?}}
          - {id: plate, type: text, pattern: "[A-Z]{2}[0-9]{3}", required: false, text: {zh: 车牌？, en: Plate?}}
          - {id: visit, type: date, min: 2020-01-01, max: 2030-12-31, text: {zh: 来店日期？, en: Date of visit?}}
          - id: weights
            type: constant_sum
            total: 100
            text: {zh: 请分配 100 分。, en: Share 100 points.}
            options: {speed: {zh: 速度, en: Speed}, price: {zh: 价格, en: Price}}
          - {id: why_app, type: text, visible_if: "channel == 'app'", text: {zh: 为什么用应用？, en: Why the app?}}
          - {id: why_young, type: text, visible_if: "age < 30", text: {zh: 为什么？, en: Why?}}
      - id: p3
        visible_if: "sat <= 2"
        title: {zh: 改进, en: Improvements}
        questions:
          - {id: fix, type: text, text: {zh: 我们应改进什么？, en: What should we fix?}}
      - type: kano
        id: kano
        attributes:
          - id: wifi_kano
            functional: {zh: 如果提供无线网络，您觉得如何？, en: "If Wi-Fi is offered, how do you feel?"}
            dysfunctional: {zh: 如果不提供无线网络，您觉得如何？, en: "If Wi-Fi is not offered, how do you feel?"}
    """)

ONE_PAGE = textwrap.dedent("""\
    survey: quick
    version: 1
    title: {zh: 快速调查, en: Quick survey}
    languages: [zh, en]
    fields:
      branch: {label: {zh: 门店, en: Branch}}
    scales:
      agree5:
        points: 5
        labels:
          1: {zh: 非常不同意, en: Strongly disagree}
          5: {zh: 非常同意, en: Strongly agree}
    pages:
      - id: only
        questions:
          - {id: sat, type: likert, scale: agree5, text: {zh: 我很满意。, en: I am satisfied.}}
          - {id: note, type: text, required: false, text: {zh: 意见？, en: Any comment?}}
    """)

# Answers that complete ALL_TYPES, page by page (input name -> value or list of values).
P1 = {
    "q_sat": "4",
    "q_mood": "3",
    "q_g1": "5",
    "q_g2": "2",
    "q_channel": "app",
    "q_extras": ["wifi", "tv"],
    "q_rec": "9",
}
P2 = {
    "q_age": "42",
    "q_spend": "12.5",
    "q_comment": "fine",
    "q_plate": "AB123",
    "q_visit": "2024-05-31",
    "q_weights-speed": "70",
    "q_weights-price": "30",
    "q_why_app": "quick",
    "q_why_young": "",
}
KANO = {"q_wifi_kano_f": "like", "q_wifi_kano_d": "must_be"}


class _FormParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.hidden: dict[str, str] = {}
        self.inputs: dict[str, list[dict[str, str]]] = {}
        self.checked: dict[str, list[str]] = {}
        self.values: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method") == "post" and self.action is None and "novalidate" in a:
            self.action = a.get("action")
        if tag == "input":
            name = a.get("name", "")
            if a.get("type") == "hidden":
                self.hidden[name] = a.get("value", "")
            elif name:
                self.inputs.setdefault(name, []).append(a)
                if "checked" in a:
                    self.checked.setdefault(name, []).append(a.get("value", ""))
                if a.get("type") in ("text", "date"):
                    self.values[name] = a.get("value", "")
        if tag == "textarea":
            self._textarea = a.get("name", "")
            self.inputs.setdefault(self._textarea, []).append(a)
            self.values[self._textarea] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.values[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None


@dataclass
class Page:
    status: int
    text: str
    url: str
    action: str | None
    hidden: dict[str, str]
    inputs: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    checked: dict[str, list[str]] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)
    headers: Any = None

    @property
    def screen(self) -> str | None:
        return self.action.rsplit("/", 1)[-1] if self.action else None


def parse(response: Any, url: str = "") -> Page:
    text = response.get_data(as_text=True)
    parser = _FormParser()
    parser.feed(text)
    return Page(
        response.status_code,
        text,
        url,
        parser.action,
        parser.hidden,
        parser.inputs,
        parser.checked,
        parser.values,
        response.headers,
    )


class Respondent:
    """Drives the survey pages through the Flask test client, like a browser without JavaScript."""

    def __init__(self, client: Any, lang: str = "en-GB,en;q=0.9") -> None:
        self.client = client
        self.headers = {"Accept-Language": lang}

    def get(self, url: str, follow: bool = True) -> Page:
        response = self.client.get(url, headers=self.headers)
        while follow and response.status_code in (302, 303) and response.headers.get("Location"):
            url = response.headers["Location"]
            response = self.client.get(url, headers=self.headers)
        return parse(response, url)

    def post(
        self,
        page: Page,
        answers: dict[str, Any],
        action: str = "next",
        *,
        csrf: str | None = None,
        follow: bool = True,
        extra: dict[str, Any] | None = None,
    ) -> Page:
        data: dict[str, Any] = dict(page.hidden)
        if csrf is not None:
            data["csrf_token"] = csrf
        data.update(answers)
        data["action"] = action
        if extra:
            data.update(extra)
        response = self.client.post(page.action, data=data, headers=self.headers)
        url = page.action or ""
        if follow and response.status_code in (302, 303):
            return self.get(response.headers["Location"])
        return parse(response, url)

    def complete_all_types(self, start: str = "/s/alltypes") -> Page:
        page = self.get(start)
        for answers in (P1, P2, KANO):
            page = self.post(page, answers)
        return page


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def engine_of(app: Any) -> Any:
    return app.extensions["surveykit"].engine


def questionnaire(app: Any, survey_id: str) -> Any:
    return app.extensions["surveykit"].current[survey_id][0]


def frame(app: Any, survey_id: str) -> Any:
    return storage.responses_frame(engine_of(app), questionnaire(app, survey_id))


def count(app: Any, survey_id: str) -> int:
    return len(frame(app, survey_id))


def no_traceback(text: str) -> bool:
    return "Traceback" not in text and 'File "' not in text and "sqlalchemy" not in text.lower()
