"""Tables I and II from the runs' outputs, and which of the paper's claims this run supports."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from glioma_lib import paper_values
from glioma_lib.layout import RunLayout
from glioma_lib.survival_tables import format_cell, table_i_survival, table_ii

AUC_COLUMNS = ["run", "task", "input_format", "model", "use_scna", "auc", "ci_low", "ci_high", "paper_style_auc",
               "n_validation"]  # fmt: skip
MODEL_LABELS = {("cnn", False): "CNN", ("mtl", False): "MTL", ("mtl", True): "MTL+SCNA", ("cnn", True): "CNN+SCNA"}


def discover_runs(layout: RunLayout) -> list[str]:
    """Every finished training run of a run folder."""
    train = layout.root / "train"
    return sorted(p.name for p in train.iterdir() if (p / "auc.json").exists()) if train.is_dir() else []


def collect_aucs(layout: RunLayout, runs: list[str]) -> pd.DataFrame:
    """One row per training run: honest AUC with CI, the paper-style AUC, validation size."""
    rows = []
    for run in runs:
        path = layout.root / "train" / run / "auc.json"
        if not path.exists():
            continue
        auc = json.loads(path.read_text())
        task, input_format, model, *scna = run.split("-")
        honest = auc["honest"]
        rows.append({"run": run, "task": task, "input_format": input_format, "model": model,
                     "use_scna": bool(scna), "auc": honest["auc"], "ci_low": honest["ci95"][0],
                     "ci_high": honest["ci95"][1], "paper_style_auc": auc["paper_max_over_epochs"]["mean"],
                     "n_validation": honest["n_validation"]})  # fmt: skip
    return pd.DataFrame(rows, columns=AUC_COLUMNS)


def table_i(aucs: pd.DataFrame, c_index: pd.DataFrame | None) -> pd.DataFrame:
    """Table I: per input format, the AUC of each model on each task (honest, with CI; paper-style
    beside it), the paper's values, and the survival C-index columns of the IDH MTL models."""
    rows = []
    for input_format, part in aucs.groupby("input_format", sort=False):
        row = {"input format": input_format}
        for record in part.itertuples():
            label = f"{record.task.upper()} {MODEL_LABELS[(record.model, record.use_scna)]}"
            row[f"{label} AUC [95% CI]"] = format_cell(record.auc, record.ci_low, record.ci_high)
            row[f"{label} max-over-epochs AUC"] = f"{record.paper_style_auc:.3f}"
            reference = paper_values.reference(paper_values.TABLE_I_AUC, record.run)
            row[f"{label} (paper)"] = "not transcribed" if reference is None else f"{reference:.3f}"
        rows.append(row)
    table = pd.DataFrame(rows)
    if c_index is not None and len(c_index):
        table = table.merge(table_i_survival(c_index), on="input format", how="left")
    return table


def _paired(aucs: pd.DataFrame, task: str, a: tuple[str, bool], b: tuple[str, bool]) -> pd.DataFrame:
    """Per input format, the honest AUCs and CIs of models ``a`` and ``b`` on ``task`` (formats with both)."""
    def pick(model: tuple[str, bool]) -> pd.DataFrame:
        chosen = aucs[(aucs["task"] == task) & (aucs["model"] == model[0]) & (aucs["use_scna"] == model[1])]
        return chosen.set_index("input_format")[["auc", "ci_low", "ci_high"]]

    return pd.concat({"a": pick(a), "b": pick(b)}, axis=1, join="inner").dropna()


def verdict(direction_holds: bool, separated: bool) -> str:
    """'supported' only when the claimed direction holds *and* some 95% intervals do not overlap;
    a direction that holds inside overlapping intervals is 'inconclusive'."""
    if not direction_holds:
        return "not supported"
    return "supported" if separated else "inconclusive"


def _mtl_beats_cnn(aucs: pd.DataFrame, task: str, name: str) -> dict:
    claim = f"MTL (with unlabelled scans) beats the CNN baseline on {name}"
    paired = _paired(aucs, task, ("mtl", False), ("cnn", False))
    if paired.empty:
        return {"claim": claim, "evidence": "no paired runs", "verdict": "not tested"}
    diff = paired[("a", "auc")] - paired[("b", "auc")]
    wins, n = int((diff > 0).sum()), len(diff)
    separated = int((paired[("a", "ci_low")] > paired[("b", "ci_high")]).sum())
    return {"claim": claim, "verdict": verdict(diff.mean() > 0 and wins > n / 2, separated > 0),
            "evidence": f"mean honest AUC difference {diff.mean():+.3f}; MTL higher in {wins} of {n} formats, "
                        f"with non-overlapping 95% CIs in {separated}"}  # fmt: skip


def _selection_claim(aucs: pd.DataFrame) -> dict:
    claim = "Selecting the epoch on the validation set inflates AUCs (the original protocol)"
    optimism = (aucs["paper_style_auc"] - aucs["auc"]).dropna()
    if optimism.empty:
        return {"claim": claim, "evidence": "no runs", "verdict": "not tested"}
    return {"claim": claim, "verdict": "supported" if optimism.mean() > 0 else "not supported",
            "evidence": f"max-over-epochs minus honest AUC: mean {optimism.mean():+.3f} over {len(optimism)} runs"}


def _survival_claim(c_index: pd.DataFrame) -> dict:
    claim = "MTL MR+SCNA embeddings predict survival better than SCNA PCs alone"
    overall = c_index[c_index["stratum"] == "overall"]
    scna = overall[overall["input_format"].isna()]
    mtl_scna = overall[overall["input_format"].notna() & overall["use_scna"]].dropna(subset=["c_index"])
    if scna.empty or mtl_scna.empty or not np.isfinite(scna["c_index"].iloc[0]):
        return {"claim": claim, "evidence": "a C-index was undefined", "verdict": "not tested"}
    best, baseline = mtl_scna.loc[mtl_scna["c_index"].idxmax()], scna.iloc[0]
    return {"claim": claim, "verdict": verdict(best["c_index"] > baseline["c_index"],
                                               best["ci_low"] > baseline["ci_high"]),
            "evidence": f"best MTL MR+SCNA C-index {format_cell(best['c_index'], best['ci_low'], best['ci_high'])} "
                        f"vs SCNA PCA {format_cell(baseline['c_index'], baseline['ci_low'], baseline['ci_high'])}"}


def claims(aucs: pd.DataFrame, c_index: pd.DataFrame | None) -> pd.DataFrame:
    """The paper's main claims, each judged on this run's honest numbers and their 95% CIs."""
    rows = [_mtl_beats_cnn(aucs, "idh", "IDH"), _mtl_beats_cnn(aucs, "codel", "1p/19q"), _selection_claim(aucs)]
    if c_index is not None and len(c_index):
        rows.append(_survival_claim(c_index))
    return pd.DataFrame(rows)


def results_tables(layout: RunLayout, runs: list[str]) -> dict[str, pd.DataFrame]:
    """Table I, Table II and the claims, written under results/."""
    from glioma_lib.atomic import write_table

    aucs = collect_aucs(layout, runs)
    c_path = layout.survival / "cindex.csv"
    c_index = pd.read_csv(c_path) if c_path.exists() else None
    tables = {"aucs": aucs, "table_i": table_i(aucs, c_index),
              "table_ii": table_ii(c_index) if c_index is not None and len(c_index) else pd.DataFrame(),
              "claims": claims(aucs, c_index)}  # fmt: skip
    for name, table in tables.items():
        write_table(table, layout.results / f"{name}.csv")
    return tables
