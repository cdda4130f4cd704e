"""Export benchmark: each format for a SERVQUAL-like table, as a ratio to ``DataFrame.to_parquet``.

The table: 50 columns (8 metadata, a dealer field, 18 SERVQUAL items as
expectation and perception, overall satisfaction, NPS, booking channel, visit
date and a conditional comment), simulated with :func:`surveykit.simulate.simulate`
(2 % item nonresponse, so that skip and not-answered codes are exercised).
The baseline is ``df.to_parquet(path)`` of the same frame in the same run;
``surveykit.export.export`` adds the dtype checks, the skip logic, the labels
and the format's own writer on top.

Run: ``python benchmarks/bench_export.py [--quick] [--rows N] [--writer-rows N]``
(1,000,000 rows; ``--quick``: 100,000 rows, best of three runs).  Prints one table
of seconds, ratios and file sizes.

A second table measures the case for our own XLSX writer (``surveykit.xlsx``):
the same frame, cells only, written by it, by XlsxWriter in ``constant_memory``
mode and by openpyxl's ``write_only`` mode with lxml installed (the fastest way
each library offers for a large sheet), on ``--writer-rows`` rows (default
200,000: openpyxl needs minutes for a million).  Both libraries are the ``bench``
extra (``pip install -e ".[bench]"``); a missing one is reported, not faked.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from surveykit import load_questionnaire  # noqa: E402
from surveykit.export import FORMATS, ExportWarning, export  # noqa: E402
from surveykit.simulate import simulate  # noqa: E402

DIMENSIONS = ("tangibles", "reliability", "responsiveness", "assurance", "empathy")


def servqual_yaml(items: int = 18) -> str:
    lines = [
        "survey: bench_servqual",
        "version: 1",
        "title: {zh: 服务质量调查, en: Service quality survey}",
        "languages: [zh, en]",
        "fields:",
        "  dealer:",
        "    label: {zh: 经销商, en: Dealer}",
        "    values:",
        *[f"      d{i:02d}: {{zh: 经销商{i}, en: Dealer {i}}}" for i in range(1, 21)],
        "scales:",
        "  agree7:",
        "    points: 7",
        "    labels:",
        "      1: {zh: 非常不同意, en: Strongly disagree}",
        "      7: {zh: 非常同意, en: Strongly agree}",
        "dimensions:",
        *[f"  {d}: {{zh: 维度{i}, en: {d.title()}}}" for i, d in enumerate(DIMENSIONS)],
        "pages:",
        "  - id: visit",
        "    title: {zh: 来店经历, en: Your visit}",
        "    questions:",
        "      - {id: sat_overall, type: likert, scale: agree7, text: {zh: 总体而言，我对这次服务感到满意。, en: Overall satisfied}}",
        "      - {id: recommend, type: nps, text: {zh: 您有多大可能向亲友推荐我们？, en: Would you recommend us?}}",
        "      - id: channel",
        "        type: choice",
        "        text: {zh: 您是怎样预约的？, en: How did you book?}",
        "        options: {phone: {zh: 电话, en: Phone}, app: {zh: 手机应用, en: App}, walk_in: {zh: 直接到店, en: Walk-in}}",
        "      - {id: visit_date, type: date, required: false, text: {zh: 来店日期, en: Date of visit}}",
        "      - id: comment",
        "        type: text",
        "        required: false",
        "        visible_if: sat_overall <= 3",
        "        text: {zh: 请告诉我们哪里做得不好。, en: What went wrong?}",
        "  - type: servqual",
        "    id: sq",
        "    scale: agree7",
        "    items:",
    ]
    for i in range(items):
        lines.append(
            f"      - {{id: sq{i + 1:02d}, dimension: {DIMENSIONS[i % len(DIMENSIONS)]}, "
            f"expectation: {{zh: 优秀的企业应当做到第{i + 1}项。, en: Excellent firms do item {i + 1}.}}, "
            f"perception: {{zh: 这家企业做到了第{i + 1}项。, en: This firm does item {i + 1}.}}}}"
        )
    return "\n".join(lines) + "\n"


def timed(fn) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def _cells(df) -> list[list]:
    """The frame as rows of plain Python values (None for missing), as the peer writers take them."""
    frame = df.astype(object).where(df.notna(), None)
    return frame.to_numpy().tolist()


def _xlsxwriter(df, path: str) -> None:
    import xlsxwriter

    with xlsxwriter.Workbook(path, {"constant_memory": True}) as book:
        sheet = book.add_worksheet("data")
        sheet.write_row(0, 0, list(df.columns))
        for r, row in enumerate(_cells(df), start=1):
            sheet.write_row(r, 0, row)


def _openpyxl(df, path: str) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("data")
    sheet.append(list(df.columns))
    for row in _cells(df):
        sheet.append(row)
    book.save(path)


def _ours(df, path: str) -> None:
    from surveykit.xlsx import write_xlsx

    write_xlsx(path, [("data", df, set(), False)], [])


def compare_xlsx_writers(df, tmp: str, repeat: int) -> None:
    """Seconds to write the same cells with our writer and with the two libraries' streaming modes."""
    import importlib.util

    print(f"\nXLSX writers, the same {len(df):,} x {df.shape[1]} cells (no labels, no escaping)")
    print(f"{'':34} {'seconds':>9} {'x ours':>8} {'MB':>8}")
    ours = None
    for name, write, module in (
        ("surveykit.xlsx", _ours, None),
        ("XlsxWriter constant_memory", _xlsxwriter, "xlsxwriter"),
        ("openpyxl write_only + lxml", _openpyxl, "openpyxl"),
    ):
        if module and importlib.util.find_spec(module) is None:
            print(f"{name:34} not installed (pip install -e '.[bench]')")
            continue
        if module == "openpyxl" and importlib.util.find_spec("lxml") is None:
            name = "openpyxl write_only (no lxml)"
        path = os.path.join(tmp, f"{name.split()[0]}.xlsx")
        seconds = min(timed(lambda write=write, path=path: write(df, path)) for _ in range(repeat))
        ours = ours or seconds
        print(f"{name:34} {seconds:9.2f} {seconds / ours:8.1f} {os.path.getsize(path) / 1e6:8.1f}")
        os.remove(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 rows")
    parser.add_argument("--rows", type=int, default=None, help="number of rows (default 1,000,000)")
    parser.add_argument("--writer-rows", type=int, default=200_000, help="rows for the XLSX writer comparison")
    args = parser.parse_args()
    rows = args.rows or (100_000 if args.quick else 1_000_000)
    q = load_questionnaire(servqual_yaml())
    began = time.perf_counter()
    df = simulate(q, rows, seed=0, missing=0.02)
    print(
        f"export of {rows:,} simulated SERVQUAL responses x {df.shape[1]} columns "
        f"(simulated in {time.perf_counter() - began:.1f} s)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        base_path = os.path.join(tmp, "baseline.parquet")
        repeat = 3 if args.quick else 1  # the best of `repeat` runs, the same for every row
        baseline = min(timed(lambda: df.to_parquet(base_path, index=False)) for _ in range(repeat))
        results = [("DataFrame.to_parquet", baseline, os.path.getsize(base_path))]
        for fmt in ("parquet", *[f for f in FORMATS if f != "parquet"]):
            path = os.path.join(tmp, f"out.{fmt}")
            with warnings.catch_warnings():
                warnings.simplefilter("error", ExportWarning)  # a clean table needs no changes
                seconds = min(
                    timed(lambda path=path, fmt=fmt: export(df, q, path, format=fmt, lang="zh")) for _ in range(repeat)
                )
            results.append((f"export {fmt}", seconds, os.path.getsize(path)))
            os.remove(path)
        print(f"{'':24} {'seconds':>9} {'x to_parquet':>13} {'rows/s':>12} {'MB':>8}")
        for name, seconds, size in results:
            print(f"{name:24} {seconds:9.2f} {seconds / baseline:13.1f} {rows / seconds:12,.0f} {size / 1e6:8.1f}")
        compare_xlsx_writers(df.head(min(rows, args.writer_rows)), tmp, repeat)


if __name__ == "__main__":
    main()
