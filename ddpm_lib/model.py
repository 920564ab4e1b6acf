"""The noise predictor eps_theta(x_t, t): a small MLP with a sinusoidal time embedding.

The step index t enters through the same sinusoidal features a transformer
uses for positions (Vaswani et al.; Ho et al. section 4): sines and cosines of
t at geometrically spaced frequencies. A linear map of those features is
added to every hidden layer, so each layer knows how noisy its input is.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ._checks import positive_int


def sinusoidal_embedding(t: torch.Tensor, dim: int, max_period: float = 10_000.0):
    """Features ``[sin(t w_k), cos(t w_k)]``, ``w_k = max_period^(-k / (dim/2))``.

    t is an (n,) tensor of step indices; returns (n, dim) float32. dim must be even.
    """
    if dim % 2:
        raise ValueError(f"embedding dim must be even, got {dim}")
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    angles = t.to(torch.float32).unsqueeze(1) * freqs.unsqueeze(0)
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)


class NoisePredictor(nn.Module):
    """MLP: input x_t (n, dim), step t (n,) -> predicted noise (n, dim).

    ``width`` hidden units in each of ``depth`` hidden layers (SiLU), plus a
    time embedding of ``time_dim`` features added to every hidden layer.
    """

    def __init__(self, dim: int, width: int = 128, depth: int = 3, time_dim: int = 32):
        super().__init__()
        self.config = {
            "dim": positive_int(dim, "dim"),
            "width": positive_int(width, "width"),
            "depth": positive_int(depth, "depth"),
            "time_dim": positive_int(time_dim, "time_dim"),
        }
        if time_dim % 2:
            raise ValueError(f"time_dim must be even, got {time_dim}")
        self.time_dim = time_dim
        self.time_mlp = nn.Sequential(nn.Linear(time_dim, width), nn.SiLU())
        self.inp = nn.Linear(dim, width)
        self.hidden = nn.ModuleList(nn.Linear(width, width) for _ in range(depth - 1))
        self.time_proj = nn.ModuleList(nn.Linear(width, width) for _ in range(depth))
        self.out = nn.Linear(width, dim)
        self.act = nn.SiLU()

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != self.config["dim"]:
            raise ValueError(f"x must have shape (n, {self.config['dim']}), "
                             f"got {tuple(x.shape)}")
        if t.shape != (x.shape[0],):
            raise ValueError(f"t must have shape ({x.shape[0]},), got {tuple(t.shape)}")
        # Rows share few distinct steps (all of them while sampling): embed each once.
        steps, inverse = torch.unique(t, return_inverse=True)
        temb = self.time_mlp(sinusoidal_embedding(steps, self.time_dim))
        projs = [proj(temb)[inverse] for proj in self.time_proj]
        h = self.act(self.inp(x.to(torch.float32)) + projs[0])
        for layer, proj in zip(self.hidden, projs[1:]):
            h = self.act(layer(h) + proj)
        return self.out(h)

    def num_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
