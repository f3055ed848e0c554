"""Survival: Kaplan-Meier by WHO subtype, Cox models on embeddings, Harrell's C-index with CIs.

A C-index is only defined when a stratum has at least one event and two comparable pairs; where
it is not, it is reported as undefined with the reason, never as 0.5. Ties are handled as
lifelines' ``concordance_index`` handles them: tied risks count one half; two deaths at the same
time are not comparable, a death and a censoring at the same time are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.exceptions import ConvergenceError
from lifelines.statistics import multivariate_logrank_test
from lifelines.utils import concordance_index, median_survival_times

from glioma_lib.core.metrics import PairedDifference, paired_difference, percentile_interval, stratified_resamples
from glioma_lib.core.naming import DAYS_PER_MONTH, SUBTYPES


@dataclass(frozen=True)
class CIndex:
    value: float  # NaN when undefined
    low: float
    high: float
    n: int
    events: int
    reason: str | None = None  # why it is undefined
    degenerate: int = 0  # resamples whose C-index was undefined, left out of the interval (and counted)


def comparable_pairs(time: np.ndarray, event: np.ndarray) -> int:
    """Harrell's usable pairs as lifelines counts them: an event at i before j's time, or at the
    same time as j's censoring."""
    time, event = np.asarray(time, float), np.asarray(event, bool)
    before = time[:, None] < time[None, :]
    tied_with_censored = (time[:, None] == time[None, :]) & ~event[None, :]
    return int(((before | tied_with_censored) & event[:, None]).sum())


def harrell_c(time: np.ndarray, risk: np.ndarray, event: np.ndarray) -> tuple[float, str | None]:
    """C-index of a risk score (higher risk, shorter survival); (NaN, reason) when undefined."""
    time, risk, event = np.asarray(time, float), np.asarray(risk, float), np.asarray(event, bool)
    if event.sum() == 0:
        return float("nan"), "no events"
    if comparable_pairs(time, event) < 2:
        return float("nan"), "fewer than two comparable pairs"
    return float(concordance_index(time, -risk, event)), None


def c_index_with_ci(time, risks: np.ndarray, event, n_boot: int = 1000, seed: int = 0) -> CIndex:
    """C-index (mean over the columns of ``risks``, e.g. trials) with a bootstrap 95% interval.

    Resamples are stratified by event status (each keeps the stratum's number of deaths), so a
    small stratum is not resampled into one without events; a resample whose C-index is still
    undefined (fewer than two comparable pairs) is left out of the interval and counted in
    ``degenerate``, which the tables show beside the interval.
    """
    time, event = np.asarray(time, float), np.asarray(event, bool)
    if len(time) == 0:
        return CIndex(float("nan"), float("nan"), float("nan"), 0, 0, "no patients")
    risks = np.asarray(risks, float).reshape(len(time), -1)
    values = [harrell_c(time, r, event) for r in risks.T]
    reasons = [why for _, why in values if why]
    n, events = len(time), int(event.sum())
    if reasons:
        return CIndex(float("nan"), float("nan"), float("nan"), n, events, reasons[0])
    point = float(np.mean([v for v, _ in values]))
    boot, degenerate = [], 0
    for idx in stratified_resamples(event, n_boot, seed):
        resampled = [harrell_c(time[idx], r[idx], event[idx]) for r in risks.T]
        if all(why is None for _, why in resampled):
            boot.append(np.mean([v for v, _ in resampled]))
        else:
            degenerate += 1
    low, high = percentile_interval(np.asarray(boot, float))
    return CIndex(point, low, high, n, events, degenerate=degenerate)


def usable_survival(table: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Rows with a valid survival time and event, and how many were left out."""
    valid = table["os_days"].notna() & table["os_event"].notna() & (table["os_days"] > 0)
    return table[valid], int((~valid).sum())


# ---------------------------------------------------------------- Kaplan-Meier


def kaplan_meier_by_subtype(table: pd.DataFrame) -> tuple[dict[str, KaplanMeierFitter], pd.DataFrame, float]:
    """KM fits per WHO subtype, a summary (n, events, median months with 95% CI) and the log-rank p."""
    table, _ = usable_survival(table.dropna(subset=["subtype"]))
    months = table["os_days"] / DAYS_PER_MONTH
    fits, rows = {}, []
    for subtype in SUBTYPES:
        part = table["subtype"] == subtype
        if not part.any():
            continue
        km = KaplanMeierFitter(label=subtype).fit(months[part], table.loc[part, "os_event"].astype(int))
        fits[subtype] = km
        ci = median_survival_times(km.confidence_interval_)
        rows.append({"subtype": subtype, "patients": int(part.sum()), "events": int(table.loc[part, "os_event"].sum()),
                     "median_months": float(km.median_survival_time_),
                     "median_ci_low": float(ci.iloc[0, 0]), "median_ci_high": float(ci.iloc[0, 1])})  # fmt: skip
    test = multivariate_logrank_test(months, table["subtype"], table["os_event"].astype(int))
    return fits, pd.DataFrame(rows), float(test.p_value)


# ---------------------------------------------------------------- Cox models


class CoxFailed(RuntimeError):
    """The Cox fit did not converge; the strata it would score are reported as undefined."""


def fit_cox(features: pd.DataFrame, time: pd.Series, event: pd.Series, penalizer: float) -> tuple[CoxPHFitter, dict]:
    """A penalised Cox model on standardised features; returns the model and the scaling it used.

    Constant features (e.g. embedding units that never activate) are dropped first.
    """
    features = features.loc[:, features.std(ddof=0) > 0]
    if features.shape[1] == 0:
        raise CoxFailed("every feature is constant on the training patients")
    mean, std = features.mean(), features.std(ddof=0)
    data = ((features - mean) / std).assign(time=time.to_numpy(), event=event.astype(int).to_numpy())
    model = CoxPHFitter(penalizer=penalizer)
    try:
        model.fit(data, duration_col="time", event_col="event")
    except ConvergenceError as exc:
        raise CoxFailed(f"Cox fit did not converge ({len(data)} patients, {features.shape[1]} features)") from exc
    return model, {"mean": mean, "std": std}


def cox_risk(model: CoxPHFitter, scaling: dict, features: pd.DataFrame) -> np.ndarray:
    """Log partial hazard of new patients (higher means higher risk)."""
    columns = scaling["mean"].index
    standardised = (features[columns] - scaling["mean"]) / scaling["std"]
    return np.asarray(model.predict_log_partial_hazard(standardised)).ravel()


def score_by_subtype(validation: pd.DataFrame, risk_columns: list[str], n_boot: int, seed: int = 0) -> pd.DataFrame:
    """C-index overall and within each WHO subtype (rows), each with CI, patients and events."""
    rows = []
    groups = [("overall", validation)] + [(s, validation[validation["subtype"] == s]) for s in SUBTYPES]
    for name, part in groups:
        c = c_index_with_ci(part["os_days"], part[risk_columns].to_numpy(), part["os_event"], n_boot, seed)
        rows.append({"stratum": name, "c_index": c.value, "ci_low": c.low, "ci_high": c.high,
                     "patients": c.n, "events": c.events, "degenerate_resamples": c.degenerate,
                     "undefined_because": c.reason})  # fmt: skip
    return pd.DataFrame(rows)


def embedding_matrix(embeddings: pd.DataFrame, trial: int) -> pd.DataFrame:
    """One trial's embeddings as a patients x dimensions table."""
    part = embeddings[embeddings["trial"] == trial]
    matrix = pd.DataFrame(np.stack(part["embedding"].to_numpy()), index=part["patient_id"].to_numpy())
    matrix.columns = [f"e{i}" for i in range(matrix.shape[1])]
    return matrix


def validation_risk(table: pd.DataFrame, features: list[str], train_rows: pd.Series,
                    penalizer: float) -> tuple[pd.Series | None, dict, str | None]:
    """Fit a Cox model on ``train_rows`` of ``table``; risks of its validation rows, counts, failure reason."""
    train, left_train = usable_survival(table[train_rows])
    validation, left_val = usable_survival(table[table["split"] == "validation"])
    counts = {"train_patients": len(train), "validation_patients": len(validation),
              "left_out_without_survival": left_train + left_val}  # fmt: skip
    try:
        model, scaling = fit_cox(train[features], train["os_days"], train["os_event"], penalizer)
    except CoxFailed as exc:
        return None, counts, str(exc)
    return pd.Series(cox_risk(model, scaling, validation[features]), index=validation.index), counts, None


def embedding_risks(embeddings: pd.DataFrame, manifest: pd.DataFrame,
                    penalizer: float) -> tuple[pd.DataFrame | None, dict, str | None]:
    """Per trial, a Cox model fitted on training-split embeddings; validation risks (patients x trials)."""
    clinical = manifest.set_index("patient_id")[["split", "subtype", "os_days", "os_event"]]
    risks, counts = {}, {}
    for trial in sorted(embeddings["trial"].unique()):
        matrix = embedding_matrix(embeddings, trial).join(clinical)
        features = [c for c in matrix.columns if c.startswith("e")]
        risk, counts, failure = validation_risk(matrix, features, matrix["split"] == "train", penalizer)
        if failure:
            return None, counts, failure
        risks[f"risk_trial{trial}"] = risk
    return pd.DataFrame(risks), counts, None


def scna_risks(scores: pd.DataFrame, manifest: pd.DataFrame, k: int,
               penalizer: float) -> tuple[pd.DataFrame | None, dict, str | None]:
    """Baseline: Cox on the first ``k`` SCNA principal components (PCA fitted without validation).

    Trained on every non-validation patient with SCNA and survival (training split and SCNA-only);
    the validation risks of patients with SCNA, as a one-column table.
    """
    clinical = manifest.set_index("patient_id")[["split", "subtype", "os_days", "os_event"]]
    table = scores.iloc[:, :k].join(clinical, how="inner")
    risk, counts, failure = validation_risk(table, list(scores.columns[:k]), table["split"] != "validation", penalizer)
    return (None if failure else risk.to_frame("risk")), counts, failure


def score_risks(risks: pd.DataFrame | None, manifest: pd.DataFrame, failure: str | None, n_boot: int,
                seed: int = 0) -> pd.DataFrame:
    """C-index overall and within subtypes of validation ``risks`` (every stratum undefined on failure)."""
    if risks is None:
        return undefined_strata(failure or "no model")
    clinical = manifest.set_index("patient_id")[["subtype", "os_days", "os_event"]]
    return score_by_subtype(clinical.loc[risks.index].join(risks), list(risks.columns), n_boot, seed)


def undefined_strata(reason: str) -> pd.DataFrame:
    """Every stratum undefined, for a model that could not be fitted."""
    return pd.DataFrame([{"stratum": s, "c_index": np.nan, "ci_low": np.nan, "ci_high": np.nan, "patients": 0,
                          "events": 0, "undefined_because": reason} for s in ("overall", *SUBTYPES)])


def _mean_c_index(time: np.ndarray, event: np.ndarray, risks: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Per resample row of ``idx``: the mean over risk columns of Harrell's C (NaN where undefined)."""
    out = np.empty(len(idx))
    for b, rows in enumerate(idx):
        values = [harrell_c(time[rows], risk[rows], event[rows]) for risk in risks.T]
        out[b] = np.nan if any(why for _, why in values) else np.mean([v for v, _ in values])
    return out


def paired_c_index(manifest: pd.DataFrame, risks_a: pd.DataFrame, risks_b: pd.DataFrame, n_boot: int = 1000,
                   seed: int = 0) -> PairedDifference:
    """C-index of risks ``a`` minus that of ``b`` on the validation patients both scored (with usable
    survival), with a paired bootstrap stratified by event status; each side is the mean over its
    columns (trials)."""
    clinical, _ = usable_survival(manifest.set_index("patient_id")[["os_days", "os_event"]])
    common = clinical.index.intersection(risks_a.index).intersection(risks_b.index)
    time = clinical.loc[common, "os_days"].to_numpy(float)
    event = clinical.loc[common, "os_event"].to_numpy(bool)

    def statistic(risks: np.ndarray, idx: np.ndarray) -> np.ndarray:
        return _mean_c_index(time, event, risks, idx)

    return paired_difference(statistic, risks_a.loc[common].to_numpy(float), risks_b.loc[common].to_numpy(float),
                             event, n_boot, seed)
