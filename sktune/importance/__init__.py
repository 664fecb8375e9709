"""Hyperparameter importance: which parameters a study's results depend on.

The evaluators fit a random forest with scikit-learn, imported when they run,
so importing this package stays light.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sktune._frozen import FrozenTrial
from sktune._validation import param_error
from sktune.importance._evaluators import (
    BaseImportanceEvaluator,
    FanovaImportanceEvaluator,
    MeanDecreaseImpurityImportanceEvaluator,
)

__all__ = [
    "BaseImportanceEvaluator",
    "FanovaImportanceEvaluator",
    "MeanDecreaseImpurityImportanceEvaluator",
    "get_param_importances",
]


def get_param_importances(
    study_or_search: Any,
    *,
    evaluator: BaseImportanceEvaluator | None = None,
    params: Sequence[str] | None = None,
    target: Callable[[FrozenTrial], float] | str | None = None,
    normalize: bool = True,
) -> dict[str, float]:
    """Importance of each parameter, most important first.

    Parameters
    ----------
    study_or_search : Study or fitted TPESearchCV
        Only complete trials with a finite target count. For a search, the
        target is by default the refit metric's mean test score.
    evaluator : BaseImportanceEvaluator or None
        Defaults to :class:`FanovaImportanceEvaluator` (unseeded).
    params : list of str or None
        Parameters to evaluate; None for every parameter, conditional ones
        included (a parameter absent from a trial is never imputed).
    target : callable, str or None
        ``target(frozen_trial) -> float`` (Optuna's semantics), or for a search
        the name of one of its metrics (multi-metric scoring).
    normalize : bool, default=True
        Scale the importances to sum to 1 (equal shares when all are 0).

    Returns
    -------
    dict of str to float
        Ordered from most to least important.

    Examples
    --------
    >>> import sktune
    >>> from sktune.importance import (
    ...     FanovaImportanceEvaluator, get_param_importances)
    >>> def objective(trial):
    ...     x = trial.suggest_float("x", -1, 1)
    ...     y = trial.suggest_float("y", 1e-3, 1, log=True)
    ...     return x**2 + 0.01 * y
    >>> study = sktune.create_study(sampler=sktune.samplers.RandomSampler(seed=0))
    >>> study.optimize(objective, n_trials=100)
    >>> importances = get_param_importances(
    ...     study, evaluator=FanovaImportanceEvaluator(seed=0))
    >>> list(importances), round(sum(importances.values()), 6)
    (['x', 'y'], 1.0)
    >>> importances["x"] > 0.9
    True
    """
    owner = "get_param_importances"
    if evaluator is None:
        evaluator = FanovaImportanceEvaluator()
    if not isinstance(evaluator, BaseImportanceEvaluator):
        raise param_error(
            owner, "evaluator", "a BaseImportanceEvaluator or None", evaluator
        )
    if not isinstance(normalize, bool):
        raise param_error(owner, "normalize", "a bool", normalize)
    result = evaluator.evaluate(study_or_search, params=params, target=target)
    if not normalize or not result:
        return result
    total = sum(result.values())
    if total <= 0.0:
        return {name: 1.0 / len(result) for name in result}
    return {name: value / total for name, value in result.items()}
