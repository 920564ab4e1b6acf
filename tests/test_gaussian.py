"""Known answers for ddpm_lib.gaussian (exact Gaussian facts).

Reference values are worked out by hand in the comments (one-dimensional
formulas, or diagonal covariances where everything separates).
"""

import math

import numpy as np
import pytest
import torch

from ddpm_lib.forward import q_sample
from ddpm_lib.gaussian import forward_marginal, kl_divergence, w2_distance
from ddpm_lib.repro import torch_generator
from ddpm_lib.samples import get_law
from ddpm_lib.schedule import NoiseSchedule


def test_forward_marginal_formula():
    mean, cov = forward_marginal([3.0, -1.0], [[1.0, 0.8], [0.8, 1.0]], 0.25)
    # sqrt(0.25) = 0.5; 0.25 * cov + 0.75 * I.
    np.testing.assert_allclose(mean, [1.5, -0.5], rtol=0, atol=1e-15)
    np.testing.assert_allclose(cov, [[1.0, 0.2], [0.2, 1.0]], rtol=0, atol=1e-15)


def test_forward_marginal_ends():
    mean, cov = forward_marginal([2.0], [[4.0]], 1.0)  # no noise yet
    assert mean.tolist() == [2.0] and cov.tolist() == [[4.0]]
    mean, cov = forward_marginal([2.0], [[4.0]], 0.0)  # pure noise
    assert mean.tolist() == [0.0] and cov.tolist() == [[1.0]]


def test_unit_covariance_is_preserved():
    # Variance preserving: cov = I stays I whatever alpha_bar is.
    for abar in (0.9, 0.5, 1e-4):
        _, cov = forward_marginal(np.zeros(3), np.eye(3), abar)
        np.testing.assert_allclose(cov, np.eye(3), rtol=0, atol=1e-15)


def test_forward_marginal_matches_q_sample_of_gaussian_data():
    # Draw x0 from the gaussian structure (mean (3, -1)), noise it with q_sample,
    # compare sample moments with the exact law; 5 standard errors.
    law = get_law("gaussian", mean=[3.0, -1.0])
    sched = NoiseSchedule.linear(T=1000)
    n, t = 16_000, 299
    x0 = torch.as_tensor(law.sample(n, seed=0))
    eps = torch.randn(x0.shape, generator=torch_generator(0), dtype=torch.float64)
    xt = q_sample(x0, t, eps, sched).numpy()
    mean, cov = forward_marginal(law.mean, law.cov, sched.alpha_bars[t].item())
    assert (np.abs(xt.mean(0) - mean) < 5 * np.sqrt(np.diag(cov) / n)).all()
    emp = np.cov(xt.T)
    # SE of a sample covariance entry: sqrt((S_ii S_jj + S_ij^2) / n) for normal data.
    se = np.sqrt((np.outer(np.diag(cov), np.diag(cov)) + cov ** 2) / n)
    assert (np.abs(emp - cov) < 5 * se).all()


def test_kl_one_dimensional_reference():
    # KL(N(m, s^2) || N(0, 1)) = 0.5 (s^2 + m^2 - 1 - log s^2).
    # m = 1, s^2 = 2: 0.5 (2 + 1 - 1 - log 2) = 1 - 0.5 log 2 = 0.653426...
    assert kl_divergence([1.0], [[2.0]]) == pytest.approx(1 - 0.5 * math.log(2), rel=1e-12)


def test_kl_general_reference():
    # Diagonal laws separate into a sum of 1-D terms:
    # KL(N(m0, s0^2) || N(m1, s1^2)) = log(s1/s0) + (s0^2 + (m0-m1)^2) / (2 s1^2) - 1/2.
    m0, v0, m1, v1 = [1.0, -2.0], [0.5, 3.0], [0.0, 1.0], [2.0, 0.25]
    ref = sum(0.5 * math.log(b / a) + (a + (x - y) ** 2) / (2 * b) - 0.5
              for x, a, y, b in zip(m0, v0, m1, v1))
    assert kl_divergence(m0, np.diag(v0), m1, np.diag(v1)) == pytest.approx(ref, rel=1e-12)


def test_kl_zero_for_equal_laws_and_positive_otherwise():
    cov = [[2.0, 0.3], [0.3, 1.0]]
    assert kl_divergence([1.0, 2.0], cov, [1.0, 2.0], cov) == pytest.approx(0.0, abs=1e-14)
    assert kl_divergence([1.0, 2.0], cov, [1.0, 2.1], cov) > 0


def test_kl_of_rotated_law_is_unchanged():
    # KL to N(0, I) only sees the eigenvalues of cov and |mean|.
    c, s = math.cos(0.7), math.sin(0.7)
    rot = np.array([[c, -s], [s, c]])
    cov = np.diag([3.0, 0.2])
    a = kl_divergence([1.0, 0.0], cov)
    b = kl_divergence(rot @ [1.0, 0.0], rot @ cov @ rot.T)
    assert a == pytest.approx(b, rel=1e-12)


def test_kl_refuses_singular_covariance():
    with pytest.raises(ValueError, match="not positive definite"):
        kl_divergence([0.0, 0.0], [[1.0, 2.0], [2.0, 4.0]])


def test_w2_one_dimensional_reference():
    # W2(N(m0, s0^2), N(m1, s1^2))^2 = (m0 - m1)^2 + (s0 - s1)^2.
    assert w2_distance([1.0], [[4.0]], [0.0], [[1.0]]) == pytest.approx(math.sqrt(2.0),
                                                                         rel=1e-12)


def test_w2_of_singular_line_data():
    # [x, 2x] with x ~ N(0, 1): covariance with eigenvalues 5 and 0. Against N(0, I)
    # W2^2 = (sqrt(5) - 1)^2 + (0 - 1)^2 (the eigenvectors line up with I's).
    ref = math.sqrt((math.sqrt(5) - 1) ** 2 + 1)
    assert w2_distance([0, 0], [[1, 2], [2, 4]]) == pytest.approx(ref, rel=1e-10)


def test_w2_symmetric_and_zero_on_equal():
    a = ([1.0, 0.0], [[2.0, 0.5], [0.5, 1.0]])
    b = ([0.0, 1.0], [[1.0, -0.2], [-0.2, 0.5]])
    assert w2_distance(*a, *b) == pytest.approx(w2_distance(*b, *a), rel=1e-10)
    assert w2_distance(*a, *a) == pytest.approx(0.0, abs=1e-7)


@pytest.mark.parametrize("call, message", [
    (lambda: forward_marginal([0.0], [[1.0]], 1.5), r"alpha_bar must lie in \[0, 1\]"),
    (lambda: forward_marginal([0.0, 0.0], [[1.0]], 0.5), "mean must have shape"),
    (lambda: kl_divergence([0.0], [[float("nan")]]), "must be finite"),
    (lambda: kl_divergence([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]]), "must be symmetric"),
    (lambda: kl_divergence([0.0], [[1.0]], [0.0, 0.0], np.eye(2)), "dimensions 1 and 2"),
    (lambda: w2_distance([0.0, 0.0], [[1.0, 0.0], [0.0, -1.0]]), "positive semi-definite"),
])
def test_bad_input(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("a", [0.36, 4.0358e-05, 2.4e-09, 1e-12])
def test_kl_and_w2_keep_digits_for_nearly_standard_laws(a):
    # The standardized origin rows [z, z] after the last step: C has eigenvalues
    # 1 + a and 1 - a. Stable references written by hand:
    # KL(N(0, I) || N(0, C)) = 0.5 (2 a^2 / (1 - a^2) + log1p(-a^2)),
    # W2 = sqrt(sum (sqrt(lam) - 1)^2) with sqrt(lam) - 1 = (lam - 1) / (sqrt(lam) + 1).
    C = forward_marginal(np.zeros(2), [[1.0, 1.0], [1.0, 1.0]], a)[1]
    # (No cancellation here: 2 a^2 / (1 - a^2) ~ 2 a^2 and log1p(-a^2) ~ -a^2,
    # so the KL is about a^2 / 2.)
    kl_ref = 0.5 * (2 * a**2 / (1 - a**2) + math.log1p(-a**2))
    w2_ref = math.sqrt(sum((l - 1) ** 2 / (math.sqrt(l) + 1) ** 2 for l in (1 + a, 1 - a)))
    assert kl_divergence(np.zeros(2), np.eye(2), np.zeros(2), C) == pytest.approx(kl_ref, rel=1e-5)
    assert w2_distance(np.zeros(2), C) == pytest.approx(w2_ref, rel=1e-6)


def test_correlation_of_noised_line_data():
    # Notebook 02: raw rows [x, 2x] have Var x2 = 1 + 3 abar and
    # corr = 2 abar / sqrt(1 + 3 abar) after noising; standardized rows [z, z]
    # keep variance 1 with corr = abar.
    for a in (0.9, 0.4, 0.01):
        _, c = forward_marginal([0, 0], [[1, 2], [2, 4]], a)
        assert c[1, 1] == pytest.approx(1 + 3 * a, rel=1e-14)
        assert c[0, 1] / math.sqrt(c[0, 0] * c[1, 1]) == pytest.approx(
            2 * a / math.sqrt(1 + 3 * a), rel=1e-14)
        _, c = forward_marginal([0, 0], [[1, 1], [1, 1]], a)
        assert np.allclose(np.diag(c), 1.0) and c[0, 1] == pytest.approx(a, rel=1e-14)


def test_mahalanobis_distance_is_chi_squared():
    # Notebook 03's joint test: under the exact law N(m, C), (x - m)' C^-1 (x - m)
    # follows chi2(d); KS with fully known parameters.
    from scipy import stats

    law = get_law("gaussian", mean=[2.0, -1.0])
    sched = NoiseSchedule.linear(T=1000)
    t = 149
    x0 = torch.as_tensor(law.sample(5_000, seed=1))
    eps = torch.randn(x0.shape, generator=torch_generator(1), dtype=torch.float64)
    x = q_sample(x0, t, eps, sched).numpy()
    m, C = forward_marginal(law.mean, law.cov, sched.alpha_bars[t].item())
    d2 = np.einsum("ni,ij,nj->n", x - m, np.linalg.inv(C), x - m)
    assert stats.kstest(d2, stats.chi2(df=2).cdf).pvalue > 1e-3
    # The test has power: the law after one step instead of 150 is rejected.
    m_bad, C_bad = forward_marginal(law.mean, law.cov, sched.alpha_bars[0].item())
    d2_bad = np.einsum("ni,ij,nj->n", x - m_bad, np.linalg.inv(C_bad), x - m_bad)
    assert stats.kstest(d2_bad, stats.chi2(df=2).cdf).pvalue < 1e-6
