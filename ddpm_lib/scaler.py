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


def _vector(value, name: str) -> np.ndarray:
    """``value`` as a 1-D float64 array of real numbers, or a ValueError naming it."""
    try:
        arr = np.asarray(value)
    except Exception as err:  # ragged lists and the like
        raise ValueError(f"scaler {name} could not be read as an array: {err}") from None
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number) \
            or np.iscomplexobj(arr):
        raise ValueError(f"scaler {name} must hold real numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64)


@dataclass(frozen=True)
class Standardizer:
    mean: np.ndarray
    scale: np.ndarray

    def __post_init__(self):
        mean, scale = _vector(self.mean, "mean"), _vector(self.scale, "scale")
        if mean.ndim != 1 or mean.shape != scale.shape or mean.size == 0:
            raise ValueError(f"scaler mean and scale must be 1-D of equal length, got "
                             f"shapes {mean.shape} and {scale.shape}")
        if not (np.isfinite(mean).all() and np.isfinite(scale).all() and (scale > 0).all()):
            raise ValueError("scaler mean must be finite and scale finite and positive")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "scale", scale)

    @classmethod
    def fit(cls, rows) -> "Standardizer":
        x = as_rows(rows, "rows").numpy()
        if x.shape[0] < 2:
            raise ValueError("need at least 2 rows to estimate a standard deviation")
        with np.errstate(over="ignore", under="ignore", invalid="ignore"):
            mean, scale = x.mean(axis=0), x.std(axis=0, ddof=1)
        # Squares of values beyond 1e150 or below 1e-150 overflow or underflow in
        # float64: for such columns use the moments of x / max|x|, scaled back.
        size = np.abs(x).max(axis=0)
        odd = (size > 1e150) | ((size < 1e-150) & (size > 0))
        if odd.any():
            with np.errstate(over="ignore", invalid="ignore"):
                unit = x[:, odd] / size[odd]
                mean[odd] = unit.mean(axis=0) * size[odd]
                scale[odd] = unit.std(axis=0, ddof=1) * size[odd]
        overflow = np.flatnonzero(~(np.isfinite(mean) & np.isfinite(scale)))
        if overflow.size:
            raise ValueError(f"column {int(overflow[0]) + 1} is too large to standardize: "
                             "its mean or standard deviation overflows float64")
        # max == min, not sd == 0: the mean of equal values can be off by a rounding
        # error, leaving an sd of ~1e-11 that would blow rounding noise up to O(1).
        constant = np.flatnonzero((x.max(axis=0) == x.min(axis=0)) | (scale == 0))
        if constant.size:
            raise ValueError(f"column {int(constant[0]) + 1} is constant; "
                             "a column without spread cannot be standardized")
        return cls(mean=mean, scale=scale)

    @property
    def dim(self) -> int:
        return int(self.mean.size)

    def _check(self, rows, name):
        x = as_rows(rows, name).numpy()
        if x.shape[1] != self.dim:
            raise ValueError(f"{name} has {x.shape[1]} columns; the scaler was fit "
                             f"on {self.dim}")
        return x

    @staticmethod
    def _finite(out, name, what):
        if not np.isfinite(out).all():
            raise ValueError(f"{name} overflows float64 when {what}: values too far "
                             "from the fitted mean for the fitted scale")
        return out

    def transform(self, rows) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            out = (self._check(rows, "rows") - self.mean) / self.scale
        return self._finite(out, "rows", "standardized")

    def inverse(self, z) -> np.ndarray:
        with np.errstate(over="ignore", invalid="ignore"):
            out = self._check(z, "z") * self.scale + self.mean
        return self._finite(out, "z", "mapped back to data units")

    def to_dict(self) -> dict:
        return {"mean": [float(v) for v in self.mean], "scale": [float(v) for v in self.scale]}

    @classmethod
    def from_dict(cls, d: dict) -> "Standardizer":
        if not isinstance(d, dict):
            raise ValueError(f"scaler must be a dict with 'mean' and 'scale', "
                             f"got {type(d).__name__}")
        missing = [k for k in ("mean", "scale") if k not in d]
        if missing:
            raise ValueError(f"scaler is missing {missing}")
        return cls(mean=d["mean"], scale=d["scale"])
