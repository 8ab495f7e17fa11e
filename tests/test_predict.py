"""``cneuron predict``: batch inference on files, streamed, atomic, with clear
errors and distinct exit codes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import cneuron as cn
from cneuron._cli import main

PY = sys.executable


def _cli(*args):
    return subprocess.run(
        [PY, "-m", "cneuron", "predict", *args], capture_output=True, text=True, timeout=600
    )


@pytest.fixture
def models(tmp_path):
    rng = np.random.default_rng(0)
    paths: dict[str, tuple[str, cn.Neuron | cn.Dense | cn.Sequential]] = {}
    neuron = cn.Neuron(rng.normal(size=4), 0.1)
    cn.save(neuron, tmp_path / "neuron.json")
    paths["neuron"] = (str(tmp_path / "neuron.json"), neuron)
    net = cn.Sequential(
        [cn.Dense.create(4, 8, "relu", seed=0), cn.Dense.create(8, 3, "softmax", seed=1)]
    )
    cn.save(net, tmp_path / "net.npz")
    paths["net"] = (str(tmp_path / "net.npz"), net)
    layer32 = cn.Dense.create(4, 2, "tanh", seed=2, dtype="float32")
    cn.save(layer32, tmp_path / "layer32.npz")
    paths["layer32"] = (str(tmp_path / "layer32.npz"), layer32)
    return paths


@pytest.fixture
def X(tmp_path):
    return np.random.default_rng(1).normal(size=(1003, 4))


def _write_input(tmp_path, X, fmt, header=False, name="x"):
    path = tmp_path / f"{name}{fmt}"
    if fmt == ".npy":
        np.save(path, X)
    else:
        np.savetxt(
            path, X, delimiter=",", fmt="%.17g", header="a,b,c,d" if header else "", comments=""
        )
    return str(path)


def _read_output(path):
    if path.endswith(".npy"):
        return np.load(path)
    with open(path) as f:
        rows = [[float(v) for v in line.split(",")] for line in f if line.strip()]
    a = np.array(rows)
    return a[:, 0] if a.shape[1] == 1 else a


@pytest.mark.parametrize("model", ["neuron", "net", "layer32"])
@pytest.mark.parametrize("in_fmt", [".npy", ".csv", ".csv-header"])
@pytest.mark.parametrize("out_fmt", [".npy", ".csv"])
def test_predictions_are_the_models_bit_for_bit(tmp_path, models, X, model, in_fmt, out_fmt):
    path, m = models[model]
    header = in_fmt == ".csv-header"
    inp = _write_input(tmp_path, X, in_fmt[:4], header=header)
    out = str(tmp_path / f"y{out_fmt}")
    assert (
        main(["predict", "--model", path, "--input", inp, "--output", out, "--batch-size", "100"])
        == 0
    )
    got = _read_output(out)
    want = m(X)
    assert got.shape == want.shape  # a Neuron: 1-D; a layer or network: 2-D
    if out_fmt == ".npy":
        assert got.dtype == want.dtype
    np.testing.assert_array_equal(got.astype(want.dtype), want)


def test_csv_output_is_plain_decimal_text(tmp_path, models, X):
    path, _ = models["net"]
    inp = _write_input(tmp_path, X[:3], ".npy")
    out = tmp_path / "y.csv"
    assert main(["predict", "--model", path, "--input", inp, "--output", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 3 and all(len(line.split(",")) == 3 for line in lines)
    assert all(c in "0123456789.,-+e" for c in "".join(lines))


@pytest.mark.parametrize("batch", [1, 7, 1003, 100_000])
def test_chunking_never_changes_a_bit(tmp_path, models, X, batch):
    path, m = models["net"]
    inp = _write_input(tmp_path, X, ".npy")
    out = str(tmp_path / "y.npy")
    assert (
        main(
            [
                "predict",
                "--model",
                path,
                "--input",
                inp,
                "--output",
                out,
                "--batch-size",
                str(batch),
                "--threads",
                "2",
            ]
        )
        == 0
    )
    np.testing.assert_array_equal(np.load(out), m(X))


def test_other_npy_layouts_and_dtypes(tmp_path, models, X):
    path, m = models["neuron"]
    for name, arr in [
        ("fortran", np.asfortranarray(X)),
        ("f32", X.astype(np.float32)),
        ("bigendian", X.astype(">f8")),
        ("ints", (X * 10).astype(np.int32)),
    ]:
        inp = str(tmp_path / f"{name}.npy")
        np.save(inp, arr)
        out = str(tmp_path / f"{name}-y.npy")
        assert (
            main(
                ["predict", "--model", path, "--input", inp, "--output", out, "--batch-size", "64"]
            )
            == 0
        )
        np.testing.assert_array_equal(np.load(out), m(arr))


def test_empty_input(tmp_path, models):
    path, _ = models["net"]
    inp = str(tmp_path / "empty.npy")
    np.save(inp, np.empty((0, 4)))
    out = str(tmp_path / "y.npy")
    assert main(["predict", "--model", path, "--input", inp, "--output", out]) == 0
    assert np.load(out).shape == (0, 3)


# ---- errors: a distinct exit code each, a clear message, no output ------------------


def test_missing_input(tmp_path, models):
    res = _cli(
        "--model",
        models["neuron"][0],
        "--input",
        str(tmp_path / "no.npy"),
        "--output",
        str(tmp_path / "y.npy"),
    )
    assert res.returncode == 3 and "does not exist" in res.stderr
    assert not (tmp_path / "y.npy").exists()


def test_unreadable_input(tmp_path, models):
    bad = tmp_path / "x.npy"
    bad.write_bytes(b"not an npy file at all")
    res = _cli(
        "--model", models["neuron"][0], "--input", str(bad), "--output", str(tmp_path / "y.npy")
    )
    assert res.returncode == 3 and "not a readable .npy" in res.stderr
    np.save(tmp_path / "x3d.npy", np.ones((2, 2, 2)))
    res = _cli(
        "--model",
        models["neuron"][0],
        "--input",
        str(tmp_path / "x3d.npy"),
        "--output",
        str(tmp_path / "y.npy"),
    )
    assert res.returncode == 3 and "2-D" in res.stderr
    full = tmp_path / "full.npy"
    np.save(full, np.ones((100, 4)))
    (tmp_path / "cut.npy").write_bytes(full.read_bytes()[:-100])
    res = _cli(
        "--model",
        models["neuron"][0],
        "--input",
        str(tmp_path / "cut.npy"),
        "--output",
        str(tmp_path / "y.npy"),
    )
    assert res.returncode == 3 and "truncated" in res.stderr
    if os.geteuid() != 0:  # root reads anything
        locked = tmp_path / "locked.csv"
        locked.write_text("1,2,3,4\n")
        locked.chmod(0)
        res = _cli(
            "--model",
            models["neuron"][0],
            "--input",
            str(locked),
            "--output",
            str(tmp_path / "y.npy"),
        )
        assert res.returncode == 3 and "cannot read input" in res.stderr
    assert not (tmp_path / "y.npy").exists()


def test_wrong_feature_count_names_both_numbers(tmp_path, models):
    np.save(tmp_path / "x.npy", np.ones((5, 3)))
    res = _cli(
        "--model",
        models["neuron"][0],
        "--input",
        str(tmp_path / "x.npy"),
        "--output",
        str(tmp_path / "y.npy"),
    )
    assert res.returncode == 5
    assert "expects 4 features" in res.stderr and "has 3 columns" in res.stderr


def test_bad_model_file(tmp_path, X):
    inp = _write_input(tmp_path, X, ".npy")
    for name, content in [("m.json", b"{not json"), ("m.npz", b"PK garbage")]:
        (tmp_path / name).write_bytes(content)
        res = _cli(
            "--model", str(tmp_path / name), "--input", inp, "--output", str(tmp_path / "y.npy")
        )
        assert res.returncode == 4 and "bad model file" in res.stderr
    res = _cli(
        "--model", str(tmp_path / "none.json"), "--input", inp, "--output", str(tmp_path / "y.npy")
    )
    assert res.returncode == 4 and "does not exist" in res.stderr


def test_non_numeric_csv_cell_names_row_and_column(tmp_path, models):
    lines = ["a,b,c,d"] + ["1,2,3,4"] * 10 + ["1,2,oops,4"] + ["1,2,3,4"] * 5
    (tmp_path / "x.csv").write_text("\n".join(lines) + "\n")
    res = _cli(
        "--model",
        models["neuron"][0],
        "--input",
        str(tmp_path / "x.csv"),
        "--output",
        str(tmp_path / "y.csv"),
        "--batch-size",
        "4",
    )
    assert res.returncode == 6
    assert "line 12, column 3: 'oops' is not a number" in res.stderr
    (tmp_path / "x.csv").write_text("1,2,3,4\n1,2,3\n")
    res = _cli(
        "--model",
        models["neuron"][0],
        "--input",
        str(tmp_path / "x.csv"),
        "--output",
        str(tmp_path / "y.csv"),
    )
    assert res.returncode == 6 and "line 2 has 3 values, expected 4" in res.stderr
    assert not (tmp_path / "y.csv").exists()


def test_output_that_cannot_be_written(tmp_path, models, X):
    inp = _write_input(tmp_path, X, ".npy")
    res = _cli(
        "--model",
        models["neuron"][0],
        "--input",
        inp,
        "--output",
        str(tmp_path / "missing-dir" / "y.npy"),
    )
    assert res.returncode == 7 and "cannot write output" in res.stderr
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        res = _cli("--model", models["neuron"][0], "--input", inp, "--output", str(ro / "y.npy"))
        assert res.returncode == 7


def test_usage_errors(tmp_path, models, X):
    inp = _write_input(tmp_path, X, ".npy")
    res = _cli("--model", models["neuron"][0], "--input", inp, "--output", str(tmp_path / "y.txt"))
    assert res.returncode == 2 and "use .npy or .csv" in res.stderr
    res = _cli("--model", models["neuron"][0], "--input", inp)
    assert res.returncode == 2 and "--output" in res.stderr
    res = _cli(
        "--model",
        models["neuron"][0],
        "--input",
        inp,
        "--output",
        str(tmp_path / "y.npy"),
        "--batch-size",
        "0",
    )
    assert res.returncode == 2


def test_a_failed_run_leaves_an_existing_output_untouched(tmp_path, models):
    out = tmp_path / "y.csv"
    out.write_text("precious\n")
    (tmp_path / "x.csv").write_text("1,2,3,4\n" * 100 + "1,2,x,4\n")
    res = _cli(
        "--model",
        models["neuron"][0],
        "--input",
        str(tmp_path / "x.csv"),
        "--output",
        str(out),
        "--batch-size",
        "10",
    )
    assert res.returncode == 6
    assert out.read_text() == "precious\n"
    assert not any(p.name.endswith(".part") for p in tmp_path.iterdir())


def test_progress_bar_on_request_and_silence_otherwise(tmp_path, models, X):
    import tqdm  # noqa: F401  (installed by the test extra: the bar needs it)

    inp = _write_input(tmp_path, X, ".npy")
    res = _cli(
        "--model",
        models["neuron"][0],
        "--input",
        inp,
        "--output",
        str(tmp_path / "y.npy"),
        "--progress",
        "--batch-size",
        "100",
    )
    assert res.returncode == 0 and "row" in res.stderr
    res = _cli("--model", models["neuron"][0], "--input", inp, "--output", str(tmp_path / "y2.npy"))
    assert res.returncode == 0 and res.stderr == "" and res.stdout == ""


# ---- streaming: bounded memory, atomic output under interruption --------------------

BIG_BYTES = 2 * 1024**3  # a 2 GiB input


@pytest.fixture(scope="module")
def big_input(tmp_path_factory):
    """A 2 GiB float64 .npy (256 features), written with plain writes."""
    d = 256
    rows = BIG_BYTES // (8 * d)
    path = tmp_path_factory.mktemp("big") / "big.npy"
    rng = np.random.default_rng(0)
    block = rng.standard_normal((8192, d))
    with open(path, "wb") as f:
        np.lib.format.write_array_header_2_0(
            f, {"descr": "<f8", "fortran_order": False, "shape": (rows, d)}
        )
        for start in range(0, rows, len(block)):
            f.write(block[: min(len(block), rows - start)].tobytes())
    model = tmp_path_factory.mktemp("bigmodel") / "layer.npz"
    cn.save(cn.Dense.create(d, 4, "sigmoid", seed=0), model)
    yield str(path), str(model), rows
    os.unlink(path)


@pytest.mark.slow
def test_a_2gb_input_streams_in_bounded_memory(tmp_path, big_input):
    path, model, rows = big_input
    out = str(tmp_path / "y.npy")
    code = (
        "import sys\n"
        "from cneuron._cli import main\n"
        f"rc = main(['predict', '--model', {model!r}, '--input', {path!r}, '--output', {out!r}])\n"
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "print(rc, int(hwm.split()[1]))\n"
    )
    res = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=900)
    assert res.returncode == 0, res.stderr
    rc, hwm_kb = map(int, res.stdout.split())
    assert rc == 0
    assert hwm_kb < 300 * 1024, f"peak resident memory {hwm_kb / 1024:.0f} MB"
    y = np.load(out, mmap_mode="r")
    assert y.shape == (rows, 4)
    first = np.load(path, mmap_mode="r")[:1000]
    np.testing.assert_array_equal(y[:1000], cn.load(model)(first))


@pytest.mark.slow
def test_an_interrupted_run_leaves_no_output(tmp_path, big_input):
    path, model, _ = big_input
    out = tmp_path / "y.csv"  # CSV output: slow enough to interrupt midway
    out.write_text("old\n")
    proc = subprocess.Popen(
        [
            PY,
            "-m",
            "cneuron",
            "predict",
            "--model",
            model,
            "--input",
            path,
            "--output",
            str(out),
            "--batch-size",
            "4096",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # wait until it writes its temporary file
        if any(p.name.endswith(".part") for p in tmp_path.iterdir()):
            break
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err
    assert out.read_text() == "old\n"
    assert not any(p.name.endswith(".part") for p in tmp_path.iterdir())
