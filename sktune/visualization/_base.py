"""Shared pieces of the displays: lazy matplotlib, sources, value extraction."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from sktune._frozen import FrozenTrial, TrialState
from sktune.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    merge_distributions,
)
from sktune.importance._source import Source, is_search, resolve_source
from sktune.study import Study

__all__ = ["STATE_COLORS", "BaseDisplay", "import_pyplot"]

# Trial states drawn distinguishably (colour-blind-safe tab10 picks).
STATE_COLORS = {
    TrialState.COMPLETE: "tab:blue",
    TrialState.PRUNED: "tab:orange",
    TrialState.FAIL: "tab:red",
    TrialState.RUNNING: "tab:green",
    TrialState.WAITING: "tab:gray",
}

TargetType = Callable[[FrozenTrial], float] | str | None


def import_pyplot() -> Any:
    """``matplotlib.pyplot``, or an ImportError that names the ``plot`` extra."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is a test dep
        raise ImportError(
            "sktune.visualization needs matplotlib; install it with "
            "`pip install sktune[plot]`."
        ) from exc
    return plt


def new_axes(ax: Any, nrows: int = 1, ncols: int = 1, **kwargs: Any) -> Any:
    """The given axes, or new ones (``plt.subplots``) when ``ax`` is None."""
    if ax is not None:
        return ax
    plt = import_pyplot()
    kwargs.setdefault("layout", "constrained")
    _, axes = plt.subplots(nrows, ncols, squeeze=False, **kwargs)
    return axes[0, 0] if nrows == ncols == 1 else axes


def sources(
    obj: Any, target: TargetType, target_name: str | None, owner: str
) -> list[Source]:
    """One :class:`Source` per study of a Study, a list of them, or a search."""
    if isinstance(obj, Sequence) and not isinstance(obj, str):
        if len(obj) == 0:
            raise ValueError(
                f"The 'study' parameter of {owner} must not be an empty list."
            )
        return [resolve_source(s, target, target_name, owner) for s in obj]
    return [resolve_source(obj, target, target_name, owner)]


def one_source(
    obj: Any, target: TargetType, target_name: str | None, owner: str
) -> Source:
    """A :class:`Source` for plots that show one study."""
    if isinstance(obj, Sequence) and not isinstance(obj, str):
        raise TypeError(
            f"The 'study' parameter of {owner} must be a Study or a fitted "
            f"TPESearchCV; a list of studies is not supported. Got a "
            f"{type(obj).__name__}."
        )
    return resolve_source(obj, target, target_name, owner)


def check_search(search: Any, owner: str) -> None:
    """Raise unless ``search`` looks like a TPESearchCV."""
    if isinstance(search, Study) or not is_search(search):
        raise TypeError(
            f"{owner} needs a fitted TPESearchCV; use from_study for a Study. "
            f"Got {type(search).__name__} instead."
        )


def merged_distributions(
    trials: Sequence[FrozenTrial], params: Sequence[str] | None, owner: str
) -> dict[str, BaseDistribution]:
    """One distribution per parameter (bounds widened over the trials)."""
    seen: dict[str, dict[int, BaseDistribution]] = {}
    for t in trials:
        for name, dist in t.distributions.items():
            seen.setdefault(name, {}).setdefault(id(dist), dist)
    found: dict[str, BaseDistribution] = {}
    for name, by_id in seen.items():
        try:
            distinct = list(dict.fromkeys(by_id.values()))
            found[name] = merge_distributions(name, distinct)
        except ValueError as exc:
            raise ValueError(f"{owner} cannot plot it: {exc}") from None
    if params is None:
        return found
    if isinstance(params, str) or not all(isinstance(p, str) for p in params):
        raise TypeError(
            f"The 'params' parameter of {owner} must be a list of parameter "
            f"names or None. Got {params!r} instead."
        )
    unknown = [p for p in params if p not in found]
    if unknown:
        raise ValueError(
            f"The 'params' parameter of {owner} must name parameters of the "
            f"study's trials {sorted(found)}. Got unknown {unknown!r}."
        )
    return {p: found[p] for p in params}


def common_direction(srcs: Sequence[Source]) -> str:
    """The studies' direction, or "mixed" when they differ."""
    directions = {src.direction for src in srcs}
    return directions.pop() if len(directions) == 1 else "mixed"


def axis_label(target_name: str, direction: str) -> str:
    """A value axis's label: the target and, unless mixed, the direction."""
    return target_name if direction == "mixed" else f"{target_name} ({direction})"


def value_cmap(direction: str) -> str:
    """A colour map on which the best values are the darkest (as in Optuna)."""
    return "Blues" if direction == "maximize" else "Blues_r"


def is_log(dist: BaseDistribution) -> bool:
    """Whether a parameter is drawn on a log axis."""
    return isinstance(dist, (FloatDistribution, IntDistribution)) and dist.log


def choice_labels(dist: CategoricalDistribution) -> list[str]:
    """Tick labels of a categorical's choices."""
    return [str(c) for c in dist.choices]


def plot_position(dist: BaseDistribution, trial: FrozenTrial, name: str) -> float:
    """Where a trial's parameter goes on an axis: its value, or choice index."""
    if isinstance(dist, CategoricalDistribution):
        return float(dist.to_internal_repr(trial.params[name]))
    return float(trial.params[name])


def finite_value(source: Source, trial: FrozenTrial) -> float | None:
    """The trial's target value if it is a finite number."""
    v = source.value(trial)
    return v if v is not None and math.isfinite(v) else None


def pruned_value(source: Source, trial: FrozenTrial) -> float | None:
    """A pruned trial's last reported value (plain studies only)."""
    if source.target is not None or not trial.intermediate_values:
        return None
    v = trial.intermediate_values[max(trial.intermediate_values)]
    return v if math.isfinite(v) else None


def set_categorical_axis(ax: Any, axis: str, dist: CategoricalDistribution) -> None:
    """Ticks at the choice indices, labelled with the choices."""
    ticks = np.arange(len(dist.choices))
    if axis == "x":
        ax.set_xticks(ticks, choice_labels(dist))
        ax.set_xlim(-0.5, len(ticks) - 0.5)
    else:
        ax.set_yticks(ticks, choice_labels(dist))
        ax.set_ylim(-0.5, len(ticks) - 0.5)


def set_param_axis(ax: Any, axis: str, dist: BaseDistribution, name: str) -> None:
    """Label an axis with a parameter and give it the parameter's scale."""
    if axis == "x":
        ax.set_xlabel(name)
    else:
        ax.set_ylabel(name)
    if isinstance(dist, CategoricalDistribution):
        set_categorical_axis(ax, axis, dist)
    elif is_log(dist):
        (ax.set_xscale if axis == "x" else ax.set_yscale)("log")
    elif isinstance(dist, IntDistribution):
        from matplotlib.ticker import MaxNLocator

        (ax.xaxis if axis == "x" else ax.yaxis).set_major_locator(
            MaxNLocator(integer=True)
        )


class BaseDisplay:
    """Common constructor and ``from_estimator`` of the displays.

    Subclasses implement ``from_study`` and ``plot``; ``from_estimator``
    accepts a fitted TPESearchCV and passes its study to ``from_study``.
    """

    ax_: Any
    figure_: Any

    @classmethod
    def from_study(cls, study: Any, **kwargs: Any) -> BaseDisplay:
        raise NotImplementedError

    @classmethod
    def from_estimator(cls, search: Any, **kwargs: Any) -> Any:
        """Compute the display from a fitted TPESearchCV and plot it.

        Parameters
        ----------
        search : TPESearchCV
            A fitted search (anything with ``study_``, ``multimetric_``,
            ``refit`` and ``scorer_``).
        **kwargs
            Passed to :meth:`from_study`; ``target`` may name a metric.

        Returns
        -------
        display
            The display, with ``ax_`` and ``figure_`` set.
        """
        check_search(search, f"{cls.__name__}.from_estimator")
        return cls.from_study(search, **kwargs)

    def _finish(self, ax: Any) -> None:
        self.ax_ = ax
        first = ax.flat[0] if isinstance(ax, np.ndarray) else ax
        self.figure_ = first.figure
