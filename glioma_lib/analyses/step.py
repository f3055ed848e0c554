"""The analysis steps over a run folder: ring/grade tables, attributions, UMAP (what notebooks 05-06 call)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import torch

from glioma_lib.analyses.attribution import ClassLogits, integrated_gradients
from glioma_lib.analyses.ring import ring_score
from glioma_lib.analyses.scna_umap import subtype_separation, umap_embedding
from glioma_lib.analyses.stats import auc_against, binary_correlation
from glioma_lib.cohort.manifest import load_scna, read_manifest
from glioma_lib.cohort.phantom import planted_truth
from glioma_lib.cohort.sources import load_sources
from glioma_lib.cohort.tcga import genes_to_arms, read_gene_to_arm
from glioma_lib.config.steps import RingStep
from glioma_lib.core.atomic import atomic_path, remove_unlisted, write_json, write_table
from glioma_lib.core.layout import RunLayout, weak_mask_file
from glioma_lib.core.nifti import read_mask
from glioma_lib.inputs.cache import CacheEntry
from glioma_lib.models.checkpoint import load_checkpoint_model


def ring_table(layout: RunLayout, threshold: float, min_necrosis: float) -> pd.DataFrame:
    """Ring score and flag of every MR patient, from the ground-truth mask or else the weak 4-class mask."""
    manifest = read_manifest(layout.manifest)
    rows = []
    for row in manifest[manifest["has_mr"]].itertuples():
        weak = weak_mask_file(layout.weak_masks, row.patient_id)
        path, source = (row.path_seg, "ground truth") if pd.notna(row.path_seg) else (weak, "weak")
        if source == "weak" and not Path(weak).exists():
            continue
        score = ring_score(read_mask(path, row.patient_id), min_necrosis)
        rows.append({"patient_id": row.patient_id, "brats_id": row.brats_id, "mask_source": source,
                     "ring_score": score, "ring": score >= threshold})  # fmt: skip
    table = pd.DataFrame(rows)
    clinical = manifest.set_index("patient_id")[["split", "subtype", "idh_mutant", "grade"]]
    return table.join(clinical, on="patient_id")


def planted_ring_agreement(layout: RunLayout, table: pd.DataFrame) -> dict | None:
    """On the synthetic cohort: agreement of the derived ring flag with the planted one."""
    truth_path = planted_truth(load_sources(layout).brats_root)
    if truth_path is None:
        return None
    truth = pd.read_csv(truth_path).dropna(subset=["brats_id"]).set_index("brats_id")["ring_enhancing"]
    planted = table["brats_id"].map(truth)
    by_source = {s: float((part["ring"] == planted[part.index]).mean()) for s, part in table.groupby("mask_source")}
    return {"agreement": float((table["ring"] == planted).mean()), "patients": len(table), "by_mask_source": by_source}


def idh_predictions(layout: RunLayout, run: str) -> pd.DataFrame | None:
    """Validation P(IDH-mutant) of a run, averaged over its trials' selected checkpoints."""
    path = layout.run(run).validation_predictions
    if not path.exists():
        return None
    predictions = pd.read_parquet(path)
    return predictions.groupby("patient_id")["probability"].mean().rename("p_idh_mutant").to_frame()


def ring_grade_summary(table: pd.DataFrame, predictions: pd.DataFrame | None) -> dict:
    """Correlations of IDH-wildtype status with ring and with grade IV, and AUCs of the IDH model."""
    wildtype = 1.0 - table["idh_mutant"].astype(float)
    grade4 = (table["grade"] == 4).astype(float).where(table["grade"].notna())
    ring = table["ring"].astype(float)
    summary = {
        "ring_vs_idh_wildtype": dict(zip(("r", "p", "n"), binary_correlation(wildtype, ring), strict=True)),
        "grade4_vs_idh_wildtype": dict(zip(("r", "p", "n"), binary_correlation(wildtype, grade4), strict=True)),
    }
    if predictions is not None:
        scored = table.join(predictions, on="patient_id", how="inner")
        p_wildtype = 1.0 - scored["p_idh_mutant"]
        for name, labels in [("ring", scored["ring"].astype(float)),
                             ("idh_wildtype", 1.0 - scored["idh_mutant"].astype(float)),
                             ("grade4", (scored["grade"] == 4).astype(float).where(scored["grade"].notna()))]:
            auc, n = auc_against(labels, p_wildtype)
            summary[f"auc_against_{name}"] = {"auc": auc, "n": n}
    return summary


def ring_grade_analysis(layout: RunLayout, settings: RingStep) -> dict:
    """Ring and grade tables and statistics, written under analyses/ (``settings.run``: the IDH
    run whose predictions are compared with ring and grade)."""
    run, threshold, min_necrosis = settings.run, settings.threshold, settings.min_necrosis
    table = ring_table(layout, threshold, min_necrosis)
    summary = ring_grade_summary(table, idh_predictions(layout, run))
    summary["planted_agreement"] = planted_ring_agreement(layout, table)
    summary.update(run=run, threshold=threshold, min_necrosis=min_necrosis)
    write_table(table, layout.ring_table)
    write_json(summary, layout.ring_grade)
    return {"table": table, "summary": summary}


def attribution_analysis(layout: RunLayout, run: str, n_steps: int, trial: int = 0) -> pd.DataFrame:
    """Integrated gradients for one correctly and one wrongly classified validation patient with and
    without ring enhancement (the paper's Fig. 4 A-F); arrays saved under analyses/attributions/."""
    index = pd.read_csv(layout.run(run).cache_index).set_index("patient_id")
    model = load_checkpoint_model(layout.run(run).checkpoint(trial, "best"))
    rings = pd.read_csv(layout.ring_table).set_index("patient_id")
    predictions = idh_predictions(layout, run).join(rings[["ring", "idh_mutant"]], how="inner").dropna()
    predictions["correct"] = (predictions["p_idh_mutant"] >= 0.5) == predictions["idh_mutant"].astype(bool)
    out_dir = layout.attributions
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for (correct, ring), part in predictions.groupby(["correct", "ring"]):
        patient = part.index[0]
        image = torch.from_numpy(np.array(CacheEntry(index.loc[patient, "entry"]).arrays()[0]))
        target = int(part.loc[patient, "p_idh_mutant"] >= 0.5)  # attribute the predicted class
        attributions, delta = integrated_gradients(ClassLogits(model), image, target, n_steps)
        path = layout.attribution_arrays(patient)
        with atomic_path(path, suffix=".npz") as tmp:
            np.savez(tmp, image=image.numpy(), attributions=attributions)
        rows.append({"patient_id": patient, "correct": bool(correct), "ring": bool(ring), "target": target,
                     "p_idh_mutant": float(part.loc[patient, "p_idh_mutant"]), "convergence_delta": delta,
                     "arrays": str(path)})  # fmt: skip
    table = pd.DataFrame(rows)
    kept = {Path(row["arrays"]) for row in rows}
    remove_unlisted(out_dir, layout.attribution_arrays("*").name, kept)  # an earlier model's choices go
    write_table(table, layout.attributions_table)
    return table


def arm_level_scna(layout: RunLayout) -> pd.DataFrame | None:
    """The cohort's SCNA as patients x arms (gene-level tables are averaged over arms)."""
    sources = load_sources(layout)
    scna = load_scna(sources)
    if scna is None:
        return None
    if sources.scna_genes is not None and sources.gene_to_arm is not None:
        scna = genes_to_arms(scna, read_gene_to_arm(sources.gene_to_arm))
    return scna


def umap_analysis(layout: RunLayout, cohort: str, features: pd.DataFrame, subtype: pd.Series, seed: int = 0) -> dict:
    """UMAP coordinates of one SCNA ``cohort`` joined to subtypes, and per subtype its silhouette
    (2-D), k-NN purity and CV AUC on the SCNA itself, written under analyses/."""
    coordinates = umap_embedding(features, seed).join(subtype.rename("subtype"))
    scores = subtype_separation(features, coordinates[["UMAP1", "UMAP2"]], coordinates["subtype"], seed=seed)
    write_table(coordinates.reset_index(names="patient"), layout.umap_table(cohort))
    write_table(scores.reset_index(names="subtype"), layout.separation_table(cohort))
    return {"coordinates": coordinates, "separation": scores}
