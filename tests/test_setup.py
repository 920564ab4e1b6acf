"""The set-up files agree with each other (conda is not on the test machines,
so environment.yml is checked against pyproject.toml here)."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# conda names for the PyPI names that differ
CONDA_NAME = {"torch": "pytorch"}


def _split(req: str):
    m = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", req)
    return m.group(1).lower(), m.group(2).replace(" ", "")


def _pyproject_requirements():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = list(data["project"]["dependencies"])
    for extra in data["project"]["optional-dependencies"].values():
        reqs += extra
    return dict(_split(r) for r in reqs)


def _environment_requirements():
    reqs, in_deps = {}, False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if re.match(r"\S", line):  # a top-level key: channels, dependencies, ...
            in_deps = line.startswith("dependencies:")
            continue
        m = re.match(r"\s+-\s+([A-Za-z0-9_.\-]+)\s*(\S*)\s*$", line)
        if in_deps and m:
            reqs[m.group(1).lower()] = m.group(2)
    return reqs


def test_environment_yml_mirrors_pyproject():
    py = _pyproject_requirements()
    env = _environment_requirements()
    for name, spec in py.items():
        conda = CONDA_NAME.get(name, name)
        assert conda in env, f"{conda} is in pyproject.toml but not environment.yml"
        assert env[conda] == spec, f"{conda}: pyproject {spec!r}, environment.yml {env[conda]!r}"
    extra = set(env) - {CONDA_NAME.get(n, n) for n in py} - {"python", "cpuonly"}
    assert not extra, f"environment.yml lists packages pyproject.toml does not: {extra}"


def test_python_version_agrees():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert _environment_requirements()["python"] == data["project"]["requires-python"]


def test_torch_upper_bound_stays_below_2_14():
    # A bound that admits 2.14 pulls a multi-GB CUDA build instead of the CPU
    # build of 2.13.0 that lies on the test machines' disk.
    spec = _pyproject_requirements()["torch"]
    upper = re.search(r"<(=?)(\d+)\.(\d+)", spec)
    assert upper, f"torch needs an upper bound, got {spec!r}"
    major, minor = int(upper.group(2)), int(upper.group(3))
    assert (major, minor) <= (2, 14) and not (upper.group(1) and (major, minor) >= (2, 14))


def test_ci_calls_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
