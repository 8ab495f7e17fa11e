"""The command line: ``cneuron`` and ``python -m cneuron``.

Subcommands: ``demo`` (the article's neurons and a speed table) and ``info``
(version, OpenMP, threads).
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
    sub.add_parser("info", help="print version, OpenMP support and threads")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        from ._demo import run

        run(args.samples)
    elif args.command == "info":
        from ._config import show_config

        show_config()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
