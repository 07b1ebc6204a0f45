"""Random study files: loading one gives a Study or a StudyError, nothing else, within time and memory bounds.

The fuzzing runs in a child process under ``resource.setrlimit`` (address space and CPU time), so a
value that made the lab allocate without bound or loop would fail the test instead of the machine.
Cases are drawn from a seeded generator: the same files on every run.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[2] / "src")
resource = pytest.importorskip("resource")

FUZZ = textwrap.dedent(
    r"""
    import json, math, random, resource, sys, tempfile
    from pathlib import Path

    limit = int(sys.argv[2]) << 20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    resource.setrlimit(resource.RLIMIT_CPU, (int(sys.argv[3]), int(sys.argv[3])))

    import yaml
    from lrplan.lab import StudyError
    from lrplan.lab.study import MAX_RUNS, load_study, study_from_dict

    rng = random.Random(int(sys.argv[1]))
    VALID = {
        "name": "fuzz", "steps": 50, "eval_every": 10, "seeds": 2, "grad_clip": 1.0, "threads": 1,
        "tasks": ["digits-mlp", {"name": "charlm", "options": {"heads": 2, "d_model": 8}, "label": "lm"}],
        "optimizers": ["adam", {"name": "sgd-momentum", "lr": 0.1, "options": {"nesterov": True}}],
        "schedules": ["constant(1.0)", {"spec": "cosine(init_value=1.0, decay_steps={steps*0.5})", "label": "c"}],
        "lrs": [0.01, 0.1], "targets": {"digits-mlp": 0.9},
    }
    ATOMS = [0, 1, -1, 2**31, 2**63, 10**400, 0.5, -0.0, 1e308, math.nan, math.inf, -math.inf, True, None, "",
             "x" * 300, "..", "constant(1.0)", "{steps*1e308}", "cosine(init_value=1.0, decay_steps={steps/0})",
             "warmup(" * 70 + "constant(1.0)" + ", steps=1)" * 70, [], {}, [0.9, 0.999], [2, 0.5]]
    KEYS = list(VALID) + ["options", "lr", "label", "spec", "name", "heads", "betas", "momentum", "batch_size",
                          "val_batches", "eps", "nesterov", "alpha", "unknown", 3]

    def value(depth=0):
        r = rng.random()
        if depth > 40 or r < 0.55:
            return rng.choice(ATOMS)
        if r < 0.75:
            return [value(depth + 1) for _ in range(rng.randint(0, 4))]
        if r < 0.9:
            return {rng.choice(KEYS): value(depth + 1) for _ in range(rng.randint(0, 4))}
        nest = rng.randint(1, 60)  # deep nesting
        out = rng.choice(ATOMS)
        for _ in range(nest):
            out = [out]
        return out

    def mutate(obj, depth=0):
        if isinstance(obj, dict) and obj:
            obj = dict(obj)
            key = rng.choice(list(obj))
            r = rng.random()
            if r < 0.3:
                del obj[key]
            elif r < 0.6:
                obj[key] = value()
            elif r < 0.8:
                obj[key] = mutate(obj[key], depth + 1)
            else:
                obj[rng.choice(KEYS)] = value()
            return obj
        if isinstance(obj, list) and obj:
            obj = list(obj)
            i = rng.randrange(len(obj))
            obj[i] = mutate(obj[i], depth + 1) if rng.random() < 0.5 else value()
            if rng.random() < 0.2:
                obj = obj * rng.choice([2, 1000])
            return obj
        return value()

    tmp = Path(tempfile.mkdtemp())
    seen = {"study": 0, "StudyError": 0}
    for i in range(int(sys.argv[4])):
        data = VALID
        for _ in range(rng.randint(1, 4)):
            data = mutate(data)
        kind = rng.random()
        try:
            if kind < 0.5:
                result = study_from_dict(data, source="fuzz")
            else:
                path = tmp / f"s{i}.yaml"
                try:
                    text = yaml.safe_dump(data, allow_unicode=True)
                except (yaml.YAMLError, RecursionError):
                    text = repr(data)
                raw = bytearray(text.encode())
                for _ in range(rng.choice([0, 0, 1, 5])):  # flip a few bytes
                    if raw:
                        raw[rng.randrange(len(raw))] = rng.randrange(256)
                path.write_bytes(bytes(raw))
                result = load_study(path)
        except StudyError:
            seen["StudyError"] += 1
            continue
        seen["study"] += 1
        runs = result.runs()
        assert 0 < len(runs) <= MAX_RUNS
        for run in runs[:3]:
            assert len(run.key()) == 16
    print(json.dumps(seen))
    """
)


def test_random_study_files_give_a_study_or_a_study_error(tmp_path):
    script = tmp_path / "fuzz.py"
    script.write_text(FUZZ)
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", ""), "OPENBLAS_NUM_THREADS": "1"}
    cases, memory_mib, cpu_s = 3000, 2048, 240
    result = subprocess.run(
        [sys.executable, str(script), "20240601", str(memory_mib), str(cpu_s), str(cases)],
        capture_output=True,
        text=True,
        env=env,
        timeout=2 * cpu_s,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["study"] + seen["StudyError"] == cases
    assert seen["study"] > 50 and seen["StudyError"] > 500  # both outcomes are exercised
