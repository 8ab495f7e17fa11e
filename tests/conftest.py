"""pytest setup: hypothesis profiles, report header, fixtures.

Hypothesis profile: ``HYPOTHESIS_PROFILE=ci`` (more examples, derandomized)
or ``dev`` (the default, quick). Shared helpers live in ``helpers.py``.
"""

from __future__ import annotations

import os

# scikit-learn's estimator checks include one that runs with array API
# dispatch on; it needs this before scipy is first imported
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import cneuron

settings.register_profile(
    "ci",
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", max_examples=40, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_report_header(config):
    return [
        f"cneuron {cneuron.__version__} from {os.path.dirname(cneuron.__file__)}",
        f"cneuron config: {cneuron._config.config()}",
    ]


@pytest.fixture
def rng():
    return np.random.default_rng(20261204)
