"""A multivariate Parzen estimator over a mixed, conditional space.

Each observed trial is one kernel component: a product over dimensions of a
truncated normal (continuous), the mass of a grid cell under a truncated normal
(ints, stepped floats; Watanabe 2023, sec. 3.4) or an Aitchison-Aitken kernel
that smooths towards uniform (categoricals). Dimensions live in ``[0, 1]``
(log scales in log space) except categoricals, which are choice indices.

Conditional spaces: a trial may lack some dimensions. Presence is modelled as
one more binary feature per dimension: a component and a point that agree on
whether a dimension exists contribute a factor 1 for it; when they disagree the
factor is ``eps`` (times the uniform density of the value when only the point
has it). Components thus share information across branches through common
parameters, but a branch is mostly modelled by the trials that took it.

A uniform prior component (weight ``prior_weight``) matches every signature.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from sktune.samplers._tpe._kernels import (
    log_interval_mass,
    truncnorm_log_cell_mass,
    truncnorm_sample,
)

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG_TINY = math.log(1e-300)
# Keep each matrix product small enough for BLAS to run it on one thread: on a
# busy machine, multi-threaded BLAS on these shapes is many times slower.
_MATMUL_BLOCK = 200_000

__all__ = [
    "CATEGORICAL",
    "CONTINUOUS",
    "DISCRETE",
    "LOG_INT",
    "DimSpec",
    "ParzenEstimator",
    "bandwidths",
    "cell_edges",
    "snap",
]

CONTINUOUS = 0
DISCRETE = 1  # n equal cells of width 1/n
LOG_INT = 2  # an int range on a log scale: cells of unequal width
CATEGORICAL = 3


@dataclass(frozen=True)
class DimSpec:
    """How one dimension is represented in the kernel space.

    ``kind`` is one of CONTINUOUS, DISCRETE, LOG_INT, CATEGORICAL; ``n`` is the
    number of cells or choices; ``low``/``high`` are the integer bounds of a
    LOG_INT dimension.
    """

    kind: int
    n: int = 0
    low: int = 0
    high: int = 0

    @property
    def _log_span(self) -> tuple[float, float]:
        lo, hi = math.log(self.low - 0.5), math.log(self.high + 0.5)
        return lo, hi - lo


def snap(spec: DimSpec, u: np.ndarray) -> np.ndarray:
    """Move points of ``[0, 1]`` to the representative point of their cell."""
    if spec.kind == DISCRETE:
        idx = np.clip(np.floor(u * spec.n), 0, spec.n - 1)
        return (idx + 0.5) / spec.n
    if spec.kind == LOG_INT:
        lo, span = spec._log_span
        v = np.clip(np.round(np.exp(lo + u * span)), spec.low, spec.high)
        return (np.log(v) - lo) / span
    return u


def cell_edges(spec: DimSpec, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edges of the cell holding each (representative) point ``u``."""
    if spec.kind == DISCRETE:
        idx = np.clip(np.floor(u * spec.n), 0, spec.n - 1)
        return idx / spec.n, (idx + 1) / spec.n
    lo, span = spec._log_span
    v = np.clip(np.round(np.exp(lo + u * span)), spec.low, spec.high)
    return (np.log(v - 0.5) - lo) / span, (np.log(v + 0.5) - lo) / span


def _max_cell_width(spec: DimSpec) -> float:
    """Width of the widest cell of a discrete dimension in kernel space."""
    if spec.kind == DISCRETE:
        return 1.0 / spec.n
    lo, span = spec._log_span
    return (math.log(spec.low + 0.5) - lo) / span


class _SpecArrays:
    """Arrays derived from a tuple of DimSpecs (cached: specs rarely change)."""

    def __init__(self, specs: tuple[DimSpec, ...]) -> None:
        self.kinds = np.array([spec.kind for spec in specs], dtype=int)
        self.n_cells = np.array([max(spec.n, 1) for spec in specs], dtype=float)
        self.floor = np.where(self.kinds == CONTINUOUS, 0.0, 0.5 / self.n_cells)
        self.numeric_mask = self.kinds != CATEGORICAL
        self.categorical_mask = ~self.numeric_mask
        # Tuples: these are shared by every estimator built on the same specs.
        self.numeric = tuple(j for j, sp in enumerate(specs) if sp.kind != CATEGORICAL)
        self.log_int = tuple(j for j, sp in enumerate(specs) if sp.kind == LOG_INT)
        self.uni_const = np.array(
            [
                0.0 if sp.kind in (CONTINUOUS, LOG_INT) else -math.log(sp.n)
                for sp in specs
            ]
        )
        for arr in (self.kinds, self.n_cells, self.floor, self.uni_const):
            arr.flags.writeable = False


@functools.lru_cache(maxsize=128)
def _spec_arrays(specs: tuple[DimSpec, ...]) -> _SpecArrays:
    return _SpecArrays(specs)


def _matmul_into(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """``out[:] = a @ b.T`` in column blocks (see ``_MATMUL_BLOCK``)."""
    step = max(1, _MATMUL_BLOCK // max(1, a.shape[0] * a.shape[1]))
    bt = b.T
    for s in range(0, b.shape[0], step):
        np.matmul(a, bt[:, s : s + step], out=out[:, s : s + step])


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    out = np.empty((a.shape[0], b.shape[0]))
    _matmul_into(a, b, out)
    return out


def _neighbour_widths(x: np.ndarray, factor: float, endpoints: bool) -> np.ndarray:
    """Neighbour bandwidths of the points of each row of ``x`` (in [0, 1]).

    Each point's width is its larger gap to its neighbours (the bounds count
    as neighbours; unless ``endpoints``, the outermost points look inwards
    only), times ``factor``, clipped below by ``1 / min(100, n + 2)``.
    """
    n_rows, n = x.shape
    # Sorting along contiguous rows is fast.
    x = np.ascontiguousarray(x)
    order = np.argsort(x, axis=1, kind="stable")
    # Plain fancy indexing: take/put_along_axis cost more on these small arrays.
    row = np.arange(n_rows)[:, None]
    ends = np.empty((n_rows, n + 2))
    ends[:, 0], ends[:, -1] = 0.0, 1.0
    ends[:, 1:-1] = x[row, order]
    gaps = ends[:, 1:] - ends[:, :-1]
    if not endpoints and n > 1:
        gaps[:, 0], gaps[:, -1] = gaps[:, 1], gaps[:, -2]
    width = np.maximum(
        np.maximum(gaps[:, :-1], gaps[:, 1:]) * factor, 1.0 / min(100.0, n + 2.0)
    )
    out = np.empty_like(width)
    out[row, order] = width
    return out


def bandwidths(
    mu: np.ndarray,
    present: np.ndarray,
    weights: np.ndarray,
    specs: list[DimSpec],
    *,
    rule: str = "neighbour",
    factor: float = 1.0,
    min_bandwidth: float = 0.0,
    n_dims: int | None = None,
    endpoints: bool = False,
) -> np.ndarray:
    """Bandwidths of a group's components in each numeric dimension.

    Rules (distances in the unit kernel space):

    - ``"neighbour"``: each component's bandwidth in a dimension is the larger
      gap to its neighbours there, the bounds counting as neighbours (the
      heuristic of Bergstra et al. 2011), clipped below by
      ``1 / min(100, n + 2)`` (the "magic clip", Watanabe 2023, sec. 3.3).
      Dense regions get narrow kernels, isolated points wide ones. Unless
      ``endpoints``, the outermost points ignore their gap to the bound
      (Watanabe 2023 found that counting it over-explores the edges).
    - ``"scott"``: Scott's rule for a product kernel (Scott 1992; Falkner et
      al. 2018), ``s_j * n ** (-1 / (d + 4))`` with ``s_j`` the weighted
      standard deviation of the group, the same for every component.
    - ``"fixed"``: ``n ** (-1 / (d + 4))``, the spread ignored.

    The result is multiplied by ``factor``, then clipped below by
    ``min_bandwidth`` and half a cell (discrete dimensions) and above by 1.
    ``n`` counts the components having the dimension and ``d`` is ``n_dims``
    (by default, the number of dimensions).

    Returns
    -------
    ndarray of shape (n_components, n_dims)
        NaN for categorical dimensions.
    """
    n_comp, n_d = mu.shape
    arrays = _spec_arrays(tuple(specs))
    d = max(1, n_dims if n_dims is not None else len(specs))
    all_present = bool(present.all())
    counts = np.full(n_d, n_comp) if all_present else present.sum(axis=0)
    floor = arrays.floor
    if min_bandwidth > 0.0:
        floor = np.maximum(floor, min_bandwidth)
    if rule == "neighbour":
        h = np.ones((n_comp, n_d))
        numeric = arrays.numeric_mask
        # Dimensions every component has are done in one call; the others
        # (conditional) one at a time, on the components that have them.
        if all_present:
            full, partial = list(arrays.numeric), []
        else:
            full = np.flatnonzero(numeric & (counts == n_comp))
            partial = np.flatnonzero(numeric & (counts > 0) & (counts < n_comp))
        if len(full) and n_comp:
            h[:, full] = _neighbour_widths(mu[:, full].T, factor, endpoints).T
        for j in partial:
            rows = np.flatnonzero(present[:, j])
            h[rows, j] = _neighbour_widths(mu[rows, j][None, :], factor, endpoints)[0]
    else:
        if rule == "scott":
            w = weights[:, None] * present
            wsum = np.maximum(w.sum(axis=0), 1e-300)
            x = np.where(present, mu, 0.0)
            mean = (w * x).sum(axis=0) / wsum
            std = np.sqrt((w * (x - mean) ** 2).sum(axis=0) / wsum)
            # A few identical points must not collapse the kernel.
            std = np.where(counts > 1, np.maximum(std, 1.0 / (counts + 1)), 1.0)
        else:
            std = np.ones(n_d)
        per_dim = factor * std * np.maximum(counts, 1) ** (-1.0 / (d + 4))
        per_dim = np.where(counts == 0, 1.0, per_dim)
        h = np.broadcast_to(per_dim, (n_comp, n_d)).copy()
    h = np.minimum(np.maximum(h, floor[None, :]), 1.0)
    h[:, arrays.categorical_mask] = np.nan
    return h


class ParzenEstimator:
    """Mixture of product kernels (one per component) plus a uniform prior.

    Log-densities of all (point, component) pairs come from one matrix
    product: a Gaussian kernel's exponent expands into terms that are products
    of a point feature and a component feature, and so do the lookup tables of
    categorical and coarse discrete kernels and the presence factors. Fine
    discrete grids (cells narrower than the bandwidth) use the density at the
    cell's centre times its width; coarse ones use exact cell masses.

    Parameters
    ----------
    mu : ndarray of shape (n_components, n_dims)
        Component centres in kernel space; NaN where a component lacks a
        dimension.
    present : ndarray of bool, same shape
    weights : ndarray of shape (n_components,)
        Non-negative component weights.
    sigma : ndarray of shape (n_dims,) or (n_components, n_dims)
        Bandwidths of numeric dimensions, per dimension or per component and
        dimension (ignored for categoricals).
    specs : list of DimSpec
    prior_weight : float
        Weight of the uniform prior component.
    cat_smoothing : float or ndarray of shape (n_dims,)
        Aitchison-Aitken smoothing ``b`` (per dimension, or one for all): a
        categorical component puts ``1 - b`` on its own choice and spreads
        ``b`` uniformly.
    eps : float
        Presence-mismatch factor (see the module docstring).

    Examples
    --------
    >>> import numpy as np
    >>> from sktune.samplers._tpe._parzen import CONTINUOUS, DimSpec, ParzenEstimator
    >>> pe = ParzenEstimator(np.array([[0.2], [0.8]]), np.ones((2, 1), bool),
    ...     np.ones(2), np.array([0.1]), [DimSpec(CONTINUOUS)], prior_weight=1.0,
    ...     cat_smoothing=0.2, eps=0.1)
    >>> lp = pe.log_pdf(np.array([[0.2], [0.5]]), np.ones((2, 1), bool))
    >>> bool(lp[0] > lp[1])
    True
    """

    def __init__(
        self,
        mu: np.ndarray,
        present: np.ndarray,
        weights: np.ndarray,
        sigma: np.ndarray,
        specs: list[DimSpec],
        *,
        prior_weight: float,
        cat_smoothing: float,
        eps: float,
    ) -> None:
        self.present = present
        all_present = self.all_present = bool(present.all())
        # (A multiplication by a presence flag of 1.0 is exact, so with every
        # dimension present those products are skipped.)
        self.mu = mu if all_present else np.where(present, mu, 0.5)
        self.specs = specs
        sigma = np.asarray(sigma, dtype=float)
        if sigma.ndim == 1:
            sigma = np.broadcast_to(sigma, mu.shape)
        self.sigma = np.where(np.isnan(sigma), 1.0, sigma)
        sigma = self.sigma
        self.cat_smoothing = np.empty(len(specs))
        self.cat_smoothing[:] = cat_smoothing
        self.log_eps = math.log(eps)
        w = np.empty(mu.shape[0] + 1)
        w[:-1] = weights
        w[-1] = prior_weight
        w /= w.sum()
        if w.all():
            self.log_w = np.log(w)
        else:
            with np.errstate(divide="ignore"):
                self.log_w = np.log(w)
        n = mu.shape[0]
        pf = present.astype(float)
        # Dimensions by how their kernel is evaluated: Gaussian terms in the
        # matrix product (continuous, and grids whose cells are all narrower
        # than every kernel), lookup tables (categoricals), and exact cell
        # masses computed at query time for the cells queried (other grids).
        gauss, table, exact = [], [], []
        for j, spec in enumerate(specs):
            if spec.kind == CONTINUOUS:
                gauss.append(j)
            elif spec.kind == CATEGORICAL:
                table.append(j)
            elif n == 0 or sigma[:, j].min() >= _max_cell_width(spec):
                gauss.append(j)
            else:
                exact.append(j)
        self._gauss, self._table, self._exact = gauss, table, exact
        self._exact_groups: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        # Log-density of the uniform prior per dimension (LOG_INT: per cell).
        arrays = _spec_arrays(tuple(specs))
        self._uni_const = arrays.uni_const
        self._log_int = arrays.log_int
        numeric = self._numeric = list(arrays.numeric)
        self._log_norm = np.zeros(mu.shape)
        if numeric and n:
            m, s = self.mu[:, numeric], sigma[:, numeric]
            a, b = -m / s, (1.0 - m) / s
            if m.size <= 256:  # few kernels: masking costs more than it saves
                log_norm = log_interval_mass(a, b)
            else:
                # Kernels more than 8.5 sigma inside both bounds lose < 1e-16
                # of their mass to truncation: log-normaliser 0, no CDF needed
                # (the CDF difference would round to exactly 1 anyway).
                near = (a > -8.5) | (b < 8.5)
                log_norm = np.zeros(m.shape)
                log_norm[near] = log_interval_mass(a[near], b[near])
            self._log_norm[:, numeric] = log_norm
        blocks = []
        if gauss:
            if gauss == numeric and n:
                p = pf[:, numeric]
            else:
                g = np.array(gauss)
                m, s, log_norm = self.mu[:, g], sigma[:, g], self._log_norm[:, g]
                p = pf[:, g]
            inv = 1.0 / s**2
            const = -0.5 * m * m * inv - np.log(s) - _LOG_SQRT_2PI
            const = const - log_norm
            if all_present:
                blocks += [-0.5 * inv, m * inv, const, p]
            else:
                blocks += [-0.5 * p * inv, p * m * inv, p * const, p]
        for j in table:
            block = self._table_block(j)
            blocks.append(block if all_present else block * pf[:, j : j + 1])
        self._h_core = np.concatenate(blocks, axis=1) if blocks else np.zeros((n, 0))
        self._pf = pf
        self._h_pres: np.ndarray | None = None  # built on first need
        for j in exact:
            # Grid components sit at cell centres and share few bandwidths:
            # cell masses are computed once per distinct (centre, bandwidth).
            key = self.mu[:, j] + 1j * sigma[:, j]
            _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
            self._exact_groups[j] = (first, inverse)

    def _presence_table(self) -> np.ndarray:
        """Component features of the presence factors: ``[1 - present, present]``."""
        if self._h_pres is None:
            self._h_pres = np.concatenate([1.0 - self._pf, self._pf], axis=1)
        return self._h_pres

    def _table_block(self, j: int) -> np.ndarray:
        """Log-probability of every choice of a categorical under each component."""
        b, k = float(self.cat_smoothing[j]), self.specs[j].n
        out = np.full((self.mu.shape[0], k), math.log(b / k))
        # A present component's centre is a choice index; absent ones (0.5)
        # match no choice.
        rows = np.flatnonzero(self.present[:, j])
        out[rows, self.mu[rows, j].astype(np.intp)] = math.log(1.0 - b + b / k)
        return out

    @property
    def n_components(self) -> int:
        """Number of data components (the prior excluded)."""
        return self.mu.shape[0]

    # -- log-densities ---------------------------------------------------------
    def _uniform_log(self, j: int, x: np.ndarray) -> np.ndarray:
        """Log-density (or cell mass) of ``x`` under the uniform prior."""
        spec = self.specs[j]
        if spec.kind == CONTINUOUS:
            return np.zeros_like(x)
        if spec.kind in (CATEGORICAL, DISCRETE):
            return np.full_like(x, -math.log(spec.n))
        lo_e, hi_e = cell_edges(spec, x)
        return np.log(hi_e - lo_e)

    def _joint(
        self, x: np.ndarray, xp: np.ndarray, *, partial: bool = False
    ) -> np.ndarray:
        """Unnormalised log-posterior of each component (prior last): (C, n+1).

        With ``partial``, dimensions a point lacks are unknown (not yet drawn)
        rather than absent, and contribute nothing.
        """
        n_c, n_dims = x.shape
        # With every dimension present (the usual case) the presence products
        # are multiplications by 1.0, which are exact and skipped.
        all_x = bool(xp.all())
        xz = x if all_x else np.where(xp, x, 0.0)
        pf = xp.astype(float)
        uni = np.empty((n_c, n_dims))
        uni[:] = self._uni_const
        for j in self._log_int:
            uni[:, j] = self._uniform_log(
                j, x[:, j] if all_x else np.where(xp[:, j], x[:, j], 0.5)
            )
        if not all_x:
            uni *= pf
        out = np.empty((n_c, self.n_components + 1))
        out[:, -1] = uni.sum(axis=1)
        if self.n_components:
            feats = []
            if self._gauss:
                g = self._gauss
                xg, pg = xz[:, g], pf[:, g]
                if all_x:
                    feats += [xg * xg, xg, pg, uni[:, g]]
                else:
                    feats += [pg * xg * xg, pg * xg, pg, uni[:, g]]
            for j in self._table:
                spec = self.specs[j]
                idx = np.minimum(np.maximum(xz[:, j], 0), spec.n - 1).astype(np.intp)
                onehot = np.zeros((n_c, spec.n))
                onehot[np.arange(n_c), idx] = 1.0 if all_x else pf[:, j]
                feats.append(onehot)
            acc = out[:, :-1]
            if feats:
                _matmul_into(np.concatenate(feats, axis=1), self._h_core, acc)
            else:
                acc[:] = 0.0
            for j in self._exact:
                acc += self._exact_term(j, x[:, j], xp[:, j])
            if partial:
                if not self.all_present:
                    n_d = self.present.shape[1]
                    acc += _matmul(
                        pf * (self.log_eps + uni), self._presence_table()[:, :n_d]
                    )
            elif not (self.all_present and xp.all()):
                f_pres = np.concatenate(
                    [pf * (self.log_eps + uni), (1.0 - pf) * self.log_eps], axis=1
                )
                acc += _matmul(f_pres, self._presence_table())
        out += self.log_w[None, :]
        return out

    def _exact_term(self, j: int, x: np.ndarray, xp: np.ndarray) -> np.ndarray:
        """Exact log cell masses of the queried points' cells: (C, n)."""
        out = np.zeros((len(x), self.n_components))
        if not xp.any():
            return out
        lo_e, hi_e = cell_edges(self.specs[j], x[xp])
        # Points share few cells: compute each cell's masses once.
        cells, first, inverse = np.unique(lo_e, return_index=True, return_inverse=True)
        comp, comp_inverse = self._exact_groups[j]
        lk = truncnorm_log_cell_mass(
            cells[:, None],
            hi_e[first][:, None],
            self.mu[comp, j][None, :],
            self.sigma[comp, j][None, :],
            0.0,
            1.0,
            log_norm=self._log_norm[comp, j][None, :],
            exact_tails=False,
        )
        lk = lk[inverse][:, comp_inverse]
        out[xp] = np.where(self.present[:, j][None, :], lk, 0.0)
        return out

    def log_pdf(self, x: np.ndarray, present: np.ndarray) -> np.ndarray:
        """Log-density of points ``x`` (C, n_dims) with presence ``present``."""
        acc = self._joint(x, present)
        top = acc.max(axis=1, keepdims=True)
        # float32 exp is several times faster and exact enough for a sum
        # whose largest term is 1.
        e = np.exp((acc - top).astype(np.float32))
        return top[:, 0] + np.log(e.sum(axis=1, dtype=np.float64))

    # -- sampling ----------------------------------------------------------------
    def sample(
        self,
        rng: np.random.Generator,
        n: int,
        *,
        fixed: np.ndarray | None = None,
        fixed_present: np.ndarray | None = None,
        require: int | None = None,
        signatures: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``n`` points, conditioned on the dimensions already fixed.

        Components are chosen with probability proportional to their weight
        times their kernel at the fixed values (the conditional of a mixture),
        then each free dimension the component has is drawn from its kernel.

        Parameters
        ----------
        rng : numpy.random.Generator
        n : int
        fixed, fixed_present : ndarray of shape (n_dims,) or None
            Values already decided and which dimensions they cover.
        require : int or None
            A dimension every draw must have (only components having it, and the
            prior, are used).
        signatures : ndarray of bool, shape (m, n_dims), or None
            Presence patterns to give draws from the prior (one chosen at
            random per draw); all dimensions when None.

        Returns
        -------
        x, present : ndarrays of shape (n, n_dims)
        """
        n_dims = len(self.specs)
        if fixed is None or fixed_present is None:
            fixed = np.full(n_dims, np.nan)
            fixed_present = np.zeros(n_dims, dtype=bool)
        any_fixed = bool(fixed_present.any())
        if any_fixed:
            logp = self._joint(fixed[None, :], fixed_present[None, :], partial=True)[0]
        else:
            logp = self.log_w
        if require is not None and not self.all_present:
            has = np.ones(self.n_components + 1, dtype=bool)
            has[:-1] = self.present[:, require]
            logp = np.where(has, logp, -np.inf)
        cum = np.cumsum(np.exp(logp - logp.max()))
        comp = np.searchsorted(cum, rng.random(n) * cum[-1], side="right")
        comp = np.minimum(comp, len(cum) - 1)
        from_prior = comp == self.n_components
        free = ~fixed_present
        pres = np.zeros((n, n_dims), dtype=bool)
        if self.all_present:
            pres[~from_prior] = True
        elif self.n_components:
            pres[~from_prior] = self.present[comp[~from_prior]]
        if from_prior.any():
            if signatures is None or len(signatures) == 0:
                pres[from_prior] = True
            else:
                if require is not None and signatures[:, require].any():
                    signatures = signatures[signatures[:, require]]
                if len(signatures) == 1:  # (draws nothing from rng either)
                    pres[from_prior] = signatures[0]
                else:
                    pick = rng.integers(len(signatures), size=int(from_prior.sum()))
                    pres[from_prior] = signatures[pick]
        if require is not None:
            pres[:, require] = True
        if any_fixed:
            pres &= free[None, :]
        x = np.full((n, n_dims), np.nan)
        safe = np.minimum(comp, max(self.n_components - 1, 0))
        num = [j for j in self._numeric if free[j]]
        cat = [j for j in self._table if free[j]]
        if self.n_components:
            mu_s = self.mu[safe]
            # Components that have each dimension (all of them, usually).
            use = ~from_prior[:, None]
            if not self.all_present:
                use = use & self.present[safe]
        if num:
            vals = rng.random((n, len(num)))
            if self.n_components:
                ok = use if self.all_present else use[:, num]
                drawn = truncnorm_sample(
                    rng, mu_s[:, num], self.sigma[safe][:, num], 0.0, 1.0
                )
                vals = np.where(ok, drawn, vals)
            for i, j in enumerate(num):
                if self.specs[j].kind != CONTINUOUS:
                    vals[:, i] = snap(self.specs[j], vals[:, i])
            x[:, num] = vals
        if cat:
            k = np.array([self.specs[j].n for j in cat], dtype=float)
            vals = np.floor(rng.random((n, len(cat))) * k[None, :])
            if self.n_components:
                keep = rng.random((n, len(cat))) >= self.cat_smoothing[cat][None, :]
                use_own = keep & (use if self.all_present else use[:, cat])
                vals = np.where(use_own, mu_s[:, cat], vals)
            x[:, cat] = vals
        if not pres.all():
            x[~pres] = np.nan
        if any_fixed:
            x[:, fixed_present] = fixed[fixed_present]
            pres[:, fixed_present] = True
        return x, pres

    def resample_correlated(
        self, rng: np.random.Generator, x: np.ndarray, fraction: float
    ) -> None:
        """Redraw a ``fraction`` of the points ``x`` (drawn from this estimator,
        every dimension present) from full-covariance kernels, in place.

        The product kernels see each dimension on its own; where the good
        trials lie along a diagonal ridge, candidates spread along it only
        through these. Each redrawn point is ``mu_i + h L z`` for a component
        ``i`` chosen by weight: ``L L^T`` is the weighted covariance of the
        components' numeric coordinates plus ``diag((s_j / 2)^2)`` (``s_j``
        the median bandwidth in dimension ``j``, so that directions the
        components do not span keep a narrow spread), and ``h = n ** (-1 /
        (d + 4))`` is Scott's factor (Scott 1992). Draws outside the unit box
        are redrawn up to 20 times, then clipped; grids are snapped to their
        cells. As in CMA-ES (Hansen and Ostermeier 2001), the spread follows
        the shape of the good region; here the shape is read from the good
        group rather than adapted over generations.

        Nothing is redrawn with fewer than two components or none of positive
        weight, some dimension absent (conditional spaces), or no numeric
        dimension.
        """
        n_comp, num = self.n_components, self._numeric
        if not self.all_present or n_comp < 2 or not num:
            return
        k = int(round(fraction * len(x)))
        if k == 0:
            return
        model = self._correlated_model()
        if model is None:
            return
        w, mu, chol, cols = model  # (chol transposed)
        rows = rng.choice(len(x), size=k, replace=False)
        comp = rng.choice(n_comp, size=k, p=w)
        out = _truncated_draws(rng, mu[comp], chol)
        for i, j in enumerate(num):
            if self.specs[j].kind != CONTINUOUS:
                out[:, i] = snap(self.specs[j], out[:, i])
        x[rows[:, None], cols] = out

    def _correlated_model(
        self,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """Weights, numeric centres, scaled Cholesky factor and numeric
        columns of the full-covariance kernels (computed once: a good group's
        estimator serves many proposals); None without positive weights."""
        try:
            return self.__dict__["_correlated"]
        except KeyError:
            pass
        num = self._numeric
        w = np.exp(self.log_w[:-1])
        model = None
        if w.sum() > 0:  # (user weights all zero: only the prior is left)
            w = w / w.sum()
            mu = self.mu[:, num]
            dev = mu - w @ mu
            spread = np.median(self.sigma[:, num], axis=0) / 2.0
            cov = (w[:, None] * dev).T @ dev + np.diag(spread**2)
            scale = self.n_components ** (-1.0 / (len(num) + 4))
            # (transposed: draws are rows, z @ L^T)
            chol_t = np.ascontiguousarray(np.linalg.cholesky(cov).T) * scale
            model = w, mu, chol_t, np.array(num)
        self.__dict__["_correlated"] = model
        return model


def _truncated_draws(
    rng: np.random.Generator, centre: np.ndarray, chol_t: np.ndarray, tries: int = 20
) -> np.ndarray:
    """``centre + z @ chol_t`` per row, with ``z`` standard normal and redrawn
    until the point lies in the unit box (``tries`` rounds, then clipped)."""
    k, d = centre.shape
    out = np.empty((k, d))
    todo = np.arange(k)
    for _ in range(tries):
        y = centre + rng.standard_normal((len(todo), d)) @ chol_t
        outside = ((y < 0.0) | (y > 1.0)).any(axis=1)
        inside = ~outside
        out[todo[inside]] = y[inside]
        todo, centre = todo[outside], centre[outside]
        if not len(todo):
            return out
    y = centre + rng.standard_normal((len(todo), d)) @ chol_t
    out[todo] = np.clip(y, 0.0, 1.0)
    return out
