"""Draw docs/activations.png: every activation of cneuron and its derivative.

    pip install matplotlib
    python docs/plot_activations.py [OUTPUT.png]

The curves are computed by cneuron's own kernels (cneuron.activations).
"""

from __future__ import annotations

import sys

import numpy as np

import cneuron as cn


def main(path: str = "docs/activations.png") -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("this script needs matplotlib: pip install matplotlib") from None
    A = cn.activations
    z = np.linspace(-5, 5, 1001)
    elementwise = [n for n in A.names() if A.get(n).elementwise]
    rows = (len(elementwise) + 1 + 3) // 4
    fig, axes = plt.subplots(rows, 4, figsize=(14, 3 * rows), squeeze=False)
    panels = [*elementwise, "softmax"]
    for ax, name in zip(axes.ravel(), panels):
        if name == "softmax":
            # softmax of the vector (z, 0, -1): the first component, and its
            # partial derivative d s_0 / d z = s_0 (1 - s_0)
            zz = np.stack([z, np.zeros_like(z), -np.ones_like(z)], axis=1)
            s0 = A.softmax(zz)[:, 0]
            ax.plot(z, s0, label="softmax(z, 0, -1)[0]")
            ax.plot(z, s0 * (1 - s0), "--", label="d/dz")
        else:
            act = A.get(name)
            ax.plot(z, act(z), label=name)
            ax.plot(z, act.derivative(z), "--", label="derivative")
        ax.axhline(0, color="grey", lw=0.5)
        ax.axvline(0, color="grey", lw=0.5)
        ax.set_title(name)
        ax.set_ylim(-2.2, 3.2)
        ax.legend(fontsize=7, loc="upper left")
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(panels) :]:
        ax.axis("off")
    fig.suptitle("cneuron activations (solid) and their derivatives (dashed)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    print(f"saved {path}")


if __name__ == "__main__":
    main(*sys.argv[1:])
