"""The command's own error: bad command-line input, with the exit status it asks for."""

from __future__ import annotations

from .. import LrplanError

__all__ = ["CliError"]


class CliError(LrplanError, ValueError):
    """Bad command-line input; ``code`` is the exit status (2 unless said otherwise)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code
