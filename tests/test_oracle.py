"""Known answers for ddpm_lib.oracle, the optimal noise predictor for Gaussian data.

Reference values:
- x_0 ~ N(0, 1): Sigma = 1, so the floor per step is abar / (abar + 1 - abar)
  = abar exactly.
- The origin's rows [x, 2x], standardized: both columns become the same
  N(0, 1) draw, Sigma = [[1, 1], [1, 1]] with eigenvalues 2 and 0. The floor
  per coordinate is (1/2)(2 abar / (2 abar + 1 - abar) + 0) = abar / (1 + abar).
  Averaged over the default linear schedule (T = 1000, betas 1e-4 .. 0.02)
  it is 0.16714, recomputed below in plain Python with no torch or numpy.
- With the origin's sigma_t^2 = beta_t and N(0, 1) data the oracle sampler
  keeps the variance at exactly 1 at every step but the last, which adds no
  noise, so the output variance is 1 - beta_0.

Monte Carlo tolerances are 4 standard errors of the estimate; the seeds are
fixed, so every test is deterministic.
"""

import math

import numpy as np
import pytest
import torch

from ddpm_lib.oracle import (GaussianOracle, mmse_average, mmse_per_step,
                             sampler_output_law, standardized_moments)
from ddpm_lib.repro import torch_generator
from ddpm_lib.samples import get_law
from ddpm_lib.sampling import ddpm_sample
from ddpm_lib.scaler import Standardizer
from ddpm_lib.schedule import NoiseSchedule
from ddpm_lib.training import heldout_mse

LINE = np.array([[1.0, 1.0], [1.0, 1.0]])          # [x, 2x] standardized
CORR = np.array([[1.0, 0.8], [0.8, 1.0]])
MEAN = np.array([1.0, -0.5])


@pytest.fixture(scope="module")
def sched():
    return NoiseSchedule.linear(T=1000)


def draw_xt(mean, cov, schedule, n, seed):
    """x_0 ~ N(mean, cov), t uniform, eps ~ N(0, I) and x_t by the closed form."""
    g = torch_generator(seed)
    d = len(mean)
    vals, vecs = np.linalg.eigh(cov)
    root = torch.as_tensor(vecs * np.sqrt(np.clip(vals, 0, None)))
    x0 = torch.as_tensor(mean) + torch.randn(n, d, generator=g, dtype=torch.float64) @ root.T
    t = torch.randint(0, schedule.T, (n,), generator=g)
    eps = torch.randn(n, d, generator=g, dtype=torch.float64)
    abar = schedule.alpha_bars[t].unsqueeze(1)
    return x0, t, eps, abar.sqrt() * x0 + (1 - abar).sqrt() * eps


# --- closed forms ------------------------------------------------------------

def test_standard_normal_floor_is_alpha_bar(sched):
    assert np.allclose(mmse_per_step([[1.0]], sched), sched.alpha_bars.numpy(),
                       rtol=0, atol=1e-15)


def test_line_floor_is_abar_over_one_plus_abar(sched):
    abar = sched.alpha_bars.numpy()
    assert np.allclose(mmse_per_step(LINE, sched), abar / (1 + abar), rtol=0, atol=1e-15)


def test_line_floor_average_in_plain_python(sched):
    # Independent reference: the schedule rebuilt with the standard library.
    T, total, abar = 1000, 0.0, 1.0
    for i in range(T):
        abar *= 1.0 - (1e-4 + (0.02 - 1e-4) * i / (T - 1))
        total += abar / (1.0 + abar)
    assert mmse_average(LINE, sched) == pytest.approx(total / T, rel=1e-12)
    assert mmse_average(LINE, sched) == pytest.approx(0.16714, abs=5e-6)


def test_floor_is_the_trace_formula(sched):
    # (1/d) tr[I - (1 - abar) C^-1], C = abar Sigma + (1 - abar) I, by direct
    # inversion (fine for a positive definite Sigma).
    abar = sched.alpha_bars.numpy()
    floor = mmse_per_step(CORR, sched)
    for t in (0, 10, 500, 999):
        c = abar[t] * CORR + (1 - abar[t]) * np.eye(2)
        direct = np.trace(np.eye(2) - (1 - abar[t]) * np.linalg.inv(c)) / 2
        assert floor[t] == pytest.approx(direct, rel=1e-12)


def test_oracle_is_the_regression_formula(sched):
    # sqrt(1 - abar) C^-1 (x - sqrt(abar) mu), solved directly at a few steps.
    oracle = GaussianOracle(MEAN, CORR, sched)
    abar = sched.alpha_bars.numpy()
    x = torch.randn(6, 2, generator=torch_generator(3), dtype=torch.float64)
    for t in (0, 1, 250, 999):
        c = abar[t] * CORR + (1 - abar[t]) * np.eye(2)
        rhs = (x.numpy() - np.sqrt(abar[t]) * MEAN).T
        expected = np.sqrt(1 - abar[t]) * np.linalg.solve(c, rhs).T
        got = oracle(x, torch.full((6,), t)).numpy()
        assert np.allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_singular_covariance_is_handled(sched):
    # [x, 2x] standardized has rank 1; C stays invertible because 1 - abar > 0.
    oracle = GaussianOracle([0.0, 0.0], LINE, sched)
    abar0 = sched.alpha_bars[0].item()
    c = abar0 * LINE + (1 - abar0) * np.eye(2)
    x = torch.tensor([[0.3, 0.3], [0.3, -0.3]], dtype=torch.float64)
    expected = np.sqrt(1 - abar0) * np.linalg.solve(c, x.numpy().T).T
    got = oracle(x, torch.zeros(2, dtype=torch.int64))
    assert torch.isfinite(got).all()
    assert np.allclose(got.numpy(), expected, rtol=1e-10)
    # Off the line, the whole of x must be noise: eps = x / sqrt(1 - abar).
    assert got[1].numpy() == pytest.approx(x[1].numpy() / math.sqrt(1 - abar0), rel=1e-10)


def test_mixed_steps_match_one_step_at_a_time(sched):
    oracle = GaussianOracle(MEAN, CORR, sched)
    x = torch.randn(50, 2, generator=torch_generator(4), dtype=torch.float64)
    t = torch.randint(0, sched.T, (50,), generator=torch_generator(5))
    together = oracle(x, t)
    for i in range(50):
        alone = oracle(x[i:i + 1], t[i:i + 1])
        assert torch.allclose(together[i:i + 1], alone, rtol=1e-14, atol=1e-14)


def test_keeps_the_input_dtype(sched):
    oracle = GaussianOracle([0.0], [[1.0]], sched)
    t = torch.tensor([3, 7])
    assert oracle(torch.zeros(2, 1), t).dtype == torch.float32
    assert oracle(torch.zeros(2, 1, dtype=torch.float64), t).dtype == torch.float64


def test_mean_does_not_change_the_floor(sched):
    assert np.array_equal(GaussianOracle(MEAN, CORR, sched).mmse_per_step(),
                          GaussianOracle([0, 0], CORR, sched).mmse_per_step())


def test_standardized_moments_of_the_line():
    # Scaler fitted on [x, 2x] rows: scale (s, 2s), so the standardized
    # covariance is [[1, 1], [1, 1]] / s^2 and both columns share one mean.
    law = get_law("linear")
    scaler = Standardizer.fit(law.sample(2000, seed=0))
    s = scaler.scale[0]
    assert scaler.scale[1] == pytest.approx(2 * s, rel=1e-12)
    mean, cov = standardized_moments(law.mean, law.cov, scaler)
    assert np.allclose(cov, LINE / s ** 2, rtol=1e-12)
    assert mean[0] == pytest.approx(mean[1], rel=1e-12)
    assert mean[0] == pytest.approx(-scaler.mean[0] / s, rel=1e-12)


# --- Monte Carlo -------------------------------------------------------------

@pytest.mark.parametrize("mean, cov", [([0.0, 0.0], LINE), (MEAN, CORR)],
                         ids=["line", "correlated"])
def test_monte_carlo_loss_reaches_the_floor(sched, mean, cov):
    n = 20_000
    x0, t, eps, x_t = draw_xt(np.asarray(mean), cov, sched, n, seed=11)
    oracle = GaussianOracle(mean, cov, sched)
    err = ((oracle(x_t, t) - eps) ** 2).mean(dim=1)
    floor = mmse_per_step(cov, sched)[t.numpy()]
    se = err.std().item() / math.sqrt(n)
    # The loss at each row's own t, averaged, against the floor at those t.
    assert abs(err.mean().item() - floor.mean()) < 4 * se
    # The floor is the best: a predictor 10 % too large or too small does worse.
    for factor in (0.9, 1.1):
        worse = ((factor * oracle(x_t, t) - eps) ** 2).mean().item()
        assert worse > err.mean().item()


def test_monte_carlo_floor_at_one_step(sched):
    # Many rows at a single t, for the standardized line, through the same
    # function the notebooks use for the loss per step.
    n, step = 40_000, 300
    g = torch_generator(12)
    x = torch.randn(n, 1, generator=g, dtype=torch.float64)
    x0 = torch.cat([x, x], dim=1)
    eps = torch.randn(n, 2, generator=g, dtype=torch.float64)
    t = torch.full((n,), step)
    oracle = GaussianOracle([0.0, 0.0], LINE, sched)
    per_step = heldout_mse(oracle, x0, t, eps, sched, per_step=True)
    abar = sched.alpha_bars[step].item()
    x_t = math.sqrt(abar) * x0 + math.sqrt(1 - abar) * eps
    se = ((oracle(x_t, t) - eps) ** 2).mean(dim=1).std().item() / math.sqrt(n)
    assert abs(per_step[step].item() - abar / (1 + abar)) < 4 * se


# --- the oracle as a sampler -------------------------------------------------

def test_sampler_law_for_standard_normal_is_one_minus_beta0(sched):
    mean, cov = sampler_output_law([0.0], [[1.0]], sched, variance="beta")
    assert mean[0] == 0.0
    assert cov[0, 0] == pytest.approx(1 - sched.betas[0].item(), rel=1e-10)


@pytest.mark.parametrize("variance", ["beta", "posterior"])
def test_sampler_law_keeps_the_line_exactly(sched, variance):
    # The last step removes everything off the line: the sampled rows have
    # no spread across it, whatever sigma_t was.
    _, cov = sampler_output_law([0.0, 0.0], LINE, sched, variance)
    across = np.array([1.0, -1.0]) / math.sqrt(2)
    assert across @ cov @ across == pytest.approx(0.0, abs=1e-12)


def test_oracle_sampler_gives_back_unit_variance(sched):
    n = 20_000
    out = ddpm_sample(GaussianOracle([0.0], [[1.0]], sched), sched, n, 1,
                      generator=torch_generator(21), dtype=torch.float64)
    var = out.var().item()
    assert abs(var - 1.0) < 4 * math.sqrt(2 / n)
    assert abs(out.mean().item()) < 4 / math.sqrt(n)


@pytest.mark.parametrize("variance", ["beta", "posterior"])
def test_oracle_sampler_gives_back_the_covariance(sched, variance):
    n = 10_000
    oracle = GaussianOracle(MEAN, CORR, sched)
    out = ddpm_sample(oracle, sched, n, 2, generator=torch_generator(22),
                      variance=variance, dtype=torch.float64).numpy()
    exact_mean, exact_cov = sampler_output_law(MEAN, CORR, sched, variance)
    emp_cov = np.cov(out.T)
    # Standard error of a sample covariance entry: sqrt((S_ii S_jj + S_ij^2) / n).
    se = np.sqrt((np.outer(np.diag(CORR), np.diag(CORR)) + CORR ** 2) / n)
    assert (np.abs(emp_cov - exact_cov) < 4 * se).all()
    assert (np.abs(out.mean(axis=0) - exact_mean) < 4 * np.sqrt(np.diag(CORR) / n)).all()
    # and the exact law of the sampler is within 1 % of the data's own law
    assert np.allclose(exact_cov, CORR, atol=0.01)
    assert np.allclose(exact_mean, MEAN, atol=0.01)


# --- bad input ---------------------------------------------------------------

def test_bad_input(sched):
    with pytest.raises(ValueError, match="shape"):
        GaussianOracle([0.0, 0.0], [[1.0]], sched)
    with pytest.raises(ValueError, match="semi-definite"):
        GaussianOracle([0.0, 0.0], [[1.0, 2.0], [2.0, 1.0]], sched)
    with pytest.raises(ValueError, match="symmetric"):
        GaussianOracle([0.0, 0.0], [[1.0, 0.5], [0.0, 1.0]], sched)
    oracle = GaussianOracle([0.0], [[1.0]], sched)
    with pytest.raises(ValueError, match="shape"):
        oracle(torch.zeros(3, 2), torch.zeros(3, dtype=torch.int64))
    with pytest.raises(ValueError, match="integer"):
        oracle(torch.zeros(3, 1), torch.zeros(3))
    with pytest.raises(ValueError, match="step index"):
        oracle(torch.zeros(1, 1), torch.tensor([sched.T]))
    with pytest.raises(ValueError, match="unknown variance"):
        sampler_output_law([0.0], [[1.0]], sched, variance="betta")


def test_line_floor_by_direction(sched):
    # Notebook 04: the unexplained noise covariance I - (1 - abar) C^-1 has
    # 2 abar / (1 + abar) along the line (1, 1)/sqrt 2 and 0 across it.
    along, across = np.array([1.0, 1.0]) / math.sqrt(2), np.array([1.0, -1.0]) / math.sqrt(2)
    for t in (0, 300, 999):
        abar = sched.alpha_bars[t].item()
        c = abar * LINE + (1 - abar) * np.eye(2)
        left = np.eye(2) - (1 - abar) * np.linalg.inv(c)
        assert along @ left @ along == pytest.approx(2 * abar / (1 + abar), rel=1e-10)
        assert across @ left @ across == pytest.approx(0.0, abs=1e-10)
