"""Terminal output: the rich consoles the commands print to (rich is imported when a command prints)."""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["console", "error"]


def console(stderr: bool = False) -> Any:
    """A rich console on stdout (or stderr) that never wraps or highlights by itself."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def error(message: str) -> None:
    """``Error: message`` on stderr."""
    sys.stderr.write(f"Error: {message}\n")
    sys.stderr.flush()
