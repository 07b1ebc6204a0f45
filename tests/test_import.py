import subprocess
import sys


def test_import_loads_no_framework():
    code = (
        "import sys, lrplan\n"
        "heavy = ['torch', 'jax', 'keras', 'tensorflow', 'matplotlib', 'optax', 'typer', 'rich', 'yaml']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
