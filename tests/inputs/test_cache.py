"""The preprocessing cache: keyed by every setting, rebuilt when corrupt, safe with concurrent builders."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from glioma_lib.inputs.augment import training_augmentation
from glioma_lib.inputs.cache import CacheEntry, build_cache, build_entry, cache_key
from glioma_lib.inputs.dataset import MultiTaskDataset, task_labels
from glioma_lib.inputs.formats import FORMATS
from glioma_lib.inputs.preprocess import PreprocessSpec

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
                         {"normalisation": "other"}, {"stored_dtype": "float32"})),
        cache_key("p", FORMATS["t1ce"], SPEC, paths, None, "none"),
        cache_key("p", FORMATS["t1ce"], SPEC, paths, seg_row["path_seg"], "weak"),
    ]  # fmt: skip
    assert len({base, *variants}) == len(variants) + 1


def test_a_source_rewritten_with_the_same_bytes_keeps_its_key_and_other_bytes_change_it(seg_row, tmp_path):
    import os
    import shutil

    paths = {m: str(tmp_path / f"{m}.nii.gz") for m in ("t1", "t1ce", "t2", "flair")}
    for m, path in paths.items():
        shutil.copyfile(seg_row[f"path_{m}"], path)
    before = cache_key("p", FORMATS["t1ce"], SPEC, paths, None, "none")
    os.utime(paths["t1ce"], (1, 1))  # regenerated: a new modification time, the same content
    assert cache_key("p", FORMATS["t1ce"], SPEC, paths, None, "none") == before
    shutil.copyfile(seg_row["path_t1"], paths["t1ce"])  # other content
    assert cache_key("p", FORMATS["t1ce"], SPEC, paths, None, "none") != before


def test_cache_reuses_and_rebuilds_corrupt_entries(seg_row, tmp_path):
    entry, meta = build_entry(seg_row, FORMATS["all_cropped"], SPEC, tmp_path)
    image, labels = (np.array(a) for a in entry.arrays())  # copies: the file is truncated below
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


def test_entry_without_mask_has_no_labels(phantom_manifest, tmp_path):
    row = phantom_manifest[phantom_manifest["has_mr"] & ~phantom_manifest["has_seg_gt"]].iloc[0]
    entry, meta = build_entry(row, FORMATS["all_whole"], SPEC, tmp_path)
    assert meta["mask_kind"] == "none" and CacheEntry(entry.folder).arrays()[1] is None


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


def test_an_array_of_another_size_than_recorded_is_rebuilt_and_said(seg_row, tmp_path, capsys):
    """Bytes a copy appended leave the array readable at its shape; the recorded size still tells."""
    entry, meta = build_entry(seg_row, FORMATS["t1ce"], SPEC, tmp_path)
    assert meta["bytes"]["image.npy"] == (entry.folder / "image.npy").stat().st_size
    with open(entry.folder / "image.npy", "ab") as handle:
        handle.write(b"\0" * 64)
    assert not entry.is_valid(FORMATS["t1ce"], SPEC)
    rebuilt, _ = build_entry(seg_row, FORMATS["t1ce"], SPEC, tmp_path)
    assert rebuilt.is_valid(FORMATS["t1ce"], SPEC) and "damaged or incomplete: rebuilt" in capsys.readouterr().out


def test_an_invalid_entry_is_retired_and_rebuilt(phantom_manifest, tmp_path):
    row = phantom_manifest[phantom_manifest["has_mr"]].iloc[0]
    entry, _ = build_entry(row, FORMATS["t1ce"], SPEC, tmp_path)
    (entry.folder / "image.npy").write_bytes(b"truncated")
    rebuilt, _ = build_entry(row, FORMATS["t1ce"], SPEC, tmp_path)
    assert rebuilt.folder == entry.folder and rebuilt.is_valid(FORMATS["t1ce"], SPEC)


def test_a_damaged_weak_mask_is_named_with_the_step_that_writes_it(phantom_manifest, tmp_path):
    from glioma_lib.core.errors import InputDataError
    from glioma_lib.core.layout import weak_mask_file

    row = phantom_manifest[phantom_manifest["has_mr"] & ~phantom_manifest["has_seg_gt"]].iloc[0]
    weak_mask_file(tmp_path, row["patient_id"]).write_bytes(b"\x1f\x8b truncated")
    with pytest.raises(InputDataError, match=r"unreadable NIfTI.*weak-labelling step \(notebook 02\).*forcerun"):
        build_entry(row, FORMATS["t1ce"], SPEC, tmp_path / "cache", tmp_path)


def _float16_against_float32(row, formats, folder) -> None:
    """Cache ``row`` in float16 and float32 at 24^3: the stored file is half the size, readers get
    float32, and each value is within the stated relative tolerance of the float32 one (1e-7
    absolute below float16's normal range), its sign kept."""
    from glioma_lib.inputs.preprocess import FLOAT16_TOLERANCE

    compact = PreprocessSpec(shape=(24, 24, 24), empty_mask_policy="centre")
    assert compact.stored_dtype == "float16"
    for fmt in formats:
        small, _ = build_entry(row, fmt, compact, folder / "f16")
        full, _ = build_entry(row, fmt, dataclasses.replace(compact, stored_dtype="float32"), folder / "f32")
        (a, _), (b, _) = small.arrays(), full.arrays()
        assert a.dtype == b.dtype == np.float32 and small.stored_arrays()[0].dtype == np.float16
        assert (small.folder / "image.npy").stat().st_size < 0.52 * (full.folder / "image.npy").stat().st_size
        assert np.all(np.abs(a - b) <= FLOAT16_TOLERANCE * np.abs(b) + 1e-7), fmt.name
        visible = np.abs(b) > 1e-6  # below float16's subnormals a value may round to zero
        assert np.array_equal(np.sign(a[visible]), np.sign(b[visible]))
        assert small.is_valid(fmt, compact) and not small.is_valid(fmt, dataclasses.replace(compact,
                                                                                            stored_dtype="float32"))


def test_the_float16_cache_gives_every_format_its_float32_inputs_within_the_tolerance(seg_row, tmp_path):
    _float16_against_float32(seg_row, FORMATS.values(), tmp_path)


@pytest.mark.slow  # reads the real case's four 240x240x155 volumes six times
def test_the_float16_cache_keeps_the_real_cases_inputs_within_the_tolerance(realdata, tmp_path):
    import pandas as pd

    from glioma_lib.cohort.brats import subject_paths

    case = "Brats18_TCIA12_101_1"
    paths = subject_paths(case, realdata / "brats_mr" / case)
    row = pd.Series({"patient_id": case, **{f"path_{m}": str(paths[m]) for m in ("t1", "t1ce", "t2", "flair")},
                     "path_seg": str(paths["seg"])})  # fmt: skip
    _float16_against_float32(row, [FORMATS[f] for f in ("all_whole", "all_cropped", "t1ce_minus_t1")], tmp_path)


def test_the_entries_of_a_cache_are_the_published_ones(seg_row, tmp_path):
    """`cache_entries` lists each built entry once, and not a writer's temporary folder beside it
    (which already holds its meta.json just before the rename)."""
    import shutil

    from glioma_lib.inputs.cache import cache_entries

    built = [build_entry(seg_row, FORMATS[name], SPEC, tmp_path)[0] for name in ("all_cropped", "t1ce")]
    shutil.copytree(built[0].folder, built[0].folder.parent / f".{built[0].folder.name}.x1y2.tmp")
    assert sorted(e.folder for e in cache_entries(tmp_path)) == sorted(e.folder for e in built)
    assert cache_entries(tmp_path)[0].meta()["format"] in ("all_cropped", "t1ce")
