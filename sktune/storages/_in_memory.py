"""The default storage: studies and trials in this process's memory."""

from __future__ import annotations

import copy
import datetime
import threading
import uuid
from collections.abc import Container
from typing import Any

from sktune._frozen import FrozenTrial, TrialState
from sktune._locking import LockedState
from sktune.distributions import BaseDistribution
from sktune.exceptions import DuplicatedStudyError
from sktune.storages._base import BaseStorage

__all__ = ["InMemoryStorage"]

_DEFAULT_PREFIX = "no-name-"


class _StudyRecord:
    __slots__ = ("direction", "name", "system_attrs", "trials", "user_attrs", "waiting")

    def __init__(self, name: str, direction: str) -> None:
        self.name = name
        self.direction = direction
        self.user_attrs: dict[str, Any] = {}
        self.system_attrs: dict[str, Any] = {}
        self.trials: list[FrozenTrial] = []
        # Numbers of WAITING trials, so that ask() need not scan every trial.
        self.waiting: set[int] = set()


class InMemoryStorage(LockedState, BaseStorage):
    """Keep studies in memory (lost when the process ends).

    Thread-safe. ``get_all_trials(deepcopy=False)`` returns the live records,
    which makes samplers that read the whole history cheap.

    Examples
    --------
    >>> import sktune
    >>> from sktune.storages import InMemoryStorage
    >>> study = sktune.create_study(storage=InMemoryStorage())
    >>> study.optimize(lambda t: t.suggest_int("k", 1, 3), n_trials=2)
    >>> len(study.trials)
    2
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._studies: dict[int, _StudyRecord] = {}
        self._names: dict[str, int] = {}
        self._trials: dict[int, tuple[int, FrozenTrial]] = {}
        self._next_study_id = 0
        self._next_trial_id = 0

    _lock_type = threading.RLock

    # -- studies ---------------------------------------------------------------
    def create_new_study(self, direction: str, study_name: str | None = None) -> int:
        with self._lock:
            study_id = self._next_study_id
            if study_name is None:
                study_name = f"{_DEFAULT_PREFIX}{uuid.uuid4()}"
            if study_name in self._names:
                raise DuplicatedStudyError(
                    f"A study named {study_name!r} already exists."
                )
            self._next_study_id += 1
            self._studies[study_id] = _StudyRecord(study_name, direction)
            self._names[study_name] = study_id
            return study_id

    def delete_study(self, study_id: int) -> None:
        with self._lock:
            record = self._study(study_id)
            for t in record.trials:
                del self._trials[t.trial_id]
            del self._names[record.name]
            del self._studies[study_id]

    def _study(self, study_id: int) -> _StudyRecord:
        try:
            return self._studies[study_id]
        except KeyError:
            raise KeyError(f"No study with id {study_id}.") from None

    def get_study_id_from_name(self, study_name: str) -> int:
        with self._lock:
            try:
                return self._names[study_name]
            except KeyError:
                raise KeyError(f"No study named {study_name!r}.") from None

    def get_study_name(self, study_id: int) -> str:
        return self._study(study_id).name

    def get_study_direction(self, study_id: int) -> str:
        return self._study(study_id).direction

    def get_all_study_names(self) -> list[str]:
        with self._lock:
            return [s.name for s in self._studies.values()]

    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._lock:
            self._study(study_id).user_attrs[key] = value

    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        with self._lock:
            self._study(study_id).system_attrs[key] = value

    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._study(study_id).user_attrs)

    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._study(study_id).system_attrs)

    # -- trials ----------------------------------------------------------------
    def create_new_trial(
        self, study_id: int, template_trial: FrozenTrial | None = None
    ) -> int:
        with self._lock:
            record = self._study(study_id)
            trial_id = self._next_trial_id
            self._next_trial_id += 1
            number = len(record.trials)
            if template_trial is None:
                trial = FrozenTrial(
                    number,
                    TrialState.RUNNING,
                    None,
                    datetime.datetime.now(),
                    None,
                    {},
                    {},
                    {},
                    {},
                    {},
                    trial_id,
                )
            else:
                trial = template_trial.copy()
                trial.number = number
                trial.trial_id = trial_id
            record.trials.append(trial)
            if trial.state == TrialState.WAITING:
                record.waiting.add(number)
            self._trials[trial_id] = (study_id, trial)
            return trial_id

    def _trial(self, trial_id: int) -> FrozenTrial:
        try:
            return self._trials[trial_id][1]
        except KeyError:
            raise KeyError(f"No trial with id {trial_id}.") from None

    def _updatable(self, trial_id: int) -> FrozenTrial:
        trial = self._trial(trial_id)
        self.check_trial_is_updatable(trial_id, trial.state)
        return trial

    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        with self._lock:
            trial = self._updatable(trial_id)
            params = dict(trial.params)
            params[param_name] = distribution.to_external_repr(param_value_internal)
            dists = dict(trial.distributions)
            dists[param_name] = distribution
            # Replace (not mutate) so that earlier shallow copies stay valid.
            trial.params = params
            trial.distributions = dists

    def set_trial_state_values(
        self, trial_id: int, state: TrialState, value: float | None = None
    ) -> bool:
        with self._lock:
            trial = self._trial(trial_id)
            if state == TrialState.RUNNING and trial.state != TrialState.WAITING:
                return False
            self.check_trial_is_updatable(trial_id, trial.state)
            if trial.state == TrialState.WAITING:
                self._studies[self._trials[trial_id][0]].waiting.discard(trial.number)
            trial.state = state
            if value is not None:
                trial.value = value
            now = datetime.datetime.now()
            if state == TrialState.RUNNING:
                trial.datetime_start = now
            if state.is_finished():
                trial.datetime_complete = now
            return True

    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        with self._lock:
            trial = self._updatable(trial_id)
            values = dict(trial.intermediate_values)
            values[step] = intermediate_value
            trial.intermediate_values = values

    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        with self._lock:
            trial = self._updatable(trial_id)
            trial.user_attrs = {**trial.user_attrs, key: value}

    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        with self._lock:
            trial = self._updatable(trial_id)
            trial.system_attrs = {**trial.system_attrs, key: value}

    def get_trial(self, trial_id: int) -> FrozenTrial:
        with self._lock:
            return self._trial(trial_id).copy()

    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        with self._lock:
            record = self._study(study_id)
            trials = record.trials
            if states is not None and tuple(states) == (TrialState.WAITING,):
                trials = [trials[n] for n in sorted(record.waiting)]
            elif states is not None:
                trials = [t for t in trials if t.state in states]
            else:
                trials = list(trials)
            if deepcopy:
                return [t.copy() for t in trials]
            return trials

    def get_n_trials(
        self, study_id: int, states: Container[TrialState] | None = None
    ) -> int:
        with self._lock:
            trials = self._study(study_id).trials
            if states is None:
                return len(trials)
            return sum(t.state in states for t in trials)

    def get_trial_id_from_study_id_trial_number(
        self, study_id: int, trial_number: int
    ) -> int:
        with self._lock:
            trials = self._study(study_id).trials
            if not 0 <= trial_number < len(trials):
                raise KeyError(f"No trial number {trial_number} in study {study_id}.")
            return trials[trial_number].trial_id
