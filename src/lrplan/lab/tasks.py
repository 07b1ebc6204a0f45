"""Training tasks: what a lab run trains, and the registry users add their own tasks to.

A :class:`Task` is a name, default options, the metric it reports and a ``build(options, seed)``
function that returns a :class:`Problem`: a PyTorch model, a ``loss(k)`` function giving the
training loss on the batch of the k-th update, and an ``evaluate()`` function giving validation
figures. Everything is built from the seed, so a run is deterministic for a given seed and thread
count. Torch is imported only when a task is built.

Built-in tasks (all offline):

* ``digits-mlp`` / ``digits-logreg``: scikit-learn's bundled 8x8 digits (1797 images) with a fixed
  stratified 75/25 split (1347 train / 450 test); a 64-128-10 ReLU MLP or multinomial logistic
  regression. Metric: test accuracy.
* ``charlm``: a byte-level Transformer language model (``norm: pre`` or ``post``) on the source files
  of the running Python's standard library: the top-level ``*.py`` files in sorted order, concatenated
  up to ``max_bytes``, split 90/10. The Python version and the SHA-256 of the text are recorded.
  Metric: validation cross-entropy in nats per byte over fixed (paired) validation batches.
* ``mnist``: MNIST from the IDX files in the directory ``root`` (never downloaded). Metric: test accuracy.

Example:
    >>> from lrplan.lab import tasks
    >>> sorted(tasks.tasks())
    ['charlm', 'digits-logreg', 'digits-mlp', 'mnist']
    >>> tasks.get_task("digits-mlp").metric
    'accuracy'
    >>> tasks.resolve_options(tasks.get_task("charlm"), {"norm": "post"})["norm"]
    'post'
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import math
import platform
import sysconfig
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .checks import Bound, short
from .errors import IdxError, LabError
from .idx import read_idx

if TYPE_CHECKING:
    import torch

__all__ = [
    "Problem",
    "Task",
    "register_task",
    "get_task",
    "tasks",
    "resolve_options",
    "stdlib_text",
    "load_mnist",
]


@dataclass
class Problem:
    """A built task, ready to train.

    Attributes:
        model: the module whose parameters the optimizer updates.
        loss: ``loss(k)`` -> scalar training loss tensor on the batch of update ``k`` (k from 0).
        evaluate: ``evaluate()`` -> ``{"val_loss": ..., <metric>: ..., ...}`` as Python floats (no grad).
        info: facts about the data worth recording (sizes, hashes, versions).
        data_state: ``data_state()`` -> the state of the training-batch stream (for checkpoints), or
            ``None`` when the task cannot save it.
        load_data_state: restores what ``data_state`` returned.
    """

    model: torch.nn.Module
    loss: Callable[[int], torch.Tensor]
    evaluate: Callable[[], dict[str, float]]
    info: dict[str, Any] = field(default_factory=dict)
    data_state: Callable[[], dict[str, Any]] | None = None
    load_data_state: Callable[[dict[str, Any]], None] | None = None


@dataclass(frozen=True)
class Task:
    """A registered task.

    Attributes:
        name: registry name, e.g. ``"digits-mlp"``.
        build: ``build(options, seed) -> Problem``; ``options`` are complete (defaults merged).
        defaults: every option the task accepts with its default (``None``: required or optional path).
        metric: the key of ``evaluate()`` that the report ranks by.
        mode: ``"max"`` if a larger metric is better, ``"min"`` otherwise.
        target: default target of the metric for "steps to reach target" (``None``: no target).
        description: one line for ``lrplan lab list``.
        choices: allowed values of string options, e.g. ``{"norm": ("pre", "post")}``.
        required: options that must be given (no usable default).
        bounds: the range of numeric options, e.g. ``{"heads": Bound(1, 256, integer=True)}``; other
            numeric options must be finite and >= 0.
        check: ``check(options) -> reason or None`` for rules between options (e.g. ``d_model``
            divisible by ``heads``), run on complete options.
    """

    name: str
    build: Callable[[dict[str, Any], int], Problem]
    defaults: Mapping[str, Any]
    metric: str
    mode: str
    target: float | None
    description: str
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    bounds: Mapping[str, Bound] = field(default_factory=dict)
    check: Callable[[dict[str, Any]], str | None] | None = None


_TASKS: dict[str, Task] = {}


def register_task(task: Task, *, replace: bool = False) -> Task:
    """Add ``task`` to the registry (``replace=True`` to overwrite a name); returns it.

    Example:
        >>> from lrplan.lab.tasks import Task, register_task, get_task
        >>> t = register_task(Task(name="doc-demo", build=lambda options, seed: None, defaults={"width": 8},
        ...                        metric="accuracy", mode="max", target=None, description="a demo"))
        >>> get_task("doc-demo").defaults["width"]
        8
    """
    if not isinstance(task, Task):
        raise LabError(f"register_task: expected a lrplan.lab.tasks.Task. Received: {task!r}.")
    if task.mode not in ("max", "min"):
        raise LabError(f"register_task: `mode` must be 'max' or 'min'. Received: mode={task.mode!r}.")
    if task.name in _TASKS and not replace:
        raise LabError(f"register_task: the task name {task.name!r} is taken; pass replace=True to overwrite it.")
    _TASKS[task.name] = task
    return task


def _suggest(name: object, names: list[str]) -> str:
    close = difflib.get_close_matches(str(name), names, n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else f" Known: {', '.join(sorted(names))}."


def get_task(name: str) -> Task:
    """The task registered as ``name``; :class:`~lrplan.lab.errors.LabError` with a suggestion if none."""
    try:
        return _TASKS[name]
    except (KeyError, TypeError):
        raise LabError(f"unknown task {name!r}.{_suggest(name, list(_TASKS))}") from None


def tasks() -> dict[str, Task]:
    """A copy of the task registry, sorted by name."""
    return dict(sorted(_TASKS.items()))


def _check_type(owner: str, key: str, value: Any, default: Any, bound: Bound | None) -> Any:
    if default is None:
        if value is None or (isinstance(value, str) and len(value) <= 4096):
            return value
        raise LabError(f"{owner}: option `{key}` must be a string. Received: {key}={short(value)}.")
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
        raise LabError(f"{owner}: option `{key}` must be true or false. Received: {key}={short(value)}.")
    if isinstance(default, (int, float)):
        bound = bound or Bound(0, integer=isinstance(default, int))
        if bound.check(value):
            return value if bound.integer else float(value)
        raise LabError(f"{owner}: option `{key}` must be {bound.describe()}. Received: {key}={short(value)}.")
    if isinstance(default, str):
        if isinstance(value, str):
            return value
        raise LabError(f"{owner}: option `{key}` must be a string. Received: {key}={short(value)}.")
    return value


def resolve_options(task: Task, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``task.defaults`` updated with ``options``; unknown keys, wrong types, values out of range and bad
    choices raise LabError."""
    if options is not None and not isinstance(options, Mapping):
        raise LabError(f"task {task.name!r}: `options` must be a mapping. Received: {short(options)}.")
    given = dict(options or {})
    unknown = sorted(map(str, set(given) - set(task.defaults)))
    if unknown:
        raise LabError(
            f"task {task.name!r}: unknown option(s) {short(unknown)}. Options: {sorted(task.defaults)}."
            + (_suggest(unknown[0], list(task.defaults)) if len(unknown) == 1 else "")
        )
    out = dict(task.defaults)
    for key, value in given.items():
        out[key] = _check_type(f"task {task.name!r}", key, value, task.defaults[key], task.bounds.get(key))
        allowed = task.choices.get(key)
        if allowed is not None and out[key] not in allowed:
            raise LabError(
                f"task {task.name!r}: option `{key}` must be one of {list(allowed)}. Received: {key}={short(value)}."
            )
    for key in task.required:
        if out.get(key) in (None, ""):
            raise LabError(f"task {task.name!r}: option `{key}` is required.")
    problem = task.check(out) if task.check is not None else None
    if problem:
        raise LabError(f"task {task.name!r}: {problem}")
    return out


# ------------------------------------------------------------------------------ classification
def _classifier(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    hidden: int,
    batch_size: int,
    seed: int,
    info: dict[str, Any],
) -> Problem:
    """A softmax classifier trained on shuffled minibatches (a new permutation each epoch)."""
    import torch
    import torch.nn.functional as F

    from ._models import mlp

    xtr = torch.as_tensor(x_train, dtype=torch.float32)
    ytr = torch.as_tensor(y_train, dtype=torch.long)
    xte = torch.as_tensor(x_test, dtype=torch.float32)
    yte = torch.as_tensor(y_test, dtype=torch.long)
    n_classes = int(max(int(ytr.max()), int(yte.max())) + 1)
    torch.manual_seed(seed)
    model = mlp(xtr.shape[1], hidden, n_classes)
    gen = torch.Generator().manual_seed(seed)
    n = xtr.shape[0]
    bs = min(batch_size, n)
    state: dict[str, Any] = {"perm": torch.randperm(n, generator=gen), "pos": 0}

    def loss(k: int) -> torch.Tensor:
        if state["pos"] + bs > n:
            state["perm"] = torch.randperm(n, generator=gen)
            state["pos"] = 0
        idx = state["perm"][state["pos"] : state["pos"] + bs]
        state["pos"] += bs
        return F.cross_entropy(model(xtr[idx]), ytr[idx])

    def evaluate() -> dict[str, float]:
        with torch.no_grad():
            logits = model(xte)
            train_logits = model(xtr[:10_000])
            return {
                "val_loss": float(F.cross_entropy(logits, yte)),
                "accuracy": float((logits.argmax(1) == yte).float().mean()),
                "train_loss_full": float(F.cross_entropy(train_logits, ytr[:10_000])),
            }

    def data_state() -> dict[str, Any]:
        return {"perm": state["perm"].clone(), "pos": state["pos"], "generator": gen.get_state()}

    def load_data_state(saved: dict[str, Any]) -> None:
        state["perm"], state["pos"] = saved["perm"].clone(), int(saved["pos"])
        gen.set_state(saved["generator"])

    info = {**info, "n_train": int(n), "n_test": int(xte.shape[0]), "batch_size": bs}
    return Problem(model, loss, evaluate, info, data_state, load_data_state)


_BATCH = Bound(1, 2**16, integer=True)
_HIDDEN = Bound(0, 2**16, integer=True)


@functools.lru_cache(maxsize=1)
def _digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits  # type: ignore[import-untyped]
    from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]

    data = load_digits()
    x = data.data.astype("float32") / 16.0
    y = data.target
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.25, stratify=y, random_state=0)
    return xtr, ytr, xte, yte


def _build_digits(options: dict[str, Any], seed: int, hidden: int) -> Problem:
    xtr, ytr, xte, yte = _digits()
    return _classifier(
        xtr,
        ytr,
        xte,
        yte,
        hidden=hidden,
        batch_size=options["batch_size"],
        seed=seed,
        info={"dataset": "sklearn digits"},
    )


register_task(
    Task(
        name="digits-mlp",
        build=lambda options, seed: _build_digits(options, seed, options["hidden"]),
        defaults={"batch_size": 32, "hidden": 128},
        metric="accuracy",
        mode="max",
        target=0.95,
        description="scikit-learn 8x8 digits, 64-128-10 ReLU MLP, fixed stratified 1347/450 split",
        bounds={"batch_size": _BATCH, "hidden": _HIDDEN},
    )
)
register_task(
    Task(
        name="digits-logreg",
        build=lambda options, seed: _build_digits(options, seed, 0),
        defaults={"batch_size": 32},
        metric="accuracy",
        mode="max",
        target=0.95,
        description="scikit-learn 8x8 digits, multinomial logistic regression (convex)",
        bounds={"batch_size": _BATCH},
    )
)


# ------------------------------------------------------------------------------ MNIST
def load_mnist(root: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte`` and
    ``t10k-labels-idx1-ubyte`` (each optionally ``.gz``) from ``root``; pixels scaled to [0, 1].

    Raises:
        IdxError: a file is missing or malformed, or images and labels disagree.
    """
    base = Path(root)
    if not base.is_dir():
        raise IdxError(f"{base}: the MNIST directory does not exist (the lab never downloads data).")

    def find(stem: str) -> Path:
        for name in (stem, stem + ".gz"):
            if (base / name).exists():
                return base / name
        raise IdxError(f"{base / stem}: IDX file not found (also tried {stem}.gz).")

    out = []
    for split in ("train", "t10k"):
        ipath, lpath = find(f"{split}-images-idx3-ubyte"), find(f"{split}-labels-idx1-ubyte")
        images, labels = read_idx(ipath), read_idx(lpath)
        if images.ndim != 3:
            raise IdxError(f"{ipath}: expected 3 dimensions (count, rows, cols). Received shape {images.shape}.")
        if labels.ndim != 1:
            raise IdxError(f"{lpath}: expected 1 dimension (count). Received shape {labels.shape}.")
        if images.shape[0] != labels.shape[0]:
            raise IdxError(f"{lpath}: {labels.shape[0]} labels for {images.shape[0]} images in {ipath.name}.")
        if labels.size and (labels.min() < 0 or labels.max() > 9):
            raise IdxError(f"{lpath}: labels must be in 0..9. Received values {labels.min()}..{labels.max()}.")
        out += [images.reshape(images.shape[0], -1).astype(np.float32) / 255.0, labels.astype(np.int64)]
    return out[0], out[1], out[2], out[3]


def _build_mnist(options: dict[str, Any], seed: int) -> Problem:
    xtr, ytr, xte, yte = load_mnist(options["root"])
    if options["limit"]:
        xtr, ytr = xtr[: options["limit"]], ytr[: options["limit"]]
    return _classifier(
        xtr,
        ytr,
        xte,
        yte,
        hidden=options["hidden"],
        batch_size=options["batch_size"],
        seed=seed,
        info={"dataset": "MNIST (IDX)", "root": str(options["root"])},
    )


register_task(
    Task(
        name="mnist",
        build=_build_mnist,
        defaults={"root": None, "batch_size": 64, "hidden": 128, "limit": 0},
        metric="accuracy",
        mode="max",
        target=0.97,
        description="MNIST from local IDX files (option root: DIR; never downloaded), 784-128-10 MLP",
        required=("root",),
        bounds={"batch_size": _BATCH, "hidden": _HIDDEN, "limit": Bound(0, 2**31, integer=True)},
    )
)


# ------------------------------------------------------------------------------ char LM
_MIN_TEXT = 10_000


@functools.lru_cache(maxsize=4)
def stdlib_text(max_bytes: int) -> tuple[bytes, dict[str, Any]]:
    """The top-level ``*.py`` files of this Python's standard library, sorted by name and concatenated,
    cut at ``max_bytes``; with a description (Python version, file count, SHA-256 of the text).

    The text differs between Python versions, so records keep the version and the hash.
    """
    root = Path(sysconfig.get_paths()["stdlib"])
    parts: list[bytes] = []
    total = 0
    files = sorted(root.glob("*.py"))
    used = 0
    for path in files:
        if total >= max_bytes:
            break
        data = path.read_bytes()[: max_bytes - total]
        parts.append(data)
        total += len(data)
        used += 1
    text = b"".join(parts)
    if len(text) < _MIN_TEXT:
        raise LabError(f"charlm: found only {len(text)} bytes of standard-library text under {root}.")
    info = {
        "text": "python stdlib top-level *.py, sorted",
        "python": platform.python_version(),
        "files": used,
        "bytes": len(text),
        "sha256": hashlib.sha256(text).hexdigest(),
    }
    return text, info


def _check_charlm(options: dict[str, Any]) -> str | None:
    if options["d_model"] % options["heads"]:
        return (
            f"`d_model` must be divisible by `heads`. Received: d_model={options['d_model']}, heads={options['heads']}."
        )
    val = options["max_bytes"] - int(options["max_bytes"] * 0.9)
    if options["context"] + 1 >= val:
        return (
            f"`context` must be < {val - 1}, the validation bytes of max_bytes={options['max_bytes']} less one. "
            f"Received: context={options['context']}."
        )
    return None


def _build_charlm(options: dict[str, Any], seed: int) -> Problem:
    import torch
    import torch.nn.functional as F

    from ._models import CharTransformer

    text, info = stdlib_text(options["max_bytes"])
    data = torch.frombuffer(bytearray(text), dtype=torch.uint8).long()
    split = int(len(data) * 0.9)
    train, val = data[:split], data[split:]
    ctx, bs = options["context"], options["batch_size"]
    if ctx + 1 >= len(val):  # the text on this machine is shorter than max_bytes
        raise LabError(
            f"task 'charlm': `context` must be < {len(val) - 1}, the validation bytes of this Python's text."
        )
    torch.manual_seed(seed)
    model = CharTransformer(
        d_model=options["d_model"], heads=options["heads"], layers=options["layers"], context=ctx, norm=options["norm"]
    )
    gen = torch.Generator().manual_seed(seed)
    offsets = torch.arange(ctx + 1)

    def batch(source: torch.Tensor, g: torch.Generator, n: int) -> torch.Tensor:
        starts = torch.randint(0, len(source) - ctx - 1, (n,), generator=g)
        return source[starts[:, None] + offsets]

    # fixed validation batches, the same for every run (paired comparisons)
    vgen = torch.Generator().manual_seed(12345)
    val_batches = [batch(val, vgen, bs) for _ in range(options["val_batches"])]

    def loss(k: int) -> torch.Tensor:
        xy = batch(train, gen, bs)
        logits = model(xy[:, :-1])
        return F.cross_entropy(logits.reshape(-1, 256), xy[:, 1:].reshape(-1))

    def evaluate() -> dict[str, float]:
        with torch.no_grad():
            total = 0.0
            for xy in val_batches:
                logits = model(xy[:, :-1])
                total += float(F.cross_entropy(logits.reshape(-1, 256), xy[:, 1:].reshape(-1)))
            v = total / len(val_batches)
            return {"val_loss": v, "bits_per_byte": v / math.log(2)}

    def data_state() -> dict[str, Any]:
        return {"generator": gen.get_state()}

    def load_data_state(saved: dict[str, Any]) -> None:
        gen.set_state(saved["generator"])

    params = sum(p.numel() for p in model.parameters())
    info = {**info, "train_bytes": int(split), "val_bytes": len(val), "parameters": int(params)}
    return Problem(model, loss, evaluate, info, data_state, load_data_state)


register_task(
    Task(
        name="charlm",
        build=_build_charlm,
        defaults={
            "norm": "pre",
            "layers": 2,
            "d_model": 64,
            "heads": 4,
            "context": 64,
            "batch_size": 32,
            "max_bytes": 3_000_000,
            "val_batches": 20,
        },
        metric="val_loss",
        mode="min",
        target=2.0,
        description="byte-level Transformer LM (norm: pre|post) on Python's own stdlib sources",
        choices={"norm": ("pre", "post")},
        bounds={
            "layers": Bound(1, 64, integer=True),
            "d_model": Bound(1, 4096, integer=True),
            "heads": Bound(1, 256, integer=True),
            "context": Bound(1, 4096, integer=True),
            "batch_size": _BATCH,
            "max_bytes": Bound(_MIN_TEXT, 10**9, integer=True),
            "val_batches": Bound(1, 10_000, integer=True),
        },
        check=_check_charlm,
    )
)
