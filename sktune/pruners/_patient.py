"""Tolerate a trial that stops improving for a while before pruning it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sktune._frozen import FrozenTrial
from sktune._validation import param_error
from sktune.pruners._base import BasePruner
from sktune.pruners._common import is_maximize, require_int, require_real

if TYPE_CHECKING:
    from sktune.study._study import Study

__all__ = ["PatientPruner"]


class PatientPruner(BasePruner):
    """Prune only a trial that stopped improving, and only if another pruner agrees.

    With its reports in step order, let *before* be all but the last
    ``patience + 1`` and *recent* the last ``patience + 1``. The trial has
    stopped improving when the best recent value is worse than the best
    earlier value by more than ``min_delta`` (for minimisation:
    ``min(recent) > min(before) + min_delta``), NaN ignored: if either part
    holds only NaN, the trial is not pruned. This is Optuna's rule. Then
    ``wrapped_pruner`` decides (or, with None, the trial is pruned). Nothing
    is pruned with ``patience + 1`` reports or fewer.

    Parameters
    ----------
    wrapped_pruner : BasePruner or None
        The pruner that decides once the trial has stopped improving; None
        for plain early stopping on the trial's own curve.
    patience : int
        Reports without improvement tolerated (``>= 0``).
    min_delta : float, default=0.0
        Tolerance (``>= 0``): a recent best worse than the earlier best by
        at most this still counts as keeping up.

    Examples
    --------
    >>> import sktune
    >>> from sktune.pruners import PatientPruner
    >>> study = sktune.create_study(pruner=PatientPruner(None, patience=1))
    >>> trial = study.ask()
    >>> for step, loss in enumerate([1.0, 0.5, 0.7, 0.6]):
    ...     trial.report(loss, step)
    ...     print(step, trial.should_prune())
    0 False
    1 False
    2 False
    3 True
    """

    def __init__(
        self,
        wrapped_pruner: BasePruner | None,
        patience: int,
        min_delta: float = 0.0,
    ) -> None:
        owner = type(self).__name__
        if wrapped_pruner is not None and not isinstance(wrapped_pruner, BasePruner):
            raise param_error(
                owner, "wrapped_pruner", "a BasePruner or None", wrapped_pruner
            )
        self._wrapped_pruner = wrapped_pruner
        self._patience = require_int(owner, "patience", patience, 0)
        self._min_delta = require_real(owner, "min_delta", min_delta, low=0.0)

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """Whether ``trial`` stopped improving and the wrapped pruner agrees.

        Parameters
        ----------
        study : Study
        trial : FrozenTrial

        Returns
        -------
        bool
        """
        values = trial.intermediate_values
        window = self._patience + 1
        if len(values) <= window:
            return False
        steps = sorted(values)
        curve = np.array([values[s] for s in steps], dtype=float)
        maximize = is_maximize(study)
        # Flip signs so that smaller is better; NaN is ignored, and a part
        # with only NaN prunes nothing (the comparison with NaN is False).
        if maximize:
            curve = -curve
        before, recent = curve[:-window], curve[-window:]
        if np.isnan(before).all() or np.isnan(recent).all():
            return False
        if not np.nanmin(recent) > np.nanmin(before) + self._min_delta:
            return False
        if self._wrapped_pruner is None:
            return True
        return self._wrapped_pruner.prune(study, trial)
