"""Shared pytest configuration."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# Property tests: enough examples to find bugs, few enough to keep the suite
# fast on a 2-core VM. Set HYPOTHESIS_PROFILE=thorough for longer runs.
settings.register_profile(
    "default",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", max_examples=5000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

# tests/consumers run in their own step, `make consumers`, outside the
# coverage gate: the library code they exercise runs in the consumers' venvs.
if not os.environ.get("WEBSOCKETS_CONSUMERS"):
    collect_ignore = ["consumers"]
