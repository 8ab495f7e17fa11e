"""The command line: demo and info, as a user runs them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from typing import Any

import pytest

import cneuron
from cneuron._cli import main


def _run(*args, exe=(sys.executable, "-m", "cneuron")):
    return subprocess.run([*exe, *args], capture_output=True, text=True, timeout=300)


def test_demo_prints_the_articles_numbers():
    res = _run("demo")  # as the README says, with the default 1,000,000 samples
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "z = 1.31" in out and "y = 0.7875" in out and "approve" in out
    for term in ("0.8 x 0.5 = 0.40", "0.6 x 0.3 = 0.18", "0.9 x 0.7 = 0.63"):
        assert term in out
    assert "z = 0.62, y = 0.6502 -> maybe" in out
    assert "z = 4.46, y = 0.9886 -> SPAM!" in out
    assert "prints z = 4.36" in out and "correct 4.46" in out
    assert "before learning  y = 0.6525 -> maybe" in out
    learned = [ln for ln in out.splitlines() if ln.strip().startswith("after learning   y =")]
    assert len(learned) == 1 and learned[0].endswith("-> SPAM!")
    assert float(learned[0].split("y =")[1].split()[0]) > 0.95
    assert "1,000,000 samples" in out
    for name in ("pure-Python reference", "numpy", "cneuron"):
        assert name in out
    assert res.stderr == ""


def test_demo_in_process_with_small_batch(capsys):
    assert main(["demo", "--samples", "1000"]) == 0
    out = capsys.readouterr().out
    assert "1,000 samples" in out and "0.9886" in out
    assert main(["demo", "--samples", "0"]) == 0
    assert "Speed" not in capsys.readouterr().out


def test_info(capsys):
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    assert f"cneuron:          {cneuron.__version__}" in out
    assert "openmp:" in out and "default_threads:" in out


def test_bad_usage_exits_2():
    res = _run("frobnicate")
    assert res.returncode == 2 and "invalid choice" in res.stderr
    res = _run("demo", "--samples", "-3")
    assert res.returncode == 2 and "expected a number >= 0" in res.stderr
    res = _run()
    assert res.returncode == 2


def test_console_script_is_installed():
    scripts = sysconfig.get_path("scripts")
    exe = shutil.which("cneuron", path=scripts + os.pathsep + os.environ.get("PATH", ""))
    if exe is None:
        pytest.fail("the cneuron console script is not installed beside this Python")
    res = _run("info", exe=(exe,))
    assert res.returncode == 0 and "cneuron:" in res.stdout


def test_build_matches_the_expected_openmp_setting():
    # CI builds once with OpenMP and once serial (CNEURON_NO_OPENMP=1) and
    # says which it expects through CNEURON_EXPECT_OPENMP.
    cfg = cneuron._config.config()
    expected = os.environ.get("CNEURON_EXPECT_OPENMP")
    if expected is not None:
        assert cfg["openmp"] is (expected == "1")
    if not cfg["openmp"]:
        assert cfg["default_threads"] == 1


def test_default_threads_follow_omp_num_threads():
    code = "import cneuron; print(cneuron._config.config()['default_threads'])"
    for n in ("1", "2"):
        env = dict(os.environ, OMP_NUM_THREADS=n)
        res = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
        )
        assert res.returncode == 0, res.stderr
        cfg: dict[str, Any] = cneuron._config.config()
        expected = min(int(n), cfg["available_cpus"]) if cfg["openmp"] else 1
        assert int(res.stdout) == expected
