"""Contract every pruner keeps: validation, optimize (threads too), no prune
before a report, both directions, repr and pickling."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from pruner_helpers import add_finished, make_study, probe

import sktune
from sktune.exceptions import InvalidParameterError
from sktune.pruners import (
    BasePruner,
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    PatientPruner,
    PercentilePruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
)
from sktune.trial import TrialState

# Factories take the sign of the objective (+1 minimise, -1 maximise) so that
# bound-based pruners get mirrored bounds.
FACTORIES = {
    "nop": lambda sign: NopPruner(),
    "median": lambda sign: MedianPruner(n_startup_trials=2),
    "percentile": lambda sign: PercentilePruner(
        30.0, n_startup_trials=2, n_warmup_steps=1
    ),
    "asha": lambda sign: SuccessiveHalvingPruner(min_resource=1, reduction_factor=2),
    "asha_auto": lambda sign: SuccessiveHalvingPruner(),
    "hyperband": lambda sign: HyperbandPruner(max_resource=10, reduction_factor=2),
    "hyperband_auto": lambda sign: HyperbandPruner(),
    "threshold": lambda sign: (
        ThresholdPruner(upper=0.5) if sign > 0 else ThresholdPruner(lower=-0.5)
    ),
    "patient": lambda sign: PatientPruner(None, patience=2),
    "patient_median": lambda sign: PatientPruner(MedianPruner(1), patience=1),
}
# Pruners that prune in the scenario below.
PRUNING = set(FACTORIES) - {"nop"}


def curve_of(number: int, sign: float = 1.0) -> list[float]:
    """Loss curves: some trials good, some bad, some getting worse late."""
    rng = np.random.default_rng(number)
    level = rng.uniform(0.0, 1.0)
    slope = rng.choice([-0.05, 0.0, 0.05])
    return [sign * (level + slope * step) for step in range(10)]


def objective(trial: sktune.Trial, sign: float = 1.0) -> float:
    curve = curve_of(trial.number, sign)
    for step, value in enumerate(curve):
        trial.report(value, step)
        if trial.should_prune():
            raise sktune.TrialPruned()
    return curve[-1]


@pytest.fixture(params=sorted(FACTORIES))
def name(request) -> str:
    return request.param


def test_optimize_sequential(name):
    study = make_study(FACTORIES[name](1.0))
    study.optimize(objective, n_trials=30)
    trials = study.trials
    states = {t.state for t in trials}
    assert states <= {TrialState.COMPLETE, TrialState.PRUNED}
    assert (TrialState.PRUNED in states) == (name in PRUNING)
    for t in trials:
        # What a pruned trial reported stays visible.
        assert t.intermediate_values == dict(
            enumerate(curve_of(t.number)[: len(t.intermediate_values)])
        )
    assert study.best_trial.state == TrialState.COMPLETE


def test_optimize_threads(name):
    study = make_study(FACTORIES[name](1.0))
    study.optimize(objective, n_trials=30, n_jobs=2)
    trials = study.trials
    assert len(trials) == 30
    assert {t.state for t in trials} <= {TrialState.COMPLETE, TrialState.PRUNED}
    if name in PRUNING:
        assert any(t.state == TrialState.PRUNED for t in trials)


def test_with_the_tpe_sampler(name):
    def tuned(trial: sktune.Trial) -> float:
        x = trial.suggest_float("x", -3.0, 3.0)
        for step in range(8):
            trial.report((x - 1.0) ** 2 + 0.2 / (step + 1), step)
            if trial.should_prune():
                raise sktune.TrialPruned()
        return (x - 1.0) ** 2

    study = sktune.create_study(
        sampler=sktune.samplers.TPESampler(seed=0), pruner=FACTORIES[name](1.0)
    )
    study.optimize(tuned, n_trials=30)
    assert {t.state for t in study.trials} <= {
        TrialState.COMPLETE,
        TrialState.PRUNED,
    }
    assert study.best_trial.state == TrialState.COMPLETE


def test_directions_are_mirror_images(name):
    outcomes = []
    for direction, sign in (("minimize", 1.0), ("maximize", -1.0)):
        study = make_study(FACTORIES[name](sign), direction)
        study.optimize(lambda t, s=sign: objective(t, s), n_trials=30)
        outcomes.append([(t.state, t.last_step) for t in study.trials])
    assert outcomes[0] == outcomes[1]


def test_never_prunes_before_a_report(name):
    study = make_study(FACTORIES[name](1.0))
    for number in range(10):
        add_finished(study, curve_of(number))
    # Running trials that reported nothing are never pruned.
    for _ in range(3):
        trial = study.ask()
        assert trial.should_prune() is False
    assert study.pruner.prune(study, study.ask()._frozen) is False


def test_repr_shows_the_parameters(name):
    pruner = FACTORIES[name](1.0)
    namespace = {cls.__name__: cls for cls in BasePruner.__subclasses__()}
    namespace.update(
        MedianPruner=MedianPruner, PercentilePruner=PercentilePruner, nan=float("nan")
    )
    rebuilt = eval(repr(pruner), namespace)
    assert type(rebuilt) is type(pruner)
    assert repr(rebuilt) == repr(pruner)
    assert "=" in repr(pruner) or isinstance(pruner, NopPruner)


def test_pickle_round_trip_decides_the_same(name):
    pruner = FACTORIES[name](1.0)
    study = make_study(pruner)
    study.optimize(objective, n_trials=10)
    clone = pickle.loads(pickle.dumps(pruner))
    assert repr(clone) == repr(pruner)
    bad = [2.0 + 0.1 * step for step in range(10)]
    study_a = make_study(pruner)
    study_b = make_study(clone)
    for s in (study_a, study_b):
        for number in range(6):
            add_finished(s, curve_of(number))
    assert probe(study_a, bad) == probe(study_b, bad)


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (
            lambda: MedianPruner(n_startup_trials=-1),
            "'n_startup_trials' parameter of MedianPruner"
            " must be an int >= 0. Got -1 instead.",
        ),
        (
            lambda: MedianPruner(n_warmup_steps=1.5),
            "'n_warmup_steps' parameter of MedianPruner"
            " must be an int >= 0. Got 1.5 instead.",
        ),
        (
            lambda: MedianPruner(interval_steps=0),
            "'interval_steps' parameter of MedianPruner"
            " must be an int >= 1. Got 0 instead.",
        ),
        (
            lambda: MedianPruner(n_min_trials=0),
            "'n_min_trials' parameter of MedianPruner"
            " must be an int >= 1. Got 0 instead.",
        ),
        (
            lambda: PercentilePruner(101),
            "'percentile' parameter of PercentilePruner"
            " must be a float >= 0 and <= 100. Got 101 instead.",
        ),
        (
            lambda: PercentilePruner(50, n_startup_trials=True),
            "'n_startup_trials' parameter of PercentilePruner"
            " must be an int >= 0. Got True instead.",
        ),
        (
            lambda: SuccessiveHalvingPruner(min_resource=0),
            "'min_resource' parameter of SuccessiveHalvingPruner"
            " must be an int >= 1 or 'auto'. Got 0 instead.",
        ),
        (
            lambda: SuccessiveHalvingPruner(reduction_factor=1),
            "'reduction_factor' parameter of SuccessiveHalvingPruner"
            " must be an int >= 2. Got 1 instead.",
        ),
        (
            lambda: HyperbandPruner(max_resource=0),
            "'max_resource' parameter of HyperbandPruner"
            " must be an int >= min_resource=1 or 'auto'. Got 0 instead.",
        ),
        (
            lambda: ThresholdPruner(),
            "'lower' and 'upper' parameters of ThresholdPruner must not both be None.",
        ),
        (
            lambda: PatientPruner(None, patience=-2),
            "'patience' parameter of PatientPruner"
            " must be an int >= 0. Got -2 instead.",
        ),
    ],
)
def test_validation_messages(factory, match):
    with pytest.raises(InvalidParameterError) as info:
        factory()
    assert match in str(info.value)
