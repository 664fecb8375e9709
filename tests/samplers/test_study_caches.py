"""Samplers' per-study caches must not serve a dead study's state to a new one.

CPython reuses the id of a garbage-collected storage, and a new study is
numbered 0 again, so a cache keyed by ``(id(storage), study_id)`` handed the
new study the old one's data (QMCSampler sampled in the old bounds).
"""

from __future__ import annotations

import pickle

import pytest

import sktune
from sktune.samplers import QMCSampler, TPESampler


@pytest.fixture
def one_address(monkeypatch):
    """Every object seems to live at one address, as a freed storage's does
    for the next one (the allocator's choice, so not reproducible directly)."""
    for module in (sktune.samplers._qmc, sktune.samplers._tpe._sampler):
        monkeypatch.setattr(module, "id", lambda obj: 0, raising=False)


def test_qmc_space_of_a_dead_study_is_not_reused(one_address):
    shared = QMCSampler(seed=0, scramble=False)
    old = sktune.create_study(sampler=shared)
    old.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    del old

    study = sktune.create_study(sampler=shared)
    study.optimize(lambda t: t.suggest_float("x", 10, 20), n_trials=4)
    fresh = sktune.create_study(sampler=QMCSampler(seed=0, scramble=False))
    fresh.optimize(lambda t: t.suggest_float("x", 10, 20), n_trials=4)
    # Trial 0 is drawn at random: compared from trial 1.
    assert [t.params["x"] for t in study.trials[1:]] == [
        t.params["x"] for t in fresh.trials[1:]
    ]


def test_tpe_history_of_a_dead_study_is_not_reused(one_address):
    sampler = TPESampler(seed=0, n_startup_trials=2)
    old = sktune.create_study(sampler=sampler)
    old.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    del old

    # The new study holds more trials than the dead one, so the cached prefix
    # looked valid: its trials were taken for the dead study's.
    study = sktune.create_study()
    study.optimize(lambda t: t.suggest_float("y", 0, 1), n_trials=8)
    study.sampler = sampler
    study.optimize(lambda t: t.suggest_float("y", 0, 1), n_trials=1)
    history = sampler._states.get(study).history
    assert [name for name, _ in history.dim_keys] == ["y"]
    assert history.n == 8


def _f(trial):
    return (trial.suggest_float("x", 0, 1) - 0.1) ** 2 + trial.suggest_float("y", 0, 1)


def _two_studies(sampler):
    a = sktune.create_study(sampler=sampler)
    b = sktune.create_study(sampler=sampler, direction="maximize")
    a.optimize(_f, n_trials=20)
    b.optimize(_f, n_trials=20)
    return a, b


def test_studies_sharing_a_tpe_sampler_keep_their_own_plans():
    a, b = _two_studies(TPESampler(seed=0, n_startup_trials=5))
    ta, tb = a.ask(), b.ask()  # both trial number 20
    point_a = ta.suggest_float("x", 0, 1), ta.suggest_float("y", 0, 1)
    point_b = tb.suggest_float("x", 0, 1), tb.suggest_float("y", 0, 1)
    # B's trial used to read A's plan: A's proposal, B's worst corner.
    assert point_b != point_a


def test_a_trial_keeps_its_plan_when_another_study_finishes_the_same_number():
    def y_of_trial_20(interleave):
        a, b = _two_studies(TPESampler(seed=0, n_startup_trials=5))
        ta = a.ask()
        ta.suggest_float("x", 0, 1)  # draws A's joint plan for x and y
        if interleave:
            tb = b.ask()
            b.tell(tb, _f(tb))  # B's trial 20 finishes
        return ta.suggest_float("y", 0, 1)

    # y comes from A's plan either way (it used to be redrawn).
    assert y_of_trial_20(True) == y_of_trial_20(False)


def test_a_sampler_written_before_set_budget_took_a_study_still_works():
    class OldStyle(sktune.samplers.RandomSampler):
        def set_budget(self, n_trials):  # the hook's earlier signature
            self.budget = n_trials

    sampler = OldStyle(seed=0)
    study = sktune.create_study(sampler=sampler)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert sampler.budget == 3


class _UnhashableStorage(sktune.storages.InMemoryStorage):
    __hash__ = None  # type: ignore[assignment]

    def __eq__(self, other):
        return self is other


def test_tpe_keeps_its_state_on_a_storage_that_cannot_be_a_weak_key(count_proposals):
    sampler = TPESampler(seed=0)
    study = sktune.create_study(sampler=sampler, storage=_UnhashableStorage())
    calls = count_proposals(sampler)
    study.optimize(_f, n_trials=8)
    # The budget of 8 gives 4 start-up trials, then one joint draw per trial
    # read by both suggestions (a fresh state per call lost both).
    assert len(calls) == 4


def test_pruner_pickles_from_before_per_study_moved_still_load():
    pruner = sktune.pruners.MedianPruner()
    text = pickle.dumps(pruner, protocol=0)
    old = text.replace(b"sktune._per_study", b"sktune.pruners._common")
    assert old != text
    assert isinstance(pickle.loads(old), sktune.pruners.MedianPruner)
