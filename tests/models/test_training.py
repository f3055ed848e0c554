"""The trainer: it overfits a tiny planted cohort, resumes exactly, and learns from unlabelled scans."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import roc_auc_score

from glioma_lib.inputs.dataset import MultiTaskDataset, make_loader
from glioma_lib.inputs.formats import FORMATS
from glioma_lib.losses import multitask_loss
from glioma_lib.models.heads import SubtypeModel
from glioma_lib.training import RunData, TrainConfig, predict, run_trial, selection_split

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


def _data(entries: pd.DataFrame, augment: bool = False) -> RunData:
    fmt = FORMATS["t1ce"]
    labels = entries.set_index("patient_id")["label"]
    train = MultiTaskDataset(entries, fmt, labels)
    return RunData(fmt, train, MultiTaskDataset(entries.iloc[:4], fmt, labels),
                   MultiTaskDataset(entries.iloc[4:8], fmt, labels), train,
                   torch.ones(2), torch.ones(2), torch.ones(2))  # fmt: skip


def test_overfits_a_tiny_cohort(planted_entries, tmp_path):
    # A small learning rate over many short epochs: BatchNorm's running statistics (momentum 0.05)
    # must catch up with the weights, or eval-mode scores lag the training-mode fit.
    config = TrainConfig(model="mtl", epochs=30, trials=1, lr=3e-4, augment=False, device="cpu")
    data = _data(planted_entries)
    run_trial(data, config, 0, tmp_path, progress=False)
    model = SubtypeModel("mtl", 1, 2)
    model.load_state_dict(torch.load(tmp_path / "checkpoints/trial0/last.pt", weights_only=True)["model"])
    scores = predict(model, data.train, torch.device("cpu"), False)
    assert roc_auc_score(scores["label"], scores["probability"]) > 0.95


def test_resume_gives_the_same_metrics(planted_entries, tmp_path):
    data = _data(planted_entries)
    straight = run_trial(data, TrainConfig(epochs=3, trials=1, device="cpu"), 0, tmp_path / "a", progress=False)
    run_trial(data, TrainConfig(epochs=2, trials=1, device="cpu"), 0, tmp_path / "b", progress=False)  # "killed"
    resumed = run_trial(data, TrainConfig(epochs=3, trials=1, device="cpu"), 0, tmp_path / "b", progress=False)
    columns = ["trial", "epoch", "loss", "selection_auc", "validation_auc"]
    pd.testing.assert_frame_equal(straight[columns], resumed[columns])
    a = torch.load(tmp_path / "a/checkpoints/trial0/last.pt", weights_only=True)
    b = torch.load(tmp_path / "b/checkpoints/trial0/last.pt", weights_only=True)
    for key in a["model"]:
        assert torch.equal(a["model"][key], b["model"][key]), key
    assert json.loads(b["history"])[-1]["epoch"] == 2


def test_mtl_learns_from_a_batch_of_only_unlabelled_patients(planted_entries):
    entries = planted_entries.assign(label=-1)
    dataset = MultiTaskDataset(entries, FORMATS["t1ce"], entries.set_index("patient_id")["label"])
    batch = next(iter(make_loader(dataset, 4, shuffle=False)))
    model = SubtypeModel("mtl", 1, 2)
    before = [p.detach().clone() for p in model.encoder.parameters()]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    out = model(batch["image"])
    parts = multitask_loss(out.logits, batch["label"], torch.ones(2), out.seg_logits, batch["target"],
                           batch["target_kind"], torch.ones(2), torch.ones(2))  # fmt: skip
    assert parts.classification.item() == 0 and parts.segmentation.item() > 0
    parts.total.backward()
    optimizer.step()
    assert any(not torch.equal(a, b) for a, b in zip(before, model.encoder.parameters(), strict=True))


def test_selection_split_is_stratified_and_labelled_only():
    labels = pd.Series({f"p{i}": i % 2 for i in range(10)} | {"u": -1})
    chosen = selection_split(labels, list(labels.index), 0.2, seed=0)
    assert len(chosen) == 2 and {labels[p] for p in chosen} == {0, 1} and "u" not in chosen
