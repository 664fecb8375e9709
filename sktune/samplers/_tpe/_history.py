"""The trials a TPE sampler learns from, as arrays, updated incrementally.

Each (parameter name, distribution) pair is one dimension, so a name whose
range differs between branches or trials never mixes incompatible values.
Finished trials never change: they are encoded once, and each call only looks
at trials after the first one that was not yet finished.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sktune._frozen import FrozenTrial, TrialState
from sktune.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from sktune.samplers._tpe._parzen import (
    CATEGORICAL,
    CONTINUOUS,
    DISCRETE,
    LOG_INT,
    DimSpec,
)

__all__ = ["History", "decode", "encode", "spec_of"]

COMPLETE, PRUNED, RUNNING = 0, 1, 2


def spec_of(dist: BaseDistribution) -> DimSpec:
    """Kernel-space description of a (non-single) distribution."""
    if isinstance(dist, CategoricalDistribution):
        return DimSpec(CATEGORICAL, len(dist.choices))
    assert isinstance(dist, (FloatDistribution, IntDistribution))
    if isinstance(dist, IntDistribution) and dist.log:
        return DimSpec(LOG_INT, dist.high - dist.low + 1, dist.low, dist.high)
    if dist.step is None:
        return DimSpec(CONTINUOUS)
    n = int(round((dist.high - dist.low) / dist.step)) + 1
    return DimSpec(DISCRETE, n)


def encode(dist: BaseDistribution, internal: float) -> float:
    """Internal value -> kernel space (``[0, 1]``, or the choice index)."""
    if isinstance(dist, CategoricalDistribution):
        return internal
    assert isinstance(dist, (FloatDistribution, IntDistribution))
    low, high = dist.low, dist.high
    if isinstance(dist, IntDistribution) and dist.log:
        lo, hi = math.log(low - 0.5), math.log(high + 0.5)
        return (math.log(min(max(internal, low), high)) - lo) / (hi - lo)
    if dist.log:
        lo, hi = math.log(low), math.log(high)
        return min(max((math.log(max(internal, low)) - lo) / (hi - lo), 0.0), 1.0)
    if dist.step is None:
        return min(max((internal - low) / (high - low), 0.0), 1.0)
    n = int(round((high - low) / dist.step)) + 1
    k = min(max(round((internal - low) / dist.step), 0), n - 1)
    return (k + 0.5) / n


def decode(dist: BaseDistribution, u: float) -> float:
    """Kernel space -> internal value (inverse of :func:`encode`)."""
    if isinstance(dist, CategoricalDistribution):
        return float(min(max(int(u), 0), len(dist.choices) - 1))
    assert isinstance(dist, (FloatDistribution, IntDistribution))
    low, high = dist.low, dist.high
    u = min(max(u, 0.0), 1.0)
    if isinstance(dist, IntDistribution) and dist.log:
        lo, hi = math.log(low - 0.5), math.log(high + 0.5)
        return float(min(max(round(math.exp(lo + u * (hi - lo))), low), high))
    if dist.log:
        lo, hi = math.log(low), math.log(high)
        return min(max(math.exp(lo + u * (hi - lo)), low), high)
    if dist.step is None:
        return min(max(low + u * (high - low), low), high)
    n = int(round((high - low) / dist.step)) + 1
    k = min(int(u * n), n - 1)
    value = low + k * dist.step
    if isinstance(dist, IntDistribution):
        return float(int(round(value)))
    return min(max(value, low), high)


class History:
    """Encoded trials of one study: values, presence, losses and ranks.

    ``x[i, j]`` is trial ``i``'s value of dimension ``j`` in kernel space (NaN
    when absent), ``loss`` the value to minimise (the objective, negated when
    maximising; for pruned trials the last intermediate value), ``kind`` one of
    COMPLETE / PRUNED, ``step`` a pruned trial's last step.
    """

    def __init__(self) -> None:
        self.dim_keys: list[tuple[str, BaseDistribution]] = []
        self.dists: list[BaseDistribution] = []
        self.specs: list[DimSpec] = []
        self.index: dict[tuple[str, BaseDistribution], int] = {}
        self.n = 0
        self._x = np.full((64, 8), np.nan)
        self.loss = np.zeros(64)
        self.kind = np.zeros(64, dtype=np.int8)
        self.step = np.zeros(64)
        self.number = np.zeros(64, dtype=np.int64)
        self._prefix = 0
        self._done: set[int] = set()
        self.signatures: dict[tuple[int, ...], np.ndarray] = {}
        self.max_dims = 0
        self._sig_cache: np.ndarray | None = None
        # The unfinished trials at the last update (running ones, for the liar).
        self.running: list[FrozenTrial] = []
        self._count_cache: tuple[int, np.ndarray] | None = None
        # (categorical dimension, choice) -> signatures it was seen with.
        self.cat_seen: dict[tuple[int, int], set[tuple[int, ...]]] = {}
        #: The latest good-group estimators by what they were fitted on (the
        #: sampler reuses one while its good group stays the same).
        self.good_cache: dict[Any, Any] = {}

    # -- dimensions ------------------------------------------------------------
    def dim(self, name: str, dist: BaseDistribution, *, create: bool) -> int | None:
        """Index of a dimension (registered on first sight when ``create``)."""
        key = (name, dist)
        j = self.index.get(key)
        if j is None and create:
            j = len(self.dim_keys)
            self.index[key] = j
            self.dim_keys.append(key)
            self.dists.append(dist)
            self.specs.append(spec_of(dist))
            if j >= self._x.shape[1]:
                grown = np.full((self._x.shape[0], 2 * self._x.shape[1]), np.nan)
                grown[:, : self._x.shape[1]] = self._x
                self._x = grown
        return j

    @property
    def n_dims(self) -> int:
        """Number of dimensions seen so far."""
        return len(self.dim_keys)

    @property
    def x(self) -> np.ndarray:
        """Encoded finished trials, shape (n, n_dims)."""
        return self._x[: self.n, : self.n_dims]

    def encode_params(
        self, trial: FrozenTrial, *, create: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """A trial's parameters as a row of values and of presence flags."""
        row: dict[int, float] = {}
        dists = trial.distributions
        for name, value in trial.params.items():
            dist = dists[name]
            if dist.single():
                continue
            j = self.dim(name, dist, create=create)
            if j is None:
                continue
            try:
                internal = dist.to_internal_repr(value)
            except (TypeError, ValueError):
                continue
            row[j] = encode(dist, internal)
        x = np.full(self.n_dims, np.nan)
        if row:
            x[list(row)] = list(row.values())
        return x, ~np.isnan(x)

    # -- trials ------------------------------------------------------------------
    def _append(self, row: np.ndarray, loss: float, kind: int, step: float, num: int):
        if self.n == self._x.shape[0]:
            cap = 2 * self.n
            grown = np.full((cap, self._x.shape[1]), np.nan)
            grown[: self.n] = self._x
            self._x = grown
            self.loss = np.resize(self.loss, cap)
            self.kind = np.resize(self.kind, cap)
            self.step = np.resize(self.step, cap)
            self.number = np.resize(self.number, cap)
        i = self.n
        self._x[i, : len(row)] = row
        self.loss[i] = loss
        self.kind[i] = kind
        self.step[i] = step
        self.number[i] = num
        self.n += 1
        present = ~np.isnan(row)
        sig = tuple(int(j) for j in np.flatnonzero(present))
        self.signatures.setdefault(sig, present)
        for j in sig:
            if self.specs[j].kind == CATEGORICAL:
                self.cat_seen.setdefault((j, int(row[j])), set()).add(sig)
        self.max_dims = max(self.max_dims, int(present.sum()))

    def update(self, trials: list[FrozenTrial], sign: float) -> list[FrozenTrial]:
        """Encode newly finished trials; return the running ones (with params).

        ``sign`` is +1 when minimising and -1 when maximising.
        """
        running: list[FrozenTrial] = []
        done = self._done
        for t in trials[self._prefix :]:
            state = t.state
            if not state.is_finished():
                if state == TrialState.RUNNING and t.params:
                    running.append(t)
                continue
            if t.number in done:
                continue
            done.add(t.number)
            if state == TrialState.COMPLETE and t.value is not None:
                row, _ = self.encode_params(t, create=True)
                loss = sign * t.value
                self._append(
                    row, loss if loss == loss else math.inf, COMPLETE, 0, t.number
                )
            elif state == TrialState.PRUNED and t.params:
                row, _ = self.encode_params(t, create=True)
                step = t.last_step
                if step is None:
                    loss, step = math.inf, -1
                else:
                    v = t.intermediate_values[step]
                    loss = sign * v if v == v else math.inf
                self._append(row, loss, PRUNED, step, t.number)
        # Advance past the leading run of finished trials.
        while self._prefix < len(trials) and trials[self._prefix].number in done:
            done.discard(trials[self._prefix].number)
            self._prefix += 1
        return running

    def feasible(self, x: np.ndarray, present: np.ndarray) -> np.ndarray:
        """Whether each point's presence pattern fits its categorical values.

        In a conditional space the parameters a trial has follow from its
        choices (a branch index, a model kind). A point is infeasible when one
        of its choices was only ever seen with other sets of parameters; choices
        never seen are given the benefit of the doubt.
        """
        ok = np.ones(len(x), dtype=bool)
        if len(self.signatures) <= 1:
            return ok
        sigs = self.signature_array()
        d = min(present.shape[1], sigs.shape[1])
        # Index of each point's presence pattern among those seen (-1: none).
        same = (present[:, None, :d] == sigs[None, :, :d]).all(axis=2)
        if present.shape[1] > d:
            same &= ~present[:, d:].any(axis=1)[:, None]
        sig_id = np.where(same.any(axis=1), same.argmax(axis=1), -1)
        keys = list(self.signatures)
        for (j, choice), seen in self.cat_seen.items():
            if j >= d:
                continue
            allowed = np.array([key in seen for key in keys] + [False])
            has = present[:, j] & (x[:, j] == choice)
            ok &= ~has | allowed[sig_id]
        return ok

    def structural(self) -> np.ndarray:
        """Categorical dimensions whose choice decides which others exist."""
        out = np.zeros(self.n_dims, dtype=bool)
        kinds: dict[int, set[frozenset]] = {}
        for (j, _), sigs in self.cat_seen.items():
            kinds.setdefault(j, set()).add(frozenset(sigs))
        for j, k in kinds.items():
            out[j] = len(k) > 1
        return out

    def _counts(self) -> np.ndarray:
        """Finished trials having each dimension."""
        cached = self._count_cache
        if cached is None or cached[0] != self.n or len(cached[1]) != self.n_dims:
            cached = (self.n, (~np.isnan(self.x)).sum(axis=0))
            self._count_cache = cached
        return cached[1]

    def conditional(self, j: int) -> bool:
        """Whether some finished trial lacks dimension ``j``."""
        return bool(self._counts()[j] < self.n)

    def unconditional(self) -> np.ndarray:
        """Indices of the dimensions every finished trial has."""
        return np.flatnonzero(self._counts() == self.n)

    def signature_array(self) -> np.ndarray:
        """Distinct presence patterns seen, shape (m, n_dims)."""
        d = self.n_dims
        cached = self._sig_cache
        if cached is not None and cached.shape == (len(self.signatures), d):
            return cached
        out = np.zeros((len(self.signatures), d), dtype=bool)
        for i, cols in enumerate(self.signatures):
            out[i, list(cols)] = True
        self._sig_cache = out
        return out
