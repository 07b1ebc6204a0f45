"""Docstrings as terminal text, for ``lrplan list`` and ``lrplan explain``."""

from __future__ import annotations

import dataclasses
import inspect
import re
from typing import Any

__all__ = ["plain", "summary_line", "sections", "arg_docs", "indent", "is_combinator"]

_SECTION = re.compile(r"^(Args|Arguments|Returns|Raises|Example|Examples|References|Notes?|See Also):\s*$")


def plain(text: str) -> str:
    """Docstring text without reST roles and literal quotes: ``:math:`W` (>= 0)`` -> ``W (>= 0)``.

    Example:
        >>> plain("``steps`` of :func:`warmup`")
        'steps of warmup'
    """
    return re.sub(r":\w+:`([^`]*)`", r"\1", text).replace("``", "")


def summary_line(obj: Any) -> str:
    """The first line of ``obj``'s docstring, as plain text."""
    doc = inspect.getdoc(obj) or ""
    return plain(doc.strip().split("\n", 1)[0])


def sections(doc: str) -> tuple[str, dict[str, str]]:
    """``(head, {"Args": text, "Example": text, ...})`` of a Google-style docstring."""
    head: list[str] = []
    found: dict[str, list[str]] = {}
    current: list[str] = head
    for line in doc.split("\n"):
        m = _SECTION.match(line)
        if m:
            current = found.setdefault(m.group(1), [])
        else:
            current.append(line)
    return "\n".join(head).strip(), {k: inspect.cleandoc("\n".join(v)) for k, v in found.items()}


def arg_docs(text: str) -> dict[str, str]:
    """``{argument: its description}`` from the text of an ``Args:`` section."""
    out: dict[str, str] = {}
    name = None
    for line in text.split("\n"):
        m = re.match(r"^(\w+)(?: \([^)]*\))?:\s*(.*)$", line)
        if m:
            name = m.group(1)
            out[name] = m.group(2)
        elif name and line.strip():
            out[name] += " " + line.strip()
    return out


def indent(text: str) -> str:
    """Every non-empty line indented by two spaces."""
    return "\n".join("  " + line if line else line for line in text.split("\n"))


def is_combinator(cls: type) -> bool:
    """Whether a schedule class takes other schedules as arguments."""
    return any("Schedule" in str(f.type) for f in dataclasses.fields(cls) if f.init)
