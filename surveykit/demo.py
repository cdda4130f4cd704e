"""The one-command tour (``surveykit demo``): the shipped surveys on SQLite with simulated answers and reports.

:func:`prepare` does everything but serving: it registers every shipped
questionnaire in a SQLite file, stores simulated responses through the path of
a real submission (so the alert rules open follow-up cases), writes each
survey's report and creates the ``demo`` admin user.  Run again on the same
folder, it adds nothing twice (the same seed gives the same submission keys)
and keeps the password.  The reports come from :mod:`analysis`, imported inside
:func:`prepare` only: the core does not depend on it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from surveykit import cases, storage
from surveykit.errors import SurveykitError
from surveykit.fielding.tour import run_tour
from surveykit.loader import load_questionnaire
from surveykit.model import Questionnaire
from surveykit.org import load_tree, with_unit_names
from surveykit.orgfile import apply_org, read_org_file
from surveykit.scenario import Scenario, load_scenario
from surveykit.simulate import simulate

__all__ = [
    "MANAGER",
    "SEED",
    "USER",
    "WAVES",
    "Demo",
    "demo_org_file",
    "demo_responses",
    "demo_scenario",
    "prepare",
    "shipped_dir",
]

SEED = 2026
USER = "demo"
# A regional manager (the north region: dealers DE01 and DE02) to see what a scoped role sees.
MANAGER = ("demo-north", "R-N")
WAVES = ["2026Q1", "2026Q2", "2026Q3"]


@dataclass(frozen=True, slots=True)
class Demo:
    """A prepared demo: where its database is, what it serves, the reports written, the admin password."""

    db_url: str
    paths: tuple[str, ...]
    surveys: tuple[Questionnaire, ...]
    reports: tuple[Path, ...]
    password: str
    active_cases: int


def shipped_dir() -> Path:
    """The shipped instruments: questionnaires/ of a checkout, or the copy inside the wheel."""
    here = Path(__file__).resolve().parent
    for folder in (here.parent / "questionnaires", here / "questionnaires"):
        if folder.is_dir():
            return folder
    raise SurveykitError("the shipped questionnaires are not installed")


def demo_scenario(q: Questionnaire) -> Scenario | None:
    """The levels and planted effects the demo simulates ``q`` with: ``scenarios/demo_<survey>.yaml``
    beside the shipped questionnaires, or None (the simulator's defaults) when there is none.

    The planted effects (a dealer below the rest, a SERVQUAL dimension short of expectations, a
    change between waves) are what the demo's report should find, so that the tour shows the
    analysis finding something real rather than noise.
    """
    path = shipped_dir() / "scenarios" / f"demo_{q.survey}.yaml"
    return load_scenario(path, q) if path.is_file() else None


def demo_org_file() -> Path:
    """The demo's organisation (``org/demo_dealers.csv``): the five demo dealers in three regions, names in zh and en."""
    return shipped_dir() / "org" / "demo_dealers.csv"


def demo_responses(q: Questionnaire, count: int) -> pd.DataFrame:
    """The demo's ``count`` simulated responses of ``q``: its scenario, 3 % careless, 2 % missing.

    The first segment field gets five codes (``DE01``...) and the answers spread over three
    waves, unless the survey's scenario lists its own dealers and waves.
    """
    fields = {f.id: [f"{f.id.upper()[:2]}{i:02d}" for i in range(1, 6)] for f in q.fields[:1]}
    return simulate(
        q, count, seed=SEED, missing=0.02, careless=0.03, fields=fields, waves=WAVES, scenario=demo_scenario(q)
    )


def prepare(folder: str | Path, count: int, *, progress: Callable[[str], None] = lambda _: None) -> Demo:
    """Fill ``folder`` with the demo database, ``count`` simulated responses per survey and the reports.

    Each survey's answers are :func:`demo_responses`: five dealers, three waves, 3 % careless
    and 2 % missing answers, and the levels and planted effects of its scenario
    (:func:`demo_scenario`) where it has one; recovery answers get
    no case number (real ones arrive through a closed case's link).  A report
    needs :data:`analysis.report.MIN_RESPONSES` stored responses.  ``progress``
    receives one line per survey as it is stored.
    """
    from analysis.report import MIN_RESPONSES, report_from_store

    base = Path(folder).resolve()
    base.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{base / 'demo.sqlite3'}"
    engine = storage.make_engine(db_url)
    try:
        storage.init_db(engine)
        apply_org(engine, read_org_file(str(demo_org_file())))  # unchanged on a second run: no new version
        tree = load_tree(engine)
        paths = tuple(str(p) for p in sorted(shipped_dir().glob("*.yaml")))
        surveys = tuple(load_questionnaire(Path(p)) for p in paths)
        for path, q in zip(paths, surveys, strict=True):
            storage.register_version(engine, q, Path(path).read_text(encoding="utf-8"))
        reports = []
        for q in surveys:
            df = demo_responses(q, count)
            if "case_id" in df.columns:  # real recovery answers come through a closed case's link
                df["case_id"] = None
            created = sum(r.created for r in storage.save_frame(engine, q, df))
            stored = len(storage.responses_frame(engine, q))
            progress(f"{q.survey}: {created} new simulated responses stored ({stored} in all)")
            if stored >= MIN_RESPONSES:
                target = base / f"report-{q.survey}.html"
                named = with_unit_names(q, tree)  # the dealers by name in the report
                report_from_store(engine, named, source="demo database", seed=SEED, output=target)
                reports.append(target)
        # continuous fielding: visit events posted, messages to a folder, reminders after time travel, the funnel
        progress(run_tour(engine, surveys, base, progress=progress))
        password = _password(engine, base / "admin-password.txt")
        active = len(cases.list_cases(engine, state="active"))
    finally:
        engine.dispose()
    return Demo(db_url, paths, surveys, tuple(reports), password, active)


def _password(engine: Engine, password_file: Path) -> str:
    """The demo user's password: made and stored (owner-readable) on the first run, read back afterwards."""
    if not password_file.exists():
        password = secrets.token_urlsafe(12)
        storage.create_user(engine, USER, password)
        storage.create_user(engine, MANAGER[0], password, role="manager", units=[MANAGER[1]])
        password_file.write_text(password + "\n", encoding="utf-8")
        password_file.chmod(0o600)
    return password_file.read_text(encoding="utf-8").strip()
