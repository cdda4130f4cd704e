"""Exports: every format read back with its labels, missing codes and escaping.

Files are read back with independent readers (pyreadstat for .sav/.dta, openpyxl
and pandas for .xlsx, pyarrow for .parquet), never with our own writer's code.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pyreadstat
import pytest
from click.testing import CliRunner

from surveykit import load_questionnaire
from surveykit.cli import main
from surveykit.codebook import codebook, write_codebook
from surveykit.export import FORMATS, ExportError, ExportWarning, export, read_table

SURVEY = """\
survey: dealer_service
version: 3
title: {zh: 售后服务满意度调查, en: After-sales service survey}
languages: [zh, en]
fields:
  dealer: {label: {zh: 经销商, en: Dealer}, values: {"01": {zh: 北京店, en: Beijing}, "02": {zh: 上海店, en: Shanghai}}}
  advisor: {label: {zh: 服务顾问, en: Service advisor}}
scales:
  agree5: {points: 5, labels: {1: {zh: 非常不同意, en: Strongly disagree}, 5: {zh: 非常同意, en: Strongly agree}}}
dimensions:
  reliability: {zh: 可靠性, en: Reliability}
pages:
  - id: visit
    title: {zh: 来店经历, en: Your visit}
    questions:
      - {id: sat, type: likert, scale: agree5, text: {zh: 总体满意, en: Overall satisfied}}
      - id: channel
        type: choice
        text: {zh: 预约方式, en: "Booking <b>&</b>"}
        options: {phone: {zh: 电话, en: Phone}, app: {zh: 应用, en: App}, "10": {zh: 其他, en: Other}}
      - id: extras
        type: multi
        required: false
        text: {zh: 其他服务, en: Extras}
        options: {wash: {zh: 洗车, en: Wash}, coffee: {zh: 咖啡, en: Coffee}}
      - {id: recommend, type: nps, text: {zh: 推荐, en: Recommend}}
      - {id: visit_date, type: date, required: false, text: {zh: 日期, en: Date}}
      - {id: km, type: number, required: false, text: {zh: 里程, en: Mileage}}
      - {id: visits, type: number, min: 0, required: false, text: {zh: 次数, en: Visits}}
      - id: comment
        type: text
        required: false
        visible_if: sat <= 2
        text: {zh: 哪里不好, en: What went wrong}
  - id: app_page
    visible_if: channel == 'app'
    title: {zh: 应用, en: The app}
    questions:
      - {id: app_ease, type: likert, scale: agree5, text: {zh: 应用好用, en: The app is easy}}
  - type: servqual
    id: sq
    scale: agree5
    items:
      - {id: rel1, dimension: reliability, expectation: {zh: 期望, en: Expect}, perception: {zh: 感受, en: Perceive}}
  - type: kano
    id: kano
    attributes:
      - {id: courtesy_car, functional: {zh: 提供, en: Offered}, dysfunctional: {zh: 不提供, en: Not offered}}
"""

LONG = "很" * 100  # 300 bytes: past SPSS's 256-byte variable label and Stata's 80 characters
LONG_OPTION = "选" * 50  # 150 bytes: past SPSS's 120-byte value label
LONG_SURVEY = f"""\
survey: long_labels
version: 1
title: {{zh: 标签很长的问卷, en: Long labels}}
languages: [zh, en]
pages:
  - id: p
    questions:
      - {{id: long_q, type: likert, scale: s, text: {{zh: {LONG}, en: Long}}}}
      - id: long_choice
        type: choice
        text: {{zh: 选择, en: Choose}}
        options: {{a: {{zh: {LONG_OPTION}, en: A}}, b: {{zh: 短, en: B}}}}
      - {{id: short_q, type: likert, scale: s, text: {{zh: 短, en: Short}}}}
scales:
  s: {{points: 3, labels: {{1: {{zh: 低, en: Low}}, 3: {{zh: 高, en: High}}}}}}
"""


@pytest.fixture
def q(tmp_path: Path):
    path = tmp_path / "survey.yaml"
    path.write_text(SURVEY, encoding="utf-8")
    return load_questionnaire(path)


def _frame(q) -> pd.DataFrame:
    """Four responses by hand: answered, skipped by logic, not answered, formula-looking text."""
    rows = [
        dict(
            sat=1.0,
            channel="app",
            extras_wash=1.0,
            extras_coffee=0.0,
            recommend=3.0,
            visit_date="2026-01-05",
            km=-5.5,
            visits=2.0,
            comment="太慢了",
            app_ease=4.0,
            rel1_e=5.0,
            rel1_p=3.0,
            courtesy_car_f="like",
            courtesy_car_d="dislike",
            dealer="01",
            advisor="张三",
        ),
        dict(
            sat=5.0,
            channel="phone",
            extras_wash=0.0,
            extras_coffee=1.0,
            recommend=10.0,
            visit_date=None,
            km=None,
            visits=None,
            comment=None,
            app_ease=None,
            rel1_e=4.0,
            rel1_p=4.0,
            courtesy_car_f="must_be",
            courtesy_car_d="neutral",
            dealer="02",
            advisor=None,
        ),
        dict(
            sat=2.0,
            channel=None,
            extras_wash=None,
            extras_coffee=None,
            recommend=None,
            visit_date="2026-02-28",
            km=120.0,
            visits=0.0,
            comment=None,
            app_ease=None,
            rel1_e=None,
            rel1_p=2.0,
            courtesy_car_f=None,
            courtesy_car_d="like",
            dealer="01",
            advisor="Li",
        ),
        dict(
            sat=2.0,
            channel="10",
            extras_wash=0.0,
            extras_coffee=0.0,
            recommend=0.0,
            visit_date=None,
            km=None,
            visits=None,
            comment='=HYPERLINK("http://x")',
            app_ease=None,
            rel1_e=1.0,
            rel1_p=1.0,
            courtesy_car_f="dislike",
            courtesy_car_d="like",
            dealer=None,
            advisor="-minus",
        ),
    ]
    meta = dict(survey="dealer_service", version=3.0, wave="2026-01", language="zh")
    frame = pd.DataFrame([{**meta, **row} for row in rows])
    frame["response_id"] = [f"r{i}" for i in range(len(rows))]
    frame["started_at"] = pd.to_datetime(
        ["2026-01-05 09:00:00", "2026-01-06 10:30:00", "2026-01-07 11:00:05", "2026-01-08 12:00:00"]
    ).as_unit("s")
    frame["submitted_at"] = frame["started_at"] + pd.to_timedelta([60, 90, 120, 30], unit="s")
    frame["duration_s"] = [60.0, 90.0, 120.0, 30.0]
    return frame[list(q.columns())]


# -- codebook -------------------------------------------------------------------------------------------


def test_codebook_has_every_column_with_codes_and_conditions(q):
    book = codebook(q)
    assert list(book["variable"]) == list(q.columns())
    row = book.set_index("variable")
    assert row.loc["channel", "integer_codes"] == "1 = phone; 2 = app; 3 = 10"
    assert row.loc["channel", "values_zh"] == "phone = 电话; app = 应用; 10 = 其他"
    assert row.loc["channel", "values_en"] == "phone = Phone; app = App; 10 = Other"
    assert row.loc["dealer", "integer_codes"] == "1 = 01; 2 = 02"
    assert row.loc["advisor", "integer_codes"] == ""
    assert row.loc["app_ease", "visible_if"] == "channel == 'app'"
    assert row.loc["comment", "visible_if"] == "sat <= 2"
    assert row.loc["sat", "measure"] == "ordinal"
    assert row.loc["rel1_e", "dimension"] == "reliability" and row.loc["rel1_e", "role"] == "expectation"
    assert "-1 / -2" in row.loc["sat", "missing"] and ".a / .b" in row.loc["sat", "missing"]
    assert "system-missing" in row.loc["km", "missing"]  # no declared minimum: -1 could be an answer
    assert "-1 / -2" in row.loc["visits", "missing"]
    assert row.loc["extras_wash", "question_text_en"] == "Extras"
    assert set(book["sha256"]) == {q.sha256}


def test_codebook_in_one_language(q):
    book = codebook(q, "en")
    assert "label_en" in book and "label_zh" not in book and "values_zh" not in book
    with pytest.raises(ExportError, match="'fr'"):
        codebook(q, "fr")


def test_codebook_csv_has_bom_and_html_is_escaped(q, tmp_path):
    write_codebook(q, tmp_path / "cb.csv")
    data = (tmp_path / "cb.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    back = pd.read_csv(tmp_path / "cb.csv", encoding="utf-8-sig", keep_default_na=False)
    assert list(back["variable"]) == list(q.columns())
    buffer = io.BytesIO()
    write_codebook(q, buffer, format="html", lang="en")
    page = buffer.getvalue().decode()
    assert '<html lang="en">' in page and "Booking &lt;b&gt;&amp;&lt;/b&gt;" in page and "<b>&" not in page
    assert q.sha256 in page and "http" not in page.replace("http://www.w3.org", "")
    write_codebook(q, tmp_path / "cb.html", format="html")
    assert '<html lang="zh-Hans">' in (tmp_path / "cb.html").read_text(encoding="utf-8")
    with pytest.raises(ExportError, match="pdf"):
        write_codebook(q, tmp_path / "cb.pdf", format="pdf")


# -- SPSS ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "sat_label", "phone", "skipped"),
    [
        ("zh", "总体满意", "电话", "未显示（跳题）"),
        ("en", "Overall satisfied", "Phone", "Not shown (skip logic)"),
    ],
)
def test_sav_round_trip_with_labels_and_user_missing(q, tmp_path, lang, sat_label, phone, skipped):
    assert export(_frame(q), q, tmp_path / "x.sav", format="sav", lang=lang) == []
    data, meta = pyreadstat.read_sav(tmp_path / "x.sav", user_missing=True)
    assert meta.file_encoding == "UTF-8"
    assert list(data.columns) == list(q.columns())
    assert meta.column_names_to_labels["sat"] == sat_label
    assert meta.column_names_to_labels["dealer"] == ("经销商" if lang == "zh" else "Dealer")
    # codes -> 1..n in declared order, the labels carry the text
    assert data["channel"].tolist() == [2.0, 1.0, -2.0, 3.0]
    assert meta.variable_value_labels["channel"][1] == phone
    assert meta.variable_value_labels["channel"][-1] == skipped
    assert data["courtesy_car_f"].tolist() == [1.0, 2.0, -2.0, 5.0]
    assert data["dealer"].tolist()[:3] == [1.0, 2.0, 1.0] and math.isnan(data["dealer"][3])  # fields: no -1/-2
    assert meta.variable_value_labels["sat"] == {
        1: ("非常不同意" if lang == "zh" else "Strongly disagree"),
        5: ("非常同意" if lang == "zh" else "Strongly agree"),
        -1: skipped,
        -2: ("未作答" if lang == "zh" else "Not answered"),
    }
    # skipped by logic (-1) vs shown and not answered (-2)
    assert data["app_ease"].tolist() == [4.0, -1.0, -1.0, -1.0]  # the app page is shown for channel == app
    assert data["recommend"].tolist() == [3.0, 10.0, -2.0, 0.0]  # 0 is an answer, missing is -2
    assert data["rel1_e"].tolist() == [5.0, 4.0, -2.0, 1.0]
    assert data["visits"].tolist()[:3] == [2.0, -2.0, 0.0]
    assert meta.missing_ranges["app_ease"] == [{"lo": -1.0, "hi": -1.0}, {"lo": -2.0, "hi": -2.0}]
    assert "km" not in meta.missing_ranges and math.isnan(data["km"][1]) and data["km"][0] == -5.5
    assert meta.variable_measure["sat"] == "ordinal" and meta.variable_measure["channel"] == "nominal"
    assert meta.variable_measure["km"] == "scale" and meta.variable_measure["comment"] == "nominal"
    # free text stays text; dates and date-times are dates
    assert data["comment"].tolist() == ["太慢了", "", "", '=HYPERLINK("http://x")']
    assert data["advisor"].tolist() == ["张三", "", "Li", "-minus"]
    assert str(data["visit_date"][0]) == "2026-01-05"
    assert data["started_at"][2] == pd.Timestamp("2026-01-07 11:00:05")  # datetime64[s] input is not 1970
    assert meta.original_variable_types["visit_date"].startswith("DATE")
    assert any(q.sha256 in note for note in meta.notes)
    # read the SPSS default way: every missing code is missing, never 0
    plain, _ = pyreadstat.read_sav(tmp_path / "x.sav")
    assert plain["app_ease"].isna().tolist() == [False, True, True, True]
    assert plain["recommend"].isna().tolist() == [False, False, True, False]


# -- Stata --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_dta_round_trip_with_labels_and_extended_missing(q, tmp_path, lang):
    assert export(_frame(q), q, tmp_path / "x.dta", format="dta", lang=lang) == []
    assert (tmp_path / "x.dta").read_bytes().startswith(b"<stata_dta><header><release>118</release>")
    data, meta = pyreadstat.read_dta(tmp_path / "x.dta", user_missing=True)
    assert list(data.columns) == list(q.columns())
    assert meta.column_names_to_labels["channel"] == ("预约方式" if lang == "zh" else "Booking <b>&</b>")
    assert data["channel"].tolist() == [2, 1, "b", 3]
    assert data["app_ease"].tolist() == [4, "a", "a", "a"]
    assert data["comment"].tolist() == ["太慢了", "", "", '=HYPERLINK("http://x")']
    labels = meta.variable_value_labels["channel"]
    assert labels[2] == ("应用" if lang == "zh" else "App")
    assert labels["a"] == ("未显示（跳题）" if lang == "zh" else "Not shown (skip logic)")
    assert labels["b"] == ("未作答" if lang == "zh" else "Not answered")
    assert meta.missing_user_values["app_ease"] == ["a"]  # ReadStat lists the letters in use
    assert data["km"].tolist()[0] == -5.5 and data["km"].tolist()[1] == "b"  # .a/.b never collide
    plain, _ = pyreadstat.read_dta(tmp_path / "x.dta")
    assert plain["recommend"].isna().tolist() == [False, False, True, False]
    assert plain["recommend"].tolist()[3] == 0.0
    assert plain["started_at"][2] == pd.Timestamp("2026-01-07 11:00:05")
    assert str(plain["visit_date"][2]) == "2026-02-28"


# -- CSV, XLSX, Parquet ---------------------------------------------------------------------------------


def test_csv_starts_with_bom_and_reads_back_equal(q, tmp_path):
    frame = _frame(q)
    assert export(frame, q, tmp_path / "x.csv", format="csv") == []
    assert (tmp_path / "x.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    back = read_table(tmp_path / "x.csv", q, unescape=True)
    assert back["dealer"].tolist()[:3] == ["01", "02", "01"]  # codes that look numeric stay strings
    assert back["channel"].tolist()[3] == "10"
    _assert_same(back, frame)


def test_parquet_metadata_and_round_trip(q, tmp_path):
    frame = _frame(q)
    assert export(frame, q, tmp_path / "x.parquet", format="parquet", lang="en") == []
    schema = pq.read_schema(tmp_path / "x.parquet")
    field = schema.field("channel").metadata
    assert field[b"label"].decode() == "Booking <b>&</b>" and field[b"measure"] == b"nominal"
    assert json.loads(field[b"value_labels"]) == {"phone": "Phone", "app": "App", "10": "Other"}
    survey = json.loads(schema.metadata[b"surveykit"])
    assert (survey["survey"], survey["version"], survey["sha256"]) == ("dealer_service", 3, q.sha256)
    assert [row["variable"] for row in survey["codebook"]] == list(q.columns())
    assert survey["codebook"][list(q.columns()).index("sat")]["label_zh"] == "总体满意"
    back = pd.read_parquet(tmp_path / "x.parquet")
    assert back["comment"].tolist()[3] == '=HYPERLINK("http://x")'  # verbatim outside CSV/XLSX
    _assert_same(read_table(tmp_path / "x.parquet", q), frame)


def test_xlsx_has_data_and_codebook_sheets(q, tmp_path):
    frame = _frame(q)
    assert export(frame, q, tmp_path / "x.xlsx", format="xlsx") == []
    book = openpyxl.load_workbook(tmp_path / "x.xlsx")
    assert book.sheetnames == ["data", "codebook"]
    data = book["data"]
    assert data.freeze_panes == "A2"
    assert [c.value for c in data[1]] == list(q.columns())
    header = {name: i for i, name in enumerate(q.columns())}
    second = [c.value for c in data[3]]
    assert second[header["comment"]] is None and second[header["km"]] is None  # missing: empty cell
    assert second[header["channel"]] == "phone" and second[header["recommend"]] == 10
    assert second[header["started_at"]] == pd.Timestamp("2026-01-06 10:30:00").to_pydatetime()
    first = [c.value for c in data[2]]
    assert first[header["visit_date"]].date().isoformat() == "2026-01-05"
    assert data.cell(2, header["visit_date"] + 1).number_format == "yyyy-mm-dd"
    codebook_rows = list(book["codebook"].values)
    assert codebook_rows[0][:2] == ("variable", "question") and len(codebook_rows) == len(q.columns()) + 1
    back = pd.read_excel(tmp_path / "x.xlsx", sheet_name="data", dtype={"dealer": str, "channel": str})
    assert back["dealer"].tolist()[:3] == ["01", "02", "01"]
    assert back["km"].isna().tolist() == [False, True, False, True]
    assert back["comment"].tolist()[3] == '\'=HYPERLINK("http://x")'


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_formula_injection_prefix_in_spreadsheets(q, tmp_path, fmt):
    frame = _frame(q)
    risky = ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx", "'=already", "a & <b>"]
    frame = pd.concat([frame] * 2, ignore_index=True)
    frame["comment"] = risky
    export(frame, q, tmp_path / f"x.{fmt}", format=fmt)
    if fmt == "csv":
        got = pd.read_csv(tmp_path / "x.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)["comment"]
        assert read_table(tmp_path / "x.csv", q, unescape=True)["comment"].tolist() == risky
    else:
        got = pd.read_excel(tmp_path / "x.xlsx", sheet_name="data", dtype=str)["comment"]
    assert got.tolist() == ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "''=already", "a & <b>"]


def test_xlsx_escapes_text_for_xml(q, tmp_path):
    import zipfile

    frame = _frame(q)
    frame["comment"] = ["a_x0041_b", "x\x01y", "1 < 2 & 3", "é" * 40_000]
    with pytest.warns(ExportWarning) as record:
        export(frame, q, tmp_path / "x.xlsx", format="xlsx")
    assert [str(w.message) for w in record] == [
        "xlsx: control characters that XML cannot hold were removed from data column(s): comment",
        "xlsx: text longer than Excel's 32,767 characters a cell was cut in data column(s): comment",
    ]
    sheet = zipfile.ZipFile(tmp_path / "x.xlsx").read("xl/worksheets/sheet1.xml").decode()
    assert "a_x005F_x0041_b" in sheet  # Excel reads _x005F_ as "_" (ECMA-376 ST_Xstring); openpyxl does not
    got = pd.read_excel(tmp_path / "x.xlsx", sheet_name="data")["comment"].tolist()
    assert got[1:3] == ["xy", "1 < 2 & 3"] and got[3] == "é" * 32_767


@pytest.mark.parametrize("fmt", ["sav", "dta", "parquet"])
def test_text_stays_verbatim_outside_spreadsheets(q, tmp_path, fmt):
    frame = _frame(q)
    frame.loc[0, "comment"] = "=1+1"
    frame.loc[0, "advisor"] = "@boss"
    export(frame, q, tmp_path / f"x.{fmt}", format=fmt)
    if fmt == "parquet":
        back = pd.read_parquet(tmp_path / "x.parquet")
    else:
        back = (pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta)(tmp_path / f"x.{fmt}")[0]
    assert (back["comment"][0], back["advisor"][0]) == ("=1+1", "@boss")


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_never_becomes_zero_or_empty_string(q, tmp_path, fmt):
    frame = _frame(q)
    export(frame, q, tmp_path / f"x.{fmt}", format=fmt)
    if fmt in ("csv", "parquet"):
        back = read_table(tmp_path / f"x.{fmt}", q, unescape=True)
    elif fmt == "xlsx":
        back = pd.read_excel(tmp_path / "x.xlsx", sheet_name="data")
    else:
        back = (pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta)(tmp_path / f"x.{fmt}")[0]
    for name in ("sat", "channel", "recommend", "visits", "km", "app_ease", "rel1_e", "courtesy_car_f", "extras_wash"):
        assert back[name].isna().tolist() == frame[name].isna().tolist(), name
    if fmt not in ("sav", "dta"):  # SPSS and Stata have no missing string: text is "" there
        assert back["comment"].isna().tolist() == frame["comment"].isna().tolist()
        assert back["advisor"].isna().tolist() == frame["advisor"].isna().tolist()


@pytest.mark.parametrize("fmt", FORMATS)
def test_buffers_are_accepted(q, fmt):
    buffer = io.BytesIO()
    export(_frame(q), q, buffer, format=fmt)
    assert len(buffer.getvalue()) > 100


def _assert_same(back: pd.DataFrame, frame: pd.DataFrame) -> None:
    assert list(back.columns) == list(frame.columns)
    for name in frame.columns:
        want, got = frame[name], back[name]
        assert got.isna().tolist() == want.isna().tolist(), name
        if pd.api.types.is_datetime64_any_dtype(want):
            assert got.dt.as_unit("us").tolist() == want.dt.as_unit("us").tolist(), name
        elif pd.api.types.is_numeric_dtype(want):
            assert got.dtype == "float64", name
            assert np.array_equal(got.to_numpy(), want.to_numpy(dtype=float), equal_nan=True), name
        else:
            assert got[want.notna()].tolist() == want[want.notna()].tolist(), name


# -- limits, names, odd input ---------------------------------------------------------------------------


@pytest.fixture
def long_q(tmp_path: Path):
    path = tmp_path / "long.yaml"
    path.write_text(LONG_SURVEY, encoding="utf-8")
    return load_questionnaire(path)


def _long_frame(q) -> pd.DataFrame:
    frame = pd.DataFrame({name: [None, None] for name in q.columns()})
    frame["long_q"], frame["short_q"], frame["long_choice"] = [1.0, 3.0], [2.0, 2.0], ["a", "b"]
    frame["started_at"] = frame["submitted_at"] = pd.Timestamp("2026-03-01 08:00")
    return frame


def test_sav_label_limits_cut_on_a_character_boundary_and_warn(long_q, tmp_path):
    with pytest.warns(ExportWarning) as record:
        notes = export(_long_frame(long_q), long_q, tmp_path / "x.sav", format="sav", lang="zh")
    assert [str(w.message) for w in record] == notes
    assert any("variable labels cut to 256 bytes" in n and "long_q" in n and "short_q" not in n for n in notes)
    assert any("value labels cut to 120 bytes" in n and "long_choice (1)" in n for n in notes)
    _, meta = pyreadstat.read_sav(tmp_path / "x.sav")
    label = meta.column_names_to_labels["long_q"]
    assert label.endswith("…") and len(label.encode()) <= 256 and set(label[:-1]) == {"很"}
    option = meta.variable_value_labels["long_choice"][1]
    assert option.endswith("…") and len(option.encode()) <= 120 and set(option[:-1]) == {"选"}
    assert meta.column_names_to_labels["short_q"] == "短"
    assert codebook(long_q).set_index("variable").loc["long_q", "label_zh"] == LONG  # full text kept


def test_dta_label_limit_is_80_characters(long_q, tmp_path):
    with pytest.warns(ExportWarning, match=r"dta: variable labels cut to 80 characters for 1 variable\(s\): long_q"):
        export(_long_frame(long_q), long_q, tmp_path / "x.dta", format="dta", lang="zh")
    _, meta = pyreadstat.read_dta(tmp_path / "x.dta")
    assert len(meta.column_names_to_labels["long_q"]) == 80
    assert meta.variable_value_labels["long_choice"][1] == LONG_OPTION  # 32,000 bytes is room enough
    assert export(_long_frame(long_q), long_q, tmp_path / "en.dta", format="dta", lang="en") == []


def test_names_stata_and_spss_cannot_take_are_changed_with_a_warning(q, tmp_path):
    frame = _frame(q)
    frame["if"] = 1.0
    frame["a_very_long_extra_column_name_of_forty_chars"] = "x"
    with pytest.warns(ExportWarning) as record:
        export(frame, q, tmp_path / "x.dta", format="dta")
    messages = " | ".join(str(w.message) for w in record)
    assert "not in the codebook" in messages and "if -> if_" in messages
    assert "a_very_long_extra_column_name_of_forty_chars -> a_very_long_extra_column_nam" in messages
    data, _ = pyreadstat.read_dta(tmp_path / "x.dta")
    assert {"if_", "a_very_long_extra_column_nam"} <= set(data.columns)


def test_long_ids_get_short_names_listed_in_the_codebook(tmp_path):
    long_id = "how_satisfied_were_you_with_the_waiting_area"  # 44 characters: past Stata's 32 (28)
    path = tmp_path / "names.yaml"
    path.write_text(
        f"""\
survey: names
version: 1
title: {{en: Names}}
languages: [en]
scales: {{s: {{points: 3, labels: {{1: Low, 3: High}}}}}}
pages:
  - id: p
    questions:
      - {{id: {long_id}, type: likert, scale: s, text: "=1+1 is not a formula here"}}
      - {{id: {long_id[:28]}_other, type: likert, scale: s, text: Other}}
""",
        encoding="utf-8",
    )
    q = load_questionnaire(path)
    book = codebook(q).set_index("variable")
    assert "sav_name" not in book and book.loc[long_id, "dta_name"] == long_id[:28]
    assert book.loc[long_id[:28] + "_other", "dta_name"] == long_id[:26] + "_2"  # cut, clashed, numbered
    assert book.loc["survey", "dta_name"] == "survey"
    frame = pd.DataFrame({name: [None] for name in q.columns()}).assign(**{long_id: [1.0]})
    with pytest.warns(ExportWarning, match=f"dta: 2 variable name.*{long_id} -> {long_id[:28]}"):
        export(frame, q, tmp_path / "x.dta", format="dta")
    data, meta = pyreadstat.read_dta(tmp_path / "x.dta")
    assert data[long_id[:28]].tolist() == [1.0] and meta.column_names_to_labels[long_id[:28]].startswith("=1+1")
    assert export(frame, q, tmp_path / "x.sav", format="sav") == []
    write_codebook(q, tmp_path / "cb.csv")  # codebook cells are escaped like data cells
    back = pd.read_csv(tmp_path / "cb.csv", encoding="utf-8-sig", keep_default_na=False).set_index("variable")
    assert back.loc[long_id, "label_en"] == "'=1+1 is not a formula here"


def test_undeclared_codes_are_numbered_after_the_declared_ones(q, tmp_path):
    frame = _frame(q)
    frame.loc[1, "dealer"] = "99"
    with pytest.warns(ExportWarning, match=r"dealer: code\(s\) not declared .*'99' = 3"):
        export(frame, q, tmp_path / "x.sav", format="sav")
    data, meta = pyreadstat.read_sav(tmp_path / "x.sav")
    assert data["dealer"][1] == 3 and meta.variable_value_labels["dealer"][3] == "99"


def test_bad_input_is_refused_with_the_column_named(q, tmp_path):
    frame = _frame(q)
    with pytest.raises(ExportError, match=r"lacks 1 column.*sat"):
        export(frame.drop(columns="sat"), q, tmp_path / "x.csv", format="csv")
    with pytest.raises(ExportError, match="'recommend' is numeric but holds 'ten'"):
        export(frame.assign(recommend=["ten", 1, 2, 3]), q, tmp_path / "x.csv", format="csv")
    with pytest.raises(ExportError, match="'fr'"):
        export(frame, q, tmp_path / "x.csv", format="csv", lang="fr")
    with pytest.raises(ExportError, match="'json' is not supported"):
        export(frame, q, tmp_path / "x.json", format="json")


def test_xlsx_refuses_more_rows_than_excel_holds(q, tmp_path, monkeypatch):
    monkeypatch.setattr("surveykit.export.XLSX_MAX_ROWS", 4)
    with pytest.raises(ExportError, match="at most 3 data rows"):
        export(_frame(q), q, tmp_path / "x.xlsx", format="xlsx")


def test_empty_strings_and_numeric_looking_codes_are_normalised(q, tmp_path):
    frame = _frame(q)
    frame["comment"] = ["", None, "ok", ""]
    frame["channel"] = frame["channel"].astype(object)
    frame.loc[3, "channel"] = 10  # a code read as a number
    export(frame, q, tmp_path / "x.parquet", format="parquet")
    back = pd.read_parquet(tmp_path / "x.parquet")
    assert back["comment"].isna().tolist() == [True, True, False, True]
    assert back["channel"][3] == "10"


# -- simulated data, CLI --------------------------------------------------------------------------------


def test_simulated_responses_round_trip_in_every_format(q, tmp_path):
    simulate = pytest.importorskip("surveykit.simulate").simulate
    frame = simulate(q, 300, seed=3, missing=0.1)
    for fmt in FORMATS:
        export(frame, q, tmp_path / f"s.{fmt}", format=fmt)
    _assert_same(read_table(tmp_path / "s.csv", q, unescape=True), frame)
    _assert_same(read_table(tmp_path / "s.parquet", q), frame)
    data, _ = pyreadstat.read_sav(tmp_path / "s.sav", user_missing=True)
    codes = {"phone": 1.0, "app": 2.0, "10": 3.0}
    shown = frame["channel"].notna()
    assert data["channel"][shown].tolist() == frame["channel"][shown].map(codes).tolist()
    assert set(data["channel"][~shown]) <= {-2.0}
    skipped = frame["channel"] != "app"
    assert set(data["app_ease"][skipped]) == {-1.0}
    stata, _ = pyreadstat.read_dta(tmp_path / "s.dta", user_missing=True)
    assert set(stata["app_ease"][skipped]) == {"a"}
    excel = pd.read_excel(tmp_path / "s.xlsx", sheet_name="data")
    assert np.array_equal(excel["sat"].to_numpy(), frame["sat"].to_numpy(), equal_nan=True)


def test_cli_exports_a_csv_file_with_a_codebook(q, tmp_path):
    path = tmp_path / "survey.yaml"
    frame = _frame(q)
    frame.to_csv(tmp_path / "data.csv", index=False)
    result = CliRunner().invoke(
        main,
        [
            "export",
            str(path),
            str(tmp_path / "data.csv"),
            "--format",
            "sav",
            "-o",
            str(tmp_path / "out.sav"),
            "--lang",
            "en",
            "--codebook",
            str(tmp_path / "cb.html"),
        ],
    )
    assert result.exit_code == 0, result.output
    _, meta = pyreadstat.read_sav(tmp_path / "out.sav")
    assert meta.column_names_to_labels["sat"] == "Overall satisfied"
    assert "Overall satisfied" in (tmp_path / "cb.html").read_text(encoding="utf-8")
    frame.to_parquet(tmp_path / "data.parquet", index=False)
    result = CliRunner().invoke(
        main, ["export", str(path), str(tmp_path / "data.parquet"), "-o", str(tmp_path / "out.dta")]
    )
    assert result.exit_code == 0, result.output
    assert pyreadstat.read_dta(tmp_path / "out.dta")[1].column_names_to_labels["sat"] == "总体满意"


def test_cli_reports_bad_input_without_a_traceback(q, tmp_path):
    path = tmp_path / "survey.yaml"
    _frame(q).drop(columns="sat").to_csv(tmp_path / "data.csv", index=False)
    result = CliRunner().invoke(main, ["export", str(path), str(tmp_path / "data.csv"), "-o", str(tmp_path / "x.csv")])
    assert result.exit_code == 1 and "lacks 1 column" in result.output
    result = CliRunner().invoke(main, ["export", str(path), "-o", str(tmp_path / "x.csv")])
    assert result.exit_code == 2 and "DATA or --db" in result.output
    result = CliRunner().invoke(main, ["export", str(path), str(tmp_path / "data.csv"), "-o", str(tmp_path / "x.txt")])
    assert result.exit_code == 2 and "--format" in result.output


def test_cli_prints_warnings(long_q, tmp_path):
    path = tmp_path / "long.yaml"
    _long_frame(long_q).to_csv(tmp_path / "data.csv", index=False)
    result = CliRunner().invoke(main, ["export", str(path), str(tmp_path / "data.csv"), "-o", str(tmp_path / "x.sav")])
    assert result.exit_code == 0, result.output
    assert "warning: sav: variable labels cut to 256 bytes for 1 variable(s): long_q" in result.output


def test_cli_reads_responses_from_the_store(q, tmp_path):
    storage = pytest.importorskip("surveykit.storage")
    if not hasattr(storage, "responses_frame"):
        pytest.skip("surveykit.storage has no responses_frame yet")
    url = f"sqlite:///{tmp_path}/store.sqlite3"
    engine = storage.make_engine(url)
    storage.init_db(engine)
    storage.register_version(engine, q, SURVEY)
    storage.save_response(
        engine,
        q,
        {"sat": 2, "channel": "app", "recommend": 9, "app_ease": 5, "comment": "=bad"},
        key=storage.new_submission_key(),
        language="zh",
        fields={"dealer": "01"},
    )
    storage.save_response(
        engine, q, {"sat": 5, "channel": "phone", "recommend": 10}, key=storage.new_submission_key(), language="en"
    )
    engine.dispose()
    result = CliRunner().invoke(
        main, ["export", str(tmp_path / "survey.yaml"), "--db", url, "-o", str(tmp_path / "out.sav")]
    )
    assert result.exit_code == 0, result.output
    data, _ = pyreadstat.read_sav(tmp_path / "out.sav", user_missing=True)
    assert data["channel"].tolist() == [2.0, 1.0]
    assert data["app_ease"].tolist() == [5.0, -1.0]
    assert data["comment"].tolist() == ["=bad", ""]
    assert data["dealer"].tolist()[0] == 1.0
