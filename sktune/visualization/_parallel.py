"""Parallel coordinates: one line per trial across the target and parameters."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from sktune._frozen import TrialState
from sktune.distributions import BaseDistribution, CategoricalDistribution
from sktune.visualization._base import (
    BaseDisplay,
    TargetType,
    choice_labels,
    finite_value,
    import_pyplot,
    is_log,
    merged_distributions,
    new_axes,
    one_source,
    plot_position,
    value_cmap,
)

__all__ = ["ParallelCoordinateDisplay", "plot_parallel_coordinate"]


def _scale(dist: BaseDistribution | None, x: np.ndarray) -> tuple[np.ndarray, list]:
    """Map an axis to ``[0, 1]`` (log axes in log space) and its tick labels."""
    if isinstance(dist, CategoricalDistribution):
        k = len(dist.choices)
        pos = x / (k - 1) if k > 1 else np.full_like(x, 0.5)
        return pos, list(
            zip(np.linspace(0, 1, k) if k > 1 else [0.5], choice_labels(dist))
        )
    u = np.log10(x) if dist is not None and is_log(dist) else x
    lo, hi = (float(np.nanmin(u)), float(np.nanmax(u))) if u.size else (0.0, 1.0)
    span = hi - lo
    pos = (u - lo) / span if span > 0 else np.full_like(u, 0.5)
    ticks = np.linspace(lo, hi, 5) if span > 0 else np.array([lo])
    tick_pos = (ticks - lo) / span if span > 0 else np.array([0.5])
    if dist is not None and is_log(dist):
        labels = [f"{10**t:.3g}" for t in ticks]
    else:
        labels = [f"{t:.3g}" for t in ticks]
    return pos, list(zip(tick_pos, labels))


class ParallelCoordinateDisplay(BaseDisplay):
    """One polyline per complete trial: the target, then each parameter.

    Every vertical axis is scaled to its own range (log-scaled parameters in
    log space, categoricals spread over their choices, labelled with them);
    lines are coloured by the target.

    Attributes
    ----------
    params : list of str
    numbers : ndarray of shape (n_trials,)
    values : ndarray of shape (n_trials,)
        Target values.
    positions : ndarray of shape (n_trials, 1 + n_params)
        Each line's height on each axis, in ``[0, 1]``; NaN where the trial
        does not have the parameter.
    ticks : list of list of (float, str)
        Tick positions and labels of each axis.
    target_name, direction : str
    param_labels : dict of str to str
        Axis label of each parameter.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import sktune
    >>> from sktune.visualization import ParallelCoordinateDisplay
    >>> study = sktune.create_study()
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1)
    ...                + t.suggest_int("k", 1, 3), n_trials=10)
    >>> display = ParallelCoordinateDisplay.from_study(study)
    >>> display.positions.shape
    (10, 3)
    """

    def __init__(
        self,
        *,
        params: list[str],
        numbers: np.ndarray,
        values: np.ndarray,
        positions: np.ndarray,
        ticks: list[list[tuple[float, str]]],
        target_name: str,
        direction: str,
        param_labels: dict[str, str] | None = None,
    ) -> None:
        self.params = params
        self.param_labels = {n: n for n in params} | dict(param_labels or {})
        self.numbers = numbers
        self.values = values
        self.positions = positions
        self.ticks = ticks
        self.target_name = target_name
        self.direction = direction

    @classmethod
    def from_study(
        cls,
        study: Any,
        *,
        params: Sequence[str] | None = None,
        target: TargetType = None,
        target_name: str | None = None,
        ax: Any = None,
    ) -> ParallelCoordinateDisplay:
        """Compute the lines of a Study or search and plot them.

        Parameters
        ----------
        study : Study or fitted TPESearchCV
        params : list of str or None
            Parameters to show; None for all.
        target : callable, str or None
            ``target(frozen_trial) -> float``, or for a search a metric name.
        target_name : str or None
            Label of the first axis.
        ax : matplotlib Axes or None
            Where to draw; a new figure when None.

        Returns
        -------
        ParallelCoordinateDisplay
        """
        owner = "plot_parallel_coordinate"
        source = one_source(study, target, target_name, owner)
        trials = source.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        dists = merged_distributions(trials, params, owner)
        rows, numbers, values = [], [], []
        for t in trials:
            v = finite_value(source, t)
            if v is None:
                continue
            numbers.append(t.number)
            values.append(v)
            rows.append(
                [
                    plot_position(d, t, n) if n in t.params else math.nan
                    for n, d in dists.items()
                ]
            )
        raw = np.asarray(rows, dtype=float).reshape(len(rows), len(dists))
        vals = np.asarray(values, dtype=float)
        columns, ticks = [], []
        for j, d in enumerate([None, *dists.values()]):
            pos, tick = _scale(d, vals if j == 0 else raw[:, j - 1])
            columns.append(pos)
            ticks.append(tick)
        display = cls(
            params=list(dists),
            numbers=np.asarray(numbers, dtype=int),
            values=vals,
            positions=np.column_stack(columns) if columns else np.empty((0, 1)),
            ticks=ticks,
            target_name=source.target_name,
            direction=source.direction,
            param_labels={n: source.param_label(n) for n in dists},
        )
        return display.plot(ax=ax)

    def plot(self, ax: Any = None) -> ParallelCoordinateDisplay:
        """Draw the lines.

        Parameters
        ----------
        ax : matplotlib Axes or None
            Where to draw; a new figure when None.

        Returns
        -------
        ParallelCoordinateDisplay
            ``self``, with ``ax_`` and ``figure_`` set.
        """
        import_pyplot()  # the error naming the 'plot' extra, if need be
        from matplotlib.collections import LineCollection

        if ax is None:
            ax = new_axes(None, figsize=(1.6 * (len(self.params) + 1) + 2, 4.5))
        n_axes = 1 + len(self.params)
        xs = np.arange(n_axes, dtype=float)
        segments = [np.column_stack([xs, row]) for row in self.positions]
        lines = LineCollection(
            segments, cmap=value_cmap(self.direction), linewidths=1.0, alpha=0.8
        )
        lines.set_array(self.values)
        ax.add_collection(lines)
        for x, tick in zip(xs, self.ticks):
            ax.axvline(x, color="black", linewidth=0.8)
            for pos, label in tick:
                ax.text(x + 0.03, pos, label, fontsize="x-small", va="center")
        ax.set_xlim(-0.1, n_axes - 0.6)
        ax.set_ylim(-0.05, 1.05)
        ax.set_yticks([])
        labels = [self.param_labels[n] for n in self.params]
        ax.set_xticks(xs, [self.target_name, *labels])
        ax.set_title("Parallel Coordinate Plot")
        ax.figure.colorbar(lines, ax=ax, label=f"{self.target_name} ({self.direction})")
        self._finish(ax)
        return self


def plot_parallel_coordinate(
    study: Any,
    params: Sequence[str] | None = None,
    *,
    target: TargetType = None,
    target_name: str | None = None,
    ax: Any = None,
) -> Any:
    """Plot one line per trial across the target and the parameters.

    Works as Optuna's ``plot_parallel_coordinate`` (matplotlib backend).

    Parameters
    ----------
    study : Study or fitted TPESearchCV
    params : list of str or None
        Parameters to show; None for all.
    target : callable, str or None
        ``target(frozen_trial) -> float``, or for a search a metric name.
    target_name : str or None
        Label of the first axis.
    ax : matplotlib Axes or None
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib Axes
        See :class:`ParallelCoordinateDisplay`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import sktune
    >>> from sktune.visualization import plot_parallel_coordinate
    >>> study = sktune.create_study()
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=5)
    >>> [t.get_text() for t in plot_parallel_coordinate(study).get_xticklabels()]
    ['Objective Value', 'x']
    """
    return ParallelCoordinateDisplay.from_study(
        study, params=params, target=target, target_name=target_name, ax=ax
    ).ax_
