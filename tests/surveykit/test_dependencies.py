"""DESIGN.md's one-way dependencies, read from the source with ``ast``: no import cycle among the modules of
surveykit, webform and analysis, and surveykit imports neither of the others at module level."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("surveykit", "webform", "analysis")


def _modules() -> dict[str, tuple[Path, bool]]:
    """Every module of the three packages: dotted name -> (file, is a package's __init__)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            is_package = parts[-1] == "__init__"
            found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _imports(body: list[ast.stmt], *, lazy: bool) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements that run when the module is imported (with ``lazy``: also those in functions).

    Class bodies run at import time; ``if TYPE_CHECKING:`` blocks never run.
    """
    for stmt in body:
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            yield stmt
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if lazy:
                yield from _imports(stmt.body, lazy=lazy)
        elif isinstance(stmt, ast.If) and "TYPE_CHECKING" in ast.unparse(stmt.test):
            yield from _imports(stmt.orelse, lazy=lazy)
        else:
            for name in ("body", "orelse", "finalbody"):
                yield from _imports(getattr(stmt, name, None) or [], lazy=lazy)
            for handler in getattr(stmt, "handlers", None) or []:
                yield from _imports(handler.body, lazy=lazy)


def import_graph(*, lazy: bool) -> dict[str, set[str]]:
    """Module -> the modules of the three packages it imports.

    ``from package import name`` points at ``package.name`` when that is a module, else at the package.
    """
    modules = _modules()
    graph: dict[str, set[str]] = {}
    for name, (path, is_package) in modules.items():
        targets = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8")).body, lazy=lazy):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    target = alias.name
                    while target and target not in modules:
                        target = target.rpartition(".")[0]
                    targets.add(target)
                continue
            base = node.module or ""
            if node.level:
                parent = name if is_package else name.rpartition(".")[0]
                for _ in range(node.level - 1):
                    parent = parent.rpartition(".")[0]
                base = f"{parent}.{base}" if base else parent
            for alias in node.names:
                targets.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (its first module repeated at the end), or None; depth-first search."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        while stack:
            following = next(stack[-1], None)
            if following is None:
                done.add(path.pop())
                stack.pop()
            elif following in path:
                return [*path[path.index(following) :], following]
            elif following not in done:
                path.append(following)
                stack.append(iter(sorted(graph[following])))
    return None


def test_find_cycle_finds_one_and_only_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set(), "d": {"d2"}, "d2": {"d"}}) == ["d", "d2", "d"]


def test_the_graph_sees_the_imports_it_should():
    graph = import_graph(lazy=False)
    assert "surveykit.cases" in graph["surveykit.storage"]  # storage opens cases on submit
    assert "surveykit.reports" not in graph["analysis.report"]  # imported inside report_from_store only
    assert "surveykit.reports" in import_graph(lazy=True)["analysis.report"]


@pytest.mark.parametrize("lazy", [False, True], ids=["module level", "with imports inside functions"])
def test_no_import_cycle(lazy):
    assert find_cycle(import_graph(lazy=lazy)) is None


def test_surveykit_imports_neither_webform_nor_analysis_at_module_level():
    graph = import_graph(lazy=False)
    wrong = {
        (source, target)
        for source, targets in graph.items()
        if source.startswith("surveykit")
        for target in targets
        if target.split(".")[0] in ("webform", "analysis")
    }
    assert not wrong
