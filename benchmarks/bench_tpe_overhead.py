"""How much time does sktune's TPESampler add per trial, next to Optuna's?

A 5-parameter mixed space (a float, a log float, an int, a 4-way categorical,
a stepped float), a trivial objective, 1000 trials, in-memory storage. The cost
per trial is the wall time of one ask-suggest-tell cycle, timed over the last
100 trials; sktune and Optuna alternate seed by seed in this one run so that
both see the same machine load. Median over trials, then over seeds.

    python benchmarks/bench_tpe_overhead.py            # full run
    python benchmarks/bench_tpe_overhead.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def objective(trial: Any) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    k = trial.suggest_int("k", 1, 100)
    c = trial.suggest_categorical("c", ["a", "b", "c", "d"])
    s = trial.suggest_float("s", 0.0, 1.0, step=0.05)
    return (
        (x - 1) ** 2 + (math.log10(lr) + 2) ** 2 + (k - 30) ** 2 / 100 + s + (c != "b")
    )


def _study(lib: str, sampler: str, seed: int) -> Any:
    if lib == "sktune":
        import sktune

        s = (
            sktune.samplers.TPESampler(seed=seed)
            if sampler == "tpe"
            else sktune.samplers.RandomSampler(seed=seed)
        )
        return sktune.create_study(sampler=s)
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    s = (
        optuna.samplers.TPESampler(seed=seed)
        if sampler == "tpe"
        else optuna.samplers.RandomSampler(seed=seed)
    )
    return optuna.create_study(sampler=s)


def run(lib: str, sampler: str, seed: int, n_trials: int, last: int) -> float:
    """Median seconds per trial over the last ``last`` of ``n_trials``."""
    study = _study(lib, sampler, seed)
    study.optimize(objective, n_trials=n_trials - last)
    times = np.empty(last)
    for i in range(last):
        t0 = time.perf_counter()
        trial = study.ask()
        value = objective(trial)
        study.tell(trial, value)
        times[i] = time.perf_counter() - t0
    return float(np.median(times))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-trials", type=int, default=1000)
    args = parser.parse_args(argv)
    n, last, seeds = args.n_trials, 100, args.seeds
    if args.quick:
        n, last, seeds = 150, 50, 1

    cells = [
        ("sktune", "tpe"),
        ("optuna", "tpe"),
        ("sktune", "random"),
        ("optuna", "random"),
    ]
    res: dict[tuple[str, str], list[float]] = {c: [] for c in cells}
    for seed in range(seeds):
        for lib, sampler in cells:
            res[(lib, sampler)].append(run(lib, sampler, seed, n, last))
    med = {c: float(np.median(v)) * 1e3 for c, v in res.items()}

    print(
        f"\n### Per-trial cost, trials {n - last + 1}-{n}, median over {seeds} seeds\n"
    )
    print("| sampler | sktune (ms) | Optuna (ms) | sktune / Optuna |")
    print("|---|---|---|---|")
    for sampler in ("tpe", "random"):
        a, b = med[("sktune", sampler)], med[("optuna", sampler)]
        print(f"| {sampler} | {a:.2f} | {b:.2f} | {a / b:.2f} |")
    # The sampler's own share: TPE minus random of the same library.
    sk = med[("sktune", "tpe")] - med[("sktune", "random")]
    op = med[("optuna", "tpe")] - med[("optuna", "random")]
    print(f"| TPE minus random | {sk:.2f} | {op:.2f} | {sk / op:.2f} |")
    ratio = med[("sktune", "tpe")] / med[("optuna", "tpe")]
    print(f"\nBar: sktune TPE at most 1/4 of Optuna's per trial: ratio {ratio:.3f} ->")
    print("met" if ratio <= 0.25 else "NOT met")
    return {"ms": {f"{a}-{b}": v for (a, b), v in med.items()}, "ratio": ratio}


if __name__ == "__main__":
    main()
