"""Configs: JSON-safe dicts that rebuild a schedule through its constructor (so checks run again).

The encoder, :func:`to_config`, is a pure function of the fields and lives beside the base class
(:mod:`lrplan._base`); it is re-exported here with the reader, :func:`from_config`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ._base import FORMAT, Schedule, to_config
from ._errors import ConfigError
from ._registry import lookup
from ._validate import MAX_DEPTH, fail, is_list, is_mapping, shown

__all__ = ["to_config", "from_config", "FORMAT"]

_MEASURED_DEPTH = 10_000
"""How deep :func:`_check_depth` follows a config that is already too deep, to say how deep it is."""


def _check_depth(config: Any) -> None:
    """Refuse a config nested deeper than specs may be (:data:`MAX_DEPTH`), walking it without recursion.

    Depth counts as the spec parser does: the top schedule's arguments are at depth 0, and each
    schedule or list adds one level to what it holds.
    """
    stack: list[tuple[Any, int]] = [(config, -1)]
    deepest = -1
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth >= _MEASURED_DEPTH:
            break
        if is_mapping(node):
            args = node.get("args")
            stack.extend((x, depth + 1) for x in (args if is_mapping(args) else node).values())
        elif is_list(node):
            stack.extend((x, depth + 1) for x in node)
    if deepest > MAX_DEPTH:
        shown = f"more than {_MEASURED_DEPTH}" if deepest >= _MEASURED_DEPTH else str(deepest)
        raise ConfigError(
            f"from_config: `config` must nest schedules and lists at most {MAX_DEPTH} levels deep, as specs do. "
            f"Received: a config nested {shown} levels deep."
        )


def _decode(x: Any, where: str) -> Any:
    if is_mapping(x):
        return _build(x, where)
    if is_list(x):
        return [_decode(i, f"{where}[{n}]") for n, i in enumerate(x)]
    return x


def _build(node: Mapping[str, Any], where: str) -> Schedule:
    unknown = set(node) - {"name", "args", "format"}
    if unknown:
        raise ConfigError(f"from_config: unknown key(s) {sorted(unknown)} at {where}.")
    if "name" not in node:
        raise ConfigError(f"from_config: missing key 'name' at {where}.")
    cls = lookup(node["name"])
    args = node.get("args", {})
    if not is_mapping(args):
        raise ConfigError(f"from_config: 'args' must be a mapping at {where}. Received: {shown(args)}.")
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    extra = set(args) - names
    if extra:
        raise ConfigError(
            f"from_config: {node['name']} has no argument(s) {sorted(extra)} at {where}. Arguments: {sorted(names)}."
        )
    decoded = {k: _decode(val, f"{where}.args.{k}") for k, val in args.items()}
    try:
        return cls(**decoded)
    except TypeError as exc:  # e.g. a missing required argument
        raise ConfigError(f"from_config: {node['name']} at {where}: {exc}") from None


def from_config(config: Mapping[str, Any]) -> Schedule:
    """Rebuild a schedule from :func:`to_config`'s dict (after any JSON round trip).

    Any mapping will do, and any sequence where a list is expected: OmegaConf's ``DictConfig`` and
    ``ListConfig`` (Hydra's configs) as well as dicts and lists.

    Raises :class:`~lrplan.ConfigError` for malformed configs or invalid arguments, and
    :class:`~lrplan.UnknownScheduleError` for names that are not registered.

    Example:
        >>> import lrplan
        >>> lrplan.from_config({"format": 1, "name": "cosine", "args": {"init_value": 1.0, "decay_steps": 10}})
        cosine(init_value=1.0, decay_steps=10)
        >>> lrplan.from_config({"name": "cosine", "args": {"init_value": 1.0, "decay_steps": 0}})
        Traceback (most recent call last):
        ...
        lrplan._errors.ConfigError: cosine: `decay_steps` must be > 0. Received: decay_steps=0.
    """
    if not is_mapping(config):
        raise fail("from_config", "config", "a mapping with keys 'name' and 'args' (a dict, a DictConfig...)", config)
    version = config.get("format", FORMAT)
    if not isinstance(version, int) or isinstance(version, bool) or version > FORMAT or version < 1:
        raise ConfigError(
            f"from_config: unsupported config format {shown(version)}; this lrplan reads format {FORMAT}."
        )
    _check_depth(config)
    return _build(config, "config")
