"""Trials, as Optuna users import them (``sktune.trial.TrialState``)."""

from sktune._frozen import FrozenTrial, TrialState, create_trial
from sktune.study._trial import Trial

__all__ = ["FrozenTrial", "Trial", "TrialState", "create_trial"]
