"""The loop behind :meth:`Study.optimize`: sequential or in threads."""

from __future__ import annotations

import gc
import logging
import math
import os
import threading
import time
import warnings
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

import numpy as np

from sktune._frozen import FrozenTrial, TrialState
from sktune._validation import is_int, is_real, param_error
from sktune.exceptions import TrialPruned, UpdateFinishedTrialError
from sktune.samplers._base import announce_budget
from sktune.study._trial import check_value

if TYPE_CHECKING:
    from sktune.study._study import CallbackType, ObjectiveFuncType, Study

_logger = logging.getLogger("sktune")


def _check_args(
    func: Any, n_trials: Any, timeout: Any, n_jobs: Any, catch: Any, callbacks: Any
) -> tuple[tuple[type[BaseException], ...], int, list[Any]]:
    owner = "Study.optimize"
    if not callable(func):
        raise param_error(owner, "func", "a callable", func)
    if n_trials is not None and (not is_int(n_trials) or n_trials < 0):
        raise param_error(owner, "n_trials", "an int >= 0 or None", n_trials)
    if timeout is not None and (
        not is_real(timeout) or math.isnan(timeout) or timeout < 0
    ):
        raise param_error(owner, "timeout", "a float >= 0 or None", timeout)
    if not is_int(n_jobs) or n_jobs == 0 or n_jobs < -1:
        raise param_error(owner, "n_jobs", "an int >= 1 or -1", n_jobs)
    rule = "an exception class or a tuple of them"
    if isinstance(catch, type):
        catch = (catch,)
    elif not isinstance(catch, Iterable) or isinstance(catch, str | bytes):
        raise param_error(owner, "catch", rule, catch)
    catch = tuple(catch)
    if not all(isinstance(c, type) and issubclass(c, BaseException) for c in catch):
        raise param_error(owner, "catch", rule, catch)
    if callbacks is None:
        callbacks = []
    elif isinstance(callbacks, Iterable) and not isinstance(callbacks, str | bytes):
        callbacks = list(callbacks)
    if not isinstance(callbacks, list) or not all(callable(c) for c in callbacks):
        raise param_error(owner, "callbacks", "a list of callables or None", callbacks)
    if n_jobs == -1:
        n_jobs = os.cpu_count() or 1
    return catch, int(n_jobs), callbacks


def tqdm_class() -> Any:
    """tqdm's class, or an ImportError naming the extra that provides it."""
    try:
        from tqdm.auto import tqdm
    except ImportError as exc:
        raise ImportError(
            "show_progress_bar=True needs tqdm: pip install 'sktune[progress]'."
        ) from exc
    return tqdm


def _progress_bar(show: bool, n_trials: int | None, timeout: float | None) -> Any:
    if not show:
        return None
    return tqdm_class()(total=n_trials, unit="trial", desc="sktune")


def run_trial(
    study: Study,
    func: ObjectiveFuncType,
    catch: tuple[type[BaseException], ...],
) -> FrozenTrial:
    """Ask, evaluate and tell one trial; re-raise what is not caught."""
    trial = study.ask()
    state: TrialState | None = None
    value: Any = None
    caught: BaseException | None = None
    try:
        value = func(trial)
    except TrialPruned:
        state = TrialState.PRUNED
    except BaseException as exc:
        if not isinstance(exc, (Exception, *catch)):
            # KeyboardInterrupt, SystemExit (unless caught): keep the record,
            # then propagate.
            study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
            raise
        state = TrialState.FAIL
        caught = exc
    if state is None and value is None:
        # Study.tell fails NaN and non-numbers with a warning; None too here.
        why = check_value(value)[1]
        warnings.warn(f"Trial {trial.number} failed: {why}", UserWarning, stacklevel=3)
        state = TrialState.FAIL
    try:
        frozen = study.tell(trial, value if state is None else None, state=state)
    except UpdateFinishedTrialError:
        # Another process failed the trial as stale (its heartbeat was late by
        # more than the storage's grace period): its result is lost, the
        # optimisation goes on.
        frozen = study._storage.get_trial(trial._trial_id)
        _logger.warning(
            "Trial %d was marked %s by another process while it ran (no "
            "heartbeat within the storage's grace period); its result is lost.",
            frozen.number,
            frozen.state.name,
        )
        if caught is None or isinstance(caught, (UpdateFinishedTrialError, *catch)):
            return frozen
        raise caught from None
    if caught is not None:
        if isinstance(caught, catch):
            _logger.warning("Trial %d failed with %r (caught).", frozen.number, caught)
        else:
            raise caught
    else:
        _logger.info(
            "Trial %d finished: %s, value=%r, params=%r",
            frozen.number,
            frozen.state.name,
            frozen.value,
            frozen.params,
        )
    return frozen


def run_optimize(
    study: Study,
    func: ObjectiveFuncType,
    *,
    n_trials: int | None,
    timeout: float | None,
    n_jobs: int,
    catch: Iterable[type[Exception]] | type[Exception],
    callbacks: list[CallbackType] | None,
    gc_after_trial: bool,
    show_progress_bar: bool,
) -> None:
    """Run trials until the budget is spent or the study is stopped."""
    catch_t, n_jobs, callbacks = _check_args(
        func, n_trials, timeout, n_jobs, catch, callbacks
    )
    for name, flag in (
        ("gc_after_trial", gc_after_trial),
        ("show_progress_bar", show_progress_bar),
    ):
        if not isinstance(flag, bool | np.bool_):
            raise param_error("Study.optimize", name, "a bool", flag)
    local = study._thread_local
    if getattr(local, "in_optimize", False):
        # As Optuna: an inner loop would reset the outer one's stop request
        # and budget.
        raise RuntimeError(
            "Nested optimization: Study.optimize was called from an objective "
            "or callback of the same study's optimize."
        )
    study._stop_flag = False
    deadline = None if timeout is None else time.monotonic() + timeout
    if n_trials is not None:
        announce_budget(
            study.sampler,
            study._storage.get_n_trials(study._study_id) + n_trials,
            study,
        )
    else:
        announce_budget(study.sampler, None, study)
    bar = _progress_bar(show_progress_bar, n_trials, timeout)
    lock = threading.Lock()
    started = 0

    def claim() -> bool:
        nonlocal started
        with lock:
            if study._stop_flag:
                return False
            if n_trials is not None and started >= n_trials:
                return False
            if deadline is not None and time.monotonic() >= deadline:
                return False
            started += 1
            return True

    def one() -> None:
        with study._in_loop():  # (in this worker thread)
            try:
                frozen = run_trial(study, func, catch_t)
                if bar is not None:
                    bar.update(1)
                for callback in callbacks:
                    callback(study, frozen)
            finally:
                if gc_after_trial:
                    gc.collect()

    try:
        with study._in_loop():
            if n_jobs == 1:
                while claim():
                    one()
            else:
                _run_threads(claim, one, n_jobs)
    finally:
        if bar is not None:
            bar.close()
        study._stop_flag = False


def _run_threads(claim: Any, one: Any, n_jobs: int) -> None:
    futures: set[Future[None]] = set()
    with ThreadPoolExecutor(max_workers=n_jobs) as pool:
        try:
            while True:
                while len(futures) < n_jobs and claim():
                    futures.add(pool.submit(one))
                if not futures:
                    break
                done, futures = wait(futures, return_when=FIRST_COMPLETED)
                for f in done:
                    f.result()
        except BaseException:
            for f in futures:
                f.cancel()
            wait(futures)
            raise
