"""Fuzzed configs: from_config and parse raise only lrplan's ValueError subclasses, or build a schedule that
round-trips, within a memory limit and a time limit.

The fuzz loop runs in a child process (this file run as a script) under ``resource.setrlimit(RLIMIT_AS)``, so a
config that makes the library allocate without bound ends the child instead of the test session. Configs mix
registered names with random arguments: numbers of every size (integers of hundreds of digits), NaN and
infinities, strings, None, booleans, lists up to 10**5 items, nested schedules up to 200 levels, dicts in the
wrong places, and OmegaConf containers.
"""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MEMORY_LIMIT = 3 * 2**30  # bytes of address space for the child
CONFIGS = 500


def test_fuzzed_configs_raise_only_lrplan_value_errors():
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, __file__, "20261202", str(CONFIGS)],
        capture_output=True,
        text=True,
        timeout=300,  # a hang, not a speed: the loop takes about 12 s of CPU
        env=env,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["configs"] == CONFIGS
    # the mix reaches both outcomes and every kind of refusal the fuzzer aims at
    assert report["built"] >= 5 and report["refused"] >= 200, report
    assert {"ConfigError", "UnknownScheduleError", "SpecError"} <= set(report["errors"]), report


# ------------------------------------------------------------------------------------- the child
def _number(rng: random.Random):
    return rng.choice(
        [
            0,
            1,
            2,
            10,
            -1,
            0.5,
            1e-3,
            -2.5,
            1e308,
            10**400,
            -(10**5000),
            2**63,
            math.nan,
            math.inf,
            -math.inf,
            rng.uniform(-10, 1000),
            rng.randint(0, 10**6),
        ]
    )


def _value(rng: random.Random, names: list[str], depth: int):
    kind = rng.random()
    if kind < 0.45:
        return _number(rng)
    if kind < 0.55:
        return rng.choice([None, True, False, "cosine", "linear", "", "x" * 10_000, b"bytes"])
    if kind < 0.72:
        n = rng.choice([0, 1, 2, 3, 5, 100, 100_000])
        if n > 10 or rng.random() < 0.5:
            return [float(i) for i in range(n)] if rng.random() < 0.5 else list(range(n, 0, -1))
        return [_value(rng, names, depth + 1) for _ in range(n)]
    if kind < 0.92 and depth < 6:
        return _config(rng, names, depth + 1)
    if kind < 0.96:
        return {"name": rng.choice(names)}  # no args
    return {"args": {"x": 1}, "format": rng.choice([1, 2, "1", None])}


def _config(rng: random.Random, names: list[str], depth: int = 0):
    import dataclasses

    import lrplan

    name = rng.choice(names)
    if rng.random() < 0.03:
        name = rng.choice(["cosin", "mypkg.thing", "", 7, None, "__import__"])
    try:
        fields = [f.name for f in dataclasses.fields(lrplan.registered()[name]) if f.init]
    except (KeyError, TypeError):
        fields = ["init_value", "decay_steps"]
    args = {f: _value(rng, names, depth) for f in fields if rng.random() < 0.8}
    if rng.random() < 0.05:
        args[rng.choice(["bogus", "init_valu", "steps"])] = 1
    config = {"name": name, "args": args}
    if rng.random() < 0.05:
        config["format"] = rng.choice([1, 0, 2, True, "1", 10**400])
    return config


def _deep(rng: random.Random, depth: int):
    config = {"name": "constant", "args": {"value": 0.1}}
    for _ in range(depth):
        config = {"name": "warmup", "args": {"schedule": config, "steps": rng.choice([1, 2.5])}}
    return config


def _spec_text(x) -> str:
    """The raw config written as spec text, whatever it holds (a fuzzed spec of the same shape)."""
    if isinstance(x, dict):
        inner = (
            ", ".join(f"{k}={_spec_text(v)}" for k, v in dict(x.get("args") or {}).items())
            if isinstance(x.get("args"), dict)
            else ""
        )
        return f"{x.get('name')}({inner})"
    if isinstance(x, list):
        return "[" + ", ".join(_spec_text(v) for v in x[:1000]) + "]"
    if isinstance(x, int) and not isinstance(x, bool) and x.bit_length() > 10_000:
        return "1" + "0" * 5000
    return repr(x)


def _items(x) -> int:
    """How many values a config holds, nested ones included."""
    stack, n = [x], 0
    while stack:
        node = stack.pop()
        n += 1
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return n


def main() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    seed, count = int(sys.argv[1]), int(sys.argv[2])

    import lrplan

    try:
        from omegaconf import OmegaConf
    except ImportError:  # the fuzz still runs on plain containers
        OmegaConf = None

    rng = random.Random(seed)
    names = sorted(lrplan.registered())
    report = {"configs": 0, "built": 0, "refused": 0, "errors": {}}

    def check(call, what):
        try:
            return call()
        except lrplan.LrplanError as exc:
            if not isinstance(exc, ValueError):
                raise AssertionError(f"{what}: {type(exc).__name__} is not a ValueError") from exc
            if len(str(exc)) > 2000:
                raise AssertionError(f"{what}: a message of {len(str(exc))} characters") from exc
            name = type(exc).__name__
            report["errors"][name] = report["errors"].get(name, 0) + 1
            return None

    for i in range(count):
        config = _deep(rng, rng.choice([30, 64, 65, 200])) if rng.random() < 0.03 else _config(rng, names)
        given = config
        if OmegaConf is not None and rng.random() < 0.15 and _items(config) < 1000:  # OmegaConf is slow
            try:
                given = OmegaConf.create(config)
            except Exception:  # OmegaConf refuses some values (bytes, huge ints): fuzz the plain dict then
                given = config
        what = f"config #{i}: {lrplan._validate.shown(config)}"
        try:
            built = check(lambda: lrplan.from_config(given), what)
            if built is None:
                report["refused"] += 1
            else:
                report["built"] += 1
                assert lrplan.from_config(json.loads(json.dumps(lrplan.to_config(built)))) == built, what
                assert lrplan.parse(str(built)) == built, what
            text = _spec_text(config)
            parsed = check(lambda: lrplan.parse(text), f"spec of {what}")
            if parsed is not None:
                assert lrplan.parse(str(parsed)) == parsed, what
        except Exception as exc:
            print(f"{what}\n{type(exc).__name__}: {str(exc)[:2000]}")
            raise
        report["configs"] += 1
    print(json.dumps(report))


if __name__ == "__main__":
    main()
