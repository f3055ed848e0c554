"""C-index against a naive count, edge cases, KM medians on the real table, the Cox plumbing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from glioma_lib.cohort.tcga import read_ceccarelli
from glioma_lib.core.metrics import stratified_resamples
from glioma_lib.core.naming import SUBTYPES
from glioma_lib.survival import stats as survival


def naive_c_index(time, risk, event) -> float:
    """Harrell's C by brute force: every usable pair, tied risks count 1/2 (lifelines' pair rules)."""
    concordant = usable = 0.0
    for i in range(len(time)):
        for j in range(len(time)):
            if event[i] and (time[i] < time[j] or (time[i] == time[j] and not event[j])):
                usable += 1
                concordant += 1.0 if risk[i] > risk[j] else 0.5 if risk[i] == risk[j] else 0.0
    return concordant / usable


@pytest.mark.parametrize("seed", range(5))
def test_c_index_matches_naive_count_with_ties(seed):
    rng = np.random.default_rng(seed)
    time = rng.integers(1, 8, 40).astype(float)  # many tied times
    event = rng.random(40) < 0.6
    risk = rng.integers(0, 5, 40).astype(float)  # many tied risks
    value, reason = survival.harrell_c(time, risk, event)
    assert reason is None and value == pytest.approx(naive_c_index(time, risk, event))
    assert survival.comparable_pairs(time, event) == sum(
        event[i] and (time[i] < time[j] or (time[i] == time[j] and not event[j]))
        for i in range(40) for j in range(40))


def test_perfect_ordering_gives_one_and_its_negation_zero():
    time = np.array([1.0, 2, 3, 4, 5])
    event = np.array([1, 1, 0, 1, 1], bool)
    risk = -time  # shorter survival, higher risk
    assert survival.harrell_c(time, risk, event)[0] == 1.0
    assert survival.harrell_c(time, -risk, event)[0] == 0.0


@pytest.mark.parametrize("time, event, reason", [
    ([1.0, 2, 3], [0, 0, 0], "no events"),
    ([1.0, 2], [1, 0], "fewer than two comparable pairs"),
    ([], [], "no patients"),
])  # fmt: skip
def test_undefined_strata_say_why(time, event, reason):
    c = survival.c_index_with_ci(np.array(time), np.zeros((len(time), 1)), np.array(event, bool), n_boot=10)
    assert np.isnan(c.value) and c.reason == reason  # never 0.5


def test_km_medians_on_the_real_tcga_table(realdata):
    clinical, _ = read_ceccarelli(realdata / "tcga_clinical/ceccarelli2016_table_s1a.csv")
    _, summary, p_value = survival.kaplan_meier_by_subtype(clinical)
    medians = summary.set_index("subtype")["median_months"]
    for subtype, expected in zip(SUBTYPES, [14.0, 75.1, 115.8], strict=True):
        assert medians[subtype] == pytest.approx(expected, abs=0.5)
    assert p_value < 1e-10


def _toy_cohort(n=60, seed=0):
    rng = np.random.default_rng(seed)
    risk = rng.normal(size=n)
    time = rng.exponential(np.exp(-risk)) * 1000 + 1
    manifest = pd.DataFrame({
        "patient_id": [f"p{i}" for i in range(n)], "split": np.where(np.arange(n) % 3 == 0, "validation", "train"),
        "subtype": np.array(SUBTYPES)[np.arange(n) % 3], "os_days": time, "os_event": (rng.random(n) < 0.8).astype(int),
    })  # fmt: skip
    manifest.loc[[1, 2], "os_days"] = np.nan  # set aside at curation
    embeddings = pd.DataFrame({"patient_id": manifest["patient_id"], "trial": 0,
                               "embedding": [[r + rng.normal(0, 0.3), rng.normal(), 0.0] for r in risk]})  # fmt: skip
    return manifest, embeddings


def test_cox_on_embeddings_scores_validation_and_counts_left_out():
    manifest, embeddings = _toy_cohort()
    risks, counts, failure = survival.embedding_risks(embeddings, manifest, penalizer=0.1)
    table = survival.score_risks(risks, manifest, failure, n_boot=50)
    overall = table.set_index("stratum").loc["overall"]
    assert overall["c_index"] > 0.6 and overall["patients"] == 20
    assert counts["left_out_without_survival"] == 2 and counts["train_patients"] == 38


def test_penalizer_reaches_lifelines(monkeypatch):
    seen = []
    original = survival.CoxPHFitter

    def recording(*args, **kwargs):
        seen.append(kwargs.get("penalizer"))
        return original(*args, **kwargs)

    monkeypatch.setattr(survival, "CoxPHFitter", recording)
    manifest, embeddings = _toy_cohort()
    survival.embedding_risks(embeddings, manifest, penalizer=0.37)
    assert seen == [0.37]


def test_scna_baseline_never_trains_on_validation():
    manifest, _ = _toy_cohort()
    scores = pd.DataFrame(np.random.default_rng(1).normal(size=(60, 6)), index=manifest["patient_id"],
                          columns=[f"PC{i + 1}" for i in range(6)])  # fmt: skip
    risks, counts, _ = survival.scna_risks(scores, manifest, k=5, penalizer=0.1)
    assert counts["train_patients"] == (manifest["split"] != "validation").sum() - 2
    assert set(risks.index) <= set(manifest.loc[manifest["split"] == "validation", "patient_id"])


def test_a_failed_fit_leaves_every_stratum_undefined_with_its_reason():
    manifest, _ = _toy_cohort()
    table = survival.score_risks(None, manifest, "every feature is constant", n_boot=5)
    assert table["c_index"].isna().all() and (table["undefined_because"] == "every feature is constant").all()


def test_paired_c_index_matches_a_naive_loop_on_the_common_patients():
    manifest, _ = _toy_cohort(n=45, seed=2)
    validation = manifest[manifest["split"] == "validation"].set_index("patient_id")
    rng = np.random.default_rng(3)
    truth = -np.log(validation["os_days"].fillna(1.0))
    a = pd.DataFrame({"risk_trial0": truth + rng.normal(0, 0.5, len(truth)),
                      "risk_trial1": truth + rng.normal(0, 0.5, len(truth))}, index=validation.index)
    b = pd.DataFrame({"risk": rng.normal(size=len(truth))}, index=validation.index).iloc[2:]  # fewer patients
    result = survival.paired_c_index(manifest, a, b, n_boot=40, seed=7)
    common = validation.dropna(subset=["os_days"]).index.intersection(b.index)
    time, event = validation.loc[common, "os_days"].to_numpy(), validation.loc[common, "os_event"].to_numpy(bool)

    def mean_c(risks: pd.DataFrame, rows) -> float:
        return float(np.mean([survival.harrell_c(time[rows], risks.loc[common, c].to_numpy()[rows], event[rows])[0]
                              for c in risks.columns]))  # fmt: skip

    whole = np.arange(len(common))
    assert result.n == len(common)
    assert result.difference == pytest.approx(mean_c(a, whole) - mean_c(b, whole))
    idx = stratified_resamples(event, 40, seed=7)
    naive = np.array([mean_c(a, rows) - mean_c(b, rows) for rows in idx])
    assert result.ci_low == pytest.approx(np.nanpercentile(naive, 2.5))
    assert result.degenerate == int(np.isnan(naive).sum())


def test_c_index_resamples_keep_each_strata_deaths_and_count_the_degenerate(monkeypatch):
    """A stratum with 2 deaths among 12: an unstratified bootstrap draws resamples without a death
    (about 8% of them); stratified by event, every resample keeps 2, and a resample whose C-index
    is still undefined is counted, not silently dropped."""
    rng = np.random.default_rng(3)
    time = rng.uniform(1, 100, 12)
    event = np.zeros(12, bool)
    event[[0, 1]] = True
    risk = -time + rng.normal(0, 20, 12)
    seen = []
    original = survival.harrell_c

    def recording(t, r, e):
        seen.append(int(np.asarray(e).sum()))
        return original(t, r, e)

    monkeypatch.setattr(survival, "harrell_c", recording)
    c = survival.c_index_with_ci(time, risk[:, None], event, n_boot=200, seed=0)
    assert set(seen) == {2}  # the point estimate and every resample: both deaths
    # Naive count of what the interval left out: resamples with fewer than two comparable pairs.
    idx = stratified_resamples(event, 200, 0)
    naive = sum(survival.comparable_pairs(time[i], event[i]) < 2 for i in idx)
    assert c.degenerate == naive and np.isfinite(c.low) and c.low <= c.value <= c.high
    table = survival.score_by_subtype(pd.DataFrame({"os_days": time, "os_event": event, "risk": risk,
                                                    "subtype": "IDH-wildtype"}), ["risk"], 50)  # fmt: skip
    assert "degenerate_resamples" in table.columns
