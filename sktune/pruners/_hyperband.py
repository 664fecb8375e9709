"""Hyperband: several successive-halving brackets side by side."""

from __future__ import annotations

import bisect
import math
from typing import TYPE_CHECKING, Any

from sktune._frozen import FrozenTrial
from sktune._per_study import PerStudy
from sktune._validation import is_int, param_error
from sktune.pruners._base import BasePruner
from sktune.pruners._common import find_stored, require_int
from sktune.pruners._successive_halving import RungValues, asha_prune, check_bootstrap

if TYPE_CHECKING:
    from sktune.study._study import Study

__all__ = ["HyperbandPruner"]

BRACKET_KEY = "hyperband_bracket"
# Fractional part of the golden ratio: number * _PHI mod 1 spreads trial
# numbers evenly over [0, 1) (a Kronecker sequence), so consecutive trials
# interleave the brackets in the right proportions.
_PHI = (math.sqrt(5.0) - 1.0) / 2.0


def n_brackets(min_resource: int, max_resource: int, reduction_factor: int) -> int:
    """``floor(log_eta(max_resource / min_resource)) + 1``, in exact integers."""
    count = 1
    while min_resource * reduction_factor**count <= max_resource:
        count += 1
    return count


def bracket_budgets(n: int, reduction_factor: int) -> list[int]:
    """Trials per bracket, ``ceil(n * eta**s / (s + 1))`` with ``s = n - 1 - b``.

    Bracket ``b`` starts pruning at rung ``min_resource * eta**b``: bracket 0
    is the most aggressive and gets the most trials (Li et al. 2017,
    Algorithm 1, with ``B = n * R``).
    """
    out = []
    for bracket in range(n):
        s = n - 1 - bracket
        out.append(-(-(n * reduction_factor**s) // (s + 1)))
    return out


def bracket_of_number(number: int, cumulative: list[int]) -> int:
    """Deterministic bracket of trial ``number``, in proportion to the budgets."""
    position = (number * _PHI) % 1.0 * cumulative[-1]
    return min(bisect.bisect_right(cumulative, position), len(cumulative) - 1)


class _BracketRungValues(RungValues):
    """Rung values grouped by Hyperband bracket."""

    def group_of(self, trial: FrozenTrial) -> int | None:
        stored = trial.system_attrs.get(BRACKET_KEY)
        if stored is not None:
            return int(stored)
        cumulative = self.resolved.get("cumulative")
        if not cumulative:
            return None  # (brackets not resolved yet, or none at all)
        return bracket_of_number(trial.number, cumulative)


class HyperbandPruner(BasePruner):
    """Hyperband: trials split among successive-halving brackets.

    Successive halving must choose between many trials on little resource and
    few trials on much. Hyperband hedges: bracket ``b`` is a
    :class:`SuccessiveHalvingPruner` with ``min_early_stopping_rate=b``, so
    its first rung ends at step ``min_resource * reduction_factor ** b``. There
    are ``floor(log_eta(max_resource / min_resource)) + 1`` brackets; the most
    aggressive get more trials (Li et al. 2017, "Hyperband: A Novel
    Bandit-Based Approach to Hyperparameter Optimization", Algorithm 1).

    A trial's bracket is a deterministic function of its number, stored in its
    system attribute ``"hyperband_bracket"`` at its first check; a trial is
    compared only with trials of its bracket.

    Parameters
    ----------
    min_resource : int, default=1
        Steps of the first rung of bracket 0 (``r``).
    max_resource : int or "auto", default="auto"
        The last step of a full trial plus one (``R``). ``"auto"`` waits for
        the first COMPLETE trial and uses its last step plus one (the largest,
        if several are COMPLETE by then); nothing is pruned before.
    reduction_factor : int, default=3
        ``eta``: about ``1 / reduction_factor`` of a rung goes on.
    bootstrap_count : int, default=0
        As in :class:`SuccessiveHalvingPruner`; needs an int
        ``max_resource``.

    Examples
    --------
    >>> import sktune
    >>> from sktune.pruners import HyperbandPruner
    >>> pruner = HyperbandPruner(min_resource=1, max_resource=9)
    >>> study = sktune.create_study(pruner=pruner)
    >>> def objective(trial):
    ...     loss = 1.0 + (trial.number * 7) % 10
    ...     for step in range(9):
    ...         trial.report(loss, step)
    ...         if trial.should_prune():
    ...             raise sktune.TrialPruned()
    ...     return loss
    >>> study.optimize(objective, n_trials=20)
    >>> sorted({t.system_attrs["hyperband_bracket"] for t in study.trials})
    [0, 1, 2]
    >>> study.best_value
    1.0
    """

    def __init__(
        self,
        min_resource: int = 1,
        max_resource: str | int = "auto",
        reduction_factor: int = 3,
        bootstrap_count: int = 0,
    ) -> None:
        owner = type(self).__name__
        self._min_resource = require_int(owner, "min_resource", min_resource, 1)
        if max_resource != "auto" and not (
            is_int(max_resource) and max_resource >= self._min_resource
        ):
            raise param_error(
                owner,
                "max_resource",
                f"an int >= min_resource={self._min_resource} or 'auto'",
                max_resource,
            )
        self._max_resource = (
            max_resource if max_resource == "auto" else int(max_resource)
        )
        self._reduction_factor = require_int(
            owner, "reduction_factor", reduction_factor, 2
        )
        self._bootstrap_count = check_bootstrap(
            owner, bootstrap_count, "max_resource", max_resource == "auto"
        )
        self._states: PerStudy[_BracketRungValues] = PerStudy(_BracketRungValues)

    def rung_ends(self, max_step: int) -> tuple[int, int]:
        """``(first, factor)``: every rung of every bracket ends at a step
        ``first * factor ** k`` (bracket ``b``'s first rung at ``k = b``), and
        the pruner decides only there.

        Parameters
        ----------
        max_step : int
            Last step of a complete trial (it does not move the rungs).

        Returns
        -------
        tuple of int

        Examples
        --------
        >>> from sktune.pruners import HyperbandPruner
        >>> HyperbandPruner().rung_ends(30)
        (1, 3)
        """
        return self._min_resource, self._reduction_factor

    def _schedule(self, state: RungValues) -> dict[str, Any] | None:
        """Resolve (once per study) the resources and the brackets."""
        if "cumulative" in state.resolved:
            return state.resolved
        max_resource = self._max_resource
        if max_resource == "auto":
            if state.max_complete_step is None:
                return None
            max_resource = state.max_complete_step + 1
            if max_resource < self._min_resource:
                # Resolved below min_resource: no bracket, nothing is pruned
                # in this study (Optuna's zero brackets).
                state.resolved.update(max_resource=max_resource, cumulative=[])
                return state.resolved
        count = n_brackets(self._min_resource, max_resource, self._reduction_factor)
        budgets = bracket_budgets(count, self._reduction_factor)
        cumulative = [sum(budgets[: i + 1]) for i in range(count)]
        state.resolved.update(max_resource=max_resource, cumulative=cumulative)
        return state.resolved

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """Whether ``trial`` lost at a rung of its bracket.

        Parameters
        ----------
        study : Study
        trial : FrozenTrial

        Returns
        -------
        bool
        """
        if trial.last_step is None:
            return False
        state = self._states.get(study)
        with state.lock:
            trials = study.get_trials(deepcopy=False)
            unfinished = state.update(trials)
            known = "cumulative" in state.resolved
            schedule = self._schedule(state)
            if schedule is None or not schedule["cumulative"]:
                return False
            if not known:
                # Trials finished before the brackets were known were read
                # without a bracket (a trial added with rung values, or
                # another pruner's): read them again now.
                resolved = dict(state.resolved)
                state.clear()
                state.resolved.update(resolved)
                unfinished = state.update(trials)
            stored = find_stored(unfinished, trial)
            record = trial if stored is None else stored
            bracket = state.group_of(record)
            assert bracket is not None
            if stored is not None and BRACKET_KEY not in stored.system_attrs:
                study._storage.set_trial_system_attr(
                    trial.trial_id, BRACKET_KEY, bracket
                )
            return asha_prune(
                study,
                trial,
                state,
                unfinished,
                group=bracket,
                min_resource=self._min_resource,
                reduction_factor=self._reduction_factor,
                min_early_stopping_rate=bracket,
                bootstrap_count=self._bootstrap_count,
            )
