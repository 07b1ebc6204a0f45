"""Draw the docs pictures: docs/images/<name>.png for every registered schedule, docs/images/demo.png,
and the page that shows them, docs/gallery.md.

Each picture is drawn by the same function that drives training. A built-in schedule is drawn from the
representative instances below (several overlaid where a choice of shape matters); any other registered
schedule from the first call in its docstring Example.

    python docs/build_images.py            # or: make docs
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))  # draw with this tree's lrplan

import lrplan  # noqa: E402
from lrplan.cli import DEMO_SCHEDULES, DEMO_STEPS, auto_steps  # noqa: E402
from lrplan.plot import distinct_labels, save_plot  # noqa: E402

IMAGES = ROOT / "docs" / "images"
GALLERY = ROOT / "docs" / "gallery.md"
SIZE = (600, 300)

REPRESENTATIVE: dict[str, list[str]] = {
    "anneal": [
        f"anneal(init_value=1e-3, end_value=1e-5, steps=1000, shape='{shape}')"
        for shape in ("linear", "cosine", "1-sqrt", "square", "exponential")
    ],
    "clip": [
        "power_law(init_value=1e-3, scale_steps=50, exponent=-1.0)",
        "clip(power_law(init_value=1e-3, scale_steps=50, exponent=-1.0), min_value=1e-4, max_value=5e-4)",
    ],
    "constant": ["constant(1e-3)"],
    "cooldown": [
        "inverse_sqrt(peak_value=1e-3, warmup_steps=100)",
        "cooldown(inverse_sqrt(peak_value=1e-3, warmup_steps=100), start=700, steps=300)",
    ],
    "cosine": [
        "cosine(init_value=1e-3, decay_steps=1000)",
        "cosine(init_value=1e-3, decay_steps=1000, end_value=1e-4)",
    ],
    "cosine_restarts": [
        "cosine_restarts(init_value=1e-3, decay_steps=150, period_mult=2.0, peak_decay=0.7, max_cycles=3)",
    ],
    "cyclic": [
        "cyclic(init_value=1e-4, peak_value=1e-3, up_steps=100, down_steps=150)",
        "cyclic(init_value=1e-4, peak_value=1e-3, up_steps=100, down_steps=150, mode='triangular2')",
    ],
    "exponential": [
        "exponential(init_value=1e-3, decay_rate=0.5, decay_steps=200)",
        "exponential(init_value=1e-3, decay_rate=0.5, decay_steps=200, staircase=True, end_value=1e-4)",
    ],
    "inverse_sqrt": [
        "inverse_sqrt(peak_value=1e-3, warmup_steps=100)",
        "inverse_sqrt(peak_value=1e-3, warmup_steps=100, warmup_shape='constant')",
        "inverse_sqrt(peak_value=1e-3, warmup_steps=0, timescale=100)",
    ],
    "inverse_time": [
        "inverse_time(init_value=1e-3, decay_rate=1.0, decay_steps=100)",
        "inverse_time(init_value=1e-3, decay_rate=1.0, decay_steps=100, staircase=True)",
    ],
    "join": [
        "join([constant(1e-3), linear(init_value=1e-3, end_value=1e-4, decay_steps=500), constant(1e-4)], "
        "boundaries=[200, 700])"
    ],
    "linear": ["linear(init_value=1e-3, end_value=1e-4, decay_steps=800)"],
    "one_cycle": [
        "one_cycle(peak_value=1e-3, total_steps=1000)",
        "one_cycle(peak_value=1e-3, total_steps=1000, shape='linear', three_phase=True)",
    ],
    "piecewise_constant": ["piecewise_constant(boundaries=[300, 600, 800], values=[1e-3, 5e-4, 1e-4, 1e-5])"],
    "polynomial": [
        "polynomial(init_value=1e-3, end_value=0.0, decay_steps=1000, power=2.0)",
        "polynomial(init_value=1e-3, end_value=0.0, decay_steps=1000, power=0.5)",
    ],
    "power_law": [
        "power_law(init_value=1e-3, scale_steps=100, exponent=-0.5)",
        "power_law(init_value=1e-3, scale_steps=100, exponent=-1.0)",
    ],
    "product": [
        "product([linear(init_value=0.0, end_value=1.0, decay_steps=200), cosine(init_value=1e-3, decay_steps=1000)])"
    ],
    "scale": [
        "cosine(init_value=1e-3, decay_steps=1000)",
        "scale(cosine(init_value=1e-3, decay_steps=1000), factor=0.5)",
    ],
    "shift": [
        "cosine(init_value=1e-3, decay_steps=800)",
        "shift(cosine(init_value=1e-3, decay_steps=800), steps=200)",
    ],
    "step_decay": ["step_decay(init_value=1e-3, decay_rate=0.5, decay_steps=200)"],
    "warmup": [
        "warmup(cosine(init_value=1e-3, decay_steps=1000), steps=100)",
        "warmup(cosine(init_value=1e-3, decay_steps=1000), steps=100, init_value=1e-5, shape='exponential')",
    ],
    "wsd": [
        "wsd(peak_value=1e-3, warmup_steps=100, stable_steps=600, decay_steps=300)",
        "wsd(peak_value=1e-3, warmup_steps=100, stable_steps=600, decay_steps=300, decay_shape='linear')",
    ],
}


def docstring_example(name: str, cls: type) -> str | None:
    """The first ``lrplan.<name>(...)`` call in ``cls``'s docstring, as spec text (``lrplan.`` removed)."""
    code = "\n".join(
        line.strip()[4:]
        for line in (inspect.getdoc(cls) or "").split("\n")
        if line.strip().startswith((">>> ", "... "))
    )
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and ast.unparse(node.func) in (f"lrplan.{name}", name):
            text = ast.unparse(node).replace("lrplan.", "")
            try:
                lrplan.parse(text)
            except lrplan.LrplanError:
                continue
            return text
    return None


def summary(cls: type) -> str:
    first = (inspect.getdoc(cls) or "").strip().split("\n", 1)[0]
    first = re.sub(r":math:`([^`]*)`", r"$\1$", first)
    first = re.sub(r":\w+:`~?([^`]*)`", r"`\1`", first)
    first = re.sub(r"\s*\(seeds? [\d, and]+\)", "", first)  # internal bookkeeping, not for readers
    return first.replace("``", "`")


def quantize(path: Path) -> None:
    """Store the PNG with a 256-colour palette: a quarter of the size, no visible change."""
    from PIL import Image

    with Image.open(path) as im:
        small = im.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    lines = [
        "# Gallery",
        "",
        "Every registered schedule, drawn by the same function that drives training",
        "(generated by `docs/build_images.py`; run `make docs` after adding a schedule).",
        "Reproduce any picture in the terminal with `lrplan show '<spec>'`, or as an image with",
        "`lrplan plot '<spec>' -o curve.png`.",
        "",
        "## Seven classic schedules",
        "",
        "![Seven classic learning-rate schedules overlaid](images/demo.png)",
        "",
        "Inverse square root (with a constant phase, as T5, or after a linear warmup, as the Transformer),",
        "linear decay to a floor, a power law, exponential decay, step decay and inverse time (1/t), all",
        "from 0.01. `lrplan demo` shows each of them in the terminal and writes this picture to",
        "`out/schedules.png`.",
        "",
    ]
    demo = IMAGES / "demo.png"
    save_plot(DEMO_SCHEDULES, DEMO_STEPS, demo, size=(800, 400), title="Seven classic learning-rate schedules from 0.01")
    quantize(demo)
    for name, cls in lrplan.registered().items():
        specs = REPRESENTATIVE.get(name)
        if specs is None:
            example = docstring_example(name, cls)
            if example is None:
                print(f"skipped {name}: no representative instance and no docstring example")
                continue
            specs = [example]
        schedules = [lrplan.parse(s) for s in specs]
        steps = auto_steps(*schedules)
        path = IMAGES / f"{name}.png"
        labels = distinct_labels(schedules, width=60)  # the page lists the full specs under the picture
        save_plot(schedules, steps, path, size=SIZE, title=name, labels=labels)
        quantize(path)
        lines += [f"## `{name}`", "", summary(cls), "", f"![{name}](images/{name}.png)", "", "```text"]
        lines += [*specs, "```", ""]
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} KB)")
    GALLERY.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    print(f"wrote {GALLERY.relative_to(ROOT)} and {demo.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
