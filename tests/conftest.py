"""Test-suite settings.

Hypothesis runs derandomized (the same draws on every machine and every run), so the suite is
reproducible and CI cannot fail on a draw nobody has seen; set ``HYPOTHESIS_PROFILE=explore`` to search
with fresh random draws (and more of them) locally.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "repro",
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.register_profile("explore", deadline=None, max_examples=200, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repro"))
