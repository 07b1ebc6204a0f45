"""Keras glue for Plateau: a callback that reduces on plateau while the optimizer holds an lrplan schedule.

Runs in a subprocess with KERAS_BACKEND=jax (the backend is fixed at import). The model is one weight w
with a loss whose gradient is exactly 1, so each SGD update moves w by exactly the learning rate used:
the test reads the applied rates back from the weights, i.e. from the compiled train step itself.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("keras")
pytest.importorskip("jax")

SCRIPT = textwrap.dedent(
    """
    import json
    import numpy as np, keras
    import lrplan as L
    from lrplan.keras import PlateauCallback, PlateauLearningRate

    seq = [1.0, 0.5, 0.5, 0.5, 0.4, 0.4, 0.4, 0.4]
    p = L.Plateau(L.warmup(L.constant(0.1), steps=3), patience=0, factor=0.5, threshold=0.0, threshold_mode="abs")
    cb = PlateauCallback(p, monitor="val_fake")

    class Inject(keras.callbacks.Callback):  # stands in for a validation metric with a known sequence
        def on_epoch_end(self, epoch, logs=None):
            logs["val_fake"] = seq[epoch]

    class Rec(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.w = []
        def on_train_batch_end(self, batch, logs=None):
            self.w.append(float(self.model.layers[0].kernel.numpy()[0, 0]))

    def build(lr):
        m = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
        m.compile(optimizer=keras.optimizers.SGD(learning_rate=lr), loss=lambda yt, yp: keras.ops.mean(yp))
        return m

    x, y = np.ones((4, 1), "float32"), np.zeros((4, 1), "float32")
    rec = Rec()
    build(cb.learning_rate).fit(x, y, batch_size=2, epochs=len(seq), verbose=0, shuffle=False,
                                callbacks=[Inject(), cb, rec])
    out = {"applied": (-np.diff([0.0] + rec.w)).tolist(), "state": cb.state}

    cfg = json.loads(json.dumps(keras.saving.serialize_keras_object(cb.learning_rate)))
    back = keras.saving.deserialize_keras_object(cfg)
    out["round_trip"] = [back.plateau == p, back.scale == cb.learning_rate.scale]

    errors = []
    try:  # Keras's own callback cannot run here; ours refuses an optimizer that does not hold its schedule
        build(0.1).fit(x, y, epochs=1, verbose=0, callbacks=[PlateauCallback(p)])
    except L.ConfigError as exc:
        errors.append(str(exc))
    try:
        cb2 = PlateauCallback(p, monitor="val_loss")
        build(cb2.learning_rate).fit(x, y, epochs=1, verbose=0, callbacks=[cb2])
    except L.ConfigError as exc:
        errors.append(str(exc))
    out["errors"] = errors
    print("RESULT" + json.dumps(out))
    """
)


def test_plateau_callback_drives_a_schedule_inside_fit():
    env = dict(
        os.environ,
        KERAS_BACKEND="jax",
        TF_CPP_MIN_LOG_LEVEL="3",
        PYTHONPATH=os.pathsep.join(["src", os.environ.get("PYTHONPATH", "")]),
    )
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT"))
    out = json.loads(line[len("RESULT") :])
    # 2 updates per epoch; warmup 0, 1/30, 2/30 then 0.1; metric reports after each epoch:
    # 1.0 best, 0.5 best, 0.5 bad -> x0.5, 0.5 bad -> x0.5, 0.4 best, 0.4 bad -> x0.5, bad -> x0.5, (bad -> x0.5)
    expected = [0.0, 0.1 / 3, 0.2 / 3, 0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.025, 0.025, 0.0125, 0.0125]
    expected += [0.00625, 0.00625]
    assert out["applied"] == pytest.approx(expected, rel=2e-6, abs=1e-6)
    assert out["state"]["reductions"] == 5 and out["state"]["scale"] == 0.03125
    assert out["round_trip"] == [True, True]
    assert "must be built with this callback's schedule" in out["errors"][0]
    assert "'val_loss' is not in the logs of epoch 0" in out["errors"][1]
