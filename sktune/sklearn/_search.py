"""TPESearchCV: a drop-in replacement for RandomizedSearchCV driven by TPE."""

from __future__ import annotations

import contextlib
import copy
import math
import numbers
import time
import warnings
from collections.abc import Mapping
from typing import Any

import joblib
import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.model_selection import check_cv
from sklearn.utils import check_random_state
from sklearn.utils.validation import indexable

from sktune._frozen import TrialState
from sktune.exceptions import InvalidParameterError
from sktune.pruners import BasePruner, NopPruner
from sktune.samplers import BaseSampler, GridSampler
from sktune.samplers._base import announce_budget
from sktune.sklearn import _compat
from sktune.sklearn._evaluate import RESOURCES, SearchContext, make_resource_plan
from sktune.sklearn._results import (
    TrialRecord,
    build_cv_results,
    record_from_trial,
)
from sktune.sklearn._resume import FIRST_METRIC, check_resume
from sktune.sklearn._scheduler import Scheduler
from sktune.sklearn._space import build_search_space
from sktune.storages import BaseStorage
from sktune.study import Study, create_study
from sktune.study._optimize import tqdm_class

__all__ = ["TPESearchCV"]

#: Study system attribute holding a fingerprint of the data of the search.
DATA_ATTR = "sktune:data_fingerprint"
_OWNER = "TPESearchCV"
#: Most evaluation contexts made for scikit-learn's callbacks (each pickled
#: task carries them all: about 10 ms per 1,000).
_MAX_CALLBACK_EVALUATIONS = 10_000


def _default_sampler(seed: int) -> BaseSampler:
    from sktune.samplers import TPESampler

    # Alternating broad and neighbour kernels gained on the search benchmark
    # (docs/benchmarks.md, session 22); TPESampler's own default refines faster.
    return TPESampler(seed=seed, bandwidth="alternate")


class TPESearchCV(_compat.BaseSearchCV):
    """Search hyperparameters with TPE, cross-validating each candidate.

    A drop-in replacement for :class:`~sklearn.model_selection.RandomizedSearchCV`
    (and for :class:`~sklearn.model_selection.GridSearchCV` given a
    ``param_grid``): same parameters, same attributes, same ``cv_results_``;
    but each candidate is proposed by a sampler (TPE by default) that learns
    from the candidates evaluated so far, and candidates run asynchronously in
    parallel, without waiting for a batch to finish.

    Parameters
    ----------
    estimator : estimator object
        Cloned for each fit. Needs ``score`` unless ``scoring`` is given.
    param_distributions : dict or list of dicts
        Parameter names (as for ``set_params``) mapped to lists of values,
        frozen ``scipy.stats`` distributions or sktune distributions. A list
        of dicts is a conditional space: a dict is chosen, then its
        parameters. A space of finite parameters only (lists, ranges, int
        and stepped distributions, discrete scipy distributions of at most
        100,000 points) is finite: no point is evaluated twice.
    n_iter : int, default=10
        Number of candidates the study holds at the end (a resumed study
        counts the candidates it already has). Capped at the size of a finite
        space, which is then searched exhaustively, in ``GridSearchCV``'s
        order (random order with a ``timeout``, ``callbacks`` or a pruner,
        which may stop the search early or judge candidates by earlier ones).
    scoring : str, callable, list, tuple, dict or None, default=None
        As in scikit-learn. With several metrics, the sampler maximises the
        ``refit`` metric (the first one when ``refit`` is not a metric name).
    n_jobs : int or None, default=None
        Candidates evaluated at once, and jobs of each candidate's folds, run
        through joblib's active backend (``joblib.parallel_config``); -1 uses
        every worker. None means 1 unless a joblib context says otherwise.
        Under joblib's ``dask`` backend, any value other than 1 means the
        cluster's number of worker threads (joblib's rule).
    refit : bool, str or callable, default=True
        As in scikit-learn.
    cv : int, cross-validation generator or iterable, default=None
        As in scikit-learn (5-fold, stratified for classifiers).
    verbose : int, default=0
        Prints scikit-learn's messages (> 0: one line per search, > 1 one per
        fold fit).
    pre_dispatch : int or str, default="2*n_jobs"
        Passed to joblib for each candidate's folds.
    random_state : int, RandomState instance or None, default=None
        Seeds the default sampler (or a sampler given without a seed) and
        every other random choice of the search: with an int and
        ``n_jobs=1``, the candidates are reproducible. Without it, a seeded
        sampler's seed takes its place.
    error_score : "raise" or float, default=np.nan
        Score of a failed fit; "raise" re-raises the fit's error.
    return_train_score : bool, default=False
        Add the training scores to ``cv_results_``.
    sampler : BaseSampler or None, default=None
        The sampler; None for ``TPESampler(bandwidth="alternate")``
        (:class:`~sktune.samplers.TPESampler`) seeded from ``random_state``,
        whose broad and narrow kernels in turn suit cross-validated scores
        (plateaus, noise) better than the sampler's own default. A copy is
        used, so refitting gives the same candidates. ``RandomSampler``
        makes the search a random search.
    pruner : BasePruner or None, default=None
        Stops unpromising candidates between work units (folds, epochs or
        estimators; see ``resource``). ``cv_results_`` then
        gets a ``state`` and an ``n_resources`` column (folds run, or the
        epochs or estimators reached; see ``resource``); pruned candidates rank
        last and are never best. None: every candidate runs every fold.
    timeout : float or None, default=None
        Seconds after which no new candidate starts (the first candidate of a
        new study always runs, so that ``best_*`` exist). ``None`` or
        ``numpy.inf``: no limit.
    callbacks : list of callables or None, default=None
        ``callback(study, frozen_trial)`` after each candidate;
        ``study.stop()`` in a callback ends the search (candidates running
        finish). scikit-learn's own callbacks (1.9 and later) are set with
        ``set_callbacks``, as on any scikit-learn estimator.
    study : Study or None, default=None
        A study (direction "maximize") to continue; its sampler and pruner
        are used, and ``sampler``, ``pruner``, ``storage`` and ``study_name``
        must then be None. Default: a new study per ``fit``. Note that
        ``clone`` deep-copies it, as every parameter; to share one study
        between clones, give a storage URL and ``study_name`` instead.
    storage : str, BaseStorage or None, default=None
        Where the new study lives (``"sqlite:///search.db"`` to resume later).
        ``clone`` deep-copies a storage object, as every parameter: clones of
        a search given an ``InMemoryStorage`` write into their own copies (a
        URL or a ``SQLiteStorage`` reaches the same file from every copy).
    study_name : str or None, default=None
        Name of the study in ``storage``; with a ``storage``, an existing
        study of that name is continued (without one, each ``fit`` starts a
        new in-memory study of that name). One ``fit`` at a time per study:
        a fit plans its
        ``n_iter`` and the points it has not seen when it starts, so two
        fits running on one study at once each add their own candidates and
        may evaluate the same point.
    resource : {"auto", "folds", "epochs", "estimators"}, default="auto"
        What a pruner sees grow. "folds": after each fold, the mean test
        score of the folds so far (any estimator). "epochs": every fold's
        estimator (a Pipeline's last step; earlier steps are fitted once per
        fold) is trained with ``partial_fit``, one epoch per call (classifiers
        get ``classes=np.unique(y)`` on the first call), and the mean test
        score over the folds is reported after each step; scikit-learn's
        MLPs (stochastic solver, no early stopping) run a step's epochs in
        one warm-started ``fit`` instead, which saves the per-call checks.
        "estimators": a ``warm_start`` ensemble grows its ``n_estimators`` (histogram
        gradient boosting its ``max_iter``) step by step, scored after each;
        a model that stops by its own rule (early stopping, an MLP's ``tol``)
        trains no further. Steps report at the
        resource reached, and the resources grow by ``resource_factor`` from
        ``min_resources`` to ``max_resources``. "auto": "folds" without a
        pruner (plain fits); with one, decided per candidate (the space may
        choose the final step): "epochs" if its final step has a
        ``partial_fit`` that trains as ``fit`` does (not with
        ``early_stopping=True``, ``class_weight="balanced"``, an MLP's
        ``solver="lbfgs"``, nor naive Bayes, whose counts would grow with
        each epoch), else "estimators" if it is a ``warm_start`` ensemble
        (not with ``oob_score=True``, nor gradient boosting with
        ``n_iter_no_change``), else "folds". The refit trains the best
        candidate the same way with ``max_resources``.
    min_resources : int or "auto", default="auto"
        Smallest resource of a step ("epochs" and "estimators"): the first
        step, or, with a rung pruner and ``resource_factor="auto"``, the
        first rung end at or above it. "auto": 1 epoch, or a sixteenth of
        ``max_resources`` estimators. A candidate whose own
        ``max_resources`` ("auto") is smaller is trained in one step.
    max_resources : int or "auto", default="auto"
        Resource of the last step. "auto": for "epochs", the estimator's
        ``max_iter`` if it has one, at most 100, else 100; for
        "estimators", the candidate's ``n_estimators`` (or ``max_iter``).
    resource_factor : int >= 2 or "auto", default="auto"
        Growth of the resource between steps ("epochs" and "estimators"):
        the steps are ``min_resources * resource_factor ** k`` below
        ``max_resources``, then ``max_resources``. Each step scores every
        fold, so fewer steps cost less. "auto": with
        :class:`~sktune.pruners.SuccessiveHalvingPruner` or
        :class:`~sktune.pruners.HyperbandPruner`, their ``reduction_factor``,
        and the steps are the ends of their rungs from ``min_resources`` on
        (the only steps where they decide); with another pruner, 2.
    show_progress_bar : bool, default=False
        Show a tqdm progress bar (needs the ``progress`` extra).

    Attributes
    ----------
    cv_results_ : dict of numpy (masked) ndarrays
        One entry per candidate, in the order of the study's trials, with
        scikit-learn's keys.
    best_estimator_ : estimator
        Refit on the whole data with ``best_params_`` (if ``refit``).
    best_score_ : float
        Mean cross-validated score of the best candidate.
    best_params_ : dict
        Parameters of the best candidate.
    best_index_ : int
        Index of the best candidate in ``cv_results_``.
    scorer_ : function or dict
        The scorer(s) used.
    n_splits_ : int
        Number of cross-validation splits.
    refit_time_ : float
        Seconds spent refitting the best estimator.
    multimetric_ : bool
        Whether several metrics were used.
    study_ : Study
        The study behind the search (``study_.trials_dataframe()``...).

    Examples
    --------
    >>> from scipy.stats import loguniform
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.svm import SVC
    >>> from sktune import TPESearchCV
    >>> X, y = load_iris(return_X_y=True)
    >>> search = TPESearchCV(SVC(), {"C": loguniform(1e-2, 1e2)}, n_iter=5, cv=3,
    ...     random_state=0)
    >>> bool(search.fit(X, y).best_score_ > 0.9)
    True
    >>> len(search.cv_results_["params"]), len(search.study_.trials)
    (5, 5)
    """

    _parameter_constraints: dict = {
        **_compat.BaseSearchCV._parameter_constraints,
        "param_distributions": [dict, list],
        "n_iter": [_compat.Interval(numbers.Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
        "sampler": [BaseSampler, None],
        "pruner": [BasePruner, None],
        "timeout": [_compat.Interval(numbers.Real, 0, None, closed="both"), None],
        "callbacks": [list, tuple, None],
        "study": [Study, None],
        "storage": [str, BaseStorage, None],
        "study_name": [str, None],
        "resource": [_compat.StrOptions(set(RESOURCES))],
        "min_resources": [
            _compat.Interval(numbers.Integral, 1, None, closed="left"),
            _compat.StrOptions({"auto"}),
        ],
        "max_resources": [
            _compat.Interval(numbers.Integral, 1, None, closed="left"),
            _compat.StrOptions({"auto"}),
        ],
        "resource_factor": [
            _compat.Interval(numbers.Integral, 2, None, closed="left"),
            _compat.StrOptions({"auto"}),
        ],
        "show_progress_bar": ["boolean"],
    }

    def __init__(
        self,
        estimator: Any,
        param_distributions: Any,
        *,
        n_iter: int = 10,
        scoring: Any = None,
        n_jobs: int | None = None,
        refit: Any = True,
        cv: Any = None,
        verbose: int = 0,
        pre_dispatch: Any = "2*n_jobs",
        random_state: Any = None,
        error_score: Any = np.nan,
        return_train_score: bool = False,
        sampler: BaseSampler | None = None,
        pruner: BasePruner | None = None,
        timeout: float | None = None,
        callbacks: list | None = None,
        study: Study | None = None,
        storage: str | BaseStorage | None = None,
        study_name: str | None = None,
        resource: str = "auto",
        min_resources: int | str = "auto",
        max_resources: int | str = "auto",
        resource_factor: int | str = "auto",
        show_progress_bar: bool = False,
    ) -> None:
        self.param_distributions = param_distributions
        self.n_iter = n_iter
        self.random_state = random_state
        self.sampler = sampler
        self.pruner = pruner
        self.timeout = timeout
        self.callbacks = callbacks
        self.study = study
        self.storage = storage
        self.study_name = study_name
        self.resource = resource
        self.min_resources = min_resources
        self.max_resources = max_resources
        self.resource_factor = resource_factor
        self.show_progress_bar = show_progress_bar
        super().__init__(
            estimator=estimator,
            scoring=scoring,
            n_jobs=n_jobs,
            refit=refit,
            cv=cv,
            verbose=verbose,
            pre_dispatch=pre_dispatch,
            error_score=error_score,
            return_train_score=return_train_score,
        )

    # -- checks that parameter constraints cannot express ------------------------
    def _check_extra_params(self) -> list:
        if isinstance(self.estimator, type):
            # (it has a ``fit`` attribute, so the constraints let it through)
            name = self.estimator.__name__
            raise InvalidParameterError(
                f"The 'estimator' parameter of {_OWNER} must be an estimator "
                f"instance ({name}()). Got the class {name} instead."
            )
        if self.show_progress_bar:
            tqdm_class()  # a missing extra fails before the study is touched
        callbacks = list(self.callbacks or [])
        for c in callbacks:
            if not callable(c):
                raise InvalidParameterError(
                    f"The 'callbacks' parameter of {_OWNER} must be a list of "
                    f"callables or None. Got {self.callbacks!r} instead."
                )
        if isinstance(self.storage, str) and (
            not self.storage.startswith("sqlite:///") or self.storage == "sqlite:///"
        ):
            raise InvalidParameterError(
                f"The 'storage' parameter of {_OWNER} must be None, a BaseStorage "
                f"or a URL 'sqlite:///' followed by a path. Got {self.storage!r} "
                "instead."
            )
        if self.study is not None:
            for name in ("sampler", "pruner", "storage", "study_name"):
                if getattr(self, name) is not None:
                    raise InvalidParameterError(
                        f"The {name!r} parameter of {_OWNER} must be None when "
                        f"'study' is given (the study's own is used). Got "
                        f"{getattr(self, name)!r} instead."
                    )
            if self.study.direction.name != "MAXIMIZE":
                raise InvalidParameterError(
                    f"The 'study' parameter of {_OWNER} must be a study with "
                    f"direction 'maximize'. Got {self.study!r} instead."
                )
        return callbacks

    def _make_study(self, rs: np.random.RandomState, pruner: Any) -> Study:
        if self.study is not None:
            return self.study
        seed = int(rs.randint(np.iinfo(np.int32).max))
        if self.sampler is not None:
            sampler = _copy(self.sampler)
            if self.random_state is not None and getattr(sampler, "seed", 0) is None:
                # An unseeded sampler follows random_state, as the default does.
                sampler._set_seed(seed)
        else:
            sampler = _default_sampler(seed)
        try:
            study = create_study(
                storage=self.storage,
                sampler=sampler,
                pruner=pruner,
                study_name=self.study_name,
                direction="maximize",
                load_if_exists=True,
            )
        except ValueError as exc:
            if "exists with direction" not in str(exc):
                raise
            raise ValueError(
                f"The 'study_name' parameter of {_OWNER} must name a study with "
                f"direction 'maximize' (scikit-learn scores are maximised): {exc} "
                f"Got {self.study_name!r} instead."
            ) from None
        n_done = len(study.get_trials(deepcopy=False))
        if self.sampler is None and n_done:
            # A resumed search: TPE's start-up draws are indexed by trial number,
            # and its model draws take a stream that depends on the history's
            # length, so the first run's draws are not replayed (and the same
            # random_state and history still give the same proposals).
            study.sampler = _default_sampler(
                int(np.random.SeedSequence([seed, n_done]).generate_state(1)[0])
            )
        return study

    @staticmethod
    def _records(study: Study, space: Any) -> list[TrialRecord]:
        records = []
        for trial in study.get_trials(deepcopy=False):
            record = record_from_trial(trial, space.to_sklearn_params)
            if record is not None:
                records.append(record)
        return records

    @staticmethod
    def _check_data(study: Study, X: Any, y: Any, resumed: bool) -> None:
        fingerprint = joblib.hash((X, y))
        stored = study.system_attrs.get(DATA_ATTR)
        if resumed and stored is not None and stored != fingerprint:
            warnings.warn(
                f"The study {study.study_name!r} holds candidates evaluated on "
                "other data than the data passed to fit; their scores are kept "
                "in cv_results_ and guide the sampler.",
                UserWarning,
                stacklevel=3,
            )
        if stored != fingerprint:
            study.set_system_attr(DATA_ATTR, fingerprint)

    def _progress_bar(self, total: int) -> Any:
        if not self.show_progress_bar:
            return None
        return tqdm_class()(total=total, unit="candidate", desc=_OWNER)

    # -- fit ---------------------------------------------------------------------
    @_compat._fit_context(
        # TPESearchCV.estimator is not validated yet
        prefer_skip_nested_validation=False
    )
    def fit(self, X: Any, y: Any = None, **params: Any) -> TPESearchCV:
        """Run the search: evaluate ``n_iter`` candidates, then refit the best.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs) or None
            Target.
        **params : dict
            Fit parameters of the estimator (sliced per fold when they have
            one entry per sample, as ``sample_weight``), ``groups`` for the
            splitter, and, with metadata routing, parameters of the scorer.

        Returns
        -------
        self : TPESearchCV
            The fitted search.

        Examples
        --------
        >>> from sklearn.datasets import load_iris
        >>> from sklearn.svm import SVC
        >>> from sktune import TPESearchCV
        >>> X, y = load_iris(return_X_y=True)
        >>> search = TPESearchCV(SVC(), {"C": [0.1, 1.0, 10.0]}, n_iter=2, cv=3)
        >>> search.fit(X, y).cv_results_["mean_test_score"].shape
        (2,)
        """
        callbacks = self._check_extra_params()
        # numpy.inf means no limit, as in Study.optimize.
        timeout = None if self.timeout == math.inf else self.timeout
        space = build_search_space(
            self.param_distributions, estimator=self.estimator, owner=_OWNER
        )
        grid = self.study.sampler if self.study is not None else self.sampler
        if isinstance(grid, GridSampler):
            space.check_grid(grid.search_space)
        scorers, refit_metric = self._get_scorers()
        X, y = indexable(X, y)
        params = _compat._check_method_params(X, params=params)
        routed = self._get_routed_params_for_fit(params)
        # scikit-learn's callbacks (>= 1.9) start here, as in BaseSearchCV.fit.
        metadata = None
        if params.get("sample_weight") is not None:
            metadata = {"sample_weight": params["sample_weight"]}
        root_ctx = self._callback_root(X, y, metadata)
        cv = check_cv(self.cv, y, classifier=is_classifier(self.estimator))
        n_splits = cv.get_n_splits(X, y, **routed.splitter.split)
        rs = check_random_state(_search_seed(self.random_state, self.sampler))
        splits = list(cv.split(X, y, **routed.splitter.split))
        if len(splits) != n_splits:
            raise ValueError(_compat.inconsistent_splits_message(n_splits, len(splits)))
        if not splits:
            # scikit-learn's message, raised before any trial is created.
            raise ValueError(
                "No fits were performed. Was the CV iterator empty? Were there "
                "no candidates?"
            )

        # The resource plan checks its settings before the study is touched.
        if self.study is not None:
            pruner = self.study.pruner
        else:
            pruner = _copy(self.pruner) if self.pruner is not None else NopPruner()
        pruning = not isinstance(pruner, NopPruner)
        estimator = clone(self.estimator)
        plan = make_resource_plan(
            self.resource,
            estimator,
            pruning=pruning,
            min_resources=self.min_resources,
            max_resources=self.max_resources,
            factor=self.resource_factor,
            pruner=pruner,
            space_sources=space.sources,
            fit_params=routed.estimator.fit,
        )

        study = self._make_study(rs, pruner)
        # Exposed at once, so that an interrupted search can be resumed.
        self.study_ = study
        space.check_compatible(study)
        before = self._records(study, space)
        check_resume(
            study,
            before,
            n_splits=n_splits,
            scoring=self.scoring,
            return_train_score=self.return_train_score,
            owner=_OWNER,
            objective=_objective(self.refit, self.scoring, scorers),
            error_score=self.error_score,
        )
        self._check_data(study, X, y, resumed=bool(before))

        n_target = self.n_iter
        if space.size is not None and space.size < n_target:
            warnings.warn(
                f"The total space of parameters {space.size} is smaller than "
                f"n_iter={self.n_iter}. Running {space.size} iterations. For "
                "exhaustive searches, use GridSearchCV.",
                UserWarning,
                stacklevel=2,
            )
            n_target = space.size
        remaining = max(n_target - len(before), 0)

        self.n_splits_ = n_splits
        if self.verbose > 0 and remaining:
            print(
                f"Fitting {n_splits} folds for each of {remaining} candidates,"
                f" totalling {remaining * n_splits} fits"
            )

        n_jobs = joblib.effective_n_jobs(self.n_jobs)
        search_ctx, contexts = None, {}
        if root_ctx is not None:
            search_ctx, contexts = self._callback_search(root_ctx, remaining, n_splits)
        context = SearchContext(
            estimator=estimator,
            X=X,
            y=y,
            splits=splits,
            scorers=scorers,
            fit_params=routed.estimator.fit,
            score_params=routed.scorer.score,
            return_train_score=self.return_train_score,
            error_score=self.error_score,
            verbose=self.verbose,
            n_candidates=remaining,
            metric=self.refit if isinstance(self.refit, str) else None,
            n_jobs=n_jobs,
            pre_dispatch=self.pre_dispatch,
            callback_contexts=contexts,
            caller=self._callback_caller(n_jobs) if contexts else None,
        )
        rng = np.random.default_rng(int(rs.randint(np.iinfo(np.int32).max)))
        seen = set()
        if space.has_finite_branch:
            numbers_done = {r.number for r in before}
            seen = {
                space.point_key(t.params)
                for t in study.get_trials(deepcopy=False)
                if t.number in numbers_done
            }
            seen.discard(None)
        queue: list[dict[str, Any]] = []
        if space.size is not None and not isinstance(study.sampler, GridSampler):
            # (A GridSampler decides the points itself: only its grid's.)
            if n_target >= space.size:
                # Every point will be evaluated: in GridSearchCV's order (as
                # RandomizedSearchCV does), so that cv_results_ matches it row
                # for row; in random order when a timeout or callback may stop
                # the search, or a pruner judges each trial by those before.
                shuffle = timeout is not None or bool(callbacks) or pruning
                queue = self._points_to_queue(study, space, seen, rng, shuffle=shuffle)
        announce_budget(study.sampler, n_target, study)
        bar = self._progress_bar(remaining)
        scheduler = Scheduler(
            study,
            space,
            context,
            plan,
            n_trials=remaining,
            seen=seen,
            n_workers=min(n_jobs, max(remaining, 1)),
            parallel=n_jobs > 1,
            pruning=pruning,
            timeout=timeout,
            callbacks=callbacks,
            progress_bar=bar,
            rng=rng,
            first_free=not before,
            queue=queue,
        )
        try:
            scheduler.run()
        finally:
            if bar is not None:
                bar.close()
        records = self._records(study, space)
        if not records:
            raise ValueError(
                "No fits were performed. Was the CV iterator empty? Were there "
                "no candidates?"
            )
        if scheduler.outs:
            # In candidate order, as scikit-learn lists them (trials finish
            # in any order).
            outs = [o for n in sorted(scheduler.outs) for o in scheduler.outs[n]]
            _compat._warn_or_raise_about_fit_failures(outs, self.error_score)
        # After the checks of the fits, as scikit-learn's searches end it.
        if search_ctx is not None:
            search_ctx.call_on_fit_task_end(estimator=self)
        results = build_cv_results(
            records,
            n_splits,
            return_train_score=self.return_train_score,
            error_score=self.error_score,
            # (a resumed study may hold trials pruned in an earlier search)
            pruning=pruning or any(r.state == TrialState.PRUNED for r in records),
        )
        first = next(o for o in records[0].outs if o is not None)["test_scores"]
        self.multimetric_ = isinstance(first, Mapping)
        if callable(self.scoring) and self.multimetric_:
            self._check_refit_for_multimetric(first)
            refit_metric = self.refit
        self._select_best(results, refit_metric)
        if self.refit:
            self._refit(
                context.estimator, X, y, routed.estimator.fit, plan, root_ctx, metadata
            )
        self.scorer_ = (
            scorers._scorers
            if isinstance(scorers, _compat._MultimetricScorer)
            else scorers
        )
        self.cv_results_ = results
        if root_ctx is not None:
            root_ctx.call_on_fit_task_end(estimator=self, X=X, y=y, metadata=metadata)
        return self

    def _callback_root(self, X: Any, y: Any, metadata: dict | None) -> Any:
        """The root context of scikit-learn's callbacks (``set_callbacks``,
        scikit-learn >= 1.9), its ``setup`` and ``on_fit_task_begin`` hooks
        called; None when no callback is set or propagated to this search."""
        if not hasattr(self, "_init_callback_context") or not (
            getattr(self, "_skl_callbacks", None)
            or hasattr(self, "_parent_callback_ctx")
            or _has_callbacks(self.estimator)
        ):
            # Without any callback, no tree: each pickled task would carry it.
            return None
        root = self._init_callback_context(max_subtasks=1 + (self.refit is not False))
        return root.call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=metadata)

    def _callback_search(
        self, root_ctx: Any, remaining: int, n_splits: int
    ) -> tuple[Any, dict[tuple[int, int], Any]]:
        """The "search" callback context (its ``on_fit_task_begin`` called)
        and the contexts of the evaluations by (candidate, fold).

        They are all made now: a context tree must not change while a task
        holding it is pickled, and trials are dispatched asynchronously. Every
        pickled task carries the whole tree, so it is capped at
        ``_MAX_CALLBACK_EVALUATIONS``; later candidates run without
        evaluation contexts, with a warning.
        """
        n_cands = min(remaining, max(1, _MAX_CALLBACK_EVALUATIONS // n_splits))
        if n_cands < remaining:
            warnings.warn(
                f"scikit-learn's callbacks see the evaluations of the first "
                f"{n_cands} candidates of {remaining} only (at most "
                f"{_MAX_CALLBACK_EVALUATIONS} fold fits), and the search's "
                "other tasks.",
                UserWarning,
                stacklevel=3,
            )
        search_ctx = root_ctx.subcontext(
            task_name="search",
            max_subtasks=n_cands * n_splits,
            sequential_subtasks=False,
        ).call_on_fit_task_begin(estimator=self)
        contexts = {
            (c, f): search_ctx.subcontext(
                task_name="candidate-split-evaluation", task_id=c * n_splits + f
            )
            for c in range(n_cands)
            for f in range(n_splits)
        }
        return search_ctx, contexts

    def _callback_caller(self, n_jobs: int) -> TPESearchCV:
        """The estimator the evaluations' hooks receive: this search, or,
        when tasks may be pickled to other processes, a copy without what may
        be large or unpicklable (the study and its trials, the storage, the
        sampler and pruner, the ``callbacks`` parameter), which is pickled
        with every task."""
        if n_jobs == 1:
            return self
        caller = copy.copy(self)
        caller.__dict__.pop("study_", None)
        for name in ("study", "storage", "sampler", "pruner", "callbacks"):
            setattr(caller, name, None)
        return caller

    @staticmethod
    def _points_to_queue(
        study: Study,
        space: Any,
        seen: set,
        rng: np.random.Generator,
        *,
        shuffle: bool,
    ) -> list[dict[str, Any]]:
        """Every point not evaluated yet nor waiting in the study (the search
        is exhaustive), in ``ParameterGrid``'s order, or in random order with
        ``shuffle``: if the search may stop early, a random subset covers the
        space better than the grid's first rows, and a pruner's early trials
        should be typical ones. The scheduler enqueues each one just before
        the ask that takes it, so that a search stopped early leaves no
        waiting trials behind."""
        queued = set(seen)
        for t in study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
            queued.add(_fixed_point_key(space, t.system_attrs.get("fixed_params")))
        points = [p for p in space.iter_points() if space.point_key(p) not in queued]
        order = rng.permutation(len(points)) if shuffle else range(len(points))
        return [space.to_enqueue(points[i]) for i in order]

    def _select_best(self, results: dict[str, Any], refit_metric: Any) -> None:
        if self.refit or not self.multimetric_:
            if (
                not callable(self.refit)
                and "state" in results
                and np.all(results["state"] == TrialState.PRUNED.name)
            ):
                # Pruned candidates rank last and are never the best one.
                # (Failed ones can be, as in scikit-learn when all fits fail.)
                message = (
                    "Every candidate was pruned, so none can be the best one. "
                    "Give the pruner more start-up trials or a looser rule."
                )
                if self.refit:
                    raise ValueError(
                        f"{message} (The candidates are in study_; fit with "
                        "refit=False to get cv_results_.)"
                    )
                warnings.warn(
                    f"{message} best_index_, best_score_ and best_params_ are not set.",
                    UserWarning,
                    stacklevel=3,
                )
                return
            self.best_index_ = self._select_best_index(
                self.refit, refit_metric, results
            )
            if not callable(self.refit):
                self.best_score_ = results[f"mean_test_{refit_metric}"][
                    self.best_index_
                ]
            self.best_params_ = results["params"][self.best_index_]

    def _refit(
        self,
        base: Any,
        X: Any,
        y: Any,
        fit_params: dict[str, Any],
        plan: Any,
        root_ctx: Any = None,
        metadata: dict | None = None,
    ) -> None:
        # Clone the parameters too: they may be estimators (a Pipeline step).
        self.best_estimator_ = clone(base).set_params(
            **clone(self.best_params_, safe=False)
        )
        ctx = None
        if root_ctx is not None:
            ctx = root_ctx.subcontext(task_name="refit-with-best-params")
        plan = plan.for_estimator(self.best_estimator_)
        # A stepped plan trains with partial_fit or slices of a Pipeline, not
        # best_estimator_.fit: propagated callbacks would never see the task,
        # so every callback gets this task's hooks instead.
        with (
            ctx.propagate_callback_context(self.best_estimator_)
            if ctx is not None and not plan.stepped
            else contextlib.nullcontext()
        ):
            if ctx is not None:
                ctx.call_on_fit_task_begin(estimator=self, X=X, y=y, metadata=metadata)
            start = time.time()
            # The plan trains it as the folds were (full resource for stepped
            # plans).
            plan.refit(self.best_estimator_, X, y, fit_params)
            self.refit_time_ = time.time() - start
        if hasattr(self.best_estimator_, "feature_names_in_"):
            self.feature_names_in_ = self.best_estimator_.feature_names_in_
        if ctx is not None:
            ctx.call_on_fit_task_end(estimator=self, X=X, y=y, metadata=metadata)


def _has_callbacks(estimator: Any) -> bool:
    """Whether ``estimator`` or one of its sub-estimators has scikit-learn
    callbacks (their tasks then join the search's tree, as in scikit-learn)."""
    if getattr(estimator, "_skl_callbacks", None):
        return True
    try:
        params = estimator.get_params(deep=True)
    except Exception:  # a minimal estimator: its own callbacks only
        return False
    return any(getattr(v, "_skl_callbacks", None) for v in params.values())


def _objective(refit: Any, scoring: Any, scorers: Any) -> str | None:
    """The metric the trial values hold when there are several: ``refit`` if
    a metric name, else the first (as :func:`trial_value` takes it); None
    for a single metric. A callable ``scoring`` may return several metrics:
    a ``refit`` name then names the one the values hold, else the first."""
    names = getattr(scorers, "_scorers", None)  # scikit-learn's multimetric
    if isinstance(names, Mapping) and names:
        return refit if isinstance(refit, str) else str(next(iter(names)))
    single = scoring is None or isinstance(scoring, str) or hasattr(scoring, "_sign")
    if callable(scoring) and not single:
        # (Only checked against stored candidates whose scores are a dict.)
        return refit if isinstance(refit, str) else FIRST_METRIC
    return None


def _fixed_point_key(space: Any, fixed: Any) -> Any:
    """Point key of an enqueued trial's fixed parameters (None if unknown)."""
    if not isinstance(fixed, Mapping):
        return None
    branch = fixed.get("__space__", 0)
    try:
        dists = space.branches[int(branch)]
        point = {}
        for name, value in fixed.items():
            if isinstance(value, Mapping) and "__index__" in value:
                value = dists[name].choices[value["__index__"]]
            point[name] = value
    except (KeyError, IndexError, TypeError, ValueError, AttributeError):
        return None
    return space.point_key(point)


def _search_seed(random_state: Any, sampler: Any) -> Any:
    """The source of the search's own random choices (seeds, replacements of
    repeated points, the order of an exhaustive search): ``random_state``, or
    without one the seed of a seeded sampler, so that either makes the
    search reproducible."""
    seed = getattr(sampler, "seed", None)
    if random_state is None and isinstance(seed, int) and not isinstance(seed, bool):
        return seed
    return random_state


def _copy(obj: Any) -> Any:
    """A deep copy of a sampler or pruner (the user's object stays as it is)."""
    try:
        return copy.deepcopy(obj)
    except Exception:  # an object that cannot be copied is used as it is
        return obj
