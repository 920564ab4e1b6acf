"""Where the tutorial keeps its files: data/ and figures/ at the project root.

Notebooks run with notebooks/ as their working directory, the command line
from wherever it is called; both find the same folders through this module.
"""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    """The checkout that holds this package, or ``$DDPM_ROOT`` when set."""
    env = os.environ.get("DDPM_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parent.parent
    if (here / "pyproject.toml").exists():
        return here
    return Path.cwd().resolve()


def data_dir(*parts: str) -> Path:
    return project_root().joinpath("data", *parts)


def figures_dir() -> Path:
    return project_root() / "figures"
