"""The experiments of notebook 07, each run one "unit" at a time.

A unit is one trained model, its synthetic rows and their validation report,
stored as one JSON file under ``data/experiments/<group>/<name>.json``. The
notebook reads the files and rebuilds any that are missing; the command
``python -m ddpm_lib experiments`` runs them all (14 minutes on 2 cores as
two one-thread processes, each given half of the groups with ``--group``).

Groups:

``structures``   every law through the same battery (seed 0)
``mse_spread``   the origin's heuristic: stop training early (1 to 30 passes),
                 then relate the held-out MSE to the spread of the samples
``ablations``    posterior variance instead of beta; T = 100 and 250 with the
                 linear betas rescaled by 1000 / T; the cosine schedule
``seeds``        seeds 1 and 2 for three laws (seed 0 is in ``structures``)
``memorization`` training-set size 100, 1,000 and 10,000 at a fixed number of
                 gradient steps
``macro``        US macroeconomic growth rates (statsmodels' macrodata)
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import io, paths
from .pipeline import RunConfig
from .samples import STRUCTURES, get_law
from .training import TrainConfig, sample_rows, train

N_EVAL = 2000             # synthetic rows per unit: the validation's n_eval
STEP_BUDGET = 8400        # gradient steps of the default run (120 passes x 70 batches)
MACRO_COLUMNS = ("realgdp", "realcons", "realinv", "realdpi")


@dataclass(frozen=True)
class Unit:
    group: str
    name: str
    config: RunConfig
    data: str = "law"     # "law": rows of config.structure; "macro": macrodata

    @property
    def key(self) -> str:
        return f"{self.group}/{self.name}"


def _cfg(structure="linear", seed=0, **train_fields) -> RunConfig:
    return RunConfig(structure=structure, seed=seed,
                     training=TrainConfig(seed=seed, **train_fields))


def all_units() -> dict[str, Unit]:
    units = [Unit("structures", s, _cfg(s)) for s in STRUCTURES]
    units += [Unit("mse_spread", f"passes{k:03d}_seed{seed}", _cfg(seed=seed, max_iterations=k))
              for k in (1, 3, 10, 30) for seed in (0, 1, 2)]
    units += [
        Unit("ablations", "posterior_variance", RunConfig(variance="posterior")),
        Unit("ablations", "T100", RunConfig(timesteps=100, beta_start=1e-3, beta_end=0.2)),
        Unit("ablations", "T250", RunConfig(timesteps=250, beta_start=4e-4, beta_end=0.08)),
        Unit("ablations", "cosine", RunConfig(schedule="cosine")),
    ]
    units += [Unit("seeds", f"{s}_seed{seed}", _cfg(s, seed))
              for s in ("linear", "quadratic", "mixture") for seed in (1, 2)]
    for n in (100, 1000, 10_000):
        n_train = n - max(1, round(n * 0.1))
        passes = math.ceil(STEP_BUDGET / math.ceil(n_train / TrainConfig().batch_size))
        units.append(Unit("memorization", f"n{n:05d}",
                          RunConfig(structure="gaussian", n=n,
                                    training=TrainConfig(max_iterations=passes))))
    # Half the 202 quarters are kept out of training: they are the real side
    # of the validation (holdout and floor pool), which needs at least 40 rows.
    # 101 training rows make one gradient step per pass: the step budget of
    # the default run needs 8,400 passes.
    units.append(Unit("macro", "macrodata",
                      RunConfig(n=202, training=TrainConfig(holdout_fraction=0.5,
                                                            max_iterations=STEP_BUDGET)),
                      data="macro"))
    return {u.key: u for u in units}


def macro_rows() -> tuple[np.ndarray, list[str]]:
    """Quarterly growth rates, 100 * diff(log), of US real GDP, consumption,
    investment and disposable income, 1959Q2-2009Q3 (202 rows): a data set
    that ships inside statsmodels, so nothing is downloaded."""
    from statsmodels.datasets import macrodata

    frame = macrodata.load_pandas().data
    levels = np.log(frame[list(MACRO_COLUMNS)].to_numpy(dtype=np.float64))
    return 100 * np.diff(levels, axis=0), [f"{c}_growth" for c in MACRO_COLUMNS]


def _train_and_sample(unit: Unit, rows, schedule, n_fake: int, cache) -> dict:
    """Train and sample, or reuse the cached result of exactly that (the cache
    lets the battery be re-run without retraining; it is not committed)."""
    path = Path(cache) / f"{unit.key}.npz" if cache is not None else None
    if path is not None and path.exists():
        with np.load(path, allow_pickle=False) as z:
            stored = {k: z[k] for k in z.files}
        if str(stored["config"]) == json.dumps(unit.config.to_dict()):
            return {"fake": stored["fake"], "train_index": stored["train_index"],
                    "holdout_index": stored["holdout_index"],
                    "training": json.loads(str(stored["training"]))}
    cfg = unit.config
    result = train(rows, schedule, cfg.training)
    fake = sample_rows(result, result.scaler, schedule, n_fake, seed=cfg.seed + 1,
                       variance=cfg.variance)
    out = {"fake": fake, "train_index": result.train_index,
           "holdout_index": result.holdout_index,
           "training": {**result.summary(),
                        "heldout_mse_ema": result.history["heldout_mse_ema"]}}
    if path is not None:
        with io.atomic_write(path, "wb") as f:
            np.savez(f, config=json.dumps(cfg.to_dict()),
                     training=json.dumps(out["training"]), fake=fake,
                     train_index=out["train_index"], holdout_index=out["holdout_index"])
    return out


def run_unit(unit: Unit, cache=None) -> dict:
    """Train, sample and validate one unit; returns its JSON-ready result.

    With ``cache`` (a folder), the trained model's synthetic rows are kept
    there and reused, so only the validation runs again.
    """
    from .validation import validate

    cfg = unit.config
    schedule = cfg.make_schedule()
    if unit.data == "macro":
        rows, columns = macro_rows()
        structure, n_eval = None, None
    else:
        law = get_law(cfg.structure)
        rows, columns = law.sample(cfg.n, cfg.seed), law.column_names()
        structure, n_eval = cfg.structure, N_EVAL
    trained = _train_and_sample(unit, rows, schedule, n_eval or len(rows), cache)
    fake, summary = trained["fake"], trained["training"]
    train_rows = rows[trained["train_index"]]
    if unit.data == "macro":
        # Unknown law: the rows the network never trained on are the real side.
        real = rows[trained["holdout_index"]]
        report = validate(real, fake, structure=None, train=train_rows, seed=cfg.seed,
                          n_eval=len(real) // 2)
    else:
        report = validate(rows, fake, structure=structure, train=train_rows, seed=cfg.seed)
    return {
        "unit": unit.key,
        "data": unit.data,
        "columns": columns,
        "config": cfg.to_dict(),
        "training": summary,
        "summary": summarize(fake, rows, cfg.structure if unit.data == "law" else None),
        "report": report.to_json(),
    }


def summarize(fake: np.ndarray, real: np.ndarray, structure: str | None) -> dict:
    """Plain descriptive numbers beside the battery: sd ratios, correlations,
    and for the [x, 2x] line its slope and the spread across it."""
    out = {
        "sd_ratio": (fake.std(0, ddof=1) / real.std(0, ddof=1)).tolist(),
        "mean_shift_sd": ((fake.mean(0) - real.mean(0)) / real.std(0, ddof=1)).tolist(),
        "corr_fake": np.corrcoef(fake.T).tolist(),
        "corr_real": np.corrcoef(real.T).tolist(),
    }
    if structure == "linear":
        slope = get_law("linear").relation["slope"]
        x, y = fake[:, 0], fake[:, 1]
        out["slope"] = float(np.polyfit(x, y, 1)[0])
        out["line_spread"] = float(np.std(y - slope * x, ddof=1) / np.std(y, ddof=1))
    return out


def unit_path(key: str, folder=None) -> Path:
    folder = Path(folder) if folder is not None else paths.data_dir("experiments")
    return folder / f"{key}.json"


def cache_dir(folder=None) -> Path:
    folder = Path(folder) if folder is not None else paths.data_dir("experiments")
    return folder / "cache"


def load_or_run(key: str, folder=None, force: bool = False) -> dict:
    """The stored result of a unit, or a fresh run (saved) when it is missing."""
    units = all_units()
    if key not in units:
        raise ValueError(f"unknown experiment unit {key!r}; known: {sorted(units)}")
    path = unit_path(key, folder)
    if path.exists() and not force:
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            pass  # a damaged file is rebuilt
    result = run_unit(units[key], cache=cache_dir(folder))
    io.write_json(path, result)
    return result


def run_all(groups=None, folder=None, force: bool = False, log=print) -> list[str]:
    """Run (or keep) every unit of the given groups; returns the keys done."""
    units = all_units()
    known = sorted({u.group for u in units.values()})
    groups = list(groups or known)
    bad = sorted(set(groups) - set(known))
    if bad:
        raise ValueError(f"unknown experiment group(s) {bad}; choose from {known}")
    done = []
    for key, unit in units.items():
        if unit.group in groups:
            present = unit_path(key, folder).exists() and not force
            load_or_run(key, folder, force)
            log(f"{key}: {'kept' if present else 'done'}")
            done.append(key)
    return done
