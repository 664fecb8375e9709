"""Distributions: validation, internal representation, JSON round trips."""

from __future__ import annotations

import enum
import functools
import json
import math
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sktune.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    OpaqueChoice,
    check_distribution_compatibility,
    distribution_to_json,
    json_to_distribution,
)
from sktune.exceptions import InvalidParameterError


@pytest.mark.parametrize(
    ("factory", "match"),
    [
        (
            lambda: FloatDistribution(1.0, 0.0),
            r"'low' parameter .* <= high=0.0\. Got 1.0",
        ),
        (lambda: FloatDistribution(0.0, 1.0, log=True), r"'low' .* > 0 when log=True"),
        (lambda: FloatDistribution(1e-3, 1.0, log=True, step=0.1), r"'step' .* None"),
        (
            lambda: FloatDistribution(0.0, 1.0, step=0.3),
            r"'step' .* divisor .* Got 0.3",
        ),
        (lambda: FloatDistribution(0.0, 1.0, step=-1), r"'step' .* > 0"),
        (lambda: FloatDistribution(0.0, math.inf), r"'high' .* finite"),
        (
            lambda: FloatDistribution(-1e308, 1e308),
            r"'high' .* high - low is finite .* Got 1e\+308",
        ),
        (lambda: FloatDistribution("a", 1.0), r"'low' .* finite real number\. Got 'a'"),
        (lambda: FloatDistribution(0.0, 1.0, log="yes"), r"'log' .* bool"),
        (lambda: IntDistribution(5, 1), r"'low' .* <= high=1\. Got 5"),
        (lambda: IntDistribution(0, 10, log=True), r"'low' .* >= 1 when log=True"),
        (lambda: IntDistribution(1, 10, log=True, step=3), r"'step' .* 1 when log"),
        (lambda: IntDistribution(0, 10, step=3), r"'step' .* divisor .* 10\. Got 3"),
        (lambda: IntDistribution(0, 10, step=0), r"'step' .* >= 1\. Got 0"),
        (lambda: IntDistribution(0.5, 10), r"'low' .* an int\. Got 0.5"),
        (lambda: IntDistribution(True, 10), r"'low' .* an int\. Got True"),
        (lambda: CategoricalDistribution([]), r"'choices' .* non-empty"),
        (lambda: CategoricalDistribution("abc"), r"'choices' .* non-empty sequence"),
    ],
)
def test_invalid_arguments_name_the_parameter(factory, match):
    with pytest.raises(InvalidParameterError, match=match):
        factory()


def test_float_contains_respects_bounds_and_step():
    d = FloatDistribution(0.0, 1.0, step=0.25)
    assert d.contains(0.75)
    assert not d.contains(0.8)
    assert not d.contains(1.25)
    assert not d.contains("x")
    assert FloatDistribution(1e-3, 1.0, log=True).contains(1e-3)


def test_int_contains_respects_step_and_integrality():
    d = IntDistribution(1, 9, step=2)
    assert d.contains(3)
    assert not d.contains(4)
    assert not d.contains(3.5)
    assert not d.contains(11)


def test_categorical_any_objects():
    from sklearn.svm import SVC

    choices = [None, (1, 2), "rbf", SVC(C=2.0), [1, 2], {"a": 1}]
    d = CategoricalDistribution(choices)
    for i, c in enumerate(choices):
        assert d.to_internal_repr(c) == i
        assert d.to_external_repr(float(i)) is c
    # Equal by value: another SVC with the same parameters is the same choice.
    assert d.to_internal_repr(SVC(C=2.0)) == 3
    assert not d.contains(SVC(C=3.0))
    assert d.contains([1, 2])


def test_categorical_distinguishes_types():
    d = CategoricalDistribution([1, 1.0, True, "1"])
    assert [d.to_internal_repr(v) for v in (1, 1.0, True, "1")] == [0, 1, 2, 3]


def test_equality_and_hash_by_value():
    assert FloatDistribution(0, 1) == FloatDistribution(0.0, 1.0)
    assert hash(FloatDistribution(0, 1)) == hash(FloatDistribution(0.0, 1.0))
    assert FloatDistribution(0, 1) != FloatDistribution(0, 1, step=0.5)
    assert IntDistribution(0, 4) != FloatDistribution(0, 4)
    assert CategoricalDistribution(["a", None]) == CategoricalDistribution(("a", None))
    assert CategoricalDistribution(["a", None]) != CategoricalDistribution([None, "a"])


def test_single():
    assert FloatDistribution(1, 1).single()
    assert IntDistribution(3, 3).single()
    assert CategoricalDistribution(["x"]).single()
    assert not IntDistribution(3, 4).single()


def test_opaque_choices_round_trip_by_repr():
    from sklearn.svm import SVC

    d = CategoricalDistribution([SVC(C=2.0), "b"])
    assert d.has_opaque_choices
    back = json_to_distribution(distribution_to_json(d))
    assert isinstance(back.choices[0], OpaqueChoice)
    assert back.choices[0].text.startswith("SVC(")
    assert "C=2.0" in back.choices[0].text
    assert back == d
    check_distribution_compatibility(back, d, "clf")
    with pytest.raises(ValueError, match="'clf' has choices"):
        check_distribution_compatibility(
            back, CategoricalDistribution([SVC(C=3.0), "b"]), "clf"
        )


def test_large_estimators_are_told_apart():
    # scikit-learn shortens long reprs; the choice key must not.
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def pipe(c):
        steps = [StandardScaler() for _ in range(30)]
        return make_pipeline(*steps, LogisticRegression(C=c))

    assert repr(pipe(1.0)) == repr(pipe(2.0))  # the premise: shortened reprs
    d = CategoricalDistribution([pipe(1.0), pipe(2.0)])
    assert d.to_internal_repr(pipe(2.0)) == 1
    assert d != CategoricalDistribution([pipe(1.0), pipe(3.0)])


def test_compatibility_rejects_kind_and_log_changes():
    with pytest.raises(ValueError, match="'x' .* kind of distribution"):
        check_distribution_compatibility(
            FloatDistribution(0, 1), IntDistribution(0, 1), "x"
        )
    with pytest.raises(ValueError, match="'x' changed log"):
        check_distribution_compatibility(
            FloatDistribution(1, 2), FloatDistribution(1, 2, log=True), "x"
        )
    # Moving bounds is allowed (dynamic spaces).
    check_distribution_compatibility(FloatDistribution(0, 1), FloatDistribution(0, 2))


# -- property tests -------------------------------------------------------------------

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


@st.composite
def float_distributions(draw):
    low = draw(finite)
    width = draw(st.floats(0, 1e6, allow_nan=False))
    kind = draw(st.sampled_from(["plain", "log", "step"]))
    if kind == "log":
        low = abs(low) + 1e-3
        return FloatDistribution(low, low + width, log=True)
    if kind == "step":
        step = draw(st.floats(1e-3, 10))
        n = draw(st.integers(0, 50))
        return FloatDistribution(low, low + n * step, step=step)
    return FloatDistribution(low, low + width)


@st.composite
def int_distributions(draw):
    low = draw(st.integers(-1000, 1000))
    if draw(st.booleans()):
        low = abs(low) + 1
        return IntDistribution(low, low + draw(st.integers(0, 1000)), log=True)
    step = draw(st.integers(1, 7))
    return IntDistribution(low, low + step * draw(st.integers(0, 100)), step=step)


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False),
    st.text(max_size=5),
)
choices = st.lists(
    st.one_of(json_scalars, st.tuples(json_scalars, json_scalars)),
    min_size=1,
    max_size=6,
)


@given(float_distributions(), st.floats(0, 1))
def test_float_internal_round_trip(d, u):
    value = d.low + u * (d.high - d.low)
    if d.step is not None:
        value = d.low + round((value - d.low) / d.step) * d.step
        value = min(max(value, d.low), d.high)
    assert d.to_external_repr(d.to_internal_repr(value)) == value
    assert d.contains(value)


@given(int_distributions(), st.floats(0, 1))
def test_int_internal_round_trip(d, u):
    value = d.low + d.step * round(u * (d.high - d.low) / d.step)
    back = d.to_external_repr(d.to_internal_repr(value))
    assert back == value and isinstance(back, int)
    assert d.contains(value)


@given(choices)
def test_categorical_internal_round_trip(cs):
    d = CategoricalDistribution(cs)
    for c in cs:
        i = d.to_internal_repr(c)
        # The first choice equal by value is returned.
        assert json.dumps(d.to_external_repr(i), default=str) == json.dumps(
            c, default=str
        ) or (isinstance(c, float) and math.isnan(c))


@given(
    st.one_of(
        float_distributions(), int_distributions(), choices.map(CategoricalDistribution)
    )
)
def test_json_round_trip(d):
    text = distribution_to_json(d)
    json.loads(text)  # valid JSON
    back = json_to_distribution(text)
    assert back == d
    assert type(back) is type(d)
    if isinstance(d, CategoricalDistribution):
        assert list(back.choices) == list(d.choices)


def test_numpy_scalars_are_accepted():
    d = FloatDistribution(0.0, 1.0)
    assert d.to_internal_repr(np.float32(0.5)) == 0.5
    assert IntDistribution(0, 4).to_internal_repr(np.int64(3)) == 3.0
    assert CategoricalDistribution([1, 2]).to_internal_repr(np.int64(2)) == 1


def test_numpy_strings_are_the_equal_python_strings():
    d = CategoricalDistribution(["a", "b"])
    assert d.contains(np.str_("a"))
    assert d.to_internal_repr(np.str_("b")) == 1.0
    assert CategoricalDistribution(np.array(["a", "b"])) == d
    assert CategoricalDistribution(np.array(["a", "b"])).contains("a")


class _Kind(str, enum.Enum):
    A = "a"
    B = "b"


class _Depth(enum.IntEnum):
    SHALLOW = 1
    DEEP = 2


@pytest.mark.parametrize("choices", [[_Kind.A, _Kind.B], [_Depth.SHALLOW, _Depth.DEEP]])
def test_enum_choices_survive_the_json_round_trip(choices):
    dist = CategoricalDistribution(choices)
    back = json_to_distribution(distribution_to_json(dist))
    assert back == dist
    assert back.to_internal_repr(choices[1]) == 1.0
    check_distribution_compatibility(back, dist, "p")


def test_enum_choices_resume_from_sqlite(tmp_path):
    # Such a search failed at once on a fresh database ("'prior' is not one
    # of the choices"), and on resuming (incompatible choices).
    from sklearn.dummy import DummyClassifier

    import sktune

    class Strategy(str, enum.Enum):
        PRIOR = "prior"
        UNIFORM = "uniform"

    X = np.random.default_rng(0).normal(size=(40, 2))
    y = np.arange(40) % 2
    url = f"sqlite:///{tmp_path / 's.db'}"
    for n_iter in (1, 2):
        study = sktune.create_study(
            study_name="s", storage=url, load_if_exists=True, direction="maximize"
        )
        search = sktune.TPESearchCV(
            DummyClassifier(),
            {"strategy": list(Strategy)},
            n_iter=n_iter,
            study=study,
            cv=2,
            random_state=0,
        ).fit(X, y)
    assert search.best_params_["strategy"] in ("prior", "uniform")
    assert len(study.trials) == 2


def test_equal_dicts_and_sets_are_one_choice_in_any_order():
    assert (
        CategoricalDistribution([{"a": 1, "b": 2}]).to_internal_repr({"b": 2, "a": 1})
        == 0.0
    )
    assert CategoricalDistribution([frozenset([1, 9])]) == CategoricalDistribution(
        [frozenset([9, 1])]
    )


def test_a_set_choice_is_stored_the_same_in_every_process():
    import subprocess
    import sys

    code = (
        "from sktune.distributions import CategoricalDistribution as C, "
        "distribution_to_json as j; "
        "print(j(C([frozenset(['alpha', 'beta', 'gamma', 'delta'])])))"
    )
    texts = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(texts) == 1


def test_a_large_offset_does_not_widen_the_step_grid():
    # The tolerance grew with the values' size until it reached half a step.
    dist = FloatDistribution(1e9, 1e9 + 1, step=1e-3)
    assert not dist.contains(1e9 + 0.0005)
    assert dist.contains(1e9 + 0.001)
    with pytest.raises(InvalidParameterError, match="divisor"):
        FloatDistribution(1e9, 1e9 + 0.0015, step=1e-3)


def test_dict_choices_come_back_from_sqlite_as_dicts(tmp_path):
    # Before, a dict was stored by its repr and read back as an OpaqueChoice,
    # so best_params["layer"]["units"] raised TypeError (Optuna gives a dict).
    import sktune

    layers = [{"units": 64, "act": "relu"}, {"units": 8, 1: (2, None)}]
    dist = CategoricalDistribution(layers)
    back = json_to_distribution(distribution_to_json(dist))
    assert back == dist and not dist.has_opaque_choices
    assert back.choices[1] == {"units": 8, 1: (2, None)}
    url = f"sqlite:///{tmp_path / 's.db'}"
    study = sktune.create_study(study_name="s", storage=url)
    study.enqueue_trial({"layer": layers[0]})
    study.optimize(
        lambda t: t.suggest_categorical("layer", layers)["units"], n_trials=1
    )
    loaded = sktune.load_study(study_name="s", storage=url)
    assert loaded.best_params["layer"] == layers[0]
    assert type(loaded.best_params["layer"]) is dict
    assert loaded.best_trial.distributions["layer"] == dist


def test_equal_dicts_are_one_choice_in_any_order_at_any_depth():
    a = {"opt": {"C": 1, "tol": 1e-3}, "steps": [{"x": 1, "y": (2, {"p": 0, "q": 1})}]}
    b = {"steps": [{"y": (2, {"q": 1, "p": 0}), "x": 1}], "opt": {"tol": 1e-3, "C": 1}}
    dist = CategoricalDistribution([a, "other"])
    assert dist.to_internal_repr(b) == 0.0
    assert dist == CategoricalDistribution([b, "other"])
    check_distribution_compatibility(
        json_to_distribution(distribution_to_json(dist)),
        CategoricalDistribution([b, "other"]),
        "p",
    )


def test_an_enqueued_dict_with_int_keys_comes_back_from_sqlite(tmp_path):
    import sktune

    weights = [None, {0: 1, 1: 3}]
    study = sktune.create_study(storage=f"sqlite:///{tmp_path / 's.db'}")
    study.enqueue_trial({"cw": weights[1]})
    study.optimize(lambda t: float(t.suggest_categorical("cw", weights) is None), 1)
    assert study.trials[0].state.name == "COMPLETE"
    assert study.trials[0].params["cw"] == {0: 1, 1: 3}


def test_numpy_scalars_and_enums_in_an_opaque_container_are_their_values():
    # A container holding an estimator is compared by its text: that text must
    # spell np.float64(0.5) and a str enum member as 0.5 and "a", as choices
    # outside containers are.
    from sklearn.svm import SVC

    class Kind(str, enum.Enum):
        A = "a"

    dist = CategoricalDistribution([(np.float64(0.5), SVC()), (Kind.A, SVC())])
    assert dist.to_internal_repr((0.5, SVC())) == 0.0
    assert dist.to_internal_repr(("a", SVC())) == 1.0
    assert (
        CategoricalDistribution([(1, SVC()), (1.0, SVC())]).to_internal_repr(
            (1.0, SVC())
        )
        == 1.0
    )  # still two choices


def test_a_function_choice_resumes_in_another_process(tmp_path):
    # Its repr (a partial's too) holds an address, so a study stored by one
    # process was refused by the next ("has choices ..., but the study
    # recorded ...").
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent(
        f"""
        import functools, numpy as np, sktune
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import FunctionTransformer
        def square(x):
            return x ** 2
        X = np.random.default_rng(0).normal(size=(40, 3)); y = np.arange(40) % 2
        pipe = Pipeline([("f", FunctionTransformer()), ("c", LogisticRegression())])
        clip = functools.partial(np.clip, a_min=0, a_max=None)
        space = {{"f": [FunctionTransformer(f) for f in (square, np.abs, clip)]}}
        search = sktune.TPESearchCV(
            pipe, space, n_iter=3, cv=2, random_state=0,
            storage="sqlite:///{tmp_path / "s.db"}", study_name="s",
        ).fit(X, y)
        print(len(search.study_.trials))
        """
    )
    counts = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout.split()[-1]
        for _ in range(2)
    ]
    assert counts == ["3", "3"]  # the finite space is done after the first run


def test_named_callables_are_spelled_by_module_and_name():
    # Stable across processes (no address) and distinct across modules: a
    # builtin's repr lacks its module, so math.sqrt and cmath.sqrt were one
    # choice, and NumPy's dispatchers carried an address.
    import cmath

    from sktune.distributions import _opaque_text

    assert _opaque_text(np.mean) == "<function numpy.mean>"
    assert _opaque_text(math.sqrt) != _opaque_text(cmath.sqrt)
    dist = CategoricalDistribution([math.sqrt, cmath.sqrt, np.log1p])
    assert [dist.to_internal_repr(f) for f in dist.choices] == [0.0, 1.0, 2.0]
    # Lambdas share a name: they keep their own reprs.
    first, second = (lambda: 1), (lambda: 2)
    assert _opaque_text(first) != _opaque_text(second)
    # A partial is spelled by its parts, which tell partials apart.
    clip = functools.partial(np.clip, 1, a_max=None)
    spelled = "functools.partial(<function numpy.clip>, 1, a_max=None)"
    assert _opaque_text(clip) == spelled
    other = functools.partial(np.clip, 2, a_max=None)
    dist = CategoricalDistribution([clip, other])
    assert [dist.to_internal_repr(f) for f in (clip, other)] == [0.0, 1.0]
