"""Input checks shared by the public functions: each raises a ValueError
that names the argument and the problem, before any work is done."""

from __future__ import annotations

import numbers

import numpy as np
import torch


def as_rows(x, name: str = "x", dtype=torch.float64) -> torch.Tensor:
    """Return ``x`` as a finite 2-D tensor of shape (n, d) with n, d >= 1."""
    if isinstance(x, torch.Tensor):
        t = x.detach()
        if t.is_complex() or t.dtype == torch.bool:
            raise ValueError(f"{name} must hold real numbers, got dtype {t.dtype}")
        t = t.to(dtype)
    else:
        try:
            arr = np.asarray(x)
        except Exception as err:  # ragged lists and the like
            raise ValueError(f"{name} could not be read as an array: {err}") from None
        if arr.dtype == object or not (
            np.issubdtype(arr.dtype, np.number) and not np.iscomplexobj(arr)
        ):
            raise ValueError(f"{name} must hold real numbers, got dtype {arr.dtype}")
        t = torch.as_tensor(arr.astype(np.float64), dtype=dtype)
    if t.ndim != 2:
        raise ValueError(f"{name} must be 2-D with shape (n, d), got shape {tuple(t.shape)}")
    if t.shape[0] == 0 or t.shape[1] == 0:
        raise ValueError(f"{name} must have at least one row and one column, "
                         f"got shape {tuple(t.shape)}")
    finite = torch.isfinite(t)
    if not finite.all():
        bad_rows = (~finite).any(dim=1).nonzero().flatten()
        raise ValueError(f"{name} has {len(bad_rows)} row(s) with NaN or inf, "
                         f"first at row {int(bad_rows[0])}")
    return t


def positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def choice(value, options, name: str):
    # Names are strings: anything else (None, a list, a numpy array, whose
    # ``in`` test may itself raise) is an unknown name, reported the same way.
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"unknown {name} {value!r}; choose one of {sorted(options)}")
    return value
