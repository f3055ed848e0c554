"""Benchmarks (``glioma bench ...``): speed figures for the README, never timed tests."""

from __future__ import annotations

import platform
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


def _training_step_rate(shape: tuple[int, int, int], device: str, mixed: bool, steps: int, batch: int = 4,
                        compile_model: bool = False, barrier=None) -> float:
    """Samples/s of the trainer's own MTL step (``training.training_step``) on random data.

    With a ``barrier``, timing starts when every process sharing the device has warmed up, so
    their timed windows overlap and the rates add up to an aggregate.
    """
    from glioma_lib.inputs.dataset import TARGET_KINDS
    from glioma_lib.models.heads import SubtypeModel
    from glioma_lib.training.loop import place_model
    from glioma_lib.training.run import training_step

    dev = torch.device(device)
    model = place_model(SubtypeModel("mtl", 4, 4), dev, mixed)
    step_model = torch.compile(model) if compile_model else model
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-4)
    data = {"image": torch.randn(batch, 4, *shape), "target": torch.randint(0, 4, (batch, *shape), dtype=torch.int8),
            "target_kind": torch.full((batch,), TARGET_KINDS["gt"]), "label": torch.tensor([0, 1, -1, 1][:batch])}
    weights = (torch.ones(2), torch.ones(4), torch.ones(2))

    def step() -> None:
        training_step(step_model, data, optimizer, weights, dev, mixed)

    step()  # warm-up (and compilation)
    if dev.type == "cuda":
        torch.cuda.synchronize()
    if barrier is not None:
        barrier.wait()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    return batch * steps / (time.perf_counter() - start)


def _concurrent_worker(queue, barrier, shape, device, mixed, steps, threads) -> None:
    torch.set_num_threads(threads)
    queue.put(_training_step_rate(shape, device, mixed, steps, barrier=barrier))


def _concurrent_rate(processes: int, shape, device: str, mixed: bool, steps: int) -> float:
    """Aggregate samples/s of ``processes`` independent trainings sharing the device."""
    import torch.multiprocessing as mp

    context = mp.get_context("spawn")
    queue, barrier = context.Queue(), context.Barrier(processes)
    # On a CPU the processes split the cores (as the workflow's trainings do); on a GPU each keeps its own.
    threads = max(1, torch.get_num_threads() // processes) if device == "cpu" else torch.get_num_threads()
    workers = [context.Process(target=_concurrent_worker, args=(queue, barrier, shape, device, mixed, steps, threads))
               for _ in range(processes)]  # fmt: skip
    for worker in workers:
        worker.start()
    rates = [queue.get() for _ in workers]
    for worker in workers:
        worker.join()
    return float(sum(rates))


def bench_train(args) -> list[dict]:
    """Training samples/s at 64^3 and 144^3 (batch 4): plain fp32 eager vs the project's default path.

    The default path is bf16 autocast with channels-last 3D on CUDA; on a CPU the two are the
    same code, so the figure is reported once. ``--compile`` adds a torch.compile variant, and
    ``--concurrent K`` the aggregate rate of K independent trainings sharing the device (the
    paper's grid is many independent trainings).
    """
    device = choose_device().type
    rows = []
    for shape in [tuple(s) for s in (args.shape or [[64, 64, 64], [144, 144, 144]])]:
        mixed = device == "cuda"
        variants = [("fp32 eager", False, False)]
        if mixed:
            variants.append(("bf16 autocast + channels-last", True, False))
        if args.compile:
            variants.append(("torch.compile" + (" + bf16" if mixed else ""), mixed, True))
        for name, use_mixed, compiled in variants:
            rate = _training_step_rate(shape, device, use_mixed, args.steps, compile_model=compiled)
            rows.append({"benchmark": "train", "variant": name, "shape": "x".join(map(str, shape)), "batch": 4,
                         "samples_per_s": round(rate, 2), "machine": machine()})  # fmt: skip
        if getattr(args, "concurrent", 0) and args.concurrent > 1:
            rate = _concurrent_rate(args.concurrent, shape, device, mixed, args.steps)
            rows.append({"benchmark": "train", "variant": f"{args.concurrent} concurrent trainings (aggregate)",
                         "shape": "x".join(map(str, shape)), "batch": 4, "samples_per_s": round(rate, 2),
                         "machine": machine()})  # fmt: skip
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
