"""The core's import layers, read from the source: imports go downward, and the one upward edge is documented.

Layers, bottom up (a module may import its own layer or lower ones, with no cycle):

0. ``_errors``, ``_ops``, ``_validate``, ``_shapes``, ``_version``
1. ``_base`` (Schedule, the spec writer, the config encoder)
2. ``fields``, ``_registry``, ``_spec`` (parse), ``_serialize`` (from_config)
3. ``_compose``
4. ``schedules/*``
5. ``_plateau``, ``_finder``, ``_scaling``
6. ``lrplan`` (the facade)

A function-level import only defers an optional framework (or matplotlib); between core modules the
only one is ``_base`` -> ``_compose`` in ``Schedule.__mul__``.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "lrplan"
LAYERS = {
    **dict.fromkeys(["_errors", "_ops", "_validate", "_shapes", "_version"], 0),
    "_base": 1,
    **dict.fromkeys(["fields", "_registry", "_spec", "_serialize"], 2),
    "_compose": 3,
    **{f"schedules.{p.stem}": 4 for p in (SRC / "schedules").glob("*.py")},
    **dict.fromkeys(["_plateau", "_finder", "_scaling"], 5),
    "__init__": 6,
}
DOCUMENTED_UPWARD = {("_base", "_compose")}
OPTIONAL = {"jax", "torch", "keras", "matplotlib"}


def _module(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    name = ".".join(rel.parts)
    return "schedules" if name == "schedules.__init__" else name


def _target(module: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    """The lrplan modules (or top-level packages outside lrplan) an import statement names."""
    if isinstance(node, ast.Import):
        return [f"<{a.name.split('.')[0]}>" for a in node.names]
    if node.level == 0:
        return [f"<{(node.module or '').split('.')[0]}>"]
    package = module.split(".")[:-1] if "." in module else []
    base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
    prefix = ".".join([*base, *(node.module.split(".") if node.module else [])])
    if node.module is None or prefix in ("schedules",):  # from . import fields / from .. import fields
        return [".".join(filter(None, [prefix, a.name])) for a in node.names]
    return [prefix]


def imports() -> list[tuple[str, str, bool]]:
    """(importer, imported, inside a function) for every import in the core."""
    out = []
    for path in sorted(SRC.rglob("*.py")):
        module = _module(path)
        if module not in LAYERS and module != "schedules":
            continue
        tree = ast.parse(path.read_text())
        nested = {
            id(sub)
            for fn in ast.walk(tree)
            if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef))
            for sub in ast.walk(fn)
        }
        for node in ast.walk(tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                out += [(module, t, id(node) in nested) for t in _target(module, node)]
    return out


def test_every_core_module_has_a_layer():
    core = {_module(p) for p in SRC.glob("*.py")} | {_module(p) for p in (SRC / "schedules").glob("*.py")}
    adapters = {
        "torch",
        "optax",
        "keras",
        "plot",
        "cli",
        "__main__",
        "_plateau_optax",
        "_plateau_keras",
        "_finder_torch",
    }
    assert sorted(core - set(LAYERS) - adapters - {"schedules"}) == []


def test_imports_go_downward_except_the_documented_edge():
    wrong = []
    for importer, imported, _ in imports():
        if imported.startswith("<") or imported == "schedules":
            continue
        assert imported in LAYERS, f"{importer} imports {imported}, which is not a core module"
        if LAYERS[imported] > LAYERS[importer] and (importer, imported) not in DOCUMENTED_UPWARD:
            wrong.append(f"{importer} -> {imported}")
    assert wrong == []


def test_function_level_imports_only_defer_optional_dependencies():
    inside = [(a, b) for a, b, nested in imports() if nested]
    between_core = [(a, b) for a, b in inside if not b.startswith("<")]
    assert between_core == sorted(DOCUMENTED_UPWARD) and len(between_core) <= 2
    assert {b.strip("<>") for a, b in inside if b.startswith("<")} <= OPTIONAL


def test_no_cycle_at_module_level():
    graph: dict[str, set[str]] = {}
    for importer, imported, nested in imports():
        if not nested and not imported.startswith("<") and imported != importer:
            graph.setdefault(importer, set()).add(imported)
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            assert state.get(nxt) != 1, "import cycle: " + " -> ".join([*path, node, nxt])
            if nxt not in state:
                visit(nxt, [*path, node])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])


def test_no_import_after_the_first_definition():
    late = []
    for path in sorted([*SRC.glob("*.py"), *(SRC / "schedules").glob("*.py")]):
        if _module(path) not in LAYERS:
            continue
        seen_definition = False
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                seen_definition = True
            elif seen_definition and isinstance(node, (ast.Import, ast.ImportFrom)):
                late.append(f"{path.name}:{node.lineno}")
    assert late == []
