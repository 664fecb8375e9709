"""Asynchronous successive halving (ASHA)."""

from __future__ import annotations

import bisect
import math
from typing import TYPE_CHECKING, Any

from sktune._frozen import FrozenTrial, TrialState
from sktune._per_study import PerStudy
from sktune._validation import is_int, param_error
from sktune.pruners._base import BasePruner
from sktune.pruners._common import (
    TrialScan,
    find_stored,
    is_maximize,
    require_int,
)

if TYPE_CHECKING:
    from sktune.study._study import Study

__all__ = ["SuccessiveHalvingPruner"]


def rung_key(rung: int) -> str:
    """System attribute holding a trial's value when it completed ``rung``."""
    return f"completed_rung_{rung}"


def completed_rungs(system_attrs: dict[str, Any]) -> list[float]:
    """Values a trial recorded at its rungs 0, 1, ..."""
    out = []
    while (key := rung_key(len(out))) in system_attrs:
        out.append(float(system_attrs[key]))
    return out


class RungValues(TrialScan):
    """Rung values of finished trials, sorted, per (group, rung).

    A group is a Hyperband bracket (always 0 for plain successive halving).
    Also tracks the largest last step of COMPLETE trials, for the "auto"
    resources.
    """

    def __init__(self) -> None:
        super().__init__()
        self.clear()

    def clear(self) -> None:
        super().clear()
        self.finished: dict[tuple[int, int], list[float]] = {}
        self.max_complete_step: int | None = None
        # Resolved per study: "auto" resources, Hyperband's brackets.
        self.resolved: dict[str, Any] = {}

    def group_of(self, trial: FrozenTrial) -> int | None:
        """The group ``trial`` competes in (None: not known yet)."""
        return 0

    def ingest(self, trial: FrozenTrial) -> None:
        if trial.state == TrialState.COMPLETE and trial.last_step is not None:
            last = trial.last_step
            if self.max_complete_step is None or last > self.max_complete_step:
                self.max_complete_step = last
        rungs = completed_rungs(trial.system_attrs)
        if not rungs:
            return
        group = self.group_of(trial)
        if group is None:
            return
        for rung, value in enumerate(rungs):
            bisect.insort(self.finished.setdefault((group, rung), []), value)


def asha_prune(
    study: Study,
    trial: FrozenTrial,
    state: RungValues,
    unfinished: list[FrozenTrial],
    *,
    group: int,
    min_resource: int,
    reduction_factor: int,
    min_early_stopping_rate: int,
    bootstrap_count: int,
) -> bool:
    """The ASHA decision for ``trial`` (Li et al. 2018, Algorithm 2).

    Rung ``k`` ends at step ``min_resource * reduction_factor ** (s + k)``
    (``s = min_early_stopping_rate``). When the trial reaches the end of its
    next rung, its latest value is recorded in its system attributes; it goes
    on only if that value is in the top ``1 / reduction_factor`` of the
    values recorded at that rung by the trials of its group (at least the
    best one, while fewer than ``reduction_factor`` competed). Call under
    ``state.lock``.
    """
    step = trial.last_step
    assert step is not None
    value = trial.intermediate_values[step]
    # The storage's record is fresher than ``trial`` (rungs recorded since);
    # only a running trial of this study gets its rung values written.
    stored = find_stored(unfinished, trial)
    writable = stored is not None
    record = trial if stored is None else stored
    others = [
        completed_rungs(t.system_attrs)
        for t in unfinished
        if t is not stored and state.group_of(t) == group
    ]
    rung = len(completed_rungs(record.system_attrs))
    maximize = is_maximize(study)
    while True:
        if step < min_resource * reduction_factor ** (min_early_stopping_rate + rung):
            return False
        if math.isnan(value):
            return True
        if writable:
            study._storage.set_trial_system_attr(trial.trial_id, rung_key(rung), value)
        finished = state.finished.get((group, rung), [])
        running = [r[rung] for r in others if len(r) > rung]
        n_competing = len(finished) + len(running) + 1
        if n_competing <= bootstrap_count:
            return True
        # Competitors strictly better than this trial.
        if maximize:
            n_better = len(finished) - bisect.bisect_right(finished, value)
            n_better += sum(v > value for v in running)
        else:
            n_better = bisect.bisect_left(finished, value)
            n_better += sum(v < value for v in running)
        # Promoted if within the top n_competing // reduction_factor; with
        # fewer competitors only the best goes on (trials cannot be paused
        # and resumed later, as in Optuna).
        if n_better > max(n_competing // reduction_factor - 1, 0):
            return True
        rung += 1


def check_bootstrap(
    owner: str, bootstrap_count: Any, auto_param: str, auto: bool
) -> int:
    """Validate ``bootstrap_count``, which needs a fixed resource."""
    count = require_int(owner, "bootstrap_count", bootstrap_count, 0)
    if count > 0 and auto:
        raise param_error(
            owner, "bootstrap_count", f"0 when {auto_param}='auto'", bootstrap_count
        )
    return count


class SuccessiveHalvingPruner(BasePruner):
    """Asynchronous successive halving (ASHA).

    Trials climb rungs: rung ``k`` ends at step
    ``min_resource * reduction_factor ** (min_early_stopping_rate + k)``.
    When a trial reaches the end of a rung, its latest intermediate value is
    recorded (in the trial's system attribute ``"completed_rung_<k>"``) and
    compared with the values every trial recorded at that rung: the trial goes
    on only if it is in the top ``1 / reduction_factor`` of them, or is the
    best one while fewer than ``reduction_factor`` trials competed. Otherwise
    it is pruned. A NaN value at the end of a rung is pruned. The maximum
    resource is the objective's business (its last step). Li et al. (2018),
    "A System for Massively Parallel Hyperparameter Tuning"; the
    parameters and the rule follow Optuna's ``SuccessiveHalvingPruner``.

    Parameters
    ----------
    min_resource : int or "auto", default="auto"
        Steps in the first rung (``r`` in the paper). ``"auto"`` waits for
        the first COMPLETE trial and uses ``max(last_step // 100, 1)`` (the
        largest last step of the trials COMPLETE at that time); nothing is
        pruned before.
    reduction_factor : int, default=4
        ``eta`` in the paper: about ``1 / reduction_factor`` of the trials
        reaching a rung go on to the next.
    min_early_stopping_rate : int, default=0
        ``s`` in the paper: shifts the first rung to
        ``min_resource * reduction_factor ** s``.
    bootstrap_count : int, default=0
        Trials reaching a rung while at most this many (themselves included)
        have reached it are pruned. Needs an int ``min_resource``.

    Examples
    --------
    >>> import sktune
    >>> from sktune.pruners import SuccessiveHalvingPruner
    >>> pruner = SuccessiveHalvingPruner(min_resource=1, reduction_factor=2)
    >>> study = sktune.create_study(pruner=pruner)
    >>> def objective(trial):
    ...     loss = [3.0, 2.0, 4.0, 1.0][trial.number]
    ...     for step in range(4):
    ...         trial.report(loss, step)
    ...         if trial.should_prune():
    ...             raise sktune.TrialPruned()
    ...     return loss
    >>> study.optimize(objective, n_trials=4)
    >>> [t.state.name for t in study.trials]
    ['COMPLETE', 'COMPLETE', 'PRUNED', 'COMPLETE']
    """

    def __init__(
        self,
        min_resource: str | int = "auto",
        reduction_factor: int = 4,
        min_early_stopping_rate: int = 0,
        bootstrap_count: int = 0,
    ) -> None:
        owner = type(self).__name__
        if not (min_resource == "auto" or (is_int(min_resource) and min_resource >= 1)):
            raise param_error(
                owner, "min_resource", "an int >= 1 or 'auto'", min_resource
            )
        self._min_resource = (
            min_resource if min_resource == "auto" else int(min_resource)
        )
        self._reduction_factor = require_int(
            owner, "reduction_factor", reduction_factor, 2
        )
        self._min_early_stopping_rate = require_int(
            owner, "min_early_stopping_rate", min_early_stopping_rate, 0
        )
        self._bootstrap_count = check_bootstrap(
            owner, bootstrap_count, "min_resource", min_resource == "auto"
        )
        self._states: PerStudy[RungValues] = PerStudy(RungValues)

    def rung_ends(self, max_step: int, study: Study | None = None) -> tuple[int, int]:
        """``(first, factor)``: rung ``k`` ends at step ``first * factor ** k``,
        for trials whose last step is ``max_step``; the pruner decides only
        there. ``min_resource="auto"`` resolves to ``max(max_step // 100, 1)``,
        unless ``study`` is given and has a complete trial: then to the value
        :meth:`prune` uses in that study (from its complete trials, fixed
        once), so that trials of different lengths share the rungs.

        Parameters
        ----------
        max_step : int
            Last step of a complete trial.
        study : Study or None, default=None
            The study whose resolved ``min_resource`` to use.

        Returns
        -------
        tuple of int

        Examples
        --------
        >>> from sktune.pruners import SuccessiveHalvingPruner
        >>> SuccessiveHalvingPruner().rung_ends(30)
        (1, 4)
        >>> pruner = SuccessiveHalvingPruner(min_resource=2, min_early_stopping_rate=1)
        >>> pruner.rung_ends(30)
        (8, 4)
        """
        first = self._min_resource
        if first == "auto":
            first = None if study is None else self._resolved_min_resource(study)
            if first is None:
                first = max(int(max_step) // 100, 1)
        factor = self._reduction_factor
        return int(first) * factor**self._min_early_stopping_rate, factor

    def _resolved_min_resource(self, study: Study) -> int | None:
        """``min_resource="auto"`` in ``study``: fixed from its complete
        trials once it has one (None before)."""
        state = self._states.get(study)
        with state.lock:
            state.update(study.get_trials(deepcopy=False))
            return _auto_min_resource(state)

    def prune(self, study: Study, trial: FrozenTrial) -> bool:
        """Whether ``trial`` lost at the rung it just completed.

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
            unfinished = state.update(study.get_trials(deepcopy=False))
            min_resource = self._min_resource
            if min_resource == "auto":
                min_resource = _auto_min_resource(state)
                if min_resource is None:
                    return False
            return asha_prune(
                study,
                trial,
                state,
                unfinished,
                group=0,
                min_resource=min_resource,
                reduction_factor=self._reduction_factor,
                min_early_stopping_rate=self._min_early_stopping_rate,
                bootstrap_count=self._bootstrap_count,
            )


def _auto_min_resource(state: RungValues) -> int | None:
    """``min_resource="auto"``: a hundredth of the first complete trials' last
    step (at least 1), fixed once per study; None before any is complete."""
    resolved = state.resolved.get("min_resource")
    if resolved is None and state.max_complete_step is not None:
        resolved = max(state.max_complete_step // 100, 1)
        state.resolved["min_resource"] = resolved
    return resolved
