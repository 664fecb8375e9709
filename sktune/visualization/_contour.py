"""Interpolated objective over pairs of parameters."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from sktune._frozen import TrialState
from sktune.distributions import BaseDistribution, CategoricalDistribution
from sktune.visualization._base import (
    BaseDisplay,
    TargetType,
    finite_value,
    import_pyplot,
    is_log,
    merged_distributions,
    new_axes,
    one_source,
    plot_position,
    set_param_axis,
    value_cmap,
)

__all__ = ["ContourDisplay", "plot_contour"]

_GRID = 100


def _to_plane(dist: BaseDistribution, x: np.ndarray) -> np.ndarray:
    # interpolate in the space the axis is drawn in
    return np.log(x) if is_log(dist) else x


def _from_plane(dist: BaseDistribution, x: np.ndarray) -> np.ndarray:
    return np.exp(x) if is_log(dist) else x


def _interpolate(
    px: np.ndarray,
    py: np.ndarray,
    z: np.ndarray,
    dx: BaseDistribution,
    dy: BaseDistribution,
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Linear interpolation of ``z`` on a grid over the points' range."""
    from scipy.interpolate import griddata

    ux, uy = _to_plane(dx, px), _to_plane(dy, py)
    if np.unique(ux).size < 2 or np.unique(uy).size < 2:
        return None
    gx = np.linspace(ux.min(), ux.max(), _GRID)
    gy = np.linspace(uy.min(), uy.max(), _GRID)
    mx, my = np.meshgrid(gx, gy)
    try:
        # rescale to the unit square so both axes weigh the same
        sx, sy = np.ptp(ux), np.ptp(uy)
        zi = griddata(
            np.column_stack([(ux - ux.min()) / sx, (uy - uy.min()) / sy]),
            z,
            ((mx - ux.min()) / sx, (my - uy.min()) / sy),
            method="linear",
        )
    except Exception:  # degenerate (collinear) points: no surface
        return None
    return _from_plane(dx, mx), _from_plane(dy, my), zi


class ContourDisplay(BaseDisplay):
    """Filled contours of the interpolated target over pairs of parameters.

    With two parameters one panel; with more, a grid whose panel ``[i, j]``
    shows ``params[j]`` (x) against ``params[i]`` (y), diagonal hidden.

    Attributes
    ----------
    params : list of str
    distributions : dict of str to BaseDistribution
    points : dict of (str, str) to tuple of ndarray
        Per pair: x positions, y positions and target values of the
        complete trials that have both parameters.
    grids : dict of (str, str) to tuple of ndarray or None
        Per pair: the interpolation grid ``(X, Y, Z)`` in parameter units
        (None when the points span no area).
    target_name, direction : str
    param_labels : dict of str to str
        Axis label of each parameter.
    ax_ : matplotlib Axes or ndarray of Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import sktune
    >>> from sktune.visualization import ContourDisplay
    >>> study = sktune.create_study(sampler=sktune.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2
    ...                + t.suggest_float("y", -1, 1) ** 2, n_trials=20)
    >>> display = ContourDisplay.from_study(study)
    >>> display.ax_.get_xlabel(), display.ax_.get_ylabel()
    ('x', 'y')
    """

    def __init__(
        self,
        *,
        params: list[str],
        distributions: dict[str, BaseDistribution],
        points: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]],
        grids: dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray] | None],
        target_name: str,
        direction: str,
        param_labels: dict[str, str] | None = None,
    ) -> None:
        self.params = params
        self.param_labels = {n: n for n in params} | dict(param_labels or {})
        self.distributions = distributions
        self.points = points
        self.grids = grids
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
    ) -> ContourDisplay:
        """Interpolate the target over each pair of parameters and plot it.

        Parameters
        ----------
        study : Study or fitted TPESearchCV
        params : list of str or None
            At least two parameters; None for all.
        target : callable, str or None
            ``target(frozen_trial) -> float``, or for a search a metric name.
        target_name : str or None
            Colour bar label.
        ax : matplotlib Axes, array of Axes, or None
            One Axes for two parameters, an n-by-n array for n; a new figure
            when None.

        Returns
        -------
        ContourDisplay
        """
        owner = "plot_contour"
        source = one_source(study, target, target_name, owner)
        trials = source.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        dists = merged_distributions(trials, params, owner)
        if len(dists) < 2:
            if params is not None:
                raise ValueError(
                    f"The 'params' parameter of {owner} must name at least 2 "
                    f"parameters. Got {list(params)!r} instead."
                )
            warnings.warn(
                f"{owner}: the complete trials have fewer than 2 parameters "
                f"({list(dists)}); nothing to draw.",
                UserWarning,
                stacklevel=2,
            )
        names = list(dists)
        points, grids = {}, {}
        for a, b in itertools.permutations(names, 2):
            xs, ys, zs = [], [], []
            for t in trials:
                v = finite_value(source, t)
                if v is not None and a in t.params and b in t.params:
                    xs.append(plot_position(dists[a], t, a))
                    ys.append(plot_position(dists[b], t, b))
                    zs.append(v)
            pts = (np.asarray(xs), np.asarray(ys), np.asarray(zs))
            points[a, b] = pts
            grids[a, b] = (
                _interpolate(*pts, dists[a], dists[b]) if len(xs) >= 3 else None
            )
        display = cls(
            params=names,
            distributions=dists,
            points=points,
            grids=grids,
            target_name=source.target_name,
            direction=source.direction,
            param_labels={n: source.param_label(n) for n in names},
        )
        return display.plot(ax=ax)

    def plot(self, ax: Any = None) -> ContourDisplay:
        """Draw the contours.

        Parameters
        ----------
        ax : matplotlib Axes, array of Axes, or None
            One Axes for two parameters, an n-by-n array for n.

        Returns
        -------
        ContourDisplay
            ``self``, with ``ax_`` and ``figure_`` set.
        """
        n = len(self.params)
        if n < 2:
            ax = new_axes(ax)
            ax.set_title("Contour Plot")
            self._finish(ax)
            return self
        if ax is None:
            plt = import_pyplot()
            size = 5.0 if n == 2 else 2.6 * n
            _, grid = plt.subplots(
                1 if n == 2 else n,
                1 if n == 2 else n,
                squeeze=False,
                figsize=(size + 1, size),
                layout="constrained",
            )
        else:
            grid = np.asarray(ax, dtype=object)
            want = (1, 1) if n == 2 else (n, n)
            if grid.size != want[0] * want[1]:
                raise ValueError(
                    f"The 'ax' parameter of ContourDisplay.plot must hold "
                    f"{want[0] * want[1]} axes for {n} parameters. Got {grid.size}."
                )
            grid = grid.reshape(want)
        zs = [p[2] for p in self.points.values() if p[2].size]
        levels = None
        if zs:
            lo = min(float(z.min()) for z in zs)
            hi = max(float(z.max()) for z in zs)
            if hi > lo:
                levels = np.linspace(lo, hi, 16)
        mappable = None
        if n == 2:
            cells = [((0, 0), self.params[0], self.params[1])]
        else:
            cells = [
                ((i, j), self.params[j], self.params[i])
                for i in range(n)
                for j in range(n)
            ]
        for (i, j), px, py in cells:
            a = grid[i, j]
            if px == py:
                a.set_axis_off()
                continue
            g = self.grids[px, py]
            if g is not None and levels is not None:
                mappable = a.contourf(
                    *g, levels=levels, cmap=value_cmap(self.direction), extend="neither"
                )
            x, y, _ = self.points[px, py]
            a.scatter(x, y, color="black", s=8, edgecolors="white", linewidths=0.4)
            set_param_axis(a, "x", self.distributions[px], self.param_labels[px])
            set_param_axis(a, "y", self.distributions[py], self.param_labels[py])
            if n > 2 and not isinstance(
                self.distributions[px], CategoricalDistribution
            ):
                a.tick_params(labelsize="small")
        figure = grid[0, 0].figure
        figure.suptitle("Contour Plot")
        if mappable is not None:
            figure.colorbar(
                mappable,
                ax=list(grid.ravel()),
                label=f"{self.target_name} ({self.direction})",
            )
        self._finish(grid[0, 0] if n == 2 else grid)
        return self


def plot_contour(
    study: Any,
    params: Sequence[str] | None = None,
    *,
    target: TargetType = None,
    target_name: str | None = None,
    ax: Any = None,
) -> Any:
    """Plot the interpolated target over pairs of parameters.

    Works as Optuna's ``plot_contour`` (matplotlib backend).

    Parameters
    ----------
    study : Study or fitted TPESearchCV
    params : list of str or None
        At least two parameters; None for all.
    target : callable, str or None
        ``target(frozen_trial) -> float``, or for a search a metric name.
    target_name : str or None
        Colour bar label.
    ax : matplotlib Axes, array of Axes, or None
        One Axes for two parameters, an n-by-n array for n.

    Returns
    -------
    matplotlib Axes or ndarray of Axes
        See :class:`ContourDisplay`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import sktune
    >>> from sktune.visualization import plot_contour
    >>> study = sktune.create_study(sampler=sktune.samplers.RandomSampler(seed=0))
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1)
    ...                + t.suggest_float("c", 1e-3, 1, log=True), n_trials=20)
    >>> plot_contour(study).get_yscale()
    'log'
    """
    return ContourDisplay.from_study(
        study, params=params, target=target, target_name=target_name, ax=ax
    ).ax_
