"""The exceptions lrplan raises. Every one is a subclass of :class:`LrplanError`."""

from __future__ import annotations

__all__ = ["LrplanError", "ConfigError", "SpecError", "UnknownScheduleError", "StepError"]


class LrplanError(Exception):
    """Base class of every error raised by lrplan.

    Every lrplan error about a value is also a :class:`ValueError` (unknown names are a :class:`KeyError`
    too), so ``except ValueError`` keeps working; ``except lrplan.LrplanError`` catches them all.

    Example:
        >>> import lrplan
        >>> try:
        ...     lrplan.parse("cosine(init_value=1.0)")
        ... except lrplan.LrplanError as err:
        ...     print(type(err).__name__, isinstance(err, ValueError))
        SpecError True
    """


class ConfigError(LrplanError, ValueError):
    """A schedule was given an invalid argument.

    Raised at construction time. The message names the schedule, the argument and the value received,
    e.g. ``cosine: `decay_steps` must be > 0. Received: decay_steps=0.``

    Example:
        >>> import lrplan
        >>> try:
        ...     lrplan.linear(init_value=1.0, end_value=0.0, decay_steps=0)
        ... except ValueError as err:
        ...     print(err)
        linear: `decay_steps` must be > 0. Received: decay_steps=0.
    """

    argument: str | None = None
    """The argument the error is about, where one is (the spec parser points its caret at its value)."""


class StepError(LrplanError, ValueError):
    """A Python step that no schedule can be evaluated at (NaN, infinite, or not a number).

    Example:
        >>> import lrplan
        >>> try:
        ...     lrplan.constant(0.1)(float("nan"))
        ... except lrplan.StepError as err:
        ...     print(err)
        constant: a step must not be NaN. Received: step=nan.
    """


class SpecError(LrplanError, ValueError):
    """Spec text that cannot be parsed into a schedule.

    ``column`` is the 0-based offset of the offending text, ``text`` the whole spec; ``str(error)``
    shows the text with a caret under the column, like a compiler.

    Example:
        >>> import lrplan
        >>> try:
        ...     lrplan.parse("cosin(init_value=1.0, decay_steps=10)")
        ... except lrplan.SpecError as err:
        ...     print(err)
        Unknown schedule 'cosin'. Did you mean 'cosine'? (column 1)
          cosin(init_value=1.0, decay_steps=10)
          ^
    """

    def __init__(self, message: str, text: str = "", column: int | None = None) -> None:
        self.message = message
        self.text = text
        self.column = column
        super().__init__(self._render())

    def _render(self) -> str:
        if self.column is None or not self.text or "\n" in self.text or len(self.text) > 240:
            where = "" if self.column is None else f" (column {self.column + 1})"
            return f"{self.message}{where}"
        return f"{self.message} (column {self.column + 1})\n  {self.text}\n  {' ' * self.column}^"


class UnknownScheduleError(LrplanError, KeyError, ValueError):
    """A schedule name that is not registered. The message suggests close matches.

    A :class:`ValueError`, like every lrplan error about a value, and a :class:`KeyError` as before.

    Example:
        >>> import lrplan
        >>> try:
        ...     lrplan.from_config({"name": "cosin", "args": {"init_value": 1.0, "decay_steps": 10}})
        ... except lrplan.UnknownScheduleError as err:
        ...     print(err)
        Unknown schedule 'cosin'. Did you mean 'cosine'?
    """

    def __str__(self) -> str:  # KeyError would show the repr of the message
        return str(self.args[0]) if self.args else ""
