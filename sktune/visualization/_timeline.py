"""When each trial ran, and how it ended."""

from __future__ import annotations

import datetime
from typing import Any

from sktune._frozen import TrialState
from sktune.visualization._base import (
    STATE_COLORS,
    BaseDisplay,
    import_pyplot,
    new_axes,
    one_source,
)

__all__ = ["TimelineDisplay", "plot_timeline"]


class TimelineDisplay(BaseDisplay):
    """One horizontal bar per trial, from its start to its end, by state.

    Running trials end at the time the display is computed. Overlapping bars
    show trials that ran in parallel.

    Attributes
    ----------
    numbers : list of int
        Trials that have started.
    starts, ends : list of datetime
    states : list of TrialState
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import sktune
    >>> from sktune.visualization import TimelineDisplay
    >>> study = sktune.create_study()
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    >>> display = TimelineDisplay.from_study(study)
    >>> display.numbers, display.ax_.get_ylabel()
    ([0, 1, 2], 'Trial')
    """

    def __init__(
        self,
        *,
        numbers: list[int],
        starts: list[datetime.datetime],
        ends: list[datetime.datetime],
        states: list[TrialState],
    ) -> None:
        self.numbers = numbers
        self.starts = starts
        self.ends = ends
        self.states = states

    @classmethod
    def from_study(cls, study: Any, *, ax: Any = None) -> TimelineDisplay:
        """Collect the trials' start and end times and plot them.

        Parameters
        ----------
        study : Study or fitted TPESearchCV
        ax : matplotlib Axes or None
            Where to draw; a new figure when None.

        Returns
        -------
        TimelineDisplay
        """
        source = one_source(study, None, None, "plot_timeline")
        now = datetime.datetime.now()
        numbers, starts, ends, states = [], [], [], []
        for t in source.study.get_trials(deepcopy=False):
            if t.datetime_start is None:
                continue
            numbers.append(t.number)
            starts.append(t.datetime_start)
            ends.append(t.datetime_complete or now)
            states.append(t.state)
        display = cls(numbers=numbers, starts=starts, ends=ends, states=states)
        return display.plot(ax=ax)

    def plot(self, ax: Any = None) -> TimelineDisplay:
        """Draw the bars.

        Parameters
        ----------
        ax : matplotlib Axes or None
            Where to draw; a new figure when None.

        Returns
        -------
        TimelineDisplay
            ``self``, with ``ax_`` and ``figure_`` set.
        """
        import_pyplot()  # the error naming the 'plot' extra, if need be
        import matplotlib.dates as mdates
        from matplotlib.patches import Patch

        ax = new_axes(ax)
        starts = mdates.date2num(self.starts) if self.starts else []
        ends = mdates.date2num(self.ends) if self.ends else []
        widths = [max(e - s, 1e-9) for s, e in zip(starts, ends)]
        colors = [STATE_COLORS.get(s, "tab:gray") for s in self.states]
        ax.barh(self.numbers, widths, left=starts, color=colors, height=0.8)
        ax.xaxis_date()
        locator = mdates.AutoDateLocator()
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
        present = [s for s in TrialState if s in set(self.states)]
        ax.legend(
            handles=[
                Patch(color=STATE_COLORS[s], label=s.name.capitalize()) for s in present
            ],
            loc="best",
            fontsize="small",
        )
        ax.set_title("Timeline Plot")
        ax.set_xlabel("Datetime")
        ax.set_ylabel("Trial")
        self._finish(ax)
        return self


def plot_timeline(study: Any, *, ax: Any = None) -> Any:
    """Plot when each trial ran, coloured by its state.

    Works as Optuna's ``plot_timeline`` (matplotlib backend).

    Parameters
    ----------
    study : Study or fitted TPESearchCV
    ax : matplotlib Axes or None
        Where to draw; a new figure when None.

    Returns
    -------
    matplotlib Axes
        See :class:`TimelineDisplay`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import sktune
    >>> from sktune.visualization import plot_timeline
    >>> study = sktune.create_study()
    >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    >>> len(plot_timeline(study).patches)
    3
    """
    return TimelineDisplay.from_study(study, ax=ax).ax_
