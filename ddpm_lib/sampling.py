"""Reverse (ancestral) sampling: from pure noise back to rows.

With the 0-based index of :mod:`ddpm_lib.schedule`, the reverse step at index
t turns the state after t + 1 noising steps into the state after t steps:

1. predicted noise ``eps = eps_model(x, t)``
2. mean of the step, from the Gaussian posterior q(x_t | x_{t+1}, x_0) with
   x_0 replaced by its estimate (Ho et al. eq. 11)::

       mean = (x - betas[t] / sqrt(1 - alpha_bars[t]) * eps) / sqrt(alphas[t])

3. add ``sigma_t * z`` with z ~ N(0, I), only for t > 0. ``sigma_t^2`` is
   ``betas[t]`` ("beta", the origin's choice and Ho et al.'s sigma^2 = beta) or
   the posterior variance ``betas[t] (1 - alpha_bars[t-1]) / (1 - alpha_bars[t])``
   ("posterior"). The last step (t = 0) returns the mean: any noise added
   there would stay in the samples, as nothing follows to remove it.

Nothing is clamped: the predicted x_0 is never cut to [-1, 1].
"""

from __future__ import annotations

import numbers

import numpy as np
import torch

from ._checks import as_rows, choice, positive_int
from .forward import _check_generator
from .schedule import NoiseSchedule, _check_schedule

VARIANCES = ("beta", "posterior")


def step_sigmas(schedule: NoiseSchedule, variance: str = "beta") -> torch.Tensor:
    """sigma_t for every step index t (float64); sigma_0 is 0 by construction."""
    _check_schedule(schedule)
    choice(variance, VARIANCES, "variance")
    var = schedule.betas.clone() if variance == "beta" else schedule.posterior_variance()
    var[0] = 0.0
    return var.sqrt()


def predict_x0(x_t, t: int, eps, schedule: NoiseSchedule) -> torch.Tensor:
    """Invert the closed form: x_0 = (x_t - sqrt(1 - abar) eps) / sqrt(abar)."""
    abar = schedule.alpha_bars[t].item()
    return (x_t - (1 - abar) ** 0.5 * eps) / abar ** 0.5


def reverse_mean(x_t, t: int, eps, schedule: NoiseSchedule) -> torch.Tensor:
    """Mean of the reverse step at index t (eq. 11)."""
    a, b, abar = (schedule.alphas[t].item(), schedule.betas[t].item(),
                  schedule.alpha_bars[t].item())
    return (x_t - b / (1 - abar) ** 0.5 * eps) / a ** 0.5


def _call_model(eps_model, x, t: int, dtype):
    tt = torch.full((x.shape[0],), t, dtype=torch.int64)
    eps = eps_model(x, tt)
    if not isinstance(eps, torch.Tensor) or eps.shape != x.shape:
        shape = tuple(eps.shape) if isinstance(eps, torch.Tensor) else type(eps).__name__
        raise ValueError(f"eps_model must return a tensor of shape {tuple(x.shape)}, "
                         f"got {shape} at step {t}")
    if not eps.is_floating_point():  # complex would lose its imaginary part, bool/int
        raise ValueError(f"eps_model must return a real floating-point tensor, "
                         f"got dtype {eps.dtype} at step {t}")
    if not torch.isfinite(eps).all():
        raise ValueError(f"eps_model returned NaN or inf at step {t}")
    return eps.to(dtype)


def _record_steps(record_steps, T: int) -> set:
    """The numbers of noising steps k in [0, T] whose states are kept."""
    try:
        entries = list(record_steps.tolist() if isinstance(record_steps, torch.Tensor)
                       else record_steps)
    except TypeError:
        raise ValueError(f"record_steps must be a sequence of integers in [0, {T}], "
                         f"got {record_steps!r}") from None
    for k in entries:
        if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral) \
                or not 0 <= k <= T:
            raise ValueError(f"record_steps must hold integers in [0, {T}], got {k!r}")
    return {int(k) for k in entries}


def _check_chain(x, t: int, dtype) -> None:
    if not torch.isfinite(x).all():
        raise ValueError(f"the reverse chain overflowed {dtype} at step {t}: "
                         f"eps_model outputs too large")


@torch.no_grad()
def ddpm_sample(eps_model, schedule: NoiseSchedule, n: int, dim: int, generator=None,
                variance: str = "beta", dtype=torch.float32, x_T=None,
                record_steps=(), progress: bool = False):
    """Draw ``n`` rows of dimension ``dim`` by running the reverse chain from t = T-1.

    ``eps_model`` is any callable ``(x_t (n, dim), t (n,) int64) -> (n, dim)``.
    ``generator`` (a torch.Generator) drives x_T and every step's noise.
    ``x_T`` replaces the initial N(0, I) draw. ``record_steps`` lists numbers
    of noising steps k in [0, T] whose states are kept (k = T is the starting
    noise, k = 0 the finished rows); then the result is ``(x_0, {k: state})``.
    Returns an (n, dim) tensor of ``dtype`` in the model's (standardized) units.
    """
    n, dim = positive_int(n, "n"), positive_int(dim, "dim")
    sigmas = step_sigmas(schedule, variance)
    _check_generator(generator)
    record_steps = _record_steps(record_steps, schedule.T)
    if x_T is None:
        x = torch.randn((n, dim), generator=generator, dtype=torch.float64).to(dtype)
    else:
        x = as_rows(x_T, "x_T", dtype=dtype)
        if x.shape != (n, dim):
            raise ValueError(f"x_T must have shape {(n, dim)}, got {tuple(x.shape)}")
    trajectory = {schedule.T: x.clone()} if schedule.T in record_steps else {}
    steps = range(schedule.T - 1, -1, -1)
    if progress:
        from tqdm.auto import tqdm
        steps = tqdm(steps, desc="sampling", leave=False)
    for t in steps:
        eps = _call_model(eps_model, x, t, dtype)               # 1. predicted noise
        mean = reverse_mean(x, t, eps, schedule)                # 2. posterior mean
        if t > 0:                                               # 3. noise, not at t = 0
            z = torch.randn((n, dim), generator=generator, dtype=torch.float64).to(dtype)
            x = mean + sigmas[t].item() * z
        else:
            x = mean
        _check_chain(x, t, dtype)
        if t in record_steps:
            trajectory[t] = x.clone()
    return (x, trajectory) if record_steps else x
