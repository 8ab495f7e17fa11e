"""Linear classification: the article's spam neuron, learned from data.

A neuron starts knowing nothing useful (every weight 0.1, bias 0) and rates
the article's email -- 5 exclamation marks, says "FREE", short, from an
unknown sender -- a 0.65 "maybe". Trained on 1,000 generated emails, it
learns to weigh exclamation marks and "FREE" up and a trusted sender down,
and the same email scores "SPAM!".

Run: python examples/spam.py
"""

import cneuron as cn
from cneuron.datasets import SPAM_EMAIL, SPAM_FEATURES, make_spam


def verdict(p):
    """The article's reading of a spam probability."""
    return "SPAM!" if p >= 0.9 else "maybe" if p >= 0.5 else "not spam"


def main():
    X, y = make_spam(1000, random_state=0)
    neuron = cn.Neuron([0.1, 0.1, 0.1, 0.1], bias=0.0, activation="sigmoid")

    before = neuron(SPAM_EMAIL)
    print(f"Before learning: w = {neuron.weights.tolist()}, b = {neuron.bias:g}")
    print(f"  the article's email scores {before:.2f} -> {verdict(before)}")

    neuron.fit(X, y, random_state=0)
    after = neuron(SPAM_EMAIL)
    h = neuron.history
    print(
        f"Learning: {h.n_iter} epochs of SGD on {len(y)} emails, "
        f"log loss {h.loss[0]:.3f} -> {h.loss[-1]:.3f}"
    )
    print("After learning:")
    for name, w in zip(SPAM_FEATURES, neuron.weights):
        print(f"  {name:<26} w = {w:+.3f}")
    print(f"  {'bias':<26} b = {neuron.bias:+.3f}")
    accuracy = ((neuron(X) >= 0.5) == (y == 1)).mean()
    print(f"  training accuracy {accuracy:.1%}")
    print(f"  the article's email scores {after:.4f} -> {verdict(after)}")
    return before, after


if __name__ == "__main__":
    main()
