"""Griffe extension for the docs site: docstrings' reST math and roles become Markdown the site renders.

The docstrings are written for ``help()``, doctest and the terminal (``lrplan explain``): formulas are
``.. math::`` blocks and ``:math:`...``` roles, cross references ``:class:`~lrplan.Schedule```. For the site,
math becomes ``$$...$$`` / ``$...$`` (rendered by MathJax through ``pymdownx.arithmatex``) and a role becomes
inline code of its last component.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import griffe

_ROLE = re.compile(r":(?:class|func|meth|mod|data|attr|exc|obj):`~?([^`]+)`")
_MATH_ROLE = re.compile(r":math:`([^`]+)`")
_EXAMPLE = re.compile(r"^(\s*)Example:\s*$", flags=re.M)


def _math_blocks(text: str) -> str:
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if stripped.startswith(".. math::"):
            indent = line[: len(line) - len(stripped)]
            inline = stripped[len(".. math::") :].strip()
            body: list[str] = [inline] if inline else []
            i += 1
            while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > len(indent)):
                body.append(lines[i])
                i += 1
            formula = textwrap.dedent("\n".join(body)).strip("\n")
            out += ["", f"{indent}$$", *(f"{indent}{row}" for row in formula.splitlines()), f"{indent}$$", ""]
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def to_markdown(text: str) -> str:
    """Convert the reST math and roles of a docstring to Markdown.

    >>> to_markdown("Rate :math:`\\\\eta_0`, see :class:`~lrplan.Schedule`.")
    'Rate $\\\\eta_0$, see `Schedule`.'
    """
    text = _EXAMPLE.sub(r"\1Examples:", _math_blocks(text))  # griffe's Google style reads "Examples:" as code
    text = _MATH_ROLE.sub(lambda m: f"${m.group(1)}$", text)
    return _ROLE.sub(lambda m: f"`{m.group(1).rsplit('.', 1)[-1]}`", text)


class MathExtension(griffe.Extension):
    """Rewrite every docstring with :func:`to_markdown` when griffe loads it."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = to_markdown(obj.docstring.value)
