"""scikit-learn parameter spaces translated into sktune distributions.

:func:`build_search_space` validates a ``param_distributions`` (or a
``param_grid``) the way scikit-learn users write it and turns it into a
:class:`SearchSpace`, which suggests parameters on a define-by-run
:class:`~sktune.Trial` and turns stored trial parameters back into the values
``set_params`` needs.

What the study stores for each parameter, under its scikit-learn name:

* sktune and Optuna distributions: themselves (Optuna ones translated to the
  sktune class of the same name).
* lists, tuples and 1-d arrays: a :class:`~sktune.distributions.CategoricalDistribution`
  of their distinct elements (compared by value, first occurrence kept).
* ranges: an :class:`~sktune.distributions.IntDistribution` with the range's
  bounds and step (the same values, but ordered, which TPE can exploit).
* ``scipy.stats.loguniform(a, b)`` (= ``reciprocal``) with ``loc=0``:
  ``FloatDistribution(a * scale, b * scale, log=True)``; ``uniform(loc, scale)``:
  ``FloatDistribution(loc, loc + scale)``; ``randint(low, high)`` with an integer
  ``loc``: ``IntDistribution(low + loc, high - 1 + loc)``.
* every other frozen ``scipy.stats`` distribution, continuous or discrete:
  ``FloatDistribution(0.0, 1.0)`` holding the CDF level ``q``; the value is
  ``dist.ppf(q)``, with ``q`` clipped to ``[1e-9, 1 - 1e-9]`` on a side where
  the support is unbounded (and from below to 1e-9 for every discrete
  distribution, so values whose cumulative mass from below is under 1e-9 are
  never proposed) and the result clipped to the support; where scipy's ppf
  fails deep in a tail, the value at the edge of that tail where it works.
  Discrete distributions give ints. Use :meth:`SearchSpace.to_sklearn_params` to turn
  stored ``q`` back into values.
* a list of dicts: the branch index under ``"__space__"`` (a categorical over
  ``range(k)``, only when ``k > 1``), then the branch's parameters.

A space is finite when every parameter is (choices, ints, stepped floats,
discrete scipy distributions with at most 100 000 support points);
:attr:`SearchSpace.size` then counts its distinct points. To evaluate no point
twice, a search keys each trial with :meth:`SearchSpace.point_key` (by value:
branch and scikit-learn values), replaces a duplicate proposal with
:meth:`SearchSpace.draw_unseen` (uniform over the unseen points, drawn lazily)
and queues it with ``Study.enqueue_trial(space.to_enqueue(point))``.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from sktune.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    OpaqueChoice,
    _choice_key,
    check_distribution_compatibility,
)
from sktune.exceptions import InvalidParameterError

__all__ = ["BRANCH_PARAM", "CDF_ATTR", "SearchSpace", "build_search_space"]

#: Study-side name of the branch index of a list-of-dicts space.
BRANCH_PARAM = "__space__"

#: Study system attribute holding the scipy distributions seen through a CDF.
CDF_ATTR = "sklearn_space_cdf"

# CDF levels are kept this far from 0 and 1 on an unbounded side of a support.
_Q_EPS = 1e-9
# A discrete scipy distribution with at most this many support points counts as
# finite (it can be enumerated); larger ones are treated as infinite.
_MAX_DISCRETE_SUPPORT = 100_000
# Random draws tried before :meth:`SearchSpace.draw_unseen` scans the space.
_MAX_REJECTIONS = 100

_OPTUNA_MODULE = "optuna.distributions"


class _SpaceError:
    """Builds the errors of one ``build_search_space`` call."""

    def __init__(self, owner: str) -> None:
        self.owner = owner

    def __call__(
        self, rule: str, value: Any, name: str | None = None, branch: int | None = None
    ) -> InvalidParameterError:
        where = " be"
        if name is not None:
            where = f" map {name!r}" + (
                f" (in dict {branch})" if branch is not None else ""
            )
            where += " to"
        return InvalidParameterError(
            f"The 'param_distributions' parameter of {self.owner} must{where} "
            f"{rule}. Got {value!r} instead."
        )


# -- one parameter ----------------------------------------------------------------
class _Param:
    """One parameter of one branch: the study-side distribution and the codec."""

    name: str
    source: Any
    distribution: BaseDistribution

    @property
    def count(self) -> int | None:
        """Number of distinct values, None when infinite."""
        raise NotImplementedError

    def value_at(self, j: int) -> Any:
        """Study-side value of the ``j``-th distinct value (finite params)."""
        raise NotImplementedError

    def draw_index(self, rng: np.random.Generator) -> int:
        """Index of a value drawn from the parameter's prior (finite params):
        uniform, except for a distribution searched through its CDF."""
        assert self.count is not None
        return int(rng.integers(self.count))

    def weight_of(self, value: Any) -> float:
        """Prior probability of the study-side ``value``, up to a constant."""
        return 1.0

    def suggest(self, trial: Any) -> Any:
        """Suggest on ``trial`` and return the study-side value."""
        raise NotImplementedError

    def decode(self, value: Any) -> Any:
        """Study-side value to scikit-learn value."""
        raise NotImplementedError

    def key(self, value: Any) -> Any:
        """Hashable identity of the scikit-learn value behind ``value``."""
        raise NotImplementedError


class _NativeParam(_Param):
    """A parameter the study holds as its own value (no re-encoding)."""

    def __init__(self, name: str, source: Any, distribution: BaseDistribution) -> None:
        self.name = name
        self.source = source
        self.distribution = distribution
        self._distinct: list[int] | None = None
        self._canon: list[int] | None = None
        if isinstance(distribution, CategoricalDistribution):
            # Indices of the first occurrence of each distinct choice, and the
            # canonical index of every index.
            self._canon = canonical_choices(distribution.choices)
            self._distinct = sorted(set(self._canon))

    @property
    def count(self) -> int | None:
        d = self.distribution
        if self._distinct is not None:
            return len(self._distinct)
        if isinstance(d, IntDistribution):
            return (d.high - d.low) // d.step + 1
        assert isinstance(d, FloatDistribution)
        if d.step is not None:
            return int(round((d.high - d.low) / d.step)) + 1
        return 1 if d.low == d.high else None

    def value_at(self, j: int) -> Any:
        d = self.distribution
        if self._distinct is not None:
            assert isinstance(d, CategoricalDistribution)
            return d.choices[self._distinct[j]]
        if isinstance(d, IntDistribution):
            if isinstance(self.source, range) and self.source.step < 0:
                return self.source[j]  # (GridSearchCV's order: as given)
            return d.low + j * d.step
        assert isinstance(d, FloatDistribution)
        if d.step is None:
            return d.low
        return min(d.low + j * d.step, d.high)

    def suggest(self, trial: Any) -> Any:
        d = self.distribution
        if isinstance(d, CategoricalDistribution):
            # The distribution built once: a new one per trial would key every
            # choice again (milliseconds for thousands of choices).
            return trial._suggest(self.name, d)
        if isinstance(d, IntDistribution):
            return trial.suggest_int(self.name, d.low, d.high, step=d.step, log=d.log)
        assert isinstance(d, FloatDistribution)
        return trial.suggest_float(self.name, d.low, d.high, step=d.step, log=d.log)

    def decode(self, value: Any) -> Any:
        d = self.distribution
        if isinstance(d, CategoricalDistribution):
            return d.choices[self._choice_index(value)]
        if isinstance(d, IntDistribution):
            return int(round(float(value)))
        return float(value)

    def key(self, value: Any) -> Any:
        d = self.distribution
        if self._canon is not None:
            return self._canon[self._choice_index(value)]
        if isinstance(d, IntDistribution):
            return int(round(float(value)))
        assert isinstance(d, FloatDistribution)
        if d.step is not None:
            return int(round((float(value) - d.low) / d.step))
        return float(value)

    def _choice_index(self, value: Any) -> int:
        """Index of the choice ``value`` stands for: by value, so that choices
        read back from storage (OpaqueChoice) find the live objects, and by
        position for choices of the same text (the stored and live lists
        match: check_compatible)."""
        d = self.distribution
        assert isinstance(d, CategoricalDistribution)
        i = int(d.to_internal_repr(value))
        index = getattr(value, "index", None)
        if (
            isinstance(value, OpaqueChoice)
            and index is not None
            and index < len(d.choices)
            and d._keys[index] == d._keys[i]
        ):
            return index
        return i


class _CDFParam(_Param):
    """A scipy.stats distribution the study sees through its CDF level ``q``."""

    def __init__(self, name: str, source: Any, frozen: Any, discrete: bool) -> None:
        self.name = name
        self.source = source
        self.distribution = FloatDistribution(0.0, 1.0)
        self._frozen = frozen
        self.discrete = discrete
        self.description = _describe_scipy(
            frozen.rv if isinstance(frozen, _RandomVariable) else frozen
        )
        lo, hi = (float(b) for b in frozen.support())
        self._lo, self._hi = lo, hi
        # (Discrete: also on a bounded low side, as stored studies have it;
        # values whose cumulative mass from below is under 1e-9 are left out.)
        self._q_lo = _Q_EPS if (discrete or math.isinf(lo)) else 0.0
        self._q_hi = 1.0 - _Q_EPS if math.isinf(hi) else 1.0
        # For a small finite discrete support: a q inside each value's CDF step
        # (only values this decoder reaches; tiny tail masses may vanish).
        self._levels: list[float] | None = None
        self._level_of: dict[Any, int] = {}  # decoded value -> level index
        self._masses: list[float] = []  # each level's probability
        # Integer values, except for rv_discrete(values=...) of floats.
        xk = getattr(getattr(frozen, "dist", frozen), "xk", None)
        self._ints = xk is None or np.issubdtype(np.asarray(xk).dtype, np.integer)
        if discrete and math.isfinite(lo) and math.isfinite(hi):
            points = self._support_points(lo, hi)
            if points is not None:
                self._levels, self._masses = self._discrete_levels(points)
                self._level_of = {self.key(q): j for j, q in enumerate(self._levels)}

    def _ppf(self, q: Any) -> np.ndarray:
        """The decoder on arrays: clipped ``q`` in, clipped values out."""
        q = np.clip(np.asarray(q, dtype=float), self._q_lo, self._q_hi)
        try:
            with np.errstate(all="ignore"):
                x = np.asarray(self._frozen.ppf(q), dtype=float)
        except Exception:  # scipy's root finding may raise deep in a tail
            # (One failing level must not take the others with it.)
            x = np.vectorize(self._ppf_or_nan, otypes=[float])(q)
        if np.isnan(x).any():
            x = np.where(np.isnan(x), self._ppf_nearer(q), x)
        return np.clip(x, self._lo, self._hi)

    def _ppf_nearer(self, q: np.ndarray) -> np.ndarray:
        """Where scipy's ppf fails (some distributions, deep in a tail: it
        raises for norminvgauss from about 1 - 1e-4), the value at the edge
        of the tail where it works, so that values still grow with ``q``;
        every level where it works keeps its own value."""
        edges = self.__dict__.setdefault("_edges", {})
        out = np.empty(q.shape)
        for i, qi in np.ndenumerate(q):
            upper = bool(qi > 0.5)
            if upper not in edges:
                edges[upper] = self._ppf_or_nan(self._edge_level(upper))
            out[i] = edges[upper]
        return out

    def _ppf_or_nan(self, level: float) -> float:
        try:
            with np.errstate(all="ignore"):
                return float(self._frozen.ppf(level))
        except Exception:  # scipy's root finding may raise deep in a tail
            return math.nan

    def _edge_level(self, upper: bool) -> float:
        """The most extreme level of one tail where scipy's ppf works: the
        first working decade of tail mass (1e-9, 1e-8, ...), then a bisection
        of the log tail mass between it and the failing decade before it."""

        def level(log_tail: float) -> float:
            return 1.0 - 10.0**log_tail if upper else 10.0**log_tail

        def works(log_tail: float) -> bool:
            return not math.isnan(self._ppf_or_nan(level(log_tail)))

        for k in range(9, 0, -1):
            if works(-k):
                break
        else:
            return 0.5
        if k == 9:
            return level(-9)
        bad, good = -k - 1.0, -float(k)
        for _ in range(20):
            mid = (bad + good) / 2.0
            bad, good = (bad, mid) if works(mid) else (mid, good)
        return level(good)

    def _support_points(self, lo: float, hi: float) -> np.ndarray | None:
        """The support of a discrete distribution, if small enough to list.

        ``rv_discrete(values=(xk, pk))`` lists its points (any reals, shifted
        by ``loc``); other scipy discrete distributions live on the integers.
        """
        frozen = self._frozen
        dist = getattr(frozen, "dist", frozen)
        xk = getattr(dist, "xk", None)
        if xk is not None and np.ndim(xk) == 1:
            loc = float(getattr(frozen, "kwds", {}).get("loc", 0.0))
            args = getattr(frozen, "args", ())
            if args:  # rv_sample has no shape: a positional argument is loc
                loc = float(args[0])
            points = np.unique(np.asarray(xk, dtype=float) + loc)
            if len(points) > _MAX_DISCRETE_SUPPORT:
                return None
            return points[(points >= lo) & (points <= hi)]
        if hi - lo + 1 > _MAX_DISCRETE_SUPPORT:
            return None
        return np.arange(lo, hi + 1.0)

    def _discrete_levels(self, ks: np.ndarray) -> tuple[list[float], list[float]]:
        """A level ``q`` for each reachable value, and the value's probability."""
        cdf = np.asarray(self._frozen.cdf(ks), dtype=float)
        prev = np.concatenate([[0.0], cdf[:-1]])
        # The middle of each value's CDF step; keep the values it decodes to
        # (steps lost to float resolution or to the clipping are unreachable).
        qs = (prev + cdf) / 2.0
        ok = (cdf > prev) & (self._ppf(qs) == ks)
        return [float(q) for q in qs[ok]], [float(m) for m in (cdf - prev)[ok]]

    @property
    def count(self) -> int | None:
        return None if self._levels is None else len(self._levels)

    def value_at(self, j: int) -> Any:
        assert self._levels is not None
        return self._levels[j]

    def draw_index(self, rng: np.random.Generator) -> int:
        # The value's own probability, as RandomizedSearchCV draws it (a value
        # whose CDF step the decoder cannot reach falls back to uniform).
        j = self._level_of.get(self.key(rng.uniform(self._q_lo, self._q_hi)))
        return super().draw_index(rng) if j is None else j

    def weight_of(self, value: Any) -> float:
        j = self._level_of.get(self.key(value))
        return 1.0 if j is None else self._masses[j]

    def suggest(self, trial: Any) -> Any:
        return trial.suggest_float(self.name, 0.0, 1.0)

    def decode(self, value: Any) -> Any:
        x = float(self._ppf(float(value)))
        if self.discrete and self._ints and x == round(x):
            return int(round(x))
        return x

    def key(self, value: Any) -> Any:
        return self.decode(value)


# -- translation of one value --------------------------------------------------------
def _is_optuna_distribution(value: Any) -> bool:
    return type(value).__module__.startswith(_OPTUNA_MODULE)


def _from_optuna(value: Any) -> BaseDistribution:
    kind = type(value).__name__
    if kind == "FloatDistribution":
        return FloatDistribution(value.low, value.high, log=value.log, step=value.step)
    if kind == "IntDistribution":
        return IntDistribution(value.low, value.high, log=value.log, step=value.step)
    if kind == "CategoricalDistribution":
        return CategoricalDistribution(value.choices)
    # Names Optuna deprecated in 3.0, still found in old code.
    if kind == "UniformDistribution":
        return FloatDistribution(value.low, value.high)
    if kind == "LogUniformDistribution":
        return FloatDistribution(value.low, value.high, log=True)
    if kind == "DiscreteUniformDistribution":
        return FloatDistribution(value.low, value.high, step=value.q)
    if kind == "IntUniformDistribution":
        return IntDistribution(value.low, value.high, step=getattr(value, "step", 1))
    if kind == "IntLogUniformDistribution":
        return IntDistribution(value.low, value.high, log=True)
    raise TypeError(f"unknown Optuna distribution {kind}")


def _frozen_scipy(value: Any) -> tuple[Any, bool] | None:
    """``(frozen, discrete)`` for scipy.stats distributions, else None."""
    from scipy import stats

    if isinstance(value, (stats.rv_continuous, stats.rv_discrete)):
        # An unfrozen distribution object (norm, rv_histogram(...)): freeze it;
        # one that needs shape parameters (beta) fails later, in support().
        try:
            frozen = value()
        except TypeError:
            frozen = value
        return frozen, isinstance(value, stats.rv_discrete)
    dist = getattr(value, "dist", None)
    if isinstance(dist, (stats.rv_continuous, stats.rv_discrete)) and hasattr(
        value, "ppf"
    ):
        return value, isinstance(dist, stats.rv_discrete)
    return None


class _RandomVariable:
    """The ``ppf``/``cdf``/``support`` view of a scipy >= 1.15 random variable
    (``scipy.stats.Normal(mu=0, sigma=1)`` and friends), which names its
    inverse CDF ``icdf``.
    """

    def __init__(self, rv: Any) -> None:
        self.rv = rv

    def __reduce__(self) -> tuple:
        # scipy 1.17 unpickles Normal(mu, sigma) as a standard normal (its
        # __new__ picks StandardNormal when called without parameters), so the
        # named families are rebuilt from their parameters instead.
        rv = self.rv
        params = getattr(rv, "_original_parameters", None)
        if type(rv).__module__.endswith("_new_distributions") and isinstance(
            params, dict
        ):
            return (_rebuild_random_variable, (type(rv), dict(params)))
        return (_RandomVariable, (rv,))

    def ppf(self, q: Any) -> Any:
        return self.rv.icdf(q)

    def cdf(self, x: Any) -> Any:
        return self.rv.cdf(x)

    def support(self) -> tuple[Any, Any]:
        return self.rv.support()


def _rebuild_random_variable(cls: type, params: dict[str, Any]) -> _RandomVariable:
    return _RandomVariable(cls(**params))


def _random_variable(value: Any) -> tuple[Any, bool] | None:
    """``(view, discrete)`` for scipy's new random variables, else None."""
    if not type(value).__module__.startswith("scipy.stats"):
        return None
    if not all(callable(getattr(value, m, None)) for m in ("icdf", "cdf", "support")):
        return None
    discrete = any(c.__name__ == "DiscreteDistribution" for c in type(value).__mro__)
    return _RandomVariable(value), discrete


def _native_scipy(frozen: Any, lo: float, hi: float) -> BaseDistribution | None:
    """The sktune distribution equal to a well-known bounded scipy one, if any."""
    if isinstance(frozen, _RandomVariable):
        return (
            FloatDistribution(lo, hi) if type(frozen.rv).__name__ == "Uniform" else None
        )
    name = frozen.dist.name
    if name not in ("loguniform", "reciprocal", "uniform", "randint"):
        return None
    try:
        # scipy's own argument parser: (shape args, loc, scale).
        _, loc, _ = frozen.dist._parse_args(*frozen.args, **frozen.kwds)
    except Exception:
        return None
    if name == "uniform":
        return FloatDistribution(lo, hi)
    if name == "randint":
        if float(loc) != round(float(loc)):
            return None
        return IntDistribution(int(lo), int(hi))
    # loguniform stays log-uniform under scaling, not under shifting.
    if loc != 0:
        return None
    return FloatDistribution(lo, hi, log=True)


def _describe_scipy(value: Any) -> str:
    """Canonical text of a scipy distribution (same text for ``norm(1)`` and
    ``norm(loc=1.0)``), to notice when a resumed search changed it.

    Distributions defined by data (``rv_discrete(values=...)``,
    ``rv_histogram``) carry a digest of their data, which their name lacks.
    """
    dist = getattr(value, "dist", None)
    digest = _data_digest(value if dist is None else dist)
    if dist is None or not hasattr(value, "args"):
        return _Shown(value).text + digest
    try:
        shapes, loc, scale = dist._parse_args(*value.args, **value.kwds)
    except Exception:
        return _Shown(value).text + digest
    args = [repr(float(a)) for a in shapes]
    args += [f"loc={float(loc)!r}", f"scale={float(scale)!r}"]
    return f"scipy.stats.{dist.name}({', '.join(args)}){digest}"


_DIGEST_SEP = " of data "


def _data_digest(dist: Any) -> str:
    data = [getattr(dist, a, None) for a in ("xk", "pk", "_hpdf", "_hbins")]
    if all(d is None for d in data):
        return ""
    from joblib import hash as digest  # a run-time dependency

    return f"{_DIGEST_SEP}{digest([type(dist).__name__, *data])}"


class _Shown:
    """Readable stand-in for a scipy distribution in error messages."""

    def __init__(self, value: Any) -> None:
        dist = getattr(value, "dist", value)
        args = [repr(a) for a in getattr(value, "args", ())]
        args += [f"{k}={v!r}" for k, v in getattr(value, "kwds", {}).items()]
        if hasattr(value, "icdf"):
            self.text = f"scipy.stats.{value!r}"
            return
        self.text = f"scipy.stats.{getattr(dist, 'name', type(dist).__name__)}"
        if hasattr(value, "dist"):
            self.text += f"({', '.join(args)})"

    def __repr__(self) -> str:
        return self.text


def _is_sequence(value: Any) -> bool:
    if isinstance(value, (str, bytes, Mapping)):
        return False
    return isinstance(value, (Sequence, np.ndarray))


def _translate(name: str, value: Any, err: _SpaceError, branch: int | None) -> _Param:
    def fail(rule: str, shown: Any = value) -> InvalidParameterError:
        return err(rule, shown, name, branch)

    if isinstance(value, BaseDistribution):
        if not isinstance(
            value, (FloatDistribution, IntDistribution, CategoricalDistribution)
        ):
            raise fail("a Float, Int or CategoricalDistribution")
        return _NativeParam(name, value, value)
    if _is_optuna_distribution(value):
        try:
            dist = _from_optuna(value)
        except (InvalidParameterError, TypeError, AttributeError) as exc:
            raise fail(f"a valid distribution ({exc})") from None
        return _NativeParam(name, value, dist)
    scipy_dist = _frozen_scipy(value) or _random_variable(value)
    if scipy_dist is None and "_multivariate" in type(value).__module__:
        raise fail(
            "a univariate distribution (a multivariate scipy.stats one draws "
            "vectors; give each coordinate its own parameter)"
        )
    if scipy_dist is None and callable(getattr(value, "rvs", None)):
        raise fail(
            "a frozen scipy.stats distribution, an sktune distribution or a list "
            "(an object with only an 'rvs' method cannot be used: TPE needs its "
            "CDF)"
        )
    if scipy_dist is not None:
        return _translate_scipy(name, value, scipy_dist, fail)
    if isinstance(value, str):
        raise fail(
            "a distribution or a non-empty list of values (wrap a single "
            "value in a list)"
        )
    if _is_sequence(value):
        return _translate_sequence(name, value, fail)
    raise fail(
        "a distribution (sktune, Optuna or frozen scipy.stats) or a non-empty "
        "list of values"
    )


def _translate_scipy(name: str, value: Any, scipy_dist: Any, fail: Any) -> _Param:
    frozen, discrete = scipy_dist
    rule = "a scipy.stats distribution with valid parameters"
    try:
        lo, hi = (float(b) for b in frozen.support())
        mid = float(frozen.ppf(0.5))
    except Exception:
        raise fail(rule, _Shown(value)) from None
    if math.isnan(lo) or math.isnan(hi) or math.isnan(mid) or not lo <= hi:
        raise fail(rule, _Shown(value))
    native = _native_scipy(frozen, lo, hi)
    if native is not None:
        return _NativeParam(name, value, native)
    return _CDFParam(name, value, frozen, discrete)


def _translate_sequence(name: str, value: Any, fail: Any) -> _Param:
    if isinstance(value, np.ndarray) and value.ndim != 1:
        raise fail("a one-dimensional array")
    if len(value) == 0:
        raise fail("a non-empty list of values")
    if isinstance(value, range):
        lo, hi = min(value), max(value)
        return _NativeParam(name, value, IntDistribution(lo, hi, step=abs(value.step)))
    # Distinct choices only, so that no point of the space is evaluated twice.
    values = list(value)
    canon = canonical_choices(values)
    choices = [c for i, c in enumerate(values) if canon[i] == i]
    return _NativeParam(name, value, CategoricalDistribution(choices))


def canonical_choices(choices: Sequence[Any]) -> list[int]:
    """For each choice, the index of the first choice that is the same one.

    Values JSON can hold (numbers, strings, None, tuples and lists of them)
    are the same when equal. Other objects (estimators, arrays, ...) only when
    they are the same object: their text (parameters, ``repr``) may not tell
    two of them apart, for example two fitted estimators or two long arrays.

    Examples
    --------
    >>> import numpy as np
    >>> canonical_choices([1, 2.0, 1, None, None])
    [0, 1, 0, 3, 3]
    >>> a = np.zeros(3)
    >>> canonical_choices([a, np.zeros(3), a])
    [0, 1, 0]
    """
    first: dict[str, int] = {}
    opaque: dict[str, list[int]] = {}
    out = []
    for i, c in enumerate(choices):
        key = _choice_key(c)
        if not (key.startswith("{") and '"__opaque__"' in key):
            out.append(first.setdefault(key, i))
            continue
        same = [j for j in opaque.setdefault(key, []) if choices[j] is c]
        if same:
            out.append(same[0])
        else:
            opaque[key].append(i)
            out.append(i)
    return out


# -- names ----------------------------------------------------------------------
def _check_names(
    params: dict[str, _Param], estimator: Any, err: _SpaceError, branch: int | None
) -> None:
    """Each name must be a parameter of ``estimator``, or of every estimator
    chosen for one of its prefixes in the same dict (``{"clf": [SVC()],
    "clf__C": ...}``), or of the step of that name in every list of steps set
    in the same dict: a choice without it would fail in ``set_params`` in the
    middle of the search.
    """
    if not hasattr(estimator, "get_params"):
        return
    base_values = estimator.get_params(deep=True)
    base = set(base_values)
    where = f" (in dict {branch})" if branch is not None else ""
    for name in sorted(params):
        replaced = _replaced_by(name, params, base_values)
        if replaced is None and name in base:
            continue
        if replaced is not None and not replaced[1]:
            continue
        if replaced is not None and replaced[2] == 0:
            raise InvalidParameterError(
                f"The 'param_distributions' parameter of {err.owner} must not "
                f"name a transformer of {replaced[0]!r} set in the same "
                f"dict{where}, nor its parameters: ColumnTransformer.set_params "
                f"gives them to the transformer being replaced, so they would "
                f"never reach a fit (set them in the transformers of each choice "
                f"instead). Got {name!r} instead."
            )
        if replaced is None or len(replaced[1]) == replaced[2]:
            chosen = f" (nor of any choice for {replaced[0]!r})" if replaced else ""
            raise InvalidParameterError(
                f"The 'param_distributions' parameter of {err.owner} must name "
                f"parameters of the {type(estimator).__name__}{chosen}{where}; "
                f"{name!r} is not one. Valid parameters are: {sorted(base)!r}. "
                f"Got {name!r} instead."
            )
        owner, lacking, _ = replaced
        raise InvalidParameterError(
            f"The 'param_distributions' parameter of {err.owner} must name, for "
            f"{owner!r} set in the same dict{where}, a parameter of every choice; "
            f"{name!r} fails for the choice {_short(lacking[0])} (give each "
            f"choice its own dict in a list of dicts). Got {name!r} instead."
        )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _accepts(est: Any, rest: str) -> bool:
    if not rest:
        return True
    return hasattr(est, "get_params") and rest in est.get_params(deep=True)


def _choices(param: _Param | None) -> list[Any] | None:
    dist = getattr(param, "distribution", None)
    return list(dist.choices) if isinstance(dist, CategoricalDistribution) else None


#: Parameters holding a list of ``(name, estimator, ...)`` items: a dict that
#: sets them may also set parameters of the estimators they bring, since
#: ``set_params`` sets the list first; except ColumnTransformer's
#: ``transformers``, whose ``set_params`` gives nested parameters to the
#: transformers being replaced.
_STEP_LISTS = ("steps", "transformers", "transformer_list", "estimators")


def _lists_before(
    key: str, params: dict[str, _Param], base_values: Mapping[str, Any]
) -> list[Any]:
    """The lists of steps ``key`` may hold before the dict sets it: those of
    the objects chosen for its deepest owner set in the same dict, else the
    estimator's own."""
    parts = key.split("__")
    for j in range(len(parts) - 1, 0, -1):
        owner = "__".join(parts[:j])
        if owner in params:
            rest = "__".join(parts[j:])
            return [
                c.get_params(deep=True).get(rest)
                for c in _choices(params[owner]) or ()
                if hasattr(c, "get_params")
            ]
    return [base_values.get(key)]


def _step_of(steps: Any, step: str) -> list[Any]:
    items = steps if isinstance(steps, list | tuple) else ()
    return [
        item[1]
        for item in items
        if isinstance(item, list | tuple) and len(item) >= 2 and item[0] == step
    ]


def _replaced_by(
    name: str, params: dict[str, _Param], base_values: Mapping[str, Any]
) -> tuple[str, list[Any], int] | None:
    """What the same dict puts in place of an owner of ``name``.

    ``set_params`` sets an object (``"clf"``), then a list of steps of it
    (``"clf__steps"``), then the parameters nested in them, so the deepest
    such owner set in the dict decides (at one depth, the list of steps).
    Returns None if the dict sets no owner of ``name``, else the owner's
    name, its choices that do not accept ``name``, and how many choices it
    has (0 for ColumnTransformer's ``transformers``, which accepts none).
    """
    parts = name.split("__")
    for i in range(len(parts) - 1, -1, -1):
        owner = "__".join(parts[:i])
        step, rest = parts[i], "__".join(parts[i + 1 :])
        for attr in _STEP_LISTS:
            key = f"{owner}__{attr}" if owner else attr
            choices = _choices(params.get(key))
            # A list of steps decides for a step one of its choices brings or
            # that it takes away from the estimator's own list.
            if choices is None:
                continue
            brought = [_step_of(c, step) for c in choices]
            if not any(brought) and not any(
                _step_of(before, step)
                for before in _lists_before(key, params, base_values)
            ):
                continue
            if attr == "transformers":
                return key, choices, 0
            bad = [
                c
                for c, found in zip(choices, brought, strict=True)
                if not found or not _accepts(found[0], rest)
            ]
            return key, bad, len(choices)
        if i and owner in params:
            rest = "__".join(parts[i:])
            choices = _choices(params[owner])
            if choices is None:  # a number, not an object with parameters
                return owner, [params[owner].source], 1
            return owner, [c for c in choices if not _accepts(c, rest)], len(choices)
    return None


# -- the space ------------------------------------------------------------------------
class SearchSpace:
    """A validated scikit-learn search space; build it with
    :func:`build_search_space`.

    Attributes
    ----------
    branches : list of dict of str to BaseDistribution
        Study-side distribution of every parameter, one dict per branch (one
        branch for a dict, one per dict for a list of dicts), sorted by name.
    sources : list of dict
        What the user gave for each parameter, one dict per branch.
    param_names : list of str
        Every scikit-learn parameter name across branches, sorted.
    size : int or None
        Number of distinct points (summed over branches), or None when some
        parameter is continuous.

    Examples
    --------
    >>> from scipy.stats import loguniform, norm
    >>> from sktune.sklearn._space import build_search_space
    >>> space = build_search_space(
    ...     [{"kernel": ["rbf"], "gamma": loguniform(1e-4, 1e-1)},
    ...      {"kernel": ["linear"], "C": [0.1, 1.0, 10.0]}])
    >>> space.param_names
    ['C', 'gamma', 'kernel']
    >>> space.branches[0]["gamma"]
    FloatDistribution(low=0.0001, high=0.1, log=True, step=None)
    >>> space.size is None
    True
    >>> space.to_sklearn_params({"__space__": 1, "C": 10.0, "kernel": "linear"})
    {'C': 10.0, 'kernel': 'linear'}
    >>> build_search_space({"alpha": norm(0, 1)}).to_sklearn_params({"alpha": 0.5})
    {'alpha': 0.0}
    """

    def __init__(self, branches: list[dict[str, _Param]]) -> None:
        self._params = [dict(sorted(b.items())) for b in branches]
        self.branches: list[dict[str, BaseDistribution]] = [
            {n: p.distribution for n, p in b.items()} for b in self._params
        ]
        self.sources: list[dict[str, Any]] = [
            {n: p.source for n, p in b.items()} for b in self._params
        ]
        self.param_names: list[str] = sorted({n for b in self._params for n in b})
        sizes = [self._branch_size(b) for b in self._params]
        self._branch_sizes = sizes
        self.size: int | None = None if None in sizes else sum(sizes)  # type: ignore[arg-type]

    @staticmethod
    def _branch_size(params: dict[str, _Param]) -> int | None:
        size = 1
        for p in params.values():
            n = p.count
            if n is None:
                return None
            size *= n
        return size

    @property
    def n_branches(self) -> int:
        """Number of branches (dicts) of the space.

        Examples
        --------
        >>> from sktune.sklearn._space import build_search_space
        >>> build_search_space([{"a": [1]}, {"b": [2]}]).n_branches
        2
        """
        return len(self._params)

    def __repr__(self) -> str:
        return f"SearchSpace(branches={self.branches!r})"

    # -- suggest and decode ---------------------------------------------------------
    def suggest(self, trial: Any) -> dict[str, Any]:
        """Suggest a point on ``trial`` and return its scikit-learn parameters.

        The branch is suggested first (as ``"__space__"``, when there are
        several), then the branch's parameters in name order. Choices are
        returned as they are (not copied): clone before fitting.

        Parameters
        ----------
        trial : Trial
            A running sktune trial.

        Returns
        -------
        dict
            Parameters for ``estimator.set_params``; equal to
            ``self.to_sklearn_params(trial.params)``.

        Examples
        --------
        >>> import sktune
        >>> from sktune.sklearn._space import build_search_space
        >>> space = build_search_space({"C": [1, 10], "tol": [1e-4]})
        >>> space.suggest(sktune.create_study().ask())["tol"]
        0.0001
        """
        branch = 0
        if len(self._params) > 1:
            branch = trial.suggest_categorical(
                BRANCH_PARAM, list(range(len(self._params)))
            )
        values = {n: p.suggest(trial) for n, p in self._params[branch].items()}
        return self._decode(branch, values)

    def _branch_of(self, params: Mapping[str, Any]) -> int:
        if len(self._params) == 1:
            return 0
        if BRANCH_PARAM not in params:
            raise ValueError(
                f"The parameters {dict(params)!r} have no {BRANCH_PARAM!r} entry, "
                f"which a space of {len(self._params)} dicts needs."
            )
        branch = params[BRANCH_PARAM]
        if isinstance(branch, numbers.Real) and branch == int(branch):
            branch = int(branch)
        if not isinstance(branch, int) or not 0 <= branch < len(self._params):
            raise ValueError(
                f"{BRANCH_PARAM!r} must be an int in [0, {len(self._params) - 1}]. "
                f"Got {branch!r} instead."
            )
        return branch

    def _decode(self, branch: int, params: Mapping[str, Any]) -> dict[str, Any]:
        out = {}
        for name, p in self._params[branch].items():
            if name not in params:
                raise ValueError(
                    f"Parameter {name!r} of dict {branch} is missing from "
                    f"{dict(params)!r}."
                )
            out[name] = p.decode(params[name])
        return out

    def to_sklearn_params(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Turn study-side parameters (``FrozenTrial.params``) into
        scikit-learn ones.

        Drops ``"__space__"``, maps stored categorical choices (also those read
        back from storage by their repr) to the live objects and CDF levels of
        scipy distributions to values. Names outside the trial's branch are
        ignored.

        Parameters
        ----------
        params : dict
            Study-side parameters of one trial.

        Returns
        -------
        dict

        Examples
        --------
        >>> from scipy.stats import expon
        >>> from sktune.sklearn._space import build_search_space
        >>> space = build_search_space({"alpha": expon(scale=2.0)})
        >>> round(space.to_sklearn_params({"alpha": 0.5})["alpha"], 4)
        1.3863
        """
        return self._decode(self._branch_of(params), params)

    # -- finite spaces --------------------------------------------------------------
    def point_key(self, params: Mapping[str, Any]) -> tuple | None:
        """Hashable identity of the point behind study-side ``params``.

        Two trials get the same key exactly when they hold the same branch and
        the same scikit-learn values (categorical choices compared by value,
        CDF levels by the value they decode to). None when ``params`` is not a
        point of this space (wrong branch, missing name, unknown choice).

        Parameters
        ----------
        params : dict
            Study-side parameters (``FrozenTrial.params``).

        Returns
        -------
        tuple or None

        Examples
        --------
        >>> from sktune.sklearn._space import build_search_space
        >>> space = build_search_space({"k": ["a", "b"], "n": range(1, 4)})
        >>> space.point_key({"k": "b", "n": 2}) == space.point_key({"k": "b", "n": 2.0})
        True
        """
        try:
            branch = self._branch_of(params)
            return (
                branch,
                tuple((n, p.key(params[n])) for n, p in self._params[branch].items()),
            )
        except (KeyError, ValueError, TypeError, IndexError):
            return None

    def check_grid(self, grid: Mapping[str, Any]) -> None:
        """Refuse a GridSampler grid this space cannot follow, before any fit.

        Its names must be the space's (with ``"__space__"``, the indices of
        the dicts, for a list of dicts), and none may be a scipy distribution:
        the study sees those through their CDF levels, not their values.

        Examples
        --------
        >>> from scipy.stats import expon
        >>> from sktune.sklearn._space import build_search_space
        >>> space = build_search_space({"alpha": expon(scale=10)})
        >>> space.check_grid({"alpha": [0.5, 1.0]})
        Traceback (most recent call last):
        ...
        ValueError: The GridSampler's grid lists values for 'alpha', ...
        """
        names = set(self.param_names)
        unknown = sorted(str(n) for n in grid if n not in names and n != BRANCH_PARAM)
        if unknown:
            raise ValueError(
                f"The GridSampler's grid names {unknown}, which the "
                f"param_distributions lack (its parameters: {sorted(names)})."
            )
        if len(self._params) > 1 and BRANCH_PARAM not in grid:
            raise ValueError(
                "A GridSampler over a list of dicts needs the key "
                f"'{BRANCH_PARAM}' in its grid: the indices of the dicts to "
                f"search, e.g. '{BRANCH_PARAM}': {list(range(len(self._params)))}."
            )
        for branch in self._params:
            for name, p in branch.items():
                if name in grid and isinstance(p, _CDFParam):
                    raise ValueError(
                        f"The GridSampler's grid lists values for {name!r}, "
                        f"which is searched through the CDF of {p.description}: "
                        "give it as a list of values in param_distributions "
                        "instead."
                    )
                d = p.distribution
                if name in grid and isinstance(d, CategoricalDistribution):
                    for value in grid[name]:
                        try:
                            d.to_internal_repr(value)
                        except ValueError:
                            raise ValueError(
                                f"The GridSampler's grid lists {value!r} for "
                                f"{name!r}, which is not one of its choices "
                                f"{list(d.choices)!r} in param_distributions "
                                "(in a list of dicts, every dict with the name "
                                "must list every value of the grid)."
                            ) from None

    def _check_finite(self) -> int:
        if self.size is None:
            raise ValueError(
                "The search space is infinite (it has a continuous parameter); "
                "its points cannot be enumerated."
            )
        return self.size

    def point_at(self, index: int) -> dict[str, Any]:
        """The ``index``-th point of a finite space, as study-side parameters.

        Points are numbered branch by branch, in the order of
        :meth:`iter_points`; nothing is materialised.

        Parameters
        ----------
        index : int
            In ``[0, size)``.

        Returns
        -------
        dict
            Study-side parameters, with ``"__space__"`` when there are several
            branches (pass them to :meth:`to_sklearn_params`, or to
            ``Study.enqueue_trial`` via :meth:`to_enqueue`).

        Examples
        --------
        >>> from sktune.sklearn._space import build_search_space
        >>> space = build_search_space({"a": [1, 2], "b": ["x", "y", "z"]})
        >>> space.size, space.point_at(4)
        (6, {'a': 2, 'b': 'y'})
        """
        size = self._check_finite()
        if not 0 <= index < size:
            raise IndexError(f"Point index {index} is outside [0, {size}).")
        return self._point_in_branch(*self._branch_at(index))

    def iter_points(self) -> Iterator[dict[str, Any]]:
        """Lazily yield every point of a finite space once (study-side).

        Examples
        --------
        >>> from sktune.sklearn._space import build_search_space
        >>> space = build_search_space([{"a": [1, 2]}, {"b": [None]}])
        >>> for point in space.iter_points():
        ...     print(point)
        {'__space__': 0, 'a': 1}
        {'__space__': 0, 'a': 2}
        {'__space__': 1, 'b': None}
        """
        self._check_finite()
        for branch, params in enumerate(self._params):
            items = list(params.items())
            ranges = [range(p.count or 0) for _, p in items]
            for js in itertools.product(*ranges):
                point: dict[str, Any] = {}
                if len(self._params) > 1:
                    point[BRANCH_PARAM] = branch
                for (name, p), j in zip(items, js):
                    point[name] = p.value_at(j)
                yield point

    def draw_unseen(
        self, random_state: Any, seen: set | frozenset
    ) -> dict[str, Any] | None:
        """Draw a point of a finite space whose key is not in ``seen``.

        From the prior (uniform over the points, except that a discrete scipy
        distribution weighs its values by their probabilities), rejecting seen
        points; uniform over the unseen ones when rejection takes too long.
        Used to replace a duplicate proposal.

        Parameters
        ----------
        random_state : int, numpy Generator, RandomState or None
            Source of randomness.
        seen : set
            :meth:`point_key` of the points already evaluated.

        Returns
        -------
        dict or None
            Study-side parameters, or None when every point has been seen.

        Examples
        --------
        >>> from sktune.sklearn._space import build_search_space
        >>> space = build_search_space({"a": [1, 2, 3]})
        >>> seen = {space.point_key({"a": 1}), space.point_key({"a": 3})}
        >>> space.draw_unseen(0, seen)
        {'a': 2}
        """
        size = self._check_finite()
        rng = random_state
        if not hasattr(rng, "random"):
            rng = np.random.default_rng(rng)

        def randbelow(n: int) -> int:
            if n < 2**62:
                return int(
                    rng.integers(n) if hasattr(rng, "integers") else rng.randint(n)
                )
            return min(int(rng.random() * n), n - 1)

        if len(seen) < size:
            gen = _generator(rng)
            for _ in range(_MAX_REJECTIONS):
                point = self._prior_point(self._branch_at(randbelow(size))[0], gen)
                if self.point_key(point) not in seen:
                    return point
        unseen = [p for p in self.iter_points() if self.point_key(p) not in seen]
        if not unseen:
            return None
        weights = np.array([self._prior_weight(p) for p in unseen])
        if not weights.sum() > 0:
            return unseen[randbelow(len(unseen))]
        u = float(rng.random()) * weights.sum()
        j = int(np.searchsorted(np.cumsum(weights), u, side="right"))
        return unseen[min(j, len(unseen) - 1)]

    def _prior_weight(self, point: Mapping[str, Any]) -> float:
        """Prior probability of a point within its branch, up to a constant."""
        params = self._params[int(point.get(BRANCH_PARAM, 0))]
        return float(np.prod([p.weight_of(point[n]) for n, p in params.items()]))

    @property
    def has_finite_branch(self) -> bool:
        """Whether some branch has finitely many points (duplicates there
        are replaced even when another branch is continuous)."""
        return any(size is not None for size in self._branch_sizes)

    def in_finite_branch(self, key: tuple | None) -> bool:
        """Whether the :meth:`point_key` ``key`` lies in a finite branch."""
        return key is not None and self._branch_sizes[key[0]] is not None

    def draw_replacement(
        self, random_state: Any, seen: set | frozenset
    ) -> dict[str, Any] | None:
        """A point (or a branch) to try instead of a repeated one, in a space
        where only some branches are finite.

        Branches are tried in random order: a continuous branch gives
        ``{"__space__": b}`` (the sampler draws the rest), a finite one an
        unseen point of it. None when every branch is finite and seen.

        Examples
        --------
        >>> from scipy.stats import uniform
        >>> from sktune.sklearn._space import build_search_space
        >>> space = build_search_space([{"a": [1]}, {"b": uniform(0, 1)}])
        >>> space.draw_replacement(0, {space.point_key({"__space__": 0, "a": 1})})
        {'__space__': 1}
        """
        rng = random_state
        if not hasattr(rng, "permutation"):
            rng = np.random.default_rng(rng)
        for branch in (int(b) for b in rng.permutation(len(self._params))):
            size = self._branch_sizes[branch]
            if size is None:
                return {BRANCH_PARAM: branch} if len(self._params) > 1 else None
            taken = sum(1 for k in seen if k is not None and k[0] == branch)
            if taken >= size:
                continue
            gen = _generator(rng)
            for _ in range(_MAX_REJECTIONS):
                point = self._prior_point(branch, gen)
                if self.point_key(point) not in seen:
                    return point
            order = rng.permutation(size) if size <= 100_000 else None
            for j in order if order is not None else range(size):
                point = self._point_in_branch(branch, int(j))
                if self.point_key(point) not in seen:
                    return point
        return None

    def _branch_at(self, index: int) -> tuple[int, int]:
        """The branch of the ``index``-th point of a finite space, and the
        point's index within it."""
        branch = 0
        while index >= self._branch_sizes[branch]:  # type: ignore[operator]
            index -= self._branch_sizes[branch]  # type: ignore[operator]
            branch += 1
        return branch, index

    def _prior_point(self, branch: int, rng: np.random.Generator) -> dict[str, Any]:
        """A point of a finite branch drawn from its parameters' priors."""
        point: dict[str, Any] = {}
        if len(self._params) > 1:
            point[BRANCH_PARAM] = branch
        for name, p in self._params[branch].items():
            point[name] = p.value_at(p.draw_index(rng))
        return point

    def _point_in_branch(self, branch: int, index: int) -> dict[str, Any]:
        """The ``index``-th point of a finite branch (mixed radix, the last
        name fastest, as itertools.product)."""
        point: dict[str, Any] = {}
        if len(self._params) > 1:
            point[BRANCH_PARAM] = branch
        items = list(self._params[branch].items())
        digits = []
        for _, p in reversed(items):
            assert p.count is not None
            index, j = divmod(index, p.count)
            digits.append(j)
        for (name, p), j in zip(items, reversed(digits)):
            point[name] = p.value_at(j)
        return point

    def to_enqueue(self, point: Mapping[str, Any]) -> dict[str, Any]:
        """Study-side ``point`` in the form ``Study.enqueue_trial`` stores as
        JSON: categorical choices as ``{"__index__": i}``.

        Examples
        --------
        >>> from sktune.sklearn._space import build_search_space
        >>> space = build_search_space({"a": [None, (1, 2)], "b": range(3)})
        >>> space.to_enqueue({"a": (1, 2), "b": 2})
        {'a': {'__index__': 1}, 'b': 2}
        """
        branch = self._branch_of(point)
        out: dict[str, Any] = {}
        if BRANCH_PARAM in point:
            out[BRANCH_PARAM] = branch
            if len(point) == 1:  # the branch alone: the sampler draws the rest
                return out
        for name, p in self._params[branch].items():
            value = point[name]
            d = p.distribution
            if isinstance(d, CategoricalDistribution):
                value = {"__index__": int(d.to_internal_repr(value))}
            out[name] = value
        return out

    # -- resuming ---------------------------------------------------------------------
    def check_compatible(self, study: Any) -> None:
        """Raise if the study's trials recorded distributions this space
        cannot continue.

        Float and int bounds may move; kinds, ``log`` and categorical choices
        (compared by value, opaque stored choices by repr) may not, and every
        recorded parameter must still exist in its branch.

        Parameters encoded through a scipy CDF are all
        ``FloatDistribution(0, 1)`` in the study, so the text of their scipy
        distributions is kept in the study's system attribute
        ``"sklearn_space_cdf"`` (written here when new) and must not change:
        the stored CDF levels would decode to other values. (Unfrozen
        distribution objects such as an ``rv_histogram`` are known by class
        name only.)

        Parameters
        ----------
        study : Study
            The study to resume.

        Raises
        ------
        ValueError
            Naming the first parameter (trial by trial, names in order) that
            differs.

        Examples
        --------
        >>> import sktune
        >>> from sktune.sklearn._space import build_search_space
        >>> study = sktune.create_study()
        >>> build_search_space({"k": ["a", "b"]}).suggest(study.ask())["k"] in "ab"
        True
        >>> build_search_space({"k": ["a", "c"]}).check_compatible(study)
        Traceback (most recent call last):
        ...
        ValueError: Parameter 'k' has choices ('a', 'c'), but the study recorded ...
        """
        k = len(self._params)
        branch_dist = CategoricalDistribution(list(range(k)))
        checked: set[tuple] = set()
        for trial in study.get_trials(deepcopy=False):
            dists = trial.distributions
            if not dists:
                continue
            if k > 1 or BRANCH_PARAM in dists:
                if BRANCH_PARAM not in dists:
                    raise ValueError(
                        f"Trial {trial.number} has no {BRANCH_PARAM!r} parameter, "
                        f"but the space has {k} dicts."
                    )
                if k == 1:
                    raise ValueError(
                        f"Parameter {BRANCH_PARAM!r} was recorded by trial "
                        f"{trial.number}, but the space has a single dict."
                    )
                check_distribution_compatibility(
                    dists[BRANCH_PARAM], branch_dist, BRANCH_PARAM
                )
                branch = self._branch_of(trial.params)
            else:
                branch = 0
            live = self.branches[branch]
            for name in sorted(dists):
                if name == BRANCH_PARAM:
                    continue
                if name not in live:
                    raise ValueError(
                        f"Parameter {name!r} was recorded by trial {trial.number} "
                        f"but is not in dict {branch} of the search space."
                    )
                token = (name, branch, dists[name])
                if token in checked:
                    continue
                check_distribution_compatibility(dists[name], live[name], name)
                checked.add(token)
        self._check_cdf(study)

    def _cdf_descriptions(self) -> dict[str, str]:
        out = {}
        for branch, params in enumerate(self._params):
            for name, p in params.items():
                if isinstance(p, _CDFParam):
                    out[f"{branch}:{name}"] = p.description
        return out

    def _check_cdf(self, study: Any) -> None:
        live = self._cdf_descriptions()
        recorded = dict(study.system_attrs.get(CDF_ATTR) or {})
        for key, text in sorted(live.items()):
            old = recorded.get(key, text)
            # (Recorded before data digests existed: the data is unknown.)
            if old != text and old != text.split(_DIGEST_SEP)[0]:
                branch, name = key.split(":", 1)
                raise ValueError(
                    f"Parameter {name!r} (dict {branch}) is {text}, but the study "
                    f"recorded {old}; the stored CDF levels would mean other "
                    "values."
                )
        if any(recorded.get(key) != text for key, text in live.items()):
            study.set_system_attr(CDF_ATTR, {**recorded, **live})


def build_search_space(
    param_distributions: Any, estimator: Any = None, owner: str = "TPESearchCV"
) -> SearchSpace:
    """Validate a scikit-learn parameter space and translate it.

    Parameters
    ----------
    param_distributions : dict or list of dict
        Maps parameter names to sktune, Optuna or frozen ``scipy.stats``
        distributions, or to non-empty lists (tuples, ranges, 1-d arrays) of
        values of any kind. A list of dicts is a conditional space: a dict is
        chosen, then its parameters. ``param_grid`` dicts of lists work as is.
    estimator : estimator or None, default=None
        When given, every name must be one of ``estimator.get_params(deep=True)``
        or a parameter of every estimator chosen in the same dict
        (``{"clf": [SVC(), LogisticRegression()], "clf__C": ...}``: valid as
        both have ``C``; a parameter of one choice only needs a dict of its
        own, since ``set_params`` would fail whenever another choice is drawn).
    owner : str, default="TPESearchCV"
        Named in error messages.

    Returns
    -------
    SearchSpace

    Raises
    ------
    InvalidParameterError
        Naming the parameter and the bad value.

    Examples
    --------
    >>> from scipy.stats import loguniform, randint
    >>> from sktune.sklearn._space import build_search_space
    >>> space = build_search_space({"C": loguniform(1e-2, 1e2), "n": randint(1, 5)})
    >>> space.branches[0]
    {'C': FloatDistribution(low=0.01, high=100.0, log=True, step=None), 'n': IntDistribution(low=1, high=4, log=False, step=1)}
    >>> build_search_space({"C": []})
    Traceback (most recent call last):
    ...
    sktune.exceptions.InvalidParameterError: The 'param_distributions' parameter of TPESearchCV must map 'C' to a non-empty list of values. Got [] instead.
    """  # noqa: E501
    err = _SpaceError(owner)
    if isinstance(param_distributions, Mapping):
        dicts, is_list = [param_distributions], False
    elif isinstance(param_distributions, (list, tuple)) and param_distributions:
        dicts, is_list = list(param_distributions), True
    else:
        raise err("a dict or a non-empty list of dicts", param_distributions)
    branches = []
    for i, d in enumerate(dicts):
        if not isinstance(d, Mapping):
            raise err(f"a dict or a non-empty list of dicts (item {i})", d)
        branch = i if is_list else None
        params: dict[str, _Param] = {}
        for name, value in d.items():
            if not isinstance(name, str) or not name:
                raise err("parameter names that are non-empty str", name)
            if name == BRANCH_PARAM:
                raise err(f"names other than the reserved {BRANCH_PARAM!r}", name)
            params[name] = _translate(name, value, err, branch)
        if estimator is not None:
            _check_names(params, estimator, err, branch)
        branches.append(params)
    return SearchSpace(branches)


def _generator(rng: Any) -> np.random.Generator:
    """A numpy Generator drawing from ``rng`` (a Generator or a RandomState)."""
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(int(rng.randint(np.iinfo(np.int32).max)))
