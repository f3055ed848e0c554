"""The run folder of one profile (see DESIGN.md): every step finds its inputs and outputs here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from glioma_lib.naming import run_name


@dataclass(frozen=True)
class RunLayout:
    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def cohort(self) -> Path:
        return self.root / "cohort"

    @property
    def manifest(self) -> Path:
        return self.cohort / "manifest.parquet"

    @property
    def sources(self) -> Path:
        return self.cohort / "sources.json"

    @property
    def derived(self) -> Path:
        return self.root / "derived"

    @property
    def weak_masks(self) -> Path:
        return self.derived / "weak_masks"

    @property
    def teacher(self) -> Path:
        return self.derived / "teacher"

    @property
    def cache(self) -> Path:
        return self.derived / "cache"

    @property
    def scna_pca(self) -> Path:
        return self.derived / "scna_pca.npz"

    def train(self, task: str, input_format: str, model: str, use_scna: bool,
              labelled_limit: int | None = None) -> Path:
        return self.train_root / run_name(task, input_format, model, use_scna, labelled_limit)

    @property
    def train_root(self) -> Path:
        return self.root / "train"

    def run(self, name: str) -> Path:
        """The folder of the training run called ``name`` (see :func:`glioma_lib.naming.run_name`)."""
        return self.train_root / name

    def finished_runs(self, marker: str = "auc.json") -> list[str]:
        """Names of the training runs that have written ``marker`` (``auc.json`` comes last)."""
        root = self.train_root
        return sorted(p.name for p in root.iterdir() if (p / marker).exists()) if root.is_dir() else []

    @property
    def survival(self) -> Path:
        return self.root / "survival"

    @property
    def analyses(self) -> Path:
        return self.root / "analyses"

    @property
    def results(self) -> Path:
        return self.root / "results"

    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    def executed_notebook(self, step: str) -> Path:
        """The executed notebook of ``step`` (e.g. ``03_subtype_training-idh-t1ce-mtl``)."""
        return self.notebooks / f"{step}.ipynb"

    def step_parameters(self, step: str) -> Path:
        """The resolved parameters ``step`` runs with: a workflow input, rewritten only when they change."""
        return self.root / "parameters" / f"{step}.json"

    def step_log(self, step: str) -> Path:
        return self.root / "logs" / f"{step}.log"

    @property
    def provenance(self) -> Path:
        return self.root / "provenance.json"
