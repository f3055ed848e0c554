"""What a run was made from: git commit, profile and parameters, package versions, timings."""

from __future__ import annotations

import datetime
import platform
import subprocess
from importlib import metadata
from pathlib import Path

import nbformat


def git_commit(root: Path) -> dict:
    """HEAD's hash and whether the working tree had uncommitted changes."""
    def git(*args: str) -> str:
        try:
            result = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True)
        except OSError:  # no git, or no such folder
            return ""
        return result.stdout.strip() if result.returncode == 0 else ""

    return {"commit": git("rev-parse", "HEAD") or "unknown", "dirty": bool(git("status", "--porcelain"))}


def package_versions() -> dict[str, str]:
    """Every installed distribution and its version (what ``pip freeze`` would list), sorted by name."""
    versions = {dist.metadata["Name"].lower(): dist.version for dist in metadata.distributions()
                if dist.metadata["Name"]}  # fmt: skip
    return dict(sorted(versions.items()))


def notebook_timings(notebook_dir: Path) -> list[dict]:
    """Seconds each executed notebook took (papermill records it)."""
    rows = []
    for path in sorted(notebook_dir.glob("*.ipynb")):
        if path.name.endswith(".partial.ipynb"):
            continue
        meta = nbformat.read(path, as_version=4).metadata.get("papermill", {})
        rows.append({"notebook": path.stem, "seconds": round(float(meta.get("duration") or 0.0), 1),
                     "finished": meta.get("end_time")})  # fmt: skip
    return rows


def provenance(root: Path, profile: str, config: dict, run_dir: Path, wall_seconds: float | None) -> dict:
    return {
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "git": git_commit(root), "profile": profile, "config": config,
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "processor": platform.processor() or platform.machine()},
        "packages": package_versions(), "notebooks": notebook_timings(run_dir / "notebooks"),
        "workflow_wall_seconds": wall_seconds,
    }  # fmt: skip
