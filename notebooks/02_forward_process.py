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
# # 02 · The forward process: from data to noise
#
# A diffusion model learns to *remove* noise. To teach it, we first need a
# way to *add* noise to the real rows, gradually, in $T$ small steps, until
# nothing of the data is left but a standard normal cloud. That is the
# forward process.
#
# The network is trained on noisy rows at every step $t$. Running $t$ steps
# one after the other for each training example would be slow; a closed form
# lets us jump to any step with a single normal draw. This notebook
#
# 1. states the one-step rule,
# 2. derives the closed form from it by induction, checking every algebra
#    step numerically right below it,
# 3. shows why the process is called *variance preserving*,
# 4. fixes the index convention and resolves the origin's mixed indices,
# 5. draws the data cloud at several steps and writes noisy rows to
#    `data/noise_samples/`.

# %%
import numpy as np
import matplotlib.pyplot as plt
import torch

from ddpm_lib import io, paths, plotting, repro
from ddpm_lib.forward import chain_moments, forward_step, forward_steps, q_sample
from ddpm_lib.pipeline import real_rows
from ddpm_lib.scaler import Standardizer
from ddpm_lib.schedule import NoiseSchedule

repro.seed_everything(0)
plotting.use_quiet_style()

# %% [markdown]
# The data: the origin's rows $[x, 2x]$ with $x \sim \mathcal N(0, 1)$,
# 10,000 of them, exactly as notebook 01 wrote them (`real_rows` loads the
# file when it is there and draws the same rows again when it is not).

# %%
x0 = torch.as_tensor(real_rows("linear", n=10_000, seed=0))
print(f"x0: {x0.shape[0]} rows x {x0.shape[1]} columns, dtype {x0.dtype}")

# %% [markdown]
# ## The noise schedule
#
# Step $t$ adds noise of variance $\beta_t$. Like Ho et al. (2020) we use
# $T = 1000$ steps with $\beta_t$ evenly spaced from $10^{-4}$ to $0.02$ (the
# origin used 999 steps over the same range). Each step also keeps a share
# $\alpha_t = 1 - \beta_t$ of the variance already there.
#
# Steps are numbered from 0, as in the code: $t = 0, 1, \dots, T-1$.

# %%
T = 1000
sched = NoiseSchedule.linear(T=T, beta_start=1e-4, beta_end=0.02)

betas_by_hand = np.linspace(1e-4, 0.02, T)
assert np.allclose(sched.betas.numpy(), betas_by_hand, rtol=1e-12, atol=0)
assert torch.equal(sched.alphas, 1 - sched.betas)
print(f"beta_0 = {sched.betas[0]:.4f}, beta_999 = {sched.betas[999]:.4f}")

# %% [markdown]
# ## 1. One step
#
# Write $x_k$ for the rows after $k$ noising steps, so $x_0$ is the data.
# Step $t$ turns $x_t$ into $x_{t+1}$:
#
# $$x_{t+1} = \sqrt{\alpha_t}\; x_t + \sqrt{\beta_t}\; \varepsilon_t,
#   \qquad \varepsilon_t \sim \mathcal N(0, I),$$
#
# with a fresh $\varepsilon_t$ at every step, independent of everything
# before. In words: shrink the rows a little, then add a little noise.
# By hand for the first step, then with `ddpm_lib.forward.forward_step`:

# %%
gen = repro.torch_generator(0)
eps0 = torch.randn(x0.shape, generator=gen, dtype=torch.float64)
x1_by_hand = sched.alphas[0].sqrt() * x0 + sched.betas[0].sqrt() * eps0

assert torch.allclose(x1_by_hand, forward_step(x0, 0, eps0, sched), rtol=1e-14, atol=0)
print(f"first row before: [{x0[0, 0]:.4f}, {x0[0, 1]:.4f}]"
      f"  after one step: [{x1_by_hand[0, 0]:.4f}, {x1_by_hand[0, 1]:.4f}]")

# %% [markdown]
# Why $\sqrt{\alpha_t}$ and $\sqrt{\beta_t}$? Scaling a random variable by $a$
# scales its variance by $a^2$, and variances of independent terms add:
#
# $$\operatorname{Var} x_{t+1} = \alpha_t \operatorname{Var} x_t + \beta_t .$$
#
# Because $\alpha_t + \beta_t = 1$, a column with variance 1 keeps variance 1.
# To see it in one step, use an exaggerated $\beta = 0.5$: column $x_1$ has
# variance 1 and should stay at 1; column $x_2$ has variance 4 and should
# move to $0.5 \cdot 4 + 0.5 = 2.5$.

# %%
big = NoiseSchedule.from_betas([0.5])
eps = torch.randn(x0.shape, generator=gen, dtype=torch.float64)
after = forward_step(x0, 0, eps, big)
for j, v in enumerate((1.0, 4.0)):
    print(f"x{j + 1}: variance before {x0[:, j].var():.3f}, after {after[:, j].var():.3f},"
          f" predicted {0.5 * v + 0.5:.3f}")

# %% [markdown]
# ## 2. The closed form, by induction
#
# Define the running product of the $\alpha$s,
#
# $$\bar\alpha_t = \prod_{s=0}^{t} \alpha_s = \alpha_0 \alpha_1 \cdots \alpha_t .$$
#
# **Claim.** For every step index $t$,
#
# $$x_{t+1} = \sqrt{\bar\alpha_t}\; x_0 + \sqrt{1 - \bar\alpha_t}\; \varepsilon,
#   \qquad \varepsilon \sim \mathcal N(0, I) \text{ independent of } x_0 .$$
#
# So the state after $t+1$ steps is a shrunk copy of the data plus one
# normal draw. This is `ddpm_lib.forward.q_sample(x0, t, eps, schedule)`.
# We prove it by induction on $t$.

# %% [markdown]
# ### Step 1: the base case, $t = 0$
#
# With one factor, $\bar\alpha_0 = \alpha_0$ and $1 - \bar\alpha_0 = \beta_0$,
# so the claim for $t = 0$ *is* the one-step rule:
# $x_1 = \sqrt{\alpha_0}\, x_0 + \sqrt{\beta_0}\, \varepsilon_0$.
# Check: the closed form with the same noise gives the same rows.

# %%
assert sched.alpha_bars[0] == sched.alphas[0]
gap = (q_sample(x0, 0, eps0, sched) - x1_by_hand).abs().max().item()
assert gap < 1e-12
print("closed form at t = 0 equals one step of the recursion (to 1e-12)")

# %% [markdown]
# ### Step 2: the induction hypothesis
#
# Assume the claim holds one step earlier:
#
# $$x_t = \sqrt{\bar\alpha_{t-1}}\; x_0 + \sqrt{1 - \bar\alpha_{t-1}}\; \bar\varepsilon,
#   \qquad \bar\varepsilon \sim \mathcal N(0, I) \text{ independent of } x_0 .$$
#
# The next step's noise $\varepsilon_t$ is fresh, so it is independent of
# both $x_0$ and $\bar\varepsilon$.
#
# ### Step 3: take one more step
#
# Put the hypothesis into the one-step rule and collect terms:
#
# $$x_{t+1} = \sqrt{\alpha_t}\Big(\sqrt{\bar\alpha_{t-1}}\,x_0
#     + \sqrt{1 - \bar\alpha_{t-1}}\,\bar\varepsilon\Big) + \sqrt{\beta_t}\,\varepsilon_t
#   = \sqrt{\alpha_t \bar\alpha_{t-1}}\; x_0
#     + \underbrace{\sqrt{\alpha_t (1 - \bar\alpha_{t-1})}\,\bar\varepsilon
#     + \sqrt{\beta_t}\,\varepsilon_t}_{\text{noise}} .$$
#
# The coefficient of $x_0$ is already right, because the product gains
# exactly one factor per step: $\alpha_t \bar\alpha_{t-1} = \bar\alpha_t$.
# Check for every $t$ at once:

# %%
ab, al = sched.alpha_bars, sched.alphas
gap = (al[1:] * ab[:-1] - ab[1:]).abs().max().item()
assert gap < 1e-15
print("alpha_t * abar_(t-1) = abar_t for t = 1..999 (to 1e-15)")

# %% [markdown]
# ### Step 4: merge the two noises
#
# A sum $a\,\bar\varepsilon + b\,\varepsilon_t$ of two *independent*
# standard normal vectors is again normal, with mean 0 and covariance
# $(a^2 + b^2)\,I$. Here
#
# $$a^2 + b^2 = \alpha_t(1 - \bar\alpha_{t-1}) + (1 - \alpha_t)
#   = 1 - \alpha_t \bar\alpha_{t-1} = 1 - \bar\alpha_t .$$
#
# Check the algebra for every $t$, then the variance by simulation at
# $t = 500$ (the sample variance of $n$ normal draws has standard error
# $\sigma^2\sqrt{2/(n-1)}$).

# %%
a_sq, b_sq = al[1:] * (1 - ab[:-1]), 1 - al[1:]
assert (a_sq + b_sq - (1 - ab[1:])).abs().max() < 1e-15
print("a^2 + b^2 = 1 - abar_t for t = 1..999 (to 1e-15)")

t, n = 500, 10_000
e_bar = torch.randn(n, generator=gen, dtype=torch.float64)
e_t = torch.randn(n, generator=gen, dtype=torch.float64)
merged = (al[t] * (1 - ab[t - 1])).sqrt() * e_bar + (1 - al[t]).sqrt() * e_t
target = (1 - ab[t]).item()
z = (merged.var().item() - target) / (target * np.sqrt(2 / (n - 1)))
print(f"t = {t}: sample variance {merged.var():.4f}, 1 - abar_t = {target:.4f}, z = {z:.1f}")

# %% [markdown]
# ### Step 5: conclusion
#
# Dividing the merged noise by its standard deviation
# $\sqrt{1 - \bar\alpha_t}$ gives a standard normal $\varepsilon$, independent
# of $x_0$, and
# $x_{t+1} = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1 - \bar\alpha_t}\,\varepsilon$:
# the claim holds at $t$, so by induction at every step. $\blacksquare$
#
# The proof also says *which* $\varepsilon$. Unrolling the recursion, the
# noise after $t+1$ steps is a weighted sum of all the step noises,
#
# $$\sqrt{1 - \bar\alpha_t}\;\varepsilon = \sum_{s=0}^{t} c_s\, \varepsilon_s,
#   \qquad c_s = \sqrt{\beta_s}\prod_{r=s+1}^{t}\sqrt{\alpha_r}
#   = \sqrt{\beta_s\, \bar\alpha_t / \bar\alpha_s},$$
#
# because noise added at step $s$ is shrunk by every later step. The weights
# satisfy $\sum_s c_s^2 = 1 - \bar\alpha_t$. A path-by-path check: run all
# 1000 steps by hand on a few rows, keep every $\varepsilon_s$, and compare the
# final rows with `q_sample` fed that combined noise.

# %%
rows = x0[:5]
noises = torch.randn((T, *rows.shape), generator=gen, dtype=torch.float64)
x = rows
for s in range(T):
    x = forward_step(x, s, noises[s], sched)

t = T - 1
c = (sched.betas * ab[t] / ab).sqrt()          # c_s for s = 0..t
print(f"sum of c_s^2 = {(c**2).sum():.10f},  1 - abar_999 = {1 - ab[t]:.10f}")
eps_combined = (c[:, None, None] * noises).sum(0) / (1 - ab[t]).sqrt()
gap = (q_sample(rows, t, eps_combined, sched) - x).abs().max().item()
assert gap < 1e-12
print("1000 steps by hand equal the closed form with the combined noise (to 1e-12)")

# %% [markdown]
# ## 3. Variance preserving, over the whole chain
#
# The closed form gives the covariance of the rows after $t+1$ steps for *any*
# data law with covariance $\Sigma$ (noise independent of the data):
#
# $$\operatorname{Cov}(x_{t+1}) = \bar\alpha_t\,\Sigma + (1 - \bar\alpha_t)\, I .$$
#
# It slides from $\Sigma$ to the identity. If the data already have
# covariance $I$, nothing changes at any step: the process *preserves*
# variance. The origin's rows do not: $\Sigma = \begin{pmatrix}1 & 2\\ 2 &
# 4\end{pmatrix}$, so $x_2$'s variance must fall from 4 to 1.
#
# That is one reason the training pipeline first **standardizes** each
# column to mean 0 and standard deviation 1 (`ddpm_lib.scaler`). After
# standardizing, $[x, 2x]$ becomes $[z, z]$: both variances are 1 and stay 1,
# while the correlation, still 1, fades as $\bar\alpha_t$.
#
# Below the chain is run step by step on all 10,000 rows, raw and
# standardized. `chain_moments` is `forward_steps` (the same draws, the same
# final rows) that also records the sample mean and covariance after each
# step.

# %%
def variances_and_correlation(covs):
    """Per-step variances (steps, d) and correlation of columns 1 and 2."""
    var = torch.diagonal(covs, dim1=1, dim2=2)
    return var, covs[:, 0, 1] / (var[:, 0] * var[:, 1]).sqrt()


raw_end, _, raw_covs = chain_moments(x0, T, sched, generator=repro.torch_generator(1))
assert torch.equal(raw_end, forward_steps(x0, T, sched, generator=repro.torch_generator(1)))
raw_var, raw_corr = variances_and_correlation(raw_covs)

z0 = torch.as_tensor(Standardizer.fit(x0.numpy()).transform(x0.numpy()))
_, _, std_covs = chain_moments(z0, T, sched, generator=repro.torch_generator(2))
std_var, std_corr = variances_and_correlation(std_covs)

# %% [markdown]
# The exact curves from the formula above. For the raw rows,
# $\operatorname{Var} x_2 = 4\bar\alpha_t + 1 - \bar\alpha_t = 1 + 3\bar\alpha_t$ and
# $\operatorname{corr} = 2\bar\alpha_t / \sqrt{1 + 3\bar\alpha_t}$; for the
# standardized rows both variances are 1 and the correlation is
# $\bar\alpha_t$.

# %%
steps = np.arange(1, T + 1)  # number of steps taken
abar = ab.numpy()
fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
axes[0].plot(steps, raw_var[:, 1], color="tab:orange", lw=3, alpha=0.5, label="raw x2, chain")
axes[0].plot(steps, 1 + 3 * abar, "k--", lw=1, label="raw x2, exact 1 + 3 abar")
axes[0].plot(steps, raw_var[:, 0], color="tab:blue", lw=3, alpha=0.5, label="raw x1, chain")
axes[0].plot(steps, std_var[:, 1], color="tab:green", lw=3, alpha=0.5,
             label="standardized z2, chain")
axes[0].axhline(1.0, color="k", lw=1, ls=":", label="exact 1")
axes[0].set(xlabel="steps taken", ylabel="variance", title="variances along the chain")
axes[0].legend(fontsize=8)
axes[1].plot(steps, raw_corr, color="tab:orange", lw=3, alpha=0.5, label="raw, chain")
axes[1].plot(steps, 2 * abar / np.sqrt(1 + 3 * abar), "k--", lw=1, label="raw, exact")
axes[1].plot(steps, std_corr, color="tab:green", lw=3, alpha=0.5, label="standardized, chain")
axes[1].plot(steps, abar, "k:", lw=1, label="standardized, exact abar")
axes[1].set(xlabel="steps taken", ylabel="correlation of the two columns",
            title="the dependence fades")
axes[1].legend(fontsize=8)
plotting.savefig(fig, "02_variance_preserving")
plotting.show()

# %% [markdown]
# The same comparison in numbers, at a few steps:

# %%
print("steps   abar    raw var x2 (exact)   std var z2 (exact 1)   raw corr (exact)")
for k in (1, 10, 100, 300, 1000):
    a = abar[k - 1]
    print(f"{k:5d} {a:7.4f} {raw_var[k - 1, 1]:9.3f} ({1 + 3 * a:.3f})"
          f" {std_var[k - 1, 1]:14.3f} {raw_corr[k - 1]:16.3f}"
          f" ({2 * a / np.sqrt(1 + 3 * a):.3f})")

# %% [markdown]
# ## 4. Index conventions, and the origin's mixed indices
#
# Three texts number the same objects differently. Let $k = 1, \dots, T$ count
# the noising steps taken.
#
# | meaning | this repository (0-based steps) | Ho et al. 2020 (1-based) | origin |
# |---|---|---|---|
# | the data | `x0` | $x_0$ | $X_0$ |
# | rows after $k$ steps | `q_sample(x0, k-1, ...)`, `forward_steps(x0, k)` | $x_k$ | $X_k$ |
# | noise variance of the step that makes them | `betas[k-1]` | $\beta_k$ | $1 - \alpha_{k-1}$ |
# | share kept by that step | `alphas[k-1]` | $\alpha_k$ | $\alpha_{k-1}$ |
# | product of the first $k$ shares | `alpha_bars[k-1]` | $\bar\alpha_k = \prod_{s=1}^{k}\alpha_s$ | $\bar\alpha_k = \prod_{i=0}^{k-1}\alpha_i$ (as defined) |
# | signal factor of the closed form | `sqrt(alpha_bars[k-1])` | $\sqrt{\bar\alpha_k}$ | written $\sqrt{\bar\alpha_{k-1}}$ |
#
# The maths of this notebook follows the code: $\bar\alpha_t$ is the product
# *through* step $t$ (it includes $\alpha_t$), so after $k$ steps the signal
# factor is $\sqrt{\bar\alpha_{k-1}}$, which is Ho et al.'s $\sqrt{\bar\alpha_k}$.
#
# **Where the origin mixes them.** Its one-step rule,
# $X_k = \sqrt{\alpha_{k-1}}X_{k-1} + \sqrt{1-\alpha_{k-1}}\,\varepsilon_{k-1}$,
# numbers the $\alpha$s from 0 like the code. Its compounded formula,
# $X_k = \sqrt{\bar\alpha_{k-1}}\,X_0 + \sqrt{1 - \bar\alpha_{k-1}}\,\varepsilon$,
# reads $\bar\alpha$ the code's way too (the product through step $k-1$):
# it is exactly the closed form derived above. But the definition printed
# beside it, $\bar\alpha_k = \prod_{i=0}^{k-1}\alpha_i$, is Ho et al.'s
# ($k$ factors). Put that definition into the formula and $\bar\alpha_{k-1}$
# has only $k-1$ factors, $\alpha_0 \cdots \alpha_{k-2}$: the formula becomes
# one step short and leaves out $\alpha_{k-1}$.
#
# **Two consistent ways to write it.** Keep the origin's definition and
# raise the index,
#
# $$X_k = \sqrt{\bar\alpha_k}\,X_0 + \sqrt{1 - \bar\alpha_k}\,\varepsilon,
#   \qquad \bar\alpha_k = \prod_{i=0}^{k-1}\alpha_i \quad\text{(Ho et al.'s way)},$$
#
# or keep the formula and define $\bar\alpha_k = \prod_{i=0}^{k}\alpha_i$
# (this repository's `alpha_bars`). What cannot be kept is the pair as printed.
#
# A number shows the difference at once. Taken literally (formula and
# definition together), the origin's text at $k = 1$ uses the empty product
# $\bar\alpha_0 = 1$: it says $X_1 = X_0$ with no noise at all, while the
# one-step rule adds variance $\beta_0 = 10^{-4}$. At $k = T$ the signal coefficient is too large by the
# factor $1/\sqrt{\alpha_{T-1}}$.

# %%
alphas = sched.alphas.numpy()


def abar_origin(k):
    """The origin's definition: prod_{i=0}^{k-1} alpha_i (k factors)."""
    return float(np.prod(alphas[:k]))


print("  k   noise var, chain   as written (abar_(k-1))   corrected (abar_k)")
for k in (1, 2, 10, T):
    chain = 1 - float(ab[k - 1])  # what k steps of the recursion give
    print(f"{k:4d} {chain:17.6f} {1 - abar_origin(k - 1):22.6f} {1 - abar_origin(k):19.6f}")
    assert np.isclose(1 - abar_origin(k), chain, rtol=1e-12, atol=0)

# %% [markdown]
# The sampler formula of the origin, $X_{t-1} = \frac{1}{\sqrt{\alpha_t}}\big(X_t -
# \frac{1-\alpha_t}{\sqrt{1-\bar\alpha_t}}\varepsilon_{\text{pred}}\big) +
# \sqrt{\beta_t}\,\varepsilon$, is Ho et al.'s equation in their 1-based
# numbering, where the step into $x_t$ uses $\alpha_t$. Read with the
# origin's own 0-based $\alpha$s it would be off by one as well: the step
# into $X_t$ used $\alpha_{t-1}$. In the code the reverse step at index $t$
# undoes forward step $t$ and so uses `alphas[t]`, `alpha_bars[t]` and
# `betas[t]` (notebook 05).

# %% [markdown]
# ## 5. Snapshots of the data cloud
#
# The closed form draws the rows after any number of steps directly. The
# panels show the origin's rows (raw units) after $k$ steps, with fresh
# noise for each panel. The line $x_2 = 2x_1$ first thickens, then the cloud
# shrinks toward the origin and turns into the round standard normal. The
# titles give $\bar\alpha$ and the exact correlation
# $2\bar\alpha / \sqrt{1 + 3\bar\alpha}$ from section 3.

# %%
snapshot_steps = (0, 10, 100, 300, 1000)
snap_gen = repro.torch_generator(3)
snapshots = {0: x0}
for k in snapshot_steps[1:]:
    noise = torch.randn(x0.shape, generator=snap_gen, dtype=torch.float64)
    snapshots[k] = q_sample(x0, k - 1, noise, sched)

# %%
fig, axes = plt.subplots(1, len(snapshot_steps), figsize=(14, 3.4), sharex=True, sharey=True,
                         layout="constrained")
for ax, k in zip(axes, snapshot_steps):
    a = 1.0 if k == 0 else abar[k - 1]
    pts = snapshots[k][:2000]
    ax.scatter(pts[:, 0], pts[:, 1], s=3, alpha=0.3, rasterized=True)
    ax.set_title(f"k = {k}: abar = {a:.3g}\ncorr = {2 * a / np.sqrt(1 + 3 * a):.3f}", fontsize=9)
    ax.set_xlabel("x1")
axes[0].set_ylabel("x2")
axes[0].set(xlim=(-5, 5), ylim=(-7, 7))
plotting.savefig(fig, "02_forward_snapshots")
plotting.show()

# %% [markdown]
# And the sample statistics of each snapshot against the exact law
# (mean $0$, $\operatorname{Var} x_1 = 1$, $\operatorname{Var} x_2 = 1 + 3\bar\alpha$):

# %%
print("   k  var x1 (exact)   var x2 (exact)    corr (exact)")
for k in snapshot_steps:
    a = 1.0 if k == 0 else abar[k - 1]
    s = snapshots[k]
    r = torch.corrcoef(s.T)[0, 1]
    print(f"{k:4d} {s[:, 0].var():7.3f} ({1.0:.3f}) {s[:, 1].var():8.3f} ({1 + 3 * a:.3f})"
          f" {r:9.3f} ({2 * a / np.sqrt(1 + 3 * a):.3f})")

# %% [markdown]
# ## 6. Writing noisy rows
#
# `data/noise_samples/linear_snapshots.csv` keeps the first 1,000 real rows
# noised after 10, 100, 300 and 1000 steps, in data units. Its columns:
#
# * `row`: the row's index in `data/real_samples/linear.csv`;
# * `t`: the code's 0-based step index, so the rows are
#   `q_sample(x0, t, ...)`, the state after `t + 1` steps;
# * `x1`, `x2`: the noisy row.
#
# Each block of 1,000 has its own noise (the blocks are separate draws of the
# closed form, not one chain).

# %%
keep = 1000
blocks = []
for k in snapshot_steps[1:]:
    block = np.column_stack([np.arange(keep), np.full(keep, k - 1), snapshots[k][:keep].numpy()])
    blocks.append(block)
table = np.vstack(blocks)
path = io.write_csv(paths.data_dir("noise_samples", "linear_snapshots.csv"), table,
                    header=["row", "t", "x1", "x2"])
print(f"{path.relative_to(paths.project_root())}: {table.shape[0]} rows x {table.shape[1]}")

# %% [markdown]
# Reading it back, the file answers the question this notebook started
# with: subtract $\sqrt{\bar\alpha_t}\,x_0$, divide by $\sqrt{1 - \bar\alpha_t}$,
# and what is left should be standard normal noise at every $t$.

# %%
stored, header = io.read_csv(path)
row, t_col = stored[:, 0].astype(int), stored[:, 1].astype(int)
recovered = (stored[:, 2:] - np.sqrt(abar[t_col])[:, None] * x0.numpy()[row]) \
    / np.sqrt(1 - abar[t_col])[:, None]
for t_value in np.unique(t_col):
    e = recovered[t_col == t_value]
    print(f"t = {t_value:3d}: recovered noise mean {e.mean():6.3f}, sd {e.std():.3f}")

# %% [markdown]
# ## Summary
#
# * One step: $x_{t+1} = \sqrt{\alpha_t}\,x_t + \sqrt{\beta_t}\,\varepsilon_t$.
# * Many steps at once: $x_{t+1} = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1 -
#   \bar\alpha_t}\,\varepsilon$ with $\bar\alpha_t = \alpha_0\cdots\alpha_t$;
#   proved by induction, each step checked numerically.
# * Covariance slides from $\Sigma$ to $I$ as $\bar\alpha_t\Sigma + (1 -
#   \bar\alpha_t)I$; standardized columns keep variance 1 and lose their
#   correlation.
# * The origin's compounded formula uses $\bar\alpha_{k-1}$ where its own
#   definition needs $\bar\alpha_k$; the code's `alpha_bars[k-1]` is the
#   product of the first $k$ factors.
#
# Notebook 03 tests the closed form statistically and compares schedules.
