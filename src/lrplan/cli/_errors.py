"""The command's own error: bad command-line input, with the exit status it asks for."""

from __future__ import annotations

from .. import LrplanError

__all__ = ["CliError", "clip"]


class CliError(LrplanError, ValueError):
    """Bad command-line input; ``code`` is the exit status (2 unless said otherwise)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def clip(text: str, width: int = 120) -> str:
    """``text`` cut to ``width`` characters with an ellipsis, so user input never makes a huge message.

    Example:
        >>> clip("0123456789", 6)
        '01234…'
    """
    text = str(text)
    return text if len(text) <= width else text[: width - 1] + "…"
