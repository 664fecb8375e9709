"""Finished (or running) trials as plain records, and their states."""

from __future__ import annotations

import copy
import datetime
import enum
import math
from typing import Any

import numpy as np

from sktune.distributions import BaseDistribution, CategoricalDistribution

__all__ = ["FrozenTrial", "TrialState", "create_trial"]


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
        The objective value (COMPLETE), the last reported value (PRUNED), or
        ``None``.
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
        may be any objects chosen by ``suggest_categorical``, are shared, and
        so are the objects among an enqueued trial's values (a copy of an
        estimator would be another choice; lists, dicts, tuples and arrays
        are copied).
        """
        system = {
            k: _copy_fixed(v) if k == _FIXED_PARAMS else _deep_copy(v)
            for k, v in self.system_attrs.items()
        }
        return FrozenTrial(
            self.number,
            self.state,
            self.value,
            self.datetime_start,
            self.datetime_complete,
            dict(self._params),
            dict(self._distributions),
            _deep_copy(self.user_attrs),
            system,
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

    # Trials sort by number, as Optuna's do.
    def __lt__(self, other: object) -> bool:
        if not isinstance(other, FrozenTrial):
            return NotImplemented
        return self.number < other.number

    def __le__(self, other: object) -> bool:
        if not isinstance(other, FrozenTrial):
            return NotImplemented
        return self.number <= other.number

    # -- the trial interface: an objective re-run on a finished trial reads
    # its stored parameters (``objective(study.best_trial)``), as in Optuna.
    def suggest_float(
        self,
        name: str,
        low: float,
        high: float,
        *,
        step: float | None = None,
        log: bool = False,
    ) -> float:
        """The stored value of ``name``, checked against the range given.

        Examples
        --------
        >>> import sktune
        >>> def objective(trial):
        ...     return (trial.suggest_float("x", -1, 1) - 0.5) ** 2
        >>> study = sktune.create_study()
        >>> study.optimize(objective, n_trials=5)
        >>> objective(study.best_trial) == study.best_value
        True
        """
        from sktune.study._trial import float_distribution  # (imports this module)

        return self._stored(name, float_distribution(name, low, high, step, log))

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """The stored value of ``name``, checked against the range given."""
        from sktune.study._trial import int_distribution

        return self._stored(name, int_distribution(name, low, high, step, log))

    def suggest_categorical(self, name: str, choices: Any) -> Any:
        """The stored value of ``name``, checked against the choices given."""
        return self._stored(name, CategoricalDistribution(choices))

    def _stored(self, name: str, dist: BaseDistribution) -> Any:
        if name not in self._params:
            raise ValueError(
                f"Parameter {name!r} is not among trial {self.number}'s parameters "
                f"{sorted(self._params)}."
            )
        value = self._params[name]
        if not dist.contains(value):
            raise ValueError(
                f"Trial {self.number}'s value {value!r} of parameter {name!r} is "
                f"outside {dist!r}."
            )
        return value

    def report(self, value: float, step: int) -> None:
        """Do nothing: a finished trial is not pruned."""

    def should_prune(self) -> bool:
        """False: a finished trial is not pruned."""
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        """Set a user attribute on this record (not in any storage)."""
        self.user_attrs[key] = value

    def set_system_attr(self, key: str, value: Any) -> None:
        """Set a system attribute on this record (not in any storage)."""
        self.system_attrs[key] = value

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"FrozenTrial(number={self.number}, state={self.state!r}, "
            f"value={self.value!r}, params={self._params!r})"
        )


# The system attribute of an enqueued trial's parameters (as in Optuna).
_FIXED_PARAMS = "fixed_params"


def _copy_fixed(fixed: Any) -> Any:
    """A copy of an enqueued trial's parameters: the containers and numeric
    arrays a caller may change after enqueuing are copied, other objects
    shared (an estimator is matched to its choice by identity)."""
    if type(fixed) is not dict:
        return _deep_copy(fixed)
    return {k: _copy_value(v) for k, v in fixed.items()}


# Values an enqueued trial keeps as they are: nothing in them can change.
_IMMUTABLE = (str, int, float, bool, complex, bytes, type(None), np.generic)


def _copy_value(value: Any) -> Any:
    """Lists, dicts and sets rebuilt, tuples too where a part was copied,
    numeric arrays copied; other objects (estimators, functions, object
    arrays) and immutable values kept."""
    if isinstance(value, _IMMUTABLE):
        return value
    kind = type(value)
    if kind is list:
        return [_copy_value(v) for v in value]
    if kind is dict:
        return {k: _copy_value(v) for k, v in value.items()}
    if kind is tuple:
        parts = [_copy_value(v) for v in value]
        return value if all(a is b for a, b in zip(parts, value)) else tuple(parts)
    if isinstance(value, np.ndarray):
        return value if value.dtype.kind == "O" else value.copy()
    if kind is set:
        return set(value)
    if isinstance(value, (list, dict, set, bytearray)):
        try:  # a subclass (OrderedDict, ...): its own type, one level
            return copy.copy(value)
        except Exception:
            return value
    return value


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


def create_trial(
    *,
    state: TrialState = TrialState.COMPLETE,
    value: float | None = None,
    values: list[float] | None = None,
    params: dict[str, Any] | None = None,
    distributions: dict[str, BaseDistribution] | None = None,
    user_attrs: dict[str, Any] | None = None,
    system_attrs: dict[str, Any] | None = None,
    intermediate_values: dict[int, float] | None = None,
) -> FrozenTrial:
    """A trial record to pass to :meth:`~sktune.study.Study.add_trial`.

    As Optuna's ``create_trial``: the times are now (none for WAITING), the
    number and id are -1 until a study stores it, and the record is checked
    as ``add_trial`` checks it.

    Examples
    --------
    >>> import sktune
    >>> from sktune.distributions import FloatDistribution
    >>> study = sktune.create_study()
    >>> study.add_trial(
    ...     sktune.create_trial(
    ...         params={"x": 0.3},
    ...         distributions={"x": FloatDistribution(0, 1)},
    ...         value=0.09,
    ...     )
    ... )
    >>> study.best_params
    {'x': 0.3}
    """
    state = TrialState(state)
    start = None if state == TrialState.WAITING else datetime.datetime.now()
    trial = FrozenTrial(
        -1,
        state,
        value,
        start,
        start if state.is_finished() else None,
        dict(params or {}),
        dict(distributions or {}),
        dict(user_attrs or {}),
        dict(system_attrs or {}),
        dict(intermediate_values or {}),
        -1,
        values=values,
    )
    if state.is_finished():
        from sktune.study._study import _check_template

        _check_template(trial, owner="create_trial")
    return trial
