"""Keras 3 glue for :class:`~lrplan.Plateau`: a callback plus the learning-rate schedule it drives.

Keras's own ``ReduceLROnPlateau`` assigns ``optimizer.learning_rate``, which raises when the optimizer
holds a ``LearningRateSchedule`` (tensorflow/tensorflow#36612), so warmup and plateau cannot be
combined. Here the optimizer holds :class:`PlateauLearningRate`, which evaluates the whole base
schedule in-graph at ``optimizer.iterations`` and multiplies it by the plateau scale;
:class:`PlateauCallback` reports the monitored metric at the end of each epoch and updates the scale.

The scale is a Python number read when the train step is traced. When a report changes it (a
reduction: a handful of times per run) the callback asks Keras to rebuild the train function, so the
next epoch runs with the new scale on every backend (JAX, TensorFlow, PyTorch); epochs without a
reduction cost nothing.
"""

from __future__ import annotations

from typing import Any

try:
    import keras
except ImportError as exc:  # pragma: no cover - exercised without keras
    raise ImportError("lrplan's Keras glue needs Keras 3: pip install 'lrplan[keras]'") from exc

from ._errors import ConfigError
from ._ops import keras_ops
from ._plateau import Plateau

__all__ = ["PlateauLearningRate", "PlateauCallback"]


@keras.saving.register_keras_serializable(package="lrplan")
class PlateauLearningRate(keras.optimizers.schedules.LearningRateSchedule):  # type: ignore[misc]
    """``plateau.value(step, state)`` as a Keras schedule, with the state's ``scale`` held in ``self.scale``.

    Evaluated with ``keras.ops`` at ``optimizer.iterations`` (the k-th update uses step k), so it runs
    inside compiled train steps on every backend. Serializable (``get_config``/``from_config``).
    """

    def __init__(self, plateau: Plateau, scale: float = 1.0) -> None:
        super().__init__()
        if isinstance(plateau, dict):
            plateau = Plateau.from_config(plateau)
        if not isinstance(plateau, Plateau):
            raise ConfigError(
                f"PlateauLearningRate: `plateau` must be an lrplan Plateau. Received: plateau={plateau!r}."
            )
        self.plateau = plateau
        self.scale = float(scale)

    def __call__(self, step: Any) -> Any:
        return self.plateau.evaluate(step, self.scale, keras_ops())

    def get_config(self) -> dict[str, Any]:
        return {"plateau": self.plateau.to_config(), "scale": self.scale}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> PlateauLearningRate:
        return cls(Plateau.from_config(config["plateau"]), config.get("scale", 1.0))


class PlateauCallback(keras.callbacks.Callback):  # type: ignore[misc]
    """Reduce on plateau for ``model.fit``, composable with any lrplan schedule (warmup, cosine, ...).

    Build the optimizer with this callback's :attr:`learning_rate`::

        cb = PlateauCallback(lrplan.Plateau(lrplan.warmup(lrplan.constant(1e-3), steps=500), patience=3))
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=cb.learning_rate), loss=...)
        model.fit(..., validation_data=..., callbacks=[cb])

    At the end of each epoch ``logs[monitor]`` is reported to the plateau (``state =
    plateau.update(state, metric)``); a missing metric raises, naming the available ones. The whole
    state is :attr:`state` (a JSON-safe dict): save it with your checkpoint and pass it back as
    ``state=`` (or call :meth:`load_state`) to resume.

    Args:
        plateau: the :class:`~lrplan.Plateau` (its ``mode`` says whether lower or higher is better).
        monitor: the key of ``logs`` to report, e.g. ``"val_loss"`` or ``"val_accuracy"``.
        state: a state to resume from (default: ``plateau.initial_state()``).
    """

    def __init__(self, plateau: Plateau, monitor: str = "val_loss", state: dict[str, Any] | None = None) -> None:
        super().__init__()
        if not isinstance(plateau, Plateau):
            raise ConfigError(f"PlateauCallback: `plateau` must be an lrplan Plateau. Received: plateau={plateau!r}.")
        if not isinstance(monitor, str) or not monitor:
            raise ConfigError(f"PlateauCallback: `monitor` must be a metric name. Received: monitor={monitor!r}.")
        self.plateau = plateau
        self.monitor = monitor
        self.learning_rate = PlateauLearningRate(plateau)
        self.state: dict[str, Any] = plateau.initial_state()
        if state is not None:
            self.load_state(state)

    def load_state(self, state: dict[str, Any]) -> None:
        """Adopt a saved plateau state (checked like :meth:`Plateau.update` checks it)."""
        self.plateau.value(0, state)  # validates the dict
        self.state = dict(state)
        self.learning_rate.scale = float(state["scale"])

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        optimizer = getattr(self.model, "optimizer", None)
        held = getattr(optimizer, "_learning_rate", None)
        if held is not self.learning_rate:
            raise ConfigError(
                "PlateauCallback: the model's optimizer must be built with this callback's schedule, "
                "e.g. keras.optimizers.Adam(learning_rate=callback.learning_rate). "
                f"Received an optimizer whose learning rate is {held!r}."
            )

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        logs = logs if logs is not None else {}
        if self.monitor not in logs:
            raise ConfigError(
                f"PlateauCallback: the metric {self.monitor!r} is not in the logs of epoch {epoch}; "
                f"available: {sorted(logs)}. (val_* metrics need validation_data.)"
            )
        self.state = self.plateau.update(self.state, logs[self.monitor])
        scale = float(self.state["scale"])
        if scale != self.learning_rate.scale:
            self.learning_rate.scale = scale
            make = getattr(self.model, "make_train_function", None)
            if make is not None:
                make(force=True)  # retrace the train step so it reads the new scale
        logs["plateau_scale"] = scale
