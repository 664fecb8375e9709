"""Does sktune's TPESampler find better optima than Optuna's and hyperopt's?

Every sampler runs the same synthetic problems (benchmarks/_functions.py) with
the same budget and seeds, in this one run. Each run is scored as Bayesmark
does: ``100 * (1 - (best - f*) / (random_mean - f*))``, clipped to [-100, 100],
where ``random_mean`` is random search's mean best over 50 other seeds.

Protocols:
- ``seq``: one trial at a time (sktune, Optuna, hyperopt).
- ``async``: 4 asynchronous workers: ask 4, then tell and ask one at a time in
  completion order (trial durations drawn from an exponential law with a
  per-seed generator, identical for every sampler); sktune and Optuna.

Defaults were tuned on seeds 100-109; results are reported on seeds 0-9.

    python benchmarks/bench_tpe_quality.py            # full run
    python benchmarks/bench_tpe_quality.py --quick    # smoke run
"""

from __future__ import annotations

import argparse
import heapq
import json
import logging
import os
import sys
import time
import warnings
from typing import Any

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from _functions import PROBLEMS, Problem

N_WORKERS = 4


def _sktune_sampler(seed: int, opts: dict[str, Any]) -> Any:
    from sktune.samplers import TPESampler

    params = {k: v for k, v in opts.items() if not k.startswith("_")}
    sampler = TPESampler(seed=seed, **params)
    for k, v in opts.items():
        if k.startswith("_"):
            setattr(sampler, k, v)
    return sampler


def _study(method: str, seed: int, opts: dict[str, Any]) -> Any:
    if method == "sktune":
        import sktune

        return sktune.create_study(sampler=_sktune_sampler(seed, opts))
    if method == "random":
        import sktune

        return sktune.create_study(sampler=sktune.samplers.RandomSampler(seed=seed))
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    return optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed))


def _run_seq(problem: Problem, method: str, seed: int, n: int, opts: dict) -> float:
    if method == "hyperopt":
        from hyperopt import STATUS_OK, Trials, fmin, tpe

        logging.getLogger("hyperopt").setLevel(logging.ERROR)
        trials = Trials()
        fmin(
            lambda s: {
                "loss": problem.func(problem.from_hyperopt(s)),
                "status": STATUS_OK,
            },
            problem.hyperopt_space(),
            algo=tpe.suggest,
            max_evals=n,
            trials=trials,
            rstate=np.random.default_rng(seed),
            show_progressbar=False,
        )
        return float(min(trials.losses()))
    study = _study(method, seed, opts)
    if method == "sktune" or method == "random":
        study.sampler.set_budget(n)
    study.optimize(problem.objective, n_trials=n)
    return float(study.best_value)


def _run_async(problem: Problem, method: str, seed: int, n: int, opts: dict) -> float:
    study = _study(method, seed, opts)
    if method in ("sktune", "random"):
        study.sampler.set_budget(n)
    durations = np.random.default_rng(10_000 + seed).exponential(1.0, size=n)
    queue: list[tuple[float, int, Any, float]] = []
    asked, best = 0, np.inf

    def ask(now: float) -> None:
        nonlocal asked
        trial = study.ask()
        value = problem.objective(trial)
        heapq.heappush(queue, (now + durations[asked], asked, trial, value))
        asked += 1

    for _ in range(min(N_WORKERS, n)):
        ask(0.0)
    while queue:
        now, _, trial, value = heapq.heappop(queue)
        study.tell(trial, value)
        best = min(best, value)
        if asked < n:
            ask(now)
    return float(best)


def _job(args: tuple) -> tuple:
    name, method, seed, n, protocol, opts = args
    warnings.filterwarnings("ignore")
    problem = PROBLEMS[name]
    run = _run_async if protocol == "async" else _run_seq
    t0 = time.perf_counter()
    best = run(problem, method, seed, n, opts)
    return name, method, seed, protocol, best, time.perf_counter() - t0


def _score(best: float, fstar: float, random_mean: float) -> float:
    s = 100.0 * (1.0 - (best - fstar) / (random_mean - fstar))
    return float(np.clip(s, -100.0, 100.0))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run")
    parser.add_argument("--seeds", default="0-9", help="e.g. 0-9 or 100-109")
    parser.add_argument("--n-trials", type=int, default=100)
    parser.add_argument("--protocols", default="seq,async")
    parser.add_argument("--methods", default="sktune,optuna,hyperopt")
    parser.add_argument("--problems", default=",".join(PROBLEMS))
    parser.add_argument("--random-seeds", type=int, default=50)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--sktune-opts", default="{}", help="JSON, for tuning")
    parser.add_argument("--json", default=None, help="write raw results here")
    args = parser.parse_args(argv)

    lo, _, hi = args.seeds.partition("-")
    seeds = list(range(int(lo), int(hi or lo) + 1))
    n = args.n_trials
    problems = args.problems.split(",")
    methods = args.methods.split(",")
    protocols = args.protocols.split(",")
    n_random = args.random_seeds
    if args.quick:
        seeds, n, n_random = seeds[:1], 20, 5
        problems = [*problems[:2], "model_choice"]
    opts = json.loads(args.sktune_opts)

    jobs = [
        (p, "random", 5000 + s, n, "seq", {}) for p in problems for s in range(n_random)
    ]
    for protocol in protocols:
        for m in methods:
            if protocol == "async" and m == "hyperopt":
                continue  # hyperopt has no ask-and-tell interface
            jobs += [(p, m, s, n, protocol, opts) for p in problems for s in seeds]

    from joblib import Parallel, delayed

    t0 = time.perf_counter()
    results = Parallel(n_jobs=args.jobs)(delayed(_job)(j) for j in jobs)
    elapsed = time.perf_counter() - t0

    random_best: dict[str, list[float]] = {p: [] for p in problems}
    runs: dict[tuple[str, str, str], list[float]] = {}
    for name, method, _seed, protocol, best, _dt in results:
        if method == "random":
            random_best[name].append(best)
        else:
            runs.setdefault((protocol, method, name), []).append(best)

    out: dict[str, Any] = {"elapsed_s": elapsed, "tables": {}}
    for protocol in protocols:
        ms = [m for m in methods if not (protocol == "async" and m == "hyperopt")]
        header = "| problem | " + " | ".join(ms) + " |"
        lines = [header, "|---" * (len(ms) + 1) + "|"]
        means = {m: [] for m in ms}
        per_problem = {}
        for p in problems:
            rm = float(np.mean(random_best[p]))
            row = {}
            for m in ms:
                scores = [
                    _score(b, PROBLEMS[p].fstar, rm) for b in runs[(protocol, m, p)]
                ]
                row[m] = float(np.mean(scores))
                means[m].extend(scores)
            per_problem[p] = row
            lines.append(f"| {p} | " + " | ".join(f"{row[m]:.1f}" for m in ms) + " |")
        overall = {m: float(np.mean(v)) for m, v in means.items()}
        lines.append(
            "| **mean** | " + " | ".join(f"**{overall[m]:.1f}**" for m in ms) + " |"
        )
        verdict = ""
        if "sktune" in ms and "optuna" in ms:
            wins = sum(
                per_problem[p]["sktune"] > per_problem[p]["optuna"] for p in problems
            )
            diff = overall["sktune"] - overall["optuna"]
            verdict = (
                f"sktune - optuna = {diff:+.1f} points; sktune better on "
                f"{wins}/{len(problems)} problems."
            )
        print(
            f"\n### Protocol: {protocol} ({n} trials, seeds {seeds[0]}-{seeds[-1]})\n"
        )
        print("\n".join(lines))
        if verdict:
            print("\n" + verdict)
        out["tables"][protocol] = {"per_problem": per_problem, "overall": overall}
    print(f"\n(total wall time {elapsed:.0f} s, {args.jobs} processes)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return out


if __name__ == "__main__":
    main()
