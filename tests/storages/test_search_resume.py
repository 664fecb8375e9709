"""TPESearchCV resumed from a real SQLite file: Ctrl-C, resume, refusals."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.datasets import make_regression
from sklearn.linear_model import Lasso, Ridge
from sklearn.pipeline import Pipeline

import sktune
from sktune.distributions import FloatDistribution
from sktune.trial import TrialState

N_SPLITS = 3


class Interruptible(RegressorMixin, BaseEstimator):
    """Predicts the mean of y shifted by ``alpha``; its ``fit`` raises
    KeyboardInterrupt (as Ctrl-C would) on the ``stop_at``-th call overall."""

    calls = 0

    def __init__(self, alpha: float = 1.0, stop_at: int | None = None) -> None:
        self.alpha = alpha
        self.stop_at = stop_at

    def fit(self, X, y):
        type(self).calls += 1
        if self.stop_at is not None and type(self).calls == self.stop_at:
            raise KeyboardInterrupt
        self.mean_ = float(np.mean(y))
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_ + self.alpha)


@pytest.fixture
def data():
    return make_regression(n_samples=45, n_features=3, random_state=0)


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'search.db'}"


def search(estimator, url, n_iter, space=None, **kwargs):
    return sktune.TPESearchCV(
        estimator,
        space or {"alpha": FloatDistribution(-1.0, 1.0)},
        n_iter=n_iter,
        cv=N_SPLITS,
        storage=url,
        study_name="resume",
        random_state=0,
        **kwargs,
    )


def complete(study):
    return study.get_trials(states=(TrialState.COMPLETE,))


def test_ctrl_c_keeps_finished_trials_and_resume_reaches_n_iter(data, url):
    X, y = data
    Interruptible.calls = 0
    # Interrupt in the middle of the 7th candidate (6 done, one fold into #7).
    stop_at = 6 * N_SPLITS + 2
    with pytest.raises(KeyboardInterrupt):
        search(Interruptible(stop_at=stop_at), url, n_iter=10).fit(X, y)

    # Every finished trial is on disk (read by a fresh storage).
    stored = sktune.load_study(study_name="resume", storage=url)
    done = complete(stored)
    assert len(done) == 6
    assert all(t.state != TrialState.RUNNING for t in stored.trials)
    before = [t.params for t in done]

    # A new search on the same storage and name continues the study.
    Interruptible.calls = 0
    resumed = search(Interruptible(), url, n_iter=10).fit(X, y)
    assert len(complete(resumed.study_)) == 10
    assert len(resumed.cv_results_["params"]) == 10
    # Only the 4 missing candidates were evaluated (+ the refit).
    assert Interruptible.calls == 4 * N_SPLITS + 1
    assert [t.params for t in complete(resumed.study_)][:6] == before
    # A second fit with the same n_iter has nothing left to do.
    Interruptible.calls = 0
    again = search(Interruptible(), url, n_iter=10).fit(X, y)
    assert Interruptible.calls == 1  # the refit only
    assert len(again.cv_results_["params"]) == 10


def test_resume_through_the_study_parameter(data, url):
    X, y = data
    search(Interruptible(), url, n_iter=4).fit(X, y)
    study = sktune.load_study(
        study_name="resume", storage=url, sampler=sktune.samplers.RandomSampler(0)
    )
    resumed = sktune.TPESearchCV(
        Interruptible(),
        {"alpha": FloatDistribution(-1.0, 1.0)},
        n_iter=7,
        cv=N_SPLITS,
        study=study,
    ).fit(X, y)
    assert len(complete(sktune.load_study(study_name="resume", storage=url))) == 7
    assert len(resumed.cv_results_["params"]) == 7


def test_mismatched_space_is_refused_naming_the_parameter(data, url):
    X, y = data
    search(Interruptible(), url, n_iter=3).fit(X, y)
    with pytest.raises(ValueError, match="'alpha'"):
        search(Interruptible(), url, n_iter=5, space={"alpha": ["low", "high"]}).fit(
            X, y
        )
    # Nothing was added by the refused fit.
    assert len(sktune.load_study(study_name="resume", storage=url).trials) == 3


def test_other_estimator_choices_are_refused(data, url):
    # Estimators are stored by repr and trials by index: resuming with another
    # list of estimators must be refused, not silently remapped.
    X, y = data
    pipe = Pipeline([("model", Ridge())])

    def space(models):
        return {"model": models, "model__alpha": FloatDistribution(0.01, 1.0)}

    search(pipe, url, n_iter=3, space=space([Ridge(), Lasso()])).fit(X, y)
    with pytest.raises(ValueError, match="'model'"):
        search(pipe, url, n_iter=5, space=space([Lasso(), Ridge()])).fit(X, y)
    # The same list (new but equal objects) resumes.
    resumed = search(pipe, url, n_iter=5, space=space([Ridge(), Lasso()]))
    resumed.fit(X, y)
    assert len(resumed.cv_results_["params"]) == 5
    models = {type(p["model"]).__name__ for p in resumed.cv_results_["params"]}
    assert models <= {"Ridge", "Lasso"}


def test_other_data_warns_and_same_data_does_not(data, url):
    X, y = data
    search(Interruptible(), url, n_iter=3).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        search(Interruptible(), url, n_iter=4).fit(X, y)
    with pytest.warns(UserWarning, match="other data"):
        search(Interruptible(), url, n_iter=5).fit(X[:-3], y[:-3])


@pytest.mark.parametrize(
    ("changed", "match"),
    [
        ({"cv": 5}, "'cv' parameter of TPESearchCV gives 5 splits, .* on 3 splits"),
        ({"scoring": "neg_mean_absolute_error"}, "'scoring' parameter .* with None"),
        (
            {"scoring": ["r2", "neg_mean_absolute_error"], "refit": "r2"},
            "'scoring' parameter",
        ),
        ({"return_train_score": True}, "'return_train_score' parameter"),
    ],
)
def test_other_evaluation_settings_are_refused_before_any_fit(
    data, url, changed, match
):
    X, y = data
    search(Ridge(), url, n_iter=3).fit(X, y)
    kwargs = {"cv": N_SPLITS, **changed}
    resumed = sktune.TPESearchCV(
        Ridge(),
        {"alpha": FloatDistribution(-1.0, 1.0)},
        n_iter=5,
        storage=url,
        study_name="resume",
        random_state=0,
        **kwargs,
    )
    with pytest.raises(ValueError, match=match):
        resumed.fit(X, y)
    study = sktune.load_study(study_name="resume", storage=url)
    assert len(study.trials) == 3
    # The study is not spoiled: the original settings still resume it.
    again = search(Ridge(), url, n_iter=5).fit(X, y)
    assert len(again.cv_results_["params"]) == 5


def test_same_scorer_object_in_a_new_session_resumes(data, url):
    from sklearn.metrics import make_scorer, mean_absolute_error

    X, y = data

    def scorer():
        return make_scorer(mean_absolute_error, greater_is_better=False)

    search(Ridge(), url, n_iter=3, scoring=scorer()).fit(X, y)
    resumed = search(Ridge(), url, n_iter=5, scoring=scorer()).fit(X, y)
    assert len(resumed.cv_results_["params"]) == 5


def test_resumed_seeded_random_sampler_draws_new_candidates(data, url):
    from sktune.samplers import RandomSampler

    X, y = data
    first = search(Ridge(), url, n_iter=4, sampler=RandomSampler(seed=0)).fit(X, y)
    resumed = search(Ridge(), url, n_iter=8, sampler=RandomSampler(seed=0)).fit(X, y)
    alphas = [p["alpha"] for p in resumed.cv_results_["params"]]
    assert alphas[:4] == [p["alpha"] for p in first.cv_results_["params"]]
    assert len(set(alphas)) == 8
    # Still reproducible: the same resume from the same state draws the same.
    other_url = url.replace("search.db", "other.db")
    search(Ridge(), other_url, n_iter=4, sampler=RandomSampler(seed=0)).fit(X, y)
    again = search(Ridge(), other_url, n_iter=8, sampler=RandomSampler(seed=0))
    assert [p["alpha"] for p in again.fit(X, y).cv_results_["params"]] == alphas


def test_other_objective_is_refused(data, url):
    # The trial values (and so TPE's model) would mix two metrics.
    X, y = data
    two = ["r2", "neg_mean_absolute_error"]
    search(Ridge(), url, n_iter=3, scoring=two, refit="r2").fit(X, y)
    with pytest.raises(ValueError, match="'refit' parameter of TPESearchCV gives the"):
        search(Ridge(), url, n_iter=5, scoring=two, refit=two[1]).fit(X, y)
    assert len(sktune.load_study(study_name="resume", storage=url).trials) == 3
    resumed = search(Ridge(), url, n_iter=5, scoring=two, refit="r2").fit(X, y)
    assert len(resumed.cv_results_["params"]) == 5


def test_refit_with_a_single_metric_does_not_change_the_objective(data, url):
    X, y = data
    space = {"alpha": FloatDistribution(0.1, 1.0)}
    search(Ridge(), url, 2, space, scoring="r2", refit="r2").fit(X, y)
    resumed = search(Ridge(), url, 3, space, scoring="r2", refit=True).fit(X, y)
    assert len(resumed.cv_results_["params"]) == 3


def test_other_numeric_error_score_is_refused(data, url):
    # Ridge refuses a negative alpha: those candidates' folds fail.
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        first = search(Ridge(), url, n_iter=6, error_score=-1000.0).fit(X, y)
        assert (first.cv_results_["mean_test_score"] == -1000.0).any()
        with pytest.raises(ValueError, match="'error_score' parameter of TPESearchC"):
            search(Ridge(), url, n_iter=8).fit(X, y)  # error_score=nan
        resumed = search(Ridge(), url, n_iter=8, error_score=-1000.0).fit(X, y)
    assert len(resumed.cv_results_["params"]) == 8


def test_resource_settings_are_refused_before_the_study_is_touched(data, tmp_path):
    from sktune.pruners import MedianPruner

    X, y = data
    path = tmp_path / "never.db"
    bad = sktune.TPESearchCV(
        Ridge(),
        {"alpha": [0.1, 0.2, 0.3]},
        n_iter=3,
        pruner=MedianPruner(),
        resource="epochs",  # Ridge has no partial_fit
        storage=f"sqlite:///{path}",
        study_name="s",
    )
    with pytest.raises(ValueError, match="'resource' parameter"):
        bad.fit(X, y)
    assert not path.exists()


def test_exhaustive_search_stopped_early_leaves_no_waiting_trials(data, url):
    # Every point used to be enqueued at the start: a search stopped by a
    # callback left the rest WAITING, and a later fit ran them first.
    X, y = data

    def stop_after_two(study, trial):
        if len(study.get_trials(states=(TrialState.COMPLETE,))) >= 2:
            study.stop()

    space = {"alpha": [0.1, 0.2, 0.3, 0.4, 0.5]}
    first = search(Ridge(), url, n_iter=5, space=space, callbacks=[stop_after_two])
    first.fit(X, y)
    study = sktune.load_study(study_name="resume", storage=url)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 2
    resumed = search(Ridge(), url, n_iter=5, space=space).fit(X, y)
    alphas = sorted(resumed.cv_results_["param_alpha"])
    assert alphas == [0.1, 0.2, 0.3, 0.4, 0.5]


def test_bad_study_or_storage_errors_name_the_parameter(data, url, tmp_path):
    X, y = data
    sktune.create_study(study_name="resume", storage=url, direction="minimize")
    with pytest.raises(ValueError, match="The 'study_name' parameter of TPESearchCV"):
        search(Ridge(), url, n_iter=2).fit(X, y)
    empty = sktune.TPESearchCV(Ridge(), {"alpha": [1.0]}, storage="sqlite:///")
    with pytest.raises(ValueError, match="The 'storage' parameter of TPESearchCV"):
        empty.fit(X, y)


def _two_metrics(estimator, X_, y_):
    """A callable scoring that returns two metrics, r2 first."""
    from sklearn.metrics import mean_absolute_error, r2_score

    pred = estimator.predict(X_)
    return {"r2": r2_score(y_, pred), "mae": -mean_absolute_error(y_, pred)}


def test_other_refit_with_callable_multimetric_scoring_is_refused(data, url):
    X, y = data
    space = {"alpha": FloatDistribution(0.1, 1.0)}
    search(Ridge(), url, 2, space, scoring=_two_metrics, refit="mae").fit(X, y)
    for refit in ("r2", False):  # False: the values would be the first, r2
        with pytest.raises(ValueError, match="'refit' parameter of TPESearchCV"):
            search(Ridge(), url, 3, space, scoring=_two_metrics, refit=refit).fit(X, y)


def test_refit_name_with_a_single_callable_metric_resumes(data, url):
    from sklearn.metrics import r2_score

    def one(estimator, X_, y_):
        return r2_score(y_, estimator.predict(X_))

    X, y = data
    space = {"alpha": FloatDistribution(0.1, 1.0)}
    search(Ridge(), url, 2, space, scoring=one, refit="a").fit(X, y)
    resumed = search(Ridge(), url, 3, space, scoring=one, refit="b").fit(X, y)
    assert len(resumed.cv_results_["params"]) == 3


def test_callable_multimetric_first_metric_resumes_under_its_name(data, url):
    # refit=False keeps the first metric returned (r2) in the trial values:
    # resuming with refit="r2" holds the same metric, "mae" does not.
    X, y = data
    space = {"alpha": FloatDistribution(0.1, 1.0)}
    search(Ridge(), url, 2, space, scoring=_two_metrics, refit=False).fit(X, y)
    resumed = search(Ridge(), url, 3, space, scoring=_two_metrics, refit="r2").fit(X, y)
    assert len(resumed.cv_results_["params"]) == 3
    again = search(Ridge(), url, 4, space, scoring=_two_metrics, refit=False).fit(X, y)
    assert len(again.cv_results_["params"]) == 4
    with pytest.raises(ValueError, match="'refit' parameter of TPESearchCV"):
        search(Ridge(), url, 5, space, scoring=_two_metrics, refit="mae").fit(X, y)
