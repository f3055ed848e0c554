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
