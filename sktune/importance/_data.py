"""From trials to design matrices, one per group of conditional parameters.

A parameter absent from a trial is never imputed. Parameters are grouped by
the set of trials that have them; each group is analysed on exactly those
trials, with every parameter those trials all have as an input. The
evaluators scale a group's result by its share of the total variance of the
target (law of total variance), ``P(group) * Var(y | group) / Var(y)``, and
analyse nested groups first. Without conditional parameters there is one
group, of weight 1.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress
from operator import attrgetter, itemgetter
from typing import Any

import numpy as np

from sktune._frozen import FrozenTrial, TrialState
from sktune.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    merge_distributions,
)
from sktune.importance._source import Source
from sktune.samplers._transform import to_unit

__all__ = ["Group", "prepare"]


@dataclass
class Group:
    """Trials sharing a presence pattern, as a design matrix.

    ``mask`` selects the group's trials among all; ``dims[i]`` are the columns
    of ``names[i]`` (an int, or an array of one-hot columns); ``own`` are the
    indices in ``names`` whose importance this group decides.
    """

    X: np.ndarray
    mask: np.ndarray
    names: list[str]
    dims: list[int | np.ndarray]
    own: list[int]

    @property
    def own_columns(self) -> np.ndarray:
        """Columns of the parameters this group decides."""
        return np.concatenate([np.atleast_1d(self.dims[i]) for i in self.own])


def _encode(
    params: Sequence[dict[str, Any]], name: str, dist: BaseDistribution
) -> np.ndarray:
    """Columns of one parameter: unit value, or one-hot for a categorical."""
    if isinstance(dist, CategoricalDistribution):
        # Indices in the (possibly merged) choice list, not the trial's own.
        # a trial's value is usually the choice object itself: look it up by
        # identity, and fall back to the distribution's own matching
        by_id = {id(c): float(i) for i, c in enumerate(dist.choices)}
        index = np.array(
            [
                by_id[id(v)] if id(v) in by_id else dist.to_internal_repr(v)
                for v in map(itemgetter(name), params)
            ],
            dtype=float,
        )
        k = len(dist.choices)
        return (index.astype(int)[:, None] == np.arange(k)).astype(float)
    # a numeric parameter's value is its own internal float
    internal = np.fromiter(
        map(itemgetter(name), params), dtype=float, count=len(params)
    )
    return to_unit(dist, internal)[:, None]


def complete_trials(
    source: Source,
) -> tuple[list[FrozenTrial], np.ndarray]:
    """Complete trials with a finite target, and their target values."""
    trials, values = [], []
    for t in source.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        v = source.value(t)
        if v is not None and math.isfinite(v):
            trials.append(t)
            values.append(v)
    return trials, np.asarray(values, dtype=float)


@dataclass
class KeyPatterns:
    """The trials' parameter names: each distinct key tuple once, and the
    index of each trial's tuple (trials mostly share one)."""

    params: list[dict[str, Any]]
    patterns: dict[tuple, int]
    index: np.ndarray

    @classmethod
    def of(cls, trials: Sequence[FrozenTrial]) -> KeyPatterns:
        params = list(map(attrgetter("params"), trials))
        patterns: dict[tuple, int] = {}
        index = np.fromiter(
            (patterns.setdefault(tuple(p), len(patterns)) for p in params),
            dtype=np.intp,
            count=len(params),
        )
        return cls(params, patterns, index)


def check_params(
    params: Sequence[str] | None,
    trials: Sequence[FrozenTrial],
    owner: str,
    keys: KeyPatterns | None = None,
) -> list[str]:
    """The requested parameter names, or every parameter of ``trials``."""
    seen: dict[str, None] = {}
    for names in (keys or KeyPatterns.of(trials)).patterns:
        seen.update(dict.fromkeys(names))
    if params is None:
        return list(seen)
    ok = isinstance(params, Iterable) and not isinstance(params, (str, bytes))
    if ok:
        params = list(params)  # a one-shot iterator is read once
    if not ok or not all(isinstance(p, str) for p in params):
        raise TypeError(
            f"The 'params' parameter of {owner} must be a list of parameter "
            f"names or None. Got {params!r} instead."
        )
    unknown = [p for p in params if p not in seen]
    if unknown:
        raise ValueError(
            f"The 'params' parameter of {owner} must name parameters of the "
            f"study's complete trials {sorted(seen)}. Got unknown {unknown!r}."
        )
    return list(dict.fromkeys(params))


def prepare(
    trials: Sequence[FrozenTrial],
    names: Sequence[str],
    keys: KeyPatterns | None = None,
) -> tuple[list[Group], list[str]]:
    """Groups to analyse, most specific first, and the parameters with a
    single value (importance 0).

    Groups come in increasing number of trials, so that a group nested in
    another (the parameters of one branch) is analysed before it.
    """
    keys = keys or KeyPatterns.of(trials)
    params = keys.params
    distributions = list(map(attrgetter("distributions"), trials))
    # presence through each trial's key pattern
    present = {
        n: np.array([n in names_ for names_ in keys.patterns])[keys.index]
        for n in names
    }
    dists = {}
    for n in names:
        found = list(map(itemgetter(n), compress(distributions, present[n].tolist())))
        # distinct objects first (cheap), then distinct values
        if len(set(map(id, found))) == 1:
            distinct = found[:1]
        else:
            distinct = list(dict.fromkeys({id(d): d for d in found}.values()))
        try:
            dists[n] = merge_distributions(n, distinct)
        except ValueError as exc:
            raise ValueError(f"{exc} Its importance is undefined.") from None
    single = [n for n in names if dists[n].single()]
    varying = [n for n in names if not dists[n].single()]
    patterns: dict[bytes, list[str]] = {}
    for n in varying:
        patterns.setdefault(present[n].tobytes(), []).append(n)
    groups = []
    for own_names in patterns.values():
        mask = present[own_names[0]]
        rows = list(compress(params, mask.tolist()))
        # inputs: every varying parameter these trials all have
        inputs = [n for n in varying if present[n][mask].all()]
        blocks, dims, col = [], [], 0
        for n in inputs:
            block = _encode(rows, n, dists[n])
            blocks.append(block)
            width = block.shape[1]
            if isinstance(dists[n], CategoricalDistribution):
                dims.append(np.arange(col, col + width))
            else:
                dims.append(col)
            col += width
        X = np.hstack(blocks) if blocks else np.empty((len(rows), 0))
        own = [inputs.index(n) for n in own_names]
        groups.append(Group(X, mask, inputs, dims, own))
    groups.sort(key=lambda g: int(g.mask.sum()))
    return groups, single
