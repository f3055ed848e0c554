"""Benchmarks (``glioma bench ...``): speed figures for the README, never timed tests."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch

from glioma_lib.cohort.phantom import PhantomConfig, generate
from glioma_lib.training.loop import choose_device


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
    """Volumes/s from the cache (memory-mapped) and from raw NIfTI, at 64^3 cropped and 144^3 whole,
    with the cache's bytes per volume.

    The cache figures are the DataLoader's rate without and with the torchio flips of training,
    for the float16 cache and a float32 one (measured in the same run, so they compare); the raw
    figure reads, normalises, crops and resizes every NIfTI volume on each access.
    """
    import dataclasses

    import pandas as pd

    from glioma_lib.cohort.manifest import build_manifest
    from glioma_lib.cohort.sources import CohortSources
    from glioma_lib.core.nifti import read_mask
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
            for stored in ("float16", "float32"):
                stored_spec = dataclasses.replace(spec, stored_dtype=stored)
                index = build_cache(manifest, fmt, stored_spec, Path(tmp) / "cache", progress=False)
                size = sum((Path(e) / "image.npy").stat().st_size for e in index["entry"]) / len(index)
                for label, transform in [("cache", None), ("cache+flips", training_augmentation(noise_std=0))]:
                    dataset = MultiTaskDataset(index, fmt, task_labels(manifest, "idh"), transform=transform)
                    loader = make_loader(dataset, batch_size=4, shuffle=True)
                    start, delivered = time.perf_counter(), 0
                    while time.perf_counter() - start < 5:
                        delivered += sum(len(b["image"]) for b in loader)
                    rate = delivered / (time.perf_counter() - start)
                    results.append({"benchmark": "loader", "source": f"{label} ({stored})", "format": name,
                                    "shape": "x".join(map(str, shape)), "volumes_per_s": round(rate, 1),
                                    "mb_per_volume": round(size / 1e6, 2)})  # fmt: skip
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


def _random_batch(shape: tuple[int, int, int], batch: int) -> dict:
    """A loader-like MTL batch of random four-channel volumes with ground-truth masks."""
    from glioma_lib.inputs.dataset import TARGET_KINDS

    return {"image": torch.randn(batch, 4, *shape), "target": torch.randint(0, 4, (batch, *shape), dtype=torch.int8),
            "target_kind": torch.full((batch,), TARGET_KINDS["gt"]),
            "label": torch.tensor([0, 1, -1, 1] * batch)[:batch], "scna": torch.zeros(batch, 0)}  # fmt: skip


def _timed(step, steps: int, device: torch.device, barrier=None) -> float:
    """Seconds for ``steps`` calls of ``step`` after one warm-up call (and compilation); with a
    ``barrier``, timing starts when every process sharing the device has warmed up, so their timed
    windows overlap and the rates add up to an aggregate."""
    step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    if barrier is not None:
        barrier.wait()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def _batched_step_rate(shape: tuple[int, int, int], device: str, mixed: bool, steps: int, trials: int,
                       batch: int = 4) -> float:
    """Aggregate samples/s of ``trials`` MTL trials trained as one stacked model (``training.batched``)."""
    from glioma_lib.models.heads import SubtypeModel
    from glioma_lib.training.batched import StackedTrials
    from glioma_lib.training.config import TrainConfig
    from glioma_lib.training.data import LossWeights

    dev = torch.device(device)
    stacked = StackedTrials([SubtypeModel("mtl", 4, 4).to(dev) for _ in range(trials)],
                            TrainConfig.of_book("idh-all_whole-mtl"))  # fmt: skip
    batches = [_random_batch(shape, batch) for _ in range(trials)]
    generators = [torch.Generator(device=dev).manual_seed(k) for k in range(trials)]
    weights = LossWeights(torch.ones(2, device=dev), torch.ones(4, device=dev), torch.ones(2, device=dev))
    seconds = _timed(lambda: stacked.train_step(batches, generators, weights, dev, mixed), steps, dev)
    return trials * batch * steps / seconds


def _training_step_rate(shape: tuple[int, int, int], device: str, mixed: bool, steps: int, batch: int = 4,
                        compile_model: bool = False, barrier=None) -> float:
    """Samples/s of the trainer's own MTL step (``training.training_step``) on random data."""
    from glioma_lib.models.heads import SubtypeModel
    from glioma_lib.training.data import LossWeights
    from glioma_lib.training.loop import place_model
    from glioma_lib.training.trial import training_step

    dev = torch.device(device)
    model = place_model(SubtypeModel("mtl", 4, 4), dev, mixed)
    step_model = torch.compile(model) if compile_model else model
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-4)
    data = _random_batch(shape, batch)
    weights = LossWeights(torch.ones(2), torch.ones(4), torch.ones(2))
    seconds = _timed(lambda: training_step(step_model, data, optimizer, weights, dev, mixed), steps, dev, barrier)
    return batch * steps / seconds


def _peak_gpu_memory_gb() -> float | None:
    """This process's peak GPU memory (GiB) since the last reset: what PyTorch's allocator held
    (reserved), the figure a job's GPU must offer, plus about 0.5 GiB of CUDA context; None
    without CUDA."""
    return round(torch.cuda.max_memory_reserved() / 2**30, 2) if torch.cuda.is_available() else None


def _with_peak_memory(measure, *args, **kwargs) -> tuple[float, float | None]:
    """``measure(*args, **kwargs)``'s rate and the peak GPU memory it took (in this process)."""
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    return measure(*args, **kwargs), _peak_gpu_memory_gb()


def _concurrent_worker(queue, barrier, shape, device, mixed, steps, threads) -> None:
    torch.set_num_threads(threads)
    queue.put(_with_peak_memory(_training_step_rate, shape, device, mixed, steps, barrier=barrier))


def _concurrent_rate(processes: int, shape, device: str, mixed: bool, steps: int) -> tuple[float, float | None]:
    """Aggregate samples/s of ``processes`` independent trainings sharing the device, and their
    peak GPU memory together (GiB; None without CUDA)."""
    import torch.multiprocessing as mp

    context = mp.get_context("spawn")
    queue, barrier = context.Queue(), context.Barrier(processes)
    # On a CPU the processes split the cores (as the workflow's trainings do); on a GPU each keeps its own.
    threads = max(1, torch.get_num_threads() // processes) if device == "cpu" else torch.get_num_threads()
    workers = [context.Process(target=_concurrent_worker, args=(queue, barrier, shape, device, mixed, steps, threads))
               for _ in range(processes)]  # fmt: skip
    for worker in workers:
        worker.start()
    results = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    peaks = [peak for _, peak in results]
    return float(sum(rate for rate, _ in results)), None if None in peaks else round(sum(peaks), 2)


def bench_train(args) -> list[dict]:
    """Training samples/s at 64^3 and 144^3 (batch 4), in one run so the rows compare: plain fp32
    eager, the project's default path (bf16 autocast with channels-last 3D on CUDA; on a CPU the
    same code as fp32 eager), ``--batched K`` trials as one stacked model and ``--concurrent K``
    independent trainings sharing the device (both aggregates), ``--compile`` a torch.compile variant.
    On CUDA each row has its peak GPU memory (the processes' row: their peaks summed).
    """
    device = choose_device().type
    cuda = device == "cuda"
    rows = []

    def row(variant: str, shape: tuple[int, int, int], measured: tuple[float, float | None]) -> None:
        rate, peak = measured
        rows.append({"benchmark": "train", "variant": variant, "shape": "x".join(map(str, shape)), "batch": 4,
                     "samples_per_s": round(rate, 2), "machine": machine(),
                     **({"peak_gpu_memory_gb": peak} if cuda else {})})  # fmt: skip
        print(f"measured {variant} at {rows[-1]['shape']}: {rate:.2f} samples/s", file=sys.stderr, flush=True)

    for shape in [tuple(s) for s in (args.shape or [[64, 64, 64], [144, 144, 144]])]:
        row("fp32 eager, one trial", shape, _with_peak_memory(_training_step_rate, shape, device, False, args.steps))
        default = ("default path (bf16 autocast + channels-last), one trial" if cuda
                   else "default path (on a CPU: fp32 eager), one trial")
        row(default, shape, _with_peak_memory(_training_step_rate, shape, device, cuda, args.steps))
        if args.compile:
            row("torch.compile" + (" + bf16" if cuda else ""), shape,
                _with_peak_memory(_training_step_rate, shape, device, cuda, args.steps, compile_model=True))
        if args.batched > 1:
            row(f"{args.batched} trials batched in one model (aggregate)", shape,
                _with_peak_memory(_batched_step_rate, shape, device, cuda, args.steps, args.batched))
        if args.concurrent > 1:
            row(f"{args.concurrent} processes (aggregate)", shape,
                _concurrent_rate(args.concurrent, shape, device, cuda, args.steps))
    return rows


def bench_weak(args) -> list[dict]:
    """Teacher inference volumes/s (whole brain, four channels, no gradients) at each shape."""
    from glioma_lib.models.espnet import ESPNet3D

    device = choose_device()
    model = ESPNet3D(4, 4).to(device).eval()
    rows = []
    for shape in [tuple(s) for s in (args.shape or [[48, 48, 48], [144, 144, 144]])]:  # default and paper profiles
        image = torch.randn(2, 4, *shape, device=device)
        with torch.no_grad():
            model(image)
            start = time.perf_counter()
            for _ in range(args.steps):
                model(image)
            if device.type == "cuda":
                torch.cuda.synchronize()
        rate = 2 * args.steps / (time.perf_counter() - start)
        rows.append({"benchmark": "weak-label inference", "shape": "x".join(map(str, shape)), "batch": 2,
                     "volumes_per_s": round(rate, 2), "machine": machine()})  # fmt: skip
    return rows


def accuracy_check(device: str | None = None, n_mr: int = 400, crop: int = 16, updates: int = 160, trials: int = 3,
                   seed: int = 0) -> dict:
    """Does the fast path lose accuracy? On one synthetic cohort, with the same seeds and budget,
    CNN IDH trials trained as plain fp32 eager sequential trials and on the default fast path
    (batched trials; bf16 autocast with channels-last on CUDA): their honest AUCs and the paired
    bootstrap CI of the difference, on the same validation patients."""
    import pandas as pd

    from glioma_lib.cohort.manifest import build_manifest
    from glioma_lib.cohort.sources import CohortSources
    from glioma_lib.core.layout import TrainingRun
    from glioma_lib.core.metrics import paired_auc_difference
    from glioma_lib.inputs.cache import build_cache
    from glioma_lib.inputs.formats import FORMATS
    from glioma_lib.inputs.preprocess import PreprocessSpec
    from glioma_lib.training.config import TrainConfig
    from glioma_lib.training.run import train_run

    device = device or choose_device().type
    with tempfile.TemporaryDirectory() as tmp:
        cohort = PhantomConfig(n_mr=n_mr, n_scna_only=0, shape=(48, 48, 32), seg_fraction=1.0, seed=seed)
        cohort_dir = generate(Path(tmp) / "c", cohort, progress=False, workers=min(8, os.cpu_count() or 1))
        manifest, _ = build_manifest(CohortSources.phantom(cohort_dir),
                                     validation_fraction=0.5, seed=seed)  # fmt: skip
        index = build_cache(manifest, FORMATS["t1ce"], PreprocessSpec(shape=(crop,) * 3), Path(tmp) / "cache",
                            progress=False)  # fmt: skip
        ensembles, configs = {}, {}
        for name, fast in [("fp32 eager", False), ("fast path", True)]:
            config = TrainConfig.of_book("idh-t1ce-cnn", updates=updates, evaluations=4, evaluate_from=0.5,
                                         trials=trials, seed=seed, device=device, mixed_precision=fast,
                                         batch_trials=fast, bootstrap=200, shape=[crop] * 3)  # fmt: skip
            train_run(manifest, index, config, Path(tmp) / name.replace(" ", "_"), show_progress=False)
            predictions = pd.read_parquet(TrainingRun(Path(tmp) / name.replace(" ", "_")).validation_predictions)
            ensembles[name] = predictions.groupby("patient_id").agg(label=("label", "first"),
                                                                    probability=("probability", "mean"))
            configs[name] = config.model_dump(include={"mixed_precision", "batch_trials"})
    a, b = ensembles["fast path"], ensembles["fp32 eager"].loc[ensembles["fast path"].index]
    result = paired_auc_difference(a["label"].to_numpy(), a["probability"].to_numpy(), b["probability"].to_numpy(),
                                   1000, seed)  # fmt: skip
    return {"benchmark": "accuracy", "fast_path_auc": round(result.value_a, 3),
            "fp32_eager_auc": round(result.value_b, 3), "difference": round(result.difference, 3),
            "ci95": [round(result.ci_low, 3), round(result.ci_high, 3)],
            "same_within_ci": bool(result.ci_low <= 0 <= result.ci_high), "n_validation": int(len(a)),
            "settings": configs, "device": device, "machine": machine()}  # fmt: skip


def bench_gpu_check(args) -> list[dict]:
    """The GPU check, one prepared command (``glioma bench gpu-check --out gpu_check.json``): the
    training rows at 64^3 and 144^3 (fp32 eager, the default path, 4 batched trials, 4 processes)
    and the accuracy comparison of the fast path with fp32 eager."""
    import argparse

    if not torch.cuda.is_available():
        raise SystemExit("gpu-check needs a CUDA device (its 144^3 rows would take hours on a CPU); on a CPU use "
                         "`glioma bench train --shape 16 16 16 --batched 3 --concurrent 3`")
    rows = bench_train(argparse.Namespace(shape=args.shape or [[64, 64, 64], [144, 144, 144]], steps=args.steps,
                                          compile=args.compile, batched=args.batched or 4,
                                          concurrent=args.concurrent or 4))  # fmt: skip
    return [*rows, accuracy_check()]
