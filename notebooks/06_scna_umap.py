# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # UMAP of copy-number profiles
#
# The paper's Fig. 5: the three WHO subtypes separate in an unsupervised map of SCNA, which is why
# SCNA helps subtype prediction (and why feeding it to a 1p/19q classifier is close to giving
# away the label: co-deletion *is* a copy-number event). Shown for this run's cohort and, when
# available, for the real arm-level TCGA table (786 patients).
#
# Each map comes with a table per subtype. The silhouette judges the 2-D picture; UMAP keeps
# neighbourhoods, not distances, so a compact group beside another can score low while every
# patient's neighbours share its subtype. The table therefore also gives the k-nearest-neighbour
# purity (k = 15) in the SCNA space itself and a cross-validated one-vs-rest AUC of a logistic
# regression on the SCNA: the verdict on separation reads from those.

# %% tags=["parameters"]
run_dir = "runs/default"
settings = {}  # the UMAP settings (glioma_lib.config.schema.UmapSettings); what is not given: config/config.yaml

# %% tags=["hide-input"]
from pathlib import Path

import matplotlib.pyplot as plt
from IPython.display import display

from glioma_lib.analyses.figures import umap_figure
from glioma_lib.analyses.step import arm_level_scna, umap_analysis
from glioma_lib.cohort.manifest import read_manifest
from glioma_lib.cohort.tcga import read_arm_table, read_scna_clinical_786
from glioma_lib.config.load import work_in_project_root
from glioma_lib.config.steps import notebook_settings
from glioma_lib.core.display import set_book_display
from glioma_lib.core.layout import RunLayout

work_in_project_root()  # JupyterLab starts a kernel in notebooks/: paths are relative to the project root
set_book_display()

umap = notebook_settings("06_scna_umap", settings)
layout = RunLayout(run_dir)
layout.analyses.mkdir(parents=True, exist_ok=True)

# %% [markdown]
# ## This run's cohort

# %% mystnb={"figure": {"caption": "UMAP of this run's arm-level SCNA profiles coloured by WHO subtype (the paper's Fig. 5).", "name": "fig-umap-cohort"}}
arms = arm_level_scna(layout)
if arms is None:
    print("This cohort has no SCNA data.")
else:
    manifest = read_manifest(layout.manifest).dropna(subset=["tcga_id"]).set_index("tcga_id")
    cohort = umap_analysis(layout, "cohort", arms, manifest["subtype"], umap.seed)
    umap_figure(cohort["coordinates"], f"SCNA of this run's cohort ({len(arms)} patients)")
    plt.show()

# %%
if arms is not None:
    display(cohort["separation"])

# %% [markdown]
# ## Real TCGA arm-level SCNA (786 patients)
# Subtypes from the table's clinical file (WHO 2021 names mapped to the 2016 subtypes).

# %% mystnb={"figure": {"caption": "UMAP of the real TCGA arm-level SCNA table (786 patients) coloured by WHO subtype.", "name": "fig-umap-tcga"}}
if umap.real_arm_table and Path(umap.real_arm_table).exists():
    real = read_arm_table(umap.real_arm_table)
    subtypes = read_scna_clinical_786(umap.real_clinical)["subtype"]
    tcga = umap_analysis(layout, "tcga_786", real, subtypes, umap.seed)
    umap_figure(tcga["coordinates"], "TCGA glioma arm-level SCNA (real data, 786 patients)")
    plt.show()

# %%
if umap.real_arm_table and Path(umap.real_arm_table).exists():
    display(tcga["separation"])
else:
    print("The real arm-level table is not available here.")
