"""Completeness is tested, not remembered (CONTRIBUTING.md).

Every registered schedule has a row in the EXAMPLES table (so the property, round-trip, adapter and
cross-framework tests cover it), a lower-case alias in ``lrplan``, a gallery picture and an API docs entry;
every public name of every public module has a docstring example that the doctest run executes.
"""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

import lrplan
from tests.examples import EXAMPLES

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

PUBLIC_MODULES = [
    "lrplan",
    "lrplan.fields",
    "lrplan.plot",
    "lrplan.presets",
    *(
        f"lrplan.presets.{m}"
        for m in ("torch", "keras", "optax", "hf", "timm", "fairseq", "t5", "big_vision", "megatron")
    ),
    "lrplan.torch",
    "lrplan.optax",
    "lrplan.keras",
]


def registered_builtins() -> dict[str, type]:
    return {name: cls for name, cls in lrplan.registered().items() if "." not in name}


def missing_rows(examples: dict[str, object]) -> list[str]:
    covered = {type(s).spec_name() for s in examples.values() if isinstance(s, lrplan.Schedule)}
    covered |= {s.spec_name() for s in examples.values() if isinstance(s, type)}
    return sorted(set(registered_builtins()) - covered)


def missing_aliases() -> list[str]:
    return sorted(name for name, cls in registered_builtins().items() if getattr(lrplan, name, None) is not cls)


def missing_pictures(docs: Path) -> list[str]:
    gallery = (docs / "gallery.md").read_text(encoding="utf-8")
    return sorted(
        name
        for name in registered_builtins()
        if not ((docs / "images" / f"{name}.png").is_file() and f"images/{name}.png" in gallery)
    )


def api_entries(docs: Path) -> set[str]:
    """Every ``::: lrplan.X`` directive of the API reference pages."""
    found: set[str] = set()
    for page in sorted((docs / "api").glob("*.md")):
        found |= set(re.findall(r"^::: ([\w.]+)\s*$", page.read_text(encoding="utf-8"), flags=re.M))
    return found


def missing_api_entries(docs: Path) -> list[str]:
    entries = api_entries(docs)
    return sorted(
        name
        for name, cls in registered_builtins().items()
        if f"lrplan.{cls.__name__}" not in entries and f"lrplan.{name}" not in entries
    )


def public_names(module_name: str) -> list[tuple[str, object]]:
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    assert names is not None, f"{module_name} has no __all__"
    return [(n, getattr(module, n)) for n in names if not n.startswith("__")]


def missing_examples(module_name: str) -> list[str]:
    out = []
    for name, obj in public_names(module_name):
        if not (callable(obj) or inspect.ismodule(obj)):
            continue  # constants are documented where they are used
        if ">>>" not in (inspect.getdoc(obj) or ""):
            out.append(f"{module_name}.{name}")
    return out


def test_every_registered_schedule_has_an_examples_row():
    assert missing_rows(EXAMPLES) == []


def test_every_registered_schedule_has_a_lower_case_alias():
    assert missing_aliases() == []


def test_every_registered_schedule_has_a_gallery_picture():
    assert missing_pictures(DOCS) == []


def test_every_registered_schedule_has_an_api_docs_entry():
    assert missing_api_entries(DOCS) == []


@pytest.mark.parametrize("module_name", PUBLIC_MODULES)
def test_every_public_name_has_a_running_example(module_name):
    # the examples run: the suite is collected with --doctest-modules over src/lrplan
    assert missing_examples(module_name) == []


# ------------------------------------------------------------------------------------------ the checks can fail
def test_the_checks_fail_when_something_is_missing(tmp_path):
    first = next(iter(registered_builtins()))
    assert first in missing_rows({k: v for k, v in EXAMPLES.items() if type(v).spec_name() != first})
    (tmp_path / "images").mkdir()
    (tmp_path / "api").mkdir()
    (tmp_path / "gallery.md").write_text("# Gallery\n", encoding="utf-8")
    (tmp_path / "api" / "schedules.md").write_text("::: lrplan.Cosine\n", encoding="utf-8")
    assert missing_pictures(tmp_path) == sorted(registered_builtins())
    missing = missing_api_entries(tmp_path)
    assert "cosine" not in missing and "linear" in missing
