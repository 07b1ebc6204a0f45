"""A run's LR segments make one lrplan schedule that gives, update for update, the LR it trained with."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

import lrplan  # noqa: E402
from lrplan.lab.errors import LabError  # noqa: E402
from lrplan.lab.run import Trainer, schedule_from_segments  # noqa: E402
from lrplan.lab.store import record_problem  # noqa: E402
from lrplan.lab.study import study_from_dict  # noqa: E402
from lrplan.torch import Scheduler, current_lr  # noqa: E402

STEPS = 240
SHAPES = [
    lrplan.parse(f"cosine(init_value=1.0, decay_steps={STEPS})"),
    lrplan.parse(f"linear(init_value=1.0, end_value=0.0, decay_steps={STEPS})"),
    lrplan.parse(f"wsd(peak_value=1.0, warmup_steps=12, stable_steps=150, decay_steps={STEPS - 162})"),
    lrplan.parse("exponential(init_value=1.0, decay_rate=0.97, decay_steps=7)"),
    lrplan.parse(f"warmup(cosine(init_value=1.0, decay_steps={STEPS - 20}, end_value=0.03), steps=20)"),
]


def trained_lrs(segments: list[tuple[int, lrplan.Schedule]], steps: int) -> list[float]:
    """The LRs an optimizer really gets when the schedule is switched as Trainer.set_schedule switches it."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    starts = dict(segments)
    scheduler = Scheduler(optimizer, starts[0])
    out = []
    for k in range(steps):
        if k in starts and k > 0:
            scheduler = Scheduler(optimizer, starts[k], start_step=k)
        out.append(current_lr(optimizer)[0])
        optimizer.step()
        scheduler.step()
    return out


@st.composite
def segment_lists(draw: st.DrawFn) -> list[tuple[int, lrplan.Schedule]]:
    """PBT-like histories: a shape, a first peak LR, then LR changes by random factors at random updates."""
    shape = draw(st.sampled_from(SHAPES))
    lr = draw(st.floats(1e-5, 10.0, allow_nan=False, allow_infinity=False))
    starts = sorted(draw(st.sets(st.integers(1, STEPS - 1), max_size=8)))
    segments = [(0, lrplan.scale(shape, factor=lr))]
    for start in starts:
        if draw(st.booleans()):
            lr = lr * draw(st.sampled_from([0.8, 1.2]))  # PBT's perturbation
        else:
            lr = draw(st.floats(1e-5, 10.0, allow_nan=False, allow_infinity=False))  # resampled
        if draw(st.integers(0, 4)) == 0:
            shape = draw(st.sampled_from(SHAPES))  # a donor with another shape
        segments.append((start, lrplan.scale(shape, factor=lr)))
    return segments


@given(segment_lists())
def test_the_schedule_of_segments_equals_the_trained_lrs_exactly(segments: list) -> None:
    schedule = schedule_from_segments(segments)
    expected = trained_lrs(segments, STEPS)
    assert [schedule(k) for k in range(STEPS)] == expected
    # an ordinary schedule: its spec and its config give it back, with the same values
    for again in (lrplan.parse(str(schedule)), lrplan.from_config(json.loads(json.dumps(lrplan.to_config(schedule))))):
        assert again == schedule
        assert [again(k) for k in range(STEPS)] == expected
    assert trained_lrs([(0, schedule)], STEPS) == expected  # and the torch adapter drives it as trained


def test_segments_by_hand() -> None:
    shape = lrplan.linear(init_value=1.0, end_value=0.0, decay_steps=10)
    s = schedule_from_segments([(0, lrplan.scale(shape, factor=0.5)), (4, lrplan.scale(shape, factor=2.0))])
    assert [s(k) for k in range(6)] == [0.5, 0.45, 0.4, 0.35, 1.2, 1.0]  # 2 * (1 - 4/10) = 1.2 at update 4
    assert str(s) == (
        "join([scale(linear(init_value=1.0, end_value=0.0, decay_steps=10), factor=0.5), "
        "shift(scale(linear(init_value=1.0, end_value=0.0, decay_steps=10), factor=2.0), steps=-4)], boundaries=[4])"
    )
    one = lrplan.constant(0.1)
    assert schedule_from_segments([(0, one)]) is one
    assert schedule_from_segments([(0, one), (0, lrplan.constant(0.2))])(0) == 0.2  # the later one at a start wins


@pytest.mark.parametrize(
    ("segments", "message"),
    [
        ([], "the first segment must start at update 0"),
        ([(3, lrplan.constant(1.0))], "the first segment must start at update 0"),
        ([(0, lrplan.constant(1.0)), (5, lrplan.constant(1.0)), (4, lrplan.constant(1.0))], "start=4"),
        ([(0, lrplan.constant(1.0)), (2.5, lrplan.constant(1.0))], "start=2.5"),
        ([(0, "constant(1.0)")], "must hold a Schedule"),
    ],
)
def test_bad_segments_are_refused(segments: list, message: str) -> None:
    with pytest.raises(LabError, match=message):
        schedule_from_segments(segments)


def test_a_trainer_keeps_its_segments_through_checkpoints_and_in_its_record() -> None:
    study = study_from_dict(
        {
            "name": "seg",
            "steps": 30,
            "eval_every": 10,
            "tasks": ["digits-logreg"],
            "optimizers": [{"name": "sgd", "lr": 0.1}],
            "schedules": ["cosine(init_value=1.0, decay_steps={steps})"],
        }
    )
    spec = study.runs()[0].to_dict()
    shape = lrplan.cosine(init_value=1.0, decay_steps=30)
    first = Trainer(spec)
    first.advance(10)
    first.set_schedule(lrplan.scale(shape, factor=0.12))
    second = Trainer(spec)
    second.load_state_dict(first.state_dict())
    second.advance(20)
    second.set_schedule(lrplan.scale(shape, factor=0.096))
    second.advance(30)
    record = second.record()
    assert record_problem(record) is None
    assert [s["start"] for s in record["schedule_segments"]] == [0, 10, 20]
    assert [s["schedule"]["args"]["factor"] for s in record["schedule_segments"]] == [0.1, 0.12, 0.096]
    lrs = record["curves"]["lr"]
    assert lrs[9] == 0.1 * shape(9) and lrs[10] == 0.12 * shape(10) and lrs[29] == 0.096 * shape(29)
    trained = lrplan.from_config(record["lr_schedule"])
    assert [trained(k) for k in range(30)] == lrs
