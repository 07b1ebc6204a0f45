"""Each adapter, imported without its framework, raises one ImportError: one line naming the extra to install.

Each case runs in a fresh interpreter whose import system refuses the framework's modules, as if they were
not installed; ``import lrplan`` itself must keep working there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

PROBE = textwrap.dedent(
    """
    import importlib.abc, json, sys

    BLOCKED = set(sys.argv[2].split(",")) - {""}

    class NotInstalled(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, NotInstalled())
    import lrplan

    try:
        __import__(sys.argv[1])
    except ImportError as exc:
        print(json.dumps({"type": type(exc).__name__, "message": str(exc), "core": lrplan.constant(0.5)(3)}))
    else:
        print(json.dumps({"type": None}))
    """
)

CASES = [
    ("lrplan.torch", "torch", {}, "lrplan.torch needs PyTorch: pip install 'lrplan[torch]'"),
    ("lrplan.optax", "jax,optax", {}, "lrplan.optax needs JAX and optax: pip install 'lrplan[jax]'"),
    ("lrplan.optax", "optax", {}, "lrplan.optax needs JAX and optax: pip install 'lrplan[jax]'"),
    ("lrplan.keras", "keras", {}, "lrplan.keras needs Keras 3: pip install 'lrplan[keras]'"),
    # Keras installed without its backend (the keras extra brings Keras only): the real cause and the fix
    (
        "lrplan.keras",
        "tensorflow",
        {"KERAS_BACKEND": "tensorflow"},
        "lrplan.keras: Keras is installed but its backend is not (No module named 'tensorflow'). Install it "
        "(pip install tensorflow), or choose an installed backend with KERAS_BACKEND=jax, torch or tensorflow.",
    ),
    (
        "lrplan.keras",
        "jax",
        {"KERAS_BACKEND": "jax"},
        "lrplan.keras: Keras is installed but its backend is not (No module named 'jax'). Install it "
        "(pip install jax), or choose an installed backend with KERAS_BACKEND=jax, torch or tensorflow.",
    ),
    (
        "lrplan.keras",
        "",
        {"KERAS_BACKEND": "tensorfow"},
        "lrplan.keras: Keras is installed but cannot be imported (Unable to import backend : tensorfow). Its "
        "backend is chosen with KERAS_BACKEND (jax, torch or tensorflow) and must be installed.",
    ),
]


@pytest.mark.parametrize(
    ("module", "blocked", "env", "message"),
    CASES,
    ids=[f"{m}-without-{b or 'nothing'}-{'-'.join(e.values())}" for m, b, e, _ in CASES],
)
def test_missing_framework_gives_one_line_install_hint(module, blocked, env, message):
    out = subprocess.run(
        [sys.executable, "-c", PROBE, module, blocked],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env},
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"type": "ImportError", "message": message, "core": 0.5}
