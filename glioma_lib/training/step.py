"""The training step: one (task, format, model, SCNA, labelled limit) run in the run folder; a
radiomics run fits its logistic regression where a network run trains."""

from __future__ import annotations

from glioma_lib.cohort.manifest import read_manifest
from glioma_lib.config.schema import RunSettings
from glioma_lib.core.atomic import write_json, write_table
from glioma_lib.core.layout import RunLayout, TrainingRun
from glioma_lib.inputs.derived import cache_format, scna_embedding
from glioma_lib.inputs.preprocess import PreprocessSpec
from glioma_lib.training.config import TrainConfig
from glioma_lib.training.radiomics import radiomics_run
from glioma_lib.training.run import train_run


def preprocess_spec(settings: RunSettings) -> PreprocessSpec:
    """The preprocessing of a run's input volumes (shape, margin, what an empty mask does)."""
    return PreprocessSpec(shape=tuple(settings.shape), margin=settings.margin,
                          empty_mask_policy=settings.empty_mask_policy)  # fmt: skip


def subtype_training(layout: RunLayout, settings: RunSettings, show_progress: bool = True,
                     restart: bool = False, into: TrainingRun | None = None) -> TrainingRun:
    """Train one run (``settings``: ``TrainingSettings.for_run(name)``); returns its files.

    ``restart`` discards checkpoints made with other settings instead of stopping on them; ``into``
    trains in another folder than the run's own (``glioma tune``'s variants of one run).
    """
    config = TrainConfig.of(settings)
    run = into or layout.run(config.name)
    spec = preprocess_spec(config)
    manifest = read_manifest(layout.manifest)
    index = cache_format(layout, config.input_format, spec, show_progress)
    scna = scna_embedding(layout, config.pca_dim) if config.use_scna else None
    teacher = layout.teacher_checkpoint if config.init_from_teacher and layout.teacher_checkpoint.exists() else None
    run.folder.mkdir(parents=True, exist_ok=True)
    write_table(index, run.cache_index)  # crops and fallbacks, per patient
    if config.model == "radiomics":  # no network: features in the same tumour masks, a logistic regression
        radiomics_run(layout, manifest, index, config, run, show_progress)
        return run
    write_json(spec.key_fields(), run.preprocessing)  # what inference on a new patient repeats
    train_run(manifest, index, config, run.folder, scna=scna, teacher=teacher, show_progress=show_progress,
              restart=restart)
    return run
