"""The smoke workflow end to end through Snakemake's generic cluster executor, then the book.

This is the one slow test of `make test` (a few minutes on 2 cores).
"""

from __future__ import annotations

import re

import nbformat
import pytest
import yaml

from glioma_lib import workflow
from glioma_lib.notebook import PROJECT_ROOT

SUBMIT = f"bash {PROJECT_ROOT / 'workflow/cluster/local_submit.sh'}"


def _profile(tmp_path, name="smoke", **cohort):
    config = workflow.load_profile("smoke")
    config["run_dir"] = str(tmp_path / "run")
    config["cohort"].update(cohort)
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.slow
def test_smoke_workflow_on_the_cluster_executor_and_the_book(tmp_path):
    profile = str(_profile(tmp_path))
    run_dir = workflow.run(profile, cores=2, executor="cluster-generic",
                           extra=["--cluster-generic-submit-cmd", SUBMIT, "--jobs", "3"])  # fmt: skip
    notebooks = sorted(p.name for p in (run_dir / "notebooks").glob("*.ipynb"))
    assert notebooks == ["01_data_curation.ipynb", "02_weak_labelling.ipynb",
                         "03_subtype_training-idh-t1ce-cnn.ipynb", "03_subtype_training-idh-t1ce-mtl-scna.ipynb",
                         "03_subtype_training-idh-t1ce-mtl.ipynb", "04_survival.ipynb",
                         "05_ring_enhancement_grade.ipynb", "06_scna_umap.ipynb", "07_results.ipynb"]  # fmt: skip
    assert (run_dir / "provenance.json").exists() and (run_dir / "results/table_i.csv").exists()

    stamps = {p: p.stat().st_mtime_ns for p in (run_dir / "notebooks").glob("*.ipynb")}
    workflow.run(profile, cores=2)  # finished outputs are kept: nothing reruns
    assert {p: p.stat().st_mtime_ns for p in (run_dir / "notebooks").glob("*.ipynb")} == stamps

    index = workflow.build_book(profile, tmp_path / "book")
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
    assert "Git commit" in html["reproducibility.html"]
    executed = nbformat.read(run_dir / "notebooks/01_data_curation.ipynb", as_version=4)
    outputs = [o.get("text", "") for c in executed.cells for o in c.get("outputs", [])]
    assert not any("Kernel is running over TCP" in text for text in outputs)


def test_failing_notebook_stops_with_its_error_and_the_partial_notebook(tmp_path, capfd):
    profile = str(_profile(tmp_path, name="broken", source="nowhere"))
    with pytest.raises(SystemExit, match="partial"):
        workflow.run(profile, cores=1, extra=["cohort"])
    output = capfd.readouterr()
    assert re.search(r"unknown cohort source 'nowhere'", output.out + output.err)
    notebooks = tmp_path / "run/notebooks"
    assert (notebooks / "01_data_curation.partial.ipynb").exists()
    assert not (notebooks / "01_data_curation.ipynb").exists()


def test_unknown_profile_lists_the_known_ones():
    with pytest.raises(FileNotFoundError, match="default.*paper.*real.*smoke"):
        workflow.load_profile("nonexistent")


def test_snakemake_command_for_slurm_uses_the_workflow_profile():
    command = workflow.snakemake_command("paper", cores=8, executor="slurm")
    assert command[command.index("--executor") + 1] == "slurm"
    assert command[command.index("--workflow-profile") + 1].endswith("workflow/slurm")


def test_toc_drops_chapters_a_run_did_not_produce(tmp_path):
    (tmp_path / "chapters").mkdir()
    for name in ("intro.md", "training.md", "chapters/01_data_curation.ipynb", "chapters/04_survival.ipynb"):
        (tmp_path / name).write_text("")
    toc = yaml.safe_load((workflow.BOOK / "_toc.yml").read_text())
    kept = workflow.filtered_toc(toc, tmp_path)
    files = [c.get("file") for part in kept["parts"] for c in part["chapters"]]
    assert files == ["chapters/01_data_curation", "chapters/04_survival"]
    assert [p["caption"] for p in kept["parts"]] == ["Data", "Survival and interpretation"]
    (tmp_path / "chapters/03_subtype_training-idh-t1ce-mtl.ipynb").write_text("")
    kept = workflow.filtered_toc(toc, tmp_path)
    training = next(c for part in kept["parts"] for c in part["chapters"] if c.get("file") == "training")
    assert training["sections"] == [{"glob": "chapters/03_subtype_training-*"}]
