"""The storage interface: a small, JSON-valued record of studies and trials."""

from __future__ import annotations

import abc
from collections.abc import Container
from typing import Any

from sktune._frozen import FrozenTrial, TrialState
from sktune.distributions import BaseDistribution
from sktune.exceptions import UpdateFinishedTrialError

__all__ = ["BaseStorage"]


class BaseStorage(abc.ABC):
    """Where studies and trials live.

    Every value a storage keeps is JSON-serialisable: parameters are stored as
    their internal float, distributions as JSON, attributes as JSON values.
    Implementations must be safe to call from several threads.

    Directions are the strings ``"minimize"`` and ``"maximize"``.
    """

    # -- studies ---------------------------------------------------------------
    @abc.abstractmethod
    def create_new_study(self, direction: str, study_name: str | None = None) -> int:
        """Create a study and return its id; raise DuplicatedStudyError if the
        name is taken."""

    @abc.abstractmethod
    def delete_study(self, study_id: int) -> None:
        """Delete a study and its trials."""

    @abc.abstractmethod
    def get_study_id_from_name(self, study_name: str) -> int:
        """Return the id of a study; raise KeyError if there is none."""

    @abc.abstractmethod
    def get_study_name(self, study_id: int) -> str:
        """Return the name of a study."""

    @abc.abstractmethod
    def get_study_direction(self, study_id: int) -> str:
        """Return ``"minimize"`` or ``"maximize"``."""

    @abc.abstractmethod
    def get_all_study_names(self) -> list[str]:
        """Names of every study, in creation order."""

    @abc.abstractmethod
    def set_study_user_attr(self, study_id: int, key: str, value: Any) -> None:
        """Set a user attribute of a study."""

    @abc.abstractmethod
    def set_study_system_attr(self, study_id: int, key: str, value: Any) -> None:
        """Set a system attribute of a study."""

    @abc.abstractmethod
    def get_study_user_attrs(self, study_id: int) -> dict[str, Any]:
        """User attributes of a study."""

    @abc.abstractmethod
    def get_study_system_attrs(self, study_id: int) -> dict[str, Any]:
        """System attributes of a study."""

    # -- trials ----------------------------------------------------------------
    @abc.abstractmethod
    def create_new_trial(
        self, study_id: int, template_trial: FrozenTrial | None = None
    ) -> int:
        """Create a trial (RUNNING, or a copy of ``template_trial``); return its
        id. Trial numbers are unique and consecutive within a study."""

    @abc.abstractmethod
    def set_trial_param(
        self,
        trial_id: int,
        param_name: str,
        param_value_internal: float,
        distribution: BaseDistribution,
    ) -> None:
        """Record one parameter of a running trial."""

    @abc.abstractmethod
    def set_trial_state_values(
        self, trial_id: int, state: TrialState, value: float | None = None
    ) -> bool:
        """Change the state (and value) of a trial.

        Returns False, changing nothing, when asked to move a trial to RUNNING
        that is no longer WAITING (another worker took it). Raises
        UpdateFinishedTrialError when the trial is already finished.
        """

    @abc.abstractmethod
    def set_trial_intermediate_value(
        self, trial_id: int, step: int, intermediate_value: float
    ) -> None:
        """Record what a trial reported at ``step``."""

    @abc.abstractmethod
    def set_trial_user_attr(self, trial_id: int, key: str, value: Any) -> None:
        """Set a user attribute of a trial."""

    @abc.abstractmethod
    def set_trial_system_attr(self, trial_id: int, key: str, value: Any) -> None:
        """Set a system attribute of a trial."""

    @abc.abstractmethod
    def get_trial(self, trial_id: int) -> FrozenTrial:
        """Return one trial."""

    @abc.abstractmethod
    def get_all_trials(
        self,
        study_id: int,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        """Trials of a study ordered by number, optionally filtered by state.

        With ``deepcopy=False`` the caller promises not to modify them.
        """

    def get_n_trials(
        self, study_id: int, states: Container[TrialState] | None = None
    ) -> int:
        """Number of trials of a study, optionally filtered by state."""
        return len(self.get_all_trials(study_id, deepcopy=False, states=states))

    def get_trial_id_from_study_id_trial_number(
        self, study_id: int, trial_number: int
    ) -> int:
        """Id of the trial with this number."""
        for t in self.get_all_trials(study_id, deepcopy=False):
            if t.number == trial_number:
                return t.trial_id
        raise KeyError(f"No trial number {trial_number} in study {study_id}.")

    def record_heartbeat(self, trial_id: int) -> None:  # noqa: B027
        """Tell the storage that a running trial's process is alive.

        Storages shared between processes use it to detect stale trials; the
        default does nothing.
        """

    def fail_stale_trials(self, study_id: int) -> list[int]:
        """Mark RUNNING trials whose process died as FAIL; return their ids."""
        return []

    def check_trial_is_updatable(self, trial_id: int, state: TrialState) -> None:
        """Raise UpdateFinishedTrialError if a trial in ``state`` may not be
        changed."""
        if state.is_finished():
            # Messages name the trial's number, as users see it (ids are the
            # storage's own and may be shared by the studies of one file).
            try:
                label = f"Trial {self.get_trial(trial_id).number}"
            except Exception:  # pragma: no cover - the message must not fail
                label = f"The trial with id {trial_id}"
            raise UpdateFinishedTrialError(
                f"{label} is already finished ({state.name}) and cannot be updated."
            )
