"""Reproducibility: seed once, at the top of a notebook or a run."""

from __future__ import annotations

import random

import numpy as np
import torch


def seed_everything(seed: int = 0) -> np.random.Generator:
    """Seed Python, numpy and torch; return a numpy Generator to pass around.

    Library functions never read global random state: they take a seed, a
    numpy Generator or a torch Generator. Seeding the globals as well makes any
    stray call in a notebook repeatable too.
    """
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def torch_generator(seed: int) -> torch.Generator:
    g = torch.Generator()
    g.manual_seed(int(seed))
    return g
