"""The training step: one (task, format, model, SCNA, labelled limit) run in the run folder."""

from __future__ import annotations

from dataclasses import replace

from glioma_lib.cohort.manifest import read_manifest
from glioma_lib.core.atomic import write_json, write_table
from glioma_lib.core.layout import RunLayout, TrainingRun
from glioma_lib.inputs.preprocess import PreprocessSpec
from glioma_lib.inputs.step import cache_format, scna_embedding
from glioma_lib.training.run import TrainConfig, train_run


def subtype_training(layout: RunLayout, config: TrainConfig, spec: PreprocessSpec, pca_dim: int = 50,
                     progress: bool = True, restart: bool = False) -> TrainingRun:
    """Train one (task, format, model, SCNA, labelled limit) run; returns its files.

    ``restart`` discards checkpoints made with other settings instead of stopping on them.
    """
    run = layout.train(config.task, config.input_format, config.model, config.use_scna, config.labelled_limit)
    manifest = read_manifest(layout.manifest)
    index = cache_format(layout, config.input_format, spec, progress)
    scna = scna_embedding(layout, pca_dim) if config.use_scna else None
    teacher = layout.teacher_checkpoint
    if config.init_from_teacher and config.teacher_checkpoint is None and teacher.exists():
        config = replace(config, teacher_checkpoint=str(teacher))
    run.folder.mkdir(parents=True, exist_ok=True)
    write_table(index, run.cache_index)  # crops and fallbacks, per patient
    write_json(spec.key_fields(), run.preprocessing)  # what inference on a new patient repeats
    train_run(manifest, index, config, run.folder, scna, progress, restart)
    return run
