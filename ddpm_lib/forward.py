"""The forward (noising) process q.

One step (index t, 0-based)::

    x_{t+1} = sqrt(alphas[t]) * x_t + sqrt(betas[t]) * eps_t        (Ho et al. eq. 2)

Applied t + 1 times to x_0 it compounds to the closed form::

    x_{t+1} = sqrt(alpha_bars[t]) * x_0 + sqrt(1 - alpha_bars[t]) * eps   (eq. 4)

``q_sample`` is the closed form, ``forward_steps`` the recursion; notebook 02
derives one from the other and notebook 03 checks that they agree.
``chain_moments`` runs the same recursion and records the sample mean and
covariance of the rows after every step, to draw against the exact curves.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch

from ._checks import as_rows
from .schedule import NoiseSchedule, _check_schedule


def _step_range_error(bad, T: int) -> ValueError:
    return ValueError(f"step index t must lie in [0, {T - 1}] (0-based), got {bad}")


def _integer_array(t) -> np.ndarray:
    """``t`` (an array, tensor or sequence) as a numpy array of integers."""
    if isinstance(t, torch.Tensor):
        if t.dtype.is_floating_point or t.dtype == torch.bool or t.is_complex():
            raise ValueError(f"t must hold integer step indices, got dtype {t.dtype}")
        return t.detach().cpu().numpy()
    try:
        steps = np.asarray(t)
    except (TypeError, ValueError) as err:  # ragged lists and the like
        raise ValueError(f"t must be an int or a sequence of integer step indices, "
                         f"could not read it as an array: {err}") from None
    if steps.dtype.kind not in "iu":  # float, bool, str, object (None, ...), complex
        shown = repr(t) if steps.ndim == 0 else f"{type(t).__name__} of dtype {steps.dtype}"
        raise ValueError(f"t must hold integer step indices, got {shown}")
    return steps


def _as_steps(t, n: int, T: int) -> torch.Tensor:
    """``t`` as an (n,) int64 tensor of step indices in [0, T).

    The range is checked before any conversion to int64, so that an index too
    large for int64 (or an unsigned one above 2**63) is reported as it is.
    """
    if isinstance(t, (bool, np.bool_)):
        raise ValueError(f"t must be an integer step index, got {t!r}")
    if isinstance(t, numbers.Integral):
        if not 0 <= int(t) < T:
            raise _step_range_error(int(t), T)
        return torch.full((n,), int(t), dtype=torch.int64)
    steps = _integer_array(t)
    if steps.ndim == 0:
        steps = np.broadcast_to(steps, (n,))
    if steps.shape != (n,):
        raise ValueError(f"t must be an int or have shape ({n},), got {steps.shape}")
    outside = (steps < 0) | (steps >= T)
    if outside.any():
        raise _step_range_error(steps[outside][0], T)
    return torch.from_numpy(steps.astype(np.int64))


def _check_generator(generator) -> None:
    if generator is not None and not isinstance(generator, torch.Generator):
        kind = type(generator)  # module too: numpy's Generator is not torch's
        shown = kind.__qualname__ if kind.__module__ == "builtins" \
            else f"{kind.__module__}.{kind.__qualname__}"
        raise ValueError(f"generator must be a torch.Generator or None, got {shown}")


def q_sample(x0, t, noise, schedule: NoiseSchedule) -> torch.Tensor:
    """State after ``t + 1`` noising steps, in closed form (eq. 4).

    x0 and noise have shape (n, d); t is an int or an (n,) int tensor. Returns
    a tensor in x0's floating dtype (float64 when x0 is not a float tensor).
    """
    _check_schedule(schedule)
    dtype = x0.dtype if isinstance(x0, torch.Tensor) and x0.is_floating_point() \
        else torch.float64
    x0 = as_rows(x0, "x0", dtype=dtype)
    noise = as_rows(noise, "noise", dtype=dtype)
    if noise.shape != x0.shape:
        raise ValueError(f"noise must have x0's shape {tuple(x0.shape)}, "
                         f"got {tuple(noise.shape)}")
    t = _as_steps(t, x0.shape[0], schedule.T)
    abar = schedule.alpha_bars[t].to(dtype).unsqueeze(1)
    out = abar.sqrt() * x0 + (1.0 - abar).sqrt() * noise
    if not torch.isfinite(out).all():
        raise ValueError(f"q_sample overflowed {dtype}: x0 or noise too large for it")
    return out


def forward_step(x, t: int, noise, schedule: NoiseSchedule) -> torch.Tensor:
    """One step of the recursion (eq. 2): from the state before step t to after it."""
    _check_schedule(schedule)
    t = int(_as_steps(t, 1, schedule.T)[0])
    a, b = schedule.alphas[t].item(), schedule.betas[t].item()
    return a ** 0.5 * x + b ** 0.5 * noise


def forward_steps(x0, num_steps: int, schedule: NoiseSchedule, generator=None,
                  return_all: bool = False):
    """Apply the one-step recursion ``num_steps`` times to x0 (float64).

    Uses fresh standard normal noise at every step, drawn from ``generator``.
    Returns x after ``num_steps`` steps (comparable with
    ``q_sample(x0, num_steps - 1, ...)``), or with ``return_all`` the stack of
    every state, shape (num_steps + 1, n, d), starting at x0.
    """
    _check_schedule(schedule)
    _check_generator(generator)
    x = as_rows(x0, "x0")
    if isinstance(num_steps, bool) or not isinstance(num_steps, numbers.Integral) \
            or not 0 <= num_steps <= schedule.T:
        raise ValueError(f"num_steps must be an integer in [0, {schedule.T}], "
                         f"got {num_steps!r}")
    states = [x] if return_all else None
    for t in range(int(num_steps)):
        noise = torch.randn(x.shape, generator=generator, dtype=torch.float64)
        x = forward_step(x, t, noise, schedule)
        if return_all:
            states.append(x)
    return torch.stack(states) if return_all else x


def chain_moments(x0, num_steps: int, schedule: NoiseSchedule, generator=None):
    """Run the recursion like :func:`forward_steps` (same draws, same result) and
    record the rows' sample statistics after every step.

    Returns ``(x, means, covs)``: the final state (n, d), the sample means
    (num_steps, d) and the sample covariances (num_steps, d, d), ddof = 1.
    Needs at least two rows. The covariance is built from elementwise
    products rather than a matrix product, which keeps each step on one
    thread for the sizes the notebooks use.
    """
    _check_schedule(schedule)
    _check_generator(generator)
    x = as_rows(x0, "x0")
    n, d = x.shape
    if n < 2:
        raise ValueError(f"x0 needs at least 2 rows for a sample covariance, got {n}")
    if isinstance(num_steps, bool) or not isinstance(num_steps, numbers.Integral) \
            or not 1 <= num_steps <= schedule.T:
        raise ValueError(f"num_steps must be an integer in [1, {schedule.T}], "
                         f"got {num_steps!r}")
    means = torch.empty((num_steps, d), dtype=torch.float64)
    covs = torch.empty((num_steps, d, d), dtype=torch.float64)
    for t in range(int(num_steps)):
        noise = torch.randn(x.shape, generator=generator, dtype=torch.float64)
        x = forward_step(x, t, noise, schedule)
        means[t] = x.mean(0)
        centred = x - means[t]
        for i in range(d):
            for j in range(i, d):
                covs[t, i, j] = covs[t, j, i] = (centred[:, i] * centred[:, j]).sum() / (n - 1)
    return x, means, covs
