"""The dealer organisation on SQLite and PostgreSQL: the file's checks, versions, the tree, scope, unknown codes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from surveykit import org, storage
from surveykit.cli import main
from surveykit.database import org_units
from surveykit.demo import shipped_dir
from surveykit.orgfile import OrgFileError, apply_org, export_tree, read_org_file

TREE = """\
id,parent,level,name_zh,name_en
NET,,network,全国,National
R-N,NET,region,华北,North
R-S,NET,region,华南,South
DE01,R-N,dealer,北京一店,Beijing One
DE02,R-N,dealer,天津店,
DE03,R-S,dealer,广州店,Guangzhou
BR1,DE01,branch,朝阳门店,Chaoyang
"""


def units(text: str, name: str = "org.csv"):
    return read_org_file(name, data=text.encode("utf-8"))


def problems(text: str) -> list[str]:
    with pytest.raises(OrgFileError) as info:
        units(text)
    return list(info.value.problems)


def test_the_tree_navigates_up_and_down(engine):
    apply_org(engine, units(TREE))
    tree = org.load_tree(engine)
    assert len(tree) == 7 and tree.roots() == ["NET"]
    assert tree.children("R-N") == ["DE01", "DE02"]
    assert tree.ancestors("BR1") == ["NET", "R-N", "DE01"]  # breadcrumbs, root first
    assert tree.ancestors("NET") == [] and tree.ancestors("nope") == []
    assert tree.descendants("R-N") == {"DE01", "DE02", "BR1"}
    assert tree.descendants("DE03") == set() and tree.subtree("nope") == set()
    assert [u.id for u in tree] == ["NET", "R-N", "DE01", "BR1", "DE02", "R-S", "DE03"]  # parents first
    assert tree.name("DE01", "zh") == "北京一店" and tree.name("DE01", "en") == "Beijing One"
    assert tree.name("DE02", "en") == "天津店"  # no English name: the other language, not the code
    assert tree.name("XX9", "en") == "XX9"  # unknown: the code itself
    assert tree.level("BR1") == "branch"


def test_a_response_belongs_to_its_branch_else_its_dealer_and_unknown_codes_are_reported(engine):
    apply_org(engine, units(TREE))
    tree = org.load_tree(engine)
    assert tree.unit_of({"dealer": "DE01", "branch": "BR1"}) == "BR1"
    assert tree.unit_of({"dealer": "DE01", "branch": "BR9"}) == "DE01"
    assert tree.unit_of({"dealer": "DE77"}) is None
    assert tree.unit_of({}) is None and tree.unit_of({"dealer": None, "branch": ""}) is None
    assert tree.unknown == {("branch", "BR9"), ("dealer", "DE77")}


def test_an_empty_store_has_an_empty_tree_and_names_are_codes(engine):
    tree = org.load_tree(engine)
    assert len(tree) == 0 and tree.name("DE01", "zh") == "DE01" and tree.unit_of({"dealer": "DE01"}) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "id,parent,level,name_zh,name_en\nA,,region,a,a\nA,,region,b,b\n",
            ["org.csv:3: duplicate id 'A' (first on line 2)"],
        ),
        (
            "id,parent,level,name_zh,name_en\nA,,region,a,a\nB,AA,dealer,b,b\n",
            ["org.csv:3: parent 'AA' of 'B' is no unit of the file (did you mean 'A'?)"],
        ),
        (
            "id,parent,level,name_zh,name_en\nA,C,region,a,a\nB,A,dealer,b,b\nC,B,branch,c,c\n",
            ["org.csv:2: the parents form a cycle: A (line 2), C (line 4), B (line 3)"],
        ),
        ("id,parent,level,name_zh,name_en\nA,A,region,a,a\n", ["org.csv:2: the parents form a cycle: A (line 2)"]),
        (
            "id,parent,level,name_zh,name_en\nA,,Region,a,a\n",
            [
                "org.csv:2: level 'Region' is not a level name (a lower-case letter, then letters, digits, _; "
                "e.g. region, dealer, branch)"
            ],
        ),
        (
            "id,parent,level,name_zh,name_en\nA,,region,a,a\nB,A,region,b,b\n",
            ["org.csv:3: 'B' has the level 'region' of its parent 'A'; a unit's level is below its parent's"],
        ),
        (
            "id,parent,level,name_zh,name_en\nA,,region,a,a\nB,A,dealer,b,b\nC,,dealer,c,c\nD,C,region,d,d\n",
            ["org.csv:5: level 'region' is under 'dealer' here and above it elsewhere (line 3); levels nest one way"],
        ),
        ("id,parent,level,name_zh,name_en\nA B,,region,a,a\n", ["org.csv:2: id 'A B' is not a unit code"]),
        ("id,parent,level,name_zh\nA,,region,a\n", ["org.csv:1: missing column(s) name_en"]),
        (
            "id,parent,levle,name_zh,name_en\n",
            ["org.csv:1: unknown column 'levle' (did you mean 'level'?)", "org.csv:1: missing column(s) level"],
        ),
        ("id,parent,level,name_zh,name_en\nA,,region,a\n", ["org.csv:2: 4 cell(s) where the header has 5"]),
        ("id,parent,level,name_zh,name_en\n", ["org.csv:2: no units: the file has a header and no rows"]),
        ("", ["org.csv:1: the file is empty; it needs the header id,parent,level,name_zh,name_en"]),
        ("id,parent,level,name_zh,name_en\nA,,region,a\x00,a\n", ["org.csv:2: name_zh: text must not contain NUL"]),
    ],
)
def test_bad_files_name_each_problem_at_its_line(text, expected):
    found = problems(text)
    assert len(found) == len(expected), found
    for got, want in zip(found, expected, strict=True):
        assert got.startswith(want), (got, want)


def test_every_problem_of_a_file_is_listed_at_once_and_a_multiline_cell_keeps_line_numbers():
    text = 'id,parent,level,name_zh,name_en\nA,,region,"two\nlines",a\nA,,region,a,a\nB,X,dealer,b,b\n'
    found = problems(text)
    assert found == [
        "org.csv:4: duplicate id 'A' (first on line 2)",
        "org.csv:5: parent 'X' of 'B' is no unit of the file",
    ]


def test_a_bad_byte_is_reported_at_its_line():
    with pytest.raises(OrgFileError, match=r"^org.csv:3: the file is not valid UTF-8"):
        read_org_file("org.csv", data=b"id,parent,level,name_zh,name_en\nA,,region,a,a\nB,A,dealer,\xff,b\n")


def test_a_bad_file_imports_nothing_and_keeps_the_tree(engine, tmp_path):
    apply_org(engine, units(TREE))
    bad = tmp_path / "org.csv"
    bad.write_text(TREE.replace("DE03,R-S", "DE03,R-X"), encoding="utf-8")
    db = engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(main, ["org", "import", str(bad), "--db", db])
    assert result.exit_code == 1
    assert f"{bad}:7: parent 'R-X' of 'DE03' is no unit of the file" in result.output
    assert org.load_tree(engine).units == org.load_tree(engine).units and org.load_tree(engine).ancestors("DE03") == [
        "NET",
        "R-S",
    ]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(org_units)).scalar() == 7


def test_a_dealer_that_moves_keeps_its_history(engine):
    apply_org(engine, units(TREE))
    moved = TREE.replace("DE02,R-N,dealer,天津店,", "DE02,R-S,dealer,天津店,Tianjin")
    t_move = dt.datetime(2030, 6, 1)
    summary = apply_org(engine, units(moved), effective=t_move)
    assert summary.changed == ("DE02",) and summary.added == () and summary.closed == () and summary.unchanged == 6
    assert org.load_tree(engine).ancestors("DE02") == ["NET", "R-S"]
    assert org.load_tree(engine, at=t_move - dt.timedelta(seconds=1)).ancestors("DE02") == ["NET", "R-N"]
    assert org.load_tree(engine, at=dt.datetime(2001, 1, 1)).ancestors("DE02") == ["NET", "R-N"]  # since always
    history = org.load_history(engine)
    start, end = dt.datetime(2030, 5, 1), dt.datetime(2030, 7, 1)
    assert history.codes_below("R-N", start, end, attribution="response_time") == [
        (start, t_move, frozenset({"R-N", "DE01", "DE02", "BR1"})),
        (t_move, end, frozenset({"R-N", "DE01", "BR1"})),
    ]
    assert history.codes_below("R-N", start, end) == [(start, end, frozenset({"R-N", "DE01", "BR1"}))]  # default
    assert history.codes_below("R-S", start, end, attribution="response_time")[-1][2] == {"R-S", "DE02", "DE03"}
    # an identical file changes nothing; a missing unit is closed, and may not be dated before the last change
    assert apply_org(engine, units(moved), effective=t_move + dt.timedelta(days=1)).unchanged == 7
    with pytest.raises(Exception, match="cannot take effect before"):
        apply_org(engine, units(TREE), effective=t_move - dt.timedelta(days=1))
    closed = apply_org(engine, units(moved.replace("BR1,DE01,branch,朝阳门店,Chaoyang\n", "")), effective=end)
    assert closed.closed == ("BR1",) and "BR1" not in org.load_tree(engine)
    assert "BR1" in org.load_tree(engine, at=t_move)
    # a unit that comes back starts at its return, not since always
    apply_org(engine, units(moved), effective=end + dt.timedelta(days=1))
    assert "BR1" not in org.load_tree(engine, at=end + dt.timedelta(hours=1)) and "BR1" in org.load_tree(engine)


def test_export_round_trips_names_that_look_like_formulas(engine, tmp_path):
    text = TREE.replace("Guangzhou", "=HYPERLINK(1)").replace("全国", "'+1")
    apply_org(engine, units(text))
    exported = export_tree(engine)
    assert "'=HYPERLINK(1)" in exported  # escaped for spreadsheets
    again = {u.id: u for u in read_org_file("x.csv", data=exported.encode())}
    assert again == {u.id: u for u in units(text)}
    db = engine.url.render_as_string(hide_password=False)
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["org", "export", "--db", db, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert read_org_file(str(out)) == read_org_file("x.csv", data=exported.encode())


def test_cli_import_reports_its_changes(engine, tmp_path):
    path = tmp_path / "org.csv"
    path.write_text(TREE, encoding="utf-8-sig")
    db = engine.url.render_as_string(hide_password=False)
    first = CliRunner().invoke(main, ["org", "import", str(path), "--db", db])
    assert first.exit_code == 0 and "7 unit(s) added, 0 changed, 0 closed, 0 unchanged" in first.output
    second = CliRunner().invoke(main, ["org", "import", str(path), "--db", db])
    assert "0 unit(s) added, 0 changed, 0 closed, 7 unchanged" in second.output


def test_scope_is_the_given_units_and_everything_below(engine):
    apply_org(engine, units(TREE))
    storage.create_user(engine, "north", "tea kettle on the hill", role="manager", units=["R-N"])
    storage.create_user(engine, "two", "tea kettle on the hill", role="manager", units=["DE03", "BR1"])
    storage.create_user(engine, "boss", "tea kettle on the hill", role="analyst")
    users = {u: storage.verify_login(engine, u, "tea kettle on the hill") for u in ("north", "two", "boss")}
    assert org.scope_units(engine, users["north"]) == {"R-N", "DE01", "DE02", "BR1"}
    assert org.scope_units(engine, users["two"]) == {"DE03", "BR1"}
    assert org.scope_units(engine, users["boss"]) is None
    assert org.codes_in_scope(engine, users["north"], "dealer") == {"R-N", "DE01", "DE02", "BR1"}
    with pytest.raises(ValueError, match="not a unit field"):
        org.codes_in_scope(engine, users["north"], "advisor")
    assert org.user_unit_ids(engine, users["two"].id) == ["BR1", "DE03"]


def test_a_manager_needs_known_units(engine):
    apply_org(engine, units(TREE))
    with pytest.raises(ValueError, match="a manager needs at least one unit"):
        storage.create_user(engine, "m", "tea kettle on the hill", role="manager")
    with pytest.raises(ValueError, match="unknown unit 'DE9'"):
        storage.create_user(engine, "m", "tea kettle on the hill", role="manager", units=["DE01", "DE9"])
    with pytest.raises(ValueError, match="only a manager"):
        storage.create_user(engine, "m", "tea kettle on the hill", role="admin", units=["DE01"])


def test_unknown_codes_of_stored_responses_are_listed(engine, survey, registered):
    from surveykit.simulate import simulate

    apply_org(engine, units(TREE))
    df = simulate(survey, 12, seed=1, fields={"dealer": ["DE01", "DE99"]})
    storage.save_frame(engine, survey, df)
    found = org.unknown_codes(engine)
    assert set(found) == {"dealer"} and set(found["dealer"]) == {"DE99"}
    assert found["dealer"]["DE99"] == int((df["dealer"] == "DE99").sum())
    assert org.unknown_codes(engine, survey="other") == {}


def test_the_demo_organisation_file_covers_the_demo_dealers():
    path = shipped_dir() / "org" / "demo_dealers.csv"
    tree = org.OrgTree(read_org_file(str(path)))
    for dealer in ("DE01", "DE02", "DE03", "DE04", "DE05"):
        assert tree.level(dealer) == "dealer" and tree.name(dealer, "zh") != dealer
        assert tree.ancestors(dealer)[0] == "NET"
    assert Path(path).read_bytes().decode("utf-8")


def test_create_user_manager_with_units_from_the_command_line(engine, tmp_path):
    path = tmp_path / "org.csv"
    path.write_text(TREE, encoding="utf-8")
    db = engine.url.render_as_string(hide_password=False)
    runner = CliRunner(env={"SURVEYKIT_ADMIN_PASSWORD": "tea kettle on the hill"})
    assert runner.invoke(main, ["org", "import", str(path), "--db", db]).exit_code == 0
    made = runner.invoke(
        main, ["admin", "create-user", "nora", "--db", db, "--role", "manager", "--unit", "R-N", "--unit", "DE03"]
    )
    assert made.exit_code == 0 and "created manager user 'nora' (DE03, R-N)" in made.output
    user = storage.verify_login(engine, "nora", "tea kettle on the hill")
    assert org.scope_units(engine, user) == {"R-N", "DE01", "DE02", "BR1", "DE03"}
    bad = runner.invoke(main, ["admin", "create-user", "olga", "--db", db, "--role", "manager", "--unit", "DE9"])
    assert bad.exit_code == 1 and "unknown unit 'DE9'; top units: NET" in bad.output
    assert storage.verify_login(engine, "olga", "tea kettle on the hill") is None  # nothing half-made
    none = runner.invoke(main, ["admin", "create-user", "olga", "--db", db, "--role", "manager"])
    assert none.exit_code == 1 and "a manager needs at least one unit (--unit)" in none.output


def test_with_unit_names_labels_the_unit_fields_for_reports_and_exports(engine, survey, tmp_path):
    import pyreadstat

    from surveykit import export
    from surveykit.simulate import simulate

    apply_org(engine, units(TREE))
    tree = org.load_tree(engine)
    named = org.with_unit_names(survey, tree)
    dealer = next(f for f in named.fields if f.id == "dealer")
    # the dealer field gets the units of level dealer (not the regions), by name
    assert [(code, text.best("en")) for code, text in dealer.values] == [
        ("DE01", "Beijing One"),
        ("DE02", "天津店"),
        ("DE03", "Guangzhou"),
    ]
    assert named.variable("dealer").value_labels == dealer.values
    assert next(f for f in survey.fields if f.id == "dealer").values == ()  # the served questionnaire is untouched
    assert org.with_unit_names(survey, org.OrgTree([])) is survey
    df = simulate(survey, 9, seed=3, fields={"dealer": ["DE01", "DE03", "DE77"]})
    target = tmp_path / "r.sav"
    with pytest.warns(export.ExportWarning, match="'DE77' = 4"):
        export.export(df, named, target, format="sav", lang="zh")
    _, meta = pyreadstat.read_sav(str(target))
    labels = meta.variable_value_labels[meta.column_names[meta.column_names.index("dealer")]]
    assert labels[1] == "北京一店" and labels[3] == "广州店" and labels[4] == "DE77"  # unknown codes kept, after


def test_export_and_report_from_the_store_name_the_dealers(engine, tmp_path):
    import pyreadstat

    from surveykit.loader import load_questionnaire
    from surveykit.simulate import simulate

    path = shipped_dir() / "dealer_aftersales_csi.yaml"
    q = load_questionnaire(path)
    storage.register_version(engine, q, path.read_text(encoding="utf-8"))
    storage.save_frame(engine, q, simulate(q, 60, seed=4, fields={"dealer": ["DE01", "DE03"]}))
    db = engine.url.render_as_string(hide_password=False)
    before = tmp_path / "before.sav"
    first = CliRunner().invoke(main, ["export", str(path), "--db", db, "-o", str(before)])
    assert first.exit_code == 0, first.output
    _, meta = pyreadstat.read_sav(str(before))
    assert "dealer" not in meta.variable_value_labels  # no organisation yet: codes as they are
    apply_org(engine, units(TREE))
    out = tmp_path / "r.sav"
    result = CliRunner().invoke(main, ["export", str(path), "--db", db, "-o", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    _, meta = pyreadstat.read_sav(str(out))
    assert set(meta.variable_value_labels["dealer"].values()) >= {"Beijing One", "Guangzhou"}
    html = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["report", str(path), "--db", db, "-o", str(html), "--lang", "en"])
    assert result.exit_code == 0, result.output
    segments = html.read_text(encoding="utf-8").split('id="segments"')[1].split("</section>")[0]
    assert "<td>Beijing One</td>" in segments and "<td>DE01</td>" not in segments


def test_expand_units_widens_to_the_tree_below_and_keeps_unknown_codes(engine):
    assert org.expand_units(engine, ["R-N", "XX1"]) == {"R-N", "XX1"}  # nothing imported: codes as given
    apply_org(engine, units(TREE))
    assert org.expand_units(engine, ["R-N", "XX1"]) == {"R-N", "DE01", "DE02", "BR1", "XX1"}
    assert org.expand_units(engine, []) == frozenset()


def test_report_data_for_units_keeps_their_responses_and_cases_only(engine):
    from surveykit.loader import load_questionnaire
    from surveykit.reports import report_data
    from surveykit.simulate import simulate

    path = shipped_dir() / "dealer_aftersales_csi.yaml"
    q = load_questionnaire(path)
    storage.register_version(engine, q, path.read_text(encoding="utf-8"))
    storage.save_frame(engine, q, simulate(q, 90, seed=5, fields={"dealer": ["DE01", "DE02", "DE03"]}))
    apply_org(engine, units(TREE))
    everything = report_data(engine, q)
    north = report_data(engine, q, units=org.scope_units(engine, _manager(engine, "nn", ["R-N"])))
    assert set(north.responses["dealer"]) == {"DE01", "DE02"}
    assert len(north.responses) == int(everything.responses["dealer"].isin(["DE01", "DE02"]).sum())
    assert len(everything.cases) and set(everything.cases["dealer"]) == {"DE01", "DE02", "DE03"}
    assert set(north.cases["dealer"]) == {"DE01", "DE02"}
    assert len(north.cases) == int(everything.cases["dealer"].isin(["DE01", "DE02"]).sum())


def _manager(engine, name, unit_ids):
    storage.create_user(engine, name, "tea kettle on the hill", role="manager", units=unit_ids)
    return storage.verify_login(engine, name, "tea kettle on the hill")


def test_an_api_token_scoped_to_a_region_reaches_its_dealers(engine):
    from surveykit import apitokens

    token = apitokens.create_token(engine, "north-dms", scopes=["R-N"])
    before = apitokens.authenticate(engine, token).token
    assert before.scopes == {"R-N"} and not apitokens.in_scope(before, {"dealer": "DE01"})  # no tree yet
    apply_org(engine, units(TREE))
    north = apitokens.authenticate(engine, token).token
    assert north.scopes == {"R-N", "DE01", "DE02", "BR1"}
    assert apitokens.in_scope(north, {"dealer": "DE02"}) and apitokens.in_scope(
        north, {"dealer": "DE01", "branch": "BR1"}
    )
    assert not apitokens.in_scope(north, {"dealer": "DE03"}) and not apitokens.in_scope(north, {})


def test_a_case_mail_names_the_dealer(engine):
    from surveykit.database import outbox
    from surveykit.loader import load_questionnaire
    from surveykit.simulate import simulate

    apply_org(engine, units(TREE))
    path = shipped_dir() / "dealer_aftersales_csi.yaml"
    q = load_questionnaire(path)
    storage.register_version(engine, q, path.read_text(encoding="utf-8"))
    storage.save_frame(engine, q, simulate(q, 60, seed=6, fields={"dealer": ["DE01", "DE77"]}))
    with engine.connect() as conn:
        bodies = list(conn.execute(sa.select(outbox.c.body)).scalars())
    dealer_lines = {line for body in bodies for line in body.splitlines() if line.startswith("经销商 Dealer:")}
    assert dealer_lines == {"经销商 Dealer: DE01 北京一店 / Beijing One", "经销商 Dealer: DE77"}  # unknown: the code
