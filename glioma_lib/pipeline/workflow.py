"""Run the Snakemake workflow of a profile: validate, release stale locks, clean litter, record provenance."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

from glioma_lib.config.load import PROJECT_ROOT, load_config, profile_path
from glioma_lib.core.atomic import write_json
from glioma_lib.core.layout import RunLayout
from glioma_lib.pipeline.provenance import provenance

WORKFLOW = PROJECT_ROOT / "workflow"


def snakemake_command(profile: str, cores: int, executor: str | None = None,
                      extra: list[str] | None = None) -> list[str]:
    """The snakemake invocation for a profile: its overrides on the Snakefile's ``config/config.yaml``,
    with the execution profile ``workflow/profiles/slurm`` for SLURM, else ``workflow/profiles/local``."""
    command = [sys.executable, "-m", "snakemake", "-s", str(WORKFLOW / "Snakefile"),
               "--configfile", str(profile_path(profile)), "--cores", str(cores)]  # fmt: skip
    command += ["--workflow-profile", str(WORKFLOW / "profiles" / ("slurm" if executor == "slurm" else "local"))]
    if executor:
        command += ["--executor", executor]
    return command + list(extra or [])


# Snakemake options after which nothing ran: provenance.json must not describe them as a run.
NOT_A_RUN = ("-n", "--dry-run", "--dryrun", "--unlock", "--lint", "--summary", "--detailed-summary", "--list-rules",
             "--dag", "--rulegraph", "--filegraph", "--touch", "--cleanup-metadata")  # fmt: skip
LOCKS = PROJECT_ROOT / ".snakemake" / "locks"


def live_snakemake_pids() -> list[int]:
    """Snakemake processes of this project's workflow that are still alive (from /proc)."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:  # the process ended while we looked
            continue
        if b"snakemake" in b" ".join(args) and str(WORKFLOW / "Snakefile").encode() in args:
            pids.append(int(cmdline.parent.name))
    return pids


def release_stale_lock(profile: str, cores: int, locks: Path = LOCKS) -> bool:
    """Unlock the working directory when a killed run left Snakemake's lock behind and no Snakemake
    of this workflow is alive; say so. Returns True when a lock was released."""
    if not locks.is_dir() or not any(locks.iterdir()):
        return False
    alive = live_snakemake_pids()
    if alive:
        raise SystemExit(f"another run of this workflow is in progress (Snakemake pid {', '.join(map(str, alive))}); "
                         "wait for it, or stop it, then run again")  # fmt: skip
    print(f"a previous run was interrupted and left Snakemake's lock ({locks}); no Snakemake is running, "
          "so it is released now (the same as `glioma run ... -- --unlock`)", flush=True)
    subprocess.run(snakemake_command(profile, cores, extra=["--unlock", "--quiet"]), cwd=PROJECT_ROOT, check=True)
    return True


def remove_litter(root: Path) -> list[Path]:
    """Temporary files and folders that a killed step left in a run folder (``.<name>.*.tmp*``
    from :mod:`glioma_lib.core.atomic`); only called when no step is running."""
    litter = sorted(p for p in root.rglob(".*.tmp*") if p.exists()) if root.is_dir() else []
    for path in litter:
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    return litter


def run(profile: str, cores: int = 2, executor: str | None = None, extra: list[str] | None = None) -> Path:
    """Run (or resume) the whole pipeline of a profile; writes provenance.json in the run folder.

    A lock left by a killed run is released when no Snakemake of this workflow is alive, and the
    temporary files the killed step left are removed. Dry runs, ``--unlock`` and the like leave
    ``provenance.json`` alone.
    """
    config = load_config(profile)  # a wrong key stops here, before Snakemake starts
    layout = RunLayout(PROJECT_ROOT / config["run_dir"])
    extra = list(extra or [])
    real_run = not any(arg.split("=")[0] in NOT_A_RUN for arg in extra)
    if real_run and executor is None:
        release_stale_lock(profile, cores)
        for path in remove_litter(layout.root):
            print(f"removed {path}, left by an interrupted step", flush=True)
    started = time.perf_counter()
    result = subprocess.run(snakemake_command(profile, cores, executor, extra), cwd=PROJECT_ROOT)
    if result.returncode != 0:
        raise SystemExit(f"the workflow stopped (exit {result.returncode}); finished steps are kept and "
                         f"`glioma run --profile {profile}` continues from there. A failed step's log is in "
                         f"{layout.logs}, its partially executed notebook in {layout.notebooks} "
                         "(*.partial.ipynb).")  # fmt: skip
    if real_run:
        record = provenance(PROJECT_ROOT, config.get("profile", profile), config, layout.root,
                            time.perf_counter() - started)  # fmt: skip
        write_json(record, layout.provenance)
    return layout.root
