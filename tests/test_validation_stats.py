"""Known answers for the statistics of the validation protocol.

Each reference value comes either from a hand calculation written out in
the test, or from the independent implementation in scipy or statsmodels
named beside it; tolerances are at rounding level unless stated.
"""

import inspect

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.dist_dependence_measures import distance_correlation
import statsmodels.api as sm
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.stats.multitest import multipletests

from ddpm_lib import validation_stats as vs
from ddpm_lib.validation import _holm


@pytest.fixture
def two_samples():
    rng = np.random.default_rng(1)
    return np.sort(rng.standard_normal(300)), np.sort(rng.standard_normal(250) + 0.1)


# --- one column ----------------------------------------------------------------

def test_ks_two_sample_by_hand_and_scipy(two_samples):
    # pooled points 1, 2, 2.5, 3, 4: F_a = 1/3, 2/3, 2/3, 1, 1 and
    # F_b = 0, 0, 1/2, 1/2, 1, so the largest gap is 2/3 (at 2)
    assert vs.ks_two_sample(np.array([1.0, 2, 3]), np.array([2.5, 4])) == pytest.approx(2 / 3)
    a, b = two_samples
    assert vs.ks_two_sample(a, b) == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-12)


def test_ks_and_cvm_one_sample(two_samples):
    # one point at 0.5 under U(0, 1): D = 0.5; W^2 = 1/12 + (1/2 - 1/2)^2 = 1/12
    half = np.array([0.5])
    assert vs.ks_one_sample(half, stats.uniform.cdf) == pytest.approx(0.5)
    assert vs.cvm_one_sample(half, stats.uniform.cdf) == pytest.approx(1 / 12)
    a, _ = two_samples
    assert vs.ks_one_sample(a, stats.norm.cdf) == pytest.approx(
        stats.kstest(a, "norm").statistic, rel=1e-12)
    assert vs.cvm_one_sample(a, stats.norm.cdf) == pytest.approx(
        stats.cramervonmises(a, "norm").statistic, rel=1e-12)


def test_wasserstein1(two_samples):
    # [0, 1] against [0.5]: |F_a - F_b| is 1/2 on [0, 1/2) and 1/2 on [1/2, 1)
    assert vs.wasserstein1(np.array([0.0, 1.0]), np.array([0.5])) == pytest.approx(0.5)
    a, b = two_samples
    assert vs.wasserstein1(a, b) == pytest.approx(stats.wasserstein_distance(a, b), rel=1e-12)
    assert vs.wasserstein1(a[:250], b) == pytest.approx(
        stats.wasserstein_distance(a[:250], b), rel=1e-12)


@pytest.mark.filterwarnings("ignore:p-value floored")
def test_anderson_darling_matches_scipy_up_to_its_standardization(two_samples):
    # scipy returns T = (A2 - (k - 1)) / sigma_N, with sigma_N fixed by the
    # sample sizes alone: two pairs of samples of the same sizes determine
    # sigma_N, and then A2 = 1 + sigma_N T must hold for both
    a, b = two_samples
    rng = np.random.default_rng(2)
    c, d = np.sort(rng.standard_normal(300)), np.sort(1.3 * rng.standard_normal(250))
    # the right-continuous form: variant="right" since scipy 1.17, midrank=False before
    right = ({"variant": "right"} if "variant" in inspect.signature(stats.anderson_ksamp)
             .parameters else {"midrank": False})
    t1 = stats.anderson_ksamp([a, b], **right).statistic
    t2 = stats.anderson_ksamp([c, d], **right).statistic
    a1, a2 = vs.anderson_darling_2samp(a, b), vs.anderson_darling_2samp(c, d)
    sigma = (a1 - a2) / (t1 - t2)
    assert a1 == pytest.approx(1 + sigma * t1, rel=1e-9)
    assert a2 == pytest.approx(1 + sigma * t2, rel=1e-9)
    assert a1 > 0 and a2 > 0


def test_quantile_gaps():
    x = np.arange(101.0)
    assert vs.quantile_gaps(x, x + 2, [0.1, 0.9]) == pytest.approx([2.0, 2.0])


# --- rows --------------------------------------------------------------------------

def test_energy_distance(two_samples):
    # one point each, 5 apart: 2 * 5 - 0 - 0 = 10
    assert vs.energy_distance(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]])) \
        == pytest.approx(np.sqrt(10))
    a, b = two_samples
    assert vs.energy_distance(a, b) == pytest.approx(stats.energy_distance(a, b), rel=1e-9)
    assert vs.energy_distance(a, a) == 0.0


def test_sliced_wasserstein_of_a_shift():
    # every projection of a shift by v moves by u.v; W1 of a shift is |u.v|
    rng = np.random.default_rng(3)
    x = rng.standard_normal((400, 2))
    dirs = vs.unit_directions(2, 20, rng)
    shift = np.array([0.3, -0.1])
    ref = np.sort(vs.project(x + shift, dirs), axis=0)
    assert vs.sliced_wasserstein(x, ref, dirs) == pytest.approx(np.mean(np.abs(dirs @ shift)))
    assert np.allclose(np.linalg.norm(dirs, axis=1), 1.0)


# --- dependence ----------------------------------------------------------------------

def test_pearson_and_spearman():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((200, 3))
    x[:, 1] += x[:, 0]
    assert np.allclose(vs.pearson_matrix(x), np.corrcoef(x.T))
    assert np.allclose(vs.spearman_matrix(x), stats.spearmanr(x).statistic)
    constant = np.column_stack([x[:, 0], np.ones(200)])  # no warning, no NaN
    assert np.array_equal(vs.pearson_matrix(constant), np.eye(2))
    assert np.array_equal(vs.off_diagonal(np.arange(9).reshape(3, 3)), [1, 2, 5])


def test_chatterjee_xi_by_hand():
    # y = x on 4 points: ranks 1, 2, 3, 4, sum |diff| = 3, xi = 1 - 3 * 3 / (16 - 1)
    x = np.array([1.0, 2, 3, 4])
    assert vs.chatterjee_xi(x, x) == pytest.approx(0.4)
    # ties in y = [1, 1, 2]: r = #{y_j <= y_i} = 2, 2, 3; l = #{y_j >= y_i} = 3, 3, 1;
    # xi = 1 - 3 * (0 + 1) / (2 * (0 + 0 + 1 * 2)) = 0.25
    assert vs.chatterjee_xi(np.array([1.0, 2, 3]), np.array([1.0, 1, 2])) == pytest.approx(0.25)


@pytest.mark.skipif(not hasattr(stats, "chatterjeexi"), reason="scipy < 1.15")
def test_chatterjee_xi_matches_scipy():
    rng = np.random.default_rng(5)
    u = rng.standard_normal(500)
    v = u ** 2 + 0.1 * rng.standard_normal(500)
    assert vs.chatterjee_xi(u, v) == pytest.approx(stats.chatterjeexi(u, v).statistic,
                                                   rel=1e-12)
    w = np.round(v, 1)  # ties in y
    assert vs.chatterjee_xi(u, w) == pytest.approx(stats.chatterjeexi(u, w).statistic,
                                                   rel=1e-12)
    assert vs.chatterjee_xi(u, np.ones(500)) == 0.0


def test_distance_correlation_matches_statsmodels():
    rng = np.random.default_rng(6)
    x = rng.standard_normal(300)
    y = x ** 2 + 0.2 * rng.standard_normal(300)
    assert vs.distance_correlation(x, y) == pytest.approx(distance_correlation(x, y),
                                                          rel=1e-10)
    assert vs.distance_correlation(x, 3 * x + 1) == pytest.approx(1.0)
    assert vs.distance_correlation(x, np.zeros(300)) == 0.0


def test_ols_line_and_pooled_ar1_match_statsmodels():
    rng = np.random.default_rng(7)
    x = rng.standard_normal(200)
    y = 1.0 - 0.5 * x + 0.1 * rng.standard_normal(200)
    fit = sm.OLS(y, sm.add_constant(x)).fit()
    intercept, slope, resid = vs.ols_line(x, y)
    assert [intercept, slope] == pytest.approx(fit.params, rel=1e-10)
    assert np.allclose(resid, fit.resid)
    rows = rng.standard_normal((100, 6)).cumsum(axis=1)
    c, phi, sigma, res = vs.pooled_ar1(rows)
    fit = sm.OLS(rows[:, 1:].ravel(), sm.add_constant(rows[:, :-1].ravel())).fit()
    assert [c, phi] == pytest.approx(fit.params, rel=1e-10)
    assert sigma == pytest.approx(np.sqrt(fit.scale), rel=1e-10)
    assert res.shape == (100, 5)


def test_ljung_box_matches_statsmodels():
    e = np.random.default_rng(8).standard_normal(300)
    e[1:] += 0.3 * e[:-1]
    lb = acorr_ljungbox(e, lags=[4])
    assert vs.ljung_box_q(e, 4) == pytest.approx(float(lb["lb_stat"].iloc[0]), rel=1e-10)


def test_lag_correlations_by_hand():
    # column j + 1 equals column j: every lag has correlation 1
    base = np.random.default_rng(9).standard_normal(50)
    assert vs.lag_correlations(np.column_stack([base] * 4), 3) == pytest.approx([1, 1, 1])


def test_mixture_responsibilities_and_bridge():
    means = np.array([[-2.0, -2.0], [2.0, 2.0]])
    r = vs.mixture_responsibilities(np.array([[0.0, 0.0], [30.0, 30.0]]), [0.5, 0.5],
                                    means, 0.5)
    assert r[0] == pytest.approx([0.5, 0.5])  # the midpoint: equal odds
    assert r[1] == pytest.approx([0.0, 1.0])  # far beyond the second mean, no overflow
    # projections on the segment from the nearest mean: (0, 0) -> t = 0.5,
    # (0.5, 0.5) -> t = 12/32, (1, 1) -> t = 8/32 = 0.25 (not inside), (-2, -2) -> 0
    pts = np.array([[0.0, 0.0], [0.5, 0.5], [1.0, 1.0], [-2.0, -2.0]])
    assert vs.bridge_share(pts, means) == pytest.approx(0.5)


def test_nearest_distance():
    ref = np.array([[0.0, 0.0], [10.0, 0.0]])
    assert vs.nearest_distance(np.array([[3.0, 4.0], [10.0, 1.0]]), ref) \
        == pytest.approx([5.0, 1.0])


def test_count_below_order_statistic_p():
    # 2 values against 3 others, k = 1: both below the smallest of the 3 means
    # both are the 2 smallest of 5, probability 1 / C(5, 2) = 0.1
    assert vs.count_below_order_statistic_p(2, 2, 1, 3) == pytest.approx(0.1)
    assert vs.count_below_order_statistic_p(0, 2, 1, 3) == 1.0
    # simulation of exchangeable values agrees with the exact tail
    rng = np.random.default_rng(10)
    hits = 0
    for _ in range(4000):
        a, b = rng.random(20), np.sort(rng.random(30))
        hits += np.sum(a < b[2]) >= 5
    assert hits / 4000 == pytest.approx(vs.count_below_order_statistic_p(5, 20, 3, 30),
                                        abs=0.015)


# --- p-values and Holm ------------------------------------------------------------------

def test_floor_p_value():
    floor = np.arange(1.0, 201.0)  # B = 200 draws 1..200
    assert vs.floor_p_value(150.5, floor) == ((1 + 50) / 201, "monte carlo")
    assert vs.floor_p_value(200.0, floor)[0] == pytest.approx(2 / 201)
    # beyond every draw: a gamma tail, never above the Monte-Carlo 1 / (B + 1)
    p, method = vs.floor_p_value(400.0, floor)
    mean, var = floor.mean(), floor.var(ddof=1)
    assert method == "gamma tail"
    assert p == pytest.approx(stats.gamma.sf(400.0, mean ** 2 / var, scale=var / mean))
    assert vs.floor_p_value(201.0, floor)[0] <= 1 / 201
    # distances: a normal law on log D instead
    logs = np.log(floor)
    p, method = vs.floor_p_value(3000.0, floor, "lognormal")
    assert method == "log-normal tail"
    assert p == pytest.approx(stats.norm.sf((np.log(3000) - logs.mean()) / logs.std(ddof=1)))
    assert vs.floor_p_value(400.0, np.r_[0.0, floor], "lognormal")[1] == "gamma tail"
    assert vs.floor_p_value(1.0, np.zeros(50)) == (0.0, "beyond a constant floor")
    assert vs.floor_p_value(0.0, np.zeros(50))[0] == 1.0


def test_holm_is_statsmodels_multipletests():
    p = {"a": 0.01, "b": 0.04, "c": 0.03, "d": 0.5}
    expected = multipletests(list(p.values()), method="holm")[1]
    assert list(_holm(p, 0.05).values()) == pytest.approx(expected)
    # by hand: sorted 0.01, 0.03, 0.04, 0.5 times 4, 3, 2, 1, then running max
    assert _holm(p, 0.05) == pytest.approx({"a": 0.04, "c": 0.09, "b": 0.09, "d": 0.5})
