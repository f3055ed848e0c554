"""What the paper's grid would cost, extrapolated from a measured run (``glioma costs``).

A small run at the paper's shapes (the ``rehearsal`` profile) measures, on the machine it ran on,
what each unit of work costs: generating a subject (its cohort step's wall time), caching a
subject in a format (each cache entry records its build time), one teacher epoch over one
volume (the teacher's curve records each epoch's time) and writing one subject's weak mask (the
rest of the teacher's step). The table multiplies each by the units the target grid needs (by
default the ``paper`` profile with the paper's 542 MR subjects): hours on the measuring machine's
CPU, the cache's size on disk, and GPU hours for the trainings, from a GPU's measured rates
(``glioma bench gpu-check --out gpu_check.json``) when given, else from the reference rates in
``core.cost_model``. Formats the run did not cache cost what the format of the same shape cost
(every format reads all four modalities) and take disk space in proportion to their channels.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from glioma_lib.config.load import load_config
from glioma_lib.config.schema import AnalysisConfig
from glioma_lib.core import paper_values
from glioma_lib.core.cost_model import REFERENCE_SAMPLES_PER_S, STEP_COST
from glioma_lib.core.errors import InputDataError
from glioma_lib.core.layout import RunLayout
from glioma_lib.inputs.cache import cache_entries
from glioma_lib.inputs.formats import get_format
from glioma_lib.pipeline.costs import step_costs

PAPER_SUBJECTS = paper_values.MR_SUBJECTS
COLUMNS = ["item", "unit", "measured_per_unit", "units", "total", "total_unit", "basis"]


@dataclass
class MeasuredRun:
    """The unit costs a finished run measured (seconds on its machine; bytes per voxel)."""

    subjects: int
    cohort_seconds_per_subject: float
    cache_seconds: dict[tuple[int, ...], float]  # shape -> seconds to cache one subject in one format
    image_bytes_per_channel_voxel: float
    label_bytes_per_voxel: float
    teacher_seconds_per_volume: float  # one epoch over one volume, at the teacher's shape
    teacher_share: float  # the share of MR subjects the teacher trained on
    weak_seconds_per_subject: float  # the teacher step's remaining time (inference, Dice), per subject


def measure_run(layout: RunLayout) -> MeasuredRun:
    """The unit costs of a finished run (its benchmarks, cache entries and teacher curve)."""
    config = AnalysisConfig.model_validate(yaml.safe_load(layout.resolved_config.read_text()))
    costs = step_costs(layout).set_index("step")
    missing = {"01_data_curation", "02_weak_labelling"} - set(costs.index)
    if missing or not layout.teacher_curve.exists():
        raise InputDataError(f"{layout.root} lacks the records of {sorted(missing) or 'the teacher curve'}: run "
                                "its workflow to the end first (`glioma run --profile rehearsal`)")
    metas = [entry.meta() for entry in cache_entries(layout.cache)]
    timed = [m for m in metas if "build_seconds" in m]
    if not timed:
        raise InputDataError(f"no cache entry under {layout.cache} records its build time")
    entries = pd.DataFrame([{"shape": tuple(m["spec"]["shape"]), "seconds": m["build_seconds"],
                             "teacher_input": m["format"] == "all_whole" and m["mask_kind"] != "weak",
                             "image_bytes": m["bytes"]["image.npy"], "label_bytes": m["bytes"].get("labels.npy", 0),
                             "voxels": math.prod(m["spec"]["shape"]), "channels": len(m["channels"])} for m in timed])
    labelled = entries[entries["label_bytes"] > 0]
    curve = pd.read_csv(layout.teacher_curve)
    subjects = config.cohort.n_mr
    teacher_seconds = float(curve["seconds"].sum())
    teacher_shape = tuple(config.weak_labels.shape)
    at_teacher_shape = entries["shape"].map(lambda shape: shape == teacher_shape)
    teacher_cache = entries.loc[at_teacher_shape & entries["teacher_input"], "seconds"].sum()
    return MeasuredRun(
        subjects=subjects,
        cohort_seconds_per_subject=float(costs.at["01_data_curation", "seconds"]) / subjects,
        cache_seconds=entries.groupby("shape")["seconds"].mean().to_dict(),
        image_bytes_per_channel_voxel=float(entries["image_bytes"].sum()
                                            / (entries["voxels"] * entries["channels"]).sum()),
        label_bytes_per_voxel=float(labelled["label_bytes"].sum() / max(labelled["voxels"].sum(), 1)),
        teacher_seconds_per_volume=teacher_seconds / max(float(curve["volumes"].sum()), 1.0),
        teacher_share=float(curve["volumes"].iloc[0]) / subjects,
        weak_seconds_per_subject=max(0.0, float(costs.at["02_weak_labelling", "seconds"]) - teacher_seconds
                                     - teacher_cache) / subjects,
    )  # fmt: skip


def gpu_rates(gpu_check: Path | None) -> tuple[dict[tuple[int, ...], float], str]:
    """MTL training samples/s by shape: a GPU check's batched-trial rows, else the reference rates."""
    if gpu_check is None:
        return dict(REFERENCE_SAMPLES_PER_S), "reference rates (H200, fp32 eager; core.cost_model), not measured here"
    rows = [r for r in json.loads(Path(gpu_check).read_text()) if r.get("benchmark") == "train"]
    batched = [r for r in rows if "batched" in r["variant"]] or rows
    rates = {tuple(int(v) for v in r["shape"].split("x")): float(r["samples_per_s"]) for r in batched}
    return rates, f"measured: {batched[0]['variant']} on {batched[0]['machine']} ({gpu_check})"


def extrapolated_costs(measured: MeasuredRun, target: AnalysisConfig, subjects: int = PAPER_SUBJECTS,
                       gpu_check: Path | None = None) -> pd.DataFrame:
    """The target grid's costs, item by item (see the module's docstring).

    Args:
        measured: the unit costs of a finished run (:func:`measure_run`).
        target: the grid to cost (its runs, trials, updates, shapes, teacher epochs).
        subjects: the target's MR subjects.
        gpu_check: a ``glioma bench gpu-check --out`` JSON whose rates replace the reference rates.
    """
    rows = []

    def row(item: str, unit: str, per_unit: float, units: float, scale: float, total_unit: str, basis: str):
        rows.append({"item": item, "unit": unit, "measured_per_unit": per_unit, "units": units,
                     "total": per_unit * units / scale, "total_unit": total_unit, "basis": basis})  # fmt: skip

    hours = 3600.0
    row("cohort (phantom generation)", "subject", measured.cohort_seconds_per_subject, subjects, hours, "CPU h",
        "the cohort step's wall time per MR subject")
    runs = [target.training.for_run(r) for r in target.training.runs()]
    cached = {(s.input_format, tuple(s.shape)) for s in runs} | {("all_whole", tuple(target.weak_labels.shape))}
    for name, shape in sorted(cached):
        per_subject = measured.cache_seconds.get(shape, max(measured.cache_seconds.values()))
        row(f"cache {name} {'x'.join(map(str, shape))}", "subject", per_subject, subjects, hours, "CPU h",
            "entries' build time" if shape in measured.cache_seconds else "build time of the largest measured shape")
        voxels = math.prod(shape)
        volume = voxels * (get_format(name).n_channels * measured.image_bytes_per_channel_voxel
                           + measured.label_bytes_per_voxel)  # every subject counted with a mask: an upper bound
        row(f"cache {name} {'x'.join(map(str, shape))} on disk", "subject", volume / 1e6, subjects, 1e3, "GB",
            "measured bytes per image channel-voxel and per label voxel")
    teacher = target.weak_labels
    row(f"teacher training ({teacher.teacher_epochs} epochs)", "volume-epoch", measured.teacher_seconds_per_volume,
        teacher.teacher_epochs * measured.teacher_share * subjects, hours, "CPU h",
        "the teacher curve's epoch time per volume; teacher patients in the measured share")
    row("weak masks and Dice", "subject", measured.weak_seconds_per_subject, subjects, hours, "CPU h",
        "the teacher step's remaining time per subject")
    rates, basis = gpu_rates(gpu_check)
    for shape in sorted({tuple(s.shape) for s in runs}):
        at_shape = [s for s in runs if tuple(s.shape) == shape]
        samples = sum(s.trials * s.updates * s.volumes_per_step * STEP_COST[s.model] for s in at_shape)
        rate = rates.get(shape) or _rate_by_voxels(rates, shape)
        row(f"training {len(at_shape)} runs at {'x'.join(map(str, shape))}", "MTL-equivalent sample", 1 / rate,
            samples, hours, "GPU h", f"{basis}; CNN samples count {STEP_COST['cnn']} of an MTL one")
    return pd.DataFrame(rows, columns=COLUMNS)


def _rate_by_voxels(rates: dict[tuple[int, ...], float], shape: tuple[int, ...]) -> float:
    """A rate at an unmeasured shape: the nearest measured shape's, scaled by voxels."""
    nearest = min(rates, key=lambda s: abs(math.prod(s) - math.prod(shape)))
    return rates[nearest] * math.prod(nearest) / math.prod(shape)


def cost_table(run_dir: str | Path, target: str = "paper", subjects: int = PAPER_SUBJECTS,
               gpu_check: Path | None = None) -> pd.DataFrame:
    """``glioma costs``: a finished run's measured unit costs scaled to ``target``'s grid."""
    measured = measure_run(RunLayout(run_dir))
    return extrapolated_costs(measured, AnalysisConfig.model_validate(load_config(target)), subjects, gpu_check)


def summary_lines(table: pd.DataFrame, subjects: int) -> list[str]:
    """The table as Markdown, then the totals per kind (CPU h, GB, GPU h)."""
    lines = [f"Extrapolated to {subjects} MR subjects:", "",
             "| item | per unit | units | total | basis |", "|---|---|---|---|---|"]
    for r in table.itertuples():
        lines.append(f"| {r.item} | {r.measured_per_unit:.3g} {'MB' if r.total_unit == 'GB' else 's'} per {r.unit} "
                     f"| {r.units:,.0f} | {r.total:,.1f} {r.total_unit} | {r.basis} |")
    totals = table.groupby("total_unit")["total"].sum()
    return [*lines, "", "totals: " + ", ".join(f"{v:,.1f} {k}" for k, v in totals.items())]
