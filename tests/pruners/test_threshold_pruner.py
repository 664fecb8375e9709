"""ThresholdPruner decisions on hand-made values."""

from __future__ import annotations

import math

import pytest
from pruner_helpers import make_study, probe

from sktune.pruners import ThresholdPruner


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_bounds_are_absolute(direction):
    study = make_study(ThresholdPruner(lower=0.0, upper=1.0), direction)
    assert probe(study, [0.0, 1.0, 0.5, 1.5]) == [False, False, False, True]
    assert probe(study, [0.5, -0.1]) == [False, True]


def test_only_the_latest_value_counts():
    study = make_study(ThresholdPruner(upper=1.0))
    assert probe(study, [2.0, 0.5]) == [True, False]


def test_one_sided_bounds():
    assert probe(make_study(ThresholdPruner(upper=1.0)), [-1e9, 1.1]) == [False, True]
    assert probe(make_study(ThresholdPruner(lower=1.0)), [1e9, 0.9]) == [False, True]


def test_nan_is_pruned():
    study = make_study(ThresholdPruner(lower=-math.inf, upper=math.inf))
    assert probe(study, [0.0, math.nan, 0.0]) == [False, True, False]


def test_warmup_and_interval():
    study = make_study(ThresholdPruner(upper=0.0, n_warmup_steps=2, interval_steps=2))
    # Checks at steps 2, 4, 6.
    assert probe(study, [1.0] * 7) == [False, False, True, False, True, False, True]
    # Step 4 skipped: checked at 5 instead.
    assert probe(study, {0: 1.0, 2: 1.0, 3: 1.0, 5: 1.0, 6: 1.0}) == [
        False,
        True,
        False,
        True,
        True,
    ]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "'lower' and 'upper' parameters of ThresholdPruner must not both be None"),
        ({"lower": 2.0, "upper": 1.0}, "'lower' parameter .* <= upper=1.0. Got 2.0"),
        ({"lower": "0"}, "'lower' parameter of ThresholdPruner must be a float"),
        ({"upper": math.nan}, "'upper' parameter"),
        ({"upper": 1.0, "n_warmup_steps": -1}, "'n_warmup_steps' parameter .* >= 0"),
        ({"upper": 1.0, "interval_steps": 0}, "'interval_steps' parameter .* >= 1"),
    ],
)
def test_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ThresholdPruner(**kwargs)
