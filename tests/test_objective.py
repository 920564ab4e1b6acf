"""The formulas of notebook 04 (training), checked against ddpm_lib.

- the loss: mean over rows and coordinates of (eps - eps_theta(x_{t+1}, t))^2
  with x_{t+1} = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps;
- a noise guess is a guess of the clean row, and
  |x0 - x0_hat|^2 = (1 - abar) / abar |eps - eps_hat|^2;
- the sinusoidal embedding [sin(w_k t), cos(w_k t)], w_k = 10000^(-k / (dim/2));
- one EMA update theta_ema <- gamma theta_ema + (1 - gamma) theta, an
  average over about 1 / (1 - gamma) steps.
(The floor under the loss is tested in test_oracle.py.)
"""

import math

import numpy as np
import pytest
import torch

from ddpm_lib.model import NoisePredictor, sinusoidal_embedding
from ddpm_lib.repro import torch_generator
from ddpm_lib.sampling import predict_x0
from ddpm_lib.schedule import NoiseSchedule
from ddpm_lib.training import ema_update, noise_prediction_loss

SCHED = NoiseSchedule.linear(T=1000)


def test_loss_is_the_mean_squared_noise_error():
    g = torch_generator(0)
    x0 = torch.randn(64, 2, generator=g)
    t = torch.randint(0, SCHED.T, (64,), generator=g)
    eps = torch.randn(64, 2, generator=g)
    model = lambda x, tt: 0.5 * x  # any predictor
    abar = SCHED.alpha_bars[t].float().unsqueeze(1)
    x_t = abar.sqrt() * x0 + (1 - abar).sqrt() * eps
    by_hand = ((model(x_t, t) - eps) ** 2).mean()
    assert noise_prediction_loss(model, x0, t, eps, SCHED).item() == pytest.approx(
        by_hand.item(), rel=1e-6)


def test_a_zero_predictor_has_loss_near_one():
    # Knowing nothing: E eps^2 = 1.
    g = torch_generator(1)
    x0 = torch.randn(20_000, 2, generator=g)
    t = torch.randint(0, SCHED.T, (20_000,), generator=g)
    eps = torch.randn(20_000, 2, generator=g)
    loss = noise_prediction_loss(lambda x, tt: torch.zeros_like(x), x0, t, eps, SCHED)
    assert loss.item() == pytest.approx(1.0, abs=4 * math.sqrt(2 / 40_000))


@pytest.mark.parametrize("t", (0, 100, 999))
def test_noise_error_is_a_weighted_x0_error(t):
    g = torch_generator(2)
    x0 = torch.randn(32, 2, generator=g, dtype=torch.float64)
    eps = torch.randn(32, 2, generator=g, dtype=torch.float64)
    eps_hat = eps + 0.1 * torch.randn(32, 2, generator=g, dtype=torch.float64)
    abar = SCHED.alpha_bars[t].item()
    x_t = math.sqrt(abar) * x0 + math.sqrt(1 - abar) * eps
    x0_err = ((x0 - predict_x0(x_t, t, eps_hat, SCHED)) ** 2).sum(dim=1)
    eps_err = ((eps - eps_hat) ** 2).sum(dim=1)
    assert torch.allclose(x0_err, (1 - abar) / abar * eps_err, rtol=1e-8)


def test_embedding_formula():
    t = torch.tensor([0, 1, 7, 250, 999])
    half = 16
    w = 10_000.0 ** (-np.arange(half) / half)
    expected = np.concatenate([np.sin(np.outer(t.numpy(), w)),
                               np.cos(np.outer(t.numpy(), w))], axis=1)
    assert np.allclose(sinusoidal_embedding(t, 2 * half).numpy(), expected, atol=1e-4)


def test_one_ema_update():
    raw, avg = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    with torch.no_grad():
        for p in raw.parameters():
            p.fill_(2.0)
        for p in avg.parameters():
            p.fill_(-1.0)
    ema_update(avg, raw, decay=0.9)
    for p in avg.parameters():
        assert torch.allclose(p, torch.full_like(p, 0.9 * -1.0 + 0.1 * 2.0))


def test_ema_forgets_geometrically():
    # After k updates towards fixed weights the gap is gamma^k of the start;
    # after 1 / (1 - gamma) updates it is about 1/e.
    raw, avg = torch.nn.Linear(1, 1, bias=False), torch.nn.Linear(1, 1, bias=False)
    with torch.no_grad():
        raw.weight.fill_(1.0)
        avg.weight.fill_(0.0)
    gamma, k = 0.995, 200
    for _ in range(k):
        ema_update(avg, raw, gamma)
    gap = 1.0 - avg.weight.item()
    assert gap == pytest.approx(gamma ** k, rel=1e-5)
    assert gap == pytest.approx(math.exp(-1), rel=0.01)


def test_noise_predictor_counts_its_parameters():
    # inp 2->128, 2 hidden 128->128, 3 time projections 128->128, time MLP 32->128,
    # out 128->2, each with a bias.
    m = NoisePredictor(2)
    expected = (2 * 128 + 128) + 2 * (128 * 128 + 128) + 3 * (128 * 128 + 128) \
        + (32 * 128 + 128) + (128 * 2 + 2)
    assert m.num_parameters() == expected
