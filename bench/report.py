"""Turn a pytest-benchmark JSON file into the ratios the targets are stated in.

    pytest bench --benchmark-json=bench.json
    python bench/report.py bench.json

Every ratio compares medians taken in the same run. "read" is ``X.sum()``,
one pass over the input: the floor a memory-bound kernel approaches.
"""

from __future__ import annotations

import json
import sys

# Each target: one or more (case, contender A, contender B, ratio) checks,
# met when any of them holds: A at least `ratio` times as fast as B, i.e.
# median(B) / median(A) >= ratio. Alternatives express "or" in the targets
# ("... or >= 0.8x the speed of one read of X where memory is the limit").
TARGETS = [
    [("forward 2000000x4 float64", "cneuron", "numpy", 2.0)],
    [("forward 200000x64 float64", "cneuron", "numpy", 2.0)],
    [("forward 200000x64 float64", "cneuron", "read", 0.8)],
    [("forward 20000x1024 float64", "cneuron", "numpy", 1.1)],
    [("forward 20000x1024 float64", "cneuron", "read", 0.8)],
    [("forward 4000000x4 float32", "cneuron", "numpy", 2.0)],
    [("forward 400000x64 float32", "cneuron", "numpy", 2.0)],
    [("sigmoid 1e7 float64", "cneuron", "scipy", 3.0)],
    [("sigmoid 1e7 float64", "cneuron", "torch", 1.5)],
    [
        ("threads 2000000x4", "cneuron 2t", "cneuron 1t", 1.6),
        ("threads 2000000x4", "cneuron 2t", "read", 0.8),
    ],
    [
        ("two calls 2000000x4", "two python threads", "sequence", 1.6),
        ("two calls 2000000x4", "two python threads", "read", 0.8),
    ],
    [("one sample 3 features", "cneuron", "numpy", 2.0)],
    [("one sample 3 features", "cneuron", "reference", 1 / 1.5)],
    [("batch 20000x16 float64", "cneuron", "reference", 200.0)],
] + [
    [(f"activation {name} {size} {dtype}", "cneuron", "numpy", 1.5)]
    for name in (
        "sigmoid",
        "tanh",
        "elu",
        "selu",
        "softplus",
        "silu",
        "gelu",
        "log_sigmoid",
        "softmax",
    )
    for size in ("1e+06", "1e+07")
    for dtype in ("float64", "float32")
]
# Dense layers (relu, one thread): >= 1.5x numpy up to 64 outputs, >= 0.9x
# numpy where the GEMM dominates (1024->1024, whose largest batch is 10,000
# rows, not 100,000); the 2-layer network faster than numpy and torch.
TARGETS += [
    [(f"layer {batch}x{k}->{n} relu float64 1t", "cneuron", "numpy", 1.5)]
    for k, n in ((4, 1), (64, 16))
    for batch in (1, 64, 100000)
]
TARGETS += [
    [(f"layer {batch}x1024->1024 relu float64 1t", "cneuron", "numpy", 0.9)]
    for batch in (1, 64, 10000)
]
TARGETS += [
    [("network 100000x64->256->16 float64 1t", "cneuron", "numpy", 1.0)],
    [("network 100000x64->256->16 float64 1t", "cneuron", "torch", 1.0)],
]

# Training (issue: >= 1x scikit-learn's SGDClassifier per epoch, one thread).
TARGETS += [
    [(f"train {n}x{d} log float64 1t", "cneuron", "sklearn SGDClassifier", 1.0)]
    for n, d in ((100000, 32), (1000000, 8))
]

# Dask's threaded scheduler: 2 threads faster than 1 (the kernels release the GIL).
TARGETS += [[("dask threads 200000x256->256 tanh", "2 threads", "1 thread", 1.0)]]

# Ratios reported without a target: (case, contender A, contender B), printed
# as median(B) / median(A) when the case was run.
_LAYERS = [(4, 1, 100000), (64, 16, 100000), (256, 256, 100000), (1024, 1024, 10000)]
INFORMATIONAL = (
    [(f"layer {batch}x256->256 relu float64 1t", "cneuron", "numpy") for batch in (1, 64, 100000)]
    + [(f"layer {big}x{k}->{n} relu float64 2t", "cneuron", "numpy") for k, n, big in _LAYERS]
    + [
        (f"layer {batch}x{k}->{n} relu float64 {t}t", "cneuron", "torch")
        for k, n, big in _LAYERS
        for batch, t in ((1, 1), (64, 1), (big, 1), (big, 2))
    ]
    + [
        (f"train {n}x{d} log float64 1t", a, b)
        for n, d in ((100000, 32), (1000000, 8))
        for a, b in (
            ("cneuron", "sklearn LogisticRegression"),
            ("cneuron NeuronClassifier", "sklearn SGDClassifier"),
            ("cneuron gd", "sklearn LogisticRegression"),
        )
    ]
)


def medians(path: str) -> dict[str, dict[str, float]]:
    with open(path) as f:
        data = json.load(f)
    out: dict[str, dict[str, float]] = {}
    for b in data["benchmarks"]:
        who = b.get("extra_info", {}).get("contender", b["name"])
        out.setdefault(b["group"], {})[who] = b["stats"]["median"]
    return out


def main(path: str) -> int:
    groups = medians(path)
    print(f"{'case':<40}{'contender':<26}{'vs':<28}{'ratio':>9}{'target':>9}  met")
    for alternatives in TARGETS:
        met = False
        lines = []
        for case, a, b, target in alternatives:
            g = groups.get(case, {})
            if a not in g or b not in g:
                lines.append(f"{case:<40}{a:<26}{b:<28}{'not run':>9}{target:>8.2f}x")
                continue
            ratio = g[b] / g[a]  # how many times faster a is than b
            met = met or ratio >= target
            lines.append(f"{case:<40}{a:<26}{b:<28}{ratio:>8.2f}x{target:>8.2f}x")
        for i, line in enumerate(lines):
            tag = ("yes" if met else "NO") if i == 0 else "(or)"
            print(f"{line}  {tag}")
    info = [(case, a, b) for case, a, b in INFORMATIONAL if case in groups]
    if info:
        print()
        print(f"{'informational (no target)':<40}{'contender':<26}{'vs':<28}{'ratio':>9}")
        for case, a, b in info:
            g = groups[case]
            ratio = f"{g[b] / g[a]:>8.2f}x" if a in g and b in g else f"{'not run':>9}"
            print(f"{case:<40}{a:<26}{b:<28}{ratio}")
    print()
    for case, g in sorted(groups.items()):
        ranked = sorted(g.items(), key=lambda kv: kv[1])
        print(f"{case}: " + ", ".join(f"{k} {v * 1e3:.3f} ms" for k, v in ranked))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "bench.json"))
