"""Prune trials whose best value is worse than the median of the others."""

from __future__ import annotations

from sktune.pruners._percentile import PercentilePruner

__all__ = ["MedianPruner"]


class MedianPruner(PercentilePruner):
    """Prune a trial whose best value so far is worse than the median.

    :class:`PercentilePruner` with ``percentile=50``: at a check, the trial's
    best intermediate value is compared with the median of what COMPLETE
    trials reported at the same step. The default pruner of
    :func:`sktune.create_study`.

    Parameters
    ----------
    n_startup_trials : int, default=5
        No pruning until this many trials are COMPLETE.
    n_warmup_steps : int, default=0
        No pruning before this step.
    interval_steps : int, default=1
        Steps between checks, after the warm-up.
    n_min_trials : int, default=1
        No pruning unless at least this many COMPLETE trials reported at the
        step.

    Examples
    --------
    >>> import sktune
    >>> from sktune.pruners import MedianPruner
    >>> study = sktune.create_study(pruner=MedianPruner(n_startup_trials=1))
    >>> def objective(trial):
    ...     loss = [1.0, 3.0, 0.5][trial.number]
    ...     trial.report(loss, step=0)
    ...     if trial.should_prune():
    ...         raise sktune.TrialPruned()
    ...     return loss
    >>> study.optimize(objective, n_trials=3)
    >>> [t.state.name for t in study.trials]
    ['COMPLETE', 'PRUNED', 'COMPLETE']
    """

    def __init__(
        self,
        n_startup_trials: int = 5,
        n_warmup_steps: int = 0,
        interval_steps: int = 1,
        *,
        n_min_trials: int = 1,
    ) -> None:
        super().__init__(
            50.0,
            n_startup_trials,
            n_warmup_steps,
            interval_steps,
            n_min_trials=n_min_trials,
        )
