"""Executing text notebooks with papermill: parameters arrive, failures name the partial notebook."""

from __future__ import annotations

import json

import nbformat
import pytest

from glioma_lib.cli import main
from glioma_lib.core.errors import InputDataError, NotebookFailed
from glioma_lib.pipeline.notebook import (
    NOTEBOOK_DIR,
    execute_notebook,
    find_notebook,
    load_text_notebook,
    notebook_parameters,
)

TEXT = """# %% tags=["parameters"]
value = 1

# %%
result = value * 2
print(f"result={result}")
{extra}
"""


def _write(tmp_path, extra=""):
    path = tmp_path / "toy.py"
    path.write_text(TEXT.replace("{extra}", extra))
    return path


def test_parameters_are_injected(tmp_path):
    out = execute_notebook(_write(tmp_path), tmp_path / "out" / "toy.ipynb", {"value": 21}, progress=False)
    notebook = nbformat.read(out, as_version=4)
    assert notebook.metadata.kernelspec.name == "python3"
    outputs = "".join(o.get("text", "") for c in notebook.cells for o in c.get("outputs", []))
    assert "result=42" in outputs
    tags = [c.metadata.get("tags", []) for c in notebook.cells]
    assert ["parameters", "remove-cell"] in tags and ["injected-parameters"] in tags  # the book shows what ran


def test_unknown_parameter_stops_before_running_naming_the_closest(tmp_path):
    target = tmp_path / "out" / "toy.ipynb"
    message = r"no parameter or setting valeu \(did you mean value\?\); its parameters are value"
    with pytest.raises(InputDataError, match=message):
        execute_notebook(_write(tmp_path), target, {"valeu": 3}, progress=False)
    assert not target.parent.exists()


def test_book_notebook_values_go_through_the_configuration_schema(tmp_path, capsys):
    from glioma_lib.cli import main

    out = tmp_path / "out.ipynb"
    assert main(["notebook", "02_weak_labelling", "--out", str(out), "-p", "teacher_epoch", "3"]) == 2
    assert "no parameter or setting teacher_epoch (did you mean teacher_epochs?)" in capsys.readouterr().err
    assert main(["notebook", "01_data_curation", "--out", str(out), "-p", "validation_fraction", "1.5"]) == 2
    assert "notebook 01_data_curation: validation_fraction: Input should be less than 1" in capsys.readouterr().err
    assert not out.exists()


def test_cli_reads_a_parameters_file_and_lets_p_override_it(tmp_path, capsys):
    (tmp_path / "params.yaml").write_text("value: 4\n")
    out = tmp_path / "toy.ipynb"
    assert main(["notebook", str(_write(tmp_path)), "--out", str(out), "-f", str(tmp_path / "params.yaml")]) == 0
    assert "result=8" in out.read_text()
    assert main(["notebook", str(_write(tmp_path)), "--out", str(out), "-f", str(tmp_path / "params.yaml"),
                 "-p", "value", "5"]) == 0  # fmt: skip
    assert "result=10" in out.read_text()
    assert main(["notebook", str(_write(tmp_path)), "--out", str(out), "-p", "valeu", "5"]) == 2
    assert "did you mean value" in capsys.readouterr().err


def test_unknown_notebook_name_lists_the_notebooks():
    with pytest.raises(InputDataError, match="no notebook '08_nothing'.*01_data_curation"):
        find_notebook("08_nothing")


def test_failure_names_error_and_partial_notebook(tmp_path):
    source = _write(tmp_path, "raise RuntimeError('planted failure')")
    target = tmp_path / "out" / "toy.ipynb"
    with pytest.raises(NotebookFailed, match=r"planted failure[\s\S]*toy\.partial\.ipynb"):
        execute_notebook(source, target, progress=False)
    assert not target.exists() and (tmp_path / "out" / "toy.partial.ipynb").exists()


@pytest.mark.parametrize("path", sorted(NOTEBOOK_DIR.glob("*.py")), ids=lambda p: p.stem)
def test_book_notebooks_are_text_with_a_parameters_cell(path):
    notebook = load_text_notebook(path)
    tagged = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert notebook.cells[0].cell_type == "markdown" and notebook.cells[0].source.startswith("# ")
    json.dumps(notebook)  # serialisable, no outputs committed
    assert all(not c.get("outputs") for c in notebook.cells)
    assert "run_dir" in notebook_parameters(notebook)  # every default is a literal the checker can read


@pytest.mark.parametrize("path", sorted(NOTEBOOK_DIR.glob("*.py")), ids=lambda p: p.stem)
def test_saving_a_book_notebook_changes_nothing(path):
    """A save through jupytext with the project's configuration (what JupyterLab does) is diff-clean,
    even after a kernel added language_info and a cell gained execution metadata."""
    import jupytext
    from jupytext.config import load_jupytext_configuration_file

    config = load_jupytext_configuration_file(str(NOTEBOOK_DIR / "jupytext.toml"))
    notebook = jupytext.read(path)
    notebook.metadata["language_info"] = {"name": "python", "version": "3.11.9"}
    notebook.cells[-1].metadata["execution"] = {"iopub.execute_input": "2026-11-28T10:00:00"}
    assert jupytext.writes(notebook, "py:percent", config=config) == path.read_text()


def test_a_full_disk_stops_with_one_line_naming_the_path(monkeypatch, capsys, tmp_path):
    import errno

    import glioma_lib.cohort.phantom as phantom

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "new" / "image.nii.gz"))

    monkeypatch.setattr(phantom, "generate", full_disk)
    assert main(["cohort", "phantom", "--out", str(tmp_path / "new")]) == 3
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: no space left") and "image.nii.gz" in error and "\n" not in error


@pytest.mark.parametrize("path", sorted(NOTEBOOK_DIR.glob("*.py")), ids=lambda path: path.stem)
def test_papermill_reads_every_parameter_a_notebook_declares(path):
    """papermill run by hand parses the parameters cell itself: a line it cannot parse makes it
    call a real parameter unknown."""
    from papermill.translators import PythonTranslator

    notebook = load_text_notebook(path)
    cell = next(cell for cell in notebook.cells if "parameters" in cell.metadata.get("tags", []))
    assert [parameter.name for parameter in PythonTranslator.inspect(cell)] == list(notebook_parameters(notebook))


@pytest.mark.slow
def test_a_killed_step_leaves_no_kernel_writing_and_its_scratch_is_cleared(tmp_path):
    """Kill a step's whole process group (as Snakemake or a scheduler does) while its kernel writes:
    the kernel dies with it at once, and the scratch folder it left is removed as a dead run's."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from glioma_lib.pipeline.notebook import SCRATCH_PREFIX, remove_dead_scratch, scratch_pid

    ticks = tmp_path / "ticks.txt"
    source = tmp_path / "writer.py"
    (tmp_path / "jupytext.toml").write_text('formats = "py:percent"\n')
    source.write_text('# %% tags=["parameters"]\nout = ""\n\n# %%\nimport time\n'
                      'for _ in range(600):\n    open(out, "a").write("x")\n    time.sleep(0.05)\n')  # fmt: skip
    scratch_root = tmp_path / "tmp"
    scratch_root.mkdir()
    step = subprocess.Popen([sys.executable, "-m", "glioma_lib.cli", "notebook", str(source), "--out",
                             str(tmp_path / "out.ipynb"), "-p", "out", str(ticks)], start_new_session=True,
                            env={**os.environ, "TMPDIR": str(scratch_root)})  # fmt: skip
    deadline = time.time() + 60
    while not (ticks.exists() and ticks.stat().st_size > 5) and time.time() < deadline:
        time.sleep(0.1)
    assert ticks.exists(), "the kernel never started writing"
    os.killpg(step.pid, signal.SIGKILL)
    step.wait()
    time.sleep(0.3)
    size = ticks.stat().st_size
    time.sleep(1.0)
    assert ticks.stat().st_size == size  # nothing wrote after the kill
    left = list(scratch_root.glob(f"{SCRATCH_PREFIX}*"))
    assert [scratch_pid(p) for p in left] == [step.pid]  # the killed step could not remove its own
    assert remove_dead_scratch(scratch_root) == left and not list(scratch_root.glob(f"{SCRATCH_PREFIX}*"))


def test_prose_is_refreshed_only_where_the_code_that_ran_is_the_same():
    from glioma_lib.pipeline.notebook import code_fingerprint, refresh_rendering

    source = load_text_notebook(find_notebook("04_survival"))
    executed = nbformat.from_dict(json.loads(json.dumps(source)))
    executed.cells.insert(2, nbformat.v4.new_code_cell("run_dir = 'x'", metadata={"tags": ["injected-parameters"]}))
    executed.cells[1].metadata["tags"] = ["parameters", "remove-cell"]
    executed.cells[3].outputs = [nbformat.v4.new_output("stream", text="kept")]
    edited = nbformat.from_dict(json.loads(json.dumps(source)))
    edited.cells[0].source = "# Survival, retitled"
    edited.cells[0].metadata["tags"] = ["remove-cell"]
    assert refresh_rendering(executed, edited)
    assert executed.cells[0].metadata["tags"] == ["remove-cell"]
    assert executed.cells[0].source == "# Survival, retitled" and executed.cells[3].outputs[0].text == "kept"
    assert "remove-cell" in executed.cells[1].metadata["tags"] and len(executed.cells) == len(source.cells) + 1
    edited.cells[2].source += "\nprint('changed')"  # the code cell that ran as executed.cells[3]
    assert not refresh_rendering(executed, edited)
    assert code_fingerprint("04_survival") == code_fingerprint(find_notebook("04_survival"))
