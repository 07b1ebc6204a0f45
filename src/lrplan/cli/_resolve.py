"""Reading a SCHEDULE argument: spec text, a JSON or YAML config file, or a preset call.

Nothing is executed: specs and preset calls are parsed with :mod:`ast`, YAML with ``yaml.safe_load``.
"""

from __future__ import annotations

import ast
import difflib
import json
import os
import stat
from typing import Any

from .. import LrplanError, Schedule, SpecError, from_config, parse, presets
from ._errors import CliError, clip

__all__ = [
    "PRESET_PREFIX",
    "FILE_SUFFIXES",
    "MAX_FILE_BYTES",
    "MAX_VALUES",
    "MAX_DEPTH",
    "MAX_DIGITS",
    "resolve",
    "load_file",
    "preset_name",
    "preset_function",
]

PRESET_PREFIX = "preset:"
"""Put in front of a SCHEDULE argument to read it as a preset call only."""

FILE_SUFFIXES = (".json", ".yaml", ".yml")
MAX_FILE_BYTES = 1 << 20
"""A schedule file is at most 1 MiB."""
MAX_VALUES = 100_000
"""A schedule file holds at most this many values (keys, items and numbers), YAML aliases expanded."""
MAX_DEPTH = 64
"""... nested at most this deep (the spec parser's own limit)."""
MAX_DIGITS = 309
"""... and no integer longer than this (a 64-bit float holds up to about 1.8e308)."""


def resolve(text: str) -> Schedule:
    """The schedule named by a SCHEDULE argument: spec text, a config file, or a preset call.

    A plain spec is tried first; then a file (an existing path, or a name ending in .json, .yaml or
    .yml); then a preset call ``source.Name(arg=literal, ...)``. If all fail, the spec's own error is
    raised (a :class:`~lrplan.SpecError` pointing at the column).

    Example:
        >>> resolve("step_decay(init_value=0.1, decay_rate=0.5, decay_steps=10)")(25)
        0.025
        >>> import lrplan
        >>> try:
        ...     resolve("cosin(init_value=1.0, decay_steps=10)")
        ... except lrplan.SpecError as err:
        ...     print(err)
        Unknown schedule 'cosin'. Did you mean 'cosine'? (column 1)
          cosin(init_value=1.0, decay_steps=10)
          ^
    """
    if not isinstance(text, str):
        raise CliError(f"A schedule must be given as text. Received: {text!r}.")
    if text.strip().startswith(PRESET_PREFIX):
        return _preset(text.strip()[len(PRESET_PREFIX) :])
    try:
        return parse(text)
    except SpecError as exc:
        spec_error = exc
    stripped = text.strip()
    looks_like_path = ("/" in stripped or os.sep in stripped) and "(" not in stripped
    if os.path.exists(stripped) or stripped.lower().endswith(FILE_SUFFIXES) or looks_like_path:
        return load_file(stripped)
    if preset_name(stripped) is not None:
        return _preset(stripped)
    raise spec_error


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def preset_name(text: str) -> str | None:
    """``"torch.OneCycleLR"`` when ``text`` looks like a call (or name) of a preset, else ``None``.

    Example:
        >>> preset_name("torch.StepLR(lr=0.1, step_size=3)"), preset_name("cosine(init_value=1.0, decay_steps=9)")
        ('torch.StepLR', None)
    """
    try:
        body = ast.parse(text, mode="eval").body
    except (SyntaxError, ValueError, RecursionError):
        return None
    name = _dotted(body.func if isinstance(body, ast.Call) else body)
    if name is None or "." not in name:
        return None
    root = name.split(".", 1)[0]
    if root in presets.SOURCES or difflib.get_close_matches(root, presets.SOURCES, n=1, cutoff=0.75):
        return name
    return None


def preset_function(name: str) -> Any:
    """The preset function ``source.Name``; :class:`CliError` when its source cannot be imported here."""
    try:
        return presets.get(name)
    except ImportError as exc:
        raise CliError(f"Presets for {name.split('.', 1)[0]!r} are not available here ({exc}).") from None


def _preset(text: str) -> Schedule:
    text = text.strip()
    try:
        body = ast.parse(text, mode="eval").body
    except SyntaxError as exc:
        raise SpecError(f"Invalid syntax: {exc.msg}", text, max((exc.offset or 1) - 1, 0)) from None
    except (ValueError, RecursionError) as exc:
        raise SpecError(f"Invalid preset call: {exc}") from None
    call = body if isinstance(body, ast.Call) else None
    name = _dotted(call.func if call is not None else body)
    if name is None or "." not in name:
        raise SpecError("A preset is called as source.Name(arg=value, ...), e.g. torch.StepLR(...)", text, 0)

    def value(node: ast.AST) -> Any:
        if isinstance(node, ast.Call):  # a nested schedule: spec text or another preset
            segment = ast.get_source_segment(text, node)
            return resolve(segment or "")
        try:
            return ast.literal_eval(node)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise SpecError(
                "Preset arguments must be literal values (numbers, strings, lists, True/False/None)",
                text,
                getattr(node, "col_offset", 0),
            ) from None

    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    if call is not None:
        for arg in call.args:
            if isinstance(arg, ast.Starred):
                raise SpecError("Unsupported syntax (*) in a preset call", text, arg.col_offset)
            args.append(value(arg))
        for kw in call.keywords:
            if kw.arg is None:
                raise SpecError("Unsupported syntax (**) in a preset call", text, kw.value.col_offset)
            kwargs[kw.arg] = value(kw.value)
    fn = preset_function(name)
    try:
        result = fn(*args, **kwargs)
    except TypeError as exc:
        raise CliError(f"Preset {name}: {exc}.") from None
    if not isinstance(result, Schedule):
        raise CliError(f"Preset {name} returned {type(result).__name__}, not an lrplan schedule.")
    return result


def load_file(path: str) -> Schedule:
    """The schedule in a JSON or YAML file: a :func:`lrplan.to_config` dict, a spec string, or ``{"schedule": ...}``.

    Raises :class:`CliError` with one line for a missing, unreadable or malformed file.

    Example:
        >>> import json, os, tempfile, lrplan
        >>> path = os.path.join(tempfile.mkdtemp(), "s.json")
        >>> s = lrplan.linear(init_value=1.0, end_value=0.0, decay_steps=4)
        >>> with open(path, "w") as f:
        ...     json.dump(lrplan.to_config(s), f)
        >>> load_file(path) == s
        True
    """
    if not os.path.exists(path):
        raise CliError(f"File not found: {clip(path)}")
    if os.path.isdir(path):
        raise CliError(f"{clip(path)} is a folder, not a schedule file.")
    text = _read_bounded(path)
    suffix = os.path.splitext(path)[1].lower()
    if not text.strip():
        raise CliError(f"{clip(path)} is empty; expected a schedule config (lrplan.to_config) or a spec.")
    if suffix == ".json" or (suffix not in (".yaml", ".yml") and text.lstrip().startswith(("{", '"'))):
        data = _load_json(text, path)
    else:
        data = _load_yaml(text, path)
    _check_size(data, path)
    return _from_data(data, path)


def _read_bounded(path: str) -> str:
    """The text of a regular file of at most :data:`MAX_FILE_BYTES`; devices, pipes and sockets are refused.

    The file is opened without blocking, so a FIFO with no writer cannot hang the command.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise CliError(f"Cannot read {clip(path)}: {exc.strerror or exc}.") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise CliError(f"{clip(path)} is not a regular file (a device, pipe or socket); give a schedule file.")
        try:
            raw = f.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise CliError(f"Cannot read {clip(path)}: {exc.strerror or exc}.") from None
    if len(raw) > MAX_FILE_BYTES:
        raise CliError(f"{clip(path)} is larger than {MAX_FILE_BYTES >> 20} MiB; a schedule file is far smaller.")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CliError(f"Cannot read {clip(path)}: it is not UTF-8 text ({exc.reason} at byte {exc.start}).") from None


def _json_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _TooLarge(f"an integer of {len(text.lstrip('-'))} digits")
    return int(text)


class _TooLarge(Exception):
    """A number in a file beyond what any schedule can use."""


def _load_json(text: str, path: str) -> Any:
    try:
        return json.loads(text, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise CliError(f"{clip(path)} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno}).") from None
    except _TooLarge as exc:
        raise CliError(f"{clip(path)} holds {exc}: numbers must fit a 64-bit float.") from None
    except RecursionError:
        raise CliError(f"{clip(path)} is nested too deeply to be a schedule config.") from None


def _load_yaml(text: str, path: str) -> Any:
    try:
        import yaml
    except ImportError:  # pragma: no cover - depends on the installation
        raise CliError(f"Reading {clip(path)} needs pyyaml: pip install 'lrplan[cli]'.") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or type(exc).__name__
        raise CliError(f"{clip(path)} is not valid YAML: {problem}{where}.") from None
    except ValueError:  # an integer beyond Python's digit limit for int(str)
        raise CliError(f"{clip(path)} holds an integer too long to read: numbers must fit a 64-bit float.") from None
    except RecursionError:
        raise CliError(f"{clip(path)} is nested too deeply to be a schedule config.") from None


def _check_size(data: Any, path: str) -> None:
    """Refuse data that is not the size of a schedule config, counting every alias of a YAML file expanded.

    The walk stops as soon as the budget is spent, so a few hundred bytes of nested aliases that
    would expand to billions of values cost no more than the budget.
    """
    budget = MAX_VALUES
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        item, depth = stack.pop()
        budget -= 1
        if budget < 0:
            raise CliError(
                f"{clip(path)} holds more than {MAX_VALUES:,} values (YAML aliases expanded); "
                "a schedule config is far smaller."
            )
        if depth > MAX_DEPTH:
            raise CliError(f"{clip(path)} is nested more than {MAX_DEPTH} levels deep; a schedule config is not.")
        if isinstance(item, dict):
            stack.extend((x, depth + 1) for pair in item.items() for x in pair)
        elif isinstance(item, (list, tuple)):
            stack.extend((x, depth + 1) for x in item)
        elif isinstance(item, int) and not isinstance(item, bool) and item.bit_length() > 1023:
            raise CliError(
                f"{clip(path)} holds an integer of {len(str(abs(item)))} digits: numbers must fit a 64-bit float."
            )


def _from_data(data: Any, path: str) -> Schedule:
    if isinstance(data, str):
        return parse(data)
    if isinstance(data, dict):
        if "name" not in data and "schedule" in data:
            return _from_data(data["schedule"], path)
        try:
            return from_config(data)
        except (LrplanError, TypeError, ValueError) as exc:
            raise CliError(f"{clip(path)}: {exc}") from None
    raise CliError(
        f"{clip(path)}: expected a schedule config (a mapping with 'name' and 'args', as written by lrplan.to_config) "
        f"or a spec string. Received a {type(data).__name__}."
    )
