"""Two import rules of the core that tests/test_layers.py (layers, cycles, frameworks) leaves to this file.

* A function-level import in the core only defers an optional dependency (a framework's ops table,
  matplotlib), or is the one documented edge ``_base -> _compose`` in ``Schedule.__mul__``. (The rarely
  used parts that the facade and the registry load on first use, ``_registry.DEFERRED``, are tested in
  test_import.py.)
* No import after a module's first definition.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "lrplan"
CORE = sorted(
    p
    for p in [*SRC.glob("*.py"), *(SRC / "schedules").glob("*.py")]
    if p.stem not in {"__main__", "optax", "keras", "plot"}
)
OPTIONAL = {"jax", "torch", "keras", "matplotlib"}


def function_level_imports(path: Path) -> list[str]:
    """What each import inside a function of ``path`` names: a relative module (``._compose``) or a package."""
    out = []
    for fn in ast.walk(ast.parse(path.read_text())):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, ast.Import):
                    out += [a.name.split(".")[0] for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    out.append("." * node.level + (node.module or ""))
    return out


def late_imports(path: Path) -> list[int]:
    """Lines of the imports that come after the first class or function of ``path``."""
    late, seen_definition = [], False
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            seen_definition = True
        elif seen_definition and isinstance(node, (ast.Import, ast.ImportFrom)):
            late.append(node.lineno)
    return late


def test_function_level_imports_only_defer_optional_dependencies():
    found = {p.relative_to(SRC).as_posix(): function_level_imports(p) for p in CORE}
    found = {k: v for k, v in found.items() if v}
    assert found.pop("_base.py") == ["._compose"]
    assert {name for names in found.values() for name in names} <= OPTIONAL, found


def test_no_import_after_the_first_definition():
    assert {p.name: late_imports(p) for p in CORE if late_imports(p)} == {}


def test_the_checks_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import math\n\ndef f():\n    import difflib\n    from ._spec import parse\n\nimport os\n")
    assert function_level_imports(bad) == ["difflib", "._spec"]
    assert late_imports(bad) == [7]
