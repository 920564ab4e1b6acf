"""Training the noise predictor, with the origin's stop rule.

Objective (Ho et al. eq. 14, the "simple" loss): draw a row x_0, a step
index t uniformly from 0..T-1 and noise eps ~ N(0, I); form
``x = q_sample(x_0, t, eps)`` and minimise ``|eps - eps_theta(x, t)|^2``,
averaged over the row's coordinates.

Stop rule (from the origin experiment): after each iteration (one pass over
the training rows, with fresh t and noise), the held-out MSE is measured on
rows the network never trains on, with t and noise fixed once so that the
number is comparable from one iteration to the next. Training stops as soon
as it falls below ``threshold`` ("threshold") or when ``max_iterations``
passes are done ("max_iterations"). The result says which fired.

An exponential moving average (EMA) of the weights is kept beside the
weights themselves; sampling uses the EMA copy, which averages out the
step-to-step jitter of stochastic gradient descent.
"""

from __future__ import annotations

import copy
import math
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import torch

from ._checks import as_rows
from .forward import q_sample
from .model import NoisePredictor
from .scaler import Standardizer
from .schedule import NoiseSchedule


@dataclass
class TrainConfig:
    """Every training setting, with its default and the reason for it."""

    width: int = 128            # hidden units: ample for 2-8 columns, fast on 2 cores
    depth: int = 3              # hidden layers
    time_dim: int = 32          # sinusoidal features of t
    batch_size: int = 128       # rows per gradient step
    lr: float = 2e-3            # Adam step size, decayed by cosine annealing to lr / 20
    threshold: float = 0.0      # held-out MSE that stops training (0 never fires)
    max_iterations: int = 120   # passes over the training rows at most
    holdout_fraction: float = 0.1  # share of rows kept out for the stop rule
    holdout_draws: int = 4      # fixed (t, noise) draws per held-out row
    ema_decay: float = 0.995    # weight of the old average at each step
    seed: int = 0               # drives the split, initial weights, t and noise
    progress: bool = False      # a progress bar for interactive use

    def __post_init__(self):
        for name in ("width", "depth", "time_dim", "batch_size", "max_iterations",
                     "holdout_draws"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                    or value <= 0:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not (isinstance(self.threshold, (int, float)) and not math.isnan(self.threshold)
                and self.threshold >= 0):
            raise ValueError(f"threshold must be a number >= 0 (inf allowed), "
                             f"got {self.threshold!r}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a finite positive number, got {self.lr!r}")
        if not 0 < self.holdout_fraction < 1:
            raise ValueError(f"holdout_fraction must lie strictly inside (0, 1), "
                             f"got {self.holdout_fraction!r}")
        if not 0 <= self.ema_decay < 1:
            raise ValueError(f"ema_decay must lie in [0, 1), got {self.ema_decay!r}")

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown training option(s) {unknown}; "
                             f"known: {sorted(known)}")
        return cls(**d)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainResult:
    model: NoisePredictor          # the raw weights after the last step
    ema_model: NoisePredictor      # the averaged weights (use these to sample)
    scaler: Standardizer
    schedule: NoiseSchedule
    config: TrainConfig
    iterations: int
    stopped_by: str                # "threshold" or "max_iterations"
    final_mse: float               # held-out MSE of the EMA weights at the stop
    history: dict = field(default_factory=dict)   # per-iteration curves
    train_index: np.ndarray = None  # rows used for gradient steps
    holdout_index: np.ndarray = None  # rows kept out for the stop rule

    def summary(self) -> dict:
        return {"iterations": self.iterations, "stopped_by": self.stopped_by,
                "final_mse": self.final_mse}


def noise_prediction_loss(model, x0, t, noise, schedule) -> torch.Tensor:
    """Mean over rows and coordinates of ``(eps - eps_theta(q_sample(x0, t, eps), t))^2``."""
    x_t = q_sample(x0, t, noise, schedule)
    return ((model(x_t, t) - noise) ** 2).mean()


@torch.no_grad()
def heldout_mse(model, x0, t, noise, schedule, per_step: bool = False):
    """Held-out MSE at fixed (t, noise); with ``per_step`` the (T,) mean per step."""
    err = ((model(q_sample(x0, t, noise, schedule), t) - noise) ** 2).mean(dim=1)
    if not per_step:
        return float(err.mean())
    total = torch.zeros(schedule.T, dtype=torch.float64).index_add_(0, t, err.double())
    count = torch.zeros(schedule.T, dtype=torch.float64).index_add_(
        0, t, torch.ones_like(err, dtype=torch.float64))
    return total / count.clamp(min=1)


@torch.no_grad()
def ema_update(ema_model, model, decay: float) -> None:
    for p_ema, p in zip(ema_model.parameters(), model.parameters()):
        p_ema.mul_(decay).add_(p, alpha=1 - decay)


def split_rows(n: int, holdout_fraction: float, generator: torch.Generator):
    """A seeded random split into (train_index, holdout_index)."""
    n_hold = max(1, int(round(n * holdout_fraction)))
    if n - n_hold < 2:
        raise ValueError(f"need at least {n_hold + 2} rows to train with a held-out "
                         f"share of {holdout_fraction}, got {n}")
    perm = torch.randperm(n, generator=generator).numpy()
    return np.sort(perm[n_hold:]), np.sort(perm[:n_hold])


def train(rows, schedule: NoiseSchedule, config: TrainConfig | None = None,
          **overrides) -> TrainResult:
    """Fit a :class:`NoisePredictor` to ``rows`` (n, d) in data units.

    Keyword overrides change single fields of ``config`` (``threshold=0.2``).
    """
    config = config or TrainConfig()
    if overrides:
        config = TrainConfig.from_dict({**config.to_dict(), **overrides})
    data = as_rows(rows, "rows").numpy()
    gen = torch.Generator().manual_seed(config.seed)
    train_idx, hold_idx = split_rows(len(data), config.holdout_fraction, gen)
    scaler = Standardizer.fit(data[train_idx])
    z = torch.as_tensor(scaler.transform(data), dtype=torch.float32)
    z_train, z_hold = z[train_idx], z[hold_idx]

    # Held-out (t, noise) fixed once, so the stop rule compares like with like.
    z_eval = z_hold.repeat(config.holdout_draws, 1)
    t_eval = torch.randint(0, schedule.T, (len(z_eval),), generator=gen)
    eps_eval = torch.randn(z_eval.shape, generator=gen)

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model = NoisePredictor(z.shape[1], config.width, config.depth, config.time_dim)
    ema_model = copy.deepcopy(model).requires_grad_(False)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    steps_per_iter = math.ceil(len(z_train) / config.batch_size)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(
        opt, T_max=config.max_iterations * steps_per_iter, eta_min=config.lr / 20)

    history = {"iteration": [], "train_loss": [], "heldout_mse": [], "heldout_mse_ema": []}
    iterations = range(1, config.max_iterations + 1)
    if config.progress:
        from tqdm.auto import tqdm
        iterations = tqdm(iterations, desc="training")
    stopped_by, final = "max_iterations", float("nan")
    for it in iterations:
        order = torch.randperm(len(z_train), generator=gen)
        losses = []
        for start in range(0, len(order), config.batch_size):
            x0 = z_train[order[start:start + config.batch_size]]
            t = torch.randint(0, schedule.T, (len(x0),), generator=gen)
            noise = torch.randn(x0.shape, generator=gen)
            loss = noise_prediction_loss(model, x0, t, noise, schedule)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            ema_update(ema_model, model, config.ema_decay)
            losses.append(loss.item())
        if not math.isfinite(losses[-1]):
            raise RuntimeError(f"training diverged at iteration {it} (loss {losses[-1]}); "
                               "lower lr")
        final = heldout_mse(ema_model, z_eval, t_eval, eps_eval, schedule)
        history["iteration"].append(it)
        history["train_loss"].append(float(np.mean(losses)))
        history["heldout_mse"].append(heldout_mse(model, z_eval, t_eval, eps_eval, schedule))
        history["heldout_mse_ema"].append(final)
        if final < config.threshold:
            stopped_by = "threshold"
            break
    model.eval()
    ema_model.eval()
    return TrainResult(model=model, ema_model=ema_model, scaler=scaler, schedule=schedule,
                       config=config, iterations=it, stopped_by=stopped_by,
                       final_mse=final, history=history, train_index=train_idx,
                       holdout_index=hold_idx)


def sample_rows(result_or_model, scaler: Standardizer, schedule: NoiseSchedule, n: int,
                seed: int = 0, variance: str = "beta", **kwargs) -> np.ndarray:
    """Sample n rows with a trained model and return them in data units."""
    from .sampling import ddpm_sample

    model = result_or_model.ema_model if isinstance(result_or_model, TrainResult) \
        else result_or_model
    gen = torch.Generator().manual_seed(int(seed))
    z = ddpm_sample(model, schedule, n, scaler.dim, generator=gen, variance=variance,
                    **kwargs)
    return scaler.inverse(z.double().numpy())
