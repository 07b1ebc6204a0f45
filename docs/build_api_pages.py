"""Write the API reference pages of the docs site: one page per schedule, one per other public module.

Run ``python docs/build_api_pages.py`` after adding a schedule (``tests/test_completeness.py`` checks that
every registered schedule has its page). Each schedule page shows the gallery picture and the docstring,
rendered by mkdocstrings (formula, arguments, example, references).
"""

from __future__ import annotations

from pathlib import Path

import lrplan

API = Path(__file__).resolve().parent / "api"

GROUPS = {
    "core": (
        "Schedules as values",
        "The base class, the spec language, configs, the registry, the field helpers and the errors.",
        [
            "lrplan.Schedule",
            "lrplan.parse",
            "lrplan.to_config",
            "lrplan.from_config",
            "lrplan.register",
            "lrplan.registered",
            "lrplan.Ops",
            "lrplan.fields",
            "lrplan.LrplanError",
            "lrplan.ConfigError",
            "lrplan.SpecError",
            "lrplan.StepError",
            "lrplan.UnknownScheduleError",
        ],
    ),
    "monitor": (
        "Reduce on plateau and the LR range test",
        "Metric-driven schedules as pure state machines, and the analysis of an LR range test.",
        ["lrplan.Plateau", "lrplan.suggest_lr", "lrplan.Suggestion", "lrplan.plot_range_test"],
    ),
    "clocks": (
        "Clocks, batch sizes, scaling rules and continued training",
        "Batch-size schedules and their data-loader splits, the helpers of continued training, and the scaling "
        "rules as explicit, cited transforms (see also the clocks guide).",
        [
            "lrplan.BatchSchedule",
            "lrplan.BatchSplit",
            "lrplan.rewarm",
            "lrplan.cooldown_branches",
            "lrplan.linear_scaling",
            "lrplan.sqrt_scaling",
            "lrplan.AdamScaling",
            "lrplan.adamw_timescale",
            "lrplan.weight_decay_for_timescale",
            "lrplan.independent_weight_decay",
            "lrplan.mup_lr_multipliers",
        ],
    ),
    "laws": (
        "Loss-curve laws",
        "Predict the loss of any schedule from a few runs, optimize the schedule, transfer a tuned LR: "
        "`pip install 'lrplan[laws]'` (see also the laws guide).",
        ["lrplan.laws"],
    ),
    "torch": ("PyTorch", "The PyTorch adapter: `pip install 'lrplan[torch]'`.", ["lrplan.torch"]),
    "optax": ("JAX and optax", "The optax glue: `pip install 'lrplan[jax]'`.", ["lrplan.optax"]),
    "keras": ("Keras 3", "The Keras adapter: `pip install 'lrplan[keras]'`.", ["lrplan.keras"]),
    "presets": (
        "Presets",
        "Other libraries' schedules, reproduced exactly and returned as lrplan schedules.",
        ["lrplan.presets"]
        + [
            f"lrplan.presets.{m}"
            for m in ("torch", "keras", "optax", "hf", "timm", "fairseq", "t5", "big_vision", "megatron")
        ],
    ),
    "plot": ("Plots", "Pictures of schedules: `pip install 'lrplan[plot]'`.", ["lrplan.plot"]),
}


def schedule_page(name: str, cls: type) -> str:
    return (
        f"# {name}\n\n"
        f"`lrplan.{name}` is `lrplan.{cls.__name__}`; in a spec or config it is called `{name}`.\n\n"
        f"![{name}](../images/{name}.png)\n\n"
        f"::: lrplan.{cls.__name__}\n"
    )


def group_page(title: str, intro: str, members: list[str]) -> str:
    return f"# {title}\n\n{intro}\n\n" + "\n".join(f"::: {m}\n" for m in members)


def index_page(schedules: dict[str, type]) -> str:
    rows = "\n".join(f"| [`{n}`]({n}.md) | {(c.__doc__ or '').strip().splitlines()[0]} |" for n, c in schedules.items())
    groups = "\n".join(f"- [{title}]({key}.md): {intro}" for key, (title, intro, _) in GROUPS.items())
    return (
        "# API reference\n\n"
        "Every page is generated from the docstrings: the formula, the arguments, an example that runs as a\n"
        "doctest, and references.\n\n"
        f"{groups}\n\n## Schedules and combinators\n\n| name | what it is |\n|---|---|\n{rows}\n"
    )


def main() -> None:
    API.mkdir(exist_ok=True)
    schedules = {n: c for n, c in lrplan.registered().items() if "." not in n}
    for name, cls in schedules.items():
        (API / f"{name}.md").write_text(schedule_page(name, cls), encoding="utf-8")
    for key, (title, intro, members) in GROUPS.items():
        (API / f"{key}.md").write_text(group_page(title, intro, members), encoding="utf-8")
    (API / "index.md").write_text(index_page(schedules), encoding="utf-8")
    print(f"wrote {len(schedules) + len(GROUPS) + 1} pages to {API}")


if __name__ == "__main__":
    main()
