"""The Tree-structured Parzen Estimator sampler."""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.stats import qmc

from sktune._frozen import FrozenTrial, TrialState
from sktune._locking import LockedState
from sktune._per_study import PerStudy
from sktune._validation import check_int, check_real, is_real, param_error
from sktune.distributions import BaseDistribution, CategoricalDistribution
from sktune.samplers._base import BaseSampler
from sktune.samplers._tpe._history import COMPLETE, History, decode
from sktune.samplers._tpe._parzen import (
    CONTINUOUS,
    ParzenEstimator,
    _spec_arrays,
    bandwidths,
    snap,
)

if TYPE_CHECKING:
    from sktune.study._study import Study

__all__ = ["TPESampler", "default_gamma", "default_weights"]

# Columns of the start-up Sobol sequence; later dimensions are drawn at random.
_QMC_DIMS = 64
# Good-group estimators kept for reuse (see TPESampler._good_estimator).
_GOOD_CACHE_SIZE = 8
# Extra rounds of candidates drawn when every candidate repeats an observed
# point of a discrete space.
_REPEAT_ROUNDS = 3
_BANDWIDTHS = ("neighbour", "broad", "alternate")
# "broad" kernels: this fraction of the range times n ** (-1 / (d + 4)), the
# multivariate bandwidth of Optuna's TPESampler (Watanabe 2023, sec. 3.3).
_BROAD_FACTOR = 0.2


def default_gamma(n: int) -> int:
    """Number of "good" trials among ``n``: ``ceil(0.15 n)``, at most 25.

    0.15 scored better than Optuna's 0.1 and than 0.2 on the benchmark
    (benchmarks/bench_tpe_quality.py, tuning seeds 100-105).

    Examples
    --------
    >>> from sktune.samplers._tpe import default_gamma
    >>> default_gamma(10), default_gamma(100), default_gamma(1000)
    (2, 15, 25)
    """
    return min(int(math.ceil(0.15 * n)), 25)


def default_weights(n: int) -> np.ndarray:
    """Weights of ``n`` trials in chronological order: the last 25 count 1,
    older ones ramp down linearly (Bergstra et al. 2013; Optuna's default).

    Examples
    --------
    >>> from sktune.samplers._tpe import default_weights
    >>> default_weights(3).tolist()
    [1.0, 1.0, 1.0]
    >>> w = default_weights(30)
    >>> bool(w[0] < w[-6] == w[-1] == 1.0)
    True
    """
    if n < 25:
        return np.ones(n)
    ramp = np.linspace(1.0 / n, 1.0, num=n - 25)
    return np.concatenate([ramp, np.ones(25)])


@functools.lru_cache(maxsize=256)
def _default_weights_cached(n: int) -> np.ndarray:
    w = default_weights(n)
    w.flags.writeable = False
    return w


def _auto_startup(budget: int | None) -> int:
    """Start-up trials for a known total budget (10 when it is unknown).

    Ten space-filling points scored best at budgets of 20, 40 and 100 trials
    (benchmarks/bench_tpe_quality.py with ``--n-trials``, tuning seeds
    100-109: at 40 trials 10 start-up points gave 64.9, 8 gave 60.9, 4 gave
    57.5, 14 gave 54.8); tiny budgets keep half of their trials for the model.
    """
    if budget is None:
        return 10
    return int(min(10, max(2, budget // 2)))


class _Model:
    """The l(x) / g(x) pair fitted for one trial (kept while it samples)."""

    __slots__ = ("bad", "dims", "good", "observed", "signatures")

    def __init__(
        self,
        good: ParzenEstimator,
        bad: ParzenEstimator,
        signatures: np.ndarray,
        dims: np.ndarray | None = None,
        observed: np.ndarray | None = None,
    ) -> None:
        self.good = good
        self.bad = bad
        self.signatures = signatures
        self.dims = dims
        #: Encoded points already observed (-1 where absent), or None.
        self.observed = observed


_UNKNOWN = object()  # no budget announced for the study


class _StudyState:
    """What the sampler keeps for one study: the encoded history, and per
    running trial its fitted models, its plan (the joint draw its later
    suggestions read), the names known to agree with the plan, and whether
    the plan was drawn within the trial's branch."""

    __slots__ = ("branch", "budget", "given", "history", "models", "plans")

    def __init__(self) -> None:
        self.history = History()
        self.models: dict[int, dict[int | None, _Model]] = {}
        self.plans: dict[int, dict[int, float]] = {}
        self.given: dict[int, set[str]] = {}
        self.branch: set[int] = set()
        self.budget: Any = _UNKNOWN

    def forget(self, number: int) -> None:
        """Drop what was kept for trial ``number`` (it has finished)."""
        self.models.pop(number, None)
        self.plans.pop(number, None)
        self.given.pop(number, None)
        self.branch.discard(number)


class TPESampler(LockedState, BaseSampler):
    """Tree-structured Parzen Estimator: propose where good trials cluster.

    Observed trials are split into a good group (the best ``gamma(n)``) and a
    bad one; a Parzen estimator is fitted to each, ``l(x)`` and ``g(x)``, and the
    sampler proposes, among ``n_ei_candidates`` draws from ``l``, the one that
    maximises ``l(x) / g(x)`` (Bergstra et al. 2011; Watanabe 2023).

    - Multivariate: a trial's parameters are drawn jointly from product kernels
      (Falkner et al. 2018) at its first suggestion; later suggestions read
      that plan. Each kernel's bandwidth in a dimension is its larger gap to
      its neighbours, clipped below by ``1 / min(100, n + 2)`` (Bergstra et al. 2011;
      Watanabe 2023's "magic clip"); on the benchmark this beat Scott's rule.
    - Conditional and dynamic spaces: each (name, distribution) pair is a
      dimension, and whether a trial has it is part of the model. A trial's
      first draw covers the parameters every trial has (the branch choice and
      shared parameters), compared on those alone; when the objective asks
      for a parameter only some trials have, the rest of the trial is drawn
      from a model of the trials having it (good and bad split among them),
      conditioned on what is already set. A branch's parameters are thus
      modelled jointly with those they co-occur with, and by that branch's
      own ranking, so a branch that looks poor on average is still searched
      well. In ``l(x)``, a categorical that decides which parameters exist
      (a branch choice) is smoothed towards uniform with weight at least 0.8,
      so that branches keep being tried (on the benchmark's conditional
      function, with the changes above, the score rose from -8 to 74).
    - Log scales are modelled in log space, ints and stepped floats as cells of
      a grid, categoricals with a kernel smoothed towards uniform.
    - Ties: a good group that would end inside a tie of complete trials
      keeps only the trials strictly better than the tie (if any), so that
      trial order never decides which of equal trials count as good.
    - Pruned trials rank after complete ones, later pruning ranking better;
      failed trials are ignored. Running trials count as bad ones
      (``constant_liar``), so parallel workers do not pile up.
    - No repeats: where a candidate's parameters are all discrete (ints,
      stepped floats, categoricals), a candidate equal to a complete, pruned
      or (with ``constant_liar``) running trial is passed over for the best
      new one, drawing up to three more rounds of candidates if all repeat;
      only then is a repeat proposed. Once l(x) has converged on a few grid
      cells, the best new point is a neighbour of the good ones rather than
      a repeat, which a search of a finite space would otherwise replace
      by a random point. The check sees whole points: with
      ``multivariate=False`` it applies to one-parameter spaces only, and in
      a conditional space values drawn before a branch's own parameters can
      leave those no untried completion (TPESearchCV never evaluates a
      point twice either way).
    - Start-up: until ``n_startup_trials`` trials are complete or pruned,
      parameters come from a scrambled Sobol sequence (trial ``n`` gets point
      ``n``), which covers the space more evenly than random draws.

    Parameters
    ----------
    n_startup_trials : int or None, default=None
        Trials sampled by the start-up sequence. None adapts it to the budget
        announced by :meth:`set_budget` for the study: 10, or half the budget
        (at least 2) when it is below 20 trials; 10 when the study announced
        no budget.
    n_ei_candidates : int, default=24
        Draws from ``l(x)`` among which the best ``l/g`` is kept. More is more
        exploitative; 48, 64 and 128 all scored lower than 24 at 100 trials.
    gamma : callable or None, default=None
        ``gamma(n) -> int``: size of the good group among ``n`` trials.
        Defaults to :func:`default_gamma` (``ceil(0.15 n)``, at most 25).
    weights : callable or None, default=None
        ``weights(n) -> array``: weights of a group's ``n`` trials in
        chronological order. Defaults to :func:`default_weights`.
    prior_weight : float, default=1.0
        Weight of the uniform prior component in ``l`` and ``g`` (2.0 was not
        better on the benchmark). It also sets how fast the categorical
        kernels sharpen: with ``k`` choices and ``n`` trials in a group, a
        trial's kernel puts ``1 - b`` on its own choice and spreads ``b = k w /
        (n + 1 + k w)`` uniformly over all ``k`` (its own gets ``1 - b + b /
        k``).
    multivariate : bool, default=True
        Draw a trial's parameters jointly. With False each parameter is drawn
        from its own one-dimensional model (the original TPE).
    group : bool, default=False
        Where one model mixes trials with different sets of parameters (a
        nested conditional space), count for a candidate only the trials with
        the candidate's set: a trial lacking one of its parameters, or having
        another, then weighs 1e-12 instead of 0.05 per differing parameter.
        Parameters that every trial has (a branch choice, shared parameters)
        are still learned from all trials, as in Optuna. Requires
        ``multivariate=True``.
    constant_liar : bool, default=True
        Count running trials as bad ones, so that parallel workers spread out.
    correlated_fraction : float in [0, 1], default=0.0
        Fraction of the ``n_ei_candidates`` drawn from full-covariance kernels
        fitted to the good group instead of from ``l(x)``'s product kernels
        (all still ranked by ``l(x) / g(x)``), so that candidates follow a
        good region that lies along a diagonal. Each such candidate is a good
        trial plus Gaussian noise whose covariance is the good group's,
        widened by half the median kernel bandwidth in every dimension and
        scaled by Scott's factor. It applies to a trial's first draw, over
        the parameters every trial has: in a conditional space, the
        parameters of a branch (drawn once the branch is chosen) keep the
        product kernels. With ``multivariate=False``, each parameter's draw
        is redrawn from one-dimensional kernels of the group's spread.
        It is off by default, in TPESearchCV too. On the scikit-learn search
        benchmark 0.5 gained on some problems and lost on others (on
        ada-iris-acc in every seed set), +0.4 points of the ten-problem mean
        over 70 seeds, for about 0.2 ms more per proposal; on the synthetic
        functions it scored 61.7 against 64.1 (``docs/benchmarks.md``,
        session 20).
    bandwidth : {"neighbour", "broad", "alternate"}, default="neighbour"
        Widths of the numeric kernels of ``l(x)`` and ``g(x)``.
        ``"neighbour"``: each kernel as wide as its larger gap to its
        neighbours (above), which refines a good region fast. ``"broad"``:
        every kernel ``0.2 n ** (-1 / (d + 4))`` of the range (``n`` trials
        in the group, ``d`` dimensions), Optuna's multivariate rule, which
        keeps searching around the good trials more widely. ``"alternate"``:
        odd-numbered trials ``"broad"``, even-numbered ones ``"neighbour"``,
        a portfolio of the two. TPESearchCV's default sampler uses
        ``"alternate"``: on the scikit-learn search benchmark it gained 7.4,
        2.2 and 3.1 points on three sets of seeds (fewer searches stuck on
        a plateau), while on the synthetic functions, which reward
        refinement, ``"neighbour"`` scored 64.1 against 58.2
        (``docs/benchmarks.md``, session 22).
    seed : int or None, default=None
        Seed of the random generator: the same seed and history give the same
        proposals.

    Examples
    --------
    >>> import sktune
    >>> sampler = sktune.samplers.TPESampler(seed=0)
    >>> study = sktune.create_study(sampler=sampler)
    >>> def objective(trial):
    ...     x = trial.suggest_float("x", -5, 5)
    ...     y = trial.suggest_float("y", 1e-3, 1e3, log=True)
    ...     return (x - 1) ** 2 + (math.log10(y) - 1) ** 2
    >>> import math
    >>> study.optimize(objective, n_trials=40)
    >>> study.best_value < 0.5
    True
    """

    # Kernel settings chosen on the benchmark (tuning seeds 100-105, see
    # benchmarks/bench_tpe_quality.py); private, overridable per instance.
    _bandwidth_rule = "neighbour"
    _bandwidth_factor = 1.0
    _min_bandwidth = 0.0
    _endpoints = False
    _cat_smoothing: float | None = None
    _presence_eps = 0.05
    _branch_smoothing = 0.8

    def __init__(
        self,
        *,
        n_startup_trials: int | None = None,
        n_ei_candidates: int = 24,
        gamma: Callable[[int], int] | None = None,
        weights: Callable[[int], np.ndarray] | None = None,
        prior_weight: float = 1.0,
        multivariate: bool = True,
        group: bool = False,
        constant_liar: bool = True,
        correlated_fraction: float = 0.0,
        bandwidth: str = "neighbour",
        seed: int | None = None,
    ) -> None:
        owner = "TPESampler"
        check_int(
            owner, "n_startup_trials", n_startup_trials, min_value=0, allow_none=True
        )
        check_int(owner, "n_ei_candidates", n_ei_candidates, min_value=1)
        if gamma is not None and not callable(gamma):
            raise param_error(owner, "gamma", "a callable or None", gamma)
        if weights is not None and not callable(weights):
            raise param_error(owner, "weights", "a callable or None", weights)
        check_real(owner, "prior_weight", prior_weight, low=0.0, low_inclusive=False)
        check_real(owner, "correlated_fraction", correlated_fraction, low=0.0, high=1.0)
        for name, flag in (
            ("multivariate", multivariate),
            ("group", group),
            ("constant_liar", constant_liar),
        ):
            if not isinstance(flag, (bool, np.bool_)):
                raise param_error(owner, name, "a bool", flag)
        if group and not multivariate:
            # As Optuna: group refines the joint model, which univariate lacks.
            raise param_error(owner, "group", "False when multivariate=False", group)
        if not isinstance(bandwidth, str) or bandwidth not in _BANDWIDTHS:
            raise param_error(
                owner,
                "bandwidth",
                f"one of {', '.join(map(repr, _BANDWIDTHS))}",
                bandwidth,
            )
        check_int(owner, "seed", seed, min_value=0, allow_none=True)
        self.n_startup_trials = n_startup_trials
        self.n_ei_candidates = n_ei_candidates
        self.gamma = gamma
        self.weights = weights
        self.prior_weight = float(prior_weight)
        self.multivariate = bool(multivariate)
        self.group = bool(group)
        self.constant_liar = bool(constant_liar)
        self.correlated_fraction = float(correlated_fraction)
        self.bandwidth = bandwidth
        self.seed = seed
        self._rng = np.random.default_rng(seed)
        self._qmc_seed = (
            seed if seed is not None else int(np.random.default_rng().integers(2**31))
        )
        # The budget announced without a study (for studies that announce none).
        self._budget: int | None = None
        self._lock = threading.RLock()
        self._states: PerStudy[_StudyState] = PerStudy(_StudyState)
        self._qmc_points: np.ndarray | None = None
        self._qmc_cols: dict[tuple[str, BaseDistribution], int] = {}

    # -- plumbing ----------------------------------------------------------------
    _lock_type = threading.RLock

    def __setstate__(self, state: dict[str, Any]) -> None:
        # (Pickles of earlier versions held one study's state on the sampler.)
        for legacy in ("_history", "_models", "_plans", "_given", "_branch"):
            state.pop(legacy, None)
        if not isinstance(state.get("_states"), PerStudy):
            state["_states"] = PerStudy(_StudyState)
        state.setdefault("bandwidth", "neighbour")
        super().__setstate__(state)

    def reseed_rng(self) -> None:
        with self._lock:
            self._rng = np.random.default_rng()
            # The start-up sequence too, so that reseeded copies differ.
            self._qmc_seed = int(self._rng.integers(2**31))
            self._qmc_points = None

    def _set_seed(self, seed: int) -> None:
        with self._lock:
            self.seed = seed
            self._rng = np.random.default_rng(seed)
            self._qmc_seed = seed
            self._qmc_points = None

    def set_budget(self, n_trials: int | None, study: Study | None = None) -> None:
        with self._lock:
            if study is None:
                self._budget = n_trials
            else:
                self._states.get(study).budget = n_trials

    def _startup_count(self, state: _StudyState | None = None) -> int:
        if self.n_startup_trials is not None:
            return self.n_startup_trials
        if state is not None and state.budget is not _UNKNOWN:
            return _auto_startup(state.budget)  # type: ignore[arg-type]
        return _auto_startup(self._budget)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        value: float | None,
    ) -> None:
        with self._lock:
            self._states.get(study).forget(trial.number)

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        # The joint draw happens at the trial's first suggestion (in
        # sample_independent), when define-by-run has revealed what is fixed.
        return {}

    def sample_relative(
        self,
        study: Study,
        trial: FrozenTrial,
        search_space: dict[str, BaseDistribution],
    ) -> dict[str, Any]:
        return {
            name: self.sample_independent(study, trial, name, dist)
            for name, dist in search_space.items()
            if name not in trial.params
        }

    # -- sampling ------------------------------------------------------------------
    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        dist = param_distribution
        if dist.single():
            low = (
                dist.choices[0]
                if isinstance(dist, CategoricalDistribution)
                else dist.low
            )  # type: ignore[attr-defined]
            return dist.to_external_repr(dist.to_internal_repr(low))
        with self._lock:
            u = self._sample(study, trial, param_name, dist)
        return dist.to_external_repr(decode(dist, u))

    def _sample(
        self, study: Study, trial: FrozenTrial, name: str, dist: BaseDistribution
    ) -> float:
        st = self._states.get(study)
        plan = st.plans.get(trial.number)
        if plan is not None:
            # Later suggestions of a trial read its plan (nothing to refit).
            hist = st.history
            j = hist.index.get((name, dist))
            if (
                j is not None
                and j in plan
                and (trial.number in st.branch or not hist.conditional(j))
            ):
                given = st.given[trial.number]
                # Fast path: every value set so far came from this plan.
                if given.issuperset(trial.params):
                    given.add(name)
                    return plan[j]
                fixed, fixed_present = hist.encode_params(trial, create=False)
                if _agrees(plan, fixed, fixed_present):
                    given.update(trial.params)
                    given.add(name)
                    return plan[j]
        hist = self._refresh(study, st)
        n_info = hist.n
        j = hist.index.get((name, dist))
        if n_info < max(self._startup_count(st), 1) or j is None:
            return self._startup_value(trial.number, name, dist)
        if not self.multivariate:
            return self._sample_univariate(study, trial, hist, j)
        plan = st.plans.get(trial.number)
        fixed, fixed_present = hist.encode_params(trial, create=False)
        if (
            plan is None
            or j not in plan
            or not _agrees(plan, fixed, fixed_present)
            or (trial.number not in st.branch and hist.conditional(j))
        ):
            # A trial's first draw uses every trial. A draw conditioned on values
            # already set (the branch chosen, fixed parameters) splits good from
            # bad among the trials that have the parameter, so that each branch
            # is modelled by its own ranking: a branch that looks poor overall
            # is still searched well when it is taken.
            within = j if fixed_present.any() else None
            dims = None
            if within is not None and hist.conditional(j):
                st.branch.add(trial.number)
            elif within is None and not hist.conditional(j):
                # A first draw covers the parameters every trial has (which
                # branch to take, shared parameters), compared on those alone;
                # the branch's own parameters are drawn within it next.
                dims = hist.unconditional()
                if len(dims) == hist.n_dims:
                    dims = None
            models = st.models.setdefault(trial.number, {})
            model = models.get(within)
            if model is None:
                model = self._fit(study, trial, hist, within=within, dims=dims)
                models[within] = model
            plan = self._propose(model, fixed, fixed_present, j, hist.feasible)
            st.plans[trial.number] = plan
            st.given[trial.number] = set(trial.params)
        st.given[trial.number].add(name)
        return plan[j]

    def _refresh(self, study: Study, st: _StudyState | None = None) -> History:
        """The study's history, updated with the trials finished since."""
        if st is None:
            st = self._states.get(study)
        trials = study.get_trials(deepcopy=False)
        if len(trials) < st.history._prefix:
            st.history = History()
        sign = -1.0 if study.direction.name == "MAXIMIZE" else 1.0
        st.history.running = st.history.update(trials, sign)
        return st.history

    def _startup_value(self, number: int, name: str, dist: BaseDistribution) -> float:
        col = self._qmc_cols.setdefault((name, dist), len(self._qmc_cols))
        if col < _QMC_DIMS and number < 4096:
            points = self._qmc_points
            if points is None or number >= len(points):
                m = max(6, int(math.ceil(math.log2(number + 1))))
                engine = qmc.Sobol(d=_QMC_DIMS, scramble=True, seed=self._qmc_seed)
                points = engine.random_base2(m)
                self._qmc_points = points
            u = float(points[number, col])
        else:
            u = float(self._rng.random())
        if isinstance(dist, CategoricalDistribution):
            return float(min(int(u * len(dist.choices)), len(dist.choices) - 1))
        from sktune.samplers._tpe._history import spec_of

        return float(snap(spec_of(dist), np.asarray(u)))

    # -- the model -------------------------------------------------------------------
    def _split(
        self, study: Study, trial: FrozenTrial, hist: History, within: int | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Rows of the good and bad groups.

        Returns the encoded values and presence of all rows (finished trials,
        then running ones) and the indices of the good and bad rows; with
        ``within``, only rows having that dimension take part.
        """
        n = hist.n
        x = hist.x
        rows_x = [x]
        if self.constant_liar:
            others = [t for t in hist.running if t.number != trial.number]
            if others:
                enc = [hist.encode_params(t, create=False)[0] for t in others]
                rows_x.append(np.array(enc).reshape(len(enc), hist.n_dims))
        all_x = np.concatenate(rows_x) if len(rows_x) > 1 else x
        present = ~np.isnan(all_x)
        # Complete trials by loss, then pruned ones (latest step first, then by
        # loss), then running ones (constant liar: worse than anything seen).
        order = np.lexsort((hist.loss[:n], -hist.step[:n], hist.kind[:n]))
        running = np.arange(n, all_x.shape[0])
        if within is not None:
            order = order[present[order, within]]
            running = running[present[running, within]]
        m = len(order)
        gamma = self.gamma or default_gamma
        size = gamma(m)
        if isinstance(size, bool) or not is_real(size) or not math.isfinite(size):
            raise ValueError(
                f"The 'gamma' callable of TPESampler must return a finite number "
                f"of good trials. Got {size!r} for {m} trials instead."
            )
        n_good = _untie(order, min(max(int(size), 1), m), hist)
        good = np.sort(order[:n_good])
        bad = np.concatenate([np.sort(order[n_good:]), running])
        return all_x, present, good, bad

    def _estimator(
        self,
        x: np.ndarray,
        present: np.ndarray,
        rows: np.ndarray,
        specs: list,
        structural: np.ndarray | None = None,
        broad: bool = False,
    ) -> ParzenEstimator:
        if self.weights is None:
            w = _default_weights_cached(len(rows))
        else:
            w = np.asarray(self.weights(len(rows)), dtype=float)
            if w.shape != (len(rows),) or np.any(w < 0) or not np.all(np.isfinite(w)):
                raise ValueError(
                    f"The 'weights' callable of TPESampler must return {len(rows)} "
                    f"finite non-negative weights. Got {w!r} instead."
                )
        mu, pres = x[rows], present[rows]
        if not len(rows):
            d = 1
        elif pres.all():
            d = max(1, pres.shape[1])
        else:
            d = max(1, int(pres.sum(axis=1).max()))
        sigma = bandwidths(
            mu,
            pres,
            w if w.sum() > 0 else np.ones(len(rows)),
            specs,
            rule="fixed" if broad else self._bandwidth_rule,
            factor=_BROAD_FACTOR if broad else self._bandwidth_factor,
            min_bandwidth=self._min_bandwidth,
            n_dims=d,
            endpoints=self._endpoints,
        )
        return ParzenEstimator(
            mu,
            pres,
            w,
            sigma,
            specs,
            prior_weight=self.prior_weight,
            cat_smoothing=self._smoothing(specs, len(rows), structural),
            eps=1e-12 if self.group else self._presence_eps,
        )

    def _broad(self, number: int) -> bool:
        """Whether trial ``number``'s kernels follow the "broad" rule."""
        if self.bandwidth == "alternate":
            return number % 2 == 1
        return self.bandwidth == "broad"

    def _smoothing(
        self, specs: list, n: int, structural: np.ndarray | None = None
    ) -> np.ndarray:
        """Categorical smoothing per dimension for a group of ``n`` trials.

        By default the prior's mass spread over ``k`` choices competes with the
        group: ``b = k w / (n + 1 + k w)`` for prior weight ``w``, so smoothing
        fades as evidence accumulates.
        """
        if self._cat_smoothing is not None:
            return np.full(len(specs), float(self._cat_smoothing))
        kw = _spec_arrays(tuple(specs)).n_cells * self.prior_weight
        b = kw / (n + 1.0 + kw)
        if self._branch_smoothing and structural is not None:
            b = np.where(structural, np.maximum(b, self._branch_smoothing), b)
        return b

    def _fit(
        self,
        study: Study,
        trial: FrozenTrial,
        hist: History,
        *,
        within: int | None = None,
        dims: np.ndarray | None = None,
    ) -> _Model:
        """Fit l and g (on the dimensions ``dims`` only, if given)."""
        all_x, present, good, bad = self._split(study, trial, hist, within)
        broad = self._broad(trial.number)
        specs = hist.specs
        signatures = hist.signature_array()
        structural = hist.structural()
        # Repeats are checked against whole points. A draw on some dimensions
        # only (a conditional space's first draw, or one parameter when
        # univariate) is a whole point where the trials with those values had
        # no other parameter (a branch without parameters of its own).
        whole = None
        if dims is not None:
            outside = np.ones(hist.n_dims, dtype=bool)
            outside[dims] = False
            whole = ~present[:, outside].any(axis=1)
            structural = structural[dims]
            all_x, present = all_x[:, dims], present[:, dims]
            specs = [specs[d] for d in dims]
            signatures = np.unique(signatures[:, dims], axis=0)
        observed = None
        if whole is None or whole.any():
            continuous = _spec_arrays(tuple(specs)).kinds == CONTINUOUS
            if (~(signatures & continuous[None, :]).any(axis=1)).any():
                # Some presence pattern is all discrete. Encoded values lie in
                # [0, 1] or are category indices, so -1 marks absence.
                rows = all_x if whole is None else all_x[whole]
                observed = np.nan_to_num(rows, nan=-1.0)
        return _Model(
            self._good_estimator(
                hist, all_x, present, good, specs, structural, dims, broad
            ),
            self._estimator(all_x, present, bad, specs, broad=broad),
            signatures,
            dims,
            observed,
        )

    def _good_estimator(
        self,
        hist: History,
        x: np.ndarray,
        present: np.ndarray,
        rows: np.ndarray,
        specs: list,
        structural: np.ndarray,
        dims: np.ndarray | None,
        broad: bool,
    ) -> ParzenEstimator:
        """l(x), reused while the good group is the same trials (a new trial
        usually joins the bad group): finished trials' rows never change, and
        l depends on nothing else (unless ``weights`` is user-given)."""
        if self.weights is not None:
            return self._estimator(x, present, rows, specs, structural, broad)
        key = (
            broad,
            rows.tobytes(),
            hist.n_dims,
            None if dims is None else dims.tobytes(),
            structural.tobytes(),
        )
        cache = hist.good_cache
        estimator = cache.get(key)
        if estimator is None:
            estimator = self._estimator(x, present, rows, specs, structural, broad)
            # One per kind of draw (first, within a branch): a few suffice.
            if len(cache) >= _GOOD_CACHE_SIZE:
                del cache[next(iter(cache))]
            cache[key] = estimator
        return estimator

    def _propose(
        self,
        model: _Model,
        fixed: np.ndarray,
        fixed_present: np.ndarray,
        require: int,
        feasible: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    ) -> dict[int, float]:
        """Draw candidates from l (given the fixed values), keep the best l/g."""
        dims = model.dims
        if dims is not None:
            fixed, fixed_present = fixed[dims], fixed_present[dims]
            require = int(np.flatnonzero(dims == require)[0])
            feasible = None  # the presence patterns are not among these dims
        n_dims = len(model.good.specs)
        f = np.full(n_dims, np.nan)
        fp = np.zeros(n_dims, dtype=bool)
        m = min(len(fixed), n_dims)
        f[:m], fp[:m] = fixed[:m], fixed_present[:m]
        first = None
        for _ in range(1 + (_REPEAT_ROUNDS if model.observed is not None else 0)):
            x, pres = model.good.sample(
                self._rng,
                self.n_ei_candidates,
                fixed=f,
                fixed_present=fp,
                require=require,
                signatures=model.signatures,
            )
            if self.correlated_fraction and not fp.any() and pres.all():
                model.good.resample_correlated(self._rng, x, self.correlated_fraction)
            score = model.good.log_pdf(x, pres) - model.bad.log_pdf(x, pres)
            if feasible is not None:
                ok = feasible(x, pres)
                if ok.any():
                    score = np.where(ok, score, -np.inf)
            best = int(np.argmax(score))
            if model.observed is None:
                break
            if first is None:
                first = (x, pres, best)
            new = ~_repeats(x, pres, model.observed, model.good.specs)
            new &= score > -np.inf  # (infeasible presence patterns stay out)
            if new.any():
                best = int(np.flatnonzero(new)[np.argmax(score[new])])
                break
        else:
            x, pres, best = first  # every candidate repeats: propose the best
        cols = np.flatnonzero(pres[best])
        if dims is not None:
            return {int(dims[j]): float(x[best, j]) for j in cols}
        return {int(j): float(x[best, j]) for j in cols}

    def _sample_univariate(
        self, study: Study, trial: FrozenTrial, hist: History, j: int
    ) -> float:
        model = self._fit(study, trial, hist, within=j, dims=np.array([j]))
        nan = np.full(hist.n_dims, np.nan)
        plan = self._propose(model, nan, np.zeros(hist.n_dims, dtype=bool), j)
        return plan[j]

    def __repr__(self) -> str:
        return (
            f"TPESampler(n_startup_trials={self.n_startup_trials!r}, "
            f"n_ei_candidates={self.n_ei_candidates!r}, "
            f"multivariate={self.multivariate!r}, "
            f"constant_liar={self.constant_liar!r}, "
            f"correlated_fraction={self.correlated_fraction!r}, "
            f"bandwidth={self.bandwidth!r}, seed={self.seed!r})"
        )


def _untie(order: np.ndarray, n_good: int, hist: History) -> int:
    """Shrink a good group that ends inside a tie to the trials strictly
    better than the tie, if there are any.

    A trial tied with a bad one shows no sign of being better than it, and
    which of the tied trials fell on the good side would depend only on their
    order (plateaus of accuracy scores and degenerate models tie often).
    """
    if n_good >= len(order):
        return n_good
    last, first_bad = order[n_good - 1], order[n_good]
    kind, loss = hist.kind, hist.loss
    if not (kind[last] == kind[first_bad] == COMPLETE) or loss[last] != loss[first_bad]:
        return n_good
    better = int(np.count_nonzero(loss[order[:n_good]] < loss[last]))
    return better if better else n_good


def _repeats(
    x: np.ndarray, present: np.ndarray, observed: np.ndarray, specs: list
) -> np.ndarray:
    """Which candidates equal an observed point (-1 where a dimension is
    absent). Candidates with a continuous value never count as repeats."""
    out = np.zeros(len(x), dtype=bool)
    if not len(observed):
        return out
    continuous = _spec_arrays(tuple(specs)).kinds == CONTINUOUS
    check = ~(present & continuous[None, :]).any(axis=1)
    if not check.any():
        return out
    cand = np.where(present[check], x[check], -1.0)
    same = np.abs(cand[:, None, :] - observed[None, :, :]) < 1e-9
    out[check] = same.all(axis=2).any(axis=1)
    return out


def _agrees(plan: dict[int, float], fixed: np.ndarray, present: np.ndarray) -> bool:
    """Whether the values already set in the trial are those the plan drew."""
    for j in np.flatnonzero(present):
        v = plan.get(int(j))
        if v is None or abs(v - fixed[j]) > 1e-9:
            return False
    return True
