"""lrplan against optax and Keras schedules, measured in one run.

1. A jitted optax AdamW train step (small MLP) driven by an lrplan warmup-cosine schedule, against the
   same step driven by ``optax.warmup_cosine_decay_schedule`` (goal: <= 1.1x).
2. The eager per-call time of ``lrplan.keras.Schedule`` against ``keras.optimizers.schedules.CosineDecay``
   with warmup, on the jax backend (goal: >= 100x faster) and on the torch backend (goal: <= 0.5x the
   time), for a Python int step (what a logging callback passes) and for the optimizer's ``iterations``
   variable. Each Keras backend runs in its own subprocess (the backend is fixed per process).

Both sides run alternately, several rounds each; the best round is reported (timings on a shared
machine are noisy). Usage: ``python benchmarks/jax_keras.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PEAK, END, WARMUP, DECAY = 1e-3, 1e-5, 200, 1800
ROOT = Path(__file__).resolve().parent.parent


def _lrplan_schedule() -> Any:
    import lrplan

    return lrplan.warmup(lrplan.cosine(init_value=PEAK, decay_steps=DECAY, end_value=END), steps=WARMUP)


def _best_per_call(fns: dict[str, Callable[[], Any]], calls: int, rounds: int) -> dict[str, float]:
    """Seconds per call, best of ``rounds`` rounds of ``calls`` calls; the sides alternate."""
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(rounds):
        for name, fn in fns.items():
            t = time.perf_counter()
            for _ in range(calls):
                fn()
            best[name] = min(best[name], (time.perf_counter() - t) / calls)
    return best


def optax_train_step(steps: int = 1000, rounds: int = 5) -> dict[str, Any]:
    import jax
    import jax.numpy as jnp
    import optax

    ours = _lrplan_schedule()
    theirs = optax.warmup_cosine_decay_schedule(
        init_value=0.0, peak_value=PEAK, warmup_steps=WARMUP, decay_steps=WARMUP + DECAY, end_value=END
    )
    grid = jnp.arange(0, WARMUP + DECAY + 10, dtype=jnp.int32)
    max_diff = float(jnp.max(jnp.abs(jax.vmap(ours)(grid) - jax.vmap(theirs)(grid))))

    key = jax.random.PRNGKey(0)
    k1, k2, k3 = jax.random.split(key, 3)
    params = {
        "w1": jax.random.normal(k1, (32, 64)) * 0.1,
        "b1": jnp.zeros(64),
        "w2": jax.random.normal(k2, (64, 1)) * 0.1,
        "b2": jnp.zeros(1),
    }
    x = jax.random.normal(k3, (128, 32))
    y = jnp.sum(x[:, :4], axis=1, keepdims=True)

    def make(schedule: Any) -> Callable[[], Any]:
        opt = optax.adamw(learning_rate=schedule, weight_decay=1e-4)

        @jax.jit
        def step(params: Any, state: Any) -> Any:
            def loss(p: Any) -> Any:
                h = jnp.tanh(x @ p["w1"] + p["b1"])
                return jnp.mean((h @ p["w2"] + p["b2"] - y) ** 2)

            grads = jax.grad(loss)(params)
            updates, state = opt.update(grads, state, params)
            return optax.apply_updates(params, updates), state

        carry = [params, opt.init(params)]
        carry[0], carry[1] = step(*carry)  # compile
        jax.block_until_ready(carry)

        def run() -> None:
            for _ in range(steps):
                carry[0], carry[1] = step(*carry)
            jax.block_until_ready(carry)

        return run

    per_run = _best_per_call({"lrplan": make(ours), "optax": make(theirs)}, calls=1, rounds=rounds)
    per_step = {k: v / steps for k, v in per_run.items()}
    return {
        "lrplan_us": per_step["lrplan"] * 1e6,
        "optax_us": per_step["optax"] * 1e6,
        "ratio": per_step["lrplan"] / per_step["optax"],
        "max_value_diff": max_diff,
    }


def keras_eager(rounds: int = 5) -> dict[str, Any]:
    """Runs inside a subprocess with KERAS_BACKEND set."""
    import keras

    import lrplan.keras

    ours = lrplan.keras.Schedule(_lrplan_schedule())
    theirs = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0, decay_steps=DECAY, alpha=END / PEAK, warmup_target=PEAK, warmup_steps=WARMUP
    )
    variable = keras.optimizers.SGD(learning_rate=ours).iterations  # the step Keras passes
    variable.assign(700)
    checks = [abs(float(ours(k)) - float(theirs(k))) for k in (0, 100, 200, 700, 2000, 2500)]

    backend = keras.backend.backend()
    calls = 20 if backend == "jax" else 300
    out: dict[str, Any] = {"backend": backend, "max_value_diff": max(checks)}
    for kind, step in (("int", 700), ("variable", variable)):
        t = _best_per_call({"lrplan": lambda s=step: ours(s), "keras": lambda s=step: theirs(s)}, calls, rounds)
        out[kind] = {"lrplan_us": t["lrplan"] * 1e6, "keras_us": t["keras"] * 1e6, "ratio": t["lrplan"] / t["keras"]}
    return out


def _keras_subprocess(backend: str) -> dict[str, Any]:
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p)
    proc = subprocess.run(
        [sys.executable, __file__, "--keras"], env=env, capture_output=True, text=True, check=False, cwd=ROOT
    )
    if proc.returncode != 0:
        raise RuntimeError(f"KERAS_BACKEND={backend} benchmark failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    if sys.argv[1:] == ["--keras"]:
        print(json.dumps(keras_eager()))
        return
    r = optax_train_step()
    print("jitted optax AdamW train step (MLP 32-64-1, batch 128), per step, best of 5 rounds of 1000 steps:")
    print(
        f"  lrplan warmup-cosine {r['lrplan_us']:8.1f} us   optax.warmup_cosine_decay_schedule {r['optax_us']:8.1f} us"
        f"   ratio {r['ratio']:.3f}x (goal <= 1.1x)   max |value diff| {r['max_value_diff']:.2e}"
    )
    goals = {"jax": ("faster", 100.0), "torch": ("ratio", 0.5)}
    for backend in ("jax", "torch"):
        k = _keras_subprocess(backend)
        print(
            f"Keras eager schedule call, {backend} backend (max |value diff| vs CosineDecay {k['max_value_diff']:.2e}):"
        )
        for kind in ("int", "variable"):
            v = k[kind]
            goal = goals[backend]
            verdict = (
                f"{1 / v['ratio']:.0f}x faster (goal >= {goal[1]:.0f}x for an int step)"
                if goal[0] == "faster"
                else f"ratio {v['ratio']:.3f}x (goal <= {goal[1]}x)"
            )
            print(
                f"  step={kind:8s} lrplan.keras.Schedule {v['lrplan_us']:9.1f} us   CosineDecay {v['keras_us']:9.1f} us"
                f"   {verdict}"
            )


if __name__ == "__main__":
    main()
