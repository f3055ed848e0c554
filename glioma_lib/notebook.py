"""Execute the book's text notebooks with papermill.

Notebooks are jupytext ``py:percent`` files. papermill cannot read them, so each is converted
in memory, given a ``python3`` kernelspec, and executed; the executed ``.ipynb`` is written
atomically, so a failed run leaves the partial notebook beside the target and never the target.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import papermill

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = PROJECT_ROOT / "notebooks"
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


class NotebookFailed(RuntimeError):
    """A notebook raised; the message holds its error and the path of the partial notebook."""


def load_text_notebook(path: str | Path) -> nbformat.NotebookNode:
    """A jupytext text notebook as an in-memory notebook with a python3 kernelspec."""
    notebook = jupytext.read(str(path))
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    notebook.metadata.setdefault("language_info", {"name": "python"})
    return notebook


def find_notebook(name: str) -> Path:
    """``'01_data_curation'`` or a path -> the text notebook's path."""
    candidate = Path(name)
    if candidate.suffix == ".py" and candidate.is_file():
        return candidate
    path = NOTEBOOK_DIR / f"{candidate.stem}.py"
    if not path.is_file():
        raise FileNotFoundError(f"no notebook {name!r} in {NOTEBOOK_DIR}")
    return path


# ipykernel 7 warns on stderr that its TCP transport is unencrypted (a loopback-only kernel here);
# the warning lands in the first cell's output and would be rendered in the book.
KERNEL_NOISE = "[IPKernelApp] WARNING | Kernel is running over TCP without encryption"


def drop_kernel_noise(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove the kernel's transport warning from cell outputs; nothing else is touched."""
    for cell in notebook.cells:
        if cell.get("outputs"):
            cell.outputs = [o for o in cell.outputs
                            if not (o.get("output_type") == "stream" and KERNEL_NOISE in o.get("text", ""))]
    return notebook


def execute_notebook(
    source: str | Path, output: str | Path, parameters: dict[str, Any] | None = None,
    cwd: str | Path | None = None, progress: bool = True, log_output: bool = False,
) -> Path:
    """Run a text notebook with papermill parameters; write the executed ``.ipynb`` to ``output``.

    The kernel starts in ``cwd`` (default: the current directory), so relative paths in
    parameters mean the same inside the notebook as on the command line. ``log_output`` streams
    cell output (per-epoch lines, progress) to the terminal while it runs.
    """
    source, output = find_notebook(str(source)), Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    notebook = load_text_notebook(source)
    fd, input_path = tempfile.mkstemp(suffix=".ipynb", prefix=f"{source.stem}.", dir=output.parent)
    os.close(fd)
    partial = output.with_name(output.stem + ".partial.ipynb")
    try:
        nbformat.write(notebook, input_path)
        try:
            papermill.execute_notebook(
                input_path, str(partial), parameters=parameters or {}, kernel_name="python3",
                cwd=str(cwd or Path.cwd()), progress_bar=progress, log_output=log_output,
            )
        except papermill.PapermillExecutionError as exc:
            raise NotebookFailed(
                f"notebook {source.name} failed: {exc.ename}: {exc.evalue}\n"
                f"the partially executed notebook is {partial}"
            ) from exc
        nbformat.write(drop_kernel_noise(nbformat.read(partial, as_version=4)), partial)
        os.replace(partial, output)
    finally:
        Path(input_path).unlink(missing_ok=True)
    return output
