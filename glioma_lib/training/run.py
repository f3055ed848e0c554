"""Training the subtype models: update-matched trials, honest model selection, resumable runs.

Training is budgeted in optimiser updates. The MTL model also iterates over unlabelled scans, so
an epoch budget would give it several times the CNN's steps; with ``updates`` both models take
the same number of steps, and ``evaluations`` checkpoints, evenly spaced, are scored on the
selection and validation splits (the paper's per-epoch metric at a coarser grain).

Two AUCs are reported side by side. The paper's: for each trial the maximum validation AUC over
evaluations, averaged over trials; it selects on the evaluation set and is shown for comparison
only. The honest one: each trial's checkpoint is chosen on an inner split of the training
patients (the selection set), and only that checkpoint's validation predictions count; the
trials' probabilities are averaged and the AUC gets a class-stratified bootstrap 95% CI.

Every evaluation's checkpoint is written atomically with a fingerprint of everything the run
depends on (its settings and the identity of its data). Resuming with another configuration
stops with the differing keys named, or starts afresh when asked to; resuming with the same one
ends, on CPU, with the same metrics as an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from glioma_lib.core.atomic import as_json, write_json, write_table
from glioma_lib.core.layout import TrainingRun
from glioma_lib.core.metrics import auc_or_nan, bootstrap_auc
from glioma_lib.core.naming import TASK_CLASSES
from glioma_lib.inputs.augment import training_augmentation
from glioma_lib.inputs.dataset import MISSING_LABEL, MultiTaskDataset, make_loader, task_labels, update_batches
from glioma_lib.inputs.formats import IGNORE, InputFormat, get_format
from glioma_lib.models.checkpoint import CorruptCheckpoint, load_model, read_checkpoint, save_checkpoint
from glioma_lib.models.espnet import DEFAULT_NORM
from glioma_lib.models.heads import ModelOutput, SubtypeModel, load_segmentation_weights
from glioma_lib.models.losses import LossParts, balanced_class_weights, enet_class_weights, multitask_loss
from glioma_lib.training.loop import (
    augments_on_device,
    autocast,
    choose_device,
    model_device,
    optimiser_step,
    place_model,
    seed_stretch,
    to_device,
    uses_mixed_precision,
)

INFERENCE_BATCH = 16  # volumes per forward pass when scoring (no gradients, no decoder)
# Settings that do not change what a trial computes: they stay out of its fingerprint.
NOT_FINGERPRINTED = ("trials", "bootstrap", "device", "batch_trials")


@dataclass
class TrainConfig:
    """Everything one training run depends on (saved beside its outputs as ``config.json``)."""

    task: str = "idh"
    input_format: str = "t1ce"
    model: str = "mtl"
    use_scna: bool = False
    updates: int = 1400  # optimiser steps per trial, the same for CNN and MTL
    evaluations: int = 50  # checkpoints scored per trial, evenly spaced over the updates
    evaluate_from: float = 0.0  # fraction of the updates before the first candidate checkpoint (a warm-up)
    trials: int = 10
    seed: int = 0
    batch_size: int = 4  # labelled patients per update (with unlabelled_per_batch > 0), else patients per update
    unlabelled_per_batch: int = 0  # MTL only: this many unlabelled scans join each batch of labelled ones
    lr: float = 5e-4
    head_lr_factor: float = 1.0  # the classification branch (SCNA MLP, hidden layer, classifier) learns at lr x this
    norm: str = DEFAULT_NORM  # "group" (default) or "batch" (the paper's)
    pooled_levels: int = 1  # encoder levels pooled into the classification branch (1: the deepest, the paper's)
    labelled_limit: int | None = None  # keep only this many labelled training patients (label efficiency)
    selection_fraction: float = 0.2  # inner split of labelled training patients for model selection
    bootstrap: int = 1000
    device: str = "auto"
    mixed_precision: bool = True  # bf16 autocast and channels-last 3D, on CUDA only
    batch_trials: bool = False  # train the trials as one stacked model (training.batched): a GPU's speed-up
    augment: bool = True
    init_from_teacher: bool = False  # start the encoder and decoder from the weak-label teacher's weights
    teacher_checkpoint: str | None = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.updates < 1 or not 1 <= self.evaluations <= self.updates or not 0 <= self.evaluate_from < 1:
            raise ValueError(f"need 1 <= evaluations <= updates and 0 <= evaluate_from < 1; got evaluations="
                             f"{self.evaluations}, updates={self.updates}, evaluate_from={self.evaluate_from}")

    @property
    def unlabelled_in_batch(self) -> int:
        """Unlabelled scans added to each batch: only the MTL model has a use for them."""
        return self.unlabelled_per_batch if self.model == "mtl" else 0

    def evaluation_points(self) -> list[int]:
        """The update counts after which the model is scored: evenly spaced after the warm-up
        (``evaluate_from`` of the budget), the last at ``updates``.

        Example:
            >>> TrainConfig(updates=400, evaluations=5, evaluate_from=0.5).evaluation_points()
            [240, 280, 320, 360, 400]
        """
        first = self.updates * self.evaluate_from
        step = (self.updates - first) / self.evaluations
        return [int(round(first + step * (k + 1))) for k in range(self.evaluations)]


class StaleCheckpoint(RuntimeError):
    """A checkpoint made under another configuration than the one asked for now."""


def selection_split(labels: pd.Series, train_patients: list[str], fraction: float, seed: int) -> list[str]:
    """Labelled training patients held out for checkpoint selection, stratified by label."""
    rng = np.random.default_rng(seed)
    chosen = []
    for value in (0, 1):
        members = sorted(p for p in train_patients if labels.get(p, -1) == value)
        rng.shuffle(members)
        chosen += members[: max(1, int(round(fraction * len(members))))] if len(members) > 1 else []
    return sorted(chosen)


def labelled_subset(labels: pd.Series, patients: list[str], limit: int, seed: int) -> list[str]:
    """``limit`` of the labelled ``patients``, stratified by label; smaller subsets nest in larger ones."""
    rng = np.random.default_rng([seed, 7])
    by_class = {v: sorted(p for p in patients if labels.get(p, -1) == v) for v in (0, 1)}
    for members in by_class.values():
        rng.shuffle(members)
    total = sum(len(m) for m in by_class.values())
    if limit > total:
        raise ValueError(f"labelled_limit {limit} exceeds the {total} labelled training patients")
    # Each patient gets a rank within its class; taking the lowest ranks keeps the class ratio at every size.
    ranked = sorted((rank / len(members), p) for members in by_class.values() for rank, p in enumerate(members))
    return sorted(p for _, p in ranked[:limit])


@dataclass
class RunData:
    """The datasets of one run."""

    fmt: InputFormat
    train: MultiTaskDataset
    selection: MultiTaskDataset
    validation: MultiTaskDataset
    everyone: MultiTaskDataset  # every MR patient, for embeddings
    class_weights: torch.Tensor
    seg_weights: torch.Tensor
    weak_weights: torch.Tensor
    identity: str = ""  # a hash of which patients, cache entries and SCNA values each split holds


def _data_identity(parts: dict[str, pd.DataFrame], scna: pd.DataFrame | None) -> str:
    digest = hashlib.sha256()
    for name, part in parts.items():
        rows = part[["patient_id", "entry", "mask_kind", "label"]].astype(str).sort_values("patient_id")
        digest.update(name.encode() + rows.to_csv(index=False).encode())
    if scna is not None:
        digest.update(pd.util.hash_pandas_object(scna.sort_index(), index=True).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def build_run_data(manifest: pd.DataFrame, index: pd.DataFrame, config: TrainConfig,
                   scna: pd.DataFrame | None) -> RunData:
    """Split the cached patients into train / selection / validation datasets for one run."""
    fmt = get_format(config.input_format)
    split = manifest.set_index("patient_id")["split"]
    labels = task_labels(manifest, config.task)  # a patient outside train and validation is unlabelled here
    labels = labels.where(split.reindex(labels.index).isin(["train", "validation"]), MISSING_LABEL)
    index = index.assign(split=index["patient_id"].map(split), label=index["patient_id"].map(labels))
    train_ids = index.loc[index["split"] == "train", "patient_id"].tolist()
    selection_ids = set(selection_split(labels, train_ids, config.selection_fraction, config.seed))
    in_train = (index["split"].isin(["train", "unlabelled_mr"])) & ~index["patient_id"].isin(selection_ids)
    if config.labelled_limit is not None:  # the others leave the run; the unlabelled pool stays the same
        labelled = index.loc[in_train & (index["label"] >= 0), "patient_id"].tolist()
        kept = set(labelled_subset(labels, labelled, config.labelled_limit, config.seed))
        in_train &= (index["label"] < 0) | index["patient_id"].isin(kept)
    if config.model == "cnn":  # without a segmentation task, unlabelled scans teach nothing
        in_train &= index["label"] >= 0
    train_index = index[in_train]
    selection_index = index[index["patient_id"].isin(selection_ids)]
    validation_index = index[(index["split"] == "validation") & (index["label"] >= 0)]
    used_scna = scna if config.use_scna else None

    on_device = augments_on_device(choose_device(config.device))

    def dataset(part: pd.DataFrame, augment: bool) -> MultiTaskDataset:
        transform = training_augmentation() if augment else None
        return MultiTaskDataset(part, fmt, labels, scna=used_scna, transform=transform, seed=config.seed,
                                augment_on_device=on_device)  # fmt: skip

    plain = dataset(train_index, False)
    counts = np.zeros(fmt.n_seg_classes)
    weak_counts = np.zeros(2)
    for i, row in enumerate(plain.rows):
        if row["mask_kind"] == "none":
            continue
        target = plain[i]["target"].numpy()
        binc = np.bincount(target[target != IGNORE], minlength=fmt.n_seg_classes)
        if row["mask_kind"] == "gt":
            counts += binc[: fmt.n_seg_classes]
        else:
            weak_counts += np.bincount(target[target != IGNORE].clip(0, 1), minlength=2)
    identity = _data_identity({"train": train_index, "selection": selection_index, "validation": validation_index},
                              used_scna)  # fmt: skip
    return RunData(
        fmt=fmt, train=dataset(train_index, config.augment),
        selection=dataset(selection_index, False), validation=dataset(validation_index, False),
        everyone=dataset(index, False),
        class_weights=balanced_class_weights(train_index["label"].to_numpy()),
        seg_weights=enet_class_weights(counts if counts.sum() else np.ones(fmt.n_seg_classes)),
        weak_weights=enet_class_weights(weak_counts if weak_counts.sum() else np.ones(2)),
        identity=identity,
    )  # fmt: skip


def _forward(model: SubtypeModel, batch: dict, device: torch.device, mixed: bool,
             segment: bool = True) -> tuple[dict, ModelOutput]:
    """The batch on the device and the model's output on it (bf16 autocast on the CUDA mixed path)."""
    batch = to_device(batch, device, mixed)
    with autocast(device, mixed):
        return batch, model(batch["image"], batch["scna"] if model.scna is not None else None, segment=segment)


def training_step(model: SubtypeModel, batch: dict, optimizer, weights: tuple[torch.Tensor, ...],
                  device: torch.device, mixed: bool) -> LossParts:
    """One optimiser step on a loader batch (Eq. 1); ``weights`` = (class, segmentation, weak)."""
    batch, out = _forward(model, batch, device, mixed)
    class_weights, seg_weights, weak_weights = weights
    parts = multitask_loss(out.logits.float(), batch["label"], class_weights, out.seg_logits, batch["target"],
                           batch["target_kind"], seg_weights, weak_weights)  # fmt: skip
    optimiser_step(parts.total, optimizer)
    return parts


def train_updates(model: SubtypeModel, optimizer, data: RunData, config: TrainConfig, trial_seed: int,
                  start: int, stop: int, device: torch.device, mixed: bool, progress: bool = True,
                  desc: str = "") -> dict:
    """Updates ``start`` to ``stop - 1`` of a trial; returns their mean losses."""
    model.train()
    sums = {"loss": 0.0, "classification_loss": 0.0, "segmentation_loss": 0.0}
    weights = (data.class_weights, data.seg_weights, data.weak_weights)
    batches = update_batches(data.train, config.batch_size, trial_seed, start, stop,
                             unlabelled_per_batch=config.unlabelled_in_batch)
    for batch in tqdm(batches, total=stop - start, desc=desc, leave=False, disable=not progress):
        parts = training_step(model, batch, optimizer, weights, device, mixed)
        sums["loss"] += parts.total.item()
        sums["classification_loss"] += parts.classification.item()
        sums["segmentation_loss"] += parts.segmentation.item()
    return {k: v / max(stop - start, 1) for k, v in sums.items()}


@torch.no_grad()
def predict(model: SubtypeModel, dataset: MultiTaskDataset, device: torch.device, mixed: bool,
            batch_size: int = INFERENCE_BATCH) -> pd.DataFrame:
    """Per patient: label, P(class 1) (one softmax, on the logits) and the embedding; no decoder."""
    model.eval()
    rows = []
    if len(dataset) == 0:
        return pd.DataFrame(columns=["patient_id", "label", "probability", "embedding"])
    for batch in make_loader(dataset, batch_size, shuffle=False):
        batch, out = _forward(model, batch, device, mixed, segment=False)
        probability = torch.softmax(out.logits.float(), dim=1)[:, 1].cpu().numpy()
        embedding = out.embedding.float().cpu().numpy()
        for i, patient in enumerate(batch["patient_id"]):
            rows.append({"patient_id": patient, "label": int(batch["label"][i]),
                         "probability": float(probability[i]), "embedding": embedding[i].tolist()})  # fmt: skip
    return pd.DataFrame(rows)


def checkpoint_metadata(config: TrainConfig, fmt: InputFormat, scna_dim: int) -> dict:
    """What a selected checkpoint expects and gives (saved inside it, as MONAI bundles do): model
    kind, input format and channels in order, classes, SCNA width, normalisation, pooled levels."""
    return {"kind": config.model, "task": config.task, "input_format": fmt.name, "channels": list(fmt.channels),
            "classes": TASK_CLASSES[config.task], "scna_dim": scna_dim if config.use_scna else 0, "norm": config.norm,
            "pooled_levels": config.pooled_levels}  # fmt: skip


def make_model(config: TrainConfig, fmt: InputFormat, scna_dim: int) -> SubtypeModel:
    """A fresh model for the run, initialised from the teacher when one is given."""
    model = SubtypeModel(config.model, fmt.n_channels, fmt.n_seg_classes,
                         scna_dim=scna_dim if config.use_scna else 0, norm=config.norm,
                         pooled_levels=config.pooled_levels)  # fmt: skip
    if config.teacher_checkpoint:
        state = read_checkpoint(Path(config.teacher_checkpoint))
        load_segmentation_weights(model, state.get("model", state), fmt.channels)
    return model


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


def run_settings(config: TrainConfig, data: RunData) -> dict:
    """What a trial's results depend on: its settings (less those in NOT_FINGERPRINTED), the data's
    identity and the teacher's content."""
    settings = {k: v for k, v in asdict(config).items() if k not in NOT_FINGERPRINTED}
    settings["data"] = data.identity
    if config.teacher_checkpoint:
        settings["teacher_checkpoint"] = hashlib.sha256(Path(config.teacher_checkpoint).read_bytes()).hexdigest()[:16]
    return as_json(settings)


def _check_resumable(saved: dict, current: dict, path: Path) -> None:
    differing = sorted(k for k in saved.keys() | current.keys() if saved.get(k) != current.get(k))
    if differing:
        details = ", ".join(f"{k}: {saved.get(k)!r} -> {current.get(k)!r}" for k in differing)
        raise StaleCheckpoint(f"{path} was made with other settings ({details}); use another run folder, "
                              f"or restart=True (`-p restart true`) to discard it and train afresh")


def trial_seed(config: TrainConfig, trial: int) -> int:
    """The seed of a trial's initialisation, data order, augmentation and dropout."""
    return config.seed * 1000 + trial


def initial_model(config: TrainConfig, data: RunData, trial: int, device: torch.device, mixed: bool) -> SubtypeModel:
    """A trial's freshly initialised model (seeded by the trial), on ``device``."""
    torch.manual_seed(trial_seed(config, trial))
    return place_model(make_model(config, data.fmt, data.train.scna_dim), device, mixed)


@dataclass
class TrialProgress:
    """Where a trial stands: its history and predictions so far, and the saved model and optimiser
    states to resume from (None when it starts afresh)."""

    history: list[dict] = field(default_factory=list)
    predictions: list[dict] = field(default_factory=list)
    model_state: dict | None = None
    optimizer_state: dict | None = None


def resume_trial(out_dir: Path, trial: int, settings: dict, restart: bool) -> TrialProgress:
    """A trial's saved progress. A checkpoint made with other settings, or one that cannot be read,
    stops the run (:class:`StaleCheckpoint`, :class:`CorruptCheckpoint`, naming the file) unless
    ``restart``, which discards the trial's checkpoints first."""
    last = TrainingRun(out_dir).checkpoint(trial, "last")
    if not last.exists():
        return TrialProgress()
    try:
        state = read_checkpoint(last)
    except CorruptCheckpoint as exc:
        if not restart:
            raise
        print(f"{exc}; restart: the trial's checkpoints are discarded and it trains again", flush=True)
        shutil.rmtree(last.parent)
        return TrialProgress()
    saved = json.loads(state.get("settings", "{}"))
    if restart and saved != settings:
        shutil.rmtree(last.parent)
        return TrialProgress()
    _check_resumable(saved, settings, last)
    return TrialProgress(json.loads(state["history"]), json.loads(state["predictions"]), state["model"],
                         state["optimizer"])


def record_evaluation(model: SubtypeModel, optimizer_state: dict, progress_of: TrialProgress, data: RunData,
                      config: TrainConfig, trial: int, evaluation: int, losses: dict, settings: dict, out_dir: Path,
                      started: float, progress: bool) -> None:
    """Score a trial's model on the selection and validation splits, append the evaluation to its
    history, and save its checkpoints (``best`` when the selection AUC says so, ``last`` always)."""
    device = model_device(model)
    mixed = uses_mixed_precision(device, config.mixed_precision)
    updates = config.evaluation_points()[evaluation]
    selection = predict(model, data.selection, device, mixed)
    validation = predict(model, data.validation, device, mixed)
    row = {"trial": trial, "evaluation": evaluation, "updates": updates, **losses,
           "selection_auc": auc_or_nan(selection["label"], selection["probability"]),
           "validation_auc": auc_or_nan(validation["label"], validation["probability"]),
           "validation_probability_sd": float(validation["probability"].std(ddof=0)) if len(validation) else np.nan,
           "seconds": time.perf_counter() - started}  # fmt: skip
    history, predictions = progress_of.history, progress_of.predictions
    history.append(row)
    predictions.append({"evaluation": evaluation, "validation": validation.drop(columns="embedding").to_dict("list")})
    if progress:
        print(f"trial {trial} update {updates}/{config.updates}: loss {row['loss']:.3f} "
              f"selection AUC {row['selection_auc']:.3f} validation AUC {row['validation_auc']:.3f}", flush=True)
    files = TrainingRun(out_dir)
    if best_evaluation(pd.DataFrame(history)) == evaluation:
        save_checkpoint(files.checkpoint(trial, "best"), model=model.state_dict(), evaluation=evaluation,
                        metadata=checkpoint_metadata(config, data.fmt, data.train.scna_dim))
    save_checkpoint(files.checkpoint(trial, "last"), model=model.state_dict(), optimizer=optimizer_state,
                    evaluation=evaluation, settings=json.dumps(settings), history=json.dumps(history),
                    predictions=json.dumps(predictions))  # fmt: skip


def run_trial(data: RunData, config: TrainConfig, trial: int, out_dir: Path, progress: bool = True,
              restart: bool = False) -> pd.DataFrame:
    """Train (or resume) one trial; returns its per-evaluation metrics. Predictions go to the checkpoints.

    A checkpoint made with other settings stops the run (:class:`StaleCheckpoint`) unless
    ``restart``, which discards the trial's checkpoints first.
    """
    device = choose_device(config.device)
    mixed = uses_mixed_precision(device, config.mixed_precision)
    settings = run_settings(config, data)
    model = initial_model(config, data, trial, device, mixed)
    optimizer = make_optimizer(model, config)
    saved = resume_trial(out_dir, trial, settings, restart)
    if saved.model_state is not None:
        model.load_state_dict(saved.model_state)
        optimizer.load_state_dict(saved.optimizer_state)
    points = config.evaluation_points()
    for evaluation in range(len(saved.history), len(points)):
        started = time.perf_counter()
        start = points[evaluation - 1] if evaluation else 0
        seed_stretch(trial_seed(config, trial), evaluation)  # dropout stream of this stretch
        losses = train_updates(model, optimizer, data, config, trial_seed(config, trial), start, points[evaluation],
                               device, mixed, progress, desc=f"trial {trial} updates {start}-{points[evaluation]}")
        record_evaluation(model, optimizer.state_dict(), saved, data, config, trial, evaluation, losses, settings,
                          out_dir, started, progress)  # fmt: skip
    return pd.DataFrame(saved.history)


def best_evaluation(history: pd.DataFrame) -> int:
    """The evaluation with the highest selection AUC (the last when it is undefined); ties go to the later."""
    auc = history["selection_auc"]
    if auc.isna().all():
        return int(history["evaluation"].iloc[-1])
    return int(history.loc[auc == auc.max(), "evaluation"].iloc[-1])


def summarise_aucs(out_dir: Path, config: TrainConfig) -> tuple[dict, pd.DataFrame]:
    """The paper's AUC (mean over trials of the max over evaluations), the honest AUC with its CI,
    and per trial the optimism of the paper's protocol (its max minus that trial's honest AUC)."""
    paper, honest_tables = [], []
    for trial in range(config.trials):
        state = read_checkpoint(TrainingRun(out_dir).checkpoint(trial, "last"))
        history = pd.DataFrame(json.loads(state["history"]))
        paper.append(float(history["validation_auc"].max()))
        chosen = best_evaluation(history)
        validation = pd.DataFrame(json.loads(state["predictions"])[chosen]["validation"])
        honest_tables.append(validation.assign(trial=trial, evaluation=chosen))
    predictions = pd.concat(honest_tables, ignore_index=True)
    ensemble = predictions.groupby("patient_id").agg(label=("label", "first"), probability=("probability", "mean"))
    auc, low, high = bootstrap_auc(ensemble["label"], ensemble["probability"], config.bootstrap, config.seed)
    per_trial = [auc_or_nan(t["label"], t["probability"]) for t in honest_tables]
    return {
        "paper_max_over_evaluations": {"mean": float(np.nanmean(paper)) if not np.isnan(paper).all() else np.nan,
                                       "per_trial": paper,
                                       "note": "selects on the validation set; for comparison with the paper only"},
        "honest": {"auc": auc, "ci95": [low, high], "per_trial": per_trial,
                   "selected_evaluations": [int(t["evaluation"].iloc[0]) for t in honest_tables],
                   "probability_sd": float(ensemble["probability"].std(ddof=0)),
                   "n_validation": int(len(ensemble)), "n_positive": int(ensemble["label"].sum())},
        "optimism_per_trial": [p - h for p, h in zip(paper, per_trial, strict=True)],
    }, predictions  # fmt: skip


def write_embeddings(data: RunData, config: TrainConfig, out_dir: Path, manifest: pd.DataFrame) -> pd.DataFrame:
    """Embeddings of every MR patient from each trial's selected checkpoint."""
    device = choose_device(config.device)
    mixed = uses_mixed_precision(device, config.mixed_precision)
    tables = []
    for trial in range(config.trials):
        model = load_model(TrainingRun(out_dir).checkpoint(trial, "best"))  # from the checkpoint's own metadata
        table = predict(place_model(model, device, mixed), data.everyone, device, mixed)
        tables.append(table.assign(trial=trial))
    embeddings = pd.concat(tables, ignore_index=True)
    embeddings["split"] = embeddings["patient_id"].map(manifest.set_index("patient_id")["split"])
    write_table(embeddings, TrainingRun(out_dir).embeddings)
    return embeddings


def train_run(manifest: pd.DataFrame, index: pd.DataFrame, config: TrainConfig, out_dir: str | Path,
              scna: pd.DataFrame | None = None, progress: bool = True, restart: bool = False) -> dict:
    """All trials of one run, then metrics.parquet, auc.json, predictions and embeddings."""
    out_dir = Path(out_dir)
    files = TrainingRun(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = build_run_data(manifest, index, config, scna)
    if config.batch_trials:
        from glioma_lib.training.batched import run_trials_batched  # it builds on this module

        histories = run_trials_batched(data, config, list(range(config.trials)), out_dir, progress, restart)
    else:
        histories = [run_trial(data, config, trial, out_dir, progress, restart) for trial in range(config.trials)]
    write_json(asdict(config), files.config)  # only once the checkpoints agree with it
    write_table(pd.concat(histories, ignore_index=True), files.metrics)
    summary, predictions = summarise_aucs(out_dir, config)
    write_table(predictions, files.validation_predictions)
    write_embeddings(data, config, out_dir, manifest)
    labelled_train = sum(1 for row in data.train.rows if data.train.labels.get(row["patient_id"], -1) >= 0)
    batch = config.batch_size + config.unlabelled_in_batch
    summary.update({"n_train": len(data.train), "n_train_labelled": labelled_train,
                    "n_selection": len(data.selection), "updates": config.updates,
                    "passes_over_training_data": config.updates * batch / max(len(data.train), 1)})
    write_json(summary, files.auc)
    return summary
