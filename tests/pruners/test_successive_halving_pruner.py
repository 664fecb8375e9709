"""SuccessiveHalvingPruner (ASHA) decisions on hand-made values."""

from __future__ import annotations

import math

import pytest
from pruner_helpers import add_finished, make_study, probe, run

from sktune.pruners import SuccessiveHalvingPruner
from sktune.trial import FrozenTrial, TrialState


def asha(**kwargs):
    kwargs.setdefault("min_resource", 1)
    return SuccessiveHalvingPruner(**kwargs)


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_promotes_the_top_fraction_of_a_rung(direction):
    sign = 1.0 if direction == "minimize" else -1.0
    study = make_study(asha(reduction_factor=2), direction)
    # Rung 0 ends at step 1; trials stop at step 1, so only rung 0 matters.
    outcome = [run(study, [0.0, sign * v]) for v in (3, 2, 4, 1, 2.5, 2)]
    # 3: alone; 2: best of 2; 4: 3 competitors, not the best;
    # 1: best; 2.5: 5 competitors, top 2 are 1 and 2; 2: 6 competitors, top 3
    # are 1, 2, 2 (ties go on).
    assert outcome == [None, None, 1, None, 1, None]


def test_rungs_end_at_min_resource_times_eta_power():
    pruner = asha(min_resource=2, reduction_factor=3, min_early_stopping_rate=1)
    study = make_study(pruner)
    # Rungs end at steps 6 and 18. The first trial sets the bar.
    assert run(study, [1.0] * 20) is None
    decisions = probe(study, [5.0] * 20)
    assert decisions.index(True) == 6
    assert not any(decisions[:6])


def test_a_promoted_trial_can_lose_at_the_next_rung():
    study = make_study(asha(reduction_factor=2))
    # Rungs end at steps 1, 2, 4.
    assert run(study, [9, 1, 1, 1, 1]) is None
    # Ties the leader at rung 0 (promoted), worse at rung 1.
    assert run(study, [9, 1, 2, 2, 2]) == 2
    trials = study.trials
    assert trials[1].system_attrs == {"completed_rung_0": 1, "completed_rung_1": 2}
    assert trials[0].system_attrs == {
        "completed_rung_0": 1,
        "completed_rung_1": 1,
        "completed_rung_2": 1,
    }


def test_rung_values_of_running_and_pruned_trials_compete():
    study = make_study(asha(reduction_factor=2))
    assert probe(study, [0.0, 1.0]) == [False, False]  # left running
    assert run(study, [0.0, 5.0]) == 1  # loses to the running trial
    # Competitors at rung 0: 1 (running), 5 (pruned), 3: top 1 is 1.
    assert run(study, [0.0, 3.0]) == 1
    # 4 competitors: top 2 are 1 and 2.
    assert run(study, [0.0, 2.0]) is None


def test_bootstrap_count():
    study = make_study(asha(reduction_factor=2, bootstrap_count=2))
    # The first two trials at a rung are pruned whatever their value.
    assert run(study, [0.0, 1.0]) == 1
    assert run(study, [0.0, 1.0]) == 1
    assert run(study, [0.0, 0.5]) is None
    assert run(study, [0.0, 9.0]) == 1


def test_min_resource_auto():
    study = make_study(SuccessiveHalvingPruner(reduction_factor=2))
    # Nothing is pruned before a trial is COMPLETE.
    assert probe(study, [9.0] * 3, finish=TrialState.FAIL) == [False] * 3
    assert run(study, [1.0] * 301) is None
    # min_resource = 300 // 100 = 3: rung 0 ends at step 3 (rung 1 at 6).
    assert run(study, [1.0] * 5) is None
    assert study.trials[2].system_attrs == {"completed_rung_0": 1.0}
    assert probe(study, [5.0] * 5) == [False, False, False, True, False]
    assert repr(study.pruner).startswith("SuccessiveHalvingPruner(min_resource='auto'")


def test_nan_is_pruned_at_a_rung_only():
    study = make_study(asha(min_resource=2, reduction_factor=2))
    assert probe(study, [math.nan, math.nan, math.nan]) == [False, False, True]
    # A NaN at a rung is not recorded as a competitor.
    assert "completed_rung_0" not in study.trials[0].system_attrs


def test_asking_twice_at_the_same_step_gives_the_same_answer():
    study = make_study(asha(reduction_factor=2))
    run(study, [0.0, 1.0])
    trial = study.ask()
    trial.report(0.0, 0)
    trial.report(3.0, 1)
    assert trial.should_prune() is True
    assert trial.should_prune() is False  # rung 0 done, rung 1 not reached
    assert study.trials[1].system_attrs == {"completed_rung_0": 3.0}


def test_trials_that_never_asked_do_not_compete():
    study = make_study(asha(reduction_factor=2))
    add_finished(study, [0.0, 0.0])  # no rung value recorded
    assert run(study, [0.0, 5.0]) is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"min_resource": 0}, "'min_resource' parameter .* an int >= 1 or 'auto'"),
        ({"min_resource": "max"}, "'min_resource' parameter"),
        ({"min_resource": 1.5}, "'min_resource' parameter"),
        ({"reduction_factor": 1}, "'reduction_factor' parameter .* >= 2"),
        ({"min_early_stopping_rate": -1}, "'min_early_stopping_rate' parameter"),
        ({"bootstrap_count": -1}, "'bootstrap_count' parameter .* >= 0"),
        (
            {"bootstrap_count": 2},
            "'bootstrap_count' parameter .* must be 0 when min_resource='auto'",
        ),
    ],
)
def test_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SuccessiveHalvingPruner(**kwargs)


def test_a_trial_outside_the_study_is_judged_but_not_recorded():
    study = make_study(asha(reduction_factor=2))
    run(study, [0.0, 1.0])
    running = study.ask()  # trial_id of a real running trial
    outsider = FrozenTrial(
        7,
        TrialState.RUNNING,
        None,
        None,
        None,
        {},
        {},
        {},
        {},
        {0: 0.0, 1: 5.0},
        running._trial_id,
    )
    assert study.pruner.prune(study, outsider) is True
    assert study.trials[1].system_attrs == {}
