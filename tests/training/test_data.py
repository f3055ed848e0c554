"""A run's patients: the selection split, nested labelled subsets, and labels that stay out."""

from __future__ import annotations

import pandas as pd
import pytest

from glioma_lib.training.data import labelled_subset, selection_split
from tests.training.conftest import small_config as _config


def test_labelled_subsets_are_nested_and_stratified():
    labels = pd.Series({f"p{i}": int(i % 4 == 0) for i in range(40)})
    patients = list(labels.index)
    small, large = labelled_subset(labels, patients, 8, 0), labelled_subset(labels, patients, 20, 0)
    assert set(small) <= set(large) and len(small) == 8 and len(large) == 20
    assert labels[small].sum() == 2 and labels[large].sum() == 5  # the 1:3 ratio at every size
    with pytest.raises(ValueError, match="exceeds"):
        labelled_subset(labels, patients, 41, 0)


def test_selection_split_is_stratified_and_labelled_only():
    labels = pd.Series({f"p{i}": i % 2 for i in range(10)} | {"u": -1})
    chosen = selection_split(labels, list(labels.index), 0.2, seed=0)
    assert len(chosen) == 2 and {labels[p] for p in chosen} == {0, 1} and "u" not in chosen


def test_labels_of_patients_outside_train_and_validation_are_not_used(planted_entries):
    """A labelled patient the split left out (it lacks an input the split requires) trains the
    segmentation only: its label must not reach the classifier."""
    from glioma_lib.training.data import build_run_data

    split = ["train"] * 8 + ["validation"] * 2 + ["unlabelled_mr"] * 2
    manifest = pd.DataFrame({"patient_id": planted_entries["patient_id"], "split": split,
                             "idh_mutant": planted_entries["label"].astype(bool)})  # fmt: skip
    index = planted_entries[["patient_id", "entry", "mask_kind"]]
    data = build_run_data(manifest, index, _config(model="mtl", selection_fraction=0.25), None)
    labels = {row["patient_id"]: data.train.labels.get(row["patient_id"]) for row in data.train.rows}
    assert {"p10", "p11"} <= set(labels) and labels["p10"] == labels["p11"] == -1
    assert all(labels[p] >= 0 for p in labels if p not in ("p10", "p11"))


def test_the_split_alone_names_the_patients_the_datasets_hold(planted_entries):
    """The radiomics arm reads only the split (no volume): it must list the patients and labels
    the networks' datasets hold, role by role, label-efficiency subset included."""
    from glioma_lib.training.data import build_run_data, run_split

    split = ["train"] * 8 + ["validation"] * 2 + ["unlabelled_mr"] * 2
    manifest = pd.DataFrame({"patient_id": planted_entries["patient_id"], "split": split,
                             "idh_mutant": planted_entries["label"].astype(bool)})  # fmt: skip
    index = planted_entries[["patient_id", "entry", "mask_kind"]]
    for config in (_config(model="mtl", selection_fraction=0.25), _config(model="cnn", labelled_limit=4)):
        data = build_run_data(manifest, index, config, None)
        from_datasets = pd.DataFrame([{"patient_id": row["patient_id"], "role": role,
                                       "label": dataset.labels.get(row["patient_id"], -1)}
                                      for role, dataset in (("train", data.train), ("selection", data.selection),
                                                            ("validation", data.validation))
                                      for row in dataset.rows])  # fmt: skip
        alone = run_split(manifest, index, config).patients()
        pd.testing.assert_frame_equal(alone, from_datasets, check_dtype=False)
        assert data.n_train_labelled == int(((alone["role"] == "train") & (alone["label"] >= 0)).sum())
