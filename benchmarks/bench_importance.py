"""Parameter importance: sktune vs Optuna on synthetic studies with a known ranking.

Question (issue 7): on 1000 trials x 10 parameters, does sktune's default
``get_param_importances`` (fANOVA) rank the three most important parameters
as the truth does, in at most half the time of Optuna's default
``get_param_importances`` on the same trials? And is the fast forest behind
it as accurate as the classic one (64 bootstrap trees, leaves of one trial)
on harder studies: pure interactions, conditional parameters, 100 trials?

Problems. "additive floats", "mixed" and "step functions" are additive,
f(x) = sum_i g_i(x_i): the true importance of x_i is the variance of g_i
under the sampling measure (estimated on 200,000 draws). "interaction" adds
12 (x0 - 1/2)(x1 - 1/2) to an additive function: x0 and x1 have no main
effect, so the true top 3 are the additive terms, which fANOVA's main
effects must find under a large interaction. "conditional" has a
categorical ``model`` opening three branches with their own parameter (a
log float, an int, a categorical), a shared float and 5 noise floats; its
truth is analytic (law of total variance). Gaussian noise (sd 0.05) on
every value. Trials are drawn at random; the same trials go into a sktune
study and an Optuna study.

Methods, in the same process, on the same trials, interleaved:

- ``sktune default``: ``get_param_importances`` with
  ``FanovaImportanceEvaluator(seed=seed)`` (the default settings, seeded);
- ``sktune 64 trees``: the same with ``n_trees=64``;
- ``sktune classic forest``: our fANOVA on the forest sktune used before
  (scikit-learn's ``RandomForestRegressor`` settings, as Optuna's fANOVA:
  64 bootstrap trees, leaves of one trial);
- ``Optuna default``: ``optuna.importance.get_param_importances(study)``,
  PED-ANOVA in Optuna 5.0 (the bar's peer);
- ``Optuna fANOVA``: Optuna's ``FanovaImportanceEvaluator(seed=seed)``,
  only on 100-trial studies unless ``--optuna-fanova`` (about 100x slower
  than sktune on 1000 trials).

Timing: the two methods of the bar run ``--repeats`` times per study,
alternating; a study's time is the median of its repeats, and the ratio is
sktune's time over Optuna's on that study. Tables give the median over
seeds of the time and of the ratio.

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
    interaction: float = 0.0  # weight of (x0 - 1/2)(x1 - 1/2)

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
        out = sum(term(x[name]) for name, term in self.terms.items())
        if self.interaction:
            out = out + self.interaction * (x["x0"] - 0.5) * (x["x1"] - 0.5)
        return out

    def true_ranking(self) -> list[str]:
        # the interaction term has no main effect: only the additive terms count
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
    # main effects of variance 1.42, 0.36, 0.09, 0.02; the interaction's is 1.0
    interaction = Problem(
        "interaction",
        floats,
        {"x4": _bowl(4.0), "x6": _bowl(2.0), "x9": _bowl(1.0), "x3": _bowl(0.5)},
        interaction=12.0,
    )
    return [additive, mixed, steps, interaction]


def _optuna_distribution(d: Any) -> Any:
    import optuna

    if isinstance(d, CategoricalDistribution):
        return optuna.distributions.CategoricalDistribution(d.choices)
    cls = getattr(optuna.distributions, type(d).__name__)
    return cls(low=d.low, high=d.high, log=d.log)


def _pair(
    rows: list[tuple[dict[str, Any], dict[str, Any], float]],
) -> tuple[Any, Any]:
    """A sktune study and an Optuna study holding the same complete trials."""
    import optuna

    now = datetime.datetime.now()
    ours = sktune.create_study()
    theirs = optuna.create_study()
    ours.add_trials(
        [
            FrozenTrial(i, TrialState.COMPLETE, v, now, now, p, dict(d), {}, {}, {}, i)
            for i, (p, d, v) in enumerate(rows)
        ]
    )
    theirs.add_trials(
        [
            optuna.trial.create_trial(
                params=p,
                distributions={k: _optuna_distribution(x) for k, x in d.items()},
                value=v,
            )
            for p, d, v in rows
        ]
    )
    return ours, theirs


def _studies(problem: Problem, n_trials: int, seed: int) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    x = problem.draw(rng, n_trials)
    y = problem.value(x) + rng.normal(0, 0.05, n_trials)
    dists: dict[str, Any] = {}
    for name, (kind, low, high, log) in problem.space.items():
        if kind == "cat":
            dists[name] = CategoricalDistribution(low)
        elif kind == "int":
            dists[name] = IntDistribution(low, high, log=log)
        else:
            dists[name] = FloatDistribution(low, high, log=log)
    rows = []
    for i in range(n_trials):
        params = {
            name: (
                d.choices[int(x[name][i])]
                if isinstance(d, CategoricalDistribution)
                else x[name][i].item()
            )
            for name, d in dists.items()
        }
        rows.append((params, dists, float(y[i])))
    return _pair(rows)


# conditional problem: branch offsets, and each branch's own parameter
_OFFSET = {"a": 0.0, "b": 1.5, "c": -1.0}
_COND = {
    "model": CategoricalDistribution(["a", "b", "c"]),
    "z": FloatDistribution(0.0, 1.0),
    "xa": FloatDistribution(1e-3, 1.0, log=True),
    "yb": IntDistribution(1, 10),
    "cc": CategoricalDistribution(["p", "q"]),
    **{f"n{i}": FloatDistribution(0.0, 1.0) for i in range(5)},
}


def _conditional_studies(n_trials: int, seed: int) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n_trials):
        model = ["a", "b", "c"][rng.integers(3)]
        z = float(rng.random())
        params: dict[str, Any] = {"model": model, "z": z}
        params.update({f"n{i}": float(rng.random()) for i in range(5)})
        value = _OFFSET[model] + 1.5 * (2 * z - 1) ** 2
        if model == "a":
            u = float(rng.random())
            params["xa"] = float(np.exp(np.log(1e-3) * (1 - u)))
            value += 6.0 * (2 * u - 1) ** 2
        elif model == "b":
            params["yb"] = int(rng.integers(1, 11))
            value += 0.5 * params["yb"]
        else:
            params["cc"] = ["p", "q"][rng.integers(2)]
            value += 1.0 * (params["cc"] == "q")
        value += float(rng.normal(0, 0.05))
        rows.append((params, {k: _COND[k] for k in params}, value))
    return _pair(rows)


def _conditional_truth() -> list[str]:
    """Law of total variance with the sampling measure's moments.

    For u uniform, w (2u - 1)^2 has mean w / 3 and variance 4 w^2 / 45.
    """
    var_a, mean_a = 36 * 4 / 45, 6 / 3
    var_b, mean_b = 0.25 * (10**2 - 1) / 12, 0.5 * 5.5
    var_c, mean_c = 0.25, 0.5
    means = [_OFFSET["a"] + mean_a, _OFFSET["b"] + mean_b, _OFFSET["c"] + mean_c]
    shares = {
        "model": float(np.var(means)),
        "xa": var_a / 3,
        "yb": var_b / 3,
        "cc": var_c / 3,
        "z": 2.25 * 4 / 45,
    }
    return sorted(shares, key=lambda n: -shares[n])


class _ClassicFanova(FanovaImportanceEvaluator):
    """sktune's fANOVA on the forest it used before (for comparison only)."""

    def _forest_settings(self, n_rows: int) -> dict[str, Any]:
        return {
            "n_trees": 64,
            "splitter": "best",
            "bootstrap": True,
            "max_samples": 1.0,
            "min_samples_leaf": 1,
            "max_features": 1.0,
        }


def _methods(with_optuna_fanova: bool, n_trees_optuna: int) -> dict[str, Callable]:
    import optuna

    methods: dict[str, Callable] = {
        "sktune default": lambda s, o, seed: get_param_importances(
            s, evaluator=FanovaImportanceEvaluator(seed=seed)
        ),
        "Optuna default (PED-ANOVA)": lambda s, o, seed: (
            optuna.importance.get_param_importances(o)
        ),
        "sktune 64 trees": lambda s, o, seed: get_param_importances(
            s, evaluator=FanovaImportanceEvaluator(n_trees=64, seed=seed)
        ),
        "sktune classic forest": lambda s, o, seed: get_param_importances(
            s, evaluator=_ClassicFanova(seed=seed)
        ),
    }
    if with_optuna_fanova:
        methods["Optuna fANOVA"] = lambda s, o, seed: (
            optuna.importance.get_param_importances(
                o,
                evaluator=optuna.importance.FanovaImportanceEvaluator(
                    n_trees=n_trees_optuna, seed=seed
                ),
            )
        )
    return methods


_TIMED = ("sktune default", "Optuna default (PED-ANOVA)")


def _run_study(
    methods: dict[str, Callable],
    ours: Any,
    theirs: Any,
    seed: int,
    repeats: int,
) -> dict[str, tuple[float, list[str]]]:
    """Each method's (time, ranking) on one study; the bar's pair repeated."""
    out: dict[str, tuple[float, list[str]]] = {}
    times: dict[str, list[float]] = {m: [] for m in _TIMED}
    for _ in range(repeats):
        for name in _TIMED:
            start = time.perf_counter()
            ranking = list(methods[name](ours, theirs, seed))
            times[name].append(time.perf_counter() - start)
            out[name] = (0.0, ranking)
    for name in _TIMED:
        out[name] = (statistics.median(times[name]), out[name][1])
    for name, run in methods.items():
        if name not in _TIMED:
            start = time.perf_counter()
            ranking = list(run(ours, theirs, seed))
            out[name] = (time.perf_counter() - start, ranking)
    return out


def _table(
    cases: list[tuple[str, Callable[[int], tuple[Any, Any]], list[str]]],
    methods: dict[str, Callable],
    seeds: int,
    repeats: int,
) -> list[tuple]:
    rows = []
    for label, make, truth in cases:
        times: dict[str, list[float]] = {m: [] for m in methods}
        ratios: list[float] = []
        hits = dict.fromkeys(methods, 0)
        for seed in range(seeds):
            ours, theirs = make(seed)
            result = _run_study(methods, ours, theirs, seed, repeats)
            for name, (elapsed, ranking) in result.items():
                times[name].append(elapsed)
                hits[name] += ranking[:3] == truth
            ratios.append(result[_TIMED[0]][0] / result[_TIMED[1]][0])
        for name in methods:
            med = statistics.median(times[name])
            ratio = statistics.median(ratios) if name == _TIMED[0] else math.nan
            rows.append((label, name, med, ratio, f"{hits[name]}/{seeds}"))
        rows.append((label, "truth top-3: " + ", ".join(truth), math.nan, math.nan, ""))
    return rows


def _print(title: str, rows: list[tuple]) -> None:
    print(f"\n{title}\n")
    print(
        "| study | method | time (s) | sktune / Optuna default "
        "(median ratio) | same top-3 as truth |"
    )
    print("|---|---|---:|---:|---:|")
    for label, method, t, ratio, hit in rows:
        if math.isnan(t):
            print(f"| {label} | _{method}_ | | | |")
            continue
        r = "" if math.isnan(ratio) else f"{ratio:.2f}"
        print(f"| {label} | {method} | {t:.3f} | {r} | {hit} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--small-seeds", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--optuna-fanova",
        action="store_true",
        help="also run Optuna's fANOVA on 1000 trials (slow)",
    )
    args = parser.parse_args()

    import optuna
    import sklearn.tree  # noqa: F401  (import outside the timings)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    big, medium, small, seeds, small_seeds, repeats = (
        1000,
        300,
        100,
        args.seeds,
        args.small_seeds,
        args.repeats,
    )
    n_trees_optuna = 64
    if args.quick:
        big, medium, seeds, small_seeds, repeats, n_trees_optuna = 200, 150, 1, 1, 1, 8

    problems = _problems()
    cond_truth = _conditional_truth()

    def cases(n: int, which: list[Problem], conditional: bool) -> list[tuple]:
        out: list[tuple] = [
            (
                f"{p.name}, {n} trials",
                lambda seed, p=p: _studies(p, n, seed),
                p.true_ranking()[:3],
            )
            for p in which
        ]
        if conditional:
            out.append(
                (
                    f"conditional, {n} trials",
                    lambda seed: _conditional_studies(n, seed),
                    cond_truth[:3],
                )
            )
        return out

    print(
        f"sktune {sktune.__version__}, Optuna {optuna.__version__}; "
        f"time = median over seeds of the median of {repeats} repeat(s) "
        "(timed pair) or of one run (other methods)"
    )
    bar_methods = _methods(args.optuna_fanova, n_trees_optuna)
    _print(
        f"Bar: {big} trials x 10 parameters, {seeds} seed(s)",
        _table(cases(big, problems[:3], False), bar_methods, seeds, repeats),
    )
    _print(
        f"Harder studies: {big} trials, {seeds} seed(s)",
        _table(cases(big, problems[3:], True), bar_methods, seeds, repeats),
    )
    _print(
        f"Medium studies: {medium} trials, {seeds} seed(s)",
        _table(cases(medium, problems, True), bar_methods, seeds, repeats),
    )
    _print(
        f"Small studies: {small} trials, {small_seeds} seed(s)",
        _table(
            cases(small, problems, True),
            _methods(True, n_trees_optuna),
            small_seeds,
            repeats,
        ),
    )


if __name__ == "__main__":
    main()
