"""GridSampler and QMCSampler specifics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy.stats import qmc

import sktune
from sktune.exceptions import InvalidParameterError
from sktune.samplers import GridSampler, QMCSampler


def test_grid_stops_when_exhausted_in_threads():
    sampler = GridSampler({"x": list(range(10))}, seed=0)
    study = sktune.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_int("x", 0, 9), n_trials=100, n_jobs=2)
    xs = sorted(t.params["x"] for t in study.trials)
    # Threads may start one more trial before the stop is seen; the grid is
    # covered and nothing is taken twice before it is exhausted.
    assert set(xs) == set(range(10))
    assert sampler.is_exhausted(study)


def test_grid_unknown_parameter():
    study = sktune.create_study(sampler=GridSampler({"x": [1, 2]}))
    with pytest.raises(ValueError, match="'y' is not in the GridSampler"):
        study.optimize(lambda t: t.suggest_int("y", 0, 3), n_trials=1)


def test_grid_enqueued_point_counts_as_taken():
    sampler = GridSampler({"x": [0, 1, 2]}, seed=0)
    study = sktune.create_study(sampler=sampler)
    study.enqueue_trial({"x": 2})
    study.optimize(lambda t: t.suggest_int("x", 0, 2), n_trials=10)
    assert sorted(t.params["x"] for t in study.trials) == [0, 1, 2]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"search_space": [1, 2]}, "'search_space' parameter of GridSampler"),
        ({"search_space": {"x": []}}, r"'search_space\['x'\]' .* non-empty"),
        ({"search_space": {"x": 3}}, r"'search_space\['x'\]' .* sequence"),
        ({"search_space": {"x": [1]}, "seed": -1}, "'seed'"),
    ],
)
def test_grid_errors(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        GridSampler(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"qmc_type": "lhs"}, "'qmc_type' parameter of QMCSampler"),
        ({"scramble": 1}, "'scramble'"),
        ({"seed": "a"}, "'seed'"),
        ({"independent_sampler": 3}, "'independent_sampler'"),
    ],
)
def test_qmc_errors(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        QMCSampler(**kwargs)


def test_qmc_follows_the_scipy_sequence():
    # After the first (independent) trial, trial n takes point n of the
    # scrambled Sobol sequence with the sampler's seed.
    study = sktune.create_study(sampler=QMCSampler(seed=7))
    study.optimize(
        lambda t: t.suggest_float("a", 0, 1) + t.suggest_float("b", -2, 2), n_trials=16
    )
    expected = qmc.Sobol(d=2, scramble=True, seed=7).random(16)
    got = np.array([[t.params["a"], (t.params["b"] + 2) / 4] for t in study.trials])
    np.testing.assert_allclose(got[1:], expected[1:])


def test_qmc_covers_better_than_random():
    def spread(sampler):
        study = sktune.create_study(sampler=sampler)
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=32)
        x = np.sort([t.params["x"] for t in study.trials[1:]])
        return np.max(np.diff(np.r_[0.0, x, 1.0]))

    gaps_qmc = [spread(QMCSampler(seed=s)) for s in range(5)]
    gaps_rand = [spread(sktune.samplers.RandomSampler(seed=s)) for s in range(5)]
    # Points 1..31 of a 32-point Sobol block sit in distinct cells of width
    # 1/32, so no gap exceeds 3/32; random points typically leave wider ones.
    assert max(gaps_qmc) <= 3 / 32 + 1e-12
    assert np.median(gaps_rand) > max(gaps_qmc)


def test_grid_threads_never_take_a_point_twice_before_it_is_covered():
    for seed in range(10):
        sampler = GridSampler({"x": list(range(20))}, seed=seed)
        study = sktune.create_study(sampler=sampler)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the repeats' warning
            study.optimize(lambda t: t.suggest_int("x", 0, 19), n_jobs=4)
        xs = [t.params["x"] for t in study.trials]
        # Only trials started while the last points were being taken may
        # repeat one (at most one per other thread); all 20 are covered.
        assert set(xs) == set(range(20))
        assert len(xs) <= 20 + 3


def test_grid_with_a_partial_enqueued_point_names_what_is_missing():
    study = sktune.create_study(sampler=GridSampler({"x": [1, 2], "c": ["a", "b"]}))
    study.enqueue_trial({"x": 1})

    def objective(trial):
        return trial.suggest_int("x", 1, 2) + len(
            trial.suggest_categorical("c", ["a", "b"])
        )

    with pytest.raises(ValueError, match="All parameters must be specified .* 'c'"):
        study.optimize(objective, n_trials=1)


def test_a_study_resumed_with_another_grid_evaluates_all_of_it():
    # Points taken under the first grid used to count for the second one.
    study = sktune.create_study(sampler=GridSampler({"lr": [0.1, 0.01]}, seed=0))
    study.optimize(lambda t: t.suggest_float("lr", 1e-4, 1, log=True))
    study.sampler = GridSampler({"lr": [1e-4, 0.1, 0.01]}, seed=0)
    assert not study.sampler.is_exhausted(study)
    study.optimize(lambda t: t.suggest_float("lr", 1e-4, 1, log=True))
    later = [t.params["lr"] for t in study.trials[2:]]
    assert sorted(later) == [1e-4, 0.01, 0.1]
    assert study.sampler.is_exhausted(study)


def test_qmc_sampler_reused_in_another_study_follows_its_sequence():
    def values(sampler, low, high, n=5):
        study = sktune.create_study(sampler=sampler)
        study.optimize(lambda t: t.suggest_float("x", low, high), n_trials=n)
        return [t.params["x"] for t in study.trials]

    shared = QMCSampler(seed=0, scramble=False)
    values(shared, 0, 1, n=3)
    # The first study's space (x in [0, 1]) used to stay on the sampler, so
    # every trial of the second study was drawn at random.
    # (Trial 0 is a warm-up drawn at random: compared from trial 1.)
    fresh = values(QMCSampler(seed=0, scramble=False), 10, 20)
    assert values(shared, 10, 20)[1:] == fresh[1:]


class _Recording(sktune.samplers.RandomSampler):
    def __init__(self):
        super().__init__(seed=0)
        self.calls = {"before": 0, "after": 0}

    def before_trial(self, study, trial):
        self.calls["before"] += 1

    def after_trial(self, study, trial, state, value):
        self.calls["after"] += 1


def test_qmc_sampler_passes_trial_hooks_to_its_independent_sampler():
    inner = _Recording()
    study = sktune.create_study(sampler=QMCSampler(seed=0, independent_sampler=inner))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    assert inner.calls == {"before": 5, "after": 5}
    grid = GridSampler({"k": [1, 2, 3]}, seed=0)
    study = sktune.create_study(sampler=QMCSampler(seed=0, independent_sampler=grid))
    study.optimize(lambda t: t.suggest_int("k", 1, 3), n_trials=3)
    assert sorted(t.params["k"] for t in study.trials) == [1, 2, 3]


class _OutOfRange(sktune.samplers.RandomSampler):
    def infer_relative_search_space(self, study, trial):
        return {"x": sktune.distributions.FloatDistribution(0, 1)}

    def sample_relative(self, study, trial, search_space):
        return {"x": 5.0}


def test_a_relative_value_outside_its_distribution_is_sampled_again():
    study = sktune.create_study(sampler=_OutOfRange(seed=0))
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert all(0 <= t.params["x"] <= 1 for t in study.trials)
