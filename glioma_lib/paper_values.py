"""Published values of Nuechterlein et al. (ICPR 2020) and of the TCGA tables, for reference columns.

Only values with a stated source are filled. Table I and Table II of the paper were not available
offline when this project was written: their cells are missing here and the book shows them as
"not transcribed" rather than inventing numbers, except the T1ce MTL IDH AUC, which the paper's
Section IV quotes. Fill the rest from the paper's tables when at hand.
"""

from __future__ import annotations

# Section IV of the paper (as quoted in the project's issues).
RING_VS_IDH_WILDTYPE_R = 0.791
T1CE_MTL_AUC_AGAINST_RING = 0.955
T1CE_MTL_AUC_AGAINST_IDH = 0.884
GRADE_VS_IDH_WILDTYPE_R = 0.742
T1CE_MTL_AUC_AGAINST_GRADE = 0.95

# Kaplan-Meier medians (months) on Ceccarelli 2016 Table S1A: "less than 15 months, just under 7
# years, nearly 11 years" in the paper's introduction.
TCGA_MEDIAN_SURVIVAL_MONTHS = {"IDH-wildtype": 14.0, "IDH-mutant 1p/19q-intact": 75.1, "1p/19q-codeleted": 115.8}

# Whole-tumour Dice anchors for the weak-label teacher.
WT_DICE = {"3D-ESPNet (BraTS 2018 test set)": 0.85, "nnU-Net (BraTS 2018)": 0.89}

# Table I (AUC per task x format x model, survival C-index) and Table II (C-index per subtype):
# keyed like the project's run names; None = not transcribed.
TABLE_I_AUC: dict[str, float | None] = {"idh-t1ce-mtl": T1CE_MTL_AUC_AGAINST_IDH}
TABLE_I_C_INDEX: dict[str, float | None] = {}
TABLE_II_C_INDEX: dict[tuple[str, str], float | None] = {}


def reference(table: dict, key) -> float | None:
    """A published value, or None when it was not transcribed."""
    return table.get(key)
