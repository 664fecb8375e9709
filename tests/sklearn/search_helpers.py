"""Small estimators and data shared by the TPESearchCV tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import joblib
import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification, make_regression

FAILING = "fail"


def clf_data(n_samples: int = 60, seed: int = 0):
    return make_classification(
        n_samples=n_samples, n_features=5, n_informative=3, random_state=seed
    )


def reg_data(n_samples: int = 60, seed: int = 0):
    return make_regression(n_samples=n_samples, n_features=4, random_state=seed)


class FailingClassifier(ClassifierMixin, BaseEstimator):
    """Fails to fit when ``parameter == "fail"``; scores ``parameter`` else."""

    def __init__(self, parameter=0.0):
        self.parameter = parameter

    def fit(self, X, y=None, **fit_params):
        if self.parameter == FAILING:
            raise ValueError("Failing classifier failed as required")
        self.classes_ = np.unique(y)
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X=None, y=None):
        return float(self.parameter)


class CountingClassifier(ClassifierMixin, BaseEstimator):
    """Counts its fits in a class attribute; scores ``-abs(x - 3)``; raises
    KeyboardInterrupt at the fit number ``interrupt_at`` (if set)."""

    n_fits = 0
    interrupt_at: int | None = None

    def __init__(self, x=0, z=None):
        self.x = x
        self.z = z

    def fit(self, X, y=None, sample_weight=None):
        # Counted on CountingClassifier itself, also for subclasses.
        CountingClassifier.n_fits += 1
        stop = CountingClassifier.interrupt_at
        if stop is not None and CountingClassifier.n_fits == stop:
            raise KeyboardInterrupt
        if sample_weight is not None and len(sample_weight) != len(X):
            raise ValueError("sample_weight was not sliced")
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X=None, y=None):
        return -abs(float(self.x) - 3.0)


class SleepyClassifier(CountingClassifier):
    """A CountingClassifier whose fits take ``delay`` seconds (to overlap
    trials in parallel runs)."""

    def __init__(self, x=0, z=None, delay=0.02):
        super().__init__(x=x, z=z)
        self.delay = delay

    def fit(self, X, y=None, sample_weight=None):
        import time

        time.sleep(self.delay)
        return super().fit(X, y, sample_weight=sample_weight)


@contextmanager
def dask_backend() -> Iterator[None]:
    """joblib's dask backend on a two-worker ``LocalCluster`` (threads), started
    and closed here; skips the test when distributed is missing."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster),
        joblib.parallel_config(backend="dask"),
    ):
        yield


def on_dask_worker(estimator, X_, y_=None):
    """A scorer that raises ValueError unless called on a dask worker."""
    from distributed import get_worker

    get_worker()
    return float(estimator.score(X_, y_))


class LoggedClassifier(ClassifierMixin, BaseEstimator):
    """Each fit sleeps ``delay`` seconds and writes its start and end time to
    a new file in ``log_dir`` (so that fits in worker processes are seen too);
    fits with ``x == "fail"`` raise ValueError("boom") at once, with
    ``x == "interrupt"`` KeyboardInterrupt and with ``x == "exit"``
    SystemExit."""

    def __init__(self, x=0, delay=0.15, log_dir=None):
        self.x = x
        self.delay = delay
        self.log_dir = log_dir

    def fit(self, X, y=None):
        import time
        import uuid

        if self.x == FAILING:
            raise ValueError("boom")
        if self.x == "interrupt":
            raise KeyboardInterrupt
        if self.x == "exit":
            raise SystemExit(3)
        start = time.monotonic()
        time.sleep(self.delay)
        if self.log_dir is not None:
            with open(os.path.join(self.log_dir, uuid.uuid4().hex), "w") as f:
                f.write(f"{start} {time.monotonic()}")
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])


def most_fits_at_once(log_dir) -> int:
    """The largest number of LoggedClassifier fits that overlapped in time."""
    events = []
    for name in os.listdir(log_dir):
        with open(os.path.join(log_dir, name)) as f:
            start, end = map(float, f.read().split())
        events += [(start, 1), (end, -1)]
    running = peak = 0
    for _, step in sorted(events):  # an end before a start at the same time
        running += step
        peak = max(peak, running)
    return peak


class ScoreIs(ClassifierMixin, BaseEstimator):
    """Scores its ``value`` (any float, NaN and inf included), plus ``bonus``
    on a test fold that holds row 0 of ``X`` (column 0 = row numbers)."""

    def __init__(self, value=0.0, bonus=0.0):
        self.value = value
        self.bonus = bonus

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.zeros(len(X), dtype=int)

    def score(self, X, y, sample_weight=None):
        return self.value + (self.bonus if np.min(X[:, 0]) == 0 else 0.0)
