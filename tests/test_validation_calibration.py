"""Calibration: real rows against a fresh real draw should be preserved.

A small version of ``benchmarks/bench_validation_calibration.py`` (100 seeds
at n_eval = 2,000 there; 12 seeds at n_eval = 200 and 100 floor draws here).
With 12 seeds a rate is known to about +-0.06, so the bounds are loose; the
benchmark prints the precise table. Fewer floor draws would not do: past
the last of B draws the p-value rests on a fitted tail, and with B = 40 that
happens to 1 check in 41 even for real rows.
"""

import pytest

from ddpm_lib.validation import calibrate

STRUCTURES = ("linear", "uniform", "gaussian", "quadratic", "ar1", "mixture")
SEEDS = range(12)


@pytest.fixture(scope="module")
def tables():
    return {s: calibrate(s, seeds=SEEDS, n_eval=200, n_floor=100) for s in STRUCTURES}


def test_real_against_real_is_preserved(tables):
    for name, table in tables.items():
        assert table["preserved"] >= 10 / 12, (name, table)
    pooled = sum(t["preserved"] for t in tables.values()) / len(tables)
    assert pooled >= 0.9


def test_each_check_rejects_near_its_nominal_rate(tables):
    pooled: dict = {}
    for table in tables.values():
        for name, row in table["checks"].items():
            pooled.setdefault(name, []).append(row)
    for name, rows in pooled.items():
        rate = sum(r["rejected"] for r in rows) / len(rows)
        bound = 0.15 if len(rows) >= 3 else 0.25  # checks of one structure: 12 seeds
        assert rate <= bound, (name, rate)  # nominal 0.05
        assert sum(r["fail"] for r in rows) / len(rows) <= 0.1, name
