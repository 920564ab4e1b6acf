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
# # 04 · Training the noise predictor
#
# Notebooks 02 and 03 built the forward process: a row of data, noised step
# by step until only a standard normal cloud is left. To generate new rows we
# have to run that process backwards, and for that we need one thing we do
# not have: a function that looks at a noisy row and says which noise was
# added to it. This notebook trains a small neural network to be that
# function.
#
# 1. The objective: why the network predicts the noise $\varepsilon$, and
#    what the best possible prediction is.
# 2. The network: a small MLP that is told the step $t$ through a sinusoidal
#    embedding.
# 3. Training with the origin's stop rule, with both of its outcomes.
# 4. Loss curves and the moving average of the weights (EMA).
# 5. The loss at each step $t$, against the best loss any predictor can
#    reach. For Gaussian data that floor has a closed form, which we derive
#    and check by Monte Carlo.
#
# The trained model is saved under `data/models/`; notebooks 05 to 07 load it
# from there, and rebuild it exactly when it is missing.

# %%
import math

import matplotlib.pyplot as plt
import numpy as np
import torch

from ddpm_lib import pipeline, plotting, repro
from ddpm_lib.model import NoisePredictor, sinusoidal_embedding
from ddpm_lib.oracle import GaussianOracle, mmse_average, mmse_per_step
from ddpm_lib.sampling import predict_x0
from ddpm_lib.scaler import Standardizer
from ddpm_lib.training import (TrainConfig, ema_update, heldout_mse,
                               noise_prediction_loss, split_rows, train)

repro.seed_everything(0)
plotting.use_quiet_style()

# %% [markdown]
# ## The data the network sees
#
# The origin's rows $[x, 2x]$ with $x \sim \mathcal N(0, 1)$: 10,000 of them,
# the same rows notebook 01 wrote. `RunConfig()` holds the settings of the
# whole experiment, with the origin's values as defaults, and the schedule of
# notebook 02 ($T = 1000$ linear betas from $10^{-4}$ to $0.02$).
#
# Before training, 10 % of the rows are set aside (the *held-out* rows, used
# only to decide when to stop) and each column is standardized with the mean
# and standard deviation of the training rows. The schedule is designed for
# data of unit scale: after $T$ steps a row should look like $\mathcal N(0, I)$.

# %%
config = pipeline.RunConfig()
schedule = config.make_schedule()
rows = pipeline.real_rows(config.structure, config.n, config.seed)

split_gen = repro.torch_generator(config.seed)  # the generator training starts from
train_idx, hold_idx = split_rows(len(rows), config.training.holdout_fraction, split_gen)
scaler = Standardizer.fit(rows[train_idx])
z_train = scaler.transform(rows[train_idx])
z_hold = scaler.transform(rows[hold_idx])
print(f"training rows: {len(train_idx):,}   held-out rows: {len(hold_idx):,}   "
      f"steps T = {schedule.T}")

# %% [markdown]
# Standardizing $[x, 2x]$ divides the second column by twice what the first
# is divided by, so both columns become *the same* number: every standardized
# row is $[u, u]$ with $u$ of mean 0 and variance 1. Their covariance is
# $\Sigma = \begin{pmatrix}1 & 1\\ 1 & 1\end{pmatrix}$, a matrix of rank one:
# all the data lie on the diagonal line.

# %%
cov_train = np.cov(z_train.T)
print("covariance of the standardized training rows:")
for row in cov_train:
    print("  " + "  ".join(f"{v:.6f}" for v in row))
print(f"largest |column 1 - column 2|: {np.abs(z_train[:, 0] - z_train[:, 1]).max():.1e}")

# %% [markdown]
# ## 1. The objective: predict the noise
#
# Notebook 02 showed that the state after $t + 1$ noising steps can be drawn
# in one go:
#
# $$x_{t+1} = \sqrt{\bar\alpha_t}\, x_0 + \sqrt{1 - \bar\alpha_t}\,\varepsilon,
#   \qquad \varepsilon \sim \mathcal N(0, I).$$
#
# Each training step does four things:
#
# 1. a training row $x_0$, a step index $t$ uniform on $0, \dots, T-1$, and
#    noise $\varepsilon$;
# 2. the noisy row $x_{t+1}$ from the formula above;
# 3. the network's guess $\hat\varepsilon = \varepsilon_\theta(x_{t+1}, t)$;
# 4. a gradient step on the squared error, averaged over the $d$ coordinates,
#
# $$L(\theta) = \mathbb E\,\tfrac1d\,\big\|\varepsilon -
#   \varepsilon_\theta(x_{t+1}, t)\big\|^2 .$$
#
# One batch by hand, with an untrained network, and then the library's
# `noise_prediction_loss`:

# %%
net = NoisePredictor(dim=2)  # random weights, drawn from the seed above
gen = repro.torch_generator(1)
x0 = torch.as_tensor(z_train[:256], dtype=torch.float32)
t = torch.randint(0, schedule.T, (len(x0),), generator=gen)
eps = torch.randn(x0.shape, generator=gen)

abar = schedule.alpha_bars[t].float().unsqueeze(1)
x_noisy = abar.sqrt() * x0 + (1 - abar).sqrt() * eps
with torch.no_grad():
    loss_by_hand = ((net(x_noisy, t) - eps) ** 2).mean()
    loss_lib = noise_prediction_loss(net, x0, t, eps, schedule)
assert torch.allclose(loss_by_hand, loss_lib, rtol=1e-6)
print(f"loss of the untrained network on one batch: {loss_by_hand.item():.2f}")

# %% [markdown]
# An untrained network outputs numbers near 0, so its loss is close to
# $\mathbb E\,\varepsilon^2 = 1$: that is the loss of knowing nothing.
#
# **Why predict the noise, and not the clean row?** Three reasons.
#
# *It is the same information.* Given $x_{t+1}$, the formula can be solved
# for $x_0$, so a guess of the noise is a guess of the clean row:
#
# $$\hat x_0 = \frac{x_{t+1} - \sqrt{1 - \bar\alpha_t}\,\hat\varepsilon}
#   {\sqrt{\bar\alpha_t}}, \qquad
#   \|x_0 - \hat x_0\|^2 = \frac{1 - \bar\alpha_t}{\bar\alpha_t}\,
#   \|\varepsilon - \hat\varepsilon\|^2 .$$
#
# *The target has the same scale at every step.* $\varepsilon$ always has
# variance 1, whatever $t$; the clean row's error would be tiny at small $t$
# and huge at large $t$. Read the other way, the noise loss weights the
# errors in $\hat x_0$ by $\bar\alpha_t / (1 - \bar\alpha_t)$, which is large
# at small $t$: exactly where the fine structure of the rows (how thin the
# line is) gets decided.
#
# *It is plain regression.* Among all functions of $(x_{t+1}, t)$ the squared
# error is smallest for the conditional mean
# $\mathbb E[\varepsilon \mid x_{t+1}]$. The network is a flexible regression
# of $\varepsilon$ on the noisy row, and the reverse sampler of notebook 05
# needs exactly that conditional mean.
#
# The identity between the two errors, checked at one step with the
# untrained network's guesses (`predict_x0` is the library's inversion):

# %%
step = 100
a_t = schedule.alpha_bars[step].item()
x0_64 = torch.as_tensor(z_train[:256])
eps_64 = torch.randn(x0_64.shape, generator=gen, dtype=torch.float64)
x_step = math.sqrt(a_t) * x0_64 + math.sqrt(1 - a_t) * eps_64
with torch.no_grad():
    eps_hat = net(x_step.float(), torch.full((256,), step)).double()

x0_hat = predict_x0(x_step, step, eps_hat, schedule)
lhs = ((x0_64 - x0_hat) ** 2).sum(dim=1)
rhs = (1 - a_t) / a_t * ((eps_64 - eps_hat) ** 2).sum(dim=1)
assert torch.allclose(lhs, rhs, rtol=1e-9)
assert torch.allclose(predict_x0(x_step, step, eps_64, schedule), x0_64, atol=1e-12)
print(f"t = {step}: weight (1 - abar) / abar = {(1 - a_t) / a_t:.4f}")

# %% [markdown]
# ## 2. The network
#
# `ddpm_lib.model.NoisePredictor` is a multilayer perceptron: the noisy row
# goes through three hidden layers of 128 units with the SiLU activation and
# comes out as a vector of the same length, the predicted noise. The step
# $t$ enters every hidden layer: it is turned into 32 features, passed through
# a small layer, and *added* to each hidden layer's input. The whole forward
# pass, in the library's own words:
#
# ```python
# temb = time_mlp(sinusoidal_embedding(t, 32))
# h = silu(inp(x) + time_proj[0](temb))
# for layer, proj in zip(hidden, time_proj[1:]):
#     h = silu(layer(h) + proj(temb))
# return out(h)
# ```
#
# Why not feed $t$ as one number? The network has to behave very differently
# at $t = 5$ (the row is nearly clean) and at $t = 900$ (it is nearly all
# noise), and a single input scaled into a linear layer makes such switches
# hard to learn. The sinusoidal embedding, borrowed from the position
# encoding of transformers, writes $t$ as sines and cosines at 16 frequencies
# $w_k = 10000^{-k/16}$, $k = 0, \dots, 15$:
#
# $$e(t) = \big[\sin(w_0 t), \dots, \sin(w_{15} t),\;
#   \cos(w_0 t), \dots, \cos(w_{15} t)\big].$$
#
# High frequencies tell neighbouring steps apart, low ones tell the early
# steps from the late ones. By hand, then against the library:

# %%
t_demo = torch.tensor([0, 1, 10, 500, 999])
freqs = 10_000.0 ** (-np.arange(16) / 16)
angles = t_demo.numpy()[:, None] * freqs[None, :]
emb_by_hand = np.concatenate([np.sin(angles), np.cos(angles)], axis=1)
emb_lib = sinusoidal_embedding(t_demo, 32).numpy()
assert np.allclose(emb_by_hand, emb_lib, atol=1e-4)  # float32 sines of t up to 999
print(f"{net.num_parameters():,} trainable parameters; "
      f"embedding of t = 10, first four features: "
      + ", ".join(f"{v:.3f}" for v in emb_lib[2, :4]))

# %%
steps = torch.arange(schedule.T)
fig, ax = plt.subplots(figsize=(6.4, 3.0), layout="constrained")
im = ax.imshow(sinusoidal_embedding(steps, 32).numpy().T, aspect="auto",
               cmap="RdBu_r", vmin=-1, vmax=1, interpolation="nearest")
ax.set_xlabel("step index t")
ax.set_ylabel("feature (sines, then cosines)")
ax.set_title("Sinusoidal embedding of the step t")
ax.grid(False)
fig.colorbar(im, ax=ax)
plotting.savefig(fig, "04_time_embedding")
plotting.show()

# %% [markdown]
# Each row of the picture is one feature across all steps: the top rows
# (high frequencies) oscillate quickly, the lower rows of each half change
# slowly over the whole range of $t$.
#
# ## 3. Training, and the origin's stop rule
#
# The origin stopped training when the mean squared error fell *below a
# threshold*, or after a *maximum number of iterations*, whichever came
# first. `ddpm_lib.training.train` keeps that rule and makes it precise:
#
# - one *iteration* is one pass over the training rows, in batches of 128,
#   each row with a fresh $t$ and fresh noise;
# - after each iteration the MSE is measured on the **held-out** rows, at
#   $(t, \varepsilon)$ pairs drawn once at the start (four per row), so that
#   the number moves only because the network changed;
# - `TrainResult.stopped_by` says which rule fired: `"threshold"` or
#   `"max_iterations"`.
#
# We show both outcomes on a smaller problem (the first 4,000 rows). First the
# origin's own settings, a threshold of 0.21 and at most 50 iterations:

# %%
small = rows[:4000]
by_threshold = train(small, schedule, TrainConfig(threshold=0.21, max_iterations=50))
print(f"threshold 0.21, at most 50 iterations -> stopped by "
      f"{by_threshold.stopped_by} after {by_threshold.iterations} iterations, "
      f"held-out MSE {by_threshold.final_mse:.3f}")

# %% [markdown]
# The threshold fired once the held-out MSE had come down to 0.21. Now a
# threshold of 0.10 with at most 20 iterations:

# %%
by_maximum = train(small, schedule, TrainConfig(threshold=0.10, max_iterations=20))
print(f"threshold 0.10, at most 20 iterations -> stopped by "
      f"{by_maximum.stopped_by} after {by_maximum.iterations} iterations, "
      f"held-out MSE {by_maximum.final_mse:.3f}")

# %% [markdown]
# Here the maximum fired, and no number of iterations would have let the
# threshold fire: section 5 shows that for these data *no* predictor can
# reach an average MSE below 0.167 over all steps and noise draws (a finite
# set of held-out draws can score a little lower, as we will see). A threshold is only meaningful next to
# that floor. Even above it, the held-out MSE is an estimate from a finite
# set of draws (here 1,600), with a spread of about $\pm 0.01$, so a threshold
# within a hundredth or two of the floor fires or not by the luck of those
# draws.
#
# ### The tutorial's model
#
# The model used from here on is trained with `RunConfig()`'s defaults
# (printed below): all 9,000 training rows, Adam with a learning rate that
# decays along a cosine to a twentieth of its start, and a threshold of 0,
# which never fires, so the maximum number of iterations always does.
# `pipeline.trained_model` loads the model from `data/models/linear_seed0.pt`
# when that file holds one trained with exactly these settings, and
# otherwise trains it (deterministically, in well under a minute) and saves
# it there. Either way the weights are the same.

# %%
tc = config.training
print(f"width {tc.width}, depth {tc.depth}, batch {tc.batch_size}, learning rate "
      f"{tc.lr:g}, EMA decay {tc.ema_decay}, threshold {tc.threshold:g}, "
      f"at most {tc.max_iterations} iterations")
ckpt = pipeline.trained_model(config)
summary = ckpt.config["training_result"]
history = ckpt.config["history"]
assert np.array_equal(ckpt.scaler.mean, scaler.mean)   # the split above is the
assert np.array_equal(ckpt.scaler.scale, scaler.scale)  # one training used
print(f"stopped by {summary['stopped_by']} after {summary['iterations']} iterations; "
      f"final held-out MSE (EMA weights) {summary['final_mse']:.4f}")
print(f"checkpoint: "
      f"{pipeline.model_path(config).relative_to(pipeline.paths.project_root())}")

# %% [markdown]
# The stop rule's held-out draws (four $(t, \varepsilon)$ pairs for each of
# the 1,000 held-out rows) come from the same seeded generator as the split,
# so we can draw them again here. The network's MSE on them must be the final
# MSE that training reported:

# %%
z_eval = torch.as_tensor(z_hold, dtype=torch.float32).repeat(
    config.training.holdout_draws, 1)
t_eval = torch.randint(0, schedule.T, (len(z_eval),), generator=split_gen)
eps_eval = torch.randn(z_eval.shape, generator=split_gen)
final_again = heldout_mse(ckpt.model, z_eval, t_eval, eps_eval, schedule)
assert math.isclose(final_again, summary["final_mse"], rel_tol=1e-5)
print(f"{len(z_eval):,} held-out draws; MSE of the saved weights on them: "
      f"{final_again:.4f}")

# %% [markdown]
# ## 4. Loss curves and the moving average of the weights
#
# Three curves per iteration: the training loss (the mean over the pass's
# batches, while the weights were still moving), the held-out MSE of the
# weights at the end of the pass, and the held-out MSE of their exponential
# moving average (EMA). The two dashed lines come from section 5, where they
# are derived: the smallest *average* loss any predictor can reach for these
# data (0.167), and the loss of that best predictor on the stop rule's own
# 4,000 held-out draws. The second is the fair line for the held-out
# curves: a finite set of draws can be easier or harder than the average.
#
# The EMA is a second copy of the weights that follows the first slowly.
# After every gradient step,
#
# $$\theta_{\text{EMA}} \leftarrow \gamma\,\theta_{\text{EMA}} +
#   (1 - \gamma)\,\theta, \qquad \gamma = 0.995 .$$
#
# It is an average over roughly the last $1/(1 - \gamma) = 200$ steps, about
# three passes over the data here. Stochastic gradient descent makes the
# weights jitter around a good solution from batch to batch; the average
# sits nearer the middle of that jitter. Sampling uses the EMA copy. One
# update by hand, against `ema_update`:

# %%
raw_layer, avg_layer = torch.nn.Linear(2, 2), torch.nn.Linear(2, 2)
with torch.no_grad():
    for p in raw_layer.parameters():
        p.fill_(1.0)
    for p in avg_layer.parameters():
        p.fill_(0.0)
ema_update(avg_layer, raw_layer, decay=0.995)
assert all(torch.allclose(p, torch.full_like(p, 0.005)) for p in avg_layer.parameters())
steps_per_pass = math.ceil(len(train_idx) / config.training.batch_size)
print(f"one update moves the average 0.5 % of the way; {steps_per_pass} steps per pass, "
      f"window about {1 / (1 - 0.995) / steps_per_pass:.1f} passes")

# %%
sigma_line = np.ones((2, 2))                     # covariance of standardized [x, 2x]
floor = mmse_average(sigma_line, schedule)
oracle = GaussianOracle(np.zeros(2), sigma_line, schedule)   # section 5
oracle_eval = heldout_mse(oracle, z_eval, t_eval, eps_eval, schedule)

fig, ax = plt.subplots(layout="constrained")
its = history["iteration"]
ax.plot(its, history["train_loss"], label="training loss (mean over the pass)")
ax.plot(its, history["heldout_mse"], label="held-out MSE, raw weights")
ax.plot(its, history["heldout_mse_ema"], label="held-out MSE, EMA weights")
ax.axhline(floor, color="black", ls="--", lw=1,
           label=f"best possible on average ({floor:.3f})")
ax.axhline(oracle_eval, color="grey", ls="--", lw=1,
           label=f"best possible on the held-out draws ({oracle_eval:.3f})")
ax.set_xlabel("iteration (pass over the 9,000 training rows)")
ax.set_ylabel("noise-prediction MSE")
ax.set_ylim(min(oracle_eval, floor) - 0.01, floor + 0.06)
ax.legend()
plotting.savefig(fig, "04_loss_curves")
plotting.show()

# %%
floor_at_draws = mmse_per_step(sigma_line, schedule)[t_eval.numpy()].mean()
print(f"best possible on the held-out draws: {oracle_eval:.4f} "
      f"(the floor at their t values alone: {floor_at_draws:.4f})")
raw, avg = np.array(history["heldout_mse"]), np.array(history["heldout_mse_ema"])
third = len(raw) // 3
for first, last in ((1, third), (third + 1, 2 * third), (2 * third + 1, len(raw))):
    part = slice(first - 1, last)
    print(f"iterations {first:3d}-{last:3d}: held-out MSE raw {raw[part].mean():.4f} "
          f"(sd {raw[part].std():.4f}), EMA {avg[part].mean():.4f} "
          f"(sd {avg[part].std():.4f})")

# %% [markdown]
# What the EMA changes. In the first passes the average *lags*: it still
# carries much of the random initial weights (after the first pass of 71
# steps, $0.995^{71} \approx 70\,\%$ of them), so its loss starts high. After
# that it is lower and far steadier than the raw weights, whose held-out MSE
# jumps from pass to pass; the draws are fixed, so those jumps are the
# network changing, not measurement noise. Towards the end, with the learning
# rate decayed, the raw weights jitter less and the two copies nearly meet.
#
# ## 5. The best loss any predictor can reach
#
# The loss cannot go to zero: from a noisy row alone, part of the noise is
# impossible to tell apart from the data. How much? For Gaussian data there
# is an exact answer, and standardized $[x, 2x]$ rows *are* Gaussian (a
# degenerate Gaussian on a line), so we can draw the floor under the curves.
#
# **Derivation.** Let $x_0 \sim \mathcal N(\mu, \Sigma)$ and
# $x = \sqrt{\bar\alpha}\,x_0 + \sqrt{1 - \bar\alpha}\,\varepsilon$ (dropping
# the step index). Then $(\varepsilon, x)$ is jointly Gaussian with
#
# $$\operatorname{Cov}(x) = C = \bar\alpha\,\Sigma + (1 - \bar\alpha) I,
#   \qquad \operatorname{Cov}(\varepsilon, x) = \sqrt{1 - \bar\alpha}\; I .$$
#
# For jointly Gaussian vectors the conditional mean is linear,
# $\mathbb E[\varepsilon \mid x] = \operatorname{Cov}(\varepsilon, x)\,
# C^{-1} (x - \mathbb E x)$, and what is left over has covariance
# $I - \operatorname{Cov}(\varepsilon, x)\, C^{-1} \operatorname{Cov}(x,
# \varepsilon)$. Here:
#
# $$\mathbb E[\varepsilon \mid x] = \sqrt{1 - \bar\alpha}\; C^{-1}
#   \big(x - \sqrt{\bar\alpha}\,\mu\big), \qquad
#   \operatorname{MMSE}(t) = \tfrac1d \operatorname{tr}\big[I - (1 -
#   \bar\alpha)\, C^{-1}\big].$$
#
# The second formula is the minimum mean squared error per coordinate: no
# function of $x$, however flexible, does better on average. $C$ is
# invertible even though $\Sigma$ is not, because $1 - \bar\alpha > 0$ at every
# step.
#
# In the eigenbasis of $\Sigma$ (variances $\lambda_i$ along its eigenvectors)
# everything is diagonal, and each direction contributes
# $\bar\alpha\lambda_i / (\bar\alpha\lambda_i + 1 - \bar\alpha)$. Our
# $\Sigma$ has $\lambda = 2$ along the line and $\lambda = 0$ across it, so
#
# $$\operatorname{MMSE}(t) = \tfrac12\Big(\frac{2\bar\alpha_t}{1 +
#   \bar\alpha_t} + 0\Big) = \frac{\bar\alpha_t}{1 + \bar\alpha_t}.$$
#
# Across the line the noise is all there is, so it is predicted perfectly.
# Along the line, early on ($\bar\alpha_t \approx 1$) the data's spread of 2
# swamps the noise and half of the squared error is left; late
# ($\bar\alpha_t \approx 0$) the row is nearly all noise and nearly all of
# it is predictable. The formula by direct matrix inversion, against
# `ddpm_lib.oracle.mmse_per_step`:

# %%
abars, betas = schedule.alpha_bars.numpy(), schedule.betas.numpy()
floor_t = mmse_per_step(sigma_line, schedule)
for step in (0, 100, 400, 999):
    c = abars[step] * sigma_line + (1 - abars[step]) * np.eye(2)
    by_inversion = np.trace(np.eye(2) - (1 - abars[step]) * np.linalg.inv(c)) / 2
    assert math.isclose(by_inversion, floor_t[step], rel_tol=1e-10)
    assert math.isclose(abars[step] / (1 + abars[step]), floor_t[step], rel_tol=1e-12)
    print(f"t = {step:3d}: abar = {abars[step]:.4f}, "
          f"best possible MSE = {floor_t[step]:.4f}")
print(f"averaged over t: {floor:.5f}")

# %% [markdown]
# **Monte Carlo check.** `GaussianOracle` is the conditional-mean formula
# packed as a noise predictor, called exactly like the network. On 20,000
# fresh rows with random $t$ its squared error should match the average floor
# up to sampling error, and scaling its output up or down by 10 % should only
# make things worse:

# %%
gen_mc = repro.torch_generator(2)
u = torch.randn(20_000, 1, generator=gen_mc, dtype=torch.float64)
x0_mc = torch.cat([u, u], dim=1)                      # standardized [x, 2x] rows
t_mc = torch.randint(0, schedule.T, (20_000,), generator=gen_mc)
eps_mc = torch.randn(x0_mc.shape, generator=gen_mc, dtype=torch.float64)
ab = schedule.alpha_bars[t_mc].unsqueeze(1)
x_mc = ab.sqrt() * x0_mc + (1 - ab).sqrt() * eps_mc

err = ((oracle(x_mc, t_mc) - eps_mc) ** 2).mean(dim=1)
se = err.std().item() / math.sqrt(len(err))
expected = floor_t[t_mc.numpy()].mean()
assert abs(err.mean().item() - expected) < 4 * se
for k in (0.9, 1.1):
    assert ((k * oracle(x_mc, t_mc) - eps_mc) ** 2).mean() > err.mean()
print(f"oracle MSE {err.mean().item():.4f} +- {se:.4f}  vs formula {expected:.4f}")

# %% [markdown]
# ### The trained network against the floor, step by step
#
# Now the loss at each step. We take 1,000 training rows and 1,000 held-out
# rows and noise every one of them at each of 60 steps (every step from 0 to
# 9, then every 20th up to 990), with the same noise draws for both sets. The oracle sees
# the held-out draws too, so the gap between the network and the oracle on
# identical inputs is the network's own error, free of sampling noise.
# `heldout_mse(..., per_step=True)` averages the squared error within each
# step.

# %%
grid = torch.tensor(sorted(set(range(10)) | set(range(10, schedule.T, 20))))
show = [0, 1, 2, 5, 10, 50, 110, 310, 610, 990]      # steps to print
at = {int(s): i for i, s in enumerate(grid)}         # step -> position in grid
n_each = 1000
t_grid = grid.repeat_interleave(n_each)
eps_grid = torch.randn(len(t_grid), 2, generator=repro.torch_generator(3))


def grid_rows(z_rows):
    """The first n_each rows, each noised at every grid step: (x0, noisy row)."""
    x0_rows = torch.as_tensor(z_rows[:n_each], dtype=torch.float32).repeat(len(grid), 1)
    ab_rows = schedule.alpha_bars[t_grid].float().unsqueeze(1)
    return x0_rows, ab_rows.sqrt() * x0_rows + (1 - ab_rows).sqrt() * eps_grid


def grid_errors(model, z_rows):
    """Prediction error eps_hat - eps, shape (grid steps, n_each, 2)."""
    with torch.no_grad():
        diff = model(grid_rows(z_rows)[1], t_grid).float() - eps_grid
    return diff.reshape(len(grid), n_each, 2)


def per_step(errors):
    return (errors ** 2).mean(dim=(1, 2)).numpy()


err_net_train = grid_errors(ckpt.model, z_train)
err_net_hold = grid_errors(ckpt.model, z_hold)
err_oracle_hold = grid_errors(oracle, z_hold)
net_train, net_hold = per_step(err_net_train), per_step(err_net_hold)
oracle_hold = per_step(err_oracle_hold)

# %% [markdown]
# The noisy rows are built by hand here; the library's `heldout_mse(...,
# per_step=True)`, which the training loop uses, must give the same loss per
# step:

# %%
x0_rows, _ = grid_rows(z_hold)
lib_per_step = heldout_mse(ckpt.model, x0_rows, t_grid, eps_grid, schedule,
                           per_step=True)[grid].numpy()
assert np.allclose(lib_per_step, net_hold, rtol=1e-4)
print(f"t = 0: network MSE on held-out rows {net_hold[0]:.4f}, "
      f"best possible {floor_t[0]:.4f}")

# %%
fig, ax = plt.subplots(layout="constrained")
ax.plot(np.arange(schedule.T) + 1, floor_t, color="black", lw=1.5,
        label="best possible: abar / (1 + abar)")
ax.plot(grid + 1, oracle_hold, "o", ms=3, color="grey", label="oracle, held-out draws")
ax.plot(grid + 1, net_train, "-", lw=1, label="network, training rows")
ax.plot(grid + 1, net_hold, "--", lw=1, label="network, held-out rows")
ax.set_xscale("log")
ax.set_xlabel("t + 1, noising steps behind the row (log scale)")
ax.set_ylabel("noise-prediction MSE per coordinate")
ax.set_title("Loss per step against the floor")
ax.legend()
plotting.savefig(fig, "04_loss_per_step")
plotting.show()

# %% [markdown]
# The floor falls from one half at $t = 0$ to nearly 0 at $t = 999$, and the
# network follows it closely, except at the very first steps, where it is
# clearly above. The training and held-out curves lie on top of each other:
# with 9,000 rows the network has not memorized its training set. The
# difference from the oracle, on the same draws, at a few steps:

# %%
def signed(value, digits=4):
    """+x.xxxx, with a value that rounds to zero printed as +0.0000, never -0.0000."""
    return f"{round(value, digits) + 0.0:+.{digits}f}"


print(" step   best   oracle  network(train)  network(held-out)  excess(held-out)")
for s in show:
    i = at[s]
    print(f"{s:5d}  {floor_t[s]:.4f}  {oracle_hold[i]:.4f}      {net_train[i]:.4f}"
          f"            {net_hold[i]:.4f}"
          f"            {signed(net_hold[i] - oracle_hold[i])}")
excess = net_hold - oracle_hold
print(f"largest excess at t = {int(grid[np.argmax(excess)])}; averaged over the stop "
      f"rule's draws the network is {signed(final_again - oracle_eval)} above the oracle")

# %% [markdown]
# ### Along the line and across it
#
# The per-coordinate loss mixes two directions. Along the line (direction
# $(1, 1)/\sqrt2$) some error is unavoidable; across it (direction
# $(1, -1)/\sqrt2$) the best predictor makes *no* error at all, because there
# the noisy row is pure noise. So every bit of error across the line is the
# network's, and it is this error that will make the generated rows a
# little thicker than the perfectly thin real line (notebook 05).

# %%
along = torch.tensor([1.0, 1.0]) / math.sqrt(2)
across = torch.tensor([1.0, -1.0]) / math.sqrt(2)


def per_step_along(errors, direction):
    return ((errors @ direction) ** 2).mean(dim=1).numpy()


fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharex=True,
                         layout="constrained")
for ax, direction, name in ((axes[0], along, "along the line"),
                            (axes[1], across, "across the line")):
    ax.plot(grid + 1, per_step_along(err_net_hold, direction), "--", label="network")
    if name.startswith("along"):
        ax.plot(grid + 1, per_step_along(err_oracle_hold, direction), color="grey",
                label="oracle")
        ax.plot(np.arange(schedule.T) + 1, 2 * floor_t, color="black", lw=1,
                label="best possible: 2 abar / (1 + abar)")
    ax.set_title(f"squared error {name}")
    ax.set_xlabel("t + 1 (log scale)")
    ax.set_xscale("log")
    ax.set_yscale("log")
axes[0].set_ylabel("mean squared error")
axes[0].legend()
plotting.savefig(fig, "04_loss_by_direction")
plotting.show()

# %%
across_net = per_step_along(err_net_hold, across)
across_oracle = per_step_along(err_oracle_hold, across)
print(f"oracle error across the line below 1e-8 at every step: "
      f"{bool((across_oracle < 1e-8).all())}")
for s in show[:6]:
    print(f"t = {s:3d}: network error across the line {across_net[at[s]]:.4f}")

# %% [markdown]
# Nearly all of the network's excess sits in the first few steps, most of it
# at $t = 0$, and across the line.
# Why there? At $t = 0$ the noisy row is $x_1 = \sqrt{\bar\alpha_0}\,x_0 +
# 0.01\,\varepsilon$, and the best predictor must divide whatever lies off
# the line by $\sqrt{1 - \bar\alpha_0} = 0.01$: a function that is a
# hundred times steeper across the line than anything the network needs at
# later steps. The step $t = 0$ is also only one of 1,000, so it gets a
# thousandth of the training examples. Where the noise is larger, the same
# job needs only a gentle slope, and the network does it well.
#
# This matters at the end of sampling. The last reverse step (notebook 05)
# is $x_0 = \big(x_1 - \beta_0 / \sqrt{1 - \bar\alpha_0}\;\hat\varepsilon
# \big)/\sqrt{\alpha_0}$, with a coefficient of about 0.01 in front of
# $\hat\varepsilon$. An error $e$ in $\hat\varepsilon$ across the line moves
# the finished row about $0.01\,e$ off the line, and since $z_2 - z_1 =
# \sqrt2 \times$ (distance across the line), the line's relative thickness
# $\operatorname{sd}(x_2 - 2x_1)/\operatorname{sd}(x_2)$ grows by about
# $\sqrt2 \times 0.01 \times \operatorname{sd}(e)$ from this step alone:

# %%
coef = betas[0] / math.sqrt(1 - abars[0]) / math.sqrt(schedule.alphas[0].item())
from_last_step = math.sqrt(2) * coef * math.sqrt(across_net[0])
print(f"coefficient of eps_hat at the last step: {coef:.4f}; thickness from the "
      f"last step's error alone: about {from_last_step:.4f}")

# %% [markdown]
# Notebook 05 measures the thickness of the generated rows, all steps
# together.
#
# ## Summary
#
# - The network is trained to predict the noise in a noisy row; that is a
#   regression whose best solution is $\mathbb E[\varepsilon \mid x_{t+1}]$,
#   and a guess of the noise is a guess of the clean row.
# - The origin's stop rule works as a rule, but its threshold must be read
#   against the floor: for standardized $[x, 2x]$ no predictor gets below an
#   average MSE of 0.167, and the floor changes with the data and the
#   schedule, so a fixed number such as 0.21 means different things for
#   different data.
# - The EMA copy of the weights lags at first, then is lower and steadier
#   than the raw weights; by the end, with a decayed learning rate, the two
#   copies nearly agree.
# - Step by step the network sits close to the floor on training and
#   held-out rows alike, except at the very first steps, across the line,
#   where the best predictor is steepest. That error is what notebook 05
#   will see as a slightly thick line.
#
# The model is in `data/models/linear_seed0.pt`. Notebook 05 runs the
# sampler with it.
