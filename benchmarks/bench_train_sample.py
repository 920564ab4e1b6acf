"""Speed and fidelity of the origin experiment with default settings.

Prints: training steps per second, sampling row-steps per second, the time of
default training plus sampling 10,000 rows at T = 1000 (target: under 60 s on
2 cores), and the fidelity figures of the foundation issue: each column's W1
and KS distance to held-out real rows against the real-vs-real floor (median
over 50 fresh real draws at the same n), the OLS slope of column 2 on
column 1, and the spread across the line, sd(x2 - 2 x1) / sd(x2).

    .venv/bin/python benchmarks/bench_train_sample.py
"""

import time

import numpy as np
import statsmodels.api as sm
import torch
from scipy import stats

from ddpm_lib.pipeline import RunConfig, real_rows
from ddpm_lib.samples import get_law
from ddpm_lib.training import sample_rows, train


def main():
    config = RunConfig()
    schedule = config.make_schedule()
    rows = real_rows(config.structure, config.n, config.seed)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")

    t0 = time.perf_counter()
    result = train(rows, schedule, config.training)
    t_train = time.perf_counter() - t0
    steps = result.iterations * int(np.ceil(len(result.train_index) / config.training.batch_size))
    print(f"training: {steps} steps in {t_train:.1f} s = {steps / t_train:.0f} steps/s "
          f"(batch {config.training.batch_size}, stopped by {result.stopped_by}, "
          f"held-out MSE {result.final_mse:.4f})")

    n = 10_000
    t0 = time.perf_counter()
    fake = sample_rows(result, result.scaler, schedule, n, seed=1)
    t_sample = time.perf_counter() - t0
    print(f"sampling: {n} rows x {schedule.T} steps in {t_sample:.1f} s = "
          f"{n * schedule.T / t_sample:.3g} row-steps/s")
    total = t_train + t_sample
    print(f"training + sampling: {total:.1f} s (target < 60 s): "
          f"{'met' if total < 60 else 'NOT met'}")

    law = get_law("linear")
    holdout = law.sample(n, seed=1000)
    print(f"\nfidelity at n = {n} (floor: median over 50 real draws against the same holdout)")
    for j in range(2):
        w1 = stats.wasserstein_distance(fake[:, j], holdout[:, j])
        ks = stats.ks_2samp(fake[:, j], holdout[:, j]).statistic
        w1_f, ks_f = [], []
        for b in range(50):
            other = law.sample(n, seed=2000 + b)
            w1_f.append(stats.wasserstein_distance(other[:, j], holdout[:, j]))
            ks_f.append(stats.ks_2samp(other[:, j], holdout[:, j]).statistic)
        w1_f, ks_f = np.median(w1_f), np.median(ks_f)
        print(f"  column {j + 1}: W1 {w1:.4f} (floor {w1_f:.4f}, ratio {w1 / w1_f:.2f}); "
              f"KS {ks:.4f} (floor {ks_f:.4f}, ratio {ks / ks_f:.2f}); target ratio <= 1.5")
    ols = sm.OLS(fake[:, 1], sm.add_constant(fake[:, 0])).fit()
    lo, hi = ols.conf_int()[1]
    slope = ols.params[1]
    print(f"  OLS slope of x2 on x1: {slope:.4f} (95% CI {lo:.4f} to {hi:.4f}); "
          f"off by {abs(slope - 2) / 2:.2%} (target within 1%)")
    spread = np.std(fake[:, 1] - 2 * fake[:, 0]) / np.std(fake[:, 1])
    print(f"  spread across the line sd(x2 - 2 x1) / sd(x2): {spread:.2%} (target 1%)")
    print(f"  column sd ratios fake / true: {fake[:, 0].std() / 1:.4f}, "
          f"{fake[:, 1].std() / 2:.4f}")


if __name__ == "__main__":
    main()
