"""get_param_importances and the evaluators on studies whose answer is known."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sktune
from sktune.exceptions import InvalidParameterError
from sktune.importance import (
    FanovaImportanceEvaluator,
    MeanDecreaseImpurityImportanceEvaluator,
    get_param_importances,
)
from sktune.importance._data import check_params, complete_trials, prepare
from sktune.importance._source import resolve_source


def fanova(seed=0):
    return FanovaImportanceEvaluator(n_trees=16, seed=seed)


def mdi(seed=0):
    return MeanDecreaseImpurityImportanceEvaluator(n_trees=16, seed=seed)


def _study(objective, n_trials=150, seed=0, direction="minimize"):
    study = sktune.create_study(
        direction=direction, sampler=sktune.samplers.RandomSampler(seed=seed)
    )
    study.optimize(objective, n_trials=n_trials)
    return study


def _x_only(trial):
    x = trial.suggest_float("x", -2, 2)
    trial.suggest_float("y", 0, 1)
    trial.suggest_categorical("c", ["a", "b", "c"])
    return x**2


def _two_equal(trial):
    x = trial.suggest_float("x", 0, 1)
    y = trial.suggest_float("y", 0, 1)
    trial.suggest_int("noise", 0, 10)
    return (x - 0.5) ** 2 + (y - 0.5) ** 2


@pytest.fixture(scope="module")
def x_only_study():
    return _study(_x_only)


def test_function_of_x_only_gives_x_more_than_090(x_only_study):
    imp = get_param_importances(x_only_study, evaluator=fanova())
    assert next(iter(imp)) == "x"
    assert imp["x"] > 0.9
    assert math.isclose(sum(imp.values()), 1.0)


def test_mdi_ranks_x_first(x_only_study):
    imp = get_param_importances(x_only_study, evaluator=mdi())
    assert next(iter(imp)) == "x"
    assert imp["x"] > 2 * max(imp["y"], imp["c"])


@pytest.mark.parametrize("evaluator, tol", [(fanova, 0.1), (mdi, 0.25)])
def test_two_equally_important_parameters_get_close_values(evaluator, tol):
    study = _study(_two_equal, n_trials=300)
    imp = get_param_importances(study, evaluator=evaluator())
    assert set(list(imp)[:2]) == {"x", "y"}
    assert abs(imp["x"] - imp["y"]) < tol * (imp["x"] + imp["y"])
    assert imp["noise"] < min(imp["x"], imp["y"]) / 2


def test_categorical_parameter_is_found():
    def objective(trial):
        c = trial.suggest_categorical("kernel", ["rbf", "linear", "poly"])
        z = trial.suggest_float("z", 0, 1)
        return {"rbf": 0.0, "linear": 5.0, "poly": 1.0}[c] + 0.01 * z

    imp = get_param_importances(_study(objective), evaluator=fanova())
    assert list(imp) == ["kernel", "z"]
    assert imp["kernel"] > 0.9


def test_log_parameter_is_analysed_in_log_space():
    def objective(trial):
        return trial.suggest_float("lr", 1e-4, 1.0, log=True) + trial.suggest_int(
            "k", 1, 1000, log=True
        )

    study = _study(objective, n_trials=20)
    source = resolve_source(study, None, None, "test")
    trials, _y = complete_trials(source)
    (group,), single = prepare(trials, ["lr", "k"])
    lr = np.array([t.params["lr"] for t in trials])
    np.testing.assert_allclose(group.X[:, 0], np.log(lr / 1e-4) / np.log(1e4))
    # a log int: equal mass per integer on a log scale
    k = np.array([t.params["k"] for t in trials])
    expected = (np.log(k) - np.log(0.5)) / (np.log(1000.5) - np.log(0.5))
    np.testing.assert_allclose(group.X[:, 1], expected)
    assert single == []


def _conditional(trial):
    model = trial.suggest_categorical("model", ["a", "b"])
    z = trial.suggest_float("z", 0, 1)
    if model == "a":
        x = trial.suggest_float("x", 1e-3, 1.0, log=True)
        return 10 * math.log10(x) ** 2 + 0.1 * z
    y = trial.suggest_int("y", 0, 10)
    return 3.0 + 0.001 * y + 0.1 * z


@pytest.fixture(scope="module")
def conditional_study():
    return _study(_conditional, n_trials=200)


def test_conditional_parameters_are_not_imputed(conditional_study):
    source = resolve_source(conditional_study, None, None, "test")
    trials, _y = complete_trials(source)
    groups, _ = prepare(trials, check_params(None, trials, "test"))
    by_owner = {tuple(g.names[i] for i in g.own): g for g in groups}
    assert set(by_owner) == {("model", "z"), ("x",), ("y",)}
    x_group = by_owner[("x",)]
    # fitted on exactly the trials that have x, with no column for y
    np.testing.assert_array_equal(x_group.mask, ["x" in t.params for t in trials])
    assert x_group.X.shape[0] == x_group.mask.sum()
    assert "y" not in x_group.names
    assert np.all((x_group.X >= 0) & (x_group.X <= 1))


@pytest.mark.parametrize("evaluator", [fanova, mdi])
def test_conditional_importances_follow_the_law_of_total_variance(
    conditional_study, evaluator
):
    imp = get_param_importances(conditional_study, evaluator=evaluator())
    assert set(imp) == {"model", "z", "x", "y"}
    trials = conditional_study.trials
    y = np.array([t.value for t in trials])
    in_a = np.array(["x" in t.params for t in trials])
    # x explains the variance inside branch a, the branch choice the rest
    within_a = in_a.mean() * np.var(y[in_a]) / np.var(y)
    assert imp["x"] == pytest.approx(within_a, abs=0.05)
    assert imp["model"] == pytest.approx(1 - within_a, abs=0.05)
    # z and y barely matter; a branch's parameters are not read as noise
    assert imp["z"] < 0.02
    assert imp["y"] < 0.01


def test_seeded_evaluators_are_reproducible(x_only_study):
    for make in (fanova, mdi):
        a = get_param_importances(x_only_study, evaluator=make(seed=3))
        b = get_param_importances(x_only_study, evaluator=make(seed=3))
        assert a == b


def test_normalize_false_returns_raw_fractions(x_only_study):
    raw = get_param_importances(x_only_study, evaluator=fanova(), normalize=False)
    norm = get_param_importances(x_only_study, evaluator=fanova())
    total = sum(raw.values())
    assert 0 < total <= 1.0 + 1e-9
    for name in raw:
        assert math.isclose(norm[name], raw[name] / total)


def test_target_callable_and_params_subset(x_only_study):
    imp = get_param_importances(
        x_only_study,
        evaluator=fanova(),
        target=lambda t: t.params["y"],
    )
    assert next(iter(imp)) == "y"
    sub = get_param_importances(x_only_study, evaluator=fanova(), params=["c", "y"])
    assert set(sub) == {"c", "y"}


def test_single_valued_parameter_gets_zero():
    def objective(trial):
        trial.suggest_float("fixed", 1.0, 1.0)
        return trial.suggest_float("x", 0, 1)

    imp = get_param_importances(
        _study(objective, n_trials=30),
        evaluator=fanova(),
        normalize=False,
    )
    assert imp["fixed"] == 0.0
    assert list(imp) == ["x", "fixed"]


def test_pruned_and_failed_trials_are_ignored():
    study = _study(_x_only, n_trials=40)
    trial = study.ask()
    trial.suggest_float("x", -2, 2)
    study.tell(trial, state=sktune.trial.TrialState.PRUNED)
    imp = get_param_importances(study, evaluator=fanova())
    assert next(iter(imp)) == "x"


def test_errors():
    study = _study(_x_only, n_trials=10)
    with pytest.raises(InvalidParameterError, match="'n_trees' parameter of Fanova"):
        FanovaImportanceEvaluator(n_trees=0)
    with pytest.raises(InvalidParameterError, match="'seed' parameter"):
        MeanDecreaseImpurityImportanceEvaluator(seed=-1)
    with pytest.raises(InvalidParameterError, match="'evaluator' parameter"):
        get_param_importances(study, evaluator="fanova")
    with pytest.raises(ValueError, match="unknown \\['w'\\]"):
        get_param_importances(study, params=["x", "w"])
    with pytest.raises(ValueError, match="metric name is only meaningful"):
        get_param_importances(study, target="accuracy")
    with pytest.raises(TypeError, match="must be a sktune Study"):
        get_param_importances(object())
    empty = sktune.create_study()
    with pytest.raises(ValueError, match="at least 2 complete trials"):
        get_param_importances(empty)


def test_estimator_choice_with_different_lists_per_branch():
    # A list-of-dicts search whose branches offer different estimators for one
    # step: the step's importance is measured over the union of its choices.
    import warnings

    from scipy.stats import loguniform, randint
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.svm import SVC

    from sktune import TPESearchCV

    X, y = load_iris(return_X_y=True)
    space = [
        {"clf": [SVC()], "clf__C": loguniform(1e-3, 1e2)},
        {
            "clf": [RandomForestClassifier(n_estimators=5, random_state=0)],
            "clf__max_depth": randint(1, 4),
        },
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = TPESearchCV(
            Pipeline([("clf", SVC())]), space, n_iter=12, cv=3, random_state=0
        ).fit(X, y)
    importances = get_param_importances(search)
    assert {"clf", "clf__C", "clf__max_depth"} <= set(importances)
    assert abs(sum(importances.values()) - 1.0) < 1e-9
    assert all(v >= 0 for v in importances.values())


def test_default_evaluator_on_a_function_of_x_only(x_only_study):
    imp = get_param_importances(
        x_only_study, evaluator=FanovaImportanceEvaluator(seed=0)
    )
    assert next(iter(imp)) == "x"
    assert imp["x"] > 0.9


def test_default_evaluator_gives_two_equal_parameters_close_values():
    study = _study(_two_equal, n_trials=300)
    imp = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=0))
    assert set(list(imp)[:2]) == {"x", "y"}
    assert abs(imp["x"] - imp["y"]) < 0.1 * (imp["x"] + imp["y"])


def test_default_evaluator_ranks_a_large_study_as_the_truth_does():
    # additive bowls whose variances halve from one to the next: the few
    # subsampled trees used on many trials still rank the top 3 right
    weights = {"b": 8.0, "d": 4.0, "a": 2.0, "e": 1.0, "c": 0.0}

    def objective(trial):
        xs = {n: trial.suggest_float(n, 0, 1) for n in "abcde"}
        return sum(w * (2 * xs[n] - 1) ** 2 for n, w in weights.items())

    study = _study(objective, n_trials=1000)
    evaluator = FanovaImportanceEvaluator(seed=0)
    assert evaluator._forest_settings(1000)["n_trees"] < 16
    imp = get_param_importances(study, evaluator=evaluator)
    assert list(imp)[:4] == ["b", "d", "a", "e"]


def test_categorical_values_equal_but_not_identical_to_the_choices():
    # values read back from storage are equal to the choices, not the same
    # objects: they must be encoded as the same indices
    def objective(trial):
        kernel = trial.suggest_categorical("kernel", ["rbf", "linear", "poly"])
        return trial.suggest_float("x", 0, 1) + len(kernel)

    study = _study(objective, n_trials=60)
    source = resolve_source(study, None, None, "test")
    trials, _y = complete_trials(source)
    copies = [t.copy() for t in trials]
    for t in copies:
        t.params["kernel"] = t.params["kernel"].encode().decode()
    (original,), _ = prepare(trials, ["x", "kernel"])
    (copied,), _ = prepare(copies, ["x", "kernel"])
    assert copies[0].params["kernel"] is not trials[0].params["kernel"]
    assert original.X[:, 1:].sum() == 60  # one-hot
    np.testing.assert_array_equal(original.X, copied.X)


def test_step_changing_between_trials_keeps_every_value():
    # The first trial's grid (step 0.5) must not absorb the other trials'
    # values (step 0.01): x alone matters.
    def objective(trial):
        step = 0.5 if trial.number == 0 else 0.01
        x = trial.suggest_float("x", 0, 1, step=step)
        trial.suggest_float("y", 0, 1)
        return (x - 0.3) ** 2

    study = _study(objective, n_trials=120)
    trials, _ = complete_trials(resolve_source(study, None, None, "t"))
    groups, _ = prepare(trials, ["x", "y"])
    x_col = groups[0].X[:, groups[0].names.index("x")]
    assert len(np.unique(x_col)) == len({t.params["x"] for t in trials})
    for evaluator in (fanova(), mdi()):
        assert get_param_importances(study, evaluator=evaluator)["x"] > 0.9


@pytest.mark.parametrize("penalty", [1e200, np.finfo(float).max])
def test_huge_finite_values_give_finite_importances(penalty):
    def objective(trial):
        x = trial.suggest_float("x", -1, 1)
        trial.suggest_float("y", -1, 1)
        return penalty if x > 0.8 else x**2

    study = _study(objective, n_trials=60)
    for evaluator in (fanova(), mdi()):
        imp = get_param_importances(study, evaluator=evaluator)
        assert all(np.isfinite(v) for v in imp.values())
        assert math.isclose(sum(imp.values()), 1.0)
        assert next(iter(imp)) == "x"


def test_params_as_iterator_is_read_once(x_only_study):
    expected = get_param_importances(
        x_only_study, evaluator=fanova(), params=["x", "y"]
    )
    got = get_param_importances(
        x_only_study, evaluator=fanova(), params=(p for p in ["x", "y"])
    )
    assert got == expected
    with pytest.raises(TypeError, match="'params' parameter.*Got 5"):
        get_param_importances(x_only_study, evaluator=fanova(), params=5)


def test_target_errors_propagate(x_only_study):
    # As in Optuna: a mistake in the target is the user's to see, not a
    # "no complete trial" error.
    with pytest.raises(KeyError, match="acuracy"):
        get_param_importances(
            x_only_study, evaluator=fanova(), target=lambda t: t.user_attrs["acuracy"]
        )
