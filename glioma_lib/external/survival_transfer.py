"""Table II's SCNA baseline carried to another cohort: PCA and a Cox model on its first ``k``
components, fitted on TCGA, then applied unchanged to an external cohort with survival.

Risk groups are fixed on TCGA before the external cohort is looked at: above or below the median
TCGA risk. The TCGA C-index beside it is cross-validated (PCA and Cox refitted in each fold).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test
from sklearn.decomposition import PCA
from sklearn.model_selection import KFold

from glioma_lib.core.naming import DAYS_PER_MONTH
from glioma_lib.survival.stats import cox_risk, fit_cox, score_by_subtype, usable_survival

RISK_GROUPS = ("lower risk", "higher risk")


@dataclass
class ScnaCox:
    """PCA of arm-level SCNA and a penalised Cox model on its first ``k`` components."""

    pca: PCA
    model: CoxPHFitter
    scaling: dict
    k: int

    def components(self, arms: pd.DataFrame) -> pd.DataFrame:
        scores = self.pca.transform(arms.to_numpy(float))[:, : self.k]
        return pd.DataFrame(scores, index=arms.index, columns=[f"pc{i + 1}" for i in range(self.k)])

    def risk(self, arms: pd.DataFrame) -> pd.Series:
        """Log partial hazard (higher: shorter survival expected)."""
        return pd.Series(cox_risk(self.model, self.scaling, self.components(arms)), index=arms.index, name="risk")


def fit_scna_cox(arms: pd.DataFrame, survival: pd.DataFrame, k: int, penalizer: float, seed: int = 0) -> ScnaCox:
    """PCA on every patient's arms (no outcome used), Cox on the first ``k`` components of the
    patients with usable survival."""
    pca = PCA(n_components=min(k, *arms.shape), random_state=seed).fit(arms.to_numpy(float))
    usable, _ = usable_survival(survival.reindex(arms.index))
    fitted = ScnaCox(pca, None, {}, pca.n_components_)
    model, scaling = fit_cox(fitted.components(arms.loc[usable.index]), usable["os_days"], usable["os_event"],
                             penalizer)  # fmt: skip
    fitted.model, fitted.scaling = model, scaling
    return fitted


def cross_validated_risk(arms: pd.DataFrame, survival: pd.DataFrame, k: int, penalizer: float,
                         seed: int = 0) -> pd.Series:
    """Out-of-fold risks of the patients with usable survival (PCA and Cox refitted per fold)."""
    usable, _ = usable_survival(survival.reindex(arms.index))
    risks = pd.Series(np.nan, index=usable.index, name="risk")
    for train, test in KFold(5, shuffle=True, random_state=seed).split(usable):
        fitted = fit_scna_cox(arms.loc[usable.index[train]], usable.iloc[train], k, penalizer, seed)
        risks.iloc[test] = fitted.risk(arms.loc[usable.index[test]]).to_numpy()
    return risks


def c_index_table(risk: pd.Series, survival: pd.DataFrame, subtype: pd.Series, n_boot: int,
                  seed: int = 0) -> pd.DataFrame:
    """C-index with bootstrap CI overall and within each WHO subtype (undefined strata say why)."""
    table = survival.join(subtype.rename("subtype")).join(risk.rename("risk"), how="inner")
    usable, _ = usable_survival(table)
    return score_by_subtype(usable, ["risk"], n_boot, seed)


def risk_groups(risk: pd.Series, cut: float) -> pd.Series:
    """Each patient's risk group at ``cut`` (the TCGA median risk, fixed before any external cohort)."""
    return pd.Series(np.where(risk > cut, RISK_GROUPS[1], RISK_GROUPS[0]), index=risk.index, name="risk_group")


def kaplan_meier_by_group(groups: pd.Series, survival: pd.DataFrame) -> tuple[dict[str, KaplanMeierFitter],
                                                                              pd.DataFrame, float]:
    """KM fits per risk group (months), a summary (patients, events, median) and the log-rank p."""
    table, _ = usable_survival(survival.join(groups, how="inner"))
    months = table["os_days"] / DAYS_PER_MONTH
    fits, rows = {}, []
    for group in RISK_GROUPS:
        part = (table["risk_group"] == group).to_numpy()
        if not part.any():
            continue
        fits[group] = KaplanMeierFitter(label=group).fit(months[part], table["os_event"][part].astype(int))
        rows.append({"risk_group": group, "patients": int(part.sum()), "events": int(table["os_event"][part].sum()),
                     "median_months": float(fits[group].median_survival_time_)})  # fmt: skip
    low = (table["risk_group"] == RISK_GROUPS[0]).to_numpy()
    p_value = float("nan")
    if low.any() and (~low).any():
        p_value = float(logrank_test(months[low], months[~low], table["os_event"][low],
                                     table["os_event"][~low]).p_value)  # fmt: skip
    return fits, pd.DataFrame(rows), p_value
