"""``import lrplan`` does not load the laws; ``import lrplan.laws`` loads NumPy only (SciPy when fitting)."""

import subprocess
import sys

HEAVY = ["scipy", "torch", "jax", "keras", "tensorflow", "matplotlib", "typer", "rich", "yaml"]


def loaded(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint(','.join(m for m in {[*HEAVY, 'lrplan.laws']!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_import_lrplan_leaves_the_laws_out():
    assert loaded("import lrplan") == []


def test_import_laws_loads_numpy_only():
    assert loaded("import lrplan.laws") == ["lrplan.laws"]


def test_predicting_needs_no_scipy():
    code = (
        "import lrplan, lrplan.laws\n"
        "law = lrplan.laws.MomentumLaw(L0=3.0, A=0.5, alpha=0.5, C=0.4)\n"
        "law.predict(lrplan.constant(1e-3), [10, 100])\n"
        "lrplan.laws.transfer_lr(1e-3, lrplan.cosine(init_value=1.0, decay_steps=10), lrplan.cosine(init_value=1.0, decay_steps=40))\n"
    )
    assert loaded(code) == ["lrplan.laws"]
