"""The ``text`` commands: code open comments into themes and sentiment, and discover new themes."""

from __future__ import annotations

import csv
from pathlib import Path

import click
import pandas as pd

from surveykit.cells import escape_formula
from surveykit.errors import SurveykitError
from surveykit.text import Codeframe, coder_for, load_codeframe

MAX_ROWS = 5_000_000


def _read(data: str, column: str, extra: tuple[str | None, ...] = ()) -> pd.DataFrame:
    """DATA (CSV, UTF-8 with or without BOM, or XLSX) as text columns; a missing column is an error."""
    path = Path(data)
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            frame = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False, nrows=MAX_ROWS)
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


@click.group("text")
def text_group() -> None:
    """Open comments: code them into themes and sentiment, or discover themes the codeframe misses."""


@text_group.command("code")
@click.argument("data", metavar="DATA", type=click.Path(dir_okay=False, exists=True))
@click.option("--column", required=True, help="the column holding the comments")
@click.option("--id-column", default="id", show_default=True, help="the column identifying each row")
@click.option("--lang-column", default=None, help="a column of zh/en: apply only that language's rules to the row")
@click.option(
    "--codeframe",
    "codeframe_path",
    default=None,
    type=click.Path(dir_okay=False, exists=True),
    help="a codeframe YAML (default: the shipped dealer codeframe)",
)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="the CSV to write")
def code_command(
    data: str, column: str, id_column: str, lang_column: str | None, codeframe_path: str | None, output: str
) -> None:
    """Code every row of DATA (CSV or XLSX): its themes (;-separated ids) and sentiment.

    The output has the columns id, themes, sentiment and theme_sentiment (theme:sentiment
    pairs); a row with an empty comment gets empty codes.
    """
    frame = _read(data, column, (id_column, lang_column))
    coder = coder_for(_codeframe(codeframe_path))
    languages = frame[lang_column].str.strip().str.lower() if lang_column else None
    counts: dict[str, int] = {}
    with open(output, "w", encoding="utf-8-sig", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["id", "themes", "sentiment", "theme_sentiment"])
        for i, (row_id, text) in enumerate(zip(frame[id_column], frame[column], strict=True)):
            if not text.strip():
                writer.writerow([escape_formula(row_id), "", "", ""])
                continue
            lang = languages.iloc[i] if languages is not None else None
            coded = coder.code(text, lang if lang in ("zh", "en") else None)
            for theme in coded.themes:
                counts[theme] = counts.get(theme, 0) + 1
            pairs = ";".join(f"{t}:{s}" for t, s in coded.theme_sentiment)
            writer.writerow([escape_formula(row_id), ";".join(coded.themes), coded.sentiment, pairs])
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
