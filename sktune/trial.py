"""Trials, as Optuna users import them (``sktune.trial.TrialState``)."""

from sktune._frozen import FrozenTrial, TrialState, create_trial
from sktune.study._trial import FixedTrial, Trial

__all__ = ["FixedTrial", "FrozenTrial", "Trial", "TrialState", "create_trial"]
