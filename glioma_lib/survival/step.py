"""The survival step: Kaplan-Meier by subtype, Cox models on the runs' embeddings and on SCNA
principal components, and the paired C-index comparisons fixed in advance."""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd

from glioma_lib.cohort.manifest import read_manifest
from glioma_lib.config.steps import SurvivalStep
from glioma_lib.core.atomic import write_json, write_table
from glioma_lib.core.layout import RunLayout
from glioma_lib.core.metrics import PAIRED_COLUMNS
from glioma_lib.core.naming import parse_run_name, run_name
from glioma_lib.inputs.derived import scna_embedding
from glioma_lib.survival import stats


def survival_analysis(layout: RunLayout, settings: SurvivalStep) -> dict[str, pd.DataFrame]:
    """KM by subtype, Cox on each IDH MTL run's embeddings (``settings.runs``) and on SCNA PCs, and
    the paired C-index comparisons of the format fixed in advance (``comparison_format``, the
    paper's T1ce): MR+SCNA against SCNA PCs alone and against MR alone, on the same validation patients."""
    penalizer, k, n_boot, seed = settings.penalizer, settings.k, settings.bootstrap, settings.seed
    comparison_format = settings.comparison_format
    manifest = read_manifest(layout.manifest)
    _, km_summary, logrank_p = stats.kaplan_meier_by_subtype(manifest)
    write_table(km_summary.assign(logrank_p=logrank_p), layout.km_summary)
    tables, counts, risks = [], {}, {}
    for run in settings.runs:
        embeddings = pd.read_parquet(layout.run(run).embeddings)
        risks[run], counts[run], failure = stats.embedding_risks(embeddings, manifest, penalizer)
        parsed = parse_run_name(run)
        tables.append(stats.score_risks(risks[run], manifest, failure, n_boot, seed).assign(
            model=run, input_format=parsed["input_format"], use_scna=parsed["use_scna"]))
    scores = scna_embedding(layout, settings.pca_dim)
    scna_model = f"SCNA PCA (first {k} PCs)"
    if scores is not None:
        risks[scna_model], counts["scna_pca"], failure = stats.scna_risks(scores, manifest, k, penalizer)
        tables.append(stats.score_risks(risks[scna_model], manifest, failure, n_boot, seed).assign(
            model=scna_model, input_format=None, use_scna=True))
    c_index = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    mr, mr_scna = (run_name("idh", comparison_format, "mtl", scna) for scna in (False, True))
    paired = []
    for a, b in [(mr_scna, scna_model), (mr_scna, mr)]:
        if risks.get(a) is not None and risks.get(b) is not None:
            result = stats.paired_c_index(manifest, risks[a], risks[b], n_boot, seed)
            paired.append({"comparison": f"C-index: {a} - {b}", "model_a": a, "model_b": b, **asdict(result)})
    paired_table = pd.DataFrame(paired, columns=PAIRED_COLUMNS)
    write_table(c_index, layout.c_index)
    write_table(paired_table, layout.paired_c_index)
    write_json({"penalizer": penalizer, "k": k, "bootstrap": n_boot, "counts": counts,
                "comparison_format": comparison_format}, layout.survival_record)
    return {"km": km_summary, "c_index": c_index, "logrank_p": logrank_p, "counts": counts, "paired": paired_table}
