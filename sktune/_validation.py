"""Small helpers that check user input and build uniform error messages."""

from __future__ import annotations

import numbers
from typing import Any

from sktune.exceptions import InvalidParameterError


def param_error(owner: str, name: str, rule: str, value: Any) -> InvalidParameterError:
    """Build the house-style error: parameter, rule, bad value."""
    return InvalidParameterError(
        f"The '{name}' parameter of {owner} must be {rule}. Got {value!r} instead."
    )


def is_int(value: Any) -> bool:
    """True for Python and numpy integers, False for bools."""
    if type(value) is int:  # fast path
        return True
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value: Any) -> bool:
    """True for finite-or-not real numbers, False for bools."""
    if type(value) in (float, int):  # fast path
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_int(
    owner: str,
    name: str,
    value: Any,
    *,
    min_value: int | None = None,
    allow_none: bool = False,
) -> int | None:
    """Check that ``value`` is an int (>= ``min_value``) and return it."""
    if value is None and allow_none:
        return None
    rule = "an int" + (f" >= {min_value}" if min_value is not None else "")
    if allow_none:
        rule += " or None"
    if not is_int(value) or (min_value is not None and value < min_value):
        raise param_error(owner, name, rule, value)
    return int(value)


def check_real(
    owner: str,
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    allow_none: bool = False,
) -> float | None:
    """Check that ``value`` is a real number inside the given bounds."""
    if value is None and allow_none:
        return None
    parts = []
    if low is not None:
        parts.append(f"{'>=' if low_inclusive else '>'} {low}")
    if high is not None:
        parts.append(f"{'<=' if high_inclusive else '<'} {high}")
    rule = "a float" + (" " + " and ".join(parts) if parts else "")
    if allow_none:
        rule += " or None"
    if not is_real(value) or value != value:
        raise param_error(owner, name, rule, value)
    ok = True
    if low is not None:
        ok &= value >= low if low_inclusive else value > low
    if high is not None:
        ok &= value <= high if high_inclusive else value < high
    if not ok:
        raise param_error(owner, name, rule, value)
    return float(value)
