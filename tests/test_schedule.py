"""Known answers for ddpm_lib.schedule.

Reference numbers are recomputed here in plain Python floats (math.prod,
math.cos), independently of torch, unless a comment says otherwise.
"""

import math

import pytest
import torch

from ddpm_lib.schedule import NoiseSchedule


def linear_betas_py(T=1000, start=1e-4, end=0.02):
    """Ho et al.'s linear betas, evenly spaced, in plain Python floats."""
    return [start + (end - start) * i / (T - 1) for i in range(T)]


@pytest.fixture(scope="module")
def default():
    return NoiseSchedule.linear(T=1000, beta_start=1e-4, beta_end=0.02)


# --- the default linear schedule -------------------------------------------

def test_shapes_and_dtype(default):
    assert default.T == 1000
    for arr in (default.betas, default.alphas, default.alpha_bars):
        assert arr.shape == (1000,)
        assert arr.dtype == torch.float64


def test_betas_are_evenly_spaced_from_start_to_end(default):
    assert default.betas[0].item() == pytest.approx(1e-4, abs=1e-15)
    assert default.betas[-1].item() == pytest.approx(0.02, abs=1e-15)
    steps = default.betas[1:] - default.betas[:-1]
    assert torch.allclose(steps, torch.full_like(steps, (0.02 - 1e-4) / 999),
                          rtol=0, atol=1e-15)


def test_alpha_bar_first_is_one_minus_beta_start(default):
    # Index convention (DESIGN.md): alpha_bars[0] = alphas[0] = 1 - 1e-4.
    assert default.alpha_bars[0].item() == pytest.approx(0.9999, rel=1e-12)


def test_alpha_bar_last_matches_plain_python_product(default):
    # Reference: math.prod(1 - b for b in linear_betas_py()) = 4.0358297653...e-05,
    # i.e. 4.0358e-05 to 5 significant figures.
    reference = math.prod(1.0 - b for b in linear_betas_py())
    assert f"{reference:.4e}" == "4.0358e-05"
    assert f"{default.alpha_bars[999].item():.4e}" == "4.0358e-05"
    assert default.alpha_bars[999].item() == pytest.approx(reference, rel=1e-10)


def test_every_alpha_bar_matches_plain_python_running_product(default):
    running, reference = 1.0, []
    for b in linear_betas_py():
        running *= 1.0 - b
        reference.append(running)
    got = default.alpha_bars.tolist()
    assert max(abs(g - r) / r for g, r in zip(got, reference)) < 1e-10


def test_alpha_bars_strictly_decrease_inside_unit_interval(default):
    ab = default.alpha_bars
    assert (ab[1:] < ab[:-1]).all()
    assert (ab > 0).all() and (ab < 1).all()


def test_successive_ratios_are_the_alphas(default):
    # abar_t / abar_{t-1} = alpha_t: the product gains one factor per step.
    ratios = default.alpha_bars[1:] / default.alpha_bars[:-1]
    assert (ratios - default.alphas[1:]).abs().max().item() < 1e-10


def test_alphas_are_one_minus_betas(default):
    assert torch.equal(default.alphas, 1.0 - default.betas)


def test_other_lengths_same_endpoints():
    # The notebooks compare T = 100, 200, 1000 with the same beta range.
    # alpha_bar at the last step, plain Python reference for each T.
    for T in (100, 200, 1000):
        s = NoiseSchedule.linear(T=T)
        reference = math.prod(1.0 - b for b in linear_betas_py(T))
        assert s.alpha_bars[-1].item() == pytest.approx(reference, rel=1e-10)
    # Fewer steps with the same betas leave much more signal.
    assert NoiseSchedule.linear(T=100).alpha_bars[-1].item() == pytest.approx(
        0.36356, abs=1e-5)


def test_single_step_schedule():
    s = NoiseSchedule.linear(T=1, beta_start=0.01, beta_end=0.01)
    assert s.betas.tolist() == [0.01]
    assert s.alpha_bars.tolist() == pytest.approx([0.99], rel=1e-15)


# --- SNR and posterior variance --------------------------------------------

def test_snr_formula(default):
    ab = default.alpha_bars
    assert torch.allclose(default.snr(), ab / (1 - ab), rtol=1e-14, atol=0)
    assert (default.snr()[1:] < default.snr()[:-1]).all()


def test_posterior_variance_formula(default):
    # beta_t (1 - abar_{t-1}) / (1 - abar_t), with abar_{-1} = 1 (Ho et al. eq. 7).
    betas = linear_betas_py()
    ab, running = [], 1.0
    for b in betas:
        running *= 1.0 - b
        ab.append(running)
    got = default.posterior_variance().tolist()
    assert got[0] == 0.0
    for t in (1, 2, 10, 500, 999):
        expected = betas[t] * (1 - ab[t - 1]) / (1 - ab[t])
        assert got[t] == pytest.approx(expected, rel=1e-10)


def test_posterior_variance_equals_gaussian_conditioning(default):
    # Independent derivation: given x0, the state before step t (s) and after
    # it (s') are jointly Gaussian with Var s = 1 - abar_{t-1},
    # Cov(s, s') = sqrt(alpha_t) (1 - abar_{t-1}), Var s' = 1 - abar_t.
    # Conditioning: Var(s | s') = Var s - Cov^2 / Var s'.
    ab = default.alpha_bars
    ab_prev = torch.cat([torch.ones(1, dtype=torch.float64), ab[:-1]])
    v_before = 1 - ab_prev
    cov = default.alphas.sqrt() * v_before
    conditioned = v_before - cov ** 2 / (1 - ab)
    assert torch.allclose(default.posterior_variance(), conditioned, rtol=1e-9, atol=1e-15)


def test_posterior_variance_below_beta(default):
    pv = default.posterior_variance()
    assert (pv <= default.betas).all() and (pv >= 0).all()


# --- the cosine schedule ---------------------------------------------------

def cosine_abar_py(u, s=0.008):
    """Nichol & Dhariwal (2021), eq. 17: f(u) / f(0), f(u) = cos^2(pi/2 (u+s)/(1+s))."""
    f = lambda v: math.cos((v + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
    return f(u) / f(0.0)


def test_cosine_alpha_bars_follow_the_formula():
    s = NoiseSchedule.cosine(T=1000)
    got = s.alpha_bars.tolist()
    # Every step but the last, where beta is capped at max_beta = 0.999.
    for t in (0, 1, 249, 499, 749, 998):
        assert got[t] == pytest.approx(cosine_abar_py((t + 1) / 1000), rel=1e-9)
    # Halfway through the formula gives about 0.496: half the signal variance is left.
    assert got[499] == pytest.approx(cosine_abar_py(0.5), rel=1e-9)
    assert 0.49 < got[499] < 0.51


def test_cosine_betas_increase_and_are_capped():
    s = NoiseSchedule.cosine(T=1000)
    b = s.betas
    assert (b[1:] >= b[:-1]).all()
    assert b[-1].item() == pytest.approx(0.999, abs=1e-15)  # the cap
    assert b[:-1].max().item() < 0.999
    assert (s.alpha_bars[1:] < s.alpha_bars[:-1]).all()


def test_cosine_starts_slower_than_linear():
    # The cosine schedule destroys less signal at first: alpha_bar stays higher
    # through the first half (Nichol & Dhariwal's motivation).
    cos, lin = NoiseSchedule.cosine(T=1000), NoiseSchedule.linear(T=1000)
    assert (cos.alpha_bars[100:500] > lin.alpha_bars[100:500]).all()


def test_cosine_ends_near_zero_signal():
    s = NoiseSchedule.cosine(T=1000)
    assert s.alpha_bars[-1].item() < 1e-8


def test_cosine_log_snr_is_nearly_linear_in_the_middle():
    # log SNR = log(f / (f(0) - f)) ~ -2 log tan(theta), theta = pi/2 (u+s)/(1+s).
    # By hand: d/dtheta (-2 log tan theta) = -4 / sin(2 theta) = -4 near theta = pi/4,
    # and dtheta/du = pi / (2 (1+s)), so the slope near u = 1/2 is -2 pi / (1+s).
    s = NoiseSchedule.cosine(T=1000)
    log_snr = torch.log(s.snr())
    slope = (log_snr[549] - log_snr[449]).item() / (100 / 1000)
    assert slope == pytest.approx(-2 * math.pi / 1.008, rel=0.01)


# --- bad input -------------------------------------------------------------

@pytest.mark.parametrize("T", [0, -5, 2.5, True, "10"])
@pytest.mark.parametrize("build", [NoiseSchedule.linear, NoiseSchedule.cosine])
def test_bad_T(build, T):
    with pytest.raises(ValueError, match="T must be a positive integer"):
        build(T=T)


@pytest.mark.parametrize("beta_end", [1.0, 1.5, float("nan"), float("inf"), 0.0, -0.1])
def test_bad_beta_end(beta_end):
    with pytest.raises(ValueError, match=r"beta_end must lie strictly inside \(0, 1\)"):
        NoiseSchedule.linear(beta_end=beta_end)


def test_bad_beta_start():
    with pytest.raises(ValueError, match="beta_start must lie strictly inside"):
        NoiseSchedule.linear(beta_start=float("nan"))
    with pytest.raises(ValueError, match="beta_start must be a number"):
        NoiseSchedule.linear(beta_start="0.1")


def test_beta_start_above_beta_end():
    with pytest.raises(ValueError, match=r"beta_start \(0\.03\) must not exceed beta_end"):
        NoiseSchedule.linear(beta_start=0.03, beta_end=0.02)


@pytest.mark.parametrize("kwargs, message", [
    ({"s": -0.1}, "s must be a finite number"),
    ({"s": float("nan")}, "s must be a finite number"),
    ({"s": "a"}, "s must be a finite number"),
    ({"max_beta": 1.0}, "max_beta must lie strictly inside"),
    ({"max_beta": float("nan")}, "max_beta must lie strictly inside"),
])
def test_bad_cosine_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NoiseSchedule.cosine(**kwargs)


@pytest.mark.parametrize("betas, message", [
    ([], "non-empty 1-D"),
    ([[0.1, 0.2]], "non-empty 1-D"),
    ([0.1, float("nan")], "finite"),
    ([0.1, 1.0], r"strictly inside \(0, 1\)"),
    ([0.0, 0.1], r"strictly inside \(0, 1\)"),
])
def test_bad_custom_betas(betas, message):
    with pytest.raises(ValueError, match=message):
        NoiseSchedule.from_betas(betas)


def test_round_trip_through_dict(default):
    again = NoiseSchedule.from_dict(default.to_dict())
    assert again.name == "linear"
    assert torch.equal(again.betas, default.betas)
    assert torch.equal(again.alpha_bars, default.alpha_bars)
