"""The typed schema of an analysis configuration (``config/config.yaml`` plus a profile's overrides).

Every section refuses unknown keys, wrong types and impossible values, so a misspelled setting
stops the run instead of being ignored. Sections whose keys are a notebook's parameters (cohort,
weak labels, ring, UMAP) use the notebook's parameter names; ``tests/config`` checks that they agree.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, NonNegativeInt, PositiveInt, model_validator

from glioma_lib.core.naming import INPUT_FORMATS, MODELS, SUBTYPES, TASKS, parse_run_name, run_name

Shape3 = Annotated[list[PositiveInt], Field(min_length=3, max_length=3)]
Fraction = Annotated[float, Field(gt=0, lt=1)]
Task = Literal[TASKS]
InputFormat = Literal[INPUT_FORMATS]
Model = Literal[MODELS]
Device = Annotated[str, Field(pattern=r"^(auto|cpu|mps|cuda(:\d+)?)$")]  # auto: CUDA when there is one


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CohortSettings(Section):
    """The cohort step (notebook 01): the synthetic phantom or real inputs, and the split."""

    source: Literal["phantom", "real"]
    n_mr: PositiveInt  # phantom: subjects with MR
    n_scna_only: NonNegativeInt  # phantom: patients with SCNA but no MR
    shape: Shape3  # phantom volume shape
    phantom_seed: int
    realdata: str  # real: the TCGA tables and mapping
    brats_root: str | None  # real: a BraTS folder
    require_all_mapped: bool
    scna_segments: str | None  # real: a segment file (GDC, ASCAT, GISTIC .seg) instead of the arm-level table
    cytobands: str | None  # real: the cytoband table of the segments' genome build (UCSC cytoBand.txt)
    accept_unusual_geometry: bool  # real: use scans that do not look BraTS-preprocessed, listing them
    split_requires: Annotated[list[Literal["mr", "scna"]], Field(min_length=1)]  # what train/validation patients have
    validation_fraction: Fraction
    split_seed: int
    workers: PositiveInt  # processes that render phantom subjects


class WeakLabelSettings(Section):
    """The weak-labelling step (notebook 02): the teacher and its masks."""

    teacher_epochs: PositiveInt
    teacher_lr: float = Field(gt=0)
    shape: Shape3
    checkpoint: str | None  # a four-channel, four-class 3D-ESPNet instead of training one
    held_out_fraction: Fraction
    seed: int
    device: Device
    external_scans: str | None  # BraTS subjects outside the cohort, with masks: the teacher is scored on them


class Grid(Section):
    tasks: list[Task]
    formats: list[InputFormat]
    models: list[Model]
    scna_formats: list[InputFormat]


class LabelEfficiency(Section):
    task: Task
    format: InputFormat
    labelled: list[PositiveInt]


class TrainingSettings(Section):
    """The training runs (notebook 03, once per run): the grid and what every run shares."""

    grid: Grid
    label_efficiency: LabelEfficiency | None
    updates: PositiveInt
    evaluations: PositiveInt
    evaluate_from: float = Field(ge=0, lt=1)
    trials: PositiveInt
    seed: int
    batch_size: PositiveInt
    unlabelled_per_batch: NonNegativeInt
    lr: float = Field(gt=0)
    head_lr_factor: float = Field(gt=0)
    pooled_levels: int = Field(ge=1, le=4)
    norm: Literal["group", "batch"]
    init_from_teacher: bool
    crop_shape: Shape3
    whole_shape: Shape3
    pca_dim: PositiveInt  # SCNA principal components: the MTL+SCNA input and the survival step's
    bootstrap: PositiveInt
    device: Device
    batch_trials: bool  # a run's trials as one stacked model: the same numbers, faster on a GPU

    @model_validator(mode="after")
    def _evaluations_fit_the_updates(self) -> TrainingSettings:
        if self.evaluations > self.updates:
            raise ValueError(f"evaluations ({self.evaluations}) must not exceed updates ({self.updates})")
        return self

    def runs(self) -> list[str]:
        """Every training run the configuration asks for: the grid, MTL+SCNA, label efficiency."""
        grid = [run_name(t, f, m, False) for t in self.grid.tasks for f in self.grid.formats for m in self.grid.models]
        scna = [run_name(t, f, "mtl", True) for t in self.grid.tasks for f in self.grid.scna_formats]
        efficiency = self.label_efficiency
        limited = [] if efficiency is None else [run_name(efficiency.task, efficiency.format, m, False, n)
                                                 for n in efficiency.labelled for m in MODELS]  # fmt: skip
        return [*grid, *scna, *limited]


class SurvivalSettings(Section):
    penalizer: NonNegativeFloat
    k: PositiveInt  # SCNA principal components in the SCNA-only Cox model
    bootstrap: PositiveInt


class RingSettings(Section):
    threshold: float = Field(ge=0, le=1)
    min_necrosis: float = Field(ge=0, le=1)
    ig_steps: PositiveInt


class UmapSettings(Section):
    seed: int
    real_arm_table: str | None
    real_clinical: str | None


class SurvivalColumns(Section):
    time: str  # column of the survival time
    event: str  # column of the event (1 died, 0 censored)
    unit: Literal["days", "months"]


class ExternalCohortSettings(Section):
    """One external SCNA cohort: its copy number (an arm table, or segments with cytobands), its
    clinical table, and how to read its labels and survival (see glioma_lib.external.cohorts)."""

    name: str  # as the book shows it
    platform: str  # how its copy number was measured, said beside every result
    arm_table: str | None = None  # samples x chromosome arms (-1 whole arm lost, +1 gained)
    segments: str | None = None  # or a segment file (log2 or absolute copy number) ...
    cytobands: str | None = None  # ... with the cytoband table of its genome build
    clinical: str
    sample_column: str | None = None  # the clinical table's column of sample IDs; None: its first column
    patient_column: str | None = None  # a patient's second sample is left out (reported)
    label_column: str
    labels: dict[str, Literal[SUBTYPES] | None]  # every spelling in label_column -> a WHO subtype, or null (no label)
    survival: SurvivalColumns | None = None

    @model_validator(mode="after")
    def _one_copy_number_source(self) -> ExternalCohortSettings:
        if (self.arm_table is None) == (self.segments is None):
            raise ValueError(f"cohort {self.name!r}: give exactly one of arm_table and segments")
        if self.segments is not None and self.cytobands is None:
            raise ValueError(f"cohort {self.name!r}: segments need the cytoband table of their genome build")
        return self


class ExternalSettings(Section):
    """The external-validation step (notebook 08): SCNA models fitted on the TCGA table of
    ``analyses.umap`` (``real_arm_table``, ``real_clinical``) and applied unchanged to each cohort."""

    cohorts: dict[str, ExternalCohortSettings]
    threshold: Fraction  # the probability at which a binary call is made, fixed in advance
    bootstrap: PositiveInt
    seed: int


class AnalysesSettings(Section):
    ring_run: str
    ring: RingSettings
    umap: UmapSettings

    @model_validator(mode="after")
    def _ring_run_is_a_run_name(self) -> AnalysesSettings:
        parse_run_name(self.ring_run)
        return self


class AnalysisConfig(Section):
    """A whole analysis configuration: what one run folder is made from."""

    profile: str
    run_dir: str
    cohort: CohortSettings
    weak_labels: WeakLabelSettings
    training: TrainingSettings
    survival: SurvivalSettings
    analyses: AnalysesSettings
    external: ExternalSettings

    @model_validator(mode="after")
    def _ring_run_is_trained(self) -> AnalysisConfig:
        runs = self.training.runs()
        if runs and self.analyses.ring_run not in runs:
            raise ValueError(f"analyses.ring_run {self.analyses.ring_run!r} is not one of the training runs {runs}")
        return self


# The notebooks whose parameters include a section's keys (same names): `glioma notebook` checks the
# values it is given against these, as a profile's are checked.
NOTEBOOK_SECTIONS: dict[str, type[Section]] = {
    "01_data_curation": CohortSettings, "02_weak_labelling": WeakLabelSettings, "04_survival": SurvivalSettings,
    "05_ring_enhancement_grade": RingSettings, "06_scna_umap": UmapSettings, "08_external_validation": ExternalSettings,
}  # fmt: skip
