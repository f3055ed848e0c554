"""Load an analysis configuration: ``config/config.yaml`` (every setting, the default book) with a
profile's overrides on top (``config/<profile>.yaml`` or any YAML file), validated against the schema.

The merge is the one Snakemake applies to ``--configfile`` over the Snakefile's ``configfile:``:
mappings merge key by key, anything else (lists included) is replaced.

Example:
    >>> config = load_config("smoke")
    >>> config["training"]["trials"], config["run_dir"]
    (1, 'runs/smoke')
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from glioma_lib.config.schema import AnalysisConfig
from glioma_lib.core.errors import InputDataError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = PROJECT_ROOT / "config"
BASE_CONFIG = CONFIG_DIR / "config.yaml"


NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"


def work_in_project_root() -> Path:
    """Make a notebook's relative paths mean what they mean in the workflow, wherever its kernel starts.

    The settings' relative paths (``runs/default``, ``../shared/realdata``) are relative to the
    project root, where the workflow and ``glioma notebook`` run the notebooks. JupyterLab starts a
    kernel in the notebook's own folder (``notebooks/``): there this moves the kernel to the project
    root. A kernel started anywhere else (``glioma notebook`` launched from another folder) is left
    where it is, so the paths given on that command line keep meaning what they meant there.
    Every notebook calls this first; it returns the working folder.
    """
    if Path.cwd().resolve() == NOTEBOOK_DIR.resolve():
        os.chdir(PROJECT_ROOT)
    return Path.cwd()


class ConfigError(InputDataError):
    """A configuration that does not match the schema; the message names each key and its file."""


def profile_path(profile: str | Path) -> Path:
    """The override file of ``profile``: a name under ``config/`` or a YAML file."""
    path = Path(profile)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return path.resolve()
    path = CONFIG_DIR / f"{profile}.yaml"
    if str(profile) == "config" or not path.is_file():
        known = known_profiles()
        raise ConfigError(f"no profile {str(profile)!r}; known profiles: {known}, or a YAML file of overrides")
    return path


def known_profiles() -> list[str]:
    return sorted(p.stem for p in CONFIG_DIR.glob("*.yaml") if p != BASE_CONFIG)


def merged(base: dict, override: dict) -> dict:
    """``override`` on top of ``base``: mappings merge key by key, other values are replaced."""
    out = dict(base)
    for key, value in override.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def _read(path: Path) -> dict:
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise ConfigError("a configuration must be a mapping of sections", path=path)
    return data


def _has_key(data: dict, location: tuple) -> bool:
    for key in location:
        if not isinstance(data, dict) or key not in data:
            return False
        data = data[key]
    return True


def _model_at(location: tuple) -> type[BaseModel]:
    """The schema section a (possibly misspelled) key sits in."""
    model: Any = AnalysisConfig
    for key in location:
        field = model.model_fields.get(key)
        inner = getattr(field, "annotation", None) if field else None
        candidates = [a for a in (inner, *getattr(inner, "__args__", ())) if isinstance(a, type)
                      and issubclass(a, BaseModel)]  # fmt: skip
        if not candidates:
            break
        model = candidates[0]
    return model


def describe_errors(error: ValidationError, sources: list[tuple[Path, dict]]) -> str:
    """One line per problem: the file that set the key (the last one that has it), the key, the
    problem and, for an unknown key, the closest known one."""
    lines = []
    for problem in error.errors():
        location = tuple(str(part) for part in problem["loc"] if not str(part).startswith("function-"))
        source = next((path for path, data in reversed(sources) if _has_key(data, location)), sources[-1][0])
        message = problem["msg"]
        if problem["type"] == "extra_forbidden":
            known = list(_model_at(location[:-1]).model_fields)
            close = difflib.get_close_matches(location[-1], known, n=1)
            message = "unknown key" + (f"; did you mean {close[0]!r}?" if close else f"; known keys: {known}")
        elif problem["type"] == "missing":
            source = BASE_CONFIG
        lines.append(f"{source}: {'.'.join(location) or '(top level)'}: {message}")
    return "\n".join(lines)


def validated(config: dict, sources: list[tuple[Path, dict]]) -> dict:
    """``config`` checked against the schema, as plain YAML-ready values; a :class:`ConfigError`
    names every wrong key and the file it came from."""
    try:
        return AnalysisConfig.model_validate(config).model_dump(mode="json")
    except ValidationError as error:
        raise ConfigError("invalid configuration:\n" + describe_errors(error, sources)) from None


def base_config() -> dict:
    """The validated ``config/config.yaml``: the default book, where every setting has its one default."""
    base = _read(BASE_CONFIG)
    return validated(base, [(BASE_CONFIG, base)])


def load_config(profile: str | Path = "default") -> dict:
    """The validated configuration of ``profile`` (its overrides on ``config/config.yaml``)."""
    override_path = profile_path(profile)
    base, override = _read(BASE_CONFIG), _read(override_path)
    return validated(merged(base, override), [(BASE_CONFIG, base), (override_path, override)])
