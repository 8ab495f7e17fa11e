"""Learning: weights and a bias adjusted from data by gradient descent.

``fit_linear`` is the one training loop behind ``Neuron.fit`` and the
scikit-learn compatible estimators (``cneuron.estimators``). It validates,
then runs epochs of the compiled kernels (``cneuron._train`` (compiled)): mini-batch
stochastic gradient descent over a shuffled order of the rows, or full-batch
gradient descent, with an L2, L1 or elastic-net penalty, a learning-rate
schedule and stopping on a loss that no longer improves.

Losses (each the natural one of an activation):

====================  ==============  =========================================
loss                  activation      per sample, z = x.w + b
====================  ==============  =========================================
``"log"``             sigmoid         log(1 + e^z) - y z, y in {0, 1}
``"squared"``         identity        (z - y)^2 / 2
``"perceptron"``      step            max(0, -s z), s = 2y - 1
====================  ==============  =========================================

Determinism: shuffles come from ``numpy.random.default_rng(random_state)``;
an epoch of SGD is sequential and a full-batch gradient is summed in fixed
blocks, so the same data and seed give bitwise the same weights whatever
``num_threads``.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _train as _k
from . import _validate as _v

__all__ = ["LEARNING_RATES", "LOSSES", "PENALTIES", "TrainHistory", "TrainState", "fit_linear"]

LOSSES = {"log": _k.LOSS_LOG, "squared": _k.LOSS_SQUARED, "perceptron": _k.LOSS_PERCEPTRON}
#: the loss ``Neuron.fit`` uses for each activation it can learn with
LOSS_OF_ACTIVATION = {"sigmoid": "log", "identity": "squared", "step": "perceptron"}
LEARNING_RATES = ("constant", "optimal", "invscaling", "adaptive")
PENALTIES = ("l2", "l1", "elasticnet", None)
SOLVERS = ("sgd", "gd")
_SCHEDULE = {
    "constant": _k.ETA_CONSTANT,
    "adaptive": _k.ETA_CONSTANT,
    "invscaling": _k.ETA_INVSCALING,
    "optimal": _k.ETA_OPTIMAL,
}
#: an adaptive rate stops training once divided below this
_ADAPTIVE_MIN_ETA = 1e-6


@dataclass(frozen=True)
class TrainHistory:
    """What a call to ``fit`` did.

    Attributes
    ----------
    loss : tuple of float
        Per epoch, the mean (sample-weighted) training loss met during it: for
        SGD each sample's loss at the weights it met, for full-batch descent
        the loss at the weights before the step. The penalty is not included.
    validation_loss : tuple of float
        Per epoch, the mean loss on the held-out rows (``early_stopping``),
        after the epoch; empty otherwise.
    n_iter : int
        Epochs run.
    converged : bool
        True when training stopped because the loss stopped improving by
        ``tol`` (or an adaptive rate fell below 1e-6), False when it ran out
        of epochs.
    """

    loss: tuple[float, ...]
    validation_loss: tuple[float, ...]
    n_iter: int
    converged: bool


@dataclass
class TrainState:
    """The optimiser's state between calls (``partial_fit``): updates done so
    far (the schedules' clock) and an adaptive rate's current value."""

    t: float = 1.0
    eta: float | None = None
    best: float = math.inf
    no_improvement: int = 0
    history: list[float] = field(default_factory=list)


def _check_choice(name: str, value: Any, choices: Any) -> None:
    if value not in choices:
        shown = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {shown}; got {value!r}")


def _check_real(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {v}")
    if low is not None and (v < low or (low_open and v == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {v}")
    if high is not None and (v > high or (high_open and v == high)):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}, got {v}")
    return v


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if int(value) < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return int(value)


def as_rng(random_state: Any) -> np.random.Generator:
    """A Generator from None, an int seed, a SeedSequence or a Generator."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is None or isinstance(random_state, (numbers.Integral, np.random.SeedSequence)):
        if isinstance(random_state, bool):
            raise TypeError("random_state must be None, an int or a numpy Generator, got bool")
        return np.random.default_rng(random_state)  # type: ignore[arg-type]
    raise TypeError(
        "random_state must be None, an int, a numpy SeedSequence or Generator, "
        f"got {type(random_state).__name__}"
    )


def coerce_training_data(
    X: Any, y: Any, sample_weight: Any, n_features: int | None, dtype: np.dtype
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """X (n, K), y (n,) and sample weights (n,) or None as native C-contiguous
    arrays of ``dtype``; every value finite, weights non-negative."""
    Xa = _v.as_array(X, "X")
    if Xa.ndim != 2:
        raise ValueError(
            f"X must be 2-D (n_samples, n_features) for training, got shape {Xa.shape}"
            + ("; pass X.reshape(-1, 1) for one feature" if Xa.ndim == 1 else "")
        )
    if n_features is None:
        n_features = Xa.shape[1]
    X2, _ = _v.coerce_features(Xa, n_features, dtype)
    n = X2.shape[0]
    if n == 0:
        raise ValueError("training needs at least one sample, got 0 rows")
    ya = _v.as_array(y, "y")
    _v.compute_dtype(ya.dtype, "y")
    if ya.ndim == 2 and ya.shape[1] == 1:
        ya = ya[:, 0]
    if ya.ndim != 1 or ya.shape[0] != n:
        raise ValueError(f"y must be 1-D with one target per sample ({n}), got shape {ya.shape}")
    y2 = _v.cast(ya, dtype)
    if not np.all(np.isfinite(X2)):
        raise ValueError("X holds NaN or infinity: training data must be finite")
    if not np.all(np.isfinite(y2)):
        raise ValueError("y holds NaN or infinity: training targets must be finite")
    sw = None
    if sample_weight is not None:
        swa = _v.as_array(sample_weight, "sample_weight")
        _v.compute_dtype(swa.dtype, "sample_weight")
        if swa.ndim == 0:
            swa = np.full(n, swa, dtype=dtype)
        if swa.shape != (n,):
            raise ValueError(
                f"sample_weight must have shape ({n},), one weight per sample, got {swa.shape}"
            )
        sw = _v.cast(swa, dtype)
        if not np.all(np.isfinite(sw)) or np.any(sw < 0):
            raise ValueError("sample_weight must be finite and non-negative")
    return X2, y2, sw


class _MeanLoss:
    """The sample-weighted mean loss of pre-activations z against fixed
    targets y, reusing its buffers epoch after epoch. The log loss goes through
    the dispatched (widest-vector) log_sigmoid kernel: log(1 + e^z) - y z =
    -log_sigmoid((2y - 1) z) for y in {0, 1}."""

    def __init__(self, y: np.ndarray, sw: np.ndarray | None, loss: int) -> None:
        self.y, self.sw, self.loss = y, sw, loss
        self.buf = np.empty_like(y)
        self.sign = (2.0 * y - 1.0).astype(y.dtype) if loss == _k.LOSS_LOG else None
        total_w = float(np.sum(sw, dtype=np.float64)) if sw is not None else float(y.shape[0])
        self.norm = total_w

    def __call__(self, z: np.ndarray) -> float:
        from .activations import log_sigmoid

        buf = self.buf
        if self.sign is not None:
            np.multiply(z, self.sign, out=buf)
            log_sigmoid(buf, out=buf, num_threads=1)
            np.negative(buf, out=buf)
            if self.sw is not None:
                np.multiply(buf, self.sw, out=buf)
        else:
            _k.loss_terms(z, self.y, self.sw, self.loss, buf)
        total = float(np.sum(buf, dtype=np.float64))
        return total / self.norm if self.norm > 0 else 0.0


def _optimal_t0(alpha: float) -> float:
    """The offset of the "optimal" schedule eta = 1 / (alpha (t0 + t - 1)):
    a first step of typical size for weights of typical scale 1/sqrt(sqrt(alpha))
    (the heuristic of the classic SGD literature)."""
    typw = math.sqrt(1.0 / math.sqrt(alpha))
    return 1.0 / (typw * alpha)


def fit_linear(
    w: np.ndarray,
    b: float,
    X: np.ndarray,
    y: np.ndarray,
    sw: np.ndarray | None,
    *,
    loss: str,
    solver: str = "sgd",
    penalty: str | None = "l2",
    alpha: float = 1e-4,
    l1_ratio: float = 0.15,
    fit_intercept: bool = True,
    learning_rate: str | None = None,
    eta0: float = 0.01,
    power_t: float = 0.25,
    batch_size: int = 1,
    max_iter: int = 1000,
    tol: float | None = 1e-3,
    n_iter_no_change: int = 5,
    shuffle: bool = True,
    early_stopping: bool = False,
    validation_fraction: float = 0.1,
    rng: np.random.Generator | None = None,
    validation_rng: np.random.Generator | None = None,
    num_threads: Any = None,
    state: TrainState | None = None,
) -> tuple[np.ndarray, float, TrainHistory, TrainState]:
    """Train the weights w (n_features,) and bias b on validated data.

    X, y, sw come from ``coerce_training_data`` (same dtype as w). Returns
    new weights (a fresh array), the new bias, the history and the state to
    continue from; nothing passed in is modified (``state`` included), so a
    failure leaves the caller's objects as they were. ``validation_rng``
    draws the held-out rows of early stopping (default: ``rng``). Parameters
    are documented on ``Neuron.fit``.

    Sample weights define the objective sum_i sw_i loss_i / sum_i sw_i +
    penalty for both solvers: SGD steps with the weights rescaled to mean 1,
    so that multiplying every weight by a constant changes nothing.
    """
    _check_choice("loss", loss, tuple(LOSSES))
    _check_choice("solver", solver, SOLVERS)
    _check_choice("penalty", penalty, PENALTIES)
    alpha = _check_real("alpha", alpha, low=0.0)
    l1_ratio = _check_real("l1_ratio", l1_ratio, low=0.0, high=1.0)
    power_t = _check_real("power_t", power_t)
    eta0 = _check_real("eta0", eta0, low=0.0)
    batch_size = _check_int("batch_size", batch_size, 1)
    max_iter = _check_int("max_iter", max_iter, 1)
    n_iter_no_change = _check_int("n_iter_no_change", n_iter_no_change, 1)
    if tol is not None:
        tol = _check_real("tol", tol)
    validation_fraction = _check_real(
        "validation_fraction", validation_fraction, low=0.0, high=1.0, low_open=True, high_open=True
    )
    if learning_rate is None:
        learning_rate = (
            "optimal" if loss != "squared" and penalty is not None and alpha > 0 else ("invscaling")
        )
    _check_choice("learning_rate", learning_rate, LEARNING_RATES)
    if penalty is None:
        alpha = 0.0
    elif penalty == "l2":
        l1_ratio = 0.0
    elif penalty == "l1":
        l1_ratio = 1.0
    if learning_rate == "optimal" and alpha == 0.0:
        raise ValueError(
            "learning_rate='optimal' needs a penalty with alpha > 0 (its step is 1/(alpha t)); "
            "use 'constant', 'invscaling' or 'adaptive' with eta0 > 0"
        )
    if learning_rate != "optimal" and eta0 == 0.0:
        raise ValueError(f"learning_rate={learning_rate!r} needs eta0 > 0, got eta0=0.0")
    n_threads = _v.resolve_threads(num_threads)
    code = LOSSES[loss]
    dtype = w.dtype
    if rng is None:
        rng = np.random.default_rng()
    if state is None:
        state = TrainState()
    else:  # work on a copy: the caller's state changes only through the result
        state = dataclasses.replace(state, history=list(state.history))
    if learning_rate != "adaptive" or state.eta is None:
        state.eta = eta0  # only an adaptive rate carries its value across calls

    # held-out rows for early stopping
    Xv = yv = swv = None
    if early_stopping:
        n = X.shape[0]
        n_val = math.ceil(validation_fraction * n)
        if n_val < 1 or n - n_val < 1:
            raise ValueError(
                f"early_stopping with validation_fraction={validation_fraction} leaves "
                f"{n - n_val} training and {n_val} validation rows out of {n}; both need one"
            )
        perm = (rng if validation_rng is None else validation_rng).permutation(n)
        val, tr = np.sort(perm[:n_val]), np.sort(perm[n_val:])
        Xv, yv = X[val], y[val]
        swv = sw[val] if sw is not None else None
        X, y = X[tr], y[tr]
        sw = sw[tr] if sw is not None else None

    n, K = X.shape
    w = np.array(w, dtype=dtype, order="C", copy=True)
    bb = np.array([b], dtype=dtype)
    g = np.empty(K + 1, dtype=dtype)
    z = np.empty(n, dtype=dtype)
    mean_loss = _MeanLoss(y, sw, code)
    zv = np.empty(0 if Xv is None else Xv.shape[0], dtype=dtype)
    val_loss = _MeanLoss(yv, swv, code) if Xv is not None and yv is not None else None
    order = np.arange(n, dtype=np.int64)
    t0 = _optimal_t0(alpha) if learning_rate == "optimal" else 0.0
    schedule = _SCHEDULE[learning_rate]
    nblocks = -(-n // _k.BLOCK_ROWS)
    G = np.empty((nblocks if solver == "gd" else 0, K + 1), dtype=dtype)
    # full batch: the sample-weighted mean gradient (a weight of 2 is a repeated row)
    gd_scale = float(np.sum(sw, dtype=np.float64)) if sw is not None else float(n)
    if not gd_scale > 0:
        raise ValueError("the sample weights (of the training rows) sum to 0: nothing to learn")
    sw_step = sw
    if sw is not None and solver == "sgd":
        sw_step = (sw * (n / gd_scale)).astype(dtype, copy=False)

    losses: list[float] = []
    val_losses: list[float] = []
    converged = False
    epochs = 0
    for _ in range(max_iter):
        eta = float(state.eta)
        if solver == "sgd":
            if shuffle:
                order = rng.permutation(n).astype(np.int64, copy=False)
            state.t = _k.sgd_epoch(
                X,
                y,
                sw_step,
                order,
                batch_size,
                w,
                bb,
                fit_intercept,
                code,
                alpha,
                l1_ratio,
                schedule,
                eta,
                power_t,
                t0,
                state.t,
                g,
                z,
            )
        else:
            if schedule == _k.ETA_INVSCALING:
                eta = eta0 / state.t**power_t
            elif schedule == _k.ETA_OPTIMAL:
                eta = 1.0 / (alpha * (t0 + state.t - 1.0))
            _k.gd_step(
                X,
                y,
                sw,
                w,
                bb,
                fit_intercept,
                code,
                alpha,
                l1_ratio,
                eta,
                gd_scale,
                G,
                g,
                z,
                n_threads,
            )
            state.t += 1.0
        epochs += 1
        if not (np.all(np.isfinite(w)) and math.isfinite(float(bb[0]))):
            raise FloatingPointError(
                f"training diverged in epoch {epochs} (weights became infinite or NaN): "
                f"lower the learning rate (eta0={eta0}, learning_rate={learning_rate!r}) "
                "or standardise the features"
            )
        epoch_loss = mean_loss(z)
        losses.append(epoch_loss)
        state.history.append(epoch_loss)
        watched = epoch_loss
        if Xv is not None and val_loss is not None:
            _z_of(Xv, w, float(bb[0]), zv, n_threads)
            watched = val_loss(zv)
            val_losses.append(watched)
        if tol is None:
            continue
        if watched > state.best - tol:
            state.no_improvement += 1
        else:
            state.no_improvement = 0
        if watched < state.best:
            state.best = watched
        if state.no_improvement >= n_iter_no_change:
            if learning_rate == "adaptive" and state.eta > _ADAPTIVE_MIN_ETA:
                state.eta = state.eta / 5.0
                state.no_improvement = 0
            else:
                converged = True
                break
    history = TrainHistory(tuple(losses), tuple(val_losses), epochs, converged)
    return w, float(bb[0]), history, state


def _z_of(X: np.ndarray, w: np.ndarray, b: float, out: np.ndarray, n_threads: int) -> None:
    """out = X.w + b with the forward kernel (the contract's order)."""
    from ._neuron import preactivation

    if X.shape[0]:
        preactivation(X, w, b, out=out, num_threads=n_threads)
