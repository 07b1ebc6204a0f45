"""The quick path for ``lrplan show SCHEDULE`` and ``lrplan sample SCHEDULE``: no typer, no rich.

typer builds its application (and, from typer 0.2x, a pydantic validator for every option) before it
parses a command line, which costs more than drawing the chart. For the two commands run most, this
small parser reads their few options and calls the same implementation (``_commands``). Anything it
does not recognise (help, an unknown or malformed option, a value that looks like an option, a
missing or extra argument, a shell-completion request) goes to typer, which answers exactly as
always. A test checks that the options here are the typer commands' options.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from . import _commands

__all__ = ["OPTIONS", "FLAGS", "quick_command"]

OPTIONS: dict[str, dict[str, str]] = {
    "show": {"--steps": "steps", "-n": "steps", "--log": "log", "--height": "height"},
    "sample": {
        "--steps": "steps",
        "-n": "steps",
        "--format": "kind",
        "-f": "kind",
        "--output": "output",
        "-o": "output",
    },
}
"""For each quick command: every option name and the parameter it sets."""
FLAGS = frozenset({"log"})
"""The parameters set by an option without a value."""
_DEFAULTS: dict[str, dict[str, Any]] = {
    "show": {"steps": None, "log": False, "height": 8},
    "sample": {"steps": None, "kind": "csv", "output": None},
}


def quick_command(args: Sequence[str]) -> Callable[[], int] | None:
    """The command ``args`` asks for, ready to run, when this parser can read it for sure; else ``None``.

    Example:
        >>> quick_command(["show", "constant(0.1)", "--steps", "10"]) is not None
        True
        >>> quick_command(["show", "constant(0.1)", "--help"]) is None  # typer writes the help
        True
    """
    if not args or args[0] not in OPTIONS or "_LRPLAN_COMPLETE" in os.environ:
        return None
    name, options = args[0], OPTIONS[args[0]]
    values = dict(_DEFAULTS[name])
    positional: list[str] = []
    i = 1
    while i < len(args):
        token = args[i]
        if token.startswith("-") and token != "-":
            key, eq, value = token.partition("=")
            dest = options.get(key)
            if dest is None:
                return None
            if dest in FLAGS:
                if eq:
                    return None
                values[dest] = True
            else:
                if not eq:
                    i += 1
                    if i >= len(args) or (args[i].startswith("-") and args[i] != "-"):
                        return None
                    value = args[i]
                values[dest] = value
        else:
            positional.append(token)
        i += 1
    if len(positional) != 1:
        return None
    schedule = positional[0]
    if name == "show":
        height = values["height"]
        if isinstance(height, str):
            if not height.strip().isdigit() or not 2 <= int(height) <= 60:
                return None  # typer's message for a bad --height
            height = int(height)
        return lambda: _commands.show(schedule, values["steps"], bool(values["log"]), height)
    return lambda: _commands.sample(schedule, values["steps"], values["kind"], values["output"])
