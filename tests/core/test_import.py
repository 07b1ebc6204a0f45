"""``import lrplan`` imports NumPy only, and reads its version without package metadata."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import lrplan

ROOT = Path(__file__).resolve().parents[2]


def test_import_loads_no_framework():
    code = (
        "import sys, lrplan\n"
        "heavy = ['torch', 'jax', 'keras', 'tensorflow', 'matplotlib', 'optax', 'typer', 'rich', 'yaml',\n"
        "         'importlib.metadata']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_version_has_one_source():
    text = (ROOT / "pyproject.toml").read_text()  # read as text: tomllib is Python 3.11+
    assert re.findall(r"^version\s*=.*$", text, re.M) == ['version = {attr = "lrplan._version.__version__"}']
    assert 'dynamic = ["version"]' in text
    assert re.fullmatch(r"\d+\.\d+\.\d+([ab]\d+|rc\d+)?(\.post\d+)?(\.dev\d+)?", lrplan.__version__)


def test_rarely_used_parts_load_on_first_use():
    code = (
        "import sys, lrplan\n"
        "print(sorted(m for m in sys.modules if m.startswith('lrplan')))\n"
        "lrplan.parse('cycle_anneal(init_value=1.0, cycle_steps=10)')\n"
        "print('lrplan.schedules.restarts' in sys.modules, 'lrplan._plateau' in sys.modules)\n"
        "lrplan.plateau\n"
        "print('lrplan._plateau' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split("\n")
    loaded = set(ast.literal_eval(out[0]))
    later = {f"lrplan.schedules.{m}" for m in ("restarts", "cyclic", "batch", "clocks", "continued")}
    assert loaded.isdisjoint({"lrplan._plateau", "lrplan._finder", "lrplan._scaling", *later})
    assert out[1:3] == ["True False", "True"]


def test_every_public_name_resolves_and_deferred_names_are_complete():
    from lrplan import _registry

    assert [name for name in lrplan.__all__ if getattr(lrplan, name, None) is None] == []
    assert set(lrplan.__all__) <= set(dir(lrplan))
    registered = lrplan.registered()  # loads every deferred module
    deferred_modules = set(_registry.DEFERRED.values())
    from_deferred = {name for name, cls in registered.items() if cls.__module__ in deferred_modules}
    assert from_deferred == set(_registry.DEFERRED)
    for name, module in _registry.DEFERRED.items():
        assert registered[name].__module__ == module
    for name, cls in registered.items():
        if cls.__module__.startswith("lrplan."):  # every built-in: a lower-case alias and its class, both public
            assert getattr(lrplan, name) is cls and getattr(lrplan, cls.__name__) is cls, name
            assert {name, cls.__name__} <= set(lrplan.__all__), name
