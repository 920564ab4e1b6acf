"""Every notebook is paired with a py:percent script, and the two agree."""

from pathlib import Path

import jupytext
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
IPYNB = sorted(NOTEBOOKS.glob("*.ipynb"))
PY = sorted(NOTEBOOKS.glob("*.py"))


def test_every_file_has_its_pair():
    assert IPYNB, "no notebooks found"
    assert {p.stem for p in IPYNB} == {p.stem for p in PY}


def _cells(nb):
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


@pytest.mark.parametrize("path", IPYNB, ids=lambda p: p.name)
def test_pair_agrees(path):
    ipynb = jupytext.read(path)
    script = jupytext.read(path.with_suffix(".py"))
    assert _cells(ipynb) == _cells(script), f"{path.name} and its .py differ: run jupytext --sync"


@pytest.mark.parametrize("path", IPYNB, ids=lambda p: p.name)
def test_committed_with_outputs(path):
    nb = jupytext.read(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code), "execute before committing"
    for c in code:
        for out in c.get("outputs", []):
            assert out.get("name") != "stderr", f"{path.name} writes to stderr"
            assert out.get("output_type") != "error", f"{path.name} has an error output"
