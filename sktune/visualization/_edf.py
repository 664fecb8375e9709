"""Empirical distribution function of the target over a study's trials."""

from __future__ import annotations

from typing import Any

import numpy as np

from sktune._frozen import TrialState
from sktune.visualization._base import (
    BaseDisplay,
    TargetType,
    axis_label,
    common_direction,
    finite_value,
    new_axes,
    sources,
)

__all__ = ["EDFDisplay", "plot_edf"]


class EDFDisplay(BaseDisplay):
    """Fraction of complete trials whose target is at most each value.

    Several studies (say, one per sampler) are drawn as one line each, which
    compares how often each finds good values.

    Attributes
    ----------
    values : list of ndarray
        Per study, the sorted target values of the complete trials.
    study_names : list of str
    target_name, direction : str
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import sktune
    >>> from sktune.visualization import EDFDisplay
    >>> study = sktune.create_study()
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=10)
    >>> display = EDFDisplay.from_study(study)
    >>> display.values[0].size, display.ax_.get_ylabel()
    (10, 'Cumulative Probability')
    """

    def __init__(
        self,
        *,
        values: list[np.ndarray],
        study_names: list[str],
        target_name: str,
        direction: str,
    ) -> None:
        self.values = values
        self.study_names = study_names
        self.target_name = target_name
        self.direction = direction

    @classmethod
    def from_study(
        cls,
        study: Any,
        *,
        target: TargetType = None,
        target_name: str | None = None,
        ax: Any = None,
    ) -> EDFDisplay:
        """Compute the EDF of a Study, a list of studies or a search.

        Parameters
        ----------
        study : Study, list of Study, or fitted TPESearchCV
        target : callable, str or None
            ``target(frozen_trial) -> float``, or for a search a metric name.
        target_name : str or None
            Axis label.
        ax : matplotlib Axes or None
            Where to draw; a new figure when None.

        Returns
        -------
        EDFDisplay
        """
        srcs = sources(study, target, target_name, "plot_edf")
        values, names = [], []
        for src in srcs:
            trials = src.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
            vals = [finite_value(src, t) for t in trials]
            values.append(np.sort(np.array([v for v in vals if v is not None])))
            names.append(src.study.study_name)
        display = cls(
            values=values,
            study_names=names,
            target_name=srcs[0].target_name,
            direction=common_direction(srcs),
        )
        return display.plot(ax=ax)

    def plot(self, ax: Any = None) -> EDFDisplay:
        """Draw one step line per study.

        Parameters
        ----------
        ax : matplotlib Axes or None
            Where to draw; a new figure when None.

        Returns
        -------
        EDFDisplay
            ``self``, with ``ax_`` and ``figure_`` set.
        """
        ax = new_axes(ax)
        for name, vals in zip(self.study_names, self.values):
            if vals.size:
                y = np.arange(1, vals.size + 1) / vals.size
                ax.step(vals, y, where="post", label=name)
        ax.set_title("Empirical Distribution Function Plot")
        ax.set_xlabel(axis_label(self.target_name, self.direction))
        ax.set_ylabel("Cumulative Probability")
        ax.set_ylim(0, 1.05)
        if len(self.values) > 1:
            ax.legend(loc="best", fontsize="small")
        self._finish(ax)
        return self


def plot_edf(
    study: Any,
    *,
    target: TargetType = None,
    target_name: str | None = None,
    ax: Any = None,
) -> Any:
    """Plot the empirical distribution function of the target.

    Works as Optuna's ``plot_edf`` (matplotlib backend).

    Parameters
    ----------
    study : Study, list of Study, or fitted TPESearchCV
    target : callable, str or None
        ``target(frozen_trial) -> float``, or for a search a metric name.
    target_name : str or None
        Axis label.
    ax : matplotlib Axes or None
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib Axes
        See :class:`EDFDisplay`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import sktune
    >>> from sktune.visualization import plot_edf
    >>> studies = [sktune.create_study(study_name=n) for n in ("a", "b")]
    >>> for s in studies:
    ...     s.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    >>> len(plot_edf(studies).get_lines())
    2
    """
    return EDFDisplay.from_study(
        study, target=target, target_name=target_name, ax=ax
    ).ax_
