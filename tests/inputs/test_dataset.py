"""The dataset and the update-matched batch streams."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from glioma_lib.inputs.augment import training_augmentation
from glioma_lib.inputs.cache import build_cache
from glioma_lib.inputs.dataset import MultiTaskDataset, make_loader, task_labels, update_batches
from glioma_lib.inputs.formats import FORMATS
from glioma_lib.inputs.preprocess import PreprocessSpec

SPEC = PreprocessSpec(shape=(12, 12, 12), empty_mask_policy="centre")


def test_dataset_mixes_labelled_and_unlabelled(phantom_manifest, tmp_path):
    index = build_cache(phantom_manifest, FORMATS["t2"], SPEC, tmp_path, progress=False)
    labels = task_labels(phantom_manifest, "idh")
    scna = pd.DataFrame(np.ones((2, 3)), index=phantom_manifest["patient_id"].iloc[:2])
    dataset = MultiTaskDataset(index, FORMATS["t2"], labels, scna=scna, transform=training_augmentation())
    items = [dataset[i] for i in range(len(dataset))]
    assert {i["label"] for i in items} >= {-1}  # unlabelled MR patients carry -1
    assert {i["target_kind"] for i in items} == {0, 2}  # ground truth and none (no weak masks yet)
    for item in items:
        assert item["image"].shape == (1, 12, 12, 12) and item["scna"].shape == (3,)
        assert item["has_scna"] == (item["patient_id"] in scna.index)
        if item["target_kind"] == 2:
            assert (item["target"] == -1).all()
    batch = next(iter(make_loader(dataset, batch_size=4, shuffle=True, seed=1)))
    assert batch["image"].shape == (4, 1, 12, 12, 12) and len(batch["patient_id"]) == 4


def _update_dataset(phantom_manifest, tmp_path, n: int = 10) -> MultiTaskDataset:
    index = build_cache(phantom_manifest, FORMATS["t1ce"], SPEC, tmp_path, progress=False).iloc[:n]
    return MultiTaskDataset(index, FORMATS["t1ce"], task_labels(phantom_manifest, "idh"),
                            transform=training_augmentation(), seed=3)  # fmt: skip


def test_update_batches_resume_anywhere_in_the_stream(phantom_manifest, tmp_path):
    """Batches 0-6 in one go equal 0-2 then 3-6: the stream crosses pass boundaries (3 per pass)
    and augmentations are drawn per pass, so a resumed run sees exactly the same batches."""
    dataset = _update_dataset(phantom_manifest, tmp_path)
    whole = list(update_batches(dataset, 3, seed=1, start=0, stop=7))
    pieces = list(update_batches(dataset, 3, seed=1, start=0, stop=3)) + list(update_batches(dataset, 3, 1, 3, 7))
    assert len(whole) == len(pieces) == 7
    for a, b in zip(whole, pieces, strict=True):
        assert a["patient_id"] == b["patient_id"] and torch.equal(a["image"], b["image"])
    first_pass = [p for batch in whole[:3] for p in batch["patient_id"]]
    assert len(set(first_pass)) == 9  # a pass is a permutation without repeats (the remainder dropped)


def test_update_batches_refuse_a_split_smaller_than_a_batch(phantom_manifest, tmp_path):
    dataset = _update_dataset(phantom_manifest, tmp_path, n=2)
    with pytest.raises(ValueError, match="selection split has 2 patients, fewer than one batch of 4"):
        next(update_batches(dataset, 4, 0, 0, 1, name="selection"))


def test_update_batches_add_unlabelled_scans_to_each_labelled_batch(phantom_manifest, tmp_path):
    """With an unlabelled share, every batch holds ``batch_size`` labelled patients then the
    unlabelled ones, each part from its own seeded stream, and a resume reproduces it."""
    dataset = _update_dataset(phantom_manifest, tmp_path, n=12)
    labelled = {r["patient_id"] for r in dataset.rows if dataset.labels.get(r["patient_id"], -1) >= 0}
    assert len(labelled) >= 2 and len(dataset) - len(labelled) >= 2
    whole = list(update_batches(dataset, 2, seed=1, start=0, stop=9, unlabelled_per_batch=2))
    for batch in whole:
        assert (batch["label"][:2] >= 0).all() and (batch["label"][2:] == -1).all() and len(batch["label"]) == 4
    resumed = list(update_batches(dataset, 2, 1, 0, 5, unlabelled_per_batch=2)) + list(
        update_batches(dataset, 2, 1, 5, 9, unlabelled_per_batch=2))
    for a, b in zip(whole, resumed, strict=True):
        assert a["patient_id"] == b["patient_id"] and torch.equal(a["image"], b["image"])
    with pytest.raises(ValueError, match="training split's unlabelled part has .* fewer than one batch of 99"):
        next(update_batches(dataset, 2, 0, 0, 1, unlabelled_per_batch=99))


def test_who2021_labels_of_the_real_tcga_cohort_match_the_published_subtypes(realdata):
    """The three-class labels come from the IDH and 1p/19q columns; Ceccarelli 2016 also publishes
    the subtype itself ("IDH/codel subtype"): every TCGA patient with both must agree, and no
    patient may be labelled by one and not the other."""
    from glioma_lib.cohort.manifest import build_manifest
    from glioma_lib.cohort.sources import CohortSources

    manifest, _ = build_manifest(CohortSources.realdata(realdata))
    labels = task_labels(manifest, "who2021")
    table = pd.read_csv(realdata / "tcga_clinical/ceccarelli2016_table_s1a.csv").drop_duplicates("Case")
    published = table.set_index("Case")["IDH/codel subtype"].map({"IDHwt": 0, "IDHmut-non-codel": 1,
                                                                  "IDHmut-codel": 2})  # fmt: skip
    published = published.reindex(labels.index).fillna(-1).astype(int)
    assert (labels >= 0).sum() > 800 and set(labels) == {-1, 0, 1, 2}
    pd.testing.assert_series_equal(labels, published, check_names=False)
