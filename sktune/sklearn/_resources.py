"""Resource plans that train a candidate in steps: epochs and estimators.

With a pruner, TPESearchCV can report more than one value per fold: each
fold's estimator is trained in steps of a growing resource, and the mean test
score over the folds is reported after each step, at the step number equal to
the resource reached (so the rungs of successive halving and Hyperband are in
units of the resource).

* ``"epochs"``: ``partial_fit`` is called once per epoch on the fold's
  training data (classifiers get ``classes=np.unique(y)`` on the first call).
  scikit-learn's multilayer perceptrons (stochastic solver, no early stopping)
  instead run a whole step in one warm-started ``fit`` of ``max_iter`` more
  epochs: each ``partial_fit`` call re-checks the data and re-binarizes the
  labels, which costs about half an epoch of a small network.
* ``"estimators"``: a ``warm_start`` estimator grows its ``n_estimators``
  (``max_iter`` for histogram gradient boosting) at each step.

The fold's estimator lives in a :class:`FoldState` that the work unit returns
and the driver passes to the fold's next unit, so the steps of a fold may run
in different processes or on different machines. For a Pipeline, the steps
before the last are fitted once per fold and the transformed data is kept in
the state; only the last step is trained in steps.

The resources grow geometrically, as in successive halving (Jamieson and
Talwalkar 2016) and scikit-learn's ``HalvingRandomSearchCV``: the steps are
``base * factor ** k`` from ``min_resources`` up to ``max_resources``, then
``max_resources`` (e.g. 1, 2, 4, 8, 10 epochs). A step costs a score of each
fold, so the schedule reports only where a pruner can decide: with the rung
pruners (:class:`~sktune.pruners.SuccessiveHalvingPruner`,
:class:`~sktune.pruners.HyperbandPruner`) ``"auto"`` puts the steps at the ends
of their rungs (``factor`` is their ``reduction_factor``); with any other
pruner, which may decide at every step, the resources double.
"""

from __future__ import annotations

import inspect
import math
import time
import traceback
import warnings
from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import nullcontext
from copy import deepcopy
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn import config_context
from sklearn.base import clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.pipeline import Pipeline

from sktune.sklearn import _compat
from sktune.sklearn._evaluate import (
    STATE_KEY,
    FoldsPlan,
    ResourcePlan,
    SearchContext,
    WorkUnit,
    trial_value,
)

__all__ = [
    "EpochsPlan",
    "EstimatorsPlan",
    "FoldState",
    "choose_resource",
    "pruner_rungs",
    "resource_schedule",
    "run_step",
]

#: Key of a fold's output holding the resource it reached.
RESOURCE_KEY = "n_resources"
#: Epochs when neither ``max_resources`` nor the estimator's ``max_iter`` say.
DEFAULT_MAX_EPOCHS = 100
#: Most bytes of the folds' sliced data kept for every candidate (n_jobs=1).
FOLD_CACHE_BYTES = 2**30
#: ``min_resources="auto"`` of "estimators": this fraction of the maximum.
_ESTIMATORS_MIN_FRACTION = 16


def final_step(estimator: Any) -> Any:
    """The last step of a Pipeline, else the estimator itself."""
    return estimator[-1] if isinstance(estimator, Pipeline) else estimator


def _step_prefix(estimator: Any) -> str:
    return f"{estimator.steps[-1][0]}__" if isinstance(estimator, Pipeline) else ""


def warm_start_param(estimator: Any) -> str | None:
    """The parameter a warm-started ``estimator`` grows: ``n_estimators``, or
    ``max_iter`` for histogram gradient boosting; None if neither applies.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.ensemble import HistGradientBoostingRegressor
    >>> warm_start_param(RandomForestClassifier())
    'n_estimators'
    >>> warm_start_param(HistGradientBoostingRegressor())
    'max_iter'
    """
    if not hasattr(estimator, "get_params"):
        return None  # ("passthrough" or None as a Pipeline's last step)
    params = estimator.get_params(deep=False)
    if "warm_start" not in params:
        return None
    if "n_estimators" in params:
        return "n_estimators"
    # Only where max_iter counts the total iterations of a warm start.
    if "max_iter" in params and type(estimator).__name__.startswith(
        "HistGradientBoosting"
    ):
        return "max_iter"
    return None


def fits_epochs_warm(estimator: Any) -> bool:
    """Whether ``estimator`` trains its epochs in a warm-started ``fit``.

    True for scikit-learn's multilayer perceptrons with a stochastic solver
    and no early stopping: with ``warm_start=True``, ``fit`` runs ``max_iter``
    more epochs from the current weights (the optimizer's moments restart).

    Examples
    --------
    >>> from sklearn.neural_network import MLPClassifier
    >>> fits_epochs_warm(MLPClassifier())
    True
    >>> fits_epochs_warm(MLPClassifier(early_stopping=True))
    False
    """
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    return (
        isinstance(estimator, MLPClassifier | MLPRegressor)
        and estimator.solver in ("sgd", "adam")
        and not estimator.early_stopping
    )


def partial_fit_blocker(estimator: Any) -> str | None:
    """The setting of ``estimator`` that its ``partial_fit`` refuses, or None.

    scikit-learn's ``partial_fit`` refuses ``early_stopping=True`` (SGD
    models, multilayer perceptrons) and ``class_weight="balanced"`` (SGD
    classifiers), which need the whole training set at once.

    Examples
    --------
    >>> from sklearn.linear_model import SGDClassifier
    >>> partial_fit_blocker(SGDClassifier(early_stopping=True))
    'early_stopping=True'
    >>> partial_fit_blocker(SGDClassifier()) is None
    True
    """
    return _settings_blocker(estimator.get_params(deep=False))


def _settings_blocker(params: Mapping[str, Any]) -> str | None:
    """What :func:`partial_fit_blocker` finds in parameters ``params``."""
    early, weight = params.get("early_stopping"), params.get("class_weight")
    if isinstance(early, bool | np.bool_) and early:
        return "early_stopping=True"
    if isinstance(weight, str) and weight == "balanced":
        return "class_weight='balanced'"
    return None


def epochs_blocker(estimator: Any, fit_params: Collection[str] = ()) -> str | None:
    """Why ``estimator`` cannot be trained in epochs of ``partial_fit``
    equivalent to its ``fit``, or None.

    Besides :func:`partial_fit_blocker`'s settings: no ``partial_fit``, naive
    Bayes, whose ``partial_fit`` accumulates counts (an epoch more counts
    every sample again, which weakens the smoothing), and fit parameters
    (names ``fit_params``, for this estimator) that ``partial_fit`` does not
    take.

    Examples
    --------
    >>> from sklearn.naive_bayes import MultinomialNB
    >>> epochs_blocker(MultinomialNB())
    'naive Bayes (partial_fit accumulates counts)'
    """
    if not hasattr(estimator, "partial_fit"):
        return "no partial_fit"
    if type(estimator).__module__.startswith("sklearn.naive_bayes"):
        return "naive Bayes (partial_fit accumulates counts)"
    blocker = partial_fit_blocker(estimator)
    if blocker is None and fit_params:
        blocker = _fit_only_param(estimator, fit_params)
    return blocker


def _fit_only_param(estimator: Any, names: Collection[str]) -> str | None:
    """A fit parameter among ``names`` that ``estimator``'s ``partial_fit``
    does not take (``coef_init`` of SGD models, say), where epochs are
    ``partial_fit`` calls; None if it takes them all."""
    if fits_epochs_warm(estimator):
        return None  # (its epochs are warm-started fits)
    try:
        taken = inspect.signature(estimator.partial_fit).parameters
    except (TypeError, ValueError):
        return None
    if any(p.kind == p.VAR_KEYWORD for p in taken.values()):
        return None
    for name in names:
        if name not in taken:
            return f"the fit parameter {name!r} (partial_fit does not take it)"
    return None


def estimators_blocker(estimator: Any) -> str | None:
    """Why ``estimator`` cannot grow by ``warm_start``, or None: it has no
    parameter to grow, or it is a bagging ensemble with ``oob_score=True``
    (which scikit-learn refuses with ``warm_start``).

    Examples
    --------
    >>> from sklearn.ensemble import BaggingClassifier, RandomForestClassifier
    >>> estimators_blocker(BaggingClassifier(oob_score=True))
    'oob_score=True'
    >>> estimators_blocker(RandomForestClassifier(oob_score=True)) is None
    True
    """
    if warm_start_param(estimator) is None:
        return "no warm_start with n_estimators"
    oob = estimator.get_params(deep=False).get("oob_score")
    if oob is not None and oob is not False and _is_bagging(estimator):
        # (Forests compute the out-of-bag score of all their trees after a
        # warm start as after one fit; bagging refuses it.)
        return "oob_score=True"
    return None


def _is_bagging(estimator: Any) -> bool:
    try:
        from sklearn.ensemble._bagging import BaseBagging
    except ImportError:  # pragma: no cover (a future scikit-learn)
        return True
    return isinstance(estimator, BaseBagging)


def space_step_blocker(
    estimator: Any,
    sources: Sequence[Mapping[str, Any]],
    blocker_of: Callable[[Any], str | None] = epochs_blocker,
) -> str | None:
    """A final step, or a setting of it, that the search space may give and
    that ``blocker_of`` refuses (by default, what cannot be trained in
    epochs, see :func:`epochs_blocker`; :func:`estimators_blocker` for
    ``warm_start`` growth), or None.

    ``sources`` are the space's dicts of what the user gave (lists, choices
    of estimators for the step, distributions).

    Examples
    --------
    >>> from sklearn.linear_model import SGDClassifier
    >>> space_step_blocker(SGDClassifier(), [{"early_stopping": [True]}])
    'early_stopping=True'
    >>> space_step_blocker(SGDClassifier(), [{"alpha": [0.1]}]) is None
    True
    """
    prefix = _step_prefix(estimator)
    last = final_step(estimator)
    for source in sources:
        for key, value in source.items():
            choices = getattr(value, "choices", value)
            if isinstance(choices, str) or not hasattr(choices, "__iter__"):
                continue
            if prefix and key == prefix[:-2]:
                # The final step itself is chosen.
                steps = [(est, type(est).__name__) for est in choices]
            elif key.startswith(prefix) and "__" not in key[len(prefix) :]:
                name = key[len(prefix) :]
                steps = []
                for v in choices:
                    try:
                        steps.append(
                            (clone(last).set_params(**{name: v}), f"{name}={v!r}")
                        )
                    except Exception:  # (an invalid value fails in fit, as usual)
                        continue
            else:
                continue
            for step, what in steps:
                if not hasattr(step, "get_params"):
                    continue
                blocker = blocker_of(step)
                if blocker is not None:
                    return blocker if "=" in blocker else f"{what} ({blocker})"
    return None


def choose_resource(
    estimator: Any,
    resource: str,
    pruning: bool,
    fit_params: Mapping[str, Any] | None = None,
) -> str:
    """The resource kind of ``resource`` for ``estimator``.

    ``"auto"`` is ``"folds"`` without a pruner; with one, ``"epochs"`` if the
    final step has a ``partial_fit`` that its settings and the fit
    parameters ``fit_params`` allow (see :func:`epochs_blocker`), else
    ``"estimators"`` if it is a
    ``warm_start`` ensemble (or histogram gradient boosting), else
    ``"folds"``.

    Examples
    --------
    >>> from sklearn.linear_model import SGDClassifier
    >>> choose_resource(SGDClassifier(), "auto", pruning=True)
    'epochs'
    >>> choose_resource(SGDClassifier(), "auto", pruning=False)
    'folds'
    """
    if resource != "auto":
        return resource
    if not pruning:
        return "folds"
    last = final_step(estimator)
    if epochs_blocker(last, last_step_params(estimator, fit_params)) is None:
        return "epochs"
    if estimators_blocker(last) is None and (
        # Gradient boosting's early stopping restarts its patience with each
        # warm start, so steps would not stop where one fit does.
        last.get_params(deep=False).get("n_iter_no_change") is None
        or warm_start_param(last) == "max_iter"
    ):
        return "estimators"
    return "folds"


def last_step_params(estimator: Any, fit_params: Mapping[str, Any] | None) -> list[str]:
    """Names of the fit parameters that go to ``estimator``'s final step."""
    if not fit_params:
        return []
    try:
        return list(_split_fit_params(estimator, fit_params)[1])
    except Exception:  # (routing errors are raised where the fit runs)
        return []


def resource_schedule(
    min_resources: int, max_resources: int, factor: int = 2, base: int | None = None
) -> list[int]:
    """Resources reached after each step: ``base * factor ** k`` (``k >= 0``)
    from ``min_resources`` up to below ``max_resources``, then
    ``max_resources``. ``base`` defaults to ``min_resources``.

    Examples
    --------
    >>> resource_schedule(1, 10)
    [1, 2, 4, 8, 10]
    >>> resource_schedule(1, 10, factor=4)
    [1, 4, 10]
    >>> resource_schedule(2, 32, factor=3, base=1)
    [3, 9, 27, 32]
    """
    out = []
    step = min_resources if base is None else base
    while step < max_resources:
        if step >= min_resources:
            out.append(step)
        step *= factor
    return [*out, max_resources]


def pruner_rungs(
    pruner: Any, max_resources: int, study: Any = None
) -> tuple[int, int] | None:
    """``(end of the first rung, reduction factor)`` of a rung pruner, None
    for any other pruner.

    A rung pruner (:class:`~sktune.pruners.SuccessiveHalvingPruner`,
    :class:`~sktune.pruners.HyperbandPruner`, or any pruner with a
    ``rung_ends(max_step)`` method) decides only at steps ``first * factor **
    k``; ``max_resources`` is the last step of a complete trial. With
    ``study``, the rungs the pruner uses in it (sktune's pruners resolve
    ``min_resource="auto"`` once per study; a custom ``rung_ends`` without a
    ``study`` parameter gets none).

    Examples
    --------
    >>> from sktune.pruners import MedianPruner, SuccessiveHalvingPruner
    >>> pruner_rungs(SuccessiveHalvingPruner(), 10)
    (1, 4)
    >>> pruner_rungs(SuccessiveHalvingPruner(min_resource=2, reduction_factor=3), 10)
    (2, 3)
    >>> pruner_rungs(MedianPruner(), 10) is None
    True
    """
    rung_ends = getattr(pruner, "rung_ends", None)
    if rung_ends is None:
        return None
    if study is not None and _takes_study(rung_ends):
        first, factor = rung_ends(max_resources, study=study)
    else:
        first, factor = rung_ends(max_resources)
    return int(first), int(factor)


def _takes_study(method: Any) -> bool:
    try:
        return "study" in inspect.signature(method).parameters
    except (TypeError, ValueError):
        return False


@dataclass
class FoldState:
    """What a fold keeps between its steps.

    Parameters
    ----------
    model : estimator
        The (last step of the) estimator, trained up to ``done``.
    X_train, y_train, X_test, y_test : array-like
        The fold's data; for a Pipeline, ``X_train`` is transformed by the
        earlier steps (``model`` trains on it).
    fit_params : dict
        Fit parameters of ``model``, sliced to the fold's training rows.
    score_params : dict
        Scorer parameters, sliced to the fold's test rows.
    train_score_params : dict or None
        Scorer parameters sliced to the fold's training rows (for the train
        scores), or None.
    done : int
        Resource reached so far.
    fit_time : float
        Seconds spent fitting, over every step so far.
    warm_epochs : bool or None
        For "epochs": whether the steps are warm-started fits (set on the
        first step).
    converged : bool
        Whether the model stopped by its own rule (``tol`` and
        ``n_iter_no_change`` of a multilayer perceptron, a gradient
        boosting's early stopping): a single fit would have stopped there
        too, so later steps train nothing.
    scored, X_train_scored, X_test_scored : estimator, array-like or None
        For a Pipeline scored by a user's callable (or with routed scorer
        parameters): the whole Pipeline (``model`` and the fitted earlier
        steps) and private copies of the fold's untransformed rows (training
        rows only with train scores), which the scorer gets, as in
        scikit-learn. None otherwise: the scorer gets ``model`` and the rows
        transformed once by the earlier steps (``X_test``, and
        ``X_train_eval`` for train scores), which scikit-learn's own scorers
        score alike.
    X_train_eval : array-like or None
        The training rows as the fitted earlier steps transform them, for
        the train scores of such a Pipeline (``fit_transform`` may differ,
        a target encoder's cross-fitting); None otherwise.
    """

    model: Any
    X_train: Any
    y_train: Any
    X_test: Any
    y_test: Any
    fit_params: dict[str, Any]
    score_params: dict[str, Any]
    train_score_params: dict[str, Any] | None = None
    done: int = 0
    fit_time: float = 0.0
    warm_epochs: bool | None = None
    converged: bool = False
    scored: Any = None
    X_train_scored: Any = None
    X_test_scored: Any = None
    X_train_eval: Any = None

    def scoring(self, train: bool = False) -> tuple[Any, Any]:
        """The estimator and data the scorer gets: the test or training part
        (a fresh copy of untransformed rows, which the Pipeline's steps may
        change in place)."""
        if self.scored is None:
            if not train:
                return self.model, self.X_test
            rows = self.X_train if self.X_train_eval is None else self.X_train_eval
            return self.model, rows
        rows = self.X_train_scored if train else self.X_test_scored
        return self.scored, _copy_rows(rows)


def _split_fit_params(
    estimator: Any, fit_params: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Fit parameters of a Pipeline's earlier steps (``step__name``) and of
    its last step (prefix removed); everything is the last step's otherwise."""
    prefix = _step_prefix(estimator)
    if not prefix:
        return {}, dict(fit_params)
    if _compat._routing_enabled():
        # Metadata routing: unprefixed parameters go where the steps request
        # them (the earlier steps' through the sliced Pipeline's own routing).
        from sklearn.utils.metadata_routing import process_routing

        routed = process_routing(estimator, "fit", **fit_params)
        names = [name for name, _ in estimator.steps]
        pre: dict[str, Any] = {}
        for name in names[:-1]:
            for method in ("fit", "fit_transform"):  # (transformers: either)
                pre.update(routed[name].get(method, {}))
        return pre, dict(routed[names[-1]].get("fit", {}))
    last = {k[len(prefix) :]: v for k, v in fit_params.items() if k.startswith(prefix)}
    pre = {k: v for k, v in fit_params.items() if not k.startswith(prefix)}
    return pre, last


def slice_fold(
    X: Any,
    y: Any,
    train: np.ndarray,
    test: np.ndarray,
    fit_params: Mapping[str, Any],
    score_params: Mapping[str, Any],
) -> tuple[Any, Any, Any, Any, dict[str, Any], dict[str, Any]]:
    """``X_train, y_train, X_test, y_test, fit_params, score_params`` of a
    fold, the parameters with one entry per sample sliced to its rows."""
    return (
        _compat._safe_indexing(X, train),
        None if y is None else _compat._safe_indexing(y, train),
        _compat._safe_indexing(X, test),
        None if y is None else _compat._safe_indexing(y, test),
        _compat._check_method_params(X, params=fit_params, indices=train),
        _compat._check_method_params(X, params=score_params, indices=test),
    )


def _new_state(
    estimator: Any,
    X: Any,
    y: Any,
    train: np.ndarray,
    test: np.ndarray | None,
    fit_params: Mapping[str, Any],
    score_params: Mapping[str, Any],
    fold_data: tuple | None = None,
    reads_rows: bool = False,
    train_scores: bool = False,
) -> FoldState:
    """Slice the fold's data (all of it when ``test`` is None; ``fold_data``
    when given, already sliced by :func:`slice_fold`) and fit a Pipeline's
    earlier steps on its training part.

    ``reads_rows``: whether the scorer may read the rows (see
    :func:`_reads_rows`); a Pipeline is then scored whole, on copies of the
    untransformed rows kept apart from those the steps transform (in place,
    with ``copy=False``), as it is with routed scorer parameters (which may
    go to the steps' ``transform``). ``train_scores``: the training rows are
    scored too.
    """
    if fold_data is not None:
        X_train, y_train, X_test, y_test, fit_params, score_params = fold_data
    elif test is None:
        X_train, y_train, X_test, y_test = X, y, None, None
        fit_params = dict(fit_params)
    else:
        X_train, y_train, X_test, y_test, fit_params, score_params = slice_fold(
            X, y, train, test, fit_params, score_params
        )
    pre_params, last_params = _split_fit_params(estimator, fit_params)
    start = time.time()
    scored = X_train_scored = X_test_scored = X_train_eval = None
    pipeline = isinstance(estimator, Pipeline) and X_test is not None
    whole = pipeline and (
        reads_rows or (bool(score_params) and _compat._routing_enabled())
    )
    if whole:
        scored = estimator
        X_test_scored = _copy_rows(X_test)
        if train_scores:
            X_train_scored = _copy_rows(X_train)
    has_pre = isinstance(estimator, Pipeline) and len(estimator.steps) > 1
    if has_pre:
        raw_train = (
            _copy_rows(X_train) if pipeline and train_scores and not whole else None
        )
        pre = estimator[:-1]
        X_train = pre.fit_transform(X_train, y_train, **pre_params)
        # The slice shares the step objects, but with ``memory`` it fits
        # clones into its own list: the estimator takes the fitted steps.
        estimator.steps = [*pre.steps, estimator.steps[-1]]
        if X_test is not None and not whole:
            X_test = _transform_rows(estimator, X_test)
            if raw_train is not None:
                X_train_eval = _transform_rows(estimator, raw_train)
    return FoldState(
        model=final_step(estimator),
        X_train=X_train,
        y_train=y_train,
        X_test=X_test,
        y_test=y_test,
        fit_params=last_params,
        score_params=dict(score_params),
        fit_time=time.time() - start,
        scored=scored,
        X_train_scored=X_train_scored,
        X_test_scored=X_test_scored,
        X_train_eval=X_train_eval,
    )


def _transform_rows(pipeline: Pipeline, X: Any) -> Any:
    """``X`` through the fitted earlier steps of ``pipeline``, as its
    ``predict`` transforms it (``Pipeline.transform`` would first check that
    its last step is fitted, which a stateless transformer does not show)."""
    for _, step in pipeline.steps[:-1]:
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        X = step.transform(X)
    return X


def _copy_rows(X: Any) -> Any:
    """A copy of ``X`` that transforms in place cannot reach."""
    copy = getattr(X, "copy", None)
    return copy() if callable(copy) else deepcopy(X)


def _reads_rows(scorer: Any) -> bool:
    """Whether ``scorer`` may do more with the rows than pass them to the
    estimator (a user's callable may read them, or expect the Pipeline).

    scikit-learn's own scorers (strings, ``make_scorer``, ``None``) only pass
    the rows to the estimator: scoring a Pipeline's last step on rows the
    earlier steps transformed once gives what the Pipeline gives on the
    untransformed rows, without transforming them again at every step.
    """
    try:
        from sklearn.metrics._scorer import (
            _MultimetricScorer,
            _PassthroughScorer,
            _Scorer,
        )
    except ImportError:  # pragma: no cover (a future scikit-learn)
        return True
    if type(scorer) is _MultimetricScorer:
        return any(_reads_rows(s) for s in scorer._scorers.values())
    return type(scorer) not in (_Scorer, _PassthroughScorer)


def _advance(state: FoldState, kind: str, stop: int, param: str | None, classes: Any):
    """Train ``state.model`` from ``state.done`` up to ``stop``."""
    model, X, y = state.model, state.X_train, state.y_train
    if kind == "epochs" and state.warm_epochs is None:
        # Decided once per fold. fit learns the classes from y: a fold
        # missing one needs partial_fit with ``classes``.
        state.warm_epochs = fits_epochs_warm(model) and (
            classes is None or len(np.unique(y)) == len(classes)
        )
    if kind == "epochs" and not state.warm_epochs:
        while state.done < stop:
            kwargs = dict(state.fit_params)
            first = state.done == 0
            if first and classes is not None:
                kwargs["classes"] = classes
            # The first epoch checked the data and the parameters; later ones
            # skip those checks (the same arrays, the same parameters).
            with _checked(not first):
                _call(model.partial_fit, X, y, kwargs)
            state.done += 1
        return
    if stop <= state.done:
        return
    if state.converged:
        state.done = stop
        return
    if kind == "epochs":
        # An MLP's fit with warm_start runs max_iter more epochs (n_iter_
        # counts them; the no-improvement count carries over).
        model.set_params(warm_start=True, max_iter=stop - state.done)
        with _checked(state.done > 0), warnings.catch_warnings():
            # A step is not meant to converge.
            warnings.simplefilter("ignore", ConvergenceWarning)
            _call(model.fit, X, y, state.fit_params)
        state.converged = model.n_iter_ < stop - state.done or _stopped(model)
    else:
        param = param or warm_start_param(model)
        assert param is not None  # (checked when the plan was chosen)
        model.set_params(**{"warm_start": True, param: stop})
        _call(model.fit, X, y, state.fit_params)
        # Early stopping ends a fit below the number asked for.
        grown = getattr(model, "n_estimators_", None)
        if grown is None and param == "max_iter":
            grown = model.n_iter_
        state.converged = (grown is not None and int(grown) < stop) or _stopped(model)
    state.done = stop


def _stopped(model: Any) -> bool:
    """Whether ``model``'s own stopping rule fired at the last iteration of
    its fit, where the fit ends anyway: a warm start would train on (it does
    not look back), a single longer fit would have stopped there.

    Reads the rules' private state (scikit-learn's MLPs count the epochs
    without improvement and stop above ``n_iter_no_change``; histogram
    gradient boosting keeps its scores); False where it is missing.
    """
    count = getattr(model, "_no_improvement_count", None)
    if count is not None and hasattr(model, "loss_curve_"):
        # (An adaptive learning rate resets the count when it decays instead.)
        return bool(count > model.n_iter_no_change)
    if getattr(model, "do_early_stopping_", False):
        scores = (
            getattr(model, "validation_score_", None)
            if getattr(model, "_use_validation_data", False)
            else getattr(model, "train_score_", None)
        )
        should_stop = getattr(model, "_should_stop", None)
        if scores is not None and len(scores) and should_stop is not None:
            return bool(should_stop(list(scores)))
    return False


def _call(method: Any, X: Any, y: Any, kwargs: dict[str, Any]) -> None:
    """``method(X, **kwargs)``, with ``y`` after ``X`` unless it is None."""
    if y is None:
        method(X, **kwargs)
    else:
        method(X, y, **kwargs)


def _checked(skip: bool) -> Any:
    """A context skipping scikit-learn's input and parameter checks."""
    if not skip:
        return nullcontext()
    return config_context(assume_finite=True, skip_parameter_validation=True)


def _score(
    scorer: Any, model: Any, X: Any, y: Any, params: dict[str, Any], error_score: Any
) -> Any:
    scores = _compat._score(model, X, y, scorer, params, error_score)
    if isinstance(scores, Mapping):
        return {k: float(v) for k, v in scores.items()}
    return float(scores)


def run_step(
    state: FoldState | None,
    estimator: Any,
    X: Any,
    y: Any,
    *,
    kind: str,
    stop: int,
    param: str | None,
    classes: Any,
    train: np.ndarray,
    test: np.ndarray,
    parameters: Mapping[str, Any],
    scorer: Any,
    fit_params: Mapping[str, Any],
    score_params: Mapping[str, Any],
    return_train_score: bool,
    error_score: Any,
    fold_data: tuple | None = None,
) -> dict[str, Any]:
    """Train one fold up to resource ``stop`` and score it (a work unit).

    Parameters
    ----------
    state : FoldState or None
        The fold's state from its previous step; None on the first step.
    estimator : estimator
        The unfitted base estimator (used on the first step only).
    X, y : array-like
        All the data; ``train`` and ``test`` index it.
    kind : {"epochs", "estimators"}
        How the model grows.
    stop : int
        Resource to reach.
    param : str or None
        The parameter grown by "estimators"; None for the model's own
        (:func:`warm_start_param`).
    classes : array or None
        Passed to the first ``partial_fit`` call of a classifier.
    train, test : ndarray
        The fold's indices.
    parameters : dict
        The candidate's parameters.
    scorer : scorer or _MultimetricScorer
    fit_params, score_params : dict
        Unsliced fit and scorer parameters.
    return_train_score : bool
        Score the training data too.
    error_score : "raise" or float
        Score of a failed step.
    fold_data : tuple or None, default=None
        The fold's data already sliced (:func:`slice_fold`), used on the
        first step instead of slicing ``X``, ``y`` and the parameters.

    Returns
    -------
    dict
        The keys of scikit-learn's ``_fit_and_score`` output (``fit_time`` is
        the fold's total so far), ``n_resources`` (resource reached) and, if
        the step succeeded, the fold's state under ``"_state"``.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import SGDClassifier
    >>> from sklearn.metrics import check_scoring
    >>> X, y = load_iris(return_X_y=True)
    >>> idx = np.arange(len(y))
    >>> est = SGDClassifier(random_state=0)
    >>> out = run_step(None, est, X, y, kind="epochs", stop=3, param=None,
    ...     classes=np.unique(y), train=idx[::2], test=idx[1::2],
    ...     parameters={}, scorer=check_scoring(est), fit_params={},
    ...     score_params={}, return_train_score=False, error_score=np.nan)
    >>> out["n_resources"], out["_state"].done
    (3, 3)
    """
    start = time.time()
    fit_error = None
    reached = 0 if state is None else state.done
    # The fold's test data was checked when the fold was first scored.
    checked = state is not None
    previous = 0.0 if state is None else state.fit_time
    try:
        if state is None:
            est = clone(estimator).set_params(**clone(dict(parameters), safe=False))
            state = _new_state(
                est,
                X,
                y,
                train,
                test,
                fit_params,
                score_params,
                fold_data,
                reads_rows=_reads_rows(scorer),
                train_scores=return_train_score,
            )
            if return_train_score:
                # As _fit_and_score: the train scores get the training rows'.
                state.train_score_params = _compat._check_method_params(
                    X, params=score_params, indices=train
                )
        _advance(state, kind, stop, param, classes)
        reached = state.done
    except Exception:
        if error_score == "raise":
            raise
        fit_error = traceback.format_exc()
    fit_time = previous + time.time() - start
    out: dict[str, Any] = {"n_test_samples": len(test), RESOURCE_KEY: reached}
    if fit_error is not None:
        out.update(
            test_scores=error_score,
            fit_time=fit_time,
            score_time=0.0,
            fit_error=fit_error,
        )
        if return_train_score:
            out["train_scores"] = error_score
        return out
    assert state is not None
    state.fit_time = fit_time
    start = time.time()
    with _checked(checked):
        # scikit-learn's _score: a scorer that fails gives error_score, with
        # a warning, unless error_score="raise".
        model, X_test = state.scoring()
        out["test_scores"] = _score(
            scorer, model, X_test, state.y_test, state.score_params, error_score
        )
        if return_train_score:
            model, X_train = state.scoring(train=True)
            out["train_scores"] = _score(
                scorer,
                model,
                X_train,
                state.y_train,
                state.train_score_params or {},
                error_score,
            )
    out.update(fit_time=fit_time, score_time=time.time() - start, fit_error=None)
    out[STATE_KEY] = state
    return out


class _Scheduled(ResourcePlan):
    """A plan with the schedule settings of TPESearchCV's resources."""

    def __init__(
        self,
        min_resources: int | str = "auto",
        max_resources: int | str = "auto",
        factor: int | str = "auto",
        pruner: Any = None,
    ) -> None:
        self.min_resources = min_resources
        self.max_resources = max_resources
        self.factor = factor
        self.pruner = pruner


class _SteppedPlan(_Scheduled):
    """A plan whose folds are trained in steps of a growing resource."""

    kind = ""
    stepped = True

    # -- what the subclasses define ---------------------------------------------
    def _blocker(self, last: Any) -> str | None:
        return None

    def _param(self, last: Any) -> str | None:
        return None

    def for_estimator(self, estimator: Any) -> ResourcePlan:
        """This plan; raises if the candidate's ``estimator`` (its final step
        chosen by the space, say) cannot be trained in these steps."""
        last = final_step(estimator)
        blocker = self._blocker(last)
        if blocker is not None:
            raise ValueError(
                f"The 'resource' parameter of TPESearchCV is {self.kind!r}, but "
                f"a candidate's {type(last).__name__} has {blocker}; use "
                "resource='auto' to train each candidate the way it allows."
            )
        return self

    def _auto_max(self, last: Any) -> int:
        raise NotImplementedError

    def _auto_min(self, max_resources: int) -> int:
        raise NotImplementedError

    # -- the plan ----------------------------------------------------------------
    def resolve(self, estimator: Any) -> tuple[int, int]:
        """``(min_resources, max_resources)`` for ``estimator`` (a candidate's
        estimator, its parameters set)."""
        last = final_step(estimator)
        high = self.max_resources
        if high == "auto":
            high = self._auto_max(last)
        low = self.min_resources
        if low == "auto":
            low = self._auto_min(int(high))
        if int(low) > int(high):
            if self.max_resources != "auto":
                raise ValueError(
                    "The 'min_resources' parameter of TPESearchCV must be <= "
                    f"max_resources ({high}). Got {low!r} instead."
                )
            # This candidate's own maximum (its n_estimators or max_iter) is
            # below min_resources: it is trained in one step.
            low = high
        return int(low), int(high)

    def schedule(self, estimator: Any, study: Any = None) -> list[int]:
        """Resources reached after each step, for ``estimator`` (a candidate's
        estimator, its parameters set) when a pruner is used.

        ``factor="auto"`` is the reduction factor of a rung pruner, whose
        rung ends (in ``study``, if given) become the steps; else 2, from
        ``min_resources``.
        """
        low, high = self.resolve(estimator)
        if self.factor != "auto":
            return resource_schedule(low, high, int(self.factor))
        rungs = pruner_rungs(self.pruner, high, study)
        if rungs is None:
            return resource_schedule(low, high, 2)
        first, factor = rungs
        return resource_schedule(low, high, factor, base=first)

    def units(self, context: SearchContext) -> list[WorkUnit]:
        # Without the candidate's parameters, the schedule of the base estimator.
        return self.batched_units(context, {}, pruning=True)[0]

    def batched_units(
        self,
        context: SearchContext,
        params: Mapping[str, Any],
        pruning: bool,
        study: Any = None,
    ) -> list[list[WorkUnit]]:
        """One batch per resource step (every fold at once); a single step to
        the maximum without pruning (nothing is reported then)."""
        estimator = clone(context.estimator).set_params(
            **clone(dict(params), safe=False)
        )
        if pruning:
            steps = self.schedule(estimator, study)
        else:
            steps = [self.resolve(estimator)[1]]
        return [
            [WorkUnit(fold=f, step=r) for f in range(context.n_splits)] for r in steps
        ]

    def task(
        self,
        context: SearchContext,
        params: Mapping[str, Any],
        unit: WorkUnit,
        candidate: int,
        state: Any,
    ) -> tuple[Any, tuple, dict[str, Any]]:
        train, test = context.splits[unit.fold]
        estimator = context.estimator if state is None else None
        kwargs = {
            "kind": self.kind,
            "stop": unit.step,
            "param": None,  # (the candidate's own, read from its model)
            "classes": _classes(context),
            "train": train,
            "test": test,
            "parameters": dict(params),
            "scorer": context.scorers,
            "fit_params": context.fit_params if state is None else {},
            "score_params": context.score_params if state is None else {},
            "return_train_score": context.return_train_score,
            "error_score": context.error_score,
        }
        X, y = (context.X, context.y) if state is None else (None, None)
        if state is None:
            kwargs["fold_data"] = _cached_fold(context, unit.fold)
        return run_step, (state, estimator, X, y), kwargs

    def report(
        self,
        context: SearchContext | None,
        outs: Sequence[dict[str, Any] | None],
        unit: WorkUnit,
    ) -> tuple[int, float] | None:
        metric = context.metric if context is not None else None
        value = trial_value(outs, metric)
        if math.isnan(value):
            return None
        return unit.step, value

    def refit(self, estimator: Any, X: Any, y: Any, fit_params: dict[str, Any]) -> Any:
        """Train ``estimator`` (the best candidate) on all the data with the
        full resource, as the folds were trained."""
        _, high = self.resolve(estimator)
        state = _new_state(estimator, X, y, None, None, fit_params, {})
        model = state.model
        if self.kind == "estimators" or fits_epochs_warm(model):
            # Trained by warm-started fits; give back the candidate's values.
            names = ["warm_start"] + (["max_iter"] if self.kind == "epochs" else [])
            restore = {k: getattr(model, k) for k in names}
        else:
            restore = {}
        classes = _classes_of(y, estimator) if is_classifier(estimator) else None
        _advance(state, self.kind, high, self._param(model), classes)
        model.set_params(**restore)
        return estimator


def _cached_fold(context: SearchContext, fold: int) -> tuple | None:
    """The fold's sliced data, kept in ``context`` for every candidate when
    the units run in this process (``n_jobs=1``) and the folds' copies take
    at most :data:`FOLD_CACHE_BYTES`; else None (each unit slices).

    Not for a Pipeline with earlier steps: a transformer with ``copy=False``
    could change the shared arrays in place.
    """
    cache = context.extra.setdefault("folds", {})
    if fold in cache:
        return cache[fold]
    nbytes = getattr(context.X, "nbytes", None)
    estimator = context.estimator
    if (
        (isinstance(estimator, Pipeline) and len(estimator.steps) > 1)
        or context.n_jobs not in (None, 1)
        or not isinstance(nbytes, int | np.integer)
        or nbytes * context.n_splits > FOLD_CACHE_BYTES
    ):
        return None
    train, test = context.splits[fold]
    cache[fold] = slice_fold(
        context.X, context.y, train, test, context.fit_params, context.score_params
    )
    return cache[fold]


def _classes(context: SearchContext) -> Any:
    """``np.unique(y)`` for classifiers (cached in the context)."""
    if not is_classifier(context.estimator) or context.y is None:
        return None
    if "classes" not in context.extra:
        context.extra["classes"] = _classes_of(context.y, context.estimator)
    return context.extra["classes"]


def _classes_of(y: Any, estimator: Any = None) -> Any:
    """``np.unique(y)``; for a multi-output meta-estimator and 2-D ``y``, one
    array per output (its ``partial_fit`` takes a list)."""
    if y is None:
        return None
    y = np.asarray(y)
    if y.ndim == 2 and _per_output(estimator):
        return [np.unique(col) for col in y.T]
    return np.unique(y)


def _per_output(estimator: Any) -> bool:
    from sklearn.multioutput import MultiOutputClassifier

    return isinstance(final_step(estimator), MultiOutputClassifier)


class EpochsPlan(_SteppedPlan):
    """``resource="epochs"``: ``partial_fit`` once per epoch.

    ``max_resources="auto"`` is the final step's ``max_iter`` when it is an
    int, at most :data:`DEFAULT_MAX_EPOCHS` (100); ``min_resources="auto"``
    is 1.

    Examples
    --------
    >>> from sklearn.linear_model import SGDClassifier
    >>> EpochsPlan().resolve(SGDClassifier(max_iter=20))
    (1, 20)
    """

    kind = "epochs"

    def _blocker(self, last: Any) -> str | None:
        return epochs_blocker(last)

    def _auto_max(self, last: Any) -> int:
        max_iter = last.get_params(deep=False).get("max_iter")
        if isinstance(max_iter, int | np.integer) and max_iter >= 1:
            return min(int(max_iter), DEFAULT_MAX_EPOCHS)
        return DEFAULT_MAX_EPOCHS

    def _auto_min(self, max_resources: int) -> int:
        return 1


class EstimatorsPlan(_SteppedPlan):
    """``resource="estimators"``: a ``warm_start`` ensemble grows its
    ``n_estimators`` (``max_iter`` for histogram gradient boosting).

    ``max_resources="auto"`` is the candidate's ``n_estimators`` (or
    ``max_iter``); ``min_resources="auto"`` is a sixteenth of it. A
    histogram gradient boosting keeps its early stopping (its validation
    split and scores carry over the warm starts): the steps end where a
    single fit ends.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> EstimatorsPlan().resolve(RandomForestClassifier(n_estimators=160))
    (10, 160)
    """

    kind = "estimators"

    def _blocker(self, last: Any) -> str | None:
        return estimators_blocker(last)

    def _param(self, last: Any) -> str | None:
        return warm_start_param(last)

    def _auto_max(self, last: Any) -> int:
        param = warm_start_param(last)
        assert param is not None  # checked by check_plan
        return int(getattr(last, param))

    def _auto_min(self, max_resources: int) -> int:
        return max(1, max_resources // _ESTIMATORS_MIN_FRACTION)


class AutoPlan(_Scheduled):
    """``resource="auto"`` with a pruner: each candidate is trained the way
    its own estimator allows (:func:`choose_resource`), since the space may
    choose the final step or change the settings that decide it.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.linear_model import SGDClassifier
    >>> plan = AutoPlan()
    >>> type(plan.for_estimator(SGDClassifier())).__name__
    'EpochsPlan'
    >>> type(plan.for_estimator(RandomForestClassifier())).__name__
    'EstimatorsPlan'
    """

    def __init__(
        self, *args: Any, fit_params: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fit_params = fit_params
        self._plans: dict[str, ResourcePlan] = {}

    def for_estimator(self, estimator: Any) -> ResourcePlan:
        kind = choose_resource(estimator, "auto", True, self.fit_params)
        plans = self._plans
        plan = plans.get(kind)
        if plan is None:
            if kind == "folds":
                plan = FoldsPlan()
            else:
                cls = EpochsPlan if kind == "epochs" else EstimatorsPlan
                plan = cls(
                    self.min_resources, self.max_resources, self.factor, self.pruner
                )
            plans[kind] = plan
        return plan

    def units(self, context: SearchContext) -> list[WorkUnit]:
        return self.for_estimator(context.estimator).units(context)

    def report(
        self,
        context: SearchContext,
        outs: Sequence[dict[str, Any] | None],
        unit: WorkUnit,
    ) -> tuple[int, float] | None:
        raise TypeError("AutoPlan reports through the plan of each candidate.")


def make_plan(
    resource: str,
    estimator: Any,
    *,
    pruning: bool,
    min_resources: int | str = "auto",
    max_resources: int | str = "auto",
    factor: int | str = "auto",
    pruner: Any = None,
    space_sources: Sequence[Mapping[str, Any]] = (),
    fit_params: Mapping[str, Any] | None = None,
) -> ResourcePlan:
    """The plan of ``resource`` for ``estimator``; raises if the estimator
    cannot be trained that way. ``space_sources`` are the search space's
    dicts: with a pruner, an explicit ``resource`` ("epochs" or
    "estimators") refuses a final step or setting they may give that it
    cannot train (:func:`space_step_blocker`). ``fit_params`` are the
    search's fit parameters: epochs need a ``partial_fit`` that takes them.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> type(make_plan("estimators", RandomForestClassifier(), pruning=True)).__name__
    'EstimatorsPlan'
    >>> type(make_plan("auto", RandomForestClassifier(), pruning=True)).__name__
    'AutoPlan'
    """
    kind = choose_resource(estimator, resource, pruning, fit_params)
    last = final_step(estimator)
    if (
        (kind != "folds" or (resource == "auto" and pruning))
        and isinstance(min_resources, int)
        and isinstance(max_resources, int)
        and min_resources > max_resources
    ):
        # Checked before any fit, also where the base estimator is trained
        # in folds ("auto": the space may choose a final step that steps).
        # With max_resources="auto", it is the candidate's own, known per
        # candidate only.
        raise ValueError(
            "The 'min_resources' parameter of TPESearchCV must be <= "
            f"max_resources ({max_resources}). Got {min_resources!r} instead."
        )
    if resource == "auto":
        if kind == "folds" and not pruning:
            return FoldsPlan()
        return AutoPlan(
            min_resources, max_resources, factor, pruner, fit_params=fit_params
        )
    if kind == "epochs":
        blocker = epochs_blocker(last, last_step_params(estimator, fit_params))
        where = f"{type(last).__name__} has"
        if blocker is None and pruning:
            blocker = space_step_blocker(estimator, space_sources, epochs_blocker)
            where = "the search space may set"
        if blocker is not None:
            raise ValueError(
                "The 'resource' parameter of TPESearchCV must be 'epochs' only "
                "for an estimator (or a Pipeline's last step) whose partial_fit "
                f"trains as its fit does; {where} {blocker}. Got 'epochs' instead."
            )
        return EpochsPlan(min_resources, max_resources, factor, pruner)
    if kind == "estimators":
        blocker, where = estimators_blocker(last), f"{type(last).__name__} has"
        if blocker is None and pruning:
            blocker = space_step_blocker(estimator, space_sources, estimators_blocker)
            where = "the search space may set"
        if blocker is not None:
            raise ValueError(
                "The 'resource' parameter of TPESearchCV must be 'estimators' "
                "only for an estimator (or a Pipeline's last step) with "
                "warm_start and n_estimators (or a histogram gradient "
                f"boosting's max_iter); {where} {blocker}. "
                "Got 'estimators' instead."
            )
        return EstimatorsPlan(min_resources, max_resources, factor, pruner)
    return FoldsPlan()
