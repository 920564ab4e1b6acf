"""Speed and power of ``ddpm_lib.validation.validate`` at its defaults.

Prints, for every structure, the time of one ``validate`` of 2,000 synthetic
rows against the law with the default 200 floor draws (target: under 30 s
on 2 cores), then the verdict table of the origin's law ([x, 2x]) and, with
``--power``, the verdicts on the nine defects of tests/test_validation_power.py
at the default floor (the tests use 40 draws to stay fast).

    .venv/bin/python benchmarks/bench_validation.py [--power]
"""

import argparse
import os
import time

import numpy as np

from ddpm_lib.samples import STRUCTURES, get_law
from ddpm_lib.validation import validate

N = 2000


def draw(structure, seed, n=N, **params):
    return get_law(structure, **params).sample(n, np.random.default_rng([seed, 11]))


def timings():
    print(f"{os.cpu_count()} CPUs, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}")
    print(f"{'structure':10s} {'d':>2s} {'checks':>6s} {'seconds':>8s}  verdict")
    for name in STRUCTURES:
        real, fake = draw(name, 0), draw(name, 1)
        t0 = time.perf_counter()
        report = validate(real, fake, name, seed=0)
        seconds = time.perf_counter() - t0
        verdict = ("preserved" if report.distribution_preserved
                   and report.dependencies_preserved else "NOT preserved")
        print(f"{name:10s} {real.shape[1]:2d} {len(report.checks):6d} {seconds:8.1f}  "
              f"{verdict}")
    report = validate(draw("linear", 0), draw("linear", 1), "linear", seed=0)
    print()
    print(report.to_markdown())


def defects():
    """The nine defects of the power tests: (name, structure, fake, train)."""
    x = np.random.default_rng([3, 11]).standard_normal(N)
    shuffled = draw("linear", 4)
    rng = np.random.default_rng(4)
    shuffled = np.column_stack([rng.permutation(shuffled[:, 0]),
                                rng.permutation(shuffled[:, 1])])
    rng = np.random.default_rng(5)
    square = np.column_stack([rng.standard_normal(N), rng.standard_normal(N) ** 2])
    wide = draw("gaussian", 2)
    wide[:, 0] *= 1.2
    line = draw("linear", 8, n=3 * N)
    train = draw("gaussian", 9)
    return [
        ("shift 0.2 sd", "gaussian", draw("gaussian", 1) + [0.2, 0.0], None),
        ("sd x 1.2", "gaussian", wide, None),
        ("slope x 1.05", "linear", np.column_stack([x, 2.1 * x]), None),
        ("shuffled", "linear", shuffled, None),
        ("x, y^2 indep.", "quadratic", square, None),
        ("phi 0.6", "ar1", draw("ar1", 6, phi=0.6), None),
        ("weight 0.65", "mixture", draw("mixture", 7, weights=(0.65, 0.35)), None),
        ("tails cut 2 sd", "linear", line[np.abs(line[:, 0]) <= 2][:N], None),
        ("copies", "gaussian",
         train + 1e-3 * np.random.default_rng(9).standard_normal(train.shape), train),
    ]


def power():
    print(f"{'defect':15s} {'distribution':>12s} {'dependence':>10s} {'memorized':>9s}  "
          f"FAIL checks (ratio at n_eval = {N})")
    for name, structure, fake, train in defects():
        report = validate(draw(structure, 0), fake, structure, train=train, seed=1)
        fails = ", ".join(f"{c.name} ({c.ratio:.1f})" if c.ratio is not None else c.name
                          for c in report.checks if c.verdict == "FAIL")
        memo = report.memorization_detected
        print(f"{name:15s} {'ok' if report.distribution_preserved else 'FAIL':>12s} "
              f"{'ok' if report.dependencies_preserved else 'FAIL':>10s} "
              f"{'-' if memo is None else ('yes' if memo else 'no'):>9s}  {fails}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--power", action="store_true", help="also run the nine defects")
    args = parser.parse_args()
    timings()
    if args.power:
        print()
        power()


if __name__ == "__main__":
    main()
