import os
import pickle
import warnings

import numpy as np
import pytest
import torch

from ddpm_lib import __version__
from ddpm_lib.checkpoint import load_checkpoint, save_checkpoint
from ddpm_lib.samples import make_samples
from ddpm_lib.schedule import NoiseSchedule
from ddpm_lib.training import sample_rows, train


@pytest.fixture(scope="module")
def trained():
    s = NoiseSchedule.linear(50)
    return train(make_samples("linear", 200, seed=0), s, max_iterations=2,
                 width=16, depth=2, time_dim=8)


def test_round_trip_identical_parameters_and_samples(trained, tmp_path):
    path = tmp_path / "m.pt"
    save_checkpoint(path, trained.ema_model, trained.scaler, trained.schedule,
                    {"note": "test", "n": 200, "xs": [1.5, None]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a faithful round trip warns about nothing
        ck = load_checkpoint(path)
    for (k1, p), (k2, q) in zip(trained.ema_model.state_dict().items(),
                                ck.model.state_dict().items()):
        assert k1 == k2 and torch.equal(p, q)
    assert torch.equal(ck.schedule.betas, trained.schedule.betas)
    assert ck.config == {"note": "test", "n": 200, "xs": [1.5, None]}
    assert ck.library_version == __version__
    a = sample_rows(trained.ema_model, trained.scaler, trained.schedule, 50, seed=3)
    b = sample_rows(ck.model, ck.scaler, ck.schedule, 50, seed=3)
    assert np.array_equal(a, b)


def test_saving_twice_gives_the_same_bytes(trained, tmp_path):
    for name in ("a.pt", "b.pt"):
        save_checkpoint(tmp_path / name, trained.ema_model, trained.scaler,
                        trained.schedule, {})
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "b.pt").read_bytes()


class _RunsCode:
    def __reduce__(self):
        return (os.system, ("touch SHOULD_NOT_EXIST",))


def test_untrusted_pickle_runs_no_code(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    torch.save({"format": "ddpm_lib-checkpoint", "payload": _RunsCode()}, "evil.pt")
    with pytest.raises(ValueError, match="refused"):
        load_checkpoint("evil.pt")
    assert not (tmp_path / "SHOULD_NOT_EXIST").exists()
    with open("plain.pkl", "wb") as f:
        pickle.dump(_RunsCode(), f)
    with pytest.raises(ValueError):
        load_checkpoint("plain.pkl")
    assert not (tmp_path / "SHOULD_NOT_EXIST").exists()


def test_truncated_foreign_and_missing_files(trained, tmp_path):
    good = tmp_path / "good.pt"
    save_checkpoint(good, trained.ema_model, trained.scaler, trained.schedule, {})
    (tmp_path / "cut.pt").write_bytes(good.read_bytes()[:300])
    (tmp_path / "text.pt").write_text("not a checkpoint")
    torch.save({"some": torch.zeros(2)}, tmp_path / "foreign.pt")
    for name, match in [("cut.pt", "not a readable"), ("text.pt", "not a readable|refused"),
                        ("foreign.pt", "not a ddpm_lib checkpoint"),
                        ("missing.pt", "no such")]:
        with pytest.raises(ValueError, match=match):
            load_checkpoint(tmp_path / name)


def test_tampered_fields_are_errors(trained, tmp_path):
    path = tmp_path / "m.pt"
    save_checkpoint(path, trained.ema_model, trained.scaler, trained.schedule, {})
    payload = torch.load(path, weights_only=True)
    payload["scaler"]["scale"] = [0.0, 1.0]
    torch.save(payload, tmp_path / "bad_scale.pt")
    with pytest.raises(ValueError, match="inconsistent"):
        load_checkpoint(tmp_path / "bad_scale.pt")
    payload = torch.load(path, weights_only=True)
    payload["state_dict"].pop("out.bias")
    torch.save(payload, tmp_path / "bad_state.pt")
    with pytest.raises(ValueError, match="inconsistent"):
        load_checkpoint(tmp_path / "bad_state.pt")


def test_version_mismatch_is_reported(trained, tmp_path):
    path = tmp_path / "m.pt"
    save_checkpoint(path, trained.ema_model, trained.scaler, trained.schedule, {})
    payload = torch.load(path, weights_only=True)
    payload["library_version"] = "0.0.1"
    torch.save(payload, path)
    with pytest.warns(UserWarning, match="0.0.1"):
        load_checkpoint(path)


def test_failed_save_keeps_the_old_file(trained, tmp_path):
    path = tmp_path / "m.pt"
    save_checkpoint(path, trained.ema_model, trained.scaler, trained.schedule, {"v": 1})
    before = path.read_bytes()
    with pytest.raises(ValueError, match="plain values"):
        save_checkpoint(path, trained.ema_model, trained.scaler, trained.schedule,
                        {"v": object()})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]  # no temporary left
