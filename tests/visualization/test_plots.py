"""Every plot on a Study: the data drawn, labels, scales and states."""

from __future__ import annotations

import math
import subprocess
import sys

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

import sktune
from sktune import visualization as vis
from sktune.importance import FanovaImportanceEvaluator, get_param_importances
from sktune.trial import TrialState
from sktune.visualization._base import STATE_COLORS

N_TRIALS = 30


def _objective(trial):
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    depth = trial.suggest_int("depth", 1, 8)
    kernel = trial.suggest_categorical("kernel", ["rbf", "linear", "poly"])
    value = (math.log10(lr) + 2) ** 2 + 0.1 * depth
    if kernel == "poly":
        value += trial.suggest_float("coef0", 0.0, 1.0)
    if trial.number % 10 == 9:
        raise ValueError("failed on purpose")
    for step in range(4):
        trial.report(value + 1.0 / (step + 1), step)
        if step == 1 and trial.number % 7 == 6:
            raise sktune.TrialPruned()
    return value


def _make_study(direction="minimize", name=None, seed=0):
    study = sktune.create_study(
        direction=direction,
        study_name=name,
        sampler=sktune.samplers.RandomSampler(seed=seed),
    )
    study.optimize(_objective, n_trials=N_TRIALS, catch=(ValueError,))
    return study


@pytest.fixture(scope="module")
def study():
    return _make_study()


def _by_state(study, state):
    return [t for t in study.trials if t.state == state]


def _offsets(ax):
    return [c.get_offsets() for c in ax.collections]


def test_optimization_history(study):
    complete = _by_state(study, TrialState.COMPLETE)
    pruned = _by_state(study, TrialState.PRUNED)
    failed = _by_state(study, TrialState.FAIL)
    assert complete and pruned and failed
    display = vis.OptimizationHistoryDisplay.from_study(study)
    ax = display.ax_
    assert display.figure_ is ax.figure
    values = np.array([t.value for t in complete])
    np.testing.assert_allclose(display.values[0], values)
    np.testing.assert_allclose(display.best_values[0], np.minimum.accumulate(values))
    # points drawn: complete trials, then pruned ones at their last report
    points, crosses = _offsets(ax)
    assert len(points) == len(complete)
    np.testing.assert_allclose(points[:, 1], values)
    assert len(crosses) == len(pruned)
    np.testing.assert_allclose(
        crosses[:, 1], [t.intermediate_values[1] for t in pruned]
    )
    assert list(display.failed_numbers[0]) == [t.number for t in failed]
    assert ax.get_ylabel() == "Objective Value (minimize)"
    assert ax.get_xlabel() == "Trial"
    labels = ax.get_legend_handles_labels()[1]
    assert {"Best Value", "Pruned (last reported)", "Failed"} <= set(labels)


def test_optimization_history_maximize_and_several_studies():
    studies = [
        _make_study("maximize", name="first", seed=1),
        _make_study("maximize", name="second", seed=2),
    ]
    _fig, ax = plt.subplots()
    out = vis.plot_optimization_history(studies, ax=ax)
    assert out is ax
    assert ax.get_ylabel() == "Objective Value (maximize)"
    labels = ax.get_legend_handles_labels()[1]
    assert "Best Value (first)" in labels and "Best Value (second)" in labels
    display = vis.OptimizationHistoryDisplay.from_study(studies, error_bar=True)
    for values, best in zip(display.values, display.best_values):
        np.testing.assert_allclose(best, np.maximum.accumulate(values))
    assert display.error_bar


def test_plot_optimization_history_as_optuna_users_write_it(study):
    ax = vis.plot_optimization_history(study, target_name="Loss")
    assert isinstance(ax, matplotlib.axes.Axes)
    assert ax.get_ylabel() == "Loss (minimize)"
    ax = vis.plot_optimization_history(study, target=lambda t: -t.value)
    values = [-t.value for t in _by_state(study, TrialState.COMPLETE)]
    np.testing.assert_allclose(_offsets(ax)[0][:, 1], values)


def test_param_importances(study):
    evaluator = FanovaImportanceEvaluator(n_trees=8, seed=0)
    ax = vis.plot_param_importances(study, evaluator=evaluator)
    expected = get_param_importances(study, evaluator=evaluator)
    names = [t.get_text() for t in ax.get_yticklabels()]
    assert names == list(expected)[::-1]  # most important on top
    widths = [p.get_width() for p in ax.patches]
    np.testing.assert_allclose(widths, [expected[n] for n in names])
    assert ax.get_xlabel() == "Importance for Objective Value"
    display = vis.ParamImportancesDisplay.from_study(
        study, evaluator=evaluator, params=["lr", "depth"]
    )
    assert set(display.params) == {"lr", "depth"}


def test_plot_param_importances_as_optuna_users_write_it(study):
    ax = vis.plot_param_importances(study)  # default fANOVA, unseeded
    names = {t.get_text() for t in ax.get_yticklabels()}
    assert names == {"lr", "depth", "kernel", "coef0"}
    assert sum(p.get_width() for p in ax.patches) == pytest.approx(1.0)


def test_slice(study):
    display = vis.SliceDisplay.from_study(study)
    assert display.params == ["lr", "depth", "kernel", "coef0"]
    axes = display.ax_
    assert axes.shape == (4,)
    lr_ax, depth_ax, kernel_ax, coef_ax = axes
    complete = _by_state(study, TrialState.COMPLETE)
    assert len(_offsets(lr_ax)[0]) == len(complete)
    # the conditional parameter: only the trials that have it
    with_coef = [t for t in complete if "coef0" in t.params]
    assert 0 < len(_offsets(coef_ax)[0]) == len(with_coef) < len(complete)
    assert lr_ax.get_xscale() == "log"
    assert depth_ax.get_xscale() == "linear"
    assert [t.get_text() for t in kernel_ax.get_xticklabels()] == [
        "rbf",
        "linear",
        "poly",
    ]
    kernels = [t.params["kernel"] for t in complete]
    np.testing.assert_array_equal(
        _offsets(kernel_ax)[0][:, 0],
        [["rbf", "linear", "poly"].index(k) for k in kernels],
    )
    assert lr_ax.get_ylabel() == "Objective Value (minimize)"
    assert [a.get_xlabel() for a in axes] == display.params
    # pruned trials drawn as crosses, in the pruned colour
    pruned = _by_state(study, TrialState.PRUNED)
    crosses = lr_ax.collections[1]
    assert len(crosses.get_offsets()) == len(pruned)
    assert matplotlib.colors.same_color(
        crosses.get_facecolor()[0], STATE_COLORS[TrialState.PRUNED]
    )


def test_slice_one_parameter_on_given_axes(study):
    _fig, ax = plt.subplots()
    out = vis.plot_slice(study, params=["depth"], ax=ax)
    assert out is ax
    with pytest.raises(ValueError, match="must hold 2 axes"):
        vis.plot_slice(study, params=["depth", "lr"], ax=ax)


def test_contour_two_parameters(study):
    display = vis.ContourDisplay.from_study(study, params=["depth", "lr"])
    ax = display.ax_
    assert ax.get_xlabel() == "depth" and ax.get_ylabel() == "lr"
    assert ax.get_yscale() == "log" and ax.get_xscale() == "linear"
    _x, y, z = display.points["depth", "lr"]
    complete = _by_state(study, TrialState.COMPLETE)
    assert len(z) == len(complete)
    np.testing.assert_allclose(sorted(y), sorted(t.params["lr"] for t in complete))
    _gx, gy, gz = display.grids["depth", "lr"]
    assert gz.shape == (100, 100)
    # the interpolated surface stays within the observed values
    assert np.nanmin(gz) >= z.min() - 1e-9 and np.nanmax(gz) <= z.max() + 1e-9
    # log axis: the grid is even in log space
    np.testing.assert_allclose(np.diff(np.log(gy[:, 0])), np.log(gy[1, 0] / gy[0, 0]))
    assert len(_offsets(ax)[-1]) == len(complete)


def test_contour_grid_and_categorical_labels(study):
    axes = vis.plot_contour(study, params=["lr", "depth", "kernel"])
    assert axes.shape == (3, 3)
    assert not axes[0, 0].axison
    assert [t.get_text() for t in axes[2, 0].get_yticklabels()] == [
        "rbf",
        "linear",
        "poly",
    ]
    assert axes[0, 1].get_xlabel() == "depth" and axes[0, 1].get_ylabel() == "lr"
    with pytest.raises(ValueError, match="must name at least 2 parameters"):
        vis.plot_contour(study, params=["lr"])
    empty = sktune.create_study()
    with pytest.warns(UserWarning, match="fewer than 2 parameters"):
        ax = vis.plot_contour(empty)
    assert len(ax.collections) == 0


def test_parallel_coordinate(study):
    display = vis.ParallelCoordinateDisplay.from_study(
        study, params=["lr", "kernel", "coef0"]
    )
    ax = display.ax_
    complete = _by_state(study, TrialState.COMPLETE)
    (lines,) = [c for c in ax.collections if hasattr(c, "get_segments")]
    assert len(lines.get_segments()) == len(complete)
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "Objective Value",
        "lr",
        "kernel",
        "coef0",
    ]
    pos = display.positions
    assert pos.shape == (len(complete), 4)
    finite = pos[np.isfinite(pos)]
    assert finite.min() == 0.0 and finite.max() == 1.0
    # lr is placed in log space
    lr = np.log10([t.params["lr"] for t in complete])
    np.testing.assert_allclose(pos[:, 1], (lr - lr.min()) / np.ptp(lr))
    # an absent conditional parameter has no position
    assert np.isnan(pos[:, 3]).sum() == sum("coef0" not in t.params for t in complete)
    texts = {t.get_text() for t in ax.texts}
    assert {"rbf", "linear", "poly"} <= texts


def test_intermediate_values(study):
    display = vis.IntermediateValuesDisplay.from_study(study)
    ax = display.ax_
    reported = [t for t in study.trials if t.intermediate_values]
    assert len(ax.get_lines()) == len(reported) == len(display.numbers)
    for line, t in zip(ax.get_lines(), reported):
        np.testing.assert_allclose(
            line.get_ydata(),
            [t.intermediate_values[s] for s in sorted(t.intermediate_values)],
        )
        assert (line.get_linestyle() == "--") == (t.state == TrialState.PRUNED)
    assert ax.get_xlabel() == "Step"


def test_edf(study):
    other = _make_study(name="other", seed=5)
    display = vis.EDFDisplay.from_study([study, other])
    ax = display.ax_
    lines = ax.get_lines()
    assert len(lines) == 2
    complete = _by_state(study, TrialState.COMPLETE)
    np.testing.assert_allclose(lines[0].get_xdata(), sorted(t.value for t in complete))
    assert lines[0].get_ydata()[-1] == 1.0
    assert ax.get_xlabel() == "Objective Value (minimize)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        study.study_name,
        "other",
    ]


def test_timeline(study):
    display = vis.TimelineDisplay.from_study(study)
    ax = display.ax_
    assert len(ax.patches) == N_TRIALS
    for patch, state in zip(ax.patches, display.states):
        assert matplotlib.colors.same_color(patch.get_facecolor(), STATE_COLORS[state])
    assert {TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL} <= set(
        display.states
    )
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["Complete", "Pruned", "Fail"]


def test_no_global_style_change(study):
    before = dict(matplotlib.rcParams)
    evaluator = FanovaImportanceEvaluator(n_trees=4, seed=0)
    for plot in (
        vis.plot_optimization_history,
        vis.plot_slice,
        vis.plot_contour,
        vis.plot_parallel_coordinate,
        vis.plot_intermediate_values,
        vis.plot_edf,
        vis.plot_timeline,
    ):
        plot(study)
    vis.plot_param_importances(study, evaluator=evaluator)
    after = dict(matplotlib.rcParams)
    assert {k for k in before if before[k] != after[k]} == set()


def test_plot_returns_display_with_new_axes(study):
    display = vis.EDFDisplay.from_study(study)
    fig, ax = plt.subplots()
    assert display.plot(ax=ax) is display
    assert display.ax_ is ax and display.figure_ is fig


def test_errors(study):
    with pytest.raises(TypeError, match="a list of studies is not supported"):
        vis.plot_slice([study])
    with pytest.raises(ValueError, match="unknown \\['nope'\\]"):
        vis.plot_slice(study, params=["nope"])
    with pytest.raises(ValueError, match="metric name is only meaningful"):
        vis.plot_edf(study, target="accuracy")
    with pytest.raises(TypeError, match="use from_study for a Study"):
        vis.SliceDisplay.from_estimator(study)
    with pytest.raises(TypeError, match="must be a sktune Study"):
        vis.plot_timeline(42)


@pytest.mark.parametrize(
    "plot",
    [
        vis.plot_optimization_history,
        vis.plot_slice,
        vis.plot_contour,
        vis.plot_parallel_coordinate,
        vis.plot_intermediate_values,
        vis.plot_edf,
        vis.plot_timeline,
    ],
)
def test_missing_matplotlib_names_the_plot_extra(study, monkeypatch, plot):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"sktune\[plot\]"):
        plot(study)


def test_importing_visualization_does_not_import_matplotlib():
    code = (
        "import sys, sktune.visualization, sktune.importance\n"
        "print(','.join(m for m in ('matplotlib', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("n_complete", [0, 1])
def test_param_importances_with_fewer_than_two_trials_is_an_empty_chart(n_complete):
    # As Optuna's plot, which draws rather than raises on such a study.
    study = sktune.create_study()
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=n_complete)
    with pytest.warns(UserWarning, match="fewer than 2 complete trials"):
        ax = vis.plot_param_importances(study)
    assert len(ax.patches) == 0


def _study_of(values, direction="minimize", params=None):
    study = sktune.create_study(direction=direction)
    for i, v in enumerate(values):
        p, d = params[i] if params else ({}, {})
        study.add_trial(sktune.create_trial(value=v, params=p, distributions=d))
    return study


def test_plots_merge_choices_and_scales_that_change_between_trials():
    # Branches offering different choices (an estimator chosen per branch),
    # and a parameter on a log scale in one trial and a linear one in another.
    cat_ab = sktune.distributions.CategoricalDistribution(["a", "b"])
    cat_cd = sktune.distributions.CategoricalDistribution(["c", "d"])
    log = sktune.distributions.FloatDistribution(0.1, 1.0, log=True)
    lin = sktune.distributions.FloatDistribution(0.0, 2.0)
    params = [
        ({"k": "a", "x": 0.5}, {"k": cat_ab, "x": log}),
        ({"k": "d", "x": 0.0}, {"k": cat_cd, "x": lin}),
        ({"k": "b", "x": 1.5}, {"k": cat_ab, "x": lin}),
    ]
    study = _study_of([1.0, 2.0, 3.0], params=params)
    ax = vis.plot_slice(study, params=["k"])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c", "d"]
    np.testing.assert_allclose(ax.collections[0].get_offsets()[:, 0], [0, 3, 1])
    ax = vis.plot_slice(study, params=["x"])
    assert ax.get_xscale() == "linear"
    vis.plot_contour(study)
    vis.plot_parallel_coordinate(study)
    bad = _study_of(
        [1.0, 2.0],
        params=[({"k": "a"}, {"k": cat_ab}), ({"k": 0.5}, {"k": lin})],
    )
    with pytest.raises(ValueError, match="Parameter 'k' changes its kind"):
        vis.plot_slice(bad)
    plt.close("all")


def test_error_bar_covers_the_longest_study_and_ends_each_at_its_last_trial():
    long_ = _study_of([4.0, 1.0, 2.0, 1.0])
    short = _study_of([4.0, 2.0])
    display = vis.OptimizationHistoryDisplay.from_study([long_, short], error_bar=True)
    best = [
        line for line in display.ax_.get_lines() if line.get_label() == "Best Value"
    ]
    np.testing.assert_allclose(best[0].get_xdata(), [0, 1, 2, 3])
    # trial 1: mean of 1 and 2; from trial 2 on, the long study alone
    np.testing.assert_allclose(best[0].get_ydata(), [4.0, 1.5, 1.0, 1.0])
    plt.close("all")


def test_best_value_line_counts_an_infinite_value():
    study = _study_of([1.0, math.inf, 2.0], direction="maximize")
    display = vis.OptimizationHistoryDisplay.from_study(study)
    np.testing.assert_array_equal(display.best_values[0], [1.0, math.inf, math.inf])
    plt.close("all")


def test_mixed_directions_claim_no_direction():
    studies = [_study_of([1.0, 2.0]), _study_of([1.0, 2.0], direction="maximize")]
    assert vis.plot_optimization_history(studies).get_ylabel() == "Objective Value"
    assert vis.plot_edf(studies).get_xlabel() == "Objective Value"
    with pytest.raises(ValueError, match="error_bar=True needs studies of one"):
        vis.plot_optimization_history(studies, error_bar=True)
    plt.close("all")


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_colour_maps_draw_the_best_trials_darkest(direction):
    lin = sktune.distributions.FloatDistribution(0.0, 1.0)
    params = [
        ({"x": x, "y": y}, {"x": lin, "y": lin})
        for x, y in np.random.default_rng(0).random((8, 2))
    ]
    values = [float(i) for i in range(8)]
    study = _study_of(values, direction=direction, params=params)
    best = max(values) if direction == "maximize" else min(values)
    worst = min(values) if direction == "maximize" else max(values)

    def luminance(rgba):
        return float(np.dot(rgba[:3], [0.299, 0.587, 0.114]))

    ax = vis.plot_parallel_coordinate(study)
    lines = next(c for c in ax.collections if c.get_array() is not None)
    assert luminance(lines.cmap(lines.norm(best))) < luminance(
        lines.cmap(lines.norm(worst))
    )
    axes = np.atleast_1d(vis.plot_contour(study))
    filled = [
        c for a in np.ravel(axes) for c in a.collections if c.get_array() is not None
    ]
    cmap, norm = filled[0].cmap, filled[0].norm
    assert luminance(cmap(norm(best))) < luminance(cmap(norm(worst)))
    plt.close("all")
