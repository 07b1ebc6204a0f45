r"""Continued and anytime training: infinite schedules, WSD-S, re-warming, and cooldown branches off a stable run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .. import fields
from .._base import Derived, Schedule
from .._compose import Cooldown, Join, Warmup
from .._registry import builtin
from .._shapes import DECAY_SHAPES, WARMUP_SHAPES
from .._validate import fail, require_nonnegative
from .basic import Anneal, Constant

__all__ = ["Infinite", "WsdS", "rewarm", "cooldown_branches"]


def _decay(init: float, end: float, steps: float, shape: str) -> Schedule:
    return Anneal(init_value=init, end_value=end, steps=steps, shape=shape) if steps > 0 else Constant(end)


@builtin("infinite")
@fields.schedule_dataclass
class Infinite(Derived):
    r"""An "infinite" schedule: warmup, cooldown to a constant, a constant phase of any length, then a short anneal.

    With :math:`W, C, K, A` the warmup, cooldown, constant and anneal lengths:

    .. math::
        \eta(s) = \begin{cases}
            \text{warmup from } \eta_{init} \text{ to } \eta_{max} & s < W \\
            \text{cooldown}(\eta_{max} \to \eta_{const},\ (s - W)/C) & W \le s < W + C \\
            \eta_{const} & W + C \le s < W + C + K \\
            \eta_{const}\,(\eta_{min}/\eta_{const})^{(s - W - C - K)/A} & W + C + K \le s < W + C + K + A \\
            \eta_{min} & \text{after}
        \end{cases}

    The constant phase can go on for any number of tokens and new data, and the anneal is started
    when a model is needed, so pre-training can be continued without re-warming (Ibrahim et al. 2024,
    §7: cosine or inverse-square-root cooldown, exponential anneal). The cooldown (default cosine)
    and anneal (default exponential, needs ``end_value > 0``) shapes are choices.

    Args:
        peak_value: :math:`\eta_{max}`.
        warmup_steps: :math:`W` (>= 0).
        cooldown_steps: :math:`C` (>= 0).
        constant_value: :math:`\eta_{const}`, at most the peak.
        constant_steps: :math:`K` (>= 0).
        anneal_steps: :math:`A` (>= 0).
        end_value: :math:`\eta_{min}`, at most the constant.
        init_value: value at step 0 (default 0).
        cooldown_shape: ``cosine`` (default), ``linear``, ``1-sqrt``, ``square`` or ``exponential``.
        anneal_shape: ``exponential`` (default), ``linear``, ``cosine``, ``1-sqrt`` or ``square``.

    Example:
        >>> import lrplan
        >>> s = lrplan.infinite(peak_value=3e-4, warmup_steps=10, cooldown_steps=40, constant_value=1e-4,
        ...                     constant_steps=100, anneal_steps=50, end_value=1e-5)
        >>> s(10), round(s(30), 10), s(50), s(149), round(s(175), 10), s(200)
        (0.0003, 0.0002, 0.0001, 0.0001, 3.16228e-05, 1e-05)

    References:
        Ibrahim et al. 2024, "Simple and Scalable Strategies to Continually Pre-train Large Language
        Models", https://arxiv.org/abs/2403.08763 (§7.3, infinite learning-rate schedules).
    """

    peak_value: float = fields.value()
    warmup_steps: float = fields.steps()
    cooldown_steps: float = fields.steps()
    constant_value: float = fields.value()
    constant_steps: float = fields.steps()
    anneal_steps: float = fields.steps()
    end_value: float = fields.value()
    init_value: float = fields.value(default=0.0)
    cooldown_shape: str = fields.choice(DECAY_SHAPES, default="cosine")
    anneal_shape: str = fields.choice(DECAY_SHAPES, default="exponential")

    def validate(self) -> None:
        if self.constant_value > self.peak_value:
            raise self.config_error("constant_value", f"<= peak_value={self.peak_value!r}", self.constant_value)
        if self.end_value > self.constant_value:
            raise self.config_error("end_value", f"<= constant_value={self.constant_value!r}", self.end_value)
        for shape, value, name, steps in (
            (self.anneal_shape, self.end_value, "end_value", self.anneal_steps),
            (self.cooldown_shape, self.constant_value, "constant_value", self.cooldown_steps),
        ):
            if shape == "exponential" and value <= 0 and steps > 0:
                raise self.config_error(name, "> 0 with an exponential phase towards it", value)

    def define(self) -> Schedule:
        w, c, k = self.warmup_steps, self.cooldown_steps, self.constant_steps
        head: Schedule
        if c > 0:
            cool = Anneal(init_value=self.peak_value, end_value=self.constant_value, steps=c, shape=self.cooldown_shape)
            head = Warmup(cool, steps=w, init_value=self.init_value)
        else:  # no cooldown: from the peak straight to the constant at the end of the warmup
            up = Warmup(Constant(self.peak_value), steps=w, init_value=self.init_value)
            head = Join([up, Constant(self.constant_value)], boundaries=[w])
        tail = _decay(self.constant_value, self.end_value, self.anneal_steps, self.anneal_shape)
        return Join([head, tail], boundaries=[w + c + k])


def _lengths(owner: str, name: str, x: object) -> tuple[float, ...]:
    if isinstance(x, (str, bytes)) or not isinstance(x, (list, tuple)) or not x:
        raise fail(owner, name, "a non-empty list of durations >= 0", x)
    return tuple(require_nonnegative(owner, name, item) for item in x)


@builtin("wsd_s")
@fields.schedule_dataclass
class WsdS(Derived):
    r"""WSD-S: one run with repeated decays, each followed by a return to the peak (Wen et al. 2024).

    After a warmup of :math:`W` steps, period :math:`i` holds the peak for :math:`S_i` steps and then
    decays to ``end_value`` over :math:`D_i` steps; the next period starts again at the peak *from the
    decayed weights* (no branch is kept), so one run yields a decayed model at the end of each period:

    .. math::
        \eta(s) = \begin{cases}
            \eta & t_i \le s < t_i + S_i \\
            \text{decay}(\eta \to \eta_{end},\ (s - t_i - S_i)/D_i) & t_i + S_i \le s < t_{i+1}
        \end{cases}
        \qquad t_0 = W,\ t_{i+1} = t_i + S_i + D_i

    and ``end_value`` after the last period.

    Args:
        peak_value: :math:`\eta`.
        warmup_steps: :math:`W` (>= 0).
        stable_steps: :math:`S_i`, one per period.
        decay_steps: :math:`D_i`, one per period.
        init_value: value at step 0 (default 0).
        end_value: the value each decay reaches (default 0).
        decay_shape: ``1-sqrt`` (default), ``linear``, ``cosine``, ``square`` or ``exponential``.
        warmup_shape: ``linear`` (default), ``cosine``, ``1-sqrt``, ``square`` or ``exponential``.

    Example:
        >>> import lrplan
        >>> s = lrplan.wsd_s(peak_value=1.0, warmup_steps=10, stable_steps=[40, 30], decay_steps=[10, 10],
        ...                  decay_shape="linear")
        >>> s(5), s(49), s(55), s(60), s(61), s(95), s(100)
        (0.5, 1.0, 0.5, 1.0, 1.0, 0.5, 0.0)

    References:
        Wen et al. 2024, "Understanding Warmup-Stable-Decay Learning Rates: A River Valley Loss
        Landscape Perspective", https://arxiv.org/abs/2410.05192 (WSD-S); Hu et al. 2024 (MiniCPM),
        https://arxiv.org/abs/2404.06395 (WSD).
    """

    peak_value: float = fields.value()
    warmup_steps: float = fields.steps()
    stable_steps: Sequence[float] = fields.custom(_lengths)
    decay_steps: Sequence[float] = fields.custom(_lengths)
    init_value: float = fields.value(default=0.0)
    end_value: float = fields.value(default=0.0)
    decay_shape: str = fields.choice(DECAY_SHAPES, default="1-sqrt")
    warmup_shape: str = fields.choice(WARMUP_SHAPES, default="linear")

    def validate(self) -> None:
        if len(self.decay_steps) != len(self.stable_steps):
            raise self.config_error(
                "decay_steps", f"as long as `stable_steps` ({len(self.stable_steps)} periods)", list(self.decay_steps)
            )
        if self.end_value > self.peak_value:
            raise self.config_error("end_value", f"<= peak_value={self.peak_value!r}", self.end_value)
        if self.decay_shape == "exponential" and self.end_value <= 0:
            raise self.config_error("end_value", "> 0 with decay_shape='exponential'", self.end_value)
        if self.warmup_shape == "exponential" and self.init_value <= 0 and self.warmup_steps > 0:
            raise self.config_error("init_value", "> 0 with warmup_shape='exponential'", self.init_value)

    def define(self) -> Schedule:
        peak = Constant(self.peak_value)
        parts: list[Schedule] = [
            Warmup(peak, steps=self.warmup_steps, init_value=self.init_value, shape=self.warmup_shape)
        ]
        bounds: list[float] = []
        t = self.warmup_steps
        for i, (stable, decay) in enumerate(zip(self.stable_steps, self.decay_steps, strict=True)):
            if i:
                parts.append(peak)
                bounds.append(t)
            t += stable
            parts.append(_decay(self.peak_value, self.end_value, decay, self.decay_shape))
            bounds.append(t)
            t += decay
        return Join(parts, boundaries=bounds)


def rewarm(previous: Schedule, *, at: float, schedule: Schedule, steps: float, shape: str = "linear") -> Schedule:
    r"""Continue a run at update ``at`` with a new schedule, re-warmed from where ``previous`` stands.

    .. math::
        \eta(s) = \begin{cases}
            f_{prev}(s) & s < t \\
            \text{warmup from } f_{prev}(t) \text{ to } g(0) \text{ over } W,\ \text{then } g(s - t - W) & s \ge t
        \end{cases}

    the re-warming and re-decaying of continued pre-training (Ibrahim et al. 2024): the update count
    keeps running across the whole life of the model, so one schedule (a ``join``) describes it and
    resuming restores one integer.

    Args:
        previous: the schedule of the first run.
        at: :math:`t`, the first update of the continued run.
        schedule: :math:`g`, the new run's schedule after its warmup (its own clock starts after it).
        steps: :math:`W`, the re-warming updates.
        shape: the warmup's shape (default linear).

    Example:
        >>> import lrplan
        >>> first = lrplan.warmup(lrplan.cosine(init_value=3e-4, decay_steps=90, end_value=3e-5), steps=10)
        >>> s = lrplan.rewarm(first, at=100, schedule=lrplan.cosine(init_value=3e-4, decay_steps=90, end_value=3e-5),
        ...                   steps=10)
        >>> round(s(99), 8), s(100), round(s(105), 10), s(110), s(200)
        (3.008e-05, 3e-05, 0.000165, 0.0003, 3e-05)

    References:
        Ibrahim et al. 2024, https://arxiv.org/abs/2403.08763 (re-warming and re-decaying).
    """
    start = float(previous(at))
    return Join([previous, Warmup(schedule, steps=steps, init_value=start, shape=shape)], boundaries=[at])


def cooldown_branches(
    main: Schedule,
    starts: Mapping[str, tuple[float, float]],
    *,
    end_value: float = 0.0,
    shape: str = "1-sqrt",
) -> dict[str, Schedule]:
    r"""Named cooldown branches off one stable run: ``{name: cooldown(main, start=t, steps=D)}``.

    The main run (a warmup and a stable phase, say) is trained once; each branch starts from its
    checkpoint at update :math:`t` and decays over :math:`D` updates (multi-period WSD: MiniCPM's
    decays from the stable run, Hägele et al.'s cooldowns). Each branch is a schedule of its own, so
    it resumes, plots and serializes like any schedule; its value equals the main run's before :math:`t`.

    Args:
        main: the stable run.
        starts: branch name -> ``(t, D)``: the branch's first cooldown update and its length.
        end_value: the value each cooldown reaches (default 0).
        shape: the cooldown's shape (default ``1-sqrt``).

    Example:
        >>> import lrplan
        >>> main = lrplan.warmup(lrplan.constant(1e-3), steps=100)
        >>> b = lrplan.cooldown_branches(main, {"10k": (9_000, 1_000), "20k": (18_000, 2_000)})
        >>> sorted(b), b["10k"](8_999), b["10k"](10_000), b["20k"](10_000), b["20k"](20_000)
        (['10k', '20k'], 0.001, 0.0, 0.001, 0.0)

    References:
        Hu et al. 2024 (MiniCPM), https://arxiv.org/abs/2404.06395; Hägele et al. 2024,
        https://arxiv.org/abs/2405.18392.
    """
    if not isinstance(starts, Mapping) or not starts:
        raise fail("cooldown_branches", "starts", "a non-empty mapping of name to (start, steps)", starts)
    out: dict[str, Schedule] = {}
    for name, pair in starts.items():
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2):
            raise fail("cooldown_branches", f"starts[{name!r}]", "a pair (start, steps)", pair)
        out[str(name)] = Cooldown(main, start=pair[0], steps=pair[1], end_value=end_value, shape=shape)
    return out
