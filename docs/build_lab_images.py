"""Make docs/images/lab_<study>.png from the report of a finished built-in study.

The report's figures of the study's last stage (one per task, side by side; the report embeds them
as ``data:`` URIs named by ``data-figure="<task>-<steps>"``) are joined, scaled down and stored with
a 64-colour palette, so each picture stays well under 80 KB.

    lrplan lab run e1 --out /tmp/lab-e1
    python docs/build_lab_images.py /tmp/lab-e1 [/tmp/lab-e2 ...]
"""

from __future__ import annotations

import base64
import io
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # use this tree's lrplan

from PIL import Image, ImageDraw  # noqa: E402

from lrplan.lab.report import write_report  # noqa: E402

IMAGES = ROOT / "docs" / "images"
HEIGHT = 640  # pixels


def build(folder: Path) -> Path:
    report = write_report(folder)
    manifest = json.loads((folder / "study.json").read_text())
    name = manifest.get("builtin") or manifest["study"]["name"]
    steps = manifest["study"]["steps"]
    embedded = dict(re.findall(r'<img data-figure="([^"]+)" src="data:image/png;base64,([^"]+)"', report.read_text()))
    figures = sorted((name for name in embedded if name.endswith(f"-{steps}")), reverse=True)  # e2: pre-LN left
    if not figures:
        raise SystemExit(f"{folder}: the report has no figure for {steps} steps")
    parts = [Image.open(io.BytesIO(base64.b64decode(embedded[f]))).convert("RGB") for f in figures]
    parts = [p.resize((round(p.width * HEIGHT / p.height), HEIGHT), Image.LANCZOS) for p in parts]
    joined = Image.new("RGB", (sum(p.width for p in parts), HEIGHT), "white")
    x = 0
    draw = ImageDraw.Draw(joined)
    for p, f in zip(parts, figures, strict=True):
        joined.paste(p, (x, 0))
        if len(parts) > 1:  # name each panel by its task (the report's file name without the steps)
            draw.text((x + 8, 6), f.rsplit("-", 1)[0], fill="black", font_size=16)
        x += p.width
    out = IMAGES / f"lab_{name}.png"
    joined.quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(out, optimize=True)
    print(f"{out.relative_to(ROOT)}: {out.stat().st_size / 1024:.0f} KB from {', '.join(figures)}")
    return out


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        build(Path(arg))
