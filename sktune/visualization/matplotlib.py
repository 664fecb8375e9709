"""Optuna's ``optuna.visualization.matplotlib`` path: the same functions as
:mod:`sktune.visualization`, whose plots are all drawn with matplotlib, so
that code written for Optuna's matplotlib backend runs unchanged.

Examples
--------
>>> import sktune.visualization
>>> import sktune.visualization.matplotlib as vis
>>> vis.plot_optimization_history is sktune.visualization.plot_optimization_history
True
"""

from sktune.visualization import (
    is_available,
    plot_contour,
    plot_edf,
    plot_intermediate_values,
    plot_optimization_history,
    plot_parallel_coordinate,
    plot_param_importances,
    plot_slice,
    plot_timeline,
)

__all__ = [
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
