"""The distributions: what the wheel and the sdist carry, the metadata the index shows, and fresh installs.

The sdist carries the package, the licence, the readmes and the changelog, and no tests (they need the
repository); the wheel is built from that sdist, so the sdist is shown to be complete. Fresh virtual
environments get the wheel with ``--no-deps`` plus only what each case needs, and a missing extra must be
named in one line with exit status 2, before anything starts.
"""

from __future__ import annotations

import email
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import lrplan

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "lrplan"
EXTRAS = {"torch", "jax", "keras", "plot", "cli", "lab", "laws", "search", "lrfree", "all", "dev"}


@pytest.fixture(scope="module")
def dists(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return wheel, sdist


def test_wheel_carries_the_package_its_licence_and_no_tests(dists):
    wheel, _ = dists
    assert wheel.name == f"lrplan-{lrplan.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
    info = f"lrplan-{lrplan.__version__}.dist-info"
    package = {n for n in names if n.startswith("lrplan/")}
    expected = {f"lrplan/{p.relative_to(SRC).as_posix()}" for p in SRC.rglob("*") if p.is_file()}
    expected = {n for n in expected if "__pycache__" not in n and not n.endswith(".pyc")}
    assert package == expected
    assert "lrplan/py.typed" in names and f"{info}/licenses/LICENSE" in names
    assert not any(n.startswith(("tests/", "docs/", "benchmarks/")) for n in names)
    assert names - package <= {n for n in names if n.startswith(info + "/")}


def test_wheel_metadata_renders_on_the_index(dists):
    wheel, _ = dists
    with zipfile.ZipFile(wheel) as z:
        info = f"lrplan-{lrplan.__version__}.dist-info"
        meta = email.message_from_string(z.read(f"{info}/METADATA").decode())
        entry_points = z.read(f"{info}/entry_points.txt").decode()
    assert meta["Name"] == "lrplan" and meta["Version"] == lrplan.__version__
    assert meta["License-Expression"] == "Apache-2.0"
    assert set(meta.get_all("Provides-Extra")) == EXTRAS
    requires = meta.get_all("Requires-Dist")
    assert [r for r in requires if "extra ==" not in r] == ["numpy>=1.24"]
    assert meta["Description-Content-Type"] == "text/markdown"
    body = meta.get_payload()
    assert "pip install lrplan" in body
    assert re.findall(r"\]\((?!https?://)[^)]*\)", body) == []  # no relative links or images on the index
    assert len(meta.get_all("Classifier")) >= 5 and meta["Keywords"]
    assert re.search(r"^lrplan = lrplan\.cli:main$", entry_points, flags=re.M)


def test_sdist_carries_the_package_and_no_tests(dists):
    _, sdist = dists
    with tarfile.open(sdist) as t:
        names = {n.split("/", 1)[1] for n in t.getnames() if "/" in n}
    assert {"pyproject.toml", "LICENSE", "README.md", "CHANGELOG.md", "PKG-INFO", "src/lrplan/__init__.py"} <= names
    assert not any(n.startswith(("tests/", "benchmarks/", ".ci/", "requirements/")) for n in names)
    assert {n for n in names if n.startswith("docs/")} == {"docs/package_readme.md"}


# ------------------------------------------------------------------------------------------ fresh installs
CLEAN = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def _venv(tmp_path: Path, wheel: Path, *packages: str) -> Path:
    env_dir = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True, timeout=120, env=CLEAN)
    python = env_dir / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--no-deps", str(wheel)], check=True, timeout=600, env=CLEAN)
    if packages:
        subprocess.run([*pip, *packages], check=True, timeout=900, env=CLEAN)
    return env_dir


def _run(env_dir: Path, *argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(env_dir / "bin" / argv[0]), *argv[1:]], capture_output=True, text=True, cwd=cwd, env=CLEAN, timeout=300
    )


@pytest.mark.slow
def test_core_only_install_names_the_cli_extra(dists, tmp_path):
    env_dir = _venv(tmp_path, dists[0], "numpy")
    ok = _run(
        env_dir, "python", "-c", "import lrplan; print(lrplan.cosine(init_value=1.0, decay_steps=10)(5))", cwd=tmp_path
    )
    assert ok.returncode == 0 and ok.stdout == "0.5\n", ok.stderr
    for argv in (("lrplan", "show", "cosine(init_value=1.0, decay_steps=10)"), ("python", "-m", "lrplan", "--help")):
        done = _run(env_dir, *argv, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "pip install 'lrplan[cli]'" in done.stderr


@pytest.mark.slow
def test_cli_only_install_names_the_lab_extra_before_starting_anything(dists, tmp_path):
    env_dir = _venv(tmp_path, dists[0], "numpy", "typer", "rich", "pyyaml", "matplotlib")
    shown = _run(env_dir, "lrplan", "show", "cosine(init_value=1.0, decay_steps=10)", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    for argv in (("lrplan", "lab", "demo"), ("lrplan", "lab", "run", "quick"), ("lrplan", "lab", "report", ".")):
        done = _run(env_dir, *argv, cwd=tmp_path)
        assert done.returncode == 2, (argv, done.stdout, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "pip install 'lrplan[lab]'" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["venv"]  # nothing was written: no run started
