"""How the best value improved, trial after trial."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from sktune._frozen import TrialState
from sktune.visualization._base import (
    STATE_COLORS,
    BaseDisplay,
    TargetType,
    axis_label,
    common_direction,
    new_axes,
    pruned_value,
    sources,
)

__all__ = ["OptimizationHistoryDisplay", "plot_optimization_history"]


class OptimizationHistoryDisplay(BaseDisplay):
    """Each trial's value and the best value so far, per study.

    Create it with :meth:`from_study` or :meth:`from_estimator`.

    Attributes
    ----------
    numbers, values, best_values : list of ndarray
        Per study: numbers and values of the complete trials, and the running
        best value (by the study's direction).
    pruned_numbers, pruned_values : list of ndarray
        Per study: pruned trials and their last reported value.
    failed_numbers : list of ndarray
        Per study: trials that failed (drawn as ticks on the x axis).
    study_names : list of str
    target_name, direction : str
    error_bar : bool
        Draw the mean and standard deviation over the studies.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import sktune
    >>> from sktune.visualization import OptimizationHistoryDisplay
    >>> study = sktune.create_study()
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=10)
    >>> display = OptimizationHistoryDisplay.from_study(study)
    >>> display.ax_.get_ylabel()
    'Objective Value (minimize)'
    >>> len(display.values[0])
    10
    """

    def __init__(
        self,
        *,
        numbers: list[np.ndarray],
        values: list[np.ndarray],
        best_values: list[np.ndarray],
        pruned_numbers: list[np.ndarray],
        pruned_values: list[np.ndarray],
        failed_numbers: list[np.ndarray],
        study_names: list[str],
        target_name: str,
        direction: str,
        error_bar: bool = False,
    ) -> None:
        self.numbers = numbers
        self.values = values
        self.best_values = best_values
        self.pruned_numbers = pruned_numbers
        self.pruned_values = pruned_values
        self.failed_numbers = failed_numbers
        self.study_names = study_names
        self.target_name = target_name
        self.direction = direction
        self.error_bar = error_bar

    @classmethod
    def from_study(
        cls,
        study: Any,
        *,
        target: TargetType = None,
        target_name: str | None = None,
        error_bar: bool = False,
        ax: Any = None,
    ) -> OptimizationHistoryDisplay:
        """Compute the history of a Study, a list of studies or a search.

        Parameters
        ----------
        study : Study, list of Study, or fitted TPESearchCV
        target : callable, str or None
            ``target(frozen_trial) -> float`` to plot instead of the value; for
            a search also a metric name. The best value follows the study's
            direction (a search maximises).
        target_name : str or None
            Axis label; defaults to "Objective Value" or the metric's name.
        error_bar : bool, default=False
            With several studies, draw their mean and standard deviation.
        ax : matplotlib Axes or None
            Where to draw; a new figure when None.

        Returns
        -------
        OptimizationHistoryDisplay
        """
        owner = "plot_optimization_history"
        srcs = sources(study, target, target_name, owner)
        if error_bar and common_direction(srcs) == "mixed":
            raise ValueError(
                f"{owner} with error_bar=True needs studies of one direction; "
                f"got {sorted({src.direction for src in srcs})}."
            )
        kw: dict[str, list] = {
            k: []
            for k in (
                "numbers",
                "values",
                "best_values",
                "pruned_numbers",
                "pruned_values",
                "failed_numbers",
                "study_names",
            )
        }
        for src in srcs:
            nums, vals, pnums, pvals, fails = [], [], [], [], []
            for t in src.study.get_trials(deepcopy=False):
                if t.state == TrialState.COMPLETE:
                    # An infinite value counts for the best so far (as in
                    # study.best_value); matplotlib leaves it undrawn.
                    v = src.value(t)
                    if v is not None and not math.isnan(v):
                        nums.append(t.number)
                        vals.append(v)
                elif t.state == TrialState.PRUNED:
                    v = pruned_value(src, t)
                    if v is not None:
                        pnums.append(t.number)
                        pvals.append(v)
                elif t.state == TrialState.FAIL:
                    fails.append(t.number)
            values = np.asarray(vals, dtype=float)
            accumulate = np.maximum if src.direction == "maximize" else np.minimum
            best = accumulate.accumulate(values) if values.size else values
            kw["numbers"].append(np.asarray(nums, dtype=int))
            kw["values"].append(values)
            kw["best_values"].append(best)
            kw["pruned_numbers"].append(np.asarray(pnums, dtype=int))
            kw["pruned_values"].append(np.asarray(pvals, dtype=float))
            kw["failed_numbers"].append(np.asarray(fails, dtype=int))
            kw["study_names"].append(src.study.study_name)
        display = cls(
            **kw,
            target_name=srcs[0].target_name,
            direction=common_direction(srcs),
            error_bar=error_bar,
        )
        return display.plot(ax=ax)

    def plot(self, ax: Any = None) -> OptimizationHistoryDisplay:
        """Draw the history.

        Parameters
        ----------
        ax : matplotlib Axes or None
            Where to draw; a new figure when None.

        Returns
        -------
        OptimizationHistoryDisplay
            ``self``, with ``ax_`` and ``figure_`` set.
        """
        ax = new_axes(ax)
        n = len(self.values)
        if self.error_bar and n > 1:
            self._plot_error_bar(ax)
        else:
            for i in range(n):
                suffix = f" ({self.study_names[i]})" if n > 1 else ""
                color = f"C{i}" if n > 1 else STATE_COLORS[TrialState.COMPLETE]
                ax.scatter(
                    self.numbers[i],
                    self.values[i],
                    color=color,
                    s=16,
                    alpha=0.8,
                    label=f"{self.target_name}{suffix}",
                )
                ax.step(
                    self.numbers[i],
                    self.best_values[i],
                    where="post",
                    color="tab:red" if n == 1 else color,
                    label=f"Best Value{suffix}",
                )
        for i in range(n):
            if self.pruned_numbers[i].size:
                ax.scatter(
                    self.pruned_numbers[i],
                    self.pruned_values[i],
                    marker="x",
                    color=STATE_COLORS[TrialState.PRUNED],
                    s=16,
                    label="Pruned (last reported)" if i == 0 else None,
                )
            if self.failed_numbers[i].size:
                ax.plot(
                    self.failed_numbers[i],
                    np.zeros(self.failed_numbers[i].size),
                    "|",
                    color=STATE_COLORS[TrialState.FAIL],
                    markersize=10,
                    transform=ax.get_xaxis_transform(),
                    label="Failed" if i == 0 else None,
                )
        ax.set_title("Optimization History")
        ax.set_xlabel("Trial")
        ax.set_ylabel(axis_label(self.target_name, self.direction))
        ax.legend(loc="best", fontsize="small")
        self._finish(ax)
        return self

    def _plot_error_bar(self, ax: Any) -> None:
        # mean and std over the studies, at each trial number they all share
        length = max((int(nums.max()) + 1 if nums.size else 0) for nums in self.numbers)
        grid = np.arange(length)
        best = np.full((len(self.values), length), np.nan)
        vals = np.full_like(best, np.nan)
        for i, (nums, v, b) in enumerate(
            zip(self.numbers, self.values, self.best_values)
        ):
            keep = nums < length
            vals[i, nums[keep]] = v[keep]
            idx = np.searchsorted(nums, grid, side="right") - 1
            # (a study's best so far ends with its last trial, as in Optuna)
            ok = (idx >= 0) & (grid <= (nums.max() if nums.size else -1))
            best[i, ok] = b[idx[ok]]
        with warnings.catch_warnings():
            # trial numbers no study completed give all-NaN columns
            warnings.simplefilter("ignore", RuntimeWarning)
            vmean, vstd = np.nanmean(vals, 0), np.nanstd(vals, 0)
            bmean, bstd = np.nanmean(best, 0), np.nanstd(best, 0)
        ax.errorbar(
            grid, vmean, yerr=vstd, fmt="o", ms=3, alpha=0.6, label=self.target_name
        )
        ax.plot(grid, bmean, color="tab:red", label="Best Value")
        ax.fill_between(grid, bmean - bstd, bmean + bstd, color="tab:red", alpha=0.2)


def plot_optimization_history(
    study: Any,
    *,
    target: TargetType = None,
    target_name: str | None = None,
    error_bar: bool = False,
    ax: Any = None,
) -> Any:
    """Plot each trial's value and the best value so far.

    Works as Optuna's ``plot_optimization_history`` (matplotlib backend).

    Parameters
    ----------
    study : Study, list of Study, or fitted TPESearchCV
    target : callable, str or None
        ``target(frozen_trial) -> float``, or for a search a metric name.
    target_name : str or None
        Axis label; defaults to "Objective Value" or the metric's name.
    error_bar : bool, default=False
        With several studies, draw their mean and standard deviation.
    ax : matplotlib Axes or None
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib Axes
        The axes drawn on (the display is
        :class:`OptimizationHistoryDisplay`).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import sktune
    >>> from sktune.visualization import plot_optimization_history
    >>> study = sktune.create_study()
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=10)
    >>> ax = plot_optimization_history(study)
    >>> ax.get_xlabel()
    'Trial'
    """
    return OptimizationHistoryDisplay.from_study(
        study, target=target, target_name=target_name, error_bar=error_bar, ax=ax
    ).ax_
