"""Multi-task training data: labelled and unlabelled patients mixed in one loader.

Each item carries the image, the segmentation target and its kind (ground truth, weak, none),
the subtype label or -1 when missing, the SCNA embedding or zeros with a flag, and the IDs.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import torch
import torchio as tio
from torch.utils.data import DataLoader, Dataset

from glioma_lib.core.naming import TASK_CLASSES, subtype_from_markers
from glioma_lib.inputs.augment import augment, drawn_augmentation, item_seed
from glioma_lib.inputs.cache import CacheEntry
from glioma_lib.inputs.formats import IGNORE, InputFormat, segmentation_target

TARGET_KINDS = {"gt": 0, "weak": 1, "none": 2}
MISSING_LABEL = -1


def task_labels(manifest: pd.DataFrame, task: str) -> pd.Series:
    """Per patient, -1 when missing: ``idh``, ``codel``: 1 IDH-mutant / co-deleted, 0 the other;
    ``who2021``: the subtype's index in ``TASK_CLASSES["who2021"]``, from both markers."""
    table = manifest.set_index("patient_id")
    if task == "who2021":
        def known(value):
            return None if pd.isna(value) else bool(value)

        subtypes = [subtype_from_markers(known(i), known(c)) for i, c in zip(table["idh_mutant"], table["codeleted"],
                                                                           strict=True)]  # fmt: skip
        codes = [MISSING_LABEL if s is None else TASK_CLASSES[task].index(s) for s in subtypes]
        return pd.Series(codes, index=table.index, dtype=int)
    column = {"idh": "idh_mutant", "codel": "codeleted"}[task]
    return table[column].map(lambda v: MISSING_LABEL if pd.isna(v) else int(bool(v))).astype(int)


class MultiTaskDataset(Dataset):
    """Items from cache entries; ``index`` has columns patient_id, entry, mask_kind."""

    def __init__(self, index: pd.DataFrame, fmt: InputFormat, labels: pd.Series,
                 scna: pd.DataFrame | None = None, scna_dim: int = 0,
                 transform: tio.Compose | None = None, seed: int = 0, augment_on_device: bool = False):
        self.rows = index[["patient_id", "entry", "mask_kind"]].to_dict("records")  # no pandas in the hot path
        self.fmt = fmt
        self.labels = {p: int(v) for p, v in labels.items()}
        self.scna_dim = scna.shape[1] if scna is not None else scna_dim
        self.scna = {} if scna is None else {p: torch.tensor(v, dtype=torch.float32)
                                             for p, v in zip(scna.index, scna.to_numpy(), strict=True)}
        self.transform = transform
        self.augment_on_device = augment_on_device  # items carry torchio's draws; augment_batch applies them
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Augmentations depend on the epoch, so each epoch sees new ones (and a resume the same)."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key: int | tuple[int, int]) -> dict:
        """Item ``key``, or ``(index, epoch)`` to draw its augmentation from that epoch."""
        i, epoch = key if isinstance(key, tuple) else (key, self.epoch)
        row = self.rows[i]
        image_np, labels_np = CacheEntry(row["entry"]).arrays()  # copy-on-write maps: collation copies once
        image = torch.from_numpy(image_np)
        labels = None if labels_np is None else torch.from_numpy(labels_np)
        draws = {}
        if self.transform is not None and self.augment_on_device:
            draws = drawn_augmentation(self.transform, item_seed(self.seed, epoch, i))
        elif self.transform is not None:
            image, labels = augment(image, labels, self.transform, item_seed(self.seed, epoch, i))
        kind = row["mask_kind"] if labels is not None else "none"
        if labels is None:
            target = torch.full(image.shape[1:], IGNORE, dtype=torch.int8)
        else:
            target = torch.from_numpy(segmentation_target(labels.numpy(), self.fmt, kind))
        patient = row["patient_id"]
        scna = self.scna.get(patient)
        return {
            "image": image.float(), "target": target, "target_kind": TARGET_KINDS[kind],
            "label": self.labels.get(patient, MISSING_LABEL),
            "scna": torch.zeros(self.scna_dim) if scna is None else scna, "has_scna": scna is not None,
            "patient_id": patient, **draws,
        }  # fmt: skip


def _stream(members: list[int], batch_size: int, seed: int, start: int, stop: int,
            stream: int = 0) -> list[list[tuple[int, int]]]:
    """Steps ``start`` to ``stop - 1`` of an endless stream of seeded passes over ``members``, each
    step a batch of ``(dataset index, pass)``. Pass ``p`` is a permutation seeded by (seed, p,
    stream) that drops its last incomplete batch."""
    per_pass = len(members) // batch_size
    steps = []
    for step in range(start, stop):
        pass_index, position = divmod(step, per_pass)
        if position == 0 or step == start:
            generator = torch.Generator().manual_seed(item_seed(seed, pass_index, (1 << 30) + stream))
            order = [members[k] for k in torch.randperm(len(members), generator=generator).tolist()]
        steps.append([(i, pass_index) for i in order[position * batch_size:(position + 1) * batch_size]])
    return steps


def update_batches(dataset: MultiTaskDataset, batch_size: int, seed: int, start: int, stop: int,
                   name: str = "training", unlabelled_per_batch: int = 0) -> Iterator[dict]:
    """Batches number ``start`` to ``stop - 1`` of an endless, seeded stream of passes over ``dataset``.

    Training is budgeted in optimiser updates, not epochs, so models that see different numbers
    of patients (the MTL model also learns from unlabelled scans) get the same number of steps.
    Items are augmented with the number of their pass, so any stretch of the stream, e.g. after a
    resume, is reproduced exactly.

    With ``unlabelled_per_batch`` > 0 each batch is ``batch_size`` labelled patients, from their own
    stream of passes, plus that many patients without the label, from a second stream: the
    classification signal per update is then the CNN's, and the unlabelled scans come on top.
    Otherwise batches are drawn from every patient alike (the paper's mixed batches).
    """
    everyone = list(range(len(dataset)))
    if unlabelled_per_batch <= 0:
        streams = [(everyone, batch_size, f"{name} split")]
    else:
        labelled = [i for i in everyone if dataset.labels.get(dataset.rows[i]["patient_id"], MISSING_LABEL) >= 0]
        unlabelled = sorted(set(everyone) - set(labelled))
        streams = [(labelled, batch_size, f"{name} split's labelled part"),
                   (unlabelled, unlabelled_per_batch, f"{name} split's unlabelled part")]
    for members, size, part in streams:
        if len(members) < size:
            raise ValueError(f"the {part} has {len(members)} patients, fewer than one batch of {size}")
    steps = [_stream(members, size, seed, start, stop, stream=k) for k, (members, size, _) in enumerate(streams)]
    yield from DataLoader(dataset, batch_sampler=[sum(parts, []) for parts in zip(*steps, strict=True)])


def make_loader(dataset: MultiTaskDataset, batch_size: int, shuffle: bool, seed: int = 0,
                num_workers: int = 0, drop_last: bool = False) -> DataLoader:
    """A loader whose shuffling is seeded (so a resumed run visits patients in the same order).

    Training drops a last batch of one: BatchNorm cannot normalise a single volume's 1^3 features.
    """
    generator = torch.Generator().manual_seed(seed)
    drop_last = drop_last and len(dataset) % batch_size == 1
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator,
                      num_workers=num_workers, persistent_workers=num_workers > 0, drop_last=drop_last)
