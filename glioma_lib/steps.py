"""The pipeline's steps as functions of a run folder: what each notebook calls to do its work."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, replace
from pathlib import Path

import pandas as pd

from glioma_lib.atomic import as_json, atomic_path, write_json, write_table
from glioma_lib.bundle import PREPROCESSING_FILE
from glioma_lib.cohort.manifest import load_scna, read_manifest
from glioma_lib.cohort.prepare import load_sources
from glioma_lib.inputs.cache import build_cache
from glioma_lib.inputs.formats import get_format
from glioma_lib.inputs.preprocess import PreprocessSpec
from glioma_lib.inputs.scna import ScnaPCA
from glioma_lib.layout import RunLayout
from glioma_lib.metrics import PAIRED_COLUMNS
from glioma_lib.naming import parse_run_name, run_name
from glioma_lib.training import TrainConfig, train_run


def scna_embedding(layout: RunLayout, n_components: int = 50) -> pd.DataFrame | None:
    """SCNA principal components of every SCNA patient (PCA fitted without validation patients; the
    fit is saved to ``derived/scna_pca.npz`` and replaced whenever the dimension or patients change)."""
    manifest = read_manifest(layout.manifest)
    scna = load_scna(load_sources(layout.cohort))
    if scna is None:
        return None
    pca = ScnaPCA.fit(scna, manifest, n_components)  # deterministic and cheap: the saved copy is provenance
    if not layout.scna_pca.exists() or not ScnaPCA.load(layout.scna_pca).same_as(pca):
        pca.save(layout.scna_pca)
    scores = pca.transform(scna)
    ids = manifest.dropna(subset=["tcga_id"]).set_index("tcga_id")["patient_id"]
    scores = scores[scores.index.isin(ids.index)]
    scores.index = ids.loc[scores.index].to_numpy()
    return scores


def cache_format(layout: RunLayout, input_format: str, spec: PreprocessSpec, progress: bool = True) -> pd.DataFrame:
    """Build (or reuse) the cache of one format; the index is saved beside the cache."""
    manifest = read_manifest(layout.manifest)
    weak_dir = layout.weak_masks if layout.weak_masks.exists() else None
    index = build_cache(manifest, get_format(input_format), spec, layout.cache, weak_dir, progress)
    return index


def subtype_training(layout: RunLayout, config: TrainConfig, spec: PreprocessSpec, pca_dim: int = 50,
                     progress: bool = True, restart: bool = False) -> Path:
    """Train one (task, format, model, SCNA, labelled limit) run; returns its folder.

    ``restart`` discards checkpoints made with other settings instead of stopping on them.
    """
    out_dir = layout.train(config.task, config.input_format, config.model, config.use_scna, config.labelled_limit)
    manifest = read_manifest(layout.manifest)
    index = cache_format(layout, config.input_format, spec, progress)
    scna = scna_embedding(layout, pca_dim) if config.use_scna else None
    teacher = layout.teacher / "teacher.pt"
    if config.init_from_teacher and config.teacher_checkpoint is None and teacher.exists():
        config = replace(config, teacher_checkpoint=str(teacher))
    out_dir.mkdir(parents=True, exist_ok=True)
    write_table(index, out_dir / "cache_index.csv")  # crops and fallbacks, per patient
    write_json(spec.key_fields(), out_dir / PREPROCESSING_FILE)  # what inference on a new patient repeats
    train_run(manifest, index, config, out_dir, scna, progress, restart)
    return out_dir


def weak_labelling(layout: RunLayout, spec: PreprocessSpec, teacher_epochs: int, checkpoint: str | None = None,
                   held_out_fraction: float = 0.25, seed: int = 0, teacher_lr: float = 2e-3,
                   progress: bool = True) -> dict:
    """Teacher (trained or given), weak masks for every scan without ground truth, and Dice tables."""
    from glioma_lib.weak_labels import (
        TEACHER_FORMAT,
        dice_table,
        file_sha256,
        load_teacher,
        teacher_split,
        train_teacher,
        write_weak_masks,
    )

    manifest = read_manifest(layout.manifest)
    layout.teacher.mkdir(parents=True, exist_ok=True)
    teacher_path = layout.teacher / "teacher.pt"
    train_ids, held_out = teacher_split(manifest, held_out_fraction, seed)
    if checkpoint:
        model = load_teacher(checkpoint)  # validates before anything is written
        settings = {"checkpoint_sha256": file_sha256(checkpoint), "spec": spec.key_fields()}
        held_out = sorted(manifest.loc[manifest["has_seg_gt"], "patient_id"])  # it saw none of ours
    else:
        settings = {"epochs": teacher_epochs, "seed": seed, "lr": teacher_lr, "spec": spec.key_fields(),
                    "patients": train_ids}  # fmt: skip
    settings = as_json(settings)
    settings_path = layout.teacher / "settings.json"
    made_with = json.loads(settings_path.read_text()) if settings_path.exists() else None
    stale = made_with != settings or not teacher_path.exists()  # a teacher made otherwise is never reused
    if stale and checkpoint:
        with atomic_path(teacher_path) as tmp:
            shutil.copyfile(checkpoint, tmp)
    elif stale:
        index = build_cache(manifest, TEACHER_FORMAT, spec, layout.cache, None, progress)
        curve = train_teacher(index, train_ids, teacher_path, teacher_epochs, seed, lr=teacher_lr,
                              progress=progress)
        write_table(curve, layout.teacher / "curve.csv")
    write_json(settings, settings_path)
    model = load_teacher(teacher_path)
    weak = write_weak_masks(model, manifest, spec, layout.cache, layout.weak_masks, teacher_path, progress)
    by_id = manifest.set_index("patient_id")
    tables = [dice_table(model, manifest, held_out, spec, layout.cache, by_id["path_seg"].to_dict(),
                         "ground truth, held out from the teacher")]  # fmt: skip
    planted = _planted_masks(layout, manifest)
    if planted:
        tables.append(dice_table(model, manifest, sorted(planted), spec, layout.cache, planted,
                                 "planted synthetic truth, every MR patient"))  # fmt: skip
    quality = pd.concat(tables, ignore_index=True)
    write_table(quality, layout.teacher / "quality.csv")
    return {"weak": weak, "quality": quality, "teacher_training": train_ids, "held_out": held_out}


def _planted_masks(layout: RunLayout, manifest: pd.DataFrame) -> dict[str, str]:
    """patient -> planted mask, when the cohort is the synthetic phantom (its truth_masks/ folder)."""
    sources = load_sources(layout.cohort)
    folder = None if sources.brats_root is None else Path(sources.brats_root).parent / "truth_masks"
    if folder is None or not folder.is_dir():
        return {}
    out = {}
    for row in manifest[manifest["has_mr"]].itertuples():
        path = folder / f"{row.brats_id}_seg.nii.gz"
        if path.exists():
            out[row.patient_id] = str(path)
    return out


def survival_analysis(layout: RunLayout, runs: list[str] | None = None, penalizer: float = 0.1, k: int = 5,
                      n_boot: int = 1000, pca_dim: int = 50, seed: int = 0,
                      comparison_format: str = "t1ce") -> dict[str, pd.DataFrame]:
    """KM by subtype, Cox on each IDH MTL run's embeddings and on SCNA PCs, and the paired C-index
    comparisons of the format fixed in advance (``comparison_format``, the paper's T1ce): MR+SCNA
    against SCNA PCs alone and against MR alone, on the same validation patients."""
    from glioma_lib import survival

    manifest = read_manifest(layout.manifest)
    out = layout.survival
    out.mkdir(parents=True, exist_ok=True)
    _, km_summary, logrank_p = survival.kaplan_meier_by_subtype(manifest)
    write_table(km_summary.assign(logrank_p=logrank_p), out / "km_summary.csv")
    if runs is None:
        runs = [name for name in layout.finished_runs("embeddings.parquet")
                if (lambda p: p["task"] == "idh" and p["model"] == "mtl" and p["labelled_limit"] is None)(
                    parse_run_name(name))]
    tables, counts, risks = [], {}, {}
    for run in runs:
        embeddings = pd.read_parquet(layout.run(run) / "embeddings.parquet")
        risks[run], counts[run], failure = survival.embedding_risks(embeddings, manifest, penalizer)
        parsed = parse_run_name(run)
        tables.append(survival.score_risks(risks[run], manifest, failure, n_boot, seed).assign(
            model=run, input_format=parsed["input_format"], use_scna=parsed["use_scna"]))
    scores = scna_embedding(layout, pca_dim)
    scna_model = f"SCNA PCA (first {k} PCs)"
    if scores is not None:
        risks[scna_model], counts["scna_pca"], failure = survival.scna_risks(scores, manifest, k, penalizer)
        tables.append(survival.score_risks(risks[scna_model], manifest, failure, n_boot, seed).assign(
            model=scna_model, input_format=None, use_scna=True))
    c_index = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    mr, mr_scna = (run_name("idh", comparison_format, "mtl", scna) for scna in (False, True))
    paired = []
    for a, b in [(mr_scna, scna_model), (mr_scna, mr)]:
        if risks.get(a) is not None and risks.get(b) is not None:
            result = survival.paired_c_index(manifest, risks[a], risks[b], n_boot, seed)
            paired.append({"comparison": f"C-index: {a} - {b}", "model_a": a, "model_b": b, **asdict(result)})
    paired_table = pd.DataFrame(paired, columns=PAIRED_COLUMNS)
    write_table(c_index, out / "cindex.csv")
    write_table(paired_table, out / "paired_cindex.csv")
    write_json({"penalizer": penalizer, "k": k, "bootstrap": n_boot, "counts": counts,
                "comparison_format": comparison_format}, out / "survival.json")
    return {"km": km_summary, "c_index": c_index, "logrank_p": logrank_p, "counts": counts, "paired": paired_table}


