"""``surveykit text code`` and ``surveykit text discover`` on CSV and XLSX files."""

from __future__ import annotations

import pandas as pd
from click.testing import CliRunner

from surveykit.cli import main

ROWS = [
    ("r1", "zh", "等了三个小时也没人告诉我进度"),
    ("r2", "en", "price was fine but the car came back dirty"),
    ("r3", "zh", ""),
    ("=cmd", "zh", "有代步车，很方便"),
    ("r5", "zh", "今天来做首保的"),
]


def _csv(tmp_path, rows=ROWS):
    path = tmp_path / "comments.csv"
    pd.DataFrame(rows, columns=["rid", "lang", "comment"]).to_csv(path, index=False, encoding="utf-8")
    return path


def test_code_writes_every_row(tmp_path):
    out = tmp_path / "coded.csv"
    result = CliRunner().invoke(
        main,
        [
            "text",
            "code",
            str(_csv(tmp_path)),
            "--column",
            "comment",
            "--id-column",
            "rid",
            "--lang-column",
            "lang",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    coded = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert coded.columns.tolist() == ["id", "themes", "sentiment", "theme_sentiment"]
    assert coded["id"].tolist() == ["r1", "r2", "r3", "'=cmd", "r5"]  # a formula-like id is escaped
    rows = coded.set_index("id")
    assert rows.loc["r1", "themes"] == "waiting_time;communication"
    assert rows.loc["r1", "sentiment"] == "neg"
    assert rows.loc["r2", "themes"] == "price;vehicle_condition"
    assert rows.loc["r2", "sentiment"] == "mixed"
    assert rows.loc["r2", "theme_sentiment"] == "price:pos;vehicle_condition:neg"
    assert (rows.loc["r3", "themes"], rows.loc["r3", "sentiment"]) == ("", "")
    assert rows.loc["'=cmd", "themes"] == "facilities"
    assert rows.loc["r5", "themes"] == "other"


def test_code_reads_xlsx_and_a_custom_codeframe(tmp_path):
    data = tmp_path / "comments.xlsx"
    pd.DataFrame({"id": ["a", "b"], "text": ["充电桩总被占", "配件缺货"]}).to_excel(data, index=False)
    frame = tmp_path / "frame.yaml"
    frame.write_text(
        "codeframe: ev\nlanguages: [zh]\nthemes:\n  charging:\n    label: {zh: 充电}\n    zh: [充电桩|充电]\n",
        encoding="utf-8",
    )
    out = tmp_path / "coded.csv"
    result = CliRunner().invoke(
        main, ["text", "code", str(data), "--column", "text", "--codeframe", str(frame), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    coded = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert coded["themes"].tolist() == ["charging", "other"]


def test_code_reads_a_gbk_csv_as_excel_saves_it_in_chinese(tmp_path):
    path = tmp_path / "gbk.csv"
    pd.DataFrame(ROWS, columns=["rid", "lang", "comment"]).to_csv(path, index=False, encoding="gbk")
    out = tmp_path / "coded.csv"
    args = ["text", "code", str(path), "--column", "comment", "--id-column", "rid", "-o", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    coded = pd.read_csv(out, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert coded.loc[0, "themes"] == "waiting_time;communication" and coded.loc[3, "themes"] == "facilities"


def test_code_refuses_a_file_in_no_known_encoding(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"id,comment\n1,\xdb\xff\xfe\x81\n")
    result = CliRunner().invoke(main, ["text", "code", str(path), "--column", "comment", "-o", str(tmp_path / "o.csv")])
    assert result.exit_code == 1
    assert "it is text in neither UTF-8 nor GBK/GB18030" in result.output and "Traceback" not in result.output


def test_code_errors_exit_1_with_a_message(tmp_path):
    out = tmp_path / "coded.csv"
    missing = CliRunner().invoke(main, ["text", "code", str(_csv(tmp_path)), "--column", "nope", "-o", str(out)])
    assert missing.exit_code == 1
    assert "no column 'nope' (columns: rid, lang, comment)" in missing.output
    frame = tmp_path / "frame.yaml"
    frame.write_text("codeframe: x\nlanguages: [zh]\nthemes:\n  a:\n    label: {zh: A}\n", encoding="utf-8")
    bad = CliRunner().invoke(
        main,
        [
            "text",
            "code",
            str(_csv(tmp_path)),
            "--column",
            "comment",
            "--id-column",
            "rid",
            "--codeframe",
            str(frame),
            "-o",
            str(out),
        ],
    )
    assert bad.exit_code == 1
    assert f"{frame}:4:3: themes.a: theme 'a' has no rules" in bad.output
    assert "Traceback" not in bad.output


def test_code_into_a_missing_folder_is_an_error_before_any_coding(tmp_path):
    out = tmp_path / "no-such-folder" / "coded.csv"
    result = CliRunner().invoke(
        main, ["text", "code", str(_csv(tmp_path)), "--column", "comment", "--id-column", "rid", "-o", str(out)]
    )
    assert result.exit_code == 1
    assert f"cannot write {out}: the folder {out.parent} does not exist" in result.output
    assert "Traceback" not in result.output and not out.parent.exists()


def test_discover_proposes_what_the_codeframe_misses(tmp_path):
    # a theme the default codeframe does not have: the car's infotainment and apps
    rows = [
        (f"n{i}", "zh", text)
        for i, text in enumerate(
            ["车机系统老是死机", "车机导航不更新", "车机蓝牙连不上", "导航系统太老了", "蓝牙经常断开", "车机卡顿严重"]
            * 2
            + ["服务态度很好", "价格公道"]
        )
    ]
    result = CliRunner().invoke(
        main, ["text", "discover", str(_csv(tmp_path, rows)), "--column", "comment", "--clusters", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "12 comment(s) read" in result.output  # the two coded comments are left out
    assert "车机" in result.output.split("keywords:")[1].splitlines()[0]
    assert "candidate theme 1" in result.output
    assert result.output.count("  - ") <= 2 * 5


def test_cases_show_masks_personal_data_unless_asked(db_url, engine):
    import json
    import uuid
    from pathlib import Path

    from surveykit import load_questionnaire, storage

    csi = Path(__file__).resolve().parents[2] / "questionnaires" / "dealer_aftersales_csi.yaml"
    q = load_questionnaire(csi)
    storage.register_version(engine, q, csi.read_text(encoding="utf-8"))
    answers = {"sat_overall": 1, "recommend": 3, "complaint": "还是有异响，请打13800138000，车牌粤B12345"}
    storage.save_response(
        engine, q, answers, key=uuid.uuid4().hex, language="zh", fields={"dealer": "D01", "department": "mechanical"}
    )
    shown = CliRunner().invoke(main, ["cases", "show", "1", "--db", db_url]).output
    assert "13800138000" not in shown and "请打[phone]，车牌[plate]" in shown
    detail = json.loads(CliRunner().invoke(main, ["cases", "show", "1", "--db", db_url, "--format", "json"]).output)
    assert detail["response"]["answers"]["complaint"] == "还是有异响，请打[phone]，车牌[plate]"
    raw = CliRunner().invoke(main, ["cases", "show", "1", "--db", db_url, "--personal-data"]).output
    assert "请打13800138000，车牌粤B12345" in raw


def test_code_with_workers_writes_the_same_file(tmp_path):
    texts = [text for _, _, text in ROWS] + ["配件缺货要等一周", "The advisor was rude"]
    rows = [(f"r{i}", "zh", texts[i % len(texts)]) for i in range(12_000)]  # three chunks of 5,000
    data = _csv(tmp_path, rows)
    outputs = []
    for workers in ("1", "2"):
        out = tmp_path / f"coded{workers}.csv"
        result = CliRunner().invoke(
            main,
            [
                "text",
                "code",
                str(data),
                "--column",
                "comment",
                "--id-column",
                "rid",
                "--workers",
                workers,
                "-o",
                str(out),
            ],
        )
        assert result.exit_code == 0, result.output
        outputs.append(out.read_text(encoding="utf-8-sig"))
    assert outputs[0] == outputs[1]
    assert outputs[0].count("\n") == 12_001
