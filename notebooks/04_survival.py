# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Survival
#
# WHO 2016 subtypes carry very different prognoses (the paper's Fig. 3). The paper asks whether
# the MTL model's patient embedding predicts survival beyond the subtype it was trained on: a
# Cox proportional-hazards model is fitted on the training-split embeddings of each IDH model
# and scored on the validation split with Harrell's C-index, overall and within each subtype.
# A Cox model on the first SCNA principal components is the baseline.

# %% tags=["parameters"]
run_dir = "runs/default"
settings = {}  # the survival step's settings (glioma_lib.config.steps.SurvivalStep); what is not given: config/config.yaml

# %% tags=["hide-input"]
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from glioma_lib.cohort.manifest import read_manifest
from glioma_lib.cohort.tcga import read_ceccarelli
from glioma_lib.config.load import work_in_project_root
from glioma_lib.config.steps import notebook_settings
from glioma_lib.core.display import set_book_display
from glioma_lib.core.layout import RunLayout
from glioma_lib.core.paper_values import TCGA_MEDIAN_SURVIVAL_MONTHS
from glioma_lib.survival.figures import forest_figure, km_figure
from glioma_lib.survival.stats import kaplan_meier_by_subtype
from glioma_lib.survival.step import survival_analysis
from glioma_lib.survival.tables import degenerate_resamples, table_i_survival, table_ii

work_in_project_root()  # JupyterLab starts a kernel in notebooks/: paths are relative to the project root
set_book_display()

layout = RunLayout(run_dir)
survival = notebook_settings("04_survival", settings)
result = survival_analysis(layout, survival)

# %% [markdown]
# ## Kaplan-Meier by subtype (Fig. 3)
# First on the real TCGA table (Ceccarelli 2016, Table S1A) when it is available, whose medians
# the paper quotes, then on this run's cohort.

# %% mystnb={"figure": {"caption": "Kaplan-Meier overall survival by WHO 2016 subtype on the real TCGA table (Ceccarelli 2016, Table S1A), with medians, 95% bands and numbers at risk (the paper's Fig. 3).", "name": "fig-km-tcga"}}
if Path(survival.tcga_clinical).exists():
    clinical, _ = read_ceccarelli(survival.tcga_clinical)
    fits, summary, p_value = kaplan_meier_by_subtype(clinical)
    km_figure(fits, "TCGA glioma, Ceccarelli 2016 (real data)", p_value)
    plt.show()
else:
    print("The real TCGA clinical table is not available here.")

# %%
if Path(survival.tcga_clinical).exists():
    display(summary.assign(paper_median_months=summary["subtype"].map(TCGA_MEDIAN_SURVIVAL_MONTHS)))

# %% mystnb={"figure": {"caption": "Kaplan-Meier overall survival by WHO 2016 subtype in this run's cohort.", "name": "fig-km-cohort"}}
fits, summary, p_value = kaplan_meier_by_subtype(read_manifest(layout.manifest))
km_figure(fits, "this run's cohort", p_value)
plt.show()

# %%
display(summary)

# %% [markdown]
# ## C-index overall and within subtypes
# Each cell is the mean over trials of the C-index of that trial's Cox model, with a bootstrap
# 95% CI over validation patients. A stratum without events or comparable pairs is undefined.

# %% mystnb={"figure": {"caption": "Harrell's C-index of each Cox model on the validation split, overall and within subtypes, with bootstrap 95% CIs (undefined strata omitted).", "name": "fig-forest"}}
c_index = result["c_index"]
if len(c_index):
    forest_figure(c_index)
    plt.show()

# %%
if len(c_index):
    print("Table I, survival columns (IDH models):")
    display(table_i_survival(c_index))
    print("Table II, C-index per WHO subtype:")
    display(table_ii(c_index))
    degenerate = degenerate_resamples(c_index)
    print(f"Bootstraps are stratified by event; resamples whose C-index was undefined are left out of the CI "
          f"(of {survival.bootstrap}): " + ("none." if degenerate.empty else ""))
    if not degenerate.empty:
        display(degenerate)
else:
    print("No IDH MTL run and no SCNA data: nothing to score.")

# %% [markdown]
# ## Paired comparisons on the same patients
# The format is fixed in advance (no selection on validation). Both sides are scored on the
# validation patients that both models have, and a bootstrap stratified by event status
# resamples those patients; resamples where a C-index is undefined are dropped and counted.

# %%
display(result["paired"].round(3))

# %% [markdown]
# ## Patients left out
# Patients whose survival was set aside at curation (missing, zero or negative) are left out of
# every Cox fit and counted here.

# %%
display(pd.DataFrame(result["counts"]).T)
