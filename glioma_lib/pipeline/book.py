"""Build the Jupyter Book from a run: copy the executed notebooks of finished steps, add the
generated pages (training runs, reproducibility) and each chapter's tables, then build with
warnings as errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import nbformat
import pandas as pd
import yaml

from glioma_lib.config.load import PROJECT_ROOT, load_config
from glioma_lib.core.layout import TRAINING_STEP, RunLayout, run_of_step, training_step
from glioma_lib.pipeline.costs import cost_figure, step_costs
from glioma_lib.pipeline.notebook import find_notebook, load_text_notebook, refresh_rendering

BOOK = PROJECT_ROOT / "book"


def _retitle(path: Path, title: str) -> None:
    """Give a copied training notebook a title naming its run (they share one source)."""
    notebook = nbformat.read(path, as_version=4)
    first = notebook.cells[0]
    lines = first.source.splitlines()
    first.source = "\n".join([f"# {title}", *lines[1:]])
    nbformat.write(notebook, path)


def with_current_prose(chapter: Path, notebook: str) -> None:
    """The notebook's current prose and captions in a copied chapter, when its code is what ran (a
    prose-only edit re-renders without re-running the step)."""
    executed = nbformat.read(chapter, as_version=4)
    if refresh_rendering(executed, load_text_notebook(find_notebook(notebook))):
        nbformat.write(executed, chapter)


def reproducibility_page(record: dict, costs: pd.DataFrame | None = None, figure: str | None = None) -> str:
    """The appendix: commit, profile and config, machine, package versions, run times, and each
    step's measured cost (``costs``: :func:`pipeline.costs.step_costs`; ``figure``: its image)."""
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
    if costs is not None and len(costs):
        lines += ["", "## What each step cost", "",
                  "Snakemake's benchmark of each job of this run (`benchmarks/` in the run folder): wall time, peak "
                  "resident memory, CPU time and I/O, on the machine above. Jobs ran concurrently, so their wall "
                  "times overlap.", ""]  # fmt: skip
        if figure:
            lines += [f"```{{figure}} {figure}", "---", "name: fig-step-costs", "---",
                      "Wall time and peak resident memory of each step of this run.", "```", ""]  # fmt: skip
        lines += ["| step | wall (s) | peak memory (MB) | CPU (s) | read (MB) | written (MB) |",
                  "|---|---|---|---|---|---|"]
        values = costs[["seconds", "peak_memory_mb", "cpu_seconds", "read_mb", "written_mb"]]
        cells = values.map(lambda v: "-" if pd.isna(v) else f"{v:.0f}")  # "-": not measurable there
        lines += [f"| {step} | " + " | ".join(row) + " |" for step, row in zip(costs["step"], cells.to_numpy().tolist(),
                                                                               strict=True)]  # fmt: skip
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
            "08_external_validation": sorted(layout.external.glob("*.csv")),
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
        with_current_prose(target, TRAINING_STEP if run_of_step(path.stem) else path.stem)
        if run_of_step(path.stem) is not None:
            _retitle(target, f"Subtype training: {run_of_step(path.stem)}")
        attach_tables(target, chapter_tables(layout, path.stem))
    record = json.loads(layout.provenance.read_text())
    costs = step_costs(layout)
    figure = None
    if len(costs):
        figure = "step_costs.png"
        drawn = cost_figure(costs)
        drawn.savefig(chapters / figure, dpi=100)
        plt.close(drawn)
    (chapters / "reproducibility.md").write_text(reproducibility_page(record, costs, figure))
    (chapters / "training_runs.md").write_text(training_index_page(layout, (book_dir / "training.md").read_text()))
    toc = chapters / "_toc.yml"
    toc.write_text(yaml.safe_dump(filtered_toc(yaml.safe_load((book_dir / "_toc.yml").read_text()), book_dir),
                                  sort_keys=False))  # fmt: skip
    build = book_dir / "_build"
    shutil.rmtree(build, ignore_errors=True)  # pages of another profile's (or an earlier) run must not linger
    result = subprocess.run([str(Path(sys.executable).with_name("jupyter-book")), "build", str(book_dir),
                             "--toc", str(toc), "-W", "--keep-going"], cwd=PROJECT_ROOT)  # fmt: skip
    if result.returncode != 0:
        raise SystemExit(f"the book build failed (exit {result.returncode})")
    return build / "html" / "index.html"
