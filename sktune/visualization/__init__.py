"""Plots of a study or a fitted TPESearchCV, drawn with matplotlib.

matplotlib (the ``plot`` extra) is imported when a plot is drawn. Each plot
follows scikit-learn's Display pattern (``XDisplay.from_study(study)``,
``XDisplay.from_estimator(search)``, ``display.plot(ax=None)`` with ``ax_``
and ``figure_``); the ``plot_*`` functions take the arguments Optuna users
know and return the matplotlib Axes, as Optuna's matplotlib backend does.
No global matplotlib style is changed.
"""

import importlib.util

from sktune.visualization._contour import ContourDisplay, plot_contour
from sktune.visualization._edf import EDFDisplay, plot_edf
from sktune.visualization._history import (
    OptimizationHistoryDisplay,
    plot_optimization_history,
)
from sktune.visualization._importances import (
    ParamImportancesDisplay,
    plot_param_importances,
)
from sktune.visualization._intermediate import (
    IntermediateValuesDisplay,
    plot_intermediate_values,
)
from sktune.visualization._parallel import (
    ParallelCoordinateDisplay,
    plot_parallel_coordinate,
)
from sktune.visualization._slice import SliceDisplay, plot_slice
from sktune.visualization._timeline import TimelineDisplay, plot_timeline

__all__ = [
    "ContourDisplay",
    "EDFDisplay",
    "IntermediateValuesDisplay",
    "OptimizationHistoryDisplay",
    "ParallelCoordinateDisplay",
    "ParamImportancesDisplay",
    "SliceDisplay",
    "TimelineDisplay",
    "is_available",
    "plot_contour",
    "plot_edf",
    "plot_intermediate_values",
    "plot_optimization_history",
    "plot_parallel_coordinate",
    "plot_param_importances",
    "plot_slice",
    "plot_timeline",
]


def is_available() -> bool:
    """Whether matplotlib, which draws the plots, is installed (Optuna's
    function of that name tells about plotly).

    Examples
    --------
    >>> import sktune.visualization
    >>> isinstance(sktune.visualization.is_available(), bool)
    True
    """
    return importlib.util.find_spec("matplotlib") is not None
