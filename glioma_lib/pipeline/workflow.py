"""Run the Snakemake workflow of a profile: validate, hold the run folder, release stale locks, clean
litter, record provenance.

One process at a time holds a run folder (an exclusive ``flock`` on ``<run>/.run.lock``, taken
atomically before anything else is decided): a second ``glioma run`` of the same folder, a dry run
included, stops with one honest message and a non-zero exit, and writes nothing. The Snakefile
writes the resolved settings and each step's parameters only when its process may
(:func:`may_write_run_files`), so a bare ``snakemake -n`` beside a live run cannot change them.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from glioma_lib.config.load import PROJECT_ROOT, load_config, profile_path
from glioma_lib.core.atomic import write_json
from glioma_lib.core.layout import RunLayout
from glioma_lib.pipeline.notebook import remove_dead_scratch
from glioma_lib.pipeline.provenance import provenance

WORKFLOW = PROJECT_ROOT / "workflow"
LOCK_HELD = "GLIOMA_RUN_LOCK_HELD"  # set for the Snakemake that `glioma run` starts while it holds the run folder


class RunInProgress(SystemExit):
    """Another process holds the run folder."""


@contextmanager
def run_folder_lock(layout: RunLayout) -> Iterator[None]:
    """Hold the run folder for the duration (an exclusive, non-blocking flock: atomic, and released by
    the kernel when its holder dies); :class:`RunInProgress` names the holder when another has it."""
    layout.root.mkdir(parents=True, exist_ok=True)
    with open(layout.run_lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise RunInProgress(f"another run of this run folder is in progress ({layout.root}, held by pid "
                                f"{holder}); nothing was done or written. Wait for it to finish, or stop it, "
                                "then run again") from None  # fmt: skip
        except OSError as exc:  # a file system without locks (some network mounts): run, but say so
            print(f"warning: the run folder cannot be locked here ({exc.strerror}); make sure no other run "
                  f"uses {layout.root}", flush=True)
            yield
            return
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def may_write_run_files(layout: RunLayout) -> bool:
    """Whether this process may write the run folder's settings files: it runs under `glioma run`,
    which holds the folder, or nobody holds it now. False while another process holds it (a bare
    ``snakemake`` beside a live run, or a cluster job whose main process wrote them already)."""
    if os.environ.get(LOCK_HELD) == str(layout.root.resolve()):
        return True
    try:
        with run_folder_lock(layout):
            return True
    except RunInProgress:
        return False


def available_memory_mb() -> int:
    """Memory the machine can give new jobs now (``MemAvailable`` of /proc/meminfo), in MB."""
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) // 1024
    raise OSError("/proc/meminfo has no MemAvailable line")


def snakemake_command(profile: str, cores: int, executor: str | None = None,
                      extra: list[str] | None = None) -> list[str]:
    """The snakemake invocation for a profile: its overrides on the Snakefile's ``config/config.yaml``,
    with the execution profile ``workflow/profiles/slurm`` for SLURM, else ``workflow/profiles/local``.
    A local run may hold at once only jobs whose declared memory fits what the machine has free
    (``--resources mem_mb``): two trainings that cannot both fit never start together."""
    command = [sys.executable, "-m", "snakemake", "-s", str(WORKFLOW / "Snakefile"),
               "--configfile", str(profile_path(profile)), "--cores", str(cores)]  # fmt: skip
    command += ["--workflow-profile", str(WORKFLOW / "profiles" / ("slurm" if executor == "slurm" else "local"))]
    if executor:
        command += ["--executor", executor]
    else:
        command += [f"--resources=mem_mb={available_memory_mb()}"]  # one token: later arguments stay targets
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

    The run folder is held throughout (:func:`run_folder_lock`): another run of it, dry or not, is
    refused. A lock left by a killed run is released when no Snakemake of this workflow is alive, and
    the temporary files the killed step left are removed. Dry runs, ``--unlock`` and the like leave
    ``provenance.json`` alone.
    """
    config = load_config(profile)  # a wrong key stops here, before Snakemake starts
    layout = RunLayout(PROJECT_ROOT / config["run_dir"])
    with run_folder_lock(layout):
        return _run_holding_the_folder(profile, cores, executor, list(extra or []), config, layout)


def _run_holding_the_folder(profile: str, cores: int, executor: str | None, extra: list[str], config: dict,
                            layout: RunLayout) -> Path:
    real_run = not any(arg.split("=")[0] in NOT_A_RUN for arg in extra)
    if real_run and executor is None:
        release_stale_lock(profile, cores)
        for path in [*remove_litter(layout.root), *remove_dead_scratch()]:
            print(f"removed {path}, left by an interrupted step", flush=True)
    started = time.perf_counter()
    environment = {**os.environ, LOCK_HELD: str(layout.root.resolve())}
    result = subprocess.run(snakemake_command(profile, cores, executor, extra), cwd=PROJECT_ROOT, env=environment)
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
