"""Quasi-Monte Carlo sampling with scipy.stats.qmc."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from sktune._frozen import FrozenTrial, TrialState
from sktune._locking import LockedState
from sktune._per_study import PerStudy
from sktune._validation import check_int, param_error
from sktune.distributions import BaseDistribution
from sktune.samplers._base import BaseSampler, announce_budget
from sktune.samplers._random import RandomSampler
from sktune.samplers._transform import from_unit

if TYPE_CHECKING:
    from sktune.study._study import Study

__all__ = ["QMCSampler"]


class QMCSampler(LockedState, BaseSampler):
    """Low-discrepancy sampling: trials cover the space more evenly than random.

    The search space is taken from the first finished trial (sampled by
    ``independent_sampler``); from then on, trial number ``n`` gets point ``n``
    of the sequence. Trials asked for while no trial has finished are sampled
    independently too, so in parallel (how many start before the first one
    ends depends on timing) the candidates may differ from a sequential
    run's. Parameters outside that space are sampled independently.

    Parameters
    ----------
    qmc_type : {"sobol", "halton"}, default="sobol"
    scramble : bool, default=True
        Randomise the sequence (Owen scrambling); needed for ``seed`` to matter.
    seed : int or None, default=None
    independent_sampler : BaseSampler or None
        For parameters outside the QMC space; a seeded RandomSampler by default.

    Examples
    --------
    >>> import sktune
    >>> study = sktune.create_study(sampler=sktune.samplers.QMCSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=16)
    >>> study.best_value < 0.05
    True
    """

    def __init__(
        self,
        *,
        qmc_type: str = "sobol",
        scramble: bool = True,
        seed: int | None = None,
        independent_sampler: BaseSampler | None = None,
    ) -> None:
        owner = "QMCSampler"
        if qmc_type not in ("sobol", "halton"):
            raise param_error(owner, "qmc_type", "'sobol' or 'halton'", qmc_type)
        if not isinstance(scramble, bool):
            raise param_error(owner, "scramble", "a bool", scramble)
        check_int(owner, "seed", seed, min_value=0, allow_none=True)
        if independent_sampler is not None and not isinstance(
            independent_sampler, BaseSampler
        ):
            raise param_error(
                owner,
                "independent_sampler",
                "a BaseSampler or None",
                independent_sampler,
            )
        self.qmc_type = qmc_type
        self.scramble = scramble
        self.seed = seed
        # Fix the scrambling seed now so that every trial uses one sequence.
        self._qmc_seed = (
            seed if seed is not None else int(np.random.default_rng().integers(2**31))
        )
        self._independent = independent_sampler or RandomSampler(seed=seed)
        # The relative space, per study (a sampler may serve several): a list
        # that holds it once the study has a finished trial.
        self._spaces: PerStudy[list[dict[str, BaseDistribution]]] = PerStudy(list)
        self._engine: Any = None
        self._engine_dim = 0
        self._next_index = 0
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["_engine"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        # (Pickles of earlier versions held one space for every study, or a
        # dict of spaces keyed by id(storage).)
        state.pop("_space", None)
        if not isinstance(state.get("_spaces"), PerStudy):
            state["_spaces"] = PerStudy(list)
        state.setdefault("_engine_dim", 0)
        super().__setstate__(state)

    def reseed_rng(self) -> None:
        self._independent.reseed_rng()

    def _set_seed(self, seed: int) -> None:
        self.seed = seed
        self._qmc_seed = seed
        self._engine = None
        if getattr(self._independent, "seed", None) is None:
            self._independent._set_seed(seed)

    # The independent sampler hears of every trial, as in Optuna.
    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._independent.before_trial(study, trial)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        value: float | None,
    ) -> None:
        self._independent.after_trial(study, trial, state, value)

    def set_budget(self, n_trials: int | None, study: Study | None = None) -> None:
        announce_budget(self._independent, n_trials, study)

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        known = self._spaces.get(study)
        if known:
            return known[0]
        for t in study.get_trials(deepcopy=False):
            if t.state.is_finished() and t.state != TrialState.FAIL and t.params:
                space = {
                    k: d for k, d in sorted(t.distributions.items()) if not d.single()
                }
                known[:] = [space]
                return space
        return {}

    def _point(self, index: int, dim: int) -> np.ndarray:
        with self._lock:
            if (
                self._engine is None
                or index != self._next_index
                or dim != self._engine_dim
            ):
                from scipy.stats import qmc  # slow to import; only when used

                cls = qmc.Sobol if self.qmc_type == "sobol" else qmc.Halton
                self._engine = cls(d=dim, scramble=self.scramble, seed=self._qmc_seed)
                self._engine_dim = dim
                if index:
                    self._engine.fast_forward(index)
            point = self._engine.random(1)[0]
            self._next_index = index + 1
            return point

    def sample_relative(
        self,
        study: Study,
        trial: FrozenTrial,
        search_space: dict[str, BaseDistribution],
    ) -> dict[str, Any]:
        if not search_space:
            return {}
        u = self._point(trial.number, len(search_space))
        return {
            name: dist.to_external_repr(float(from_unit(dist, u[i])))
            for i, (name, dist) in enumerate(search_space.items())
        }

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        return self._independent.sample_independent(
            study, trial, param_name, param_distribution
        )

    def __repr__(self) -> str:
        return (
            f"QMCSampler(qmc_type={self.qmc_type!r}, scramble={self.scramble!r}, "
            f"seed={self.seed!r})"
        )
