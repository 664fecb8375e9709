"""``python -m sktune demo``: a real tuning run on data bundled with scikit-learn.

Two searches on the digits data set, each run by :class:`~sktune.TPESearchCV`
and by scikit-learn's ``RandomizedSearchCV`` with the same budget and the same
cross-validation splits:

1. a conditional search choosing between an SVC (log-scaled ``C`` and
   ``gamma``) and a random forest (``max_depth``, ``n_estimators``) as the last
   step of a Pipeline;
2. a search of an ``SGDClassifier`` (an estimator with ``partial_fit``) on a
   budget of training epochs: TPESearchCV trains it epoch by epoch, stops
   unpromising candidates early and spends the epochs saved on more
   candidates.

It prints progress and a short report, and writes the optimization-history and
parameter-importance plots of the first search as PNG files.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["add_arguments", "main"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the demo's options to ``parser``.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The ``demo`` sub-command's parser.

    Examples
    --------
    >>> import argparse
    >>> from sktune._demo import add_arguments
    >>> parser = argparse.ArgumentParser()
    >>> add_arguments(parser)
    >>> parser.parse_args(["--quick"]).n_iter is None
    True
    """
    parser.add_argument(
        "--n-iter",
        type=int,
        default=None,
        help="candidates per search (default: 30; 6 with --quick)",
    )
    parser.add_argument(
        "--n-jobs",
        type=int,
        default=None,
        help="candidates evaluated at once; -1 uses every core (the default; "
        "1 with --quick); 1 makes the run reproducible",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the searches (default: 0)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run of a few seconds on a subset of the data",
    )
    parser.add_argument(
        "--out",
        default="sktune-demo",
        help="folder for the PNG plots (default: ./sktune-demo)",
    )


@dataclass
class _Run:
    """What the report needs from one fitted search."""

    name: str
    best_score: float
    best_params: dict[str, Any]
    n_candidates: int
    cost: int
    n_pruned: int | None
    seconds: float
    #: Standard error of the best candidate's mean CV score (fold std / sqrt(k)).
    std_error: float = 0.0
    search: Any = field(repr=False, default=None)


@dataclass
class _Settings:
    n_iter: int
    n_jobs: int
    seed: int
    cv_folds: int
    pruned_folds: int
    n_samples: int | None
    max_trees: int
    max_epochs: int


# -- formatting -------------------------------------------------------------------
def _fmt_value(value: Any) -> str:
    if hasattr(value, "get_params"):
        return type(value).__name__
    if isinstance(value, float):
        return f"{value:.3g}"
    if hasattr(value, "item"):  # numpy scalars
        return _fmt_value(value.item())
    return repr(value)


def _fmt_params(params: dict[str, Any]) -> str:
    """``{"clf": SVC(), "clf__C": 3.1}`` -> ``SVC(C=3.1)``."""
    head = ""
    rest = {}
    for key, value in params.items():
        if hasattr(value, "get_params"):
            head = type(value).__name__
        else:
            rest[key.rsplit("__", 1)[-1]] = value
    inner = ", ".join(f"{k}={_fmt_value(v)}" for k, v in sorted(rest.items()))
    return f"{head}({inner})" if head else inner


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(w) for cell, w in zip(row[1:], widths[1:])]
        lines.append("  " + "   ".join(cells).rstrip())
    return "\n".join(lines)


# -- the searches -----------------------------------------------------------------
def _load_data(n_samples: int | None, seed: int) -> tuple[Any, Any]:
    import numpy as np
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    if n_samples is not None and n_samples < len(y):
        keep = np.random.default_rng(seed).permutation(len(y))[:n_samples]
        X, y = X[keep], y[keep]
    # Pixels are 0..16; a fixed scale (not fitted, so no leakage across folds).
    return X / 16.0, y


def _progress_callback(label: str, n_iter: int | None) -> Callable[[Any, Any], None]:
    """A TPESearchCV callback printing each new best candidate."""
    best = [-math.inf]

    def callback(study: Any, trial: Any) -> None:
        from sktune.study import TrialState

        if trial.state == TrialState.COMPLETE and trial.value > best[0]:
            best[0] = trial.value
            total = "" if n_iter is None else f"/{n_iter}"
            print(
                f"    {label} candidate {trial.number + 1:>3}{total}: "
                f"new best {trial.value:.4f}",
                flush=True,
            )

    return callback


def _std_error(results: dict[str, Any], index: int) -> float:
    """Standard error of a candidate's mean test score over its folds run."""
    import numpy as np

    scores = [
        float(results[key][index])
        for key in results
        if key.startswith("split") and key.endswith("_test_score")
    ]
    scores = [x for x in scores if math.isfinite(x)]
    if len(scores) < 2:
        return 0.0
    return float(np.std(scores) / math.sqrt(len(scores)))


def _fit(
    name: str,
    make: Callable[[], Any],
    X: Any,
    y: Any,
    cost: Callable[[dict[str, Any]], int],
) -> _Run:
    """Fit a search; ``cost(cv_results_)`` is the budget it spent."""
    import numpy as np

    print(f"  {name} ...", flush=True)
    start = time.perf_counter()
    with warnings.catch_warnings():
        # Bad candidates (tiny alpha, few iterations) may not converge: that is
        # what the search is there to find out.
        warnings.simplefilter("ignore", category=UserWarning)
        warnings.filterwarnings("ignore", message=".*converge")
        search = make().fit(X, y)
    seconds = time.perf_counter() - start
    results = search.cv_results_
    n_candidates = len(results["params"])
    n_pruned = None
    if "state" in results:
        n_pruned = int(np.sum(np.asarray(results["state"]) == "PRUNED"))
    print(
        f"  {name} done: best {search.best_score_:.4f} in {seconds:.1f} s",
        flush=True,
    )
    return _Run(
        name=name,
        best_score=float(search.best_score_),
        best_params=dict(search.best_params_),
        n_candidates=n_candidates,
        cost=cost(results),
        n_pruned=n_pruned,
        seconds=seconds,
        search=search,
        std_error=_std_error(results, search.best_index_),
    )


def _conditional_search(X: Any, y: Any, s: _Settings) -> tuple[_Run, _Run]:
    from scipy.stats import loguniform, randint
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from sktune import TPESearchCV

    pipe = Pipeline([("scale", StandardScaler()), ("clf", SVC())])
    # A list of dicts is a conditional space: a branch, then its parameters.
    space = [
        {
            "clf": [SVC()],
            "clf__C": loguniform(1e-2, 1e3),
            "clf__gamma": loguniform(1e-5, 1e0),
        },
        {
            "clf": [RandomForestClassifier(random_state=s.seed)],
            "clf__max_depth": randint(2, 21),
            "clf__n_estimators": randint(10, s.max_trees + 1),
        },
    ]
    cv = StratifiedKFold(s.cv_folds, shuffle=True, random_state=s.seed)
    common = dict(n_iter=s.n_iter, cv=cv, n_jobs=s.n_jobs, random_state=s.seed)
    print(
        f"\n[1/2] SVC or random forest, {s.n_iter} candidates x "
        f"{s.cv_folds} folds each",
        flush=True,
    )
    tpe = _fit(
        "TPESearchCV",
        lambda: TPESearchCV(
            pipe,
            space,
            callbacks=[_progress_callback("TPE", s.n_iter)],
            **common,
        ),
        X,
        y,
        lambda results: len(results["params"]) * s.cv_folds,
    )
    rnd = _fit(
        "RandomizedSearchCV",
        lambda: RandomizedSearchCV(pipe, space, **common),
        X,
        y,
        lambda results: len(results["params"]) * s.cv_folds,
    )
    return tpe, rnd


def _epochs_budget_callback(budget: int, n_folds: int) -> Callable[[Any, Any], None]:
    """A callback stopping the search once its candidates have trained
    ``budget`` epochs in all (each candidate reports at the epoch it reached,
    on every fold)."""

    def callback(study: Any, trial: Any) -> None:
        spent = sum(
            (t.last_step or 0) * n_folds
            for t in study.get_trials(deepcopy=False)
            if t.state.is_finished()
        )
        if spent >= budget:
            study.stop()

    return callback


def _pruned_search(X: Any, y: Any, s: _Settings) -> tuple[_Run, _Run]:
    import numpy as np
    from scipy.stats import loguniform
    from sklearn.linear_model import SGDClassifier
    from sklearn.model_selection import RandomizedSearchCV, StratifiedKFold

    from sktune import TPESearchCV
    from sktune.pruners import MedianPruner

    epochs = s.max_epochs
    estimator = SGDClassifier(max_iter=epochs, tol=None, random_state=s.seed)
    space = {
        "alpha": loguniform(1e-7, 1e0),
        "loss": ["hinge", "log_loss", "modified_huber", "perceptron"],
        "penalty": ["l2", "l1", "elasticnet"],
    }
    folds = s.pruned_folds
    cv = StratifiedKFold(folds, shuffle=True, random_state=s.seed)
    common = dict(cv=cv, n_jobs=s.n_jobs, random_state=s.seed)
    # The budget is the epochs RandomizedSearchCV trains (every candidate,
    # every fold, max_iter epochs). TPESearchCV trains with partial_fit, one
    # epoch at a time, prunes between steps, and spends what it saves on more
    # candidates (up to four times as many), stopping at the same budget.
    budget = s.n_iter * folds * epochs
    print(
        f"\n[2/2] SGDClassifier trained with partial_fit, a budget of {budget} "
        f"epochs ({s.n_iter} candidates x {folds} folds x {epochs} epochs)",
        flush=True,
    )
    tpe = _fit(
        "TPESearchCV",
        lambda: TPESearchCV(
            estimator,
            space,
            n_iter=4 * s.n_iter,
            pruner=MedianPruner(n_startup_trials=max(2, min(5, s.n_iter // 4))),
            resource="epochs",
            callbacks=[
                _epochs_budget_callback(budget, folds),
                _progress_callback("TPE", None),
            ],
            **common,
        ),
        X,
        y,
        lambda results: int(np.sum(results["n_resources"])) * folds,
    )
    rnd = _fit(
        "RandomizedSearchCV",
        lambda: RandomizedSearchCV(estimator, space, n_iter=s.n_iter, **common),
        X,
        y,
        lambda results: len(results["params"]) * folds * epochs,
    )
    return tpe, rnd


# -- report -----------------------------------------------------------------------
def _verdict(tpe: _Run, rnd: _Run, unit: str = "fits") -> str:
    diff = tpe.best_score - rnd.best_score
    fits = (
        f"{tpe.n_candidates} candidates in {tpe.cost} {unit}, against "
        f"{rnd.n_candidates} in {rnd.cost}"
    )
    # A difference within the standard error of the best scores is noise.
    noise = max(tpe.std_error, rnd.std_error)
    if abs(diff) <= noise:
        return (
            f"A tie: the difference, {diff:+.4f} accuracy for TPESearchCV, is "
            f"within the cross-validation noise (standard error {noise:.4f}). "
            f"Budget: {fits}."
        )
    if diff > 0:
        return (
            f"TPESearchCV found a better model: +{diff:.4f} accuracy. Budget: {fits}."
        )
    return (
        f"RandomizedSearchCV found a better model on this seed: {diff:+.4f} "
        f"accuracy for TPESearchCV. Budget: {fits}. Small budgets are noisy; "
        "try other --seed values or a larger --n-iter."
    )


def _section(title: str, tpe: _Run, rnd: _Run, cost_label: str = "fits spent") -> str:
    def pruned(run: _Run) -> str:
        return "-" if run.n_pruned is None else str(run.n_pruned)

    rows = [
        ["", "TPESearchCV", "RandomizedSearchCV"],
        ["best CV accuracy", f"{tpe.best_score:.4f}", f"{rnd.best_score:.4f}"],
        ["candidates", str(tpe.n_candidates), str(rnd.n_candidates)],
        [cost_label, str(tpe.cost), str(rnd.cost)],
        ["pruned candidates", pruned(tpe), pruned(rnd)],
        ["seconds", f"{tpe.seconds:.1f}", f"{rnd.seconds:.1f}"],
    ]
    return "\n".join(
        [
            title,
            _table(rows),
            f"  best parameters, TPESearchCV:        {_fmt_params(tpe.best_params)}",
            f"  best parameters, RandomizedSearchCV: {_fmt_params(rnd.best_params)}",
            f"  {_verdict(tpe, rnd, cost_label.split()[0])}",
        ]
    )


def _write_plots(search: Any, out: Path) -> list[Path]:
    """Write the optimization-history and importance plots; [] without
    matplotlib (a message says which extra to install)."""
    try:
        import matplotlib
    except ImportError:
        print("\nPlots skipped: they need matplotlib (pip install 'sktune[plot]').")
        return []
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        from sktune.visualization import (
            plot_optimization_history,
            plot_param_importances,
        )
    except ImportError as exc:
        print(f"\nPlots skipped: {exc}.")
        return []

    written = []
    for filename, plot in (
        ("optimization_history.png", plot_optimization_history),
        ("param_importances.png", _importances_plotter(plot_param_importances)),
    ):
        ax = plot(search)
        path = out / filename
        try:
            ax.figure.savefig(path, dpi=100, bbox_inches="tight")
        except OSError as exc:
            print(f"\nPlot skipped: cannot write {os.fspath(path)!r}: {exc}.")
            continue
        finally:
            plt.close(ax.figure)
        written.append(path)
    return written


def _importances_plotter(plot: Callable[..., Any]) -> Callable[[Any], Any]:
    """``plot_param_importances`` without the branch index ``__space__``.

    The branches of the conditional space set the ``clf`` step to different
    estimators, so ``clf`` already stands for the choice of model; the branch
    index would split its importance.
    """

    def draw(search: Any) -> Any:
        names = {n for t in search.study_.trials for n in t.distributions}
        return plot(search, params=sorted(names - {"__space__"}))

    return draw


def _settings(args: argparse.Namespace) -> _Settings:
    from sktune.exceptions import InvalidParameterError

    n_iter = args.n_iter if args.n_iter is not None else (6 if args.quick else 30)
    if n_iter < 1:
        raise InvalidParameterError(
            f"The '--n-iter' option of sktune demo must be an int >= 1. "
            f"Got {n_iter} instead."
        )
    n_jobs = args.n_jobs if args.n_jobs is not None else (1 if args.quick else -1)
    if n_jobs == 0:
        raise InvalidParameterError(
            "The '--n-jobs' option of sktune demo must be a non-zero int. "
            f"Got {n_jobs} instead."
        )
    if not 0 <= args.seed < 2**32:
        raise InvalidParameterError(
            "The '--seed' option of sktune demo must be an int in [0, 2**32). "
            f"Got {args.seed} instead."
        )
    return _Settings(
        n_iter=n_iter,
        n_jobs=n_jobs,
        seed=args.seed,
        cv_folds=2 if args.quick else 3,
        pruned_folds=3,
        n_samples=400 if args.quick else None,
        max_trees=30 if args.quick else 50,
        max_epochs=8 if args.quick else 16,
    )


def main(args: argparse.Namespace) -> int:
    """Run the demo; returns the exit code.

    Parameters
    ----------
    args : argparse.Namespace
        The options of :func:`add_arguments`: ``n_iter``, ``n_jobs``,
        ``seed``, ``quick`` and ``out``.

    Returns
    -------
    int
        0 on success, 2 for an invalid option.

    Examples
    --------
    The command line runs it::

        python -m sktune demo --quick --out /tmp/sktune-demo
    """
    from sktune.exceptions import InvalidParameterError

    try:
        s = _settings(args)
    except InvalidParameterError as exc:
        print(f"sktune demo: error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    try:  # (before any search: a run must not end in an unwritable folder)
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        print(
            f"sktune demo: error: the '--out' folder {os.fspath(out)!r} cannot be "
            f"created: {exc.strerror or exc}.",
            file=sys.stderr,
        )
        return 2
    X, y = _load_data(s.n_samples, s.seed)
    n_classes = len(set(y.tolist()))
    print(
        "sktune demo: TPESearchCV next to RandomizedSearchCV, same budget and "
        "same CV splits."
    )
    print(
        f"Data: scikit-learn's digits, {X.shape[0]} images of 8x8 pixels, "
        f"{n_classes} classes{' (a subset: --quick)' if s.n_samples else ''}. "
        f"Seed {s.seed}, n_jobs {s.n_jobs}."
    )
    start = time.perf_counter()
    tpe1, rnd1 = _conditional_search(X, y, s)
    tpe2, rnd2 = _pruned_search(X, y, s)
    plots = _write_plots(tpe1.search, out)
    total = time.perf_counter() - start

    print("\nReport")
    print("======")
    print(
        _section(
            "1. Conditional search: SVC (C, gamma on log scales) or "
            "RandomForest (max_depth, n_estimators)",
            tpe1,
            rnd1,
        )
    )
    print()
    print(
        _section(
            "2. SGDClassifier (alpha, loss, penalty), the same budget of epochs; "
            "TPESearchCV prunes between epochs with MedianPruner",
            tpe2,
            rnd2,
            "epochs trained",
        )
    )
    print()
    if plots:
        print("Plots of search 1:")
        for path in plots:
            print(f"  {os.fspath(path)}")
    print(f"Total time: {total:.1f} s.")
    return 0
