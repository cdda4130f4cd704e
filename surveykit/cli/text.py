"""The ``text`` commands: code open comments into themes and sentiment, and discover new themes."""

from __future__ import annotations

import csv
import multiprocessing
from pathlib import Path
from typing import Any

import click
import pandas as pd

from surveykit.cells import escape_formula
from surveykit.cli.inputs import writable
from surveykit.errors import SurveykitError
from surveykit.text import Codeframe, coder_for, load_codeframe

MAX_ROWS = 5_000_000
CHUNK = 5_000  # comments per task of --workers


def _read_csv(path: Path) -> pd.DataFrame:
    """A CSV in UTF-8 (with or without BOM), or else GB18030: Excel on a Chinese Windows saves "CSV" in GBK.

    GB18030 decodes almost any byte string, so it is tried only after UTF-8 has failed.
    """
    options: dict[str, Any] = {"dtype": str, "keep_default_na": False, "nrows": MAX_ROWS}
    try:
        return pd.read_csv(path, encoding="utf-8-sig", **options)
    except UnicodeDecodeError:
        pass
    try:
        return pd.read_csv(path, encoding="gb18030", **options)
    except UnicodeDecodeError:
        raise SurveykitError(f"{path}: cannot read the file: it is text in neither UTF-8 nor GBK/GB18030") from None


def _read(data: str, column: str, extra: tuple[str | None, ...] = ()) -> pd.DataFrame:
    """DATA (CSV in UTF-8 or GBK/GB18030, or XLSX) as text columns; a missing column is an error."""
    path = Path(data)
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            frame = _read_csv(path)
        elif suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=str, keep_default_na=False, nrows=MAX_ROWS)
        else:
            raise SurveykitError(f"{data}: give a .csv or .xlsx file")
    except (UnicodeDecodeError, ValueError, OSError, pd.errors.ParserError) as exc:
        raise SurveykitError(f"{data}: cannot read the file: {exc}") from None
    for name in (column, *extra):
        if name is not None and name not in frame.columns:
            raise SurveykitError(f"{data}: no column {name!r} (columns: {', '.join(map(str, frame.columns))})")
    return frame


def _codeframe(path: str | None) -> Codeframe | None:
    return load_codeframe(Path(path)) if path else None


def _code_chunk(chunk: tuple[Codeframe | None, list[tuple[str, str | None]]]) -> list[tuple[str, str, str]]:
    """Code one chunk of (comment, language) rows: (themes, sentiment, theme:sentiment pairs) each."""
    codeframe, rows = chunk
    read = [(text, lang) for text, lang in rows if text.strip()]
    coded_rows = iter(coder_for(codeframe).code_many([t for t, _ in read], [lang for _, lang in read]))
    out = []
    for text, _ in rows:
        if not text.strip():
            out.append(("", "", ""))
            continue
        coded = next(coded_rows)
        pairs = ";".join(f"{t}:{s}" for t, s in coded.theme_sentiment)
        out.append((";".join(coded.themes), coded.sentiment, pairs))
    return out


@click.group("text")
def text_group() -> None:
    """Open comments: code them into themes and sentiment, or discover themes the codeframe misses."""


@text_group.command("code")
@click.argument("data", metavar="DATA", type=click.Path(dir_okay=False, exists=True))
@click.option("--column", required=True, help="the column holding the comments")
@click.option("--id-column", default="id", show_default=True, help="the column identifying each row")
@click.option(
    "--lang-column",
    default=None,
    help="a column of zh/en: apply that language's rules (and the English ones: comments mix in English words)",
)
@click.option(
    "--codeframe",
    "codeframe_path",
    default=None,
    type=click.Path(dir_okay=False, exists=True),
    help="a codeframe YAML (default: the shipped dealer codeframe)",
)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="the CSV to write")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="processes to code with (pays from some ten thousand comments on)",
)
def code_command(
    data: str,
    column: str,
    id_column: str,
    lang_column: str | None,
    codeframe_path: str | None,
    output: str,
    workers: int,
) -> None:
    """Code every row of DATA (CSV or XLSX): its themes (;-separated ids) and sentiment.

    The output has the columns id, themes, sentiment and theme_sentiment (theme:sentiment
    pairs); a row with an empty comment gets empty codes.
    """
    writable(output)
    frame = _read(data, column, (id_column, lang_column))
    codeframe = _codeframe(codeframe_path)
    languages = frame[lang_column].str.strip().str.lower().tolist() if lang_column else [None] * len(frame)
    rows = [(text, lang if lang in ("zh", "en") else None) for text, lang in zip(frame[column], languages, strict=True)]
    chunks = [(codeframe, rows[i : i + CHUNK]) for i in range(0, len(rows), CHUNK)]
    if workers > 1 and len(chunks) > 1:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            coded = [row for chunk in pool.imap(_code_chunk, chunks) for row in chunk]
    else:
        coded = [row for chunk in map(_code_chunk, chunks) for row in chunk]
    counts: dict[str, int] = {}
    try:
        with open(output, "w", encoding="utf-8-sig", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["id", "themes", "sentiment", "theme_sentiment"])
            for row_id, (themes, sentiment, pairs) in zip(frame[id_column], coded, strict=True):
                for theme in themes.split(";") if themes else ():
                    counts[theme] = counts.get(theme, 0) + 1
                writer.writerow([escape_formula(row_id), themes, sentiment, pairs])
    except OSError as exc:
        raise SurveykitError(f"cannot write {output}: {exc.strerror or exc}") from None
    shown = ", ".join(f"{t} {n}" for t, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    click.echo(f"coded {len(frame)} row(s) to {output}: {shown}")


@text_group.command("discover")
@click.argument("data", metavar="DATA", type=click.Path(dir_okay=False, exists=True))
@click.option("--column", required=True, help="the column holding the comments")
@click.option(
    "--codeframe",
    "codeframe_path",
    default=None,
    type=click.Path(dir_okay=False, exists=True),
    help="a codeframe YAML (default: the shipped dealer codeframe)",
)
@click.option(
    "--clusters", default=6, show_default=True, type=click.IntRange(1, 50), help="candidate themes to propose"
)
@click.option("--all", "all_comments", is_flag=True, help="read every comment, not only those coded 'other'")
def discover_command(data: str, column: str, codeframe_path: str | None, clusters: int, all_comments: bool) -> None:
    """Propose themes for what the codeframe codes 'other': keywords (TF-IDF) and NMF clusters, five examples each."""
    from analysis.text_discover import discover

    frame = _read(data, column)
    result = discover(
        frame[column].tolist(), _codeframe(codeframe_path), clusters=clusters, only_other=not all_comments
    )
    click.echo(result.summary())


COMMANDS = (text_group,)
