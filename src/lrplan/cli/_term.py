"""Terminal output: plain text with optional colour, tables that fit the width, error lines, a closed pipe.

The commands print through :class:`Terminal`, which needs nothing beyond the standard library, so
``lrplan show`` and ``lrplan sample`` start without loading rich (rich draws only the progress bar of
long evaluations). Colour follows the usual conventions: ``NO_COLOR`` turns it off, ``FORCE_COLOR``
on, and otherwise it is used on a terminal only. Text is wrapped at the terminal's width (``COLUMNS``
where set) at word boundaries.

A reader that goes away (``lrplan sample ... | head``) ends the command quietly with the shell's
status for a closed pipe, 141 (128 + SIGPIPE).
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TextIO

from .. import LrplanError
from ._errors import CliError

__all__ = [
    "PIPE_CLOSED",
    "PipeClosed",
    "PipeGuard",
    "Column",
    "Terminal",
    "error",
    "silence_stdout",
    "guarded",
]

PIPE_CLOSED = 141
"""The exit status when the reader of stdout went away: 128 + SIGPIPE, as a shell reports it."""

MAX_ERROR_LINES = 6
MAX_ERROR_WIDTH = 500
_STYLES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "cyan": "36"}


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


def _wants_color(stream: Any) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Column(NamedTuple):
    """A table column: its header, ``"left"`` or ``"right"`` alignment, a style, and whether it may wrap."""

    header: str = ""
    justify: str = "left"
    style: str = ""
    wrap: bool = False


class Terminal:
    """Where a command prints: a text stream, its width in characters, and whether it shows colour.

    Example:
        >>> import io
        >>> term = Terminal(io.StringIO(), width=40, color=False)
        >>> term.table([("start", "0", "1"), ("end", "119", "0")], [Column(), Column("step", "right"), Column("lr", "right")])
        >>> print(term.stream.getvalue(), end="")
               step  lr
        start     0   1
        end     119   0
    """

    def __init__(self, stream: TextIO | None = None, *, width: int | None = None, color: bool | None = None) -> None:
        self.stream: Any = sys.stdout if stream is None else stream
        self.width = max(20, width if width is not None else shutil.get_terminal_size((100, 24)).columns)
        self.color = _wants_color(self.stream) if color is None else color

    def style(self, text: str, style: str = "") -> str:
        """``text`` in ``style`` (space-separated names: bold, dim, red, green, cyan) when colour is on."""
        if not style or not self.color or not text:
            return text
        return f"\x1b[{';'.join(_STYLES[s] for s in style.split())}m{text}\x1b[0m"

    def print(self, text: str = "", style: str = "") -> None:
        """One line (or several, for text with newlines) in ``style``."""
        self.stream.write(self.style(text, style) + "\n")

    def wrap(self, text: str, indent: str = "", hanging: str | None = None) -> str:
        """A paragraph wrapped at the width, at word boundaries (a word longer than a line stays whole)."""
        lines = textwrap.wrap(
            " ".join(text.split()),
            width=self.width,
            initial_indent=indent,
            subsequent_indent=indent if hanging is None else hanging,
            break_long_words=False,
            break_on_hyphens=False,
        )
        return "\n".join(lines)

    def table(self, rows: Sequence[Sequence[str]], columns: Sequence[Column]) -> None:
        """Rows under a header row (when any header is set), two spaces between columns.

        A column with ``wrap=True`` takes the width left by the others and wraps its cells at word
        boundaries over several lines.
        """
        cells = [[str(c) for c in row] for row in rows]
        header = any(col.header for col in columns)
        everything = ([[col.header for col in columns]] if header else []) + cells
        widths = [max((len(r[i]) for r in everything), default=0) for i in range(len(columns))]
        for i, col in enumerate(columns):
            if col.wrap:
                room = self.width - sum(w for j, w in enumerate(widths) if j != i) - 2 * (len(columns) - 1)
                widths[i] = max(min(widths[i], room), 20)
        if header:
            self._row([col.header for col in columns], columns, widths, "bold")
        for row in cells:
            self._row(row, columns, widths, "")

    def _row(self, row: Sequence[str], columns: Sequence[Column], widths: list[int], style: str) -> None:
        parts: list[list[str]] = []
        for text, col, width in zip(row, columns, widths, strict=True):
            if col.wrap and len(text) > width:
                parts.append(textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""])
            else:
                parts.append([text])
        for k in range(max(len(p) for p in parts)):
            out = []
            for p, col, width in zip(parts, columns, widths, strict=True):
                text = p[k] if k < len(p) else ""
                padded = text.rjust(width) if col.justify == "right" else text.ljust(width)
                out.append(self.style(padded, style or col.style) if text else padded)
            self.stream.write("  ".join(out).rstrip() + "\n")


def error(message: str) -> None:
    """``Error: message`` on stderr, at most a few lines of bounded width whatever the message holds."""
    lines = str(message).split("\n")
    if len(lines) > MAX_ERROR_LINES:
        lines = [*lines[: MAX_ERROR_LINES - 1], "..."]
    shown = "\n".join(line if len(line) <= MAX_ERROR_WIDTH else line[: MAX_ERROR_WIDTH - 1] + "…" for line in lines)
    sys.stderr.write(f"Error: {shown}\n")
    sys.stderr.flush()


def guarded(command: Callable[[], int]) -> int:
    """Run ``command`` with stdout guarded; map every error to one line on stderr and an exit status.

    Bad input (:class:`~lrplan.LrplanError`) is 2, a closed pipe 141, input beyond what floats can
    compute 2; never a traceback.
    """
    stdout = sys.stdout
    sys.stdout = PipeGuard(stdout)  # type: ignore[assignment]
    try:
        return command()
    except CliError as exc:
        error(str(exc))
        return exc.code
    except LrplanError as exc:
        error(str(exc))
        return 2
    except (PipeClosed, BrokenPipeError):
        silence_stdout()
        return PIPE_CLOSED
    except OSError as exc:
        error(f"{exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}.")
        return 2
    except (ArithmeticError, RecursionError, MemoryError) as exc:  # input beyond what can be computed
        error(f"the input is too large to handle ({type(exc).__name__}: {exc}).")
        return 2
    finally:
        sys.stdout = stdout
