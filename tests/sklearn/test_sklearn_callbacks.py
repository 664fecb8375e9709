"""scikit-learn's callbacks (``set_callbacks``, scikit-learn >= 1.9) on
TPESearchCV: the same task tree as RandomizedSearchCV's ("fit", "search", one
"candidate-split-evaluation" per candidate and fold, "refit-with-best-params"),
whatever the joblib backend and the resource plan."""

from __future__ import annotations

import collections
import threading

import joblib
import numpy as np
import pytest
from scipy.stats import loguniform
from search_helpers import dask_backend
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import RandomizedSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sktune import TPESearchCV
from sktune.pruners import MedianPruner
from sktune.trial import TrialState

pytest.importorskip("sklearn.callback")

pytestmark = pytest.mark.sklearn_compat

rng = np.random.RandomState(0)
X = rng.normal(size=(240, 5))
y = (X[:, 0] + 0.5 * rng.normal(size=240) > 0).astype(int)


class Recorder:
    """Records every hook call; picklable, so it also goes to process workers."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def setup(self, estimator, context):
        self.calls.append(("setup", context.task_name, None))
        self.roots = getattr(self, "roots", set()) | {context.root_uuid}

    def teardown(self, estimator, context):
        self.calls.append(("teardown", context.task_name, None))

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None, metadata=None):
        self.calls.append(("begin", context.task_name, None if X is None else len(X)))
        self.roots = getattr(self, "roots", set()) | {context.root_uuid}

    def on_fit_task_end(self, estimator, context, *, X=None, y=None, metadata=None):
        self.calls.append(("end", context.task_name, None))

    def counts(self) -> collections.Counter:
        return collections.Counter((hook, task) for hook, task, _ in self.calls)


class AutoRecorder(Recorder):
    """An auto-propagated callback: meta-estimators pass it to sub-estimators."""

    max_propagation_depth = None


def _tasks(search, recorder, refit=True):
    n_eval = len(search.cv_results_["params"]) * search.n_splits_
    return {
        ("setup", "fit"): 1,
        ("begin", "fit"): 1,
        ("begin", "search"): 1,
        ("begin", "candidate-split-evaluation"): n_eval,
        ("end", "candidate-split-evaluation"): n_eval,
        ("end", "search"): 1,
        ("begin", "refit-with-best-params"): int(refit),
        ("end", "refit-with-best-params"): int(refit),
        ("end", "fit"): 1,
        ("teardown", "fit"): 1,
    }


@pytest.mark.parametrize("refit", [True, False])
@pytest.mark.parametrize("n_jobs", [None, 2])
def test_hooks_of_every_task_as_randomized_search(n_jobs, refit):
    space = {"C": loguniform(1e-3, 1e2)}
    ours, theirs = Recorder(), Recorder()
    with joblib.parallel_config(backend="threading"):
        search = TPESearchCV(
            LogisticRegression(), space, n_iter=5, cv=3, n_jobs=n_jobs, refit=refit
        )
        search.set_callbacks(ours).fit(X, y)
        RandomizedSearchCV(
            LogisticRegression(), space, n_iter=5, cv=3, n_jobs=n_jobs, refit=refit
        ).set_callbacks(theirs).fit(X, y)
    expected = {k: v for k, v in _tasks(search, ours, refit).items() if v}
    assert ours.counts() == expected == theirs.counts()
    # Each evaluation's hooks get its fold's training rows.
    sizes = [n for hook, task, n in ours.calls if task == "candidate-split-evaluation"]
    assert set(sizes) - {None} == {160}


def test_hooks_with_process_workers():
    # The evaluations run (and call their hooks) in the workers; the driver's
    # tasks are seen here, and nothing fails to pickle.
    recorder = Recorder()
    with joblib.parallel_config(backend="loky"):
        search = TPESearchCV(
            LogisticRegression(), {"C": loguniform(1e-3, 1e2)}, n_iter=4, cv=2, n_jobs=2
        )
        search.set_callbacks(recorder).fit(X, y)
    counts = recorder.counts()
    for task in ("fit", "search", "refit-with-best-params"):
        assert counts[("begin", task)] == counts[("end", task)] == 1
    assert counts[("setup", "fit")] == counts[("teardown", "fit")] == 1
    assert hasattr(search, "study_") and len(search.cv_results_["params"]) == 4


def test_hooks_on_a_dask_cluster_as_randomized_search():
    # Dask serialises the tasks: the evaluations' hooks run on copies of the
    # callback (as they do for RandomizedSearchCV); the driver's are seen here.
    space = {"C": loguniform(1e-3, 1e2)}
    ours, theirs = Recorder(), Recorder()
    with dask_backend():
        search = TPESearchCV(LogisticRegression(), space, n_iter=4, cv=2, n_jobs=2)
        search.set_callbacks(ours).fit(X, y)
        RandomizedSearchCV(
            LogisticRegression(), space, n_iter=4, cv=2, n_jobs=2
        ).set_callbacks(theirs).fit(X, y)
    assert ours.counts() == theirs.counts()
    assert ours.counts()[("end", "search")] == 1


def test_stepped_plan_has_one_evaluation_task_per_fold():
    # With partial_fit epochs and pruning, a fold runs in several units: its
    # task begins once and ends once, pruned or not, with the fold's rows; the
    # refit (partial_fit, not fit) is reported to propagated callbacks too.
    recorder = AutoRecorder()
    search = TPESearchCV(
        make_pipeline(StandardScaler(), SGDClassifier(random_state=0)),
        {"sgdclassifier__alpha": loguniform(1e-6, 1e2)},
        n_iter=12,
        cv=3,
        random_state=0,
        pruner=MedianPruner(n_startup_trials=3),
        resource="epochs",
        max_resources=12,
    )
    search.set_callbacks(recorder).fit(X, y)
    states = [t.state for t in search.study_.trials]
    assert TrialState.PRUNED in states
    assert recorder.counts() == _tasks(search, recorder)
    sizes = [n for hook, task, n in recorder.calls if hook == "begin"]
    assert sizes.count(160) == len(search.cv_results_["params"]) * 3


def test_context_tree_only_with_callbacks():
    # Without any callback no tree is built (each pickled task would carry
    # it); with callbacks on the estimator only, its fits join the search's
    # tree, as in RandomizedSearchCV.
    search = TPESearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, n_iter=2, cv=2)
    assert search._callback_root(X, y, None) is None
    recorder = Recorder()
    inner = LogisticRegression().set_callbacks(recorder)
    TPESearchCV(inner, {"C": [0.1, 1.0]}, n_iter=2, cv=2).fit(X, y)
    theirs = Recorder()
    inner = LogisticRegression().set_callbacks(theirs)
    RandomizedSearchCV(inner, {"C": [0.1, 1.0]}, n_iter=2, cv=2).fit(X, y)
    assert len(recorder.roots) == len(theirs.roots) == 1
    assert recorder.counts() == theirs.counts()


def test_process_workers_do_not_pickle_the_search_parameters():
    # The estimator the evaluations' hooks get in a worker is a copy without
    # the study, storage, sampler, pruner and callbacks parameters: a
    # callback that cannot be pickled does not break the search.
    lock = threading.Lock()
    with joblib.parallel_config(backend="loky"):
        search = TPESearchCV(
            LogisticRegression(),
            {"C": loguniform(1e-3, 1e2)},
            n_iter=3,
            cv=2,
            n_jobs=2,
            callbacks=[lambda study, trial: lock],
        )
        search.set_callbacks(Recorder()).fit(X, y)
    assert len(search.cv_results_["params"]) == 3


def test_evaluation_contexts_are_capped(monkeypatch):
    # Every pickled task carries the whole context tree: past the cap, later
    # candidates run without evaluation hooks, and the user is told.
    monkeypatch.setattr("sktune.sklearn._search._MAX_CALLBACK_EVALUATIONS", 6)
    recorder = Recorder()
    search = TPESearchCV(
        LogisticRegression(), {"C": loguniform(1e-3, 1e2)}, n_iter=5, cv=3
    ).set_callbacks(recorder)
    with pytest.warns(UserWarning, match="evaluations of the first 2 candidates"):
        search.fit(X, y)
    counts = recorder.counts()
    assert len(search.cv_results_["params"]) == 5
    assert counts[("begin", "candidate-split-evaluation")] == 6
    assert counts[("end", "candidate-split-evaluation")] == 6
    assert counts[("end", "fit")] == 1


def test_failed_fit_tears_callbacks_down():
    # As in BaseSearchCV.fit, callbacks are set up before the splitter runs;
    # an error after that still ends in teardown.
    from sklearn.model_selection import KFold

    cv = KFold(n_splits=2).split(X)
    list(cv)  # used up
    recorder = Recorder()
    search = TPESearchCV(LogisticRegression(), {"C": [0.1, 1.0]}, cv=cv)
    with pytest.raises(ValueError, match="No fits were performed"):
        search.set_callbacks(recorder).fit(X, y)
    counts = recorder.counts()
    assert counts[("setup", "fit")] == counts[("teardown", "fit")] == 1
    assert counts[("begin", "fit")] == 1


def test_the_search_task_is_not_ended_when_every_fit_fails():
    # As RandomizedSearchCV: "All the fits failed" is raised while the search
    # task runs; its end was reported first before.
    recorders = {}
    for cls, kw in [(RandomizedSearchCV, {"random_state": 0}), (TPESearchCV, {})]:
        recorder = recorders[cls.__name__] = Recorder()
        search = cls(LogisticRegression(), {"C": [-1.0, -2.0]}, n_iter=2, cv=2, **kw)
        with pytest.raises(ValueError, match="All the 4 fits failed"):
            search.set_callbacks(recorder).fit(X, y)
    counts = {name: r.counts() for name, r in recorders.items()}
    assert counts["TPESearchCV"] == counts["RandomizedSearchCV"]
    assert counts["TPESearchCV"][("end", "search")] == 0
    assert counts["TPESearchCV"][("teardown", "fit")] == 1


class _TaskIds(AutoRecorder):
    """Records (task_id, C) of each evaluation."""

    def __init__(self) -> None:
        super().__init__()
        self.evaluations: list[tuple[int, float]] = []

    def on_fit_task_begin(self, estimator, context, *, X=None, y=None, metadata=None):
        # (The fit of the evaluated LogisticRegression, propagated to it.)
        if context.source_task_name == "candidate-split-evaluation":
            self.evaluations.append((context.task_id, estimator.C))


def test_task_ids_follow_the_rows_when_drivers_ask_out_of_order(monkeypatch):
    # The driver that claimed candidate 0 asks after the other one: its
    # evaluations used to carry candidate 0's task ids with row 1's params.
    from sktune.sklearn._scheduler import Scheduler

    run_trial, ask = Scheduler._run_trial, Scheduler._ask
    other_asked = threading.Event()

    def late_first(self, claimed, runner):
        if claimed == 0:
            other_asked.wait(10)  # (a safety timeout, not a timing assertion)
        return run_trial(self, claimed, runner)

    def ask_and_tell(self):
        out = ask(self)
        other_asked.set()
        return out

    monkeypatch.setattr(Scheduler, "_run_trial", late_first)
    monkeypatch.setattr(Scheduler, "_ask", ask_and_tell)
    recorder = _TaskIds()
    with joblib.parallel_config(backend="threading"):
        search = (
            TPESearchCV(
                LogisticRegression(),
                {"C": loguniform(1e-3, 1e2)},
                n_iter=4,
                cv=3,
                n_jobs=2,
                random_state=0,
            )
            .set_callbacks(recorder)
            .fit(X, y)
        )
    rows = search.cv_results_["params"]
    seen = recorder.evaluations
    assert len(seen) == 4 * 3
    assert all(rows[task_id // 3]["C"] == c for task_id, c in seen)
