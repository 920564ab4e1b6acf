"""Known answers for ddpm_lib.forward: the recursion against the closed form.

The closed form (Ho et al. 2020, eq. 4) is derived from the recursion (eq. 2)
in notebook 02; these tests check each step of that derivation numerically.
Statistical tolerances come from the standard error of the estimate; the
seeds are fixed, so the tests are deterministic.
"""

import math

import numpy as np
import pytest
import torch
from scipy import stats

from ddpm_lib.forward import chain_moments, forward_step, forward_steps, q_sample
from ddpm_lib.repro import torch_generator
from ddpm_lib.schedule import NoiseSchedule


@pytest.fixture(scope="module")
def sched():
    return NoiseSchedule.linear(T=1000)


def x0_rows(n=5):
    # Rows of the origin's linear structure [x, 2x] at a few fixed x.
    x = torch.linspace(-2.0, 2.0, n, dtype=torch.float64)
    return torch.stack([x, 2 * x], dim=1)


# --- exact identities ------------------------------------------------------

def test_one_step_is_the_closed_form_at_t0(sched):
    # Base case of the induction: abar_0 = alpha_0 and 1 - abar_0 = beta_0.
    x0 = x0_rows()
    eps = torch.randn(x0.shape, generator=torch_generator(1), dtype=torch.float64)
    assert torch.allclose(forward_step(x0, 0, eps, sched), q_sample(x0, 0, eps, sched),
                          rtol=0, atol=1e-15)


@pytest.mark.parametrize("schedule", [NoiseSchedule.linear(T=1000),
                                      NoiseSchedule.cosine(T=1000)],
                         ids=["linear", "cosine"])
def test_zero_noise_recursion_is_closed_form_with_zero_noise(schedule):
    # With eps = 0 every step only multiplies by sqrt(alpha_t); after t + 1
    # steps the factor is sqrt(abar_t).
    x0 = x0_rows()
    zero = torch.zeros_like(x0)
    x = x0
    for t in range(schedule.T):
        x = forward_step(x, t, zero, schedule)
        if t in (0, 1, 9, 99, 499, 998, schedule.T - 1):
            expected = q_sample(x0, t, zero, schedule)
            assert torch.allclose(x, expected, rtol=1e-10, atol=1e-300), t


def test_zero_noise_factor_in_plain_python():
    # Reference: sqrt(prod(1 - beta_i)) over the first 100 linear betas,
    # computed with math.prod (no torch).
    sched = NoiseSchedule.linear(T=1000)
    betas = [1e-4 + (0.02 - 1e-4) * i / 999 for i in range(1000)]
    factor = math.sqrt(math.prod(1 - b for b in betas[:100]))
    x0 = torch.tensor([[1.0, 2.0]], dtype=torch.float64)
    out = q_sample(x0, 99, torch.zeros_like(x0), sched)
    assert out[0, 0].item() == pytest.approx(factor, rel=1e-12)
    assert out[0, 1].item() == pytest.approx(2 * factor, rel=1e-12)


def noise_weights(schedule, t):
    """c_s for s = 0..t: the weight of eps_s in the state after t + 1 steps,
    c_s = sqrt(beta_s) * prod_{r = s+1..t} sqrt(alpha_r)."""
    betas, alphas = schedule.betas.tolist(), schedule.alphas.tolist()
    return [math.sqrt(betas[s]) * math.sqrt(math.prod(alphas[s + 1:t + 1]))
            for s in range(t + 1)]


@pytest.mark.parametrize("t", [0, 1, 10, 250, 999])
def test_noise_weights_square_sum_is_one_minus_alpha_bar(sched, t):
    # The variance step of the induction: independent noises add variances.
    c = noise_weights(sched, t)
    assert sum(ci ** 2 for ci in c) == pytest.approx(1 - sched.alpha_bars[t].item(),
                                                     rel=1e-10)


@pytest.mark.parametrize("t", [0, 3, 50, 999])
def test_recursion_equals_closed_form_with_the_combined_noise(sched, t):
    # Path by path: run the recursion with noises eps_0..eps_t; then
    # eps = sum_s c_s eps_s / sqrt(1 - abar_t) is a standard normal and
    # q_sample(x0, t, eps) lands on exactly the same point.
    x0 = x0_rows()
    g = torch_generator(7)
    noises = [torch.randn(x0.shape, generator=g, dtype=torch.float64) for _ in range(t + 1)]
    x = x0
    for s, eps_s in enumerate(noises):
        x = forward_step(x, s, eps_s, sched)
    c = noise_weights(sched, t)
    combined = sum(ci * e for ci, e in zip(c, noises)) / math.sqrt(1 - sched.alpha_bars[t])
    assert torch.allclose(x, q_sample(x0, t, combined, sched), rtol=1e-10, atol=1e-12)


def test_forward_steps_uses_the_same_draws_as_a_hand_loop(sched):
    # forward_steps draws one standard normal (n, d) tensor per step, in order.
    x0 = x0_rows()
    got = forward_steps(x0, 20, sched, generator=torch_generator(3))
    g = torch_generator(3)
    x = x0
    for t in range(20):
        x = forward_step(x, t, torch.randn(x.shape, generator=g, dtype=torch.float64), sched)
    assert torch.equal(got, x)


def test_forward_steps_zero_steps_and_return_all(sched):
    x0 = x0_rows()
    assert torch.equal(forward_steps(x0, 0, sched), x0)
    states = forward_steps(x0, 5, sched, generator=torch_generator(0), return_all=True)
    assert states.shape == (6, 5, 2)
    assert torch.equal(states[0], x0)
    last = forward_steps(x0, 5, sched, generator=torch_generator(0))
    assert torch.equal(states[-1], last)


def test_forward_steps_reproducible_with_a_seeded_generator(sched):
    x0 = x0_rows()
    a = forward_steps(x0, 30, sched, generator=torch_generator(11))
    b = forward_steps(x0, 30, sched, generator=torch_generator(11))
    c = forward_steps(x0, 30, sched, generator=torch_generator(12))
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_q_sample_per_row_steps(sched):
    x0 = x0_rows(4)
    eps = torch.randn(x0.shape, generator=torch_generator(2), dtype=torch.float64)
    steps = torch.tensor([0, 10, 500, 999])
    out = q_sample(x0, steps, eps, sched)
    for i, t in enumerate(steps.tolist()):
        row = q_sample(x0[i:i + 1], t, eps[i:i + 1], sched)
        assert torch.allclose(out[i], row[0], rtol=0, atol=1e-15)


def test_q_sample_keeps_float32_and_accepts_numpy(sched):
    x0 = x0_rows().to(torch.float32)
    out = q_sample(x0, 5, torch.zeros_like(x0), sched)
    assert out.dtype == torch.float32
    out64 = q_sample(x0_rows().numpy(), 5, np.zeros((5, 2)), sched)
    assert out64.dtype == torch.float64


# --- statistics of the chain against the closed form ----------------------

@pytest.mark.parametrize("num_steps", [1, 10, 100, 500, 1000])
def test_chain_mean_and_variance_match_closed_form(sched, num_steps):
    # From one fixed x0 the state after k steps is exactly
    # N(sqrt(abar_{k-1}) x0, (1 - abar_{k-1}) I). Tolerances: 5 standard errors,
    # SE(mean) = sd / sqrt(n), SE(variance) = var * sqrt(2 / (n - 1)) (normal data).
    # n * d stays below torch's 32768-element grain, so each step runs on one
    # thread: fast even on a busy 2-core machine.
    n = 16_000
    x0 = torch.tensor([[1.0, 2.0]], dtype=torch.float64).expand(n, 2)
    x = forward_steps(x0, num_steps, sched, generator=torch_generator(num_steps))
    abar = sched.alpha_bars[num_steps - 1].item()
    mean, var = math.sqrt(abar) * torch.tensor([1.0, 2.0]), 1 - abar
    se_mean, se_var = math.sqrt(var / n), var * math.sqrt(2 / (n - 1))
    assert ((x.mean(0) - mean).abs() < 5 * se_mean).all()
    assert ((x.var(0) - var).abs() < 5 * se_var).all()


def test_chain_passes_ks_against_exact_law(sched):
    # One-sample KS with fully known parameters is a valid test here.
    n = 5_000
    x0 = torch.tensor([[1.0, 2.0]], dtype=torch.float64).expand(n, 2)
    x = forward_steps(x0, 200, sched, generator=torch_generator(5))
    abar = sched.alpha_bars[199].item()
    for j, x0j in enumerate((1.0, 2.0)):
        z = (x[:, j].numpy() - math.sqrt(abar) * x0j) / math.sqrt(1 - abar)
        assert stats.kstest(z, "norm").pvalue > 1e-3


# --- bad input ---------------------------------------------------------------

@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_q_sample_rejects_non_finite_rows(sched, bad):
    x0 = x0_rows()
    x0[3, 1] = bad
    with pytest.raises(ValueError, match=r"x0 has 1 row\(s\) with NaN or inf, first at row 3"):
        q_sample(x0, 0, torch.zeros_like(x0), sched)


def test_q_sample_rejects_non_finite_noise(sched):
    x0 = x0_rows()
    noise = torch.zeros_like(x0)
    noise[0, 0] = float("nan")
    with pytest.raises(ValueError, match="noise has 1 row"):
        q_sample(x0, 0, noise, sched)


@pytest.mark.parametrize("shape, message", [
    ((5,), r"x0 must be 2-D with shape \(n, d\), got shape \(5,\)"),
    ((0, 2), r"x0 must have at least one row and one column, got shape \(0, 2\)"),
    ((2, 3, 4), "x0 must be 2-D"),
])
def test_q_sample_rejects_bad_shapes(sched, shape, message):
    x0 = torch.zeros(shape, dtype=torch.float64)
    with pytest.raises(ValueError, match=message):
        q_sample(x0, 0, x0, sched)


def test_q_sample_rejects_noise_of_another_shape(sched):
    with pytest.raises(ValueError, match=r"noise must have x0's shape \(5, 2\)"):
        q_sample(x0_rows(), 0, torch.zeros(5, 3), sched)


@pytest.mark.parametrize("t, shown", [(-1, "-1"), (1000, "1000")])
def test_q_sample_rejects_steps_outside_range(sched, t, shown):
    x0 = x0_rows()
    with pytest.raises(ValueError, match=rf"t must lie in \[0, 999\] \(0-based\), got {shown}"):
        q_sample(x0, t, torch.zeros_like(x0), sched)
    with pytest.raises(ValueError, match="t must lie in"):
        q_sample(x0, torch.tensor([0, 1, 2, 3, t]), torch.zeros_like(x0), sched)


@pytest.mark.parametrize("t, message", [
    (2.5, "integer step indices"),
    (True, "integer step index"),
    (torch.tensor([1, 2]), r"t must be an int or have shape \(5,\)"),
])
def test_q_sample_rejects_bad_step_types(sched, t, message):
    x0 = x0_rows()
    with pytest.raises(ValueError, match=message):
        q_sample(x0, t, torch.zeros_like(x0), sched)


@pytest.mark.parametrize("num_steps", [-1, 1001, 2.0, True])
def test_forward_steps_rejects_bad_counts(sched, num_steps):
    with pytest.raises(ValueError, match=r"num_steps must be an integer in \[0, 1000\]"):
        forward_steps(x0_rows(), num_steps, sched)


# --- chain_moments -------------------------------------------------------------

def test_chain_moments_same_draws_and_statistics(sched):
    law_rows = torch.randn((50, 3), generator=torch_generator(0), dtype=torch.float64)
    x, means, covs = chain_moments(law_rows, 12, sched, generator=torch_generator(4))
    states = forward_steps(law_rows, 12, sched, generator=torch_generator(4), return_all=True)
    assert torch.equal(x, states[-1])
    for k in (1, 5, 12):
        ref = states[k].numpy()
        np.testing.assert_allclose(means[k - 1].numpy(), ref.mean(0), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(covs[k - 1].numpy(), np.cov(ref.T), rtol=1e-10, atol=1e-14)


def test_chain_moments_bad_input(sched):
    with pytest.raises(ValueError, match="at least 2 rows"):
        chain_moments(torch.zeros((1, 2)), 3, sched)
    with pytest.raises(ValueError, match=r"num_steps must be an integer in \[1, 1000\]"):
        chain_moments(x0_rows(), 0, sched)


# --- the formulas notebook 02 states -----------------------------------------

def test_one_step_variance_rule():
    # Var x_{t+1} = alpha Var x_t + beta; with beta = 0.5 a column of variance 4
    # goes to 2.5 and a column of variance 1 stays at 1 (5 standard errors).
    big = NoiseSchedule.from_betas([0.5])
    n = 16_000
    x = torch.randn((n, 2), generator=torch_generator(0), dtype=torch.float64)
    x = x * torch.tensor([1.0, 2.0])
    noise = torch.randn((n, 2), generator=torch_generator(1), dtype=torch.float64)
    after = forward_step(x, 0, noise, big)
    for j, v in enumerate((1.0, 4.0)):
        expected = 0.5 * v + 0.5
        assert abs(after[:, j].var().item() - expected) < 5 * expected * math.sqrt(2 / n)


def test_merged_noise_variance_identity(sched):
    # Step 4 of the induction: alpha_t (1 - abar_{t-1}) + (1 - alpha_t) = 1 - abar_t.
    ab, al = sched.alpha_bars, sched.alphas
    assert ((al[1:] * (1 - ab[:-1]) + 1 - al[1:]) - (1 - ab[1:])).abs().max() < 1e-15


def test_noise_weight_shortcut(sched):
    # c_s = sqrt(beta_s) prod_{r=s+1..t} sqrt(alpha_r) = sqrt(beta_s abar_t / abar_s).
    t = 999
    shortcut = (sched.betas * sched.alpha_bars[t] / sched.alpha_bars).sqrt().tolist()
    assert shortcut == pytest.approx(noise_weights(sched, t), rel=1e-9)


def test_origin_definition_is_one_step_short(sched):
    # ORIGIN.md defines abar_k = prod_{i=0}^{k-1} alpha_i (k factors): that is
    # alpha_bars[k-1]; its compounded formula uses abar_{k-1}, one factor short.
    alphas = sched.alphas.tolist()
    for k in (1, 2, 10, 1000):
        assert math.prod(alphas[:k]) == pytest.approx(sched.alpha_bars[k - 1].item(), rel=1e-12)
    assert math.prod(alphas[:0]) == 1.0  # the literal formula at k = 1: no noise at all
