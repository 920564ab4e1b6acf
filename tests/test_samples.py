"""Known answers for ddpm_lib.samples: every structure's default law.

Reference moments are written out by hand from each law's definition (the
comment beside each says how); statistical tolerances are a number of
standard errors, with fixed seeds so that the tests are deterministic.
"""

import math

import numpy as np
import pytest
from scipy import stats

from ddpm_lib.samples import STRUCTURES, custom_law, get_law, make_samples

N = 20_000


def se_mean(var, n=N):
    return math.sqrt(var / n)


def test_structure_names():
    assert {"linear", "uniform", "gaussian", "quadratic", "ar1", "mixture"} <= set(STRUCTURES)


@pytest.mark.parametrize("name, dim", [("linear", 2), ("uniform", 2), ("gaussian", 2),
                                       ("quadratic", 2), ("ar1", 8), ("mixture", 2)])
def test_default_shapes(name, dim):
    rows = make_samples(name, 50)
    assert rows.shape == (50, dim) and rows.dtype == np.float64
    assert np.isfinite(rows).all()


# --- exact moments of each default law, written out by hand ---------------

EXACT = {
    # x ~ N(0, 1), [x, 2x]: Var 2x = 4, Cov(x, 2x) = 2.
    "linear": ([0, 0], [[1, 2], [2, 4]]),
    # u ~ U(0, 1): mean 1/2, variance 1/12; [u, 2u] scales by 2 and 4.
    "uniform": ([0.5, 1.0], [[1 / 12, 2 / 12], [2 / 12, 4 / 12]]),
    # Given directly.
    "gaussian": ([0, 0], [[1, 0.8], [0.8, 1]]),
    # E x^2 = 1, E x^3 = 0, Var x^2 = E x^4 - 1 = 2.
    "quadratic": ([0, 1], [[1, 0], [0, 2]]),
    # Stationary AR(1), unit variance: Cov(x_i, x_j) = 0.8^|i-j|.
    "ar1": ([0] * 8, [[0.8 ** abs(i - j) for j in range(8)] for i in range(8)]),
    # Total variance: 0.25 I within components + the means' spread, 4 in every entry.
    "mixture": ([0, 0], [[4.25, 4.0], [4.0, 4.25]]),
}


@pytest.mark.parametrize("name", sorted(EXACT))
def test_law_carries_the_exact_moments(name):
    mean, cov = EXACT[name]
    law = get_law(name)
    np.testing.assert_allclose(law.mean, mean, rtol=0, atol=1e-12)
    np.testing.assert_allclose(law.cov, cov, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", sorted(EXACT))
def test_sample_moments_match(name):
    mean, cov = map(np.asarray, EXACT[name])
    rows = make_samples(name, N, seed=1)
    var = np.diag(cov)
    # Sample mean within 5 standard errors.
    assert (np.abs(rows.mean(0) - mean) < 5 * np.sqrt(var / N)).all()
    # Sample variances within 5 standard errors: sd(s^2) ~ sqrt((mu4 - var^2) / n)
    # with mu4 the central fourth moment. The most heavy-tailed column here is
    # x^2 ~ chi2(1), kurtosis 3 + 12 = 15, so mu4 <= 15 var^2 for every column.
    tol = 5 * np.sqrt(14 * var ** 2 / N)
    assert (np.abs(rows.var(0, ddof=1) - var) < tol).all()


@pytest.mark.parametrize("name", ["linear", "uniform", "gaussian", "quadratic",
                                  "ar1", "mixture"])
def test_marginals_pass_ks_with_known_parameters(name):
    law = get_law(name)
    rows = law.sample(5_000, seed=2)
    for j, marginal in enumerate(law.marginals):
        assert stats.kstest(rows[:, j], marginal.cdf).pvalue > 1e-3, j


# --- the dependence that defines each structure ------------------------------

def test_linear_relation_is_exact():
    rows = make_samples("linear", N)
    assert np.array_equal(rows[:, 1], 2 * rows[:, 0])
    assert get_law("linear").relation == {"kind": "linear", "x": 0, "y": 1,
                                          "slope": 2.0, "intercept": 0.0}


def test_linear_slope_parameter():
    rows = make_samples("linear", 100, slope=-3.0)
    assert np.array_equal(rows[:, 1], -3.0 * rows[:, 0])


def test_uniform_relation_and_support():
    rows = make_samples("uniform", N)
    assert np.array_equal(rows[:, 1], 2 * rows[:, 0])
    assert rows[:, 0].min() >= 0 and rows[:, 0].max() < 1
    assert get_law("uniform").support == ((0.0, 1.0), (0.0, 2.0))


def test_quadratic_relation_is_exact_and_uncorrelated():
    rows = make_samples("quadratic", N)
    assert np.array_equal(rows[:, 1], rows[:, 0] ** 2)
    # Pearson r = 0 exactly in the law (E x^3 = 0); SE of r under r = 0 is
    # about 1 / sqrt(n).
    r = np.corrcoef(rows.T)[0, 1]
    assert abs(r) < 5 / math.sqrt(N)


def test_gaussian_correlation():
    r = np.corrcoef(make_samples("gaussian", N).T)[0, 1]
    # SE of r is about (1 - rho^2) / sqrt(n).
    assert abs(r - 0.8) < 5 * (1 - 0.8 ** 2) / math.sqrt(N)


def test_gaussian_custom_mean_and_cov():
    law = get_law("gaussian", mean=[3.0, -1.0, 0.0],
                  cov=[[2.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 0.5]])
    assert law.dim == 3
    rows = law.sample(N, seed=3)
    assert (np.abs(rows.mean(0) - [3.0, -1.0, 0.0]) < 5 * np.sqrt(np.diag(law.cov) / N)).all()


@pytest.mark.parametrize("lag", [1, 2, 3, 5, 7])
def test_ar1_lag_correlations_are_phi_to_the_lag(lag):
    rows = make_samples("ar1", N, seed=4)
    r = np.corrcoef(rows.T)
    pairs = [r[i, i + lag] for i in range(8 - lag)]
    rho = 0.8 ** lag
    # Each pair's r has SE about (1 - rho^2) / sqrt(n); the average is no worse.
    assert abs(np.mean(pairs) - rho) < 5 * (1 - rho ** 2) / math.sqrt(N)
    assert max(abs(p - rho) for p in pairs) < 6 * (1 - rho ** 2) / math.sqrt(N)


def test_ar1_columns_have_unit_variance_and_custom_phi():
    rows = make_samples("ar1", N, seed=5, d=4, phi=-0.5)
    assert rows.shape == (N, 4)
    assert np.allclose(rows.var(0), 1.0, atol=5 * math.sqrt(2 / N))
    r = np.corrcoef(rows.T)[0, 1]
    assert abs(r + 0.5) < 5 * (1 - 0.25) / math.sqrt(N)


@pytest.mark.parametrize("weights", [(0.5, 0.5), (0.3, 0.7)])
def test_mixture_weights(weights):
    rows = make_samples("mixture", N, seed=6, weights=weights)
    # The means (-2,-2) and (2,2) are 2 sqrt(2) / 0.5 = 5.7 sds from the line
    # x1 + x2 = 0, so the side of that line names the component (error < 1e-8).
    share = np.mean(rows.sum(1) < 0)
    assert abs(share - weights[0]) < 5 * math.sqrt(weights[0] * weights[1] / N)


def test_mixture_components_have_the_given_sd():
    rows = make_samples("mixture", N, seed=7)
    first = rows[rows.sum(1) < 0]
    assert np.allclose(first.mean(0), [-2, -2], atol=5 * 0.5 / math.sqrt(len(first)))
    assert np.allclose(first.std(0), 0.5, atol=5 * 0.5 / math.sqrt(2 * len(first)))


# --- conditional mean: the curve each dependence follows --------------------

def test_conditional_mean_exact_relations():
    x = np.array([-1.5, 0.0, 2.0])
    assert np.array_equal(get_law("linear").conditional_mean(x), 2 * x)
    assert np.array_equal(get_law("linear").conditional_mean(2 * x, given=1, target=0), x)
    assert np.array_equal(get_law("quadratic").conditional_mean(x), x ** 2)
    # Given y = x^2, x is +-sqrt(y) with equal chance: mean 0.
    assert np.array_equal(get_law("quadratic").conditional_mean(x ** 2, 1, 0), 0 * x)
    assert np.array_equal(get_law("gaussian").conditional_mean(x), 0.8 * x)
    assert np.allclose(get_law("ar1").conditional_mean(x, 2, 5), 0.8 ** 3 * x)
    assert np.array_equal(get_law("ar1").conditional_mean(x, 3, 3), x)


def test_conditional_mean_of_mixture():
    law = get_law("mixture")
    # At x1 = 0 both components are equally likely: E[x2 | x1 = 0] = 0.
    # Far from 0 the nearer component wins: the curve tends to its mean +-2.
    got = law.conditional_mean(np.array([0.0, -6.0, 6.0, -50.0]))
    assert got[0] == pytest.approx(0.0, abs=1e-12)
    assert got[1] == pytest.approx(-2.0, abs=1e-9)
    assert got[2] == pytest.approx(2.0, abs=1e-9)
    assert got[3] == -2.0  # no 0/0 far in the tail


@pytest.mark.parametrize("name", ["gaussian", "mixture", "ar1"])
def test_conditional_mean_matches_binned_sample_means(name):
    law = get_law(name)
    rows = law.sample(50_000, seed=8)
    x, y = rows[:, 0], rows[:, 1]
    for lo in (-1.5, -0.5, 0.5):
        inside = (x >= lo) & (x < lo + 0.25)
        expected = law.conditional_mean(x[inside]).mean()
        resid_sd = np.std(y[inside] - law.conditional_mean(x[inside]))
        assert abs(y[inside].mean() - expected) < 5 * resid_sd / math.sqrt(inside.sum())


def test_conditional_mean_bad_columns():
    law = get_law("linear")
    with pytest.raises(ValueError, match=r"target must be a column index in \[0, 1\]"):
        law.conditional_mean([0.0], 0, 2)
    with pytest.raises(ValueError, match="has no closed-form conditional mean"):
        custom_law(lambda x: [x, x]).conditional_mean([0.0])


# --- seeds -------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(STRUCTURES))
def test_seeds_reproducible(name):
    a = make_samples(name, 100, seed=3)
    assert np.array_equal(a, make_samples(name, 100, seed=3))
    assert not np.array_equal(a, make_samples(name, 100, seed=4))


def test_generator_accepted_and_advanced():
    rng = np.random.default_rng(9)
    a = make_samples("linear", 10, seed=rng)
    b = make_samples("linear", 10, seed=rng)
    assert not np.array_equal(a, b)
    assert np.array_equal(a, make_samples("linear", 10, seed=np.random.default_rng(9)))


@pytest.mark.parametrize("seed", [-1, 1.5, "0", True])
def test_bad_seed(seed):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        make_samples("linear", 10, seed=seed)


@pytest.mark.parametrize("n", [0, -3, 2.5])
def test_bad_n(n):
    with pytest.raises(ValueError, match="n must be a positive integer"):
        make_samples("linear", n)


# --- your own row function (the origin's func) ------------------------------

def test_custom_law_reproduces_the_origin_default():
    # The origin's func: x ~ N(0, 1) mapped to [x, 2x]; same seed, same rows.
    law = custom_law(lambda x: [x, 2 * x], name="origin")
    assert law.dim == 2 and law.name == "origin"
    assert np.array_equal(law.sample(500, seed=0), make_samples("linear", 500, seed=0))


def test_custom_law_other_shapes_and_bases():
    three = custom_law(lambda x: np.column_stack([x, np.sin(x), x ** 3]))
    rows = three.sample(200, seed=1)
    assert three.dim == 3 and rows.shape == (200, 3)
    assert np.array_equal(rows[:, 1], np.sin(rows[:, 0]))
    one = custom_law(lambda x: np.exp(x))
    assert one.dim == 1 and one.sample(10).shape == (10, 1)
    uni = custom_law(lambda u: [u, 1 - u], base="uniform").sample(1000, seed=2)
    assert uni.min() >= 0 and uni.max() <= 1
    assert np.array_equal(uni[:, 1], 1 - uni[:, 0])
    assert three.marginals is None and three.cond_mean is None


def test_custom_law_errors():
    with pytest.raises(ValueError, match="func must be callable"):
        custom_law([1, 2])
    with pytest.raises(ValueError,
                       match=r"unknown base 'gamma'; choose one of \['normal', 'uniform'\]"):
        custom_law(lambda x: [x, x], base="gamma")
    bad = custom_law(lambda x: [x, x], dim=3)
    with pytest.raises(ValueError, match=r"returned shape \(5, 2\), expected \(5, 3\)"):
        bad.sample(5)


# --- bad structure names and parameters ------------------------------------

def test_unknown_structure():
    with pytest.raises(ValueError, match=r"unknown structure 'cubic'; choose one of \["):
        make_samples("cubic", 10)


def test_unknown_structure_parameter():
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['rho'\] for structure "
                                         r"'linear'; it takes \['slope'\]"):
        make_samples("linear", 10, rho=0.5)
    with pytest.raises(ValueError, match="it takes none"):
        make_samples("quadratic", 10, slope=1.0)


@pytest.mark.parametrize("name, params, message", [
    ("linear", {"slope": 0.0}, "slope must be a finite non-zero number"),
    ("linear", {"slope": float("nan")}, "slope must be a finite non-zero number"),
    ("uniform", {"low": 1.0, "high": 0.0}, "need finite low < high"),
    ("gaussian", {"cov": [[1.0, 2.0], [2.0, 1.0]]}, "symmetric positive definite"),
    ("gaussian", {"cov": [[1.0, 0.0, 0.0]]}, r"cov must be 2 x 2"),
    ("ar1", {"phi": 1.0}, r"phi must lie strictly inside \(-1, 1\)"),
    ("ar1", {"d": 1}, "d >= 2"),
    ("mixture", {"weights": (0.5, 0.6)}, "weights must be positive and sum to 1"),
    ("mixture", {"sd": -1.0}, "sd must be a finite positive number"),
])
def test_bad_structure_parameter_values(name, params, message):
    with pytest.raises(ValueError, match=message):
        make_samples(name, 10, **params)


def test_mixture_conditional_mean_is_a_tanh_step():
    # Notebook 01, by hand: the odds of the right-hand component given x1 are
    # exp(((x1 + 2)^2 - (x1 - 2)^2) / (2 * 0.25)) = exp(16 x1), so
    # E[x2 | x1] = 2 P(right) - 2 P(left) = 2 tanh(8 x1).
    x = np.linspace(-1.5, 1.5, 61)
    np.testing.assert_allclose(get_law("mixture").conditional_mean(x), 2 * np.tanh(8 * x),
                               rtol=1e-12, atol=1e-12)
