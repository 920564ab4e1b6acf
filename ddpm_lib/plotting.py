"""Small plotting helpers shared by the notebooks and the pipeline.

Figures are saved as PNG with fixed size, fixed dpi and no metadata that
changes between runs, so re-running a notebook leaves ``git status`` clean.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

from .io import atomic_write
from .paths import figures_dir

PNG_METADATA = {"Software": None}


def savefig(fig, name: str, folder=None, dpi: int = 100) -> Path:
    """Save ``fig`` as ``folder/name`` (PNG; ``figures/`` by default), atomically."""
    folder = Path(folder) if folder is not None else figures_dir()
    path = folder / (name if name.endswith(".png") else f"{name}.png")
    with atomic_write(path, "wb") as f:
        fig.savefig(f, format="png", dpi=dpi, metadata=PNG_METADATA)
    return path


def use_quiet_style() -> None:
    """One plotting style for every notebook (readable in class on a projector)."""
    matplotlib.rcParams.update({
        "figure.figsize": (6.4, 4.0),
        "figure.dpi": 80,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "font.size": 10,
    })


def show(fig=None) -> None:
    """Show figures in a notebook as a PNG image alone, then close them.

    ``plt.show()`` under Jupyter's inline backend adds a text line such as
    ``<Figure size 640x480 with 1 Axes>`` beside each image; this shows the
    image without that text, so the notebook's stored outputs hold only what
    the reader should see. Outside a notebook it falls back to ``plt.show()``.
    """
    import base64
    import io as _io

    import matplotlib.pyplot as plt

    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:
        get_ipython = None
    if get_ipython is None or get_ipython() is None:
        plt.show()
        return
    figures = [fig] if fig is not None else [plt.figure(n) for n in plt.get_fignums()]
    for f in figures:
        buf = _io.BytesIO()
        f.savefig(buf, format="png", bbox_inches="tight", metadata=PNG_METADATA)
        display({"image/png": base64.b64encode(buf.getvalue()).decode("ascii")}, raw=True)
        plt.close(f)
