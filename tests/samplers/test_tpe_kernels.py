"""The TPE sampler's numeric kernels against scipy references."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from sktune.samplers._tpe._kernels import (
    log_interval_mass,
    truncnorm_log_cell_mass,
    truncnorm_logpdf,
    truncnorm_sample,
)
from sktune.samplers._tpe._parzen import (
    CATEGORICAL,
    CONTINUOUS,
    DISCRETE,
    LOG_INT,
    DimSpec,
    ParzenEstimator,
    bandwidths,
    cell_edges,
    snap,
)

CASES = [(0.5, 0.2), (0.05, 0.01), (0.9, 0.5), (-0.3, 0.1), (1.4, 0.05), (0.5, 3.0)]


def _ref(mu: float, sigma: float, low: float = 0.0, high: float = 1.0):
    return stats.truncnorm((low - mu) / sigma, (high - mu) / sigma, mu, sigma)


@pytest.mark.parametrize(("mu", "sigma"), CASES)
def test_truncnorm_logpdf_matches_scipy(mu, sigma):
    x = np.linspace(0.0, 1.0, 23)
    got = truncnorm_logpdf(x, mu, sigma, 0.0, 1.0)
    np.testing.assert_allclose(got, _ref(mu, sigma).logpdf(x), rtol=1e-9, atol=1e-9)


def test_truncnorm_logpdf_outside_is_minus_inf():
    assert truncnorm_logpdf(np.array([-0.1, 1.1]), 0.5, 0.2, 0.0, 1.0).tolist() == [
        -math.inf,
        -math.inf,
    ]


def test_log_interval_mass_deep_tails():
    # Far in either tail, a naive CDF difference is 0; ours keeps the mass.
    a, b = np.array([20.0, -40.0]), np.array([21.0, -39.0])
    ref = [
        stats.norm.logsf(20.0)
        + math.log1p(-math.exp(stats.norm.logsf(21.0) - stats.norm.logsf(20.0))),
        stats.norm.logcdf(-39.0)
        + math.log1p(-math.exp(stats.norm.logcdf(-40.0) - stats.norm.logcdf(-39.0))),
    ]
    np.testing.assert_allclose(log_interval_mass(a, b), ref, rtol=1e-9)


@pytest.mark.parametrize(("mu", "sigma"), CASES)
def test_cell_masses_match_scipy(mu, sigma):
    edges = np.linspace(0.0, 1.0, 8)
    got = truncnorm_log_cell_mass(edges[:-1], edges[1:], mu, sigma, 0.0, 1.0)
    ref = np.diff(_ref(mu, sigma).cdf(edges))
    np.testing.assert_allclose(np.exp(got), ref, rtol=1e-7, atol=1e-12)
    assert math.isclose(np.exp(got).sum(), 1.0, rel_tol=1e-9)


@pytest.mark.parametrize(("mu", "sigma"), CASES)
def test_truncnorm_sampling_moments(mu, sigma):
    rng = np.random.default_rng(0)
    n = 40_000
    x = truncnorm_sample(rng, np.full(n, mu), sigma, 0.0, 1.0)
    assert x.min() >= 0.0 and x.max() <= 1.0
    mean, var = _ref(mu, sigma).stats(moments="mv")
    se = math.sqrt(var / n)
    assert abs(x.mean() - mean) < 5 * se
    assert abs(x.var() - var) < 0.05 * var
    # And the whole distribution: a Kolmogorov-Smirnov distance.
    assert stats.kstest(x, _ref(mu, sigma).cdf).statistic < 0.01


def test_sampling_far_in_a_tail_stays_inside():
    x = truncnorm_sample(np.random.default_rng(1), np.full(100, 30.0), 0.1, 0.0, 1.0)
    assert np.all((x >= 0.99) & (x <= 1.0))


# -- discrete cells ------------------------------------------------------------------
def test_discrete_cells_snap_and_edges():
    spec = DimSpec(DISCRETE, 4)
    u = np.array([0.0, 0.2, 0.26, 0.99, 1.0])
    np.testing.assert_allclose(snap(spec, u), [0.125, 0.125, 0.375, 0.875, 0.875])
    lo, hi = cell_edges(spec, snap(spec, u))
    np.testing.assert_allclose(hi - lo, 0.25)


def test_log_int_cells_tile_the_unit_interval():
    spec = DimSpec(LOG_INT, 10, 1, 10)
    lo_span = math.log(0.5), math.log(10.5) - math.log(0.5)
    centres = (np.log(np.arange(1, 11)) - lo_span[0]) / lo_span[1]
    lo, hi = cell_edges(spec, centres)
    assert lo[0] == pytest.approx(0.0) and hi[-1] == pytest.approx(1.0)
    np.testing.assert_allclose(lo[1:], hi[:-1])
    np.testing.assert_allclose(snap(spec, centres), centres)


def _estimator(specs, mu, sigma, **kw):
    mu = np.asarray(mu, dtype=float)
    return ParzenEstimator(
        mu,
        ~np.isnan(mu),
        np.ones(len(mu)),
        np.asarray(sigma, dtype=float),
        specs,
        prior_weight=kw.get("prior_weight", 1.0),
        cat_smoothing=kw.get("cat_smoothing", 0.2),
        eps=kw.get("eps", 0.05),
    )


def test_continuous_mixture_integrates_to_one():
    pe = _estimator([DimSpec(CONTINUOUS)], [[0.1], [0.5], [0.97]], [0.05])
    total, _ = integrate.quad(
        lambda t: float(np.exp(pe.log_pdf(np.array([[t]]), np.ones((1, 1), bool)))[0]),
        0.0,
        1.0,
        points=[0.1, 0.5, 0.97],
        limit=200,
    )
    assert total == pytest.approx(1.0, rel=1e-6)


@pytest.mark.parametrize(
    "spec",
    [DimSpec(DISCRETE, 7), DimSpec(DISCRETE, 200), DimSpec(LOG_INT, 30, 1, 30)],
    ids=["coarse", "fine", "log-int"],
)
@pytest.mark.parametrize("sigma", [0.01, 0.1])
def test_discrete_cell_masses_sum_to_one(spec, sigma):
    n = spec.n
    if spec.kind == DISCRETE:
        centres = (np.arange(n) + 0.5) / n
    else:
        lo, span = spec._log_span
        centres = (np.log(np.arange(spec.low, spec.high + 1)) - lo) / span
    obs = centres[[0, n // 3, n - 1]][:, None]
    pe = _estimator([spec], obs, [sigma])
    p = np.exp(pe.log_pdf(centres[:, None], np.ones((n, 1), bool)))
    # Exact cell masses sum to 1; fine grids (cells narrower than the
    # bandwidth) use the midpoint rule, accurate to well under 1%.
    assert p.sum() == pytest.approx(1.0, rel=5e-3)


def test_exact_cell_masses_in_coarse_grids():
    spec = DimSpec(DISCRETE, 5)
    pe = _estimator([spec], [[0.3]], [0.05], prior_weight=1e-12)
    centres = (np.arange(5) + 0.5) / 5
    got = np.exp(pe.log_pdf(centres[:, None], np.ones((5, 1), bool)))
    ref = np.diff(_ref(0.3, 0.05).cdf(np.linspace(0, 1, 6)))
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-12)


def test_categorical_kernel_smooths_towards_uniform():
    spec = DimSpec(CATEGORICAL, 4)
    pe = _estimator([spec], [[2.0]], [np.nan], prior_weight=1e-12, cat_smoothing=0.2)
    p = np.exp(pe.log_pdf(np.arange(4.0)[:, None], np.ones((4, 1), bool)))
    np.testing.assert_allclose(p, [0.05, 0.05, 0.85, 0.05])


def test_presence_mismatch_scales_by_eps():
    # Two dimensions; the component has only the first.
    specs = [DimSpec(CONTINUOUS), DimSpec(CONTINUOUS)]
    pe = _estimator(specs, [[0.5, np.nan]], [0.1, 0.1], prior_weight=1e-12, eps=0.05)
    both = np.array([[0.5, 0.3]])
    only_first = np.array([[0.5, np.nan]])
    lp_both = pe.log_pdf(both, np.array([[True, True]]))[0]
    lp_first = pe.log_pdf(only_first, np.array([[True, False]]))[0]
    assert lp_first - lp_both == pytest.approx(-math.log(0.05), rel=1e-6)


def test_sampling_conditions_on_fixed_values():
    # Two components: (0.1, 0.1) and (0.9, 0.9). Fixing the first dimension
    # near 0.9 must pick the second component.
    specs = [DimSpec(CONTINUOUS), DimSpec(CONTINUOUS)]
    pe = _estimator(specs, [[0.1, 0.1], [0.9, 0.9]], [0.05, 0.05], prior_weight=1e-9)
    x, present = pe.sample(
        np.random.default_rng(0),
        200,
        fixed=np.array([0.9, np.nan]),
        fixed_present=np.array([True, False]),
    )
    assert present.all()
    assert np.all(x[:, 0] == 0.9)
    assert np.median(x[:, 1]) > 0.8


@pytest.mark.parametrize("rule", ["scott", "fixed", "neighbour"])
def test_bandwidths_shrink_with_n_and_respect_floors(rule):
    specs = [DimSpec(CONTINUOUS), DimSpec(DISCRETE, 4), DimSpec(CATEGORICAL, 3)]
    rng = np.random.default_rng(0)

    def bw(n):
        mu = np.column_stack(
            [rng.random(n), snap(specs[1], rng.random(n)), rng.integers(0, 3, n)]
        )
        return bandwidths(mu, np.ones((n, 3), bool), np.ones(n), specs, rule=rule)

    small, large = bw(10), bw(1000)
    assert np.median(large[:, 0]) < np.median(small[:, 0])
    assert large[:, 1].min() >= 0.5 / 4  # half a cell
    assert np.isnan(small[:, 2]).all()
    assert large[:, 0].min() >= 0.01  # the magic clip (neighbour) or Scott


def test_neighbour_bandwidths_follow_density():
    spec = [DimSpec(CONTINUOUS)]
    mu = np.array([[0.1], [0.12], [0.14], [0.8]])
    h = bandwidths(mu, np.ones((4, 1), bool), np.ones(4), spec, rule="neighbour")[:, 0]
    # Gaps include the bounds; the clip is 1 / (n + 2) for small n.
    np.testing.assert_allclose(h, [1 / 6, 1 / 6, 0.66, 0.66])


def test_unconditioned_sampling_follows_the_mixture():
    # Two tight components on a diagonal and a weak prior: draws must be
    # strongly correlated and centred on the components, not uniform.
    specs = [DimSpec(CONTINUOUS), DimSpec(CONTINUOUS)]
    pe = _estimator(specs, [[0.2, 0.2], [0.8, 0.8]], [0.05, 0.05], prior_weight=0.1)
    x, present = pe.sample(np.random.default_rng(0), 4000)
    assert present.all()
    assert np.corrcoef(x.T)[0, 1] > 0.8
    near = np.minimum(np.abs(x[:, 0] - 0.2), np.abs(x[:, 0] - 0.8)) < 0.15
    assert near.mean() > 0.9


def test_narrow_kernels_on_fine_grids_use_exact_cell_masses():
    # 200 cells, bandwidth below a cell: only cells near the component carry
    # mass, computed exactly at the queried cells.
    spec = DimSpec(DISCRETE, 200)
    mu = (np.array([37, 120]) + 0.5) / 200
    pe = _estimator([spec], mu[:, None], [0.003], prior_weight=1e-12)
    assert pe._exact == [0]
    centres = (np.arange(200) + 0.5) / 200
    got = np.exp(pe.log_pdf(centres[:, None], np.ones((200, 1), bool)))
    edges = np.linspace(0.0, 1.0, 201)
    ref = 0.5 * sum(np.diff(_ref(m, 0.003).cdf(edges)) for m in mu)
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-12)


def test_all_present_fast_path_matches_general_path():
    # The same mixture of a continuous, a log-int and a categorical dimension,
    # once on its own (every dimension present: the fast path) and once with
    # an extra dimension that no component and no point has (the general
    # path). A dimension absent on both sides contributes a factor 1, so the
    # densities and the bandwidths must agree.
    rng = np.random.default_rng(0)
    specs = [
        DimSpec(CONTINUOUS),
        DimSpec(LOG_INT, 100, 1, 100),
        DimSpec(CATEGORICAL, 3),
    ]
    n = 12
    mu = np.column_stack(
        [
            rng.random(n),
            snap(specs[1], rng.random(n)),
            rng.integers(3, size=n).astype(float),
        ]
    )
    w = rng.random(n) + 0.5
    pres = np.ones_like(mu, dtype=bool)
    sigma = bandwidths(mu, pres, w, specs)
    wide_specs = [*specs, DimSpec(CONTINUOUS)]
    wide_mu = np.column_stack([mu, np.full(n, np.nan)])
    wide_pres = ~np.isnan(wide_mu)
    wide_sigma = bandwidths(wide_mu, wide_pres, w, wide_specs)
    np.testing.assert_array_equal(wide_sigma[:, :3], sigma)
    kw = {"prior_weight": 1.0, "cat_smoothing": 0.2, "eps": 0.05}
    fast = ParzenEstimator(mu, pres, w, sigma, specs, **kw)
    general = ParzenEstimator(wide_mu, wide_pres, w, wide_sigma, wide_specs, **kw)
    assert fast.all_present and not general.all_present
    x = np.column_stack(
        [rng.random(30), snap(specs[1], rng.random(30)), rng.integers(3, size=30)]
    ).astype(float)
    wide_x = np.column_stack([x, np.full(30, np.nan)])
    np.testing.assert_allclose(
        general.log_pdf(wide_x, ~np.isnan(wide_x)),
        fast.log_pdf(x, np.ones_like(x, dtype=bool)),
        rtol=1e-12,
        atol=1e-12,
    )


def _diagonal_group(specs, n_dims=2):
    """Four good trials on the diagonal x = y (and a categorical, if any)."""
    t = np.array([0.2, 0.4, 0.6, 0.8])
    mu = np.column_stack([t, t] + [np.array([0.0, 1.0, 0.0, 1.0])] * (n_dims - 2))
    present = np.ones(mu.shape, dtype=bool)
    sigma = bandwidths(mu, present, np.ones(4), specs)
    return ParzenEstimator(
        mu, present, np.ones(4), sigma, specs, prior_weight=1.0,
        cat_smoothing=0.2, eps=0.05,
    )  # fmt: skip


def test_correlated_draws_follow_the_good_group_along_its_diagonal():
    # Product kernels spread as much across the diagonal as along it; the
    # full-covariance kernels spread along it, so x - y stays small.
    pe = _diagonal_group([DimSpec(CONTINUOUS), DimSpec(CONTINUOUS)])
    rng = np.random.default_rng(0)
    plain, _ = pe.sample(rng, 4000)
    redrawn = plain.copy()
    pe.resample_correlated(rng, redrawn, 1.0)
    across = lambda x: np.std(x[:, 0] - x[:, 1])  # noqa: E731
    along = lambda x: np.std(x[:, 0] + x[:, 1])  # noqa: E731
    assert np.all(redrawn != plain)
    assert across(redrawn) < 0.5 * across(plain)
    assert along(redrawn) > 0.9 * along(plain)
    assert redrawn.min() >= 0.0 and redrawn.max() <= 1.0


def test_correlated_draws_replace_the_fraction_and_keep_grids_and_choices():
    specs = [DimSpec(CONTINUOUS), DimSpec(DISCRETE, 5), DimSpec(CATEGORICAL, 2)]
    pe = _diagonal_group(specs, n_dims=3)
    rng = np.random.default_rng(1)
    x, _ = pe.sample(rng, 24)
    before = x.copy()
    pe.resample_correlated(rng, x, 0.5)
    changed = (x != before).any(axis=1)
    assert changed.sum() == 12
    np.testing.assert_array_equal(x[:, 2], before[:, 2])  # categoricals kept
    np.testing.assert_array_equal(x[:, 1], snap(specs[1], x[:, 1]))
    again = x.copy()
    pe.resample_correlated(rng, x, 0.0)
    np.testing.assert_array_equal(x, again)


def test_correlated_draws_leave_conditional_groups_alone():
    specs = [DimSpec(CONTINUOUS), DimSpec(CONTINUOUS)]
    mu = np.array([[0.2, 0.2], [0.4, np.nan], [0.6, 0.6]])
    present = ~np.isnan(mu)
    pe = ParzenEstimator(
        mu, present, np.ones(3), bandwidths(mu, present, np.ones(3), specs), specs,
        prior_weight=1.0, cat_smoothing=0.2, eps=0.05,
    )  # fmt: skip
    x = np.full((10, 2), 0.5)
    pe.resample_correlated(np.random.default_rng(0), x, 1.0)
    assert np.all(x == 0.5)
