"""The typed schema of an analysis configuration (``config/config.yaml`` plus a profile's overrides).

Every section refuses unknown keys, wrong types and impossible values, so a misspelled setting
stops the run instead of being ignored. Each setting's one default is its value in
``config/config.yaml``; ``config.steps`` gives each step its typed section.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, NonNegativeFloat, NonNegativeInt, PositiveInt, model_validator

from glioma_lib.core.naming import (
    INPUT_FORMATS,
    MODELS,
    SEMI_SUPERVISED,
    SUBTYPES,
    TASKS,
    parse_run_name,
    run_name,
)

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
    scna_formats: list[InputFormat]  # MTL+SCNA runs: scna_tasks x these formats
    scna_tasks: list[Task]
    mean_teacher_formats: list[InputFormat]  # the semi-supervised baseline, on every task in these formats
    who2021_formats: list[InputFormat]  # the three-class WHO 2021 task, with the grid's models, in these formats


class MeanTeacherSettings(Section):
    """The mean teacher (Tarvainen & Valpola 2017): the student is the CNN's network; its averaged
    model (their "teacher") is an exponential moving average of the student's weights, and the
    student is also trained to agree with the averaged model's class probabilities (mean squared
    difference) on every scan of a batch, unlabelled ones included."""

    ema_decay: float = Field(gt=0, lt=1)  # averaged weights: decay x averaged + (1 - decay) x student
    consistency_weight: NonNegativeFloat  # the consistency term's weight once ramped up
    consistency_rampup: float = Field(ge=0, lt=1)  # fraction of the updates over which the weight ramps up


class LabelEfficiency(Section):
    task: Task
    format: InputFormat
    labelled: list[PositiveInt]


class TrainingKnobs(Section):
    """What every training run of a configuration shares (a field added here reaches every run's
    :class:`RunSettings`, its notebook and the trainer without further wiring)."""

    updates: PositiveInt  # optimiser steps per trial, the same for CNN and MTL
    evaluations: PositiveInt  # checkpoints scored per trial, evenly spaced over the updates
    evaluate_from: float = Field(ge=0, lt=1)  # fraction of the updates before the first candidate checkpoint
    trials: PositiveInt
    seed: int
    batch_size: PositiveInt  # labelled patients per update (MTL with unlabelled_per_batch > 0), else patients
    unlabelled_per_batch: NonNegativeInt  # MTL only: unlabelled scans added to each batch
    lr: float = Field(gt=0)
    head_lr_factor: float = Field(gt=0)  # the classification branch learns at lr x this
    pooled_levels: int = Field(ge=1, le=4)  # encoder levels pooled into the classification branch
    norm: Literal["group", "batch"]
    selection_fraction: Fraction  # inner split of the labelled training patients that selects checkpoints
    augment: bool  # flips and noise on the training batches
    init_from_teacher: bool  # start the encoder and decoder from the weak-label teacher's weights
    margin: NonNegativeInt  # voxels added around the tumour box before a cropped format is resized
    empty_mask_policy: Literal["error", "centre"]  # a cropped format without a usable mask: stop, or crop the centre
    pca_dim: PositiveInt  # SCNA principal components: the MTL+SCNA input and the survival step's
    bootstrap: PositiveInt
    device: Device
    mixed_precision: bool  # bf16 autocast and channels-last 3D, on CUDA only
    batch_trials: bool  # a run's trials as one stacked model: the same numbers, faster on a GPU
    trial_group_memory_mb: PositiveInt | None  # cap on trials stacked at once; null: CUDA's memory less 20%, CPU none

    @model_validator(mode="after")
    def _evaluations_fit_the_updates(self) -> TrainingKnobs:
        if self.evaluations > self.updates:
            raise ValueError(f"evaluations ({self.evaluations}) must not exceed updates ({self.updates})")
        return self


class RunSettings(TrainingKnobs):
    """One training run's settings (notebook 03): which run, its volume shape, and the shared knobs."""

    task: Task
    input_format: InputFormat
    model: Model
    use_scna: bool
    labelled_limit: PositiveInt | None  # keep only this many labelled training patients (label efficiency)
    shape: Shape3  # the network's input: crop_shape, or whole_shape for all_whole
    mean_teacher: MeanTeacherSettings | None = None  # only a mean-teacher run has (and depends on) these

    @model_validator(mode="after")
    def _mean_teacher_settings_iff_mean_teacher(self) -> RunSettings:
        if (self.model == "mean_teacher") != (self.mean_teacher is not None):
            raise ValueError("mean_teacher settings are required for a mean_teacher run and only for one")
        return self

    @property
    def name(self) -> str:
        return run_name(self.task, self.input_format, self.model, self.use_scna, self.labelled_limit)

    @property
    def volumes_per_step(self) -> int:
        """Volumes one optimiser step processes: the labelled batch and its unlabelled scans."""
        return self.batch_size + self.unlabelled_in_batch

    @property
    def unlabelled_in_batch(self) -> int:
        """Unlabelled scans added to each batch: only MTL and the mean teacher have a use for them."""
        return self.unlabelled_per_batch if self.model in SEMI_SUPERVISED else 0


class TrainingSettings(TrainingKnobs):
    """The training runs (notebook 03, once per run): the grid and what every run shares."""

    grid: Grid
    label_efficiency: LabelEfficiency | None  # the grid's models at each labelled size
    mean_teacher: MeanTeacherSettings
    crop_shape: Shape3
    whole_shape: Shape3

    def runs(self) -> list[str]:
        """Every training run the configuration asks for: the grid, MTL+SCNA, the mean teacher, the
        WHO 2021 three-class task, label efficiency."""
        grid = [run_name(t, f, m, False) for t in self.grid.tasks for f in self.grid.formats for m in self.grid.models]
        scna = [run_name(t, f, "mtl", True) for t in self.grid.scna_tasks for f in self.grid.scna_formats]
        mean_teacher = [run_name(t, f, "mean_teacher", False) for t in self.grid.tasks
                        for f in self.grid.mean_teacher_formats]  # fmt: skip
        who2021 = [run_name("who2021", f, m, False) for f in self.grid.who2021_formats for m in self.grid.models]
        efficiency = self.label_efficiency
        limited = [] if efficiency is None else [run_name(efficiency.task, efficiency.format, m, False, n)
                                                 for n in efficiency.labelled for m in self.grid.models]  # fmt: skip
        return [*grid, *scna, *mean_teacher, *who2021, *limited]

    def for_run(self, name: str) -> RunSettings:
        """The settings of run ``name`` (``task-format-model[-scna][-nN]``): every shared knob, and
        the shape of its input format."""
        identity = parse_run_name(name)
        shape = self.whole_shape if identity["input_format"] == "all_whole" else self.crop_shape
        knobs = self.model_dump(include=set(TrainingKnobs.model_fields))
        mean_teacher = self.mean_teacher if identity["model"] == "mean_teacher" else None
        return RunSettings(**knobs, **identity, shape=shape, mean_teacher=mean_teacher)


class SurvivalSettings(Section):
    penalizer: NonNegativeFloat  # ridge penalty of every Cox model (MR embeddings, SCNA PCs, external transfer)
    k: PositiveInt  # SCNA principal components in the SCNA-only Cox model
    bootstrap: PositiveInt
    seed: int
    comparison_format: InputFormat  # the paired C-index comparisons' MR format, fixed in advance (the paper's T1ce)
    tcga_clinical: str | None  # the published TCGA survival table; null: the one under cohort.realdata


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
