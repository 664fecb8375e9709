"""Helpers shared by the pruners: step checks and per-study incremental state.

A pruner is called after every report, so reading every trial of a large
study on each call would make a study quadratic. Finished trials never change,
so each pruner keeps, per study, what it needs from them (values per step, rung
values, ...) and on each call reads only the trials that finished since.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sktune._frozen import FrozenTrial
from sktune._per_study import PerStudy  # noqa: F401 (pickles made before it moved)
from sktune._validation import check_int, check_real

if TYPE_CHECKING:
    from sktune.study._study import Study


def require_int(owner: str, name: str, value: Any, min_value: int) -> int:
    """``check_int`` for a parameter that may not be None."""
    checked = check_int(owner, name, value, min_value=min_value)
    assert checked is not None
    return checked


def require_real(owner: str, name: str, value: Any, **bounds: Any) -> float:
    """``check_real`` for a parameter that may not be None."""
    checked = check_real(owner, name, value, **bounds)
    assert checked is not None
    return checked


def is_check_step(
    intermediate_values: dict[int, float],
    step: int,
    n_warmup_steps: int,
    interval_steps: int,
) -> bool:
    """Whether a pruner should look at a trial whose last step is ``step``.

    Checks happen at ``n_warmup_steps + k * interval_steps``. When a trial
    skips that step, the check happens at its first report after it (as in
    Optuna's pruners).
    """
    if step < n_warmup_steps:
        return False
    if interval_steps == 1:
        return True
    due = n_warmup_steps + (step - n_warmup_steps) // interval_steps * interval_steps
    previous = max((s for s in intermediate_values if s != step), default=-1)
    return previous < due


def best_value(values: Iterable[float], maximize: bool) -> float:
    """Best of ``values`` ignoring NaN; NaN if there is no other value."""
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        return math.nan
    return max(finite) if maximize else min(finite)


def is_maximize(study: Study) -> bool:
    """Whether ``study`` maximises its objective."""
    return study.direction.name == "MAXIMIZE"


class TrialScan:
    """Feed each finished trial of a study once to :meth:`ingest`.

    Trials are read as ``study.get_trials(deepcopy=False)`` returns them
    (ordered by number, position == number). Everything below ``_start`` is
    finished and ingested, so a call only walks the trials from the oldest
    unfinished one on. Subclasses hold the aggregates and override
    :meth:`ingest` and :meth:`clear`. Use under ``self.lock``.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._start = 0
        self._seen: set[int] = set()

    def ingest(self, trial: FrozenTrial) -> None:
        """Record what the pruner needs from a newly finished trial."""

    def clear(self) -> None:
        """Forget every aggregate (subclasses extend this)."""
        self._start = 0
        self._seen = set()

    def update(self, trials: Sequence[FrozenTrial]) -> list[FrozenTrial]:
        """Ingest newly finished trials; return the unfinished ones."""
        start = self._start
        if start > len(trials) or (start and trials[start - 1].number != start - 1):
            # The study is not the one cached (or numbers are not positions).
            self.clear()
            start = 0
        unfinished: list[FrozenTrial] = []
        prefix_done = True
        for i in range(start, len(trials)):
            trial = trials[i]
            if not trial.state.is_finished():
                prefix_done = False
                unfinished.append(trial)
                continue
            if trial.trial_id not in self._seen:
                self.ingest(trial)
            if prefix_done:
                self._start = i + 1
                self._seen.discard(trial.trial_id)
            else:
                self._seen.add(trial.trial_id)
        return unfinished


def find_stored(
    unfinished: Sequence[FrozenTrial], trial: FrozenTrial
) -> FrozenTrial | None:
    """The storage's record of ``trial`` among the unfinished trials, if any.

    It is fresher than ``trial`` (attributes written since); None when
    ``trial`` is not a running trial of the study.
    """
    for t in unfinished:
        if t.trial_id == trial.trial_id and t.number == trial.number:
            return t
    return None
