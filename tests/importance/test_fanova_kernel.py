"""The vectorised functional ANOVA kernel against hand-computed and brute-force
variance decompositions."""

from __future__ import annotations

import numpy as np
import pytest

from sktune.importance._fanova import leaf_boxes, tree_variance_fractions


def _boxes(estimator, n_features):
    tree = estimator.tree_
    return leaf_boxes(
        tree.children_left,
        tree.children_right,
        tree.feature,
        tree.threshold,
        tree.value[:, 0, 0],
        n_features,
    )


def test_additive_step_function_by_hand():
    # f = 1 * [x > 0.5] + 2 * [y > 0.25]: V_x = 1/4, V_y = 4 * 3/16 = 3/4.
    lo = np.array([[-np.inf, -np.inf], [-np.inf, 0.25], [0.5, -np.inf], [0.5, 0.25]])
    hi = np.array([[0.5, 0.25], [0.5, np.inf], [np.inf, 0.25], [np.inf, np.inf]])
    values = np.array([0.0, 2.0, 1.0, 3.0])
    fractions = tree_variance_fractions(lo, hi, values, [0, 1])
    np.testing.assert_allclose(fractions, [0.25, 0.75])


def test_categorical_one_hot_dimension():
    # three one-hot columns; leaf "column 2 > 0.5" holds choice 2 only
    lo = np.array([[-np.inf, -np.inf, -np.inf], [-np.inf, -np.inf, 0.5]])
    hi = np.array([[np.inf, np.inf, 0.5], [np.inf, np.inf, np.inf]])
    values = np.array([0.0, 3.0])
    fractions = tree_variance_fractions(lo, hi, values, [np.array([0, 1, 2])])
    np.testing.assert_allclose(fractions, [1.0])


def test_constant_tree_gives_none():
    lo = np.full((1, 1), -np.inf)
    hi = np.full((1, 1), np.inf)
    assert tree_variance_fractions(lo, hi, np.array([2.0]), [0]) is None


def test_leaf_boxes_partition_the_unit_square():
    from sklearn.tree import DecisionTreeRegressor

    rng = np.random.default_rng(0)
    X = rng.random((200, 3))
    tree = DecisionTreeRegressor(random_state=0).fit(X, X[:, 0] + X[:, 1] ** 2)
    lo, hi, values = _boxes(tree, 3)
    # every sample lies in exactly one box, whose value is the prediction
    inside = np.all((X[:, None, :] > lo) & (X[:, None, :] <= hi), axis=2)
    assert np.all(inside.sum(axis=1) == 1)
    np.testing.assert_allclose(values[inside.argmax(axis=1)], tree.predict(X))


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_brute_force_on_a_grid(seed):
    from sklearn.tree import DecisionTreeRegressor

    rng = np.random.default_rng(seed)
    X = rng.random((300, 2))
    y = np.sin(6 * X[:, 0]) + 0.5 * X[:, 1] + 0.3 * X[:, 0] * X[:, 1]
    tree = DecisionTreeRegressor(max_depth=6, random_state=seed).fit(X, y)
    lo, hi, values = _boxes(tree, 2)
    fractions = tree_variance_fractions(lo, hi, values, [0, 1])

    # brute force: the tree on a fine midpoint grid of the unit square
    n = 800
    g = (np.arange(n) + 0.5) / n
    gx, gy = np.meshgrid(g, g, indexing="ij")
    f = tree.predict(np.column_stack([gx.ravel(), gy.ravel()])).reshape(n, n)
    total = f.var()
    expected = [f.mean(axis=1).var() / total, f.mean(axis=0).var() / total]
    np.testing.assert_allclose(fractions, expected, atol=5e-3)


def test_categorical_matches_brute_force_over_the_choices():
    from sklearn.tree import DecisionTreeRegressor

    rng = np.random.default_rng(3)
    n, k = 400, 3
    choice = rng.integers(k, size=n)
    x = rng.random(n)
    X = np.column_stack([np.eye(k)[choice], x])
    y = np.array([0.0, 2.0, 0.5])[choice] * (1 + x) + np.sin(5 * x)
    tree = DecisionTreeRegressor(max_depth=7, random_state=0).fit(X, y)
    lo, hi, values = _boxes(tree, k + 1)
    fractions = tree_variance_fractions(lo, hi, values, [np.arange(k), k])

    # brute force over the valid domain: each choice (mass 1/k) x a grid of x
    g = (np.arange(2000) + 0.5) / 2000
    f = np.stack(
        [
            tree.predict(np.column_stack([np.tile(np.eye(k)[c], (g.size, 1)), g]))
            for c in range(k)
        ]
    )
    total = f.var()
    expected = [f.mean(axis=1).var() / total, f.mean(axis=0).var() / total]
    np.testing.assert_allclose(fractions, expected, atol=2e-3)


def test_forest_kernel_matches_the_single_tree_kernel():
    # all trees at once give each tree's own decomposition, a constant tree
    # included (its row is marked invalid)
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.tree import DecisionTreeRegressor

    from sktune.importance._fanova import (
        forest_leaf_boxes,
        forest_variance_fractions,
    )

    rng = np.random.default_rng(5)
    k = 3
    choice = rng.integers(k, size=300)
    X = np.column_stack([rng.random((300, 2)), np.eye(k)[choice]])
    y = np.sin(5 * X[:, 0]) + X[:, 0] * X[:, 1] + np.array([0.0, 1.0, 3.0])[choice]
    dims = [0, 1, np.arange(2, 2 + k)]
    forest = RandomForestRegressor(n_estimators=6, random_state=0).fit(X, y)
    constant = DecisionTreeRegressor().fit(X, np.ones(300))
    estimators = [*forest.estimators_[:3], constant, *forest.estimators_[3:]]

    lo, hi, values, owner = forest_leaf_boxes([e.tree_ for e in estimators], X.shape[1])
    fractions, valid = forest_variance_fractions(
        lo, hi, values, owner, len(estimators), dims
    )
    assert valid.tolist() == [True, True, True, False, True, True, True]
    for i, estimator in enumerate(estimators):
        expected = tree_variance_fractions(*_boxes(estimator, X.shape[1]), dims)
        if expected is None:
            np.testing.assert_array_equal(fractions[i], 0.0)
        else:
            np.testing.assert_allclose(fractions[i], expected, atol=1e-12)
