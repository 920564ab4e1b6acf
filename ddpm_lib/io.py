"""Reading and writing rows and reports without ever leaving half a file.

Every writer goes through :func:`atomic_write`: the content goes to a
temporary file in the same folder, which is then renamed over the target. A
crash mid-write leaves the old file (or none), never a truncated one.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from ._checks import as_rows


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path, mode: str = "w"):
    """Open a temporary file beside ``path``; on success rename it to ``path``."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder; expected the path of a file to write")
    for folder in (path.parent, *path.parent.parents):  # the nearest existing one
        if folder.exists():
            if not folder.is_dir():
                raise ValueError(f"{folder} is a file, not a folder: cannot write {path}")
            break
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"newline": "",
                                                             "encoding": "utf-8"})) as f:
            # mkstemp's 0600 would hide the file from others; inside the with, so
            # that an interrupt here still closes the descriptor
            os.fchmod(f.fileno(), 0o666 & ~_umask())
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def format_rows(rows, header=None, digits: int = 17) -> str:
    """Rows as CSV text; 17 significant digits read back to the same float64."""
    rows = as_rows(rows, "rows").numpy()
    if header is None or (not isinstance(header, str) and len(header) == 0):
        header = [f"x{i + 1}" for i in range(rows.shape[1])]
    if isinstance(header, str) or not all(isinstance(h, str) for h in header):
        raise ValueError(f"header must be a list of column names (strings), got {header!r}")
    unsafe = [h for h in header if any(c in h for c in ',"\r\n')]
    if unsafe:
        raise ValueError(f"column name {unsafe[0]!r} holds a comma, quote or line break, "
                         "which would split or break the CSV header")
    if len(header) != rows.shape[1]:
        raise ValueError(f"header has {len(header)} names for {rows.shape[1]} columns")
    buf = io.StringIO()
    buf.write(",".join(header) + "\n")
    fmt = f"%.{digits}g"
    np.savetxt(buf, rows, delimiter=",", fmt=fmt)
    return buf.getvalue()


def write_csv(path, rows, header=None) -> Path:
    """Write rows (n, d) as CSV with a header line, atomically."""
    text = format_rows(rows, header)
    with atomic_write(path) as f:
        f.write(text)
    return Path(path)


def read_csv(path, allow_nonfinite: bool = False) -> tuple[np.ndarray, list[str]]:
    """Read a numeric CSV with a header line; returns (rows, header).

    Raises ValueError naming the file, line and column of the first problem:
    a missing file, no rows, a ragged line, a non-numeric cell, NaN or inf
    (NaN and inf cells are kept instead when ``allow_nonfinite``, as for
    synthetic rows whose failures a validation should count).
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path}: is a folder, not a CSV file")
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    try:
        # utf-8-sig: a byte-order mark (Excel's "CSV UTF-8") is not part of the header
        with open(path, newline="", encoding="utf-8-sig") as f:
            lines = list(csv.reader(f))
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text CSV file") from None
    except csv.Error as err:  # a NUL byte, a cell over the field size limit, ...
        raise ValueError(f"{path}: not a readable CSV file ({err})") from None
    except OSError as err:
        raise ValueError(f"{path}: cannot read the file ({err.strerror})") from None
    # Keep each line's number in the file; skip only truly blank lines. A line
    # of empty cells (",") is a row with missing values, reported below.
    numbered = [(k + 1, ln) for k, ln in enumerate(lines)
                if ln and not (len(ln) == 1 and not ln[0].strip())]
    if not numbered:
        raise ValueError(f"{path}: the file is empty")
    lines = [ln for _, ln in numbered]
    header = [c.strip() for c in lines[0]]
    if all(_is_number(c) for c in header):
        raise ValueError(f"{path}: line 1 holds numbers, not column names; the file "
                         "needs a header line")
    body = numbered[1:]
    if not body:
        raise ValueError(f"{path}: no data rows below the header")
    rows = np.empty((len(body), len(header)))
    for i, (lineno, line) in enumerate(body):
        if len(line) != len(header):
            raise ValueError(f"{path}: line {lineno} has {len(line)} cells, "
                             f"the header has {len(header)}")
        for j, cell in enumerate(line):
            try:
                value = float(cell)
            except ValueError:
                raise ValueError(f"{path}: line {lineno}, column {header[j]!r}: "
                                 f"{cell.strip()!r} is not a number") from None
            if not (allow_nonfinite or np.isfinite(value)):
                raise ValueError(f"{path}: line {lineno}, column {header[j]!r}: "
                                 f"{cell.strip()} is not a finite number")
            rows[i, j] = value
    return rows, header


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def write_json(path, obj) -> Path:
    with atomic_write(path) as f:
        json.dump(obj, f, indent=2, sort_keys=False, allow_nan=False)
        f.write("\n")
    return Path(path)


def write_text(path, text: str) -> Path:
    with atomic_write(path) as f:
        f.write(text)
    return Path(path)
