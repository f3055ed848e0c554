"""Training the subtype models: trials, per-epoch metrics, honest model selection, resumable runs.

Two AUCs are reported side by side. The paper's: for each trial the maximum validation AUC over
epochs, averaged over trials; it selects on the evaluation set and is shown for comparison only.
The honest one: each trial's checkpoint is chosen on an inner split of the training patients
(the selection set), and only that checkpoint's validation predictions count; the trials'
probabilities are averaged and the AUC gets a bootstrap 95% CI.

Every epoch's checkpoint is written atomically. Each epoch's shuffling, augmentation and dropout
are seeded from (seed, trial, epoch), so a killed run resumed from its last checkpoint ends, on
CPU, with the same metrics as an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

from glioma_lib.atomic import atomic_path, write_json, write_table
from glioma_lib.inputs.augment import item_seed, training_augmentation
from glioma_lib.inputs.dataset import MultiTaskDataset, make_loader, task_labels
from glioma_lib.inputs.formats import IGNORE, InputFormat, get_format
from glioma_lib.losses import LossParts, balanced_class_weights, enet_class_weights, multitask_loss
from glioma_lib.metrics import auc_or_nan, bootstrap_auc
from glioma_lib.models.heads import ModelOutput, SubtypeModel, load_segmentation_weights


@dataclass
class TrainConfig:
    """Everything one training run depends on (saved beside its outputs)."""

    task: str = "idh"
    input_format: str = "t1ce"
    model: str = "mtl"
    use_scna: bool = False
    epochs: int = 50
    trials: int = 10
    seed: int = 0
    batch_size: int = 4
    lr: float = 5e-4
    selection_fraction: float = 0.2  # inner split of labelled training patients for model selection
    bootstrap: int = 1000
    device: str = "auto"
    mixed_precision: bool = True  # bf16 autocast and channels-last 3D, on CUDA only
    augment: bool = True
    teacher_checkpoint: str | None = None
    extra: dict = field(default_factory=dict)


def choose_device(name: str = "auto") -> torch.device:
    """CUDA when available (or asked for), else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def selection_split(labels: pd.Series, train_patients: list[str], fraction: float, seed: int) -> list[str]:
    """Labelled training patients held out for checkpoint selection, stratified by label."""
    rng = np.random.default_rng(seed)
    chosen = []
    for value in (0, 1):
        members = sorted(p for p in train_patients if labels.get(p, -1) == value)
        rng.shuffle(members)
        chosen += members[: max(1, int(round(fraction * len(members))))] if len(members) > 1 else []
    return sorted(chosen)


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


def build_run_data(manifest: pd.DataFrame, index: pd.DataFrame, config: TrainConfig,
                   scna: pd.DataFrame | None) -> RunData:
    """Split the cached patients into train / selection / validation datasets for one run."""
    fmt = get_format(config.input_format)
    labels = task_labels(manifest, config.task)
    split = manifest.set_index("patient_id")["split"]
    index = index.assign(split=index["patient_id"].map(split), label=index["patient_id"].map(labels))
    train_ids = index.loc[index["split"] == "train", "patient_id"].tolist()
    selection_ids = set(selection_split(labels, train_ids, config.selection_fraction, config.seed))
    in_train = (index["split"].isin(["train", "unlabelled_mr"])) & ~index["patient_id"].isin(selection_ids)
    if config.model == "cnn":  # without a segmentation task, unlabelled scans teach nothing
        in_train &= index["label"] >= 0
    train_index = index[in_train]

    def dataset(part: pd.DataFrame, augment: bool) -> MultiTaskDataset:
        return MultiTaskDataset(part, fmt, labels, scna=scna if config.use_scna else None,
                                transform=training_augmentation() if augment else None, seed=config.seed)

    train = dataset(train_index, config.augment)
    counts = np.zeros(fmt.n_seg_classes)
    weak_counts = np.zeros(2)
    plain = dataset(train_index, False)
    for i, row in enumerate(plain.rows):
        if row["mask_kind"] == "none":
            continue
        target = plain[i]["target"].numpy()
        binc = np.bincount(target[target != IGNORE], minlength=fmt.n_seg_classes)
        if row["mask_kind"] == "gt":
            counts += binc[: fmt.n_seg_classes]
        else:
            weak_counts += np.bincount(target[target != IGNORE].clip(0, 1), minlength=2)
    if counts.sum() == 0:
        counts = np.ones(fmt.n_seg_classes)
    if weak_counts.sum() == 0:
        weak_counts = np.ones(2)
    return RunData(
        fmt=fmt, train=train,
        selection=dataset(index[index["patient_id"].isin(selection_ids)], False),
        validation=dataset(index[(index["split"] == "validation") & (index["label"] >= 0)], False),
        everyone=dataset(index, False),
        class_weights=balanced_class_weights(train_index["label"].to_numpy()),
        seg_weights=enet_class_weights(counts), weak_weights=enet_class_weights(weak_counts),
    )  # fmt: skip


def _autocast(device: torch.device, enabled: bool):
    if device.type == "cuda" and enabled:
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _to_device(batch: dict, device: torch.device, channels_last: bool) -> dict:
    out = {}
    for key, value in batch.items():
        if isinstance(value, torch.Tensor):
            value = value.to(device, non_blocking=True)
            if key == "image" and channels_last:
                value = value.contiguous(memory_format=torch.channels_last_3d)
        out[key] = value
    return out


def _forward(model: SubtypeModel, batch: dict, device: torch.device, mixed: bool) -> tuple[dict, ModelOutput]:
    """The batch on the device and the model's output on it (bf16 autocast on the CUDA mixed path)."""
    batch = _to_device(batch, device, device.type == "cuda" and mixed)
    with _autocast(device, mixed):
        return batch, model(batch["image"], batch["scna"] if model.scna is not None else None)


def place_model(model: SubtypeModel, device: torch.device, mixed: bool) -> SubtypeModel:
    """The model on ``device``, channels-last 3D when the CUDA mixed-precision path is on."""
    model = model.to(device)
    return model.to(memory_format=torch.channels_last_3d) if device.type == "cuda" and mixed else model


def training_step(model: SubtypeModel, batch: dict, optimizer, weights: tuple[torch.Tensor, ...],
                  device: torch.device, mixed: bool) -> LossParts:
    """One optimiser step on a loader batch (Eq. 1); ``weights`` = (class, segmentation, weak)."""
    batch, out = _forward(model, batch, device, mixed)
    class_weights, seg_weights, weak_weights = weights
    parts = multitask_loss(out.logits.float(), batch["label"], class_weights, out.seg_logits, batch["target"],
                           batch["target_kind"], seg_weights, weak_weights)  # fmt: skip
    optimizer.zero_grad(set_to_none=True)
    parts.total.backward()
    optimizer.step()
    return parts


def train_one_epoch(model: SubtypeModel, loader, optimizer, data: RunData, device: torch.device,
                    mixed: bool, progress: bool = True, desc: str = "") -> dict:
    """One pass over the training loader; returns mean losses."""
    model.train()
    sums = {"loss": 0.0, "classification_loss": 0.0, "segmentation_loss": 0.0}
    steps = 0
    weights = (data.class_weights, data.seg_weights, data.weak_weights)
    for batch in tqdm(loader, desc=desc, leave=False, disable=not progress):
        parts = training_step(model, batch, optimizer, weights, device, mixed)
        sums["loss"] += parts.total.item()
        sums["classification_loss"] += parts.classification.item()
        sums["segmentation_loss"] += parts.segmentation.item()
        steps += 1
    return {k: v / max(steps, 1) for k, v in sums.items()}


@torch.no_grad()
def predict(model: SubtypeModel, dataset: MultiTaskDataset, device: torch.device, mixed: bool,
            batch_size: int = 4) -> pd.DataFrame:
    """Per patient: label, P(class 1) (one softmax, on the logits) and the embedding."""
    model.eval()
    rows = []
    if len(dataset) == 0:
        return pd.DataFrame(columns=["patient_id", "label", "probability", "embedding"])
    for batch in make_loader(dataset, batch_size, shuffle=False):
        batch, out = _forward(model, batch, device, mixed)
        probability = torch.softmax(out.logits.float(), dim=1)[:, 1].cpu().numpy()
        embedding = out.embedding.float().cpu().numpy()
        for i, patient in enumerate(batch["patient_id"]):
            rows.append({"patient_id": patient, "label": int(batch["label"][i]),
                         "probability": float(probability[i]), "embedding": embedding[i].tolist()})  # fmt: skip
    return pd.DataFrame(rows)


def _checkpoint(path: Path, **state) -> None:
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def _load_checkpoint(path: Path) -> dict:
    return torch.load(path, map_location="cpu", weights_only=True)


def make_model(config: TrainConfig, fmt: InputFormat, scna_dim: int) -> SubtypeModel:
    """A fresh model for the run, initialised from the teacher when one is given."""
    model = SubtypeModel(config.model, fmt.n_channels, fmt.n_seg_classes, scna_dim=scna_dim if config.use_scna else 0)
    if config.teacher_checkpoint:
        state = _load_checkpoint(Path(config.teacher_checkpoint))
        load_segmentation_weights(model, state.get("model", state), fmt.channels)
    return model


def run_trial(data: RunData, config: TrainConfig, trial: int, out_dir: Path, progress: bool = True) -> pd.DataFrame:
    """Train (or resume) one trial; returns its per-epoch metrics. Predictions go to the checkpoints."""
    device = choose_device(config.device)
    mixed = config.mixed_precision and device.type == "cuda"
    trial_seed = config.seed * 1000 + trial
    ckpt_dir = out_dir / "checkpoints" / f"trial{trial}"
    last = ckpt_dir / "last.pt"
    torch.manual_seed(trial_seed)
    model = place_model(make_model(config, data.fmt, data.train.scna_dim), device, mixed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    history: list[dict] = []
    predictions: list[dict] = []
    start_epoch = 0
    if last.exists():
        state = _load_checkpoint(last)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        history, predictions = json.loads(state["history"]), json.loads(state["predictions"])
        start_epoch = int(state["epoch"]) + 1
    for epoch in range(start_epoch, config.epochs):
        started = time.perf_counter()
        epoch_seed = item_seed(trial_seed, epoch, 1 << 30)  # an index no item has: the epoch-level stream
        torch.manual_seed(epoch_seed)
        data.train.seed = trial_seed
        data.train.set_epoch(epoch)
        loader = make_loader(data.train, config.batch_size, shuffle=True, seed=epoch_seed, drop_last=True)
        losses = train_one_epoch(model, loader, optimizer, data, device, mixed, progress,
                                 desc=f"trial {trial} epoch {epoch + 1}/{config.epochs}")  # fmt: skip
        selection = predict(model, data.selection, device, mixed)
        validation = predict(model, data.validation, device, mixed)
        row = {"trial": trial, "epoch": epoch, **losses,
               "selection_auc": auc_or_nan(selection["label"], selection["probability"]),
               "validation_auc": auc_or_nan(validation["label"], validation["probability"]),
               "seconds": time.perf_counter() - started}  # fmt: skip
        history.append(row)
        predictions.append({"epoch": epoch, "validation": validation.drop(columns="embedding").to_dict("list")})
        if progress:
            print(f"trial {trial} epoch {epoch + 1}/{config.epochs}: loss {row['loss']:.3f} "
                  f"selection AUC {row['selection_auc']:.3f} validation AUC {row['validation_auc']:.3f}", flush=True)
        best = _best_epoch(pd.DataFrame(history))
        if best == epoch:
            _checkpoint(ckpt_dir / "best.pt", model=model.state_dict(), epoch=epoch)
        _checkpoint(last, model=model.state_dict(), optimizer=optimizer.state_dict(), epoch=epoch,
                    history=json.dumps(history), predictions=json.dumps(predictions))  # fmt: skip
    return pd.DataFrame(history)


def _best_epoch(history: pd.DataFrame) -> int:
    """The epoch with the highest selection AUC (the last epoch when it is undefined); ties go to the later."""
    auc = history["selection_auc"]
    if auc.isna().all():
        return int(history["epoch"].iloc[-1])
    best = auc.max()
    return int(history.loc[auc == best, "epoch"].iloc[-1])


def summarise_aucs(out_dir: Path, config: TrainConfig) -> dict:
    """The paper's AUC (mean over trials of the max over epochs) and the honest AUC with its CI."""
    paper, honest_tables = [], []
    for trial in range(config.trials):
        state = _load_checkpoint(out_dir / "checkpoints" / f"trial{trial}" / "last.pt")
        history = pd.DataFrame(json.loads(state["history"]))
        paper.append(float(history["validation_auc"].max()))
        chosen = _best_epoch(history)
        validation = pd.DataFrame(json.loads(state["predictions"])[chosen]["validation"])
        honest_tables.append(validation.assign(trial=trial, epoch=chosen))
    predictions = pd.concat(honest_tables, ignore_index=True)
    ensemble = predictions.groupby("patient_id").agg(label=("label", "first"), probability=("probability", "mean"))
    auc, low, high = bootstrap_auc(ensemble["label"], ensemble["probability"], config.bootstrap, config.seed)
    per_trial = [auc_or_nan(t["label"], t["probability"]) for t in honest_tables]
    return {
        "paper_max_over_epochs": {"mean": float(np.nanmean(paper)), "per_trial": paper,
                                  "note": "selects on the validation set; for comparison with the paper only"},
        "honest": {"auc": auc, "ci95": [low, high], "per_trial": per_trial,
                   "selected_epochs": [int(t["epoch"].iloc[0]) for t in honest_tables],
                   "n_validation": int(len(ensemble)), "n_positive": int(ensemble["label"].sum())},
    }, predictions  # fmt: skip


def write_embeddings(data: RunData, config: TrainConfig, out_dir: Path, manifest: pd.DataFrame) -> pd.DataFrame:
    """Embeddings of every MR patient from each trial's selected checkpoint."""
    device = choose_device(config.device)
    mixed = config.mixed_precision and device.type == "cuda"
    tables = []
    for trial in range(config.trials):
        model = make_model(config, data.fmt, data.everyone.scna_dim)
        model.load_state_dict(_load_checkpoint(out_dir / "checkpoints" / f"trial{trial}" / "best.pt")["model"])
        table = predict(model.to(device), data.everyone, device, mixed)
        tables.append(table.assign(trial=trial))
    embeddings = pd.concat(tables, ignore_index=True)
    embeddings["split"] = embeddings["patient_id"].map(manifest.set_index("patient_id")["split"])
    write_table(embeddings, out_dir / "embeddings.parquet")
    return embeddings


def train_run(manifest: pd.DataFrame, index: pd.DataFrame, config: TrainConfig, out_dir: str | Path,
              scna: pd.DataFrame | None = None, progress: bool = True) -> dict:
    """All trials of one run, then metrics.parquet, auc.json, predictions and embeddings."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_json(asdict(config), out_dir / "config.json")
    data = build_run_data(manifest, index, config, scna)
    histories = [run_trial(data, config, trial, out_dir, progress) for trial in range(config.trials)]
    write_table(pd.concat(histories, ignore_index=True), out_dir / "metrics.parquet")
    summary, predictions = summarise_aucs(out_dir, config)
    write_table(predictions, out_dir / "validation_predictions.parquet")
    write_embeddings(data, config, out_dir, manifest)
    summary["n_train"] = len(data.train)
    summary["n_selection"] = len(data.selection)
    write_json(summary, out_dir / "auc.json")
    return summary

