"""``python -m cneuron demo``: the article's neurons, computed by cneuron.

Walks the loan-approval neuron through the four steps (inputs, weighted sum
term by term, activation, output and its meaning), shows the spam neuron
before and after learning, then times cneuron against the pure-Python
reference and numpy on one large batch. Every number printed is computed.
"""

from __future__ import annotations

import time
from typing import Any, Callable, TextIO

import numpy as np

from . import reference
from ._neuron import Neuron

LOAN_FEATURES = ("age", "income", "credit score")
LOAN_X = [0.8, 0.6, 0.9]
LOAN_W = [0.5, 0.3, 0.7]
LOAN_B = 0.1

SPAM_FEATURES = ("exclamation marks", 'has "FREE"', "short length")
SPAM_X = [5.0, 1.0, 0.2]
SPAM_BEFORE = ([0.1, 0.1, 0.1], 0.0)
SPAM_AFTER = ([0.8, 0.9, 0.3], -0.5)
ARTICLE_PRINTED_Z = 4.36


def spam_verdict(y: float) -> str:
    """The article's reading of a spam probability."""
    if y >= 0.9:
        return "SPAM!"
    if y >= 0.5:
        return "maybe"
    return "not spam"


def _loan(p: Callable[..., None]) -> None:
    n = Neuron(LOAN_W, bias=LOAN_B, activation="sigmoid")
    p("1. Loan approval: should the bank approve this application?")
    p("   Step 1 - inputs (scaled to 0..1):")
    for name, xi in zip(LOAN_FEATURES, LOAN_X):
        p(f"       {name:<14} x = {xi}")
    p("   Step 2 - weighted sum z = x.w + b, term by term:")
    for name, xi, wi in zip(LOAN_FEATURES, LOAN_X, LOAN_W):
        p(f"       {xi} x {wi} = {xi * wi:.2f}   ({name})")
    p(f"       + bias {LOAN_B}")
    z = n.preactivation(LOAN_X)
    p(f"       z = {z:.4g}")
    y = n(LOAN_X)
    p(f"   Step 3 - activation: sigmoid(z) = 1 / (1 + e^-{z:.4g}) = {y:.4f}")
    verdict = "approve" if y >= 0.5 else "decline"
    p(f"   Step 4 - output: y = {y:.4f}, a {100 * y:.1f}% chance of repaying: {verdict}")
    p("")


def _spam(p: Callable[..., None]) -> None:
    p(
        "2. Spam detection: x = "
        + ", ".join(f"{name} {xi:g}" for name, xi in zip(SPAM_FEATURES, SPAM_X))
    )
    for label, (w, b) in (("before learning", SPAM_BEFORE), ("after learning", SPAM_AFTER)):
        n = Neuron(w, bias=b)
        z = n.preactivation(SPAM_X)
        y = n(SPAM_X)
        p(f"   {label:<16} w = {w}, b = {b:g}: z = {z:.4g}, y = {y:.4f} -> {spam_verdict(y)}")
    w, b = SPAM_AFTER
    z = Neuron(w, bias=b).preactivation(SPAM_X)
    terms = " + ".join(f"{xi:g}x{wi:g}" for xi, wi in zip(SPAM_X, w))
    p(f"   Note: the article prints z = {ARTICLE_PRINTED_Z} for the learned neuron, but")
    p(f"   {terms} - {-b:g} = {z:.4g}; cneuron computes the correct {z:.2f}.")
    p("")
    _spam_learned(p)


def _spam_learned(p: Callable[..., None]) -> None:
    """The spam neuron learning its weights (cneuron.datasets.make_spam)."""
    from .datasets import SPAM_EMAIL, SPAM_FEATURES, make_spam

    X, y = make_spam(1000, random_state=0)
    n = Neuron([0.1] * len(SPAM_EMAIL), bias=0.0)
    before = n(SPAM_EMAIL)
    p("   Learning it from data: 1,000 generated emails with the features")
    p("   " + ", ".join(SPAM_FEATURES) + ";")
    p(f"   the email x = {list(SPAM_EMAIL)}, the neuron starting at w = 0.1 each, b = 0:")
    p(f"   before learning  y = {before:.4f} -> {spam_verdict(before)}")
    n.fit(X, y, random_state=0)
    after = n(SPAM_EMAIL)
    w = ", ".join(f"{v:+.2f}" for v in n.weights)
    p(f"   after learning   y = {after:.4f} -> {spam_verdict(after)}")
    p(f"   ({n.history.n_iter} epochs of SGD on the log loss;")
    p(f"   learned w = [{w}], b = {n.bias:+.2f})")
    p("")


def _best_time(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _speed(p: Callable[..., None], n_samples: int) -> None:
    rng = np.random.default_rng(0)
    X = rng.random((n_samples, 3))
    w = np.array(LOAN_W)
    b = LOAN_B
    n = Neuron(w, bias=b)
    rows = X.tolist()
    wl = w.tolist()
    t_ref = _best_time(lambda: reference.forward_batch(rows, wl, b), 1)
    t_np = _best_time(lambda: 1.0 / (1.0 + np.exp(-(X @ w + b))), 5)
    t_cn = _best_time(lambda: n.forward(X), 5)
    p(f"3. Speed: the loan neuron over a batch of {n_samples:,} samples (float64)")
    p(f"   {'contender':<34}{'time':>12}{'speed-up':>12}")
    for name, t in (
        ("pure-Python reference", t_ref),
        ("numpy 1/(1+exp(-(X@w+b)))", t_np),
        ("cneuron Neuron.forward", t_cn),
    ):
        p(f"   {name:<34}{t * 1e3:>9.2f} ms{t_ref / t:>11.1f}x")
    p(f"   cneuron vs numpy: {t_np / t_cn:.1f}x (best of 5 runs; the reference ran once)")


def run(n_samples: int = 1_000_000, file: TextIO | None = None) -> None:
    """Print the demo; ``n_samples`` sets the size of the timed batch."""

    def p(line: str) -> None:
        print(line, file=file)

    p("cneuron demo: the artificial neuron, y = sigmoid(x.w + b)")
    p("")
    _loan(p)
    _spam(p)
    if n_samples > 0:
        _speed(p, n_samples)
