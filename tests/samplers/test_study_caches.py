"""Samplers' per-study caches must not serve a dead study's state to a new one.

CPython reuses the id of a garbage-collected storage, and a new study is
numbered 0 again, so a cache keyed by ``(id(storage), study_id)`` handed the
new study the old one's data (QMCSampler sampled in the old bounds).
"""

from __future__ import annotations

import pickle

import pytest

import sktune
from sktune._per_study import StudyRef
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
    history = sampler._history
    assert [name for name, _ in history.dim_keys] == ["y"]
    assert history.n == 8


def test_study_ref_matches_only_its_live_study():
    study = sktune.create_study()
    other = sktune.create_study()
    ref = StudyRef(study)
    assert ref.refers_to(study)
    assert not ref.refers_to(other)
    # A copy in another process must not match whatever storage it meets.
    assert not pickle.loads(pickle.dumps(ref)).refers_to(study)
