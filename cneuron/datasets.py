"""Small data sets generated with a seed, for the examples and the demo.

Nothing is downloaded: every set is drawn from a ``numpy`` generator, so the
same seed gives the same data on every machine.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["SPAM_EMAIL", "SPAM_FEATURES", "make_spam"]

#: the columns of ``make_spam``'s X
SPAM_FEATURES = ("exclamation marks", 'has "FREE" or "URGENT"', "length", "sender reputation")
#: the article's email: 5 exclamation marks, says "FREE", short (0.2, in
#: thousands of characters), from an unknown sender (reputation 0.1)
SPAM_EMAIL = (5.0, 1.0, 0.2, 0.1)


def make_spam(
    n_samples: int = 1000, *, spam_fraction: float = 0.4, random_state: Any = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A synthetic spam data set with the article's features.

    Spam shouts (many exclamation marks), says "FREE" or "URGENT", is short
    and comes from senders of poor reputation; ham is the other way round, but
    the two overlap, as real mail does.

    Parameters
    ----------
    n_samples : int, default 1000
        Number of emails.
    spam_fraction : float, default 0.4
        Share of spam (each email is spam with this probability).
    random_state : None, int or numpy Generator, default 0
        Seed of the draw.

    Returns
    -------
    X : ndarray, shape (n_samples, 4), float64
        Columns ``SPAM_FEATURES``: exclamation marks (a count), has "FREE" or
        "URGENT" (0 or 1), length (thousands of characters), sender
        reputation (0 = unknown or bad, 1 = trusted).
    y : ndarray, shape (n_samples,), float64
        1 for spam, 0 for ham.

    Examples
    --------
    >>> from cneuron.datasets import make_spam
    >>> X, y = make_spam(500, random_state=1)
    >>> X.shape, sorted(set(y.tolist()))
    ((500, 4), [0.0, 1.0])
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise TypeError(f"n_samples must be an int, got {type(n_samples).__name__}")
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    if not 0.0 < float(spam_fraction) < 1.0:
        raise ValueError(f"spam_fraction must be in (0, 1), got {spam_fraction}")
    rng = (
        random_state
        if isinstance(random_state, np.random.Generator)
        else np.random.default_rng(random_state)
    )
    y = (rng.random(n_samples) < spam_fraction).astype(np.float64)
    spam = y == 1
    X = np.empty((n_samples, 4))
    X[:, 0] = np.where(spam, rng.poisson(2.5, n_samples), rng.poisson(0.8, n_samples))
    X[:, 1] = np.where(spam, rng.random(n_samples) < 0.5, rng.random(n_samples) < 0.1)
    X[:, 2] = np.where(spam, rng.gamma(2.0, 0.2, n_samples), rng.gamma(2.0, 0.4, n_samples))
    X[:, 3] = np.where(spam, rng.beta(2.0, 3.0, n_samples), rng.beta(3.0, 2.0, n_samples))
    return X, y
