"""The docs site builds in strict mode and its pages render offline in a headless browser."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
MATHJAX = ROOT / "docs" / "vendor" / "mathjax" / "tex-svg.js"
CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not MATHJAX.is_file():
        pytest.fail("MathJax is not in docs/vendor: run `make docs` once (it fetches it from the npm registry)")
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out


def test_every_schedule_has_an_api_page_with_its_formula_and_picture(site):
    import lrplan

    for name in (n for n in lrplan.registered() if "." not in n):
        page = (site / "api" / f"{name}.html").read_text(encoding="utf-8")
        assert f'src="../images/{name}.png"' in page, name
        assert "doc-section-title" in page or "Parameters" in page, name
    cosine = (site / "api" / "cosine.html").read_text(encoding="utf-8")
    assert 'class="arithmatex"' in cosine and r"\cos\frac{\pi \min(s, K)}{K}" in cosine
    assert "&gt;&gt;&gt;" not in cosine or "highlight" in cosine  # the example is a code block, not prose


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def served(site):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    offline = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"  # any request off this machine fails: the page must not need one
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--host-resolver-rules={offline}",
        "--virtual-time-budget=15000",
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (Debian/Ubuntu package: chromium) for the headless check")
def test_cosine_page_renders_its_formula_and_picture_offline(served, tmp_path):
    url = f"{served}/api/cosine.html"
    dom = _chromium("--dump-dom", url).stdout
    assert 'data-images-loaded="1/1"' in dom  # the gallery picture loaded
    assert dom.count("<mjx-container") >= 3  # MathJax typeset the formula and the inline math
    assert 'jax="SVG"' in dom and '<g data-mml-node="merror"' not in dom  # rendered, with no TeX error
    shot = tmp_path / "cosine.png"
    _chromium("--window-size=1200,1600", f"--screenshot={shot}", url)
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (1600, 1200)
    assert np.std(pixels[..., :3]) > 0.05  # not a blank page
