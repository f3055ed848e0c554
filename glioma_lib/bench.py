"""Benchmarks (``glioma bench ...``): speed figures for the README, never timed tests."""

from __future__ import annotations

import platform
import tempfile
import time
from pathlib import Path

import torch

from glioma_lib.cohort.phantom import PhantomConfig, generate


def machine() -> str:
    """A one-line description of this machine for recording figures."""
    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU"
    return f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, {device}"


def bench_phantom(shapes: list[tuple[int, int, int]], n_subjects: int = 3) -> list[dict]:
    """Seconds per synthetic subject (four modalities, mask, NIfTI writing) at each shape."""
    from glioma_lib.cohort import anatomy

    anatomy._mni_tissue_maps()  # one-off template load, not per subject
    results = []
    for shape in shapes:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            generate(Path(tmp) / "c", PhantomConfig(n_mr=n_subjects, n_scna_only=0, shape=shape), progress=False)
            seconds = (time.perf_counter() - start) / n_subjects
        results.append({"benchmark": "phantom", "shape": "x".join(map(str, shape)),
                        "seconds_per_subject": round(seconds, 2), "machine": machine()})  # fmt: skip
    return results


def bench_loader(args) -> list[dict]:
    """Volumes/s from the cache (memory-mapped) and from raw NIfTI, at 64^3 cropped and 144^3 whole.

    The cache figure is the DataLoader's rate without and with the torchio flips of training;
    the raw figure reads, normalises, crops and resizes every NIfTI volume on each access.
    """
    import pandas as pd

    from glioma_lib.cohort.manifest import CohortSources, build_manifest
    from glioma_lib.cohort.readers import read_mask
    from glioma_lib.inputs.augment import training_augmentation
    from glioma_lib.inputs.cache import build_cache, mask_source
    from glioma_lib.inputs.dataset import MultiTaskDataset, make_loader, task_labels
    from glioma_lib.inputs.formats import FORMATS
    from glioma_lib.inputs.preprocess import PreprocessSpec, preprocess

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        root = generate(Path(tmp) / "c", PhantomConfig(n_mr=8, n_scna_only=0, shape=(240, 240, 155), seg_fraction=1.0),
                        progress=False)  # fmt: skip
        manifest, _ = build_manifest(CohortSources.phantom(root))
        for name, shape in [("all_cropped", (64, 64, 64)), ("all_whole", (144, 144, 144))]:
            fmt, spec = FORMATS[name], PreprocessSpec(shape=shape)
            index = build_cache(manifest, fmt, spec, Path(tmp) / "cache", progress=False)
            for label, transform in [("cache", None), ("cache+flips", training_augmentation(noise_std=0))]:
                dataset = MultiTaskDataset(index, fmt, task_labels(manifest, "idh"), transform=transform)
                loader = make_loader(dataset, batch_size=4, shuffle=True)
                start, delivered = time.perf_counter(), 0
                while time.perf_counter() - start < 5:
                    delivered += sum(len(b["image"]) for b in loader)
                rate = delivered / (time.perf_counter() - start)
                results.append({"benchmark": "loader", "source": label, "format": name,
                                "shape": "x".join(map(str, shape)), "volumes_per_s": round(rate, 1)})  # fmt: skip
            start, count = time.perf_counter(), 0
            for _, row in manifest[manifest["has_mr"]].iterrows():
                path, _ = mask_source(row, None)
                paths = {m: row[f"path_{m}"] for m in ("t1", "t1ce", "t2", "flair")}
                preprocess(paths, read_mask(path, row["patient_id"]), fmt, spec, row["patient_id"])
                count += 1
            rate = count / (time.perf_counter() - start)
            results.append({"benchmark": "loader", "source": "raw NIfTI", "format": name,
                            "shape": "x".join(map(str, shape)), "volumes_per_s": round(rate, 1)})  # fmt: skip
    for row in results:
        row["machine"] = machine()
    return pd.DataFrame(results).to_dict("records")
