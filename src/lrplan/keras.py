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
"""

from __future__ import annotations

from typing import Any

from ._base import Schedule as _Schedule
from ._errors import ConfigError, UnknownScheduleError
from ._ops import keras_ops, torch_ops
from ._registry import registered
from ._serialize import from_config as _from_config
from ._serialize import to_config as _to_config

try:
    import keras
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError("lrplan.keras needs Keras 3: pip install 'lrplan[keras]'") from exc

from ._plateau_keras import PlateauCallback as PlateauCallback
from ._plateau_keras import PlateauLearningRate as PlateauLearningRate

__all__ = ["Schedule", "PlateauCallback", "PlateauLearningRate"]


def _names(config: Any) -> list[str]:
    """Every schedule name in a config tree, outermost first."""
    out: list[str] = []
    if isinstance(config, dict):
        if isinstance(config.get("name"), str):
            out.append(config["name"])
        for value in config.values():
            out.extend(_names(value))
    elif isinstance(config, list):
        for value in config:
            out.extend(_names(value))
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
