"""Study: a named optimisation run over one objective."""

from __future__ import annotations

import enum
import threading
import warnings
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from sktune._frozen import FrozenTrial, TrialState
from sktune._validation import is_int, param_error
from sktune.distributions import BaseDistribution
from sktune.exceptions import (
    DuplicatedStudyError,
    InvalidParameterError,
    UpdateFinishedTrialError,
)
from sktune.pruners._base import BasePruner
from sktune.samplers._base import BaseSampler
from sktune.storages import BaseStorage, get_storage
from sktune.study._trial import (
    _MAX_STEP,
    FIXED_PARAMS_KEY,
    Trial,
    _needs_value_check,
    _same_value,
    check_value,
)

__all__ = [
    "Study",
    "StudyDirection",
    "copy_study",
    "create_study",
    "delete_study",
    "get_all_study_names",
    "load_study",
]

ObjectiveFuncType = Callable[[Trial], float]
CallbackType = Callable[["Study", FrozenTrial], None]


class StudyDirection(enum.IntEnum):
    """Whether the objective is minimised or maximised."""

    NOT_SET = 0
    MINIMIZE = 1
    MAXIMIZE = 2

    def __repr__(self) -> str:
        return f"StudyDirection.{self.name}"


def _parse_direction(direction: Any, owner: str = "create_study") -> str:
    if isinstance(direction, StudyDirection) and direction != StudyDirection.NOT_SET:
        return direction.name.lower()
    if isinstance(direction, str) and direction.lower() in ("minimize", "maximize"):
        return direction.lower()
    raise param_error(owner, "direction", "'minimize' or 'maximize'", direction)


def _default_sampler(seed: int | None = None) -> BaseSampler:
    from sktune.samplers import TPESampler

    return TPESampler(seed=seed)


def _default_pruner() -> BasePruner:
    from sktune.pruners import MedianPruner

    return MedianPruner()


class Study:
    """A set of trials that optimise one objective, kept in a storage.

    Create one with :func:`create_study` or :func:`load_study`.

    Examples
    --------
    >>> import sktune
    >>> study = sktune.create_study(direction="maximize",
    ...     sampler=sktune.samplers.RandomSampler(seed=1))
    >>> study.optimize(lambda t: -(t.suggest_float("x", -3, 3) - 1) ** 2, n_trials=30)
    >>> abs(study.best_params["x"] - 1) < 0.5
    True
    """

    def __init__(
        self,
        study_name: str,
        storage: BaseStorage | str | None,
        sampler: BaseSampler | None = None,
        pruner: BasePruner | None = None,
    ) -> None:
        self._storage = get_storage(storage, owner="Study")
        self._study_id = self._storage.get_study_id_from_name(study_name)
        self.study_name = study_name
        self._direction = self._storage.get_study_direction(self._study_id)
        self.sampler = sampler if sampler is not None else _default_sampler()
        self.pruner = pruner if pruner is not None else _default_pruner()
        if not isinstance(self.sampler, BaseSampler):
            raise param_error("Study", "sampler", "a BaseSampler or None", sampler)
        if not isinstance(self.pruner, BasePruner):
            raise param_error("Study", "pruner", "a BasePruner or None", pruner)
        self._stop_flag = False
        self._thread_local = threading.local()

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_thread_local"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._thread_local = threading.local()

    # -- reading -------------------------------------------------------------------
    @property
    def direction(self) -> StudyDirection:
        """:class:`StudyDirection` of the objective."""
        return StudyDirection[self._direction.upper()]

    @property
    def directions(self) -> list[StudyDirection]:
        """``[direction]``, for code written for multi-objective Optuna."""
        return [self.direction]

    @property
    def trials(self) -> list[FrozenTrial]:
        """Copies of every trial, ordered by number."""
        return self.get_trials(deepcopy=True)

    def get_trials(
        self,
        deepcopy: bool = True,
        states: Container[TrialState] | None = None,
    ) -> list[FrozenTrial]:
        """Trials ordered by number, optionally only those in ``states``.

        Parameters
        ----------
        deepcopy : bool, default=True
            Return copies. With False the caller must not modify the trials.
        states : container of TrialState or None
            Keep only these states.

        Examples
        --------
        >>> import sktune
        >>> from sktune.trial import TrialState
        >>> study = sktune.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
        >>> len(study.get_trials(states=(TrialState.COMPLETE,)))
        3
        """
        return self._storage.get_all_trials(
            self._study_id, deepcopy=deepcopy, states=states
        )

    def _get_trials(
        self,
        deepcopy: bool = False,
        states: Container[TrialState] | None = None,
        use_cache: bool = False,
    ) -> list[FrozenTrial]:
        return self.get_trials(deepcopy=deepcopy, states=states)

    @property
    def best_trial(self) -> FrozenTrial:
        """The complete trial with the best value (first one on ties).

        Raises
        ------
        ValueError
            If no trial is complete.
        """
        complete = self._storage.get_all_trials(
            self._study_id, deepcopy=False, states=(TrialState.COMPLETE,)
        )
        if not complete:
            raise ValueError("No trial is complete yet; there is no best trial.")
        if self._direction == "maximize":
            best = max(complete, key=lambda t: t.value)  # type: ignore[arg-type,return-value]
        else:
            best = min(complete, key=lambda t: t.value)  # type: ignore[arg-type,return-value]
        return best.copy()

    @property
    def best_trials(self) -> list[FrozenTrial]:
        """The complete trials with the best value (the Pareto front of one
        objective, as Optuna's ``best_trials``); empty when none is complete.

        Examples
        --------
        >>> import sktune
        >>> study = sktune.create_study()
        >>> study.optimize(lambda t: t.suggest_int("x", 0, 1), n_trials=6)
        >>> [t.params for t in study.best_trials][:1]
        [{'x': 0}]
        """
        complete = self._storage.get_all_trials(
            self._study_id, deepcopy=False, states=(TrialState.COMPLETE,)
        )
        if not complete:
            return []
        values = [t.value for t in complete]
        best = max(values) if self._direction == "maximize" else min(values)  # type: ignore[type-var]
        return [t.copy() for t in complete if t.value == best]

    @property
    def best_value(self) -> float:
        """Value of :attr:`best_trial`."""
        value = self.best_trial.value
        assert value is not None  # a COMPLETE trial always has a value
        return value

    @property
    def best_params(self) -> dict[str, Any]:
        """Parameters of :attr:`best_trial`."""
        return self.best_trial.params

    @property
    def user_attrs(self) -> dict[str, Any]:
        """User attributes of the study."""
        return self._storage.get_study_user_attrs(self._study_id)

    @property
    def system_attrs(self) -> dict[str, Any]:
        """System attributes of the study."""
        return self._storage.get_study_system_attrs(self._study_id)

    def set_user_attr(self, key: str, value: Any) -> None:
        """Attach a JSON-serialisable value to the study."""
        self._storage.set_study_user_attr(self._study_id, key, value)

    def set_system_attr(self, key: str, value: Any) -> None:
        """Attach an internal JSON-serialisable value to the study."""
        self._storage.set_study_system_attr(self._study_id, key, value)

    # -- ask and tell -----------------------------------------------------------
    def ask(
        self, fixed_distributions: dict[str, BaseDistribution] | None = None
    ) -> Trial:
        """Start a new trial (an enqueued one first, if any).

        Parameters
        ----------
        fixed_distributions : dict or None
            Parameters to suggest at once, as ``{name: distribution}``.

        Returns
        -------
        Trial

        Examples
        --------
        >>> import sktune
        >>> study = sktune.create_study()
        >>> trial = study.ask()
        >>> x = trial.suggest_float("x", -1, 1)
        >>> study.tell(trial, x**2).state
        TrialState.COMPLETE
        """
        self._storage.fail_stale_trials(self._study_id)
        trial_id = self._pop_waiting_trial_id()
        if trial_id is None:
            trial_id = self._storage.create_new_trial(self._study_id)
        trial = Trial(self, trial_id)
        for name, dist in (fixed_distributions or {}).items():
            trial._suggest(name, dist)
        return trial

    def _pop_waiting_trial_id(self) -> int | None:
        for t in self._storage.get_all_trials(
            self._study_id, deepcopy=False, states=(TrialState.WAITING,)
        ):
            if self._storage.set_trial_state_values(t.trial_id, TrialState.RUNNING):
                return t.trial_id
        return None

    def tell(
        self,
        trial: Trial | int,
        value: float | Sequence[float] | None = None,
        state: TrialState | None = None,
        skip_if_finished: bool = False,
        *,
        values: Sequence[float] | None = None,
    ) -> FrozenTrial:
        """Finish a trial started with :meth:`ask`.

        Parameters
        ----------
        trial : Trial or int
            The trial or its number.
        value : float or None
            The objective value; needed when ``state`` is COMPLETE. With
            ``state`` None, a value that cannot be the objective's (None, NaN,
            not a number, not exactly one value) fails the trial with a
            warning; with ``state`` COMPLETE, it raises ValueError and the
            trial stays running. Both as in Optuna.
        state : TrialState or None
            COMPLETE (the default), PRUNED or FAIL. A pruned trial takes its
            last reported value as its value; PRUNED and FAIL take no value.
            Only a running trial can be told.
        skip_if_finished : bool, default=False
            Do nothing (instead of raising) when the trial is already finished.

        Returns
        -------
        FrozenTrial
            The finished trial.
        """
        if values is not None:
            value = values
        if isinstance(trial, Trial):
            trial_id = trial._trial_id
        else:
            if not is_int(trial):
                raise param_error(
                    "Study.tell", "trial", "a Trial or a trial number", trial
                )
            try:
                trial_id = self._storage.get_trial_id_from_study_id_trial_number(
                    self._study_id, int(trial)
                )
            except (KeyError, OverflowError):  # (beyond SQLite's integers)
                # ValueError, as in Optuna.
                raise ValueError(
                    f"The 'trial' parameter of Study.tell must be the number of "
                    f"a trial of this study. Got {trial!r} instead."
                ) from None
        stored = self._storage.get_trial(trial_id)
        frozen = trial._frozen if isinstance(trial, Trial) else stored
        current = stored.state
        if current.is_finished():
            if skip_if_finished:
                return stored
            raise UpdateFinishedTrialError(
                f"Trial {frozen.number} is already finished ({current.name})."
            )
        if current != TrialState.RUNNING:
            raise ValueError(
                f"Cannot tell a {current.name} trial: Study.tell finishes trials "
                "started by ask (or optimize)."
            )
        if state is not None and state not in (
            TrialState.COMPLETE,
            TrialState.PRUNED,
            TrialState.FAIL,
        ):
            raise ValueError(
                f"The 'state' parameter of Study.tell must be COMPLETE, PRUNED or "
                f"FAIL. Got {state!r} instead."
            )
        if value is not None and state in (TrialState.PRUNED, TrialState.FAIL):
            raise ValueError(
                f"A {state.name} trial cannot be told a value (a pruned trial's "
                f"value is its last intermediate value). Got value={value!r}."
            )
        if value is None and state == TrialState.COMPLETE:
            raise ValueError(
                "No value was told: Study.tell needs a value when the state is "
                "COMPLETE; tell state=TrialState.FAIL for a trial without one."
            )
        out_value: float | None = None
        if state is None or state == TrialState.COMPLETE:
            # As Optuna: a value that cannot be the objective's fails the trial
            # with a warning (None, NaN, a non-number, a wrong number of values).
            why: str | None
            if isinstance(value, Sequence) and not isinstance(value, str | bytes):
                if len(value) == 1:
                    out_value, why = check_value(value[0])
                else:
                    why = (
                        f"{len(value)} values were told, but sktune studies have "
                        "a single objective."
                    )
            else:
                out_value, why = check_value(value)
            if why is not None and state == TrialState.COMPLETE:
                # Asked for explicitly: refused, the trial stays running (Optuna).
                raise ValueError(
                    f"Trial {frozen.number} cannot be told COMPLETE: {why} "
                    "The trial is still running."
                )
            state = TrialState.COMPLETE
            if why is not None:
                warnings.warn(
                    f"Trial {frozen.number} failed: {why}", UserWarning, stacklevel=2
                )
                state, out_value = TrialState.FAIL, None
        elif state == TrialState.PRUNED and stored.last_step is not None:
            # As Optuna: a pruned trial keeps its last report (if a number).
            out_value = check_value(stored.intermediate_values[stored.last_step])[0]

        self.sampler.after_trial(self, frozen, state, out_value)
        try:
            self._storage.set_trial_state_values(trial_id, state, out_value)
        except UpdateFinishedTrialError:
            # Finished meanwhile by another process (a stale copy said running).
            if skip_if_finished:
                return self._storage.get_trial(trial_id)
            raise
        return self._storage.get_trial(trial_id)

    def enqueue_trial(
        self,
        params: dict[str, Any],
        user_attrs: dict[str, Any] | None = None,
        skip_if_exists: bool = False,
    ) -> None:
        """Queue a trial with fixed parameters; the next :meth:`ask` takes it.

        Parameters the objective suggests that are not in ``params`` are
        sampled as usual.

        Examples
        --------
        >>> import sktune
        >>> study = sktune.create_study()
        >>> study.enqueue_trial({"x": 0.25})
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
        >>> study.trials[0].params
        {'x': 0.25}
        """
        if isinstance(params, dict):
            # np.array(0.5) is 0.5 (as a sampler's grid and storage see it).
            params = {
                k: v.item() if isinstance(v, np.ndarray) and v.ndim == 0 else v
                for k, v in params.items()
            }
        if skip_if_exists:
            # NaN and arrays need a comparison value by value.
            by_value = any(_needs_value_check(v) for v in params.values())
            for t in self.get_trials(deepcopy=False):
                fixed = t.system_attrs.get(FIXED_PARAMS_KEY)
                if not by_value:
                    try:  # most trials differ: told at C speed
                        if fixed != params and t.params != params:
                            continue
                    except Exception:  # arrays compared element-wise
                        pass
                if _same_params(fixed, params, by_value) or _same_params(
                    t.params, params, by_value
                ):
                    return
        template = FrozenTrial(
            0,
            TrialState.WAITING,
            None,
            None,
            None,
            {},
            {},
            dict(user_attrs or {}),
            {FIXED_PARAMS_KEY: dict(params)},
            {},
            0,
        )
        self._storage.create_new_trial(self._study_id, template_trial=template)

    def add_trial(self, trial: FrozenTrial) -> None:
        """Add a finished trial (for example, from another study).

        The trial is checked first, as Optuna's ``add_trial`` does: it must be
        COMPLETE with a value that is not NaN, PRUNED, or FAIL without a
        value, and each parameter must lie in its distribution.

        Examples
        --------
        >>> import sktune
        >>> source = sktune.create_study()
        >>> source.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        >>> target = sktune.create_study()
        >>> target.add_trials(source.trials)
        >>> len(target.trials)
        2
        """
        value = _check_template(trial)
        if value is not None and type(trial.value) is not float:
            # Stored as the float it was checked as (as in every storage).
            trial = trial.copy()
            trial.value = value
        self._storage.create_new_trial(self._study_id, template_trial=trial)

    def add_trials(self, trials: Iterable[FrozenTrial]) -> None:
        """Add several finished trials."""
        for t in trials:
            self.add_trial(t)

    # -- optimize ---------------------------------------------------------------
    def optimize(
        self,
        func: ObjectiveFuncType,
        n_trials: int | None = None,
        timeout: float | None = None,
        n_jobs: int = 1,
        catch: Iterable[type[Exception]] | type[Exception] = (),
        callbacks: list[CallbackType] | None = None,
        gc_after_trial: bool = False,
        show_progress_bar: bool = False,
    ) -> None:
        """Run trials of ``func`` until ``n_trials``, ``timeout`` or :meth:`stop`.

        Parameters
        ----------
        func : callable
            ``func(trial) -> float``.
        n_trials : int or None
            Trials to run in this call; None for no limit.
        timeout : float or None
            Seconds after which no new trial starts.
        n_jobs : int, default=1
            Trials running at once, in threads; -1 for one per CPU.
        catch : exception class or tuple of them
            Exceptions that fail the trial without ending the optimisation
            (``KeyboardInterrupt`` too, if listed). Another exception fails
            the trial, then propagates.
        callbacks : list of callables or None
            ``callback(study, frozen_trial)`` after each trial.
        gc_after_trial : bool, default=False
            Run the garbage collector after each trial (also when it raised).
        show_progress_bar : bool, default=False
            Show a tqdm progress bar (needs the ``progress`` extra).

        Raises
        ------
        RuntimeError
            When called from an objective or callback of this study's own
            ``optimize`` (nested optimisation, refused as in Optuna: the inner
            loop would reset the outer one's :meth:`stop`).

        Examples
        --------
        >>> import sktune
        >>> study = sktune.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", -1, 1) ** 2, n_trials=10)
        >>> len(study.trials)
        10
        """
        from sktune.study._optimize import run_optimize

        run_optimize(
            self,
            func,
            n_trials=n_trials,
            timeout=timeout,
            n_jobs=n_jobs,
            catch=catch,
            callbacks=callbacks,
            gc_after_trial=gc_after_trial,
            show_progress_bar=show_progress_bar,
        )

    def stop(self) -> None:
        """Ask :meth:`optimize` to start no new trial (running ones finish).

        Call it from an objective or a callback (of :meth:`optimize` or of a
        :class:`~sktune.TPESearchCV` search on this study); elsewhere it
        raises RuntimeError, as in Optuna, since there is no loop to stop.

        Examples
        --------
        >>> import sktune
        >>> study = sktune.create_study()
        >>> def objective(trial):
        ...     if trial.number == 4:
        ...         trial.study.stop()
        ...     return trial.suggest_float("x", 0, 1)
        >>> study.optimize(objective, n_trials=100)
        >>> len(study.trials)
        5
        """
        if not getattr(self._thread_local, "in_optimize", False):
            raise RuntimeError(
                "Study.stop was called outside an objective or a callback of "
                "Study.optimize (or of a TPESearchCV search): there is no "
                "optimisation loop to stop."
            )
        self._request_stop()

    @contextmanager
    def _in_loop(self) -> Iterator[None]:
        """Mark this thread as running an optimisation loop of this study
        (``optimize``'s, or a TPESearchCV search's), where :meth:`stop` may be
        called and a nested ``optimize`` is refused."""
        local = self._thread_local
        was = getattr(local, "in_optimize", False)
        local.in_optimize = True
        try:
            yield
        finally:
            local.in_optimize = was

    def _request_stop(self) -> None:
        """Stop the running loop, if any (for samplers: a grid sampler stops
        the study whether or not it runs in a loop)."""
        self._stop_flag = True

    def trials_dataframe(
        self,
        attrs: tuple[str, ...] = (
            "number",
            "value",
            "datetime_start",
            "datetime_complete",
            "duration",
            "params",
            "user_attrs",
            "system_attrs",
            "state",
        ),
        multi_index: bool = False,
    ) -> Any:
        """The trials as a pandas DataFrame (needs the ``pandas`` extra).

        Columns follow Optuna: ``number``, ``value``, ``params_<name>``,
        ``user_attrs_<key>``, ``state`` (as a string), ...

        Examples
        --------
        >>> import sktune
        >>> study = sktune.create_study()
        >>> study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
        >>> list(study.trials_dataframe(attrs=("number", "params")).columns)
        ['number', 'params_x']
        """
        from sktune.study._dataframe import trials_dataframe

        return trials_dataframe(self, attrs, multi_index)

    def __repr__(self) -> str:
        return f"Study(study_name={self.study_name!r}, direction={self._direction!r})"


def create_study(
    *,
    storage: BaseStorage | str | None = None,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
    study_name: str | None = None,
    direction: str | StudyDirection | None = None,
    load_if_exists: bool = False,
    directions: Sequence[str | StudyDirection] | None = None,
) -> Study:
    """Create a new study.

    Parameters
    ----------
    storage : None, str or BaseStorage
        None (in memory), ``"sqlite:///file.db"``, or a storage object.
    sampler : BaseSampler or None
        Defaults to :class:`~sktune.samplers.TPESampler`.
    pruner : BasePruner or None
        Defaults to :class:`~sktune.pruners.MedianPruner`.
    study_name : str or None
        A unique name; generated when None.
    direction : {"minimize", "maximize"} or None, default=None
        The direction of a new study; None means "minimize". A study loaded
        with ``load_if_exists`` keeps its own direction: None accepts it, and
        another direction given explicitly raises ValueError (Optuna loads
        the study silently).
    load_if_exists : bool, default=False
        Load the study of that name if it exists instead of raising
        :class:`~sktune.exceptions.DuplicatedStudyError`.
    directions : list or None
        Accepted for Optuna compatibility; must hold exactly one direction.

    Returns
    -------
    Study

    Examples
    --------
    >>> import sktune
    >>> study = sktune.create_study(direction="maximize")
    >>> study.direction
    StudyDirection.MAXIMIZE
    """
    if directions is not None:
        if len(directions) != 1:
            raise param_error(
                "create_study", "directions", "a list of one direction", directions
            )
        direction = directions[0]
    given = direction is not None
    direction_name = _parse_direction("minimize" if direction is None else direction)
    if sampler is not None and not isinstance(sampler, BaseSampler):
        raise param_error("create_study", "sampler", "a BaseSampler or None", sampler)
    if pruner is not None and not isinstance(pruner, BasePruner):
        raise param_error("create_study", "pruner", "a BasePruner or None", pruner)
    if study_name is not None and not isinstance(study_name, str):
        raise param_error("create_study", "study_name", "a str or None", study_name)
    backend = get_storage(storage)
    try:
        study_id = backend.create_new_study(direction_name, study_name)
    except DuplicatedStudyError:
        if not load_if_exists:
            raise
        assert study_name is not None
        study_id = backend.get_study_id_from_name(study_name)
        stored = backend.get_study_direction(study_id)
        if given and stored != direction_name:
            raise ValueError(
                f"Study {study_name!r} exists with direction {stored!r}, not "
                f"{direction_name!r}."
            ) from None
    name = backend.get_study_name(study_id)
    return Study(name, backend, sampler=sampler, pruner=pruner)


def load_study(
    *,
    study_name: str | None,
    storage: BaseStorage | str,
    sampler: BaseSampler | None = None,
    pruner: BasePruner | None = None,
) -> Study:
    """Load an existing study.

    With ``study_name=None`` the storage must hold exactly one study.

    Examples
    --------
    >>> import sktune
    >>> from sktune.storages import InMemoryStorage
    >>> storage = InMemoryStorage()
    >>> _ = sktune.create_study(study_name="s", storage=storage)
    >>> sktune.load_study(study_name="s", storage=storage).study_name
    's'
    """
    backend = get_storage(storage, owner="load_study")
    if study_name is None:
        names = backend.get_all_study_names()
        if len(names) != 1:
            raise ValueError(
                "study_name=None needs a storage with exactly one study; this "
                f"one has {len(names)}."
            )
        study_name = names[0]
    backend.get_study_id_from_name(study_name)
    return Study(study_name, backend, sampler=sampler, pruner=pruner)


def delete_study(*, study_name: str, storage: BaseStorage | str) -> None:
    """Delete a study and its trials from a storage."""
    backend = get_storage(storage, owner="delete_study")
    backend.delete_study(backend.get_study_id_from_name(study_name))


def get_all_study_names(storage: BaseStorage | str) -> list[str]:
    """Names of the studies in a storage."""
    return get_storage(storage, owner="get_all_study_names").get_all_study_names()


def copy_study(
    *,
    from_study_name: str,
    from_storage: BaseStorage | str,
    to_storage: BaseStorage | str,
    to_study_name: str | None = None,
) -> None:
    """Copy a study, its attributes and trials, to another storage."""
    source = load_study(study_name=from_study_name, storage=from_storage)
    target = create_study(
        storage=to_storage,
        study_name=to_study_name or from_study_name,
        direction=source._direction,
    )
    for key, value in source.user_attrs.items():
        target.set_user_attr(key, value)
    for key, value in source.system_attrs.items():
        target.set_system_attr(key, value)
    # Every trial as it is (running and waiting ones too), unchecked: they
    # come from a study, not from a user.
    for t in source.get_trials(deepcopy=True):
        target._storage.create_new_trial(target._study_id, template_trial=t)


def _check_template(trial: Any, owner: str = "Study.add_trial") -> float | None:
    """Refuse a trial that :meth:`Study.add_trial` cannot store as finished;
    return its value as a float (None when it has none)."""
    subject = (
        "The 'trial' parameter of Study.add_trial"
        if owner == "Study.add_trial"
        else f"The trial of {owner}"
    )
    if not isinstance(trial, FrozenTrial):
        raise param_error(owner, "trial", "a FrozenTrial", trial)
    state, value = trial.state, trial.value
    if not state.is_finished():
        raise ValueError(
            f"{subject} must be a finished trial (COMPLETE, "
            f"PRUNED or FAIL). Got trial {trial.number} in state {state.name} "
            "instead; use enqueue_trial to queue parameters."
        )
    if state == TrialState.COMPLETE:
        checked, why = check_value(value)
        if why is not None or checked is None:
            raise InvalidParameterError(
                f"{subject} must have a value that is a "
                f"number and not NaN when COMPLETE. Got value={value!r} instead."
            )
    elif state == TrialState.FAIL and value is not None:
        raise ValueError(
            f"{subject} must have no value when FAIL. Got value={value!r} instead."
        )
    elif value is not None:  # a pruned trial's value (its last report)
        checked, why = check_value(value)
        if why is not None:
            raise ValueError(
                f"{subject} must have a number or None as "
                f"the value of a PRUNED trial. Got value={value!r} instead."
            )
    else:
        checked = None
    for step in trial.intermediate_values:
        # As Trial.report: SQLite would cut 1.5 to 1 (and fail on 1.2 and 1.7).
        if not is_int(step) or not 0 <= step < _MAX_STEP:
            raise ValueError(
                f"{subject} must have intermediate values at steps that are "
                f"ints >= 0 (below 2**63). Got step {step!r} instead."
            )
    params, dists = trial.params, trial.distributions
    if set(params) != set(dists):
        raise ValueError(
            f"{subject} must have a distribution for each "
            f"parameter and no other. Got params {sorted(params)} and "
            f"distributions {sorted(dists)} instead."
        )
    for name, v in params.items():
        if not dists[name].contains(v):
            raise ValueError(
                f"{subject} must have each parameter in its "
                f"distribution. Got {name}={v!r}, outside {dists[name]!r}."
            )
    return checked


def _same_params(a: Any, b: dict[str, Any], by_value: bool) -> bool:
    """Whether ``a`` holds the parameters ``b``: the same names, and equal
    values (NaN equal to NaN, as after a JSON round trip; arrays equal when
    their shapes and values are, which ``by_value`` says to check)."""
    if not isinstance(a, dict) or a.keys() != b.keys():
        return False
    try:
        if a == b:  # at C speed; but array([1]) == 1 too
            if not by_value and not _needs_value_check(a):
                return True
            by_value = True
    except Exception:  # an array in ``a`` compared element-wise
        by_value = True
    return by_value and all(_same_value(a[k], v) for k, v in b.items())
