"""Command line: ``python -m ddpm_lib run``, ``validate`` and ``experiments``.

Exit codes: 0 preserved (or done), 1 a validation check failed, 2 bad input or
usage, always with a one-line message and no traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line instead of usage plus message
        raise UsageError(f"{self.prog}: {message}")


def _check_folder(path, option: str) -> Path:
    """Fail early, before any work, when ``path`` cannot become a writable folder."""
    if not str(path).strip():
        raise ValueError(f"{option} must name a folder, got an empty string")
    path = Path(path)
    for folder in (path, *path.parents):  # the nearest one that exists
        if folder.exists():
            if not folder.is_dir():
                raise ValueError(f"{option} {path}: {folder} is a file, not a folder")
            if not os.access(folder, os.W_OK | os.X_OK):
                raise ValueError(f"{option} {path}: folder {folder} is not writable")
            return path
    return path


def _check_file(path, option: str) -> Path:
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{option} {path} is a folder; give the path of a file")
    _check_folder(path.parent, option)
    return path


def _parser() -> argparse.ArgumentParser:
    from .pipeline import RunConfig
    from .samples import STRUCTURES

    run_d, train_d = RunConfig(), RunConfig().training  # one source for defaults
    p = _Parser(prog="python -m ddpm_lib",
                description="DDPM on samples of a known law: run the experiment or "
                            "validate synthetic rows.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    fmt = argparse.ArgumentDefaultsHelpFormatter

    r = sub.add_parser("run", formatter_class=fmt,
                       help="real rows -> train -> sample -> validate; writes DIR")
    r.add_argument("--structure", default=run_d.structure,
                   help=f"law of the real rows: {', '.join(STRUCTURES)}")
    r.add_argument("--n", type=int, default=run_d.n, help="number of real rows")
    r.add_argument("--timesteps", type=int, default=run_d.timesteps, help="diffusion steps T")
    r.add_argument("--schedule", default=run_d.schedule, choices=["linear", "cosine"],
                   help="noise schedule")
    r.add_argument("--threshold", type=float, default=train_d.threshold,
                   help="stop training when the held-out MSE falls below this "
                        "(0 never fires)")
    r.add_argument("--max-iterations", type=int, default=train_d.max_iterations,
                   help="passes over the training rows at most")
    r.add_argument("--variance", default=run_d.variance, choices=["beta", "posterior"],
                   help="reverse-step noise: sqrt(beta_t) or the posterior sd")
    r.add_argument("--seed", type=int, default=run_d.seed,
                   help="seed for rows, training, sampling")
    r.add_argument("--out", default="out", help="folder for CSVs, reports and figures")
    r.add_argument("--no-figures", action="store_true", help="skip the figures")
    r.add_argument("--progress", action="store_true", help="show progress bars")

    v = sub.add_parser("validate", formatter_class=fmt,
                       help="is FAKE drawn from the same law as REAL?")
    v.add_argument("real", help="CSV of real rows (header line, numbers)")
    v.add_argument("fake", help="CSV of synthetic rows with the same columns")
    v.add_argument("--structure", default=None,
                   help=f"known law of REAL ({', '.join(STRUCTURES)}); without it "
                        "the floor resamples REAL")
    v.add_argument("--train", default=None,
                   help="CSV of the training rows: adds the memorization check")
    v.add_argument("--json", default=None, help="also write the report as JSON here")
    v.add_argument("--seed", type=int, default=0, help="seed for floors and permutations")
    e = sub.add_parser("experiments", formatter_class=fmt,
                       help="the runs behind notebook 07, one JSON file per unit")
    e.add_argument("--group", action="append", default=None,
                   help="run only this group (repeatable; default: every group)"
                        "%(default).0s")
    e.add_argument("--out", default=None,
                   help="folder for the results (default: data/experiments)"
                        "%(default).0s")
    e.add_argument("--force", action="store_true",
                   help="run units again even when their file exists")
    return p


def _cmd_experiments(args) -> int:
    from .experiments import run_all

    if args.out is not None:
        _check_folder(args.out, "--out")
    run_all(groups=args.group, folder=args.out, force=args.force,
            log=lambda line: print(line, flush=True))
    return EXIT_OK


def _cmd_run(args) -> int:
    from .pipeline import RunConfig, run_experiment
    from .training import TrainConfig

    config = RunConfig(
        structure=args.structure, n=args.n, timesteps=args.timesteps,
        schedule=args.schedule, variance=args.variance, seed=args.seed,
        training=TrainConfig(threshold=args.threshold, max_iterations=args.max_iterations,
                             seed=args.seed, progress=args.progress))
    _check_folder(args.out, "--out")  # before training, not after it
    result = run_experiment(config, out=Path(args.out), figures=not args.no_figures)
    train = result.checkpoint.config["training_result"]
    print(f"training: {train['iterations']} iterations, stopped by {train['stopped_by']}, "
          f"held-out MSE {train['final_mse']:.4f}")
    print(result.report.to_markdown())
    print(f"files written to {args.out}/")
    return EXIT_OK if _preserved(result.report) else EXIT_FAILED


def _preserved(report) -> bool:
    return bool(report.distribution_preserved and report.dependencies_preserved)


def _cmd_validate(args) -> int:
    from .validation import validate_files

    if args.json is not None:
        _check_file(args.json, "--json")  # before the checks run, not after
    report, code = validate_files(args.real, args.fake, structure=args.structure,
                                  train_csv=args.train, json_path=args.json,
                                  seed=args.seed)
    print(report.to_markdown())
    return code


def main(argv=None) -> int:
    try:
        args = _parser().parse_args(argv)
        commands = {"run": _cmd_run, "validate": _cmd_validate,
                    "experiments": _cmd_experiments}
        return commands[args.command](args)
    except UsageError as err:
        print(str(err).splitlines()[0], file=sys.stderr)
        return EXIT_USAGE
    except ValueError as err:
        print(f"error: {str(err).splitlines()[0]}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as err:  # a folder that cannot be written, a full disk, ...
        where = f": {err.filename}" if err.filename else ""
        print(f"error: {err.strerror or err}{where}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted; files already written are whole", file=sys.stderr)
        return 130
