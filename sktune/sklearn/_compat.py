"""The one place that imports scikit-learn's private helpers.

sktune supports scikit-learn >= 1.6 (the release that introduced
``__sklearn_tags__``). Every private name TPESearchCV reuses is imported here,
so that a change in scikit-learn is fixed in one module, and the tests marked
``sklearn_compat`` run against the oldest and the newest supported release.
"""

from __future__ import annotations

import inspect
import queue
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import joblib.parallel
import sklearn
from sklearn.base import _fit_context
from sklearn.metrics._scorer import _MultimetricScorer
from sklearn.model_selection._search import (
    BaseSearchCV,
    _yield_masked_array_for_each_param,
)
from sklearn.model_selection._validation import (
    _aggregate_score_dicts,
    _fit_and_score,
    _insert_error_scores,
    _normalize_score_results,
    _score,
    _warn_or_raise_about_fit_failures,
)
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metadata_routing import _routing_enabled
from sklearn.utils.validation import _check_method_params

__all__ = [
    "SKLEARN_VERSION",
    "BaseSearchCV",
    "HasMethods",
    "Interval",
    "StrOptions",
    "_MultimetricScorer",
    "_aggregate_score_dicts",
    "_check_method_params",
    "_fit_context",
    "_insert_error_scores",
    "_normalize_score_results",
    "_routing_enabled",
    "_safe_indexing",
    "_score",
    "_warn_or_raise_about_fit_failures",
    "_yield_masked_array_for_each_param",
    "expected_failed_checks",
    "fit_and_score",
    "inconsistent_splits_message",
    "is_backend",
    "joblib_config",
    "joblib_config_set",
]

SKLEARN_VERSION = tuple(int(p) for p in sklearn.__version__.split(".")[:2])

# Keyword arguments of _fit_and_score that not every supported release has
# (``caller`` and ``callback_ctx``, for scikit-learn's callbacks, arrived in
# 1.9); the ones the installed release lacks are dropped.
_FIT_AND_SCORE_KWARGS = frozenset(inspect.signature(_fit_and_score).parameters)


def fit_and_score(estimator: Any, X: Any, y: Any, **kwargs: Any) -> dict[str, Any]:
    """Call scikit-learn's ``_fit_and_score`` with the arguments it knows.

    Parameters
    ----------
    estimator : estimator
        A fresh clone; its parameters are set from ``kwargs["parameters"]``.
    X, y : array-like
        All the data; ``kwargs["train"]`` and ``kwargs["test"]`` index it.
    **kwargs
        Keyword arguments of ``_fit_and_score``.

    Returns
    -------
    dict
        ``test_scores``, ``fit_time``, ... as scikit-learn returns them.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from sklearn.metrics import check_scoring
    >>> X, y = np.arange(20.0).reshape(10, 2), np.arange(10.0)
    >>> out = fit_and_score(Ridge(), X, y, scorer=check_scoring(Ridge()),
    ...     train=np.arange(8), test=np.arange(8, 10), verbose=0,
    ...     parameters={"alpha": 1.0}, fit_params=None, score_params=None)
    >>> sorted(out)
    ['fit_error', 'test_scores']
    """
    kwargs = {k: v for k, v in kwargs.items() if k in _FIT_AND_SCORE_KWARGS}
    return _fit_and_score(estimator, X, y, **kwargs)


def inconsistent_splits_message(expected: int, got: int) -> str:
    """scikit-learn's error message for a splitter whose ``split`` and
    ``get_n_splits`` disagree, worded as the installed release words it
    (older releases say "returned", newer ones "return").

    Examples
    --------
    >>> inconsistent_splits_message(3, 1).startswith("cv.split and cv.get_n_splits")
    True
    """
    verb = "return"
    try:
        from sklearn.model_selection import _search

        with open(_search.__file__, encoding="utf-8") as f:
            if "cv.get_n_splits returned" in f.read():
                verb = "returned"
    except OSError:  # pragma: no cover - no source file
        pass
    return (
        f"cv.split and cv.get_n_splits {verb} inconsistent results. "
        f"Expected {expected} splits, got {got}"
    )


def expected_failed_checks(search: Any) -> dict[str, str]:
    """scikit-learn's expected failures of ``RandomizedSearchCV`` in its own
    estimator checks, which TPESearchCV shares (it is the same kind of
    meta-estimator). Empty when the release does not publish them.

    Parameters
    ----------
    search : estimator
        Ignored; present for ``parametrize_with_checks(expected_failed_checks=)``.

    Returns
    -------
    dict
        Check name to reason.

    Examples
    --------
    >>> isinstance(expected_failed_checks(None), dict)
    True
    """
    try:
        from sklearn.model_selection import RandomizedSearchCV
        from sklearn.utils._test_common.instance_generator import (
            PER_ESTIMATOR_XFAIL_CHECKS,
        )
    except ImportError:  # pragma: no cover - depends on the release
        return {}
    return dict(PER_ESTIMATOR_XFAIL_CHECKS.get(RandomizedSearchCV, {}))


# -- joblib's thread-local configuration -------------------------------------------
def joblib_config() -> dict[str, Any] | None:
    """The calling thread's ``joblib.parallel_config`` settings, or None when
    no ``parallel_config`` / ``parallel_backend`` context is active.

    joblib keeps them in a thread-local; threads started by the search copy
    them with :func:`joblib_config_set`.

    Examples
    --------
    >>> import joblib
    >>> with joblib.parallel_config(backend="threading"):
    ...     type(joblib_config()["backend"]).__name__
    'ThreadingBackend'
    """
    config = getattr(joblib.parallel._backend, "config", None)
    return None if config is None else dict(config)


def is_backend(obj: Any) -> bool:
    """Whether ``obj`` is a joblib backend instance."""
    return isinstance(obj, joblib.parallel.ParallelBackendBase)


@contextmanager
def joblib_config_set(config: dict[str, Any]) -> Iterator[None]:
    """Install a configuration captured by :func:`joblib_config` in this
    thread, and restore the previous one on exit."""
    local = joblib.parallel._backend
    missing = object()
    old = getattr(local, "config", missing)
    local.config = config
    try:
        yield
    finally:
        if old is missing:
            del local.config
        else:
            local.config = old


def abort_calls(calls: Sequence[Any]) -> None:
    """Abort running ``joblib.Parallel`` calls from another thread, as joblib
    does itself when a task fails: stop their dispatching, then let the
    backend end the tasks in flight where it can (loky kills its workers, a
    thread pool drops its queued tasks), and cancel dask's futures, which
    joblib's dask backend only forgets (a task already running in a worker's
    thread runs to its end there).

    Every call stops dispatching before any is aborted: calls sharing loky's
    executor would otherwise submit to it while it is being killed. The calls
    return at once, without their outputs.
    """
    calls = [c for c in calls if hasattr(c, "_abort")]  # (private; joblib >= 1.3)
    for parallel in calls:
        parallel._aborting = True
        # Drop the outputs not retrieved yet: without it, the call waits for
        # each of them after the abort (dask's abort cancels nothing).
        parallel._exception = True
    for parallel in calls:
        backend = getattr(parallel, "_backend", None)
        # loky's executor manager fails with a KeyError when it is killed
        # while submitted work waits for a worker (its queue of work ids
        # outlives the killed work items): empty that queue first. The work
        # items themselves are then failed by the kill.
        work_ids = getattr(getattr(backend, "_workers", None), "_work_ids", None)
        if isinstance(work_ids, queue.Queue):
            try:
                while True:
                    work_ids.get_nowait()
            except queue.Empty:
                pass
        # joblib's dask backend aborts by forgetting its futures; cancel them
        # on the cluster too (its map of submitted futures is private).
        submitted = getattr(backend, "_results", None)
        for future in list(submitted) if isinstance(submitted, dict) else ():
            try:
                future.cancel()
            except Exception:  # best effort
                pass
    for parallel in calls:
        try:
            parallel._abort()
        except Exception:  # best effort
            # (The call's own thread may abort it at the same time, on the
            # error of a killed worker: joblib's abort is not thread-safe.)
            pass
