"""Value checks shared by study files, task options and optimizer options.

Every number a study gives is checked before any run starts: finite, of the right kind, inside the
range the code that uses it can handle. Messages show a value in at most about 100 characters, so a
huge or deeply nested value never floods a terminal.

Example:
    >>> from lrplan.lab.checks import Bound, short
    >>> Bound(0.0, 1.0, high_open=True).check(0.5), Bound(0.0, 1.0, high_open=True).check(1.0)
    (True, False)
    >>> Bound(1, 4096, integer=True).describe()
    'an integer in [1, 4096]'
    >>> Bound(0.0, integer=False).check(float("inf")), Bound(0.0).check(10**400)
    (False, False)
    >>> short(list(range(1000)))
    '[0, 1, 2, 3, 4, 5, ...]'
"""

from __future__ import annotations

import importlib.util
import math
import os
import reprlib
import stat
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import LabError

__all__ = [
    "Bound",
    "is_int",
    "is_number",
    "short",
    "structure_problem",
    "read_bounded",
    "require_extra",
    "MAX_DEPTH",
    "MAX_NODES",
]

MAX_DEPTH = 32
"""How deeply lists and mappings may nest in a study file or a record's configuration."""
MAX_NODES = 1_000_000
"""How many values (counting a shared value once per use) a study file or a record may hold."""

_repr = reprlib.Repr()
_repr.maxlevel = 3
_repr.maxlist = _repr.maxtuple = _repr.maxset = _repr.maxdict = 6
_repr.maxstring = _repr.maxother = 60
_repr.maxlong = 40


def short(value: Any) -> str:
    """``repr(value)``, cut to about 100 characters (lists, mappings and strings abbreviated with ``...``)."""
    return _repr.repr(value)


def is_int(x: Any) -> bool:
    """An integer that is not a bool."""
    return isinstance(x, int) and not isinstance(x, bool)


def is_number(x: Any) -> bool:
    """A finite int or float that is not a bool (an int too large for a float is not finite)."""
    if isinstance(x, float):
        return math.isfinite(x)
    return is_int(x) and -sys.float_info.max <= x <= sys.float_info.max


def _number_text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e16 else f"{x:g}"


@dataclass(frozen=True)
class Bound:
    """The values a number may take: ``low <= x <= high`` (either end open), finite, maybe an integer."""

    low: float = 0.0
    high: float = math.inf
    integer: bool = False
    low_open: bool = False
    high_open: bool = False

    def check(self, x: Any) -> bool:
        if not (is_int(x) if self.integer else is_number(x)):
            return False
        if x < self.low or (self.low_open and x == self.low):
            return False
        return not (x > self.high or (self.high_open and x == self.high))

    def span(self) -> str:
        """The range in words: ``'>= 0'``, ``'in [0, 1)'``."""
        low, high = _number_text(self.low), _number_text(self.high)
        if self.high == math.inf:
            return f"{'>' if self.low_open else '>='} {low}"
        return f"in {'(' if self.low_open else '['}{low}, {high}{')' if self.high_open else ']'}"

    def describe(self) -> str:
        return f"{'an integer' if self.integer else 'a number'} {self.span()}"


def structure_problem(value: Any, *, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES) -> str | None:
    """Why ``value`` (parsed YAML, TOML or JSON) is too deep or too large to handle, or None.

    The walk is iterative and stops at the first excess, so neither deep nesting (a RecursionError
    elsewhere) nor YAML aliases that expand to billions of values ("billion laughs") cost more than
    ``max_nodes`` steps.

    Example:
        >>> deep = []
        >>> for _ in range(100):
        ...     deep = [deep]
        >>> structure_problem(deep)
        'nested more than 32 levels deep'
        >>> a = ["x"] * 10
        >>> b = [a] * 10
        >>> c = [b] * 10
        >>> structure_problem([c] * 10000)
        'more than 1000000 values'
        >>> structure_problem({"steps": 100, "tasks": ["digits-mlp"]}) is None
        True
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    nodes = 1
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = [*item.keys(), *item.values()]
        elif isinstance(item, (list, tuple)):
            children = list(item)
        else:
            continue
        if depth >= max_depth:
            return f"nested more than {max_depth} levels deep"
        nodes += len(children)  # counted before they are queued: the queue never outgrows max_nodes
        if nodes > max_nodes:
            return f"more than {max_nodes} values"
        stack.extend((child, depth + 1) for child in children)
    return None


def read_bounded(path: str | os.PathLike[str], limit: int, *, what: str) -> bytes:
    """The bytes of the regular file ``path``, refusing devices, pipes and files over ``limit`` bytes.

    The file is opened without blocking (a FIFO with no writer cannot hang the caller) and checked
    with ``fstat`` on the open descriptor, then at most ``limit + 1`` bytes are read.

    Raises:
        LabError: naming the file: missing, unreadable, not a regular file, or too large.
    """
    p = Path(path)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise LabError(f"{p}: cannot read the {what} ({exc.strerror}).") from None
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise LabError(f"{p}: not a regular file (a device, pipe or folder); the {what} must be a file.")
        if info.st_size > limit:
            raise LabError(f"{p}: the {what} is {info.st_size} bytes; at most {limit} are read.")
        try:
            data = f.read(limit + 1)
        except OSError as exc:
            raise LabError(f"{p}: cannot read the {what} ({exc.strerror}).") from None
    if len(data) > limit:  # grew while being read
        raise LabError(f"{p}: the {what} is over {limit} bytes; at most {limit} are read.")
    return data


LAB_EXTRA = {
    "torch": "torch",
    "sklearn": "scikit-learn",
    "yaml": "pyyaml",
    "matplotlib": "matplotlib",
    "jinja2": "jinja2",
}
"""The modules of the ``lab`` extra and their distribution names."""


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or a broken module in sys.modules
        return False


def require_extra(*modules: str, extra: str = "lab") -> None:
    """Raise LabError, naming the install command, if any of ``modules`` (keys of :data:`LAB_EXTRA`) is
    missing; nothing is imported, so the check costs no start-up time.

    Example:
        >>> require_extra("no_such_module_here")
        Traceback (most recent call last):
        ...
        lrplan.lab.errors.LabError: the lab needs no_such_module_here, which is not installed: pip install 'lrplan[lab]'
    """
    missing = [LAB_EXTRA.get(m, m) for m in modules if not _installed(m)]
    if missing:
        which = "is" if len(missing) == 1 else "are"
        raise LabError(
            f"the lab needs {', '.join(missing)}, which {which} not installed: pip install 'lrplan[{extra}]'"
        )
