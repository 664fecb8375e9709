"""Evaluation of one candidate as a sequence of work units.

A *work unit* is ``(fold, step)``: one fit-and-score of the candidate on one
cross-validation fold, at one resource step. After each unit the driver may
report an intermediate value to the trial and ask the pruner whether to go on:
pruning decisions are taken here, in the driver, never in a worker, so they
work on every joblib backend.

Resource kinds plug in as :class:`ResourcePlan` subclasses (see
:func:`make_resource_plan`):

* ``"folds"`` (what ``resource="auto"`` means today): one unit per fold, step
  0; after fold ``i`` the running mean of the test scores of the folds done is
  reported at step ``i``.
* ``"epochs"`` (``partial_fit`` in steps) and ``"estimators"``
  (``warm_start`` ensembles that grow), in :mod:`sktune.sklearn._resources`:
  several steps per fold, all folds of a step in one batch. A plan decides the
  batches of units, the task a unit runs (given the state the fold's previous
  unit returned under :data:`STATE_KEY`), what is reported after a batch and
  how the best candidate is refit; the scheduler does not change.
"""

from __future__ import annotations

import math
import threading
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.utils.parallel import Parallel, delayed

from sktune.sklearn import _compat

__all__ = [
    "FoldsPlan",
    "ResourcePlan",
    "SearchContext",
    "WorkUnit",
    "evaluate_candidate",
    "make_resource_plan",
    "trial_value",
]

#: Key of a unit's output holding the state passed to the fold's next unit.
STATE_KEY = "_state"
#: Values of TPESearchCV's ``resource`` parameter.
RESOURCES = ("auto", "folds", "epochs", "estimators")


@dataclass(frozen=True)
class WorkUnit:
    """One fit-and-score: a fold and a resource step."""

    fold: int
    step: int = 0


@dataclass
class SearchContext:
    """What every fold fit of one ``fit`` call shares."""

    estimator: Any
    X: Any
    y: Any
    splits: list[tuple[np.ndarray, np.ndarray]]
    scorers: Any
    fit_params: dict[str, Any]
    score_params: dict[str, Any]
    return_train_score: bool
    error_score: Any
    verbose: int
    n_candidates: int
    metric: str | None = None
    # Set by the scheduler: joblib settings of parallel runs.
    n_jobs: int | None = None
    pre_dispatch: Any = "2*n_jobs"
    extra: dict[str, Any] = field(default_factory=dict)
    # scikit-learn's callbacks (>= 1.9, ``set_callbacks``): the contexts of the
    # evaluations by (candidate, fold), made before any task is dispatched
    # (a context tree must not change while a task holding it is pickled),
    # and the estimator their hooks receive. Empty without callbacks.
    callback_contexts: dict[tuple[int, int], Any] = field(default_factory=dict)
    caller: Any = None

    @property
    def n_splits(self) -> int:
        """Number of folds."""
        return len(self.splits)

    def task(
        self, params: Mapping[str, Any], unit: WorkUnit, candidate: int
    ) -> tuple[Callable[..., Any], tuple, dict[str, Any]]:
        """``(function, args, kwargs)`` that evaluates ``unit`` of a candidate."""
        train, test = self.splits[unit.fold]
        kwargs = {
            "train": train,
            "test": test,
            "parameters": dict(params),
            "split_progress": (unit.fold, self.n_splits),
            "candidate_progress": (candidate, self.n_candidates),
            "scorer": self.scorers,
            "fit_params": self.fit_params,
            "score_params": self.score_params,
            "return_train_score": self.return_train_score,
            "return_n_test_samples": True,
            "return_times": True,
            "return_parameters": False,
            "error_score": self.error_score,
            "verbose": self.verbose,
        }
        ctx = self.callback_contexts.get((candidate, unit.fold))
        if ctx is not None:
            kwargs["caller"] = self.caller
            kwargs["callback_ctx"] = ctx
        return _compat.fit_and_score, (clone(self.estimator), self.X, self.y), kwargs


def trial_value(outs: Sequence[dict[str, Any] | None], metric: str | None) -> float:
    """Mean test score (of ``metric`` for multi-metric scoring) over the folds
    run; NaN when a fold failed with ``error_score=nan``."""
    scores = [_metric_score(o["test_scores"], metric) for o in outs if o is not None]
    if not scores:
        return math.nan
    return float(np.mean(scores))


def _metric_score(scores: Any, metric: str | None) -> float:
    if isinstance(scores, Mapping):
        key = metric if metric in scores else next(iter(scores))
        return float(scores[key])
    return float(scores)


class ResourcePlan:
    """How a candidate is split into work units, and what is reported.

    Subclass it to add a resource kind; :class:`FoldsPlan` is the reference.
    """

    #: Whether every unit may be dispatched at once when nothing is pruned.
    batchable = True
    #: Whether a fold runs several units, each from the state of the last.
    stepped = False

    def for_estimator(self, estimator: Any) -> ResourcePlan:
        """The plan of one candidate, ``estimator`` being its estimator with
        its parameters set (this plan itself, unless the kind is chosen per
        candidate)."""
        return self

    def units(self, context: SearchContext) -> list[WorkUnit]:
        """The units of one candidate, in the order they run."""
        raise NotImplementedError

    def report(
        self,
        context: SearchContext,
        outs: Sequence[dict[str, Any] | None],
        unit: WorkUnit,
    ) -> tuple[int, float] | None:
        """``(step, value)`` to report after ``unit``, or None."""
        raise NotImplementedError

    def batched_units(
        self,
        context: SearchContext,
        params: Mapping[str, Any],
        pruning: bool,
        study: Any = None,
    ) -> list[list[WorkUnit]]:
        """The units of a candidate in batches: the units of a batch run at
        once, and a report (with ``pruning``) follows each batch. ``study``
        is the study the candidate's trial belongs to (or None)."""
        units = self.units(context)
        if not pruning and self.batchable:
            return [units]
        return [[u] for u in units]

    def task(
        self,
        context: SearchContext,
        params: Mapping[str, Any],
        unit: WorkUnit,
        candidate: int,
        state: Any,
    ) -> tuple[Callable[..., Any], tuple, dict[str, Any]]:
        """``(function, args, kwargs)`` of ``unit``. ``state`` is what the
        fold's previous unit returned under ``"_state"`` (None at first)."""
        return context.task(params, unit, candidate)

    def refit(self, estimator: Any, X: Any, y: Any, fit_params: dict[str, Any]) -> Any:
        """Fit ``estimator`` (the best candidate) on all the data."""
        if y is None:
            return estimator.fit(X, **fit_params)
        return estimator.fit(X, y, **fit_params)


class FoldsPlan(ResourcePlan):
    """``resource="folds"``: one unit per fold; after fold ``i``, the running
    mean of the folds' test scores is reported at step ``i``.

    Examples
    --------
    >>> plan = FoldsPlan()
    >>> outs = [{"test_scores": 0.5}, {"test_scores": 0.7}, None]
    >>> plan.report(None, outs, WorkUnit(fold=1))
    (1, 0.6)
    """

    def units(self, context: SearchContext) -> list[WorkUnit]:
        return [WorkUnit(fold=i) for i in range(context.n_splits)]

    def report(
        self,
        context: SearchContext | None,
        outs: Sequence[dict[str, Any] | None],
        unit: WorkUnit,
    ) -> tuple[int, float] | None:
        metric = context.metric if context is not None else None
        value = trial_value(outs, metric)
        if math.isnan(value):
            return None
        return unit.fold, value


def make_resource_plan(
    resource: str,
    estimator: Any = None,
    *,
    pruning: bool = False,
    min_resources: int | str = "auto",
    max_resources: int | str = "auto",
    factor: int | str = "auto",
    pruner: Any = None,
    space_sources: Sequence[Mapping[str, Any]] = (),
    fit_params: Mapping[str, Any] | None = None,
) -> ResourcePlan:
    """The plan of a ``resource`` value; ``"auto"`` means ``"folds"`` without
    pruning (see :func:`sktune.sklearn._resources.choose_resource`).
    ``factor`` and ``pruner`` set the schedule of stepped plans;
    ``space_sources`` and ``fit_params`` are passed to
    :func:`sktune.sklearn._resources.make_plan`.

    Examples
    --------
    >>> type(make_resource_plan("auto")).__name__
    'FoldsPlan'
    """
    if resource == "folds" or (resource == "auto" and not pruning):
        return FoldsPlan()
    if resource not in RESOURCES or estimator is None:
        raise ValueError(f"Unknown resource {resource!r}.")  # validated before
    from sktune.sklearn._resources import make_plan

    return make_plan(
        resource,
        estimator,
        pruning=pruning,
        min_resources=min_resources,
        max_resources=max_resources,
        factor=factor,
        pruner=pruner,
        space_sources=space_sources,
        fit_params=fit_params,
    )


class _Raised:
    """An exception a task raised, returned as a value so that joblib never
    sees it: joblib answers an exception by aborting the pool, and loky's
    pool is shared by every candidate running at once."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
        # The traceback does not survive pickling from a worker process.
        self.traceback = "".join(traceback.format_exception(exc))


class TaskTraceback(Exception):
    """The traceback of an exception raised in a joblib worker process."""

    def __str__(self) -> str:
        return "\n" + str(self.args[0]) if self.args else ""


def _call_capturing(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    try:
        return func(*args, **kwargs)
    except KeyboardInterrupt:
        # Ctrl-C reaches the workers too, and must end their calls at once.
        raise
    except BaseException as exc:  # re-raised in the driver (Runner.run_tasks)
        # (SystemExit too: escaping a loky worker, it would shut the shared
        # pool down, and the other candidates' calls would fail with
        # joblib's RuntimeError instead.)
        return _Raised(exc)


class Aborted(BaseException):
    """A joblib call of the search was aborted by :meth:`Runner.abort` (the
    search is being interrupted); its trial is failed."""


class Runner:
    """Runs work units: plain calls (``n_jobs=1``) or through joblib.

    ``n_jobs`` is the number of jobs of each joblib call (by default the
    search's); an exception of a task is raised once the call's other tasks
    have finished, without aborting the pool. :meth:`abort`, from another
    thread, ends the calls in progress and every later one.
    """

    def __init__(
        self, context: SearchContext, parallel: bool, n_jobs: int | None = None
    ) -> None:
        self.context = context
        self.parallel = parallel
        self.n_jobs = context.n_jobs if n_jobs is None else n_jobs
        self._lock = threading.Lock()
        self._calls: set[Any] = set()  # joblib calls in progress
        self._aborted = False

    def abort(self) -> None:
        """Abort the joblib calls in progress (their tasks are cancelled or
        killed, as joblib does when a task fails) and refuse new ones."""
        with self._lock:
            self._aborted = True
            calls = list(self._calls)
        _compat.abort_calls(calls)

    def run(
        self,
        params: Mapping[str, Any],
        units: Sequence[WorkUnit],
        candidate: int,
    ) -> list[dict[str, Any]]:
        """Evaluate ``units`` of one candidate; results in the same order."""
        return self.run_tasks([self.context.task(params, u, candidate) for u in units])

    def run_tasks(
        self, tasks: Sequence[tuple[Callable[..., Any], tuple, dict[str, Any]]]
    ) -> list[Any]:
        """Run ``(function, args, kwargs)`` tasks; results in the same order."""
        if not self.parallel or len(tasks) == 0:
            return [f(*a, **k) for f, a, k in tasks]
        if self.n_jobs == 1:
            # joblib would run them one by one in this thread, where its abort
            # cannot reach: run them here, stopping between tasks on abort.
            # (The driver thread already runs under the caller's scikit-learn
            # config; warning filters are process-wide and left alone.)
            outs = []
            for f, a, k in tasks:
                if self._aborted:
                    raise Aborted()
                outs.append(_call_capturing(f, *a, **k))
            if self._aborted:  # the last fold ran past the abort: not reported
                raise Aborted()
            return self._outputs(outs)
        calls = (delayed(_call_capturing)(f, *a, **k) for f, a, k in tasks)
        kwargs = {"n_jobs": self.n_jobs, "pre_dispatch": self.context.pre_dispatch}
        try:
            parallel = Parallel(return_as="generator", **kwargs)
        except ValueError:  # a backend without it (multiprocessing): not abortable
            return self._outputs(Parallel(**kwargs)(calls))
        # As a generator, the call has begun (its run state is set) when it
        # returns, so abort() can end it from then on.
        outputs = parallel(calls)
        with self._lock:
            aborted = self._aborted
            self._calls.add(parallel)
        try:
            if aborted:
                _compat.abort_calls([parallel])
            outs = list(outputs)
        except Exception:
            # (An aborted loky call may fail with a killed worker's error.)
            if self._aborted:
                raise Aborted() from None
            raise
        finally:
            with self._lock:
                self._calls.discard(parallel)
        if self._aborted:  # an aborted call may return part of its outputs
            raise Aborted()
        return self._outputs(outs)

    @staticmethod
    def _outputs(outs: list[Any]) -> list[Any]:
        """``outs``, after raising the first exception a task captured."""
        for out in outs:
            if isinstance(out, _Raised):
                if out.exc.__traceback__ is None:  # (raised in another process)
                    raise out.exc from TaskTraceback(out.traceback)
                raise out.exc
        return outs


def evaluate_candidate(
    trial: Any,
    params: Mapping[str, Any],
    candidate: int,
    context: SearchContext,
    plan: ResourcePlan,
    runner: Runner,
    *,
    pruning: bool,
    should_stop: Callable[[], bool] = lambda: False,
) -> tuple[list[dict[str, Any] | None], bool]:
    """Run the units of one candidate; with ``pruning``, report after each unit
    and stop when the trial should be pruned.

    Returns
    -------
    outs : list
        One entry per fold: the last unit's output, or None if not run.
    pruned : bool
        Whether the pruner stopped the trial.
    """
    if type(plan).for_estimator is not ResourcePlan.for_estimator:
        plan = plan.for_estimator(
            clone(context.estimator).set_params(**clone(dict(params), safe=False))
        )
    batches = plan.batched_units(
        context, params, pruning, getattr(trial, "study", None)
    )
    outs: list[dict[str, Any] | None] = [None] * context.n_splits
    # Per fold, the state its last unit returned (stepped plans).
    states: dict[int, Any] = {}
    begun: list[Any] = []  # stepped plans: callback tasks begun by the driver
    # Stepped plans: folds that failed (no state to go on from) keep their
    # error_score while the others go on to the full resource.
    failed_folds: set[int] = set()
    try:
        for i, batch in enumerate(batches):
            if should_stop() and (i > 0 or pruning or not plan.batchable):
                break
            if failed_folds:
                batch = [u for u in batch if u.fold not in failed_folds]
                if not batch:
                    break
            if plan.stepped and context.callback_contexts:
                # A fold of a stepped plan runs in several units: its callback
                # task (scikit-learn >= 1.9) begins before the first, in the
                # driver, and ends after the last.
                for u in batch:
                    ctx = context.callback_contexts.pop((candidate, u.fold), None)
                    if ctx is not None:
                        data = _fold_hook_data(context, u.fold)
                        ctx.call_on_fit_task_begin(estimator=context.caller, **data)
                        begun.append((ctx, data))
            tasks = [
                plan.task(context, params, u, candidate, states.get(u.fold))
                for u in batch
            ]
            for unit, out in zip(batch, runner.run_tasks(tasks)):
                state = out.pop(STATE_KEY, None)
                if state is not None:
                    states[unit.fold] = state
                if plan.stepped and out.get("fit_error") is not None:
                    failed_folds.add(unit.fold)
                outs[unit.fold] = out
            if not pruning:
                continue
            reported = plan.report(context, outs, batch[-1])
            if reported is not None:
                trial.report(reported[1], step=reported[0])
                # After the last unit the candidate is fully trained: pruning it
                # would save nothing and hide its score, so it completes.
                if i < len(batches) - 1 and trial.should_prune():
                    return outs, True
        return outs, False
    finally:
        # After Ctrl-C the search tears its callbacks down without waiting for
        # this thread: no hook may follow.
        if not should_stop():
            for ctx, data in begun:
                ctx.call_on_fit_task_end(estimator=context.caller, **data)


def _fold_hook_data(context: SearchContext, fold: int) -> dict[str, Any]:
    """``X``, ``y`` and ``metadata`` of a fold's training rows for callback
    hooks, as callables: scikit-learn evaluates them only for hooks that ask."""
    train = context.splits[fold][0]
    weight = context.fit_params.get("sample_weight")
    return {
        "X": lambda: _compat._safe_indexing(context.X, train),
        "y": lambda: (
            None if context.y is None else _compat._safe_indexing(context.y, train)
        ),
        "metadata": None
        if weight is None
        else lambda: {"sample_weight": _compat._safe_indexing(weight, train)},
    }
