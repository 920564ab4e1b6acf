"""Per-column standardization, stored with the model and inverted on the way out.

The network sees ``z = (x - mean) / scale`` so that every column has mean 0
and sd 1, the scale the noise schedule is designed for (x_T ~ N(0, I)).
Samples come back in data units through :meth:`Standardizer.inverse`.
Nothing is clamped or squeezed into [0, 1]: that would cut the tails.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import as_rows


@dataclass(frozen=True)
class Standardizer:
    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, rows) -> "Standardizer":
        x = as_rows(rows, "rows").numpy()
        if x.shape[0] < 2:
            raise ValueError("need at least 2 rows to estimate a standard deviation")
        scale = x.std(axis=0, ddof=1)
        constant = np.flatnonzero(scale == 0)
        if constant.size:
            raise ValueError(f"column {int(constant[0]) + 1} is constant; "
                             "a column without spread cannot be standardized")
        return cls(mean=x.mean(axis=0), scale=scale)

    @property
    def dim(self) -> int:
        return int(self.mean.size)

    def _check(self, rows, name):
        x = as_rows(rows, name).numpy()
        if x.shape[1] != self.dim:
            raise ValueError(f"{name} has {x.shape[1]} columns; the scaler was fit "
                             f"on {self.dim}")
        return x

    def transform(self, rows) -> np.ndarray:
        return (self._check(rows, "rows") - self.mean) / self.scale

    def inverse(self, z) -> np.ndarray:
        return self._check(z, "z") * self.scale + self.mean

    def to_dict(self) -> dict:
        return {"mean": [float(v) for v in self.mean], "scale": [float(v) for v in self.scale]}

    @classmethod
    def from_dict(cls, d: dict) -> "Standardizer":
        mean = np.asarray(d["mean"], dtype=np.float64)
        scale = np.asarray(d["scale"], dtype=np.float64)
        if mean.ndim != 1 or mean.shape != scale.shape or mean.size == 0:
            raise ValueError("scaler mean and scale must be 1-D of equal length")
        if not (np.isfinite(mean).all() and np.isfinite(scale).all() and (scale > 0).all()):
            raise ValueError("scaler mean must be finite and scale finite and positive")
        return cls(mean=mean, scale=scale)
