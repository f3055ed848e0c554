"""The smoke workflow end to end through Snakemake's generic cluster executor, then the book; and
the `real` profile end to end with its book. Both are slow tests (minutes on 2 cores), in `make test`.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from glioma_lib.config.load import PROJECT_ROOT, load_config
from glioma_lib.core.layout import RunLayout
from glioma_lib.pipeline import book, workflow
from tests.conftest import rerooted

SUBMIT = f"bash {PROJECT_ROOT / 'workflow/cluster/local_submit.sh'}"


def _profile(tmp_path, name="smoke", **cohort):
    config = load_config("smoke")
    config["run_dir"] = str(tmp_path / "run")
    config["cohort"].update(cohort)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.slow
def test_smoke_workflow_on_the_cluster_executor_and_the_book(tmp_path):
    """The smoke profile end to end; predict and export on its model; a second run killed during
    stage and resumed gives the same tables and records; a rerun does nothing; then the book."""
    import json

    import pandas as pd

    profile = str(_profile(tmp_path))
    run_dir = workflow.run(profile, cores=2, executor="cluster-generic",
                           extra=["--cluster-generic-submit-cmd", SUBMIT, "--jobs", "3"])  # fmt: skip
    notebooks = sorted(p.name for p in (run_dir / "notebooks").glob("*.ipynb"))
    assert notebooks == ["01_data_curation.ipynb", "02_weak_labelling.ipynb",
                         "03_subtype_training-idh-t1ce-cnn.ipynb", "03_subtype_training-idh-t1ce-mean_teacher.ipynb",
                         "03_subtype_training-idh-t1ce-mtl-scna.ipynb",
                         "03_subtype_training-idh-t1ce-mtl.ipynb", "03_subtype_training-idh-t1ce-radiomics.ipynb",
                         "03_subtype_training-who2021-t1ce-cnn.ipynb", "03_subtype_training-who2021-t1ce-mtl.ipynb",
                         "03_subtype_training-who2021-t1ce-radiomics.ipynb", "04_survival.ipynb",
                         "05_ring_enhancement_grade.ipynb", "06_scna_umap.ipynb", "07_results.ipynb",
                         "08_external_validation.ipynb"]  # fmt: skip
    assert (run_dir / "provenance.json").exists() and (run_dir / "results/table_i.csv").exists()
    benchmarks = sorted(p.name.replace(".tsv", ".ipynb") for p in RunLayout(run_dir).benchmarks.iterdir())
    assert benchmarks == notebooks  # one cost record per job

    assert _files_not_named_by_the_layout(run_dir) == []
    _predict_and_export(run_dir, tmp_path)

    resumed = _outputs(_killed_at_every_stage_then_resumed(tmp_path))
    reference = _outputs(run_dir)
    assert sorted(resumed) == sorted(reference)
    for name, value in reference.items():
        if isinstance(value, dict | list):
            assert resumed[name] == value, name
        else:
            pd.testing.assert_frame_equal(resumed[name], value, check_exact=False, rtol=1e-6, obj=name)

    stamps = {p: p.stat().st_mtime_ns for p in (run_dir / "notebooks").glob("*.ipynb")}
    workflow.run(profile, cores=2)  # finished outputs are kept: nothing reruns
    assert {p: p.stat().st_mtime_ns for p in (run_dir / "notebooks").glob("*.ipynb")} == stamps

    # One changed setting re-runs exactly its dependants, live (every training setting's dependants,
    # in a dry run: test_a_changed_setting_reruns_exactly_its_dependants): the mean teacher's decay
    # reaches its run and the results, and nothing else.
    config = yaml.safe_load(Path(profile).read_text())
    config["training"]["mean_teacher"]["ema_decay"] = 0.9
    Path(profile).write_text(yaml.safe_dump(config))
    workflow.run(profile, cores=2)
    rerun = {p.stem for p, stamp in stamps.items() if p.stat().st_mtime_ns != stamp}
    assert rerun == {"03_subtype_training-idh-t1ce-mean_teacher", "07_results"}
    recorded = json.loads(RunLayout(run_dir).run("idh-t1ce-mean_teacher").config.read_text())
    assert recorded["mean_teacher"]["ema_decay"] == 0.9  # and its outputs carry the new value

    stray = run_dir / "notebooks/02_weak_labelling.5tgbo0x8.ipynb"  # e.g. a killed run's temporary copy
    stray.write_bytes((run_dir / "notebooks/02_weak_labelling.ipynb").read_bytes())
    index = book.build_book(profile, tmp_path / "book")
    assert not (tmp_path / "book/chapters" / stray.name).exists()
    html = {p.name: p.read_text() for p in index.parent.glob("chapters/*.html")}
    results = html["07_results.html"]
    assert "Table I" in results and "Table II" in results and "0.884" in results  # the paper's T1ce MTL IDH AUC
    assert "not transcribed" not in results and "Every paired difference" in results
    assert "Table I" in html["04_survival.html"]
    for name, page in html.items():
        figures, captions = page.count("<img"), page.count("<figcaption>")
        assert figures == captions, f"{name}: {figures} images, {captions} captions"
    assert sum(page.count("<img") for page in html.values()) >= 15
    assert "Subtype training: idh-t1ce-mtl" in html["03_subtype_training-idh-t1ce-mtl.html"]
    assert "metrics.csv" in html["03_subtype_training-idh-t1ce-mtl.html"] and "table_i.csv" in results
    runs_page = html["training_runs.html"]
    assert "honest AUC [95% CI]" in runs_page
    for run in ("idh-t1ce-cnn", "idh-t1ce-mtl", "idh-t1ce-mtl-scna"):
        assert f'href="03_subtype_training-{run}.html"' in runs_page
    assert "-0.000" not in results and "wide-tables.css" in results
    survival = html["04_survival.html"]
    assert "fixed in advance, as the paper does" not in survival  # the defaults cell, with its comments, is removed
    assert "# Parameters" in survival  # papermill's cell with the values that ran stays
    assert "Git commit" in html["reproducibility.html"] and "What each step cost" in html["reproducibility.html"]
    executed = nbformat.read(run_dir / "notebooks/01_data_curation.ipynb", as_version=4)
    outputs = [o.get("text", "") for c in executed.cells for o in c.get("outputs", [])]
    assert not any("Kernel is running over TCP" in text for text in outputs)
    _attributions_follow_the_ring_runs_model(RunLayout(run_dir))
    _every_chapter_runs_as_jupyterlab_starts_it(run_dir, tmp_path)  # last: it re-runs the steps in place


def _attributions_follow_the_ring_runs_model(layout: RunLayout) -> None:
    """Attributions recomputed with another model keep only the arrays that model's table lists (a
    planted array of an earlier choice goes)."""
    from glioma_lib.analyses.step import attribution_analysis

    stale = layout.attribution_arrays("Brats18_EARLIER_CHOICE")
    stale.write_bytes(b"an array an earlier model chose")
    table = attribution_analysis(layout, "idh-t1ce-cnn", n_steps=2)
    assert not stale.exists() and len(table) > 0
    assert {p.name for p in layout.attributions.glob("*.npz")} == {Path(a).name for a in table["arrays"]}


def _project_files() -> dict[str, int]:
    """Every file of the project outside run folders, environments and builds, with its mtime."""
    skipped = {"runs", ".venv", ".git", "_build", "__pycache__", ".pytest_cache", ".ruff_cache"}
    return {str(p.relative_to(PROJECT_ROOT)): p.stat().st_mtime_ns for p in PROJECT_ROOT.rglob("*")
            if p.is_file() and not skipped & set(p.relative_to(PROJECT_ROOT).parts)}  # fmt: skip


def _every_chapter_runs_as_jupyterlab_starts_it(run_dir: Path, tmp_path: Path) -> None:
    """Each chapter with its kernel in notebooks/ (where JupyterLab starts it) and the run folder given
    relative to the project root, as the defaults are: it finishes, reads the project-relative real
    data (chapter 2 scores the teacher on the real case, ``../shared/realdata/brats_mr`` in the
    settings) and writes nothing outside the run folder."""
    import json
    import uuid

    from glioma_lib.pipeline.notebook import NOTEBOOK_DIR, execute_notebook

    link = PROJECT_ROOT / "runs" / f"lab-test-{uuid.uuid4().hex[:8]}"
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(run_dir, target_is_directory=True)
    before = _project_files()
    try:
        for parameters in _step_parameters(run_dir):
            values = {**json.loads(parameters.read_text()), "run_dir": str(link.relative_to(PROJECT_ROOT))}
            execute_notebook(parameters.stem.split("-")[0], tmp_path / "lab" / f"{parameters.stem}.ipynb", values,
                             cwd=NOTEBOOK_DIR, progress=False)  # fmt: skip
    finally:
        link.unlink()
    assert _project_files() == before
    if (PROJECT_ROOT.parent / "shared/realdata/brats_mr").is_dir():
        quality = pd.read_csv(RunLayout(run_dir).teacher_quality)
        assert "Brats18_TCIA12_101_1" in set(quality["patient_id"])


def _files_not_named_by_the_layout(run_dir) -> list[str]:
    """Files of a run that are neither a RunLayout/TrainingRun path nor inside a folder it names
    (a folder whose files are named elsewhere on purpose: the simulator's, the cache's, per patient)."""
    import fnmatch

    from glioma_lib.core.layout import TrainingRun

    layout = RunLayout(run_dir)
    objects = [layout, *(layout.run(name) for name in layout.finished_runs())]
    named = {getattr(obj, name) for obj in objects for name, member in vars(type(obj)).items()
             if isinstance(member, property) and name != "layout"}  # fmt: skip
    folders = [layout.notebooks, layout.logs, layout.benchmarks, layout.step_parameters("x").parent, layout.synthetic,
               layout.cache,
               layout.weak_masks, layout.teacher_external_masks, layout.attributions, layout.results,
               *(TrainingRun(p).checkpoints for p in layout.train_root.iterdir())]  # fmt: skip
    patterns = [str(layout.umap_table("*")), str(layout.separation_table("*")),
                str(layout.radiomics_features("*", "*", "*"))]
    return sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob("*") if p.is_file() and p not in named
                  and not any(f in p.parents for f in folders) and not any(fnmatch.fnmatch(str(p), pattern)
                                                                           for pattern in patterns))  # fmt: skip


def _outputs(run_dir) -> dict:
    """Every table and JSON record of a run, with the run folder's path replaced and run times
    dropped, so two runs of the same profile in different folders compare equal."""
    import json

    import pandas as pd

    skipped = {"notebooks", "logs", "parameters", "cache"}
    outputs = {}
    for path in sorted(run_dir.rglob("*")):
        relative = path.relative_to(run_dir)
        if skipped & set(relative.parts) or path.name == "provenance.json" or not path.is_file():
            continue
        if path.suffix in (".csv", ".parquet"):
            table = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
            table = table.drop(columns=["seconds", "entry", "resumed"], errors="ignore")  # how, not what: run time,
            # cache keys (they hash file times), whether a weak mask was made now or by the killed run
            outputs[str(relative)] = table.map(lambda v: v.replace(str(run_dir), "RUN") if isinstance(v, str) else v)
        elif path.suffix == ".json":
            record = json.loads(path.read_text().replace(str(run_dir), "RUN"))
            outputs[str(relative)] = {k: v for k, v in record.items() if k != "date"} if isinstance(record, dict) \
                else record
    return outputs


# Where a run is killed, in step order: half-way through writing the phantom (a temporary folder
# exists), once the teacher is trained but before its weak masks, after the first training
# checkpoint, and once the survival, ring-grade and results steps have each written their first table.
KILL_POINTS = ("cohort/.synthetic.*.tmp", "derived/teacher/curve.csv", "train/*/checkpoints/trial0/last.pt",
               "survival/km_summary.csv", "analyses/ring.csv", "results/*.csv")  # fmt: skip


def _killed_at_every_stage_then_resumed(tmp_path) -> Path:
    """The smoke profile in a new folder, killed with SIGKILL (its whole process group) at each of
    KILL_POINTS in turn, each time restarted with `glioma run`, which releases the stale lock and
    removes the litter; the last restart runs to the end."""
    import os
    import signal
    import subprocess
    import sys
    import time

    (tmp_path / "faulted").mkdir()
    profile = _profile(tmp_path / "faulted", name="faulted")
    run_dir = tmp_path / "faulted/run"
    command = [sys.executable, "-m", "glioma_lib.cli", "run", "--profile", str(profile), "--cores", "2"]
    for marker in KILL_POINTS:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, start_new_session=True, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)  # fmt: skip
        deadline = time.time() + 600
        while not list(run_dir.glob(marker)):
            assert process.poll() is None and time.time() < deadline, f"the run ended before {marker} appeared"
            time.sleep(0.02)
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:  # it finished in the instant after the marker appeared
            pass
        process.wait()
        time.sleep(3)  # kernels notice their parent is gone and exit
    workflow.run(str(profile), cores=2)
    assert not list(run_dir.rglob(".*.tmp*"))  # the killed steps' temporary files are gone
    return run_dir


def _predict_and_export(run_dir, tmp_path):
    """`glioma predict` on the smoke run's model, from the run and from its exported bundle, on three
    synthetic subjects and on the real MR case (read-only, from shared/realdata); a model trained on
    real scans refuses the synthetic ones (not 1 mm)."""
    import json
    import shutil

    import nibabel as nib
    import pandas as pd

    from glioma_lib.cli import main
    from tests.conftest import REALDATA

    model = run_dir / "train/idh-t1ce-mtl"
    subjects = sorted((run_dir / "cohort/synthetic/brats").glob("*/"))[:3]
    scans = tmp_path / "scans"
    for subject in subjects:
        shutil.copytree(subject, scans / subject.name, ignore=shutil.ignore_patterns("*_seg.nii.gz"))
    assert main(["export", str(model), "-o", str(tmp_path / "bundle")]) == 0
    metadata = (tmp_path / "bundle/metadata.json").read_text()
    assert '"channels": [\n      "t1ce"' in metadata and "honest_auc_ci95" in metadata and "synthetic" in metadata
    assert "not for diagnosis" in (tmp_path / "bundle/README.md").read_text()
    tables = {}
    for name, source in [("run", model), ("bundle", tmp_path / "bundle")]:
        assert main(["predict", "-i", str(scans), "-o", str(tmp_path / f"from_{name}"), "--model", str(source)]) == 0
        tables[name] = pd.read_csv(tmp_path / f"from_{name}/predictions.csv")
    assert len(tables["run"]) == 3 and (tables["run"]["status"] == "ok").any()  # the smoke teacher finds most
    for column in ("status", "idh_probability", "whole_tumour_ml"):
        pd.testing.assert_series_equal(tables["run"][column], tables["bundle"][column])
    real_model = tmp_path / "bundle_real"  # the same weights, as if trained on real scans: 1 mm voxels expected
    shutil.copytree(tmp_path / "bundle", real_model)
    metadata = json.loads((real_model / "metadata.json").read_text())
    metadata["training_data"]["cohort"] = "real"
    (real_model / "metadata.json").write_text(json.dumps(metadata))
    assert main(["predict", "-i", str(scans), "-o", str(tmp_path / "refused"), "--model", str(real_model)]) == 0
    refused = pd.read_csv(tmp_path / "refused/predictions.csv")
    assert (refused["status"] == "refused").all() and refused["reason"].str.contains("voxel size").all()
    if REALDATA.is_dir():
        case = REALDATA / "brats_mr"
        assert main(["predict", "-i", str(case), "-o", str(tmp_path / "real"), "--model", str(model)]) == 0
        row = pd.read_csv(tmp_path / "real/predictions.csv").iloc[0]
        assert pd.isna(row["idh_trial_sd"])  # the smoke model has one trial: no spread, not a spread of 0
        if row["status"] == "ok":
            assert 0 <= row["idh_probability"] <= 1
        else:  # the smoke teacher (a few epochs on small synthetic volumes) may find nothing on a real scan
            assert row["status"] == "no tumour found" and pd.isna(row["idh_probability"])  # t1ce is cropped
        assert 0 <= row["given_seg_dice_WT"] <= 1  # the case ships its mask: the teacher is scored against it
        t1 = nib.load(case / row["patient_id"] / f"{row['patient_id']}_t1.nii.gz")
        mask = nib.load(row["mask"])
        assert mask.shape == t1.shape and (mask.affine == t1.affine).all()
        assert (tmp_path / "real" / row["patient_id"] / f"{row['patient_id']}_report.png").stat().st_size > 10_000


@pytest.mark.slow  # several seconds: the fast lane stays under 3 minutes
def test_failing_notebook_stops_with_its_error_and_the_partial_notebook(tmp_path, capfd):
    missing = tmp_path / "no_such_tables"  # valid settings, but the notebook finds no inputs there
    profile = str(_profile(tmp_path, name="broken", source="real", realdata=str(missing)))
    with pytest.raises(SystemExit, match="partial"):
        workflow.run(profile, cores=1, extra=["cohort"])
    output = capfd.readouterr()
    assert str(missing) in output.out + output.err
    notebooks = tmp_path / "run/notebooks"
    assert (notebooks / "01_data_curation.partial.ipynb").exists()
    assert not (notebooks / "01_data_curation.ipynb").exists()


def test_a_misspelled_setting_stops_before_snakemake_naming_key_and_file(tmp_path):
    from glioma_lib.config.load import ConfigError

    path = _profile(tmp_path)
    config = yaml.safe_load(path.read_text())
    config["training"]["learning_rate"] = 0.01
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ConfigError, match=rf"{path}: training.learning_rate: unknown key"):
        workflow.run(str(path), cores=1)
    assert not (tmp_path / "run").exists()


def test_a_bare_snakemake_dry_run_uses_the_default_settings(tmp_path):
    import subprocess
    import sys

    command = [sys.executable, "-m", "snakemake", "-s", "workflow/Snakefile", "-n", "--cores", "1", "--quiet", "rules",
               "--config", f"run_dir={tmp_path / 'run'}"]  # only the run folder moved, out of the project's runs/
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    from glioma_lib.config.schema import TrainingSettings

    runs = TrainingSettings.model_validate(load_config("default")["training"]).runs()  # the default book's
    assert re.search(rf"^train\s+{len(runs)}$", result.stdout + result.stderr, re.M)


def test_unknown_profile_lists_the_known_ones():
    from glioma_lib.core.errors import InputDataError

    with pytest.raises(InputDataError, match="default.*paper.*real.*smoke"):
        load_config("nonexistent")


def test_a_local_run_holds_only_jobs_that_fit_the_free_memory(monkeypatch):
    """On a machine with 24 GB free, Snakemake is told so: jobs whose declared memory (the cost
    model's; two paper-size MTL trainings exceed 24 GB) never start together. A cluster's jobs each
    get their own node's memory, so no global limit is passed there."""
    monkeypatch.setattr(workflow, "available_memory_mb", lambda: 24_000)
    command = workflow.snakemake_command("paper", cores=2)
    assert "--resources=mem_mb=24000" in command
    assert not any(a.startswith("--resources") for a in workflow.snakemake_command("paper", cores=8, executor="slurm"))
    monkeypatch.undo()
    assert 0 < workflow.available_memory_mb() < 10**7  # this machine's, in MB


def test_snakemake_command_for_slurm_uses_the_workflow_profile():
    command = workflow.snakemake_command("paper", cores=8, executor="slurm")
    assert command[command.index("--executor") + 1] == "slurm"
    assert command[command.index("--workflow-profile") + 1].endswith("workflow/profiles/slurm")


def _scheduled(profile) -> dict[str, int]:
    """Jobs a dry run of ``profile`` would run, by rule."""
    import subprocess

    command = workflow.snakemake_command(str(profile), cores=1, extra=["--dry-run"])
    output = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, check=True).stdout
    return {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\w+)\s+(\d+)$", output, re.M) if m.group(1) != "total"}


def _step_parameters(run_dir) -> list[Path]:
    """The run's step parameter files (not the notebooks' code fingerprints beside them)."""
    return sorted(p for p in (Path(run_dir) / "parameters").glob("*.json") if not p.name.endswith(".code.json"))


def _pretend_finished(run_dir) -> None:
    """Executed notebooks for every step, in step order, newer than the parameters they were made with."""
    import os
    import time

    now = time.time()
    for code in (run_dir / "parameters").glob("*.code.json"):
        os.utime(code, (now - 100, now - 100))
    for i, parameters in enumerate(_step_parameters(run_dir)):
        os.utime(parameters, (now - 100, now - 100))
        notebook = run_dir / "notebooks" / f"{parameters.stem}.ipynb"
        notebook.parent.mkdir(exist_ok=True)
        notebook.write_text("{}")
        os.utime(notebook, (now - 50 + i, now - 50 + i))


@pytest.mark.parametrize(("section", "key", "value", "expected"), [
    ("cohort", "n_mr", 34, {"cohort": 1, "weak_labels": 1, "train": 8, "survival": 1, "ring_grade": 1, "umap": 1,
                            "results": 1, "all": 1}),
    # the radiomics run too: its settings are the run's section (a re-fit on cached features)
    ("training", "lr", 0.0003, {"train": 8, "survival": 1, "ring_grade": 1, "results": 1, "all": 1}),
    # the mean teacher's own settings: its run only
    pytest.param("training", "mean_teacher", {"ema_decay": 0.999}, {"train": 1, "results": 1, "all": 1},
                 marks=pytest.mark.slow),
    # the fast lane keeps the widest (cohort) and the training case; `make test` runs them all
    pytest.param("survival", "penalizer", 0.2, {"survival": 1, "results": 1, "external": 1, "all": 1},
                 marks=pytest.mark.slow),  # external: the SCNA Cox
    pytest.param("external", "threshold", 0.6, {"external": 1, "all": 1}, marks=pytest.mark.slow),
    pytest.param("analyses", "ring", {"threshold": 0.6}, {"ring_grade": 1, "results": 1, "all": 1},
                 marks=pytest.mark.slow),
    pytest.param("analyses", "umap", {"seed": 1}, {"umap": 1, "results": 1, "all": 1}, marks=pytest.mark.slow),
    pytest.param("weak_labels", "teacher_epochs", 3, {"weak_labels": 1, "train": 8, "survival": 1, "ring_grade": 1,
                                                      "results": 1, "all": 1}, marks=pytest.mark.slow),
])  # fmt: skip
def test_a_changed_setting_reruns_exactly_its_dependants(tmp_path, section, key, value, expected):
    path = _profile(tmp_path)
    config = yaml.safe_load(path.read_text())
    assert _scheduled(path)["all"] == 1  # writes every step's parameters
    _pretend_finished(tmp_path / "run")
    assert _scheduled(path) == {}
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "run/parameters").glob("*.json")}
    config[section][key] = {**config[section][key], **value} if isinstance(value, dict) else value
    path.write_text(yaml.safe_dump(config))
    assert _scheduled(path) == expected
    after = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "run/parameters").glob("*.json")}
    rerun = sum(count for rule, count in expected.items() if rule != "all")
    assert 0 < sum(before[name] != after[name] for name in before) <= rerun  # only the steps that read the key


def test_a_prose_only_edit_reruns_nothing_and_a_code_edit_reruns_its_step(tmp_path):
    """A notebook's markdown changes re-render the book (its prose is refreshed from the source) but
    re-run no step; a change to its code re-runs that step and its dependants."""
    path = _profile(tmp_path)
    _scheduled(path)
    _pretend_finished(tmp_path / "run")
    source = PROJECT_ROOT / "notebooks/07_results.py"
    original = source.read_text()
    try:
        source.write_text(original + "\n# %% [markdown]\n# A new closing remark.\n")
        assert _scheduled(path) == {}
        source.write_text(original + "\n# %%\nprint('a new cell')\n")
        assert _scheduled(path) == {"results": 1, "all": 1}
    finally:
        source.write_text(original)


def test_snakemake_lint_is_clean():
    import subprocess

    command = workflow.snakemake_command("smoke", cores=1, extra=["--lint"])
    result = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert result.returncode == 0 and "good condition" in result.stdout + result.stderr, result.stdout[-2000:]


@pytest.mark.slow  # several seconds: the fast lane stays under 3 minutes
def test_dry_runs_and_unlock_leave_provenance_alone(tmp_path):
    profile = str(_profile(tmp_path))
    for extra in (["--dry-run"], ["-n"], ["--unlock"]):
        workflow.run(profile, cores=1, extra=extra)
    assert not (tmp_path / "run/provenance.json").exists()


def test_a_stale_lock_is_released_only_when_no_snakemake_is_alive(tmp_path, monkeypatch, capsys):
    import subprocess

    locks = tmp_path / "locks"
    assert not workflow.release_stale_lock("smoke", 1, locks)  # no lock, nothing to do
    locks.mkdir()
    (locks / "0.input.lock").write_text("runs/smoke/notebooks/01_data_curation.ipynb")
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda command, **kwargs: calls.append(command))
    monkeypatch.setattr(workflow, "live_snakemake_pids", lambda: [4242])
    with pytest.raises(SystemExit, match="in progress \\(Snakemake pid 4242\\)"):
        workflow.release_stale_lock("smoke", 1, locks)
    assert calls == []
    monkeypatch.setattr(workflow, "live_snakemake_pids", lambda: [])
    assert workflow.release_stale_lock("smoke", 1, locks)
    assert "--unlock" in calls[0] and "interrupted and left Snakemake's lock" in capsys.readouterr().out


def test_live_snakemake_of_this_workflow_is_found():
    import subprocess
    import sys
    import time

    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "snakemake", "-s",
                                str(workflow.WORKFLOW / "Snakefile")])  # fmt: skip
    try:
        for _ in range(50):  # the new process's command line appears once it has started
            if sleeper.pid in workflow.live_snakemake_pids():
                break
            time.sleep(0.1)
        assert sleeper.pid in workflow.live_snakemake_pids()
    finally:
        sleeper.kill()
        sleeper.wait()
    assert sleeper.pid not in workflow.live_snakemake_pids()


def test_litter_of_a_killed_step_is_removed_and_nothing_else(tmp_path):
    from glioma_lib.core.atomic import atomic_path

    keep = [tmp_path / "results/table_i.csv", tmp_path / "cohort/manifest.parquet"]
    for path in keep:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("finished")
    litter = [tmp_path / "results/.table_i.k2j3.tmp.csv", tmp_path / "cohort/.synthetic.ab12.tmp"]
    litter[0].write_text("half")
    (litter[1] / "BraTS").mkdir(parents=True)
    assert sorted(workflow.remove_litter(tmp_path)) == sorted(litter)
    assert all(p.exists() for p in keep) and not any(p.exists() for p in litter)
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "results/x.csv") as tmp:  # the pattern is atomic's
        tmp.write_text("half")
        assert tmp.name.startswith(".x.") and ".tmp" in tmp.name
        raise RuntimeError


@pytest.mark.slow  # several seconds: the fast lane stays under 3 minutes
def test_the_installed_snakemake_keeps_within_its_cores(tmp_path):
    """Some Snakemake 9 releases started more one-thread jobs than --cores once a job had finished
    (snakemake#3913); the trainings are such jobs, so the pinned version must not."""
    import subprocess
    import sys

    (tmp_path / "Snakefile").write_text(
        'rule all:\n    input: expand("out/{i}.txt", i=range(6))\n\n'
        'rule first:\n    output: "out/first.txt"\n    threads: 2\n    shell: "touch {output}"\n\n'
        'rule job:\n    input: "out/first.txt"\n    output: "out/{i}.txt"\n    threads: 1\n'
        '    shell: "date +%s.%N > {output}.start; sleep 1; date +%s.%N > {output}"\n')  # fmt: skip
    subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--quiet"], cwd=tmp_path, check=True,
                   capture_output=True)  # fmt: skip
    events = []
    for end in (tmp_path / "out").glob("[0-9].txt"):
        events += [(float(end.with_suffix(".txt.start").read_text()), 1), (float(end.read_text()), -1)]
    running = peak = 0
    for _, change in sorted(events):
        running += change
        peak = max(peak, running)
    assert len(events) == 12 and peak <= 2


@pytest.mark.slow
def test_the_real_profile_runs_end_to_end_and_builds_its_book(tmp_path, realdata):
    """The `real` profile from ../shared/realdata: the cohort (train and validation among the
    patients with SCNA), chapter 1 on the real MR case, survival, UMAP and a results chapter that
    says what was not tested; then its book, with no page of another run left in it."""
    config = load_config("real")
    config["run_dir"] = str(tmp_path / "run")
    config["cohort"].update(realdata=str(realdata), brats_root=str(realdata / "brats_mr"))
    config["analyses"]["umap"].update(real_arm_table=str(realdata / "tcga_scna_arm/arm_level_scna_786.csv"),
                                      real_clinical=str(realdata / "tcga_scna_arm/clinical_786.csv"))
    config["external"] = rerooted({**config["external"], "bootstrap": 200}, realdata)
    profile = tmp_path / "real.yaml"
    profile.write_text(yaml.safe_dump(config))
    run_dir = workflow.run(str(profile), cores=2)
    notebooks = sorted(p.name for p in (run_dir / "notebooks").glob("*.ipynb"))
    assert notebooks == ["01_data_curation.ipynb", "04_survival.ipynb", "06_scna_umap.ipynb", "07_results.ipynb",
                         "08_external_validation.ipynb"]  # fmt: skip
    manifest = pd.read_parquet(RunLayout(run_dir).manifest)
    in_split = manifest[manifest["split"].isin(["train", "validation"])]
    assert in_split["has_scna"].all() and (manifest["split"] == "validation").sum() > 150
    assert manifest.loc[manifest["has_mr"], "patient_id"].tolist() == ["TCGA-FG-6692"]

    stale = tmp_path / "book/_build/html/chapters/03_subtype_training-idh-t1ce-cnn.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("a page of an earlier run")
    index = book.build_book(str(profile), tmp_path / "book")
    assert not stale.exists()
    html = {p.name: p.read_text() for p in index.parent.glob("chapters/*.html")}
    assert sorted(html) == ["01_data_curation.html", "04_survival.html", "06_scna_umap.html", "07_results.html",
                            "08_external_validation.html", "reproducibility.html"]  # no training runs, no runs page
    external = html["08_external_validation.html"]
    assert "GLASS, IDH-mutant vs IDH-wildtype: AUC" in external and "Capper, the three WHO classes: AUC" in external
    assert "GLASS, survival (Cox on SCNA PCs): C-index" in external and external.count("<img") >= 4
    assert "not tested" in html["07_results.html"] and "knn_purity" in html["06_scna_umap.html"]
    assert html["01_data_curation.html"].count("<img") >= 2  # the real subject's panel and the availability figure


@pytest.mark.slow  # several seconds: the fast lane stays under 3 minutes
def test_a_dry_run_beside_a_live_run_is_refused_and_changes_nothing(tmp_path):
    """While a run holds its folder, a dry run with changed settings (through `glioma run` or a bare
    `snakemake -n`) stops with an honest message and leaves the parameters and settings as they were."""
    import subprocess

    profile = _profile(tmp_path)
    _scheduled(profile)  # nobody holds the folder: the settings files are written
    layout = RunLayout(tmp_path / "run")
    files = sorted([layout.resolved_config, *(tmp_path / "run/parameters").glob("*.json")])
    before = {path: path.read_bytes() for path in files}
    config = yaml.safe_load(profile.read_text())
    config["training"]["lr"] = 0.0003
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(config))
    with workflow.run_folder_lock(layout):  # the live run
        with pytest.raises(workflow.RunInProgress, match="another run of this run folder is in progress"):
            workflow.run(str(changed), cores=1, extra=["-n"])
        command = workflow.snakemake_command(str(changed), cores=1, extra=["--dry-run"])
        bare = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert bare.returncode != 0 and "another run holds" in bare.stdout + bare.stderr
    assert {path: path.read_bytes() for path in files} == before
    assert _scheduled(changed)["train"] == 8  # released: the changed settings are written and scheduled now


def test_simultaneous_starts_get_one_run_and_one_honest_refusal(tmp_path):
    import threading

    layout, barrier, outcomes = RunLayout(tmp_path / "run"), threading.Barrier(2), []
    entered = threading.Event()

    def start():
        barrier.wait()
        try:
            with workflow.run_folder_lock(layout):
                outcomes.append("ran")
                entered.set()
                time.sleep(0.5)
        except workflow.RunInProgress as refusal:
            entered.wait(5)
            outcomes.append(str(refusal))

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes)[-1] == "ran" and "in progress" in sorted(outcomes)[0] and len(outcomes) == 2
    with workflow.run_folder_lock(layout):  # released when its holder is done
        pass
