"""The best possible noise predictor when the data are Gaussian.

If x_0 ~ N(mu, Sigma) and ``x = sqrt(abar) x_0 + sqrt(1 - abar) eps`` with
eps ~ N(0, I) independent of x_0, then (x, eps) is jointly Gaussian:

    Cov(x)      = C = abar Sigma + (1 - abar) I
    Cov(eps, x) = sqrt(1 - abar) I

and the regression of eps on x is exact, so the conditional mean, which is
the predictor with the smallest mean squared error, is

    E[eps | x] = sqrt(1 - abar) C^{-1} (x - sqrt(abar) mu).

What no predictor can remove is the conditional covariance
``I - (1 - abar) C^{-1}``; its trace divided by d is the minimum MSE per
coordinate, the floor under the training loss at that step.

Sigma may be singular (the origin's rows [x, 2x] lie on a line): C is still
invertible whenever 1 - abar > 0, which every step of a schedule with
betas in (0, 1) satisfies. Everything is computed once per step from the
eigendecomposition Sigma = U diag(lam) U', in which C^{-1} is diagonal:
along an eigenvector with variance lam the floor is
``abar lam / (abar lam + 1 - abar)``.

==========================  =================================================
``GaussianOracle``          E[eps | x_t] as an ``eps_model`` for ddpm_sample
``mmse_per_step``           the floor per step t, per coordinate, shape (T,)
``mmse_average``            its mean over t uniform on 0..T-1 (the training
                            loss of a perfect network)
``standardized_moments``    mu and Sigma seen through a fitted Standardizer
``sampler_output_law``      exact mean and covariance of what ddpm_sample
                            returns when it is driven by the oracle
==========================  =================================================

Units: the oracle works in whatever units ``mean`` and ``cov`` are given
in; the trained network sees standardized rows, so compare the two through
:func:`standardized_moments`.
"""

from __future__ import annotations

import numpy as np
import torch

from ._checks import choice
from .gaussian import _mean_cov
from .sampling import VARIANCES, step_sigmas
from .schedule import NoiseSchedule


def _moments(mean, cov) -> tuple[np.ndarray, np.ndarray]:
    return _mean_cov(mean, cov, "Gaussian law")


def _eigen(cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (clipped at 0) and eigenvectors of a covariance matrix."""
    lam, vecs = np.linalg.eigh(cov)
    if lam.min() < -1e-10 * max(1.0, np.abs(lam).max()):
        raise ValueError(f"cov must be positive semi-definite, found eigenvalue "
                         f"{lam.min():.3g}")
    # Rounding leaves the zero eigenvalue of a singular Sigma at +-1e-17.
    return np.clip(lam, 0.0, None), vecs


def _abars(schedule: NoiseSchedule) -> np.ndarray:
    return schedule.alpha_bars.numpy()


def _inverse_c(lam, vecs, abar) -> np.ndarray:
    """(abar Sigma + (1 - abar) I)^{-1} for every abar, shape (T, d, d)."""
    inv_eig = 1.0 / (abar[:, None] * lam[None, :] + (1.0 - abar[:, None]))
    return np.einsum("ij,tj,kj->tik", vecs, inv_eig, vecs)


def _times_symmetric(rows: torch.Tensor, gain: torch.Tensor) -> torch.Tensor:
    """``rows @ gain`` for a symmetric gain of shape (d, d), or (n, d, d) with
    one matrix per row. A sum of d column-times-row products: for the few
    columns used here this is faster on a CPU than a matrix product."""
    out = rows[:, :1] * gain[..., 0, :]
    for j in range(1, rows.shape[1]):
        out = out + rows[:, j:j + 1] * gain[..., j, :]
    return out


class GaussianOracle:
    """E[eps | x_t] for data x_0 ~ N(mean, cov): the optimal ``eps_model``.

    Call it like the trained network: ``oracle(x_t, t)`` with t an (n,) int64
    tensor of 0-based step indices and x_t of shape (n, d), the noisy rows at
    those steps (the state after t + 1 noising steps, as ``q_sample(x0, t,
    ...)`` returns it). It returns an (n, d) tensor in x_t's dtype, computed
    in float64.
    """

    def __init__(self, mean, cov, schedule: NoiseSchedule):
        self.mean, self.cov = _moments(mean, cov)
        self.schedule = schedule
        lam, vecs = _eigen(self.cov)
        abar = _abars(schedule)
        # gain[t] = sqrt(1 - abar_t) C_t^{-1}, so that E[eps | x] = gain (x - shift).
        # C is symmetric, so gain[t] is its own transpose: for rows (n, d)
        # the product is rows @ gain[t].
        self._gain = torch.from_numpy(np.ascontiguousarray(
            np.sqrt(1.0 - abar)[:, None, None] * _inverse_c(lam, vecs, abar)))
        self._shift = torch.from_numpy(np.sqrt(abar)[:, None] * self.mean[None, :])

    @property
    def dim(self) -> int:
        return int(self.mean.size)

    def __call__(self, x_t, t) -> torch.Tensor:
        x = torch.as_tensor(x_t)
        if x.ndim != 2 or x.shape[1] != self.dim:
            raise ValueError(f"x_t must have shape (n, {self.dim}), got {tuple(x.shape)}")
        t = torch.as_tensor(t)
        if t.shape != (x.shape[0],) or t.dtype.is_floating_point:
            raise ValueError(f"t must be an ({x.shape[0]},) integer tensor, "
                             f"got shape {tuple(t.shape)} and dtype {t.dtype}")
        if len(t) and (t.min() < 0 or t.max() >= self.schedule.T):
            raise ValueError(f"step index t must lie in [0, {self.schedule.T - 1}]")
        out_dtype = x.dtype if x.is_floating_point() else torch.float64
        x, t = x.double(), t.long()
        if len(t) == 0:
            return torch.empty(x.shape, dtype=out_dtype)
        if bool((t == t[0]).all()):  # while sampling every row is at one step
            step = int(t[0])
            eps = _times_symmetric(x - self._shift[step], self._gain[step])
        else:
            eps = _times_symmetric(x - self._shift[t], self._gain[t])
        return eps.to(out_dtype)

    def mmse_per_step(self) -> np.ndarray:
        return mmse_per_step(self.cov, self.schedule)


def mmse_per_step(cov, schedule: NoiseSchedule) -> np.ndarray:
    """Minimum noise-prediction MSE per coordinate at each step, shape (T,).

    ``(1/d) tr[I - (1 - abar) (abar Sigma + (1 - abar) I)^{-1}]``, which in
    Sigma's eigenbasis is the mean over directions of
    ``abar lam / (abar lam + 1 - abar)``. The mean of the data plays no part.
    """
    cov = np.atleast_2d(np.asarray(cov, dtype=np.float64))
    _, cov = _moments(np.zeros(cov.shape[0]), cov)
    lam, _ = _eigen(cov)
    abar = _abars(schedule)[:, None]
    return (abar * lam / (abar * lam + 1.0 - abar)).mean(axis=1)


def mmse_average(cov, schedule: NoiseSchedule) -> float:
    """The floor averaged over t uniform on 0..T-1: the smallest value the
    training loss (and the held-out MSE of the stop rule) can have on average."""
    return float(mmse_per_step(cov, schedule).mean())


def standardized_moments(mean, cov, scaler) -> tuple[np.ndarray, np.ndarray]:
    """Moments of ``(x - scaler.mean) / scaler.scale`` when x has mean and cov.

    The network is trained on rows standardized by a scaler fitted to the
    training rows; the true law, seen through that same scaler, is what its
    output should match.
    """
    mean, cov = _moments(mean, cov)
    scale = np.asarray(scaler.scale, dtype=np.float64)
    if scale.shape != mean.shape:
        raise ValueError(f"scaler has {scale.size} columns, the law {mean.size}")
    z_mean = (mean - scaler.mean) / scale
    return z_mean, cov / np.outer(scale, scale)


def sampler_output_law(mean, cov, schedule: NoiseSchedule, variance: str = "beta"):
    """Exact mean and covariance of ``ddpm_sample(GaussianOracle(...), ...)``.

    With the oracle every reverse step is linear in x plus independent
    Gaussian noise, x_prev = A_t x + c_t + sigma_t z, so starting from
    x_T ~ N(0, I) the output is Gaussian and its moments follow from
    m <- A m + c, P <- A P A' + sigma_t^2 I. Whatever separates them from
    (mean, cov) is the sampler's own error (finite T, the choice of sigma_t,
    the start at N(0, I) instead of the exact law of x_T), with no network
    error at all.
    """
    choice(variance, VARIANCES, "variance")
    mean, cov = _moments(mean, cov)
    lam, vecs = _eigen(cov)
    abar = _abars(schedule)
    alphas, betas = schedule.alphas.numpy(), schedule.betas.numpy()
    sigmas = step_sigmas(schedule, variance).numpy()
    gain = np.sqrt(1.0 - abar)[:, None, None] * _inverse_c(lam, vecs, abar)
    eye = np.eye(mean.size)
    m, P = np.zeros(mean.size), eye.copy()
    for t in range(schedule.T - 1, -1, -1):
        # reverse_mean: (x - k eps) / sqrt(alpha), k = beta / sqrt(1 - abar),
        # with eps = gain (x - sqrt(abar) mu).
        k = betas[t] / np.sqrt(1.0 - abar[t])
        A = (eye - k * gain[t]) / np.sqrt(alphas[t])
        c = k * gain[t] @ (np.sqrt(abar[t]) * mean) / np.sqrt(alphas[t])
        m = A @ m + c
        P = A @ P @ A.T + sigmas[t] ** 2 * eye
    return m, (P + P.T) / 2
