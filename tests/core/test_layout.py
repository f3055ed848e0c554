"""The run folder's paths come from RunLayout, and only from there."""

from __future__ import annotations

import re
from pathlib import Path

from glioma_lib.config.load import PROJECT_ROOT
from glioma_lib.core.layout import WEAK_MASK_SUFFIXES, RunLayout, TrainingRun, run_of_step, training_step


def test_finished_runs_are_those_with_their_marker(tmp_path):
    layout = RunLayout(tmp_path)
    assert layout.finished_runs() == []
    for name, done in [("idh-t1ce-mtl", True), ("idh-t1ce-cnn", False)]:
        layout.run(name).folder.mkdir(parents=True)
        if done:
            layout.run(name).auc.write_text("{}")
    assert layout.finished_runs() == ["idh-t1ce-mtl"]
    assert layout.run("idh-t1ce-mtl").layout == layout


def test_training_step_names_round_trip():
    assert run_of_step(training_step("idh-t1ce-mtl-scna")) == "idh-t1ce-mtl-scna"
    assert run_of_step("04_survival") is None


def _owned_file_names() -> set[str]:
    """The file names RunLayout and TrainingRun give out (folders are left out: their names are words
    such as ``train`` that other text uses too)."""
    layout, run = RunLayout(Path("/run")), TrainingRun(Path("/run/train/idh-t1ce-mtl"))
    objects = (layout, layout.cohort_folder, run)
    paths = [getattr(obj, name) for obj in objects for name, member in vars(type(obj)).items()
             if isinstance(member, property) and name != "layout"]
    paths += [run.checkpoint(0, "last"), run.checkpoint(0, "best")]
    return {p.name for p in paths if isinstance(p, Path) and "." in p.name}


def test_no_module_or_notebook_spells_a_run_folder_file_name():
    """Renaming an output is a one-line change: only core/layout.py names the run folder's files."""
    names = _owned_file_names() | {suffix for suffix in WEAK_MASK_SUFFIXES.values()}
    assert {"auc.json", "teacher.pt", "cindex.csv", "_weak4.nii.gz"} <= names
    sources = [p for p in (PROJECT_ROOT / "glioma_lib").rglob("*.py") if p.name != "layout.py"]
    sources += [*(PROJECT_ROOT / "notebooks").glob("*.py"), PROJECT_ROOT / "workflow" / "Snakefile"]
    spelled = {f"{p.relative_to(PROJECT_ROOT)}: {name}" for p in sources for name in names
               if re.search(rf"[\"'/]{re.escape(name)}[\"']", p.read_text())}
    assert spelled <= {"glioma_lib/config/load.py: config.yaml"}  # the project's settings file, not the run's
