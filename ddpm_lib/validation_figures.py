"""The pictures of the validation protocol, one function per check.

Each ``plot_*`` function takes a :class:`~ddpm_lib.validation.ValidationReport`
and returns a matplotlib figure (or None when the check does not apply to
the report's structure). Grey bands always come from real-vs-real draws, so
that "is this far?" is read against "how far is another real sample?".

=====================  =====================================================
function               picture (check of the protocol)
=====================  =====================================================
``plot_histograms``    histograms of S and H with the true pdf (1, validity)
``plot_qq``            detrended Q-Q with a real-vs-real band (2, marginals)
``plot_ecdf``          ECDF of S over H and the true CDF (2)
``plot_pairs``         overlaid pair scatter (3, joint law)
``plot_correlations``  real, synthetic and difference heatmaps (4a)
``plot_relation``      scatter with the true curve; residual against x (4b)
``plot_strength``      dCor and xi bars with floor error bars (4c)
``plot_copula``        rank-rank scatter (4d)
``plot_acf``           lag correlations with phi^k and a floor band (4e)
``plot_mixture``       scatter coloured by component (4f)
``plot_memorization``  the three nearest-neighbour distances (5)
=====================  =====================================================
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from . import validation_stats as vs
from .plotting import savefig
from .validation import ValidationReport, _View, validate

SYNTHETIC, REAL, TRUTH, FLOOR = "tab:orange", "tab:blue", "black", "0.75"
MAX_COLUMNS = 8  # panels per figure; wider rows are shown by their first columns
N_BAND = 50      # floor draws behind each grey band: enough for a 5-95% band


def _evidence(report: ValidationReport):
    if not isinstance(report, ValidationReport) or report.evidence is None:
        raise ValueError("need a ValidationReport whose checks were evaluated "
                         "(too few finite synthetic rows leave nothing to draw)")
    return report.evidence


def _floor_draws(ev, k: int = N_BAND) -> list[np.ndarray]:
    """k real-vs-real draws of the synthetic size, seeded from the report's seed."""
    seeds = np.random.SeedSequence([ev.seed, 99]).spawn(k)
    return [ev.draw_floor(np.random.default_rng(s)) for s in seeds]


def _panels(d: int, width: float = 3.2, height: float = 2.8):
    cols = min(d, MAX_COLUMNS)
    ncols = min(cols, 4)
    nrows = int(np.ceil(cols / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows),
                             squeeze=False)
    for ax in axes.flat[cols:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:cols])


def _names(ev) -> list[str]:
    d = ev.synthetic.shape[1]
    return ev.law.column_names() if ev.law is not None else [f"x{i + 1}" for i in range(d)]


# --- 1 and 2: columns one at a time ----------------------------------------------

def plot_histograms(report: ValidationReport):
    """Histogram of each column of S and H, with the true pdf when it is known."""
    ev = _evidence(report)
    s, h, names = ev.synthetic, ev.holdout, _names(ev)
    fig, axes = _panels(s.shape[1])
    for j, ax in enumerate(axes):
        lo, hi = np.quantile(np.r_[s[:, j], h[:, j]], [0.001, 0.999])
        bins = np.linspace(lo, hi, 40)
        ax.hist(h[:, j], bins=bins, density=True, histtype="step", color=REAL,
                label="real holdout")
        ax.hist(s[:, j], bins=bins, density=True, alpha=0.5, color=SYNTHETIC,
                label="synthetic")
        if ev.law is not None and ev.law.marginals is not None:
            grid = np.linspace(lo, hi, 400)
            ax.plot(grid, ev.law.marginals[j].pdf(grid), color=TRUTH, lw=1,
                    label="true pdf")
        ax.set_title(names[j])
    axes[0].legend(fontsize=8)
    fig.suptitle("1. Marginal histograms")
    fig.tight_layout()
    return fig


def plot_qq(report: ValidationReport):
    """q_S - q_H against q_H, with the band that real draws R'_b trace."""
    ev = _evidence(report)
    probs = np.linspace(0.005, 0.995, 199)
    s, h, names = ev.synthetic, ev.holdout, _names(ev)
    floors = _floor_draws(ev)
    fig, axes = _panels(s.shape[1])
    for j, ax in enumerate(axes):
        qh = np.quantile(h[:, j], probs)
        band = np.array([np.quantile(r[:, j], probs) - qh for r in floors])
        low, high = np.quantile(band, [0.05, 0.95], axis=0)
        ax.fill_between(qh, low, high, color=FLOOR, label="real vs real (5-95%)")
        ax.plot(qh, np.quantile(s[:, j], probs) - qh, color=SYNTHETIC,
                label="synthetic")
        ax.axhline(0, color=TRUTH, lw=0.8)
        ax.set_xlabel(f"holdout quantile of {names[j]}")
        ax.set_ylabel("synthetic - holdout quantile")
    axes[0].legend(fontsize=8)
    fig.suptitle("2. Detrended Q-Q plot against the real-vs-real band")
    fig.tight_layout()
    return fig


def plot_ecdf(report: ValidationReport):
    """Empirical CDFs of S and H per column, and the true CDF when known."""
    ev = _evidence(report)
    s, h, names = ev.synthetic, ev.holdout, _names(ev)
    fig, axes = _panels(s.shape[1])
    for j, ax in enumerate(axes):
        for x, color, label in ((h[:, j], REAL, "real holdout"),
                                (s[:, j], SYNTHETIC, "synthetic")):
            xs = np.sort(x)
            ax.step(xs, np.arange(1, xs.size + 1) / xs.size, where="post", color=color,
                    label=label)
        if ev.law is not None and ev.law.marginals is not None:
            grid = np.linspace(*np.quantile(h[:, j], [0.001, 0.999]), 400)
            ax.plot(grid, ev.law.marginals[j].cdf(grid), "--", color=TRUTH, lw=1,
                    label="true CDF")
        ax.set_title(names[j])
    axes[0].legend(fontsize=8)
    fig.suptitle("2. Empirical CDFs")
    fig.tight_layout()
    return fig


# --- 3 and 4: rows --------------------------------------------------------------

def _relation_curve(ev, x):
    rel = ev.law.relation if ev.law is not None else None
    if rel is None:
        return None
    if rel["kind"] == "linear":
        return rel["intercept"] + rel["slope"] * x
    return x ** 2


def plot_pairs(report: ValidationReport, i: int = 0, j: int = 1):
    """Columns i and j of S over those of H (and the true curve, if any)."""
    ev = _evidence(report)
    if ev.synthetic.shape[1] < 2:
        return None
    s, h, names = ev.synthetic, ev.holdout, _names(ev)
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.scatter(h[:, i], h[:, j], s=4, color=REAL, alpha=0.4, label="real holdout")
    ax.scatter(s[:, i], s[:, j], s=4, color=SYNTHETIC, alpha=0.4, label="synthetic")
    rel = ev.law.relation if ev.law is not None else None
    if rel is not None and (rel["x"], rel["y"]) == (i, j):
        grid = np.linspace(*np.quantile(h[:, i], [0.001, 0.999]), 200)
        ax.plot(grid, _relation_curve(ev, grid), color=TRUTH, lw=1, label="true relation")
    ax.set_xlabel(names[i])
    ax.set_ylabel(names[j])
    ax.legend(fontsize=8, markerscale=3)
    ax.set_title("3. Joint law: pair scatter")
    fig.tight_layout()
    return fig


def plot_correlations(report: ValidationReport):
    """Pearson matrices of H and S and their difference, side by side."""
    ev = _evidence(report)
    if ev.synthetic.shape[1] < 2:
        return None
    ch, cs = vs.pearson_matrix(ev.holdout), vs.pearson_matrix(ev.synthetic)
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.6))
    for ax, c, title, lim in ((axes[0], ch, "real holdout", 1.0),
                              (axes[1], cs, "synthetic", 1.0),
                              (axes[2], cs - ch, "synthetic - real",
                               max(0.05, float(np.abs(cs - ch).max())))):
        im = ax.imshow(c, cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_title(title)
        ax.set_xticks(range(c.shape[0]))
        ax.set_yticks(range(c.shape[0]))
        ax.grid(False)
        fig.colorbar(im, ax=ax, fraction=0.046)
    fig.suptitle("4a. Pearson correlation matrices")
    fig.tight_layout()
    return fig


def plot_relation(report: ValidationReport):
    """Synthetic rows with the true curve, and the residual y - f(x) against x."""
    ev = _evidence(report)
    rel = ev.law.relation if ev.law is not None else None
    if rel is None:
        return None
    s, names = ev.synthetic, _names(ev)
    x, y = s[:, rel["x"]], s[:, rel["y"]]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    axes[0].scatter(x, y, s=4, color=SYNTHETIC, alpha=0.4, label="synthetic")
    grid = np.linspace(x.min(), x.max(), 200)
    axes[0].plot(grid, _relation_curve(ev, grid), color=TRUTH, lw=1, label="true relation")
    axes[0].set_xlabel(names[rel["x"]])
    axes[0].set_ylabel(names[rel["y"]])
    axes[0].legend(fontsize=8, markerscale=3)
    axes[1].scatter(x, y - _relation_curve(ev, x), s=4, color=SYNTHETIC, alpha=0.4)
    axes[1].axhline(0, color=TRUTH, lw=0.8)
    axes[1].set_xlabel(names[rel["x"]])
    axes[1].set_ylabel("residual: synthetic - true relation")
    fig.suptitle("4b. The known relation")
    fig.tight_layout()
    return fig


def plot_strength(report: ValidationReport):
    """dCor of each pair and xi of each ordered pair, for H and S, with floor bars."""
    ev = _evidence(report)
    if "distance_correlation" not in {s.name for s in ev.specs}:
        return None
    d = ev.synthetic.shape[1]
    pairs = [(i, j) for i in range(d) for j in range(i + 1, d)][:6]
    ordered = [(i, j) for i in range(d) for j in range(d) if i != j][:12]

    def values(x):
        v = _View(x, ev.ctx)
        return (np.array([v.dcor[i, j] for i, j in pairs]),
                np.array([v.xi[i, j] for i, j in ordered]))

    floors = [values(r) for r in _floor_draws(ev)]
    real, synth = values(ev.holdout), values(ev.synthetic)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    panels = ((pairs, "distance correlation", " & "), (ordered, "Chatterjee's xi", " -> "))
    for k, (ax, (which, title, sep)) in enumerate(zip(axes, panels)):
        low, high = np.quantile(np.array([f[k] for f in floors]), [0.05, 0.95], axis=0)
        pos = np.arange(len(which))
        ax.bar(pos - 0.2, real[k], width=0.4, color=REAL, label="real holdout")
        ax.bar(pos + 0.2, synth[k], width=0.4, color=SYNTHETIC, label="synthetic")
        ax.errorbar(pos - 0.2, (low + high) / 2, yerr=(high - low) / 2, fmt="none",
                    ecolor=TRUTH, capsize=4, label="real floor 5-95%")
        ax.set_xticks(pos)
        ax.set_xticklabels([f"x{i + 1}{sep}x{j + 1}" for i, j in which])
        ax.set_title(title)
        ax.set_ylim(0, 1.05)
    axes[0].legend(fontsize=8)
    fig.suptitle("4c. Nonlinear dependence strength")
    fig.tight_layout()
    return fig


def plot_copula(report: ValidationReport, i: int = 0, j: int = 1):
    """Rank-rank scatter of columns i and j: the copula, free of the marginals."""
    ev = _evidence(report)
    if ev.synthetic.shape[1] < 2:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), sharey=True)
    for ax, x, color, title in ((axes[0], ev.holdout, REAL, "real holdout"),
                                (axes[1], ev.synthetic, SYNTHETIC, "synthetic")):
        u = vs.column_ranks(x[:, [i, j]]) / (x.shape[0] + 1)
        ax.scatter(u[:, 0], u[:, 1], s=3, color=color, alpha=0.4)
        ax.set_title(title)
        ax.set_xlabel(f"rank of x{i + 1} / (n + 1)")
    axes[0].set_ylabel(f"rank of x{j + 1} / (n + 1)")
    fig.suptitle("4d. Copula: rank-transformed rows")
    fig.tight_layout()
    return fig


def plot_acf(report: ValidationReport):
    """AR(1): mean lag-k correlation of S against phi^k, with a real floor band."""
    ev = _evidence(report)
    if ev.law is None or ev.law.name != "ar1" or "phi" not in ev.law.params:
        return None
    d, phi = ev.synthetic.shape[1], ev.law.params["phi"]
    lags = np.arange(1, d)
    floors = np.array([vs.lag_correlations(r, d - 1) for r in _floor_draws(ev)])
    low, high = np.quantile(floors, [0.05, 0.95], axis=0)
    fig, ax = plt.subplots(figsize=(6, 3.8))
    ax.fill_between(lags, low, high, color=FLOOR, step="mid", label="real floor 5-95%")
    ax.bar(lags, vs.lag_correlations(ev.synthetic, d - 1), width=0.5, color=SYNTHETIC,
           label="synthetic")
    ax.plot(lags, phi ** lags, "o", color=TRUTH, label=f"phi^k, phi = {phi:g}")
    ax.set_xlabel("lag k")
    ax.set_ylabel("mean correlation at lag k")
    ax.legend(fontsize=8)
    ax.set_title("4e. AR(1): lag correlations")
    fig.tight_layout()
    return fig


def plot_mixture(report: ValidationReport):
    """Mixture: S and H coloured by their most likely component."""
    ev = _evidence(report)
    if ev.law is None or ev.law.name != "mixture" or "weights" not in ev.law.params:
        return None
    p = ev.law.params
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), sharex=True, sharey=True)
    for ax, x, title in ((axes[0], ev.holdout, "real holdout"),
                         (axes[1], ev.synthetic, "synthetic")):
        r = vs.mixture_responsibilities(x, p["weights"], p["means"], p["sd"])
        ax.scatter(x[:, 0], x[:, 1], c=np.argmax(r, axis=1), cmap="coolwarm", s=3,
                   alpha=0.5)
        ax.plot(*np.asarray(p["means"]).T, "k+", ms=12)
        ax.set_title(f"{title}: weights " + ", ".join(f"{w:.3f}" for w in r.mean(0)))
    fig.suptitle("4f. Mixture components")
    fig.tight_layout()
    return fig


def plot_memorization(report: ValidationReport):
    """Distances to the nearest train row, holdout row, and holdout-to-train."""
    ev = _evidence(report)
    if ev.memorization is None:
        return None
    m = ev.memorization
    top = np.quantile(np.r_[m["to_train"], m["to_holdout"], m["holdout_to_train"]], 0.99)
    bins = np.linspace(0, top, 50)
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for key, label, color in (("to_train", "synthetic -> train", SYNTHETIC),
                              ("to_holdout", "synthetic -> holdout", REAL),
                              ("holdout_to_train", "holdout -> train", TRUTH)):
        ax.hist(m[key], bins=bins, histtype="step", density=True, color=color, label=label)
    ax.axvline(m["threshold"], color="tab:red", lw=0.8, label="near-copy threshold")
    ax.set_xlabel("distance to the nearest row (standardized units)")
    ax.legend(fontsize=8)
    ax.set_title("5. Memorization: nearest-neighbour distances")
    fig.tight_layout()
    return fig


FIGURES = {
    "histograms": plot_histograms, "qq": plot_qq, "ecdf": plot_ecdf,
    "pairs": plot_pairs, "correlations": plot_correlations,
    "relation": plot_relation, "strength": plot_strength, "copula": plot_copula,
    "acf": plot_acf, "mixture": plot_mixture, "memorization": plot_memorization,
}


def save_validation_figures(real, fake, report_or_structure=None, folder=None,
                            prefix: str = "validation", train=None, seed: int = 0,
                            **options) -> list:
    """Save every figure that applies, as ``folder/{prefix}_{name}.png``.

    ``report_or_structure`` is a report from :func:`validate` (then ``real``,
    ``fake``, ``train``, ``seed`` and ``options`` are not used) or what
    ``validate`` takes as ``structure``, in which case it is run first.
    Returns the paths written, in the order of the protocol.
    """
    report = report_or_structure
    if not isinstance(report, ValidationReport):
        report = validate(real, fake, report_or_structure, train=train, seed=seed,
                          **options)
    paths = []
    for name, plot in FIGURES.items():
        fig = plot(report)
        if fig is None:
            continue
        paths.append(savefig(fig, f"{prefix}_{name}", folder=folder))
        plt.close(fig)
    return paths
