"""Question: what does a SQLite-backed study cost per trial, next to Optuna's?

``create_study(storage="sqlite:///...")`` + ``optimize`` with each library's
TPE sampler (its defaults) and a trivial objective on a 4-parameter mixed space
(a float, a log float, an int, a 3-way categorical), 1000 trials, on a fresh
SQLite file per run. sktune's SQLiteStorage against Optuna's RDBStorage (what
``storage="sqlite:///..."`` gives in Optuna), in the same process on the same
work, interleaved, medians over seeds. The in-memory runs of both libraries
are shown for context: the difference is what the storage costs.

Durability differs by default: sktune runs SQLite in WAL mode with
``synchronous=NORMAL`` (a crash of the process loses nothing; a power cut may
lose the last commits, never consistency); Optuna's SQLAlchemy default
(rollback journal, ``synchronous=FULL``) syncs every commit to disk. The row
"sktune, SQLite, synchronous=FULL" removes that difference.

Run: ``python benchmarks/bench_storage.py`` (``--quick`` for a smoke run).
Bar (issue 6): sktune's per-trial cost on SQLite at most 1/3 of Optuna's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any


def objective(trial: Any) -> float:
    x = trial.suggest_float("x", -5.0, 5.0)
    lr = trial.suggest_float("lr", 1e-5, 1e-1, log=True)
    n = trial.suggest_int("n", 1, 100)
    c = trial.suggest_categorical("c", ["a", "b", "c"])
    return x * x + lr + n / 100 + (c == "a")


class Clock:
    """Callback that stamps the end of every trial."""

    def __init__(self) -> None:
        self.stamps: list[float] = []

    def __call__(self, study: Any, trial: Any) -> None:
        self.stamps.append(time.perf_counter())


def _run(make_study: Callable[[], Any], n_trials: int) -> tuple[float, float]:
    """Mean ms per trial over all trials and over the last tenth."""
    clock = Clock()
    start = time.perf_counter()
    study = make_study()
    study.optimize(objective, n_trials=n_trials, callbacks=[clock])
    total = (clock.stamps[-1] - start) / n_trials * 1e3
    tail = max(1, n_trials // 10)
    last = (clock.stamps[-1] - clock.stamps[-tail - 1]) / tail * 1e3
    return total, last


def _url(tmp: str, name: str) -> str:
    path = os.path.join(tmp, f"{name}.db")
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    return f"sqlite:///{path}"


def runners(tmp: str) -> dict[str, Callable[[int, int], tuple[float, float]]]:
    import optuna

    import sktune

    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def sk_sqlite(n: int, seed: int) -> tuple[float, float]:
        url = _url(tmp, "sktune")
        return _run(
            lambda: sktune.create_study(
                storage=url, sampler=sktune.samplers.TPESampler(seed=seed)
            ),
            n,
        )

    class FsyncStorage(sktune.storages.SQLiteStorage):
        # Every commit synced to disk, as Optuna's SQLite default does.
        def _open(self) -> Any:
            conn = super()._open()
            conn.execute("PRAGMA synchronous = FULL")
            return conn

    def sk_sqlite_full(n: int, seed: int) -> tuple[float, float]:
        url = _url(tmp, "sktune_full")
        return _run(
            lambda: sktune.create_study(
                storage=FsyncStorage(url),
                sampler=sktune.samplers.TPESampler(seed=seed),
            ),
            n,
        )

    def op_sqlite(n: int, seed: int) -> tuple[float, float]:
        url = _url(tmp, "optuna")
        return _run(
            lambda: optuna.create_study(
                storage=url, sampler=optuna.samplers.TPESampler(seed=seed)
            ),
            n,
        )

    def sk_memory(n: int, seed: int) -> tuple[float, float]:
        return _run(
            lambda: sktune.create_study(sampler=sktune.samplers.TPESampler(seed=seed)),
            n,
        )

    def op_memory(n: int, seed: int) -> tuple[float, float]:
        return _run(
            lambda: optuna.create_study(sampler=optuna.samplers.TPESampler(seed=seed)),
            n,
        )

    return {
        "sktune, SQLite": sk_sqlite,
        "optuna, SQLite": op_sqlite,
        "sktune, SQLite, synchronous=FULL": sk_sqlite_full,
        "sktune, in memory": sk_memory,
        "optuna, in memory": op_memory,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--n-trials", type=int, default=1000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument(
        "--no-memory", action="store_true", help="skip the in-memory context runs"
    )
    args = parser.parse_args(argv)
    n_trials = 10 if args.quick else args.n_trials
    seeds = list(range(1 if args.quick else args.seeds))
    with tempfile.TemporaryDirectory() as tmp:
        runs = runners(tmp)
        if args.no_memory:
            runs = {k: v for k, v in runs.items() if "SQLite" in k}
        for run in runs.values():  # warm-up: imports, caches
            run(3, 0)
        results: dict[str, list[tuple[float, float]]] = {k: [] for k in runs}
        for seed in seeds:
            for name, run in runs.items():
                results[name].append(run(n_trials, seed))

    import optuna

    import sktune

    total = {k: [r[0] for r in v] for k, v in results.items()}
    last = {k: [r[1] for r in v] for k, v in results.items()}
    ratios = [s / o for s, o in zip(total["sktune, SQLite"], total["optuna, SQLite"])]
    print(
        f"{n_trials} trials, TPESampler (defaults), trivial 4-parameter objective; "
        f"median over {len(seeds)} seeds; sktune {sktune.__version__}, "
        f"optuna {optuna.__version__}"
    )
    print()
    print(
        "| run | ms per trial (median) | ms per trial, last 10% (median) | per seed |"
    )
    print("|---|---|---|---|")
    for name in results:
        per_seed = ", ".join(f"{t:.2f}" for t in total[name])
        print(
            f"| {name} | {statistics.median(total[name]):.2f} "
            f"| {statistics.median(last[name]):.2f} | {per_seed} |"
        )
    print()
    ratio = statistics.median(ratios)
    print(
        f"sktune / optuna on SQLite, per trial: median ratio {ratio:.3f} "
        f"(per seed: {', '.join(f'{r:.3f}' for r in ratios)}); bar <= 0.333: "
        f"{'met' if ratio <= 1 / 3 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
