"""The neuron: z = x.w + b, y = f(z).

``Neuron`` holds validated weights, bias and activation; ``preactivation``
and ``neuron_forward`` are the same computation as functions. Both validate
once (``cneuron._validate``) and hand native C-contiguous buffers to the
compiled kernels (``cneuron._kernels``), which run without the GIL.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import _kernels
from . import _validate as _v
from .activations import Activation, get

__all__ = ["Neuron", "neuron_forward", "preactivation"]

_BATCH: dict[np.dtype, Callable[..., None]] = {
    _v.FLOAT64: _kernels.forward_batch_f64,
    _v.FLOAT32: _kernels.forward_batch_f32,
}
_ONE: dict[np.dtype, Callable[..., float]] = {
    _v.FLOAT64: _kernels.forward_one_f64,
    _v.FLOAT32: _kernels.forward_one_f32,
}


def _forward(
    X: Any, w: np.ndarray, b: float, act: tuple[int, float, float], out: Any, num_threads: Any
) -> Any:
    """act(X.w + b) for validated weights ``w`` (its dtype is the model's);
    ``act`` is (kernel code, parameter, parameter)."""
    code, p0, p1 = act
    dtype = w.dtype
    X2, one = _v.coerce_features(X, w.shape[0], dtype)
    n_threads = _v.resolve_threads(num_threads)
    if one:
        if out is not None:
            raise ValueError(
                "out= receives a batch result; a 1-D x is one sample and gives a float"
            )
        return _ONE[dtype](X2[0], w, b, code, p0, p1)
    n = X2.shape[0]
    if out is None:
        res = np.empty(n, dtype=dtype)
        _BATCH[dtype](X2, w, b, res, code, p0, p1, n_threads)
        return res
    res = _v.check_out(out, (n,), dtype)
    if np.may_share_memory(res, X2) or not res.flags.aligned:
        tmp = np.empty(n, dtype=dtype)
        _BATCH[dtype](X2, w, b, tmp, code, p0, p1, n_threads)
        res[...] = tmp
    else:
        _BATCH[dtype](X2, w, b, res, code, p0, p1, n_threads)
    return res


_IDENTITY = (_kernels.ACT_IDENTITY, 0.0, 0.0)


def _elementwise(activation: Any) -> Activation:
    """The activation, which a single neuron's one output requires elementwise."""
    act = get(activation)
    if not act.elementwise:
        raise ValueError(
            f"{act.name} is not elementwise: a neuron has one output; apply {act.name} "
            "to the outputs of several neurons (cneuron.activations."
            f"{act.name}(z, axis=...))"
        )
    return act


class Neuron:
    """An artificial neuron: weights, a bias and an activation function.

    ``forward(x)`` computes y = f(x.w + b). The model's dtype is its weights'
    dtype: float32 weights (or float16) give a float32 neuron, anything else
    float64; inputs are cast to it.

    Parameters
    ----------
    weights : array_like, shape (n_features,)
        One weight per input feature. Copied; the neuron never shares memory
        with the caller.
    bias : float, default 0.0
        Added to the weighted sum (a scalar or an array of one element).
    activation : str or Activation, default "sigmoid"
        Name of the activation (``cneuron.activations.names()`` lists them),
        with its default parameters, or an ``Activation`` from
        ``cneuron.activations.get(name, **params)``, e.g.
        ``get("leaky_relu", alpha=0.2)``.

    Examples
    --------
    The loan-approval neuron (age, income, credit score):

    >>> import cneuron as cn
    >>> n = cn.Neuron([0.5, 0.3, 0.7], bias=0.1)
    >>> round(n.preactivation([0.8, 0.6, 0.9]), 2)
    1.31
    >>> round(n([0.8, 0.6, 0.9]), 4)
    0.7875
    """

    __slots__ = ("_act", "_b", "_fast", "_history", "_w")

    def __init__(self, weights: Any, bias: Any = 0.0, activation: Any = "sigmoid") -> None:
        w = _v.coerce_weights(weights)
        b = _v.coerce_bias(bias, w.dtype)
        self._act: Activation = _elementwise(activation)
        self._history: Any = None
        self._set(w, b)

    def _set(self, w: np.ndarray, b: float) -> None:
        """Install validated weights and bias (and the fast path built on them)."""
        self._w = w
        self._b = b
        code, p0, p1 = self._act.kernel_args
        self._fast = _kernels.FastForward(w, b, code, p0, p1, _v.AVAILABLE_CPUS)

    # ---- attributes --------------------------------------------------------

    @property
    def weights(self) -> np.ndarray:
        """The weights, shape (n_features,), read-only. Assign to replace them."""
        return self._w

    @weights.setter
    def weights(self, value: Any) -> None:
        w = _v.coerce_weights(value)
        self._set(w, _v.coerce_bias(self._b, w.dtype))

    @property
    def bias(self) -> float:
        """The bias b, a Python float holding a value of the model's dtype."""
        return self._b

    @bias.setter
    def bias(self, value: Any) -> None:
        self._set(self._w, _v.coerce_bias(value, self._w.dtype))

    @property
    def activation(self) -> str:
        """The activation's name."""
        return self._act.name

    @property
    def activation_params(self) -> dict[str, float]:
        """The activation's parameters (a copy), e.g. ``{"alpha": 0.01}``."""
        return self._act.params

    @property
    def n_features(self) -> int:
        """The number of input features (length of ``weights``)."""
        return int(self._w.shape[0])

    @property
    def dtype(self) -> np.dtype:
        """The dtype computations run in: float32 or float64."""
        return self._w.dtype

    # ---- computation ---------------------------------------------------------

    def preactivation(self, x: Any, *, out: Any = None, num_threads: Any = None) -> Any:
        """The weighted sum z = x.w + b, before the activation.

        Parameters
        ----------
        x : array_like, shape (n_features,) or (n_samples, n_features)
            One sample or a batch, in any real dtype and memory layout.
        out : ndarray, shape (n_samples,), optional
            For a batch: receives the result (the model's dtype, writable,
            C-contiguous). Returned.
        num_threads : int, optional
            Threads for a batch; default: the OpenMP runtime's default. The
            result never depends on it.

        Returns
        -------
        float or ndarray
            A Python float for one sample, an array (n_samples,) for a batch.
        """
        return _forward(x, self._w, self._b, _IDENTITY, out, num_threads)

    def forward(self, x: Any, *, out: Any = None, num_threads: Any = None) -> Any:
        """The neuron's output y = f(x.w + b); ``neuron(x)`` is the same.

        Parameters
        ----------
        x : array_like, shape (n_features,) or (n_samples, n_features)
            One sample or a batch: lists, ints, read-only, memory-mapped,
            Fortran-order, strided and big-endian arrays all give bitwise the
            same result as a C-contiguous array of the model's dtype.
        out : ndarray, shape (n_samples,), optional
            For a batch: receives the result (the model's dtype, writable,
            C-contiguous). Returned.
        num_threads : int, optional
            Threads for a batch; default: the OpenMP runtime's default, capped
            at the CPUs this process may use. The result never depends on it.

        Returns
        -------
        float or ndarray
            A Python float for one sample, an array (n_samples,) for a batch.
        """
        y = self._fast(x, out, num_threads)  # native input: no validation round trip
        if y is not None:
            return y
        return _forward(x, self._w, self._b, self._act.kernel_args, out, num_threads)

    __call__ = forward

    # ---- learning --------------------------------------------------------------

    def fit(
        self,
        X: Any,
        y: Any,
        *,
        sample_weight: Any = None,
        solver: str = "sgd",
        learning_rate: str | None = None,
        eta0: float = 0.01,
        power_t: float = 0.25,
        penalty: str | None = "l2",
        alpha: float = 1e-4,
        l1_ratio: float = 0.15,
        fit_intercept: bool = True,
        batch_size: int = 1,
        max_iter: int = 1000,
        tol: float | None = 1e-3,
        n_iter_no_change: int = 5,
        shuffle: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        random_state: Any = None,
        num_threads: Any = None,
    ) -> Neuron:
        """Learn the weights and bias from data, starting from the current ones.

        The loss is the activation's natural one: log loss for ``"sigmoid"``
        (y in {0, 1}: a probability), squared error for ``"identity"``
        (regression) and the perceptron rule for ``"step"`` (y in {0, 1}); other
        activations raise ``ValueError``. Training runs in the neuron's dtype
        (in float32 an update smaller than half a unit in the last place of a
        weight is lost: for very small learning rates, train a float64 neuron
        and cast); the new weights replace the old ones only when training
        succeeds.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Training samples (finite).
        y : array_like, shape (n_samples,)
            Targets: 0/1 (or bool) for sigmoid and step, any real for identity.
        sample_weight : array_like, shape (n_samples,), optional
            Non-negative weight of each sample's loss; default all ones.
        solver : {"sgd", "gd"}, default "sgd"
            ``"sgd"``: an update after every ``batch_size`` samples, visiting
            the rows in a new random order each epoch (``shuffle``). ``"gd"``:
            one update per epoch from the mean gradient of all rows (computed
            on ``num_threads`` threads in fixed blocks).
        learning_rate : {"optimal", "constant", "invscaling", "adaptive"}, optional
            The step size eta at update t (t counts updates, from 1):
            ``"constant"``: eta0; ``"invscaling"``: eta0 / t**power_t;
            ``"optimal"``: 1 / (alpha (t0 + t - 1)) with t0 chosen from alpha;
            ``"adaptive"``: eta0, divided by 5 each time the loss stops
            improving (training stops once it is below 1e-6). Default:
            ``"optimal"`` for sigmoid and step with a penalty, else
            ``"invscaling"``.
        eta0, power_t : float
            The schedules' parameters.
        penalty : {"l2", "l1", "elasticnet", None}, default "l2"
            Regularisation of the weights (never the bias): alpha ((1 - r)
            |w|^2 / 2 + r |w|_1), r = 0 for "l2", 1 for "l1", ``l1_ratio`` for
            "elasticnet". L2 shrinks the weights each step; L1 is applied as a
            soft threshold (a proximal step), so weights can become exactly 0.
        alpha : float, default 1e-4
            The penalty's strength.
        l1_ratio : float, default 0.15
            The L1 share of an elastic-net penalty.
        fit_intercept : bool, default True
            Learn the bias too (else it stays as it is).
        batch_size : int, default 1
            Samples per SGD update: 1 is classic stochastic gradient descent;
            larger batches average their gradients.
        max_iter : int, default 1000
            Epochs (passes over the data) at most.
        tol : float or None, default 1e-3
            Stop when the epoch's loss has not fallen below the best one so
            far minus ``tol`` for ``n_iter_no_change`` epochs in a row. None:
            always run ``max_iter`` epochs.
        n_iter_no_change : int, default 5
            See ``tol``.
        shuffle : bool, default True
            Visit the rows in a new random order each epoch (SGD).
        early_stopping : bool, default False
            Hold out ``validation_fraction`` of the rows (chosen at random) and
            watch their loss instead of the training loss.
        validation_fraction : float, default 0.1
            See ``early_stopping``.
        random_state : None, int or numpy Generator
            Seeds the shuffles and the held-out rows. The same seed and data
            give bitwise the same weights, whatever ``num_threads``.
        num_threads : int, optional
            Threads for the full-batch gradient and the loss of held-out rows.

        Returns
        -------
        Neuron
            ``self``. ``self.history`` tells what training did (loss per
            epoch, epochs run, whether it converged).

        Examples
        --------
        >>> import numpy as np, cneuron as cn
        >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
        >>> y = np.array([0, 0, 0, 1])  # logical AND
        >>> n = cn.Neuron([0.0, 0.0], activation="step")
        >>> _ = n.fit(X, y, penalty=None, learning_rate="constant", eta0=1.0,
        ...           max_iter=20, tol=None, random_state=0)
        >>> n(X).tolist()
        [0.0, 0.0, 0.0, 1.0]
        """
        from . import _learning

        name = self._act.name
        if name not in _learning.LOSS_OF_ACTIVATION:
            known = ", ".join(sorted(_learning.LOSS_OF_ACTIVATION))
            raise ValueError(
                f"Neuron.fit learns with the loss of its activation; {name} has none here "
                f"(trainable activations: {known})"
            )
        loss = _learning.LOSS_OF_ACTIVATION[name]
        dtype = self._w.dtype
        X2, y2, sw = _learning.coerce_training_data(X, y, sample_weight, self._w.shape[0], dtype)
        if loss != "squared" and not np.all((y2 == 0) | (y2 == 1)):
            raise ValueError(
                f"a {name} neuron learns targets y in {{0, 1}}; got other values "
                f"(e.g. {y2[(y2 != 0) & (y2 != 1)][0]!r})"
            )
        w, b, history, _ = _learning.fit_linear(
            self._w,
            self._b,
            X2,
            y2,
            sw,
            loss=loss,
            solver=solver,
            penalty=penalty,
            alpha=alpha,
            l1_ratio=l1_ratio,
            fit_intercept=fit_intercept,
            learning_rate=learning_rate,
            eta0=eta0,
            power_t=power_t,
            batch_size=batch_size,
            max_iter=max_iter,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            shuffle=shuffle,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            rng=_learning.as_rng(random_state),
            num_threads=num_threads,
        )
        w.setflags(write=False)
        self._set(w, b)
        self._history = history
        return self

    @property
    def history(self) -> Any:
        """What the last ``fit`` did (a ``cneuron.TrainHistory``: loss per
        epoch, epochs run, convergence), or None before any. Not saved or
        pickled with the neuron."""
        return self._history

    # ---- copying, pickling, display -------------------------------------------

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._w, self._b, self._act))

    def __repr__(self) -> str:
        w = np.array2string(self._w, separator=", ", threshold=8, edgeitems=3)
        dt = "" if self._w.dtype == _v.FLOAT64 else f", dtype={self._w.dtype}"
        act = repr(self._act) if self._act.params else repr(self._act.name)
        return f"Neuron(weights={w}, bias={self._b!r}, activation={act}{dt})"


def preactivation(X: Any, w: Any, b: Any = 0.0, *, out: Any = None, num_threads: Any = None) -> Any:
    """The weighted sum z = X.w + b of one sample or each row of a batch.

    Parameters
    ----------
    X : array_like, shape (n_features,) or (n_samples, n_features)
        One sample or a batch.
    w : array_like, shape (n_features,)
        Weights; their dtype sets the computation's (float32 weights compute
        in float32, anything else in float64).
    b : float, default 0.0
        Bias.
    out, num_threads
        As in ``Neuron.preactivation``.

    Returns
    -------
    float or ndarray
        A Python float for one sample, an array (n_samples,) for a batch.
    """
    wv = _v.coerce_weights(w)
    return _forward(X, wv, _v.coerce_bias(b, wv.dtype), _IDENTITY, out, num_threads)


def neuron_forward(
    X: Any,
    w: Any,
    b: Any = 0.0,
    activation: Any = "sigmoid",
    *,
    out: Any = None,
    num_threads: Any = None,
) -> Any:
    """A neuron's output f(X.w + b) without building a ``Neuron``.

    One pass over X: the weighted sum and the activation are fused, with no
    temporary array. Parameters and result as in ``Neuron.forward``;
    ``activation`` is a name from ``cneuron.activations.names()`` or an
    ``Activation`` from ``cneuron.activations.get``.
    """
    wv = _v.coerce_weights(w)
    act = _elementwise(activation).kernel_args
    return _forward(X, wv, _v.coerce_bias(b, wv.dtype), act, out, num_threads)
