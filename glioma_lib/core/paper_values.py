"""Published values of Nuechterlein et al. (ICPR 2020) and of the TCGA tables, for reference columns.

Source: the paper's Table I and Table II and the figures its text quotes, as transcribed in
``shared/paper/`` (``table_i.csv``, ``table_ii.csv`` and its README) beside this project.
Table I's AUCs are the paper's metric (mean over 10 trials of the maximum validation AUC over 50
epochs), so they compare with this book's "max over evaluations" column, not its honest AUC.
"""

from __future__ import annotations

from glioma_lib.core.naming import INPUT_FORMATS, SUBTYPES

SOURCE = "Nuechterlein et al., ICPR 2020, Tables I and II (transcribed in shared/paper/)"

# Section IV of the paper.
RING_VS_IDH_WILDTYPE_R = 0.791
T1CE_MTL_AUC_AGAINST_RING = 0.955
GRADE_VS_IDH_WILDTYPE_R = 0.742
T1CE_MTL_AUC_AGAINST_GRADE = 0.95
MTL_MR_SCNA_AUC_AT_LEAST = 0.98  # "AUC > 0.98 on both tasks", left out of Table I

# Kaplan-Meier medians (months) on Ceccarelli 2016 Table S1A: "less than 15 months, just under 7
# years, nearly 11 years" in the paper's introduction.
TCGA_MEDIAN_SURVIVAL_MONTHS = {"IDH-wildtype": 14.0, "IDH-mutant 1p/19q-intact": 75.1, "1p/19q-codeleted": 115.8}

# Whole-tumour Dice anchors for the weak-label teacher.
MR_SUBJECTS = 542  # BraTS 2018 patients in the paper's cohort (285 with four-class masks)
WT_DICE = {"3D-ESPNet (BraTS 2018 test set)": 0.85, "nnU-Net (BraTS 2018)": 0.89}

# Table I, in the order of INPUT_FORMATS:
# (IDH CNN, IDH MTL, 1p/19q CNN, 1p/19q MTL, C-index MTL MR, C-index MTL MR+SCNA).
_TABLE_I_ROWS = (
    (0.669, 0.846, 0.605, 0.813, 0.587, 0.723),  # all_whole
    (0.872, 0.894, 0.744, 0.871, 0.697, 0.732),  # all_cropped
    (0.893, 0.884, 0.772, 0.819, 0.719, 0.735),  # t1ce
    (0.778, 0.690, 0.755, 0.818, 0.565, 0.731),  # flair
    (0.731, 0.738, 0.727, 0.757, 0.645, 0.728),  # t1
    (0.778, 0.732, 0.740, 0.755, 0.690, 0.718),  # t2
    (0.895, 0.861, 0.764, 0.742, 0.707, 0.723),  # t1ce_minus_t1
)
# Table II, same order: (co-deleted MR, MR+SCNA, IDH-mutant intact MR, MR+SCNA, IDH-wildtype MR, MR+SCNA).
_TABLE_II_ROWS = (
    (0.714, 1.000, 0.606, 0.727, 0.487, 0.521),
    (0.607, 0.964, 0.742, 0.712, 0.540, 0.548),
    (0.821, 0.786, 0.576, 0.742, 0.644, 0.571),  # the prose quotes 0.517 for the last cell; the table prints 0.571
    (0.607, 0.964, 0.636, 0.712, 0.527, 0.540),
    (0.643, 0.893, 0.606, 0.636, 0.535, 0.544),
    (0.679, 0.500, 0.803, 0.697, 0.562, 0.563),
    (0.821, 0.857, 0.803, 0.682, 0.523, 0.552),
)
SCNA_PCA5_BY_SUBTYPE = dict(zip((SUBTYPES[2], SUBTYPES[1], SUBTYPES[0]), (0.929, 0.667, 0.512), strict=True))
SCNA_PCA_MODEL = "SCNA PCA (first 5 PCs)"

# Keyed like the project's run names: "idh-t1ce-mtl" etc.
TABLE_I_AUC: dict[str, float] = {}
TABLE_I_C_INDEX: dict[str, float] = {}
TABLE_II_C_INDEX: dict[tuple[str, str], float] = {}
for _format, _row, _row_ii in zip(INPUT_FORMATS, _TABLE_I_ROWS, _TABLE_II_ROWS, strict=True):
    for _key, _value in zip(("idh-{}-cnn", "idh-{}-mtl", "codel-{}-cnn", "codel-{}-mtl"), _row[:4], strict=True):
        TABLE_I_AUC[_key.format(_format)] = _value
    TABLE_I_C_INDEX[f"idh-{_format}-mtl"], TABLE_I_C_INDEX[f"idh-{_format}-mtl-scna"] = _row[4:]
    for _i, _subtype in enumerate((SUBTYPES[2], SUBTYPES[1], SUBTYPES[0])):
        TABLE_II_C_INDEX[(f"idh-{_format}-mtl", _subtype)] = _row_ii[2 * _i]
        TABLE_II_C_INDEX[(f"idh-{_format}-mtl-scna", _subtype)] = _row_ii[2 * _i + 1]
    TABLE_II_C_INDEX[(f"idh-{_format}-mtl", "overall")] = _row[4]
    TABLE_II_C_INDEX[(f"idh-{_format}-mtl-scna", "overall")] = _row[5]
for _subtype, _value in SCNA_PCA5_BY_SUBTYPE.items():
    TABLE_II_C_INDEX[(SCNA_PCA_MODEL, _subtype)] = _value
T1CE_MTL_AUC_AGAINST_IDH = TABLE_I_AUC["idh-t1ce-mtl"]


def reference(table: dict, key) -> float | None:
    """A published value, or None where the paper has none (e.g. a SCNA-only overall C-index)."""
    return table.get(key)
