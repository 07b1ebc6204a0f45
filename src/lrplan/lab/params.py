"""Search parameters: the ``search:`` section of a study file, and ``{expr}`` substitution in schedule specs.

This module sits below :mod:`lrplan.lab.study` (which validates a whole study with it) and knows no
search engine; :mod:`lrplan.lab.space` builds the trials of a search on top of both.

A parameter is a range ``{low, high}`` (``log: true`` for a log scale, ``int: true`` for integers),
a grid ``{low, high, num}`` (``num`` values, log-spaced with ``log: true``, each rounded to 6
significant digits) or a list ``{values: [...]}`` (numbers or short strings).

Inside a schedule spec, ``{expr}`` is an arithmetic expression (numbers, ``+ - * / //``,
parentheses) of ``steps`` and of search parameters. An expression that mentions ``steps`` (or no name
at all) is rounded to an integer; one of search parameters only is substituted exactly (``repr`` of the float, an integer as an
integer), and a bare ``{name}`` whose value is a string becomes the quoted literal ``'value'``.

Example:
    >>> substitute("wsd(peak_value=1.0, warmup_steps={warmup*steps}, stable_steps={steps*(1-cooldown)}, "
    ...            "decay_steps={steps*cooldown}, end_value={floor}, decay_shape={shape})",
    ...            1000, {"warmup": 0.02, "cooldown": 0.25, "floor": 0.1, "shape": "linear"})
    "wsd(peak_value=1.0, warmup_steps=20, stable_steps=750, decay_steps=250, end_value=0.1, decay_shape='linear')"
    >>> sorted(names_in("cosine(init_value=1.0, decay_steps={steps}, end_value={floor*2})"))
    ['floor', 'steps']
    >>> grid_values(1e-3, 1e-1, 5, log=True)
    [0.001, 0.00316228, 0.01, 0.0316228, 0.1]
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .checks import Bound, is_int, is_number, short
from .errors import LabError

__all__ = [
    "Param",
    "SearchConfig",
    "SAMPLERS",
    "PRUNERS",
    "SPECIAL",
    "substitute",
    "names_in",
    "grid_values",
    "parse_param",
    "parse_search_head",
]

SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("none", "median", "asha", "hyperband")
SPECIAL = ("lr", "schedule", "optimizer")
"""Parameter names with a fixed meaning: the peak LR, the schedule family and the optimizer (labels of the
study's schedules and optimizers). ``opt.<option>`` names an optimizer option; every other name is a
schedule-shape parameter, used as ``{name}`` in schedule specs."""
PARAM_KEYS = ("low", "high", "log", "int", "num", "values")
SEARCH_KEYS = ("trials", "metric", "direction", "sampler", "pruner", "space")
MAX_TRIALS = 100_000
MAX_VALUES = 10_000
_STRING = re.compile(r"[A-Za-z0-9_.+-]{1,60}")
_NAME = re.compile(r"(opt\.)?[A-Za-z_][A-Za-z0-9_]{0,59}")


@dataclass(frozen=True)
class Param:
    """One search parameter.

    ``kind`` is ``'float'`` or ``'int'`` (a range ``[low, high]``, on a log scale when ``log``) or
    ``'choice'`` (one of ``values``; a ``num`` grid is a choice whose ``low``/``high``/``log`` are kept).
    """

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    values: tuple[Any, ...] | None = None

    @property
    def grid(self) -> bool:
        """True when the parameter takes finitely many values (a choice)."""
        return self.kind == "choice"

    def examples(self) -> list[Any]:
        """The values a study is checked with: both ends of a range, every value of a choice."""
        if self.values is not None:
            return list(self.values)
        return [self.low, self.high]


@dataclass(frozen=True)
class SearchConfig:
    """The ``search:`` section of a study: how many trials, what to optimize, how, and over what."""

    trials: int
    metric: str
    direction: str
    sampler: str = "tpe"
    pruner: str = "none"
    space: dict[str, Param] = field(default_factory=dict)

    def grid(self) -> dict[str, list[Any]] | None:
        """Every parameter's values when all are choices (what a grid sampler walks), else None."""
        if not all(p.grid for p in self.space.values()):
            return None
        return {name: list(p.values or ()) for name, p in self.space.items()}


# ------------------------------------------------------------------------------ expressions
_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
}
_EXPRESSION_CHARS = 200
_HOLE = re.compile(r"\{([^{}]*)\}")


def _eval(node: ast.AST, names: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Expression):
        return _eval(node.body, names)
    if isinstance(node, ast.Constant) and is_number(node.value):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in names:
            allowed = ", ".join(f"`{n}`" for n in names)
            raise ValueError(
                f"unknown name `{node.id}`; only numbers, {allowed}, + - * / // and parentheses are allowed"
            )
        return names[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = _eval(node.left, names), _eval(node.right, names)
        if isinstance(left, str) or isinstance(right, str):
            raise ValueError("a string parameter can only stand alone, as `{name}`")
        return float(_BINOPS[type(node.op)](left, right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _eval(node.operand, names)
        if isinstance(value, str):
            raise ValueError("a string parameter can only stand alone, as `{name}`")
        return -value
    raise ValueError(f"only numbers, {', '.join(f'`{n}`' for n in names)}, + - * / // and parentheses are allowed")


def _parse(text: str) -> ast.Expression:
    if len(text) > _EXPRESSION_CHARS:
        raise LabError(f"cannot evaluate {{{text[:40]}...}}: longer than {_EXPRESSION_CHARS} characters.")
    try:
        return ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise LabError(f"cannot evaluate {{{text}}}: {exc}") from None


def names_in(spec: str) -> set[str]:
    """The names the ``{expr}`` holes of ``spec`` mention."""
    out: set[str] = set()
    for m in _HOLE.finditer(spec):
        out |= {n.id for n in ast.walk(_parse(m.group(1))) if isinstance(n, ast.Name)}
    return out


def substitute(spec: str, steps: int, values: Mapping[str, Any] | None = None) -> str:
    """Replace each ``{expr}`` in ``spec``: with ``round(expr)`` when it mentions ``steps``, else exactly."""
    names = {"steps": steps, **(values or {})}

    def one(m: re.Match[str]) -> str:
        text = m.group(1)
        tree = _parse(text)
        try:
            value = _eval(tree, names)
            if isinstance(value, str):
                return f"'{value}'"
            mentioned = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
            if "steps" in mentioned or not mentioned:  # a count of updates (or a constant, as always)
                return str(round(value))
            if not math.isfinite(value):
                raise ValueError("the expression is not a finite number")
            return str(value) if is_int(value) else repr(float(value))
        except (ValueError, ArithmeticError, RecursionError, MemoryError) as exc:
            reason = exc if str(exc) else "the expression is not a finite number"
            raise LabError(f"cannot evaluate {{{text}}}: {reason}") from None

    return _HOLE.sub(one, spec)


def grid_values(low: float, high: float, num: int, *, log: bool) -> list[float]:
    """``num`` values from ``low`` to ``high`` (log-spaced when ``log``), rounded to 6 significant digits."""
    if num == 1:
        return [float(low)]
    out = []
    for i in range(num):
        t = i / (num - 1)
        v = low * (high / low) ** t if log else low + (high - low) * t
        out.append(float(f"{v:.6g}"))
    return out


# ------------------------------------------------------------------------------ validation
Problems = Callable[[str, str], None]
"""``add(key, reason)``: note one problem of the study file."""


def parse_param(name: str, raw: Any, where: str, add: Problems) -> Param | None:
    """Check one ``space`` entry; on a problem, note it with ``add`` and return None."""
    if not isinstance(raw, Mapping):
        add(where, f"must be a mapping with keys {list(PARAM_KEYS)}. Received: {short(raw)}.")
        return None
    unknown = sorted(map(str, set(raw) - set(PARAM_KEYS)))
    if unknown:
        add(where, f"unknown key(s) {short(unknown)}; allowed: {list(PARAM_KEYS)}.")
        return None
    if "values" in raw:
        extra = sorted(set(raw) - {"values"})
        if extra:
            add(where, f"give either `values` or `low`/`high`, not both. Received keys: {sorted(raw)}.")
            return None
        values = raw["values"]
        if not isinstance(values, list) or not 0 < len(values) <= MAX_VALUES:
            add(
                f"{where}.values",
                f"must be a non-empty list of at most {MAX_VALUES} values. Received: {short(values)}.",
            )
            return None
        bad = [v for v in values if not (is_number(v) or (isinstance(v, str) and _STRING.fullmatch(v)))]
        if bad:
            add(
                f"{where}.values",
                "each value must be a finite number or a string of at most 60 letters, digits, '_', '.', '+' or '-'. "
                f"Received: {short(bad[0])}.",
            )
            return None
        if len(set(map(repr, values))) != len(values):
            add(f"{where}.values", f"must not repeat a value. Received: {short(values)}.")
            return None
        return Param(name, "choice", values=tuple(values))
    low: Any = raw.get("low")
    high: Any = raw.get("high")
    log, integer, num = raw.get("log", False), raw.get("int", False), raw.get("num")
    ok = True
    for key, value in (("low", low), ("high", high)):
        if not is_number(value):
            add(f"{where}.{key}", f"required, a finite number (or give `values`). Received: {short(value)}.")
            ok = False
    for key, value in (("log", log), ("int", integer)):
        if not isinstance(value, bool):
            add(f"{where}.{key}", f"must be true or false. Received: {short(value)}.")
            ok = False
    if num is not None and not Bound(1, MAX_VALUES, integer=True).check(num):
        add(f"{where}.num", f"must be an integer in [1, {MAX_VALUES}]. Received: {short(num)}.")
        ok = False
    if not ok:
        return None
    if not low < high:
        add(where, f"`low` must be less than `high`. Received: low={low}, high={high}.")
        return None
    if log and low <= 0:
        add(f"{where}.low", f"must be > 0 on a log scale (log: true). Received: {low}.")
        return None
    if integer and not (is_int(low) and is_int(high)):
        add(where, f"`low` and `high` must be integers with int: true. Received: low={low}, high={high}.")
        return None
    if num is not None:
        if integer:
            add(f"{where}.num", "a grid (`num`) is of floats; for integers list them in `values`.")
            return None
        return Param(name, "choice", float(low), float(high), bool(log), tuple(grid_values(low, high, num, log=log)))
    if integer:
        return Param(name, "int", int(low), int(high), bool(log))
    return Param(name, "float", float(low), float(high), bool(log))


def parse_search_head(raw: Mapping[str, Any], add: Problems) -> dict[str, Any]:
    """Check the keys of ``search:`` other than ``space``: a dict of the valid ones."""
    out: dict[str, Any] = {}
    for key in sorted(map(str, set(raw) - set(SEARCH_KEYS))):
        add(f"search.{key[:60]}", f"unknown key; allowed keys: {', '.join(SEARCH_KEYS)}.")
    if "trials" in raw:
        if Bound(1, MAX_TRIALS, integer=True).check(raw["trials"]):
            out["trials"] = int(raw["trials"])
        else:
            add("search.trials", f"must be an integer in [1, {MAX_TRIALS}]. Received: {short(raw['trials'])}.")
    for key, allowed in (("sampler", SAMPLERS), ("pruner", PRUNERS), ("direction", ("maximize", "minimize"))):
        if key in raw:
            if raw[key] in allowed:
                out[key] = raw[key]
            else:
                add(f"search.{key}", f"must be one of {', '.join(allowed)}. Received: {short(raw[key])}.")
    if "metric" in raw:
        if isinstance(raw["metric"], str) and len(raw["metric"]) <= 100:
            out["metric"] = raw["metric"]
        else:
            add("search.metric", f"must be the name of a metric. Received: {short(raw['metric'])}.")
    return out


def check_name(name: Any, where: str, add: Problems) -> bool:
    """A parameter name: an identifier of at most 60 characters, or ``opt.<option>``."""
    if isinstance(name, str) and _NAME.fullmatch(name) and name != "steps":
        return True
    add(where, f"a parameter name is an identifier (or opt.<option>) other than `steps`. Received: {short(name)}.")
    return False
