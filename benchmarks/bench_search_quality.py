"""Does TPESearchCV find better hyperparameters than its peers at n_iter=40?

Bayesmark's scikit-learn problems (see ``_bayesmark.py``), 3-fold CV, n_iter=40,
several seeds: TPESearchCV vs RandomizedSearchCV vs optuna_integration's
OptunaSearchCV vs scikit-optimize's BayesSearchCV, each given the same search
space in its own format. Scored as Bayesmark normalises (``shared/BENCHMARKS.md``):
per problem, ``100 * (1 - (f* - s) / (f* - r))`` with ``s`` a run's best mean CV
score, ``f*`` the best score any run of any method found and ``r`` random
search's mean best; clipped to [-100, 100]. 0 = random search, 100 = the best
found by anyone.

The work is spread over (problem, method, seed) with joblib processes, each
search with ``n_jobs=1``. Results are appended to a JSON cache as they finish
(``--cache``), so an interrupted run resumes, and a run with fewer methods can
be completed later; cached entries are reused only for the same n_iter and
``--logit`` scale (entries without one were run on "linear"). Each
entry records its run, the git commit and the library versions; a note says
when cached TPESearchCV entries come from another commit, and wall times are
reported for this run's searches only.

Usage::

    python benchmarks/bench_search_quality.py            # full run
    python benchmarks/bench_search_quality.py --quick    # smoke run

To screen a change of the TPE sampler's private settings against cached
peers, ``--tpe-opts '{"_bandwidth_factor": 1.5}'`` adds a method
``TPESearchCV+{...}``: TPESearchCV with the sampler it would make by default,
those attributes set.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
import warnings
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _bayesmark as bm

# Every model and every data set appears at least once, and every metric.
PROBLEMS = [
    ("kNN", "wine", "nll"),
    ("kNN", "diabetes", "mae"),
    ("SVM", "breast", "acc"),
    ("DT", "digits", "nll"),
    ("RF", "wine", "acc"),
    ("MLP-adam", "iris", "nll"),
    ("MLP-sgd", "wine", "acc"),
    ("ada", "iris", "acc"),
    ("lasso", "diabetes", "mse"),
    ("linear", "breast", "nll"),
]
QUICK_PROBLEMS = [("kNN", "wine", "nll"), ("linear", "breast", "nll")]
METHODS = ["TPESearchCV", "RandomizedSearchCV", "OptunaSearchCV", "BayesSearchCV"]
# Rough relative cost, to start the slow tasks first.
_COST = {"ada": 30, "MLP-adam": 7, "MLP-sgd": 5, "RF": 4, "SVM": 5, "kNN": 1.2}


_VARIANT = "TPESearchCV+"


def variant_name(opts: dict) -> str:
    """The method name of TPESearchCV with these sampler attributes."""
    return _VARIANT + json.dumps(opts, sort_keys=True, separators=(",", ":"))


def _make_search(method: str, problem: bm.Problem, n_iter: int, seed: int) -> Any:
    common = dict(cv=problem.cv, scoring=problem.scoring, refit=False)
    common["error_score"] = np.nan
    est, space = problem.estimator, problem.space
    if method == "TPESearchCV":
        from sktune import TPESearchCV

        return TPESearchCV(
            est, bm.to_sktune(space), n_iter=n_iter, random_state=seed, **common
        )
    if method.startswith(_VARIANT):
        from sktune import TPESearchCV
        from sktune.samplers import TPESampler

        # The seed TPESearchCV derives for its default sampler (its first draw
        # from random_state), so that no attributes give the same search.
        sampler = TPESampler(
            seed=int(np.random.RandomState(seed).randint(np.iinfo(np.int32).max))
        )
        for name, value in json.loads(method[len(_VARIANT) :]).items():
            if not hasattr(sampler, name):
                raise ValueError(f"TPESampler has no attribute {name!r}.")
            setattr(sampler, name, value)
        return TPESearchCV(
            est,
            bm.to_sktune(space),
            n_iter=n_iter,
            random_state=seed,
            sampler=sampler,
            **common,
        )
    if method == "RandomizedSearchCV":
        from sklearn.model_selection import RandomizedSearchCV

        return RandomizedSearchCV(
            est, bm.to_scipy(space), n_iter=n_iter, random_state=seed, **common
        )
    if method == "OptunaSearchCV":
        import optuna
        from optuna_integration import OptunaSearchCV

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        return OptunaSearchCV(
            est, bm.to_optuna(space), n_trials=n_iter, random_state=seed, **common
        )
    if method == "BayesSearchCV":
        from skopt import BayesSearchCV

        return BayesSearchCV(
            est, bm.to_skopt(space), n_iter=n_iter, random_state=seed, **common
        )
    raise ValueError(f"Unknown method {method!r}.")


def _best_score(search: Any) -> float:
    # The best mean CV score over all candidates (NaN = failed fits).
    if hasattr(search, "cv_results_"):
        scores = np.asarray(search.cv_results_["mean_test_score"], dtype=float)
        if np.isfinite(scores).any():
            return float(np.nanmax(scores))
        return math.nan
    return float(search.best_score_)


def run_one(
    key: tuple[str, str, str], method: str, seed: int, n_iter: int, logit: str
) -> dict:
    """One search; never raises: a crash is returned as an ``error`` entry."""
    warnings.filterwarnings("ignore")
    out: dict[str, Any] = {"problem": "-".join(key), "method": method, "seed": seed}
    out["n_iter"] = n_iter
    out["logit"] = logit
    problem = bm.load_problem(*key, logit=logit)
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        search = _make_search(method, problem, n_iter, seed)
        search.fit(problem.X, problem.y)
        out["best"] = _best_score(search)
    except Exception as exc:  # report the crash, don't hide it
        out["error"] = f"{type(exc).__name__}: {exc}"[:300]
    out["wall"] = time.perf_counter() - t0
    out["cpu"] = time.process_time() - c0
    return out


def normalised_scores(results: list[dict], methods: list[str]) -> dict:
    """Bayesmark's normalised score: {(problem, method): {seed: score}}.

    A NaN score marks a degenerate problem (random search always found the
    best value, so the score is undefined).
    """
    scores: dict[tuple[str, str], dict[int, float]] = {}
    for prob in sorted({r["problem"] for r in results}):
        runs = [r for r in results if r["problem"] == prob and "best" in r]
        bests = [r["best"] for r in runs if math.isfinite(r["best"])]
        rand = [
            r["best"]
            for r in runs
            if r["method"] == "RandomizedSearchCV" and math.isfinite(r["best"])
        ]
        if not bests or not rand:
            continue
        f_star, r_mean = max(bests), float(np.mean(rand))
        for m in methods:
            vals: dict[int, float] = {}
            for r in runs:
                if r["method"] != m:
                    continue
                if f_star - r_mean <= 1e-12:
                    vals[r["seed"]] = math.nan
                    continue
                s = 100 * (1 - (f_star - r["best"]) / (f_star - r_mean))
                # A run whose every candidate failed counts as the worst.
                vals[r["seed"]] = (
                    float(np.clip(s, -100, 100)) if math.isfinite(s) else -100.0
                )
            scores[(prob, m)] = vals
    return scores


def _fmt(x: float) -> str:
    return "n/a" if not math.isfinite(x) else f"{x:.1f}"


def _sem(values: Any) -> float:
    """Standard error of the mean (NaN for fewer than two values)."""
    v = np.asarray(values, dtype=float)
    return float(np.std(v, ddof=1) / np.sqrt(len(v))) if len(v) > 1 else math.nan


def _paired_lines(by_seed: dict[str, dict[int, float]]) -> list[str]:
    """TPESearchCV minus each peer, paired by seed (each seed's mean score)."""
    tpe = by_seed.get("TPESearchCV", {})
    out: list[str] = []
    for m, vals in by_seed.items():
        common = sorted(set(tpe) & set(vals))
        if m in ("TPESearchCV", "RandomizedSearchCV") or len(common) < 2:
            continue
        d = np.array([tpe[s] - vals[s] for s in common])
        out.append(
            f"- TPESearchCV - {m}: {d.mean():+.1f} ± {_sem(d):.1f}, "
            f"ahead in {int((d > 0).sum())} of {len(d)} seeds"
        )
    if out:
        out = ["", "Paired by seed (mean over the problems of each seed):", "", *out]
    return out


def report(
    results: list[dict], methods: list[str], seeds: list[int], run_id: str | None
) -> str:
    """Markdown tables: normalised score per problem and overall, raw bests,
    and the wall times of the searches of run ``run_id``."""
    scores = normalised_scores(results, methods)
    problems = sorted({r["problem"] for r in results})
    lines = ["| problem | " + " | ".join(methods) + " |"]
    lines.append("|---" * (len(methods) + 1) + "|")
    for prob in problems:
        cells = []
        for m in methods:
            vals = [v for v in scores.get((prob, m), {}).values() if math.isfinite(v)]
            cells.append(_fmt(float(np.mean(vals))) if vals else "n/a")
        lines.append(f"| {prob} | " + " | ".join(cells) + " |")
    # Mean over the (problem, seed) pairs every method finished, and its
    # standard error over seeds.
    pairs = [
        (p, seed)
        for p in problems
        for seed in seeds
        if all(
            math.isfinite(scores.get((p, m), {}).get(seed, math.nan)) for m in methods
        )
    ]
    means, sems = [], []
    by_seed: dict[str, dict[int, float]] = {}
    for m in methods:
        for seed in seeds:
            vals = [scores[(p, m)][seed] for p, s in pairs if s == seed]
            if vals:
                by_seed.setdefault(m, {})[seed] = float(np.mean(vals))
        per_seed = list(by_seed.get(m, {}).values())
        means.append(float(np.mean(per_seed)) if per_seed else math.nan)
        sems.append(_sem(per_seed))
    n_all = len(problems) * len(seeds)
    lines.append(
        f"| **mean ± s.e. over seeds** ({len(pairs)}/{n_all} runs) | "
        + " | ".join(f"**{_fmt(mu)}** ± {_fmt(se)}" for mu, se in zip(means, sems))
        + " |"
    )

    lines += _paired_lines(by_seed)

    lines += ["", "Raw best mean CV score (mean over seeds; higher is better):", ""]
    lines.append("| problem | " + " | ".join(methods) + " |")
    lines.append("|---" * (len(methods) + 1) + "|")
    for prob in problems:
        cells = []
        for m in methods:
            vals = [
                r["best"]
                for r in results
                if r["problem"] == prob and r["method"] == m and "best" in r
            ]
            crashed = any(
                r["problem"] == prob and r["method"] == m and "error" in r
                for r in results
            )
            cells.append(
                f"{np.mean(vals):.4g}" if vals else "crash" if crashed else "not run"
            )
        lines.append(f"| {prob} | " + " | ".join(cells) + " |")

    lines += _wall_lines(results, methods, run_id)
    errors = [r for r in results if "error" in r]
    if errors:
        lines += ["", "Crashes:", ""]
        for r in errors:
            lines.append(
                f"- {r['method']} on {r['problem']} seed {r['seed']}: {r['error']}"
            )
    valid = [m for m, mu in zip(methods, means) if math.isfinite(mu)]
    if "TPESearchCV" in valid:
        tpe = means[methods.index("TPESearchCV")]
        others = [means[methods.index(m)] for m in valid if m != "TPESearchCV"]
        met = all(tpe > o for o in others)
        lines += [
            "",
            f"Bar (TPESearchCV's mean above every peer's): "
            f"{'met' if met else 'NOT met'}.",
        ]
    return "\n".join(lines)


def _wall_lines(results: list[dict], methods: list[str], run_id: str | None) -> list:
    """Wall time per search, from this run's searches only: cached entries come
    from other sessions, code and machine loads, so their times do not compare.
    Ratios to RandomizedSearchCV are paired by (problem, seed)."""
    now = [r for r in results if run_id is not None and r.get("run") == run_id]
    if not now:
        return ["", "Wall times: no search ran in this invocation (all cached)."]
    walls: dict[tuple[str, str, int], float] = {
        (r["method"], r["problem"], r["seed"]): r["wall"] for r in now
    }
    lines = [
        "",
        f"Wall time per search in this run ({len(now)} searches, "
        "several side by side): median over problems and seeds, and the median "
        "of the ratio to RandomizedSearchCV on the same (problem, seed):",
        "",
        "| method | wall, s | ratio to RandomizedSearchCV |",
        "|---|---|---|",
    ]
    for m in methods:
        own = [w for (mm, _, _), w in walls.items() if mm == m]
        if not own:
            continue
        ratios = [
            w / walls[("RandomizedSearchCV", p, sd)]
            for (mm, p, sd), w in walls.items()
            if mm == m and ("RandomizedSearchCV", p, sd) in walls
        ]
        ratio = f"{np.median(ratios):.2f} ({len(ratios)} pairs)" if ratios else "n/a"
        lines.append(f"| {m} | {np.median(own):.1f} | {ratio} |")
    return lines


def _provenance() -> dict[str, str]:
    """What produced a result: library versions and the git commit."""
    import subprocess

    import sklearn

    import sktune

    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=os.path.dirname(os.path.abspath(__file__)),
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {
        "commit": commit,
        "sktune": sktune.__version__,
        "sklearn": sklearn.__version__,
    }


def _load_cache(path: str | None) -> list[dict]:
    if path and os.path.exists(path):
        with open(path) as f:
            return json.load(f)
    return []


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument(
        "--problems", default=None, help="e.g. linear-breast-nll,DT-digits-nll"
    )
    parser.add_argument("--n-iter", type=int, default=40)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument(
        "--tpe-opts",
        default=None,
        help="JSON of TPESampler attributes: adds that TPESearchCV variant",
    )
    parser.add_argument(
        "--logit",
        choices=bm.LOGIT_SCALES,
        default="log",
        help="scale of Bayesmark's logit ranges (see _bayesmark.py)",
    )
    parser.add_argument("--cache", default=None, help="JSON file of results")
    parser.add_argument(
        "--report-only", action="store_true", help="only print the cached results"
    )
    args = parser.parse_args(argv)

    problems, n_iter = PROBLEMS, args.n_iter
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    if args.problems:
        wanted = args.problems.split(",")
        problems = [k for k in PROBLEMS if "-".join(k) in wanted]
    if args.quick:
        problems, n_iter, seeds = QUICK_PROBLEMS, 6, [0, 1]
    methods = args.methods.split(",")
    if args.tpe_opts:
        methods.append(variant_name(json.loads(args.tpe_opts)))
    if "RandomizedSearchCV" not in methods:
        methods.append("RandomizedSearchCV")  # the score's reference

    def same_protocol(r: dict) -> bool:
        return r.get("n_iter") == n_iter and r.get("logit", "linear") == args.logit

    cached = _load_cache(args.cache)
    results = [r for r in cached if same_protocol(r)]
    others = [r for r in cached if not same_protocol(r)]  # kept in the file
    done = {(r["problem"], r["method"], r["seed"]) for r in results}
    tasks = [
        (k, m, s)
        for k in problems
        for m in methods
        for s in seeds
        if ("-".join(k), m, s) not in done
    ]
    if args.report_only:
        tasks = []
    # Cheap problems first and scikit-optimize (slow) last, so that an
    # interrupted run still holds complete problems; see the cache.
    tasks.sort(
        key=lambda t: (t[1] == "BayesSearchCV", _COST.get(t[0][0], 1), t[0], t[2])
    )
    print(f"{len(tasks)} searches to run, {len(results)} cached", file=sys.stderr)

    from joblib import Parallel, delayed

    t0 = time.perf_counter()
    gen = Parallel(n_jobs=args.n_jobs, return_as="generator_unordered")(
        delayed(run_one)(k, m, s, n_iter, args.logit) for k, m, s in tasks
    )
    run_id = f"{time.strftime('%Y-%m-%dT%H:%M:%S')}-{os.getpid()}"
    provenance = _provenance()
    for m in methods:
        stale = sorted(
            {
                str(r.get("commit", "unrecorded"))
                for r in results
                if r["method"] == m and r.get("commit") != provenance["commit"]
            }
        )
        if stale and m.startswith("TPE"):
            print(
                f"note: cached {m} results come from commits {stale}, not "
                f"{provenance['commit']}; delete them to re-run.",
                file=sys.stderr,
            )
    for i, res in enumerate(gen, 1):
        res.update(run=run_id, **provenance)
        results.append(res)
        print(
            f"[{i}/{len(tasks)} {time.perf_counter() - t0:.0f}s] {res['method']} "
            f"{res['problem']} seed {res['seed']}: {res.get('best', res.get('error'))}",
            file=sys.stderr,
        )
        if args.cache:
            with open(args.cache, "w") as f:
                json.dump(others + results, f)
    keys = {"-".join(k) for k in problems}
    results = [
        r
        for r in results
        if r["problem"] in keys and r["seed"] in seeds and r["method"] in methods
    ]
    print(
        f"n_iter={n_iter}, 3-fold CV, logit ranges on the {args.logit} scale, "
        f"seeds {seeds[0]}-{seeds[-1]}, "
        f"{len(problems)} problems; elapsed {time.perf_counter() - t0:.0f} s\n"
    )
    print(report(results, methods, seeds, run_id))


if __name__ == "__main__":
    main()
