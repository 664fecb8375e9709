"""Learning curves: each trial's reported intermediate values."""

from __future__ import annotations

from typing import Any

import numpy as np

from sktune._frozen import TrialState
from sktune.visualization._base import STATE_COLORS, BaseDisplay, new_axes, one_source

__all__ = ["IntermediateValuesDisplay", "plot_intermediate_values"]


class IntermediateValuesDisplay(BaseDisplay):
    """Each trial's intermediate values against the step, coloured by state.

    Pruned trials are dashed, so where the pruner stopped them shows.

    Attributes
    ----------
    numbers : list of int
        Trials with at least one intermediate value.
    steps, values : list of ndarray
        Their steps and reported values.
    states : list of TrialState
    direction : str
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import sktune
    >>> from sktune.visualization import IntermediateValuesDisplay
    >>> def objective(trial):
    ...     x = trial.suggest_float("x", 0, 1)
    ...     for step in range(3):
    ...         trial.report(x / (step + 1), step)
    ...     return x / 3
    >>> study = sktune.create_study()
    >>> study.optimize(objective, n_trials=4)
    >>> display = IntermediateValuesDisplay.from_study(study)
    >>> len(display.numbers), display.steps[0].tolist()
    (4, [0, 1, 2])
    """

    def __init__(
        self,
        *,
        numbers: list[int],
        steps: list[np.ndarray],
        values: list[np.ndarray],
        states: list[TrialState],
        direction: str,
    ) -> None:
        self.numbers = numbers
        self.steps = steps
        self.values = values
        self.states = states
        self.direction = direction

    @classmethod
    def from_study(cls, study: Any, *, ax: Any = None) -> IntermediateValuesDisplay:
        """Collect the intermediate values of a Study or search and plot them.

        Parameters
        ----------
        study : Study or fitted TPESearchCV
            For a search, the values are what it reported between folds or
            epochs (the refit metric).
        ax : matplotlib Axes or None
            Where to draw; a new figure when None.

        Returns
        -------
        IntermediateValuesDisplay
        """
        source = one_source(study, None, None, "plot_intermediate_values")
        numbers, steps, values, states = [], [], [], []
        for t in source.study.get_trials(deepcopy=False):
            if not t.intermediate_values:
                continue
            items = sorted(t.intermediate_values.items())
            numbers.append(t.number)
            steps.append(np.array([s for s, _ in items], dtype=int))
            values.append(np.array([v for _, v in items], dtype=float))
            states.append(t.state)
        display = cls(
            numbers=numbers,
            steps=steps,
            values=values,
            states=states,
            direction=source.direction,
        )
        return display.plot(ax=ax)

    def plot(self, ax: Any = None) -> IntermediateValuesDisplay:
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes or None
            Where to draw; a new figure when None.

        Returns
        -------
        IntermediateValuesDisplay
            ``self``, with ``ax_`` and ``figure_`` set.
        """
        ax = new_axes(ax)
        labelled: set[TrialState] = set()
        for steps, values, state in zip(self.steps, self.values, self.states):
            label = None
            if state not in labelled:
                labelled.add(state)
                label = state.name.capitalize()
            ax.plot(
                steps,
                values,
                marker=".",
                markersize=4,
                linestyle="--" if state == TrialState.PRUNED else "-",
                color=STATE_COLORS.get(state, "tab:gray"),
                alpha=0.7,
                label=label,
            )
        ax.set_title("Intermediate Values Plot")
        ax.set_xlabel("Step")
        ax.set_ylabel(f"Intermediate Value ({self.direction})")
        if labelled:
            ax.legend(loc="best", fontsize="small")
        self._finish(ax)
        return self


def plot_intermediate_values(study: Any, *, ax: Any = None) -> Any:
    """Plot each trial's intermediate values against the step.

    Works as Optuna's ``plot_intermediate_values`` (matplotlib backend).

    Parameters
    ----------
    study : Study or fitted TPESearchCV
    ax : matplotlib Axes or None
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib Axes
        See :class:`IntermediateValuesDisplay`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import sktune
    >>> from sktune.visualization import plot_intermediate_values
    >>> def objective(trial):
    ...     trial.report(0.5, 0)
    ...     return 0.5
    >>> study = sktune.create_study()
    >>> study.optimize(objective, n_trials=2)
    >>> plot_intermediate_values(study).get_xlabel()
    'Step'
    """
    return IntermediateValuesDisplay.from_study(study, ax=ax).ax_
