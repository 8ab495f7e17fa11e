"""Saving and loading models: ``save(model, path)`` and ``load(path)``.

A ``Neuron``, ``Dense`` or ``Sequential`` goes to a file and comes back bit
for bit: weights, bias, dtype, activation and its parameters, and so the
loaded model's outputs. The file's extension chooses the format:

``.json`` -- readable strict JSON, for small models::

    {
      "format": "cneuron",
      "version": 1,
      "model": {
        "type": "Sequential",
        "dtype": "float64",
        "layers": [
          {
            "type": "Dense",
            "activation": {"name": "leaky_relu", "params": {"alpha": 0.2}},
            "weights": [
              [0.5, -1.25],
              [2.0, "inf"]
            ],
            "bias": [0.1, "nan"]
          }
        ]
      }
    }

  A ``Dense`` model is one such layer object with ``"dtype"`` added; a
  ``Neuron`` is ``{"type": "Neuron", "dtype", "activation", "weights": [...],
  "bias": number}``. ``weights`` of a layer are (n_outputs, n_inputs), row j
  being output j's. Every value is written as the shortest decimal that reads
  back as the same float64 (a float32 value converts to float64 exactly, and
  back). Infinities and NaN are not JSON numbers: they are written as the
  strings ``"inf"``, ``"-inf"`` and ``"nan"``. NaN's sign and payload bits
  are not kept (any NaN loads as the default NaN).

``.npz`` -- numpy's zip of ``.npy`` arrays, for large models: a 0-d unicode
  array ``header`` holds the JSON above without the ``weights`` and ``bias``
  fields, which are arrays of the model's dtype beside it: ``weights`` and
  ``bias`` for a ``Neuron`` (bias 0-d) or a ``Dense``; ``layer0.weights``,
  ``layer0.bias``, ``layer1.weights``, ... for a ``Sequential``. Every bit is
  kept, NaN payloads included.

Loading trusts nothing in the file. It checks the format name and version,
every type name, field, shape and dtype, and the activation, and raises
``ModelFileError`` (a ``ValueError``) saying what is wrong and where. A
``.npz`` is read with ``numpy.load(..., allow_pickle=False)``, after each
array's header has been checked (dtype, and a size the archive really holds),
so a pickled object array is refused unread and a forged shape allocates
nothing. Saving writes a temporary file beside ``path`` and renames it over
``path``: an interrupted save leaves the previous file (or none) in place.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any, Union

import numpy as np

from ._layers import Dense, Sequential
from ._neuron import Neuron
from .activations import Activation, get

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "ModelFileError", "load", "save"]

#: The format name every model file carries.
FORMAT_NAME = "cneuron"
#: The format version this cneuron writes, and the newest it reads.
FORMAT_VERSION = 1

Model = Union[Neuron, Dense, Sequential]

_EXTENSIONS = {".json": "json", ".npz": "npz"}
_DTYPES: dict[str, np.dtype] = {"float64": np.dtype(np.float64), "float32": np.dtype(np.float32)}
_NONFINITE = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip's first entry; an empty zip

# what reading a damaged zip / npy member can raise (zipfile, zlib, the npy
# header parser); each becomes a ModelFileError
_CORRUPT: tuple[type[BaseException], ...] = (
    ValueError,
    TypeError,
    KeyError,
    EOFError,
    OSError,
    RuntimeError,
    NotImplementedError,
    OverflowError,
    struct.error,
    zipfile.BadZipFile,
    zlib.error,
)


class ModelFileError(ValueError):
    """A file is not a valid cneuron model file, or its name gives no format.

    Raised by ``load`` for a truncated, corrupt, hostile or newer-version file,
    and by ``save`` and ``load`` for a path whose extension is neither
    ``.json`` nor ``.npz``. The message says what is wrong and where. A
    subclass of ``ValueError``.
    """


# ---- paths and atomic writes ------------------------------------------------------


def _path_and_format(path: Any) -> tuple[str, str]:
    """``path`` as a str and its format ("json" or "npz"), from the extension."""
    try:
        p = os.fspath(path)
    except TypeError:
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}") from None
    if isinstance(p, bytes):
        p = os.fsdecode(p)
    ext = os.path.splitext(p)[1]
    fmt = _EXTENSIONS.get(ext.lower())
    if fmt is None:
        got = f"{ext!r}" if ext else "none"
        raise ModelFileError(
            f"{p}: the extension chooses the format and must be .json or .npz, got {got}"
        )
    return p, fmt


def _atomic_write(path: str, write: Callable[[IO[bytes]], Any]) -> None:
    """Write ``path`` through ``write(file)``: into a new temporary file in the
    same directory, flushed to disk, then renamed over ``path``. On any error
    (or interrupt) the temporary file is removed and ``path`` is untouched."""
    directory, name = os.path.split(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = os.path.join(directory, f".{name[:64]}.{secrets.token_hex(8)}.tmp")
        try:
            fd = os.open(tmp, flags, 0o666)  # the umask applies, as for open()
            break
        except FileExistsError:  # pragma: no cover - 64 random bits collided
            continue
    try:
        with contextlib.suppress(OSError):  # a replaced file keeps its permissions
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# ---- saving -----------------------------------------------------------------------


def _encode_float(v: float) -> float | str:
    """A float for JSON: itself if finite, else "inf", "-inf" or "nan"."""
    if math.isfinite(v):
        return v
    if math.isnan(v):
        return "nan"
    return "inf" if v > 0 else "-inf"


def _encode_array(a: np.ndarray) -> Any:
    """Nested lists of Python floats (float64, exact for float32 too)."""
    values = a.tolist()
    if bool(np.isfinite(a).all()):
        return values
    if a.ndim == 1:
        return [_encode_float(v) for v in values]
    return [[_encode_float(v) for v in row] for row in values]


def _describe(model: Any, inline: bool) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The model's document (with weights and bias when ``inline``) and, when
    not, the arrays to store beside it, by name."""
    if not isinstance(model, (Neuron, Dense, Sequential)):
        raise TypeError(
            f"save takes a cneuron Neuron, Dense or Sequential, got {type(model).__name__}"
        )
    dtype = str(model.dtype)
    arrays: dict[str, np.ndarray] = {}

    def describe(typ: str, m: Neuron | Dense, prefix: str | None) -> dict[str, Any]:
        """A Neuron or Dense; ``prefix`` None for the model itself, else a
        Sequential's layer, whose arrays are named ``prefix + "weights"`` etc."""
        doc: dict[str, Any] = {"type": typ}
        if prefix is None:
            doc["dtype"] = dtype
        doc["activation"] = {"name": m.activation, "params": m.activation_params}
        w = m.weights
        b = np.array(m.bias, dtype=w.dtype)  # a Neuron's bias: 0-d
        if inline:
            doc["weights"] = _encode_array(w)
            doc["bias"] = _encode_float(float(b)) if b.ndim == 0 else _encode_array(b)
        else:
            arrays[(prefix or "") + "weights"] = w
            arrays[(prefix or "") + "bias"] = b
        return doc

    if isinstance(model, Neuron):
        return describe("Neuron", model, None), arrays
    if isinstance(model, Dense):
        return describe("Dense", model, None), arrays
    layers = [describe("Dense", layer, f"layer{i}.") for i, layer in enumerate(model.layers)]
    return {"type": "Sequential", "dtype": dtype, "layers": layers}, arrays


def _holds_list(obj: Any) -> bool:
    if isinstance(obj, dict):
        return any(_holds_list(v) for v in obj.values())
    return isinstance(obj, list)


def _pretty(obj: Any, indent: str = "") -> str:
    """Indented strict JSON: each list of numbers (a weight row) on one line,
    however long, and so is a short object holding no list (an activation)."""
    if isinstance(obj, list) and not any(isinstance(v, (list, dict)) for v in obj):
        return json.dumps(obj, allow_nan=False)
    if not isinstance(obj, (list, dict)) or not _holds_list(obj):
        flat = json.dumps(obj, allow_nan=False)
        if len(flat) <= 72 or not isinstance(obj, dict):
            return flat
    inner = indent + "  "
    if isinstance(obj, dict):
        items = [f"{inner}{json.dumps(k)}: {_pretty(v, inner)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    return "[\n" + ",\n".join(inner + _pretty(v, inner) for v in obj) + "\n" + indent + "]"


def save(model: Neuron | Dense | Sequential, path: str | os.PathLike[str]) -> None:
    """Save a model to ``path``, in the format its extension names.

    Parameters
    ----------
    model : Neuron, Dense or Sequential
        The model. Its weights, bias, dtype, activation and the activation's
        parameters are saved; ``load`` gives them back bit for bit (in
        ``.json``, NaN's sign and payload bits excepted).
    path : str or os.PathLike
        ``.json`` (readable strict JSON, for small models) or ``.npz``
        (numpy's array archive, for large ones). See the module docstring
        (``help(cneuron._io)``) for the layout of each.

    Raises
    ------
    TypeError
        ``model`` is not a Neuron, Dense or Sequential.
    ModelFileError
        The extension is neither ``.json`` nor ``.npz``.
    OSError
        The file cannot be written (e.g. its directory does not exist).

    Notes
    -----
    The write is atomic: the file is written beside ``path`` under a
    temporary name, flushed to disk, then renamed over ``path``. A save that
    fails or is interrupted leaves whatever was at ``path`` before, and no
    temporary file.

    Examples
    --------
    >>> import cneuron as cn
    >>> layer = cn.Dense([[0.5, -1.0]], [0.25], activation="leaky_relu")
    >>> cn.save(layer, "layer.json")                      # doctest: +SKIP
    >>> cn.load("layer.json").weights.tolist()            # doctest: +SKIP
    [[0.5, -1.0]]
    """
    p, fmt = _path_and_format(path)
    doc, arrays = _describe(model, inline=fmt == "json")
    top = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "model": doc}
    if fmt == "json":
        data = (_pretty(top) + "\n").encode("ascii")
        _atomic_write(p, lambda f: f.write(data))
    else:
        header = json.dumps(top, allow_nan=False, separators=(",", ":"))
        payload: dict[str, Any] = {"header": np.array(header), **arrays}
        # to an open file: savez given a name would append ".npz" to it
        _atomic_write(p, lambda f: np.savez(f, **payload))


# ---- loading: the document --------------------------------------------------------


def _fail(src: str, where: str, msg: str) -> ModelFileError:
    return ModelFileError(f"{src}: {where}: {msg}" if where else f"{src}: {msg}")


def _kind(value: Any) -> str:
    """How a JSON value is described in messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, (int, float)):
        return f"the number {repr(value)[:40]}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _reject_constant(name: str) -> Any:
    raise ModelFileError(
        f'{name} is not strict JSON; non-finite values are written as "inf", "-inf", "nan"'
    )


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise ModelFileError(f"the field {key!r} appears twice in one object")
        obj[key] = value
    return obj


def _parse_json(text: str | bytes, src: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_no_duplicates)
    except ModelFileError as exc:
        raise ModelFileError(f"{src}: {exc}") from None
    except RecursionError:
        raise ModelFileError(f"{src}: not a model file: JSON nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, bad UTF-8, an integer too long
        raise ModelFileError(f"{src}: not valid JSON (truncated or corrupt?): {exc}") from None


def _object(value: Any, src: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(src, where, f"expected an object, got {_kind(value)}")
    return value


def _fields(obj: dict[str, Any], names: tuple[str, ...], src: str, where: str) -> None:
    """``obj`` has exactly the fields ``names``."""
    missing = [k for k in names if k not in obj]
    if missing:
        raise _fail(src, where, f"missing field {missing[0]!r}")
    extra = sorted(set(obj) - set(names))
    if extra:
        raise _fail(
            src,
            where,
            f"unexpected field(s) {', '.join(map(repr, extra[:5]))}; "
            f"expected {', '.join(map(repr, names))}",
        )


def _check_top(doc: Any, src: str) -> dict[str, Any]:
    """The document's ``model`` object, once the format and version are right."""
    if not isinstance(doc, dict):
        raise _fail(src, "", f"not a cneuron model file: the top level is {_kind(doc)}")
    if "format" not in doc:
        raise _fail(src, "", "not a cneuron model file: no 'format' field")
    if doc["format"] != FORMAT_NAME:
        raise _fail(
            src,
            "",
            f"not a cneuron model file: format is {_kind(doc['format'])}, expected {FORMAT_NAME!r}",
        )
    version = doc.get("version")
    if type(version) is not int:
        raise _fail(src, "", f"format version must be an integer, got {_kind(version)}")
    if version > FORMAT_VERSION:
        raise _fail(
            src,
            "",
            f"format version {version} is newer than this cneuron supports "
            f"(version {FORMAT_VERSION}): upgrade cneuron to load it",
        )
    if version < 1:
        raise _fail(src, "", f"invalid format version {version} (versions start at 1)")
    _fields(doc, ("format", "version", "model"), src, "")
    return _object(doc["model"], src, "model")


def _dtype(value: Any, src: str) -> np.dtype:
    if not isinstance(value, str) or value not in _DTYPES:
        raise _fail(src, "model", f"dtype must be 'float32' or 'float64', got {_kind(value)}")
    return _DTYPES[value]


def _activation(value: Any, src: str, where: str) -> Activation:
    obj = _object(value, src, f"{where}: activation")
    _fields(obj, ("name", "params"), src, f"{where}: activation")
    params = _object(obj["params"], src, f"{where}: activation params")
    try:
        return get(obj["name"], **params)
    except (TypeError, ValueError) as exc:
        raise _fail(src, f"{where}: activation", str(exc)) from None


# ---- loading: the numbers ---------------------------------------------------------


def _float(v: Any, src: str, where: str, index: int | None = None) -> float:
    """A JSON number, or "inf", "-inf", "nan", as a Python float."""
    t = type(v)
    if t is float and math.isfinite(v):
        return float(v)
    if t is int:
        with contextlib.suppress(OverflowError):
            return float(v)
        msg = "integer out of range"
    elif t is str and v in _NONFINITE:
        return _NONFINITE[v]
    elif t is float:  # a literal such as 1e999: not what save writes
        msg = f'number {v!r} out of range; infinities are written "inf" or "-inf"'
    else:
        msg = f'expected a number or "inf", "-inf", "nan", got {_kind(v)}'
    raise _fail(src, where if index is None else f"{where}[{index}]", msg)


def _json_array(value: Any, ndim: int, src: str, where: str) -> np.ndarray:
    """A JSON number (ndim 0), list of numbers (1) or list of rows (2) as float64."""
    if ndim == 0:
        return np.array(_float(value, src, where))
    if not isinstance(value, list):
        what = "a list of numbers" if ndim == 1 else "a list of rows (lists of numbers)"
        raise _fail(src, where, f"expected {what}, got {_kind(value)}")
    if ndim == 1:
        return np.array([_float(v, src, where, i) for i, v in enumerate(value)], dtype=np.float64)
    rows: list[list[float]] = []
    for i, row in enumerate(value):
        w = f"{where}[{i}]"
        if not isinstance(row, list):
            raise _fail(src, w, f"expected a row (a list of numbers), got {_kind(row)}")
        rows.append([_float(v, src, w, j) for j, v in enumerate(row)])
        if len(row) != len(rows[0]):
            raise _fail(
                src,
                where,
                f"rows of different lengths: row 0 has {len(rows[0])} values, "
                f"row {i} has {len(row)}",
            )
    return np.array(rows, dtype=np.float64).reshape(len(rows), len(rows[0]) if rows else 0)


def _round_to(a: np.ndarray, dtype: np.dtype, src: str, where: str) -> np.ndarray:
    """float64 values as ``dtype``; a finite value beyond float32's range is an error."""
    if a.dtype == dtype:
        return a
    with np.errstate(over="ignore"):
        r = a.astype(dtype)
    bad = np.isinf(r) & np.isfinite(a)
    if bad.any():
        raise _fail(src, where, f"{float(a[bad][0])!r} is beyond the range of {dtype}")
    return r


@contextlib.contextmanager
def _corrupt(src: str, where: str) -> Iterator[None]:
    """Turn what a damaged archive raises into a ModelFileError."""
    try:
        yield
    except ModelFileError:
        raise
    except _CORRUPT as exc:
        raise ModelFileError(
            f"{src}: {where}: corrupt or truncated file ({type(exc).__name__}: {exc})"
        ) from exc


class _JsonArrays:
    """Where a JSON document's weights and biases are: inline."""

    fields = ("weights", "bias")

    def __init__(self, src: str) -> None:
        self.src = src

    def get(
        self, doc: dict[str, Any], key: str, name: str, ndim: int, where: str, dtype: np.dtype
    ) -> np.ndarray:
        """``doc[key]``, a ``ndim``-D array of ``dtype`` (``name`` is unused)."""
        a = _json_array(doc[key], ndim, self.src, f"{where}: {key}")
        return _round_to(a, dtype, self.src, f"{where}: {key}")


class _NpzArrays:
    """Where an ``.npz`` header's weights and biases are: arrays of the open
    archive ``npz``, each read at most once, after its npy header is checked."""

    fields: tuple[str, ...] = ()

    def __init__(self, npz: Any, src: str) -> None:
        self.npz = npz
        self.src = src
        with _corrupt(src, "archive"):
            members = npz.zip.namelist()
        bad = [m for m in members if not m.endswith(".npy")]
        if bad:
            raise _fail(src, "", f"unexpected archive member {bad[0][:80]!r} (not an .npy array)")
        self.names = {m[: -len(".npy")] for m in members}
        if len(self.names) != len(members):
            raise _fail(src, "", "an array name appears twice in the archive")
        self.unread = set(self.names)

    def read(self, name: str, where: str) -> np.ndarray:
        """The array ``name``, read once its npy header has been checked."""
        if name not in self.names:
            raise _fail(self.src, where, f"missing array {name!r}")
        self.unread.discard(name)
        zf = self.npz.zip
        with _corrupt(self.src, where):
            info = zf.getinfo(name + ".npy")
            with zf.open(info) as m:
                version = np.lib.format.read_magic(m)
                if version == (1, 0):
                    shape, _, dt = np.lib.format.read_array_header_1_0(m)
                elif version == (2, 0):
                    shape, _, dt = np.lib.format.read_array_header_2_0(m)
                else:
                    raise _fail(self.src, where, f"unsupported .npy format version {version}")
                available = info.file_size - m.tell()
        if dt.hasobject:
            raise _fail(
                self.src,
                where,
                "holds an object array (pickled Python objects), which cneuron never "
                "unpickles: refused",
            )
        if any(n < 0 for n in shape) or math.prod(shape) * dt.itemsize > available:
            raise _fail(
                self.src,
                where,
                f"declares shape {shape} of {dt} but holds {available} bytes of data: "
                "truncated or corrupt",
            )
        with _corrupt(self.src, where):
            a = self.npz[name]
        if not isinstance(a, np.ndarray):  # pragma: no cover - its npy header was read
            raise _fail(self.src, where, f"not an array: {type(a).__name__}")
        return a

    def get(
        self, doc: dict[str, Any], key: str, name: str, ndim: int, where: str, dtype: np.dtype
    ) -> np.ndarray:
        """The array ``name``, ``ndim``-D, of ``dtype`` in either byte order."""
        w = f"{where}: {key} (array {name!r})"
        a = self.read(name, w)
        if a.dtype.kind != "f" or a.dtype.itemsize != dtype.itemsize:
            raise _fail(self.src, w, f"dtype {a.dtype} does not match the model's dtype {dtype}")
        if a.ndim != ndim:
            expected = {0: "a 0-d array (a scalar)", 1: "a 1-D array", 2: "a 2-D array"}[ndim]
            raise _fail(self.src, w, f"expected {expected}, got shape {a.shape}")
        return a.astype(dtype, copy=False)  # native byte order


# ---- loading: the model -----------------------------------------------------------


def _build(doc: dict[str, Any], arrays: _JsonArrays | _NpzArrays, src: str) -> Model:
    """The model a checked document's ``model`` object describes."""
    typ = doc.get("type")
    if typ not in ("Neuron", "Dense", "Sequential"):
        raise _fail(
            src,
            "model",
            f"unknown model type {_kind(typ)}; expected 'Neuron', 'Dense' or 'Sequential'",
        )
    if typ == "Sequential":
        _fields(doc, ("type", "dtype", "layers"), src, "model")
        dtype = _dtype(doc["dtype"], src)
        items = doc["layers"]
        if not isinstance(items, list) or not items:
            raise _fail(src, "model: layers", f"expected a non-empty list, got {_kind(items)}")
        layers: list[Dense] = []
        for i, item in enumerate(items):
            where = f"layer {i}"
            layer_doc = _object(item, src, where)
            if layer_doc.get("type") != "Dense":
                raise _fail(src, where, f"type must be 'Dense', got {_kind(layer_doc.get('type'))}")
            _fields(layer_doc, ("type", "activation", *arrays.fields), src, where)
            layer = _dense(layer_doc, arrays, f"layer{i}.", src, where, dtype)
            if layers and layer.n_inputs != layers[-1].n_outputs:
                raise _fail(
                    src,
                    where,
                    f"has {layer.n_inputs} inputs but layer {i - 1} has "
                    f"{layers[-1].n_outputs} outputs",
                )
            layers.append(layer)
        return Sequential(layers)
    _fields(doc, ("type", "dtype", "activation", *arrays.fields), src, "model")
    dtype = _dtype(doc["dtype"], src)
    if typ == "Dense":
        return _dense(doc, arrays, "", src, "model", dtype)
    act = _activation(doc["activation"], src, "model")
    w = arrays.get(doc, "weights", "weights", 1, "model", dtype)
    if w.shape[0] == 0:
        raise _fail(src, "model: weights", "expected at least one weight, got none")
    b = arrays.get(doc, "bias", "bias", 0, "model", dtype)
    try:
        return Neuron(w, b, act)
    except (TypeError, ValueError) as exc:
        raise _fail(src, "model", str(exc)) from None


def _dense(
    doc: dict[str, Any],
    arrays: _JsonArrays | _NpzArrays,
    prefix: str,
    src: str,
    where: str,
    dtype: np.dtype,
) -> Dense:
    """A Dense from its checked object; its arrays are ``prefix + "weights"`` etc."""
    act = _activation(doc["activation"], src, where)
    w = arrays.get(doc, "weights", prefix + "weights", 2, where, dtype)
    if 0 in w.shape:
        raise _fail(
            src,
            f"{where}: weights",
            f"expected shape (n_outputs, n_inputs), both at least 1, got {w.shape}",
        )
    b = arrays.get(doc, "bias", prefix + "bias", 1, where, dtype)
    if b.shape != (w.shape[0],):
        raise _fail(
            src,
            f"{where}: bias",
            f"expected {w.shape[0]} values (one per output), got {b.shape[0]}",
        )
    try:
        return Dense(w, b, act)
    except (TypeError, ValueError) as exc:
        raise _fail(src, where, str(exc)) from None


def _load_json(f: IO[bytes], src: str) -> Model:
    doc = _check_top(_parse_json(f.read(), src), src)
    return _build(doc, _JsonArrays(src), src)


def _load_npz(f: IO[bytes], src: str) -> Model:
    magic = f.read(4)
    f.seek(0)
    if magic not in _ZIP_MAGIC:
        raise _fail(src, "", "not an .npz file (no zip archive signature)")
    with _corrupt(src, "archive"):
        npz = np.load(f, allow_pickle=False)
    with npz:
        arrays = _NpzArrays(npz, src)
        if "header" not in arrays.names:
            raise _fail(src, "", "not a cneuron model file: no 'header' array")
        header = arrays.read("header", "header")
        if header.dtype.kind != "U" or header.ndim != 0:
            raise _fail(
                src,
                "header",
                f"expected a 0-d unicode array, got dtype {header.dtype} shape {header.shape}",
            )
        doc = _check_top(_parse_json(str(header[()]), src), src)
        model = _build(doc, arrays, src)
        if arrays.unread:
            extra = ", ".join(map(repr, sorted(arrays.unread)[:5]))
            raise _fail(src, "", f"unexpected array(s) {extra} that the header does not use")
        return model


def load(path: str | os.PathLike[str]) -> Neuron | Dense | Sequential:
    """Load a model saved by ``save``.

    Parameters
    ----------
    path : str or os.PathLike
        A ``.json`` or ``.npz`` model file (the extension chooses the reader).

    Returns
    -------
    Neuron, Dense or Sequential
        The model, with bitwise the weights, bias, dtype and activation (with
        its parameters) it was saved with, so bitwise the same outputs. From
        ``.json``, every NaN comes back as the default NaN (sign and payload
        bits are not kept); ``.npz`` keeps every bit.

    Raises
    ------
    FileNotFoundError
        There is no file at ``path`` (other ``OSError`` as ``open`` raises them).
    ModelFileError
        The extension is neither ``.json`` nor ``.npz``, or the file is not a
        valid cneuron model file: not JSON / not a zip, truncated or corrupt,
        another format name, a newer format version, an unknown model type or
        activation, a missing or unexpected field or array, a value that is
        not a number, a wrong shape, layer sizes that do not chain, a dtype
        other than float32/float64 (or arrays whose dtype differs from the
        header's), or an object (pickled) array, which is never unpickled.
        The message names what is wrong and where. Nothing is returned and
        nothing changes.

    Notes
    -----
    ``.npz`` files are opened with ``numpy.load(..., allow_pickle=False)``,
    and each array's header is checked before the array is read. A JSON model
    may be written by hand: numbers may be integers, values of a float32 model
    are rounded to float32 (one beyond its range is an error), and infinities
    and NaN are the strings ``"inf"``, ``"-inf"``, ``"nan"``.
    """
    p, fmt = _path_and_format(path)
    with open(p, "rb") as f:
        return _load_json(f, p) if fmt == "json" else _load_npz(f, p)
