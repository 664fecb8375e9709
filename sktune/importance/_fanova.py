"""Functional ANOVA over the leaves of regression trees, vectorised with numpy.

Hutter, Hoos and Leyton-Brown (2014), "An Efficient Approach for Assessing
Hyperparameter Importance" (ICML): a regression tree is a piecewise constant
function over axis-aligned boxes, so its mean, its total variance and the
variance of each one-dimensional marginal are exact sums over the leaves
(their Section 3.2). We compute those sums for all leaves of all trees of a
forest at once, instead of walking each tree per query point.

The kernel is pure: arrays in, arrays out. Each parameter is one *dimension*
of the unit product space with the uniform measure:

- a numeric parameter is one column with values in ``[0, 1]`` (the sampling
  measure, see :func:`sktune.samplers._transform.to_unit`);
- a categorical parameter with ``K`` choices is ``K`` one-hot columns; its
  domain is the ``K`` one-hot vectors, each with mass ``1 / K``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = [
    "forest_leaf_boxes",
    "forest_variance_fractions",
    "leaf_boxes",
    "tree_variance_fractions",
]

_TREE_LEAF = -1


def leaf_boxes(
    children_left: np.ndarray,
    children_right: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
    value: np.ndarray,
    n_features: int,
    *,
    roots: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boxes ``(lower, upper]`` and predictions of a fitted tree's leaves.

    The tree is given by scikit-learn's ``tree_`` arrays: a sample goes left
    when ``x[feature] <= threshold``. Nodes are processed level by level, so
    the cost is a few numpy calls per tree level.

    Parameters
    ----------
    children_left, children_right, feature, threshold : ndarray of shape (n_nodes,)
        The tree structure (``-1`` marks a leaf).
    value : ndarray of shape (n_nodes,)
        Prediction of each node.
    n_features : int
        Number of input columns.
    roots : ndarray of int or None
        Root nodes, when the arrays hold several trees (see
        :func:`forest_leaf_boxes`); None for the single root 0.

    Returns
    -------
    lower, upper : ndarray of shape (n_leaves, n_features)
        Open lower and closed upper bounds (``-inf`` / ``inf`` when unbounded),
        leaves in node order.
    leaf_value : ndarray of shape (n_leaves,)

    Examples
    --------
    >>> import numpy as np
    >>> # root splits column 0 at 0.5 into two leaves
    >>> lo, hi, v = leaf_boxes(np.array([1, -1, -1]), np.array([2, -1, -1]),
    ...     np.array([0, -2, -2]), np.array([0.5, -2.0, -2.0]),
    ...     np.array([1.0, 0.0, 2.0]), 1)
    >>> lo.ravel().tolist(), hi.ravel().tolist(), v.tolist()
    ([-inf, 0.5], [0.5, inf], [0.0, 2.0])
    """
    n_nodes = children_left.shape[0]
    lower = np.full((n_nodes, n_features), -np.inf)
    upper = np.full((n_nodes, n_features), np.inf)
    frontier = np.array([0]) if roots is None else np.asarray(roots)
    while frontier.size:
        internal = frontier[children_left[frontier] != _TREE_LEAF]
        if not internal.size:
            break
        left, right = children_left[internal], children_right[internal]
        feat, thr = feature[internal], threshold[internal]
        lower[left] = lower[internal]
        upper[left] = upper[internal]
        upper[left, feat] = thr
        lower[right] = lower[internal]
        upper[right] = upper[internal]
        lower[right, feat] = thr
        frontier = np.concatenate([left, right])
    leaves = np.flatnonzero(children_left == _TREE_LEAF)
    return lower[leaves], upper[leaves], np.asarray(value, dtype=float)[leaves]


def forest_leaf_boxes(
    trees: Sequence[object], n_features: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`leaf_boxes` of several scikit-learn ``tree_`` objects at once.

    Parameters
    ----------
    trees : sequence of sklearn.tree._tree.Tree
        Fitted single-output regression trees (``estimator.tree_``).
    n_features : int
        Number of input columns.

    Returns
    -------
    lower, upper : ndarray of shape (n_leaves, n_features)
    leaf_value : ndarray of shape (n_leaves,)
    leaf_tree : ndarray of shape (n_leaves,)
        Index of the tree of each leaf; leaves are grouped by tree.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.tree import DecisionTreeRegressor
    >>> X = np.array([[0.1], [0.4], [0.6], [0.9]])
    >>> a = DecisionTreeRegressor(max_depth=1).fit(X, [0, 0, 1, 1]).tree_
    >>> lo, hi, v, owner = forest_leaf_boxes([a, a], 1)
    >>> hi.ravel().round(3).tolist(), v.tolist(), owner.tolist()
    ([0.5, inf, 0.5, inf], [0.0, 1.0, 0.0, 1.0], [0, 0, 1, 1])
    """
    counts = np.array([t.node_count for t in trees])  # type: ignore[attr-defined]
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]])
    shift = np.repeat(offsets, counts)

    def stacked(name: str) -> np.ndarray:
        return np.concatenate([getattr(t, name) for t in trees])

    left, right = stacked("children_left"), stacked("children_right")
    is_leaf = left == _TREE_LEAF
    left = np.where(is_leaf, _TREE_LEAF, left + shift)
    right = np.where(is_leaf, _TREE_LEAF, right + shift)
    value = np.concatenate([t.value[:, 0, 0] for t in trees])  # type: ignore[attr-defined]
    lower, upper, leaf_value = leaf_boxes(
        left,
        right,
        stacked("feature"),
        stacked("threshold"),
        value,
        n_features,
        roots=offsets,
    )
    owner = np.repeat(np.arange(len(counts)), counts)[is_leaf]
    return lower, upper, leaf_value, owner


def _numeric_marginal_variance(
    lo: np.ndarray,
    hi: np.ndarray,
    contrib: np.ndarray,
    mean: np.ndarray,
    owner: np.ndarray,
    n_trees: int,
) -> np.ndarray:
    """Variance of each tree's marginal along one numeric dimension.

    Each tree's marginal is piecewise constant on the cells of ``[0, 1]`` cut
    at that tree's split points: a leaf adds ``contrib`` on the cells its
    range covers. The cut points of all trees are sorted together by (tree,
    point), so one cumulative sum walks every tree's cells.
    """
    n = lo.shape[0]
    point_tree = np.concatenate([owner, owner, np.arange(n_trees), np.arange(n_trees)])
    points = np.concatenate(
        [
            np.clip(lo, 0.0, 1.0),
            np.clip(hi, 0.0, 1.0),
            np.zeros(n_trees),
            np.ones(n_trees),
        ]
    )
    order = np.lexsort((points, point_tree))
    sorted_tree, sorted_point = point_tree[order], points[order]
    new = np.ones(order.size, dtype=bool)
    new[1:] = (sorted_tree[1:] != sorted_tree[:-1]) | (
        sorted_point[1:] != sorted_point[:-1]
    )
    edge_tree, edge = sorted_tree[new], sorted_point[new]
    rank = np.empty(order.size, dtype=np.intp)
    rank[order] = np.cumsum(new) - 1
    first, stop = rank[:n], rank[n : 2 * n]
    # width of the cell starting at each edge; a tree's last edge (1.0) has none
    width = np.zeros(edge.size)
    same = edge_tree[1:] == edge_tree[:-1]
    width[:-1] = np.where(same, edge[1:] - edge[:-1], 0.0)
    n_edges = edge.size
    delta = np.bincount(first, contrib, minlength=n_edges) - np.bincount(
        stop, contrib, minlength=n_edges
    )
    # each leaf adds and removes its share within its own tree, so the running
    # sum starts every tree at zero
    marginal = np.cumsum(delta)
    dev = marginal - mean[edge_tree]
    return np.bincount(edge_tree, width * dev * dev, minlength=n_trees)


def _categorical_members(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``members[l, c]``: whether the one-hot vector of choice ``c`` is in leaf l."""
    zero_ok = (lo < 0.0) & (hi >= 0.0)
    one_ok = (lo < 1.0) & (hi >= 1.0)
    n_bad_zero = (~zero_ok).sum(axis=1, keepdims=True)
    # choice c: column c must accept 1, every other column must accept 0
    return one_ok & (n_bad_zero - (~zero_ok) == 0)


def forest_variance_fractions(
    lower: np.ndarray,
    upper: np.ndarray,
    leaf_value: np.ndarray,
    leaf_tree: np.ndarray,
    n_trees: int,
    dims: Sequence[int | np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Fraction of each tree's variance explained by each dimension.

    Parameters
    ----------
    lower, upper : ndarray of shape (n_leaves, n_features)
        Leaf boxes from :func:`leaf_boxes` or :func:`forest_leaf_boxes`.
    leaf_value : ndarray of shape (n_leaves,)
    leaf_tree : ndarray of int of shape (n_leaves,)
        Tree of each leaf, in ``range(n_trees)``.
    n_trees : int
    dims : sequence
        One entry per dimension: an int (a numeric column in ``[0, 1]``) or an
        array of ints (the one-hot columns of a categorical).

    Returns
    -------
    fractions : ndarray of shape (n_trees, n_dims)
        ``V_p / V`` (Hutter et al. 2014, Eq. 3 and 4) of each tree.
    valid : ndarray of bool of shape (n_trees,)
        False for a tree that is constant over the domain (its row is 0).

    Examples
    --------
    >>> import numpy as np
    >>> lo = np.array([[-np.inf, -np.inf], [0.5, -np.inf]])
    >>> hi = np.array([[0.5, np.inf], [np.inf, np.inf]])
    >>> f, ok = forest_variance_fractions(
    ...     lo, hi, np.array([0.0, 1.0]), np.array([0, 0]), 1, [0, 1])
    >>> f.tolist(), ok.tolist()
    ([[1.0, 0.0]], [True])
    """
    n_leaves = leaf_value.shape[0]
    sizes = np.empty((len(dims), n_leaves))
    members: list[np.ndarray | None] = []
    for p, cols in enumerate(dims):
        if np.ndim(cols) == 0:
            j = int(cols)
            sizes[p] = np.clip(upper[:, j], 0.0, 1.0) - np.clip(lower[:, j], 0.0, 1.0)
            members.append(None)
        else:
            cols = np.asarray(cols)
            m = _categorical_members(lower[:, cols], upper[:, cols])
            sizes[p] = m.mean(axis=1)
            members.append(m)
    volume = sizes.prod(axis=0)
    total = np.bincount(leaf_tree, volume, minlength=n_trees)
    volume = volume / np.where(total > 0, total, 1.0)[leaf_tree]
    mean = np.bincount(leaf_tree, volume * leaf_value, minlength=n_trees)
    dev = leaf_value - mean[leaf_tree]
    variance = np.bincount(leaf_tree, volume * dev * dev, minlength=n_trees)
    valid = (total > 0) & (variance > 1e-14 * np.maximum(1.0, mean * mean))
    weighted = leaf_value * volume
    fractions = np.zeros((n_trees, len(dims)))
    for p, cols in enumerate(dims):
        size = sizes[p]
        # contribution of each leaf to the marginal at a point of its p-range:
        # v_l times the leaf's volume in the other dimensions
        contrib = np.divide(weighted, size, out=np.zeros_like(weighted), where=size > 0)
        m = members[p]
        if m is None:
            j = int(cols)  # type: ignore[arg-type]
            fractions[:, p] = _numeric_marginal_variance(
                lower[:, j], upper[:, j], contrib, mean, leaf_tree, n_trees
            )
        else:
            marginal = np.zeros((n_trees, m.shape[1]))
            np.add.at(marginal, leaf_tree, contrib[:, None] * m)
            fractions[:, p] = np.mean((marginal - mean[:, None]) ** 2, axis=1)
    fractions[valid] /= variance[valid, None]
    fractions[~valid] = 0.0
    return fractions, valid


def tree_variance_fractions(
    lower: np.ndarray,
    upper: np.ndarray,
    leaf_value: np.ndarray,
    dims: Sequence[int | np.ndarray],
) -> np.ndarray | None:
    """Fraction of one tree's variance explained by each dimension's main effect.

    Parameters
    ----------
    lower, upper : ndarray of shape (n_leaves, n_features)
        Leaf boxes from :func:`leaf_boxes`.
    leaf_value : ndarray of shape (n_leaves,)
    dims : sequence
        One entry per dimension: an int (a numeric column in ``[0, 1]``) or an
        array of ints (the one-hot columns of a categorical).

    Returns
    -------
    ndarray of shape (n_dims,) or None
        ``V_p / V`` for each dimension (Hutter et al. 2014, Eq. 3 and 4), or
        None when the tree is constant over the domain.

    Examples
    --------
    >>> import numpy as np
    >>> lo = np.array([[-np.inf, -np.inf], [0.5, -np.inf]])
    >>> hi = np.array([[0.5, np.inf], [np.inf, np.inf]])
    >>> tree_variance_fractions(lo, hi, np.array([0.0, 1.0]), [0, 1]).tolist()
    [1.0, 0.0]
    """
    owner = np.zeros(leaf_value.shape[0], dtype=np.intp)
    fractions, valid = forest_variance_fractions(
        lower, upper, leaf_value, owner, 1, dims
    )
    return fractions[0] if valid[0] else None
