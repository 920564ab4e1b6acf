"""Files are written atomically: a failure part-way through a write (an error,
a full disk, Ctrl-C) leaves the previous file byte for byte, or no file when
there was none, and never a temporary file beside it.

Failures are injected at each stage of ``ddpm_lib.io.atomic_write``: while
the content is being produced, while it is written, at fsync and at the
final rename.
"""

import errno
import io as _io
import json
import os

import numpy as np
import pytest
import torch

from ddpm_lib import io as dio
from ddpm_lib.checkpoint import load_checkpoint, save_checkpoint
from ddpm_lib.io import atomic_write, read_csv, write_csv, write_json, write_text
from ddpm_lib.model import NoisePredictor
from ddpm_lib.scaler import Standardizer
from ddpm_lib.schedule import NoiseSchedule

FAILURES = [OSError(errno.ENOSPC, "No space left on device"), RuntimeError("boom"),
            KeyboardInterrupt()]
FAILURE_IDS = ["disk_full", "error", "ctrl_c"]


def names(folder):
    return sorted(p.name for p in folder.iterdir())


def write_csv_then_json(folder):
    write_csv(folder / "rows.csv", [[1.0, 2.0], [3.0, 4.0]])
    write_json(folder / "report.json", {"verdict": "PASS", "values": [1, 2, 3]})
    return {n: (folder / n).read_bytes() for n in ("rows.csv", "report.json")}


def assert_untouched(folder, before):
    assert names(folder) == sorted(before)  # no temporary file left behind
    for name, content in before.items():
        assert (folder / name).read_bytes() == content


WRITERS = {
    "write_csv": lambda folder: write_csv(folder / "rows.csv", np.arange(2000.0).reshape(-1, 2)),
    "write_json": lambda folder: write_json(folder / "report.json",
                                            {"values": list(range(5000))}),
}


class _FailingFile:
    """A file whose writes stop half-way through with ``exc``, as on a full disk."""

    def __init__(self, f, exc):
        self._f, self._exc, self._writes = f, exc, 0

    def write(self, text):
        self._writes += 1
        if self._writes > 1 or len(text) > 20:
            self._f.write(text[: len(text) // 2])
            self._f.flush()
            raise self._exc
        return self._f.write(text)

    def __getattr__(self, name):
        return getattr(self._f, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return self._f.__exit__(*exc_info)


@pytest.mark.parametrize("exc", FAILURES, ids=FAILURE_IDS)
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_failure_in_the_middle_of_the_write_keeps_the_old_file(tmp_path, monkeypatch,
                                                                writer, exc):
    before = write_csv_then_json(tmp_path)
    real_fdopen = os.fdopen
    partial = []

    def fdopen(fd, *args, **kwargs):
        f = real_fdopen(fd, *args, **kwargs)
        partial.append(f.name if hasattr(f, "name") else fd)
        return _FailingFile(f, exc)

    monkeypatch.setattr(dio.os, "fdopen", fdopen)
    with pytest.raises(type(exc)):
        WRITERS[writer](tmp_path)
    assert partial, "the failure was injected before anything was written"
    assert_untouched(tmp_path, before)


@pytest.mark.parametrize("exc", FAILURES, ids=FAILURE_IDS)
@pytest.mark.parametrize("stage", ["fsync", "replace"])
@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_failure_at_fsync_or_rename_keeps_the_old_file(tmp_path, monkeypatch, writer,
                                                       stage, exc):
    before = write_csv_then_json(tmp_path)
    seen = []

    def fail(*args):
        seen.append(args)
        raise exc

    monkeypatch.setattr(dio.os, stage, fail)
    with pytest.raises(type(exc)):
        WRITERS[writer](tmp_path)
    assert seen
    if stage == "replace":  # the temporary file sits beside the target: same filesystem
        assert os.path.dirname(seen[0][0]) == str(tmp_path)
    monkeypatch.undo()
    assert_untouched(tmp_path, before)


@pytest.mark.parametrize("exc", FAILURES, ids=FAILURE_IDS)
def test_failure_while_the_content_is_produced_keeps_the_old_file(tmp_path, exc):
    before = write_csv_then_json(tmp_path)
    with pytest.raises(type(exc)):
        with atomic_write(tmp_path / "rows.csv") as f:
            f.write("x1,x2\n")
            f.write("5,6\n" * 1000)
            raise exc
    assert_untouched(tmp_path, before)


def test_a_value_json_cannot_hold_keeps_the_old_file(tmp_path):
    before = write_csv_then_json(tmp_path)
    # json.dump streams: by the time it meets the bad value it has written the
    # first 10,000 numbers to the temporary file.
    for bad, exc in [({"a": list(range(10_000)), "z": object()}, TypeError),
                     ({"a": list(range(10_000)), "z": {1, 2}}, TypeError),
                     ({"a": list(range(10_000)), "z": float("nan")}, ValueError),
                     ({"a": list(range(10_000)), "z": float("inf")}, ValueError)]:
        with pytest.raises(exc):
            write_json(tmp_path / "report.json", bad)
        assert_untouched(tmp_path, before)


class _InterruptedList(list):
    """A list that is interrupted (Ctrl-C) after yielding half its items."""

    def __iter__(self):
        for i, item in enumerate(super().__iter__()):
            if i == len(self) // 2:
                raise KeyboardInterrupt
            yield item


def test_ctrl_c_during_json_serialization_keeps_the_old_file(tmp_path):
    before = write_csv_then_json(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        write_json(tmp_path / "report.json", {"values": _InterruptedList(range(10_000))})
    assert_untouched(tmp_path, before)


def test_rows_that_cannot_be_written_keep_the_old_file(tmp_path):
    before = write_csv_then_json(tmp_path)
    for rows in ([[1.0, float("nan")]], [[1.0, 2.0], [3.0]], np.ones((2, 2, 2)), [["a", "b"]]):
        with pytest.raises(ValueError):
            write_csv(tmp_path / "rows.csv", rows)
    with pytest.raises(ValueError):
        write_csv(tmp_path / "rows.csv", [[1.0, 2.0]], header=["a,b", "c"])
    assert_untouched(tmp_path, before)


@pytest.mark.parametrize("exc", FAILURES, ids=FAILURE_IDS)
def test_a_failed_first_write_leaves_no_file_at_all(tmp_path, exc):
    with pytest.raises(type(exc)):
        with atomic_write(tmp_path / "new.txt") as f:
            f.write("half")
            raise exc
    assert names(tmp_path) == []


def test_targets_that_are_folders_or_below_files_are_refused_cleanly(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "plain").write_text("x")
    with pytest.raises(ValueError, match="is a folder"):
        write_text(tmp_path / "sub", "text")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        write_text(tmp_path / "plain" / "deeper" / "f.txt", "text")
    assert names(tmp_path) == ["plain", "sub"] and names(tmp_path / "sub") == []
    assert (tmp_path / "plain").read_text() == "x"


def test_new_files_get_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        write_text(tmp_path / "f.txt", "text")
        write_csv(tmp_path / "f.csv", [[1.0]])
    finally:
        os.umask(old)
    for name in ("f.txt", "f.csv"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644


def test_success_replaces_the_file_whole(tmp_path):
    write_csv_then_json(tmp_path)
    write_csv(tmp_path / "rows.csv", [[7.0, 8.0]])
    assert read_csv(tmp_path / "rows.csv")[0].tolist() == [[7.0, 8.0]]
    assert names(tmp_path) == ["report.json", "rows.csv"]
    assert json.loads((tmp_path / "report.json").read_text())["verdict"] == "PASS"


# --- checkpoints ------------------------------------------------------------------

@pytest.fixture()
def parts():
    torch.manual_seed(0)
    model = NoisePredictor(2, width=8, depth=2, time_dim=4)
    scaler = Standardizer(mean=np.zeros(2), scale=np.ones(2))
    return model, scaler, NoiseSchedule.linear(20)


@pytest.mark.parametrize("exc", FAILURES, ids=FAILURE_IDS)
def test_save_checkpoint_interrupted_mid_write_keeps_the_old_checkpoint(tmp_path, monkeypatch,
                                                                        parts, exc):
    path = tmp_path / "model.pt"
    save_checkpoint(path, *parts, {"version": 1})
    before = path.read_bytes()
    real_save = torch.save

    def save_then_fail(obj, f, *args, **kwargs):
        buf = _io.BytesIO()
        real_save(obj, buf, *args, **kwargs)
        f.write(buf.getvalue()[: len(buf.getvalue()) // 2])  # half an archive
        raise exc

    monkeypatch.setattr(torch, "save", save_then_fail)
    with pytest.raises(type(exc)):
        save_checkpoint(path, *parts, {"version": 2})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert names(tmp_path) == ["model.pt"]
    assert load_checkpoint(path).config == {"version": 1}


@pytest.mark.parametrize("config", [{"v": object()}, {"v": [1, {2, 3}]}, {"v": {1: "x"}},
                                    {"v": np.float32(1.0)}, {"v": torch.zeros(2)}])
def test_save_checkpoint_with_a_config_it_cannot_store_keeps_the_old_checkpoint(
        tmp_path, parts, config):
    path = tmp_path / "model.pt"
    save_checkpoint(path, *parts, {"version": 1})
    before = path.read_bytes()
    with pytest.raises(ValueError):
        save_checkpoint(path, *parts, config)
    assert path.read_bytes() == before
    assert names(tmp_path) == ["model.pt"]


def test_csv_errors_name_the_line_in_the_file(tmp_path):
    from ddpm_lib.io import read_csv
    path = tmp_path / "gaps.csv"
    path.write_text("x1,x2\n1,2\n\n3,abc\n")   # a blank line before line 4
    with pytest.raises(ValueError, match="line 4, column 'x2'"):
        read_csv(path)
    path.write_text("x1,x2\n1,2\n,\n3,4\n")     # a row of empty cells is not skipped
    with pytest.raises(ValueError, match="line 3"):
        read_csv(path)
