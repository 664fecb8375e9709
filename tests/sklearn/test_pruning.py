"""Pruning inside TPESearchCV: "epochs" (partial_fit), "estimators"
(warm_start) and the "auto" choice, in threads, loky processes and on a dask
cluster."""

from __future__ import annotations

import os
import warnings

import joblib
import numpy as np
import pytest
from search_helpers import dask_backend, on_dask_worker
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import GridSearchCV, KFold, RandomizedSearchCV
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

import sktune
from sktune import TPESearchCV
from sktune.pruners import (
    BasePruner,
    HyperbandPruner,
    MedianPruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
)
from sktune.sklearn._resources import (
    EpochsPlan,
    EstimatorsPlan,
    choose_resource,
    pruner_rungs,
    resource_schedule,
    run_step,
)
from sktune.trial import TrialState

pytestmark = pytest.mark.sklearn_compat

N = 60
# Column 0 is the row's number: estimators check what rows they are given.
X = np.column_stack([np.arange(N, dtype=float), np.linspace(-1.0, 1.0, N)])
# Sorted classes and unshuffled KFold: fold 0 trains without class 0.
y = np.repeat([0, 1, 2], N // 3)
CV = KFold(3)
RATES = [0.1, 0.9, 0.2, 0.8, 0.3, 0.7]
SPACE = {"rate": RATES}


class EpochClassifier(ClassifierMixin, BaseEstimator):
    """Scores ``rate * epochs``. Its ``partial_fit`` raises unless it gets
    ``classes`` (all three) on its first call only, the same rows at every
    epoch, and a ``sample_weight`` (if any) sliced to those rows."""

    def __init__(self, rate=0.5, max_iter=8, fail_at=None):
        self.rate = rate
        self.max_iter = max_iter
        self.fail_at = fail_at

    def fit(self, X, y, sample_weight=None):
        self.epochs_ = self.max_iter
        self.classes_ = np.unique(y)
        self.fitted_with_ = "fit"
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        rows = tuple(np.asarray(X)[:, 0].astype(int))
        if not hasattr(self, "epochs_"):
            if classes is None or list(classes) != [0, 1, 2]:
                raise ValueError(f"first call without all classes: {classes}")
            self.classes_ = np.asarray(classes)
            self.rows_ = rows
            self.epochs_ = 0
            self.fitted_with_ = "partial_fit"
        elif classes is not None:
            raise ValueError("classes passed again")
        elif rows != self.rows_:
            raise ValueError("the rows changed between epochs")
        if sample_weight is not None and not np.array_equal(
            sample_weight, 2.0 * np.asarray(X)[:, 0]
        ):
            raise ValueError("sample_weight not sliced to the fold")
        self.epochs_ += 1
        if self.fail_at is not None and self.epochs_ >= self.fail_at:
            raise ValueError("failing as asked")
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y=None):
        return self.rate * self.epochs_


class OnceScaler(TransformerMixin, BaseEstimator):
    """Adds ``shift`` to every column but the first; counts its fits (in this
    process)."""

    n_fits = 0

    def __init__(self, shift=0.0):
        self.shift = shift

    def fit(self, X, y=None):
        type(self).n_fits += 1
        self.n_features_in_ = np.asarray(X).shape[1]
        return self

    def transform(self, X):
        out = np.array(X, dtype=float)
        out[:, 1:] += self.shift
        return out


class GrowingClassifier(ClassifierMixin, BaseEstimator):
    """A warm_start ensemble of ``n_estimators`` dummies; scores
    ``rate * size``; counts every member built in ``n_built_``."""

    def __init__(self, rate=0.5, n_estimators=16, warm_start=False):
        self.rate = rate
        self.n_estimators = n_estimators
        self.warm_start = warm_start

    def fit(self, X, y):
        if not (self.warm_start and hasattr(self, "estimators_")):
            self.estimators_ = []
            self.n_built_ = 0
        new = self.n_estimators - len(self.estimators_)
        self.estimators_ = self.estimators_ + [object()] * max(new, 0)
        self.n_built_ += max(new, 0)
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.classes_[0])

    def score(self, X, y=None):
        return self.rate * len(self.estimators_)


def _median():
    return MedianPruner(n_startup_trials=2)


def _search(estimator, **kwargs):
    params = dict(n_iter=len(RATES), cv=CV, random_state=0, pruner=_median())
    params.update(kwargs)
    space = params.pop("space", SPACE)
    study = sktune.create_study(direction="maximize", pruner=params.pop("pruner"))
    for rate in RATES:
        study.enqueue_trial({next(iter(space)): rate})
    return TPESearchCV(estimator, space, study=study, **params)


def _check_pruned_search(search, schedule, key="rate", folds=False):
    res = search.cv_results_
    states = list(res["state"])
    assert "PRUNED" in states and "COMPLETE" in states
    assert res["state"][search.best_index_] == "COMPLETE"
    assert search.best_params_[key] == max(RATES)
    for state, reached, trial in zip(states, res["n_resources"], search.study_.trials):
        # The study keeps the intermediate values, one per step reached.
        steps = sorted(trial.intermediate_values)
        assert steps == schedule[: len(steps)]
        # The resource reached: the last step (folds: the folds run).
        assert reached == steps[-1] + folds
        if folds:
            schedule_end = schedule[-1] + 1
            assert (reached == schedule_end) == (state == "COMPLETE")
            continue
        assert (reached == schedule[-1]) == (state == "COMPLETE")
        assert trial.state == TrialState[state]
    # Pruned candidates rank after every complete one.
    pruned = res["state"] == "PRUNED"
    assert res["rank_test_score"][pruned].min() > res["rank_test_score"][~pruned].max()


@pytest.mark.parametrize("with_pipeline", [False, True])
def test_epochs_prune_with_classes_constant_rows_and_sliced_weights(with_pipeline):
    OnceScaler.n_fits = 0
    estimator = EpochClassifier(max_iter=8)
    space = SPACE
    if with_pipeline:
        estimator = Pipeline([("scale", OnceScaler()), ("clf", estimator)])
        space = {"clf__rate": RATES}
    weights = {("clf__" if with_pipeline else "") + "sample_weight": 2.0 * X[:, 0]}
    search = _search(estimator, space=space, error_score="raise")
    search.fit(X, y, **weights)
    if with_pipeline:
        # Earlier steps: fitted once per fold (and once for the refit).
        n_folds_run = np.isfinite(
            np.column_stack(
                [search.cv_results_[f"split{i}_test_score"] for i in (0, 1, 2)]
            )
        ).sum()
        assert OnceScaler.n_fits == n_folds_run + 1
    schedule = resource_schedule(1, 8)
    _check_pruned_search(search, schedule, key=next(iter(space)))
    # Intermediate values are mean CV scores at the epochs reached.
    first = search.study_.trials[0]
    assert first.intermediate_values == {e: pytest.approx(0.1 * e) for e in schedule}
    # The refit trains the best candidate for the full number of epochs.
    final = search.best_estimator_
    final = final[-1] if with_pipeline else final
    assert final.fitted_with_ == "partial_fit" and final.epochs_ == 8


def test_estimators_grow_with_warm_start_and_refit_is_full():
    search = _search(GrowingClassifier(n_estimators=32), error_score="raise").fit(X, y)
    schedule = resource_schedule(2, 32)
    assert schedule == [2, 4, 8, 16, 32]
    _check_pruned_search(search, schedule)
    first = search.study_.trials[0]
    assert first.intermediate_values == {r: pytest.approx(0.1 * r) for r in schedule}
    assert len(search.best_estimator_.estimators_) == 32
    assert search.best_estimator_.warm_start is False


def _step_kwargs(est, n, **kwargs):
    """Keyword arguments of ``run_step`` for ``est`` on ``n`` rows: even rows
    train, odd rows test, unless ``kwargs`` say otherwise."""
    idx = np.arange(n)
    out = dict(
        kind="epochs",
        param=None,
        classes=None,
        train=idx[::2],
        test=idx[1::2],
        parameters={},
        scorer=check_scoring(est),
        fit_params={},
        score_params={},
        return_train_score=False,
        error_score="raise",
    )
    out.update(kwargs)
    return out


def test_warm_start_steps_build_only_the_new_members():
    est = GrowingClassifier(n_estimators=32)
    kwargs = _step_kwargs(
        est,
        N,
        kind="estimators",
        param="n_estimators",
        parameters={"rate": 1.0},
        return_train_score=True,
    )
    out = run_step(None, est, X, y, stop=4, **kwargs)
    state = out.pop("_state")
    out2 = run_step(state, None, None, None, stop=16, **kwargs)
    assert out["test_scores"] == 4.0 and out2["test_scores"] == 16.0
    assert out2["train_scores"] == 16.0 and out2["n_resources"] == 16
    assert out2["_state"].model.n_built_ == 16
    assert out2["fit_time"] >= out["fit_time"]


def test_mlp_epochs_run_in_warm_started_fits(monkeypatch):
    """An MLP's steps are warm-started fits of the step's epochs: the epochs
    add up to the step's resource, partial_fit is never called, and the refit
    gives back the candidate's max_iter and warm_start."""

    def no_partial_fit(self, *args, **kwargs):
        raise AssertionError("partial_fit called")

    monkeypatch.setattr(MLPClassifier, "partial_fit", no_partial_fit)
    rng = np.random.default_rng(0)
    Xm = rng.normal(size=(90, 4))
    ym = (Xm[:, 0] + 0.3 * rng.normal(size=90) > 0).astype(int)
    est = MLPClassifier(hidden_layer_sizes=(4,), max_iter=9, random_state=0)
    search = TPESearchCV(
        est,
        {"learning_rate_init": [1e-4, 1e-3, 1e-2, 3e-2, 1e-1]},
        n_iter=5,
        cv=3,
        random_state=0,
        pruner=MedianPruner(n_startup_trials=1),
        error_score="raise",
    ).fit(Xm, ym)
    schedule = resource_schedule(1, 9)
    for trial in search.study_.trials:
        steps = sorted(trial.intermediate_values)
        assert steps == schedule[: len(steps)]
    assert (search.cv_results_["state"] == "PRUNED").any()
    best = search.best_estimator_
    assert best.n_iter_ == 9
    assert best.max_iter == 9 and best.warm_start is False
    # Folds: the epochs of successive steps add up (t_ counts the samples
    # seen; n_iter_ restarts at each fit).
    kwargs = _step_kwargs(est, 90, classes=np.array([0, 1]))
    out = run_step(None, est, Xm, ym, stop=2, **kwargs)
    out = run_step(out["_state"], None, None, None, stop=7, **kwargs)
    assert out["n_resources"] == 7 and out["_state"].model.t_ == 7 * 45


def test_mlp_fold_missing_a_class_uses_partial_fit_with_classes():
    """fit would learn only the fold's classes; partial_fit gets them all."""
    idx = np.arange(N)
    est = MLPClassifier(hidden_layer_sizes=(3,), max_iter=4, random_state=0)
    train, test = idx[N // 3 :], idx[: N // 3]  # class 0 only in the test part
    kwargs = _step_kwargs(est, N, classes=np.unique(y), train=train, test=test)
    out = run_step(None, est, X, y, stop=2, **kwargs)
    assert out["_state"].model.classes_.tolist() == [0, 1, 2]
    assert np.isfinite(out["test_scores"])


@pytest.mark.parametrize("early_stopping", [True, False])
def test_hist_gradient_boosting_steps_stop_where_one_fit_does(early_stopping):
    # Warm starts keep the validation split and the scores: in steps, the
    # ensemble stops (or not) at the iteration a single fit stops at.
    Xh = np.random.default_rng(0).normal(size=(300, 3))
    yh = (Xh[:, 0] + 0.3 * Xh[:, 1] > 0).astype(int)
    est = HistGradientBoostingClassifier(
        max_iter=200, early_stopping=early_stopping, n_iter_no_change=3,
        random_state=0,
    )  # fmt: skip
    plain = clone(est).fit(Xh[::2], yh[::2]).n_iter_
    kwargs = _step_kwargs(est, len(yh), kind="estimators", param="max_iter")
    state, grown = None, []
    for stop in (12, 50, 200):
        out = run_step(state, est, Xh, yh, stop=stop, **kwargs)
        state = out["_state"]
        grown.append(state.model.n_iter_)
    assert grown == [min(stop, plain) for stop in (12, 50, 200)]
    assert state.converged == early_stopping == (plain < 200)
    assert state.model.early_stopping == early_stopping


@pytest.mark.parametrize("kind", ["epochs", "estimators"])
def test_steps_stop_where_one_fit_stops_at_a_step_end(kind):
    # The stopping rule fires at a step's last iteration: a warm start would
    # train on, so the step must see the stop (a single fit ends there).
    Xh = np.random.default_rng(0).normal(size=(240, 5))
    yh = (Xh[:, 0] + 0.5 * Xh[:, 1] + Xh[:, 2] * Xh[:, 3] > 0).astype(int)
    if kind == "epochs":
        # No optimizer state, one full batch: a warm-started step continues
        # the single fit exactly.
        est = MLPClassifier(
            (5,), solver="sgd", momentum=0.0, learning_rate="constant",
            learning_rate_init=0.01, shuffle=False, batch_size=200, tol=1e-2,
            n_iter_no_change=2, max_iter=100, random_state=0,
        )  # fmt: skip
        param = None
    else:
        est = HistGradientBoostingClassifier(
            max_iter=100, early_stopping=True, n_iter_no_change=1,
            validation_fraction=0.25, random_state=0,
        )  # fmt: skip
        param = "max_iter"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = clone(est).fit(Xh[::2], yh[::2]).n_iter_
        assert 1 < plain < 50
        kwargs = _step_kwargs(est, len(yh), kind=kind, param=param)
        kwargs["classes"] = np.unique(yh) if kind == "epochs" else None
        state, grown = None, []
        for stop in (1, plain, plain + 1, 2 * plain, 100):
            state = run_step(state, est, Xh, yh, stop=stop, **kwargs)["_state"]
            model = state.model
            # (an MLP's n_iter_ counts the last fit's epochs only)
            grown.append(len(model.loss_curve_) if kind == "epochs" else model.n_iter_)
    assert grown == [1, plain, plain, plain, plain]
    assert state.converged


@pytest.mark.parametrize("first", [100, 300])
def test_candidates_of_different_sizes_step_at_the_studys_rungs(first):
    # SuccessiveHalvingPruner's min_resource="auto" is fixed by the study's
    # first complete trial; candidates of other sizes must step at those
    # rungs too, not at rungs of their own size.
    study = sktune.create_study(direction="maximize", pruner=SuccessiveHalvingPruner())
    sizes = [first, 400 - first, 200]
    for size in sizes:
        study.enqueue_trial({"n_estimators": size})
    TPESearchCV(
        GrowingClassifier(),
        {"n_estimators": [100, 200, 300]},
        n_iter=len(sizes),
        cv=CV,
        study=study,
        resource="estimators",
        random_state=0,
    ).fit(X, y)
    base = max(first // 100, 1)  # resolved from the first complete trial
    rungs = {base * 4**k for k in range(10)}
    trials = study.trials
    assert trials[0].state == TrialState.COMPLETE
    for trial in trials:
        steps = sorted(trial.intermediate_values)
        assert steps, trial
        # Every step but a trial's last (its own size) is a rung end.
        assert set(steps[:-1]) <= rungs, (trial.params, steps)


def test_forest_with_oob_score_grows_in_steps_as_one_fit():
    from sklearn.ensemble import RandomForestClassifier

    forest = RandomForestClassifier(n_estimators=16, oob_score=True, random_state=0)
    search = TPESearchCV(
        forest, {"max_depth": [3]}, n_iter=1, cv=3, pruner=_median(),
        resource="estimators", random_state=0,
    ).fit(X, y)  # fmt: skip
    assert len(search.study_.trials[0].intermediate_values) > 1
    one = clone(forest).set_params(max_depth=3).fit(X, y)
    assert search.best_estimator_.oob_score_ == one.oob_score_


def test_a_passthrough_last_step_is_trained_in_folds():
    from sklearn.decomposition import PCA

    def spread(estimator, X_eval, y_eval=None):
        return float(np.var(estimator.transform(X_eval)[:, 0]))

    pipe = Pipeline([("pca", PCA(random_state=0)), ("last", "passthrough")])
    search = TPESearchCV(
        pipe, {"pca__n_components": [1, 2]}, n_iter=2, cv=3, scoring=spread,
        pruner=_median(), random_state=0,
    ).fit(X, y)  # fmt: skip
    for trial in search.study_.trials:
        assert sorted(trial.intermediate_values) == [0, 1, 2]


def test_folds_resource_reports_after_each_fold():
    search = _search(GrowingClassifier(), resource="folds").fit(X, y)
    _check_pruned_search(search, [0, 1, 2], folds=True)
    assert search.best_estimator_.warm_start is False


@pytest.mark.parametrize(
    "estimator, expected",
    [
        (SGDClassifier(), "epochs"),
        (Pipeline([("s", OnceScaler()), ("c", SGDClassifier())]), "epochs"),
        (RandomForestClassifier(), "estimators"),
        (HistGradientBoostingClassifier(), "estimators"),
        (SVC(), "folds"),
        # partial_fit refuses these settings: the next resource that works.
        (SGDClassifier(early_stopping=True), "folds"),
        (SGDClassifier(class_weight="balanced"), "folds"),
        (MLPClassifier(early_stopping=True), "folds"),
    ],
)
def test_auto_picks_what_the_estimator_allows(estimator, expected):
    assert choose_resource(estimator, "auto", pruning=True) == expected
    assert choose_resource(estimator, "auto", pruning=False) == "folds"


def test_no_pruner_keeps_plain_fits_and_sklearn_keys():
    search = TPESearchCV(EpochClassifier(), SPACE, n_iter=3, cv=CV, random_state=0).fit(
        X, y
    )
    ref = RandomizedSearchCV(
        EpochClassifier(), SPACE, n_iter=3, cv=CV, random_state=0
    ).fit(X, y)
    assert list(search.cv_results_) == list(ref.cv_results_)
    assert search.best_estimator_.fitted_with_ == "fit"
    # Every candidate scored with plain fits: rate * max_iter.
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"],
        [8 * p["rate"] for p in search.cv_results_["params"]],
    )


def test_explicit_epochs_without_pruner_trains_every_epoch_unreported():
    search = TPESearchCV(
        EpochClassifier(max_iter=50),
        SPACE,
        n_iter=2,
        cv=CV,
        resource="epochs",
        max_resources=5,
        random_state=0,
        error_score="raise",
    ).fit(X, y)
    assert "state" not in search.cv_results_
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"],
        [5 * p["rate"] for p in search.cv_results_["params"]],
    )
    assert all(not t.intermediate_values for t in search.study_.trials)
    assert search.best_estimator_.epochs_ == 5


def test_min_and_max_resources_set_the_schedule():
    search = _search(EpochClassifier(), min_resources=3, max_resources=12).fit(X, y)
    _check_pruned_search(search, [3, 6, 12])
    assert EpochsPlan(2, "auto").resolve(EpochClassifier(max_iter=1000)) == (2, 100)
    assert EstimatorsPlan().resolve(GrowingClassifier(n_estimators=3)) == (1, 3)


def test_resource_factor_sets_the_growth_of_the_schedule():
    search = _search(EpochClassifier(max_iter=20), resource_factor=3).fit(X, y)
    _check_pruned_search(search, [1, 3, 9, 20])
    # An explicit factor wins over a rung pruner's own factor.
    pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    search = _search(
        EpochClassifier(max_iter=20), pruner=pruner, resource_factor=4
    ).fit(X, y)
    steps = {s for t in search.study_.trials for s in t.intermediate_values}
    assert steps == {1, 4, 16, 20}


@pytest.mark.parametrize(
    "pruner, max_iter, expected",
    [
        # Successive halving decides at min_resource * factor**k only.
        (SuccessiveHalvingPruner(min_resource=1, reduction_factor=3), 12, [1, 3, 9]),
        # "auto" min_resource: max(last step // 100, 1) = 1.
        (SuccessiveHalvingPruner(reduction_factor=2), 8, [1, 2, 4]),
        # min_early_stopping_rate shifts the first rung.
        (
            SuccessiveHalvingPruner(
                min_resource=1, reduction_factor=2, min_early_stopping_rate=1
            ),
            8,
            [2, 4],
        ),
        # Hyperband's brackets all end their rungs at min_resource * factor**k.
        (HyperbandPruner(min_resource=2, reduction_factor=2), 12, [2, 4, 8]),
    ],
)
def test_auto_schedule_reports_at_the_rungs_of_rung_pruners(pruner, max_iter, expected):
    first, factor = pruner_rungs(pruner, max_iter)
    assert resource_schedule(1, max_iter, factor, base=first) == [*expected, max_iter]
    search = _search(EpochClassifier(max_iter=max_iter), pruner=pruner).fit(X, y)
    res = search.cv_results_
    assert "PRUNED" in list(res["state"])
    assert search.best_params_["rate"] == max(RATES)
    # Reports only at rung ends, and at the full resource.
    for trial in search.study_.trials:
        steps = sorted(trial.intermediate_values)
        assert steps == [*expected, max_iter][: len(steps)]
        assert trial.state != TrialState.COMPLETE or steps[-1] == max_iter


def test_any_pruner_with_rung_ends_gets_steps_at_its_rungs():
    class RungThreshold(ThresholdPruner):
        def rung_ends(self, max_step):
            return 2, 3

    plan = EpochsPlan(pruner=RungThreshold(lower=0.0))
    assert plan.schedule(EpochClassifier(max_iter=20)) == [2, 6, 18, 20]


def test_auto_schedule_doubles_for_other_pruners_and_keeps_min_resources():
    # MedianPruner may decide at any step: the resource doubles.
    plan = EpochsPlan(pruner=MedianPruner())
    assert plan.schedule(EpochClassifier(max_iter=10)) == [1, 2, 4, 8, 10]
    # Rung ends below min_resources are skipped.
    plan = EstimatorsPlan(pruner=SuccessiveHalvingPruner(min_resource=1))
    assert plan.schedule(GrowingClassifier(n_estimators=32)) == [4, 16, 32]
    plan = EstimatorsPlan(3, pruner=HyperbandPruner(min_resource=1))
    assert plan.schedule(GrowingClassifier(n_estimators=32)) == [3, 9, 27, 32]
    assert pruner_rungs(MedianPruner(), 10) is None
    # A first rung beyond the maximum: one step, nothing to decide.
    plan = EpochsPlan(pruner=SuccessiveHalvingPruner(min_resource=16))
    assert plan.schedule(EpochClassifier(max_iter=10)) == [10]


def test_resource_factor_does_not_change_searches_without_pruner():
    ref = TPESearchCV(EpochClassifier(), SPACE, n_iter=3, cv=CV, random_state=0)
    search = TPESearchCV(
        EpochClassifier(), SPACE, n_iter=3, cv=CV, random_state=0, resource_factor=5
    )
    a, b = ref.fit(X, y).cv_results_, search.fit(X, y).cv_results_
    assert list(a) == list(b)
    for key in a:
        if "time" not in key:
            np.testing.assert_array_equal(a[key], b[key])


@pytest.mark.parametrize("bad", [1, 0, "fast", 2.5])
def test_invalid_resource_factor_is_rejected(bad):
    search = _search(EpochClassifier(), resource_factor=bad)
    with pytest.raises(ValueError, match="'resource_factor' parameter of TPESearchCV"):
        search.fit(X, y)


@pytest.mark.parametrize("cache_bytes", [0, 2**30])
def test_folds_are_sliced_once_per_search_with_one_job(monkeypatch, cache_bytes):
    from sktune.sklearn import _resources

    calls = []
    slice_fold = _resources.slice_fold

    def counting(*args, **kwargs):
        calls.append(1)
        return slice_fold(*args, **kwargs)

    monkeypatch.setattr(_resources, "slice_fold", counting)
    monkeypatch.setattr(_resources, "FOLD_CACHE_BYTES", cache_bytes)
    weights = {"sample_weight": 2.0 * X[:, 0]}
    search = _search(EpochClassifier(), error_score="raise").fit(X, y, **weights)
    n_first_steps = np.isfinite(search.cv_results_["split0_test_score"]).sum() * 3
    # Cached: one slicing per fold; else one per candidate and fold.
    assert len(calls) == (3 if cache_bytes else n_first_steps)
    _check_pruned_search(search, resource_schedule(1, 8))
    # A Pipeline with earlier steps never shares its folds' arrays.
    calls.clear()
    pipe = Pipeline([("s", OnceScaler()), ("clf", EpochClassifier())])
    _search(pipe, space={"clf__rate": RATES}).fit(X, y)
    assert len(calls) == 3 * len(RATES)


def test_a_failing_epoch_stops_the_candidate_with_error_score():
    with pytest.warns(FitFailedWarning, match="3 fits failed"):
        search = TPESearchCV(
            EpochClassifier(),
            {"fail_at": [None, 2]},
            n_iter=2,
            cv=CV,
            pruner=_median(),
            random_state=0,
        ).fit(X, y)
    for params, trial in zip(search.cv_results_["params"], search.study_.trials):
        if params["fail_at"] == 2:
            assert trial.state == TrialState.FAIL and trial.last_step == 1
        else:
            assert trial.state == TrialState.COMPLETE and trial.last_step == 8


class _FirstStepPruner(BasePruner):
    def prune(self, study, trial):
        return trial.number > 0


class _LastStepPruner(BasePruner):
    """Prunes every trial that reports step ``last`` (and only then)."""

    def __init__(self, last):
        self.last = last

    def prune(self, study, trial):
        return max(trial.intermediate_values) >= self.last


@pytest.mark.parametrize("resource, last", [("epochs", 4), ("folds", 2)])
def test_a_candidate_at_its_last_step_completes(resource, last):
    search = _search(
        EpochClassifier(max_iter=4),
        pruner=_LastStepPruner(last),
        resource=resource,
        error_score="raise",
    ).fit(X, y)
    assert set(search.cv_results_["state"]) == {"COMPLETE"}
    assert all(last in t.intermediate_values for t in search.study_.trials)
    assert search.best_params_["rate"] == max(RATES)


def test_multimetric_reports_the_refit_metric():
    search = TPESearchCV(
        EpochClassifier(max_iter=4),
        SPACE,
        n_iter=2,
        cv=CV,
        scoring={"a": lambda e, X_, y_: e.score(X_), "b": lambda e, X_, y_: -1.0},
        refit="a",
        random_state=0,
        study=sktune.create_study(direction="maximize", pruner=_FirstStepPruner()),
    ).fit(X, y)
    first = search.study_.trials[0]
    rate = search.cv_results_["params"][0]["rate"]
    assert first.intermediate_values[4] == pytest.approx(4 * rate)
    assert list(search.cv_results_["n_resources"]) == [4, 1]


def test_invalid_resources_are_rejected():
    with pytest.raises(ValueError, match="'resource' parameter.*partial_fit"):
        TPESearchCV(SVC(), {"C": [1.0]}, resource="epochs", cv=CV).fit(X, y)
    with pytest.raises(ValueError, match="'resource' parameter.*warm_start"):
        TPESearchCV(
            SGDClassifier(), {"alpha": [1.0]}, resource="estimators", cv=CV
        ).fit(X, y)
    with pytest.raises(ValueError, match="'min_resources' parameter.*<= max"):
        _search(EpochClassifier(), min_resources=9, max_resources=4).fit(X, y)
    sgd = SGDClassifier(class_weight="balanced")
    with pytest.raises(ValueError, match="SGDClassifier has class_weight='balanced'"):
        _search(sgd, space={"alpha": [1e-4]}, resource="epochs").fit(X, y)
    with pytest.raises(ValueError, match="'max_resources' parameter"):
        _search(EpochClassifier(), max_resources=0).fit(X, y)


def _pid_score(estimator, X_, y_=None):
    return float(os.getpid()) if estimator.score(X_) > 0 else 0.0


def _fit_threshold_pruned(make, backend, **kwargs):
    """Fits the rates under a ThresholdPruner on a joblib backend and checks
    the pruning (a threshold prunes whatever order parallel trials finish in)."""
    estimator = make(max_iter=8) if make is EpochClassifier else make(n_estimators=8)
    weights = {"sample_weight": 2.0 * X[:, 0]} if make is EpochClassifier else {}
    search = _search(
        estimator, error_score="raise", pruner=ThresholdPruner(lower=0.5), **kwargs
    )
    with backend:
        search.fit(X, y, **weights)
    res = search.cv_results_
    assert "PRUNED" in list(res["state"])
    assert res["state"][search.best_index_] == "COMPLETE"
    assert search.best_params_["rate"] == max(RATES)
    assert max(res["n_resources"]) == 8 and min(res["n_resources"]) < 8
    assert len(search.study_.trials) == len(RATES)
    return estimator


@pytest.mark.slow
@pytest.mark.parametrize("make", [EpochClassifier, GrowingClassifier])
def test_pruning_on_loky_processes(make):
    # Decisions are taken in the driver; the fold states travel to workers.
    estimator = _fit_threshold_pruned(
        make, joblib.parallel_config(backend="loky"), n_jobs=2
    )
    loky = TPESearchCV(
        estimator,
        SPACE,
        n_iter=1,
        cv=CV,
        n_jobs=2,
        scoring=_pid_score,
        pruner=_median(),
        random_state=0,
    )
    with joblib.parallel_config(backend="loky"):
        pids = loky.fit(X, y).cv_results_["split0_test_score"]
    assert os.getpid() not in set(pids)


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:The scoring .* does not support sample_weight")
@pytest.mark.parametrize("make", [EpochClassifier, GrowingClassifier])
def test_pruning_on_a_dask_cluster(make):
    # The steps run on dask workers (the scorer raises elsewhere); the
    # pruner's decisions are taken in the driver between them.
    _fit_threshold_pruned(make, dask_backend(), n_jobs=-1, scoring=on_dask_worker)


def test_invalid_explicit_resources_fail_before_any_trial():
    search = _search(EpochClassifier(), min_resources=9, max_resources=4)
    with pytest.raises(ValueError, match="'min_resources' parameter.*<= max"):
        search.fit(X, y)
    assert [t.state for t in search.study.trials] == [TrialState.WAITING] * len(RATES)


def test_a_candidate_below_min_resources_is_trained_in_one_step():
    # max_resources="auto" is each candidate's n_estimators; 3 < min_resources.
    space = {"n_estimators": [3, 12]}
    search = _search(
        GrowingClassifier(), space=space, n_iter=2, min_resources=4, pruner=None
    )
    study = sktune.create_study(direction="maximize", pruner=ThresholdPruner(lower=-1))
    for n in (3, 12):
        study.enqueue_trial({"n_estimators": n})
    search.set_params(study=study).fit(X, y)
    assert list(search.cv_results_["state"]) == ["COMPLETE", "COMPLETE"]
    assert list(search.cv_results_["n_resources"]) == [3, 12]


def test_partial_fit_regressor_is_refit_without_classes():
    from sklearn.linear_model import SGDRegressor

    Xr = np.linspace(-1, 1, 60)[:, None]
    yr = 2.0 * Xr[:, 0]
    search = TPESearchCV(
        SGDRegressor(max_iter=4, tol=None, random_state=0),
        {"alpha": [1e-4, 1e-3]},
        n_iter=2,
        cv=3,
        pruner=MedianPruner(n_startup_trials=1),
        random_state=0,
    ).fit(Xr, yr)
    assert search.best_estimator_.t_ > 1  # trained by partial_fit epochs


def test_train_scores_of_steps_use_the_training_rows_weights():
    from sklearn.metrics import accuracy_score

    est = SGDClassifier(max_iter=3, tol=None, random_state=0)
    Xc = np.column_stack([np.linspace(-1, 1, N), np.sin(np.arange(N))])
    yc = (Xc[:, 1] > 0).astype(int)
    w = np.linspace(0.1, 2.0, N)
    idx = np.arange(N)
    train, test = idx[idx % 3 != 0], idx[idx % 3 == 0]  # 40 and 20 rows
    out = run_step(
        None, est, Xc, yc, kind="epochs", stop=3, param=None,
        classes=np.unique(yc), train=train, test=test, parameters={},
        scorer=check_scoring(est), fit_params={},
        score_params={"sample_weight": w}, return_train_score=True,
        error_score="raise",
    )  # fmt: skip
    model = out["_state"].model
    expected = accuracy_score(
        yc[train], model.predict(Xc[train]), sample_weight=w[train]
    )
    assert out["train_scores"] == pytest.approx(expected)
    expected = accuracy_score(yc[test], model.predict(Xc[test]), sample_weight=w[test])
    assert out["test_scores"] == pytest.approx(expected)


def _failing_scorer(estimator, X_, y_=None):
    if estimator.rate > 0.5:
        raise ValueError("scorer failed")
    return estimator.score(X_)


def test_a_failing_scorer_gives_error_score_in_steps():
    search = _search(EpochClassifier(max_iter=4), scoring=_failing_scorer)
    with pytest.warns(UserWarning, match="Scoring failed"):
        search.fit(X, y)
    res = search.cv_results_
    failed = [r > 0.5 for r in (p["rate"] for p in res["params"])]
    assert np.isnan(res["mean_test_score"][failed]).all()
    assert not np.isnan(res["mean_test_score"][~np.array(failed)]).any()
    with pytest.raises(ValueError, match="scorer failed"):
        _search(
            EpochClassifier(max_iter=4), scoring=_failing_scorer, error_score="raise"
        ).fit(X, y)


def test_every_candidate_pruned_gives_no_best_candidate():
    def all_pruned(**kwargs):
        return _search(
            EpochClassifier(max_iter=4), pruner=ThresholdPruner(lower=100.0), **kwargs
        )

    with pytest.raises(ValueError, match="Every candidate was pruned"):
        all_pruned().fit(X, y)
    search = all_pruned(refit=False)
    with pytest.warns(UserWarning, match="Every candidate was pruned"):
        search.fit(X, y)
    assert set(search.cv_results_["state"]) == {"PRUNED"}
    assert not hasattr(search, "best_index_")


def test_a_space_that_may_set_what_partial_fit_refuses_is_not_trained_in_epochs():
    space = {"early_stopping": [True, False], "alpha": [1e-4, 1e-2]}
    est = SGDClassifier(max_iter=5, tol=None, random_state=0)
    Xc = np.column_stack([np.linspace(-1, 1, N), np.sin(np.arange(N))])
    yc = (Xc[:, 1] > 0).astype(int)
    search = TPESearchCV(
        est, space, n_iter=4, cv=3, pruner=_median(), random_state=0,
        error_score="raise",
    ).fit(Xc, yc)  # fmt: skip
    # "auto" decides per candidate: folds where the candidate sets
    # early_stopping=True, epochs otherwise; every candidate fitted.
    assert not np.isnan(search.cv_results_["mean_test_score"]).any()
    steps = {True: set(), False: set()}
    for trial in search.study_.trials:
        steps[trial.params["early_stopping"]] |= set(trial.intermediate_values)
    assert steps[True] and steps[True] <= {0, 1, 2}
    assert steps[False] <= {1, 2, 4, 5} and 5 in steps[False]
    with pytest.raises(ValueError, match="space may set early_stopping=True"):
        TPESearchCV(
            est, space, n_iter=4, cv=3, pruner=_median(), resource="epochs"
        ).fit(Xc, yc)
    pipe = Pipeline([("s", OnceScaler()), ("c", est)])
    choices = {"c": [SGDClassifier(class_weight="balanced"), SGDClassifier()]}
    with pytest.raises(ValueError, match="class_weight='balanced'"):
        TPESearchCV(
            pipe, choices, n_iter=2, cv=3, pruner=_median(), resource="epochs"
        ).fit(Xc, yc)


def test_settings_no_candidate_can_step_are_refused_before_any_fit(monkeypatch):
    from sklearn.ensemble import BaggingClassifier
    from sklearn.linear_model import LogisticRegression

    fits = []
    for cls in (BaggingClassifier, SGDClassifier, LogisticRegression):
        original = cls.fit
        monkeypatch.setattr(
            cls,
            "fit",
            lambda self, *a, _f=original, **k: fits.append(1) or _f(self, *a, **k),
        )
    bagging = BaggingClassifier(n_estimators=4, random_state=0)
    # The space may set what warm starts refuse (oob_score=True, bagging).
    with pytest.raises(ValueError, match="space may set oob_score=True"):
        TPESearchCV(
            bagging, {"oob_score": [False, True]}, n_iter=2, cv=3,
            pruner=_median(), resource="estimators", random_state=0,
        ).fit(X, y)  # fmt: skip
    # min_resources > max_resources, where only a step the space may choose
    # would be trained in steps.
    pipe = Pipeline([("s", OnceScaler()), ("c", LogisticRegression())])
    choices = {"c": [LogisticRegression(), SGDClassifier(max_iter=5)]}
    with pytest.raises(ValueError, match="'min_resources' parameter"):
        TPESearchCV(
            pipe, choices, n_iter=2, cv=3, pruner=_median(), min_resources=9,
            max_resources=4, random_state=0,
        ).fit(X, y)  # fmt: skip
    assert fits == []


def test_fit_parameters_partial_fit_does_not_take_keep_epochs_out():
    # coef_init goes to SGD's fit only: "auto" trains such candidates in
    # folds (as without a pruner), "epochs" refuses before any fit.
    Xc = np.column_stack([np.linspace(-1, 1, N), np.sin(np.arange(N))])
    yc = (Xc[:, 1] > 0).astype(int)
    est = SGDClassifier(max_iter=5, tol=None, random_state=0)
    space = {"alpha": [1e-4, 1e-2]}
    # (lists: SGD trains an array given as coef_init in place)
    init = dict(coef_init=[[0.0, 0.0]], intercept_init=[0.0])
    plain = TPESearchCV(est, space, n_iter=2, cv=3, random_state=0).fit(Xc, yc, **init)
    pruned = TPESearchCV(
        est, space, n_iter=2, cv=3, pruner=_median(), random_state=0
    ).fit(Xc, yc, **init)
    np.testing.assert_allclose(
        np.sort(pruned.cv_results_["mean_test_score"]),
        np.sort(plain.cv_results_["mean_test_score"]),
    )
    for trial in pruned.study_.trials:
        assert sorted(trial.intermediate_values) == [0, 1, 2]  # (folds)
    with pytest.raises(ValueError, match="fit parameter 'coef_init'"):
        TPESearchCV(
            est, space, n_iter=2, cv=3, pruner=_median(), resource="epochs"
        ).fit(Xc, yc, **init)


class _FailsOnFold0(ClassifierMixin, BaseEstimator):
    """Fails on the training rows of fold 0 of KFold(3) (those lack row 0's
    first value); scores ``a``."""

    def __init__(self, a=0.0, first=None):
        self.a = a
        self.first = first

    def fit(self, X_, y_):
        if self.first not in X_[:, 0]:
            raise ValueError("fold 0 fails")
        self.classes_ = np.unique(y_)
        return self

    def score(self, X_, y_):
        return self.a


@pytest.mark.parametrize("refit", [True, False])
def test_failed_candidates_are_not_reported_as_pruned(refit):
    # With a pruner, a search whose candidates all failed (none pruned)
    # raised "Every candidate was pruned"; without one, and in
    # GridSearchCV, the best candidate is the first (every score is NaN).
    Xf = np.random.RandomState(0).randn(48, 3)
    yf = np.arange(48) % 2
    est = _FailsOnFold0(first=Xf[0, 0])
    space = {"a": [0.1, 0.2, 0.3, 0.4]}
    searches = [
        TPESearchCV(est, space, n_iter=4, cv=KFold(3), refit=refit, pruner=pruner)
        for pruner in (None, MedianPruner(n_startup_trials=0))
    ]
    grid = GridSearchCV(est, space, cv=KFold(3), refit=refit)
    for search in [*searches, grid]:
        with pytest.warns(FitFailedWarning):
            search.fit(Xf, yf)
    assert set(searches[1].cv_results_["state"]) == {"FAIL"}
    for search in searches:
        assert search.best_index_ == grid.best_index_ == 0
        assert np.isnan(search.best_score_)
