"""Bar chart of hyperparameter importances."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from sktune.importance import BaseImportanceEvaluator, get_param_importances
from sktune.importance._data import complete_trials
from sktune.visualization._base import BaseDisplay, TargetType, new_axes, one_source

__all__ = ["ParamImportancesDisplay", "plot_param_importances"]


class ParamImportancesDisplay(BaseDisplay):
    """Importance of each parameter as horizontal bars, largest on top.

    Attributes
    ----------
    importances : dict of str to float
        Normalised importances, most important first.
    params : list of str
        Parameter names, most important first.
    target_name : str
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import sktune
    >>> from sktune.importance import FanovaImportanceEvaluator
    >>> from sktune.visualization import ParamImportancesDisplay
    >>> study = sktune.create_study(sampler=sktune.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2
    ...                + 0.01 * t.suggest_float("y", -1, 1), n_trials=50)
    >>> display = ParamImportancesDisplay.from_study(
    ...     study, evaluator=FanovaImportanceEvaluator(n_trees=16, seed=0))
    >>> display.params
    ['x', 'y']
    """

    def __init__(self, *, importances: dict[str, float], target_name: str) -> None:
        self.importances = dict(importances)
        self.params = list(self.importances)
        self.target_name = target_name

    @classmethod
    def from_study(
        cls,
        study: Any,
        *,
        evaluator: BaseImportanceEvaluator | None = None,
        params: Sequence[str] | None = None,
        target: TargetType = None,
        target_name: str | None = None,
        ax: Any = None,
    ) -> ParamImportancesDisplay:
        """Evaluate the importances of a Study or search and plot them.

        Parameters
        ----------
        study : Study or fitted TPESearchCV
        evaluator : BaseImportanceEvaluator or None
            Defaults to :class:`~sktune.importance.FanovaImportanceEvaluator`.
        params : list of str or None
            Parameters to evaluate; None for all.
        target : callable, str or None
            ``target(frozen_trial) -> float``, or for a search a metric name.
        target_name : str or None
            Label of the target; defaults to "Objective Value" or the metric.
        ax : matplotlib Axes or None
            Where to draw; a new figure when None.

        Returns
        -------
        ParamImportancesDisplay
        """
        owner = "plot_param_importances"
        source = one_source(study, target, target_name, owner)
        if len(complete_trials(source)[0]) < 2:
            # As Optuna's plot: an empty chart, with a warning.
            warnings.warn(
                f"{owner}: the study has fewer than 2 complete trials with a finite "
                "target; the chart is empty.",
                UserWarning,
                stacklevel=3,
            )
            importances: dict[str, float] = {}
        else:
            importances = get_param_importances(
                study, evaluator=evaluator, params=params, target=target
            )
        return cls(importances=importances, target_name=source.target_name).plot(ax=ax)

    def plot(self, ax: Any = None) -> ParamImportancesDisplay:
        """Draw the bars.

        Parameters
        ----------
        ax : matplotlib Axes or None
            Where to draw; a new figure when None.

        Returns
        -------
        ParamImportancesDisplay
            ``self``, with ``ax_`` and ``figure_`` set.
        """
        ax = new_axes(ax)
        names = self.params[::-1]
        values = np.array([self.importances[n] for n in names])
        bars = ax.barh(np.arange(len(names)), values, color="tab:blue")
        ax.set_yticks(np.arange(len(names)), names)
        ax.bar_label(bars, labels=[f"{v:.2f}" for v in values], padding=2)
        ax.set_xlim(0, max(1e-12, float(values.max(initial=0))) * 1.15)
        ax.set_title("Hyperparameter Importances")
        ax.set_xlabel(f"Importance for {self.target_name}")
        ax.set_ylabel("Hyperparameter")
        self._finish(ax)
        return self


def plot_param_importances(
    study: Any,
    evaluator: BaseImportanceEvaluator | None = None,
    params: Sequence[str] | None = None,
    *,
    target: TargetType = None,
    target_name: str | None = None,
    ax: Any = None,
) -> Any:
    """Plot hyperparameter importances as horizontal bars.

    Works as Optuna's ``plot_param_importances`` (matplotlib backend).

    Parameters
    ----------
    study : Study or fitted TPESearchCV
    evaluator : BaseImportanceEvaluator or None
        Defaults to :class:`~sktune.importance.FanovaImportanceEvaluator`.
    params : list of str or None
        Parameters to evaluate; None for all.
    target : callable, str or None
        ``target(frozen_trial) -> float``, or for a search a metric name.
    target_name : str or None
        Label of the target.
    ax : matplotlib Axes or None
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib Axes
        The axes drawn on (see :class:`ParamImportancesDisplay`).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import sktune
    >>> from sktune.importance import FanovaImportanceEvaluator
    >>> from sktune.visualization import plot_param_importances
    >>> study = sktune.create_study(sampler=sktune.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2
    ...                + 0.01 * t.suggest_float("y", -1, 1), n_trials=50)
    >>> ax = plot_param_importances(
    ...     study, evaluator=FanovaImportanceEvaluator(n_trees=16, seed=0))
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['y', 'x']
    """
    return ParamImportancesDisplay.from_study(
        study,
        evaluator=evaluator,
        params=params,
        target=target,
        target_name=target_name,
        ax=ax,
    ).ax_
