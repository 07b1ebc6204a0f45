"""A subprocess that evaluates Keras (JAX backend) and optax schedules for the preset parity tests.

Why a subprocess: the Keras backend must be chosen before Keras is first imported, and XLA's
algebraic simplifier must be off before JAX starts. That pass rewrites ``x / c`` with a constant
``c`` into ``x * (1/c)``, which is not exact (``159 * (1/159) = 0.99999994`` in float32), so under
``jax.jit``/``jax.vmap`` a staircase, cycle or restart can switch one step late; eager evaluation of
the same Keras/optax code divides exactly. With the pass disabled, ``jax.vmap`` evaluates the
library's own code with exact IEEE operations, fast. Neither setting leaks into the test process.

Protocol: one JSON request per line on stdin, one JSON reply per line on stdout.
Request: ``{"lib": "keras"|"optax", "name": str, "args": [...], "kwargs": {...}, "n": int, "x64": bool}``.
In ``args``/``kwargs``, ``{"__dict__": [[k, v], ...]}`` is a dict with number keys and
``{"__optax__": name, "args": [...], "kwargs": {...}}`` an optax schedule (for ``join_schedules``).
Reply: ``{"values": [...]}``, or ``{"error": "TypeName: message"}`` when the library raised.
"""

from __future__ import annotations

import json
import os
import sys


def _configure() -> None:
    """Environment for Keras and JAX; run only in the subprocess, before they are imported."""
    os.environ["KERAS_BACKEND"] = "jax"
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_disable_hlo_passes=algsimp").strip()
    os.environ.setdefault("JAX_PLATFORMS", "cpu")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _decode(x, optax):
    if isinstance(x, dict):
        if "__dict__" in x:
            return {k: _decode(v, optax) for k, v in x["__dict__"]}
        if "__optax__" in x:
            fn = getattr(optax.schedules, x["__optax__"])
            return fn(*_decode(x.get("args", []), optax), **_decode(x.get("kwargs", {}), optax))
        return {k: _decode(v, optax) for k, v in x.items()}
    if isinstance(x, list):
        return [_decode(v, optax) for v in x]
    return x


def main() -> None:
    import jax
    import numpy as np

    libs = {}
    for line in sys.stdin:
        req = json.loads(line)
        try:
            with jax.enable_x64(bool(req.get("x64", False))):
                if req["lib"] == "keras":
                    if "keras" not in libs:
                        import keras

                        libs["keras"] = keras
                    cls = getattr(libs["keras"].optimizers.schedules, req["name"])
                    sched = cls(*req.get("args", []), **req.get("kwargs", {}))
                else:
                    if "optax" not in libs:
                        import optax

                        libs["optax"] = optax
                    optax = libs["optax"]
                    fn = getattr(optax.schedules, req["name"])
                    sched = fn(*_decode(req.get("args", []), optax), **_decode(req.get("kwargs", {}), optax))
                steps = np.arange(int(req["n"]))

                def value(t, f=sched):
                    return jax.numpy.asarray(f(t)) * 1  # constants broadcast under vmap

                res = jax.jit(jax.vmap(value))(steps)
            reply = {"values": np.asarray(res, dtype=np.float64).tolist(), "dtype": str(res.dtype)}
        except Exception as e:  # reported to the test, which decides
            reply = {"error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _configure()
    main()
