"""TPESearchCV behaves as RandomizedSearchCV / GridSearchCV do (apart from which
candidates it draws). Ported from what scikit-learn's own search tests check."""

from __future__ import annotations

import pickle
import re
import warnings

import numpy as np
import pytest
from scipy.stats import expon, loguniform
from search_helpers import (
    FAILING,
    CountingClassifier,
    FailingClassifier,
    clf_data,
    reg_data,
)
from sklearn import config_context
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.exceptions import FitFailedWarning, NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import make_scorer, recall_score
from sklearn.model_selection import (
    GridSearchCV,
    GroupKFold,
    KFold,
    ParameterGrid,
    ParameterSampler,
    RandomizedSearchCV,
    StratifiedKFold,
)
from sklearn.neighbors import KernelDensity
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC
from sklearn.tree import DecisionTreeClassifier

import sktune
from sktune import TPESearchCV
from sktune.exceptions import InvalidParameterError
from sktune.pruners import MedianPruner, NopPruner
from sktune.samplers import GridSampler, QMCSampler, RandomSampler, TPESampler
from sktune.sklearn._scheduler import DUPLICATE_ATTR
from sktune.trial import TrialState

pytestmark = pytest.mark.sklearn_compat

X, y = clf_data()
Xr, yr = reg_data()


def enqueued_study(candidates):
    """A study that will evaluate ``candidates`` in this order."""
    study = sktune.create_study(direction="maximize", pruner=NopPruner())
    for c in candidates:
        study.enqueue_trial(c)
    return study


def assert_same_cv_results(ours, theirs):
    """Same keys in the same order, same dtypes, masks and values (times
    aside)."""
    assert list(ours) == list(theirs)
    for key, expected in theirs.items():
        got = ours[key]
        if key == "params":
            assert got == expected
            continue
        assert type(got) is type(expected), key
        assert got.dtype == expected.dtype, key
        if isinstance(expected, np.ma.MaskedArray):
            np.testing.assert_array_equal(got.mask, expected.mask)
        if "time" not in key:
            np.testing.assert_array_equal(np.asarray(got), np.asarray(expected), key)


# -- cv_results_ and best_* exactly as scikit-learn's ----------------------------------
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"return_train_score": True},
        {"scoring": ["accuracy", "recall"], "refit": "recall"},
        {"scoring": {"acc": "accuracy", "rec": make_scorer(recall_score)}},
        {"scoring": ("accuracy", "recall"), "refit": False},
    ],
)
def test_cv_results_match_randomized_search(kwargs):
    dists = {
        "C": loguniform(1e-2, 1e2),
        "class_weight": [None, "balanced"],
        "fit_intercept": [True, False],
    }
    if "scoring" in kwargs and "refit" not in kwargs:
        kwargs = {**kwargs, "refit": "acc"}
    candidates = list(ParameterSampler(dists, 5, random_state=0))
    ours = TPESearchCV(
        LogisticRegression(solver="liblinear"),
        dists,
        n_iter=5,
        cv=3,
        study=enqueued_study(candidates),
        **kwargs,
    ).fit(X, y)
    theirs = RandomizedSearchCV(
        LogisticRegression(solver="liblinear"),
        dists,
        n_iter=5,
        cv=3,
        random_state=0,
        **kwargs,
    ).fit(X, y)
    assert_same_cv_results(ours.cv_results_, theirs.cv_results_)
    assert ours.multimetric_ == theirs.multimetric_
    assert ours.n_splits_ == theirs.n_splits_ == 3
    for attr in ("best_index_", "best_score_", "best_params_"):
        assert hasattr(ours, attr) == hasattr(theirs, attr)
        if hasattr(theirs, attr):
            assert getattr(ours, attr) == getattr(theirs, attr)
    if kwargs.get("refit", True):
        np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
        assert ours.refit_time_ >= 0
    assert type(ours.scorer_) is type(theirs.scorer_)


def test_conditional_space_masks_like_grid_search():
    grid = [
        {"kernel": ["rbf"], "gamma": [0.1, 1.0]},
        {"kernel": ["linear"], "C": [0.5, 2.0]},
    ]
    theirs = GridSearchCV(SVC(), grid, cv=3).fit(X, y)
    candidates = [
        {"__space__": 0 if p["kernel"] == "rbf" else 1, **p}
        for p in ParameterGrid(grid)
    ]
    ours = TPESearchCV(
        SVC(), grid, n_iter=3, cv=3, study=enqueued_study(candidates[:3])
    ).fit(X, y)
    partial = GridSearchCV(SVC(), grid, cv=3)
    partial.fit(X, y)
    assert ours.cv_results_["params"] == theirs.cv_results_["params"][:3]
    for key in ("param_C", "param_gamma", "param_kernel"):
        np.testing.assert_array_equal(
            ours.cv_results_[key].mask, theirs.cv_results_[key].mask[:3]
        )
    assert "__space__" not in ours.best_params_
    assert not any(k.startswith("param___space__") for k in ours.cv_results_)


def test_exhaustive_finite_space_equals_grid_search():
    # With n_iter covering the grid, the candidates come in GridSearchCV's
    # order (as RandomizedSearchCV's do), so cv_results_ matches row for row.
    grid = [
        {"C": [0.1, 1.0, 10.0], "fit_intercept": [True, False]},
        {"C": [0.5], "penalty": ["l1"]},
    ]
    est = LogisticRegression(solver="liblinear")
    with pytest.warns(UserWarning, match="total space of parameters 7 is smaller"):
        ours = TPESearchCV(est, grid, n_iter=50, cv=3, random_state=0).fit(X, y)
    theirs = GridSearchCV(est, grid, cv=3).fit(X, y)
    assert ours.cv_results_["params"] == theirs.cv_results_["params"]
    for key, value in theirs.cv_results_.items():
        if key.endswith("_time"):
            continue
        np.testing.assert_array_equal(ours.cv_results_[key], value, err_msg=key)
        if key.startswith("param_"):
            np.testing.assert_array_equal(ours.cv_results_[key].mask, value.mask)
    assert ours.best_index_ == theirs.best_index_
    assert ours.best_params_ == theirs.best_params_
    assert ours.best_score_ == theirs.best_score_


def test_exhaustive_search_that_may_stop_early_goes_in_random_order():
    # A timeout or a callback may end the search before the grid is done: a
    # random order then covers the space better than the grid's first rows.
    # A pruner compares each trial with those before it: they should be typical.
    grid = {"x": list(range(6)), "z": ["a", "b"]}
    in_grid_order = list(ParameterGrid(grid))
    for kwargs in (
        {"timeout": 1e6},
        {"callbacks": [lambda study, trial: None]},
        {"pruner": MedianPruner()},
    ):
        search = TPESearchCV(
            CountingClassifier(), grid, n_iter=12, cv=2, random_state=0, **kwargs
        ).fit(X, y)
        params = search.cv_results_["params"]
        assert sorted(map(repr, params)) == sorted(map(repr, in_grid_order))
        assert params != in_grid_order


def test_empty_cv_iterator_fails_before_any_trial():
    study = sktune.create_study(direction="maximize")
    cv = KFold(n_splits=3).split(X)
    list(cv)  # used up
    search = TPESearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=cv, study=study)
    with pytest.raises(ValueError, match="No fits were performed. Was the CV"):
        search.fit(X, y)
    assert study.trials == []


def test_inconsistent_splitter_fails_with_sklearn_message():
    class BrokenKFold(KFold):
        def get_n_splits(self, *args, **kwargs):
            return 1

    search = TPESearchCV(Ridge(), {"alpha": [0.1, 1.0]}, cv=BrokenKFold(n_splits=3))
    with pytest.raises(
        ValueError,
        match=r"cv.split and cv.get_n_splits return(ed)? inconsistent results. "
        r"Expected 1 splits, got 3",
    ):
        search.fit(X, y)


def test_finite_space_is_never_evaluated_twice():
    space = {"x": [0, 1, 2, 3, 4, 5], "z": ["a", "b"]}
    search = TPESearchCV(CountingClassifier(), space, n_iter=9, cv=2, random_state=0)
    search.fit(X, y)
    params = search.cv_results_["params"]
    assert len(params) == 9
    keys = [tuple(sorted(p.items())) for p in params]
    assert len(set(keys)) == 9
    # Duplicate proposals are kept out of cv_results_ and of the count.
    dup = [t for t in search.study_.trials if t.system_attrs.get("sktune:duplicate")]
    assert all(t.state == TrialState.FAIL for t in dup)


@pytest.mark.parametrize("sampler", [None, RandomSampler(seed=0)])
def test_finite_branches_of_a_continuous_space_are_never_evaluated_twice(sampler):
    # A model choice whose second branch has one point and third has two: no
    # point of them is fitted twice, the continuous branch takes the rest.
    space = [
        {"x": loguniform(1e-3, 10.0)},
        {"x": [7]},
        {"x": [8, 9], "z": ["a"]},
    ]
    search = TPESearchCV(
        CountingClassifier(), space, n_iter=12, cv=2, random_state=0, sampler=sampler
    )
    search.fit(X, y)
    xs = [p["x"] for p in search.cv_results_["params"]]
    assert len(xs) == 12
    finite = [x for x in xs if x in (7, 8, 9)]
    assert len(finite) == len(set(finite))
    dup = [t for t in search.study_.trials if DUPLICATE_ATTR in t.system_attrs]
    assert all(t.state == TrialState.FAIL for t in dup)


def test_finite_space_search_needs_no_random_replacement():
    # The sampler proposes the best new point itself, so the search never
    # replaces a repeat by a random unseen point, though the model converges.
    space = {"x": list(range(40)), "z": ["a", "b"]}
    search = TPESearchCV(CountingClassifier(), space, n_iter=40, cv=2, random_state=0)
    search.fit(X, y)
    assert not [t for t in search.study_.trials if DUPLICATE_ATTR in t.system_attrs]
    assert len(search.study_.trials) == 40
    assert search.best_params_["x"] == 3


def test_ranks_break_ties_and_nan_like_sklearn():
    # Same scores give the same (lowest) rank; NaN scores rank with the worst.
    space = {"parameter": [1.0, 1.0 + 1e-12, 0.5, FAILING]}
    candidates = [{"parameter": v} for v in (1.0, 0.5, FAILING)]
    with pytest.warns(FitFailedWarning):
        ours = TPESearchCV(
            FailingClassifier(),
            space,
            n_iter=3,
            cv=2,
            study=enqueued_study(candidates),
        ).fit(X, y)
    ranks = ours.cv_results_["rank_test_score"]
    np.testing.assert_array_equal(ranks, [1, 2, 3])
    assert ranks.dtype == np.int32
    assert ours.best_index_ == 0


def test_none_param_value_is_kept():
    # scikit-learn's test_search_cv_results_none_param
    search = TPESearchCV(
        DecisionTreeClassifier(), {"random_state": [0, None]}, n_iter=2, cv=2
    ).fit(X, y)
    values = list(search.cv_results_["param_random_state"])
    assert sorted(values, key=str) == [0, None]


def test_an_estimator_class_is_refused_by_name():
    # It has a fit attribute, so the constraints passed it; the error came from
    # deep inside, as "get_params() missing 1 required positional argument".
    with pytest.raises(TypeError, match="'estimator' parameter .* class Counting"):
        TPESearchCV(CountingClassifier, {"x": [1, 2]}, n_iter=2).fit(X, y)


# -- the space -------------------------------------------------------------------------
def test_bad_space_fails_before_any_fit():
    CountingClassifier.n_fits = 0
    with pytest.raises(InvalidParameterError, match="'nope'"):
        TPESearchCV(CountingClassifier(), {"nope": [1, 2]}, n_iter=2).fit(X, y)
    with pytest.raises(InvalidParameterError, match="'x'"):
        TPESearchCV(CountingClassifier(), {"x": []}, n_iter=2).fit(X, y)
    assert CountingClassifier.n_fits == 0


# -- validation ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_iter": 0}, "The 'n_iter' parameter of TPESearchCV must be"),
        ({"resource": "epochs?"}, "The 'resource' parameter of TPESearchCV"),
        ({"timeout": -1.0}, "The 'timeout' parameter of TPESearchCV"),
        ({"sampler": "tpe"}, "The 'sampler' parameter of TPESearchCV"),
        ({"pruner": 3}, "The 'pruner' parameter of TPESearchCV"),
        ({"callbacks": [1]}, "The 'callbacks' parameter of TPESearchCV"),
        ({"error_score": "nope"}, "The 'error_score' parameter of TPESearchCV"),
        ({"n_jobs": "2"}, "The 'n_jobs' parameter of TPESearchCV"),
        (
            {"study": "STUDY", "sampler": RandomSampler()},
            "The 'sampler' parameter of TPESearchCV must be None when 'study'",
        ),
    ],
)
def test_parameters_are_validated_in_fit(params, match):
    if params.get("study") == "STUDY":
        params = {**params, "study": sktune.create_study(direction="maximize")}
    search = TPESearchCV(
        LogisticRegression(solver="liblinear"), {"C": [1.0, 2.0]}, **params
    )
    # Stored verbatim, checked only in fit (scikit-learn's rule).
    for name, value in params.items():
        assert search.get_params()[name] is value
    with pytest.raises((ValueError, TypeError), match=re.escape(match)):
        search.fit(X, y)


def test_minimize_study_is_refused():
    study = sktune.create_study(direction="minimize")
    with pytest.raises(ValueError, match="direction 'maximize'"):
        TPESearchCV(
            LogisticRegression(solver="liblinear"), {"C": [1.0]}, study=study
        ).fit(X, y)


def test_signature_extends_randomized_search():
    import inspect

    ours = list(inspect.signature(TPESearchCV).parameters.values())
    theirs = list(inspect.signature(RandomizedSearchCV).parameters.values())
    for a, b in zip(ours, theirs):
        assert (a.name, a.kind) == (b.name, b.kind)
        assert a.default is b.default or a.default == b.default
    assert ours[len(theirs)].name == "sampler"


# -- refit -----------------------------------------------------------------------------
def test_no_refit():
    search = TPESearchCV(
        LogisticRegression(solver="liblinear"),
        {"C": [0.1, 1.0]},
        n_iter=2,
        cv=2,
        refit=False,
    ).fit(X, y)
    assert not hasattr(search, "best_estimator_")
    assert hasattr(search, "best_index_") and hasattr(search, "best_params_")
    for fn in ("predict", "predict_proba", "score"):
        with pytest.raises(AttributeError) as exc:
            getattr(search, fn)(X)
        assert "refit=False" in str(exc.value) + str(exc.value.__cause__)


def test_refit_callable():
    def refit(results):
        return int(np.argmin(results["mean_test_score"]))

    search = TPESearchCV(
        LogisticRegression(solver="liblinear"),
        {"C": [0.01, 0.1, 1.0]},
        n_iter=3,
        cv=2,
        refit=refit,
    ).fit(X, y)
    assert search.best_index_ == int(np.argmin(search.cv_results_["mean_test_score"]))
    assert not hasattr(search, "best_score_")
    assert hasattr(search, "best_estimator_")


@pytest.mark.parametrize(
    "refit, error", [(lambda r: "x", TypeError), (lambda r: 10, IndexError)]
)
def test_refit_callable_invalid(refit, error):
    search = TPESearchCV(
        LogisticRegression(solver="liblinear"),
        {"C": [0.1, 1.0]},
        n_iter=2,
        cv=2,
        refit=refit,
    )
    with pytest.raises(error):
        search.fit(X, y)


def test_multimetric_needs_refit_name_before_any_fit():
    CountingClassifier.n_fits = 0
    search = TPESearchCV(
        CountingClassifier(), {"x": [1, 2]}, scoring=["accuracy", "recall"]
    )
    with pytest.raises(ValueError, match="For multi-metric scoring, the parameter"):
        search.fit(X, y)
    assert CountingClassifier.n_fits == 0


def test_callable_multimetric_scoring():
    def scoring(est, X_, y_):
        pred = est.predict(X_)
        return {"acc": float(np.mean(pred == y_)), "neg": -float(np.mean(pred))}

    search = TPESearchCV(
        LogisticRegression(solver="liblinear"),
        {"C": [0.1, 1.0]},
        n_iter=2,
        cv=2,
        scoring=scoring,
        refit="acc",
    ).fit(X, y)
    assert search.multimetric_
    assert "mean_test_neg" in search.cv_results_
    assert search.best_score_ == search.cv_results_["mean_test_acc"].max()
    bad = clone(search).set_params(refit=True)
    with pytest.raises(ValueError, match="For multi-metric scoring"):
        bad.fit(X, y)


# -- failures --------------------------------------------------------------------------
def test_failing_fits_warn_once_and_score_error_score():
    space = {"parameter": [FAILING, 0.0, 1.0]}
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        search = TPESearchCV(FailingClassifier(), space, n_iter=3, cv=3).fit(X, y)
    fit_failed = [w for w in record if issubclass(w.category, FitFailedWarning)]
    assert len(fit_failed) == 1
    assert "3 fits failed out of a total of 9" in str(fit_failed[0].message)
    nonfinite = [w for w in record if "non-finite" in str(w.message)]
    assert nonfinite
    i = search.cv_results_["params"].index({"parameter": FAILING})
    assert np.isnan(search.cv_results_["mean_test_score"][i])
    assert search.cv_results_["rank_test_score"][i] == 3
    assert search.best_params_ == {"parameter": 1.0}
    failed = [t for t in search.study_.trials if t.params.get("parameter") == FAILING]
    assert [t.state for t in failed] == [TrialState.FAIL]

    with pytest.warns(FitFailedWarning):
        search = TPESearchCV(
            FailingClassifier(), space, n_iter=3, cv=3, error_score=-1.0
        ).fit(X, y)
    i = search.cv_results_["params"].index({"parameter": FAILING})
    assert search.cv_results_["mean_test_score"][i] == -1.0


def test_all_fits_failing_raises():
    with pytest.raises(ValueError, match="All the 4 fits failed"):
        TPESearchCV(FailingClassifier(), {"parameter": [FAILING]}, n_iter=2, cv=4).fit(
            X, y
        )


def test_error_score_raise_stops_at_once_and_records_the_failure():
    study = enqueued_study([{"parameter": 1.0}, {"parameter": FAILING}])
    search = TPESearchCV(
        FailingClassifier(),
        {"parameter": [1.0, FAILING, 0.0]},
        n_iter=3,
        cv=2,
        error_score="raise",
        study=study,
    )
    with pytest.raises(ValueError, match="Failing classifier failed as required"):
        search.fit(X, y)
    states = [t.state for t in study.trials if t.state != TrialState.WAITING]
    assert states == [TrialState.COMPLETE, TrialState.FAIL]
    # The search leaves no point of its own queued (a resumed search queues
    # the points not evaluated yet again).
    assert len(study.trials) == 2


# -- data, groups, fit parameters ------------------------------------------------------
def test_groups_go_to_the_splitter():
    groups = np.arange(len(X)) % 3
    search = TPESearchCV(
        LogisticRegression(solver="liblinear"), {"C": [1.0]}, n_iter=1, cv=GroupKFold(3)
    )
    with pytest.raises(ValueError, match="groups"):
        search.fit(X, y)
    search.fit(X, y, groups=groups)
    assert search.n_splits_ == 3


def test_sample_weight_is_sliced_per_fold():
    CountingClassifier.interrupt_at = None
    w = np.ones(len(X))
    search = TPESearchCV(
        CountingClassifier(), {"x": [1, 2]}, n_iter=2, cv=3, error_score="raise"
    )
    search.fit(X, y, sample_weight=w)
    assert len(search.cv_results_["params"]) == 2


def test_sample_weight_with_metadata_routing():
    w = np.ones(len(X))
    with config_context(enable_metadata_routing=True):
        est = CountingClassifier().set_fit_request(sample_weight=True)
        search = TPESearchCV(
            est, {"x": [1, 2]}, n_iter=2, cv=3, error_score="raise", n_jobs=1
        )
        search.fit(X, y, sample_weight=w)
        assert len(search.cv_results_["params"]) == 2
        unrequested = TPESearchCV(CountingClassifier(), {"x": [1]}, n_iter=1, cv=2)
        with pytest.raises(ValueError, match="sample_weight"):
            unrequested.fit(X, y, sample_weight=w)


def test_pandas_input_and_feature_names():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    search = TPESearchCV(
        LogisticRegression(solver="liblinear"), {"C": [1.0]}, n_iter=1, cv=2
    )
    search.fit(df, pd.Series(y))
    np.testing.assert_array_equal(search.feature_names_in_, df.columns)
    assert search.n_features_in_ == X.shape[1]
    search.predict(df)


def test_unsupervised_search():
    search = TPESearchCV(
        KMeans(n_init=2, random_state=0),
        {"n_clusters": [2, 3]},
        n_iter=2,
        cv=2,
        scoring="adjusted_rand_score",
    )
    search.fit(X, y)
    search.set_params(scoring=None).fit(X)  # y=None: the estimator's score
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_params_["n_clusters"] in (2, 3)


def test_inconsistent_lengths_raise():
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        TPESearchCV(LogisticRegression(solver="liblinear"), {"C": [1.0]}, n_iter=1).fit(
            X, y[:-1]
        )


def test_inconsistent_cv_splits_raise():
    class BadCV(KFold):
        def get_n_splits(self, *args, **kwargs):
            return 4

    search = TPESearchCV(
        LogisticRegression(solver="liblinear"), {"C": [1.0]}, n_iter=1, cv=BadCV(3)
    )
    with pytest.raises(ValueError, match="cv.split and cv.get_n_splits"):
        search.fit(X, y)


# -- delegation, tags, repr ------------------------------------------------------------
def test_delegation_follows_the_estimator():
    clf = TPESearchCV(
        LogisticRegression(solver="liblinear"), {"C": [1.0]}, n_iter=1, cv=2
    ).fit(X, y)
    for method in (
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
    ):
        np.testing.assert_allclose(
            getattr(clf, method)(X), getattr(clf.best_estimator_, method)(X)
        )
    np.testing.assert_array_equal(clf.classes_, np.unique(y))
    assert clf.score(X, y) == clf.best_estimator_.score(X, y)
    assert not hasattr(clf, "transform")
    assert not hasattr(TPESearchCV(LinearSVC(), {"C": [1.0]}), "predict_proba")

    pca = TPESearchCV(
        PCA(),
        {"n_components": [2, 3]},
        n_iter=2,
        cv=2,
        scoring=lambda est, X_, y_=None: (
            -np.mean((est.inverse_transform(est.transform(X_)) - X_) ** 2)
        ),
    ).fit(X)
    np.testing.assert_allclose(pca.transform(X), pca.best_estimator_.transform(X))
    np.testing.assert_allclose(
        pca.inverse_transform(pca.transform(X)),
        pca.best_estimator_.inverse_transform(pca.transform(X)),
    )
    kde = TPESearchCV(KernelDensity(), {"bandwidth": [0.5, 1.0]}, n_iter=2, cv=2).fit(X)
    np.testing.assert_allclose(
        kde.score_samples(X), kde.best_estimator_.score_samples(X)
    )


def test_score_uses_the_scorer():
    search = TPESearchCV(
        LogisticRegression(solver="liblinear"),
        {"C": [1.0]},
        n_iter=1,
        cv=2,
        scoring="recall",
    ).fit(X, y)
    assert search.score(X, y) == recall_score(y, search.predict(X))


def test_not_fitted():
    search = TPESearchCV(LogisticRegression(solver="liblinear"), {"C": [1.0]})
    with pytest.raises(NotFittedError):
        search.predict(X)


def test_tags_come_from_the_estimator():
    assert is_classifier(TPESearchCV(SVC(), {"C": [1.0]}))
    assert is_regressor(TPESearchCV(Ridge(), {"alpha": [1.0]}))
    pipe = Pipeline([("s", StandardScaler()), ("m", SVC())])
    assert is_classifier(TPESearchCV(pipe, {"m__C": [1.0]}))
    # cross_val_score stratifies a classifier search.
    from sklearn.model_selection import check_cv

    cv = check_cv(3, y, classifier=is_classifier(TPESearchCV(SVC(), {"C": [1.0]})))
    assert isinstance(cv, StratifiedKFold)


def test_html_repr():
    search = TPESearchCV(Pipeline([("m", SVC())]), {"m__C": [1.0]})
    html = search._repr_html_()
    assert "TPESearchCV" in html and "estimator: Pipeline" in html
    search.set_params(n_iter=1, cv=2).fit(X, y)
    assert "best_estimator_: Pipeline" in search._repr_html_()


@pytest.mark.parametrize("verbose", [1, 3])
def test_verbose_lines_like_sklearn(capsys, verbose):
    TPESearchCV(
        LogisticRegression(solver="liblinear"),
        {"C": [0.1, 1.0]},
        n_iter=2,
        cv=3,
        verbose=verbose,
    ).fit(X, y)
    ours = capsys.readouterr().out
    RandomizedSearchCV(
        LogisticRegression(solver="liblinear"),
        {"C": [0.1, 1.0]},
        n_iter=2,
        cv=3,
        verbose=verbose,
    ).fit(X, y)
    theirs = capsys.readouterr().out
    assert "Fitting 3 folds for each of 2 candidates, totalling 6 fits" in ours
    strip = re.compile(r"C=\S+;?|total time=\s*\S+|score=\S+")
    assert sorted(strip.sub("", line) for line in ours.splitlines()) == sorted(
        strip.sub("", line) for line in theirs.splitlines()
    )
    if verbose == 3:
        assert "[CV 1/3] END" in ours


def test_clone_get_set_params_and_pickle():
    search = TPESearchCV(
        Pipeline(
            [("s", StandardScaler()), ("m", LogisticRegression(solver="liblinear"))]
        ),
        {"m__C": loguniform(1e-2, 1e2)},
        n_iter=3,
        cv=2,
        random_state=0,
    )
    params = search.get_params()
    assert params["estimator__m__C"] == 1.0 and params["n_iter"] == 3
    search.set_params(estimator__m__C=2.0, n_iter=2)
    assert search.estimator.named_steps["m"].C == 2.0
    cloned = clone(search)
    assert cloned.get_params()["n_iter"] == 2
    search.fit(X, y)
    restored = pickle.loads(pickle.dumps(search))
    np.testing.assert_array_equal(restored.predict(X), search.predict(X))
    assert len(restored.study_.trials) == 2


# -- beyond scikit-learn ---------------------------------------------------------------
def test_study_timeout_callbacks_and_dataframe():
    pytest.importorskip("pandas")
    seen = []

    def stop_after_three(study, trial):
        seen.append(trial.number)
        if len(seen) == 3:
            study.stop()

    search = TPESearchCV(
        LogisticRegression(solver="liblinear"),
        {"C": loguniform(1e-3, 1e3)},
        n_iter=20,
        cv=2,
        callbacks=[stop_after_three],
        random_state=0,
    ).fit(X, y)
    assert seen == [0, 1, 2]
    assert len(search.cv_results_["params"]) == 3
    df = search.study_.trials_dataframe()
    assert len(df) == 3 and "params_C" in df.columns

    search = TPESearchCV(
        LogisticRegression(solver="liblinear"),
        {"C": loguniform(1e-3, 1e3)},
        n_iter=10**6,
        cv=2,
        timeout=1e-9,
    ).fit(X, y)
    # The first candidate always runs, so that best_* exist.
    assert len(search.cv_results_["params"]) == 1


def test_infinite_timeout_is_no_limit():
    # As Study.optimize(timeout=inf): no limit, so a finite space is still
    # searched exhaustively in GridSearchCV's order (a finite timeout shuffles).
    grid = {"C": [0.01, 0.1, 1.0, 10.0], "tol": [1e-4, 1e-3]}
    expected = list(ParameterGrid(grid))
    search = TPESearchCV(
        LogisticRegression(solver="liblinear"), grid, n_iter=8, cv=2, timeout=np.inf
    ).fit(X, y)
    assert search.cv_results_["params"] == expected
    # timeout=0, as Study.optimize accepts: only the first candidate runs.
    search.set_params(timeout=0).fit(X, y)
    assert len(search.cv_results_["params"]) == 1


def test_reproducible_with_random_state():
    def run():
        return TPESearchCV(
            LogisticRegression(solver="liblinear"),
            {"C": loguniform(1e-3, 1e3), "tol": [1e-4, 1e-3]},
            n_iter=8,
            cv=2,
            random_state=42,
        ).fit(X, y)

    a, b = run(), run()
    assert a.cv_results_["params"] == b.cv_results_["params"]
    np.testing.assert_array_equal(
        a.cv_results_["mean_test_score"], b.cv_results_["mean_test_score"]
    )
    c = TPESearchCV(
        LogisticRegression(solver="liblinear"),
        {"C": loguniform(1e-3, 1e3)},
        n_iter=3,
        cv=2,
        random_state=7,
    ).fit(X, y)
    assert c.cv_results_["params"] != a.cv_results_["params"][:3]


def test_random_sampler_gives_a_random_search():
    sampler = RandomSampler(seed=3)
    search = TPESearchCV(
        LogisticRegression(solver="liblinear"),
        {"C": loguniform(1e-3, 1e3)},
        n_iter=6,
        cv=2,
        sampler=sampler,
    ).fit(X, y)
    again = clone(search).fit(X, y)
    # The user's sampler is copied, never advanced.
    assert search.cv_results_["params"] == again.cv_results_["params"]
    assert type(search.study_.sampler) is RandomSampler
    assert search.study_.sampler is not sampler
    values = [p["C"] for p in search.cv_results_["params"]]
    assert all(1e-3 <= v <= 1e3 for v in values) and len(set(values)) == 6


def test_default_sampler_alternates_broad_and_neighbour_kernels():
    # TPESearchCV's default is TPESampler(bandwidth="alternate"), seeded from
    # random_state: the same candidates as that sampler given explicitly.
    def search(sampler):
        return TPESearchCV(
            LogisticRegression(solver="liblinear"),
            {"C": loguniform(1e-3, 1e3), "tol": loguniform(1e-5, 1e-1)},
            n_iter=20,
            cv=2,
            random_state=5,
            sampler=sampler,
        ).fit(X, y)

    default = search(None)
    used = default.study_.sampler
    assert type(used) is TPESampler and used.bandwidth == "alternate"
    explicit = search(TPESampler(seed=used.seed, bandwidth="alternate"))
    neighbour = search(TPESampler(seed=used.seed))
    params = default.cv_results_["params"]
    assert params == explicit.cv_results_["params"]
    # The start-up points agree; the model-based ones follow the kernels.
    assert params[:10] == neighbour.cv_results_["params"][:10]
    assert params != neighbour.cv_results_["params"]


def test_search_stopped_early_leaves_no_waiting_trial_of_its_own():
    # A finite space's points are queued one per ask; with the user's trial
    # waiting in the study, the search must not queue one beside it.
    study = sktune.create_study(direction="maximize")
    study.enqueue_trial({"C": 1.0})
    TPESearchCV(
        LogisticRegression(solver="liblinear"),
        {"C": [0.01, 0.1, 1.0, 10.0]},
        n_iter=4,
        cv=2,
        study=study,
        timeout=0.0,
        random_state=0,
    ).fit(X, y)
    states = [(t.params, t.state.name) for t in study.trials]
    assert states == [({"C": 1.0}, "COMPLETE")]


@pytest.mark.parametrize("seed", [0, 1])
def test_a_waiting_duplicate_leaves_the_grid_order(seed):
    # The user enqueues a point already evaluated: it fails as a duplicate,
    # and the rest of the exhaustive search still follows ParameterGrid.
    grid = {"C": [0.001, 0.01, 0.1, 1.0, 10.0, 100.0]}
    study = sktune.create_study(direction="maximize", pruner=NopPruner())
    study.enqueue_trial({"C": 1.0})

    def search(n_iter):
        return TPESearchCV(
            LogisticRegression(solver="liblinear"),
            grid,
            n_iter=n_iter,
            cv=2,
            study=study,
            random_state=seed,
        ).fit(X, y)

    search(1)
    study.enqueue_trial({"C": 1.0})
    search(6)
    evaluated = [t.params["C"] for t in study.trials if t.state.name == "COMPLETE"]
    assert evaluated == [1.0, 0.001, 0.01, 0.1, 10.0, 100.0]
    assert sum(t.state.name == "FAIL" for t in study.trials) == 1


def test_grid_sampler_search():
    grid = {"C": [0.1, 1.0, 10.0]}
    search = TPESearchCV(
        LogisticRegression(solver="liblinear"),
        grid,
        n_iter=3,
        cv=2,
        sampler=GridSampler(grid, seed=0),
    ).fit(X, y)
    assert sorted(p["C"] for p in search.cv_results_["params"]) == [0.1, 1.0, 10.0]


def test_progress_bar(capsys):
    pytest.importorskip("tqdm")
    TPESearchCV(
        LogisticRegression(solver="liblinear"),
        {"C": [0.1, 1.0]},
        n_iter=2,
        cv=2,
        show_progress_bar=True,
    ).fit(X, y)
    assert "TPESearchCV" in capsys.readouterr().err


def test_resume_counts_n_iter_in_total():
    study = sktune.create_study(direction="maximize", pruner=NopPruner())
    space = {"C": loguniform(1e-3, 1e3)}
    TPESearchCV(
        LogisticRegression(solver="liblinear"), space, n_iter=3, cv=2, study=study
    ).fit(X, y)
    search = TPESearchCV(
        LogisticRegression(solver="liblinear"), space, n_iter=5, cv=2, study=study
    )
    search.fit(X, y)
    assert len(study.trials) == 5
    assert len(search.cv_results_["params"]) == 5
    assert search.cv_results_["params"][0] == {"C": study.trials[0].params["C"]}


def test_resume_with_other_data_warns_and_other_space_raises():
    study = sktune.create_study(direction="maximize", pruner=NopPruner())
    TPESearchCV(
        LogisticRegression(solver="liblinear"),
        {"C": [1.0, 2.0]},
        n_iter=1,
        cv=2,
        study=study,
    ).fit(X, y)
    with pytest.warns(UserWarning, match="other data"):
        TPESearchCV(
            LogisticRegression(solver="liblinear"),
            {"C": [1.0, 2.0]},
            n_iter=2,
            cv=2,
            study=study,
        ).fit(X[:50], y[:50])
    with pytest.raises(ValueError, match="'C'"):
        TPESearchCV(
            LogisticRegression(solver="liblinear"),
            {"C": [3.0, 4.0]},
            n_iter=3,
            cv=2,
            study=study,
        ).fit(X, y)


def test_keyboard_interrupt_keeps_finished_trials_then_resumes():
    study = sktune.create_study(direction="maximize", pruner=NopPruner())
    space = {"x": list(range(10))}
    CountingClassifier.n_fits = 0
    CountingClassifier.interrupt_at = 6  # first fold of the third candidate
    search = TPESearchCV(CountingClassifier(), space, n_iter=5, cv=2, study=study)
    try:
        with pytest.raises(KeyboardInterrupt):
            search.fit(X, y)
    finally:
        CountingClassifier.interrupt_at = None
    # Proposals that repeated a point were refused (failed, marked) unfitted.
    states = [t.state for t in study.trials if DUPLICATE_ATTR not in t.system_attrs]
    assert states == [TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAIL]
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 5
    assert search.cv_results_["params"][:2] == [
        {"x": t.params["x"]} for t in study.trials[:2]
    ]
    # The interrupted trial is neither counted nor listed.
    numbers = [t.number for t in study.trials if t.state == TrialState.COMPLETE]
    assert len(numbers) == 5


def test_y_as_list_and_X_as_list():
    search = TPESearchCV(
        LogisticRegression(solver="liblinear"), {"C": [1.0]}, n_iter=1, cv=2
    )
    search.fit(X.tolist(), list(y))
    assert search.best_params_ == {"C": 1.0}


def test_trials_left_running_by_a_dead_fit_are_not_counted():
    study = sktune.create_study(direction="maximize", pruner=NopPruner())
    orphan = study.ask()  # as if the process running it had died
    orphan.suggest_categorical("x", [1, 2, 3])
    search = TPESearchCV(
        CountingClassifier(), {"x": [1, 2, 3]}, n_iter=2, cv=2, study=study
    ).fit(X, y)
    assert len(search.cv_results_["params"]) == 2
    assert study.trials[0].state == TrialState.RUNNING


def test_progress_bar_without_tqdm_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    study = sktune.create_study(direction="maximize")
    search = TPESearchCV(
        CountingClassifier(),
        {"x": [1, 2, 3]},
        n_iter=3,
        cv=2,
        show_progress_bar=True,
        study=study,
    )
    with pytest.raises(ImportError, match=r"sktune\[progress\]"):
        search.fit(X, y)
    # Raised before the search touched the study (it used to enqueue the
    # grid's points and write its attributes first).
    assert study.trials == [] and study.system_attrs == {}


def test_resume_by_storage_and_name_does_not_replay_draws():
    from sktune.storages import InMemoryStorage

    storage = InMemoryStorage()
    kwargs = dict(n_iter=3, cv=2, storage=storage, study_name="s", random_state=0)
    space = {"C": loguniform(1e-3, 1e3)}
    TPESearchCV(LogisticRegression(solver="liblinear"), space, **kwargs).fit(X, y)
    search = TPESearchCV(
        LogisticRegression(solver="liblinear"), space, **{**kwargs, "n_iter": 6}
    ).fit(X, y)
    values = [p["C"] for p in search.cv_results_["params"]]
    assert len(values) == 6 and len(set(values)) == 6


# -- non-default samplers ------------------------------------------------------
def test_replacements_follow_a_discrete_distributions_probabilities():
    from scipy.stats import binom

    # P(k >= 11) is about 6e-6: replacements of repeated proposals used to be
    # uniform over the support (a third of them at k >= 8).
    for seed in range(5):
        search = TPESearchCV(
            CountingClassifier(),
            {"x": binom(20, 0.1)},
            n_iter=10,
            cv=2,
            sampler=RandomSampler(seed=seed),
            random_state=seed,
        ).fit(X, y)
        values = [p["x"] for p in search.cv_results_["params"]]
        assert len(set(values)) == 10 and max(values) <= 10


@pytest.mark.parametrize(
    "make", [RandomSampler, QMCSampler, lambda: TPESampler(n_startup_trials=2)]
)
def test_random_state_seeds_a_sampler_given_without_a_seed(make):
    def params():
        search = TPESearchCV(
            CountingClassifier(),
            {"x": loguniform(1e-3, 1)},
            n_iter=4,
            cv=2,
            sampler=make(),  # a new unseeded sampler each time
            random_state=0,
        )
        return search.fit(X, y).cv_results_["params"]

    assert params() == params()


def test_a_seeded_sampler_makes_refits_reproducible_without_random_state():
    # The search's own draws (replacing repeated points) follow the seed.
    search = TPESearchCV(
        CountingClassifier(),
        {"x": list(range(10))},
        n_iter=9,
        cv=2,
        sampler=RandomSampler(seed=0),
    )
    runs = {
        tuple(p["x"] for p in search.fit(X, y).cv_results_["params"]) for _ in range(4)
    }
    assert len(runs) == 1


def test_a_grid_sampler_decides_the_points_of_a_finite_space():
    # With n_iter >= the space's size the whole space used to be enqueued.
    search = TPESearchCV(
        CountingClassifier(),
        {"x": [1, 2, 3, 4]},
        n_iter=4,
        cv=2,
        sampler=GridSampler({"x": [1, 2]}, seed=0),
    ).fit(X, y)
    assert sorted(p["x"] for p in search.cv_results_["params"]) == [1, 2]


@pytest.mark.parametrize(
    ("space", "grid", "match"),
    [
        ({"x": expon(scale=10)}, {"x": [1.0]}, "searched through the CDF"),
        ({"x": [1, 2]}, {"x": [1], "z": [0]}, r"grid names \['z'\]"),
        ([{"x": [1]}, {"x": [2]}], {"x": [1, 2]}, "needs the key '__space__'"),
    ],
)
def test_a_grid_the_space_cannot_follow_is_refused_before_any_fit(space, grid, match):
    search = TPESearchCV(
        CountingClassifier(), space, n_iter=2, cv=2, sampler=GridSampler(grid)
    )
    with pytest.raises(ValueError, match=match):
        search.fit(X, y)
    assert not hasattr(search, "study_")  # nothing was created


def test_a_grid_value_missing_from_a_dicts_list_is_refused_before_any_fit():
    space = [{"x": [1, 2, 3]}, {"x": [1, 2]}]
    grid = GridSampler({"__space__": [0, 1], "x": [1, 3]})
    search = TPESearchCV(CountingClassifier(), space, n_iter=4, cv=2, sampler=grid)
    with pytest.raises(ValueError, match="grid lists 3 for 'x'"):
        search.fit(X, y)
    assert not hasattr(search, "study_")
