"""Make docs/images/lab_search.png from the report of a finished search (its "search" figure).

lrplan lab search digits-lr --out /tmp/digits-lr --seed 0
python docs/build_search_image.py /tmp/digits-lr
"""

from __future__ import annotations

import base64
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # use this tree's lrplan

from PIL import Image  # noqa: E402

from lrplan.lab.report import write_report  # noqa: E402

TARGET = ROOT / "docs" / "images" / "lab_search.png"


def build(folder: Path) -> Path:
    html = write_report(folder).read_text()
    found = re.search(r'<img data-figure="search" src="data:image/png;base64,([^"]+)"', html)
    if found is None:
        raise SystemExit(f"{folder}: the report has no search figure (is it a search folder?)")
    image = Image.open(io.BytesIO(base64.b64decode(found.group(1)))).convert("RGB")
    image.quantize(colors=64).save(TARGET, optimize=True)
    return TARGET


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(build(Path(arg)))
