"""The WHO 2021 three-class task through training: labels from both markers, a three-way softmax
head scored by its macro one-vs-rest AUC, stratified splits, and the radiomics arm's fit."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import torch

from glioma_lib.core.layout import TrainingRun
from glioma_lib.inputs.dataset import task_labels
from glioma_lib.training.data import LossWeights, labelled_subset, selection_split
from glioma_lib.training.radiomics import fit_and_score
from glioma_lib.training.trial import run_trial
from tests.training.conftest import planted_data as _data
from tests.training.conftest import planted_run as _run
from tests.training.conftest import small_config as _config


def test_subtype_labels_need_both_markers():
    manifest = pd.DataFrame({"patient_id": list("abcdef"), "idh_mutant": [False, True, True, None, True, False],
                             "codeleted": [False, False, True, True, None, None]})  # fmt: skip
    assert task_labels(manifest, "who2021").tolist() == [0, 1, 2, -1, -1, -1]


def test_splits_are_stratified_over_three_classes():
    labels = pd.Series(np.repeat([0, 1, 2, -1], [30, 20, 10, 5]), index=[f"p{i}" for i in range(65)])
    chosen = selection_split(labels, list(labels.index), 0.2, seed=0)
    assert labels[chosen].value_counts().to_dict() == {0: 6, 1: 4, 2: 2}
    subset = labelled_subset(labels, list(labels.index[:60]), 12, seed=0)
    assert labels[subset].value_counts().to_dict() == {0: 6, 1: 4, 2: 2}


def test_a_three_class_trial_learns_and_keeps_three_probabilities(planted_entries, tmp_path):
    entries = planted_entries.assign(label=np.arange(len(planted_entries)) % 3)
    data = _data(entries)
    data.weights = LossWeights(torch.ones(3), torch.ones(2), torch.ones(2))
    config = _config(model="cnn", updates=30, evaluations=2).model_copy(update={"task": "who2021"})
    history = run_trial(_run(data, config, tmp_path), 0)
    assert history["validation_auc"].notna().all() and (history["validation_probability_sd"] > 0.01).all()
    last = torch.load(TrainingRun(tmp_path).checkpoint(0, "last"), weights_only=True)
    validation = pd.DataFrame(json.loads(last["predictions"])[-1]["validation"])
    assert [c for c in validation.columns if c.startswith("probability")] == [f"probability_{c}" for c in range(3)]
    np.testing.assert_allclose(validation.filter(like="probability_").sum(axis=1), 1, rtol=1e-5)
    best = torch.load(TrainingRun(tmp_path).checkpoint(0, "best"), weights_only=True)
    assert len(best["metadata"]["classes"]) == 3 and best["model"]["classifier.weight"].shape[0] == 3


def test_the_radiomics_arm_fits_three_classes():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], [40, 30, 20])
    roles = np.where(np.arange(90) % 3 == 0, "validation", "train")
    patients = pd.DataFrame({"patient_id": [f"p{i}" for i in range(90)], "role": roles, "label": labels})
    features = pd.DataFrame(rng.normal(size=(90, 5)) + np.eye(5)[labels], index=patients["patient_id"])
    predictions, fit = fit_and_score(features, patients, seed=0, n_classes=3)
    assert list(predictions.filter(like="probability").columns) == ["probability_0", "probability_1", "probability_2"]
    assert fit["inner_cv_auc"] > 0.6 and len(predictions) == 30


def test_loss_weights_have_one_entry_per_subtype_class_whatever_the_segmentation_classes(planted_entries):
    """A four-class segmentation format (the cropped four-channel one) with a binary or a
    three-class task: the subtype weights follow the task, the segmentation weights the format."""
    from glioma_lib.inputs.dataset import MultiTaskDataset
    from glioma_lib.inputs.formats import FORMATS
    from glioma_lib.training.data import loss_weights

    labels = planted_entries.set_index("patient_id")["label"]
    dataset = MultiTaskDataset(planted_entries, FORMATS["t1ce"], labels)
    dataset.fmt = FORMATS["all_cropped"]  # only its class count is read here
    for n_subtypes in (2, 3):
        weights = loss_weights(dataset, np.arange(len(planted_entries)) % n_subtypes, n_subtypes)
        assert weights.classification.shape == (n_subtypes,) and weights.segmentation.shape == (4,)
