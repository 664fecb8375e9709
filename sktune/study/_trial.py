"""A running trial: the object the objective function receives."""

from __future__ import annotations

import contextlib
import datetime
import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np

from sktune._frozen import _FIXED_PARAMS, FrozenTrial
from sktune._validation import is_int, is_real
from sktune.distributions import (
    BaseDistribution,
    CategoricalChoiceType,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    OpaqueChoice,
    _on_grid,
    check_distribution_compatibility,
)
from sktune.exceptions import InvalidParameterError

if TYPE_CHECKING:
    from sktune.study._study import Study

__all__ = ["FixedTrial", "Trial"]

FIXED_PARAMS_KEY = _FIXED_PARAMS


class Trial:
    """One evaluation of the objective, handed to it by :meth:`Study.optimize`
    or returned by :meth:`Study.ask`.

    Parameters are suggested define-by-run: what a trial suggests may depend on
    what it suggested before. Suggesting the same name twice returns the first
    value.

    Examples
    --------
    >>> import sktune
    >>> def objective(trial):
    ...     kind = trial.suggest_categorical("kind", ["linear", "square"])
    ...     x = trial.suggest_float("x", -2.0, 2.0)
    ...     if kind == "square":
    ...         return x**2
    ...     return abs(x) + trial.suggest_int("k", 0, 3)
    >>> study = sktune.create_study(sampler=sktune.samplers.RandomSampler(seed=0))
    >>> study.optimize(objective, n_trials=20)
    >>> study.best_value < 0.5
    True
    """

    def __init__(self, study: Study, trial_id: int) -> None:
        self.study = study
        self._trial_id = trial_id
        storage = study._storage
        # A local mirror of the stored record; this object owns the trial while
        # it runs, so the mirror stays in step with the storage.
        self._frozen: FrozenTrial = storage.get_trial(trial_id)
        sampler = study.sampler
        sampler.before_trial(study, self._frozen)
        self._relative_space = sampler.infer_relative_search_space(study, self._frozen)
        self._relative_params: dict[str, Any] | None = None

    # -- identity --------------------------------------------------------------
    @property
    def number(self) -> int:
        """Position of the trial in the study, from 0."""
        return self._frozen.number

    @property
    def params(self) -> dict[str, Any]:
        """Parameters suggested so far (external values)."""
        return dict(self._frozen.params)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        """Distributions of the parameters suggested so far."""
        return dict(self._frozen.distributions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        """User attributes set on this trial."""
        return dict(self._frozen.user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        """System attributes set on this trial."""
        return dict(self._frozen.system_attrs)

    @property
    def datetime_start(self) -> datetime.datetime | None:
        """When the trial started."""
        return self._frozen.datetime_start

    @property
    def relative_params(self) -> dict[str, Any]:
        """Parameters the sampler drew jointly for this trial."""
        if self._relative_params is None:
            self._relative_params = self.study.sampler.sample_relative(
                self.study, self._frozen, self._relative_space
            )
        return self._relative_params

    # -- suggestions -----------------------------------------------------------
    def suggest_float(
        self,
        name: str,
        low: float,
        high: float,
        *,
        step: float | None = None,
        log: bool = False,
    ) -> float:
        """Suggest a float in ``[low, high]``.

        Parameters
        ----------
        name : str
            Parameter name.
        low, high : float
            Inclusive bounds.
        step : float or None, default=None
            Grid spacing, or None for a continuous range.
        log : bool, default=False
            Sample in log space.

        Returns
        -------
        float

        Examples
        --------
        >>> import sktune
        >>> trial = sktune.create_study().ask()
        >>> 1e-3 <= trial.suggest_float("lr", 1e-3, 1.0, log=True) <= 1.0
        True
        """
        return self._suggest(name, float_distribution(name, low, high, step, log))

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """Suggest an int in ``[low, high]``.

        Examples
        --------
        >>> import sktune
        >>> trial = sktune.create_study().ask()
        >>> trial.suggest_int("depth", 2, 8, step=2) in (2, 4, 6, 8)
        True
        """
        return self._suggest(name, int_distribution(name, low, high, step, log))

    def suggest_categorical(
        self, name: str, choices: Sequence[CategoricalChoiceType]
    ) -> Any:
        """Suggest one of ``choices`` (any objects).

        Examples
        --------
        >>> import sktune
        >>> trial = sktune.create_study().ask()
        >>> trial.suggest_categorical("kernel", ["rbf", "linear"]) in ("rbf", "linear")
        True
        """
        return self._suggest(name, CategoricalDistribution(choices))

    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        if not isinstance(name, str):
            raise TypeError(f"Parameter names must be str. Got {name!r} instead.")
        frozen = self._frozen
        if name in frozen.distributions:
            old = frozen.distributions[name]
            if old != distribution:
                # Another kind, scale or list of choices is an error; moved
                # bounds get the first value, as in Optuna.
                try:
                    check_distribution_compatibility(old, distribution, name)
                except ValueError as exc:
                    raise ValueError(
                        f"Parameter {name!r} was suggested as {old!r} in this "
                        f"trial and is now suggested as {distribution!r}: {exc}"
                    ) from None
                warnings.warn(
                    f"Parameter {name!r} was suggested as {old!r} in this trial "
                    f"and is now suggested as {distribution!r}; the first value "
                    "is returned.",
                    UserWarning,
                    stacklevel=3,
                )
            return frozen.params[name]

        fixed = frozen.system_attrs.get(FIXED_PARAMS_KEY)
        if fixed is not None and name in fixed:
            value = fixed[name]
            if not isinstance(distribution, CategoricalDistribution):
                if not distribution.contains(value):
                    warnings.warn(
                        f"The fixed value {value!r} of parameter {name!r} is "
                        f"outside {distribution!r}; it is used anyway.",
                        stacklevel=3,
                    )
            elif _holds_array(value):
                # Arrays are told apart by their values: two array choices may
                # print alike (long ones are summarised), and an enqueued array
                # read back from storage is another object.
                found = _equal_choice(value, distribution.choices)
                if found is None:
                    raise ValueError(
                        f"The value {value!r} of parameter {name!r} cannot be "
                        f"held by {distribution!r}: it equals none of the choices."
                    )
                value = found
            elif not distribution.contains(value):
                if isinstance(value, dict) and list(value) == ["__index__"]:
                    # A choice by position (TPESearchCV enqueues choices that
                    # JSON cannot hold this way).
                    index = value["__index__"]
                    n_choices = len(distribution.choices)
                    if not (isinstance(index, int) and 0 <= index < n_choices):
                        raise ValueError(
                            f"The enqueued choice index {index!r} of parameter "
                            f"{name!r} is not one of the {n_choices} choices of "
                            f"{distribution!r}."
                        )
                    value = distribution.choices[index]
                else:
                    # As Optuna: a value equal to a choice of another type
                    # (1.0 for 1, read back from JSON or a DataFrame) is that
                    # choice; a value equal to none fails below.
                    for choice in distribution.choices:
                        if _equals(value, choice):
                            value = choice
                            break
        elif distribution.single():
            value = distribution.to_external_repr(
                distribution.to_internal_repr(
                    distribution.choices[0]
                    if isinstance(distribution, CategoricalDistribution)
                    else distribution.low
                )
            )
        elif (
            name in self._relative_space
            and self._relative_space[name] == distribution
            and name in self.relative_params
            # As Optuna: a relative value outside the distribution is not
            # used; the parameter is sampled independently instead.
            and distribution.contains(self.relative_params[name])
        ):
            value = self.relative_params[name]
        else:
            value = self.study.sampler.sample_independent(
                self.study, frozen, name, distribution
            )
        try:
            internal = distribution.to_internal_repr(value)
        except ValueError as exc:
            # An enqueued value the distribution cannot hold (2.5 for an int,
            # a value that is none of the choices).
            raise ValueError(
                f"The value {value!r} of parameter {name!r} cannot be held by "
                f"{distribution!r}: {exc}"
            ) from None
        self.study._storage.set_trial_param(
            self._trial_id, name, internal, distribution
        )
        value = distribution.to_external_repr(internal)
        frozen.params = {**frozen.params, name: value}
        frozen.distributions = {**frozen.distributions, name: distribution}
        return value

    # -- pruning -----------------------------------------------------------------
    def report(self, value: float, step: int) -> None:
        """Record an intermediate objective value at ``step``.

        A step reported twice keeps its first value (with a warning).

        Examples
        --------
        >>> import sktune
        >>> trial = sktune.create_study().ask()
        >>> trial.report(0.5, step=1)
        """
        number = _to_float(value)
        if number is None:
            raise TypeError(
                f"The 'value' parameter of Trial.report must be a float. "
                f"Got {value!r} instead."
            )
        if not is_int(step) or step < 0:
            raise InvalidParameterError(
                f"The 'step' parameter of Trial.report must be an int >= 0. "
                f"Got {step!r} instead."
            )
        if step >= _MAX_STEP:  # SQLite's integers have 64 bits
            raise InvalidParameterError(
                f"The 'step' parameter of Trial.report must be below 2**63. "
                f"Got {step!r} instead."
            )
        step = int(step)
        frozen = self._frozen
        if step in frozen.intermediate_values:
            warnings.warn(
                f"Step {step} of trial {self.number} was already reported; the "
                "new value is ignored.",
                stacklevel=2,
            )
            return
        self.study._storage.set_trial_intermediate_value(self._trial_id, step, number)
        frozen.intermediate_values = {**frozen.intermediate_values, step: number}

    def should_prune(self) -> bool:
        """Ask the study's pruner whether this trial should stop now.

        Examples
        --------
        >>> import sktune
        >>> trial = sktune.create_study().ask()
        >>> trial.report(1.0, step=0)
        >>> trial.should_prune()
        False
        """
        return bool(self.study.pruner.prune(self.study, self._frozen))

    # -- attributes ----------------------------------------------------------------
    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serialisable value to the trial."""
        self.study._storage.set_trial_user_attr(self._trial_id, key, value)
        self._frozen.user_attrs = {**self._frozen.user_attrs, key: value}

    def set_system_attr(self, key: str, value: Any) -> None:
        """Attach an internal JSON-serialisable value to the trial."""
        self.study._storage.set_trial_system_attr(self._trial_id, key, value)
        self._frozen.system_attrs = {**self._frozen.system_attrs, key: value}

    def __repr__(self) -> str:
        return f"Trial(number={self.number}, params={self._frozen.params!r})"


class FixedTrial:
    """A trial whose parameters are given: to run or test an objective
    outside a study, as Optuna's ``FixedTrial``.

    ``suggest_*`` returns the value given for the name: a ValueError when
    there is none, when a categorical value equals none of the choices, or
    when a number is not positive on a log scale, as in Optuna; a number is
    returned as an int by ``suggest_int`` (as in Optuna) and as a float by
    ``suggest_float``, with a warning when it is outside the range or grid
    asked for. ``report`` records nothing, ``should_prune`` is
    False.

    Parameters
    ----------
    params : dict
        Parameter values by name.
    number : int, default=0
        The trial's number.

    Examples
    --------
    >>> from sktune.trial import FixedTrial
    >>> def objective(trial):
    ...     x = trial.suggest_float("x", -10, 10)
    ...     return (x - 2) ** 2
    >>> objective(FixedTrial({"x": 3.0}))
    1.0
    """

    def __init__(self, params: dict[str, Any], number: int = 0) -> None:
        if not isinstance(params, Mapping):
            raise TypeError(f"FixedTrial's params must be a mapping. Got {params!r}.")
        self._params = dict(params)
        self._suggested: dict[str, Any] = {}
        self._distributions: dict[str, BaseDistribution] = {}
        self._user_attrs: dict[str, Any] = {}
        self._system_attrs: dict[str, Any] = {}
        self._number = number
        self._datetime_start = datetime.datetime.now()

    @property
    def number(self) -> int:
        """The number given."""
        return self._number

    @property
    def params(self) -> dict[str, Any]:
        """Parameters suggested so far."""
        return dict(self._suggested)

    @property
    def distributions(self) -> dict[str, BaseDistribution]:
        """Distributions of the parameters suggested so far."""
        return dict(self._distributions)

    @property
    def user_attrs(self) -> dict[str, Any]:
        """User attributes set on this trial."""
        return dict(self._user_attrs)

    @property
    def system_attrs(self) -> dict[str, Any]:
        """System attributes set on this trial."""
        return dict(self._system_attrs)

    @property
    def datetime_start(self) -> datetime.datetime:
        """When the trial was made."""
        return self._datetime_start

    def suggest_float(
        self,
        name: str,
        low: float,
        high: float,
        *,
        step: float | None = None,
        log: bool = False,
    ) -> float:
        """The value given for ``name``, as a float."""
        return self._suggest(name, float_distribution(name, low, high, step, log))

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int:
        """The value given for ``name``, as an int (``11.0`` read back from a
        file gives ``11``, as in Optuna)."""
        return self._suggest(name, int_distribution(name, low, high, step, log))

    def suggest_categorical(
        self, name: str, choices: Sequence[CategoricalChoiceType]
    ) -> Any:
        """The value given for ``name``."""
        return self._suggest(name, CategoricalDistribution(choices))

    def _suggest(self, name: str, distribution: BaseDistribution) -> Any:
        if name not in self._params:
            raise ValueError(
                f"FixedTrial has no value for parameter {name!r}; give it in "
                f"params (it has {sorted(self._params)})."
            )
        old = self._distributions.get(name)
        if old is not None and old != distribution:
            check_distribution_compatibility(old, distribution, name)
        value = self._params[name]
        # As Optuna's FixedTrial: a categorical value must equal a choice (any
        # type: 100.0 read back from a file is the choice 100); a number is
        # converted to the distribution's type, must be > 0 on a log scale,
        # and only warns when out of range.
        if isinstance(distribution, CategoricalDistribution):
            if not any(_equals(value, c) for c in distribution.choices):
                raise ValueError(
                    f"FixedTrial's value {value!r} of parameter {name!r} is none "
                    f"of the choices {distribution.choices!r}."
                )
        else:
            kind = int if isinstance(distribution, IntDistribution) else float
            try:
                number = kind(value)
            except (TypeError, ValueError):
                raise ValueError(
                    f"FixedTrial's value {value!r} of parameter {name!r} is not "
                    f"a number for {distribution!r}."
                ) from None
            if isinstance(number, float) and not math.isfinite(number):
                raise ValueError(
                    f"FixedTrial's value {value!r} of parameter {name!r} is not "
                    f"a finite number for {distribution!r}."
                )
            if getattr(distribution, "log", False) and number <= 0:
                raise ValueError(
                    f"FixedTrial's value {value!r} of parameter {name!r} is not "
                    f"positive, as the log scale of {distribution!r} needs."
                )
            # (A number read as text is no warning; 3.7 for an int is.)
            if not distribution.contains(number) or (
                is_real(value) and number != value
            ):
                warnings.warn(
                    f"The value {value!r} of parameter {name!r} is outside "
                    f"{distribution!r}; {number!r} is used anyway.",
                    UserWarning,
                    stacklevel=3,
                )
            value = number
        self._suggested[name] = value
        self._distributions[name] = distribution
        return value

    def report(self, value: float, step: int) -> None:
        """Record nothing (there is no study)."""

    def should_prune(self) -> bool:
        """False: a fixed trial is never pruned."""
        return False

    def set_user_attr(self, key: str, value: Any) -> None:
        """Set a user attribute on this trial."""
        self._user_attrs[key] = value

    def set_system_attr(self, key: str, value: Any) -> None:
        """Set a system attribute on this trial."""
        self._system_attrs[key] = value

    def __repr__(self) -> str:
        return f"FixedTrial(params={self._params!r}, number={self._number})"


#: Steps are stored as 64-bit integers.
_MAX_STEP = 2**63


def _equal_choice(value: Any, choices: tuple) -> Any:
    """The choice that is ``value``, else one equal to it as enqueued values
    are compared (arrays by shape and values, containers part by part), one
    whose arrays have ``value``'s dtypes first; None if there is none."""
    for choice in choices:
        if choice is value:
            return choice
    equal = [c for c in choices if _same_value(c, value)]
    for choice in equal:
        if _same_dtypes(choice, value):
            return choice
    return equal[0] if equal else None


def _same_dtypes(a: Any, b: Any) -> bool:
    """Whether the arrays in ``a`` and ``b`` (equal values) have one dtype."""
    if isinstance(b, np.ndarray):
        return getattr(a, "dtype", None) == b.dtype
    if isinstance(b, dict):
        return all(_same_dtypes(a[k], v) for k, v in b.items())
    if isinstance(b, (list, tuple)):
        return all(_same_dtypes(x, y) for x, y in zip(a, b))
    return True


def _same_array(a: Any, b: np.ndarray) -> bool:
    """Whether ``a`` is an array of ``b``'s shape and values (NaN equal to
    NaN); False where the values cannot be compared."""
    if not isinstance(a, np.ndarray) or a.shape != b.shape:
        return False
    if a.dtype.kind == "O" or b.dtype.kind == "O":  # the same objects, or equal
        return all(x is y or _equals(x, y) for x, y in zip(a.flat, b.flat, strict=True))
    try:
        return bool(np.array_equal(a, b, equal_nan=True))
    except Exception:  # a dtype without NaN, or values that do not compare
        pass
    try:
        return bool(np.array_equal(a, b))
    except Exception:  # object arrays holding arrays, structured dtypes, ...
        return False


def _same_value(a: Any, b: Any) -> bool:
    """``a`` equals ``b`` as enqueued values are compared: arrays by shape and
    values, containers part by part, NaN equal to NaN."""
    if isinstance(b, np.ndarray):
        if isinstance(a, OpaqueChoice):  # read back from storage by its text
            return bool(a == b)
        return _same_array(a, b)
    if isinstance(a, np.ndarray):
        return False
    if isinstance(b, dict):
        return (
            isinstance(a, dict)
            and a.keys() == b.keys()
            and all(_same_value(a[k], v) for k, v in b.items())
        )
    if isinstance(b, (list, tuple)):
        return (
            isinstance(a, (list, tuple))
            and isinstance(a, tuple) == isinstance(b, tuple)
            and len(a) == len(b)
            and all(_same_value(x, y) for x, y in zip(a, b))
        )
    return _equals(a, b)


def _any_part(value: Any, test: Callable[[Any], bool]) -> bool:
    """Whether ``test`` holds for ``value`` or a part of its lists, tuples
    and dicts."""
    if isinstance(value, dict):
        return any(_any_part(v, test) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_any_part(v, test) for v in value)
    return test(value)


def _is_array(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.ndim > 0  # 0-d: a number


def _is_array_or_nan(value: Any) -> bool:
    if isinstance(value, np.ndarray):
        return True
    try:
        return is_real(value) and value != value
    except Exception:
        return False


def _holds_array(value: Any) -> bool:
    """Whether ``value`` is, or holds, an array."""
    return _any_part(value, _is_array)


def _needs_value_check(value: Any) -> bool:
    """Whether ``value`` holds a NaN or an array, which ``==`` does not match
    to an equal value."""
    return _any_part(value, _is_array_or_nan)


def _equals(a: Any, b: Any) -> bool:
    """``a == b`` as a bool (False where comparing fails or is ambiguous);
    NaN equals NaN, as a choice of a categorical must find itself."""
    if a is b:
        return True
    try:
        if bool(a == b):
            return True
    except Exception:
        return False
    return is_real(a) and is_real(b) and math.isnan(a) and math.isnan(b)


def _to_float(value: Any) -> float | None:
    """``float(value)`` for numbers and number-likes (a 0-d tensor or array),
    None for text (even "1.5") and anything else ``float`` refuses."""
    if isinstance(value, str | bytes | bytearray):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
    except OverflowError:  # an int beyond floats: infinite, with its sign
        try:
            return math.inf if value > 0 else -math.inf
        except Exception:
            return None


def check_value(value: Any) -> tuple[float | None, str | None]:
    """Convert an objective's return value to a float, or say why not.

    Text is refused even when it spells a number ("1.5"), as documented.
    """
    number = _to_float(value)
    if number is None:
        return None, f"The objective returned {value!r}, which is not a number."
    value = number
    if math.isnan(value):
        return None, "The objective returned NaN."
    return value, None


def float_distribution(
    name: str, low: Any, high: Any, step: Any, log: Any
) -> FloatDistribution:
    """The distribution of ``suggest_float`` (``high`` fitted to the step)."""
    with _naming(name, "suggest_float"):
        high = _fit_high(name, low, high, step, integer=False)
        return FloatDistribution(low, high, log=log, step=step)


def int_distribution(
    name: str, low: Any, high: Any, step: Any, log: Any
) -> IntDistribution:
    """The distribution of ``suggest_int`` (``high`` fitted to the step)."""
    with _naming(name, "suggest_int"):
        # Integral float bounds (1e3) are accepted, as Optuna does.
        low, high = (
            int(b) if isinstance(b, float) and b.is_integer() else b
            for b in (low, high)
        )
        high = _fit_high(name, low, high, step, integer=True)
        return IntDistribution(low, high, log=log, step=step)


def _fit_high(name: str, low: Any, high: Any, step: Any, *, integer: bool) -> Any:
    """``high`` moved down onto the grid of ``step`` from ``low``, with a
    warning, when ``step`` does not divide the range (as Optuna's
    ``suggest_float`` and ``suggest_int`` do); unchanged otherwise, and left
    to the distribution's checks when the arguments are invalid."""
    numbers = (low, high, step)
    if step is None or not all(is_real(v) and math.isfinite(v) for v in numbers):
        return high
    if step <= 0 or low > high or _on_grid(high, low, step):
        return high
    if integer:
        if not all(is_int(v) for v in numbers):
            return high
        fitted: Any = low + (high - low) // step * step
    else:
        # In decimal, so that 0.3 * 3 is 0.9 (Optuna does the same).
        lo, span, st = (
            Decimal(str(low)),
            Decimal(str(high)) - Decimal(str(low)),
            Decimal(str(step)),
        )
        fitted = float(span // st * st + lo)
    warnings.warn(
        f"The range [{low!r}, {high!r}] of parameter {name!r} is not divisible "
        f"by step={step!r}; high is set to {fitted!r}.",
        UserWarning,
        stacklevel=4,
    )
    return fitted


@contextlib.contextmanager
def _naming(name: str, method: str) -> Iterator[None]:
    """Prefix a bad-bounds error with the parameter being suggested."""
    try:
        yield
    except InvalidParameterError as exc:
        raise InvalidParameterError(
            f"Parameter {name!r} of Trial.{method}: {exc}"
        ) from None
