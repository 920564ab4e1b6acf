"""The reverse step of notebook 05, derived from the Gaussian posterior.

Given x_0, the states before and after step t are jointly normal per
coordinate: Var x_t = 1 - abar_{t-1}, Cov(x_t, x_{t+1}) = sqrt(alpha_t)
(1 - abar_{t-1}), Var x_{t+1} = 1 - abar_t (abar_{-1} = 1). Conditioning gives
Ho et al.'s eq. 7 (mean coefficients and variance beta-tilde); putting the
estimate x0_hat = predict_x0(x_{t+1}, t, eps) into that mean gives eq. 11,
which is what ``reverse_mean`` computes. Every identity is checked against
the library at several steps, including the first and the last.
"""

import math

import numpy as np
import pytest
import torch

from ddpm_lib.oracle import GaussianOracle
from ddpm_lib.repro import torch_generator
from ddpm_lib.sampling import ddpm_sample, predict_x0, reverse_mean
from ddpm_lib.scaler import Standardizer
from ddpm_lib.schedule import NoiseSchedule

STEPS = (0, 1, 2, 499, 998, 999)


@pytest.fixture(scope="module")
def sched():
    return NoiseSchedule.linear(T=1000)


def abar_before(schedule, t):
    return 1.0 if t == 0 else schedule.alpha_bars[t - 1].item()


def eq7(schedule, t):
    """Coefficients of x_0 and x_{t+1} in the posterior mean, and its variance."""
    ab_prev, ab = abar_before(schedule, t), schedule.alpha_bars[t].item()
    a, b = schedule.alphas[t].item(), schedule.betas[t].item()
    return (math.sqrt(ab_prev) * b / (1 - ab), math.sqrt(a) * (1 - ab_prev) / (1 - ab),
            (1 - ab_prev) / (1 - ab) * b)


@pytest.mark.parametrize("t", STEPS)
def test_eq7_is_gaussian_conditioning(sched, t):
    # Conditioning formula written from the joint covariance, numerically.
    ab_prev, ab = abar_before(sched, t), sched.alpha_bars[t].item()
    a = sched.alphas[t].item()
    joint = np.array([[1 - ab_prev, math.sqrt(a) * (1 - ab_prev)],
                      [math.sqrt(a) * (1 - ab_prev), 1 - ab]])
    gain = joint[0, 1] / joint[1, 1]
    c_x0, c_xt, var = eq7(sched, t)
    assert c_xt == pytest.approx(gain, rel=1e-12)
    # mean = sqrt(abar_{t-1}) x0 + gain (x_{t+1} - sqrt(abar_t) x0)
    assert c_x0 == pytest.approx(math.sqrt(ab_prev) - gain * math.sqrt(ab),
                                 rel=1e-9, abs=1e-15)
    assert var == pytest.approx(joint[0, 0] - gain * joint[0, 1], rel=1e-9, abs=1e-15)
    assert var == pytest.approx(sched.posterior_variance()[t].item(), rel=1e-12, abs=1e-300)


def test_first_step_posterior_is_x0_itself(sched):
    c_x0, c_xt, var = eq7(sched, 0)
    assert c_x0 == pytest.approx(1.0, rel=1e-12)
    assert c_xt == 0.0 and var == 0.0


@pytest.mark.parametrize("t", STEPS)
def test_eq7_with_estimated_x0_is_eq11(sched, t):
    g = torch_generator(t + 1)
    x = torch.randn(16, 3, generator=g, dtype=torch.float64)
    eps = torch.randn(16, 3, generator=g, dtype=torch.float64)
    c_x0, c_xt, _ = eq7(sched, t)
    posterior_form = c_x0 * predict_x0(x, t, eps, sched) + c_xt * x
    assert torch.allclose(posterior_form, reverse_mean(x, t, eps, sched),
                          rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("t", (1, 300, 999))
def test_posterior_by_monte_carlo(sched, t):
    # x_0 fixed, draw x_t and x_{t+1} by the forward process, regress x_t on
    # x_{t+1}: slope, intercept and residual variance are eq. 7.
    n, x0 = 200_000, 0.7
    g = torch_generator(40 + t)
    ab_prev = abar_before(sched, t)
    a, b = sched.alphas[t].item(), sched.betas[t].item()
    x_t = math.sqrt(ab_prev) * x0 + math.sqrt(1 - ab_prev) * torch.randn(
        n, generator=g, dtype=torch.float64)
    x_next = math.sqrt(a) * x_t + math.sqrt(b) * torch.randn(n, generator=g,
                                                              dtype=torch.float64)
    slope, intercept = np.polyfit(x_next.numpy(), x_t.numpy(), 1)
    resid = x_t.numpy() - (slope * x_next.numpy() + intercept)
    c_x0, c_xt, var = eq7(sched, t)
    assert slope == pytest.approx(c_xt, abs=5 * math.sqrt(var / n / (1 - sched.alpha_bars[t].item())))
    assert intercept == pytest.approx(c_x0 * x0, abs=0.01)
    assert resid.var() == pytest.approx(var, rel=5 * math.sqrt(2 / n))


def test_last_step_noise_would_thicken_the_line():
    # Notebook 05: noise of sd 0.01 on standardized [x, 2x] rows gives
    # sd(x2 - 2 x1) / sd(x2) = 0.01 sqrt(2) / sqrt(1 + 0.01^2).
    g = torch_generator(7)
    x = torch.randn(50_000, 1, generator=g, dtype=torch.float64).numpy()
    rows = np.hstack([x, 2 * x])
    scaler = Standardizer.fit(rows)
    z = scaler.transform(rows) + 0.01 * torch.randn(50_000, 2, generator=g,
                                                    dtype=torch.float64).numpy()
    back = scaler.inverse(z)
    ratio = np.std(back[:, 1] - 2 * back[:, 0]) / np.std(back[:, 1])
    expected = 0.01 * math.sqrt(2) / math.sqrt(1 + 0.01 ** 2)
    assert ratio == pytest.approx(expected, rel=4 * math.sqrt(1 / 50_000))


def test_clamped_x0_ends_inside_the_clamp(sched):
    # At t = 0 the posterior mean is the x0 estimate itself (coefficient 1):
    # whatever is clamped there is what the sampler returns.
    x = torch.tensor([[3.0, -2.5], [0.2, 0.1]], dtype=torch.float64)
    eps = GaussianOracle([0.0, 0.0], np.ones((2, 2)), sched)(x, torch.zeros(2, dtype=torch.int64))
    c_x0, c_xt, _ = eq7(sched, 0)
    out = c_x0 * predict_x0(x, 0, eps, sched).clamp(-1, 1) + c_xt * x
    assert out.abs().max() <= 1.0
    assert torch.allclose(predict_x0(x, 0, eps, sched), reverse_mean(x, 0, eps, sched))


def test_oracle_rows_lie_on_the_line(sched):
    # With the perfect predictor the last step leaves no spread across the line.
    out = ddpm_sample(GaussianOracle([0.0, 0.0], np.ones((2, 2)), sched), sched, 500, 2,
                      generator=torch_generator(8), dtype=torch.float64)
    assert (out[:, 0] - out[:, 1]).abs().max() < 1e-10


@pytest.mark.parametrize("t", (0, 1, 250, 999))
def test_reverse_mean_with_the_oracle_is_the_exact_conditional_mean(sched, t):
    # For Gaussian data, (x_t, x_{t+1}) is jointly Gaussian, and averaging the
    # posterior over x_0 gives E[x_t | x_{t+1}] exactly when eps_hat is the
    # conditional mean of the noise: eq. 11 with the oracle must equal the
    # conditioning formula m_t + Cov(x_t, x_{t+1}) Var(x_{t+1})^-1 (x - m_{t+1}).
    mu, sigma = np.array([0.5, -1.0]), np.array([[1.0, 0.6], [0.6, 2.0]])
    ab_prev, ab = abar_before(sched, t), sched.alpha_bars[t].item()
    a = sched.alphas[t].item()
    var_t = ab_prev * sigma + (1 - ab_prev) * np.eye(2)
    var_next = ab * sigma + (1 - ab) * np.eye(2)
    cross = math.sqrt(a) * var_t
    x = torch.randn(6, 2, generator=torch_generator(9), dtype=torch.float64)
    rhs = np.linalg.solve(var_next, (x.numpy() - math.sqrt(ab) * mu).T).T
    exact = math.sqrt(ab_prev) * mu + rhs @ cross.T
    eps = GaussianOracle(mu, sigma, sched)(x, torch.full((6,), t))
    assert np.allclose(reverse_mean(x, t, eps, sched).numpy(), exact, rtol=1e-9, atol=1e-9)
