"""Feature detection: a neuron that fires on vertical edges.

The neuron looks at a 3x3 patch of a grey image (9 inputs). It learns from
generated patches: vertical dark-to-bright edges (fire) against horizontal
edges, flat patches, diagonals and noise (stay quiet). Then it scans a small
generated image -- every 3x3 patch at once, one batch forward -- and the map
shows where it fires: along the left sides of the bright shapes.

Run: python examples/edge_detector.py
"""

import numpy as np

import cneuron as cn


def vertical_edge(rng, col):
    """A dark-to-bright vertical edge between column col-1 and col (1 or 2)."""
    lo, hi = rng.uniform(0.0, 0.3), rng.uniform(0.7, 1.0)
    p = np.full((3, 3), lo)
    p[:, col:] = hi
    return p


def make_patches(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    X, y = [], []
    for _ in range(n):
        kind = rng.integers(6)
        if kind < 2:  # vertical dark-to-bright edges (positives)
            p, label = vertical_edge(rng, 1 + kind), 1
        elif kind == 2:  # horizontal edge, either way round
            p = vertical_edge(rng, 1 + rng.integers(2)).T
            p, label = (p if rng.random() < 0.5 else p[::-1]), 0
        elif kind == 3:  # bright-to-dark vertical edge
            p, label = vertical_edge(rng, 1 + rng.integers(2))[:, ::-1], 0
        elif kind == 4:  # flat
            p, label = np.full((3, 3), rng.uniform(0.0, 1.0)), 0
        else:  # diagonal step
            lo, hi = rng.uniform(0.0, 0.3), rng.uniform(0.7, 1.0)
            p, label = np.where(np.add.outer(np.arange(3), np.arange(3)) >= 2, hi, lo), 0
        X.append(p.ravel() + rng.normal(0.0, 0.05, 9))
        y.append(label)
    return np.array(X), np.array(y, dtype=float)


def make_image():
    """A 12 x 24 dark image with two bright shapes."""
    img = np.full((12, 24), 0.1)
    img[2:10, 4:10] = 0.9  # a square
    img[4:8, 15:21] = 0.8  # a bar
    return img


def scan(neuron, img):
    """The neuron's output at every 3x3 patch (one batch forward)."""
    patches = np.lib.stride_tricks.sliding_window_view(img, (3, 3))
    h, w = patches.shape[:2]
    return neuron(patches.reshape(h * w, 9)).reshape(h, w)


def main():
    X, y = make_patches()
    neuron = cn.Neuron(np.zeros(9), activation="sigmoid")
    neuron.fit(X, y, random_state=0)
    acc = ((neuron(X) >= 0.5) == (y == 1)).mean()
    print(
        f"learned from {len(y)} patches ({neuron.history.n_iter} epochs): "
        f"training accuracy {acc:.1%}"
    )
    print("weights as a 3x3 filter (a learned edge detector):")
    for r in neuron.weights.reshape(3, 3):
        print("   " + " ".join(f"{v:+6.2f}" for v in r))
    img = make_image()
    fires = scan(neuron, img) >= 0.5
    print("image (#: bright) and where the neuron fires (|), patch centres:")
    h, w = fires.shape
    for r in range(img.shape[0]):
        left = "".join("#" if v > 0.5 else "." for v in img[r])
        right = "".join(
            "|" if 1 <= r <= h and 1 <= c <= w and fires[r - 1, c - 1] else "."
            for c in range(img.shape[1])
        )
        print(f"   {left}   {right}")
    return img, fires


if __name__ == "__main__":
    main()
