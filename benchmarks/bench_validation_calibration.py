"""Calibration of the validation: real rows against a fresh real draw.

For every structure, 100 seeds at n_eval = 2,000 with 200 floor draws (the
defaults; about 10 minutes per structure on 2 cores). For each check it
prints how often it rejects at the raw level alpha = 0.05 (nominal: 5%),
after Holm, and how often it says FAIL; then the share of seeds whose
overall verdict says preserved (target: at least 90%). The tests run a
small version (tests/test_validation_calibration.py).

    .venv/bin/python benchmarks/bench_validation_calibration.py \
        [--seeds 100] [--n-eval 2000] [--n-floor 200] [--jobs 2] [linear ar1 ...]
"""

import argparse
import time
from concurrent.futures import ProcessPoolExecutor

from ddpm_lib.samples import STRUCTURES
from ddpm_lib.validation import calibrate


def run(task):
    structure, seeds, n_eval, n_floor = task
    return calibrate(structure, seeds=seeds, n_eval=n_eval, n_floor=n_floor)


def merge(tables: list) -> dict:
    """Pool calibration tables of disjoint seed ranges (rates weighted by seeds)."""
    total = sum(t["seeds"] for t in tables)
    out = {"structure": tables[0]["structure"], "seeds": total,
           "n_eval": tables[0]["n_eval"], "n_floor": tables[0]["n_floor"],
           "preserved": sum(t["preserved"] * t["seeds"] for t in tables) / total,
           "checks": {}}
    for name, row in tables[0]["checks"].items():
        out["checks"][name] = {"kind": row["kind"]}
        for key in ("rejected", "rejected_holm", "fail"):
            out["checks"][name][key] = sum(t["checks"][name][key] * t["seeds"]
                                           for t in tables) / total
    return out


def print_table(table: dict, seconds: float) -> None:
    print(f"\n{table['structure']}: {table['seeds']} seeds, n_eval = {table['n_eval']}, "
          f"B = {table['n_floor']}, {seconds:.0f} s; preserved in "
          f"{table['preserved']:.0%} of seeds")
    print(f"  {'check':26s} {'kind':11s} {'p < 0.05':>9s} {'Holm':>6s} {'FAIL':>6s}")
    for name, row in table["checks"].items():
        print(f"  {name:26s} {row['kind']:11s} {row['rejected']:9.3f} "
              f"{row['rejected_holm']:6.3f} {row['fail']:6.3f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("structures", nargs="*", default=list(STRUCTURES))
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--n-eval", type=int, default=2000)
    parser.add_argument("--n-floor", type=int, default=200)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    args = parser.parse_args()
    summary = []
    with ProcessPoolExecutor(args.jobs) as pool:
        for structure in args.structures:
            t0 = time.perf_counter()
            chunks = [range(i, args.seeds, args.jobs) for i in range(args.jobs)]
            tasks = [(structure, list(c), args.n_eval, args.n_floor) for c in chunks if c]
            table = merge(list(pool.map(run, tasks)))
            print_table(table, time.perf_counter() - t0)
            summary.append((structure, table["preserved"]))
    print("\npreserved share per structure: "
          + ", ".join(f"{s} {p:.0%}" for s, p in summary))


if __name__ == "__main__":
    main()
