"""Executing text notebooks with papermill: parameters arrive, failures name the partial notebook."""

from __future__ import annotations

import json

import nbformat
import pytest

from glioma_lib.notebook import NOTEBOOK_DIR, NotebookFailed, execute_notebook, load_text_notebook

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
