"""Callbacks for :meth:`Study.optimize` (and TPESearchCV's ``callbacks``)."""

from __future__ import annotations

from collections.abc import Container
from typing import TYPE_CHECKING

from sktune._frozen import FrozenTrial, TrialState
from sktune._validation import check_int

if TYPE_CHECKING:
    from sktune.study._study import Study

__all__ = ["MaxTrialsCallback"]


class MaxTrialsCallback:
    """Stop the study once it holds ``n_trials`` trials in ``states``, as
    Optuna's callback of that name: with several processes sharing a study,
    each stops when the study as a whole has enough trials.

    Parameters
    ----------
    n_trials : int
        Trials in ``states`` after which no new trial starts.
    states : container of TrialState or None, default=(TrialState.COMPLETE,)
        The states counted; None counts every trial.

    Examples
    --------
    >>> import sktune
    >>> from sktune.study import MaxTrialsCallback
    >>> study = sktune.create_study()
    >>> study.optimize(
    ...     lambda t: t.suggest_float("x", 0, 1),
    ...     n_trials=50,
    ...     callbacks=[MaxTrialsCallback(5)],
    ... )
    >>> len(study.trials)
    5
    """

    def __init__(
        self,
        n_trials: int,
        states: Container[TrialState] | None = (TrialState.COMPLETE,),
    ) -> None:
        check_int("MaxTrialsCallback", "n_trials", n_trials, min_value=0)
        self._n_trials = int(n_trials)
        self._states = states

    def __call__(self, study: Study, trial: FrozenTrial) -> None:
        trials = study.get_trials(deepcopy=False, states=self._states)
        if len(trials) >= self._n_trials:
            study.stop()
