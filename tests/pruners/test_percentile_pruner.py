"""MedianPruner and PercentilePruner decisions on hand-made values."""

from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pytest
from pruner_helpers import add_finished, make_study, probe, run

from sktune.pruners import MedianPruner, PercentilePruner
from sktune.pruners import _percentile as percentile_module
from sktune.trial import FrozenTrial, TrialState


def study_with(pruner, curves, direction="minimize"):
    study = make_study(pruner, direction)
    for curve in curves:
        add_finished(study, curve)
    return study


def test_median_minimize_prunes_above_median_only():
    study = study_with(MedianPruner(n_startup_trials=3), [[1.0], [2.0], [3.0]])
    # Median of the complete trials at step 0 is 2; ties are not pruned.
    assert probe(study, [2.5]) == [True]
    assert probe(study, [2.0]) == [False]
    assert probe(study, [1.5]) == [False]


def test_median_maximize_prunes_below_median_only():
    pruner = MedianPruner(n_startup_trials=3)
    study = study_with(pruner, [[1.0], [2.0], [3.0]], direction="maximize")
    assert probe(study, [1.5]) == [True]
    assert probe(study, [2.0]) == [False]
    assert probe(study, [2.5]) == [False]


def test_compares_own_best_with_others_values_at_the_latest_step():
    # Complete trials: 0 at step 0, then 5, 6, 7 at step 1 (median 6).
    curves = [[0.0, 5.0], [0.0, 6.0], [0.0, 7.0]]
    study = study_with(MedianPruner(n_startup_trials=3), curves)
    # Step 0: 1.0 > 0; step 1: best so far is still 1.0 < 6, kept.
    assert probe(study, [1.0, 9.0]) == [True, False]
    # Best so far 6.5 > 6 at step 1.
    assert probe(study, [8.0, 6.5]) == [True, True]
    assert probe(study, [-1.0, 6.5]) == [False, False]


def test_percentile_25_keeps_the_best_quarter():
    curves = [[1.0], [2.0], [3.0], [4.0], [5.0]]
    study = study_with(PercentilePruner(25.0, n_startup_trials=5), curves)
    # 25th percentile of 1..5 (linear interpolation) is 2.
    assert probe(study, [2.5]) == [True]
    assert probe(study, [2.0]) == [False]
    study = study_with(
        PercentilePruner(25.0, n_startup_trials=5), curves, direction="maximize"
    )
    # Maximising, the best quarter is above the 75th percentile, 4.
    assert probe(study, [3.5]) == [True]
    assert probe(study, [4.0]) == [False]


def test_percentile_bounds_0_and_100():
    curves = [[1.0], [2.0], [3.0]]
    # percentile=0: only a value <= the best complete one survives.
    study = study_with(PercentilePruner(0.0, n_startup_trials=1), curves)
    assert probe(study, [1.5, 1.0]) == [True, False]
    # percentile=100: only a value worse than every complete one is pruned.
    study = study_with(PercentilePruner(100.0, n_startup_trials=1), curves)
    assert probe(study, [3.0]) == [False]
    assert probe(study, [3.5]) == [True]


def test_n_startup_trials_counts_complete_trials_only():
    pruner = MedianPruner(n_startup_trials=3)
    study = study_with(pruner, [[1.0], [2.0]])
    add_finished(study, [0.0], state=TrialState.PRUNED)
    add_finished(study, [0.0], state=TrialState.FAIL)
    assert probe(study, [100.0]) == [False]
    add_finished(study, [3.0])
    assert probe(study, [100.0]) == [True]


def test_pruned_failed_and_running_trials_do_not_move_the_median():
    study = study_with(MedianPruner(n_startup_trials=1), [[1.0], [2.0], [3.0]])
    for _ in range(5):
        add_finished(study, [-10.0], state=TrialState.PRUNED)
    probe(study, [-10.0])  # left running
    assert probe(study, [1.5]) == [False]
    assert probe(study, [2.5]) == [True]


def test_n_warmup_steps():
    study = study_with(MedianPruner(1, n_warmup_steps=2), [[0.0] * 5])
    assert probe(study, [1.0] * 5) == [False, False, True, True, True]


def test_interval_steps_with_and_without_skipped_steps():
    pruner = MedianPruner(1, n_warmup_steps=1, interval_steps=3)
    study = study_with(pruner, [[0.0] * 9])
    # Checks at steps 1, 4, 7.
    expected = [False, True, False, False, True, False, False, True, False]
    assert probe(study, [1.0] * 9) == expected
    # Steps 1 and 4 are skipped: their checks happen at the next report (2
    # and 5), once.
    assert probe(study, {0: 1.0, 2: 1.0, 5: 1.0, 6: 1.0, 7: 1.0}) == [
        False,
        True,
        True,
        False,
        True,
    ]


def test_n_min_trials():
    curves = [[0.0, 0.0], [0.0, 0.0], [0.0]]
    study = study_with(MedianPruner(1, n_min_trials=3), curves)
    # Three complete trials reported at step 0, only two at step 1.
    assert probe(study, [1.0, 1.0]) == [True, False]


def test_no_complete_trial_reported_the_step():
    study = study_with(MedianPruner(1), [[0.0, 0.0]])
    assert probe(study, {5: 100.0}) == [False]


def test_nan():
    study = study_with(MedianPruner(n_startup_trials=2), [[1.0, 1.0]])
    # Before the start-up trials are complete, even NaN is not pruned.
    assert probe(study, [math.nan]) == [False]
    add_finished(study, [2.0, 2.0])
    # A trial whose reports are all NaN is pruned.
    assert probe(study, [math.nan, math.nan]) == [True, True]
    # Otherwise NaN is ignored in its best value.
    assert probe(study, [0.5, math.nan]) == [False, False]
    assert probe(study, [5.0, math.nan]) == [True, True]


def test_nan_reports_of_complete_trials_are_ignored():
    study = study_with(MedianPruner(1), [[math.nan, 1.0], [math.nan, 2.0], [5.0]])
    # Only NaN at step 0 for two, 5.0 for one: the median of the finite is 5.
    # Step 1: median of 1, 2 is 1.5.
    assert probe(study, [4.0, 1.4]) == [False, False]
    assert probe(study, [4.0, 1.6]) == [False, True]
    assert probe(study, [6.0]) == [True]
    study = study_with(MedianPruner(1), [[math.nan], [math.nan]])
    assert probe(study, [100.0]) == [False]


def test_sees_trials_that_finish_after_earlier_calls_out_of_order():
    study = make_study(MedianPruner(n_startup_trials=2))
    first, second = study.ask(), study.ask()
    for trial, value in ((first, 1.0), (second, 3.0)):
        trial.report(value, 0)
    assert probe(study, [2.5]) == [False]  # nothing complete yet
    study.tell(second, 3.0)
    assert probe(study, [2.5]) == [False]  # one complete: start-up
    study.tell(first, 1.0)
    # Complete: 1 and 3 (median 2), though trial 0 finished after trial 1.
    assert probe(study, [2.5]) == [True]
    assert probe(study, [1.5]) == [False]


def test_each_finished_trial_is_read_once(monkeypatch):
    calls = []
    original = percentile_module._CompleteValues.ingest

    def counting(self, trial):
        calls.append(trial.number)
        original(self, trial)

    monkeypatch.setattr(percentile_module._CompleteValues, "ingest", counting)
    study = make_study(MedianPruner(n_startup_trials=1))
    for i in range(10):
        run(study, [float(i % 3)] * 5)
    # Each finished trial is ingested exactly once, however many checks ran.
    assert sorted(calls) == sorted(set(calls))
    assert set(calls) == set(range(9))


def test_one_pruner_two_studies_keep_separate_records():
    pruner = MedianPruner(n_startup_trials=1)
    low = study_with(pruner, [[0.0]])
    high = study_with(pruner, [[10.0]])
    assert probe(low, [5.0]) == [True]
    assert probe(high, [5.0]) == [False]


def test_pickled_pruner_rebuilds_its_records():
    pruner = MedianPruner(n_startup_trials=1)
    study = study_with(pruner, [[0.0]])
    assert probe(study, [5.0]) == [True]
    study.pruner = pickle.loads(pickle.dumps(pruner))
    assert probe(study, [5.0]) == [True]
    assert probe(study, [-1.0]) == [False]


def test_median_is_the_default_pruner():
    import sktune

    pruner = sktune.create_study().pruner
    assert isinstance(pruner, MedianPruner)
    assert repr(pruner) == repr(MedianPruner())


@pytest.mark.parametrize("value", [-0.1, 100.5, math.nan, "50", True])
def test_percentile_validation(value):
    with pytest.raises(ValueError, match="'percentile' parameter of PercentilePruner"):
        PercentilePruner(value)


def _complete_values(values, step):
    """The pruner's record of COMPLETE trials that reported ``values`` at ``step``."""
    state = percentile_module._CompleteValues()
    for number, value in enumerate(values):
        state.ingest(
            FrozenTrial(
                number,
                TrialState.COMPLETE,
                0.0,
                None,
                None,
                {},
                {},
                {},
                {},
                {step: float(value)},
                number,
            )
        )
    return state


@pytest.mark.parametrize(
    ("pruner", "direction", "curves", "value"),
    [
        (MedianPruner(n_startup_trials=1), "maximize", [[math.inf]], 0.5),
        (MedianPruner(n_startup_trials=1), "minimize", [[-math.inf]], 0.5),
        (
            PercentilePruner(0.0, n_startup_trials=2),
            "maximize",
            [[1.0], [math.inf]],
            5.0,
        ),
    ],
)
def test_an_infinite_threshold_prunes_nothing(pruner, direction, curves, value):
    # numpy's (and Optuna's) percentile is NaN here; it used to be the
    # infinite value, which pruned every finite trial.
    study = study_with(pruner, curves, direction)
    assert probe(study, [value]) == [False]


def test_percentile_matches_numpy_with_infinite_values():
    rng = np.random.default_rng(1)
    pool = np.array([-math.inf, math.inf, math.nan, 0.0, 1.0, 2.5])
    for _ in range(200):
        values = rng.choice(pool, size=int(rng.integers(1, 6)))
        state = _complete_values(values, step=0)
        for q in (0.0, 25.0, 50.0, 100.0):
            state.q = q
            with warnings.catch_warnings(), np.errstate(invalid="ignore"):
                warnings.simplefilter("ignore")  # all-NaN slices warn
                expected = np.nanpercentile(values, q)
            threshold = state.at_step(0)[1]
            assert (math.isnan(threshold) and math.isnan(expected)) or (
                threshold == expected
            ), (values, q)


def test_percentile_matches_numpy_linear_interpolation():
    rng = np.random.default_rng(0)
    for size in (1, 2, 3, 7, 50):
        values = rng.normal(size=size).round(2)  # with ties
        if size > 2:
            values[0] = math.nan
        state = _complete_values(values, step=3)
        for q in (0.0, 10.0, 25.0, 50.0, 75.0, 90.0, 100.0, 33.3):
            state.q = q
            count, threshold = state.at_step(3)
            assert count == size
            assert threshold == np.nanpercentile(values, q)
