import numpy as np
import pytest
import torch

from ddpm_lib.sampling import ddpm_sample, predict_x0, reverse_mean, step_sigmas
from ddpm_lib.schedule import NoiseSchedule


def perfect_predictor(x0_point, schedule):
    """The exact noise predictor when the data are one point x0: given x_t,
    eps = (x_t - sqrt(abar) x0) / sqrt(1 - abar)."""
    def eps_model(x, t):
        abar = schedule.alpha_bars[t].unsqueeze(1).to(x.dtype)
        return (x - abar.sqrt() * x0_point) / (1 - abar).sqrt()
    return eps_model


@pytest.mark.parametrize("variance", ["beta", "posterior"])
def test_perfect_predictor_gives_back_x0(variance):
    # Known answer: at t = 0, abar = alpha, so the last mean is
    # (x - (x - sqrt(a) x0)) / sqrt(a) = x0 exactly, whatever the noise before.
    s = NoiseSchedule.linear(200)
    x0 = torch.tensor([[1.5, -3.0]], dtype=torch.float64)
    g = torch.Generator().manual_seed(0)
    out = ddpm_sample(perfect_predictor(x0, s), s, 64, 2, generator=g,
                      variance=variance, dtype=torch.float64)
    assert torch.allclose(out, x0.expand(64, 2), atol=1e-9)


def test_no_noise_at_the_last_step():
    s = NoiseSchedule.linear(50)
    model = lambda x, t: 0.1 * x  # any deterministic predictor
    g = torch.Generator().manual_seed(1)
    out, traj = ddpm_sample(model, s, 100, 2, generator=g, dtype=torch.float64,
                            record_steps=[1, 0])
    expected = reverse_mean(traj[1], 0, model(traj[1], None), s)
    assert torch.equal(out, expected)  # bit for bit: no random term added
    assert torch.equal(traj[0], out)
    assert step_sigmas(s, "beta")[0] == 0 and step_sigmas(s, "posterior")[0] == 0


def test_sigmas():
    s = NoiseSchedule.linear(10)
    assert torch.allclose(step_sigmas(s, "beta")[1:] ** 2, s.betas[1:])
    # posterior variance (Ho et al. eq. 7) is never larger than beta
    assert (step_sigmas(s, "posterior") ** 2 <= s.betas + 1e-15).all()


def test_same_generator_seed_same_samples():
    s = NoiseSchedule.linear(30)
    model = lambda x, t: torch.zeros_like(x)
    a = ddpm_sample(model, s, 10, 3, generator=torch.Generator().manual_seed(5))
    b = ddpm_sample(model, s, 10, 3, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b)


def test_zero_predictor_on_one_step_schedule():
    # T = 1: x_0 = x_1 / sqrt(alpha_0) when eps_pred = 0 (eq. 11 by hand).
    s = NoiseSchedule.from_betas([0.19])
    x1 = torch.tensor([[0.9, -0.9]])
    out = ddpm_sample(lambda x, t: torch.zeros_like(x), s, 1, 2, x_T=x1)
    assert torch.allclose(out, x1 / 0.9)


def test_predict_x0_inverts_the_closed_form():
    s = NoiseSchedule.linear(100)
    x0, eps = torch.randn(5, 2, dtype=torch.float64), torch.randn(5, 2, dtype=torch.float64)
    abar = s.alpha_bars[40]
    x_t = abar.sqrt() * x0 + (1 - abar).sqrt() * eps
    assert torch.allclose(predict_x0(x_t, 40, eps, s), x0)


def test_bad_model_output_and_options():
    s = NoiseSchedule.linear(5)
    with pytest.raises(ValueError, match="shape"):
        ddpm_sample(lambda x, t: x[:, :1], s, 4, 2)
    with pytest.raises(ValueError, match="NaN"):
        ddpm_sample(lambda x, t: x * float("nan"), s, 4, 2)
    with pytest.raises(ValueError, match="unknown variance"):
        ddpm_sample(lambda x, t: x, s, 4, 2, variance="betta")
    with pytest.raises(ValueError, match="positive integer"):
        ddpm_sample(lambda x, t: x, s, 0, 2)
