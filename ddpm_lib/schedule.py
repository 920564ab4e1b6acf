"""Noise schedules: the betas and everything derived from them.

Index convention (used everywhere in this package)
--------------------------------------------------
Steps are 0-based, ``t = 0 .. T-1``. ``betas[t]`` is the variance added by
step ``t``; ``alphas[t] = 1 - betas[t]``; ``alpha_bars[t]`` is the product
``alphas[0] * ... * alphas[t]``, so ``alpha_bars[0] = alphas[0]``.

==================  ======================  ================================
code                Ho et al. (1-based)     meaning
==================  ======================  ================================
``betas[t]``        beta_{t+1}              variance of step t
``alphas[t]``       alpha_{t+1}             1 - beta
``alpha_bars[t]``   alpha-bar_{t+1}         signal kept after t + 1 steps
==================  ======================  ================================

All arrays are 1-D ``torch.float64`` tensors of length ``T``: the product of a
thousand numbers close to one loses digits in float32.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np
import torch


def _check_T(T) -> int:
    if isinstance(T, bool) or not isinstance(T, numbers.Integral):
        raise ValueError(f"T must be a positive integer, got {T!r}")
    if T <= 0:
        raise ValueError(f"T must be a positive integer, got {T}")
    return int(T)


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _betas_tensor(betas) -> torch.Tensor:
    """``betas`` as a new float64 tensor; only real numbers (or bools) are read."""
    if isinstance(betas, torch.Tensor):
        if betas.is_complex():
            raise ValueError(f"betas must be a 1-D sequence of real numbers, "
                             f"got dtype {betas.dtype}")
        return betas.detach().to(torch.float64).clone()
    try:
        values = np.asarray(betas)
    except (TypeError, ValueError) as err:  # ragged lists and the like
        raise ValueError(f"betas must be a 1-D sequence of real numbers, "
                         f"could not read it as an array: {err}") from None
    if values.dtype.kind not in "biuf":  # str, object (None, dict, ...), complex
        raise ValueError(f"betas must be a 1-D sequence of real numbers, got "
                         f"{type(betas).__name__} of dtype {values.dtype}")
    return torch.from_numpy(np.array(values, dtype=np.float64, order="C"))


def _first(mask: torch.Tensor) -> int:
    return int(mask.nonzero()[0])


def _check_no_underflow(alpha_bars: torch.Tensor) -> None:
    """alpha_bars must stay > 0 and strictly decrease: a product that underflows
    (a long or steep schedule) would leave 0 / 0 in snr, predict_x0, ..."""
    stuck = alpha_bars <= 0
    stuck[1:] |= alpha_bars[1:] >= alpha_bars[:-1]
    if stuck.any():
        k = _first(stuck)
        raise ValueError(f"alpha_bars underflows float64 at step {k} (value "
                         f"{alpha_bars[k].item():.3g}): the schedule has too many or "
                         f"too large betas; use fewer steps or smaller betas")


@dataclass(frozen=True, eq=False)
class NoiseSchedule:
    """A validated variance schedule; build it with :meth:`linear`,
    :meth:`cosine` or :meth:`from_betas`."""

    betas: torch.Tensor
    name: str = "custom"

    def __post_init__(self):
        betas = _betas_tensor(self.betas)
        if betas.ndim != 1 or betas.numel() == 0:
            raise ValueError(
                f"betas must be a non-empty 1-D sequence, got shape {tuple(betas.shape)}"
            )
        if not torch.isfinite(betas).all():
            raise ValueError("betas must all be finite (found NaN or inf)")
        if not ((betas > 0) & (betas < 1)).all():
            bad = betas[(betas <= 0) | (betas >= 1)][0].item()
            raise ValueError(f"every beta must lie strictly inside (0, 1), found {bad!r}")
        alphas = 1.0 - betas
        if (alphas >= 1).any():
            k = _first(alphas >= 1)
            raise ValueError(f"beta {betas[k].item()!r} at step {k} is too small: "
                             f"1 - beta rounds to 1 in float64")
        alpha_bars = torch.cumprod(alphas, dim=0)
        _check_no_underflow(alpha_bars)
        object.__setattr__(self, "betas", betas)
        object.__setattr__(self, "alphas", alphas)
        object.__setattr__(self, "alpha_bars", alpha_bars)

    @property
    def T(self) -> int:
        return int(self.betas.numel())

    @classmethod
    def from_betas(cls, betas, name: str = "custom") -> "NoiseSchedule":
        return cls(betas, name=name)

    @classmethod
    def linear(cls, T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02):
        """Betas evenly spaced from ``beta_start`` to ``beta_end`` (Ho et al.)."""
        T = _check_T(T)
        for label, value in (("beta_start", beta_start), ("beta_end", beta_end)):
            if not _is_real(value):
                raise ValueError(f"{label} must be a number, got {value!r}")
            if not (math.isfinite(value) and 0.0 < value < 1.0):
                raise ValueError(f"{label} must lie strictly inside (0, 1), got {value!r}")
        if beta_start > beta_end:
            raise ValueError(
                f"beta_start ({beta_start}) must not exceed beta_end ({beta_end})"
            )
        betas = torch.linspace(beta_start, beta_end, T, dtype=torch.float64)
        return cls(betas, name="linear")

    @classmethod
    def cosine(cls, T: int = 1000, s: float = 0.008, max_beta: float = 0.999):
        """Nichol & Dhariwal's cosine schedule.

        ``alpha_bar(u) = f(u) / f(0)`` with ``f(u) = cos^2(pi/2 (u + s)/(1 + s))``
        on ``u = k / T``; beta of step t is ``1 - abar((t+1)/T) / abar(t/T)``,
        capped at ``max_beta`` so that the last step stays below one.
        """
        T = _check_T(T)
        if not _is_real(s) or not math.isfinite(s) or s < 0:
            raise ValueError(f"s must be a finite number >= 0, got {s!r}")
        if not _is_real(max_beta) or not 0.0 < max_beta < 1.0:
            raise ValueError(f"max_beta must lie strictly inside (0, 1), got {max_beta!r}")
        if 1.0 - max_beta == 1.0:
            raise ValueError(f"max_beta {max_beta!r} is too small: 1 - max_beta rounds "
                             f"to 1 in float64")
        u = torch.arange(T + 1, dtype=torch.float64) / T
        f = torch.cos((u + s) / (1 + s) * math.pi / 2) ** 2
        abar = f / f[0]
        betas = (1 - abar[1:] / abar[:-1]).clamp(min=1e-12, max=max_beta)
        return cls(betas, name="cosine")

    def snr(self) -> torch.Tensor:
        """Signal-to-noise ratio ``abar / (1 - abar)`` after each step."""
        return self.alpha_bars / (1.0 - self.alpha_bars)

    def posterior_variance(self) -> torch.Tensor:
        """Variance of the state before step t given the state after it and x_0.

        For step index t (0-based) this is ``betas[t] * (1 - alpha_bars[t-1])
        / (1 - alpha_bars[t])``: Ho et al.'s beta-tilde_{t+1}, the variance of
        q(x_t | x_{t+1}, x_0) in their 1-based names (eq. 7). At t = 0 the
        state before the step is x_0 itself (``alpha_bars[-1]`` counts as 1),
        so the variance is exactly 0.
        """
        abar_prev = torch.cat([torch.ones(1, dtype=torch.float64), self.alpha_bars[:-1]])
        return self.betas * (1.0 - abar_prev) / (1.0 - self.alpha_bars)

    def to_dict(self) -> dict:
        return {"name": self.name, "betas": [float(b) for b in self.betas]}

    @classmethod
    def from_dict(cls, d: dict) -> "NoiseSchedule":
        return cls.from_betas(d["betas"], name=str(d.get("name", "custom")))

    def __repr__(self) -> str:
        return (
            f"NoiseSchedule(name={self.name!r}, T={self.T}, "
            f"beta[0]={self.betas[0].item():.4g}, beta[T-1]={self.betas[-1].item():.4g})"
        )


def _check_schedule(schedule) -> NoiseSchedule:
    """Refuse anything but a NoiseSchedule where one is expected."""
    if not isinstance(schedule, NoiseSchedule):
        raise ValueError(f"schedule must be a NoiseSchedule, got {type(schedule).__name__}")
    return schedule
