"""Is the distribution preserved? Are the dependencies preserved?

This module runs the tutorial's validation protocol on synthetic rows S:

1. Fix ``n_eval``. S is ``n_eval`` synthetic rows; H is a real holdout; the
   floor is B further real sets R'_1..R'_B of the same size as S. With a
   known law H and R'_b are fresh draws from it; without one, H is a part of
   the real rows and each R'_b is a bootstrap resample of the other part.
2. Every statistic D is "larger = worse". D_obs = D(S, H), D_b = D(R'_b, H);
   for a parameter with a known true value D = |estimate - truth|.
3. p = (1 + #{D_b >= D_obs}) / (B + 1); past the last floor draw, a tail
   fitted to the floor (see :func:`ddpm_lib.validation_stats.floor_p_value`).
4. rho = D_obs / median(D_b): "S is rho times as far from the real law as
   another real draw is", at this ``n_eval`` (a fixed error grows like sqrt(n)).
5. Holm's correction over the family of checks declared, before any data is
   seen, by the structure. PASS when the adjusted p >= alpha; CLOSE when
   rejected but rho <= 2 or the declared tolerance is met; FAIL otherwise.

Some checks have no floor at all: the real rows of ``[x, 2x]`` lie exactly
on their line, so any real slope error, spread across the line or share of
rows outside the support is exactly zero. Those checks compare the value
with a tolerance declared in :data:`DEFAULT_TOLERANCES` and stated in the
report: PASS when the value is zero (as for real rows), CLOSE when it is
within tolerance, FAIL beyond it.

Synthetic rows with NaN or inf (or values beyond 1e50, which a diverged
sampler produces) are not an input error: they are counted (the
``nonfinite_rows`` check FAILs) and every other check uses the other rows.
The real rows and the training rows must be finite.

=====================  ===========================================================
kind                   checks (which ones run depends on the structure)
=====================  ===========================================================
``marginal``           validity (``nonfinite_rows``, ``outside_support``,
                       ``point_mass``), ``ks``, ``wasserstein``,
                       ``anderson_darling``, ``tail_quantiles``,
                       ``ks_true_cdf``, ``cvm_true_cdf``
``joint``              ``energy``, ``sliced_wasserstein``
``dependence``         ``pearson_change``, ``rank_correlation_change``; known
                       law: ``slope`` and ``line_spread`` (exact line),
                       ``relation_coefficients`` and ``relation_residual``
                       (exact curve), ``regression_coefficients`` and
                       ``residual_sd`` (Gaussian), ``lag_correlations``,
                       ``ar1_phi``, ``ar1_sigma``, ``ljung_box`` (AR(1)),
                       ``mixture_weights``, ``bridge_share`` (mixture);
                       nonlinear strength: ``distance_correlation``,
                       ``chatterjee_xi``; ``copula_energy``
``memorization``       ``closer_to_train``, ``near_copies`` (only with ``train``)
=====================  ===========================================================
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import Callable

import numpy as np
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from . import validation_stats as vs
from ._checks import as_rows
from .io import read_csv, write_json
from .samples import Law, get_law

KINDS = ("marginal", "joint", "dependence", "memorization")
#: What a good generator should reach on an exact line: a spread across it
#: below 1% of sd(y). Reported beside the verdict, which uses the tolerance.
LINE_SPREAD_TARGET = 0.01
#: Synthetic values beyond this magnitude count as invalid, like NaN and inf.
MAX_ABS = 1e50
VERDICTS = ("PASS", "CLOSE", "FAIL")

#: Declared tolerances, on each check's own scale. They decide CLOSE against
#: FAIL when the floor is zero, and let a rejected check count as CLOSE when
#: the change is too small to matter. Set for n_eval near 2,000.
DEFAULT_TOLERANCES = {
    "nonfinite_rows": 0.0,           # share of rows with NaN/inf: none is acceptable
    "outside_support": 0.01,         # share of rows outside the law's support
    "point_mass": 0.01,              # extra share of rows sharing a value with another
    "slope": 0.02,                   # |slope - truth| / |truth| of an exact line
    "line_spread": 0.05,             # sd(y - slope x) / sd(y): as for the curve below
    "relation_coefficients": 0.05,   # max |coefficient - truth| of an exact curve
    "relation_residual": 0.05,       # residual RMS / sd(y) around an exact curve
    "pearson_change": 0.02,          # a change in r below 0.02 changes no conclusion
    "rank_correlation_change": 0.02,
    "distance_correlation": 0.02,
    "chatterjee_xi": 0.15,           # what noise of 5% of sd(y) costs xi around [x, x^2]
    "closer_to_train": 0.55,         # share of rows nearer train than holdout (0.5 ideal)
}


@dataclass(frozen=True)
class ValidationOptions:
    """Settings of :func:`validate`; each has a default and a reason."""

    n_eval: int = 2000              # rows in S, H and every floor draw (step 1 above)
    n_floor: int = 200              # B floor draws; the protocol asks for >= 200
    alpha: float = 0.05             # family-wise level of Holm's correction
    close_ratio: float = 2.0        # rejected but rho <= this: CLOSE, not FAIL
    n_energy: int = 1000            # rows in the energy distances, whose cost is n^2
    n_dcor: int = 500               # rows in distance correlation, also n^2
    n_directions: int = 50          # random directions of the sliced Wasserstein
    tail_probs: tuple = (0.01, 0.99)  # tail quantiles, since KS barely sees tails
    max_lag: int = 3                # AR(1): lags k = 1..max_lag compared with phi^k
    ljung_box_lags: int = 4         # AR(1): lags of Ljung-Box on pooled residuals
    near_copy_quantile: float = 0.01  # near-copy: nearer train than 99% of holdout rows
    min_rows: int = 20              # fewer finite synthetic rows: nothing to evaluate
    exact_atol: float = 1e-10       # values below this are exact zeros (rounding)
    tolerances: dict = field(default_factory=lambda: dict(DEFAULT_TOLERANCES))


# --- results ---------------------------------------------------------------

@dataclass
class CheckResult:
    """One row of the verdict table."""

    name: str
    kind: str                  # marginal | joint | dependence | memorization
    statistic: str             # what D measures, in words
    value: float | None        # D_obs
    floor: float | None        # median(D_b); for tolerance checks D on real rows
    ratio: float | None        # rho = value / floor (None when the floor is 0)
    p_value: float | None      # before Holm; None for tolerance checks
    p_adjusted: float | None   # after Holm over the declared family
    verdict: str               # PASS | CLOSE | FAIL
    rule: str = "floor"        # floor | tolerance | binomial | hypergeometric
    tolerance: float | None = None
    details: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return _clean({f.name: getattr(self, f.name) for f in fields(self)})

    def __getitem__(self, key):
        return self.to_dict()[key]

    def summary(self, n_eval: int | None = None) -> str:
        """One line: value, floor, ratio (at n_eval), p after Holm, verdict."""
        at = f" at n_eval = {n_eval}" if n_eval is not None else ""
        if self.rule == "tolerance":
            judged = f"tolerance {_fmt(self.tolerance)}"
        else:
            judged = f"ratio {_fmt_ratio(self.ratio)}{at}, p (Holm) {_fmt_p(self.p_adjusted)}"
        return (f"{self.name}: {_fmt(self.value)} (floor {_fmt(self.floor)}; {judged}) "
                f"-> {self.verdict}")


@dataclass
class ValidationReport:
    """All checks with their verdicts, and the settings that produced them."""

    checks: list
    structure: str | None
    law: str
    n_eval: int
    n_holdout: int
    n_floor: int
    floor_method: str
    seed: int
    alpha: float
    close_ratio: float
    n_fake_rows: int
    n_fake_nonfinite: int
    family: list
    tolerances: dict
    notes: list = field(default_factory=list)
    evidence: object = field(default=None, repr=False, compare=False)

    def _verdicts(self, kinds) -> list:
        return [c.verdict for c in self.checks if c.kind in kinds]

    @property
    def distribution_preserved(self) -> bool:
        """No marginal or joint check FAILs."""
        return "FAIL" not in self._verdicts(("marginal", "joint"))

    @property
    def dependencies_preserved(self) -> bool:
        """No dependence check FAILs (True when there is none, as for one column)."""
        return "FAIL" not in self._verdicts(("dependence",))

    @property
    def memorization_detected(self) -> bool | None:
        """A memorization check FAILs; None when no training rows were given."""
        verdicts = self._verdicts(("memorization",))
        return ("FAIL" in verdicts) if verdicts else None

    @property
    def preserved(self) -> bool:
        return (self.distribution_preserved and self.dependencies_preserved
                and not self.memorization_detected)

    @property
    def exit_code(self) -> int:
        """0 when no check FAILs, 1 otherwise (the command line's convention)."""
        return 0 if self.preserved else 1

    def check(self, name: str) -> CheckResult:
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"no check named {name!r}; the report has "
                       f"{[c.name for c in self.checks]}")

    def to_json(self) -> dict:
        """A JSON-ready dict: plain types only, never NaN or infinity."""
        return _clean({
            "structure": self.structure,
            "law": self.law,
            "distribution_preserved": self.distribution_preserved,
            "dependencies_preserved": self.dependencies_preserved,
            "memorization_detected": self.memorization_detected,
            "preserved": self.preserved,
            "n_eval": self.n_eval,
            "n_holdout": self.n_holdout,
            "n_floor": self.n_floor,
            "floor_method": self.floor_method,
            "seed": self.seed,
            "alpha": self.alpha,
            "close_ratio": self.close_ratio,
            "n_fake_rows": self.n_fake_rows,
            "n_fake_nonfinite": self.n_fake_nonfinite,
            "family": list(self.family),
            "tolerances": dict(self.tolerances),
            "notes": list(self.notes),
            "checks": [c.to_dict() for c in self.checks],
        })

    def to_markdown(self) -> str:
        """The verdict table, with the summary and the declared tolerances."""
        return _markdown(self)


def _clean(obj):
    """Plain Python types for JSON; a non-finite float becomes None."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    return obj


# --- inputs ----------------------------------------------------------------

def _options(given: dict) -> ValidationOptions:
    known = {f.name for f in fields(ValidationOptions)}
    unknown = sorted(set(given) - known)
    if unknown:
        raise ValueError(f"unknown option(s) {unknown}; validate() takes "
                         f"{sorted(known)}")
    opts = ValidationOptions()
    tolerances = dict(DEFAULT_TOLERANCES)
    extra = given.get("tolerances") or {}
    if not isinstance(extra, dict):
        raise ValueError("tolerances must be a dict of check name -> tolerance")
    bad = sorted(set(extra) - set(DEFAULT_TOLERANCES))
    if bad:
        raise ValueError(f"unknown tolerance(s) {bad}; choose from "
                         f"{sorted(DEFAULT_TOLERANCES)}")
    for key, value in extra.items():
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
            raise ValueError(f"tolerance {key!r} must be a finite number >= 0, "
                             f"got {value!r}")
        tolerances[key] = float(value)
    opts = replace(opts, **{k: v for k, v in given.items() if k != "tolerances"},
                   tolerances=tolerances)
    for name in ("n_eval", "n_floor", "n_energy", "n_dcor", "n_directions",
                 "max_lag", "ljung_box_lags", "min_rows"):
        value = getattr(opts, name)
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if opts.n_floor < 19:
        raise ValueError(f"n_floor must be at least 19 so that a p-value can fall "
                         f"below 0.05, got {opts.n_floor}")
    if opts.n_eval < opts.min_rows:
        raise ValueError(f"n_eval must be at least min_rows = {opts.min_rows}, "
                         f"got {opts.n_eval}")
    for name in ("alpha", "near_copy_quantile"):
        value = getattr(opts, name)
        if not (isinstance(value, (int, float)) and 0 < value < 1):
            raise ValueError(f"{name} must lie strictly between 0 and 1, got {value!r}")
    if not (isinstance(opts.close_ratio, (int, float)) and opts.close_ratio >= 1):
        raise ValueError(f"close_ratio must be a number >= 1, got {opts.close_ratio!r}")
    probs = np.asarray(opts.tail_probs, float)
    if probs.ndim != 1 or probs.size == 0 or not ((probs > 0) & (probs < 1)).all():
        raise ValueError(f"tail_probs must be probabilities in (0, 1), "
                         f"got {opts.tail_probs!r}")
    return opts


def _law(structure) -> Law | None:
    if structure is None or isinstance(structure, Law):
        return structure
    if isinstance(structure, str):
        return get_law(structure)
    raise ValueError(f"structure must be None, a structure name or a Law, "
                     f"got {type(structure).__name__}")


def _fake_rows(fake, d: int) -> tuple[np.ndarray, int]:
    """Usable synthetic rows and the number of rows with NaN, inf or |x| > 1e50."""
    if hasattr(fake, "detach"):
        fake = fake.detach().cpu().numpy()
    try:
        raw = np.asarray(fake)
        if raw.dtype == object or not np.issubdtype(raw.dtype, np.number) \
                or np.iscomplexobj(raw):
            raise TypeError
        arr = raw.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError("fake must be an array of real numbers with shape (n, d)") from None
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise ValueError(f"fake must be 2-D with shape (n, d) and n >= 1, "
                         f"got shape {arr.shape}")
    if arr.shape[1] != d:
        raise ValueError(f"fake has {arr.shape[1]} columns but real has {d}")
    # beyond 1e50 a diverged sampler's numbers overflow x^4 (the quadratic fit)
    finite = np.isfinite(arr).all(axis=1) & (np.abs(arr) <= MAX_ABS).all(axis=1)
    return arr[finite], int((~finite).sum())


def _seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


# --- one sample and everything computed from it -----------------------------

@dataclass
class _Context:
    """What every statistic shares: H's location and scale, the directions."""

    center: np.ndarray
    scale: np.ndarray
    directions: np.ndarray
    opts: ValidationOptions


class _View:
    """A sample with its derived quantities computed once, on first use."""

    def __init__(self, x: np.ndarray, ctx: _Context):
        self.x, self.ctx, self.n = x, ctx, x.shape[0]

    @cached_property
    def sorted(self):
        return np.sort(self.x, axis=0)

    @cached_property
    def z(self):
        return (self.x - self.ctx.center) / self.ctx.scale

    @cached_property
    def z_energy(self):
        return self.z[: self.ctx.opts.n_energy]

    @cached_property
    def within_energy(self):
        return vs.mean_pairwise_distance(self.z_energy)

    @cached_property
    def pseudo(self):
        sub = self.x[: self.ctx.opts.n_energy]
        return vs.column_ranks(sub) / (sub.shape[0] + 1)

    @cached_property
    def within_pseudo(self):
        return vs.mean_pairwise_distance(self.pseudo)

    @cached_property
    def pearson(self):
        return vs.pearson_matrix(self.x)

    @cached_property
    def spearman(self):
        return vs.spearman_matrix(self.x)

    @cached_property
    def projections(self):
        return np.sort(vs.project(self.z, self.ctx.directions), axis=0)

    @cached_property
    def xi(self):
        """xi(i -> j) for every ordered pair of columns, shape (d, d)."""
        cols = vs.XiColumns(self.x)
        d = self.x.shape[1]
        return np.array([[cols.xi(i, j) if i != j else 1.0 for j in range(d)]
                         for i in range(d)])

    @cached_property
    def dcor(self):
        sub = self.x[: self.ctx.opts.n_dcor]
        centred = [vs.centred_distances(sub[:, j]) for j in range(sub.shape[1])]
        d = sub.shape[1]
        out = np.eye(d)
        for i in range(d):
            for j in range(i + 1, d):
                out[i, j] = out[j, i] = vs.dcor_from_centred(centred[i], centred[j])
        return out

    @cached_property
    def ar1(self):
        return vs.pooled_ar1(self.x)


@dataclass
class _Spec:
    """A declared check: what it measures and how its statistic is computed.

    ``measure(v, h)`` returns D for a view v against the holdout view h.
    ``rule`` is "floor" (p-value from the floor draws) or "tolerance" (the
    real value is exactly zero; compare with the declared tolerance).
    """

    name: str
    kind: str
    statistic: str
    measure: Callable
    rule: str = "floor"
    tolerance: float | None = None
    describe: Callable | None = None  # extra details from (S view, H view)
    tail: str = "gamma"  # past the last floor draw: "gamma" or "lognormal" (distances)


def _max_over_columns(f):
    return lambda v, h: max(f(v, h, j) for j in range(v.x.shape[1]))


def _max_off_diagonal_change(attr):
    return lambda v, h: float(np.max(np.abs(vs.off_diagonal(getattr(v, attr))
                                            - vs.off_diagonal(getattr(h, attr)))))


def _max_ordered_change(attr):
    def measure(v, h):
        a, b = getattr(v, attr), getattr(h, attr)
        mask = ~np.eye(a.shape[0], dtype=bool)
        return float(np.max(np.abs(a[mask] - b[mask])))
    return measure


# --- the family of checks, declared by the structure -----------------------

def _marginal_specs(law: Law | None, opts: ValidationOptions) -> list[_Spec]:
    probs = np.asarray(opts.tail_probs, float)
    specs = [
        _Spec("ks", "marginal", "two-sample KS D, max over columns",
              _max_over_columns(lambda v, h, j: vs.ks_two_sample(v.sorted[:, j],
                                                                 h.sorted[:, j])),
              tail="lognormal"),
        _Spec("wasserstein", "marginal", "W1 / sd(H), max over columns",
              _max_over_columns(lambda v, h, j: vs.wasserstein1(
                  v.sorted[:, j], h.sorted[:, j]) / h.ctx.scale[j]), tail="lognormal"),
        _Spec("anderson_darling", "marginal",
              "two-sample Anderson-Darling A2, max over columns",
              _max_over_columns(lambda v, h, j: vs.anderson_darling_2samp(
                  v.sorted[:, j], h.sorted[:, j])), tail="lognormal"),
        _Spec("tail_quantiles", "marginal",
              f"|q_p(S) - q_p(H)| / sd(H) at p in {[float(p) for p in probs]}, max",
              _max_over_columns(lambda v, h, j: float(np.max(vs.quantile_gaps(
                  v.sorted[:, j], h.sorted[:, j], probs))) / h.ctx.scale[j])),
    ]
    if law is not None and law.marginals is not None:
        cdfs = [m.cdf for m in law.marginals]
        specs += [
            _Spec("ks_true_cdf", "marginal",
                  "one-sample KS D against the true CDF, max over columns",
                  _max_over_columns(lambda v, h, j: vs.ks_one_sample(v.sorted[:, j],
                                                                     cdfs[j])),
                  tail="lognormal"),
            _Spec("cvm_true_cdf", "marginal",
                  "Cramer-von Mises W2 against the true CDF, max over columns",
                  _max_over_columns(lambda v, h, j: vs.cvm_one_sample(v.sorted[:, j],
                                                                      cdfs[j])),
                  tail="lognormal"),
        ]
    return specs


def _joint_specs() -> list[_Spec]:
    return [
        _Spec("energy", "joint", "energy distance of standardized rows",
              lambda v, h: vs.energy_distance(v.z_energy, h.z_energy, h.within_energy),
              tail="lognormal"),
        _Spec("sliced_wasserstein", "joint",
              "sliced W1 of standardized rows (mean over directions)",
              lambda v, h: vs.sliced_wasserstein(v.z, h.projections, v.ctx.directions),
              tail="lognormal"),
    ]


def _correlation_specs(tol: dict) -> list[_Spec]:
    return [
        _Spec("pearson_change", "dependence", "max |r(S) - r(H)| over pairs (Pearson)",
              _max_off_diagonal_change("pearson"), tolerance=tol["pearson_change"],
              describe=_correlation_details),
        _Spec("rank_correlation_change", "dependence",
              "max |rho(S) - rho(H)| over pairs (Spearman)",
              _max_off_diagonal_change("spearman"),
              tolerance=tol["rank_correlation_change"], describe=_kendall_details),
    ]


def _strength_specs(tol: dict) -> list[_Spec]:
    return [
        _Spec("distance_correlation", "dependence",
              "max |dCor(S) - dCor(H)| over pairs", _max_off_diagonal_change("dcor"),
              tolerance=tol["distance_correlation"], describe=_strength_details("dcor")),
        _Spec("chatterjee_xi", "dependence",
              "max |xi(S) - xi(H)| over ordered pairs", _max_ordered_change("xi"),
              tolerance=tol["chatterjee_xi"], describe=_strength_details("xi")),
    ]


def _copula_spec() -> _Spec:
    return _Spec("copula_energy", "dependence",
                 "energy distance of rank-transformed rows",
                 lambda v, h: vs.energy_distance(v.pseudo, h.pseudo, h.within_pseudo),
                 tail="lognormal")


def _declare(law: Law | None, d: int, opts: ValidationOptions) -> list[_Spec]:
    """The checks for this structure, fixed before any synthetic row is read."""
    tol = opts.tolerances
    specs = _marginal_specs(law, opts)
    if d == 1:
        return specs
    specs += _joint_specs() + _correlation_specs(tol)
    relation = law.relation if law is not None else None
    params = law.params if law is not None else {}
    if relation is not None and relation.get("kind") == "linear":
        specs += _line_specs(relation, tol)
    elif relation is not None and relation.get("kind") == "quadratic":
        specs += _curve_specs(relation, tol) + _strength_specs(tol)
    elif law is not None and law.name == "gaussian" and "cov" in params:
        specs += _gaussian_specs(np.asarray(params["cov"], float)) + [_copula_spec()]
    elif law is not None and law.name == "ar1" and "phi" in params:
        specs += _ar1_specs(params["phi"], params["sigma"], d, opts) + [_copula_spec()]
    elif law is not None and law.name == "mixture" and "weights" in params:
        specs += _mixture_specs(params) + [_copula_spec()]
    else:
        specs += _strength_specs(tol) + [_copula_spec()]
    return specs


# exact line y = intercept + slope x: no floor, declared tolerances

def _line_specs(rel: dict, tol: dict) -> list[_Spec]:
    ix, iy, slope = rel["x"], rel["y"], float(rel["slope"])

    def slope_error(v, h):
        return abs(vs.ols_line(v.x[:, ix], v.x[:, iy])[1] - slope) / abs(slope)

    def spread(v, h):
        y = v.x[:, iy]
        sd = y.std()
        return float((y - slope * v.x[:, ix]).std() / sd) if sd > 0 else 0.0

    def spread_details(v, h):
        value = spread(v, h)
        return {"target": LINE_SPREAD_TARGET, "target_met": value <= LINE_SPREAD_TARGET}

    def slope_details(v, h):
        return _ols_details(v.x[:, iy], v.x[:, [ix]], [rel["intercept"], slope],
                            ["intercept", "slope"])

    return [
        _Spec("slope", "dependence", f"|slope - {slope:g}| / {abs(slope):g} (OLS)",
              slope_error, rule="tolerance", tolerance=tol["slope"],
              describe=slope_details),
        _Spec("line_spread", "dependence",
              f"sd(x{iy + 1} - {slope:g} x{ix + 1}) / sd(x{iy + 1}) across the line",
              spread, rule="tolerance", tolerance=tol["line_spread"],
              describe=spread_details),
    ]


# exact curve y = x^2

def _curve_specs(rel: dict, tol: dict) -> list[_Spec]:
    ix, iy = rel["x"], rel["y"]
    truth = np.array([0.0, 0.0, 1.0])

    def design(v):
        x = v.x[:, ix]
        return np.column_stack([np.ones_like(x), x, x ** 2])

    def fit(v):
        a = design(v)  # normal equations through einsum: no threaded BLAS per draw
        gram = np.einsum("ij,ik->jk", a, a)
        return np.linalg.lstsq(gram, np.einsum("ij,i->j", a, v.x[:, iy]), rcond=None)[0]

    def coefficient_error(v, h):
        return float(np.max(np.abs(fit(v) - truth)))

    def residual(v, h):
        y = v.x[:, iy]
        sd = y.std()
        rms = np.sqrt(np.mean((y - design(v) @ fit(v)) ** 2))
        return float(rms / sd) if sd > 0 else 0.0

    def details(v, h):
        x = v.x[:, ix]
        return _ols_details(v.x[:, iy], np.column_stack([x, x ** 2]), truth,
                            ["intercept", "x", "x^2"])

    return [
        _Spec("relation_coefficients", "dependence",
              f"max |coef - truth|, OLS of x{iy + 1} on 1, x{ix + 1}, x{ix + 1}^2",
              coefficient_error, rule="tolerance",
              tolerance=tol["relation_coefficients"], describe=details),
        _Spec("relation_residual", "dependence",
              f"residual RMS / sd(x{iy + 1}) around the fitted curve", residual,
              rule="tolerance", tolerance=tol["relation_residual"]),
    ]


# Gaussian: regression of the last column on the others, standardized so that
# a change of location or scale in one column reads as a marginal error

def _gaussian_specs(cov: np.ndarray) -> list[_Spec]:
    sd = np.sqrt(np.diag(cov))
    corr = cov / np.outer(sd, sd)
    beta_true, resid_true = _standardized_regression(corr)

    def coefficient_error(v, h):
        return float(np.max(np.abs(_standardized_regression(v.pearson)[0] - beta_true)))

    def resid_error(v, h):
        return abs(_standardized_regression(v.pearson)[1] - resid_true)

    def details(v, h):
        z = (v.x - v.x.mean(0)) / np.where(v.x.std(0) > 0, v.x.std(0), 1.0)
        d = z.shape[1]
        names = ["intercept"] + [f"x{i + 1}" for i in range(d - 1)]
        return _ols_details(z[:, -1], z[:, :-1], np.r_[0.0, beta_true], names)

    d = cov.shape[0]
    return [
        _Spec("regression_coefficients", "dependence",
              f"max |beta - truth|, OLS of standardized x{d} on the others",
              coefficient_error, describe=details),
        _Spec("residual_sd", "dependence",
              f"|residual sd - {resid_true:.3g}| of standardized x{d}", resid_error),
    ]


def _standardized_regression(corr: np.ndarray) -> tuple[np.ndarray, float]:
    """Coefficients and residual sd of the last standardized column on the rest."""
    rxx, rxy = corr[:-1, :-1], corr[:-1, -1]
    beta = np.linalg.lstsq(rxx, rxy, rcond=None)[0]  # lstsq: a singular rxx is fine
    return beta, float(np.sqrt(max(1.0 - rxy @ beta, 0.0)))


# AR(1) rows: parameters with known true values

def _ar1_specs(phi: float, sigma: float, d: int, opts: ValidationOptions) -> list[_Spec]:
    lags = min(opts.max_lag, d - 1)
    truth = phi ** np.arange(1, lags + 1)
    lb_lags = min(opts.ljung_box_lags, d - 2) if d > 2 else 1

    def lag_error(v, h):
        r = np.array([np.mean(np.diagonal(v.pearson, offset=k)) for k in range(1, lags + 1)])
        return float(np.max(np.abs(r - truth)))

    def lag_details(v, h):
        r = [np.mean(np.diagonal(v.pearson, offset=k)) for k in range(1, lags + 1)]
        return {"lag_correlations": r, "truth": truth}

    def phi_details(v, h):
        x = v.x
        return _ols_details(x[:, 1:].ravel(), x[:, :-1].reshape(-1, 1), [0.0, phi],
                            ["intercept", "phi"])

    def q(v, h):
        return vs.ljung_box_q(v.ar1[3].ravel(), lb_lags)

    def q_details(v, h):
        # the same Q as statsmodels' acorr_ljungbox (a unit test checks it), whose
        # O(N^2) autocorrelation is too slow for the N = n (d - 1) pooled residuals
        q_value = q(v, h)
        return {"ljung_box_q": q_value, "lags": lb_lags,
                "chi2_p_value_for_reference": float(stats.chi2.sf(q_value, lb_lags))}

    return [
        _Spec("lag_correlations", "dependence",
              f"max over k <= {lags} of |mean lag-k correlation - {phi:g}^k|",
              lag_error, describe=lag_details),
        _Spec("ar1_phi", "dependence", f"|phi - {phi:g}|, pooled OLS",
              lambda v, h: abs(v.ar1[1] - phi), describe=phi_details),
        _Spec("ar1_sigma", "dependence", f"|sigma - {sigma:.3g}|, pooled OLS",
              lambda v, h: abs(v.ar1[2] - sigma)),
        _Spec("ljung_box", "dependence",
              f"Ljung-Box Q ({lb_lags} lags) of pooled AR(1) residuals", q,
              describe=q_details),
    ]


# Gaussian mixture: component weights and the empty bridge between modes

def _mixture_specs(params: dict) -> list[_Spec]:
    w, means, sd = np.asarray(params["weights"]), np.asarray(params["means"]), params["sd"]

    def weights(v):
        return vs.mixture_responsibilities(v.x, w, means, sd).mean(axis=0)

    def weight_details(v, h):
        labels = np.argmax(vs.mixture_responsibilities(v.x, w, means, sd), axis=1)
        counts = np.bincount(labels, minlength=w.size)
        low, high = proportion_confint(counts, v.n, alpha=0.05, method="wilson")
        return {"weights": weights(v), "truth": w, "hard_counts": counts,
                "wilson_low": low, "wilson_high": high,
                "truth_inside": (low <= w) & (w <= high)}

    def bridge_details(v, h):
        return {"bridge_share_synthetic": vs.bridge_share(v.x, means),
                "bridge_share_holdout": vs.bridge_share(h.x, means)}

    return [
        _Spec("mixture_weights", "dependence", "max |weight - truth| (soft assignment)",
              lambda v, h: float(np.max(np.abs(weights(v) - w))),
              describe=weight_details),
        _Spec("bridge_share", "dependence",
              "|bridge share(S) - bridge share(H)| between modes",
              lambda v, h: abs(vs.bridge_share(v.x, means) - vs.bridge_share(h.x, means)),
              describe=bridge_details),
    ]


# --- details that explain a value --------------------------------------------

def _ols_details(y, x, truth, names) -> dict:
    """statsmodels OLS: estimates with 95% confidence intervals against the truth."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        fit = sm.OLS(y, sm.add_constant(x, has_constant="add")).fit()
        ci = np.asarray(fit.conf_int(0.05))
    truth = np.asarray(truth, float)
    sd = float(np.std(y))
    return {
        "terms": names,
        "estimate": np.asarray(fit.params),
        "ci_low": ci[:, 0], "ci_high": ci[:, 1], "truth": truth,
        "truth_inside_ci": (ci[:, 0] <= truth) & (truth <= ci[:, 1]),
        "residual_rms_over_sd": float(np.sqrt(np.mean(fit.resid ** 2)) / sd) if sd > 0
        else 0.0,
    }


def _correlation_details(v, h) -> dict:
    d = v.x.shape[1]
    diff = v.pearson - h.pearson
    out = {"frobenius_change": float(np.linalg.norm(diff))}
    if d <= 8:
        out.update(pearson_synthetic=vs.off_diagonal(v.pearson),
                   pearson_holdout=vs.off_diagonal(h.pearson))
    return out


def _kendall_details(v, h) -> dict:
    d = v.x.shape[1]
    if d > 4:
        return {}
    pairs = list(zip(*np.triu_indices(d, k=1)))
    tau = [stats.kendalltau(v.x[:, i], v.x[:, j]).statistic for i, j in pairs]
    tau_h = [stats.kendalltau(h.x[:, i], h.x[:, j]).statistic for i, j in pairs]
    return {"kendall_synthetic": tau, "kendall_holdout": tau_h,
            "spearman_synthetic": vs.off_diagonal(v.spearman),
            "spearman_holdout": vs.off_diagonal(h.spearman)}


def _strength_details(attr):
    def describe(v, h):
        a, b = getattr(v, attr), getattr(h, attr)
        if a.shape[0] > 4:
            return {}
        return {f"{attr}_synthetic": a, f"{attr}_holdout": b}
    return describe


# --- the protocol ---------------------------------------------------------

@dataclass
class _Evidence:
    """The samples behind a report, kept for the figures (not serialized)."""

    law: Law | None
    synthetic: np.ndarray
    holdout: np.ndarray
    draw_floor: Callable  # rng -> one floor sample of the synthetic size
    ctx: _Context
    specs: list
    floor_values: dict
    memorization: dict | None
    seed: int


def validate(real, fake, structure=None, train=None, seed=0, **options) -> ValidationReport:
    """Run the validation protocol (this module's docstring) on synthetic rows.

    ``real``: real rows (n, d), finite. With a known law they fix the shape
    only; with ``structure=None`` they are the holdout and the floor pool.
    ``fake``: synthetic rows (m, d); rows with NaN or inf fail the validity
    check and the other checks use the rest. ``structure``: None (unknown
    law), a name from ``ddpm_lib.samples.STRUCTURES`` or a ``Law``.
    ``train``: the model's training rows; adds the memorization checks.
    ``seed``: fixes every draw, so the same inputs give the same report.
    ``options``: fields of :class:`ValidationOptions` (``n_eval=2000``,
    ``n_floor=200``, ``tolerances={...}``, ...).
    """
    opts = _options(options)
    seed = _seed(seed)
    law = _law(structure)
    real = as_rows(real, "real").numpy()
    d = real.shape[1]
    if law is not None and law.dim != d:
        raise ValueError(f"structure {law.name!r} has rows of {law.dim} columns, "
                         f"but real has {d}")
    finite_fake, n_bad = _fake_rows(fake, d)
    if train is not None:
        train = as_rows(train, "train").numpy()
        if train.shape[1] != d:
            raise ValueError(f"train has {train.shape[1]} columns but real has {d}")
    streams = np.random.SeedSequence(seed).spawn(5)
    rng_s, rng_h, rng_dir, rng_mem = (np.random.default_rng(s) for s in
                                      (streams[0], streams[1], streams[3], streams[4]))
    floor_seeds = streams[2]

    n_total = finite_fake.shape[0] + n_bad
    synthetic = finite_fake[rng_s.permutation(finite_fake.shape[0])[: opts.n_eval]]
    holdout, draw_floor, floor_method, mem_holdout = _real_side(
        law, real, synthetic.shape[0], opts, rng_h, rng_mem, train)
    specs = _declare(law, d, opts)
    validity = _validity(law, synthetic, holdout, n_bad, n_total, opts)

    notes = []
    if law is not None and law.relation is not None and d > 1:
        notes.append("exact relation: its checks have no floor and use declared "
                     "tolerances; the copula check is left out because the copula "
                     "of an exact relation is degenerate")
    if d == 1:
        notes.append("one column: no joint or dependence checks")
    if law is None and train is not None:
        shared = _shared_rows(mem_holdout, train)
        if shared:
            notes.append(f"{shared} of the {len(mem_holdout)} real holdout rows also "
                         f"appear in train, which biases the memorization checks; "
                         f"pass rows the model never saw as real")
    if synthetic.shape[0] < opts.min_rows:
        reason = f"only {synthetic.shape[0]} finite synthetic rows"
        checks = validity + [_not_evaluated(s, reason) for s in specs]
        evidence = None
        notes.append(f"only {synthetic.shape[0]} finite synthetic rows: nothing but "
                     f"validity could be evaluated")
    else:
        ctx = _Context(holdout.mean(0), _safe_scale(holdout.std(0, ddof=1)),
                       vs.unit_directions(d, opts.n_directions, rng_dir), opts)
        checks, floor_values = _run_checks(specs, synthetic, holdout, draw_floor,
                                           floor_seeds, ctx, opts)
        checks = validity + checks
        memo = None
        if train is not None:
            mem_checks, memo = _memorization(synthetic, train, mem_holdout, ctx, opts,
                                             rng_mem)
            checks += mem_checks
        evidence = _Evidence(law, synthetic, holdout, draw_floor, ctx, specs,
                             floor_values, memo, seed)
    return ValidationReport(
        checks=checks,
        structure=None if law is None else law.name,
        law=_law_text(law),
        n_eval=int(synthetic.shape[0]), n_holdout=int(holdout.shape[0]),
        n_floor=opts.n_floor, floor_method=floor_method, seed=seed,
        alpha=opts.alpha, close_ratio=opts.close_ratio,
        n_fake_rows=n_total, n_fake_nonfinite=n_bad,
        family=[s.name for s in specs if s.rule == "floor"],
        tolerances={k: v for k, v in opts.tolerances.items()
                    if k in {c.name for c in checks}},
        notes=notes, evidence=evidence,
    )


def _law_text(law: Law | None) -> str:
    if law is None:
        return "unknown: the holdout and the floor come from the real rows"
    return law.description


def _shared_rows(a: np.ndarray, b: np.ndarray) -> int:
    """How many rows of a appear, exactly, among the rows of b."""
    seen = {row.tobytes() for row in np.ascontiguousarray(b)}
    return sum(row.tobytes() in seen for row in np.ascontiguousarray(a))


def _safe_scale(sd: np.ndarray) -> np.ndarray:
    return np.where(sd > 0, sd, 1.0)


def _real_side(law, real, n_s, opts, rng_h, rng_mem, train):
    """Holdout H, the floor sampler and the memorization holdout."""
    if law is not None:
        holdout = law.sample(opts.n_eval, rng_h)

        def draw_floor(rng):
            return law.sample(n_s, rng)

        method = f"{opts.n_floor} fresh draws of {n_s} rows from the law"
        mem_holdout = None
        if train is not None:
            mem_holdout = law.sample(min(train.shape[0], opts.n_eval), rng_mem)
        return holdout, draw_floor, method, mem_holdout
    n = real.shape[0]
    n_h = min(opts.n_eval, n // 2)
    if n_h < opts.min_rows:
        raise ValueError(f"real has {n} rows; with an unknown law at least "
                         f"{2 * opts.min_rows} are needed (half holdout, half floor pool)")
    order = rng_h.permutation(n)
    holdout, pool = real[order[:n_h]], real[order[n_h:]]

    def draw_floor(rng):
        return pool[rng.integers(0, pool.shape[0], n_s)]

    method = (f"{opts.n_floor} bootstrap resamples of {n_s} rows from the "
              f"{pool.shape[0]} real rows outside the holdout")
    mem_holdout = None
    if train is not None:
        mem_holdout = holdout[: min(train.shape[0], n_h)]
    return holdout, draw_floor, method, mem_holdout


def _run_checks(specs, synthetic, holdout, draw_floor, floor_seeds, ctx, opts):
    """Observed values, floor draws, Holm over the floor family, verdicts."""
    s_view, h_view = _View(synthetic, ctx), _View(holdout, ctx)
    snap = _snapper(opts.exact_atol)
    floor_specs = [s for s in specs if s.rule == "floor"]
    observed = {s.name: snap(_computed(s.measure, s_view, h_view)) for s in specs}
    floors = np.empty((opts.n_floor, len(floor_specs)))
    for b, child in enumerate(floor_seeds.spawn(opts.n_floor)):
        r_view = _View(draw_floor(np.random.default_rng(child)), ctx)
        floors[b] = [snap(s.measure(r_view, h_view)) for s in floor_specs]
    p_values, methods = {}, {}
    for i, s in enumerate(floor_specs):
        if math.isnan(observed[s.name]):
            p_values[s.name], methods[s.name] = 0.0, "not computable"
            continue
        p_values[s.name], methods[s.name] = vs.floor_p_value(observed[s.name],
                                                             floors[:, i], s.tail)
    adjusted = _holm(p_values, opts.alpha)
    results = []
    for s in specs:
        if math.isnan(observed[s.name]):
            results.append(_not_evaluated(s, "the synthetic rows make this statistic "
                                             "incomputable (overflow or a failed fit)"))
            continue
        if s.rule == "floor":
            column = floors[:, [f.name for f in floor_specs].index(s.name)]
            result = _floor_result(s, observed[s.name], column, p_values[s.name],
                                   adjusted[s.name], methods[s.name], opts)
        else:
            result = _tolerance_result(s, observed[s.name],
                                       snap(s.measure(h_view, h_view)), opts)
        if s.describe is not None:
            result.details.update(s.describe(s_view, h_view))
        results.append(result)
    floor_values = {s.name: floors[:, i] for i, s in enumerate(floor_specs)}
    return results, floor_values


def _snapper(atol):
    return lambda x: 0.0 if abs(x) <= atol else float(x)


def _computed(measure, v, h) -> float:
    """D, or NaN when the synthetic rows make it incomputable (a FAIL, not a crash)."""
    try:
        with np.errstate(all="ignore"):
            value = float(measure(v, h))
    except (np.linalg.LinAlgError, FloatingPointError, ValueError):
        return math.nan
    return value if math.isfinite(value) else math.nan


def _holm(p_values: dict, alpha: float) -> dict:
    if not p_values:
        return {}
    names = list(p_values)
    adjusted = multipletests([p_values[n] for n in names], alpha=alpha, method="holm")[1]
    return dict(zip(names, (float(p) for p in adjusted)))


def _floor_result(spec, value, floor, p, p_adj, method, opts) -> CheckResult:
    median = float(np.median(floor))
    ratio = value / median if median > 0 else None
    if p_adj >= opts.alpha:
        verdict = "PASS"
    elif (ratio is not None and ratio <= opts.close_ratio) or (
            spec.tolerance is not None and value <= spec.tolerance):
        verdict = "CLOSE"
    else:
        verdict = "FAIL"
    details = {"p_method": method,
               "floor_q05": float(np.quantile(floor, 0.05)),
               "floor_q95": float(np.quantile(floor, 0.95))}
    return CheckResult(spec.name, spec.kind, spec.statistic, value, median, ratio, p,
                       p_adj, verdict, rule="floor", tolerance=spec.tolerance,
                       details=details)


def _tolerance_verdict(value: float, tolerance: float, atol: float) -> str:
    if value <= atol:
        return "PASS"
    return "CLOSE" if value <= tolerance else "FAIL"


def _tolerance_result(spec, value, real_value, opts) -> CheckResult:
    verdict = _tolerance_verdict(value, spec.tolerance, opts.exact_atol)
    return CheckResult(spec.name, spec.kind, spec.statistic, value, real_value, None,
                       None, None, verdict, rule="tolerance", tolerance=spec.tolerance)


def _not_evaluated(spec, reason: str) -> CheckResult:
    return CheckResult(spec.name, spec.kind, spec.statistic, None, None, None, None,
                       None, "FAIL", rule=spec.rule, tolerance=spec.tolerance,
                       details={"reason": reason})


# --- check 1: validity ------------------------------------------------------

def _validity(law, synthetic, holdout, n_bad, n_total, opts) -> list[CheckResult]:
    tol, atol = opts.tolerances, opts.exact_atol
    share_bad = n_bad / n_total
    out = [CheckResult(
        "nonfinite_rows", "marginal", "share of synthetic rows with NaN, inf or |x| > 1e50",
        share_bad, 0.0, None, None, None,
        _tolerance_verdict(share_bad, tol["nonfinite_rows"], atol), rule="tolerance",
        tolerance=tol["nonfinite_rows"], details={"count": n_bad, "rows": n_total})]
    if synthetic.shape[0] == 0:
        return out
    if law is not None and law.support is not None:
        lows = np.array([s[0] for s in law.support], float)
        highs = np.array([s[1] for s in law.support], float)
        outside = ((synthetic < lows) | (synthetic > highs)).any(axis=1)
        share = float(outside.mean())
        out.append(CheckResult(
            "outside_support", "marginal", "share of synthetic rows outside the support",
            share, 0.0, None, None, None,
            _tolerance_verdict(share, tol["outside_support"], atol), rule="tolerance",
            tolerance=tol["outside_support"],
            details={"count": int(outside.sum()),
                     "support": [[_bound(a), _bound(b)] for a, b in law.support]}))
    excess = max(0.0, max(_tied_share(synthetic[:, j]) - _tied_share(holdout[:, j])
                          for j in range(synthetic.shape[1])))
    out.append(CheckResult(
        "point_mass", "marginal",
        "extra share of rows repeating a value in a column (max over columns)",
        excess, 0.0, None, None, None,
        _tolerance_verdict(excess, tol["point_mass"], atol), rule="tolerance",
        tolerance=tol["point_mass"]))
    return out


def _bound(x: float):
    return None if not math.isfinite(x) else float(x)


def _tied_share(column: np.ndarray) -> float:
    """Share of entries equal to some other entry of the same column."""
    _, inverse, counts = np.unique(column, return_inverse=True, return_counts=True)
    return float(np.mean(counts[inverse] > 1))


# --- check 5: memorization ---------------------------------------------------

def _memorization(synthetic, train, holdout, ctx, opts, rng):
    """Closer to train than to an equal-size holdout? Near-copies of train rows?"""
    m = min(train.shape[0], holdout.shape[0])
    pick = np.sort(rng.choice(train.shape[0], size=m, replace=False))
    z = lambda x: (x - ctx.center) / ctx.scale  # noqa: E731 - one-line rescaling
    s, t, h = z(synthetic), z(train[pick]), z(holdout[:m])
    to_train, to_holdout = vs.nearest_distance(s, t), vs.nearest_distance(s, h)
    holdout_to_train = vs.nearest_distance(h, t)
    n = s.shape[0]
    ties = int(np.sum(to_train == to_holdout))
    closer = int(np.sum(to_train < to_holdout)) + ties // 2
    share = closer / n
    p_closer = float(stats.binomtest(closer, n, 0.5, alternative="greater").pvalue)
    # near-copies: below the k-th smallest holdout-to-train distance. Given the
    # training rows, the synthetic and holdout distances are exchangeable when
    # nothing is copied, so the count below that order statistic has an exact
    # (hypergeometric) law: no error from estimating the threshold.
    q = opts.near_copy_quantile
    k = max(1, int(np.ceil(q * m)))
    threshold = float(np.sort(holdout_to_train)[k - 1])
    copies = int(np.sum(to_train < threshold))
    expected = k / (m + 1)
    p_copies = vs.count_below_order_statistic_p(copies, n, k, m)
    adjusted = _holm({"closer": p_closer, "copies": p_copies}, opts.alpha)
    tol = opts.tolerances["closer_to_train"]

    def verdict(p_adj, close):
        return "PASS" if p_adj >= opts.alpha else ("CLOSE" if close else "FAIL")

    checks = [
        CheckResult("closer_to_train", "memorization",
                    "share of synthetic rows nearer a train row than a holdout row",
                    share, 0.5, share / 0.5, p_closer, adjusted["closer"],
                    verdict(adjusted["closer"], share <= tol), rule="binomial",
                    tolerance=tol, details={"count": closer, "n": n, "ties": ties,
                                            "train_rows_used": m}),
        CheckResult("near_copies", "memorization",
                    f"share of synthetic rows nearer train than {1 - q:.0%} of "
                    f"holdout rows are", copies / n, expected, copies / n / expected,
                    p_copies, adjusted["copies"],
                    verdict(adjusted["copies"], copies / n / expected <= opts.close_ratio),
                    rule="hypergeometric", details={"count": copies, "n": n,
                                                    "distance_threshold": threshold}),
    ]
    evidence = {"to_train": to_train, "to_holdout": to_holdout,
                "holdout_to_train": holdout_to_train, "threshold": threshold}
    return checks, evidence


# --- the verdict table ------------------------------------------------------

def _fmt(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "no"
    x = float(x)
    if x == 0:
        return "0"
    if 1e-3 <= abs(x) < 1e4:
        return f"{x:.3g}"
    return f"{x:.2e}"


def _fmt_p(p) -> str:
    if p is None:
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _fmt_ratio(r) -> str:
    return "-" if r is None else f"{r:.2f}"


def _markdown(report: ValidationReport) -> str:
    failed = lambda kinds: [c.name for c in report.checks  # noqa: E731
                            if c.kind in kinds and c.verdict == "FAIL"]

    def line(label, ok, kinds):
        bad = failed(kinds)
        return f"- {label}: **{'yes' if ok else 'no'}**" + (
            f" (FAIL: {', '.join(bad)})" if bad else "")

    memo = report.memorization_detected
    lines = [
        line("distribution preserved", report.distribution_preserved,
             ("marginal", "joint")),
        line("dependencies preserved", report.dependencies_preserved, ("dependence",)),
        "- memorization: " + ("not checked (no training rows)" if memo is None else
                              ("**detected**" if memo else "not detected")),
        "",
        f"Law: {report.law}. Synthetic rows: n_eval = {report.n_eval} "
        f"({report.n_fake_nonfinite} of {report.n_fake_rows} had NaN or inf); "
        f"holdout: {report.n_holdout} rows; floor: {report.floor_method}. "
        f"Holm over {len(report.family)} checks at alpha = {report.alpha:g}.",
        "",
        f"| check | kind | statistic | value | floor | ratio (n_eval = {report.n_eval}) "
        f"| p (Holm) | verdict |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for c in report.checks:
        p = _fmt_p(c.p_adjusted) if c.rule != "tolerance" else f"tol {_fmt(c.tolerance)}"
        statistic = c.statistic.replace("|", "\\|")  # a bare | would end the cell
        lines.append(f"| {c.name} | {c.kind} | {statistic} | {_fmt(c.value)} | "
                     f"{_fmt(c.floor)} | {_fmt_ratio(c.ratio)} | {p} | {c.verdict} |")
    lines += ["",
              "PASS: indistinguishable from another real draw (Holm-adjusted p >= "
              f"{report.alpha:g}). CLOSE: distinguishable, but ratio <= "
              f"{report.close_ratio:g} or within the declared tolerance. "
              "FAIL: otherwise. Checks marked 'tol' have a real floor of exactly "
              "zero and are judged against the declared tolerance alone."]
    for c in report.checks:
        if "target" in c.details and c.value is not None:
            met = "met" if c.details["target_met"] else "not met"
            lines.append(f"Target for {c.name}: {_fmt(c.details['target'])} ({met}: "
                         f"{_fmt(c.value)}).")
    lines += [f"Note: {n}." for n in report.notes]
    return "\n".join(lines) + "\n"


# --- files (the command line) ------------------------------------------------

def _read_rows(path, what: str) -> tuple[np.ndarray, list]:
    try:
        return read_csv(path)
    except ValueError as err:
        raise ValueError(f"{what} rows: {err}") from None


def validate_files(real_csv, fake_csv, structure=None, train_csv=None, json_path=None,
                   **options) -> tuple[ValidationReport, int]:
    """Validate CSV files; returns (report, exit code 0 preserved / 1 a check FAILed).

    Bad input raises ValueError with a one-line message that names the file
    and the problem: a missing file, no rows, a non-numeric cell, NaN or inf
    in any file (in a file, unlike in memory, a NaN is bad input: the command
    line cannot tell a broken export from a broken model), different column
    counts, or a structure of another dimension. ``json_path`` also writes
    ``report.to_json()`` there.
    """
    real, real_header = _read_rows(real_csv, "real")
    fake, fake_header = _read_rows(fake_csv, "fake")
    if fake.shape[1] != real.shape[1]:
        raise ValueError(f"{fake_csv} has {fake.shape[1]} columns but {real_csv} has "
                         f"{real.shape[1]}")
    law = _law(structure)
    if law is not None and law.dim != real.shape[1]:
        raise ValueError(f"structure {law.name!r} has {law.dim} columns but "
                         f"{real_csv} has {real.shape[1]}")
    train = None
    if train_csv is not None:
        train, _ = _read_rows(train_csv, "train")
        if train.shape[1] != real.shape[1]:
            raise ValueError(f"{train_csv} has {train.shape[1]} columns but "
                             f"{real_csv} has {real.shape[1]}")
    report = validate(real, fake, structure=law, train=train, **options)
    if fake_header != real_header:
        report.notes.append(f"column names differ: real {real_header}, "
                            f"fake {fake_header}; columns are matched by position")
    if json_path is not None:
        write_json(json_path, report.to_json())
    return report, report.exit_code


# --- calibration: real against real ------------------------------------------

def calibrate(structure, seeds=range(100), **options) -> dict:
    """Run :func:`validate` on real rows against a fresh real draw, seed by seed.

    For each seed, S and the ``real`` argument are two independent draws of
    ``n_eval`` rows from the law, so every rejection is a false alarm.
    Returns, per check, the share of seeds with raw p < alpha (``rejected``;
    near alpha when calibrated), with Holm-adjusted p < alpha
    (``rejected_holm``) and with verdict FAIL (``fail``), plus the share of
    seeds whose overall verdict says preserved (``preserved``).
    """
    law = _law(structure)
    if law is None:
        raise ValueError("calibrate needs a known law: a structure name or a Law")
    opts = _options(options)
    seeds = list(seeds)
    counts: dict = {}
    preserved = 0
    for seed in seeds:
        real = law.sample(opts.n_eval, np.random.default_rng([seed, 1]))
        fake = law.sample(opts.n_eval, np.random.default_rng([seed, 2]))
        report = validate(real, fake, law, seed=seed, **options)
        preserved += report.distribution_preserved and report.dependencies_preserved
        for c in report.checks:
            row = counts.setdefault(c.name, {"kind": c.kind, "rejected": 0,
                                             "rejected_holm": 0, "fail": 0})
            row["rejected"] += c.p_value is not None and c.p_value < opts.alpha
            row["rejected_holm"] += c.p_adjusted is not None and c.p_adjusted < opts.alpha
            row["fail"] += c.verdict == "FAIL"
    n = len(seeds)
    checks = {name: {"kind": row["kind"], "rejected": row["rejected"] / n,
                     "rejected_holm": row["rejected_holm"] / n, "fail": row["fail"] / n}
              for name, row in counts.items()}
    return {"structure": law.name, "seeds": n, "n_eval": opts.n_eval,
            "n_floor": opts.n_floor, "preserved": preserved / n, "checks": checks}


def save_validation_figures(real, fake, report_or_structure=None, folder=None,
                            prefix: str = "validation", **kwargs) -> list:
    """Save the protocol's figures; see :mod:`ddpm_lib.validation_figures`.

    Imported lazily so that validating never needs matplotlib.
    """
    from .validation_figures import save_validation_figures as save

    return save(real, fake, report_or_structure, folder, prefix, **kwargs)
