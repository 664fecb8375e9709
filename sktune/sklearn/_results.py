"""Per-trial fold records (kept in the study) and ``cv_results_``.

Each evaluated trial stores its fold results in its user attribute
:data:`CV_ATTR` as JSON, so that ``cv_results_`` can be rebuilt from the study
alone (a resumed search continues the table of the interrupted one).

``cv_results_`` follows scikit-learn's ``BaseSearchCV._format_results``: same
keys in the same order (the ``param_*`` keys sorted by name, as GridSearchCV
and RandomizedSearchCV with distributions have them; RandomizedSearchCV on
lists only has them in reverse order), float64 scores and times, int32
ranks (NaN means rank with the worst, ties take the lowest rank), masked
``param_*`` arrays. With
pruning on, a ``state`` and an ``n_resources`` column are appended, folds not
run are NaN, means and stds are over the folds run, and pruned candidates rank
after every other one.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import rankdata

from sktune._frozen import FrozenTrial, TrialState
from sktune.sklearn import _compat

__all__ = ["CV_ATTR", "TrialRecord", "build_cv_results"]

#: User attribute of a trial holding its fold results.
CV_ATTR = "cv"

_OUT_KEYS = ("test_scores", "train_scores", "fit_time", "score_time", "n_test_samples")


def _encode_number(x: Any) -> Any:
    x = float(x)
    return x if math.isfinite(x) else repr(x)


def _decode_number(x: Any) -> float:
    return float(x)


def _encode_scores(scores: Any) -> Any:
    if isinstance(scores, Mapping):
        return {str(k): _encode_number(v) for k, v in scores.items()}
    return _encode_number(scores)


def _decode_scores(scores: Any) -> Any:
    if isinstance(scores, Mapping):
        return {k: _decode_number(v) for k, v in scores.items()}
    return _decode_number(scores)


class TrialRecord:
    """What one trial produced: its parameters, state and per-fold outputs.

    Parameters
    ----------
    number : int
        The trial's number in the study.
    params : dict
        scikit-learn parameters of the candidate.
    state : TrialState
        COMPLETE, PRUNED or FAIL.
    outs : list of dict or None
        One entry per fold: what ``_fit_and_score`` returned (scores, times,
        ``fit_error``), or None for a fold not run.

    Examples
    --------
    >>> from sktune.trial import TrialState
    >>> rec = TrialRecord(0, {"C": 1.0}, TrialState.COMPLETE,
    ...     [{"test_scores": 0.5, "fit_time": 0.1, "score_time": 0.0,
    ...       "n_test_samples": 10, "fit_error": None}, None])
    >>> rec.n_resources
    1
    >>> TrialRecord.from_json(0, {"C": 1.0}, TrialState.COMPLETE,
    ...     rec.to_json()).outs[0]["test_scores"]
    0.5
    """

    def __init__(
        self,
        number: int,
        params: dict[str, Any],
        state: TrialState,
        outs: Sequence[dict[str, Any] | None],
    ) -> None:
        self.number = number
        self.params = params
        self.state = state
        self.outs = list(outs)

    @property
    def n_resources(self) -> int:
        """Resource reached: the epochs or estimators a stepped plan trained
        (its folds' ``"n_resources"``), else the number of folds run."""
        reached = [o["n_resources"] for o in self.outs if o and "n_resources" in o]
        if reached:
            return int(max(reached))
        return sum(o is not None for o in self.outs)

    def to_json(self) -> dict[str, Any]:
        """The JSON-serialisable form stored in the trial's user attributes."""
        folds: list[dict[str, Any] | None] = []
        for out in self.outs:
            if out is None:
                folds.append(None)
                continue
            fold: dict[str, Any] = {
                "test_scores": _encode_scores(out["test_scores"]),
                "fit_time": _encode_number(out["fit_time"]),
                "score_time": _encode_number(out["score_time"]),
                "n_test_samples": int(out["n_test_samples"]),
                "fit_error": out.get("fit_error") is not None,
            }
            if "train_scores" in out:
                fold["train_scores"] = _encode_scores(out["train_scores"])
            if "n_resources" in out:
                fold["n_resources"] = int(out["n_resources"])
            folds.append(fold)
        return {"folds": folds}

    @classmethod
    def from_json(
        cls,
        number: int,
        params: dict[str, Any],
        state: TrialState,
        data: Mapping[str, Any],
    ) -> TrialRecord:
        """Rebuild a record from :meth:`to_json` (``fit_error`` becomes a short
        note: the traceback is not stored)."""
        outs: list[dict[str, Any] | None] = []
        for fold in data["folds"]:
            if fold is None:
                outs.append(None)
                continue
            out: dict[str, Any] = {
                "test_scores": _decode_scores(fold["test_scores"]),
                "fit_time": _decode_number(fold["fit_time"]),
                "score_time": _decode_number(fold["score_time"]),
                "n_test_samples": int(fold["n_test_samples"]),
                "fit_error": "failed (stored record)" if fold["fit_error"] else None,
            }
            if "train_scores" in fold:
                out["train_scores"] = _decode_scores(fold["train_scores"])
            if "n_resources" in fold:
                out["n_resources"] = int(fold["n_resources"])
            outs.append(out)
        return cls(number, params, state, outs)


def record_from_trial(trial: FrozenTrial, to_sklearn_params: Any) -> TrialRecord | None:
    """The record of a finished trial evaluated by TPESearchCV, else None.

    Trials without fold results (interrupted, duplicates replaced by another
    point, trials of other objectives) are not part of the search.
    """
    data = trial.user_attrs.get(CV_ATTR)
    if data is None or not trial.state.is_finished():
        return None
    params = to_sklearn_params(trial.params)
    return TrialRecord.from_json(trial.number, params, trial.state, data)


def _fill_error_scores(outs: list[dict[str, Any]], error_score: Any) -> None:
    """Give failed folds a dict of error scores when the scorer returns dicts
    (scikit-learn's ``_insert_error_scores``, for a callable ``scoring``)."""
    if not any(isinstance(o["test_scores"], Mapping) for o in outs):
        return
    if not any(o["fit_error"] is not None for o in outs):
        return
    _compat._insert_error_scores(outs, error_score)


def _store(
    results: dict[str, Any],
    key: str,
    array: np.ndarray,
    ran: np.ndarray,
    *,
    splits: bool = False,
    rank: bool = False,
    pruned: np.ndarray | None = None,
) -> None:
    """Add ``split*_key``, ``mean_key``, ``std_key`` (and ``rank_key``)."""
    n_splits = array.shape[1]
    if splits:
        for i in range(n_splits):
            results[f"split{i}_{key}"] = array[:, i]
    # (scikit-learn warns about non-finite means before computing the stds,
    # whose numpy warnings follow)
    counts = np.maximum(ran.sum(axis=1), 1)
    if ran.all():
        means = np.average(array, axis=1)
    else:
        # Means over the folds run; a NaN in a fold run still gives NaN.
        means = np.where(ran, array, 0.0).sum(axis=1) / counts
    results[f"mean_{key}"] = means
    if key.startswith(("train_", "test_")) and np.any(~np.isfinite(means)):
        warnings.warn(
            f"One or more of the {key.split('_')[0]} scores are non-finite: {means}",
            category=UserWarning,
            stacklevel=4,
        )
    if ran.all():
        stds = np.sqrt(np.average((array - means[:, np.newaxis]) ** 2, axis=1))
    else:
        dev = np.where(ran, array - means[:, np.newaxis], 0.0)
        stds = np.sqrt((dev**2).sum(axis=1) / counts)
    results[f"std_{key}"] = stds
    if rank:
        results[f"rank_{key}"] = _rank(means, pruned)


def _rank(means: np.ndarray, pruned: np.ndarray | None) -> np.ndarray:
    """scikit-learn's ranks (NaN ties with the worst, ``min`` on ties); pruned
    candidates come after every other one."""
    if pruned is None or not pruned.any():
        return _sklearn_rank(means)
    ranks = np.empty(len(means), dtype=np.int32)
    kept = ~pruned
    n_kept = int(kept.sum())
    if n_kept:
        ranks[kept] = _sklearn_rank(means[kept])
    ranks[pruned] = n_kept + _sklearn_rank(means[pruned])
    return ranks


def _sklearn_rank(means: np.ndarray) -> np.ndarray:
    if np.isnan(means).all():
        return np.ones_like(means, dtype=np.int32)
    # As scikit-learn: NaN below the lowest score, and +-inf as +-max float.
    filled = np.nan_to_num(means, nan=np.nanmin(means) - 1)
    return rankdata(-filled, method="min").astype(np.int32, copy=False)


def build_cv_results(
    records: Sequence[TrialRecord],
    n_splits: int,
    *,
    return_train_score: bool,
    error_score: Any,
    pruning: bool,
) -> dict[str, Any]:
    """``cv_results_`` of the given trial records, in their order.

    Parameters
    ----------
    records : list of TrialRecord
        One per candidate, at least one, each with ``n_splits`` folds.
    n_splits : int
        Number of cross-validation folds.
    return_train_score : bool
        Add the ``*_train_*`` keys.
    error_score : float or "raise"
        The score of failed folds (for callable multi-metric scoring).
    pruning : bool
        Add the ``state`` and ``n_resources`` keys and rank pruned candidates
        last.

    Returns
    -------
    dict of str to ndarray or list

    Examples
    --------
    >>> from sktune.trial import TrialState
    >>> fold = {"test_scores": 0.5, "fit_time": 0.1, "score_time": 0.0,
    ...         "n_test_samples": 10, "fit_error": None}
    >>> recs = [TrialRecord(0, {"C": 1.0}, TrialState.COMPLETE, [fold, fold])]
    >>> res = build_cv_results(recs, 2, return_train_score=False,
    ...     error_score=float("nan"), pruning=False)
    >>> list(res)[:5]
    ['mean_fit_time', 'std_fit_time', 'mean_score_time', 'std_score_time', 'param_C']
    >>> res["rank_test_score"]
    array([1], dtype=int32)
    """
    n_candidates = len(records)
    ran = np.array(
        [[out is not None for out in r.outs] for r in records], dtype=bool
    ).reshape(n_candidates, n_splits)
    done = [out for r in records for out in r.outs if out is not None]
    _fill_error_scores(done, error_score)

    # A placeholder for folds not run, with the shape of a run fold's scores.
    template = done[0]["test_scores"]
    nan_scores: Any = (
        {k: np.nan for k in template} if isinstance(template, Mapping) else np.nan
    )
    nan_out = {
        "test_scores": nan_scores,
        "train_scores": nan_scores,
        "fit_time": np.nan,
        "score_time": np.nan,
        "n_test_samples": 0,
        "fit_error": None,
    }
    flat = [out if out is not None else nan_out for r in records for out in r.outs]
    agg = _compat._aggregate_score_dicts(
        [{k: o[k] for k in _OUT_KEYS if k in o} for o in flat]
    )
    pruned = (
        np.array([r.state == TrialState.PRUNED for r in records]) if pruning else None
    )

    def grid(values: Any) -> np.ndarray:
        return np.array(values, dtype=np.float64).reshape(n_candidates, n_splits)

    results: dict[str, Any] = {}
    _store(results, "fit_time", grid(agg["fit_time"]), ran)
    _store(results, "score_time", grid(agg["score_time"]), ran)
    candidate_params = [r.params for r in records]
    for name, masked in _compat._yield_masked_array_for_each_param(candidate_params):
        results[name] = masked
    results["params"] = candidate_params

    test = _compat._normalize_score_results(agg["test_scores"])
    train = (
        _compat._normalize_score_results(agg["train_scores"])
        if return_train_score
        else {}
    )
    for scorer_name in test:
        _store(
            results,
            f"test_{scorer_name}",
            grid(test[scorer_name]),
            ran,
            splits=True,
            rank=True,
            pruned=pruned,
        )
        if return_train_score:
            _store(
                results,
                f"train_{scorer_name}",
                grid(train[scorer_name]),
                ran,
                splits=True,
            )
    if pruning:
        results["state"] = np.array([r.state.name for r in records], dtype=object)
        results["n_resources"] = np.array(
            [r.n_resources for r in records], dtype=np.int64
        )
    return results
