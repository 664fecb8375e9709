"""Tests of the scikit-learn search-space translation (sktune.sklearn._space)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import ParameterGrid
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC, LinearSVC

import sktune
from sktune._frozen import FrozenTrial, TrialState
from sktune.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    OpaqueChoice,
    _opaque_text,
    distribution_to_json,
    json_to_distribution,
)
from sktune.exceptions import InvalidParameterError
from sktune.sklearn._space import (
    BRANCH_PARAM,
    CDF_ATTR,
    SearchSpace,
    build_search_space,
)


def _trial(seed: int = 0) -> sktune.Trial:
    sampler = sktune.samplers.RandomSampler(seed=seed)
    return sktune.create_study(sampler=sampler).ask()


def _pipe() -> Pipeline:
    return Pipeline([("sc", StandardScaler()), ("clf", LogisticRegression())])


# -- fake Optuna distributions (tests must not import optuna) --------------
def _optuna_class(name: str, **defaults: object) -> type:
    def init(self: object, **kwargs: object) -> None:
        for key, value in {**defaults, **kwargs}.items():
            setattr(self, key, value)

    return type(name, (), {"__init__": init, "__module__": "optuna.distributions"})


OptunaFloat = _optuna_class("FloatDistribution", log=False, step=None)
OptunaInt = _optuna_class("IntDistribution", log=False, step=1)
OptunaCategorical = _optuna_class("CategoricalDistribution")
OptunaLogUniform = _optuna_class("LogUniformDistribution")
OptunaDiscreteUniform = _optuna_class("DiscreteUniformDistribution")
OptunaIntUniform = _optuna_class("IntUniformDistribution", step=1)


# -- translation ------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (FloatDistribution(0.1, 1.0, log=True), FloatDistribution(0.1, 1.0, log=True)),
        (IntDistribution(1, 9, step=2), IntDistribution(1, 9, step=2)),
        (CategoricalDistribution(["a", "b"]), CategoricalDistribution(["a", "b"])),
        (
            OptunaFloat(low=1e-3, high=1.0, log=True),
            FloatDistribution(1e-3, 1, log=True),
        ),
        (OptunaFloat(low=0.0, high=1.0, step=0.25), FloatDistribution(0, 1, step=0.25)),
        (OptunaInt(low=2, high=10, step=2), IntDistribution(2, 10, step=2)),
        (OptunaCategorical(choices=("x", None)), CategoricalDistribution(["x", None])),
        (OptunaLogUniform(low=0.1, high=10.0), FloatDistribution(0.1, 10, log=True)),
        (
            OptunaDiscreteUniform(low=0, high=1, q=0.5),
            FloatDistribution(0, 1, step=0.5),
        ),
        (OptunaIntUniform(low=1, high=5), IntDistribution(1, 5)),
        ([3, 1, 2], CategoricalDistribution([3, 1, 2])),
        (("x", None, (1, 2)), CategoricalDistribution(["x", None, (1, 2)])),
        ([1, 1, 2, 1], CategoricalDistribution([1, 2])),
        (range(2, 11, 4), IntDistribution(2, 10, step=4)),
        (range(10, 1, -4), IntDistribution(2, 10, step=4)),
        (stats.loguniform(1e-3, 1e2), FloatDistribution(1e-3, 1e2, log=True)),
        (stats.reciprocal(0.5, 2.0), FloatDistribution(0.5, 2.0, log=True)),
        (stats.loguniform(1, 10, scale=3), FloatDistribution(3, 30, log=True)),
        (stats.uniform(2, 5), FloatDistribution(2, 7)),
        (stats.uniform(loc=-1, scale=2), FloatDistribution(-1, 1)),
        (stats.randint(3, 8), IntDistribution(3, 7)),
        (stats.randint(0, 4, loc=10), IntDistribution(10, 13)),
        # Everything else is seen through its CDF level.
        (stats.loguniform(1, 10, loc=1), FloatDistribution(0, 1)),
        (stats.norm(3, 2), FloatDistribution(0, 1)),
        (stats.expon(), FloatDistribution(0, 1)),
        (stats.poisson(4), FloatDistribution(0, 1)),
        (stats.norm, FloatDistribution(0, 1)),
    ],
)
def test_translation(value, expected):
    space = build_search_space({"p": value})
    assert space.branches == [{"p": expected}]
    assert space.sources == [{"p": value}]


def test_numpy_array_choices_come_back_as_elements():
    arr = np.array([0.5, 1.5, 2.5])
    space = build_search_space({"p": arr})
    values = [space.to_sklearn_params(pt)["p"] for pt in space.iter_points()]
    assert [type(v) for v in values] == [np.float64] * 3
    assert values == list(arr)


def test_unhashable_and_estimator_choices():
    svc = SVC(C=3.0)
    space = build_search_space({"p": [{"a": 1}, [1, 2], svc, None]})
    assert space.size == 4
    points = [space.to_sklearn_params(pt)["p"] for pt in space.iter_points()]
    assert points[0] == {"a": 1} and points[1] == [1, 2] and points[3] is None
    # The estimator comes back as the very object (the caller clones).
    assert points[2] is svc


def test_native_scipy_values_are_python_numbers():
    space = build_search_space({"n": stats.randint(1, 4), "c": stats.uniform(0, 1)})
    params = space.suggest(_trial())
    assert type(params["n"]) is int and type(params["c"]) is float


def test_cdf_encoding_uses_ppf():
    dist = stats.norm(3.0, 2.0)
    space = build_search_space({"p": dist})
    for q in (0.1, 0.5, 0.9):
        assert space.to_sklearn_params({"p": q})["p"] == pytest.approx(dist.ppf(q))


def test_cdf_encoding_clips_unbounded_sides_only():
    space = build_search_space(
        {"n": stats.norm(), "e": stats.expon(), "b": stats.beta(2, 3)}
    )
    low = space.to_sklearn_params({"n": 0.0, "e": 0.0, "b": 0.0})
    high = space.to_sklearn_params({"n": 1.0, "e": 1.0, "b": 1.0})
    assert all(math.isfinite(v) for v in [*low.values(), *high.values()])
    assert low["n"] < -5 and high["n"] > 5
    # Bounded sides reach their bound exactly.
    assert low["e"] == 0.0 and low["b"] == 0.0 and high["b"] == 1.0


def test_cdf_discrete_gives_ints_inside_the_support():
    space = build_search_space({"p": stats.poisson(3), "b": stats.binom(5, 0.3)})
    for q in (0.0, 0.3, 0.999, 1.0):
        params = space.to_sklearn_params({"p": q, "b": q})
        assert type(params["p"]) is int and params["p"] >= 0
        assert type(params["b"]) is int and 0 <= params["b"] <= 5


def test_unfrozen_and_histogram_distributions():
    hist = stats.rv_histogram(np.histogram([1.0, 2.0, 2.0, 3.0], bins=3))
    space = build_search_space({"h": hist, "n": stats.norm})
    params = space.to_sklearn_params({"h": 0.5, "n": 0.5})
    assert params["h"] == pytest.approx(hist.ppf(0.5)) and params["n"] == 0.0


def test_new_scipy_random_variables():
    space = build_search_space(
        {
            "a": stats.Normal(mu=1.0, sigma=2.0),
            "n": stats.Binomial(n=5, p=0.3),
            "u": stats.Uniform(a=1.0, b=3.0),
        }
    )
    assert space.branches[0]["u"] == FloatDistribution(1.0, 3.0)
    params = space.to_sklearn_params({"a": 0.5, "n": 0.99, "u": 2.0})
    assert params["a"] == pytest.approx(1.0)
    assert type(params["n"]) is int and 0 <= params["n"] <= 5


# -- errors ------------------------------------------------------------
def _msg(rule_and_rest: str) -> str:
    return re.escape(
        f"The 'param_distributions' parameter of TPESearchCV {rule_and_rest}"
    )


class _RvsOnly:
    def rvs(self, size=None, random_state=None):
        return 1.0


@pytest.mark.parametrize(
    ("space", "match"),
    [
        (
            {"C": []},
            _msg("must map 'C' to a non-empty list of values. Got [] instead."),
        ),
        (
            {"C": 0.5},
            _msg(
                "must map 'C' to a distribution (sktune, Optuna or frozen scipy.stats)"
            )
            + ".*Got 0.5 instead",
        ),
        ({"C": "rbf"}, _msg("must map 'C' to") + ".*wrap a single value.*Got 'rbf'"),
        ({"C": {"a": 1}}, _msg("must map 'C' to a distribution") + ".*Got {'a': 1}"),
        ({"C": len}, _msg("must map 'C' to a distribution") + ".*Got <built-in"),
        ({"C": _RvsOnly()}, _msg("must map 'C' to a frozen scipy.stats") + ".*'rvs'"),
        (
            {"C": stats.multivariate_normal([0.0, 0.0])},
            _msg("must map 'C' to a univariate distribution (a multivariate"),
        ),
        ({"C": np.ones((2, 2))}, _msg("must map 'C' to a one-dimensional array")),
        (
            {"C": stats.loguniform(1.0, 0.1)},
            _msg("must map 'C' to a scipy.stats distribution with valid parameters. ")
            + re.escape("Got scipy.stats.loguniform(1.0, 0.1) instead."),
        ),
        ({"C": stats.norm(0, scale=-1)}, _msg("must map 'C' to a scipy.stats")),
        ({"C": stats.beta}, _msg("must map 'C' to a scipy.stats distribution with")),
        (
            {"C": OptunaFloat(low=1.0, high=0.0)},
            _msg("must map 'C' to a valid distribution (The 'low' parameter of "),
        ),
        (
            [{"a": [1]}, {"b": []}],
            _msg("must map 'b' (in dict 1) to a non-empty list of values."),
        ),
        ([], _msg("must be a dict or a non-empty list of dicts. Got [] instead.")),
        ("C", _msg("must be a dict or a non-empty list of dicts. Got 'C' instead.")),
        ([{"a": [1]}, 3], _msg("must be a dict or a non-empty list of dicts (item 1)")),
        ({BRANCH_PARAM: [1]}, _msg("must be names other than the reserved")),
        ({1: [1]}, _msg("must be parameter names that are non-empty str. Got 1")),
    ],
)
def test_errors(space, match):
    with pytest.raises(InvalidParameterError, match=match):
        build_search_space(space)


def test_error_names_the_owner():
    with pytest.raises(InvalidParameterError, match="parameter of MySearch must map"):
        build_search_space({"C": []}, owner="MySearch")


# -- names checked against the estimator --------------------------------------
def test_unknown_parameter_name():
    with pytest.raises(
        InvalidParameterError,
        match=_msg("must name parameters of the Pipeline; 'clf__gamma' is not one."),
    ):
        build_search_space({"clf__gamma": [1.0]}, estimator=_pipe())


def test_parameters_of_chosen_estimators_are_valid():
    space = {"clf": [SVC(), LinearSVC()], "clf__C": stats.loguniform(1e-2, 1e2)}
    assert build_search_space(space, estimator=_pipe()).param_names == [
        "clf",
        "clf__C",
    ]
    # A nested parameter that one choice lacks would fail in set_params in the
    # middle of the search (as in RandomizedSearchCV): refused before any fit.
    for bad, lacking in (
        ({"clf": [SVC(), LogisticRegression()], "clf__kernel": ["rbf"]}, "Logistic"),
        ({"clf": [SVC(), "passthrough"], "clf__kernel": ["rbf"]}, "'passthrough'"),
        ({"clf": [None, SVC()], "clf__C": [1.0]}, "None"),
    ):
        with pytest.raises(
            InvalidParameterError,
            match=re.escape("fails for the choice " + lacking),
        ):
            build_search_space(bad, estimator=_pipe())
    # One dict per choice is the way to give a parameter of one choice only.
    split = [{"clf": [SVC()], "clf__kernel": ["rbf"]}, {"clf": [LogisticRegression()]}]
    assert build_search_space(split, estimator=_pipe()).size == 2


def test_parameters_of_replaced_steps_must_hold_for_every_choice():
    pipe = Pipeline([("clf", LogisticRegression())])
    ok = {"steps": [[("clf", SVC())], [("clf", SVC(kernel="linear"))]], "clf__C": [1]}
    assert build_search_space(ok, estimator=pipe).size == 2
    for steps, lacking in (
        ([[("clf", SVC())], [("clf", Ridge())]], "[('clf', Ridge())]"),
        ([[("clf", SVC())], [("other", SVC())]], "[('other', SVC())]"),
    ):
        with pytest.raises(
            InvalidParameterError, match=re.escape("fails for the choice " + lacking)
        ):
            build_search_space({"steps": steps, "clf__C": [1]}, estimator=pipe)
    # Steps given as lists work in set_params too.
    as_lists = {"steps": [[["clf", SVC()]]], "clf__C": [1]}
    assert build_search_space(as_lists, estimator=pipe).size == 1
    # A step of the estimator's own list that every choice takes away.
    gone = {"steps": [[("other", SVC())]], "clf__C": [1]}
    with pytest.raises(InvalidParameterError, match="'clf__C' is not one"):
        build_search_space(gone, estimator=pipe)
    # An object chosen for 'clf', then its steps: the steps decide.
    inner = Pipeline([("s", SVC())])
    deeper = {
        "clf": [inner],
        "clf__steps": [[("s", SVC())], [("t", SVC())]],
        "clf__s__C": [1],
    }
    with pytest.raises(InvalidParameterError, match="fails for the choice"):
        build_search_space(deeper, estimator=pipe)
    # The list at that depth takes away a step the chosen object brings.
    outer = Pipeline([("pre", Pipeline([("s", StandardScaler())])), ("clf", SVC())])
    dropped = {
        "pre": [Pipeline([("t", StandardScaler()), ("s", StandardScaler())])],
        "pre__steps": [[("s", StandardScaler())]],
        "pre__t__with_mean": [True],
    }
    with pytest.raises(InvalidParameterError, match="'pre__t__with_mean' is not"):
        build_search_space(dropped, estimator=outer)
    # ... or the object chosen one level up.
    top = Pipeline([("a", outer)])
    up = {
        "a": [Pipeline([("pre", dropped["pre"][0]), ("clf", SVC())])],
        "a__pre__steps": [[("s", StandardScaler())]],
        "a__pre__t__with_mean": [True],
    }
    with pytest.raises(InvalidParameterError, match="'a__pre__t__with_mean' is not"):
        build_search_space(up, estimator=top)


def test_parameters_of_replaced_column_transformers_are_refused():
    from sklearn.compose import ColumnTransformer

    # ColumnTransformer.set_params gives them to the replaced transformer.
    ct = ColumnTransformer([("num", StandardScaler(), [0])])
    ct.set_params(transformers=[("num", StandardScaler(), [1])], num__with_mean=False)
    assert ct.transformers[0][1].with_mean  # never reached the new one
    pipe = Pipeline([("ct", ColumnTransformer([("num", StandardScaler(), [0])]))])
    space = {
        "ct__transformers": [[("num", StandardScaler(), [1])]],
        "ct__num__with_mean": [False],
    }
    with pytest.raises(InvalidParameterError, match="would never reach a fit"):
        build_search_space(space, estimator=pipe)
    # Without the list in the same dict, the parameter is the estimator's own.
    own = {"ct__num__with_mean": [False]}
    assert build_search_space(own, estimator=pipe).size == 1


def test_chosen_estimator_hides_the_base_one():
    # LogisticRegression (the base step) has 'penalty'; the chosen SVC has not.
    with pytest.raises(InvalidParameterError, match="'clf__penalty' is not one"):
        build_search_space({"clf": [SVC()], "clf__penalty": ["l2"]}, estimator=_pipe())


def test_nested_chosen_estimators():
    inner = Pipeline([("svc", SVC())])
    space = {
        "clf": [inner],
        "clf__svc": [SVC(), LogisticRegression()],
        "clf__svc__C": [1.0],
    }
    assert build_search_space(space, estimator=_pipe()).size == 2
    with pytest.raises(InvalidParameterError, match="'clf__svc__alpha' is not one"):
        build_search_space({**space, "clf__svc__alpha": [1]}, estimator=_pipe())


def test_names_checked_per_branch():
    grid = [{"clf": [SVC()], "clf__gamma": [0.1]}, {"clf__C": [1.0]}]
    build_search_space(grid, estimator=_pipe())
    with pytest.raises(InvalidParameterError, match=r"\(in dict 1\); 'clf__gamma'"):
        build_search_space([grid[0], {"clf__gamma": [0.1]}], estimator=_pipe())


# -- suggest and decode ------------------------------------------------------------
def test_suggest_single_dict_in_name_order():
    trial = _trial()
    space = build_search_space({"b": [1, 2], "a": stats.norm(), "c": range(3)})
    params = space.suggest(trial)
    assert list(trial.distributions) == ["a", "b", "c"]
    assert BRANCH_PARAM not in trial.params
    assert params == space.to_sklearn_params(trial.params)


def test_suggest_branch_first():
    space = build_search_space([{"z": [1]}, {"y": [2, 3], "x": [4]}])
    seen_branches = set()
    for seed in range(10):
        trial = _trial(seed)
        params = space.suggest(trial)
        names = list(trial.distributions)
        assert names[0] == BRANCH_PARAM
        assert trial.distributions[BRANCH_PARAM] == CategoricalDistribution([0, 1])
        branch = trial.params[BRANCH_PARAM]
        seen_branches.add(branch)
        assert names[1:] == (["z"] if branch == 0 else ["x", "y"])
        assert BRANCH_PARAM not in params
        assert params == space.to_sklearn_params(trial.params)
    assert seen_branches == {0, 1}


def test_suggest_does_not_copy_or_mutate_choices():
    svc, lr = SVC(C=2.0), LogisticRegression()
    space = build_search_space({"clf": [svc, lr]})
    chosen = space.suggest(_trial())["clf"]
    assert chosen is svc or chosen is lr
    assert (
        svc.get_params()["C"] == 2.0
        and lr.get_params() == LogisticRegression().get_params()
    )


def test_to_sklearn_params_maps_stored_opaque_choices_to_live_objects():
    svc = SVC(C=2.0)
    space = build_search_space({"clf": [LogisticRegression(), svc], "tol": [1e-3]})
    # What a storage reads back: the choice's full text (see distributions).
    stored = {"clf": OpaqueChoice(_opaque_text(svc)), "tol": 1e-3}
    assert space.to_sklearn_params(stored)["clf"] is svc


def test_to_sklearn_params_errors():
    space = build_search_space([{"a": [1]}, {"b": [2]}])
    with pytest.raises(ValueError, match="no '__space__' entry"):
        space.to_sklearn_params({"a": 1})
    with pytest.raises(ValueError, match=r"must be an int in \[0, 1\]. Got 5"):
        space.to_sklearn_params({BRANCH_PARAM: 5, "a": 1})
    with pytest.raises(ValueError, match="Parameter 'b' of dict 1 is missing"):
        space.to_sklearn_params({BRANCH_PARAM: 1, "a": 1})


def test_to_sklearn_params_ignores_other_names():
    space = build_search_space([{"a": [1]}, {"b": [2]}])
    assert space.to_sklearn_params({BRANCH_PARAM: 1, "a": 1, "b": 2}) == {"b": 2}


def test_param_names_sorted_union():
    space = build_search_space([{"z": [1], "b": [1]}, {"a": [1], "z": stats.norm()}])
    assert space.param_names == ["a", "b", "z"]
    assert [list(b) for b in space.branches] == [["b", "z"], ["a", "z"]]


def test_same_name_different_distributions_per_branch():
    space = build_search_space([{"C": [1.0, 2.0]}, {"C": stats.loguniform(1, 10)}])
    values = {type(space.suggest(_trial(seed))["C"]) for seed in range(8)}
    assert values == {float}
    assert space.size is None


# -- size and enumeration ------------------------------------------------------------
@pytest.mark.parametrize(
    ("space", "size"),
    [
        ({"a": [1, 2, 3], "b": ["x", "y"]}, 6),
        ([{"a": [1, 2, 3]}, {"b": [None], "c": range(4)}], 7),
        ({"a": [1, 1, 2]}, 2),
        ({}, 1),
        ([{}, {"a": [1, 2]}], 3),
        ({"a": IntDistribution(1, 10, step=3)}, 4),
        ({"a": FloatDistribution(0.0, 1.0, step=0.1)}, 11),
        ({"a": FloatDistribution(2.0, 2.0)}, 1),
        ({"a": stats.randint(0, 5), "b": stats.binom(3, 0.5)}, 20),
        ({"a": stats.bernoulli(0.2)}, 2),
        ({"a": [1, 2], "b": FloatDistribution(0.0, 1.0)}, None),
        ({"a": stats.poisson(2)}, None),
        ({"a": stats.norm()}, None),
        ([{"a": [1]}, {"b": stats.loguniform(1, 2)}], None),
        # rv_discrete(values=...): its points, whatever their spacing.
        ({"a": stats.rv_discrete(values=([0.1, 0.2, 5.0], [0.3, 0.3, 0.4]))}, 3),
        ({"a": stats.rv_discrete(values=([2, 200_000], [0.5, 0.5]))}, 2),
    ],
)
def test_size(space, size):
    built = build_search_space(space)
    assert built.size == size
    if size is not None:
        points = list(built.iter_points())
        assert len(points) == size
        assert len({built.point_key(p) for p in points}) == size
        decoded = {repr(sorted(built.to_sklearn_params(p).items())) for p in points}
        assert len(decoded) == size


def test_param_grid_like_gridsearchcv():
    grid = [
        {"kernel": ["linear"], "C": [1, 10, 100]},
        {"kernel": ["rbf"], "C": [1, 10], "gamma": [0.001, 0.0001]},
    ]
    space = build_search_space(grid, estimator=SVC())
    assert space.size == len(ParameterGrid(grid))
    ours = [space.to_sklearn_params(p) for p in space.iter_points()]
    assert sorted(map(repr, ours)) == sorted(map(repr, ParameterGrid(grid)))


def test_point_at_matches_iter_points():
    space = build_search_space([{"a": [1, 2], "b": range(3)}, {"c": ["x", "y"]}])
    assert [space.point_at(i) for i in range(space.size)] == list(space.iter_points())
    with pytest.raises(IndexError, match=r"Point index 8 is outside \[0, 8\)"):
        space.point_at(8)


def test_enumeration_is_lazy_for_huge_spaces():
    space = build_search_space({f"p{i}": range(1000) for i in range(12)})
    assert space.size == 1000**12
    assert next(space.iter_points()) == {f"p{i}": 0 for i in range(12)}
    last = space.point_at(space.size - 1)
    assert last == {f"p{i}": 999 for i in range(12)}
    assert space.draw_unseen(0, set()) is not None


def test_infinite_space_cannot_be_enumerated():
    space = build_search_space({"a": stats.norm()})
    with pytest.raises(ValueError, match="infinite"):
        next(space.iter_points())
    with pytest.raises(ValueError, match="infinite"):
        space.draw_unseen(0, set())


def test_point_key_by_value():
    space = build_search_space(
        {
            "c": [SVC(C=1.0), (1, 2)],
            "f": FloatDistribution(0, 1, step=0.1),
            "n": stats.poisson(3),
        }
    )
    a = {"c": SVC(C=1.0), "f": 0.30000000000000004, "n": 0.5}
    b = {"c": space.branches[0]["c"].choices[0], "f": 0.3, "n": 0.52}
    assert space.point_key(a) == space.point_key(b)  # same values: same point
    assert space.point_key(a) != space.point_key({**b, "c": (1, 2)})
    assert space.point_key({**b, "n": 0.99}) != space.point_key(b)
    assert space.point_key({"c": "other", "f": 0.3, "n": 0.5}) is None
    assert space.point_key({"f": 0.3}) is None


def test_point_key_includes_the_branch():
    space = build_search_space([{"a": [1]}, {"a": [1]}])
    assert space.point_key({BRANCH_PARAM: 0, "a": 1}) != space.point_key(
        {BRANCH_PARAM: 1, "a": 1}
    )
    assert space.size == 2


def test_draw_unseen():
    space = build_search_space({"a": range(5), "b": ["x", "y"]})
    points = list(space.iter_points())
    seen = {space.point_key(p) for p in points[:-3]}
    drawn = [space.draw_unseen(np.random.default_rng(s), seen) for s in range(60)]
    assert {space.point_key(p) for p in drawn} == {
        space.point_key(p) for p in points[-3:]
    }
    assert space.draw_unseen(0, {space.point_key(p) for p in points}) is None
    # RandomState (scikit-learn's random_state) works as well.
    assert space.draw_unseen(np.random.RandomState(0), seen) in points[-3:]


def test_every_point_once_through_enqueue():
    # What a search does on a finite space: replace duplicates with unseen points.
    estimators = [SVC(), LogisticRegression(), None]
    space = build_search_space([{"clf": estimators, "k": range(2)}, {"tol": [0.1]}])
    study = sktune.create_study(sampler=sktune.samplers.RandomSampler(seed=1))
    rng = np.random.default_rng(0)
    seen: set = set()
    for _ in range(space.size):
        trial = study.ask()
        space.suggest(trial)
        key = space.point_key(trial.params)
        study.tell(trial, 0.0)
        if key in seen:
            study.enqueue_trial(space.to_enqueue(space.draw_unseen(rng, seen)))
            trial = study.ask()
            space.suggest(trial)
            key = space.point_key(trial.params)
            study.tell(trial, 0.0)
        assert key not in seen
        seen.add(key)
    assert len(seen) == space.size == 7
    assert space.draw_unseen(rng, seen) is None


def test_to_enqueue():
    space = build_search_space([{"a": [None, (1, 2)], "b": range(3)}, {"c": [1]}])
    assert space.to_enqueue({BRANCH_PARAM: 0, "a": (1, 2), "b": 2}) == {
        BRANCH_PARAM: 0,
        "a": {"__index__": 1},
        "b": 2,
    }


# -- resuming ------------------------------------------------------------
def _study_with(space: SearchSpace, n: int = 6) -> sktune.Study:
    study = sktune.create_study(sampler=sktune.samplers.RandomSampler(seed=0))
    for _ in range(n):
        trial = study.ask()
        space.suggest(trial)
        study.tell(trial, 1.0)
    return study


def test_check_compatible_accepts_same_space_and_moved_bounds():
    grid = [{"a": ["x", "y"], "f": FloatDistribution(0, 1)}, {"n": range(1, 5)}]
    study = _study_with(build_search_space(grid))
    # Neither the same space nor moved bounds are refused (no exception).
    assert build_search_space(grid).check_compatible(study) is None
    moved = [{"a": ["x", "y"], "f": FloatDistribution(0, 2)}, {"n": range(1, 9)}]
    assert build_search_space(moved).check_compatible(study) is None


@pytest.mark.parametrize(
    ("new", "match"),
    [
        ([{"a": ["x", "z"], "f": [0.5]}, {"n": range(5)}], "Parameter 'a' has choices"),
        ([{"a": ["x", "y"], "f": [0.5]}, {"n": [1, 2]}], "'n' was IntDistribution"),
        ([{"a": ["x", "y"], "f": [0.5]}, {"m": range(5)}], "'n' was recorded by trial"),
        ([{"a": ["x", "y"], "f": [0.5]}], "'__space__' was recorded by trial"),
        (
            [{"a": ["x", "y"], "f": [0.5]}, {"n": range(5)}, {"k": [1]}],
            "Parameter '__space__' has choices",
        ),
    ],
)
def test_check_compatible_names_the_parameter(new, match):
    old = [{"a": ["x", "y"], "f": [0.5]}, {"n": range(5)}]
    study = _study_with(build_search_space(old), n=10)
    with pytest.raises(ValueError, match=match):
        build_search_space(new).check_compatible(study)


def test_check_compatible_detects_log_change():
    study = _study_with(build_search_space({"c": stats.loguniform(1, 10)}))
    with pytest.raises(ValueError, match="'c' changed log"):
        build_search_space({"c": stats.uniform(1, 9)}).check_compatible(study)


def test_check_compatible_missing_branch_param():
    study = _study_with(build_search_space({"a": [1, 2]}))
    with pytest.raises(ValueError, match="has no '__space__' parameter"):
        build_search_space([{"a": [1, 2]}, {"b": [1]}]).check_compatible(study)


def test_check_compatible_compares_opaque_choices_by_repr():
    # A study read back from JSON storage knows estimators only by their repr.
    space = build_search_space({"clf": [SVC(C=2.0), LogisticRegression()]})
    stored = json_to_distribution(distribution_to_json(space.branches[0]["clf"]))
    assert isinstance(stored.choices[0], OpaqueChoice)
    frozen = FrozenTrial(
        0,
        TrialState.COMPLETE,
        1.0,
        None,
        None,
        {"clf": stored.choices[1]},
        {"clf": stored},
        {},
        {},
        {},
        0,
    )
    study = sktune.create_study()
    study.add_trial(frozen)
    build_search_space({"clf": [SVC(C=2.0), LogisticRegression()]}).check_compatible(
        study
    )
    assert (
        space.to_sklearn_params(study.trials[0].params)["clf"]
        is (space.branches[0]["clf"].choices[1])
    )
    with pytest.raises(ValueError, match="Parameter 'clf' has choices"):
        build_search_space(
            {"clf": [SVC(C=3.0), LogisticRegression()]}
        ).check_compatible(study)


# -- properties ------------------------------------------------------------
_SCIPY = [
    lambda d: stats.loguniform(d(st.floats(1e-3, 1.0)), d(st.floats(2.0, 1e3))),
    lambda d: stats.uniform(d(st.floats(-5, 5)), d(st.floats(0.1, 10))),
    lambda d: stats.randint(d(st.integers(-5, 5)), d(st.integers(6, 20))),
    lambda d: stats.norm(d(st.floats(-5, 5)), d(st.floats(0.1, 5))),
    lambda d: stats.expon(scale=d(st.floats(0.1, 5))),
    lambda d: stats.poisson(d(st.floats(0.5, 10))),
    lambda d: stats.binom(d(st.integers(1, 6)), d(st.floats(0.05, 0.95))),
    lambda d: stats.beta(d(st.floats(0.5, 5)), d(st.floats(0.5, 5))),
]


@st.composite
def _value(draw, finite_only: bool = False):
    kind = draw(st.sampled_from(["float", "int", "list", "range", "scipy"]))
    if kind == "float":
        low = draw(st.floats(-100, 100))
        n = draw(st.integers(1, 5))
        if finite_only or draw(st.booleans()):
            step = draw(st.sampled_from([0.1, 0.25, 1.0, 3.0]))
            return FloatDistribution(low, low + n * step, step=step)
        if draw(st.booleans()):
            low = abs(low) + 1e-3
            return FloatDistribution(low, low * draw(st.floats(1.0, 1e3)), log=True)
        return FloatDistribution(low, low + draw(st.floats(0.0, 50.0)))
    if kind == "int":
        low = draw(st.integers(1, 50))
        if draw(st.booleans()):
            return IntDistribution(low, low + draw(st.integers(0, 30)), log=True)
        step = draw(st.integers(1, 4))
        return IntDistribution(low, low + step * draw(st.integers(0, 5)), step=step)
    if kind == "list":
        atoms = st.one_of(
            st.none(),
            st.booleans(),
            st.integers(-3, 3),
            st.sampled_from(["a", "b", "rbf"]),
            st.tuples(st.integers(0, 2), st.integers(0, 2)),
            st.lists(st.integers(0, 2), max_size=2),
        )
        return draw(st.lists(atoms, min_size=1, max_size=5))
    if kind == "range":
        start = draw(st.integers(-10, 10))
        return range(start, start + draw(st.integers(1, 12)), draw(st.integers(1, 3)))
    pick = draw(st.integers(0, len(_SCIPY) - 1))
    if finite_only:
        pick = draw(st.sampled_from([2, 6]))
    return _SCIPY[pick](draw)


@st.composite
def _spaces(draw, finite_only: bool = False):
    names = st.sampled_from(["a", "b", "c__d", "e", "f"])
    n_branches = draw(st.integers(1, 3))
    return [
        draw(st.dictionaries(names, _value(finite_only), min_size=0, max_size=3))
        for _ in range(n_branches)
    ]


def _inside(source, value) -> bool:
    if isinstance(source, (FloatDistribution, IntDistribution)):
        return source.contains(value)
    if isinstance(source, (list, range)):
        return any(
            value is c or (value == c and type(value) is type(c)) for c in source
        )
    lo, hi = source.support()
    if isinstance(source.dist, stats.rv_discrete):
        return type(value) is int and lo <= value <= hi
    return type(value) is float and lo <= value <= hi


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spaces=_spaces(), seed=st.integers(0, 2**16))
def test_property_suggest_round_trip_and_membership(spaces, seed):
    space = build_search_space(spaces)
    trial = _trial(seed)
    params = space.suggest(trial)
    assert params == space.to_sklearn_params(trial.params)
    branch = trial.params.get(BRANCH_PARAM, 0)
    assert sorted(params) == sorted(spaces[branch])
    for name, value in params.items():
        assert _inside(spaces[branch][name], value), (name, spaces[branch][name], value)
    assert space.point_key(trial.params) is not None


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spaces=_spaces(finite_only=True))
def test_property_size_of_finite_spaces(spaces):
    space = build_search_space(spaces)
    assert space.size is not None
    if space.size > 300:
        return
    points = list(space.iter_points())
    assert len(points) == space.size
    assert len({space.point_key(p) for p in points}) == space.size
    # Distinct keys are distinct scikit-learn values (within a branch).
    decoded = {
        (p.get(BRANCH_PARAM, 0), repr(sorted(space.to_sklearn_params(p).items())))
        for p in points
    }
    assert len(decoded) == space.size
    for p in points:
        branch = p.get(BRANCH_PARAM, 0)
        for name, value in space.to_sklearn_params(p).items():
            assert _inside(spaces[branch][name], value)
    # Drawing unseen points visits every point once, then gives None.
    rng = np.random.default_rng(0)
    seen: set = set()
    for _ in range(min(space.size, 40)):
        key = space.point_key(space.draw_unseen(rng, seen))
        assert key not in seen
        seen.add(key)
    if space.size <= 40:
        assert space.draw_unseen(rng, seen) is None


def test_check_compatible_detects_changed_cdf_distribution():
    space = build_search_space([{"a": stats.norm(0, 1)}, {"a": stats.expon()}])
    study = _study_with(space)
    space.check_compatible(study)  # records the scipy distributions
    assert study.system_attrs[CDF_ATTR] == {
        "0:a": "scipy.stats.norm(loc=0.0, scale=1.0)",
        "1:a": "scipy.stats.expon(loc=0.0, scale=1.0)",
    }
    # The same distribution written differently is the same.
    build_search_space(
        [{"a": stats.norm(loc=0.0)}, {"a": stats.expon(0)}]
    ).check_compatible(study)
    changed = build_search_space([{"a": stats.norm(0, 10)}, {"a": stats.expon()}])
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Parameter 'a' (dict 0) is scipy.stats.norm(loc=0.0, scale=10.0), but the "
            "study recorded scipy.stats.norm(loc=0.0, scale=1.0)"
        ),
    ):
        changed.check_compatible(study)


@pytest.mark.parametrize(
    ("make", "changed"),
    [
        (
            lambda xk: stats.rv_discrete(values=(xk, [0.5, 0.5])),
            lambda: stats.rv_discrete(values=([500, 900], [0.5, 0.5])),
        ),
        (
            lambda xk: stats.rv_histogram(np.histogram(xk, bins=2)),
            lambda: stats.rv_histogram(np.histogram([500, 900], bins=2)),
        ),
    ],
)
def test_check_compatible_detects_changed_data_distribution(make, changed):
    # Their names say nothing of their data: the stored levels would silently
    # decode to the new points.
    space = build_search_space({"a": make([1, 2])})
    study = _study_with(space)
    space.check_compatible(study)
    build_search_space({"a": make([1, 2])}).check_compatible(study)  # same data
    with pytest.raises(ValueError, match="the stored CDF levels would mean"):
        build_search_space({"a": changed()}).check_compatible(study)


def test_continuous_cdf_stops_where_scipy_ppf_fails():
    dist = stats.norminvgauss(1.25, 0.5)
    with pytest.raises(ValueError):  # scipy's own failure deep in the tail
        with np.errstate(all="ignore"):
            dist.ppf(1 - 1e-9)
    space = build_search_space({"a": dist})
    for q in (0.0, 1e-12, 0.5, 1 - 1e-12, 1.0):
        value = space.to_sklearn_params({"a": q})["a"]
        assert math.isfinite(value)
    assert space.to_sklearn_params({"a": 1.0})["a"] > dist.ppf(0.999)
    # Every level where scipy's ppf works keeps its own value, and values
    # never decrease with the level, failing ones included.
    for q in (0.9995, 1e-7):
        assert space.to_sklearn_params({"a": q})["a"] == dist.ppf(q)
    levels = 1.0 - 10.0 ** -np.linspace(3.0, 9.0, 25)
    values = [space.to_sklearn_params({"a": q})["a"] for q in levels]
    assert values == sorted(values)
    # Decoded together, a failing level does not take the others with it.
    together = space._params[0]["a"]._ppf(np.array([0.5, 0.9995, 1 - 1e-8]))
    assert together[:2].tolist() == [dist.ppf(0.5), dist.ppf(0.9995)]
    assert together[2] == values[-1]


def test_data_distribution_recorded_without_digest_still_resumes():
    # Studies recorded before the data digest existed know only the name.
    dist = stats.rv_discrete(values=([1, 2], [0.5, 0.5]))
    space = build_search_space({"a": dist})
    study = _study_with(space)
    text = space._cdf_descriptions()["0:a"]
    study.set_system_attr(CDF_ATTR, {"0:a": text.split(" of data ")[0]})
    space.check_compatible(study)
    assert study.system_attrs[CDF_ATTR] == {"0:a": text}  # upgraded


def test_space_pickles():
    import pickle

    space = build_search_space(
        [{"a": stats.norm(), "n": stats.Normal(mu=1.0, sigma=2.0)}, {"c": [SVC()]}]
    )
    copy = pickle.loads(pickle.dumps(space))
    params = {BRANCH_PARAM: 0, "a": 0.3, "n": 0.7}
    # (scipy 1.17 itself unpickles Normal(mu, sigma) as a standard normal.)
    assert copy.to_sklearn_params(params) == space.to_sklearn_params(params)
    assert copy.branches == space.branches


def test_rv_discrete_points_keep_their_values_and_types():
    floats = stats.rv_discrete(values=([0.1, 0.2, 5.0], [0.3, 0.3, 0.4]))
    ints = stats.rv_discrete(values=([2, 200_000], [0.5, 0.5]))
    space = build_search_space({"f": floats, "i": ints})
    values = [space.to_sklearn_params(p) for p in space.iter_points()]
    assert sorted({v["f"] for v in values}) == [0.1, 0.2, 5.0]
    assert all(type(v["f"]) is float for v in values)
    assert sorted({v["i"] for v in values}) == [2, 200_000]
    assert all(type(v["i"]) is int for v in values)


def test_distinct_objects_of_the_same_text_stay_distinct():
    # Their repr or parameters cannot tell these apart; they are not equal.
    a, b = np.array([0.5]), np.array([0.5 + 1e-9])
    long_a, long_b = np.zeros(2000), np.zeros(2000)
    long_b[1000] = 1.0
    fitted = [StandardScaler().fit([[0.0], [1.0]]), StandardScaler().fit([[5.0]])]
    for choices in ([a, b], [long_a, long_b], fitted):
        space = build_search_space({"x": choices})
        assert space.size == 2
        got = [space.to_sklearn_params(p)["x"] for p in space.iter_points()]
        assert got[0] is choices[0] and got[1] is choices[1]
    # The same object twice, or equal plain values, is one choice.
    assert build_search_space({"x": [a, a, b]}).size == 2
    assert build_search_space({"x": [1.0, 1.0, (1, 2), (1, 2)]}).size == 2


def test_stored_choices_of_the_same_text_map_back_by_position(tmp_path):
    from sklearn.datasets import load_iris

    class Logistic(LogisticRegression):
        def __init__(self, C=1.0, extra=None):
            super().__init__(C=C, max_iter=300)
            self.extra = extra

    X, y = load_iris(return_X_y=True)
    a, b = np.array([0.5]), np.array([0.5 + 1e-9])
    url = f"sqlite:///{tmp_path / 's.db'}"

    def fit(n_iter):
        return sktune.TPESearchCV(
            Logistic(),
            {"extra": [a, b], "C": [0.1, 1.0]},
            n_iter=n_iter,
            cv=2,
            storage=url,
            study_name="s",
            random_state=0,
        ).fit(X, y)

    fit(2)
    points = {
        (p["extra"] is a, p["extra"] is b, p["C"]) for p in fit(4).cv_results_["params"]
    }
    assert points == {(True, False, 0.1), (True, False, 1.0), (False, True, 0.1),
                      (False, True, 1.0)}  # fmt: skip


def test_pipeline_steps_set_in_the_same_dict_bring_their_parameters():
    space = {"steps": [[("sc", StandardScaler()), ("clf", SVC())]]}
    build_search_space({**space, "clf__gamma": ["scale"]}, estimator=_pipe())
    with pytest.raises(InvalidParameterError, match="'clf__bogus' is not one"):
        build_search_space({**space, "clf__bogus": [1]}, estimator=_pipe())


def test_choice_lists_are_keyed_once_not_per_trial(monkeypatch):
    from sktune import distributions

    space = build_search_space({"x": list(np.linspace(0.0, 1.0, 500))})
    calls = []
    original = distributions._choice_key
    monkeypatch.setattr(
        distributions, "_choice_key", lambda c: calls.append(1) or original(c)
    )
    study = sktune.create_study()
    for _ in range(5):
        space.suggest(study.ask())
    assert len(calls) < 50  # not 5 x 500
