"""The define-by-run core: studies, trials, faults, ask/tell."""

from __future__ import annotations

import datetime
import math
import pickle
import threading
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sktune
from sktune.distributions import FloatDistribution
from sktune.exceptions import DuplicatedStudyError, InvalidParameterError
from sktune.samplers import RandomSampler
from sktune.storages import InMemoryStorage
from sktune.study import StudyDirection
from sktune.trial import FrozenTrial, TrialState


def _study(**kwargs):
    return sktune.create_study(sampler=RandomSampler(seed=0), **kwargs)


def test_optuna_program_runs_unchanged():
    # A program written against Optuna's core API, using only shared names.
    import sktune as optuna

    def objective(trial):
        x = trial.suggest_float("x", -10, 10)
        n = trial.suggest_int("n", 1, 4)
        kind = trial.suggest_categorical("kind", ["a", "b"])
        for step in range(3):
            trial.report(x**2 + step, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return (x - 2) ** 2 + n + (kind == "b")

    study = optuna.create_study(direction="minimize")
    study.optimize(objective, n_trials=30)
    assert len(study.trials) == 30
    assert study.best_trial.state == optuna.trial.TrialState.COMPLETE
    assert study.best_value == min(
        t.value for t in study.trials if t.state == TrialState.COMPLETE
    )
    assert set(study.best_params) == {"x", "n", "kind"}


def test_best_trial_respects_direction():
    values = iter([3.0, 1.0, 2.0])
    for direction, expected in (("minimize", 1.0), ("maximize", 3.0)):
        values = iter([3.0, 1.0, 2.0])
        study = _study(direction=direction)
        study.optimize(lambda t, v=values: next(v), n_trials=3)
        assert study.best_value == expected


def test_no_best_trial_without_complete_trials():
    study = _study()
    with pytest.raises(ValueError, match="No trial is complete"):
        study.best_trial  # noqa: B018


def test_dynamic_space_and_repeated_names():
    def objective(trial):
        kind = trial.suggest_categorical("kind", ["lin", "sq"])
        x = trial.suggest_float("x", -1, 1)
        assert trial.suggest_float("x", -1, 1) == x  # same name: first value
        if kind == "sq":
            return x**2 + trial.suggest_int("k", 0, 3)
        return abs(x)

    study = _study()
    study.optimize(objective, n_trials=30)
    kinds = {t.params["kind"] for t in study.trials}
    assert kinds == {"lin", "sq"}
    for t in study.trials:
        assert ("k" in t.params) == (t.params["kind"] == "sq")
        assert set(t.distributions) == set(t.params)


def test_conflicting_distribution_in_one_trial_raises():
    trial = _study().ask()
    trial.suggest_float("x", 0, 1)
    with pytest.raises(ValueError, match="'x' was suggested as"):
        trial.suggest_float("x", 0.1, 1, log=True)
    with pytest.raises(ValueError, match="'x' was suggested as"):
        trial.suggest_int("x", 0, 1)


def test_objective_exception_fails_trial_and_propagates():
    study = _study()

    def objective(trial):
        trial.suggest_float("x", 0, 1)
        raise ZeroDivisionError("boom")

    with pytest.raises(ZeroDivisionError, match="boom"):
        study.optimize(objective, n_trials=3)
    assert [t.state for t in study.trials] == [TrialState.FAIL]
    assert "x" in study.trials[0].params


def test_caught_exception_fails_trial_and_continues():
    study = _study()

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number % 2:
            raise ValueError("odd")
        return x

    study.optimize(objective, n_trials=4, catch=(ValueError,))
    assert [t.state for t in study.trials] == [
        TrialState.COMPLETE,
        TrialState.FAIL,
        TrialState.COMPLETE,
        TrialState.FAIL,
    ]


@pytest.mark.parametrize(
    ("returned", "why"),
    [(float("nan"), "NaN"), ("abc", "not a number"), (None, "not a number")],
)
def test_nan_or_non_number_fails_with_warning(returned, why):
    study = _study()
    with pytest.warns(UserWarning, match=why):
        study.optimize(lambda t: returned, n_trials=1)
    assert study.trials[0].state == TrialState.FAIL
    assert study.trials[0].value is None


def test_trial_pruned_marks_pruned_and_keeps_reports():
    study = _study()

    def objective(trial):
        trial.report(0.5, step=0)
        trial.report(0.25, step=1)
        raise sktune.TrialPruned()

    study.optimize(objective, n_trials=2)
    assert all(t.state == TrialState.PRUNED for t in study.trials)
    assert study.trials[0].intermediate_values == {0: 0.5, 1: 0.25}
    assert study.trials[0].last_step == 1


def test_keyboard_interrupt_keeps_finished_trials_and_propagates():
    study = _study()

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 3:
            raise KeyboardInterrupt
        return x

    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=10)
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE] * 3 + [TrialState.FAIL]
    # The study carries on afterwards.
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    assert len(study.trials) == 6


def test_report_validation_and_duplicate_step():
    trial = _study().ask()
    with pytest.raises(TypeError, match="'value' parameter of Trial.report"):
        trial.report("a", step=0)
    with pytest.raises(ValueError, match="'step' parameter of Trial.report .* >= 0"):
        trial.report(1.0, step=-1)
    trial.report(1.0, step=0)
    with pytest.warns(UserWarning, match="already reported"):
        trial.report(2.0, step=0)
    assert trial._frozen.intermediate_values == {0: 1.0}


def test_ask_tell():
    study = _study(direction="maximize")
    trials = [study.ask() for _ in range(3)]
    for i, trial in enumerate(trials):
        trial.suggest_float("x", 0, 1)
        study.tell(trial, float(i))
    assert study.best_trial.number == 2
    with pytest.raises(RuntimeError, match="already finished"):
        study.tell(trials[0], 1.0)
    assert study.tell(trials[0], 1.0, skip_if_finished=True).value == 0.0
    trial = study.ask({"y": sktune.distributions.IntDistribution(0, 5)})
    assert 0 <= trial.params["y"] <= 5
    frozen = study.tell(trial.number, state=TrialState.PRUNED)
    assert frozen.state == TrialState.PRUNED


def test_tell_rejects_bad_state():
    study = _study()
    trial = study.ask()
    with pytest.raises(ValueError, match="'state' parameter of Study.tell"):
        study.tell(trial, 1.0, state=TrialState.RUNNING)


def test_enqueue_trial_fixes_params_and_samples_the_rest():
    study = _study()
    study.enqueue_trial({"x": 0.125, "kind": "b"}, user_attrs={"source": "me"})
    study.enqueue_trial({"x": 0.5})

    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        kind = trial.suggest_categorical("kind", ["a", "b"])
        return x + (kind == "b")

    study.optimize(objective, n_trials=3)
    t0, t1, _ = study.trials
    assert t0.params == {"x": 0.125, "kind": "b"}
    assert t0.user_attrs == {"source": "me"}
    assert t1.params["x"] == 0.5 and t1.params["kind"] in ("a", "b")
    assert all(t.state == TrialState.COMPLETE for t in study.trials)
    study.enqueue_trial({"x": 0.5}, skip_if_exists=True)
    assert len(study.trials) == 3


def test_enqueued_value_outside_distribution_warns():
    study = _study()
    study.enqueue_trial({"x": 5.0})
    with pytest.warns(UserWarning, match="outside"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert study.trials[0].params["x"] == 5.0


def test_callbacks_and_stop():
    seen: list[int] = []

    def callback(study, frozen):
        assert isinstance(frozen, FrozenTrial)
        seen.append(frozen.number)
        if frozen.number == 4:
            study.stop()

    study = _study()
    study.optimize(
        lambda t: t.suggest_float("x", 0, 1), n_trials=50, callbacks=[callback]
    )
    assert seen == [0, 1, 2, 3, 4]
    # stop() does not leak into the next optimize call.
    study.optimize(lambda t: 0.0, n_trials=2)
    assert len(study.trials) == 7


def test_catch_honours_exceptions_outside_exception():
    # As Optuna: a caught KeyboardInterrupt fails the trial and the loop goes
    # on (it used to propagate whatever catch said).
    def objective(trial):
        x = trial.suggest_float("x", 0, 1)
        if trial.number == 1:
            raise KeyboardInterrupt
        return x

    study = _study()
    study.optimize(objective, n_trials=4, catch=(KeyboardInterrupt,))
    assert [t.state for t in study.trials] == [
        TrialState.COMPLETE,
        TrialState.FAIL,
        TrialState.COMPLETE,
        TrialState.COMPLETE,
    ]
    # Not caught: the trial is recorded, then the interrupt propagates.
    study = _study()
    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=4)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.FAIL]


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_nested_optimize_is_refused(n_jobs):
    study = _study()

    def outer(trial):
        study.optimize(lambda t: 0.0, n_trials=1)
        return 0.0

    # An inner loop used to reset the outer one's stop request and budget.
    with pytest.raises(RuntimeError, match="Nested optimization"):
        study.optimize(outer, n_trials=2, n_jobs=n_jobs)
    assert all(t.state == TrialState.FAIL for t in study.trials)
    # The flag does not outlive the loop, and threads may each run one.
    threads = [
        threading.Thread(
            target=study.optimize, args=(lambda t: 0.0,), kwargs={"n_trials": 3}
        )
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(t.state == TrialState.COMPLETE for t in study.trials) == 6


@pytest.mark.parametrize("flag", ["gc_after_trial", "show_progress_bar"])
def test_optimize_flags_must_be_bools(flag):
    study = _study()
    with pytest.raises(InvalidParameterError, match=f"'{flag}' parameter"):
        study.optimize(lambda t: 0.0, n_trials=1, **{flag: "no"})
    assert study.trials == []


@pytest.mark.parametrize("value", ["1.5", "inf", b"2.5"])
def test_text_is_not_an_objective_value(value):
    study = _study()
    with pytest.warns(UserWarning, match="not a number"):
        study.optimize(lambda t: value, n_trials=1)
    trial = study.ask()
    with pytest.warns(UserWarning, match="not a number"):
        frozen = study.tell(trial, value)
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.FAIL]
    assert frozen.state == TrialState.FAIL


def test_timeout_stops_dispatching():
    study = _study()
    event = threading.Event()

    def objective(trial):
        event.wait(0.05)
        return 0.0

    study.optimize(objective, timeout=0.0)
    assert len(study.trials) == 0
    study.optimize(objective, n_trials=None, timeout=0.2)
    # A timeout, not n_trials, ended it: at least one trial ran, and far fewer
    # than an unbounded loop would run.
    assert 1 <= len(study.trials) < 100


def test_threads_run_every_trial_with_unique_numbers():
    study = _study()
    barrier = threading.Barrier(2, timeout=10)

    def objective(trial):
        if trial.number < 2:
            barrier.wait()  # proves two trials run at once
        return trial.suggest_float("x", 0, 1)

    study.optimize(objective, n_trials=20, n_jobs=2)
    numbers = [t.number for t in study.trials]
    assert numbers == list(range(20))
    assert all(t.state == TrialState.COMPLETE for t in study.trials)


def test_threads_propagate_errors():
    study = _study()

    def objective(trial):
        if trial.number == 3:
            raise RuntimeError("bad")
        return 0.0

    with pytest.raises(RuntimeError, match="bad"):
        study.optimize(objective, n_trials=20, n_jobs=2)
    assert TrialState.FAIL in [t.state for t in study.trials]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_trials": -1}, "'n_trials' parameter of Study.optimize"),
        ({"n_trials": 1.5}, "'n_trials'"),
        ({"timeout": -1}, "'timeout'"),
        ({"n_jobs": 0}, "'n_jobs' .* Got 0"),
        ({"timeout": float("nan")}, "'timeout' .* Got nan"),
        ({"catch": (1,)}, "'catch'"),
        ({"catch": ValueError("x")}, "'catch' .* Got ValueError"),
        ({"catch": None}, "'catch' .* Got None"),
        ({"callbacks": [1]}, "'callbacks'"),
        ({"callbacks": print}, "'callbacks' .* Got <built-in"),
    ],
)
def test_optimize_argument_errors(kwargs, match):
    study = _study()
    with pytest.raises(InvalidParameterError, match=match):
        study.optimize(lambda t: 0.0, **kwargs)
    assert len(study.trials) == 0


def test_optimize_refuses_a_non_callable_objective_before_any_trial():
    study = _study()
    with pytest.raises(InvalidParameterError, match="'func' .* Got None"):
        study.optimize(None, n_trials=1)
    assert len(study.trials) == 0


def test_optimize_accepts_callbacks_from_any_iterable():
    study = _study()
    seen = []
    study.optimize(
        lambda t: 0.0, n_trials=2, callbacks=(lambda s, t: seen.append(t.number),)
    )
    assert seen == [0, 1]


@pytest.mark.parametrize(
    ("function", "owner"),
    [
        (lambda url: sktune.load_study(study_name="a", storage=url), "load_study"),
        (lambda url: sktune.delete_study(study_name="a", storage=url), "delete_study"),
        (sktune.get_all_study_names, "get_all_study_names"),
    ],
)
def test_storage_errors_name_the_function_called(function, owner):
    with pytest.raises(InvalidParameterError, match=f"'storage' parameter of {owner}"):
        function("mysql://host/db")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"direction": "up"}, "'direction' parameter of create_study .* Got 'up'"),
        ({"sampler": "tpe"}, "'sampler'"),
        ({"pruner": 3}, "'pruner'"),
        ({"storage": "postgres://x"}, "'storage'"),
        ({"directions": ["minimize", "maximize"]}, "'directions'"),
    ],
)
def test_create_study_errors(kwargs, match):
    with pytest.raises(InvalidParameterError, match=match):
        sktune.create_study(**kwargs)


def test_named_studies_load_delete_copy():
    storage = InMemoryStorage()
    study = sktune.create_study(study_name="a", storage=storage, direction="maximize")
    study.set_user_attr("owner", "me")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    with pytest.raises(DuplicatedStudyError):
        sktune.create_study(study_name="a", storage=storage)
    again = sktune.create_study(
        study_name="a", storage=storage, load_if_exists=True, direction="maximize"
    )
    assert len(again.trials) == 3 and again.user_attrs == {"owner": "me"}
    # Without a direction, the study keeps its own (Optuna's resume scripts
    # omit it); another direction given explicitly is refused.
    resumed = sktune.create_study(study_name="a", storage=storage, load_if_exists=True)
    assert resumed.direction == StudyDirection.MAXIMIZE
    with pytest.raises(ValueError, match="direction 'maximize', not 'minimize'"):
        sktune.create_study(
            study_name="a", storage=storage, load_if_exists=True, direction="minimize"
        )
    other = InMemoryStorage()
    sktune.copy_study(from_study_name="a", from_storage=storage, to_storage=other)
    copied = sktune.load_study(study_name="a", storage=other)
    assert [t.params for t in copied.trials] == [t.params for t in study.trials]
    assert copied.best_value == study.best_value
    assert sktune.get_all_study_names(storage) == ["a"]
    sktune.delete_study(study_name="a", storage=storage)
    assert sktune.get_all_study_names(storage) == []
    with pytest.raises(KeyError):
        sktune.load_study(study_name="a", storage=storage)


def test_user_and_system_attrs():
    study = _study()
    trial = study.ask()
    trial.set_user_attr("fold_scores", [0.5, 0.7])
    trial.set_system_attr("internal", 1)
    study.tell(trial, 1.0)
    frozen = study.trials[0]
    assert frozen.user_attrs == {"fold_scores": [0.5, 0.7]}
    assert frozen.system_attrs["internal"] == 1


def test_get_trials_filters_and_copies():
    study = _study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    study.optimize(lambda t: float("nan"), n_trials=1)
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(complete) == 2
    complete[0].params["x"] = 99.0
    assert study.trials[0].params["x"] != 99.0


@pytest.mark.parametrize("storage", ["memory", "sqlite"])
def test_returned_trials_are_deep_copies(storage, tmp_path):
    url = None if storage == "memory" else f"sqlite:///{tmp_path / 's.db'}"
    study = sktune.create_study(storage=url)
    trial = study.ask()
    trial.set_user_attr("folds", [0.1, 0.2])
    trial.set_system_attr("meta", {"k": [1]})
    study.tell(trial, 1.0)
    for copy in (study.trials[0], study.best_trial, study.get_trials()[0]):
        copy.user_attrs["folds"].append(999)
        copy.system_attrs["meta"]["k"].append(2)
    assert study.trials[0].user_attrs == {"folds": [0.1, 0.2]}
    assert study.best_trial.system_attrs["meta"] == {"k": [1]}


def _frozen(state, value, params=None, dists=None):
    now = datetime.datetime.now()
    return FrozenTrial(
        0, state, value, now, now, params or {}, dists or {}, {}, {}, {}, 0
    )


@pytest.mark.parametrize(
    ("trial", "match"),
    [
        (_frozen(TrialState.COMPLETE, None), "COMPLETE. Got value=None"),
        (_frozen(TrialState.COMPLETE, math.nan), "COMPLETE. Got value=nan"),
        (_frozen(TrialState.FAIL, 1.0), "no value when FAIL. Got value=1.0"),
        (_frozen(TrialState.RUNNING, None), "finished trial .* RUNNING"),
        (_frozen(TrialState.COMPLETE, 1.0, {"x": 0.5}), "distribution for each"),
        (
            _frozen(
                TrialState.COMPLETE, 1.0, {"x": 7.0}, {"x": FloatDistribution(0, 1)}
            ),
            "x=7.0, outside FloatDistribution",
        ),
        ("trial", "'trial' parameter of Study.add_trial must be a FrozenTrial"),
    ],
)
def test_add_trial_refuses_invalid_trials(trial, match):
    study = _study()
    with pytest.raises(ValueError, match=match):
        study.add_trial(trial)
    assert study.trials == []


def test_add_trial_accepts_finished_trials_of_another_study():
    source = _study()
    source.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2)
    source.enqueue_trial({"x": 0.5})  # a WAITING trial: copy_study keeps it
    target = _study()
    target.add_trials(t for t in source.trials if t.state.is_finished())
    pruned = _frozen(TrialState.PRUNED, None)
    target.add_trial(pruned)
    assert [t.state for t in target.trials] == [TrialState.COMPLETE] * 2 + [
        TrialState.PRUNED
    ]


def test_tell_without_a_value_fails_the_trial_as_optuna_does():
    study = _study()
    trial = study.ask()
    with pytest.raises(ValueError, match="No value was told"):
        study.tell(trial, state=TrialState.COMPLETE)
    assert study.trials[0].state == TrialState.RUNNING
    with pytest.warns(UserWarning, match="returned None"):
        assert study.tell(trial).state == TrialState.FAIL


@pytest.mark.parametrize("told", [[1.0, 2.0], []])
def test_a_wrong_number_of_values_fails_the_trial(told):
    # Before: ValueError, and the trial stayed RUNNING for good.
    study = _study()
    with pytest.warns(UserWarning, match=f"{len(told)} values were told"):
        assert study.tell(study.ask(), told).state == TrialState.FAIL
    with pytest.warns(UserWarning, match="values were told"):
        study.optimize(lambda t: told, n_trials=2)
    assert [t.state for t in study.trials] == [TrialState.FAIL] * 3
    assert study.tell(study.ask(), [0.5]).value == 0.5


def test_tell_refuses_a_waiting_trial_and_keeps_it():
    study = _study()
    study.enqueue_trial({"x": 0.5})
    with pytest.raises(ValueError, match="Cannot tell a WAITING trial"):
        study.tell(0, 1.0)
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert study.trials[0].params == {"x": 0.5}


def test_a_pruned_trial_keeps_its_last_report_as_value():
    def objective(trial):
        trial.report(0.5, 0)
        trial.report(0.25, 1)
        raise sktune.TrialPruned()

    study = _study()
    study.optimize(objective, n_trials=1)
    assert study.trials[0].value == 0.25
    assert study.tell(study.ask(), state=TrialState.PRUNED).value is None
    with pytest.raises(ValueError, match="PRUNED trial cannot be told a value"):
        study.tell(study.ask(), 0.7, state=TrialState.PRUNED)
    # Pruned trials never become the best one.
    assert study.best_trials == []


def test_add_trial_stores_the_value_as_a_float():
    study = _study()
    # Text is no value, even when it spells one (Optuna raises too).
    with pytest.raises(ValueError, match="must have a value that is a number"):
        study.add_trial(_frozen(TrialState.COMPLETE, "0.93"))
    study.add_trial(_frozen(TrialState.COMPLETE, np.float32(0.93)))
    study.add_trial(_frozen(TrialState.COMPLETE, True))
    assert [(t.value, type(t.value)) for t in study.trials] == [
        (float(np.float32(0.93)), float),
        (1.0, float),
    ]
    assert study.best_value == float(np.float32(0.93))
    with pytest.raises(ValueError, match="number or None as the value of a PRUNED"):
        study.add_trial(_frozen(TrialState.PRUNED, "high"))


def test_tell_skip_if_finished_sees_another_handle_finish_it(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    worker = sktune.create_study(storage=url, study_name="s")
    other = sktune.load_study(study_name="s", storage=url)
    trial = worker.ask()
    other.tell(trial.number, 1.0)
    assert worker.tell(trial, 2.0, skip_if_finished=True).value == 1.0
    with pytest.raises(sktune.exceptions.UpdateFinishedTrialError):
        worker.tell(trial, 2.0)


def test_study_attrs_read_are_copies():
    study = _study()
    study.set_user_attr("cfg", {"lr": 0.1})
    study.set_system_attr("cfg", {"lr": 0.1})
    study.user_attrs["cfg"]["lr"] = 99
    study.system_attrs["cfg"]["lr"] = 99
    assert study.user_attrs == {"cfg": {"lr": 0.1}}
    assert study.system_attrs["cfg"] == {"lr": 0.1}


def test_an_objective_reruns_on_a_finished_trial():
    def objective(trial):
        x = trial.suggest_float("x", -1, 1)
        k = trial.suggest_int("k", 1, 3)
        c = trial.suggest_categorical("c", ["a", "b"])
        trial.report(x, 0)
        assert not trial.should_prune()
        trial.set_user_attr("seen", True)
        return (x - 0.5) ** 2 + k + (c == "b")

    study = _study()
    study.optimize(objective, n_trials=8)
    best = study.best_trial
    assert objective(best) == study.best_value
    assert best.user_attrs["seen"] is True
    with pytest.raises(ValueError, match="'y' is not among"):
        best.suggest_float("y", 0, 1)
    with pytest.raises(ValueError, match="outside"):
        best.suggest_int("k", 5, 6)


def test_trials_sort_by_number_and_best_trials_has_every_tie():
    study = _study()
    study.optimize(lambda t: t.suggest_int("x", 0, 1), n_trials=8)
    trials = study.trials
    assert [t.number for t in sorted(trials[::-1])] == list(range(8))
    assert trials[0] <= trials[0] < trials[1]
    best = study.best_trials
    assert best and all(t.value == study.best_value for t in best)
    assert [t.number for t in best] == [
        t.number for t in trials if t.value == study.best_value
    ]


def test_create_trial_builds_a_checked_record():
    made = sktune.create_trial(
        params={"x": 0.3}, distributions={"x": FloatDistribution(0, 1)}, value=0.09
    )
    assert (made.number, made.state, made.value) == (-1, TrialState.COMPLETE, 0.09)
    assert made.datetime_start is not None
    assert sktune.trial.create_trial is sktune.create_trial
    study = _study()
    study.add_trial(made)
    assert study.best_params == {"x": 0.3}
    with pytest.raises(ValueError, match="trial of create_trial must have each"):
        sktune.create_trial(
            params={"x": 3}, distributions={"x": FloatDistribution(0, 1)}, value=1
        )
    waiting = sktune.create_trial(state=TrialState.WAITING)
    assert waiting.datetime_start is None


def test_trial_state_prints_as_optuna():
    assert f"{TrialState.FAIL}" == str(TrialState.FAIL) == "TrialState.FAIL"
    assert TrialState.FAIL == 3


def test_trials_dataframe():
    pd = pytest.importorskip("pandas")
    study = _study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    df = study.trials_dataframe()
    assert isinstance(df, pd.DataFrame)
    assert len(df) == 3
    assert {"number", "value", "params_x", "state", "duration"} <= set(df.columns)
    assert (df["state"] == "COMPLETE").all()
    assert df["value"].tolist() == [t.value for t in study.trials]


def test_trials_dataframe_orders_steps_as_numbers():
    pytest.importorskip("pandas")

    def objective(trial):
        for step in range(12):
            trial.report(float(step), step)
        return 1.0

    study = _study()
    study.optimize(objective, n_trials=1)
    flat = study.trials_dataframe(attrs=("number", "intermediate_values"))
    assert list(flat.columns) == ["number"] + [
        f"intermediate_values_{i}" for i in range(12)
    ]
    nested = study.trials_dataframe(attrs=("intermediate_values",), multi_index=True)
    assert nested[("intermediate_values", 2)].tolist() == [2.0]


def test_study_pickles():
    study = _study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    back = pickle.loads(pickle.dumps(study))
    assert back.best_params == study.best_params
    back.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=1)
    assert len(back.trials) == 4


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.sampled_from(["complete", "pruned", "fail"]), min_size=1, max_size=8)
)
def test_ask_tell_property(outcomes):
    study = _study(direction="maximize")
    values = {}
    for outcome in outcomes:
        trial = study.ask()
        x = trial.suggest_float("x", 0, 1)
        if outcome == "complete":
            study.tell(trial, x)
            values[trial.number] = x
        elif outcome == "pruned":
            study.tell(trial, state=TrialState.PRUNED)
        else:
            study.tell(trial, state=TrialState.FAIL)
    trials = study.trials
    assert [t.number for t in trials] == list(range(len(outcomes)))
    assert all(t.state.is_finished() for t in trials)
    if values:
        assert math.isclose(study.best_value, max(values.values()))
    else:
        with pytest.raises(ValueError):
            study.best_trial  # noqa: B018


def test_progress_bar(capsys):
    pytest.importorskip("tqdm")
    study = _study()
    study.optimize(lambda t: 0.0, n_trials=3, show_progress_bar=True)
    err = capsys.readouterr().err
    assert "3/3" in err


def test_progress_bar_without_tqdm_names_the_extra(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError("no tqdm")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    study = _study()
    with pytest.raises(ImportError, match=r"sktune\[progress\]"):
        study.optimize(lambda t: 0.0, n_trials=1, show_progress_bar=True)
    assert len(study.trials) == 0


def test_seeded_random_sampler_does_not_replay_a_resumed_study():
    storage = InMemoryStorage()

    def run(n):
        study = sktune.create_study(
            study_name="s",
            storage=storage,
            sampler=RandomSampler(seed=0),
            load_if_exists=True,
        )
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=n)
        return [t.params["x"] for t in study.trials]

    first = run(3)
    both = run(3)
    assert both[:3] == first and len(set(both)) == 6
    # A fresh study with the same seed draws the first run's values again.
    fresh = sktune.create_study(sampler=RandomSampler(seed=0))
    fresh.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)
    assert [t.params["x"] for t in fresh.trials] == first


def test_copy_study_keeps_waiting_trials_and_copies_deeply():
    storage, other = InMemoryStorage(), InMemoryStorage()
    study = sktune.create_study(study_name="a", storage=storage)
    trial = study.ask()
    trial.set_user_attr("folds", [1])
    study.tell(trial, 1.0)
    study.enqueue_trial({"x": 0.5})
    sktune.copy_study(from_study_name="a", from_storage=storage, to_storage=other)
    copied = sktune.load_study(study_name="a", storage=other)
    assert [t.state for t in copied.trials] == [TrialState.COMPLETE, TrialState.WAITING]
    storage.get_all_trials(study._study_id, deepcopy=False)[0].user_attrs[
        "folds"
    ].append(2)
    assert copied.trials[0].user_attrs == {"folds": [1]}


def test_same_name_with_moved_bounds_returns_the_first_value():
    trial = _study().ask()
    x = trial.suggest_float("x", 0, 1)
    with pytest.warns(UserWarning, match="the first value is returned"):
        assert trial.suggest_float("x", 0, 2) == x
    with pytest.raises(ValueError, match="was suggested as"):
        trial.suggest_int("x", 0, 1)


def test_bad_bounds_name_the_suggested_parameter():
    trial = _study().ask()
    with pytest.raises(InvalidParameterError, match="Parameter 'lr' of Trial.sugg"):
        trial.suggest_float("lr", 0.0, 1.0, log=True)
    with pytest.raises(
        InvalidParameterError, match="Parameter 'n' of Trial.suggest_int"
    ):
        trial.suggest_int("n", 0, 10, log=True)


def test_steps_that_do_not_divide_the_range_move_high_as_optuna():
    trial = _study().ask()
    with pytest.warns(UserWarning, match="high is set to 0.9"):
        trial.suggest_float("x", 0, 1, step=0.3)
    assert trial.distributions["x"] == FloatDistribution(0.0, 0.9, step=0.3)
    with pytest.warns(UserWarning, match="high is set to 9"):
        assert trial.suggest_int("n", 0, 10, step=3) in (0, 3, 6, 9)
    # Integral float bounds are ints.
    assert 1 <= trial.suggest_int("m", 1, 1e3, log=True) <= 1000
    with pytest.raises(InvalidParameterError, match="'low'"):
        trial.suggest_int("k", 0.5, 3)


def test_gamma_returning_no_number_is_a_clear_error():
    from sktune.samplers import TPESampler

    study = sktune.create_study(
        sampler=TPESampler(n_startup_trials=2, gamma=lambda n: float("nan"), seed=0)
    )
    with pytest.raises(ValueError, match="'gamma' callable .* Got nan for 2 trials"):
        study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=3)


def test_enqueued_value_the_distribution_cannot_hold_names_the_parameter():
    study = _study()
    study.enqueue_trial({"n": 2.5})
    with pytest.warns(UserWarning, match="outside"):
        with pytest.raises(ValueError, match="value 2.5 of parameter 'n' cannot be"):
            study.optimize(lambda t: t.suggest_int("n", 0, 5), n_trials=1)
    assert study.trials[0].state == TrialState.FAIL


def test_a_rerun_on_a_finished_trial_fits_the_step_as_suggest_does():
    def objective(trial):
        return trial.suggest_float("x", 0, 1.05, step=0.1)

    study = _study()
    with pytest.warns(UserWarning, match="step"):
        study.optimize(objective, n_trials=3)
    with pytest.warns(UserWarning, match="step"):
        assert objective(study.best_trial) == study.best_value


def test_fixed_trial_runs_an_objective_outside_a_study():
    from sktune.trial import FixedTrial

    def objective(trial):
        kind = trial.suggest_categorical("kind", ["a", "b"])
        x = trial.suggest_float("x", 0.0, 10.0)
        trial.report(x, step=0)
        assert not trial.should_prune()
        trial.set_user_attr("seen", kind)
        return x + trial.suggest_int("k", 0, 3)

    trial = FixedTrial({"kind": "b", "x": 2.5, "k": 1}, number=7)
    assert objective(trial) == 3.5
    assert trial.params == {"kind": "b", "x": 2.5, "k": 1}
    assert trial.number == 7 and trial.user_attrs == {"seen": "b"}
    assert trial.distributions["x"] == FloatDistribution(0.0, 10.0)
    with pytest.raises(ValueError, match="no value for parameter 'y'"):
        trial.suggest_float("y", 0.0, 1.0)
    with pytest.warns(UserWarning, match="outside"):
        assert FixedTrial({"x": 20.0}).suggest_float("x", 0.0, 10.0) == 20.0
    # Values read back from a file: ints as ints, as in Optuna.
    read_back = FixedTrial({"n": 11.0, "m": np.int64(3)})
    assert type(read_back.suggest_int("n", 5, 20)) is int
    assert type(read_back.suggest_int("m", 1, 5)) is int
    # A choice read back as another type is that choice; no choice, or 0
    # on a log scale, is an error (as in Optuna).
    assert FixedTrial({"n": 100.0}).suggest_categorical("n", [100, 200]) == 100
    with pytest.raises(ValueError, match="none of the choices"):
        FixedTrial({"kind": "z"}).suggest_categorical("kind", ["a", "b"])
    # A NaN choice finds itself (a study's best_params may hold it).
    nan = float("nan")
    assert math.isnan(FixedTrial({"v": nan}).suggest_categorical("v", [nan, 1.0]))
    with pytest.raises(ValueError, match="not positive"):
        FixedTrial({"lr": 0.0}).suggest_float("lr", 1e-3, 1.0, log=True)
    with pytest.raises(ValueError, match="not a finite number"):
        FixedTrial({"lr": float("nan")}).suggest_float("lr", 0.0, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # in range: no warning
        assert FixedTrial({"k": "3"}).suggest_int("k", 0, 5) == 3
    with pytest.raises(ValueError):  # the same name as another kind
        trial.suggest_categorical("x", [1.0, 2.5])


def test_stop_outside_a_loop_is_refused_and_max_trials_callback_stops():
    from sktune.samplers import GridSampler
    from sktune.study import MaxTrialsCallback

    study = _study()
    with pytest.raises(RuntimeError, match="outside an objective or a callback"):
        study.stop()
    study.optimize(
        lambda t: t.suggest_float("x", 0, 1),
        n_trials=50,
        callbacks=[MaxTrialsCallback(4)],
    )
    assert len(study.trials) == 4
    # Counting every state, including the failed trial of this run.
    study.optimize(
        lambda t: 1 / 0 if t.number == 4 else t.suggest_float("x", 0, 1),
        n_trials=50,
        catch=ZeroDivisionError,
        callbacks=[MaxTrialsCallback(6, states=None)],
    )
    assert [t.state for t in study.trials[4:]] == [TrialState.FAIL, TrialState.COMPLETE]
    # A grid sampler stops its study itself, also when asked and told.
    grid = sktune.create_study(sampler=GridSampler({"k": [0, 1]}))
    for _ in range(2):
        trial = grid.ask()
        grid.tell(trial, trial.suggest_categorical("k", [0, 1]))
    assert sorted(t.params["k"] for t in grid.trials) == [0, 1]


@pytest.mark.parametrize(("given", "choices"), [(1.0, [1, 2]), (0, [False, True])])
def test_an_enqueued_value_equal_to_a_choice_is_that_choice(given, choices):
    # As Optuna: a value read back from JSON or a DataFrame (1.0 for 1) is the
    # choice it equals. Before, the trial warned "used anyway", then failed.
    study = _study()
    study.enqueue_trial({"c": given})
    study.optimize(lambda t: float(t.suggest_categorical("c", choices)), n_trials=1)
    trial = study.trials[0]
    assert trial.state == TrialState.COMPLETE
    assert trial.params["c"] is choices[0]


class _TensorLike:
    """Like a 0-d torch tensor: a float through ``__float__`` only."""

    def __float__(self) -> float:
        return 0.25


def test_report_takes_what_float_converts_but_not_text():
    trial = _study().ask()
    trial.report(_TensorLike(), step=0)
    trial.report(np.float32(0.5), step=1)
    trial.report(True, step=2)
    assert trial._frozen.intermediate_values == {0: 0.25, 1: 0.5, 2: 1.0}
    with pytest.raises(TypeError, match="'value' parameter of Trial.report"):
        trial.report("0.5", step=3)
    # A wrong type of step is a TypeError as in Optuna (and a ValueError).
    with pytest.raises(TypeError, match="'step' parameter of Trial.report"):
        trial.report(1.0, step=None)


def test_an_int_beyond_floats_is_an_infinite_value_not_a_crash():
    # Before: OverflowError out of optimize, and the trial stayed RUNNING.
    study = _study()
    study.optimize(lambda t: 10**400, n_trials=1)
    study.optimize(lambda t: -(10**400), n_trials=1)
    assert [t.value for t in study.trials] == [math.inf, -math.inf]
    assert study.best_value == -math.inf


def test_tell_names_a_bad_trial_number():
    study = _study()
    study.ask()
    with pytest.raises(ValueError, match="'trial' parameter of Study.tell .* 7"):
        study.tell(7, 1.0)
    with pytest.raises(TypeError, match="'trial' parameter of Study.tell"):
        study.tell("0", 1.0)
    assert study.trials[0].state == TrialState.RUNNING


@pytest.mark.parametrize("told", [math.nan, "x", [1.0, 2.0]])
def test_tell_complete_with_an_unusable_value_raises_and_keeps_the_trial(told):
    # As Optuna: state=COMPLETE given explicitly refuses the value; without a
    # state, the same value fails the trial with a warning.
    study = _study()
    trial = study.ask()
    with pytest.raises(ValueError, match="cannot be told COMPLETE"):
        study.tell(trial, told, state=TrialState.COMPLETE)
    assert study.trials[0].state == TrialState.RUNNING
    assert study.tell(trial, 0.5, state=TrialState.COMPLETE).value == 0.5


def test_create_trial_with_a_value_of_the_wrong_type_is_a_type_error():
    for value in ("abc", [1.0, 2.0]):
        with pytest.raises(TypeError, match="must have a value that is a number"):
            sktune.create_trial(value=value, params={}, distributions={})


def test_an_enqueued_value_equal_to_no_choice_fails_without_a_false_warning():
    # The warning said the value "is used anyway" just before the trial failed.
    study = _study()
    study.enqueue_trial({"c": 3})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="value 3 of parameter 'c' cannot be"):
            study.optimize(lambda t: t.suggest_categorical("c", [1, 2]), n_trials=1)
    assert study.trials[0].state == TrialState.FAIL


def test_an_enqueued_dict_choice_is_itself_even_when_it_looks_like_an_index():
    # TPESearchCV enqueues choices by position as {"__index__": i}; a dict
    # choice of that form was read as a position (and failed beyond it).
    choices = [{"__index__": 5}, {"__index__": 0}]
    study = _study()
    for choice in choices:
        study.enqueue_trial({"c": choice})
    study.optimize(lambda t: len(str(t.suggest_categorical("c", choices))), n_trials=2)
    assert [t.params["c"] for t in study.trials] == choices


def test_tell_of_a_number_beyond_sqlite_integers_is_a_value_error(tmp_path):
    study = sktune.create_study(storage=f"sqlite:///{tmp_path / 's.db'}")
    study.ask()
    with pytest.raises(ValueError, match="'trial' parameter of Study.tell"):
        study.tell(2**70, 1.0)
