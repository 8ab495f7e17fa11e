"""scikit-learn compatible estimators: neurons that learn with ``fit``.

``NeuronClassifier`` (a sigmoid neuron trained on the log loss, or the
classic perceptron; several classes one-vs-rest) and ``NeuronRegressor`` (an
identity neuron trained on the squared error) follow scikit-learn's
conventions, so they work in pipelines, grid searches and cross-validation.
Training runs the compiled kernels of ``Neuron.fit`` (``cneuron._learning``);
``to_neuron()`` / ``to_dense()`` hand the learned weights to the inference
objects.

scikit-learn is an optional dependency: ``pip install cneuron[sklearn]``.
``cneuron.NeuronClassifier`` imports this module on first use.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.utils import check_random_state
    from sklearn.utils.metaestimators import available_if
    from sklearn.utils.multiclass import check_classification_targets, unique_labels
    from sklearn.utils.validation import (
        _check_sample_weight,
        check_is_fitted,
        validate_data,
    )
except ImportError as exc:  # pragma: no cover - exercised without scikit-learn
    raise ImportError(
        "cneuron's estimators (NeuronClassifier, NeuronRegressor) need scikit-learn >= 1.6: "
        "pip install 'cneuron[sklearn]'. Neuron.fit works without it."
    ) from exc

from . import _learning
from ._layers import Dense
from ._neuron import Neuron

__all__ = ["NeuronClassifier", "NeuronRegressor"]

_MAX_SEED = 2**32


class _BaseNeuronEstimator(BaseEstimator):
    """What the classifier and the regressor share: parameters, validation and
    the training loop of one output."""

    coef_: np.ndarray
    intercept_: np.ndarray

    def __init__(
        self,
        *,
        penalty: str | None = "l2",
        alpha: float = 1e-4,
        l1_ratio: float = 0.15,
        fit_intercept: bool = True,
        solver: str = "sgd",
        batch_size: int = 1,
        max_iter: int = 1000,
        tol: float | None = 1e-3,
        shuffle: bool = True,
        learning_rate: str | None = None,
        eta0: float = 0.01,
        power_t: float = 0.25,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        warm_start: bool = False,
        random_state: Any = None,
        num_threads: int | None = None,
    ) -> None:
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.shuffle = shuffle
        self.learning_rate = learning_rate
        self.eta0 = eta0
        self.power_t = power_t
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.random_state = random_state
        self.num_threads = num_threads

    def _train_kwargs(self, loss: str) -> dict[str, Any]:
        return dict(
            loss=loss,
            solver=self.solver,
            penalty=self.penalty,
            alpha=self.alpha,
            l1_ratio=self.l1_ratio,
            fit_intercept=self.fit_intercept,
            learning_rate=self.learning_rate,
            eta0=self.eta0,
            power_t=self.power_t,
            batch_size=self.batch_size,
            max_iter=self.max_iter,
            tol=self.tol,
            n_iter_no_change=self.n_iter_no_change,
            shuffle=self.shuffle,
            early_stopping=self.early_stopping,
            validation_fraction=self.validation_fraction,
            num_threads=self.num_threads,
        )

    def _validate_X(self, X: Any, reset: bool) -> np.ndarray:
        return validate_data(self, X, reset=reset, dtype=np.float64, order="C", accept_sparse=False)

    def _seeds(self, k: int) -> list[np.random.Generator]:
        """One generator per output and, last, the seed of the held-out rows
        of early stopping (one split for every output), from
        ``random_state`` (scikit-learn's convention: None, an int or a
        RandomState)."""
        rs = check_random_state(self.random_state)
        seeds = rs.randint(_MAX_SEED, size=k + 1, dtype=np.uint64)
        return [np.random.default_rng(int(s)) for s in seeds]

    def _atomic_fit(self, fit: Any, *args: Any) -> Any:
        """Run ``fit``; if it raises, restore every attribute it changed, so a
        failed call leaves a fitted estimator as it was."""
        before = dict(self.__dict__)
        try:
            return fit(*args)
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(before)
            raise

    def _train_columns(
        self,
        X: np.ndarray,
        targets: list[np.ndarray],
        weights: list[np.ndarray | None],
        coef: np.ndarray,
        intercept: np.ndarray,
        loss: str,
        partial: bool,
    ) -> None:
        """Train output k on (X, targets[k], weights[k]) from coef[k],
        intercept[k], in place; keeps the states for partial_fit."""
        kwargs = self._train_kwargs(loss)
        if partial:
            kwargs.update(max_iter=1, tol=None, early_stopping=False)
        rngs = getattr(self, "_rngs", None) if partial else None
        if rngs is None or len(rngs) != len(targets) + 1:
            rngs = self._seeds(len(targets))
        old = getattr(self, "_states", None) if partial else None
        states: list[Any] = (
            list(old) if old is not None and len(old) == len(targets) else [None] * len(targets)
        )
        split_seed = rngs[-1].bit_generator.state  # the same held-out rows for every output
        n_iter = 0
        histories = []
        for k in range(len(targets)):
            split_rng = np.random.default_rng()
            split_rng.bit_generator.state = split_seed
            w, b, hist, st = _learning.fit_linear(
                coef[k],
                float(intercept[k]),
                X,
                targets[k],
                weights[k],
                rng=rngs[k],
                validation_rng=split_rng,
                state=states[k],
                **kwargs,
            )
            coef[k] = w
            intercept[k] = b
            states[k] = st
            histories.append(hist)
            n_iter = max(n_iter, hist.n_iter)
        self._rngs = rngs
        self._states: list[Any] | None = states
        self.n_iter_ = n_iter
        self.history_ = histories if len(histories) > 1 else histories[0]
        t = states[0].t if states and states[0] is not None else 1.0
        self.t_ = float(t - 1.0)
        if not partial and self.tol is not None and not all(h.converged for h in histories):
            warnings.warn(
                f"maximum number of iterations ({self.max_iter}) reached before the loss "
                "stopped improving; consider increasing max_iter",
                ConvergenceWarning,
                stacklevel=3,
            )


class NeuronClassifier(ClassifierMixin, _BaseNeuronEstimator):
    """A neuron that learns to classify: logistic regression or the perceptron.

    Two classes: one neuron, z = x.w + b, predicting ``classes_[1]`` when
    z > 0 (z >= 0 for the perceptron, as its step does). ``loss="log"``
    trains a sigmoid neuron on the log loss (so ``predict_proba`` gives
    probabilities); ``loss="perceptron"`` trains the
    classic step neuron with the perceptron rule. More classes: one neuron per
    class against the rest (one-vs-rest), the class of the largest z.

    Parameters
    ----------
    loss : {"log", "perceptron"}, default "log"
        What is minimised.
    penalty, alpha, l1_ratio, fit_intercept, solver, batch_size, max_iter, tol,
    shuffle, learning_rate, eta0, power_t, early_stopping, validation_fraction,
    n_iter_no_change
        As in ``cneuron.Neuron.fit``. ``alpha`` corresponds to scikit-learn
        ``LogisticRegression``'s ``C`` as alpha = 1 / (C n_samples).
    class_weight : dict, "balanced" or None
        Weights of the classes' samples ({label: weight}); "balanced" uses
        n_samples / (n_classes * count(label)). With one-vs-rest, class k's
        weight applies to its positive samples.
    warm_start : bool, default False
        ``fit`` starts from the previous solution instead of zeros.
    random_state : None, int or RandomState
        Seeds the shuffles; the same seed gives bitwise the same weights,
        whatever ``num_threads``.
    num_threads : int, optional
        Threads of the full-batch gradient and of prediction.

    Attributes
    ----------
    coef_ : ndarray, shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray, shape (1,) or (n_classes,)
    classes_ : ndarray, shape (n_classes,)
    n_iter_ : int
        Epochs of the last ``fit`` (the largest over the classes).
    t_ : float
        Updates made (per class).
    history_ : TrainHistory or list of them (one per class)
    n_features_in_ : int

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> import cneuron as cn
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), cn.NeuronClassifier(random_state=0)).fit(X, y)
    >>> clf.score(X, y) > 0.97
    True
    """

    def __init__(
        self,
        loss: str = "log",
        *,
        penalty: str | None = "l2",
        alpha: float = 1e-4,
        l1_ratio: float = 0.15,
        fit_intercept: bool = True,
        solver: str = "sgd",
        batch_size: int = 1,
        max_iter: int = 1000,
        tol: float | None = 1e-3,
        shuffle: bool = True,
        learning_rate: str | None = None,
        eta0: float = 0.01,
        power_t: float = 0.25,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        class_weight: Any = None,
        warm_start: bool = False,
        random_state: Any = None,
        num_threads: int | None = None,
    ) -> None:
        super().__init__(
            penalty=penalty,
            alpha=alpha,
            l1_ratio=l1_ratio,
            fit_intercept=fit_intercept,
            solver=solver,
            batch_size=batch_size,
            max_iter=max_iter,
            tol=tol,
            shuffle=shuffle,
            learning_rate=learning_rate,
            eta0=eta0,
            power_t=power_t,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            warm_start=warm_start,
            random_state=random_state,
            num_threads=num_threads,
        )
        self.loss = loss
        self.class_weight = class_weight

    # ---- fitting -------------------------------------------------------------

    def _class_weights(self, classes: np.ndarray, y: np.ndarray) -> np.ndarray:
        cw = self.class_weight
        if cw is None:
            return np.ones(len(classes))
        if isinstance(cw, str):
            if cw != "balanced":
                raise ValueError(f"class_weight must be a dict, 'balanced' or None; got {cw!r}")
            counts = np.array([np.sum(y == c) for c in classes], dtype=np.float64)
            if np.any(counts == 0):
                raise ValueError("class_weight='balanced' needs every class in y")
            return len(y) / (len(classes) * counts)
        if not isinstance(cw, dict):
            raise ValueError(f"class_weight must be a dict, 'balanced' or None; got {cw!r}")
        out = np.ones(len(classes))
        for label, weight in cw.items():
            hits = np.flatnonzero(classes == label)
            if hits.size == 0:
                raise ValueError(f"class_weight names the label {label!r}, not a class of y")
            value = float(weight)
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(
                    f"class_weight must be finite and non-negative; got {weight!r} for {label!r}"
                )
            out[hits[0]] = value
        return out

    def _problems(
        self, y: np.ndarray, sample_weight: np.ndarray
    ) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
        """0/1 targets and sample weights of each one-vs-rest problem."""
        classes = self.classes_
        cw = self._class_weights(classes, y)
        idx = np.searchsorted(classes, y)
        # all weights one: no weights at all (the kernels then skip a gather
        # per sample; the results are bitwise the same)
        plain = bool(np.all(sample_weight == 1.0))
        if len(classes) == 2:
            t = (idx == 1).astype(np.float64)
            if plain and cw[0] == cw[1] == 1.0:
                return [t], [None]
            return [t], [sample_weight * cw[idx]]
        targets: list[np.ndarray] = []
        weights: list[np.ndarray | None] = []
        for k in range(len(classes)):
            t = (idx == k).astype(np.float64)
            targets.append(t)
            weights.append(
                None if plain and cw[k] == 1.0 else sample_weight * np.where(t == 1, cw[k], 1.0)
            )
        return targets, weights

    def _check_loss(self) -> None:
        if self.loss not in ("log", "perceptron"):
            raise ValueError(f"loss must be 'log' or 'perceptron'; got {self.loss!r}")

    def _fit(self, X: Any, y: Any, sample_weight: Any, classes: Any, partial: bool) -> Any:
        """fit (partial=False) or one partial_fit epoch; may leave attributes
        half-set on error (callers go through ``_atomic_fit``)."""
        self._check_loss()
        first = not partial or not hasattr(self, "classes_")
        X, y = validate_data(
            self, X, y, reset=first, dtype=np.float64, order="C", accept_sparse=False
        )
        check_classification_targets(y)
        if partial:
            if first:
                if classes is None:
                    raise ValueError("classes must be passed on the first call to partial_fit")
                self.classes_ = unique_labels(classes)
            elif classes is not None and not np.array_equal(unique_labels(classes), self.classes_):
                raise ValueError(
                    f"classes={classes!r} differs from the classes of the first call "
                    f"{self.classes_!r}"
                )
            unseen = np.setdiff1d(np.unique(y), self.classes_)
            if unseen.size:
                raise ValueError(f"y holds labels {unseen!r} not in classes {self.classes_!r}")
        else:
            self.classes_ = unique_labels(y)
        if len(self.classes_) < 2:
            raise ValueError(
                "a classifier needs samples of at least 2 classes; "
                f"got 1 class: {self.classes_[0]!r}"
            )
        sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        targets, weights = self._problems(y, sw)
        k = len(targets)
        n_features = X.shape[1]
        keep = (partial and not first) or (
            self.warm_start
            and getattr(self, "coef_", None) is not None
            and self.coef_.shape == (k, n_features)
        )
        if keep:
            coef = np.array(self.coef_, dtype=np.float64, copy=True)
            intercept = np.array(self.intercept_, dtype=np.float64, copy=True)
        else:
            coef = np.zeros((k, n_features))
            intercept = np.zeros(k)
            if partial:
                self._states = None
                self._rngs: list[np.random.Generator] | None = None
        self._train_columns(X, targets, weights, coef, intercept, self.loss, partial)
        self.coef_ = coef
        self.intercept_ = intercept
        return self

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> NeuronClassifier:
        """Learn from samples X (n_samples, n_features) and labels y; returns self.

        With ``warm_start`` the previous ``coef_`` and ``intercept_`` are the
        starting point; otherwise training starts from zeros."""
        return self._atomic_fit(self._fit, X, y, sample_weight, None, False)

    def partial_fit(
        self, X: Any, y: Any, classes: Any = None, sample_weight: Any = None
    ) -> NeuronClassifier:
        """One epoch over (X, y), continuing from the current weights and the
        learning-rate schedule's clock. ``classes`` (every label that will
        ever occur) is required on the first call. ``class_weight="balanced"``
        needs the whole data and is refused here (pass a dict)."""
        if isinstance(self.class_weight, str) and self.class_weight == "balanced":
            raise ValueError(
                "class_weight='balanced' is computed from all of y, which partial_fit never "
                "sees; pass a dict of class weights instead"
            )
        return self._atomic_fit(self._fit, X, y, sample_weight, classes, True)

    # ---- prediction ----------------------------------------------------------

    def decision_function(self, X: Any) -> np.ndarray:
        """z = X.w + b: shape (n_samples,) for two classes (positive means
        ``classes_[1]``), (n_samples, n_classes) otherwise."""
        check_is_fitted(self, "coef_")
        X = self._validate_X(X, reset=False)
        if self.coef_.shape[0] == 1:
            return Neuron(self.coef_[0], self.intercept_[0], "identity").forward(
                X, num_threads=self.num_threads
            )
        return Dense(self.coef_, self.intercept_, "identity").forward(
            X, num_threads=self.num_threads
        )

    def predict(self, X: Any) -> np.ndarray:
        """The predicted class of each sample."""
        z = self.decision_function(X)
        if z.ndim == 1:
            # the hand-over's rule: sigmoid(0) = 0.5 is not above one half,
            # step(0) = 1 (the perceptron's convention)
            hit = (z >= 0) if self.loss == "perceptron" else (z > 0)
            return self.classes_[hit.astype(np.intp)]
        return self.classes_[np.argmax(z, axis=1)]

    def _has_proba(self) -> bool:
        if self.loss != "log":
            raise AttributeError(
                f"predict_proba needs loss='log' (probabilities); this classifier has "
                f"loss={self.loss!r}"
            )
        return True

    @available_if(_has_proba)
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes): sigmoid(-z) and
        sigmoid(z) for two classes; one-vs-rest sigmoids normalised to sum to 1
        otherwise."""
        z = self.decision_function(X)
        p = _sigmoid(z)
        if p.ndim == 1:  # sigmoid(-z), not 1 - p: accurate for small probabilities too
            return np.column_stack([_sigmoid(-z), p])
        s = p.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            q = np.where(s > 0, p / np.where(s > 0, s, 1.0), 1.0 / p.shape[1])
        return q

    @available_if(_has_proba)
    def predict_log_proba(self, X: Any) -> np.ndarray:
        """The log of ``predict_proba`` (computed stably for two classes)."""
        z = self.decision_function(X)
        if z.ndim == 1:
            from .activations import log_sigmoid

            return np.column_stack([log_sigmoid(-z), log_sigmoid(z)])
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    # ---- hand-over -----------------------------------------------------------

    def _activation(self) -> str:
        return "sigmoid" if self.loss == "log" else "step"

    def to_neuron(self) -> Neuron:
        """The learned binary classifier as a ``cneuron.Neuron`` (sigmoid for
        the log loss, step for the perceptron): its output is the probability
        (or the 0/1 decision) of ``classes_[1]``. Several classes: use
        ``to_dense()``."""
        check_is_fitted(self, "coef_")
        if self.coef_.shape[0] != 1:
            raise ValueError(
                f"this classifier has {self.coef_.shape[0]} one-vs-rest neurons; "
                "to_dense() returns them as a layer"
            )
        return Neuron(self.coef_[0], self.intercept_[0], self._activation())

    def to_dense(self) -> Dense:
        """The learned neurons as a ``cneuron.Dense`` layer (one output per
        row of ``coef_``), for batch inference. Its outputs are the one-vs-rest
        sigmoids (not normalised) or step decisions."""
        check_is_fitted(self, "coef_")
        return Dense(self.coef_, self.intercept_, self._activation())

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


class NeuronRegressor(RegressorMixin, _BaseNeuronEstimator):
    """A neuron that learns a linear regression: identity activation, squared
    error, z = x.w + b.

    Parameters are those of ``NeuronClassifier`` (no ``loss``, no
    ``class_weight``); the default schedule is ``"invscaling"`` with
    ``eta0=0.01``: standardise the features.

    Attributes
    ----------
    coef_ : ndarray, shape (n_features,)
    intercept_ : ndarray, shape (1,)
    n_iter_, t_, history_, n_features_in_
        As in ``NeuronClassifier``.

    Examples
    --------
    >>> import numpy as np, cneuron as cn
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> y = 3 * X[:, 0] - 2 * X[:, 1] + 1
    >>> reg = cn.NeuronRegressor(penalty=None, random_state=0, tol=None, max_iter=50)
    >>> np.round(reg.fit(X, y).coef_, 3).tolist(), round(float(reg.intercept_[0]), 3)
    ([3.0, -2.0], 1.0)
    """

    _loss = "squared"

    def _fit(self, X: Any, y: Any, sample_weight: Any, partial: bool) -> NeuronRegressor:
        first = not partial or not hasattr(self, "coef_")
        X, y = validate_data(
            self,
            X,
            y,
            reset=first,
            dtype=np.float64,
            order="C",
            accept_sparse=False,
            y_numeric=True,
        )
        sw = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
        n_features = X.shape[1]
        keep = (partial and not first) or (
            self.warm_start
            and getattr(self, "coef_", None) is not None
            and self.coef_.shape == (n_features,)
        )
        if keep:
            coef = np.array(self.coef_, dtype=np.float64, copy=True).reshape(1, -1)
            intercept = np.array(self.intercept_, dtype=np.float64, copy=True)
        else:
            coef = np.zeros((1, n_features))
            intercept = np.zeros(1)
            if partial:
                self._states = None
                self._rngs = None
        y = np.ascontiguousarray(y, dtype=np.float64)
        weights = None if np.all(sw == 1.0) else sw
        self._train_columns(X, [y], [weights], coef, intercept, "squared", partial)
        self.coef_ = coef[0]
        self.intercept_ = intercept
        return self

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> NeuronRegressor:
        """Learn from samples X (n_samples, n_features) and targets y; returns self."""
        return self._atomic_fit(self._fit, X, y, sample_weight, False)

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> NeuronRegressor:
        """One epoch over (X, y), continuing from the current weights."""
        return self._atomic_fit(self._fit, X, y, sample_weight, True)

    def predict(self, X: Any) -> np.ndarray:
        """z = X.w + b for each sample, shape (n_samples,)."""
        check_is_fitted(self, "coef_")
        X = self._validate_X(X, reset=False)
        return self.to_neuron().forward(X, num_threads=self.num_threads)

    def to_neuron(self) -> Neuron:
        """The learned regression as a ``cneuron.Neuron`` (identity activation)."""
        check_is_fitted(self, "coef_")
        return Neuron(self.coef_, self.intercept_[0], "identity")

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


def _sigmoid(z: np.ndarray) -> np.ndarray:
    from .activations import sigmoid

    return sigmoid(z)
