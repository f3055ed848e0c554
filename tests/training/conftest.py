"""A tiny planted cohort the trainer's tests share."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from glioma_lib.core.layout import TrainingRun
from glioma_lib.inputs.dataset import MultiTaskDataset
from glioma_lib.inputs.formats import FORMATS
from glioma_lib.training.config import TrainConfig
from glioma_lib.training.data import LossWeights, RunData, RunSplit
from glioma_lib.training.trial import RunContext

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

    split = RunSplit(labels, train=entries, selection=entries.iloc[:4], validation=entries.iloc[4:8],
                     everyone=entries)
    return RunData(fmt, split, dataset(split.train, transform), dataset(split.selection),
                   dataset(split.validation), dataset(split.everyone),
                   LossWeights(torch.ones(2), torch.ones(2), torch.ones(2)), identity="planted")  # fmt: skip


def small_config(**changes) -> TrainConfig:
    """A CNN run (or ``model``'s) on the planted cohort: a few updates, one trial, on the CPU, no augmentation;
    lr 5e-4 with the deepest level pooled (what these tests were calibrated with)."""
    settings = {"updates": 6, "evaluations": 3, "evaluate_from": 0.0, "trials": 1, "lr": 5e-4, "head_lr_factor": 1,
                "pooled_levels": 1, "unlabelled_per_batch": 0, "augment": False, "device": "cpu", "shape": list(SHAPE)}
    model = changes.pop("model", "cnn")
    return TrainConfig.of_book(f"idh-t1ce-{model}", **{**settings, **changes})


def planted_run(data: RunData, config: TrainConfig, out, restart: bool = False) -> RunContext:
    """The run context of ``config`` over ``data``, writing to ``out``, without progress output."""
    return RunContext(config, data, TrainingRun(out), show_progress=False, restart=restart)
