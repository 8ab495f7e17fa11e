"""The runnable examples in examples/: each runs, and shows what it claims."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _load(name):
    path = EXAMPLES / f"{name}.py"
    assert path.is_file(), f"{path} is missing (the examples travel with the tests)"
    return runpy.run_path(str(path), run_name="example")


@pytest.mark.parametrize("name", ["spam", "regression", "edge_detector"])
def test_example_runs_as_a_script(name):
    res = subprocess.run(
        [sys.executable, str(EXAMPLES / f"{name}.py")], capture_output=True, text=True, timeout=300
    )
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    assert len(res.stdout.splitlines()) > 5


def test_spam_neuron_learns_like_the_article(capsys):
    before, after = _load("spam")["main"]()
    out = capsys.readouterr().out
    assert round(before, 2) == 0.65 and "0.65 -> maybe" in out
    assert after > 0.95 and out.rstrip().endswith("SPAM!")
    assert "exclamation marks" in out and "sender reputation" in out


def test_regression_finds_the_least_squares_line(capsys, tmp_path):
    ns = _load("regression")
    fig = tmp_path / "line.png"
    w, b, ls_w, ls_b = ns["main"](["--plot", str(fig)])
    assert w == pytest.approx(ls_w, rel=1e-6) and b == pytest.approx(ls_b, rel=1e-6)
    assert abs(w - ns["TRUE_W"]) < 0.2 and abs(b - ns["TRUE_B"]) < 0.3
    out = capsys.readouterr().out
    assert "o" in out and "-" in out and f"figure saved to {fig}" in out
    assert fig.stat().st_size > 1000


def test_edge_detector_fires_on_the_left_edges_only(capsys):
    ns = _load("edge_detector")
    img, fires = ns["main"]()
    # full edges: every row of the patch steps from dark to bright going
    # right; touched: at least one row does (the shapes' corners)
    h, w = fires.shape
    full = np.zeros_like(fires)
    touched = np.zeros_like(fires)
    for r in range(h):
        for c in range(w):
            patch = img[r : r + 3, c : c + 3]
            steps = patch[:, 2] - patch[:, 0] > 0.5
            full[r, c], touched[r, c] = steps.all(), steps.any()
    assert np.all(fires[full]), "misses a vertical edge"
    assert not np.any(fires[~touched]), "fires where there is no dark-to-bright edge"
    assert fires.any()
    assert "training accuracy 100.0%" in capsys.readouterr().out
