"""The origin experiment end to end, shared by the command line and the notebooks.

real rows -> standardize -> train the noise predictor -> sample in reverse
-> back to data units -> validate against the known law.

Notebooks call :func:`real_rows`, :func:`trained_model` and
:func:`fake_rows`: each loads the file an earlier notebook wrote when it is
present and matches the settings, and rebuilds it deterministically when
not, so every notebook also runs on its own from a fresh clone.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np
import torch

from . import io, paths
from .checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from .forward import q_sample
from .samples import get_law
from .sampling import VARIANCES
from .schedule import NoiseSchedule
from .training import TrainConfig, sample_rows, train

SCHEDULES = ("linear", "cosine")


@dataclass
class RunConfig:
    """Settings of one experiment; defaults are the origin's."""

    structure: str = "linear"     # a name from ddpm_lib.samples.STRUCTURES
    n: int = 10_000               # real rows (training plus held-out)
    timesteps: int = 1000         # T
    schedule: str = "linear"      # "linear" or "cosine"
    beta_start: float = 1e-4      # linear schedule only
    beta_end: float = 0.02        # linear schedule only
    variance: str = "beta"        # reverse-step noise: "beta" (origin) or "posterior"
    n_fake: int | None = None     # synthetic rows to draw; None means n
    seed: int = 0                 # real rows, training and sampling all derive from it
    training: TrainConfig = field(default_factory=TrainConfig)

    def __post_init__(self):
        get_law(self.structure)  # raises on an unknown name
        for name in ("n", "timesteps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) \
                    or value <= 0:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.n < 20:
            raise ValueError(f"n must be at least 20 rows, got {self.n}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; choose one of "
                             f"{list(SCHEDULES)}")
        if self.variance not in VARIANCES:
            raise ValueError(f"unknown variance {self.variance!r}; choose one of "
                             f"{list(VARIANCES)}")
        if self.n_fake is not None and (isinstance(self.n_fake, bool) or self.n_fake <= 0):
            raise ValueError(f"n_fake must be a positive integer, got {self.n_fake!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) \
                or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")
        if isinstance(self.training, dict):
            self.training = TrainConfig.from_dict(self.training)
        self.training.seed = self.seed
        self.make_schedule()  # validates T and the betas

    def make_schedule(self) -> NoiseSchedule:
        if self.schedule == "cosine":
            return NoiseSchedule.cosine(self.timesteps)
        return NoiseSchedule.linear(self.timesteps, self.beta_start, self.beta_end)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["training"] = self.training.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown option(s) {unknown}; known: {sorted(known)}")
        return cls(**d)


# --- pieces the notebooks share ------------------------------------------

def real_rows(structure: str = "linear", n: int = 10_000, seed: int = 0) -> np.ndarray:
    """The real rows of notebook 01: loaded from data/real_samples/ when that
    file holds exactly these rows, drawn from the law otherwise (same result)."""
    rows = get_law(structure).sample(n, seed)
    path = paths.data_dir("real_samples", f"{structure}.csv")
    if path.exists() and (n, seed) == (10_000, 0):
        try:
            stored, _ = io.read_csv(path)
        except ValueError:
            stored = None
        if stored is not None and stored.shape == rows.shape and np.array_equal(stored, rows):
            return stored
    return rows


def model_path(config: RunConfig) -> Path:
    return paths.data_dir("models", f"{config.structure}_seed{config.seed}.pt")


def trained_model(config: RunConfig | None = None, path=None, save: bool = True):
    """The trained noise predictor for ``config`` as a :class:`Checkpoint`.

    Loaded from ``path`` (default data/models/) when its stored config equals
    ``config``; trained and saved there otherwise.
    """
    config = config or RunConfig()
    path = Path(path) if path is not None else model_path(config)
    wanted = json.loads(json.dumps(config.to_dict()))
    if path.exists():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # a version mismatch means retrain
                ckpt = load_checkpoint(path)
            if ckpt.config.get("run") == wanted:
                return ckpt
        except (ValueError, Warning):
            pass
    result = train(real_rows(config.structure, config.n, config.seed),
                   config.make_schedule(), config.training)
    stored = {"run": wanted, "training_result": result.summary(),
              "history": result.history}
    if save:
        save_checkpoint(path, result.ema_model, result.scaler, result.schedule, stored)
    from . import __version__
    return Checkpoint(model=result.ema_model, scaler=result.scaler,
                      schedule=result.schedule, config=json.loads(json.dumps(stored)),
                      library_version=__version__)


def fake_rows(ckpt: Checkpoint, n: int, seed: int = 1, variance: str = "beta"):
    """n synthetic rows in data units (seeded; seed 1 keeps them apart from the
    seed-0 real rows)."""
    return sample_rows(ckpt.model, ckpt.scaler, ckpt.schedule, n, seed=seed,
                       variance=variance)


def noised_rows(rows: np.ndarray, schedule: NoiseSchedule, seed: int = 0) -> np.ndarray:
    """Each row noised at one uniformly drawn step t: columns [t, x_t...],
    exactly what the network is trained on."""
    gen = torch.Generator().manual_seed(seed)
    x0 = torch.as_tensor(rows, dtype=torch.float64)
    t = torch.randint(0, schedule.T, (len(x0),), generator=gen)
    noise = torch.randn(x0.shape, generator=gen, dtype=torch.float64)
    return np.column_stack([t.numpy(), q_sample(x0, t, noise, schedule).numpy()])


# --- the whole experiment -------------------------------------------------

@dataclass
class RunResult:
    config: RunConfig
    real: np.ndarray
    fake: np.ndarray
    checkpoint: Checkpoint
    report: object            # ddpm_lib.validation report

    def to_json(self) -> dict:
        out = self.report.to_json()
        out["training"] = dict(self.checkpoint.config["training_result"])
        out["config"] = self.config.to_dict()
        return out


def run_experiment(config: RunConfig | None = None, out=None, figures: bool = True,
                   checkpoint_path=None) -> RunResult:
    """Run the experiment; with ``out`` write its files there (atomically)."""
    from .validation import validate

    config = config or RunConfig()
    law = get_law(config.structure)
    real = real_rows(config.structure, config.n, config.seed)
    out = Path(out) if out is not None else None
    ckpt_path = checkpoint_path or (out / "model.pt" if out else model_path(config))
    # Nothing is written until every step has succeeded: a failed run keeps
    # the previous run's files whole.
    ckpt = trained_model(config, path=ckpt_path, save=False)
    fake = fake_rows(ckpt, config.n_fake or config.n, seed=config.seed + 1,
                     variance=config.variance)
    train_rows = real  # every real row was seen in training or the stop rule
    report = validate(real, fake, structure=config.structure, train=train_rows,
                      seed=config.seed)
    result = RunResult(config=config, real=real, fake=fake, checkpoint=ckpt, report=report)
    if out is not None:
        header = law.column_names()
        # Every text is made before the first file is replaced, so a failure
        # here leaves the folder's previous run whole.
        texts = {
            "real_samples.csv": io.format_rows(real, header),
            "noise_samples.csv": io.format_rows(
                noised_rows(real, ckpt.schedule, config.seed), ["t"] + header),
            "fake_samples.csv": io.format_rows(fake, header),
            "report.json": json.dumps(_json_ready(result.to_json()), indent=2,
                                      allow_nan=False) + "\n",
            "report.md": report.to_markdown(),
        }
        save_checkpoint(ckpt_path, ckpt.model, ckpt.scaler, ckpt.schedule, ckpt.config)
        for name, text in texts.items():
            io.write_text(out / name, text)
        if figures:
            write_run_figures(result, out / "figures")
    return result


def _json_ready(obj):
    """JSON has no infinity: a non-finite float (``--threshold inf``) becomes
    its name, "inf" or "nan"."""
    if isinstance(obj, dict):
        return {k: _json_ready(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_ready(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return str(obj)
    return obj


def write_run_figures(result: RunResult, folder: Path) -> list[Path]:
    """Loss curves and the validation figures of one run."""
    import matplotlib.pyplot as plt

    from .plotting import savefig
    from .validation_figures import save_validation_figures

    hist = result.checkpoint.config["history"]
    fig, ax = plt.subplots()
    ax.plot(hist["iteration"], hist["train_loss"], label="training loss")
    ax.plot(hist["iteration"], hist["heldout_mse_ema"], label="held-out MSE (EMA)")
    ax.set_xlabel("iteration (pass over the training rows)")
    ax.set_ylabel("noise-prediction MSE")
    ax.legend()
    paths_out = [savefig(fig, "loss_curves", folder)]
    plt.close(fig)
    paths_out += list(save_validation_figures(result.real, result.fake,
                                              result.report, folder))
    return paths_out
