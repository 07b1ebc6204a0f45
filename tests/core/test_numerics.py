"""Regression tests of the numerical defects of issue 13, each with its reproducer as input.

Expected values are hand-computed (the formula of the schedule's docstring, written out).
"""

from __future__ import annotations

import pytest

import lrplan as L
from lrplan import ConfigError


def test_fixed_floor_never_goes_negative() -> None:
    """Keras's CosineDecayRestarts with alpha = 2 and m_mul = 2 gives 0.1 ((1 - 2) 0.5 * 8 * 2 + 2) = -0.6 at 30."""
    with pytest.raises(ConfigError, match=r"cosine_restarts_fixed_floor: `peak_decay` must be <= 1 when end_value"):
        L.cosine_restarts_fixed_floor(init_value=0.1, decay_steps=10, end_value=0.2, peak_decay=2.0)
    # Where Keras's formula is a learning rate it is kept: the floor above the peak, the height shrinking.
    s = L.cosine_restarts_fixed_floor(init_value=0.1, decay_steps=10, end_value=0.2, peak_decay=0.5)
    # 0.1 ((1 - 2) 0.5 m (1 + cos(pi t / 10)) + 2) with m = 0.5**3 at step 30 (t = 0) and 35 (t = 5)
    assert s(30) == pytest.approx(0.1875, rel=1e-15)
    assert s(35) == pytest.approx(0.19375, rel=1e-15)
    # A floor below the peak may grow its height: every value stays >= the floor.
    g = L.cosine_restarts_fixed_floor(init_value=0.2, decay_steps=10, end_value=0.1, peak_decay=2.0)
    assert g(30) == pytest.approx(0.1 + 0.1 * 8, rel=1e-15)
