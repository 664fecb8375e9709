"""Exhaustive search over a grid, in a random order."""

from __future__ import annotations

import hashlib
import itertools
import threading
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from sktune._frozen import FrozenTrial, TrialState
from sktune._locking import LockedState
from sktune._validation import check_int, param_error
from sktune.distributions import BaseDistribution, _choice_key
from sktune.samplers._base import BaseSampler

if TYPE_CHECKING:
    from sktune.study._study import Study

__all__ = ["GridSampler"]

GRID_ID_KEY = "grid_id"
#: Fingerprint of the grid a trial's ``grid_id`` refers to.
GRID_SPACE_KEY = "grid_space"


class GridSampler(LockedState, BaseSampler):
    """Evaluate every combination of the given values once, then stop.

    Each trial takes a grid point not yet taken, chosen at random (so that
    parallel workers and interrupted studies cover the grid evenly). When every
    point has been taken the study is stopped.

    Parameters
    ----------
    search_space : dict of str to sequence
        Values of each parameter. The objective must suggest exactly these
        names, and every value must lie in what it suggests.
    seed : int or None, default=None
        Seed of the order in which the grid is visited.

    Examples
    --------
    >>> import sktune
    >>> space = {"x": [-1, 0, 1], "kind": ["a", "b"]}
    >>> study = sktune.create_study(sampler=sktune.samplers.GridSampler(space, seed=0))
    >>> def objective(trial):
    ...     x = trial.suggest_int("x", -1, 1)
    ...     return x**2 + (trial.suggest_categorical("kind", ["a", "b"]) == "b")
    >>> study.optimize(objective, n_trials=100)
    >>> len(study.trials), study.best_value
    (6, 0.0)
    """

    def __init__(
        self, search_space: Mapping[str, Sequence[Any]], seed: int | None = None
    ) -> None:
        owner = "GridSampler"
        if not isinstance(search_space, Mapping):
            raise param_error(
                owner, "search_space", "a dict of sequences", search_space
            )
        for name, values in search_space.items():
            if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
                raise param_error(
                    owner, f"search_space[{name!r}]", "a sequence of values", values
                )
            if len(values) == 0:
                raise param_error(
                    owner, f"search_space[{name!r}]", "a non-empty sequence", values
                )
        check_int(owner, "seed", seed, min_value=0, allow_none=True)
        self.search_space = {k: list(v) for k, v in sorted(search_space.items())}
        self.seed = seed
        self._names = list(self.search_space)
        self._grid = list(itertools.product(*self.search_space.values()))
        text = repr(
            [(n, [_choice_key(v) for v in vs]) for n, vs in self.search_space.items()]
        )
        self._fingerprint = hashlib.sha1(text.encode()).hexdigest()[:16]
        self._rng = np.random.default_rng(seed)
        # Threads of one optimize must not take the same free point.
        self._lock = threading.Lock()

    def reseed_rng(self) -> None:
        self._rng = np.random.default_rng()

    def _set_seed(self, seed: int) -> None:
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    @property
    def n_grid_points(self) -> int:
        """Size of the grid."""
        return len(self._grid)

    def _taken_ids(self, study: Study) -> set[int]:
        # Points taken under this grid only: a study resumed with another
        # grid still evaluates every point of the new one (as Optuna). Trials
        # stored without a fingerprint (earlier versions) count as this grid's.
        taken: set[int] = set()
        for t in study.get_trials(deepcopy=False):
            if t.state == TrialState.WAITING:
                continue
            gid = t.system_attrs.get(GRID_ID_KEY)
            space = t.system_attrs.get(GRID_SPACE_KEY, self._fingerprint)
            if gid is not None and space == self._fingerprint:
                taken.add(gid)
        return taken

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        fixed = trial.system_attrs.get("fixed_params")
        if fixed is not None:
            gid = self._find_point(fixed)
            if gid is None:
                return
            self._assign(study, trial, gid)
            return
        with self._lock:
            free = sorted(set(range(len(self._grid))) - self._taken_ids(study))
            if free:
                gid = int(self._rng.choice(free))
            else:
                # Every point is taken (some may still run): no new trial
                # starts after this one, which repeats a point.
                warnings.warn(
                    "Every grid point has been taken; this trial repeats one.",
                    UserWarning,
                    stacklevel=2,
                )
                study._request_stop()
                gid = int(self._rng.integers(len(self._grid)))
            self._assign(study, trial, gid)

    def _assign(self, study: Study, trial: FrozenTrial, gid: int) -> None:
        storage = study._storage
        storage.set_trial_system_attr(trial.trial_id, GRID_ID_KEY, gid)
        storage.set_trial_system_attr(trial.trial_id, GRID_SPACE_KEY, self._fingerprint)
        trial.system_attrs = {
            **trial.system_attrs,
            GRID_ID_KEY: gid,
            GRID_SPACE_KEY: self._fingerprint,
        }

    def _find_point(self, params: Mapping[str, Any]) -> int | None:
        if set(params) != set(self._names):
            return None
        key = tuple(_choice_key(params[n]) for n in self._names)
        for gid, point in enumerate(self._grid):
            if tuple(_choice_key(v) for v in point) == key:
                return gid
        return None

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        if param_name not in self.search_space:
            raise ValueError(
                f"Parameter {param_name!r} is not in the GridSampler's search space "
                f"{sorted(self.search_space)}."
            )
        gid = trial.system_attrs.get(GRID_ID_KEY)
        if gid is None:
            # An enqueued trial that fixes only some of the grid's parameters.
            raise ValueError(
                "All parameters must be specified when using GridSampler with "
                f"enqueue_trial: {param_name!r} is missing from the enqueued "
                f"parameters {sorted(trial.system_attrs.get('fixed_params', {}))}."
            )
        value = self._grid[gid][self._names.index(param_name)]
        if not param_distribution.contains(value):
            warnings.warn(
                f"The grid value {value!r} of {param_name!r} is outside "
                f"{param_distribution!r}.",
                UserWarning,
                stacklevel=2,
            )
        return value

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        value: float | None,
    ) -> None:
        taken = self._taken_ids(study)
        if len(taken) >= len(self._grid):
            study._request_stop()

    def is_exhausted(self, study: Study) -> bool:
        """Whether every grid point has been taken by a trial of ``study``."""
        return len(self._taken_ids(study)) >= len(self._grid)

    def __repr__(self) -> str:
        return f"GridSampler(search_space={self.search_space!r}, seed={self.seed!r})"
