"""Every Keras check for one backend, printed as one JSON object on stdout.

The Keras backend is fixed per process at import time, so tests run this module once per backend:
``KERAS_BACKEND=torch python -m tests.adapters.keras_backend_checks`` (from the repository root, with ``src``
on ``PYTHONPATH``). Nothing is imported at module level, so doctest collection stays cheap.
"""

from __future__ import annotations

from typing import Any


def _values(out: dict[str, Any], workdir: str) -> None:
    """Every EXAMPLES schedule through ``lrplan.keras.Schedule`` on int32 step tensors (keras.ops).

    All schedules are evaluated in one function (jitted on the jax backend, eager elsewhere); compiled
    train steps on every backend are covered by ``model.fit`` in :func:`_fit`.
    """
    import keras
    import numpy as np

    import lrplan.keras
    from tests.examples import EXAMPLES, steps_for

    names = list(EXAMPLES)
    wrapped = [lrplan.keras.Schedule(EXAMPLES[name]) for name in names]
    grids = [steps_for(EXAMPLES[name]) for name in names]
    width = max(len(g) for g in grids)
    table = np.stack([np.concatenate([g, np.full(width - len(g), g[-1])]) for g in grids]).astype("int32")

    def evaluate_all(steps: Any) -> Any:
        return keras.ops.stack([w(steps[i]) for i, w in enumerate(wrapped)])

    if keras.backend.backend() == "jax":  # eager jax dispatch compiles every op: one jit is faster
        import jax

        fn, mode = jax.jit(evaluate_all), "jax.jit"
    else:  # the compiled path of tensorflow (tf.function) is covered by model.fit in _fit
        fn, mode = evaluate_all, "eager"
    got = keras.ops.convert_to_numpy(fn(keras.ops.convert_to_tensor(table)))
    out["values_mode"] = mode
    out["values"] = {
        name: {"steps": g.tolist(), "values": got[i, : len(g)].astype("float64").tolist(), "dtype": str(got.dtype)}
        for i, (name, g) in enumerate(zip(names, grids, strict=True))
    }
    big = lrplan.keras.Schedule(lrplan.cosine(init_value=1000.0, decay_steps=10**10))  # a duration past 2**31
    big_steps = keras.ops.convert_to_tensor(np.array([0.0, 5e9, 1e10, 2**34], dtype="float32"))
    out["big_durations"] = keras.ops.convert_to_numpy(big(big_steps)).astype("float64").tolist()
    s = EXAMPLES["warmup_cosine"]
    fast = lrplan.keras.Schedule(s)(30)
    out["python_step"] = {"type": type(fast).__name__, "value": fast, "core": s(30)}


def _fit(out: dict[str, Any], workdir: str) -> None:
    """model.fit with an lrplan schedule; save at step 6, load and resume, against the run that went on."""
    import os

    import keras
    import numpy as np

    import lrplan
    import lrplan.keras

    schedule = lrplan.warmup(lrplan.cosine(init_value=0.1, decay_steps=20, end_value=0.01), steps=4)
    out["schedule"] = lrplan.to_config(schedule)

    class Record(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.steps: list[int] = []
            self.lrs: list[float] = []
            self.deltas: list[float] = []
            self._before = 0.0

        def _kernel(self) -> float:
            return float(keras.ops.convert_to_numpy(self.model.layers[0].kernel)[0, 0])

        def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
            opt = self.model.optimizer
            self.steps.append(int(keras.ops.convert_to_numpy(opt.iterations)))
            self.lrs.append(float(keras.ops.convert_to_numpy(opt.learning_rate)))
            self._before = self._kernel()

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            self.deltas.append(self._kernel() - self._before)

    def build() -> Any:
        model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
        # With x = 1 and y far above the prediction, the MAE gradient of each kernel entry is -1, so one
        # SGD update adds exactly the learning rate it used: the kernel records the rates the compiled
        # train step applied.
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=lrplan.keras.Schedule(schedule)), loss="mae")
        return model

    x = np.ones((24, 2), dtype="float32")
    y = np.full((24, 1), 1000.0, dtype="float32")

    # Uninterrupted: one model fits 6 steps, is saved, and fits 6 more. Resumed: the saved file is
    # loaded (optimizer variables included) and fits the same 6 more steps.
    model, rec_first = build(), Record()
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0, callbacks=[rec_first])
    path = os.path.join(workdir, f"m-{keras.backend.backend()}.keras")
    model.save(path)
    rec_full = Record()
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0, callbacks=[rec_full])
    loaded = keras.models.load_model(path)
    lr = loaded.optimizer._learning_rate
    out["loaded"] = {
        "class": f"{type(lr).__module__}.{type(lr).__qualname__}",
        "same_schedule": isinstance(lr, lrplan.keras.Schedule) and lr.schedule == schedule,
        "iterations": int(keras.ops.convert_to_numpy(loaded.optimizer.iterations)),
    }
    rec_resumed = Record()
    loaded.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0, callbacks=[rec_resumed])
    out["fit"] = {
        "first": {"steps": rec_first.steps, "lrs": rec_first.lrs, "deltas": rec_first.deltas},
        "continued": {"steps": rec_full.steps, "lrs": rec_full.lrs, "deltas": rec_full.deltas},
        "resumed": {"steps": rec_resumed.steps, "lrs": rec_resumed.lrs, "deltas": rec_resumed.deltas},
        "kernel_continued": keras.ops.convert_to_numpy(model.layers[0].kernel).tolist(),
        "kernel_resumed": keras.ops.convert_to_numpy(loaded.layers[0].kernel).tolist(),
    }


def _errors(out: dict[str, Any], workdir: str) -> None:
    """The misuse messages: a plain function, a Keras schedule, a saved schedule nobody registered."""
    import dataclasses

    import keras

    import lrplan
    import lrplan.keras

    errors: dict[str, str] = {}
    for key, bad in (
        ("plain_function", lambda step: 0.1),
        ("keras_schedule", keras.optimizers.schedules.CosineDecay(0.1, 10)),
        ("spec_text", "cosine(init_value=0.1, decay_steps=10)"),
    ):
        try:
            lrplan.keras.Schedule(bad)
        except lrplan.ConfigError as exc:
            errors[key] = str(exc)

    try:  # a bare lrplan schedule: Keras calls a plain callable learning rate without a step
        float(keras.optimizers.SGD(learning_rate=lrplan.constant(0.1)).learning_rate)
    except Exception as exc:
        errors["bare_schedule"] = f"{type(exc).__name__}: {exc}"

    @lrplan.register("mypkg.ramp")
    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Ramp(lrplan.Schedule):
        peak_value: float = lrplan.fields.value()

        def formula(self, s: Any, ops: lrplan.Ops) -> Any:
            return self.peak_value * ops.minimum(s / 10.0, 1.0)

    config = keras.optimizers.serialize(
        keras.optimizers.SGD(learning_rate=lrplan.keras.Schedule(lrplan.warmup(Ramp(peak_value=0.1), steps=3)))
    )
    from lrplan import _registry

    del _registry._REGISTRY["mypkg.ramp"]  # as in a fresh process that never imported mypkg
    try:
        keras.optimizers.deserialize(config)
    except Exception as exc:  # whatever Keras wraps it in, the message must survive
        errors["unknown_schedule"] = f"{type(exc).__name__}: {exc}"
    out["errors"] = errors


def _docs(out: dict[str, Any], workdir: str) -> None:
    """Run the code blocks of docs/keras.md (on the jax backend only: the other backends are covered by _fit)."""
    import contextlib
    import io
    import re
    from pathlib import Path

    import keras

    if keras.backend.backend() != "jax":
        return
    text = (Path(__file__).resolve().parents[2] / "docs" / "keras.md").read_text()
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        for n, block in enumerate(re.findall(r"```python\n(.*?)```", text, re.S)):
            exec(compile(block, f"docs/keras.md block {n}", "exec"), {})
    out["docs_output"] = printed.getvalue().splitlines()


def main() -> None:
    import json
    import sys
    import tempfile
    import time

    t0 = time.perf_counter()
    import keras

    out: dict[str, Any] = {"backend": keras.backend.backend(), "import_s": time.perf_counter() - t0}
    with tempfile.TemporaryDirectory() as workdir:
        for part in (_values, _fit, _errors, _docs):
            t = time.perf_counter()
            part(out, workdir)
            out[f"{part.__name__.strip('_')}_s"] = time.perf_counter() - t
    sys.stdout.write("\n" + json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
