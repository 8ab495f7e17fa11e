"""The command line: ``cneuron`` and ``python -m cneuron``.

Subcommands: ``demo`` (the article's neurons and a speed table), ``bench``
(cneuron against the pure-Python reference, numpy, scipy and torch by batch
size), ``predict`` (a saved model over a ``.npy`` or ``.csv`` file, streamed;
see ``cneuron._predict`` for its exit codes) and ``info`` (version, OpenMP,
SIMD path, threads).
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
    pred = sub.add_parser(
        "predict",
        help="run a saved model over a .npy or .csv file into a .npy or .csv file",
        description=(
            "Run a model written by cneuron.save over the rows of INPUT and write one "
            "prediction per row to OUTPUT (a Neuron: one value per row, 1-D; a layer or "
            "network: one row of outputs per row, 2-D). The input is streamed in chunks, "
            "so memory stays bounded; the output appears only when complete. Exit codes: "
            "2 usage, 3 input missing or unreadable, 4 bad model file, 5 wrong feature "
            "count, 6 a CSV cell that is not a number, 7 output not writable, "
            "130 interrupted."
        ),
    )
    pred.add_argument("--model", required=True, metavar="MODEL", help="a .json or .npz model")
    pred.add_argument("--input", required=True, metavar="X", help="samples: .npy or .csv")
    pred.add_argument("--output", required=True, metavar="Y", help="predictions: .npy or .csv")
    pred.add_argument(
        "--batch-size",
        type=_positive_int,
        default=65_536,
        help="rows per chunk (default 65,536)",
    )
    pred.add_argument(
        "--threads", type=_positive_int, default=None, help="threads (default: all available)"
    )
    pred.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a progress bar (needs tqdm; default: on a terminal)",
    )
    sub.add_parser("info", help="print version, build (OpenMP, SIMD paths) and threads")
    return parser


def _predict(args: argparse.Namespace) -> int:
    from ._predict import EXIT_INTERRUPTED, PredictError, predict_file

    try:
        predict_file(
            args.model,
            args.input,
            args.output,
            batch_size=args.batch_size,
            num_threads=args.threads or None,
            progress=args.progress,
        )
    except PredictError as exc:
        print(f"cneuron predict: error: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("cneuron predict: interrupted; no output written", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


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
    elif args.command == "predict":
        return _predict(args)
    elif args.command == "info":
        from ._config import show_config

        show_config()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
