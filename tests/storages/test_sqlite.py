"""SQLiteStorage on real files: round trips, the study API, errors, copies."""

from __future__ import annotations

import copy
import datetime
import json
import math
import multiprocessing
import os
import pickle
import sqlite3
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sktune
from sktune.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    OpaqueChoice,
)
from sktune.exceptions import (
    DuplicatedStudyError,
    InvalidParameterError,
    StorageInternalError,
    UpdateFinishedTrialError,
)
from sktune.storages import SQLiteStorage, get_storage
from sktune.storages._sqlite import SCHEMA_VERSION
from sktune.trial import FrozenTrial, TrialState


class Estimator:
    """A choice JSON cannot hold (stored by repr)."""

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def __repr__(self) -> str:
        return f"Estimator(alpha={self.alpha})"


DISTRIBUTIONS = {
    "f": FloatDistribution(-2.5, 3.0),
    "f_log": FloatDistribution(1e-5, 10.0, log=True),
    "f_step": FloatDistribution(0.0, 1.0, step=0.25),
    "i": IntDistribution(-3, 7),
    "i_log": IntDistribution(1, 1024, log=True),
    "i_step": IntDistribution(0, 12, step=3),
    "c_str": CategoricalDistribution(["rbf", "linear"]),
    "c_mixed": CategoricalDistribution([None, True, 3, 2.5, math.inf, (1, "a")]),
    "c_opaque": CategoricalDistribution([Estimator(1.0), Estimator(2.0)]),
}
VALUES = {
    "f": -1.25,
    "f_log": 3.3e-4,
    "f_step": 0.75,
    "i": -2,
    "i_log": 17,
    "i_step": 9,
    "c_str": "linear",
    "c_mixed": (1, "a"),
    "c_opaque": DISTRIBUTIONS["c_opaque"].choices[1],
}


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'study.db'}"


def full_trial(state: TrialState = TrialState.COMPLETE) -> FrozenTrial:
    start = datetime.datetime(2026, 1, 2, 3, 4, 5, 678901)
    return FrozenTrial(
        number=0,
        state=state,
        value=-math.inf if state == TrialState.COMPLETE else None,
        datetime_start=start,
        datetime_complete=(
            start + datetime.timedelta(seconds=1.5) if state.is_finished() else None
        ),
        params=dict(VALUES),
        distributions=dict(DISTRIBUTIONS),
        user_attrs={"note": "é", "list": [1, 2.5, None], "nested": {"a": [True]}},
        system_attrs={"fixed_params": {"x": 1}, "big": 2**60},
        intermediate_values={0: 1.0, 3: -0.5, 7: math.inf, 9: math.nan},
        trial_id=0,
    )


def same_trial(a: FrozenTrial, b: FrozenTrial) -> None:
    assert (a.number, a.state, a.trial_id) == (b.number, b.state, b.trial_id)
    assert a.value == b.value
    assert a.datetime_start == b.datetime_start
    assert a.datetime_complete == b.datetime_complete
    assert a.params == b.params
    assert a.distributions == b.distributions
    assert a.user_attrs == b.user_attrs
    assert a.system_attrs == b.system_attrs
    assert a.intermediate_values.keys() == b.intermediate_values.keys()
    for step, v in a.intermediate_values.items():
        w = b.intermediate_values[step]
        assert v == w or (math.isnan(v) and math.isnan(w))


# -- round trips ------------------------------------------------------------------
def test_round_trip_of_every_field_and_distribution(url):
    storage = SQLiteStorage(url)
    study_id = storage.create_new_study("minimize", "s")
    trial_id = storage.create_new_trial(study_id, template_trial=full_trial())
    expected = full_trial()
    expected.trial_id = trial_id
    # Read by a fresh process-like storage (nothing cached) and by the writer.
    for reader in (storage, SQLiteStorage(url)):
        same_trial(reader.get_trial(trial_id), expected)
        (trial,) = reader.get_all_trials(study_id)
        same_trial(trial, expected)
    loaded = SQLiteStorage(url).get_trial(trial_id)
    assert isinstance(loaded.params["c_mixed"], tuple)
    # Opaque choices come back as their repr, compared by it.
    assert isinstance(loaded.params["c_opaque"], OpaqueChoice)
    assert repr(loaded.params["c_opaque"]) == "Estimator(alpha=2.0)"


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_round_trip_of_suggested_params(url, name):
    dist = DISTRIBUTIONS[name]
    study = sktune.create_study(storage=url, study_name="s")

    def objective(trial):
        trial._suggest(name, dist)
        trial.report(0.5, 1)
        trial.set_user_attr("u", [1, "two"])
        trial.set_system_attr("s", {"k": None})
        return 1.0

    study.enqueue_trial({name: VALUES[name]})
    study.optimize(objective, n_trials=3)
    reread = sktune.load_study(study_name="s", storage=url).trials
    assert len(reread) == 3
    for live, stored in zip(study.trials, reread):
        same_trial(live, stored)
        assert stored.distributions[name] == dist
        assert dist.contains(stored.params[name])
    assert reread[0].params[name] == VALUES[name]


@settings(max_examples=25, deadline=None)
@given(
    x=st.floats(min_value=-1e300, max_value=1e300),
    value=st.floats(allow_nan=False),
    report=st.floats(),
)
def test_floats_are_stored_exactly(tmp_path_factory, x, value, report):
    path = tmp_path_factory.mktemp("h") / "f.db"
    storage = SQLiteStorage(f"sqlite:///{path}")
    sid = storage.create_new_study("minimize", "s")
    tid = storage.create_new_trial(sid)
    storage.set_trial_param(tid, "x", x, FloatDistribution(-1e300, 1e300))
    storage.set_trial_intermediate_value(tid, 0, report)
    storage.set_trial_state_values(tid, TrialState.COMPLETE, value)
    t = SQLiteStorage(f"sqlite:///{path}").get_trial(tid)
    assert t.params["x"] == x and t.value == value
    r = t.intermediate_values[0]
    assert r == report or (math.isnan(r) and math.isnan(report))


# -- the study API ---------------------------------------------------------------
def test_study_functions_with_optuna_names(url, tmp_path):
    a = sktune.create_study(study_name="a", storage=url, direction="maximize")
    a.set_user_attr("owner", "me")
    a.set_system_attr("space", {"x": [0, 1]})
    a.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=4)
    sktune.create_study(study_name="b", storage=url)
    assert sktune.get_all_study_names(url) == ["a", "b"]

    with pytest.raises(DuplicatedStudyError, match="'a' already exists"):
        sktune.create_study(study_name="a", storage=url, direction="maximize")
    again = sktune.create_study(
        study_name="a", storage=url, direction="maximize", load_if_exists=True
    )
    assert len(again.trials) == 4
    assert again.user_attrs == {"owner": "me"}
    assert again.system_attrs == {"space": {"x": [0, 1]}}
    assert again.best_trial.number == a.best_trial.number

    other = f"sqlite:///{tmp_path / 'other.db'}"
    sktune.copy_study(
        from_study_name="a", from_storage=url, to_storage=other, to_study_name="c"
    )
    copied = sktune.load_study(study_name="c", storage=other)
    assert [t.params for t in copied.trials] == [t.params for t in a.trials]
    assert [t.value for t in copied.trials] == [t.value for t in a.trials]
    assert copied.direction == sktune.StudyDirection.MAXIMIZE
    assert copied.user_attrs == {"owner": "me"}

    sktune.delete_study(study_name="a", storage=url)
    assert sktune.get_all_study_names(url) == ["b"]
    with pytest.raises(KeyError, match="No study named 'a'"):
        sktune.load_study(study_name="a", storage=url)
    # The trials went with the study.
    with sqlite3.connect(url[len("sqlite:///") :]) as conn:
        assert conn.execute("SELECT COUNT(*) FROM trials").fetchone()[0] == 0
        assert conn.execute("SELECT COUNT(*) FROM trial_params").fetchone()[0] == 0


def test_ctrl_c_in_optimize_keeps_finished_trials(url):
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 3:
            raise KeyboardInterrupt
        return x

    study = sktune.create_study(study_name="s", storage=url)
    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=10)
    again = sktune.create_study(study_name="s", storage=url, load_if_exists=True)
    assert [t.state for t in again.trials] == [TrialState.COMPLETE] * 3 + [
        TrialState.FAIL
    ]
    again.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert [t.number for t in again.trials] == list(range(6))


def test_unnamed_studies_get_unique_names(url):
    storage = SQLiteStorage(url)
    names = {sktune.create_study(storage=storage).study_name for _ in range(3)}
    assert len(names) == 3


def test_deleted_study_is_gone_for_a_storage_that_had_cached_it(url):
    reader = SQLiteStorage(url)
    study = sktune.create_study(study_name="s", storage=url)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    sid = reader.get_study_id_from_name("s")
    assert len(reader.get_all_trials(sid)) == 2
    sktune.delete_study(study_name="s", storage=url)
    with pytest.raises(KeyError):
        reader.get_all_trials(sid)


def test_get_all_trials_sees_writes_of_another_storage(url):
    writer, reader = SQLiteStorage(url), SQLiteStorage(url)
    sid = writer.create_new_study("minimize", "s")
    t0 = writer.create_new_trial(sid)
    assert [t.state for t in reader.get_all_trials(sid)] == [TrialState.RUNNING]
    writer.set_trial_param(t0, "x", 0.5, FloatDistribution(0, 1))
    writer.set_trial_state_values(t0, TrialState.COMPLETE, 2.0)
    t1 = writer.create_new_trial(sid)
    trials = reader.get_all_trials(sid, deepcopy=False)
    assert [(t.number, t.state, t.value) for t in trials] == [
        (0, TrialState.COMPLETE, 2.0),
        (1, TrialState.RUNNING, None),
    ]
    assert trials[0].params == {"x": 0.5}
    assert reader.get_n_trials(sid) == 2
    assert reader.get_n_trials(sid, states=(TrialState.COMPLETE,)) == 1
    running = reader.get_all_trials(sid, states=(TrialState.RUNNING,))
    assert [t.trial_id for t in running] == [t1]
    assert reader.get_trial_id_from_study_id_trial_number(sid, 1) == t1


def test_waiting_trials_are_taken_once(url):
    a, b = SQLiteStorage(url), SQLiteStorage(url)
    study = sktune.create_study(study_name="s", storage=a)
    study.enqueue_trial({"x": 0.25})
    (waiting,) = b.get_all_trials(study._study_id, states=(TrialState.WAITING,))
    assert b.set_trial_state_values(waiting.trial_id, TrialState.RUNNING)
    assert not a.set_trial_state_values(waiting.trial_id, TrialState.RUNNING)
    assert a.get_trial(waiting.trial_id).state == TrialState.RUNNING


def test_finished_trials_cannot_change(url):
    storage = SQLiteStorage(url)
    sid = storage.create_new_study("minimize", "s")
    tid = storage.create_new_trial(sid)
    storage.set_trial_state_values(tid, TrialState.COMPLETE, 1.0)
    with pytest.raises(RuntimeError, match="already finished"):
        storage.set_trial_state_values(tid, TrialState.FAIL)
    with pytest.raises(RuntimeError, match="already finished"):
        storage.set_trial_param(tid, "x", 0.5, FloatDistribution(0, 1))
    with pytest.raises(RuntimeError, match="already finished"):
        storage.set_trial_intermediate_value(tid, 1, 0.5)
    with pytest.raises(RuntimeError, match="already finished"):
        storage.set_trial_user_attr(tid, "k", 1)
    with pytest.raises(KeyError, match="No trial with id 999"):
        storage.set_trial_user_attr(999, "k", 1)
    with pytest.raises(KeyError, match="No trial with id 999"):
        storage.get_trial(999)
    with pytest.raises(KeyError, match="No study with id 999"):
        storage.create_new_trial(999)
    assert storage.get_trial(tid).value == 1.0


def test_finished_trials_are_named_by_number_not_storage_id(url):
    storage = SQLiteStorage(url)
    # A first study takes ids 1-2, so the second study's trial 0 has id 3.
    first = sktune.create_study(storage=storage, study_name="first")
    first.optimize(lambda t: 0.0, n_trials=2)
    study = sktune.create_study(storage=storage, study_name="second")
    trial = study.ask()
    study.tell(trial, 1.0)
    assert trial._trial_id != trial.number == 0
    with pytest.raises(UpdateFinishedTrialError, match="^Trial 0 is already"):
        trial.set_user_attr("k", 1)
    with pytest.raises(UpdateFinishedTrialError, match="^Trial 0 is already"):
        study.tell(trial, 2.0)


def test_user_dicts_that_look_like_tags_round_trip(url):
    study = sktune.create_study(storage=url)
    attrs = {
        "tuple_like": {"__tuple__": [1, 2]},
        "opaque_like": {"__opaque__": "x"},
        "escape_like": {"__dict__": {"__tuple__": []}},
        "nested": [{"__opaque__": (1, 2)}],
        "real_tuple": (1, (2, 3)),
    }
    trial = study.ask()
    for key, value in attrs.items():
        trial.set_user_attr(key, value)
    study.set_user_attr("study_attr", {"__tuple__": ["a"]})
    study.tell(trial, 1.0)
    loaded = sktune.load_study(study_name=study.study_name, storage=url)
    assert loaded.trials[0].user_attrs == attrs
    assert loaded.user_attrs == {"study_attr": {"__tuple__": ["a"]}}


def test_attributes_must_be_json(url):
    storage = SQLiteStorage(url)
    sid = storage.create_new_study("minimize", "s")
    tid = storage.create_new_trial(sid)
    with pytest.raises(TypeError, match="attribute 'k' must be JSON-serialisable"):
        storage.set_trial_user_attr(tid, "k", object())
    with pytest.raises(TypeError, match="JSON-serialisable"):
        storage.set_study_user_attr(sid, "k", {1, 2})
    # numpy scalars and arrays are stored as their Python values.
    storage.set_trial_user_attr(tid, "n", {"i": np.int64(3), "a": np.arange(2)})
    assert SQLiteStorage(url).get_trial(tid).user_attrs["n"] == {"i": 3, "a": [0, 1]}
    # System attributes keep other objects by repr (e.g. enqueued estimators).
    storage.set_trial_system_attr(tid, "fixed", {"model": Estimator(3.0)})
    fixed = SQLiteStorage(url).get_trial(tid).system_attrs["fixed"]["model"]
    assert isinstance(fixed, OpaqueChoice) and fixed == Estimator(3.0)


# -- opaque categorical choices ------------------------------------------------------
def opaque_objective(choices):
    def objective(trial):
        trial.suggest_categorical("model", choices)
        return 0.0

    return objective


def test_opaque_choices_are_never_remapped_by_index(url):
    # Stored by index under the list they were drawn from, read back by repr:
    # against a reordered list, a stored choice maps to the same estimator.
    first = [Estimator(1.0), Estimator(2.0)]
    study = sktune.create_study(study_name="s", storage=url)
    study.enqueue_trial({"model": {"__index__": 1}})
    study.optimize(opaque_objective(first), n_trials=1)
    (stored,) = sktune.load_study(study_name="s", storage=url).trials
    value = stored.params["model"]
    assert isinstance(value, OpaqueChoice) and value == Estimator(2.0)
    reordered = CategoricalDistribution([Estimator(2.0), Estimator(1.0)])
    assert reordered.to_internal_repr(value) == 0.0
    assert stored.distributions["model"] == CategoricalDistribution(first)


def test_json_choices_may_change_between_runs(url):
    # Only choices stored by repr are checked: JSON choices carry their value.
    sktune.create_study(study_name="s", storage=url).optimize(
        opaque_objective(["a", "b"]), n_trials=2
    )
    study = sktune.load_study(study_name="s", storage=url)
    study.optimize(opaque_objective(["b", "c"]), n_trials=2)
    assert {t.params["model"] for t in study.trials} <= {"a", "b", "c"}


def test_branches_of_one_run_may_use_different_opaque_lists(url):
    study = sktune.create_study(study_name="s", storage=url)

    def objective(trial):
        if trial.number % 2:
            trial.suggest_categorical("model", [Estimator(1.0)])
        else:
            trial.suggest_categorical("model", [Estimator(3.0), Estimator(4.0)])
        return 0.0

    study.optimize(objective, n_trials=4)
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


@pytest.mark.parametrize("wrap", ["dict", "tuple"])
def test_containers_of_the_same_text_keep_their_positions(url, wrap):
    # Two arrays whose reprs are equal, inside dict (or tuple) choices: read
    # back from the file, the trial that fitted b was listed as a, and
    # best_params_ named a with b's score.
    from sklearn.base import BaseEstimator

    class Weighted(BaseEstimator):
        """Scores ``w[1000]`` of its ``cfg``'s array."""

        def __init__(self, cfg=None):
            self.cfg = cfg

        def fit(self, X, y):
            cfg = self.cfg
            self.score_ = float((cfg["w"] if wrap == "dict" else cfg[1])[1000])
            return self

        def score(self, X, y):
            return self.score_

    a = np.zeros(2000)
    b = a.copy()
    b[1000] = 1.0
    assert repr(a) == repr(b)
    space = {"cfg": [{"w": a}, {"w": b}] if wrap == "dict" else [("x", a), ("x", b)]}
    X, y = np.zeros((20, 1)), np.zeros(20)
    for n_iter in (2, 2):  # the second fit resumes the stored study
        search = sktune.TPESearchCV(
            Weighted(), space, n_iter=n_iter, cv=2, storage=url, study_name="s"
        ).fit(X, y)
        fitted = [
            Weighted(p["cfg"]).fit(X, y).score_ for p in search.cv_results_["params"]
        ]
        assert fitted == list(search.cv_results_["mean_test_score"])
        assert search.best_score_ == 1.0
        assert search.best_params_["cfg"] is space["cfg"][1]


# -- robustness: URLs, schema, pickling, threads, fork ---------------------------------
def test_url_and_argument_checks(tmp_path):
    path = tmp_path / "p.db"
    assert SQLiteStorage(path).path == str(path)
    assert isinstance(get_storage(f"sqlite:///{path}"), SQLiteStorage)
    with pytest.raises(InvalidParameterError, match="'url' parameter of SQLiteStorage"):
        SQLiteStorage("postgresql://db")
    with pytest.raises(InvalidParameterError, match="'heartbeat_interval'"):
        SQLiteStorage(path, heartbeat_interval=0)
    with pytest.raises(InvalidParameterError, match="'grace_period'"):
        SQLiteStorage(path, grace_period=-1.0)
    with pytest.raises(InvalidParameterError, match="'timeout'"):
        SQLiteStorage(path, timeout="1")
    assert SQLiteStorage(path, heartbeat_interval=2).grace_period == 8.0


def test_file_that_is_not_a_database_is_reported(tmp_path):
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StorageInternalError, match="not a usable sktune SQLite"):
        SQLiteStorage(path).get_all_study_names()


def test_schema_version_is_recorded_and_checked(url):
    storage = SQLiteStorage(url)
    storage.get_all_study_names()
    path = url[len("sqlite:///") :]
    with sqlite3.connect(path) as conn:
        (version,) = conn.execute(
            "SELECT value FROM sktune_meta WHERE key = 'schema_version'"
        ).fetchone()
        assert int(version) == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        conn.execute(
            "UPDATE sktune_meta SET value = ? WHERE key = 'schema_version'",
            (str(SCHEMA_VERSION + 1),),
        )
    with pytest.raises(StorageInternalError, match="schema version"):
        SQLiteStorage(url).get_all_study_names()


@pytest.mark.parametrize(
    "tables, match",
    [
        # Optuna's RDB storage (the tables that tell it apart).
        (["studies", "trials", "alembic_version", "version_info"], "Optuna storage"),
        (["measurements"], r"other tables \(measurements\)"),
    ],
)
def test_a_foreign_database_is_refused_untouched(tmp_path, tables, match):
    # sktune added its tables to an Optuna file (and switched it to WAL), then
    # failed on Optuna's own "studies" table with a raw sqlite3 error.
    path = str(tmp_path / "foreign.db")
    with sqlite3.connect(path) as conn:
        for name in tables:
            conn.execute(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY)")
    conn.close()
    url = f"sqlite:///{path}"
    for call in (
        lambda: sktune.get_all_study_names(url),
        lambda: sktune.load_study(study_name="a", storage=url),
        lambda: sktune.create_study(study_name="a", storage=url, load_if_exists=True),
        lambda: sktune.create_study(storage=url),
    ):
        with pytest.raises(StorageInternalError, match=match):
            call()
    with sqlite3.connect(path) as conn:
        after = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert after == set(tables)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def test_pickled_storage_reconnects(url):
    storage = SQLiteStorage(url, heartbeat_interval=5.0)
    study = sktune.create_study(study_name="s", storage=storage)
    study.optimize(lambda t: t.suggest_int("k", 0, 9), n_trials=3)
    clone = pickle.loads(pickle.dumps(storage))
    assert clone.heartbeat_interval == 5.0
    assert len(clone.get_all_trials(study._study_id)) == 3
    # A pickled study keeps working against the same file.
    study2 = pickle.loads(pickle.dumps(study))
    study2.optimize(lambda t: t.suggest_int("k", 0, 9), n_trials=2)
    assert len(study.trials) == 5


def test_threads_share_one_storage(url):
    study = sktune.create_study(study_name="s", storage=url)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=40, n_jobs=4)
    trials = sktune.load_study(study_name="s", storage=url).trials
    assert sorted(t.number for t in trials) == list(range(40))
    assert all(t.state == TrialState.COMPLETE for t in trials)


def _child_optimize(storage, study_id, n, queue):
    try:
        study = sktune.load_study(study_name="s", storage=storage)
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=n)
        queue.put(len(storage.get_all_trials(study_id)))
    except BaseException as exc:  # pragma: no cover - reported to the parent
        queue.put(repr(exc))


@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs fork"
)
def test_forked_child_opens_its_own_connection(url):
    storage = SQLiteStorage(url)
    study = sktune.create_study(study_name="s", storage=storage)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(
        target=_child_optimize, args=(storage, study._study_id, 3, queue)
    )
    child.start()
    result = queue.get(timeout=60)
    child.join(60)
    assert result == 5
    # The parent's connection still works and sees the child's trials.
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert [t.number for t in study.trials] == list(range(6))


def _child_names(storage, queue):
    queue.put(storage.get_all_study_names())


@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs fork"
)
def test_fork_while_another_thread_holds_the_lock(url):
    # E.g. the heartbeat thread writing at the moment of the fork: the child
    # must not inherit a lock that nobody will ever release.
    storage = SQLiteStorage(url)
    sktune.create_study(study_name="s", storage=storage)
    held, release = threading.Event(), threading.Event()

    def hold():
        with storage._lock:
            held.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    held.wait(60)
    try:
        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        child = ctx.Process(target=_child_names, args=(storage, queue))
        child.start()
        assert queue.get(timeout=60) == ["s"]
        child.join(60)
    finally:
        release.set()
        holder.join()


def test_heartbeat_thread_beats_and_stops(url):
    storage = SQLiteStorage(url, heartbeat_interval=0.05)
    sid = storage.create_new_study("minimize", "s")
    tid = storage.create_new_trial(sid)
    path = url[len("sqlite:///") :]

    def beat():
        with sqlite3.connect(path) as conn:
            return conn.execute(
                "SELECT heartbeat FROM trials WHERE trial_id = ?", (tid,)
            ).fetchone()[0]

    first = beat()
    deadline = threading.Event()
    for _ in range(200):
        if beat() > first:
            break
        deadline.wait(0.05)
    assert beat() > first
    storage.set_trial_state_values(tid, TrialState.COMPLETE, 1.0)
    assert beat() is None
    assert tid not in storage._heartbeat.trial_ids


def test_heartbeat_stops_for_trials_finished_by_another_handle(url):
    a = SQLiteStorage(url, heartbeat_interval=30.0)
    b = SQLiteStorage(url, heartbeat_interval=30.0, grace_period=1e-3)
    sid = a.create_new_study("minimize", "s")
    told, stale = a.create_new_trial(sid), a.create_new_trial(sid)
    assert a._heartbeat.trial_ids == {told, stale}
    b.set_trial_state_values(told, TrialState.COMPLETE, 1.0)
    with pytest.raises(UpdateFinishedTrialError):
        a.set_trial_state_values(told, TrialState.COMPLETE, 2.0)
    assert told not in a._heartbeat.trial_ids
    threading.Event().wait(0.01)
    assert stale in b.fail_stale_trials(sid)
    a.get_all_trials(sid)  # reads the other handle's verdict
    assert a._heartbeat.trial_ids == frozenset()


def test_closing_at_interpreter_exit_needs_no_module_globals(url, monkeypatch):
    # At exit, module globals (os) may be None before the storage is freed.
    from sktune.storages import _sqlite

    storage = SQLiteStorage(url)
    storage.create_new_study("minimize", "s")
    monkeypatch.setattr(_sqlite, "os", None)
    storage.__del__()  # closes the connection; no AttributeError
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        storage._conn.execute("SELECT 1")


def test_database_file_is_consistent(url):
    study = sktune.create_study(study_name="s", storage=url)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    with sqlite3.connect(url[len("sqlite:///") :]) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_file_is_created_on_first_use_not_by_the_constructor(tmp_path):
    path = tmp_path / "lazy.db"
    storage = SQLiteStorage(path)
    assert not os.path.exists(path)
    storage.get_all_study_names()
    assert os.path.exists(path)


def test_an_enqueued_estimator_is_its_choice_on_sqlite(url):
    # System attributes kept it by repr, which scikit-learn shortens, while
    # choices compare by their full text: the trial failed ("cannot be held").
    from sklearn.linear_model import LogisticRegression

    choices = [LogisticRegression(C=2.0), (1, LogisticRegression())]
    study = sktune.create_study(storage=url)
    for choice in choices:
        study.enqueue_trial({"p": choice})
    study.optimize(lambda t: len(str(t.suggest_categorical("p", choices))), 2)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2
    assert [t.params["p"] for t in study.trials] == choices


def test_an_older_files_user_dict_keyed_pairs_is_read_as_it_was():
    from sktune.storages._sqlite import _tag, _untag

    for older in ("abc", [], [["a", 1]], [[[1, 2], 3]]):
        assert _untag({"__pairs__": older}) == {"__pairs__": older}
    for value in ({1: "a", (2, 3): None}, {"__pairs__": [[1, 2]]}):
        assert _untag(json.loads(json.dumps(_tag(value, False)))) == value


def test_enqueued_lambdas_stay_distinct_choices_on_sqlite(url):
    # Functions are spelled by qualified name only where that name reaches
    # them; two lambdas (one name, "<lambda>") keep their own texts.
    choices = [lambda: 1, lambda: 2]
    study = sktune.create_study(storage=url)
    for i in (1, 0, 1):
        study.enqueue_trial({"f": choices[i]})
    study.optimize(lambda t: t.suggest_categorical("f", choices)(), n_trials=3)
    assert [t.value for t in study.trials] == [2.0, 1.0, 2.0]


def test_an_enqueued_array_is_its_choice_on_sqlite(url):
    # Stored as a list, an enqueued array choice matched no choice (the
    # trial failed); it is kept by its text, as the array choices are.
    choices = [np.zeros((2, 2)), np.array([1, 2]), np.array([3, 4])]
    study = sktune.create_study(storage=url)
    for i in (2, 0, 1):
        study.enqueue_trial({"a": choices[i].copy()})
    study.optimize(lambda t: float(t.suggest_categorical("a", choices).sum()), 3)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3
    assert [t.value for t in study.trials] == [7.0, 0.0, 3.0]
    # A list is not an array choice, on SQLite as in memory.
    study.enqueue_trial({"a": [3, 4]})
    with pytest.raises(ValueError, match="cannot be held"):
        study.optimize(lambda t: t.suggest_categorical("a", choices), 1)


@pytest.fixture(params=["memory", "sqlite"])
def either(request, url):
    """A storage argument of create_study: in memory (None) or SQLite."""
    return None if request.param == "memory" else url


def test_equal_choices_of_other_types_are_one_position_on_both_storages(url):
    # On SQLite both read back as the same int, whose position was 0, where
    # memory said 1: a seeded sampler's proposals then depended on the storage.
    choices = [np.int64(1), 1, 2, 3]
    proposals = []
    for storage in (None, url):
        study = sktune.create_study(
            storage=storage, sampler=sktune.samplers.TPESampler(seed=0)
        )
        study.optimize(lambda t: t.suggest_categorical("c", choices), n_trials=20)
        dist = study.trials[0].distributions["c"]
        proposals.append([dist.to_internal_repr(t.params["c"]) for t in study.trials])
    assert proposals[0] == proposals[1]
    assert 1.0 not in proposals[0]  # np.int64(1) and 1 are one choice


def test_an_enqueued_object_is_the_very_choice(either):
    # In memory the enqueued parameters were deep-copied: a choice compared by
    # identity (an object without __eq__, an estimator) matched no choice, and
    # skip_if_exists queued the same estimator twice.
    from sklearn.linear_model import LogisticRegression

    class Plain:
        pass

    choices = [Plain(), Plain()]
    study = sktune.create_study(storage=either)
    study.enqueue_trial({"p": choices[1]})
    study.optimize(lambda t: choices.index(t.suggest_categorical("p", choices)), 1)
    assert study.trials[0].state == TrialState.COMPLETE
    assert study.trials[0].value == 1.0
    model = LogisticRegression(C=2.0)
    study.enqueue_trial({"m": model})
    study.enqueue_trial({"m": model}, skip_if_exists=True)
    assert len(study.get_trials(states=(TrialState.WAITING,))) == 1


def test_skip_if_exists_finds_an_enqueued_nan(either):
    # After SQLite's JSON round trip the NaN is another object, unequal to
    # the given one under ==.
    study = sktune.create_study(storage=either)
    study.enqueue_trial({"c": float("nan")})
    study.enqueue_trial({"c": float("nan")}, skip_if_exists=True)
    assert len(study.trials) == 1


def test_an_enqueued_fraction_is_its_number(either):
    # SQLite kept it by its text, and the trial then failed ("not a real
    # number"); in memory it is 0.5.
    from fractions import Fraction

    study = sktune.create_study(storage=either)
    study.enqueue_trial({"x": Fraction(1, 2)})
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert study.trials[0].params == {"x": 0.5}


@pytest.mark.parametrize("steps", [{1.5: 2.0}, {1.2: 1.0, 1.7: 2.0}, {-1: 0.0}])
def test_intermediate_values_at_steps_that_are_not_ints_are_refused(steps, either):
    # SQLite cut 1.5 to 1 silently, and 1.2 with 1.7 raised sqlite3's
    # IntegrityError; Trial.report refuses such steps.
    study = sktune.create_study(storage=either)
    with pytest.raises(ValueError, match="steps that are ints >= 0"):
        study.add_trial(
            sktune.create_trial(state=TrialState.PRUNED, intermediate_values=steps)
        )
    study.add_trial(
        sktune.create_trial(
            state=TrialState.PRUNED, intermediate_values={np.int64(2): 1.0}
        )
    )
    assert study.trials[0].intermediate_values == {2: 1.0}


def test_get_trial_sees_a_running_trial_finished_by_another_handle(url):
    # This process's write-through copy of its running trial was returned
    # as RUNNING after another handle (process) had told it.
    first = sktune.create_study(storage=url, study_name="s")
    trial = first.ask()
    sktune.load_study(study_name="s", storage=url).tell(trial.number, 1.0)
    got = first._storage.get_trial(trial._trial_id)
    assert got.state == TrialState.COMPLETE
    assert got.value == 1.0


@pytest.mark.parametrize("suggest", ["categorical", "float"])
def test_an_enqueued_zero_d_array_is_its_number(either, suggest):
    study = sktune.create_study(storage=either)
    study.enqueue_trial({"x": np.array(0.5)})

    def objective(trial):
        if suggest == "float":
            return trial.suggest_float("x", 0.0, 1.0)
        return trial.suggest_categorical("x", [1.0, 0.5])

    study.optimize(objective, n_trials=1)
    assert study.trials[0].params == {"x": 0.5}


def test_an_enqueued_fraction_that_no_float_equals_is_its_choice(either):
    from fractions import Fraction

    choices = [Fraction(2, 3), Fraction(1, 3)]
    study = sktune.create_study(storage=either)
    study.enqueue_trial({"r": Fraction(1, 3)})
    study.optimize(lambda t: float(t.suggest_categorical("r", choices)), n_trials=1)
    assert study.trials[0].params == {"r": Fraction(1, 3)}


def test_enqueued_arrays_are_told_apart_by_their_values(either):
    # Arrays that print alike (summarised beyond 1000 elements, or equal to 8
    # digits) were one text: on SQLite the second ran as the first.
    long = [np.zeros(2000), np.zeros(2000)]
    long[1][500] = 1.0
    close = [np.array([0.1, 0.2]), np.array([0.1 + 1e-10, 0.2])]
    for choices in (long, close):
        study = sktune.create_study(storage=either)
        study.enqueue_trial({"a": choices[1].copy()})
        study.enqueue_trial({"a": choices[1].copy()}, skip_if_exists=True)
        study.enqueue_trial({"a": choices[0].copy()}, skip_if_exists=True)
        study.optimize(
            lambda t, c=choices: [x is t.suggest_categorical("a", c) for x in c].index(
                True
            ),
            n_trials=2,
        )
        assert [t.value for t in study.trials] == [1.0, 0.0]


def test_enqueued_values_are_not_changed_by_the_caller_afterwards(either):
    layers = [64]
    study = sktune.create_study(storage=either)
    study.enqueue_trial({"h": layers})
    layers.append(32)
    study.trials[0].system_attrs["fixed_params"]["h"].append(16)
    study.optimize(lambda t: len(t.suggest_categorical("h", [[64], [64, 32]])), 1)
    assert study.trials[0].params == {"h": [64]}


def test_an_enqueued_object_that_cannot_be_copied_is_used(either):
    class Locked:
        def __init__(self):
            self.lock = threading.Lock()

    choices = [Locked(), Locked()]
    study = sktune.create_study(storage=either)
    study.enqueue_trial({"o": choices[1]})
    study.optimize(lambda t: choices.index(t.suggest_categorical("o", choices)), 1)
    assert study.trials[0].value == 1.0


def test_system_attributes_keep_arrays_as_numbers(url):
    # Only an enqueued trial's arrays are kept as arrays (to match choices);
    # elsewhere, as before, they come back as lists of their numbers.
    study = sktune.create_study(storage=url)
    study.set_system_attr("mean", np.array([0.5, 1.5]))
    trial = study.ask()
    trial.set_system_attr("z", np.arange(2000.0))
    again = sktune.load_study(study_name=study.study_name, storage=url)
    assert again.system_attrs["mean"] == [0.5, 1.5]
    assert again.trials[0].system_attrs["z"] == list(np.arange(2000.0))


def test_steps_beyond_64_bits_are_refused(either):
    study = sktune.create_study(storage=either)
    with pytest.raises(ValueError, match="below 2"):
        sktune.create_trial(state=TrialState.PRUNED, intermediate_values={2**63: 1.0})
    trial = study.ask()
    with pytest.raises(InvalidParameterError, match="below 2"):
        trial.report(1.0, 2**63)


@pytest.mark.parametrize(
    "kind",
    [
        "tuple",
        "list",
        "dict",
        "object",
        "matrix",
        "longdouble",
        "dtype",
        "nested dtype",
        "structured",
        "raising eq",
    ],
)
def test_enqueued_values_holding_arrays_run_their_own_choice(either, kind):
    class Plain:  # no __eq__: an object array holding it compares by identity
        pass

    class Raises:
        def __eq__(self, other):
            raise RuntimeError("no ==")

        __hash__ = object.__hash__

    big = [np.zeros(2000), np.zeros(2000)]
    big[1][7] = 1.0
    choices = {
        "tuple": [(big[0],), (big[1],)],
        "list": [[big[0]], [big[1]]],
        "dict": [{"w": big[0]}, {"w": big[1]}],
        # (Object arrays are stored by their text: these print apart.)
        "object": [np.array([np.arange(3)], dtype=object), np.array([Plain()])],
        "matrix": [np.matrix([[1, 2]]), np.matrix([[3, 4]])],
        "longdouble": [np.zeros(2, np.longdouble), np.ones(2, np.longdouble)],
        "dtype": [np.array([1, 2]), np.array([1.0, 2.0])],
        "nested dtype": [{"w": np.array([1, 2])}, {"w": np.array([1.0, 2.0])}],
        "structured": [
            np.zeros(2, dtype=[("a", "i8")]),
            np.zeros(2, dtype=[("b", "f8")]),
        ],
        "raising eq": [np.array([1, 2]), np.array([Raises(), 1], dtype=object)],
    }[kind]
    study = sktune.create_study(storage=either)
    # An equal value, not the choice itself (an object array's copy holds
    # the same objects).
    shallow = kind in ("object", "raising eq")
    other = choices[1].copy() if shallow else copy.deepcopy(choices[1])
    study.enqueue_trial({"a": other})
    study.enqueue_trial({"a": choices[0]})

    def objective(trial):
        value = trial.suggest_categorical("a", choices)
        return [c is value for c in choices].index(True)

    study.optimize(objective, n_trials=2)
    assert [t.value for t in study.trials] == [1.0, 0.0]


def test_an_enqueued_fraction_for_a_float_is_exact(either):
    from fractions import Fraction

    study = sktune.create_study(storage=either)
    study.enqueue_trial({"x": Fraction(1, 3)})
    study.enqueue_trial({"x": Fraction(10**400)})  # no float holds it
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert study.trials[0].params == {"x": 1 / 3}


@pytest.mark.parametrize(
    "first, second, queued",
    [
        (np.float32("nan"), np.float32("nan"), 1),
        ({"w": np.arange(3)}, {"w": np.arange(3)}, 1),
        ((np.arange(3), 1), (np.arange(3), 1), 1),
        (1, np.array([1]), 2),
        (np.array([1]), 1, 2),
        (np.arange(3), [0, 1, 2], 2),
    ],
)
def test_skip_if_exists_compares_arrays_and_nan_by_value(either, first, second, queued):
    study = sktune.create_study(storage=either)
    study.enqueue_trial({"a": first})
    study.enqueue_trial({"a": second}, skip_if_exists=True)
    assert len(study.trials) == queued


def test_skip_if_exists_with_an_object_array_holding_arrays(either):
    value = np.array([np.arange(3), np.arange(2)], dtype=object)
    study = sktune.create_study(storage=either)
    study.enqueue_trial({"a": value})
    study.enqueue_trial({"a": value}, skip_if_exists=True)
    assert len(study.trials) == 1


def test_grid_sampler_takes_an_enqueued_zero_d_array_as_its_point(either):
    sampler = sktune.samplers.GridSampler({"b": [0, 1]})
    study = sktune.create_study(storage=either, sampler=sampler)
    study.enqueue_trial({"b": np.array(1)})
    study.optimize(lambda t: t.suggest_categorical("b", [0, 1]), n_trials=5)
    assert sorted(t.params["b"] for t in study.trials) == [0, 1]


@pytest.mark.parametrize(
    "make, change",
    [
        (lambda: list(np.array([64, 32])), lambda v: v.__setitem__(0, 1)),
        (lambda: [np.float32(0.5)], lambda v: v.__setitem__(0, 1.0)),
        (lambda: {1, 2}, lambda v: v.add(99)),
        (lambda: {"ids": [1, 2], "est": object()}, lambda v: v["ids"].append(3)),
    ],
)
def test_enqueued_containers_are_copied_whatever_they_hold(either, make, change):
    # Lists of NumPy numbers, sets, and dicts holding an object were shared
    # with the caller: a later change reached the queued trial.
    value, expected = make(), make()
    study = sktune.create_study(storage=either)
    study.enqueue_trial({"v": value})
    change(value)

    def queued():
        v = study.trials[0].system_attrs["fixed_params"]["v"]
        return v["ids"] if isinstance(v, dict) else v

    assert queued() == (expected["ids"] if isinstance(expected, dict) else expected)
    if either is None:  # a copy read from the study is not the queued value
        change(study.trials[0].system_attrs["fixed_params"]["v"])
        assert queued() == (expected["ids"] if isinstance(expected, dict) else expected)


def test_enqueued_subclasses_of_dicts_and_lists_are_copied(either):
    from collections import OrderedDict

    class Layers(list):
        pass

    layers, weights = Layers([64]), OrderedDict(a=1)
    study = sktune.create_study(storage=either)
    study.enqueue_trial({"h": layers, "w": weights})
    layers.append(32)
    weights["b"] = 2
    fixed = study.trials[0].system_attrs["fixed_params"]
    assert list(fixed["h"]) == [64]
    assert dict(fixed["w"]) == {"a": 1}


def test_only_enqueued_parameters_read_tagged_arrays_back():
    # A dict of this shape in a user attribute of an earlier version's file
    # (not escaped then) stays a dict.
    from sktune.storages._sqlite import _loads

    text = json.dumps({"__ndarray__": ["<i8", [2], [1, 2]]})
    assert _loads(text) == {"__ndarray__": ["<i8", [2], [1, 2]]}
    np.testing.assert_array_equal(_loads(text, exact=True), [1, 2])
