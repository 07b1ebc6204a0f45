"""The ``lrplan`` command: see, sample and compare schedules before spending compute.

Every SCHEDULE argument accepts, tried in this order:

1. spec text, the call syntax of the Python API: ``"warmup(cosine(init_value=3e-4, decay_steps=10_000), steps=500)"``;
2. a JSON or YAML file holding a config as written by :func:`lrplan.to_config` (or a spec string, or an
   adapter state ``{"schedule": config, ...}``);
3. a preset call, ``"torch.CosineAnnealingLR(base_lr=0.1, T_max=100)"`` (``"preset:"`` in front skips
   steps 1 and 2): literal arguments only, each read with :func:`ast.literal_eval`.

What is shown, sampled or plotted is computed by the same function that drives training.
Subcommands: ``show``, ``plot``, ``sample``, ``compare``, ``list``, ``explain``, ``demo`` (and ``lab``
where the training lab is installed). Bad input gets one clear message on stderr and exit status 2,
never a traceback; ``compare`` exits with 1 when the schedules differ.

The command needs the ``cli`` extra (``pip install 'lrplan[cli]'``: typer, rich, pyyaml, matplotlib);
they are imported when a command runs, so ``import lrplan`` and ``import lrplan.cli`` stay light.
The modules of this package, by job: ``_resolve`` (SCHEDULE arguments), ``_steps`` (step ranges),
``_summary`` (evaluation in chunks, summaries, comparisons), ``_chart`` (the terminal chart), ``_docs``
(docstrings as terminal text), ``_term`` (terminal output, exit statuses), ``_commands`` (what each
command does), ``_app`` (the typer application: options, help, completion, the lab), ``_fast`` (a
quick reader of ``show`` and ``sample`` command lines that needs no typer), and this module (the entry
point). ``lrplan show`` and ``lrplan sample`` start without importing typer or rich.

Example:
    >>> from lrplan.cli import resolve
    >>> resolve("cosine(init_value=1.0, decay_steps=10)")(5)
    0.5
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Sequence
from typing import Any

from ._chart import braille_chart
from ._demo import DEMO_SCHEDULES, DEMO_STEPS
from ._errors import CliError
from ._fast import quick_command
from ._resolve import PRESET_PREFIX, load_file, resolve
from ._steps import auto_steps
from ._summary import PROGRESS_ABOVE, Summary, summarize
from ._term import guarded

__all__ = [
    "main",
    "app",
    "resolve",
    "load_file",
    "auto_steps",
    "summarize",
    "braille_chart",
    "Summary",
    "CliError",
    "DEMO_SCHEDULES",
    "DEMO_STEPS",
    "PRESET_PREFIX",
    "PROGRESS_ABOVE",
    "EXTRA_HINT",
]

EXTRA_HINT = "the lrplan command needs the CLI extra: pip install 'lrplan[cli]'"
"""What ``lrplan`` prints (after ``Error:``) when typer or rich is not installed; the exit status is 2."""

_NEEDS = ("typer", "rich")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lrplan`` command with ``argv`` (default ``sys.argv[1:]``); return the exit status.

    Without the CLI extra installed it prints one line naming it and returns 2.

    Example:
        >>> main(["sample", "linear(init_value=1.0, end_value=0.0, decay_steps=4)", "--steps", "0:5:2"])
        step,lr
        0,1.0
        2,0.5
        4,0.0
        0
    """
    args = list(sys.argv[1:] if argv is None else argv)
    missing = [name for name in _NEEDS if importlib.util.find_spec(name) is None]
    if missing:
        sys.stderr.write(f"Error: {EXTRA_HINT} ({', '.join(missing)} not installed).\n")
        return 2
    quick = quick_command(args)
    if quick is not None:  # show and sample without building the typer application
        return guarded(quick)
    from ._app import run

    return run(args)


def __getattr__(name: str) -> Any:
    """``lrplan.cli.app``, the typer application, imported on first use (it needs typer)."""
    if name == "app":
        from ._app import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
