"""A pruner that never prunes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sktune._frozen import FrozenTrial
from sktune.pruners._base import BasePruner

if TYPE_CHECKING:
    from sktune.study._study import Study

__all__ = ["NopPruner"]


class NopPruner(BasePruner):
    """Never prune: every trial runs to the end.

    Examples
    --------
    >>> import sktune
    >>> study = sktune.create_study(pruner=sktune.pruners.NopPruner())
    >>> def objective(trial):
    ...     trial.report(1.0, step=0)
    ...     return float(trial.should_prune())
    >>> study.optimize(objective, n_trials=2)
    >>> study.best_value
    0.0
    """

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        return False
