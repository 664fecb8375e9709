"""Numeric kernels of the TPE sampler: truncated normals and discrete cells.

Pure functions: arrays in, arrays out, an explicit ``numpy.random.Generator``.
Everything broadcasts, so one call handles every (candidate, component) pair.
Standard-normal tail quantities go through ``log_ndtr`` / ``ndtri_exp`` so that
intervals far in a tail keep their (tiny) mass instead of rounding to zero.
"""

from __future__ import annotations

import numpy as np
from scipy.special import log_ndtr, ndtr, ndtri_exp

__all__ = [
    "log_interval_mass",
    "truncnorm_log_cell_mass",
    "truncnorm_logpdf",
    "truncnorm_sample",
]

_LOG_SQRT_2PI = 0.5 * np.log(2.0 * np.pi)
# Floor for masses computed as a difference of CDFs (log(1e-300) ~ -690).
_TINY = 1e-300


def _log_diff_exp(log_big: np.ndarray, log_small: np.ndarray) -> np.ndarray:
    """``log(exp(log_big) - exp(log_small))`` for ``log_big >= log_small``."""
    with np.errstate(divide="ignore"):
        return log_big + np.log1p(-np.exp(np.minimum(log_small - log_big, 0.0)))


def log_interval_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``log(Phi(b) - Phi(a))`` for standard-normal bounds ``a <= b``.

    Intervals in the upper tail are mirrored to the lower one, where
    ``log_ndtr`` is accurate.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import norm
    >>> from sktune.samplers._tpe._kernels import log_interval_mass
    >>> bool(np.isclose(log_interval_mass(np.array(9.0), np.array(10.0)),
    ...                 norm.logsf(9.0)))
    True
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    # Fast path: a plain CDF difference, accurate unless the mass is tiny.
    mass = ndtr(b) - ndtr(a)
    out = np.log(np.maximum(mass, _TINY))
    small = mass < 1e-6
    if small.any():
        upper = a > 0
        lo = np.where(upper, -b, a)
        hi = np.where(upper, -a, b)
        out = np.where(small, _log_diff_exp(log_ndtr(hi), log_ndtr(lo)), out)
    return out


def truncnorm_logpdf(
    x: np.ndarray,
    mu: np.ndarray,
    sigma: np.ndarray,
    low: float,
    high: float,
) -> np.ndarray:
    """Log-density of a normal ``N(mu, sigma)`` truncated to ``[low, high]``.

    Parameters
    ----------
    x, mu, sigma : array_like
        Broadcast together; ``sigma > 0``.
    low, high : float
        Truncation bounds, ``low < high``.

    Returns
    -------
    ndarray
        ``-inf`` outside ``[low, high]``.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import truncnorm
    >>> from sktune.samplers._tpe._kernels import truncnorm_logpdf
    >>> ref = truncnorm.logpdf(0.3, (0 - 0.5) / 0.2, (1 - 0.5) / 0.2, 0.5, 0.2)
    >>> bool(np.isclose(truncnorm_logpdf(0.3, 0.5, 0.2, 0.0, 1.0), ref))
    True
    """
    x = np.asarray(x, dtype=float)
    mu = np.asarray(mu, dtype=float)
    sigma = np.asarray(sigma, dtype=float)
    z = (x - mu) / sigma
    log_norm = log_interval_mass((low - mu) / sigma, (high - mu) / sigma)
    out = -0.5 * z * z - _LOG_SQRT_2PI - np.log(sigma) - log_norm
    return np.where((x >= low) & (x <= high), out, -np.inf)


def truncnorm_log_cell_mass(
    cell_low: np.ndarray,
    cell_high: np.ndarray,
    mu: np.ndarray,
    sigma: np.ndarray,
    low: float,
    high: float,
    *,
    log_norm: np.ndarray | None = None,
    exact_tails: bool = True,
) -> np.ndarray:
    """Log of the mass a truncated normal puts on ``[cell_low, cell_high]``.

    This is the kernel of a discrete parameter (an int or a stepped float): the
    probability of a grid value is the mass of its cell. Cells must lie inside
    ``[low, high]``.

    Parameters
    ----------
    cell_low, cell_high, mu, sigma : array_like
        Broadcast together.
    low, high : float
        Truncation bounds of the normal.
    log_norm : array_like or None
        ``log_interval_mass((low - mu) / sigma, (high - mu) / sigma)`` if already
        known (it depends only on the component, not on the cell).
    exact_tails : bool, default=True
        Compute masses below 1e-8 exactly. With False they are floored at
        1e-300, which is much faster and harmless inside a mixture that has a
        uniform prior component.

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import truncnorm
    >>> from sktune.samplers._tpe._kernels import truncnorm_log_cell_mass
    >>> d = truncnorm((0 - 0.4) / 0.1, (1 - 0.4) / 0.1, 0.4, 0.1)
    >>> ref = np.log(d.cdf(0.5) - d.cdf(0.25))
    >>> bool(np.isclose(truncnorm_log_cell_mass(0.25, 0.5, 0.4, 0.1, 0.0, 1.0), ref))
    True
    """
    mu = np.asarray(mu, dtype=float)
    sigma = np.asarray(sigma, dtype=float)
    if log_norm is None:
        log_norm = log_interval_mass((low - mu) / sigma, (high - mu) / sigma)
    za = (np.asarray(cell_low, dtype=float) - mu) / sigma
    zb = (np.asarray(cell_high, dtype=float) - mu) / sigma
    # Fast path: a plain CDF difference is accurate unless the cell lies deep in
    # a tail, where the exact (slower) tail formula takes over.
    mass = ndtr(zb) - ndtr(za)
    out = np.log(np.maximum(mass, _TINY))
    deep = mass < 1e-8
    if exact_tails and np.any(deep):
        out = np.where(deep, log_interval_mass(za, zb), out)
    return out - log_norm


def truncnorm_sample(
    rng: np.random.Generator,
    mu: np.ndarray,
    sigma: np.ndarray,
    low: float,
    high: float,
) -> np.ndarray:
    """Draw one value from each ``N(mu, sigma)`` truncated to ``[low, high]``.

    Inverse-CDF sampling in log space (exact, also far in the tails).

    Parameters
    ----------
    rng : numpy.random.Generator
    mu, sigma : array_like
        One draw per broadcast element.
    low, high : float

    Returns
    -------
    ndarray

    Examples
    --------
    >>> import numpy as np
    >>> from sktune.samplers._tpe._kernels import truncnorm_sample
    >>> x = truncnorm_sample(np.random.default_rng(0), np.zeros(1000), 0.5, 0.0, 1.0)
    >>> bool(x.min() >= 0.0 and x.max() <= 1.0)
    True
    """
    mu, sigma = np.asarray(mu, dtype=float), np.asarray(sigma, dtype=float)
    if mu.shape != sigma.shape:
        mu, sigma = np.broadcast_arrays(mu, sigma)
    a = (low - mu) / sigma
    b = (high - mu) / sigma
    # Mirror intervals in the upper tail so that log_ndtr stays accurate.
    upper = a > 0
    lo = np.where(upper, -b, a)
    hi = np.where(upper, -a, b)
    log_lo, log_hi = log_ndtr(lo), log_ndtr(hi)
    v = rng.random(mu.shape)
    # log(Phi(lo) + v (Phi(hi) - Phi(lo))), computed relative to Phi(hi).
    ratio = np.exp(log_lo - log_hi)
    log_u = log_hi + np.log(ratio + v * (1.0 - ratio))
    z = ndtri_exp(np.minimum(log_u, 0.0))
    z = np.where(upper, -z, z)
    return np.minimum(np.maximum(mu + sigma * z, low), high)
