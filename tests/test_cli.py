"""The command line: exit codes, one-line errors, files written whole."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ddpm_lib.io import write_csv
from ddpm_lib.samples import make_samples

ROOT = Path(__file__).resolve().parent.parent


def cli(*args, cwd=None):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "ddpm_lib", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd or ROOT, env=env,
                          timeout=600)


def assert_usage_error(proc, *words):
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for w in words:
        assert w in lines[0], lines[0]


@pytest.mark.parametrize("args, words", [
    (["run", "--timesteps", "0"], ["timesteps"]),
    (["run", "--timesteps", "-5"], ["timesteps"]),
    (["run", "--timesteps", "2.5"], ["timesteps"]),
    (["run", "--structure", "linaer"], ["linaer"]),
    (["run", "--n", "5"], ["n must be"]),
    (["run", "--threshold", "nan"], ["threshold"]),
    (["run", "--max-iterations", "0"], ["max_iterations"]),
    (["run", "--bogus"], ["--bogus"]),
    (["nonsense"], ["nonsense"]),
    ([], ["command"]),
])
def test_run_usage_errors(args, words, tmp_path):
    proc = cli(*args, "--out", tmp_path / "o") if args and args[0] == "run" else cli(*args)
    assert_usage_error(proc, *words)
    assert not (tmp_path / "o").exists()  # nothing written


def test_help_documents_every_option_with_its_default():
    out = cli("run", "--help").stdout
    for opt in ("--structure", "--n", "--timesteps", "--threshold", "--max-iterations",
                "--seed", "--out", "--variance", "--schedule"):
        assert opt in out
    assert out.count("(default:") >= 9


@pytest.fixture()
def csvs(tmp_path):
    # Two honest draws of the law. At 300 rows the seed-1 draw happens to be
    # unusual (one-sample KS p = 0.007), so the fixture uses 1,000 rows.
    real = make_samples("linear", 1000, seed=0)
    fake = make_samples("linear", 1000, seed=1)
    write_csv(tmp_path / "real.csv", real)
    write_csv(tmp_path / "fake.csv", fake)
    return tmp_path


def test_validate_bad_files(csvs):
    (csvs / "nan.csv").write_text("x1,x2\n1,2\nnan,3\n")
    (csvs / "text.csv").write_text("x1,x2\n1,2\nabc,3\n")
    (csvs / "empty.csv").write_text("x1,x2\n")
    write_csv(csvs / "three.csv", np.ones((5, 3)) * np.arange(3))
    for bad, word in [("nan.csv", "finite"), ("text.csv", "'abc'"), ("empty.csv", "no data"),
                      ("three.csv", "column"), ("missing.csv", "no such file")]:
        assert_usage_error(cli("validate", csvs / "real.csv", csvs / bad), word)
    assert_usage_error(cli("validate", csvs / "real.csv", csvs / "fake.csv",
                           "--structure", "nope"), "nope")


def test_validate_same_law_exits_zero(csvs):
    proc = cli("validate", csvs / "real.csv", csvs / "fake.csv", "--structure", "linear",
               "--json", csvs / "r.json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads((csvs / "r.json").read_text())
    assert report["distribution_preserved"] and report["dependencies_preserved"]


def test_validate_broken_dependence_exits_one(csvs):
    fake = make_samples("linear", 1000, seed=1)
    fake[:, 1] = np.random.default_rng(0).permutation(fake[:, 1])
    write_csv(csvs / "shuffled.csv", fake)
    proc = cli("validate", csvs / "real.csv", csvs / "shuffled.csv", "--structure", "linear")
    assert proc.returncode == 1, proc.stdout + proc.stderr


def test_small_run_writes_every_file_and_repeats_byte_for_byte(tmp_path):
    args = ["run", "--n", "400", "--timesteps", "50", "--max-iterations", "2",
            "--seed", "3"]
    first = cli(*args, "--out", tmp_path / "a")
    assert first.returncode in (0, 1), first.stderr
    assert "stopped by max_iterations" in first.stdout
    files = ["real_samples.csv", "noise_samples.csv", "fake_samples.csv", "report.json",
             "report.md", "model.pt"]
    for name in files:
        assert (tmp_path / "a" / name).stat().st_size > 0
    assert list((tmp_path / "a" / "figures").glob("*.png"))
    report = json.loads((tmp_path / "a" / "report.json").read_text())
    assert report["training"]["stopped_by"] == "max_iterations"
    assert report["training"]["iterations"] == 2
    assert report["config"]["n"] == 400
    second = cli(*args, "--out", tmp_path / "b", "--no-figures")
    for name in ["real_samples.csv", "noise_samples.csv", "fake_samples.csv", "report.json"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert second.returncode == first.returncode


def test_empty_out_is_refused(tmp_path):
    assert_usage_error(cli("run", "--out", "", cwd=tmp_path), "--out")
    assert list(tmp_path.iterdir()) == []


def test_infinite_threshold_run_writes_a_valid_report(tmp_path):
    # JSON has no infinity: the stored threshold reads "inf", and the run
    # stops at its first check, as the stop rule says.
    proc = cli("run", "--n", "200", "--timesteps", "20", "--max-iterations", "5",
               "--threshold", "inf", "--no-figures", "--out", tmp_path / "o")
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["config"]["training"]["threshold"] == "inf"
    assert report["training"]["stopped_by"] == "threshold"
    assert report["training"]["iterations"] == 1
