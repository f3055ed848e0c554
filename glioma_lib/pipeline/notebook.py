"""Execute the book's text notebooks with papermill.

Notebooks are jupytext ``py:percent`` files. papermill cannot read them, so each is converted
in memory, given a ``python3`` kernelspec, and executed; the executed ``.ipynb`` is written
atomically, so a failed run leaves the partial notebook beside the target and never the target.
Parameters are checked against the notebook's ``parameters`` cell and its settings first: a
misspelled name stops the run instead of being injected and ignored. In the executed notebook the defaults cell is
tagged ``remove-cell`` once papermill has injected the values that ran, so the book shows only those.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import papermill
import yaml
from jupyter_client.manager import KernelManager

from glioma_lib.config.load import NOTEBOOK_DIR
from glioma_lib.config.steps import STEP_SETTINGS, notebook_settings
from glioma_lib.core.errors import InputDataError, NotebookFailed

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


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
        known = ", ".join(sorted(p.stem for p in NOTEBOOK_DIR.glob("*.py")))
        raise InputDataError(f"no notebook {name!r} in {NOTEBOOK_DIR}; the notebooks are {known}")
    return path


def notebook_parameters(notebook: nbformat.NotebookNode) -> dict[str, Any]:
    """The names and default values assigned in the cell tagged ``parameters``."""
    cells = [c for c in notebook.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not cells:
        return {}
    defaults = {}
    for node in ast.parse(cells[0].source).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    defaults[target.id] = ast.literal_eval(node.value) if node.value is not None else None
    return defaults


def code_fingerprint(source: str | Path) -> dict[str, str]:
    """A digest of a text notebook's code cells alone: prose, captions and tags leave it unchanged."""
    notebook = load_text_notebook(find_notebook(str(source)))
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    return {"notebook": Path(str(source)).stem, "code_sha256": hashlib.sha256(json.dumps(code).encode()).hexdigest()}


def refresh_rendering(executed: nbformat.NotebookNode, source: nbformat.NotebookNode) -> bool:
    """Give an executed notebook the current prose of its text source (markdown cells with their tags,
    and the tags and captions of code cells) when their code cells are the same; returns whether it did. Outputs and
    the injected parameters stay as they ran."""
    ran = [cell for cell in executed.cells if "injected-parameters" not in cell.metadata.get("tags", [])]
    same = len(ran) == len(source.cells) and all(
        a.cell_type == b.cell_type and (a.cell_type != "code" or a.source == b.source)
        for a, b in zip(ran, source.cells, strict=True))  # fmt: skip
    if not same:
        return False
    for cell, current in zip(ran, source.cells, strict=True):
        if cell.cell_type == "markdown":
            cell.source, cell.metadata = current.source, current.metadata
        else:  # the parameters cell keeps its remove-cell tag (the values that ran are shown instead)
            kept = [tag for tag in cell.metadata.get("tags", []) if tag == "remove-cell"]
            cell.metadata.update({k: v for k, v in current.metadata.items() if k != "tags"})
            cell.metadata["tags"] = list(dict.fromkeys([*current.metadata.get("tags", []), *kept]))
    return True


def resolved_parameters(source: str | Path, parameters: dict[str, Any]) -> dict[str, Any]:
    """The parameters to run a notebook with, checked: names its parameters cell declares pass as
    they are; a name of one of its settings (``teacher_epochs``) goes into ``settings``, so
    ``-p teacher_epochs 3`` works as ``-y "settings: {teacher_epochs: 3}"`` does. A name that is
    neither stops the run, naming the closest known one; so do wrong settings' values."""
    name = Path(str(source)).stem
    declared = notebook_parameters(load_text_notebook(find_notebook(str(source))))
    model = STEP_SETTINGS.get(name)
    fields = list(model.model_fields) if model else []
    unknown = sorted(set(parameters) - set(declared) - set(fields))
    if unknown:
        known = [*declared, *fields]
        hints = [f"{key} (did you mean {close[0]}?)" if (close := difflib.get_close_matches(key, known, 1)) else key
                 for key in unknown]  # fmt: skip
        raise InputDataError(f"notebook {name} has no parameter or setting {', '.join(hints)}; its parameters are "
                             f"{', '.join(declared)}" + (f"; its settings {', '.join(fields)}" if fields else ""))
    resolved = {key: value for key, value in parameters.items() if key in declared}
    moved = {key: value for key, value in parameters.items() if key not in declared}
    if moved:
        resolved["settings"] = {**(resolved.get("settings") or {}), **moved}
    if model is not None:  # the values, as the configuration schema checks a profile's
        notebook_settings(name, resolved.get("settings"), run=resolved.get("run", declared.get("run")))
    return resolved


def read_parameter_file(path: str | Path) -> dict[str, Any]:
    """Parameters from a YAML or JSON mapping (JSON is YAML)."""
    try:
        values = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise InputDataError(f"cannot read notebook parameters: {exc}", path=path) from exc
    if not isinstance(values, dict):
        raise InputDataError("a parameters file must hold a mapping of names to values", path=path)
    return values


def show_values_that_ran(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Tag the defaults cell ``remove-cell`` when papermill injected the parameters that ran."""
    tags = [c.get("metadata", {}).get("tags", []) for c in notebook.cells]
    if any("injected-parameters" in t for t in tags):
        for cell, cell_tags in zip(notebook.cells, tags, strict=True):
            if "parameters" in cell_tags and "remove-cell" not in cell_tags:
                cell.metadata["tags"] = [*cell_tags, "remove-cell"]
    return notebook


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


SCRATCH_PREFIX = "glioma-notebook-"  # then the pid of the process that executes the notebook


class StepKernelManager(KernelManager):
    """Kernels started through :mod:`glioma_lib.pipeline.kernel_guard`: they die with the step that
    started them, so a killed step leaves no kernel writing into the run folder."""

    def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
        command = super().format_kernel_cmd(extra_arguments)
        return [sys.executable, "-m", "glioma_lib.pipeline.kernel_guard", str(os.getpid()), *command]


def scratch_pid(path: Path) -> int | None:
    """The pid in a scratch folder's name (``glioma-notebook-<pid>-...``), or None."""
    rest = path.name[len(SCRATCH_PREFIX):].split("-", 1)[0]
    return int(rest) if path.name.startswith(SCRATCH_PREFIX) and rest.isdigit() else None


def remove_dead_scratch(folder: str | Path | None = None) -> list[Path]:
    """Scratch folders (the converted notebook, the kernel's connection file) of steps whose process
    is gone: a killed step cannot remove its own."""
    removed = []
    for path in Path(folder or tempfile.gettempdir()).glob(f"{SCRATCH_PREFIX}*"):
        pid = scratch_pid(path)
        if pid is not None and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


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
    parameters = resolved_parameters(source, parameters or {})
    output.parent.mkdir(parents=True, exist_ok=True)
    notebook = load_text_notebook(source)
    partial = output.with_name(output.stem + ".partial.ipynb")
    runtime = os.environ.get("JUPYTER_RUNTIME_DIR")
    with tempfile.TemporaryDirectory(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-") as scratch:  # never in the run folder
        input_path = str(Path(scratch) / f"{source.stem}.ipynb")
        nbformat.write(notebook, input_path)
        os.environ["JUPYTER_RUNTIME_DIR"] = scratch  # the kernel's connection file goes with the scratch folder
        try:
            papermill.execute_notebook(
                input_path, str(partial), parameters=parameters or {}, kernel_name="python3",
                cwd=str(cwd or Path.cwd()), progress_bar=progress, log_output=log_output,
                kernel_manager_class=StepKernelManager,
            )
        except papermill.PapermillExecutionError as exc:
            raise NotebookFailed(
                f"notebook {source.name} failed: {exc.ename}: {exc.evalue}\n"
                f"the partially executed notebook is {partial}"
            ) from exc
        finally:
            if runtime is None:
                os.environ.pop("JUPYTER_RUNTIME_DIR", None)
            else:
                os.environ["JUPYTER_RUNTIME_DIR"] = runtime
    nbformat.write(show_values_that_ran(drop_kernel_noise(nbformat.read(partial, as_version=4))), partial)
    os.replace(partial, output)
    return output
