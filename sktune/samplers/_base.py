"""The sampler interface."""

from __future__ import annotations

import abc
import inspect
from typing import TYPE_CHECKING, Any

from sktune._frozen import FrozenTrial, TrialState
from sktune.distributions import BaseDistribution

if TYPE_CHECKING:
    from sktune.study._study import Study

__all__ = ["BaseSampler"]


class BaseSampler(abc.ABC):
    """Proposes parameter values for trials.

    A trial asks its sampler in two ways. When it starts, the sampler may
    propose several parameters jointly: :meth:`infer_relative_search_space`
    says which, :meth:`sample_relative` draws them. Any parameter the objective
    then suggests that was not drawn jointly goes to
    :meth:`sample_independent`. Values are external (what the objective gets).

    To write a sampler, subclass this and implement
    :meth:`sample_independent`; override the two relative methods to sample
    jointly. The hooks :meth:`before_trial` and :meth:`after_trial` are
    optional.

    Examples
    --------
    >>> import numpy as np
    >>> import sktune
    >>> from sktune.samplers import BaseSampler
    >>> class LowEnd(BaseSampler):
    ...     def sample_independent(self, study, trial, name, distribution):
    ...         return distribution.low
    >>> study = sktune.create_study(sampler=LowEnd())
    >>> study.optimize(lambda t: t.suggest_float("x", -1, 1), n_trials=1)
    >>> study.best_params
    {'x': -1.0}
    """

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        """Parameters to sample jointly for ``trial``; none by default."""
        return {}

    def sample_relative(
        self,
        study: Study,
        trial: FrozenTrial,
        search_space: dict[str, BaseDistribution],
    ) -> dict[str, Any]:
        """Draw the parameters of ``search_space`` jointly (external values);
        nothing by default."""
        return {}

    @abc.abstractmethod
    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        """Draw one parameter (external value)."""

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:  # noqa: B027
        """Called when a trial starts, before any sampling."""

    def after_trial(  # noqa: B027
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        value: float | None,
    ) -> None:
        """Called when a trial finishes, before its state is stored."""

    def set_budget(  # noqa: B027
        self, n_trials: int | None, study: Study | None = None
    ) -> None:
        """Hear how many trials ``study`` will hold in total (None: unknown).

        :meth:`Study.optimize` and ``TPESearchCV.fit`` call it, with their
        study, before their first trial, so that a sampler can plan (for
        example, size its start-up phase). Without ``study``, the budget is
        for any study that announced none. The default ignores it.
        """

    def reseed_rng(self) -> None:  # noqa: B027
        """Draw a fresh seed (used for workers of a parallel search)."""

    def _set_seed(self, seed: int) -> None:  # noqa: B027
        """Make this sampler draw as if built with ``seed``.

        ``TPESearchCV`` calls it on its private copy of a sampler given without
        a seed, with a seed derived from ``random_state``, so that an int
        ``random_state`` makes the search reproducible. The default (a sampler
        that does not know it) ignores it.
        """

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def announce_budget(
    sampler: BaseSampler, n_trials: int | None, study: Study | None
) -> None:
    """Call ``sampler.set_budget`` for ``study``; a subclass written before
    the hook took ``study`` is called without it."""
    if study is None:
        sampler.set_budget(n_trials)
        return
    try:
        params = inspect.signature(sampler.set_budget).parameters
    except (TypeError, ValueError):  # (a builtin or C callable)
        params = {}
    takes_study = "study" in params or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()
    )
    if takes_study:
        sampler.set_budget(n_trials, study=study)
    else:
        sampler.set_budget(n_trials)
