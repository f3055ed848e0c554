"""Front doors: run the Snakemake workflow of a profile, and build the Jupyter Book from its run."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import yaml

from glioma_lib.config.load import PROJECT_ROOT, load_config, profile_path
from glioma_lib.core.atomic import write_json
from glioma_lib.core.layout import RunLayout, run_of_step, training_step
from glioma_lib.pipeline.provenance import provenance

WORKFLOW = PROJECT_ROOT / "workflow"
BOOK = PROJECT_ROOT / "book"


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


def _retitle(path: Path, title: str) -> None:
    """Give a copied training notebook a title naming its run (they share one source)."""
    notebook = nbformat.read(path, as_version=4)
    first = notebook.cells[0]
    lines = first.source.splitlines()
    first.source = "\n".join([f"# {title}", *lines[1:]])
    nbformat.write(notebook, path)


def reproducibility_page(record: dict) -> str:
    """The appendix: commit, profile and config, machine, package versions, run times."""
    dirty = " (with uncommitted changes)" if record["git"]["dirty"] else ""
    lines = ["# Reproducibility", "",
             "Everything this book shows was computed by the run described here.", "",
             f"- Created: {record['created']}",
             f"- Git commit: `{record['git']['commit']}`{dirty}",
             f"- Profile: `{record['profile']}`",
             f"- Machine: {record['machine']['platform']}, Python {record['machine']['python']}",
             f"- Workflow wall time: {record['workflow_wall_seconds'] or 0:.0f} s", "",
             "## Configuration", "", "```yaml", yaml.safe_dump(record["config"], sort_keys=False).strip(), "```", "",
             "## Package versions", "", "| package | version |", "|---|---|"]  # fmt: skip
    lines += [f"| {name} | {version} |" for name, version in record["packages"].items()]
    lines += ["", "## Notebook run times", "", "| notebook | seconds |", "|---|---|"]
    lines += [f"| {row['notebook']} | {row['seconds']} |" for row in record["notebooks"]]
    return "\n".join(lines) + "\n"


def training_index_page(layout: RunLayout, intro: str) -> str:
    """The training part's first page: ``intro``, then one row per finished run with its honest
    AUC, CI, the spread of its predictions and a link to its chapter."""
    from glioma_lib.core.display import number
    from glioma_lib.core.naming import parse_run_name

    lines = [intro.rstrip(), "", "| run | task | format | model | labelled training patients | honest AUC [95% CI] "
             "| SD of validation probabilities | validation patients (positive) |", "|---|---|---|---|---|---|---|---|"]
    for name in layout.finished_runs():
        run, parsed = json.loads(layout.run(name).auc.read_text()), parse_run_name(name)
        honest = run["honest"]
        model = parsed["model"] + (" + SCNA" if parsed["use_scna"] else "")
        auc = f"{number(honest['auc'])} [{number(honest['ci95'][0])}, {number(honest['ci95'][1])}]"
        lines.append(f"| [{name}]({training_step(name)}.ipynb) | {parsed['task']} | {parsed['input_format']} "
                     f"| {model} | {run['n_train_labelled']} | {auc} | {number(honest['probability_sd'])} "
                     f"| {honest['n_validation']} ({honest['n_positive']}) |")  # fmt: skip
    return "\n".join(lines) + "\n"


def chapter_tables(layout: RunLayout, step: str) -> list[Path]:
    """The tables behind one chapter, for its CSV downloads (those the step wrote)."""
    run = run_of_step(step)
    if run is not None:
        tables = [layout.run(run).metrics, layout.run(run).validation_predictions]
    else:
        umap = sorted(p for p in layout.analyses.glob("*.csv") if p.stem.endswith(("_umap", "_separation")))
        tables = {
            "01_data_curation": [layout.manifest_csv, layout.curation_report],
            "02_weak_labelling": [layout.teacher_quality, layout.teacher_curve, layout.weak_masks_table],
            "04_survival": [layout.km_summary, layout.c_index, layout.paired_c_index],
            "05_ring_enhancement_grade": [layout.ring_table, layout.attributions_table],
            "06_scna_umap": umap,
            "07_results": sorted(layout.results.glob("*.csv")),
        }.get(step, [])  # fmt: skip
    return [path for path in tables if path.exists()]


def attach_tables(chapter: Path, tables: list[Path]) -> list[Path]:
    """Copy ``tables`` (as CSV) beside a book chapter and end it with their download links."""
    if not tables:
        return []
    folder = chapter.parent / "tables" / chapter.stem
    folder.mkdir(parents=True, exist_ok=True)
    copies = []
    for table in tables:
        copy = folder / f"{table.stem}.csv"
        if table.suffix == ".parquet":
            pd.read_parquet(table).to_csv(copy, index=False)
        else:
            shutil.copyfile(table, copy)
        copies.append(copy)
    links = " · ".join(f"{{download}}`{c.name} <tables/{chapter.stem}/{c.name}>`" for c in copies)
    notebook = nbformat.read(chapter, as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell(f"**This chapter's tables as CSV:** {links}"))
    nbformat.write(notebook, chapter)
    return copies


def _exists(book_dir: Path, entry: dict) -> bool:
    if "glob" in entry:
        return any(book_dir.glob(entry["glob"] + ".*"))
    return any((book_dir / f"{entry['file']}{suffix}").exists() for suffix in (".md", ".ipynb"))


def _kept(book_dir: Path, entries: list[dict]) -> list[dict]:
    """Entries whose files exist; a chapter whose sections all vanished goes too."""
    kept = []
    for entry in entries:
        if not _exists(book_dir, entry):
            continue
        if "sections" in entry:
            sections = _kept(book_dir, entry["sections"])
            if not sections:
                continue
            entry = {**entry, "sections": sections}
        kept.append(entry)
    return kept


def filtered_toc(toc: dict, book_dir: Path) -> dict:
    """The book's table of contents without the chapters this run did not produce (e.g. the MR
    chapters of a clinical/SCNA-only run)."""
    parts = [{**part, "chapters": _kept(book_dir, part["chapters"])} for part in toc["parts"]]
    return {**toc, "parts": [part for part in parts if part["chapters"]]}


def build_book(profile: str, book_dir: Path = BOOK) -> Path:
    """Copy the run's executed notebooks into the book and build its HTML (never re-executing), with
    warnings as errors (``-W --keep-going``: every problem is listed, then the build fails).

    ``book_dir`` other than the project's ``book/`` gets a copy of the book's sources first (tests
    build there, leaving the user's book alone).
    """
    config = load_config(profile)
    layout = RunLayout(PROJECT_ROOT / config["run_dir"])
    book_dir = Path(book_dir)
    if book_dir.resolve() != BOOK.resolve():
        book_dir.mkdir(parents=True, exist_ok=True)
        for source in [*BOOK.glob("*.md"), BOOK / "_config.yml", BOOK / "_toc.yml"]:
            shutil.copyfile(source, book_dir / source.name)
        shutil.copytree(BOOK / "_static", book_dir / "_static", dirs_exist_ok=True)
    chapters = book_dir / "chapters"
    if chapters.exists():
        shutil.rmtree(chapters)
    chapters.mkdir(parents=True)
    for path in sorted(layout.notebooks.glob("*.ipynb")):
        if not layout.step_parameters(path.stem).exists():  # partial or stray notebooks are not chapters
            continue
        target = chapters / path.name
        shutil.copyfile(path, target)
        if run_of_step(path.stem) is not None:
            _retitle(target, f"Subtype training: {run_of_step(path.stem)}")
        attach_tables(target, chapter_tables(layout, path.stem))
    record = json.loads(layout.provenance.read_text())
    (chapters / "reproducibility.md").write_text(reproducibility_page(record))
    (chapters / "training_runs.md").write_text(training_index_page(layout, (book_dir / "training.md").read_text()))
    toc = chapters / "_toc.yml"
    toc.write_text(yaml.safe_dump(filtered_toc(yaml.safe_load((book_dir / "_toc.yml").read_text()), book_dir),
                                  sort_keys=False))  # fmt: skip
    build = book_dir / "_build"
    result = subprocess.run([str(Path(sys.executable).with_name("jupyter-book")), "build", str(book_dir),
                             "--toc", str(toc), "-W", "--keep-going"], cwd=PROJECT_ROOT)  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"the book build failed (exit {result.returncode})")
    return build / "html" / "index.html"
