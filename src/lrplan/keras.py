"""Keras 3 adapter: any lrplan schedule as a ``keras.optimizers.schedules.LearningRateSchedule``.

:class:`Schedule` wraps a schedule for a Keras optimizer. It is evaluated with ``keras.ops``, so the
same object runs on the jax, torch and tensorflow backends and inside compiled train steps; its
config is the lrplan config, and it is registered with Keras (``"lrplan>Schedule"``), so a model
saved with ``model.save("m.keras")`` loads back with ``keras.models.load_model`` once
``lrplan.keras`` has been imported: no ``custom_objects`` argument is needed. TensorFlow users reach
lrplan through Keras 3 (``tf.keras`` is Keras 3 from TensorFlow 2.16 on).

**Step convention.** Keras calls the schedule with the optimizer's iteration count, the number of
updates applied so far (micro-steps when ``gradient_accumulation_steps`` is set), so the k-th update
uses ``schedule(k)`` exactly as in the core. The step is saved with the optimizer's variables, so a
loaded model resumes the schedule where it stopped.

**Wrap every schedule.** An lrplan schedule is callable, so a Keras optimizer accepts a bare one, but
Keras calls a plain callable learning rate without the step, and the first update fails. Pass
``lrplan.keras.Schedule(schedule)`` (or :class:`PlateauCallback`'s ``learning_rate``) instead.

**Reduce on plateau.** :class:`PlateauCallback` and the schedule it drives, :class:`PlateauLearningRate`.
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

from collections import deque
from typing import Any

try:
    import keras
except (ImportError, ValueError) as _exc:  # exercised in subprocesses by tests/adapters/test_import_guards.py
    _missing = getattr(_exc, "name", None)
    if isinstance(_exc, ImportError) and _missing in (None, "keras"):
        raise ImportError("lrplan.keras needs Keras 3: pip install 'lrplan[keras]'") from _exc
    if _missing in ("jax", "torch", "tensorflow"):  # Keras imports its backend when it is imported
        raise ImportError(
            f"lrplan.keras: Keras is installed but its backend is not ({_exc}). Install it (pip install {_missing}), "
            "or choose an installed backend with KERAS_BACKEND=jax, torch or tensorflow."
        ) from _exc
    raise ImportError(
        f"lrplan.keras: Keras is installed but cannot be imported ({_exc}). Its backend is chosen with "
        "KERAS_BACKEND (jax, torch or tensorflow) and must be installed."
    ) from _exc

from . import ConfigError, Plateau, UnknownScheduleError, registered
from . import Schedule as _Schedule
from . import from_config as _from_config
from . import to_config as _to_config
from ._ops import keras_ops, torch_ops

__all__ = ["Schedule", "PlateauCallback", "PlateauLearningRate"]


def _names(config: Any) -> list[str]:
    """Every schedule name in a config tree, outermost first (iteratively: a config may nest deeply)."""
    out: list[str] = []
    todo = deque([config])
    while todo:
        node = todo.popleft()
        if isinstance(node, dict):
            if isinstance(node.get("name"), str):
                out.append(node["name"])
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)
    return out


def _describe(obj: Any) -> str:
    text = repr(obj)
    return text if len(text) <= 120 else text[:117] + "..."


@keras.saving.register_keras_serializable(package="lrplan")
class Schedule(keras.optimizers.schedules.LearningRateSchedule):  # type: ignore[misc]
    r"""An lrplan schedule as a Keras ``LearningRateSchedule``: ``lr = schedule(optimizer.iterations)``.

    Calling it with a Python int or float takes the core's pure-Python path and returns a Python
    float; any tensor or variable (of any backend, traced or not) is evaluated with ``keras.ops``
    (with the core's torch operations on the torch backend, which are faster eagerly) and returns a
    tensor of the same shape in ``keras.config.floatx()``.

    Args:
        schedule: an :class:`lrplan.Schedule` (build one with the lrplan constructors or
            :func:`lrplan.parse`).

    Raises:
        ConfigError: ``schedule`` is not an lrplan schedule (a plain function, a Keras schedule, ...).

    Example:
        >>> import keras, lrplan, lrplan.keras
        >>> s = lrplan.warmup(lrplan.cosine(init_value=1e-3, decay_steps=90), steps=10)
        >>> lr = lrplan.keras.Schedule(s)
        >>> lr(0), lr(10), lr(100)
        (0.0, 0.001, 0.0)
        >>> round(float(lr(keras.ops.convert_to_tensor(55))), 6)  # a float32 tensor on any backend
        0.0005
        >>> optimizer = keras.optimizers.AdamW(learning_rate=lr)
        >>> lr.get_config()["name"]
        'warmup'
        >>> restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
        >>> restored.get_config()["learning_rate"]["config"] == lr.get_config()
        True
    """

    def __init__(self, schedule: _Schedule) -> None:
        if not isinstance(schedule, _Schedule):
            hint = ""
            if isinstance(schedule, keras.optimizers.schedules.LearningRateSchedule):
                hint = " It is already a Keras schedule: pass it to the optimizer directly."
            elif callable(schedule):
                hint = (
                    " A plain function has no config to save; build the schedule from lrplan's"
                    " constructors (or lrplan.parse), or subclass lrplan.Schedule and register it."
                )
            raise ConfigError(
                "lrplan.keras.Schedule: `schedule` must be an lrplan Schedule."
                f" Received: schedule={_describe(schedule)}.{hint}"
            )
        self.schedule = schedule

    def __call__(self, step: Any) -> Any:
        kind = type(step)
        if kind is int or kind is float:
            return self.schedule(step)
        if keras.backend.backend() == "torch":
            # The core's torch ops: the same formula without keras.ops' per-op conversions (the torch
            # backend runs train steps eagerly, so this is paid on every update).
            value = self.schedule.evaluate(keras.ops.convert_to_tensor(step), torch_ops())
            return keras.ops.cast(value, keras.config.floatx())
        return self.schedule.evaluate(step, keras_ops())

    def get_config(self) -> dict[str, Any]:
        """The lrplan config of the wrapped schedule (``lrplan.to_config``): JSON-safe."""
        return _to_config(self.schedule)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Schedule:
        """Rebuild from :meth:`get_config`'s dict; an unregistered schedule name says what to import."""
        try:
            return cls(_from_config(config))
        except UnknownScheduleError as exc:
            names = [n for n in _names(config) if n not in registered()]
            dotted = [n for n in names if "." in n]
            if not dotted:
                raise
            name = dotted[0]
            raise UnknownScheduleError(
                f"lrplan.keras.Schedule: the saved schedule uses {name!r}, which is not registered."
                f" Import the package that registers it (for example `import {name.split('.')[0]}`)"
                " before loading the model."
            ) from exc

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schedule) and other.schedule == self.schedule

    def __hash__(self) -> int:
        return hash(self.schedule)

    def __repr__(self) -> str:
        return f"lrplan.keras.Schedule({self.schedule})"


# ---------------------------------------------------------------------------------------------- plateau
@keras.saving.register_keras_serializable(package="lrplan")
class PlateauLearningRate(keras.optimizers.schedules.LearningRateSchedule):  # type: ignore[misc]
    """``plateau.value(step, state)`` as a Keras schedule, with the state's ``scale`` held in ``self.scale``.

    Evaluated with ``keras.ops`` at ``optimizer.iterations`` (the k-th update uses step k), so it runs
    inside compiled train steps on every backend. Serializable (``get_config``/``from_config``).

    Example:
        >>> import lrplan, lrplan.keras
        >>> lr = lrplan.keras.PlateauLearningRate(lrplan.Plateau(lrplan.constant(0.1), factor=0.5), scale=0.5)
        >>> round(float(lr(3)), 6)
        0.05
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

    Example:
        >>> import lrplan, lrplan.keras
        >>> cb = lrplan.keras.PlateauCallback(lrplan.Plateau(lrplan.constant(0.1), patience=0, factor=0.5))
        >>> cb.on_epoch_end(0, {"val_loss": 1.0})
        >>> cb.on_epoch_end(1, {"val_loss": 1.2})   # worse: the scale halves
        >>> cb.state["scale"], round(float(cb.learning_rate(10)), 6)
        (0.5, 0.05)
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
