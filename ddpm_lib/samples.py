"""Real samples: rows drawn from laws that we know exactly.

Each structure is a base draw pushed through a row function, as the origin's
``func`` did (``x ~ N(0, 1)`` mapped to the row ``[x, 2x]``). Because the law
is known, every structure also carries what validation needs: a way to draw
fresh rows, the marginal distributions where they have a closed form, the
support, the exact relation or parameters that define the dependence, the
exact mean and covariance of a row, and the regression curve E[x_j | x_i]
(:meth:`Law.conditional_mean`).

=============  ============================================  ====================
name           law of one row (defaults)                     dependence
=============  ============================================  ====================
``linear``     x ~ N(0, 1); [x, 2x]  (the origin's default)  exact line, r = 1
``uniform``    u ~ U(0, 1); [u, 2u]                          exact line, bounded
``gaussian``   N(0, [[1, 0.8], [0.8, 1]])                    r = 0.8
``quadratic``  x ~ N(0, 1); [x, x^2]                         exact curve, r = 0
``ar1``        x_1 ~ N(0, 1), x_k = 0.8 x_{k-1} + 0.6 e_k    corr(lag k) = 0.8^k
``mixture``    0.5 N((-2,-2), 0.5^2 I) + 0.5 N((2,2), 0.5^2 I)  two modes
=============  ============================================  ====================
"""

from __future__ import annotations

import inspect
import numbers
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy import stats

from ._checks import positive_int


def _rng(seed) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer or a numpy Generator, "
                         f"got {seed!r}")
    return np.random.default_rng(int(seed))


def _number(value, name: str) -> float:
    """A scalar parameter as a float; bools, strings, None, complex... are refused."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    try:
        return float(value)
    except OverflowError:  # an int beyond float64
        raise ValueError(f"{name} is too large for float64, got {value!r}") from None


def _real_array(value, name: str) -> np.ndarray:
    """An array parameter as a new float64 array of real numbers."""
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as err:  # ragged lists and the like
        raise ValueError(f"{name} could not be read as an array: {err}") from None
    if arr.dtype.kind not in "iuf":  # bool, complex, str, object (None, ...)
        raise ValueError(f"{name} must hold real numbers, got {value!r}")
    return arr.astype(np.float64)


def _finite_moments(params: str, compute):
    """``compute()`` -> (mean, cov), refused when they overflow float64, naming
    ``params``, the parameters whose size is to blame."""
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            mean, cov = compute()
    except OverflowError:  # Python float arithmetic raises rather than giving inf
        mean = cov = None
    if mean is None or not (np.isfinite(mean).all() and np.isfinite(cov).all()):
        raise ValueError(f"{params} too large: the mean or covariance of a row "
                         f"overflows float64")
    return mean, cov


class MixtureMarginal:
    """A 1-D Gaussian mixture with the ``cdf``/``pdf`` methods of scipy's
    frozen distributions (the marginal of a 2-D mixture with diagonal covs)."""

    def __init__(self, weights, means, sds):
        self.weights = np.asarray(weights, float)
        self.means = np.asarray(means, float)
        self.sds = np.asarray(sds, float)

    def cdf(self, x):
        x = np.asarray(x, float)[..., None]
        return (self.weights * stats.norm.cdf(x, self.means, self.sds)).sum(-1)

    def pdf(self, x):
        x = np.asarray(x, float)[..., None]
        return (self.weights * stats.norm.pdf(x, self.means, self.sds)).sum(-1)

    def mean(self):
        return float((self.weights * self.means).sum())

    def std(self):
        second = (self.weights * (self.sds ** 2 + self.means ** 2)).sum()
        return float(np.sqrt(second - self.mean() ** 2))


@dataclass(frozen=True)
class Law:
    """A known law of rows: how to draw them and what is true about them.

    ``relation`` is for laws where one column is an exact function of another:
    ``{"kind": "linear", "x": 0, "y": 1, "slope": 2.0, "intercept": 0.0}`` or
    ``{"kind": "quadratic", "x": 0, "y": 1}`` (y = x^2). It is None otherwise.
    ``marginals`` holds one object with ``cdf`` and ``pdf`` per column, or None
    when the marginals have no closed form (a user's own row function).
    ``mean`` and ``cov`` are the exact first two moments of a row (numpy
    arrays of shape (dim,) and (dim, dim)), or None when unknown.
    ``cond_mean(x, given, target)`` is the exact E[x_target | x_given = x];
    use it through :meth:`conditional_mean`.
    """

    name: str
    dim: int
    description: str
    draw: Callable[[np.random.Generator, int], np.ndarray] = field(repr=False)
    params: dict = field(default_factory=dict)
    marginals: tuple | None = None
    support: tuple | None = None
    relation: dict | None = None
    columns: tuple = ()
    mean: np.ndarray | None = field(default=None, repr=False, compare=False)
    cov: np.ndarray | None = field(default=None, repr=False, compare=False)
    cond_mean: Callable | None = field(default=None, repr=False, compare=False)

    def sample(self, n: int, seed=0) -> np.ndarray:
        """``n`` rows of this law as a float64 array of shape (n, dim)."""
        n = positive_int(n, "n")
        rng = _rng(seed)
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                rows = np.asarray(self.draw(rng, n), dtype=np.float64)
        except OverflowError as err:
            raise ValueError(f"law {self.name!r} with params {self.params} could not "
                             f"be drawn in float64: {err}") from None
        if rows.ndim == 1:
            rows = rows[:, None]
        if rows.shape != (n, self.dim):
            raise ValueError(f"the row function of {self.name!r} returned shape "
                             f"{rows.shape}, expected {(n, self.dim)}")
        if not np.isfinite(rows).all():
            raise ValueError(f"law {self.name!r} with params {self.params} drew rows "
                             f"with NaN or inf: parameters too large for float64, or "
                             f"a row function undefined there")
        return rows

    def column_names(self) -> list[str]:
        return list(self.columns) if self.columns else [f"x{i + 1}" for i in range(self.dim)]

    def conditional_mean(self, x, given: int = 0, target: int = 1) -> np.ndarray:
        """E[column ``target`` | column ``given`` = x]: the curve the dependence follows.

        Where one column is an exact function of another (linear, uniform,
        quadratic) this is that function; for the Gaussian, AR(1) and mixture
        laws it is the regression curve. Columns are 0-based.
        """
        for label, value in (("given", given), ("target", target)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                    or not 0 <= value < self.dim:
                raise ValueError(f"{label} must be a column index in [0, {self.dim - 1}], "
                                 f"got {value!r}")
        if self.cond_mean is None:
            raise ValueError(f"law {self.name!r} has no closed-form conditional mean")
        x = np.asarray(x, dtype=np.float64)
        if given == target:
            return x.copy()
        return np.asarray(self.cond_mean(x, int(given), int(target)), dtype=np.float64)


# --- the structures --------------------------------------------------------

def linear(slope: float = 2.0) -> Law:
    """The origin's default: x ~ N(0, 1), row [x, slope * x]."""
    slope = _number(slope, "slope")
    if not np.isfinite(slope) or slope == 0:
        raise ValueError(f"slope must be a finite non-zero number, got {slope!r}")
    mean, cov = _finite_moments(f"slope={slope!r}",
                                lambda: (np.zeros(2), _line_cov(1.0, slope)))
    return Law(
        name="linear", dim=2, params={"slope": slope},
        description=f"x ~ N(0, 1); row = [x, {slope:g} x]",
        draw=lambda rng, n: np.column_stack(_line(rng.standard_normal(n), slope)),
        marginals=(stats.norm(0, 1), stats.norm(0, abs(slope))),
        relation={"kind": "linear", "x": 0, "y": 1, "slope": slope, "intercept": 0.0},
        mean=mean, cov=cov,
        cond_mean=lambda x, given, target: _line_inverse(x, slope, given),
    )


def _line(x, slope):
    return x, slope * x


def _line_cov(var_x: float, slope: float) -> np.ndarray:
    # Var[x] = v, Cov[x, s x] = s v, Var[s x] = s^2 v: a rank-one matrix.
    return var_x * np.array([[1.0, slope], [slope, slope ** 2]])


def _line_inverse(x, slope, given):
    # On the line y = slope * x either column determines the other exactly.
    return slope * x if given == 0 else x / slope


def uniform(low: float = 0.0, high: float = 1.0, slope: float = 2.0) -> Law:
    """The origin's row function over a uniform base: u ~ U(low, high), [u, slope u]."""
    low, high = _number(low, "low"), _number(high, "high")
    slope = _number(slope, "slope")
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValueError(f"need finite low < high, got low={low!r}, high={high!r}")
    if not np.isfinite(slope) or slope <= 0:
        raise ValueError(f"slope must be a finite positive number, got {slope!r}")
    # U(low, high) has mean (low + high) / 2 and variance (high - low)^2 / 12.
    mean, cov = _finite_moments(
        f"low={low!r}, high={high!r}, slope={slope!r}",
        lambda: (np.array([1.0, slope]) * (low + high) / 2,
                 _line_cov((high - low) ** 2 / 12, slope)))
    return Law(
        name="uniform", dim=2, params={"low": low, "high": high, "slope": slope},
        description=f"u ~ U({low:g}, {high:g}); row = [u, {slope:g} u]",
        draw=lambda rng, n: np.column_stack(_line(rng.uniform(low, high, n), slope)),
        marginals=(stats.uniform(low, high - low),
                   stats.uniform(slope * low, slope * (high - low))),
        support=((low, high), (slope * low, slope * high)),
        relation={"kind": "linear", "x": 0, "y": 1, "slope": slope, "intercept": 0.0},
        mean=mean, cov=cov,
        cond_mean=lambda x, given, target: _line_inverse(x, slope, given),
    )


def gaussian(mean=(0.0, 0.0), cov=((1.0, 0.8), (0.8, 1.0))) -> Law:
    """A multivariate normal with the given mean and (positive definite) covariance."""
    mean, cov = _real_array(mean, "mean"), _real_array(cov, "cov")
    d = mean.size
    if mean.ndim != 1 or d == 0:
        raise ValueError(f"mean must be 1-D with at least one entry, "
                         f"got shape {mean.shape}")
    if cov.shape != (d, d):
        raise ValueError(f"cov must be {d} x {d} to match mean, got shape {cov.shape}")
    if not (np.isfinite(mean).all() and np.isfinite(cov).all()):
        raise ValueError("mean and cov must be finite")
    if not np.allclose(cov, cov.T) or np.linalg.eigvalsh(cov).min() <= 0:
        raise ValueError("cov must be symmetric positive definite")
    chol = np.linalg.cholesky(cov)
    return Law(
        name="gaussian", dim=d, params={"mean": mean.tolist(), "cov": cov.tolist()},
        description=f"N(mean={mean.tolist()}, cov={cov.tolist()})",
        draw=lambda rng, n: mean + rng.standard_normal((n, d)) @ chol.T,
        marginals=tuple(stats.norm(mean[i], np.sqrt(cov[i, i])) for i in range(d)),
        mean=mean.copy(), cov=cov.copy(),
        # Normal regression: mu_j + (Sigma_ji / Sigma_ii) (x - mu_i).
        cond_mean=lambda x, i, j: mean[j] + cov[j, i] / cov[i, i] * (x - mean[i]),
    )


def quadratic() -> Law:
    """x ~ N(0, 1), row [x, x^2]: exact dependence with Pearson r = 0."""
    return Law(
        name="quadratic", dim=2, params={},
        description="x ~ N(0, 1); row = [x, x^2]",
        draw=lambda rng, n: np.column_stack(_square(rng.standard_normal(n))),
        marginals=(stats.norm(0, 1), stats.chi2(1)),
        support=((-np.inf, np.inf), (0.0, np.inf)),
        relation={"kind": "quadratic", "x": 0, "y": 1},
        # E[x^2] = 1, E[x^3] = 0 and Var[x^2] = E[x^4] - 1 = 3 - 1 = 2.
        mean=np.array([0.0, 1.0]), cov=np.array([[1.0, 0.0], [0.0, 2.0]]),
        # Given x, y = x^2 exactly; given y, x is +sqrt(y) or -sqrt(y) with
        # equal chance, so its conditional mean is 0.
        cond_mean=lambda x, given, target: x ** 2 if given == 0 else np.zeros_like(x),
    )


def _square(x):
    return x, x ** 2


def ar1(d: int = 8, phi: float = 0.8, sigma: float | None = None) -> Law:
    """Stationary AR(1) rows of length d: x_k = phi x_{k-1} + sigma e_k.

    By default sigma = sqrt(1 - phi^2), so every column is N(0, 1) and the
    correlation between columns k apart is phi^k.
    """
    d = positive_int(d, "d")
    if d < 2:
        raise ValueError(f"ar1 rows need length d >= 2, got {d}")
    phi = _number(phi, "phi")
    if not -1 < phi < 1:
        raise ValueError(f"phi must lie strictly inside (-1, 1) for a stationary AR(1), "
                         f"got {phi!r}")
    sigma = float(np.sqrt(1 - phi ** 2)) if sigma is None else _number(sigma, "sigma")
    if not np.isfinite(sigma) or sigma <= 0:
        raise ValueError(f"sigma must be a finite positive number, got {sigma!r}")
    sd = sigma / np.sqrt(1 - phi ** 2)
    lags = np.abs(np.subtract.outer(np.arange(d), np.arange(d)))
    mean, cov = _finite_moments(f"sigma={sigma!r} (with phi={phi!r})",
                                lambda: (np.zeros(d), sd ** 2 * phi ** lags))

    def draw(rng, n):
        e = rng.standard_normal((n, d))
        x = np.empty((n, d))
        x[:, 0] = sd * e[:, 0]
        for k in range(1, d):
            x[:, k] = phi * x[:, k - 1] + sigma * e[:, k]
        return x

    return Law(
        name="ar1", dim=d, params={"d": d, "phi": phi, "sigma": sigma},
        description=f"x_1 ~ N(0, {sd ** 2:.4g}); x_k = {phi:g} x_(k-1) + {sigma:.4g} e_k, "
                    f"k = 2..{d}",
        draw=draw, marginals=tuple(stats.norm(0, sd) for _ in range(d)),
        mean=mean, cov=cov,
        # Stationary, zero mean, equal variances: E[x_j | x_i] = phi^|j - i| x_i.
        cond_mean=lambda x, i, j: phi ** abs(j - i) * x,
    )


def mixture(weights=(0.5, 0.5), means=((-2.0, -2.0), (2.0, 2.0)), sd: float = 0.5) -> Law:
    """A 2-D Gaussian mixture with isotropic components of standard deviation sd."""
    w, m = _real_array(weights, "weights"), _real_array(means, "means")
    if w.ndim != 1 or m.shape != (w.size, 2):
        raise ValueError(f"means must have shape ({w.size}, 2) to match weights, "
                         f"got {m.shape}")
    if not (np.isfinite(w).all() and (w > 0).all() and abs(w.sum() - 1) < 1e-9):
        raise ValueError(f"weights must be positive and sum to 1, got {w.tolist()}")
    if not np.isfinite(m).all():
        raise ValueError(f"means must be finite, got {m.tolist()}")
    sd = _number(sd, "sd")
    if not np.isfinite(sd) or sd <= 0:
        raise ValueError(f"sd must be a finite positive number, got {sd!r}")
    mean, cov = _finite_moments("means or sd", lambda: (w @ m, _mixture_cov(w, m, sd)))

    def draw(rng, n):
        comp = rng.choice(w.size, size=n, p=w)
        return m[comp] + sd * rng.standard_normal((n, 2))

    parts = " + ".join(f"{wi:g} N({mi.tolist()}, {sd:g}^2 I)" for wi, mi in zip(w, m))
    return Law(
        name="mixture", dim=2,
        params={"weights": w.tolist(), "means": m.tolist(), "sd": sd},
        description=parts, draw=draw,
        marginals=tuple(MixtureMarginal(w, m[:, i], np.full(w.size, sd)) for i in range(2)),
        mean=mean, cov=cov,
        cond_mean=lambda x, i, j: _mixture_posterior(x, w, m[:, i], sd) @ m[:, j],
    )


def _mixture_cov(w, m, sd):
    # Law of total variance: within-component sd^2 I plus the spread of the means.
    centred = m - w @ m
    return sd ** 2 * np.eye(m.shape[1]) + (w[:, None] * centred).T @ centred


def _mixture_posterior(x, w, centres, sd):
    """P(component k | one coordinate = x), shape x.shape + (K,), in log space
    so that points far in the tails do not divide 0 by 0."""
    log_p = np.log(w) + stats.norm.logpdf(np.asarray(x)[..., None], centres, sd)
    log_p -= log_p.max(axis=-1, keepdims=True)
    p = np.exp(log_p)
    return p / p.sum(axis=-1, keepdims=True)


STRUCTURES: dict[str, Callable[..., Law]] = {
    "linear": linear,
    "uniform": uniform,
    "gaussian": gaussian,
    "quadratic": quadratic,
    "ar1": ar1,
    "mixture": mixture,
}


def get_law(structure: str, **params) -> Law:
    """The :class:`Law` of a named structure; unknown names or params are errors."""
    if not isinstance(structure, str) or structure not in STRUCTURES:
        raise ValueError(f"unknown structure {structure!r}; "
                         f"choose one of {sorted(STRUCTURES)}")
    builder = STRUCTURES[structure]
    allowed = set(inspect.signature(builder).parameters)
    unknown = sorted(set(params) - allowed)
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown} for structure {structure!r}; "
                         f"it takes {sorted(allowed) or 'none'}")
    return builder(**params)


def make_samples(structure: str, n: int, seed=0, **params) -> np.ndarray:
    """``n`` rows of the named structure, in data units, shape (n, d)."""
    return get_law(structure, **params).sample(n, seed)


def custom_law(func: Callable, base: str = "normal", name: str = "custom",
               dim: int | None = None) -> Law:
    """A law from your own row function, as in the origin experiment.

    ``func`` receives the base draw x, an array of shape (n,), and returns the
    row's columns, for example ``lambda x: [x, 2 * x]`` or
    ``lambda x: [np.sin(x), x]``. The base is ``"normal"`` (N(0, 1)) or
    ``"uniform"`` (U(0, 1)). Marginals are not known in closed form here, so
    validation compares against fresh draws of the same function instead.
    """
    if not callable(func):
        raise ValueError(f"func must be callable, got {type(func).__name__}")
    bases = {"normal": lambda rng, n: rng.standard_normal(n),
             "uniform": lambda rng, n: rng.uniform(0.0, 1.0, n)}
    if base not in bases:
        raise ValueError(f"unknown base {base!r}; choose one of {sorted(bases)}")

    def draw(rng, n):
        cols = func(bases[base](rng, n))
        arr = np.asarray(cols, dtype=np.float64)
        return arr.T if isinstance(cols, (list, tuple)) else arr

    if dim is None:
        dim = draw(np.random.default_rng(0), 2).reshape(2, -1).shape[1]
    return Law(name=name, dim=int(dim), description=f"{base} base through {name}",
               draw=draw, params={"base": base})
