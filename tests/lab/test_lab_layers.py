"""The lab's house rules: public lrplan API only, imports one way, late imports only for heavy extras."""

import ast
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[2] / "src" / "lrplan" / "lab"
MODULES = sorted(LAB.rglob("*.py"))
# what a function may import late: a heavy or optional dependency (or a lab module that imports torch)
DEFERRED = {
    "torch",
    "ray",
    "sklearn",
    "matplotlib",
    "jinja2",
    "yaml",
    "tomllib",
    "rich",
    "schedulefree",
    "optuna",
    "markupsafe",
}
DEFERRED_LRPLAN = {"lrplan.torch", "lrplan.lab._models"}


def module_name(path: Path) -> str:
    parts = path.relative_to(LAB.parents[1]).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    path = LAB.parents[1].joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imports(path: Path) -> list[tuple[str, list[str], bool]]:
    """(absolute module, imported names, at module level) for every import statement of ``path``."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
    tree = ast.parse(path.read_text())
    top = set(map(id, tree.body))
    for node in tree.body:  # `if TYPE_CHECKING:` imports, and `try: import x` guards, are module level
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            top.update(map(id, node.body))
        if isinstance(node, ast.Try):
            top.update(map(id, node.body))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, [], id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            found.append((name, [a.name for a in node.names], id(node) in top))
    return found


def test_the_lab_uses_only_the_public_api_of_lrplan():
    offenders = []
    for path in MODULES:
        for name, names, _ in imports(path):
            if name.startswith("lrplan.lab"):
                continue
            if name.startswith("lrplan") and any(part.startswith("_") for part in name.split(".")):
                offenders.append(f"{path.name}: {name}")
            if name == "lrplan" and any(n.startswith("_") for n in names):
                offenders.append(f"{path.name}: from lrplan import {names}")
    assert offenders == []


def test_function_level_imports_only_defer_heavy_dependencies():
    late = []
    for path in MODULES:
        for name, names, top in imports(path):
            if top or name.split(".")[0] in DEFERRED or name in DEFERRED_LRPLAN:
                continue
            late.append(f"{path.relative_to(LAB)}: {name} {names}")
    assert late == []


def test_lab_modules_import_each_other_one_way():
    graph: dict[str, set[str]] = {}
    for path in MODULES:
        deps = set()
        for name, names, top in imports(path):
            if not top or not name.startswith("lrplan.lab"):
                continue
            deps.add(name)  # `from . import run` imports the module lrplan.lab.run
            deps.update(f"{name}.{n}" for n in names if is_module(f"{name}.{n}"))
        graph[module_name(path)] = deps - {module_name(path)}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            pytest.fail("import cycle: " + " -> ".join([*trail[trail.index(node) :], node]))
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if dep in graph:
                visit(dep, [*trail, node])
        state[node] = 2

    for node in sorted(graph):
        visit(node, [])
    # the documented direction: one run <- backends <- sweep <- built-in studies <- report <- cli
    assert "lrplan.lab.run" in graph["lrplan.lab.backends"]
    assert "lrplan.lab.backends" in graph["lrplan.lab.sweep"]
    assert "lrplan.lab.sweep" in graph["lrplan.lab.studies"]
    assert "lrplan.lab.studies" in graph["lrplan.lab.report"]


def test_no_lab_module_is_over_800_lines():
    sizes = {path.relative_to(LAB).as_posix(): len(path.read_text().splitlines()) for path in MODULES}
    assert {name: n for name, n in sizes.items() if n > 800} == {}
    assert "studies/e1.py" in sizes and "run.py" in sizes and "sweep.py" in sizes
