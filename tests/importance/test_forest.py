"""The light forest behind the evaluators, and fANOVA's default settings."""

from __future__ import annotations

import numpy as np
import pytest

from sktune.importance import (
    FanovaImportanceEvaluator,
    MeanDecreaseImpurityImportanceEvaluator,
)
from sktune.importance._forest import fit_forest


def _data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, 3))
    return X, np.sin(4 * X[:, 0]) + 0.5 * X[:, 1]


def _fit(X, y, **kwargs):
    settings = {
        "n_trees": 5,
        "max_depth": 64,
        "min_samples_leaf": 1,
        "max_features": 1.0,
        "bootstrap": False,
        "max_samples": 1.0,
        "splitter": "best",
        "seed": 0,
    }
    settings.update(kwargs)
    return fit_forest(X, y, **settings)


def test_subsampled_trees_see_that_many_distinct_rows():
    X, y = _data()
    forest = _fit(X, y, max_samples=0.632)
    for tree in forest.trees:
        assert tree.tree_.n_node_samples[0] == round(0.632 * 400)
    # without replacement the trees differ from one another
    first, second = forest.trees[0].tree_, forest.trees[1].tree_
    assert first.node_count != second.node_count or not np.array_equal(
        first.threshold, second.threshold
    )


def test_bootstrap_trees_weigh_rows_by_their_draws():
    X, y = _data()
    forest = _fit(X, y, bootstrap=True)
    for tree in forest.trees:
        root = tree.tree_
        # n draws in all, about 63% of the rows distinct
        assert root.weighted_n_node_samples[0] == pytest.approx(400)
        assert 0.55 * 400 < root.n_node_samples[0] < 0.72 * 400


def test_forest_is_reproducible_and_predicts_the_tree_mean():
    X, y = _data()
    a = _fit(X, y, max_samples=0.5, seed=3)
    b = _fit(X, y, max_samples=0.5, seed=3)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    mean = np.mean([t.predict(X.astype(np.float32)) for t in a.trees], axis=0)
    np.testing.assert_allclose(a.predict(X), mean)
    imp = a.feature_importances_
    assert imp.sum() == pytest.approx(1.0)
    assert imp.argmax() == 0


def test_default_forest_grows_with_few_trials_and_shrinks_with_many():
    evaluator = FanovaImportanceEvaluator()
    small, mid, large = (evaluator._forest_settings(n) for n in (50, 300, 1000))
    # few trials: many trees of single-trial leaves; many trials: few trees
    assert small["n_trees"] == 64 and small["min_samples_leaf"] == 1
    assert large["n_trees"] < mid["n_trees"] < small["n_trees"]
    assert large["n_trees"] >= 6 and large["min_samples_leaf"] > 1
    # every tree fits distinct rows, as many as a bootstrap sample holds, but
    # at most 400, so the cost stops growing with the number of trials
    assert not large["bootstrap"]
    assert small["max_samples"] * 50 == round(0.632 * 50)
    assert large["max_samples"] * 1000 == pytest.approx(400)
    huge = evaluator._forest_settings(10_000)
    assert huge["max_samples"] * 10_000 == pytest.approx(400)
    assert huge["n_trees"] == large["n_trees"]
    assert huge["min_samples_leaf"] <= 5


def test_tiny_study_trees_see_both_trials():
    assert FanovaImportanceEvaluator()._forest_settings(2)["max_samples"] == 1.0


def test_explicit_n_trees_is_kept():
    evaluator = FanovaImportanceEvaluator(n_trees=9)
    assert evaluator._forest_settings(50)["n_trees"] == 9
    assert evaluator._forest_settings(5000)["n_trees"] == 9


def test_n_trees_none_only_for_fanova():
    from sktune.exceptions import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="an int >= 1 or None. Got 0"):
        FanovaImportanceEvaluator(n_trees=0)
    with pytest.raises(InvalidParameterError, match="'n_trees' parameter of Mean"):
        MeanDecreaseImpurityImportanceEvaluator(n_trees=None)
