"""The validation report: its interface, its inputs, its traps, its files.

Small n_eval and n_floor keep these fast; what they check does not depend
on the sizes. Calibration and power have their own test files.
"""

import json
import math

import matplotlib
import numpy as np
import pytest

from ddpm_lib.io import write_csv
from ddpm_lib.samples import custom_law, get_law
from ddpm_lib.validation import (DEFAULT_TOLERANCES, KINDS, VERDICTS, calibrate, validate,
                                 validate_files)

matplotlib.use("Agg")
FAST = {"n_eval": 300, "n_floor": 30}


def rows(structure, n=300, seed=0, **params):
    return get_law(structure, **params).sample(n, np.random.default_rng([seed, 7]))


def no_nan_or_inf(obj) -> bool:
    """True when no float anywhere in obj is NaN or infinite."""
    if isinstance(obj, dict):
        return all(no_nan_or_inf(v) for v in obj.values())
    if isinstance(obj, list):
        return all(no_nan_or_inf(v) for v in obj)
    return not (isinstance(obj, float) and not math.isfinite(obj))


# --- the report -------------------------------------------------------------------

def test_report_fields_and_json():
    report = validate(rows("gaussian"), rows("gaussian", seed=1), "gaussian", **FAST)
    out = report.to_json()
    text = json.dumps(out, allow_nan=False)  # raises on NaN or inf
    assert json.loads(text) == out
    for key in ("distribution_preserved", "dependencies_preserved", "n_eval", "checks",
                "n_floor", "floor_method", "family", "tolerances"):
        assert key in out
    assert out["n_eval"] == 300 and out["n_floor"] == 30
    assert out["distribution_preserved"] is report.distribution_preserved
    names = [c["name"] for c in out["checks"]]
    assert len(names) == len(set(names))
    for c in out["checks"]:
        for key in ("name", "kind", "statistic", "value", "floor", "ratio", "p_adjusted",
                    "verdict"):
            assert key in c
        assert c["kind"] in KINDS and c["verdict"] in VERDICTS
    kinds = {c["kind"] for c in out["checks"]}
    assert kinds == {"marginal", "joint", "dependence"}  # no train: no memorization
    assert out["memorization_detected"] is None
    # the Holm family is declared by the structure and holds every floor check
    assert set(out["family"]) == {c["name"] for c in out["checks"] if c["rule"] == "floor"}
    assert report.check("copula_energy").kind == "dependence"
    assert report.checks[0]["name"] == report.checks[0].name
    with pytest.raises(KeyError, match="no check named"):
        report.check("nope")


def test_same_seed_same_json_byte_for_byte():
    real, fake = rows("mixture"), rows("mixture", seed=1)
    train = rows("mixture", seed=2)
    first = json.dumps(validate(real, fake, "mixture", train=train, seed=5, **FAST).to_json())
    again = json.dumps(validate(real, fake, "mixture", train=train, seed=5, **FAST).to_json())
    other = json.dumps(validate(real, fake, "mixture", train=train, seed=6, **FAST).to_json())
    assert first == again
    assert first != other


def test_markdown_table():
    report = validate(rows("linear"), rows("linear", seed=1), "linear", **FAST)
    md = report.to_markdown()
    assert "| check | kind | statistic |" in md
    assert "ratio (n_eval = 300)" in md  # n_eval printed beside rho
    for c in report.checks:
        assert f"| {c.name} |" in md
    table = [ln for ln in md.splitlines() if ln.startswith("| ")]
    assert all(ln.count(" | ") == 7 for ln in table)  # no stray | inside a cell
    numbers = [cell for ln in table[1:] for cell in ln.split(" | ")[3:7]]
    for cell in numbers:
        assert cell == "-" or cell.startswith("tol ") or cell.startswith("<") \
            or math.isfinite(float(cell)), cell
    assert "None" not in md
    assert "tol 0.05" in md  # line_spread is judged by its declared tolerance
    assert "Target for line_spread: 0.01 (met: 0)" in md


def test_real_against_real_is_preserved_for_every_structure():
    for name in ("linear", "uniform", "gaussian", "quadratic", "ar1", "mixture"):
        report = validate(rows(name), rows(name, seed=1), name, seed=1, **FAST)
        assert report.distribution_preserved and report.dependencies_preserved, (
            name, report.to_markdown())


def test_the_checks_each_structure_declares():
    def names(structure):
        report = validate(rows(structure), rows(structure, seed=1), structure, n_eval=200,
                          n_floor=19)
        return {c.name for c in report.checks}

    assert {"slope", "line_spread", "outside_support"} <= names("uniform")
    assert "copula_energy" not in names("linear")  # the copula of a line is degenerate
    assert {"relation_coefficients", "relation_residual", "distance_correlation",
            "chatterjee_xi"} <= names("quadratic")
    assert {"regression_coefficients", "residual_sd", "copula_energy"} <= names("gaussian")
    assert {"lag_correlations", "ar1_phi", "ar1_sigma", "ljung_box"} <= names("ar1")
    assert {"mixture_weights", "bridge_share"} <= names("mixture")
    assert {"ks_true_cdf", "cvm_true_cdf"} <= names("mixture")


# --- inputs -------------------------------------------------------------------------

@pytest.mark.parametrize("change, message", [
    (dict(real=np.zeros(10)), "real must be 2-D"),
    (dict(real=[[1.0, np.nan]] * 50), "real has 50 row"),
    (dict(fake=np.zeros((10, 3))), "fake has 3 columns but real has 2"),
    (dict(fake=np.zeros(10)), "fake must be 2-D"),
    (dict(fake=[["a", "b"]]), "fake must be an array of real numbers"),
    (dict(structure="lineer"), "unknown structure 'lineer'"),
    (dict(structure=3), "structure must be None"),
    (dict(structure="ar1"), "has rows of 8 columns, but real has 2"),
    (dict(train=np.zeros((10, 3))), "train has 3 columns"),
    (dict(seed=-1), "seed must be"),
    (dict(n_evals=100), "unknown option"),
    (dict(n_floor=5), "n_floor must be at least 19"),
    (dict(n_eval=0), "n_eval must be a positive integer"),
    (dict(alpha=1.5), "alpha must lie"),
    (dict(tolerances={"slop": 0.1}), "unknown tolerance"),
    (dict(tolerances={"slope": -1}), "tolerance 'slope' must be"),
])
def test_input_errors_are_clear(change, message):
    args = dict(real=rows("linear"), fake=rows("linear", seed=1), structure="linear",
                **FAST)
    args.update(change)
    with pytest.raises(ValueError, match=message):
        validate(**args)


def test_nan_rows_in_fake_fail_validity_and_the_rest_is_evaluated():
    fake = rows("gaussian", seed=1)
    fake[:7, 0] = np.nan
    fake[7, 1] = np.inf
    report = validate(rows("gaussian"), fake, "gaussian", **FAST)
    bad = report.check("nonfinite_rows")
    assert bad.verdict == "FAIL" and bad.details["count"] == 8
    assert bad.value == pytest.approx(8 / 300)
    assert report.n_eval == 292 and report.n_fake_nonfinite == 8
    assert not report.distribution_preserved
    assert report.dependencies_preserved  # the 292 finite rows are real rows
    assert no_nan_or_inf(report.to_json())


def test_diverged_values_fail_validity_or_the_checks_without_crashing():
    for structure in ("quadratic", "ar1", None):
        fake = rows(structure or "quadratic", seed=1)
        fake[:100] = 1e300   # beyond 1e50: counted with NaN and inf
        fake[100:150] = 1e40  # huge but usable: the checks FAIL
        report = validate(rows(structure or "quadratic"), fake, structure, **FAST)
        assert report.check("nonfinite_rows").details["count"] == 100
        assert not report.distribution_preserved
        assert no_nan_or_inf(report.to_json())


def test_all_nan_fake_fails_without_crashing():
    fake = np.full((50, 2), np.nan)
    report = validate(rows("linear"), fake, "linear", **FAST)
    assert not report.distribution_preserved and not report.dependencies_preserved
    assert all(c.verdict == "FAIL" for c in report.checks)
    out = report.to_json()
    assert no_nan_or_inf(out) and out["n_eval"] == 0
    assert "nothing but validity" in report.to_markdown()


# --- the traps the protocol names ----------------------------------------------------------

def test_singular_covariance_never_crashes_or_prints_infinity():
    x = rows("linear")  # [x, 2x]: singular covariance, r = 1 exactly
    for fake in (rows("linear", seed=1),                       # exact line again
                 rows("linear", seed=1) + [0.0, 1e-3],          # shifted line
                 np.zeros((300, 2)),                            # every row the same
                 np.column_stack([np.ones(300), rows("linear", seed=1)[:, 1]])):
        for structure in ("linear", None):
            report = validate(x, fake, structure, **FAST)
            out = report.to_json()
            assert no_nan_or_inf(out), (structure, fake[:2])
            json.dumps(out, allow_nan=False)
            for ln in report.to_markdown().splitlines():
                if ln.startswith("| ") and not ln.startswith("| check"):
                    cells = ln.split(" | ")[3:7]  # value, floor, ratio, p
                    assert not {"inf", "nan"} & set(cells), ln


def test_exact_line_uses_declared_tolerances():
    real = rows("linear")
    exact = validate(real, rows("linear", seed=1), "linear", **FAST)
    assert exact.check("slope").verdict == "PASS"
    assert exact.check("line_spread").verdict == "PASS"
    assert exact.check("line_spread").value == 0.0
    x = np.random.default_rng(3).standard_normal(300)
    thin = np.column_stack([x, 2 * x + 0.01 * np.random.default_rng(4).standard_normal(300)])
    report = validate(real, thin, "linear", **FAST)
    spread = report.check("line_spread")
    # sd(0.01 e) / sd(2x) is about 0.005: distinguishable from an exact line,
    # within the declared tolerance of 0.05 and the target of 0.01
    assert spread.value == pytest.approx(0.005, rel=0.2)
    assert spread.verdict == "CLOSE" and spread.tolerance == DEFAULT_TOLERANCES["line_spread"]
    assert spread.ratio is None and spread.p_adjusted is None and spread.rule == "tolerance"
    assert report.dependencies_preserved
    assert report.to_json()["tolerances"]["line_spread"] == 0.05
    assert spread.details["target_met"] is True
    wide = validate(real, thin, "linear", tolerances={"line_spread": 0.001}, **FAST)
    assert wide.check("line_spread").verdict == "FAIL"
    assert not wide.dependencies_preserved


def test_pearson_misses_the_square_but_xi_and_dcor_do_not():
    real = rows("quadratic")
    rng = np.random.default_rng(5)
    independent = np.column_stack([rng.standard_normal(300), rng.standard_normal(300) ** 2])
    report = validate(real, independent, "quadratic", **FAST)
    assert report.check("pearson_change").verdict != "FAIL"  # both r are near 0
    assert report.check("chatterjee_xi").verdict == "FAIL"
    assert report.check("distance_correlation").verdict == "FAIL"
    assert not report.dependencies_preserved


def test_outside_support():
    fake = rows("uniform", seed=1)
    fake[:30, 0] = 1.5  # 10% of rows beyond u <= 1
    report = validate(rows("uniform"), fake, "uniform", **FAST)
    check = report.check("outside_support")
    assert check.value == pytest.approx(0.1) and check.verdict == "FAIL"
    assert check.details["support"] == [[0.0, 1.0], [0.0, 2.0]]


def test_point_mass():
    fake = rows("gaussian", seed=1)
    fake[:60, 0] = 0.25  # a fifth of the rows share one value
    report = validate(rows("gaussian"), fake, "gaussian", **FAST)
    assert report.check("point_mass").value == pytest.approx(0.2)
    assert report.check("point_mass").verdict == "FAIL"


# --- unknown laws, custom laws, one column ---------------------------------------------

def test_unknown_law_resamples_the_real_rows():
    real, fake = rows("gaussian", n=600), rows("gaussian", n=300, seed=1)
    report = validate(real, fake, None, **FAST)
    assert report.structure is None and "bootstrap" in report.floor_method
    assert report.n_holdout == 300
    assert report.distribution_preserved and report.dependencies_preserved
    assert {"distance_correlation", "chatterjee_xi", "copula_energy"} <= {
        c.name for c in report.checks}
    assert "ks_true_cdf" not in {c.name for c in report.checks}
    shuffled = fake.copy()
    shuffled[:, 1] = np.random.default_rng(0).permutation(shuffled[:, 1])
    assert not validate(real, shuffled, None, **FAST).dependencies_preserved
    overlap = validate(real, fake, None, train=real, **FAST)
    assert any("also appear in train" in n for n in overlap.notes)
    with pytest.raises(ValueError, match="at least 40"):
        validate(real[:30], fake, None, **FAST)


def test_custom_law_and_one_column():
    law = custom_law(lambda x: [np.sin(x), x], name="sine")
    real, fake = law.sample(300, np.random.default_rng([0, 7])), law.sample(
        300, np.random.default_rng([1, 7]))
    report = validate(real, fake, law, **FAST)
    assert report.structure == "sine" and "fresh draws" in report.floor_method
    assert report.distribution_preserved and report.dependencies_preserved
    one = custom_law(lambda x: [x], name="one")
    report = validate(one.sample(300, np.random.default_rng([0, 7])),
                      one.sample(300, np.random.default_rng([1, 7])), one, **FAST)
    assert {c.kind for c in report.checks} == {"marginal"}
    assert report.dependencies_preserved
    assert any("one column" in n for n in report.notes)


# --- memorization -----------------------------------------------------------------------

def test_memorization_checks_with_and_without_copies():
    train = rows("gaussian", seed=2)
    honest = validate(rows("gaussian"), rows("gaussian", seed=1), "gaussian", train=train,
                      **FAST)
    kinds = [c.kind for c in honest.checks if c.kind == "memorization"]
    assert len(kinds) == 2 and honest.memorization_detected is False
    assert honest.check("closer_to_train").floor == 0.5
    copies = train + 1e-4 * np.random.default_rng(0).standard_normal(train.shape)
    caught = validate(rows("gaussian"), copies, "gaussian", train=train, **FAST)
    assert caught.memorization_detected is True
    assert caught.check("closer_to_train").value > 0.95
    assert caught.to_json()["memorization_detected"] is True
    assert caught.exit_code == 1 and honest.exit_code == 0


# --- files and the command line ---------------------------------------------------------

@pytest.fixture()
def csvs(tmp_path):
    write_csv(tmp_path / "real.csv", rows("linear"))
    write_csv(tmp_path / "fake.csv", rows("linear", seed=1))
    return tmp_path


def test_validate_files_writes_json(csvs):
    report, code = validate_files(csvs / "real.csv", csvs / "fake.csv", "linear",
                                  json_path=csvs / "out" / "r.json", **FAST)
    assert code == 0 and report.preserved
    saved = json.loads((csvs / "out" / "r.json").read_text())
    assert saved == json.loads(json.dumps(report.to_json()))
    shuffled = rows("linear", seed=1)
    shuffled[:, 1] = np.random.default_rng(0).permutation(shuffled[:, 1])
    write_csv(csvs / "shuffled.csv", shuffled)
    write_csv(csvs / "train.csv", rows("linear", seed=3))
    report, code = validate_files(csvs / "real.csv", csvs / "shuffled.csv", "linear",
                                  train_csv=csvs / "train.csv", **FAST)
    assert code == 1 and not report.dependencies_preserved
    assert report.memorization_detected is False


@pytest.mark.parametrize("name, content, structure, words", [
    ("nan.csv", "x1,x2\n1,2\nnan,3\n", None, ["fake rows", "line 3", "finite"]),
    ("text.csv", "x1,x2\n1,2\nabc,3\n", None, ["'abc'", "not a number"]),
    ("empty.csv", "x1,x2\n", None, ["no data rows"]),
    ("three.csv", "a,b,c\n1,2,3\n4,5,6\n", None, ["3 columns", "real.csv has 2"]),
    ("fake.csv", None, "ar1", ["'ar1' has 8 columns"]),
    ("fake.csv", None, "nope", ["unknown structure 'nope'"]),
    ("missing.csv", None, None, ["no such file"]),
])
def test_validate_files_errors_are_one_line(csvs, name, content, structure, words):
    if content is not None:
        (csvs / name).write_text(content)
    with pytest.raises(ValueError) as err:
        validate_files(csvs / "real.csv", csvs / name, structure, **FAST)
    message = str(err.value)
    assert "\n" not in message
    for w in words:
        assert w in message


def test_validate_files_bad_real_and_train(csvs):
    (csvs / "bad.csv").write_text("x1,x2\n1,2\ninf,3\n")
    with pytest.raises(ValueError, match="real rows: .*not a finite number"):
        validate_files(csvs / "bad.csv", csvs / "fake.csv", "linear", **FAST)
    with pytest.raises(ValueError, match="train rows: .*not a finite number"):
        validate_files(csvs / "real.csv", csvs / "fake.csv", "linear",
                       train_csv=csvs / "bad.csv", **FAST)


# --- figures and calibration -------------------------------------------------------------

def validate_figures_via_validation_module(report, folder):
    from ddpm_lib.validation import save_validation_figures  # the lazy re-export

    return save_validation_figures(None, None, report, folder, "q")


def test_save_validation_figures(tmp_path):
    from ddpm_lib.validation_figures import save_validation_figures

    law = get_law("ar1", d=3)
    real, fake = rows("ar1", d=3), rows("ar1", seed=1, d=3)
    paths = save_validation_figures(real, fake, law, folder=tmp_path, prefix="t",
                                    train=rows("ar1", seed=2, d=3), **FAST)
    names = [p.name for p in paths]
    assert names == ["t_histograms.png", "t_qq.png", "t_ecdf.png", "t_pairs.png",
                     "t_correlations.png", "t_copula.png", "t_acf.png",
                     "t_memorization.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths)
    report = validate(rows("quadratic"), rows("quadratic", seed=1), "quadratic", **FAST)
    paths = validate_figures_via_validation_module(report, tmp_path)
    assert {"q_relation.png", "q_strength.png"} <= {p.name for p in paths}
    nothing = validate(rows("linear"), np.full((5, 2), np.nan), "linear", **FAST)
    with pytest.raises(ValueError, match="nothing to draw"):
        save_validation_figures(None, None, nothing, folder=tmp_path)


def test_calibrate_counts():
    table = calibrate("gaussian", seeds=range(2), n_eval=200, n_floor=20)
    assert table["seeds"] == 2 and 0 <= table["preserved"] <= 1
    assert set(table["checks"]["ks"]) == {"kind", "rejected", "rejected_holm", "fail"}
    with pytest.raises(ValueError, match="known law"):
        calibrate(None)
