"""Training time per epoch, float64, one thread: cneuron against
scikit-learn's ``SGDClassifier`` (the same log loss, L2 penalty, "optimal"
schedule and one epoch, ``max_iter=1, tol=None``) and ``LogisticRegression``
(one iteration of its default solver, which like an epoch reads every row
once or a few times).

Cases: 100,000 x 32 and 1,000,000 x 8, a linearly separable-ish binary
problem generated with a seed. cneuron runs ``Neuron.fit(max_iter=1,
tol=None)`` (SGD, one update per sample, shuffled; the time includes the
shuffle and the epoch's loss) and, as informational contenders, the same
epoch through ``NeuronClassifier`` (scikit-learn's input validation on top)
and one full-batch gradient step (``solver="gd"``). Under
``--benchmark-disable`` (the CI smoke run) the data is cut to ``SMOKE_ROWS``
rows and each benchmark is one plain call.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from benchutil import contender, need

import cneuron as cn

SMOKE_ROWS = 2_000
SIZES = [(100_000, 32), (1_000_000, 8)]


def group(n, d):
    return f"train {n}x{d} log float64 1t"


def smoke(config):
    return config.getoption("benchmark_disable") and not config.getoption("benchmark_enable")


@pytest.fixture(scope="module", params=SIZES, ids=[f"{n}x{d}" for n, d in SIZES])
def case(request):
    n, d = request.param
    rows = SMOKE_ROWS if smoke(request.config) else n
    rng = np.random.default_rng(d)
    X = rng.standard_normal((rows, d))
    w = rng.standard_normal(d)
    y = (X @ w + 0.5 * rng.standard_normal(rows) > 0).astype(np.float64)
    return group(n, d), X, y


def test_train_cneuron(benchmark, case):
    name, X, y = case
    contender(benchmark, name, "cneuron")

    def epoch():
        return cn.Neuron(np.zeros(X.shape[1])).fit(
            X, y, max_iter=1, tol=None, random_state=0, num_threads=1
        )

    n = benchmark(epoch)
    assert ((n(X) >= 0.5) == (y == 1)).mean() > 0.8


def test_train_cneuron_estimator(benchmark, case):
    need("sklearn")
    name, X, y = case
    clf = cn.NeuronClassifier(max_iter=1, tol=None, random_state=0, num_threads=1)
    contender(benchmark, name, "cneuron NeuronClassifier")
    benchmark(clf.fit, X, y)


def test_train_cneuron_gd(benchmark, case):
    name, X, y = case
    contender(benchmark, name, "cneuron gd")

    def step():
        return cn.Neuron(np.zeros(X.shape[1])).fit(
            X,
            y,
            solver="gd",
            learning_rate="constant",
            eta0=0.5,
            max_iter=1,
            tol=None,
            num_threads=1,
        )

    benchmark(step)


def test_train_sgdclassifier(benchmark, case):
    need("sklearn")
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDClassifier

    name, X, y = case
    clf = SGDClassifier(loss="log_loss", max_iter=1, tol=None, random_state=0)
    contender(benchmark, name, "sklearn SGDClassifier")

    def epoch():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return clf.fit(X, y)

    benchmark(epoch)


def test_train_logistic_regression(benchmark, case):
    need("sklearn")
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    name, X, y = case
    clf = LogisticRegression(max_iter=1)
    contender(benchmark, name, "sklearn LogisticRegression")

    def iteration():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return clf.fit(X, y)

    benchmark(iteration)
