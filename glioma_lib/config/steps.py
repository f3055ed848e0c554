"""What each step of the book receives: its typed settings, built from a whole configuration.

Every notebook has the same parameters: ``run_dir`` and ``settings`` (the training notebook adds
``run`` and ``restart``). ``settings`` is the step's section of the configuration, as the model
of :data:`STEP_SETTINGS` types it; the workflow passes all of it (:func:`workflow_plan`), a user
running one notebook passes only what they change, and :func:`notebook_settings` completes it
from ``config/config.yaml``. So a setting has one default (the schema and ``config/config.yaml``),
the Snakefile spells no setting's name, and a notebook hands on what it receives.

Example:
    >>> notebook_settings("04_survival", {"penalizer": 0.5}).penalizer
    0.5
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import PositiveInt, ValidationError

from glioma_lib.config.load import base_config
from glioma_lib.config.schema import (
    AnalysisConfig,
    CohortSettings,
    ExternalSettings,
    RingSettings,
    RunSettings,
    Section,
    SurvivalSettings,
    UmapSettings,
    WeakLabelSettings,
)
from glioma_lib.core import paper_values
from glioma_lib.core.cost_model import TEACHER_BATCH, job_memory_mb, job_runtime_min
from glioma_lib.core.errors import InputDataError
from glioma_lib.core.layout import TRAINING_STEP, RealDataFolder, run_of_step, training_step
from glioma_lib.core.naming import parse_run_name


class SurvivalStep(SurvivalSettings):
    """The survival step: its section, the runs it scores and the SCNA components it reads."""

    runs: list[str]  # the IDH MTL runs (full-size) whose embeddings get Cox models
    pca_dim: PositiveInt  # the SCNA principal components of training.pca_dim
    tcga_clinical: str  # resolved: the section's, else the one under cohort.realdata


class RingStep(RingSettings):
    """The ring-enhancement chapter: its section and the run it explains (``analyses.ring_run``)."""

    run: str


class ResultsStep(Section):
    """The results chapter: every training run, and the SCNA baseline's inputs."""

    runs: list[str]
    pca_dim: PositiveInt
    bootstrap: PositiveInt


class ExternalStep(ExternalSettings):
    """External validation: its section, the TCGA reference of ``analyses.umap`` and the Cox
    settings of ``survival``."""

    tcga_arm_table: str | None
    tcga_clinical: str | None
    k: PositiveInt
    penalizer: float


STEP_SETTINGS: dict[str, type[Section]] = {
    "01_data_curation": CohortSettings, "02_weak_labelling": WeakLabelSettings, TRAINING_STEP: RunSettings,
    "04_survival": SurvivalStep, "05_ring_enhancement_grade": RingStep, "06_scna_umap": UmapSettings,
    "07_results": ResultsStep, "08_external_validation": ExternalStep,
}  # fmt: skip


def survival_runs(runs: list[str]) -> list[str]:
    """The runs the survival step scores: full-size IDH MTL runs (with or without SCNA)."""
    return [r for r in runs if (p := parse_run_name(r))["task"] == "idh" and p["model"] == "mtl"
            and p["labelled_limit"] is None]  # fmt: skip


def step_settings(config: AnalysisConfig, step: str) -> Section:
    """The typed settings of ``step`` (a notebook name, or a training run's step name) in ``config``."""
    run = run_of_step(step)
    if run is not None:
        return config.training.for_run(run)
    survival, umap = config.survival, config.analyses.umap
    built = {
        "01_data_curation": lambda: config.cohort,
        "02_weak_labelling": lambda: config.weak_labels,
        "04_survival": lambda: SurvivalStep(
            **{**survival.model_dump(), "tcga_clinical": survival.tcga_clinical
               or str(RealDataFolder(config.cohort.realdata).clinical)},
            runs=survival_runs(config.training.runs()), pca_dim=config.training.pca_dim),
        "05_ring_enhancement_grade": lambda: RingStep(**config.analyses.ring.model_dump(),
                                                      run=config.analyses.ring_run),
        "06_scna_umap": lambda: umap,
        "07_results": lambda: ResultsStep(runs=config.training.runs(), pca_dim=config.training.pca_dim,
                                          bootstrap=config.training.bootstrap),
        "08_external_validation": lambda: ExternalStep(
            **config.external.model_dump(), tcga_arm_table=umap.real_arm_table, tcga_clinical=umap.real_clinical,
            k=survival.k, penalizer=survival.penalizer),
    }  # fmt: skip
    if step not in built:
        raise KeyError(f"no step {step!r}; steps: {sorted(built)} and {TRAINING_STEP}-<run>")
    return built[step]()


def notebook_settings(notebook: str, settings: dict | None = None, run: str | None = None) -> Section:
    """A notebook's typed settings: ``settings`` (all of them, or only those changed) completed
    from ``config/config.yaml``. ``run``: the training notebook's run name.

    A wrong name or value stops with an :class:`InputDataError` naming the notebook and the key.
    """
    step = training_step(run) if notebook == TRAINING_STEP else notebook
    base = step_settings(AnalysisConfig.model_validate(base_config()), step)
    try:
        typed = type(base).model_validate({**base.model_dump(), **(settings or {})})
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors())
        raise InputDataError(f"notebook {notebook}: {problems}") from None
    if run is not None and typed.name != run:
        raise InputDataError(f"notebook {notebook}: settings describe run {typed.name!r}, not run {run!r}")
    return typed


@dataclass
class WorkflowPlan:
    """What the Snakefile needs from a configuration: the run folder, the runs, and each step's
    notebook parameters (written to ``<run>/parameters/<step>.json``, inputs of its rule)."""

    run_dir: str
    runs: list[str]  # every training run
    survival_runs: list[str]  # the runs the survival step reads
    ring_run: str | None  # the run the ring chapter explains; None without training runs
    cohort_workers: int  # processes the cohort step renders phantom subjects with
    parameters: dict[str, dict]
    memory_mb: dict[str, int]  # what the teacher's and each training's job declare (core.cost_model)
    runtime_min: dict[str, int]  # the same jobs' runtime on a cluster's GPU (core.cost_model)


def workflow_plan(config: dict) -> WorkflowPlan:
    """The plan of a validated configuration (``config.load.validated``)."""
    typed = AnalysisConfig.model_validate(config)
    runs = typed.training.runs()
    steps = [*(name for name in STEP_SETTINGS if name != TRAINING_STEP), *(training_step(r) for r in runs)]
    parameters = {}
    for step in steps:
        values = {"run_dir": typed.run_dir, "settings": step_settings(typed, step).model_dump(mode="json")}
        if run_of_step(step):
            # restart: a step re-runs only when its inputs changed, so checkpoints made with other settings
            # are discarded rather than stopping the workflow; those with the same settings still resume.
            values.update(run=run_of_step(step), restart=True)
        parameters[step] = values
    return WorkflowPlan(run_dir=typed.run_dir, runs=runs, survival_runs=survival_runs(runs),
                        ring_run=typed.analyses.ring_run if runs else None, cohort_workers=typed.cohort.workers,
                        parameters=parameters, memory_mb=declared_memory(typed),
                        runtime_min=declared_runtime(typed))  # fmt: skip


def declared_runtime(config: AnalysisConfig) -> dict[str, int]:
    """The runtime (minutes) the teacher's and each training's job declare on a cluster, from
    ``core.cost_model``: the updates of every trial, the volumes each scores (at most the MR
    subjects in validation and selection at each evaluation, and every MR subject for the
    embeddings), and the subjects it may cache. A phantom's size is its ``n_mr``; a real cohort is
    sized as the paper's."""
    subjects = config.cohort.n_mr if config.cohort.source == "phantom" else paper_values.MR_SUBJECTS
    teacher = config.weak_labels
    runtime = {"02_weak_labelling": job_runtime_min(
        "teacher", teacher.shape, trained=teacher.teacher_epochs * subjects * (1 - teacher.held_out_fraction),
        scored=2 * subjects, subjects=subjects)}  # weak masks, then Dice on planted or held-out masks
    validation = config.cohort.validation_fraction
    for run in config.training.runs():
        settings = config.training.for_run(run)
        evaluated = subjects * (validation + settings.selection_fraction * (1 - validation))
        runtime[training_step(run)] = job_runtime_min(
            settings.model, settings.shape, trained=settings.trials * settings.updates * settings.volumes_per_step,
            scored=settings.trials * (settings.evaluations * evaluated + subjects), subjects=subjects)
    return runtime


def declared_memory(config: AnalysisConfig) -> dict[str, int]:
    """The memory (MB) the teacher's and each training's job declare, from ``core.cost_model``: one
    trial's step at a time (on a CPU batched trials take turns; on a GPU the stack is in its memory)."""
    memory = {"02_weak_labelling": job_memory_mb("teacher", config.weak_labels.shape, TEACHER_BATCH)}
    for run in config.training.runs():
        settings = config.training.for_run(run)
        memory[training_step(run)] = job_memory_mb(settings.model, settings.shape, settings.volumes_per_step)
    return memory
