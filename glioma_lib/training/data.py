"""A training run's patients: the train / selection / validation datasets, the labelled subsets of
label-efficiency runs, the loss weights, and an identity that says which data a checkpoint saw."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from glioma_lib.core.naming import SEMI_SUPERVISED, TASK_CLASSES
from glioma_lib.inputs.augment import training_augmentation
from glioma_lib.inputs.dataset import MISSING_LABEL, MultiTaskDataset, task_labels
from glioma_lib.inputs.formats import IGNORE, InputFormat, get_format
from glioma_lib.models.losses import balanced_class_weights, enet_class_weights
from glioma_lib.training.config import TrainConfig
from glioma_lib.training.loop import augments_on_device, choose_device


def selection_split(labels: pd.Series, train_patients: list[str], fraction: float, seed: int) -> list[str]:
    """Labelled training patients held out for checkpoint selection, stratified by label."""
    rng = np.random.default_rng(seed)
    chosen = []
    for value in sorted(labels[labels >= 0].unique()):
        members = sorted(p for p in train_patients if labels.get(p, -1) == value)
        rng.shuffle(members)
        chosen += members[: max(1, int(round(fraction * len(members))))] if len(members) > 1 else []
    return sorted(chosen)


def labelled_subset(labels: pd.Series, patients: list[str], limit: int, seed: int) -> list[str]:
    """``limit`` of the labelled ``patients``, stratified by label; smaller subsets nest in larger ones."""
    rng = np.random.default_rng([seed, 7])
    by_class = {v: sorted(p for p in patients if labels.get(p, -1) == v) for v in sorted(labels[labels >= 0].unique())}
    for members in by_class.values():
        rng.shuffle(members)
    total = sum(len(m) for m in by_class.values())
    if limit > total:
        raise ValueError(f"labelled_limit {limit} exceeds the {total} labelled training patients")
    # Each patient gets a rank within its class; taking the lowest ranks keeps the class ratio at every size.
    ranked = sorted((rank / len(members), p) for members in by_class.values() for rank, p in enumerate(members))
    return sorted(p for _, p in ranked[:limit])


@dataclass
class LossWeights:
    """Eq. 1's class weights: subtype classes, ground-truth segmentation classes, weak-mask classes."""

    classification: torch.Tensor
    segmentation: torch.Tensor
    weak: torch.Tensor


@dataclass
class RunSplit:
    """Which cached patients a run uses in each role, and their labels (-1: none); no volume read."""

    labels: pd.Series
    train: pd.DataFrame  # cache-index rows, as are the others
    selection: pd.DataFrame
    validation: pd.DataFrame
    everyone: pd.DataFrame  # every MR patient, for embeddings

    def patients(self) -> pd.DataFrame:
        """Each patient the run used, its role (train, selection, validation) and label (-1: none);
        what a baseline needs to be fitted on the same patients."""
        roles = {"train": self.train, "selection": self.selection, "validation": self.validation}
        return pd.concat([pd.DataFrame({"patient_id": part["patient_id"].to_numpy(), "role": role,
                                        "label": part["label"].fillna(MISSING_LABEL).to_numpy(int)})
                          for role, part in roles.items()], ignore_index=True)  # fmt: skip


@dataclass
class RunData:
    """The datasets of one run."""

    fmt: InputFormat
    split: RunSplit
    train: MultiTaskDataset
    selection: MultiTaskDataset
    validation: MultiTaskDataset
    everyone: MultiTaskDataset  # every MR patient, for embeddings
    weights: LossWeights
    identity: str = ""  # a hash of which patients, cache entries and SCNA values each split holds

    @property
    def n_train_labelled(self) -> int:
        return int((self.split.train["label"] >= 0).sum())


def data_identity(parts: dict[str, pd.DataFrame], scna: pd.DataFrame | None) -> str:
    """A hash of which patients, cache entries, mask kinds, labels and SCNA values each split holds."""
    digest = hashlib.sha256()
    for name, part in parts.items():
        rows = part[["patient_id", "entry", "mask_kind", "label"]].astype(str).sort_values("patient_id")
        digest.update(name.encode() + rows.to_csv(index=False).encode())
    if scna is not None:
        digest.update(pd.util.hash_pandas_object(scna.sort_index(), index=True).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def loss_weights(plain: MultiTaskDataset, labels: np.ndarray, n_subtypes: int) -> LossWeights:
    """Balanced weights of the ``n_subtypes`` subtype classes, and ENet weights from the voxel
    counts of the training masks (ground truth and weak masks counted apart)."""
    n_seg = plain.fmt.n_seg_classes
    counts = np.zeros(n_seg)
    weak_counts = np.zeros(2)
    for i, row in enumerate(plain.rows):
        if row["mask_kind"] == "none":
            continue
        target = plain[i]["target"].numpy()
        binc = np.bincount(target[target != IGNORE], minlength=n_seg)
        if row["mask_kind"] == "gt":
            counts += binc[:n_seg]
        else:
            weak_counts += np.bincount(target[target != IGNORE].clip(0, 1), minlength=2)
    return LossWeights(balanced_class_weights(labels, n_subtypes),
                       enet_class_weights(counts if counts.sum() else np.ones(n_seg)),
                       enet_class_weights(weak_counts if weak_counts.sum() else np.ones(2)))  # fmt: skip


def run_split(manifest: pd.DataFrame, index: pd.DataFrame, config: TrainConfig) -> RunSplit:
    """The cached patients of one run in their roles: the selection split held out of the labelled
    training patients, a label-efficiency run's labelled subset, and the unlabelled pool (the
    semi-supervised models only: MTL and the mean teacher share it)."""
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
    if config.model not in SEMI_SUPERVISED:  # a supervised model learns nothing from unlabelled scans
        in_train &= index["label"] >= 0
    return RunSplit(labels=labels, train=index[in_train], selection=index[index["patient_id"].isin(selection_ids)],
                    validation=index[(index["split"] == "validation") & (index["label"] >= 0)],
                    everyone=index)  # fmt: skip


def build_run_data(manifest: pd.DataFrame, index: pd.DataFrame, config: TrainConfig,
                   scna: pd.DataFrame | None) -> RunData:
    """The datasets of one run's split (:func:`run_split`), its loss weights and data identity."""
    fmt = get_format(config.input_format)
    split = run_split(manifest, index, config)
    used_scna = scna if config.use_scna else None
    on_device = augments_on_device(choose_device(config.device))

    def dataset(part: pd.DataFrame, augment: bool) -> MultiTaskDataset:
        transform = training_augmentation() if augment else None
        return MultiTaskDataset(part, fmt, split.labels, scna=used_scna, transform=transform, seed=config.seed,
                                augment_on_device=on_device)  # fmt: skip

    identity = data_identity({"train": split.train, "selection": split.selection, "validation": split.validation},
                             used_scna)  # fmt: skip
    return RunData(
        fmt=fmt, split=split, train=dataset(split.train, config.augment),
        selection=dataset(split.selection, False), validation=dataset(split.validation, False),
        everyone=dataset(split.everyone, False),
        weights=loss_weights(dataset(split.train, False), split.train["label"].to_numpy(),
                             len(TASK_CLASSES[config.task])),  # fmt: skip
        identity=identity,
    )  # fmt: skip
