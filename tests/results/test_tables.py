"""Tables I and II, the claims verdicts and the reproducibility page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from glioma_lib.core.errors import InputDataError
from glioma_lib.core.layout import RunLayout
from glioma_lib.core.metrics import holm
from glioma_lib.pipeline.book import reproducibility_page
from glioma_lib.results.tables import (
    claims,
    collect_aucs,
    label_efficiency,
    model_comparisons,
    optimism_estimate,
    per_trial_aucs,
    table_i,
)
from tests.results.conftest import write_trial_curves


def test_collect_aucs_parses_run_names_and_reads_spread(runs):
    aucs = collect_aucs(runs, runs.finished_runs()).set_index("run")
    assert aucs.loc["idh-t1ce-mtl-n20", "labelled_limit"] == 20 and pd.isna(aucs.loc["idh-t1ce-mtl", "labelled_limit"])
    assert aucs.loc["idh-t1ce-mtl", "probability_sd"] > 0.3
    assert aucs.loc["idh-t1ce-mtl", "half_width"] == pytest.approx(0.1)


def test_mtl_vs_cnn_is_paired_and_holm_adjusted_within_a_task(runs):
    aucs = collect_aucs(runs, runs.finished_runs())
    paired = model_comparisons(runs, aucs, n_boot=200).set_index("comparison")
    t1ce, flair = paired.loc["AUC: MTL - CNN, IDH, t1ce"], paired.loc["AUC: MTL - CNN, IDH, flair"]
    assert t1ce["difference"] > 0.3 and t1ce["ci_low"] > 0 and t1ce["n"] == 80
    assert flair["ci_low"] < 0 < flair["ci_high"] and flair["p_value"] > 0.05
    family = paired[paired["family"] == "idh formats"]
    np.testing.assert_allclose(family["p_holm"], holm(family["p_value"].to_numpy()))
    assert paired.loc["AUC: MTL - CNN, IDH, t1ce, 20 labelled", "family"] == "label efficiency"


def test_claims_use_the_adjusted_paired_statistics(runs):
    aucs = collect_aucs(runs, runs.finished_runs())
    paired = model_comparisons(runs, aucs, n_boot=200)
    survival_paired = pd.DataFrame([{"model_a": "idh-t1ce-mtl-scna", "model_b": "SCNA PCA (first 5 PCs)",
                                     "difference": 0.02, "ci_low": -0.03, "ci_high": 0.07, "p_value": 0.4, "n": 50}])
    verdicts = claims(paired, survival_paired).set_index("claim")["verdict"]
    assert verdicts["MTL (with unlabelled scans) beats the CNN baseline on IDH"] == "supported"
    assert verdicts["MTL (with unlabelled scans) beats the CNN baseline on 1p/19q"] == "not tested"
    assert verdicts["MR+SCNA embeddings predict survival better than SCNA PCs alone (T1ce, fixed in advance)"] \
        == "inconclusive"
    assert not any("inflates" in claim for claim in verdicts.index)  # true by construction: an estimate, not a claim


def test_a_significant_difference_against_the_paper_contradicts_it(runs):
    aucs = collect_aucs(runs, runs.finished_runs())
    paired = model_comparisons(runs, aucs, n_boot=200)
    flipped = paired.assign(difference=-paired["difference"])
    verdicts = claims(flipped, pd.DataFrame(columns=["model_b"])).set_index("claim")["verdict"]
    assert verdicts["MTL (with unlabelled scans) beats the CNN baseline on IDH"] == "contradicted"


def test_optimism_is_each_trials_max_minus_its_chosen_checkpoint_with_patients_resampled(tmp_path):
    """One trial, two evaluations, the inner split chose the first: the estimate is the second's
    AUC minus the first's. A second run scoring the same patients the same way adds trials but no
    patients: resampling patients (not trials), the CI does not narrow."""
    layout = RunLayout(tmp_path)
    rng = np.random.default_rng(1)
    labels = np.array([0, 1] * 30)
    chosen, better = labels + rng.normal(0, 1.5, 60), labels + rng.normal(0, 0.7, 60)
    for name in ("idh-t1ce-mtl", "idh-t1ce-cnn"):
        write_trial_curves(layout, name, labels, [chosen, better], selection_aucs=[0.8, 0.7])
        layout.run(name).auc.write_text('{"honest": {"per_trial": [0.5]}}')
    one = optimism_estimate(layout, ["idh-t1ce-mtl"], n_boot=300)
    expected = roc_auc_score(labels, better) - roc_auc_score(labels, chosen)
    assert expected > 0 and one["mean"] == pytest.approx(expected) and one["trials"] == 1 and one["patients"] == 60
    assert one["ci_low"] < one["mean"] < one["ci_high"]
    two = optimism_estimate(layout, ["idh-t1ce-mtl", "idh-t1ce-cnn"], n_boot=300)
    assert two["trials"] == 2 and (two["ci_low"], two["ci_high"]) == pytest.approx((one["ci_low"], one["ci_high"]))


def test_per_trial_aucs_pair_each_trials_honest_and_maximum(runs):
    table = per_trial_aucs(runs, ["idh-t1ce-mtl"])
    assert len(table) == 1 and table["max_auc"].iloc[0] == pytest.approx(table["honest_auc"].iloc[0] + 0.05)


def test_table_i_has_cis_paper_style_and_the_papers_values(runs, c_index_table):
    aucs = collect_aucs(runs, runs.finished_runs())
    table = table_i(aucs, c_index_table).set_index("input format")
    cell = table.loc["t1ce", "IDH MTL AUC [95% CI]"]
    assert cell.count("[") == 1 and cell.startswith("0.9")
    assert table.loc["t1ce", "IDH MTL (paper)"] == "0.884" and table.loc["flair", "IDH CNN (paper)"] == "0.778"
    assert "IDH MTL max over evaluations" in table.columns
    assert table.loc["t1ce", "MTL MR+SCNA C-index [95% CI]"] == "0.750 [0.65, 0.85]"
    assert table.loc["t1ce", "MTL MR+SCNA (paper)"] == "0.735"


def test_label_efficiency_table_includes_the_full_size_runs(runs):
    table = label_efficiency(collect_aucs(runs, runs.finished_runs()))
    assert sorted(table["run"]) == ["idh-t1ce-cnn", "idh-t1ce-cnn-n20", "idh-t1ce-mtl", "idh-t1ce-mtl-n20"]
    assert (table["n_labelled"] == 80 + 20).all()  # fitted on 80, chosen on 20: 100 labels used


def test_reproducibility_page_lists_commit_config_versions_and_times():
    page = reproducibility_page({
        "created": "2026-01-01T00:00:00+00:00", "git": {"commit": "abc123", "dirty": True}, "profile": "smoke",
        "config": {"run_dir": "runs/smoke"}, "machine": {"platform": "Linux", "python": "3.11"},
        "packages": {"torch": "2.13.0"}, "notebooks": [{"notebook": "01_data_curation", "seconds": 3.5}],
        "workflow_wall_seconds": 42.0,
    })  # fmt: skip
    for text in ("abc123", "uncommitted", "run_dir: runs/smoke", "| torch | 2.13.0 |", "| 01_data_curation | 3.5 |"):
        assert text in page


def test_a_profile_without_training_runs_gets_empty_tables_and_untested_claims(tmp_path):
    """The real profile as shipped trains nothing: the results chapter still builds, saying so."""
    from glioma_lib.results.tables import results_tables

    tables = results_tables(RunLayout(tmp_path), [], scna=None, n_boot=10)
    assert tables["aucs"].empty and "task" in tables["aucs"]
    assert tables["paired"].empty and tables["table_i"].empty and tables["label_efficiency"].empty
    assert set(tables["claims"]["verdict"]) == {"not tested"}
    assert RunLayout(tmp_path).results_table("claims").exists()


def test_the_scna_reference_is_fitted_on_the_patients_the_network_used(tmp_path, monkeypatch):
    """Fitting and selection patients with SCNA and a label, nothing else: not the validation
    patients, not unlabelled ones, not patients the run never saw."""
    import glioma_lib.results.tables as tables

    layout = RunLayout(tmp_path)
    layout.run("idh-t1ce-mtl-scna").folder.mkdir(parents=True)
    roles = ["train"] * 12 + ["selection"] * 4 + ["validation"] * 6 + ["train"]
    labels = [0, 1] * 11 + [-1]
    patients = pd.DataFrame({"patient_id": [f"p{i}" for i in range(23)], "role": roles, "label": labels})
    patients.to_csv(layout.run("idh-t1ce-mtl-scna").patients, index=False)
    scna = pd.DataFrame(np.random.default_rng(0).normal(size=(30, 3)), index=[f"p{i}" for i in range(30)])
    fitted = []
    original = tables.LogisticRegressionCV.fit

    def recording(self, x, y):
        fitted.append(len(x))
        return original(self, x, y)

    monkeypatch.setattr(tables.LogisticRegressionCV, "fit", recording)
    reference = tables.scna_logistic_reference(layout, "idh-t1ce-mtl-scna", scna)
    assert fitted == [16] and list(reference.index) == [f"p{i}" for i in range(16, 22)]
    with pytest.raises(InputDataError, match="does not list its patients"):
        tables.scna_logistic_reference(layout, "idh-t1ce-cnn", scna)


def test_each_run_is_read_against_the_ceiling_of_what_it_sees(runs):
    from glioma_lib.results.tables import against_ceilings

    ceilings = pd.DataFrame({"planted cues": ["imaging", "SCNA", "imaging + SCNA"], "idh": [0.87, 0.96, 0.98],
                             "codel": [0.92, 0.99, 0.995]})  # fmt: skip
    aucs = collect_aucs(runs, runs.finished_runs()).assign(use_scna=lambda t: t["run"] == "idh-t1ce-mtl")
    table = against_ceilings(aucs, ceilings).set_index("run")
    assert table.loc["idh-t1ce-mtl", "ceiling of what it sees"] == 0.98  # sees SCNA here
    assert table.loc["idh-t1ce-cnn", "ceiling of what it sees"] == 0.87 and "idh-t1ce-mtl-n20" not in table.index
    assert (table["SCNA-only ceiling"] == 0.96).all()


def test_radiomics_is_paired_with_both_deep_models_in_a_family_of_its_own(runs):
    from tests.results.conftest import _write_run

    labels = np.array([0, 1] * 40)
    _write_run(runs, "idh-t1ce-radiomics", labels, labels + np.random.default_rng(5).normal(0, 0.8, 80))
    paired = model_comparisons(runs, collect_aucs(runs, runs.finished_runs()), n_boot=200).set_index("comparison")
    family = paired[paired["family"] == "idh deep vs radiomics"]
    assert sorted(family.index) == ["AUC: CNN - Radiomics, IDH, t1ce", "AUC: MTL - Radiomics, IDH, t1ce"]
    np.testing.assert_allclose(family["p_holm"], holm(family["p_value"].to_numpy()))
    assert paired.loc["AUC: CNN - Radiomics, IDH, t1ce", "difference"] < 0  # the noise CNN loses
    assert (paired.loc[paired["family"] == "idh formats", "p_holm"] ==
            holm(paired.loc[paired["family"] == "idh formats", "p_value"].to_numpy())).all()  # unchanged family


def test_the_radiomics_claim_is_judged_only_where_radiomics_ran(runs):
    from tests.results.conftest import _write_run

    verdicts = claims(model_comparisons(runs, collect_aucs(runs, runs.finished_runs()), n_boot=100),
                      pd.DataFrame(columns=["model_b"])).set_index("claim")["verdict"]  # fmt: skip
    assert not any("radiomics" in claim for claim in verdicts.index)
    labels = np.array([0, 1] * 40)
    _write_run(runs, "idh-t1ce-radiomics", labels, np.random.default_rng(6).normal(size=80))  # noise
    verdicts = claims(model_comparisons(runs, collect_aucs(runs, runs.finished_runs()), n_boot=200),
                      pd.DataFrame(columns=["model_b"])).set_index("claim")["verdict"]  # fmt: skip
    assert verdicts["Beyond the paper: MTL beats handcrafted radiomics on IDH"] == "supported"


def test_mtl_and_the_mean_teacher_are_paired_and_the_verdict_can_go_either_way(runs):
    """MTL - mean teacher and mean teacher - CNN form one Holm family per task; the claim is
    supported where MTL wins and is not where the mean teacher wins in another format."""
    from tests.results.conftest import _write_run

    labels = np.array([0, 1] * 40)
    rng = np.random.default_rng(7)
    _write_run(runs, "idh-t1ce-mean_teacher", labels, rng.normal(size=80))  # noise; MTL separates on t1ce

    def judged():
        paired = model_comparisons(runs, collect_aucs(runs, runs.finished_runs()), n_boot=200)
        verdicts = claims(paired, pd.DataFrame(columns=["model_b"])).set_index("claim")["verdict"]
        return paired.set_index("comparison"), verdicts[
            "Beyond the paper: segmentation (MTL) uses unlabelled scans better than a mean teacher on IDH"
        ]

    paired, verdict = judged()
    family = paired[paired["family"] == "idh semi-supervised"]
    assert sorted(family.index) == ["AUC: MTL - Mean teacher, IDH, t1ce", "AUC: Mean teacher - CNN, IDH, t1ce"]
    np.testing.assert_allclose(family["p_holm"], holm(family["p_value"].to_numpy()))
    assert verdict == "supported"
    _write_run(runs, "idh-flair-mean_teacher", labels, labels + rng.normal(0, 0.3, 80))  # MTL is noise on flair
    paired, verdict = judged()
    assert paired.loc["AUC: MTL - Mean teacher, IDH, flair", "difference"] < 0
    assert verdict == "inconclusive"  # significant both ways across the formats
    assert "IDH Mean teacher AUC [95% CI]" in table_i(collect_aucs(runs, runs.finished_runs()), None).columns
