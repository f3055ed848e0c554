"""A tiny planted cohort the trainer's tests share."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from glioma_lib.inputs.dataset import MultiTaskDataset
from glioma_lib.inputs.formats import FORMATS
from glioma_lib.training.run import RunData

SHAPE = (16, 16, 16)


@pytest.fixture(scope="module")
def planted_entries(tmp_path_factory):
    """Cache-like entries: class-1 patients carry a bright blob (their tumour), class 0 a dark one."""
    root = tmp_path_factory.mktemp("entries")
    rng = np.random.default_rng(0)
    rows = []
    for i in range(12):
        label = i % 2
        image = rng.normal(0, 0.3, (1, *SHAPE)).astype(np.float32)
        labels = np.zeros(SHAPE, np.uint8)
        c = rng.integers(4, 10, 3)
        labels[c[0]:c[0] + 5, c[1]:c[1] + 5, c[2]:c[2] + 5] = 1
        image[0][labels == 1] += 2.0 if label else -2.0
        folder = root / f"p{i}"
        folder.mkdir()
        np.save(folder / "image.npy", image)
        np.save(folder / "labels.npy", labels)
        rows.append({"patient_id": f"p{i}", "entry": str(folder), "mask_kind": "gt", "label": label})
    return pd.DataFrame(rows)


def planted_data(entries: pd.DataFrame, transform=None, scna: pd.DataFrame | None = None) -> RunData:
    """Run data over the planted entries: all of them train, four select, four validate."""
    fmt = FORMATS["t1ce"]
    labels = entries.set_index("patient_id")["label"]

    def dataset(part: pd.DataFrame, augment=None) -> MultiTaskDataset:
        return MultiTaskDataset(part, fmt, labels, scna=scna, transform=augment)

    return RunData(fmt, dataset(entries, transform), dataset(entries.iloc[:4]), dataset(entries.iloc[4:8]),
                   dataset(entries), torch.ones(2), torch.ones(2), torch.ones(2), identity="planted")  # fmt: skip
