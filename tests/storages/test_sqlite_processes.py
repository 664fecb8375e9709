"""Several processes on one SQLite study; a worker killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import sktune
from sktune.storages import SQLiteStorage
from sktune.trial import TrialState

REPO = str(Path(sktune.__file__).resolve().parent.parent)

# A worker: load (or create) the study, wait at a barrier so that all workers
# overlap, then run its trials; each trial records how many COMPLETE trials it
# saw and how many of them were this worker's own.
WORKER = r"""
import os, sys, time
import sktune
from sktune.storages import SQLiteStorage
from sktune.trial import TrialState

url, ready, go, n_trials = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
try:
    sampler = sktune.samplers.TPESampler(seed=os.getpid(), n_startup_trials=5)
except (AttributeError, ImportError, TypeError):
    sampler = sktune.samplers.RandomSampler(seed=os.getpid())
study = sktune.create_study(
    study_name="shared", storage=SQLiteStorage(url), sampler=sampler,
    load_if_exists=True,
)
open(ready, "w").close()
while not os.path.exists(go):
    time.sleep(0.01)
own = []

def objective(trial):
    seen = {t.number for t in trial.study.get_trials(
        deepcopy=False, states=(TrialState.COMPLETE,))}
    trial.set_user_attr("pid", os.getpid())
    trial.set_user_attr("seen_others", len(seen - set(own)))
    x = trial.suggest_float("x", -5, 5)
    time.sleep(0.01)
    own.append(trial.number)
    return (x - 1) ** 2

study.optimize(objective, n_trials=n_trials)
"""

# A worker that blocks inside its third trial until killed.
BLOCKER = r"""
import os, sys, time
import sktune
from sktune.storages import SQLiteStorage

url, blocked = sys.argv[1], sys.argv[2]
storage = SQLiteStorage(url, heartbeat_interval=0.05)
study = sktune.create_study(study_name="s", storage=storage, load_if_exists=True)

def objective(trial):
    x = trial.suggest_float("x", 0, 1)
    if trial.number == 2:
        trial.report(0.5, step=0)
        open(blocked, "w").close()
        while True:
            time.sleep(1)
    return x

study.optimize(objective, n_trials=10)
"""


def spawn(code: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": REPO}
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path: Path, procs: list[subprocess.Popen], limit: float = 120) -> None:
    # Polls a file the worker creates; the limit only stops a hung test.
    end = time.monotonic() + limit
    while not path.exists():
        for p in procs:
            if p.poll() is not None:
                out, err = p.communicate()
                raise AssertionError(f"worker exited early:\n{out}\n{err}")
        if time.monotonic() > end:
            raise AssertionError(f"{path.name} did not appear")
        time.sleep(0.02)


@pytest.mark.slow
def test_four_processes_share_one_study(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    go = tmp_path / "go"
    procs, readies = [], []
    for i in range(4):
        ready = tmp_path / f"ready{i}"
        readies.append(ready)
        procs.append(spawn(WORKER, url, str(ready), str(go), "25"))
    for ready in readies:
        wait_for(ready, procs)
    go.touch()
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0, err

    trials = sktune.load_study(study_name="shared", storage=url).trials
    assert len(trials) == 100
    assert sorted(t.number for t in trials) == list(range(100))
    assert all(t.state == TrialState.COMPLETE for t in trials)
    assert all("x" in t.params for t in trials)
    by_pid: dict[int, list] = {}
    for t in trials:
        by_pid.setdefault(t.user_attrs["pid"], []).append(t)
    assert sorted(len(v) for v in by_pid.values()) == [25, 25, 25, 25]
    # Every worker saw trials the others had finished.
    for own in by_pid.values():
        assert max(t.user_attrs["seen_others"] for t in own) > 0
    with sqlite3.connect(tmp_path / "shared.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.slow
def test_killed_worker_leaves_stale_trial_that_is_failed_then_resumed(tmp_path):
    db = tmp_path / "kill.db"
    url = f"sqlite:///{db}"
    blocked = tmp_path / "blocked"
    proc = spawn(BLOCKER, url, str(blocked))
    try:
        wait_for(blocked, [proc])
        # While the worker lives its heartbeat keeps the trial alive.
        watcher = SQLiteStorage(url, grace_period=0.5)
        study_id = watcher.get_study_id_from_name("s")
        time.sleep(1.0)
        assert watcher.fail_stale_trials(study_id) == []
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(60)
    assert proc.returncode == -signal.SIGKILL

    # The file is consistent and holds what the worker had written.
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    patient = SQLiteStorage(url, grace_period=3600)
    trials = patient.get_all_trials(study_id)
    assert [t.state for t in trials] == [
        TrialState.COMPLETE,
        TrialState.COMPLETE,
        TrialState.RUNNING,
    ]
    assert trials[2].intermediate_values == {0: 0.5}
    # Within its grace period a silent trial is not stale yet.
    assert patient.fail_stale_trials(study_id) == []

    time.sleep(0.6)
    storage = SQLiteStorage(url, grace_period=0.5)
    study = sktune.load_study(study_name="s", storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    states = [t.state for t in study.trials]
    assert (
        states
        == [TrialState.COMPLETE] * 2 + [TrialState.FAIL] + [TrialState.COMPLETE] * 3
    )
    assert [t.number for t in study.trials] == list(range(6))
    stale = study.trials[2]
    assert stale.datetime_complete is not None
    assert stale.params.keys() == {"x"}


def test_stale_detection_spares_this_process_trials(tmp_path):
    storage = SQLiteStorage(
        tmp_path / "own.db", heartbeat_interval=60, grace_period=0.01
    )
    study = sktune.create_study(study_name="s", storage=storage)
    trial = study.ask()
    time.sleep(0.05)
    # The heartbeat is old, but the trial is this process's own.
    assert storage.fail_stale_trials(study._study_id) == []
    other = SQLiteStorage(tmp_path / "own.db", grace_period=0.01)
    assert other.fail_stale_trials(study._study_id) == [trial._trial_id]
    with pytest.raises(RuntimeError, match="already finished"):
        study.tell(trial, 1.0)
    assert study.trials[0].state == TrialState.FAIL


def _fail_from_elsewhere(path, study_name):
    """Another process's view, that finds this process's running trial stale."""
    other = SQLiteStorage(path, grace_period=0.01)
    time.sleep(0.05)
    return other.fail_stale_trials(other.get_study_id_from_name(study_name))


def test_optimize_goes_on_when_another_process_fails_its_trial(tmp_path, caplog):
    path = tmp_path / "stale.db"
    study = sktune.create_study(study_name="s", storage=SQLiteStorage(path))

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 0:
            assert _fail_from_elsewhere(path, "s")
        return x

    with caplog.at_level("WARNING", logger="sktune"):
        study.optimize(objective, n_trials=3)
    assert [t.state for t in study.trials] == [TrialState.FAIL] + [
        TrialState.COMPLETE
    ] * 2
    assert "marked FAIL by another process" in caplog.text


def test_search_goes_on_when_another_process_fails_its_trial(tmp_path, caplog):
    from sklearn.datasets import load_iris
    from sklearn.tree import DecisionTreeClassifier

    from sktune import TPESearchCV

    path = tmp_path / "stale.db"
    calls = []

    class Tree(DecisionTreeClassifier):
        def fit(self, X, y, **kw):
            calls.append(1)
            if len(calls) == 2:  # during the first candidate's second fold
                assert _fail_from_elsewhere(path, "s")
            return super().fit(X, y, **kw)

    X, y = load_iris(return_X_y=True)
    search = TPESearchCV(
        Tree(),
        {"max_depth": [1, 2, 3, 4]},
        n_iter=3,
        cv=3,
        storage=SQLiteStorage(path),
        study_name="s",
        random_state=0,
    )
    with caplog.at_level("WARNING", logger="sktune"):
        search.fit(X, y)
    states = [t.state for t in search.study_.trials]
    assert states[0] == TrialState.FAIL
    assert "marked failed by another process" in caplog.text
    # The lost candidate has no row; the others do, and refit ran.
    assert len(search.cv_results_["params"]) == 2
    assert hasattr(search, "best_estimator_")
