"""The library's floors: no module imports from a floor above its own, nothing imports in a circle,
and the library never imports the service. Imports are read from the source as written (module
level and inside functions), so a lazy import counts too."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.fast

ROOT = Path(__file__).resolve().parents[1]

FLOORS: dict[str, int] = {
    "forecast.core": 0,
    "forecast.data": 1,
    "forecast.priors": 1,
    "forecast.store": 1,
    "forecast.model": 2,
    "forecast.fit": 3,
    "forecast.questions": 3,
    "forecast.validation": 4,
    "forecast.report": 4,
    "forecast.sweeps": 4,
    "forecast.cli": 5,
}
"""Subpackage -> floor; the package docstrings say the same in words."""


def _modules(package: str) -> dict[str, Path]:
    out = {}
    for f in (ROOT / package).rglob("*.py"):
        name = ".".join(f.relative_to(ROOT).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = f
    return out


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def _floor(module: str) -> int | None:
    for prefix, floor in FLOORS.items():
        if module == prefix or module.startswith(prefix + "."):
            return floor
    return None


LIBRARY = _modules("forecast")


def test_every_library_module_has_a_floor() -> None:
    loose = [m for m in LIBRARY if m != "forecast" and _floor(m) is None]
    assert not loose, f"modules outside any floor: {loose}"


def test_no_import_goes_up_a_floor() -> None:
    upward = []
    for name, path in LIBRARY.items():
        own = _floor(name)
        if own is None:
            continue
        for dep in _imports(path):
            theirs = _floor(dep)
            if theirs is not None and theirs > own:
                upward.append(f"{name} (floor {own}) imports {dep} (floor {theirs})")
    assert not upward, "\n".join(upward)


def test_library_never_imports_the_service() -> None:
    bad = [
        f"{name} imports {dep}"
        for name, path in LIBRARY.items()
        for dep in _imports(path)
        if dep == "service" or dep.startswith("service.")
    ]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("package", ["forecast", "service"])
def test_no_import_cycles(package: str) -> None:
    known = _modules(package)
    # a package __init__ that re-exports is not a cycle member (importing it runs the leaf)
    graph = {
        n: {d for d in _imports(p) if d in known and known[d].name != "__init__.py"} - {n}
        for n, p in known.items()
        if p.name != "__init__.py"
    }
    state: dict[str, int] = {}
    cycles: list[str] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                cycles.append(" -> ".join([*path[path.index(dep) :], dep]))
            elif dep not in state:
                visit(dep, [*path, dep])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "\n".join(cycles)


@pytest.mark.parametrize("package", ["forecast", "service"])
def test_every_module_says_its_job(package: str) -> None:
    silent = [
        name
        for name, path in _modules(package).items()
        if not ast.get_docstring(ast.parse(path.read_text()))
    ]
    assert not silent, f"modules without a docstring: {silent}"


@pytest.mark.parametrize("package", ["forecast", "service"])
def test_modules_stay_readable(package: str) -> None:
    long = {
        name: n
        for name, path in _modules(package).items()
        if (n := len(path.read_text().splitlines())) > 750
    }
    assert not long, f"modules over 750 lines (split by concern): {long}"
