"""Test-wide settings: no per-example deadline for Hypothesis (a loaded 2-core CI machine makes
timings noisy; speed is measured in bench/, not in tests), and a fixed example sequence under CI
so a run is reproducible."""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("accelsim", deadline=None, derandomize=bool(os.environ.get("CI")))
settings.load_profile("accelsim")
