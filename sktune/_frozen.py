"""Finished (or running) trials as plain records, and their states."""

from __future__ import annotations

import copy
import datetime
import enum
import math
from typing import Any

from sktune.distributions import BaseDistribution

__all__ = ["FrozenTrial", "TrialState"]


class TrialState(enum.IntEnum):
    """Life cycle of a trial.

    Examples
    --------
    >>> from sktune.trial import TrialState
    >>> TrialState.COMPLETE.is_finished()
    True
    """

    RUNNING = 0
    COMPLETE = 1
    PRUNED = 2
    FAIL = 3
    WAITING = 4

    def __repr__(self) -> str:
        return f"TrialState.{self.name}"

    # As Optuna's: ``f"{state}"`` reads "TrialState.FAIL", not "3".
    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)

    def is_finished(self) -> bool:
        """Whether the trial will not change any more."""
        return self not in (TrialState.RUNNING, TrialState.WAITING)


class FrozenTrial:
    """A record of one trial: its parameters, value, state and reports.

    Parameters
    ----------
    number : int
        Position of the trial in its study, from 0.
    state : TrialState
    value : float or None
        The objective value (``None`` unless COMPLETE).
    datetime_start, datetime_complete : datetime or None
    params : dict
        External parameter values.
    distributions : dict
        The distribution of each parameter.
    user_attrs, system_attrs : dict
        JSON-serialisable attributes.
    intermediate_values : dict of int to float
        What :meth:`Trial.report` recorded.
    trial_id : int
        Identifier in the storage.

    Examples
    --------
    >>> import sktune
    >>> study = sktune.create_study()
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1) ** 2, n_trials=3)
    >>> frozen = study.trials[0]
    >>> frozen.state, sorted(frozen.params)
    (TrialState.COMPLETE, ['x'])
    """

    __slots__ = (
        "_distributions",
        "_params",
        "datetime_complete",
        "datetime_start",
        "intermediate_values",
        "number",
        "state",
        "system_attrs",
        "trial_id",
        "user_attrs",
        "value",
    )

    def __init__(
        self,
        number: int,
        state: TrialState,
        value: float | None,
        datetime_start: datetime.datetime | None,
        datetime_complete: datetime.datetime | None,
        params: dict[str, Any],
        distributions: dict[str, BaseDistribution],
        user_attrs: dict[str, Any],
        system_attrs: dict[str, Any],
        intermediate_values: dict[int, float],
        trial_id: int,
        *,
        values: list[float] | None = None,
    ) -> None:
        if value is None and values is not None:
            if len(values) != 1:
                raise ValueError("sktune studies have a single objective.")
            value = values[0]
        self.number = number
        self.state = state
        self.value = value
        self.datetime_start = datetime_start
        self.datetime_complete = datetime_complete
        self._params = params
        self._distributions = distributions
        self.user_attrs = user_attrs
        self.system_attrs = system_attrs
        self.intermediate_values = intermediate_values
        self.trial_id = trial_id

    @property
    def params(self) -> dict[str, Any]:
        """External parameter values."""
        return self._params

    @params.setter
    def params(self, params: dict[str, Any]) -> None:
        self._params = params

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        """The distribution of each parameter."""
        return self._distributions

    @distributions.setter
    def distributions(self, value: dict[str, BaseDistribution]) -> None:
        self._distributions = value

    @property
    def values(self) -> list[float] | None:
        """``[value]``, for code written for multi-objective Optuna."""
        return None if self.value is None else [self.value]

    @property
    def duration(self) -> datetime.timedelta | None:
        """Time from start to completion, if both are known."""
        if self.datetime_start and self.datetime_complete:
            return self.datetime_complete - self.datetime_start
        return None

    @property
    def last_step(self) -> int | None:
        """The largest step reported, or None."""
        return max(self.intermediate_values) if self.intermediate_values else None

    def copy(self) -> FrozenTrial:
        """A copy that can be changed without touching this one.

        Attributes (user and system) are copied deeply; parameter values, which
        may be any objects chosen by ``suggest_categorical``, are shared.
        """
        return FrozenTrial(
            self.number,
            self.state,
            self.value,
            self.datetime_start,
            self.datetime_complete,
            dict(self._params),
            dict(self._distributions),
            _deep_copy(self.user_attrs),
            _deep_copy(self.system_attrs),
            dict(self.intermediate_values),
            self.trial_id,
        )

    def __copy__(self) -> FrozenTrial:
        return self.copy()

    def _key(self) -> tuple:
        value = self.value
        if isinstance(value, float) and math.isnan(value):
            value = "nan"
        return (
            self.number,
            self.state,
            value,
            self.datetime_start,
            self.datetime_complete,
            self._params,
            self._distributions,
            self.user_attrs,
            self.system_attrs,
            self.intermediate_values,
            self.trial_id,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FrozenTrial):
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"FrozenTrial(number={self.number}, state={self.state!r}, "
            f"value={self.value!r}, params={self._params!r})"
        )


def _deep_copy(value: Any) -> Any:
    """A deep copy, fast for the JSON-like values attributes hold."""
    kind = type(value)
    if kind is dict:
        return {k: _deep_copy(v) for k, v in value.items()}
    if kind is list:
        return [_deep_copy(v) for v in value]
    if kind in (str, int, float, bool, type(None)):
        return value
    if kind is tuple:
        return tuple(_deep_copy(v) for v in value)
    return copy.deepcopy(value)
