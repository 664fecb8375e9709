"""The ``sktune`` command line: the demo and study management."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _demo(args: argparse.Namespace) -> int:
    from sktune import _demo

    return _demo.main(args)


def _add_demo_arguments(parser: argparse.ArgumentParser) -> None:
    from sktune._demo import add_arguments

    add_arguments(parser)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``sktune`` command."""
    parser = argparse.ArgumentParser(prog="sktune", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser(
        "demo",
        help="run a real tuning run on bundled data",
        description="Tune two scikit-learn models on the bundled digits data set "
        "with TPESearchCV, next to RandomizedSearchCV with the same budget.",
    )
    _add_demo_arguments(demo)
    demo.set_defaults(func=_demo)
    from sktune._cli_studies import add_study_commands

    add_study_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sktune`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
