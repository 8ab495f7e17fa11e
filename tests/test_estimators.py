"""The scikit-learn compatible estimators: conventions, quality, hand-over."""

import pickle
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_breast_cancer, load_iris, make_classification
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score, train_test_split
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import cneuron as cn
from cneuron.estimators import NeuronClassifier, NeuronRegressor

# ---- scikit-learn's own checks ----------------------------------------------------

_STOCHASTIC = (
    "stochastic gradient descent visits a repeated row twice, at different times, "
    "while a weight of 2 doubles one step: equal in expectation, not in value "
    "(solver='gd' passes this check)"
)


def _expected_failures(est):
    if est.solver == "sgd":
        return {"check_sample_weight_equivalence_on_dense_data": _STOCHASTIC}
    return {}


_CHECKS = parametrize_with_checks(
    [
        NeuronClassifier(random_state=0),
        NeuronClassifier(loss="perceptron", random_state=0),
        NeuronClassifier(solver="gd", learning_rate="adaptive", eta0=1.0, random_state=0),
        NeuronRegressor(learning_rate="adaptive", eta0=1e-4, random_state=0),
        NeuronRegressor(
            solver="gd",
            learning_rate="constant",
            eta0=1e-4,
            max_iter=5000,
            tol=1e-8,
            random_state=0,
        ),
    ],
    expected_failed_checks=_expected_failures,
)
# some scikit-learn releases hand pytest a generator, which newer pytest
# deprecates: the same parametrization, as a list
_CHECKS = pytest.mark.parametrize(_CHECKS.args[0], list(_CHECKS.args[1]), **_CHECKS.kwargs)


@_CHECKS
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_estimators_are_lazy_attributes_of_the_package():
    code = (
        "import sys, cneuron as cn; assert 'sklearn' not in sys.modules; "
        "c = cn.NeuronClassifier; assert 'sklearn' in sys.modules; "
        "assert c is cn.estimators.NeuronClassifier; "
        "assert 'NeuronRegressor' in dir(cn)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        cn.Nope  # noqa: B018


# ---- quality against scikit-learn's LogisticRegression -------------------------------


def _split(X, y):
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    sc = StandardScaler().fit(Xtr)
    return sc.transform(Xtr), sc.transform(Xte), ytr, yte


DATASETS = {
    "breast_cancer": lambda: load_breast_cancer(return_X_y=True),
    "iris": lambda: load_iris(return_X_y=True),
    "make_classification": lambda: make_classification(
        n_samples=2000, n_features=20, n_informative=10, random_state=0
    ),
}
SETTINGS: dict[str, dict[str, Any]] = {
    "gd": dict(solver="gd", learning_rate="adaptive", eta0=1.0, tol=1e-6, max_iter=5000),
    "sgd": dict(learning_rate="adaptive", eta0=0.1),
}


@pytest.mark.parametrize("data", list(DATASETS))
@pytest.mark.parametrize("setting", list(SETTINGS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_accuracy_within_one_point_of_logistic_regression(data, setting, seed):
    Xtr, Xte, ytr, yte = _split(*DATASETS[data]())
    C = 1.0
    lr = LogisticRegression(C=C, max_iter=10_000)
    if len(np.unique(ytr)) > 2:  # one-vs-rest against one-vs-rest
        lr = OneVsRestClassifier(lr)
    lr.fit(Xtr, ytr)
    clf = NeuronClassifier(alpha=1.0 / (C * len(ytr)), random_state=seed, **SETTINGS[setting])
    clf.fit(Xtr, ytr)
    assert abs(clf.score(Xte, yte) - lr.score(Xte, yte)) <= 0.01 + 1e-12
    assert abs(clf.score(Xtr, ytr) - lr.score(Xtr, ytr)) <= 0.01 + 1e-12


def test_full_batch_descent_reaches_logistic_regressions_weights():
    Xtr, _, ytr, _ = _split(*load_breast_cancer(return_X_y=True))
    lr = LogisticRegression(C=1.0, tol=1e-12, max_iter=100_000).fit(Xtr, ytr)
    clf = NeuronClassifier(
        alpha=1.0 / len(ytr),
        solver="gd",
        learning_rate="adaptive",
        eta0=1.0,
        tol=1e-12,
        max_iter=100_000,
    ).fit(Xtr, ytr)
    np.testing.assert_allclose(clf.coef_, lr.coef_, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(clf.intercept_, lr.intercept_, rtol=1e-3, atol=1e-4)


def test_perceptron_reaches_100_percent_on_a_separable_set():
    X, y = make_classification(
        n_samples=400,
        n_features=5,
        n_redundant=0,
        n_informative=5,
        class_sep=2.0,
        flip_y=0,
        random_state=3,
    )
    w = np.linalg.lstsq(np.c_[X, np.ones(len(X))], 2 * y - 1, rcond=None)[0]
    keep = (2 * y - 1) * (np.c_[X, np.ones(len(X))] @ w) > 0.2  # separable, with a margin
    X, y = X[keep], y[keep]
    clf = NeuronClassifier(
        loss="perceptron",
        penalty=None,
        learning_rate="constant",
        eta0=1.0,
        tol=None,
        max_iter=500,
        random_state=0,
    ).fit(X, y)
    assert clf.score(X, y) == 1.0


def test_regressor_recovers_known_coefficients():
    from sklearn.datasets import make_regression

    X, y, coef = make_regression(
        n_samples=400, n_features=8, noise=0.0, coef=True, bias=2.0, random_state=0
    )
    reg = NeuronRegressor(
        penalty=None, solver="gd", learning_rate="constant", eta0=0.5, tol=1e-15, max_iter=10_000
    ).fit(X, y)
    np.testing.assert_allclose(reg.coef_, coef, rtol=1e-6)
    np.testing.assert_allclose(reg.intercept_, [2.0], rtol=1e-6)
    sgd = NeuronRegressor(
        penalty=None, learning_rate="constant", eta0=0.01, tol=1e-15, max_iter=2000, random_state=0
    ).fit(X, y)
    np.testing.assert_allclose(sgd.coef_, coef, rtol=1e-6)


# ---- conventions -------------------------------------------------------------------


def _data(n=300, classes=2, seed=0):
    X, y = make_classification(
        n_samples=n,
        n_features=6,
        n_informative=4,
        n_classes=classes,
        n_clusters_per_class=1,
        random_state=seed,
    )
    return StandardScaler().fit_transform(X), y


def test_shapes_and_attributes_binary_and_multiclass():
    X, y = _data()
    clf = NeuronClassifier(random_state=0).fit(X, y)
    assert clf.coef_.shape == (1, 6) and clf.intercept_.shape == (1,)
    assert clf.decision_function(X).shape == (300,)
    assert clf.predict_proba(X).shape == (300, 2)
    assert clf.n_features_in_ == 6 and clf.n_iter_ >= 1 and clf.t_ >= 300
    assert isinstance(clf.history_, cn.TrainHistory)
    X3, y3 = _data(classes=3)
    labels = np.array(["a", "b", "c"])[y3]
    clf3 = NeuronClassifier(random_state=0).fit(X3, labels)
    assert list(clf3.classes_) == ["a", "b", "c"]
    assert clf3.coef_.shape == (3, 6) and clf3.intercept_.shape == (3,)
    assert clf3.decision_function(X3).shape == (300, 3)
    p = clf3.predict_proba(X3)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert set(clf3.predict(X3)) <= {"a", "b", "c"}
    assert clf3.score(X3, labels) > 0.8
    assert isinstance(clf3.history_, list)
    assert len(clf3.history_) == 3
    np.testing.assert_allclose(np.exp(clf3.predict_log_proba(X3)), p)
    lp = clf.predict_log_proba(X)
    np.testing.assert_allclose(np.exp(lp), clf.predict_proba(X), rtol=1e-12)


def test_predict_follows_the_sign_of_z_and_proba_the_neuron():
    X, y = _data()
    clf = NeuronClassifier(random_state=0).fit(X, y)
    z = clf.decision_function(X)
    np.testing.assert_array_equal(clf.predict(X), np.where(z > 0, 1, 0))
    neuron = clf.to_neuron()
    assert isinstance(neuron, cn.Neuron) and neuron.activation == "sigmoid"
    np.testing.assert_array_equal(neuron(X), clf.predict_proba(X)[:, 1])
    np.testing.assert_array_equal(neuron.preactivation(X), z)
    dense = clf.to_dense()
    np.testing.assert_array_equal(dense(X)[:, 0], neuron(X))


def test_perceptron_has_no_probabilities_and_hands_over_a_step_neuron():
    X, y = _data()
    clf = NeuronClassifier(loss="perceptron", random_state=0).fit(X, y)
    assert not hasattr(clf, "predict_proba")
    assert not hasattr(clf, "predict_log_proba")
    n = clf.to_neuron()
    assert n.activation == "step"
    z = clf.decision_function(X)
    nz = z != 0
    np.testing.assert_array_equal(n(X)[nz], clf.predict(X)[nz])


def test_multiclass_hand_over_is_a_layer():
    X, y = _data(classes=3)
    clf = NeuronClassifier(random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="to_dense"):
        clf.to_neuron()
    dense = clf.to_dense()
    assert isinstance(dense, cn.Dense) and dense.n_outputs == 3
    np.testing.assert_array_equal(np.argmax(dense(X), axis=1), clf.predict(X))
    np.testing.assert_array_equal(
        dense.preactivation(X) if hasattr(dense, "preactivation") else clf.decision_function(X),
        clf.decision_function(X),
    )


def test_regressor_hand_over_and_score():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X @ [1.0, -2.0, 0.5] + 3.0
    reg = NeuronRegressor(random_state=0, learning_rate="adaptive", eta0=0.05).fit(X, y)
    assert reg.coef_.shape == (3,) and reg.intercept_.shape == (1,)
    assert reg.score(X, y) > 0.999
    n = reg.to_neuron()
    assert n.activation == "identity"
    np.testing.assert_array_equal(n(X), reg.predict(X))


def test_partial_fit_epochs_are_fit_epochs_bitwise():
    X, y = _data(classes=3)
    a = NeuronClassifier(random_state=5, tol=None, max_iter=4).fit(X, y)
    b = NeuronClassifier(random_state=5)
    for _ in range(4):
        b.partial_fit(X, y, classes=np.unique(y))
    np.testing.assert_array_equal(a.coef_, b.coef_)
    np.testing.assert_array_equal(a.intercept_, b.intercept_)
    assert a.t_ == b.t_
    r = NeuronRegressor(random_state=5, tol=None, max_iter=3).fit(X, y.astype(float))
    s = NeuronRegressor(random_state=5)
    for _ in range(3):
        s.partial_fit(X, y.astype(float))
    np.testing.assert_array_equal(r.coef_, s.coef_)


def test_partial_fit_rules():
    X, y = _data(classes=3)
    clf = NeuronClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    assert clf.n_iter_ == 1
    clf.partial_fit(X[50:], y[50:])  # later calls need no classes
    with pytest.raises(ValueError, match="differs"):
        clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="not in classes"):
        clf.partial_fit(X[:5], np.array([0, 1, 2, 3, 3]))
    with pytest.raises(ValueError, match="features"):
        clf.partial_fit(X[:, :4], y)


def test_warm_start_continues_and_cold_start_restarts():
    X, y = _data()
    cold = NeuronClassifier(random_state=0, max_iter=2, tol=None)
    with pytest.warns(ConvergenceWarning, match="max_iter"):
        NeuronClassifier(random_state=0, max_iter=2).fit(X, y)
    cold.fit(X, y)
    first = cold.coef_.copy()
    cold.fit(X, y)
    np.testing.assert_array_equal(cold.coef_, first)  # the same again: from zeros
    warm = NeuronClassifier(random_state=0, max_iter=2, tol=None, warm_start=True).fit(X, y)
    np.testing.assert_array_equal(warm.coef_, first)
    warm.fit(X, y)
    assert not np.array_equal(warm.coef_, first)  # went on from there
    warm.fit(X[:, :5], y)  # other features: restarts from zeros
    assert warm.coef_.shape == (1, 5)


def test_class_weight():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 2))
    y = (X[:, 0] + 0.8 * rng.normal(size=600) > 1.4).astype(int)  # about 10% positives
    plain = NeuronClassifier(random_state=0).fit(X, y)
    bal = NeuronClassifier(random_state=0, class_weight="balanced").fit(X, y)
    recall = lambda c: (c.predict(X)[y == 1] == 1).mean()  # noqa: E731
    assert recall(bal) > recall(plain) + 0.2
    heavy = NeuronClassifier(random_state=0, class_weight={1: 10.0}).fit(X, y)
    assert recall(heavy) > recall(plain)
    sw = np.where(y == 1, 10.0, 1.0)
    by_sw = NeuronClassifier(random_state=0).fit(X, y, sample_weight=sw)
    np.testing.assert_array_equal(heavy.coef_, by_sw.coef_)
    with pytest.raises(ValueError, match="not a class"):
        NeuronClassifier(class_weight={7: 2.0}).fit(X, y)
    with pytest.raises(ValueError, match="class_weight"):
        NeuronClassifier(class_weight="even").fit(X, y)


def test_errors_are_clear():
    X, y = _data()
    with pytest.raises(ValueError, match="loss must be"):
        NeuronClassifier(loss="hinge").fit(X, y)
    with pytest.raises(ValueError, match="at least 2 classes"):
        NeuronClassifier().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="learning_rate"):
        NeuronClassifier(learning_rate="fast").fit(X, y)
    with pytest.raises(ValueError, match="Unknown label type"):
        NeuronClassifier().fit(X, np.linspace(0, 1, len(X)))


def test_same_seed_bitwise_whatever_the_threads_and_pipelines_work():
    X, y = _data(n=2000, classes=3)
    a = NeuronClassifier(solver="gd", random_state=0, num_threads=1, max_iter=30).fit(X, y)
    b = NeuronClassifier(solver="gd", random_state=0, num_threads=2, max_iter=30).fit(X, y)
    np.testing.assert_array_equal(a.coef_, b.coef_)
    c = NeuronClassifier(random_state=3, num_threads=1).fit(X, y)
    d = NeuronClassifier(random_state=3, num_threads=2).fit(X, y)
    np.testing.assert_array_equal(c.coef_, d.coef_)
    pipe = make_pipeline(StandardScaler(), NeuronClassifier(random_state=0))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.mean() > 0.8
    e = pickle.loads(pickle.dumps(c))
    np.testing.assert_array_equal(e.predict(X), c.predict(X))
    f = clone(c)
    assert not hasattr(f, "coef_") and f.get_params() == c.get_params()


# ---- edge cases: failed fits, changed rates, weights, ties, held-out rows ------------


def test_a_failed_fit_leaves_a_fitted_estimator_as_it_was():
    X, y = _data(classes=3)
    clf = NeuronClassifier(random_state=0).fit(X, y)
    before = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in vars(clf).items()}
    with pytest.raises(ValueError):
        clf.fit(X, y % 2, sample_weight=np.ones(3))  # wrong shape, after the classes changed
    with pytest.raises(ValueError):
        clf.fit(X[:, :4], np.zeros(len(X)))  # one class, other features
    assert vars(clf).keys() == before.keys()
    for k, v in before.items():
        if isinstance(v, np.ndarray):
            np.testing.assert_array_equal(getattr(clf, k), v)
    assert clf.n_features_in_ == 6 and list(clf.classes_) == [0, 1, 2]
    clf.predict(X)
    reg = NeuronRegressor(learning_rate="constant", eta0=1.0)
    reg.partial_fit(X, y.astype(float) * 0)
    coef, t = reg.coef_.copy(), reg.t_
    big = np.random.default_rng(0).normal(100.0, 1.0, size=(400, 6))
    with pytest.raises(FloatingPointError):
        reg.partial_fit(big, big @ np.ones(6))
    np.testing.assert_array_equal(reg.coef_, coef)
    assert reg._states is not None
    assert reg.t_ == t and reg._states[0].t == t + 1


def test_partial_fit_follows_a_changed_eta0():
    X, y = _data()
    a = NeuronClassifier(learning_rate="constant", eta0=0.1, random_state=0)
    b = NeuronClassifier(learning_rate="constant", eta0=0.1, random_state=0)
    a.partial_fit(X, y, classes=[0, 1])
    b.partial_fit(X, y, classes=[0, 1])
    b.set_params(eta0=0.001)
    a.partial_fit(X, y)
    b.partial_fit(X, y)
    assert not np.array_equal(a.coef_, b.coef_)


def test_negative_weights_are_refused():
    X, y = _data()
    sw = np.ones(len(y))
    sw[0] = -1
    with pytest.raises(ValueError, match=r"[Nn]egative"):
        NeuronClassifier().fit(X, y, sample_weight=sw)
    with pytest.raises(ValueError, match="non-negative"):
        NeuronClassifier(class_weight={0: -1.0}).fit(X, y)
    with pytest.raises(ValueError, match=r"[Nn]egative"):
        NeuronRegressor().fit(X, y.astype(float), sample_weight=sw)


def test_balanced_class_weight_is_refused_by_partial_fit():
    X, y = _data()
    with pytest.raises(ValueError, match="balanced"):
        NeuronClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1])


def test_perceptron_predict_agrees_with_the_step_neuron_at_a_tie():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 5)
    y = np.array([0, 0, 0, 1] * 5)
    clf = NeuronClassifier(
        loss="perceptron",
        penalty=None,
        learning_rate="constant",
        eta0=1.0,
        tol=None,
        max_iter=50,
        random_state=0,
    ).fit(X, y)
    clf.coef_ = np.array([[2.0, 3.0]])
    clf.intercept_ = np.array([-4.0])
    x = np.array([[2.0, 0.0]])  # z = 0 exactly
    assert clf.decision_function(x)[0] == 0.0
    assert clf.predict(x)[0] == clf.to_neuron()(x)[0] == 1


def test_early_stopping_holds_out_the_same_rows_for_every_class():
    X, y = _data(n=400, classes=3)
    clf = NeuronClassifier(early_stopping=True, random_state=0, max_iter=3, tol=None).fit(X, y)
    assert isinstance(clf.history_, list)
    assert all(len(h.validation_loss) == 3 for h in clf.history_)
    again = NeuronClassifier(early_stopping=True, random_state=0, max_iter=3, tol=None)
    np.testing.assert_array_equal(again.fit(X, y).coef_, clf.coef_)
