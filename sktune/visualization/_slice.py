"""Objective value against each parameter, one panel per parameter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from sktune._frozen import TrialState
from sktune.distributions import BaseDistribution
from sktune.visualization._base import (
    STATE_COLORS,
    BaseDisplay,
    TargetType,
    finite_value,
    import_pyplot,
    merged_distributions,
    one_source,
    plot_position,
    pruned_value,
    set_param_axis,
)

__all__ = ["SliceDisplay", "plot_slice"]


def axes_grid(ax: Any, n: int, owner: str, nrows: int = 1) -> np.ndarray:
    """``n`` axes in a row: the ones given, or a new figure's."""
    if ax is None:
        plt = import_pyplot()
        ncols = -(-n // nrows)
        _, axes = plt.subplots(
            nrows,
            ncols,
            squeeze=False,
            figsize=(3.2 * ncols + 1, 3.2 * nrows),
            layout="constrained",
        )
        flat = axes.ravel()
        for extra in flat[n:]:
            extra.set_visible(False)
        return flat[:n]
    axes = np.ravel(np.asarray(ax, dtype=object))
    if axes.size != n:
        raise ValueError(
            f"The 'ax' parameter of {owner} must hold {n} axes (one per "
            f"parameter). Got {axes.size}."
        )
    return axes


class SliceDisplay(BaseDisplay):
    """Each complete trial's value against each parameter.

    Log-scaled parameters are drawn on log axes, categoricals by their
    labels; colour is the trial number; pruned trials (last reported value)
    are drawn as crosses.

    Attributes
    ----------
    params : list of str
    distributions : dict of str to BaseDistribution
    x, y, numbers : dict of str to ndarray
        Per parameter: the positions (values, or choice indices), target
        values and trial numbers of the complete trials that have it.
    pruned_x, pruned_y : dict of str to ndarray
        The same for pruned trials.
    target_name, direction : str
    param_labels : dict of str to str
        Axis label of each parameter.
    ax_ : matplotlib Axes or ndarray of Axes
        One Axes per parameter (a single Axes for one parameter).
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import sktune
    >>> from sktune.visualization import SliceDisplay
    >>> study = sktune.create_study()
    >>> study.optimize(lambda t: t.suggest_float("lr", 1e-4, 1, log=True),
    ...                n_trials=10)
    >>> display = SliceDisplay.from_study(study)
    >>> display.ax_.get_xscale(), len(display.x["lr"])
    ('log', 10)
    """

    def __init__(
        self,
        *,
        params: list[str],
        distributions: dict[str, BaseDistribution],
        x: dict[str, np.ndarray],
        y: dict[str, np.ndarray],
        numbers: dict[str, np.ndarray],
        pruned_x: dict[str, np.ndarray],
        pruned_y: dict[str, np.ndarray],
        target_name: str,
        direction: str,
        param_labels: dict[str, str] | None = None,
    ) -> None:
        self.params = params
        self.param_labels = {n: n for n in params} | dict(param_labels or {})
        self.distributions = distributions
        self.x = x
        self.y = y
        self.numbers = numbers
        self.pruned_x = pruned_x
        self.pruned_y = pruned_y
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
    ) -> SliceDisplay:
        """Compute the slices of a Study or search and plot them.

        Parameters
        ----------
        study : Study or fitted TPESearchCV
        params : list of str or None
            Parameters to show; None for all.
        target : callable, str or None
            ``target(frozen_trial) -> float``, or for a search a metric name.
        target_name : str or None
            Axis label.
        ax : matplotlib Axes, array of Axes, or None
            One Axes per parameter; a new figure when None.

        Returns
        -------
        SliceDisplay
        """
        owner = "plot_slice"
        source = one_source(study, target, target_name, owner)
        trials = source.study.get_trials(deepcopy=False)
        dists = merged_distributions(trials, params, owner)
        data: dict[str, dict[str, list[float]]] = {
            k: {n: [] for n in dists} for k in ("x", "y", "numbers", "px", "py")
        }
        for t in trials:
            if t.state == TrialState.COMPLETE:
                v, keys = finite_value(source, t), ("x", "y")
            elif t.state == TrialState.PRUNED:
                v, keys = pruned_value(source, t), ("px", "py")
            else:
                continue
            if v is None:
                continue
            for name, dist in dists.items():
                if name in t.params:
                    data[keys[0]][name].append(plot_position(dist, t, name))
                    data[keys[1]][name].append(v)
                    if keys[0] == "x":
                        data["numbers"][name].append(t.number)

        def arrays(key: str) -> dict[str, np.ndarray]:
            return {n: np.asarray(v, dtype=float) for n, v in data[key].items()}

        display = cls(
            params=list(dists),
            distributions=dists,
            x=arrays("x"),
            y=arrays("y"),
            numbers={n: np.asarray(v, dtype=int) for n, v in data["numbers"].items()},
            pruned_x=arrays("px"),
            pruned_y=arrays("py"),
            target_name=source.target_name,
            direction=source.direction,
            param_labels={n: source.param_label(n) for n in dists},
        )
        return display.plot(ax=ax)

    def plot(self, ax: Any = None) -> SliceDisplay:
        """Draw one panel per parameter.

        Parameters
        ----------
        ax : matplotlib Axes, array of Axes, or None
            One Axes per parameter; a new figure when None.

        Returns
        -------
        SliceDisplay
            ``self``, with ``ax_`` and ``figure_`` set.
        """
        n = max(1, len(self.params))
        axes = axes_grid(ax, n, "SliceDisplay.plot")
        numbers = [v for v in self.numbers.values() if v.size]
        vmax = max((int(v.max()) for v in numbers), default=1)
        mappable, legend = None, False
        for i, name in enumerate(self.params):
            a = axes[i]
            mappable = a.scatter(
                self.x[name],
                self.y[name],
                c=self.numbers[name],
                cmap="Blues",
                vmin=0,
                vmax=vmax,
                edgecolors="gray",
                linewidths=0.5,
                s=20,
            )
            if self.pruned_x[name].size:
                a.scatter(
                    self.pruned_x[name],
                    self.pruned_y[name],
                    marker="x",
                    color=STATE_COLORS[TrialState.PRUNED],
                    s=16,
                    label="Pruned (last reported)",
                )
                if not legend:
                    a.legend(loc="best", fontsize="small")
                    legend = True
            set_param_axis(a, "x", self.distributions[name], self.param_labels[name])
            if i == 0:
                a.set_ylabel(f"{self.target_name} ({self.direction})")
        first = axes[0]
        first.figure.suptitle("Slice Plot")
        if mappable is not None:
            first.figure.colorbar(mappable, ax=list(axes), label="Trial")
        self._finish(axes[0] if axes.size == 1 else axes)
        return self


def plot_slice(
    study: Any,
    params: Sequence[str] | None = None,
    *,
    target: TargetType = None,
    target_name: str | None = None,
    ax: Any = None,
) -> Any:
    """Plot each trial's value against each parameter.

    Works as Optuna's ``plot_slice`` (matplotlib backend).

    Parameters
    ----------
    study : Study or fitted TPESearchCV
    params : list of str or None
        Parameters to show; None for all.
    target : callable, str or None
        ``target(frozen_trial) -> float``, or for a search a metric name.
    target_name : str or None
        Axis label.
    ax : matplotlib Axes, array of Axes, or None
        One Axes per parameter; a new figure when None.

    Returns
    -------
    matplotlib Axes or ndarray of Axes
        One Axes per parameter (see :class:`SliceDisplay`).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import sktune
    >>> from sktune.visualization import plot_slice
    >>> study = sktune.create_study()
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1)
    ...                + t.suggest_int("k", 1, 3), n_trials=10)
    >>> [a.get_xlabel() for a in plot_slice(study)]
    ['x', 'k']
    """
    return SliceDisplay.from_study(
        study, params=params, target=target, target_name=target_name, ax=ax
    ).ax_
