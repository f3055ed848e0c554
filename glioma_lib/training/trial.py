"""One trial of a run: its initialisation, optimiser, loss, evaluations, checkpoints and resume.

Sequential trials (:func:`run_trial`) and stacked ones (``training.batched``) share this code:
the same initial model, optimiser groups, loss accumulation and evaluation, into the same files.

Every evaluation's checkpoint is written atomically with a fingerprint of everything the run
depends on (its settings and the identity of its data). Resuming with another configuration
stops with the differing keys named, or starts afresh when asked to; resuming with the same one
ends, on CPU, with the same metrics as an uninterrupted run.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import torch
from tqdm import tqdm

from glioma_lib.core.layout import TrainingRun
from glioma_lib.core.metrics import auc_or_nan, class_probability_columns, prediction_scores, probability_spread
from glioma_lib.core.naming import TASK_CLASSES
from glioma_lib.inputs.dataset import MultiTaskDataset, make_loader, update_batches
from glioma_lib.inputs.formats import InputFormat
from glioma_lib.models.checkpoint import CorruptCheckpoint, read_checkpoint, save_checkpoint
from glioma_lib.models.heads import ModelOutput, SubtypeModel, load_segmentation_weights
from glioma_lib.models.losses import LossParts, multitask_loss
from glioma_lib.training.config import TrainConfig
from glioma_lib.training.data import LossWeights, RunData
from glioma_lib.training.loop import (
    autocast,
    batch_on_device,
    choose_device,
    optimiser_step,
    place_model,
    seed_stretch,
    uses_mixed_precision,
)
from glioma_lib.training.mean_teacher import (
    averaged_copy,
    consistency_loss,
    consistency_weight,
    decay_at,
    ema_update,
    ema_view,
)

INFERENCE_BATCH = 16  # volumes per forward pass when scoring (no gradients, no decoder)


class StaleCheckpoint(RuntimeError):
    """A checkpoint made under another configuration than the one asked for now."""


@dataclass
class RunContext:
    """What every trial of a run shares: settings, data, files, teacher, device, and the
    fingerprint its checkpoints carry."""

    config: TrainConfig
    data: RunData
    files: TrainingRun
    teacher: Path | None = None  # the weak-label teacher whose weights initialise the model
    show_progress: bool = True
    restart: bool = False  # discard checkpoints made with other settings instead of stopping on them
    device: torch.device = field(init=False)
    mixed: bool = field(init=False)
    fingerprint: dict = field(init=False)

    def __post_init__(self) -> None:
        self.device = choose_device(self.config.device)
        self.mixed = uses_mixed_precision(self.device, self.config.mixed_precision)
        self.fingerprint = self.config.fingerprint(self.data.identity, self.teacher)


def batch_loss(out: ModelOutput | tuple, batch: dict, weights: LossWeights) -> LossParts:
    """Eq. 1 for a model's outputs (or one stacked trial's ``(logits, seg_logits)``) on its batch."""
    logits, seg_logits = (out.logits, out.seg_logits) if isinstance(out, ModelOutput) else out
    return multitask_loss(logits.float(), batch["label"], weights.classification, seg_logits, batch["target"],
                          batch["target_kind"], weights.segmentation, weights.weak)  # fmt: skip


class LossMeans:
    """Running sums of a stretch's losses; :meth:`means` gives what the history records."""

    def __init__(self) -> None:
        self.sums = {"loss": 0.0, "classification_loss": 0.0, "segmentation_loss": 0.0, "consistency_loss": 0.0}

    def add(self, parts: LossParts) -> None:
        self.sums["loss"] += parts.total.item()
        self.sums["classification_loss"] += parts.classification.item()
        self.sums["segmentation_loss"] += parts.segmentation.item()
        if parts.consistency is not None:
            self.sums["consistency_loss"] += parts.consistency.item()

    def means(self, steps: int) -> dict:
        return {key: value / max(steps, 1) for key, value in self.sums.items()}


def _forward(model: SubtypeModel, batch: dict, device: torch.device, mixed: bool,
             segment: bool = True) -> tuple[dict, ModelOutput]:
    """The batch on the device and the model's output on it (bf16 autocast on the CUDA mixed path)."""
    batch = batch_on_device(batch, device, mixed)
    with autocast(device, mixed):
        return batch, model(batch["image"], batch["scna"] if model.scna is not None else None, segment=segment)


def training_step(model: SubtypeModel, batch: dict, optimizer, weights: LossWeights, device: torch.device,
                  mixed: bool) -> LossParts:
    """One optimiser step on a loader batch (Eq. 1)."""
    batch, out = _forward(model, batch, device, mixed)
    parts = batch_loss(out, batch, weights)
    optimiser_step(parts.total, optimizer)
    return parts


def mean_teacher_step(model: SubtypeModel, ema_model: SubtypeModel, batch: dict, optimizer, run: RunContext,
                      update: int) -> LossParts:  # fmt: skip
    """One optimiser step of the mean teacher's student (classification loss plus the ramped
    consistency with its averaged model, Tarvainen's teacher, on every scan of the batch), then
    the averaged model's update."""
    settings = run.config.mean_teacher
    batch, out = _forward(model, batch, run.device, run.mixed)
    with torch.no_grad(), autocast(run.device, run.mixed):
        target = ema_model(ema_view(batch["image"]), batch["scna"] if ema_model.scna is not None else None,
                           segment=False)  # fmt: skip
    parts = batch_loss(out, batch, run.data.weights)
    consistency = consistency_loss(out.logits, target.logits)
    total = parts.total + consistency_weight(update, run.config.updates, settings) * consistency
    optimiser_step(total, optimizer)
    ema_update(ema_model, model, decay_at(update, settings.ema_decay))
    return LossParts(total, parts.classification, parts.segmentation, consistency)


def train_updates(model: SubtypeModel, optimizer, run: RunContext, trial: int, start: int, stop: int,
                  ema_model: SubtypeModel | None = None) -> dict:  # fmt: skip
    """Updates ``start`` to ``stop - 1`` of a trial (of the mean teacher's student when its
    ``ema_model`` is given); returns their mean losses."""
    model.train()
    if ema_model is not None:
        ema_model.train()  # its own dropout: one of the two views' differences
    losses = LossMeans()
    batches = update_batches(run.data.train, run.config.batch_size, run.config.trial_seed(trial), start, stop,
                             unlabelled_per_batch=run.config.unlabelled_in_batch)  # fmt: skip
    progress = tqdm(batches, total=stop - start, desc=f"trial {trial} updates {start}-{stop}", leave=False,
                    disable=not run.show_progress)  # fmt: skip
    for update, batch in enumerate(progress, start):
        if ema_model is None:
            losses.add(training_step(model, batch, optimizer, run.data.weights, run.device, run.mixed))
        else:
            losses.add(mean_teacher_step(model, ema_model, batch, optimizer, run, update))
    return losses.means(stop - start)


@torch.no_grad()
def score_patients(model: SubtypeModel, dataset: MultiTaskDataset, device: torch.device, mixed: bool,
                   batch_size: int = INFERENCE_BATCH) -> pd.DataFrame:
    """Per patient: label, class probabilities (one softmax, on the logits; a binary task keeps
    P(class 1) as ``probability``, a multi-class one ``probability_<c>`` per class) and the
    embedding; no decoder."""
    model.eval()
    columns = class_probability_columns(model.classifier.out_features)
    rows = []
    if len(dataset) == 0:
        return pd.DataFrame(columns=["patient_id", "label", *columns, "embedding"])
    for batch in make_loader(dataset, batch_size, shuffle=False):
        batch, out = _forward(model, batch, device, mixed, segment=False)
        probabilities = torch.softmax(out.logits.float(), dim=1).cpu().numpy()
        if len(columns) == 1:
            probabilities = probabilities[:, 1:]  # binary: P(class 1)
        embedding = out.embedding.float().cpu().numpy()
        for i, patient in enumerate(batch["patient_id"]):
            rows.append({"patient_id": patient, "label": int(batch["label"][i]),
                         **dict(zip(columns, map(float, probabilities[i]), strict=True)),
                         "embedding": embedding[i].tolist()})  # fmt: skip
    return pd.DataFrame(rows)


def checkpoint_metadata(config: TrainConfig, fmt: InputFormat, scna_dim: int) -> dict:
    """What a selected checkpoint expects and gives (saved inside it, as MONAI bundles do): model
    kind, input format and channels in order, classes, SCNA width, normalisation, pooled levels."""
    return {"kind": config.model, "task": config.task, "input_format": fmt.name, "channels": list(fmt.channels),
            "classes": TASK_CLASSES[config.task], "scna_dim": scna_dim if config.use_scna else 0, "norm": config.norm,
            "pooled_levels": config.pooled_levels}  # fmt: skip


def parameter_groups(model: SubtypeModel) -> tuple[list[str], list[str]]:
    """Parameter names of the encoder and decoder, and of the classification branch, in the order
    the optimiser holds them (so its state means the same in a trial and in batched trials)."""
    names = {id(p): name for name, p in model.named_parameters()}
    head = [names[id(p)] for p in model.classification_branch().parameters()]
    body = [name for name in names.values() if name not in set(head)]
    return body, head


def adam(body: list[torch.Tensor], head: list[torch.Tensor], config: TrainConfig) -> torch.optim.Adam:
    """Adam with two groups: the encoder and decoder at ``lr``, the classification branch at
    ``lr * head_lr_factor`` (the branch starts from scratch on every run)."""
    return torch.optim.Adam([{"params": body, "lr": config.lr},
                             {"params": head, "lr": config.lr * config.head_lr_factor}])


def make_optimizer(model: SubtypeModel, config: TrainConfig) -> torch.optim.Adam:
    """The optimiser of one trial (:func:`adam` over :func:`parameter_groups`)."""
    body, head = parameter_groups(model)
    parameters = dict(model.named_parameters())
    return adam([parameters[n] for n in body], [parameters[n] for n in head], config)


def initial_model(run: RunContext, trial: int, mixed: bool) -> SubtypeModel:
    """A trial's freshly initialised model (seeded by the trial, from the teacher when the run has
    one), on the run's device."""
    config, fmt = run.config, run.data.fmt
    torch.manual_seed(config.trial_seed(trial))
    model = SubtypeModel(config.model, fmt.n_channels, fmt.n_seg_classes, n_classes=len(TASK_CLASSES[config.task]),
                         scna_dim=run.data.train.scna_dim if config.use_scna else 0, norm=config.norm,
                         pooled_levels=config.pooled_levels)  # fmt: skip
    if run.teacher is not None:
        state = read_checkpoint(run.teacher)
        load_segmentation_weights(model, state.get("model", state), fmt.channels)
    return place_model(model, run.device, mixed)


@dataclass
class TrialState:
    """Where a trial stands: its history and predictions so far, and the saved model and optimiser
    states to resume from (None when it starts afresh)."""

    history: list[dict] = field(default_factory=list)
    predictions: list[dict] = field(default_factory=list)
    model_state: dict | None = None
    optimizer_state: dict | None = None
    ema_state: dict | None = None  # the mean teacher's averaged model


def _check_resumable(saved: dict, current: dict, path: Path) -> None:
    differing = sorted(k for k in saved.keys() | current.keys() if saved.get(k) != current.get(k))
    if differing:
        details = ", ".join(f"{k}: {saved.get(k)!r} -> {current.get(k)!r}" for k in differing)
        raise StaleCheckpoint(f"{path} was made with other settings ({details}); use another run folder, "
                              f"or restart=True (`-p restart true`) to discard it and train afresh")


def resume_trial(run: RunContext, trial: int) -> TrialState:
    """A trial's saved state. A checkpoint made with other settings, or one that cannot be read,
    stops the run (:class:`StaleCheckpoint`, :class:`CorruptCheckpoint`, naming the file) unless
    the run restarts, which discards the trial's checkpoints first."""
    last = run.files.checkpoint(trial, "last")
    if not last.exists():
        return TrialState()
    try:
        state = read_checkpoint(last)
    except CorruptCheckpoint as exc:
        if not run.restart:
            raise
        print(f"{exc}; restart: the trial's checkpoints are discarded and it trains again", flush=True)
        shutil.rmtree(last.parent)
        return TrialState()
    saved = json.loads(state.get("settings", "{}"))
    if run.restart and saved != run.fingerprint:
        shutil.rmtree(last.parent)
        return TrialState()
    _check_resumable(saved, run.fingerprint, last)
    return TrialState(json.loads(state["history"]), json.loads(state["predictions"]), state["model"],
                      state["optimizer"], state.get("ema_model"))  # fmt: skip


def best_evaluation(history: pd.DataFrame) -> int:
    """The evaluation with the highest selection AUC (the last when it is undefined); ties go to the later."""
    auc = history["selection_auc"]
    if auc.isna().all():
        return int(history["evaluation"].iloc[-1])
    return int(history.loc[auc == auc.max(), "evaluation"].iloc[-1])


def record_evaluation(run: RunContext, trial: int, state: TrialState, model: SubtypeModel, optimizer_state: dict,
                      losses: dict, started: float, ema_model: SubtypeModel | None = None) -> None:  # fmt: skip
    """Score a trial's model (the mean teacher's averaged model when ``ema_model`` is given) on the
    selection and validation splits, append the evaluation to its state, and save its checkpoints
    (``best``, of the scored model, when the selection AUC says so; ``last`` always, with every
    state a resumed trial needs)."""
    config, evaluation = run.config, len(state.history)
    updates = config.evaluation_points()[evaluation]
    scored = model if ema_model is None else ema_model
    selection = score_patients(scored, run.data.selection, run.device, run.mixed)
    validation = score_patients(scored, run.data.validation, run.device, run.mixed)
    row = {"trial": trial, "evaluation": evaluation, "updates": updates, **losses,
           "selection_auc": auc_or_nan(selection["label"], prediction_scores(selection)),
           "validation_auc": auc_or_nan(validation["label"], prediction_scores(validation)),
           "validation_probability_sd": probability_spread(validation),
           "seconds": time.perf_counter() - started}  # fmt: skip
    state.history.append(row)
    state.predictions.append({"evaluation": evaluation,
                              "validation": validation.drop(columns="embedding").to_dict("list")})  # fmt: skip
    if run.show_progress:
        print(f"trial {trial} update {updates}/{config.updates}: loss {row['loss']:.3f} "
              f"selection AUC {row['selection_auc']:.3f} validation AUC {row['validation_auc']:.3f}", flush=True)
    if best_evaluation(pd.DataFrame(state.history)) == evaluation:
        save_checkpoint(run.files.checkpoint(trial, "best"), model=scored.state_dict(), evaluation=evaluation,
                        metadata=checkpoint_metadata(config, run.data.fmt, run.data.train.scna_dim))
    resume = {} if ema_model is None else {"ema_model": ema_model.state_dict()}
    save_checkpoint(run.files.checkpoint(trial, "last"), model=model.state_dict(), optimizer=optimizer_state,
                    evaluation=evaluation, settings=json.dumps(run.fingerprint), history=json.dumps(state.history),
                    predictions=json.dumps(state.predictions), **resume)  # fmt: skip


def run_trial(run: RunContext, trial: int) -> pd.DataFrame:
    """Train (or resume) one trial; returns its per-evaluation metrics. Predictions go to the checkpoints."""
    model = initial_model(run, trial, run.mixed)
    optimizer = make_optimizer(model, run.config)
    ema_model = averaged_copy(model) if run.config.model == "mean_teacher" else None
    state = resume_trial(run, trial)
    if state.model_state is not None:
        model.load_state_dict(state.model_state)
        optimizer.load_state_dict(state.optimizer_state)
        if ema_model is not None:
            ema_model.load_state_dict(state.ema_state)
    points = run.config.evaluation_points()
    for evaluation in range(len(state.history), len(points)):
        started = time.perf_counter()
        start = points[evaluation - 1] if evaluation else 0
        seed_stretch(run.config.trial_seed(trial), evaluation)  # dropout and ema_view noise of this stretch
        losses = train_updates(model, optimizer, run, trial, start, points[evaluation], ema_model)
        record_evaluation(run, trial, state, model, optimizer.state_dict(), losses, started, ema_model)
    return pd.DataFrame(state.history)
