"""Prune trials whose best value is behind a percentile of the finished ones."""

from __future__ import annotations

import bisect
import math
from typing import TYPE_CHECKING

from sktune._frozen import FrozenTrial, TrialState
from sktune._per_study import PerStudy
from sktune.pruners._base import BasePruner
from sktune.pruners._common import (
    TrialScan,
    best_value,
    is_check_step,
    is_maximize,
    require_int,
    require_real,
)

if TYPE_CHECKING:
    from sktune.study._study import Study

__all__ = ["PercentilePruner"]


class _CompleteValues(TrialScan):
    """Values of COMPLETE trials, sorted by step, and their percentile."""

    def __init__(self) -> None:
        super().__init__()
        # The percentile to compute, in [0, 100]; set on first use, as it
        # depends on the study's direction.
        self.q = math.nan
        self.clear()

    def clear(self) -> None:
        super().clear()
        self.n_complete = 0
        # step -> sorted finite values; step -> number of values, NaN included
        self._sorted: dict[int, list[float]] = {}
        self._counts: dict[int, int] = {}

    def ingest(self, trial: FrozenTrial) -> None:
        if trial.state != TrialState.COMPLETE:
            return
        self.n_complete += 1
        for step, value in trial.intermediate_values.items():
            self._counts[step] = self._counts.get(step, 0) + 1
            if not math.isnan(value):
                bisect.insort(self._sorted.setdefault(step, []), value)

    def at_step(self, step: int) -> tuple[int, float]:
        """Count of values at ``step`` and the percentile of the finite ones
        (NaN if none), interpolated linearly as ``numpy.percentile``."""
        values = self._sorted.get(step)
        count = self._counts.get(step, 0)
        if not values:
            return count, math.nan
        last = len(values) - 1
        position = self.q / 100.0 * last
        low = min(math.floor(position), last)
        a, b, t = values[low], values[min(low + 1, last)], position - low
        # numpy's lerp, exact at both ends; like numpy, it gives NaN (no
        # threshold, nothing pruned) where an infinite value meets itself.
        return count, (a + (b - a) * t if t < 0.5 else b - (b - a) * (1 - t))


class PercentilePruner(BasePruner):
    """Prune a trial whose best value is outside the top ``percentile``.

    At a check, the trial's best intermediate value so far (NaN ignored) is
    compared with the given percentile of the values that COMPLETE trials
    reported at the same step (the trial's latest step). A minimised trial is
    pruned if its best is above the ``percentile``-th percentile (for
    maximisation: below the ``100 - percentile``-th). This is Optuna's rule:
    with ``percentile=25``, a trial survives only if it is in the best
    quarter. A trial whose reports are all NaN is pruned.

    Parameters
    ----------
    percentile : float
        In ``[0, 100]``; the share (in percent) of trials kept.
    n_startup_trials : int, default=5
        No pruning until this many trials of the study are COMPLETE.
    n_warmup_steps : int, default=0
        No pruning before this step; the first check is at
        ``step == n_warmup_steps``.
    interval_steps : int, default=1
        Checks happen every ``interval_steps`` steps after the warm-up; if a
        trial did not report at a check step, the check is made at its next
        report.
    n_min_trials : int, default=1
        No pruning unless at least this many COMPLETE trials reported a value
        at the step.

    Examples
    --------
    >>> import sktune
    >>> from sktune.pruners import PercentilePruner
    >>> pruner = PercentilePruner(25.0, n_startup_trials=2)
    >>> study = sktune.create_study(pruner=pruner)
    >>> def objective(trial):
    ...     slope = [1.0, 2.0, 3.0, 0.5][trial.number]
    ...     for step in range(3):
    ...         trial.report(slope * (step + 1), step)
    ...         if trial.should_prune():
    ...             raise sktune.TrialPruned()
    ...     return slope * 3
    >>> study.optimize(objective, n_trials=4)
    >>> [t.state.name for t in study.trials]
    ['COMPLETE', 'COMPLETE', 'PRUNED', 'COMPLETE']
    """

    def __init__(
        self,
        percentile: float,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        *,
        n_min_trials: int = 1,
    ) -> None:
        owner = type(self).__name__
        self._percentile = require_real(
            owner, "percentile", percentile, low=0, high=100
        )
        self._n_startup_trials = require_int(
            owner, "n_startup_trials", n_startup_trials, 0
        )
        self._n_warmup_steps = require_int(owner, "n_warmup_steps", n_warmup_steps, 0)
        self._interval_steps = require_int(owner, "interval_steps", interval_steps, 1)
        self._n_min_trials = require_int(owner, "n_min_trials", n_min_trials, 1)
        self._states: PerStudy[_CompleteValues] = PerStudy(_CompleteValues)

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """Whether ``trial`` is behind the percentile at its latest step.

        Parameters
        ----------
        study : Study
        trial : FrozenTrial

        Returns
        -------
        bool
        """
        step = trial.last_step
        if step is None:
            return False
        values = trial.intermediate_values
        if not is_check_step(values, step, self._n_warmup_steps, self._interval_steps):
            return False
        state = self._states.get(study)
        with state.lock:
            state.update(study.get_trials(deepcopy=False))
            n_complete = state.n_complete
            if n_complete == 0 or n_complete < self._n_startup_trials:
                return False
            maximize = is_maximize(study)
            if math.isnan(state.q):
                state.q = 100.0 - self._percentile if maximize else self._percentile
            n_at_step, threshold = state.at_step(step)
        best = best_value(values.values(), maximize)
        if math.isnan(best):
            return True
        if n_at_step < self._n_min_trials or math.isnan(threshold):
            return False
        return best < threshold if maximize else best > threshold
