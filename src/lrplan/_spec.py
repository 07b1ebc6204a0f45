"""The spec language: the Python call syntax of the API, parsed safely.

``parse("warmup(cosine(init_value=3e-4, decay_steps=100_000), steps=2_000)")`` builds the same
schedule as the Python call. The text is parsed with :mod:`ast` and only a whitelist of node types is
accepted: calls of registered schedule names (dotted names for user schedules), keyword arguments,
numbers, strings, ``True``/``False``/``None``, lists and tuples, and unary minus or plus on a number.
Nothing is ever executed: no ``eval``, no attribute access, no subscripts, no imports.

The writer, ``str(schedule)``, is :func:`lrplan._base.format_spec`, a pure function of the fields
(re-exported here).
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import math
import warnings
from typing import Any

from ._base import Schedule, format_spec
from ._errors import LrplanError, SpecError, UnknownScheduleError
from ._registry import lookup, suggest
from ._validate import MAX_DEPTH, shown

__all__ = ["parse", "format_spec"]

MAX_SPEC_LENGTH = 100_000


# ---------------------------------------------------------------------------------------- parse
class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        # ast columns are UTF-8 byte offsets; map them to character offsets for the caret
        self._line_starts = [0]
        for i, ch in enumerate(text):
            if ch == "\n":
                self._line_starts.append(i + 1)

    def column(self, node: ast.AST) -> int:
        line = getattr(node, "lineno", 1)
        byte_col = getattr(node, "col_offset", 0)
        start = self._line_starts[min(line, len(self._line_starts)) - 1]
        line_text = self.text[start:].split("\n", 1)[0]
        col = len(line_text.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))
        return start + col

    def error(self, message: str, node: ast.AST | None) -> SpecError:
        return SpecError(message, self.text, None if node is None else self.column(node))

    def name_of(self, node: ast.AST) -> str:
        parts = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            raise self.error("Expected a schedule name such as cosine(...)", node)
        parts.append(node.id)
        return ".".join(reversed(parts))

    def value(self, node: ast.AST, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self.error(f"Spec nested deeper than {MAX_DEPTH} levels", node)
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or node.value is None or isinstance(node.value, (int, float, str)):
                if isinstance(node.value, float) and not math.isfinite(node.value):
                    raise self.error(f"Numbers must be finite, got {node.value!r}", node)
                return node.value
            raise self.error(f"Unsupported literal {type(node.value).__name__}", node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = node.operand
            if isinstance(inner, ast.Constant) and type(inner.value) in (int, float):
                number: int | float = inner.value  # type: ignore[assignment]
                return -number if isinstance(node.op, ast.USub) else number
            raise self.error("A sign may only precede a number", node)
        if isinstance(node, (ast.List, ast.Tuple)):
            return [self.value(item, depth + 1) for item in node.elts]
        if isinstance(node, ast.Call):
            return self.call(node, depth + 1)
        if isinstance(node, (ast.Name, ast.Attribute)):
            raise self.error(
                "Names are not values here; call a schedule with arguments, e.g. constant(value=0.1)", node
            )
        raise self.error(f"Unsupported syntax ({type(node).__name__}) in a spec", node)

    def call(self, node: ast.Call, depth: int) -> Schedule:
        name = self.name_of(node.func)
        try:
            cls = lookup(name)
        except UnknownScheduleError:
            raise self.error(f"Unknown schedule {name!r}.{suggest(name)}", node.func) from None
        init_fields = [f for f in dataclasses.fields(cls) if f.init]
        positional = [f.name for f in init_fields if f.kw_only is False]
        names = {f.name for f in init_fields}
        kwargs: dict[str, Any] = {}
        nodes: dict[str, ast.AST] = {}  # argument -> its value's node, where an error about it points
        if len(node.args) > len(positional):
            extra = node.args[len(positional)]
            allowed = ", ".join(positional) if positional else "none"
            raise self.error(f"{name}() takes keyword arguments (positional: {allowed}); name this argument", extra)
        for field_name, arg in zip(positional, node.args, strict=False):
            if isinstance(arg, ast.Starred):
                raise self.error("Unsupported syntax (Starred) in a spec", arg)
            kwargs[field_name] = self.value(arg, depth)
            nodes[field_name] = arg
        for kw in node.keywords:
            if kw.arg is None:
                raise self.error("Unsupported syntax (**) in a spec", kw.value)
            if kw.arg not in names:
                close = difflib.get_close_matches(kw.arg, sorted(names), n=1)
                hint = f" Did you mean {close[0]!r}?" if close else f" Arguments: {', '.join(sorted(names))}."
                raise self.error(f"{name}() has no argument {kw.arg!r}.{hint}", kw)
            if kw.arg in kwargs:
                raise self.error(f"{name}() got argument {kw.arg!r} twice", kw)
            kwargs[kw.arg] = self.value(kw.value, depth)
            nodes[kw.arg] = kw.value
        missing = [
            f.name
            for f in init_fields
            if f.name not in kwargs and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
        if missing:
            raise self.error(f"{name}() is missing required argument(s): {', '.join(missing)}", node)
        try:
            return cls(**kwargs)
        except LrplanError as exc:
            raise self.error(str(exc), _argument_node(exc, nodes, node)) from None
        except Exception as exc:  # a user schedule's constructor: never let it escape as something else
            raise self.error(f"{name}(): {type(exc).__name__}: {exc}", node) from None


def _argument_node(exc: LrplanError, nodes: dict[str, ast.AST], call: ast.Call) -> ast.AST:
    """The node of the value an error is about (``schedules[1]`` is an item of a list), else the call."""
    argument = getattr(exc, "argument", None) or ""
    name, _, index = argument.partition("[")
    found = nodes.get(name, call)
    items = getattr(found, "elts", None)
    if items is not None and index[:-1].isdigit() and int(index[:-1]) < len(items):
        return items[int(index[:-1])]  # type: ignore[no-any-return]
    return found


def parse(text: str) -> Schedule:
    """Build a schedule from spec text; the inverse of ``str(schedule)``.

    Raises :class:`~lrplan.SpecError` (a ``ValueError``) for anything else, pointing at the column;
    it executes nothing.

    Example:
        >>> import lrplan
        >>> s = lrplan.parse("warmup(cosine(init_value=1e-3, decay_steps=1_000), steps=100)")
        >>> s(0), s(50), s(100)
        (0.0, 0.0005, 0.001)
        >>> lrplan.parse("cosin(init_value=1.0, decay_steps=10)")
        Traceback (most recent call last):
        ...
        lrplan._errors.SpecError: Unknown schedule 'cosin'. Did you mean 'cosine'? (column 1)
          cosin(init_value=1.0, decay_steps=10)
          ^
    """
    if not isinstance(text, str):
        raise SpecError(f"A spec must be a string. Received: {shown(text)}.")
    if len(text) > MAX_SPEC_LENGTH:
        raise SpecError(f"A spec is limited to {MAX_SPEC_LENGTH} characters. Received {len(text)}.")
    parser = _Parser(text)
    stripped = text.strip()
    if not stripped:
        raise SpecError("Empty spec: expected a schedule such as cosine(init_value=1e-3, decay_steps=1000)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. SyntaxWarning for "1e3x": the SpecError below says it
            tree = ast.parse(stripped, mode="eval")
    except SyntaxError as exc:
        offset = (exc.offset or 1) - 1
        lead = len(text) - len(text.lstrip())
        line = (exc.lineno or 1) - 1
        col = (parser._line_starts[line] if line < len(parser._line_starts) else 0) + offset + lead
        raise SpecError(f"Invalid syntax: {exc.msg}", text, min(max(col, 0), len(text))) from None
    except (ValueError, RecursionError, MemoryError, OverflowError) as exc:
        raise SpecError(f"Invalid spec: {type(exc).__name__}: {exc}") from None
    if stripped is not text:
        parser = _Parser(stripped)
    body = tree.body
    if not isinstance(body, ast.Call):
        raise parser.error("A spec must be a schedule call such as cosine(init_value=1e-3, decay_steps=1000)", body)
    try:
        return parser.call(body, 0)
    except RecursionError:
        raise SpecError("Spec nested too deeply") from None
