"""Does TPESearchCV(n_jobs=2) run a fit-dominated search 1.6x faster, as well?

RandomForestClassifier(n_estimators=100) on digits (one fit takes about
0.2-0.5 s of CPU), n_iter=40, cv=3, n_jobs=1 vs n_jobs=2 (loky) on this 2-core
machine, several seeds, runs interleaved (the n_jobs order alternates).
RandomizedSearchCV runs alongside as the reference for what the machine allows.
Reported: median wall time, the median over seeds of the per-seed speed-up, and
the best CV score (mean over seeds) of both settings, which should match within
noise. Bar: TPESearchCV's speed-up at least 1.6x, with the same quality.

Usage::

    python benchmarks/bench_parallel.py            # full run
    python benchmarks/bench_parallel.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from typing import Any

import numpy as np

METHODS = ["TPESearchCV", "RandomizedSearchCV"]
BAR = 1.6


def _space() -> dict[str, Any]:
    from scipy import stats

    return {
        "max_depth": stats.randint(2, 21),
        "max_features": stats.uniform(0.05, 0.45),
        "min_samples_leaf": stats.randint(1, 11),
        "criterion": ["gini", "entropy"],
    }


def make_search(
    method: str,
    n_iter: int,
    n_jobs: int,
    seed: int,
    stand_in: bool = False,
    n_estimators: int = 100,
) -> Any:
    """The search object of one method, on a random forest."""
    from sklearn.ensemble import RandomForestClassifier

    est = RandomForestClassifier(n_estimators=n_estimators, random_state=0)
    kw = dict(n_iter=n_iter, cv=3, n_jobs=n_jobs, random_state=seed, refit=False)
    if method == "TPESearchCV" and not stand_in:
        from sktune import TPESearchCV

        return TPESearchCV(est, _space(), **kw)
    if method in ("RandomizedSearchCV", "TPESearchCV"):
        from sklearn.model_selection import RandomizedSearchCV

        return RandomizedSearchCV(est, _space(), **kw)
    raise ValueError(f"Unknown method {method!r}.")


def measure(
    methods: list[str],
    n_iter: int,
    seeds: list[int],
    stand_in: bool = False,
    n_estimators: int = 100,
) -> dict[tuple[str, int], dict[str, list[float]]]:
    """Wall time and best score per (method, n_jobs), one entry per seed."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    out: dict[tuple[str, int], dict[str, list[float]]] = {
        (m, j): {"wall": [], "best": []} for m in methods for j in (1, 2)
    }
    for m in methods:  # warm-up: imports and the loky workers' start
        make_search(m, 2, 2, 0, stand_in, 10).fit(X, y)
    for i, seed in enumerate(seeds):
        for m in methods:
            for n_jobs in (1, 2) if i % 2 == 0 else (2, 1):
                search = make_search(m, n_iter, n_jobs, seed, stand_in, n_estimators)
                t0 = time.perf_counter()
                search.fit(X, y)
                out[(m, n_jobs)]["wall"].append(time.perf_counter() - t0)
                out[(m, n_jobs)]["best"].append(float(search.best_score_))
    return out


def report(res: dict[tuple[str, int], dict[str, list[float]]]) -> str:
    """Markdown table of times, speed-ups and quality."""
    methods = sorted({m for m, _ in res}, key=METHODS.index)
    lines = [
        "| method | median wall n_jobs=1, s | median wall n_jobs=2, s | "
        "speed-up (median of per-seed) | best score n_jobs=1 | "
        "best score n_jobs=2 | difference (± s.e.) |",
        "|---|---|---|---|---|---|---|",
    ]
    verdict = ""
    for m in methods:
        w1, w2 = np.array(res[(m, 1)]["wall"]), np.array(res[(m, 2)]["wall"])
        b1, b2 = np.array(res[(m, 1)]["best"]), np.array(res[(m, 2)]["best"])
        speed = float(np.median(w1 / w2))
        diff = float(b2.mean() - b1.mean())
        n = len(b1)
        se = (
            float(np.sqrt(b1.var(ddof=1) / n + b2.var(ddof=1) / n))
            if n > 1
            else float("nan")
        )
        lines.append(
            f"| {m} | {np.median(w1):.1f} | {np.median(w2):.1f} | {speed:.2f}x | "
            f"{b1.mean():.4f} ± {b1.std(ddof=1) if n > 1 else 0:.4f} | "
            f"{b2.mean():.4f} ± {b2.std(ddof=1) if n > 1 else 0:.4f} | "
            f"{diff:+.4f} ± {se:.4f} |"
        )
        if m == "TPESearchCV":
            same = abs(diff) <= 2 * se if np.isfinite(se) else False
            ok = speed >= BAR and same
            verdict = (
                f"Bar (speed-up >= {BAR}x with the same quality): speed-up "
                f"{speed:.2f}x, quality difference {diff:+.4f} "
                f"({'within' if same else 'outside'} 2 s.e.): "
                f"{'met' if ok else 'NOT met'}."
            )
    if verdict:
        lines += ["", verdict]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-iter", type=int, default=40)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument(
        "--stand-in",
        action="store_true",
        help="run RandomizedSearchCV in TPESearchCV's place (to debug the script)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        n_iter, seeds, n_est = 4, [0, 1], 10
    else:
        n_iter, seeds, n_est = args.n_iter, list(range(args.seeds)), 100
    warnings.filterwarnings("ignore")
    load0 = os.getloadavg()[0]
    res = measure(args.methods.split(","), n_iter, seeds, args.stand_in, n_est)
    load1 = os.getloadavg()[0]
    print(
        f"RandomForestClassifier(n_estimators={n_est}) on digits, n_iter={n_iter}, "
        f"cv=3, seeds {seeds[0]}-{seeds[-1]}, {os.cpu_count()} CPUs; "
        f"load average {load0:.1f} -> {load1:.1f}"
        + (" (STAND-IN: RandomizedSearchCV as TPESearchCV)" if args.stand_in else "")
        + "\n"
    )
    print(report(res))


if __name__ == "__main__":
    main()
