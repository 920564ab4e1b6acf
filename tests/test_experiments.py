"""A small slice of the experiments regenerates identically."""

import json

import pytest

from ddpm_lib import experiments, io


def test_a_committed_unit_regenerates_byte_for_byte(tmp_path):
    # One pass of training, 2,000 rows sampled and the full battery: the
    # cheapest unit, run from scratch into an empty folder (no cache).
    key = "mse_spread/passes001_seed0"
    committed = experiments.unit_path(key)
    assert committed.exists(), "run python -m ddpm_lib experiments first"
    fresh = experiments.load_or_run(key, folder=tmp_path)
    io.write_json(tmp_path / "again.json", fresh)
    assert (tmp_path / "again.json").read_bytes() == committed.read_bytes()


def test_every_unit_has_a_committed_result():
    missing = [k for k in experiments.all_units() if not experiments.unit_path(k).exists()]
    assert not missing, f"missing experiment results: {missing}"


def test_unknown_names_are_errors():
    with pytest.raises(ValueError, match="unknown experiment unit"):
        experiments.load_or_run("structures/linaer")
    with pytest.raises(ValueError, match="unknown experiment group"):
        experiments.run_all(groups=["nope"])


def test_macro_rows_are_growth_rates():
    rows, names = experiments.macro_rows()
    # 203 quarters of levels give 202 growth rates; real GDP grew about
    # 0.8 % a quarter on average over 1959-2009 (statsmodels' macrodata).
    assert rows.shape == (202, 4) and names[0] == "realgdp_growth"
    assert 0.6 < rows[:, 0].mean() < 1.0
    json.dumps(names)
