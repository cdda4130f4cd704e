"""The response table read from the store: one row per response, the columns of the codebook.

:func:`responses_frame` is the one way out of the database for analysis and export: it has pyarrow
parse the stored JSON of all rows at once into typed columns. It is apart from
:mod:`surveykit.storage` because it changes with the table's shape and the reading speed, not with
how a submission is written; it only reads, and needs none of the write path. :mod:`surveykit.storage`
re-exports it.
"""

from __future__ import annotations

import functools
import io
import json
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.json as pa_json
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from surveykit.database import responses, survey_versions
from surveykit.model import Questionnaire, Variable
from surveykit.randomize import ORDER_SEED, is_randomised, order_seed

__all__ = ["responses_frame"]


def responses_frame(
    engine: Engine, q: Questionnaire, *, version: int | None = None, over_quota: bool = False, where: Any = None
) -> pd.DataFrame:
    """The analysis table: one row per response of ``q.survey``, columns exactly ``q.columns()``.

    Parameters
    ----------
    version
        Only responses to this declared questionnaire version (``q.version``
        numbering); by default every version of the survey.
    where
        A further condition on :data:`surveykit.database.responses` (SQLAlchemy), e.g. a period
        and a set of dealers for the dashboard's selection; only those rows are read.
    over_quota
        Also the responses stored after their quota cell had filled
        (:mod:`surveykit.quotas`); left out by default, as they are not counted.

    Notes
    -----
    Rows are in submission order.  The dtypes are those of
    :func:`surveykit.simulate.simulate`: numeric variables are float64; text,
    codes and ISO dates are pandas strings; ``started_at`` and ``submitted_at``
    are naive UTC datetimes.  Missing stays missing (NaN/NaT), never 0 or "".
    Answers of other versions that ``q`` does not have are left out.

    The database hands over three JSON objects per response (metadata,
    fields, answers) and pyarrow parses each kind for all rows at once into
    typed columns, so no Python code runs per cell.  Should a variable hold
    values of another type in an older version, that part is parsed row by
    row instead and such values become missing.
    """
    r, v = responses.c, survey_versions.c
    meta = [
        ("response_id", r.response_id),
        ("version", v.version),
        ("wave", r.wave),
        ("language", r.language),
        ("started_at", r.started_at),
        ("submitted_at", r.submitted_at),
        ("duration_s", r.duration_s),
    ]
    pairs = [x for name, column in meta for x in (sa.literal(name), column)]
    docs: list[Any]
    if engine.dialect.name == "postgresql":  # text (bytea would travel hex-encoded)
        docs = [sa.cast(x, sa.Text) for x in (sa.func.jsonb_build_object(*pairs), r.fields, r.answers)]
    else:  # UTF-8 bytes straight from the database: no decoding and re-encoding of every row
        docs = [sa.cast(x, sa.LargeBinary()) for x in (sa.func.json_object(*pairs), r.fields, r.answers)]
    seeded = ORDER_SEED in q.columns()  # derived from the stored submission key (surveykit.randomize)
    if seeded:
        docs += [r.key, r.version_id]
    stmt = sa.select(*docs).join_from(responses, survey_versions).where(r.survey == q.survey).order_by(r.id)
    if version is not None:
        stmt = stmt.where(v.version == version)
    if where is not None:
        stmt = stmt.where(where)
    if not over_quota:
        stmt = stmt.where(r.over_quota.is_not(True))
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    texts = list(zip(*rows, strict=True)) if rows else [()] * len(docs)
    version_ids = texts.pop() if seeded else ()
    keys = texts.pop() if seeded else ()
    variables = q.variables()
    groups = (
        [x for x in variables if x.type == "metadata" and x.name != "survey"],
        [x for x in variables if x.type == "field"],
        [x for x in variables if x.type not in ("metadata", "field")],
    )
    df = pd.concat([_parse_rows(lines, group) for lines, group in zip(texts, groups, strict=True)], axis=1)
    out = {"survey": pd.Series(q.survey, index=df.index, dtype="str")}
    if seeded:  # a response to a version that randomised nothing saw the codebook order: no seed
        shuffled = _randomised_versions(engine, q, set(version_ids))
        df[ORDER_SEED] = [
            float(order_seed(key)) if vid in shuffled else float("nan")
            for key, vid in zip(keys, version_ids, strict=True)
        ]
    for x in variables:
        if x.kind == "numeric":
            out[x.name] = pd.to_numeric(df[x.name], errors="coerce").astype("float64")
        elif x.kind == "datetime":
            out[x.name] = pd.to_datetime(df[x.name], format="ISO8601").astype("datetime64[us]")
        elif x.name != "survey":
            out[x.name] = df[x.name].astype("str")
    return pd.DataFrame(out, columns=list(q.columns()))


def _randomised_versions(engine: Engine, q: Questionnaire, ids: set[int]) -> set[int]:
    """The stored versions among ``ids`` that randomise something (``q``'s own by its hash, others by their YAML)."""
    v = survey_versions.c
    with engine.connect() as conn:
        found = conn.execute(sa.select(v.id, v.sha256, v.yaml_text).where(v.id.in_(ids))).all() if ids else []
    return {vid for vid, sha, text in found if (is_randomised(q) if sha == q.sha256 else _stored_randomised(sha, text))}


@functools.lru_cache(maxsize=64)
def _stored_randomised(sha256: str, yaml_text: str) -> bool:
    from surveykit.errors import QuestionnaireError
    from surveykit.loader import loads

    try:
        return is_randomised(loads(yaml_text.encode("utf-8"), name=f"version {sha256[:12]}"))
    except QuestionnaireError:  # a stored version the current loader refuses: it was served as it was
        return False


def _parse_rows(lines: tuple[bytes, ...] | tuple[str, ...], variables: list[Variable]) -> pd.DataFrame:
    """JSON objects, one per row -> typed columns, parsed by pyarrow in one call."""
    names = [x.name for x in variables]
    if not lines or not names:
        return pd.DataFrame(index=pd.RangeIndex(len(lines)), columns=names)
    schema = pa.schema([(x.name, pa.float64() if x.kind == "numeric" else pa.string()) for x in variables])
    try:
        data = b"\n".join(lines) if isinstance(lines[0], bytes) else "\n".join(lines).encode("utf-8")
        table = pa_json.read_json(
            io.BytesIO(data),
            parse_options=pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"),
        )
    except pa.ArrowInvalid:  # a value of another type (a variable retyped between versions)
        return pd.DataFrame.from_records([json.loads(line) for line in lines], columns=names)
    return table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow", na_value=float("nan"))}.get)
