"""Uniform random sampling."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from sktune._frozen import FrozenTrial
from sktune._locking import LockedState
from sktune._validation import check_int
from sktune.distributions import BaseDistribution
from sktune.samplers._base import BaseSampler
from sktune.samplers._transform import from_unit_scalar

if TYPE_CHECKING:
    from sktune.study._study import Study

__all__ = ["RandomSampler"]


class RandomSampler(LockedState, BaseSampler):
    """Draw each parameter independently and uniformly.

    Log-scaled parameters are uniform in log space; ints and stepped floats
    give each grid value the same probability; categoricals likewise.

    Parameters
    ----------
    seed : int or None, default=None
        Seed of the random generator; the same seed gives the same trials
        (when trials run one at a time). A seeded sampler whose first trial is
        not the study's first (a resumed study) starts a stream keyed by that
        trial's number, so that it does not replay the draws of the trials
        already there.

    Examples
    --------
    >>> import sktune
    >>> sampler = sktune.samplers.RandomSampler(seed=0)
    >>> study = sktune.create_study(sampler=sampler)
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1, log=False), n_trials=5)
    >>> len(study.trials)
    5
    """

    def __init__(self, seed: int | None = None) -> None:
        check_int("RandomSampler", "seed", seed, min_value=0, allow_none=True)
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        self._lock = threading.Lock()
        self._started = False

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("_started", True)
        super().__setstate__(state)

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()
        self._started = True

    def _set_seed(self, seed: int) -> None:
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        self._started = False

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        with self._lock:
            if not self._started:
                self._started = True
                if self.seed is not None and trial.number > 0:
                    self._rng = np.random.default_rng([self.seed, trial.number])
            u = self._rng.random()
        dist = param_distribution
        return dist.to_external_repr(from_unit_scalar(dist, u))

    def __repr__(self) -> str:
        return f"RandomSampler(seed={self.seed!r})"
