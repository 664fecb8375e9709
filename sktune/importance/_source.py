"""Read a Study, or a fitted TPESearchCV by duck typing, for analysis and plots.

``sktune.importance`` and ``sktune.visualization`` never import
``sktune.sklearn``: a *search* is any object with ``study_`` (a Study),
``multimetric_``, ``refit`` and ``scorer_``. The search keeps each trial's
metric values in the trial's user attributes; the study's value is the refit
metric's mean test score, maximised.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sktune._frozen import FrozenTrial
from sktune.study import Study

__all__ = ["Source", "resolve_source"]

TargetType = Callable[[FrozenTrial], float]

# The search's user attribute with a trial's fold results (defined in
# sktune.sklearn._results.CV_ATTR, which this layer must not import):
# {"folds": [{"test_scores": float or {metric: float}, ...} or None, ...]}.
_CV_ATTR = "cv"
# Study system attribute naming the parameters stored as CDF levels
# (sktune.sklearn._space.CDF_ATTR): {"<branch>:<name>": description}.
_CDF_ATTR = "sklearn_space_cdf"


def _mean_test_score(trial: FrozenTrial, metric: str) -> float:
    """A trial's mean test score of ``metric`` over the folds it ran."""
    data = trial.user_attrs.get(_CV_ATTR)
    if not data:
        return math.nan
    scores = []
    for fold in data.get("folds", ()):
        if fold is None:
            continue
        test = fold["test_scores"]
        scores.append(float(test[metric] if isinstance(test, dict) else test))
    return float(sum(scores) / len(scores)) if scores else math.nan


@dataclass
class Source:
    """What an analysis needs: the study, the target and how to label it."""

    study: Study
    target: TargetType | None
    target_name: str
    direction: str
    search: Any = None

    @property
    def label(self) -> str:
        """Axis label: the metric's name and direction."""
        return f"{self.target_name} ({self.direction})"

    def param_label(self, name: str) -> str:
        """Axis label of a parameter: a search's scipy.stats distributions
        other than uniform, loguniform and randint are stored as their CDF
        level, which the label says."""
        if self.search is not None:
            cdf = self.study.system_attrs.get(_CDF_ATTR) or {}
            if any(key.split(":", 1)[-1] == name for key in cdf):
                return f"{name} (CDF level)"
        return name

    def value(self, trial: FrozenTrial) -> float | None:
        """The target value of a trial, None when it has none."""
        if self.target is None:
            return trial.value
        out = self.target(trial)  # a failing target raises, as in Optuna
        if out is None:
            return None
        out = float(out)
        return None if math.isnan(out) else out


def is_search(obj: Any) -> bool:
    """Whether ``obj`` looks like a TPESearchCV (fitted or not)."""
    return not isinstance(obj, Study) and hasattr(type(obj), "fit")


def _search_metrics(search: Any) -> tuple[list[str], str]:
    """Metric names of a fitted search and the name of its refit metric."""
    if search.multimetric_:
        names = list(search.scorer_)
        refit = search.refit if isinstance(search.refit, str) else names[0]
        return names, refit
    scoring = getattr(search, "scoring", None)
    name = scoring if isinstance(scoring, str) else "score"
    return [name], name


def resolve_source(
    obj: Any,
    target: TargetType | str | None,
    target_name: str | None,
    owner: str,
) -> Source:
    """Turn a Study or a fitted search, plus ``target``, into a :class:`Source`.

    For a study, ``target`` is None (the trial's value) or a callable
    ``FrozenTrial -> float``. For a search it may also be a metric name.
    """
    if isinstance(obj, Study):
        if isinstance(target, str):
            raise ValueError(
                f"The 'target' parameter of {owner} must be a callable or None "
                f"for a Study; a metric name is only meaningful for a fitted "
                f"TPESearchCV. Got {target!r} instead."
            )
        if target is not None and not callable(target):
            raise TypeError(
                f"The 'target' parameter of {owner} must be a callable or None. "
                f"Got {target!r} instead."
            )
        if target_name is None:
            target_name = "Objective Value"
        return Source(obj, target, target_name, obj.direction.name.lower())

    study = getattr(obj, "study_", None)
    if not isinstance(study, Study):
        if is_search(obj) and hasattr(obj, "get_params"):
            raise ValueError(
                f"{owner} needs a fitted search; this {type(obj).__name__} is "
                "not fitted yet. Call fit first."
            )
        raise TypeError(
            f"The first parameter of {owner} must be a sktune Study or a fitted "
            f"TPESearchCV. Got {type(obj).__name__} instead."
        )
    names, refit = _search_metrics(obj)
    if target is None or (isinstance(target, str) and target == refit):
        name = refit if target_name is None else target_name
        return Source(study, None, name, "maximize", search=obj)
    if isinstance(target, str):
        if target not in names:
            raise ValueError(
                f"The 'target' parameter of {owner} must be one of the search's "
                f"metrics {names}. Got {target!r} instead."
            )

        def metric(trial: FrozenTrial) -> float:
            return _mean_test_score(trial, target)

        name = target if target_name is None else target_name
        return Source(study, metric, name, "maximize", search=obj)
    if not callable(target):
        raise TypeError(
            f"The 'target' parameter of {owner} must be a callable, a metric "
            f"name or None. Got {target!r} instead."
        )
    return Source(
        study,
        target,
        "Objective Value" if target_name is None else target_name,
        "maximize",
        search=obj,
    )
