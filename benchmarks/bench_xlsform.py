"""XLSForm benchmark: a sheet of a million empty rows, and the round trip of the shipped instruments.

Ratios against baselines run in the same process:
* import of the test suite's satisfaction form, then of the same form with a million formatted
  empty rows after its survey rows (``<row r="…" ht="15" customHeight="1"/>``, as Excel writes
  rows someone formatted): the importer stops after a run of empty rows (aim: within 2x of the
  plain form); beside it, openpyxl reading every row of that sheet in read-only mode, which is
  what a reader that trusts the used range would do;
* the same million rows with an empty text cell each: past the unpacked-size limit, refused
  from the zip directory (time to the message);
* export + import of every shipped instrument against ``load_questionnaire`` of its YAML.

Run: ``python benchmarks/bench_xlsform.py [--quick]``.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from surveykit import load_questionnaire  # noqa: E402
from surveykit.xlsform import XLSFormError, export_xlsform, import_xlsform  # noqa: E402

FORM = ROOT / "tests" / "surveykit" / "xlsform" / "forms" / "satisfaction_zh_en.xlsx"


def padded(path: Path, rows: int, row_xml: bytes) -> Path:
    """The form with ``rows`` extra rows after its survey rows."""
    out = path.with_name(f"{path.stem}_{rows}_{len(row_xml)}.xlsx")
    with zipfile.ZipFile(FORM) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                head, tail = data.split(b"</sheetData>")
                body = b"".join(row_xml.replace(b"{r}", str(r).encode()) for r in range(40, 40 + rows))
                data = head + body + b"</sheetData>" + tail
                # the used range Excel declares for formatted rows: all of them
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:L%d"' % (39 + rows), data)
            target.writestr(item, data)
    return out


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return min(times)


def read_every_row(path: Path) -> int:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    count = sum(1 for _ in book["survey"].iter_rows(values_only=True))
    book.close()
    return count


def refused(path: Path) -> None:
    try:
        import_xlsform(path)
    except XLSFormError:
        return
    raise AssertionError("the form past the size limit was imported")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    repeat = 2 if args.quick else 5
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "form.xlsx"
        million = padded(base, 1_000_000, b'<row r="{r}" ht="15" customHeight="1"/>')
        cells = padded(base, 1_000_000, b'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t></t></is></c></row>')
        plain = best_of(lambda: import_xlsform(FORM), repeat)
        empty = best_of(lambda: import_xlsform(million), repeat)
        refusal = best_of(lambda: refused(cells), repeat)
        print(f"import of the satisfaction form ({FORM.stat().st_size / 1024:.0f} KiB)")
        print(f"  plain                         {plain * 1000:8.1f} ms")
        print(f"  + 1,000,000 empty rows        {empty * 1000:8.1f} ms   ratio {empty / plain:.2f}x (aim <= 2x)")
        print(f"    ({million.stat().st_size / 1024:.0f} KiB on disk)")
        if not args.quick:
            began = time.perf_counter()
            rows = read_every_row(million)
            naive = time.perf_counter() - began
            print(f"  openpyxl reading all {rows:,} rows  {naive:8.2f} s   ({naive / empty:.0f}x the importer)")
        print(f"  + 1,000,000 rows of an empty cell, refused  {refusal * 1000:8.1f} ms")

        instruments = sorted((ROOT / "questionnaires").glob("*.yaml"))
        load_time = trip_time = 0.0
        for path in instruments:
            load_time += best_of(lambda p=path: load_questionnaire(p), repeat)
            q = load_questionnaire(path)
            out = Path(tmp) / f"{q.survey}.xlsx"

            def trip(q=q, out=out) -> None:
                export_xlsform(q, out)
                import_xlsform(out)

            trip_time += best_of(trip, repeat)
        print(f"{len(instruments)} shipped instruments")
        print(f"  load_questionnaire (YAML)     {load_time * 1000:8.1f} ms")
        print(f"  export + import (XLSForm)     {trip_time * 1000:8.1f} ms   ratio {trip_time / load_time:.1f}x")


if __name__ == "__main__":
    main()
