"""The ``sktune`` command line: the demo and study management."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _demo(args: argparse.Namespace) -> int:
    import sktune

    def objective(trial: sktune.Trial) -> float:
        x = trial.suggest_float("x", -10.0, 10.0)
        y = trial.suggest_float("y", -10.0, 10.0)
        return (x - 2.0) ** 2 + (y + 1.0) ** 2

    study = sktune.create_study(sampler=sktune.samplers.TPESampler(seed=args.seed))
    study.optimize(objective, n_trials=args.n_iter)
    print(f"Minimised (x - 2)^2 + (y + 1)^2 in {len(study.trials)} trials.")
    print(f"Best value {study.best_value:.4g} at {study.best_params}.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``sktune`` command."""
    parser = argparse.ArgumentParser(prog="sktune", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run a real tuning run on bundled data")
    demo.add_argument("--n-iter", type=int, default=40)
    demo.add_argument("--seed", type=int, default=0)
    demo.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``sktune`` command; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
