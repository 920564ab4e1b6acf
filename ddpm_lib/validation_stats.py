"""The statistics behind the validation protocol, one small function each.

Every function here is a plain formula on numpy arrays, written so that it
can run a few hundred times on fresh real draws (the *floor*) in seconds.
Where scipy or statsmodels has the same statistic, a unit test checks that
both agree; ours exist because they skip input checks, reuse sorted columns
and never warn.

===========================  ==============================================
function                     formula (S, H: two samples; F: a known CDF)
===========================  ==============================================
``ks_two_sample``            D = sup_x |F_S(x) - F_H(x)|
``ks_one_sample``            D = sup_x |F_S(x) - F(x)|
``cvm_one_sample``           W^2 = 1/(12 n) + sum_i ((2i - 1)/(2n) - F(x_(i)))^2
``wasserstein1``             W1 = integral |F_S(x) - F_H(x)| dx
``anderson_darling_2samp``   A^2_kN of Scholz and Stephens (1987), k = 2
``energy_distance``          sqrt(2 E|X - Y| - E|X - X'| - E|Y - Y'|)
``sliced_wasserstein``       mean over unit directions u of W1(S u, H u)
``pearson_matrix``           sample correlation matrix (0 for a constant column)
``spearman_matrix``          Pearson correlation of the column ranks
``chatterjee_xi``            1 - n sum|r_(i+1) - r_i| / (2 sum l_i (n - l_i))
``distance_correlation``     V-statistic dCor of Szekely, Rizzo and Bakirov (2007)
``lag_correlations``         mean over j of corr(x_j, x_(j+k)), k = 1..K
``pooled_ar1``               OLS of x_k on x_(k-1), pooled over rows and k
``ljung_box_q``              Q = N (N + 2) sum_k r_k^2 / (N - k)
``mixture_responsibilities`` P(component c | row) under the true mixture
``bridge_share``             share of rows between two component means
===========================  ==============================================
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist, pdist


# --- one column at a time ---------------------------------------------------

def _ecdf_at(sorted_sample: np.ndarray, points: np.ndarray) -> np.ndarray:
    return np.searchsorted(sorted_sample, points, side="right") / sorted_sample.size


def ks_two_sample(a_sorted: np.ndarray, b_sorted: np.ndarray) -> float:
    """Two-sample Kolmogorov-Smirnov D; both inputs sorted ascending."""
    points = np.concatenate([a_sorted, b_sorted])
    return float(np.max(np.abs(_ecdf_at(a_sorted, points) - _ecdf_at(b_sorted, points))))


def ks_one_sample(x_sorted: np.ndarray, cdf) -> float:
    """One-sample Kolmogorov-Smirnov D against a continuous CDF; x sorted."""
    n = x_sorted.size
    f = cdf(x_sorted)
    i = np.arange(1, n + 1)
    return float(max(np.max(i / n - f), np.max(f - (i - 1) / n)))


def cvm_one_sample(x_sorted: np.ndarray, cdf) -> float:
    """One-sample Cramer-von Mises W^2 against a continuous CDF; x sorted."""
    n = x_sorted.size
    u = (2 * np.arange(1, n + 1) - 1) / (2 * n)
    return float(1 / (12 * n) + np.sum((u - cdf(x_sorted)) ** 2))


def wasserstein1(a_sorted: np.ndarray, b_sorted: np.ndarray) -> float:
    """1-Wasserstein distance between two samples, as the area between ECDFs."""
    if a_sorted.size == b_sorted.size:
        # equal sizes: the optimal coupling pairs the order statistics
        return float(np.mean(np.abs(a_sorted - b_sorted)))
    points = np.sort(np.concatenate([a_sorted, b_sorted]))
    widths = np.diff(points)
    gap = np.abs(_ecdf_at(a_sorted, points[:-1]) - _ecdf_at(b_sorted, points[:-1]))
    return float(np.sum(gap * widths))


def anderson_darling_2samp(a_sorted: np.ndarray, b_sorted: np.ndarray) -> float:
    """Unstandardized two-sample Anderson-Darling A^2_kN (right-continuous form).

    A^2_kN = (1/N) sum_i (1/n_i) sum_j l_j (N M_ij - B_j n_i)^2 / (B_j (N - B_j)),
    with j over the distinct pooled values but the largest, l_j their
    multiplicities, B_j = l_1 + ... + l_j and M_ij the count of sample i at or
    below value j. scipy's ``anderson_ksamp(..., variant="right")`` returns
    the standardized (A^2_kN - 1) / sigma_N; we keep A^2_kN, which is never
    negative, so that a ratio to its floor reads as "times as far".
    """
    pooled = np.concatenate([a_sorted, b_sorted])
    values, counts = np.unique(pooled, return_counts=True)
    values, counts = values[:-1], counts[:-1]
    big_n = pooled.size
    below = np.cumsum(counts)
    total = 0.0
    for sample in (a_sorted, b_sorted):
        m = np.searchsorted(sample, values, side="right")
        inner = counts * (big_n * m - below * sample.size) ** 2 / (below * (big_n - below))
        total += inner.sum() / sample.size
    return float(total / big_n)


def quantile_gaps(a_sorted: np.ndarray, b_sorted: np.ndarray, probs) -> np.ndarray:
    """|q_p(a) - q_p(b)| at each probability p (numpy's linear quantiles)."""
    return np.abs(np.quantile(a_sorted, probs) - np.quantile(b_sorted, probs))


# --- whole rows -------------------------------------------------------------

def mean_pairwise_distance(x: np.ndarray) -> float:
    """E|X - X'| as a V-statistic: the n^2 pairs, the zero diagonal included."""
    n = x.shape[0]
    return float(2 * pdist(x).sum() / n ** 2) if n > 1 else 0.0


def energy_distance(x: np.ndarray, y: np.ndarray, within_y: float | None = None) -> float:
    """sqrt(2 E|X - Y| - E|X - X'| - E|Y - Y'|) for two samples of rows.

    With V-statistics the term under the root is a squared distance between
    the two empirical laws and never negative (rounding aside); for 1-D data
    it equals scipy's ``energy_distance`` squared. ``within_y`` passes a
    precomputed E|Y - Y'| when y is reused.
    """
    x = x.reshape(len(x), -1)
    y = y.reshape(len(y), -1)
    yy = mean_pairwise_distance(y) if within_y is None else within_y
    squared = 2 * cdist(x, y).mean() - mean_pairwise_distance(x) - yy
    return float(np.sqrt(max(squared, 0.0)))


def unit_directions(d: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """k random directions on the unit sphere in R^d, shape (k, d)."""
    u = rng.standard_normal((k, d))
    return u / np.linalg.norm(u, axis=1, keepdims=True)


def project(x: np.ndarray, directions: np.ndarray) -> np.ndarray:
    """Rows projected on each direction, shape (n, k) (einsum: no BLAS threads)."""
    return np.einsum("ij,kj->ik", x, directions)


def sliced_wasserstein(x: np.ndarray, y_proj_sorted: np.ndarray, directions) -> float:
    """Mean over directions of W1 between the projected samples.

    ``y_proj_sorted`` is ``np.sort(project(y, directions), axis=0)``, computed once.
    """
    xp = np.sort(project(x, directions), axis=0)
    if xp.shape[0] == y_proj_sorted.shape[0]:
        return float(np.mean(np.abs(xp - y_proj_sorted)))
    return float(np.mean([wasserstein1(xp[:, k], y_proj_sorted[:, k])
                          for k in range(directions.shape[0])]))


# --- dependence ---------------------------------------------------------------

def pearson_matrix(x: np.ndarray) -> np.ndarray:
    """Correlation matrix; a constant column gets correlation 0 with the rest."""
    centred = x - x.mean(axis=0)
    norms = np.sqrt((centred ** 2).sum(axis=0))
    scale = np.where(norms > 0, norms, 1.0)
    z = centred / scale
    # einsum, not z.T @ z: tiny products through a threaded BLAS can cost
    # milliseconds of thread wake-up each, and this runs for every floor draw
    c = np.einsum("ij,ik->jk", z, z)
    np.fill_diagonal(c, 1.0)
    return np.clip(c, -1.0, 1.0)


def column_ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks 1..n of each column (ties share their mean rank)."""
    return stats.rankdata(x, axis=0)


def spearman_matrix(x: np.ndarray, ranks: np.ndarray | None = None) -> np.ndarray:
    """Spearman's rho: the Pearson correlation of the column ranks."""
    return pearson_matrix(column_ranks(x) if ranks is None else ranks)


def off_diagonal(c: np.ndarray) -> np.ndarray:
    return c[np.triu_indices(c.shape[0], k=1)]


class XiColumns:
    """Per-column sort orders and rank counts, reused by every ordered pair."""

    def __init__(self, x: np.ndarray):
        n = x.shape[0]
        self.n = n
        # stable sort: ties in the predictor keep their row order (scipy
        # breaks them at random; for continuous data there are none)
        self.order = np.argsort(x, axis=0, kind="stable")
        self.r = stats.rankdata(x, method="max", axis=0)          # #{j: y_j <= y_i}
        self.l = n + 1 - stats.rankdata(x, method="min", axis=0)  # #{j: y_j >= y_i}
        self.denominator = 2 * np.sum(self.l * (n - self.l), axis=0)

    def xi(self, i: int, j: int) -> float:
        """xi(column i -> column j): how much column j is a function of column i."""
        if self.denominator[j] == 0:  # a constant column is a function of anything
            return 0.0
        r = self.r[self.order[:, i], j]
        return float(1 - self.n * np.abs(np.diff(r)).sum() / self.denominator[j])


def chatterjee_xi(x: np.ndarray, y: np.ndarray) -> float:
    """Chatterjee's (2021) xi_n(x -> y), the general form that allows ties in y."""
    return XiColumns(np.column_stack([x, y])).xi(0, 1)


def centred_distances(v: np.ndarray) -> np.ndarray:
    """Double-centred distance matrix A_ij = a_ij - a_i. - a_.j + a_.. of one column."""
    a = np.abs(v[:, None] - v[None, :])
    row = a.mean(axis=0)
    return a - row[None, :] - row[:, None] + row.mean()


def dcor_from_centred(a: np.ndarray, b: np.ndarray) -> float:
    """Distance correlation from two double-centred matrices (V-statistics)."""
    vab = np.mean(a * b)
    vaa, vbb = np.mean(a * a), np.mean(b * b)
    if vaa <= 0 or vbb <= 0:
        return 0.0
    return float(np.sqrt(max(vab, 0.0) / np.sqrt(vaa * vbb)))


def distance_correlation(x: np.ndarray, y: np.ndarray) -> float:
    """Distance correlation of two 1-D samples (as statsmodels computes it)."""
    return dcor_from_centred(centred_distances(np.asarray(x, float)),
                             centred_distances(np.asarray(y, float)))


def ols_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Least squares y = intercept + slope x; returns (intercept, slope, residuals)."""
    xc = x - x.mean()
    sxx = float(np.sum(xc * xc))
    slope = float(np.sum(xc * (y - y.mean())) / sxx) if sxx > 0 else 0.0
    intercept = float(y.mean() - slope * x.mean())
    return intercept, slope, y - intercept - slope * x


def lag_correlations(x: np.ndarray, max_lag: int) -> np.ndarray:
    """r_k = mean over j of corr(column j, column j + k), for k = 1..max_lag."""
    c = pearson_matrix(x)
    return np.array([np.mean(np.diagonal(c, offset=k)) for k in range(1, max_lag + 1)])


def pooled_ar1(x: np.ndarray) -> tuple[float, float, float, np.ndarray]:
    """OLS of x_k on x_(k-1), pooled over rows and k = 2..d.

    Returns (intercept, phi, sigma, residuals), where sigma^2 = SSR / (N - 2)
    as statsmodels' ``OLS(...).fit().scale`` and the residuals keep the row
    layout, shape (n, d - 1).
    """
    before, after = x[:, :-1].ravel(), x[:, 1:].ravel()
    intercept, phi, resid = ols_line(before, after)
    sigma = float(np.sqrt(np.sum(resid * resid) / (resid.size - 2)))
    return intercept, phi, sigma, resid.reshape(x.shape[0], -1)


def ljung_box_q(series: np.ndarray, lags: int) -> float:
    """Ljung-Box Q = N (N + 2) sum_{k=1..lags} r_k^2 / (N - k) of one series."""
    e = series - series.mean()
    n = e.size
    denominator = float(np.sum(e * e))
    if denominator == 0:
        return 0.0
    r = np.array([np.sum(e[:-k] * e[k:]) for k in range(1, lags + 1)]) / denominator
    return float(n * (n + 2) * np.sum(r ** 2 / (n - np.arange(1, lags + 1))))


def mixture_responsibilities(x, weights, means, sd) -> np.ndarray:
    """P(component c | row) for an isotropic Gaussian mixture, shape (n, K)."""
    sq = ((x[:, None, :] - np.asarray(means)[None, :, :]) ** 2).sum(-1)
    logits = np.log(np.asarray(weights))[None, :] - sq / (2 * sd ** 2)
    return np.exp(logits - special.logsumexp(logits, axis=1, keepdims=True))


def bridge_share(x: np.ndarray, means, low: float = 0.25, high: float = 0.75) -> float:
    """Share of rows in the bridge between their two nearest component means.

    A row is in the bridge when its projection on the segment from its
    nearest mean m1 to its second nearest m2 falls in the middle half,
    t = (x - m1).(m2 - m1) / |m2 - m1|^2 in (low, high).
    """
    means = np.asarray(means, float)
    sq = ((x[:, None, :] - means[None, :, :]) ** 2).sum(-1)
    nearest = np.argsort(sq, axis=1, kind="stable")[:, :2]
    m1, m2 = means[nearest[:, 0]], means[nearest[:, 1]]
    t = ((x - m1) * (m2 - m1)).sum(1) / ((m2 - m1) ** 2).sum(1)
    return float(np.mean((t > low) & (t < high)))


def nearest_distance(query: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Euclidean distance from each query row to its nearest reference row."""
    return cKDTree(reference).query(query, k=1)[0]


def count_below_order_statistic_p(count: int, n: int, k: int, m: int) -> float:
    """P(at least ``count`` of n values fall below the k-th smallest of m others).

    Exact when all n + m values are exchangeable (continuous, no ties): the
    event means that among the smallest count + k - 1 pooled values at most
    k - 1 are from the m, a hypergeometric tail.
    """
    if count <= 0:
        return 1.0
    return float(stats.hypergeom.cdf(k - 1, n + m, m, count + k - 1))


# --- p-values from the floor ---------------------------------------------------

def floor_p_value(observed: float, floor: np.ndarray, tail: str = "gamma"):
    """Monte-Carlo p-value of ``observed`` against floor draws, with a fitted tail.

    p = (1 + #{D_b >= D_obs}) / (B + 1), a valid p-value for any B. When the
    observed value lies beyond every floor draw this stops at 1 / (B + 1),
    which Holm's correction over a dozen checks could never reject (with
    B = 200 it needs p <= 0.05 / 12 = 0.004). Only there the tail is read
    from a law fitted to the floor draws, capped at 1 / (B + 1), so that a
    false alarm still needs D_obs beyond all B draws (probability 1 / (B + 1)):

    - ``"lognormal"`` (normal on log D) for distances between two samples
      (KS, W1, Anderson-Darling, Cramer-von Mises, energy), whose right tails
      a gamma with the same mean and variance underestimates;
    - ``"gamma"`` (same mean and variance) for absolute differences of an
      estimate, |Z|-like, where a log-normal would be far too cautious.

    Returns (p, method).
    """
    floor = np.asarray(floor, float)
    exceed = int(np.sum(floor >= observed))
    p_mc = (1 + exceed) / (floor.size + 1)
    if exceed > 0:
        return p_mc, "monte carlo"
    mean, var = float(floor.mean()), float(floor.var(ddof=1))
    if var <= 0 or mean <= 0:
        return 0.0, "beyond a constant floor"
    if tail == "lognormal" and floor.min() > 0:
        logs = np.log(floor)
        z = (np.log(observed) - logs.mean()) / logs.std(ddof=1)
        return min(p_mc, float(stats.norm.sf(z))), "log-normal tail"
    shape, scale = mean ** 2 / var, var / mean
    return min(p_mc, float(stats.gamma.sf(observed, shape, scale=scale))), "gamma tail"
