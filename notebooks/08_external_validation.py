# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # External validation of the SCNA findings
#
# Everything SCNA-based in this book (SCNA-only subtype prediction, the SCNA Cox baseline of
# Table II, the UMAP of Fig. 5) is fitted and scored on TCGA. Here the same recipes are fitted
# **once** on the real TCGA arm-level table (786 patients, SNP arrays) and applied **unchanged**
# to two independent cohorts measured on other platforms:
#
# - **GLASS** (Barthel et al., Nature 2019): primary tumours, whole-exome and whole-genome sequencing (the
#   sample barcodes say WXS for 178 of the 201, WGS for 23), with IDH
#   status and overall survival; no 1p/19q co-deleted tumours.
# - **Capper et al.** (Nature 2018): the DNA-methylation-array reference cohort, copy number from
#   the arrays, all three WHO classes; no survival.
#
# Classifiers are L2 logistic regressions on the 40 arm values (penalty chosen by an inner
# cross-validation on TCGA alone) for IDH, 1p/19q and the three WHO classes; beside each external
# AUC stands the TCGA estimate from a 5-fold cross-validation of the same recipe. Binary calls
# use the threshold fixed in advance (`threshold`), the three-class call the most probable class.
# Survival: PCA on TCGA, a penalised Cox model on the first `k` components (Table II's SCNA
# baseline) fitted on TCGA and scored on GLASS; risk groups are cut at the median TCGA risk
# before GLASS is looked at. These are real patients: what transfers, and what does not, is a
# finding about SCNA across platforms, not about the simulator.

# %% tags=["parameters"]
run_dir = "runs/default"
settings = {}  # the step's settings (glioma_lib.config.steps.ExternalStep); what is not given: config/config.yaml

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from glioma_lib.config.load import work_in_project_root
from glioma_lib.config.steps import notebook_settings
from glioma_lib.core.display import set_book_display
from glioma_lib.core.layout import RunLayout
from glioma_lib.external.figures import (
    auc_forest,
    confusion_table,
    projection_figure,
    reliability_figure,
    risk_group_figure,
)
from glioma_lib.external.step import external_validation, findings, missing_inputs

work_in_project_root()  # JupyterLab starts a kernel in notebooks/: paths are relative to the project root
set_book_display()

external = notebook_settings("08_external_validation", settings)
missing = missing_inputs(external)
if missing:
    display(Markdown("**Skipped**: " + "; ".join(missing) + "."))
    result = None
else:
    result = external_validation(RunLayout(run_dir), external)
    display(result["cohorts"])

# %% [markdown]
# ## Discrimination
# AUC with a class-stratified bootstrap 95% CI (macro one-vs-rest over the classes a cohort has
# for the three-class task). An AUC is undefined where a cohort has one class only (GLASS has no
# co-deleted tumours): its row says so, and its false-positive calls still show in the confusion
# tables below.

# %% mystnb={"figure": {"caption": "AUCs of the SCNA-only classifiers fitted on TCGA: cross-validated on TCGA, and applied unchanged to GLASS and Capper, with 95% bootstrap CIs.", "name": "fig-external-auc"}}
if result is not None:
    auc_forest(result["classification"])
    plt.show()

# %% tags=["hide-input"]
if result is not None:
    display(result["classification"].drop(columns=["undefined_because"]).dropna(axis=1, how="all"))

# %% [markdown]
# ## Calibration
# Reliability diagrams (bins of width 0.1; marker area grows with the patients in a bin) and
# Brier scores (in the table above). A model can rank patients well on another platform and still
# be miscalibrated there: the probabilities are then not what they say.

# %% mystnb={"figure": {"caption": "Reliability diagrams of the binary SCNA classifiers per cohort: observed fraction against mean predicted probability; the dotted line is perfect calibration.", "name": "fig-external-reliability"}}
if result is not None:
    reliability_figure(result["calibration"])
    plt.show()

# %% [markdown]
# ## Confusion tables at the threshold fixed in advance

# %% tags=["hide-input"]
if result is not None:
    for task in ("idh", "codel", "who"):
        display(confusion_table(result["confusion"], task))

# %% [markdown]
# ## Survival: Table II's SCNA baseline on GLASS
# Harrell's C-index with a bootstrap 95% CI, overall and within each WHO subtype (undefined
# strata say why). The overall C-index rewards separating the subtypes, which SCNA does well;
# within a subtype it asks whether SCNA adds prognosis beyond the subtype.

# %% tags=["hide-input"]
if result is not None:
    display(result["c_index"])

# %% mystnb={"figure": {"caption": "Kaplan-Meier overall survival of the risk groups defined on TCGA (Cox on SCNA PCs, cut at the median TCGA risk): on TCGA itself (the fitting patients) and on GLASS, with numbers at risk and the log-rank p.", "name": "fig-external-km"}}
if result is not None:
    risk_group_figure(result["km"])
    plt.show()

# %% [markdown]
# ## The TCGA SCNA map with the external cohorts projected into it
# UMAP fitted on TCGA alone; GLASS and Capper are placed with umap-learn's `transform`, so they
# cannot move the map. Where an external subtype lands among its TCGA namesakes, its copy-number
# pattern transfers across platforms.

# %% mystnb={"figure": {"caption": "UMAP of the TCGA arm-level SCNA (faint) with GLASS and Capper projected into it, coloured by WHO subtype.", "name": "fig-external-umap"}}
if result is not None:
    projection_figure(result["umap"])
    plt.show()

# %% [markdown]
# ## What transfers
# Read off the tables above (a CI that excludes the TCGA estimate is a failure to transfer, and a
# finding); the rules applied to each cohort's files (duplicates, missing labels, missing
# survival, arms aligned) follow.

# %%
if result is not None:
    display(Markdown("\n".join(f"- {line}" for line in findings(result["classification"], result["c_index"]))))
    display(result["report"])
