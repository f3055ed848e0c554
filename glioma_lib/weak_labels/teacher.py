"""Weak labelling: a 3D-ESPNet teacher and weak whole-tumour masks for scans without ground truth.

No pretrained BraTS segmenter can be downloaded here, so the project trains its own teacher on
the training-split patients with ground-truth masks (whole-brain, four channels), holding some
of them out to measure its Dice; a user's state-dict checkpoint can replace it. Weak masks are
written as NIfTI in the run's derived-data folder, in each subject's own geometry and affine,
never beside the user's inputs; a patient whose prediction is empty is flagged, not given an
empty mask. The run is resumable: finished patients are skipped.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from tqdm import tqdm

from glioma_lib.core import paper_values
from glioma_lib.core.atomic import as_json, atomic_path, retire_dir, write_json, write_table
from glioma_lib.core.cost_model import TEACHER_BATCH
from glioma_lib.core.errors import InputDataError
from glioma_lib.core.layout import RunLayout, weak_mask_file
from glioma_lib.core.metrics import dice, region_dice
from glioma_lib.core.naming import REGIONS
from glioma_lib.core.nifti import load_volume, read_mask, to_brats2018_labels
from glioma_lib.inputs.augment import training_augmentation
from glioma_lib.inputs.cache import CacheEntry, build_entry
from glioma_lib.inputs.dataset import MultiTaskDataset, make_loader
from glioma_lib.inputs.formats import FORMATS
from glioma_lib.inputs.preprocess import PreprocessSpec
from glioma_lib.models.checkpoint import read_checkpoint, save_checkpoint
from glioma_lib.models.espnet import ESPNet3D
from glioma_lib.models.losses import enet_class_weights, multitask_loss
from glioma_lib.training.loop import (
    TEACHER_STREAM,
    augments_on_device,
    autocast,
    batch_on_device,
    choose_device,
    model_device,
    optimiser_step,
    place_model,
    seed_stretch,
    uses_mixed_precision,
)

TEACHER_FORMAT = FORMATS["all_whole"]


def teacher_spec(shape: list[int] | tuple[int, ...]) -> PreprocessSpec:
    """The teacher's preprocessing: whole-brain volumes of ``shape`` (no tumour box, so the margin
    and the empty-mask policy never apply)."""
    return PreprocessSpec(shape=tuple(shape))
INFERENCE_BATCH = 4  # whole-brain volumes per forward pass when writing weak masks and scoring Dice
PUBLISHED_WT_DICE = paper_values.WT_DICE
TEACHER_METADATA = {"kind": "segmentation", "input_format": TEACHER_FORMAT.name,
                    "channels": list(TEACHER_FORMAT.channels), "classes": ["background", "necrosis/non-enhancing core",
                                                                           "oedema", "enhancing"]}  # fmt: skip


class TeacherMismatch(ValueError):
    """A checkpoint that is not a four-channel, four-class 3D-ESPNet state dict."""


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_teacher(path: str | Path) -> ESPNet3D:
    """A teacher from a state-dict checkpoint (loaded with ``weights_only=True``)."""
    try:
        state = read_checkpoint(path)
    except Exception as exc:
        raise TeacherMismatch(f"cannot read teacher checkpoint {path}: {exc}") from exc
    state = state.get("model", state) if isinstance(state, dict) else state
    model = ESPNet3D(in_channels=TEACHER_FORMAT.n_channels, n_classes=4)
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    wrong = [f"{k}: {tuple(state[k].shape)} vs {tuple(own[k].shape)}" for k in own
             if k in state and state[k].shape != own[k].shape]  # fmt: skip
    if missing or unexpected or wrong:
        details = "; ".join(filter(None, [
            f"missing {missing[:3]}{'...' if len(missing) > 3 else ''}" if missing else "",
            f"unexpected {unexpected[:3]}{'...' if len(unexpected) > 3 else ''}" if unexpected else "",
            f"shape mismatch {wrong[:3]}" if wrong else "",
        ]))  # fmt: skip
        raise TeacherMismatch(
            f"checkpoint {path} is not a 3D-ESPNet with 4 input channels (T1, T1ce, T2, FLAIR) and 4 classes: "
            f"{details}")
    model.load_state_dict(state)
    return model


def teacher_split(manifest: pd.DataFrame, held_out_fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """Training-split patients with ground truth: (teacher training, held out for Dice)."""
    gt = sorted(manifest.loc[(manifest["split"] == "train") & manifest["has_seg_gt"], "patient_id"])
    rng = np.random.default_rng(seed)
    rng.shuffle(gt)
    n_out = max(1, int(round(held_out_fraction * len(gt)))) if len(gt) > 1 else 0
    return sorted(gt[n_out:]), sorted(gt[:n_out])


def train_teacher(index: pd.DataFrame, patients: list[str], out: str | Path, epochs: int, seed: int = 0,
                  batch_size: int = TEACHER_BATCH, lr: float = 2e-3, progress: bool = True, device: str = "auto",
                  mixed_precision: bool = True) -> pd.DataFrame:
    """Train a four-class segmenter on ``patients`` with the subtype models' loop (device, bf16 on
    CUDA, seeding); writes ``out`` (weights and what they expect) and returns the loss curve."""
    torch.manual_seed(seed)
    part = index[index["patient_id"].isin(patients) & (index["mask_kind"] == "gt")]
    if len(part) < batch_size:
        raise InputDataError(f"the teacher's training split has {len(part)} patients with ground-truth masks, "
                             f"fewer than one batch of {batch_size}, so the teacher would train on nothing; give a "
                             "teacher checkpoint (`-p checkpoint PATH`) or more ground-truth masks")  # fmt: skip
    chosen = choose_device(device)
    mixed = uses_mixed_precision(chosen, mixed_precision)
    labels = pd.Series(-1, index=part["patient_id"])
    dataset = MultiTaskDataset(part, TEACHER_FORMAT, labels, transform=training_augmentation(), seed=seed,
                               augment_on_device=augments_on_device(chosen))  # fmt: skip
    counts = np.zeros(4)
    for row in part.itertuples():
        counts += np.bincount(np.asarray(CacheEntry(row.entry).arrays()[1]).ravel(), minlength=4)[:4]
    weights = enet_class_weights(counts).to(chosen)
    unused = torch.ones(2, device=chosen)  # no classification or weak targets in a teacher batch
    model = place_model(ESPNet3D(TEACHER_FORMAT.n_channels, 4), chosen, mixed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    curve = []
    for epoch in tqdm(range(epochs), desc="teacher epochs", disable=not progress):
        dataset.set_epoch(epoch)
        epoch_seed = seed_stretch(seed, epoch, TEACHER_STREAM)
        model.train()
        losses, started = [], time.perf_counter()
        for batch in make_loader(dataset, batch_size, shuffle=True, seed=epoch_seed, drop_last=True):
            batch = batch_on_device(batch, chosen, mixed)
            with autocast(chosen, mixed):
                seg = model(batch["image"])
            parts = multitask_loss(torch.zeros(len(seg), 2, device=chosen), batch["label"], unused, seg.float(),
                                   batch["target"], batch["target_kind"], weights, unused)  # fmt: skip
            optimiser_step(parts.total, optimizer)
            losses.append(parts.total.item())
        curve.append({"epoch": epoch, "loss": float(np.mean(losses)) if losses else np.nan,
                      "volumes": len(losses) * batch_size, "seconds": time.perf_counter() - started})
        if progress:
            print(f"teacher epoch {epoch + 1}/{epochs}: loss {curve[-1]['loss']:.3f}", flush=True)
    save_checkpoint(out, model={k: v.cpu() for k, v in model.state_dict().items()}, metadata=TEACHER_METADATA)
    return pd.DataFrame(curve)


@torch.no_grad()
def predict_labels(model: ESPNet3D, entries: list[CacheEntry], references: list[nib.Nifti1Image]) -> list[np.ndarray]:
    """Four-class internal labels of a batch of whole-brain volumes, each back in its subject's
    original grid (the cache entry's crop and resize undone); one forward pass, no gradients."""
    model.eval()
    images = torch.stack([torch.from_numpy(entry.arrays()[0]) for entry in entries]).to(model_device(model))
    logits = model(images).float().cpu()
    out = []
    for entry, reference, item in zip(entries, references, logits, strict=True):
        box = [slice(a, b) for a, b in entry.meta()["box"]]
        resized = F.interpolate(item[None], size=[s.stop - s.start for s in box], mode="trilinear",
                                align_corners=False)  # fmt: skip
        labels = np.zeros(reference.shape, dtype=np.uint8)
        labels[tuple(box)] = resized[0].argmax(0).numpy().astype(np.uint8)
        out.append(labels)
    return out


def _batches(rows: list, size: int = INFERENCE_BATCH):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def write_weak_masks(model: ESPNet3D, manifest: pd.DataFrame, spec: PreprocessSpec, layout: RunLayout,
                     teacher_path: Path, progress: bool = True, batch_size: int = INFERENCE_BATCH) -> pd.DataFrame:
    """Weak masks (four-class and whole-tumour) for every MR patient without ground truth, in the run
    folder's ``derived/weak_masks``; resumes, flags empty predictions.

    Masks made by another teacher or at another preprocessing (per the folder's record) are retired
    first, never resumed.
    """
    weak_dir, record = layout.weak_masks, layout.weak_masks_record
    if record.exists():
        made_with = json.loads(record.read_text())
        if (made_with.get("teacher_sha256"), made_with.get("spec")) != (file_sha256(teacher_path),
                                                                          as_json(spec.key_fields())):
            retire_dir(weak_dir)
    weak_dir.mkdir(parents=True, exist_ok=True)
    rows, todo = [], []
    for _, row in manifest[manifest["has_mr"] & ~manifest["has_seg_gt"]].iterrows():
        four, binary, flag = (weak_mask_file(weak_dir, row["patient_id"], kind) for kind in ("four", "wt", "empty"))
        if (four.exists() and binary.exists()) or flag.exists():
            rows.append({"patient_id": row["patient_id"], "empty": flag.exists(), "resumed": True})
        else:
            todo.append(row)
    with tqdm(total=len(todo), desc="weak masks", disable=not progress) as bar:
        for batch in _batches(todo, batch_size):
            entries = [build_entry(row, TEACHER_FORMAT, spec, layout.cache)[0] for row in batch]
            references = [load_volume(row["path_t1"], row["patient_id"]) for row in batch]
            for row, reference, labels in zip(batch, references, predict_labels(model, entries, references),
                                              strict=True):  # fmt: skip
                patient = row["patient_id"]
                four, binary, flag = (weak_mask_file(weak_dir, patient, kind) for kind in ("four", "wt", "empty"))
                empty = not labels.any()
                if empty:
                    flag.write_text("the teacher predicted no tumour\n")
                else:
                    for path, data in [(four, to_brats2018_labels(labels)), (binary, (labels > 0).astype(np.uint8))]:
                        with atomic_path(path) as tmp:
                            nib.save(nib.Nifti1Image(data, reference.affine, reference.header), tmp)
                rows.append({"patient_id": patient, "empty": empty, "resumed": False})
            bar.update(len(batch))
    table = pd.DataFrame(rows, columns=["patient_id", "empty", "resumed"])
    write_table(table, layout.weak_masks_table)
    write_json({"teacher": str(teacher_path), "teacher_sha256": file_sha256(teacher_path),
                "input_format": TEACHER_FORMAT.name, "spec": spec.key_fields(), "patients": len(table),
                "empty_predictions": int(table["empty"].sum()),
                "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")},
               record)  # fmt: skip
    return table


def quality_row(patient: str, reference: str, predicted: np.ndarray, truth: np.ndarray) -> dict:
    """One row of the teacher's quality table: Dice for WT, TC and ET of ``predicted`` against
    ``truth`` (internal labels), and what an all-background mask would score."""
    return {"patient_id": patient, "reference": reference, **region_dice(predicted, truth),
            "dice_all_background_WT": dice(np.zeros_like(truth), truth, REGIONS["WT"])}  # fmt: skip


def dice_table(model: ESPNet3D, manifest: pd.DataFrame, patients: list[str], spec: PreprocessSpec,
               cache_dir: Path, masks: dict[str, str], source: str) -> pd.DataFrame:
    """Dice for WT, TC and ET of the teacher against ``masks`` (patient -> mask path)."""
    rows = []
    by_id = manifest.set_index("patient_id", drop=False)
    for batch in _batches(list(patients)):
        entries = [build_entry(by_id.loc[p], TEACHER_FORMAT, spec, cache_dir)[0] for p in batch]
        references = [load_volume(by_id.loc[p, "path_t1"], p) for p in batch]
        for patient, predicted in zip(batch, predict_labels(model, entries, references), strict=True):
            rows.append(quality_row(patient, source, predicted, read_mask(masks[patient], patient)))
    return pd.DataFrame(rows)
