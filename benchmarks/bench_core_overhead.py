"""Question: what does the define-by-run core cost per trial, next to Optuna's?

``create_study`` + ``optimize`` with a trivial objective on a 5-parameter mixed
space (two floats, one of them log; an int; a 4-way categorical; a stepped
float), 1000 trials, RandomSampler, in-memory storage. sktune and Optuna run in
the same process on the same work, interleaved, medians over seeds.

Run: ``python benchmarks/bench_core_overhead.py`` (``--quick`` for a smoke run).
Bar (issue 2): sktune's per-trial cost at most 1/3 of Optuna's.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any


def objective(trial: Any) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    n = trial.suggest_int("n", 1, 100)
    c = trial.suggest_categorical("c", ["a", "b", "c", "d"])
    q = trial.suggest_float("q", 0.0, 1.0, step=0.1)
    return x * x + lr + n + q + (c == "a")


def run_sktune(n_trials: int, seed: int) -> float:
    import sktune

    start = time.perf_counter()
    study = sktune.create_study(sampler=sktune.samplers.RandomSampler(seed=seed))
    study.optimize(objective, n_trials=n_trials)
    return time.perf_counter() - start


def run_optuna(n_trials: int, seed: int) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    start = time.perf_counter()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    study.optimize(objective, n_trials=n_trials)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--n-trials", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args(argv)
    n_trials = 100 if args.quick else args.n_trials
    seeds = range(1 if args.quick else args.seeds)
    runners: dict[str, Callable[[int, int], float]] = {
        "sktune": run_sktune,
        "optuna": run_optuna,
    }
    for run in runners.values():  # warm-up: imports, caches
        run(20, 0)
    times: dict[str, list[float]] = {name: [] for name in runners}
    for seed in seeds:
        for name, run in runners.items():
            times[name].append(run(n_trials, seed) / n_trials * 1e3)
    med = {name: statistics.median(t) for name, t in times.items()}
    import optuna

    import sktune

    print(
        f"{n_trials} trials, RandomSampler, in-memory; median over {len(seeds)} seeds"
    )
    print()
    print("| library | version | ms per trial (median) | per seed |")
    print("|---|---|---|---|")
    versions = {"sktune": sktune.__version__, "optuna": optuna.__version__}
    for name in runners:
        per_seed = ", ".join(f"{t:.3f}" for t in times[name])
        print(f"| {name} | {versions[name]} | {med[name]:.3f} | {per_seed} |")
    ratio = med["sktune"] / med["optuna"]
    print()
    print(
        f"sktune / optuna = {ratio:.3f} (bar: <= 0.333) -> "
        f"{'met' if ratio <= 1 / 3 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
