"""Parallel searches: driver threads and joblib backends (threading, loky and
a dask ``LocalCluster``)."""

from __future__ import annotations

import os
import threading

import joblib
import numpy as np
import pytest
from search_helpers import (
    FAILING,
    LoggedClassifier,
    SleepyClassifier,
    clf_data,
    dask_backend,
    most_fits_at_once,
    on_dask_worker,
)

from sktune import TPESearchCV
from sktune.distributions import FloatDistribution
from sktune.samplers import RandomSampler
from sktune.trial import TrialState

pytestmark = pytest.mark.sklearn_compat

X, y = clf_data()
SPACE = {"x": FloatDistribution(0.0, 6.0)}


@pytest.fixture
def sigint_raises():
    """SIGINT raises KeyboardInterrupt during the test, as in a terminal (a
    test run started in the background by a shell inherits it ignored)."""
    import signal

    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, old)


def _join_drivers() -> None:
    """Wait for the search's driver threads (still in a fit after Ctrl-C)."""
    for thread in threading.enumerate():
        if thread.name.startswith("sktune"):
            thread.join()


class RunningAwareSampler(RandomSampler):
    """Records how many other trials were running when each one was sampled."""

    def __init__(self, seed=None):
        super().__init__(seed=seed)
        self.others_running = []

    def sample_independent(self, study, trial, name, distribution):
        running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        self.others_running.append(sum(t.number != trial.number for t in running))
        return super().sample_independent(study, trial, name, distribution)


def test_threading_runs_trials_concurrently_and_sampler_sees_them():
    study_sampler = RunningAwareSampler(seed=0)
    import sktune
    from sktune.pruners import NopPruner

    study = sktune.create_study(
        direction="maximize", sampler=study_sampler, pruner=NopPruner()
    )
    with joblib.parallel_config(backend="threading"):
        search = TPESearchCV(
            SleepyClassifier(delay=0.1), SPACE, n_iter=8, cv=2, n_jobs=2, study=study
        ).fit(X, y)
    assert len(search.cv_results_["params"]) == 8
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    # Asked while another trial was running: the sampler saw it.
    assert max(study_sampler.others_running) >= 1
    # Reproduces the sequential results for the same candidates.
    expected = [-abs(p["x"] - 3.0) for p in search.cv_results_["params"]]
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], expected)
    assert search.best_score_ == max(expected)


def test_error_in_a_parallel_trial_propagates():
    with joblib.parallel_config(backend="threading"):
        search = TPESearchCV(
            SleepyClassifier(), {"z": ["a", "b"]}, n_iter=2, cv=2, n_jobs=2
        )
        search.set_params(estimator__delay="not a number", error_score="raise")
        with pytest.raises(TypeError):
            search.fit(X, y)
    # The first failure stops the search: the other grid point may never
    # have started (it stays WAITING in the study, to run on a resume).
    states = [t.state for t in search.study_.trials]
    assert TrialState.FAIL in states
    assert set(states) <= {TrialState.FAIL, TrialState.WAITING}


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["loky", "threading"])
@pytest.mark.parametrize(
    "bad, error, match",
    [(FAILING, ValueError, "boom"), ("exit", SystemExit, "3")],
)
def test_fit_error_lets_the_other_running_candidate_finish(backend, bad, error, match):
    # joblib aborts the pool of a call whose task raised; loky's pool is
    # shared by every candidate running at once, so the healthy candidate
    # must not be killed with it, nor its error replace the fit's (a
    # SystemExit too, which is no Exception).
    search = TPESearchCV(
        LoggedClassifier(delay=0.6),
        {"x": [0, bad]},
        n_iter=2,
        cv=3,
        n_jobs=2,
        pre_dispatch=1,
        error_score="raise",
    )
    with joblib.parallel_config(backend=backend):
        with pytest.raises(error, match=match) as info:
            search.fit(X, y)
    states = {t.params["x"]: t.state for t in search.study_.trials}
    assert states == {0: TrialState.COMPLETE, bad: TrialState.FAIL}
    if backend == "loky":  # the worker's traceback is kept
        assert f"raise {error.__name__}" in str(info.value.__cause__)


@pytest.mark.slow
def test_interrupt_in_a_loky_worker_is_raised_as_such():
    # A KeyboardInterrupt escaping a loky worker made joblib shut the shared
    # executor down, and fit often raised the other candidate's RuntimeError.
    search = TPESearchCV(
        LoggedClassifier(delay=0.6),
        {"x": [0, "interrupt"]},
        n_iter=2,
        cv=3,
        n_jobs=2,
        pre_dispatch=1,
        error_score="raise",
    )
    for _ in range(3):
        with joblib.parallel_config(backend="loky"):
            with pytest.raises(KeyboardInterrupt):
                search.fit(X, y)
        states = [t.state for t in search.study_.trials]
        assert TrialState.RUNNING not in states


_CTRL_C_CHILD = """
import signal
import sys
import numpy as np
# (A process started in the background by a shell inherits SIGINT ignored.)
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.path.insert(0, sys.argv[2])
from search_helpers import LoggedClassifier, clf_data
from sktune import TPESearchCV
from sktune.distributions import FloatDistribution
X, y = clf_data()
search = TPESearchCV(
    LoggedClassifier(delay=2.0, log_dir=sys.argv[1]),
    {"x": FloatDistribution(0.0, 6.0)}, n_iter=4, cv=8, n_jobs=2,
)
try:
    search.fit(X, y)
except KeyboardInterrupt:
    print("interrupted", flush=True)
"""


@pytest.mark.slow
@pytest.mark.parametrize("target", ["group", "process"])
def test_ctrl_c_ends_a_loky_search_and_its_fits(tmp_path, target):
    # "group": Ctrl-C in a terminal reaches every process of the group, the
    # loky workers included: their calls must end, not go on with the queued
    # folds (the process then never exited: its driver threads stayed in
    # joblib calls). "process": SIGINT to the main process only (Jupyter's
    # interrupt, ``kill -INT``) reaches neither the workers nor the drivers'
    # joblib calls: the search must abort those calls, as joblib does when
    # Ctrl-C reaches the thread of its call (the fits in flight and the
    # queued ones then went on, and the process exited only after them).
    import signal
    import subprocess
    import sys

    helpers = os.path.dirname(os.path.abspath(__file__))
    child = subprocess.Popen(
        [sys.executable, "-c", _CTRL_C_CHILD, str(tmp_path), helpers],
        start_new_session=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        pause = threading.Event()
        while not os.listdir(tmp_path):  # the first fits have ended
            assert child.poll() is None
            pause.wait(0.05)
        pause.wait(1.0)  # in the middle of the next fits
        if target == "group":
            os.killpg(child.pid, signal.SIGINT)
        else:
            os.kill(child.pid, signal.SIGINT)
        out, _ = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    assert "interrupted" in out
    assert len(os.listdir(tmp_path)) <= 4  # the 2 workers' first fits and no more


class _InterruptingClassifier(SleepyClassifier):
    """x == 0 fails after 0.15 s; x == 1 sends the process SIGINT once (as
    Ctrl-C would) while the search waits for it after that failure."""

    interrupted = False

    def fit(self, X, y=None, sample_weight=None):
        import signal

        if self.x == 0:
            # (Not at once: the other trial must have been asked by then.)
            threading.Event().wait(0.15)
            raise ValueError("boom")
        threading.Event().wait(0.4)  # the search is waiting for this fit
        if not _InterruptingClassifier.interrupted:
            _InterruptingClassifier.interrupted = True
            os.kill(os.getpid(), signal.SIGINT)
        threading.Event().wait(0.5)
        return super().fit(X, y, sample_weight=sample_weight)


def test_ctrl_c_while_waiting_after_an_error_fails_the_running_trials(
    sigint_raises,
):
    import sktune

    seen = []
    study = sktune.create_study(direction="maximize")
    search = TPESearchCV(
        _InterruptingClassifier(delay=0.0),
        {"x": [0, 1]},
        n_iter=2,
        cv=2,
        n_jobs=2,
        error_score="raise",
        study=study,
        callbacks=[lambda s, t: seen.append(t.number)],
    )
    with joblib.parallel_config(backend="threading"):
        with pytest.raises(KeyboardInterrupt):
            search.fit(X, y)
    assert [t.state for t in study.trials] == [TrialState.FAIL] * 2
    _join_drivers()
    # Nothing changed once fit had raised.
    assert [t.state for t in study.trials] == [TrialState.FAIL] * 2
    assert seen == []


def test_interrupt_waits_for_trials_being_told(monkeypatch):
    # A trial past its fits when the interrupt came was told COMPLETE after
    # fit had raised: a resume started at once ran n_iter + 1 candidates.
    import sktune
    from sktune.sklearn import _scheduler

    in_finish = threading.Event()
    finish = _scheduler.Scheduler._finish

    def slow_finish(self, trial, *args, **kwargs):
        if trial.number == 1:
            in_finish.set()
            threading.Event().wait(0.3)  # a slow storage write
        return finish(self, trial, *args, **kwargs)

    seen = []

    def interrupt(study, frozen):
        seen.append(frozen.number)
        if frozen.number == 0:
            assert in_finish.wait(10)
            raise KeyboardInterrupt

    monkeypatch.setattr(_scheduler.Scheduler, "_finish", slow_finish)
    study = sktune.create_study(direction="maximize")
    search = TPESearchCV(
        SleepyClassifier(),
        {"x": [0, 1, 2, 3]},
        n_iter=4,
        cv=2,
        n_jobs=2,
        study=study,
        callbacks=[interrupt],
    )
    with joblib.parallel_config(backend="threading"):
        with pytest.raises(KeyboardInterrupt):
            search.fit(X, y)
    # Trial 1 was told, and given to the callbacks, before fit raised.
    states = {t.number: t.state for t in study.trials}
    assert states[1] == TrialState.COMPLETE
    assert sorted(seen) == [0, 1]
    assert TrialState.RUNNING not in states.values()
    monkeypatch.undo()
    with joblib.parallel_config(backend="threading"):
        search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4


@pytest.mark.parametrize(
    "backend",
    ["threading", pytest.param("multiprocessing", marks=pytest.mark.slow)],
)
def test_backends_that_open_workers_per_call_run_at_most_n_jobs_fits(backend, tmp_path):
    # threading and multiprocessing start n_jobs workers per joblib call:
    # n_jobs driver threads must not each get n_jobs of them.
    search = TPESearchCV(
        LoggedClassifier(log_dir=str(tmp_path)),
        {"x": list(range(6))},
        n_iter=4,
        cv=4,
        n_jobs=2,
        refit=False,
    )
    with joblib.parallel_config(backend=backend):
        search.fit(X, y)
    assert len(os.listdir(tmp_path)) == 16
    assert most_fits_at_once(tmp_path) <= 2


def _pid_score(estimator, X_, y_=None):
    return float(os.getpid())


@pytest.mark.slow
def test_loky_runs_folds_in_worker_processes():
    with joblib.parallel_config(backend="loky"):
        search = TPESearchCV(
            SleepyClassifier(delay=0.0),
            SPACE,
            n_iter=4,
            cv=2,
            n_jobs=2,
            scoring=_pid_score,
            random_state=0,
        ).fit(X, y)
    pids = {
        search.cv_results_[f"split{i}_test_score"][j]
        for i in range(2)
        for j in range(4)
    }
    assert os.getpid() not in pids
    assert len(search.study_.trials) == 4


@pytest.mark.slow
def test_dask_local_cluster():
    with dask_backend():
        search = TPESearchCV(
            SleepyClassifier(delay=0.0),
            SPACE,
            n_iter=6,
            cv=2,
            n_jobs=-1,
            scoring=on_dask_worker,
            error_score="raise",
            random_state=0,
        ).fit(X, y)
    assert len(search.cv_results_["params"]) == 6
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_keyboard_interrupt_in_parallel_fails_running_trials_only():
    from search_helpers import CountingClassifier

    import sktune
    from sktune.pruners import NopPruner

    study = sktune.create_study(direction="maximize", pruner=NopPruner())
    CountingClassifier.n_fits = 0
    CountingClassifier.interrupt_at = 7
    search = TPESearchCV(
        SleepyClassifier(), SPACE, n_iter=6, cv=2, n_jobs=2, study=study
    )
    try:
        with joblib.parallel_config(backend="threading"):
            with pytest.raises(KeyboardInterrupt):
                search.fit(X, y)
    finally:
        CountingClassifier.interrupt_at = None
        # Driver threads still in a fit finish in the background; wait for them
        # (they must not touch the study any more).
        _join_drivers()
    states = [t.state for t in study.trials]
    assert TrialState.FAIL in states and TrialState.COMPLETE in states
    assert TrialState.RUNNING not in states
    with joblib.parallel_config(backend="threading"):
        search.fit(X, y)
    assert len(search.cv_results_["params"]) == 6


_FIT_STARTED = threading.Event()


class _StartSignalling(LoggedClassifier):
    """Sets ``_FIT_STARTED`` when a fit begins (fits run in this process)."""

    def fit(self, X, y=None):
        _FIT_STARTED.set()
        return super().fit(X, y)


class _SleepyStartSignalling(SleepyClassifier):
    def fit(self, X, y=None, sample_weight=None):
        _FIT_STARTED.set()
        return super().fit(X, y, sample_weight=sample_weight)


def _fit_interrupted(search: TPESearchCV, delay: float = 0.3) -> None:
    """Fit ``search`` with SIGINT sent to this process ``delay`` s after the
    first fit has begun (a fixed time could come before any trial on a loaded
    machine); KeyboardInterrupt must end it. Returns once the driver threads
    have ended."""
    import signal

    _FIT_STARTED.clear()

    def send() -> None:
        if _FIT_STARTED.wait(60):
            threading.Event().wait(delay)
            os.kill(os.getpid(), signal.SIGINT)

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    with pytest.raises(KeyboardInterrupt):
        search.fit(X, y)
    sender.join()
    _join_drivers()


@pytest.mark.parametrize("backend", ["threading", "dask"])
def test_ctrl_c_drops_the_queued_folds_of_threads_and_dask(
    backend, tmp_path, sigint_raises
):
    # SIGINT to the main thread while each driver's call has one fold running
    # and two queued. The threading backend's calls (1 job each) ran their
    # queued folds on; dask's abort only forgot its futures, so the cluster
    # ran every submitted fold. Only the fits in flight may now end.
    search = TPESearchCV(
        _StartSignalling(delay=1.5, log_dir=str(tmp_path)),
        SPACE,
        n_iter=4,
        cv=3,
        n_jobs=2,
        random_state=0,
    )
    if backend == "dask":
        context = dask_backend()
    else:
        context = joblib.parallel_config(backend="threading")
    with context:
        _fit_interrupted(search)
        pause = threading.Event()
        if backend == "dask":
            from distributed import get_client

            client = get_client()
            while any(client.processing().values()):  # the fits in flight
                pause.wait(0.1)
        pause.wait(2.0)  # time for any queued fold to run, if one had started
    assert len(os.listdir(tmp_path)) <= 2
    assert {t.state for t in search.study_.trials} == {TrialState.FAIL}


def test_ctrl_c_in_a_pruned_threaded_search_loses_no_trial(caplog, sigint_raises):
    # The fold running at Ctrl-C ended after its trial was failed; it was
    # then reported, and the refused report was taken for a trial lost to
    # another process (a warning per running trial).
    from sktune.pruners import MedianPruner

    search = TPESearchCV(
        _SleepyStartSignalling(delay=1.0),
        {"x": list(range(8))},
        n_iter=4,
        cv=3,
        n_jobs=2,
        pruner=MedianPruner(),
        random_state=0,
    )
    with joblib.parallel_config(backend="threading"):
        _fit_interrupted(search)
    assert "marked failed by another process" not in caplog.text
    assert {t.state for t in search.study_.trials} == {TrialState.FAIL}


def test_threaded_search_keeps_the_warning_filters():
    # The drivers' one-job calls (n_jobs split between them under threading)
    # once ran each fit in scikit-learn's delayed wrapper outside Parallel:
    # it warned per fold, and its catch_warnings in several threads at once
    # left the process's filter list emptied.
    import warnings

    class Warns(SleepyClassifier):
        def fit(self, X, y=None, sample_weight=None):
            warnings.warn("fit warning", UserWarning, stacklevel=2)
            return super().fit(X, y, sample_weight=sample_weight)

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", message="fit warning")
        before = list(warnings.filters)
        for _ in range(3):
            with joblib.parallel_config(backend="threading"):
                TPESearchCV(
                    Warns(delay=0.01), {"x": list(range(6))}, n_iter=6, cv=3, n_jobs=2
                ).fit(X, y)
        assert warnings.filters == before
    assert [str(w.message) for w in seen] == []
