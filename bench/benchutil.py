"""Helpers of the benchmark suites (importable: bench/ is on pytest's path)."""

from __future__ import annotations

import pytest


def contender(benchmark, group, name):
    """Label a benchmark: its case (group) and who runs it (contender)."""
    benchmark.group = group
    benchmark.extra_info["contender"] = name


def need(module):
    """Import an optional contender or skip its benchmark."""
    return pytest.importorskip(module)
