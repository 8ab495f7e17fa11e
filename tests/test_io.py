"""Model save/load (cneuron.save, cneuron.load): bitwise round trips in both
formats and dtypes, atomic writes, and a clear ModelFileError for every kind
of bad file."""

from __future__ import annotations

import io
import json
import os
import pathlib
import zipfile
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from helpers import DTYPES

import cneuron as cn
from cneuron.activations import get

FORMATS = ["json", "npz"]


# ---- helpers ----------------------------------------------------------------------


def _neuron(rng, dtype, activation="sigmoid"):
    return cn.Neuron(rng.standard_normal(5).astype(dtype), dtype(rng.standard_normal()), activation)


def _dense(rng, dtype, n_in=4, n_out=3, activation="tanh"):
    W = rng.standard_normal((n_out, n_in)).astype(dtype)
    b = rng.standard_normal(n_out).astype(dtype)
    return cn.Dense(W, b, activation)


def _sequential(rng, dtype):
    return cn.Sequential(
        [
            _dense(rng, dtype, 4, 6, get("leaky_relu", alpha=0.2)),
            _dense(rng, dtype, 6, 5, get("gelu", approximate="tanh")),
            _dense(rng, dtype, 5, 3, "softmax"),
        ]
    )


MAKERS: dict[str, Callable[..., Any]] = {
    "Neuron": _neuron,
    "Dense": _dense,
    "Sequential": _sequential,
}


def _units(model):
    """(weights, bias as an array, activation, params) of each Neuron/Dense."""
    layers = model.layers if isinstance(model, cn.Sequential) else [model]
    return [
        (m.weights, np.asarray(m.bias, dtype=m.dtype), m.activation, m.activation_params)
        for m in layers
    ]


def _n_inputs(model):
    return model.n_features if isinstance(model, cn.Neuron) else model.n_inputs


def assert_same_model(a, b, rng=None):
    """Same type, dtype, activations and params, and bitwise weights, bias and
    outputs."""
    assert type(b) is type(a)
    assert b.dtype == a.dtype
    ua, ub = _units(a), _units(b)
    assert len(ua) == len(ub)
    for (wa, ba, na, pa), (wb, bb, nb, pb) in zip(ua, ub):
        assert wb.dtype == wa.dtype and wb.shape == wa.shape
        assert wb.tobytes() == wa.tobytes()
        assert bb.dtype == ba.dtype and bb.shape == ba.shape
        assert bb.tobytes() == ba.tobytes()
        assert nb == na
        assert pb == pa
        assert [type(v) for v in pb.values()] == [type(v) for v in pa.values()]
    if rng is not None:
        X = rng.standard_normal((40, _n_inputs(a))) * 3
        ya, yb = np.asarray(a.forward(X)), np.asarray(b.forward(X))
        assert yb.dtype == ya.dtype and yb.tobytes() == ya.tobytes()


def _roundtrip(model, tmp_path, fmt):
    path = tmp_path / f"model.{fmt}"
    cn.save(model, path)
    return cn.load(path)


# ---- round trips ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("kind", list(MAKERS))
def test_roundtrip_bitwise(kind, dtype, fmt, tmp_path, rng):
    model = MAKERS[kind](rng, dtype)
    loaded = _roundtrip(model, tmp_path, fmt)
    assert_same_model(model, loaded, rng)
    assert loaded.dtype == np.dtype(dtype)
    assert sorted(os.listdir(tmp_path)) == [f"model.{fmt}"]  # no temporary file left


@pytest.mark.parametrize("fmt", FORMATS)
def test_roundtrip_str_and_pathlike_paths(fmt, tmp_path, rng):
    model = _dense(rng, np.float64)
    cn.save(model, str(tmp_path / f"a.{fmt}"))
    assert_same_model(model, cn.load(pathlib.Path(tmp_path / f"a.{fmt}")), rng)
    cn.save(model, tmp_path / f"B.{fmt.upper()}")  # the extension is not case-sensitive
    assert_same_model(model, cn.load(str(tmp_path / f"B.{fmt.upper()}")), rng)
    # savez was given an open file: it did not append ".npz" to the name
    assert sorted(os.listdir(tmp_path)) == sorted([f"a.{fmt}", f"B.{fmt.upper()}"])


ACTIVATIONS = [
    get("identity"),
    get("step"),
    get("relu"),
    get("leaky_relu", alpha=0.2),
    get("leaky_relu", alpha=0.1 + 1e-17 * 3),  # an alpha with every bit significant
    get("elu", alpha=1.7),
    get("selu"),
    get("softplus", beta=2.5, threshold=7.25),
    get("silu"),
    get("gelu"),
    get("gelu", approximate="tanh"),
    get("log_sigmoid"),
]
LAYER_ONLY = [get("softmax", axis=1), get("softmax"), get("log_softmax", axis=-1)]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("act", ACTIVATIONS, ids=repr)
def test_neuron_activation_params(act, fmt, tmp_path, rng):
    model = _neuron(rng, np.float64, act)
    loaded = _roundtrip(model, tmp_path, fmt)
    assert loaded.activation == act.name and loaded.activation_params == act.params
    assert_same_model(model, loaded, rng)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("act", ACTIVATIONS + LAYER_ONLY, ids=repr)
def test_dense_activation_params(act, fmt, tmp_path, rng):
    model = _dense(rng, np.float32, activation=act)
    loaded = _roundtrip(model, tmp_path, fmt)
    assert get(loaded.activation, **loaded.activation_params) == act
    assert_same_model(model, loaded, rng)


def test_gelu_tanh_is_kept_not_defaulted(tmp_path, rng):
    # the two gelu forms give different outputs: a lost parameter would show
    model = _dense(rng, np.float64, activation=get("gelu", approximate="tanh"))
    loaded = _roundtrip(model, tmp_path, "json")
    assert loaded.activation_params == {"approximate": "tanh"}
    other = cn.Dense(model.weights, model.bias, "gelu")
    X = rng.standard_normal((20, 4))
    assert loaded(X).tobytes() == model(X).tobytes() != other(X).tobytes()


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_non_finite_values_roundtrip(dtype, fmt, tmp_path, rng):
    W = rng.standard_normal((3, 4)).astype(dtype)
    W[0, 0], W[1, 2], W[2, 3] = np.inf, -np.inf, np.nan
    b = np.array([np.nan, np.inf, -np.inf], dtype=dtype)
    layer = cn.Dense(W, b)
    loaded = _roundtrip(layer, tmp_path, fmt)
    assert_same_model(layer, loaded, rng)
    assert np.isnan(loaded.weights[2, 3]) and loaded.weights[1, 2] == -np.inf
    neuron = cn.Neuron(np.array([np.inf, -np.inf, np.nan, 1.0], dtype=dtype), np.nan)
    assert_same_model(neuron, _roundtrip(neuron, tmp_path, fmt), rng)
    neuron = cn.Neuron([1.0, 2.0], -np.inf)
    assert _roundtrip(neuron, tmp_path, fmt).bias == -np.inf


def test_non_finite_json_is_strict_and_uses_strings(tmp_path):
    path = tmp_path / "m.json"
    cn.save(cn.Dense([[np.inf, -np.inf, np.nan]], [np.nan]), path)
    text = path.read_text("ascii")

    def no_constants(name):
        raise AssertionError(f"non-strict JSON constant {name}")

    doc = json.loads(text, parse_constant=no_constants)
    assert doc["format"] == "cneuron" and doc["version"] == 1
    assert doc["model"]["weights"] == [["inf", "-inf", "nan"]]
    assert doc["model"]["bias"] == ["nan"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_extreme_values_roundtrip(dtype, fmt, tmp_path, rng):
    fi = np.finfo(dtype)
    values = [-0.0, 0.0, fi.max, -fi.max, fi.tiny, fi.smallest_subnormal, -fi.smallest_subnormal]
    values += [1 / 3, np.nextafter(dtype(1), dtype(2)), fi.eps]
    w = np.array(values, dtype=dtype)
    model = cn.Neuron(w, bias=-0.0, activation="identity")
    loaded = _roundtrip(model, tmp_path, fmt)
    assert_same_model(model, loaded, rng)
    assert np.signbit(loaded.weights[0]) and np.signbit(loaded.bias)


def test_npz_keeps_nan_payload_json_gives_default_nan(tmp_path):
    w = np.array([0x7FF8DEADBEEF0001, 0xFFF0000000000001], dtype=np.uint64).view(np.float64)
    model = cn.Neuron(w, 0.0)
    from_npz = _roundtrip(model, tmp_path, "npz")
    assert from_npz.weights.tobytes() == w.tobytes()
    from_json = _roundtrip(model, tmp_path, "json")  # documented: payloads are not kept
    assert np.isnan(from_json.weights).all()
    assert from_json.weights.tobytes() == np.full(2, np.nan).tobytes()


def test_json_is_readable_one_row_per_line(tmp_path):
    path = tmp_path / "m.json"
    cn.save(cn.Dense([[1.0, 2.5], [-3.0, 0.1]], [0.0, 1.0], "relu"), path)
    lines = path.read_text("ascii").splitlines()
    assert lines[0] == "{" and '  "format": "cneuron",' in lines
    assert any(line.strip() == "[1.0, 2.5]," for line in lines)
    assert any(line.strip() == "[-3.0, 0.1]" for line in lines)


def test_npz_layout(tmp_path, rng):
    path = tmp_path / "net.npz"
    net = _sequential(rng, np.float32)
    cn.save(net, path)
    with np.load(path, allow_pickle=False) as npz:
        assert sorted(npz.files) == sorted(
            ["header"] + [f"layer{i}.{k}" for i in range(3) for k in ("weights", "bias")]
        )
        header = json.loads(str(npz["header"][()]))
        assert npz["layer1.weights"].dtype == np.float32
        assert npz["layer1.weights"].tobytes() == net.layers[1].weights.tobytes()
    assert header["format"] == "cneuron" and header["version"] == 1
    assert header["model"]["dtype"] == "float32"
    assert header["model"]["layers"][1] == {
        "type": "Dense",
        "activation": {"name": "gelu", "params": {"approximate": "tanh"}},
    }


def test_hand_written_json_integers_and_float32_rounding(tmp_path):
    path = tmp_path / "hand.json"
    doc = {
        "format": "cneuron",
        "version": 1,
        "model": {
            "type": "Dense",
            "dtype": "float32",
            "activation": {"name": "identity", "params": {}},
            "weights": [[1, 0.1]],
            "bias": [-2],
        },
    }
    path.write_text(json.dumps(doc))
    layer = cn.load(path)
    assert isinstance(layer, cn.Dense)
    assert layer.dtype == np.float32
    assert layer.weights.tolist() == [[1.0, float(np.float32(0.1))]]
    assert layer.bias.tolist() == [-2.0]


@pytest.mark.parametrize("fmt", FORMATS)
def test_thousands_of_layers(fmt, tmp_path):
    layers = [cn.Dense([[1.0 + i / 4096]], [i / 8.0]) for i in range(1500)]
    net = cn.Sequential(layers)
    loaded = _roundtrip(net, tmp_path, fmt)
    assert len(loaded) == 1500
    assert_same_model(net, loaded, np.random.default_rng(0))


def test_save_replaces_existing_file(tmp_path, rng):
    path = tmp_path / "m.npz"
    cn.save(_neuron(rng, np.float64), path)
    second = _dense(rng, np.float32)
    cn.save(second, path)
    assert_same_model(second, cn.load(path), rng)
    assert os.listdir(tmp_path) == ["m.npz"]


# ---- atomic writes ----------------------------------------------------------------


class _Interrupted(Exception):
    pass


@pytest.mark.parametrize("fmt", FORMATS)
def test_failed_save_keeps_previous_file(fmt, tmp_path, rng, monkeypatch):
    path = tmp_path / f"m.{fmt}"
    first = _dense(rng, np.float64)
    cn.save(first, path)
    before = path.read_bytes()

    def fail_fsync(fd):
        raise _Interrupted("disk gone")  # after every byte was written

    monkeypatch.setattr(os, "fsync", fail_fsync)
    with pytest.raises(_Interrupted):
        cn.save(_sequential(rng, np.float64), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [f"m.{fmt}"]
    assert_same_model(first, cn.load(path), rng)


def test_interrupted_npz_write_keeps_previous_file(tmp_path, rng, monkeypatch):
    path = tmp_path / "m.npz"
    first = _neuron(rng, np.float32)
    cn.save(first, path)
    before = path.read_bytes()

    def partial_savez(file, *args, **kwargs):
        file.write(b"PK\x03\x04 half an archive")
        raise KeyboardInterrupt  # not an Exception: cleanup must still run

    monkeypatch.setattr(np, "savez", partial_savez)
    with pytest.raises(KeyboardInterrupt):
        cn.save(_dense(rng, np.float32), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["m.npz"]


def test_failed_first_save_leaves_nothing(tmp_path, rng, monkeypatch):
    def fail_replace(src, dst):
        raise _Interrupted("no rename")

    monkeypatch.setattr(os, "replace", fail_replace)
    with pytest.raises(_Interrupted):
        cn.save(_dense(rng, np.float64), tmp_path / "new.json")
    assert os.listdir(tmp_path) == []


def test_save_file_permissions(tmp_path, rng):
    """A new file gets the mode open() would give it (the temporary file does
    not leak its private mode); a replaced file keeps its mode."""
    plain = tmp_path / "plain.bin"
    plain.write_bytes(b"")
    path = tmp_path / "m.json"
    cn.save(_neuron(rng, np.float64), path)
    assert os.stat(path).st_mode == os.stat(plain).st_mode
    os.chmod(path, 0o600)
    before = os.stat(path).st_mode
    cn.save(_dense(rng, np.float64), path)
    assert os.stat(path).st_mode == before


def test_save_to_missing_directory(tmp_path, rng):
    with pytest.raises(FileNotFoundError):
        cn.save(_dense(rng, np.float64), tmp_path / "no" / "such" / "m.json")


# ---- what save refuses --------------------------------------------------------------


@pytest.mark.parametrize("obj", [{"weights": [1.0]}, [1.0, 2.0], None, "model"])
def test_save_non_model_is_type_error(obj, tmp_path):
    with pytest.raises(TypeError, match=r"Neuron, Dense or Sequential, got"):
        cn.save(obj, tmp_path / "m.json")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name", ["m.pkl", "m", "m.json.gz", "m.npy", "m.txt"])
def test_wrong_extension(name, tmp_path, rng):
    with pytest.raises(cn.ModelFileError, match=r"\.json or \.npz"):
        cn.save(_neuron(rng, np.float64), tmp_path / name)
    assert os.listdir(tmp_path) == []
    (tmp_path / name).write_bytes(b"{}")
    with pytest.raises(cn.ModelFileError, match=r"\.json or \.npz"):
        cn.load(tmp_path / name)
    assert issubclass(cn.ModelFileError, ValueError)


@pytest.mark.parametrize("fmt", FORMATS)
def test_missing_file(fmt, tmp_path):
    with pytest.raises(FileNotFoundError):
        cn.load(tmp_path / f"absent.{fmt}")


# ---- bad files: JSON ----------------------------------------------------------------


def _json_doc(model, tmp_path):
    path = tmp_path / "ok.json"
    cn.save(model, path)
    return json.loads(path.read_text("ascii"))


def _load_json_text(tmp_path, text):
    path = tmp_path / "bad.json"
    path.write_text(text) if isinstance(text, str) else path.write_bytes(text)
    before = path.read_bytes()
    try:
        return cn.load(path)
    finally:
        assert path.read_bytes() == before  # a failed load changes nothing


def _load_json_doc(tmp_path, doc):
    return _load_json_text(tmp_path, json.dumps(doc))


@pytest.fixture
def net_doc(tmp_path, rng):
    return _json_doc(_sequential(rng, np.float64), tmp_path)


@pytest.fixture
def dense_doc(tmp_path, rng):
    return _json_doc(_dense(rng, np.float64), tmp_path)


@pytest.fixture
def neuron_doc(tmp_path, rng):
    return _json_doc(_neuron(rng, np.float64), tmp_path)


def test_json_truncated(tmp_path, rng):
    path = tmp_path / "m.json"
    cn.save(_sequential(rng, np.float64), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(cn.ModelFileError, match=r"m\.json: not valid JSON \(truncated"):
        cn.load(path)


@pytest.mark.parametrize(
    "text",
    [b"", b"hello, world", b"\x89PNG\r\n\x1a\n\x00\x00", b"\xff\xfe\x00garbage", "{'a': 1}"],
)
def test_json_not_json(text, tmp_path):
    with pytest.raises(cn.ModelFileError, match="not valid JSON"):
        _load_json_text(tmp_path, text)


@pytest.mark.parametrize("text", ["[1, 2]", '"cneuron"', "3.5", "null"])
def test_json_top_level_not_object(text, tmp_path):
    with pytest.raises(cn.ModelFileError, match="not a cneuron model file: the top level is"):
        _load_json_text(tmp_path, text)


def test_json_huge_nesting(tmp_path):
    with pytest.raises(cn.ModelFileError, match="nested too deeply"):
        _load_json_text(tmp_path, "[" * 100_000 + "]" * 100_000)
    deep = '{"format": "cneuron", "version": 1, "model": ' + "[" * 50_000 + "]" * 50_000 + "}"
    with pytest.raises(cn.ModelFileError, match="nested too deeply"):
        _load_json_text(tmp_path, deep)


def test_json_wrong_format_name(dense_doc, tmp_path):
    dense_doc["format"] = "keras"
    with pytest.raises(
        cn.ModelFileError, match="not a cneuron model file: format is the string 'keras'"
    ):
        _load_json_doc(tmp_path, dense_doc)
    del dense_doc["format"]
    with pytest.raises(cn.ModelFileError, match="no 'format' field"):
        _load_json_doc(tmp_path, dense_doc)


def test_json_newer_version(dense_doc, tmp_path):
    dense_doc["version"] = 2
    dense_doc["something_new"] = {}  # the version is reported, not the new field
    with pytest.raises(
        cn.ModelFileError, match=r"format version 2 is newer .* \(version 1\): upgrade cneuron"
    ):
        _load_json_doc(tmp_path, dense_doc)


@pytest.mark.parametrize(
    "version, message",
    [
        (0, "invalid format version 0"),
        ("1", "must be an integer, got the string '1'"),
        (1.0, "must be an integer, got the number 1.0"),
        (True, "got a boolean"),
        (None, "got null"),
    ],
)
def test_json_bad_version(version, message, dense_doc, tmp_path):
    dense_doc["version"] = version
    with pytest.raises(cn.ModelFileError, match=message):
        _load_json_doc(tmp_path, dense_doc)


@pytest.mark.parametrize("typ", ["Conv2D", "dense", None, 3])
def test_json_unknown_model_type(typ, dense_doc, tmp_path):
    dense_doc["model"]["type"] = typ
    with pytest.raises(cn.ModelFileError, match="model: unknown model type"):
        _load_json_doc(tmp_path, dense_doc)


def test_json_layer_type_must_be_dense(net_doc, tmp_path):
    net_doc["model"]["layers"][1]["type"] = "Neuron"
    with pytest.raises(cn.ModelFileError, match="layer 1: type must be 'Dense'"):
        _load_json_doc(tmp_path, net_doc)


def test_json_unknown_activation(net_doc, tmp_path):
    net_doc["model"]["layers"][2]["activation"]["name"] = "swish2"
    with pytest.raises(cn.ModelFileError, match="layer 2: activation: unknown activation 'swish2'"):
        _load_json_doc(tmp_path, net_doc)


@pytest.mark.parametrize(
    "activation, message",
    [
        ({"name": "leaky_relu", "params": {"alpha": "0.2"}}, "alpha must be a real number"),
        ({"name": "leaky_relu", "params": {"beta": 1.0}}, "leaky_relu takes alpha; got beta"),
        ({"name": "gelu", "params": {"approximate": "fast"}}, "approximate must be"),
        ({"name": "elu", "params": {"alpha": "inf"}}, "alpha must be a real number"),
        ({"name": "sigmoid"}, "activation: missing field 'params'"),
        ({"name": "sigmoid", "params": []}, "activation params: expected an object"),
        ({"name": 7, "params": {}}, "must be a name"),
        ("sigmoid", "activation: expected an object, got the string"),
    ],
)
def test_json_bad_activation(activation, message, neuron_doc, tmp_path):
    neuron_doc["model"]["activation"] = activation
    with pytest.raises(cn.ModelFileError, match=message):
        _load_json_doc(tmp_path, neuron_doc)


def test_json_row_wise_activation_on_neuron_or_wrong_axis(neuron_doc, dense_doc, tmp_path):
    neuron_doc["model"]["activation"] = {"name": "softmax", "params": {"axis": -1}}
    with pytest.raises(cn.ModelFileError, match="softmax is not elementwise"):
        _load_json_doc(tmp_path, neuron_doc)
    dense_doc["model"]["activation"] = {"name": "softmax", "params": {"axis": 0}}
    with pytest.raises(cn.ModelFileError, match="axis=0"):
        _load_json_doc(tmp_path, dense_doc)


@pytest.mark.parametrize(
    "weights, message",
    [
        ([1.0, 2.0, 3.0, 4.0], r"weights\[0\]: expected a row"),
        (5.0, "expected a list of rows"),
        ([[1.0, 2.0, 3.0, 4.0], [1.0, 2.0], [1.0, 2.0, 3.0, 4.0]], "rows of different lengths"),
        ([[[1.0]] * 4] * 3, r"weights\[0\]\[0\]: expected a number"),
        ([], r"both at least 1, got \(0, 0\)"),
        ([[], [], []], r"both at least 1, got \(3, 0\)"),
    ],
)
def test_json_weights_wrong_shape(weights, message, dense_doc, tmp_path):
    dense_doc["model"]["weights"] = weights
    with pytest.raises(cn.ModelFileError, match=message):
        _load_json_doc(tmp_path, dense_doc)


def test_json_neuron_weights_and_bias_shape(neuron_doc, tmp_path):
    good = dict(neuron_doc["model"])
    neuron_doc["model"]["weights"] = [[1.0, 2.0]]
    with pytest.raises(cn.ModelFileError, match=r"model: weights\[0\]: expected a number"):
        _load_json_doc(tmp_path, neuron_doc)
    neuron_doc["model"] = dict(good, weights=[])
    with pytest.raises(cn.ModelFileError, match="at least one weight"):
        _load_json_doc(tmp_path, neuron_doc)
    neuron_doc["model"] = dict(good, bias=[0.5])
    with pytest.raises(cn.ModelFileError, match="model: bias: expected a number"):
        _load_json_doc(tmp_path, neuron_doc)


def test_json_bias_wrong_length(dense_doc, net_doc, tmp_path):
    dense_doc["model"]["bias"] = [0.0, 1.0]
    with pytest.raises(cn.ModelFileError, match=r"model: bias: expected 3 values .*, got 2"):
        _load_json_doc(tmp_path, dense_doc)
    net_doc["model"]["layers"][1]["bias"].append(0.0)
    with pytest.raises(cn.ModelFileError, match=r"layer 1: bias: expected 5 values .*, got 6"):
        _load_json_doc(tmp_path, net_doc)


def test_json_layer_sizes_mismatch(net_doc, tmp_path):
    layer = net_doc["model"]["layers"][1]
    layer["weights"] = [row[:-1] for row in layer["weights"]]  # 5 inputs after 6 outputs
    with pytest.raises(cn.ModelFileError, match="layer 1: has 5 inputs but layer 0 has 6 outputs"):
        _load_json_doc(tmp_path, net_doc)


@pytest.mark.parametrize("dtype", ["float16", "object", "float128", "int64", None, ["float64"]])
def test_json_bad_dtype(dtype, net_doc, neuron_doc, tmp_path):
    for doc in (net_doc, neuron_doc):
        doc["model"]["dtype"] = dtype
        with pytest.raises(cn.ModelFileError, match="dtype must be 'float32' or 'float64', got"):
            _load_json_doc(tmp_path, doc)


@pytest.mark.parametrize(
    "value, message",
    [
        ("0.5", "got the string '0.5'"),
        ("Infinity", "got the string 'Infinity'"),
        (True, "got a boolean"),
        (None, "got null"),
        ({"v": 1.0}, "got an object"),
    ],
)
def test_json_strings_in_place_of_numbers(value, message, dense_doc, neuron_doc, tmp_path):
    dense_doc["model"]["weights"][1][2] = value
    with pytest.raises(cn.ModelFileError, match=r"model: weights\[1\]\[2\]: expected a number"):
        _load_json_doc(tmp_path, dense_doc)
    with pytest.raises(cn.ModelFileError, match=message):
        _load_json_doc(tmp_path, dense_doc)
    neuron_doc["model"]["bias"] = value
    with pytest.raises(cn.ModelFileError, match="model: bias: expected a number"):
        _load_json_doc(tmp_path, neuron_doc)


def test_json_non_strict_constants_and_overflow(dense_doc, tmp_path):
    text = json.dumps(dense_doc).replace('"bias": [', '"bias": [NaN, ', 1)
    with pytest.raises(cn.ModelFileError, match="NaN is not strict JSON"):
        _load_json_text(tmp_path, text)
    dense_doc["model"]["bias"][0] = 12345.0
    text = json.dumps(dense_doc).replace("12345.0", "1e999")
    with pytest.raises(cn.ModelFileError, match=r"model: bias\[0\]: number inf out of range"):
        _load_json_text(tmp_path, text)
    text = json.dumps(dense_doc).replace("12345.0", "1" + "0" * 400)
    with pytest.raises(cn.ModelFileError, match=r"bias\[0\]: integer out of range"):
        _load_json_text(tmp_path, text)


def test_json_float32_overflow(dense_doc, tmp_path):
    dense_doc["model"]["dtype"] = "float32"
    dense_doc["model"]["weights"][0][0] = 1e300
    with pytest.raises(cn.ModelFileError, match=r"1e\+?300 is beyond the range of float32"):
        _load_json_doc(tmp_path, dense_doc)


def test_json_fields(dense_doc, net_doc, tmp_path):
    dense_doc["model"]["bais"] = [0.0, 0.0, 0.0]
    with pytest.raises(cn.ModelFileError, match=r"model: unexpected field.*'bais'"):
        _load_json_doc(tmp_path, dense_doc)
    del dense_doc["model"]["bias"]
    with pytest.raises(cn.ModelFileError, match="model: missing field 'bias'"):
        _load_json_doc(tmp_path, dense_doc)
    net_doc["model"]["layers"] = []
    with pytest.raises(cn.ModelFileError, match="layers: expected a non-empty list"):
        _load_json_doc(tmp_path, net_doc)
    del net_doc["model"]
    with pytest.raises(cn.ModelFileError, match="missing field 'model'"):
        _load_json_doc(tmp_path, net_doc)


def test_json_duplicate_field(tmp_path):
    text = '{"format": "cneuron", "version": 1, "version": 1, "model": {}}'
    with pytest.raises(cn.ModelFileError, match="'version' appears twice"):
        _load_json_text(tmp_path, text)


# ---- bad files: npz -----------------------------------------------------------------


def _npz_parts(model, tmp_path):
    """(header document, arrays) of the model saved as .npz."""
    path = tmp_path / "ok.npz"
    cn.save(model, path)
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return json.loads(str(arrays.pop("header")[()])), arrays


def _write_npz(tmp_path, doc, arrays):
    path = tmp_path / "bad.npz"
    header: dict[str, Any] = {} if doc is None else {"header": np.array(json.dumps(doc))}
    np.savez(path, **header, **arrays)
    return path


def _load_npz(tmp_path, doc, arrays):
    path = _write_npz(tmp_path, doc, arrays)
    before = path.read_bytes()
    try:
        return cn.load(path)
    finally:
        assert path.read_bytes() == before


def test_npz_written_by_hand_loads(tmp_path, rng):
    # the helpers above write a valid file when nothing is changed
    net = _sequential(rng, np.float64)
    doc, arrays = _npz_parts(net, tmp_path)
    assert_same_model(net, _load_npz(tmp_path, doc, arrays), rng)


@pytest.mark.parametrize("fraction", [0.5, 0.9, 0.1])
def test_npz_truncated(fraction, tmp_path, rng):
    path = tmp_path / "m.npz"
    cn.save(_sequential(rng, np.float64), path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(cn.ModelFileError, match=r"m\.npz: .*corrupt or truncated"):
        cn.load(path)


def test_npz_corrupt_data(tmp_path, rng):
    path = tmp_path / "m.npz"
    cn.save(_dense(rng, np.float64, 40, 30), path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # inside the weights: the zip's CRC no longer matches
    path.write_bytes(bytes(data))
    with pytest.raises(cn.ModelFileError, match="corrupt or truncated"):
        cn.load(path)


@pytest.mark.parametrize("content", [b"", b"hello", b'{"format": "cneuron"}'])
def test_npz_not_a_zip(content, tmp_path):
    path = tmp_path / "m.npz"
    path.write_bytes(content)
    with pytest.raises(cn.ModelFileError, match=r"not an \.npz file"):
        cn.load(path)


def test_npz_holding_a_npy(tmp_path):
    path = tmp_path / "m.npz"
    with open(path, "wb") as f:
        np.save(f, np.zeros(3))
    with pytest.raises(cn.ModelFileError, match=r"not an \.npz file"):
        cn.load(path)


def test_npz_wrong_format_and_version(tmp_path, rng):
    doc, arrays = _npz_parts(_dense(rng, np.float64), tmp_path)
    with pytest.raises(cn.ModelFileError, match="format version 2 is newer"):
        _load_npz(tmp_path, dict(doc, version=2), arrays)
    with pytest.raises(cn.ModelFileError, match="format is the string 'other'"):
        _load_npz(tmp_path, dict(doc, format="other"), arrays)
    with pytest.raises(cn.ModelFileError, match="no 'header' array"):
        _load_npz(tmp_path, None, arrays)


def test_npz_bad_header(tmp_path, rng):
    doc, arrays = _npz_parts(_dense(rng, np.float64), tmp_path)
    path = tmp_path / "bad.npz"
    np.savez(path, header=np.array(json.dumps(doc).encode()), **arrays)  # bytes, not str
    with pytest.raises(cn.ModelFileError, match="header: expected a 0-d unicode array"):
        cn.load(path)
    np.savez(path, header=np.array(json.dumps(doc)[:-3]), **arrays)
    with pytest.raises(cn.ModelFileError, match="not valid JSON"):
        cn.load(path)


def test_npz_unknown_type_and_activation(tmp_path, rng):
    doc, arrays = _npz_parts(_sequential(rng, np.float64), tmp_path)
    with pytest.raises(cn.ModelFileError, match="unknown model type the string 'RNN'"):
        _load_npz(tmp_path, dict(doc, model=dict(doc["model"], type="RNN")), arrays)
    doc["model"]["layers"][0]["activation"] = {"name": "nope", "params": {}}
    with pytest.raises(cn.ModelFileError, match="layer 0: activation: unknown activation 'nope'"):
        _load_npz(tmp_path, doc, arrays)


def test_npz_weights_wrong_shape(tmp_path, rng):
    doc, arrays = _npz_parts(_sequential(rng, np.float64), tmp_path)
    bad = dict(arrays, **{"layer1.weights": arrays["layer1.weights"].ravel()})
    with pytest.raises(
        cn.ModelFileError, match=r"layer 1: weights .*expected a 2-D array, got shape"
    ):
        _load_npz(tmp_path, doc, bad)
    bad = dict(arrays, **{"layer2.bias": arrays["layer2.bias"][:2]})
    with pytest.raises(cn.ModelFileError, match=r"layer 2: bias: expected 3 values .*, got 2"):
        _load_npz(tmp_path, doc, bad)
    bad = dict(arrays, **{"layer1.weights": arrays["layer1.weights"][:, :4]})
    with pytest.raises(cn.ModelFileError, match="layer 1: has 4 inputs but layer 0 has 6 outputs"):
        _load_npz(tmp_path, doc, bad)
    ndoc, narrays = _npz_parts(_neuron(rng, np.float64), tmp_path)
    with pytest.raises(cn.ModelFileError, match=r"bias .*expected a 0-d array \(a scalar\)"):
        _load_npz(tmp_path, ndoc, dict(narrays, bias=narrays["bias"].reshape(1)))


def test_npz_dtypes(tmp_path, rng):
    doc, arrays = _npz_parts(_dense(rng, np.float64), tmp_path)
    for bad in ("float16", "object"):
        with pytest.raises(cn.ModelFileError, match=f"dtype must be .*, got the string '{bad}'"):
            _load_npz(tmp_path, dict(doc, model=dict(doc["model"], dtype=bad)), arrays)
    f32 = dict(doc, model=dict(doc["model"], dtype="float32"))  # arrays are float64
    with pytest.raises(cn.ModelFileError, match=r"dtype float64 does not match .* float32"):
        _load_npz(tmp_path, f32, arrays)
    as_int = dict(arrays, bias=np.arange(3))
    with pytest.raises(cn.ModelFileError, match="dtype int64 does not match"):
        _load_npz(tmp_path, doc, as_int)
    # another byte order is the same dtype: accepted, values kept
    swapped = {k: v.astype(v.dtype.newbyteorder()) for k, v in arrays.items()}
    loaded = _load_npz(tmp_path, doc, swapped)
    assert loaded.weights.tobytes() == arrays["weights"].tobytes()


class _Tripwire:
    """Unpickling this creates a directory: proof that a pickle was executed."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


def test_npz_object_array_is_never_unpickled(tmp_path, rng):
    doc, arrays = _npz_parts(_dense(rng, np.float64), tmp_path)
    flag = tmp_path / "unpickled"
    evil = np.array([_Tripwire(str(flag))] * 3, dtype=object)
    path = tmp_path / "evil.npz"
    np.savez(path, header=np.array(json.dumps(doc)), weights=arrays["weights"], bias=evil)
    with pytest.raises(cn.ModelFileError, match=r"bias.*object array .*never unpickles"):
        cn.load(path)
    assert not flag.exists()
    with np.load(path, allow_pickle=True) as npz:  # the tripwire works
        npz["bias"]
    assert flag.is_dir()


def test_npz_missing_and_extra_arrays(tmp_path, rng):
    doc, arrays = _npz_parts(_sequential(rng, np.float32), tmp_path)
    missing = {k: v for k, v in arrays.items() if k != "layer2.bias"}
    with pytest.raises(cn.ModelFileError, match=r"layer 2: bias .*missing array 'layer2\.bias'"):
        _load_npz(tmp_path, doc, missing)
    extra = dict(arrays, **{"layer3.weights": np.ones((3, 3), np.float32)})
    with pytest.raises(cn.ModelFileError, match=r"unexpected array.*'layer3\.weights'"):
        _load_npz(tmp_path, doc, extra)
    inline = dict(doc, model=dict(doc["model"], layers=doc["model"]["layers"][:2]))
    with pytest.raises(cn.ModelFileError, match=r"unexpected array.*'layer2\.bias'"):
        _load_npz(tmp_path, inline, arrays)


def test_npz_forged_shape_is_refused_before_reading(tmp_path):
    """An array header claiming far more data than the archive holds is refused
    from the header alone (no 8 TB allocation)."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    )
    buf.write(np.zeros(4).tobytes())
    doc = {
        "format": "cneuron",
        "version": 1,
        "model": {
            "type": "Neuron",
            "dtype": "float64",
            "activation": {"name": "relu", "params": {}},
        },
    }
    path = tmp_path / "forged.npz"
    with zipfile.ZipFile(path, "w") as zf:
        hb = io.BytesIO()
        np.save(hb, np.array(json.dumps(doc)))
        zf.writestr("header.npy", hb.getvalue())
        zf.writestr("weights.npy", buf.getvalue())
        bb = io.BytesIO()
        np.save(bb, np.array(0.5))
        zf.writestr("bias.npy", bb.getvalue())
    with pytest.raises(cn.ModelFileError, match=r"weights .*declares shape \(1000000000000,\)"):
        cn.load(path)


def test_npz_foreign_member(tmp_path, rng):
    path = tmp_path / "m.npz"
    cn.save(_dense(rng, np.float64), path)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(cn.ModelFileError, match=r"unexpected archive member 'readme\.txt'"):
        cn.load(path)
