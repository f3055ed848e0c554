"""The conda environment and pyproject list the same dependencies; the repo stays text-only."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _normalise(requirement: str) -> str:
    return re.sub(r"\s+", "", requirement).lower()


def test_environment_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    wanted = {_normalise(r) for r in project["dependencies"] + extras}
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in environment["dependencies"] if isinstance(d, dict))
    listed = {_normalise(r) for r in pip_section if not r.startswith("-")}
    assert listed == wanted
    assert "-c requirements.lock" in pip_section


def test_torch_is_pinned():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "torch==2.13.0" in project["dependencies"]


def test_no_executed_notebooks_are_tracked():
    tracked = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True).stdout
    assert tracked.strip() == ""


def _locked() -> dict[str, str]:
    lines = (ROOT / "requirements.lock").read_text().splitlines()
    pins = [line.split("==") for line in lines if line and not line.startswith("#")]
    return {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in pins}


def test_lock_pins_every_dependency_and_extra_exactly():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + [r for group in project["optional-dependencies"].values() for r in group]
    names = {re.sub(r"[-_.]+", "-", re.split(r"[<>=!~\[ ]", r)[0]).lower() for r in requirements}
    locked = _locked()
    assert names <= set(locked), sorted(names - set(locked))
    assert locked["torch"].startswith("2.13.0") and locked["snakemake-executor-plugin-slurm"] == "2.8.0"


def test_installed_environment_matches_the_lock():
    """What `make` installed is what the lock says (CI builds its environment with `make`)."""
    from importlib import metadata

    installed = {re.sub(r"[-_.]+", "-", d.metadata["Name"]).lower(): d.version for d in metadata.distributions()}
    locked = _locked()
    mismatched = {name: (version, installed[name]) for name, version in locked.items()
                  if name in installed and installed[name] != version}  # fmt: skip
    assert not mismatched  # the lab extra's packages are locked too, and installed only by `make lab`
    assert {"torch", "snakemake", "pytest", "snakemake-executor-plugin-slurm"} <= set(installed) & set(locked)


def test_lab_opens_text_notebooks_as_notebooks():
    import json
    import sys

    shipped = json.loads((ROOT / ".jupyter/overrides.json").read_text())
    assert shipped["@jupyterlab/docmanager-extension:plugin"]["defaultViewers"]["python"] == "Jupytext Notebook"
    installed = Path(sys.prefix) / "share/jupyter/lab/settings/overrides.json"
    assert json.loads(installed.read_text()) == shipped  # `make` put it where a plain `jupyter lab` reads it
