"""Cache keys and rebuilds, joint flips, the multi-task dataset, and the SCNA PCA."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from glioma_lib.inputs.augment import augment, training_augmentation
from glioma_lib.inputs.cache import CacheEntry, build_cache, build_entry, cache_key
from glioma_lib.inputs.dataset import MultiTaskDataset, make_loader, task_labels, update_batches
from glioma_lib.inputs.formats import FORMATS
from glioma_lib.inputs.preprocess import PreprocessSpec
from glioma_lib.inputs.scna import ScnaPCA

SPEC = PreprocessSpec(shape=(12, 12, 12), empty_mask_policy="centre")


@pytest.fixture(scope="module")
def seg_row(phantom_manifest):
    return phantom_manifest[phantom_manifest["has_seg_gt"]].iloc[0]


def test_cache_key_changes_with_every_parameter(seg_row, tmp_path):
    paths = {m: seg_row[f"path_{m}"] for m in ("t1", "t1ce", "t2", "flair")}
    base = cache_key("p", FORMATS["t1ce"], SPEC, paths, seg_row["path_seg"], "gt")
    variants = [
        cache_key("q", FORMATS["t1ce"], SPEC, paths, seg_row["path_seg"], "gt"),
        cache_key("p", FORMATS["t1"], SPEC, paths, seg_row["path_seg"], "gt"),
        *(cache_key("p", FORMATS["t1ce"], dataclasses.replace(SPEC, **change), paths, seg_row["path_seg"], "gt")
          for change in ({"shape": (12, 12, 13)}, {"margin": 3}, {"empty_mask_policy": "error"},
                         {"normalisation": "other"})),
        cache_key("p", FORMATS["t1ce"], SPEC, paths, None, "none"),
        cache_key("p", FORMATS["t1ce"], SPEC, paths, seg_row["path_seg"], "weak"),
    ]  # fmt: skip
    assert len({base, *variants}) == len(variants) + 1


def test_cache_reuses_and_rebuilds_corrupt_entries(seg_row, tmp_path):
    entry, meta = build_entry(seg_row, FORMATS["all_cropped"], SPEC, tmp_path)
    image, labels = (np.array(a) for a in entry.arrays(mmap=False))  # copies: the file is truncated below
    assert image.shape == (4, 12, 12, 12) and labels.shape == (12, 12, 12) and meta["mask_kind"] == "gt"
    stamp = (entry.folder / "image.npy").stat().st_mtime_ns
    again, _ = build_entry(seg_row, FORMATS["all_cropped"], SPEC, tmp_path)
    assert again.folder == entry.folder and (entry.folder / "image.npy").stat().st_mtime_ns == stamp
    data = (entry.folder / "image.npy").read_bytes()
    (entry.folder / "image.npy").write_bytes(data[: len(data) // 3])  # truncated
    assert not entry.is_valid(FORMATS["all_cropped"], SPEC)
    rebuilt, _ = build_entry(seg_row, FORMATS["all_cropped"], SPEC, tmp_path)
    np.testing.assert_array_equal(rebuilt.arrays()[0], image)
    assert not list(tmp_path.rglob("*.tmp"))  # atomic writes leave no temporary folders


def test_flips_keep_image_and_mask_aligned():
    image = torch.zeros(2, 10, 12, 14)
    labels = torch.zeros(10, 12, 14, dtype=torch.uint8)
    image[0, 1:3, 2:5, 9:13] = 5.0  # an asymmetric block in channel 0 only
    image[1] = 7.0  # channel 1 constant: a channel flip would move it
    labels[1:3, 2:5, 9:13] = 1
    transform = training_augmentation(noise_std=0)
    seen = set()
    for seed in range(12):
        out_image, out_labels = augment(image, labels, transform, seed)
        assert torch.equal(out_image[0] == 5.0, out_labels == 1)
        assert torch.all(out_image[1] == 7.0)
        seen.add(tuple(torch.nonzero(out_labels)[0].tolist()))
    assert len(seen) > 1  # flips actually happened
    a = augment(image, labels, training_augmentation(), 3)
    b = augment(image, labels, training_augmentation(), 3)
    assert torch.equal(a[0], b[0])  # reproducible under a seed, noise included


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


def test_reading_and_augmenting_never_changes_the_cache(phantom_manifest, tmp_path):
    index = build_cache(phantom_manifest, FORMATS["all_cropped"], SPEC, tmp_path, progress=False)
    before = {e: (tmp_path / e / "image.npy").read_bytes() for e in index["entry"]}
    dataset = MultiTaskDataset(index, FORMATS["all_cropped"], task_labels(phantom_manifest, "idh"),
                               transform=training_augmentation(noise_std=0.5))  # fmt: skip
    for epoch in range(3):
        dataset.set_epoch(epoch)
        for item in dataset:
            item["image"].mul_(0)  # a careless consumer, writing into its batch
    assert {e: (tmp_path / e / "image.npy").read_bytes() for e in index["entry"]} == before


def test_pca_never_fitted_on_validation(phantom_dir, phantom_manifest, tmp_path):
    from glioma_lib.cohort.manifest import CohortSources, load_scna

    scna = load_scna(CohortSources.phantom(phantom_dir))
    manifest = phantom_manifest.copy()
    with_scna = manifest[manifest["has_scna"]].index
    manifest.loc[with_scna[:3], "split"] = "validation"
    validation = set(manifest.loc[with_scna[:3], "patient_id"])
    pca = ScnaPCA.fit(scna, manifest, n_components=5)
    assert not validation & set(pca.fitted_patients)
    perturbed = scna.copy()
    perturbed.loc[list(validation)] = 2  # changing validation patients changes nothing
    np.testing.assert_allclose(ScnaPCA.fit(perturbed, manifest, 5).components, pca.components)
    scores = pca.transform(scna)
    assert scores.shape == (len(scna), 5) and set(validation) <= set(scores.index)
    loaded = ScnaPCA.load(pca.save(tmp_path / "pca.npz"))
    pd.testing.assert_frame_equal(loaded.transform(scna), scores)


def test_entry_without_mask_has_no_labels(phantom_manifest, tmp_path):
    row = phantom_manifest[phantom_manifest["has_mr"] & ~phantom_manifest["has_seg_gt"]].iloc[0]
    entry, meta = build_entry(row, FORMATS["all_whole"], SPEC, tmp_path)
    assert meta["mask_kind"] == "none" and CacheEntry(entry.folder).arrays()[1] is None


def test_pca_records_what_it_was_fitted_on(phantom_dir, phantom_manifest):
    from glioma_lib.cohort.manifest import CohortSources, load_scna

    scna = load_scna(CohortSources.phantom(phantom_dir))
    five, also_five, four = (ScnaPCA.fit(scna, phantom_manifest, k) for k in (5, 5, 4))
    assert five.same_as(also_five) and not five.same_as(four)


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


def _build_in_process(args) -> int:
    manifest, cache_dir = args
    return len(build_cache(manifest, FORMATS["all_cropped"], SPEC, cache_dir, progress=False))


def test_concurrent_builders_of_one_cache_all_succeed(phantom_manifest, tmp_path):
    """Trainings of the same format build the same entries at the same time: the first rename
    wins, the others discard their copy, and no published entry is removed under a reader."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(3) as pool:
        counts = list(pool.map(_build_in_process, [(phantom_manifest, tmp_path)] * 3))
    assert counts == [phantom_manifest["has_mr"].sum()] * 3
    entries = [p for p in (tmp_path / "all_cropped").iterdir()]
    assert all(CacheEntry(p).is_valid(FORMATS["all_cropped"], SPEC) for p in entries if not p.name.startswith("."))
    assert not [p for p in entries if p.name.startswith(".")]  # no temporary folder left behind


def test_an_invalid_entry_is_retired_and_rebuilt(phantom_manifest, tmp_path):
    row = phantom_manifest[phantom_manifest["has_mr"]].iloc[0]
    entry, _ = build_entry(row, FORMATS["t1ce"], SPEC, tmp_path)
    (entry.folder / "image.npy").write_bytes(b"truncated")
    rebuilt, _ = build_entry(row, FORMATS["t1ce"], SPEC, tmp_path)
    assert rebuilt.folder == entry.folder and rebuilt.is_valid(FORMATS["t1ce"], SPEC)
