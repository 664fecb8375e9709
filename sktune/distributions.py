"""Parameter distributions and their one-float internal representation.

Every distribution maps each of its values to one float (floats and ints to
themselves, categorical choices to their index) so that samplers work on plain
numbers and never see estimators, strings or scipy objects.
"""

from __future__ import annotations

import functools
import json
import math
import types
from collections.abc import Sequence
from typing import Any

import numpy as np

from sktune._validation import is_int, is_real, param_error

__all__ = [
    "BaseDistribution",
    "CategoricalChoiceType",
    "CategoricalDistribution",
    "FloatDistribution",
    "IntDistribution",
    "OpaqueChoice",
    "check_distribution_compatibility",
    "distribution_to_json",
    "json_to_distribution",
    "merge_distributions",
]

CategoricalChoiceType = Any

# Relative tolerance used when checking that a value lies on a step grid.
_GRID_RTOL = 1e-8


class BaseDistribution:
    """Base class of every distribution.

    Subclasses define the internal representation (one float per value), the
    membership test and the JSON form.
    """

    def to_internal_repr(self, value: Any) -> float:
        """Map an external value (what the objective sees) to its float."""
        raise NotImplementedError

    def to_external_repr(self, internal: float) -> Any:
        """Map an internal float back to the external value."""
        raise NotImplementedError

    def _contains(self, internal: float) -> bool:
        raise NotImplementedError

    def contains(self, value: Any) -> bool:
        """Whether an external value belongs to this distribution."""
        try:
            internal = self.to_internal_repr(value)
        except (ValueError, TypeError):
            return False
        return self._contains(internal)

    def single(self) -> bool:
        """Whether the distribution holds exactly one value."""
        raise NotImplementedError

    def _attrs(self) -> dict[str, Any]:
        raise NotImplementedError

    def _key(self) -> tuple:
        return (type(self).__name__, *self._attrs().values())

    def _cached_key(self) -> tuple:
        try:
            return self.__dict__["_key_cache"]
        except KeyError:
            key = self.__dict__["_key_cache"] = self._key()
            return key

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, BaseDistribution):
            return NotImplemented
        return self._cached_key() == other._cached_key()

    def __hash__(self) -> int:
        return hash(self._cached_key())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._repr_attrs().items())
        return f"{type(self).__name__}({args})"

    def _repr_attrs(self) -> dict[str, Any]:
        return self._attrs()


def _check_bound(owner: str, name: str, value: Any) -> float:
    if not is_real(value) or not math.isfinite(value):
        raise param_error(owner, name, "a finite real number", value)
    return value


def _on_grid(x: float, low: float, step: float) -> bool:
    k = round((x - low) / step)
    # Tolerate rounding noise of the arithmetic, never a fraction of a step
    # (the magnitude's share is capped: past it, floats cannot hold the grid).
    tol = max(min(1e-12 * max(abs(x), abs(low)), 0.01 * step), _GRID_RTOL * step)
    return abs(low + k * step - x) <= tol


class FloatDistribution(BaseDistribution):
    """A continuous range of floats, optionally log-scaled or discretised.

    Parameters
    ----------
    low, high : float
        Inclusive bounds, ``low <= high``.
    log : bool, default=False
        Sample in log space; needs ``low > 0``.
    step : float or None, default=None
        Grid spacing; ``high - low`` must be a multiple of it. Excludes ``log``.

    Examples
    --------
    >>> from sktune.distributions import FloatDistribution
    >>> d = FloatDistribution(1e-3, 1.0, log=True)
    >>> d.contains(0.5), d.contains(2.0)
    (True, False)
    >>> FloatDistribution(0.0, 1.0, step=0.25).to_external_repr(0.5)
    0.5
    """

    def __init__(
        self, low: float, high: float, *, log: bool = False, step: float | None = None
    ) -> None:
        owner = "FloatDistribution"
        low = _check_bound(owner, "low", low)
        high = _check_bound(owner, "high", high)
        if low > high:
            raise param_error(owner, "low", f"<= high={high!r}", low)
        if not math.isfinite(high - low):
            # Samplers draw low + u * (high - low).
            raise param_error(
                owner, "high", f"such that high - low is finite (low={low!r})", high
            )
        if not isinstance(log, (bool, np.bool_)):
            raise param_error(owner, "log", "a bool", log)
        if step is not None:
            if log:
                raise param_error(owner, "step", "None when log=True", step)
            if not is_real(step) or not math.isfinite(step) or step <= 0:
                raise param_error(owner, "step", "a float > 0 or None", step)
            if not _on_grid(high, low, step):
                raise param_error(
                    owner,
                    "step",
                    f"a divisor of high - low = {high - low!r}",
                    step,
                )
            step = float(step)
        if log and low <= 0:
            raise param_error(owner, "low", "> 0 when log=True", low)
        self.low = float(low)
        self.high = float(high)
        self.log = bool(log)
        self.step = step

    def to_internal_repr(self, value: Any) -> float:
        if not is_real(value):
            raise ValueError(f"{value!r} is not a real number.")
        value = float(value)
        if math.isnan(value):
            raise ValueError("NaN is not a valid value of a FloatDistribution.")
        return value

    def to_external_repr(self, internal: float) -> float:
        return float(internal)

    def _contains(self, internal: float) -> bool:
        if not (self.low <= internal <= self.high):
            return False
        return self.step is None or _on_grid(internal, self.low, self.step)

    def single(self) -> bool:
        if self.step is None:
            return self.low == self.high
        return self.high - self.low < self.step

    def _attrs(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "log": self.log, "step": self.step}


class IntDistribution(BaseDistribution):
    """A range of integers, optionally log-scaled or stepped.

    Parameters
    ----------
    low, high : int
        Inclusive bounds, ``low <= high``.
    log : bool, default=False
        Sample in log space; needs ``low >= 1`` and ``step == 1``.
    step : int, default=1
        Spacing; ``high - low`` must be a multiple of it.

    Examples
    --------
    >>> from sktune.distributions import IntDistribution
    >>> d = IntDistribution(2, 10, step=2)
    >>> d.contains(4), d.contains(5)
    (True, False)
    >>> d.to_external_repr(6.0)
    6
    """

    def __init__(
        self, low: int, high: int, *, log: bool = False, step: int = 1
    ) -> None:
        owner = "IntDistribution"
        if not is_int(low):
            raise param_error(owner, "low", "an int", low)
        if not is_int(high):
            raise param_error(owner, "high", "an int", high)
        if low > high:
            raise param_error(owner, "low", f"<= high={high!r}", low)
        if not isinstance(log, (bool, np.bool_)):
            raise param_error(owner, "log", "a bool", log)
        if not is_int(step) or step < 1:
            raise param_error(owner, "step", "an int >= 1", step)
        if log and step != 1:
            raise param_error(owner, "step", "1 when log=True", step)
        if log and low < 1:
            raise param_error(owner, "low", ">= 1 when log=True", low)
        if (high - low) % step:
            raise param_error(
                owner, "step", f"a divisor of high - low = {high - low}", step
            )
        self.low = int(low)
        self.high = int(high)
        self.log = bool(log)
        self.step = int(step)

    def to_internal_repr(self, value: Any) -> float:
        if not is_real(value):
            raise ValueError(f"{value!r} is not an integer.")
        x = float(value)
        if math.isnan(x) or x != round(x):
            raise ValueError(f"{value!r} is not an integer.")
        return x

    def to_external_repr(self, internal: float) -> int:
        return int(round(internal))

    def _contains(self, internal: float) -> bool:
        if not (self.low <= internal <= self.high):
            return False
        return (round(internal) - self.low) % self.step == 0 and internal == round(
            internal
        )

    def single(self) -> bool:
        return self.high - self.low < self.step

    def _attrs(self) -> dict[str, Any]:
        return {"low": self.low, "high": self.high, "log": self.log, "step": self.step}


class OpaqueChoice:
    """Stand-in for a categorical choice that JSON cannot hold.

    A study read back from storage knows such a choice only by its text (see
    ``_opaque_text``: estimators spelled out, functions by name, else ``repr``);
    trials refer to it by index. Compare the search space of a live search
    against it with :func:`check_distribution_compatibility`.
    """

    def __init__(self, text: str, index: int | None = None) -> None:
        self.text = text
        # Its position among the choices of the stored distribution, which
        # tells apart choices of the same text (it plays no part in equality).
        self.index = index

    def __repr__(self) -> str:
        return self.text

    def __eq__(self, other: object) -> bool:
        if isinstance(other, OpaqueChoice):
            return self.text == other.text
        return _opaque_text(other) == self.text

    def __hash__(self) -> int:
        return hash(self.text)


def _plain_value(obj: Any) -> Any:
    """The Python value that a NumPy scalar or a str, int or float subclass
    (an enum member, np.str_) stands for; any other object as it is."""
    if isinstance(obj, np.generic) and obj.shape == ():
        return obj.item()
    if type(obj) in (str, int, float, bool):
        return obj
    if isinstance(obj, str):
        return str.__str__(obj)  # (str() of an enum member is its name)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj)
    return obj


def _encode_choice(choice: Any) -> Any:
    """JSON form of one categorical choice (tagged for tuples and opaque ones)."""
    choice = _plain_value(choice)
    if choice is None or isinstance(choice, (bool, str)):
        return choice
    if isinstance(choice, int):
        return choice
    if isinstance(choice, float):
        if math.isfinite(choice):
            return choice
        return {"__float__": repr(choice)}
    encoded: Any = None
    if isinstance(choice, tuple):
        encoded = {"__tuple__": [_encode_choice(c) for c in choice]}
    elif isinstance(choice, list):
        encoded = {"__list__": [_encode_choice(c) for c in choice]}
    elif type(choice) is dict:
        # Key-value pairs: JSON objects hold only string keys.
        pairs = [[_encode_choice(k), _encode_choice(v)] for k, v in choice.items()]
        encoded = {"__dict__": pairs}
    if encoded is not None:
        # A container holding an object JSON cannot hold is stored whole by its
        # text: read back, it is one OpaqueChoice, whose position in the list
        # tells it apart from other choices of the same text. (Inner
        # containers holding one are already opaque.)
        parts = next(iter(encoded.values()))
        if any(_is_opaque(p) for p in parts) or any(
            _is_opaque(k) or _is_opaque(v) for k, v in encoded.get("__dict__", ())
        ):
            return {"__opaque__": _opaque_text(choice)}
        return encoded
    if isinstance(choice, OpaqueChoice):
        return {"__opaque__": choice.text}
    return {"__opaque__": _opaque_text(choice)}


def _is_opaque(encoded: Any) -> bool:
    return isinstance(encoded, dict) and "__opaque__" in encoded


def _canonical(encoded: Any) -> Any:
    """An encoded choice with the pairs of its dicts sorted, at any depth, so
    that equal dicts are one choice in any key order."""
    if isinstance(encoded, list):
        return [_canonical(v) for v in encoded]
    if not isinstance(encoded, dict):
        return encoded
    if "__dict__" in encoded:
        pairs = [_canonical(p) for p in encoded["__dict__"]]
        return {"__dict__": sorted(pairs, key=json.dumps)}
    return {k: _canonical(v) for k, v in encoded.items()}


def _callable_name(obj: Any) -> str | None:
    """``module.qualname`` of a function, builtin or other named callable that
    is not bound to an object; None for classes (their ``repr`` holds that
    name), lambdas and nested functions (one name for many objects), bound
    methods (their object tells them apart) and unnamed callables."""
    if isinstance(obj, type) or not callable(obj):
        return None
    owner = getattr(obj, "__self__", None)
    if owner is not None and not isinstance(owner, types.ModuleType):
        return None
    module = getattr(obj, "__module__", None)
    qualname = getattr(obj, "__qualname__", None)
    if not (isinstance(module, str) and isinstance(qualname, str)) or "<" in qualname:
        return None
    return f"{module}.{qualname}"


def _opaque_text(obj: Any) -> str:
    """A full, deterministic text of an object JSON cannot hold.

    Estimators (anything with ``get_params``) are spelled out from their
    parameters, recursively: their ``repr`` may be shortened. NumPy scalars
    and str, int or float subclasses (enum members) are spelled as the
    Python value they stand for, as choices are compared. Functions and
    other named callables (builtins, NumPy's) are spelled by module and
    qualified name: a function's ``repr`` holds an address that differs from
    one process to the next, and a builtin's lacks its module. A
    ``functools.partial`` is spelled by its function and arguments.
    """
    obj = _plain_value(obj)
    name = _callable_name(obj)
    if name is not None:
        return f"<function {name}>"
    if type(obj) is functools.partial:
        # Its repr holds the function's address; spelled by its parts.
        parts = [_opaque_text(obj.func), *map(_opaque_text, obj.args)]
        parts += [f"{k}={_opaque_text(v)}" for k, v in sorted(obj.keywords.items())]
        return f"functools.partial({', '.join(parts)})"
    get_params = getattr(obj, "get_params", None)
    if callable(get_params) and not isinstance(obj, type):
        try:
            params = get_params(deep=False)
        except TypeError:
            params = None
        if isinstance(params, dict):
            inner = ", ".join(
                f"{k}={_opaque_text(v)}" for k, v in sorted(params.items())
            )
            return f"{type(obj).__qualname__}({inner})"
    if isinstance(obj, (list, tuple)):
        inner = ", ".join(_opaque_text(v) for v in obj)
        return f"[{inner}]" if isinstance(obj, list) else f"({inner})"
    if isinstance(obj, dict):
        # Equal dicts are equal in any order: spelled out in key order.
        items = sorted((repr(k), _opaque_text(v)) for k, v in obj.items())
        return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"
    if isinstance(obj, (set, frozenset)):
        # Sorted: a set's iteration order varies with the process's hash seed.
        inner = ", ".join(sorted(_opaque_text(v) for v in obj))
        return f"{type(obj).__name__}({{{inner}}})"
    return repr(obj)


def _decode_choice(obj: Any) -> Any:
    if isinstance(obj, dict):
        if "__tuple__" in obj:
            return tuple(_decode_choice(c) for c in obj["__tuple__"])
        if "__list__" in obj:
            return [_decode_choice(c) for c in obj["__list__"]]
        if "__dict__" in obj:
            return {_decode_choice(k): _decode_choice(v) for k, v in obj["__dict__"]}
        if "__float__" in obj:
            return float(obj["__float__"])
        if "__opaque__" in obj:
            return OpaqueChoice(obj["__opaque__"])
    return obj


_SCALAR_TAGS = {str: "s", int: "i", float: "f", bool: "b", type(None): "n"}


def _choice_key(choice: Any) -> str:
    """A string that identifies a choice by value (and kind)."""
    tag = _SCALAR_TAGS.get(type(choice))
    if tag is not None and not (tag == "f" and not math.isfinite(choice)):
        return f"{tag}:{choice!r}"
    if tag is None:
        # NumPy scalars and subclasses (str and int enums, np.str_) by their
        # value, which is what they are stored as.
        plain = _plain_value(choice)
        if plain is not choice:
            return _choice_key(plain)
    return json.dumps(_canonical(_encode_choice(choice)), sort_keys=True)


class CategoricalDistribution(BaseDistribution):
    """A finite set of choices of any kind (None, tuples, estimators, ...).

    The internal representation of a choice is its index in ``choices``.

    Parameters
    ----------
    choices : sequence
        At least one choice. Choices are compared by value and kind: ``1``,
        ``1.0`` and ``True`` are three choices, a str or int enum member is
        its value, equal dicts and sets are one choice in any order, and two
        estimators whose parameters are spelled the same are one choice.

    Examples
    --------
    >>> from sktune.distributions import CategoricalDistribution
    >>> d = CategoricalDistribution(["rbf", "linear", None])
    >>> d.to_internal_repr(None)
    2.0
    >>> d.to_external_repr(1.0)
    'linear'
    """

    def __init__(self, choices: Sequence[CategoricalChoiceType]) -> None:
        owner = "CategoricalDistribution"
        if isinstance(choices, (str, bytes)) or not hasattr(choices, "__len__"):
            raise param_error(owner, "choices", "a non-empty sequence", choices)
        choices = tuple(choices)
        if len(choices) == 0:
            raise param_error(owner, "choices", "a non-empty sequence", choices)
        self.choices = choices
        self._keys = [_choice_key(c) for c in choices]
        self._index: dict[str, int] = {}
        for i, k in enumerate(self._keys):
            self._index.setdefault(k, i)
        # A choice's position: the first of its equal choices ([np.int64(1),
        # 1] is one choice, whichever object is given, as after a JSON round
        # trip), but its own where the key is only a text (two long arrays
        # spelled alike are two choices).
        self._position = [
            i if '"__opaque__"' in k else self._index[k]
            for i, k in enumerate(self._keys)
        ]

    def to_internal_repr(self, value: Any) -> float:
        for i, c in enumerate(self.choices):
            if c is value:
                return float(self._position[i])
        try:
            return float(self._index[_choice_key(value)])
        except KeyError:
            raise ValueError(f"{value!r} is not one of the choices.") from None

    def to_external_repr(self, internal: float) -> Any:
        return self.choices[int(round(internal))]

    def _contains(self, internal: float) -> bool:
        i = int(round(internal))
        return internal == i and 0 <= i < len(self.choices)

    def single(self) -> bool:
        return len(self.choices) == 1

    def _attrs(self) -> dict[str, Any]:
        return {"choices": [_encode_choice(c) for c in self.choices]}

    def _key(self) -> tuple:
        return (type(self).__name__, tuple(self._keys))

    def _repr_attrs(self) -> dict[str, Any]:
        return {"choices": self.choices}

    @property
    def has_opaque_choices(self) -> bool:
        """Whether some choice is stored only by its repr in JSON."""
        return any(k.startswith("{") and '"__opaque__"' in k for k in self._keys)


def distribution_to_json(dist: BaseDistribution) -> str:
    """Serialise a distribution to a JSON string.

    Examples
    --------
    >>> from sktune.distributions import (
    ...     IntDistribution, distribution_to_json, json_to_distribution)
    >>> d = IntDistribution(1, 9, step=2)
    >>> json_to_distribution(distribution_to_json(d)) == d
    True
    """
    return json.dumps({"name": type(dist).__name__, "attributes": dist._attrs()})


def json_to_distribution(text: str) -> BaseDistribution:
    """Inverse of :func:`distribution_to_json`."""
    obj = json.loads(text)
    name, attrs = obj["name"], obj["attributes"]
    if name == "FloatDistribution":
        return FloatDistribution(
            attrs["low"], attrs["high"], log=attrs["log"], step=attrs["step"]
        )
    if name == "IntDistribution":
        return IntDistribution(
            attrs["low"], attrs["high"], log=attrs["log"], step=attrs["step"]
        )
    if name == "CategoricalDistribution":
        choices = [_decode_choice(c) for c in attrs["choices"]]
        for i, c in enumerate(choices):
            if isinstance(c, OpaqueChoice):
                c.index = i
        return CategoricalDistribution(choices)
    raise ValueError(f"Unknown distribution {name!r} in JSON.")


def merge_distributions(
    name: str, dists: Sequence[BaseDistribution]
) -> BaseDistribution:
    """One distribution covering all of ``dists`` (a parameter's, over trials).

    A dynamic space may move bounds or steps, and different branches may offer
    different choices: ranges are widened (on one grid when every trial used
    the same step and the bounds stay on it), choices are united in order of
    appearance, and the scale is log only if every distribution's is.

    Raises
    ------
    ValueError
        If the parameter changes its kind of distribution.

    Examples
    --------
    >>> from sktune.distributions import FloatDistribution, merge_distributions
    >>> merge_distributions("x", [FloatDistribution(1, 2, log=True),
    ...                           FloatDistribution(0, 3)])
    FloatDistribution(low=0.0, high=3.0, log=False, step=None)
    """
    first = dists[0]
    if any(type(d) is not type(first) for d in dists):
        kinds = sorted({type(d).__name__ for d in dists})
        raise ValueError(
            f"Parameter {name!r} changes its kind of distribution between "
            f"trials ({', '.join(kinds)})."
        )
    if isinstance(first, CategoricalDistribution):
        if all(d == first for d in dists):
            return first
        union: list = []
        for d in dists:
            for c in d.choices:  # type: ignore[attr-defined]
                if not CategoricalDistribution(union or [object()]).contains(c):
                    union.append(c)
        return CategoricalDistribution(union)
    assert isinstance(first, (FloatDistribution, IntDistribution))
    low = min(d.low for d in dists)  # type: ignore[attr-defined]
    high = max(d.high for d in dists)  # type: ignore[attr-defined]
    log = all(d.log for d in dists)  # type: ignore[attr-defined]
    kind = type(first)
    if all(d.step == first.step for d in dists):  # type: ignore[attr-defined]
        if (low, high, log) == (first.low, first.high, first.log):
            return first
        try:
            return kind(low, high, log=log, step=first.step)
        except ValueError:
            pass  # the bounds moved off the step grid: no single grid
    # trials on different grids: no single grid holds every value
    return kind(low, high, log=log)


def check_distribution_compatibility(
    old: BaseDistribution, new: BaseDistribution, name: str = "parameter"
) -> None:
    """Raise if ``new`` cannot replace ``old`` for the parameter ``name``.

    Float and int ranges may change (a dynamic space may move its bounds);
    the kind of distribution, ``log`` and categorical choices may not.
    """
    if type(old) is not type(new):
        raise ValueError(
            f"Parameter {name!r} was {old!r} and is now {new!r}: "
            "a parameter cannot change its kind of distribution."
        )
    if isinstance(old, CategoricalDistribution) and old != new:
        raise ValueError(
            f"Parameter {name!r} has choices {new.choices!r}, but the study "
            f"recorded {old.choices!r}."
        )
    if isinstance(old, (FloatDistribution, IntDistribution)) and old.log != new.log:
        raise ValueError(f"Parameter {name!r} changed log from {old.log} to {new.log}.")
