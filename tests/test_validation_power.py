"""Power: at n_eval = 2,000 each known defect is caught, as the right kind.

Each test builds synthetic rows with one defect and checks that the
verdict names it where it belongs: a distribution failure (marginal or
joint checks), a dependence failure, or memorization. A smaller floor
(n_floor = 40) keeps the file fast; these defects are far beyond every
floor draw, where the p-value comes from the gamma tail.
"""

import numpy as np
import pytest

from ddpm_lib.samples import get_law
from ddpm_lib.validation import validate

N = 2000
OPTIONS = {"n_eval": N, "n_floor": 40}


def draw(structure, seed, n=N, **params):
    return get_law(structure, **params).sample(n, np.random.default_rng([seed, 11]))


def check(structure, fake, train=None):
    real = draw(structure, 0)
    return validate(real, fake, structure, train=train, seed=1, **OPTIONS)


def failed(report, kind=None) -> set:
    return {c.name for c in report.checks
            if c.verdict == "FAIL" and (kind is None or c.kind == kind)}


def test_shift_of_one_column_by_a_fifth_of_its_sd():
    fake = draw("gaussian", 1) + [0.2, 0.0]  # sd of x1 is 1
    report = check("gaussian", fake)
    assert not report.distribution_preserved
    assert {"ks", "wasserstein", "ks_true_cdf"} <= failed(report, "marginal")
    assert report.dependencies_preserved  # correlation, copula: unchanged


def test_sd_of_one_column_inflated_by_20_percent():
    fake = draw("gaussian", 2)
    fake[:, 0] *= 1.2
    report = check("gaussian", fake)
    assert not report.distribution_preserved
    assert {"wasserstein", "anderson_darling"} <= failed(report, "marginal")
    assert report.dependencies_preserved  # scale-free dependence is unchanged


def test_slope_of_the_line_changed_by_5_percent():
    x = np.random.default_rng([3, 11]).standard_normal(N)
    report = check("linear", np.column_stack([x, 2.1 * x]))
    assert not report.dependencies_preserved
    assert "slope" in failed(report, "dependence")
    assert report.check("slope").value == pytest.approx(0.05)


def test_columns_shuffled_independently():
    fake = draw("linear", 4)
    rng = np.random.default_rng(4)
    fake = np.column_stack([rng.permutation(fake[:, 0]), rng.permutation(fake[:, 1])])
    report = check("linear", fake)
    assert not report.dependencies_preserved
    assert {"slope", "line_spread", "pearson_change"} <= failed(report, "dependence")
    assert not failed(report, "marginal")  # the marginals are intact
    assert "energy" in failed(report, "joint")


def test_square_with_independent_columns():
    rng = np.random.default_rng(5)
    fake = np.column_stack([rng.standard_normal(N), rng.standard_normal(N) ** 2])
    report = check("quadratic", fake)
    assert not report.dependencies_preserved
    assert {"relation_residual", "distance_correlation", "chatterjee_xi"} <= failed(
        report, "dependence")
    assert "pearson_change" not in failed(report)  # r is near 0 on both sides
    assert not failed(report, "marginal")


def test_ar1_coefficient_0_6_where_0_8_is_true():
    fake = draw("ar1", 6, phi=0.6)  # every column still N(0, 1)
    report = check("ar1", fake)
    assert not report.dependencies_preserved
    assert {"lag_correlations", "ar1_phi"} <= failed(report, "dependence")
    assert not failed(report, "marginal")


def test_mixture_weight_0_65_where_0_5_is_true():
    fake = draw("mixture", 7, weights=(0.65, 0.35))
    report = check("mixture", fake)
    assert not report.dependencies_preserved
    assert "mixture_weights" in failed(report, "dependence")
    assert report.check("mixture_weights").value == pytest.approx(0.15, abs=0.03)
    assert not report.distribution_preserved  # the marginals move as well


def test_tails_cut_at_two_sd():
    rows = draw("linear", 8, n=3 * N)
    fake = rows[np.abs(rows[:, 0]) <= 2][:N]
    report = check("linear", fake)
    assert not report.distribution_preserved
    assert "tail_quantiles" in failed(report, "marginal")
    assert report.check("ks").verdict != "FAIL"  # KS barely sees tails
    assert report.dependencies_preserved  # every row is still on the line


def test_copies_of_training_rows_plus_tiny_noise():
    train = draw("gaussian", 9)
    fake = train + 1e-3 * np.random.default_rng(9).standard_normal(train.shape)
    report = check("gaussian", fake, train=train)
    assert report.memorization_detected
    assert {"closer_to_train", "near_copies"} <= failed(report, "memorization")
    # copies of real rows pass checks 2 to 4: why memorization is read apart
    assert report.distribution_preserved and report.dependencies_preserved
