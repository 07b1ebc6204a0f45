"""The house rules of CONTRIBUTING.md that a machine can check: import layers, cycles, framework imports, sizes.

Every module of ``src/lrplan`` is read with :mod:`ast` (nothing is imported), and each import of another
lrplan module becomes an edge, at module level or inside a function. The rules:

* imports go downward only, along the layers of :data:`LAYERS`; the one documented upward edge is
  ``_base -> _compose`` inside ``Schedule.__mul__``/``__truediv__``;
* no import cycle, at module level or through function-level imports, but that edge;
* at most two function-level imports between core modules (both of them that edge);
* a framework (torch, jax, optax, keras, tensorflow) is imported only by the adapters and the lab, and by the
  ops tables of ``_ops`` inside the function that builds them (a tensor of that framework was given);
* no module over 800 lines.

Each rule is also checked against a small made-up package that breaks it, so the checks themselves can fail.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import lrplan

SRC = Path(lrplan.__file__).resolve().parent

# Layer of each module, by the first matching prefix (longest first); higher layers may import lower ones.
LAYERS: dict[str, int] = {
    "lrplan._errors": 0,
    "lrplan._ops": 0,
    "lrplan._validate": 0,
    "lrplan._shapes": 0,
    "lrplan._version": 0,
    "lrplan._base": 1,
    "lrplan.fields": 2,
    "lrplan._registry": 2,
    "lrplan._spec": 3,
    "lrplan._serialize": 3,
    "lrplan._compose": 4,
    "lrplan.schedules": 4,
    "lrplan._plateau": 5,
    "lrplan._finder": 5,
    "lrplan._clock": 5,
    "lrplan._scaling": 5,
    "lrplan._batch": 5,
    "lrplan": 6,  # the facade (lrplan/__init__.py) re-exports the core
    "lrplan.presets": 7,
    "lrplan.laws": 7,
    "lrplan.torch": 8,
    "lrplan.optax": 8,
    "lrplan.keras": 8,
    "lrplan.plot": 9,
    "lrplan.cli": 10,
    "lrplan.__main__": 11,
    "lrplan.lab": 12,
}
CORE_MAX = 6  # modules at or below this layer are "the core"
ALLOWED_UPWARD = {("lrplan._base", "lrplan._compose")}
FRAMEWORKS = {"torch", "jax", "jaxlib", "optax", "keras", "tensorflow"}
FRAMEWORK_OWNERS = ("lrplan.torch", "lrplan.optax", "lrplan.keras", "lrplan.lab")
MAX_LINES = 800


@dataclasses.dataclass(frozen=True)
class Edge:
    source: str
    target: str
    in_function: bool
    line: int


def layer(module: str) -> int:
    best = max((p for p in LAYERS if module == p or module.startswith(p + ".")), key=len, default=None)
    if best is None:
        raise AssertionError(f"{module} has no layer in tests/test_layers.py: add it to LAYERS (and CONTRIBUTING.md)")
    return LAYERS[best]


def modules(root: Path, package: str = "lrplan") -> dict[str, Path]:
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join([package, *parts])] = path
    return out


def _resolve(current: str, is_package: bool, node: ast.ImportFrom, known: dict[str, Path]) -> list[str]:
    if node.level:
        base = current.split(".") if is_package else current.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        stem = ".".join(base + ([node.module] if node.module else []))
    else:
        stem = node.module or ""
    targets = []
    for alias in node.names:
        candidate = f"{stem}.{alias.name}"
        targets.append(candidate if candidate in known else stem)
    return targets


class _Collector(ast.NodeVisitor):
    def __init__(self, current: str, is_package: bool, known: dict[str, Path]) -> None:
        self.current, self.is_package, self.known = current, is_package, known
        self.depth = 0
        self.edges: list[Edge] = []
        self.external: list[tuple[str, bool, int]] = []

    def _func(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _func

    def visit_If(self, node: ast.If) -> None:
        # `if TYPE_CHECKING:` blocks are for type checkers only: they import nothing at run time
        test = node.test
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        ):
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def _add(self, target: str, line: int) -> None:
        if target == "lrplan" or target.startswith("lrplan."):
            while target not in self.known and "." in target:
                target = target.rsplit(".", 1)[0]
            if target != self.current:
                self.edges.append(Edge(self.current, target, self.depth > 0, line))
        else:
            self.external.append((target, self.depth > 0, line))

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for target in dict.fromkeys(_resolve(self.current, self.is_package, node, self.known)):
            self._add(target, node.lineno)


def scan(root: Path, package: str = "lrplan") -> tuple[list[Edge], dict[str, list[tuple[str, bool, int]]]]:
    known = modules(root, package)
    edges: list[Edge] = []
    external: dict[str, list[tuple[str, bool, int]]] = {}
    for name, path in known.items():
        collector = _Collector(name, path.name == "__init__.py", known)
        collector.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        edges += collector.edges
        external[name] = collector.external
    return edges, external


def cycles(edges: list[Edge]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        if (e.source, e.target) in ALLOWED_UPWARD:
            continue
        graph.setdefault(e.source, set()).add(e.target)
        graph.setdefault(e.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _is_ancestor(a: str, b: str) -> bool:
    """``b`` is a package containing ``a`` (importing a package's ``__init__`` from inside it)."""
    return a.startswith(b + ".")


def upward(edges: list[Edge]) -> list[str]:
    bad = []
    for e in edges:
        if (e.source, e.target) in ALLOWED_UPWARD or (_is_ancestor(e.source, e.target) and e.target != "lrplan"):
            continue
        if layer(e.target) > layer(e.source):
            bad.append(f"{e.source}:{e.line} imports {e.target} (layer {layer(e.target)} > {layer(e.source)})")
    return bad


def core_function_imports(edges: list[Edge]) -> list[Edge]:
    return [e for e in edges if e.in_function and layer(e.source) <= CORE_MAX and layer(e.target) <= CORE_MAX]


def framework_imports(external: dict[str, list[tuple[str, bool, int]]]) -> list[str]:
    bad = []
    for module, imports in external.items():
        owner = module.startswith(FRAMEWORK_OWNERS)
        for target, in_function, line in imports:
            if target.split(".")[0] not in FRAMEWORKS or owner:
                continue
            if module == "lrplan._ops" and in_function:
                continue  # the ops tables, built on first use with a tensor of that framework
            bad.append(f"{module}:{line} imports {target}")
    return bad


def oversized(root: Path) -> list[str]:
    return [
        f"{p.relative_to(root)}: {n} lines"
        for p in sorted(root.rglob("*.py"))
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    ]


# ------------------------------------------------------------------------------------------ the package
EDGES, EXTERNAL = scan(SRC)


def test_every_module_has_a_layer():
    for module in modules(SRC):
        layer(module)


def test_imports_go_downward_only():
    assert upward(EDGES) == []


def test_no_import_cycle_but_the_documented_edge():
    assert cycles(EDGES) == []


def test_at_most_two_function_level_imports_between_core_modules():
    found = core_function_imports(EDGES)
    assert len(found) <= 2, [f"{e.source}:{e.line} -> {e.target}" for e in found]
    assert {(e.source, e.target) for e in found} <= ALLOWED_UPWARD


def test_only_adapters_and_lab_import_a_framework():
    assert framework_imports(EXTERNAL) == []


def test_no_module_over_800_lines():
    assert oversized(SRC) == []


# ------------------------------------------------------------------------------------------ the checks can fail
def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_checks_catch_a_cycle_an_upward_edge_a_framework_and_a_long_module(tmp_path):
    pkg = _write(
        tmp_path / "lrplan",
        {
            "__init__.py": "from ._base import Schedule\n",
            "_errors.py": "",
            "_base.py": "from . import _registry\n\ndef f():\n    from ._compose import Join\n",
            "_registry.py": "from ._base import Schedule\n",  # cycle with _base
            "_compose.py": "import torch\n",  # a framework in the core
            "schedules/__init__.py": "",
            "schedules/basic.py": "def g():\n    from .._spec import parse\n" + "x = 1\n" * 800,
            "_spec.py": "from .schedules import basic\n",  # _spec (layer 3) imports schedules (layer 4)
        },
    )
    edges, external = scan(pkg)
    assert cycles(edges) == [["lrplan._base", "lrplan._registry"], ["lrplan._spec", "lrplan.schedules.basic"]]
    assert upward(edges) == [
        "lrplan._base:1 imports lrplan._registry (layer 2 > 1)",
        "lrplan._spec:1 imports lrplan.schedules.basic (layer 4 > 3)",
    ]
    assert [(e.source, e.target) for e in core_function_imports(edges)] == [
        ("lrplan._base", "lrplan._compose"),
        ("lrplan.schedules.basic", "lrplan._spec"),
    ]
    assert framework_imports(external) == ["lrplan._compose:1 imports torch"]
    assert oversized(pkg) == ["schedules/basic.py: 802 lines"]


def test_importing_a_main_module_runs_nothing():
    """``python -m`` entry points run only as ``__main__``: documentation tools import every module."""
    import subprocess
    import sys

    mains = sorted(SRC.rglob("__main__.py"))
    assert len(mains) >= 3
    for path in mains:
        module = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
        done = subprocess.run(
            [sys.executable, "-c", f"import sys; sys.argv = ['build', '--strict']; import {module}"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0 and "Usage" not in done.stdout + done.stderr, (module, done.stderr[-500:])
