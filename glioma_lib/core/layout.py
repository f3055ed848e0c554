"""Every path a step reads or writes is named here: the run folder of one profile (see DESIGN.md),
a cohort folder, the real-data folder, a model bundle and the outputs of ``glioma predict``,
per-patient and per-trial names included.

Renaming an output is a one-line change in this module; ``tests/core/test_layout.py`` checks that
no other module or notebook spells these file names (patterned ones too), and the smoke test that
every file a run writes is one of these paths or lies in one of these folders.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

TRAINING_STEP = "03_subtype_training"  # its notebook runs once per training run: `03_subtype_training-<run>`


def training_step(run: str) -> str:
    """The step (notebook, rule, chapter) name of training run ``run``."""
    return f"{TRAINING_STEP}-{run}"


def run_of_step(step: str) -> str | None:
    """The training run of a step name made by :func:`training_step`; None for other steps."""
    prefix = f"{TRAINING_STEP}-"
    return step[len(prefix):] if step.startswith(prefix) else None


WEAK_MASK_SUFFIXES = {"four": "_weak4.nii.gz", "wt": "_weakwt.nii.gz", "empty": ".empty"}


def weak_mask_file(folder: str | Path, patient: str, kind: str = "four") -> Path:
    """A patient's weak mask in ``folder``: ``four`` (BraTS labels), ``wt`` (whole tumour) or
    ``empty`` (a flag: the teacher predicted no tumour)."""
    return Path(folder) / f"{patient}{WEAK_MASK_SUFFIXES[kind]}"


def external_teacher_mask(folder: str | Path, patient: str) -> Path:
    """The teacher's mask of a scan outside the cohort (``weak_labels.external``) in ``folder``."""
    return Path(folder) / f"{patient}_teacher.nii.gz"


@dataclass(frozen=True)
class _Folder:
    folder: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "folder", Path(self.folder))


class CohortFolder(_Folder):
    """The files of a cohort folder (a run's ``cohort/``, or the ``--out`` of ``glioma cohort build``)."""

    @property
    def manifest(self) -> Path:
        return self.folder / "manifest.parquet"

    @property
    def manifest_csv(self) -> Path:
        return self.folder / "manifest.csv"

    @property
    def curation_report(self) -> Path:
        return self.folder / "curation_report.csv"

    @property
    def ceilings(self) -> Path:
        """A synthetic cohort's oracle AUCs (imaging, SCNA, both): what no model can exceed."""
        return self.folder / "ceilings.csv"

    @property
    def sources(self) -> Path:
        return self.folder / "sources.json"

    @property
    def synthetic(self) -> Path:
        """The synthetic cohort, when the profile generates it (its own layout: :mod:`glioma_lib.cohort.phantom`)."""
        return self.folder / "synthetic"


class RealDataFolder(_Folder):
    """The files of a folder laid out as ``shared/realdata`` (see its README): TCGA clinical labels
    and survival, the BraTS-TCGA mapping, arm-level SCNA of 786 TCGA patients and its clinical table."""

    @property
    def clinical(self) -> Path:
        return self.folder / "tcga_clinical/ceccarelli2016_table_s1a.csv"

    @property
    def name_mapping(self) -> Path:
        return self.folder / "brats_tcga_mapping/name_mapping.csv"

    @property
    def arm_table(self) -> Path:
        return self.folder / "tcga_scna_arm/arm_level_scna_786.csv"

    @property
    def arm_clinical(self) -> Path:
        return self.folder / "tcga_scna_arm/clinical_786.csv"

    @property
    def gene_to_arm(self) -> Path:
        return self.folder / "tcga_scna_arm/gene_to_arm_23109.csv"


class BundleFolder(_Folder):
    """The files of a model bundle (``glioma export``): weights, metadata and model card."""

    @property
    def metadata(self) -> Path:
        return self.folder / "metadata.json"

    @property
    def model_card(self) -> Path:
        return self.folder / "README.md"

    @property
    def weights(self) -> Path:
        return self.folder / "weights"

    def trial_weights(self, trial: int | str) -> Path:
        """Trial ``trial``'s selected weights (``"*"``: the pattern that matches every trial's)."""
        return self.weights / f"trial{trial}.pt"

    @staticmethod
    def trial_of(path: Path) -> int:
        """The trial number of a :meth:`trial_weights` path."""
        return int(path.stem.removeprefix("trial"))

    @property
    def teacher(self) -> Path:
        return self.weights / "weak_label_teacher.pt"


class PredictionFolder(_Folder):
    """The files ``glioma predict`` writes: the table, and per patient its mask and report."""

    @property
    def table(self) -> Path:
        return self.folder / "predictions.csv"

    def patient(self, patient: str) -> Path:
        return self.folder / patient

    def whole_tumour_mask(self, patient: str) -> Path:
        return self.patient(patient) / f"{patient}_whole_tumour.nii.gz"

    def report(self, patient: str) -> Path:
        return self.patient(patient) / f"{patient}_report.png"


class TrainingRun(_Folder):
    """The files of one training run's folder (``train/<run name>/``)."""

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def layout(self) -> RunLayout:
        """The run folder this training run belongs to."""
        return RunLayout(self.folder.parent.parent)

    @property
    def config(self) -> Path:
        return self.folder / "config.json"

    @property
    def metrics(self) -> Path:
        return self.folder / "metrics.parquet"

    @property
    def auc(self) -> Path:
        """Written last: its presence marks a finished run."""
        return self.folder / "auc.json"

    @property
    def validation_predictions(self) -> Path:
        return self.folder / "validation_predictions.parquet"

    @property
    def patients(self) -> Path:
        """Who the run used and how: train (fitting), selection (checkpoint choice), validation."""
        return self.folder / "patients.csv"

    @property
    def embeddings(self) -> Path:
        return self.folder / "embeddings.parquet"

    @property
    def preprocessing(self) -> Path:
        """The preprocessing that inference on a new patient repeats."""
        return self.folder / "preprocessing.json"

    @property
    def cache_index(self) -> Path:
        return self.folder / "cache_index.csv"

    @property
    def checkpoints(self) -> Path:
        return self.folder / "checkpoints"

    def checkpoint(self, trial: int, which: str = "last") -> Path:
        """``last`` (resumable state) or ``best`` (the honest checkpoint) of one trial."""
        return self.checkpoints / f"trial{trial}" / f"{which}.pt"


@dataclass(frozen=True)
class RunLayout:
    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    # cohort
    @property
    def cohort(self) -> Path:
        return self.root / "cohort"

    @property
    def cohort_folder(self) -> CohortFolder:
        return CohortFolder(self.cohort)

    @property
    def manifest(self) -> Path:
        return self.cohort_folder.manifest

    @property
    def manifest_csv(self) -> Path:
        return self.cohort_folder.manifest_csv

    @property
    def curation_report(self) -> Path:
        return self.cohort_folder.curation_report

    @property
    def ceilings(self) -> Path:
        return self.cohort_folder.ceilings

    @property
    def sources(self) -> Path:
        return self.cohort_folder.sources

    @property
    def synthetic(self) -> Path:
        return self.cohort_folder.synthetic

    # derived data
    @property
    def derived(self) -> Path:
        return self.root / "derived"

    @property
    def weak_masks(self) -> Path:
        return self.derived / "weak_masks"

    @property
    def weak_masks_table(self) -> Path:
        return self.weak_masks / "weak_masks.csv"

    @property
    def weak_masks_record(self) -> Path:
        """Which teacher made the weak masks (masks made by another are retired)."""
        return self.weak_masks / "provenance.json"

    @property
    def teacher(self) -> Path:
        return self.derived / "teacher"

    @property
    def teacher_checkpoint(self) -> Path:
        return self.teacher / "teacher.pt"

    @property
    def teacher_settings(self) -> Path:
        return self.teacher / "settings.json"

    @property
    def teacher_curve(self) -> Path:
        return self.teacher / "curve.csv"

    @property
    def teacher_quality(self) -> Path:
        return self.teacher / "quality.csv"

    @property
    def teacher_tumour_range(self) -> Path:
        """The range of tumour sizes (share of the brain) the teacher was trained on: predict's check."""
        return self.teacher / "tumour_range.json"

    @property
    def teacher_external_masks(self) -> Path:
        """The teacher's masks of scans outside the cohort (``<patient>_teacher.nii.gz``), scored in quality.csv."""
        return self.teacher / "external_masks"

    @property
    def cache(self) -> Path:
        return self.derived / "cache"

    @property
    def radiomics(self) -> Path:
        """Radiomics features, one file per patient, modality and mask (``inputs.radiomics``)."""
        return self.derived / "radiomics"

    def radiomics_features(self, patient: str, modality: str, key: str) -> Path:
        """A patient's features of one modality inside one mask; ``key`` hashes the image, the mask
        and the extraction settings, so a changed mask or setting is a new file."""
        return self.radiomics / f"{patient}_{modality}_{key}.json"

    @property
    def scna_pca(self) -> Path:
        return self.derived / "scna_pca.npz"

    # training runs
    @property
    def train_root(self) -> Path:
        return self.root / "train"

    def run(self, name: str) -> TrainingRun:
        """The training run called ``name`` (see :func:`glioma_lib.core.naming.run_name`)."""
        return TrainingRun(self.train_root / name)

    @property
    def tuning(self) -> Path:
        """``glioma tune``: variants of one run's settings on a development cohort, and their table."""
        return self.root / "tuning"

    def tuning_run(self, variant: str) -> TrainingRun:
        return TrainingRun(self.tuning / variant)

    @property
    def tuning_table(self) -> Path:
        return self.tuning / "tuning.csv"

    def finished_runs(self) -> list[str]:
        """Names of the training runs that have finished (written their ``auc.json``, which comes last)."""
        root = self.train_root
        return sorted(p.name for p in root.iterdir() if self.run(p.name).auc.exists()) if root.is_dir() else []

    # survival
    @property
    def survival(self) -> Path:
        return self.root / "survival"

    @property
    def km_summary(self) -> Path:
        return self.survival / "km_summary.csv"

    @property
    def c_index(self) -> Path:
        return self.survival / "cindex.csv"

    @property
    def paired_c_index(self) -> Path:
        return self.survival / "paired_cindex.csv"

    @property
    def survival_record(self) -> Path:
        return self.survival / "survival.json"

    # analyses
    @property
    def analyses(self) -> Path:
        return self.root / "analyses"

    @property
    def ring_table(self) -> Path:
        return self.analyses / "ring.csv"

    @property
    def ring_grade(self) -> Path:
        return self.analyses / "ring_grade.json"

    @property
    def attributions(self) -> Path:
        """Per-patient attribution maps (``<patient>.npz``) and their summary table."""
        return self.analyses / "attributions"

    def attribution_arrays(self, patient: str) -> Path:
        """A patient's image and attributions (``"*"``: the pattern that matches every patient's)."""
        return self.attributions / f"{patient}.npz"

    @property
    def attributions_table(self) -> Path:
        return self.attributions / "attributions.csv"

    def umap_table(self, cohort: str) -> Path:
        """UMAP coordinates of one SCNA cohort (``cohort``: this run's, or ``tcga_786``)."""
        return self.analyses / f"{cohort}_umap.csv"

    def separation_table(self, cohort: str) -> Path:
        """Subtype separation of one SCNA cohort in its full feature space (kNN purity, CV AUC)."""
        return self.analyses / f"{cohort}_separation.csv"

    # external validation
    @property
    def external(self) -> Path:
        return self.root / "external"

    def external_table(self, name: str) -> Path:
        """One of the external-validation step's tables by name, e.g. ``classification``."""
        return self.external / f"{name}.csv"

    @property
    def external_record(self) -> Path:
        """The settings, cohort counts and TCGA risk cut of the external-validation step."""
        return self.external / "external.json"

    # results
    @property
    def results(self) -> Path:
        return self.root / "results"

    def results_table(self, name: str) -> Path:
        """One of the results step's tables by name, e.g. ``table_i``."""
        return self.results / f"{name}.csv"

    # the workflow's own files
    @property
    def notebooks(self) -> Path:
        return self.root / "notebooks"

    def executed_notebook(self, step: str) -> Path:
        """The executed notebook of ``step`` (e.g. ``03_subtype_training-idh-t1ce-mtl``)."""
        return self.notebooks / f"{step}.ipynb"

    def step_parameters(self, step: str) -> Path:
        """The resolved parameters ``step`` runs with: a workflow input, rewritten only when they change."""
        return self.root / "parameters" / f"{step}.json"

    def notebook_code(self, notebook: str) -> Path:
        """The fingerprint of a notebook's code cells: a workflow input rewritten only when the code
        changes, so an edit of its prose re-renders the book without re-running the step."""
        return self.root / "parameters" / f"{notebook}.code.json"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def step_log(self, step: str) -> Path:
        return self.logs / f"{step}.log"

    @property
    def benchmarks(self) -> Path:
        return self.root / "benchmarks"

    def step_benchmark(self, step: str) -> Path:
        """Snakemake's record of a step's job: wall time, peak memory, I/O (``benchmark:``)."""
        return self.benchmarks / f"{step}.tsv"

    @property
    def run_lock(self) -> Path:
        """Held (an exclusive flock) by the process that may write the run folder's settings and steps."""
        return self.root / ".run.lock"

    @property
    def resolved_config(self) -> Path:
        """The validated profile the run was made with."""
        return self.root / "config.yaml"

    @property
    def provenance(self) -> Path:
        return self.root / "provenance.json"

