"""Build the XLSForm fixtures of the xlsform tests: ``python tests/surveykit/xlsform/build_forms.py``.

The forms are written by hand, as a researcher would in Excel, with the spellings the XLSForm
specification allows (``Label::Chinese (zh)``, ``List Name``, ``begin group`` and
``begin_group``, ``select one … or_other``), so that the importer is tried on more than what our
own export writes.  The ``.xlsx`` files come from openpyxl; the ``.xls`` copy of the satisfaction
form from xlwt (``pip install xlwt``, needed only to rebuild it: xlwt is not a dependency).
The files are committed; rebuild them after changing this script.

forms/satisfaction_zh_en.xlsx|.xls  a Chinese/English dealer-visit form: groups and a page
                                    section, relevant, constraints, choice lists, likert and
                                    table-list, or_other, notes, hidden, start/end
forms/unsupported.xlsx              types and columns with no equivalent, one per row
forms/malformed_*.xlsx              forms the XLSForm specification rejects
"""

from __future__ import annotations

from pathlib import Path

FORMS = Path(__file__).parent / "forms"

SURVEY_HEADER = [
    "Type",
    "Name",
    "Label::Chinese (zh)",
    "label :: English (en)",
    "Hint::Chinese (zh)",
    "hint::English (en)",
    "Required",
    "Relevant",
    "Constraint",
    "constraint_message::English (en)",
    "Appearance",
    "parameters",
]
SATISFACTION_SURVEY = [
    # type, name, label zh, label en, hint zh, hint en, required, relevant, constraint, message, appearance, params
    ["start", "start"],
    ["end", "end"],
    ["hidden", "dealer", "经销商", "Dealer"],
    ["note", "welcome", "感谢您抽出时间参加本次调查。", "Thank you for taking part in this survey."],
    ["begin group", "visit", "您的来店经历", "Your visit", "", "", "", "", "", "", "field-list"],
    ["select one channel or_other", "channel", "您是怎样预约的？", "How did you book this visit?", "", "", "yes"],
    [
        "select_one agree5",
        "sat_overall",
        "总体而言，我对这次服务感到满意。",
        "Overall, I am satisfied with this visit.",
        "",
        "",
        "yes",
        "",
        "",
        "",
        "likert",
    ],
    [
        "integer",
        "visits",
        "过去一年您来店几次？",
        "How many times did you visit us in the past year?",
        "请填写次数",
        "Number of visits",
        "yes",
        "",
        ". >= 0 and . <= 50",
        "Between 0 and 50",
    ],
    ["begin_group", "phone_section", "电话预约", "Booking by phone", "", "", "", "${channel} = 'phone'"],
    [
        "decimal",
        "wait_minutes",
        "电话等待了多少分钟？",
        "How many minutes did you wait on the phone?",
        "",
        "",
        "no",
        "",
        ". >= 0 and . <= 240",
    ],
    ["end_group"],
    ["end group"],
    ["begin group", "ratings", "服务评价", "Rating our service", "", "", "", "", "", "", "field-list"],
    ["begin group", "staff", "请评价我们的员工。", "Please rate our staff.", "", "", "", "", "", "", "table-list"],
    ["select_one agree5", "friendly", "员工态度友好。", "The staff were friendly.", "", "", "yes"],
    ["select_one agree5", "competent", "员工专业能干。", "The staff knew their job.", "", "", "yes"],
    ["end group"],
    [
        "select_multiple improve",
        "improve",
        "我们最应该改进哪些方面？",
        "What should we improve most?",
        "最多选两项",
        "Pick up to two",
        "yes",
        "",
        "count-selected(.) <= 2",
    ],
    [
        "text",
        "improve_other",
        "请说明其他方面",
        "Which other aspect?",
        "",
        "",
        "no",
        "selected(${improve}, 'other')",
        "string-length(.) <= 200",
    ],
    [
        "range",
        "recommend",
        "您有多大可能向亲友推荐我们？",
        "How likely are you to recommend us to a friend?",
        "",
        "",
        "yes",
        "",
        "",
        "",
        "",
        "start=0 end=10 step=1",
    ],
    [
        "date",
        "next_visit",
        "您计划何时再次来店？",
        "When do you plan to visit again?",
        "",
        "",
        "no",
        "",
        ". >= date('2024-01-01')",
    ],
    ["end group"],
    ["note", "before_comment", "最后一个问题。", "One last question."],
    [
        "text",
        "comment",
        "请告诉我们哪里做得不好。",
        "Please tell us what went wrong.",
        "",
        "",
        "no",
        "not(${sat_overall} >= 4) and ${visits} > 1",
    ],
    ["note", "goodbye", "再见！", "Goodbye!"],
]
CHOICES_HEADER = ["List Name", "Name", "Label::Chinese (zh)", "Label::English (en)"]
SATISFACTION_CHOICES = [
    ["channel", "phone", "电话", "By phone"],
    ["channel", "app", "手机应用", "In the app"],
    ["channel", "Walk-In", "直接到店", "Walked in"],
    ["agree5", "1", "非常不同意", "Strongly disagree"],
    ["agree5", "2", "2", "2"],
    ["agree5", "3", "3", "3"],
    ["agree5", "4", "4", "4"],
    ["agree5", "5", "非常同意", "Strongly agree"],
    ["improve", "price", "价格", "Price"],
    ["improve", "speed", "速度", "Speed"],
    ["improve", "staff", "员工", "Staff"],
    ["improve", "other", "其他", "Other"],
]
SATISFACTION_SETTINGS = [
    ["form_title", "form_id", "version", "default_language"],
    ["经销商来店满意度", "dealer_visit", "2024060101", "Chinese (zh)"],
]

UNSUPPORTED_SURVEY = [
    ["type", "name", "label", "relevant", "choice_filter", "default", "calculation"],
    ["text", "respondent", "Your name"],
    ["geopoint", "location", "Where are you?"],
    ["image", "photo", "Take a photo of the car"],
    ["audio", "voice", "Record a message"],
    ["barcode", "vin", "Scan the VIN"],
    ["calculate", "total", "", "", "", "", "1 + 1"],
    ["begin repeat", "children", "Children"],
    ["text", "child_name", "Name of the child"],
    ["end repeat"],
    ["select_multiple topics", "topics", "Which topics?"],
    ["integer", "many", "How many more?", "count-selected(${topics}) > 1"],
    ["select_one cities", "city", "Which city?", "", "region = ${respondent}"],
    ["integer", "age", "Your age", "", "", "30"],
]
UNSUPPORTED_CHOICES = [
    ["list_name", "name", "label"],
    ["topics", "a", "Topic A"],
    ["topics", "b", "Topic B"],
    ["cities", "x", "City X"],
]

MALFORMED = {
    "malformed_no_name": [["type", "name", "label"], ["text", "", "A question with no name"]],
    "malformed_duplicate_column": [["type", "name", "label", "Label"], ["text", "q1", "One", "Two"]],
    "malformed_unknown_type": [["type", "name", "label"], ["textt", "q1", "A typo in the type"]],
    "malformed_undefined_list": [["type", "name", "label"], ["select_one nolist", "q1", "Pick one"]],
    "malformed_unclosed_group": [["type", "name", "label"], ["begin group", "g", "Group"], ["text", "q1", "Q"]],
}


def _xlsx(path: Path, sheets: dict[str, list[list[str]]]) -> None:
    import openpyxl

    book = openpyxl.Workbook()
    first = True
    for name, rows in sheets.items():
        sheet = book.active if first else book.create_sheet(name)
        assert sheet is not None
        sheet.title = name
        first = False
        for row in rows:
            sheet.append(row)
    book.save(path)


def _xls(path: Path, sheets: dict[str, list[list[str]]]) -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    for name, rows in sheets.items():
        sheet = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                sheet.write(r, c, value)
    book.save(str(path))


def satisfaction_sheets() -> dict[str, list[list[str]]]:
    return {
        "survey": [SURVEY_HEADER, *SATISFACTION_SURVEY],
        "choices": [CHOICES_HEADER, *SATISFACTION_CHOICES],
        "settings": SATISFACTION_SETTINGS,
    }


def main() -> None:
    FORMS.mkdir(exist_ok=True)
    _xlsx(FORMS / "satisfaction_zh_en.xlsx", satisfaction_sheets())
    _xls(FORMS / "satisfaction_zh_en.xls", satisfaction_sheets())
    _xlsx(FORMS / "unsupported.xlsx", {"survey": UNSUPPORTED_SURVEY, "choices": UNSUPPORTED_CHOICES})
    for name, rows in MALFORMED.items():
        sheets = {"survey": rows}
        if name == "malformed_undefined_list":
            sheets["choices"] = [["list_name", "name", "label"], ["other", "a", "A"]]
        _xlsx(FORMS / f"{name}.xlsx", sheets)


if __name__ == "__main__":
    main()
