"""Maps between a distribution's internal floats and the unit interval.

Samplers that work in a box (random, QMC) draw ``u`` in ``[0, 1)`` and map it
with :func:`from_unit`: log scales uniformly in log space, ints and stepped
floats onto their grid cells with equal mass, categoricals onto indices.
"""

from __future__ import annotations

import math

import numpy as np

from sktune.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

__all__ = ["from_unit", "from_unit_scalar", "n_grid_points", "to_unit"]


def n_grid_points(dist: BaseDistribution) -> int | None:
    """Number of values of a discrete distribution, None for continuous ones."""
    if isinstance(dist, CategoricalDistribution):
        return len(dist.choices)
    if isinstance(dist, IntDistribution):
        return (dist.high - dist.low) // dist.step + 1
    if isinstance(dist, FloatDistribution) and dist.step is not None:
        return int(round((dist.high - dist.low) / dist.step)) + 1
    return None


def from_unit(dist: BaseDistribution, u: np.ndarray) -> np.ndarray:
    """Map points of ``[0, 1]`` to internal values of ``dist`` (vectorised)."""
    u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
    if isinstance(dist, CategoricalDistribution):
        k = len(dist.choices)
        return np.minimum(np.floor(u * k), k - 1)
    assert isinstance(dist, (FloatDistribution, IntDistribution))
    if dist.log:
        if isinstance(dist, IntDistribution):
            lo, hi = math.log(dist.low - 0.5), math.log(dist.high + 0.5)
            x = np.round(np.exp(lo + u * (hi - lo)))
            return np.clip(x, dist.low, dist.high)
        lo, hi = math.log(dist.low), math.log(dist.high)
        return np.clip(np.exp(lo + u * (hi - lo)), dist.low, dist.high)
    n = n_grid_points(dist)
    if n is None:
        return dist.low + u * (dist.high - dist.low)
    idx = np.minimum(np.floor(u * n), n - 1)
    return np.clip(dist.low + idx * dist.step, dist.low, dist.high)


def from_unit_scalar(dist: BaseDistribution, u: float) -> float:
    """:func:`from_unit` for one point, in plain Python (no numpy overhead)."""
    u = min(max(u, 0.0), 1.0)
    if isinstance(dist, CategoricalDistribution):
        k = len(dist.choices)
        return float(min(math.floor(u * k), k - 1))
    assert isinstance(dist, (FloatDistribution, IntDistribution))
    if dist.log:
        if isinstance(dist, IntDistribution):
            lo, hi = math.log(dist.low - 0.5), math.log(dist.high + 0.5)
            x = float(round(math.exp(lo + u * (hi - lo))))
        else:
            lo, hi = math.log(dist.low), math.log(dist.high)
            x = math.exp(lo + u * (hi - lo))
        return min(max(x, dist.low), dist.high)
    n = n_grid_points(dist)
    if n is None:
        return dist.low + u * (dist.high - dist.low)
    x = dist.low + min(math.floor(u * n), n - 1) * dist.step
    return min(max(x, dist.low), dist.high)


def to_unit(dist: BaseDistribution, x: np.ndarray) -> np.ndarray:
    """Inverse of :func:`from_unit`: the centre of the value's cell."""
    x = np.asarray(x, dtype=float)
    if isinstance(dist, CategoricalDistribution):
        return (x + 0.5) / len(dist.choices)
    assert isinstance(dist, (FloatDistribution, IntDistribution))
    if dist.log:
        if isinstance(dist, IntDistribution):
            lo, hi = math.log(dist.low - 0.5), math.log(dist.high + 0.5)
        else:
            lo, hi = math.log(dist.low), math.log(dist.high)
        if hi == lo:
            return np.full_like(x, 0.5)
        return (np.log(x) - lo) / (hi - lo)
    n = n_grid_points(dist)
    if n is None:
        width = dist.high - dist.low
        return np.full_like(x, 0.5) if width == 0 else (x - dist.low) / width
    return (np.round((x - dist.low) / dist.step) + 0.5) / n
