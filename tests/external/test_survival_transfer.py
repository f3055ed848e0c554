"""The SCNA Cox baseline carried to another cohort: a real signal transfers, a permuted one does not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from glioma_lib.external import survival_transfer as st


def _cohort(n: int, seed: int, signal: bool = True) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    arms = pd.DataFrame(rng.normal(size=(n, 8)), index=[f"p{seed}_{i}" for i in range(n)],
                        columns=[f"a{i}" for i in range(8)])  # fmt: skip
    arms["a0"] *= 3  # the arm that carries the prognosis is also the most variable: the first PC
    hazard = np.exp(0.4 * arms["a0"].to_numpy() if signal else np.zeros(n))
    time = rng.exponential(1000 / hazard)
    censor = rng.exponential(2000, n)
    survival = pd.DataFrame({"os_days": np.minimum(time, censor) + 1, "os_event": (time <= censor).astype(int)},
                            index=arms.index)  # fmt: skip
    return arms, survival


def test_a_planted_signal_transfers_and_a_permuted_one_does_not():
    arms, survival = _cohort(300, 0)
    fitted = st.fit_scna_cox(arms, survival, k=5, penalizer=0.1)
    external_arms, external_survival = _cohort(200, 1)
    subtype = pd.Series("IDH-wildtype", index=external_arms.index)
    transfers = st.c_index_table(fitted.risk(external_arms), external_survival, subtype, n_boot=200)
    overall = transfers.set_index("stratum").loc["overall"]
    assert overall["c_index"] > 0.65 and overall["ci_low"] > 0.5
    _, null_survival = _cohort(200, 2, signal=False)
    null = st.c_index_table(fitted.risk(external_arms), null_survival.set_axis(external_arms.index), subtype, 200)
    overall = null.set_index("stratum").loc["overall"]
    assert overall["ci_low"] < 0.5 < overall["ci_high"]


def test_cross_validated_risks_are_out_of_fold_and_groups_cut_at_a_fixed_value():
    arms, survival = _cohort(150, 3)
    risks = st.cross_validated_risk(arms, survival, k=3, penalizer=0.1)
    assert risks.notna().all() and len(risks) == 150
    groups = st.risk_groups(pd.Series([0.1, 0.5, 0.9], index=list("abc")), cut=0.5)
    assert groups.tolist() == ["lower risk", "lower risk", "higher risk"]


def test_kaplan_meier_by_group_reports_each_group_and_the_logrank_p():
    arms, survival = _cohort(200, 4)
    fitted = st.fit_scna_cox(arms, survival, k=5, penalizer=0.1)
    risk = fitted.risk(arms)
    fits, summary, p_value = st.kaplan_meier_by_group(st.risk_groups(risk, float(risk.median())), survival)
    assert set(fits) == set(st.RISK_GROUPS) and summary["patients"].sum() == 200 and p_value < 1e-3
    high = summary.set_index("risk_group").loc["higher risk", "median_months"]
    assert high < summary.set_index("risk_group").loc["lower risk", "median_months"]
    assert p_value == pytest.approx(p_value)


def test_the_risk_group_figure_has_one_panel_per_cohort():
    from glioma_lib.external.figures import risk_group_figure

    arms, survival = _cohort(120, 5)
    risk = st.fit_scna_cox(arms, survival, k=3, penalizer=0.1).risk(arms)
    km = st.kaplan_meier_by_group(st.risk_groups(risk, float(risk.median())), survival)
    figure = risk_group_figure({"A": km, "B": km})
    titles = [ax.get_title() for ax in figure.axes if ax.get_title()]
    assert titles[:2] == [f"A (log-rank p = {km[2]:.1e})", f"B (log-rank p = {km[2]:.1e})"]
