"""User errors on the command line, beyond those in test_cli.py: each exits 2
with exactly one line on stderr that names the problem, no traceback, and
nothing written. ``--help`` documents every option with its default.

Most cases call ``ddpm_lib.cli.main`` in-process (an uncaught exception would
fail the test just as a traceback would); one runs ``python -m ddpm_lib`` to
check the real entry point, without PYTHONWARNINGS set, as a user runs it.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ddpm_lib import cli
from ddpm_lib.io import write_csv
from ddpm_lib.samples import make_samples

ROOT = Path(__file__).resolve().parent.parent
# Small settings, so that a case that wrongly starts training still ends soon.
SMALL = ["--n", "40", "--timesteps", "5", "--max-iterations", "1", "--no-figures"]


def run_main(capsys, *args):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, *words):
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for w in words:
        assert w in lines[0], lines[0]


@pytest.fixture()
def folder(tmp_path):
    write_csv(tmp_path / "real.csv", make_samples("linear", 200, seed=0))
    write_csv(tmp_path / "fake.csv", make_samples("linear", 200, seed=1))
    (tmp_path / "a_file").write_text("not a folder\n")
    return tmp_path


def contents(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


# --- run --------------------------------------------------------------------------

@pytest.mark.parametrize("args, words", [
    (["--seed", "-1"], ["seed", "-1"]),
    (["--seed", "1.5"], ["--seed", "1.5"]),
    (["--seed", "abc"], ["--seed"]),
    (["--n", "1.5"], ["--n", "1.5"]),
    (["--n", "abc"], ["--n", "abc"]),
    (["--n", ""], ["--n"]),
    (["--n", "-3"], ["n must be"]),
    (["--timesteps", "abc"], ["--timesteps"]),
    (["--threshold", "-1"], ["threshold"]),
    (["--threshold", "abc"], ["--threshold"]),
    (["--max-iterations", "-3"], ["max_iterations"]),
    (["--max-iterations", "2.5"], ["--max-iterations"]),
    (["--schedule", "quadratic"], ["--schedule", "quadratic"]),
    (["--variance", "sigma"], ["--variance", "sigma"]),
    (["--structure", ""], ["unknown structure"]),
    (["--structure", "Linear"], ["Linear"]),
    (["--out"], ["--out"]),
])
def test_run_user_errors(capsys, folder, args, words):
    before = contents(folder)
    code, out, err = run_main(capsys, "run", *SMALL, *args,
                              *([] if "--out" in args else ["--out", folder / "o"]))
    assert_one_line_error(code, err, *words)
    assert "training:" not in out
    assert contents(folder) == before  # nothing written


@pytest.mark.parametrize("out, words", [
    ("a_file", ["--out", "a_file", "not a folder"]),
    ("a_file/sub", ["--out", "a_file", "not a folder"]),
])
def test_run_out_that_is_a_file_fails_before_training(capsys, folder, out, words):
    before = contents(folder)
    code, stdout, err = run_main(capsys, "run", *SMALL, "--out", folder / out)
    assert_one_line_error(code, err, *words)
    assert "training:" not in stdout
    assert contents(folder) == before


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root writes anywhere: an unwritable folder cannot be made")
def test_run_out_in_an_unwritable_folder(capsys, folder):
    locked = folder / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        code, stdout, err = run_main(capsys, "run", *SMALL, "--out", locked / "o")
    finally:
        locked.chmod(0o700)
    assert_one_line_error(code, err, "not writable")
    assert "training:" not in stdout


def test_a_write_that_fails_late_is_one_line_not_a_traceback(capsys, folder, monkeypatch):
    # Stands in for an unwritable folder, which cannot be made when tests run as
    # root: the OS refuses a write part-way through the run.
    import ddpm_lib.pipeline as pipeline

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(folder / "o" / "report.json"))

    monkeypatch.setattr(pipeline, "run_experiment", refuse)
    code, _, err = run_main(capsys, "run", *SMALL, "--out", folder / "o")
    assert_one_line_error(code, err, "Permission denied", "report.json")


def test_ctrl_c_is_one_line(capsys, folder, monkeypatch):
    import ddpm_lib.pipeline as pipeline

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "run_experiment", interrupt)
    code, _, err = run_main(capsys, "run", *SMALL, "--out", folder / "o")
    assert code == 130 and len(err.strip().splitlines()) == 1
    assert "interrupted" in err


# --- validate -----------------------------------------------------------------------

@pytest.mark.parametrize("make, words", [
    (lambda f: f.write_text("1,2\n3,4\n"), ["header"]),
    (lambda f: f.write_bytes(b"\xff\xfe\x00\x01binary"), ["not a text CSV"]),
    (lambda f: f.write_text("x1,x2\n" + "1" * 200_000 + ",2\n"), ["not a readable CSV"]),
    (lambda f: f.write_text(""), ["empty"]),
    (lambda f: f.write_text("x1,x2\n1,2\n3\n"), ["line 3", "cells"]),
    (lambda f: f.write_text("x1,x2\n1,2\n3,inf\n"), ["line 3", "finite"]),
    (lambda f: f.mkdir(), ["folder"]),
])
def test_validate_bad_real_file(capsys, folder, make, words):
    make(folder / "bad.csv")
    code, _, err = run_main(capsys, "validate", folder / "bad.csv", folder / "fake.csv")
    assert_one_line_error(code, err, "bad.csv", *words)


@pytest.mark.parametrize("args, words", [
    (["--seed", "-1"], ["seed", "-1"]),
    (["--seed", "1.5"], ["--seed", "1.5"]),
    (["--structure", "ar1"], ["ar1", "columns"]),
    (["--structure", "Linear"], ["Linear"]),
    (["--json", "."], ["--json", "folder"]),
    (["--json", "a_file/report.json"], ["--json", "a_file", "not a folder"]),
    (["--train", "a_file"], ["train", "a_file"]),
    (["--train", "missing.csv"], ["train", "missing.csv", "no such file"]),
    (["--bogus"], ["--bogus"]),
])
def test_validate_user_errors(capsys, folder, monkeypatch, args, words):
    monkeypatch.chdir(folder)
    before = contents(folder)
    code, out, err = run_main(capsys, "validate", "real.csv", "fake.csv", *args)
    assert_one_line_error(code, err, *words)
    assert out == ""  # no half report on stdout
    assert contents(folder) == before


def test_validate_missing_arguments(capsys, folder):
    code, _, err = run_main(capsys, "validate", folder / "real.csv")
    assert_one_line_error(code, err, "fake")
    code, _, err = run_main(capsys, "validate")
    assert_one_line_error(code, err, "real")


def test_validate_train_with_other_columns(capsys, folder):
    write_csv(folder / "train3.csv", np.random.default_rng(0).normal(size=(50, 3)))
    code, _, err = run_main(capsys, "validate", folder / "real.csv", folder / "fake.csv",
                            "--train", folder / "train3.csv")
    assert_one_line_error(code, err, "train3.csv", "columns")


def test_experiments_unknown_group(capsys, folder):
    code, _, err = run_main(capsys, "experiments", "--group", "no_such_group",
                            "--out", folder / "exp")
    assert_one_line_error(code, err, "no_such_group")
    assert not (folder / "exp").exists()


# --- the real entry point --------------------------------------------------------

def test_entry_point_out_is_a_file(folder):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    proc = subprocess.run([sys.executable, "-m", "ddpm_lib", "run", *SMALL,
                           "--out", str(folder / "a_file")],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert_one_line_error(proc.returncode, proc.stderr, "--out", "not a folder")
    assert proc.stdout == ""


# --- help ---------------------------------------------------------------------------

def subparsers():
    parser = cli._parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return parser, action.choices


def test_top_level_help_lists_every_command():
    parser, commands = subparsers()
    text = parser.format_help()
    for name in commands:
        assert name in text
    assert {"run", "validate"} <= set(commands)


@pytest.mark.parametrize("command", ["run", "validate", "experiments"])
def test_help_documents_every_option_with_its_default(command):
    _, commands = subparsers()
    if command not in commands:
        pytest.skip(f"no {command} command")
    sub = commands[command]
    text = sub.format_help()
    blocks = {}
    current = None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("-"):
            current = stripped.split()[0].rstrip(",")
            blocks[current] = stripped
        elif current and line.startswith("    "):
            blocks[current] += " " + stripped
        else:
            current = None
    for action in sub._actions:
        if not action.option_strings or isinstance(action, argparse._HelpAction):
            continue
        assert action.help, f"{command} {action.option_strings} has no help"
        block = " ".join(" ".join(blocks.get(o, "").split()) for o in action.option_strings)
        assert "default:" in block, f"{command} {action.option_strings}: {block!r}"
        if action.default not in (None, False) and not isinstance(action.default, list):
            assert f"default: {action.default}" in block, block


def test_run_help_names_the_structures():
    from ddpm_lib.samples import STRUCTURES

    _, commands = subparsers()
    text = " ".join(commands["run"].format_help().split())
    for name in STRUCTURES:
        assert name in text
