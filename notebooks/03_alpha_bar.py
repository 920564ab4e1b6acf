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
# # 03 · Alpha-bar verification, and choosing a schedule
#
# Notebook 02 proved that $T$ noising steps compound into one:
#
# $$x_{t+1} = \sqrt{\bar\alpha_t}\; x_0 + \sqrt{1 - \bar\alpha_t}\; \varepsilon,
#   \qquad \bar\alpha_t = \prod_{s=0}^{t} \alpha_s, \quad \varepsilon \sim \mathcal N(0, I).$$
#
# A proof can still be wrong in code: an index off by one, a product in the
# wrong precision. Here we test the closed form the way a statistician tests
# any claim about a distribution:
#
# 1. the coefficients $\bar\alpha_t$ against an independent computation;
# 2. the stepwise chain against the closed form: means, variances and a
#    goodness-of-fit test;
# 3. for Gaussian data, the exact law of the noisy rows at **every** step
#    against the chain.
#
# Then we compare two schedules (linear and cosine) and ask how close the
# last noisy state $x_T$ gets to the standard normal the sampler starts from.

# %%
import itertools
import math
import operator

import numpy as np
import matplotlib.pyplot as plt
import torch
from scipy import stats

from ddpm_lib import plotting, repro
from ddpm_lib.forward import chain_moments, forward_steps, q_sample
from ddpm_lib.gaussian import forward_marginal, kl_divergence, w2_distance
from ddpm_lib.samples import get_law
from ddpm_lib.schedule import NoiseSchedule

repro.seed_everything(0)
plotting.use_quiet_style()

T = 1000
sched = NoiseSchedule.linear(T=T, beta_start=1e-4, beta_end=0.02)
abar = sched.alpha_bars.numpy()

# %% [markdown]
# ## 1. The coefficients, exactly
#
# $\bar\alpha_t$ is a product of up to a thousand numbers just below one.
# Recompute it with plain Python floats, one multiplication at a time, and
# compare with the schedule's `alpha_bars` (torch, float64):

# %%
betas_py = [1e-4 + (0.02 - 1e-4) * i / (T - 1) for i in range(T)]
abar_py = list(itertools.accumulate((1.0 - b for b in betas_py), operator.mul))

rel_gap = max(abs(a - b) / b for a, b in zip(abar.tolist(), abar_py))
assert rel_gap < 1e-12
assert abar_py[-1] == math.prod(1.0 - b for b in betas_py)
print(f"abar_0   = {abar_py[0]:.6f}   (= 1 - beta_0)")
print(f"abar_999 = {abar_py[-1]:.4e}")
print("library and plain Python agree at every t to 1e-12 (relative)")

# %% [markdown]
# Two consequences of the definition: the sequence strictly decreases (each
# step multiplies by a number below one), and the ratio of neighbours gives
# back the step's own $\alpha$: $\bar\alpha_t / \bar\alpha_{t-1} = \alpha_t$.

# %%
ratios = abar[1:] / abar[:-1]
assert np.all(np.diff(abar) < 0)
assert np.max(np.abs(ratios - sched.alphas.numpy()[1:])) < 1e-10
print("strictly decreasing; abar_t / abar_(t-1) = alpha_t to 1e-10 at every t")

# %% [markdown]
# ## 2. The chain against the closed form, from one fixed row
#
# Start every row at the same point, $x_0 = (1, 2)$ (the origin's row for
# $x = 1$). Then the only randomness is the noise, and the closed form says
# that after $k$ steps, $k = t + 1$,
#
# $$x_k \sim \mathcal N\big(\sqrt{\bar\alpha_t}\, x_0,\ (1 - \bar\alpha_t)\, I\big)$$
#
# **exactly**. We run the recursion itself (`forward_steps`: $k$ steps, fresh
# noise each time) on 16,000 copies of the row, for several $k$.

# %%
n = 16_000
start = torch.tensor([1.0, 2.0], dtype=torch.float64)
x0_fixed = start.expand(n, 2)
ks = (1, 10, 100, 500, 1000)
chains = {k: forward_steps(x0_fixed, k, sched, generator=repro.torch_generator(k)) for k in ks}

# %% [markdown]
# Each $k$ gets its own seeded generator, so the five runs are independent
# of one another and each is repeatable on its own. Why 16,000 rows? Enough
# for a standard error of about 1 % of the noise's standard deviation, and
# few enough that every step is a handful of fast vector operations.

# %% [markdown]
# **Means and variances.** A sample mean misses by about one standard error,
# $\sigma/\sqrt n$; a sample variance of normal data by about
# $\sigma^2\sqrt{2/(n-1)}$. The table gives the gaps in standard errors ($z$),
# pooled over the two columns (their noises are independent).

# %%
print("    k      abar     exact var  sample var    z(var)  z(mean x1)  z(mean x2)")
for k, x in chains.items():
    a = abar[k - 1]
    mean, var = math.sqrt(a) * start, 1 - a
    z_mean = (x.mean(0) - mean) / math.sqrt(var / n)
    pooled_var = ((x - mean) ** 2).sum() / (2 * n)  # mean known: divide by 2n
    z_var = (pooled_var - var) / (var * math.sqrt(2 / (2 * n)))
    print(f"{k:5d} {a:9.5f} {var:12.5f} {pooled_var:11.5f} {z_var:9.1f}"
          f" {z_mean[0]:11.1f} {z_mean[1]:11.1f}")

# %% [markdown]
# **Goodness of fit.** Matching two moments does not make a distribution
# normal: a law with the right mean and variance can still have the wrong
# shape (skewed, two-humped, heavy-tailed). Standardize with the *exact* parameters,
# $z = (x_k - \sqrt{\bar\alpha_t}\,x_0) / \sqrt{1 - \bar\alpha_t}$, and test
# $z \sim \mathcal N(0, 1)$ with the one-sample Kolmogorov–Smirnov and
# Cramér–von Mises tests.
#
# These tests are valid here because nothing was estimated from the data:
# the null law is fully specified. (Plugging in the sample mean and variance
# instead would make both tests far too lenient; that situation needs
# Lilliefors-type corrections.) With $5 \times 2 = 10$ tests, a Bonferroni
# rule at level 0.01 rejects only when a p-value falls below $0.001$.
#
# What the two statistics measure: KS is the largest vertical gap between
# the empirical distribution function of the 16,000 values and the exact
# $\Phi$; Cramér–von Mises integrates the squared gap over the whole range,
# so it reacts more to a shift spread over many values and less to one
# local bump. A p-value is the chance of a gap at least this large if the
# claim is true; when the claim is true, p-values are spread evenly on
# $[0, 1]$, so a few small-looking ones among ten are expected.

# %%
print("    k  column   KS stat   KS p    CvM p   verdict")
for k, x in chains.items():
    a = abar[k - 1]
    z = (x - math.sqrt(a) * start) / math.sqrt(1 - a)
    for j in range(2):
        ks_res = stats.kstest(z[:, j].numpy(), "norm")
        cvm_res = stats.cramervonmises(z[:, j].numpy(), "norm")
        ok = min(ks_res.pvalue, cvm_res.pvalue) > 0.01 / 10
        print(f"{k:5d}   x{j + 1}   {ks_res.statistic:8.4f} {ks_res.pvalue:7.3f}"
              f" {cvm_res.pvalue:7.3f}   {'fits' if ok else 'REJECTED'}")

# %% [markdown]
# No test rejects at the Bonferroni level: the chain and the closed form
# describe the same law.
# (A wrong index would show up at small $k$, where one factor of $\alpha$
# is a large share of the noise: at $k = 1$ the origin's literal formula,
# notebook 02, would predict variance 0 instead of $10^{-4}$.)

# %% [markdown]
# ## 3. Gaussian data: the exact law at every step
#
# Now let the data vary too. If $x_0 \sim \mathcal N(\mu, \Sigma)$ and the
# noise is independent of it, $x_{t+1}$ is a sum of two independent normals,
# so it is normal with
#
# $$q(x_{t+1}) = \mathcal N\big(\sqrt{\bar\alpha_t}\,\mu,\
#   \bar\alpha_t\,\Sigma + (1 - \bar\alpha_t)\, I\big).$$
#
# `ddpm_lib.gaussian.forward_marginal` computes this. We use the `gaussian`
# structure moved off the origin, $\mu = (2, -1)$ and
# $\Sigma = \begin{pmatrix}1 & 0.8\\ 0.8 & 1\end{pmatrix}$, so that the mean
# has something to shrink. By hand at one step first:

# %%
law = get_law("gaussian", mean=[2.0, -1.0])
mu, Sigma = law.mean, law.cov
t = 299
mean_by_hand = np.sqrt(abar[t]) * mu
cov_by_hand = abar[t] * Sigma + (1 - abar[t]) * np.eye(2)
mean_lib, cov_lib = forward_marginal(mu, Sigma, abar[t])
assert np.allclose(mean_by_hand, mean_lib) and np.allclose(cov_by_hand, cov_lib)
print(f"after {t + 1} steps: mean ({mean_lib[0]:.3f}, {mean_lib[1]:.3f}), "
      f"variances {cov_lib[0, 0]:.3f} and {cov_lib[1, 1]:.3f}, covariance {cov_lib[0, 1]:.3f}")

# %% [markdown]
# The chain: 10,000 rows of this law, all 1000 steps, recording the sample
# mean and covariance after every step (`chain_moments`), next to the exact
# values from `forward_marginal`.

# %%
x0_gauss = torch.as_tensor(law.sample(10_000, seed=0))
_, chain_means, chain_covs = chain_moments(x0_gauss, T, sched, generator=repro.torch_generator(7))
exact = [forward_marginal(mu, Sigma, a) for a in abar]
exact_means = np.array([m for m, _ in exact])
exact_covs = np.array([c for _, c in exact])

# %% [markdown]
# The grey bands are $\pm 2$ standard errors around the exact values, the
# spread expected from 10,000 rows: $\sqrt{C_{jj}/n}$ for a mean,
# $C_{jj}\sqrt{2/(n-1)}$ for a variance and $\sqrt{(C_{11}C_{22} + C_{12}^2)/n}$
# for a covariance. The chain's curves start where the 10,000 drawn rows
# start, which is itself within that spread of the law.

# %%
steps = np.arange(1, T + 1)
n_rows = len(x0_gauss)
v1, v2, c12 = exact_covs[:, 0, 0], exact_covs[:, 1, 1], exact_covs[:, 0, 1]
panels = [
    ("mean", [chain_means[:, 0], chain_means[:, 1]],
     [exact_means[:, 0], exact_means[:, 1]], [np.sqrt(v1 / n_rows), np.sqrt(v2 / n_rows)]),
    ("variance", [chain_covs[:, 0, 0], chain_covs[:, 1, 1]], [v1, v2],
     [v1 * np.sqrt(2 / (n_rows - 1)), v2 * np.sqrt(2 / (n_rows - 1))]),
    ("covariance of x1 and x2", [chain_covs[:, 0, 1]], [c12],
     [np.sqrt((v1 * v2 + c12**2) / n_rows)]),
]
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), layout="constrained")
for ax, (label, chain_curves, exact_curves, ses) in zip(axes, panels):
    for j, (c, e, se) in enumerate(zip(chain_curves, exact_curves, ses)):
        ax.fill_between(steps, e - 2 * se, e + 2 * se, color="0.85")
        ax.plot(steps, c, lw=2, alpha=0.7, color=f"C{j}", label=f"chain, x{j + 1}")
        ax.plot(steps, e, "k--", lw=1, label="exact" if j == 0 else None)
    ax.set(xlabel="steps taken", title=label)
    ax.legend(fontsize=8)
plotting.savefig(fig, "03_gaussian_law_every_step")
plotting.show()

# %% [markdown]
# The curves overlap at every step. In numbers: the largest gap over all
# 1000 steps, in standard errors of the sample mean, and the largest
# absolute gap in any covariance entry.

# %%
se_mean = np.sqrt(np.diagonal(exact_covs, axis1=1, axis2=2) / len(x0_gauss))
z_means = (chain_means.numpy() - exact_means) / se_mean
cov_gap = np.abs(chain_covs.numpy() - exact_covs).max()
print(f"largest |z| of a mean over all steps and columns: {np.abs(z_means).max():.1f}")
print(f"largest covariance gap over all steps: {cov_gap:.3f}")

# %% [markdown]
# **A joint goodness-of-fit test.** The marginal tests of section 2 look at
# one column at a time. For a $d$-dimensional normal
# $\mathcal N(m, C)$ the squared Mahalanobis distance
# $D^2 = (x - m)^\top C^{-1} (x - m)$ follows the $\chi^2_d$ law, which
# uses the correlation as well. Run the chain separately to a few step
# counts and test $D^2$ against $\chi^2_2$ (KS, exact parameters again).

# %%
print("    k   KS stat on D^2   KS p   verdict")
for k in (10, 100, 300, 1000):
    x = forward_steps(x0_gauss, k, sched, generator=repro.torch_generator(100 + k)).numpy()
    m, C = forward_marginal(mu, Sigma, abar[k - 1])
    diff = x - m
    d2 = np.einsum("ni,ij,nj->n", diff, np.linalg.inv(C), diff)
    res = stats.kstest(d2, stats.chi2(df=2).cdf)
    print(f"{k:5d} {res.statistic:14.4f} {res.pvalue:8.3f}   "
          f"{'fits' if res.pvalue > 0.01 / 4 else 'REJECTED'}")

# %% [markdown]
# With $p$-values spread over $(0, 1)$ and no rejection, the stepwise chain
# and the exact Gaussian law agree in the joint sense too, at every step
# count tested. For non-Gaussian data (the mixture, the quadratic) the same
# formula still gives the exact **mean and covariance** of $x_{t+1}$, but
# not the shape of its law: that is a mixture of Gaussians (a convolution of
# the data law with a Gaussian) and becomes nearly normal only when
# $\bar\alpha_t$ is small.

# %% [markdown]
# ## 4. Two schedules: linear and cosine
#
# The schedule decides how fast the signal goes. Ho et al. spaced the
# $\beta_t$ evenly (**linear**). Nichol & Dhariwal (2021) chose $\bar\alpha$
# directly, as a squared cosine of the fraction $u = k / T$ of steps taken
# (**cosine**), with a small offset $s = 0.008$:
#
# $$\bar\alpha(u) = \frac{f(u)}{f(0)}, \qquad
#   f(u) = \cos^2\!\Big(\frac{u + s}{1 + s}\cdot\frac{\pi}{2}\Big), \qquad
#   \beta_t = 1 - \frac{\bar\alpha((t+1)/T)}{\bar\alpha(t/T)} ,$$
#
# each $\beta_t$ capped at 0.999 (without the cap the last step would have
# $\beta = 1$, dividing by zero later). By hand at a few steps:

# %%
cos_sched = NoiseSchedule.cosine(T=T)
s = 0.008


def f(u):
    return math.cos((u + s) / (1 + s) * math.pi / 2) ** 2


for t in (0, 499, 998):
    by_hand = f((t + 1) / T) / f(0.0)
    assert math.isclose(cos_sched.alpha_bars[t].item(), by_hand, rel_tol=1e-9)
print(f"last beta = {cos_sched.betas[-1]:.3f} (the cap); "
      f"abar at step 500 = {cos_sched.alpha_bars[499]:.4f}")

# %% [markdown]
# A good way to compare schedules is the **signal-to-noise ratio** of the
# noisy rows, $\mathrm{SNR}_t = \bar\alpha_t / (1 - \bar\alpha_t)$: the signal's
# variance share over the noise's. Its logarithm runs from large positive
# (almost clean data) to large negative (almost pure noise).
#
# How to read the three panels: left, the noise each step adds (log scale:
# the cosine schedule adds much less at first and very much more at the
# end); middle, the share of the data's variance still present; right, the
# log-SNR. The network has to learn a denoiser at every noise level, so a
# schedule that spends many steps where the log-SNR hardly changes, or
# where nothing is left to see, spends training effort poorly.

# %%
schedules = {"linear": sched, "cosine": cos_sched}
fig, axes = plt.subplots(1, 3, figsize=(13, 3.6), layout="constrained")
for name, sc in schedules.items():
    axes[0].plot(steps, sc.betas, label=name)
    axes[1].plot(steps, sc.alpha_bars, label=name)
    axes[2].plot(steps, torch.log(sc.snr()), label=name)
axes[0].set(yscale="log", title="beta_t (log scale)", xlabel="steps taken")
axes[1].set(title="alpha-bar: signal variance left", xlabel="steps taken")
axes[2].set(title="log SNR = log(abar / (1 - abar))", xlabel="steps taken")
for ax in axes:
    ax.legend(fontsize=8)
plotting.savefig(fig, "03_schedules_linear_vs_cosine")
plotting.show()

# %% [markdown]
# The linear schedule destroys the signal early: half the variance is noise
# after 260 steps, and for the last third of the chain almost nothing is
# left to learn from. The cosine schedule keeps the signal longer and
# spreads the steps more evenly over the log-SNR range:

# %%
print("schedule  abar < 0.5 from step  abar < 0.01 from step  share of steps with abar < 0.01")
for name, sc in schedules.items():
    ab = sc.alpha_bars.numpy()
    half, gone = np.argmax(ab < 0.5) + 1, np.argmax(ab < 0.01) + 1
    print(f"{name:8s} {half:21d} {gone:22d} {np.mean(ab < 0.01):32.3f}")

# %% [markdown]
# ## 5. How far is $x_T$ from $\mathcal N(0, I)$?
#
# Sampling runs the chain backwards and must start somewhere. It starts
# from $\mathcal N(0, I)$, which is right only if the forward process has
# really reached it. What it has reached is $q(x_T)$, the law after all $T$
# steps.
#
# Take the origin's rows as the pipeline sees them, standardized: $[x, 2x]$
# becomes $[z, z]$ with $z \sim \mathcal N(0, 1)$, so $\mu = 0$ and
# $\Sigma = \begin{pmatrix}1 & 1\\ 1 & 1\end{pmatrix}$. These rows are
# Gaussian (on a line), so $q(x_T)$ is exactly
# $\mathcal N(0, C)$ with $C = \bar\alpha\,\Sigma + (1 - \bar\alpha) I$, where
# $\bar\alpha$ is the last one, `alpha_bars[T-1]`. $C$ has eigenvalues
# $1 + \bar\alpha$ (along the line) and $1 - \bar\alpha$ (across it).
#
# Two distances from the sampler's start $\mathcal N(0, I)$:
#
# * the Kullback–Leibler divergence, which for these eigenvalues is
#   $\mathrm{KL}\big(\mathcal N(0, I)\,\|\,q(x_T)\big) = \tfrac12\Big(\tfrac{1}{1+\bar\alpha}
#   + \tfrac{1}{1-\bar\alpha} - 2 + \log(1 - \bar\alpha^2)\Big)$;
# * the 2-Wasserstein distance, how far (in standard deviations) the
#   probability mass has to move:
#   $W_2^2 = (\sqrt{1+\bar\alpha} - 1)^2 + (\sqrt{1-\bar\alpha} - 1)^2$.
#
# By hand for one value, then with `ddpm_lib.gaussian`:

# %%
Sigma_std = np.array([[1.0, 1.0], [1.0, 1.0]])
a = 0.36
C = forward_marginal(np.zeros(2), Sigma_std, a)[1]
kl_by_hand = 0.5 * (1 / (1 + a) + 1 / (1 - a) - 2 + math.log(1 - a**2))
w2_by_hand = math.sqrt((math.sqrt(1 + a) - 1) ** 2 + (math.sqrt(1 - a) - 1) ** 2)
kl_lib = kl_divergence(np.zeros(2), np.eye(2), np.zeros(2), C)  # KL(first || second)
assert math.isclose(kl_lib, kl_by_hand, rel_tol=1e-10)
assert math.isclose(w2_distance(np.zeros(2), C), w2_by_hand, rel_tol=1e-10)
print(f"abar = {a}: KL = {kl_by_hand:.4f} nats, W2 = {w2_by_hand:.4f}")

# %% [markdown]
# Why this direction of KL? Think of a perfect denoiser: run backwards from
# $q(x_T)$ it would return the data law exactly. The sampler applies the same
# backward steps to $\mathcal N(0, I)$ instead. Applying one and the same
# random map to two starting laws can only bring them closer (the
# data-processing inequality), so
#
# $$\mathrm{KL}\big(\text{law of the samples}\,\|\,\text{data law}\big)
#   \le \mathrm{KL}\big(\mathcal N(0, I)\,\|\,q(x_T)\big)$$
#
# for a perfect denoiser. A small right-hand side guarantees that starting
# from $\mathcal N(0, I)$ costs almost nothing; a large one removes the
# guarantee.
#
# The table below uses the same $\beta$ range (from $10^{-4}$ to $0.02$) with
# fewer steps, and the cosine schedule at the same $T$s. The column
# $\sqrt{\bar\alpha_T}$ is the share of the data's *scale* still present in
# $x_T$.

# %%
def start_gap(sc):
    a_T = sc.alpha_bars[-1].item()
    C = forward_marginal(np.zeros(2), Sigma_std, a_T)[1]
    return a_T, kl_divergence(np.zeros(2), np.eye(2), np.zeros(2), C), w2_distance(np.zeros(2), C)


print("schedule    T    abar_T     sqrt(abar_T)   KL(N(0,I) || q(x_T))   W2")
for name, build in (("linear", NoiseSchedule.linear), ("cosine", NoiseSchedule.cosine)):
    for T_try in (100, 200, 1000):
        a_T, kl, w2 = start_gap(build(T=T_try))
        print(f"{name:8s} {T_try:5d} {a_T:10.3e} {math.sqrt(a_T):12.4f} {kl:20.2e} {w2:11.2e}")

# %% [markdown]
# Over a whole range of $T$:

# %%
T_grid = np.arange(20, 1001, 20)
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), layout="constrained")
for name, build in (("linear", NoiseSchedule.linear), ("cosine", NoiseSchedule.cosine)):
    gaps = np.array([start_gap(build(T=int(T_try))) for T_try in T_grid])
    axes[0].plot(T_grid, gaps[:, 0], label=name)
    axes[1].plot(T_grid, gaps[:, 1], label=name)
axes[0].set(yscale="log", xlabel="T (number of steps)", title="alpha-bar after the last step")
axes[1].set(yscale="log", xlabel="T (number of steps)",
            title="KL(N(0, I) || q(x_T)), standardized [x, 2x]")
for ax in axes:
    ax.legend(fontsize=8)
plotting.savefig(fig, "03_distance_to_standard_normal")
plotting.show()

# %% [markdown]
# **What this means for sampling.**
#
# * With the origin's $\beta$ range and $T \approx 1000$, $\bar\alpha_T \approx 4
#   \times 10^{-5}$: $x_T$ keeps 0.6 % of the data's scale and is, for every
#   practical purpose, standard normal. Starting the sampler at
#   $\mathcal N(0, I)$ is harmless.
# * With the same $\beta$ range and $T = 100$, $\bar\alpha_T = 0.36$: the noisy
#   rows still carry 60 % of the data's scale and a correlation of 0.36 between
#   the columns. A sampler started from $\mathcal N(0, I)$ begins from a law the
#   network never saw at that step, and the guarantee above is gone. Fewer
#   steps need larger $\beta$s, not just a shorter list.
# * The cosine schedule reaches $\bar\alpha_T \approx 0$ by construction for
#   any $T$, so the start is right even for short chains; what short chains
#   lose instead is accuracy in each reverse step (notebooks 05 and 07).
#
# Every formula above is also a unit test in `tests/` (`test_schedule.py`,
# `test_forward.py`, `test_gaussian.py`).
