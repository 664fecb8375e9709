"""How much wall time does TPESearchCV add over RandomizedSearchCV?

Same estimator (Ridge on 500 rows, so fits are cheap and the search's own cost
shows), the same scipy.stats search space given to both (the drop-in usage),
the same n_iter=100 and 3-fold CV, sequential (``n_jobs=None``), refit on.
OptunaSearchCV runs alongside for orientation. Repeats are interleaved (the
order of the methods rotates), and we report the median wall and CPU time per
search, the ratio of medians to RandomizedSearchCV, the median of the
per-repeat ratios (paired), and the extra time per trial.
Bar: TPESearchCV / RandomizedSearchCV wall time at most 1.15.

Usage::

    python benchmarks/bench_search_overhead.py            # full run
    python benchmarks/bench_search_overhead.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from typing import Any

import numpy as np

METHODS = ["TPESearchCV", "RandomizedSearchCV", "OptunaSearchCV"]
BAR = 1.15


def _data() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_regression

    return make_regression(n_samples=500, n_features=20, noise=10.0, random_state=0)


def _space_scipy() -> dict[str, Any]:
    from scipy import stats

    return {
        "alpha": stats.loguniform(1e-3, 1e3),
        "tol": stats.loguniform(1e-5, 1e-1),
        "fit_intercept": [True, False],
    }


def _space_optuna() -> dict[str, Any]:
    from optuna.distributions import CategoricalDistribution, FloatDistribution

    return {
        "alpha": FloatDistribution(1e-3, 1e3, log=True),
        "tol": FloatDistribution(1e-5, 1e-1, log=True),
        "fit_intercept": CategoricalDistribution([True, False]),
    }


def make_search(method: str, n_iter: int, seed: int, stand_in: bool = False) -> Any:
    """The search object of one method, on Ridge."""
    from sklearn.linear_model import Ridge

    if method == "TPESearchCV" and not stand_in:
        from sktune import TPESearchCV

        return TPESearchCV(
            Ridge(), _space_scipy(), n_iter=n_iter, cv=3, random_state=seed
        )
    if method in ("RandomizedSearchCV", "TPESearchCV"):
        from sklearn.model_selection import RandomizedSearchCV

        return RandomizedSearchCV(
            Ridge(), _space_scipy(), n_iter=n_iter, cv=3, random_state=seed
        )
    if method == "OptunaSearchCV":
        import optuna
        from optuna_integration import OptunaSearchCV

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        return OptunaSearchCV(
            Ridge(), _space_optuna(), n_trials=n_iter, cv=3, random_state=seed
        )
    raise ValueError(f"Unknown method {method!r}.")


def measure(
    methods: list[str], n_iter: int, repeats: int, stand_in: bool = False
) -> dict[str, dict[str, list[float]]]:
    """Wall and CPU seconds of every repeat of every method, interleaved."""
    X, y = _data()
    times: dict[str, dict[str, list[float]]] = {
        m: {"wall": [], "cpu": []} for m in methods
    }
    for m in methods:  # warm-up: imports and first-call costs
        make_search(m, 5, 0, stand_in).fit(X, y)
    for rep in range(repeats):
        order = methods[rep % len(methods) :] + methods[: rep % len(methods)]
        for m in order:
            search = make_search(m, n_iter, rep, stand_in)
            t0, c0 = time.perf_counter(), time.process_time()
            search.fit(X, y)
            times[m]["wall"].append(time.perf_counter() - t0)
            times[m]["cpu"].append(time.process_time() - c0)
    return times


def report(times: dict[str, dict[str, list[float]]], n_iter: int) -> str:
    """Markdown table of medians, ratios and per-trial overhead."""
    ref = {k: float(np.median(times["RandomizedSearchCV"][k])) for k in ("wall", "cpu")}
    lines = [
        "| method | median wall, s | median CPU, s | wall ratio | CPU ratio | "
        "paired wall ratio | extra wall per trial, ms | extra CPU per trial, ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    base = np.asarray(times["RandomizedSearchCV"]["wall"])
    for m, t in times.items():
        w, c = float(np.median(t["wall"])), float(np.median(t["cpu"]))
        # The methods of one repeat run back to back, so the ratio within a
        # repeat is immune to the machine's slow drifts in speed.
        paired = float(np.median(np.asarray(t["wall"]) / base))
        lines.append(
            f"| {m} | {w:.3f} | {c:.3f} | {w / ref['wall']:.3f} | "
            f"{c / ref['cpu']:.3f} | {paired:.3f} | "
            f"{1e3 * (w - ref['wall']) / n_iter:.2f} | "
            f"{1e3 * (c - ref['cpu']) / n_iter:.2f} |"
        )
    if "TPESearchCV" in times:
        ratio = float(np.median(times["TPESearchCV"]["wall"])) / ref["wall"]
        verdict = "met" if ratio <= BAR else "NOT met"
        lines += [
            "",
            f"Bar (TPESearchCV / RandomizedSearchCV wall <= {BAR}): "
            f"{ratio:.3f}, {verdict}.",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--n-iter", type=int, default=100)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument(
        "--stand-in",
        action="store_true",
        help="run RandomizedSearchCV in TPESearchCV's place (to debug the script)",
    )
    args = parser.parse_args(argv)
    n_iter, repeats = (20, 2) if args.quick else (args.n_iter, args.repeats)
    methods = args.methods.split(",")
    if "RandomizedSearchCV" not in methods:
        methods.append("RandomizedSearchCV")
    warnings.filterwarnings("ignore")
    load0 = os.getloadavg()[0]
    times = measure(methods, n_iter, repeats, args.stand_in)
    load1 = os.getloadavg()[0]
    print(
        f"Ridge, 500 rows x 20 features, n_iter={n_iter}, cv=3, n_jobs=None, "
        f"{repeats} repeats; load average {load0:.1f} -> {load1:.1f}"
        + (" (STAND-IN: RandomizedSearchCV as TPESearchCV)" if args.stand_in else "")
        + "\n"
    )
    print(report(times, n_iter))


if __name__ == "__main__":
    main()
