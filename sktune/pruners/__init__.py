"""Pruners: decide when a running trial should stop.

A pruner answers :meth:`BasePruner.prune` from the trial's intermediate values
(``trial.report``) and the study's other trials; the objective asks
``trial.should_prune()`` and raises :class:`sktune.TrialPruned`. The names and
defaults are Optuna's.
"""

from sktune.pruners._base import BasePruner
from sktune.pruners._hyperband import HyperbandPruner
from sktune.pruners._median import MedianPruner
from sktune.pruners._nop import NopPruner
from sktune.pruners._patient import PatientPruner
from sktune.pruners._percentile import PercentilePruner
from sktune.pruners._successive_halving import SuccessiveHalvingPruner
from sktune.pruners._threshold import ThresholdPruner

__all__ = [
    "BasePruner",
    "HyperbandPruner",
    "MedianPruner",
    "NopPruner",
    "PatientPruner",
    "PercentilePruner",
    "SuccessiveHalvingPruner",
    "ThresholdPruner",
]
