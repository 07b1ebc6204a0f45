"""Terminal output: the consoles the commands print to, error lines, and a closed pipe.

rich is imported when a command prints. A reader that goes away (``lrplan sample ... | head``) ends
the command quietly with the shell's status for a closed pipe, 141 (128 + SIGPIPE).
"""

from __future__ import annotations

import os
import sys
from typing import Any

__all__ = ["PIPE_CLOSED", "PipeClosed", "PipeGuard", "console", "error", "silence_stdout"]

PIPE_CLOSED = 141
"""The exit status when the reader of stdout went away: 128 + SIGPIPE, as a shell reports it."""

MAX_ERROR_LINES = 6
MAX_ERROR_WIDTH = 500


class PipeClosed(Exception):
    """The reader of stdout went away. Not an ``OSError``, so click cannot turn it into exit status 1."""


class PipeGuard:
    """``sys.stdout`` for the duration of a command: a broken pipe becomes :class:`PipeClosed`."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except BrokenPipeError:
            raise PipeClosed from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise PipeClosed from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so flushing at exit cannot fail again on the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.__stdout__.fileno() if sys.__stdout__ is not None else 1)
    except (OSError, ValueError):  # pragma: no cover - stdout without a descriptor
        pass
    finally:
        os.close(devnull)


def console(stderr: bool = False) -> Any:
    """A rich console on stdout (or stderr) that never wraps or highlights by itself."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def error(message: str) -> None:
    """``Error: message`` on stderr, at most a few lines of bounded width whatever the message holds."""
    lines = str(message).split("\n")
    if len(lines) > MAX_ERROR_LINES:
        lines = [*lines[: MAX_ERROR_LINES - 1], "..."]
    shown = "\n".join(line if len(line) <= MAX_ERROR_WIDTH else line[: MAX_ERROR_WIDTH - 1] + "…" for line in lines)
    sys.stderr.write(f"Error: {shown}\n")
    sys.stderr.flush()
