"""Layers and networks: neurons side by side, layers back to back.

``Dense`` holds n_outputs neurons over the same inputs: weights of shape
(n_outputs, n_inputs), row j being neuron j's weights (the layout of
``torch.nn.Linear.weight`` and scikit-learn's ``coef_``), a bias per output
and one activation. Output j of a row is computed exactly as a ``Neuron``
with weights ``W[j]`` and bias ``b[j]`` computes it: the same dot-product
order, bit for bit. ``Sequential`` runs layers back to back.

Both validate once (``cneuron._validate``) and hand native buffers to the
compiled kernels (``cneuron._kernels``), which run without the GIL.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Iterator
from typing import Any, overload

import numpy as np

from . import _kernels
from . import _validate as _v
from .activations import Activation, get

__all__ = ["INITIALIZERS", "Dense", "Sequential", "initial_weights"]

# kernel codes for the row-wise activations of a layer (the elementwise ones
# use the activation's own code)
_MODE_ELEMENTWISE, _MODE_SOFTMAX, _MODE_LOG_SOFTMAX = 0, 1, 2


def _layer_activation(activation: Any) -> Activation:
    """A layer's activation: any registered one; softmax and log_softmax run
    over each row's outputs (axis -1)."""
    act = get(activation)
    if not act.elementwise and act.params["axis"] not in (-1, 1):
        raise ValueError(
            f"a layer applies {act.name} over each sample's outputs (axis=-1), "
            f"got axis={act.params['axis']}"
        )
    return act


def _kernel_args(act: Activation) -> tuple[int, float, float, int]:
    """(code, p0, p1, mode) for the layer kernels."""
    if act.elementwise:
        code, p0, p1 = act.kernel_args
        return code, p0, p1, _MODE_ELEMENTWISE
    mode = _MODE_SOFTMAX if act.name == "softmax" else _MODE_LOG_SOFTMAX
    return _kernels.ACT_IDENTITY, 0.0, 0.0, mode


# ---- initialisers -----------------------------------------------------------------

INITIALIZERS = (
    "zeros",
    "uniform",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
)


def initial_weights(
    n_inputs: int,
    n_outputs: int,
    init: str = "uniform",
    *,
    seed: Any = None,
    dtype: Any = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    """Initial weights (n_outputs, n_inputs) and bias (n_outputs,) for a layer.

    ``init`` is one of ``INITIALIZERS``:

    * ``"zeros"``: all zeros.
    * ``"uniform"``: PyTorch's ``nn.Linear`` default, weights and bias drawn
      from U(-1/sqrt(n_inputs), 1/sqrt(n_inputs)).
    * ``"glorot_uniform"`` / ``"glorot_normal"`` (Xavier): U(-a, a) with
      a = sqrt(6 / (n_inputs + n_outputs)), or N(0, 2 / (n_inputs + n_outputs));
      zero bias.
    * ``"he_uniform"`` / ``"he_normal"`` (Kaiming, for ReLU): U(-a, a) with
      a = sqrt(6 / n_inputs), or N(0, 2 / n_inputs); zero bias.

    ``seed`` is an int, a ``numpy.random.Generator`` or None (fresh entropy);
    the same int gives the same weights on every machine. ``dtype`` is
    float64 or float32 (values are drawn in float64 and rounded).
    """
    n_in = _positive_int(n_inputs, "n_inputs")
    n_out = _positive_int(n_outputs, "n_outputs")
    dt = np.dtype(dtype)
    if dt not in (_v.FLOAT64, _v.FLOAT32):
        raise TypeError(f"dtype must be float64 or float32, got {dt}")
    if init not in INITIALIZERS:
        raise ValueError(f"unknown init {init!r}; known: {', '.join(INITIALIZERS)}")
    rng = np.random.default_rng(seed)
    shape = (n_out, n_in)
    b = np.zeros(n_out)
    if init == "zeros":
        W = np.zeros(shape)
    elif init == "uniform":
        bound = 1.0 / np.sqrt(n_in)
        W = rng.uniform(-bound, bound, shape)
        b = rng.uniform(-bound, bound, n_out)
    elif init == "glorot_uniform":
        a = np.sqrt(6.0 / (n_in + n_out))
        W = rng.uniform(-a, a, shape)
    elif init == "glorot_normal":
        W = rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), shape)
    elif init == "he_uniform":
        a = np.sqrt(6.0 / n_in)
        W = rng.uniform(-a, a, shape)
    else:  # he_normal
        W = rng.normal(0.0, np.sqrt(2.0 / n_in), shape)
    return W.astype(dt), b.astype(dt)


def _positive_int(value: Any, what: str) -> int:
    if isinstance(value, bool):
        raise TypeError(f"{what} must be a positive int, got bool")
    try:
        n = operator.index(value)
    except TypeError:
        raise TypeError(f"{what} must be a positive int, got {type(value).__name__}") from None
    if n < 1:
        raise ValueError(f"{what} must be at least 1, got {n}")
    return n


# ---- the computation ----------------------------------------------------------------


def _aligned_copy(a: np.ndarray, align: int = 64) -> np.ndarray:
    """A C-contiguous copy of ``a`` whose data starts on an ``align``-byte
    boundary: the kernels load whole 64-byte rows of the weight panels, and
    a row that straddles two cache lines costs two loads."""
    raw = np.empty(a.nbytes + align, dtype=np.uint8)
    start = -raw.ctypes.data % align
    out = raw[start : start + a.nbytes].view(a.dtype).reshape(a.shape)
    out[...] = a
    return out


def _packed(layer: Dense) -> tuple[Any, ...]:
    """The layer as the kernels take it: (panels, padded bias, first row,
    n_outputs, code, p0, p1, mode), laid out as src/cn_dense_impl.h says:
    panels of P outputs (P = 8 for float64, 16 for float32: 64 bytes),
    panel p holding W[p * P + e, i] at [p, i, e], with max(n_inputs, L) rows
    (L = 16 / 32 lanes of the dot product): the rows beyond n_inputs hold
    -0.0; outputs beyond n_outputs 0.0."""
    w = layer._w
    n, k = w.shape
    f64 = w.dtype == _v.FLOAT64
    pw = _kernels.DENSE_PANEL_F64 if f64 else _kernels.DENSE_PANEL_F32
    lanes = _kernels.DENSE_LANES_F64 if f64 else _kernels.DENSE_LANES_F32
    n_panels = -(-n // pw)
    wide = np.zeros((n_panels * pw, max(k, lanes)), dtype=w.dtype)
    wide[:, k:] = -0.0
    wide[:n, :k] = w
    panels = _aligned_copy(wide.reshape(n_panels, pw, -1).transpose(0, 2, 1))
    bias = np.zeros(n_panels * pw, dtype=w.dtype)
    bias[:n] = layer._b
    for a in (panels, bias):
        a.setflags(write=False)
    return (panels, bias, w[0], n, *_kernel_args(layer._act))


def _network(layers: Iterable[Dense]) -> Any:
    return _kernels.Network([_packed(layer) for layer in layers], _v.AVAILABLE_CPUS)


def _run(model: Any, X: Any, out: Any, num_threads: Any) -> np.ndarray:
    """Validate ``X`` and ``out`` for a layer or network and run it."""
    res = model._net.fast(X, out, num_threads)  # native input: no validation round trip
    if res is not None:
        return res
    dtype = model.dtype
    X2, one = _v.coerce_features(X, model.n_inputs, dtype)
    n_threads = _v.resolve_threads(num_threads)
    shape = (model.n_outputs,) if one else (X2.shape[0], model.n_outputs)
    if out is None:
        res = np.empty((X2.shape[0], model.n_outputs), dtype=dtype)
        model._net.run(X2, res, n_threads)
        return res[0] if one else res
    res = _v.check_out(out, shape, dtype)
    res2 = res.reshape(X2.shape[0], model.n_outputs)
    if np.may_share_memory(res2, X2) or not res2.flags.aligned:
        tmp = np.empty_like(res2)
        model._net.run(X2, tmp, n_threads)
        res2[...] = tmp
    else:
        model._net.run(X2, res2, n_threads)
    return res


class Dense:
    """A fully connected layer: n_outputs neurons over the same n_inputs.

    ``forward(X)`` computes f(X @ W.T + b): output j of each sample is what a
    ``Neuron(W[j], b[j], activation)`` computes, bit for bit. softmax and
    log_softmax run over each sample's outputs.

    Parameters
    ----------
    weights : array_like, shape (n_outputs, n_inputs)
        Row j holds neuron j's weights (the layout of ``torch.nn.Linear.weight``
        and scikit-learn's ``coef_``). Copied. float32 (or float16) weights
        give a float32 layer, anything else float64.
    bias : array_like, shape (n_outputs,), optional
        One bias per output; default zeros. A scalar is accepted for a layer
        of one output.
    activation : str or Activation, default "identity"
        A name from ``cneuron.activations.names()`` or an ``Activation`` from
        ``cneuron.activations.get`` (parameters bound).

    Examples
    --------
    >>> import cneuron as cn
    >>> layer = cn.Dense([[0.5, 0.3, 0.7], [-1.0, 0.0, 1.0]], [0.1, 0.0], "sigmoid")
    >>> layer([0.8, 0.6, 0.9]).round(4).tolist()
    [0.7875, 0.525]
    """

    __slots__ = ("_act", "_b", "_net", "_w")

    def __init__(self, weights: Any, bias: Any = None, activation: Any = "identity") -> None:
        w = _v.coerce_layer_weights(weights)
        self._b = _v.coerce_layer_bias(bias, w.shape[0], w.dtype)
        self._act: Activation = _layer_activation(activation)
        self._w = w
        self._net = _network([self])

    @classmethod
    def create(
        cls,
        n_inputs: int,
        n_outputs: int,
        activation: Any = "identity",
        *,
        init: str = "uniform",
        seed: Any = None,
        dtype: Any = np.float64,
    ) -> Dense:
        """A new layer with initial weights from ``initial_weights`` (``init``
        one of ``INITIALIZERS``, reproducible with ``seed``).

        >>> import cneuron as cn
        >>> cn.Dense.create(3, 2, "relu", init="he_normal", seed=0).weights.shape
        (2, 3)
        """
        W, b = initial_weights(n_inputs, n_outputs, init, seed=seed, dtype=dtype)
        return cls(W, b, activation)

    # ---- attributes --------------------------------------------------------

    @property
    def weights(self) -> np.ndarray:
        """The weights, shape (n_outputs, n_inputs), read-only."""
        return self._w

    @property
    def bias(self) -> np.ndarray:
        """The bias, shape (n_outputs,), read-only."""
        return self._b

    @property
    def activation(self) -> str:
        """The activation's name."""
        return self._act.name

    @property
    def activation_params(self) -> dict[str, Any]:
        """The activation's parameters (a copy)."""
        return self._act.params

    @property
    def n_inputs(self) -> int:
        """The number of input features."""
        return int(self._w.shape[1])

    @property
    def n_outputs(self) -> int:
        """The number of outputs (neurons)."""
        return int(self._w.shape[0])

    @property
    def dtype(self) -> np.dtype:
        """The dtype computations run in: float32 or float64."""
        return self._w.dtype

    # ---- computation -----------------------------------------------------------

    def forward(self, X: Any, *, out: Any = None, num_threads: Any = None) -> np.ndarray:
        """The layer's outputs f(X @ W.T + b); ``layer(X)`` is the same.

        Parameters
        ----------
        X : array_like, shape (n_inputs,) or (n_samples, n_inputs)
            One sample or a batch, in any real dtype and memory layout (all
            give bitwise the same result).
        out : ndarray, optional
            Receives the result: shape (n_outputs,) for one sample or
            (n_samples, n_outputs), the layer's dtype, writable, C-contiguous.
            Returned.
        num_threads : int, optional
            Threads to use; default: the OpenMP runtime's default, capped at
            the CPUs this process may use. The result never depends on it.

        Returns
        -------
        ndarray
            (n_outputs,) for one sample, (n_samples, n_outputs) for a batch.
        """
        return _run(self, X, out, num_threads)

    __call__ = forward

    # ---- copying, pickling, display -------------------------------------------

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._w, self._b, self._act))

    def __repr__(self) -> str:
        act = repr(self._act) if self._act.params else repr(self._act.name)
        dt = "" if self.dtype == _v.FLOAT64 else f", dtype={self.dtype}"
        return f"Dense(n_inputs={self.n_inputs}, n_outputs={self.n_outputs}, activation={act}{dt})"


class Sequential:
    """Layers run back to back: the outputs of one are the inputs of the next.

    Parameters
    ----------
    layers : iterable of Dense
        At least one layer; each layer's n_inputs must equal the previous
        layer's n_outputs, and all share one dtype (checked here, when the
        network is built).

    Examples
    --------
    >>> import cneuron as cn
    >>> net = cn.Sequential([
    ...     cn.Dense.create(4, 8, "relu", seed=1),
    ...     cn.Dense.create(8, 3, "softmax", seed=2),
    ... ])
    >>> net.forward([[1.0, 2.0, 3.0, 4.0]]).shape
    (1, 3)
    """

    __slots__ = ("_layers", "_net")

    def __init__(self, layers: Iterable[Dense]) -> None:
        if isinstance(layers, Dense):
            raise TypeError("Sequential takes a list of layers, got one Dense: pass [layer]")
        try:
            items = tuple(layers)
        except TypeError:
            raise TypeError(
                f"Sequential takes a list of Dense layers, got {type(layers).__name__}"
            ) from None
        if not items:
            raise ValueError("Sequential needs at least one layer, got none")
        for i, layer in enumerate(items):
            if not isinstance(layer, Dense):
                raise TypeError(f"layer {i} must be a Dense, got {type(layer).__name__}")
        for i in range(1, len(items)):
            prev, cur = items[i - 1], items[i]
            if cur.n_inputs != prev.n_outputs:
                raise ValueError(
                    f"layer {i} expects {cur.n_inputs} inputs but layer {i - 1} "
                    f"gives {prev.n_outputs} outputs"
                )
            if cur.dtype != items[0].dtype:
                raise TypeError(
                    f"all layers must share one dtype: layer 0 is {items[0].dtype}, "
                    f"layer {i} is {cur.dtype}"
                )
        self._layers = items
        self._net = _network(items)

    @property
    def layers(self) -> tuple[Dense, ...]:
        """The layers, in order."""
        return self._layers

    @property
    def n_inputs(self) -> int:
        """The number of input features (the first layer's)."""
        return self._layers[0].n_inputs

    @property
    def n_outputs(self) -> int:
        """The number of outputs (the last layer's)."""
        return self._layers[-1].n_outputs

    @property
    def dtype(self) -> np.dtype:
        """The dtype computations run in: float32 or float64."""
        return self._layers[0].dtype

    def __len__(self) -> int:
        return len(self._layers)

    def __iter__(self) -> Iterator[Dense]:
        return iter(self._layers)

    @overload
    def __getitem__(self, index: int) -> Dense: ...

    @overload
    def __getitem__(self, index: slice) -> Sequential: ...

    def __getitem__(self, index: int | slice) -> Dense | Sequential:
        """A layer, or a network of a slice of the layers."""
        if isinstance(index, slice):
            return Sequential(self._layers[index])
        return self._layers[index]

    def forward(self, X: Any, *, out: Any = None, num_threads: Any = None) -> np.ndarray:
        """The network's outputs; ``net(X)`` is the same. Parameters and result
        as in ``Dense.forward`` (n_inputs of the first layer, n_outputs of the
        last). Each sample's outputs depend on that sample alone, bit for bit."""
        return _run(self, X, out, num_threads)

    __call__ = forward

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (list(self._layers),))

    def __repr__(self) -> str:
        inner = ",\n".join(f"    {layer!r}" for layer in self._layers)
        return f"Sequential([\n{inner},\n])"


def model_shape(model: Any) -> tuple[int, int | None, np.dtype]:
    """(n_inputs, n_outputs, dtype) of a Neuron, Dense or Sequential; n_outputs
    is None for a Neuron, whose output per sample is one value (1-D results).
    Anything else raises ``TypeError``."""
    from ._neuron import Neuron

    if isinstance(model, Sequential):
        return model[0].n_inputs, model[len(model) - 1].n_outputs, np.dtype(model.dtype)
    if isinstance(model, Dense):
        return model.n_inputs, model.n_outputs, np.dtype(model.dtype)
    if isinstance(model, Neuron):
        return model.n_features, None, np.dtype(model.dtype)
    raise TypeError(
        f"model must be a cneuron Neuron, Dense or Sequential, got {type(model).__name__}"
    )
