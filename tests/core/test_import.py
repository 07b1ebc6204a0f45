"""``import lrplan`` imports NumPy only, and reads its version without package metadata."""

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
