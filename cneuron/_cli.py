"""The command line: ``cneuron`` and ``python -m cneuron``.

Subcommands: ``demo`` (the article's neurons and a speed table), ``bench``
(cneuron against the pure-Python reference, numpy, scipy and torch by batch
size) and ``info`` (version, OpenMP, SIMD path, threads).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _positive_int(text: str) -> int:
    try:
        value = int(text.replace("_", "").replace(",", ""))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number >= 0, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``cneuron`` command."""
    parser = argparse.ArgumentParser(
        prog="cneuron",
        description="cneuron: the artificial neuron as compiled kernels.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    demo = sub.add_parser("demo", help="walk through the article's neurons and time a large batch")
    demo.add_argument(
        "--samples",
        type=_positive_int,
        default=1_000_000,
        help="batch size of the speed table (default 1,000,000; 0 skips it)",
    )
    bench = sub.add_parser(
        "bench", help="compare cneuron with the reference, numpy, scipy and torch"
    )
    bench.add_argument(
        "--batches",
        type=lambda t: tuple(_positive_int(v) for v in t.split(":")),
        default=None,
        help="batch sizes separated by ':' (default 1:10:...:10_000_000)",
    )
    bench.add_argument("--features", type=_positive_int, default=4, help="features (default 4)")
    bench.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    bench.add_argument("--plot", metavar="FILE", help="save a log-log throughput plot (PNG)")
    bench.add_argument(
        "--min-time",
        type=float,
        default=0.05,
        help="seconds each timing run lasts at least (default 0.05)",
    )
    sub.add_parser("info", help="print version, build (OpenMP, SIMD paths) and threads")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from ._demo import run

        run(args.samples)
    elif args.command == "bench":
        from ._bench import DEFAULT_BATCHES
        from ._bench import main as bench_main

        if args.features < 1:
            build_parser().error("--features must be at least 1")
        bench_main(
            batches=args.batches or DEFAULT_BATCHES,
            n_features=args.features,
            dtype=args.dtype,
            plot_path=args.plot,
            min_time=args.min_time,
        )
    elif args.command == "info":
        from ._config import show_config

        show_config()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
