"""Question: what does one pruner call cost as a study grows, next to Optuna's?

Each trial reports 20 steps of a fixed loss curve (drawn from the trial number)
and asks ``should_prune`` after each report; RandomSampler, in-memory storage,
no parameters. The pruner's ``prune`` is timed directly (a wrapper around
it), the same way for both libraries, with the same constructor arguments, in
CPU time of the calling thread (``time.thread_time``), so that other load on
the machine does not inflate it. We report the mean cost
of a call over the last 100 trials of a study of N trials, for two N: a cost
that grows with N means a pruner that is quadratic over the study.

Run: ``python benchmarks/bench_pruner_overhead.py`` (``--quick`` for a smoke
run). Bar (pruners brief): the late per-call cost must not grow with the study
(ratio N=1000 / N=250 close to 1) and must not exceed Optuna's.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from typing import Any

import numpy as np

N_STEPS = 20
LATE = 100


def curve(number: int, seed: int) -> list[float]:
    rng = np.random.default_rng([seed, number])
    level = rng.uniform(0.0, 1.0)
    decay = rng.uniform(0.5, 2.0)
    noise = rng.normal(0.0, 0.02, N_STEPS)
    return list(level + np.exp(-decay * np.arange(N_STEPS) / 5) + noise)


PRUNERS: dict[str, tuple[str, dict[str, Any]]] = {
    "Median": ("MedianPruner", {}),
    "Percentile(25)": ("PercentilePruner", {"percentile": 25.0}),
    "SuccessiveHalving": (
        "SuccessiveHalvingPruner",
        {"min_resource": 1, "reduction_factor": 3},
    ),
    "Hyperband": (
        "HyperbandPruner",
        {"min_resource": 1, "max_resource": N_STEPS, "reduction_factor": 3},
    ),
    "Threshold": ("ThresholdPruner", {"upper": 1.8}),
    "Patient(Median)": ("PatientPruner", {"patience": 3}),
}


def make_pruner(lib: Any, name: str) -> Any:
    cls_name, kwargs = PRUNERS[name]
    cls = getattr(lib.pruners, cls_name)
    if cls_name == "PatientPruner":
        return cls(lib.pruners.MedianPruner(), **kwargs)
    return cls(**kwargs)


def run(lib_name: str, pruner_name: str, n_trials: int, seed: int) -> float:
    """Mean CPU seconds per prune() call over the last LATE trials."""
    if lib_name == "optuna":
        import optuna as lib

        lib.logging.set_verbosity(lib.logging.WARNING)
    else:
        import sktune as lib
    inner = make_pruner(lib, pruner_name)
    late: list[float] = []

    class Timed(lib.pruners.BasePruner):  # type: ignore[name-defined,misc]
        def prune(self, study: Any, trial: Any) -> bool:
            start = time.thread_time()
            out = inner.prune(study, trial)
            if trial.number >= n_trials - LATE:
                late.append(time.thread_time() - start)
            return out

    def objective(trial: Any) -> float:
        values = curve(trial.number, seed)
        for step, value in enumerate(values):
            trial.report(value, step)
            if trial.should_prune():
                raise lib.TrialPruned()
        return values[-1]

    study = lib.create_study(
        sampler=lib.samplers.RandomSampler(seed=seed), pruner=Timed()
    )
    study.optimize(objective, n_trials=n_trials)
    return statistics.fmean(late)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = (150, 300) if args.quick else (250, 1000)
    seeds = range(1 if args.quick else args.seeds)
    pruners = ["Median", "Hyperband"] if args.quick else list(PRUNERS)
    libs = ("sktune", "optuna")
    warnings.filterwarnings("ignore", message=".*experimental")
    for lib in libs:  # warm-up: imports
        run(lib, "Median", LATE + 10, 0)
    # us per call: (pruner, lib, n) -> per-seed values
    cost: dict[tuple[str, str, int], list[float]] = {}
    for pruner in pruners:
        for n in sizes:
            for seed in seeds:
                for lib in libs:  # interleaved, same work
                    cost.setdefault((pruner, lib, n), []).append(
                        run(lib, pruner, n, seed) * 1e6
                    )
    med = {key: statistics.median(v) for key, v in cost.items()}
    import optuna

    import sktune

    small, large = sizes
    print(
        f"CPU us per prune() call over the last {LATE} trials of a study of N trials, "
        f"{N_STEPS} steps each; median over {len(seeds)} seeds; "
        f"sktune {sktune.__version__}, optuna {optuna.__version__}"
    )
    print()
    print(
        f"| pruner | sktune N={small} | sktune N={large} | growth | "
        f"optuna N={small} | optuna N={large} | growth | sktune / optuna "
        f"(N={large}) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for pruner in pruners:
        s0, s1 = med[(pruner, "sktune", small)], med[(pruner, "sktune", large)]
        o0, o1 = med[(pruner, "optuna", small)], med[(pruner, "optuna", large)]
        print(
            f"| {pruner} | {s0:.1f} | {s1:.1f} | {s1 / s0:.2f}x | {o0:.1f} | "
            f"{o1:.1f} | {o1 / o0:.2f}x | {s1 / o1:.2f} |"
        )


if __name__ == "__main__":
    main()
