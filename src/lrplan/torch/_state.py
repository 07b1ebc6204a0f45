"""The scheduler's state dict: its checks (everything loaded is validated before anything changes) and the
message that names what differs between a checkpoint and the live scheduler."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

from .. import ConfigError, Plateau
from .._validate import require_int
from ._groups import OWNER, describe, finite, refuse

STATE_FORMAT = 1
"""Version of :meth:`Scheduler.state_dict`'s layout."""

MAX_STEP = 2**53
MAX_DEPTH = 200
"""How deep the JSON data of a loaded state may nest: far beyond any schedule's config (a schedule
nested 64 deep is about 130 levels), and shallow enough that comparing, printing and rebuilding it
stays far from Python's recursion limit."""

WHERE = f"{OWNER}.load_state_dict"
KEYS = ("format", "schedule", "step", "multipliers", "hyperparams", "plateau_state", "consumed_samples")


def check_layout(state: Any) -> None:
    """A state dict of this scheduler: the keys :meth:`Scheduler.state_dict` writes, in a known format."""
    if not isinstance(state, Mapping) or "schedule" not in state or "step" not in state:
        keys = sorted(map(str, state)) if isinstance(state, Mapping) else type(state).__name__
        raise ConfigError(
            f"{WHERE}: not an lrplan.torch.Scheduler state (it needs 'schedule' and 'step'). Received keys: {keys}."
        )
    unknown = [k for k in state if k not in KEYS]
    if unknown:
        raise ConfigError(
            f"{WHERE}: unknown key(s) {describe(unknown)} in the state; an lrplan.torch.Scheduler state holds "
            f"{list(KEYS)}."
        )
    version = state.get("format", STATE_FORMAT)
    if version != STATE_FORMAT or isinstance(version, bool):
        raise ConfigError(f"{WHERE}: unsupported state format {describe(version)}; this lrplan reads {STATE_FORMAT}.")
    for key in KEYS:
        if key in state and key != "step":  # the step has its own check
            check_json(key, state[key])


def check_json(name: str, value: Any) -> None:
    """``value`` is JSON data as saved: dicts with string keys, lists, strings, numbers within the float
    range, booleans and None, nested at most :data:`MAX_DEPTH` deep."""
    todo = [(name, value, 0)]
    while todo:
        path, x, depth = todo.pop()
        if isinstance(x, (dict, list)) and depth >= MAX_DEPTH:
            raise refuse(WHERE, name, f"JSON data nested at most {MAX_DEPTH} levels deep", value)
        if isinstance(x, dict):
            for k, v in x.items():
                if not isinstance(k, str):
                    raise refuse(WHERE, path, "JSON data (an object with string keys)", x)
                todo.append((f"{path}[{k!r}]", v, depth + 1))
        elif isinstance(x, list):
            todo.extend((f"{path}[{i}]", v, depth + 1) for i, v in enumerate(x))
        elif isinstance(x, int) and not isinstance(x, bool) and finite(x) is None:
            raise refuse(WHERE, path, "a number within the float range", x)
        elif not (x is None or isinstance(x, (str, bool, int, float))):
            raise refuse(WHERE, path, "JSON data (objects, lists, strings, numbers, booleans, null)", x)


def _real(name: str, value: Any) -> float:
    v = finite(value)
    if v is None:
        raise refuse(WHERE, name, "a finite real number", value)
    return v


def check_step(owner: str, name: str, value: Any) -> int:
    """A step: an integer in [0, 2**53] (beyond, consecutive steps are the same float)."""
    if isinstance(value, int) and not isinstance(value, bool) and not 0 <= value <= MAX_STEP:
        raise refuse(owner, name, "an integer in [0, 2**53]", value)
    step = require_int(owner, name, value, minimum=0)
    if step > MAX_STEP:
        raise refuse(owner, name, "an integer in [0, 2**53]", value)
    return step


def check_plateau_state(name: str, plateau: Any, state: Any, *, own: bool) -> dict[str, Any]:
    """A loaded state for ``plateau``: the keys of its ``initial_state()``, values it can be driven with.

    For an lrplan :class:`~lrplan.Plateau`: ``best`` is None or finite, the counters are integers >= 0
    with ``reductions <= reports``, ``0 <= scale <= 1``; and when the state was saved with this very
    plateau configuration (``own``), ``bad_reports <= patience`` and ``cooldown_left <= cooldown``.
    Any other plateau object must give a finite value >= 0 under the state.
    """
    keys = list(plateau.initial_state())
    if not isinstance(state, dict) or sorted(state) != sorted(keys):
        raise refuse(WHERE, name, f"a plateau state with the keys {keys}", state)
    if isinstance(plateau, Plateau):
        if state["best"] is not None:
            _real(f"{name}['best']", state["best"])
        counts = {
            k: require_int(WHERE, f"{name}[{k!r}]", state[k], minimum=0) for k in keys if k not in ("best", "scale")
        }
        scale = _real(f"{name}['scale']", state["scale"])
        if not 0.0 <= scale <= 1.0:
            raise refuse(WHERE, f"{name}['scale']", "in [0, 1] (a product of factors < 1)", state["scale"])
        if counts["reductions"] > counts["reports"]:
            raise refuse(WHERE, f"{name}['reductions']", f"<= reports ({counts['reports']})", state["reductions"])
        for key, arg in (("bad_reports", "patience"), ("cooldown_left", "cooldown")):
            limit = getattr(plateau, arg)
            if own and counts[key] > limit:
                raise refuse(WHERE, f"{name}[{key!r}]", f"<= {limit}, the plateau's {arg}", state[key])
    try:
        value = plateau.value(0, state)
    except (TypeError, ValueError, KeyError) as exc:
        raise ConfigError(f"{WHERE}: `{name}` is not a state of the plateau in use: {exc}") from None
    real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not (real and math.isfinite(value) and float(value) >= 0.0):
        raise ConfigError(
            f"{WHERE}: `{name}` gives the learning rate {describe(value)}; a plateau state must give a finite "
            "value >= 0."
        )
    return dict(state)


def plateau_states(state: Mapping[str, Any], plateaus: list[Any], *, own: bool) -> list[dict[str, Any]] | None:
    """The plateau states a state dict holds for ``plateaus`` (checked), or None to keep them at their start.

    ``own``: the checkpoint's schedules are the ones in use (same configs, or adopted), so its plateau
    states must match them in number and in kind; otherwise (``on_mismatch="live"`` with other schedules)
    states of another number are left at their start.
    """
    saved = state.get("plateau_state")
    if saved is None:
        return None
    states = [saved] if len(plateaus) == 1 else saved
    if not (isinstance(states, list) and len(states) == len(plateaus)):
        if own:
            raise ConfigError(f"{WHERE}: 'plateau_state' does not match the plateau schedules in use.")
        return None
    names = ["plateau_state"] if len(plateaus) == 1 else [f"plateau_state[{i}]" for i in range(len(plateaus))]
    return [check_plateau_state(n, p, s, own=own) for n, p, s in zip(names, plateaus, states, strict=True)]


def diff(a: Any, b: Any, path: str, out: list[str]) -> None:
    """Differences between two JSON-like values as 'path: checkpoint has X, live has Y'."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in list(a) + [k for k in b if k not in a]:
            if k not in b:
                out.append(f"{path}.{k}: only the checkpoint has it ({describe(a[k])})")
            elif k not in a:
                out.append(f"{path}.{k}: only the live scheduler has it ({describe(b[k])})")
            else:
                diff(a[k], b[k], f"{path}.{k}", out)
        return
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            diff(x, y, f"{path}[{i}]", out)
        return
    if a != b:
        out.append(f"{path}: checkpoint has {describe(a)}, live has {describe(b)}")
