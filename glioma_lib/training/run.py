"""One training run: its trials (sequential or stacked), then the AUCs, predictions and embeddings.

Two AUCs are reported side by side. The paper's: for each trial the maximum validation AUC over
evaluations, averaged over trials; it selects on the evaluation set and is shown for comparison
only. The honest one: each trial's checkpoint is chosen on an inner split of the training
patients (the selection set), and only that checkpoint's validation predictions count; the
trials' probabilities are averaged and the AUC gets a class-stratified bootstrap 95% CI.

The run's modules: ``config`` (its settings), ``data`` (its patients and splits), ``trial`` (one
trial's mechanics and resume), ``batched`` (trials stacked into one model), ``loop`` (device,
precision, one update).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from glioma_lib.core.atomic import write_json, write_table
from glioma_lib.core.layout import TrainingRun
from glioma_lib.core.metrics import (
    auc_or_nan,
    bootstrap_auc,
    ensemble_of_trials,
    prediction_scores,
    probability_spread,
)
from glioma_lib.core.naming import TASK_CLASSES
from glioma_lib.models.checkpoint import load_checkpoint_model, read_checkpoint
from glioma_lib.training.batched import run_trials_batched
from glioma_lib.training.config import TrainConfig
from glioma_lib.training.data import build_run_data
from glioma_lib.training.loop import place_model
from glioma_lib.training.trial import RunContext, best_evaluation, run_trial, score_patients


def summarise_aucs(files: TrainingRun, config: TrainConfig) -> tuple[dict, pd.DataFrame]:
    """The paper's AUC (mean over trials of the max over evaluations), the honest AUC with its CI,
    and per trial the optimism of the paper's protocol (its max minus that trial's honest AUC)."""
    paper, honest_tables, n_classes = [], [], len(TASK_CLASSES[config.task])
    for trial in range(config.trials):
        state = read_checkpoint(files.checkpoint(trial, "last"))
        history = pd.DataFrame(json.loads(state["history"]))
        paper.append(float(history["validation_auc"].max()))
        chosen = best_evaluation(history)
        validation = pd.DataFrame(json.loads(state["predictions"])[chosen]["validation"])
        honest_tables.append(validation.assign(trial=trial, evaluation=chosen))
    predictions = pd.concat(honest_tables, ignore_index=True)
    ensemble = ensemble_of_trials(predictions)
    auc, low, high = bootstrap_auc(ensemble["label"], prediction_scores(ensemble), config.bootstrap, config.seed)
    per_trial = [auc_or_nan(t["label"], prediction_scores(t)) for t in honest_tables]
    return {
        "paper_max_over_evaluations": {"mean": float(np.nanmean(paper)) if not np.isnan(paper).all() else np.nan,
                                       "per_trial": paper,
                                       "note": "selects on the validation set; for comparison with the paper only"},
        "honest": {"auc": auc, "ci95": [low, high], "per_trial": per_trial,
                   "selected_evaluations": [int(t["evaluation"].iloc[0]) for t in honest_tables],
                   "probability_sd": probability_spread(ensemble),
                   "n_validation": int(len(ensemble)), "n_positive": int((ensemble["label"] > 0).sum()),
                   "class_counts": np.bincount(ensemble["label"], minlength=n_classes).tolist()},
        "optimism_per_trial": [p - h for p, h in zip(paper, per_trial, strict=True)],
    }, predictions  # fmt: skip


def write_embeddings(run: RunContext, manifest: pd.DataFrame) -> pd.DataFrame:
    """Embeddings of every MR patient from each trial's selected checkpoint."""
    tables = []
    for trial in range(run.config.trials):
        model = load_checkpoint_model(run.files.checkpoint(trial, "best"))  # from the checkpoint's own metadata
        table = score_patients(place_model(model, run.device, run.mixed), run.data.everyone, run.device, run.mixed)
        tables.append(table.assign(trial=trial))
    embeddings = pd.concat(tables, ignore_index=True)
    embeddings["split"] = embeddings["patient_id"].map(manifest.set_index("patient_id")["split"])
    write_table(embeddings, run.files.embeddings)
    return embeddings


def trains_batched(config: TrainConfig) -> bool:
    """Whether a run's trials train stacked (``batch_trials``): not the mean teacher's, whose
    averaged model the stacked trials do not carry."""
    return config.batch_trials and config.model != "mean_teacher"


def train_run(manifest: pd.DataFrame, index: pd.DataFrame, config: TrainConfig, out_dir: str | Path, *,
              scna: pd.DataFrame | None = None, teacher: Path | None = None, show_progress: bool = True,
              restart: bool = False) -> dict:
    """All trials of one run, then metrics.parquet, auc.json, predictions and embeddings.

    Args:
        manifest: the cohort manifest (splits and labels).
        index: the cache index of the run's input format (one entry per MR patient).
        config: the run's settings.
        out_dir: the run's folder (its files: :class:`TrainingRun`).
        scna: SCNA principal components per patient, for ``use_scna`` runs.
        teacher: a segmentation checkpoint whose weights initialise every trial.
        show_progress: progress bars and one line per evaluation.
        restart: discard checkpoints made with other settings instead of stopping on them.
    """
    files = TrainingRun(out_dir)
    files.folder.mkdir(parents=True, exist_ok=True)
    run = RunContext(config, build_run_data(manifest, index, config, scna), files, teacher, show_progress, restart)
    trials = list(range(config.trials))
    if config.batch_trials and not trains_batched(config):
        print("batch_trials: the mean teacher's trials train one after another (stacked trials do not carry "
              "its averaged model)", flush=True)  # fmt: skip
    histories = run_trials_batched(run, trials) if trains_batched(config) else [run_trial(run, t) for t in trials]
    write_json(config.model_dump(), files.config)  # only once the checkpoints agree with it
    write_table(run.data.split.patients(), files.patients)
    write_table(pd.concat(histories, ignore_index=True), files.metrics)
    summary, predictions = summarise_aucs(files, config)
    write_table(predictions, files.validation_predictions)
    write_embeddings(run, manifest)
    batch = config.volumes_per_step
    summary.update({"n_train": len(run.data.train), "n_train_labelled": run.data.n_train_labelled,
                    "n_selection": len(run.data.selection), "updates": config.updates,
                    "passes_over_training_data": config.updates * batch / max(len(run.data.train), 1)})
    write_json(summary, files.auc)
    return summary
