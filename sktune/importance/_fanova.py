"""Functional ANOVA over the leaves of regression trees, vectorised with numpy.

Hutter, Hoos and Leyton-Brown (2014), "An Efficient Approach for Assessing
Hyperparameter Importance" (ICML): a regression tree is a piecewise constant
function over axis-aligned boxes, so its mean, its total variance and the
variance of each one-dimensional marginal are exact sums over the leaves
(their Section 3.2). We compute those sums for all leaves at once instead of
walking the tree per query point.

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

__all__ = ["leaf_boxes", "tree_variance_fractions"]

_TREE_LEAF = -1


def leaf_boxes(
    children_left: np.ndarray,
    children_right: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
    value: np.ndarray,
    n_features: int,
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

    Returns
    -------
    lower, upper : ndarray of shape (n_leaves, n_features)
        Open lower and closed upper bounds (``-inf`` / ``inf`` when unbounded).
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
    frontier = np.array([0])
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


def _numeric_cells(
    lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cells of ``[0, 1]`` cut at every split point, and each leaf's cell range."""
    lo = np.clip(lo, 0.0, 1.0)
    hi = np.clip(hi, 0.0, 1.0)
    edges = np.unique(np.concatenate([[0.0, 1.0], lo, hi]))
    first = np.searchsorted(edges, lo)
    stop = np.searchsorted(edges, hi)
    return np.diff(edges), first, stop, hi - lo


def _categorical_members(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``members[l, c]``: whether the one-hot vector of choice ``c`` is in leaf l."""
    zero_ok = (lo < 0.0) & (hi >= 0.0)
    one_ok = (lo < 1.0) & (hi >= 1.0)
    n_bad_zero = (~zero_ok).sum(axis=1, keepdims=True)
    # choice c: column c must accept 1, every other column must accept 0
    return one_ok & (n_bad_zero - (~zero_ok) == 0)


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
    n_leaves = leaf_value.shape[0]
    sizes = np.empty((len(dims), n_leaves))
    prepared: list[tuple] = []
    for p, cols in enumerate(dims):
        if np.ndim(cols) == 0:
            j = int(cols)
            widths, first, stop, size = _numeric_cells(lower[:, j], upper[:, j])
            prepared.append(("numeric", widths, first, stop))
        else:
            cols = np.asarray(cols)
            members = _categorical_members(lower[:, cols], upper[:, cols])
            size = members.mean(axis=1)
            prepared.append(("categorical", members))
        sizes[p] = size
    volume = sizes.prod(axis=0)
    total = volume.sum()
    if total <= 0.0:
        return None
    volume = volume / total
    mean = volume @ leaf_value
    variance = volume @ (leaf_value - mean) ** 2
    if not variance > 1e-14 * max(1.0, mean * mean):
        return None
    weighted = leaf_value * volume
    fractions = np.empty(len(dims))
    for p, prep in enumerate(prepared):
        size = sizes[p]
        # contribution of each leaf to the marginal at a point of its p-range:
        # v_l times the leaf's volume in the other dimensions
        contrib = np.divide(weighted, size, out=np.zeros_like(weighted), where=size > 0)
        if prep[0] == "numeric":
            _, widths, first, stop = prep
            n_cells = widths.shape[0]
            delta = np.bincount(first, contrib, minlength=n_cells + 1) - np.bincount(
                stop, contrib, minlength=n_cells + 1
            )
            marginal = np.cumsum(delta)[:n_cells]
            fractions[p] = widths @ (marginal - mean) ** 2
        else:
            members = prep[1]
            marginal = contrib @ members
            fractions[p] = np.mean((marginal - mean) ** 2)
    return fractions / variance
