"""The run folder's paths come from RunLayout, and only from there."""

from __future__ import annotations

import re
from pathlib import Path

from glioma_lib.config.load import PROJECT_ROOT
from glioma_lib.core.layout import (
    WEAK_MASK_SUFFIXES,
    BundleFolder,
    PredictionFolder,
    RunLayout,
    TrainingRun,
    external_teacher_mask,
    run_of_step,
    training_step,
    weak_mask_file,
)


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


PATIENT = "Brats18_XYZ_123_1"


def _patterned_names() -> set[str]:
    """What the patterned names add around a patient (or trial): per-patient masks, attributions,
    a prediction's files and a bundle's weights."""
    bundle, predictions = BundleFolder(Path("/bundle")), PredictionFolder(Path("/out"))
    paths = [RunLayout(Path("/run")).attribution_arrays(PATIENT), external_teacher_mask("/x", PATIENT),
             predictions.whole_tumour_mask(PATIENT), predictions.report(PATIENT),
             *(weak_mask_file("/x", PATIENT, kind) for kind in WEAK_MASK_SUFFIXES)]  # fmt: skip
    suffixes = {path.name.removeprefix(PATIENT) for path in paths}
    return suffixes | {bundle.trial_weights(7).name.removesuffix("7.pt")}


def test_patterned_names_put_the_patient_or_trial_where_they_say():
    assert RunLayout(Path("/run")).attribution_arrays(PATIENT) == Path(f"/run/analyses/attributions/{PATIENT}.npz")
    assert PredictionFolder(Path("/out")).report(PATIENT) == Path(f"/out/{PATIENT}/{PATIENT}_report.png")
    bundle = BundleFolder(Path("/bundle"))
    assert BundleFolder.trial_of(bundle.trial_weights(12)) == 12 and bundle.teacher.parent == bundle.weights
    assert _patterned_names() >= {".npz", "_teacher.nii.gz", "_whole_tumour.nii.gz", "_report.png", "trial"}


def test_no_module_or_notebook_spells_a_run_folder_file_name():
    """Renaming an output is a one-line change: only core/layout.py names the run folder's files."""
    bundle = BundleFolder(Path("/b"))
    names = _owned_file_names() | {bundle.metadata.name, bundle.teacher.name, PredictionFolder(Path("/o")).table.name}
    assert {"auc.json", "teacher.pt", "cindex.csv", "predictions.csv", "metadata.json"} <= names
    patterned = _patterned_names() - {"trial"}  # "trial" alone is a word; its weights' name is checked whole
    sources = [p for p in (PROJECT_ROOT / "glioma_lib").rglob("*.py") if p.name != "layout.py"]
    sources += [*(PROJECT_ROOT / "notebooks").glob("*.py"), PROJECT_ROOT / "workflow" / "Snakefile"]
    spelled = {f"{p.relative_to(PROJECT_ROOT)}: {name}" for p in sources for name in names
               if re.search(rf"[\"'/]{re.escape(name)}[\"']", p.read_text())}
    spelled |= {f"{p.relative_to(PROJECT_ROOT)}: {suffix}" for p in sources for suffix in patterned
                if re.search(rf"\}}{re.escape(suffix)}[\"']", p.read_text())}  # after an f-string's {patient}
    spelled |= {f"{p.relative_to(PROJECT_ROOT)}: trial<k>.pt" for p in sources
                if re.search(r"[\"'/]trial\{[^}]*\}\.pt[\"']", p.read_text())}
    assert spelled <= {"glioma_lib/config/load.py: config.yaml"}  # the project's settings file, not the run's
