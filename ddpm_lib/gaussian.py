"""Exact facts about Gaussians that the forward process needs.

For Gaussian data the forward process stays Gaussian, so its law at every
step is known in closed form. That gives exact answers to compare the noising
chain and, later, a trained model with:

=====================  ==================================================
``forward_marginal``   law of the state after a step with alpha-bar ``abar``
                       when x0 ~ N(mean, cov): N(sqrt(abar) mean,
                       abar cov + (1 - abar) I)
``kl_divergence``      KL(N(m0, S0) || N(m1, S1))
``w2_distance``        2-Wasserstein distance between two Gaussians
=====================  ==================================================

Everything is numpy float64. Means have shape (d,), covariances (d, d).
"""

from __future__ import annotations

import numpy as np


def _mean_cov(mean, cov, name: str) -> tuple[np.ndarray, np.ndarray]:
    mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
    cov = np.atleast_2d(np.asarray(cov, dtype=np.float64))
    d = mean.size
    if mean.ndim != 1 or cov.shape != (d, d):
        raise ValueError(f"{name}: mean must have shape (d,) and cov (d, d), got "
                         f"{mean.shape} and {cov.shape}")
    if not (np.isfinite(mean).all() and np.isfinite(cov).all()):
        raise ValueError(f"{name}: mean and cov must be finite")
    if not np.allclose(cov, cov.T, rtol=1e-10, atol=1e-12):
        raise ValueError(f"{name}: cov must be symmetric")
    return mean, (cov + cov.T) / 2


def _two_laws(mean0, cov0, mean1, cov1, who: str):
    """Both laws checked; the second defaults to N(0, I) of the first's dimension."""
    m0, s0 = _mean_cov(mean0, cov0, f"{who} (first law)")
    d = m0.size
    m1 = np.zeros(d) if mean1 is None else mean1
    s1 = np.eye(d) if cov1 is None else cov1
    m1, s1 = _mean_cov(m1, s1, f"{who} (second law)")
    if m1.size != d:
        raise ValueError(f"the two laws have dimensions {d} and {m1.size}")
    return m0, s0, m1, s1


def forward_marginal(mean, cov, alpha_bar: float) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of ``sqrt(abar) x0 + sqrt(1 - abar) eps``.

    With x0 ~ N(mean, cov) and eps ~ N(0, I) independent, the sum is Gaussian
    with mean ``sqrt(abar) mean`` and covariance ``abar cov + (1 - abar) I``.
    The mean and covariance formulas hold for any x0 with these moments;
    only the word "Gaussian" needs Gaussian data.
    """
    mean, cov = _mean_cov(mean, cov, "forward_marginal")
    abar = float(alpha_bar)
    if not 0.0 <= abar <= 1.0:
        raise ValueError(f"alpha_bar must lie in [0, 1], got {alpha_bar!r}")
    eye = np.eye(mean.size)
    return np.sqrt(abar) * mean, abar * cov + (1.0 - abar) * eye


def kl_divergence(mean0, cov0, mean1=None, cov1=None) -> float:
    """KL(N(mean0, cov0) || N(mean1, cov1)) in nats; the second law defaults to N(0, I).

    ``0.5 (tr(S1^-1 S0) + (m1 - m0)' S1^-1 (m1 - m0) - d + log det S1 - log det S0)``.
    Both covariances must be positive definite.

    Computed as ``0.5 * sum(lam - 1 - log lam) + 0.5 * mahalanobis`` over the
    eigenvalues lam of ``L1^-1 S0 L1^-T`` (L1 the Cholesky factor of S1): each
    term is evaluated without cancellation, so a KL of 1e-18 between nearly
    equal laws keeps its leading digits instead of drowning in rounding.
    """
    m0, s0, m1, s1 = _two_laws(mean0, cov0, mean1, cov1, "kl_divergence")
    d = m0.size
    _cholesky(s0, "first")  # only to refuse a singular first covariance
    l1 = _cholesky(s1, "second")
    half = np.linalg.solve(l1, s0)
    a = np.linalg.solve(l1, half.T)  # L1^-1 S0 L1^-T, symmetric
    lam = np.linalg.eigvalsh((a + a.T) / 2)
    diff = np.linalg.solve(l1, m1 - m0)
    return float(0.5 * (_x_minus_log1p(lam - 1.0).sum() + diff @ diff))


def _x_minus_log1p(x: np.ndarray) -> np.ndarray:
    """x - log(1 + x), accurate also for tiny x (where it is about x^2 / 2)."""
    x = np.asarray(x, dtype=np.float64)
    small = np.abs(x) < 1e-3
    # Taylor series x^2/2 - x^3/3 + x^4/4 - x^5/5: truncation below 1e-15 relative.
    series = x ** 2 * (1 / 2 - x * (1 / 3 - x * (1 / 4 - x / 5)))
    with np.errstate(invalid="ignore", divide="ignore"):
        direct = x - np.log1p(x)
    return np.where(small, series, direct)


def _cholesky(cov: np.ndarray, which: str) -> np.ndarray:
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise ValueError(f"kl_divergence: the {which} covariance is not positive "
                         f"definite (KL is infinite or undefined)") from None


def _psd_sqrt(cov: np.ndarray) -> np.ndarray:
    vals, vecs = np.linalg.eigh(cov)
    _check_psd(vals)
    return (vecs * np.sqrt(np.clip(vals, 0.0, None))) @ vecs.T


def _check_psd(vals: np.ndarray) -> None:
    if vals.min() < -1e-10 * max(1.0, abs(vals).max()):
        raise ValueError("w2_distance: covariances must be positive semi-definite")


def w2_distance(mean0, cov0, mean1=None, cov1=None) -> float:
    """2-Wasserstein distance between N(mean0, cov0) and N(mean1, cov1) (default N(0, I)).

    ``W2^2 = |m0 - m1|^2 + tr(S0 + S1 - 2 (S1^1/2 S0 S1^1/2)^1/2)``. Unlike the
    KL divergence it stays finite for singular covariances (data on a line).
    When the second law has covariance I this is ``|m0 - m1|^2 +
    sum (sqrt(lam) - 1)^2`` over the eigenvalues lam of S0, evaluated as
    ``((lam - 1) / (sqrt(lam) + 1))^2`` so that tiny distances keep their digits.
    """
    m0, s0, m1, s1 = _two_laws(mean0, cov0, mean1, cov1, "w2_distance")
    d = m0.size
    mean_part = ((m0 - m1) ** 2).sum()
    if np.array_equal(s1, np.eye(d)):
        lam = np.linalg.eigvalsh(s0)
        _check_psd(lam)
        lam = np.clip(lam, 0.0, None)
        return float(np.sqrt(mean_part + (((lam - 1.0) / (np.sqrt(lam) + 1.0)) ** 2).sum()))
    root1 = _psd_sqrt(s1)
    cross = _psd_sqrt(root1 @ s0 @ root1)
    w2_sq = mean_part + np.trace(s0) + np.trace(s1) - 2.0 * np.trace(cross)
    return float(np.sqrt(max(w2_sq, 0.0)))
