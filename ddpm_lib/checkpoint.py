"""Checkpoints: weights and plain values only, never pickled code.

A checkpoint is a ``torch.save`` archive of one dict holding tensors,
numbers, strings, lists and dicts. :func:`load_checkpoint` reads it with
``torch.load(..., weights_only=True)``, whose unpickler refuses every
object that is not one of those, so a file from an untrusted source cannot
run code on load. Everything read is then checked field by field.
"""

from __future__ import annotations

import pickle
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from . import __version__
from .io import atomic_write
from .model import NoisePredictor
from .scaler import Standardizer
from .schedule import NoiseSchedule

FORMAT = "ddpm_lib-checkpoint"
FORMAT_VERSION = 1


@dataclass
class Checkpoint:
    model: NoisePredictor
    scaler: Standardizer
    schedule: NoiseSchedule
    config: dict
    library_version: str


_MAX_DEPTH = 50  # deeper nesting than any config needs; also stops self-reference


def _plain(value, where="config", depth=0):
    """Check that value is made only of None, bool, int, float, str, list, dict."""
    if depth > _MAX_DEPTH:
        raise ValueError(f"{where[:40]}... is nested more than {_MAX_DEPTH} levels "
                         "deep (or contains itself)")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v, where, depth + 1) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise ValueError(f"{where} keys must be strings")
        return {k: _plain(v, f"{where}.{k}", depth + 1) for k, v in value.items()}
    raise ValueError(f"{where} holds a {type(value).__name__}; only plain values "
                     "(numbers, strings, lists, dicts) can go into a checkpoint")


def _finite_state(model: NoisePredictor) -> dict:
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    for key, value in state.items():
        if not torch.isfinite(value).all():
            raise ValueError(f"model weight {key!r} holds NaN or inf; "
                             "a diverged model is not worth saving")
    return state


def save_checkpoint(path, model: NoisePredictor, scaler: Standardizer,
                    schedule: NoiseSchedule, config: dict | None = None) -> Path:
    """Write model weights, scaler, schedule and a plain config dict, atomically."""
    if not isinstance(model, NoisePredictor):
        raise ValueError(f"model must be a NoisePredictor, got {type(model).__name__}")
    if not isinstance(scaler, Standardizer):
        raise ValueError(f"scaler must be a Standardizer, got {type(scaler).__name__}")
    if not isinstance(schedule, NoiseSchedule):
        raise ValueError(f"schedule must be a NoiseSchedule, got {type(schedule).__name__}")
    if config is not None and not isinstance(config, dict):
        raise ValueError(f"config must be a dict of plain values, got {type(config).__name__}")
    if model.config["dim"] != scaler.dim:
        raise ValueError(f"model has {model.config['dim']} columns, scaler {scaler.dim}")
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "library_version": __version__,
        "model_config": dict(model.config),
        "state_dict": _finite_state(model),
        "scaler": scaler.to_dict(),
        "schedule": {"name": schedule.name, "betas": schedule.betas.clone()},
        "config": _plain(dict(config or {})),
    }
    with atomic_write(path, "wb") as f:
        torch.save(payload, f)
    return Path(path)


def _require(payload, key, kind, path):
    if key not in payload:
        raise ValueError(f"{path}: checkpoint is missing {key!r}")
    if not isinstance(payload[key], kind):
        raise ValueError(f"{path}: checkpoint field {key!r} has the wrong type "
                         f"({type(payload[key]).__name__})")
    return payload[key]


def _check_weights(state: dict, model_config: dict) -> None:
    """Weights must be finite real tensors whose shapes are the model's.

    Shapes are compared on the meta device, which allocates nothing: a
    tampered config asking for a huge model cannot exhaust memory. Sizes are
    first bounded by what the file holds, so that building even the meta
    model takes time in proportion to the file.
    """
    for key, value in state.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise ValueError(f"state_dict entry {key!r} is not a named tensor")
        if not value.is_floating_point():
            raise ValueError(f"weight {key!r} has dtype {value.dtype}; "
                             "expected real floating point")
        if not torch.isfinite(value).all():
            raise ValueError(f"weight {key!r} holds NaN or inf")
    total = sum(v.numel() for v in state.values())
    for key, value in model_config.items():
        if isinstance(value, int) and not isinstance(value, bool) and value > total:
            raise ValueError(f"model_config {key}={value} is larger than the "
                             f"{total} weights the file holds")
    depth = model_config.get("depth")
    if isinstance(depth, int) and depth > len(state):
        raise ValueError(f"model_config depth={depth} needs more layers than the "
                         f"{len(state)} tensors the file holds")
    with torch.device("meta"):
        probe = NoisePredictor(**model_config)
    expected = {k: tuple(v.shape) for k, v in probe.state_dict().items()}
    found = {k: tuple(v.shape) for k, v in state.items()}
    if expected != found:
        diff = sorted(set(expected.items()) ^ set(found.items()))[:1]
        raise ValueError(f"weights do not match model_config (first difference: {diff})")


def load_checkpoint(path) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Raises ValueError for a missing, truncated, foreign or tampered file (one
    that holds anything but weights and plain values). Warns when the file
    was written by another version of ddpm_lib.
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path}: is a folder, not a checkpoint file")
    if not path.is_file():
        raise ValueError(f"{path}: no such checkpoint file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's notes on foreign pickle protocols
            payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise ValueError(f"{path}: refused to load: not made only of weights and plain "
                         "values (a foreign file, or one whose loading could run code)"
                         ) from None
    except Exception as err:  # truncated zip, foreign bytes, a legacy pickle, ...
        raise ValueError(f"{path}: not a readable checkpoint (truncated or not "
                         f"a ddpm_lib file: {type(err).__name__})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{path}: not a ddpm_lib checkpoint")
    if payload.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path}: checkpoint format {payload.get('format_version')!r} "
                         f"is not supported (expected {FORMAT_VERSION})")
    version = _require(payload, "library_version", str, path)
    model_config = _require(payload, "model_config", dict, path)
    state = _require(payload, "state_dict", dict, path)
    scaler_d = _require(payload, "scaler", dict, path)
    sched = _require(payload, "schedule", dict, path)
    config = _require(payload, "config", dict, path)
    try:
        _check_weights(state, model_config)
        model = NoisePredictor(**model_config)
        model.load_state_dict(state, strict=True)
        scaler = Standardizer.from_dict(scaler_d)
        schedule = NoiseSchedule.from_betas(sched["betas"], name=str(sched.get("name")))
        config = _plain(config)
    except (TypeError, KeyError, RuntimeError, ValueError) as err:
        msg = str(err).strip().splitlines()[0][:200]
        raise ValueError(f"{path}: inconsistent checkpoint: {msg}") from None
    if model.config["dim"] != scaler.dim:
        raise ValueError(f"{path}: inconsistent checkpoint: model has "
                         f"{model.config['dim']} columns, scaler {scaler.dim}")
    if version != __version__:
        warnings.warn(f"{path} was written by ddpm_lib {version}; this is "
                      f"{__version__}. Retrain if results look off.", stacklevel=2)
    model.eval()
    return Checkpoint(model=model, scaler=scaler, schedule=schedule, config=config,
                      library_version=version)
