"""PatientPruner decisions on hand-made values."""

from __future__ import annotations

import math

import pytest
from pruner_helpers import make_study, probe

from sktune.pruners import BasePruner, PatientPruner


class Recorder(BasePruner):
    """Answers ``answer`` and records the steps it was asked at."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.asked: list[int] = []

    def prune(self, study, trial):
        self.asked.append(trial.last_step)
        return self.answer


def test_patience_counts_reports_without_improvement():
    study = make_study(PatientPruner(None, patience=2))
    # Window of the last 3 reports against the best before them.
    curve = [1.0, 0.5, 0.6, 0.7, 0.8, 0.4, 0.45]
    assert probe(study, curve) == [False, False, False, False, True, False, False]


def test_maximize():
    study = make_study(PatientPruner(None, patience=1), "maximize")
    assert probe(study, [1.0, 2.0, 1.5, 1.9, 3.0]) == [False, False, False, True, False]


def test_min_delta_is_a_tolerance():
    study = make_study(PatientPruner(None, patience=0, min_delta=0.1))
    # Prune only when the latest is worse than the best before by > 0.1.
    assert probe(study, [1.0, 1.1, 1.05, 1.11]) == [False, False, False, True]


def test_a_plateau_is_not_pruned():
    # Optuna's rule: equal values are not worse than the best before.
    study = make_study(PatientPruner(None, patience=1))
    assert probe(study, [1.0] * 5) == [False] * 5


def test_wrapped_pruner_decides_once_patience_is_exhausted():
    for answer in (True, False):
        wrapped = Recorder(answer)
        study = make_study(PatientPruner(wrapped, patience=1))
        decisions = probe(study, [1.0, 0.5, 0.6, 0.7, 0.1, 0.2])
        # Stalled at steps 3 only (step 2: window 0.5, 0.6 holds the best).
        assert wrapped.asked == [3]
        assert decisions == [False, False, False, answer, False, False]


def test_nan_is_ignored_as_optuna_does():
    # A part of the curve holding only NaN prunes nothing (NaN used to count
    # as the worst value, which pruned these trials).
    study = make_study(PatientPruner(None, patience=1))
    assert probe(study, [1.0, math.nan, math.nan]) == [False, False, False]
    assert probe(study, [1.0, math.nan, 2.0]) == [False, False, True]
    study = make_study(PatientPruner(None, patience=0))
    assert probe(study, [1.0, math.nan]) == [False, False]
    assert probe(study, [math.nan, 1.0]) == [False, False]
    wrapped = Recorder(True)
    study = make_study(PatientPruner(wrapped, patience=1), "maximize")
    assert probe(study, [0.2, math.nan, math.nan]) == [False, False, False]
    assert wrapped.asked == []


def test_unsorted_steps_are_read_in_step_order():
    study = make_study(PatientPruner(None, patience=0))
    # Reported out of order: in step order the curve is 1.0, 2.0 (worse).
    assert probe(study, {1: 2.0, 0: 1.0}) == [False, True]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"wrapped_pruner": "median", "patience": 1}, "'wrapped_pruner' parameter"),
        ({"wrapped_pruner": None, "patience": -1}, "'patience' parameter .* >= 0"),
        ({"wrapped_pruner": None, "patience": 1.5}, "'patience' parameter"),
        (
            {"wrapped_pruner": None, "patience": 1, "min_delta": -0.1},
            "'min_delta' parameter of PatientPruner must be a float >= 0",
        ),
    ],
)
def test_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PatientPruner(**kwargs)
