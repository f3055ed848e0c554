"""The external-validation step (notebook 08): SCNA models fitted once on the TCGA arm-level table
and applied unchanged to each configured external cohort."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from glioma_lib.analyses.scna_umap import umap_projection
from glioma_lib.cohort.tcga import read_arm_table, read_scna_clinical_786
from glioma_lib.config.steps import ExternalStep
from glioma_lib.core.atomic import write_json, write_table
from glioma_lib.core.layout import RunLayout
from glioma_lib.core.naming import SUBTYPES
from glioma_lib.external import classifiers as clf
from glioma_lib.external.cohorts import ExternalCohort, class_counts, labelled, read_external_cohort, report_table
from glioma_lib.external.survival_transfer import (
    c_index_table,
    cross_validated_risk,
    fit_scna_cox,
    kaplan_meier_by_group,
    risk_groups,
)

TCGA = "TCGA"
TCGA_CV = "TCGA (cross-validated)"


def _scores(rows: dict, cohort: str, task: str, y: np.ndarray, probabilities: np.ndarray, threshold: float,
            n_boot: int, seed: int) -> None:
    """Append one cohort's scores of one task to the output tables in ``rows``."""
    names = clf.EXTERNAL_TASKS[task][1]
    if task == "who":
        scores = clf.multiclass_scores(y, probabilities, n_boot, seed)
        table = scores.pop("confusion")
        rows["confusion"] += [{"cohort": cohort, "task": task, "true": names[i], "predicted": names[j],
                               "patients": int(table[i, j])} for i in range(3) for j in range(3)]  # fmt: skip
        per_class = scores.pop("per_class_auc")
        scores.update({f"auc_{name}": value for name, value in per_class.items()})
    else:
        scores = clf.binary_scores(y, probabilities[:, 1], threshold, n_boot, seed)
        rows["confusion"] += [{"cohort": cohort, "task": task, "true": names[t], "predicted": names[p],
                               "patients": scores[key]} for t, p, key in
                              ((0, 0, "true_negative"), (0, 1, "false_positive"), (1, 0, "false_negative"),
                               (1, 1, "true_positive"))]  # fmt: skip
        rows["calibration"].append(clf.reliability(y, probabilities[:, 1]).assign(cohort=cohort, task=task))
    rows["classification"].append({"cohort": cohort, "task": task, **scores})


def classification(reference: pd.DataFrame, subtype: pd.Series, cohorts: list[ExternalCohort], threshold: float,
                   n_boot: int, seed: int) -> dict[str, pd.DataFrame]:
    """For each task: fit on TCGA (its cross-validated estimate beside), apply to every cohort."""
    rows: dict[str, list] = {"classification": [], "calibration": [], "confusion": []}
    known = subtype.reindex(reference.index).dropna()
    for task, (_, names) in clf.EXTERNAL_TASKS.items():
        y = clf.task_labels(known, task)
        model, oof = clf.fit_and_cross_validate(reference.loc[known.index], y, seed)
        _scores(rows, TCGA_CV, task, y, oof, threshold, n_boot, seed)
        for cohort in cohorts:
            arms, cohort_subtype = labelled(cohort)
            probabilities = clf.predict_classes(model, arms, len(names))
            _scores(rows, cohort.name, task, clf.task_labels(cohort_subtype, task), probabilities, threshold, n_boot,
                    seed)  # fmt: skip
    return {"classification": pd.DataFrame(rows["classification"]),
            "calibration": pd.concat(rows["calibration"], ignore_index=True),
            "confusion": pd.DataFrame(rows["confusion"])}  # fmt: skip


def survival_transfer(reference: pd.DataFrame, clinical: pd.DataFrame, cohorts: list[ExternalCohort], k: int,
                      penalizer: float, n_boot: int, seed: int) -> dict[str, Any]:
    """Cox on the first ``k`` SCNA PCs fitted on TCGA: C-indices (TCGA cross-validated; each cohort
    with survival), and Kaplan-Meier curves of the risk groups cut at the median TCGA risk."""
    survival = clinical[["os_days", "os_event"]]
    cox = fit_scna_cox(reference, survival, k, penalizer, seed)
    tcga_risk = cox.risk(reference.loc[survival.reindex(reference.index).dropna().index])
    cut = float(np.median(tcga_risk))
    tables = [c_index_table(cross_validated_risk(reference, survival, k, penalizer, seed), survival,
                            clinical["subtype"], n_boot, seed).assign(cohort=TCGA_CV)]  # fmt: skip
    km = {TCGA: kaplan_meier_by_group(risk_groups(tcga_risk, cut), survival)}
    for cohort in cohorts:
        if cohort.survival is None:
            continue
        risk = cox.risk(cohort.arms)
        tables.append(c_index_table(risk, cohort.survival, cohort.subtype, n_boot, seed).assign(cohort=cohort.name))
        km[cohort.name] = kaplan_meier_by_group(risk_groups(risk, cut), cohort.survival)
    groups = pd.concat([summary.assign(cohort=name, logrank_p=p) for name, (_, summary, p) in km.items()],
                       ignore_index=True)  # fmt: skip
    return {"c_index": pd.concat(tables, ignore_index=True), "risk_groups": groups, "km": km, "risk_cut": cut,
            "components": cox.k}  # fmt: skip


def missing_inputs(settings: ExternalStep) -> list[str]:
    """Why the step cannot run here (empty when it can): no TCGA table set or found, no cohort, or a
    cohort's file absent (``../shared/realdata`` is not everywhere)."""
    tcga_arm_table, tcga_clinical, cohorts = settings.tcga_arm_table, settings.tcga_clinical, settings.cohorts
    if not tcga_arm_table or not tcga_clinical:
        return ["no TCGA arm-level reference table is set (analyses.umap.real_arm_table, real_clinical)"]
    files = [tcga_arm_table, tcga_clinical, *(getattr(cohort, key) for cohort in cohorts.values()
                                              for key in ("arm_table", "segments", "cytobands", "clinical"))]
    absent = [f"{path} not found" for path in files if path and not Path(path).exists()]
    return absent if cohorts else [*absent, "no external cohort is configured (external.cohorts)"]


def _interval_text(row: pd.Series, value: str = "auc") -> str:
    return f"{row[value]:.3f} [{row['ci_low']:.3f}, {row['ci_high']:.3f}]"


def findings(classification: pd.DataFrame, c_index: pd.DataFrame) -> list[str]:
    """What transfers and what does not, in sentences read off the tables: each cohort's AUC against
    the TCGA cross-validated one (does the external CI hold the TCGA estimate?), its calibration in
    the large (mean predicted against observed), and the survival C-index likewise."""
    lines = []
    tcga = classification[classification["cohort"] == TCGA_CV].set_index("task")
    for row in classification[classification["cohort"] != TCGA_CV].itertuples():
        task, name = row.task, clf.EXTERNAL_TASKS[row.task][0]
        series = pd.Series(row._asdict())
        if not np.isfinite(row.auc):
            lines.append(f"{row.cohort}, {name}: AUC not estimable ({row.undefined_because}); Brier {row.brier:.3f}.")
            continue
        reference = tcga.loc[task]
        holds = row.ci_low <= reference["auc"] <= row.ci_high
        verdict = "its CI holds the TCGA estimate" if holds else (
            "below TCGA's: its CI excludes the TCGA estimate" if row.auc < reference["auc"] else "above TCGA's")
        line = (f"{row.cohort}, {name}: AUC {_interval_text(series)} against TCGA (cross-validated) "
                f"{_interval_text(reference)}; {verdict}. Brier {row.brier:.3f} (TCGA {reference['brier']:.3f})")
        if task != "who":
            line += f"; mean predicted {row.mean_predicted:.2f} for an observed fraction {row.observed_fraction:.2f}"
        lines.append(line + ".")
    overall = c_index[c_index["stratum"] == "overall"].set_index("cohort")
    for cohort, row in overall.drop(index=TCGA_CV, errors="ignore").iterrows():
        reference = overall.loc[TCGA_CV]
        holds = row["ci_low"] <= reference["c_index"] <= row["ci_high"]
        lines.append(f"{cohort}, survival (Cox on SCNA PCs): C-index {_interval_text(row, 'c_index')} against TCGA "
                     f"(cross-validated) {_interval_text(reference, 'c_index')}; "
                     + ("its CI holds the TCGA estimate." if holds else "its CI excludes the TCGA estimate."))
    return lines


def external_validation(layout: RunLayout, settings: ExternalStep) -> dict[str, Any]:
    """Fit the SCNA classifiers (IDH, 1p/19q, three WHO classes) and Table II's SCNA Cox baseline on
    the TCGA table, apply them unchanged to every configured cohort, project the cohorts into the
    TCGA UMAP, and write the tables under ``external/``.

    Args:
        layout: the run folder.
        settings: the cohorts (see :mod:`glioma_lib.external.cohorts`), the TCGA arm-level table and
            its clinical file, the threshold fixed in advance for binary calls, the bootstrap and
            seed of every CI, and the Cox model's components and penalty (the survival step's).
    """
    threshold, n_boot, seed, k, penalizer = (settings.threshold, settings.bootstrap, settings.seed, settings.k,
                                             settings.penalizer)  # fmt: skip
    reference = read_arm_table(settings.tcga_arm_table)
    clinical = read_scna_clinical_786(settings.tcga_clinical).reindex(reference.index)
    external = [read_external_cohort(key, cohort.model_dump(), list(reference.columns))
                for key, cohort in settings.cohorts.items()]  # fmt: skip
    tables = classification(reference, clinical["subtype"], external, threshold, n_boot, seed)
    survival = survival_transfer(reference, clinical, external, k, penalizer, n_boot, seed)
    subtypes = pd.concat([clinical["subtype"], *(c.subtype for c in external)])
    umap = umap_projection(reference, {c.name: c.arms for c in external}, seed)
    umap = umap.assign(subtype=subtypes[~subtypes.index.duplicated()].reindex(umap.index).to_numpy())
    umap["cohort"] = umap["cohort"].replace({"reference": TCGA})
    tables.update(c_index=survival["c_index"], risk_groups=survival["risk_groups"], report=report_table(external),
                  umap=umap.reset_index(names="sample"))  # fmt: skip
    cohort_rows = [{"cohort": TCGA, "platform": "SNP arrays (TCGA, Affymetrix SNP6), GISTIC2 calls",
                    "samples": len(reference), **class_counts(clinical["subtype"]),
                    "with_survival": int(clinical["os_days"].notna().sum())}]  # fmt: skip
    cohort_rows += [{"cohort": c.name, "platform": c.platform, "samples": len(c.arms), **class_counts(c.subtype),
                     "with_survival": 0 if c.survival is None else int(c.survival["os_days"].notna().sum())}
                    for c in external]  # fmt: skip
    tables["cohorts"] = pd.DataFrame(cohort_rows)
    for name, table in tables.items():
        write_table(table, layout.external_table(name))
    write_json({"threshold": threshold, "bootstrap": n_boot, "seed": seed, "k": survival["components"],
                "penalizer": penalizer, "risk_cut": survival["risk_cut"], "cohorts": cohort_rows,
                "classes": list(SUBTYPES)}, layout.external_record)  # fmt: skip
    return {**tables, "km": survival["km"], "risk_cut": survival["risk_cut"]}

