"""Simple regression: a neuron with the identity activation fits a line.

Forty noisy points around y = 2.5 x + 1 are generated with a seed; a neuron
y = w x + b with no activation (identity) learns w and b by gradient descent
on the squared error, and the learned line is drawn against the data (as
text here; with --plot FILE also as a figure, which needs matplotlib).

Run: python examples/regression.py [--plot regression.png]
"""

import argparse

import numpy as np

import cneuron as cn

TRUE_W, TRUE_B = 2.5, 1.0


def make_data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, n)
    y = TRUE_W * x + TRUE_B + rng.normal(0.0, 0.5, n)
    return x.reshape(-1, 1), y


def text_plot(x, y, neuron, width=60, height=18):
    """The data (o) and the learned line (-) on a grid of characters."""
    xs = np.linspace(x.min(), x.max(), width)
    line = neuron(xs.reshape(-1, 1))
    lo, hi = min(y.min(), line.min()), max(y.max(), line.max())
    grid = [[" "] * width for _ in range(height)]

    def row(v):
        return round((hi - v) / (hi - lo) * (height - 1))

    for c, v in enumerate(line):
        grid[row(v)][c] = "-"
    for xi, yi in zip(x[:, 0], y):
        c = round((xi - x.min()) / (x.max() - x.min()) * (width - 1))
        grid[row(yi)][c] = "o"
    return "\n".join("  |" + "".join(r) for r in grid) + "\n  +" + "-" * width


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plot", metavar="FILE", help="also save a figure (needs matplotlib)")
    args = parser.parse_args(argv)

    X, y = make_data()
    neuron = cn.Neuron([0.0], bias=0.0, activation="identity")
    # full-batch gradient descent, a constant step, 500 epochs
    neuron.fit(
        X, y, solver="gd", learning_rate="constant", eta0=0.3, penalty=None, tol=None, max_iter=500
    )
    w, b = float(neuron.weights[0]), neuron.bias
    # the least-squares line, for comparison
    ls_w, ls_b = np.polyfit(X[:, 0], y, 1)
    print(f"data: {len(y)} points around y = {TRUE_W} x + {TRUE_B} (noise sd 0.5)")
    print(f"learned:       y = {w:.4f} x + {b:.4f}   ({neuron.history.n_iter} epochs)")
    print(f"least squares: y = {ls_w:.4f} x + {ls_b:.4f}")
    print(text_plot(X, y, neuron))
    if args.plot:
        try:
            import matplotlib

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
        except ImportError:
            raise SystemExit("--plot needs matplotlib: pip install 'cneuron[plot]'") from None
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.scatter(X[:, 0], y, s=14, label="data")
        xs = np.linspace(X.min(), X.max(), 100)
        ax.plot(xs, neuron(xs.reshape(-1, 1)), color="C1", label=f"neuron: {w:.2f}x + {b:.2f}")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=100)
        print(f"figure saved to {args.plot}")
    return w, b, ls_w, ls_b


if __name__ == "__main__":
    main()
