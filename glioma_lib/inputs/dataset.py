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

from glioma_lib.inputs.augment import augment, item_seed
from glioma_lib.inputs.cache import CacheEntry
from glioma_lib.inputs.formats import IGNORE, InputFormat, segmentation_target

TARGET_KINDS = {"gt": 0, "weak": 1, "none": 2}
MISSING_LABEL = -1


def task_labels(manifest: pd.DataFrame, task: str) -> pd.Series:
    """Per patient: 1 IDH-mutant / co-deleted, 0 the other, -1 missing."""
    column = {"idh": "idh_mutant", "codel": "codeleted"}[task]
    values = manifest.set_index("patient_id")[column]
    return values.map(lambda v: MISSING_LABEL if pd.isna(v) else int(bool(v))).astype(int)


class MultiTaskDataset(Dataset):
    """Items from cache entries; ``index`` has columns patient_id, entry, mask_kind."""

    def __init__(self, index: pd.DataFrame, fmt: InputFormat, labels: pd.Series,
                 scna: pd.DataFrame | None = None, scna_dim: int = 0,
                 transform: tio.Compose | None = None, seed: int = 0):
        self.rows = index[["patient_id", "entry", "mask_kind"]].to_dict("records")  # no pandas in the hot path
        self.fmt = fmt
        self.labels = {p: int(v) for p, v in labels.items()}
        self.scna_dim = scna.shape[1] if scna is not None else scna_dim
        self.scna = {} if scna is None else {p: torch.tensor(v, dtype=torch.float32)
                                             for p, v in zip(scna.index, scna.to_numpy(), strict=True)}
        self.transform = transform
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Augmentations depend on the epoch, so each epoch sees new ones (and a resume the same)."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        row = self.rows[i]
        image_np, labels_np = CacheEntry(row["entry"]).arrays()  # copy-on-write maps: collation copies once
        image = torch.from_numpy(image_np)
        labels = None if labels_np is None else torch.from_numpy(labels_np)
        if self.transform is not None:
            image, labels = augment(image, labels, self.transform, item_seed(self.seed, self.epoch, i))
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
            "patient_id": patient,
        }  # fmt: skip


def update_batches(dataset: MultiTaskDataset, batch_size: int, seed: int, start: int, stop: int,
                   name: str = "training") -> Iterator[dict]:
    """Batches number ``start`` to ``stop - 1`` of an endless, seeded stream of passes over ``dataset``.

    Training is budgeted in optimiser updates, not epochs, so models that see different numbers
    of patients (the MTL model also learns from unlabelled scans) get the same number of steps.
    Pass ``p`` is a permutation seeded by (seed, p) that drops its last incomplete batch, and its
    items are augmented with epoch ``p``: any stretch of the stream, e.g. after a resume, is
    reproduced exactly.
    """
    per_pass = len(dataset) // batch_size
    if per_pass == 0:
        raise ValueError(f"the {name} split has {len(dataset)} patients, fewer than one batch of {batch_size}")
    step = start
    while step < stop:
        pass_index, first = divmod(step, per_pass)
        last = min(per_pass, first + stop - step)
        generator = torch.Generator().manual_seed(item_seed(seed, pass_index, 1 << 30))
        order = torch.randperm(len(dataset), generator=generator).tolist()
        dataset.set_epoch(pass_index)
        batches = [order[i * batch_size:(i + 1) * batch_size] for i in range(first, last)]
        yield from DataLoader(dataset, batch_sampler=batches)
        step += last - first


def make_loader(dataset: MultiTaskDataset, batch_size: int, shuffle: bool, seed: int = 0,
                num_workers: int = 0, drop_last: bool = False) -> DataLoader:
    """A loader whose shuffling is seeded (so a resumed run visits patients in the same order).

    Training drops a last batch of one: BatchNorm cannot normalise a single volume's 1^3 features.
    """
    generator = torch.Generator().manual_seed(seed)
    drop_last = drop_last and len(dataset) % batch_size == 1
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator,
                      num_workers=num_workers, persistent_workers=num_workers > 0, drop_last=drop_last)
