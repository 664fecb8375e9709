"""Importance evaluators: functional ANOVA and mean decrease in impurity."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from sktune._frozen import FrozenTrial
from sktune._validation import check_int, is_int, param_error
from sktune.importance._data import (
    Group,
    KeyPatterns,
    check_params,
    complete_trials,
    prepare,
)
from sktune.importance._fanova import forest_leaf_boxes, forest_variance_fractions
from sktune.importance._forest import Forest, fit_forest
from sktune.importance._source import resolve_source

__all__ = [
    "BaseImportanceEvaluator",
    "FanovaImportanceEvaluator",
    "MeanDecreaseImpurityImportanceEvaluator",
]


class BaseImportanceEvaluator:
    """Base class of importance evaluators.

    Subclasses implement ``_group_importances(group, y)``, which returns the
    fraction of a group's variance each of its inputs explains and the fitted
    model; :meth:`evaluate` handles trials, targets and conditional
    parameters.

    Examples
    --------
    >>> from sktune.importance import (
    ...     BaseImportanceEvaluator, MeanDecreaseImpurityImportanceEvaluator)
    >>> isinstance(MeanDecreaseImpurityImportanceEvaluator(),
    ...            BaseImportanceEvaluator)
    True
    """

    def evaluate(
        self,
        study: Any,
        params: Sequence[str] | None = None,
        *,
        target: Callable[[FrozenTrial], float] | str | None = None,
    ) -> dict[str, float]:
        """Importance of each parameter, unnormalised, most important first.

        Parameters
        ----------
        study : Study or fitted TPESearchCV
            The trials to analyse (only complete ones count).
        params : list of str or None
            Parameters to evaluate; None for every parameter of a complete
            trial, conditional ones included.
        target : callable, str or None
            ``target(frozen_trial) -> float`` to analyse instead of the value;
            for a search also a metric name.

        Returns
        -------
        dict of str to float
        """
        owner = f"{type(self).__name__}.evaluate"
        source = resolve_source(study, target, None, owner)
        trials, y = complete_trials(source)
        if len(trials) < 2:
            raise ValueError(
                f"{owner} needs at least 2 complete trials with a finite target; "
                f"the study has {len(trials)}."
            )
        keys = KeyPatterns.of(trials)
        names = check_params(params, trials, owner, keys)
        groups, _ = prepare(trials, names, keys)
        # trees are invariant to rescaling y; keep its variance finite
        scale = float(np.max(np.abs(y)))
        if scale > 0.0:
            y = y / scale
        result = dict.fromkeys(names, 0.0)
        total_var = float(np.var(y))
        if total_var <= 0.0:
            return result
        rng = np.random.default_rng(getattr(self, "seed", None))
        y = y.copy()
        for group in groups:
            y_g = y[group.mask]
            if y_g.size < 2 or np.var(y_g) <= 0.0:
                continue
            # the group's share of the total variance (law of total variance)
            weight = group.mask.mean() * float(np.var(y_g)) / total_var
            fractions, forest = self._group_importances(group, y_g)
            for i in group.own:
                result[group.names[i]] = float(weight * fractions[i])
            if not group.mask.all():
                y[group.mask] = y_g - _own_effect(forest, group, rng)
        return dict(sorted(result.items(), key=lambda kv: -kv[1]))

    def _group_importances(self, group: Group, y: np.ndarray) -> tuple[np.ndarray, Any]:
        """Fractions of the group's variance per input, and the fitted forest."""
        raise NotImplementedError

    def _forest_settings(self, n_rows: int) -> dict[str, Any]:
        """Keyword arguments of :func:`fit_forest` for a group of ``n_rows``."""
        raise NotImplementedError

    def _forest(self, group: Group, y: np.ndarray) -> Forest:
        return fit_forest(
            group.X,
            y,
            max_depth=self.max_depth,  # type: ignore[attr-defined]
            seed=self.seed,  # type: ignore[attr-defined]
            **self._forest_settings(group.X.shape[0]),
        )

    def __repr__(self) -> str:
        attrs = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({attrs})"


_N_DRAWS = 32

# fANOVA's forest; FanovaImportanceEvaluator's notes give the reasons and
# docs/benchmarks.md ("Importance") the evidence.
_SUBSAMPLE = 0.632  # each tree fits this share of the rows, without replacement,
_MAX_ROWS_PER_TREE = 400  # but at most this many rows
_ROW_BUDGET = 2400  # default n_trees: the trees together fit about this many rows
_MIN_TREES, _MAX_TREES = 6, 64
# leaves hold at least half a percent of the rows, at most 5 rows
_ROWS_PER_LEAF, _MAX_LEAF = 200, 5


def _own_effect(forest: Any, group: Group, rng: np.random.Generator) -> np.ndarray:
    """What a conditional group's own parameters add to each of its trials.

    The forest's prediction minus its average over the own parameters (drawn
    from the group's trials, a partial dependence); subtracting it leaves the
    target as a function of the parameters the enclosing groups analyse, so
    a branch's parameters are not read as noise there.
    """
    X = group.X
    n = X.shape[0]
    draws = X[rng.choice(n, size=min(n, _N_DRAWS), replace=False)]
    cols = group.own_columns
    grid = np.repeat(X, draws.shape[0], axis=0)
    grid[:, cols] = np.tile(draws[:, cols], (n, 1))
    averaged = forest.predict(grid).reshape(n, draws.shape[0]).mean(axis=1)
    effect = forest.predict(X) - averaged
    # centred, so the group's mean (its part of the effects outside it) stays
    return effect - effect.mean()


def _check_forest_args(
    owner: str, n_trees: Any, max_depth: Any, seed: Any, *, auto: bool = False
) -> None:
    check_int(owner, "n_trees", n_trees, min_value=1, allow_none=auto)
    check_int(owner, "max_depth", max_depth, min_value=1)
    if seed is not None and not (is_int(seed) and seed >= 0):
        raise param_error(owner, "seed", "an int >= 0 or None", seed)


class FanovaImportanceEvaluator(BaseImportanceEvaluator):
    """Functional ANOVA over a random forest fitted to the trials.

    A random forest is fitted to the trials (log-scaled parameters in log
    space, every numeric parameter mapped to ``[0, 1]`` by its sampling
    measure, categoricals one-hot); each tree's variance is split exactly into
    its parameters' main effects (Hutter, Hoos and Leyton-Brown 2014, "An
    Efficient Approach for Assessing Hyperparameter Importance"), and the
    fractions are averaged over the trees. The decomposition is vectorised
    over the leaves of all trees. Needs scikit-learn.

    A conditional parameter is analysed on the trials that have it, never
    imputed, and its importance is scaled by the share of the target's
    variance those trials carry (law of total variance). Its effect is then
    averaged out of those trials' values (a partial dependence), so that the
    parameters above it (the branch choice, shared parameters) are analysed
    without reading it as noise.

    The forest. Optuna's fANOVA fits scikit-learn's ``RandomForestRegressor``
    (64 bootstrap trees, leaves of one trial) whatever the number of trials.
    Here each tree fits a random 63.2% of the trials drawn without
    replacement (as many distinct trials as a bootstrap sample, without its
    weights), at most 400 of them; leaves hold at least half a percent of the
    trials (1 to 5); and by default the trees together fit about 2,400
    trials: 64 trees up to 60 trials, 39 at 100, 13 at 300, 6 from 633 on.
    Few trials give noisy trees, which many trees average out; many trials
    give stable trees, of which a few suffice. In
    ``benchmarks/bench_importance.py`` (docs/benchmarks.md, "Importance")
    these settings rank the true top 3 as often as the classic forest on additive,
    step-function, mixed, pure-interaction and conditional studies of 100,
    300 and 1000 trials, in 1/15 to 1/20 of its time on 1000 trials, and in
    0.36-0.47 of the time of Optuna 5's default ``get_param_importances``
    (PED-ANOVA) on 1000 trials without conditional parameters (with them,
    each branch has its own forest, and it takes longer). Pass
    ``n_trees=64`` for more trees at any size: slower, not measurably more
    accurate there.

    Parameters
    ----------
    n_trees : int or None, default=None
        Trees in the forest; None chooses from the number of trials, as
        above.
    max_depth : int, default=64
        Maximum depth of each tree.
    seed : int or None, default=None
        Seed of the forest, for reproducible importances.

    Examples
    --------
    >>> import sktune
    >>> from sktune.importance import FanovaImportanceEvaluator
    >>> study = sktune.create_study(sampler=sktune.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2
    ...                + 0.01 * t.suggest_float("y", -1, 1), n_trials=100)
    >>> importances = FanovaImportanceEvaluator(seed=0).evaluate(study)
    >>> list(importances)
    ['x', 'y']
    """

    def __init__(
        self,
        *,
        n_trees: int | None = None,
        max_depth: int = 64,
        seed: int | None = None,
    ) -> None:
        _check_forest_args(type(self).__name__, n_trees, max_depth, seed, auto=True)
        self.n_trees = n_trees
        self.max_depth = max_depth
        self.seed = seed

    def _forest_settings(self, n_rows: int) -> dict[str, Any]:
        rows_per_tree = min(round(_SUBSAMPLE * n_rows), _MAX_ROWS_PER_TREE)
        rows_per_tree = max(rows_per_tree, min(n_rows, 2))
        n_trees = self.n_trees
        if n_trees is None:
            n_trees = min(max(-(-_ROW_BUDGET // rows_per_tree), _MIN_TREES), _MAX_TREES)
        return {
            "n_trees": n_trees,
            "splitter": "best",
            "bootstrap": False,
            "max_samples": rows_per_tree / n_rows,
            "min_samples_leaf": min(max(1, n_rows // _ROWS_PER_LEAF), _MAX_LEAF),
            "max_features": 1.0,
        }

    def _group_importances(self, group: Group, y: np.ndarray) -> tuple[np.ndarray, Any]:
        forest = self._forest(group, y)
        trees = [estimator.tree_ for estimator in forest.trees]
        lower, upper, value, owner = forest_leaf_boxes(trees, group.X.shape[1])
        fractions, valid = forest_variance_fractions(
            lower, upper, value, owner, len(trees), group.dims
        )
        if not valid.any():
            return np.zeros(len(group.dims)), forest
        return fractions[valid].mean(axis=0), forest


class MeanDecreaseImpurityImportanceEvaluator(BaseImportanceEvaluator):
    """Mean decrease in impurity of a random forest fitted to the trials.

    The forest's ``feature_importances_``, summed over the one-hot columns of
    categoricals. Faster than fANOVA, but biased towards parameters with many
    distinct values. Needs scikit-learn.

    Parameters
    ----------
    n_trees : int, default=64
        Trees in the forest.
    max_depth : int, default=64
        Maximum depth of each tree.
    seed : int or None, default=None
        Seed of the forest.

    Examples
    --------
    >>> import sktune
    >>> from sktune.importance import MeanDecreaseImpurityImportanceEvaluator
    >>> study = sktune.create_study(sampler=sktune.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2
    ...                + 0.01 * t.suggest_float("y", -1, 1), n_trials=100)
    >>> evaluator = MeanDecreaseImpurityImportanceEvaluator(seed=0)
    >>> list(evaluator.evaluate(study))
    ['x', 'y']
    """

    def __init__(
        self, *, n_trees: int = 64, max_depth: int = 64, seed: int | None = None
    ) -> None:
        _check_forest_args(type(self).__name__, n_trees, max_depth, seed)
        self.n_trees = n_trees
        self.max_depth = max_depth
        self.seed = seed

    def _forest_settings(self, n_rows: int) -> dict[str, Any]:
        # scikit-learn's RandomForestRegressor defaults, as in Optuna
        return {
            "n_trees": self.n_trees,
            "splitter": "best",
            "bootstrap": True,
            "max_samples": 1.0,
            "min_samples_leaf": 1,
            "max_features": 1.0,
        }

    def _group_importances(self, group: Group, y: np.ndarray) -> tuple[np.ndarray, Any]:
        forest = self._forest(group, y)
        column = forest.feature_importances_
        fractions = np.array([np.sum(column[np.atleast_1d(d)]) for d in group.dims])
        return fractions, forest
