"""The search loop of TPESearchCV: ask, evaluate, tell, asynchronously.

With one job, trials run one after the other in the calling thread, with plain
calls (no joblib). With ``n`` jobs, ``n`` driver threads each run whole trials:
ask (under a lock, so the sampler sees every running trial), dispatch the
trial's work units through joblib, report and prune between units, tell. A
driver that finishes asks for the next trial at once: there is no barrier
between batches. The fold fits of all drivers share the joblib backend the
caller selected (loky's reusable executor, a thread pool, a dask cluster).
"""

from __future__ import annotations

import collections
import copy
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

import numpy as np
import sklearn

from sktune._frozen import FrozenTrial, TrialState
from sktune.exceptions import UpdateFinishedTrialError
from sktune.sklearn import _compat
from sktune.sklearn._evaluate import (
    ResourcePlan,
    Runner,
    SearchContext,
    evaluate_candidate,
    trial_value,
)
from sktune.sklearn._results import CV_ATTR, TrialRecord

_logger = logging.getLogger("sktune")

__all__ = ["Scheduler"]

#: System attribute marking a trial that repeated an evaluated point.
DUPLICATE_ATTR = "sktune:duplicate"
# Proposals of the sampler tried before a duplicate is replaced by a random
# point not evaluated yet.
_MAX_PROPOSALS = 3


class Scheduler:
    """Run up to ``n_trials`` trials of a search on ``study``.

    Parameters
    ----------
    study : Study
    space : SearchSpace
    context : SearchContext
        Data, splits, scorers and fit parameters of the search.
    plan : ResourcePlan
        How a candidate splits into work units.
    n_trials : int
        Trials to evaluate in this run.
    seen : set
        Point keys already evaluated (finite spaces only).
    n_workers : int
        Driver threads (1: trials run in the calling thread).
    parallel : bool
        Run each trial's units through joblib (else plain calls).
    pruning : bool
        Report after each unit and prune.
    timeout : float or None
        Seconds after which no new trial starts.
    callbacks : list of callables
        ``callback(study, frozen_trial)`` after each trial.
    progress_bar : object or None
        A tqdm bar updated once per trial.
    rng : numpy Generator
        Draws replacement points for duplicate proposals.
    first_free : bool, default=True
        Start the first trial even when ``timeout`` has already passed.
    queue : sequence of dict, default=()
        Fixed parameters (``enqueue_trial``'s) of points to run first, in
        order: each is enqueued just before the ask that takes it.
    """

    def __init__(
        self,
        study: Any,
        space: Any,
        context: SearchContext,
        plan: ResourcePlan,
        *,
        n_trials: int,
        seen: set,
        n_workers: int,
        parallel: bool,
        pruning: bool,
        timeout: float | None,
        callbacks: list[Callable[[Any, FrozenTrial], None]],
        progress_bar: Any,
        rng: np.random.Generator,
        first_free: bool = True,
        queue: Sequence[dict[str, Any]] = (),
    ) -> None:
        self.study = study
        self.space = space
        self.context = context
        self.plan = plan
        self.n_trials = n_trials
        self.seen = seen
        self.n_workers = n_workers
        self.parallel = parallel
        self.pruning = pruning
        self.callbacks = callbacks
        self.progress_bar = progress_bar
        self.rng = rng
        self.deadline = None if timeout is None else time.monotonic() + timeout
        #: Run the first trial whatever the timeout (a search needs one result).
        self.first_free = first_free
        #: Points to enqueue, one before each ask (an exhaustive search).
        self.queue = collections.deque(queue)
        self.finite = space.size is not None
        #: Repeats are replaced in finite spaces and finite branches.
        self.dedup = self.finite or space.has_finite_branch
        #: Outputs of every fold fit of this run (for the failure warning).
        #: Per trial number, the outputs of its folds that ran.
        self.outs: dict[int, list[dict[str, Any]]] = {}
        self._started = 0
        self._exhausted = False
        self._abort = False  # KeyboardInterrupt: fail running trials now
        self._stop_new = False  # an error: start nothing new
        self._lock = threading.Lock()
        #: Notified when a trial that is being told is done (see _run_trial).
        self._told = threading.Condition(self._lock)
        #: Trials past their fits, being told and given to the callbacks: an
        #: interrupt waits for them rather than failing them.
        self._finishing: set[int] = set()
        self._ask_lock = threading.Lock()
        self._callback_lock = threading.Lock()
        self._running: dict[int, Any] = {}
        #: The drivers' runner (several drivers only), aborted on Ctrl-C.
        self._runner: Runner | None = None
        # Candidate index of each trial of this run, given in ask order (the
        # order of cv_results_' rows), for scikit-learn's callback task ids.
        self._index_of: dict[int, int] = {}

    # -- budget ----------------------------------------------------------------
    def _claim(self) -> int | None:
        """Index of the next candidate of this run, or None to stop."""
        with self._lock:
            if (
                self._abort
                or self._stop_new
                or self._exhausted
                or self.study._stop_flag
                or self._started >= self.n_trials
                or (
                    self.deadline is not None
                    and (self._started > 0 or not self.first_free)
                    and time.monotonic() >= self.deadline
                )
            ):
                return None
            self._started += 1
            return self._started - 1

    # -- one trial ---------------------------------------------------------------
    def _ask(self) -> tuple[Any, dict[str, Any]] | None:
        """A new trial and its scikit-learn parameters, never a point already
        seen in a finite space or a finite branch of a conditional one; None
        when every point of a finite space has been seen."""
        study, space = self.study, self.space
        with self._ask_lock:
            if self._abort or self._stop_new:
                return None
            for attempt in range(_MAX_PROPOSALS + 1):
                last = attempt == _MAX_PROPOSALS
                if (
                    self.queue
                    and not last
                    and not study.get_trials(
                        deepcopy=False, states=(TrialState.WAITING,)
                    )
                ):
                    # The ask takes the oldest waiting trial: a point is
                    # queued only when none waits (the user's enqueued trials
                    # go first, and one found a duplicate leaves the next
                    # attempt to the queue), so that a search stopped early
                    # leaves none of its own.
                    study.enqueue_trial(self.queue.popleft())
                if last and self.finite:
                    point = space.draw_unseen(self.rng, self.seen)
                    if point is None:
                        self._exhausted = True
                        return None
                    study.enqueue_trial(space.to_enqueue(point))
                elif last:
                    # Another branch: a continuous one, or an unseen point of
                    # a finite one.
                    point = space.draw_replacement(self.rng, self.seen)
                    if point is not None:
                        study.enqueue_trial(space.to_enqueue(point))
                trial = study.ask()
                try:
                    params = space.suggest(trial)
                except BaseException:
                    study.tell(trial, state=TrialState.FAIL)
                    raise
                if not self.dedup:
                    return self._register(trial), params
                key = space.point_key(trial.params)
                if not self.finite and (last or not space.in_finite_branch(key)):
                    if space.in_finite_branch(key):
                        self.seen.add(key)
                    return self._register(trial), params
                if key not in self.seen:
                    self.seen.add(key)
                    if self.finite and len(self.seen) >= space.size:
                        self._exhausted = True
                    return self._register(trial), params
                trial.set_system_attr(DUPLICATE_ATTR, True)
                study.tell(trial, state=TrialState.FAIL)
        raise AssertionError("unreachable")  # pragma: no cover

    def _register(self, trial: Any) -> Any:
        # (Under the ask lock: indices follow trial numbers.)
        with self._lock:
            self._running[trial.number] = trial
            self._index_of[trial.number] = len(self._index_of)
        return trial

    def _run_trial(self, claimed: int, runner: Runner) -> None:
        # ``claimed`` only counts the budget: with several drivers, another
        # may ask before this one, so the index comes from the ask order.
        asked = self._ask()
        if asked is None:
            return
        trial, params = asked
        with self._lock:
            candidate = self._index_of[trial.number]
        try:
            outs, pruned = evaluate_candidate(
                trial,
                params,
                candidate,
                self.context,
                self.plan,
                runner,
                pruning=self.pruning,
                should_stop=lambda: self._abort,
            )
        except BaseException as exc:
            with self._lock:
                self._running.pop(trial.number, None)
            if isinstance(exc, UpdateFinishedTrialError):
                self._lost(trial)
                return
            self._fail(trial)
            raise
        # Told FAIL if interrupted by now; otherwise the interrupt waits
        # until this trial is told and its callbacks have run, so that no
        # trial of this search finishes (and no callback runs) after fit
        # has raised.
        with self._lock:
            aborted = self._abort
            if aborted:
                self._running.pop(trial.number, None)
            else:
                self._finishing.add(trial.number)
        if aborted:
            self._fail(trial)
            return
        try:
            try:
                frozen = self._finish(trial, params, outs, pruned)
            except UpdateFinishedTrialError:
                self._lost(trial)
                return
            with self._callback_lock:
                if self.progress_bar is not None:
                    self.progress_bar.update(1)
                for callback in self.callbacks:
                    callback(self.study, frozen)
        finally:
            with self._told:
                self._running.pop(trial.number, None)
                self._finishing.discard(trial.number)
                self._told.notify_all()

    def _finish(
        self,
        trial: Any,
        params: dict[str, Any],
        outs: list[dict[str, Any] | None],
        pruned: bool,
    ) -> FrozenTrial:
        done = [o for o in outs if o is not None]
        with self._lock:
            self.outs[trial.number] = done
        record = TrialRecord(trial.number, params, TrialState.RUNNING, outs)
        trial.set_user_attr(CV_ATTR, record.to_json())
        if pruned:
            return self.study.tell(trial, state=TrialState.PRUNED)
        value = trial_value(outs, self.context.metric)
        if np.isnan(value):
            return self.study.tell(trial, state=TrialState.FAIL)
        return self.study.tell(trial, value)

    def _lost(self, trial: Any) -> None:
        """Another process failed the trial as stale (no heartbeat within the
        storage's grace period): its folds are lost, the search goes on."""
        _logger.warning(
            "Trial %d was marked failed by another process while it ran (no "
            "heartbeat within the storage's grace period); its folds are lost.",
            trial.number,
        )

    def _fail(self, trial: Any) -> None:
        self.study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)

    # -- loops -------------------------------------------------------------------
    def run(self) -> None:
        """Run the trials; exceptions of fits (``error_score="raise"``) and
        KeyboardInterrupt propagate after the running trials are told FAIL."""
        self.study._stop_flag = False
        kind = _pool_kind()
        try:
            with self.study._in_loop():  # callbacks may call study.stop()
                if self.n_workers == 1 or kind == "process per call":
                    # joblib's multiprocessing backend starts a pool of n_jobs
                    # processes per call: one trial at a time, its folds on
                    # them.
                    runner = Runner(self.context, parallel=self.parallel)
                    while (candidate := self._claim()) is not None:
                        self._run_trial(candidate, runner)
                else:
                    self._run_threads(kind)
        finally:
            self.study._stop_flag = False

    def _interrupt(self, pool: ThreadPoolExecutor) -> None:
        """On KeyboardInterrupt: fail the running trials now, without waiting
        for their fits in flight, and wait for the trials past their fits
        (being told, their callbacks running), so that the study no longer
        changes once this returns."""
        # No ask is in progress once the ask lock is ours; later ones stop.
        with self._ask_lock, self._lock:
            self._abort = True
            running = [t for n, t in self._running.items() if n not in self._finishing]
        for trial in running:
            self._fail(trial)
        # End the fits in flight (loky kills its workers), as joblib does when
        # Ctrl-C reaches the thread of a Parallel call: here it reaches the
        # main thread while the drivers are in their calls.
        if self._runner is not None:
            self._runner.abort()
        with self._told:
            while self._finishing:
                self._told.wait()
        pool.shutdown(wait=False, cancel_futures=True)

    def _run_threads(self, kind: str) -> None:
        enter = _thread_context()
        n_jobs = self.context.n_jobs or 1
        if kind == "threads per call":
            # Each call opens its own n_jobs threads: share n_jobs between the
            # drivers, or they would run n_jobs * n_workers fits at once.
            n_jobs = max(1, n_jobs // self.n_workers)
        runner = self._runner = Runner(self.context, parallel=True, n_jobs=n_jobs)

        def drive(candidate: int) -> None:
            with enter(), self.study._in_loop():
                self._run_trial(candidate, runner)

        pool = ThreadPoolExecutor(self.n_workers, thread_name_prefix="sktune")
        futures: set[Future[None]] = set()
        done: set[Future[None]] = set()
        try:
            while True:
                while len(futures) < self.n_workers:
                    candidate = self._claim()
                    if candidate is None:
                        break
                    futures.add(pool.submit(drive, candidate))
                if not futures:
                    break
                done, futures = wait(futures, return_when=FIRST_COMPLETED)
                for f in done:
                    f.result()
        except KeyboardInterrupt:
            self._interrupt(pool)
            raise
        except BaseException:
            # Start nothing new; let the running trials finish and be told.
            self._stop_new = True
            try:
                wait(futures)
            except KeyboardInterrupt:  # Ctrl-C while waiting
                self._interrupt(pool)
                raise
            pool.shutdown()
            # A KeyboardInterrupt in a loky worker makes joblib shut the
            # shared executor down, so the other drivers' calls fail with a
            # RuntimeError that may come first: the interrupt is the cause.
            for f in (*done, *futures):
                if not f.cancelled() and isinstance(f.exception(), KeyboardInterrupt):
                    raise f.exception() from None
            raise
        pool.shutdown()


def _pool_kind() -> str:
    """How the active joblib backend provides workers to each call:
    ``"shared"`` (one pool for every call of the process: loky's reusable
    executor, dask, and any other backend), ``"threads per call"``
    (threading) or ``"process per call"`` (multiprocessing)."""
    from joblib._parallel_backends import MultiprocessingBackend, ThreadingBackend
    from joblib.parallel import get_active_backend

    backend, _ = get_active_backend()
    if isinstance(backend, ThreadingBackend):
        return "threads per call"
    if isinstance(backend, MultiprocessingBackend):
        return "process per call"
    return "shared"


def _thread_context() -> Callable[[], Any]:
    """Capture the caller's scikit-learn and joblib configuration (both are
    thread-local) so that driver threads run under the same settings."""
    sk_config = sklearn.get_config()
    joblib_config = _compat.joblib_config()

    @contextmanager
    def enter() -> Iterator[None]:
        with sklearn.config_context(**sk_config):
            if joblib_config is None:
                yield
                return
            # A backend object keeps per-call state: one copy per thread.
            config = dict(joblib_config)
            backend = config.get("backend")
            if _compat.is_backend(backend):
                config["backend"] = copy.copy(backend)
            with _compat.joblib_config_set(config):
                yield

    return enter
