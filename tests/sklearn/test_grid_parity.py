"""Grids that TPESearchCV evaluates whole match GridSearchCV exactly (cases a
differential fuzz against scikit-learn found)."""

from __future__ import annotations

import re
import time
import warnings

import numpy as np
import pytest
from search_helpers import ScoreIs
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.datasets import make_classification
from sklearn.model_selection import GridSearchCV
from sklearn.tree import DecisionTreeClassifier

from sktune import TPESearchCV

X, y = make_classification(n_samples=60, n_features=4, random_state=0)


def _pair(estimator, grid, **kwargs):
    size = int(np.prod([len(v) for v in grid.values()]))
    ref = GridSearchCV(estimator, grid, **kwargs).fit(X, y)
    ours = TPESearchCV(estimator, grid, n_iter=size, random_state=0, **kwargs)
    return ref, ours.fit(X, y)


def test_descending_range_keeps_its_order():
    tree = DecisionTreeClassifier(random_state=0)
    ref, ours = _pair(tree, {"min_samples_leaf": range(5, 0, -2)}, cv=3)
    assert ours.cv_results_["params"] == ref.cv_results_["params"]
    assert ours.best_params_ == ref.best_params_


@pytest.mark.parametrize(
    "values",
    [[-np.inf, 0.5, np.nan], [np.inf, np.nan]],
)
def test_ranks_with_infinite_and_nan_scores(values):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref, ours = _pair(ScoreIs(), {"value": values}, cv=2)
    np.testing.assert_array_equal(
        ours.cv_results_["rank_test_score"], ref.cv_results_["rank_test_score"]
    )
    assert ours.best_index_ == ref.best_index_


def test_non_finite_warning_comes_before_numpy_warnings():
    orders = []
    for cls, kw in ((GridSearchCV, {}), (TPESearchCV, {"n_iter": 2})):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cls(ScoreIs(), {"value": [np.inf, 0.5]}, cv=2, **kw).fit(X, y)
        orders.append(
            [w.category.__name__ for w in caught if "non-finite" in str(w.message)
             or w.category is RuntimeWarning]
        )  # fmt: skip
    assert orders[0] == orders[1]


class _SlowFail(ClassifierMixin, BaseEstimator):
    def __init__(self, mode="ok"):
        self.mode = mode

    def fit(self, X, y):
        if self.mode == "slow_fail":
            time.sleep(0.5)
            raise ValueError("error A (slow)")
        if self.mode == "fast_fail":
            raise ValueError("error B (fast)")
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.zeros(len(X), dtype=int)


def test_fit_failures_are_listed_in_candidate_order_in_parallel():
    grid = {"mode": ["slow_fail", "fast_fail", "ok"]}
    found = []
    for cls, kw in ((GridSearchCV, {}), (TPESearchCV, {"n_iter": 3})):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            cls(_SlowFail(), grid, cv=2, n_jobs=2, **kw).fit(X, y)
        text = [
            str(w.message) for w in caught if w.category.__name__ == "FitFailedWarning"
        ]
        found.append(re.findall(r"error [AB]", text[0]))
    assert found[0] == found[1]
