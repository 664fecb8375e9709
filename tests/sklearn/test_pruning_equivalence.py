"""Stepped training (a pruner's resources) trains as a plain fit does.

Each test compares a search whose pruner never prunes with scikit-learn's
``cross_validate`` (or a plain fit) on the same folds.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import sklearn
from search_helpers import ScoreIs
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.datasets import load_wine
from sklearn.ensemble import (
    BaggingClassifier,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import KFold, StratifiedKFold, cross_validate
from sklearn.multioutput import MultiOutputClassifier
from sklearn.naive_bayes import MultinomialNB
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sktune import TPESearchCV
from sktune.pruners import BasePruner
from sktune.sklearn._resources import choose_resource, run_step

X, y = load_wine(return_X_y=True)
CV = StratifiedKFold(3)


class NeverPruner(BasePruner):
    def prune(self, study, trial):
        return False


def _search(estimator, space, **kwargs):
    kwargs.setdefault("pruner", NeverPruner())
    kwargs.setdefault("cv", CV)
    kwargs.setdefault("random_state", 0)
    n_iter = kwargs.pop("n_iter", 1)
    return TPESearchCV(estimator, space, n_iter=n_iter, **kwargs)


def _fold_scores(search, i=0):
    return [search.cv_results_[f"split{k}_test_score"][i] for k in range(3)]


@pytest.mark.parametrize(
    "estimator, expected",
    [
        (MultinomialNB(), "folds"),  # partial_fit accumulates counts
        (RandomForestClassifier(oob_score=True), "estimators"),  # (kept)
        (BaggingClassifier(oob_score=True), "folds"),
        (GradientBoostingClassifier(n_iter_no_change=3), "folds"),
        (GradientBoostingClassifier(), "estimators"),
        (HistGradientBoostingClassifier(early_stopping=True), "estimators"),
        (MLPClassifier(solver="lbfgs"), "folds"),
    ],
)
def test_auto_leaves_out_what_steps_would_change(estimator, expected):
    assert choose_resource(estimator, "auto", pruning=True) == expected


def test_naive_bayes_scores_as_cross_validate():
    Xd = np.abs(X)
    search = _search(MultinomialNB(), {"alpha": [100.0]}).fit(Xd, y)
    ref = cross_validate(MultinomialNB(alpha=100.0), Xd, y, cv=CV)["test_score"]
    np.testing.assert_allclose(_fold_scores(search), ref)
    assert search.best_estimator_.class_count_.sum() == len(y)


def test_gradient_boosting_with_its_early_stopping_scores_as_cross_validate():
    est = GradientBoostingClassifier(
        n_estimators=60, n_iter_no_change=2, validation_fraction=0.3, random_state=0
    )
    search = _search(est, {"learning_rate": [0.1]}).fit(X, y)
    ref = cross_validate(est, X, y, cv=CV)["test_score"]
    np.testing.assert_allclose(_fold_scores(search), ref)


@pytest.mark.parametrize(
    "last",
    [
        SGDClassifier(max_iter=4, tol=None, random_state=0),  # epochs
        RandomForestClassifier(n_estimators=8, random_state=0),  # estimators
    ],
)
@pytest.mark.parametrize("return_train_score", [False, True])
def test_scorer_gets_the_pipeline_and_untransformed_rows(last, return_train_score):
    # A Pipeline trained in steps is scored as scikit-learn scores it: the
    # scorer gets the Pipeline and the fold's own rows (a custom scorer may
    # read them), not the last step and transformed rows.
    from sklearn.model_selection import GridSearchCV

    Xa = X.copy()
    Xa[:, 0] = np.abs(Xa[:, 0]) * 100 + 10  # an amount at stake per row
    seen = []

    def amount_won(estimator, X_eval, y_eval):
        seen.append((type(estimator).__name__, float(X_eval[:, 0].min())))
        return float(np.sum(X_eval[:, 0] * (estimator.predict(X_eval) == y_eval)))

    pipe = Pipeline([("s", StandardScaler()), ("c", last)])
    space = {"c__random_state": [0]}
    kwargs = dict(cv=CV, scoring=amount_won, return_train_score=return_train_score)
    grid = GridSearchCV(pipe, space, **kwargs).fit(Xa, y)
    seen.clear()
    search = _search(pipe, space, **kwargs).fit(Xa, y)
    assert {name for name, _ in seen} == {"Pipeline"}
    assert min(low for _, low in seen) >= 10  # (standardised rows go below)
    if isinstance(last, SGDClassifier):
        return  # (its epochs of partial_fit are not one fit's)
    parts = ["test", "train"] if return_train_score else ["test"]
    for part in parts:
        for k in range(3):
            key = f"split{k}_{part}_score"
            np.testing.assert_allclose(search.cv_results_[key], grid.cv_results_[key])


class _CountingScaler(StandardScaler):
    calls = 0

    def transform(self, X, copy=None):
        type(self).calls += 1
        return super().transform(X, copy=copy)


@pytest.mark.parametrize("custom", [False, True])
def test_stepped_pipeline_transforms_test_rows_once_per_fold_unless_needed(custom):
    # scikit-learn's scorers get the last step and the rows transformed once;
    # a user's callable gets the Pipeline and untransformed rows at each
    # step, so the Pipeline transforms them again (as GridSearchCV would).
    _CountingScaler.calls = 0
    pipe = Pipeline(
        [("s", _CountingScaler()), ("c", RandomForestClassifier(n_estimators=16))]
    )

    def accuracy(estimator, X_eval, y_eval):
        return float(np.mean(estimator.predict(X_eval) == y_eval))

    search = _search(
        pipe, {"c__random_state": [0]}, scoring=accuracy if custom else "accuracy"
    ).fit(X, y)
    steps = len(search.study_.trials[0].intermediate_values)
    assert steps > 2
    # 3 fit_transform (each calls transform) and the refit's; then the 3
    # test folds once, or at every step for the whole Pipeline.
    assert _CountingScaler.calls == 4 + 3 * (steps if custom else 1)
    best = clone(pipe).set_params(c__random_state=0)
    np.testing.assert_allclose(
        _fold_scores(search),
        cross_validate(best, X, y, cv=CV, scoring="accuracy")["test_score"],
    )


@pytest.mark.parametrize("return_train_score", [False, True])
def test_in_place_transformers_keep_the_scorers_rows_intact(return_train_score):
    # StandardScaler(copy=False) rescales what it transforms: a user's
    # scorer must still get the fold's own rows at every step.
    pipe = Pipeline(
        [
            ("s", StandardScaler(copy=False)),
            ("c", RandomForestClassifier(n_estimators=16, random_state=0)),
        ]
    )

    def accuracy(estimator, X_eval, y_eval):
        return float(np.mean(estimator.predict(X_eval) == y_eval))

    search = _search(
        pipe, {"c__max_depth": [3]}, scoring=accuracy,
        return_train_score=return_train_score,
    ).fit(X.copy(), y)  # fmt: skip
    best = clone(pipe).set_params(c__max_depth=3)
    ref = cross_validate(best, X.copy(), y, cv=CV, scoring="accuracy")
    np.testing.assert_allclose(_fold_scores(search), ref["test_score"])


class _Log1p(TransformerMixin, BaseEstimator):
    """Stateless: fit sets nothing (Pipeline.transform's fitted check fails)."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.log1p(np.abs(X))


class _CrossFitted(TransformerMixin, BaseEstimator):
    """fit_transform differs from fit().transform(), as a target encoder's."""

    def fit(self, X, y=None):
        self.mean_ = X.mean(axis=0)
        return self

    def transform(self, X):
        return X - self.mean_

    def fit_transform(self, X, y=None):
        self.fit(X)
        return X - self.mean_ + 0.5 * np.sign(y - y.mean())[:, None]


@pytest.mark.parametrize("custom", [False, True])
@pytest.mark.parametrize("pre", [_Log1p, _CrossFitted])
def test_stepped_pipeline_scores_as_cross_validate(pre, custom):
    # Test and training rows are scored as the fitted Pipeline's predict sees
    # them (transform, not fit_transform; no fitted check of the steps).
    pipe = Pipeline(
        [("p", pre()), ("c", RandomForestClassifier(n_estimators=16, random_state=0))]
    )

    def accuracy(estimator, X_eval, y_eval):
        return float(np.mean(estimator.predict(X_eval) == y_eval))

    scoring = accuracy if custom else "accuracy"
    search = _search(
        pipe, {"c__max_depth": [3]}, scoring=scoring, return_train_score=True,
        error_score="raise",
    ).fit(X, y)  # fmt: skip
    best = clone(pipe).set_params(c__max_depth=3)
    ref = cross_validate(best, X, y, cv=CV, scoring="accuracy", return_train_score=True)
    for part in ("test", "train"):
        got = [search.cv_results_[f"split{k}_{part}_score"][0] for k in range(3)]
        np.testing.assert_allclose(got, ref[f"{part}_score"])


@pytest.mark.parametrize("custom", [False, True])
def test_cached_pipeline_is_scored_and_refitted_with_fitted_steps(custom, tmp_path):
    # With memory=, Pipeline fits clones of the earlier steps into a slice's
    # own list: the candidate must still be scored (and refitted) with them.
    from sklearn.preprocessing import MinMaxScaler

    pipe = Pipeline(
        [
            ("s", StandardScaler()),
            ("m", MinMaxScaler()),
            ("c", RandomForestClassifier(n_estimators=16, random_state=0)),
        ],
        memory=str(tmp_path),
    )

    def accuracy(estimator, X_eval, y_eval):
        return float(np.mean(estimator.predict(X_eval) == y_eval))

    search = _search(
        pipe, {"c__max_depth": [3]}, scoring=accuracy if custom else "accuracy",
        error_score="raise",
    ).fit(X, y)  # fmt: skip
    best = clone(pipe).set_params(c__max_depth=3)
    ref = cross_validate(best, X, y, cv=CV, scoring="accuracy")["test_score"]
    np.testing.assert_allclose(_fold_scores(search), ref)
    expected = clone(best).fit(X, y).predict(X)
    np.testing.assert_array_equal(search.best_estimator_.predict(X), expected)


def test_routed_transform_metadata_reaches_the_steps_when_scored():
    # scoring=None with routing: Pipeline.score routes metadata to the steps'
    # transform, so the Pipeline itself is scored.
    from sklearn.model_selection import GridSearchCV

    class Shift(TransformerMixin, BaseEstimator):
        def fit(self, X, y=None, offset=None):
            self.fitted_ = True
            return self

        def transform(self, X, offset=None):
            X = np.array(X, dtype=float)
            if offset is not None:
                X[:, 0] += offset
            return X

    offset = np.where(np.arange(len(y)) % 2 == 0, 0.0, 50.0)
    with sklearn.config_context(enable_metadata_routing=True):
        shift = Shift().set_fit_request(offset=True).set_transform_request(offset=True)
        pipe = Pipeline(
            [
                ("s", shift),
                ("c", RandomForestClassifier(n_estimators=16, random_state=0)),
            ]
        )
        grid = GridSearchCV(pipe, {"c__max_depth": [None]}, cv=CV)
        grid.fit(X, y, offset=offset)
        search = _search(pipe, {"c__max_depth": [None]}, error_score="raise")
        search.fit(X, y, offset=offset)
    np.testing.assert_allclose(
        _fold_scores(search),
        [grid.cv_results_[f"split{k}_test_score"][0] for k in range(3)],
    )


def test_mlp_steps_stop_once_the_mlp_converged():
    est = MLPClassifier(
        hidden_layer_sizes=(10,), max_iter=100, tol=1e-2, n_iter_no_change=3,
        learning_rate_init=0.05, random_state=0,
    )  # fmt: skip
    Xs = StandardScaler().fit_transform(X)
    idx = np.arange(len(y))
    kwargs = dict(
        kind="epochs", param=None, classes=np.unique(y), train=idx[::2],
        test=idx[1::2], parameters={}, scorer=None, fit_params={},
        score_params={}, return_train_score=False, error_score="raise",
    )  # fmt: skip
    from sklearn.metrics import check_scoring

    kwargs["scorer"] = check_scoring(est)
    state, trained = None, []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for stop in (1, 2, 4, 8, 16, 32, 64, 100):
            state = run_step(state, est, Xs, y, stop=stop, **kwargs)["_state"]
            trained.append(len(state.model.loss_curve_))
    assert state.converged
    # Once the MLP stopped by its own rule, later steps train nothing.
    assert trained[-1] == trained[-2] < 100


def test_each_candidate_is_trained_the_way_its_own_step_allows():
    pipe = Pipeline([("s", StandardScaler()), ("clf", SGDClassifier())])
    space = [
        {"clf": [SGDClassifier(max_iter=8, tol=None, random_state=0)]},
        {"clf": [RandomForestClassifier(n_estimators=16, random_state=0)]},
        {"clf": [LogisticRegression()]},
        {"clf": [HistGradientBoostingClassifier(max_iter=16, random_state=0)]},
    ]
    search = _search(pipe, space, n_iter=4, error_score="raise").fit(X, y)
    steps = {
        type(t.params["clf"]).__name__ if hasattr(t.params["clf"], "fit") else None: (
            sorted(t.intermediate_values)
        )
        for t in search.study_.trials
    }
    assert len(steps) == 4
    for i, params in enumerate(search.cv_results_["params"]):
        name = type(params["clf"]).__name__
        if name in ("RandomForestClassifier", "LogisticRegression",
                    "HistGradientBoostingClassifier"):  # fmt: skip
            ref = cross_validate(clone(pipe).set_params(**params), X, y, cv=CV)
            np.testing.assert_allclose(_fold_scores(search, i), ref["test_score"])
    study = search.study_
    by_name = {type(t.params["clf"]).__name__: t for t in study.trials}
    assert max(by_name["SGDClassifier"].intermediate_values) == 8  # epochs
    assert max(by_name["RandomForestClassifier"].intermediate_values) == 16
    assert sorted(by_name["LogisticRegression"].intermediate_values) == [0, 1, 2]


def test_explicit_resource_refuses_a_candidate_it_cannot_step():
    search = _search(
        MLPClassifier(max_iter=5),
        {"solver": ["adam", "lbfgs"]},
        n_iter=2,
        resource="epochs",
        error_score="raise",
    )
    with pytest.raises(ValueError, match="'resource' parameter.*solver='lbfgs'"):
        search.fit(X, y)


def test_a_fold_failing_mid_resource_leaves_the_others_to_finish():
    class Flaky(SGDClassifier):
        def partial_fit(self, X, y, classes=None, sample_weight=None):
            self.n_calls_ = getattr(self, "n_calls_", 0) + 1
            if self.n_calls_ == 3 and X[:, 0].min() > 0:
                raise RuntimeError("diverged")
            return super().partial_fit(X, y, classes=classes)

        def fit(self, X, y, **kw):  # the same training for cross_validate
            for _ in range(self.max_iter):
                self.partial_fit(X, y, classes=np.unique(y))
            return self

    rng = np.random.RandomState(0)
    Xf = rng.randn(120, 3)
    yf = (Xf[:, 1] > 0).astype(int)
    Xf[:, 0] = np.arange(120)
    est = Flaky(max_iter=8, tol=None, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = _search(
            est, {"alpha": [1e-4]}, cv=KFold(3), error_score=0.0, resource="epochs"
        ).fit(Xf, yf)
        ref = cross_validate(est, Xf, yf, cv=KFold(3), error_score=0.0)
    np.testing.assert_allclose(_fold_scores(search), ref["test_score"])
    assert search.cv_results_["n_resources"][0] == 8


@pytest.mark.parametrize(
    "estimator",
    [
        RandomForestClassifier(n_estimators=8),
        HistGradientBoostingClassifier(max_iter=8),
    ],
)
def test_best_estimator_keeps_the_candidates_settings(estimator):
    search = _search(estimator, {"random_state": [0]}).fit(X, y)
    best = search.best_estimator_.get_params()
    expected = clone(estimator).set_params(random_state=0).get_params()
    assert best == expected


def test_multi_output_classifier_gets_classes_per_output():
    rng = np.random.RandomState(0)
    Y = (rng.rand(len(y), 2) > 0.5).astype(int)
    Y[:, 1] += 1
    est = MultiOutputClassifier(SGDClassifier(max_iter=4, tol=None, random_state=0))
    search = _search(
        est, {"estimator__alpha": [1e-4]}, cv=KFold(3), error_score="raise"
    ).fit(X, Y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


def test_bagging_with_oob_score_is_trained_in_folds():
    est = BaggingClassifier(n_estimators=5, oob_score=True, random_state=0)
    search = _search(est, {"max_features": [0.5]}, error_score="raise").fit(X, y)
    ref = cross_validate(est.set_params(max_features=0.5), X, y, cv=CV)
    np.testing.assert_allclose(_fold_scores(search), ref["test_score"])


def test_routed_fit_params_reach_the_steps_that_request_them():
    weight = np.random.RandomState(0).rand(len(y))
    with sklearn.config_context(enable_metadata_routing=True):
        scaler = StandardScaler().set_fit_request(sample_weight=True)
        forest = RandomForestClassifier(n_estimators=8, random_state=0)
        forest.set_fit_request(sample_weight=True)
        pipe = Pipeline([("s", scaler), ("clf", forest)])
        from sklearn.metrics import get_scorer

        scoring = get_scorer("accuracy").set_score_request(sample_weight=False)
        search = _search(
            pipe, {"clf__max_depth": [3]}, error_score="raise", scoring=scoring
        )
        search.fit(X, y, sample_weight=weight)
        ref = cross_validate(
            clone(pipe).set_params(clf__max_depth=3), X, y, cv=CV,
            params={"sample_weight": weight}, scoring=scoring,
        )  # fmt: skip
    np.testing.assert_allclose(_fold_scores(search), ref["test_score"])


class _PruneQuality(BasePruner):
    def prune(self, study, trial):
        return trial.params["value"] == 0.72


def test_resumed_search_without_pruner_never_picks_a_pruned_trial(tmp_path):
    Xq, yq = np.arange(30, dtype=float).reshape(-1, 1), np.arange(30) % 2
    kw = dict(
        cv=KFold(3), storage=f"sqlite:///{tmp_path / 'r.db'}", study_name="s",
        resource="folds", random_state=0,
    )  # fmt: skip
    space = {"value": [0.70, 0.75, 0.72]}
    first = TPESearchCV(
        ScoreIs(bonus=0.2), space, n_iter=3, pruner=_PruneQuality(), **kw
    )
    first.fit(Xq, yq)
    # The pruned candidate ran the easy fold only: its partial mean is highest.
    assert first.best_params_ == {"value": 0.75}
    resumed = TPESearchCV(ScoreIs(bonus=0.2), space, n_iter=3, **kw).fit(Xq, yq)
    assert resumed.best_params_ == {"value": 0.75}
    assert resumed.cv_results_["state"][resumed.best_index_] == "COMPLETE"
