"""Tables I and II, paired comparisons and the verdicts on the paper's claims, from the runs' outputs.

Every comparison is paired: both sides are scored on the same validation patients and a
class-stratified bootstrap resamples those patients, so the CI of a difference reflects what
the two models share. MTL - CNN is tested in every input format of a task, and the p-values of
one task are Holm-adjusted across its formats. A claim is "supported" when at least one adjusted
comparison is significantly in the paper's direction and none against it, "contradicted" when
one is significantly against it and none for it, else "inconclusive" (with the CI half-widths
that say how much the data could have decided).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV

from glioma_lib.core import paper_values
from glioma_lib.core.atomic import write_table
from glioma_lib.core.display import number, signed_interval
from glioma_lib.core.errors import InputDataError
from glioma_lib.core.layout import RunLayout
from glioma_lib.core.metrics import PAIRED_COLUMNS, holm, percentile_interval, prediction_scores, weighted_auc
from glioma_lib.core.naming import TASK_LABELS, parse_run_name
from glioma_lib.models.checkpoint import read_checkpoint
from glioma_lib.results.paired import MODEL_LABELS, ensemble_predictions, paired_row
from glioma_lib.results.three_class import FAMILY as THREE_CLASS_FAMILY
from glioma_lib.results.three_class import (
    confusion_matrices,
    per_class_aucs,
    three_class_predictions,
    three_class_vs_binary,
)
from glioma_lib.survival.tables import format_cell, table_i_survival, table_ii
from glioma_lib.training.trial import best_evaluation

ALPHA = 0.05
AUC_COLUMNS = ["run", "task", "input_format", "model", "use_scna", "labelled_limit", "auc", "ci_low", "ci_high",
               "half_width", "paper_style_auc", "optimism", "trials", "n_validation", "n_positive",
               "probability_sd", "n_train_labelled", "n_selection", "updates"]  # fmt: skip


def collect_aucs(layout: RunLayout, runs: list[str]) -> pd.DataFrame:
    """One row per finished training run: honest AUC with CI and half-width, the paper-style AUC,
    the per-trial optimism of the paper's protocol, validation size and prediction spread."""
    rows = []
    for run in runs:
        path = layout.run(run).auc
        if not path.exists():
            continue
        auc = json.loads(path.read_text())
        honest = auc["honest"]
        low, high = honest["ci95"]
        rows.append({"run": run, **parse_run_name(run), "auc": honest["auc"], "ci_low": low, "ci_high": high,
                     "half_width": (high - low) / 2, "paper_style_auc": auc["paper_max_over_evaluations"]["mean"],
                     "optimism": float(np.mean(auc["optimism_per_trial"])), "trials": len(honest["per_trial"]),
                     "n_validation": honest["n_validation"], "n_positive": honest["n_positive"],
                     "probability_sd": honest["probability_sd"], "n_train_labelled": auc["n_train_labelled"],
                     "n_selection": auc["n_selection"], "updates": auc["updates"]})  # fmt: skip
    return pd.DataFrame(rows, columns=AUC_COLUMNS).astype({"use_scna": bool})


# Paired model comparisons (a - b), and the Holm family each belongs to per task: MTL - CNN across
# formats is the paper's claim; the deep models against radiomics are a family of their own; so
# are the two uses of unlabelled scans (segmentation in MTL, consistency in the mean teacher) with
# the mean teacher against the supervised CNN.
MODEL_PAIRS = [("mtl", "cnn", "formats"), ("mtl", "radiomics", "deep vs radiomics"),
               ("cnn", "radiomics", "deep vs radiomics"), ("mtl", "mean_teacher", "semi-supervised"),
               ("mean_teacher", "cnn", "semi-supervised")]  # fmt: skip


def model_comparisons(layout: RunLayout, aucs: pd.DataFrame, n_boot: int = 1000, seed: int = 0) -> pd.DataFrame:
    """Every pair of :data:`MODEL_PAIRS` that a task, format and labelled-training size has both of:
    honest AUC difference paired on the validation patients, Holm-adjusted within its family and
    task (full-size runs: the pair's family across formats; label-limited runs: "label efficiency")."""
    rows = []
    plain = aucs[~aucs["use_scna"]]
    for (task, input_format, limit), part in plain.groupby(["task", "input_format", "labelled_limit"], dropna=False):
        by_model = part.set_index("model")["run"]
        size = "" if pd.isna(limit) else f", {int(limit)} labelled"
        for model_a, model_b, family in MODEL_PAIRS:
            if not {model_a, model_b} <= set(by_model.index):
                continue
            a, b = ensemble_predictions(layout, by_model[model_a]), ensemble_predictions(layout, by_model[model_b])
            label_a, label_b = MODEL_LABELS[(model_a, False)], MODEL_LABELS[(model_b, False)]
            rows.append(paired_row(f"AUC: {label_a} - {label_b}, {TASK_LABELS[task]}, {input_format}{size}",
                                    by_model[model_a], by_model[model_b], a, b, n_boot, seed, task=task,
                                    input_format=input_format, labelled_limit=limit,
                                    family=f"{task} {family}" if pd.isna(limit) else "label efficiency"))  # fmt: skip
    table = pd.DataFrame(rows, columns=[*PAIRED_COLUMNS, "task", "input_format", "labelled_limit", "family"])
    table["p_holm"] = np.nan
    for _, part in table.groupby(table["family"] + table["task"]):
        table.loc[part.index, "p_holm"] = holm(part["p_value"].to_numpy())
    return table


def scna_logistic_reference(layout: RunLayout, run: str, scna: pd.DataFrame, seed: int = 0) -> pd.DataFrame:
    """What the SCNA components alone can do on the patients ``run`` had: a logistic regression
    (L2, C chosen by up to 5-fold CV) on the components the MTL+SCNA network is given, fitted on
    the labelled patients the network used (fitting and checkpoint selection) that have SCNA, and
    scoring its validation patients that have SCNA."""
    path = layout.run(run).patients
    if not path.exists():
        raise InputDataError(f"run {run} does not list its patients (trained before this was recorded); re-run its "
                             "training step (`-p restart true`) to compare it with the SCNA reference", path=path)
    patients = pd.read_csv(path)
    labelled = patients[(patients["label"] >= 0) & patients["patient_id"].isin(scna.index)]
    train = labelled[labelled["role"].isin(["train", "selection"])]
    validation = labelled[labelled["role"] == "validation"]
    y = train["label"].to_numpy()
    folds = min(5, int(np.bincount(y, minlength=2).min()))
    model = (LogisticRegressionCV(Cs=10, cv=folds, max_iter=2000, random_state=seed) if folds >= 2
             else LogisticRegression(max_iter=2000))  # too few of a class to cross-validate C: the default C
    model.fit(scna.loc[train["patient_id"]].to_numpy(), y)
    return pd.DataFrame({"label": validation["label"].to_numpy(),
                         "probability": model.predict_proba(scna.loc[validation["patient_id"]].to_numpy())[:, 1]},
                        index=validation["patient_id"].to_numpy())  # fmt: skip


def mtl_scna_vs_logistic(layout: RunLayout, aucs: pd.DataFrame, scna: pd.DataFrame | None, n_boot: int = 1000,
                         seed: int = 0) -> pd.DataFrame:
    """Does the network use the SCNA it is given? MTL+SCNA - SCNA logistic regression, per task, on
    the validation patients that have SCNA."""
    rows = []
    runs = aucs[aucs["use_scna"] & aucs["labelled_limit"].isna()]
    for record in runs.itertuples() if scna is not None else []:
        network = ensemble_predictions(layout, record.run)
        reference = scna_logistic_reference(layout, record.run, scna, seed)
        rows.append(paired_row(f"AUC: MTL+SCNA - SCNA logistic, {TASK_LABELS[record.task]}, {record.input_format}",
                                record.run, "SCNA logistic regression", network, reference, n_boot, seed,
                                task=record.task, input_format=record.input_format))  # fmt: skip
    return pd.DataFrame(rows, columns=[*PAIRED_COLUMNS, "task", "input_format"])


def _trial_curves(layout: RunLayout, run: str) -> list[tuple[dict[int, pd.DataFrame], int]]:
    """Per trial of ``run``: its validation predictions at every evaluation (each indexed by
    patient, with label and probabilities) and the evaluation the inner split selected."""
    files = layout.run(run)
    trials = []
    for trial in range(len(json.loads(files.auc.read_text())["honest"]["per_trial"])):
        state = read_checkpoint(files.checkpoint(trial, "last"))
        history = pd.DataFrame(json.loads(state["history"]))
        tables = {e["evaluation"]: pd.DataFrame(e["validation"]).set_index("patient_id")
                  for e in json.loads(state["predictions"])}  # fmt: skip
        trials.append((tables, best_evaluation(history)))
    return trials


def optimism_estimate(layout: RunLayout, runs: list[str], n_boot: int = 1000, seed: int = 0) -> dict:
    """How much the paper's protocol overstates, per trial: the maximum validation AUC over
    evaluations minus the AUC of the checkpoint the inner split chose, averaged over every trial
    of ``runs``. Non-negative by construction (the maximum is taken over a set that holds the
    chosen checkpoint): an estimate of its size, not a test. The CI resamples validation
    patients, the same draw for every run and trial, since all of them score the same patients,
    with each trial's maximising evaluation fixed at the one the observed patients give: the
    paired difference of two AUCs. (Re-taking the maximum on every resample would add the
    resampling noise to what the maximum picks up, and centre the interval above the estimate.)"""
    curves = [trial for run in runs for trial in _trial_curves(layout, run)]
    if not curves:
        return {"mean": np.nan, "ci_low": np.nan, "ci_high": np.nan, "trials": 0, "patients": 0}
    patients = sorted(set().union(*(next(iter(tables.values())).index for tables, _ in curves)))
    draws = np.random.default_rng(seed).multinomial(len(patients), np.full(len(patients), 1 / len(patients)),
                                                    size=n_boot)  # fmt: skip
    draws = np.vstack([np.ones(len(patients)), draws])  # row 0: the observed patients
    position = pd.Series(np.arange(len(patients)), index=patients)
    gaps = []
    for tables, chosen in curves:
        evaluations = sorted(tables)
        first = tables[evaluations[0]]
        weights = draws[:, position[first.index].to_numpy()]
        aucs = np.stack([weighted_auc(first["label"].to_numpy(), prediction_scores(tables[e].loc[first.index]),
                                      weights) for e in evaluations], axis=1)  # fmt: skip
        best = int(np.nanargmax(aucs[0]))  # the evaluation the original protocol picks on these patients
        gaps.append(aucs[:, best] - aucs[:, evaluations.index(chosen)])
    mean = np.nanmean(np.stack(gaps, axis=1), axis=1)
    low, high = percentile_interval(mean[1:])
    return {"mean": float(mean[0]), "ci_low": low, "ci_high": high, "trials": len(curves), "patients": len(patients)}


def per_trial_aucs(layout: RunLayout, runs: list[str]) -> pd.DataFrame:
    """Per trial: its honest AUC (the selected checkpoint) and its maximum over evaluations, like
    with like; the ensemble of a run's trials is another quantity and is not in this table."""
    rows = []
    for run in runs:
        auc = json.loads(layout.run(run).auc.read_text())
        maxima = auc["paper_max_over_evaluations"]["per_trial"]
        rows += [{"run": run, **parse_run_name(run), "trial": trial, "honest_auc": honest, "max_auc": maximum}
                 for trial, (honest, maximum) in enumerate(zip(auc["honest"]["per_trial"], maxima, strict=True))]
    return pd.DataFrame(rows)


def _verdict(rows: pd.DataFrame, p_column: str) -> str:
    significant = rows[rows[p_column] < ALPHA]
    up, down = (significant["difference"] > 0).any(), (significant["difference"] < 0).any()
    if up and not down:
        return "supported"
    if down and not up:
        return "contradicted"
    return "inconclusive"


def _evidence(rows: pd.DataFrame, p_column: str) -> str:
    return "; ".join(f"{r.input_format}: {signed_interval(r.difference, r.ci_low, r.ci_high)}, "
                     f"half-width {number(r.half_width)}, p = {number(getattr(r, p_column))}"
                     for r in rows.assign(half_width=(rows["ci_high"] - rows["ci_low"]) / 2).itertuples())


def claims(paired: pd.DataFrame, survival_paired: pd.DataFrame) -> pd.DataFrame:
    """The paper's main claims, each judged on paired, multiplicity-controlled statistics."""
    rows = []
    for task in ("idh", "codel"):
        claim = f"MTL (with unlabelled scans) beats the CNN baseline on {TASK_LABELS[task]}"
        part = paired[(paired["family"] == f"{task} formats") & (paired["task"] == task)]
        if part.empty:
            rows.append({"claim": claim, "verdict": "not tested", "evidence": "no paired CNN and MTL runs"})
            continue
        rows.append({"claim": claim, "verdict": _verdict(part, "p_holm"),
                     "evidence": f"paired MTL - CNN AUC, Holm-adjusted over {len(part)} formats: "
                                 + _evidence(part, "p_holm")})  # fmt: skip
    for task in ("idh", "codel"):
        claim = f"Beyond the paper: MTL beats handcrafted radiomics on {TASK_LABELS[task]}"
        part = paired[(paired["family"] == f"{task} deep vs radiomics") & (paired["model_a"].str.contains("-mtl"))]
        if not part.empty:
            rows.append({"claim": claim, "verdict": _verdict(part, "p_holm"),
                         "evidence": "paired MTL - radiomics AUC, Holm-adjusted with CNN - radiomics over "
                                     f"{len(part)} formats: " + _evidence(part, "p_holm")})  # fmt: skip
    for task in ("idh", "codel"):
        claim = ("Beyond the paper: segmentation (MTL) uses unlabelled scans better than a mean teacher on "
                 f"{TASK_LABELS[task]}")  # fmt: skip
        family = paired[paired["family"] == f"{task} semi-supervised"]
        part = family[family["model_a"].str.contains("-mtl") & family["model_b"].str.contains("-mean_teacher")]
        if not part.empty:
            rows.append({"claim": claim, "verdict": _verdict(part, "p_holm"),
                         "evidence": "paired MTL - mean teacher AUC, Holm-adjusted with mean teacher - CNN over "
                                     f"{len(part)} formats: " + _evidence(part, "p_holm")})  # fmt: skip
    part = paired[paired["family"] == THREE_CLASS_FAMILY]
    if not part.empty:
        rows.append({"claim": "Beyond the paper: one three-class model calls the WHO 2021 subtype better than the "
                              "paper's two binary models together",
                     "verdict": _verdict(part, "p_holm"),
                     "evidence": "paired macro one-vs-rest AUC, three-class - two-binary call, Holm-adjusted over "
                                 f"{len(part)} models: " + "; ".join(
                                     f"{r.model_a}: {signed_interval(r.difference, r.ci_low, r.ci_high)}, "
                                     f"p = {number(r.p_holm)}" for r in part.itertuples())})  # fmt: skip
    claim = "MR+SCNA embeddings predict survival better than SCNA PCs alone (T1ce, fixed in advance)"
    versus_scna = survival_paired[survival_paired["model_b"].str.startswith("SCNA")]
    if versus_scna.empty:
        rows.append({"claim": claim, "verdict": "not tested", "evidence": "no T1ce MR+SCNA run or no SCNA"})
    else:
        r = versus_scna.iloc[0]
        rows.append({"claim": claim, "verdict": _verdict(versus_scna, "p_value"),
                     "evidence": "paired C-index difference "
                                 f"{signed_interval(r['difference'], r['ci_low'], r['ci_high'])} "
                                 f"on {int(r['n'])} patients, p = {number(r['p_value'])}"})
    return pd.DataFrame(rows, columns=["claim", "verdict", "evidence"])


def table_i(aucs: pd.DataFrame, c_index: pd.DataFrame | None) -> pd.DataFrame:
    """Table I: input formats x (task, model) cells "AUC [95% CI]" (honest), the paper's values
    (its max-over-epochs metric) beside them, and the survival C-index of the IDH MTL models."""
    full = aucs[aucs["labelled_limit"].isna()]
    rows = {}
    for record in full.itertuples():
        label = f"{TASK_LABELS[record.task]} {MODEL_LABELS[(record.model, record.use_scna)]}"
        row = rows.setdefault(record.input_format, {"input format": record.input_format})
        row[f"{label} AUC [95% CI]"] = format_cell(record.auc, record.ci_low, record.ci_high)
        if record.model != "radiomics":  # one fit: nothing to select among
            row[f"{label} max over evaluations"] = f"{number(record.paper_style_auc)}"
        reference = paper_values.reference(paper_values.TABLE_I_AUC, record.run)
        row[f"{label} (paper)"] = "-" if reference is None else f"{number(reference)}"
    table = pd.DataFrame(list(rows.values()), columns=None if rows else ["input format"])
    if c_index is not None and len(c_index) and len(table):
        table = table.merge(table_i_survival(c_index), on="input format", how="left")
    return table


def label_efficiency(aucs: pd.DataFrame) -> pd.DataFrame:
    """Honest AUC by the number of labelled patients a run used, for the (task, format, model)
    triples that have label-limited runs; the full-size run is the largest point. Every label
    counts: those the network was fitted on and those of the inner split that chose its checkpoint
    (held out before the subsets are drawn, so the same at every size)."""
    limited = aucs[aucs["labelled_limit"].notna()]
    series = limited[["task", "input_format", "model"]].drop_duplicates()
    chosen = aucs.merge(series, on=["task", "input_format", "model"])
    chosen = chosen[~chosen["use_scna"]]
    n_labelled = chosen["n_train_labelled"] + chosen["n_selection"]
    return chosen.assign(n_labelled=n_labelled).sort_values(["task", "input_format", "n_labelled"])


def against_ceilings(aucs: pd.DataFrame, ceilings: pd.DataFrame) -> pd.DataFrame:
    """Each full-size run's honest AUC beside the simulator's ceiling for what it sees: the imaging
    cues for an MR model, imaging and SCNA for an MR+SCNA model (the SCNA-only ceiling beside)."""
    oracle = ceilings.set_index("planted cues").reindex(columns=list(TASK_LABELS))  # a cohort from before a task: NaN
    full = aucs[aucs["labelled_limit"].isna()]
    rows = [{"run": r.run, "AUC [95% CI]": format_cell(r.auc, r.ci_low, r.ci_high),
             "ceiling of what it sees": oracle.loc["imaging + SCNA" if r.use_scna else "imaging", r.task],
             "sees": "imaging + SCNA" if r.use_scna else "imaging", "SCNA-only ceiling": oracle.loc["SCNA", r.task]}
            for r in full.itertuples()]  # fmt: skip
    return pd.DataFrame(rows, columns=["run", "AUC [95% CI]", "sees", "ceiling of what it sees", "SCNA-only ceiling"])


def results_tables(layout: RunLayout, runs: list[str], scna: pd.DataFrame | None = None, n_boot: int = 1000,
                   seed: int = 0) -> dict[str, pd.DataFrame]:
    """Every table of the results chapter, written under results/."""
    aucs = collect_aucs(layout, runs)
    c_path, s_path = layout.c_index, layout.paired_c_index
    c_index = pd.read_csv(c_path) if c_path.exists() else None
    survival_paired = pd.read_csv(s_path) if s_path.exists() else pd.DataFrame(columns=PAIRED_COLUMNS)
    paired = pd.concat([model_comparisons(layout, aucs, n_boot, seed),
                        three_class_vs_binary(layout, aucs, n_boot, seed)], ignore_index=True)  # fmt: skip
    scna_check = mtl_scna_vs_logistic(layout, aucs, scna, n_boot, seed)
    three_class = three_class_predictions(layout, aucs)
    networks = list(aucs.loc[aucs["model"] != "radiomics", "run"])  # radiomics has no checkpoints to select among
    optimism = optimism_estimate(layout, networks, n_boot, seed)
    forest = pd.concat([paired.assign(kind="AUC"), scna_check.assign(kind="AUC"),
                        survival_paired.assign(kind="C-index")], ignore_index=True)
    tables = {"aucs": aucs, "table_i": table_i(aucs, c_index),
              "table_ii": table_ii(c_index) if c_index is not None and len(c_index) else pd.DataFrame(),
              "paired": forest, "label_efficiency": label_efficiency(aucs),
              "claims": claims(paired, survival_paired), "optimism": pd.DataFrame([optimism]),
              "per_trial": per_trial_aucs(layout, networks),
              "per_class_auc": per_class_aucs(three_class, n_boot, seed),
              "confusion": confusion_matrices(three_class)}  # fmt: skip
    if layout.ceilings.exists():
        tables["ceilings"] = against_ceilings(aucs, pd.read_csv(layout.ceilings))
    for name, table in tables.items():
        write_table(table, layout.results_table(name))
    return tables
