# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · Real samples from laws we know exactly
#
# This tutorial asks one question: when a denoising diffusion model (DDPM)
# learns from samples, does it give back the same distribution, and does it
# keep the dependencies *inside* each sample (each row)?
#
# To answer "is the distribution preserved?" we need to know what the right
# answer is. With real-world data we only ever have another sample, and two
# samples always differ a little. So here every "real" data set is drawn from
# a law we wrote down ourselves. Then "preserved" has an exact meaning:
#
# * **distribution preserved**: the generated rows follow the same law, so
#   each column has the known marginal distribution, with the known mean and
#   variance;
# * **dependencies preserved**: the known relation between the columns of a
#   row still holds, for example "the second column is exactly twice the
#   first", or "neighbouring columns have correlation 0.8".
#
# This notebook builds those laws, checks each against its definition and
# writes 10,000 rows of each to `data/real_samples/`, the input of the
# notebooks that follow.

# %%
import numpy as np
import matplotlib.pyplot as plt

from ddpm_lib import io, paths, plotting, repro
from ddpm_lib.lawplot import plot_law
from ddpm_lib.samples import STRUCTURES, custom_law, get_law, make_samples

repro.seed_everything(0)
plotting.use_quiet_style()

N_ROWS = 10_000  # the origin experiment's default number of rows
SEED = 0         # every data set in data/real_samples/ is drawn with seed 0

# %% [markdown]
# ## A base draw and a row function
#
# The origin experiment built each row from one random number $x$ and a
# function `func` that turns $x$ into a row. Its default was
#
# $$x \sim \mathcal N(0, 1), \qquad \text{row} = [\,x,\ 2x\,].$$
#
# `ddpm_lib.samples` keeps that idea and names six such laws ("structures").
# Each comes with what is true about it: how to draw rows, the exact
# marginal distribution of every column, the exact mean vector and
# covariance matrix, and the exact curve $E[x_2 \mid x_1]$ that the
# dependence follows.

# %%
for name in STRUCTURES:
    law = get_law(name)
    print(f"{name:10s} d = {law.dim}   {law.description}")

# %% [markdown]
# A sample mean never equals the exact mean. How far apart should they be?
# For $n$ independent rows the sample mean of a column with standard
# deviation $\sigma$ misses the exact mean by about one **standard error**,
# $\sigma / \sqrt n$; with $n = 10{,}000$ that is $\sigma / 100$. The helper
# below prints the exact and the sample moments side by side, and the gap in
# standard errors, $z = (\bar x - \mu) / (\sigma / \sqrt n)$. Values of $|z|$
# up to about 3 are ordinary sampling noise.

# %%
def compare_moments(law, rows):
    """Print exact and sample mean and sd of each column, and z of the mean."""
    n = len(rows)
    sd = np.sqrt(np.diag(law.cov))
    print("column   exact mean  sample mean     z   exact sd  sample sd")
    for j, name in enumerate(law.column_names()):
        z = (rows[:, j].mean() - law.mean[j]) / (sd[j] / np.sqrt(n))
        print(f"{name:6s} {law.mean[j]:11.3f} {rows[:, j].mean():12.3f} {z:5.1f}"
              f" {sd[j]:10.3f} {rows[:, j].std(ddof=1):10.3f}")


# %% [markdown]
# ## 1. `linear`: the origin's default
#
# $$x \sim \mathcal N(0, 1), \qquad [x_1, x_2] = [x, 2x].$$
#
# Known exactly:
#
# * marginals $x_1 \sim \mathcal N(0, 1)$ and $x_2 \sim \mathcal N(0, 4)$;
# * covariance $\begin{pmatrix}1 & 2\\ 2 & 4\end{pmatrix}$, correlation 1;
# * the relation $x_2 = 2 x_1$ holds in **every** row, without error.
#
# All the probability sits on a line: the law has no density in the plane.
# Any generator that adds even a little noise breaks the exact relation, so
# this is a strict test of "dependencies preserved".
#
# First by hand: draw $x$ with a seeded generator and build the rows. Then
# check that `make_samples` does the same thing.

# %%
rng = np.random.default_rng(SEED)
x = rng.standard_normal(N_ROWS)
by_hand = np.column_stack([x, 2 * x])

linear_rows = make_samples("linear", N_ROWS, seed=SEED)
assert np.array_equal(by_hand, linear_rows)
print(f"rows: {linear_rows.shape[0]}, columns: {linear_rows.shape[1]}")

# %% [markdown]
# The relation is exact, so the largest deviation from $x_2 = 2x_1$ is zero,
# not merely small. The moments agree with the law up to sampling noise.

# %%
law = get_law("linear")
print(f"max |x2 - 2 x1| = {np.abs(linear_rows[:, 1] - 2 * linear_rows[:, 0]).max():.1e}")
compare_moments(law, linear_rows)

# %% [markdown]
# The figure used for every law: the scatter of $x_2$ against $x_1$ with the
# exact curve $E[x_2 \mid x_1]$ in black (here the line $2x_1$ itself), and
# each column's histogram with its exact density on top.

# %%
fig = plot_law(law, linear_rows)
plotting.savefig(fig, "01_real_linear")
plotting.show()

# %% [markdown]
# ## 2. `uniform`: the same line over a bounded base
#
# $$u \sim \mathcal U(0, 1), \qquad [x_1, x_2] = [u, 2u].$$
#
# The relation is the same line, but now the rows live in a bounded box:
# $x_1 \in [0, 1]$ and $x_2 \in [0, 2]$. The mean of $\mathcal U(0, 1)$ is
# $1/2$ and its variance $1/12$, so $x_2$ has mean 1 and variance $4/12$.
#
# A DDPM starts from Gaussian noise, whose support is the whole plane. Rows
# outside the box, or a flat density bent into a bell shape at the edges,
# are signs that the law was not preserved.

# %%
law = get_law("uniform")
uniform_rows = law.sample(N_ROWS, seed=SEED)
inside = (uniform_rows[:, 0] >= 0) & (uniform_rows[:, 0] <= 1)
print(f"share of rows inside the box: {inside.mean():.3f}")
print(f"max |x2 - 2 x1| = {np.abs(uniform_rows[:, 1] - 2 * uniform_rows[:, 0]).max():.1e}")
compare_moments(law, uniform_rows)

# %%
fig = plot_law(law, uniform_rows)
plotting.savefig(fig, "01_real_uniform")
plotting.show()

# %% [markdown]
# ## 3. `gaussian`: dependence through a correlation
#
# $$[x_1, x_2] \sim \mathcal N\!\left(\begin{pmatrix}0\\0\end{pmatrix},
#   \begin{pmatrix}1 & 0.8\\ 0.8 & 1\end{pmatrix}\right).$$
#
# Here no column is a function of the other; the whole dependence is the
# correlation $\rho = 0.8$. For a bivariate normal the conditional mean is a
# straight line,
#
# $$E[x_2 \mid x_1] = \mu_2 + \frac{\Sigma_{21}}{\Sigma_{11}}(x_1 - \mu_1) = 0.8\,x_1 .$$
#
# This is also the one law for which every later step of a DDPM has a
# closed form (notebooks 03 and 05 use that). The standard error of a
# sample correlation near $\rho$ is about $(1 - \rho^2)/\sqrt n = 0.0036$.

# %%
law = get_law("gaussian")
gaussian_rows = law.sample(N_ROWS, seed=SEED)
r = np.corrcoef(gaussian_rows.T)[0, 1]
print(f"correlation: exact 0.800, sample {r:.3f}, "
      f"z = {(r - 0.8) / ((1 - 0.8**2) / np.sqrt(N_ROWS)):.1f}")
compare_moments(law, gaussian_rows)

# %% [markdown]
# Check the conditional-mean line by hand against the library's curve:

# %%
grid = np.array([-2.0, 0.0, 1.5])
by_hand = 0.0 + 0.8 / 1.0 * (grid - 0.0)
assert np.allclose(law.conditional_mean(grid), by_hand)
print("E[x2 | x1] at x1 = -2, 0, 1.5:", ", ".join(f"{v:.2f}" for v in by_hand))

# %%
fig = plot_law(law, gaussian_rows)
plotting.savefig(fig, "01_real_gaussian")
plotting.show()

# %% [markdown]
# ## 4. `quadratic`: exact dependence with zero correlation
#
# $$x \sim \mathcal N(0, 1), \qquad [x_1, x_2] = [x, x^2].$$
#
# The second column is an exact function of the first, yet their Pearson
# correlation is **zero**: $\operatorname{Cov}(x, x^2) = E[x^3] - E[x]E[x^2]
# = 0$ because odd moments of $\mathcal N(0, 1)$ vanish. A check that looks
# only at correlations would call these columns independent. So this law
# tests whether a validation method sees nonlinear dependence.
#
# The marginal of $x^2$ is the chi-squared law with one degree of freedom:
# mean $E[x^2] = 1$, variance $E[x^4] - 1 = 3 - 1 = 2$.
#
# How far may the sample correlation stray from 0? The familiar standard
# error $1/\sqrt n$ holds for *independent* columns. These columns are
# uncorrelated but dependent, and then
# $n\,\mathrm{Var}(r) \to E[x^2 (x^2 - 1)^2] / (\mathrm{Var}\,x\,\mathrm{Var}\,x^2)
# = (15 - 6 + 1)/2 = 5$, so the standard error is $\sqrt{5/n}$.

# %%
law = get_law("quadratic")
quadratic_rows = law.sample(N_ROWS, seed=SEED)
r = np.corrcoef(quadratic_rows.T)[0, 1]
print(f"max |x2 - x1^2| = {np.abs(quadratic_rows[:, 1] - quadratic_rows[:, 0]**2).max():.1e}")
print(f"correlation: exact 0.000, sample {r:.3f} (standard error {np.sqrt(5 / N_ROWS):.3f})")
compare_moments(law, quadratic_rows)

# %%
fig = plot_law(law, quadratic_rows)
plotting.savefig(fig, "01_real_quadratic")
plotting.show()

# %% [markdown]
# ## 5. `ar1`: a row that is a short time series
#
# Each row has $d = 8$ columns, built one after the other:
#
# $$x_1 \sim \mathcal N(0, 1), \qquad
#   x_k = \phi\, x_{k-1} + \sqrt{1 - \phi^2}\; e_k, \quad e_k \sim \mathcal N(0, 1),
#   \quad k = 2, \dots, 8,$$
#
# with $\phi = 0.8$, so $\sqrt{1 - \phi^2} = 0.6$. That noise scale keeps every
# column at variance 1: if $\operatorname{Var} x_{k-1} = 1$ then
# $\operatorname{Var} x_k = \phi^2 + (1 - \phi^2) = 1$.
#
# Multiplying the recursion by $x_{k-h}$ and taking expectations gives
# $\operatorname{Cov}(x_k, x_{k-h}) = \phi\operatorname{Cov}(x_{k-1}, x_{k-h})$,
# hence the correlation between columns $h$ apart is
#
# $$\operatorname{corr}(x_k, x_{k+h}) = \phi^h .$$
#
# Dependence here is a whole pattern over lags, not one number. By hand:

# %%
phi, d = 0.8, 8
rng = np.random.default_rng(SEED)
e = rng.standard_normal((N_ROWS, d))
by_hand = np.empty((N_ROWS, d))
by_hand[:, 0] = e[:, 0]
for k in range(1, d):
    by_hand[:, k] = phi * by_hand[:, k - 1] + np.sqrt(1 - phi**2) * e[:, k]

law = get_law("ar1")
ar1_rows = law.sample(N_ROWS, seed=SEED)
assert np.allclose(by_hand, ar1_rows, rtol=0, atol=1e-12)
print(f"rows: {ar1_rows.shape[0]}, columns: {ar1_rows.shape[1]}")

# %% [markdown]
# The sample correlation at lag $h$, averaged over the $8 - h$ column pairs
# that are $h$ apart, against $\phi^h$:

# %%
corr = np.corrcoef(ar1_rows.T)
lags = np.arange(1, d)
sample_lag = np.array([np.mean(np.diag(corr, h)) for h in lags])
print("lag   exact phi^h   sample")
for h, s in zip(lags, sample_lag):
    print(f"{h:3d} {phi**h:13.3f} {s:8.3f}")

# %%
fig, ax = plt.subplots(layout="constrained")
ax.plot(lags, phi**lags, "k-", label=r"exact $\phi^h$")
ax.plot(lags, sample_lag, "o", color="tab:blue", label="sample (mean over pairs)")
ax.set_xlabel("lag h (columns apart)")
ax.set_ylabel("correlation")
ax.set_title("ar1: correlation between columns h apart")
ax.legend()
plotting.savefig(fig, "01_ar1_lag_correlation")
plotting.show()

# %% [markdown]
# The pair figure for the first two columns: the conditional mean of a
# stationary AR(1) is $E[x_2 \mid x_1] = \phi\, x_1$.

# %%
compare_moments(law, ar1_rows)

# %%
fig = plot_law(law, ar1_rows)
plotting.savefig(fig, "01_real_ar1")
plotting.show()

# %% [markdown]
# ## 6. `mixture`: two modes
#
# $$[x_1, x_2] \sim \tfrac12\,\mathcal N\big((-2, -2),\ 0.5^2 I\big)
#   + \tfrac12\,\mathcal N\big((2, 2),\ 0.5^2 I\big).$$
#
# First a fair coin picks a component, then the row is drawn from it.
# Inside a component the two coordinates are independent; all the
# dependence comes from the shared coin. The law of total variance gives
# the covariance: $0.25\,I$ within components plus the spread of the
# component means, which is 4 in every entry, so the correlation is
# $4 / 4.25 = 0.941$.
#
# The exact curve follows from Bayes' rule. Given $x_1$, the odds of the
# right-hand component are
# $\exp\!\big(((x_1 + 2)^2 - (x_1 - 2)^2) / (2 \cdot 0.25)\big) = e^{16 x_1}$, so
#
# $$E[x_2 \mid x_1] = 2\,P(\text{right} \mid x_1) - 2\,P(\text{left} \mid x_1)
#   = 2 \tanh(8 x_1),$$
#
# a steep step between the modes. Generators often lose a mode, or put rows
# on the empty bridge between them; both break this law.

# %%
law = get_law("mixture")
grid = np.array([-1.0, -0.1, 0.0, 0.05, 1.0])
assert np.allclose(law.conditional_mean(grid), 2 * np.tanh(8 * grid))

mixture_rows = law.sample(N_ROWS, seed=SEED)
right = mixture_rows.sum(axis=1) > 0  # the two means are 5.7 sd from this line
print(f"share in the right-hand mode: exact 0.500, sample {right.mean():.3f}")
print(f"correlation: exact {4 / 4.25:.3f}, sample {np.corrcoef(mixture_rows.T)[0, 1]:.3f}")
compare_moments(law, mixture_rows)

# %%
fig = plot_law(law, mixture_rows)
plotting.savefig(fig, "01_real_mixture")
plotting.show()

# %% [markdown]
# ## Your own row function
#
# The origin let its user design a row in `func`. `custom_law` does the
# same: give it a function of the base draw $x$ (an array of $n$ numbers)
# that returns the columns. The origin's default, written this way, gives
# exactly the rows of `linear`, because both use the same base draw:

# %%
def func(x):
    return [x, 2 * x]


origin = custom_law(func, name="origin")
assert np.array_equal(origin.sample(N_ROWS, seed=SEED), linear_rows)
print(f"{origin.name}: d = {origin.dim}, identical to 'linear' with the same seed")

# %% [markdown]
# Any row function works, for instance $[x,\ \sin 2x + x/2]$. A custom law
# knows how to draw rows, but not its marginals or moments in closed form:
# for such a law the later notebooks compare generated rows with fresh draws
# of the same function instead of with formulas. We can still draw the
# relation itself, since we wrote it.

# %%
def wavy(x):
    return [x, np.sin(2 * x) + x / 2]


own = custom_law(wavy, name="wavy")
own_rows = own.sample(N_ROWS, seed=SEED)
fig = plot_law(own, own_rows, title="custom law: x ~ N(0, 1); row = [x, sin 2x + x/2]")
grid = np.linspace(-3, 3, 400)
fig.axes[0].plot(grid, wavy(grid)[1], "k-", lw=1.5, label="the row function")
fig.axes[0].legend(loc="upper left", fontsize=8, markerscale=3)
plotting.savefig(fig, "01_custom_law")
plotting.show()

# %% [markdown]
# ## Writing the real samples
#
# Each structure, 10,000 rows drawn with seed 0, goes to
# `data/real_samples/<structure>.csv` with one header line. Later notebooks
# load these files when present and otherwise draw the same rows again,
# so none of them depends on this notebook having run.

# %%
folder = paths.data_dir("real_samples")
for name in STRUCTURES:
    law = get_law(name)
    rows = law.sample(N_ROWS, seed=SEED)
    path = io.write_csv(folder / f"{name}.csv", rows, header=law.column_names())
    print(f"{path.relative_to(paths.project_root())}: {rows.shape[0]} rows x {rows.shape[1]}")

# %% [markdown]
# The CSV keeps 17 significant digits, enough for every float64 to read
# back exactly, so reading a file back gives the very same rows:

# %%
stored, header = io.read_csv(folder / "linear.csv")
assert np.allclose(stored, linear_rows, rtol=1e-9, atol=0)
print(f"header: {header}; {len(stored)} rows, equal to the drawn rows within 1e-9 relative")

# %% [markdown]
# ## What we have
#
# | structure | what "dependence preserved" means |
# |-----------|-----------------------------------|
# | `linear`  | $x_2 = 2x_1$ in every row |
# | `uniform` | $x_2 = 2x_1$ and every row inside $[0, 1] \times [0, 2]$ |
# | `gaussian`| correlation 0.8, normal marginals |
# | `quadratic` | $x_2 = x_1^2$ in every row, correlation 0 |
# | `ar1`     | correlation $0.8^h$ at lag $h$, all columns $\mathcal N(0, 1)$ |
# | `mixture` | two equal modes, nothing on the bridge, $E[x_2\mid x_1] = 2\tanh 8x_1$ |
#
# Notebook 02 starts turning these rows into noise.
