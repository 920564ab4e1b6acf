"""One figure for a known law: a pair of columns with what is true about them.

The centre panel scatters column ``target`` against column ``given`` and draws
the exact curve E[x_target | x_given] (the relation itself when one column is
a function of the other). The two side panels are the marginal histograms
with the exact densities on top. Fake rows, when given, are drawn in a second
colour over the real ones, so the same figure serves to compare a generator
with the law.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ._checks import as_rows

REAL, FAKE, TRUE = "tab:blue", "tab:orange", "black"


def plot_law(law, rows, given: int = 0, target: int = 1, fake=None,
             max_points: int = 2000, bins: int = 60, title: str | None = None):
    """Joint plot of two columns of ``rows`` (n, d) against ``law``; returns the figure.

    Only the first ``max_points`` rows are scattered (rows are independent
    draws, so the first ones are as random as any); histograms use all rows.
    """
    rows = as_rows(rows, "rows").numpy()
    if fake is not None:
        fake = as_rows(fake, "fake").numpy()
    for label, j in (("given", given), ("target", target)):
        if not 0 <= j < rows.shape[1]:
            raise ValueError(f"{label} must be a column index in [0, {rows.shape[1] - 1}], "
                             f"got {j}")
    names = law.column_names()
    fig = plt.figure(figsize=(6.4, 6.0))
    grid = fig.add_gridspec(2, 2, width_ratios=(4, 1.3), height_ratios=(1.3, 4),
                            wspace=0.05, hspace=0.05)
    ax = fig.add_subplot(grid[1, 0])
    top = fig.add_subplot(grid[0, 0], sharex=ax)
    side = fig.add_subplot(grid[1, 1], sharey=ax)
    _scatter(ax, law, rows, fake, given, target, max_points)
    _marginal(top, law, rows, fake, given, bins, vertical=False)
    _marginal(side, law, rows, fake, target, bins, vertical=True)
    ax.set_xlabel(names[given])
    ax.set_ylabel(names[target])
    top.tick_params(labelbottom=False)
    side.tick_params(labelleft=False)
    top.set_title(title if title is not None else f"{law.name}: {law.description}",
                  fontsize=9)
    return fig


def _scatter(ax, law, rows, fake, i, j, max_points):
    ax.scatter(rows[:max_points, i], rows[:max_points, j], s=4, alpha=0.35,
               color=REAL, label="real rows", rasterized=True)
    if fake is not None:
        ax.scatter(fake[:max_points, i], fake[:max_points, j], s=4, alpha=0.35,
                   color=FAKE, label="fake rows", rasterized=True)
    if law.cond_mean is not None:
        lo, hi = np.quantile(rows[:, i], [0.001, 0.999])
        grid = np.linspace(lo, hi, 400)
        ax.plot(grid, law.conditional_mean(grid, i, j), color=TRUE, lw=1.5,
                label=f"E[{law.column_names()[j]} | {law.column_names()[i]}] (exact)")
    ax.legend(loc="best", fontsize=8, markerscale=3)


def _marginal(ax, law, rows, fake, j, bins, vertical):
    orientation = "horizontal" if vertical else "vertical"
    lo, hi = np.quantile(rows[:, j], [0.001, 0.999])
    edges = np.linspace(lo, hi, bins + 1)
    heights, _, _ = ax.hist(rows[:, j], bins=edges, density=True, color=REAL, alpha=0.45,
                            orientation=orientation)
    if fake is not None:
        ax.hist(fake[:, j], bins=edges, density=True, histtype="step", color=FAKE,
                orientation=orientation)
    if law.marginals is not None:
        grid = np.linspace(lo, hi, 400)
        pdf = law.marginals[j].pdf(grid)
        ax.plot(*((pdf, grid) if vertical else (grid, pdf)), color=TRUE, lw=1.2)
        # A density with a pole (chi-squared(1) at 0) would flatten the rest.
        limit = 1.3 * max(heights.max(), 1e-12)
        (ax.set_xlim if vertical else ax.set_ylim)(0, limit)
    ax.grid(False)
