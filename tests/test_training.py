import math

import numpy as np
import pytest
import torch

from ddpm_lib.model import NoisePredictor, sinusoidal_embedding
from ddpm_lib.samples import make_samples
from ddpm_lib.schedule import NoiseSchedule
from ddpm_lib.training import TrainConfig, heldout_mse, train

ROWS = make_samples("linear", 400, seed=0)
SCHED = NoiseSchedule.linear(100)
SMALL = dict(width=16, depth=2, time_dim=8, batch_size=64)


def test_threshold_zero_runs_exactly_the_maximum():
    r = train(ROWS, SCHED, max_iterations=3, threshold=0.0, **SMALL)
    assert (r.iterations, r.stopped_by) == (3, "max_iterations")
    assert len(r.history["heldout_mse"]) == 3


def test_infinite_threshold_stops_at_the_first_check():
    r = train(ROWS, SCHED, max_iterations=50, threshold=math.inf, **SMALL)
    assert (r.iterations, r.stopped_by) == (1, "threshold")
    assert r.final_mse == r.history["heldout_mse_ema"][0]


def test_training_is_seeded():
    a = train(ROWS, SCHED, max_iterations=2, **SMALL)
    b = train(ROWS, SCHED, max_iterations=2, **SMALL)
    assert a.history == b.history
    for p, q in zip(a.ema_model.parameters(), b.ema_model.parameters()):
        assert torch.equal(p, q)


def test_training_lowers_the_heldout_mse():
    r = train(ROWS, SCHED, max_iterations=15, **{**SMALL, "batch_size": 32, "lr": 1e-2})
    # A net that predicts zero noise scores E|eps|^2 / d = 1. The best possible
    # average for standardized [x, 2x] rows under this 100-step schedule is
    # mean_t abar_t / (1 + abar_t) = 0.418 (computed from the schedule; the
    # fixed held-out draws of t scatter around it, hence the lower bound 0.3).
    assert 0.3 < r.history["heldout_mse"][-1] < 0.6


def test_split_keeps_rows_apart():
    r = train(ROWS, SCHED, max_iterations=1, **SMALL)
    assert len(np.intersect1d(r.train_index, r.holdout_index)) == 0
    assert len(r.train_index) + len(r.holdout_index) == len(ROWS)
    assert len(r.holdout_index) == 40  # holdout_fraction 0.1 of 400 rows


def test_ema_decay_zero_copies_the_weights():
    r = train(ROWS, SCHED, max_iterations=1, ema_decay=0.0, **SMALL)
    for p, q in zip(r.model.parameters(), r.ema_model.parameters()):
        assert torch.equal(p, q)


def test_heldout_mse_per_step_averages_to_the_total():
    x0 = torch.randn(300, 2)
    t = torch.arange(300) % SCHED.T
    eps = torch.randn(300, 2)
    model = lambda x, tt: torch.zeros_like(x)
    per = heldout_mse(model, x0, t, eps, SCHED, per_step=True)
    assert per.shape == (SCHED.T,)
    # Each step has 3 rows here, so the mean of the per-step means is the total.
    assert per.mean().item() == pytest.approx(heldout_mse(model, x0, t, eps, SCHED), rel=1e-6)


def test_sinusoidal_embedding_known_values():
    # At t = 0 every sine is 0 and every cosine 1; the first frequency is 1.
    e = sinusoidal_embedding(torch.tensor([0, 2]), 8)
    assert torch.equal(e[0], torch.tensor([0.0] * 4 + [1.0] * 4))
    assert e[1, 0].item() == pytest.approx(math.sin(2.0), abs=1e-6)
    assert e[1, 4].item() == pytest.approx(math.cos(2.0), abs=1e-6)


def test_model_shapes_and_errors():
    m = NoisePredictor(3, width=8, depth=2, time_dim=4)
    out = m(torch.randn(5, 3), torch.tensor([0, 1, 2, 3, 4]))
    assert out.shape == (5, 3)
    with pytest.raises(ValueError, match=r"shape \(n, 3\)"):
        m(torch.randn(5, 2), torch.zeros(5, dtype=torch.int64))
    with pytest.raises(ValueError, match="time_dim must be even"):
        NoisePredictor(2, time_dim=5)


@pytest.mark.parametrize("option, value, match", [
    ("threshold", -1.0, "threshold"),
    ("threshold", float("nan"), "threshold"),
    ("max_iterations", 0, "max_iterations"),
    ("lr", 0.0, "lr"),
    ("holdout_fraction", 1.0, "holdout_fraction"),
    ("ema_decay", 1.0, "ema_decay"),
])
def test_bad_settings(option, value, match):
    with pytest.raises(ValueError, match=match):
        TrainConfig(**{option: value})


def test_unknown_option_is_named():
    with pytest.raises(ValueError, match="max_iteration"):
        train(ROWS, SCHED, max_iteration=3)


def test_bad_rows():
    bad = ROWS.copy()
    bad[7, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        train(bad, SCHED, max_iterations=1, **SMALL)
