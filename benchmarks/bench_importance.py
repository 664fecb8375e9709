"""fANOVA importance: sktune vs Optuna on synthetic studies with a known ranking.

Question: on 1000 trials x 10 parameters, does sktune's fANOVA rank the three
most important parameters as the truth does, in at most half of Optuna's time?

Each problem is additive, f(x) = sum_i g_i(x_i), so the true importance of
x_i is the variance of g_i under the sampling measure (estimated here on
200,000 draws); the weights make consecutive variances differ at least
twofold for the top four. The same trials (random search) go into a sktune
study and an Optuna study; in the same process, on the same trials, we time

- sktune ``get_param_importances`` with ``FanovaImportanceEvaluator(seed)``,
- Optuna ``FanovaImportanceEvaluator(seed)`` (the fANOVA peer: same forest
  settings, 64 trees of depth 64, decomposition by a Python tree walk),
- Optuna's default ``get_param_importances`` (PED-ANOVA in Optuna 5.0,
  not a forest: a different, cheaper method, shown for reference).

Run: ``python benchmarks/bench_importance.py`` (``--quick`` for a smoke run).
"""

from __future__ import annotations

import argparse
import datetime
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import sktune
from sktune.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from sktune.importance import FanovaImportanceEvaluator, get_param_importances
from sktune.trial import FrozenTrial, TrialState


@dataclass
class Problem:
    """Ten parameters, an additive function and how to draw them."""

    name: str
    # name -> (kind, low/choices, high, log)
    space: dict[str, tuple]
    terms: dict[str, Callable[[np.ndarray], np.ndarray]]

    def draw(self, rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
        out = {}
        for name, (kind, low, high, log) in self.space.items():
            if kind == "cat":
                out[name] = rng.integers(len(low), size=n)
            elif log:
                out[name] = np.exp(rng.uniform(np.log(low), np.log(high), n))
            else:
                out[name] = rng.uniform(low, high, n)
            if kind == "int":
                out[name] = np.clip(np.round(out[name]), low, high).astype(int)
        return out

    def value(self, x: dict[str, np.ndarray]) -> np.ndarray:
        return sum(term(x[name]) for name, term in self.terms.items())

    def true_ranking(self) -> list[str]:
        x = self.draw(np.random.default_rng(12345), 200_000)
        var = {name: float(np.var(term(x[name]))) for name, term in self.terms.items()}
        for name in self.space:
            var.setdefault(name, 0.0)
        return sorted(var, key=lambda n: -var[n])


def _bowl(w: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda x: w * (2 * x - 1) ** 2


def _problems() -> list[Problem]:
    weights = [8.0, 4.0, 2.0, 1.0, 0.5, 0.25, 0.1, 0.05, 0.0, 0.0]
    order = [3, 7, 0, 9, 5, 1, 8, 2, 6, 4]  # the ranking is not the name order
    floats = {f"x{i}": ("float", 0.0, 1.0, False) for i in range(10)}
    additive = Problem(
        "additive floats",
        floats,
        {f"x{order[k]}": _bowl(w) for k, w in enumerate(weights) if w},
    )
    mixed_space = {
        "lr": ("float", 1e-4, 1.0, True),
        "depth": ("int", 1, 20, False),
        "kernel": ("cat", ["rbf", "linear", "poly", "sigmoid"], None, False),
        "alpha": ("float", 1e-6, 1e-1, True),
        "n_units": ("int", 8, 512, True),
    }
    mixed_space.update({f"z{i}": ("float", 0.0, 1.0, False) for i in range(5)})
    kernel_effect = np.array([0.0, 3.0, 1.0, 4.0])
    mixed = Problem(
        "mixed (log, int, categorical)",
        mixed_space,
        {
            "lr": lambda v: 2.0 * ((np.log10(v) + 2.0) / 2.0) ** 2 * 4,
            "kernel": lambda v: kernel_effect[v],
            "n_units": lambda v: np.abs(np.log2(v) - 6.0),
            "depth": lambda v: np.abs(v - 10) / 10.0,
            "z0": _bowl(0.1),
        },
    )
    steps = Problem(
        "step functions",
        floats,
        {
            "x5": lambda v: 6.0 * (v > 0.5),
            "x2": lambda v: 3.0 * (v > 0.3),
            "x8": lambda v: 1.2 * np.floor(4 * v),
            "x0": lambda v: 0.5 * np.sin(6 * v),
        },
    )
    return [additive, mixed, steps]


def _distributions(problem: Problem) -> dict[str, Any]:
    out = {}
    for name, (kind, low, high, log) in problem.space.items():
        if kind == "cat":
            out[name] = CategoricalDistribution(low)
        elif kind == "int":
            out[name] = IntDistribution(low, high, log=log)
        else:
            out[name] = FloatDistribution(low, high, log=log)
    return out


def _studies(problem: Problem, n_trials: int, seed: int) -> tuple[Any, Any]:
    import optuna

    rng = np.random.default_rng(seed)
    x = problem.draw(rng, n_trials)
    y = problem.value(x) + rng.normal(0, 0.05, n_trials)
    dists = _distributions(problem)
    ours = sktune.create_study()
    theirs = optuna.create_study()
    optuna_dists = {
        n: getattr(optuna.distributions, type(d).__name__)(
            **(
                {"choices": d.choices}
                if isinstance(d, CategoricalDistribution)
                else {"low": d.low, "high": d.high, "log": d.log}
            )
        )
        for n, d in dists.items()
    }
    now = datetime.datetime.now()
    ours_trials, theirs_trials = [], []
    for i in range(n_trials):
        params = {}
        for name, d in dists.items():
            v = x[name][i]
            params[name] = (
                d.choices[int(v)]
                if isinstance(d, CategoricalDistribution)
                else v.item()
            )
        ours_trials.append(
            FrozenTrial(
                i,
                TrialState.COMPLETE,
                float(y[i]),
                now,
                now,
                params,
                dict(dists),
                {},
                {},
                {},
                i,
            )
        )
        theirs_trials.append(
            optuna.trial.create_trial(
                params=params, distributions=optuna_dists, value=float(y[i])
            )
        )
    ours.add_trials(ours_trials)
    theirs.add_trials(theirs_trials)
    return ours, theirs


def _timed(fn: Callable[..., dict[str, float]], *args: Any) -> tuple[float, list[str]]:
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, list(result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--trials", type=int, default=1000)
    args = parser.parse_args()

    import optuna
    import sklearn.ensemble  # noqa: F401  (import outside the timings)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    n_trials, n_trees, seeds = args.trials, 64, args.seeds
    if args.quick:
        n_trials, n_trees, seeds = 150, 8, 1

    methods = {
        "sktune fANOVA": lambda s, o, seed: get_param_importances(
            s, evaluator=FanovaImportanceEvaluator(n_trees=n_trees, seed=seed)
        ),
        "Optuna fANOVA": lambda s, o, seed: optuna.importance.get_param_importances(
            o,
            evaluator=optuna.importance.FanovaImportanceEvaluator(
                n_trees=n_trees, seed=seed
            ),
        ),
        "Optuna default (PED-ANOVA)": lambda s, o, seed: (
            optuna.importance.get_param_importances(o)
        ),
    }
    rows = []
    for problem in _problems():
        truth = problem.true_ranking()[:3]
        times: dict[str, list[float]] = {m: [] for m in methods}
        hits: dict[str, int] = dict.fromkeys(methods, 0)
        for seed in range(seeds):
            ours, theirs = _studies(problem, n_trials, seed)
            for name, run in methods.items():
                elapsed, ranking = _timed(run, ours, theirs, seed)
                times[name].append(elapsed)
                hits[name] += ranking[:3] == truth
        base = statistics.median(times["sktune fANOVA"])
        for name in methods:
            med = statistics.median(times[name])
            rows.append((problem.name, name, med, med / base, f"{hits[name]}/{seeds}"))
        rows.append(
            (problem.name, "truth top-3: " + ", ".join(truth), math.nan, math.nan, "")
        )

    print(
        f"\n{n_trials} trials x 10 parameters, {n_trees} trees, {seeds} seed(s); "
        "time = median seconds over seeds; ratio = time / sktune's\n"
    )
    print("| problem | method | time (s) | ratio to sktune | same top-3 as truth |")
    print("|---|---|---:|---:|---:|")
    for problem, method, t, ratio, hit in rows:
        if math.isnan(t):
            print(f"| {problem} | _{method}_ | | | |")
        else:
            print(f"| {problem} | {method} | {t:.3f} | {ratio:.1f} | {hit} |")


if __name__ == "__main__":
    main()
